//! One thread's part of one pool: two generations (primary and victim),
//! each a private slot and a chain, and the pin word that lets the owner
//! and `gc()` take turns.

use std::cell::UnsafeCell;
use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use std::sync::atomic::{AtomicPtr, AtomicU32};

use ch05_pool::chain;
use crossbeam_utils::CachePadded;

const IDLE: u32 = 0;
const OWNER: u32 = 1;
const GC: u32 = 2;

pub(crate) struct Local<T> {
    /// IDLE, OWNER (a `get` or `put` of this thread) or GC (a rotation).
    pin: AtomicU32,
    /// Which generation is primary (0 or 1); the other is the victim.
    /// Written only under the GC pin.
    cur: AtomicU32,
    /// Go's `private`, per generation: used only under the pin.
    private: [UnsafeCell<Option<T>>; 2],
    /// Go's `shared`, per generation: the producer ends, under the pin...
    heads: [chain::Producer<T>; 2],
    /// ... and the consumer ends, for stealing from any thread, any time.
    tails: [chain::Consumer<T>; 2],
    /// The next local of the same pool (see `locals.rs`).
    pub(crate) next: AtomicPtr<CachePadded<Local<T>>>,
}

// SAFETY: `private` and `heads` are used only by whoever holds the pin,
// which orders their accesses; `tails` are `Sync` consumer handles.
unsafe impl<T: Send> Sync for Local<T> {}
// SAFETY: as above.
unsafe impl<T: Send> Send for Local<T> {}

impl<T> Local<T> {
    pub(crate) fn new() -> Self {
        let (h0, t0) = chain::new();
        let (h1, t1) = chain::new();
        Self {
            pin: AtomicU32::new(IDLE),
            cur: AtomicU32::new(0),
            private: [UnsafeCell::new(None), UnsafeCell::new(None)],
            heads: [h0, h1],
            tails: [t0, t1],
            next: AtomicPtr::new(std::ptr::null_mut()),
        }
    }

    /// Claims the pin as `who`, waiting while someone else holds it.
    fn claim(&self, who: u32) {
        // Acquire pairs with the Release in `let_go`.
        while self
            .pin
            .compare_exchange_weak(IDLE, who, Acquire, Relaxed)
            .is_err()
        {
            std::thread::yield_now();
        }
    }

    fn let_go(&self) {
        self.pin.store(IDLE, Release);
    }

    /// Runs `f` on this thread's primary generation, as its owner.
    pub(crate) fn owner<R>(&self, f: impl FnOnce(&mut Option<T>, &chain::Producer<T>) -> R) -> R {
        self.claim(OWNER);
        // Relaxed: `cur` changes only under the pin, which we hold.
        let cur = self.cur.load(Relaxed) as usize;
        // SAFETY: we hold the pin.
        let r = f(unsafe { &mut *self.private[cur].get() }, &self.heads[cur]);
        self.let_go();
        r
    }

    /// Takes this thread's victim `private` object, if any.
    pub(crate) fn take_victim_private(&self) -> Option<T> {
        self.claim(OWNER);
        // Relaxed: as in `owner`.
        let victim = 1 - self.cur.load(Relaxed) as usize;
        // SAFETY: we hold the pin.
        let x = unsafe { (*self.private[victim].get()).take() };
        self.let_go();
        x
    }

    /// Steals from the tail of the primary (`victim == false`) or victim
    /// chain, from any thread, without the pin.
    pub(crate) fn steal(&self, victim: bool) -> Option<T> {
        // Relaxed: a stale `cur` only means stealing from the other
        // generation, an equally good object.
        let cur = self.cur.load(Relaxed) as usize;
        let which = if victim { 1 - cur } else { cur };
        self.tails[which].pop_tail()
    }

    /// `poolCleanup` for this local: empty the victim generation into
    /// `dropped`, then make it the primary, so that the old primary becomes
    /// the victim. The caller drops the values, after letting go of the pin.
    // Until the hole is filled, clippy sees a `Vec` nobody pushes to.
    #[allow(clippy::ptr_arg)]
    pub(crate) fn rotate(&self, dropped: &mut Vec<T>) {
        // TODO(exercise): in the chapter's order. First, without the pin,
        // drain the victim chain from its tail (`self.steal(true)` until
        // `None`) into `dropped`: nothing is ever pushed to a victim chain,
        // and the chain gives each value to exactly one taker, so the owner
        // can go on working meanwhile. Then claim the pin as GC for what is
        // left: the victim is generation `1 - cur`; move its private object
        // (if any), and whatever its chain still holds (`pop_head` until
        // `None`: a concurrent rotation may have made more victims), into
        // `dropped`. Store the victim's number into `cur`: the emptied
        // generation is the new primary, and the old primary, untouched, is
        // now the victim. Let go of the pin. Drop nothing here: a value's
        // `Drop` may use this pool.
        todo!("Local::rotate")
    }
}
