//! Ports of Go's `sync/mutex_test.go` (go1.23.5), one test per Go test, plus
//! the behaviours of normal and starvation mode. Every concurrent test runs
//! under the watchdog.

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering::SeqCst};
use std::thread;
use std::time::Duration;

use ch01_mutex::{Mutex, RawMutex};

/// Go's `HammerMutex`: every third round tries `TryLock`, the rest lock.
fn hammer_mutex(m: &RawMutex, loops: usize) {
    for i in 0..loops {
        if i % 3 == 0 {
            if m.try_lock() {
                m.unlock();
            }
            continue;
        }
        m.lock();
        m.unlock();
    }
}

/// Port of `TestMutex`: `TryLock` on a locked and an unlocked mutex, then
/// ten threads hammering one mutex
/// ([`TestMutex`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex_test.go#L75)).
#[test]
fn test_mutex() {
    let loops = testkit::scale(1000, 1000, 30);
    testkit::watchdog(move || {
        let m = Arc::new(RawMutex::new());
        m.lock();
        assert!(!m.try_lock(), "TryLock succeeded with mutex locked");
        m.unlock();
        assert!(m.try_lock(), "TryLock failed with mutex unlocked");
        m.unlock();

        let hammers: Vec<_> = (0..10)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || hammer_mutex(&m, loops))
            })
            .collect();
        for h in hammers {
            h.join().unwrap();
        }
        assert!(!m.is_locked());
        assert_eq!(m.waiters(), 0);
    });
}

/// Port of `TestMutexFairness`: one thread holds the lock almost all the
/// time; another, wanting it now and then, must get it ten times within
/// 10 s. Without starvation mode it may wait far longer
/// ([`TestMutexFairness`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex_test.go#L199)).
#[test]
fn test_mutex_fairness() {
    testkit::watchdog_with(Duration::from_secs(10), |_| {
        let m = Arc::new(RawMutex::new());
        let stop = Arc::new(AtomicBool::new(false));
        let hog = {
            let (m, stop) = (Arc::clone(&m), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(SeqCst) {
                    m.lock();
                    thread::sleep(Duration::from_micros(100));
                    m.unlock();
                }
            })
        };
        for _ in 0..10 {
            thread::sleep(Duration::from_micros(100));
            m.lock();
            m.unlock();
        }
        stop.store(true, SeqCst);
        hog.join().unwrap();
    });
}

/// The misuse cases of `TestMutexMisuse` that belong to `Mutex` (the
/// `RWMutex` ones come with chapter 2), run in a child process because the
/// failure is fatal, as in Go.
const MISUSE_ENV: &str = "GOSYNC_MUTEX_MISUSE";

/// The child side, run only by `test_mutex_misuse` in a child process.
#[test]
#[ignore = "a child process of test_mutex_misuse, which runs it"]
fn mutex_misuse_child() {
    // `cargo test -- --ignored` (long mode) reaches here too: without a
    // case to run, there is nothing to do.
    let Ok(case) = std::env::var(MISUSE_ENV) else {
        return;
    };
    let m = RawMutex::new();
    match case.as_str() {
        "Mutex.Unlock" => m.unlock(),
        "Mutex.Unlock2" => {
            m.lock();
            m.unlock();
            m.unlock();
        }
        other => panic!("unknown misuse case {other}"),
    }
    println!("test completed");
}

/// Port of `TestMutexMisuse`: each misuse must end the process with a
/// message about an unlocked lock, and a panic handler cannot stop it
/// ([`TestMutexMisuse`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex_test.go#L189)).
#[test]
#[cfg_attr(miri, ignore = "Miri cannot start processes; run it without Miri")]
fn test_mutex_misuse() {
    for case in ["Mutex.Unlock", "Mutex.Unlock2"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "mutex_misuse_child", "--ignored", "--nocapture"])
            .env(MISUSE_ENV, case)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && text.contains("fatal error: sync: unlock of unlocked mutex"),
            "{case}: did not find failure with message about unlocked lock: {text}"
        );
    }
}

/// A waiter kept from the lock for more than 1 ms switches the mutex to
/// starvation mode; when it finally gets the lock as the last waiter, it
/// switches it back.
#[test]
fn waiting_over_1ms_starves_then_recovers() {
    testkit::watchdog(|| {
        // The scenario needs us to win a race against a woken waiter; if
        // the waiter wins instead, it simply gets the lock and we try again.
        for _attempt in 0..100 {
            let m = Arc::new(RawMutex::new());
            m.lock();
            let waiter = {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    m.lock();
                    m.unlock();
                })
            };
            while m.waiters() == 0 {
                thread::yield_now();
            }
            // Keep the waiter out for over 1 ms, then let it go and barge
            // back in at once: it wakes, loses, and flags starvation, which
            // we see while we hold the lock (once handed the lock, the
            // waiter, being the last, switches back at once).
            let mut starving = false;
            for _ in 0..5 {
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
            assert_eq!(m.waiters(), 1, "the starving waiter is queued");
            // Our unlock hands the lock straight to the waiter.
            m.unlock();
            waiter.join().unwrap();
            while m.is_locked() {
                thread::yield_now();
            }
            assert!(
                !m.is_starving(),
                "the last waiter must leave starvation mode"
            );
            return;
        }
        panic!("in 100 attempts the mutex never entered starvation mode");
    });
}

/// `Mutex<T>`: the guard gives access and unlocks on drop.
#[test]
fn mutex_guards_its_data() {
    let rounds = testkit::scale(10_000, 1_000_000, 50);
    testkit::watchdog(move || {
        let m = Arc::new(Mutex::new(0u64));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for _ in 0..rounds {
                        *m.lock() += 1;
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let total = *m.lock();
        assert_eq!(total, 4 * rounds as u64);
        let guard = m.lock();
        assert!(m.try_lock().is_none());
        assert_eq!(format!("{m:?}"), "Mutex { data: <locked>, .. }");
        drop(guard);
        assert_eq!(format!("{m:?}"), format!("Mutex {{ data: {total}, .. }}"));
        let mut m = Arc::try_unwrap(m).unwrap();
        *m.get_mut() += 1;
        assert_eq!(m.into_inner(), total + 1);
    });
}
