//! Each bug of the article's `RefPool` sketch ([`article::RefPool`]),
//! shown happening, next to the fixed version ([`tracked::RefPool`]) not
//! having it, or, where no pool that keys its counts by the object can fix
//! it, still having it (those tests end in `still_possible_with_any_map_keyed_pool`;
//! `handle::PoolRef` is the fix, tested in `tests/handle.rs`).
//!
//! Every interleaving is driven by hand from one thread, in the racy order.
//! Two bugs live inside `done`, between the decrement that takes the count
//! to zero and the `CompareAndDelete` that removes it. The sketch hashes
//! the object there (its map is keyed by the object), so a `Hash` impl
//! that calls back into the test ([`window`]) runs a step in that window,
//! deterministically. The fixed version keys by address and runs no user
//! code in its window, so its side of those two bugs is shown with real
//! threads racing, asserting what every outcome must satisfy: a run may or
//! may not land in the window (each prints how often it did), and no
//! outcome may be the sketch's.

use std::cell::{Cell, RefCell};
use std::hash::{Hash, Hasher};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Barrier, Mutex};
use std::thread;

use ch06_refpool::{article, tracked};

/// How many objects a pool's `new` made, and how many were dropped.
#[derive(Clone, Default)]
struct Counts {
    news: Arc<AtomicUsize>,
    drops: Arc<AtomicUsize>,
}

impl Counts {
    fn news(&self) -> usize {
        self.news.load(SeqCst)
    }

    fn drops(&self) -> usize {
        self.drops.load(SeqCst)
    }

    /// A new request, counted.
    fn make(&self) -> Req {
        Req {
            id: self.news.fetch_add(1, SeqCst),
            body: Mutex::new(String::new()),
            drops: Arc::clone(&self.drops),
        }
    }
}

/// A pooled request body. It is equal only to itself (its `id` is unique),
/// so that only bug (a)'s tests have two distinct objects that compare
/// equal; it counts its drops; its `Hash` gives [`window`] its hook.
struct Req {
    id: usize,
    body: Mutex<String>,
    drops: Arc<AtomicUsize>,
}

impl Req {
    fn read(&self) -> String {
        self.body.lock().unwrap().clone()
    }

    fn write(&self, s: &str) {
        *self.body.lock().unwrap() = s.to_owned();
    }
}

impl PartialEq for Req {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Req {}

impl Hash for Req {
    fn hash<H: Hasher>(&self, state: &mut H) {
        window::on_hash();
        self.id.hash(state);
    }
}

impl Drop for Req {
    fn drop(&mut self) {
        self.drops.fetch_add(1, SeqCst);
    }
}

/// The sketch's objects must be `Clone` (the map keys a copy): an `Arc`
/// clones the handle, not the request, as Go's pointers do.
type Obj = Arc<Req>;
type ArticlePool = article::RefPool<Obj>;

/// The article's pool of counted requests (in an `Arc`, for [`window`]).
fn article_pool() -> (Arc<ArticlePool>, Counts) {
    let counts = Counts::default();
    let make = counts.clone();
    let pool = article::RefPool::new(move || Arc::new(make.make()));
    (Arc::new(pool), counts)
}

/// The fixed pool of counted requests.
fn tracked_pool() -> (tracked::RefPool<Req>, Counts) {
    let counts = Counts::default();
    let make = counts.clone();
    (tracked::RefPool::new(move || make.make()), counts)
}

/// Runs `f`, which must panic, and returns its panic message.
fn panic_of(f: impl FnOnce()) -> String {
    let payload = catch_unwind(AssertUnwindSafe(f)).expect_err("expected a panic");
    testkit::panic_message(&*payload)
}

/// Runs `f` and returns its panic message, or `None` if it returned.
fn outcome(f: impl FnOnce()) -> Option<String> {
    catch_unwind(AssertUnwindSafe(f))
        .err()
        .map(|payload| testkit::panic_message(&*payload))
}

/// A step run inside the sketch's `done`, in the window between the
/// decrement that took the count to zero and the delete.
mod window {
    use super::*;

    type Hook = Box<dyn FnMut() -> bool>;

    thread_local! {
        /// Called from `Req::hash` on this thread; returns whether to stay.
        static HOOK: RefCell<Option<Hook>> = const { RefCell::new(None) };
    }

    /// Runs the hook, if one is set. It is taken out while it runs, so the
    /// pool calls it makes (which hash the object again) do not re-enter it.
    pub fn on_hash() {
        let Some(mut hook) = HOOK.with_borrow_mut(Option::take) else {
            return;
        };
        if hook() {
            HOOK.with_borrow_mut(|h| *h = Some(hook));
        }
    }

    /// Calls `pool.done(x)` on an object whose count is one, and runs
    /// `step` inside it, in its window: after its decrement took the count
    /// to zero, before its `CompareAndDelete` removed the count. Returns
    /// whether the step ran.
    ///
    /// The sketch's `done` hashes `x` in its `Load` (count still one) and
    /// again in its `CompareAndDelete` (count zero): the hook asks the pool
    /// for the count at each hash and runs `step` at the first that finds
    /// zero. Its calls back into the pool take no lock because `x`'s entry
    /// is first promoted to the map's read-only snapshot (a lookup that
    /// misses the snapshot would hash under the map's mutex, and the hook's
    /// own lookup would wait on it forever: the tests run under the
    /// watchdog for that reason).
    pub fn done_with_a_step_in_its_window(
        pool: &Arc<ArticlePool>,
        x: &Obj,
        step: impl FnOnce(&ArticlePool, &Obj) + 'static,
    ) -> bool {
        assert_eq!(pool.count(x), Some(1), "the window needs the last done");
        // Go's sync.Map promotes its dirty map once the misses reach its
        // length; these pools hold a handful of keys.
        for _ in 0..8 {
            let _ = pool.count(x);
        }
        let ran = Rc::new(Cell::new(false));
        let (p, y, flag) = (Arc::clone(pool), Arc::clone(x), Rc::clone(&ran));
        let mut step = Some(step);
        HOOK.set(Some(Box::new(move || {
            if p.count(&y) != Some(0) {
                return true;
            }
            (step.take().expect("the hook is removed after the step"))(&p, &y);
            flag.set(true);
            false
        })));
        pool.done(x);
        // Drop the hook (and its pool) if the window was never reached.
        HOOK.take();
        ran.get()
    }
}

// --- (a) Identity is `==` --------------------------------------------------

/// (a) The sketch keys its map by the object, so `==` is identity: a
/// second object equal to one in use (here a fresh `Arc<String>` with the
/// same text, from the pool's own `new`) finds the first one's count, and
/// `get`'s sanity check panics.
#[test]
fn article_second_get_of_an_equal_object_panics_inconsistency() {
    let news = Arc::new(AtomicUsize::new(0));
    let made = Arc::clone(&news);
    let pool = article::RefPool::new(move || {
        made.fetch_add(1, SeqCst);
        Arc::new(String::from("GET /"))
    });
    let first = pool.get().unwrap();
    let msg = panic_of(|| {
        pool.get();
    });
    assert_eq!(msg, article::INCONSISTENCY);
    assert_eq!(news.load(SeqCst), 2, "the second get made its own object");
    assert_eq!(pool.count(&first), Some(1));
}

/// (a) `done` on a distinct but equal object (a copy of the request, say)
/// counts against the original: the original's count is deleted, the copy
/// goes into the pool, and the original's own holder then panics.
#[test]
fn article_done_on_an_equal_copy_releases_the_original() {
    let pool = article::RefPool::new(|| Arc::new(String::from("GET /")));
    let original = pool.get().unwrap();
    let copy = Arc::new(String::from(original.as_str()));
    assert!(!Arc::ptr_eq(&original, &copy));
    pool.done(&copy);
    assert_eq!(pool.count(&original), None, "the original is untracked");
    let msg = panic_of(|| pool.done(&original));
    assert_eq!(msg, article::UNTRACKED);
    let next = pool.get().unwrap();
    assert!(Arc::ptr_eq(&next, &copy), "the pool got the copy");
}

/// (a) fixed: objects are keyed by their allocation, so two equal objects
/// are two objects, each with its own count, and an equal copy the pool
/// never handed out is untracked.
#[test]
fn tracked_equal_objects_are_two_objects() {
    let pool = tracked::RefPool::new(|| String::from("GET /"));
    let a = pool.get();
    let b = pool.get();
    assert_eq!(a, b);
    assert!(!Arc::ptr_eq(&a, &b));
    assert_eq!((pool.count(&a), pool.count(&b)), (Some(1), Some(1)));
    pool.done(&b);
    assert_eq!((pool.count(&a), pool.count(&b)), (Some(1), None));
    let copy = Arc::new(String::from(a.as_str()));
    let msg = panic_of(|| pool.done(&copy));
    assert_eq!(msg, tracked::UNTRACKED);
    assert_eq!(pool.count(&a), Some(1));
    pool.done(&a);
}

// --- (b) A late `add` ------------------------------------------------------

/// (b) A late `add` that lands in the last `done`'s window raises the count
/// from zero to one, then `done` deletes the count and pools the object
/// anyway: the adder's reference is lost, and the next `get` hands the
/// object to a new user while the adder still holds it.
#[test]
fn article_late_add_in_the_last_dones_window_is_lost_and_the_object_is_reused_while_held() {
    testkit::watchdog(|| {
        let (pool, counts) = article_pool();
        let x = pool.get().unwrap();
        let ran = window::done_with_a_step_in_its_window(&pool, &x, |pool, x| {
            pool.add(x);
            assert_eq!(pool.count(x), Some(1), "the late add succeeded");
        });
        assert!(ran, "the window was not reached");
        assert_eq!(pool.count(&x), None, "the adder's count went with it");
        // The adder believes it holds `x`; a new user gets it.
        let next = pool.get().unwrap();
        assert!(Arc::ptr_eq(&next, &x));
        assert_eq!(pool.count(&next), Some(1), "two holders, counted as one");
        assert_eq!(counts.news(), 1);
    });
}

/// (b) Outside the window, a late `add` on an object nobody has taken
/// again finds no count: the sketch panics "untracked object".
#[test]
fn article_late_add_after_the_last_done_panics_untracked() {
    let (pool, _) = article_pool();
    let x = pool.get().unwrap();
    pool.done(&x);
    assert_eq!(pool.count(&x), None);
    let msg = panic_of(|| pool.add(&x));
    assert_eq!(msg, article::UNTRACKED);
}

/// (b) A late `add` after the object was taken by its next user finds that
/// user's count and raises it: the object then never returns, unless a
/// stale `done` follows to bring it down again.
#[test]
fn article_late_add_after_the_object_is_got_again_raises_the_new_users_count() {
    let (pool, _) = article_pool();
    let x = pool.get().unwrap();
    pool.done(&x);
    let next = pool.get().unwrap();
    assert!(Arc::ptr_eq(&next, &x));
    pool.add(&x); // the old holder's late add
    assert_eq!(pool.count(&next), Some(2));
    pool.done(&next); // the new user is done...
    assert_eq!(pool.count(&next), Some(1), "...and the object stays out");
}

/// (b) fixed, as far as one thread can show: after the last `done` the
/// object is untracked and a late `add` panics. (The window itself, a
/// count at zero still in the map, is refused with `ADD_AFTER_LAST_DONE`:
/// see the racing test below.)
#[test]
fn tracked_late_add_after_the_last_done_panics_untracked() {
    let (pool, _) = tracked_pool();
    let x = pool.get();
    pool.done(&x);
    assert_eq!(pool.count(&x), None);
    let msg = panic_of(|| pool.add(&x));
    assert_eq!(msg, tracked::UNTRACKED);
}

/// (b) fixed, with real threads: a late `add` racing the last `done`
/// either comes first, and counts (the object is still tracked, held once,
/// by the adder), or comes after, and panics (`UNTRACKED`, or
/// `ADD_AFTER_LAST_DONE` in the window). Never the sketch's outcome, an
/// `add` that returns while the object is pooled. The object goes back to
/// the pool once per round, so the pool never makes a second one.
#[test]
fn tracked_late_add_racing_the_last_done_counts_or_panics() {
    let rounds = testkit::scale(1_000, 100_000, 4);
    testkit::watchdog(move || {
        let (pool, counts) = tracked_pool();
        let start = Barrier::new(2);
        let (mut counted, mut untracked, mut at_zero) = (0, 0, 0);
        for _ in 0..rounds {
            let x = pool.get();
            let added = thread::scope(|s| {
                let adder = s.spawn(|| {
                    start.wait();
                    outcome(|| pool.add(&x))
                });
                start.wait();
                pool.done(&x);
                adder.join().unwrap()
            });
            match added.as_deref() {
                None => {
                    assert_eq!(pool.count(&x), Some(1), "an add that returned must count");
                    pool.done(&x);
                    counted += 1;
                }
                Some(tracked::UNTRACKED) => untracked += 1,
                Some(tracked::ADD_AFTER_LAST_DONE) => at_zero += 1,
                Some(other) => panic!("unexpected panic: {other}"),
            }
            assert_eq!(pool.count(&x), None);
        }
        println!("add first: {counted}, untracked: {untracked}, at zero: {at_zero}");
        assert_eq!(counts.news(), 1, "the object was lost or pooled twice");
    });
}

/// (b) A late `add` after the object's next user took it raises that
/// user's count, in the fixed version too: the map finds the object, and
/// nothing in it tells the two holders apart.
#[test]
fn tracked_late_add_after_the_object_is_got_again_still_possible_with_any_map_keyed_pool() {
    let (pool, _) = tracked_pool();
    let x = pool.get();
    pool.done(&x);
    let next = pool.get();
    assert!(Arc::ptr_eq(&next, &x));
    pool.add(&x); // the old holder's late add
    assert_eq!(pool.count(&next), Some(2));
    pool.done(&next);
    assert_eq!(pool.count(&next), Some(1), "the object stays out");
}

// --- (c) More `done`s than `add`s ------------------------------------------

/// (c) An extra `done` in the last `done`'s window takes the count below
/// zero, and nothing notices: no panic, and the object is pooled (once)
/// as if all were well. (Outside the window the count is gone and the
/// sketch does panic: see the next test.)
#[test]
fn article_extra_done_in_the_last_dones_window_goes_negative_without_a_panic() {
    testkit::watchdog(|| {
        let (pool, counts) = article_pool();
        let x = pool.get().unwrap();
        let ran = window::done_with_a_step_in_its_window(&pool, &x, |pool, x| {
            pool.done(x);
            assert_eq!(pool.count(x), Some(-1));
        });
        assert!(ran, "the window was not reached");
        assert_eq!(pool.count(&x), None);
        // Pooled once: the next get finds it, the one after makes one.
        let a = pool.get().unwrap();
        let b = pool.get().unwrap();
        assert!(Arc::ptr_eq(&a, &x));
        assert!(!Arc::ptr_eq(&b, &x));
        assert_eq!(counts.news(), 2);
    });
}

/// (c) An extra `done` after the last one, with nobody holding the object
/// again, finds no count: the sketch panics "untracked object" here too.
/// Its bugs with extra `done`s are the window (above) and a `done` that
/// arrives after the object's next `get` (bug (d)).
#[test]
fn article_extra_done_after_the_last_done_panics_untracked() {
    let (pool, _) = article_pool();
    let x = pool.get().unwrap();
    pool.done(&x);
    let msg = panic_of(|| pool.done(&x));
    assert_eq!(msg, article::UNTRACKED);
}

/// (c) fixed: after the last `done` the object is untracked, so an extra
/// `done` panics `UNTRACKED`, and the object is in the pool exactly once:
/// the next `get` finds it, the one after makes a new one.
#[test]
fn tracked_extra_done_panics_untracked_and_the_object_is_pooled_once() {
    let (pool, counts) = tracked_pool();
    let x = pool.get();
    pool.done(&x);
    let msg = panic_of(|| pool.done(&x));
    assert_eq!(msg, tracked::UNTRACKED);
    let a = pool.get();
    let b = pool.get();
    assert!(Arc::ptr_eq(&a, &x));
    assert!(!Arc::ptr_eq(&b, &x));
    assert_eq!(counts.news(), 2);
}

/// (c) fixed, with real threads: two `done`s racing on a count of one.
/// Exactly one returns (it was the last, and pooled the object once); the
/// other panics `UNTRACKED`, or `NEGATIVE_COUNT` in the window, where the
/// sketch goes to -1 silently.
#[test]
fn tracked_extra_done_racing_the_last_done_panics() {
    let rounds = testkit::scale(1_000, 100_000, 4);
    testkit::watchdog(move || {
        let (pool, _) = tracked_pool();
        let start = Barrier::new(2);
        let (mut untracked, mut negative) = (0, 0);
        for _ in 0..rounds {
            let x = pool.get();
            let (mine, theirs) = thread::scope(|s| {
                let other = s.spawn(|| {
                    start.wait();
                    outcome(|| pool.done(&x))
                });
                start.wait();
                let mine = outcome(|| pool.done(&x));
                (mine, other.join().unwrap())
            });
            let panicked = match (mine.as_deref(), theirs.as_deref()) {
                (None, Some(m)) | (Some(m), None) => m.to_owned(),
                both => panic!("exactly one done must return: {both:?}"),
            };
            match panicked.as_str() {
                tracked::UNTRACKED => untracked += 1,
                tracked::NEGATIVE_COUNT => negative += 1,
                other => panic!("unexpected panic: {other}"),
            }
            assert_eq!(pool.count(&x), None);
        }
        println!("untracked: {untracked}, negative: {negative}");
    });
}

// --- (d) A stale `done` ----------------------------------------------------

/// (d) A stale `done` (a holder's second, after its object went back and
/// was taken again) takes the new user's count to zero and pools the
/// object under it: the next `get` hands the same object to a second user.
#[test]
fn article_stale_done_pools_the_object_under_its_new_user() {
    let (pool, _) = article_pool();
    let x = pool.get().unwrap();
    pool.done(&x);
    let b = pool.get().unwrap(); // the new user
    assert!(Arc::ptr_eq(&b, &x));
    pool.done(&x); // the stale done
    assert_eq!(pool.count(&b), None, "the new user's count is gone");
    let c = pool.get().unwrap();
    assert!(Arc::ptr_eq(&b, &c), "two users hold the same object");
    assert_eq!(pool.count(&c), Some(1));
}

/// (d) The same sequence in the fixed version: the stale `done` finds the
/// new user's count, which nothing distinguishes from its own.
#[test]
fn tracked_stale_done_pools_the_object_under_its_new_user_still_possible_with_any_map_keyed_pool() {
    let (pool, _) = tracked_pool();
    let x = pool.get();
    pool.done(&x);
    let b = pool.get();
    assert!(Arc::ptr_eq(&b, &x));
    pool.done(&x); // the stale done
    assert_eq!(pool.count(&b), None);
    let c = pool.get();
    assert!(Arc::ptr_eq(&b, &c), "two users hold the same object");
    assert_eq!(pool.count(&c), Some(1));
}

// --- (e) `untrack` of a shared object ---------------------------------------

/// (e) The sketch's `untrack` deletes the count whoever else holds the
/// object: the other holders' `done`s then panic "untracked object".
#[test]
fn article_untrack_of_a_shared_object_makes_the_other_holders_done_panic() {
    let (pool, _) = article_pool();
    let x = pool.get().unwrap();
    pool.add(&x); // a second holder
    pool.untrack(&x);
    let msg = panic_of(|| pool.done(&x));
    assert_eq!(msg, article::UNTRACKED);
}

/// (e) fixed: `untrack` gives up the caller's reference only; the other
/// holders' `done`s work, and the last one forgets the object instead of
/// pooling it (the next `get` makes a new one).
#[test]
fn tracked_untrack_of_a_shared_object_lets_the_others_finish_and_keeps_it_out_of_the_pool() {
    let (pool, counts) = tracked_pool();
    let x = pool.get();
    pool.add(&x);
    pool.add(&x);
    pool.untrack(&x);
    assert_eq!(pool.count(&x), Some(2));
    assert!(pool.is_detached(&x));
    pool.done(&x);
    pool.done(&x);
    assert_eq!(pool.count(&x), None);
    let next = pool.get();
    assert!(!Arc::ptr_eq(&next, &x));
    assert_eq!(counts.news(), 2);
}

// --- (f) The map keeps what it hands out ------------------------------------

/// (f) The sketch's map holds a copy of every object handed out (its key):
/// one whose holder forgets `done` is never dropped while the pool lives,
/// whatever the pool's collections do. Dropping the pool drops it.
#[test]
fn article_forgotten_done_keeps_the_object_alive_while_the_pool_lives() {
    let (pool, counts) = article_pool();
    let x = pool.get().unwrap();
    drop(x); // forgets its done
    pool.gc();
    pool.gc();
    assert_eq!(counts.drops(), 0);
    drop(pool);
    assert_eq!(counts.drops(), 1);
}

/// (f) The fixed version's entry holds an `Arc` of the object, as the
/// article's map holds the object, which keeps its address from being
/// reused while it is the key: the same leak, until the pool is dropped. (A
/// `Weak` in the entry would reserve the address and let the object drop.)
#[test]
fn tracked_forgotten_done_keeps_the_object_alive_as_the_article_does() {
    let (pool, counts) = tracked_pool();
    let x = pool.get();
    drop(x); // forgets its done
    pool.gc();
    pool.gc();
    assert_eq!(counts.drops(), 0);
    drop(pool);
    assert_eq!(counts.drops(), 1);
}

// --- (g) Use after `done` ----------------------------------------------------

/// (g) A holder that reads its object after its `done` still has it (the
/// sketch hands out the object itself): the next user gets it and writes
/// it, and the old holder reads the new user's data. Memory safe (the body
/// is behind a mutex), logically wrong: the article's own bug, back.
#[test]
fn article_read_after_done_sees_the_next_users_data() {
    let (pool, _) = article_pool();
    let mine = pool.get().unwrap();
    mine.write("mine");
    pool.done(&mine);
    let theirs = pool.get().unwrap();
    theirs.write("theirs");
    assert_eq!(mine.read(), "theirs");
}

/// (g) The same in the fixed version: `done` cannot take the `Arc` away
/// from its caller.
#[test]
fn tracked_read_after_done_sees_the_next_users_data_still_possible_with_any_map_keyed_pool() {
    let (pool, _) = tracked_pool();
    let mine = pool.get();
    mine.write("mine");
    pool.done(&mine);
    let theirs = pool.get();
    theirs.write("theirs");
    assert_eq!(mine.read(), "theirs");
}
