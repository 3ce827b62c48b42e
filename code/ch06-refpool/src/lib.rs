//! Chapter 6 of *Go's `sync`, rebuilt in Rust*: `RefPool`, a reference-
//! counted pool built on `sync.Pool`, three ways.
//!
//! The design comes from the Chinese article "golang sync包源码阅读"
//! (CC BY 4.0), which sketches it, untested, to fix a real bug: a handler
//! puts an object back into a `sync.Pool` while asynchronous work it
//! started still reads it.
//!
//! * [`article`]: the article's `RefPool` as written, bugs included (the
//!   tests demonstrate each one);
//! * [`tracked`]: the same interface with those bugs fixed, and the
//!   article's first improvement, [`tracked::RefPool::adopting`];
//! * [`handle`]: the second improvement, the count inside the object and
//!   the reference as a value: [`handle::PoolRef`], whose `Clone` is the
//!   article's `Inc` and whose `Drop` is its `Dec`;
//! * [`returning`]: the `Arc` with a returning `Drop` that users write
//!   today, for comparison.
//!
//! ```
//! use ch06_refpool::handle::{PoolRef, RefPool};
//!
//! let pool = RefPool::new(Vec::<u8>::new);
//! let mut request = pool.get();
//! PoolRef::get_mut(&mut request).unwrap().extend_from_slice(b"GET /");
//! let for_task = request.clone(); // Inc: two holders now
//! std::thread::scope(|s| {
//!     s.spawn(move || assert_eq!(&for_task[..], b"GET /")); // Dec when it ends
//! });
//! drop(request); // the last Dec: back to the pool
//! ```
//!
//! Go's source: [`Pool`](https://github.com/golang/go/blob/go1.23.5/src/sync/pool.go#L51)
//! and [`Map`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L38), the two types
//! the article builds on.

pub mod article;
pub mod handle;
pub mod returning;
pub mod sync;
pub mod tracked;
