//! `entry`: one key's slot, shared by the read snapshot and the dirty map.
//!
//! Its pointer `p` is a boxed value (the key is present) or null (Go's
//! `nil`: deleted). Go's entry has a third state, `expunged`, for a
//! deleted entry that a rebuilt dirty map left out; this copy never leaves
//! one out (it is the exercise `ex03-expunge`), so a deleted entry stays
//! in the dirty map, if there is one, until a promotion.

use std::ptr;

use ch00_runtime::sync::atomic::AtomicPtr;
use ch00_runtime::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

pub(crate) struct Entry<V> {
    p: AtomicPtr<V>,
}

impl<V> Entry<V> {
    /// Go's `newEntry`.
    pub(crate) fn new(value: V) -> Self {
        Entry {
            p: AtomicPtr::new(Box::into_raw(Box::new(value))),
        }
    }

    /// Go's `entry.load`: the value, if the entry holds one.
    pub(crate) fn load(&self) -> Option<&V> {
        // SAFETY: `load_ptr`'s pointer is null or a box that stays valid
        // until the map drops (replaced boxes are retired, and retired
        // boxes are freed only then).
        unsafe { self.load_ptr().as_ref() }
    }

    /// Go's `e.p.Load()`: the pointer itself, null or a box that stays
    /// valid until the map drops.
    pub(crate) fn load_ptr(&self) -> *mut V {
        // Acquire: pairs with the Release of whichever swap published the
        // box, so that its contents are visible.
        self.p.load(Acquire)
    }

    /// Go's `e.p.CompareAndSwap(p, nil)`: deletes the entry if it still
    /// holds `p`, and says whether it did. On success the caller owns `p`
    /// and retires it.
    pub(crate) fn cas_to_null(&self, p: *mut V) -> bool {
        // Relaxed: null publishes nothing, and `p` was acquired by the load
        // that returned it.
        self.p
            .compare_exchange(p, ptr::null_mut(), Relaxed, Relaxed)
            .is_ok()
    }

    /// Go's `entry.trySwap` and `entry.swapLocked` in one (an entry of this
    /// copy is never expunged, so a swap cannot fail): stores `value` and
    /// returns the previous box (null if deleted), which the caller retires.
    pub(crate) fn swap(&self, value: V) -> *mut V {
        // AcqRel: Release publishes the new box; Acquire makes the old box's
        // contents visible to the caller, which reads it (`Map::swap`).
        self.p.swap(Box::into_raw(Box::new(value)), AcqRel)
    }

    /// Go's `entry.delete`: returns the box it removed, which the caller
    /// retires, or `None` if the entry held no value.
    pub(crate) fn delete(&self) -> Option<*mut V> {
        loop {
            let p = self.load_ptr();
            if p.is_null() {
                return None;
            }
            if self.cas_to_null(p) {
                return Some(p);
            }
        }
    }
}

impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        // Relaxed: the last `Arc` to the entry is gone, and dropping an `Arc`
        // synchronises with every earlier owner.
        let p = self.p.load(Relaxed);
        if !p.is_null() {
            // SAFETY: the entry's current box, owned by it alone.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}
