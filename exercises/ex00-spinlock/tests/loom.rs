//! Loom models of the spin lock: every interleaving of two threads, with
//! loom's race detector on the protected value. A `Relaxed` where `Acquire`
//! or `Release` belongs fails here even on x86, where the plain tests pass.
//!
//! The models take the lock with `try_lock` only. `lock()` spins without a
//! bound, and loom explores a spinning thread forever even when it yields
//! (tokio-rs/loom#162), so `lock()`'s ordering is checked by Miri's race
//! detector instead (`cargo +nightly miri test -p ex00-spinlock-solution`).
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex00-spinlock --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex00_spinlock_solution as ex00_spinlock;

use ex00_spinlock::SpinLock;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

/// Each thread adds to the value if it gets the lock. When both get it, one
/// after the other, the second must see the first's write: that is the
/// Release in `drop` pairing with the Acquire in `try_lock`.
#[test]
fn writes_pass_from_holder_to_holder() {
    loom::model(|| {
        let lock = Arc::new(SpinLock::new(0));
        let other = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || lock.try_lock().map(|mut g| *g += 1).is_some())
        };
        let mine = lock.try_lock().map(|mut g| *g += 10).is_some();
        let theirs = other.join().unwrap();
        let expected = if mine { 10 } else { 0 } + if theirs { 1 } else { 0 };
        assert_eq!(lock.try_lock().map(|g| *g), Some(expected));
    });
}

/// Never two holders at once.
#[test]
fn one_holder_at_a_time() {
    loom::model(|| {
        let lock = Arc::new(SpinLock::new(()));
        let inside = Arc::new(AtomicUsize::new(0));
        let visit = {
            let (lock, inside) = (Arc::clone(&lock), Arc::clone(&inside));
            move || {
                if let Some(guard) = lock.try_lock() {
                    assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders at once");
                    inside.fetch_sub(1, SeqCst);
                    drop(guard);
                }
            }
        };
        let other = thread::spawn(visit.clone());
        visit();
        other.join().unwrap();
    });
}
