//! Chapter 5 of *Go's `sync`, rebuilt in Rust*: `Pool`, the lock-free
//! `poolDequeue` ring, the `poolChain` of rings, per-thread locals with
//! stealing, and the victim cache.
//!
//! Go's source: [`pool.go`] (its `Pool` type) and [`poolqueue.go`] (its
//! `poolDequeue`) at go1.23.5.
//!
//! * [`dequeue`]: Go's `poolDequeue` (commit 2b605670), a fixed-size
//!   single-producer, multi-consumer ring with head and tail packed in one
//!   word; the producer and consumer ends are separate handles, so the
//!   single-producer rule is checked by the compiler.
//! * [`chain`]: Go's `poolChain`, rings doubling from 8 up to the limit.
//! * [`Pool`]: per-thread locals (a private slot and a chain each, for two
//!   generations), stealing from other threads' chains, and the victim
//!   cache rotated by [`Pool::gc`] or, for every pool, [`gc()`]; a
//!   [`Cleaner`] can call `gc()` on a timer.
//!
//! ```
//! use ch05_pool::Pool;
//!
//! let buffers = Pool::with_new(|| Vec::<u8>::with_capacity(4096));
//! let mut b = buffers.get().unwrap(); // made by `new`: the pool was empty
//! b.extend_from_slice(b"hello");
//! b.clear();
//! buffers.put(b);
//! assert_eq!(buffers.get().unwrap().capacity(), 4096); // the same buffer
//! ```
//!
//! [`pool.go`]: https://github.com/golang/go/blob/go1.23.5/src/sync/pool.go#L51
//! [`poolqueue.go`]: https://github.com/golang/go/blob/go1.23.5/src/sync/poolqueue.go#L19

pub mod barrier;
pub mod chain;
pub mod dequeue;
mod local;
mod locals;
pub mod pool;
pub mod sync;

pub use pool::Pool;
#[cfg(not(loom))]
pub use pool::{Cleaner, gc};
