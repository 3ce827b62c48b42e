//! Loom models of the spin lock: every interleaving of two threads, with
//! loom's race detector on the protected value. A `Relaxed` where `Acquire`
//! or `Release` belongs fails here even on x86, where the plain tests pass.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex00-spinlock --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex00_spinlock_solution as ex00_spinlock;

use ex00_spinlock::SpinLock;
use loom::sync::Arc;
use loom::thread;

#[test]
fn two_lockers_one_counter() {
    loom::model(|| {
        let lock = Arc::new(SpinLock::new(0));
        let other = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || *lock.lock() += 1)
        };
        *lock.lock() += 1;
        other.join().unwrap();
        assert_eq!(*lock.lock(), 2);
    });
}

#[test]
fn try_lock_sees_the_holders_writes() {
    loom::model(|| {
        let lock = Arc::new(SpinLock::new(0));
        let other = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || {
                if let Some(mut guard) = lock.try_lock() {
                    *guard += 1;
                }
            })
        };
        if let Some(mut guard) = lock.try_lock() {
            *guard += 10;
        }
        other.join().unwrap();
        let total = *lock.lock();
        assert!(matches!(total, 1 | 10 | 11), "got {total}");
    });
}
