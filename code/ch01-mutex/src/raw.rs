//! `RawMutex`: Go's `sync.Mutex` algorithm
//! ([`Mutex`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex.go#L36) in `sync/mutex.go`),
//! on one `i32` of state and one semaphore word.

use ch00_runtime::spin::{can_spin, do_spin};
use ch00_runtime::time::nanotime;
use ch00_runtime::{semacquire_mutex, semrelease};

use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicI32, AtomicU32};

// ANCHOR: state
/// Bit 0: the mutex is locked.
pub const MUTEX_LOCKED: i32 = 1;
/// Bit 1: a waiter is awake (spinning, or woken by `unlock`), so `unlock`
/// need not wake another.
pub const MUTEX_WOKEN: i32 = 1 << 1;
/// Bit 2: starvation mode, where `unlock` hands the lock to the oldest waiter.
pub const MUTEX_STARVING: i32 = 1 << 2;
/// The waiter count lives in the bits above the three flags.
pub const MUTEX_WAITER_SHIFT: u32 = 3;
/// A waiter that has waited longer than this switches the mutex to
/// starvation mode: 1 ms.
pub const STARVATION_THRESHOLD_NS: i64 = 1_000_000;
// ANCHOR_END: state

/// A mutual exclusion lock with Go's semantics and algorithm: no data, no
/// guard, `lock` and `unlock` as separate calls (like Go, it may be
/// unlocked by a thread other than the one that locked it).
///
/// Use [`Mutex<T>`](crate::Mutex) for data; this is what it is made of.
#[derive(Debug)]
pub struct RawMutex {
    state: AtomicI32,
    sema: AtomicU32,
    /// False reproduces Go 1.8's lock (before starvation mode, commit
    /// 0556e262, Go 1.9): a woken waiter that loses the race queues at
    /// the tail again, and no waiter ever switches the mode.
    starvation: bool,
}

impl Default for RawMutex {
    fn default() -> Self {
        Self::new()
    }
}

/// Go's `fatal`: print and end the process. Go's mutex treats a corrupted
/// state as unrecoverable, and so do we: the state word no longer describes
/// who holds the lock, so no caller can go on safely.
#[cold]
pub(crate) fn fatal(msg: &str) -> ! {
    eprintln!("fatal error: {msg}");
    std::process::abort()
}

impl RawMutex {
    /// An unlocked mutex, with starvation mode (Go 1.9 and later).
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self::with_starvation(true)
    }

    /// An unlocked mutex with Go 1.8's algorithm: no starvation mode, and
    /// a woken waiter that loses the race requeues at the tail. Kept for
    /// the fairness experiment in chapter 1.
    #[cfg(not(loom))]
    pub const fn without_starvation() -> Self {
        Self::with_starvation(false)
    }

    #[cfg(not(loom))]
    const fn with_starvation(starvation: bool) -> Self {
        Self {
            state: AtomicI32::new(0),
            sema: AtomicU32::new(0),
            starvation,
        }
    }

    /// An unlocked mutex, with starvation mode (Go 1.9 and later).
    #[cfg(loom)]
    pub fn new() -> Self {
        Self::with_starvation(true)
    }

    /// An unlocked mutex with Go 1.8's algorithm (see the non-loom build).
    #[cfg(loom)]
    pub fn without_starvation() -> Self {
        Self::with_starvation(false)
    }

    #[cfg(loom)]
    fn with_starvation(starvation: bool) -> Self {
        Self {
            state: AtomicI32::new(0),
            sema: AtomicU32::new(0),
            starvation,
        }
    }

    // ANCHOR: lock
    /// Locks the mutex, waiting as long as it takes.
    #[inline]
    pub fn lock(&self) {
        // Fast path: unlocked, nobody waiting. Acquire pairs with the Release
        // in `unlock`: the previous holder's writes are visible to us.
        if self
            .state
            .compare_exchange(0, MUTEX_LOCKED, Acquire, Relaxed)
            .is_ok()
        {
            return;
        }
        self.lock_slow();
    }

    /// Locks the mutex if it is free right now (and not promised to a
    /// starving waiter).
    #[inline]
    pub fn try_lock(&self) -> bool {
        // Relaxed: only a guess at the state; the CAS below re-checks it.
        let old = self.state.load(Relaxed);
        if old & (MUTEX_LOCKED | MUTEX_STARVING) != 0 {
            return false;
        }
        // Acquire on success, as in `lock`.
        self.state
            .compare_exchange(old, old | MUTEX_LOCKED, Acquire, Relaxed)
            .is_ok()
    }
    // ANCHOR_END: lock

    // ANCHOR: lock_slow
    #[cold]
    fn lock_slow(&self) {
        let mut wait_start_time: i64 = 0;
        // Go reads `waitStartTime != 0` as "has waited before"; our clock
        // may read 0 (it counts from its first use, and stands still under
        // loom), so that fact gets its own flag.
        let mut waited = false;
        let mut starving = false;
        let mut awoke = false;
        let mut iter = 0;
        // Relaxed, here and for every reload below: `old` is only the
        // expected value of the next CAS, which fails if it is stale; no
        // data is read on the strength of it.
        let mut old = self.state.load(Relaxed);
        loop {
            // Spin only in normal mode while the mutex is locked: in
            // starvation mode the lock goes to the oldest waiter anyway.
            if old & (MUTEX_LOCKED | MUTEX_STARVING) == MUTEX_LOCKED && can_spin(iter) {
                // Set the woken bit so that `unlock` does not wake another
                // waiter while we are awake and about to take the lock.
                // Relaxed: a flag about waking, not a claim on the data.
                if !awoke
                    && old & MUTEX_WOKEN == 0
                    && old >> MUTEX_WAITER_SHIFT != 0
                    && self
                        .state
                        .compare_exchange(old, old | MUTEX_WOKEN, Relaxed, Relaxed)
                        .is_ok()
                {
                    awoke = true;
                }
                do_spin();
                iter += 1;
                old = self.state.load(Relaxed);
                continue;
            }
            let mut new = old;
            // Do not grab a starving mutex: it belongs to the oldest waiter.
            if old & MUTEX_STARVING == 0 {
                new |= MUTEX_LOCKED;
            }
            // Locked or starving: we will wait, so count ourselves.
            if old & (MUTEX_LOCKED | MUTEX_STARVING) != 0 {
                new += 1 << MUTEX_WAITER_SHIFT;
            }
            // Set the starving bit only while the mutex is held. In
            // starvation mode `unlock` hands the lock to a queued waiter, so
            // a starving mutex must have one (Go: `Unlock` expects a starving
            // mutex to have waiters). If the lock is free, this CAS takes it
            // and we stop being a waiter, perhaps the last.
            if starving && old & MUTEX_LOCKED != 0 {
                new |= MUTEX_STARVING;
            }
            if awoke {
                // We set the woken bit (or were woken by unlock, which set
                // it); it must still be there, and we clear it now.
                if new & MUTEX_WOKEN == 0 {
                    fatal("sync: inconsistent mutex state");
                }
                new &= !MUTEX_WOKEN;
            }
            // Acquire: if this CAS takes the lock, it must see the previous
            // holder's writes (pairs with the Release in `unlock`).
            if self
                .state
                .compare_exchange(old, new, Acquire, Relaxed)
                .is_ok()
            {
                if old & (MUTEX_LOCKED | MUTEX_STARVING) == 0 {
                    break; // locked with the CAS
                }
                // A thread that has waited before goes to the front (Go
                // 1.9 on; Go 1.8 queued it at the tail again). Its wait is
                // timed from its first sleep.
                let queue_lifo = self.starvation && waited;
                if !waited {
                    waited = true;
                    wait_start_time = nanotime();
                }
                semacquire_mutex(&self.sema, queue_lifo);
                starving = self.starvation
                    && (starving || nanotime() - wait_start_time > STARVATION_THRESHOLD_NS);
                old = self.state.load(Relaxed);
                if old & MUTEX_STARVING != 0 {
                    // Starvation mode: unlock handed the lock to us, but the
                    // state still says unlocked and counts us as a waiter.
                    if old & (MUTEX_LOCKED | MUTEX_WOKEN) != 0 || old >> MUTEX_WAITER_SHIFT == 0 {
                        fatal("sync: inconsistent mutex state");
                    }
                    let mut delta = MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);
                    if !starving || old >> MUTEX_WAITER_SHIFT == 1 {
                        // Leave starvation mode if we did not wait long or
                        // we are the last waiter: staying in it would make
                        // the next lockers queue behind nobody.
                        delta -= MUTEX_STARVING;
                    }
                    // Acquire: the handoff came through the semaphore, which
                    // already ordered the unlocker's writes before us; this
                    // keeps our reads after the state change regardless.
                    self.state.fetch_add(delta, Acquire);
                    break;
                }
                awoke = true;
                iter = 0;
            } else {
                old = self.state.load(Relaxed);
            }
        }
    }
    // ANCHOR_END: lock_slow

    // ANCHOR: unlock
    /// Unlocks the mutex.
    ///
    /// Unlocking a mutex that is not locked is a fatal error, as in Go: the
    /// process prints `fatal error: sync: unlock of unlocked mutex` and
    /// aborts.
    #[inline]
    pub fn unlock(&self) {
        // Release pairs with the Acquire of the next locker's CAS.
        let new = self.state.fetch_sub(MUTEX_LOCKED, Release) - MUTEX_LOCKED;
        if new != 0 {
            // Waiters, or a misuse: outlined so the fast path stays small.
            self.unlock_slow(new);
        }
    }

    #[cold]
    fn unlock_slow(&self, mut new: i32) {
        if (new + MUTEX_LOCKED) & MUTEX_LOCKED == 0 {
            fatal("sync: unlock of unlocked mutex");
        }
        if new & MUTEX_STARVING == 0 {
            let mut old = new;
            loop {
                // Nobody to wake, or somebody already locked it, is awake,
                // or the mutex turned starving (then the handoff is theirs).
                if old >> MUTEX_WAITER_SHIFT == 0
                    || old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING) != 0
                {
                    return;
                }
                // Take one waiter off the count and mark it woken. Relaxed:
                // this RMW continues the release sequence of `unlock`'s
                // Release, and the woken waiter's Acquire CAS reads from it.
                new = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
                if self
                    .state
                    .compare_exchange(old, new, Relaxed, Relaxed)
                    .is_ok()
                {
                    semrelease(&self.sema, false);
                    return;
                }
                old = self.state.load(Relaxed);
            }
        } else {
            // Starvation mode: hand the lock to the first waiter and let it
            // run. The state keeps its locked bit clear; the waiter sets it.
            // New arrivals see the starving bit and queue behind it.
            semrelease(&self.sema, true);
        }
    }
    // ANCHOR_END: unlock

    /// True if the mutex is locked right now (a snapshot, for tests and
    /// debugging).
    pub fn is_locked(&self) -> bool {
        self.state.load(Relaxed) & MUTEX_LOCKED != 0
    }

    /// True if the mutex is in starvation mode right now (a snapshot).
    pub fn is_starving(&self) -> bool {
        self.state.load(Relaxed) & MUTEX_STARVING != 0
    }

    /// The number of waiters the state word counts right now (a snapshot).
    pub fn waiters(&self) -> u32 {
        (self.state.load(Relaxed) >> MUTEX_WAITER_SHIFT) as u32
    }

    /// How many threads are queued on the mutex's semaphore right now (a
    /// snapshot, for tests: a waiter is counted in [`waiters`](Self::waiters)
    /// a moment before it joins the queue).
    pub fn sleepers(&self) -> usize {
        ch00_runtime::sema::waiters(&self.sema)
    }
}
