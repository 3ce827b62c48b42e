//! Monotonic time in nanoseconds (Go's `runtime_nanotime`), which the mutex
//! uses to see how long a waiter has waited.
//!
//! Loom has no clock, so under `--cfg loom` time stands still unless a model
//! moves it with `advance`: that is how the models reach the mutex's
//! "waited longer than 1 ms" rule.

/// Nanoseconds since an arbitrary fixed point early in the process; only
/// differences mean anything, as with Go's `nanotime`.
#[cfg(not(loom))]
pub fn nanotime() -> i64 {
    use std::sync::OnceLock;
    use std::time::Instant;
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX)
}

#[cfg(loom)]
loom::lazy_static! {
    // A plain std atomic: the clock is the model's control, not shared state
    // under test, so loom need not explore its interleavings. Made afresh
    // for every run of the model.
    static ref NOW: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);
}

/// The model's clock: starts at 0 in every run and moves only by [`advance`].
#[cfg(loom)]
pub fn nanotime() -> i64 {
    NOW.load(std::sync::atomic::Ordering::SeqCst)
}

/// Moves the model's clock forward by `ns` (loom builds only).
#[cfg(loom)]
pub fn advance(ns: i64) {
    NOW.fetch_add(ns, std::sync::atomic::Ordering::SeqCst);
}

#[cfg(all(test, not(loom)))]
mod tests {
    #[test]
    fn nanotime_moves_forward() {
        let a = super::nanotime();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = super::nanotime();
        assert!(b - a >= 2_000_000, "{a} then {b}");
    }
}
