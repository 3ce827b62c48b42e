//! Benchmarks after Go's semaphore benchmarks: `BenchmarkUncontendedSemaphore`
//! and `BenchmarkContendedSemaphore` (`sync/mutex_test.go`) and the
//! `BenchmarkSema*` set (`sync/runtime_sema_test.go`), at Go's parameters.
//! Each group runs our semaphore and, as the std peer, a counting semaphore
//! made of `std::sync::Mutex` and `Condvar`.
//!
//! `cargo bench -p ch00-runtime`

use std::hint::black_box;
use std::sync::atomic::AtomicU32;
use std::sync::{Condvar, Mutex};
use std::thread;

use ch00_runtime::{semacquire, semrelease};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use crossbeam_utils::CachePadded;
use testkit::{bench_threads, run_parallel};

/// The two semaphores under test, behind one interface.
trait Sema: Sync + Default {
    const NAME: &'static str;
    fn acquire(&self);
    fn release(&self);
    fn with_count(n: u32) -> Self {
        let s = Self::default();
        for _ in 0..n {
            s.release();
        }
        s
    }
}

#[derive(Default)]
struct Runtime(AtomicU32);

impl Sema for Runtime {
    const NAME: &'static str = "ch00 semaphore";
    fn acquire(&self) {
        semacquire(&self.0);
    }
    fn release(&self) {
        semrelease(&self.0, false);
    }
}

/// The textbook counting semaphore: a count under a mutex, and a condition
/// variable to sleep on while it is zero.
#[derive(Default)]
struct StdCondvar {
    count: Mutex<u32>,
    nonzero: Condvar,
}

impl Sema for StdCondvar {
    const NAME: &'static str = "std Mutex+Condvar";
    fn acquire(&self) {
        let mut n = self
            .nonzero
            .wait_while(self.count.lock().unwrap(), |n| *n == 0)
            .unwrap();
        *n -= 1;
    }
    fn release(&self) {
        *self.count.lock().unwrap() += 1;
        self.nonzero.notify_one();
    }
}

/// Go's `HammerSemaphore`.
fn hammer<S: Sema>(s: &S, loops: u64) {
    for _ in 0..loops {
        s.acquire();
        s.release();
    }
}

fn uncontended_semaphore<S: Sema>(c: &mut Criterion, group: &str) {
    c.benchmark_group(group).bench_function(S::NAME, |b| {
        let s = S::with_count(1);
        b.iter(|| hammer(&s, 1));
    });
}

fn contended_semaphore<S: Sema>(c: &mut Criterion, group: &str) {
    c.benchmark_group(group).bench_function(S::NAME, |b| {
        let s = S::with_count(1);
        // Go: two goroutines, b.N/2 each, GOMAXPROCS(2).
        b.iter_custom(|iters| run_parallel(2, iters, |_, n| hammer(&s, n)));
    });
}

/// `BenchmarkSemaUncontended`: each thread releases then acquires its own
/// padded semaphore.
fn sema_uncontended<S: Sema>(c: &mut Criterion, group: &str) {
    for procs in bench_threads() {
        c.benchmark_group(group)
            .bench_function(BenchmarkId::new(S::NAME, procs), |b| {
                let sems: Vec<CachePadded<S>> =
                    (0..procs).map(|_| CachePadded::default()).collect();
                b.iter_custom(|iters| {
                    run_parallel(procs, iters, |t, n| {
                        for _ in 0..n {
                            sems[t].release();
                            sems[t].acquire();
                        }
                    })
                });
            });
    }
}

/// Go's `benchmarkSema(block, work)`: every thread releases, optionally does
/// some local work, then acquires one shared semaphore; with `block`, a
/// helper thread also takes GOMAXPROCS/2 counts, so some acquirers sleep.
fn sema_synt<S: Sema>(c: &mut Criterion, group: &str, block: bool, work: bool) {
    for procs in bench_threads() {
        c.benchmark_group(group)
            .bench_function(BenchmarkId::new(S::NAME, procs), |b| {
                b.iter_custom(|iters| {
                    let s = S::default();
                    thread::scope(|scope| {
                        if block {
                            scope.spawn(|| {
                                for _ in 0..procs / 2 {
                                    s.acquire();
                                }
                            });
                        }
                        run_parallel(procs, iters, |_, n| {
                            let mut local = 1u64; // Go: foo
                            for _ in 0..n {
                                s.release();
                                if work {
                                    for _ in 0..100 {
                                        local = black_box(local * 2) / 2;
                                    }
                                }
                                s.acquire();
                            }
                            black_box(local);
                            // One extra count each, to feed the blocker (as in Go).
                            s.release();
                        })
                    })
                });
            });
    }
}

fn both(c: &mut Criterion, group: &str, f: fn(&mut Criterion, &str), g: fn(&mut Criterion, &str)) {
    f(c, group);
    g(c, group);
}

fn benches(c: &mut Criterion) {
    both(
        c,
        "UncontendedSemaphore",
        uncontended_semaphore::<Runtime>,
        uncontended_semaphore::<StdCondvar>,
    );
    both(
        c,
        "ContendedSemaphore",
        contended_semaphore::<Runtime>,
        contended_semaphore::<StdCondvar>,
    );
    both(
        c,
        "SemaUncontended",
        sema_uncontended::<Runtime>,
        sema_uncontended::<StdCondvar>,
    );
    for (group, block, work) in [
        ("SemaSyntNonblock", false, false),
        ("SemaSyntBlock", true, false),
        ("SemaWorkNonblock", false, true),
        ("SemaWorkBlock", true, true),
    ] {
        sema_synt::<Runtime>(c, group, block, work);
        sema_synt::<StdCondvar>(c, group, block, work);
    }
}

criterion_group!(sema, benches);
criterion_main!(sema);
