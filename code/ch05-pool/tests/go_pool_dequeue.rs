//! Ports of Go's `TestPoolDequeue` and `TestPoolChain` (`sync/pool_test.go`,
//! go1.23.5), and the edges of the ring: full, empty, the 32-bit wrap,
//! zero-sized and `Drop` values.
//! <https://github.com/golang/go/blob/go1.23.5/src/sync/pool_test.go#L167-L248>

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering::SeqCst};
use std::thread;

use ch05_pool::{chain, dequeue};

/// Go's test hook starts both indexes this far below the wrap point.
const NEAR_WRAP: u32 = u32::MAX - 499;

/// The producer half of Go's `PoolDequeue` test interface.
trait Head: Send + 'static {
    fn push_head(&self, val: usize) -> bool;
    fn pop_head(&self) -> Option<usize>;
}

/// The consumer half.
trait Tail: Clone + Send + 'static {
    fn pop_tail(&self) -> Option<usize>;
}

impl Head for dequeue::Producer<usize> {
    fn push_head(&self, val: usize) -> bool {
        dequeue::Producer::push_head(self, val).is_ok()
    }
    fn pop_head(&self) -> Option<usize> {
        dequeue::Producer::pop_head(self)
    }
}

impl Tail for dequeue::Consumer<usize> {
    fn pop_tail(&self) -> Option<usize> {
        dequeue::Consumer::pop_tail(self)
    }
}

impl Head for chain::Producer<usize> {
    fn push_head(&self, val: usize) -> bool {
        chain::Producer::push_head(self, val);
        true
    }
    fn pop_head(&self) -> Option<usize> {
        chain::Producer::pop_head(self)
    }
}

impl Tail for chain::Consumer<usize> {
    fn pop_tail(&self) -> Option<usize> {
        chain::Consumer::pop_tail(self)
    }
}

/// Go's `testPoolDequeue`: one producer pushes 0..N (popping its own head
/// every tenth push), P-1 consumers pop the tail until the last value is
/// seen; every value must be taken exactly once.
fn test_pool_dequeue(head: impl Head, tail: impl Tail) {
    const P: usize = 10;
    let n = testkit::scale(1_000, 2_000_000, 60);
    let have: Arc<Vec<AtomicU32>> = Arc::new((0..n).map(|_| AtomicU32::new(0)).collect());
    let stop = Arc::new(AtomicBool::new(false));
    let record = {
        let (have, stop) = (Arc::clone(&have), Arc::clone(&stop));
        move |val: usize| {
            have[val].fetch_add(1, SeqCst);
            if val == n - 1 {
                stop.store(true, SeqCst);
            }
        }
    };
    let consumers: Vec<_> = (1..P)
        .map(|_| {
            let (tail, stop, record) = (tail.clone(), Arc::clone(&stop), record.clone());
            thread::spawn(move || {
                let mut fail = 0u32;
                while !stop.load(SeqCst) {
                    match tail.pop_tail() {
                        Some(val) => {
                            fail = 0;
                            record(val);
                        }
                        None => {
                            // Let the producer run.
                            fail += 1;
                            if fail % 100 == 0 {
                                thread::yield_now();
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let producer = thread::spawn(move || {
        let mut n_pop_head = 0;
        for j in 0..n {
            while !head.push_head(j) {
                thread::yield_now();
            }
            if j % 10 == 0 {
                if let Some(val) = head.pop_head() {
                    n_pop_head += 1;
                    record(val);
                }
            }
        }
        n_pop_head
    });
    let n_pop_head = producer.join().unwrap();
    for c in consumers {
        c.join().unwrap();
    }
    for (i, count) in have.iter().enumerate() {
        assert_eq!(count.load(SeqCst), 1, "expected have[{i}] = 1");
    }
    // Go checks this only in long mode: in a short run the queue is nearly
    // always empty, and a consumer takes each value before `pop_head` can.
    if testkit::long_mode() {
        assert!(n_pop_head > 0, "popHead never succeeded");
    }
}

/// Port of `TestPoolDequeue`: a 16-slot ring starting just below the wrap.
#[test]
fn test_pool_dequeue_ring() {
    testkit::watchdog(|| {
        let (head, tail) = dequeue::with_start(16, NEAR_WRAP);
        test_pool_dequeue(head, tail);
    });
}

/// Port of `TestPoolChain`.
#[test]
fn test_pool_chain() {
    testkit::watchdog(|| {
        let (head, tail) = chain::new();
        test_pool_dequeue(head, tail);
    });
}

/// Our test, not one of Go's: on a 16-slot ring exactly 16 pushes fit, the
/// tail gives the oldest value and the head the newest, across the wrap
/// (the first answers match what Go's `poolDequeue` gave when this
/// project's notes tried the same on Go 1.19's `poolqueue.go`).
#[test]
fn full_and_empty_edges() {
    for start in [0, NEAR_WRAP, u32::MAX - 7, u32::MAX] {
        let (p, c) = dequeue::with_start(16, start);
        assert_eq!(c.pop_tail(), None);
        assert_eq!(p.pop_head(), None);
        for i in 0..16 {
            assert_eq!(p.push_head(i), Ok(()), "push {i} from {start}");
        }
        assert_eq!(p.push_head(16), Err(16), "a full ring accepted a push");
        assert_eq!(c.pop_tail(), Some(0));
        assert_eq!(p.pop_head(), Some(15));
        // Two slots are free again: two pushes fit, the third does not.
        assert_eq!(p.push_head(99), Ok(()));
        assert_eq!(p.push_head(100), Ok(()));
        assert_eq!(p.push_head(101), Err(101));
        let mut rest = Vec::new();
        while let Some(v) = c.pop_tail() {
            rest.push(v);
        }
        assert_eq!(
            rest,
            [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 99, 100]
        );
        assert_eq!(p.pop_head(), None);
    }
}

/// Thousands of laps around a small ring starting below the wrap: the
/// indexes wrap many times, the values come out in order.
#[test]
fn many_laps_across_the_wrap() {
    let (p, c) = dequeue::with_start(4, u32::MAX - 2);
    for i in 0..testkit::scale(10_000, 1_000_000, 200) {
        p.push_head(2 * i).unwrap();
        p.push_head(2 * i + 1).unwrap();
        assert_eq!(c.pop_tail(), Some(2 * i));
        assert_eq!(p.pop_head(), Some(2 * i + 1));
    }
    assert_eq!(c.pop_tail(), None);
}

/// Our test, not one of Go's: after 1000 pushes on a chain, the head gives
/// 999 and the tail 0 (as Go's `poolChain` did when this project's notes
/// tried the same on Go 1.19's `poolqueue.go`); then everything else comes
/// out exactly once.
#[test]
fn chain_grows_and_drains() {
    let (p, c) = chain::new();
    for i in 0..1000 {
        p.push_head(i);
    }
    assert_eq!(p.pop_head(), Some(999));
    assert_eq!(c.pop_tail(), Some(0));
    let mut seen = vec![false; 1000];
    seen[0] = true;
    seen[999] = true;
    // Half from each end: the head backs up through older rings while the
    // tail unlinks drained ones.
    for k in 0..998 {
        let v = if k % 2 == 0 {
            c.pop_tail()
        } else {
            p.pop_head()
        }
        .unwrap();
        assert!(!std::mem::replace(&mut seen[v], true), "{v} came out twice");
    }
    assert!(seen.iter().all(|&s| s));
    assert_eq!(c.pop_tail(), None);
    assert_eq!(p.pop_head(), None);
}

#[test]
fn zero_sized_values() {
    let (p, c) = dequeue::with_start::<()>(8, NEAR_WRAP);
    for _ in 0..8 {
        p.push_head(()).unwrap();
    }
    assert_eq!(p.push_head(()), Err(()));
    assert_eq!(c.pop_tail(), Some(()));
    assert_eq!(p.pop_head(), Some(()));
    let (p, c) = chain::new::<()>();
    for _ in 0..100 {
        p.push_head(());
    }
    assert_eq!((0..100).filter_map(|_| c.pop_tail()).count(), 100);
}

/// A value that counts its drops.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_add(1, SeqCst);
    }
}

/// Values popped are dropped by their taker; values left behind are dropped
/// with the last handle, each exactly once.
#[test]
fn drop_types_are_dropped_once() {
    let drops = Arc::new(AtomicUsize::new(0));
    let (p, c) = dequeue::with_start(8, NEAR_WRAP);
    for _ in 0..6 {
        p.push_head(Counted(Arc::clone(&drops))).ok().unwrap();
    }
    drop(c.pop_tail());
    drop(p.pop_head());
    assert_eq!(drops.load(SeqCst), 2);
    drop(p);
    assert_eq!(
        drops.load(SeqCst),
        2,
        "dropped while a consumer still holds the ring"
    );
    drop(c);
    assert_eq!(drops.load(SeqCst), 6);

    let drops = Arc::new(AtomicUsize::new(0));
    let (p, c) = chain::new();
    for _ in 0..100 {
        p.push_head(Counted(Arc::clone(&drops)));
    }
    for _ in 0..30 {
        drop(c.pop_tail());
    }
    drop((p, c));
    assert_eq!(drops.load(SeqCst), 100);
}

#[test]
#[should_panic(expected = "power of two")]
fn ring_size_must_be_a_power_of_two() {
    let _ = dequeue::new::<u8>(12);
}
