//! `ShardedRwMutex<T>`: the reader count split across cache lines. Each
//! shard is a chapter 2 [`RawRwMutex`]; a reader locks the shard of its
//! thread, a writer locks every shard in order.

use std::fmt;
use std::marker::PhantomData;
use std::ops::{Deref, DerefMut};

use crate::raw::RawRwMutex;
use crate::sync::cell::UnsafeCell;

// ANCHOR: padded
/// One shard on its own 128-byte block: two adjacent 64-byte lines, since
/// x86's spatial prefetcher pulls lines in pairs (crossbeam's `CachePadded`
/// uses 128 for the same reason). Without it two readers' counters would
/// share a line and the sharding would buy nothing.
#[repr(align(128))]
struct Shard(RawRwMutex);
// ANCHOR_END: padded

// ANCHOR: type
/// A reader/writer lock whose readers rarely touch the same cache line.
///
/// Go's `RWMutex` (and [`RwMutex`](crate::RwMutex)) counts every reader in
/// one word, so readers on different cores take turns owning that word's
/// cache line even though they never wait for each other. Here each thread
/// reads through its own shard: readers on different shards share nothing.
/// The price is paid by writers, which must lock every shard (so a write
/// costs about `shards` uncontended locks), and in memory: 128 bytes per
/// shard.
///
/// Readers are locked out shard by shard, in index order, so two writers
/// cannot deadlock (they meet at shard 0), and each shard keeps Go's writer
/// preference.
pub struct ShardedRwMutex<T: ?Sized> {
    shards: Box<[Shard]>,
    data: UnsafeCell<T>,
}
// ANCHOR_END: type

// SAFETY: as for `RwMutex`: readers share `&T` across threads, a writer on
// any thread gets `&mut T`.
unsafe impl<T: ?Sized + Send> Send for ShardedRwMutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send + Sync> Sync for ShardedRwMutex<T> {}

/// A read lock on one shard; derefs to `&T`.
#[must_use = "the read lock is released as soon as the guard is dropped"]
pub struct ShardedReadGuard<'a, T: ?Sized> {
    lock: &'a ShardedRwMutex<T>,
    shard: usize,
    _not_send: PhantomData<*const ()>,
}

/// The write lock on every shard; derefs to `&mut T`.
#[must_use = "the write lock is released as soon as the guard is dropped"]
pub struct ShardedWriteGuard<'a, T: ?Sized> {
    lock: &'a ShardedRwMutex<T>,
    _not_send: PhantomData<*const ()>,
}

// SAFETY: sharing either guard shares `&T` only.
unsafe impl<T: ?Sized + Sync> Sync for ShardedReadGuard<'_, T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Sync> Sync for ShardedWriteGuard<'_, T> {}

/// The default shard count: the CPUs, rounded up to a power of two,
/// between 2 and 64.
fn default_shards() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .next_power_of_two()
        .clamp(2, 64)
}

impl<T> ShardedRwMutex<T> {
    /// A new, unlocked lock holding `value`, with a shard per CPU.
    pub fn new(value: T) -> Self {
        Self::with_shards(default_shards(), value)
    }

    /// A new, unlocked lock with `shards` shards (at least 1).
    pub fn with_shards(shards: usize, value: T) -> Self {
        Self {
            shards: (0..shards.max(1))
                .map(|_| Shard(RawRwMutex::new()))
                .collect(),
            data: UnsafeCell::new(value),
        }
    }

    /// Consumes the lock and returns the data.
    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: ?Sized> ShardedRwMutex<T> {
    /// How many shards the lock has.
    pub fn shards(&self) -> usize {
        self.shards.len()
    }

    // ANCHOR: read
    /// Locks the calling thread's shard for reading.
    pub fn read(&self) -> ShardedReadGuard<'_, T> {
        let shard = thread_index::current() % self.shards.len();
        self.shards[shard].0.rlock();
        ShardedReadGuard {
            lock: self,
            shard,
            _not_send: PhantomData,
        }
    }
    // ANCHOR_END: read

    /// Locks the calling thread's shard for reading if no writer holds it
    /// or waits for it.
    pub fn try_read(&self) -> Option<ShardedReadGuard<'_, T>> {
        let shard = thread_index::current() % self.shards.len();
        self.shards[shard]
            .0
            .try_rlock()
            .then_some(ShardedReadGuard {
                lock: self,
                shard,
                _not_send: PhantomData,
            })
    }

    // ANCHOR: write
    /// Locks every shard for writing, in index order.
    pub fn write(&self) -> ShardedWriteGuard<'_, T> {
        for shard in self.shards.iter() {
            shard.0.lock();
        }
        ShardedWriteGuard {
            lock: self,
            _not_send: PhantomData,
        }
    }
    // ANCHOR_END: write

    /// Locks every shard for writing if none is held or waited for (see
    /// [`try_lock_all`]).
    pub fn try_write(&self) -> Option<ShardedWriteGuard<'_, T>> {
        try_lock_all(&self.shards).then_some(ShardedWriteGuard {
            lock: self,
            _not_send: PhantomData,
        })
    }

    /// The data, through a unique borrow: no locking needed.
    pub fn get_mut(&mut self) -> &mut T {
        // SAFETY: `&mut self` means no guard and no other borrow exists.
        self.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: ?Sized> Drop for ShardedReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.shards[self.shard].0.runlock();
    }
}

impl<T: ?Sized> Drop for ShardedWriteGuard<'_, T> {
    fn drop(&mut self) {
        // Any order is fine for unlocking; the reverse of locking keeps
        // shard 0, where the next writer waits, for last.
        for shard in self.lock.shards.iter().rev() {
            shard.0.unlock();
        }
    }
}

impl<T: ?Sized> Deref for ShardedReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a writer holds every shard, ours included, so while we
        // hold ours for reading no writer holds the lock.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> Deref for ShardedWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: holding every shard for writing excludes every reader
        // (each reads through some shard) and every other writer.
        self.lock.data.with(|p| unsafe { &*p })
    }
}

impl<T: ?Sized> DerefMut for ShardedWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`; `&mut self` makes the borrow unique.
        self.lock.data.with_mut(|p| unsafe { &mut *p })
    }
}

impl<T: Default> Default for ShardedRwMutex<T> {
    fn default() -> Self {
        Self::new(T::default())
    }
}

impl<T: ?Sized + fmt::Debug> fmt::Debug for ShardedRwMutex<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("ShardedRwMutex");
        d.field("shards", &self.shards.len());
        match self.try_read() {
            Some(guard) => d.field("data", &&*guard),
            None => d.field("data", &format_args!("<locked>")),
        };
        d.finish_non_exhaustive()
    }
}

impl AsRef<RawRwMutex> for Shard {
    fn as_ref(&self) -> &RawRwMutex {
        &self.0
    }
}

// ANCHOR: try_lock_all
/// Write-locks every lock in `shards`, in order, without waiting, and says
/// whether it did. At the first lock that is held or waited for, it
/// unlocks the ones it has taken (and only those) and returns `false`,
/// leaving every lock as it found it.
pub fn try_lock_all<S: AsRef<RawRwMutex>>(shards: &[S]) -> bool {
    for (i, shard) in shards.iter().enumerate() {
        if !shard.as_ref().try_lock() {
            for taken in &shards[..i] {
                taken.as_ref().unlock();
            }
            return false;
        }
    }
    true
}
// ANCHOR_END: try_lock_all

// ANCHOR: thread_index
/// A number per thread that picks its shard: threads are numbered in the
/// order they first read, so the first `shards` threads get a shard each.
mod thread_index {
    /// Not under loom: chapter 1's thread ids, handed out from 1.
    #[cfg(not(loom))]
    pub(super) fn current() -> usize {
        ch01_mutex::reentrant::current_thread_id()
    }

    // Under loom: numbers from 0 in each execution (loom replays a
    // schedule and needs the same shard choices each time).
    #[cfg(loom)]
    loom::lazy_static! {
        static ref NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    }

    #[cfg(loom)]
    loom::thread_local! {
        // Relaxed: a plain std counter outside the model; it only hands
        // out numbers.
        static INDEX: usize = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    #[cfg(loom)]
    pub(super) fn current() -> usize {
        INDEX.with(|i| *i)
    }
}
// ANCHOR_END: thread_index
