//! The fixed map-keyed pool, [`tracked::RefPool`]: its counts, its
//! `untrack`, its first improvement (`adopting`) and that improvement's
//! cost, and that every object it makes is dropped exactly once.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};
use std::thread;

use ch06_refpool::tracked::{self, RefPool};

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
fn panic_of(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    testkit::panic_message(&*payload)
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

/// `get` starts a count at one holder; each `add` is one more, each `done`
/// one fewer; the last `done` untracks the object.
#[test]
fn get_counts_one_holder_and_add_and_done_count_the_others() {
    let (pool, _) = pool();
    let x = pool.get();
    assert_eq!(pool.count(&x), Some(1));
    pool.add(&x);
    pool.add(&x);
    assert_eq!(pool.count(&x), Some(3));
    pool.done(&x);
    assert_eq!(pool.count(&x), Some(2));
    pool.done(&x);
    assert_eq!(pool.count(&x), Some(1));
    assert!(!pool.is_detached(&x));
    pool.done(&x);
    assert_eq!(pool.count(&x), None);
}

/// The last `done` returns the object: the next `get` hands out the same
/// allocation, with a fresh count, and the pool makes no new one.
#[test]
fn the_last_done_returns_the_object_and_the_next_get_reuses_it() {
    let (pool, counts) = pool();
    let x = pool.get();
    pool.add(&x);
    pool.done(&x);
    pool.done(&x);
    let y = pool.get();
    assert!(Arc::ptr_eq(&x, &y));
    assert_eq!(pool.count(&y), Some(1));
    assert_eq!(counts.news(), 1);
}

/// A `done` that is not the last keeps the object out of the pool: a `get`
/// meanwhile makes a new object rather than share the held one.
#[test]
fn a_done_that_is_not_the_last_keeps_the_object_out_of_the_pool() {
    let (pool, counts) = pool();
    let x = pool.get();
    pool.add(&x);
    pool.done(&x);
    let y = pool.get();
    assert!(!Arc::ptr_eq(&x, &y));
    assert_eq!(counts.news(), 2);
}

/// Without `adopting`, the article's rule holds: `add`, `done` and
/// `untrack` of an object `get` did not hand out panic "untracked object".
#[test]
fn add_done_and_untrack_of_an_object_the_pool_never_gave_panic_untracked() {
    let (pool, counts) = pool();
    let outside = Arc::new(counts.make());
    assert_eq!(panic_of(|| pool.add(&outside)), tracked::UNTRACKED);
    assert_eq!(panic_of(|| pool.done(&outside)), tracked::UNTRACKED);
    assert_eq!(panic_of(|| pool.untrack(&outside)), tracked::UNTRACKED);
    assert_eq!(pool.count(&outside), None);
}

/// `untrack` by the only holder forgets the object at once: the caller
/// keeps it as its own, the pool no longer knows it, and the next `get`
/// makes a new one.
#[test]
fn untrack_by_the_only_holder_forgets_the_object_and_the_caller_keeps_it() {
    let (pool, counts) = pool();
    let x = pool.get();
    x.body.lock().unwrap().push_str("kept");
    pool.untrack(&x);
    assert_eq!(pool.count(&x), None);
    assert!(!pool.is_detached(&x), "forgotten, not merely detached");
    assert_eq!(panic_of(|| pool.done(&x)), tracked::UNTRACKED);
    let y = pool.get();
    assert!(!Arc::ptr_eq(&x, &y));
    assert_eq!(counts.news(), 2);
    assert_eq!(*x.body.lock().unwrap(), "kept");
}

/// `untrack` while others hold the object gives up the caller's reference
/// only and marks the object: the others' `done`s work, and the last one
/// forgets it instead of pooling it.
#[test]
fn untrack_while_shared_lets_the_others_finish_and_the_last_done_forgets_it() {
    let (pool, counts) = pool();
    let x = pool.get();
    pool.add(&x);
    pool.add(&x);
    pool.untrack(&x);
    assert_eq!(pool.count(&x), Some(2));
    assert!(pool.is_detached(&x));
    pool.add(&x); // a holder may still share it
    assert_eq!(pool.count(&x), Some(3));
    pool.done(&x);
    pool.done(&x);
    assert!(pool.is_detached(&x));
    pool.done(&x);
    assert_eq!(pool.count(&x), None);
    let y = pool.get();
    assert!(!Arc::ptr_eq(&x, &y));
    assert_eq!(counts.news(), 2);
}

/// Every holder may `untrack` instead of `done`: each gives up one
/// reference, and the last forgets the object.
#[test]
fn every_holder_may_untrack_and_the_last_forgets_the_object() {
    let (pool, counts) = pool();
    let x = pool.get();
    pool.add(&x);
    pool.untrack(&x);
    assert_eq!(pool.count(&x), Some(1));
    pool.untrack(&x);
    assert_eq!(pool.count(&x), None);
    assert!(!Arc::ptr_eq(&x, &pool.get()));
    assert_eq!(counts.news(), 2);
}

/// `adopting`: `add` on an object made outside the pool starts tracking
/// it at two (its maker and the new holder); when both are done it goes
/// into the pool like any other, and `get` hands it out.
#[test]
fn adopting_add_on_an_outside_object_starts_it_at_two_and_pools_it() {
    let (pool, counts) = adopting();
    let outside = Arc::new(counts.make());
    pool.add(&outside);
    assert_eq!(pool.count(&outside), Some(2));
    pool.done(&outside);
    assert_eq!(pool.count(&outside), Some(1));
    pool.done(&outside);
    assert_eq!(pool.count(&outside), None);
    let x = pool.get();
    assert!(Arc::ptr_eq(&x, &outside));
    assert_eq!(pool.count(&x), Some(1));
    assert_eq!(counts.news(), 1, "the pool's new was never called");
}

/// `adopting`: `done` on an object made outside the pool gives it to the
/// pool (its maker was its only holder).
#[test]
fn adopting_done_on_an_outside_object_gives_it_to_the_pool() {
    let (pool, counts) = adopting();
    let outside = Arc::new(counts.make());
    outside.body.lock().unwrap().push_str("made outside");
    pool.done(&outside);
    let x = pool.get();
    assert!(Arc::ptr_eq(&x, &outside));
    assert_eq!(*x.body.lock().unwrap(), "made outside");
    assert_eq!(counts.news(), 1);
}

/// `adopting`: `untrack` on an object made outside the pool does nothing:
/// it was never the pool's.
#[test]
fn adopting_untrack_on_an_outside_object_does_nothing() {
    let (pool, counts) = adopting();
    let outside = Arc::new(counts.make());
    pool.untrack(&outside);
    assert_eq!(pool.count(&outside), None);
    let x = pool.get();
    assert!(!Arc::ptr_eq(&x, &outside));
    assert_eq!(counts.news(), 2);
}

/// `adopting` still counts the objects it hands out, as `new` does.
#[test]
fn adopting_counts_the_objects_it_gives_out() {
    let (pool, counts) = adopting();
    let x = pool.get();
    pool.add(&x);
    assert_eq!(pool.count(&x), Some(2));
    pool.untrack(&x);
    assert!(pool.is_detached(&x));
    pool.done(&x);
    assert_eq!(pool.count(&x), None);
    assert!(!Arc::ptr_eq(&x, &pool.get()), "untracked, so not pooled");
    assert_eq!(counts.news(), 2);
}

/// The cost of `adopting`: a stale second `done` after the object went
/// back looks like a `done` on an outside object, so it is not caught and
/// pools the object a second time. The next `get` hands it out; the one
/// after takes the same object again, and only `get`'s sanity check stops
/// it from reaching a second user.
#[test]
fn adopting_misses_a_stale_done_and_pools_the_object_twice() {
    let (pool, counts) = adopting();
    let x = pool.get();
    pool.done(&x);
    pool.done(&x); // stale: not caught
    let a = pool.get();
    assert!(Arc::ptr_eq(&a, &x));
    let msg = panic_of(|| {
        pool.get();
    });
    assert_eq!(msg, tracked::INCONSISTENCY, "the same object, pooled twice");
    assert_eq!(counts.news(), 1);
}

/// Without `adopting`, the same stale `done` panics "untracked object"
/// and the object is pooled once.
#[test]
fn without_adopting_a_stale_done_panics_untracked() {
    let (pool, counts) = pool();
    let x = pool.get();
    pool.done(&x);
    assert_eq!(panic_of(|| pool.done(&x)), tracked::UNTRACKED);
    assert!(Arc::ptr_eq(&pool.get(), &x));
    assert!(!Arc::ptr_eq(&pool.get(), &x));
    assert_eq!(counts.news(), 2);
}

/// Every object the pool makes is dropped exactly once, whatever happened
/// to it: returned, untracked, held by the caller, or left with a holder
/// that forgot its `done`. None of those the caller or a forgotten holder
/// still owns is dropped early, and dropping the pool drops the rest.
#[test]
fn every_object_is_dropped_exactly_once_after_the_pool_drops() {
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
    // Held by the caller or by a forgotten holder's entry: still alive.
    let forgotten = (0..rounds).filter(|i| i % 4 == 3).count();
    assert!(counts.news() - counts.drops() >= kept.len() + forgotten);
    drop(kept);
    drop(pool);
    assert_eq!(counts.drops(), counts.news());
}

/// Owners on several threads each get an object and share it with helper
/// threads (`add` before each helper starts, `done` when it ends), while
/// another thread rotates the pool. Every helper reads what its owner
/// wrote (no object is reused while held), and once the pool is dropped
/// every object made has been dropped exactly once.
#[test]
fn owners_sharing_objects_with_helpers_while_the_pool_rotates_drop_each_once() {
    let owners = testkit::scale(4, 8, 2);
    let helpers = testkit::scale(3, 4, 2);
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
                            let x = pool.get();
                            let mine = format!("owner {o} round {r}");
                            *x.body.lock().unwrap() = mine.clone();
                            thread::scope(|h| {
                                for _ in 0..helpers {
                                    pool.add(&x);
                                    let (x, mine) = (Arc::clone(&x), &mine);
                                    h.spawn(move || {
                                        assert_eq!(*x.body.lock().unwrap(), *mine);
                                        pool.done(&x);
                                    });
                                }
                                pool.done(&x);
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
        assert!(counts.news() >= 1);
        drop(pool);
        assert_eq!(counts.drops(), counts.news());
    });
}

/// With `adopting`, threads feed the pool objects made outside it (by
/// `done`, or `add` and two `done`s) while others take and return the
/// pool's own, and one rotates it: each object, made inside or outside,
/// is dropped exactly once after the pool drops.
#[test]
fn adopted_objects_from_many_threads_drop_each_once() {
    let threads = testkit::scale(4, 8, 2);
    let rounds = testkit::scale(200, 5_000, 4);
    testkit::watchdog(move || {
        let (pool, counts) = adopting();
        let stop = AtomicBool::new(false);
        thread::scope(|s| {
            let gc = collector(s, &pool, &stop);
            let workers: Vec<_> = (0..threads)
                .map(|t| {
                    let (pool, counts) = (&pool, &counts);
                    s.spawn(move || {
                        for r in 0..rounds {
                            if t % 2 == 0 {
                                let outside = Arc::new(counts.make());
                                if r % 2 == 0 {
                                    pool.done(&outside);
                                } else {
                                    pool.add(&outside);
                                    pool.done(&outside);
                                    pool.done(&outside);
                                }
                            } else {
                                let x = pool.get();
                                assert_eq!(pool.count(&x), Some(1));
                                pool.done(&x);
                            }
                        }
                    })
                })
                .collect();
            for w in workers {
                w.join().unwrap();
            }
            stop.store(true, SeqCst);
            gc.join().unwrap();
        });
        drop(pool);
        assert_eq!(counts.drops(), counts.news());
    });
}
