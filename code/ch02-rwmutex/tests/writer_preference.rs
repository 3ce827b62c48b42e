//! Writer preference, beyond Go's tests: a writer that waits stops new
//! readers, it gets in while readers keep coming, and the price: a reader
//! that read-locks again behind a waiting writer deadlocks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;
use std::time::{Duration, Instant};

use ch02_rwmutex::RawRwMutex;

/// Waits (yielding) until `f` holds.
fn until(f: impl Fn() -> bool) {
    while !f() {
        thread::yield_now();
    }
}

/// A reader holds the lock; a writer arrives and announces itself; from
/// then on `try_rlock` fails and a new reader sleeps, even though only a
/// reader holds the lock. The new reader gets in only after the writer has
/// been in and out.
#[test]
fn a_pending_writer_blocks_new_readers() {
    testkit::watchdog(|| {
        let m = Arc::new(RawRwMutex::new());
        let writer_done = Arc::new(AtomicBool::new(false));
        m.rlock();
        let writer = {
            let (m, done) = (Arc::clone(&m), Arc::clone(&writer_done));
            thread::spawn(move || {
                m.lock();
                done.store(true, SeqCst);
                m.unlock();
            })
        };
        until(|| m.readers() == (1, true));
        assert!(!m.try_rlock(), "TryRLock succeeded with a writer pending");
        let late_reader = {
            let (m, done) = (Arc::clone(&m), Arc::clone(&writer_done));
            thread::spawn(move || {
                m.rlock();
                let saw = done.load(SeqCst);
                m.runlock();
                saw
            })
        };
        // The late reader is counted and asleep behind the writer.
        until(|| m.sleepers().0 == 1);
        assert_eq!(m.readers(), (2, true));
        assert!(!writer_done.load(SeqCst));
        m.runlock();
        writer.join().unwrap();
        assert!(
            late_reader.join().unwrap(),
            "a reader that arrived after the writer got in before it"
        );
        assert_eq!(m.readers(), (0, false));
    });
}

/// Four readers keep the lock read-held all the time (each re-locks as
/// soon as it unlocks, and their holds overlap); a writer still gets in,
/// ten times. A lock that let readers in past a waiting writer would keep
/// this writer out for as long as the readers run; the watchdog (10 s)
/// would report it. The longest wait is printed, not asserted: timing is
/// the benchmark's business.
#[test]
fn a_writer_gets_in_while_readers_stream() {
    testkit::watchdog_with(Duration::from_secs(10), |progress| {
        let m = Arc::new(RawRwMutex::new());
        let stop = Arc::new(AtomicBool::new(false));
        let reads = Arc::new(AtomicUsize::new(0));
        let readers: Vec<_> = (0..4)
            .map(|_| {
                let (m, stop, reads) = (Arc::clone(&m), Arc::clone(&stop), Arc::clone(&reads));
                thread::spawn(move || {
                    while !stop.load(SeqCst) {
                        m.rlock();
                        reads.fetch_add(1, SeqCst);
                        thread::sleep(Duration::from_micros(200));
                        m.runlock();
                    }
                })
            })
            .collect();
        until(|| reads.load(SeqCst) > 10);
        let mut longest = Duration::ZERO;
        for _ in 0..10 {
            thread::sleep(Duration::from_millis(1));
            let start = Instant::now();
            m.lock();
            longest = longest.max(start.elapsed());
            m.unlock();
            progress.tick();
        }
        stop.store(true, SeqCst);
        for r in readers {
            r.join().unwrap();
        }
        println!("longest writer wait with 4 readers streaming: {longest:?}");
    });
}

/// Go's doc forbids recursive read locking, and this is why: a thread
/// holding a read lock read-locks again after a writer has announced
/// itself. The inner `rlock` waits for the writer, the writer waits for
/// the outer read lock to go: neither can move. Nothing detects it (Go's
/// lock cannot either); the watchdog reports it. `loom::recursive_read_lock_deadlocks`
/// shows loom finding the same deadlock.
#[test]
#[should_panic(expected = "possible deadlock: no progress after 2 s")]
#[cfg_attr(miri, ignore = "leaves two threads blocked forever")]
fn recursive_read_lock_deadlocks_behind_a_writer() {
    testkit::watchdog_with(Duration::from_secs(2), |_| {
        let m: &'static RawRwMutex = Box::leak(Box::new(RawRwMutex::new()));
        m.rlock();
        // Never joined: it stays blocked, as does this thread.
        thread::spawn(move || {
            m.lock();
            m.unlock();
        });
        until(|| m.readers().1);
        m.rlock(); // waits for the writer, which waits for us
        m.runlock();
        m.runlock();
    });
}
