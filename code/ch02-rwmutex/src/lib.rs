//! Chapter 2 of *Go's `sync`, rebuilt in Rust*: `RWMutex`, writer preference: a waiting writer stops new readers, counted through `readerCount` and `readerWait`.
//!
//! Go's source: [`RWMutex`](https://github.com/golang/go/blob/go1.23.5/src/sync/rwmutex.go#L37) in `sync/rwmutex.go`.
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
