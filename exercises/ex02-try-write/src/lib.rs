//! The sharded lock's `try_write`: every shard, or none.
//!
//! Chapter 2's `ShardedRwMutex` write-locks every shard, in index order,
//! each shard being a whole `RawRwMutex`. Its `write` waits for each in
//! turn. Its `try_write` must not wait at all, and must not leave a half-
//! locked lock behind when it gives up. Write `try_lock_all`, which
//! `try_write` is made of, then run `cargo workshop check ex02-try-write`.

pub use ch02_rwmutex::RawRwMutex;

/// Write-locks every lock in `shards`, in order, without waiting, and says
/// whether it did.
///
/// If some lock is held (for reading or writing) or waited for, it must
/// return `false` and leave every lock exactly as it found it.
pub fn try_lock_all<S: AsRef<RawRwMutex>>(shards: &[S]) -> bool {
    // TODO(exercise): take the shards one by one without waiting. Which
    // ones may you unlock when one of them refuses, and which must you
    // not touch?
    todo!("try_lock_all")
}
