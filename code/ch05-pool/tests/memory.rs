//! An idle pool gives its memory back: once `gc()` has dropped the
//! objects (within two cycles), the rings that held them are freed too.
//! Go's garbage collector frees drained rings; here `gc()` does.
//!
//! The test counts live heap bytes with a counting global allocator, so it
//! runs in its own test binary, one test at a time.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering::Relaxed};

use ch05_pool::Pool;

struct Counting;
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Relaxed);
        // SAFETY: the caller's promises hold for System too.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static A: Counting = Counting;

fn live() -> isize {
    LIVE.load(Relaxed)
}

/// 20,000 puts of boxed 4 KiB buffers (and of inline 512-byte arrays,
/// held in the rings' own slots), then two `gc()` cycles: the heap must
/// come back to within a few KiB of where it started.
#[test]
fn an_idle_pool_returns_its_memory() {
    let n = testkit::scale(20_000, 20_000, 300);
    let before = live();
    let boxed: Pool<Box<[u8; 4096]>> = Pool::new();
    let inline: Pool<[u8; 512]> = Pool::new();
    for _ in 0..n {
        boxed.put(Box::new([7; 4096]));
        inline.put([7; 512]);
    }
    let full = live();
    assert!(
        full - before > (n as isize) * 4096,
        "the objects are on the heap"
    );
    boxed.gc();
    inline.gc();
    boxed.gc();
    inline.gc();
    let after = live();
    // What stays: each pool's locals, tables and registration (well under
    // 64 KiB), not the rings (the inline pool's alone held n * 512 bytes).
    assert!(
        after - before < 64 * 1024,
        "an idle pool kept {} KiB after two gc() cycles (was {} KiB full)",
        (after - before) / 1024,
        (full - before) / 1024
    );
    println!(
        "live heap: {} KiB full, {} KiB after two gc() cycles",
        (full - before) / 1024,
        (after - before) / 1024
    );
    drop((boxed, inline));
}
