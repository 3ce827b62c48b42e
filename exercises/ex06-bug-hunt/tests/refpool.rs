//! What a correct `RefPool` must do: run against your exercise and,
//! unchanged, against the solution. Each test runs under the watchdog.
//!
//! Several tests need a call that lands inside the last `done`, after its
//! decrement took the count to zero and before it removed the count and
//! returned the object: `done_paused` runs their closure exactly there. In
//! a program, that call is another thread's, arriving at the wrong moment;
//! `tests/loom.rs` has such threads, and tries every order.
//!
//! An object is "returned to the pool" when the next `get` on the same
//! thread hands the same object out again (the same allocation:
//! `Arc::ptr_eq`), and "forgotten" when that `get` makes a new one.

#[cfg(workshop_solution)]
extern crate ex06_bug_hunt_solution as ex06_bug_hunt;

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Once};
use std::thread;

use ex06_bug_hunt::{ADD_AFTER_LAST_DONE, INCONSISTENCY, NEGATIVE_COUNT, RefPool, UNTRACKED};

/// How many objects the pool made, and how many were dropped.
#[derive(Clone, Default)]
struct Counts {
    made: Arc<AtomicUsize>,
    dropped: Arc<AtomicUsize>,
}

impl Counts {
    fn made(&self) -> usize {
        self.made.load(SeqCst)
    }

    fn dropped(&self) -> usize {
        self.dropped.load(SeqCst)
    }
}

/// A pooled object that counts its drops.
struct Obj {
    dropped: Arc<AtomicUsize>,
}

impl Drop for Obj {
    fn drop(&mut self) {
        self.dropped.fetch_add(1, SeqCst);
    }
}

/// A pool whose `new` is counted.
fn pool() -> (RefPool<Obj>, Counts) {
    let counts = Counts::default();
    let c = counts.clone();
    let pool = RefPool::new(move || {
        c.made.fetch_add(1, SeqCst);
        Obj {
            dropped: Arc::clone(&c.dropped),
        }
    });
    (pool, counts)
}

thread_local! {
    /// Set while `outcome` runs a call that may panic on purpose.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Keeps the panics that `outcome` expects (the pool's own texts) out of
/// the output; every other panic is printed as usual.
fn quiet_expected_panics() {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let texts = [
                UNTRACKED,
                INCONSISTENCY,
                NEGATIVE_COUNT,
                ADD_AFTER_LAST_DONE,
            ];
            let expected = CATCHING.with(Cell::get)
                && texts.contains(&testkit::panic_message(info.payload()).as_str());
            if !expected {
                default(info);
            }
        }));
    });
}

/// Runs `f` and returns its panic message, or `None` if it returned.
fn outcome(f: impl FnOnce()) -> Option<String> {
    quiet_expected_panics();
    CATCHING.with(|c| c.set(true));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|c| c.set(false));
    result.err().map(|p| testkit::panic_message(&*p))
}

// --- What works already -----------------------------------------------------

#[test]
fn get_hands_out_an_object_held_once() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        assert_eq!(
            pool.count(&x),
            Some(1),
            "a fresh object has one holder: the caller of get"
        );
        pool.done(&x);
        assert_eq!(
            pool.count(&x),
            None,
            "after its last done the pool no longer counts the object"
        );
        let y = pool.get();
        assert!(
            Arc::ptr_eq(&x, &y),
            "the last done returns the object to the pool, and the next get hands it out again"
        );
        assert_eq!(counts.made(), 1);
        pool.done(&y);
    });
}

#[test]
fn the_last_of_three_holders_returns_the_object() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.add(&x);
        pool.add(&x);
        assert_eq!(pool.count(&x), Some(3), "get, then two adds: three holders");
        pool.done(&x);
        pool.done(&x);
        assert_eq!(pool.count(&x), Some(1), "two of three holders are done");
        let other = pool.get();
        assert!(
            !Arc::ptr_eq(&x, &other),
            "the object was handed out again while one holder still holds it"
        );
        pool.done(&x);
        assert_eq!(pool.count(&x), None);
        let again = pool.get();
        assert!(
            Arc::ptr_eq(&x, &again),
            "the last of three holders' done must return the object to the pool"
        );
        assert_eq!(counts.made(), 2);
        pool.done(&again);
        pool.done(&other);
    });
}

#[test]
fn objects_the_pool_does_not_count_are_refused() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let stranger = Arc::new(Obj {
            dropped: Arc::clone(&counts.dropped),
        });
        for (what, msg) in [
            ("add", outcome(|| pool.add(&stranger))),
            ("done", outcome(|| pool.done(&stranger))),
            ("untrack", outcome(|| pool.untrack(&stranger))),
        ] {
            assert_eq!(
                msg.as_deref(),
                Some(UNTRACKED),
                "{what} of an object the pool never handed out"
            );
        }
        let x = pool.get();
        pool.done(&x);
        for (what, msg) in [
            ("add", outcome(|| pool.add(&x))),
            ("done", outcome(|| pool.done(&x))),
            ("untrack", outcome(|| pool.untrack(&x))),
        ] {
            assert_eq!(
                msg.as_deref(),
                Some(UNTRACKED),
                "{what} of an object already returned to the pool"
            );
        }
        let y = pool.get();
        assert!(
            Arc::ptr_eq(&x, &y),
            "a refused call changed what the pool holds"
        );
        assert_eq!(pool.count(&y), Some(1));
        pool.done(&y);
    });
}

#[test]
fn holders_on_many_threads_are_counted_exactly() {
    let rounds = testkit::scale(2_000, 50_000, 50);
    testkit::watchdog(move || {
        let (pool, counts) = pool();
        let x = pool.get();
        thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..rounds {
                        // We hold `x` (once, for all four threads) throughout,
                        // so no count here ever reaches zero.
                        pool.add(&x);
                        pool.add(&x);
                        pool.done(&x);
                        pool.done(&x);
                    }
                });
            }
        });
        assert_eq!(
            pool.count(&x),
            Some(1),
            "adds and dones in pairs, on four threads at once, must leave the count where it was"
        );
        pool.done(&x);
        assert!(Arc::ptr_eq(&x, &pool.get()));
        assert_eq!(counts.made(), 1);
    });
}

#[test]
fn every_object_is_dropped_once() {
    testkit::watchdog(|| {
        let counts = {
            let (pool, counts) = pool();
            let a = pool.get();
            let b = pool.get();
            pool.add(&a);
            pool.done(&a);
            pool.done(&a);
            assert_eq!(
                outcome(|| pool.untrack(&b)),
                None,
                "untrack by the object's only holder panicked"
            );
            drop(b);
            let c = pool.get();
            assert!(Arc::ptr_eq(&a, &c));
            pool.done(&c);
            counts
        };
        assert_eq!(
            counts.dropped(),
            counts.made(),
            "every object the pool made must be dropped once, when the pool and its users are gone"
        );
    });
}

// --- Untrack ------------------------------------------------------------------

#[test]
fn untrack_by_the_only_holder_forgets_the_object() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.untrack(&x);
        assert_eq!(
            pool.count(&x),
            None,
            "an object untracked by its only holder is no longer counted"
        );
        let y = pool.get();
        assert!(
            !Arc::ptr_eq(&x, &y),
            "an untracked object is its holder's now: it must not come back from the pool"
        );
        assert_eq!(counts.made(), 2);
        assert_eq!(counts.dropped(), 0, "the holder still has it");
        pool.done(&y);
    });
}

#[test]
fn untrack_by_one_of_two_holders_leaves_the_other_counted() {
    testkit::watchdog(|| {
        let (pool, _) = pool();
        let x = pool.get();
        pool.add(&x); // for a second holder, a task say
        let msg = outcome(|| pool.untrack(&x));
        assert_eq!(msg, None, "untrack by one of two holders panicked");
        assert_eq!(
            pool.count(&x),
            Some(1),
            "one of two holders untracked the object; the other still holds it and will call \
             done, so the pool must still count it, once"
        );
        let msg = outcome(|| pool.done(&x));
        assert_eq!(
            msg, None,
            "the other holder's done panicked: the untrack gave up more than its own caller's \
             reference"
        );
        assert_eq!(pool.count(&x), None, "that done was the last");
        let y = pool.get();
        assert!(
            !Arc::ptr_eq(&x, &y),
            "the object came back from the pool although one of its holders untracked it (and \
             still uses it): the last done returned it"
        );
        pool.done(&y);
    });
}

#[test]
fn untrack_and_done_by_three_holders_in_any_order() {
    testkit::watchdog(|| {
        for order in ["uud", "udu", "duu", "ddu", "dud", "udd"] {
            let (pool, _) = pool();
            let x = pool.get();
            pool.add(&x);
            pool.add(&x);
            for (i, step) in order.chars().enumerate() {
                let msg = match step {
                    'u' => outcome(|| pool.untrack(&x)),
                    _ => outcome(|| pool.done(&x)),
                };
                assert_eq!(msg, None, "order {order}: step {i} ({step}) panicked");
                let left = 2 - i as i32;
                assert_eq!(
                    pool.count(&x),
                    (left > 0).then_some(left),
                    "order {order}: after step {i} ({step}), {left} holders are left"
                );
            }
            assert!(
                !Arc::ptr_eq(&x, &pool.get()),
                "order {order}: an object that one holder untracked came back from the pool"
            );
        }
    });
}

// --- Calls that land inside the last done -------------------------------------

#[test]
fn a_late_add_in_the_last_dones_window_is_refused() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.done_paused(&x, || {
            // The last done has taken the count to zero, and is about to
            // return `x` to the pool.
            let late = outcome(|| pool.add(&x));
            assert_eq!(
                late.as_deref(),
                Some(ADD_AFTER_LAST_DONE),
                "an add that came after the last done had taken the count to zero returned \
                 normally: that done goes on to return the object to the pool, and the adder, \
                 who believes it holds a reference, holds an object the next get hands out"
            );
            assert_eq!(
                pool.count(&x),
                Some(0),
                "a refused add still changed the count"
            );
        });
        assert_eq!(pool.count(&x), None);
        let next = pool.get();
        assert!(
            Arc::ptr_eq(&x, &next),
            "the last done must still return the object after refusing the late add"
        );
        assert_eq!(counts.made(), 1);
        pool.done(&next);
    });
}

#[test]
fn a_done_with_no_reference_left_is_refused() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.done_paused(&x, || {
            // The count is zero: nobody holds `x` any more.
            let extra = outcome(|| pool.done(&x));
            let count = pool.count(&x);
            assert_eq!(
                extra.as_deref(),
                Some(NEGATIVE_COUNT),
                "a done with no reference left to give up (the last done had already taken the \
                 count to zero) returned normally; the count now reads {count:?}, below zero, \
                 and nothing noticed"
            );
            assert_eq!(
                count,
                Some(0),
                "a refused done still changed the count: it reads {count:?}, where the last \
                 done left 0"
            );
        });
        assert_eq!(pool.count(&x), None);
        let a = pool.get();
        let b = pool.get();
        assert!(
            Arc::ptr_eq(&x, &a),
            "the last done must still return the object after refusing the extra done"
        );
        assert!(!Arc::ptr_eq(&x, &b), "the object went into the pool twice");
        assert_eq!(counts.made(), 2);
        pool.done(&a);
        pool.done(&b);
    });
}

#[test]
fn an_untrack_with_no_reference_left_is_refused() {
    testkit::watchdog(|| {
        let (pool, counts) = pool();
        let x = pool.get();
        pool.done_paused(&x, || {
            let late = outcome(|| pool.untrack(&x));
            assert_eq!(
                late.as_deref(),
                Some(NEGATIVE_COUNT),
                "an untrack with no reference left to give up (the last done had already taken \
                 the count to zero) returned normally: it took the count away from under that \
                 done, which then finds no count to remove (the article's \"inconsistency\")"
            );
            assert_eq!(
                pool.count(&x),
                Some(0),
                "a refused untrack still changed the count"
            );
        });
        assert_eq!(pool.count(&x), None);
        let next = pool.get();
        assert!(
            Arc::ptr_eq(&x, &next),
            "a refused untrack still kept the object out of the pool: the last done forgot it \
             instead of returning it"
        );
        assert_eq!(counts.made(), 1);
        pool.done(&next);
    });
}
