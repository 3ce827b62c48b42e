//! `try_rlock`'s tests: run against your exercise and, unchanged, against
//! the solution (the chapter's `RawRwMutex`). Each runs under the
//! watchdog. The loom models are in `tests/loom.rs`.

#[cfg(workshop_solution)]
extern crate ex02_try_rlock_solution as ex02_try_rlock;

use std::sync::Arc;
use std::sync::atomic::{AtomicI32, Ordering::SeqCst};
use std::thread;

use ex02_try_rlock::RawRwMutex;

/// Go's `TestRWMutex` truth table for `TryLock` and `TryRLock`.
#[test]
fn try_rlock_truth_table() {
    testkit::watchdog(|| {
        let m = RawRwMutex::new();
        m.lock();
        assert!(!m.try_rlock(), "TryRLock succeeded with mutex locked");
        m.unlock();
        assert!(m.try_rlock(), "TryRLock failed with mutex unlocked");
        assert!(m.try_rlock(), "TryRLock failed with mutex rlocked");
        assert!(!m.try_lock(), "TryLock succeeded with mutex rlocked");
        m.runlock();
        m.runlock();
        assert!(m.try_lock(), "TryLock failed with mutex unlocked");
        m.unlock();
    });
}

/// A failed `try_rlock` leaves the lock exactly as it found it: after the
/// writer leaves, nobody is counted and a writer can try-lock at once.
#[test]
fn a_failed_try_rlock_leaves_no_trace() {
    testkit::watchdog(|| {
        let m = RawRwMutex::new();
        m.lock();
        for _ in 0..3 {
            assert!(!m.try_rlock(), "TryRLock succeeded with mutex locked");
        }
        assert_eq!(
            m.readers(),
            (0, true),
            "a failed try_rlock is still counted"
        );
        m.unlock();
        assert_eq!(m.readers(), (0, false));
        assert!(m.try_lock(), "TryLock failed with mutex unlocked");
        m.unlock();
    });
}

/// Go's `HammerRWMutex`, with readers that use `try_rlock` and skip a
/// round when it refuses: an activity count catches a reader beside a
/// writer.
#[test]
fn hammer_with_try_rlock() {
    let n = testkit::scale(1000, 5000, 5);
    testkit::watchdog(move || {
        let m = Arc::new(RawRwMutex::new());
        let activity = Arc::new(AtomicI32::new(0));
        let handles: Vec<_> = (0..5)
            .map(|t| {
                let (m, activity) = (Arc::clone(&m), Arc::clone(&activity));
                thread::spawn(move || {
                    for _ in 0..n {
                        if t < 2 {
                            m.lock();
                            let a = activity.fetch_add(10000, SeqCst) + 10000;
                            assert_eq!(a, 10000, "wlock({a}): someone is in beside a writer");
                            activity.fetch_sub(10000, SeqCst);
                            m.unlock();
                        } else if m.try_rlock() {
                            let a = activity.fetch_add(1, SeqCst) + 1;
                            assert!(
                                (1..10000).contains(&a),
                                "rlock({a}): a reader is in beside a writer"
                            );
                            activity.fetch_sub(1, SeqCst);
                            m.runlock();
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert_eq!(m.readers(), (0, false));
        assert_eq!(
            m.semaphore_counts(),
            (0, 0),
            "a wake-up was left for nobody"
        );
    });
}
