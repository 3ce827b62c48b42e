//! Tests for `compare_and_delete`: run against your exercise and,
//! unchanged, against the solution. Each runs under the watchdog. They
//! watch the map through its test probes (`misses`, `in_read`, `in_dirty`),
//! which are not part of Go's API.
//!
//! Here, `range` is what promotes (this copy of the map counts misses but
//! promotes only there): each test that needs a promotion calls it.
//!
//! What no test here can show, because it needs another thread at the
//! right moment: a second look that is missing after taking the lock, and
//! a delete that is not one compare-and-swap of the box compared. The loom
//! models in `tests/loom.rs` (run by `check`) try those interleavings.

#[cfg(workshop_solution)]
extern crate ex03_compare_and_delete_solution as ex03_compare_and_delete;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use ex03_compare_and_delete::Map;

/// Promotes the dirty map, if there is one.
fn promote<K: std::hash::Hash + Eq + Clone, V>(m: &Map<K, V>) {
    m.range(|_, _| true);
}

#[test]
fn a_matching_value_is_deleted() {
    testkit::watchdog(|| {
        let m = Map::new();
        m.store(1u64, 10u64);
        promote(&m);
        assert!(m.compare_and_delete(&1, &10), "key 1 holds 10: delete it");
        assert_eq!(m.load(&1), None);
        assert!(
            !m.compare_and_delete(&1, &10),
            "key 1 is deleted: it holds no value, so nothing matches"
        );
    });
}

#[test]
fn another_value_is_kept() {
    testkit::watchdog(|| {
        let m = Map::new();
        m.store(1u64, 10u64);
        promote(&m);
        assert!(!m.compare_and_delete(&1, &11), "key 1 holds 10, not 11");
        assert_eq!(m.load(&1), Some(10), "a failed comparison deletes nothing");
        assert_eq!(
            m.misses(),
            0,
            "a key in the snapshot needs no lock, no miss"
        );
    });
}

#[test]
fn a_key_with_no_value_is_never_a_match() {
    testkit::watchdog(|| {
        let m: Map<u64, u64> = Map::new();
        assert!(
            !m.compare_and_delete(&7, &0),
            "an empty map has nothing to delete"
        );
        m.store(1, 10);
        promote(&m);
        m.delete(&1);
        assert!(
            !m.compare_and_delete(&1, &10),
            "key 1 was deleted: a deleted entry holds no value, so it is no match"
        );
        assert!(!m.compare_and_delete(&2, &10), "key 2 was never stored");
        assert_eq!(m.load(&1), None);
    });
}

#[test]
fn a_key_only_in_the_dirty_map_is_compared_and_not_removed() {
    testkit::watchdog(|| {
        let m = Map::new();
        m.store(1u64, 10u64);
        assert!(
            !m.in_read(&1) && m.in_dirty(&1),
            "a new key is in the dirty map only"
        );
        assert!(!m.compare_and_delete(&1, &11), "key 1 holds 10, not 11");
        assert_eq!(
            m.load(&1),
            Some(10),
            "a failed comparison must leave the key: was it removed from the dirty map \
             before the comparison?"
        );
        assert!(m.in_dirty(&1));
        assert!(m.compare_and_delete(&1, &10));
        assert_eq!(m.load(&1), None);
        assert!(
            m.in_dirty(&1),
            "Go leaves the deleted entry in the dirty map: the compare-and-delete only \
             empties the entry"
        );
        m.store(1, 12);
        promote(&m);
        assert_eq!(m.load(&1), Some(12));
    });
}

#[test]
fn every_trip_to_the_dirty_map_is_a_miss() {
    testkit::watchdog(|| {
        let m = Map::new();
        m.store(1u64, 10u64);
        m.store(2, 20);
        assert_eq!(m.misses(), 0, "stores count no misses");
        assert!(!m.compare_and_delete(&1, &99));
        assert_eq!(m.misses(), 1, "it had to lock to find key 1: one miss");
        assert!(m.compare_and_delete(&2, &20));
        assert_eq!(m.misses(), 2);
        assert!(!m.compare_and_delete(&3, &30));
        assert_eq!(
            m.misses(),
            3,
            "it locked and found no key 3 in the dirty map: a miss all the same (that key \
             takes the slow path every time until a promotion)"
        );
        promote(&m);
        assert_eq!(m.misses(), 0, "a promotion starts the count again");
        assert!(!m.compare_and_delete(&3, &30));
        assert_eq!(
            m.misses(),
            0,
            "the promoted snapshot is complete: no lock, no miss"
        );
    });
}

#[test]
fn matches_a_hash_map() {
    testkit::watchdog(|| {
        // A small xorshift: the same pseudo-random sequence every run.
        let mut x: u64 = 0x1234_5678_9ABC_DEF1;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let m = Map::new();
        let mut model: HashMap<u64, u64> = HashMap::new();
        let mut deleted = 0;
        let steps = testkit::scale(5000, 50_000, 300) as u64;
        for i in 0..steps {
            let k = next() % 16;
            let v = next() % 4;
            match next() % 8 {
                0 | 1 => {
                    m.store(k, v);
                    model.insert(k, v);
                }
                2 => {
                    m.delete(&k);
                    model.remove(&k);
                }
                3..=5 => {
                    let want = model.get(&k) == Some(&v);
                    assert_eq!(
                        m.compare_and_delete(&k, &v),
                        want,
                        "compare_and_delete({k}, {v}) at step {i}"
                    );
                    if want {
                        model.remove(&k);
                        deleted += 1;
                    }
                }
                6 => promote(&m),
                _ => assert_eq!(m.load(&k), model.get(&k).copied(), "load({k}) at step {i}"),
            }
        }
        // About one step in ten deletes by comparison; demand one in fifty,
        // at every scale (Miri runs 300 steps).
        assert!(
            deleted > steps / 50,
            "the run should delete often, not {deleted} times in {steps} steps"
        );
        let mut seen = HashMap::new();
        m.range(|k, v| {
            seen.insert(*k, *v);
            true
        });
        assert_eq!(seen, model);
    });
}

/// Counts its drops; equal when the numbers are.
struct Counted(u64, Arc<AtomicUsize>);

impl PartialEq for Counted {
    fn eq(&self, other: &Self) -> bool {
        self.0 == other.0
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.1.fetch_add(1, SeqCst);
    }
}

#[test]
fn a_deleted_value_is_dropped_once() {
    testkit::watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let made = {
            let m = Map::new();
            let mut made = 0;
            for round in 0..4u64 {
                for k in 0..8u64 {
                    m.store(k, Counted(k + round, Arc::clone(&drops)));
                    made += 1;
                }
                for k in 0..8u64 {
                    let probe = Counted(k + round + k % 2, Arc::clone(&drops));
                    made += 1;
                    assert_eq!(m.compare_and_delete(&k, &probe), k % 2 == 0);
                }
                if round % 2 == 1 {
                    promote(&m);
                }
            }
            made
        };
        assert_eq!(
            drops.load(SeqCst),
            made,
            "every value is dropped exactly once, the deleted ones too (a value taken out \
             of its entry must be retired, or it leaks)"
        );
    });
}

#[test]
fn threads_compare_and_delete_their_own_keys() {
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
                        assert!(
                            !m.compare_and_delete(&k, &(i + 1)),
                            "thread {t}: key {k} holds {i}"
                        );
                        assert!(
                            m.compare_and_delete(&k, &i),
                            "thread {t}: key {k} holds {i}, which it stored"
                        );
                        assert_eq!(m.load(&k), None);
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
    });
}
