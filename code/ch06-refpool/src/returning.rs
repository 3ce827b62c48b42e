//! What users reach for today: an `Arc<T>` whose inner value goes back to
//! a pool when the last `Arc` is dropped. It works, and it is the baseline
//! the chapter measures [`crate::handle::PoolRef`] against: every `get`
//! allocates the `Arc`'s box (the object inside is reused, the counts
//! around it are not), and the wrapper's `Option` is checked on every use.

use std::ops::Deref;
use std::sync::Arc;

use ch05_pool::Pool;

/// A pooled object that returns itself to `pool` when dropped; share it
/// as `Arc<Returning<T>>`.
// ANCHOR: returning
pub struct Returning<'p, T: Send + 'static> {
    value: Option<T>,
    pool: &'p Pool<T>,
}

impl<T: Send + 'static> Drop for Returning<'_, T> {
    fn drop(&mut self) {
        if let Some(v) = self.value.take() {
            self.pool.put(v);
        }
    }
}
// ANCHOR_END: returning

impl<T: Send + 'static> Deref for Returning<'_, T> {
    type Target = T;

    fn deref(&self) -> &T {
        self.value.as_ref().expect("taken only by drop")
    }
}

/// Takes an object from `pool` and wraps it in a fresh `Arc`.
pub fn get<T: Send + 'static>(pool: &Pool<T>) -> Arc<Returning<'_, T>> {
    Arc::new(Returning {
        value: Some(pool.get().expect("the pool has a new function")),
        pool,
    })
}
