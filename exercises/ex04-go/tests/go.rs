//! The guard and `go`, run against your exercise and, unchanged, against
//! the solution. Where a forgotten `done` would hang a `wait`, the test
//! waits a bounded time on a helper thread and then fails saying so.

#[cfg(workshop_solution)]
extern crate ex04_go_solution as ex04_go;

use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, mpsc};
use std::thread;
use std::time::Duration;

use ex04_go::{WaitGroup, add_guard, go, go_scoped};

const WAKE_UP: Duration = Duration::from_secs(3);

/// True if `wg.wait()` returns within `WAKE_UP` (run on a helper thread,
/// which is left behind if it does not).
fn wait_returns(wg: &Arc<WaitGroup>) -> bool {
    let (tx, rx) = mpsc::channel();
    let wg = Arc::clone(wg);
    thread::spawn(move || {
        wg.wait();
        let _ = tx.send(());
    });
    rx.recv_timeout(WAKE_UP).is_ok()
}

#[test]
fn guard_counts_in_and_out() {
    let wg = WaitGroup::new();
    let a = add_guard(&wg);
    let b = add_guard(&wg);
    assert_eq!(wg.counter(), 2);
    drop(a);
    assert_eq!(wg.counter(), 1, "dropping a guard must count its task out");
    drop(b);
    assert_eq!(wg.counter(), 0);
    wg.wait();
}

#[test]
fn guard_counts_out_while_unwinding() {
    testkit::watchdog(|| {
        let wg = WaitGroup::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _done = add_guard(&wg);
            panic!("task failed");
        }));
        assert!(r.is_err());
        assert_eq!(wg.counter(), 0, "a panic must still count the task out");
    });
}

#[test]
fn go_runs_the_task_and_counts_it_out() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let ran = Arc::new(AtomicUsize::new(0));
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let ran = Arc::clone(&ran);
                go(&wg, move || {
                    ran.fetch_add(1, SeqCst);
                    i
                })
            })
            .collect();
        assert!(
            wait_returns(&wg),
            "wait did not return after the tasks ended"
        );
        assert_eq!(ran.load(SeqCst), 4, "wait returned before every task ran");
        let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
        assert_eq!(results, [0, 1, 2, 3]);
    });
}

#[test]
fn go_counts_in_before_the_thread_starts() {
    testkit::watchdog(|| {
        for _ in 0..20 {
            let wg = Arc::new(WaitGroup::new());
            let gate = Arc::new(Barrier::new(2));
            let g = Arc::clone(&gate);
            let t = go(&wg, move || {
                g.wait();
            });
            assert_eq!(
                wg.counter(),
                1,
                "go returned before the task was counted in: a wait now would not wait for it"
            );
            gate.wait();
            t.join().unwrap();
            wg.wait();
        }
    });
}

#[test]
fn wait_waits_for_a_running_task() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let gate = Arc::new(Barrier::new(2));
        let g = Arc::clone(&gate);
        let t = go(&wg, move || {
            g.wait();
        });
        let (tx, rx) = mpsc::channel();
        let wg2 = Arc::clone(&wg);
        thread::spawn(move || {
            wg2.wait();
            let _ = tx.send(());
        });
        assert!(
            rx.recv_timeout(Duration::from_millis(100)).is_err(),
            "wait returned while the task was still running"
        );
        gate.wait();
        t.join().unwrap();
        assert!(
            rx.recv_timeout(WAKE_UP).is_ok(),
            "wait did not return after the task ended"
        );
    });
}

#[test]
fn go_counts_out_when_the_task_panics() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let t = go(&wg, || -> () { panic!("task failed") });
        assert!(
            wait_returns(&wg),
            "wait did not return after the task panicked: its done was skipped"
        );
        let err = t
            .join()
            .expect_err("the task's panic must come back from join");
        assert_eq!(testkit::panic_message(&*err), "task failed");
        assert_eq!(wg.counter(), 0);
        // The group is still usable.
        go(&wg, || ()).join().unwrap();
        wg.wait();
    });
}

#[test]
fn go_scoped_counts_in_before_the_thread_starts() {
    testkit::watchdog(|| {
        for _ in 0..20 {
            let wg = WaitGroup::new();
            let gate = Barrier::new(2);
            // The count is read inside the scope but judged after it: a
            // failed assertion inside would wait for the task, which waits
            // at the gate for us.
            let seen = thread::scope(|s| {
                go_scoped(&wg, s, || {
                    gate.wait();
                });
                let seen = wg.counter();
                gate.wait();
                seen
            });
            assert_eq!(
                seen, 1,
                "go_scoped returned before the task was counted in: a wait now would not wait for it"
            );
            assert_eq!(wg.counter(), 0, "the scoped task was not counted out");
        }
    });
}

#[test]
fn wait_waits_for_a_running_scoped_task() {
    testkit::watchdog(|| {
        let wg = WaitGroup::new();
        let gate = Barrier::new(2);
        thread::scope(|s| {
            go_scoped(&wg, s, || {
                gate.wait();
            });
            let (tx, rx) = mpsc::channel();
            let wg = &wg;
            s.spawn(move || {
                wg.wait();
                let _ = tx.send(());
            });
            let early = rx.recv_timeout(Duration::from_millis(100)).is_ok();
            gate.wait();
            assert!(
                !early,
                "wait returned while the scoped task was still running"
            );
            assert!(
                rx.recv_timeout(WAKE_UP).is_ok(),
                "wait did not return after the scoped task ended"
            );
        });
    });
}

#[test]
fn go_scoped_counts_out_when_the_task_panics() {
    testkit::watchdog(|| {
        let wg = WaitGroup::new();
        let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            thread::scope(|s| {
                go_scoped(&wg, s, || -> () { panic!("task failed") });
                go_scoped(&wg, s, || ());
                let (tx, rx) = mpsc::channel();
                let wg = &wg;
                s.spawn(move || {
                    wg.wait();
                    let _ = tx.send(());
                });
                if rx.recv_timeout(WAKE_UP).is_err() {
                    // Let the helper's wait end so that the scope can.
                    wg.add(-wg.counter());
                    panic!("wait did not return after a scoped task panicked");
                }
            });
        }));
        let err = r.expect_err("the scope re-raises the task's panic");
        assert_eq!(testkit::panic_message(&*err), "a scoped thread panicked");
        assert_eq!(wg.counter(), 0);
    });
}
