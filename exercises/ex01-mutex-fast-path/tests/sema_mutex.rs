//! Go's first mutex: run against your exercise and, unchanged, against the
//! solution. Every test runs under the watchdog, so a hang fails with
//! "possible deadlock" instead of hanging; and where a lost wake-up would
//! hang, the test waits a bounded time for the wake-up and then fails with
//! what is missing.

#[cfg(workshop_solution)]
extern crate ex01_mutex_fast_path_solution as ex01_mutex_fast_path;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

use ex01_mutex_fast_path::SemaMutex;

/// How long a woken waiter may take to run: far more than it needs on any
/// machine, far less than the watchdog.
const WAKE_UP: Duration = Duration::from_secs(3);

/// Waits until `done()` or `WAKE_UP` has passed; false on the time-out.
fn within_wake_up(mut done: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while !done() {
        if start.elapsed() > WAKE_UP {
            return false;
        }
        thread::sleep(Duration::from_millis(1));
    }
    true
}

#[test]
fn try_lock_sees_the_lock() {
    testkit::watchdog(|| {
        let m = SemaMutex::new();
        assert!(m.try_lock(), "try_lock failed on a free mutex");
        assert!(!m.try_lock(), "try_lock succeeded on a held mutex");
        m.unlock();
        m.lock();
        assert!(!m.try_lock(), "try_lock succeeded after lock");
        m.unlock();
        assert!(m.try_lock(), "unlock did not free the mutex");
        m.unlock();
        assert_eq!(m.waiters(), 0);
        // With a waiter asleep, `unlock` must wake it: the waiter's count
        // in `key` already makes it the next holder.
        let m = Arc::new(m);
        m.lock();
        let got_it = Arc::new(AtomicBool::new(false));
        let waiter = {
            let (m, got_it) = (Arc::clone(&m), Arc::clone(&got_it));
            thread::spawn(move || {
                m.lock();
                got_it.store(true, Relaxed);
                m.unlock();
            })
        };
        while m.waiters() == 0 {
            thread::yield_now();
        }
        m.unlock();
        assert!(
            within_wake_up(|| got_it.load(Relaxed)),
            "unlock with a waiter counted in `key` did not wake it within {WAKE_UP:?}: \
             unlock must release the semaphore (`semrelease`) when someone else is counted"
        );
        waiter.join().unwrap();
        assert!(m.try_lock(), "the waiter's unlock did not free the mutex");
        m.unlock();
    });
}

#[test]
fn four_threads_count_exactly() {
    testkit::watchdog(|| {
        let shared = Arc::new((SemaMutex::new(), AtomicU64::new(0)));
        // All four start together, so that they contend from the first round.
        let start = Arc::new(std::sync::Barrier::new(4));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (shared, start) = (Arc::clone(&shared), Arc::clone(&start));
                thread::spawn(move || {
                    let (m, n) = &*shared;
                    start.wait();
                    for i in 0..20_000 {
                        m.lock();
                        // Deliberately not a fetch_add: only the lock keeps
                        // these load-store pairs from interleaving.
                        n.store(n.load(Relaxed) + 1, Relaxed);
                        // Now and then hold the lock long enough that the
                        // others have to sleep on the semaphore.
                        if i % 2_000 == 0 {
                            thread::sleep(Duration::from_micros(200));
                        }
                        m.unlock();
                    }
                })
            })
            .collect();
        // Increments go on, or a waiter was left asleep.
        let mut last = (0, Instant::now());
        while !workers.iter().all(|w| w.is_finished()) {
            let now = shared.1.load(Relaxed);
            if now != last.0 {
                last = (now, Instant::now());
            }
            assert!(
                last.1.elapsed() < WAKE_UP,
                "no thread got the lock for {WAKE_UP:?} ({now} of 80000 increments done): \
                 a waiter was never woken (does unlock `semrelease` when others are counted?)"
            );
            thread::sleep(Duration::from_millis(1));
        }
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(shared.1.load(Relaxed), 80_000, "increments were lost");
    });
}

/// With a waiter counted in `key`, `unlock` hands the lock over: it is
/// never free in between, so even the unlocker's own `try_lock` fails.
#[test]
fn unlock_hands_the_lock_to_the_waiter() {
    testkit::watchdog(|| {
        let m = Arc::new(SemaMutex::new());
        m.lock();
        let waiter = {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                m.lock();
                thread::sleep(Duration::from_millis(20));
                m.unlock();
            })
        };
        while m.waiters() == 0 {
            thread::yield_now();
        }
        m.unlock();
        assert!(
            !m.try_lock(),
            "the lock was free after unlock with a waiter"
        );
        assert!(
            within_wake_up(|| waiter.is_finished()),
            "the waiter was not woken within {WAKE_UP:?} of the unlock that handed it the \
             lock: unlock must `semrelease` when a waiter is counted"
        );
        waiter.join().unwrap();
        assert!(m.try_lock(), "the waiter's unlock did not free the mutex");
        m.unlock();
    });
}

/// Several sleepers, one unlock each: nobody may sleep forever.
#[test]
fn every_sleeper_wakes() {
    testkit::watchdog(|| {
        let m = Arc::new(SemaMutex::new());
        m.lock();
        let sleepers: Vec<_> = (0..5)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    m.lock();
                    m.unlock();
                })
            })
            .collect();
        while m.waiters() < 5 {
            thread::yield_now();
        }
        m.unlock();
        let woke = || sleepers.iter().filter(|s| s.is_finished()).count();
        assert!(
            within_wake_up(|| woke() == 5),
            "only {} of 5 sleepers woke up within {WAKE_UP:?}: each unlock with others \
             counted must wake one (`semrelease`)",
            woke()
        );
        for s in sleepers {
            s.join().unwrap();
        }
        assert_eq!(m.waiters(), 0);
    });
}
