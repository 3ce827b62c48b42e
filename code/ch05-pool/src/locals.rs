//! The set of per-thread [`Local`]s of one pool: Go's `[P]poolLocal`.
//!
//! The pool owns its locals in a lock-free list (push-only, freed when the
//! pool is dropped), which stealing and `gc()` walk. A thread finds its
//! own local through the `thread_local` crate, which gives each pool a
//! slot per thread, found by a small thread index in a few instructions,
//! and hands the slots of exited threads to the next thread that gets their
//! index. A pool's objects therefore outlive the thread that cached them,
//! as they outlive a P in Go, and `gc()` still reaches them.
//!
//! Under loom, whose threads share one OS thread, the same interface is a
//! locked list keyed by `ch01_mutex`'s thread ids.

use crossbeam_utils::CachePadded;

use crate::local::Local;
#[cfg(not(loom))]
use crate::sync::atomic::AtomicPtr;
#[cfg(not(loom))]
use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};

/// A local, cache-padded so that no two threads' pins share a line.
pub(crate) type Padded<T> = CachePadded<Local<T>>;

/// The locals of one pool.
#[cfg(not(loom))]
pub(crate) struct Locals<T: Send> {
    /// Each thread's local, found in a few instructions. The slot holds a
    /// copy of the list's pointer, not the local itself: every reference to
    /// a local then derives from the one pointer made by `Box::into_raw`,
    /// which is what Miri's aliasing model (and good sense) wants when
    /// other threads reach the same local through the list.
    by_thread: thread_local::ThreadLocal<Slot<T>>,
    /// Every local, newest first, linked through `Local::next`; the list
    /// owns them. Stealing and `gc()` walk it, a few pointer hops, where
    /// the crate's `iter()` would scan all of its buckets.
    first: AtomicPtr<Padded<T>>,
}

/// A thread's pointer to its local in the list.
#[cfg(not(loom))]
struct Slot<T>(*const Padded<T>);

// SAFETY: the pointer is to a `Local<T>`, which is `Send` and `Sync` for
// `T: Send`, and it lives as long as the `Locals` that holds the slot.
#[cfg(not(loom))]
unsafe impl<T: Send> Send for Slot<T> {}
// SAFETY: as above.
#[cfg(not(loom))]
unsafe impl<T: Send> Sync for Slot<T> {}

#[cfg(not(loom))]
impl<T: Send> Locals<T> {
    pub(crate) fn new() -> Self {
        Self {
            by_thread: thread_local::ThreadLocal::new(),
            first: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The calling thread's local, made on first use.
    #[inline]
    pub(crate) fn get(&self) -> &Local<T> {
        let ptr = match self.by_thread.get() {
            Some(slot) => slot.0,
            None => self.make(),
        };
        // SAFETY: the list owns the local until `self` is dropped.
        unsafe { &*ptr }
    }

    // ANCHOR: make
    /// The slow path: this thread has no local yet, or has not yet used
    /// any `ThreadLocal` (then `get` cannot tell). The crate reuses the ids
    /// of exited threads, so a new thread may inherit an exited thread's
    /// local: that one is already on the list and must not go on twice.
    #[cold]
    fn make(&self) -> *const Padded<T> {
        let mut made = None;
        let slot = self.by_thread.get_or(|| {
            let ptr = Box::into_raw(Box::new(CachePadded::new(Local::new())));
            made = Some(ptr);
            Slot(ptr)
        });
        let Some(ptr) = made else {
            return slot.0;
        };
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
                Ok(_) => return ptr,
                Err(now) => head = now,
            }
        }
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

#[cfg(not(loom))]
impl<T: Send> Drop for Locals<T> {
    fn drop(&mut self) {
        let mut l = *self.first.get_mut();
        while !l.is_null() {
            // SAFETY: each local was made by `Box::into_raw` and is on the
            // list once; `&mut self` means nobody else can reach it now.
            let local = unsafe { Box::from_raw(l) };
            // Relaxed: `&mut self`, nobody else is here.
            l = local.next.load(Relaxed);
        }
    }
}

/// The locals of one pool (loom build).
#[cfg(loom)]
pub(crate) struct Locals<T: Send>(crate::sync::Mutex<Vec<(usize, Box<Local<T>>)>>);

#[cfg(loom)]
impl<T: Send> Locals<T> {
    pub(crate) fn new() -> Self {
        Self(crate::sync::Mutex::new(Vec::new()))
    }

    pub(crate) fn get(&self) -> &Local<T> {
        let me = ch01_mutex::reentrant::current_thread_id();
        let mut all = self.0.lock().unwrap();
        let local: *const Local<T> = match all.iter().find(|(id, _)| *id == me) {
            Some((_, l)) => &**l,
            None => {
                all.push((me, Box::new(Local::new())));
                &*all.last().unwrap().1
            }
        };
        // SAFETY: locals are boxed, so they do not move when the list
        // grows, and they are dropped only with `self`.
        unsafe { &*local }
    }

    pub(crate) fn for_each(&self, mut f: impl FnMut(&Local<T>)) {
        let all: Vec<*const Local<T>> = self
            .0
            .lock()
            .unwrap()
            .iter()
            .map(|(_, l)| &**l as *const _)
            .collect();
        for l in all {
            // SAFETY: as in `get`.
            f(unsafe { &*l });
        }
    }
}
