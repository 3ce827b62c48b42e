//! Loom models of the ring and the chain: every interleaving of a producer
//! and consumers at small capacities, with loom's race detector on the
//! slots (a consumer's read racing the producer's refill would be caught).
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ch05-pool --test loom`
#![cfg(loom)]

use ch05_pool::{chain, dequeue};
use loom::thread;

/// Everything that went in came out exactly once.
fn assert_each_once(mut got: Vec<usize>, pushed: &[usize]) {
    got.sort_unstable();
    let mut want = pushed.to_vec();
    want.sort_unstable();
    assert_eq!(got, want);
}

/// A 2-slot ring started at the wrap point: the producer pushes three
/// values (the third may find the ring full, or its slot still being
/// emptied) and pops its head once, while a consumer pops the tail twice.
#[test]
fn ring_push_pop_head_against_pop_tail() {
    testkit::loom_model("ring_push_pop_head_against_pop_tail", 1, || {
        let (p, c) = dequeue::with_start(2, u32::MAX);
        let consumer = thread::spawn(move || {
            let mut got = Vec::new();
            for _ in 0..2 {
                got.extend(c.pop_tail());
            }
            (got, c)
        });
        let mut pushed = Vec::new();
        let mut got = Vec::new();
        for v in 1..=3 {
            if p.push_head(v).is_ok() {
                pushed.push(v);
            }
        }
        got.extend(p.pop_head());
        let (theirs, c) = consumer.join().unwrap();
        got.extend(theirs);
        while let Some(v) = c.pop_tail() {
            got.push(v);
        }
        assert_each_once(got, &pushed);
    });
}

/// Two consumers and the producer's `pop_head` race for the last values
/// of a 2-slot ring: each value is taken by exactly one of them.
#[test]
fn ring_last_value_races() {
    testkit::loom_model("ring_last_value_races", 1, || {
        let (p, c) = dequeue::new(2);
        p.push_head(1).unwrap();
        p.push_head(2).unwrap();
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let c = c.clone();
                thread::spawn(move || c.pop_tail())
            })
            .collect();
        let mut got: Vec<usize> = p.pop_head().into_iter().collect();
        for t in thieves {
            got.extend(t.join().unwrap());
        }
        got.extend(c.pop_tail());
        assert_each_once(got, &[1, 2]);
    });
}

/// A 4-slot ring refilled while a consumer empties it: the producer may
/// refill a slot only after the consumer's read of it (loom checks the
/// `full` flag's Acquire/Release pairing through the slot's cell).
#[test]
fn ring_refill_waits_for_the_reader() {
    testkit::loom_model("ring_refill_waits_for_the_reader", 1, || {
        let (p, c) = dequeue::new(4);
        for v in 0..4 {
            p.push_head(v).unwrap();
        }
        let consumer = thread::spawn(move || {
            let got: Vec<usize> = (0..2).filter_map(|_| c.pop_tail()).collect();
            (got, c)
        });
        let mut pushed: Vec<usize> = (0..4).collect();
        for v in 4..6 {
            if p.push_head(v).is_ok() {
                pushed.push(v);
            }
        }
        let (mut got, c) = consumer.join().unwrap();
        while let Some(v) = c.pop_tail() {
            got.push(v);
        }
        assert_each_once(got, &pushed);
    });
}

/// The chain grows (8 values fill the first ring, the 9th makes a second)
/// while a consumer pops the tail and may unlink the first ring.
#[test]
fn chain_grows_while_consumers_pop() {
    testkit::loom_model("chain_grows_while_consumers_pop", 1, || {
        let (p, c) = chain::new();
        for v in 0..7 {
            p.push_head(v);
        }
        let consumer = {
            let c = c.clone();
            thread::spawn(move || (0..2).filter_map(|_| c.pop_tail()).collect::<Vec<_>>())
        };
        p.push_head(7);
        p.push_head(8);
        let mut got: Vec<usize> = p.pop_head().into_iter().collect();
        got.extend(consumer.join().unwrap());
        while let Some(v) = c.pop_tail() {
            got.push(v);
        }
        assert_each_once(got, &(0..9).collect::<Vec<_>>());
    });
}

/// `gc()` against `put` and `get` on another thread: whatever the
/// interleaving, every object is either handed out or dropped, never both
/// and never twice, and two cycles empty the pool.
#[test]
fn gc_against_get_and_put() {
    use ch05_pool::Pool;
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    testkit::loom_model("gc_against_get_and_put", 1, || {
        let drops = Arc::new(AtomicUsize::new(0));
        let p = Arc::new(Pool::new());
        // One in this thread's private slot, two in its chain.
        for _ in 0..3 {
            p.put(Counted(Arc::clone(&drops)));
        }
        let user = {
            let (p, drops) = (Arc::clone(&p), Arc::clone(&drops));
            thread::spawn(move || {
                let got = p.get();
                p.put(Counted(drops));
                got
            })
        };
        p.gc();
        let got = user.join().unwrap();
        // Before we drop it, the object handed out is the only one of the
        // four that may be missing from the count.
        let handed_out = usize::from(got.is_some());
        p.gc();
        p.gc();
        assert_eq!(
            drops.load(SeqCst) + handed_out,
            4,
            "an object was lost or dropped twice"
        );
        drop(got);
        assert_eq!(drops.load(SeqCst), 4, "an object was lost or dropped twice");
        assert!(p.get().is_none());
    });
}

/// `gc()` draining a victim chain (without the pin) while another thread
/// steals from the same chain: each victim goes to exactly one of them.
#[test]
fn gc_drains_victims_against_a_thief() {
    use ch05_pool::Pool;
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    struct Counted(Arc<AtomicUsize>);
    impl Drop for Counted {
        fn drop(&mut self) {
            self.0.fetch_add(1, SeqCst);
        }
    }

    testkit::loom_model("gc_drains_victims_against_a_thief", 1, || {
        let drops = Arc::new(AtomicUsize::new(0));
        let p = Arc::new(Pool::new());
        // One private, two in the chain; then all three become victims.
        for _ in 0..3 {
            p.put(Counted(Arc::clone(&drops)));
        }
        p.gc();
        let thief = {
            let p = Arc::clone(&p);
            // Another thread: it can reach only the victim chain.
            thread::spawn(move || p.get())
        };
        p.gc(); // drops the victims, racing with the thief
        let stolen = thief.join().unwrap();
        let n_stolen = usize::from(stolen.is_some());
        assert_eq!(
            drops.load(SeqCst) + n_stolen,
            3,
            "a victim was lost or taken twice"
        );
        drop(stolen);
        assert_eq!(drops.load(SeqCst), 3);
        assert!(p.get().is_none());
    });
}
