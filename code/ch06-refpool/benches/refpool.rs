//! What a reference count costs on top of a pool: every way of this chapter
//! to share a pooled object, against a plain pool and the crates' way.
//!
//! Go has no benchmark for this (the article's `RefPool` is not in Go's
//! tree), so the groups are the chapter's own:
//!
//! * `RefPool/Unshared`: one holder, the common case. Per iteration: take
//!   an object, read it, give it up (`done` for the map versions, `drop`
//!   for the handles). A plain `ch05 Pool` get + put is the floor.
//! * `RefPool/Shared4`: the article's case. Per iteration: take an object,
//!   make four more holders (`add`, or `clone`), read it, then all five give
//!   it up (four `done`s or `drop`s, then the first holder's); the last
//!   returns it to the pool.
//!
//! The peers, each in both groups unless said:
//!
//! * `plain Pool get+put`: `ch05_pool::Pool<Box<Obj>>`, no count (Unshared
//!   only: nothing counts the holders);
//! * `article (map, by value)`: [`ch06_refpool::article::RefPool`]; the
//!   object is its own key, so each object carries a serial number that its
//!   `Eq` and `Hash` compare (two objects that compare equal would make the
//!   article's `get` panic);
//! * `tracked (map, by address)` and `tracked adopting`:
//!   [`ch06_refpool::tracked::RefPool`], built by `new` and by `adopting`;
//! * `PoolRef (count in object)`: [`ch06_refpool::handle::PoolRef`];
//! * `Arc + returning Drop`: [`ch06_refpool::returning::get`], an `Arc`
//!   allocated per `get` around an object from a `ch05 Pool`;
//! * `object-pool` (0.6): its `Reusable` returns on drop and cannot be
//!   cloned, so in Shared4 it is shared as `Arc<Reusable>`, an `Arc`
//!   allocated per `get`, as users of that crate must.
//!
//! Every peer pools the same object, [`Obj`] (64 bytes), made by the same
//! function when its pool is empty. Every group runs at each thread count
//! in `GOSYNC_BENCH_THREADS` (`1,2` by default, Go's `-cpu 1,2`); its time
//! is wall time over all threads' iterations, as Go's ns/op. Each thread
//! takes its own objects: what is measured is the counting, not contention
//! on one object.
//!
//! `cargo bench -p ch06-refpool`, or one group: `cargo bench -p ch06-refpool -- RefPool/Shared4`

use std::hash::{Hash, Hasher};
use std::hint::black_box;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};

use ch06_refpool::handle::PoolRef;
use ch06_refpool::{article, handle, returning, tracked};
use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use testkit::{bench_threads, run_parallel};

/// The pooled object: 64 bytes, with a serial number that tells objects
/// apart (the article's pool needs one, the others ignore it).
#[repr(C)]
struct Obj {
    serial: u64,
    data: [u8; 56],
}

const _: () = assert!(size_of::<Obj>() == 64);

/// A fresh object, numbered.
fn make() -> Obj {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    Obj {
        serial: NEXT.fetch_add(1, Relaxed),
        data: [7; 56],
    }
}

/// What every iteration does with the object it holds: read it.
fn read(o: &Obj) {
    black_box(black_box(o).data[0]);
}

/// A pool under test, used by one holder: take an object, give it up.
trait Cache: Sync {
    const NAME: &'static str;
    type Held<'a>
    where
        Self: 'a;
    fn new() -> Self;
    fn take(&self) -> Self::Held<'_>;
    /// The object inside what `take` returned.
    fn obj<'h>(x: &'h Self::Held<'_>) -> &'h Obj;
    /// The last holder gives it up: back to the pool.
    fn give<'a>(&'a self, x: Self::Held<'a>);
}

/// A pool under test whose objects can have more holders.
trait Shared: Cache {
    /// What one more holder keeps: a clone of the handle, or nothing but
    /// the duty to call `done` (the map versions count, the object is
    /// named by the first holder's reference).
    type Extra<'a>
    where
        Self: 'a;
    /// One more holder of `x` (`add`, `clone`).
    fn share<'a>(&'a self, x: &Self::Held<'a>) -> Self::Extra<'a>;
    /// That holder gives it up (`done`, `drop`); never the last one here.
    fn unshare<'a>(&'a self, x: &Self::Held<'a>, e: Self::Extra<'a>);
}

struct Plain(ch05_pool::Pool<Box<Obj>>);
impl Cache for Plain {
    const NAME: &'static str = "plain Pool get+put";
    type Held<'a> = Box<Obj>;
    fn new() -> Self {
        Self(ch05_pool::Pool::with_new(|| Box::new(make())))
    }
    fn take(&self) -> Box<Obj> {
        self.0.get().expect("a pool with a new function")
    }
    fn obj(x: &Box<Obj>) -> &Obj {
        x
    }
    fn give(&self, x: Box<Obj>) {
        self.0.put(x);
    }
}

/// The article's key: the object itself, equal only to itself.
#[derive(Clone)]
struct BySerial(Arc<Obj>);
impl PartialEq for BySerial {
    fn eq(&self, other: &Self) -> bool {
        self.0.serial == other.0.serial
    }
}
impl Eq for BySerial {}
impl Hash for BySerial {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.serial.hash(h);
    }
}

struct Article(article::RefPool<BySerial>);
impl Cache for Article {
    const NAME: &'static str = "article (map, by value)";
    type Held<'a> = BySerial;
    fn new() -> Self {
        Self(article::RefPool::new(|| BySerial(Arc::new(make()))))
    }
    fn take(&self) -> BySerial {
        self.0.get().expect("a pool with a new function")
    }
    fn obj(x: &BySerial) -> &Obj {
        &x.0
    }
    fn give(&self, x: BySerial) {
        self.0.done(&x);
    }
}
impl Shared for Article {
    type Extra<'a> = ();
    fn share(&self, x: &BySerial) {
        self.0.add(x);
    }
    fn unshare(&self, x: &BySerial, (): ()) {
        self.0.done(x);
    }
}

/// `tracked::RefPool`, built by `new` (`ADOPTING = false`) or `adopting`.
struct Tracked<const ADOPTING: bool>(tracked::RefPool<Obj>);
impl<const ADOPTING: bool> Cache for Tracked<ADOPTING> {
    const NAME: &'static str = if ADOPTING {
        "tracked adopting"
    } else {
        "tracked (map, by address)"
    };
    type Held<'a> = Arc<Obj>;
    fn new() -> Self {
        Self(if ADOPTING {
            tracked::RefPool::adopting(make)
        } else {
            tracked::RefPool::new(make)
        })
    }
    fn take(&self) -> Arc<Obj> {
        self.0.get()
    }
    fn obj(x: &Arc<Obj>) -> &Obj {
        x
    }
    fn give(&self, x: Arc<Obj>) {
        self.0.done(&x);
    }
}
impl<const ADOPTING: bool> Shared for Tracked<ADOPTING> {
    type Extra<'a> = ();
    fn share(&self, x: &Arc<Obj>) {
        self.0.add(x);
    }
    fn unshare(&self, x: &Arc<Obj>, (): ()) {
        self.0.done(x);
    }
}

struct Handle(handle::RefPool<Obj>);
impl Cache for Handle {
    const NAME: &'static str = "PoolRef (count in object)";
    type Held<'a> = PoolRef<'a, Obj>;
    fn new() -> Self {
        Self(handle::RefPool::new(make))
    }
    fn take(&self) -> PoolRef<'_, Obj> {
        self.0.get()
    }
    fn obj<'h>(x: &'h PoolRef<'_, Obj>) -> &'h Obj {
        x
    }
    fn give(&self, x: PoolRef<'_, Obj>) {
        drop(x); // the last handle: back into the pool
    }
}
impl Shared for Handle {
    type Extra<'a> = PoolRef<'a, Obj>;
    fn share<'a>(&'a self, x: &PoolRef<'a, Obj>) -> PoolRef<'a, Obj> {
        x.clone()
    }
    fn unshare<'a>(&'a self, _: &PoolRef<'a, Obj>, e: PoolRef<'a, Obj>) {
        drop(e);
    }
}

struct Returning(ch05_pool::Pool<Obj>);
impl Cache for Returning {
    const NAME: &'static str = "Arc + returning Drop";
    type Held<'a> = Arc<returning::Returning<'a, Obj>>;
    fn new() -> Self {
        Self(ch05_pool::Pool::with_new(make))
    }
    fn take(&self) -> Self::Held<'_> {
        returning::get(&self.0)
    }
    fn obj<'h>(x: &'h Self::Held<'_>) -> &'h Obj {
        x
    }
    fn give<'a>(&'a self, x: Self::Held<'a>) {
        drop(x); // the last `Arc`: the object back into the pool
    }
}
impl Shared for Returning {
    type Extra<'a> = Self::Held<'a>;
    fn share<'a>(&'a self, x: &Self::Held<'a>) -> Self::Extra<'a> {
        Arc::clone(x)
    }
    fn unshare<'a>(&'a self, _: &Self::Held<'a>, e: Self::Extra<'a>) {
        drop(e);
    }
}

/// object-pool with one holder: its `Reusable` guard.
struct ObjectPool(object_pool::Pool<Obj>);
impl Cache for ObjectPool {
    const NAME: &'static str = "object-pool";
    type Held<'a> = object_pool::Reusable<'a, Obj>;
    fn new() -> Self {
        Self(object_pool::Pool::new(0, make))
    }
    fn take(&self) -> Self::Held<'_> {
        self.0.pull(make)
    }
    fn obj<'h>(x: &'h Self::Held<'_>) -> &'h Obj {
        x
    }
    fn give<'a>(&'a self, x: Self::Held<'a>) {
        drop(x); // back into the pool
    }
}

/// object-pool shared: its guard cannot be cloned, so it goes in an `Arc`.
struct ObjectPoolArc(object_pool::Pool<Obj>);
impl Cache for ObjectPoolArc {
    const NAME: &'static str = "object-pool";
    type Held<'a> = Arc<object_pool::Reusable<'a, Obj>>;
    fn new() -> Self {
        Self(object_pool::Pool::new(0, make))
    }
    fn take(&self) -> Self::Held<'_> {
        Arc::new(self.0.pull(make))
    }
    fn obj<'h>(x: &'h Self::Held<'_>) -> &'h Obj {
        x
    }
    fn give<'a>(&'a self, x: Self::Held<'a>) {
        drop(x); // the last `Arc`: the guard returns the object
    }
}
impl Shared for ObjectPoolArc {
    type Extra<'a> = Self::Held<'a>;
    fn share<'a>(&'a self, x: &Self::Held<'a>) -> Self::Extra<'a> {
        Arc::clone(x)
    }
    fn unshare<'a>(&'a self, _: &Self::Held<'a>, e: Self::Extra<'a>) {
        drop(e);
    }
}

/// `RefPool/Unshared`: every thread, every iteration: take, read, give up.
fn unshared<C: Cache>(c: &mut Criterion) {
    let mut group = c.benchmark_group("RefPool/Unshared");
    for threads in bench_threads() {
        group.bench_function(BenchmarkId::new(C::NAME, threads), |b| {
            let p = C::new();
            b.iter_custom(|iters| {
                run_parallel(threads, iters, |_, n| {
                    for _ in 0..n {
                        let x = p.take();
                        read(C::obj(&x));
                        p.give(x);
                    }
                })
            });
        });
    }
    group.finish();
}

/// `RefPool/Shared4`: every thread, every iteration: take, four more
/// holders, read, the four give up, then the first (the last holder).
fn shared4<C: Shared>(c: &mut Criterion) {
    let mut group = c.benchmark_group("RefPool/Shared4");
    for threads in bench_threads() {
        group.bench_function(BenchmarkId::new(C::NAME, threads), |b| {
            let p = C::new();
            b.iter_custom(|iters| {
                run_parallel(threads, iters, |_, n| {
                    for _ in 0..n {
                        let x = p.take();
                        let more = [(); 4].map(|()| p.share(&x));
                        read(C::obj(&x));
                        for e in more {
                            p.unshare(&x, e);
                        }
                        p.give(x);
                    }
                })
            });
        });
    }
    group.finish();
}

fn all(c: &mut Criterion) {
    unshared::<Plain>(c);
    unshared::<Article>(c);
    unshared::<Tracked<false>>(c);
    unshared::<Tracked<true>>(c);
    unshared::<Handle>(c);
    unshared::<Returning>(c);
    unshared::<ObjectPool>(c);
    shared4::<Article>(c);
    shared4::<Tracked<false>>(c);
    shared4::<Tracked<true>>(c);
    shared4::<Handle>(c);
    shared4::<Returning>(c);
    shared4::<ObjectPoolArc>(c);
}

criterion_group!(benches, all);
criterion_main!(benches);
