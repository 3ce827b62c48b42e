//! Benchmarks after Go's `BenchmarkMutex*` (`sync/mutex_test.go`, go1.23.5),
//! with Go's shapes and parameters. Each group runs our `Mutex`,
//! `std::sync::Mutex` and `parking_lot::Mutex`; a parallel group's time per
//! iteration is wall time over all threads' iterations, as Go's ns/op.
//!
//! `cargo bench -p ch01-mutex`, or one group: `cargo bench -p ch01-mutex -- MutexWork`

use std::hint::black_box;
use std::thread;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossbeam_utils::CachePadded;
use testkit::{bench_threads, run_parallel};

/// Go's accumulators `acc0`, `acc1`; the benchmarks with an empty critical
/// section leave them alone.
type Acc = (u64, u64);

/// The three locks under test.
trait Lock: Sync {
    const NAME: &'static str;
    fn new(value: Acc) -> Self;
    fn with<R>(&self, f: impl FnOnce(&mut Acc) -> R) -> R;
}

impl Lock for ch01_mutex::Mutex<Acc> {
    const NAME: &'static str = "ch01 Mutex";
    fn new(value: Acc) -> Self {
        ch01_mutex::Mutex::new(value)
    }
    fn with<R>(&self, f: impl FnOnce(&mut Acc) -> R) -> R {
        f(&mut self.lock())
    }
}

impl Lock for std::sync::Mutex<Acc> {
    const NAME: &'static str = "std Mutex";
    fn new(value: Acc) -> Self {
        std::sync::Mutex::new(value)
    }
    fn with<R>(&self, f: impl FnOnce(&mut Acc) -> R) -> R {
        f(&mut self.lock().unwrap())
    }
}

impl Lock for parking_lot::Mutex<Acc> {
    const NAME: &'static str = "parking_lot Mutex";
    fn new(value: Acc) -> Self {
        parking_lot::Mutex::new(value)
    }
    fn with<R>(&self, f: impl FnOnce(&mut Acc) -> R) -> R {
        f(&mut self.lock())
    }
}

/// `BenchmarkMutexUncontended`: every thread locks its own padded mutex.
fn mutex_uncontended<L: Lock>(c: &mut Criterion) {
    for procs in bench_threads() {
        c.benchmark_group("MutexUncontended").bench_function(
            BenchmarkId::new(L::NAME, procs),
            |b| {
                let locks: Vec<CachePadded<L>> = (0..procs)
                    .map(|_| CachePadded::new(L::new((0, 0))))
                    .collect();
                b.iter_custom(|iters| {
                    run_parallel(procs, iters, |t, n| {
                        for _ in 0..n {
                            locks[t].with(|_| ());
                        }
                    })
                });
            },
        );
    }
}

/// Go's `benchmarkMutex(slack, work)`: one shared mutex; `work` adds 100
/// rounds of local arithmetic after each unlock; `slack` runs ten threads
/// per CPU (Go: `SetParallelism(10)`).
fn benchmark_mutex<L: Lock>(c: &mut Criterion, group: &str, slack: bool, work: bool) {
    for procs in bench_threads() {
        c.benchmark_group(group)
            .bench_function(BenchmarkId::new(L::NAME, procs), |b| {
                let m = L::new((0, 0));
                let threads = procs * if slack { 10 } else { 1 };
                b.iter_custom(|iters| {
                    run_parallel(threads, iters, |_, n| {
                        let mut local = 0u64; // Go: foo
                        for _ in 0..n {
                            m.with(|_| ());
                            if work {
                                for _ in 0..100 {
                                    local = black_box(local * 2) / 2;
                                }
                            }
                        }
                        black_box(local);
                    })
                });
            });
    }
}

/// `BenchmarkMutexNoSpin`: spinning does not pay. Four threads per CPU;
/// one iteration in four takes the lock, the others touch 32 KiB of local
/// data and yield the CPU.
fn mutex_no_spin<L: Lock>(c: &mut Criterion) {
    for procs in bench_threads() {
        c.benchmark_group("MutexNoSpin")
            .bench_function(BenchmarkId::new(L::NAME, procs), |b| {
                let m = L::new((0, 0));
                b.iter_custom(|iters| {
                    run_parallel(procs * 4, iters, |_, n| {
                        let mut data = vec![0u64; 4 << 10];
                        for i in 0..n {
                            if i % 4 == 0 {
                                m.with(|(acc0, acc1)| {
                                    *acc0 = acc0.wrapping_sub(100);
                                    *acc1 += 100;
                                });
                            } else {
                                for d in data.iter_mut().step_by(4) {
                                    *d += 1;
                                }
                                // Go bounces through a channel to reschedule without
                                // the global run queue; a thread simply yields.
                                thread::yield_now();
                            }
                        }
                        black_box(&data);
                    })
                });
            });
    }
}

/// `BenchmarkMutexSpin`: spinning pays. One thread per CPU; a short critical
/// section, then a pass over 128 KiB of local data.
fn mutex_spin<L: Lock>(c: &mut Criterion) {
    for procs in bench_threads() {
        c.benchmark_group("MutexSpin")
            .bench_function(BenchmarkId::new(L::NAME, procs), |b| {
                let m = L::new((0, 0));
                b.iter_custom(|iters| {
                    run_parallel(procs, iters, |_, n| {
                        let mut data = vec![0u64; 16 << 10];
                        for _ in 0..n {
                            m.with(|(acc0, acc1)| {
                                *acc0 = acc0.wrapping_sub(100);
                                *acc1 += 100;
                            });
                            for d in data.iter_mut().step_by(4) {
                                *d += 1;
                            }
                        }
                        black_box(&data);
                    })
                });
            });
    }
}

fn all<L: Lock>(c: &mut Criterion) {
    mutex_uncontended::<L>(c);
    for (group, slack, work) in [
        ("Mutex", false, false),
        ("MutexSlack", true, false),
        ("MutexWork", false, true),
        ("MutexWorkSlack", true, true),
    ] {
        benchmark_mutex::<L>(c, group, slack, work);
    }
    mutex_no_spin::<L>(c);
    mutex_spin::<L>(c);
}

fn benches(c: &mut Criterion) {
    all::<ch01_mutex::Mutex<Acc>>(c);
    all::<std::sync::Mutex<Acc>>(c);
    all::<parking_lot::Mutex<Acc>>(c);
}

criterion_group!(mutex, benches);
criterion_main!(mutex);
