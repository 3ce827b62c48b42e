//! Chapter 6's `PoolRef`: a counted reference to an object of a pool,
//! whose `Clone` is the article's `Inc` and whose `Drop` is its `Dec`. The
//! last handle's drop returns the object to the pool, for its next user to
//! write.
//!
//! Fill in the three `TODO(exercise)` holes (`PoolRef::get_mut`,
//! `PoolRef::clone` and `PoolRef::drop`), then run
//! `cargo workshop check ex06-last-drop`.
//!
//! The count lives in the object's slot, beside the object: `refs` is the
//! number of live handles. `get` takes a slot from the pool (chapter 5's
//! `ch05_pool::Pool`) and sets `refs` to one; a clone adds one; a drop
//! takes one off, and the drop that takes the last one off owns the slot
//! again: it puts it back into the pool, unless `untrack` marked it
//! `detached`, in which case it drops it. What makes this hard is that the
//! next user of the object may write it at once, on another thread, while
//! the handles dropped just before were reading it: whoever hands the
//! object on must first make every other handle's reads of it happen
//! before.
//!
//! The atomics come from the book's std/loom facade (`ch00_runtime::sync`),
//! so the same code runs under loom's model checker in `tests/loom.rs`.
//!
//! The chapter's version (`ch06_refpool::handle`) also proves some misuse
//! cannot compile: reading through a dropped handle, writing while another
//! handle can read, a handle outliving its pool. This copy has the same
//! types, so the same holds here.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;
use std::ptr::NonNull;

use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::sync::atomic::{AtomicBool, AtomicUsize, fence};
use ch05_pool::Pool;

/// What the pool holds: an object and its count, in one allocation.
struct Slot<T> {
    /// Live handles to this slot. Meaningless while it is in the pool;
    /// `get` sets it to one.
    refs: AtomicUsize,
    /// Set by [`PoolRef::untrack`]: the last handle drops the slot instead
    /// of returning it.
    detached: AtomicBool,
    value: T,
}

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

    /// Rotates the pool (see `ch05_pool::Pool::gc`).
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
pub struct PoolRef<'p, T: Send + Sync + 'static> {
    /// The slot, leaked from its `Box` by `get`; the last handle takes the
    /// `Box` back.
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

    /// `&mut T` if this is the only handle to the object, else `None`.
    pub fn get_mut(this: &mut Self) -> Option<&mut T> {
        // TODO(exercise): answer `None` unless `refs` says this is the only
        // handle (one atomic load); then give `&mut` to the slot's value,
        // through the slot's `NonNull` (with a `SAFETY:` comment saying why
        // nobody else can see the object now). The caller will write the
        // object at once: which ordering makes the reads of the handles
        // dropped since happen before that write?
        todo!("PoolRef::get_mut")
    }

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

impl<T: Send + Sync + 'static> Clone for PoolRef<'_, T> {
    /// The article's `Inc`.
    fn clone(&self) -> Self {
        // TODO(exercise): count one more handle in `refs` (one atomic
        // read-modify-write), and return a new handle to the same slot and
        // pool. If the count before was above `isize::MAX`, handles are
        // being leaked in a loop: abort the process, as `Arc::clone` does
        // (a panic could be caught, and the count would overflow). For the
        // ordering, ask: this handle is alive throughout, so the count
        // cannot reach zero meanwhile; is there anything this step must
        // publish to other threads, or see from them?
        todo!("PoolRef::clone")
    }
}

impl<T: Send + Sync + 'static> Drop for PoolRef<'_, T> {
    /// The article's `Dec`: the last handle returns the object.
    fn drop(&mut self) {
        // TODO(exercise): give up this handle; the last one hands the
        // object on. In this order:
        //
        // 1. If `refs` says this is the only handle (one atomic load),
        //    nobody can make another handle now: skip the decrement and go
        //    to step 3.
        // 2. Otherwise take one off `refs` (one read-modify-write). If the
        //    count before it was not 1, other handles remain: return. If it
        //    was 1, this was the last handle: make every other handle's
        //    reads of the object happen before what comes next (one fence).
        // 3. The slot is this handle's alone: take back the `Box` that
        //    `get` leaked, and put it back into the pool, unless `untrack`
        //    marked it `detached` (then drop it: the object's own `Drop`
        //    runs, which may write it).
        //
        // Choose each ordering (the loom models in tests/loom.rs check
        // them): a handle's reads of the object must happen before the next
        // user's writes, whichever handle is dropped last and whichever
        // path its drop takes.
        //
        // (Replace both lines below. The first keeps a test that fails
        // elsewhere from aborting the whole run: a panic in a `drop` that
        // runs during another panic aborts the process.)
        if std::thread::panicking() {
            return;
        }
        todo!("PoolRef::drop")
    }
}

impl<T: Send + Sync + fmt::Debug + 'static> fmt::Debug for PoolRef<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&**self, f)
    }
}
