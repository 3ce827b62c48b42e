//! A reentrant mutex, built from the chapter's `RawMutex`, the id of the
//! thread that holds it, and a count of its guards.
//!
//! Fill in the three `TODO(exercise)` holes, then run
//! `cargo workshop check ex01-reentrant`.
//!
//! The guard gives `&T` only: one thread may hold several guards at once,
//! and two `&mut T` to the same data would be undefined behaviour. Put a
//! `RefCell` inside to mutate.

use std::marker::PhantomData;
use std::ops::Deref;

use ch00_runtime::sync::atomic::AtomicUsize;
use ch00_runtime::sync::atomic::Ordering::Relaxed;
use ch01_mutex::RawMutex;
pub use ch01_mutex::reentrant::current_thread_id;

/// A mutex its holder may lock again.
pub struct ReentrantMutex<T> {
    raw: RawMutex,
    /// `current_thread_id()` of the holder; 0 when nobody holds it.
    owner: AtomicUsize,
    /// The holder's number of guards; only the holder reads or writes it.
    count: AtomicUsize,
    data: T,
}

// SAFETY: only the holder of `raw` reaches `data`, one thread at a time,
// so sharing the mutex moves `T` between threads: `T: Send` suffices.
unsafe impl<T: Send> Sync for ReentrantMutex<T> {}

/// Proof that this thread holds the lock; `!Send`, derefs to `&T`.
pub struct ReentrantMutexGuard<'a, T> {
    mutex: &'a ReentrantMutex<T>,
    _not_send: PhantomData<*const ()>,
}

impl<T> ReentrantMutex<T> {
    /// A new, unlocked mutex holding `value`.
    pub fn new(value: T) -> Self {
        Self {
            raw: RawMutex::new(),
            owner: AtomicUsize::new(0),
            count: AtomicUsize::new(0),
            data: value,
        }
    }

    /// Consumes the mutex and returns the data.
    pub fn into_inner(self) -> T {
        self.data
    }

    /// True if the calling thread holds the lock.
    pub fn is_owned_by_current_thread(&self) -> bool {
        self.owner.load(Relaxed) == current_thread_id()
    }

    /// Locks, waiting as long as it takes, unless this thread holds the lock
    /// already.
    pub fn lock(&self) -> ReentrantMutexGuard<'_, T> {
        // TODO(exercise): if this thread is the owner, count one more guard.
        // Otherwise lock `raw`, then record yourself as the owner with a
        // count of 1. Either way, return a guard.
        todo!("ReentrantMutex::lock")
    }

    /// Locks if this thread holds the lock already or nobody does.
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, T>> {
        // TODO(exercise): as `lock`, with `raw.try_lock()`; `None` if it fails.
        todo!("ReentrantMutex::try_lock")
    }
}

impl<T> Drop for ReentrantMutexGuard<'_, T> {
    fn drop(&mut self) {
        // TODO(exercise): one guard fewer. When the last one goes, forget
        // the owner, then unlock `raw` (in that order: why?).
        todo!("ReentrantMutexGuard::drop")
    }
}

impl<T> Deref for ReentrantMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.mutex.data
    }
}
