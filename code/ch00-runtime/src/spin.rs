//! Active spinning, as Go's `sync` uses it
//! ([`runtime/proc.go`](https://github.com/golang/go/blob/go1.23.5/src/runtime/proc.go#L7150)).
//!
//! A lock that is held briefly is often free again within a few hundred
//! cycles, sooner than a thread can be put to sleep and woken. So before
//! sleeping, a locker may spin a little, but only a little: at most
//! [`ACTIVE_SPIN`] rounds of [`ACTIVE_SPIN_CNT`] pause instructions.
//!
//! Go also refuses to spin when every other P is idle (nobody could be
//! about to unlock) or when the spinning goroutine's own run queue has work
//! (spinning would delay it). A Rust library sees no Ps and no run queues:
//! the operating system schedules our threads. What remains is the part that
//! does not need the scheduler: spin only on a machine with more than one
//! CPU, and only a few rounds.

use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

// ANCHOR: spin
/// Rounds of spinning before a locker goes to sleep (Go's `active_spin`).
pub const ACTIVE_SPIN: u32 = 4;

/// Pause instructions per round (Go's `active_spin_cnt`).
pub const ACTIVE_SPIN_CNT: u32 = 30;

/// Whether a locker on its `iter`-th round (from 0) may spin again
/// (Go's `sync_runtime_canSpin`, without the scheduler's conditions).
pub fn can_spin(iter: u32) -> bool {
    iter < ACTIVE_SPIN && ncpu() > 1
}

/// One round of spinning (Go's `sync_runtime_doSpin`): 30 pause hints on
/// real hardware; a single yield under loom, whose scheduler needs one to
/// move on and gains nothing from thirty.
pub fn do_spin() {
    #[cfg(loom)]
    crate::sync::spin_loop();
    #[cfg(not(loom))]
    for _ in 0..ACTIVE_SPIN_CNT {
        std::hint::spin_loop();
    }
}
// ANCHOR_END: spin

/// The number of CPUs, read once (Go's `ncpu`). Loom models pretend to have
/// two, so that the spinning paths are explored.
pub fn ncpu() -> usize {
    if cfg!(loom) {
        return 2;
    }
    // Relaxed: a cache of a value that never changes; a race only means it
    // is computed twice.
    static NCPU: AtomicUsize = AtomicUsize::new(0);
    match NCPU.load(Relaxed) {
        0 => {
            let n = std::thread::available_parallelism().map_or(1, |n| n.get());
            NCPU.store(n, Relaxed);
            n
        }
        n => n,
    }
}
