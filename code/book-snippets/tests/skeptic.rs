//! One test per standalone ```rust block in the book and the README.
include!(concat!(env!("OUT_DIR"), "/skeptic-tests.rs"));
