//! A bug hunt: the article's `RefPool` sketch, as its author wrote it.
//!
//! The Chinese article "golang sync包源码阅读" ends with a `RefPool`: a
//! `sync.Pool` whose objects carry a reference count, so that a handler can
//! share a pooled request with the goroutines it starts, and the object goes
//! back to the pool only when the last of them is done. Its author says the
//! code is untested. This is that code in Rust, line for line, with two
//! changes that are not what this exercise is about:
//!
//! * objects are `Arc<T>`, and an object's identity is the address of its
//!   allocation (in Go, `==` on the object decides, and two equal objects
//!   would share one count); the map's entry keeps the object alive, so
//!   that address cannot be reused while the pool counts it;
//! * `done_paused`, a test hook: `done` with a pause in its middle (see
//!   its documentation).
//!
//! (And `get` returns the object, not an `Option`: the article's returns
//! `nil` only for a pool without a `New` function, and `new` always sets
//! one, as `NewRefPool` does.)
//!
//! It compiles and it runs, and in the common case (get, add, done, done)
//! it works. It has four bugs, all of them the article's. The tests in
//! `tests/refpool.rs` and the loom models in `tests/loom.rs` describe what a
//! correct `RefPool` must do; run `cargo workshop check ex06-bug-hunt`,
//! read the failing test, find the bug behind it and fix it. Keep the API:
//! the four methods, their panic texts, `count` and the hook.
//!
//! The article's Go, for comparison: its `Done` is
//!
//! ```go
//! func (p *RefPool) Done(x any) {
//!     c, ok := p.counter.Load(x)
//!     if !ok {
//!         panic("untracked object")
//!     }
//!     if v := c.(*atomic.Int32).Add(-1); v == 0 {
//!         if deleted := p.counter.CompareAndDelete(x, c); !deleted {
//!             // sanity check
//!             panic("inconsistency")
//!         }
//!         p.pool.Put(x)
//!     }
//! }
//! ```
//!
//! Go's [`Pool`](https://github.com/golang/go/blob/go1.23.5/src/sync/pool.go#L51)
//! is our [`ch05_pool::Pool`], its [`Map`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L38)
//! our [`ch03_map::Map`] (with [`CompareAndDelete`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L430)),
//! and Go's atomics are sequentially consistent, so every operation here is
//! `SeqCst`: the bugs are not in the orderings.

use std::sync::Arc;

use ch03_map::Map;
use ch05_pool::Pool;

use ch00_runtime::sync::atomic::AtomicI32;
use ch00_runtime::sync::atomic::Ordering::SeqCst;

/// `add`, `done` or `untrack` of an object the pool does not count (the
/// article's text).
pub const UNTRACKED: &str = "untracked object";
/// The map disagrees with itself (the article's text, for its sanity
/// checks).
pub const INCONSISTENCY: &str = "inconsistency";
/// A correct pool's text for `done` or `untrack` when the object's count
/// has no reference left to give up.
pub const NEGATIVE_COUNT: &str = "refpool: negative reference count";
/// A correct pool's text for `add` on an object whose last reference is
/// gone (its count reached zero).
pub const ADD_AFTER_LAST_DONE: &str = "refpool: add after the last done";

/// An object's reference count: the article's `*atomic.Int32`.
struct Counter {
    refs: AtomicI32,
}

impl Counter {
    /// A count of one: the caller of `get`.
    fn new() -> Self {
        // The article makes a zero counter and adds one.
        let refs = AtomicI32::new(0);
        refs.fetch_add(1, SeqCst);
        Self { refs }
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

/// Two entries are equal only if they share one counter: Go compares the
/// `*atomic.Int32` pointers, and `compare_and_delete` asks whether the
/// entry is still the one that was loaded.
impl<T> PartialEq for Entry<T> {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.counter, &other.counter)
    }
}

/// The article's `RefPool`: a pool of objects, and a map from each object
/// handed out to its reference count.
///
/// ```
/// use ex06_bug_hunt::RefPool;
///
/// let pool = RefPool::new(String::new);
/// let request = pool.get(); // held once: by us
/// pool.add(&request); // for the task below
/// std::thread::scope(|s| {
///     s.spawn(|| {
///         assert_eq!(request.len(), 0);
///         pool.done(&request); // the task is done with it
///     });
/// });
/// pool.done(&request); // so are we: back to the pool
/// ```
pub struct RefPool<T: Send + Sync + 'static> {
    pool: Pool<Arc<T>>,
    counter: Map<usize, Entry<T>>,
}

/// An object's key: the address of its allocation.
fn key<T>(x: &Arc<T>) -> usize {
    Arc::as_ptr(x).cast::<()>() as usize
}

impl<T: Send + Sync + 'static> RefPool<T> {
    /// `NewRefPool(f)`: `f` makes an object when the pool has none.
    pub fn new(f: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self {
            pool: Pool::with_new(move || Arc::new(f())),
            counter: Map::new(),
        }
    }

    /// Takes an object from the pool, held once: by the caller.
    pub fn get(&self) -> Arc<T> {
        let x = self.pool.get().expect("the pool has a new function");
        // The sanity check: an object fresh from the pool has no count.
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

    /// One more holder of `x`, who will call `done` (or `untrack`) once.
    /// The caller holds a reference to `x` already.
    pub fn add(&self, x: &Arc<T>) {
        let Some(e) = self.counter.load(&key(x)) else {
            panic!("{UNTRACKED}");
        };
        e.counter.refs.fetch_add(1, SeqCst);
    }

    /// The caller gives up its reference to `x`; the last one returns `x`
    /// to the pool.
    pub fn done(&self, x: &Arc<T>) {
        self.done_paused(x, || {});
    }

    /// `done(x)`, with `pause` run in its middle: after the decrement,
    /// before `done` acts on what it found (when it took the count to zero:
    /// before it removes the count and returns `x` to the pool). In a
    /// program, another thread's `add`, `done` or `untrack` can land
    /// exactly there; `pause` lets a test put one there, on one thread,
    /// every time.
    ///
    /// `done` is this with an empty pause: fix `done` here, and keep the
    /// pause between the decrement and what follows it.
    pub fn done_paused(&self, x: &Arc<T>, pause: impl FnOnce()) {
        let Some(e) = self.counter.load(&key(x)) else {
            panic!("{UNTRACKED}");
        };
        let v = e.counter.refs.fetch_sub(1, SeqCst) - 1;
        pause();
        if v == 0 {
            if !self.counter.compare_and_delete(&key(x), &e) {
                // The sanity check.
                panic!("{INCONSISTENCY}");
            }
            self.pool.put(Arc::clone(x));
        }
    }

    /// The article: "stop tracking the object: it will not go back into the
    /// pool, and its count is no longer kept". The caller keeps `x`, as its
    /// own object, and gives up its reference: it calls `untrack` instead
    /// of `done`. Other holders, if any, still call `done` (the article
    /// does not say what becomes of them; the tests do).
    pub fn untrack(&self, x: &Arc<T>) {
        let Some(e) = self.counter.load(&key(x)) else {
            panic!("{UNTRACKED}");
        };
        if !self.counter.compare_and_delete(&key(x), &e) {
            // The sanity check.
            panic!("{INCONSISTENCY}");
        }
    }

    // TODO(exercise): the four methods above have four bugs between them,
    // all of them the article's. Find each one from a failing test, and fix
    // it without changing what the methods take, return or panic with.

    /// The number of holders the pool counts for `x`, if it tracks `x`
    /// (not part of the article's API: the tests watch the count with it).
    pub fn count(&self, x: &Arc<T>) -> Option<i32> {
        self.counter
            .load(&key(x))
            .map(|e| e.counter.refs.load(SeqCst))
    }
}
