//! `ReentrantMutex`: nested locking on one thread, exclusion between
//! threads, and `RefCell` catching a nested call that breaks an invariant.

use std::cell::RefCell;
use std::sync::Arc;
use std::thread;

use ch01_mutex::ReentrantMutex;

// ANCHOR: nested
#[test]
fn nested_locks_on_one_thread() {
    let m = ReentrantMutex::new(RefCell::new(Vec::new()));
    let outer = m.lock();
    outer.borrow_mut().push(1);
    {
        let inner = m.lock();
        inner.borrow_mut().push(2);
        let innermost = m.try_lock().expect("the holder may lock again");
        innermost.borrow_mut().push(3);
    }
    assert!(m.is_owned_by_current_thread());
    drop(outer);
    assert!(!m.is_owned_by_current_thread());
    assert_eq!(m.into_inner().into_inner(), [1, 2, 3]);
}
// ANCHOR_END: nested

#[test]
fn other_threads_wait_for_the_last_guard() {
    testkit::watchdog(|| {
        let m = Arc::new(ReentrantMutex::new(RefCell::new(0)));
        let first = m.lock();
        let second = m.lock();
        let probe = {
            let m = Arc::clone(&m);
            move || {
                thread::spawn(move || m.try_lock().is_some())
                    .join()
                    .unwrap()
            }
        };
        assert!(!probe.clone()(), "another thread locked a held mutex");
        drop(first);
        assert!(!probe.clone()(), "released before the last guard");
        drop(second);
        assert!(probe(), "not released after the last guard");
    });
}

#[test]
fn threads_take_turns_with_nested_guards() {
    let rounds = testkit::scale(2_000, 200_000, 20);
    testkit::watchdog(move || {
        let m = Arc::new(ReentrantMutex::new(RefCell::new(0u64)));
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for _ in 0..rounds {
                        let outer = m.lock();
                        let before = *outer.borrow();
                        // A nested call that also locks: allowed, and it
                        // sees the state its caller is in the middle of.
                        *m.lock().borrow_mut() += 1;
                        *outer.borrow_mut() += 1;
                        assert_eq!(*outer.borrow(), before + 2);
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        assert_eq!(*m.lock().borrow(), 8 * rounds as u64);
    });
}

/// The reentrancy hazard made visible: a nested call that mutates while
/// its caller holds a borrow fails loudly instead of corrupting anything.
#[test]
fn refcell_reports_a_nested_mutation() {
    let m = ReentrantMutex::new(RefCell::new(vec![1, 2, 3]));
    let guard = m.lock();
    let items = guard.borrow();
    let nested = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        m.lock().borrow_mut().clear();
    }));
    let msg = testkit::panic_message(&*nested.unwrap_err());
    assert!(msg.contains("already borrowed"), "{msg}");
    assert_eq!(*items, [1, 2, 3]);
}

#[test]
fn debug_and_default() {
    let m: ReentrantMutex<u8> = ReentrantMutex::default();
    assert_eq!(format!("{m:?}"), "ReentrantMutex { data: 0, .. }");
    let guard = m.lock();
    // The holder may look inside; another thread would see `<locked>`.
    assert_eq!(format!("{m:?}"), "ReentrantMutex { data: 0, .. }");
    let m = &m;
    thread::scope(|s| {
        s.spawn(|| assert_eq!(format!("{m:?}"), "ReentrantMutex { data: <locked>, .. }"));
    });
    drop(guard);
}
