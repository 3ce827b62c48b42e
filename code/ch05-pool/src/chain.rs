//! `poolChain`: an unbounded single-producer, multi-consumer queue made of
//! [`dequeue`](crate::dequeue) rings, each twice the size of the one before
//! ([`sync/poolqueue.go`](https://github.com/golang/go/blob/go1.23.5/src/sync/poolqueue.go)).
//!
//! The producer pushes and pops at the head ring, growing a new one when
//! it is full and backing up into older ones when it is empty. Consumers
//! pop at the tail ring and unlink it once it is drained for good.
//!
//! Where Rust differs: Go lets the garbage collector free a drained ring
//! once nobody points to it. Here a consumer that was slow may still be
//! inside a ring that another has just unlinked, so rings are unlinked as
//! in Go but freed only when the whole chain is dropped. That costs at most
//! the memory of the chain at its largest (each ring is half the next), and
//! needs no reclamation scheme on the hot path.

use std::cell::Cell;
use std::marker::PhantomData;
use std::ptr;

use crossbeam_utils::CachePadded;

use crate::dequeue::{DEQUEUE_LIMIT, Ring};
use crate::sync::Arc;
use crate::sync::atomic::AtomicPtr;
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

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
}

/// What the producer and every consumer share.
struct Shared<T> {
    /// The ring consumers pop from; null until the first push.
    tail: CachePadded<AtomicPtr<Elt<T>>>,
    /// The first ring ever made: `Drop` walks `next` from here.
    first: AtomicPtr<Elt<T>>,
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
        first: AtomicPtr::new(ptr::null_mut()),
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
    }))
}

impl<T> Producer<T> {
    // ANCHOR: push_head
    /// Adds `val` at the head; a chain is never full.
    pub fn push_head(&self, val: T) {
        let mut d = self.head.get();
        if d.is_null() {
            d = new_elt(INIT_SIZE, ptr::null_mut());
            self.head.set(d);
            // Relaxed: only `Drop` reads `first`, after every handle is gone.
            self.shared.first.store(d, Relaxed);
            // Release publishes the new ring to consumers (their Acquire
            // load of `tail`).
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
            // SAFETY: as in `push_head`.
            if let Some(val) = unsafe { (*d).ring.pop_head() } {
                return Some(val);
            }
            // Older rings may still hold values consumers have not taken.
            // Relaxed: the ring behind the pointer was made by us, and rings
            // are freed only with the chain.
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
}

impl<T> Consumer<T> {
    // ANCHOR: pop_tail
    /// Takes the oldest value from the tail, if there is one.
    pub fn pop_tail(&self) -> Option<T> {
        // Acquire pairs with the Release that published this ring (the
        // producer's store of `tail`, or the CAS of the consumer that
        // advanced it).
        let mut d = self.shared.tail.load(Acquire);
        if d.is_null() {
            return None;
        }
        loop {
            // Load `next` *before* popping. If the pop then fails and `next`
            // was already set, the producer had moved on before we looked:
            // `d` is empty for good (only pops can reach it now), and only
            // then may it leave the chain.
            // Acquire pairs with the producer's Release store of `next`.
            // SAFETY: rings live as long as `shared`, which we hold.
            let d2 = unsafe { (*d).next.load(Acquire) };
            // SAFETY: as above.
            if let Some(val) = unsafe { (*d).ring.pop_tail() } {
                return Some(val);
            }
            if d2.is_null() {
                return None; // the only ring, and it is empty
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
                // Let `pop_head` stop backing up at `d2`. Relaxed: a stale
                // pointer only sends it into an empty ring, which stays valid.
                // SAFETY: as above.
                unsafe { (*d2).prev.store(ptr::null_mut(), Relaxed) };
            }
            d = d2;
        }
    }
    // ANCHOR_END: pop_tail
}

impl<T> Drop for Shared<T> {
    fn drop(&mut self) {
        // Every handle is gone: free every ring ever made, unlinked or not,
        // and with them the values they still hold.
        let mut d = self.first.load(Relaxed);
        while !d.is_null() {
            // SAFETY: each ring was made by `Box::into_raw` in `new_elt`,
            // appears once on the `next` walk, and nobody else can reach it.
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
