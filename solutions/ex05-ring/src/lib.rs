//! The solution is the chapter's own ring, `ch05_pool::dequeue`
//! (`code/ch05-pool/src/dequeue.rs`, shown in chapter 5, "poolDequeue"):
//! one copy of the code, checked by the exercise's tests.

pub use ch05_pool::dequeue::{Consumer, DEQUEUE_BITS, DEQUEUE_LIMIT, Producer, new, with_start};
