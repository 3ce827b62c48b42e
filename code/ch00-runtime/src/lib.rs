//! Chapter 0 of *Go's `sync`, rebuilt in Rust*: the runtime beneath `sync`.

pub mod sync;
