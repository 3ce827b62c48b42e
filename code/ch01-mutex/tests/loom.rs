//! Loom models of Go's mutex: every interleaving of two threads through
//! the fast path, spinning, sleeping on the semaphore and handoff. Loom has
//! no clock; `ch00_runtime::time::advance` moves the one the mutex reads.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ch01-mutex --test loom`
#![cfg(loom)]

use ch00_runtime::time::advance;
use ch01_mutex::{Mutex, RawMutex};
use loom::sync::Arc;
use loom::thread;

/// Two lockers, one counter: mutual exclusion, and each holder sees the
/// previous holder's write (loom's race detector watches the data).
#[test]
fn two_lockers_one_counter() {
    loom::model(|| {
        let m = Arc::new(Mutex::new(0));
        let other = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.lock() += 1)
        };
        *m.lock() += 1;
        other.join().unwrap();
        assert_eq!(*m.lock(), 2);
    });
}

/// Lock and unlock racing a sleeping waiter: no lost wakeup, and the state
/// word ends clean.
#[test]
fn unlock_wakes_a_sleeper() {
    loom::model(|| {
        let m = Arc::new(RawMutex::new());
        m.lock();
        let waiter = {
            let m = Arc::clone(&m);
            thread::spawn(move || {
                m.lock();
                m.unlock();
            })
        };
        m.unlock();
        m.lock();
        m.unlock();
        waiter.join().unwrap();
        assert!(!m.is_locked() && !m.is_starving() && m.waiters() == 0);
    });
}

/// The clock jumps 2 ms while a waiter sleeps, so it wakes starving: the
/// mutex may enter starvation mode and hand the lock over; either way both
/// threads finish and the mutex ends unlocked, in normal mode.
#[test]
fn starvation_handoff_on_a_driven_clock() {
    loom::model(|| {
        let m = Arc::new(Mutex::new(0));
        let guard = m.lock();
        let waiter = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.lock() += 1)
        };
        advance(2_000_000);
        drop(guard);
        *m.lock() += 10;
        waiter.join().unwrap();
        assert_eq!(*m.lock(), 11);
        assert!(!m.raw().is_locked() && !m.raw().is_starving() && m.raw().waiters() == 0);
    });
}

/// Two threads, each locking the reentrant mutex twice (nested) and
/// writing to loom-tracked memory: exclusion holds across threads, and the
/// owner and count end clean.
#[test]
fn reentrant_nested_from_two_threads() {
    use ch01_mutex::ReentrantMutex;
    use loom::cell::UnsafeCell;
    fn bump(m: &ReentrantMutex<UnsafeCell<i32>>) {
        let outer = m.lock();
        let inner = m.lock();
        // SAFETY: this thread holds the lock; the nested guard is ours too
        // and nobody else reads or writes while we do.
        inner.with_mut(|p| unsafe { *p += 1 });
        drop(inner);
        // SAFETY: as above.
        outer.with_mut(|p| unsafe { *p += 1 });
    }
    loom::model(|| {
        let m = Arc::new(ReentrantMutex::new(UnsafeCell::new(0)));
        let other = {
            let m = Arc::clone(&m);
            thread::spawn(move || bump(&m))
        };
        bump(&m);
        other.join().unwrap();
        assert!(!m.is_owned_by_current_thread());
        // SAFETY: both threads are done.
        assert_eq!(m.lock().with(|p| unsafe { *p }), 4);
    });
}
