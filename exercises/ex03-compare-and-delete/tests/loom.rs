//! Loom models of `compare_and_delete`: every interleaving with a
//! promotion, with a swap and with a store of an equal value.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex03-compare-and-delete --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex03_compare_and_delete_solution as ex03_compare_and_delete;

use ex03_compare_and_delete::Map;
use loom::sync::Arc;
use loom::thread;

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// A map whose key 1 holds 10, in the snapshot.
fn promoted() -> Arc<Map<u32, u32>> {
    let m = Arc::new(Map::new());
    m.store(1, 10);
    m.range(|_, _| true);
    m
}

/// Key 1 is in the dirty map only. A compare-and-delete finds it missing
/// from the snapshot and takes the lock, while `range` promotes and a new
/// key starts a new dirty map. If the promotion wins, the compare-and-delete
/// must find key 1 in the new snapshot: it still holds 10, so the answer is
/// `true` in every interleaving, and the only miss that may be counted
/// (before the promotion, which resets the count) leaves none behind.
#[test]
fn a_compare_and_delete_that_waited_out_a_promotion() {
    model(
        "a_compare_and_delete_that_waited_out_a_promotion",
        6,
        || {
            let m = Arc::new(Map::new());
            m.store(1u32, 10u32);
            let deleter = {
                let m = Arc::clone(&m);
                thread::spawn(move || m.compare_and_delete(&1, &10))
            };
            m.range(|_, _| true);
            m.store(2, 20);
            let deleted = deleter.join().unwrap();
            assert!(
                deleted,
                "key 1 held 10 all along: it must be deleted (did the compare-and-delete \
             trust the snapshot it saw before taking the lock?)"
            );
            assert_eq!(m.load(&1), None);
            assert_eq!(
                m.misses(),
                0,
                "a compare-and-delete that found its key in the new snapshot counted a \
             spurious miss"
            );
        },
    );
}

/// A compare-and-delete of 10 races a swap to 11. Either the delete is
/// first (then the swap finds no value) or the swap is (then 11 is no
/// match): in both orders key 1 ends up holding 11.
#[test]
fn a_compare_and_delete_racing_a_swap() {
    model("a_compare_and_delete_racing_a_swap", 6, || {
        let m = promoted();
        let deleter = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.compare_and_delete(&1, &10))
        };
        let previous = m.swap(1, 11);
        let deleted = deleter.join().unwrap();
        match (deleted, previous) {
            (true, None) | (false, Some(10)) => {}
            other => panic!(
                "(deleted, the swap's previous value) = {other:?}: no order of the two \
                 gives that"
            ),
        }
        assert_eq!(
            m.load(&1),
            Some(11),
            "the compare-and-delete of 10 deleted the 11 that the swap stored: it must \
             delete only the box it compared"
        );
    });
}

/// A compare-and-delete of 10 races a store of another 10 (a new box, an
/// equal value). Key 1 holds 10 at every moment, so the compare-and-delete
/// must delete, whichever box it meets.
#[test]
fn a_compare_and_delete_racing_a_store_of_an_equal_value() {
    model(
        "a_compare_and_delete_racing_a_store_of_an_equal_value",
        6,
        || {
            let m = promoted();
            let deleter = {
                let m = Arc::clone(&m);
                thread::spawn(move || m.compare_and_delete(&1, &10))
            };
            m.store(1, 10);
            assert!(
                deleter.join().unwrap(),
                "key 1 held 10 throughout: a compare-and-delete whose compare-and-swap \
                 lost to the store must look again, not give up"
            );
        },
    );
}
