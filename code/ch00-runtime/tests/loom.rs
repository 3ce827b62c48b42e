//! Loom models of the runtime semaphore: every interleaving of a few threads
//! acquiring and releasing, with park/unpark modelled. A lost wakeup shows
//! up as a deadlock, which loom reports.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ch00-runtime --test loom`
#![cfg(loom)]

use ch00_runtime::sync::atomic::{AtomicU32, Ordering::SeqCst};
use ch00_runtime::{semacquire, semacquire_mutex, semrelease};
use loom::sync::Arc;
use loom::thread;

/// One sleeper, one waker: whichever runs first, the sleeper wakes.
#[test]
fn release_wakes_the_acquirer() {
    testkit::loom_model("release_wakes_the_acquirer", 10, || {
        let s = Arc::new(AtomicU32::new(0));
        let s2 = Arc::clone(&s);
        let sleeper = thread::spawn(move || semacquire(&s2));
        semrelease(&s, false);
        sleeper.join().unwrap();
        assert_eq!(s.load(SeqCst), 0);
    });
}

/// Two sleepers and two releases, racing: both wake, the count ends at zero.
#[test]
fn two_acquirers_two_releases() {
    testkit::loom_model("two_acquirers_two_releases", 400, || {
        let s = Arc::new(AtomicU32::new(0));
        let sleepers: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || semacquire(&s))
            })
            .collect();
        semrelease(&s, false);
        semrelease(&s, false);
        for h in sleepers {
            h.join().unwrap();
        }
        assert_eq!(s.load(SeqCst), 0);
    });
}

/// A handoff release racing a barging acquirer: the count goes to exactly
/// one of them per release, and both finish.
#[test]
fn handoff_against_a_barger() {
    testkit::loom_model("handoff_against_a_barger", 400, || {
        let s = Arc::new(AtomicU32::new(0));
        let waiter = {
            let s = Arc::clone(&s);
            thread::spawn(move || semacquire_mutex(&s, false))
        };
        let barger = {
            let s = Arc::clone(&s);
            thread::spawn(move || semacquire_mutex(&s, true))
        };
        semrelease(&s, true);
        semrelease(&s, true);
        waiter.join().unwrap();
        barger.join().unwrap();
        assert_eq!(s.load(SeqCst), 0);
    });
}
