//! An asymmetric fence: a `light()` side that costs a compiler fence and a
//! `heavy()` side that makes every thread of the process run a full memory
//! barrier (Linux `membarrier`, `MEMBARRIER_CMD_PRIVATE_EXPEDITED`).
//!
//! A `light()` on one thread and a `heavy()` on another order memory as a
//! `SeqCst` fence on each would: the kernel interrupts every CPU that runs
//! one of our threads and has it execute a barrier, so whatever a thread
//! wrote before its `light()` is visible to the `heavy()` caller afterwards,
//! and whatever it reads after its `light()` sees what the `heavy()` caller
//! wrote before. It is the same trade as folly's `asymmetricLightBarrier` /
//! `asymmetricHeavyBarrier` and the `membarrier` crate: the frequent side
//! (a pool's owner, on every `get` and `put`) pays nothing at run time, the
//! rare side (`gc()`) pays a system call of a few microseconds.
//!
//! Where `membarrier` is missing (another OS, an old kernel, a seccomp
//! filter that refuses it), and under loom and Miri, which know nothing of
//! it, both sides are `SeqCst` fences: correct everywhere, and what loom
//! checks. Which one a process uses is decided once, by `init`, before
//! any pool exists.

#[cfg(not(any(loom, miri)))]
use std::sync::atomic::{AtomicU8, Ordering::Relaxed};

use crate::sync::atomic::{Ordering::SeqCst, fence};

/// 0: not decided yet; 1: `membarrier` works; 2: fences on both sides.
#[cfg(not(any(loom, miri)))]
static MODE: AtomicU8 = AtomicU8::new(0);

#[cfg(all(target_os = "linux", not(any(loom, miri))))]
fn membarrier(cmd: libc::c_int) -> bool {
    // SAFETY: the membarrier system call takes two integers and touches
    // no memory of ours.
    unsafe { libc::syscall(libc::SYS_membarrier, cmd, 0 as libc::c_int) == 0 }
}

#[cfg(all(target_os = "linux", not(any(loom, miri))))]
const MEMBARRIER_CMD_PRIVATE_EXPEDITED: libc::c_int = 1 << 3;
#[cfg(all(target_os = "linux", not(any(loom, miri))))]
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED: libc::c_int = 1 << 4;

/// Decides, once per process, whether the heavy side can use `membarrier`.
/// Called when a pool is made, so that every thread that later uses the
/// pool (and reads the decision in `light`) does so after it.
pub(crate) fn init() {
    #[cfg(not(any(loom, miri)))]
    if MODE.load(Relaxed) == 0 {
        #[cfg(target_os = "linux")]
        let works = membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED)
            && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
        #[cfg(not(target_os = "linux"))]
        let works = false;
        // Relaxed: two threads may both decide; they decide the same. The
        // pool that a thread uses was made after the decision, and that
        // orders it before every read in `light` (the pool's `Arc`).
        MODE.store(if works { 1 } else { 2 }, Relaxed);
    }
}

/// True if this process uses `membarrier` for the heavy side.
pub fn expedited() -> bool {
    #[cfg(not(any(loom, miri)))]
    {
        init();
        MODE.load(Relaxed) == 1
    }
    #[cfg(any(loom, miri))]
    false
}

// ANCHOR: barrier
/// The frequent side: a compiler fence when `membarrier` works, else a
/// `SeqCst` fence.
#[inline]
pub(crate) fn light() {
    #[cfg(not(any(loom, miri)))]
    if MODE.load(Relaxed) == 1 {
        std::sync::atomic::compiler_fence(SeqCst);
        return;
    }
    fence(SeqCst);
}

/// The rare side: every thread of the process runs a full barrier (or,
/// without `membarrier`, a `SeqCst` fence here that pairs with theirs).
pub(crate) fn heavy() {
    #[cfg(all(target_os = "linux", not(any(loom, miri))))]
    if MODE.load(Relaxed) == 1 {
        // A system-wide barrier before and after, as the kernel's own:
        // our accesses before the call are not moved after it, nor ours
        // after it before.
        fence(SeqCst);
        let done = membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
        // Registration succeeded in `init`, so this cannot fail; if it
        // ever did, the light side would be unprotected: stop rather
        // than go on unordered.
        assert!(
            done,
            "membarrier(PRIVATE_EXPEDITED) failed after registering"
        );
        fence(SeqCst);
        return;
    }
    fence(SeqCst);
}
// ANCHOR_END: barrier
