//! Per-thread state: what Go keeps per P (`poolLocal`), we keep per thread.
//!
//! Go pins a goroutine to its P for the length of a `Get` or `Put`, which
//! disables preemption, so the P's `private` slot needs no atomics and the
//! garbage collector, which stops the world, never finds a P in the middle
//! of one. A thread cannot be pinned, and our `gc()` runs while other
//! threads work, so each `Local` has a small `pin` word instead: the owner
//! claims it for the few instructions of a `get` or `put`, and `gc()`
//! claims it to rotate the local's caches. Both use one uncontended
//! compare-and-swap on a cache line nobody else writes.

use crossbeam_utils::CachePadded;

use crate::chain;
use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicPtr, AtomicU32};
use crate::sync::cell::UnsafeCell;

const IDLE: u32 = 0;
const OWNER: u32 = 1;
const GC: u32 = 2;

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
    /// Written only under the GC pin.
    cur: AtomicU32,
    /// The chains' consumer ends, for stealing from anywhere, any time.
    tails: [chain::Consumer<T>; 2],
    /// The next local of the same pool, for walking them all (`Locals`).
    pub(crate) next: AtomicPtr<crate::locals::Padded<T>>,
}

/// The pin, held: lets go when dropped (on unwinding too).
struct Pinned<'a, T>(&'a Local<T>);

impl<T> Drop for Pinned<'_, T> {
    fn drop(&mut self) {
        // Release pairs with the Acquire in `claim`.
        self.0.mine.pin.store(IDLE, Release);
    }
}

struct Mine<T> {
    /// IDLE, OWNER (a `get` or `put` of this thread) or GC (a rotation).
    pin: AtomicU32,
    /// Go's `private`: one object only this thread takes, under the pin.
    private: [UnsafeCell<Option<T>>; 2],
    /// Go's `shared`: the chains' producer ends, used under the pin.
    heads: [UnsafeCell<chain::Producer<T>>; 2],
}
// ANCHOR_END: local

// SAFETY: `private` and `heads` are used only by whoever holds the pin (the
// owner or one `gc()`), which orders their accesses (Acquire on claiming,
// Release on letting go); `tails` are `Sync` consumer handles. Values move
// between threads, so `T: Send`; no `&T` is shared.
unsafe impl<T: Send> Sync for Local<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Local<T> {}

impl<T> Local<T> {
    pub(crate) fn new() -> Self {
        let (h0, t0) = chain::new();
        let (h1, t1) = chain::new();
        Self {
            mine: CachePadded::new(Mine {
                pin: AtomicU32::new(IDLE),
                private: [UnsafeCell::new(None), UnsafeCell::new(None)],
                heads: [UnsafeCell::new(h0), UnsafeCell::new(h1)],
            }),
            cur: AtomicU32::new(0),
            tails: [t0, t1],
            next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// Claims the pin as `who`, waiting while someone else holds it. The
    /// pin is let go when the returned guard is dropped, on unwinding too:
    /// a pin left held would make every later `gc()` wait forever.
    fn claim(&self, who: u32) -> Pinned<'_, T> {
        // Acquire pairs with the Release in `Pinned::drop`: the previous
        // holder's writes to `private`, `heads` and `cur` are visible to us.
        while self
            .mine
            .pin
            .compare_exchange_weak(IDLE, who, Acquire, Relaxed)
            .is_err()
        {
            // The other side holds it for a few instructions (the owner) or
            // for one rotation (gc): yield, do not burn the CPU.
            crate::sync::thread::yield_now();
        }
        Pinned(self)
    }

    // ANCHOR: owner
    /// Runs `f` on this thread's primary generation, as its owner.
    pub(crate) fn owner<R>(&self, f: impl FnOnce(&mut Option<T>, &chain::Producer<T>) -> R) -> R {
        let _pinned = self.claim(OWNER);
        let cur = self.cur.load(Relaxed) as usize;
        // SAFETY: we hold the pin, so nobody else touches `private` or
        // `heads` until `_pinned` goes; `f` cannot reach this pool's pin
        // again (it only sees the slot and the chain).
        self.mine.private[cur]
            .with_mut(|p| self.mine.heads[cur].with(|h| unsafe { f(&mut *p, &*h) }))
    }

    /// Takes this thread's victim `private` object, if any.
    pub(crate) fn take_victim_private(&self) -> Option<T> {
        let _pinned = self.claim(OWNER);
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
        let pinned = self.claim(GC);
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
        drop(pinned);
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
