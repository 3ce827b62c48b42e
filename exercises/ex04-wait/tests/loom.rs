//! Loom models of `wait`: every interleaving (up to loom's preemption
//! bound) of tasks counting out and a waiter counting in. A waiter that
//! returns too early, or with orderings too weak, reads a task's cell
//! unordered (loom: "Causality violation"); a waiter nobody wakes is a
//! loom "deadlock".
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex04-wait --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex04_wait_solution as ex04_wait;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ex04_wait::WaitGroup;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

/// Two tasks write their cells and count out; the waiter reads both after
/// `wait`.
#[test]
fn waiter_sees_both_tasks() {
    testkit::watchdog(|| {
        testkit::loom_model("waiter_sees_both_tasks", 250, || {
            let s = Arc::new((WaitGroup::new(), [UnsafeCell::new(0), UnsafeCell::new(0)]));
            s.0.add(2);
            let tasks: Vec<_> = (0..2)
                .map(|i| {
                    let s = Arc::clone(&s);
                    thread::spawn(move || {
                        // SAFETY: only task `i` writes cell `i`, before its done.
                        s.1[i].with_mut(|p| unsafe { *p = 1 });
                        s.0.done();
                    })
                })
                .collect();
            s.0.wait();
            for c in &s.1 {
                // SAFETY: after wait; loom reports an unordered read.
                assert_eq!(c.with(|p| unsafe { *p }), 1, "wait returned early");
            }
            for t in tasks {
                t.join().unwrap();
            }
        });
    });
}

/// A round reused too early: the waiter may wake to find the next round's
/// `add` already in the word. In some execution it must, and then it must
/// panic with Go's reuse text.
#[test]
fn early_reuse_is_detected() {
    use std::sync::Mutex as StdMutex;
    static SEEN: StdMutex<bool> = StdMutex::new(false);
    testkit::watchdog(|| {
        testkit::loom_model("early_reuse_is_detected", 50, || {
            let wg = Arc::new(WaitGroup::new());
            wg.add(1);
            let waiter = {
                let wg = Arc::clone(&wg);
                thread::spawn(move || {
                    catch_unwind(AssertUnwindSafe(|| wg.wait()))
                        .err()
                        .map(|p| testkit::panic_message(&*p))
                })
            };
            wg.done();
            wg.add(1); // too early: the waiter may not have returned
            wg.done();
            let how = waiter.join().unwrap();
            if let Some(t) = how {
                assert_eq!(
                    t,
                    "sync: WaitGroup is reused before previous Wait has returned"
                );
                *SEEN.lock().unwrap() = true;
            }
        });
    });
    assert!(
        *SEEN.lock().unwrap(),
        "no execution detected the reuse: does wait check the word after waking?"
    );
}
