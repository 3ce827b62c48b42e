//! The solution is the chapter's own first mutex, `ch01_mutex::steps::SemaMutex`
//! (`code/ch01-mutex/src/steps.rs`, shown in chapter 1, "How Go's mutex got
//! here"): one copy of the code, checked by the exercise's tests.
//!
//! Its `lock`: `if key.fetch_add(1, Acquire) == 0 { return }` then
//! `semacquire(&sema)`; `try_lock`: `compare_exchange(0, 1, Acquire, Relaxed)`;
//! `unlock`: `fetch_sub(1, Release)`, and `semrelease(&sema, false)` when the
//! old value was above 1.

pub use ch01_mutex::steps::SemaMutex;
