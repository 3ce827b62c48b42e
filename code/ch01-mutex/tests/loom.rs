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
    two_lockers_one_counter_model("two_lockers_one_counter", 5, true);
}

/// The same without spinning, so that the loser goes to sleep on the
/// semaphore and must be woken by `unlock` (loom never lets a spinner
/// outwait a holder: see `ch00_runtime::spin::set_spinning`).
#[test]
fn two_lockers_one_counter_sleeping() {
    two_lockers_one_counter_model("two_lockers_one_counter_sleeping", 9, false);
}

fn two_lockers_one_counter_model(name: &str, floor: usize, spinning: bool) {
    testkit::loom_model(name, floor, move || {
        ch00_runtime::spin::set_spinning(spinning);
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
/// word ends clean. Spinning is off, so the waiter does sleep (with it on,
/// loom lets the spinner see every unlock: see `two_lockers_one_counter_sleeping`).
#[test]
fn unlock_wakes_a_sleeper() {
    testkit::loom_model("unlock_wakes_a_sleeper", 24, || {
        ch00_runtime::spin::set_spinning(false);
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
    testkit::loom_model("starvation_handoff_on_a_driven_clock", 10, || {
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
        // SAFETY: only reads of the state word; no guard is alive.
        let raw = unsafe { m.raw() };
        assert!(!raw.is_locked() && !raw.is_starving() && raw.waiters() == 0);
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
    testkit::loom_model("reentrant_nested_from_two_threads", 20, || {
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

/// A successful `try_lock` on another thread sees the previous holder's
/// write: its CAS must Acquire (pairs with `unlock`'s Release). With
/// `Relaxed` there, loom reports the read of the counter as a race.
#[test]
fn try_lock_sees_the_previous_holders_write() {
    testkit::loom_model("try_lock_sees_the_previous_holders_write", 9, || {
        let m = Arc::new(Mutex::new(0));
        let writer = {
            let m = Arc::clone(&m);
            thread::spawn(move || *m.lock() += 1)
        };
        if let Some(g) = m.try_lock() {
            assert!(*g == 0 || *g == 1);
        }
        writer.join().unwrap();
    });
}

/// A waiter's wait is timed from its first sleep, through every requeue.
/// The waiter sleeps at time 0 (loom's clock starts there), is woken at
/// 0.6 ms and loses the lock to a barging locker, sleeps again, and is
/// woken at 1.2 ms: it has waited more than 1 ms, so when it loses once
/// more it must switch the mutex to starvation mode. Go tests "has waited
/// before" as `waitStartTime != 0`; a clock that reads 0 would restart the
/// wait at 0.6 ms and never starve (and never requeue at the front).
#[test]
fn a_requeued_waiter_keeps_its_wait_start() {
    use loom::sync::atomic::{AtomicBool, Ordering::SeqCst};
    testkit::loom_model("a_requeued_waiter_keeps_its_wait_start", 500, || {
        let m = Arc::new(RawMutex::new());
        let done = Arc::new(AtomicBool::new(false));
        m.lock();
        let waiter = {
            let (m, done) = (Arc::clone(&m), Arc::clone(&done));
            thread::spawn(move || {
                m.lock();
                done.store(true, SeqCst);
                m.unlock();
            })
        };
        for round in 0..2 {
            // The waiter is asleep on the semaphore (first round) or has
            // queued again after losing to us (second round).
            while m.waiters() == 0 {
                thread::yield_now();
            }
            if round == 0 {
                assert!(!m.is_starving(), "no wait of over 1 ms yet");
            }
            advance(600_000);
            m.unlock();
            m.lock(); // barge, or wait for the waiter to finish first
            if done.load(SeqCst) {
                m.unlock();
                waiter.join().unwrap();
                return;
            }
        }
        // The waiter lost twice and has waited 1.2 ms since its first sleep.
        while m.waiters() == 0 {
            thread::yield_now();
        }
        assert!(
            m.is_starving(),
            "a waiter that has waited 1.2 ms since its first sleep did not switch to starvation mode"
        );
        m.unlock(); // hands the lock to the waiter
        waiter.join().unwrap();
        assert!(!m.is_locked() && !m.is_starving() && m.waiters() == 0);
    });
}

/// Where a woken waiter that loses the lock to a barger queues again: at
/// the front since Go 1.9 (`RawMutex::new`), at the tail in Go 1.8
/// (`RawMutex::without_starvation`). Two waiters sleep in order, W1 then
/// W2; the holder unlocks (waking W1) and locks again at once. If it wins,
/// W1 sleeps again: in front of W2 (1.9), or behind it (1.8), and so only
/// Go 1.8's lock can ever let W2 in first.
fn who_gets_in_first(m: RawMutex) -> Vec<usize> {
    use loom::sync::Mutex as Log;
    ch00_runtime::spin::set_spinning(false);
    let m = Arc::new(m);
    let order = Arc::new(Log::new(Vec::new()));
    m.lock();
    let spawn = |id: usize| {
        let (m, order) = (Arc::clone(&m), Arc::clone(&order));
        thread::spawn(move || {
            m.lock();
            order.lock().unwrap().push(id);
            m.unlock();
        })
    };
    // Each waiter is in the semaphore's queue before the next one starts.
    let w1 = spawn(1);
    while m.sleepers() < 1 {
        thread::yield_now();
    }
    let w2 = spawn(2);
    while m.sleepers() < 2 {
        thread::yield_now();
    }
    m.unlock();
    m.lock();
    m.unlock();
    w1.join().unwrap();
    w2.join().unwrap();
    let order = order.lock().unwrap().clone();
    order
}

#[test]
fn go19_requeues_a_woken_loser_at_the_front() {
    testkit::loom_model("go19_requeues_a_woken_loser_at_the_front", 250, || {
        let order = who_gets_in_first(RawMutex::new());
        assert_eq!(
            order,
            [1, 2],
            "a woken waiter that lost went behind a later one"
        );
    });
}

#[test]
fn go18_requeues_a_woken_loser_at_the_tail() {
    use std::sync::atomic::{AtomicBool, Ordering::Relaxed};
    // Set when some execution lets W2 in first: reachable only with the
    // tail requeue. A plain std flag outside the model, read after it.
    static W2_FIRST: AtomicBool = AtomicBool::new(false);
    testkit::loom_model("go18_requeues_a_woken_loser_at_the_tail", 250, || {
        if who_gets_in_first(RawMutex::without_starvation()) == [2, 1] {
            W2_FIRST.store(true, Relaxed);
        }
    });
    assert!(
        W2_FIRST.load(Relaxed),
        "without_starvation() never let the second waiter in first: it requeues a woken loser at the front, as Go 1.9 does, not at the tail as Go 1.8 did"
    );
}
