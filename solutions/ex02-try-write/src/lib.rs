//! The solution is the chapter's own `try_lock_all`
//! (`code/ch02-rwmutex/src/sharded.rs`), which `ShardedRwMutex::try_write`
//! is made of: one copy of the code, checked by the exercise's tests.

pub use ch02_rwmutex::RawRwMutex;
pub use ch02_rwmutex::sharded::try_lock_all;
