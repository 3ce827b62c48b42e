//! Loom models of the handshake: every interleaving of a few threads, with
//! loom's race detector on the data the lock protects. A model that fails
//! with a *Causality violation* found a reader and a writer inside at once
//! (or an ordering too weak to order them); a *deadlock* means a writer or
//! a reader that nobody will wake.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex02-handshake --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex02_handshake_solution as ex02_handshake;

use ex02_handshake::RawRwMutex;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

/// A lock and the value it protects.
struct Shared {
    lock: RawRwMutex,
    value: UnsafeCell<i32>,
}

// SAFETY: `value` is only touched under the lock (that is what the models
// check).
unsafe impl Sync for Shared {}

impl Shared {
    fn new() -> Arc<Self> {
        ch00_runtime::spin::set_spinning(false);
        Arc::new(Self {
            lock: RawRwMutex::new(),
            value: UnsafeCell::new(0),
        })
    }
    fn read(&self) -> i32 {
        // SAFETY: called with a read lock held.
        self.value.with(|p| unsafe { *p })
    }
    fn write(&self, v: i32) {
        // SAFETY: called with the write lock held.
        self.value.with_mut(|p| unsafe { *p = v });
    }
}

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// A reader and a writer, in every order: the reader leaves before the
/// writer announces, between the announcement and the writer's add to
/// `reader_wait`, or after it.
#[test]
fn a_reader_and_a_writer() {
    model("a_reader_and_a_writer", 10, || {
        let s = Shared::new();
        let reader = {
            let s = Arc::clone(&s);
            thread::spawn(move || {
                s.lock.rlock();
                let v = s.read();
                s.lock.runlock();
                v
            })
        };
        s.lock.lock();
        s.write(1);
        s.lock.unlock();
        assert!(reader.join().unwrap() <= 1);
        assert_eq!(s.lock.readers(), (0, false));
    });
}

/// Two readers inside when the writer announces itself, leaving in every
/// order around the writer's add: exactly one of them must wake it, and
/// it must see both readers' reads done. (Three preemptions, one more than
/// the other models: one order has the writer take the last reader's
/// wake-up without ever sleeping.)
#[test]
fn two_readers_inside_at_the_announcement() {
    testkit::watchdog(|| {
        testkit::loom_model_with_preemptions(
            "two_readers_inside_at_the_announcement",
            12000,
            3,
            two_readers_inside,
        )
    });
}

fn two_readers_inside() {
    {
        let s = Shared::new();
        let readers: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || {
                    s.lock.rlock();
                    let v = s.read();
                    // Stay until the writer is announced (bounded: loom
                    // would otherwise let the load read old values forever).
                    for _ in 0..3 {
                        if s.lock.readers().1 {
                            break;
                        }
                        thread::yield_now();
                    }
                    s.lock.runlock();
                    v
                })
            })
            .collect();
        s.lock.lock();
        s.write(7);
        s.lock.unlock();
        for r in readers {
            assert!(r.join().unwrap() <= 7);
        }
        assert_eq!(s.lock.readers(), (0, false));
        assert_eq!(s.lock.sleepers(), (0, 0));
        assert_eq!(s.lock.semaphore_counts(), (0, 0), "a wake-up for nobody");
    }
}
