//! Tests for `pop_tail`: run against your exercise and, unchanged, against
//! the solution (the chapter's `ch05_pool::dequeue`). Each runs under the
//! watchdog.
//!
//! On x86 a `Relaxed` where `Acquire` or `Release` belongs passes every
//! test here: the hardware orders more than Rust promises. Miri's race
//! detector does not: `cargo +nightly miri test -p ex05-ring-solution --test pop_tail -- --exact
//! thief_takes_every_value_in_order` reports the data race that a weak
//! ordering lets through. (`cargo workshop verify` runs it for the
//! solution's mutants.)

#[cfg(workshop_solution)]
extern crate ex05_ring_solution as ex05_ring;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::thread;

use ex05_ring::with_start;

/// Go's test hook starts both indexes this far below the 32-bit wrap, so
/// that every test crosses it.
const NEAR_WRAP: u32 = u32::MAX - 499;

#[test]
fn an_empty_ring_gives_nothing() {
    testkit::watchdog(|| {
        let (_p, c) = with_start::<u32>(8, NEAR_WRAP);
        assert_eq!(c.pop_tail(), None);
    });
}

#[test]
fn pop_tail_takes_the_oldest_first() {
    testkit::watchdog(|| {
        let (p, c) = with_start(8, NEAR_WRAP);
        for i in 1..=4 {
            p.push_head(i).unwrap();
        }
        for i in 1..=4 {
            assert_eq!(c.pop_tail(), Some(i), "the tail is the oldest value");
        }
        assert_eq!(c.pop_tail(), None, "four pushed, four taken: empty");
    });
}

#[test]
fn head_and_tail_meet_in_the_middle() {
    testkit::watchdog(|| {
        let (p, c) = with_start(8, NEAR_WRAP);
        for i in 1..=3 {
            p.push_head(i).unwrap();
        }
        assert_eq!(c.pop_tail(), Some(1));
        assert_eq!(p.pop_head(), Some(3));
        assert_eq!(c.pop_tail(), Some(2));
        assert_eq!(p.pop_head(), None);
        assert_eq!(c.pop_tail(), None);
    });
}

/// After `pop_tail` the producer must be able to reuse the slot: the
/// consumer has to clear the slot's `full` flag when it is done.
#[test]
fn pop_tail_gives_the_slot_back_to_the_producer() {
    testkit::watchdog(|| {
        let (p, c) = with_start(4, NEAR_WRAP);
        for i in 0..4 {
            p.push_head(i).unwrap();
        }
        assert_eq!(p.push_head(4), Err(4), "a ring of 4 holds 4");
        assert_eq!(c.pop_tail(), Some(0));
        assert_eq!(
            p.push_head(4),
            Ok(()),
            "pop_tail freed a slot, but push_head still finds it in use: \
             did pop_tail clear the slot's `full` flag?"
        );
    });
}

/// Round and round a small ring, across the 32-bit wrap of both indexes.
#[test]
fn many_laps_across_the_wrap() {
    testkit::watchdog(|| {
        let (p, c) = with_start(4, u32::MAX - 2);
        for i in 0..1_000u32 {
            p.push_head(i).unwrap();
            p.push_head(i + 1_000_000).unwrap();
            assert_eq!(c.pop_tail(), Some(i));
            assert_eq!(c.pop_tail(), Some(i + 1_000_000));
        }
        assert_eq!(c.pop_tail(), None);
    });
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// A value taken by `pop_tail` belongs to the caller; the ring must not
/// drop it again (nor forget the ones it still holds).
#[test]
fn every_value_is_dropped_once() {
    testkit::watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (p, c) = with_start(8, NEAR_WRAP);
        for _ in 0..6 {
            assert!(p.push_head(Counted(Arc::clone(&drops))).is_ok());
        }
        drop(c.pop_tail().expect("six pushed"));
        drop(c.pop_tail().expect("five left"));
        assert_eq!(drops.load(SeqCst), 2);
        drop((p, c));
        assert_eq!(drops.load(SeqCst), 6, "the ring drops what it still holds");
    });
}

/// One thief takes, from another thread, every value the producer pushes
/// into a ring of 2, in order: the ring is refilled slot by slot while the
/// thief reads. Under Miri a `Relaxed` on the winning compare-and-swap (the
/// thief may read the slot before the producer's write of it) or on the
/// release of the slot (the producer may overwrite it before the thief's
/// read) is reported as a data race.
#[test]
fn thief_takes_every_value_in_order() {
    testkit::watchdog(|| {
        let n = testkit::scale(10_000, 1_000_000, 20) as u64;
        let (p, c) = with_start(2, NEAR_WRAP);
        let thief = thread::spawn(move || {
            for expected in 0..n {
                let v = loop {
                    if let Some(v) = c.pop_tail() {
                        break v;
                    }
                    std::hint::spin_loop();
                };
                assert_eq!(v, expected, "pop_tail took the values out of order");
            }
        });
        for i in 0..n {
            while p.push_head(i).is_err() {
                if thief.is_finished() {
                    break; // it panicked: its join below says why
                }
                thread::yield_now();
            }
        }
        if let Err(panic) = thief.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

/// Sets `stop` if its thread panics, so that the others do not wait for it.
struct StopOnPanic(Arc<AtomicBool>);

impl Drop for StopOnPanic {
    fn drop(&mut self) {
        if thread::panicking() {
            self.0.store(true, SeqCst);
        }
    }
}

/// Port of Go's `TestPoolDequeue`: one producer pushes 0..N into a ring of
/// 16 (popping its own head every tenth push), nine thieves pop the tail;
/// every value must be taken exactly once.
#[test]
fn test_pool_dequeue() {
    testkit::watchdog(|| {
        const P: usize = 10;
        let n = testkit::scale(1_000, 2_000_000, 40);
        let (p, c) = with_start(16, NEAR_WRAP);
        let have: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let record = {
            let (have, stop) = (Arc::clone(&have), Arc::clone(&stop));
            move |val: usize| {
                have[val].fetch_add(1, SeqCst);
                if val == n - 1 {
                    stop.store(true, SeqCst);
                }
            }
        };
        let thieves: Vec<_> = (1..P)
            .map(|_| {
                let (c, stop, record) = (c.clone(), Arc::clone(&stop), record.clone());
                thread::spawn(move || {
                    let _guard = StopOnPanic(Arc::clone(&stop));
                    let mut fail = 0u32;
                    while !stop.load(SeqCst) {
                        match c.pop_tail() {
                            Some(val) => {
                                fail = 0;
                                record(val);
                            }
                            None => {
                                fail += 1;
                                if fail % 100 == 0 {
                                    thread::yield_now();
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        for j in 0..n {
            while p.push_head(j).is_err() {
                if stop.load(SeqCst) {
                    break; // a thief panicked: its join below says why
                }
                thread::yield_now();
            }
            if j % 10 == 0 {
                if let Some(val) = p.pop_head() {
                    record(val);
                }
            }
        }
        for t in thieves {
            if let Err(panic) = t.join() {
                std::panic::resume_unwind(panic);
            }
        }
        for (i, count) in have.iter().enumerate() {
            assert_eq!(count.load(SeqCst), 1, "expected have[{i}] = 1");
        }
    });
}
