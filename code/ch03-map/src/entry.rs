//! `entry`: one key's slot, shared by the read snapshot and the dirty map.
//!
//! Its pointer `p` has three kinds of value (Go's comment on `entry.p`):
//!
//! * a boxed value: the key is present;
//! * null (Go's `nil`): deleted, and either there is no dirty map or the dirty
//!   map holds this same entry;
//! * [`expunged`]: deleted, there is a dirty map, and this entry is not in it.
//!
//! Reading `p` is a plain atomic load and changes nothing. Each change of
//! state is one successful read-modify-write on `p`: a compare-and-swap
//! loop, which needs no lock, or, for a holder of the map's mutex, the
//! unconditional swap of `Entry::swap_locked`. Expunging and unexpunging
//! are compare-and-swaps too, and they run only with the mutex held.

use crate::reclaim::Reclaim;
use crate::sync::atomic::{AtomicPtr, Ordering};
use std::ptr;

// ANCHOR: expunged
/// The marker's address. Nothing is ever read or written through it.
static EXPUNGED: u8 = 0;

/// Go's `expunged`: a pointer no box can have (a box of a non-zero-sized type
/// is a heap address, and a zero-sized type's box is its alignment, a small
/// number no static is placed at).
#[inline]
pub(crate) fn expunged<V>() -> *mut V {
    ptr::addr_of!(EXPUNGED).cast_mut().cast()
}
// ANCHOR_END: expunged

/// Whether `p` is a value (neither null nor expunged) equal to `old`.
///
/// # Safety
/// `p` was loaded from an entry through a guard that is still live.
#[inline]
pub(crate) unsafe fn holds<V: PartialEq>(p: *mut V, old: &V) -> bool {
    if p.is_null() || p == expunged() {
        return false;
    }
    // SAFETY: a boxed value, protected by the caller's guard.
    unsafe { &*p == old }
}

pub(crate) struct Entry<V> {
    p: AtomicPtr<V>,
}

/// What [`Entry::try_load_or_store`] found.
pub(crate) enum LoadOrStore<'g, V> {
    /// The entry held this value; the one offered comes back unused, for the
    /// caller to drop after it unlocks (dropping runs user code).
    Loaded(&'g V, V),
    /// The given value is now the entry's.
    Stored(&'g V),
}

impl<V> Entry<V> {
    /// Go's `newEntry`.
    pub(crate) fn new(value: *mut V) -> Self {
        Entry {
            p: AtomicPtr::new(value),
        }
    }

    /// Go's `entry.load`.
    #[inline]
    pub(crate) fn load<'g, R: Reclaim>(&'g self, guard: &'g R::Guard<'_>) -> Option<&'g V> {
        // Acquire: pairs with the Release of whichever store, swap or CAS
        // published this box, so its contents are visible (killed by the
        // loom model `store_then_load_sees_the_value`).
        let p = R::protect(guard, &self.p, Ordering::Acquire);
        if p.is_null() || p == expunged() {
            return None;
        }
        // SAFETY: a boxed value, protected by `guard` until it drops.
        Some(unsafe { &*p })
    }

    /// Go's `entry.tryCompareAndSwap`. Succeeds only on a present value that
    /// equals `old` (null and expunged both fail), and then returns the box
    /// it replaced, for the caller to retire.
    pub(crate) fn try_compare_and_swap<R: Reclaim>(
        &self,
        guard: &R::Guard<'_>,
        old: &V,
        new: V,
    ) -> Option<*mut V>
    where
        V: PartialEq,
    {
        // Acquire: pairs with the Release that published the box, as in `load`.
        let mut p = R::protect(guard, &self.p, Ordering::Acquire);
        // SAFETY: loaded through `guard`, which is live.
        if !unsafe { holds(p, old) } {
            return None;
        }
        // A failed comparison must cost no allocation, so `new` is boxed
        // only now (Go arranges the same with a copy at this point).
        let nc = Box::into_raw(Box::new(new));
        loop {
            // Release: publishes `*nc` to the loads that will see it.
            // Relaxed on failure: the loop reloads through `protect`.
            if self
                .p
                .compare_exchange(p, nc, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return Some(p);
            }
            // Acquire: pairs with the Release that published the box, as in `load`.
            p = R::protect(guard, &self.p, Ordering::Acquire);
            // SAFETY: loaded through `guard`, which is live.
            if !unsafe { holds(p, old) } {
                // SAFETY: `nc` was never published.
                drop(unsafe { Box::from_raw(nc) });
                return None;
            }
        }
    }

    /// Go's `entry.unexpungeLocked`: `expunged` becomes null; returns whether
    /// that happened. Null promises that the dirty map holds the entry (or
    /// that there is none), so on `true` the caller inserts it there while
    /// it still holds the mutex.
    pub(crate) fn unexpunge_locked(&self) -> bool {
        // Relaxed: the map's mutex orders this against `try_expunge_locked`,
        // and the null it stores publishes nothing.
        self.p
            .compare_exchange(
                expunged(),
                ptr::null_mut(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            )
            .is_ok()
    }

    /// Go's `entry.swapLocked`: one plain swap, no retry loop. The caller
    /// holds the mutex and has ruled out `expunged` (it found the entry in
    /// the dirty map, or `unexpunge_locked` ran first). Expunging takes the
    /// mutex, so that stays true during the swap. Returns the old box (or
    /// null) to retire.
    pub(crate) fn swap_locked(&self, value: *mut V) -> *mut V {
        // AcqRel: Release publishes `*value`; Acquire makes the previous box's
        // contents visible, because the caller reads it to return it.
        self.p.swap(value, Ordering::AcqRel)
    }

    /// Go's `entry.tryLoadOrStore`. A present value is returned, with
    /// `value` unused; a null entry takes `value`; an expunged one gives
    /// `value` back (`Err`), for the caller's locked path.
    pub(crate) fn try_load_or_store<'g, R: Reclaim>(
        &'g self,
        guard: &'g R::Guard<'_>,
        value: V,
    ) -> Result<LoadOrStore<'g, V>, V> {
        // Acquire: pairs with the Release that published the box, as in `load`.
        let p = R::protect(guard, &self.p, Ordering::Acquire);
        if p == expunged() {
            return Err(value);
        }
        if !p.is_null() {
            // SAFETY: a boxed value protected by `guard`.
            return Ok(LoadOrStore::Loaded(unsafe { &*p }, value));
        }
        // Only a deleted entry gets the new value, so box it only now.
        let ic = Box::into_raw(Box::new(value));
        loop {
            // Release: publishes `*ic`. Relaxed on failure: reloaded below.
            if self
                .p
                .compare_exchange(ptr::null_mut(), ic, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                // SAFETY: our box; a thread that replaces it retires it, and
                // `guard` holds it back.
                return Ok(LoadOrStore::Stored(unsafe { &*ic }));
            }
            // Acquire: pairs with the Release that published the box, as in `load`.
            let p = R::protect(guard, &self.p, Ordering::Acquire);
            if p == expunged() {
                // SAFETY: `ic` was never published.
                return Err(*unsafe { Box::from_raw(ic) });
            }
            if !p.is_null() {
                // SAFETY: as above: never published.
                let unused = *unsafe { Box::from_raw(ic) };
                // SAFETY: a boxed value protected by `guard`.
                return Ok(LoadOrStore::Loaded(unsafe { &*p }, unused));
            }
        }
    }

    /// The pointer itself, protected: `CompareAndDelete` compares through it.
    #[inline]
    pub(crate) fn load_ptr<R: Reclaim>(&self, guard: &R::Guard<'_>) -> *mut V {
        // Acquire: as in `load`; the caller dereferences it.
        R::protect(guard, &self.p, Ordering::Acquire)
    }

    /// Deletes the entry if it still holds `p`.
    #[inline]
    pub(crate) fn cas_to_null(&self, p: *mut V) -> bool {
        // Release: a successful CompareAndDelete is a write, which Go's
        // contract has synchronize before any read that sees the key gone
        // (loom model `delete_synchronizes_with_a_load_that_misses`).
        // Relaxed on failure: nothing was written.
        self.p
            .compare_exchange(p, ptr::null_mut(), Ordering::Release, Ordering::Relaxed)
            .is_ok()
    }

    /// Go's `entry.delete`: returns the box it removed, which the caller
    /// retires, or `None` if the entry was already deleted.
    pub(crate) fn delete<R: Reclaim>(&self, guard: &R::Guard<'_>) -> Option<*mut V> {
        loop {
            // Acquire: pairs with the Release that published the box, as in `load`.
            let p = R::protect(guard, &self.p, Ordering::Acquire);
            if p.is_null() || p == expunged() {
                return None;
            }
            // Release: Delete is a write, and synchronizes before any read
            // that sees the key gone, as in `cas_to_null`. Relaxed on
            // failure: the loop reloads through `protect`.
            if self
                .p
                .compare_exchange(p, ptr::null_mut(), Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return Some(p);
            }
        }
    }

    /// Go's `entry.trySwap`: the lock-free store. Installs `value` over a
    /// present or null entry and returns the old box (or null); an expunged
    /// entry is left alone and `value` comes back (`Err`).
    pub(crate) fn try_swap<R: Reclaim>(
        &self,
        guard: &R::Guard<'_>,
        value: *mut V,
    ) -> Result<*mut V, *mut V> {
        loop {
            // Acquire: pairs with the Release that published the box, as in `load`.
            let p = R::protect(guard, &self.p, Ordering::Acquire);
            if p == expunged() {
                return Err(value);
            }
            // Release: publishes `*value`. The previous box was acquired by
            // the load above.
            if self
                .p
                .compare_exchange(p, value, Ordering::Release, Ordering::Relaxed)
                .is_ok()
            {
                return Ok(p);
            }
        }
    }

    /// Go's `entry.tryExpungeLocked`: marks a deleted entry `expunged` as the
    /// dirty map is built without it. Returns whether it is expunged.
    pub(crate) fn try_expunge_locked(&self) -> bool {
        // Relaxed throughout: only the pointer's identity is compared, and
        // the map's mutex orders this against `unexpunge_locked`.
        let mut p = self.p.load(Ordering::Relaxed);
        while p.is_null() {
            match self.p.compare_exchange(
                ptr::null_mut(),
                expunged(),
                Ordering::Relaxed,
                Ordering::Relaxed,
            ) {
                Ok(_) => return true,
                Err(now) => p = now,
            }
        }
        p == expunged()
    }

    /// Undoes `try_expunge_locked` when building the dirty map unwinds.
    pub(crate) fn restore_expunged_locked(&self) {
        self.unexpunge_locked();
    }
}

// ANCHOR: entry_drop
impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        // Relaxed: the last `Arc` to the entry is gone, and `Arc`'s drop
        // synchronised with every earlier owner.
        let p = self.p.load(Ordering::Relaxed);
        if !p.is_null() && p != expunged() {
            // SAFETY: the entry owned this box, and nobody can reach the
            // entry any more: readers that reach it through a snapshot keep
            // that snapshot (and so its `Arc`) alive with their guard.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}
// ANCHOR_END: entry_drop
