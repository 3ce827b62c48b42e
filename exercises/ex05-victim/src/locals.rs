//! Every thread's `Local` of one pool: owned by a push-only list that
//! `gc()` and stealing walk, and found by each thread through the
//! `thread_local` crate (chapter 5, "Per-thread locals and stealing").

use std::sync::atomic::AtomicPtr;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crossbeam_utils::CachePadded;

use crate::local::Local;

pub(crate) struct Locals<T: Send> {
    by_thread: thread_local::ThreadLocal<Slot<T>>,
    first: AtomicPtr<CachePadded<Local<T>>>,
}

struct Slot<T>(*const CachePadded<Local<T>>);

// SAFETY: points to a `Local<T>` (`Send + Sync` for `T: Send`) that lives
// as long as the `Locals` holding the slot.
unsafe impl<T: Send> Send for Slot<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Sync for Slot<T> {}

impl<T: Send> Locals<T> {
    pub(crate) fn new() -> Self {
        Self {
            by_thread: thread_local::ThreadLocal::new(),
            first: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// The calling thread's local, made on first use.
    pub(crate) fn get(&self) -> &Local<T> {
        let ptr = match self.by_thread.get() {
            Some(slot) => slot.0,
            None => self.make(),
        };
        // SAFETY: the list owns the local until `self` is dropped.
        unsafe { &*ptr }
    }

    #[cold]
    fn make(&self) -> *const CachePadded<Local<T>> {
        let mut made = None;
        let slot = self.by_thread.get_or(|| {
            let ptr = Box::into_raw(Box::new(CachePadded::new(Local::new())));
            made = Some(ptr);
            Slot(ptr)
        });
        // An exited thread's local, inherited: already on the list.
        let Some(ptr) = made else {
            return slot.0;
        };
        // Relaxed: the CAS below re-checks `first`.
        let mut head = self.first.load(Relaxed);
        loop {
            // SAFETY: just made; freed only when `self` is dropped.
            // Relaxed: published by the Release CAS just below.
            unsafe { &*ptr }.next.store(head, Relaxed);
            // Release publishes the new local to walkers (Acquire below).
            match self
                .first
                .compare_exchange_weak(head, ptr, Release, Relaxed)
            {
                Ok(_) => return ptr,
                Err(now) => head = now,
            }
        }
    }

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

impl<T: Send> Drop for Locals<T> {
    fn drop(&mut self) {
        let mut l = *self.first.get_mut();
        while !l.is_null() {
            // SAFETY: made by `Box::into_raw`, on the list once, and
            // `&mut self` means nobody else can reach it.
            let local = unsafe { Box::from_raw(l) };
            // Relaxed: `&mut self`, nobody else is here.
            l = local.next.load(Relaxed);
        }
    }
}
