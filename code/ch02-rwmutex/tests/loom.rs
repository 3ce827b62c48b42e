//! Loom models of Go's reader/writer handshake, run on the real
//! `RawRwMutex` (with chapter 1's mutex and chapter 0's semaphore under
//! it). Loom's `UnsafeCell` inside `RwMutex<T>` reports any read and write
//! of the data that the lock fails to order.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ch02-rwmutex --test loom`
#![cfg(loom)]

use ch02_rwmutex::{RawRwMutex, RwMutex, ShardedRwMutex};
use loom::sync::Arc;
use loom::thread;

/// A writer and a reader: the reader sees 0 or 1, never a torn or
/// unordered write. Where the reader comes second without waiting, only
/// `unlock`'s Release and `rlock`'s Acquire order the two.
#[test]
fn writer_then_reader_sees_the_write() {
    testkit::loom_model("writer_then_reader_sees_the_write", 12, || {
        ch00_runtime::spin::set_spinning(false);
        let m = Arc::new(RwMutex::new(0));
        let w = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.write() = 1)
        };
        let seen = *m.read();
        assert!(seen == 0 || seen == 1);
        w.join().unwrap();
        assert_eq!(*m.read(), 1);
    });
}

/// A reader, then a writer: the writer must not write while the reader
/// reads. Where the reader leaves before the writer announces itself, the
/// order comes from `runlock`'s Release and the announcement's Acquire.
#[test]
fn reader_then_writer_no_race() {
    testkit::loom_model("reader_then_writer_no_race", 12, || {
        ch00_runtime::spin::set_spinning(false);
        let m = Arc::new(RwMutex::new(0));
        let r = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.read())
        };
        *m.write() += 1;
        let seen = r.join().unwrap();
        assert!(seen == 0 || seen == 1);
    });
}

/// Two readers hold or take the read lock while a writer arrives: every
/// order of the readers' departures against the announcement. Readers
/// that leave before the writer adds them to `reader_wait` count it below
/// zero, and the writer's add brings it to 0 (no sleep); otherwise the
/// last reader out wakes the writer. In each case the writer sees both
/// readers' reads done (the AcqRel of `reader_wait`), and nobody is left
/// asleep.
#[test]
fn two_readers_drain_to_a_writer() {
    testkit::loom_model("two_readers_drain_to_a_writer", 140, || {
        ch00_runtime::spin::set_spinning(false);
        let m = Arc::new(RwMutex::new(0));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || *m.read())
            })
            .collect();
        *m.write() = 7;
        for r in readers {
            let seen = r.join().unwrap();
            assert!(seen == 0 || seen == 7);
        }
        assert_eq!(m.readers(), (0, false));
    });
}

/// Two readers are inside when the writer announces itself, and leave
/// only after that (each waits, yielding, to see the announcement): every
/// order of their two departures against the writer's add to
/// `reader_wait`. Where both leave after the add, the first leaver's
/// reads reach the writer only through the last leaver, whose decrement
/// must acquire them (AcqRel) before it wakes the writer.
/// One order needs three preemptions, so this model runs with a bound of
/// 3 (the others use `LOOM_MAX_PREEMPTIONS`, 2): the writer adds to
/// `reader_wait` and is preempted before it reaches the semaphore; both
/// readers leave, the last one releasing the semaphore; the writer then
/// takes the count without sleeping. Its Acquire on the semaphore's count
/// reaches the last reader's release, and only the last reader's Acquire
/// on `reader_wait` brings the first reader's reads along.
#[test]
fn readers_inside_at_the_announcement() {
    testkit::loom_model_with_preemptions("readers_inside_at_the_announcement", 12000, 3, || {
        ch00_runtime::spin::set_spinning(false);
        let m = Arc::new(RwMutex::new(0));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    let g = m.read();
                    let seen = *g;
                    // A reader that got in before the writer stays until
                    // it sees the writer's announcement. (A bounded wait:
                    // loom lets a Relaxed load read an old value for as
                    // long as it is asked, so an unbounded loop never ends.)
                    for _ in 0..3 {
                        if m.readers().1 {
                            break;
                        }
                        thread::yield_now();
                    }
                    drop(g);
                    seen
                })
            })
            .collect();
        *m.write() = 7;
        for r in readers {
            let seen = r.join().unwrap();
            assert!(seen == 0 || seen == 7);
        }
        assert_eq!(m.readers(), (0, false));
    });
}

/// A writer holds the lock while two readers arrive: both count themselves
/// and sleep (or are about to); `unlock` releases the reader semaphore once
/// per counted reader, and both get in and see the write.
#[test]
fn unlock_wakes_the_waiting_readers() {
    testkit::loom_model("unlock_wakes_the_waiting_readers", 130, || {
        ch00_runtime::spin::set_spinning(false);
        let m = Arc::new(RawRwMutex::new());
        let data = Arc::new(loom::cell::UnsafeCell::new(0));
        m.lock();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let (m, data) = (Arc::clone(&m), Arc::clone(&data));
                thread::spawn(move || {
                    m.rlock();
                    // SAFETY: read-locked: no writer holds the lock.
                    let seen = data.with(|p| unsafe { *p });
                    m.runlock();
                    seen
                })
            })
            .collect();
        // SAFETY: write-locked.
        data.with_mut(|p| unsafe { *p = 5 });
        m.unlock();
        for r in readers {
            assert_eq!(
                r.join().unwrap(),
                5,
                "a reader got in before the writer left"
            );
        }
        assert_eq!(m.readers(), (0, false));
        assert_eq!(m.sleepers(), (0, 0));
        assert_eq!(m.semaphore_counts(), (0, 0), "a wake-up for nobody");
    });
}

/// Two writers and a reader: the writers take turns through chapter 1's
/// mutex, the reader fits in between, and the counter ends at 2.
#[test]
fn two_writers_and_a_reader() {
    testkit::loom_model("two_writers_and_a_reader", 200, || {
        ch00_runtime::spin::set_spinning(false);
        let m = Arc::new(RwMutex::new(0));
        let w = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.write() += 1)
        };
        let r = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.read())
        };
        *m.write() += 1;
        w.join().unwrap();
        assert!(r.join().unwrap() <= 2);
        assert_eq!(*m.read(), 2);
    });
}

/// `try_rlock` after a writer: if it succeeds, it sees the write (its
/// CAS's Acquire pairs with `unlock`'s Release).
#[test]
fn try_rlock_sees_the_writers_write() {
    testkit::loom_model("try_rlock_sees_the_writers_write", 16, || {
        let m = Arc::new(RwMutex::new(0));
        let w = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.write() = 1)
        };
        if let Some(g) = m.try_read() {
            assert!(*g == 0 || *g == 1);
        }
        w.join().unwrap();
    });
}

/// `try_lock` after a reader: if it succeeds, the reader's read is done
/// (its CAS's Acquire pairs with `runlock`'s Release).
#[test]
fn try_lock_after_a_reader_no_race() {
    testkit::loom_model("try_lock_after_a_reader_no_race", 8, || {
        let m = Arc::new(RwMutex::new(0));
        let r = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.read())
        };
        if let Some(mut g) = m.try_write() {
            *g = 1;
        }
        assert!(r.join().unwrap() <= 1);
    });
}

/// The recursive read lock that Go's doc forbids: a thread read-locks, a
/// writer announces itself, the thread read-locks again. Loom finds every
/// thread blocked and reports the deadlock (`deadlock; threads = ...`).
/// Loom's deadlock panic cannot unwind cleanly through the semaphore's
/// waiter (dropping a loom `Arc` mid-panic aborts), so the model runs in a
/// child process, and the test reads its report.
#[test]
fn recursive_read_lock_deadlocks() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "recursive_read_lock_child",
            "--ignored",
            "--nocapture",
        ])
        .env("GOSYNC_RECURSIVE_CHILD", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && text.contains("deadlock; threads ="),
        "loom did not report the recursive read lock as a deadlock:\n{text}"
    );
}

/// The child side of `recursive_read_lock_deadlocks`.
#[test]
#[ignore = "a child process of recursive_read_lock_deadlocks, which runs it"]
fn recursive_read_lock_child() {
    if std::env::var_os("GOSYNC_RECURSIVE_CHILD").is_none() {
        return;
    }
    loom::model(|| {
        ch00_runtime::spin::set_spinning(false);
        let m = Arc::new(RawRwMutex::new());
        m.rlock();
        let w = {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                m.lock();
                m.unlock();
            })
        };
        while !m.readers().1 {
            thread::yield_now();
        }
        m.rlock(); // waits for the writer, which waits for us
        m.runlock();
        m.runlock();
        w.join().unwrap();
    });
}

/// The sharded lock: two readers on two shards and a writer that must
/// lock both. Neither reader's read may overlap the write.
#[test]
fn sharded_readers_and_a_writer() {
    testkit::loom_model("sharded_readers_and_a_writer", 200, || {
        ch00_runtime::spin::set_spinning(false);
        let m = Arc::new(ShardedRwMutex::with_shards(2, 0));
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || *m.read())
            })
            .collect();
        *m.write() = 3;
        for r in readers {
            let seen = r.join().unwrap();
            assert!(seen == 0 || seen == 3);
        }
    });
}
