//! The set of per-thread [`Local`]s of one pool: Go's `[P]poolLocal`.
//!
//! Built on the `thread_local` crate, which gives each pool a slot per
//! thread, found by a small thread index in a few instructions, and keeps
//! the slots of exited threads for the next thread that gets their index.
//! A pool's objects therefore outlive the thread that cached them, as they
//! outlive a P in Go, and `gc()` still reaches them.
//!
//! Under loom, whose threads share one OS thread, the same interface is a
//! locked list keyed by `ch01_mutex`'s thread ids.

#[cfg(not(loom))]
use crossbeam_utils::CachePadded;

use crate::local::Local;

/// The locals of one pool.
#[cfg(not(loom))]
pub(crate) struct Locals<T: Send>(thread_local::ThreadLocal<CachePadded<Local<T>>>);

#[cfg(not(loom))]
impl<T: Send> Locals<T> {
    pub(crate) fn new() -> Self {
        Self(thread_local::ThreadLocal::new())
    }

    /// The calling thread's local, made on first use.
    #[inline]
    pub(crate) fn get(&self) -> &Local<T> {
        self.0.get_or(|| CachePadded::new(Local::new()))
    }

    /// Every local made so far, including those of exited threads.
    pub(crate) fn for_each(&self, mut f: impl FnMut(&Local<T>)) {
        for l in self.0.iter() {
            f(l);
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
