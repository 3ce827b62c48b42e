//! Loom models of the counts: the last handle handing the object on while
//! another handle's read is still in flight, `get_mut` racing a reader's
//! drop, a clone racing the last drop, and the last drop of an untracked
//! object on either path (the decrement, or the sole handle's load). The
//! object's payload is a loom `UnsafeCell`, so a holder's read racing the
//! next user's write (or the object's drop) is a reported data race: an
//! ordering too weak.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex06-last-drop --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex06_last_drop_solution as ex06_last_drop;

use ex06_last_drop::{PoolRef, RefPool};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// An object whose reads and writes loom checks for races, and which
/// counts its drops.
struct Payload {
    value: UnsafeCell<u64>,
    drops: Arc<AtomicUsize>,
}

// SAFETY: shared reads only through `read`; `write` is called by the sole
// holder (the models check that claim: a race is a failure).
unsafe impl Sync for Payload {}

impl Payload {
    fn new(drops: &Arc<AtomicUsize>) -> Self {
        Self {
            value: UnsafeCell::new(0),
            drops: Arc::clone(drops),
        }
    }

    fn read(&self) -> u64 {
        // SAFETY: a shared read; a concurrent `write` is the race loom reports.
        self.value.with(|p| unsafe { *p })
    }

    /// # Safety
    /// The caller is the object's only holder.
    unsafe fn write(&self, v: u64) {
        // SAFETY: the caller's promise; loom reports it if it is broken.
        self.value.with_mut(|p| unsafe { *p = v });
    }
}

impl Drop for Payload {
    fn drop(&mut self) {
        // A write, as any drop may make: racing a holder's read, it is a
        // data race loom reports (the last handle must acquire every read).
        // SAFETY: `&mut self`; loom reports a concurrent read.
        self.value.with_mut(|p| unsafe { *p = u64::MAX });
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A pool of payloads whose `new` calls are counted.
fn pool(news: &Arc<AtomicUsize>, drops: &Arc<AtomicUsize>) -> Arc<RefPool<Payload>> {
    let (news, drops) = (Arc::clone(news), Arc::clone(drops));
    Arc::new(RefPool::new(move || {
        news.fetch_add(1, SeqCst);
        Payload::new(&drops)
    }))
}

/// Lets a handle cross into a loom thread, which must be `'static`.
///
/// # Safety
/// The caller joins the thread before the pool is dropped.
unsafe fn extend<T: Send + Sync>(r: PoolRef<'_, T>) -> PoolRef<'static, T> {
    // SAFETY: the caller's promise: the pool outlives the handle.
    unsafe { std::mem::transmute(r) }
}

/// The owner shares an object with a reader on another thread, then both
/// drop their handles, and the owner takes an object and writes it (the
/// same one, when the owner's drop was the last). Whichever drop is last,
/// the reader's read happens before the write: by the reader's decrement
/// and the owner's fence when the owner's decrement finds one left, by the
/// owner's load when it finds itself alone, or through the pool when the
/// reader's drop returned the object. Every object is dropped once, at the
/// end, whichever drop came last.
#[test]
fn writer_after_last_reader() {
    model("writer_after_last_reader", 7, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = pool(&news, &drops);
        let mine = pool.get();
        // SAFETY: joined below, before `pool` is dropped.
        let theirs = unsafe { extend(mine.clone()) };
        let reader = thread::spawn(move || {
            let seen = theirs.read();
            drop(theirs);
            seen
        });
        drop(mine);
        let mut next = pool.get();
        let next_mut = PoolRef::get_mut(&mut next).expect("a fresh handle is the only one");
        // SAFETY: `get_mut` says we are the only holder.
        unsafe { next_mut.write(1) };
        assert_eq!(
            reader.join().unwrap(),
            0,
            "the reader saw the next user's write"
        );
        drop(next);
        drop(pool);
        assert_eq!(
            drops.load(SeqCst),
            news.load(SeqCst),
            "an object was lost (never returned to the pool) or dropped twice"
        );
    });
}

/// `get_mut` on the owner's handle while a reader on another thread drops
/// its clone: when `get_mut` says "only handle", the reader's read is done.
#[test]
fn get_mut_waits_for_readers() {
    model("get_mut_waits_for_readers", 3, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = pool(&news, &drops);
        let mut mine = pool.get();
        // SAFETY: joined below, before `pool` is dropped.
        let theirs = unsafe { extend(mine.clone()) };
        let reader = thread::spawn(move || {
            let seen = theirs.read();
            drop(theirs);
            seen
        });
        thread::yield_now();
        if let Some(v) = PoolRef::get_mut(&mut mine) {
            // SAFETY: `get_mut` says we are the only holder.
            unsafe { v.write(1) };
        }
        let seen = reader.join().unwrap();
        assert_eq!(
            seen, 0,
            "the reader saw a write made while it held a handle"
        );
        drop(mine);
        drop(pool);
        assert_eq!(drops.load(SeqCst), news.load(SeqCst));
    });
}

/// A holder clones its handle while another thread drops the other one:
/// the count never reaches zero while a handle is alive, and when both
/// drops run at once exactly one of them is the last. So the object goes
/// back to the pool exactly once, after every handle is gone.
#[test]
fn clone_races_the_last_drop() {
    model("clone_races_the_last_drop", 3, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = pool(&news, &drops);
        let mine = pool.get();
        // SAFETY: joined below, before `pool` is dropped.
        let theirs = unsafe { extend(mine.clone()) };
        let other = thread::spawn(move || drop(theirs));
        let again = mine.clone();
        drop(mine);
        assert_eq!(again.read(), 0);
        drop(again);
        other.join().unwrap();
        // Back in the pool at most once (a thread that ends may drop what
        // its local holds): two `get`s never hand out the same object.
        let a = pool.get();
        let b = pool.get();
        assert!(
            !PoolRef::ptr_eq(&a, &b),
            "the object went back to the pool twice"
        );
        drop((a, b));
        drop(pool);
        assert_eq!(
            drops.load(SeqCst),
            news.load(SeqCst),
            "an object was lost (no drop was the last) or dropped twice"
        );
    });
}

/// One holder reads the object, untracks it and drops its handle while the
/// other drops its own: whichever is last sees the mark and drops the
/// object instead of pooling it, after the reader's read. The object's
/// drop does not go through the pool, whose own synchronization would
/// order the read for us: so here the last handle's own orderings are all
/// there is, on either path of the drop.
#[test]
fn untrack_by_one_holder() {
    model("untrack_by_one_holder", 3, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = pool(&news, &drops);
        let mine = pool.get();
        // SAFETY: joined below, before `pool` is dropped.
        let theirs = unsafe { extend(mine.clone()) };
        let other = thread::spawn(move || {
            let seen = theirs.read();
            PoolRef::untrack(&theirs);
            drop(theirs);
            seen
        });
        drop(mine);
        assert_eq!(other.join().unwrap(), 0);
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the untracked object was not dropped by its last handle"
        );
        drop(pool.get());
        assert_eq!(
            news.load(SeqCst),
            2,
            "the untracked object came back from the pool"
        );
        drop(pool);
    });
}

/// The owner waits until the reader on another thread has dropped its
/// clone, then untracks and drops the last handle: the drop takes the
/// sole-handle path (no read-modify-write), and its load must still order
/// the reader's read before the object's drop, which writes it.
#[test]
fn unique_drop_sees_the_reader() {
    model("unique_drop_sees_the_reader", 2, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = pool(&news, &drops);
        let mine = pool.get();
        // SAFETY: joined below, before `pool` is dropped.
        let theirs = unsafe { extend(mine.clone()) };
        let reader = thread::spawn(move || {
            let seen = theirs.read();
            drop(theirs);
            seen
        });
        // A Relaxed snapshot: it says when, and orders nothing.
        while PoolRef::ref_count(&mine) != 1 {
            thread::yield_now();
        }
        PoolRef::untrack(&mine);
        drop(mine);
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the untracked object was not dropped by its last handle"
        );
        assert_eq!(reader.join().unwrap(), 0);
        drop(pool);
    });
}
