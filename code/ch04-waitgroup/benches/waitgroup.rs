//! Benchmarks after Go's `BenchmarkWaitGroup*` (`sync/waitgroup_test.go`,
//! go1.23.5), with Go's shapes: the same operations in the same order per
//! iteration. Each group runs our `WaitGroup` and the peers the shape
//! allows: `crossbeam_utils::sync::WaitGroup` (0.8), a counter under a
//! `std::sync::Mutex` with a `Condvar`, and, where a thread is started and
//! waited for, a `std::thread::scope` join. A parallel group's time per
//! iteration is wall time over all threads' iterations, as Go's ns/op.
//!
//! `cargo bench -p ch04-waitgroup`, or one group: `cargo bench -p ch04-waitgroup -- WaitGroupWait`

use std::hint::black_box;
use std::sync::{Condvar, Mutex};
use std::thread;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossbeam_utils::CachePadded;
use testkit::{bench_threads, run_parallel};

const OURS: &str = "ch04 WaitGroup";
const CROSSBEAM: &str = "crossbeam WaitGroup";
const CONDVAR: &str = "Mutex+Condvar counter";
const SCOPE: &str = "thread::scope join";

/// A counter under a lock, with a condition variable for `wait`: the
/// textbook wait group.
#[derive(Default)]
struct CondvarGroup {
    count: Mutex<i64>,
    zero: Condvar,
}

impl CondvarGroup {
    fn add(&self, delta: i64) {
        let mut c = self.count.lock().unwrap();
        *c += delta;
        assert!(*c >= 0, "negative counter");
        if *c == 0 {
            self.zero.notify_all();
        }
    }
    fn done(&self) {
        self.add(-1);
    }
    fn wait(&self) {
        let mut c = self.count.lock().unwrap();
        while *c != 0 {
            c = self.zero.wait(c).unwrap();
        }
    }
}

/// Go's `localWork` loop (Go: `foo *= 2; foo /= 2`).
#[inline]
fn local_work(local: &mut u64, rounds: usize) {
    for _ in 0..rounds {
        *local = black_box(*local * 2) / 2;
    }
}

/// `BenchmarkWaitGroupUncontended`: each thread its own padded group;
/// per iteration `Add(1)`, `Done()`, `Wait()`.
fn uncontended(c: &mut Criterion) {
    let mut g = c.benchmark_group("WaitGroupUncontended");
    for procs in bench_threads() {
        g.bench_function(BenchmarkId::new(OURS, procs), |b| {
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    let wg = CachePadded::new(ch04_waitgroup::WaitGroup::new());
                    for _ in 0..n {
                        wg.add(1);
                        wg.done();
                        wg.wait();
                    }
                })
            })
        });
        // crossbeam's group is an `Arc`: `clone` adds one, `drop` is a
        // done, and `wait` consumes the handle, so each round needs a new
        // group (an allocation): that is its shape for Add, Done, Wait.
        g.bench_function(BenchmarkId::new(CROSSBEAM, procs), |b| {
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    for _ in 0..n {
                        let wg = crossbeam_utils::sync::WaitGroup::new();
                        let task = wg.clone();
                        drop(task);
                        wg.wait();
                    }
                })
            })
        });
        g.bench_function(BenchmarkId::new(CONDVAR, procs), |b| {
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    let wg = CachePadded::new(CondvarGroup::default());
                    for _ in 0..n {
                        wg.add(1);
                        wg.done();
                        wg.wait();
                    }
                })
            })
        });
    }
    g.finish();
}

/// Go's `benchmarkWaitGroupAddDone(localWork)`: one shared group; per
/// iteration `Add(1)`, the local work, `Done()`.
fn add_done(c: &mut Criterion, group: &str, work: usize) {
    let mut g = c.benchmark_group(group);
    for procs in bench_threads() {
        g.bench_function(BenchmarkId::new(OURS, procs), |b| {
            let wg = ch04_waitgroup::WaitGroup::new();
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    let mut local = 0u64;
                    for _ in 0..n {
                        wg.add(1);
                        local_work(&mut local, work);
                        wg.done();
                    }
                    black_box(local);
                })
            })
        });
        g.bench_function(BenchmarkId::new(CROSSBEAM, procs), |b| {
            let wg = crossbeam_utils::sync::WaitGroup::new();
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    let mut local = 0u64;
                    for _ in 0..n {
                        let task = wg.clone();
                        local_work(&mut local, work);
                        drop(task);
                    }
                    black_box(local);
                })
            })
        });
        g.bench_function(BenchmarkId::new(CONDVAR, procs), |b| {
            let wg = CondvarGroup::default();
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    let mut local = 0u64;
                    for _ in 0..n {
                        wg.add(1);
                        local_work(&mut local, work);
                        wg.done();
                    }
                    black_box(local);
                })
            })
        });
    }
    g.finish();
}

/// Go's `benchmarkWaitGroupWait(localWork)`: one shared group at zero; per
/// iteration `Wait()` (which returns at once) and the local work.
/// crossbeam's `wait` consumes a handle and waits for every other one, so
/// it has no way to wait on a shared group at zero: it sits this out.
fn wait(c: &mut Criterion, group: &str, work: usize) {
    let mut g = c.benchmark_group(group);
    for procs in bench_threads() {
        g.bench_function(BenchmarkId::new(OURS, procs), |b| {
            let wg = ch04_waitgroup::WaitGroup::new();
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    let mut local = 0u64;
                    for _ in 0..n {
                        wg.wait();
                        local_work(&mut local, work);
                    }
                    black_box(local);
                })
            })
        });
        g.bench_function(BenchmarkId::new(CONDVAR, procs), |b| {
            let wg = CondvarGroup::default();
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    let mut local = 0u64;
                    for _ in 0..n {
                        wg.wait();
                        local_work(&mut local, work);
                    }
                    black_box(local);
                })
            })
        });
    }
    g.finish();
}

/// `BenchmarkWaitGroupActuallyWait`: per iteration a new group, `Add(1)`,
/// a new thread (Go: a goroutine) that calls `Done()`, then `Wait()`. A
/// thread is an OS thread here, which costs far more than a goroutine: the
/// `thread::scope join` row (spawn a thread, join it) is that floor.
fn actually_wait(c: &mut Criterion) {
    let mut g = c.benchmark_group("WaitGroupActuallyWait");
    for procs in bench_threads() {
        g.bench_function(BenchmarkId::new(OURS, procs), |b| {
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    for _ in 0..n {
                        let wg = ch04_waitgroup::WaitGroup::new();
                        wg.add(1);
                        thread::scope(|s| {
                            s.spawn(|| wg.done());
                            wg.wait();
                        });
                    }
                })
            })
        });
        g.bench_function(BenchmarkId::new(CROSSBEAM, procs), |b| {
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    for _ in 0..n {
                        let wg = crossbeam_utils::sync::WaitGroup::new();
                        let task = wg.clone();
                        thread::scope(|s| {
                            s.spawn(move || drop(task));
                            wg.wait();
                        });
                    }
                })
            })
        });
        g.bench_function(BenchmarkId::new(CONDVAR, procs), |b| {
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    for _ in 0..n {
                        let wg = CondvarGroup::default();
                        wg.add(1);
                        thread::scope(|s| {
                            s.spawn(|| wg.done());
                            wg.wait();
                        });
                    }
                })
            })
        });
        g.bench_function(BenchmarkId::new(SCOPE, procs), |b| {
            b.iter_custom(|iters| {
                run_parallel(procs, iters, |_, n| {
                    for _ in 0..n {
                        thread::scope(|s| {
                            s.spawn(|| ());
                        });
                    }
                })
            })
        });
    }
    g.finish();
}

fn benches(c: &mut Criterion) {
    uncontended(c);
    add_done(c, "WaitGroupAddDone", 0);
    add_done(c, "WaitGroupAddDoneWork", 100);
    wait(c, "WaitGroupWait", 0);
    wait(c, "WaitGroupWaitWork", 100);
    actually_wait(c);
}

criterion_group!(waitgroup, benches);
criterion_main!(waitgroup);
