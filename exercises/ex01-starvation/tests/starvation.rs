//! Starvation mode's tests: run against your exercise and, unchanged,
//! against the solution (the chapter's `RawMutex`). Each runs under the
//! watchdog.

#[cfg(workshop_solution)]
extern crate ex01_starvation_solution as ex01_starvation;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

use ex01_starvation::RawMutex;

const LIMIT: Duration = Duration::from_secs(30);

#[test]
fn lock_is_exclusive_under_contention() {
    testkit::watchdog_with(LIMIT, |_| {
        let shared = Arc::new((RawMutex::new(), AtomicU64::new(0)));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let shared = Arc::clone(&shared);
                thread::spawn(move || {
                    let (m, n) = &*shared;
                    for i in 0..20_000 {
                        m.lock();
                        n.store(n.load(Relaxed) + 1, Relaxed);
                        // Now and then hold it long enough to make others
                        // sleep, wake, lose and starve.
                        if i % 2_000 == 0 {
                            thread::sleep(Duration::from_millis(2));
                        }
                        m.unlock();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(shared.1.load(Relaxed), 80_000, "increments were lost");
        assert!(!shared.0.is_locked() && !shared.0.is_starving());
        assert_eq!(shared.0.waiters(), 0);
    });
}

/// We keep re-locking the moment we unlock, so the woken waiter keeps
/// losing. After 1 ms of that it must switch the mutex to starvation mode;
/// then our unlock hands it the lock, which we can no longer grab back, and
/// as the last waiter it switches the mutex back to normal.
#[test]
fn a_losing_waiter_starves_and_gets_the_lock_handed_over() {
    testkit::watchdog_with(LIMIT, |_| {
        // The waiter may win a round (it is woken, and we may be slow to
        // re-lock): then it simply has the lock, and we start over.
        for _attempt in 0..20 {
            let m = Arc::new(RawMutex::new());
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
            let mut starving = false;
            for _round in 0..50 {
                // Hold the lock over 1 ms, let the waiter see it free for
                // an instant, and take it back.
                thread::sleep(Duration::from_millis(2));
                starving = m.is_starving();
                if starving || waiter.is_finished() {
                    break;
                }
                m.unlock();
                m.lock();
            }
            if !starving {
                m.unlock();
                waiter.join().unwrap();
                continue;
            }
            m.unlock();
            assert!(
                !m.try_lock(),
                "after unlock in starvation mode the lock must go to the waiter, not to us"
            );
            waiter.join().unwrap();
            assert!(
                !m.is_starving(),
                "the last waiter must switch starvation mode off"
            );
            assert!(!m.is_locked());
            assert_eq!(m.waiters(), 0);
            return;
        }
        panic!("in 20 attempts a waiter kept out for 100 ms never made the mutex starving");
    });
}

/// Port of Go's TestMutexFairness: a hog holds the lock almost always, and
/// another thread must still get it ten times within 10 seconds.
#[test]
fn test_mutex_fairness() {
    testkit::watchdog_with(LIMIT, |_| {
        let m = Arc::new(RawMutex::new());
        let stop = Arc::new(AtomicBool::new(false));
        let hog = {
            let (m, stop) = (Arc::clone(&m), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(Relaxed) {
                    m.lock();
                    thread::sleep(Duration::from_micros(100));
                    m.unlock();
                }
            })
        };
        let start = std::time::Instant::now();
        for _ in 0..10 {
            thread::sleep(Duration::from_micros(100));
            m.lock();
            m.unlock();
        }
        stop.store(true, Relaxed);
        hog.join().unwrap();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "can't acquire the mutex in 10 s"
        );
    });
}
