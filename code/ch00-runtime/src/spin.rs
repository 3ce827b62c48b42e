//! Active spinning, as Go's `sync` uses it
//! ([`sync_runtime_canSpin`](https://github.com/golang/go/blob/go1.23.5/src/runtime/proc.go#L7150) in `runtime/proc.go`).
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
    iter < ACTIVE_SPIN && ncpu() > 1 && model_spins()
}

#[cfg(loom)]
loom::lazy_static! {
    // A plain std flag: the model's own setting, made afresh for every
    // execution, not shared state under test.
    static ref SPINNING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(true);
}

/// Under loom, whether lockers spin at all (see [`set_spinning`]).
#[inline]
fn model_spins() -> bool {
    #[cfg(loom)]
    return SPINNING.load(std::sync::atomic::Ordering::SeqCst);
    #[cfg(not(loom))]
    true
}

/// Turns spinning off for the rest of a loom model. Loom runs a thread
/// that yields only once the others have moved on, so a spinner always
/// sees the unlock it waits for and never goes to sleep: a model of the
/// sleeping path has to switch spinning off (loom builds only).
#[cfg(loom)]
pub fn set_spinning(on: bool) {
    SPINNING.store(on, std::sync::atomic::Ordering::SeqCst);
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
