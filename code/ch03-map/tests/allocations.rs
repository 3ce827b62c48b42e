//! Ports of Go's `TestMapRangeNoAllocations` and `TestMapClearNoAllocations`
//! (`sync/map_test.go`, go1.23.5), and the same check for loads that hit
//! the read snapshot: the operations that Go promises are free of
//! allocation stay so here, on every reclamation scheme.
//!
//! A counting global allocator makes this its own test binary. It counts
//! per thread, so the test harness and other tests running side by side
//! do not disturb a measurement.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use ch03_map::{Map, Reclaim};

/// Whether this run covers the `Epoch` scheme: always, except under Miri's
/// default Stacked Borrows, which `crossbeam-epoch` 0.9 breaks in its own
/// code (its CI runs Miri with Tree Borrows instead:
/// <https://github.com/crossbeam-rs/crossbeam/pull/996>). To include it
/// under Miri: `CH03_MIRI_EPOCH=1 MIRIFLAGS="-Zmiri-tree-borrows
/// -Zmiri-env-forward=CH03_MIRI_EPOCH" cargo +nightly miri test ...`.
fn with_epoch() -> bool {
    !cfg!(miri) || std::env::var_os("CH03_MIRI_EPOCH").is_some()
}

struct Counting;

thread_local! {
    // `const` and without `Drop`: reading it never allocates, so the
    // allocator can use it.
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to the system allocator; only counts. `realloc` and
// `alloc_zeroed` keep their default bodies, which call `alloc`, so they
// count too.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // A thread being torn down may have lost its counter: not measured.
        let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
        // SAFETY: the caller's promises hold for System too.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// Go's `testing.AllocsPerRun`: one warm-up call (which may set up
/// per-thread state, as Go's does), then the average number of
/// allocations over `runs` calls, on this thread.
fn allocs_per_run(runs: u64, mut f: impl FnMut()) -> f64 {
    f();
    let before = ALLOCATIONS.with(Cell::get);
    for _ in 0..runs {
        f();
    }
    let after = ALLOCATIONS.with(Cell::get);
    (after - before) as f64 / runs as f64
}

/// A map of the given scheme with `n` keys, promoted (the read snapshot
/// holds every key and is not amended).
fn promoted<R: Reclaim>(m: Map<u64, u64, R>, n: u64) -> Map<u64, u64, R> {
    for k in 0..n {
        m.store(k, k);
    }
    // A range promotes the dirty map.
    m.range(|_, _| true);
    m
}

/// Runs `check` on an empty map of each scheme.
fn each_scheme(check: impl Fn(&str, &dyn Fn() -> Box<dyn MapOps>)) {
    check("Seize", &|| Box::new(Map::<u64, u64>::new()));
    if with_epoch() {
        check("Epoch", &|| Box::new(Map::<u64, u64, _>::new_epoch()));
    }
    check("AtMapDrop", &|| {
        Box::new(Map::<u64, u64, _>::new_at_map_drop())
    });
}

/// The few operations measured here, over any scheme.
trait MapOps {
    fn range_all(&self) -> usize;
    fn clear(&self);
    fn load(&self, k: u64) -> Option<u64>;
    fn promote(self: Box<Self>, n: u64) -> Box<dyn MapOps>;
}

impl<R: Reclaim + 'static> MapOps for Map<u64, u64, R> {
    fn range_all(&self) -> usize {
        let mut n = 0;
        self.range(|_, _| {
            n += 1;
            true
        });
        n
    }
    fn clear(&self) {
        Map::clear(self);
    }
    fn load(&self, k: u64) -> Option<u64> {
        Map::load(self, &k)
    }
    fn promote(self: Box<Self>, n: u64) -> Box<dyn MapOps> {
        Box::new(promoted(*self, n))
    }
}

const RUNS: u64 = 10;

/// The counter itself: a boxed value is one allocation on this thread, and
/// so is the first store of a key (the test would pass vacuously if the
/// allocator counted nothing).
#[test]
fn the_allocator_counts_this_threads_allocations() {
    let allocs = allocs_per_run(RUNS, || drop(std::hint::black_box(Box::new(7u64))));
    assert_eq!(allocs, 1.0);
    let mut k = 0;
    let m = Map::new();
    let allocs = allocs_per_run(RUNS, || {
        m.store(k, k);
        k += 1;
    });
    assert!(allocs >= 1.0, "a store of a new key allocates its entry");
}

/// Port of `TestMapRangeNoAllocations` (Go's issue 62404: `Range` on an
/// empty map allocated): `range` allocates nothing, on an empty map as in
/// Go, and on a populated one whose snapshot is complete (a `range` of an
/// amended map promotes it first, which allocates the new snapshot, as in
/// Go)
/// ([`TestMapRangeNoAllocations`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L290)).
#[test]
fn test_map_range_no_allocations() {
    each_scheme(|scheme, new| {
        let m = new();
        let allocs = allocs_per_run(RUNS, || assert_eq!(m.range_all(), 0));
        assert_eq!(
            allocs, 0.0,
            "{scheme}: allocations per range of an empty map"
        );

        let n = testkit::scale(1000, 1000, 20) as u64;
        let m = new().promote(n);
        let allocs = allocs_per_run(RUNS, || assert_eq!(m.range_all(), n as usize));
        assert_eq!(allocs, 0.0, "{scheme}: allocations per range of {n} keys");
    });
}

/// Port of `TestMapClearNoAllocations`: `clear` of an empty map allocates
/// nothing, whether it was never used or was just cleared
/// ([`TestMapClearNoAllocations`](https://github.com/golang/go/blob/go1.23.5/src/sync/map_test.go#L350)).
#[test]
fn test_map_clear_no_allocations() {
    each_scheme(|scheme, new| {
        let m = new();
        let allocs = allocs_per_run(RUNS, || m.clear());
        assert_eq!(allocs, 0.0, "{scheme}: allocations per clear of a new map");

        let m = new().promote(100);
        m.clear();
        assert_eq!(m.range_all(), 0);
        let allocs = allocs_per_run(RUNS, || m.clear());
        assert_eq!(
            allocs, 0.0,
            "{scheme}: allocations per clear of a cleared map"
        );
    });
}

/// Not in Go (whose `Load` returns an interface that needs no allocation
/// either): a load that the read snapshot answers, a hit or a miss on a
/// complete snapshot, allocates nothing. This is the fast path: no lock,
/// no shared write, no copy.
#[test]
fn loads_from_the_snapshot_allocate_nothing() {
    each_scheme(|scheme, new| {
        let n = testkit::scale(1000, 1000, 20) as u64;
        let m = new().promote(n);
        let mut k = 0;
        let allocs = allocs_per_run(n, || {
            assert_eq!(m.load(k % n), Some(k % n));
            k += 1;
        });
        assert_eq!(allocs, 0.0, "{scheme}: allocations per load hit");
        let allocs = allocs_per_run(n, || {
            assert_eq!(m.load(n + k), None);
            k += 1;
        });
        assert_eq!(allocs, 0.0, "{scheme}: allocations per load miss");
    });
}
