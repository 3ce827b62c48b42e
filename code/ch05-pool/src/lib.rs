//! Chapter 5 of *Go's `sync`, rebuilt in Rust*: `Pool`, the lock-free `poolDequeue` ring, the `poolChain` of rings, per-thread locals with stealing, and the victim cache.
//!
//! Go's source: <https://github.com/golang/go/blob/go1.23.5/src/sync/pool.go>.
//!
//! This crate is a skeleton until its chapter is written. It already has the
//! layout every chapter shares:
//!
//! * `src/sync.rs`: the std/loom facade, re-exported from `ch00-runtime`;
//! * `tests/`: one test per Go test, named after it, each under
//!   `testkit::watchdog`; `tests/loom.rs` (`#![cfg(loom)]`) for the models;
//! * `benches/`: criterion, one group per Go `Benchmark*`, with the Rust peers
//!   in the same group.

pub mod chain;
pub mod dequeue;
mod local;
mod locals;
pub mod pool;
pub mod sync;

pub use pool::Pool;
#[cfg(not(loom))]
pub use pool::{Cleaner, gc};
