//! `Pool<T>`: Go's `sync.Pool`
//! ([`Pool`](https://github.com/golang/go/blob/go1.23.5/src/sync/pool.go#L51) in `sync/pool.go`):
//! a cache of objects to reuse, per thread first, stolen from other threads
//! next, and thinned out by `gc()` through a victim generation.

use std::fmt;

use crate::locals::Locals;
use crate::sync::Arc;
use crate::sync::atomic::AtomicU64;
use crate::sync::atomic::Ordering::Relaxed;

type NewFn<T> = Box<dyn Fn() -> T + Send + Sync>;

/// A cache of reusable objects shared by all threads: `put` offers one for
/// reuse, `get` takes one back or makes one. Nothing is kept for long: an
/// object nobody takes is dropped by the second [`gc()`] after it was put.
///
/// `get` takes this thread's private object, else the newest object in
/// this thread's chain, else one stolen from another thread, else one from
/// the victim generation, else a new one from the `new` function (if any).
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

impl<T: Send + 'static> Pool<T> {
    /// An empty pool without a `new` function: `get` returns `None` when it
    /// has nothing (Go's `Pool` with `New` unset).
    pub fn new() -> Self {
        Self::build(None)
    }

    /// An empty pool whose `get` calls `new` when it has nothing (Go's
    /// `New` field).
    pub fn with_new(new: impl Fn() -> T + Send + Sync + 'static) -> Self {
        Self::build(Some(Box::new(new)))
    }

    fn build(new: Option<NewFn<T>>) -> Self {
        crate::barrier::init();
        let inner = Arc::new(Inner {
            locals: Locals::new(),
            new,
            generation: AtomicU64::new(0),
            victim_empty: AtomicU64::new(0),
        });
        #[cfg(not(loom))]
        registry::register(&inner);
        Self { inner }
    }

    // ANCHOR: put
    /// Offers `x` for reuse: into this thread's private slot if it is
    /// empty, else onto the head of this thread's chain.
    ///
    /// From a thread that is exiting and has already given up its local
    /// (a thread-local destructor that runs late), `x` is dropped instead:
    /// the pool may drop any object at any time, and this one would belong
    /// to no thread.
    pub fn put(&self, x: T) {
        let Some(me) = self.inner.locals.get() else {
            return;
        };
        me.owner(|private, shared| {
            if private.is_none() {
                *private = Some(x);
            } else {
                shared.push_head(x);
            }
        });
    }
    // ANCHOR_END: put

    // ANCHOR: get
    /// Takes an object from the pool, or makes one with `new`; `None` if
    /// the pool is empty and has no `new` function.
    pub fn get(&self) -> Option<T> {
        let me = self.inner.locals.get();
        // This thread's private object first (of two objects put, the
        // older one: Go's TestPool gets "a" before "b"), then its chain's
        // head, the newest there: like Go, pop the head rather than the
        // tail, for temporal locality.
        let x = me.and_then(|me| {
            me.owner(|private, shared| private.take().or_else(|| shared.pop_head()))
        });
        x.or_else(|| self.get_slow(me))
            .or_else(|| self.inner.new.as_ref().map(|new| new()))
    }

    /// Go's `getSlow`: steal from the other threads, then try the victim
    /// generation: our own private object, then everyone's chains.
    fn get_slow(&self, me: Option<&crate::local::Local<T>>) -> Option<T> {
        let mut found = None;
        self.inner.locals.for_each(|l| {
            if found.is_none() && !me.is_some_and(|me| std::ptr::eq(l, me)) {
                found = l.steal(false);
            }
        });
        if found.is_some() {
            return found;
        }
        // Relaxed, both: the marker is a hint. A stale "empty" skips victims
        // that the next rotation drops anyway; a stale "not empty" costs a
        // search.
        let generation = self.inner.generation.load(Relaxed);
        if self.inner.victim_empty.load(Relaxed) == generation {
            return None;
        }
        found = me.and_then(|me| me.take_victim_private());
        if found.is_some() {
            return found;
        }
        self.inner.locals.for_each(|l| {
            if found.is_none() {
                found = l.steal(true);
            }
        });
        if found.is_none() {
            // Puts never go to the victims: empty now means empty until
            // the next rotation, which moves `generation` on.
            self.inner.victim_empty.store(generation, Relaxed);
        }
        found
    }
    // ANCHOR_END: get

    // ANCHOR: gc
    /// What Go's `poolCleanup` does to every pool at the start of a garbage
    /// collection, for this pool alone: drop the victim generation, and
    /// make the primary generation the victim. Safe to call at any time,
    /// from any thread, while others `get` and `put`.
    pub fn gc(&self) {
        self.inner.rotate();
    }
    // ANCHOR_END: gc
}

impl<T: Send> Inner<T> {
    fn rotate(&self) {
        let mut dropped = Vec::new();
        self.locals.for_each(|l| l.rotate(&mut dropped));
        // A new victim generation, not yet searched. Bumped after the
        // rotation, so a search that overlapped it marks the old number.
        self.generation.fetch_add(1, Relaxed);
        // Dropped here, outside every pin: a value's `Drop` may use a pool.
        drop(dropped);
    }
}

impl<T: Send + 'static> Default for Pool<T> {
    fn default() -> Self {
        Self::new()
    }
}

impl<T: Send + 'static> fmt::Debug for Pool<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pool")
            .field("has_new", &self.inner.new.is_some())
            .finish_non_exhaustive()
    }
}

/// Go's `poolCleanup` for every live pool: each pool drops its victim
/// generation and demotes its primary one. Callable at any time from any
/// thread; objects cached by idle or exited threads are reached too.
///
/// Go runs this at the start of every garbage collection. Rust has no
/// collector, so call it when you want pools thinned (after a burst of
/// load, on a timer), or start a [`Cleaner`].
#[cfg(not(loom))]
pub fn gc() {
    for pool in registry::live() {
        pool.rotate();
    }
}

#[cfg(not(loom))]
mod registry {
    //! Go's `allPools`: every live pool, so that `gc()` can reach them. A
    //! pool registers once, when it is made; the registry holds it weakly,
    //! so dropping a pool drops its objects at once.

    use std::sync::Weak;

    use ch01_mutex::Mutex;

    /// Anything `gc()` can rotate.
    pub(super) trait Rotate: Send + Sync {
        fn rotate(&self);
    }

    impl<T: Send> Rotate for super::Inner<T> {
        fn rotate(&self) {
            super::Inner::rotate(self);
        }
    }

    /// Go guards `allPools` with a `sync.Mutex`; so do we, with ours.
    static ALL_POOLS: Mutex<Vec<Weak<dyn Rotate>>> = Mutex::new(Vec::new());

    pub(super) fn register<T: Send + 'static>(pool: &std::sync::Arc<super::Inner<T>>) {
        let weak: Weak<dyn Rotate> = std::sync::Arc::downgrade(pool) as Weak<dyn Rotate>;
        let mut all = ALL_POOLS.lock();
        all.retain(|p| p.strong_count() > 0);
        all.push(weak);
    }

    /// The pools alive now; the lock is not held while they rotate.
    pub(super) fn live() -> Vec<std::sync::Arc<dyn Rotate>> {
        let mut all = ALL_POOLS.lock();
        all.retain(|p| p.strong_count() > 0);
        all.iter().filter_map(Weak::upgrade).collect()
    }
}

/// A background thread that calls [`gc()`] every `period`, standing in for
/// Go's garbage collector. Off unless you start one; dropping it stops the
/// thread (promptly, not after a full period).
#[cfg(not(loom))]
#[derive(Debug)]
pub struct Cleaner {
    stop: Option<std::sync::mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

#[cfg(not(loom))]
impl Cleaner {
    /// Starts calling [`gc()`] every `period`.
    pub fn start(period: std::time::Duration) -> Self {
        let (stop, stopped) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("pool-cleaner".into())
            .spawn(move || {
                while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    stopped.recv_timeout(period)
                {
                    gc();
                }
            })
            .expect("could not start the pool cleaner thread");
        Self {
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

#[cfg(not(loom))]
impl Drop for Cleaner {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            // A panic in a value's `Drop` during `gc()` ended the thread;
            // it has been reported already, so do not panic twice.
            let _ = t.join();
        }
    }
}
