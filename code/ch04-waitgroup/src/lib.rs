//! Chapter 4 of *Go's `sync`, rebuilt in Rust*: `WaitGroup`, one 64-bit word packing the counter and the waiter count, with Go's misuse panics.
//!
//! Go's source: [`WaitGroup`](https://github.com/golang/go/blob/go1.23.5/src/sync/waitgroup.go#L25) in `sync/waitgroup.go`.
//!
//! This crate is a skeleton until its chapter is written. It already has the
//! layout every chapter shares:
//!
//! * `src/sync.rs`: the std/loom facade, re-exported from `ch00-runtime`;
//! * `tests/`: one test per Go test, named after it, each under
//!   `testkit::watchdog`; `tests/loom.rs` (`#![cfg(loom)]`) for the models;
//! * `benches/`: criterion, one group per Go `Benchmark*`, with the Rust peers
//!   in the same group.

pub mod sync;
