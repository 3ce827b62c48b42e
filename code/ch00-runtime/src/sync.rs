//! The facade every chapter builds on: the same names resolve to `std` in a
//! normal build and to [loom]'s models under `RUSTFLAGS="--cfg loom"`, so one
//! copy of each algorithm runs in production, in tests and in the model
//! checker.
//!
//! Chapters re-export this module as their own `crate::sync`, the way Go's
//! `sync` package reaches the runtime for its atomics and parking.
//!
//! [loom]: https://docs.rs/loom

/// Atomic integers, pointers, orderings and fences.
pub mod atomic {
    #[cfg(loom)]
    pub use loom::sync::atomic::{
        AtomicBool, AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
        fence,
    };
    #[cfg(not(loom))]
    pub use std::sync::atomic::{
        AtomicBool, AtomicI32, AtomicI64, AtomicPtr, AtomicU32, AtomicU64, AtomicUsize, Ordering,
        fence,
    };
}

#[cfg(loom)]
pub use loom::sync::{Arc, Mutex, MutexGuard};
#[cfg(not(loom))]
pub use std::sync::{Arc, Mutex, MutexGuard};

/// Threads: spawning, parking and yielding.
pub mod thread {
    #[cfg(loom)]
    pub use loom::thread::{JoinHandle, Thread, current, park, spawn, yield_now};
    #[cfg(not(loom))]
    pub use std::thread::{JoinHandle, Thread, current, park, spawn, yield_now};
}

/// Thread-local storage: under loom, one value per modelled thread (loom
/// runs its threads on one OS thread, where `std`'s would be shared).
#[cfg(loom)]
pub use loom::thread_local;
#[cfg(not(loom))]
pub use std::thread_local;

/// A busy-wait hint.
///
/// Under loom a spin loop must yield, or the model checker's scheduler would
/// run the spinning thread forever (loom's docs, "Yielding").
#[inline]
pub fn spin_loop() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::hint::spin_loop();
}

/// Shared mutable memory, with loom's closure-based API under both builds.
///
/// Loom tracks every access to its `UnsafeCell` and reports two unordered
/// accesses as a data race; that is how our tests check that an `Acquire`
/// really pairs with a `Release`. `std`'s cell gets the same `with`/`with_mut`
/// shape here (the pattern tokio uses) so code is written once.
pub mod cell {
    #[cfg(loom)]
    pub use loom::cell::UnsafeCell;

    /// `std::cell::UnsafeCell` with loom's access methods.
    #[cfg(not(loom))]
    #[derive(Debug, Default)]
    #[repr(transparent)]
    pub struct UnsafeCell<T: ?Sized>(std::cell::UnsafeCell<T>);

    #[cfg(not(loom))]
    impl<T> UnsafeCell<T> {
        /// Wraps `value`.
        pub const fn new(value: T) -> Self {
            Self(std::cell::UnsafeCell::new(value))
        }

        /// Unwraps the value.
        pub fn into_inner(self) -> T {
            self.0.into_inner()
        }
    }

    #[cfg(not(loom))]
    impl<T: ?Sized> UnsafeCell<T> {
        /// Calls `f` with a shared raw pointer to the value.
        #[inline]
        pub fn with<R>(&self, f: impl FnOnce(*const T) -> R) -> R {
            f(self.0.get())
        }

        /// Calls `f` with a mutable raw pointer to the value.
        #[inline]
        pub fn with_mut<R>(&self, f: impl FnOnce(*mut T) -> R) -> R {
            f(self.0.get())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::atomic::{AtomicU32, Ordering};
    use super::cell::UnsafeCell;

    #[test]
    fn std_cell_round_trips() {
        let cell = UnsafeCell::new(1);
        // SAFETY: no other reference to the cell exists in this test.
        cell.with_mut(|p| unsafe { *p += 1 });
        // SAFETY: as above.
        assert_eq!(cell.with(|p| unsafe { *p }), 2);
        assert_eq!(cell.into_inner(), 2);
    }

    #[test]
    fn atomics_resolve() {
        let a = AtomicU32::new(1);
        assert_eq!(a.fetch_add(1, Ordering::Relaxed), 1);
    }
}
