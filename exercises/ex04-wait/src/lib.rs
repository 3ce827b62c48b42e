//! Go's `WaitGroup.Wait`: count yourself in as a waiter, then sleep.
//!
//! Fill in the `TODO(exercise)` hole in [`WaitGroup::wait`], then run
//! `cargo workshop check ex04-wait`.
//!
//! The group is one 64-bit word and a semaphore. The high half of the word
//! is the counter (an `i32`: tasks added and not yet done), the low half
//! the number of waiters (a `u32`). `add` is given: it is the chapter's
//! (`ch04_waitgroup::state::add`), and when it brings the counter to zero
//! with waiters counted it resets the whole word to 0 and then releases the
//! semaphore once per waiter it saw.

use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::sync::atomic::{AtomicU32, AtomicU64};
use ch00_runtime::{semacquire, semrelease};
use ch04_waitgroup::state::{NEGATIVE_COUNTER, REUSED_BEFORE_WAIT_RETURNED, counter, waiters};

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

    /// Adds `delta` to the counter (given: the chapter's `add`).
    pub fn add(&self, delta: i32) {
        ch04_waitgroup::state::add(&self.state, &self.sema, delta);
    }

    /// `add(-1)`.
    pub fn done(&self) {
        self.add(-1);
    }

    /// Blocks until the counter is zero.
    ///
    /// If the counter is zero, return at once. Otherwise count yourself in
    /// as a waiter, in the same atomic step that checks the counter is
    /// still not zero, and sleep with `semacquire(&self.sema)`. When you
    /// wake, the word should be 0 (the waker reset it); if it is not, a new
    /// round began before this `wait` returned: panic with
    /// `std::panic::panic_any(REUSED_BEFORE_WAIT_RETURNED)` (or with
    /// `NEGATIVE_COUNTER` if the counter is negative). A negative counter
    /// seen before sleeping panics with `NEGATIVE_COUNTER` too: nobody
    /// would ever wake you.
    pub fn wait(&self) {
        // TODO(exercise): load the word; loop: if the counter is 0 return;
        // try to add one waiter with a compare-and-swap from the value you
        // saw; if it fails, go round again with the value it returns; if
        // it succeeds, sleep on the semaphore and check the word. Which
        // orderings let a waiter that returns see what the tasks wrote?
        todo!("WaitGroup::wait")
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
}
