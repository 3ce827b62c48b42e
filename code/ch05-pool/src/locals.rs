//! The set of per-thread [`Local`]s of one pool: Go's `[P]poolLocal`.
//!
//! Go indexes its locals by P, a small number. We index ours by a small
//! number per live *thread* ([`thread_index`]): numbers are handed out
//! lowest first and given back when a thread exits, so they stay about as
//! dense as the threads alive. Each pool keeps a table from that number to
//! the thread's local, in buckets of doubling size, so a lookup is a
//! thread-local read and two loads. A thread that gets the number of an
//! exited thread inherits its local, objects and all: a pool's objects
//! outlive the thread that cached them, as they outlive a P in Go, and
//! `gc()` still reaches them.
//!
//! The pool also owns its locals on a lock-free list (push-only, freed with
//! the pool), which stealing and `gc()` walk in a few pointer hops.
//!
//! The same code runs under loom, where a thread's number is its
//! `ch01_mutex` thread id (loom threads do not exit within a model).

use crossbeam_utils::CachePadded;

use crate::local::Local;
use crate::sync::atomic::AtomicPtr;
use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};

/// A local, cache-padded so that no two threads' pins share a line.
pub(crate) type Padded<T> = CachePadded<Local<T>>;

/// Buckets of the table: bucket `b` holds `2^b` slots, for thread numbers
/// `2^b - 1 .. 2^(b+1) - 1`; together they cover every `usize`.
#[cfg(not(loom))]
const BUCKETS: usize = usize::BITS as usize;
/// Loom models a few threads only, and keeps every atomic it is given.
#[cfg(loom)]
const BUCKETS: usize = 4;

/// The locals of one pool.
pub(crate) struct Locals<T: Send> {
    /// Thread number -> local, see [`BUCKETS`]. A slot is written only by
    /// the thread that has its number, once, with the local it made.
    table: [AtomicPtr<AtomicPtr<Padded<T>>>; BUCKETS],
    /// Every local, newest first, linked through `Local::next`; the list
    /// owns them.
    first: AtomicPtr<Padded<T>>,
}

/// Where thread number `index` lives: (bucket, slot in it, bucket size).
fn place(index: usize) -> (usize, usize, usize) {
    let key = index + 1;
    let bucket = (usize::BITS - 1 - key.leading_zeros()) as usize;
    let size = 1 << bucket;
    (bucket, key - size, size)
}

impl<T: Send> Locals<T> {
    pub(crate) fn new() -> Self {
        Self {
            table: std::array::from_fn(|_| AtomicPtr::new(std::ptr::null_mut())),
            first: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    // ANCHOR: get
    /// The calling thread's local, made on first use; `None` if the thread
    /// is exiting and has already given its number back (a `put` or `get`
    /// from a thread-local destructor that runs late).
    #[inline]
    pub(crate) fn get(&self) -> Option<&Local<T>> {
        let index = thread_index::current()?;
        let (bucket, slot, _) = place(index);
        // Acquire pairs with the Release that published the bucket (made
        // by whichever thread first needed it).
        let b = self.table[bucket].load(Acquire);
        if !b.is_null() {
            // SAFETY: buckets are never freed before `self`; `slot` is
            // within the bucket's size by `place`.
            let s = unsafe { &*b.add(slot) };
            // Relaxed: only the thread with this number writes the slot,
            // and a thread that inherits the number was ordered after the
            // one before by `thread_index`'s lock.
            let local = s.load(Relaxed);
            if !local.is_null() {
                // SAFETY: the list owns the local until `self` is dropped.
                return Some(unsafe { &*local });
            }
        }
        Some(self.make(index))
    }
    // ANCHOR_END: get

    // ANCHOR: make
    /// The slow path: this thread number has no local in this pool yet.
    #[cold]
    fn make(&self, index: usize) -> &Local<T> {
        let (bucket, slot, size) = place(index);
        let mut b = self.table[bucket].load(Acquire);
        if b.is_null() {
            let fresh: Box<[AtomicPtr<Padded<T>>]> = (0..size)
                .map(|_| AtomicPtr::new(std::ptr::null_mut()))
                .collect();
            let fresh = Box::into_raw(fresh).cast::<AtomicPtr<Padded<T>>>();
            // AcqRel: Release publishes the new bucket; Acquire (also on
            // failure) sees the one another thread published first.
            b = match self.table[bucket].compare_exchange(
                std::ptr::null_mut(),
                fresh,
                AcqRel,
                Acquire,
            ) {
                Ok(_) => fresh,
                Err(theirs) => {
                    // SAFETY: ours was never shared.
                    drop(unsafe { bucket_box(fresh, size) });
                    theirs
                }
            };
        }
        let ptr = Box::into_raw(Box::new(CachePadded::new(Local::new())));
        // Push onto the list. Release publishes the new local (made above)
        // to walkers, whose Acquire loads of `first` and `next` pair with it.
        let mut head = self.first.load(Relaxed);
        loop {
            // SAFETY: just made; freed only when `self` is dropped.
            unsafe { &*ptr }.next.store(head, Relaxed);
            match self
                .first
                .compare_exchange_weak(head, ptr, Release, Relaxed)
            {
                Ok(_) => break,
                Err(now) => head = now,
            }
        }
        // Relaxed: read by this thread, or by a later thread with this
        // number, ordered after us by `thread_index`.
        // SAFETY: `slot < size`, and buckets live as long as `self`.
        unsafe { &*b.add(slot) }.store(ptr, Relaxed);
        // SAFETY: the list owns the local until `self` is dropped.
        unsafe { &*ptr }
    }
    // ANCHOR_END: make

    /// Every local made so far, including those of exited threads.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Local<T>)) {
        let mut l = self.first.load(Acquire);
        while !l.is_null() {
            // SAFETY: the list owns its locals until `self` is dropped.
            let local = unsafe { &*l };
            f(local);
            l = local.next.load(Acquire);
        }
    }
}

/// The bucket at `ptr`, of `size` slots, as the box it was made from.
///
/// # Safety
/// `ptr` came from `Box::into_raw` of a boxed slice of `size` slots, and
/// nobody else uses it any more.
unsafe fn bucket_box<P>(ptr: *mut AtomicPtr<P>, size: usize) -> Box<[AtomicPtr<P>]> {
    // SAFETY: the caller's promise.
    unsafe { Box::from_raw(std::ptr::slice_from_raw_parts_mut(ptr, size)) }
}

impl<T: Send> Drop for Locals<T> {
    fn drop(&mut self) {
        // Relaxed, here and below: `&mut self`, nobody else is here.
        let mut l = self.first.load(Relaxed);
        while !l.is_null() {
            // SAFETY: each local was made by `Box::into_raw` and is on the
            // list once; `&mut self` means nobody else can reach it now.
            let local = unsafe { Box::from_raw(l) };
            l = local.next.load(Relaxed);
        }
        for (bucket, b) in self.table.iter().enumerate() {
            let b = b.load(Relaxed);
            if !b.is_null() {
                // SAFETY: made in `make` with `1 << bucket` slots.
                drop(unsafe { bucket_box(b, 1 << bucket) });
            }
        }
    }
}

// ANCHOR: thread_index
/// A small number for each live thread, lowest free first, given back
/// when the thread exits (Go's P number, for threads).
pub(crate) mod thread_index {
    #[cfg(not(loom))]
    use std::cell::Cell;

    #[cfg(not(loom))]
    std::thread_local! {
        /// The number, or `NONE`. A `const` cell with no destructor: it
        /// can be read at any point of a thread's exit.
        static INDEX: Cell<usize> = const { Cell::new(NONE) };
        /// Gives the number back when the thread exits.
        static GUARD: Guard = const { Guard };
    }

    #[cfg(not(loom))]
    const NONE: usize = usize::MAX;

    /// Numbers given back by exited threads, and the next never used.
    #[cfg(not(loom))]
    static FREE: std::sync::Mutex<(
        std::collections::BinaryHeap<std::cmp::Reverse<usize>>,
        usize,
    )> = std::sync::Mutex::new((std::collections::BinaryHeap::new(), 0));

    #[cfg(not(loom))]
    struct Guard;

    #[cfg(not(loom))]
    impl Drop for Guard {
        fn drop(&mut self) {
            let index = INDEX.replace(NONE);
            if index != NONE {
                // The lock orders everything this thread did with its
                // number before the next thread that gets it.
                let mut free = FREE.lock().unwrap_or_else(|e| e.into_inner());
                free.0.push(std::cmp::Reverse(index));
            }
        }
    }

    /// The calling thread's number; `None` once the thread has given it
    /// back on its way out.
    #[cfg(not(loom))]
    #[inline]
    pub(crate) fn current() -> Option<usize> {
        match INDEX.get() {
            NONE => assign(),
            index => Some(index),
        }
    }

    #[cfg(not(loom))]
    #[cold]
    fn assign() -> Option<usize> {
        // Make sure the guard will run before taking a number: if the
        // thread is already past its destructors, it gets none.
        GUARD.try_with(|_| ()).ok()?;
        let index = {
            let mut free = FREE.lock().unwrap_or_else(|e| e.into_inner());
            match free.0.pop() {
                Some(std::cmp::Reverse(i)) => i,
                None => {
                    free.1 += 1;
                    free.1 - 1
                }
            }
        };
        INDEX.set(index);
        Some(index)
    }

    // Under loom: numbers from 0 in each execution of the model, in the
    // order threads first ask (the same for the same schedule, as loom
    // needs); loom threads do not exit within a model, so none is reused.
    #[cfg(loom)]
    loom::lazy_static! {
        static ref NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    }

    #[cfg(loom)]
    loom::thread_local! {
        // Relaxed: a plain std counter outside the model (loom runs every
        // model thread on one OS thread); it only hands out numbers.
        static INDEX: usize = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    /// Under loom: this model thread's number.
    #[cfg(loom)]
    pub(crate) fn current() -> Option<usize> {
        Some(INDEX.with(|i| *i))
    }
}
// ANCHOR_END: thread_index
