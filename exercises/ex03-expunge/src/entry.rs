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

    /// Go's `entry.load`: the value, if the entry holds one.
    pub(crate) fn load(&self) -> Option<&V> {
        // TODO(exercise): load `p` (with the ordering that makes the box's
        // contents visible) and return the value it points at, if it points
        // at one. Which of the three kinds of `p` is a value?
        todo!("Entry::load")
    }

    /// Go's `entry.trySwap`: stores `value` unless the entry is expunged.
    /// Returns the previous box (null if it was deleted), which the caller
    /// retires, or hands `value` back.
    pub(crate) fn try_swap(&self, value: *mut V) -> Result<*mut V, *mut V> {
        // TODO(exercise): this runs without the lock, so `mu` cannot stop
        // `try_expunge_locked` from marking the entry at any moment. Store
        // `value` only into an entry that is not expunged, in a way that
        // fails if the entry changed since you looked (then look again).
        // Why must a value never go into an expunged entry? (Go's
        // [`trySwap`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L340).)
        // On success, `Ok` the box you replaced (null for a deleted entry);
        // the orderings are `swap_locked`'s.
        todo!("Entry::try_swap")
    }

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

    /// Go's `entry.tryExpungeLocked`, called with `mu` held while the dirty
    /// map is built: marks a deleted entry expunged, so that it can be left
    /// out. Returns whether the entry is expunged.
    pub(crate) fn try_expunge_locked(&self) -> bool {
        // TODO(exercise): only a deleted (null) entry may become expunged:
        // a value must stay, and go into the new dirty map. `mu` is held,
        // but `try_swap` and `delete` do not take it: what if a store puts
        // a value into this entry between your look and your write? (Go's
        // [`tryExpungeLocked`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L531).)
        // `Relaxed` is enough here: only the pointer's identity matters.
        todo!("Entry::try_expunge_locked")
    }

    /// Go's `entry.unexpungeLocked`: turns `expunged` back into null, with
    /// `mu` held. If it was expunged, the caller must add the entry to the
    /// dirty map before it unlocks.
    pub(crate) fn unexpunge_locked(&self) -> bool {
        // TODO(exercise): turn `expunged` into null, and leave anything else
        // as it is: this is called for entries that may hold a value. Say
        // whether the entry was expunged. (Go's
        // [`unexpungeLocked`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L213).)
        todo!("Entry::unexpunge_locked")
    }

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
