//! Loom models of the expunged state: every interleaving of a lock-free
//! store with the rebuild of the dirty map, and of a swap with a promotion.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex03-expunge --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex03_expunge_solution as ex03_expunge;

use ex03_expunge::Map;
use loom::sync::Arc;
use loom::thread;

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// Key 1 is deleted in the snapshot, and there is no dirty map. One thread
/// stores into it without the lock while another stores a new key, which
/// rebuilds the dirty map and tries to expunge key 1. Either the store is
/// first (and the entry, holding a value, goes into the dirty map) or the
/// expunge is (and the store, refused, takes the lock and puts the entry
/// back): in both orders key 1 keeps its value through the next promotion.
/// An expunge that looks and then writes, or a store that does, can
/// interleave between the other's look and write.
#[test]
fn a_lock_free_store_races_the_expunge() {
    model("a_lock_free_store_races_the_expunge", 6, || {
        let m = Arc::new(Map::new());
        m.store(1u32, 10u32);
        m.range(|_, _| true);
        m.delete(&1);
        let storer = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.store(1, 11))
        };
        m.store(2, 20);
        storer.join().unwrap();
        assert_eq!(m.load(&1), Some(11), "the store of key 1 was lost");
        m.range(|_, _| true);
        assert_eq!(
            m.load(&1),
            Some(11),
            "the store of key 1 was lost at the promotion: its entry was not in the \
             dirty map"
        );
        assert_eq!(m.load(&2), Some(20));
    });
}

/// Key 1 is in the dirty map only. A swap finds it missing from the
/// snapshot and takes the lock, while `range` promotes: if the promotion
/// wins, the swap then finds key 1 in the snapshot, holding a value. That
/// entry is not expunged, so nothing may be written over it but the swap's
/// own value, and the swap returns the one it replaced.
#[test]
fn a_swap_that_waited_out_a_promotion() {
    model("a_swap_that_waited_out_a_promotion", 4, || {
        let m = Arc::new(Map::new());
        m.store(1u32, 10u32);
        let swapper = {
            let m = Arc::clone(&m);
            thread::spawn(move || m.swap(1, 11))
        };
        m.range(|_, _| true);
        let previous = swapper.join().unwrap();
        assert_eq!(
            previous,
            Some(10),
            "key 1 held 10 all along: the swap must return it (was the value written \
             over by the unexpunge?)"
        );
        assert_eq!(m.load(&1), Some(11));
        m.store(2, 20);
        m.range(|_, _| true);
        assert_eq!(m.load(&1), Some(11), "key 1 lost at the next promotion");
    });
}
