//! One suite for every step of the mutex's history (`ch01_mutex::steps`)
//! and for today's lock with and without starvation mode: a bug in any of
//! them fails the same test.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed};
use std::thread;
use std::time::Duration;

use ch01_mutex::Locker;

/// Threads that add to a counter with a plain load and store under the
/// lock: without mutual exclusion, increments get lost (and the `inside`
/// flag catches two holders at once).
fn counter<L: Locker + Send + Sync + 'static>(lock: L, threads: usize, rounds: usize) {
    let shared = Arc::new((lock, AtomicUsize::new(0), AtomicBool::new(false)));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let (lock, count, inside) = &*shared;
                for _ in 0..rounds {
                    lock.lock();
                    assert!(!inside.swap(true, Relaxed), "two threads hold the lock");
                    // Relaxed and not a fetch_add: only the lock orders these.
                    count.store(count.load(Relaxed) + 1, Relaxed);
                    inside.store(false, Relaxed);
                    lock.unlock();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(shared.1.load(Relaxed), threads * rounds);
}

/// `try_lock`, the locks' own method (Go's `TryLock`, Go 1.18), for the
/// suite below.
trait TryLock: Locker {
    fn try_lock(&self) -> bool;
}

macro_rules! try_lock_for {
    ($($t:ty),*) => {$(
        impl TryLock for $t {
            fn try_lock(&self) -> bool {
                <$t>::try_lock(self)
            }
        }
    )*};
}
try_lock_for!(
    ch01_mutex::steps::SemaMutex,
    ch01_mutex::steps::SpinMutex,
    ch01_mutex::RawMutex
);

/// As [`counter`], but every lock is taken with `try_lock` (retried until
/// it succeeds): a successful `try_lock` must see the previous holder's
/// count, so its CAS must Acquire (Miri's weak-memory emulation catches a
/// `Relaxed` one as a lost increment).
fn counter_by_try_lock<L: TryLock + Send + Sync + 'static>(lock: L, threads: usize, rounds: usize) {
    let shared = Arc::new((lock, AtomicUsize::new(0)));
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let shared = Arc::clone(&shared);
            thread::spawn(move || {
                let (lock, count) = &*shared;
                for _ in 0..rounds {
                    while !lock.try_lock() {
                        thread::yield_now();
                    }
                    // Relaxed and not a fetch_add: only the lock orders these.
                    count.store(count.load(Relaxed) + 1, Relaxed);
                    lock.unlock();
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    assert_eq!(shared.1.load(Relaxed), threads * rounds);
}

/// A lock held by one thread, waited for by several sleepers: every one of
/// them must be woken in turn (no lost wakeup), whatever order they queued.
fn sleepers<L: Locker + Send + Sync + 'static>(lock: L) {
    let lock = Arc::new(lock);
    lock.lock();
    let done = Arc::new(AtomicUsize::new(0));
    let waiters: Vec<_> = (0..4)
        .map(|_| {
            let (lock, done) = (Arc::clone(&lock), Arc::clone(&done));
            thread::spawn(move || {
                lock.lock();
                done.fetch_add(1, Relaxed);
                lock.unlock();
            })
        })
        .collect();
    // Let them reach the semaphore (or keep spinning: both must work).
    thread::sleep(Duration::from_millis(if cfg!(miri) { 1 } else { 20 }));
    assert_eq!(
        done.load(Relaxed),
        0,
        "a waiter got in while the lock was held"
    );
    lock.unlock();
    for w in waiters {
        w.join().unwrap();
    }
    assert_eq!(done.load(Relaxed), 4);
}

/// Locked on one thread, unlocked on another: Go allows it, and so does
/// every lock with Go's `lock`/`unlock` calls.
fn unlock_elsewhere<L: Locker + Send + Sync + 'static>(lock: L) {
    let lock = Arc::new(lock);
    lock.lock();
    let other = Arc::clone(&lock);
    thread::spawn(move || other.unlock()).join().unwrap();
    lock.lock();
    lock.unlock();
}

macro_rules! locker_suite {
    ($($name:ident => $new:expr),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[test]
            fn counter_is_exact() {
                let rounds = testkit::scale(10_000, 1_000_000, 20);
                testkit::watchdog(move || counter($new, 4, rounds));
            }

            #[test]
            fn counter_by_try_lock_is_exact() {
                let rounds = testkit::scale(10_000, 1_000_000, 20);
                testkit::watchdog(move || counter_by_try_lock($new, 4, rounds));
            }

            #[test]
            fn every_sleeper_wakes() {
                testkit::watchdog(|| sleepers($new));
            }

            #[test]
            fn unlock_from_another_thread() {
                testkit::watchdog(|| unlock_elsewhere($new));
            }
        }
    )*};
}

locker_suite! {
    step1_sema_mutex => ch01_mutex::steps::SemaMutex::new(),
    step2_spin_mutex => ch01_mutex::steps::SpinMutex::new(),
    step3_raw_mutex => ch01_mutex::RawMutex::new(),
    step3_without_starvation => ch01_mutex::RawMutex::without_starvation(),
}
