//! Benchmarks after Go's `BenchmarkRWMutex*` (`sync/rwmutex_test.go`,
//! go1.23.5), with Go's shapes and parameters. Each group runs our
//! `RwMutex` and `ShardedRwMutex`, `std::sync::RwLock`,
//! `parking_lot::RwLock` (0.13) and crossbeam's `ShardedLock` (0.8); a
//! parallel group's time per iteration is wall time over all threads'
//! iterations, as Go's ns/op.
//!
//! `cargo bench -p ch02-rwmutex`, or one group: `cargo bench -p ch02-rwmutex -- RWMutexWrite10`

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossbeam_utils::CachePadded;
use testkit::{bench_threads, run_parallel};

/// The locks under test: a read lock, a write lock, each released at once
/// or when the closure returns.
trait Lock: Sync {
    const NAME: &'static str;
    fn new() -> Self;
    fn read<R>(&self, f: impl FnOnce() -> R) -> R;
    fn write(&self);
}

impl Lock for ch02_rwmutex::RwMutex<()> {
    const NAME: &'static str = "ch02 RwMutex";
    fn new() -> Self {
        ch02_rwmutex::RwMutex::new(())
    }
    fn read<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.read();
        f()
    }
    fn write(&self) {
        drop(self.write());
    }
}

impl Lock for ch02_rwmutex::ShardedRwMutex<()> {
    const NAME: &'static str = "ch02 ShardedRwMutex";
    fn new() -> Self {
        ch02_rwmutex::ShardedRwMutex::new(())
    }
    fn read<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.read();
        f()
    }
    fn write(&self) {
        drop(self.write());
    }
}

impl Lock for std::sync::RwLock<()> {
    const NAME: &'static str = "std RwLock";
    fn new() -> Self {
        std::sync::RwLock::new(())
    }
    fn read<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.read().unwrap();
        f()
    }
    fn write(&self) {
        drop(self.write().unwrap());
    }
}

impl Lock for parking_lot::RwLock<()> {
    const NAME: &'static str = "parking_lot RwLock";
    fn new() -> Self {
        parking_lot::RwLock::new(())
    }
    fn read<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.read();
        f()
    }
    fn write(&self) {
        drop(self.write());
    }
}

impl Lock for crossbeam_utils::sync::ShardedLock<()> {
    const NAME: &'static str = "crossbeam ShardedLock";
    fn new() -> Self {
        crossbeam_utils::sync::ShardedLock::new(())
    }
    fn read<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.read().unwrap();
        f()
    }
    fn write(&self) {
        drop(self.write().unwrap());
    }
}

/// `BenchmarkRWMutexUncontended`: every thread has its own padded lock and
/// per iteration read-locks it twice (nested), read-unlocks twice, then
/// locks and unlocks it for writing.
fn rwmutex_uncontended<L: Lock>(c: &mut Criterion) {
    for procs in bench_threads() {
        c.benchmark_group("RWMutexUncontended").bench_function(
            BenchmarkId::new(L::NAME, procs),
            |b| {
                let locks: Vec<CachePadded<L>> =
                    (0..procs).map(|_| CachePadded::new(L::new())).collect();
                b.iter_custom(|iters| {
                    run_parallel(procs, iters, |t, n| {
                        let l = &locks[t];
                        for _ in 0..n {
                            l.read(|| l.read(|| ()));
                            l.write();
                        }
                    })
                });
            },
        );
    }
}

/// Go's `benchmarkRWMutex(localWork, writeRatio)`: one shared lock; each
/// thread counts its iterations in `foo`, write-locks (empty) every
/// `write_ratio`-th, and otherwise read-locks around `local_work` rounds
/// of `foo *= 2; foo /= 2`.
#[allow(clippy::disallowed_names)] // `foo`, as in Go's benchmark
fn benchmark_rwmutex<L: Lock>(c: &mut Criterion, group: &str, local_work: usize, write_ratio: u64) {
    for procs in bench_threads() {
        c.benchmark_group(group)
            .bench_function(BenchmarkId::new(L::NAME, procs), |b| {
                let rwm = L::new();
                b.iter_custom(|iters| {
                    run_parallel(procs, iters, |_, n| {
                        let mut foo = 0u64;
                        for _ in 0..n {
                            foo += 1;
                            if foo % write_ratio == 0 {
                                rwm.write();
                            } else {
                                rwm.read(|| {
                                    for _ in 0..local_work {
                                        foo = black_box(foo * 2) / 2;
                                    }
                                });
                            }
                        }
                        black_box(foo);
                    })
                });
            });
    }
}

/// Not one of Go's: Go's uncontended shape with the write lock left out.
/// Every thread has its own padded lock and read-locks and read-unlocks
/// it: the price of one read lock and unlock, alone.
fn rlock_uncontended<L: Lock>(c: &mut Criterion) {
    for procs in bench_threads() {
        c.benchmark_group("RLockUncontended").bench_function(
            BenchmarkId::new(L::NAME, procs),
            |b| {
                let locks: Vec<CachePadded<L>> =
                    (0..procs).map(|_| CachePadded::new(L::new())).collect();
                b.iter_custom(|iters| {
                    run_parallel(procs, iters, |t, n| {
                        let l = &locks[t];
                        for _ in 0..n {
                            l.read(|| ());
                        }
                    })
                });
            },
        );
    }
}

/// Not one of Go's: the shape of golang/go#17973's benchmark. One shared
/// lock, readers only: each iteration read-locks and read-unlocks it.
/// Readers never wait for each other, so whatever a second thread adds is
/// the cost of sharing the reader count's cache line.
fn readers_only<L: Lock>(c: &mut Criterion) {
    for procs in bench_threads() {
        c.benchmark_group("ReadersOnly")
            .bench_function(BenchmarkId::new(L::NAME, procs), |b| {
                let rwm = L::new();
                b.iter_custom(|iters| {
                    run_parallel(procs, iters, |_, n| {
                        for _ in 0..n {
                            rwm.read(|| ());
                        }
                    })
                });
            });
    }
}

fn all<L: Lock>(c: &mut Criterion) {
    rwmutex_uncontended::<L>(c);
    rlock_uncontended::<L>(c);
    readers_only::<L>(c);
    for (group, local_work, write_ratio) in [
        ("RWMutexWrite100", 0, 100),
        ("RWMutexWrite10", 0, 10),
        ("RWMutexWorkWrite100", 100, 100),
        ("RWMutexWorkWrite10", 100, 10),
    ] {
        benchmark_rwmutex::<L>(c, group, local_work, write_ratio);
    }
}

/// Chapter 1's mutex, as the reference for `ReadersOnly`: what a reader
/// pays when readers simply take turns (golang/go#38813 compared the two).
impl Lock for ch01_mutex::Mutex<()> {
    const NAME: &'static str = "ch01 Mutex";
    fn new() -> Self {
        ch01_mutex::Mutex::new(())
    }
    fn read<R>(&self, f: impl FnOnce() -> R) -> R {
        let _g = self.lock();
        f()
    }
    fn write(&self) {
        drop(self.lock());
    }
}

fn benches(c: &mut Criterion) {
    readers_only::<ch01_mutex::Mutex<()>>(c);
    all::<ch02_rwmutex::RwMutex<()>>(c);
    all::<ch02_rwmutex::ShardedRwMutex<()>>(c);
    all::<std::sync::RwLock<()>>(c);
    all::<parking_lot::RwLock<()>>(c);
    all::<crossbeam_utils::sync::ShardedLock<()>>(c);
}

criterion_group!(rwmutex, benches);
criterion_main!(rwmutex);
