//! Loom models of `try_rlock`: every interleaving of a few threads, with
//! loom's race detector on the data the lock protects. A model that fails
//! with a *Causality violation* found a reader and a writer inside at once
//! (or an ordering too weak to order them). The writer here uses
//! `try_lock`: this exercise's `lock` retries it in a loop, and loom would
//! explore a retrying thread for ever.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex02-try-rlock --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex02_try_rlock_solution as ex02_try_rlock;

use ex02_try_rlock::RawRwMutex;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

/// A lock and the value it protects.
struct Shared {
    lock: RawRwMutex,
    value: UnsafeCell<i32>,
}

// SAFETY: `value` is only touched under the lock (that is what the models
// check).
unsafe impl Sync for Shared {}

impl Shared {
    fn new() -> Arc<Self> {
        ch00_runtime::spin::set_spinning(false);
        Arc::new(Self {
            lock: RawRwMutex::new(),
            value: UnsafeCell::new(0),
        })
    }
    fn read(&self) -> i32 {
        // SAFETY: called with a read lock held.
        self.value.with(|p| unsafe { *p })
    }
    fn write(&self, v: i32) {
        // SAFETY: called with the write lock held.
        self.value.with_mut(|p| unsafe { *p = v });
    }
}

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// `try_rlock` against a writer: when it succeeds it is alone with the
/// data or sees the writer's write, and when it fails it leaves nothing
/// behind for the writer to wait for or to wake.
#[test]
fn try_rlock_and_a_writer() {
    model("try_rlock_and_a_writer", 12, || {
        let s = Shared::new();
        let writer = {
            let s = Arc::clone(&s);
            thread::spawn(move || {
                if s.lock.try_lock() {
                    s.write(1);
                    s.lock.unlock();
                }
            })
        };
        if s.lock.try_rlock() {
            assert!(s.read() <= 1);
            s.lock.runlock();
        }
        writer.join().unwrap();
        assert_eq!(s.lock.readers(), (0, false));
        assert!(s.lock.try_lock(), "TryLock failed with mutex unlocked");
        s.lock.unlock();
    });
}

/// A `try_rlock` that fails against a writer must not be counted as a
/// reader that the writer's `unlock` lets in: that would leave a count on
/// the reader semaphore for nobody, and the next reader to queue behind a
/// writer would take it and walk straight past that writer.
#[test]
fn a_failed_try_rlock_leaves_no_stray_wakeup() {
    model("a_failed_try_rlock_leaves_no_stray_wakeup", 5, || {
        let s = Shared::new();
        s.lock.lock();
        let t = {
            let s = Arc::clone(&s);
            thread::spawn(move || {
                if s.lock.try_rlock() {
                    assert!(s.read() <= 1);
                    s.lock.runlock();
                }
            })
        };
        s.write(1);
        s.lock.unlock();
        t.join().unwrap();
        assert_eq!(s.lock.readers(), (0, false));
        assert_eq!(
            s.lock.semaphore_counts(),
            (0, 0),
            "a wake-up was left on a semaphore for nobody"
        );
    });
}

/// Two `try_rlock`s at once, and no writer: both must get the read lock.
/// A compare-exchange that loses to the other reader has found a count
/// that is still non-negative, so it must try again, not give up.
#[test]
fn two_try_rlocks_both_succeed() {
    model("two_try_rlocks_both_succeed", 5, || {
        let s = Shared::new();
        let other = {
            let s = Arc::clone(&s);
            thread::spawn(move || s.lock.try_rlock())
        };
        let mine = s.lock.try_rlock();
        let theirs = other.join().unwrap();
        assert!(
            mine && theirs,
            "TryRLock failed with no writer, only another reader"
        );
        assert_eq!(s.lock.readers(), (2, false));
        s.lock.runlock();
        s.lock.runlock();
    });
}
