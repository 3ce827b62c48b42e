//! A loom model of Go's first mutex: every interleaving of two threads,
//! with loom's race detector on the data the lock protects. An ordering
//! too weak to carry the previous holder's write fails here.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex01-mutex-fast-path --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex01_mutex_fast_path_solution as ex01_mutex_fast_path;

use ex01_mutex_fast_path::SemaMutex;
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

fn add_one(shared: &(SemaMutex, UnsafeCell<u32>)) {
    shared.0.lock();
    // SAFETY: inside the lock, if the lock works; loom reports it if not.
    shared.1.with_mut(|p| unsafe { *p += 1 });
    shared.0.unlock();
}

/// Two threads add one each, inside the lock: every order of their lock,
/// add and unlock, with the semaphore's sleep and wake-up in between. A
/// `Relaxed` add or sub leaves the second add unordered after the first
/// (loom: "Causality violation"); an unlock that does not wake a sleeper
/// leaves it asleep for ever (loom: "deadlock").
#[test]
fn the_lock_carries_the_data() {
    testkit::watchdog(|| testkit::loom_model("the_lock_carries_the_data", 10, model));
}

fn model() {
    let shared = Arc::new((SemaMutex::new(), UnsafeCell::new(0)));
    let other = {
        let shared = Arc::clone(&shared);
        thread::spawn(move || add_one(&shared))
    };
    add_one(&shared);
    other.join().unwrap();
    // SAFETY: both threads are done.
    assert_eq!(shared.1.with(|p| unsafe { *p }), 2);
}
