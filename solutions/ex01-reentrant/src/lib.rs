//! The solution is the chapter's own `ch01_mutex::ReentrantMutex`
//! (`code/ch01-mutex/src/reentrant.rs`, shown in chapter 1, "A reentrant
//! mutex"): one copy of the code, checked by the exercise's tests.

pub use ch01_mutex::{ReentrantMutex, ReentrantMutexGuard};
