//! Warm-up: a test-and-test-and-set spin lock.
//!
//! Fill in the three `TODO(exercise)` holes, then run
//! `cargo workshop check ex00-spinlock`.
//!
//! The smallest lock there is, and already every question the book asks:
//! which atomic operation claims the lock, which ordering makes the data
//! written inside one critical section visible in the next, and how to wait
//! without hammering the cache line the lock lives on.

use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use ch00_runtime::sync::atomic::AtomicBool;
use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::sync::cell::UnsafeCell;
use ch00_runtime::sync::spin_loop;

/// A lock that waits by spinning.
pub struct SpinLock<T> {
    locked: AtomicBool,
    value: UnsafeCell<T>,
}

// SAFETY: the lock hands out access to `value` to one thread at a time, so
// sharing the lock only ever moves `T` between threads: `T: Send` suffices.
unsafe impl<T: Send> Sync for SpinLock<T> {}

/// Access to the value; the lock is released when the guard is dropped.
pub struct SpinGuard<'a, T> {
    lock: &'a SpinLock<T>,
    // A guard behaves like `&mut T`: it may cross threads only if `T: Send`
    // and be shared only if `T: Sync`. Without this marker the guard would
    // be `Sync` whenever `T: Send`, which would let two threads share a
    // `&Cell<_>` through one guard.
    _marker: PhantomData<&'a mut T>,
}

impl<T> SpinLock<T> {
    /// A new, unlocked lock holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            locked: AtomicBool::new(false),
            value: UnsafeCell::new(value),
        }
    }

    /// Spins until the lock is free, then takes it.
    pub fn lock(&self) -> SpinGuard<'_, T> {
        // TODO(exercise): test-and-test-and-set. Claim the lock with one atomic
        // read-modify-write; while that fails, wait with plain loads until the
        // lock looks free, calling `spin_loop()` each round. Which ordering
        // must the claim use so the previous holder's writes are visible?
        todo!("SpinLock::lock")
    }

    /// Takes the lock if it is free right now.
    pub fn try_lock(&self) -> Option<SpinGuard<'_, T>> {
        // TODO(exercise): take the lock only if it is free right now, without
        // waiting. Return `Some(self.guard())` on success.
        todo!("SpinLock::try_lock")
    }

    /// Consumes the lock and returns the value.
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    fn guard(&self) -> SpinGuard<'_, T> {
        SpinGuard {
            lock: self,
            _marker: PhantomData,
        }
    }
}

impl<T> Drop for SpinGuard<'_, T> {
    fn drop(&mut self) {
        // TODO(exercise): release the lock. Which ordering makes this holder's
        // writes visible to the next one?
        todo!("SpinGuard::drop")
    }
}

impl<T> Deref for SpinGuard<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        self.lock.value.with(|p| unsafe { &*p })
    }
}

impl<T> DerefMut for SpinGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes this borrow unique.
        self.lock.value.with_mut(|p| unsafe { &mut *p })
    }
}
