//! The runtime semaphore: the port of Go's `TestSemaphore`, then the
//! behaviours `sync` relies on. Each concurrent test runs under the watchdog.

use std::sync::atomic::AtomicU32;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use ch00_runtime::sema::{self, root_index, waiters};
use ch00_runtime::{semacquire, semacquire_mutex, semrelease};

/// Go's `HammerSemaphore`: acquire and release `loops` times.
fn hammer_semaphore(s: &AtomicU32, loops: usize) {
    for _ in 0..loops {
        semacquire(s);
        semrelease(s, false);
    }
}

/// Port of `TestSemaphore` (mutex_test.go): ten threads hammer one semaphore
/// of count 1. It asserts only that they all finish: no lost wakeup
/// ([`TestSemaphore`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex_test.go#L29)).
#[test]
fn test_semaphore() {
    let loops = testkit::scale(1000, 1000, 20);
    testkit::watchdog(move || {
        let s = Arc::new(AtomicU32::new(1));
        let hammers: Vec<_> = (0..10)
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || hammer_semaphore(&s, loops))
            })
            .collect();
        for h in hammers {
            h.join().unwrap();
        }
        assert_eq!(s.load(std::sync::atomic::Ordering::SeqCst), 1);
    });
}

/// Starts a waiter that records `id` once it acquires, and returns only once
/// it is queued, so that waiters queue in a known order.
fn queued_waiter(
    s: &Arc<AtomicU32>,
    log: &Arc<Mutex<Vec<usize>>>,
    id: usize,
    lifo: bool,
) -> thread::JoinHandle<()> {
    let before = waiters(s);
    let (s2, log2) = (Arc::clone(s), Arc::clone(log));
    let h = thread::spawn(move || {
        semacquire_mutex(&s2, lifo);
        log2.lock().unwrap().push(id);
    });
    while waiters(s) == before {
        thread::yield_now();
    }
    h
}

/// Releases one count and waits until one more waiter has run.
fn release_one(s: &AtomicU32, log: &Mutex<Vec<usize>>, handoff: bool) {
    let before = log.lock().unwrap().len();
    semrelease(s, handoff);
    while log.lock().unwrap().len() == before {
        thread::yield_now();
    }
}

fn wake_order(lifo: bool) -> Vec<usize> {
    testkit::watchdog(move || {
        let s = Arc::new(AtomicU32::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let hs: Vec<_> = (0..3).map(|id| queued_waiter(&s, &log, id, lifo)).collect();
        for _ in 0..3 {
            release_one(&s, &log, false);
        }
        for h in hs {
            h.join().unwrap();
        }
        Arc::try_unwrap(log).unwrap().into_inner().unwrap()
    })
}

#[test]
fn waiters_wake_in_fifo_order() {
    assert_eq!(wake_order(false), [0, 1, 2]);
}

#[test]
fn lifo_waiters_queue_at_the_front() {
    assert_eq!(wake_order(true), [2, 1, 0]);
}

/// With handoff the released count goes to the waiter directly: when
/// `semrelease` returns, the count is already spent, so nobody can barge.
#[test]
fn handoff_gives_the_count_to_the_waiter() {
    testkit::watchdog(|| {
        let s = Arc::new(AtomicU32::new(0));
        let log = Arc::new(Mutex::new(Vec::new()));
        let h = queued_waiter(&s, &log, 7, false);
        semrelease(&s, true);
        assert_eq!(s.load(std::sync::atomic::Ordering::SeqCst), 0);
        h.join().unwrap();
        assert_eq!(*log.lock().unwrap(), [7]);
    });
}

/// A wakeup that comes before the sleep is not lost: the count waits.
#[test]
fn wakeup_before_sleep_is_kept() {
    testkit::watchdog(|| {
        let s = AtomicU32::new(0);
        semrelease(&s, false);
        semrelease(&s, false);
        semacquire(&s); // neither sleeps
        semacquire(&s);
        assert_eq!(s.load(std::sync::atomic::Ordering::SeqCst), 0);
    });
}

/// Two addresses in one root keep separate queues: a release on one wakes
/// only its own waiter.
#[test]
fn addresses_sharing_a_root_stay_apart() {
    testkit::watchdog(|| {
        let words: Arc<Vec<AtomicU32>> = Arc::new(
            (0..4 * sema::SEM_TAB_SIZE)
                .map(|_| AtomicU32::new(0))
                .collect(),
        );
        let a = 0;
        let b = (1..words.len())
            .find(|&i| root_index(&words[i]) == root_index(&words[a]))
            .expect("the table is smaller than the array");
        let log = Arc::new(Mutex::new(Vec::new()));
        let spawn_on = |i: usize| {
            let (mine, log) = (Arc::clone(&words), Arc::clone(&log));
            let before = waiters(&words[i]);
            let h = thread::spawn(move || {
                semacquire(&mine[i]);
                log.lock().unwrap().push(i);
            });
            while waiters(&words[i]) == before {
                thread::yield_now();
            }
            h
        };
        let ha = spawn_on(a);
        let hb = spawn_on(b);
        release_one(&words[b], &log, false);
        assert_eq!(*log.lock().unwrap(), [b]);
        assert_eq!(waiters(&words[a]), 1, "a's waiter must still sleep");
        thread::sleep(Duration::from_millis(10));
        assert_eq!(*log.lock().unwrap(), [b]);
        release_one(&words[a], &log, false);
        ha.join().unwrap();
        hb.join().unwrap();
        assert_eq!(*log.lock().unwrap(), [b, a]);
    });
}
