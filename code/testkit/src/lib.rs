//! Test support shared by every chapter.
//!
//! * [`watchdog`] runs a test body on its own thread and fails the test with
//!   `possible deadlock: no progress after N s` instead of letting a lost
//!   wakeup hang the whole suite (and CI) forever.
//! * [`scale`] picks a test size: small under Miri (which runs code about a
//!   thousand times slower), the normal size by default, and a long size when
//!   `GOSYNC_LONG=1` is set, which is how Go's `-short` flag maps onto ours.

use std::any::Any;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// How long a test may go without progress before the watchdog fails it.
///
/// 60 s by default and 600 s under Miri; `GOSYNC_WATCHDOG_SECS` overrides both.
pub fn default_limit() -> Duration {
    if let Some(secs) = std::env::var("GOSYNC_WATCHDOG_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        return Duration::from_secs(secs);
    }
    Duration::from_secs(if cfg!(miri) { 600 } else { 60 })
}

/// A handle a test body may tick to show it is still moving.
///
/// A long stress test ticks after each round, so the watchdog measures the
/// time since the last tick rather than since the start.
#[derive(Clone, Debug, Default)]
pub struct Progress(Arc<AtomicU64>);

impl Progress {
    /// Records that the test made progress.
    pub fn tick(&self) {
        // Relaxed: the watchdog only compares counts; no data rides on it.
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn count(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// Runs `body` under the default watchdog limit (see [`default_limit`]).
///
/// ```
/// let sum = testkit::watchdog(|| 2 + 2);
/// assert_eq!(sum, 4);
/// ```
pub fn watchdog<R, F>(body: F) -> R
where
    F: FnOnce() -> R + Send + 'static,
    R: Send + 'static,
{
    watchdog_with(default_limit(), move |_| body())
}

/// Runs `body` on a fresh thread and waits for it.
///
/// If `body` neither finishes nor calls [`Progress::tick`] for `limit`, the
/// calling test panics with `possible deadlock: no progress after N s`. The
/// stuck thread is left behind; the test harness exits past it. A panic in
/// `body` is passed on unchanged, so `#[should_panic(expected = …)]` works.
pub fn watchdog_with<R, F>(limit: Duration, body: F) -> R
where
    F: FnOnce(&Progress) -> R + Send + 'static,
    R: Send + 'static,
{
    let progress = Progress::default();
    let (done_tx, done_rx) = mpsc::channel::<thread::Result<R>>();
    let body_progress = progress.clone();
    let name = thread::current().name().unwrap_or("test").to_owned();
    thread::Builder::new()
        .name(format!("{name} (watched)"))
        .spawn(move || {
            let result =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| body(&body_progress)));
            // The receiver is gone only if the watchdog already gave up.
            let _ = done_tx.send(result);
        })
        .expect("watchdog: cannot spawn the test thread");

    let mut last_count = progress.count();
    let mut last_seen = Instant::now();
    loop {
        match done_rx.recv_timeout(Duration::from_millis(50).min(limit)) {
            Ok(Ok(value)) => return value,
            Ok(Err(panic)) => std::panic::resume_unwind(panic),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                unreachable!("the watched thread always sends before it ends")
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let count = progress.count();
                if count != last_count {
                    last_count = count;
                    last_seen = Instant::now();
                } else if last_seen.elapsed() >= limit {
                    panic!(
                        "possible deadlock: no progress after {} s",
                        limit.as_secs_f64()
                    );
                }
            }
        }
    }
}

/// Picks a test size: `miri` under Miri, `long` when `GOSYNC_LONG=1`, else `normal`.
///
/// ```
/// let n = testkit::scale(1_000, 2_000_000, 10);
/// assert!(n == 1_000 || n == 2_000_000 || n == 10);
/// ```
pub fn scale(normal: usize, long: usize, miri: usize) -> usize {
    if cfg!(miri) {
        miri
    } else if long_mode() {
        long
    } else {
        normal
    }
}

/// True when `GOSYNC_LONG=1`: the sizes of Go's tests without `-short`.
pub fn long_mode() -> bool {
    std::env::var("GOSYNC_LONG").is_ok_and(|v| v == "1")
}

/// Turns a panic payload into its message, for tests that check a panic text
/// without `#[should_panic]` (for example from another thread).
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

/// Go's `b.RunParallel` for criterion's `iter_custom`: runs `body` on
/// `threads` threads, splitting `iters` iterations among them, and returns
/// the wall time from when all have started to when the last finishes.
/// `body(thread_index, iterations)` runs one thread's share.
///
/// Divided by `iters`, the result is what Go reports as ns/op for a parallel
/// benchmark: wall time over total operations.
pub fn run_parallel<F>(threads: usize, iters: u64, body: F) -> Duration
where
    F: Fn(usize, u64) + Sync,
{
    let threads = threads.max(1);
    let start_line = std::sync::Barrier::new(threads + 1);
    thread::scope(|s| {
        for t in 0..threads {
            let share = iters / threads as u64 + u64::from((t as u64) < iters % threads as u64);
            let (body, start_line) = (&body, &start_line);
            s.spawn(move || {
                start_line.wait();
                body(t, share);
            });
        }
        start_line.wait();
        let start = Instant::now();
        // Leaving the scope joins every thread.
        start
    })
    .elapsed()
}

/// The thread counts a parallel benchmark runs at, Go's `-cpu` list:
/// `GOSYNC_BENCH_THREADS` as a comma-separated list (`1,2,4,8`), `1,2` by
/// default. Benchmarks name each run with its count, as Go's `-cpu` adds
/// `-N` to a benchmark's name.
pub fn bench_threads() -> Vec<usize> {
    let list = std::env::var("GOSYNC_BENCH_THREADS").unwrap_or_else(|_| "1,2".into());
    let counts: Vec<usize> = list
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|&n| n > 0)
        .collect();
    assert!(
        !counts.is_empty(),
        "GOSYNC_BENCH_THREADS={list:?}: expected a list of thread counts such as 1,2,4"
    );
    counts
}

/// The number of threads Go's `RunParallel` would use: GOMAXPROCS, here the
/// CPUs available (at least 1).
pub fn gomaxprocs() -> usize {
    thread::available_parallelism().map_or(1, |n| n.get())
}

/// Runs a loom model and checks that it explored: `loom::model(f)`,
/// counting the executions, then failing if there were fewer than
/// `min_executions`. A model that finishes in one execution has checked one
/// interleaving, which proves nothing about the others; the floor is how a
/// model's comment ("every order of ...") is held to what it claims.
///
/// Prints `loom: NAME explored N executions` so that the counts show in
/// the test log.
#[cfg(loom)]
pub fn loom_model<F>(name: &str, min_executions: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    run_loom_model(name, min_executions, None, f);
}

/// Like [`loom_model`], with its own bound on preemptions instead of
/// `LOOM_MAX_PREEMPTIONS` (which `cargo xtask test` sets to 2). For a model
/// whose race needs one more preemption than the global bound allows: name
/// the interleaving in its comment, and keep the model small, since each
/// extra preemption multiplies the executions.
#[cfg(loom)]
pub fn loom_model_with_preemptions<F>(name: &str, min_executions: usize, preemptions: usize, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    run_loom_model(name, min_executions, Some(preemptions), f);
}

#[cfg(loom)]
fn run_loom_model<F>(name: &str, min_executions: usize, preemptions: Option<usize>, f: F)
where
    F: Fn() + Sync + Send + 'static,
{
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let counter = Arc::clone(&count);
    let mut builder = loom::model::Builder::new();
    if preemptions.is_some() {
        builder.preemption_bound = preemptions;
    }
    builder.check(move || {
        // Relaxed: a plain std counter outside the model, read after it.
        counter.fetch_add(1, Ordering::Relaxed);
        f();
    });
    let n = count.load(Ordering::Relaxed);
    println!("loom: {name} explored {n} executions");
    assert!(
        n >= min_executions,
        "loom model {name} explored only {n} executions (at least {min_executions} expected): \
         the code under test takes fewer steps than it should (a missing atomic operation, \
         or a retry that never happens), or the model no longer explores the races its \
         comment describes"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_the_value() {
        assert_eq!(watchdog(|| 7), 7);
    }

    #[test]
    #[should_panic(expected = "inner failure")]
    fn passes_a_panic_on() {
        watchdog(|| panic!("inner failure"));
    }

    #[test]
    #[should_panic(expected = "possible deadlock: no progress after 0.2 s")]
    fn catches_a_hang() {
        watchdog_with(Duration::from_millis(200), |_| {
            // A lost wakeup in miniature: nobody will ever unpark us.
            loop {
                thread::park();
            }
        });
    }

    #[test]
    fn ticks_extend_the_deadline() {
        // 600 ms in all, longer than the limit, but never 400 ms without a tick.
        let rounds = watchdog_with(Duration::from_millis(400), |p| {
            for _ in 0..4 {
                thread::sleep(Duration::from_millis(150));
                p.tick();
            }
            4
        });
        assert_eq!(rounds, 4);
    }

    #[test]
    fn run_parallel_runs_every_iteration_once() {
        let done = AtomicU64::new(0);
        let _ = run_parallel(3, 10, |_, n| {
            done.fetch_add(n, Ordering::Relaxed);
        });
        assert_eq!(done.load(Ordering::Relaxed), 10);
    }

    #[test]
    fn panic_message_reads_both_kinds() {
        let a = std::panic::catch_unwind(|| panic!("static")).unwrap_err();
        let b = std::panic::catch_unwind(|| panic!("{}", 42)).unwrap_err();
        assert_eq!(panic_message(&*a), "static");
        assert_eq!(panic_message(&*b), "42");
    }
}
