//! `poolChain`: Go's growable queue
//! ([`poolChain`](https://github.com/golang/go/blob/go1.23.5/src/sync/poolqueue.go#L194))
//! with one producer and any number of consumers, built from
//! [`dequeue`](crate::dequeue) rings. It starts as one 8-slot ring. When
//! the producer finds its newest ring full, it links on a ring twice as big
//! (up to `DEQUEUE_LIMIT`) and pushes only there from then on; when it pops
//! and finds that ring empty, it falls back to older ones. Consumers take
//! from the oldest ring, and the one that finds it empty with a newer ring
//! already linked moves the tail past it.
//!
//! Where Rust differs: in Go the garbage collector frees a ring once the
//! last pointer to it is gone. Here a consumer that was slow may still be
//! inside a ring another has just cut out, so a cut-out ring is *retired*
//! (put on a list) and freed later, by the producer's side, at a moment
//! when no consumer is inside a `pop_tail` ([`Producer::free_retired`]).
//! The pool calls it from `gc()`, under the pin that keeps the owner out,
//! so an idle pool gives back its rings within two `gc()` cycles.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr;

use crossbeam_utils::CachePadded;

use crate::dequeue::{DEQUEUE_LIMIT, Ring};
use crate::sync::Arc;
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release, SeqCst};
use crate::sync::atomic::{AtomicPtr, AtomicUsize, fence};

/// The size of the first ring (Go's `initSize`); a power of two.
pub const INIT_SIZE: usize = 8;

// ANCHOR: elt
/// One link: a ring, and pointers to its neighbours.
struct Elt<T> {
    ring: Ring<T>,
    /// The next (newer, larger) ring. Written once, by the producer, when
    /// this one is full; never cleared, so a walk from the first ring
    /// reaches every ring (that is how `Drop` frees them).
    next: AtomicPtr<Elt<T>>,
    /// The previous (older) ring, for `pop_head` to back up into. Cleared
    /// once, by the consumer that unlinks the previous ring.
    prev: AtomicPtr<Elt<T>>,
    /// The next ring on the retired list, once this one is cut out.
    retired_next: AtomicPtr<Elt<T>>,
    /// Under loom, a retired ring is marked here instead of freed: the
    /// "free" writes this cell, and every use of the ring reads it. A use
    /// that is not ordered before the free is then a read and a write of
    /// one cell with no happens-before between them, which loom reports as
    /// a race (natively, Miri sees the use-after-free itself).
    #[cfg(loom)]
    dead: crate::sync::cell::UnsafeCell<bool>,
}

/// Under loom: a use of ring `d` (see `dead`).
#[inline]
fn check_alive<T>(d: *mut Elt<T>) {
    #[cfg(loom)]
    // SAFETY: under loom, rings are never really freed; the cell is read
    // here and written once, by the "free".
    assert!(
        !unsafe { (*d).dead.with(|p| *p) },
        "a pool chain ring was used after free_retired freed it"
    );
    let _ = d;
}

/// What the producer and every consumer share.
struct Shared<T> {
    /// The ring consumers pop from; null while the chain has no ring.
    tail: CachePadded<AtomicPtr<Elt<T>>>,
    /// Consumers inside `pop_tail` now: a retired ring may be freed only
    /// when this is 0 (after it was retired).
    active: CachePadded<AtomicUsize>,
    /// Rings cut out of the chain and not yet freed, linked through
    /// `retired_next` (a stack: pushed one by one, taken all at once).
    retired: AtomicPtr<Elt<T>>,
    _owns: PhantomData<T>,
}
// ANCHOR_END: elt

// SAFETY: the rings inside move values between threads (`T: Send`) and
// never share a `&T`; the raw pointers are to rings the `Shared` owns.
unsafe impl<T: Send> Send for Shared<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Shared<T> {}

/// The producer's end: `push_head`, `pop_head`. One per chain; `Send`,
/// not `Sync`, not `Clone`.
///
/// The compiler enforces the single-producer rule. A producer can move to
/// another thread, and consumers can be cloned and shared freely:
///
/// ```
/// let (p, c) = ch05_pool::chain::new::<u32>();
/// let c2 = c.clone();
/// std::thread::spawn(move || p.push_head(1)).join().unwrap();
/// std::thread::scope(|s| {
///     s.spawn(|| c.pop_tail());
///     s.spawn(|| c2.pop_tail());
/// });
/// ```
///
/// but a producer cannot be shared between threads...
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// let (p, _c) = ch05_pool::chain::new::<u32>();
/// shared(&p);
/// ```
///
/// ...nor cloned into a second producer:
///
/// ```compile_fail
/// let (p, _c) = ch05_pool::chain::new::<u32>();
/// let _q = p.clone();
/// ```
pub struct Producer<T> {
    shared: Arc<Shared<T>>,
    /// The ring we push to; null until the first push. Only we use it.
    head: Cell<*mut Elt<T>>,
}

// SAFETY: `head` points into rings owned by `shared`, which the producer
// keeps alive; moving the one producer to another thread keeps it single.
unsafe impl<T: Send> Send for Producer<T> {}

/// A consumer's end: `pop_tail`, from any number of threads.
pub struct Consumer<T> {
    shared: Arc<Shared<T>>,
}

impl<T> Clone for Consumer<T> {
    fn clone(&self) -> Self {
        Self {
            shared: Arc::clone(&self.shared),
        }
    }
}

/// An empty chain and its two ends. No ring is allocated until the first
/// push.
pub fn new<T>() -> (Producer<T>, Consumer<T>) {
    let shared = Arc::new(Shared {
        tail: CachePadded::new(AtomicPtr::new(ptr::null_mut())),
        active: CachePadded::new(AtomicUsize::new(0)),
        retired: AtomicPtr::new(ptr::null_mut()),
        _owns: PhantomData,
    });
    let consumer = Consumer {
        shared: Arc::clone(&shared),
    };
    let producer = Producer {
        shared,
        head: Cell::new(ptr::null_mut()),
    };
    (producer, consumer)
}

fn new_elt<T>(size: usize, prev: *mut Elt<T>) -> *mut Elt<T> {
    Box::into_raw(Box::new(Elt {
        ring: Ring::new(size, 0),
        next: AtomicPtr::new(ptr::null_mut()),
        prev: AtomicPtr::new(prev),
        retired_next: AtomicPtr::new(ptr::null_mut()),
        #[cfg(loom)]
        dead: crate::sync::cell::UnsafeCell::new(false),
    }))
}

impl<T> Shared<T> {
    /// Puts the rings `first ..= last` (linked by `retired_next`) on the
    /// retired list.
    fn retire(&self, first: *mut Elt<T>, last: *mut Elt<T>) {
        let mut top = self.retired.load(Relaxed);
        loop {
            // SAFETY: `last` is retired, not freed: only `free_retired`
            // frees, and it has not seen this ring yet.
            unsafe { (*last).retired_next.store(top, Relaxed) };
            // Release: whoever takes the list (Acquire) sees the ring cut
            // out first: `tail` moved past it and `prev` cleared.
            match self
                .retired
                .compare_exchange_weak(top, first, Release, Relaxed)
            {
                Ok(_) => return,
                Err(now) => top = now,
            }
        }
    }
}

impl<T> Producer<T> {
    // ANCHOR: push_head
    /// Adds `val` at the head; a chain is never full.
    pub fn push_head(&self, val: T) {
        let mut d = self.head.get();
        if d.is_null() {
            d = new_elt(INIT_SIZE, ptr::null_mut());
            self.head.set(d);
            // Release publishes the new ring to consumers (their Acquire
            // load of `tail`). No consumer writes `tail` while it is null.
            self.shared.tail.store(d, Release);
        }
        // SAFETY: rings live as long as `shared`, which we hold; we are the
        // only producer (`Producer` is neither `Sync` nor `Clone`).
        let val = match unsafe { (*d).ring.push_head(val) } {
            Ok(()) => return,
            Err(val) => val,
        };
        // The head ring is full: grow. Consumers may still drain it, and
        // `pop_head` may back up into it, but nothing is pushed to it again.
        // SAFETY: as above.
        let size = (unsafe { (*d).ring.capacity() } * 2).min(DEQUEUE_LIMIT);
        let d2 = new_elt(size, d);
        self.head.set(d2);
        // Release publishes the new ring to consumers that follow `next`.
        // SAFETY: as above.
        unsafe { (*d).next.store(d2, Release) };
        // SAFETY: as above; a fresh ring of at least 16 slots has room.
        let pushed = unsafe { (*d2).ring.push_head(val) };
        assert!(pushed.is_ok(), "a new pool chain ring refused a push");
    }
    // ANCHOR_END: push_head

    // ANCHOR: pop_head
    /// Takes the newest value back from the head, if there is one.
    pub fn pop_head(&self) -> Option<T> {
        let mut d = self.head.get();
        while !d.is_null() {
            check_alive(d);
            // SAFETY: as in `push_head`.
            if let Some(val) = unsafe { (*d).ring.pop_head() } {
                return Some(val);
            }
            // Older rings may still hold values consumers have not taken.
            // Relaxed: the ring behind the pointer was made by us, and is
            // freed only by `free_retired`, which runs on the producer's
            // side: after the consumer that cut it out cleared this pointer
            // (and `free_retired` acquired that through the retired list).
            // SAFETY: as in `push_head`.
            d = unsafe { (*d).prev.load(Relaxed) };
        }
        None
    }
    // ANCHOR_END: pop_head

    /// A consumer handle for this chain.
    pub fn consumer(&self) -> Consumer<T> {
        Consumer {
            shared: Arc::clone(&self.shared),
        }
    }

    // ANCHOR: release
    /// If the chain is empty, retires its last ring too, so that
    /// [`free_retired`](Self::free_retired) can give all its memory back;
    /// the next push starts again from a small ring. Returns whether the
    /// chain was empty.
    pub fn release_if_empty(&self) -> bool {
        let d = self.head.get();
        if d.is_null() {
            return true;
        }
        // SAFETY: as in `push_head`.
        if !unsafe { (*d).ring.is_empty() } {
            return false;
        }
        // Only consumers could empty the ring further, and it is empty: no
        // value is lost. Older rings are still linked only if a consumer is
        // about to cut them out; wait for the next call then. SeqCst is not
        // needed here: the fence in `free_retired` orders this CAS against
        // consumers entering `pop_tail`.
        if self
            .shared
            .tail
            .compare_exchange(d, ptr::null_mut(), AcqRel, Relaxed)
            .is_err()
        {
            return false;
        }
        self.head.set(ptr::null_mut());
        self.shared.retire(d, d);
        true
    }

    /// Frees the retired rings, unless a consumer is inside `pop_tail`
    /// (then they wait for a later call). Returns how many were freed.
    ///
    /// Called on the producer's side, so that `pop_head` is not walking
    /// back through a ring meanwhile; the pool calls it from `gc()` under
    /// the pin.
    pub fn free_retired(&self) -> usize {
        // Acquire pairs with `retire`'s Release: each ring we take was cut
        // out (and its successor's `prev` cleared) before.
        let list = self.shared.retired.swap(ptr::null_mut(), Acquire);
        if list.is_null() {
            return 0;
        }
        // A consumer that may still see one of these rings loaded `tail`
        // before the ring was cut out. It counted itself in `active` first,
        // with a SeqCst fence between the two; with ours between the cut
        // (which happens before the swap above) and the load below, either
        // we see its count, or it saw the chain without the ring.
        fence(SeqCst);
        // Acquire pairs with the Release decrement of consumers that have
        // left: their reads of a ring happen before we free it.
        if self.shared.active.load(Acquire) != 0 {
            let mut last = list;
            // SAFETY: retired rings are not freed until below; we own the list.
            while let Some(next) = ptr::NonNull::new(unsafe { (*last).retired_next.load(Relaxed) })
            {
                last = next.as_ptr();
            }
            self.shared.retire(list, last);
            return 0;
        }
        // SAFETY: the rings were cut out before we took them, and every
        // consumer that could have seen one has left (the count was 0).
        unsafe { Shared::free_list(list) }
    }
    // ANCHOR_END: release
}

impl<T> Consumer<T> {
    // ANCHOR: pop_tail
    /// Takes the oldest value from the tail, if there is one.
    pub fn pop_tail(&self) -> Option<T> {
        let shared = &*self.shared;
        // Count ourselves in before looking at `tail`, so that no ring we
        // may see is freed until we leave. Relaxed, with the SeqCst fence:
        // it pairs with the fence in `free_retired` (see there).
        shared.active.fetch_add(1, Relaxed);
        fence(SeqCst);
        let val = self.pop_tail_counted();
        // Release: our reads of the rings happen before a `free_retired`
        // that sees the count drop (its Acquire load).
        shared.active.fetch_sub(1, Release);
        val
    }

    fn pop_tail_counted(&self) -> Option<T> {
        // Acquire pairs with the Release that published this ring (the
        // producer's store of `tail`, or the CAS of the consumer that
        // advanced it).
        let mut d = self.shared.tail.load(Acquire);
        if d.is_null() {
            return None;
        }
        loop {
            check_alive(d);
            // Load `next` *before* popping. If the pop then fails and `next`
            // was already set, the producer had moved on before we looked:
            // `d` is empty for good (only pops can reach it now), and only
            // then may it leave the chain.
            // Acquire pairs with the producer's Release store of `next`.
            // SAFETY: `d` is linked, or retired and not yet freed: we are
            // counted in `active`, and we saw it before it was cut out.
            let d2 = unsafe { (*d).next.load(Acquire) };
            // SAFETY: as above.
            if let Some(val) = unsafe { (*d).ring.pop_tail() } {
                return Some(val);
            }
            if d2.is_null() {
                return None; // the newest ring, and it is empty
            }
            // Unlink the drained ring so consumers skip it; one of us wins.
            // AcqRel: Release passes the ring `d2` (which we acquired) on to
            // the consumers that load `tail` next. Relaxed on failure: we
            // move on to `d2` either way, and we acquired it through `next`.
            if self
                .shared
                .tail
                .compare_exchange(d, d2, AcqRel, Relaxed)
                .is_ok()
            {
                // Let `pop_head` stop backing up at `d2`. Relaxed: `retire`
                // publishes it (Release) before anyone may free `d`.
                // SAFETY: as above.
                unsafe { (*d2).prev.store(ptr::null_mut(), Relaxed) };
                self.shared.retire(d, d);
            }
            d = d2;
        }
    }
    // ANCHOR_END: pop_tail
}

impl<T> Shared<T> {
    /// Frees the rings on a retired list (linked by `retired_next`) and the
    /// values they still hold; returns how many.
    ///
    /// # Safety
    /// The rings are retired, and no consumer or producer can reach them.
    unsafe fn free_list(mut d: *mut Elt<T>) -> usize {
        let mut n = 0;
        while !d.is_null() {
            // SAFETY: each ring was made by `Box::into_raw` in `new_elt`,
            // is on one retired list once, and is unreachable (the caller's
            // promise).
            let elt = unsafe { Box::from_raw(d) };
            d = elt.retired_next.load(Relaxed);
            n += 1;
            // Under loom: mark, and keep the memory (see `Elt::dead`).
            #[cfg(loom)]
            {
                // SAFETY: the caller's promise: nobody uses the ring now.
                elt.dead.with_mut(|p| unsafe { *p = true });
                std::mem::forget(elt);
            }
        }
        n
    }
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Every handle is gone, and with them every operation: free the
        // retired rings, then the linked ones from the tail on.
        let retired = self.retired.load(Relaxed);
        // SAFETY: nobody else can reach the chain any more.
        unsafe { Self::free_list(retired) };
        let mut d = self.tail.load(Relaxed);
        while !d.is_null() {
            // SAFETY: linked rings are not retired; made by `Box::into_raw`.
            let elt = unsafe { Box::from_raw(d) };
            d = elt.next.load(Relaxed);
        }
    }
}

impl<T> std::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("chain::Producer").finish_non_exhaustive()
    }
}

impl<T> std::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("chain::Consumer").finish_non_exhaustive()
    }
}
