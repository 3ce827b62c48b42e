//! Benchmarks after Go's `sync/map_bench_test.go` (go1.23.5): every one of
//! its benchmarks, under Go's name, with Go's setup and Go's operations in
//! Go's order per iteration.
//!
//! Go runs each benchmark on three maps behind its `mapInterface`; here the
//! [`GoMap`] trait plays that part for six:
//!
//! * `ch03 Map`: this chapter's map on `seize` (the default);
//! * `ch03 Map (epoch)`: the same map on `crossbeam-epoch`, the chapter's
//!   comparison of reclamation schemes;
//! * `std RwLock<HashMap>`: a `std::sync::RwLock` around a `HashMap`, the
//!   Rust twin of Go's `RWMutexMap`;
//! * `dashmap` (6), `papaya` (0.2) and `scc HashMap` (3): the concurrent maps
//!   Rust programs reach for.
//!
//! Every map hashes with [`ch03_map::Hasher`] (foldhash), so that what is
//! compared is the structure around the hash, not the hash. Keys and values
//! are `u64`, Go's `int`s.
//!
//! As in Go's `benchMap`, every timed run gets a fresh map and its own setup
//! (untimed), then runs on each thread from a starting index of
//! `thread * iterations` (Go's `id*b.N`), counting up by one per iteration.
//! Every parallel group runs at each thread count in `GOSYNC_BENCH_THREADS`
//! (`1,2` by default, Go's `-cpu 1,2`); its time is wall time over all
//! threads' iterations, as Go's ns/op.
//!
//! `cargo bench -p ch03-map`, or one group: `cargo bench -p ch03-map -- LoadMostlyHits`

use std::collections::HashMap;
use std::hint::black_box;
use std::sync::RwLock;

use ch03_map::{Epoch, Hasher, Map, Seize};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use testkit::{bench_threads, run_parallel};

/// Go's `mapInterface` for `u64` keys and values: each method is one of
/// Go's, with Go's meaning.
trait GoMap: Sync + Sized {
    const NAME: &'static str;
    fn new() -> Self;
    fn load(&self, key: u64) -> Option<u64>;
    fn store(&self, key: u64, value: u64);
    /// The value now stored for `key`, and whether it was there before.
    fn load_or_store(&self, key: u64, value: u64) -> (u64, bool);
    fn load_and_delete(&self, key: u64) -> Option<u64>;
    fn delete(&self, key: u64);
    fn swap(&self, key: u64, value: u64) -> Option<u64>;
    fn compare_and_swap(&self, key: u64, old: u64, new: u64) -> bool;
    fn compare_and_delete(&self, key: u64, old: u64) -> bool;
    /// Calls `f` on entries until it returns `false`. `f` must not use the
    /// map: some peers hold a lock while they iterate.
    fn range(&self, f: impl FnMut(u64, u64) -> bool);
    fn clear(&self);

    /// `AdversarialDelete`'s range: visit one entry, delete it, stop. Go
    /// deletes from inside the callback; a peer that holds a lock while it
    /// iterates (it would deadlock on itself) deletes the key just after.
    fn delete_first(&self) {
        let mut first = None;
        self.range(|k, _| {
            first = Some(k);
            false
        });
        if let Some(k) = first {
            self.delete(k);
        }
    }
}

/// This chapter's map, on one reclamation scheme.
macro_rules! ch03_map {
    ($scheme:ty, $name:literal, $new:expr) => {
        impl GoMap for Map<u64, u64, $scheme> {
            const NAME: &'static str = $name;
            fn new() -> Self {
                $new
            }
            fn load(&self, key: u64) -> Option<u64> {
                Map::load(self, &key)
            }
            fn store(&self, key: u64, value: u64) {
                Map::store(self, key, value);
            }
            fn load_or_store(&self, key: u64, value: u64) -> (u64, bool) {
                Map::load_or_store(self, key, value)
            }
            fn load_and_delete(&self, key: u64) -> Option<u64> {
                Map::load_and_delete(self, &key)
            }
            fn delete(&self, key: u64) {
                Map::delete(self, &key);
            }
            fn swap(&self, key: u64, value: u64) -> Option<u64> {
                Map::swap(self, key, value)
            }
            fn compare_and_swap(&self, key: u64, old: u64, new: u64) -> bool {
                Map::compare_and_swap(self, &key, &old, new)
            }
            fn compare_and_delete(&self, key: u64, old: u64) -> bool {
                Map::compare_and_delete(self, &key, &old)
            }
            fn range(&self, mut f: impl FnMut(u64, u64) -> bool) {
                Map::range(self, |k, v| f(*k, *v));
            }
            fn clear(&self) {
                Map::clear(self);
            }
            fn delete_first(&self) {
                // As Go's: the callback deletes from the map it ranges over.
                Map::range(self, |k, _| {
                    Map::delete(self, k);
                    false
                });
            }
        }
    };
}

ch03_map!(Seize, "ch03 Map", Map::new());
ch03_map!(Epoch, "ch03 Map (epoch)", Map::new_epoch());

/// Go's `RWMutexMap` in Rust: loads share the lock, everything else takes it
/// exclusively.
struct StdRwLock(RwLock<HashMap<u64, u64, Hasher>>);

impl GoMap for StdRwLock {
    const NAME: &'static str = "std RwLock<HashMap>";
    fn new() -> Self {
        Self(RwLock::new(HashMap::with_hasher(Hasher::default())))
    }
    fn load(&self, key: u64) -> Option<u64> {
        self.0.read().unwrap().get(&key).copied()
    }
    fn store(&self, key: u64, value: u64) {
        self.0.write().unwrap().insert(key, value);
    }
    fn load_or_store(&self, key: u64, value: u64) -> (u64, bool) {
        use std::collections::hash_map::Entry;
        match self.0.write().unwrap().entry(key) {
            Entry::Occupied(e) => (*e.get(), true),
            Entry::Vacant(e) => (*e.insert(value), false),
        }
    }
    fn load_and_delete(&self, key: u64) -> Option<u64> {
        self.0.write().unwrap().remove(&key)
    }
    fn delete(&self, key: u64) {
        self.0.write().unwrap().remove(&key);
    }
    fn swap(&self, key: u64, value: u64) -> Option<u64> {
        self.0.write().unwrap().insert(key, value)
    }
    fn compare_and_swap(&self, key: u64, old: u64, new: u64) -> bool {
        match self.0.write().unwrap().get_mut(&key) {
            Some(v) if *v == old => {
                *v = new;
                true
            }
            _ => false,
        }
    }
    fn compare_and_delete(&self, key: u64, old: u64) -> bool {
        let mut m = self.0.write().unwrap();
        if m.get(&key) == Some(&old) {
            m.remove(&key);
            true
        } else {
            false
        }
    }
    fn range(&self, mut f: impl FnMut(u64, u64) -> bool) {
        // Iterates under the read lock, as Rust code would. Go's
        // `RWMutexMap` copies the keys out instead and loads each one again,
        // so that its callback may use the map.
        for (k, v) in self.0.read().unwrap().iter() {
            if !f(*k, *v) {
                break;
            }
        }
    }
    fn clear(&self) {
        self.0.write().unwrap().clear();
    }
}

/// `dashmap`: a `RwLock<HashMap>` per shard. Every operation but a load
/// write-locks the key's shard, so each of Go's ops is atomic here.
struct Dash(dashmap::DashMap<u64, u64, Hasher>);

impl GoMap for Dash {
    const NAME: &'static str = "dashmap";
    fn new() -> Self {
        Self(dashmap::DashMap::with_hasher(Hasher::default()))
    }
    fn load(&self, key: u64) -> Option<u64> {
        self.0.get(&key).map(|r| *r)
    }
    fn store(&self, key: u64, value: u64) {
        self.0.insert(key, value);
    }
    fn load_or_store(&self, key: u64, value: u64) -> (u64, bool) {
        use dashmap::mapref::entry::Entry;
        match self.0.entry(key) {
            Entry::Occupied(e) => (*e.get(), true),
            Entry::Vacant(e) => (*e.insert(value), false),
        }
    }
    fn load_and_delete(&self, key: u64) -> Option<u64> {
        self.0.remove(&key).map(|(_, v)| v)
    }
    fn delete(&self, key: u64) {
        self.0.remove(&key);
    }
    fn swap(&self, key: u64, value: u64) -> Option<u64> {
        self.0.insert(key, value)
    }
    fn compare_and_swap(&self, key: u64, old: u64, new: u64) -> bool {
        // No compare-and-swap: compare and set under the shard's write lock
        // (`get_mut`), which is what a CAS promises.
        match self.0.get_mut(&key) {
            Some(mut v) if *v == old => {
                *v = new;
                true
            }
            _ => false,
        }
    }
    fn compare_and_delete(&self, key: u64, old: u64) -> bool {
        self.0.remove_if(&key, |_, v| *v == old).is_some()
    }
    fn range(&self, mut f: impl FnMut(u64, u64) -> bool) {
        // Holds each shard's read lock while it visits that shard.
        for r in self.0.iter() {
            if !f(*r.key(), *r.value()) {
                break;
            }
        }
    }
    fn clear(&self) {
        self.0.clear();
    }
}

/// `papaya`: lock-free, on `seize` like our default. Each op pins its own
/// guard, as each of our map's ops enters one.
struct Papaya(papaya::HashMap<u64, u64, Hasher>);

impl GoMap for Papaya {
    const NAME: &'static str = "papaya";
    fn new() -> Self {
        Self(papaya::HashMap::with_hasher(Hasher::default()))
    }
    fn load(&self, key: u64) -> Option<u64> {
        self.0.pin().get(&key).copied()
    }
    fn store(&self, key: u64, value: u64) {
        self.0.pin().insert(key, value);
    }
    fn load_or_store(&self, key: u64, value: u64) -> (u64, bool) {
        match self.0.pin().try_insert(key, value) {
            Ok(v) => (*v, false),
            Err(e) => (*e.current, true),
        }
    }
    fn load_and_delete(&self, key: u64) -> Option<u64> {
        self.0.pin().remove(&key).copied()
    }
    fn delete(&self, key: u64) {
        self.0.pin().remove(&key);
    }
    fn swap(&self, key: u64, value: u64) -> Option<u64> {
        self.0.pin().insert(key, value).copied()
    }
    fn compare_and_swap(&self, key: u64, old: u64, new: u64) -> bool {
        // No compare-and-swap by value: `compute` installs the new value with
        // a CAS on the entry it read, and retries the closure if the entry
        // changed in between; a missing key or another value aborts.
        use papaya::{Compute, Operation};
        let cas = |e: Option<(&u64, &u64)>| match e {
            Some((_, v)) if *v == old => Operation::Insert(new),
            _ => Operation::Abort(()),
        };
        matches!(self.0.pin().compute(key, cas), Compute::Updated { .. })
    }
    fn compare_and_delete(&self, key: u64, old: u64) -> bool {
        matches!(self.0.pin().remove_if(&key, |_, v| *v == old), Ok(Some(_)))
    }
    fn range(&self, mut f: impl FnMut(u64, u64) -> bool) {
        for (k, v) in self.0.pin().iter() {
            if !f(*k, *v) {
                break;
            }
        }
    }
    fn clear(&self) {
        self.0.pin().clear();
    }
    fn delete_first(&self) {
        // Lock-free iteration: deleting from inside it is allowed, as in Go.
        let m = self.0.pin();
        if let Some((k, _)) = m.iter().next() {
            m.remove(k);
        }
    }
}

/// `scc::HashMap`: buckets with their own locks, readers on epochs. `read`,
/// `upsert`, `entry`, `remove`, `update` and `remove_if` each lock one
/// bucket (or none, to read).
struct Scc(scc::HashMap<u64, u64, Hasher>);

impl GoMap for Scc {
    const NAME: &'static str = "scc HashMap";
    fn new() -> Self {
        Self(scc::HashMap::with_hasher(Hasher::default()))
    }
    fn load(&self, key: u64) -> Option<u64> {
        self.0.read_sync(&key, |_, v| *v)
    }
    fn store(&self, key: u64, value: u64) {
        self.0.upsert_sync(key, value);
    }
    fn load_or_store(&self, key: u64, value: u64) -> (u64, bool) {
        use scc::hash_map::Entry;
        match self.0.entry_sync(key) {
            Entry::Occupied(e) => (*e.get(), true),
            Entry::Vacant(e) => (*e.insert_entry(value).get(), false),
        }
    }
    fn load_and_delete(&self, key: u64) -> Option<u64> {
        self.0.remove_sync(&key).map(|(_, v)| v)
    }
    fn delete(&self, key: u64) {
        self.0.remove_sync(&key);
    }
    fn swap(&self, key: u64, value: u64) -> Option<u64> {
        self.0.upsert_sync(key, value)
    }
    fn compare_and_swap(&self, key: u64, old: u64, new: u64) -> bool {
        // No compare-and-swap: compare and set under the bucket's lock
        // (`update_sync`), which, unlike an entry, never inserts.
        let set = |_: &u64, v: &mut u64| {
            let hit = *v == old;
            if hit {
                *v = new;
            }
            hit
        };
        self.0.update_sync(&key, set) == Some(true)
    }
    fn compare_and_delete(&self, key: u64, old: u64) -> bool {
        self.0.remove_if_sync(&key, |v| *v == old).is_some()
    }
    fn range(&self, mut f: impl FnMut(u64, u64) -> bool) {
        // Holds each bucket's read lock while it visits that bucket.
        self.0.iter_sync(|k, v| f(*k, *v));
    }
    fn clear(&self) {
        self.0.clear_sync();
    }
}

/// Go's `benchMap` for one map: at each thread count, every timed run gets a
/// fresh map, `setup` (untimed), then `per_g(map, start, n)` on each thread,
/// `start` being Go's `id*b.N`.
fn bench_map<M: GoMap>(
    c: &mut Criterion,
    group: &str,
    setup: impl Fn(&M),
    per_g: impl Fn(&M, u64, u64) + Sync,
) {
    for threads in bench_threads() {
        c.benchmark_group(group)
            .bench_function(BenchmarkId::new(M::NAME, threads), |b| {
                b.iter_custom(|iters| {
                    let m = M::new();
                    setup(&m);
                    let elapsed = run_parallel(threads, iters, |id, n| {
                        per_g(&m, id as u64 * iters, n);
                    });
                    // Freeing the map (and what it retired) is not timed.
                    drop(m);
                    elapsed
                });
            });
    }
}

/// Go's usual setup: store `0..hits` by `LoadOrStore`, then load each of
/// them twice to bring the map to its steady state (for ours: promoted).
fn prime<M: GoMap>(m: &M, hits: u64) {
    for i in 0..hits {
        m.load_or_store(i, i);
    }
    for i in 0..hits * 2 {
        black_box(m.load(i % hits));
    }
}

fn no_setup<M: GoMap>(_: &M) {}

/// `BenchmarkLoadMostlyHits` and `BenchmarkLoadMostlyMisses`: loads cycling
/// over `HITS` stored keys and `MISSES` absent ones.
fn load_mostly<M: GoMap, const HITS: u64, const MISSES: u64>(c: &mut Criterion, group: &str) {
    bench_map::<M>(
        c,
        group,
        |m| prime(m, HITS),
        |m, start, n| {
            for i in start..start + n {
                black_box(m.load(i % (HITS + MISSES)));
            }
        },
    );
}

fn load_mostly_hits<M: GoMap>(c: &mut Criterion) {
    load_mostly::<M, 1023, 1>(c, "LoadMostlyHits");
}

fn load_mostly_misses<M: GoMap>(c: &mut Criterion) {
    load_mostly::<M, 1, 1023>(c, "LoadMostlyMisses");
}

/// `BenchmarkLoadOrStoreBalanced`: half the iterations find one of 128
/// stored keys, half store a key never seen before.
fn load_or_store_balanced<M: GoMap>(c: &mut Criterion) {
    const HITS: u64 = 128;
    const MISSES: u64 = 128;
    bench_map::<M>(
        c,
        "LoadOrStoreBalanced",
        |m| prime(m, HITS),
        |m, start, n| {
            for i in start..start + n {
                let j = i % (HITS + MISSES);
                if j < HITS {
                    let (_, loaded) = m.load_or_store(j, i);
                    assert!(loaded, "unexpected miss for {j}");
                } else {
                    let (v, loaded) = m.load_or_store(i, i);
                    assert!(!loaded, "failed to store {i}: existing value {v}");
                }
            }
        },
    );
}

/// `BenchmarkLoadOrStoreUnique`: every iteration stores a new key.
fn load_or_store_unique<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(c, "LoadOrStoreUnique", no_setup, |m, start, n| {
        for i in start..start + n {
            black_box(m.load_or_store(i, i));
        }
    });
}

/// `BenchmarkLoadOrStoreCollision`: every thread loads the one key.
fn load_or_store_collision<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(
        c,
        "LoadOrStoreCollision",
        |m| {
            m.load_or_store(0, 0);
        },
        |m, _, n| {
            for _ in 0..n {
                black_box(m.load_or_store(0, 0));
            }
        },
    );
}

/// `BenchmarkLoadAndDeleteBalanced`: half the iterations delete one of 128
/// keys (stored in setup, so deleted once, then absent), half a key never
/// stored.
fn load_and_delete_balanced<M: GoMap>(c: &mut Criterion) {
    const HITS: u64 = 128;
    const MISSES: u64 = 128;
    bench_map::<M>(
        c,
        "LoadAndDeleteBalanced",
        |m| prime(m, HITS),
        |m, start, n| {
            for i in start..start + n {
                let j = i % (HITS + MISSES);
                if j < HITS {
                    black_box(m.load_and_delete(j));
                } else {
                    black_box(m.load_and_delete(i));
                }
            }
        },
    );
}

/// `BenchmarkLoadAndDeleteUnique`: every iteration deletes a key that is not
/// there.
fn load_and_delete_unique<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(c, "LoadAndDeleteUnique", no_setup, |m, start, n| {
        for i in start..start + n {
            black_box(m.load_and_delete(i));
        }
    });
}

/// `BenchmarkLoadAndDeleteCollision`: every thread deletes the one key and,
/// if it was the one to delete it, stores it back.
fn load_and_delete_collision<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(
        c,
        "LoadAndDeleteCollision",
        |m| {
            m.load_or_store(0, 0);
        },
        |m, _, n| {
            for _ in 0..n {
                if m.load_and_delete(0).is_some() {
                    m.store(0, 0);
                }
            }
        },
    );
}

/// `BenchmarkRange`: every iteration visits all of a 1024-entry map.
fn range<M: GoMap>(c: &mut Criterion) {
    const MAP_SIZE: u64 = 1 << 10;
    bench_map::<M>(
        c,
        "Range",
        |m| {
            for i in 0..MAP_SIZE {
                m.store(i, i);
            }
        },
        |m, _, n| {
            for _ in 0..n {
                m.range(|k, v| {
                    black_box((k, v));
                    true
                });
            }
        },
    );
}

/// `BenchmarkAdversarialAlloc`: every iteration loads a key never stored
/// (for ours: a miss under the lock); a thread stores a new key after as
/// many loads as it has stored keys, which for ours comes just after the
/// misses have promoted the dirty map, so the store copies it back.
fn adversarial_alloc<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(c, "AdversarialAlloc", no_setup, |m, start, n| {
        let (mut stores, mut loads_since_store) = (0u64, 0u64);
        for i in start..start + n {
            black_box(m.load(i));
            loads_since_store += 1;
            if loads_since_store > stores {
                black_box(m.load_or_store(i, stores));
                loads_since_store = 0;
                stores += 1;
            }
        }
    });
}

/// `BenchmarkAdversarialDelete`: in a 1024-entry map, every iteration loads
/// a key, and every 1024th deletes the first key a range visits and stores
/// a new one (for ours: a copy of the whole map to change one entry).
fn adversarial_delete<M: GoMap>(c: &mut Criterion) {
    const MAP_SIZE: u64 = 1 << 10;
    bench_map::<M>(
        c,
        "AdversarialDelete",
        |m| {
            for i in 0..MAP_SIZE {
                m.store(i, i);
            }
        },
        |m, start, n| {
            for i in start..start + n {
                black_box(m.load(i));
                if i % MAP_SIZE == 0 {
                    m.delete_first();
                    m.store(i, i);
                }
            }
        },
    );
}

/// `BenchmarkDeleteCollision`: every thread deletes the one key (there only
/// until the first delete).
fn delete_collision<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(
        c,
        "DeleteCollision",
        |m| {
            m.load_or_store(0, 0);
        },
        |m, _, n| {
            for _ in 0..n {
                m.delete(0);
            }
        },
    );
}

/// `BenchmarkSwapCollision`: every thread swaps the one key.
fn swap_collision<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(
        c,
        "SwapCollision",
        |m| {
            m.load_or_store(0, 0);
        },
        |m, _, n| {
            for _ in 0..n {
                black_box(m.swap(0, 0));
            }
        },
    );
}

/// `BenchmarkSwapMostlyHits` and `BenchmarkSwapMostlyMisses`: a swap of one
/// of `HITS` stored keys, or of a new key, then deleted.
fn swap_mostly<M: GoMap, const HITS: u64, const MISSES: u64>(c: &mut Criterion, group: &str) {
    bench_map::<M>(
        c,
        group,
        |m| prime(m, HITS),
        |m, start, n| {
            for i in start..start + n {
                if i % (HITS + MISSES) < HITS {
                    let v = i % (HITS + MISSES);
                    black_box(m.swap(v, v));
                } else {
                    black_box(m.swap(i, i));
                    m.delete(i);
                }
            }
        },
    );
}

fn swap_mostly_hits<M: GoMap>(c: &mut Criterion) {
    swap_mostly::<M, 1023, 1>(c, "SwapMostlyHits");
}

fn swap_mostly_misses<M: GoMap>(c: &mut Criterion) {
    swap_mostly::<M, 1, 1023>(c, "SwapMostlyMisses");
}

/// `BenchmarkCompareAndSwapCollision`: every thread swaps the one key from
/// 0 to 42 and, if that worked, back.
fn compare_and_swap_collision<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(
        c,
        "CompareAndSwapCollision",
        |m| {
            m.load_or_store(0, 0);
        },
        |m, _, n| {
            for _ in 0..n {
                if m.compare_and_swap(0, 0, 42) {
                    m.compare_and_swap(0, 42, 0);
                }
            }
        },
    );
}

/// `BenchmarkCompareAndSwapNoExistingKey`: every iteration tries a key that
/// is not there.
fn compare_and_swap_no_existing_key<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(c, "CompareAndSwapNoExistingKey", no_setup, |m, start, n| {
        for i in start..start + n {
            if m.compare_and_swap(i, 0, 0) {
                m.delete(i);
            }
        }
    });
}

/// `BenchmarkCompareAndSwapValueNotEqual`: every iteration compares the one
/// key against a value it does not hold.
fn compare_and_swap_value_not_equal<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(
        c,
        "CompareAndSwapValueNotEqual",
        |m| m.store(0, 0),
        |m, _, n| {
            for _ in 0..n {
                black_box(m.compare_and_swap(0, 1, 2));
            }
        },
    );
}

/// Go's key for the `CompareAnd*Mostly*` benchmarks: one of the `HITS`
/// stored keys, or the iteration's own (absent) key.
fn hit_or_own<const HITS: u64, const MISSES: u64>(i: u64) -> u64 {
    if i % (HITS + MISSES) < HITS {
        i % (HITS + MISSES)
    } else {
        i
    }
}

/// `BenchmarkCompareAndSwapMostlyHits` and `...MostlyMisses`: swap a key
/// for its own value (which a stored key holds).
fn compare_and_swap_mostly<M: GoMap, const HITS: u64, const MISSES: u64>(
    c: &mut Criterion,
    group: &str,
) {
    bench_map::<M>(
        c,
        group,
        |m| prime(m, HITS),
        |m, start, n| {
            for i in start..start + n {
                let v = hit_or_own::<HITS, MISSES>(i);
                black_box(m.compare_and_swap(v, v, v));
            }
        },
    );
}

fn compare_and_swap_mostly_hits<M: GoMap>(c: &mut Criterion) {
    compare_and_swap_mostly::<M, 1023, 1>(c, "CompareAndSwapMostlyHits");
}

fn compare_and_swap_mostly_misses<M: GoMap>(c: &mut Criterion) {
    compare_and_swap_mostly::<M, 1, 1023>(c, "CompareAndSwapMostlyMisses");
}

/// `BenchmarkCompareAndDeleteCollision`: every thread deletes the one key
/// if it holds 0 and, if it did, stores it back.
fn compare_and_delete_collision<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(
        c,
        "CompareAndDeleteCollision",
        |m| {
            m.load_or_store(0, 0);
        },
        |m, _, n| {
            for _ in 0..n {
                if m.compare_and_delete(0, 0) {
                    m.store(0, 0);
                }
            }
        },
    );
}

/// `BenchmarkCompareAndDeleteMostlyHits` and `...MostlyMisses`: delete a
/// key if it holds its own value and, if it did, store it back.
fn compare_and_delete_mostly<M: GoMap, const HITS: u64, const MISSES: u64>(
    c: &mut Criterion,
    group: &str,
) {
    bench_map::<M>(
        c,
        group,
        |m| prime(m, HITS),
        |m, start, n| {
            for i in start..start + n {
                let v = hit_or_own::<HITS, MISSES>(i);
                if m.compare_and_delete(v, v) {
                    m.store(v, v);
                }
            }
        },
    );
}

fn compare_and_delete_mostly_hits<M: GoMap>(c: &mut Criterion) {
    compare_and_delete_mostly::<M, 1023, 1>(c, "CompareAndDeleteMostlyHits");
}

fn compare_and_delete_mostly_misses<M: GoMap>(c: &mut Criterion) {
    compare_and_delete_mostly::<M, 1, 1023>(c, "CompareAndDeleteMostlyMisses");
}

/// `BenchmarkClear`: every iteration clears the map and stores one of 256
/// keys.
fn clear<M: GoMap>(c: &mut Criterion) {
    bench_map::<M>(c, "Clear", no_setup, |m, start, n| {
        for i in start..start + n {
            let (k, v) = (i % 256, i % 256);
            m.clear();
            m.store(k, v);
        }
    });
}

/// Runs one benchmark on every map, ours first.
macro_rules! on_every_map {
    ($c:expr, $($bench:ident),+ $(,)?) => {
        $(
            $bench::<Map<u64, u64, Seize>>($c);
            $bench::<Map<u64, u64, Epoch>>($c);
            $bench::<StdRwLock>($c);
            $bench::<Dash>($c);
            $bench::<Papaya>($c);
            $bench::<Scc>($c);
        )+
    };
}

/// In the order of Go's file.
fn benches(c: &mut Criterion) {
    on_every_map!(
        c,
        load_mostly_hits,
        load_mostly_misses,
        load_or_store_balanced,
        load_or_store_unique,
        load_or_store_collision,
        load_and_delete_balanced,
        load_and_delete_unique,
        load_and_delete_collision,
        range,
        adversarial_alloc,
        adversarial_delete,
        delete_collision,
        swap_collision,
        swap_mostly_hits,
        swap_mostly_misses,
        compare_and_swap_collision,
        compare_and_swap_no_existing_key,
        compare_and_swap_value_not_equal,
        compare_and_swap_mostly_hits,
        compare_and_swap_mostly_misses,
        compare_and_delete_collision,
        compare_and_delete_mostly_hits,
        compare_and_delete_mostly_misses,
        clear,
    );
}

criterion_group!(map, benches);
criterion_main!(map);
