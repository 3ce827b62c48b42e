//! A `done` that cannot be forgotten, and Go 1.25's `WaitGroup.Go`.
//!
//! Fill in the three `TODO(exercise)` holes, then run
//! `cargo workshop check ex04-go`.
//!
//! The group is the chapter's `ch04_waitgroup::WaitGroup` (`add`, `done`,
//! `wait`). You build on top of it: a guard that counts one task in when it
//! is made and out when it is dropped, whatever way its owner ends, and
//! `go`, which starts a task on a thread and keeps the count right even
//! when the task panics.

use std::sync::Arc;
use std::thread::{self, JoinHandle, Scope, ScopedJoinHandle};

pub use ch04_waitgroup::WaitGroup;

/// One task counted in a [`WaitGroup`]; dropping it counts the task out.
#[must_use = "dropping the guard at once counts the task out at once"]
#[derive(Debug)]
pub struct DoneGuard<'a> {
    wg: &'a WaitGroup,
}

/// Counts one task in and returns the guard that counts it out.
pub fn add_guard(wg: &WaitGroup) -> DoneGuard<'_> {
    wg.add(1);
    DoneGuard { wg }
}

impl Drop for DoneGuard<'_> {
    fn drop(&mut self) {
        // TODO(exercise): count the task out.
        todo!("DoneGuard::drop")
    }
}

/// Go 1.25's `wg.Go(f)`: counts one task in, runs `f` on a new thread,
/// and counts the task out when `f` returns **or panics**. A `wait` that
/// starts after `go` returns must wait for `f`. The panic itself is not
/// swallowed: it comes back from `join` on the handle.
pub fn go<F, T>(wg: &Arc<WaitGroup>, f: F) -> JoinHandle<T>
where
    F: FnOnce() -> T + Send + 'static,
    T: Send + 'static,
{
    // TODO(exercise): where must the count go in, before or inside the
    // thread? And how do you make sure it goes out on every way `f` can
    // end? (The group is shared by `Arc`, so the thread needs its own.)
    todo!("go")
}

/// The same inside `std::thread::scope`, with a borrowed group.
pub fn go_scoped<'scope, 'env, F, T>(
    wg: &'scope WaitGroup,
    scope: &'scope Scope<'scope, 'env>,
    f: F,
) -> ScopedJoinHandle<'scope, T>
where
    F: FnOnce() -> T + Send + 'scope,
    T: Send + 'scope,
{
    // TODO(exercise): as `go`, with `scope.spawn`.
    todo!("go_scoped")
}
