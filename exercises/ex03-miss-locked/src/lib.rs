//! Go's `sync.Map` from chapter 3, with its promotion missing: the rule
//! that turns the dirty map into the next read snapshot, and the second
//! look that `load` takes once it holds the lock.
//!
//! Fill in the two `TODO(exercise)` holes, in `Map::miss_locked` and
//! `Map::load_slow`, then run `cargo workshop check ex03-miss-locked`.
//! Read the rest first: the holes must keep its protocol.
//!
//! * `read` is the snapshot: loaded without the lock, replaced only with
//!   `mu` held, never changed once published. Its `amended` bit says that
//!   the dirty map holds keys the snapshot lacks.
//! * `dirty` (under `mu`) holds every key of the snapshot plus the new
//!   ones, or is `None` between a promotion and the next new key.
//! * `misses` counts the loads that had to take the lock since the last
//!   promotion. Go's
//!   [`missLocked`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L507)
//!   promotes once they are as many as the dirty map's keys: by then,
//!   copying it has paid for itself.
//!
//! What this copy leaves out, so that it gives away no other exercise:
//! there is no `delete`, so an entry always holds a value and is never
//! expunged (`ex03-expunge`), and no `compare_and_delete`
//! (`ex03-compare-and-delete`). Replaced snapshots and values are freed
//! when the map drops, not before (the chapter's `AtMapDrop` scheme), which
//! is what lets a reader use them without a guard.
//!
//! The atomics and the lock come from the book's std/loom facade
//! (`ch00_runtime::sync`), so the same code runs under loom's model checker
//! in `tests/loom.rs`.

mod entry;

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::ptr;
use std::sync::{Arc, PoisonError};

use ch00_runtime::sync::atomic::AtomicPtr;
use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::sync::{Mutex, MutexGuard};

use entry::Entry;

type Table<K, V> = HashMap<K, Arc<Entry<V>>>;

/// A concurrent map for keys written once and read many times.
///
/// Go's [`Map`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L38),
/// with its fields: loads of keys in the read snapshot take no lock; a load
/// that misses there locks `mu` and looks in the dirty map, and enough such
/// misses promote the dirty map to be the next snapshot.
pub struct Map<K, V> {
    /// Go's `mu`, guarding `dirty` and `misses`.
    mu: Mutex<Dirty<K, V>>,
    /// Go's `read`: the snapshot, loaded without the lock, stored only with
    /// it held. Null is the empty snapshot; the low bit is Go's
    /// `readOnly.amended`: the dirty map has a key the snapshot lacks.
    read: AtomicPtr<ReadOnly<K, V>>,
    /// What Go's garbage collector frees: replaced snapshots and values,
    /// freed here when the map drops.
    graveyard: std::sync::Mutex<Graveyard<K, V>>,
}

/// What `mu` guards.
struct Dirty<K, V> {
    /// Go's `dirty`: every key of the snapshot plus the new ones; `None`
    /// from a promotion until the next store of a new key.
    dirty: Option<Table<K, V>>,
    /// Go's `misses`: loads that had to lock since the last promotion.
    misses: usize,
}

/// Go's `readOnly.m`: immutable once published.
struct ReadOnly<K, V> {
    m: Table<K, V>,
}

const AMENDED: usize = 1;

/// A loaded `read` word: Go's `readOnly` value.
struct Snapshot<'a, K, V> {
    ptr: *mut ReadOnly<K, V>,
    m: Option<&'a Table<K, V>>,
    amended: bool,
}

impl<K, V> Snapshot<'_, K, V> {
    fn len(&self) -> usize {
        self.m.map_or(0, HashMap::len)
    }
}

/// Retired pointers, freed when the map drops.
struct Graveyard<K, V> {
    values: Vec<*mut V>,
    snapshots: Vec<*mut ReadOnly<K, V>>,
}

// SAFETY: the map owns its keys and values; moving it moves them.
unsafe impl<K: Send, V: Send> Send for Map<K, V> {}
// SAFETY: `&Map` lets any thread insert, clone (`&V`) and, by dropping the
// map later, drop keys and values.
unsafe impl<K: Send + Sync, V: Send + Sync> Sync for Map<K, V> {}

impl<K, V> Map<K, V> {
    /// An empty map.
    pub fn new() -> Self {
        Map {
            mu: Mutex::new(Dirty {
                dirty: None,
                misses: 0,
            }),
            read: AtomicPtr::new(ptr::null_mut()),
            graveyard: std::sync::Mutex::new(Graveyard {
                values: Vec::new(),
                snapshots: Vec::new(),
            }),
        }
    }
}

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K: Hash + Eq + Clone, V> Map<K, V> {
    fn lock(&self) -> MutexGuard<'_, Dirty<K, V>> {
        self.mu.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Go's `loadReadOnly`.
    fn load_read_only(&self) -> Snapshot<'_, K, V> {
        // Acquire: pairs with the Release in `store_read`: the table behind
        // the pointer is visible.
        let word = self.read.load(Acquire);
        let ptr = word.map_addr(|a| a & !AMENDED);
        Snapshot {
            ptr,
            // SAFETY: published by `store_read` and never written after;
            // freed no earlier than the map.
            m: unsafe { ptr.as_ref() }.map(|r| &r.m),
            amended: word.addr() & AMENDED != 0,
        }
    }

    /// Stores a new `read` word; `_locked` proves that `mu` is held.
    fn store_read(&self, _locked: &Dirty<K, V>, ptr: *mut ReadOnly<K, V>, amended: bool) {
        // Release: publishes the table behind `ptr` to lock-free readers.
        self.read
            .store(ptr.map_addr(|a| a | usize::from(amended)), Release);
    }

    /// Publishes `table` as the new snapshot (Go's
    /// `m.read.Store(&readOnly{m: table, amended: amended})`) and retires
    /// the old one. `None` or an empty table is the empty snapshot.
    fn store_snapshot_locked(&self, d: &Dirty<K, V>, table: Option<Table<K, V>>, amended: bool) {
        // Relaxed: only holders of `mu` store `read`, and we hold it.
        let old = self.read.load(Relaxed).map_addr(|a| a & !AMENDED);
        let new = match table {
            Some(m) if !m.is_empty() => Box::into_raw(Box::new(ReadOnly { m })),
            _ => ptr::null_mut(),
        };
        self.store_read(d, new, amended);
        if !old.is_null() {
            self.bury_snapshot(old);
        }
    }

    /// Go's `Load`: the value stored for `key`, if any.
    pub fn load<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        let read = self.load_read_only();
        match read.m.and_then(|m| m.get(key)) {
            Some(e) => Some(e.load().clone()),
            None if read.amended => self.load_slow(key).map(|e| e.load().clone()),
            None => None,
        }
    }

    /// The rest of Go's `Load`, from `m.mu.Lock()`: the snapshot lacked
    /// `key` and was amended. Returns the entry for `key` if there is one;
    /// the caller reads it after `mu` is released.
    fn load_slow<Q>(&self, key: &Q) -> Option<Arc<Entry<V>>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        // TODO(exercise): take `mu` (`self.lock()`). The snapshot `load`
        // looked at may be stale by then: another thread may have promoted
        // the dirty map while this one waited for `mu`. Look again, and
        // only if the key is still missing from a snapshot that is still
        // amended, take it from the dirty map and record a miss
        // (`miss_locked`). Should a miss count if the dirty map lacks the
        // key too? (Go's
        // [`Load`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L123)
        // says; and what would a miss cost if the look again were skipped?)
        // Return the entry, not the value: the caller reads it unlocked.
        todo!("Map::load_slow")
    }

    /// Go's `missLocked`: once the misses since the last promotion reach
    /// the dirty map's length, copying it has paid for itself, and it
    /// becomes the read snapshot.
    fn miss_locked(&self, d: &mut Dirty<K, V>) {
        // TODO(exercise): count the miss. Once the misses are as many as
        // the dirty map's keys (no dirty map counts as none), promote:
        // the dirty map becomes the snapshot (`store_snapshot_locked`),
        // exactly as it is. What must the snapshot's `amended` flag say
        // then, what is left in `dirty`, and where does the count start
        // again?
        todo!("Map::miss_locked")
    }

    /// Go's `Store`: sets the value for `key`.
    pub fn store(&self, key: K, value: V) {
        let previous = self.swap_in(key, value);
        if !previous.is_null() {
            self.bury_value(previous);
        }
    }

    /// Go's `Swap`: sets the value for `key` and returns the previous one.
    pub fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        let previous = self.swap_in(key, value);
        if previous.is_null() {
            return None;
        }
        // SAFETY: a box `swap_in` took out of its entry, not yet retired.
        let value = unsafe { &*previous }.clone();
        self.bury_value(previous);
        Some(value)
    }

    /// Go's `Swap`, up to the previous box (null if none), which the caller
    /// reads and retires.
    fn swap_in(&self, key: K, value: V) -> *mut V {
        let read = self.load_read_only();
        if let Some(e) = read.m.and_then(|m| m.get(&key)) {
            // Go's `trySwap`, which cannot fail here: no entry is expunged.
            return e.swap(value);
        }
        let mut d = self.lock();
        let read = self.load_read_only();
        if let Some(e) = read.m.and_then(|m| m.get(&key)) {
            e.swap(value)
        } else if let Some(e) = d.dirty.as_ref().and_then(|t| t.get(&key)) {
            e.swap(value)
        } else {
            if !read.amended {
                // The first new key since the promotion: build the dirty map
                // and mark the snapshot incomplete.
                self.dirty_locked(&mut d, &read);
                self.store_read(&d, read.ptr, true);
            }
            let e = Arc::new(Entry::new(value));
            d.dirty
                .as_mut()
                .expect("an amended snapshot implies a dirty map")
                .insert(key, e);
            ptr::null_mut()
        }
    }

    /// Go's `dirtyLocked`: the dirty map starts as a copy of the snapshot.
    /// (Go leaves the deleted entries out, expunging them; this copy has
    /// none.)
    fn dirty_locked(&self, d: &mut Dirty<K, V>, read: &Snapshot<'_, K, V>) {
        if d.dirty.is_some() {
            return;
        }
        let mut dirty = Table::with_capacity(read.len());
        for (k, e) in read.m.into_iter().flatten() {
            dirty.insert(k.clone(), Arc::clone(e));
        }
        d.dirty = Some(dirty);
    }

    fn bury_value(&self, p: *mut V) {
        self.graveyard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .values
            .push(p);
    }

    fn bury_snapshot(&self, p: *mut ReadOnly<K, V>) {
        self.graveyard
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .snapshots
            .push(p);
    }

    // Test probes: what the tests watch, not part of Go's API.

    /// `misses` now.
    #[doc(hidden)]
    pub fn misses(&self) -> usize {
        self.lock().misses
    }

    /// The dirty map's length, or `None` if there is no dirty map.
    #[doc(hidden)]
    pub fn dirty_len(&self) -> Option<usize> {
        self.lock().dirty.as_ref().map(HashMap::len)
    }

    /// The snapshot's `amended` flag.
    #[doc(hidden)]
    pub fn is_amended(&self) -> bool {
        self.load_read_only().amended
    }

    /// The number of keys in the snapshot.
    #[doc(hidden)]
    pub fn read_len(&self) -> usize {
        self.load_read_only().len()
    }

    /// The snapshot's address: it changes at each promotion (0 is the
    /// empty snapshot).
    #[doc(hidden)]
    pub fn snapshot_id(&self) -> usize {
        self.load_read_only().ptr.addr()
    }
}

impl<K, V> Drop for Map<K, V> {
    fn drop(&mut self) {
        // Relaxed: `&mut self`, every other thread is done with the map.
        let ptr = self.read.load(Relaxed).map_addr(|a| a & !AMENDED);
        if !ptr.is_null() {
            // SAFETY: the current snapshot, owned by the map.
            drop(unsafe { Box::from_raw(ptr) });
        }
        let graveyard = self
            .graveyard
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner);
        for p in graveyard.snapshots.drain(..) {
            // SAFETY: retired once, and nobody can reach it any more.
            drop(unsafe { Box::from_raw(p) });
        }
        for p in graveyard.values.drain(..) {
            // SAFETY: as above.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}
