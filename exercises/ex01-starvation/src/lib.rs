//! Starvation mode: what Go 1.9 added to the mutex.
//!
//! This is the chapter's `RawMutex` with the starvation parts taken out.
//! Fill in the four `TODO(exercise)` holes, then run
//! `cargo workshop check ex01-starvation`.
//!
//! Without them the mutex is Go 1.8's: fast, and unfair. A woken waiter
//! competes with threads that are already running and usually loses; it
//! may lose for seconds. Go 1.9's rule: a waiter that has waited more than
//! 1 ms switches the mutex to starvation mode, in which `unlock` hands the
//! lock straight to the first waiter and newcomers queue behind it.

use ch00_runtime::spin::{can_spin, do_spin};
use ch00_runtime::time::nanotime;
use ch00_runtime::{semacquire_mutex, semrelease};

use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::sync::atomic::{AtomicI32, AtomicU32};

/// Bit 0: locked.
pub const MUTEX_LOCKED: i32 = 1;
/// Bit 1: a waiter is awake, so `unlock` need not wake another.
pub const MUTEX_WOKEN: i32 = 1 << 1;
/// Bit 2: starvation mode.
pub const MUTEX_STARVING: i32 = 1 << 2;
/// The waiter count starts at bit 3.
pub const MUTEX_WAITER_SHIFT: u32 = 3;
/// Waiting longer than this (1 ms) makes a waiter starving.
pub const STARVATION_THRESHOLD_NS: i64 = 1_000_000;

/// Go's mutex, starvation mode to be filled in.
#[derive(Debug, Default)]
pub struct RawMutex {
    state: AtomicI32,
    sema: AtomicU32,
}

fn inconsistent() -> ! {
    panic!("sync: inconsistent mutex state")
}

impl RawMutex {
    /// An unlocked mutex.
    pub fn new() -> Self {
        Self::default()
    }

    /// Should a waiter that started waiting at `wait_start` (and was
    /// `starving` already, or not) be starving now, at `now`?
    fn starving_after_wakeup(starving: bool, wait_start: i64, now: i64) -> bool {
        // TODO(exercise): once starving, a waiter stays starving; otherwise
        // it becomes starving when it has waited more than the threshold.
        todo!("starving_after_wakeup")
    }

    /// Should a waiter going to sleep queue at the front (LIFO) of the
    /// semaphore? `wait_start` is 0 until its first sleep.
    fn queue_at_front(wait_start: i64) -> bool {
        // TODO(exercise): newcomers go to the back; a waiter that has slept
        // before (and lost the race after waking) goes to the front.
        todo!("queue_at_front")
    }

    /// Woken in starvation mode, the lock is ours: `unlock` handed it over
    /// without setting the locked bit. Fix up the state word.
    fn take_handoff(&self, old: i32, starving: bool) {
        if old & (MUTEX_LOCKED | MUTEX_WOKEN) != 0 || old >> MUTEX_WAITER_SHIFT == 0 {
            inconsistent();
        }
        // TODO(exercise): in one `fetch_add`, set the locked bit and take
        // ourselves off the waiter count; also clear the starving bit if we
        // are not starving or are the last waiter. Ordering: `Acquire`.
        todo!("take_handoff")
    }

    /// `unlock` in starvation mode: give the lock to the first waiter.
    fn hand_off(&self) {
        // TODO(exercise): release the semaphore with handoff, so the first
        // waiter runs at once. Leave the state word alone: the locked bit
        // stays clear, newcomers see the starving bit and queue.
        todo!("hand_off")
    }

    /// Locks the mutex.
    pub fn lock(&self) {
        if self
            .state
            .compare_exchange(0, MUTEX_LOCKED, Acquire, Relaxed)
            .is_ok()
        {
            return;
        }
        self.lock_slow();
    }

    /// Locks if free right now and not promised to a starving waiter.
    pub fn try_lock(&self) -> bool {
        let old = self.state.load(Relaxed);
        old & (MUTEX_LOCKED | MUTEX_STARVING) == 0
            && self
                .state
                .compare_exchange(old, old | MUTEX_LOCKED, Acquire, Relaxed)
                .is_ok()
    }

    fn lock_slow(&self) {
        let (mut wait_start, mut starving, mut awoke, mut iter) = (0, false, false, 0);
        let mut old = self.state.load(Relaxed);
        loop {
            // Spin in normal mode only.
            if old & (MUTEX_LOCKED | MUTEX_STARVING) == MUTEX_LOCKED && can_spin(iter) {
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
            if old & MUTEX_STARVING == 0 {
                new |= MUTEX_LOCKED;
            }
            if old & (MUTEX_LOCKED | MUTEX_STARVING) != 0 {
                new += 1 << MUTEX_WAITER_SHIFT;
            }
            if starving && old & MUTEX_LOCKED != 0 {
                new |= MUTEX_STARVING;
            }
            if awoke {
                if new & MUTEX_WOKEN == 0 {
                    inconsistent();
                }
                new &= !MUTEX_WOKEN;
            }
            if self
                .state
                .compare_exchange(old, new, Acquire, Relaxed)
                .is_ok()
            {
                if old & (MUTEX_LOCKED | MUTEX_STARVING) == 0 {
                    return;
                }
                let lifo = Self::queue_at_front(wait_start);
                if wait_start == 0 {
                    wait_start = nanotime();
                }
                semacquire_mutex(&self.sema, lifo);
                starving = Self::starving_after_wakeup(starving, wait_start, nanotime());
                old = self.state.load(Relaxed);
                if old & MUTEX_STARVING != 0 {
                    self.take_handoff(old, starving);
                    return;
                }
                awoke = true;
                iter = 0;
            } else {
                old = self.state.load(Relaxed);
            }
        }
    }

    /// Unlocks the mutex.
    pub fn unlock(&self) {
        let new = self.state.fetch_sub(MUTEX_LOCKED, Release) - MUTEX_LOCKED;
        if new == 0 {
            return;
        }
        if (new + MUTEX_LOCKED) & MUTEX_LOCKED == 0 {
            panic!("sync: unlock of unlocked mutex");
        }
        if new & MUTEX_STARVING != 0 {
            self.hand_off();
            return;
        }
        let mut old = new;
        while old >> MUTEX_WAITER_SHIFT != 0
            && old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING) == 0
        {
            let new = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
            match self.state.compare_exchange(old, new, Relaxed, Relaxed) {
                Ok(_) => {
                    semrelease(&self.sema, false);
                    return;
                }
                Err(actual) => old = actual,
            }
        }
    }

    /// True if locked right now (a snapshot).
    pub fn is_locked(&self) -> bool {
        self.state.load(Relaxed) & MUTEX_LOCKED != 0
    }

    /// True if in starvation mode right now (a snapshot).
    pub fn is_starving(&self) -> bool {
        self.state.load(Relaxed) & MUTEX_STARVING != 0
    }

    /// The number of waiters right now (a snapshot).
    pub fn waiters(&self) -> u32 {
        (self.state.load(Relaxed) >> MUTEX_WAITER_SHIFT) as u32
    }
}
