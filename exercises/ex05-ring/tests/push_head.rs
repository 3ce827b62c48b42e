//! Tests for `push_head`: run against your exercise and, unchanged, against
//! the solution (the chapter's `ch05_pool::dequeue`). Each runs under the
//! watchdog.
//!
//! On x86 a `Relaxed` where `Release` or `Acquire` belongs passes every
//! test here: the hardware orders more than Rust promises. Miri's race
//! detector does not: `cargo +nightly miri test -p ex05-ring-solution --test push_head -- --exact
//! a_push_is_seen_by_a_thief` reports the data race that a weak ordering
//! lets through. (`cargo workshop verify` runs it for the solution's
//! mutants.)

#[cfg(workshop_solution)]
extern crate ex05_ring_solution as ex05_ring;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::thread;

use ex05_ring::with_start;

/// Go's test hook starts both indexes this far below the 32-bit wrap.
const NEAR_WRAP: u32 = u32::MAX - 499;

#[test]
fn the_head_is_last_in_first_out() {
    testkit::watchdog(|| {
        let (p, _c) = with_start(8, NEAR_WRAP);
        for i in 1..=4 {
            p.push_head(i).unwrap();
        }
        for i in (1..=4).rev() {
            assert_eq!(p.pop_head(), Some(i), "pop_head takes the newest value");
        }
        assert_eq!(p.pop_head(), None);
    });
}

#[test]
fn a_full_ring_gives_the_value_back() {
    testkit::watchdog(|| {
        let (p, c) = with_start(4, NEAR_WRAP);
        for i in 0..4 {
            assert_eq!(p.push_head(i), Ok(()), "a ring of 4 has room for {i}");
        }
        assert_eq!(p.push_head(99), Err(99), "a ring of 4 holds 4");
        assert_eq!(c.pop_tail(), Some(0));
        assert_eq!(p.push_head(4), Ok(()), "one taken, one place free");
        assert_eq!(p.push_head(99), Err(99), "full again");
    });
}

/// Fullness is decided on the 32-bit indexes: it must hold while head has
/// wrapped past zero and tail has not.
#[test]
fn full_and_empty_across_the_wrap() {
    testkit::watchdog(|| {
        for start in [u32::MAX - 3, u32::MAX - 1, u32::MAX] {
            let (p, c) = with_start(4, start);
            for i in 0..4 {
                p.push_head(i).unwrap();
            }
            assert_eq!(p.push_head(99), Err(99), "full, starting at {start}");
            for i in 0..4 {
                assert_eq!(c.pop_tail(), Some(i));
            }
            assert_eq!(c.pop_tail(), None, "empty, starting at {start}");
        }
    });
}

#[test]
fn many_laps_across_the_wrap_at_both_ends() {
    testkit::watchdog(|| {
        let (p, c) = with_start(4, u32::MAX - 2);
        for i in 0..1_000u32 {
            p.push_head(i).unwrap();
            p.push_head(i + 1).unwrap();
            assert_eq!(p.pop_head(), Some(i + 1));
            assert_eq!(c.pop_tail(), Some(i));
        }
        assert_eq!(p.pop_head(), None);
    });
}

/// A thread that sees the new head must also see the value written there,
/// and each value is taken once, in order: the producer refills the ring of
/// 2 slot by slot while a thief empties it from another thread. A head
/// published with a plain store (not an add) can move the tail back over a
/// value already taken, which is then taken again. Under Miri a `Relaxed`
/// publishing add (the thief may read the slot before the producer's write
/// of it) is reported as a data race.
#[test]
fn a_push_is_seen_by_a_thief() {
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
                assert_eq!(
                    v, expected,
                    "the thief took {v} where {expected} was next: a value was taken twice, \
                     lost, or overwritten before the thief had read it"
                );
            }
        });
        for i in 0..n {
            let mut v = i;
            while let Err(back) = p.push_head(v) {
                if thief.is_finished() {
                    break; // it panicked: its join below says why
                }
                v = back;
                thread::yield_now();
            }
        }
        if let Err(panic) = thief.join() {
            std::panic::resume_unwind(panic);
        }
    });
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn pushed_values_are_dropped_once() {
    testkit::watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let (p, c) = with_start(4, NEAR_WRAP);
        for _ in 0..4 {
            assert!(p.push_head(Counted(Arc::clone(&drops))).is_ok());
        }
        let refused = p.push_head(Counted(Arc::clone(&drops)));
        assert!(refused.is_err(), "full");
        drop(refused);
        assert_eq!(drops.load(SeqCst), 1, "a refused value comes back to you");
        drop(p.pop_head());
        drop((p, c));
        assert_eq!(drops.load(SeqCst), 5, "the ring drops what it still holds");
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

/// Go's `TestPoolDequeue`'s shape on a tight ring of 4 (the port itself is
/// `test_pool_dequeue` in `tests/pop_tail.rs`), so that the producer keeps
/// meeting slots that a thief has passed but not yet released: one
/// producer, three thieves, every value taken exactly once.
#[test]
fn a_tight_ring_takes_every_value_once() {
    testkit::watchdog(|| {
        let n = testkit::scale(20_000, 2_000_000, 40);
        let (p, c) = with_start::<usize>(4, NEAR_WRAP);
        let have: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
        let stop = Arc::new(AtomicBool::new(false));
        let thieves: Vec<_> = (0..3)
            .map(|_| {
                let (c, have, stop) = (c.clone(), Arc::clone(&have), Arc::clone(&stop));
                thread::spawn(move || {
                    let _guard = StopOnPanic(Arc::clone(&stop));
                    while !stop.load(SeqCst) {
                        match c.pop_tail() {
                            Some(val) => {
                                have[val].fetch_add(1, SeqCst);
                            }
                            None => thread::yield_now(),
                        }
                    }
                })
            })
            .collect();
        for j in 0..n {
            let mut v = j;
            while let Err(back) = p.push_head(v) {
                if stop.load(SeqCst) {
                    break; // a thief panicked: its join below says why
                }
                v = back;
                thread::yield_now();
            }
            if j % 10 == 0 {
                if let Some(val) = p.pop_head() {
                    have[val].fetch_add(1, SeqCst);
                }
            }
        }
        // Drain what is left, then stop the thieves.
        while let Some(val) = p.pop_head() {
            have[val].fetch_add(1, SeqCst);
        }
        stop.store(true, SeqCst);
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
