//! Loom models of the ring's two racing ends: every interleaving of the
//! owner and one or two thieves, on tiny rings. Loom's race detector
//! watches each slot's cell, so an ordering too weak to order a value's
//! write before its read (or a read before the slot's refill) fails here
//! as a *Causality violation*, even on x86.
//!
//! `RUSTFLAGS="--cfg loom" LOOM_MAX_PREEMPTIONS=2 cargo test --release -p ex05-ring --test loom`
#![cfg(loom)]

#[cfg(workshop_solution)]
extern crate ex05_ring_solution as ex05_ring;

use ex05_ring::{new, with_start};
use loom::thread;

/// A model under the watchdog that must explore at least `min` executions.
fn model(name: &'static str, min: usize, f: fn()) {
    testkit::watchdog(move || testkit::loom_model(name, min, f));
}

/// Every value pushed is taken exactly once, by someone.
fn each_once(mut taken: Vec<u32>, pushed: &[u32]) {
    taken.sort_unstable();
    let mut pushed = pushed.to_vec();
    pushed.sort_unstable();
    assert_eq!(taken, pushed, "a value was lost or taken twice");
}

/// The owner pushes into a 2-slot ring whose indexes wrap during the run,
/// while a thief takes from the tail: a thief that wins a slot must see the
/// value the owner wrote there.
#[test]
fn a_thief_sees_what_the_owner_pushed() {
    model("a_thief_sees_what_the_owner_pushed", 30, || {
        let (owner, thief) = with_start(2, u32::MAX);
        let stealer = thread::spawn(move || {
            let taken: Vec<u32> = (0..2).filter_map(|_| thief.pop_tail()).collect();
            (taken, thief)
        });
        let pushed: Vec<u32> = (10..12).filter(|&v| owner.push_head(v).is_ok()).collect();
        let (mut taken, thief) = stealer.join().unwrap();
        taken.extend(std::iter::from_fn(|| thief.pop_tail()));
        each_once(taken, &pushed);
    });
}

/// A full 2-slot ring: a thief empties one slot while the owner tries
/// (a few times) to push a third value into it. The owner may write the
/// slot only once the thief has read the old value out of it.
#[test]
fn the_owner_refills_only_a_slot_the_thief_has_left() {
    model(
        "the_owner_refills_only_a_slot_the_thief_has_left",
        8,
        || {
            let (owner, thief) = new(2);
            owner.push_head(1).unwrap();
            owner.push_head(2).unwrap();
            let stealer = thread::spawn(move || (thief.pop_tail(), thief));
            let mut pushed = vec![1, 2];
            for _ in 0..3 {
                if owner.push_head(3).is_ok() {
                    pushed.push(3);
                    break;
                }
                thread::yield_now();
            }
            let (first, thief) = stealer.join().unwrap();
            let mut taken: Vec<u32> = first.into_iter().collect();
            taken.extend(std::iter::from_fn(|| thief.pop_tail()));
            each_once(taken, &pushed);
        },
    );
}

/// Two thieves race for the one value in the ring: exactly one wins it.
#[test]
fn two_thieves_one_value() {
    model("two_thieves_one_value", 30, || {
        let (owner, thief) = new(2);
        owner.push_head(7).unwrap();
        let thieves: Vec<_> = (0..2)
            .map(|_| {
                let thief = thief.clone();
                thread::spawn(move || thief.pop_tail())
            })
            .collect();
        let taken: Vec<u32> = thieves
            .into_iter()
            .filter_map(|t| t.join().unwrap())
            .collect();
        each_once(taken, &[7]);
        assert_eq!(owner.pop_head(), None);
    });
}
