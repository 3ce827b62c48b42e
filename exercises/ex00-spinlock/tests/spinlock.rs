//! The spin lock's tests: run against your exercise and, unchanged, against
//! the solution. Each test runs under the watchdog, so a lock that never
//! releases fails with "possible deadlock" instead of hanging (after 60 s,
//! or `GOSYNC_WATCHDOG_SECS`; `cargo workshop check` sets it well inside
//! its own time limit).

#[cfg(workshop_solution)]
extern crate ex00_spinlock_solution as ex00_spinlock;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use ex00_spinlock::SpinLock;

#[test]
fn lock_then_read_and_write() {
    testkit::watchdog(|| {
        let lock = SpinLock::new(5);
        {
            let mut guard = lock.lock();
            assert_eq!(*guard, 5);
            assert!(
                lock.try_lock().is_none(),
                "try_lock succeeded while lock() held the lock: did lock() claim it?"
            );
            *guard += 1;
        }
        assert_eq!(*lock.lock(), 6);
        assert_eq!(lock.into_inner(), 6);
    });
}

#[test]
fn try_lock_fails_while_held() {
    testkit::watchdog(|| {
        let lock = SpinLock::new(());
        let guard = lock.try_lock().expect("an unlocked lock must be free");
        assert!(
            lock.try_lock().is_none(),
            "try_lock succeeded on a held lock"
        );
        drop(guard);
        assert!(lock.try_lock().is_some(), "dropping the guard must unlock");
    });
}

#[test]
fn dropping_the_guard_unlocks() {
    testkit::watchdog(|| {
        let lock = SpinLock::new(0);
        for _ in 0..3 {
            *lock.lock() += 1; // a lock that never unlocks deadlocks here
        }
        assert_eq!(*lock.lock(), 3);
    });
}

#[test]
fn lock_waits_for_the_holder() {
    testkit::watchdog(|| {
        let lock = Arc::new(SpinLock::new(Vec::new()));
        let guard = lock.lock();
        let waiter = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || lock.lock().push("waiter"))
        };
        thread::sleep(Duration::from_millis(50));
        // The waiter cannot have got in while we hold the lock.
        drop(guard);
        waiter.join().unwrap();
        assert_eq!(*lock.lock(), ["waiter"]);
    });
}

#[test]
fn counter_under_contention() {
    const THREADS: usize = 4;
    let rounds = testkit::scale(20_000, 1_000_000, 50);
    testkit::watchdog_with(testkit::default_limit(), move |progress| {
        // A plain (non-atomic) counter: only mutual exclusion keeps it exact.
        let lock = Arc::new(SpinLock::new(0_u64));
        let workers: Vec<_> = (0..THREADS)
            .map(|_| {
                let lock = Arc::clone(&lock);
                thread::spawn(move || {
                    for _ in 0..rounds {
                        let mut guard = lock.lock();
                        let seen = *guard;
                        *guard = seen + 1;
                    }
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap();
            progress.tick();
        }
        assert_eq!(*lock.lock(), (THREADS * rounds) as u64);
    });
}
