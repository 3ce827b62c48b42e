//! Ports of Go's `TestPool`, `TestPoolNew`, `TestPoolGC`, `TestPoolRelease`
//! and `TestPoolStress` (`sync/pool_test.go`, go1.23.5). Go's
//! `runtime.GC()` becomes `Pool::gc()` (this pool only, so tests running
//! side by side do not rotate each other's pools); finalizers become drop
//! counters. Go's tests start at [`TestPool`](https://github.com/golang/go/blob/go1.23.5/src/sync/pool_test.go#L21).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::thread;

use ch05_pool::Pool;

/// Port of `TestPool`.
#[test]
fn test_pool() {
    let p: Pool<&str> = Pool::new();
    assert_eq!(p.get(), None, "expected empty");
    // Go pins to a P here; one thread is our P.
    p.put("a");
    p.put("b");
    assert_eq!(p.get(), Some("a"));
    assert_eq!(p.get(), Some("b"));
    assert_eq!(p.get(), None);
    for _ in 0..100 {
        p.put("c");
    }
    p.gc();
    assert_eq!(p.get(), Some("c"), "want c after GC");
    p.gc();
    assert_eq!(p.get(), None, "want nil after second GC");
}

/// Port of `TestPoolNew`.
#[test]
fn test_pool_new() {
    let i = Arc::new(AtomicUsize::new(0));
    let p = {
        let i = Arc::clone(&i);
        Pool::with_new(move || i.fetch_add(1, SeqCst) + 1)
    };
    assert_eq!(p.get(), Some(1));
    assert_eq!(p.get(), Some(2));
    p.put(42);
    assert_eq!(p.get(), Some(42));
    assert_eq!(p.get(), Some(3));
}

/// A value that counts its drops: our stand-in for Go's finalizers.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Go's `testPool`: with `drain`, everything put is taken back and dropped
/// by us; without, two GC cycles must drop everything the pool holds.
fn test_pool_drops(drain: bool) {
    const N: usize = 100;
    let p = Pool::new();
    let drops = Arc::new(AtomicUsize::new(0));
    for _ in 0..N {
        p.put(Counted(Arc::clone(&drops)));
    }
    if drain {
        for _ in 0..N {
            drop(p.get().expect("the pool lost an object"));
        }
        assert!(p.get().is_none());
    }
    p.gc();
    p.gc();
    assert_eq!(drops.load(SeqCst), N, "only some resources were dropped");
}

/// Port of `TestPoolGC`: the pool keeps nothing it handed out.
#[test]
fn test_pool_gc() {
    test_pool_drops(true);
}

/// Port of `TestPoolRelease`: two GC cycles release everything.
#[test]
fn test_pool_release() {
    test_pool_drops(false);
}

/// One cycle moves objects to the victim generation, where `get` still
/// finds them; the second drops them.
#[test]
fn the_victim_cache_survives_one_gc() {
    let p = Pool::new();
    let drops = Arc::new(AtomicUsize::new(0));
    for _ in 0..10 {
        p.put(Counted(Arc::clone(&drops)));
    }
    p.gc();
    assert_eq!(drops.load(SeqCst), 0, "one cycle dropped objects");
    let x = p.get().expect("the victim cache is empty after one cycle");
    p.put(x);
    p.gc();
    assert_eq!(
        drops.load(SeqCst),
        9,
        "the second cycle drops the old victims"
    );
    p.gc();
    assert_eq!(drops.load(SeqCst), 10);
}

/// Objects cached by a thread that has exited are stolen by others and
/// dropped by `gc()`, like anyone's.
#[test]
fn objects_of_exited_threads_are_reached() {
    let p = Arc::new(Pool::new());
    let drops = Arc::new(AtomicUsize::new(0));
    {
        let (p, drops) = (Arc::clone(&p), Arc::clone(&drops));
        thread::spawn(move || {
            for _ in 0..20 {
                p.put(Counted(Arc::clone(&drops)));
            }
        })
        .join()
        .unwrap();
    }
    // Stolen from the exited thread's chain (its private object is not
    // stealable, as in Go).
    drop(p.get().expect("nothing stolen from an exited thread"));
    assert_eq!(drops.load(SeqCst), 1);
    p.gc();
    p.gc();
    assert_eq!(drops.load(SeqCst), 20);
}

/// A new thread may inherit the per-thread slot of an exited one (the
/// pool numbers threads and reuses the numbers of exited ones). Its objects must still be
/// found exactly once, and walking the pool's locals must still end.
#[test]
fn threads_that_reuse_an_exited_threads_slot() {
    testkit::watchdog(|| {
        let p = Arc::new(Pool::new());
        let drops = Arc::new(AtomicUsize::new(0));
        for _ in 0..8 {
            let (p, drops) = (Arc::clone(&p), Arc::clone(&drops));
            // Each thread gets the number the one before gave back.
            thread::spawn(move || {
                for _ in 0..3 {
                    p.put(Counted(Arc::clone(&drops)));
                }
                drop(p.get());
            })
            .join()
            .unwrap();
        }
        // Walks every local: would loop forever on a doubly listed one.
        p.gc();
        p.gc();
        assert_eq!(drops.load(SeqCst), 8 * 3);
    });
}

/// Port of `TestPoolStress`, plus a thread calling `gc()` throughout: every
/// `get` returns what some `put` gave, and at the end every object made has
/// been dropped exactly once.
#[test]
fn test_pool_stress() {
    const P: usize = 10;
    let n = testkit::scale(10_000, 1_000_000, 30);
    testkit::watchdog(move || {
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
        let workers: Vec<_> = (0..P)
            .map(|_| {
                let (p, made, drops) = (Arc::clone(&p), Arc::clone(&made), Arc::clone(&drops));
                thread::spawn(move || {
                    let mut v = None;
                    for _ in 0..n {
                        let x = v.take().unwrap_or_else(|| {
                            made.fetch_add(1, SeqCst);
                            (0u64, Counted(Arc::clone(&drops)))
                        });
                        assert_eq!(x.0, 0, "expect 0");
                        p.put(x);
                        v = p.get();
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, SeqCst);
        collector.join().unwrap();
        drop(p);
        assert_eq!(
            drops.load(SeqCst),
            made.load(SeqCst),
            "objects lost or dropped twice"
        );
    });
}
