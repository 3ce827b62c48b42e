//! `RawRwMutex`: Go's `sync.RWMutex` algorithm
//! ([`RWMutex`](https://github.com/golang/go/blob/go1.23.5/src/sync/rwmutex.go#L37)
//! in `sync/rwmutex.go`), on chapter 1's mutex, two counters and two
//! semaphores.

use ch00_runtime::spin::{can_spin, do_spin};
use ch00_runtime::{semacquire, semrelease};
use ch01_mutex::RawMutex;

use crate::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, Release};
use crate::sync::atomic::{AtomicI32, AtomicU32};

// ANCHOR: max_readers
/// What a writer subtracts from the reader count to announce itself: the
/// count goes negative, and every reader that arrives afterwards sees that
/// and waits. It is also the most readers the lock can hold at once.
pub const RWMUTEX_MAX_READERS: i32 = 1 << 30;
// ANCHOR_END: max_readers

// ANCHOR: type
/// A reader/writer lock with Go's algorithm: any number of readers or one
/// writer, and a writer that waits stops new readers (writer preference).
///
/// No data and no guards: `lock`/`unlock` and `rlock`/`runlock` are
/// separate calls, and as in Go any thread may unlock what another locked.
/// [`RwMutex<T>`](crate::RwMutex) is the data-carrying lock built on it.
#[derive(Debug)]
pub struct RawRwMutex {
    /// Held by the writer, from before it announces itself until after it
    /// has let the readers back in: writers queue here, one at a time.
    w: RawMutex,
    /// The writer sleeps here until the last reader it waits for leaves.
    writer_sem: AtomicU32,
    /// Readers that arrived while a writer was pending sleep here.
    reader_sem: AtomicU32,
    /// Readers holding or waiting for the lock; minus
    /// `RWMUTEX_MAX_READERS` while a writer is pending or holds it.
    reader_count: AtomicI32,
    /// Readers the pending writer still waits for: those that held the
    /// lock when it announced itself.
    reader_wait: AtomicI32,
}
// ANCHOR_END: type

impl Default for RawRwMutex {
    fn default() -> Self {
        Self::new()
    }
}

/// Go's `fatal`: print and end the process, as Go does for these misuses
/// (a `recover` cannot catch them). The counters no longer say who holds
/// the lock, so no caller could go on safely.
#[cold]
fn fatal(msg: &str) -> ! {
    eprintln!("fatal error: {msg}");
    std::process::abort()
}

// ANCHOR: sem_wait
/// Waits on one of the lock's semaphores, as Go's `runtime_SemacquireRWMutex`
/// and `runtime_SemacquireRWMutexR` do, but spins for a moment first
/// (chapter 0's bounded spin, the one chapter 1's mutex spins with).
///
/// This is where Rust must differ. A goroutine that sleeps on Go's
/// semaphore is parked by Go's scheduler, and waking it costs little more
/// than a function call. Our sleeper is an OS thread, and a futex sleep and
/// wake-up cost microseconds. A writer usually waits only for readers that
/// are about to leave, and readers usually wait only for a short write:
/// spinning for about the length of one catches most of those releases
/// without sleeping. The protocol is unchanged, because the spin only
/// watches the semaphore's count, and `semacquire` then takes the count
/// with its own compare-exchange.
#[inline]
fn sem_wait(sem: &AtomicU32) {
    let mut iter = 0;
    while can_spin(iter) {
        // Relaxed: a hint that a release has come, nothing more; the
        // count is taken, and ordered, by `semacquire`.
        if sem.load(Relaxed) != 0 {
            break;
        }
        do_spin();
        iter += 1;
    }
    semacquire(sem);
}
// ANCHOR_END: sem_wait

impl RawRwMutex {
    /// An unlocked lock.
    #[cfg(not(loom))]
    pub const fn new() -> Self {
        Self {
            w: RawMutex::new(),
            writer_sem: AtomicU32::new(0),
            reader_sem: AtomicU32::new(0),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
        }
    }

    /// An unlocked lock.
    #[cfg(loom)]
    pub fn new() -> Self {
        Self {
            w: RawMutex::new(),
            writer_sem: AtomicU32::new(0),
            reader_sem: AtomicU32::new(0),
            reader_count: AtomicI32::new(0),
            reader_wait: AtomicI32::new(0),
        }
    }

    // ANCHOR: rlock
    /// Locks for reading, waiting while a writer holds the lock or waits
    /// for it.
    ///
    /// Not for recursive read locking: if a writer arrives between the
    /// outer and the inner `rlock`, the inner one waits for the writer and
    /// the writer waits for the outer one. Chapter 2 shows the deadlock.
    #[inline]
    pub fn rlock(&self) {
        // Acquire pairs with the Release in `unlock`: a reader that gets in
        // without waiting sees the last writer's writes. (Test:
        // `loom::writer_then_reader_sees_the_write`; the mutants report
        // names the first model that fails without it.)
        if self.reader_count.fetch_add(1, Acquire) + 1 < 0 {
            // A writer is pending: wait until its `unlock` lets us in.
            sem_wait(&self.reader_sem);
        }
    }
    // ANCHOR_END: rlock

    // ANCHOR: try_rlock
    /// Locks for reading if no writer holds the lock or waits for it.
    #[inline]
    pub fn try_rlock(&self) -> bool {
        // Relaxed: a guess; the CAS below checks it again.
        let mut c = self.reader_count.load(Relaxed);
        loop {
            if c < 0 {
                return false;
            }
            // Acquire on success, as in `rlock`.
            // (Test: `loom::try_rlock_sees_the_writers_write`.)
            match self
                .reader_count
                .compare_exchange_weak(c, c + 1, Acquire, Relaxed)
            {
                Ok(_) => return true,
                Err(now) => c = now,
            }
        }
    }
    // ANCHOR_END: try_rlock

    // ANCHOR: runlock
    /// Undoes one `rlock`. Read-unlocking a lock that no reader holds is a
    /// fatal error, as in Go: `fatal error: sync: RUnlock of unlocked
    /// RWMutex`, and the process aborts.
    #[inline]
    pub fn runlock(&self) {
        // Release pairs with the Acquire of a writer's announcement in
        // `lock`: a writer that finds us gone sees our reads done.
        // (Test: `loom::reader_then_writer_no_race`.)
        let r = self.reader_count.fetch_sub(1, Release) - 1;
        if r < 0 {
            // Outlined: a writer is pending, or this is a misuse.
            self.runlock_slow(r);
        }
    }

    #[cold]
    fn runlock_slow(&self, r: i32) {
        if r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS {
            fatal("sync: RUnlock of unlocked RWMutex");
        }
        // A writer is pending and counted us in `reader_wait`. AcqRel: the
        // Release side hands our reads to the writer (test:
        // `loom::try_rlock_sees_the_writers_write`, where the writer's add
        // finds every reader gone); the Acquire side makes the last reader
        // carry the earlier leavers' reads on to the writer it wakes (model:
        // `loom::readers_inside_at_the_announcement`, at three preemptions:
        // a writer that takes the semaphore's count without sleeping
        // synchronizes only with this reader's release of it).
        if self.reader_wait.fetch_sub(1, AcqRel) - 1 == 0 {
            // The last reader the writer waits for wakes it.
            semrelease(&self.writer_sem, false);
        }
    }
    // ANCHOR_END: runlock

    // ANCHOR: lock
    /// Locks for writing, waiting for the writer ahead (if any) and then
    /// for the readers that hold the lock. From the moment this writer
    /// announces itself, new readers wait for it.
    #[inline]
    pub fn lock(&self) {
        // First, one writer at a time.
        self.w.lock();
        // Announce: new readers now see a negative count and wait. Acquire
        // pairs with the Release in `runlock`: readers that left before we
        // announced are done with the data. (Test:
        // `loom::reader_then_writer_no_race`.)
        let r = self.reader_count.fetch_sub(RWMUTEX_MAX_READERS, Acquire);
        // `r` readers held the lock when we announced. Add them to
        // `reader_wait`, which those that already left have been counting
        // down. Acquire pairs with their AcqRel: if the sum is 0 they have
        // all left, and we see their reads done. (Test:
        // `loom::try_rlock_sees_the_writers_write`.)
        if r != 0 && self.reader_wait.fetch_add(r, Acquire) + r != 0 {
            // Some are still reading: the last one wakes us.
            sem_wait(&self.writer_sem);
        }
    }
    // ANCHOR_END: lock

    // ANCHOR: try_lock
    /// Locks for writing if no writer and no reader holds or waits for the
    /// lock.
    #[inline]
    pub fn try_lock(&self) -> bool {
        if !self.w.try_lock() {
            return false;
        }
        // Acquire pairs with the Release in `runlock`, as in `lock`.
        // (Test: `loom::try_lock_after_a_reader_no_race`.)
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
    // ANCHOR_END: try_lock

    // ANCHOR: unlock
    /// Unlocks for writing, letting in the readers that waited for this
    /// writer, then the next writer. Unlocking a lock that no writer holds
    /// is a fatal error, as in Go: `fatal error: sync: Unlock of unlocked
    /// RWMutex`, and the process aborts.
    #[inline]
    pub fn unlock(&self) {
        // Announce that no writer holds the lock. Release pairs with the
        // Acquire in `rlock`: a reader that gets in without waiting sees
        // our writes. (Test: `loom::writer_then_reader_sees_the_write`.)
        let r = self
            .reader_count
            .fetch_add(RWMUTEX_MAX_READERS, Release)
            .wrapping_add(RWMUTEX_MAX_READERS);
        if r >= RWMUTEX_MAX_READERS {
            fatal("sync: Unlock of unlocked RWMutex");
        }
        // `r` readers arrived while we were pending or holding the lock and
        // are asleep, or about to sleep, on `reader_sem`: one release each.
        // The semaphore orders our writes before their reads.
        for _ in 0..r {
            semrelease(&self.reader_sem, false);
        }
        // Let the next writer in, after the readers we let in: it will wait
        // for them.
        self.w.unlock();
    }
    // ANCHOR_END: unlock

    /// Go's `RLocker`: a [`Locker`](ch01_mutex::Locker) whose `lock` and
    /// `unlock` are this lock's `rlock` and `runlock`.
    pub fn rlocker(&self) -> RLocker<'_> {
        RLocker(self)
    }

    /// Readers holding or waiting for the lock, and whether a writer is
    /// pending or holds it (a snapshot, for tests and debugging).
    pub fn readers(&self) -> (i32, bool) {
        // Relaxed: a snapshot for tests; nothing is read on the strength of it.
        let c = self.reader_count.load(Relaxed);
        if c < 0 {
            (c + RWMUTEX_MAX_READERS, true)
        } else {
            (c, false)
        }
    }

    /// Go's `syscall_hasWaitingReaders`: a writer is pending or holds the
    /// lock, and readers wait behind it (a snapshot).
    pub fn has_waiting_readers(&self) -> bool {
        // Relaxed: a snapshot, as Go's (which any change may outdate).
        let r = self.reader_count.load(Relaxed);
        r < 0 && r + RWMUTEX_MAX_READERS > 0
    }

    /// The counts on the reader and the writer semaphore right now (a
    /// snapshot, for tests). Both are 0 whenever no release is on its way
    /// to the thread it is for: a count left over is a wake-up for nobody,
    /// which the next thread to wait would take by mistake.
    pub fn semaphore_counts(&self) -> (u32, u32) {
        // Relaxed: snapshots for tests, read after the threads are joined.
        (self.reader_sem.load(Relaxed), self.writer_sem.load(Relaxed))
    }

    /// Threads asleep on the reader semaphore and on the writer semaphore
    /// right now (a snapshot, for tests).
    pub fn sleepers(&self) -> (usize, usize) {
        (
            ch00_runtime::sema::waiters(&self.reader_sem),
            ch00_runtime::sema::waiters(&self.writer_sem),
        )
    }
}

// ANCHOR: rlocker
/// The read side of a [`RawRwMutex`] as a [`Locker`](ch01_mutex::Locker)
/// (Go's `rlocker`), for code written against `Locker`.
#[derive(Clone, Copy, Debug)]
pub struct RLocker<'a>(&'a RawRwMutex);

impl ch01_mutex::Locker for RLocker<'_> {
    fn lock(&self) {
        self.0.rlock();
    }
    fn unlock(&self) {
        self.0.runlock();
    }
}
// ANCHOR_END: rlocker

/// A lock is a lock of its own (for functions over `AsRef<RawRwMutex>`,
/// such as [`try_lock_all`](crate::sharded::try_lock_all)).
impl AsRef<RawRwMutex> for RawRwMutex {
    fn as_ref(&self) -> &RawRwMutex {
        self
    }
}

/// The write side: `lock` and `unlock`.
impl ch01_mutex::Locker for RawRwMutex {
    fn lock(&self) {
        RawRwMutex::lock(self);
    }
    fn unlock(&self) {
        RawRwMutex::unlock(self);
    }
}
