//! Tests for the victim cache: run against your exercise and, unchanged,
//! against the solution (the chapter's `ch05_pool::Pool`). Where Go's
//! tests call `runtime.GC()`, these call `gc()`; where Go counts
//! finalizers, these count drops. Each runs under the watchdog.

#[cfg(workshop_solution)]
extern crate ex05_victim_solution as ex05_victim;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, LazyLock};
use std::thread;

use ex05_victim::Pool;

/// Port of Go's `TestPool`, which needs the victim cache from its fourth
/// step on: an object survives one cycle and is gone after the second.
#[test]
fn test_pool() {
    testkit::watchdog(|| {
        let p = Pool::new();
        assert_eq!(p.get(), None, "expected empty");
        p.put("a");
        p.put("b");
        assert_eq!(p.get(), Some("a"));
        assert_eq!(p.get(), Some("b"));
        assert_eq!(p.get(), None);
        for _ in 0..100 {
            p.put("c");
        }
        p.gc();
        assert_eq!(
            p.get(),
            Some("c"),
            "want c after one gc: look in the victims"
        );
        p.gc();
        assert_eq!(p.get(), None, "want nothing after the second gc");
    });
}

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Go's `testPool(drain)`: with `drain`, everything put is taken back and
/// dropped by us; without, the pool must drop it all within two cycles.
fn test_pool_drops(drain: bool) {
    const N: usize = 100;
    let drops = Arc::new(AtomicUsize::new(0));
    let p = Pool::new();
    for _ in 0..N {
        p.put(Counted(Arc::clone(&drops)));
    }
    if drain {
        for _ in 0..N {
            drop(p.get().expect("everything put is still there"));
        }
    }
    p.gc();
    p.gc();
    assert_eq!(
        drops.load(SeqCst),
        N,
        "only {} out of {N} objects were dropped after two gc() cycles",
        drops.load(SeqCst)
    );
    drop(p);
    assert_eq!(drops.load(SeqCst), N, "an object was dropped twice");
}

#[test]
fn test_pool_gc() {
    testkit::watchdog(|| {
        test_pool_drops(true);
    });
}

#[test]
fn test_pool_release() {
    testkit::watchdog(|| {
        test_pool_drops(false);
    });
}

/// One cycle demotes, and the next `get` still finds what another thread
/// cached: stolen from its victim chain. That thread's private object is
/// only for itself (as in Go), so the second cycle drops it.
#[test]
fn victims_of_other_threads_are_stolen() {
    testkit::watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let p = Arc::new(Pool::new());
        // This thread's own local first: a thread that first uses the pool
        // after the other one has exited may inherit that thread's local.
        assert!(p.get().is_none());
        {
            let (p, drops) = (Arc::clone(&p), Arc::clone(&drops));
            thread::spawn(move || {
                for _ in 0..10 {
                    p.put(Counted(Arc::clone(&drops)));
                }
            })
            .join()
            .unwrap();
        }
        p.gc();
        for i in 0..9 {
            assert!(p.get().is_some(), "victim {i} of 9 not found");
        }
        assert!(
            p.get().is_none(),
            "another thread's private object is its own"
        );
        assert_eq!(drops.load(SeqCst), 9);
        p.gc();
        assert_eq!(drops.load(SeqCst), 10, "the second gc drops the last one");
    });
}

/// A new object after a rotation goes to the new primary generation, not
/// to the victims that the next rotation drops.
#[test]
fn what_is_put_after_a_gc_survives_the_next_one() {
    testkit::watchdog(|| {
        let p = Pool::new();
        p.put(1);
        p.gc();
        p.put(2);
        p.gc();
        assert_eq!(
            p.get(),
            Some(2),
            "2 was put after the first gc: one cycle old"
        );
        assert_eq!(p.get(), None, "1 is two cycles old: dropped");
    });
}

/// Once a search of the victims found nothing, it does not look again
/// until the next rotation; but the next rotation's victims are found.
#[test]
fn an_empty_victim_generation_does_not_hide_the_next() {
    testkit::watchdog(|| {
        let p = Pool::new();
        p.gc();
        assert_eq!(p.get(), None);
        p.put(7);
        p.gc();
        assert_eq!(
            p.get(),
            Some(7),
            "the new victim generation must be searched"
        );
    });
}

/// An object's `Drop` may use a pool, even the one dropping it: `gc()`
/// must drop what it removes only after letting go of every pin.
#[test]
fn a_drop_that_uses_the_pool_does_not_deadlock() {
    struct Returns(bool);
    static POOL: LazyLock<Pool<Returns>> = LazyLock::new(Pool::new);
    impl Drop for Returns {
        fn drop(&mut self) {
            if self.0 {
                POOL.put(Returns(false));
            }
        }
    }
    testkit::watchdog(|| {
        POOL.put(Returns(true));
        POOL.gc();
        POOL.gc(); // drops the object, whose `Drop` puts another
        assert!(POOL.get().is_some(), "the object put by `Drop` is there");
    });
}

/// Port of Go's `TestPoolStress`, with a thread calling `gc()` all the
/// while: every object made is dropped exactly once by the end.
#[test]
fn test_pool_stress() {
    testkit::watchdog(|| {
        let n = testkit::scale(10_000, 1_000_000, 30);
        let made = Arc::new(AtomicUsize::new(0));
        let drops = Arc::new(AtomicUsize::new(0));
        let p = Arc::new(Pool::new());
        let stop = Arc::new(AtomicBool::new(false));
        let collector = {
            let (p, stop) = (Arc::clone(&p), Arc::clone(&stop));
            thread::spawn(move || {
                while !stop.load(SeqCst) {
                    p.gc();
                    thread::yield_now();
                }
            })
        };
        let workers: Vec<_> = (0..4)
            .map(|_| {
                let (p, made, drops) = (Arc::clone(&p), Arc::clone(&made), Arc::clone(&drops));
                thread::spawn(move || {
                    let mut v = None;
                    for _ in 0..n {
                        let x = v.take().unwrap_or_else(|| {
                            made.fetch_add(1, SeqCst);
                            Counted(Arc::clone(&drops))
                        });
                        p.put(x);
                        v = p.get();
                    }
                })
            })
            .collect();
        let results: Vec<_> = workers.into_iter().map(|w| w.join()).collect();
        stop.store(true, SeqCst);
        collector.join().unwrap();
        for r in results {
            if let Err(panic) = r {
                std::panic::resume_unwind(panic);
            }
        }
        drop(p);
        assert_eq!(
            drops.load(SeqCst),
            made.load(SeqCst),
            "objects lost or dropped twice"
        );
    });
}
