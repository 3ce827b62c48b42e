//! The article's second improvement, in Rust's terms: the count lives in
//! the object, and the reference is a value you hold.
//!
//! The article proposes wrapping each object in a `Ref` with `Val`, `Inc`,
//! `Dec` and `Untrack`, so that the pool keeps only `Get` and needs no
//! shared map of counters. In Rust those four are a handle type:
//!
//! | the article's `Ref` | [`PoolRef`] |
//! | --- | --- |
//! | `Val` | `Deref` (`&T`; `&mut T` through [`PoolRef::get_mut`] while unshared) |
//! | `Inc` | `Clone` |
//! | `Dec` | `Drop`; the last one returns the object to the pool |
//! | `Untrack` | [`PoolRef::untrack`] |
//!
//! A holder that has given up its reference no longer has it: using the
//! handle after dropping it is a compile error, and so is writing to the
//! object while another handle can read it (see the compile-fail examples
//! on [`PoolRef`]).

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use ch05_pool::Pool;

use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicBool, AtomicUsize, fence};

/// What the pool holds: an object and its count, in one allocation.
// ANCHOR: slot
struct Slot<T> {
    /// Live handles to this slot. Meaningless while it is in the pool;
    /// `get` sets it to one.
    refs: AtomicUsize,
    /// Set by [`PoolRef::untrack`]: the last handle drops the slot instead
    /// of returning it.
    detached: AtomicBool,
    value: T,
}
// ANCHOR_END: slot

/// A pool of reference-counted objects: the article's `RefPool` reduced to
/// `Get`. See [`PoolRef`].
pub struct RefPool<T: Send + Sync + 'static> {
    pool: Pool<Box<Slot<T>>>,
}

impl<T: Send + Sync + 'static> RefPool<T> {
    /// An empty pool that calls `new` when it has no object to give.
    pub fn new(new: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self {
            pool: Pool::with_new(move || {
                Box::new(Slot {
                    refs: AtomicUsize::new(1),
                    detached: AtomicBool::new(false),
                    value: new(),
                })
            }),
        }
    }

    // ANCHOR: get
    /// Takes an object from the pool (or a new one), held by one handle.
    pub fn get(&self) -> PoolRef<'_, T> {
        let slot = self.pool.get().expect("the pool has a new function");
        // Relaxed: the slot is ours alone until we hand out the handle.
        slot.refs.store(1, Relaxed);
        PoolRef {
            slot: NonNull::from(Box::leak(slot)),
            pool: self,
            _owns: PhantomData,
        }
    }
    // ANCHOR_END: get

    /// Rotates the pool (see [`ch05_pool::Pool::gc`]).
    pub fn gc(&self) {
        self.pool.gc();
    }
}

impl<T: Send + Sync + 'static> fmt::Debug for RefPool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RefPool").finish_non_exhaustive()
    }
}

/// A counted reference to an object of a [`RefPool`]. Cloning adds a
/// holder; dropping removes one, and the last drop returns the object to
/// the pool. Like `Arc<T>`, it gives shared access, `&T`; while it is the
/// only handle, [`PoolRef::get_mut`] gives `&mut T`.
///
/// The article's bug cannot be written. Each of these is a compile error
/// (the files are in `compile-fail/`, and the book shows them):
///
/// * a holder that gave up its reference cannot read through it;
#[doc = concat!("```compile_fail,E0382\n", include_str!("../compile-fail/use_after_drop.rs"), "```")]
/// * writing goes through `get_mut` only, which answers `None` while
///   another handle is alive (a handle derefs to `&T`, shared or not);
#[doc = concat!("```compile_fail,E0596\n", include_str!("../compile-fail/write_while_shared.rs"), "```")]
/// * a handle cannot outlive its pool;
#[doc = concat!("```compile_fail,E0505\n", include_str!("../compile-fail/outlive_pool.rs"), "```")]
/// * the object must be `Send + Sync` (clones on two threads share it), so a
///   handle to a `Cell` cannot even be named.
#[doc = concat!("```compile_fail,E0277\n", include_str!("../compile-fail/not_sync.rs"), "```")]
pub struct PoolRef<'p, T: Send + Sync + 'static> {
    slot: NonNull<Slot<T>>,
    pool: &'p RefPool<T>,
    _owns: PhantomData<Slot<T>>,
}

// SAFETY: a `PoolRef` shares `T` between threads (`Sync`) and the last one,
// on any thread, moves it back into the pool (`Send`), exactly as `Arc<T>`.
unsafe impl<T: Send + Sync + 'static> Send for PoolRef<'_, T> {}
// SAFETY: as above: `&PoolRef` gives `&T` and can clone (one more holder).
unsafe impl<T: Send + Sync + 'static> Sync for PoolRef<'_, T> {}

impl<T: Send + Sync + 'static> PoolRef<'_, T> {
    fn slot(&self) -> &Slot<T> {
        // SAFETY: the slot stays allocated while any handle is alive (it is
        // freed or pooled only by the last one's drop), and it is only
        // written through `&mut` while this is the sole handle.
        unsafe { self.slot.as_ref() }
    }

    // ANCHOR: get_mut
    /// `&mut T` if this is the only handle to the object, else `None`.
    pub fn get_mut(this: &mut Self) -> Option<&mut T> {
        // Acquire: pairs with the Release decrement of each handle dropped
        // since, so their reads are done before we write (killed by the loom
        // model `handle_get_mut_waits_for_readers`).
        if this.slot().refs.load(Acquire) != 1 {
            return None;
        }
        // SAFETY: no other handle exists, and none can be made while we
        // hold `&mut` to the only one: nobody else can see the object.
        Some(unsafe { &mut this.slot.as_mut().value })
    }
    // ANCHOR_END: get_mut

    /// Detaches the object from the pool for good: when the last handle is
    /// dropped, the object is dropped too instead of being reused. The
    /// article's `Untrack`, for a shared object as well as for one holder.
    pub fn untrack(this: &Self) {
        // Relaxed: read by the last drop after its Acquire, and ordered
        // before it by our own handle's Release decrement.
        this.slot().detached.store(true, Relaxed);
    }

    /// The number of handles to this object now (a snapshot).
    pub fn ref_count(this: &Self) -> usize {
        // Relaxed: a snapshot for callers and tests; it orders nothing.
        this.slot().refs.load(Relaxed)
    }

    /// Whether two handles are to the same object.
    pub fn ptr_eq(this: &Self, other: &Self) -> bool {
        this.slot == other.slot
    }
}

impl<T: Send + Sync + 'static> Deref for PoolRef<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.slot().value
    }
}

// ANCHOR: clone
impl<T: Send + Sync + 'static> Clone for PoolRef<'_, T> {
    /// The article's `Inc`.
    fn clone(&self) -> Self {
        // Relaxed, as `Arc::clone`: a new handle is made from a live one,
        // which keeps the count above zero meanwhile; nothing is published.
        let old = self.slot().refs.fetch_add(1, Relaxed);
        // A count this high means handles are leaked in a loop (as `Arc`).
        if old > isize::MAX as usize {
            std::process::abort();
        }
        Self {
            slot: self.slot,
            pool: self.pool,
            _owns: PhantomData,
        }
    }
}
// ANCHOR_END: clone

// ANCHOR: drop
impl<T: Send + Sync + 'static> Drop for PoolRef<'_, T> {
    /// The article's `Dec`: the last handle returns the object.
    fn drop(&mut self) {
        let slot = self.slot();
        // The sole handle needs no read-modify-write: nobody else can make
        // a handle now. Acquire: pairs with the Release decrement that left
        // us alone, as below (killed by `handle_unique_drop_sees_the_reader`).
        if slot.refs.load(Acquire) != 1 {
            // Release: our reads of the object happen before the last
            // handle's drop hands it on (killed by
            // `handle_writer_after_last_reader`).
            if slot.refs.fetch_sub(1, Release) != 1 {
                return;
            }
            // Acquire: pairs with every other handle's Release decrement, so
            // all their reads are done before the object is reused or dropped
            // (killed by `handle_untrack_by_one_holder`).
            fence(Acquire);
        }
        // SAFETY: we were the last handle; the slot came from `Box::leak`.
        let slot = unsafe { Box::from_raw(self.slot.as_ptr()) };
        // Relaxed: see `untrack`.
        if !slot.detached.load(Relaxed) {
            self.pool.pool.put(slot);
        }
    }
}
// ANCHOR_END: drop

impl<T: Send + Sync + fmt::Debug + 'static> fmt::Debug for PoolRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
