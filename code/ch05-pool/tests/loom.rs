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
    testkit::loom_model("ring_push_pop_head_against_pop_tail", 40, || {
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
    testkit::loom_model("ring_last_value_races", 100, || {
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

/// A full 2-slot ring refilled while a consumer empties it: the producer
/// may write a slot only after the consumer has read the old value out of
/// it. The producer retries its push until the consumer's pop lets it in;
/// loom's race detector watches the slot's cell, so if the consumer's
/// `full.store(false)` were not a Release paired with the producer's
/// Acquire load, the refill would race the read and the model would fail.
#[test]
fn ring_refill_waits_for_the_reader() {
    testkit::loom_model("ring_refill_waits_for_the_reader", 5, || {
        let (p, c) = dequeue::new(2);
        p.push_head(0).unwrap();
        p.push_head(1).unwrap();
        let consumer = thread::spawn(move || (c.pop_tail(), c));
        let mut pushed = vec![0, 1];
        for _ in 0..3 {
            if p.push_head(2).is_ok() {
                pushed.push(2);
                break;
            }
            thread::yield_now();
        }
        let (first, c) = consumer.join().unwrap();
        let mut got: Vec<usize> = first.into_iter().collect();
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
    testkit::loom_model("chain_grows_while_consumers_pop", 25, || {
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
        // Frees the first ring if the consumer cut it out and has left.
        p.free_retired();
        got.extend(consumer.join().unwrap());
        while let Some(v) = c.pop_tail() {
            got.push(v);
        }
        assert_each_once(got, &(0..9).collect::<Vec<_>>());
    });
}

/// The chain's central rule: a consumer loads `next` *before* it pops. The
/// consumer finds the only ring empty; the producer then fills it and grows
/// a second. Had the consumer read `next` after its failed pop, it would see
/// the second ring, cut out the first, full one, and lose eight values.
#[test]
fn chain_consumer_reads_next_before_popping() {
    testkit::loom_model("chain_consumer_reads_next_before_popping", 150, || {
        let (p, c) = chain::new();
        p.push_head(0); // makes the first ring (8 slots)...
        assert_eq!(p.pop_head(), Some(0)); // ...and leaves it empty
        let consumer = {
            let c = c.clone();
            thread::spawn(move || c.pop_tail())
        };
        for v in 1..=9 {
            p.push_head(v); // 1..=8 fill the first ring; 9 starts a second
        }
        let mut got: Vec<usize> = consumer.join().unwrap().into_iter().collect();
        while let Some(v) = c.pop_tail() {
            got.push(v);
        }
        assert_each_once(got, &(1..=9).collect::<Vec<_>>());
    });
}

/// The producer retires its last, empty ring and frees what is retired
/// while a consumer may be inside that ring: the ring must not be freed
/// until the consumer has left (loom marks freed rings, and a use that is
/// not ordered before the free fails). The consumer's count and the two
/// SeqCst fences are what guarantee it.
#[test]
fn free_retired_waits_for_consumers() {
    testkit::loom_model("free_retired_waits_for_consumers", 20, || {
        let (p, c) = chain::new();
        p.push_head(1);
        let consumer = {
            let c = c.clone();
            thread::spawn(move || c.pop_tail())
        };
        let mut got: Vec<usize> = p.pop_head().into_iter().collect();
        p.release_if_empty();
        p.free_retired();
        got.extend(consumer.join().unwrap());
        p.free_retired(); // now nobody is inside: frees whatever is left
        p.push_head(2); // a fresh ring
        got.extend(c.pop_tail());
        assert_each_once(got, &[1, 2]);
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

    testkit::loom_model("gc_against_get_and_put", 7, || {
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

    testkit::loom_model("gc_drains_victims_against_a_thief", 80, || {
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

/// The pin handshake. The owner takes its victim `private` object under its
/// pin while `gc()` empties the same slot under its `gc` flag: the owner
/// writes `pin` then reads `gc` (with the light barrier between), `gc()`
/// writes `gc` then reads `pin` (the heavy barrier between), so at most one
/// of them is inside. Under loom both barriers are `SeqCst` fences (what
/// the process-wide barrier guarantees); without either, both get in and
/// loom reports the two accesses to the slot as a race.
#[test]
fn pin_handshake_keeps_gc_out() {
    use ch05_pool::Pool;
    use loom::sync::Arc;
    use loom::sync::atomic::{AtomicUsize, Ordering::SeqCst};

    testkit::loom_model("pin_handshake_keeps_gc_out", 100, || {
        let p = Arc::new(Pool::new());
        // 0: start; 1: the owner has put; 2: the first gc() is done.
        let step = Arc::new(AtomicUsize::new(0));
        let owner = {
            let (p, step) = (Arc::clone(&p), Arc::clone(&step));
            thread::spawn(move || {
                p.put(7usize); // into the owner's private slot
                step.store(1, SeqCst);
                while step.load(SeqCst) != 2 {
                    thread::yield_now();
                }
                // Its primary is empty now: this reaches the victim slot.
                p.get()
            })
        };
        while step.load(SeqCst) != 1 {
            thread::yield_now();
        }
        p.gc(); // the private object becomes a victim
        step.store(2, SeqCst);
        p.gc(); // drops the victims, racing the owner's get
        let got = owner.join().unwrap();
        assert!(got.is_none() || got == Some(7));
    });
}

/// Two `gc()` calls at once take turns on each local: the second rotation
/// must see what the first one did to the private slots and `cur` (the
/// `gc` flag's Acquire pairs with the Release that let it go). Without
/// that, loom reports the two rotations' accesses to a slot as a race.
#[test]
fn two_gcs_take_turns() {
    use ch05_pool::Pool;
    use loom::sync::Arc;

    testkit::loom_model("two_gcs_take_turns", 20, || {
        let p = Arc::new(Pool::new());
        p.put(1usize); // private
        p.put(2usize); // chain
        let other = {
            let p = Arc::clone(&p);
            thread::spawn(move || p.gc())
        };
        p.gc();
        other.join().unwrap();
        // Two rotations: both objects dropped, in whichever order they ran.
        assert!(p.get().is_none());
    });
}
