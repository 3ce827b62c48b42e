//! Tests for promotion: run against your exercise and, unchanged, against
//! the solution. Each runs under the watchdog. They watch the map through
//! its test probes (`misses`, `dirty_len`, `is_amended`, `read_len`,
//! `snapshot_id`), which are not part of Go's API.
//!
//! One wrong answer no test here can show: a `load` that skips the second
//! look under the lock. It goes wrong only when a promotion happens while
//! the load waits for the lock; the loom model in `tests/loom.rs` (run by
//! `check`) tries that interleaving.

#[cfg(workshop_solution)]
extern crate ex03_miss_locked_solution as ex03_miss_locked;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use ex03_miss_locked::Map;

/// A map whose `n` keys (`1..=n`, value `10 * key`) are all in the dirty
/// map: the snapshot is empty and amended.
fn dirty_only(n: u64) -> Map<u64, u64> {
    let m = Map::new();
    for k in 1..=n {
        m.store(k, 10 * k);
    }
    assert_eq!(m.read_len(), 0, "a new key goes to the dirty map only");
    assert!(m.is_amended(), "a new key marks the snapshot amended");
    assert_eq!(m.dirty_len(), Some(n as usize));
    assert_eq!(m.misses(), 0, "stores are no misses");
    m
}

/// The state right after a promotion of `n` keys.
fn assert_promoted(m: &Map<u64, u64>, n: usize, what: &str) {
    assert_eq!(
        m.read_len(),
        n,
        "{what}: the dirty map should have become the snapshot, with its {n} keys"
    );
    assert!(
        !m.is_amended(),
        "{what}: a promoted snapshot holds every key, so it must not be marked amended"
    );
    assert_eq!(
        m.dirty_len(),
        None,
        "{what}: after a promotion there is no dirty map until the next new key \
         (the dirty map is moved into the snapshot, not copied)"
    );
    assert_eq!(
        m.misses(),
        0,
        "{what}: the miss count starts again from zero after a promotion"
    );
}

#[test]
fn a_load_from_the_dirty_map_counts_a_miss() {
    testkit::watchdog(|| {
        let m = dirty_only(4);
        let before = m.snapshot_id();
        for k in 1..=3 {
            assert_eq!(m.load(&k), Some(10 * k));
            assert_eq!(
                m.misses(),
                k as usize,
                "each load that had to look in the dirty map is one miss"
            );
            assert_eq!(
                m.snapshot_id(),
                before,
                "{k} misses with 4 keys in the dirty map: too early to promote"
            );
            assert_eq!(m.dirty_len(), Some(4));
            assert!(m.is_amended());
        }
    });
}

#[test]
fn as_many_misses_as_dirty_keys_promote() {
    testkit::watchdog(|| {
        let m = dirty_only(4);
        let before = m.snapshot_id();
        for k in 1..=4 {
            assert_eq!(m.load(&k), Some(10 * k));
        }
        assert_ne!(
            m.snapshot_id(),
            before,
            "the 4th miss with 4 keys in the dirty map must promote it"
        );
        assert_promoted(&m, 4, "after 4 misses on 4 dirty keys");
        // Now every key is a hit in the snapshot: no more misses.
        for k in 1..=4 {
            assert_eq!(m.load(&k), Some(10 * k));
        }
        assert_eq!(m.misses(), 0, "loads that hit the snapshot are no misses");
    });
}

#[test]
fn one_dirty_key_is_promoted_by_its_first_miss() {
    testkit::watchdog(|| {
        let m = dirty_only(1);
        assert_eq!(m.load(&1), Some(10));
        assert_promoted(&m, 1, "after 1 miss on 1 dirty key");
    });
}

#[test]
fn a_key_nobody_stored_is_a_miss_too() {
    testkit::watchdog(|| {
        let m = dirty_only(2);
        assert_eq!(m.load(&99), None);
        assert_eq!(
            m.misses(),
            1,
            "a load that locked and found nothing in the dirty map is a miss as well: \
             that key will take the slow path until the next promotion"
        );
        assert_eq!(m.load(&98), None);
        assert_promoted(&m, 2, "after 2 misses (of absent keys) on 2 dirty keys");
        assert_eq!(m.load(&1), Some(10));
        assert_eq!(m.load(&2), Some(20));
    });
}

#[test]
fn a_miss_after_a_promotion_loses_nothing() {
    testkit::watchdog(|| {
        let m = dirty_only(3);
        for k in 1..=3 {
            m.load(&k);
        }
        assert_promoted(&m, 3, "after 3 misses on 3 dirty keys");
        // An absent key, with the snapshot complete: no lock, no miss, and
        // above all, the snapshot stays.
        for absent in 100..110 {
            assert_eq!(m.load(&absent), None);
        }
        for k in 1..=3 {
            assert_eq!(
                m.load(&k),
                Some(10 * k),
                "key {k} was lost after loads of absent keys: was the promoted snapshot \
                 stored as amended, sending them to a dirty map that is gone?"
            );
        }
        assert_eq!(m.misses(), 0);
    });
}

#[test]
fn the_next_new_key_builds_a_new_dirty_map() {
    testkit::watchdog(|| {
        let m = dirty_only(2);
        m.load(&1);
        m.load(&2);
        assert_promoted(&m, 2, "after 2 misses on 2 dirty keys");
        let promoted = m.snapshot_id();
        m.store(3, 30);
        assert_eq!(
            m.dirty_len(),
            Some(3),
            "a new key after a promotion copies the snapshot's 2 keys into a new dirty map"
        );
        assert!(m.is_amended());
        assert_eq!(m.snapshot_id(), promoted, "storing is no promotion");
        // The old keys still hit; the new one misses, 3 times to promote.
        assert_eq!((m.load(&1), m.load(&2)), (Some(10), Some(20)));
        assert_eq!(m.misses(), 0);
        assert_eq!(m.load(&3), Some(30));
        assert_eq!(
            m.misses(),
            1,
            "the count started again at the last promotion: one miss since"
        );
        assert_eq!(m.load(&3), Some(30));
        assert_eq!(m.misses(), 2);
        assert_eq!(m.load(&3), Some(30));
        assert_promoted(&m, 3, "after 3 misses on 3 dirty keys");
    });
}

#[test]
fn swaps_and_stores_keep_their_values_across_promotions() {
    testkit::watchdog(|| {
        // A small xorshift: the same pseudo-random sequence every run.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let m = Map::new();
        let mut model: HashMap<u64, u64> = HashMap::new();
        let mut promotions = 0;
        let mut last = m.snapshot_id();
        let steps = testkit::scale(4000, 40_000, 300) as u64;
        for i in 0..steps {
            // New keys keep coming (the range grows), so promotions do too.
            let k = next() % (8 + i / 40);
            match next() % 3 {
                0 => {
                    m.store(k, i);
                    model.insert(k, i);
                }
                1 => assert_eq!(m.swap(k, i), model.insert(k, i), "swap({k}) at step {i}"),
                _ => assert_eq!(m.load(&k), model.get(&k).copied(), "load({k}) at step {i}"),
            }
            if m.snapshot_id() != last {
                promotions += 1;
                last = m.snapshot_id();
            }
        }
        // Scaled like `steps`: Miri's 300 steps promote only a couple of times.
        let want = testkit::scale(5, 5, 1);
        assert!(
            promotions > want,
            "the run should promote more than {want} times, not {promotions}"
        );
        for (k, v) in &model {
            assert_eq!(m.load(k), Some(*v));
        }
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
            for round in 0..5u64 {
                for k in 0..8u64 {
                    m.store(k + round, Counted(Arc::clone(&drops)));
                    made += 1;
                    if let Some(clone) = m.load(&k) {
                        made += 1;
                        drop(clone);
                    }
                }
            }
            made
        };
        // `made` counts the clones that `load` returned too.
        assert_eq!(
            drops.load(SeqCst),
            made,
            "every value stored (and every clone loaded) is dropped exactly once"
        );
    });
}

#[test]
fn threads_on_their_own_keys_see_their_own_values() {
    let n = testkit::scale(2000, 20_000, 30) as u64;
    testkit::watchdog(move || {
        let m = Arc::new(Map::new());
        let handles: Vec<_> = (0..4u64)
            .map(|t| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for i in 0..n {
                        let k = t * 1000 + i % 50;
                        m.store(k, i);
                        assert_eq!(m.load(&k), Some(i), "thread {t} lost its own store");
                        assert_eq!(m.load(&(k + 500)), None);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        for t in 0..4u64 {
            for j in 0..50u64.min(n) {
                let last = (0..n).filter(|i| i % 50 == j).max().unwrap();
                assert_eq!(m.load(&(t * 1000 + j)), Some(last));
            }
        }
    });
}
