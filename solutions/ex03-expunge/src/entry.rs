//! `entry`: one key's slot, shared by the read snapshot and the dirty map.
//!
//! Its pointer `p` has three kinds of value (Go's comment on
//! [`entry.p`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L104)):
//!
//! * a boxed value: the key is present, in the snapshot and, if there is
//!   a dirty map, in it too;
//! * null (Go's `nil`): deleted, and either there is no dirty map or the
//!   dirty map holds this same entry;
//! * [`expunged`]: deleted, there is a dirty map, and this entry is not in
//!   it.
//!
//! A value can come and go lock-free, by one atomic operation on `p`. Into
//! and out of `expunged` only with the map's `mu` held.

use std::ptr;

use ch00_runtime::sync::atomic::AtomicPtr;
use ch00_runtime::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed};

/// What `expunged` points at. Correct code never reads it; it is 64 bytes,
/// 64-aligned, so that a wrong answer that reads it as a value reads
/// garbage from a real place instead of crashing.
#[repr(C, align(64))]
struct Marker([u8; 64]);

static EXPUNGED: Marker = Marker([0xEE; 64]);

/// Go's `expunged`: an address no box can have.
pub(crate) fn expunged<V>() -> *mut V {
    ptr::addr_of!(EXPUNGED).cast_mut().cast()
}

/// What an entry holds (for the tests' probe).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryState {
    /// A value.
    Value,
    /// Null: deleted, and in the dirty map if there is one.
    Deleted,
    /// Deleted and left out of the dirty map.
    Expunged,
}

pub(crate) struct Entry<V> {
    p: AtomicPtr<V>,
}

impl<V> Entry<V> {
    /// Go's `newEntry`.
    pub(crate) fn new(value: *mut V) -> Self {
        Entry {
            p: AtomicPtr::new(value),
        }
    }

    // ANCHOR: load
    /// Go's `entry.load`: the value, if the entry holds one.
    pub(crate) fn load(&self) -> Option<&V> {
        // Acquire: pairs with the Release of whichever swap published the box.
        let p = self.p.load(Acquire);
        if p.is_null() || p == expunged() {
            return None;
        }
        // SAFETY: a boxed value; a box swapped out of the entry is retired,
        // and retired boxes are freed only when the map drops.
        Some(unsafe { &*p })
    }
    // ANCHOR_END: load

    // ANCHOR: try_swap
    /// Go's `entry.trySwap`: stores `value` unless the entry is expunged.
    /// Returns the previous box (null if it was deleted), which the caller
    /// retires, or hands `value` back.
    pub(crate) fn try_swap(&self, value: *mut V) -> Result<*mut V, *mut V> {
        let mut p = self.p.load(Acquire);
        loop {
            if p == expunged() {
                // Not in the dirty map: a value stored here would be lost
                // at the next promotion. Only `mu` may bring it back.
                return Err(value);
            }
            // AcqRel: Release publishes `*value`; Acquire lets the caller
            // read the box it replaces. One compare-and-swap, so that an
            // expunge between our look and our store makes us retry.
            match self.p.compare_exchange_weak(p, value, AcqRel, Acquire) {
                Ok(_) => return Ok(p),
                Err(now) => p = now,
            }
        }
    }
    // ANCHOR_END: try_swap

    /// Go's `entry.swapLocked`: stores `value` unconditionally. The entry
    /// must not be expunged. Returns the previous box (or null), which the
    /// caller retires.
    pub(crate) fn swap_locked(&self, value: *mut V) -> *mut V {
        // AcqRel: as in `try_swap`.
        self.p.swap(value, AcqRel)
    }

    /// Go's `entry.delete`: returns the box it removed, which the caller
    /// retires, or `None` if the entry held no value.
    pub(crate) fn delete(&self) -> Option<*mut V> {
        let mut p = self.p.load(Acquire);
        loop {
            if p.is_null() || p == expunged() {
                return None;
            }
            // Acquire on success: the caller reads the box it removed.
            match self
                .p
                .compare_exchange_weak(p, ptr::null_mut(), Acquire, Acquire)
            {
                Ok(_) => return Some(p),
                Err(now) => p = now,
            }
        }
    }

    // ANCHOR: expunge
    /// Go's `entry.tryExpungeLocked`, called with `mu` held while the dirty
    /// map is built: marks a deleted entry expunged, so that it can be left
    /// out. Returns whether the entry is expunged.
    pub(crate) fn try_expunge_locked(&self) -> bool {
        // Relaxed throughout: only the pointer's identity is compared, and
        // `mu` orders this against `unexpunge_locked`.
        let mut p = self.p.load(Relaxed);
        while p.is_null() {
            // A compare-and-swap, not a store: a lock-free store may put a
            // value here at any moment, and that value must not be lost.
            match self
                .p
                .compare_exchange(ptr::null_mut(), expunged(), Relaxed, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => p = now,
            }
        }
        p == expunged()
    }

    /// Go's `entry.unexpungeLocked`: turns `expunged` back into null, with
    /// `mu` held. If it was expunged, the caller must add the entry to the
    /// dirty map before it unlocks.
    pub(crate) fn unexpunge_locked(&self) -> bool {
        // Relaxed: `mu` orders this against `try_expunge_locked`, and the
        // null it stores publishes nothing.
        self.p
            .compare_exchange(expunged(), ptr::null_mut(), Relaxed, Relaxed)
            .is_ok()
    }
    // ANCHOR_END: expunge

    /// What the entry holds now.
    pub(crate) fn state(&self) -> EntryState {
        let p = self.p.load(Acquire);
        if p.is_null() {
            EntryState::Deleted
        } else if p == expunged() {
            EntryState::Expunged
        } else {
            EntryState::Value
        }
    }
}

impl<V> Drop for Entry<V> {
    fn drop(&mut self) {
        // Relaxed: the last `Arc` to the entry is gone, and dropping an `Arc`
        // synchronises with every earlier owner.
        let p = self.p.load(Relaxed);
        if !p.is_null() && p != expunged() {
            // SAFETY: the entry's current box, owned by it alone.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}
