//! Loom models of `add`: every interleaving (up to loom's preemption bound)
//! of tasks counting out and waiters counting in, and of Go's misuse race.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex04-misuse --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex04_misuse_solution as ex04_misuse;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ex04_misuse::WaitGroup;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

/// Two tasks write their cells and count out; two waiters read both cells
/// after `wait`. A waiter may return on a zero it loads, or sleep and be
/// released by the last `done`: both ways the tasks' writes must reach it
/// (loom: "Causality violation" if an ordering is too weak) and it must be
/// woken (loom: "deadlock").
#[test]
fn the_writes_reach_every_waiter() {
    testkit::watchdog(|| {
        testkit::loom_model("the_writes_reach_every_waiter", 10000, || {
            let s = Arc::new((WaitGroup::new(), [UnsafeCell::new(0), UnsafeCell::new(0)]));
            s.0.add(2);
            let other = {
                let s = Arc::clone(&s);
                thread::spawn(move || {
                    s.0.wait();
                    for c in &s.1 {
                        // SAFETY: after wait; loom reports an unordered read.
                        assert_eq!(c.with(|p| unsafe { *p }), 1);
                    }
                })
            };
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
                // SAFETY: as above.
                assert_eq!(c.with(|p| unsafe { *p }), 1);
            }
            for t in tasks {
                t.join().unwrap();
            }
            other.join().unwrap();
        });
    });
}

/// Go's historical `TestWaitGroupMisuse2`: a waiter, a "bad guy" that adds
/// one and counts out, and the last `done`, racing. Nobody may hang (loom:
/// "deadlock"), and over all executions both checks must fire: the bad
/// guy's add from zero with a waiter counted, and the last done's re-check
/// of the word before the reset.
#[test]
fn add_during_wait_is_caught_both_ways() {
    use std::sync::Mutex as StdMutex;
    static FIRED: StdMutex<(bool, bool)> = StdMutex::new((false, false));
    const TEXT: &str = "sync: WaitGroup misuse: Add called concurrently with Wait";
    fn caught(f: impl FnOnce()) -> Option<String> {
        catch_unwind(AssertUnwindSafe(f))
            .err()
            .map(|p| testkit::panic_message(&*p))
    }
    testkit::watchdog(|| {
        testkit::loom_model("add_during_wait_is_caught_both_ways", 200, || {
            let wg = Arc::new(WaitGroup::new());
            wg.add(1);
            let waiter = {
                let wg = Arc::clone(&wg);
                thread::spawn(move || caught(|| wg.wait()))
            };
            let bad_guy = {
                let wg = Arc::clone(&wg);
                thread::spawn(move || {
                    caught(|| {
                        wg.add(1);
                        wg.done();
                    })
                })
            };
            let last = caught(|| wg.done());
            let _ = waiter.join().unwrap();
            let bad = bad_guy.join().unwrap();
            assert_eq!(
                wg.semaphore_count(),
                0,
                "a waiter was released twice: a wake-up for nobody is left on the semaphore"
            );
            let mut fired = FIRED.lock().unwrap();
            fired.0 |= bad.as_deref() == Some(TEXT);
            fired.1 |= last.as_deref() == Some(TEXT);
        });
    });
    let fired = *FIRED.lock().unwrap();
    assert!(
        fired.0,
        "no execution had the adder detect the misuse (the check after the add)"
    );
    assert!(
        fired.1,
        "no execution had the last done detect it (the re-check before the reset)"
    );
}
