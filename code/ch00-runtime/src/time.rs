//! Monotonic time in nanoseconds (Go's `runtime_nanotime`), which the mutex
//! uses to see how long a waiter has waited.

use std::sync::OnceLock;
use std::time::Instant;

/// Nanoseconds since an arbitrary fixed point early in the process; only
/// differences mean anything, as with Go's `nanotime`.
pub fn nanotime() -> i64 {
    static START: OnceLock<Instant> = OnceLock::new();
    let start = *START.get_or_init(Instant::now);
    i64::try_from(start.elapsed().as_nanos()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    #[test]
    fn nanotime_moves_forward() {
        let a = super::nanotime();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = super::nanotime();
        assert!(b - a >= 2_000_000, "{a} then {b}");
    }
}
