//! Chapter 1 of *Go's `sync`, rebuilt in Rust*: `Mutex`.
//!
//! * [`RawMutex`]: Go's algorithm on a state word and a semaphore: the fast
//!   path, spinning, the woken bit, normal and starvation modes;
//! * [`Mutex<T>`]: the same lock holding data, with a guard;
//! * [`Locker`]: Go's `sync.Locker`;
//! * [`ReentrantMutex<T>`]: a lock its holder may take again, built from
//!   [`RawMutex`], an owner and a count;
//! * [`steps`]: the mutexes Go had before, each a working lock.
//!
//! Go's source: [`Mutex`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex.go#L36) in `sync/mutex.go`.

pub mod mutex;
pub mod raw;
pub mod reentrant;
pub mod steps;
pub mod sync;

pub use mutex::{Mutex, MutexGuard};
pub use raw::RawMutex;
pub use reentrant::{ReentrantMutex, ReentrantMutexGuard};

/// Something that can be locked and unlocked (Go's `sync.Locker`).
pub trait Locker {
    /// Locks, waiting as long as it takes.
    fn lock(&self);
    /// Unlocks; unlocking what is not locked is an error of the caller.
    fn unlock(&self);
}

impl Locker for RawMutex {
    fn lock(&self) {
        RawMutex::lock(self);
    }
    fn unlock(&self) {
        RawMutex::unlock(self);
    }
}
