//! `Map`: Go 1.23's read/dirty map.

use crate::entry::{Entry, LoadOrStore, holds};
use crate::reclaim::{AtMapDrop, Reclaim};
use crate::sync::Arc;
use crate::sync::atomic::{AtomicPtr, Ordering};
use ch01_mutex::{Mutex, MutexGuard};
use std::borrow::Borrow;
use std::collections::HashMap;
use std::fmt;
use std::hash::Hash;
use std::marker::PhantomData;
use std::ptr;

/// The hash every table in the map uses (and the benchmarks give the peers):
/// `foldhash`, seeded per map, like Go's per-map hash seed.
#[cfg(not(loom))]
pub type Hasher = foldhash::fast::RandomState;
/// Under loom, `foldhash` with a fixed seed: a model must take the same steps
/// in every execution, and a random seed changes the tables' iteration order
/// (so the order of `dirty_locked`'s expunges, `range`'s loads and drops).
#[cfg(loom)]
pub type Hasher = foldhash::fast::FixedState;

type Table<K, V> = HashMap<K, Arc<Entry<V>>, Hasher>;

/// The scheme a plain `Map::new()` uses: [`Seize`](crate::Seize), or
/// [`AtMapDrop`] under loom.
#[cfg(not(loom))]
pub type DefaultReclaim = crate::reclaim::Seize;
/// The scheme a plain `Map::new()` uses: [`Seize`](crate::Seize), or
/// [`AtMapDrop`] under loom.
#[cfg(loom)]
pub type DefaultReclaim = AtMapDrop;

// ANCHOR: fields
/// A concurrent map tuned for grow-only caches and for threads that each
/// keep to their own keys.
///
/// Go's [`sync.Map`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L38),
/// with the same fields. A load that the snapshot can answer (a hit, or a
/// miss while the snapshot is not amended) takes no lock and writes nothing
/// in the map; only the reclamation scheme's own bookkeeping is written. A
/// miss on an amended snapshot locks `mu` and counts in `misses`.
pub struct Map<K, V, R: Reclaim = DefaultReclaim> {
    /// Go's `mu`, guarding `dirty` and `misses`.
    mu: Mutex<Dirty<K, V>>,
    /// Go's `read`: the read-only snapshot. Any thread may load it; only a
    /// holder of `mu` replaces it. Null is the empty snapshot, and the low bit
    /// is Go's `readOnly.amended`: the dirty map has a key the snapshot lacks.
    read: AtomicPtr<ReadOnly<K, V>>,
    /// What frees replaced snapshots and values (Go's garbage collector).
    reclaim: R,
    _owns: PhantomData<ReadOnly<K, V>>,
}

/// What `mu` guards.
struct Dirty<K, V> {
    /// Go's `dirty`: every entry of the snapshot except the expunged ones
    /// (deleted, null entries included), plus keys the snapshot lacks;
    /// `None` until the first store of a new key after promotion.
    dirty: Option<Table<K, V>>,
    /// Go's `misses`: lookups that went on to the dirty table under `mu`
    /// since `read` was last replaced.
    misses: usize,
}

/// Go's `readOnly.m`. Immutable once published; shared by every reader that
/// loaded it until the last of their guards drops.
struct ReadOnly<K, V> {
    m: Table<K, V>,
}
// ANCHOR_END: fields

const AMENDED: usize = 1;

/// A loaded `read` word: Go's `readOnly` value.
struct Snapshot<'g, K, V> {
    ptr: *mut ReadOnly<K, V>,
    m: Option<&'g Table<K, V>>,
    amended: bool,
}

impl<K, V> Snapshot<'_, K, V> {
    fn len(&self) -> usize {
        self.m.map_or(0, HashMap::len)
    }
}

// SAFETY: the map owns its keys and values, and moving it moves them.
unsafe impl<K: Send, V: Send, R: Reclaim> Send for Map<K, V, R> {}
// SAFETY: `&Map` lets any thread insert, read (`&K`, `&V` in `range`) and drop
// (through reclamation, on any thread) keys and values.
unsafe impl<K: Send + Sync, V: Send + Sync, R: Reclaim> Sync for Map<K, V, R> {}

impl<K, V> Map<K, V> {
    /// An empty map, with no table until the first store. (Its reclamation
    /// scheme, `seize`'s collector, allocates its per-thread slots here.)
    pub fn new() -> Self {
        Self::with_reclaim(DefaultReclaim::default())
    }
}

impl<K, V> Default for Map<K, V> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(not(loom))]
impl<K: 'static, V: 'static> Map<K, V, crate::reclaim::Epoch> {
    /// An empty map whose garbage goes to `crossbeam-epoch`'s global
    /// collector, which may free it after the map is gone (hence `'static`).
    pub fn new_epoch() -> Self {
        Self::with_reclaim(crate::reclaim::Epoch::default())
    }
}

impl<K, V> Map<K, V, AtMapDrop> {
    /// An empty map that frees replaced values only when it drops.
    pub fn new_at_map_drop() -> Self {
        Self::with_reclaim(AtMapDrop::default())
    }
}

impl<K, V, R: Reclaim> Map<K, V, R> {
    fn with_reclaim(reclaim: R) -> Self {
        Map {
            mu: Mutex::new(Dirty {
                dirty: None,
                misses: 0,
            }),
            read: AtomicPtr::new(ptr::null_mut()),
            reclaim,
            _owns: PhantomData,
        }
    }
}

impl<K, V, R> Map<K, V, R>
where
    K: Hash + Eq + Clone + Send,
    V: Send,
    R: Reclaim,
{
    // ANCHOR: load_read_only
    /// Go's `loadReadOnly`.
    #[inline]
    fn load_read_only<'g>(&self, guard: &'g R::Guard<'_>) -> Snapshot<'g, K, V> {
        // Acquire: pairs with the Release in `store_read`, so the snapshot's
        // table is visible (killed by the loom model `promotion_publishes`).
        let word = R::protect(guard, &self.read, Ordering::Acquire);
        let ptr = word.map_addr(|a| a & !AMENDED);
        Snapshot {
            ptr,
            // SAFETY: published by `store_read`, protected by `guard`, and
            // never written after publication.
            m: unsafe { ptr.as_ref() }.map(|r| &r.m),
            amended: word.addr() & AMENDED != 0,
        }
    }

    /// Stores a new `read` word; the caller holds `mu`.
    fn store_read(&self, _locked: &Dirty<K, V>, ptr: *mut ReadOnly<K, V>, amended: bool) {
        let word = ptr.map_addr(|a| a | usize::from(amended));
        // Release: publishes the table behind `ptr` (built by this thread, or
        // loaded by it under `mu`) to lock-free readers.
        self.read.store(word, Ordering::Release);
    }

    /// Publishes `table` as the snapshot, not amended, and retires the old one.
    fn promote_locked(&self, guard: &R::Guard<'_>, d: &Dirty<K, V>, table: Option<Table<K, V>>) {
        // Relaxed: only holders of `mu` store `read`, and we hold it.
        let old = self.read.load(Ordering::Relaxed).map_addr(|a| a & !AMENDED);
        let new = match table {
            Some(m) if !m.is_empty() => Box::into_raw(Box::new(ReadOnly { m })),
            _ => ptr::null_mut(),
        };
        self.store_read(d, new, false);
        if !old.is_null() {
            // SAFETY: a boxed snapshot, now unreachable from `read`.
            unsafe { self.reclaim.retire(guard, old) };
        }
    }
    // ANCHOR_END: load_read_only

    // ANCHOR: load
    /// Go's `Load`: the value stored for `key`, if any.
    pub fn load<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        let guard = self.reclaim.enter();
        let mut read = self.load_read_only(&guard);
        let mut e = read.m.and_then(|m| m.get(key)).map(|e| &**e);
        // Keeps an entry found only in the dirty map alive after unlocking.
        let held: Option<Arc<Entry<V>>>;
        if e.is_none() && read.amended {
            let mut d = self.mu.lock();
            // `read` may have been replaced while we queued on `mu`. Only a
            // lookup that fails in the snapshot now current goes on to
            // `dirty` and counts.
            read = self.load_read_only(&guard);
            e = read.m.and_then(|m| m.get(key)).map(|e| &**e);
            if e.is_none() && read.amended {
                held = d.dirty.as_ref().and_then(|t| t.get(key)).cloned();
                // Counted found or not: each trip to `dirty` is work that
                // the next promotion saves.
                self.miss_locked(&guard, &mut d);
                drop(d);
                e = held.as_deref();
            }
        }
        e?.load::<R>(&guard).cloned()
    }
    // ANCHOR_END: load

    /// Go's `Store`: sets the value for `key`.
    pub fn store(&self, key: K, value: V) {
        let guard = self.reclaim.enter();
        let previous = self.swap_in(&guard, key, value);
        if !previous.is_null() {
            // SAFETY: `swap_in` unlinked it.
            unsafe { self.reclaim.retire(&guard, previous) };
        }
    }

    /// Go's `Swap`: sets the value for `key` and returns the previous one.
    pub fn swap(&self, key: K, value: V) -> Option<V>
    where
        V: Clone,
    {
        let guard = self.reclaim.enter();
        let previous = self.swap_in(&guard, key, value);
        if previous.is_null() {
            return None;
        }
        Some(self.clone_then_retire(&guard, previous))
    }

    /// Clones the value in a box this thread has just unlinked, then retires
    /// the box, also when the clone panics (or the box would leak).
    fn clone_then_retire(&self, guard: &R::Guard<'_>, p: *mut V) -> V
    where
        V: Clone,
    {
        struct RetireOnDrop<'a, 'g, K, V: Send, R: Reclaim + 'g> {
            map: &'a Map<K, V, R>,
            guard: &'a R::Guard<'g>,
            p: *mut V,
        }
        impl<'g, K, V: Send, R: Reclaim + 'g> Drop for RetireOnDrop<'_, 'g, K, V, R> {
            fn drop(&mut self) {
                // SAFETY: unlinked by the caller's operation, retired once,
                // here, after the clone has read it.
                unsafe { self.map.reclaim.retire(self.guard, self.p) };
            }
        }
        let retire = RetireOnDrop {
            map: self,
            guard,
            p,
        };
        // SAFETY: unlinked and not yet retired, so still valid.
        let value = unsafe { &*retire.p }.clone();
        drop(retire);
        value
    }

    // ANCHOR: swap
    /// Go's `Swap`, up to the previous box (null if none), which the caller
    /// reads and retires.
    fn swap_in(&self, guard: &R::Guard<'_>, key: K, value: V) -> *mut V {
        let value = Owned::new(value);
        let read = self.load_read_only(guard);
        if let Some(e) = read.m.and_then(|m| m.get(&key)) {
            if let Ok(previous) = e.try_swap::<R>(guard, value.ptr) {
                value.publish();
                return previous;
            }
        }

        let mut d = self.mu.lock();
        let read = self.load_read_only(guard);
        if let Some(e) = read.m.and_then(|m| m.get(&key)) {
            if e.unexpunge_locked() {
                // Null must mean "in `dirty`, or no `dirty`". The entry was
                // left out of an existing `dirty`, so it goes back in while
                // we still hold `mu`.
                dirty_of(&mut d).insert(key, Arc::clone(e));
            }
            e.swap_locked(value.publish())
        } else if let Some(e) = d.dirty.as_ref().and_then(|t| t.get(&key)) {
            e.swap_locked(value.publish())
        } else {
            if !read.amended {
                // No key is missing from the snapshot yet: this one will be,
                // so `dirty` must exist and `amended` must be set first.
                self.dirty_locked(&mut d, &read);
                self.store_read(&d, read.ptr, true);
            }
            let e = Arc::new(Entry::new(value.publish()));
            dirty_of(&mut d).insert(key, e);
            ptr::null_mut()
        }
    }
    // ANCHOR_END: swap

    /// Go's `LoadOrStore`: the existing value for `key` and `true`, or, if
    /// there is none, stores `value` and returns it and `false`.
    pub fn load_or_store(&self, key: K, value: V) -> (V, bool)
    where
        V: Clone,
    {
        let guard = self.reclaim.enter();
        // The lock-free attempt: it settles every key the snapshot holds,
        // unless the entry is expunged.
        let read = self.load_read_only(&guard);
        let mut value = value;
        if let Some(e) = read.m.and_then(|m| m.get(&key)) {
            match e.try_load_or_store::<R>(&guard, value) {
                Ok(found) => return found.cloned(),
                Err(back) => value = back,
            }
        }

        let mut d = self.mu.lock();
        let read = self.load_read_only(&guard);
        let held: Arc<Entry<V>>;
        let e: &Entry<V> = if let Some(e) = read.m.and_then(|m| m.get(&key)) {
            if e.unexpunge_locked() {
                dirty_of(&mut d).insert(key, Arc::clone(e));
            }
            e
        } else if let Some(e) = d.dirty.as_ref().and_then(|t| t.get(&key)) {
            held = Arc::clone(e);
            self.miss_locked(&guard, &mut d);
            &held
        } else {
            if !read.amended {
                self.dirty_locked(&mut d, &read);
                self.store_read(&d, read.ptr, true);
            }
            let stored = Owned::new(value).publish();
            held = Arc::new(Entry::new(stored));
            dirty_of(&mut d).insert(key, Arc::clone(&held));
            drop(d);
            // Our own box, as Go returns `value`: once `mu` is released the
            // entry may hold another store's value, or none after a delete.
            // SAFETY: while the box is the entry's, `held` keeps the entry
            // (so the box) alive, even past a `clear`; a thread that takes
            // it out of the entry retires it, and `guard` holds it back.
            return (unsafe { &*stored }.clone(), false);
        };
        // Not expunged now (we hold `mu`), so this cannot hand `value` back.
        let found = e.try_load_or_store::<R>(&guard, value);
        drop(d);
        match found {
            Ok(found) => found.cloned(),
            Err(_) => unreachable!("sync: an entry expunged while mu is held"),
        }
    }

    // ANCHOR: load_and_delete
    /// Go's `LoadAndDelete`: deletes `key`, returning its value if it had one.
    pub fn load_and_delete<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: Clone,
    {
        let guard = self.reclaim.enter();
        let p = self.delete_in(&guard, key)?;
        Some(self.clone_then_retire(&guard, p))
    }

    /// Go's `Delete`.
    pub fn delete<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let guard = self.reclaim.enter();
        if let Some(p) = self.delete_in(&guard, key) {
            // SAFETY: unlinked by `delete_in`.
            unsafe { self.reclaim.retire(&guard, p) };
        }
    }

    /// Go's `LoadAndDelete`, up to the removed box.
    fn delete_in<Q>(&self, guard: &R::Guard<'_>, key: &Q) -> Option<*mut V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let mut read = self.load_read_only(guard);
        let mut e = read.m.and_then(|m| m.get(key)).map(|e| &**e);
        let held: Option<(K, Arc<Entry<V>>)>;
        if e.is_none() && read.amended {
            let mut d = self.mu.lock();
            read = self.load_read_only(guard);
            e = read.m.and_then(|m| m.get(key)).map(|e| &**e);
            if e.is_none() && read.amended {
                // Removed from the table, key and entry, so ours: both are
                // dropped after `mu` is released, because dropping a key or
                // a value runs user code.
                held = d.dirty.as_mut().and_then(|t| t.remove_entry(key));
                self.miss_locked(guard, &mut d);
                drop(d);
                e = held.as_ref().map(|(_, e)| &**e);
            }
        }
        e?.delete::<R>(guard)
    }
    // ANCHOR_END: load_and_delete

    /// Go's `CompareAndSwap`: swaps in `new` if the value for `key` equals
    /// `old`.
    ///
    /// Unlike Go, the comparison runs after `mu` is released: `PartialEq` is
    /// user code, which may itself use the map.
    pub fn compare_and_swap<Q>(&self, key: &Q, old: &V, new: V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        let guard = self.reclaim.enter();
        let mut read = self.load_read_only(&guard);
        let mut e = read.m.and_then(|m| m.get(key)).map(|e| &**e);
        let held: Option<Arc<Entry<V>>>;
        if e.is_none() {
            if !read.amended {
                // Not in a complete snapshot: the key is absent.
                return false;
            }
            let mut d = self.mu.lock();
            read = self.load_read_only(&guard);
            e = read.m.and_then(|m| m.get(key)).map(|e| &**e);
            if e.is_none() {
                held = d.dirty.as_ref().and_then(|t| t.get(key)).cloned();
                if held.is_some() {
                    // This lookup needed `dirty`; counting it brings nearer
                    // the promotion that lets the next one skip the lock.
                    self.miss_locked(&guard, &mut d);
                }
                drop(d);
                e = held.as_deref();
            }
        }
        let Some(e) = e else { return false };
        match e.try_compare_and_swap::<R>(&guard, old, new) {
            Some(p) => {
                // SAFETY: unlinked by the swap.
                unsafe { self.reclaim.retire(&guard, p) };
                true
            }
            None => false,
        }
    }

    // ANCHOR: compare_and_delete
    /// Go's `CompareAndDelete`: deletes `key` if its value equals `old`.
    pub fn compare_and_delete<Q>(&self, key: &Q, old: &V) -> bool
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
        V: PartialEq,
    {
        let guard = self.reclaim.enter();
        let mut read = self.load_read_only(&guard);
        let mut e = read.m.and_then(|m| m.get(key)).map(|e| &**e);
        let held: Option<Arc<Entry<V>>>;
        if e.is_none() && read.amended {
            let mut d = self.mu.lock();
            read = self.load_read_only(&guard);
            e = read.m.and_then(|m| m.get(key)).map(|e| &**e);
            if e.is_none() && read.amended {
                // Left in `dirty`: the comparison below may still fail. If it
                // succeeds, the null entry leaves the tables the usual way:
                // promoted with `dirty`, expunged by the next `dirty_locked`,
                // dropped at the promotion after that.
                held = d.dirty.as_ref().and_then(|t| t.get(key)).cloned();
                self.miss_locked(&guard, &mut d);
                drop(d);
                e = held.as_deref();
            }
        }
        let Some(e) = e else { return false };
        loop {
            let p = e.load_ptr::<R>(&guard);
            // SAFETY: loaded through `guard`, which is live.
            if !unsafe { holds(p, old) } {
                return false;
            }
            if e.cas_to_null(p) {
                // SAFETY: unlinked by the CAS.
                unsafe { self.reclaim.retire(&guard, p) };
                return true;
            }
        }
    }
    // ANCHOR_END: compare_and_delete

    // ANCHOR: range
    /// Go's `Range`: calls `f` for each key and value until it returns
    /// `false`.
    ///
    /// As in Go, this is no consistent snapshot: no key is visited twice,
    /// but a key stored or deleted during the call (by `f` too) may or may
    /// not be seen. `f` may call any method of this map. Nothing the map
    /// retires is freed until `range` returns.
    pub fn range<F>(&self, mut f: F)
    where
        F: FnMut(&K, &V) -> bool,
    {
        let guard = self.reclaim.enter();
        let mut read = self.load_read_only(&guard);
        if read.amended {
            // An amended snapshot lacks keys. Promoting now makes it
            // complete, and the walk below costs O(n) in any case.
            let mut d = self.mu.lock();
            read = self.load_read_only(&guard);
            if read.amended {
                let table = d.dirty.take();
                d.misses = 0;
                self.promote_locked(&guard, &d, table);
                read = self.load_read_only(&guard);
            }
        }
        let Some(m) = read.m else { return };
        for (k, e) in m {
            if let Some(v) = e.load::<R>(&guard) {
                if !f(k, v) {
                    break;
                }
            }
        }
    }
    // ANCHOR_END: range

    /// Go's `Clear` (Go 1.23): deletes every entry.
    pub fn clear(&self) {
        let guard = self.reclaim.enter();
        let read = self.load_read_only(&guard);
        if read.len() == 0 && !read.amended {
            // Nothing to clear, and nothing to publish or retire.
            return;
        }
        let mut d = self.mu.lock();
        let read = self.load_read_only(&guard);
        if read.len() > 0 || read.amended {
            self.promote_locked(&guard, &d, None);
        }
        // Go clears the dirty table in place. Dropping its entries may run
        // values' `Drop`, so ours is moved out and dropped after unlocking.
        let old_dirty = d.dirty.as_mut().map(std::mem::take);
        // `misses` belongs to the snapshot it was counted against, which
        // is gone (or was already empty and complete): count from zero.
        d.misses = 0;
        drop(d);
        drop(old_dirty);
    }

    // ANCHOR: miss_locked
    /// Go's `missLocked`: counts one locked lookup. Once the count reaches the
    /// dirty table's length, the locked lookups have cost about one copy of
    /// it, and the table moves into a new snapshot.
    fn miss_locked(&self, guard: &R::Guard<'_>, d: &mut MutexGuard<'_, Dirty<K, V>>) {
        d.misses += 1;
        if d.misses < d.dirty.as_ref().map_or(0, HashMap::len) {
            return;
        }
        let table = d.dirty.take();
        d.misses = 0;
        self.promote_locked(guard, d, table);
    }
    // ANCHOR_END: miss_locked

    // ANCHOR: dirty_locked
    /// Go's `dirtyLocked`: builds the dirty map from the snapshot, leaving
    /// out (and expunging) the deleted entries.
    fn dirty_locked(&self, d: &mut MutexGuard<'_, Dirty<K, V>>, read: &Snapshot<'_, K, V>) {
        if d.dirty.is_some() {
            return;
        }
        let mut dirty = Table::with_capacity_and_hasher(read.len(), Hasher::default());
        if let Some(m) = read.m {
            // Cloning a key runs user code. If one panics, this guard turns
            // the entries already expunged back into deleted ones: with no
            // dirty map, none may stay expunged.
            let undo = UnexpungeOnUnwind(m);
            for (k, e) in m {
                if !e.try_expunge_locked() {
                    dirty.insert(k.clone(), Arc::clone(e));
                }
            }
            std::mem::forget(undo);
        }
        d.dirty = Some(dirty);
    }
    // ANCHOR_END: dirty_locked
}

/// See `dirty_locked`.
struct UnexpungeOnUnwind<'a, K, V>(&'a Table<K, V>);

impl<K, V> Drop for UnexpungeOnUnwind<'_, K, V> {
    fn drop(&mut self) {
        for e in self.0.values() {
            e.restore_expunged_locked();
        }
    }
}

impl<'g, V: Clone> LoadOrStore<'g, V> {
    fn cloned(self) -> (V, bool) {
        match self {
            LoadOrStore::Loaded(v, _unused) => (v.clone(), true),
            LoadOrStore::Stored(v) => (v.clone(), false),
        }
    }
}

impl<K, V, R> fmt::Debug for Map<K, V, R>
where
    K: Hash + Eq + Clone + Send + fmt::Debug,
    V: Send + fmt::Debug,
    R: Reclaim,
{
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = f.debug_map();
        self.range(|k, v| {
            out.entry(k, v);
            true
        });
        out.finish()
    }
}

impl<K, V, R: Reclaim> Drop for Map<K, V, R> {
    fn drop(&mut self) {
        // Relaxed: `&mut self` means every other thread is done with the map.
        let word = self.read.load(Ordering::Relaxed);
        let ptr = word.map_addr(|a| a & !AMENDED);
        if !ptr.is_null() {
            // SAFETY: the current snapshot, owned by the map; retired ones
            // are the reclaimer's, freed when it drops.
            drop(unsafe { Box::from_raw(ptr) });
        }
    }
}

fn dirty_of<'a, K, V>(d: &'a mut MutexGuard<'_, Dirty<K, V>>) -> &'a mut Table<K, V> {
    d.dirty
        .as_mut()
        .expect("sync: an expunged entry implies a dirty map")
}

/// A boxed value not yet published: freed if the operation unwinds first.
struct Owned<V> {
    ptr: *mut V,
}

impl<V> Owned<V> {
    fn new(value: V) -> Self {
        Owned {
            ptr: Box::into_raw(Box::new(value)),
        }
    }

    /// Hands the box over to an entry.
    fn publish(self) -> *mut V {
        let ptr = self.ptr;
        std::mem::forget(self);
        ptr
    }
}

impl<V> Drop for Owned<V> {
    fn drop(&mut self) {
        // SAFETY: never published, so still ours.
        drop(unsafe { Box::from_raw(self.ptr) });
    }
}
