//! Chapter 4 of *Go's `sync`, rebuilt in Rust*: `WaitGroup`.
//!
//! * [`WaitGroup`]: Go 1.23's algorithm, one 64-bit word packing the
//!   counter (high half) and the number of waiters (low half), and the
//!   chapter 0 semaphore to sleep on; `add`, `done`, `wait`, and Go's three
//!   misuse panics with Go's texts;
//! * [`state`]: that algorithm as two functions over the word and the
//!   semaphore, which `WaitGroup` calls (and the workshop's exercises build on);
//! * [`DoneGuard`], [`OwnedDoneGuard`]: a `done` that cannot be forgotten,
//!   the Rust form of `defer wg.Done()`;
//! * [`WaitGroup::go`], [`WaitGroup::go_scoped`]: Go 1.25's `WaitGroup.Go`,
//!   a thread that counts itself in before it starts and out when it ends,
//!   panics included.
//!
//! Go's source: [`WaitGroup`](https://github.com/golang/go/blob/go1.23.5/src/sync/waitgroup.go#L25) in `sync/waitgroup.go`.

pub mod guard;
#[cfg(not(loom))]
pub mod spawn;
pub mod state;
pub mod sync;
pub mod waitgroup;

pub use guard::{DoneGuard, OwnedDoneGuard};
pub use state::{ADD_DURING_WAIT, NEGATIVE_COUNTER, REUSED_BEFORE_WAIT_RETURNED};
pub use waitgroup::WaitGroup;
