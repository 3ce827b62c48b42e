//! Per-thread state: what Go keeps per P (`poolLocal`), we keep per thread.
//!
//! Go pins a goroutine to its P for the length of a `Get` or `Put`, which
//! disables preemption, so the P's `private` slot needs no atomics and the
//! garbage collector, which stops the world, never finds a P in the middle
//! of one. A thread cannot be pinned, and our `gc()` runs while other
//! threads work, so each `Local` has two words instead: `pin`, which only
//! the owner writes, set for the few instructions of a `get` or `put`, and
//! `gc`, which a rotation sets. The owner writes `pin`, then reads `gc`; a
//! rotation writes `gc`, then reads `pin`: whoever looks second sees the
//! other and waits. That handshake needs a full fence between the write and
//! the read on both sides, and the owner gets its half for free: the
//! rotation pays for both with one process-wide barrier
//! ([`barrier::heavy`](crate::barrier)), so the owner's fast path has no
//! read-modify-write at all, as Go's has none.

use crossbeam_utils::CachePadded;

use crate::barrier;
use crate::chain;
use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicPtr, AtomicU32};
use crate::sync::cell::UnsafeCell;

// ANCHOR: local
/// One thread's part of one pool. There are two generations: the primary
/// cache and the victim cache, and `gc()` swaps their roles (`cur`) after
/// emptying the victim, so that neither chain ever moves: consumers of
/// other threads can steal from both at any time without a lock.
pub(crate) struct Local<T> {
    /// What the owner writes on every `get` and `put`, on a cache line of
    /// its own: stealers read only the fields below, so that line stays
    /// in their caches instead of bouncing to the owner on every call.
    mine: CachePadded<Mine<T>>,
    /// Which generation is primary (0 or 1); the other is the victim.
    /// Written only by a rotation, while it holds `gc`.
    cur: AtomicU32,
    /// The chains' consumer ends, for stealing from anywhere, any time.
    tails: [chain::Consumer<T>; 2],
    /// The next local of the same pool, for walking them all (`Locals`).
    pub(crate) next: AtomicPtr<crate::locals::Padded<T>>,
}

/// The owner's pin, held: lets go when dropped (on unwinding too).
struct Pinned<'a, T>(&'a Local<T>);

impl<T> Drop for Pinned<'_, T> {
    fn drop(&mut self) {
        // Release pairs with the Acquire load of `pin` in `claim_gc`: our
        // accesses to `private` and the heads happen before the rotation's.
        self.0.mine.pin.store(0, Release);
    }
}

/// A rotation's hold on the local: lets go when dropped.
struct GcHeld<'a, T>(&'a Local<T>);

impl<T> Drop for GcHeld<'_, T> {
    fn drop(&mut self) {
        // Release pairs with the owner's Acquire load of `gc` in `claim`:
        // the rotation's writes happen before the owner's next access.
        self.0.mine.gc.store(0, Release);
    }
}

struct Mine<T> {
    /// 1 while the owner is in a `get` or `put`; written by the owner only.
    pin: AtomicU32,
    /// 1 while a `gc()` rotates this local (one at a time); the owner reads
    /// it on every call, a rotation writes it twice.
    gc: AtomicU32,
    /// Go's `private`: one object only this thread takes, under the pin.
    private: [UnsafeCell<Option<T>>; 2],
    /// Go's `shared`: the chains' producer ends, used under the pin.
    heads: [UnsafeCell<chain::Producer<T>>; 2],
}
// ANCHOR_END: local

// SAFETY: `private` and `heads` are used only by the owner inside
// `claim` (its `pin` set, and `gc` seen clear after the light barrier) or
// by the one rotation inside `claim_gc` (`gc` set, and `pin` seen clear
// after the heavy barrier): the barrier pair lets at most one of them in,
// and the Release/Acquire pairs on `pin` and `gc` order their accesses.
// `tails` are `Sync` consumer handles. Values move between threads, so
// `T: Send`; no `&T` is shared.
unsafe impl<T: Send> Sync for Local<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Local<T> {}

impl<T> Local<T> {
    pub(crate) fn new() -> Self {
        let (h0, t0) = chain::new();
        let (h1, t1) = chain::new();
        Self {
            mine: CachePadded::new(Mine {
                pin: AtomicU32::new(0),
                gc: AtomicU32::new(0),
                private: [UnsafeCell::new(None), UnsafeCell::new(None)],
                heads: [UnsafeCell::new(h0), UnsafeCell::new(h1)],
            }),
            cur: AtomicU32::new(0),
            tails: [t0, t1],
            next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    // ANCHOR: claim
    /// The owner's claim, for one `get` or `put`: no read-modify-write.
    /// The pin is let go when the guard is dropped, on unwinding too (a
    /// pin left held would make every later `gc()` wait forever).
    fn claim(&self) -> Pinned<'_, T> {
        loop {
            // Relaxed: the light barrier after it orders it before our read
            // of `gc`, against the rotation's heavy barrier.
            self.mine.pin.store(1, Relaxed);
            // Pairs with `barrier::heavy` in `claim_gc`: either the rotation
            // sees our pin, or we see its `gc`.
            barrier::light();
            // Acquire pairs with the Release in `GcHeld::drop`: a finished
            // rotation's writes (`cur`, `private`, the heads) are visible.
            if self.mine.gc.load(Acquire) == 0 {
                return Pinned(self);
            }
            // A rotation holds the local: step back and wait it out.
            // Release pairs with `claim_gc`'s Acquire load of `pin`.
            self.mine.pin.store(0, Release);
            while self.mine.gc.load(Relaxed) != 0 {
                crate::sync::thread::yield_now();
            }
        }
    }

    /// A rotation's claim: take `gc` (one rotation at a time), make every
    /// thread fence, then wait until the owner is outside a call.
    fn claim_gc(&self) -> GcHeld<'_, T> {
        // Acquire pairs with the Release in `GcHeld::drop`: the previous
        // rotation's writes are visible to us.
        while self
            .mine
            .gc
            .compare_exchange_weak(0, 1, Acquire, Relaxed)
            .is_err()
        {
            crate::sync::thread::yield_now();
        }
        // Pairs with the owner's `barrier::light` in `claim`.
        barrier::heavy();
        // Acquire pairs with the owner's Release stores of 0: its accesses
        // happen before ours.
        while self.mine.pin.load(Acquire) != 0 {
            crate::sync::thread::yield_now();
        }
        GcHeld(self)
    }
    // ANCHOR_END: claim

    // ANCHOR: owner
    /// Runs `f` on this thread's primary generation, as its owner.
    pub(crate) fn owner<R>(&self, f: impl FnOnce(&mut Option<T>, &chain::Producer<T>) -> R) -> R {
        let _pinned = self.claim();
        let cur = self.cur.load(Relaxed) as usize;
        // SAFETY: we hold the pin, so nobody else touches `private` or
        // `heads` until `_pinned` goes; `f` cannot reach this pool's pin
        // again (it only sees the slot and the chain).
        self.mine.private[cur]
            .with_mut(|p| self.mine.heads[cur].with(|h| unsafe { f(&mut *p, &*h) }))
    }

    /// Takes this thread's victim `private` object, if any.
    pub(crate) fn take_victim_private(&self) -> Option<T> {
        let _pinned = self.claim();
        let victim = 1 - self.cur.load(Relaxed) as usize;
        // SAFETY: we hold the pin.
        self.mine.private[victim].with_mut(|p| unsafe { (*p).take() })
    }
    // ANCHOR_END: owner

    // ANCHOR: steal
    /// Steals from the tail of the primary (`victim == false`) or victim
    /// chain, from any thread, without the pin.
    pub(crate) fn steal(&self, victim: bool) -> Option<T> {
        // Relaxed: a stale answer only makes us steal from the other
        // generation, which is just as valid an object to hand out.
        let cur = self.cur.load(Relaxed) as usize;
        let which = if victim { 1 - cur } else { cur };
        self.tails[which].pop_tail()
    }
    // ANCHOR_END: steal

    // ANCHOR: rotate
    /// `poolCleanup` for this local: empty the victim generation into
    /// `dropped`, then make it the primary, so the old primary becomes the
    /// victim. The values are dropped by the caller, after the pin is let
    /// go, because a value's `Drop` may use the pool.
    pub(crate) fn rotate(&self, dropped: &mut Vec<T>) {
        // Drain the victim chain from its tail first, without the pin, so
        // that the owner can go on working however much it holds: nothing
        // is pushed to a victim chain (puts go to the primary), and the
        // chain gives each value to exactly one taker, us or a stealer.
        while let Some(x) = self.steal(true) {
            dropped.push(x);
        }
        // Under the pin, only what is left: the private object, and values
        // a concurrent rotation may have made victims meanwhile.
        let held = self.claim_gc();
        let victim = 1 - self.cur.load(Relaxed) as usize;
        // SAFETY: we hold the pin; concurrent stealers use `tails` only,
        // and the chain gives each value to exactly one of us.
        self.mine.private[victim].with_mut(|p| dropped.extend(unsafe { (*p).take() }));
        for (i, head) in self.mine.heads.iter().enumerate() {
            head.with(|h| {
                // SAFETY: as above; holding the pin, we act as the chains'
                // producer, and the owner is not walking their rings.
                let head = unsafe { &*h };
                if i == victim {
                    while let Some(x) = head.pop_head() {
                        dropped.push(x);
                    }
                    // Go's GC frees a drained ring; we retire the last one.
                    head.release_if_empty();
                }
                // Rings stealers cut out of either chain, and the one above.
                head.free_retired();
            });
        }
        // The emptied victim becomes the primary. Relaxed: the owner reads
        // `cur` under the pin (ordered by the Release that lets it go), and
        // stealers do not need it exact.
        self.cur.store(victim as u32, Relaxed);
        drop(held);
    }
    // ANCHOR_END: rotate
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    /// A panic under the pin must not leave it held: `gc()` claims the
    /// same pin and would wait forever.
    #[test]
    fn a_panic_under_the_pin_lets_it_go() {
        testkit::watchdog(|| {
            let local = Local::<u32>::new();
            let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                local.owner(|_, _| panic!("inside the pin"))
            }));
            assert!(r.is_err());
            let mut dropped = Vec::new();
            local.rotate(&mut dropped); // hangs if the pin stayed held
            local.owner(|private, _| *private = Some(1));
            assert_eq!(local.take_victim_private(), None);
        });
    }
}
