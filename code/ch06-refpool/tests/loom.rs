//! Loom models of the counts: the last holder handing the object on while
//! the others' reads are still in flight, a clone racing the last drop, and
//! `untrack` by one holder. The object's payload is a loom `UnsafeCell`, so
//! a holder's read racing the next user's write is a reported data race.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ch06-refpool --test loom`
#![cfg(loom)]

use ch06_refpool::{handle, tracked};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

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
        self.value.with_mut(|p| unsafe { *p = u64::MAX });
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A `handle::RefPool` of payloads whose `new` calls are counted.
fn handle_pool(news: &Arc<AtomicUsize>, drops: &Arc<AtomicUsize>) -> Arc<handle::RefPool<Payload>> {
    let (news, drops) = (Arc::clone(news), Arc::clone(drops));
    Arc::new(handle::RefPool::new(move || {
        news.fetch_add(1, SeqCst);
        Payload::new(&drops)
    }))
}

/// Lets a handle cross into a loom thread, which must be `'static`.
///
/// # Safety
/// The caller joins the thread before the pool is dropped.
unsafe fn extend<T: Send + Sync>(r: handle::PoolRef<'_, T>) -> handle::PoolRef<'static, T> {
    // SAFETY: the caller's promise: the pool outlives the handle.
    unsafe { std::mem::transmute(r) }
}

/// The owner shares an object with a reader on another thread, then both
/// give up their handles and the owner takes an object and writes it (the
/// same one, when its own drop was the last). Whichever drop is last, the
/// reader's read happens before the write: by the reader's Release
/// decrement and the owner's Acquire fence when the owner's `fetch_sub`
/// finds one left, by the Acquire load when the owner finds itself alone,
/// or through the pool when the reader's drop returned the object.
#[test]
fn handle_writer_after_last_reader() {
    testkit::loom_model("handle_writer_after_last_reader", 7, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = handle_pool(&news, &drops);
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
        let next_mut = handle::PoolRef::get_mut(&mut next).expect("a fresh handle is unique");
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
            "an object was lost or dropped twice"
        );
    });
}

/// `get_mut` on the owner's handle while a reader on another thread drops
/// its clone: when `get_mut` says "unique", the reader's read is done.
#[test]
fn handle_get_mut_waits_for_readers() {
    testkit::loom_model("handle_get_mut_waits_for_readers", 3, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = handle_pool(&news, &drops);
        let mut mine = pool.get();
        // SAFETY: joined below, before `pool` is dropped.
        let theirs = unsafe { extend(mine.clone()) };
        let reader = thread::spawn(move || {
            let seen = theirs.read();
            drop(theirs);
            seen
        });
        thread::yield_now();
        if let Some(v) = handle::PoolRef::get_mut(&mut mine) {
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

/// A holder clones its handle while another thread drops the last other
/// one: the count never returns to zero while a handle is alive, so the
/// object goes back to the pool exactly once, after both clones are gone.
#[test]
fn handle_clone_races_the_last_drop() {
    testkit::loom_model("handle_clone_races_the_last_drop", 3, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = handle_pool(&news, &drops);
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
            !handle::PoolRef::ptr_eq(&a, &b),
            "the object went back to the pool twice"
        );
        drop((a, b));
        drop(pool);
        assert_eq!(
            drops.load(SeqCst),
            news.load(SeqCst),
            "an object was lost or dropped twice"
        );
    });
}

/// One holder reads the object, untracks it and drops its handle while the
/// other drops its own: whichever is last sees the mark and drops the
/// object instead of pooling it, after the reader's read. The drop does not
/// go through the pool, whose own fences (under loom, the `SeqCst` ones of
/// its fallback barrier) would order the read for us; so this is the model
/// that kills a weakened Acquire on either path of `PoolRef::drop`.
#[test]
fn handle_untrack_by_one_holder() {
    testkit::loom_model("handle_untrack_by_one_holder", 3, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = handle_pool(&news, &drops);
        let mine = pool.get();
        // SAFETY: joined below, before `pool` is dropped.
        let theirs = unsafe { extend(mine.clone()) };
        let other = thread::spawn(move || {
            let seen = theirs.read();
            handle::PoolRef::untrack(&theirs);
            drop(theirs);
            seen
        });
        drop(mine);
        assert_eq!(other.join().unwrap(), 0);
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the untracked object was not dropped"
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
/// sole-handle path (no read-modify-write), and its Acquire load must still
/// order the reader's read before the object's drop, which writes it.
#[test]
fn handle_unique_drop_sees_the_reader() {
    testkit::loom_model("handle_unique_drop_sees_the_reader", 2, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = handle_pool(&news, &drops);
        let mine = pool.get();
        // SAFETY: joined below, before `pool` is dropped.
        let theirs = unsafe { extend(mine.clone()) };
        let reader = thread::spawn(move || {
            let seen = theirs.read();
            drop(theirs);
            seen
        });
        // A Relaxed snapshot: it says when, and orders nothing.
        while handle::PoolRef::ref_count(&mine) != 1 {
            thread::yield_now();
        }
        handle::PoolRef::untrack(&mine);
        drop(mine);
        assert_eq!(
            drops.load(SeqCst),
            1,
            "the untracked object was not dropped"
        );
        assert_eq!(reader.join().unwrap(), 0);
        drop(pool);
    });
}

/// The map-based pool: a holder on another thread reads the object and
/// calls `done` while the owner calls `done` and takes the next object
/// (the same one, when its `done` was the last). The last `done`'s Acquire
/// takes the reader's read before the object is pooled and written.
#[test]
fn tracked_last_done_sees_every_holder() {
    testkit::loom_model("tracked_last_done_sees_every_holder", 3, || {
        let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let pool = {
            let (news, drops) = (Arc::clone(&news), Arc::clone(&drops));
            Arc::new(tracked::RefPool::new(move || {
                news.fetch_add(1, SeqCst);
                Payload::new(&drops)
            }))
        };
        let x = pool.get();
        pool.add(&x);
        let reader = {
            let (pool, x) = (Arc::clone(&pool), std::sync::Arc::clone(&x));
            thread::spawn(move || {
                let seen = x.read();
                pool.done(&x);
                seen
            })
        };
        pool.done(&x);
        let y = pool.get();
        if std::sync::Arc::ptr_eq(&x, &y) {
            // SAFETY: our `done` was the last, and `get` handed it to us
            // alone (the reader's `Arc` is only a pointer now; it reads no
            // more).
            unsafe { y.write(1) };
        }
        assert_eq!(
            reader.join().unwrap(),
            0,
            "the reader saw the next user's write"
        );
        pool.done(&y);
        drop((x, y));
        drop(pool);
        assert_eq!(
            drops.load(SeqCst),
            news.load(SeqCst),
            "an object was lost or dropped twice"
        );
    });
}
