//! The article's second improvement, [`handle::PoolRef`]: the count in the
//! object and the reference as a value. `Clone` is `Inc`, `Drop` is `Dec`,
//! and the last drop, on whatever thread, returns the object to the pool
//! (or drops it, once untracked). Every object is dropped exactly once.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, LazyLock};
use std::thread;

use ch06_refpool::handle::{PoolRef, RefPool};

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

    /// A new object, numbered and counted.
    fn make(&self) -> Obj {
        Obj {
            id: self.news.fetch_add(1, SeqCst),
            body: String::new(),
            drops: Arc::clone(&self.drops),
        }
    }
}

/// A pooled object: a number to tell objects apart, a body its sole holder
/// writes through `get_mut`, and a drop counter.
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

/// A pool of counted objects.
fn pool() -> (RefPool<Obj>, Counts) {
    let counts = Counts::default();
    let make = counts.clone();
    (RefPool::new(move || make.make()), counts)
}

/// The address of the object behind a handle.
fn addr(h: &PoolRef<'_, Obj>) -> usize {
    std::ptr::from_ref::<Obj>(h) as usize
}

/// A thread that rotates `pool` until `stop` is set (Go's collector,
/// running meanwhile).
fn collector<'s, T: Send + Sync>(
    s: &'s thread::Scope<'s, '_>,
    pool: &'s RefPool<T>,
    stop: &'s AtomicBool,
) -> thread::ScopedJoinHandle<'s, ()> {
    s.spawn(move || {
        while !stop.load(SeqCst) {
            pool.gc();
            thread::yield_now();
        }
    })
}

/// The last handle's drop returns the object: the next `get` hands out
/// the same object, at the same address, held once, and the pool makes no
/// new one.
#[test]
fn the_last_drop_returns_the_object_and_the_next_get_reuses_it() {
    let (pool, counts) = pool();
    let a = pool.get();
    let (id, at) = (a.id, addr(&a));
    let b = a.clone();
    drop(a);
    drop(b);
    let c = pool.get();
    assert_eq!((c.id, addr(&c)), (id, at));
    assert_eq!(PoolRef::ref_count(&c), 1);
    assert_eq!(counts.news(), 1);
}

/// `ptr_eq` tells objects apart: a clone is the same object, a second
/// `get` while the first is held is another.
#[test]
fn a_clone_is_the_same_object_and_a_second_get_another() {
    let (pool, _) = pool();
    let a = pool.get();
    let b = a.clone();
    let c = pool.get();
    assert!(PoolRef::ptr_eq(&a, &b));
    assert!(!PoolRef::ptr_eq(&a, &c));
    assert_ne!(a.id, c.id);
}

/// A drop that is not the last keeps the object out of the pool: a `get`
/// meanwhile makes a new object rather than share the held one.
#[test]
fn a_drop_that_is_not_the_last_keeps_the_object_out_of_the_pool() {
    let (pool, counts) = pool();
    let a = pool.get();
    let b = a.clone();
    drop(a);
    let c = pool.get();
    assert!(!PoolRef::ptr_eq(&b, &c));
    assert_eq!(counts.news(), 2);
}

/// `get_mut` gives `&mut T` only to the sole handle: `None` on every handle
/// while a clone lives, `Some` again once the others are dropped.
#[test]
fn get_mut_is_some_when_unique_and_none_when_shared() {
    let (pool, _) = pool();
    let mut a = pool.get();
    PoolRef::get_mut(&mut a).unwrap().body.push_str("GET /");
    let mut b = a.clone();
    assert!(PoolRef::get_mut(&mut a).is_none());
    assert!(PoolRef::get_mut(&mut b).is_none());
    assert_eq!(b.body, "GET /");
    drop(b);
    PoolRef::get_mut(&mut a).unwrap().body.push_str(" HTTP/1.1");
    assert_eq!(a.body, "GET / HTTP/1.1");
}

/// `Clone` adds a holder and `Drop` removes one, as the count shows.
#[test]
fn clone_adds_a_holder_and_drop_removes_one() {
    let (pool, _) = pool();
    let a = pool.get();
    assert_eq!(PoolRef::ref_count(&a), 1);
    let b = a.clone();
    let c = b.clone();
    assert_eq!(PoolRef::ref_count(&a), 3);
    drop(b);
    assert_eq!(PoolRef::ref_count(&c), 2);
    drop(a);
    assert_eq!(PoolRef::ref_count(&c), 1);
}

/// The pool does not reset what it reuses: the next user of an object
/// sees what its last holder wrote (reset it after `get` if that matters).
#[test]
fn the_next_user_sees_what_the_last_holder_wrote() {
    let (pool, _) = pool();
    let mut a = pool.get();
    PoolRef::get_mut(&mut a).unwrap().body.push_str("left over");
    drop(a);
    let b = pool.get();
    assert_eq!(b.body, "left over");
}

/// `untrack` by the only holder: its drop drops the object instead of
/// pooling it, and the next `get` makes a new one.
#[test]
fn untrack_alone_drops_the_object_with_its_handle() {
    let (pool, counts) = pool();
    let a = pool.get();
    PoolRef::untrack(&a);
    assert_eq!(counts.drops(), 0);
    drop(a);
    assert_eq!(counts.drops(), 1);
    let b = pool.get();
    assert_eq!(b.id, 1);
    assert_eq!(counts.news(), 2);
}

/// `untrack` by one of several holders: the object lives on for the
/// others, and is dropped, not pooled, with the last handle, whichever it
/// is; the next `get` makes a new one.
#[test]
fn untrack_while_shared_drops_the_object_with_the_last_handle() {
    let (pool, counts) = pool();
    let a = pool.get();
    let b = a.clone();
    let c = a.clone();
    PoolRef::untrack(&b);
    drop(b);
    drop(a);
    assert_eq!(counts.drops(), 0);
    assert_eq!(c.id, 0, "still readable by its last holder");
    drop(c);
    assert_eq!(counts.drops(), 1);
    let d = pool.get();
    assert_eq!(d.id, 1);
    assert_eq!(counts.news(), 2);
}

/// A returned object is the pool's: two collections drop it, as
/// `sync.Pool` drops what nobody takes.
#[test]
fn two_gc_cycles_drop_a_returned_object() {
    let (pool, counts) = pool();
    drop(pool.get());
    pool.gc();
    assert_eq!(counts.drops(), 0, "one cycle keeps it as a victim");
    pool.gc();
    assert_eq!(counts.drops(), 1);
}

/// The last drop may happen on another thread: it returns the object to
/// the pool there, and a `get` on the first thread then finds it. (The
/// other thread fills its private slot first, which only it can take
/// from; the returned object then goes to its shared chain, which any
/// thread steals from.)
#[test]
fn the_last_drop_on_another_thread_returns_the_object_to_the_pool() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let mine = pool.get();
        let id = mine.id;
        let theirs = mine.clone();
        drop(mine);
        thread::scope(|s| {
            s.spawn(|| {
                drop(pool.get()); // a new object, into this thread's private slot
                assert_eq!(PoolRef::ref_count(&theirs), 1);
                drop(theirs); // the last handle
            });
        });
        let next = pool.get();
        assert_eq!(next.id, id);
        assert_eq!(counts.news(), 2);
    });
}

/// Owners on several threads each take an object, write it, and send
/// clones to reader threads, dropping their own handle at once (so the
/// last drop is anyone's), some after untracking it, while another thread
/// rotates the pool. Every reader sees its owner's write (no object is
/// reused while a handle lives), and once the pool is dropped every object
/// made has been dropped exactly once.
#[test]
fn clones_sent_to_other_threads_while_the_pool_rotates_drop_each_object_once() {
    let owners = testkit::scale(4, 8, 2);
    let readers = testkit::scale(3, 4, 2);
    let rounds = testkit::scale(100, 2_000, 3);
    testkit::watchdog(move || {
        let (pool, counts) = pool();
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            let gc = collector(s, &pool, &stop);
            let owners: Vec<_> = (0..owners)
                .map(|o| {
                    let pool = &pool;
                    s.spawn(move || {
                        for r in 0..rounds {
                            let mut h = pool.get();
                            let mine = format!("owner {o} round {r}");
                            let body = &mut PoolRef::get_mut(&mut h).unwrap().body;
                            body.clear();
                            body.push_str(&mine);
                            if r % 3 == 1 {
                                PoolRef::untrack(&h);
                            }
                            thread::scope(|t| {
                                for _ in 0..readers {
                                    let (c, mine) = (h.clone(), &mine);
                                    t.spawn(move || assert_eq!(c.body, *mine));
                                }
                                drop(h);
                            });
                        }
                    })
                })
                .collect();
            for owner in owners {
                owner.join().unwrap();
            }
            stop.store(true, SeqCst);
            gc.join().unwrap();
        });
        assert!(counts.drops() <= counts.news());
        drop(pool);
        assert_eq!(counts.drops(), counts.news());
    });
}

/// Threads clone a live handle and drop the clones while others drop
/// clones they were given: the count never reaches zero while the root
/// handle lives, so the object is never pooled meanwhile (a `get` during
/// the race never returns it), the root is unique again at the end, and
/// it goes back to the pool exactly once.
#[test]
fn clones_from_a_live_handle_race_drops_of_other_handles() {
    let threads = testkit::scale(4, 8, 2);
    let rounds = testkit::scale(2_000, 200_000, 20);
    testkit::watchdog(move || {
        let (pool, counts) = pool();
        let mut root = pool.get();
        thread::scope(|s| {
            for t in 0..threads {
                let (pool, root) = (&pool, &root);
                if t % 2 == 0 {
                    s.spawn(move || {
                        for i in 0..rounds {
                            let c = root.clone();
                            assert!(PoolRef::ptr_eq(&c, root));
                            if i % 64 == 0 {
                                assert!(!PoolRef::ptr_eq(&pool.get(), root));
                            }
                        }
                    });
                } else {
                    let given: Vec<_> = (0..rounds).map(|_| root.clone()).collect();
                    s.spawn(move || {
                        for (i, c) in given.into_iter().enumerate() {
                            drop(c);
                            if i % 64 == 0 {
                                assert!(!PoolRef::ptr_eq(&pool.get(), root));
                            }
                        }
                    });
                }
            }
        });
        assert_eq!(PoolRef::ref_count(&root), 1);
        assert!(PoolRef::get_mut(&mut root).is_some());
        let id = root.id;
        drop(root);
        assert_eq!(pool.get().id, id, "returned by the last drop");
        drop(pool);
        assert_eq!(counts.drops(), counts.news());
    });
}

/// A pool for the whole program, in a `static`.
static SHARED: LazyLock<RefPool<Obj>> = LazyLock::new(|| {
    let counts = Counts::default();
    RefPool::new(move || counts.make())
});

/// Handles from a `static` pool are `PoolRef<'static, _>`, so they can go
/// to `std::thread::spawn`, which scoped handles cannot. The clones die on
/// their threads; the first thread's handle is then unique again, and its
/// drop returns the object there.
#[test]
fn a_static_pool_gives_handles_that_spawned_threads_can_keep() {
    let readers = testkit::scale(4, 8, 2);
    testkit::watchdog(move || {
        let mut h: PoolRef<'static, Obj> = SHARED.get();
        let body = &mut PoolRef::get_mut(&mut h).unwrap().body;
        body.clear();
        body.push_str("static");
        let threads: Vec<_> = (0..readers)
            .map(|_| {
                let c = h.clone();
                thread::spawn(move || assert_eq!(c.body, "static"))
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        assert_eq!(PoolRef::ref_count(&h), 1);
        assert!(PoolRef::get_mut(&mut h).is_some());
        let at = addr(&h);
        drop(h);
        let next = SHARED.get();
        assert_eq!(addr(&next), at);
        assert_eq!(next.body, "static");
    });
}
