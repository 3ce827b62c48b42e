//! `wait`, run against your exercise and, unchanged, against the solution.
//! Every test runs under the watchdog; where a lost wake-up would hang, the
//! test waits a bounded time and then fails with what is missing.

#[cfg(workshop_solution)]
extern crate ex04_wait_solution as ex04_wait;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::Duration;

use ex04_wait::WaitGroup;

/// Far more than a woken waiter needs, far less than the watchdog.
const WAKE_UP: Duration = Duration::from_secs(3);

/// Starts a thread that waits on `wg` and reports when `wait` returns.
fn waiter(wg: &Arc<WaitGroup>) -> mpsc::Receiver<()> {
    let (tx, rx) = mpsc::channel();
    let wg = Arc::clone(wg);
    thread::spawn(move || {
        wg.wait();
        let _ = tx.send(());
    });
    rx
}

#[test]
fn wait_on_zero_returns_at_once() {
    testkit::watchdog(|| {
        let wg = WaitGroup::new();
        wg.wait();
        wg.add(1);
        wg.done();
        wg.wait();
        assert_eq!((wg.counter(), wg.waiters()), (0, 0));
    });
}

#[test]
fn wait_sleeps_until_the_last_done() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        wg.add(2);
        let woken = waiter(&wg);
        while wg.sleepers() == 0 {
            thread::yield_now();
        }
        assert_eq!(
            wg.waiters(),
            1,
            "a sleeping waiter must be counted in the low half"
        );
        assert_eq!(wg.counter(), 2, "waiting must not change the counter");
        wg.done();
        assert!(
            woken.recv_timeout(Duration::from_millis(50)).is_err(),
            "wait returned with a task still counted"
        );
        wg.done();
        woken
            .recv_timeout(WAKE_UP)
            .expect("the last done did not wake the waiter");
        assert_eq!((wg.counter(), wg.waiters()), (0, 0));
    });
}

#[test]
fn every_sleeper_is_released() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        wg.add(1);
        let woken: Vec<_> = (0..3).map(|_| waiter(&wg)).collect();
        while wg.sleepers() < 3 {
            thread::yield_now();
        }
        assert_eq!(wg.waiters(), 3);
        wg.done();
        for (i, w) in woken.iter().enumerate() {
            w.recv_timeout(WAKE_UP)
                .unwrap_or_else(|_| panic!("waiter {i} was not released"));
        }
        // Reusable: a second round works the same.
        wg.add(1);
        let again = waiter(&wg);
        wg.done();
        again
            .recv_timeout(WAKE_UP)
            .expect("second round: not released");
    });
}

#[test]
fn tasks_on_threads() {
    testkit::watchdog(|| {
        for _ in 0..200 {
            let wg = Arc::new(WaitGroup::new());
            let hits = Arc::new(std::sync::atomic::AtomicU32::new(0));
            wg.add(4);
            for _ in 0..4 {
                let (wg, hits) = (Arc::clone(&wg), Arc::clone(&hits));
                thread::spawn(move || {
                    hits.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    wg.done();
                });
            }
            wg.wait();
            assert_eq!(hits.load(std::sync::atomic::Ordering::Relaxed), 4);
        }
    });
}

#[test]
fn negative_counter_panics_in_wait() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let _ = catch_unwind(AssertUnwindSafe(|| wg.done()));
        // On a helper thread: a wait that sleeps here would never wake.
        let (tx, rx) = mpsc::channel();
        let waiter = Arc::clone(&wg);
        thread::spawn(move || {
            let r = catch_unwind(AssertUnwindSafe(|| waiter.wait()));
            let _ = tx.send(r.err().map(|p| testkit::panic_message(&*p)));
        });
        match rx.recv_timeout(WAKE_UP) {
            Ok(Some(msg)) => assert_eq!(msg, "sync: negative WaitGroup counter"),
            Ok(None) => panic!("wait returned normally on a negative counter"),
            Err(_) => panic!("wait slept on a negative counter: nobody can ever wake it"),
        }
    });
}
