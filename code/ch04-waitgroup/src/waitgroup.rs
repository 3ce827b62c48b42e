//! `WaitGroup`: the state word, the semaphore, and Go's three methods.

use crate::state;
use crate::sync::atomic::Ordering::Relaxed;
use crate::sync::atomic::{AtomicU32, AtomicU64};

// ANCHOR: struct
/// Waits for a group of tasks to finish, with Go's semantics and algorithm.
///
/// `add(n)` counts `n` tasks in, each task calls `done()` when it ends, and
/// `wait()` blocks until the count is back to zero. The group may be used
/// again once every `wait` has returned.
///
/// Misuse panics with Go's texts: a negative counter, an `add` from zero
/// racing a `wait`, a new round begun before the last `wait` returned.
/// Unlike Go, a panic here first releases the threads asleep in `wait`
/// (see [`state`]).
///
/// A `done()` that happens before a `wait()` returns is visible to the
/// waiter: whatever a task wrote before its `done` can be read after the
/// `wait` that it released.
///
/// Like Go's, a group cannot be copied: it has no `Clone`, and a shared one
/// is borrowed, so it cannot move.
///
/// ```compile_fail,E0599
/// let wg = ch04_waitgroup::WaitGroup::new();
/// let copy = wg.clone(); // no Clone: each copy would count on its own
/// ```
#[derive(Debug, Default)]
pub struct WaitGroup {
    /// High 32 bits: the counter (an `i32`). Low 32 bits: the waiters.
    state: AtomicU64,
    /// The chapter 0 semaphore the waiters sleep on.
    sema: AtomicU32,
}
// ANCHOR_END: struct

impl WaitGroup {
    /// An empty group: counter zero, nobody waiting.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self {
            state: AtomicU64::new(0),
            sema: AtomicU32::new(0),
        }
    }

    /// An empty group: counter zero, nobody waiting.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self {
            state: AtomicU64::new(0),
            sema: AtomicU32::new(0),
        }
    }

    // ANCHOR: methods
    /// Adds `delta`, which may be negative, to the counter. At zero, every
    /// thread blocked in [`wait`](Self::wait) is released.
    ///
    /// An `add` that starts the counter from zero must happen before the
    /// `wait` it is meant for, as in Go: call it before starting the task.
    ///
    /// # Panics
    ///
    /// With `sync: negative WaitGroup counter` if the counter goes below
    /// zero, and with `sync: WaitGroup misuse: Add called concurrently with
    /// Wait` if it detects an `add` from zero racing a `wait`. Either way
    /// the waiters are released first, and they panic too.
    pub fn add(&self, delta: i32) {
        state::add(&self.state, &self.sema, delta);
    }

    /// Counts one task out: `add(-1)`.
    pub fn done(&self) {
        self.add(-1);
    }

    /// Blocks until the counter is zero.
    ///
    /// # Panics
    ///
    /// With `sync: WaitGroup is reused before previous Wait has returned`
    /// if, on waking, the group is already counting a new round; with
    /// `sync: negative WaitGroup counter` if the counter is negative.
    pub fn wait(&self) {
        state::wait(&self.state, &self.sema);
    }
    // ANCHOR_END: methods

    /// The counter right now (a snapshot, for tests and debugging).
    pub fn counter(&self) -> i32 {
        // Relaxed: a snapshot; nothing is read on the strength of it.
        state::counter(self.state.load(Relaxed))
    }

    /// The waiters counted in the word right now (a snapshot).
    pub fn waiters(&self) -> u32 {
        // Relaxed: a snapshot, as above.
        state::waiters(self.state.load(Relaxed))
    }

    /// How many threads sleep on the group's semaphore right now (a
    /// snapshot: a waiter is counted in [`waiters`](Self::waiters) a moment
    /// before it joins the queue). Zero once every `wait` has returned: the
    /// semaphore keeps no entry for an address nobody waits on.
    pub fn sleepers(&self) -> usize {
        ch00_runtime::sema::waiters(&self.sema)
    }

    /// The count on the group's semaphore right now (a snapshot, for
    /// tests). Zero whenever no release is on its way to a waiter: a count
    /// left over is a wake-up for nobody, which a later waiter would take
    /// by mistake.
    pub fn semaphore_count(&self) -> u32 {
        // Relaxed: a snapshot for tests, read after the threads are joined.
        self.sema.load(Relaxed)
    }

    /// The address of the state word, for the alignment test.
    pub fn state_addr(&self) -> usize {
        &self.state as *const AtomicU64 as usize
    }
}
