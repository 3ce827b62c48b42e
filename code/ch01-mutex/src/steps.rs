//! How Go's mutex got here, one step at a time. Each step is a real lock
//! that implements [`Locker`](crate::Locker), and `tests/steps.rs` runs the
//! same suite over all of them, so a reader can try each one.
//!
//! 1. [`SemaMutex`]: Go's first mutex (commit bf3dd3f0ef, December 2008):
//!    a counter and a semaphore.
//! 2. [`SpinMutex`]: commit dd2074c82a (June 2011), shipped in Go 1.0 to
//!    1.8: a locked bit that newcomers may grab (barging), the woken bit,
//!    and from Go 1.5 bounded spinning.
//! 3. [`RawMutex`](crate::RawMutex): Go 1.9 and later: step 2 plus
//!    starvation mode and front requeueing.

use ch00_runtime::spin::{can_spin, do_spin};
use ch00_runtime::{semacquire, semrelease};

use crate::raw::{MUTEX_LOCKED, MUTEX_WAITER_SHIFT, MUTEX_WOKEN, fatal};
use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicI32, AtomicU32};

// ANCHOR: sema_mutex
/// Step 1: the counter counts the holder plus every waiter. Whoever moves it
/// from 0 to 1 owns the lock; everyone else sleeps on the semaphore, and
/// `unlock` passes the lock on by releasing one count: whichever waiting
/// thread takes that count holds the lock.
///
/// Mostly FIFO, not strictly: the semaphore wakes its sleepers in order,
/// but a thread that has just joined the counter can take a released count
/// in its first try, before the sleeper that `unlock` woke, which then
/// queues again at the back. Simple, but a contended handover usually waits
/// for a sleeping thread to wake up, while the lock sits idle.
#[derive(Debug, Default)]
pub struct SemaMutex {
    key: AtomicU32,
    sema: AtomicU32,
}

impl SemaMutex {
    /// An unlocked mutex.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks: one atomic add when free, the semaphore otherwise.
    pub fn lock(&self) {
        // Acquire pairs with the Release in `unlock` when we take a free
        // lock; a waiter is ordered after the unlocker by the semaphore.
        if self.key.fetch_add(1, Acquire) == 0 {
            return;
        }
        // Whoever takes a count that `unlock` released holds the lock.
        semacquire(&self.sema);
    }

    /// Locks if nobody holds it or waits for it.
    pub fn try_lock(&self) -> bool {
        // Acquire pairs with the Release in `unlock`, as `lock`'s add does;
        // Relaxed on failure: we learn nothing we act on.
        self.key.compare_exchange(0, 1, Acquire, Relaxed).is_ok()
    }

    /// Unlocks, handing the lock to one waiter if there is any.
    pub fn unlock(&self) {
        // Release pairs with the next locker's Acquire add.
        match self.key.fetch_sub(1, Release) {
            0 => fatal("sync: unlock of unlocked mutex"),
            1 => {}
            // Someone else is counted in the key: they sleep (or are about
            // to) on the semaphore, and the first of them to take this count
            // holds the lock.
            _ => semrelease(&self.sema, false),
        }
    }

    /// How many threads wait for the lock right now (a snapshot): the key
    /// counts the holder too.
    pub fn waiters(&self) -> u32 {
        self.key.load(Relaxed).saturating_sub(1)
    }
}
// ANCHOR_END: sema_mutex

// ANCHOR: spin_mutex
/// Step 2: the mutex of commit dd2074c82a (2011, Go 1.0 to 1.8) with Go
/// 1.5's spinning. The state word is the one
/// [`RawMutex`](crate::RawMutex) uses, without the starving bit.
///
/// A woken waiter no longer owns the lock: it competes with newcomers, who
/// usually win because they are already running. Throughput goes up; a
/// waiter can lose again and again, and then it queues at the *back*.
#[derive(Debug, Default)]
pub struct SpinMutex {
    state: AtomicI32,
    sema: AtomicU32,
}

impl SpinMutex {
    /// An unlocked mutex.
    pub fn new() -> Self {
        Self::default()
    }

    /// Locks, spinning a little before sleeping.
    pub fn lock(&self) {
        // Acquire: pairs with the Release in `unlock`, as in every step.
        if self
            .state
            .compare_exchange(0, MUTEX_LOCKED, Acquire, Relaxed)
            .is_ok()
        {
            return;
        }
        let mut awoke = false;
        let mut iter = 0;
        // Relaxed: `old` only feeds the CAS below, which re-checks it.
        let mut old = self.state.load(Relaxed);
        loop {
            if old & MUTEX_LOCKED != 0 && can_spin(iter) {
                // Announce that someone is awake, so `unlock` wakes nobody.
                if !awoke
                    && old & MUTEX_WOKEN == 0
                    && old >> MUTEX_WAITER_SHIFT != 0
                    // Relaxed: the woken bit orders no data; it only tells
                    // `unlock` that it need not wake anyone.
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
            // Try to take it; if it is held, count ourselves as a waiter.
            let mut new = old | MUTEX_LOCKED;
            if old & MUTEX_LOCKED != 0 {
                new += 1 << MUTEX_WAITER_SHIFT;
            }
            if awoke {
                new &= !MUTEX_WOKEN;
            }
            // Acquire pairs with the Release in `unlock` (it matters when
            // this CAS takes a free lock); Relaxed on failure, we reload.
            if self
                .state
                .compare_exchange(old, new, Acquire, Relaxed)
                .is_ok()
            {
                if old & MUTEX_LOCKED == 0 {
                    return;
                }
                // Queue at the back, however long we have waited already.
                semacquire(&self.sema);
                awoke = true;
                iter = 0;
            }
            old = self.state.load(Relaxed);
        }
    }

    /// Locks if it is free right now.
    pub fn try_lock(&self) -> bool {
        // Relaxed: a guess that the CAS re-checks.
        let old = self.state.load(Relaxed);
        // Acquire pairs with the Release in `unlock`.
        old & MUTEX_LOCKED == 0
            && self
                .state
                .compare_exchange(old, old | MUTEX_LOCKED, Acquire, Relaxed)
                .is_ok()
    }

    /// Unlocks, waking one waiter unless one is awake already.
    pub fn unlock(&self) {
        // Release pairs with the next locker's Acquire CAS.
        let new = self.state.fetch_sub(MUTEX_LOCKED, Release) - MUTEX_LOCKED;
        if (new + MUTEX_LOCKED) & MUTEX_LOCKED == 0 {
            fatal("sync: unlock of unlocked mutex");
        }
        let mut old = new;
        // Nobody waits, or someone has the lock or is awake already.
        while old >> MUTEX_WAITER_SHIFT != 0 && old & (MUTEX_LOCKED | MUTEX_WOKEN) == 0 {
            let new = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
            // Relaxed: continues `fetch_sub`'s release sequence.
            match self.state.compare_exchange(old, new, Relaxed, Relaxed) {
                Ok(_) => {
                    semrelease(&self.sema, false);
                    return;
                }
                Err(actual) => old = actual,
            }
        }
    }
}
// ANCHOR_END: spin_mutex

impl crate::Locker for SemaMutex {
    fn lock(&self) {
        SemaMutex::lock(self);
    }
    fn unlock(&self) {
        SemaMutex::unlock(self);
    }
}

impl crate::Locker for SpinMutex {
    fn lock(&self) {
        SpinMutex::lock(self);
    }
    fn unlock(&self) {
        SpinMutex::unlock(self);
    }
}
