//! Loom models of Go's WaitGroup on the chapter 0 semaphore: every
//! interleaving (up to loom's preemption bound) of tasks counting out,
//! waiters counting in and sleeping, and the last `done` releasing them.
//! The tasks write loom-tracked cells that the waiters read, so an ordering
//! too weak to carry a task's write to a waiter is a data race here.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ch04-waitgroup --test loom`
#![cfg(loom)]

use std::panic::{AssertUnwindSafe, catch_unwind};

use ch04_waitgroup::{ADD_DURING_WAIT, WaitGroup};
use loom::cell::UnsafeCell;
use loom::sync::Arc;
use loom::thread;

/// A group and one cell per task.
struct Shared<const N: usize> {
    wg: WaitGroup,
    cells: [UnsafeCell<u32>; N],
}

impl<const N: usize> Shared<N> {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            wg: WaitGroup::new(),
            cells: std::array::from_fn(|_| UnsafeCell::new(0)),
        })
    }

    /// Task `i`: write its cell, then count out.
    fn task(this: &Arc<Self>, i: usize) -> thread::JoinHandle<()> {
        let me = Arc::clone(this);
        thread::spawn(move || {
            // SAFETY: only task `i` writes cell `i`, before its `done`;
            // readers read after a `wait`, which loom checks is ordered.
            me.cells[i].with_mut(|p| unsafe { *p = i as u32 + 1 });
            me.wg.done();
        })
    }

    /// After a `wait`: every task's write is visible.
    fn check(&self) {
        for (i, c) in self.cells.iter().enumerate() {
            // SAFETY: read after `wait`; a missing order is a loom race.
            assert_eq!(c.with(|p| unsafe { *p }), i as u32 + 1);
        }
    }
}

/// Two tasks and a waiter: the waiter may find the counter at 2, 1 or 0,
/// may sleep before or after the first `done`, and the last `done` may
/// race its registration. No lost wakeup (loom: deadlock), and after
/// `wait` both tasks' writes are visible (loom: data race): this needs the
/// `Release` of `done`, the `Acquire` of `wait`'s load and of its failed
/// CAS, and the `Acquire` fence before the waker passes the writes on.
#[test]
fn waiter_vs_last_done() {
    testkit::loom_model("waiter_vs_last_done", 250, || {
        let s = Shared::<2>::new();
        s.wg.add(2);
        let tasks = [Shared::task(&s, 0), Shared::task(&s, 1)];
        s.wg.wait();
        s.check();
        for t in tasks {
            t.join().unwrap();
        }
        assert_eq!((s.wg.counter(), s.wg.waiters()), (0, 0));
    });
}

/// Reuse after `wait` returns: two rounds on one group, each with a task
/// and a wait. The second round's `add` comes after the first `wait`
/// returned, which is the rule; it must never trip the reuse check, and
/// the second waiter must see the second task's write.
#[test]
fn reuse_after_wait_returns() {
    testkit::loom_model("reuse_after_wait_returns", 150, || {
        let s = Shared::<2>::new();
        for i in 0..2 {
            s.wg.add(1);
            let t = Shared::task(&s, i);
            s.wg.wait();
            // SAFETY: read after `wait`.
            assert_eq!(s.cells[i].with(|p| unsafe { *p }), i as u32 + 1);
            t.join().unwrap();
        }
        assert_eq!((s.wg.counter(), s.wg.waiters()), (0, 0));
    });
}

/// Several waiters released together: two waiters and one task. Either
/// waiter may sleep (then the last `done` releases both through the
/// semaphore) or arrive after the reset and return at once (then the
/// `Release` of the reset carries the task's write to it).
#[test]
fn several_waiters_released() {
    testkit::loom_model("several_waiters_released", 5000, || {
        let s = Shared::<1>::new();
        s.wg.add(1);
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let s = Arc::clone(&s);
                thread::spawn(move || {
                    s.wg.wait();
                    s.check();
                })
            })
            .collect();
        let t = Shared::task(&s, 0);
        for w in waiters {
            w.join().unwrap();
        }
        t.join().unwrap();
        assert_eq!((s.wg.counter(), s.wg.waiters()), (0, 0));
    });
}

/// Go's historical `TestWaitGroupMisuse2` as a model: a waiter, a "bad
/// guy" that adds one and counts out, and the last `done`, all racing. In
/// every execution nobody hangs (the misuse panics release the waiter) and
/// every panic is caught, and no wake-up is left on the semaphore for
/// nobody (no waiter released twice); over all executions, loom must find both of the
/// "Add called concurrently with Wait" checks firing: the bad guy's `add`
/// from zero with a waiter counted, and the last `done`'s re-check of the
/// word.
#[test]
fn misuse2_both_checks_fire() {
    use std::sync::Mutex as StdMutex;
    // Outside the model: which checks fired, over all executions.
    static FIRED: StdMutex<(bool, bool)> = StdMutex::new((false, false));
    testkit::loom_model("misuse2_both_checks_fire", 200, || {
        let wg = Arc::new(WaitGroup::new());
        wg.add(1);
        let caught = |f: Box<dyn FnOnce()>| {
            catch_unwind(AssertUnwindSafe(f))
                .err()
                .map(|p| testkit::panic_message(&*p))
        };
        let waiter = {
            let wg = Arc::clone(&wg);
            thread::spawn(move || caught(Box::new(move || wg.wait())))
        };
        let bad_guy = {
            let wg = Arc::clone(&wg);
            thread::spawn(move || {
                caught(Box::new(move || {
                    wg.add(1);
                    wg.done();
                }))
            })
        };
        let last = caught(Box::new(|| wg.done()));
        let _ = waiter.join().unwrap();
        let bad = bad_guy.join().unwrap();
        assert_eq!(
            wg.semaphore_count(),
            0,
            "a misuse left a wake-up for nobody on the semaphore"
        );
        let mut fired = FIRED.lock().unwrap();
        fired.0 |= bad.as_deref() == Some(ADD_DURING_WAIT);
        fired.1 |= last.as_deref() == Some(ADD_DURING_WAIT);
    });
    let fired = *FIRED.lock().unwrap();
    assert!(fired.0, "no execution had the adder detect the misuse");
    assert!(fired.1, "no execution had the last done detect the misuse");
}
