//! Chapter 2 of *Go's `sync`, rebuilt in Rust*: `RWMutex`.
//!
//! * [`RawRwMutex`]: Go's algorithm: chapter 1's mutex for writers, a
//!   reader count that a writer drives negative to announce itself, a count
//!   of the readers it still waits for, and two semaphores from chapter 0;
//! * [`RwMutex<T>`]: the same lock holding data, with read and write guards;
//! * [`RLocker`]: Go's `RLocker`, the read side as a
//!   [`Locker`](ch01_mutex::Locker);
//! * [`ShardedRwMutex<T>`]: beyond Go, the reader count split into one
//!   cache line per shard, for read-mostly data on many cores.
//!
//! Go's source: [`RWMutex`](https://github.com/golang/go/blob/go1.23.5/src/sync/rwmutex.go#L37) in `sync/rwmutex.go`.

pub mod raw;
pub mod rwmutex;
pub mod sharded;
pub mod sync;

pub use raw::{RLocker, RWMUTEX_MAX_READERS, RawRwMutex};
pub use rwmutex::{RwMutex, RwMutexReadGuard, RwMutexWriteGuard};
pub use sharded::{ShardedReadGuard, ShardedRwMutex, ShardedWriteGuard};
