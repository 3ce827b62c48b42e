//! The reentrant mutex's tests: run against your exercise and, unchanged,
//! against the solution (the chapter's `ReentrantMutex`). Each runs under
//! the watchdog.

#[cfg(workshop_solution)]
extern crate ex01_reentrant_solution as ex01_reentrant;

use std::cell::{Cell, RefCell};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use ex01_reentrant::ReentrantMutex;

/// A recursive function that locks at every level: the case a reentrant
/// mutex exists for.
fn depth(m: &ReentrantMutex<Cell<u32>>, n: u32) -> u32 {
    let guard = m.lock();
    guard.set(guard.get() + 1);
    if n == 0 { guard.get() } else { depth(m, n - 1) }
}

#[test]
fn a_recursive_function_may_lock_at_every_level() {
    testkit::watchdog(|| {
        let m = ReentrantMutex::new(Cell::new(0));
        assert_eq!(depth(&m, 9), 10);
        assert!(
            !m.is_owned_by_current_thread(),
            "still owned after the last guard"
        );
        assert_eq!(m.into_inner().get(), 10);
    });
}

#[test]
fn try_lock_is_reentrant_too() {
    testkit::watchdog(|| {
        let m = ReentrantMutex::new(5);
        let a = m.try_lock().expect("try_lock failed on a free mutex");
        let b = m.try_lock().expect("try_lock failed for the holder");
        assert_eq!((*a, *b), (5, 5));
        assert!(m.is_owned_by_current_thread());
    });
}

#[test]
fn another_thread_waits_for_the_last_guard() {
    testkit::watchdog(|| {
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
    testkit::watchdog(|| {
        let m = Arc::new(ReentrantMutex::new(RefCell::new(Vec::new())));
        let workers: Vec<_> = (0..4)
            .map(|t| {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    for _ in 0..2_000 {
                        let outer = m.lock();
                        // The owner must still be us: a thread that
                        // unlocked `raw` before forgetting the owner may
                        // have just erased our id. (A nested `lock()` would
                        // then deadlock; `try_lock` fails instead.)
                        assert!(
                            m.is_owned_by_current_thread(),
                            "we hold the lock, but the owner is not us: another thread forgot \
                             the owner after unlocking `raw` and erased our id (forget the \
                             owner first, then unlock)"
                        );
                        let inner = m.try_lock().expect("the holder's nested try_lock failed");
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

/// The last guard must forget the owner *before* it unlocks `raw`: once
/// `raw` is unlocked, the next thread may lock it and store its own id, and
/// a late "nobody" from the old holder would erase that id. The new owner
/// would then no longer know it holds the lock (and its next nested
/// `lock()` would deadlock).
///
/// The window is a few instructions wide, so the test holds it open (on
/// Linux): the old holder and the next one run on one CPU, the old holder
/// at the lowest priority (`SCHED_IDLE`), so that the moment its unlock
/// wakes the next holder, the scheduler switches to that thread, in the
/// middle of the old holder's drop.
#[test]
fn the_next_owner_keeps_its_id() {
    testkit::watchdog(|| {
        sched::pin_to_one_cpu();
        for _round in 0..10 {
            let m = Arc::new(ReentrantMutex::new(()));
            let (locked_tx, locked_rx) = std::sync::mpsc::channel();
            let old = {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    let guard = m.lock();
                    sched::lowest_priority();
                    locked_tx.send(()).unwrap();
                    // Meanwhile the next holder starts waiting for the lock.
                    thread::sleep(Duration::from_millis(5));
                    drop(guard);
                })
            };
            locked_rx.recv().unwrap();
            let next = {
                let m = Arc::clone(&m);
                thread::spawn(move || {
                    let _guard = m.lock();
                    // Let the old holder finish its drop.
                    thread::sleep(Duration::from_millis(5));
                    m.is_owned_by_current_thread()
                })
            };
            old.join().unwrap();
            assert!(
                next.join().unwrap(),
                "the thread that locked next is no longer the owner: the old holder's drop \
                 erased its id after unlocking `raw` (forget the owner first, then unlock)"
            );
        }
    });
}

/// Scheduling, to hold a race window open; on Linux only (elsewhere, and
/// under Miri, these do nothing and the test above is a plain handover).
mod sched {
    #[cfg(all(target_os = "linux", not(miri)))]
    mod linux {
        /// `cpu_set_t`: a bit mask of 1024 CPUs.
        #[repr(C)]
        pub struct CpuSet(pub [u64; 16]);
        #[repr(C)]
        pub struct SchedParam {
            pub sched_priority: i32,
        }
        pub const SCHED_IDLE: i32 = 5;
        unsafe extern "C" {
            pub fn sched_getaffinity(pid: i32, size: usize, set: *mut CpuSet) -> i32;
            pub fn sched_setaffinity(pid: i32, size: usize, set: *const CpuSet) -> i32;
            pub fn sched_setscheduler(pid: i32, policy: i32, param: *const SchedParam) -> i32;
        }
    }

    /// Pins the calling thread, and the threads it spawns from now on, to
    /// the first CPU it may run on.
    pub fn pin_to_one_cpu() {
        #[cfg(all(target_os = "linux", not(miri)))]
        {
            use linux::*;
            let mut set = CpuSet([0; 16]);
            let size = std::mem::size_of::<CpuSet>();
            // SAFETY: `set` is a writable `cpu_set_t` of `size` bytes; pid 0
            // is the calling thread.
            if unsafe { sched_getaffinity(0, size, &mut set) } != 0 {
                return;
            }
            let Some(word) = set.0.iter().position(|w| *w != 0) else {
                return;
            };
            let mut one = CpuSet([0; 16]);
            one.0[word] = 1 << set.0[word].trailing_zeros();
            // SAFETY: as above; `one` names a CPU we may already run on.
            unsafe { sched_setaffinity(0, size, &one) };
        }
    }

    /// Gives the calling thread the lowest priority there is: any other
    /// thread woken on its CPU runs first.
    pub fn lowest_priority() {
        #[cfg(all(target_os = "linux", not(miri)))]
        {
            use linux::*;
            let param = SchedParam { sched_priority: 0 };
            // SAFETY: `param` is a valid `sched_param`; pid 0 is the calling
            // thread, and lowering one's own priority needs no privilege.
            unsafe { sched_setscheduler(0, SCHED_IDLE, &param) };
        }
    }
}
