//! `PoolRef`'s `Clone` (the article's `Inc`), `Drop` (its `Dec`) and
//! `get_mut`, run against your exercise and, unchanged, against the
//! solution (the chapter's `ch06_refpool::handle`). The orderings are the
//! loom models' job (`tests/loom.rs`): these check the counting, on one
//! thread and on several, and that every object is dropped exactly once.

#[cfg(workshop_solution)]
extern crate ex06_last_drop_solution as ex06_last_drop;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;

use ex06_last_drop::{PoolRef, RefPool};

/// How many objects a pool's `new` made, and how many were dropped.
#[derive(Clone, Default)]
struct Counts {
    news: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
}

impl Counts {
    fn news(&self) -> usize {
        self.news.load(SeqCst)
    }

    fn drops(&self) -> usize {
        self.drops.load(SeqCst)
    }
}

/// A pooled object: a number to tell objects apart (the order `new` made
/// them in), a body its sole holder writes through `get_mut`, and a drop
/// counter.
struct Obj {
    id: usize,
    body: String,
    drops: Arc<AtomicUsize>,
}

impl Drop for Obj {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A pool of numbered, counted objects.
fn pool() -> (RefPool<Obj>, Counts) {
    let counts = Counts::default();
    let make = counts.clone();
    let pool = RefPool::new(move || Obj {
        id: make.news.fetch_add(1, SeqCst),
        body: String::new(),
        drops: Arc::clone(&make.drops),
    });
    (pool, counts)
}

/// `Clone` adds a holder and `Drop` removes one, as the count shows.
#[test]
fn a_clone_adds_a_holder_and_a_drop_removes_one() {
    testkit::watchdog(|| {
        let (pool, _) = pool();
        let a = pool.get();
        assert_eq!(PoolRef::ref_count(&a), 1, "a fresh handle is the only one");
        let b = a.clone();
        assert_eq!(
            PoolRef::ref_count(&a),
            2,
            "a clone must count one more handle"
        );
        assert!(PoolRef::ptr_eq(&a, &b), "a clone is to the same object");
        let c = b.clone();
        assert_eq!(PoolRef::ref_count(&a), 3);
        drop(b);
        assert_eq!(
            PoolRef::ref_count(&c),
            2,
            "a drop that is not the last must count one handle fewer"
        );
        drop(a);
        assert_eq!(PoolRef::ref_count(&c), 1);
    });
}

/// The last handle's drop returns the object: the next `get` hands out
/// the same object, held once, and the pool makes no new one.
#[test]
fn the_last_drop_returns_the_object() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let a = pool.get();
        let id = a.id;
        let b = a.clone();
        drop(a);
        drop(b);
        let c = pool.get();
        assert_eq!(
            c.id, id,
            "the next get made a new object: the last drop did not return the old one"
        );
        assert_eq!(counts.news(), 1);
        assert_eq!(
            counts.drops(),
            0,
            "the object was dropped, not returned to the pool"
        );
        assert_eq!(
            PoolRef::ref_count(&c),
            1,
            "a handle from get is the only one"
        );
        // And again, from the sole handle (no clone): the same object.
        drop(c);
        let d = pool.get();
        assert_eq!(
            d.id, id,
            "the sole handle's drop must return the object too"
        );
        // A clone of the reused object is counted afresh.
        let e = d.clone();
        assert!(PoolRef::ptr_eq(&d, &e));
        assert_eq!(PoolRef::ref_count(&e), 2);
    });
}

/// A drop that is not the last keeps the object out of the pool: a `get`
/// meanwhile makes a new object rather than hand out the held one.
#[test]
fn a_drop_that_is_not_the_last_keeps_the_object_out_of_the_pool() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let a = pool.get();
        let b = a.clone();
        drop(a);
        let c = pool.get();
        assert!(
            !PoolRef::ptr_eq(&b, &c),
            "a get handed out an object another handle still holds: a drop that was not the \
             last returned it to the pool"
        );
        assert_eq!(counts.news(), 2);
        assert_eq!(
            counts.drops(),
            0,
            "a drop that was not the last dropped the object"
        );
        assert_eq!(PoolRef::ref_count(&b), 1);
    });
}

/// `get_mut` gives `&mut T` only to the sole handle: `None` on every handle
/// while a clone lives, `Some` again once the others are dropped.
#[test]
fn get_mut_is_some_when_unique_and_none_when_shared() {
    testkit::watchdog(|| {
        let (pool, _) = pool();
        let mut a = pool.get();
        PoolRef::get_mut(&mut a)
            .expect("the only handle must get &mut")
            .body
            .push_str("GET /");
        let mut b = a.clone();
        assert!(
            PoolRef::get_mut(&mut a).is_none(),
            "get_mut gave &mut while another handle can read the object"
        );
        assert!(
            PoolRef::get_mut(&mut b).is_none(),
            "get_mut gave &mut to a clone while the original can read the object"
        );
        assert_eq!(b.body, "GET /");
        drop(b);
        PoolRef::get_mut(&mut a)
            .expect("the last handle left must get &mut again")
            .body
            .push_str(" HTTP/1.1");
        assert_eq!(a.body, "GET / HTTP/1.1");
    });
}

/// An untracked object is dropped by the last handle, not pooled: the next
/// `get` makes a new one. Whoever untracks, and whichever handle is last.
#[test]
fn an_untracked_object_is_dropped_not_pooled() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        // The only handle untracks and drops.
        let a = pool.get();
        PoolRef::untrack(&a);
        drop(a);
        assert_eq!(
            counts.drops(),
            1,
            "the untracked object was not dropped by its last handle"
        );
        let b = pool.get();
        assert_eq!(
            counts.news(),
            2,
            "the untracked object came back from the pool"
        );
        assert_eq!(b.id, 1);
        // One holder of two untracks; the other is dropped last.
        let c = b.clone();
        PoolRef::untrack(&c);
        drop(c);
        assert_eq!(counts.drops(), 1, "dropped while another handle holds it");
        drop(b);
        assert_eq!(
            counts.drops(),
            2,
            "the last handle of an object untracked by another holder must drop it"
        );
        let d = pool.get();
        assert_eq!(
            counts.news(),
            3,
            "the untracked object came back from the pool"
        );
        drop(d);
        // An object that was never untracked is still pooled.
        let e = pool.get();
        assert_eq!(e.id, 2, "an object nobody untracked must still be pooled");
        assert_eq!(counts.news(), 3);
    });
}

/// Every object the pool makes is dropped exactly once: by its last handle
/// if untracked, else by the pool when it is dropped (or rotated away).
#[test]
fn every_object_is_dropped_exactly_once() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let rounds = testkit::scale(300, 3_000, 30);
        let mut kept = Vec::new();
        for i in 0..rounds {
            let a = pool.get();
            let b = pool.get();
            let c = a.clone();
            match i % 4 {
                0 => drop((a, c)),
                1 => {
                    PoolRef::untrack(&c);
                    drop((c, a));
                }
                2 => kept.push(c),
                _ => kept.push(a),
            }
            drop(b);
            if i % 16 == 0 {
                pool.gc();
            }
        }
        assert!(
            counts.news() - counts.drops() >= kept.len(),
            "an object still held was dropped"
        );
        drop(kept);
        drop(pool);
        assert_eq!(
            counts.drops(),
            counts.news(),
            "objects lost or dropped twice"
        );
    });
}

/// Owners on several threads each take an object, write it, and share it
/// with helper threads, which read it and drop their handles in any order;
/// some owners untrack their object; another thread rotates the pool
/// meanwhile. Every helper reads what its owner wrote (no object is handed
/// on while a handle holds it), and once the pool is dropped every object
/// made has been dropped exactly once.
#[test]
fn handles_dropped_on_many_threads_drop_each_object_once() {
    let owners = testkit::scale(3, 8, 2);
    let helpers = testkit::scale(3, 4, 2);
    let rounds = testkit::scale(150, 3_000, 3);
    testkit::watchdog(move || {
        let (pool, counts) = pool();
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            let gc = s.spawn(|| {
                while !stop.load(SeqCst) {
                    pool.gc();
                    thread::yield_now();
                }
            });
            let owners: Vec<_> = (0..owners)
                .map(|o| {
                    let pool = &pool;
                    s.spawn(move || {
                        for r in 0..rounds {
                            let mut x = pool.get();
                            let mine = format!("owner {o} round {r}");
                            let body = &mut PoolRef::get_mut(&mut x)
                                .expect("a handle from get is the only one")
                                .body;
                            body.clear();
                            body.push_str(&mine);
                            if r % 5 == 0 {
                                PoolRef::untrack(&x);
                            }
                            thread::scope(|h| {
                                for _ in 0..helpers {
                                    let (x, mine) = (x.clone(), &mine);
                                    h.spawn(move || {
                                        assert_eq!(
                                            x.body, *mine,
                                            "a helper read another owner's object: it was \
                                             handed on while a handle held it"
                                        );
                                        drop(x);
                                    });
                                }
                                drop(x);
                            });
                        }
                    })
                })
                .collect();
            let results: Vec<_> = owners.into_iter().map(|o| o.join()).collect();
            stop.store(true, SeqCst);
            gc.join().unwrap();
            for r in results {
                if let Err(panic) = r {
                    std::panic::resume_unwind(panic);
                }
            }
        });
        assert!(counts.news() >= 1);
        drop(pool);
        assert_eq!(
            counts.drops(),
            counts.news(),
            "objects lost or dropped twice"
        );
    });
}
