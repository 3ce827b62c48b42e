//! ex06-bug-hunt, solved: the article's `RefPool` with its four bugs fixed,
//! run against the exercise's tests.
//!
//! What changed, against the sketch as shipped in the exercise:
//!
//! * The counter has two operations of its own, each one compare-and-swap
//!   loop that looks at the count it changes: `add` never raises a count
//!   that has reached zero (the last `done` has already decided to return
//!   the object), and `release` never takes one below zero (a caller with
//!   no reference left is refused, and the count is left as it was).
//! * `untrack` gives up only its caller's reference and marks the object;
//!   the last reference, whoever gives it up, then forgets the object
//!   instead of pooling it. With no reference left, `untrack` is refused
//!   before it changes anything.
//!
//! The orderings stay the article's (Go's atomics are sequentially
//! consistent): `SeqCst` throughout.

use std::sync::Arc;

use ch03_map::Map;
use ch05_pool::Pool;

use ch00_runtime::sync::atomic::Ordering::SeqCst;
use ch00_runtime::sync::atomic::{AtomicBool, AtomicI32};

/// `add`, `done` or `untrack` of an object the pool does not count (the
/// article's text).
pub const UNTRACKED: &str = "untracked object";
/// The map disagrees with itself (the article's text, for its sanity
/// checks).
pub const INCONSISTENCY: &str = "inconsistency";
/// `done` or `untrack` when the object's count has no reference left to
/// give up.
pub const NEGATIVE_COUNT: &str = "refpool: negative reference count";
/// `add` on an object whose last reference is gone (its count reached
/// zero).
pub const ADD_AFTER_LAST_DONE: &str = "refpool: add after the last done";

/// An object's reference count, and whether it was untracked.
struct Counter {
    refs: AtomicI32,
    /// Set by `untrack` before it gives up its reference: whoever gives up
    /// the last one finds it, and forgets the object instead of pooling it.
    untracked: AtomicBool,
}

impl Counter {
    /// A count of one: the caller of `get`.
    fn new() -> Self {
        Self {
            refs: AtomicI32::new(1),
            untracked: AtomicBool::new(false),
        }
    }

    /// One reference more, for a caller who holds one. Zero is final: once
    /// the last reference is given up, the object is on its way back to the
    /// pool, and no `add` may bring it back to life.
    fn add(&self) {
        let mut seen = self.refs.load(SeqCst);
        loop {
            if seen <= 0 {
                panic!("{ADD_AFTER_LAST_DONE}");
            }
            // Raise exactly the count we checked: if it changed meanwhile
            // (to zero, perhaps), look again.
            match self.refs.compare_exchange(seen, seen + 1, SeqCst, SeqCst) {
                Ok(_) => return,
                Err(now) => seen = now,
            }
        }
    }

    /// One reference fewer; `true` if it was the last. A caller with no
    /// reference left to give up is refused, and the count stays as it
    /// was.
    fn release(&self) -> bool {
        let mut seen = self.refs.load(SeqCst);
        loop {
            if seen <= 0 {
                panic!("{NEGATIVE_COUNT}");
            }
            match self.refs.compare_exchange(seen, seen - 1, SeqCst, SeqCst) {
                Ok(_) => return seen == 1,
                Err(now) => seen = now,
            }
        }
    }
}

/// What the map holds for a tracked object: its counter, and the object.
struct Entry<T> {
    counter: Arc<Counter>,
    /// Keeps the object, and so its address (its key), alive.
    obj: Arc<T>,
}

// By hand: a derive would ask for `T: Clone`, and an entry's clone is two
// `Arc` clones whatever `T` is.
impl<T> Clone for Entry<T> {
    fn clone(&self) -> Self {
        Self {
            counter: Arc::clone(&self.counter),
            obj: Arc::clone(&self.obj),
        }
    }
}

/// Equal only if they share one counter, as Go compares the pointers.
impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.counter, &other.counter)
    }
}

/// The article's `RefPool`, fixed: a pool of objects, and a map from each
/// object handed out to its reference count.
pub struct RefPool<T: Send + Sync + 'static> {
    pool: Pool<Arc<T>>,
    counter: Map<usize, Entry<T>>,
}

/// An object's key: the address of its allocation.
fn key<T>(x: &Arc<T>) -> usize {
    Arc::as_ptr(x).cast::<()>() as usize
}

impl<T: Send + Sync + 'static> RefPool<T> {
    /// `f` makes an object when the pool has none.
    pub fn new(f: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self {
            pool: Pool::with_new(move || Arc::new(f())),
            counter: Map::new(),
        }
    }

    /// Takes an object from the pool, held once: by the caller.
    pub fn get(&self) -> Arc<T> {
        let x = self.pool.get().expect("the pool has a new function");
        // The article's sanity check: a count leaves the map before its
        // object enters the pool, so an object from the pool has none.
        if self.counter.load(&key(&x)).is_some() {
            panic!("{INCONSISTENCY}");
        }
        let entry = Entry {
            counter: Arc::new(Counter::new()),
            obj: Arc::clone(&x),
        };
        self.counter.store(key(&x), entry);
        x
    }

    /// One more holder of `x`; the caller holds a reference already.
    pub fn add(&self, x: &Arc<T>) {
        match self.counter.load(&key(x)) {
            Some(e) => e.counter.add(),
            None => panic!("{UNTRACKED}"),
        }
    }

    /// The caller gives up its reference to `x`; the last one returns `x`
    /// to the pool, or forgets it if it was untracked.
    pub fn done(&self, x: &Arc<T>) {
        self.done_paused(x, || {});
    }

    /// `done(x)`, with `pause` run after the decrement and before what
    /// follows it (for the last reference: removing the count, then
    /// returning `x` to the pool). A test hook: another thread's call can
    /// land there.
    pub fn done_paused(&self, x: &Arc<T>, pause: impl FnOnce()) {
        let Some(e) = self.counter.load(&key(x)) else {
            panic!("{UNTRACKED}");
        };
        let last = e.counter.release();
        pause();
        if last {
            self.remove_count(x, &e);
            if !e.counter.untracked.load(SeqCst) {
                self.pool.put(Arc::clone(&e.obj));
            }
        }
    }

    /// The caller gives up its reference to `x` and keeps `x` as its own:
    /// `x` will not return to the pool. Other holders still call `done`;
    /// the last reference forgets `x`.
    pub fn untrack(&self, x: &Arc<T>) {
        let Some(e) = self.counter.load(&key(x)) else {
            panic!("{UNTRACKED}");
        };
        let c = &e.counter;
        // Refused before the mark: an untrack with no reference left must
        // change nothing (the last `done` may be returning `x` right now).
        if c.refs.load(SeqCst) <= 0 {
            panic!("{NEGATIVE_COUNT}");
        }
        // The mark before our reference goes: from then on another holder's
        // `done` may be the last, and it must find the mark.
        c.untracked.store(true, SeqCst);
        if c.release() {
            self.remove_count(x, &e);
        }
    }

    /// Removes the count of `x`, which this caller just took to zero.
    fn remove_count(&self, x: &Arc<T>, e: &Entry<T>) {
        // Zero is final, so no other call removes or replaces it meanwhile:
        // the article's sanity check still holds.
        if !self.counter.compare_and_delete(&key(x), e) {
            panic!("{INCONSISTENCY}");
        }
    }

    /// The number of holders the pool counts for `x`, if it tracks `x`.
    pub fn count(&self, x: &Arc<T>) -> Option<i32> {
        self.counter
            .load(&key(x))
            .map(|e| e.counter.refs.load(SeqCst))
    }
}
