//! Starvation mode's tests: run against your exercise and, unchanged,
//! against the solution (the chapter's `RawMutex`). Each runs under the
//! watchdog.
//!
//! Several drive the mutex into starvation mode first, the way Go's own
//! test does it: hold the lock, let a waiter wake and lose the race again
//! and again until it has waited over 1 ms.

#[cfg(workshop_solution)]
extern crate ex01_starvation_solution as ex01_starvation;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ex01_starvation::RawMutex;

/// Spins (yielding) until `done()`.
fn wait_for(done: impl Fn() -> bool) {
    while !done() {
        thread::yield_now();
    }
}

/// A thread that locks `m`, sets `had_it`, and unlocks at once.
fn locker(m: &Arc<RawMutex>, had_it: &Arc<AtomicBool>) -> JoinHandle<()> {
    let (m, had_it) = (Arc::clone(m), Arc::clone(had_it));
    thread::spawn(move || {
        m.lock();
        had_it.store(true, Relaxed);
        m.unlock();
    })
}

/// With `m` held by us and a waiter asleep on it, keeps the lock nearly all
/// the time (unlock, and lock again at once, every 2 ms) until the waiter,
/// woken and losing each time, switches the mutex to starvation mode: true
/// then, with us still holding the lock. False if the waiter got the lock
/// in a gap (it happens: it was awake at the right moment).
fn starve(m: &RawMutex, waiter_had_it: &AtomicBool) -> bool {
    for _round in 0..50 {
        thread::sleep(Duration::from_millis(2));
        if m.is_starving() {
            return true;
        }
        if waiter_had_it.load(Relaxed) {
            return false;
        }
        m.unlock();
        m.lock();
    }
    false
}

#[test]
fn lock_is_exclusive_under_contention() {
    testkit::watchdog(|| {
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
    testkit::watchdog(|| {
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
    testkit::watchdog(|| {
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

/// In starvation mode `unlock` hands the lock to the first waiter
/// (`semrelease` with handoff): a thread that calls `lock()` right after
/// the unlock, and is running while the waiter is still waking up, must
/// queue behind it. Without the handoff the semaphore's count is there for
/// whoever takes it first, and the running thread usually does.
#[test]
fn a_starving_waiter_is_handed_the_lock_before_a_newcomer() {
    testkit::watchdog(|| {
        let mut rounds = 0;
        for _attempt in 0..40 {
            let m = Arc::new(RawMutex::new());
            let had_it = Arc::new(AtomicBool::new(false));
            m.lock();
            let waiter = locker(&m, &had_it);
            wait_for(|| m.waiters() == 1);
            if !starve(&m, &had_it) {
                m.unlock();
                waiter.join().unwrap();
                continue;
            }
            // Unlock in starvation mode, then at once ask for the lock again
            // as a newcomer would.
            m.unlock();
            m.lock();
            assert!(
                had_it.load(Relaxed),
                "in starvation mode a newcomer got the lock before the starving waiter: \
                 unlock must hand the lock over (`semrelease` with handoff = true)"
            );
            m.unlock();
            waiter.join().unwrap();
            rounds += 1;
            if rounds == 5 {
                return;
            }
        }
        panic!("in 40 attempts the mutex went into starvation mode only {rounds} times");
    });
}

/// A waiter that was woken and lost the lock again goes back to the
/// *front* of the queue (Go 1.9's `queueLifo`): it has waited longest.
/// Here A sleeps first and B after it; A is woken and loses; the next
/// owner must then be A, not B.
#[test]
fn a_woken_waiter_that_loses_requeues_at_the_front() {
    testkit::watchdog(|| {
        for _attempt in 0..40 {
            let m = Arc::new(RawMutex::new());
            let order = Arc::new(Mutex::new(Vec::new()));
            let spawn = |name: &'static str| {
                let (m, order) = (Arc::clone(&m), Arc::clone(&order));
                thread::spawn(move || {
                    m.lock();
                    order.lock().unwrap().push(name);
                    m.unlock();
                })
            };
            m.lock();
            let a = spawn("A");
            wait_for(|| m.waiters() == 1);
            thread::sleep(Duration::from_millis(5)); // A is asleep
            let b = spawn("B");
            wait_for(|| m.waiters() == 2);
            thread::sleep(Duration::from_millis(5)); // so is B, behind A
            // Wake A, the first in line, and take the lock back before it
            // runs: it finds the lock held and sleeps again.
            m.unlock();
            m.lock();
            if !order.lock().unwrap().is_empty() {
                // A was quicker than us: no loser this time.
                m.unlock();
                a.join().unwrap();
                b.join().unwrap();
                continue;
            }
            wait_for(|| m.waiters() == 2);
            thread::sleep(Duration::from_millis(5)); // A is asleep again
            m.unlock();
            a.join().unwrap();
            b.join().unwrap();
            assert_eq!(
                *order.lock().unwrap(),
                ["A", "B"],
                "A was woken, lost the lock and slept again: it must queue at the front, \
                 ahead of B, who has waited less (queue_at_front: a waiter that has slept before)"
            );
            return;
        }
        panic!("in 40 attempts the woken waiter never lost the race");
    });
}

/// A waiter handed the lock in starvation mode that has itself waited
/// under 1 ms switches the mutex back to normal mode, even with others
/// still waiting behind it (Go: `if !starving || old>>mutexWaiterShift ==
/// 1`): starvation mode is for waiters that starve, and it costs
/// throughput.
///
/// S starves the mutex; X and Y queue behind it. Each of X and Y times its
/// own `lock()`: one that took under 1 ms cannot be starving, so right
/// after it gets the lock the mutex must be in normal mode. An attempt in
/// which both waited longer (a slow or busy machine) tells nothing, and
/// another is made.
#[test]
fn a_waiter_that_did_not_starve_switches_starvation_mode_off() {
    testkit::watchdog(|| {
        for _attempt in 0..60 {
            let m = Arc::new(RawMutex::new());
            let s_had_it = Arc::new(AtomicBool::new(false));
            m.lock();
            let s = locker(&m, &s_had_it);
            wait_for(|| m.waiters() == 1);
            if !starve(&m, &s_had_it) {
                m.unlock();
                s.join().unwrap();
                continue;
            }
            let seen = Arc::new(Mutex::new(Vec::new()));
            let late: Vec<_> = (0..2)
                .map(|_| {
                    let (m, seen) = (Arc::clone(&m), Arc::clone(&seen));
                    thread::spawn(move || {
                        let start = Instant::now();
                        m.lock();
                        let waited = start.elapsed();
                        let starving = m.is_starving();
                        m.unlock();
                        seen.lock().unwrap().push((waited, starving));
                    })
                })
                .collect();
            wait_for(|| m.waiters() == 3);
            m.unlock();
            s.join().unwrap();
            for t in late {
                t.join().unwrap();
            }
            let seen = seen.lock().unwrap();
            let quick: Vec<_> = seen
                .iter()
                .filter(|(waited, _)| *waited < Duration::from_micros(900))
                .collect();
            for (waited, starving) in &quick {
                assert!(
                    !starving,
                    "a waiter that waited {waited:?} (under 1 ms, so not starving) was handed \
                     the lock in starvation mode and left the mutex starving: it must switch \
                     starvation mode off when it is not starving itself"
                );
            }
            if !quick.is_empty() {
                return;
            }
        }
        // Never a quick enough handoff: this machine is too busy to tell.
        eprintln!("note: no waiter got the lock within 1 ms in 60 attempts; nothing checked");
    });
}
