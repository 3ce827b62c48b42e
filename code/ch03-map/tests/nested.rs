//! Nested use never deadlocks: user code that the map runs (the `range`
//! callback, a value's `PartialEq` and `Clone`, a key's or value's `Drop`)
//! may call the same map. The map's mutex is not reentrant (chapter 1's),
//! so the map must never run such code while it holds it.
//!
//! Go's `sync.Map` runs none of these with its mutex held either: `Range`'s
//! callback runs unlocked (Go's issue 46399, `TestMapRangeNestedCall`), and
//! Go compares values with `==`, which runs no user code at all. Rust's
//! `PartialEq` and `Clone` are user code, so `compare_and_swap`,
//! `compare_and_delete`, `load`, `swap` and `load_or_store` compare and
//! clone after unlocking, on purpose.
//!
//! Last, the same nested pattern (insert while iterating) deadlocks
//! `dashmap` 6: shown in a child process that is killed when it hangs.

use std::cell::Cell;
use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::SeqCst};
use std::time::{Duration, Instant};

use ch03_map::{Map, Reclaim};

/// Whether this run covers the `Epoch` scheme: always, except under Miri's
/// default Stacked Borrows, which `crossbeam-epoch` 0.9 breaks in its own
/// code (its CI runs Miri with Tree Borrows instead:
/// <https://github.com/crossbeam-rs/crossbeam/pull/996>). To include it
/// under Miri: `CH03_MIRI_EPOCH=1 MIRIFLAGS="-Zmiri-tree-borrows
/// -Zmiri-env-forward=CH03_MIRI_EPOCH" cargo +nightly miri test ...`.
fn with_epoch() -> bool {
    !cfg!(miri) || std::env::var_os("CH03_MIRI_EPOCH").is_some()
}

/// A nested call that deadlocks hangs; fail it in seconds, not minutes.
fn watchdog<T: Send + 'static>(body: impl FnOnce() -> T + Send + 'static) -> T {
    let secs = if cfg!(miri) { 600 } else { 20 };
    testkit::watchdog_with(Duration::from_secs(secs), move |_| body())
}

/// Calls every method from inside `range`'s callback, on a map of the
/// given scheme: `range` visits each key of its start at most once,
/// ends, and the map is as the calls left it.
fn range_callback_calls_the_map<R: Reclaim>(m: Map<u64, u64, R>) {
    let n = testkit::scale(100, 1000, 10) as u64;
    for k in 0..n {
        m.store(k, k);
    }
    // Keys stored during the range (n..2n) may or may not be visited;
    // keys of its start are visited once each, unless deleted first.
    let mut seen = HashSet::new();
    m.range(|&k, &v| {
        assert!(seen.insert(k), "range visited {k} twice");
        if k >= n {
            return true;
        }
        assert_eq!(v, k, "a key of the range's start has its first value");
        m.store(k + n, k);
        assert_eq!(m.load(&(k + n)), Some(k));
        assert_eq!(m.load_or_store(k, 0), (k, true));
        assert!(m.compare_and_swap(&k, &k, k + 1));
        assert_eq!(m.swap(k, k + 2), Some(k + 1));
        assert!(m.compare_and_delete(&k, &(k + 2)));
        assert_eq!(m.load_or_store(k, k + 3), (k + 3, false));
        assert_eq!(m.load_and_delete(&k), Some(k + 3));
        m.store(k, k + 4);
        // A nested range sees the key just stored.
        let mut found = false;
        m.range(|&j, &w| {
            if j == k {
                found = w == k + 4;
            }
            true
        });
        assert!(found, "a nested range sees key {k}");
        m.delete(&k);
        true
    });
    assert!((0..n).all(|k| seen.contains(&k)), "range skipped a key");
    for k in 0..n {
        assert_eq!(m.load(&k), None);
        assert_eq!(m.load(&(k + n)), Some(k));
    }

    // `clear` from the callback: the range ends, having visited each key
    // at most once, and the map is empty but for what was stored after.
    let mut seen = HashSet::new();
    m.range(|&k, _| {
        assert!(seen.insert(k), "range visited {k} twice");
        m.clear();
        m.store(k + 10 * n, k);
        true
    });
    let mut left = Vec::new();
    m.range(|&k, _| {
        left.push(k);
        true
    });
    assert!(
        !left.is_empty() && left.iter().all(|&k| k >= 10 * n),
        "{left:?}"
    );
}

/// The `range` callback calls `store`, `delete`, `load_or_store`, `range`,
/// `clear`, `compare_and_swap`, `compare_and_delete`, `swap` and
/// `load_and_delete` on the same map, on each scheme. Catches a `range`
/// that holds the mutex (or any lock) while it calls back, and a nested
/// promotion or `clear` that frees the snapshot the outer range is still
/// reading (a use-after-free under Miri).
#[test]
fn range_callback_may_call_every_method() {
    watchdog(|| {
        range_callback_calls_the_map(Map::new());
        if with_epoch() {
            range_callback_calls_the_map(Map::new_epoch());
        }
        range_callback_calls_the_map(Map::new_at_map_drop());
    });
}

/// A `load_or_store` whose value is computed by code that uses the map:
/// the argument is built before the call, so nothing is held. Catches an
/// API that takes a closure and runs it locked.
#[test]
fn load_or_store_value_built_by_code_that_uses_the_map() {
    watchdog(|| {
        let m = Map::new();
        m.store(1, 10);
        let built = |m: &Map<u64, u64>| {
            m.store(2, 20);
            m.range(|_, _| true);
            m.load(&1).unwrap_or(0) + m.load_or_store(3, 30).0
        };
        assert_eq!(m.load_or_store(4, built(&m)), (40, false));
        assert_eq!(m.load_or_store(4, built(&m)), (40, true));
        assert_eq!(m.load(&2), Some(20));
    });
}

thread_local! {
    /// Set while a hook runs, so that the hook's own clones and drops do
    /// not run it again.
    static IN_HOOK: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` unless a hook is already running on this thread.
fn hook(f: impl FnOnce()) {
    if IN_HOOK.with(|h| h.replace(true)) {
        return;
    }
    f();
    IN_HOOK.with(|h| h.set(false));
}

static FRESH: AtomicU64 = AtomicU64::new(1 << 32);

/// A key no map has seen.
fn fresh() -> u64 {
    FRESH.fetch_add(1, SeqCst)
}

/// Calls on `m` that each take its mutex: a new key's store, then its load
/// and delete while it is only in the dirty map, then a `range`, which
/// promotes.
fn lock_taking_calls<V: Send + Clone, R: Reclaim>(m: &Map<u64, V, R>, value: V) {
    let k = fresh();
    m.store(k, value);
    drop(m.load(&k));
    m.delete(&k);
    m.range(|_, _| true);
}

/// A value whose `PartialEq` and `Clone` call into the map that holds it.
#[derive(Debug)]
struct Nosy(u64);

static NOSY: LazyLock<Map<u64, Nosy>> = LazyLock::new(Map::new);
static NOSY_CALLS: AtomicUsize = AtomicUsize::new(0);

fn nosy_hook() {
    hook(|| {
        NOSY_CALLS.fetch_add(1, SeqCst);
        lock_taking_calls(&NOSY, Nosy(0));
    });
}

impl PartialEq for Nosy {
    fn eq(&self, other: &Self) -> bool {
        nosy_hook();
        self.0 == other.0
    }
}

impl Clone for Nosy {
    fn clone(&self) -> Self {
        nosy_hook();
        Nosy(self.0)
    }
}

/// Runs `op` and checks that it ran the value's hook.
#[track_caller]
fn hooked<T>(op: impl FnOnce() -> T) -> T {
    let before = NOSY_CALLS.load(SeqCst);
    let out = op();
    assert!(
        NOSY_CALLS.load(SeqCst) > before,
        "the value's hook did not run"
    );
    out
}

/// A value whose `PartialEq` and `Clone` call into the same map (each
/// call stores, loads and deletes a new key and ranges, all of which lock):
/// `compare_and_swap`, `compare_and_delete`, `load`, `swap`,
/// `load_or_store` and `load_and_delete`, each on a key in the read
/// snapshot and on one only in the dirty map (where the operation has to
/// lock to find the entry). Catches a comparison or clone moved under the
/// mutex.
#[test]
fn value_eq_and_clone_may_call_the_map() {
    watchdog(|| {
        let m = &*NOSY;
        let id = |v: Option<Nosy>| v.map(|v| v.0);
        for promoted in [true, false] {
            // A key set up to be in the read snapshot, or only in the dirty
            // map, when `op` runs (the hooks themselves promote).
            let key = |v: u64| {
                let k = fresh();
                m.store(k, Nosy(v));
                if promoted {
                    m.range(|_, _| true);
                }
                k
            };
            let k = key(1);
            assert_eq!(hooked(|| id(m.load(&k))), Some(1));
            let k = key(1);
            assert!(hooked(|| m.compare_and_swap(&k, &Nosy(1), Nosy(2))));
            assert!(!hooked(|| m.compare_and_swap(&k, &Nosy(1), Nosy(3))));
            let k = key(1);
            assert!(!hooked(|| m.compare_and_delete(&k, &Nosy(2))));
            assert!(hooked(|| m.compare_and_delete(&k, &Nosy(1))));
            let k = key(1);
            assert_eq!(hooked(|| id(m.swap(k, Nosy(2)))), Some(1));
            let k = key(1);
            let (v, loaded) = hooked(|| m.load_or_store(k, Nosy(2)));
            assert_eq!((v.0, loaded), (1, true));
            let k = key(1);
            assert_eq!(hooked(|| id(m.load_and_delete(&k))), Some(1));
            assert_eq!(id(m.load(&k)), None);
        }
    });
}

/// A value whose `Drop` calls into the map it was meant for. `quiet`
/// values (the ones the hook itself stores) do not.
#[derive(Clone)]
struct DropHook {
    quiet: bool,
}

static DROP_HOOK: LazyLock<Map<u64, DropHook>> = LazyLock::new(Map::new);
static DROP_HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

impl Drop for DropHook {
    fn drop(&mut self) {
        if !self.quiet {
            hook(|| {
                DROP_HOOK_CALLS.fetch_add(1, SeqCst);
                let k = fresh();
                DROP_HOOK.store(k, DropHook { quiet: true });
                DROP_HOOK.delete(&k);
            });
        }
    }
}

/// Not in the list Go's design implies, but the same rule: a value's
/// `Drop` may call the map. A `load_or_store` that finds the key (here
/// only in the dirty map, so it locks) drops the value it was given; a
/// `store` replaces (and retires) one; `clear` and `delete` drop some.
/// Catches a value dropped while the mutex is held.
#[test]
fn value_drop_may_call_the_map() {
    watchdog(|| {
        let m = &*DROP_HOOK;
        let loud = || DropHook { quiet: false };
        let calls = || DROP_HOOK_CALLS.load(SeqCst);

        let k = fresh();
        m.store(k, DropHook { quiet: true });
        let before = calls();
        let (_, loaded) = m.load_or_store(k, loud());
        assert!(loaded);
        assert!(calls() > before, "the unused value was dropped");

        for _ in 0..testkit::scale(100, 100, 40) {
            let k = fresh();
            m.store(k, loud());
            m.store(k, loud());
            m.delete(&k);
        }
        m.store(fresh(), loud());
        m.clear();
    });
}

/// A key whose `Drop` calls into the map it is a key of; equal to and
/// hashed as its id.
struct KeyDropHook {
    id: u64,
    quiet: bool,
}

static KEY_DROP_HOOK: LazyLock<Map<KeyDropHook, u64>> = LazyLock::new(Map::new);

impl Clone for KeyDropHook {
    fn clone(&self) -> Self {
        KeyDropHook {
            id: self.id,
            quiet: self.quiet,
        }
    }
}
impl PartialEq for KeyDropHook {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}
impl Eq for KeyDropHook {}
impl Hash for KeyDropHook {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.id.hash(state);
    }
}
impl std::borrow::Borrow<u64> for KeyDropHook {
    fn borrow(&self) -> &u64 {
        &self.id
    }
}
impl Drop for KeyDropHook {
    fn drop(&mut self) {
        if !self.quiet {
            hook(|| {
                let k = fresh();
                let quiet = KeyDropHook { id: k, quiet: true };
                KEY_DROP_HOOK.store(quiet, 0);
                KEY_DROP_HOOK.delete(&k);
            });
        }
    }
}

/// A key's `Drop` may call the map: `delete` of a key only in the dirty
/// map removes it from that table, and the key dropped there runs user
/// code. Catches a key dropped while the mutex is held. (A key's `Hash`,
/// `Eq` and `Clone` do run under the mutex, by necessity: the dirty map is
/// a table of keys. They must not call the map.)
#[test]
fn key_drop_may_call_the_map() {
    watchdog(|| {
        let m = &*KEY_DROP_HOOK;
        let k = fresh();
        m.store(
            KeyDropHook {
                id: k,
                quiet: false,
            },
            1,
        );
        m.delete(&k);
        assert_eq!(m.load(&k), None);
    });
}

/// The pattern that deadlocks `dashmap`, on our map: store to the key
/// being visited, from inside the iteration. It finishes.
#[test]
fn insert_while_iterating_finishes() {
    watchdog(|| {
        let m = Map::new();
        for k in 0..16u64 {
            m.store(k, 0);
        }
        let mut visited = 0;
        m.range(|&k, _| {
            m.store(k, 1);
            visited += 1;
            true
        });
        assert_eq!(visited, 16);
        m.range(|_, &v| {
            assert_eq!(v, 1);
            true
        });
    });
}

const DASHMAP_CHILD_ENV: &str = "CH03_MAP_DASHMAP_CHILD";

/// The child side of the next test: `dashmap`'s iterator holds a shard's
/// read lock, and `insert` of the visited key wants that shard's write
/// lock, on the same thread.
#[test]
#[ignore = "a child process of dashmap_deadlocks_on_insert_while_iterating"]
fn dashmap_child() {
    if std::env::var_os(DASHMAP_CHILD_ENV).is_none() {
        return;
    }
    let m = dashmap::DashMap::new();
    for k in 0..16u64 {
        m.insert(k, 0);
    }
    for r in m.iter() {
        m.insert(*r.key(), 1);
    }
    println!("child completed");
}

/// Kills the child process if the test fails before it does.
struct KillOnDrop(Option<std::process::Child>);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `dashmap` 6.1 ([`DashMap::iter`](https://docs.rs/dashmap/6.1.0/dashmap/struct.DashMap.html#method.iter)
/// documents that it "may deadlock if called when holding a mutable
/// reference into the map"; inserting while iterating is the same) hangs
/// on the pattern that `insert_while_iterating_finishes` runs on ours. The
/// child gets three seconds; it must still be running, and is killed.
#[test]
#[cfg_attr(miri, ignore = "Miri cannot start processes")]
fn dashmap_deadlocks_on_insert_while_iterating() {
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "dashmap_child", "--ignored", "--nocapture"])
        .env(DASHMAP_CHILD_ENV, "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut child = KillOnDrop(Some(child));
    let deadline = Instant::now() + Duration::from_secs(3);
    while Instant::now() < deadline {
        let running = child.0.as_mut().unwrap();
        if let Some(status) = running.try_wait().unwrap() {
            let out = child.0.take().unwrap().wait_with_output().unwrap();
            panic!(
                "dashmap finished ({status}), expected a deadlock:\n{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    // Still running after three seconds of a 16-key loop: deadlocked.
    // `child` kills it.
}
