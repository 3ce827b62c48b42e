//! Go's `poolDequeue`, the lock-free ring of chapter 5, with both of its
//! racing ends missing: the owner's `push_head` and the thieves'
//! `pop_tail`, which any number of threads call at once while the owner
//! pushes.
//!
//! Fill in the two `TODO(exercise)` holes, in [`Producer::push_head`] and
//! [`Consumer::pop_tail`], then run `cargo workshop check ex05-ring`.
//! Everything else (packing the two indexes, the owner's `pop_head`, the
//! ring's drop) is done; read it first, because the two holes must keep
//! its protocol:
//!
//! * `head_tail` holds the head index in its high 32 bits and the tail in
//!   the low 32; slots in `[tail, head)` hold values;
//! * a slot's `full` flag stays true until whoever took the value has
//!   finished reading it; the producer refills a slot only once it is false.
//!
//! The atomics, the cell and `Arc` come from the book's std/loom facade
//! (`ch00_runtime::sync`), so the same code runs under loom's model checker
//! in `tests/loom.rs`.

use std::marker::PhantomData;
use std::mem::MaybeUninit;

use ch00_runtime::sync::Arc;
use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::sync::atomic::{AtomicBool, AtomicU64};
use ch00_runtime::sync::cell::UnsafeCell;

use crossbeam_utils::CachePadded;

/// Bits per index: head and tail are each 32 bits of one `u64`.
pub const DEQUEUE_BITS: u32 = 32;

/// The most slots a ring may have: a quarter of the index space, so that
/// "full" (`tail + len == head`) can never be mistaken for "empty".
pub const DEQUEUE_LIMIT: usize = (1 << DEQUEUE_BITS) / 4;

const MASK: u64 = (1 << DEQUEUE_BITS) - 1;

fn pack(head: u32, tail: u32) -> u64 {
    (u64::from(head) << DEQUEUE_BITS) | u64::from(tail)
}

fn unpack(ptrs: u64) -> (u32, u32) {
    ((ptrs >> DEQUEUE_BITS) as u32, (ptrs & MASK) as u32)
}

struct Slot<T> {
    /// True from the push that fills the slot until its reader is done.
    full: AtomicBool,
    val: UnsafeCell<MaybeUninit<T>>,
}

struct Ring<T> {
    head_tail: CachePadded<AtomicU64>,
    slots: Box<[Slot<T>]>,
}

// SAFETY: each value is read by the one thread that won its index, after
// the producer's write (see the orderings); `T: Send` lets it move.
unsafe impl<T: Send> Send for Ring<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Ring<T> {}

impl<T> Ring<T> {
    fn slot(&self, index: u32) -> &Slot<T> {
        &self.slots[index as usize & (self.slots.len() - 1)]
    }
}

/// The producer's end: `push_head` and `pop_head`. Not `Sync`, not `Clone`.
pub struct Producer<T> {
    ring: Arc<Ring<T>>,
    _not_sync: PhantomData<std::cell::Cell<()>>,
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

/// A ring of `n` slots (a power of two, at most [`DEQUEUE_LIMIT`]).
pub fn new<T>(n: usize) -> (Producer<T>, Consumer<T>) {
    with_start(n, 0)
}

/// Like [`new`], with both indexes starting at `start` (Go's tests start
/// them 500 below the 32-bit wrap).
pub fn with_start<T>(n: usize, start: u32) -> (Producer<T>, Consumer<T>) {
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
    let ring = Arc::new(Ring {
        head_tail: CachePadded::new(AtomicU64::new(pack(start, start))),
        slots,
    });
    let consumer = Consumer {
        ring: Arc::clone(&ring),
    };
    let producer = Producer {
        ring,
        _not_sync: PhantomData,
    };
    (producer, consumer)
}

impl<T> Producer<T> {
    /// Adds `val` at the head; gives it back if the ring is full or the
    /// head slot is still being read by a consumer.
    pub fn push_head(&self, val: T) -> Result<(), T> {
        let ring = &*self.ring;
        // TODO(exercise): read `head_tail` (the producer is alone at the
        // head, so a stale tail only makes the ring look fuller). If
        // `tail + capacity == head` (wrapping), the ring is full: give `val`
        // back. Then look at the head slot's `full` flag: a consumer may
        // have moved the tail past it but not finished reading it yet, and
        // then the ring is still full. Otherwise the slot is yours: write
        // the value (through the cell's `with_mut`), set `full`, and publish the new head with one atomic
        // add on the whole word. Why an add and not a store? Which
        // orderings make a thief that sees the new head also see the value?
        todo!("Producer::push_head")
    }

    /// Takes the newest value back from the head, if there is one.
    pub fn pop_head(&self) -> Option<T> {
        let ring = &*self.ring;
        // Relaxed throughout: the producer wrote these values itself, and
        // the CAS only has to exclude consumers, which atomicity does.
        let mut ptrs = ring.head_tail.load(Relaxed);
        let slot = loop {
            let (head, tail) = unpack(ptrs);
            if tail == head {
                return None;
            }
            let head = head.wrapping_sub(1);
            match ring
                .head_tail
                .compare_exchange_weak(ptrs, pack(head, tail), Relaxed, Relaxed)
            {
                Ok(_) => break ring.slot(head),
                Err(now) => ptrs = now,
            }
        };
        // SAFETY: our CAS took the slot out of [tail, head) before any
        // consumer could move the tail past it.
        let val = slot.val.with(|p| unsafe { (*p).assume_init_read() });
        // Relaxed: the next reader of `full` is this producer.
        slot.full.store(false, Relaxed);
        Some(val)
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
    /// Takes the oldest value from the tail, if there is one. Any number
    /// of threads may call this at once, while the producer works.
    pub fn pop_tail(&self) -> Option<T> {
        let ring = &*self.ring;
        // TODO(exercise): in a loop, read `head_tail`; if head == tail the
        // ring is empty. Otherwise try to move the tail on by one with a
        // compare-and-swap of the whole word (which ordering on success
        // makes the producer's write of the value visible?). Only once the
        // CAS has won may you read the slot at the old tail
        // (`assume_init_read`, through the cell's `with`, as `pop_head` does). Then clear the slot's `full` flag, last,
        // with the ordering that lets the producer reuse the slot safely.
        todo!("Consumer::pop_tail")
    }
}

impl<T> Drop for Ring<T> {
    fn drop(&mut self) {
        // Relaxed: `&mut self`, nobody else is left.
        let (head, mut tail) = unpack(self.head_tail.load(Relaxed));
        while tail != head {
            // SAFETY: [tail, head) holds values nobody took.
            self.slot(tail)
                .val
                .with_mut(|p| unsafe { (*p).assume_init_drop() });
            tail = tail.wrapping_add(1);
        }
    }
}
