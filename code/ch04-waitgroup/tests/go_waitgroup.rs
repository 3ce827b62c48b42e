//! Ports of Go's `sync/waitgroup_test.go` (go1.23.5), one test per Go test,
//! plus the historical `TestWaitGroupMisuse2` and `TestWaitGroupMisuse3`
//! (removed from Go before 1.19). Every concurrent test runs under the
//! watchdog.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use ch04_waitgroup::{ADD_DURING_WAIT, NEGATIVE_COUNTER, REUSED_BEFORE_WAIT_RETURNED, WaitGroup};

const GO_TEXTS: [&str; 3] = [
    NEGATIVE_COUNTER,
    ADD_DURING_WAIT,
    REUSED_BEFORE_WAIT_RETURNED,
];

/// The panic text of `f`, or `None` if it returned.
fn panic_of(f: impl FnOnce()) -> Option<String> {
    catch_unwind(AssertUnwindSafe(f))
        .err()
        .map(|p| testkit::panic_message(&*p))
}

/// Go's `testWaitGroup`: 16 threads each count out of `wg1` and then wait
/// on `wg2`; none may leave before the main thread has counted `wg2` down
/// to zero, and then all must.
fn test_wait_group_round(wg1: &Arc<WaitGroup>, wg2: &Arc<WaitGroup>) {
    let n = 16;
    wg1.add(n);
    wg2.add(n);
    let (exited_tx, exited) = mpsc::channel();
    for _ in 0..n {
        let (wg1, wg2, exited_tx) = (Arc::clone(wg1), Arc::clone(wg2), exited_tx.clone());
        thread::spawn(move || {
            wg1.done();
            wg2.wait();
            exited_tx.send(()).unwrap();
        });
    }
    wg1.wait();
    for _ in 0..n {
        assert!(
            exited.try_recv().is_err(),
            "WaitGroup released group too soon"
        );
        wg2.done();
    }
    for _ in 0..n {
        // Blocks (and the watchdog fails the test) if the group fails to
        // release someone.
        exited.recv().unwrap();
    }
}

/// Port of `TestWaitGroup`: the same round eight times on the same two
/// groups, so a group must come back clean from each round
/// ([`TestWaitGroup`](https://github.com/golang/go/blob/go1.23.5/src/sync/waitgroup_test.go#L39)).
#[test]
fn test_wait_group() {
    testkit::watchdog(|| {
        let wg1 = Arc::new(WaitGroup::new());
        let wg2 = Arc::new(WaitGroup::new());
        for _ in 0..8 {
            test_wait_group_round(&wg1, &wg2);
        }
        for wg in [&wg1, &wg2] {
            assert_eq!((wg.counter(), wg.waiters()), (0, 0));
        }
    });
}

/// Port of `TestWaitGroupMisuse`: one `done` too many panics with Go's
/// exact text
/// ([`TestWaitGroupMisuse`](https://github.com/golang/go/blob/go1.23.5/src/sync/waitgroup_test.go#L49)).
#[test]
fn test_wait_group_misuse() {
    let wg = WaitGroup::new();
    wg.add(1);
    wg.done();
    let msg = panic_of(|| wg.done()).expect("Should panic");
    assert_eq!(msg, "sync: negative WaitGroup counter", "Unexpected panic");
}

/// Port of `TestWaitGroupRace`: two tasks each bump a counter and count
/// out; after `wait` both bumps must be visible
/// ([`TestWaitGroupRace`](https://github.com/golang/go/blob/go1.23.5/src/sync/waitgroup_test.go#L63)).
#[test]
fn test_wait_group_race() {
    let rounds = testkit::scale(1000, 1000, 20);
    testkit::watchdog(move || {
        for _ in 0..rounds {
            let wg = Arc::new(WaitGroup::new());
            let n = Arc::new(AtomicU32::new(0));
            for _ in 0..2 {
                wg.add(1);
                let (wg, n) = (Arc::clone(&wg), Arc::clone(&n));
                thread::spawn(move || {
                    n.fetch_add(1, SeqCst);
                    wg.done();
                });
            }
            wg.wait();
            assert_eq!(n.load(SeqCst), 2, "Spurious wakeup from Wait");
        }
    });
}

/// Port of `TestWaitGroupAlign`: a group right after a byte in a struct.
/// In Go this checked that the 64-bit word was aligned for 64-bit atomics
/// on 32-bit platforms; `AtomicU64` is 8-byte aligned on every target Rust
/// has it on (the crate is checked for i686), so the struct pads for us
/// ([`TestWaitGroupAlign`](https://github.com/golang/go/blob/go1.23.5/src/sync/waitgroup_test.go#L88)).
#[test]
fn test_wait_group_align() {
    struct X {
        _x: u8,
        wg: WaitGroup,
    }
    assert!(std::mem::align_of::<WaitGroup>() >= 8);
    testkit::watchdog(|| {
        let x = Arc::new(X {
            _x: 0,
            wg: WaitGroup::new(),
        });
        assert_eq!(x.wg.state_addr() % 8, 0, "state word not 8-byte aligned");
        x.wg.add(1);
        let x2 = Arc::clone(&x);
        thread::spawn(move || x2.wg.done());
        x.wg.wait();
    });
}

/// Spins until `here` reaches `n`, yielding (Go's `pollUntilEqual`).
fn poll_until_equal(here: &AtomicU32, n: u32) {
    while here.load(SeqCst) != n {
        thread::yield_now();
    }
}

/// Runs `rounds` of a misuse race until one panics; returns the panic
/// texts of that round (empty if none panicked). Every panic must be one of
/// Go's three texts, and no round may hang: a thread that panics releases
/// the others.
fn misuse_rounds(rounds: usize, round: impl Fn() -> Vec<String>) -> Vec<String> {
    for _ in 0..rounds {
        let texts = round();
        for t in &texts {
            assert!(GO_TEXTS.contains(&t.as_str()), "Unexpected panic: {t:?}");
        }
        if !texts.is_empty() {
            return texts;
        }
    }
    Vec::new()
}

/// Port of Go's historical `TestWaitGroupMisuse2` (in Go until at least
/// commit 0915a19a11, 2019-12; absent from 1.19 and 1.23): a waiter, a
/// "bad guy" that adds and counts out while the last `done` is releasing
/// the waiter, and that last `done`. Go ran a million rounds on more than 4
/// CPUs and expected at least one of its panics. With fewer CPUs the race
/// window is rarely hit, so there (as in Go, which skipped) a round with no
/// panic is no failure; every panic must still be one of Go's texts, and
/// nobody may hang. 2 000 rounds by default, Go's 1 000 000 with `GOSYNC_LONG=1`.
#[test]
fn test_wait_group_misuse2() {
    let rounds = testkit::scale(2_000, 1_000_000, 10);
    let texts = testkit::watchdog_with(testkit::default_limit(), move |p| {
        misuse_rounds(rounds, || {
            p.tick();
            let wg = Arc::new(WaitGroup::new());
            let here = Arc::new(AtomicU32::new(0));
            wg.add(1);
            let spawn = |bad_guy: bool| {
                let (wg, here) = (Arc::clone(&wg), Arc::clone(&here));
                thread::spawn(move || {
                    panic_of(|| {
                        here.fetch_add(1, SeqCst);
                        poll_until_equal(&here, 3);
                        if bad_guy {
                            wg.add(1);
                            wg.done();
                        } else {
                            wg.wait();
                        }
                    })
                })
            };
            let (waiter, bad_guy) = (spawn(false), spawn(true));
            let main = panic_of(|| {
                here.fetch_add(1, SeqCst);
                poll_until_equal(&here, 3);
                wg.done();
            });
            [main, waiter.join().unwrap(), bad_guy.join().unwrap()]
                .into_iter()
                .flatten()
                .collect()
        })
    });
    if texts.is_empty() && testkit::gomaxprocs() > 4 && rounds >= 1_000_000 {
        panic!("Should panic");
    }
    println!("misuse2: panics of the first panicking round: {texts:?}");
}

/// Port of Go's historical `TestWaitGroupMisuse3`: a new round is begun
/// (`add(1)`, a task, `wait`) by one waiter while another waiter of the
/// previous round has not yet returned. Go ran up to a million rounds and
/// required a panic; so do we: the first panicking round ends the test.
/// 100 000 rounds at most by default, Go's 1 000 000 with `GOSYNC_LONG=1`.
#[test]
fn test_wait_group_misuse3() {
    let rounds = testkit::scale(100_000, 1_000_000, 10);
    let texts = testkit::watchdog_with(testkit::default_limit(), move |p| {
        misuse_rounds(rounds, || {
            p.tick();
            let wg = Arc::new(WaitGroup::new());
            wg.add(1);
            let run = |f: fn(&Arc<WaitGroup>)| {
                let wg = Arc::clone(&wg);
                thread::spawn(move || panic_of(|| f(&wg)))
            };
            let threads = [
                run(|wg| wg.done()),
                run(|wg| {
                    wg.wait();
                    // Reuse: a new round while the other waiter may not
                    // have returned from the old one.
                    wg.add(1);
                    let task = Arc::clone(wg);
                    thread::spawn(move || task.done());
                    wg.wait();
                }),
                run(|wg| wg.wait()),
            ];
            threads
                .into_iter()
                .filter_map(|t| t.join().unwrap())
                .collect()
        })
    });
    if rounds >= 1_000 {
        assert!(!texts.is_empty(), "Should panic");
    }
    println!("misuse3: panics of the first panicking round: {texts:?}");
}

/// How long a released waiter may take to run: far more than it needs,
/// far less than the watchdog.
const WAKE_UP: Duration = Duration::from_secs(5);

/// Starts `n` threads that wait on `wg` and report how `wait` ended, and
/// returns once all `n` are asleep on the semaphore.
fn sleeping_waiters(wg: &Arc<WaitGroup>, n: usize) -> mpsc::Receiver<Option<String>> {
    let (tx, rx) = mpsc::channel();
    for _ in 0..n {
        let (wg, tx) = (Arc::clone(wg), tx.clone());
        thread::spawn(move || {
            let _ = tx.send(panic_of(|| wg.wait()));
        });
    }
    while wg.sleepers() < n {
        thread::yield_now();
    }
    rx
}

/// Ours: a misuse panic releases the threads asleep in `wait` (Go leaves
/// them asleep), and each of them panics too, since the group can no
/// longer count. A negative counter with two sleepers: both wake.
#[test]
fn misuse_releases_the_waiters() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        wg.add(1);
        let woken = sleeping_waiters(&wg, 2);
        assert_eq!(panic_of(|| wg.add(-2)).as_deref(), Some(NEGATIVE_COUNTER));
        let start = Instant::now();
        for _ in 0..2 {
            let left = WAKE_UP.saturating_sub(start.elapsed());
            let how = woken
                .recv_timeout(left)
                .expect("a waiter was not released by the panicking add");
            assert_eq!(how.as_deref(), Some(NEGATIVE_COUNTER));
        }
        assert_eq!(wg.waiters(), 0);
        // The group is broken, and says so instead of sleeping for ever.
        assert_eq!(panic_of(|| wg.wait()).as_deref(), Some(NEGATIVE_COUNTER));
    });
}

/// Waiters asleep when the counter reaches zero are all released, and the
/// semaphore keeps nothing for the group afterwards (memory returned when
/// idle).
#[test]
fn last_done_releases_every_sleeper() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        wg.add(1);
        let woken = sleeping_waiters(&wg, 3);
        assert_eq!(wg.waiters(), 3);
        wg.done();
        let start = Instant::now();
        for i in 0..3 {
            let left = WAKE_UP.saturating_sub(start.elapsed());
            let how = woken
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("only {i} of 3 waiters were released"));
            assert_eq!(how, None, "a released waiter panicked");
        }
        assert_eq!((wg.counter(), wg.waiters(), wg.sleepers()), (0, 0, 0));
    });
}

/// `wait` on a group at zero returns at once; `add(0)` changes nothing;
/// `add(n)` with a larger `n` needs `n` dones.
#[test]
fn counts_and_zero() {
    let wg = WaitGroup::new();
    wg.wait();
    wg.add(0);
    wg.add(3);
    assert_eq!(wg.counter(), 3);
    wg.add(-2);
    wg.done();
    wg.wait();
    assert_eq!((wg.counter(), wg.waiters()), (0, 0));
    // A misuse leaves the counter negative, as in Go.
    assert_eq!(panic_of(|| wg.add(-1)).as_deref(), Some(NEGATIVE_COUNTER));
    assert_eq!(wg.counter(), -1);
}

/// A round reused at once, with two sleepers of the old round on their way
/// out: each of them returns, or panics with one of Go's texts (the reuse
/// check), and none is left asleep. (`test_wait_group_misuse3` drives the
/// same race harder.)
#[test]
fn early_reuse_leaves_nobody_asleep() {
    testkit::watchdog(|| {
        let ended = Arc::new(AtomicUsize::new(0));
        for _ in 0..200 {
            let wg = Arc::new(WaitGroup::new());
            wg.add(1);
            let woken = sleeping_waiters(&wg, 2);
            wg.done();
            wg.add(1); // reuse at once: a waiter may not have returned
            wg.done();
            for _ in 0..2 {
                let how = woken
                    .recv_timeout(WAKE_UP)
                    .expect("a waiter was left asleep");
                if let Some(t) = how {
                    assert!(GO_TEXTS.contains(&t.as_str()), "Unexpected panic: {t:?}");
                }
                ended.fetch_add(1, SeqCst);
            }
        }
        assert_eq!(ended.load(SeqCst), 400);
    });
}
