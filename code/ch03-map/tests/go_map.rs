//! Ports of Go's `sync/map_test.go` (go1.23.5), one test per Go test, named
//! after it. Go's two allocation tests are in `allocations.rs` (they need a
//! counting global allocator, so their own test binary). Every test that
//! starts threads runs under the watchdog.
//!
//! Go checks its map against two reference maps with `testing/quick`; the
//! ports do it with `proptest`, over every operation (Go generates values
//! only for `Store` and `LoadOrStore`, so its `CompareAndSwap` and
//! `CompareAndDelete` calls compare with nil and always fail; here they
//! compare with generated values and often succeed), plus `Range` as a call
//! of its own.

mod reference;

use std::collections::{BTreeMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use ch03_map::{Map, Reclaim};
use proptest::prelude::*;
use proptest::test_runner::Config as ProptestConfig;
use reference::{DeepCopyMap, MapInterface, RwMutexMap};

/// Whether this run covers the `Epoch` scheme: always, except under Miri's
/// default Stacked Borrows, which `crossbeam-epoch` 0.9 breaks in its own
/// code (its CI runs Miri with Tree Borrows instead:
/// <https://github.com/crossbeam-rs/crossbeam/pull/996>). To include it
/// under Miri: `CH03_MIRI_EPOCH=1 MIRIFLAGS="-Zmiri-tree-borrows
/// -Zmiri-env-forward=CH03_MIRI_EPOCH" cargo +nightly miri test ...`.
fn with_epoch() -> bool {
    !cfg!(miri) || std::env::var_os("CH03_MIRI_EPOCH").is_some()
}

impl<R: Reclaim> MapInterface<String, String> for Map<String, String, R> {
    fn load(&self, key: &String) -> Option<String> {
        Map::load(self, key)
    }
    fn store(&self, key: String, value: String) {
        Map::store(self, key, value);
    }
    fn load_or_store(&self, key: String, value: String) -> (String, bool) {
        Map::load_or_store(self, key, value)
    }
    fn load_and_delete(&self, key: &String) -> Option<String> {
        Map::load_and_delete(self, key)
    }
    fn delete(&self, key: &String) {
        Map::delete(self, key);
    }
    fn swap(&self, key: String, value: String) -> Option<String> {
        Map::swap(self, key, value)
    }
    fn compare_and_swap(&self, key: &String, old: &String, new: String) -> bool {
        Map::compare_and_swap(self, key, old, new)
    }
    fn compare_and_delete(&self, key: &String, old: &String) -> bool {
        Map::compare_and_delete(self, key, old)
    }
    fn range(&self, f: &mut dyn FnMut(&String, &String) -> bool) {
        Map::range(self, f);
    }
    fn clear(&self) {
        Map::clear(self);
    }
}

/// Go's [`mapCall`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L45):
/// one operation and its arguments.
#[derive(Clone, Debug)]
enum MapCall {
    Load(String),
    Store(String, String),
    LoadOrStore(String, String),
    LoadAndDelete(String),
    Delete(String),
    Swap(String, String),
    CompareAndSwap(String, String, String),
    CompareAndDelete(String, String),
    /// `Range`, stopping after this many entries (0: visit them all).
    Range(usize),
    Clear,
}

/// Go's `mapResult`, widened: what one call returned.
#[derive(Debug, PartialEq)]
enum MapResult {
    /// The value and the flag of Go's `(any, bool)` results.
    Value(Option<String>, bool),
    /// A full `Range`: every entry it visited.
    Entries(BTreeMap<String, String>),
    /// A `Range` stopped early: how many entries it visited.
    Visited(usize),
}

/// Go's [`apply`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L50).
/// A successful `CompareAndDelete` is followed by a `Load` of the key, as
/// in Go, which must then find nothing.
fn apply(m: &dyn MapInterface<String, String>, call: &MapCall) -> MapResult {
    use MapResult::Value;
    match call.clone() {
        MapCall::Load(k) => {
            let v = m.load(&k);
            let ok = v.is_some();
            Value(v, ok)
        }
        MapCall::Store(k, v) => {
            m.store(k, v);
            Value(None, false)
        }
        MapCall::LoadOrStore(k, v) => {
            let (v, loaded) = m.load_or_store(k, v);
            Value(Some(v), loaded)
        }
        MapCall::LoadAndDelete(k) => {
            let v = m.load_and_delete(&k);
            let ok = v.is_some();
            Value(v, ok)
        }
        MapCall::Delete(k) => {
            m.delete(&k);
            Value(None, false)
        }
        MapCall::Swap(k, v) => {
            let v = m.swap(k, v);
            let ok = v.is_some();
            Value(v, ok)
        }
        MapCall::CompareAndSwap(k, old, new) => Value(None, m.compare_and_swap(&k, &old, new)),
        MapCall::CompareAndDelete(k, old) => {
            let deleted = m.compare_and_delete(&k, &old);
            Value(if deleted { m.load(&k) } else { None }, deleted)
        }
        MapCall::Range(0) => MapResult::Entries(contents(m)),
        MapCall::Range(n) => {
            let mut visited = 0;
            m.range(&mut |_, _| {
                visited += 1;
                visited < n
            });
            MapResult::Visited(visited)
        }
        MapCall::Clear => {
            m.clear();
            Value(None, false)
        }
    }
}

/// Every entry `range` visits; fails if it visits a key twice.
fn contents(m: &dyn MapInterface<String, String>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    m.range(&mut |k, v| {
        assert!(
            out.insert(k.clone(), v.clone()).is_none(),
            "range visited {k:?} twice"
        );
        true
    });
    out
}

/// Go's [`applyCalls`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L109):
/// the result of each call, then the final contents as `range` sees them.
fn apply_calls(
    m: &dyn MapInterface<String, String>,
    calls: &[MapCall],
) -> (Vec<MapResult>, BTreeMap<String, String>) {
    let results = calls.iter().map(|c| apply(m, c)).collect();
    (results, contents(m))
}

/// A small key space, as Go's `randValue` makes one: strings of up to two
/// letters, a quarter of them empty (Go: up to three of 26 letters). Few
/// keys means the calls keep meeting the same entries in every state:
/// deleted, expunged, only in the dirty map, promoted.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![1 => Just(String::new()), 3 => "[a-d]{1,2}"]
}

/// Values from a smaller space still, so that `CompareAndSwap` and
/// `CompareAndDelete` often find the value they compare with.
fn value() -> impl Strategy<Value = String> {
    "[xy]{0,2}"
}

/// Go's [`mapCall.Generate`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L100),
/// with `Range` added: every operation equally likely.
fn map_call() -> impl Strategy<Value = MapCall> {
    prop_oneof![
        key().prop_map(MapCall::Load),
        (key(), value()).prop_map(|(k, v)| MapCall::Store(k, v)),
        (key(), value()).prop_map(|(k, v)| MapCall::LoadOrStore(k, v)),
        key().prop_map(MapCall::LoadAndDelete),
        key().prop_map(MapCall::Delete),
        (key(), value()).prop_map(|(k, v)| MapCall::Swap(k, v)),
        (key(), value(), value()).prop_map(|(k, o, n)| MapCall::CompareAndSwap(k, o, n)),
        (key(), value()).prop_map(|(k, v)| MapCall::CompareAndDelete(k, v)),
        (0..4usize).prop_map(MapCall::Range),
        Just(MapCall::Clear),
    ]
}

fn calls() -> impl Strategy<Value = Vec<MapCall>> {
    proptest::collection::vec(map_call(), 0..testkit::scale(200, 400, 40))
}

/// `testing/quick`'s 100 cases by default, many more with `GOSYNC_LONG=1`,
/// a few under Miri. No failure file: Miri has no file system.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: testkit::scale(256, 4096, 3) as u32,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

fn assert_same(
    name: &str,
    calls: &[MapCall],
    ours: (Vec<MapResult>, BTreeMap<String, String>),
    want: &(Vec<MapResult>, BTreeMap<String, String>),
) -> Result<(), TestCaseError> {
    for (i, (got, want)) in ours.0.iter().zip(&want.0).enumerate() {
        prop_assert_eq!(got, want, "{}: call {} ({:?}) differs", name, i, &calls[i]);
    }
    prop_assert_eq!(&ours.1, &want.1, "{}: final contents differ", name);
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    /// Port of `TestMapMatchesRWMutex`: any sequence of calls gives the same
    /// results and leaves the same contents in `Map` as in the lock-based
    /// reference map
    /// ([`TestMapMatchesRWMutex`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L136)).
    #[test]
    fn test_map_matches_rwmutex(calls in calls()) {
        let want = apply_calls(&RwMutexMap::default(), &calls);
        assert_same("Map", &calls, apply_calls(&Map::new(), &calls), &want)?;
    }

    /// Port of `TestMapMatchesDeepCopy`: the same against the copy-on-write
    /// reference map
    /// ([`TestMapMatchesDeepCopy`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L142)).
    #[test]
    fn test_map_matches_deep_copy(calls in calls()) {
        let want = apply_calls(&DeepCopyMap::default(), &calls);
        assert_same("Map", &calls, apply_calls(&Map::new(), &calls), &want)?;
    }

    /// Not in Go (which has one collector): the same property for the map
    /// on each reclamation scheme, and the two reference maps agreeing.
    #[test]
    fn every_reclaim_scheme_matches_rwmutex(calls in calls()) {
        let want = apply_calls(&RwMutexMap::default(), &calls);
        let seize: Map<String, String> = Map::new();
        assert_same("Seize", &calls, apply_calls(&seize, &calls), &want)?;
        if with_epoch() {
            let epoch: Map<String, String, _> = Map::new_epoch();
            assert_same("Epoch", &calls, apply_calls(&epoch, &calls), &want)?;
        }
        let at_drop: Map<String, String, _> = Map::new_at_map_drop();
        assert_same("AtMapDrop", &calls, apply_calls(&at_drop, &calls), &want)?;
        let deep = DeepCopyMap::default();
        assert_same("DeepCopyMap", &calls, apply_calls(&deep, &calls), &want)?;
    }
}

/// A small deterministic generator (splitmix64), standing in for Go's
/// seeded `math/rand` sources.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Go's `Int63n`: uniform in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Port of `TestConcurrentRange`: while every thread loads all keys and now
/// and then stores a new multiple of a key under it, `range` visits every
/// key exactly once and sees only multiples
/// ([`TestConcurrentRange`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L148)).
/// Go's 1024 keys and 1024 ranges (16 in `-short` mode); 64 ranges by
/// default here, 32 keys and 2 ranges under Miri.
#[test]
fn test_concurrent_range() {
    let map_size: u64 = testkit::scale(1 << 10, 1 << 10, 32) as u64;
    let iters = testkit::scale(64, 1 << 10, 2);
    testkit::watchdog(move || {
        let m = Map::new();
        for n in 1..=map_size {
            m.store(n, n);
        }
        let done = std::sync::atomic::AtomicBool::new(false);
        thread::scope(|s| {
            for g in (1..=testkit::gomaxprocs().max(2) as u64).rev() {
                let (m, done) = (&m, &done);
                s.spawn(move || {
                    let mut r = Rng(g);
                    let mut i: u64 = 0;
                    while !done.load(SeqCst) {
                        for n in 1..map_size {
                            if r.below(map_size) == 0 {
                                m.store(n, n.wrapping_mul(i).wrapping_mul(g));
                            } else {
                                m.load(&n);
                            }
                        }
                        i += 1;
                    }
                });
            }
            // Stop the workers even if a check below fails.
            struct Stop<'a>(&'a std::sync::atomic::AtomicBool);
            impl Drop for Stop<'_> {
                fn drop(&mut self) {
                    self.0.store(true, SeqCst);
                }
            }
            let _stop = Stop(&done);
            for _ in 0..iters {
                let mut seen = HashSet::with_capacity(map_size as usize);
                m.range(|&k, &v| {
                    assert!(
                        v % k == 0,
                        "while storing multiples of {k}, range saw value {v}"
                    );
                    assert!(seen.insert(k), "range visited key {k} twice");
                    true
                });
                assert_eq!(
                    seen.len() as u64,
                    map_size,
                    "range visited {} elements of {map_size}-element Map",
                    seen.len()
                );
            }
        });
    });
}

/// A key that counts its drops (Go's finalizer on the key), equal to and
/// hashed as its id, so that it can be deleted by id without a copy of it.
struct FinalizedKey {
    id: u64,
    finalized: Arc<AtomicUsize>,
}

impl Clone for FinalizedKey {
    fn clone(&self) -> Self {
        FinalizedKey {
            id: self.id,
            finalized: Arc::clone(&self.finalized),
        }
    }
}

impl Drop for FinalizedKey {
    fn drop(&mut self) {
        self.finalized.fetch_add(1, SeqCst);
    }
}

impl PartialEq for FinalizedKey {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for FinalizedKey {}
impl Hash for FinalizedKey {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}
impl std::borrow::Borrow<u64> for FinalizedKey {
    fn borrow(&self) -> &u64 {
        &self.id
    }
}

/// Go's `TestIssue40999` on one map: store and delete fresh keys until one
/// is dropped; then, more strictly than Go, deleted keys do not pile up.
fn issue_40999<R: Reclaim>(m: Map<FinalizedKey, (), R>) {
    // The bias entry: more keys in the dirty map than misses.
    let bias = Arc::new(AtomicUsize::new(0));
    m.store(
        FinalizedKey {
            id: u64::MAX,
            finalized: bias,
        },
        (),
    );
    let finalized = Arc::new(AtomicUsize::new(0));
    let rounds = testkit::scale(1000, 100_000, 20) as u64;
    let mut first_drop = None;
    for id in 0..rounds {
        m.store(
            FinalizedKey {
                id,
                finalized: Arc::clone(&finalized),
            },
            (),
        );
        m.delete(&id);
        let dropped = finalized.load(SeqCst) as u64;
        if dropped > 0 && first_drop.is_none() {
            first_drop = Some(id);
        }
        // Every key made so far (id + 1 of them), less the dropped ones.
        let live = id + 1 - dropped;
        assert!(
            live <= 2,
            "after {} store/delete rounds, {live} deleted keys are still held",
            id + 1
        );
    }
    assert!(first_drop.is_some(), "no deleted key was ever dropped");
}

/// Port of `TestIssue40999`: keys that are stored and deleted are freed
/// (Go's issue 40999: Go 1.15's `LoadAndDelete` did not remove a key that
/// only the dirty map held, so it was never freed). Go waits for a finalizer to
/// run; here each key counts its drops, on every reclamation scheme
/// ([`TestIssue40999`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L209)).
#[test]
fn test_issue40999() {
    issue_40999(Map::new());
    if with_epoch() {
        issue_40999(Map::new_epoch());
    }
    issue_40999(Map::new_at_map_drop());
}

/// Port of `TestMapRangeNestedCall` (Go's issue 46399): a range inside a
/// range loads each key it is offered, stores, loads and deletes key 42;
/// the outer range deletes each key; afterwards the map is empty
/// ([`TestMapRangeNestedCall`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L232)).
#[test]
fn test_map_range_nested_call() {
    testkit::watchdog(|| {
        let m = Map::new();
        for (i, v) in ["hello", "world", "Go"].into_iter().enumerate() {
            m.store(i, v);
        }
        m.range(|&key, _| {
            m.range(|&key, &value| {
                // No concurrent deletes: the offered key loads its value.
                assert_eq!(
                    m.load(&key),
                    Some(value),
                    "nested range loads an unexpected value"
                );
                // 42 was never kept: a loaded value would be a stale entry.
                assert_eq!(
                    m.load_or_store(42, "dummy"),
                    ("dummy", false),
                    "nested range loads an unexpected value, want store a new value"
                );
                let val = "sync.Map";
                m.store(42, val);
                assert_eq!(
                    m.load_and_delete(&42),
                    Some(val),
                    "nested range loads an unexpected value"
                );
                true
            });
            m.delete(&key);
            true
        });
        let mut length = 0;
        m.range(|_, _| {
            length += 1;
            true
        });
        assert_eq!(length, 0, "unexpected Map size");
    });
}

/// Port of `TestCompareAndSwap_NonExistingKey`: a compare-and-swap on a
/// key the map lacks fails (Go's issue 51972: it must not treat a missing
/// key as holding nil) and stores nothing; here also on a map with other
/// keys, new and promoted, and on a deleted key
/// ([`TestCompareAndSwap_NonExistingKey`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L282)).
#[test]
fn test_compare_and_swap_non_existing_key() {
    let m: Map<u32, Option<u32>> = Map::new();
    assert!(
        !m.compare_and_swap(&1, &None, Some(42)),
        "compare_and_swap on a non-existing key succeeded"
    );
    assert_eq!(m.load(&1), None);
    // Other keys only in the dirty map (the read snapshot is amended).
    m.store(2, None);
    assert!(!m.compare_and_swap(&1, &None, Some(42)));
    // Promoted to the read snapshot.
    m.range(|_, _| true);
    assert!(!m.compare_and_swap(&1, &None, Some(42)));
    // Deleted, in the snapshot and after a new dirty map expunged it.
    m.delete(&2);
    assert!(!m.compare_and_swap(&2, &None, Some(42)));
    m.store(3, None);
    assert!(!m.compare_and_swap(&2, &None, Some(42)));
    assert_eq!(m.load(&1), None);
    assert_eq!(m.load(&2), None);
    let mut n = 0;
    m.range(|_, _| {
        n += 1;
        true
    });
    assert_eq!(n, 1, "only key 3 is left");
}

/// Port of `TestConcurrentClear`: ten threads store, ten load, ten clear,
/// all at once; a value loaded is one that was stored, and after a last
/// `clear` the map is empty
/// ([`TestConcurrentClear`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L305)).
/// Repeated (once in Go) so that the threads overlap more than once.
#[test]
fn test_concurrent_clear() {
    let rounds = testkit::scale(50, 1000, 1);
    testkit::watchdog(move || {
        for _ in 0..rounds {
            let m = Map::new();
            thread::scope(|s| {
                let m = &m;
                for i in 0..10u32 {
                    s.spawn(move || m.store(i, i * 10));
                }
                for i in 0..10u32 {
                    s.spawn(move || {
                        if let Some(v) = m.load(&i) {
                            assert_eq!(v, i * 10, "key {i} loaded a value never stored");
                        }
                    });
                }
                for _ in 0..10 {
                    s.spawn(move || m.clear());
                }
            });
            m.clear();
            m.range(|k, v| panic!("after clear, Map contains ({k}, {v}); expected to be empty"));
            assert_eq!(m.load(&0), None);
        }
    });
}

/// Not in Go: a `load_or_store` that stores returns the value it was given
/// (Go returns its argument), even when another thread replaces or deletes
/// the key just after. The main thread calls `load_or_store(i, (i, 0))` on
/// fresh keys, so that each call takes the path that adds a key to the
/// dirty map; two threads store `(i, 1)` and delete the key being added.
#[test]
fn load_or_store_returns_the_value_it_stored() {
    let rounds = testkit::scale(300_000, 3_000_000, 300) as u64;
    testkit::watchdog(move || {
        let m: Map<u64, (u64, u64)> = Map::new();
        let done = std::sync::atomic::AtomicBool::new(false);
        let current = std::sync::atomic::AtomicU64::new(0);
        thread::scope(|s| {
            for t in 0..2u64 {
                let (m, done, current) = (&m, &done, &current);
                s.spawn(move || {
                    let mut i = t;
                    while !done.load(SeqCst) {
                        let k = current.load(SeqCst);
                        if i % 2 == 0 {
                            m.store(k, (k, 1));
                        } else {
                            m.delete(&k);
                        }
                        i += 1;
                    }
                });
            }
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                for k in 1..rounds {
                    current.store(k, SeqCst);
                    let (v, loaded) = m.load_or_store(k, (k, 0));
                    if !loaded {
                        assert_eq!(v, (k, 0), "load_or_store stored (k, 0) but returned");
                    }
                }
            }));
            done.store(true, SeqCst);
            if let Err(p) = result {
                std::panic::resume_unwind(p);
            }
        });
    });
}
