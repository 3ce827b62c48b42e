//! Loom models: a second thread's call racing the last `done`, in every
//! order loom can find. The tests in `tests/refpool.rs` put such a call in
//! one place, inside `done`'s pause; here nobody chooses the place, so a
//! fix that closes only that one place is caught too.
//!
//! The whole pool runs under loom: its counter, the map (`ch03_map::Map`)
//! and the pool (`ch05_pool::Pool`). Each thread calls [`Step::step`]
//! before its racing call: loom 0.7 remembers only the last access to each
//! atomic, and every pool call starts with the same loads of the map, so
//! without a step of their own to order the two threads by, loom would try
//! one order only (tokio-rs/loom#166; chapter 3's loom models explain it).
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex06-bug-hunt --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex06_bug_hunt_solution as ex06_bug_hunt;

use std::cell::Cell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Once;

use ex06_bug_hunt::{ADD_AFTER_LAST_DONE, INCONSISTENCY, NEGATIVE_COUNT, RefPool, UNTRACKED};
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use loom::thread;

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

std::thread_local! {
    /// Set while `outcome` runs a call that may panic on purpose.
    static CATCHING: Cell<bool> = const { Cell::new(false) };
}

/// Keeps the panics that `outcome` expects (the pool's own texts) out of
/// the output, which would otherwise print them once per execution.
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

/// A pool of numbers; objects are `std::sync::Arc<u64>`.
fn pool() -> Arc<RefPool<u64>> {
    Arc::new(RefPool::new(|| 0))
}

/// A point where loom tries both orders of the threads: a `Relaxed`
/// read-modify-write of one counter, which conflicts with the other
/// thread's and orders no memory.
#[derive(Clone)]
struct Step(Arc<AtomicUsize>);

impl Step {
    fn new() -> Self {
        Self(Arc::new(AtomicUsize::new(0)))
    }

    fn step(&self) {
        self.0.fetch_add(1, Relaxed);
    }
}

/// The only holder's `done` races a late `add` on another thread. Either
/// the add comes first, and counts (the adder holds the object, and its own
/// `done` returns it), or it comes after the count reached zero, and is
/// refused. It may never return normally and leave the object uncounted:
/// the pool would hand it to the next `get` while the adder holds it.
///
/// The floor on executions is well below the reference solution's (about a
/// hundred): correct fixes take fewer steps (a learner's explored 71).
#[test]
fn a_late_add_racing_the_last_done() {
    model("a_late_add_racing_the_last_done", 40, || {
        let pool = pool();
        let x = pool.get();
        let step = Step::new();
        let adder = {
            let (pool, x, step) = (Arc::clone(&pool), std::sync::Arc::clone(&x), step.clone());
            thread::spawn(move || {
                step.step();
                outcome(|| pool.add(&x))
            })
        };
        step.step();
        pool.done(&x);
        match adder.join().unwrap().as_deref() {
            None => {
                assert_eq!(
                    pool.count(&x),
                    Some(1),
                    "an add that raced the last done returned normally, but the pool no longer \
                     counts the object: it went back to the pool while the adder holds it"
                );
                pool.done(&x);
            }
            Some(m) if m == UNTRACKED || m == ADD_AFTER_LAST_DONE => {}
            Some(other) => panic!("the late add panicked with an unexpected text: {other}"),
        }
        assert_eq!(pool.count(&x), None);
        let again = pool.get();
        assert!(
            std::sync::Arc::ptr_eq(&x, &again),
            "the object did not go back to the pool"
        );
        assert!(
            !std::sync::Arc::ptr_eq(&x, &pool.get()),
            "the object went back to the pool twice"
        );
    });
}

/// Two holders: one untracks the object on another thread while the other
/// calls `done`. Whichever gives up the last reference, the object must
/// not return to the pool: the untrack's mark must be there for the last
/// `done` to see, in every order.
#[test]
fn an_untrack_racing_the_other_holders_done() {
    model("an_untrack_racing_the_other_holders_done", 5, || {
        let pool = pool();
        let x = pool.get();
        pool.add(&x);
        let step = Step::new();
        let untracker = {
            let (pool, x, step) = (Arc::clone(&pool), std::sync::Arc::clone(&x), step.clone());
            thread::spawn(move || {
                step.step();
                outcome(|| pool.untrack(&x))
            })
        };
        step.step();
        let done = outcome(|| pool.done(&x));
        let untrack = untracker.join().unwrap();
        assert_eq!(
            (done.as_deref(), untrack.as_deref()),
            (None, None),
            "(done, untrack) of two holders must both return normally"
        );
        assert_eq!(pool.count(&x), None, "both references are given up");
        assert!(
            !std::sync::Arc::ptr_eq(&x, &pool.get()),
            "the object came back from the pool although one holder untracked it: the last \
             done did not see the untrack's mark"
        );
    });
}
