//! A pool used from a thread-local destructor: the "give my buffer back
//! when the thread exits" pattern. Rust runs thread-local destructors in an
//! order it does not promise, so ours may run after the pool has let go of
//! the thread's number. It must not crash (a panic in a thread-local
//! destructor aborts the process): `put` then drops the value, and `get`
//! still finds objects elsewhere or makes one.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::thread;

use ch05_pool::Pool;

struct Counted(Arc<AtomicUsize>);
impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Puts its object back into the pool when the thread exits.
struct ReturnOnExit {
    pool: Arc<Pool<Counted>>,
    held: Option<Counted>,
    /// Also `get` on the way out, counting what it finds or makes.
    get_too: bool,
    got_on_exit: Arc<AtomicUsize>,
}

impl Drop for ReturnOnExit {
    fn drop(&mut self) {
        if let Some(x) = self.held.take() {
            self.pool.put(x);
        }
        if self.get_too && self.pool.get().is_some() {
            self.got_on_exit.fetch_add(1, SeqCst);
        }
    }
}

thread_local! {
    static MINE: RefCell<Option<ReturnOnExit>> = const { RefCell::new(None) };
}

/// The thread-local is made before the thread first uses the pool, so
/// (where destructors run in reverse order of first use, as on Linux) its
/// destructor runs after the pool's per-thread state is gone: the late
/// case. The other order is the next test.
#[test]
fn put_and_get_from_a_late_thread_local_destructor() {
    testkit::watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let got_on_exit = Arc::new(AtomicUsize::new(0));
        let pool = Arc::new(Pool::with_new({
            let drops = Arc::clone(&drops);
            move || Counted(Arc::clone(&drops))
        }));
        let t = {
            let (pool, drops, got) = (
                Arc::clone(&pool),
                Arc::clone(&drops),
                Arc::clone(&got_on_exit),
            );
            thread::spawn(move || {
                MINE.with(|m| {
                    *m.borrow_mut() = Some(ReturnOnExit {
                        pool: Arc::clone(&pool),
                        held: None,
                        get_too: true,
                        got_on_exit: got,
                    })
                });
                // Now the pool's per-thread state: registered after ours.
                let x = pool.get().unwrap();
                pool.put(Counted(Arc::clone(&drops)));
                MINE.with(|m| m.borrow_mut().as_mut().unwrap().held = Some(x));
            })
        };
        t.join()
            .expect("the thread (or its thread-local destructors) panicked");
        assert_eq!(
            got_on_exit.load(SeqCst),
            1,
            "get from the destructor found nothing and made nothing"
        );
        // Every object is in the pool or dropped; none is lost or dropped twice.
        let made_and_put = 3; // made by get, put in the thread, made on exit (or found)
        pool.gc();
        pool.gc();
        drop(pool);
        assert!(drops.load(SeqCst) <= made_and_put);
    });
}

/// The early case: the thread-local is made after the pool's state, so its
/// destructor runs first and the put goes into the thread's own local. The
/// object stays there, with the pool: a thread that later gets the exited
/// thread's number finds it, and otherwise the second `gc()` drops it.
#[test]
fn put_from_an_early_thread_local_destructor_is_kept_until_gc() {
    testkit::watchdog(|| {
        let drops = Arc::new(AtomicUsize::new(0));
        let got_on_exit = Arc::new(AtomicUsize::new(0));
        let pool: Arc<Pool<Counted>> = Arc::new(Pool::new());
        {
            let (pool, drops, got) = (
                Arc::clone(&pool),
                Arc::clone(&drops),
                Arc::clone(&got_on_exit),
            );
            thread::spawn(move || {
                pool.put(Counted(Arc::clone(&drops)));
                drop(pool.get()); // the pool's state exists before ours
                MINE.with(|m| {
                    *m.borrow_mut() = Some(ReturnOnExit {
                        pool: Arc::clone(&pool),
                        held: Some(Counted(drops)),
                        get_too: false,
                        got_on_exit: got,
                    })
                });
            })
            .join()
            .expect("the thread (or its thread-local destructors) panicked");
        }
        // Dropped in the thread, and the destructor's object either dropped
        // by a late put or kept in the pool: at most 2 so far, and after two
        // gc() cycles exactly 2 (or 1 if this thread inherited the exited
        // thread's number and holds the object: it is dropped below).
        assert!(drops.load(SeqCst) <= 2);
        let kept = pool.get();
        pool.gc();
        pool.gc();
        assert_eq!(
            drops.load(SeqCst) + usize::from(kept.is_some()),
            2,
            "an object lost or dropped twice"
        );
        drop(kept);
        assert_eq!(drops.load(SeqCst), 2);
        assert_eq!(got_on_exit.load(SeqCst), 0);
    });
}
