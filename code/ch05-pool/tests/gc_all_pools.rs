//! `ch05_pool::gc()` rotates every live pool, and a `Cleaner` calls it on a
//! timer. In a test binary of their own, so that they cannot rotate the
//! pools of other tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::time::Duration;

use ch05_pool::{Cleaner, Pool, gc};

struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

#[test]
fn gc_reaches_every_pool_and_a_cleaner_calls_it() {
    let drops = Arc::new(AtomicUsize::new(0));
    let a = Pool::new();
    let b = Pool::new();
    for _ in 0..5 {
        a.put(Counted(Arc::clone(&drops)));
        b.put(Counted(Arc::clone(&drops)));
    }
    gc();
    assert_eq!(drops.load(SeqCst), 0);
    gc();
    assert_eq!(drops.load(SeqCst), 10, "gc() did not reach both pools");

    // A dropped pool drops its objects at once and leaves the registry.
    let c = Pool::new();
    c.put(Counted(Arc::clone(&drops)));
    drop(c);
    assert_eq!(drops.load(SeqCst), 11);

    for _ in 0..5 {
        a.put(Counted(Arc::clone(&drops)));
    }
    let cleaner = Cleaner::start(Duration::from_millis(5));
    testkit::watchdog(move || {
        while drops.load(SeqCst) < 16 {
            std::thread::sleep(Duration::from_millis(1));
        }
    });
    drop(cleaner);
}
