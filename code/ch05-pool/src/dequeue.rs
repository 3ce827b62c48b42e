//! `poolDequeue`: Go's fixed-size, lock-free ring with one producer at the
//! head and any number of consumers at the tail (Go commit 2b605670,
//! [`poolDequeue`](https://github.com/golang/go/blob/go1.23.5/src/sync/poolqueue.go#L19) in `sync/poolqueue.go`).
//!
//! Go documents the single-producer rule in a comment; here it is a type:
//! [`Producer`] is `Send` but neither `Sync` nor `Clone`, and [`Consumer`]
//! is `Clone + Send + Sync`.

use std::cell::Cell;
use std::marker::PhantomData;
use std::mem::MaybeUninit;

use crossbeam_utils::CachePadded;

use crate::sync::Arc;
use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicBool, AtomicU64};
use crate::sync::cell::UnsafeCell;

// ANCHOR: consts
/// Bits per index: head and tail are each 32 bits of one `u64`.
pub const DEQUEUE_BITS: u32 = 32;

/// The most slots a ring may have. Telling "full" from "empty" compares
/// `tail + len` with `head`, which only works if the indexes never get a
/// whole index space apart; half of it would do, and Go takes a quarter so
/// the number fits an `int` on 32-bit machines.
pub const DEQUEUE_LIMIT: usize = ((1u64 << DEQUEUE_BITS) / 4) as usize;

const MASK: u64 = (1 << DEQUEUE_BITS) - 1;

/// Head in the high half, so that the producer can publish a push with one
/// `fetch_add(1 << 32)`: when head wraps, the carry falls off the top of
/// the `u64` and disturbs nothing.
fn pack(head: u32, tail: u32) -> u64 {
    (u64::from(head) << DEQUEUE_BITS) | u64::from(tail)
}

fn unpack(ptrs: u64) -> (u32, u32) {
    ((ptrs >> DEQUEUE_BITS) as u32, (ptrs & MASK) as u32)
}
// ANCHOR_END: consts

// ANCHOR: ring
/// One slot of the ring.
struct Slot<T> {
    /// Go's `typ` word: true from the push that fills the slot until the
    /// pop that empties it has finished reading. The producer may refill
    /// the slot only once it reads false.
    full: AtomicBool,
    val: UnsafeCell<MaybeUninit<T>>,
}

/// The ring both handles share (and each link of a `poolChain`).
pub(crate) struct Ring<T> {
    /// Head (next slot to fill) and tail (oldest value), see [`pack`].
    /// Slots in `[tail, head)` hold values owned by the queue; a consumer
    /// that moved `tail` past a slot owns it until it clears `full`.
    head_tail: CachePadded<AtomicU64>,
    slots: Box<[Slot<T>]>,
}
// ANCHOR_END: ring

// SAFETY: a value is written by the producer and read by exactly one
// thread, the one that won its index (see `pop_head` and `pop_tail`), with
// happens-before between them; `T: Send` lets it change threads. No `&T`
// is ever shared, so `T: Sync` is not needed.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Ring<T> {}

/// The producer's end: `push_head` and `pop_head`. Exactly one exists per
/// ring; it may move to another thread but not be shared.
///
/// The compiler enforces the single-producer rule. A producer can move to
/// another thread, and consumers can be cloned and shared freely:
///
/// ```
/// let (p, c) = ch05_pool::dequeue::new::<u32>(8);
/// let c2 = c.clone();
/// std::thread::spawn(move || p.push_head(1).unwrap()).join().unwrap();
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
/// let (p, _c) = ch05_pool::dequeue::new::<u32>(8);
/// shared(&p);
/// ```
///
/// ...nor cloned into a second producer:
///
/// ```compile_fail
/// let (p, _c) = ch05_pool::dequeue::new::<u32>(8);
/// let _q = p.clone();
/// ```
pub struct Producer<T> {
    ring: Arc<Ring<T>>,
    /// `Cell` makes the handle `!Sync`: two threads pushing at once would
    /// break the single-producer protocol.
    _not_sync: PhantomData<Cell<()>>,
}

/// A consumer's end: `pop_tail`, from any number of threads.
pub struct Consumer<T> {
    ring: Arc<Ring<T>>,
}

impl<T> Clone for Consumer<T> {
    fn clone(&self) -> Self {
        Self {
            ring: Arc::clone(&self.ring),
        }
    }
}

/// A ring of `n` slots, `n` a power of two no larger than
/// [`DEQUEUE_LIMIT`], and its two ends.
pub fn new<T>(n: usize) -> (Producer<T>, Consumer<T>) {
    with_start(n, 0)
}

/// Like [`new`], with head and tail both starting at `start`. Go's tests
/// start them 500 below the 32-bit wrap point (`NewPoolDequeue` in
/// `export_test.go`) so that every test crosses it; so do ours.
pub fn with_start<T>(n: usize, start: u32) -> (Producer<T>, Consumer<T>) {
    let ring = Arc::new(Ring::new(n, start));
    let consumer = Consumer {
        ring: Arc::clone(&ring),
    };
    let producer = Producer {
        ring,
        _not_sync: PhantomData,
    };
    (producer, consumer)
}

impl<T> Ring<T> {
    pub(crate) fn new(n: usize, start: u32) -> Self {
        assert!(
            n.is_power_of_two() && n <= DEQUEUE_LIMIT,
            "pool dequeue size must be a power of two no larger than 2^30, got {n}"
        );
        let slots = (0..n)
            .map(|_| Slot {
                full: AtomicBool::new(false),
                val: UnsafeCell::new(MaybeUninit::uninit()),
            })
            .collect();
        Self {
            head_tail: CachePadded::new(AtomicU64::new(pack(start, start))),
            slots,
        }
    }

    pub(crate) fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// True if no value is in the ring. Relaxed: for the producer, which
    /// reads its own pushes in order; consumers only make it emptier.
    pub(crate) fn is_empty(&self) -> bool {
        let (head, tail) = unpack(self.head_tail.load(Relaxed));
        head == tail
    }

    fn slot(&self, index: u32) -> &Slot<T> {
        &self.slots[index as usize & (self.slots.len() - 1)]
    }

    // ANCHOR: push_head
    /// Adds `val` at the head. Gives it back if the ring is full, or if the
    /// head slot is still being emptied by a consumer that has not finished.
    ///
    /// # Safety
    /// Only one thread at a time may call `push_head` and `pop_head` (the
    /// single producer); `pop_tail` may run anywhere meanwhile.
    pub(crate) unsafe fn push_head(&self, val: T) -> Result<(), T> {
        let ring = self;
        // Relaxed: a stale tail only makes the ring look fuller than it is,
        // and the slot's own flag below decides whether we may write.
        let (head, tail) = unpack(ring.head_tail.load(Relaxed));
        if tail.wrapping_add(ring.slots.len() as u32) == head {
            return Err(val); // full
        }
        let slot = ring.slot(head);
        // Acquire pairs with the Release in `pop_tail` that cleared the
        // flag: the consumer's read of the old value happens before our
        // write of the new one.
        if slot.full.load(Acquire) {
            // A consumer won this slot's index but is still reading it.
            return Err(val);
        }
        // SAFETY: the slot is outside [tail, head) and its flag is clear,
        // so no consumer can reach it and the old value is gone: it is ours.
        slot.val.with_mut(|p| unsafe { (*p).write(val) });
        // Relaxed: only the producer reads the flag as true (here, next
        // time round); consumers learn of the value through `head_tail`.
        slot.full.store(true, Relaxed);
        // Release publishes the value: a consumer's Acquire CAS on
        // `head_tail` that sees the new head also sees the write above.
        ring.head_tail.fetch_add(1 << DEQUEUE_BITS, Release);
        Ok(())
    }
    // ANCHOR_END: push_head

    // ANCHOR: pop_head
    /// Takes the newest value back from the head, if there is one.
    ///
    /// # Safety
    /// As for [`Ring::push_head`]: only the single producer may call it.
    pub(crate) unsafe fn pop_head(&self) -> Option<T> {
        let ring = self;
        // Relaxed: the CAS below re-checks the value.
        let mut ptrs = ring.head_tail.load(Relaxed);
        let slot = loop {
            let (head, tail) = unpack(ptrs);
            if tail == head {
                return None; // empty
            }
            // Claim the head slot by moving head back one; consumers race
            // for the same word, so only one of us gets the last value.
            let head = head.wrapping_sub(1);
            // Relaxed: we wrote the value ourselves; the CAS only has to
            // exclude consumers, which atomicity does.
            match ring
                .head_tail
                .compare_exchange_weak(ptrs, pack(head, tail), Relaxed, Relaxed)
            {
                Ok(_) => break ring.slot(head),
                Err(now) => ptrs = now,
            }
        };
        // SAFETY: we own the slot: it left [tail, head) by our CAS, and no
        // consumer reached it (a consumer must move tail past it first).
        let val = slot.val.with(|p| unsafe { (*p).assume_init_read() });
        // Relaxed: the next reader of the flag is this producer.
        slot.full.store(false, Relaxed);
        Some(val)
    }
    // ANCHOR_END: pop_head

    // ANCHOR: pop_tail
    /// Takes the oldest value from the tail, if there is one.
    pub(crate) fn pop_tail(&self) -> Option<T> {
        let ring = self;
        // Relaxed: the CAS below re-checks the value.
        let mut ptrs = ring.head_tail.load(Relaxed);
        let slot = loop {
            let (head, tail) = unpack(ptrs);
            if tail == head {
                return None; // empty
            }
            // Claim the tail slot by moving tail forward one. Acquire on
            // success pairs with the producer's Release `fetch_add` (through
            // the release sequence of RMWs on `head_tail`): the value is
            // visible before we read it.
            match ring.head_tail.compare_exchange_weak(
                ptrs,
                pack(head, tail.wrapping_add(1)),
                Acquire,
                Relaxed,
            ) {
                Ok(_) => break ring.slot(tail),
                Err(now) => ptrs = now,
            }
        };
        // SAFETY: the CAS made this slot ours alone: tail moved past it, so
        // no other consumer and not `pop_head` can claim it, and the
        // producer will not refill it until we clear `full`. We read only
        // now, after winning: no speculative read of a slot we do not own.
        let val = slot.val.with(|p| unsafe { (*p).assume_init_read() });
        // Release hands the slot back to the producer: pairs with the
        // Acquire load in `push_head`, ordering our read before its write.
        slot.full.store(false, Release);
        Some(val)
    }
    // ANCHOR_END: pop_tail
}

impl<T> Producer<T> {
    /// Adds `val` at the head; gives it back if the ring is full or the
    /// head slot is still being emptied.
    pub fn push_head(&self, val: T) -> Result<(), T> {
        // SAFETY: `Producer` is the only producer: it is neither `Clone`
        // nor `Sync`, and `&self` is the only way to call this.
        unsafe { self.ring.push_head(val) }
    }

    /// Takes the newest value back from the head, if there is one.
    pub fn pop_head(&self) -> Option<T> {
        // SAFETY: as in `push_head`.
        unsafe { self.ring.pop_head() }
    }

    /// A consumer handle for this ring.
    pub fn consumer(&self) -> Consumer<T> {
        Consumer {
            ring: Arc::clone(&self.ring),
        }
    }

    /// The number of slots.
    pub fn capacity(&self) -> usize {
        self.ring.slots.len()
    }
}

impl<T> Consumer<T> {
    /// Takes the oldest value from the tail, if there is one.
    pub fn pop_tail(&self) -> Option<T> {
        self.ring.pop_tail()
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // The last handle is gone, so nobody is inside an operation: every
        // value in [tail, head) is still in its slot, and only those.
        let (head, mut tail) = unpack(self.head_tail.load(Relaxed));
        while tail != head {
            let slot = self.slot(tail);
            // SAFETY: indexes in [tail, head) hold initialized values that
            // no pop has taken; `&mut self` rules out any other access.
            slot.val.with_mut(|p| unsafe { (*p).assume_init_drop() });
            tail = tail.wrapping_add(1);
        }
    }
}

impl<T> std::fmt::Debug for Producer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (head, tail) = unpack(self.ring.head_tail.load(Relaxed));
        f.debug_struct("Producer")
            .field("len", &head.wrapping_sub(tail))
            .field("capacity", &self.ring.slots.len())
            .finish()
    }
}

impl<T> std::fmt::Debug for Consumer<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Consumer").finish_non_exhaustive()
    }
}
