//! Chapter 0 of *Go's `sync`, rebuilt in Rust*: the runtime beneath `sync`.
//!
//! Go's `sync` package does not sleep by itself: it calls into the runtime
//! for a semaphore to sleep on, for permission to spin, and for the time.
//! This crate is that runtime, for the chapters that follow:
//!
//! * the [`sema`] module: `semacquire`, `semacquire_mutex` and `semrelease`,
//!   the address-keyed semaphore with FIFO and LIFO queueing and handoff;
//! * the [`spin`] module: `can_spin` and `do_spin`, Go's bounded spinning;
//! * the [`time`] module: `nanotime`;
//! * the [`sync`] module: the std/loom facade every chapter is written against.

pub mod sema;
pub mod spin;
pub mod sync;
pub mod time;

pub use sema::{semacquire, semacquire_mutex, semrelease};
pub use spin::{can_spin, do_spin};
pub use time::nanotime;
