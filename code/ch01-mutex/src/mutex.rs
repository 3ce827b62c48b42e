//! `Mutex<T>`: Go's mutex with the data inside it and a guard that unlocks.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::raw::RawMutex;
use crate::sync::cell::UnsafeCell;

/// A mutual exclusion lock protecting a `T`, with Go's algorithm: barging
/// and spinning for throughput, and starvation mode once a waiter has waited
/// more than 1 ms.
///
/// Unlike `std::sync::Mutex` there is no poisoning: a panic while the lock
/// is held unlocks it (the guard's drop runs during unwinding) and the next
/// locker sees the data as the panicking thread left it, as in Go, where a
/// recovered panic leaves the data as it was. Chapter 1 discusses why.
pub struct Mutex<T: ?Sized> {
    raw: RawMutex,
    data: UnsafeCell<T>,
}

// SAFETY: the mutex gives one thread at a time access to the data, which
// moves `T` between threads (needs `Send`) but never shares it.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above: `&Mutex<T>` lets threads take turns with `&mut T`.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

/// Proof of holding the lock; derefs to the data and unlocks when dropped.
///
/// It is `!Send`: the lock is released by the thread that took it, as with
/// `std::sync::MutexGuard`. (Go lets any goroutine call `Unlock`;
/// [`RawMutex`] keeps that freedom for code that needs it.)
#[must_use = "the lock is released as soon as the guard is dropped"]
pub struct MutexGuard<'a, T: ?Sized> {
    mutex: &'a Mutex<T>,
    // `*const ()` makes the guard `!Send` (and `!Sync`, restored below).
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing a guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for MutexGuard<'_, T> {}

impl<T> Mutex<T> {
    /// A new, unlocked mutex holding `value`.
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Self {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// A new, unlocked mutex holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Self {
            raw: RawMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Like [`Mutex::new`], but never entering starvation mode (Go before 1.9).
    pub fn without_starvation(value: T) -> Self {
        Self {
            raw: RawMutex::without_starvation(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the mutex and returns the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> Mutex<T> {
    /// Locks the mutex, waiting as long as it takes.
    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.raw.lock();
        self.guard()
    }

    /// Locks the mutex if it is free right now.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.raw.try_lock().then(|| self.guard())
    }

    /// The data, through a unique borrow: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` means no guard and no other borrow exists.
        self.data.with_mut(|p| unsafe { &mut *p })
    }

    /// The lock itself, for code that wants Go's lock/unlock calls.
    ///
    /// # Safety
    ///
    /// The caller must not unlock the raw lock while a [`MutexGuard`] of
    /// this mutex is alive, nor leave it locked by hand when a guard is
    /// later dropped: either way a second guard, and a second `&mut T`,
    /// could exist at once. (This is why it is `unsafe`, as in `lock_api`:
    /// a safe `raw()` let safe code do exactly that.)
    ///
    /// ```compile_fail,E0133
    /// let m = ch01_mutex::Mutex::new(vec![1]);
    /// let g1 = m.lock();
    /// m.raw().unlock(); // needs `unsafe`: it would break g1's promise
    /// let g2 = m.lock(); // a second `&mut Vec` beside g1's
    /// # drop((g1, g2));
    /// ```
    pub unsafe fn raw(&self) -> &RawMutex {
        &self.raw
    }

    fn guard(&self) -> MutexGuard<'_, T> {
        MutexGuard {
            mutex: self,
            _not_send: PhantomData,
        }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        self.mutex.raw.unlock();
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while this thread holds the lock.
        self.mutex.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes the borrow unique.
        self.mutex.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Mutex");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for MutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
