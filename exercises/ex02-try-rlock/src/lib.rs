//! `TryRLock`: a read lock that never waits.
//!
//! This is chapter 2's `RawRwMutex` with `try_rlock` left for you, then
//! run `cargo workshop check ex02-try-rlock`. Chapter 2 does not print it:
//! work it out from what `rlock` does, and from why that will not do for
//! a call that must not wait.
//!
//! One simplification: the writer's `lock` here just retries `try_lock`
//! until it succeeds, so a writer never waits for readers inside the
//! counters (Go's `lock` does, and it is the subject of `ex02-handshake`).
//! Readers still queue behind a writer that holds the lock, and the
//! writer's `unlock` still lets in every reader it counted.

use ch00_runtime::{semacquire, semrelease};
use ch01_mutex::RawMutex;

use ch00_runtime::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use ch00_runtime::sync::atomic::{AtomicI32, AtomicU32};

/// Subtracted from the reader count by a writer to announce itself.
pub const RWMUTEX_MAX_READERS: i32 = 1 << 30;

/// Go's reader/writer lock, with a simplified writer.
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
    /// Go's `readerWait`; unused by this file's simplified writer.
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

    /// Locks for reading if no writer holds the lock or waits for it, and
    /// says whether it did. It never waits.
    pub fn try_rlock(&self) -> bool {
        // TODO(exercise): take a read lock only if no writer is pending or
        // holding the lock. Ask yourself what `rlock`'s add would leave
        // behind for a writer if you added first and looked second.
        todo!("try_rlock")
    }

    /// Undoes one `rlock`.
    pub fn runlock(&self) {
        // Release: pairs with the Acquire of the writer's announcement.
        let r = self.reader_count.fetch_sub(1, Release) - 1;
        if r < 0 {
            self.runlock_slow(r);
        }
    }

    /// A reader left and found the count negative. With this file's
    /// `lock`, a writer never holds the lock while readers are inside, so
    /// that can only be a `runlock` without a reader.
    fn runlock_slow(&self, _r: i32) {
        fatal("sync: RUnlock of unlocked RWMutex");
    }

    /// Locks for writing (simplified: retries `try_lock`, yielding the
    /// CPU between tries, until no reader and no writer holds the lock).
    pub fn lock(&self) {
        while !self.try_lock() {
            ch00_runtime::sync::thread::yield_now();
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
