//! Reclamation: what replaces Go's garbage collector under the map.
//!
//! Go's `sync.Map` swaps whole read-only snapshots and boxed values by
//! pointer and never frees anything itself: a reader that still holds the old
//! pointer keeps the old object alive, and the collector frees it once nobody
//! does. Rust has no collector, so the map asks a [`Reclaim`] scheme three
//! things:
//!
//! * [`enter`](Reclaim::enter): mark this thread as reading; the guard it
//!   returns is the reader's promise not to keep pointers past its drop;
//! * [`protect`](Reclaim::protect): load a shared pointer so that it stays
//!   valid until the guard drops;
//! * [`retire`](Reclaim::retire): hand over a pointer nobody can newly reach;
//!   it is freed once every guard that might have loaded it is gone.
//!
//! Three schemes implement it. [`Seize`] is the default (the `seize` crate,
//! which `papaya` uses): one collector per map, so all garbage is freed when
//! the map drops. [`Epoch`] is `crossbeam-epoch`'s global collector, measured
//! against it in the chapter's results. [`AtMapDrop`] frees nothing before the
//! map drops; it is the scheme under loom (whose atomics the two crates do not
//! use).

use crate::sync::atomic::{AtomicPtr, Ordering};

mod sealed {
    pub trait Sealed {}
}

// ANCHOR: trait
/// A memory-reclamation scheme for the map's snapshots and values.
///
/// Sealed: the map's soundness rests on each implementation's promise that a
/// retired pointer outlives every guard that was live when it was retired.
pub trait Reclaim: sealed::Sealed + Send + Sync {
    /// Proof that this thread is inside a read-side critical section.
    type Guard<'a>
    where
        Self: 'a;

    /// Starts a critical section. Guards nest on one thread.
    fn enter(&self) -> Self::Guard<'_>;

    /// Loads `ptr`; the pointer it returns stays valid while `guard` lives,
    /// even if another thread retires it (but not after this thread does).
    fn protect<T>(guard: &Self::Guard<'_>, ptr: &AtomicPtr<T>, order: Ordering) -> *mut T;

    /// Frees `ptr` once no guard that could have loaded it is live.
    ///
    /// # Safety
    /// `ptr` came from `Box::into_raw`, is retired once, and is no longer
    /// reachable from shared memory: a guard entered after this call cannot
    /// load it. The caller does not use it after this call.
    unsafe fn retire<T: Send>(&self, guard: &Self::Guard<'_>, ptr: *mut T);
}
// ANCHOR_END: trait

/// The default scheme: a `seize` collector owned by the map.
///
/// `seize` 0.5's guard is cheap on the read side: entering is a store and a
/// compiler fence, and the writer who retires pays a process-wide barrier
/// (`membarrier` on Linux) instead. Its protected loads are `SeqCst` whatever
/// ordering the map asks for (`seize::Guard::protect`), so under this scheme
/// the map's own load orderings are checked by the loom models, which run
/// [`AtMapDrop`].
#[cfg(not(loom))]
pub struct Seize(seize::Collector);

#[cfg(not(loom))]
impl Default for Seize {
    fn default() -> Self {
        Seize(seize::Collector::new())
    }
}

#[cfg(not(loom))]
impl sealed::Sealed for Seize {}

#[cfg(not(loom))]
impl Reclaim for Seize {
    type Guard<'a> = seize::LocalGuard<'a>;

    #[inline]
    fn enter(&self) -> Self::Guard<'_> {
        self.0.enter()
    }

    #[inline]
    fn protect<T>(guard: &Self::Guard<'_>, ptr: &AtomicPtr<T>, order: Ordering) -> *mut T {
        seize::Guard::protect(guard, ptr, order)
    }

    #[inline]
    unsafe fn retire<T: Send>(&self, guard: &Self::Guard<'_>, ptr: *mut T) {
        // SAFETY: the caller's contract is seize's: a boxed, unlinked pointer,
        // retired once. The collector belongs to this map, and dropping it
        // frees whatever is still waiting.
        unsafe { seize::Guard::defer_retire(guard, ptr, seize::reclaim::boxed::<T>) }
    }
}

/// `crossbeam-epoch`'s global collector.
///
/// Garbage may be freed after the map is gone, on any thread, so a map on this
/// scheme is made only by `Map::new_epoch`, which requires `'static` keys and
/// values.
#[cfg(not(loom))]
#[derive(Default)]
pub struct Epoch(());

#[cfg(not(loom))]
impl sealed::Sealed for Epoch {}

#[cfg(not(loom))]
impl Reclaim for Epoch {
    type Guard<'a> = crossbeam_epoch::Guard;

    #[inline]
    fn enter(&self) -> Self::Guard<'_> {
        crossbeam_epoch::pin()
    }

    #[inline]
    fn protect<T>(_guard: &Self::Guard<'_>, ptr: &AtomicPtr<T>, order: Ordering) -> *mut T {
        // A pinned thread holds back every object retired after it pinned.
        ptr.load(order)
    }

    #[inline]
    unsafe fn retire<T: Send>(&self, guard: &Self::Guard<'_>, ptr: *mut T) {
        let ptr = SendPtr(ptr);
        // SAFETY: the caller's contract, and `Map::new_epoch`'s `'static`
        // bounds: the box may be dropped after the map, on another thread.
        unsafe {
            guard.defer_unchecked(move || {
                let ptr = ptr;
                drop(Box::from_raw(ptr.0));
            })
        }
    }
}

#[cfg(not(loom))]
struct SendPtr<T>(*mut T);
// SAFETY: the pointee is `Send` (`retire`'s bound), and only the deferred
// drop uses the pointer.
#[cfg(not(loom))]
unsafe impl<T: Send> Send for SendPtr<T> {}

/// Frees nothing until the map drops: every retired pointer waits in a list.
///
/// Correct by construction (nothing is freed while the map can be reached),
/// and unbounded in memory. The loom models run the map on it, because
/// loom's atomics are not the ones `seize` and `crossbeam-epoch` read.
#[derive(Default)]
pub struct AtMapDrop {
    // A std mutex even under loom: it is never held across a loom operation,
    // so it adds no interleavings for the model to explore.
    retired: std::sync::Mutex<Vec<Retired>>,
}

struct Retired {
    ptr: *mut (),
    free: unsafe fn(*mut ()),
}

// SAFETY: `retire` takes only `Send` pointees, which `Drop` frees on whatever
// thread drops the map.
unsafe impl Send for Retired {}

impl sealed::Sealed for AtMapDrop {}

impl Reclaim for AtMapDrop {
    type Guard<'a> = ();

    #[inline]
    fn enter(&self) -> Self::Guard<'_> {}

    #[inline]
    fn protect<T>(_guard: &(), ptr: &AtomicPtr<T>, order: Ordering) -> *mut T {
        ptr.load(order)
    }

    unsafe fn retire<T: Send>(&self, _guard: &(), ptr: *mut T) {
        unsafe fn free<T>(ptr: *mut ()) {
            // SAFETY: `ptr` is the `Box<T>` that `retire` recorded.
            drop(unsafe { Box::from_raw(ptr.cast::<T>()) });
        }
        let retired = Retired {
            ptr: ptr.cast(),
            free: free::<T>,
        };
        self.retired
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(retired);
    }
}

impl Drop for AtMapDrop {
    fn drop(&mut self) {
        let retired = self
            .retired
            .get_mut()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for r in retired.drain(..) {
            // SAFETY: the map is gone, so no guard can hold the pointer, and
            // each was recorded once by `retire`.
            unsafe { (r.free)(r.ptr) }
        }
    }
}
