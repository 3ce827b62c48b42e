//! The solution is the chapter's own `ch04_waitgroup::WaitGroup`, whose
//! `wait` is `ch04_waitgroup::state::wait` (`code/ch04-waitgroup/src/state.rs`,
//! shown folded in chapter 4): one copy of the code, checked by the
//! exercise's tests.

pub use ch04_waitgroup::WaitGroup;
