//! The handshake's tests: run against your exercise and, unchanged,
//! against the solution (the chapter's `RawRwMutex`). Each concurrent test
//! runs under the watchdog. The loom models are in `tests/loom.rs`.

#[cfg(workshop_solution)]
extern crate ex02_handshake_solution as ex02_handshake;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering::SeqCst};
use std::thread;

use ex02_handshake::RawRwMutex;

/// Waits (yielding) until `f` holds.
fn until(f: impl Fn() -> bool) {
    while !f() {
        thread::yield_now();
    }
}

/// A writer that finds a reader inside sleeps, and the reader's departure
/// wakes it.
#[test]
fn the_last_reader_out_wakes_the_writer() {
    testkit::watchdog(|| {
        let m = Arc::new(RawRwMutex::new());
        let inside = Arc::new(AtomicBool::new(false));
        m.rlock();
        m.rlock();
        let writer = {
            let (m, inside) = (Arc::clone(&m), Arc::clone(&inside));
            thread::spawn(move || {
                m.lock();
                inside.store(true, SeqCst);
                m.unlock();
            })
        };
        until(|| m.sleepers().1 == 1);
        m.runlock();
        assert!(
            !inside.load(SeqCst),
            "the writer got in with a reader still inside"
        );
        m.runlock();
        writer.join().unwrap();
        assert!(inside.load(SeqCst));
        assert_eq!(m.readers(), (0, false));
    });
}

/// Go's `HammerRWMutex`: two writers and four readers; an activity count
/// catches a reader beside a writer, or two writers.
#[test]
fn hammer() {
    let n = testkit::scale(1000, 5000, 5);
    testkit::watchdog(move || {
        let m = Arc::new(RawRwMutex::new());
        let activity = Arc::new(AtomicI32::new(0));
        let handles: Vec<_> = (0..6)
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
                        } else {
                            m.rlock();
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
        assert_eq!(m.sleepers(), (0, 0));
    });
}

const MISUSE_ENV: &str = "GOSYNC_EX02_MISUSE";

/// The child side of `runlock_misuse_is_fatal`.
#[test]
#[ignore = "a child process of runlock_misuse_is_fatal, which runs it"]
fn runlock_misuse_child() {
    let Ok(case) = std::env::var(MISUSE_ENV) else {
        return;
    };
    let mu = RawRwMutex::new();
    match case.as_str() {
        "RWMutex.RUnlock" => mu.runlock(),
        "RWMutex.RUnlock2" => {
            mu.lock();
            mu.runlock();
        }
        "RWMutex.RUnlock3" => {
            mu.rlock();
            mu.runlock();
            mu.runlock();
        }
        other => panic!("unknown misuse case {other}"),
    }
    println!("test completed");
}

/// Go's RUnlock misuse cases (`TestMutexMisuse`): each must end the
/// process with `fatal error: sync: RUnlock of unlocked RWMutex`.
#[test]
#[cfg_attr(miri, ignore = "Miri cannot start processes")]
fn runlock_misuse_is_fatal() {
    for case in ["RWMutex.RUnlock", "RWMutex.RUnlock2", "RWMutex.RUnlock3"] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "runlock_misuse_child",
                "--ignored",
                "--nocapture",
            ])
            .env(MISUSE_ENV, case)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        let fatal = text.contains("fatal error: sync: RUnlock of unlocked RWMutex");
        // The child's own test output is left out of the message: it would
        // read like this test's.
        assert!(
            !out.status.success() && fatal,
            "{case}: expected the process to die with `fatal error: sync: RUnlock of unlocked RWMutex`; \
             it {} and {}",
            if out.status.success() {
                "went on and exited normally"
            } else {
                "died"
            },
            if fatal {
                "printed it"
            } else {
                "did not print it"
            },
        );
    }
}
