//! `RwMutex<T>`: Go's reader/writer lock with the data inside it, and
//! guards that unlock.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::raw::RawRwMutex;
use crate::sync::cell::UnsafeCell;

// ANCHOR: type
/// A reader/writer lock protecting a `T`, with Go's algorithm: many
/// readers or one writer, and a waiting writer stops new readers.
///
/// `read` is Go's `RLock`, `write` is Go's `Lock`; the guards unlock.
/// There is no poisoning: a panic while a guard is held releases the lock
/// (the guard's drop runs during unwinding), as in chapter 1.
///
/// Do not take a read lock on a thread that already holds one: if a writer
/// arrives in between, the second `read` waits for the writer, which waits
/// for the first. The lock cannot tell (Go's cannot either), so it hangs.
pub struct RwMutex<T: ?Sized> {
    raw: RawRwMutex,
    data: UnsafeCell<T>,
}
// ANCHOR_END: type

// SAFETY: a writer gets `&mut T` from whichever thread locks, so `T` moves
// between threads (`Send`).
unsafe impl<T: ?Sized + Send> Send for RwMutex<T> {}
// SAFETY: readers on several threads share `&T` at once (`Sync`), and a
// writer on any thread gets `&mut T` (`Send`), as for `std::sync::RwLock`.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwMutex<T> {}

/// Proof of a read lock: derefs to `&T`, read-unlocks when dropped.
///
/// `!Send`: released by the thread that took it, as with std's guards.
///
/// ```compile_fail,E0277
/// let m = ch02_rwmutex::RwMutex::new(1);
/// let g = m.read();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(g)); // a read guard cannot move to another thread
/// });
/// ```
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct RwMutexReadGuard<'a, T: ?Sized> {
    lock: &'a RwMutex<T>,
    _not_send: PhantomData<*const ()>,
}

/// Proof of the write lock: derefs to `&mut T`, unlocks when dropped.
///
/// `!Send`, like the read guard.
///
/// ```compile_fail,E0277
/// let m = ch02_rwmutex::RwMutex::new(1);
/// let g = m.write();
/// std::thread::scope(|s| {
///     s.spawn(move || drop(g)); // a write guard cannot move to another thread
/// });
/// ```
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct RwMutexWriteGuard<'a, T: ?Sized> {
    lock: &'a RwMutex<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing either guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for RwMutexReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for RwMutexWriteGuard<'_, T> {}

impl<T> RwMutex<T> {
    /// A new, unlocked lock holding `value`.
    #[cfg(not(loom))]
    pub const fn new(value: T) -> Self {
        Self {
            raw: RawRwMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// A new, unlocked lock holding `value`.
    #[cfg(loom)]
    pub fn new(value: T) -> Self {
        Self {
            raw: RawRwMutex::new(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> RwMutex<T> {
    /// Locks for reading (Go's `RLock`), waiting while a writer holds the
    /// lock or waits for it.
    pub fn read(&self) -> RwMutexReadGuard<'_, T> {
        self.raw.rlock();
        RwMutexReadGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Locks for reading if no writer holds the lock or waits for it (Go's
    /// `TryRLock`).
    pub fn try_read(&self) -> Option<RwMutexReadGuard<'_, T>> {
        self.raw.try_rlock().then(|| RwMutexReadGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// Locks for writing (Go's `Lock`), waiting for the writer ahead and
    /// the readers inside.
    pub fn write(&self) -> RwMutexWriteGuard<'_, T> {
        self.raw.lock();
        RwMutexWriteGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }

    /// Locks for writing if nobody holds or waits for the lock (Go's
    /// `TryLock`).
    pub fn try_write(&self) -> Option<RwMutexWriteGuard<'_, T>> {
        self.raw.try_lock().then(|| RwMutexWriteGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// The data, through a unique borrow: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` means no guard and no other borrow exists.
        self.data.with_mut(|p| unsafe { &mut *p })
    }

    /// A snapshot of the lock's counters (readers in or waiting, and
    /// whether a writer is pending), for tests and debugging.
    pub fn readers(&self) -> (i32, bool) {
        self.raw.readers()
    }
}

impl<T: ?Sized> Drop for RwMutexReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.runlock();
    }
}

impl<T: ?Sized> Drop for RwMutexWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.unlock();
    }
}

impl<T: ?Sized> Deref for RwMutexReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard exists only while a read lock is held, and
        // no writer holds the lock while any reader does.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> Deref for RwMutexWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write guard exists only while this thread holds the
        // write lock, which excludes every reader and writer.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> DerefMut for RwMutexWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes the borrow unique.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for RwMutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T> From<T> for RwMutex<T> {
    fn from(value: T) -> Self {
        Self::new(value)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("RwMutex");
        match self.try_read() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutexReadGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for RwMutexWriteGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
