//! The article's `RefPool` with its bugs fixed, and its first improvement.
//!
//! The interface is the article's: objects are handed around as
//! themselves, and `add`, `done` and `untrack` name the object. What
//! changed, each against a bug of [`crate::article::RefPool`]:
//!
//! * **Identity is the allocation, not `==`.** Objects are `Arc<T>`, keyed
//!   by the address they point to; two equal objects are two objects. The
//!   map's entry holds a clone of the `Arc`, so a tracked object's address
//!   cannot be freed and reused while its entry exists. (As in the
//!   article, a holder that forgets `done` leaks the object; a `Weak` in the
//!   entry would reserve the address and let the object drop.)
//! * **Zero is final.** `add` refuses to raise a count that has reached
//!   zero, so the last `done` and a late `add` cannot both win.
//! * **No negative counts.** A `done` with no holder left panics, as Go's
//!   `WaitGroup` does on a negative counter, instead of stranding the
//!   object.
//! * **`untrack` of a shared object is defined**: it gives up the caller's
//!   reference without returning the object; the last `done` then forgets it
//!   instead of pooling it.
//!
//! What no version keyed by the object can fix: a late `add` or a stale
//! `done` that arrives after the object was handed to its next user finds
//! that user's count, and counts against it. [`crate::handle`] closes that
//! by making the reference itself the thing you hold.
//!
//! [`RefPool::adopting`] is the article's first improvement: `add`, `done`
//! and `untrack` also accept objects the pool did not hand out.

use std::sync::Arc;

use ch03_map::Map;
use ch05_pool::Pool;

use crate::sync::atomic::AtomicUsize;
use crate::sync::atomic::Ordering::{AcqRel, Relaxed};

/// `add`, `done` or `untrack` of an object the pool does not track (the
/// article's text).
pub const UNTRACKED: &str = "untracked object";
/// The map disagrees with itself: a broken invariant (the article's text).
pub const INCONSISTENCY: &str = "inconsistency";
/// `add` after the last reference was given up.
pub const ADD_AFTER_LAST_DONE: &str = "refpool: add on an object whose last reference is gone";
/// `done` or `untrack` with no reference left to give up.
pub const NEGATIVE_COUNT: &str = "refpool: negative reference count";

/// Set in a count once the object is untracked: the last reference forgets
/// the object instead of returning it to the pool.
const DETACHED: usize = 1 << (usize::BITS - 1);

/// An object's count and the object, shared by the map and the callers
/// that loaded it; two counters are equal only if they are the same one.
struct Counter<T> {
    /// The number of holders, and [`DETACHED`].
    refs: AtomicUsize,
    /// Keeps the tracked object, and so its address, alive.
    obj: Arc<T>,
}

struct Shared<T>(Arc<Counter<T>>);

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Self(Arc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> Shared<T> {
    fn new(refs: usize, obj: &Arc<T>) -> Self {
        Self(Arc::new(Counter {
            refs: AtomicUsize::new(refs),
            obj: Arc::clone(obj),
        }))
    }

    // ANCHOR: counter_add
    /// One more holder; panics if the count already reached zero.
    fn add(&self) {
        // Relaxed: a new reference is made by a holder of a live one, which
        // is not giving it up meanwhile; the count alone must be exact.
        let mut n = self.0.refs.load(Relaxed);
        loop {
            assert!(n & !DETACHED != 0, "{ADD_AFTER_LAST_DONE}");
            match self
                .0
                .refs
                .compare_exchange_weak(n, n + 1, Relaxed, Relaxed)
            {
                Ok(_) => return,
                Err(now) => n = now,
            }
        }
    }
    // ANCHOR_END: counter_add

    // ANCHOR: counter_release
    /// Gives up one reference, and detaches the object too if `detach`.
    /// Returns the count's final word if this was the last reference.
    fn release(&self, detach: bool) -> Option<usize> {
        // Relaxed: only a guess for the CAS below, which checks it.
        let mut n = self.0.refs.load(Relaxed);
        loop {
            assert!(n & !DETACHED != 0, "{NEGATIVE_COUNT}");
            let next = (n - 1) | if detach { DETACHED } else { 0 };
            // AcqRel: the Release half orders this holder's use of the
            // object before the count it leaves; the Acquire half, for the
            // last holder, takes every other holder's use before the object
            // is pooled and handed to someone who may write it. Weakened to
            // Acquire, the loom model `tracked_last_done_sees_every_holder`
            // fails; weakened to Release, no model can tell, because under
            // loom the pool's fallback fence acquires for us (mutants.toml).
            match self.0.refs.compare_exchange_weak(n, next, AcqRel, Relaxed) {
                Ok(_) => return (next & !DETACHED == 0).then_some(next),
                Err(now) => n = now,
            }
        }
    }
    // ANCHOR_END: counter_release
}

/// The article's `RefPool`, fixed: a pool of `Arc<T>`, and a map from
/// each object handed out to its reference count.
pub struct RefPool<T: Send + Sync + 'static> {
    pool: Pool<Arc<T>>,
    counter: Map<usize, Shared<T>>,
    adopting: bool,
}

/// The identity of an object: the address of its allocation.
fn key<T>(x: &Arc<T>) -> usize {
    Arc::as_ptr(x).cast::<()>() as usize
}

impl<T: Send + Sync + 'static> RefPool<T> {
    /// A pool whose `add`, `done` and `untrack` panic, with the article's
    /// "untracked object", on an object `get` did not hand out (or one
    /// already returned).
    pub fn new(new: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self::build(new, false)
    }

    /// The article's first improvement: `add`, `done` and `untrack` also
    /// take objects the pool does not track, each held by one caller, so
    /// counted as one. `add` starts tracking it (at two), `done` gives it
    /// to the pool, `untrack` does nothing.
    ///
    /// The price: a late `add` or `done` on an object already returned is
    /// no longer caught, because it looks like an object never tracked. The
    /// `done` pools the object a second time.
    pub fn adopting(new: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self::build(new, true)
    }

    fn build(new: impl Fn() -> T + Send + Sync + 'static, adopting: bool) -> Self {
        Self {
            pool: Pool::with_new(move || Arc::new(new())),
            counter: Map::new(),
            adopting,
        }
    }

    /// Takes an object, held once.
    pub fn get(&self) -> Arc<T> {
        let x = self.pool.get().expect("the pool has a new function");
        let (_, loaded) = self.counter.load_or_store(key(&x), Shared::new(1, &x));
        // The pool hands an object to one caller at a time, and a count
        // leaves the map before its object enters the pool.
        assert!(!loaded, "{INCONSISTENCY}");
        x
    }

    /// One more holder of `x`, who will call `done` (or `untrack`) once.
    pub fn add(&self, x: &Arc<T>) {
        match self.counter.load(&key(x)) {
            Some(c) => c.add(),
            None if self.adopting => {
                let (c, loaded) = self.counter.load_or_store(key(x), Shared::new(2, x));
                if loaded {
                    c.add();
                }
            }
            None => panic!("{UNTRACKED}"),
        }
    }

    // ANCHOR: done
    /// One holder fewer; the last one returns `x` to the pool (or forgets
    /// it, if it was untracked).
    pub fn done(&self, x: &Arc<T>) {
        match self.counter.load(&key(x)) {
            Some(c) => {
                if let Some(last) = c.release(false) {
                    self.forget(x, &c);
                    if last & DETACHED == 0 {
                        self.pool.put(Arc::clone(&c.0.obj));
                    }
                }
            }
            None if self.adopting => self.pool.put(Arc::clone(x)),
            None => panic!("{UNTRACKED}"),
        }
    }
    // ANCHOR_END: done

    // ANCHOR: untrack
    /// The caller gives up its reference, and `x` will not return to the
    /// pool: the last holder's `done` forgets it instead. The caller keeps
    /// `x`, as its own object.
    pub fn untrack(&self, x: &Arc<T>) {
        match self.counter.load(&key(x)) {
            Some(c) => {
                if c.release(true).is_some() {
                    self.forget(x, &c);
                }
            }
            None if self.adopting => {}
            None => panic!("{UNTRACKED}"),
        }
    }
    // ANCHOR_END: untrack

    /// Removes the count of `x`, which this thread just took to zero.
    fn forget(&self, x: &Arc<T>, c: &Shared<T>) {
        // Only the holder that reached zero removes it, and no other count
        // for `x` can be stored until `x` is back in the pool.
        assert!(
            self.counter.compare_and_delete(&key(x), c),
            "{INCONSISTENCY}"
        );
    }

    /// The number of holders of `x`, if the pool tracks it.
    pub fn count(&self, x: &Arc<T>) -> Option<usize> {
        self.counter
            .load(&key(x))
            // Relaxed: a snapshot for callers and tests; it orders nothing.
            .map(|c| c.0.refs.load(Relaxed) & !DETACHED)
    }

    /// Whether `x` is tracked and `untrack`ed (it will not return).
    pub fn is_detached(&self, x: &Arc<T>) -> bool {
        self.counter
            .load(&key(x))
            // Relaxed: a snapshot, as in `count`.
            .is_some_and(|c| c.0.refs.load(Relaxed) & DETACHED != 0)
    }

    /// Rotates the pool (see [`ch05_pool::Pool::gc`]).
    pub fn gc(&self) {
        self.pool.gc();
    }
}
