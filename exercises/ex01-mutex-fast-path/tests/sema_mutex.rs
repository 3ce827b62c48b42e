//! Go's first mutex: run against your exercise and, unchanged, against the
//! solution. Every concurrent test runs under the watchdog, so a lost
//! wakeup fails with "possible deadlock" instead of hanging.

#[cfg(workshop_solution)]
extern crate ex01_mutex_fast_path_solution as ex01_mutex_fast_path;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

use ex01_mutex_fast_path::SemaMutex;

const LIMIT: Duration = Duration::from_secs(20);

#[test]
fn try_lock_sees_the_lock() {
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
}

#[test]
fn four_threads_count_exactly() {
    testkit::watchdog_with(LIMIT, |_| {
        let shared = Arc::new((SemaMutex::new(), AtomicU64::new(0)));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || {
                    let (m, n) = &*shared;
                    for _ in 0..20_000 {
                        m.lock();
                        // Deliberately not a fetch_add: only the lock keeps
                        // these load-store pairs from interleaving.
                        n.store(n.load(Relaxed) + 1, Relaxed);
                        m.unlock();
                    }
                })
            })
            .collect();
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
    testkit::watchdog_with(LIMIT, |_| {
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
        waiter.join().unwrap();
        assert!(m.try_lock(), "the waiter's unlock did not free the mutex");
        m.unlock();
    });
}

/// Several sleepers, one unlock each: nobody may sleep forever.
#[test]
fn every_sleeper_wakes() {
    testkit::watchdog_with(LIMIT, |_| {
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
        for s in sleepers {
            s.join().unwrap();
        }
        assert_eq!(m.waiters(), 0);
    });
}
