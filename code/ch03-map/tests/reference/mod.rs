//! The two reference maps of Go's `sync/map_reference_test.go` (go1.23.5),
//! written fresh for the property tests in `go_map.rs`: [`RwMutexMap`], a
//! plain map behind a reader-writer lock, and [`DeepCopyMap`], which copies
//! the whole map on every write so that readers take no writer's lock. Both
//! implement [`MapInterface`], the operations `Map` has (Go's
//! [`mapInterface`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_reference_test.go#L15)).

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, PoisonError, RwLock};

/// Go's `mapInterface`, with `Map`'s Rust signatures (values come back as
/// clones, `Option` replaces Go's `ok` results).
pub trait MapInterface<K, V> {
    fn load(&self, key: &K) -> Option<V>;
    fn store(&self, key: K, value: V);
    fn load_or_store(&self, key: K, value: V) -> (V, bool);
    fn load_and_delete(&self, key: &K) -> Option<V>;
    fn delete(&self, key: &K);
    fn swap(&self, key: K, value: V) -> Option<V>;
    fn compare_and_swap(&self, key: &K, old: &V, new: V) -> bool;
    fn compare_and_delete(&self, key: &K, old: &V) -> bool;
    fn range(&self, f: &mut dyn FnMut(&K, &V) -> bool);
    fn clear(&self);
}

/// Go's [`RWMutexMap`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_reference_test.go#L34):
/// every operation takes the lock; `range` copies the keys under the read
/// lock and loads each one again, so its callback runs with no lock held
/// (and may call the map, as `Map::range`'s may).
pub struct RwMutexMap<K, V> {
    dirty: RwLock<HashMap<K, V>>,
}

impl<K, V> Default for RwMutexMap<K, V> {
    fn default() -> Self {
        RwMutexMap {
            dirty: RwLock::new(HashMap::new()),
        }
    }
}

impl<K, V> RwMutexMap<K, V> {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<K, V>> {
        self.dirty.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<K, V>> {
        self.dirty.write().unwrap_or_else(PoisonError::into_inner)
    }
}

impl<K: Hash + Eq + Clone, V: Clone + PartialEq> MapInterface<K, V> for RwMutexMap<K, V> {
    fn load(&self, key: &K) -> Option<V> {
        self.read().get(key).cloned()
    }

    fn store(&self, key: K, value: V) {
        self.write().insert(key, value);
    }

    fn load_or_store(&self, key: K, value: V) -> (V, bool) {
        let mut m = self.write();
        if let Some(v) = m.get(&key) {
            return (v.clone(), true);
        }
        m.insert(key, value.clone());
        (value, false)
    }

    fn load_and_delete(&self, key: &K) -> Option<V> {
        self.write().remove(key)
    }

    fn delete(&self, key: &K) {
        self.write().remove(key);
    }

    fn swap(&self, key: K, value: V) -> Option<V> {
        self.write().insert(key, value)
    }

    fn compare_and_swap(&self, key: &K, old: &V, new: V) -> bool {
        let mut m = self.write();
        match m.get_mut(key) {
            Some(v) if v == old => {
                *v = new;
                true
            }
            _ => false,
        }
    }

    fn compare_and_delete(&self, key: &K, old: &V) -> bool {
        let mut m = self.write();
        if m.get(key) == Some(old) {
            m.remove(key);
            true
        } else {
            false
        }
    }

    fn range(&self, f: &mut dyn FnMut(&K, &V) -> bool) {
        let keys: Vec<K> = self.read().keys().cloned().collect();
        for k in keys {
            // Deleted since the keys were copied: skipped, as in Go.
            let Some(v) = self.load(&k) else { continue };
            if !f(&k, &v) {
                break;
            }
        }
    }

    fn clear(&self) {
        self.write().clear();
    }
}

/// Go's [`DeepCopyMap`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_reference_test.go#L158):
/// writers serialise on `mu`, copy the current map, change the copy and
/// publish it; readers take whichever copy is published. Go publishes
/// through an `atomic.Value`; std has no atomic `Arc`, so here a read lock
/// held only while cloning the `Arc` stands in for the atomic load. Readers
/// never wait for a writer's copying, which is the semantics that matters:
/// a read sees one whole published copy.
pub struct DeepCopyMap<K, V> {
    mu: Mutex<()>,
    clean: RwLock<Option<Arc<HashMap<K, V>>>>,
}

impl<K, V> Default for DeepCopyMap<K, V> {
    fn default() -> Self {
        DeepCopyMap {
            mu: Mutex::new(()),
            clean: RwLock::new(None),
        }
    }
}

impl<K: Hash + Eq + Clone, V: Clone + PartialEq> DeepCopyMap<K, V> {
    /// The published copy (Go's `m.clean.Load()`); `None` is Go's nil map.
    fn clean(&self) -> Option<Arc<HashMap<K, V>>> {
        self.clean
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    fn publish(&self, m: Option<HashMap<K, V>>) {
        *self.clean.write().unwrap_or_else(PoisonError::into_inner) = m.map(Arc::new);
    }

    /// Go's `DeepCopyMap.dirty`: a private copy of the published map, with
    /// room for one more key.
    fn dirty(&self) -> HashMap<K, V> {
        let clean = self.clean();
        let mut dirty = HashMap::with_capacity(clean.as_ref().map_or(0, |m| m.len()) + 1);
        if let Some(clean) = clean {
            dirty.extend(clean.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        dirty
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ()> {
        self.mu.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The lock-free pre-check of Go's `CompareAndSwap` and
    /// `CompareAndDelete`: no lock unless the published copy holds `old`.
    fn clean_holds(&self, key: &K, old: &V) -> bool {
        self.clean().is_some_and(|m| m.get(key) == Some(old))
    }
}

impl<K: Hash + Eq + Clone, V: Clone + PartialEq> MapInterface<K, V> for DeepCopyMap<K, V> {
    fn load(&self, key: &K) -> Option<V> {
        self.clean()?.get(key).cloned()
    }

    fn store(&self, key: K, value: V) {
        let _mu = self.lock();
        let mut dirty = self.dirty();
        dirty.insert(key, value);
        self.publish(Some(dirty));
    }

    fn load_or_store(&self, key: K, value: V) -> (V, bool) {
        if let Some(v) = self.load(&key) {
            return (v, true);
        }
        let _mu = self.lock();
        // Published again while we waited for `mu`?
        if let Some(v) = self.load(&key) {
            return (v, true);
        }
        let mut dirty = self.dirty();
        dirty.insert(key, value.clone());
        self.publish(Some(dirty));
        (value, false)
    }

    fn load_and_delete(&self, key: &K) -> Option<V> {
        let _mu = self.lock();
        let mut dirty = self.dirty();
        let previous = dirty.remove(key);
        self.publish(Some(dirty));
        previous
    }

    fn delete(&self, key: &K) {
        let _mu = self.lock();
        let mut dirty = self.dirty();
        dirty.remove(key);
        self.publish(Some(dirty));
    }

    fn swap(&self, key: K, value: V) -> Option<V> {
        let _mu = self.lock();
        let mut dirty = self.dirty();
        let previous = dirty.insert(key, value);
        self.publish(Some(dirty));
        previous
    }

    fn compare_and_swap(&self, key: &K, old: &V, new: V) -> bool {
        if !self.clean_holds(key, old) {
            return false;
        }
        let _mu = self.lock();
        let mut dirty = self.dirty();
        match dirty.get_mut(key) {
            Some(v) if v == old => {
                *v = new;
                self.publish(Some(dirty));
                true
            }
            _ => false,
        }
    }

    fn compare_and_delete(&self, key: &K, old: &V) -> bool {
        if !self.clean_holds(key, old) {
            return false;
        }
        let _mu = self.lock();
        let mut dirty = self.dirty();
        if dirty.get(key) == Some(old) {
            dirty.remove(key);
            self.publish(Some(dirty));
            true
        } else {
            false
        }
    }

    fn range(&self, f: &mut dyn FnMut(&K, &V) -> bool) {
        let Some(clean) = self.clean() else { return };
        for (k, v) in clean.iter() {
            if !f(k, v) {
                break;
            }
        }
    }

    fn clear(&self) {
        let _mu = self.lock();
        self.publish(None);
    }
}
