//! This chapter's view of the platform: `std` normally, loom under
//! `--cfg loom`. The facade lives in `ch00-runtime` (see its `sync` module),
//! so every chapter switches together.

pub use ch00_runtime::sync::*;
