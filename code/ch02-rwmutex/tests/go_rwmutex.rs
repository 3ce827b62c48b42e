//! Ports of Go's `sync/rwmutex_test.go` (go1.23.5), one test per Go test,
//! and the RWMutex half of `TestMutexMisuse` from `mutex_test.go`. Every
//! concurrent test runs under the watchdog.

use std::process::Command;
use std::sync::atomic::{AtomicI32, Ordering::SeqCst};
use std::sync::mpsc;
use std::sync::{Arc, Barrier};
use std::thread;

use ch01_mutex::Locker;
use ch02_rwmutex::{RawRwMutex, RwMutex};

/// Go's `doTestParallelReaders`: `readers` threads each take the read lock
/// and report it; only when all have reported (so all hold it at once)
/// does the test let them unlock.
fn do_test_parallel_readers(readers: usize) {
    let m = Arc::new(RawRwMutex::new());
    let (locked_tx, locked_rx) = mpsc::channel();
    let unlock = Arc::new(Barrier::new(readers + 1));
    let handles: Vec<_> = (0..readers)
        .map(|_| {
            let (m, locked_tx, unlock) = (Arc::clone(&m), locked_tx.clone(), Arc::clone(&unlock));
            thread::spawn(move || {
                m.rlock();
                locked_tx.send(()).unwrap();
                unlock.wait();
                m.runlock();
            })
        })
        .collect();
    for _ in 0..readers {
        locked_rx.recv().unwrap();
    }
    assert_eq!(m.readers(), (readers as i32, false));
    unlock.wait();
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(m.readers(), (0, false));
}

/// Port of `TestParallelReaders`: 1, 3 and 4 readers hold the read lock at
/// the same time (Go also varies GOMAXPROCS, 4, 4 and 2; our threads are
/// the OS's)
/// ([`TestParallelReaders`](https://github.com/golang/go/blob/go1.23.5/src/sync/rwmutex_test.go#L50)).
#[test]
fn test_parallel_readers() {
    testkit::watchdog(|| {
        for readers in [1, 3, 4] {
            do_test_parallel_readers(readers);
        }
    });
}

/// Go's `HammerRWMutex`'s reader: inside the read lock, the activity count
/// says no writer is in (`n < 10000`).
fn reader(m: &RawRwMutex, iterations: usize, activity: &AtomicI32) {
    for _ in 0..iterations {
        m.rlock();
        let n = activity.fetch_add(1, SeqCst) + 1;
        if !(1..10000).contains(&n) {
            m.runlock();
            panic!("wlock({n})");
        }
        for _ in 0..100 {
            std::hint::black_box(());
        }
        activity.fetch_sub(1, SeqCst);
        m.runlock();
    }
}

/// Go's `HammerRWMutex`'s writer: inside the write lock, nobody else is.
fn writer(m: &RawRwMutex, iterations: usize, activity: &AtomicI32) {
    for _ in 0..iterations {
        m.lock();
        let n = activity.fetch_add(10000, SeqCst) + 10000;
        if n != 10000 {
            m.unlock();
            panic!("wlock({n})");
        }
        for _ in 0..100 {
            std::hint::black_box(());
        }
        activity.fetch_sub(10000, SeqCst);
        m.unlock();
    }
}

/// Go's `HammerRWMutex`: a writer, half the readers, a second writer, the
/// other half, all at once on one lock.
fn hammer_rwmutex(readers: usize, iterations: usize) {
    let m = Arc::new(RawRwMutex::new());
    let activity = Arc::new(AtomicI32::new(0));
    let spawn = |write: bool| {
        let (m, activity) = (Arc::clone(&m), Arc::clone(&activity));
        thread::spawn(move || {
            if write {
                writer(&m, iterations, &activity)
            } else {
                reader(&m, iterations, &activity)
            }
        })
    };
    let mut handles = vec![spawn(true)];
    handles.extend((0..readers / 2).map(|_| spawn(false)));
    handles.push(spawn(true));
    handles.extend((readers / 2..readers).map(|_| spawn(false)));
    for h in handles {
        h.join().unwrap();
    }
    assert_eq!(m.readers(), (0, false));
    assert_eq!(m.sleepers(), (0, 0));
}

/// Port of `TestRWMutex`: the `TryLock`/`TryRLock` truth table, then
/// `HammerRWMutex` with 1, 3, 10 and 5 readers (Go runs each under
/// GOMAXPROCS 1, 4 and 10; 1000 iterations, 5 in `-short` mode and here
/// under Miri)
/// ([`TestRWMutex`](https://github.com/golang/go/blob/go1.23.5/src/sync/rwmutex_test.go#L110)).
#[test]
fn test_rwmutex() {
    let n = testkit::scale(1000, 1000, 5);
    testkit::watchdog(move || {
        let m = RawRwMutex::new();
        m.lock();
        assert!(!m.try_lock(), "TryLock succeeded with mutex locked");
        assert!(!m.try_rlock(), "TryRLock succeeded with mutex locked");
        m.unlock();
        assert!(m.try_lock(), "TryLock failed with mutex unlocked");
        m.unlock();
        assert!(m.try_rlock(), "TryRLock failed with mutex unlocked");
        assert!(m.try_rlock(), "TryRLock failed with mutex rlocked");
        assert!(!m.try_lock(), "TryLock succeeded with mutex rlocked");
        m.runlock();
        m.runlock();

        // Go's ten calls, GOMAXPROCS aside: (1,1) (1,3) (1,10) (4,1) ...
        for readers in [1, 3, 10, 1, 3, 10, 1, 3, 10, 5] {
            hammer_rwmutex(readers, n);
        }
    });
}

/// Port of `TestRLocker`: a thread read-locks twice through `RLocker`,
/// then asks for the write lock; the test checks that one read unlock is
/// not enough to let the writer in, that two are, and that the writer
/// keeps the next reader out
/// ([`TestRLocker`](https://github.com/golang/go/blob/go1.23.5/src/sync/rwmutex_test.go#L156)).
#[test]
fn test_rlocker() {
    testkit::watchdog(|| {
        let wl = RawRwMutex::new();
        let rl = wl.rlocker();
        let (wlocked_tx, wlocked) = mpsc::sync_channel(1);
        let (rlocked_tx, rlocked) = mpsc::sync_channel(1);
        let n = 10;
        thread::scope(|s| {
            s.spawn(|| {
                for _ in 0..n {
                    rl.lock();
                    rl.lock();
                    rlocked_tx.send(()).unwrap();
                    wl.lock();
                    wlocked_tx.send(()).unwrap();
                }
                drop((rlocked_tx, wlocked_tx));
            });
            for _ in 0..n {
                rlocked.recv().unwrap();
                rl.unlock();
                // Go's `select` with a default: has the writer got in?
                // (Go checks at once; we wait until the writer is announced,
                // so the check cannot pass by being early.)
                while !wl.readers().1 {
                    thread::yield_now();
                }
                assert!(wlocked.try_recv().is_err(), "RLocker() didn't read-lock it");
                rl.unlock();
                wlocked.recv().unwrap();
                // (After its last round the thread has hung up: an error too.)
                assert!(
                    rlocked.try_recv().is_err(),
                    "RLocker() didn't respect the write lock"
                );
                wl.unlock();
            }
        });
    });
}

/// The RWMutex cases of `TestMutexMisuse` (`mutex_test.go`), run in a
/// child process because the failure is fatal, as in Go.
const MISUSE_ENV: &str = "GOSYNC_RWMUTEX_MISUSE";

/// The child side, run only by `test_mutex_misuse` in a child process.
#[test]
#[ignore = "a child process of test_mutex_misuse, which runs it"]
fn rwmutex_misuse_child() {
    // `cargo test -- --ignored` reaches here too: without a case, nothing to do.
    let Ok(case) = std::env::var(MISUSE_ENV) else {
        return;
    };
    let mu = RawRwMutex::new();
    match case.as_str() {
        "RWMutex.Unlock" => mu.unlock(),
        "RWMutex.Unlock2" => {
            mu.rlock();
            mu.unlock();
        }
        "RWMutex.Unlock3" => {
            mu.lock();
            mu.unlock();
            mu.unlock();
        }
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

/// Port of the RWMutex cases of `TestMutexMisuse`: each misuse ends the
/// process with Go's message about an unlocked lock (chapter 1 ports the
/// Mutex cases)
/// ([`TestMutexMisuse`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex_test.go#L189),
/// cases from [`misuseTests`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex_test.go#L102)).
#[test]
#[cfg_attr(miri, ignore = "Miri cannot start processes; run it without Miri")]
fn test_mutex_misuse() {
    for (case, message) in [
        ("RWMutex.Unlock", "sync: Unlock of unlocked RWMutex"),
        ("RWMutex.Unlock2", "sync: Unlock of unlocked RWMutex"),
        ("RWMutex.Unlock3", "sync: Unlock of unlocked RWMutex"),
        ("RWMutex.RUnlock", "sync: RUnlock of unlocked RWMutex"),
        ("RWMutex.RUnlock2", "sync: RUnlock of unlocked RWMutex"),
        ("RWMutex.RUnlock3", "sync: RUnlock of unlocked RWMutex"),
    ] {
        let out = Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "rwmutex_misuse_child",
                "--ignored",
                "--nocapture",
            ])
            .env(MISUSE_ENV, case)
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
        assert!(
            !out.status.success() && text.contains(&format!("fatal error: {message}")),
            "{case}: did not find failure with message about unlocked lock: {text}"
        );
        assert!(
            !text.contains("test completed"),
            "{case}: the child went on"
        );
    }
}

/// `RwMutex<T>`'s guards: readers share, a writer excludes, the data ends
/// as the writers left it, and `try_` follows Go's truth table.
#[test]
fn rwmutex_guards_its_data() {
    let n = testkit::scale(1000, 10_000, 20);
    testkit::watchdog(move || {
        let m = Arc::new(RwMutex::new(vec![0u64; 4]));
        let handles: Vec<_> = (0..4)
            .map(|t| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for i in 0..n {
                        if i % 4 == t % 4 {
                            let mut g = m.write();
                            for x in g.iter_mut() {
                                *x += 1;
                            }
                        } else {
                            let g = m.read();
                            assert!(g.iter().all(|&x| x == g[0]), "a reader saw a torn write");
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        let r = m.read();
        assert!(m.try_read().is_some(), "TryRLock failed with mutex rlocked");
        assert!(
            m.try_write().is_none(),
            "TryLock succeeded with mutex rlocked"
        );
        drop(r);
        let w = m.write();
        assert!(
            m.try_read().is_none(),
            "TryRLock succeeded with mutex locked"
        );
        assert!(
            m.try_write().is_none(),
            "TryLock succeeded with mutex locked"
        );
        drop(w);
        let total = Arc::try_unwrap(m).unwrap().into_inner();
        assert_eq!(total, vec![n as u64; 4]);
    });
}

/// A panic while holding either guard releases the lock (no poisoning),
/// and the data stays usable.
#[test]
fn a_panic_in_a_guard_releases_the_lock() {
    testkit::watchdog(|| {
        let m = Arc::new(RwMutex::new(1));
        let m2 = Arc::clone(&m);
        let r = thread::spawn(move || {
            let mut g = m2.write();
            *g = 2;
            panic!("writer panics");
        })
        .join();
        assert!(r.is_err());
        let m2 = Arc::clone(&m);
        let r = thread::spawn(move || {
            let _g = m2.read();
            panic!("reader panics");
        })
        .join();
        assert!(r.is_err());
        assert_eq!(m.readers(), (0, false));
        *m.write() += 1;
        assert_eq!(*m.read(), 3);
    });
}

/// Drop counting: the value is dropped exactly once, by `into_inner`'s
/// caller or by the lock.
#[test]
fn drops_the_value_once() {
    struct Counted(Arc<AtomicI32>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }
    let drops = Arc::new(AtomicI32::new(0));
    drop(RwMutex::new(Counted(Arc::clone(&drops))));
    assert_eq!(drops.load(SeqCst), 1);
    let inner = RwMutex::new(Counted(Arc::clone(&drops))).into_inner();
    assert_eq!(drops.load(SeqCst), 1);
    drop(inner);
    assert_eq!(drops.load(SeqCst), 2);
    let mut m = RwMutex::new(Counted(Arc::clone(&drops)));
    *m.get_mut() = Counted(Arc::clone(&drops)); // drops the first
    assert_eq!(drops.load(SeqCst), 3);
    drop(m);
    assert_eq!(drops.load(SeqCst), 4);
}

#[test]
fn debug_and_default() {
    let m: RwMutex<i32> = RwMutex::default();
    assert_eq!(format!("{m:?}"), "RwMutex { data: 0, .. }");
    let w = m.write();
    assert_eq!(format!("{m:?}"), "RwMutex { data: <locked>, .. }");
    assert_eq!(format!("{w:?}"), "0");
}
