//! Chapter 6 of *Go's `sync`, rebuilt in Rust*: `RefPool`, a reference-counted pool built on `sync.Pool`, plus the two improvements its author proposed.
//!
//! Go's source: [`Pool`](https://github.com/golang/go/blob/go1.23.5/src/sync/pool.go#L51) in `sync/pool.go`.
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
