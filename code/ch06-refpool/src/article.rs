//! The article's `RefPool`, ported as it was written, bugs included.
//!
//! Adapted from the `RefPool` sketch in "golang sync包源码阅读", licensed
//! CC BY 4.0 (<https://creativecommons.org/licenses/by/4.0/>); changed: Go
//! translated to Rust on this book's `Pool` and `Map`, comments rewritten.
//!
//! The author published it untested and said so. This module keeps it that
//! way on purpose: every bug the chapter finds in it is demonstrated by a
//! test in `tests/article_bugs.rs` against this type, and shown fixed there
//! against [`crate::tracked::RefPool`]. Do not use it for anything else.
//!
//! The port is line for line. Go's `sync.Pool` becomes our
//! [`ch05_pool::Pool`], its `sync.Map` our [`ch03_map::Map`], its
//! `*atomic.Int32` an `Arc<AtomicI32>` compared by address (as Go compares
//! pointers), its atomics sequentially consistent (as Go's are). The object
//! is its own key, so it must be `Hash + Eq + Clone`: in Go any comparable
//! value can key a map, and `==` decides identity. That is bug 1.

use std::hash::Hash;
use std::sync::Arc;

use ch03_map::Map;
use ch05_pool::Pool;

use crate::sync::atomic::AtomicI32;
use crate::sync::atomic::Ordering::SeqCst;

/// The article's two panic texts, kept.
pub const UNTRACKED: &str = "untracked object";
/// See [`UNTRACKED`].
pub const INCONSISTENCY: &str = "inconsistency";

/// The counter the map holds for an object: a pointer in Go, compared by
/// address when `CompareAndDelete` checks it is still the same one.
#[derive(Clone)]
struct Counter(Arc<AtomicI32>);

impl PartialEq for Counter {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

/// The article's `RefPool`: a pool, and a map from each object handed out
/// to its reference count.
// ANCHOR: type
pub struct RefPool<T: Send + 'static> {
    pool: Pool<T>,
    counter: Map<T, Counter>,
}
// ANCHOR_END: type

impl<T> RefPool<T>
where
    T: Hash + Eq + Clone + Send + Sync + 'static,
{
    /// `NewRefPool(f)`: `f` makes an object when the pool is empty. (The
    /// article's struct also has an `f` field that nothing sets or reads.)
    pub fn new(f: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self {
            pool: Pool::with_new(f),
            counter: Map::new(),
        }
    }

    // ANCHOR: get
    /// Takes an object and starts its count at one.
    pub fn get(&self) -> Option<T> {
        let x = self.pool.get()?;
        // The sanity check: an object fresh from the pool has no count.
        if self.counter.load(&x).is_some() {
            panic!("{INCONSISTENCY}");
        }
        let c = Counter(Arc::new(AtomicI32::new(0)));
        // SeqCst here and below: Go's atomics are sequentially consistent,
        // and the sketch is kept as written (mutants.toml).
        c.0.fetch_add(1, SeqCst);
        self.counter.store(x.clone(), c);
        Some(x)
    }
    // ANCHOR_END: get

    // ANCHOR: add
    /// One more holder of `x`.
    pub fn add(&self, x: &T) {
        let Some(c) = self.counter.load(x) else {
            panic!("{UNTRACKED}");
        };
        c.0.fetch_add(1, SeqCst);
    }
    // ANCHOR_END: add

    // ANCHOR: done
    /// One holder fewer; the last one puts `x` back into the pool.
    pub fn done(&self, x: &T) {
        let Some(c) = self.counter.load(x) else {
            panic!("{UNTRACKED}");
        };
        if c.0.fetch_sub(1, SeqCst) - 1 == 0 {
            if !self.counter.compare_and_delete(x, &c) {
                panic!("{INCONSISTENCY}");
            }
            self.pool.put(x.clone());
        }
    }
    // ANCHOR_END: done

    // ANCHOR: untrack
    /// Stops counting `x`: it will not go back into the pool.
    pub fn untrack(&self, x: &T) {
        let Some(c) = self.counter.load(x) else {
            panic!("{UNTRACKED}");
        };
        if !self.counter.compare_and_delete(x, &c) {
            panic!("{INCONSISTENCY}");
        }
    }
    // ANCHOR_END: untrack

    /// The count the map holds for `x`, if it tracks `x` (for the tests).
    pub fn count(&self, x: &T) -> Option<i32> {
        // SeqCst, as the sketch's others; a snapshot for the tests.
        self.counter.load(x).map(|c| c.0.load(SeqCst))
    }

    /// What Go's garbage collector does to the pool (see
    /// [`ch05_pool::Pool::gc`]); the counters are not touched.
    pub fn gc(&self) {
        self.pool.gc();
    }
}
