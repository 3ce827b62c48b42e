//! The reentrant mutex's tests: run against your exercise and, unchanged,
//! against the solution (the chapter's `ReentrantMutex`).

#[cfg(workshop_solution)]
extern crate ex01_reentrant_solution as ex01_reentrant;

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use ex01_reentrant::ReentrantMutex;

const LIMIT: Duration = Duration::from_secs(20);

/// A recursive function that locks at every level: the case a reentrant
/// mutex exists for.
fn depth(m: &ReentrantMutex<Cell<u32>>, n: u32) -> u32 {
    let guard = m.lock();
    guard.set(guard.get() + 1);
    if n == 0 { guard.get() } else { depth(m, n - 1) }
}

#[test]
fn a_recursive_function_may_lock_at_every_level() {
    let m = ReentrantMutex::new(Cell::new(0));
    assert_eq!(depth(&m, 9), 10);
    assert!(
        !m.is_owned_by_current_thread(),
        "still owned after the last guard"
    );
    assert_eq!(m.into_inner().get(), 10);
}

#[test]
fn try_lock_is_reentrant_too() {
    let m = ReentrantMutex::new(5);
    let a = m.try_lock().expect("try_lock failed on a free mutex");
    let b = m.try_lock().expect("try_lock failed for the holder");
    assert_eq!((*a, *b), (5, 5));
    assert!(m.is_owned_by_current_thread());
}

#[test]
fn another_thread_waits_for_the_last_guard() {
    testkit::watchdog_with(LIMIT, |_| {
        let m = Arc::new(ReentrantMutex::new(()));
        let try_elsewhere = |m: &Arc<ReentrantMutex<()>>| {
            let m = Arc::clone(m);
            thread::spawn(move || m.try_lock().is_some())
                .join()
                .unwrap()
        };
        let first = m.lock();
        let second = m.lock();
        assert!(!try_elsewhere(&m), "another thread got a held mutex");
        drop(second);
        assert!(!try_elsewhere(&m), "unlocked while a guard was left");
        drop(first);
        assert!(try_elsewhere(&m), "still locked after the last guard");
    });
}

#[test]
fn threads_take_turns() {
    testkit::watchdog_with(LIMIT, |_| {
        let m = Arc::new(ReentrantMutex::new(RefCell::new(Vec::new())));
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for _ in 0..2_000 {
                        let outer = m.lock();
                        let inner = m.lock();
                        // Both entries land together: nobody else is inside.
                        inner.borrow_mut().push(t);
                        outer.borrow_mut().push(t);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        let v = m.lock().borrow().clone();
        assert_eq!(v.len(), 16_000);
        assert!(
            v.chunks(2).all(|pair| pair[0] == pair[1]),
            "two threads were inside at once"
        );
    });
}
