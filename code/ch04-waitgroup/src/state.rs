//! Go's `WaitGroup` algorithm
//! ([`Add`](https://github.com/golang/go/blob/go1.23.5/src/sync/waitgroup.go#L45) and
//! [`Wait`](https://github.com/golang/go/blob/go1.23.5/src/sync/waitgroup.go#L93) in
//! `sync/waitgroup.go`) as two functions over its two words: the packed
//! state and the semaphore. [`WaitGroup`](crate::WaitGroup) is these two
//! words and these two functions.

use ch00_runtime::{semacquire, semrelease};

use crate::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicU32, AtomicU64, fence};

// ANCHOR: word
/// The counter lives in the high 32 bits of the state word, as an `i32`.
pub const COUNTER_SHIFT: u32 = 32;

/// The counter half of a state word: tasks added and not yet done.
pub const fn counter(state: u64) -> i32 {
    (state >> COUNTER_SHIFT) as i32
}

/// The waiter half of a state word: threads asleep (or about to sleep)
/// in `wait`.
pub const fn waiters(state: u64) -> u32 {
    state as u32
}

/// What `add(delta)` adds to the word: `delta` in the high half. A
/// negative delta wraps around, which subtracts from the high half and
/// leaves the low half alone.
pub const fn counter_delta(delta: i32) -> u64 {
    (delta as i64 as u64) << COUNTER_SHIFT
}
// ANCHOR_END: word

// ANCHOR: messages
/// The counter went below zero: more `done`s than `add`s.
pub const NEGATIVE_COUNTER: &str = "sync: negative WaitGroup counter";
/// An `add` from zero raced with a `wait` that had already counted itself.
pub const ADD_DURING_WAIT: &str = "sync: WaitGroup misuse: Add called concurrently with Wait";
/// A waiter woke and found the group already in use again.
pub const REUSED_BEFORE_WAIT_RETURNED: &str =
    "sync: WaitGroup is reused before previous Wait has returned";
// ANCHOR_END: messages

// ANCHOR: add
/// Adds `delta` (which may be negative) to the counter; if that brings it
/// to zero, releases every waiter and resets the word.
pub fn add(state: &AtomicU64, sema: &AtomicU32, delta: i32) {
    // Release: a `done` publishes the task's writes. It pairs with the
    // Acquire load (or failed CAS) in `wait` that reads this value or a
    // later one of the same release sequence, and with the Acquire fence
    // in `wake` (loom: `reuse_after_wait_returns` reports a data race
    // without it).
    let new = state
        .fetch_add(counter_delta(delta), Release)
        .wrapping_add(counter_delta(delta));
    let (v, w) = (counter(new), waiters(new));
    if v < 0 {
        misuse(state, sema, NEGATIVE_COUNTER);
    }
    // Counting up from zero while waiters are counted: those waiters are
    // being released right now (the counter just was zero), so this add
    // belongs to no wait at all.
    if w != 0 && delta > 0 && v == delta {
        misuse(state, sema, ADD_DURING_WAIT);
    }
    if v > 0 || w == 0 {
        return;
    }
    wake(state, sema, new);
}
// ANCHOR_END: add

// ANCHOR: wake
/// The counter is zero and `waiters(seen)` threads wait: release them all.
#[cold]
fn wake(state: &AtomicU64, sema: &AtomicU32, seen: u64) {
    // Acquire: our `fetch_add` read the last value of the release sequence
    // that every earlier `done` began; this fence makes their writes ours,
    // so the semaphore (and the store below) can pass them on to the
    // waiters (loom: `waiter_vs_last_done` reports a data race without it).
    fence(Acquire);
    // Nobody may change the word now: a `wait` sees counter zero and does
    // not register, and an `add` from zero is a misuse. Go checks that with
    // a load and then resets the word with a store; we do both in one CAS.
    // Between Go's two steps a misusing `add` can see the waiters still
    // counted and release them itself, and then the reset releases them
    // again: wake-ups for nobody, which later waiters would take by
    // mistake. With the CAS, whoever empties the waiter half releases
    // those waiters, and nobody else (loom: `misuse2_both_checks_fire`
    // checks the semaphore is left at zero).
    // Release on success: a `wait` that starts now loads this 0 and returns
    // at once; it must see what the tasks wrote. (Stronger than needed now
    // that the reset is a read-modify-write: it continues the release
    // sequence of the `done`s' Release adds, which carries their writes to
    // that `wait` by itself; code/ch04-waitgroup/mutants.toml says more.)
    // Relaxed on failure: we only panic.
    if state.compare_exchange(seen, 0, Release, Relaxed).is_err() {
        misuse(state, sema, ADD_DURING_WAIT);
    }
    for _ in 0..waiters(seen) {
        semrelease(sema, false);
    }
}
// ANCHOR_END: wake

// ANCHOR: misuse
/// Panics with `msg`, after releasing every waiter counted in the word.
///
/// Go panics and leaves any waiter asleep: the panic usually ends the
/// program, and a recovered one leaves the sleepers leaked. A Rust panic
/// ends only this thread, so we release the waiters first; each wakes,
/// finds the word not zero, and panics in its turn. Nobody sleeps for ever
/// on a group that can no longer count.
#[cold]
fn misuse(state: &AtomicU64, sema: &AtomicU32, msg: &'static str) -> ! {
    for _ in 0..take_waiters(state) {
        semrelease(sema, false);
    }
    std::panic::panic_any(msg)
}

/// Empties the waiter half of the word, keeping the counter; returns how
/// many waiters were counted. A CAS, so that two threads that both detect a
/// misuse never release the same waiter twice.
fn take_waiters(state: &AtomicU64) -> u32 {
    // Relaxed throughout: the released waiters only panic, reading nothing
    // the tasks wrote; the semaphore orders their wake-up after this.
    let mut seen = state.load(Relaxed);
    loop {
        let w = waiters(seen);
        if w == 0 {
            return 0;
        }
        match state.compare_exchange_weak(seen, seen - u64::from(w), Relaxed, Relaxed) {
            Ok(_) => return w,
            Err(now) => seen = now,
        }
    }
}
// ANCHOR_END: misuse

// ANCHOR: wait
/// Blocks until the counter is zero.
pub fn wait(state: &AtomicU64, sema: &AtomicU32) {
    // Acquire: seeing counter zero means every task's `done` is behind us,
    // so their writes must be visible (pairs with the Release in `add`
    // and of the reset in `wake`; loom: `reuse_after_wait_returns`).
    let mut seen = state.load(Acquire);
    loop {
        let v = counter(seen);
        if v == 0 {
            return;
        }
        if v < 0 {
            // Ours: Go would sleep on a negative counter, and nobody could
            // ever wake it.
            std::panic::panic_any(NEGATIVE_COUNTER);
        }
        // Count ourselves in: one CAS on the whole word, so it succeeds
        // only if the counter is still what we saw (not zero).
        // Success Relaxed: the data reaches us through the semaphore, which
        // the last `done` releases after its Acquire fence. Failure
        // Acquire: the value read may be the final zero, and we return on
        // it (loom: `reuse_after_wait_returns`).
        match state.compare_exchange_weak(seen, seen + 1, Relaxed, Acquire) {
            Ok(_) => {
                semacquire(sema);
                // The waker reset the word to zero before releasing us;
                // anything else is a new round that began too early.
                // Relaxed: the semaphore ordered the reset before this load.
                let now = state.load(Relaxed);
                if now != 0 {
                    let msg = if counter(now) < 0 {
                        NEGATIVE_COUNTER
                    } else {
                        REUSED_BEFORE_WAIT_RETURNED
                    };
                    std::panic::panic_any(msg);
                }
                return;
            }
            Err(now) => seen = now,
        }
    }
}
// ANCHOR_END: wait
