//! The solution is the chapter's own `ch01_mutex::RawMutex`
//! (`code/ch01-mutex/src/raw.rs`, walked through in chapter 1): one copy of
//! the code, checked by the exercise's tests. In its `lock_slow`, look for
//! `queue_lifo`, the `starving =` line after `semacquire_mutex`, and the
//! `delta` branch; in `unlock_slow`, the `else` branch.

pub use ch01_mutex::RawMutex;
