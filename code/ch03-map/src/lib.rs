//! Chapter 3 of *Go's `sync`, rebuilt in Rust*: `Map`, the read/dirty map: lock-free reads of a read-only snapshot, the `expunged` marker and promotion after enough misses.
//!
//! Go's source: [`Map`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L38) in `sync/map.go`.
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
