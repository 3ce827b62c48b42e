//! `ReentrantMutex<T>`: a lock its holder may take again, built from our
//! own [`RawMutex`], an owner and a count.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use crate::raw::RawMutex;
use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering::Relaxed;

// ANCHOR: thread_id
/// A number for the calling thread: never 0, never shared with another
/// thread, never reused while the process lives (unlike the address of a
/// thread-local, which a later thread may get again).
pub fn current_thread_id() -> usize {
    // A plain std counter even under loom: it only hands out distinct
    // numbers, there is nothing about it for the model to explore.
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(1);
    crate::sync::thread_local! {
        static ID: usize = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }
    ID.with(|id| *id)
}
// ANCHOR_END: thread_id

// ANCHOR: type
/// A mutex that the thread holding it may lock again; it is released when
/// every guard is gone.
///
/// The guards give `&T` only: two guards on one thread would otherwise be
/// two `&mut T`. Put a `RefCell` (or `Cell`) inside to mutate, and the
/// `RefCell` will tell you, with a panic, when a nested call meets data its
/// caller is still changing. Chapter 1, "The reentrancy debate", says why.
pub struct ReentrantMutex<T: ?Sized> {
    raw: RawMutex,
    /// [`current_thread_id`] of the holder, 0 when nobody holds it.
    owner: AtomicUsize,
    /// How many guards the holder has; read and written only by the holder.
    count: AtomicUsize,
    data: T,
}
// ANCHOR_END: type

// SAFETY: the data moves between threads (one holder after another), so
// `T: Send`; it is never reachable from two threads at once, because only
// the holder of `raw` gets a guard, so `T: Sync` is not needed.
unsafe impl<T: ?Sized + Send> Sync for ReentrantMutex<T> {}

/// Proof that this thread holds the lock; derefs to `&T`.
///
/// `!Send`: the count belongs to the thread that took the lock.
#[must_use = "the lock is released as soon as the last guard is dropped"]
pub struct ReentrantMutexGuard<'a, T: ?Sized> {
    mutex: &'a ReentrantMutex<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing a guard shares `&T`; `T: Sync` makes that sound.
unsafe impl<T: ?Sized + Sync> Sync for ReentrantMutexGuard<'_, T> {}

impl<T> ReentrantMutex<T> {
    /// A new, unlocked reentrant mutex holding `value`.
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
}

impl<T: ?Sized> ReentrantMutex<T> {
    // ANCHOR: lock
    /// Locks, waiting as long as it takes, unless this thread holds the
    /// lock already: then it only counts one more guard.
    pub fn lock(&self) -> ReentrantMutexGuard<'_, T> {
        if !self.enter_again() {
            self.raw.lock();
            self.enter_first();
        }
        self.guard()
    }

    /// Locks if this thread holds it already or nobody does.
    pub fn try_lock(&self) -> Option<ReentrantMutexGuard<'_, T>> {
        if !self.enter_again() {
            if !self.raw.try_lock() {
                return None;
            }
            self.enter_first();
        }
        Some(self.guard())
    }

    /// True if the calling thread holds the lock.
    pub fn is_owned_by_current_thread(&self) -> bool {
        // Relaxed suffices: only this thread ever stores its own id, and it
        // clears it before unlocking, so it reads back its own latest store
        // or another thread's id, never a stale copy of its own.
        self.owner.load(Relaxed) == current_thread_id()
    }

    fn enter_again(&self) -> bool {
        if !self.is_owned_by_current_thread() {
            return false;
        }
        // Relaxed: only the holder touches the count, in program order.
        let count = self.count.load(Relaxed);
        let count = count
            .checked_add(1)
            .expect("ReentrantMutex: lock count overflow");
        self.count.store(count, Relaxed);
        true
    }

    fn enter_first(&self) {
        // Relaxed: `raw.lock()` has ordered us after the previous holder,
        // whose last act was clearing these two.
        self.owner.store(current_thread_id(), Relaxed);
        self.count.store(1, Relaxed);
    }
    // ANCHOR_END: lock

    /// The data, through a unique borrow: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        &mut self.data
    }

    fn guard(&self) -> ReentrantMutexGuard<'_, T> {
        ReentrantMutexGuard {
            mutex: self,
            _not_send: PhantomData,
        }
    }
}

// ANCHOR: drop
impl<T: ?Sized> Drop for ReentrantMutexGuard<'_, T> {
    fn drop(&mut self) {
        let m = self.mutex;
        // Relaxed: a guard exists only on the holding thread.
        let count = m.count.load(Relaxed) - 1;
        m.count.store(count, Relaxed);
        if count == 0 {
            // Forget the owner before unlocking: once unlocked, another
            // thread may store its id, and we must not overwrite it.
            m.owner.store(0, Relaxed);
            m.raw.unlock();
        }
    }
}
// ANCHOR_END: drop

impl<T: ?Sized> Deref for ReentrantMutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.mutex.data
    }
}

impl<T: Default> Default for ReentrantMutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ReentrantMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ReentrantMutex");
        match self.try_lock() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ReentrantMutexGuard<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
