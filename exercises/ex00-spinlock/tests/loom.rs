//! Loom models of the spin lock: every interleaving of two threads, with
//! loom's race detector on the protected value. A `Relaxed` where `Acquire`
//! or `Release` belongs fails here even on x86, where the plain tests pass.
//!
//! `lock()` spins without a bound, and loom explores a spinning thread
//! forever even when it yields (tokio-rs/loom#162), so no model calls
//! `lock()` while another thread may hold the lock: the first two take it
//! with `try_lock` only, and the third calls `lock()` only once the holder
//! is known to have released it, so that its claim succeeds at once.
//! (Miri's race detector checks `lock()` against a holder:
//! `cargo +nightly miri test -p ex00-spinlock-solution`.)
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex00-spinlock --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex00_spinlock_solution as ex00_spinlock;

use ex00_spinlock::SpinLock;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicBool, AtomicUsize, Ordering::Relaxed, Ordering::SeqCst};
use loom::thread;

/// A loom model under the watchdog, which must explore at least `min`
/// executions (see `testkit::loom_model`).
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// Each thread adds to the value if it gets the lock. When both get it, one
/// after the other, the second must see the first's write: that is the
/// Release in `drop` pairing with the Acquire in `try_lock`.
#[test]
fn writes_pass_from_holder_to_holder() {
    model("writes_pass_from_holder_to_holder", 3, || {
        let lock = Arc::new(SpinLock::new(0));
        let other = {
            let lock = Arc::clone(&lock);
            thread::spawn(move || lock.try_lock().map(|mut g| *g += 1).is_some())
        };
        let mine = lock.try_lock().map(|mut g| *g += 10).is_some();
        let theirs = other.join().unwrap();
        let expected = if mine { 10 } else { 0 } + if theirs { 1 } else { 0 };
        assert_eq!(lock.try_lock().map(|g| *g), Some(expected));
    });
}

/// Never two holders at once.
#[test]
fn one_holder_at_a_time() {
    model("one_holder_at_a_time", 3, || {
        let lock = Arc::new(SpinLock::new(()));
        let inside = Arc::new(AtomicUsize::new(0));
        let visit = {
            let (lock, inside) = (Arc::clone(&lock), Arc::clone(&inside));
            move || {
                if let Some(guard) = lock.try_lock() {
                    assert_eq!(inside.fetch_add(1, SeqCst), 0, "two holders at once");
                    inside.fetch_sub(1, SeqCst);
                    drop(guard);
                }
            }
        };
        let other = thread::spawn(visit.clone());
        visit();
        other.join().unwrap();
    });
}

/// `lock()` must see the previous holder's writes: its claim (the `swap`)
/// is `Acquire`, pairing with the `Release` store in `drop`.
///
/// The other thread takes the lock, writes, releases, and then raises a
/// flag. The flag is `Relaxed`, so it orders nothing: it only tells this
/// thread that `lock()` will not have to wait (a read-modify-write such as
/// the `swap` always reads the latest value of `locked`, which is then
/// `false`). Whatever makes the write visible to this thread must come
/// from the lock itself: with a `Relaxed` claim, loom reports the read of
/// the value as racing with the write.
#[test]
fn lock_sees_the_previous_holders_writes() {
    model("lock_sees_the_previous_holders_writes", 2, || {
        let lock = Arc::new(SpinLock::new(0));
        let released = Arc::new(AtomicBool::new(false));
        let holder = {
            let (lock, released) = (Arc::clone(&lock), Arc::clone(&released));
            thread::spawn(move || {
                *lock.try_lock().expect("nobody else locks before the flag") = 7;
                released.store(true, Relaxed);
            })
        };
        if released.load(Relaxed) {
            assert_eq!(
                *lock.lock(),
                7,
                "lock() did not see the last holder's write"
            );
        }
        holder.join().unwrap();
    });
}
