//! Go 1.25's `WaitGroup.Go`: start a task in a new thread, counted in.

use std::sync::Arc;
use std::thread::{self, JoinHandle, Scope, ScopedJoinHandle};

use crate::waitgroup::WaitGroup;

// ANCHOR: go
impl WaitGroup {
    /// Counts one task in, then runs `f` on a new thread; the task is
    /// counted out when `f` returns or panics.
    ///
    /// The count goes in before the thread exists, so a `wait` that comes
    /// after `go` returns always waits for `f`. A panic in `f` still counts
    /// the task out (the guard's drop runs while the thread unwinds), so
    /// `wait` returns; the panic itself comes back from `join` on the
    /// handle, as with `std::thread::spawn`.
    pub fn go<F, T>(self: &Arc<Self>, f: F) -> JoinHandle<T>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let guard = WaitGroup::add_guard_owned(self);
        thread::spawn(move || {
            let _done = guard;
            f()
        })
    }

    /// Like [`go`](Self::go), for a thread inside [`std::thread::scope`]:
    /// the group is borrowed, not shared by `Arc`.
    pub fn go_scoped<'scope, 'env, F, T>(
        &'scope self,
        scope: &'scope Scope<'scope, 'env>,
        f: F,
    ) -> ScopedJoinHandle<'scope, T>
    where
        F: FnOnce() -> T + Send + 'scope,
        T: Send + 'scope,
    {
        let guard = self.add_guard();
        scope.spawn(move || {
            let _done = guard;
            f()
        })
    }
}
// ANCHOR_END: go
