//! Benchmarks after Go's `BenchmarkPool*` (`sync/pool_test.go`, go1.23.5),
//! with Go's shapes and parameters, and the ring against crossbeam-deque.
//!
//! Every pool group runs: our `Pool`; no pool at all (a fresh allocation
//! and a free each time); a `thread_local!` `RefCell<Vec<T>>`, the lower
//! bound for per-thread caching; the object-pool and lockfree-object-pool
//! crates. The object is a 64-byte `Vec<u8>` buffer. A parallel group's
//! time is wall time over all threads' operations, as Go's ns/op.
//!
//! `cargo bench -p ch05-pool`, or one group: `cargo bench -p ch05-pool -- PoolOverflow`

use std::cell::RefCell;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use testkit::{gomaxprocs, run_parallel};

type Obj = Vec<u8>;

fn make() -> Obj {
    Vec::with_capacity(64)
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
}

/// `BenchmarkPool`: every thread, every iteration: put one, get one.
fn pool<C: Cache>(c: &mut Criterion) {
    c.benchmark_group("Pool").bench_function(C::NAME, |b| {
        let p = C::new();
        b.iter_custom(|iters| {
            run_parallel(gomaxprocs(), iters, |_, n| {
                let mut x = Some(p.take());
                for _ in 0..n {
                    p.give(x.take().unwrap());
                    x = Some(black_box(p.take()));
                }
            })
        });
    });
}

/// `BenchmarkPoolOverflow`: 100 puts, then 100 gets.
fn pool_overflow<C: Cache>(c: &mut Criterion) {
    c.benchmark_group("PoolOverflow")
        .bench_function(C::NAME, |b| {
            let p = C::new();
            b.iter_custom(|iters| {
                run_parallel(gomaxprocs(), iters, |_, n| {
                    let mut held = Vec::with_capacity(100);
                    for _ in 0..n {
                        held.extend((0..100).map(|_| p.take()));
                        for x in held.drain(..) {
                            p.give(x);
                        }
                    }
                })
            });
        });
}

/// `BenchmarkPoolStarvation`: put 67, get 100, so a third of the gets
/// must steal from other threads (or make new objects).
fn pool_starvation<C: Cache>(c: &mut Criterion) {
    const COUNT: usize = 100;
    const STARVED: usize = COUNT - COUNT * 33 / 100;
    c.benchmark_group("PoolStarvation")
        .bench_function(C::NAME, |b| {
            let p = C::new();
            b.iter_custom(|iters| {
                run_parallel(gomaxprocs(), iters, |_, n| {
                    let mut held = Vec::with_capacity(COUNT);
                    for _ in 0..n {
                        held.extend((0..COUNT).map(|_| p.take()));
                        for x in held.drain(..).take(STARVED) {
                            p.give(x);
                        }
                    }
                })
            });
        });
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
            run_parallel(gomaxprocs(), iters, |_, n| {
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
    pool::<Ours>(c);
    pool::<NoPool>(c);
    pool::<ThreadLocalVec>(c);
    pool::<ObjectPool>(c);
    pool::<LockFree>(c);
    pool_overflow::<Ours>(c);
    pool_overflow::<NoPool>(c);
    pool_overflow::<ThreadLocalVec>(c);
    pool_overflow::<ObjectPool>(c);
    pool_overflow::<LockFree>(c);
    pool_starvation::<Ours>(c);
    pool_starvation::<NoPool>(c);
    pool_starvation::<ThreadLocalVec>(c);
    pool_starvation::<ObjectPool>(c);
    pool_starvation::<LockFree>(c);
    pool_expensive_new(c);
    dequeue_owner(c);
    dequeue_steal(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
