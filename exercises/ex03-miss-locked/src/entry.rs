//! `entry`: one key's slot, shared by the read snapshot and the dirty map.
//!
//! Go's entry has three states: a value, deleted (`nil`) and `expunged`.
//! This copy of the map has no `Delete`, so its entries always hold a
//! value; the other two states are the exercise `ex03-expunge`.

use ch00_runtime::sync::atomic::AtomicPtr;
use ch00_runtime::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

pub(crate) struct Entry<V> {
    /// A boxed value, never null.
    p: AtomicPtr<V>,
}

impl<V> Entry<V> {
    /// Go's `newEntry`.
    pub(crate) fn new(value: V) -> Self {
        Entry {
            p: AtomicPtr::new(Box::into_raw(Box::new(value))),
        }
    }

    /// Go's `entry.load`. The box stays valid for as long as the entry: a
    /// box swapped out of it is retired, and retired boxes are freed only
    /// when the map drops.
    pub(crate) fn load(&self) -> &V {
        // Acquire: pairs with the AcqRel of the swap that published the box.
        // SAFETY: never null, and freed no earlier than the map (see above).
        unsafe { &*self.p.load(Acquire) }
    }

    /// Go's `entry.trySwap` and `entry.swapLocked` in one (an entry of this
    /// copy is never expunged, so a swap cannot fail): stores `value` and
    /// returns the previous box, which the caller retires.
    pub(crate) fn swap(&self, value: V) -> *mut V {
        // AcqRel: Release publishes the new box; Acquire makes the old box's
        // contents visible to the caller, which reads it (`Map::swap`).
        self.p.swap(Box::into_raw(Box::new(value)), AcqRel)
    }
}

impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        // Relaxed: the last `Arc` to the entry is gone, and dropping an `Arc`
        // synchronises with every earlier owner.
        let p = self.p.load(Relaxed);
        // SAFETY: the entry's current box, owned by it alone.
        drop(unsafe { Box::from_raw(p) });
    }
}
