//! Loom models of the counts: the last `done` handing the object on while
//! another holder's read is still in flight, a late `add` and an extra
//! `done` racing the last `done` (the two panics only a race can reach),
//! and an `untrack` racing the last `done`. The object's payload is a loom
//! `UnsafeCell`, so a holder's read racing the next user's write is a
//! reported data race: an ordering too weak.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex06-untrack --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex06_untrack_solution as ex06_untrack;

use std::panic::{AssertUnwindSafe, catch_unwind};

use ex06_untrack::{ADD_AFTER_LAST_DONE, INCONSISTENCY, NEGATIVE_COUNT, RefPool, UNTRACKED};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use loom::thread;

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    quiet_expected_panics();
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// The models provoke the pool's own panics on purpose, in many of their
/// executions: those are not printed (every other panic is).
fn quiet_expected_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let message = testkit::panic_message(info.payload());
            if ![UNTRACKED, ADD_AFTER_LAST_DONE, NEGATIVE_COUNT].contains(&message.as_str()) {
                previous(info);
            }
        }));
    });
}

/// `f`'s panic message, or `None` if it returned, for the three panics a
/// misuse may meet. `INCONSISTENCY` fails the model with its likely cause;
/// any other panic (loom's report of a race, above all) goes on.
fn pool_panic(f: impl FnOnce()) -> Option<String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(()) => None,
        Err(payload) => {
            let message = testkit::panic_message(&*payload);
            assert_ne!(
                message, INCONSISTENCY,
                "the pool found its map disagreeing with itself: two holders each took one \
                 count to zero (did an add raise a count that had reached zero, or a release \
                 go below zero?)"
            );
            if [UNTRACKED, ADD_AFTER_LAST_DONE, NEGATIVE_COUNT].contains(&message.as_str()) {
                Some(message)
            } else {
                std::panic::resume_unwind(payload)
            }
        }
    }
}

/// An object whose reads and writes loom checks for races, and which
/// counts its drops.
struct Payload {
    value: UnsafeCell<u64>,
    drops: Arc<AtomicUsize>,
}

// SAFETY: shared reads only through `read`; `write` is called by the sole
// holder (the models check that claim: a race is a failure).
unsafe impl Sync for Payload {}

impl Payload {
    fn read(&self) -> u64 {
        // SAFETY: a shared read; a concurrent `write` is the race loom reports.
        self.value.with(|p| unsafe { *p })
    }

    /// # Safety
    /// The caller is the object's only holder.
    unsafe fn write(&self, v: u64) {
        // SAFETY: the caller's promise; loom reports it if it is broken.
        self.value.with_mut(|p| unsafe { *p = v });
    }
}

impl Drop for Payload {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// A pool of payloads, with the count of `new` calls and of drops.
fn pool() -> (Arc<RefPool<Payload>>, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let (news, drops) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let pool = {
        let (news, drops) = (Arc::clone(&news), Arc::clone(&drops));
        Arc::new(RefPool::new(move || {
            news.fetch_add(1, SeqCst);
            Payload {
                value: UnsafeCell::new(0),
                drops: Arc::clone(&drops),
            }
        }))
    };
    (pool, news, drops)
}

/// A holder on another thread reads the object and calls `done` while the
/// owner calls `done` and takes the next object (the same one, when its
/// `done` was the last) and writes it. Whichever `done` is last, the
/// reader's read happens before the write: the reader's `done` must
/// release its use of the object, and the owner's last `done` must acquire
/// it before pooling the object (when the reader's `done` is the last, the
/// pool itself orders the hand-over).
#[test]
fn last_done_sees_every_holder() {
    model("last_done_sees_every_holder", 3, || {
        let (pool, news, drops) = pool();
        let x = pool.get();
        pool.add(&x);
        let reader = {
            let (pool, x) = (Arc::clone(&pool), std::sync::Arc::clone(&x));
            thread::spawn(move || {
                let seen = x.read();
                pool.done(&x);
                seen
            })
        };
        pool.done(&x);
        let y = pool.get();
        if std::sync::Arc::ptr_eq(&x, &y) {
            // SAFETY: our `done` was the last, and `get` handed it to us
            // alone (the reader's `Arc` is only a pointer now; it reads no
            // more).
            unsafe { y.write(1) };
        }
        assert_eq!(
            reader.join().unwrap(),
            0,
            "the reader saw the next user's write"
        );
        pool.done(&y);
        drop((x, y));
        drop(pool);
        assert_eq!(
            drops.load(SeqCst),
            news.load(SeqCst),
            "an object was lost or dropped twice"
        );
    });
}

/// A late `add` on another thread races the owner's last `done`. In every
/// order, either the `add` comes first and counts a holder (so the `done`
/// is not the last, and the object stays out of the pool until the adder's
/// own `done`), or it comes after and panics: with "untracked object" if
/// the count was already gone from the map, with `ADD_AFTER_LAST_DONE` if
/// it found the count just before the `done` took it to zero. Zero is
/// final: an `add` that brought it back would hold an object that the pool
/// has already taken back.
#[test]
fn a_late_add_races_the_last_done() {
    model("a_late_add_races_the_last_done", 20, || {
        let (pool, news, drops) = pool();
        let x = pool.get();
        let adder = {
            let (pool, x) = (Arc::clone(&pool), std::sync::Arc::clone(&x));
            thread::spawn(move || match pool_panic(|| pool.add(&x)) {
                None => {
                    assert!(
                        pool.count(&x).is_some(),
                        "an add returned, but the object's count is gone: it raised a count \
                         that had reached zero (zero is final: panic with ADD_AFTER_LAST_DONE)"
                    );
                    let done = pool_panic(|| pool.done(&x));
                    assert_eq!(done, None, "the adder's done panicked");
                    None
                }
                Some(message) => Some(message),
            })
        };
        let done = pool_panic(|| pool.done(&x));
        assert_eq!(done, None, "the owner's done panicked");
        if let Some(message) = adder.join().unwrap() {
            assert!(
                message == UNTRACKED || message == ADD_AFTER_LAST_DONE,
                "a late add panicked with {message:?}"
            );
        }
        assert_eq!(pool.count(&x), None, "both references were given up");
        drop(x);
        drop(pool);
        assert_eq!(
            drops.load(SeqCst),
            news.load(SeqCst),
            "an object was lost or dropped twice"
        );
    });
}

/// A misuse: two `done`s for one reference, on two threads. Exactly one of
/// them gives up the reference; the other must panic, whatever the order:
/// with "untracked object" if the count was already gone from the map, with
/// `NEGATIVE_COUNT` if it found the count just before the other took it to
/// zero. A count that went below zero would pass silently.
#[test]
fn an_extra_done_races_the_last_done() {
    model("an_extra_done_races_the_last_done", 20, || {
        let (pool, news, drops) = pool();
        let x = pool.get();
        let other = {
            let (pool, x) = (Arc::clone(&pool), std::sync::Arc::clone(&x));
            thread::spawn(move || pool_panic(|| pool.done(&x)))
        };
        let mine = pool_panic(|| pool.done(&x));
        let theirs = other.join().unwrap();
        let panics: Vec<&String> = [&mine, &theirs].into_iter().flatten().collect();
        assert_eq!(
            panics.len(),
            1,
            "two dones of one reference: exactly one must panic, and {} did ({panics:?})",
            panics.len()
        );
        assert!(
            *panics[0] == UNTRACKED || *panics[0] == NEGATIVE_COUNT,
            "an extra done panicked with {:?}",
            panics[0]
        );
        drop(x);
        drop(pool);
        assert_eq!(
            drops.load(SeqCst),
            news.load(SeqCst),
            "an object was lost or dropped twice"
        );
    });
}

/// One holder reads the object and untracks it while the other reads it
/// and calls `done`. Whichever is last, the count leaves the map and the
/// object never returns to the pool: the next `get` makes a new one.
#[test]
fn untrack_races_the_last_done() {
    model("untrack_races_the_last_done", 4, || {
        let (pool, news, drops) = pool();
        let x = pool.get();
        pool.add(&x);
        let untracker = {
            let (pool, x) = (Arc::clone(&pool), std::sync::Arc::clone(&x));
            thread::spawn(move || {
                let seen = x.read();
                pool.untrack(&x);
                seen
            })
        };
        let seen = x.read();
        pool.done(&x);
        assert_eq!(untracker.join().unwrap(), 0);
        assert_eq!(seen, 0);
        assert_eq!(pool.count(&x), None, "both references were given up");
        let y = pool.get();
        assert!(
            !std::sync::Arc::ptr_eq(&x, &y),
            "the untracked object came back from the pool"
        );
        assert_eq!(news.load(SeqCst), 2);
        pool.done(&y);
        drop((x, y));
        drop(pool);
        assert_eq!(
            drops.load(SeqCst),
            news.load(SeqCst),
            "an object was lost or dropped twice"
        );
    });
}
