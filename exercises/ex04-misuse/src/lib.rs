//! Go's `WaitGroup.Add`: count, release the waiters at zero, and catch the
//! misuses that break the count.
//!
//! Fill in the `TODO(exercise)` hole in [`WaitGroup::add`], then run
//! `cargo workshop check ex04-misuse`.
//!
//! The group is one 64-bit word and a semaphore. The high half of the word
//! is the counter (an `i32`), the low half the number of waiters (a `u32`).
//! `wait` is given (it is the chapter's, `ch04_waitgroup::state::wait`): it
//! returns at once on counter zero; otherwise it adds one to the low half
//! with a compare-and-swap (so only while the counter is not zero) and
//! sleeps on the semaphore, and on waking it expects the word to be 0.

use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::sync::atomic::{AtomicU32, AtomicU64, fence};
use ch00_runtime::{semacquire, semrelease};
use ch04_waitgroup::state::{ADD_DURING_WAIT, NEGATIVE_COUNTER, counter, counter_delta, waiters};

/// Go's `WaitGroup`: the packed word and the semaphore.
#[derive(Debug, Default)]
pub struct WaitGroup {
    /// High 32 bits: the counter. Low 32 bits: the waiters.
    state: AtomicU64,
    /// The semaphore the waiters sleep on.
    sema: AtomicU32,
}

impl WaitGroup {
    /// An empty group.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `delta` (which may be negative) to the counter.
    ///
    /// * One atomic add on the whole word: `counter_delta(delta)` is
    ///   `delta` moved to the high half. What it returns, plus the delta,
    ///   is the new word; `counter` and `waiters` split it.
    /// * A negative counter: panic with `NEGATIVE_COUNTER`.
    /// * Waiters counted, and this add took the counter up from zero (a
    ///   positive `delta` that equals the new counter): those waiters are
    ///   being released by someone right now, and this add belongs to no
    ///   wait. Panic with `ADD_DURING_WAIT`.
    /// * Counter still above zero, or nobody waiting: done.
    /// * Otherwise you brought the counter to zero with `w` waiters: check
    ///   that the word is still exactly what your add returned (if not, an
    ///   add raced you: panic with `ADD_DURING_WAIT`), reset it to 0, and
    ///   `semrelease(&self.sema, false)` once per waiter. The check and the
    ///   reset must be one step: a misusing add in between would release
    ///   the waiters itself (next point), and you would release them again.
    ///
    /// Before any of these panics, release every waiter still counted in
    /// the word (take them out of the low half first, so that two
    /// panicking threads do not release the same waiter twice): a panic
    /// ends only this thread, and nobody else would ever wake them.
    /// Panic with `std::panic::panic_any(TEXT)`.
    pub fn add(&self, delta: i32) {
        // TODO(exercise): the add, the checks in Go's order, the release.
        // Which orderings carry the tasks' writes to the waiters: those
        // that return at once on a zero counter, and those the semaphore
        // wakes?
        todo!("WaitGroup::add")
    }

    /// `add(-1)`.
    pub fn done(&self) {
        self.add(-1);
    }

    /// Blocks until the counter is zero (given: the chapter's `wait`).
    pub fn wait(&self) {
        ch04_waitgroup::state::wait(&self.state, &self.sema);
    }

    /// The counter right now (a snapshot).
    pub fn counter(&self) -> i32 {
        counter(self.state.load(Relaxed))
    }

    /// The waiters counted right now (a snapshot).
    pub fn waiters(&self) -> u32 {
        waiters(self.state.load(Relaxed))
    }

    /// Threads asleep on the semaphore right now (a snapshot).
    pub fn sleepers(&self) -> usize {
        ch00_runtime::sema::waiters(&self.sema)
    }

    /// The semaphore's count right now (a snapshot). Zero whenever no
    /// release is on its way to a waiter.
    pub fn semaphore_count(&self) -> u32 {
        self.sema.load(Relaxed)
    }
}
