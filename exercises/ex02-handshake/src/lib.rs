//! The reader/writer handshake of Go's `RWMutex`.
//!
//! This is chapter 2's `RawRwMutex` (without `try_rlock`, which is
//! `ex02-try-rlock`) with two things for you to do, then run
//! `cargo workshop check ex02-handshake`:
//!
//! 1. `runlock_slow` is empty: the way out for a reader that finds the
//!    count negative. Which reader wakes the writer, and what is misuse?
//! 2. `lock` has a bug. It came from translating Go's `Lock` line by line,
//!    and it compiles and often works. The tests, and above all the loom
//!    model (`tests/loom.rs`), find it; you find the line.

use ch00_runtime::{semacquire, semrelease};
use ch01_mutex::RawMutex;

use ch00_runtime::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use ch00_runtime::sync::atomic::{AtomicI32, AtomicU32};

/// Subtracted from the reader count by a writer to announce itself.
pub const RWMUTEX_MAX_READERS: i32 = 1 << 30;

/// Go's reader/writer lock.
#[derive(Debug)]
pub struct RawRwMutex {
    /// Writers take turns here, for the whole of their visit.
    w: RawMutex,
    /// The writer sleeps here until the readers it waits for have left.
    writer_sem: AtomicU32,
    /// Readers that came while a writer was pending sleep here.
    reader_sem: AtomicU32,
    /// Readers in or queued; minus `RWMUTEX_MAX_READERS` while a writer is
    /// pending or holds the lock.
    reader_count: AtomicI32,
    /// Readers the pending writer still waits for.
    reader_wait: AtomicI32,
}

impl Default for RawRwMutex {
    fn default() -> Self {
        Self::new()
    }
}

/// Go's `fatal`: print the message and abort the process.
#[cold]
fn fatal(msg: &str) -> ! {
    eprintln!("fatal error: {msg}");
    std::process::abort()
}

impl RawRwMutex {
    /// An unlocked lock.
    pub fn new() -> Self {
        Self {
            w: RawMutex::new(),
            writer_sem: AtomicU32::new(0),
            reader_sem: AtomicU32::new(0),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
        }
    }

    /// Locks for reading, waiting while a writer holds or waits for it.
    pub fn rlock(&self) {
        // Acquire: pairs with `unlock`'s Release.
        if self.reader_count.fetch_add(1, Acquire) + 1 < 0 {
            semacquire(&self.reader_sem);
        }
    }

    /// Undoes one `rlock`.
    pub fn runlock(&self) {
        // Release: pairs with the Acquire of the writer's announcement.
        let r = self.reader_count.fetch_sub(1, Release) - 1;
        if r < 0 {
            self.runlock_slow(r);
        }
    }

    /// A reader left and found the count negative (`r` is the count after
    /// it left): a writer is pending, or nobody held a read lock.
    fn runlock_slow(&self, r: i32) {
        // TODO(exercise): first, the misuse: which values of `r` can only
        // mean that no reader held the lock? End the process with
        // `fatal("sync: RUnlock of unlocked RWMutex")` for those. Then the
        // pending writer: it waits for the readers it counted in
        // `reader_wait`; exactly one departing reader must wake it, with
        // `semrelease(&self.writer_sem, false)`. Mind the ordering: the
        // writer must see every departed reader's reads done.
        todo!("runlock_slow")
    }

    /// Locks for writing: waits for the writer ahead, announces itself,
    /// then waits for the readers inside.
    pub fn lock(&self) {
        self.w.lock();
        // Announce, and learn how many readers are inside.
        let r = self.reader_count.fetch_sub(RWMUTEX_MAX_READERS, Acquire);
        // Wait for them, unless they have all left already.
        if r != 0 && self.reader_wait.fetch_add(r, Acquire) != 0 {
            semacquire(&self.writer_sem);
        }
    }

    /// Locks for writing if nobody holds or waits for the lock.
    pub fn try_lock(&self) -> bool {
        if !self.w.try_lock() {
            return false;
        }
        if self
            .reader_count
            .compare_exchange(0, -RWMUTEX_MAX_READERS, Acquire, Relaxed)
            .is_err()
        {
            self.w.unlock();
            return false;
        }
        true
    }

    /// Unlocks for writing: lets in the readers that queued behind this
    /// writer, then the next writer.
    pub fn unlock(&self) {
        // Release: pairs with `rlock`'s Acquire.
        let r = self
            .reader_count
            .fetch_add(RWMUTEX_MAX_READERS, Release)
            .wrapping_add(RWMUTEX_MAX_READERS);
        if r >= RWMUTEX_MAX_READERS {
            fatal("sync: Unlock of unlocked RWMutex");
        }
        for _ in 0..r {
            semrelease(&self.reader_sem, false);
        }
        self.w.unlock();
    }

    /// Readers in or queued, and whether a writer is pending (a snapshot).
    pub fn readers(&self) -> (i32, bool) {
        let c = self.reader_count.load(Relaxed);
        if c < 0 {
            (c + RWMUTEX_MAX_READERS, true)
        } else {
            (c, false)
        }
    }

    /// The counts on the reader and the writer semaphore right now (a
    /// snapshot, for tests). Both are 0 whenever no release is on its way
    /// to the thread it is for: a count left over is a wake-up for nobody,
    /// which the next thread to wait would take by mistake.
    pub fn semaphore_counts(&self) -> (u32, u32) {
        (self.reader_sem.load(Relaxed), self.writer_sem.load(Relaxed))
    }

    /// Threads asleep on the reader and the writer semaphore (a snapshot).
    pub fn sleepers(&self) -> (usize, usize) {
        (
            ch00_runtime::sema::waiters(&self.reader_sem),
            ch00_runtime::sema::waiters(&self.writer_sem),
        )
    }
}
