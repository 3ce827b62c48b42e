//! Go's `sync.Pool` from chapter 5, with its victim cache missing: the
//! rotation that `gc()` performs, and the search of the victims in `get`.
//!
//! Fill in the three `TODO(exercise)` holes (`Local::rotate` in
//! `src/local.rs`, `Pool::gc` and the end of `Pool::get_slow` here), then
//! run `cargo workshop check ex05-victim`.
//!
//! Go's garbage collector calls `poolCleanup` at the start of each cycle:
//! every pool's victim generation is dropped, and its primary generation
//! becomes the victim. `get` looks in the victims only after everything
//! else failed, so objects nobody asks for age out within two cycles,
//! and objects still in demand are rescued.

mod local;
mod locals;

use std::sync::Arc;
use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

use local::Local;
use locals::Locals;

type NewFn<T> = Box<dyn Fn() -> T + Send + Sync>;

/// A set of temporary objects; every object left in the pool is dropped
/// within two `gc()` cycles.
pub struct Pool<T: Send + 'static> {
    inner: Arc<Inner<T>>,
}

struct Inner<T: Send> {
    locals: Locals<T>,
    new: Option<NewFn<T>>,
    /// Rotations so far: the victim generation's number.
    generation: AtomicU64,
    /// The generation whose victims a `get` searched and found empty (Go
    /// sets `victimSize` to 0). Starts equal: the first victims are empty.
    victim_empty: AtomicU64,
}

impl<T: Send + 'static> Default for Pool<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> Pool<T> {
    /// An empty pool; `get` returns `None` when it has nothing.
    pub fn new() -> Self {
        Self::build(None)
    }

    /// An empty pool whose `get` calls `new` when it has nothing.
    pub fn with_new(new: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self::build(Some(Box::new(new)))
    }

    fn build(new: Option<NewFn<T>>) -> Self {
        Self {
            inner: Arc::new(Inner {
                locals: Locals::new(),
                new,
                generation: AtomicU64::new(0),
                victim_empty: AtomicU64::new(0),
            }),
        }
    }

    /// Adds `x` to the pool.
    pub fn put(&self, x: T) {
        self.inner.locals.get().owner(|private, shared| {
            if private.is_none() {
                *private = Some(x);
            } else {
                shared.push_head(x);
            }
        });
    }

    /// Takes an object from the pool, or makes one with `new`.
    pub fn get(&self) -> Option<T> {
        let me = self.inner.locals.get();
        let x = me.owner(|private, shared| private.take().or_else(|| shared.pop_head()));
        x.or_else(|| self.get_slow(me))
            .or_else(|| self.inner.new.as_ref().map(|new| new()))
    }

    /// Go's `getSlow`: steal from the other threads, then try the victims.
    fn get_slow(&self, me: &Local<T>) -> Option<T> {
        let mut found = None;
        self.inner.locals.for_each(|l| {
            if found.is_none() && !std::ptr::eq(l, me) {
                found = l.steal(false);
            }
        });
        if found.is_some() {
            return found;
        }
        // TODO(exercise): the victim generation, in Go's order. If
        // `victim_empty` equals the current `generation`, a search since
        // the last rotation found nothing: return `None` at once. Else try
        // this thread's victim private object (`take_victim_private`), then
        // steal from every local's victim chain (`steal(true)`). If all of
        // that found nothing, record it: store the generation you read into
        // `victim_empty`. (Which orderings do these hints need?)
        todo!("Pool::get_slow: the victims")
    }

    /// Go's `poolCleanup`, for this pool: drop the victim generation and
    /// demote the primary one. Safe at any time, from any thread.
    pub fn gc(&self) {
        // TODO(exercise): rotate every local (`self.inner.locals.for_each`
        // and `Local::rotate`), collecting the removed values in one `Vec`.
        // Then move `generation` on by one, so that the new victims will be
        // searched. Drop the values last, when no pin is held.
        todo!("Pool::gc")
    }
}
