//! The fixed map-keyed pool's counts, its `done` and its `untrack`, run
//! against your exercise and, unchanged, against the solution (the
//! chapter's `ch06_refpool::tracked`): counting, the last `done`, `untrack`
//! by the only holder and while the object is shared, the panics and their
//! exact messages, and that every object is dropped exactly once, on one
//! thread and on several.
//!
//! Two of the panics, [`ADD_AFTER_LAST_DONE`] and [`NEGATIVE_COUNT`], need a
//! race to reach: an `add` or an extra `done` that found the count just
//! before the last `done` took it to zero (once it is zero, the count leaves
//! the map, and a later call finds nothing: [`UNTRACKED`]). The loom models
//! in `tests/loom.rs` run those races in every order.

#[cfg(workshop_solution)]
extern crate ex06_untrack_solution as ex06_untrack;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;

use ex06_untrack::{ADD_AFTER_LAST_DONE, NEGATIVE_COUNT, RefPool, UNTRACKED};

/// How many objects a pool's `new` made (or a test made outside it), and
/// how many were dropped.
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

    /// A new object, counted.
    fn make(&self) -> Obj {
        self.news.fetch_add(1, SeqCst);
        Obj {
            body: Mutex::new(String::new()),
            drops: Arc::clone(&self.drops),
        }
    }
}

/// A pooled object that counts its drops.
struct Obj {
    body: Mutex<String>,
    drops: Arc<AtomicUsize>,
}

impl Drop for Obj {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A pool that does not adopt, and its counts.
fn pool() -> (RefPool<Obj>, Counts) {
    let counts = Counts::default();
    let make = counts.clone();
    (RefPool::new(move || make.make()), counts)
}

/// An adopting pool, and its counts.
fn adopting() -> (RefPool<Obj>, Counts) {
    let counts = Counts::default();
    let make = counts.clone();
    (RefPool::adopting(move || make.make()), counts)
}

/// Runs `f`, which must panic, and returns its panic message.
fn panic_of(what: &str, f: impl FnOnce()) -> String {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => panic!("{what} must panic, and returned"),
        Err(payload) => testkit::panic_message(&*payload),
    }
}

/// Runs `f`, which must not panic; if it does, fails saying `what`.
fn must_not_panic(what: &str, f: impl FnOnce()) {
    if let Err(payload) = catch_unwind(AssertUnwindSafe(f)) {
        panic!("{what} panicked: {:?}", testkit::panic_message(&*payload));
    }
}

/// `get` starts a count at one holder; each `add` is one more, each `done`
/// one fewer; the last `done` removes the count.
#[test]
fn get_counts_one_holder_and_add_and_done_count_the_others() {
    testkit::watchdog(|| {
        let (pool, _) = pool();
        let x = pool.get();
        assert_eq!(pool.count(&x), Some(1));
        pool.add(&x);
        pool.add(&x);
        assert_eq!(pool.count(&x), Some(3), "each add is one more holder");
        pool.done(&x);
        assert_eq!(pool.count(&x), Some(2), "each done is one holder fewer");
        pool.done(&x);
        assert_eq!(pool.count(&x), Some(1));
        assert!(!pool.is_detached(&x), "nobody untracked the object");
        pool.done(&x);
        assert_eq!(
            pool.count(&x),
            None,
            "the last done must remove the object's count from the map"
        );
    });
}

/// The last `done` returns the object: the next `get` hands out the same
/// allocation, with a fresh count, and the pool makes no new one.
#[test]
fn the_last_done_returns_the_object_and_the_next_get_reuses_it() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.add(&x);
        pool.done(&x);
        pool.done(&x);
        let y = pool.get();
        assert!(
            Arc::ptr_eq(&x, &y),
            "the next get made a new object: the last done did not return the old one"
        );
        assert_eq!(pool.count(&y), Some(1), "a reused object starts afresh");
        assert_eq!(counts.news(), 1);
    });
}

/// A `done` that is not the last keeps the object out of the pool: a `get`
/// meanwhile makes a new object rather than share the held one.
#[test]
fn a_done_that_is_not_the_last_keeps_the_object_out_of_the_pool() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.add(&x);
        pool.done(&x);
        let y = pool.get();
        assert!(
            !Arc::ptr_eq(&x, &y),
            "a get handed out an object another holder still holds"
        );
        assert_eq!(
            counts.news(),
            2,
            "a get handed out an object another holder still holds"
        );
        assert_eq!(pool.count(&x), Some(1));
    });
}

/// `untrack` by the only holder gives up its reference: the count is gone
/// at once, the caller keeps the object as its own, and the pool never
/// hands it out again.
#[test]
fn untrack_by_the_only_holder_forgets_the_object_and_the_caller_keeps_it() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        *x.body.lock().unwrap() = "mine".into();
        pool.untrack(&x);
        assert_eq!(
            pool.count(&x),
            None,
            "untrack by the only holder gives up the last reference: the count must go"
        );
        assert!(
            !pool.is_detached(&x),
            "an object no longer tracked is not 'detached'"
        );
        for _ in 0..4 {
            let y = pool.get();
            assert!(
                !Arc::ptr_eq(&x, &y),
                "the untracked object came back from the pool"
            );
            pool.done(&y);
        }
        assert_eq!(
            counts.news(),
            2,
            "the untracked object came back from the pool"
        );
        assert_eq!(
            *x.body.lock().unwrap(),
            "mine",
            "the caller keeps the object"
        );
        assert_eq!(counts.drops(), 0, "the caller's object was dropped");
    });
}

/// `untrack` while the object is shared gives up the caller's reference
/// only: the other holders' `done` still work, the mark survives each of
/// them, and the last one forgets the object instead of pooling it. The
/// object never comes back from the pool: every later `get` makes or
/// reuses another.
#[test]
fn untrack_while_shared_lets_the_others_finish_and_the_last_done_forgets_it() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.add(&x);
        pool.add(&x);
        pool.untrack(&x);
        assert_eq!(
            pool.count(&x),
            Some(2),
            "untrack gives up the caller's reference: one holder fewer"
        );
        assert!(
            pool.is_detached(&x),
            "an untracked shared object is detached"
        );
        must_not_panic("another holder's done after an untrack", || pool.done(&x));
        assert_eq!(
            pool.count(&x),
            Some(1),
            "one holder left after the untrack and a done"
        );
        assert!(
            pool.is_detached(&x),
            "a done lost the detached mark that an earlier untrack set"
        );
        must_not_panic("the last holder's done after an untrack", || pool.done(&x));
        assert_eq!(
            pool.count(&x),
            None,
            "the last done must remove the count of an untracked object too"
        );
        for _ in 0..4 {
            let y = pool.get();
            assert!(
                !Arc::ptr_eq(&x, &y),
                "the untracked object came back from the pool"
            );
            pool.done(&y);
        }
        assert_eq!(
            counts.news(),
            2,
            "the untracked object came back from the pool (or a returned one was lost)"
        );
        assert_eq!(
            counts.drops(),
            0,
            "the caller still holds the untracked object"
        );
    });
}

/// Every holder may untrack instead of `done`: the last one forgets.
#[test]
fn every_holder_may_untrack_and_the_last_forgets_the_object() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.add(&x);
        must_not_panic("an untrack after another's untrack", || {
            pool.untrack(&x);
            pool.untrack(&x);
        });
        assert_eq!(pool.count(&x), None);
        let y = pool.get();
        assert!(
            !Arc::ptr_eq(&x, &y),
            "the untracked object came back from the pool"
        );
        assert_eq!(
            counts.news(),
            2,
            "the untracked object came back from the pool"
        );
    });
}

/// `add`, `done` and `untrack` of an object the pool never gave, or of one
/// whose last reference is gone, panic with the article's text; so does a
/// second `done` after the last. Nothing is counted by the failed call.
#[test]
fn calls_on_an_object_the_pool_does_not_track_panic_untracked() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let stranger = Arc::new(counts.make());
        assert_eq!(
            panic_of("add of a stranger", || pool.add(&stranger)),
            UNTRACKED
        );
        assert_eq!(
            panic_of("done of a stranger", || pool.done(&stranger)),
            UNTRACKED
        );
        assert_eq!(
            panic_of("untrack of a stranger", || pool.untrack(&stranger)),
            UNTRACKED
        );
        let x = pool.get();
        pool.done(&x);
        assert_eq!(
            panic_of("a done after the last done", || pool.done(&x)),
            UNTRACKED,
            "the last done must remove the count: a later done finds nothing"
        );
        assert_eq!(
            panic_of("an add after the last done", || pool.add(&x)),
            UNTRACKED
        );
        assert_eq!(
            panic_of("an untrack after the last done", || pool.untrack(&x)),
            UNTRACKED
        );
        let y = pool.get();
        pool.untrack(&y);
        assert_eq!(
            panic_of("a done after the only holder's untrack", || pool.done(&y)),
            UNTRACKED
        );
        // The pool is still usable, and counted nothing for the failures.
        let z = pool.get();
        assert_eq!(pool.count(&z), Some(1));
        // The messages the counter panics with are distinct from these.
        assert_ne!(ADD_AFTER_LAST_DONE, UNTRACKED);
        assert_ne!(NEGATIVE_COUNT, UNTRACKED);
    });
}

/// The adopting pool: `done` of an outside object gives it to the pool,
/// `add` starts counting it at two, `untrack` does nothing.
#[test]
fn adopting_takes_outside_objects() {
    testkit::watchdog(|| {
        let (pool, counts) = adopting();
        let outside = Arc::new(counts.make());
        pool.done(&outside);
        let x = pool.get();
        assert!(
            Arc::ptr_eq(&outside, &x),
            "done of an outside object gives it to the pool"
        );
        pool.done(&x);
        let other = Arc::new(counts.make());
        pool.untrack(&other);
        assert_eq!(
            pool.count(&other),
            None,
            "untrack of an outside object does nothing"
        );
        pool.add(&other);
        assert_eq!(
            pool.count(&other),
            Some(2),
            "add of an outside object counts the caller and the new holder"
        );
        pool.done(&other);
        assert_eq!(pool.count(&other), Some(1), "a done that is not the last");
        pool.done(&other);
        assert_eq!(
            pool.count(&other),
            None,
            "the last done must remove the object's count from the map"
        );
    });
}

/// Every object the pool makes is dropped exactly once, whatever happened
/// to it: returned, untracked while shared, untracked by every holder and
/// kept by the caller, or left with a holder that forgot its `done`.
#[test]
fn every_object_is_dropped_exactly_once_after_the_pool_drops() {
    testkit::watchdog(|| {
        let rounds = testkit::scale(200, 2_000, 20);
        let (pool, counts) = pool();
        let mut kept = Vec::new();
        for i in 0..rounds {
            let x = pool.get();
            let y = pool.get();
            pool.add(&x);
            pool.done(&y);
            match i % 4 {
                0 => {
                    pool.done(&x);
                    pool.done(&x);
                }
                1 => {
                    pool.untrack(&x);
                    pool.done(&x);
                }
                2 => {
                    pool.untrack(&x);
                    pool.untrack(&x);
                    kept.push(x); // the caller's own now
                }
                _ => drop(x), // two forgotten dones
            }
            if i % 8 == 0 {
                pool.gc();
            }
        }
        let forgotten = (0..rounds).filter(|i| i % 4 == 3).count();
        assert!(
            counts.news() - counts.drops() >= kept.len() + forgotten,
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

/// Owners on several threads each get an object, write it and share it
/// with helper threads (`add` before each helper starts, `done` when it
/// ends); every third owner untracks its object while the helpers still
/// hold it; another thread rotates the pool. Every helper reads what its
/// owner wrote (no object is reused while held), no untracked object comes
/// back, and once the pool is dropped every object has been dropped once.
#[test]
fn owners_sharing_and_untracking_on_many_threads_drop_each_object_once() {
    let owners = testkit::scale(3, 8, 2);
    let helpers = testkit::scale(3, 4, 2);
    let rounds = testkit::scale(100, 2_000, 3);
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
                        let mut untracked = Vec::new();
                        for r in 0..rounds {
                            let x = pool.get();
                            assert!(
                                !untracked.iter().any(|u| Arc::ptr_eq(u, &x)),
                                "an untracked object came back from the pool"
                            );
                            let mine = format!("owner {o} round {r}");
                            *x.body.lock().unwrap() = mine.clone();
                            thread::scope(|h| {
                                for _ in 0..helpers {
                                    pool.add(&x);
                                    let (x, mine) = (Arc::clone(&x), &mine);
                                    h.spawn(move || {
                                        assert_eq!(
                                            *x.body.lock().unwrap(),
                                            *mine,
                                            "a helper read another owner's object: it was \
                                             reused while held"
                                        );
                                        pool.done(&x);
                                    });
                                }
                                if r % 3 == 0 {
                                    pool.untrack(&x);
                                } else {
                                    pool.done(&x);
                                }
                            });
                            if r % 3 == 0 {
                                untracked.push(x);
                            }
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
        drop(pool);
        assert_eq!(
            counts.drops(),
            counts.news(),
            "objects lost or dropped twice"
        );
    });
}
