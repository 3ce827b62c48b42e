//! `add`, run against your exercise and, unchanged, against the solution.
//! Every test runs under the watchdog; where a lost wake-up would hang, the
//! test waits a bounded time and then fails with what is missing.

#[cfg(workshop_solution)]
extern crate ex04_misuse_solution as ex04_misuse;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use ex04_misuse::WaitGroup;

const WAKE_UP: Duration = Duration::from_secs(3);

fn panic_of(f: impl FnOnce()) -> Option<String> {
    catch_unwind(AssertUnwindSafe(f))
        .err()
        .map(|p| testkit::panic_message(&*p))
}

/// `n` threads asleep in `wait`, each reporting how its wait ended.
fn sleepers(wg: &Arc<WaitGroup>, n: usize) -> mpsc::Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    for _ in 0..n {
        let (wg, tx) = (Arc::clone(wg), tx.clone());
        thread::spawn(move || {
            let _ = tx.send(panic_of(|| wg.wait()));
        });
    }
    while wg.sleepers() < n {
        thread::yield_now();
    }
    rx
}

/// Collects `n` reports within `WAKE_UP`, or fails naming how many came.
fn released(rx: &mpsc::Receiver<Option<String>>, n: usize) -> Vec<Option<String>> {
    let start = Instant::now();
    (0..n)
        .map(|i| {
            rx.recv_timeout(WAKE_UP.saturating_sub(start.elapsed()))
                .unwrap_or_else(|_| panic!("only {i} of {n} waiters were released"))
        })
        .collect()
}

#[test]
fn counts_up_and_down() {
    let wg = WaitGroup::new();
    wg.add(3);
    assert_eq!(wg.counter(), 3);
    wg.add(-2);
    assert_eq!(wg.counter(), 1);
    wg.done();
    assert_eq!((wg.counter(), wg.waiters()), (0, 0));
    wg.wait();
}

/// Go's `TestWaitGroupMisuse`.
#[test]
fn one_done_too_many_panics() {
    let wg = WaitGroup::new();
    wg.add(1);
    wg.done();
    assert_eq!(
        panic_of(|| wg.done()).as_deref(),
        Some("sync: negative WaitGroup counter"),
        "one done too many must panic with Go's text"
    );
}

/// The last done releases every sleeper and resets the word.
#[test]
fn last_done_releases_all() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        wg.add(1);
        let rx = sleepers(&wg, 3);
        wg.done();
        for how in released(&rx, 3) {
            assert_eq!(
                how, None,
                "a released waiter panicked: was the word reset to 0?"
            );
        }
        assert_eq!(
            (wg.counter(), wg.waiters()),
            (0, 0),
            "the word was not reset"
        );
    });
}

/// Go's `TestWaitGroup`: the same two groups, eight rounds.
#[test]
fn rounds_on_the_same_groups() {
    testkit::watchdog(|| {
        let (wg1, wg2) = (Arc::new(WaitGroup::new()), Arc::new(WaitGroup::new()));
        for round in 0..8 {
            let n = 8;
            wg1.add(n);
            wg2.add(n);
            let (tx, exited) = mpsc::channel();
            for _ in 0..n {
                let (wg1, wg2, tx) = (Arc::clone(&wg1), Arc::clone(&wg2), tx.clone());
                thread::spawn(move || {
                    wg1.done();
                    let r = panic_of(|| wg2.wait());
                    let _ = tx.send(r);
                });
            }
            wg1.wait();
            for _ in 0..n {
                assert!(
                    exited.try_recv().is_err(),
                    "round {round}: released too soon"
                );
                wg2.done();
            }
            for _ in 0..n {
                let r = exited
                    .recv_timeout(WAKE_UP)
                    .expect("a waiter was not released");
                assert_eq!(r, None, "round {round}: a waiter panicked");
            }
            assert_eq!(
                (wg2.counter(), wg2.waiters()),
                (0, 0),
                "round {round}: word not reset"
            );
        }
    });
}

/// A misuse panic releases the sleepers first; they panic in their turn.
#[test]
fn misuse_releases_the_sleepers() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        wg.add(1);
        let rx = sleepers(&wg, 2);
        assert_eq!(
            panic_of(|| wg.add(-2)).as_deref(),
            Some("sync: negative WaitGroup counter")
        );
        for how in released(&rx, 2) {
            assert!(
                how.is_some(),
                "a waiter released by a misuse must panic, not return"
            );
        }
        assert_eq!(wg.waiters(), 0, "the released waiters are still counted");
    });
}
