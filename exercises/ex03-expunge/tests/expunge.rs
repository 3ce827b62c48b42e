//! Tests for the expunged state: run against your exercise and, unchanged,
//! against the solution. Each runs under the watchdog. They watch entries
//! through the map's test probes (`entry_state`, `in_dirty`, `dirty_len`),
//! which are not part of Go's API.
//!
//! Here, `range` is what promotes (this copy of the map counts no misses):
//! each test that needs a promotion calls it.
//!
//! Two wrong answers show only when threads race: a `try_expunge_locked`
//! that looks and then writes (a lock-free store can land in between), and
//! an `unexpunge_locked` that writes null over whatever is there (a swap
//! that waited out a promotion finds a value). The loom models in
//! `tests/loom.rs` (run by `check`) try those interleavings.

#[cfg(workshop_solution)]
extern crate ex03_expunge_solution as ex03_expunge;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use ex03_expunge::{EntryState, Map};

/// Promotes the dirty map (if there is one) and returns the map's contents.
fn contents(m: &Map<u64, u64>) -> HashMap<u64, u64> {
    let mut out = HashMap::new();
    m.range(|k, v| {
        assert!(out.insert(*k, *v).is_none(), "range visited key {k} twice");
        true
    });
    out
}

/// A map whose snapshot holds keys 1 and 2 (values 10 and 20), with key 1
/// deleted, and then a new key 3 stored: the store rebuilt the dirty map.
fn with_key_1_expunged() -> Map<u64, u64> {
    let m = Map::new();
    m.store(1, 10);
    m.store(2, 20);
    contents(&m);
    m.delete(&1);
    assert_eq!(m.entry_state(&1), Some(EntryState::Deleted));
    m.store(3, 30);
    m
}

#[test]
fn a_deleted_entry_is_expunged_when_the_dirty_map_is_rebuilt() {
    testkit::watchdog(|| {
        let m = with_key_1_expunged();
        assert_eq!(
            m.entry_state(&1),
            Some(EntryState::Expunged),
            "building the dirty map must mark the deleted entry expunged"
        );
        assert!(
            !m.in_dirty(&1),
            "an expunged entry is one the dirty map leaves out"
        );
        assert_eq!(
            m.entry_state(&2),
            Some(EntryState::Value),
            "an entry that holds a value must never be expunged"
        );
        assert!(
            m.in_dirty(&2) && m.in_dirty(&3),
            "the dirty map holds every value"
        );
        assert_eq!(m.dirty_len(), Some(2));
    });
}

#[test]
fn a_value_survives_the_rebuild_and_the_promotion() {
    testkit::watchdog(|| {
        let m = with_key_1_expunged();
        assert_eq!(m.load(&2), Some(20), "key 2 was never deleted");
        assert_eq!(m.load(&3), Some(30));
        assert_eq!(
            contents(&m),
            HashMap::from([(2, 20), (3, 30)]),
            "after the promotion: the two values, and no trace of key 1"
        );
    });
}

#[test]
fn an_expunged_key_is_absent() {
    testkit::watchdog(|| {
        let m = with_key_1_expunged();
        assert_eq!(
            m.load(&1),
            None,
            "key 1 is expunged: deleted, so `load` must find no value (did it read the \
             expunged marker as one?)"
        );
        assert_eq!(m.load_and_delete(&1), None);
        assert_eq!(m.swap(1, 11), None, "there was no value to swap out");
        assert_eq!(m.load(&1), Some(11));
    });
}

#[test]
fn a_store_to_an_expunged_key_puts_it_back_in_the_dirty_map() {
    testkit::watchdog(|| {
        let m = with_key_1_expunged();
        m.store(1, 11);
        assert_eq!(
            m.entry_state(&1),
            Some(EntryState::Value),
            "the store unexpunges the snapshot's entry and fills it"
        );
        assert!(
            m.in_dirty(&1),
            "an entry that was expunged must go back into the dirty map when it gets a \
             value, or the next promotion loses it"
        );
        assert_eq!(m.load(&1), Some(11));
        assert_eq!(
            contents(&m),
            HashMap::from([(1, 11), (2, 20), (3, 30)]),
            "after the promotion, key 1 must still be there"
        );
        assert_eq!(m.load(&1), Some(11));
    });
}

#[test]
fn a_store_into_a_deleted_entry_without_the_lock_is_kept() {
    testkit::watchdog(|| {
        // Key 1 deleted, no dirty map: a store may fill the deleted entry
        // without the lock, because the next dirty map will copy it.
        let m = Map::new();
        m.store(1, 10);
        contents(&m);
        m.delete(&1);
        assert_eq!(m.dirty_len(), None);
        m.store(1, 12);
        assert_eq!(m.entry_state(&1), Some(EntryState::Value));
        // A new key: the dirty map is rebuilt, and key 1 holds a value.
        m.store(2, 20);
        assert!(
            m.in_dirty(&1),
            "key 1 holds a value: the dirty map needs it"
        );
        assert_eq!(contents(&m), HashMap::from([(1, 12), (2, 20)]));
    });
}

#[test]
fn deleted_twice_over_two_rebuilds() {
    testkit::watchdog(|| {
        let m = with_key_1_expunged();
        // Promote: the expunged entry goes with the old snapshot.
        contents(&m);
        assert_eq!(
            m.entry_state(&1),
            None,
            "the promoted snapshot has no key 1"
        );
        m.delete(&2);
        m.store(4, 40);
        assert_eq!(m.entry_state(&2), Some(EntryState::Expunged));
        m.store(2, 21);
        m.store(1, 11);
        assert_eq!(
            contents(&m),
            HashMap::from([(1, 11), (2, 21), (3, 30), (4, 40)])
        );
    });
}

#[test]
fn swaps_stores_and_deletes_match_a_hash_map() {
    testkit::watchdog(|| {
        // A small xorshift: the same pseudo-random sequence every run.
        let mut x: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let m = Map::new();
        let mut model: HashMap<u64, u64> = HashMap::new();
        let mut expunged_seen = 0;
        let steps = testkit::scale(5000, 50_000, 300) as u64;
        for i in 0..steps {
            let k = next() % 16;
            match next() % 8 {
                0 | 1 => {
                    m.store(k, i);
                    model.insert(k, i);
                }
                2 => assert_eq!(m.swap(k, i), model.insert(k, i), "swap({k}) at step {i}"),
                3 | 4 => {
                    assert_eq!(
                        m.load_and_delete(&k),
                        model.remove(&k),
                        "load_and_delete({k}) at step {i}"
                    );
                }
                5 => assert_eq!(contents(&m), model, "range at step {i}"),
                _ => assert_eq!(m.load(&k), model.get(&k).copied(), "load({k}) at step {i}"),
            }
            if m.entry_state(&k) == Some(EntryState::Expunged) {
                expunged_seen += 1;
            }
        }
        if !cfg!(miri) {
            assert!(
                expunged_seen > 50,
                "the run should meet expunged entries often, not {expunged_seen} times"
            );
        }
        assert_eq!(contents(&m), model);
    });
}

/// Counts its drops.
#[derive(Clone)]
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn every_value_is_dropped_once() {
    testkit::watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let made = {
            let m = Map::new();
            let mut made = 0;
            for round in 0..6u64 {
                for k in 0..6u64 {
                    m.store(k, Counted(Arc::clone(&drops)));
                    made += 1;
                    if (k + round) % 2 == 0 {
                        m.delete(&k);
                    }
                }
                m.store(100 + round, Counted(Arc::clone(&drops)));
                made += 1;
                m.range(|_, _| true);
            }
            made
        };
        assert_eq!(
            drops.load(SeqCst),
            made,
            "every value stored is dropped exactly once, when it is replaced or deleted \
             and the map drops (a value written over without being retired is leaked)"
        );
    });
}

#[test]
fn threads_store_and_delete_while_range_promotes() {
    let n = testkit::scale(3000, 30_000, 40) as u64;
    testkit::watchdog(move || {
        let m = Arc::new(Map::new());
        let handles: Vec<_> = (0..3u64)
            .map(|t| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for i in 0..n {
                        let k = t * 100 + i % 8;
                        m.store(k, i);
                        assert_eq!(m.load(&k), Some(i), "thread {t} lost its own store");
                        if i % 3 == 0 {
                            m.delete(&k);
                            assert_eq!(m.load(&k), None);
                        }
                        if i % 64 == 0 {
                            m.range(|_, _| true);
                        }
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        for t in 0..3u64 {
            for j in 0..8u64 {
                let last = (0..n).filter(|i| i % 8 == j).max().unwrap();
                let want = (last % 3 != 0).then_some(last);
                assert_eq!(m.load(&(t * 100 + j)), want);
            }
        }
    });
}
