//! The solution is the chapter's own `ch02_rwmutex::RawRwMutex`
//! (`code/ch02-rwmutex/src/raw.rs`, walked through in chapter 2's "The
//! counters, step by step"): one copy of the code, checked by the
//! exercise's tests. Look at `try_rlock`, `runlock_slow` and the `if` after
//! the announcement in `lock`.

pub use ch02_rwmutex::{RWMUTEX_MAX_READERS, RawRwMutex};
