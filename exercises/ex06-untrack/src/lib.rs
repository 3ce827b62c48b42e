//! Chapter 6's map-keyed `RefPool`, the article's interface with its bugs
//! fixed: objects are handed around as `Arc<T>`, and `add`, `done` and
//! `untrack` name the object; a map (chapter 3's `ch03_map::Map`) keeps
//! each object's count, keyed by its address, and the last `done` returns
//! the object to the pool (chapter 5's `ch05_pool::Pool`).
//!
//! Fill in the four `TODO(exercise)` holes (`Shared::add`,
//! `Shared::release`, `RefPool::done` and `RefPool::untrack`), then run
//! `cargo workshop check ex06-untrack`.
//!
//! What the fixes are, against the article's sketch:
//!
//! * **Zero is final.** Once the last holder has given up its reference,
//!   the object may already be back in the pool and in its next user's
//!   hands. A late `add` that still found the old count must not bring it
//!   back to life: it panics with [`ADD_AFTER_LAST_DONE`].
//! * **No negative counts.** A `done` (or `untrack`) with no reference left
//!   to give up panics with [`NEGATIVE_COUNT`], as Go's `WaitGroup` panics
//!   on a negative counter, instead of wrapping around.
//! * **`untrack` of a shared object is defined.** The article's `Untrack`
//!   deletes the count at once, so the other holders' `done` then panic
//!   "untracked object". Here `untrack` gives up the caller's reference
//!   (the caller keeps the object, as its own), and marks the count
//!   `DETACHED`: the others' `done` still work, and the last one forgets
//!   the object instead of returning it to the pool.
//!
//! A count is one word: the number of holders, and the `DETACHED` bit
//! (the top bit) on top. The atomics come from the book's std/loom facade
//! (`ch00_runtime::sync`), so the same code runs under loom's model
//! checker in `tests/loom.rs`.

use std::sync::Arc;

use ch00_runtime::sync::atomic::AtomicUsize;
use ch00_runtime::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use ch03_map::Map;
use ch05_pool::Pool;

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

/// What the map holds for each tracked object: a shared counter.
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

    /// One more holder; panics if the count already reached zero.
    fn add(&self) {
        // TODO(exercise): raise the number of holders in `self.0.refs` by
        // one, keeping the `DETACHED` bit as it is. Zero is final: if the
        // number of holders (the count without the `DETACHED` bit) is zero,
        // the last reference is gone and the object may already be someone
        // else's: panic with the message `ADD_AFTER_LAST_DONE`, and change
        // nothing. So the check and the increment must be one atomic step:
        // load the count, then compare-and-swap it from the value you
        // checked, and on failure check again the value the CAS saw. Which
        // ordering? The caller holds a live reference while it adds one,
        // and nothing is handed over by the count going up.
        todo!("Shared::add")
    }

    /// Gives up one reference, and detaches the object too if `detach`.
    /// Returns the count's final word if this was the last reference.
    fn release(&self, detach: bool) -> Option<usize> {
        // TODO(exercise): take one holder off `self.0.refs`, in one atomic
        // step (a compare-and-swap loop, as in `add`):
        //
        // * if the number of holders is already zero, there is no reference
        //   to give up: panic with the message `NEGATIVE_COUNT`, and change
        //   nothing;
        // * the new word is one holder fewer, with the `DETACHED` bit kept
        //   if it was set, and set if `detach`;
        // * once the CAS succeeds, return `Some(new word)` if it holds no
        //   holder any more (this caller gave up the last reference; the
        //   word tells it whether the object was detached), else `None`.
        //
        // The ordering of the successful CAS: every holder's use of the
        // object must happen before the last holder hands the object to
        // the pool, where its next user may write it at once. Which half
        // (or both) does each holder need, given that any of them may turn
        // out to be the last?
        todo!("Shared::release")
    }
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

    /// One holder fewer; the last one returns `x` to the pool (or forgets
    /// it, if it was untracked).
    pub fn done(&self, x: &Arc<T>) {
        // TODO(exercise): find the count of `x` in `self.counter`, as `add`
        // does, and:
        //
        // * tracked: give up one reference (without detaching). If that was
        //   the last one, remove the count from the map (`forget`, below,
        //   does it and checks it), then put the object back into the pool,
        //   unless the count's final word says it was detached: then the
        //   pool never sees it again. Put back the counter's own `Arc` of
        //   the object (the one the map's entry kept alive).
        // * not tracked, on an adopting pool: the caller's object joins the
        //   pool.
        // * not tracked otherwise: panic with the message `UNTRACKED`.
        todo!("RefPool::done")
    }

    /// The caller gives up its reference, and `x` will not return to the
    /// pool: the last holder's `done` forgets it instead. The caller keeps
    /// `x`, as its own object.
    pub fn untrack(&self, x: &Arc<T>) {
        // TODO(exercise): find the count of `x`, as `done` does, and:
        //
        // * tracked: give up the caller's reference and detach the object,
        //   in the same atomic step. Do not remove the count while other
        //   holders remain: their `done` must still find it. If the
        //   caller's was the last reference, remove the count now (the
        //   object is the caller's alone, and the pool never sees it).
        // * not tracked, on an adopting pool: nothing to do.
        // * not tracked otherwise: panic with the message `UNTRACKED`.
        todo!("RefPool::untrack")
    }

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
            .map(|c| c.0.refs.load(Relaxed) & !DETACHED)
    }

    /// Whether `x` is tracked and `untrack`ed (it will not return).
    pub fn is_detached(&self, x: &Arc<T>) -> bool {
        self.counter
            .load(&key(x))
            .is_some_and(|c| c.0.refs.load(Relaxed) & DETACHED != 0)
    }

    /// Rotates the pool (see `ch05_pool::Pool::gc`).
    pub fn gc(&self) {
        self.pool.gc();
    }
}
