//! Chapter 1 of *Go's `sync`, rebuilt in Rust*: `Mutex`.

pub mod sync;
