//! A `done` that cannot be forgotten: the Rust form of `defer wg.Done()`.

use crate::sync::Arc;
use crate::waitgroup::WaitGroup;

// ANCHOR: guard
/// One task counted in a [`WaitGroup`]; dropping it counts the task out.
///
/// Made by [`WaitGroup::add_guard`], which adds one before it returns, so
/// the `add` cannot come after the task has started. The drop runs on every
/// way out of the scope that owns the guard: a return, a `?`, a panic
/// unwinding through it. That is Go's `defer wg.Done()`, without the
/// `defer` to forget.
///
/// A guard borrows its group, so it cannot outlive it:
///
/// ```compile_fail,E0597
/// let guard;
/// {
///     let wg = ch04_waitgroup::WaitGroup::new();
///     guard = wg.add_guard();
/// } // wg dropped here while the guard still borrows it
/// drop(guard);
/// ```
#[must_use = "dropping the guard at once counts the task out at once"]
#[derive(Debug)]
pub struct DoneGuard<'a> {
    wg: &'a WaitGroup,
}

impl WaitGroup {
    /// Counts one task in and returns the guard that counts it out.
    pub fn add_guard(&self) -> DoneGuard<'_> {
        self.add(1);
        DoneGuard { wg: self }
    }

    /// Like [`add_guard`](Self::add_guard), for a group shared by `Arc`:
    /// the guard owns a reference, so it can move into a thread that
    /// outlives the caller's borrow.
    pub fn add_guard_owned(this: &Arc<Self>) -> OwnedDoneGuard {
        this.add(1);
        OwnedDoneGuard {
            wg: Arc::clone(this),
        }
    }
}

impl DoneGuard<'_> {
    /// Counts the task out now (the same as dropping the guard).
    pub fn done(self) {}
}

impl Drop for DoneGuard<'_> {
    fn drop(&mut self) {
        self.wg.done();
    }
}
// ANCHOR_END: guard

/// One task counted in an `Arc<WaitGroup>`; dropping it counts the task out.
#[must_use = "dropping the guard at once counts the task out at once"]
#[derive(Debug)]
pub struct OwnedDoneGuard {
    wg: Arc<WaitGroup>,
}

impl OwnedDoneGuard {
    /// Counts the task out now (the same as dropping the guard).
    pub fn done(self) {}

    /// The group this guard counts in.
    pub fn group(&self) -> &Arc<WaitGroup> {
        &self.wg
    }
}

impl Drop for OwnedDoneGuard {
    fn drop(&mut self) {
        self.wg.done();
    }
}
