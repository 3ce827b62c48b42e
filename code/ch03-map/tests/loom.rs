//! Loom models of the real `Map`: `Map::new()`, which under loom frees its
//! garbage only when it drops (`AtMapDrop`), with its entries' pointers, its
//! snapshot word and chapter 1's mutex all on loom's atomics. Loom runs each
//! model in every interleaving of its operations up to the preemption bound,
//! and lets every weakly ordered load return every value it may.
//!
//! The values are [`Val`]s, whose contents sit in a loom `UnsafeCell`
//! written when the value is made and read by every clone and comparison.
//! A thread that reaches a value, an entry or a snapshot through a pointer
//! loaded without the `Acquire` that pairs with its publisher's `Release`
//! reads memory loom has not seen ordered after its writing, and loom fails
//! the model with a causality violation. Each `Val` is also counted: every
//! one made, and every clone, is dropped exactly once by the time the map
//! has dropped.
//!
//! Two things make loom explore what the models claim:
//!
//! * Loom 0.7's DPOR remembers only the last access to each atomic, so a
//!   load is forgotten once another thread loads the same atomic, and is
//!   never moved after that thread's next store (tokio-rs/loom#166,
//!   tokio-rs/loom#392). Every map operation starts by loading `read`, so
//!   without help a model of a reader and a writer explored one execution.
//!   The help is [`Ledger::step`]: each thread calls it between its
//!   operations, a `Relaxed` read-modify-write of one counter, which loom
//!   sees as conflicting (so it tries every order of the steps) and which
//!   orders no memory (so it hides no missing `Acquire`).
//! * [`explore`] lists each model's linearizable outcomes, fails an
//!   execution that ends in any other, and fails the model if some outcome
//!   was never reached: the proof that loom explored the races, beyond the
//!   execution count (whose floor, as in the other chapters, is a count
//!   observed when the model was written).
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ch03-map --test loom`
#![cfg(loom)]

use ch03_map::Map;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::PoisonError;
use std::sync::atomic::Ordering::Relaxed;
// Bookkeeping outside the model: std atomics, which add no interleavings.
use std::sync::atomic::{AtomicIsize, AtomicUsize};

const TAGS: usize = 16;

/// One execution's bookkeeping: which values were made, how often each was
/// dropped, and the counter that [`step`](Ledger::step) bumps.
struct Ledger {
    made: [AtomicUsize; TAGS],
    dropped: [AtomicUsize; TAGS],
    clones: AtomicIsize,
    turns: loom::sync::atomic::AtomicUsize,
}

type L = std::sync::Arc<Ledger>;

impl Ledger {
    fn new() -> L {
        std::sync::Arc::new(Ledger {
            made: Default::default(),
            dropped: Default::default(),
            clones: AtomicIsize::new(0),
            turns: loom::sync::atomic::AtomicUsize::new(0),
        })
    }

    /// A point where loom may switch threads, and tries every order of the
    /// threads' steps (see the module's comment). `Relaxed`: it must not
    /// order the map's memory.
    fn step(&self) {
        self.turns.fetch_add(1, Relaxed);
    }

    /// Every value made was dropped exactly once, and so was every clone.
    fn check(&self) {
        for tag in 0..TAGS {
            let made = self.made[tag].load(Relaxed);
            let dropped = self.dropped[tag].load(Relaxed);
            assert_eq!(
                dropped, made,
                "value {tag}: made {made}, dropped {dropped} times"
            );
        }
        assert_eq!(
            self.clones.load(Relaxed),
            0,
            "clones not dropped exactly once"
        );
    }
}

/// A map value: `n`, which `PartialEq` compares, and `tag`, which names the
/// write that made it, both in a loom cell.
struct Val {
    cell: UnsafeCell<(u64, usize)>,
    original: bool,
    ledger: L,
}

// SAFETY: the cell is written only by `UnsafeCell::new`; every later access
// is a read (`with`), and loom checks that each is ordered after the write.
unsafe impl Sync for Val {}

impl Val {
    fn new(l: &L, n: u64, tag: usize) -> Val {
        assert_eq!(l.made[tag].fetch_add(1, Relaxed), 0, "tag {tag} used twice");
        Val {
            cell: UnsafeCell::new((n, tag)),
            original: true,
            ledger: L::clone(l),
        }
    }

    fn get(&self) -> (u64, usize) {
        // SAFETY: written only at construction (see `Sync`).
        self.cell.with(|p| unsafe { *p })
    }

    fn tag(&self) -> usize {
        self.get().1
    }
}

impl Clone for Val {
    fn clone(&self) -> Val {
        self.ledger.clones.fetch_add(1, Relaxed);
        Val {
            cell: UnsafeCell::new(self.get()),
            original: false,
            ledger: L::clone(&self.ledger),
        }
    }
}

impl Drop for Val {
    fn drop(&mut self) {
        if self.original {
            self.ledger.dropped[self.get().1].fetch_add(1, Relaxed);
        } else {
            self.ledger.clones.fetch_sub(1, Relaxed);
        }
    }
}

impl PartialEq for Val {
    fn eq(&self, other: &Val) -> bool {
        self.get().0 == other.get().0
    }
}

impl fmt::Debug for Val {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (n, tag) = self.get();
        write!(f, "{n}#{tag}")
    }
}

type M = Map<u64, Val>;

/// The tag `load` finds for `key`.
fn tag(m: &M, key: u64) -> Option<usize> {
    m.load(&key).map(|v| v.tag())
}

/// Every key and tag, read by `range`, which first promotes the dirty map:
/// so a key the dirty map lost, or one left expunged, is missing here. Also
/// checks that `range` visits each key once and agrees with `load`.
fn contents(m: &M) -> BTreeMap<u64, usize> {
    let mut seen = BTreeMap::new();
    m.range(|k, v| {
        assert!(
            seen.insert(*k, v.tag()).is_none(),
            "range visited {k} twice"
        );
        true
    });
    for (k, t) in &seen {
        assert_eq!(tag(m, *k), Some(*t), "load and range disagree on {k}");
    }
    seen
}

fn map_of(pairs: &[(u64, usize)]) -> BTreeMap<u64, usize> {
    pairs.iter().copied().collect()
}

/// Stores `(key, n, tag)` and promotes them (a `range`), so that every key
/// is in the read snapshot and there is no dirty map.
fn promoted(l: &L, m: &M, vals: &[(u64, u64, usize)]) {
    for &(k, n, t) in vals {
        m.store(k, Val::new(l, n, t));
    }
    contents(m);
}

/// Runs `f` on a new loom thread, which steps first, with its own handles
/// to the ledger and the map.
fn spawn<T: Send + 'static>(
    l: &L,
    m: &Arc<M>,
    f: impl FnOnce(&L, &M) -> T + Send + 'static,
) -> thread::JoinHandle<T> {
    let (l, m) = (L::clone(l), Arc::clone(m));
    thread::spawn(move || {
        l.step();
        f(&l, &m)
    })
}

/// One execution of a model: a fresh ledger and map for `body`, which joins
/// every thread it spawns; then the map drops, and every value made must
/// have been dropped exactly once.
fn with_map<O>(body: impl FnOnce(&L, &Arc<M>) -> O) -> O {
    let l = Ledger::new();
    let m = Arc::new(M::new());
    let outcome = body(&l, &m);
    assert_eq!(Arc::strong_count(&m), 1, "a thread still holds the map");
    drop(m);
    l.check();
    outcome
}

/// Runs the model `f` (under `LOOM_MAX_PREEMPTIONS`, or `preemptions`):
/// every execution must end in one of `outcomes` (the linearizable ones),
/// and each of them must be reached by some execution.
fn explore<O, F>(
    name: &str,
    min_executions: usize,
    preemptions: Option<usize>,
    outcomes: &[O],
    f: F,
) where
    O: Ord + Clone + fmt::Debug + Send + Sync + 'static,
    F: Fn() -> O + Sync + Send + 'static,
{
    let allowed: std::sync::Arc<BTreeSet<O>> =
        std::sync::Arc::new(outcomes.iter().cloned().collect());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(BTreeSet::new()));
    let body = {
        let (allowed, seen, name) = (allowed.clone(), seen.clone(), name.to_owned());
        move || {
            let outcome = f();
            assert!(
                allowed.contains(&outcome),
                "{name}: {outcome:?} is none of the linearizable outcomes {allowed:?}"
            );
            seen.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(outcome);
        }
    };
    match preemptions {
        None => testkit::loom_model(name, min_executions, body),
        Some(p) => testkit::loom_model_with_preemptions(name, min_executions, p, body),
    }
    let seen = seen.lock().unwrap_or_else(PoisonError::into_inner);
    let missed: Vec<_> = allowed.difference(&seen).collect();
    assert!(missed.is_empty(), "{name}: no execution reached {missed:?}");
}

/// One writer goes through the three ways a store publishes a value into an
/// entry of the read snapshot, while a reader loads the three keys without
/// locking, newest write first:
///
/// * key 1 holds a value: `store` swaps lock-free (`try_swap`'s CAS);
/// * key 2 is deleted (nil, and in the dirty map): `load_or_store` stores
///   lock-free (`try_load_or_store`'s CAS);
/// * key 3 is expunged: `store` takes the lock, unexpunges it, adds it to
///   the dirty map and publishes with `swap_locked`.
///
/// The reader sees each key's old state or the full new value (a clone
/// reads its contents), and never a newer write without the older ones.
/// Kills weakening the `Acquire` of `Entry::load` and the `Release` of
/// `try_swap`, `try_load_or_store` and `swap_locked`: the reader would read
/// a value whose contents loom has not seen written.
#[test]
fn store_then_load_sees_the_value() {
    let outcomes = [
        (None, None, Some(0)),
        (None, None, Some(4)),
        (None, Some(5), Some(4)),
        (Some(6), Some(5), Some(4)),
    ];
    explore(
        "store_then_load_sees_the_value",
        55,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0), (2, 20, 1), (3, 30, 2)]);
                m.delete(&3);
                // A new key: the dirty map is built, and 3 (deleted) is expunged.
                m.store(4, Val::new(l, 40, 3));
                // 2 is in the dirty map as well, so it is deleted, not expunged.
                m.delete(&2);
                let writer = spawn(l, m, |l, m| {
                    m.store(1, Val::new(l, 11, 4));
                    l.step();
                    let (v, loaded) = m.load_or_store(2, Val::new(l, 21, 5));
                    assert_eq!((v.tag(), loaded), (5, false));
                    l.step();
                    m.store(3, Val::new(l, 31, 6));
                });
                l.step();
                let three = tag(m, 3);
                l.step();
                let two = tag(m, 2);
                l.step();
                let one = tag(m, 1);
                writer.join().unwrap();
                assert_eq!(contents(m), map_of(&[(1, 4), (2, 5), (3, 6), (4, 3)]));
                (three, two, one)
            })
        },
    );
}

/// A thread stores a new key, and its next load misses and promotes the
/// dirty map (`miss_locked`); then it stores a second new key, which builds
/// a dirty map again and sets the amended bit on the same snapshot
/// (`store_read(read.ptr, true)`). Another thread loads the first key: from
/// nothing, through the lock (amended, no snapshot), or lock-free from the
/// promoted snapshot, amended or not. It finds nothing or the full value.
///
/// The entry, its value and the snapshot's table were all made by the
/// first thread, so a lock-free reader must get them through `read`. Kills
/// weakening `load_read_only`'s `Acquire` or `store_read`'s `Release`, for
/// the promotion and for the amended-bit store alike: the reader would load
/// the entry's pointer before loom has seen the entry made.
#[test]
fn promotion_publishes() {
    explore("promotion_publishes", 45, None, &[None, Some(0)], || {
        with_map(|l, m| {
            let writer = spawn(l, m, |l, m| {
                m.store(1, Val::new(l, 10, 0));
                l.step();
                // One miss for one dirty key: promoted.
                assert_eq!(tag(m, 1), Some(0));
                l.step();
                m.store(2, Val::new(l, 20, 1));
            });
            l.step();
            let seen = tag(m, 1);
            writer.join().unwrap();
            assert_eq!(contents(m), map_of(&[(1, 0), (2, 1)]));
            seen
        })
    });
}

/// `delete` then `store` of key 1, lock-free on the read snapshot, race a
/// store of a new key, which builds the dirty map with `dirty_locked`
/// (expunging key 1 if it is deleted at that moment) and then loads key 1.
/// Key 1's store may find it holding a value, deleted, or expunged (then it
/// locks, unexpunges it and puts it back in the dirty map); the expunging
/// CAS may also lose to the store. Whatever the order, after promotion all
/// three keys are there with their last values: a key expunged and not put
/// back, or stored into an entry after it was left out of the dirty map,
/// would be lost. The new key's thread sees key 1's old value, nothing, or
/// its new value.
#[test]
fn delete_races_expunge() {
    explore(
        "delete_races_expunge",
        85,
        None,
        &[None, Some(0), Some(2)],
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0), (2, 20, 1)]);
                let deleter = spawn(l, m, |l, m| {
                    m.delete(&1);
                    l.step();
                    m.store(1, Val::new(l, 11, 2));
                });
                l.step();
                m.store(3, Val::new(l, 30, 3));
                l.step();
                let one = tag(m, 1);
                deleter.join().unwrap();
                assert_eq!(contents(m), map_of(&[(1, 2), (2, 1), (3, 3)]));
                one
            })
        },
    );
}

/// A store to an expunged key (it locks, unexpunges the entry, puts it back
/// in the dirty map and swaps the value in) races two lock-free loads of
/// the same key, which see it deleted (expunged, or nil just after the
/// unexpunge) and then the full value, never the other way round. After
/// promotion the key is there: an unexpunge that did not re-add the entry
/// to the dirty map would lose it.
#[test]
fn store_to_an_expunged_key_races_load() {
    let outcomes = [(None, None), (None, Some(3)), (Some(3), Some(3))];
    explore(
        "store_to_an_expunged_key_races_load",
        25,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0), (2, 20, 1)]);
                m.delete(&1);
                m.store(3, Val::new(l, 30, 2));
                let writer = spawn(l, m, |l, m| m.store(1, Val::new(l, 11, 3)));
                l.step();
                let first = tag(m, 1);
                l.step();
                let second = tag(m, 1);
                writer.join().unwrap();
                assert_eq!(contents(m), map_of(&[(1, 3), (2, 1), (3, 2)]));
                (first, second)
            })
        },
    );
}

/// `swap` and `store` of an expunged key race: both may lock, and the one
/// that unexpunges the entry may find the other's value in it when it
/// swaps, having let a lock-free `try_swap` in between. Exactly two
/// outcomes: the swap first (it returns nothing; the store's value stays)
/// or the store first (the swap returns its full value and replaces it).
/// Kills weakening `swap_locked`'s `AcqRel` to `Release`: the swap would
/// return a value published by a lock-free CAS that it did not acquire.
#[test]
fn swap_races_store_on_an_expunged_key() {
    explore(
        "swap_races_store_on_an_expunged_key",
        50,
        None,
        &[None, Some(3)],
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0), (2, 20, 1)]);
                m.delete(&1);
                m.store(3, Val::new(l, 30, 2));
                let storer = spawn(l, m, |l, m| m.store(1, Val::new(l, 11, 3)));
                l.step();
                let previous = m.swap(1, Val::new(l, 12, 4)).map(|v| v.tag());
                storer.join().unwrap();
                let last = if previous.is_some() { 4 } else { 3 };
                assert_eq!(contents(m), map_of(&[(1, last), (2, 1), (3, 2)]));
                previous
            })
        },
    );
}

/// `load_or_store` of key 1 races its `delete` and a store of a new key
/// (which expunges key 1 if it is deleted by then). The linearizable
/// outcomes, and no others: `load_or_store` first, so it loads the old
/// value and the delete removes it; or the delete first, so it stores its
/// value, whether it finds the entry nil (lock-free CAS) or expunged (it
/// locks, unexpunges, re-adds to the dirty map and stores). After
/// promotion, the new key is there, and key 1 is there exactly when
/// `load_or_store` stored it.
#[test]
fn load_or_store_races_delete_and_a_new_key() {
    let outcomes = [((0, true), None), ((1, false), Some(1))];
    explore(
        "load_or_store_races_delete_and_a_new_key",
        300,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0)]);
                let los = spawn(l, m, |l, m| {
                    let (v, loaded) = m.load_or_store(1, Val::new(l, 11, 1));
                    (v.tag(), loaded)
                });
                let deleter = spawn(l, m, |_, m| m.delete(&1));
                l.step();
                m.store(2, Val::new(l, 20, 2));
                let got = los.join().unwrap();
                deleter.join().unwrap();
                let mut after = contents(m);
                assert_eq!(after.remove(&2), Some(2));
                let one = after.remove(&1);
                assert!(after.is_empty());
                (got, one)
            })
        },
    );
}

/// `load_or_store` and `store` race on a deleted (nil) key of the read
/// snapshot, both lock-free. Either the store comes first and
/// `load_or_store` loads its full value, or `load_or_store` stores and the
/// store replaces it; the map ends with the store's value. Where
/// `load_or_store` reads nil, boxes its value, and loses the CAS to the
/// store, it reloads and loads the store's value. Kills weakening
/// `try_load_or_store`'s first load or its reload (`Acquire`): the value it
/// returns would be cloned from contents it did not acquire.
#[test]
fn load_or_store_races_store_on_a_deleted_key() {
    let outcomes = [(1, true), (2, false)];
    explore(
        "load_or_store_races_store_on_a_deleted_key",
        14,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0)]);
                m.delete(&1);
                let storer = spawn(l, m, |l, m| m.store(1, Val::new(l, 11, 1)));
                l.step();
                let (v, loaded) = m.load_or_store(1, Val::new(l, 12, 2));
                let got = (v.tag(), loaded);
                drop(v);
                storer.join().unwrap();
                assert_eq!(contents(m), map_of(&[(1, 1)]));
                got
            })
        },
    );
}

/// `load_or_store` of a new key (it locks, builds the entry in the dirty
/// map, unlocks) races a `store` and then a `delete` of the same key. It
/// returns its own value with `false` if it stored (before the store, or
/// after the delete), or the store's value with `true` (between them):
/// never the store's value as if it had stored it, and no panic if the
/// delete empties its new entry before it returns. The final contents
/// follow from the order. (The map once reloaded its new entry after
/// unlocking to get the value it returns: this model caught it returning
/// the store's value with `false`.)
#[test]
fn load_or_store_of_a_new_key_races_store_and_delete() {
    let outcomes = [((1, false), None), ((0, true), None), ((1, false), Some(1))];
    explore(
        "load_or_store_of_a_new_key_races_store_and_delete",
        50,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                let other = spawn(l, m, |l, m| {
                    m.store(1, Val::new(l, 10, 0));
                    l.step();
                    m.delete(&1);
                });
                l.step();
                let (v, loaded) = m.load_or_store(1, Val::new(l, 11, 1));
                let got = (v.tag(), loaded);
                drop(v);
                other.join().unwrap();
                let mut after = contents(m);
                let one = after.remove(&1);
                assert!(after.is_empty());
                (got, one)
            })
        },
    );
}

/// `compare_and_swap(1, 5, 6)` races a `store` of an equal value (5, in a
/// new box) followed by a load, all lock-free on the read snapshot. The
/// swap always succeeds (both 5s compare equal); what it replaced decides
/// the rest: swapped first, then the store: the store's value stays; stored
/// first: the swap's value stays, and the storer's load sees its own value
/// or the swap's. Where the swap compares the old box, then loses its CAS
/// to the store, it must reload and compare the new box. Kills weakening
/// `try_compare_and_swap`'s loads (`Acquire`, the first and the reload:
/// the comparison reads the store's box) and its CAS's `Release` (the
/// storer's load would clone the swap's box).
#[test]
fn compare_and_swap_races_store() {
    let outcomes = [(1, Some(1)), (3, Some(1)), (3, Some(3))];
    explore("compare_and_swap_races_store", 20, None, &outcomes, || {
        with_map(|l, m| {
            promoted(l, m, &[(1, 5, 0)]);
            let storer = spawn(l, m, |l, m| {
                m.store(1, Val::new(l, 5, 1));
                l.step();
                tag(m, 1)
            });
            let five = Val::new(l, 5, 2);
            l.step();
            assert!(m.compare_and_swap(&1, &five, Val::new(l, 6, 3)));
            let seen = storer.join().unwrap();
            let after = contents(m);
            assert_eq!(after.len(), 1);
            (after[&1], seen)
        })
    });
}

/// `compare_and_delete(1, 5)` races a `store` of an equal value (5, in a
/// new box) and then of 7, lock-free, and is followed by a load. Only the
/// linearizable outcomes: the delete before the stores (true; the load then
/// sees nothing or either store), between them (true: it deleted the new
/// 5; the load sees nothing or the 7), or after (false: it found 7). The
/// map ends with 7 in every case. Kills weakening `load_ptr`'s `Acquire`:
/// the comparison reads the store's box.
#[test]
fn compare_and_delete_races_store() {
    let outcomes = [
        (true, None),
        (true, Some(1)),
        (true, Some(2)),
        (false, Some(2)),
    ];
    explore(
        "compare_and_delete_races_store",
        50,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 5, 0)]);
                let storer = spawn(l, m, |l, m| {
                    m.store(1, Val::new(l, 5, 1));
                    l.step();
                    m.store(1, Val::new(l, 7, 2));
                });
                let five = Val::new(l, 5, 3);
                l.step();
                let deleted = m.compare_and_delete(&1, &five);
                l.step();
                let seen = tag(m, 1);
                storer.join().unwrap();
                assert_eq!(contents(m), map_of(&[(1, 2)]));
                (deleted, seen)
            })
        },
    );
}

/// `compare_and_swap` of a key only in the dirty map (it locks to find the
/// entry, then compares and swaps after unlocking) races a `swap` of the
/// same key, which locks and swaps with `swap_locked`. Either the CAS first
/// (it succeeds, and the swap returns its full value) or the swap first
/// (the CAS finds 7, not 5, and fails); the swap's value stays, in the
/// dirty map and after promotion. (The CAS's value is made before it locks,
/// so the mutex orders it before the swap's read: `swap_locked`'s
/// `Acquire` is left to `swap_races_store_on_an_expunged_key`.)
#[test]
fn compare_and_swap_in_the_dirty_map_races_swap() {
    let outcomes = [(true, Some(3)), (false, Some(1))];
    explore(
        "compare_and_swap_in_the_dirty_map_races_swap",
        20,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0)]);
                m.store(2, Val::new(l, 5, 1));
                let swapper = spawn(l, m, |l, m| {
                    let five = Val::new(l, 5, 2);
                    m.compare_and_swap(&2, &five, Val::new(l, 6, 3))
                });
                l.step();
                let previous = m.swap(2, Val::new(l, 7, 4)).map(|v| v.tag());
                let swapped = swapper.join().unwrap();
                assert_eq!(contents(m), map_of(&[(1, 0), (2, 4)]));
                (swapped, previous)
            })
        },
    );
}

/// `compare_and_delete` of a key only in the dirty map (it locks to find
/// the entry, leaves it in the dirty map, and compares after unlocking)
/// races a `swap` of the same key. Either the delete first (it succeeds,
/// and the swap finds the key deleted) or the swap first (the delete finds
/// 7 and fails); the swap's value stays, in the dirty map and after
/// promotion. A delete that took the entry out of the dirty map before
/// comparing would lose the key when the comparison fails.
#[test]
fn compare_and_delete_in_the_dirty_map_races_swap() {
    let outcomes = [(true, None), (false, Some(1))];
    explore(
        "compare_and_delete_in_the_dirty_map_races_swap",
        20,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0)]);
                m.store(2, Val::new(l, 5, 1));
                let deleter = spawn(l, m, |l, m| {
                    let five = Val::new(l, 5, 2);
                    m.compare_and_delete(&2, &five)
                });
                l.step();
                let previous = m.swap(2, Val::new(l, 7, 3)).map(|v| v.tag());
                let deleted = deleter.join().unwrap();
                assert_eq!(contents(m), map_of(&[(1, 0), (2, 3)]));
                (deleted, previous)
            })
        },
    );
}

/// `swap` and `load_and_delete` return values another thread stored
/// lock-free: the writer stores key 2, then key 1; the other thread swaps
/// key 1, then loads-and-deletes key 2. Each returns an old or the new full
/// value, consistent with one order (if the swap saw the writer's key 1,
/// the delete sees its key 2), and the final contents follow from what they
/// returned. Kills weakening the `Acquire` of `try_swap`'s load (the swap
/// clones the box it replaced, which its CAS, `Release` only, does not
/// acquire) and of `delete`'s load (the same, for `load_and_delete`).
#[test]
fn swap_and_load_and_delete_see_the_value() {
    let outcomes = [(Some(0), Some(1)), (Some(0), Some(2)), (Some(3), Some(2))];
    explore(
        "swap_and_load_and_delete_see_the_value",
        50,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0), (2, 20, 1)]);
                let writer = spawn(l, m, |l, m| {
                    m.store(2, Val::new(l, 21, 2));
                    l.step();
                    m.store(1, Val::new(l, 11, 3));
                });
                l.step();
                let swapped = m.swap(1, Val::new(l, 12, 4)).map(|v| v.tag());
                l.step();
                let deleted = m.load_and_delete(&2).map(|v| v.tag());
                writer.join().unwrap();
                let mut expected = map_of(&[(1, if swapped == Some(0) { 3 } else { 4 })]);
                if deleted == Some(1) {
                    expected.insert(2, 2);
                }
                assert_eq!(contents(m), expected);
                (swapped, deleted)
            })
        },
    );
}

/// `range` races a store of a new key (which builds the dirty map, so
/// `range` may promote it first) and then a delete. `range` visits each
/// key at most once, with its full value; never key 0, deleted before it
/// started; always key 1, present throughout; keys 2 and 3 as it happens
/// to meet them, and every combination occurs. (The callback steps, so
/// that the writer may run in the middle of the walk.)
#[test]
fn range_races_store_and_delete() {
    let outcomes = [vec![1], vec![1, 2], vec![1, 3], vec![1, 2, 3]];
    explore("range_races_store_and_delete", 40, None, &outcomes, || {
        with_map(|l, m| {
            promoted(l, m, &[(0, 0, 0), (1, 10, 1), (2, 20, 2)]);
            m.delete(&0);
            let writer = spawn(l, m, |l, m| {
                m.store(3, Val::new(l, 30, 3));
                l.step();
                m.delete(&2);
            });
            l.step();
            let mut seen = BTreeMap::new();
            m.range(|k, v| {
                assert!(
                    seen.insert(*k, v.tag()).is_none(),
                    "range visited {k} twice"
                );
                l.step();
                true
            });
            writer.join().unwrap();
            for (k, t) in &seen {
                assert_eq!(*k as usize, *t, "key {k} with another key's value");
            }
            assert_eq!(contents(m), map_of(&[(1, 1), (3, 3)]));
            seen.into_keys().collect::<Vec<_>>()
        })
    });
}

/// `clear` races stores of key 1 (in the read snapshot, so lock-free) and
/// then of key 2 (in neither table: locked), with key 5 only in the dirty
/// map. Afterwards the map holds what one order leaves: everything stored
/// (cleared first), only key 2 (cleared between), or nothing (cleared
/// last); never the keys from before the clear. Every value, including
/// those cleared out of both tables and the one a lock-free store put into
/// the discarded snapshot, is dropped exactly once by the time the map
/// drops.
#[test]
fn clear_races_store() {
    let outcomes = [map_of(&[]), map_of(&[(2, 3)]), map_of(&[(1, 2), (2, 3)])];
    explore("clear_races_store", 35, None, &outcomes, || {
        with_map(|l, m| {
            promoted(l, m, &[(1, 10, 0)]);
            m.store(5, Val::new(l, 50, 1));
            let writer = spawn(l, m, |l, m| {
                m.store(1, Val::new(l, 11, 2));
                l.step();
                m.store(2, Val::new(l, 20, 3));
            });
            l.step();
            m.clear();
            writer.join().unwrap();
            contents(m)
        })
    });
}

/// Store buffering: two threads each store one key and then load the
/// other, both lock-free on the read snapshot. Go's documentation promises
/// only that a write synchronizes before a read that observes it, which
/// `Acquire`/`Release` gives; Go's implementation, whose atomics are
/// sequentially consistent, never lets both loads miss both stores, and
/// this port does (the last outcome): it orders no more than Go promises.
#[test]
fn store_buffering_is_allowed() {
    let outcomes = [
        (Some(3), Some(2)),
        (Some(3), Some(0)),
        (Some(1), Some(2)),
        (Some(1), Some(0)),
    ];
    explore("store_buffering_is_allowed", 45, None, &outcomes, || {
        with_map(|l, m| {
            promoted(l, m, &[(1, 10, 0), (2, 20, 1)]);
            let other = spawn(l, m, |l, m| {
                m.store(1, Val::new(l, 11, 2));
                l.step();
                tag(m, 2)
            });
            l.step();
            m.store(2, Val::new(l, 21, 3));
            l.step();
            let one = tag(m, 1);
            let two = other.join().unwrap();
            (two, one)
        })
    });
}

/// Go's documentation: "Map arranges that a write operation synchronizes
/// before any read operation that observes the effect of the write", and
/// `Delete` and a successful `CompareAndDelete` are writes. So a thread
/// that writes a note (a `Relaxed` atomic, which orders nothing by itself)
/// and then deletes a key hands the note to any thread whose `load` finds
/// the key gone: that thread must see the note. The deleter deletes key 1,
/// then compare-and-deletes key 2, each after its own note; the reader
/// loads key 2, then key 1, while a third thread stores a new key. Kills
/// weakening the deleting CAS of `delete` or `compare_and_delete`
/// (`Release`).
#[test]
fn delete_synchronizes_with_a_load_that_misses() {
    let outcomes = [(false, false), (false, true), (true, true)];
    explore(
        "delete_synchronizes_with_a_load_that_misses",
        900,
        None,
        &outcomes,
        || {
            with_map(|l, m| {
                promoted(l, m, &[(1, 10, 0), (2, 20, 1)]);
                let notes = Arc::new([
                    loom::sync::atomic::AtomicUsize::new(0),
                    loom::sync::atomic::AtomicUsize::new(0),
                ]);
                let deleter = {
                    let notes = Arc::clone(&notes);
                    spawn(l, m, move |l, m| {
                        notes[0].store(1, Relaxed);
                        m.delete(&1);
                        l.step();
                        notes[1].store(1, Relaxed);
                        let twenty = Val::new(l, 20, 2);
                        assert!(m.compare_and_delete(&2, &twenty));
                    })
                };
                // A new key: `dirty_locked` expunges whatever is deleted by
                // then, and a load that finds it expunged must see the note
                // too (the expunging CAS continues the delete's release
                // sequence).
                let expunger = spawn(l, m, |l, m| m.store(3, Val::new(l, 30, 3)));
                l.step();
                let two_gone = m.load(&2).is_none();
                if two_gone {
                    assert_eq!(notes[1].load(Relaxed), 1, "key 2 gone, its note not seen");
                }
                l.step();
                let one_gone = m.load(&1).is_none();
                if one_gone {
                    assert_eq!(notes[0].load(Relaxed), 1, "key 1 gone, its note not seen");
                }
                deleter.join().unwrap();
                expunger.join().unwrap();
                assert_eq!(contents(m), map_of(&[(3, 3)]));
                (two_gone, one_gone)
            })
        },
    );
}
