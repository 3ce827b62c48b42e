//! Tests the book's standalone code blocks.
//!
//! Every ```` ```rust ```` block in `book/src` and `README.md` that does not
//! `{{#include}}` crate code is a complete program; `build.rs` hands those to
//! [skeptic](https://docs.rs/skeptic), which makes each one a test here:
//! `cargo test -p book-snippets`. The included blocks are the crates' own
//! code, tested where they live.
