//! Go's first mutex (2009): a counter and the runtime semaphore.
//!
//! Fill in the three `TODO(exercise)` holes, then run
//! `cargo workshop check ex01-mutex-fast-path`.
//!
//! `key` counts the holder plus every thread waiting for the lock. The
//! thread that moves it from 0 to 1 owns the lock at the cost of one atomic
//! instruction: that is the fast path, and it is all an uncontended lock
//! ever costs. Everyone else sleeps on `sema`, the chapter 0 semaphore, and
//! `unlock` passes the lock to one sleeper by releasing one count.

use ch00_runtime::sync::atomic::AtomicU32;
use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::{semacquire, semrelease};

/// Go's first mutex.
#[derive(Debug, Default)]
pub struct SemaMutex {
    /// The holder plus the waiters.
    key: AtomicU32,
    /// The semaphore the waiters sleep on.
    sema: AtomicU32,
}

impl SemaMutex {
    /// An unlocked mutex.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks: one atomic add when the lock is free; otherwise sleep on the
    /// semaphore until an `unlock` hands the lock over.
    pub fn lock(&self) {
        // TODO(exercise): count yourself in `key`. If you were the first,
        // the lock is yours; if not, sleep with `semacquire(&self.sema)`:
        // when it returns, the lock is yours. Which ordering does the add
        // need to see the previous holder's writes?
        todo!("SemaMutex::lock")
    }

    /// Locks only if nobody holds the lock or waits for it.
    pub fn try_lock(&self) -> bool {
        // TODO(exercise): succeed only when `key` goes from 0 to 1.
        todo!("SemaMutex::try_lock")
    }

    /// Unlocks, handing the lock to one waiter if there is any.
    ///
    /// Unlocking a mutex that is not locked is a bug in the caller; the
    /// chapter's version ends the process, as Go does. Here, panic with
    /// `sync: unlock of unlocked mutex` (no test calls it).
    pub fn unlock(&self) {
        // TODO(exercise): take yourself out of `key`. If somebody else is
        // still counted, they are waiting: `semrelease(&self.sema, false)`
        // wakes one of them, who then owns the lock.
        todo!("SemaMutex::unlock")
    }

    /// How many threads wait for the lock right now (a snapshot).
    pub fn waiters(&self) -> u32 {
        self.key.load(Relaxed).saturating_sub(1)
    }
}
