//! The solution is the chapter's own `ch04_waitgroup::WaitGroup`, whose
//! `add` is `ch04_waitgroup::state::add` (`code/ch04-waitgroup/src/state.rs`,
//! shown folded in chapter 4, with `wake` and `misuse`): one copy of the
//! code, checked by the exercise's tests.

pub use ch04_waitgroup::WaitGroup;
