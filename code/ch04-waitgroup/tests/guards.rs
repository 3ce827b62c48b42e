//! The guard and Go 1.25's `go`: the `done` runs on every way out of a
//! task, panics included; captures are dropped once; a guard dropped by a
//! thread-local destructor still counts out; the group stays usable.

use std::cell::RefCell;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use ch04_waitgroup::{OwnedDoneGuard, WaitGroup};

/// Counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn guard_counts_out_on_drop_and_on_done() {
    let wg = WaitGroup::new();
    let a = wg.add_guard();
    let b = wg.add_guard();
    assert_eq!(wg.counter(), 2);
    drop(a);
    assert_eq!(wg.counter(), 1);
    b.done();
    assert_eq!(wg.counter(), 0);
    wg.wait();
}

/// A panic unwinding through the guard's owner counts the task out, and
/// the group goes on working.
#[test]
fn guard_counts_out_while_unwinding() {
    testkit::watchdog(|| {
        let wg = WaitGroup::new();
        thread::scope(|s| {
            let guard = wg.add_guard();
            let t = s.spawn(move || {
                let _done = guard;
                panic!("task failed");
            });
            wg.wait();
            assert!(t.join().is_err());
        });
        assert_eq!(wg.counter(), 0);
        // Usable again.
        let g = wg.add_guard();
        drop(g);
        wg.wait();
    });
}

/// `go`: `wait` returns whether `f` returns or panics; `join` says which;
/// the closure's captures are dropped exactly once either way.
#[test]
fn go_counts_out_when_the_closure_panics() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let drops = Arc::new(AtomicUsize::new(0));
        let ok = {
            let c = Counted(Arc::clone(&drops));
            wg.go(move || {
                let _c = c;
                7
            })
        };
        let bad = {
            let c = Counted(Arc::clone(&drops));
            wg.go(move || {
                let _c = c;
                panic!("task failed")
            })
        };
        wg.wait();
        assert_eq!(wg.counter(), 0);
        assert_eq!(ok.join().unwrap(), 7);
        let err = bad.join().unwrap_err();
        assert_eq!(testkit::panic_message(&*err), "task failed");
        assert_eq!(drops.load(SeqCst), 2, "each capture dropped exactly once");
        // Usable again, and no sleeper is left on the semaphore.
        wg.go(|| ()).join().unwrap();
        wg.wait();
        assert_eq!((wg.counter(), wg.waiters(), wg.sleepers()), (0, 0, 0));
    });
}

/// `go` counts the task in before the thread exists: right after it
/// returns, the counter already holds it, however late the thread starts.
#[test]
fn go_counts_in_before_the_thread_runs() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let gate = Arc::new(std::sync::Barrier::new(2));
        let g2 = Arc::clone(&gate);
        let t = wg.go(move || {
            g2.wait();
        });
        assert_eq!(wg.counter(), 1, "go returned before counting the task in");
        gate.wait();
        wg.wait();
        t.join().unwrap();
    });
}

/// `go_scoped`: the same inside `std::thread::scope`, with a borrowed group.
/// The scope re-raises the panic after joining; the group is at zero.
#[test]
fn go_scoped_counts_out_when_the_closure_panics() {
    testkit::watchdog(|| {
        let wg = WaitGroup::new();
        let drops = Arc::new(AtomicUsize::new(0));
        let mut results = Vec::new();
        let scope = catch_unwind(AssertUnwindSafe(|| {
            thread::scope(|s| {
                for i in 0..4 {
                    let c = Counted(Arc::clone(&drops));
                    wg.go_scoped(s, move || {
                        let _c = c;
                        assert!(i % 2 == 0, "odd task {i} fails");
                    });
                }
                wg.wait();
                results.push(wg.counter());
            })
        }));
        assert!(scope.is_err(), "the scope re-raises the tasks' panics");
        assert_eq!(results, [0]);
        assert_eq!(drops.load(SeqCst), 4);
        assert_eq!(wg.counter(), 0);
    });
}

thread_local! {
    static PENDING: RefCell<Option<OwnedDoneGuard>> = const { RefCell::new(None) };
}

/// A guard kept in a thread-local is dropped by the thread's destructors
/// when the thread exits, and that still counts out.
#[test]
fn guard_dropped_by_a_thread_local_destructor() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let guard = WaitGroup::add_guard_owned(&wg);
        assert!(Arc::ptr_eq(guard.group(), &wg));
        thread::spawn(move || {
            PENDING.with(|p| *p.borrow_mut() = Some(guard));
        });
        wg.wait();
        assert_eq!(wg.counter(), 0);
    });
}

/// A capture whose `Drop` panics after the task returned: the panic unwinds
/// through the guard, which still counts out.
#[test]
fn panicking_capture_drop_still_counts_out() {
    struct Bomb;
    impl Drop for Bomb {
        fn drop(&mut self) {
            panic!("drop failed");
        }
    }
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let bomb = Bomb;
        let t = wg.go(move || {
            let _b = bomb;
        });
        wg.wait();
        assert!(t.join().is_err());
        assert_eq!(wg.counter(), 0);
    });
}

/// Go 1.25's `Go` removes a whole bug class: the `Add` inside the
/// goroutine, which a `Wait` that runs first does not wait for. Here is
/// the bug, made certain by holding the task back: `wait` returns with
/// the task not even started.
#[test]
fn add_inside_the_task_is_the_bug_go_removes() {
    testkit::watchdog(|| {
        let wg = Arc::new(WaitGroup::new());
        let gate = Arc::new(std::sync::Barrier::new(2));
        let ran = Arc::new(AtomicUsize::new(0));
        let t = {
            let (wg, gate, ran) = (Arc::clone(&wg), Arc::clone(&gate), Arc::clone(&ran));
            thread::spawn(move || {
                gate.wait();
                let _done = wg.add_guard(); // too late
                ran.fetch_add(1, SeqCst);
            })
        };
        wg.wait(); // the counter is still zero: returns at once
        assert_eq!(ran.load(SeqCst), 0, "wait did not wait for the task");
        gate.wait();
        t.join().unwrap();
    });
}

/// A group is shared between threads, and a guard moves into one: both
/// must be `Send`, and the group `Sync`.
#[test]
fn bounds() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<WaitGroup>();
    send_sync::<ch04_waitgroup::DoneGuard<'static>>();
    send_sync::<OwnedDoneGuard>();
}
