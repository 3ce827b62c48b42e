//! Go's `sync.Map` from chapter 3, without Go 1.20's `CompareAndDelete`,
//! which the chapter never prints: you write it, from its contract and a
//! description of Go's algorithm.
//!
//! Fill in the `TODO(exercise)` hole in `Map::compare_and_delete`, then
//! run `cargo workshop check ex03-compare-and-delete`. Read the rest of
//! the map first: your code must keep its protocol.
//!
//! * `read` is the snapshot: loaded without the lock, replaced only with
//!   `mu` held, never changed once published. Its `amended` bit says that
//!   the dirty map holds keys the snapshot lacks.
//! * `dirty` (under `mu`) holds every entry of the snapshot plus the new
//!   keys, or is `None` between a promotion and the next new key. An entry
//!   is shared by both tables (one `Arc`), and its value changes by atomic
//!   operations on the entry alone, without the lock.
//! * `misses` counts the operations that had to take the lock to find
//!   their key since the last promotion.
//!
//! What this copy leaves out, so that it gives away no other exercise: no
//! entry is ever expunged (`ex03-expunge`): a rebuilt dirty map keeps the
//! deleted entries. Misses are counted, but only `range` promotes the
//! dirty map (as Go's `Range` does); Go's other rule, a promotion after
//! enough misses, is the exercise `ex03-miss-locked`, and so is the way
//! Go's `Load` counts them (this copy's `load` and `delete` take a shortcut
//! under the lock, see `entry_locked`). Replaced snapshots and values are
//! freed when the map drops, not before (the chapter's `AtMapDrop` scheme),
//! which is what lets a reader use them without a guard.
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
/// with its fields: loads and stores of keys in the read snapshot take no
/// lock; everything else locks `mu`.
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
    /// Go's `dirty`: every entry of the snapshot plus the new keys; `None`
    /// from a promotion until the next store of a new key.
    dirty: Option<Table<K, V>>,
    /// Go's `misses`: operations that had to lock to find a key since the
    /// last promotion.
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
// SAFETY: `&Map` lets any thread insert, clone and compare (`&V`) and, by
// dropping the map later, drop keys and values.
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

    /// Counts a miss: an operation that had to take `mu` to find its key.
    /// (Go's `missLocked` also promotes the dirty map once the misses are
    /// many enough; in this copy only `range` promotes.)
    fn miss_locked(&self, d: &mut Dirty<K, V>) {
        d.misses += 1;
    }

    /// The entry for `key`, with `mu` held. Go's `Load` and
    /// `LoadAndDelete` look at the snapshot again here and count a miss;
    /// this copy's `load` and `delete` take a shortcut instead, and count
    /// nothing: when there is a dirty map it has every entry, and when there
    /// is none the snapshot is complete.
    fn entry_locked<Q>(&self, d: &Dirty<K, V>, key: &Q) -> Option<Arc<Entry<V>>>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match &d.dirty {
            Some(t) => t.get(key).cloned(),
            None => self.load_read_only().m.and_then(|m| m.get(key)).cloned(),
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
            Some(e) => e.load().cloned(),
            None if read.amended => {
                let e = self.entry_locked(&self.lock(), key);
                e?.load().cloned()
            }
            None => None,
        }
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
            d.dirty
                .as_mut()
                .expect("an amended snapshot implies a dirty map")
                .insert(key, Arc::new(Entry::new(value)));
            ptr::null_mut()
        }
    }

    /// Go's `LoadAndDelete`: deletes `key`, returning its value if it had one.
    pub fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        let p = self.delete_in(key)?;
        // SAFETY: unlinked by `delete_in`, not yet retired.
        let value = unsafe { &*p }.clone();
        self.bury_value(p);
        Some(value)
    }

    /// Go's `Delete`.
    pub fn delete<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        if let Some(p) = self.delete_in(key) {
            self.bury_value(p);
        }
    }

    /// Go's `LoadAndDelete`, up to the removed box. (Go also removes a key
    /// that only the dirty map has from it; this copy leaves the deleted
    /// entry there until the next promotion, which is just as correct.)
    fn delete_in<Q>(&self, key: &Q) -> Option<*mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let read = self.load_read_only();
        match read.m.and_then(|m| m.get(key)) {
            Some(e) => e.delete(),
            None if read.amended => {
                let e = self.entry_locked(&self.lock(), key);
                e?.delete()
            }
            None => None,
        }
    }

    /// Go's [`CompareAndDelete`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L430)
    /// (Go 1.20): deletes the entry for `key` if the value it holds equals
    /// `old`, and returns whether it deleted it. A key with no value (never
    /// stored, or deleted) is not equal to anything: the answer is then
    /// `false`, whatever `old` is.
    pub fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        // TODO(exercise): Go's algorithm, in words.
        //
        // 1. Find the key's entry in the snapshot, without the lock.
        // 2. If the snapshot lacks it and is amended, the dirty map may have
        //    it: take `mu`. The snapshot you looked at may be stale by now
        //    (a promotion may have happened while you waited), so decide
        //    again from a fresh one. If the key is still missing from a
        //    snapshot that is still amended, take the dirty map's entry for
        //    it, if it has one, and count a miss (`miss_locked`). Should the
        //    entry leave the dirty map here, as `LoadAndDelete`'s does in
        //    Go? And should the miss count if the dirty map lacks the key?
        //    Release `mu` before step 3: comparing runs user code.
        //    (Keep a dirty entry alive past the unlock with an `Arc` clone.)
        // 3. No entry: no match. Otherwise, without the lock: read the
        //    entry's pointer (`load_ptr`). No value, or a value that is not
        //    equal to `old`: no match. Else delete exactly the box you
        //    compared (`cas_to_null`), and if another thread changed the
        //    entry since you read it, go back to reading it. The box you
        //    removed is yours: retire it with `bury_value`.
        todo!("Map::compare_and_delete")
    }

    /// Go's `Range`: calls `f` for each key and value until it returns
    /// `false`. As in Go, no consistent snapshot, and `f` may use the map.
    pub fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
    {
        let mut read = self.load_read_only();
        if read.amended {
            // Range is O(n) anyway, so it pays for promoting the dirty map
            // at once, which makes the snapshot complete.
            let mut d = self.lock();
            read = self.load_read_only();
            if read.amended {
                let table = d.dirty.take();
                d.misses = 0;
                self.store_snapshot_locked(&d, table);
                read = self.load_read_only();
            }
        }
        for (k, e) in read.m.into_iter().flatten() {
            if let Some(v) = e.load() {
                if !f(k, v) {
                    break;
                }
            }
        }
    }

    /// Publishes `table` as the new snapshot, not amended, and retires the
    /// old one.
    fn store_snapshot_locked(&self, d: &Dirty<K, V>, table: Option<Table<K, V>>) {
        // Relaxed: only holders of `mu` store `read`, and we hold it.
        let old = self.read.load(Relaxed).map_addr(|a| a & !AMENDED);
        let new = match table {
            Some(m) if !m.is_empty() => Box::into_raw(Box::new(ReadOnly { m })),
            _ => ptr::null_mut(),
        };
        self.store_read(d, new, false);
        if !old.is_null() {
            self.bury_snapshot(old);
        }
    }

    /// Go's `dirtyLocked`: the dirty map starts as a copy of the snapshot.
    /// (Go leaves the deleted entries out, expunging them; this copy keeps
    /// them.)
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

    /// Whether the snapshot has an entry for `key` (holding a value or not).
    #[doc(hidden)]
    pub fn in_read<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.load_read_only().m.is_some_and(|m| m.contains_key(key))
    }

    /// Whether the dirty map has an entry for `key` (holding a value or not).
    #[doc(hidden)]
    pub fn in_dirty<Q>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.lock()
            .dirty
            .as_ref()
            .is_some_and(|t| t.contains_key(key))
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
