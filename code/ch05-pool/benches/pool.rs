//! Benchmarks after Go's `BenchmarkPool*` (`sync/pool_test.go`, go1.23.5),
//! with Go's shapes and parameters, and the ring against crossbeam-deque.
//!
//! Go's three parallel shapes (`Pool`, `PoolOverflow`, `PoolStarvation`)
//! pool what Go pools there, a small integer (Go's `Put(1)` stores an `int`
//! in an `any` without allocating), with no `New`: the same operations in
//! the same order per iteration as Go's. Beside each, the same shape for a
//! heap object that costs something to make (`Buf64`: a 64-byte `Vec<u8>`;
//! `Buf4K`: a 4 KiB buffer written in full, as a read buffer is), where the
//! comparison with allocating a fresh object each time means something.
//!
//! Peers: no pool at all (allocate, free), a `thread_local!`
//! `RefCell<Vec<T>>` (the lower bound for per-thread caching), object-pool
//! and lockfree-object-pool. Every parallel group runs at each thread count
//! in `GOSYNC_BENCH_THREADS` (`1,2` by default, Go's `-cpu 1,2`); its time
//! is wall time over all threads' operations, as Go's ns/op.
//!
//! `cargo bench -p ch05-pool`, or one group: `cargo bench -p ch05-pool -- PoolOverflow`

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use testkit::{bench_threads, run_parallel};

type Obj = Vec<u8>;

const BUF_4K: usize = 4096;

/// The capacity of a fresh buffer in the group being run (64 or 4096).
static SIZE: AtomicU64 = AtomicU64::new(64);

/// A fresh buffer of the current group's size.
fn make() -> Obj {
    Vec::with_capacity(SIZE.load(Relaxed) as usize)
}

/// A pool under test: take an object, give it back later.
trait Cache: Sync {
    const NAME: &'static str;
    type Held<'a>
    where
        Self: 'a;
    fn new() -> Self;
    fn take(&self) -> Self::Held<'_>;
    fn give<'a>(&'a self, x: Self::Held<'a>);
    /// The buffer inside what `take` returned.
    fn buf<'h>(x: &'h mut Self::Held<'_>) -> &'h mut Obj;
}

struct Ours(ch05_pool::Pool<Obj>);
impl Cache for Ours {
    const NAME: &'static str = "ch05 Pool";
    type Held<'a> = Obj;
    fn new() -> Self {
        Self(ch05_pool::Pool::with_new(make))
    }
    fn take(&self) -> Obj {
        self.0.get().expect("a pool with a new function")
    }
    fn give(&self, x: Obj) {
        self.0.put(x);
    }
    fn buf(x: &mut Obj) -> &mut Obj {
        x
    }
}

struct NoPool;
impl Cache for NoPool {
    const NAME: &'static str = "no pool (allocate)";
    type Held<'a> = Obj;
    fn new() -> Self {
        NoPool
    }
    fn take(&self) -> Obj {
        black_box(make())
    }
    fn give(&self, x: Obj) {
        drop(black_box(x));
    }
    fn buf(x: &mut Obj) -> &mut Obj {
        x
    }
}

thread_local! {
    static CACHE: RefCell<Vec<Obj>> = const { RefCell::new(Vec::new()) };
}

struct ThreadLocalVec;
impl Cache for ThreadLocalVec {
    const NAME: &'static str = "thread_local RefCell<Vec>";
    type Held<'a> = Obj;
    fn new() -> Self {
        ThreadLocalVec
    }
    fn take(&self) -> Obj {
        CACHE.with(|c| c.borrow_mut().pop()).unwrap_or_else(make)
    }
    fn give(&self, x: Obj) {
        CACHE.with(|c| c.borrow_mut().push(x));
    }
    fn buf(x: &mut Obj) -> &mut Obj {
        x
    }
}

struct ObjectPool(object_pool::Pool<Obj>);
impl Cache for ObjectPool {
    const NAME: &'static str = "object-pool";
    type Held<'a> = object_pool::Reusable<'a, Obj>;
    fn new() -> Self {
        Self(object_pool::Pool::new(0, make))
    }
    fn take(&self) -> Self::Held<'_> {
        self.0.pull(make)
    }
    fn give<'a>(&'a self, x: Self::Held<'a>) {
        drop(x); // back into the pool
    }
    fn buf<'h>(x: &'h mut Self::Held<'_>) -> &'h mut Obj {
        x
    }
}

struct LockFree(lockfree_object_pool::LinearObjectPool<Obj>);
impl Cache for LockFree {
    const NAME: &'static str = "lockfree-object-pool Linear";
    type Held<'a> = lockfree_object_pool::LinearReusable<'a, Obj>;
    fn new() -> Self {
        Self(lockfree_object_pool::LinearObjectPool::new(make, |v| {
            v.clear()
        }))
    }
    fn take(&self) -> Self::Held<'_> {
        self.0.pull()
    }
    fn give<'a>(&'a self, x: Self::Held<'a>) {
        drop(x); // back into the pool
    }
    fn buf<'h>(x: &'h mut Self::Held<'_>) -> &'h mut Obj {
        x
    }
}

/// Go's shapes, with Go's object: what a pool of small values needs.
trait GoShape: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn put(&self, x: u64);
    fn get(&self) -> Option<u64>;
}

struct OursInt(ch05_pool::Pool<u64>);
impl GoShape for OursInt {
    const NAME: &'static str = "ch05 Pool";
    fn new() -> Self {
        Self(ch05_pool::Pool::new())
    }
    fn put(&self, x: u64) {
        self.0.put(x);
    }
    fn get(&self) -> Option<u64> {
        self.0.get()
    }
}

thread_local! {
    static INTS: RefCell<Vec<u64>> = const { RefCell::new(Vec::new()) };
}

struct ThreadLocalInt;
impl GoShape for ThreadLocalInt {
    const NAME: &'static str = "thread_local RefCell<Vec>";
    fn new() -> Self {
        ThreadLocalInt
    }
    fn put(&self, x: u64) {
        INTS.with(|c| c.borrow_mut().push(x));
    }
    fn get(&self) -> Option<u64> {
        INTS.with(|c| c.borrow_mut().pop())
    }
}

struct ObjectPoolInt(object_pool::Pool<u64>);
impl GoShape for ObjectPoolInt {
    const NAME: &'static str = "object-pool";
    fn new() -> Self {
        Self(object_pool::Pool::new(0, || 0))
    }
    fn put(&self, x: u64) {
        self.0.attach(x);
    }
    fn get(&self) -> Option<u64> {
        // Go's `Get` hands the object over for good: detach it.
        self.0.try_pull().map(|r| r.detach().1)
    }
}

/// `BenchmarkPool`: every thread, every iteration: `Put(1)`, `Get()`.
fn pool<C: GoShape>(c: &mut Criterion) {
    let mut group = c.benchmark_group("Pool");
    for threads in bench_threads() {
        group.bench_function(BenchmarkId::new(C::NAME, threads), |b| {
            let p = C::new();
            b.iter_custom(|iters| {
                run_parallel(threads, iters, |_, n| {
                    for _ in 0..n {
                        p.put(1);
                        black_box(p.get());
                    }
                })
            });
        });
    }
    group.finish();
}

/// `BenchmarkPoolOverflow`: 100 `Put(1)`, then 100 `Get()`.
fn pool_overflow<C: GoShape>(c: &mut Criterion) {
    let mut group = c.benchmark_group("PoolOverflow");
    for threads in bench_threads() {
        group.bench_function(BenchmarkId::new(C::NAME, threads), |b| {
            let p = C::new();
            b.iter_custom(|iters| {
                run_parallel(threads, iters, |_, n| {
                    for _ in 0..n {
                        for _ in 0..100 {
                            p.put(1);
                        }
                        for _ in 0..100 {
                            black_box(p.get());
                        }
                    }
                })
            });
        });
    }
    group.finish();
}

/// `BenchmarkPoolStarvation`: 67 `Put(1)` (Go's `count - count*0.33`),
/// then 100 `Get()`: a third of the gets must steal from other threads, or
/// find nothing.
fn pool_starvation<C: GoShape>(c: &mut Criterion) {
    const COUNT: usize = 100;
    const STARVED: usize = COUNT - (COUNT as f32 * 0.33) as usize;
    let mut group = c.benchmark_group("PoolStarvation");
    for threads in bench_threads() {
        group.bench_function(BenchmarkId::new(C::NAME, threads), |b| {
            let p = C::new();
            b.iter_custom(|iters| {
                run_parallel(threads, iters, |_, n| {
                    for _ in 0..n {
                        for _ in 0..STARVED {
                            p.put(1);
                        }
                        for _ in 0..COUNT {
                            black_box(p.get());
                        }
                    }
                })
            });
        });
    }
    group.finish();
}

/// `BenchmarkPool`'s shape for a heap object: take one (from the pool, or
/// newly made), use it, give it back. `Buf64` only touches its buffer;
/// `Buf4K` fills all 4 KiB, as a reader fills a read buffer.
fn buffers<C: Cache>(c: &mut Criterion, name: &str, fill: bool) {
    let mut group = c.benchmark_group(name);
    for threads in bench_threads() {
        group.bench_function(BenchmarkId::new(C::NAME, threads), |b| {
            let p = C::new();
            b.iter_custom(|iters| {
                run_parallel(threads, iters, |_, n| {
                    for _ in 0..n {
                        let mut x = p.take();
                        touch(C::buf(&mut x), fill);
                        p.give(x);
                    }
                })
            });
        });
    }
    group.finish();
}

fn touch(buf: &mut Obj, fill: bool) {
    if fill {
        buf.clear();
        buf.resize(BUF_4K, 7);
    } else {
        buf.push(1);
        buf.clear();
    }
    black_box(buf);
}

/// `BenchmarkPoolExpensiveNew`: `new` costs 1 ms; each iteration takes 100
/// objects and gives them back. Where Go's allocation-driven GC runs, we
/// call `gc()` (every fifth iteration of each thread). Prints new/op.
fn pool_expensive_new(c: &mut Criterion) {
    let made = std::sync::Arc::new(AtomicU64::new(0));
    let p = {
        let made = std::sync::Arc::clone(&made);
        ch05_pool::Pool::with_new(move || {
            made.fetch_add(1, Relaxed);
            std::thread::sleep(Duration::from_millis(1));
            42u64
        })
    };
    let mut total = 0;
    let mut group = c.benchmark_group("PoolExpensiveNew");
    group.sample_size(10);
    group.bench_function("ch05 Pool, gc() every 5 iterations", |b| {
        b.iter_custom(|iters| {
            total += iters;
            run_parallel(testkit::gomaxprocs(), iters, |_, n| {
                let mut items = Vec::with_capacity(100);
                for i in 0..n {
                    items.extend((0..100).map(|_| p.get().unwrap()));
                    for x in items.drain(..) {
                        p.put(x);
                    }
                    if i % 5 == 4 {
                        p.gc();
                    }
                }
            })
        });
    });
    group.finish();
    eprintln!(
        "PoolExpensiveNew: {:.2} new/op over {total} iterations",
        made.load(Relaxed) as f64 / total.max(1) as f64
    );
}

/// The ring alone, owner side: push one, pop one, against crossbeam-deque's
/// `Worker` (LIFO, the same shape).
fn dequeue_owner(c: &mut Criterion) {
    let mut group = c.benchmark_group("PoolDequeueOwner");
    group.bench_function("ch05 poolDequeue push_head+pop_head", |b| {
        let (p, _c) = ch05_pool::dequeue::new::<u64>(1024);
        b.iter(|| {
            p.push_head(black_box(1)).unwrap();
            black_box(p.pop_head())
        });
    });
    group.bench_function("ch05 poolChain push_head+pop_head", |b| {
        let (p, _c) = ch05_pool::chain::new::<u64>();
        b.iter(|| {
            p.push_head(black_box(1));
            black_box(p.pop_head())
        });
    });
    group.bench_function("crossbeam-deque Worker push+pop (LIFO)", |b| {
        let w = crossbeam_deque::Worker::<u64>::new_lifo();
        b.iter(|| {
            w.push(black_box(1));
            black_box(w.pop())
        });
    });
    group.finish();
}

/// Stealing, uncontended: the ring is filled, then emptied from the other
/// end on the same thread, one value per steal (timed), against
/// crossbeam-deque's `Stealer::steal`. The cost of a steal itself, without
/// the cache misses a real thief adds (those show in `PoolStarvation`).
fn dequeue_steal(c: &mut Criterion) {
    let mut group = c.benchmark_group("PoolDequeueSteal");
    group.bench_function("ch05 poolDequeue pop_tail", |b| {
        let (p, c) = ch05_pool::dequeue::new::<u64>(1024);
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let batch = left.min(1024);
                for i in 0..batch {
                    p.push_head(i).unwrap();
                }
                let start = std::time::Instant::now();
                for _ in 0..batch {
                    black_box(c.pop_tail());
                }
                spent += start.elapsed();
                left -= batch;
            }
            spent
        });
    });
    group.bench_function("crossbeam-deque Stealer::steal", |b| {
        let w = crossbeam_deque::Worker::<u64>::new_lifo();
        let s = w.stealer();
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let batch = left.min(1024);
                for i in 0..batch {
                    w.push(i);
                }
                let start = std::time::Instant::now();
                for _ in 0..batch {
                    black_box(s.steal().success());
                }
                spent += start.elapsed();
                left -= batch;
            }
            spent
        });
    });
    group.finish();
}

fn all(c: &mut Criterion) {
    pool::<OursInt>(c);
    pool::<ThreadLocalInt>(c);
    pool::<ObjectPoolInt>(c);
    pool_overflow::<OursInt>(c);
    pool_overflow::<ThreadLocalInt>(c);
    pool_overflow::<ObjectPoolInt>(c);
    pool_starvation::<OursInt>(c);
    pool_starvation::<ThreadLocalInt>(c);
    pool_starvation::<ObjectPoolInt>(c);
    for (name, fill) in [("PoolBuf64", false), ("PoolBuf4K", true)] {
        SIZE.store(if fill { BUF_4K as u64 } else { 64 }, Relaxed);
        buffers::<Ours>(c, name, fill);
        buffers::<NoPool>(c, name, fill);
        buffers::<ThreadLocalVec>(c, name, fill);
        buffers::<ObjectPool>(c, name, fill);
        buffers::<LockFree>(c, name, fill);
    }
    pool_expensive_new(c);
    dequeue_owner(c);
    dequeue_steal(c);
    pool_paths(c);
}

/// Where `get` spends its time, path by path, on one thread (the steal
/// path with a second thread that only fills its chain). A breakdown, not
/// a Go benchmark: each member takes one path of `get`.
///
/// * `private`: `put` then `get`, through the private slot: the lookup of
///   this thread's local and the pin, twice, and a move;
/// * `private + chain`: two `put`s and two `get`s, the second object going
///   through the chain's ring (so the ring costs this minus `private`);
/// * `steal`: a `get` that finds this thread's local empty and pops the
///   tail of another thread's chain (Go's `getSlow`, first half);
/// * `victim`: a `get` after `gc()`, from the victim generation (the second
///   half);
/// * `miss`: a `get` of an empty pool with no `new`: the whole search, and
///   the marker that lets the next miss skip the victims.
///
/// The timed part of `steal` and `victim` is the gets only: the filling and
/// the `gc()` run between batches, off the clock.
fn pool_paths(c: &mut Criterion) {
    use ch05_pool::Pool;
    use std::sync::mpsc;
    use std::time::Instant;
    const BATCH: u64 = 64;

    let mut group = c.benchmark_group("PoolPaths");
    group.bench_function("private: put, get", |b| {
        let p = Pool::<u64>::new();
        b.iter(|| {
            p.put(1);
            black_box(p.get())
        });
    });
    group.bench_function("private + chain: put, put, get, get", |b| {
        let p = Pool::<u64>::new();
        b.iter(|| {
            p.put(1);
            p.put(2);
            black_box(p.get());
            black_box(p.get())
        });
    });
    group.bench_function("steal: get of another thread's object", |b| {
        let p = Pool::<u64>::new();
        std::thread::scope(|s| {
            let (fill, fills) = mpsc::channel::<u64>();
            let (filled, done) = mpsc::channel::<()>();
            let p = &p;
            s.spawn(move || {
                // Its first object stays in its private slot, out of reach;
                // every later one goes to its chain, which others steal from.
                p.put(0);
                for n in fills {
                    for _ in 0..n {
                        p.put(1);
                    }
                    filled.send(()).unwrap();
                }
            });
            b.iter_custom(|iters| {
                let mut spent = Duration::ZERO;
                let mut left = iters;
                while left > 0 {
                    let n = left.min(BATCH);
                    fill.send(n).unwrap();
                    done.recv().unwrap();
                    let t = Instant::now();
                    for _ in 0..n {
                        black_box(p.get());
                    }
                    spent += t.elapsed();
                    left -= n;
                }
                spent
            });
            drop(fill);
        });
    });
    group.bench_function("victim: get after gc()", |b| {
        let p = Pool::<u64>::new();
        b.iter_custom(|iters| {
            let mut spent = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let n = left.min(BATCH);
                for _ in 0..n {
                    p.put(1);
                }
                p.gc();
                let t = Instant::now();
                for _ in 0..n {
                    black_box(p.get());
                }
                spent += t.elapsed();
                left -= n;
            }
            spent
        });
    });
    group.bench_function("miss: get of an empty pool", |b| {
        let p = Pool::<u64>::new();
        b.iter(|| black_box(p.get()));
    });
    group.finish();
}

criterion_group!(benches, all);
criterion_main!(benches);
