//! The runtime semaphore that Go's `sync` sleeps on
//! ([`semacquire1`](https://github.com/golang/go/blob/go1.23.5/src/runtime/sema.go#L132) in `runtime/sema.go`).
//!
//! Not a semaphore in the textbook sense so much as a way to sleep and be
//! woken: a `u32` count that `semrelease` raises and `semacquire` lowers,
//! sleeping while it is zero. Every sleep is paired with exactly one wakeup,
//! even when the wakeup comes first: a release that finds nobody waiting
//! leaves its count behind, and the next acquire takes it without sleeping.
//!
//! Waiters are not stored in the count. They queue in a fixed table of 251
//! cache-padded roots, hashed by the count's address, each root holding one
//! FIFO queue per address that has waiters. Go keeps those queues in a treap
//! per root (O(log n) in the number of distinct addresses); we keep a small
//! vector and scan it, because with 251 roots a root rarely holds more than
//! one or two addresses, and a scan of two entries beats any tree.

use std::collections::VecDeque;

use crossbeam_utils::CachePadded;

use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release, SeqCst};
use crate::sync::atomic::{AtomicU32, fence};
use crate::sync::thread::{self, Thread};
use crate::sync::{Arc, Mutex};

/// Roots in the table: prime, so that addresses with a common stride do not
/// pile onto a few roots (Go's `semTabSize`). Loom models use 3, so that two
/// addresses share a root often and each model stays small.
pub const SEM_TAB_SIZE: usize = if cfg!(loom) { 3 } else { 251 };

// ANCHOR: types
/// One root: the waiter queues of the addresses that hash here.
struct SemaRoot {
    queues: Mutex<Vec<AddrQueue>>,
    /// Waiters in this root, on any address. Read without the lock so that a
    /// release with nobody waiting costs one load (`semrelease`'s easy case).
    /// Every access is SeqCst: the count is one side of the store-then-load
    /// handshake with the semaphore word (see `semacquire1`), and the other
    /// updates happen under the root's lock anyway.
    nwait: AtomicU32,
}

struct AddrQueue {
    addr: usize,
    waiters: VecDeque<Arc<Waiter>>,
}

/// A sleeping thread (Go's `sudog`, reduced to what the semaphore uses).
struct Waiter {
    thread: Thread,
    /// `WAITING` while queued; the releaser sets `WOKEN` or `HANDED_OFF`.
    state: AtomicU32,
}

const WAITING: u32 = 0;
const WOKEN: u32 = 1;
/// Woken with the count already taken for us (Go: `ticket = 1`).
const HANDED_OFF: u32 = 2;
// ANCHOR_END: types

impl SemaRoot {
    #[cfg(not(loom))]
    const fn new() -> Self {
        Self {
            queues: Mutex::new(Vec::new()),
            nwait: AtomicU32::new(0),
        }
    }

    #[cfg(loom)]
    fn new() -> Self {
        Self {
            queues: Mutex::new(Vec::new()),
            nwait: AtomicU32::new(0),
        }
    }
}

#[cfg(not(loom))]
static SEMTABLE: [CachePadded<SemaRoot>; SEM_TAB_SIZE] =
    [const { CachePadded::new(SemaRoot::new()) }; SEM_TAB_SIZE];

// Loom's objects must be made inside each model run: a lazy static is made
// afresh for every run.
#[cfg(loom)]
loom::lazy_static! {
    static ref SEMTABLE: Vec<CachePadded<SemaRoot>> =
        (0..SEM_TAB_SIZE).map(|_| CachePadded::new(SemaRoot::new())).collect();
}

// ANCHOR: root_for
/// The root an address hashes to (Go's `rootFor`): the address without its
/// low 3 bits, modulo the table size.
pub fn root_index(addr: &AtomicU32) -> usize {
    (addr as *const AtomicU32 as usize >> 3) % SEM_TAB_SIZE
}

fn root_for(addr: &AtomicU32) -> &'static SemaRoot {
    &SEMTABLE[root_index(addr)]
}
// ANCHOR_END: root_for

// ANCHOR: cansemacquire
/// Takes one from the count if it is above zero (Go's `cansemacquire`).
///
/// SeqCst: the successful CAS pairs with the `fetch_add` in `semrelease`
/// (whatever the releaser did before is visible to us), and it is half of
/// the store-then-load handshake with `nwait` described in `semacquire1`.
fn cansemacquire(addr: &AtomicU32) -> bool {
    let mut v = addr.load(SeqCst);
    loop {
        if v == 0 {
            return false;
        }
        match addr.compare_exchange_weak(v, v - 1, SeqCst, SeqCst) {
            Ok(_) => return true,
            Err(now) => v = now,
        }
    }
}
// ANCHOR_END: cansemacquire

/// Waits until the count is above zero, then takes one (Go's `semacquire`).
pub fn semacquire(addr: &AtomicU32) {
    semacquire1(addr, false);
}

/// Like [`semacquire`], but a `lifo` waiter queues at the front of its
/// address's queue. `sync.Mutex` passes `lifo = true` for a waiter that was
/// woken and lost the race for the lock, so that it is next in line.
pub fn semacquire_mutex(addr: &AtomicU32, lifo: bool) {
    semacquire1(addr, lifo);
}

// ANCHOR: semacquire1
fn semacquire1(addr: &AtomicU32, lifo: bool) {
    if cansemacquire(addr) {
        return;
    }
    let root = root_for(addr);
    let me = Arc::new(Waiter {
        thread: thread::current(),
        state: AtomicU32::new(WAITING),
    });
    loop {
        let mut queues = root.queues.lock().unwrap();
        // Announce ourselves before the last look at the count. A releaser
        // raises the count and then reads `nwait`; we raise `nwait` and then
        // read the count. A SeqCst fence between the write and the read, on
        // both sides, means at least one of us sees the other: either we take
        // the count here, or the releaser sees a waiter and comes to the
        // queue (after we are in it: it needs the lock we hold). The fence
        // pairs with the one in `semrelease`. (SeqCst accesses alone would do
        // in the C++ model, but loom models them as AcqRel and would report
        // a false lost wakeup; it models fences exactly.)
        root.nwait.fetch_add(1, SeqCst);
        fence(SeqCst);
        if cansemacquire(addr) {
            root.nwait.fetch_sub(1, SeqCst);
            return;
        }
        queue(&mut queues, addr, Arc::clone(&me), lifo);
        drop(queues);

        // Sleep until a releaser dequeues us. park() may return spuriously,
        // so the state word, not the return, says we were woken. Acquire
        // pairs with the releaser's Release store of the state.
        let state = loop {
            match me.state.load(Acquire) {
                WAITING => thread::park(),
                woken => break woken,
            }
        };
        // The releaser dequeued us and is done with `state`; the next writer
        // is us, before we queue again under the root's lock.
        me.state.store(WAITING, Relaxed);
        if state == HANDED_OFF || cansemacquire(addr) {
            return;
        }
        // Woken without a handoff, and another thread took the count first:
        // queue again (at the back, or the front for a lifo waiter).
    }
}
// ANCHOR_END: semacquire1

// ANCHOR: semrelease
/// Adds one to the count and wakes the first waiter, if any (Go's
/// `semrelease`). With `handoff`, the count goes straight to that waiter and
/// we yield so that it runs next: this is how a starving `sync.Mutex` hands
/// the lock to its oldest waiter.
pub fn semrelease(addr: &AtomicU32, handoff: bool) {
    let root = root_for(addr);
    addr.fetch_add(1, SeqCst);
    // Pairs with the fence in `semacquire1`: the add above and a waiter's
    // `nwait` increment cannot both go unseen.
    fence(SeqCst);
    // The easy case: nobody waits in this root.
    if root.nwait.load(SeqCst) == 0 {
        return;
    }
    let mut queues = root.queues.lock().unwrap();
    if root.nwait.load(SeqCst) == 0 {
        // Another release already woke the waiter our count was for.
        return;
    }
    let woken = dequeue(&mut queues, addr);
    if woken.is_some() {
        root.nwait.fetch_sub(1, SeqCst);
    }
    drop(queues);
    if let Some(w) = woken {
        let handed_off = handoff && cansemacquire(addr);
        // Release pairs with the waiter's Acquire load of its state.
        w.state
            .store(if handed_off { HANDED_OFF } else { WOKEN }, Release);
        w.thread.unpark();
        if handed_off {
            // Let the waiter run first instead of racing it for whatever
            // the count protects (Go: goyield, "direct G handoff").
            thread::yield_now();
        }
    }
}
// ANCHOR_END: semrelease

// ANCHOR: queue
fn queue(queues: &mut Vec<AddrQueue>, addr: &AtomicU32, w: Arc<Waiter>, lifo: bool) {
    let key = addr as *const AtomicU32 as usize;
    match queues.iter_mut().find(|q| q.addr == key) {
        Some(q) if lifo => q.waiters.push_front(w),
        Some(q) => q.waiters.push_back(w),
        None => queues.push(AddrQueue {
            addr: key,
            waiters: VecDeque::from([w]),
        }),
    }
}

fn dequeue(queues: &mut Vec<AddrQueue>, addr: &AtomicU32) -> Option<Arc<Waiter>> {
    let key = addr as *const AtomicU32 as usize;
    let i = queues.iter().position(|q| q.addr == key)?;
    let w = queues[i].waiters.pop_front();
    if queues[i].waiters.is_empty() {
        queues.swap_remove(i);
    }
    w
}
// ANCHOR_END: queue

/// How many threads are queued on `addr` right now: for tests and
/// diagnostics, since the answer may be stale as soon as it is returned.
pub fn waiters(addr: &AtomicU32) -> usize {
    let key = addr as *const AtomicU32 as usize;
    root_for(addr)
        .queues
        .lock()
        .unwrap()
        .iter()
        .find(|q| q.addr == key)
        .map_or(0, |q| q.waiters.len())
}
