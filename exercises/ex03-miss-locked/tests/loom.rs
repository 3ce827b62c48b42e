//! Loom model of promotion: every interleaving of two loads of a key that
//! only the dirty map holds. The first load to take the lock misses and
//! promotes (one miss is as many as the dirty map's one key); the other
//! may have looked at the old snapshot before that, and then waits for the
//! lock while the promotion happens. That is the case `load`'s second look
//! is for.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex03-miss-locked --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex03_miss_locked_solution as ex03_miss_locked;

use ex03_miss_locked::Map;
use loom::sync::Arc;
use loom::thread;

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// Two loads race a promotion. Whatever the interleaving, both find the
/// key, exactly one miss is counted (and reset by the promotion it
/// causes), and the map keeps the key.
#[test]
fn a_load_that_waited_out_a_promotion_is_no_miss() {
    model("a_load_that_waited_out_a_promotion_is_no_miss", 4, || {
        let m = Arc::new(Map::new());
        m.store(1u32, 10u32);
        let other = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.load(&1))
        };
        let mine = m.load(&1);
        let theirs = other.join().unwrap();
        assert_eq!(
            (mine, theirs),
            (Some(10), Some(10)),
            "both loads must find the key (a load that skipped the second look under the \
             lock missed in a dirty map that was already promoted)"
        );
        assert_eq!(
            m.misses(),
            0,
            "only the first load was a miss, and its promotion reset the count: a load \
             that waited out the promotion counted a spurious miss"
        );
        assert_eq!(m.read_len(), 1, "the key is in the promoted snapshot");
        assert!(!m.is_amended());
        assert_eq!(m.load(&1), Some(10));
    });
}
