//! Go's `sync.Map` from chapter 3, with deleted entries: `load`, `store`,
//! `swap`, `delete` and `range` over the read snapshot and the dirty map.
//! The solution to the exercise `ex03-expunge`, run against its tests.
//!
//! What this copy leaves out, so that it gives away no other exercise: it
//! counts no misses. Only `range` promotes the dirty map (as Go's `Range`
//! does); Go's other rule, a promotion after enough misses, is the
//! exercise `ex03-miss-locked`. There is no `compare_and_delete`
//! (`ex03-compare-and-delete`). Replaced snapshots and values are freed
//! when the map drops, not before (the chapter's `AtMapDrop` scheme), which
//! is what lets a reader use them without a guard.

mod entry;

use std::borrow::Borrow;
use std::collections::HashMap;
use std::hash::Hash;
use std::ptr;
use std::sync::{Arc, PoisonError};

use ch00_runtime::sync::atomic::AtomicPtr;
use ch00_runtime::sync::atomic::Ordering::{Acquire, Relaxed, Release};
use ch00_runtime::sync::{Mutex, MutexGuard};

use entry::{Entry, expunged};

#[doc(hidden)]
pub use entry::EntryState;

type Table<K, V> = HashMap<K, Arc<Entry<V>>>;

/// A concurrent map for keys written once and read many times.
///
/// Go's [`Map`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L38),
/// with its fields: loads and stores of keys in the read snapshot take no
/// lock; everything else locks `mu`.
pub struct Map<K, V> {
    /// Go's `mu`, guarding `dirty`.
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
    /// Go's `dirty`: every entry of the snapshot that is not expunged,
    /// plus the new keys; `None` from a promotion until the next store of a
    /// new key.
    dirty: Option<Table<K, V>>,
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
            mu: Mutex::new(Dirty { dirty: None }),
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

    /// The entry for `key`, with `mu` held. Go's `Load` and
    /// `LoadAndDelete` look at the snapshot again here and count a miss;
    /// this copy, which counts no misses, takes a shortcut: when there is
    /// a dirty map it has every entry that can hold a value (the snapshot's
    /// are all there, but for the expunged ones), and when there is none the
    /// snapshot is complete.
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
        assert_not_expunged(previous);
        // SAFETY: a box `swap_in` took out of its entry, not yet retired.
        let value = unsafe { &*previous }.clone();
        self.bury_value(previous);
        Some(value)
    }

    /// Go's `Swap`, up to the previous box (null if none), which the caller
    /// reads and retires.
    fn swap_in(&self, key: K, value: V) -> *mut V {
        let new = Box::into_raw(Box::new(value));
        let read = self.load_read_only();
        if let Some(e) = read.m.and_then(|m| m.get(&key)) {
            if let Ok(previous) = e.try_swap(new) {
                return previous;
            }
        }
        let mut d = self.lock();
        let read = self.load_read_only();
        if let Some(e) = read.m.and_then(|m| m.get(&key)) {
            self.swap_in_snapshot_locked(&mut d, key, e, new)
        } else if let Some(e) = d.dirty.as_ref().and_then(|t| t.get(&key)) {
            e.swap_locked(new)
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
                .insert(key, Arc::new(Entry::new(new)));
            ptr::null_mut()
        }
    }

    // ANCHOR: swap_in_snapshot_locked
    /// `swap_in` with `mu` held, for a key the snapshot has: the entry may
    /// be expunged, and then the dirty map lacks it.
    fn swap_in_snapshot_locked(
        &self,
        d: &mut Dirty<K, V>,
        key: K,
        e: &Arc<Entry<V>>,
        new: *mut V,
    ) -> *mut V {
        if e.unexpunge_locked() {
            // It was expunged: there is a dirty map and the entry is not
            // in it. Put it back before anyone can miss it there.
            dirty_of(d).insert(key, Arc::clone(e));
        }
        e.swap_locked(new)
    }
    // ANCHOR_END: swap_in_snapshot_locked

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

    /// Go's `dirtyLocked`: builds the dirty map from the snapshot, leaving
    /// out (and expunging) the deleted entries.
    fn dirty_locked(&self, d: &mut Dirty<K, V>, read: &Snapshot<'_, K, V>) {
        if d.dirty.is_some() {
            return;
        }
        let mut dirty = Table::with_capacity(read.len());
        for (k, e) in read.m.into_iter().flatten() {
            if !e.try_expunge_locked() {
                dirty.insert(k.clone(), Arc::clone(e));
            }
        }
        d.dirty = Some(dirty);
    }

    fn bury_value(&self, p: *mut V) {
        assert_not_expunged(p);
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

    /// What the snapshot's entry for `key` holds, or `None` if the snapshot
    /// has no entry for it.
    #[doc(hidden)]
    pub fn entry_state<Q>(&self, key: &Q) -> Option<EntryState>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let read = self.load_read_only();
        read.m.and_then(|m| m.get(key)).map(|e| e.state())
    }

    /// Whether the dirty map has an entry for `key`.
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

    /// The dirty map's length, or `None` if there is no dirty map.
    #[doc(hidden)]
    pub fn dirty_len(&self) -> Option<usize> {
        self.lock().dirty.as_ref().map(HashMap::len)
    }
}

/// A box taken out of an entry is never the marker: only a value that a
/// store put into an expunged entry could make it one.
fn assert_not_expunged<V>(p: *mut V) {
    assert!(
        p != expunged(),
        "sync: a store replaced the expunged marker: a value went into an expunged entry, \
         which no dirty map holds"
    );
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

fn dirty_of<K, V>(d: &mut Dirty<K, V>) -> &mut Table<K, V> {
    d.dirty
        .as_mut()
        .expect("sync: an expunged entry implies a dirty map")
}
