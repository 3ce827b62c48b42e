//! The article's bug, and each `RefPool` that fixes it.
//!
//! A request handler takes a `Request` from a pool, fills it, hands it to
//! two asynchronous tasks ("send to kafka", "call downstream": threads that
//! read it a little later) and returns without waiting for them. With a
//! plain pool, the handler puts the request back as it returns (Go's
//! `defer pool.Put(req)`); the next request takes the same object and
//! overwrites it while the tasks of the first have yet to read it. Each
//! task knows which request it was given, and counts a corrupted read when
//! the object shows it another one.
//!
//! Then the same handler with each reference-counted pool of the chapter:
//! every holder gives up its reference when done, and the last one returns
//! the object, so no task can see another request's data.
//!
//! `cargo run -p ch06-refpool --example handler` prints a table and exits
//! with status 1 if a reference-counted pool let a request be reused under
//! a task. The plain pool is expected to show corrupted reads, but how many
//! depends on timing, so it never fails the run. `cargo test` runs the same
//! check (the example's `#[test]`).

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, LazyLock, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Duration;

use ch05_pool::Pool;
use ch06_refpool::handle::{self, PoolRef};
use ch06_refpool::{article, returning, tracked};

/// Requests per variant (a few under Miri, which runs threads slowly).
const REQUESTS: u64 = if cfg!(miri) { 3 } else { 500 };

/// How long a task waits before it reads its request: long enough for the
/// handler to have returned and taken the next request.
const TASK_DELAY: Duration = Duration::from_micros(if cfg!(miri) { 10 } else { 500 });

// ANCHOR: request
/// What a handler fills and its tasks read. Shared between threads, so its
/// fields are written through `&self`: an atomic and a mutex.
struct Request {
    /// Which object this is (not which request): the article's pool keys
    /// objects by value, so each must compare equal only to itself.
    serial: u64,
    id: AtomicU64,
    body: Mutex<String>,
}

impl Request {
    fn new() -> Self {
        static SERIALS: AtomicU64 = AtomicU64::new(0);
        Self {
            serial: SERIALS.fetch_add(1, Relaxed),
            id: AtomicU64::new(0),
            body: Mutex::new(String::new()),
        }
    }

    /// The handler's part: this object now carries request `id`. The
    /// body's buffer is reused, which is why the object is pooled.
    fn fill(&self, id: u64) {
        let mut body = self.body.lock().unwrap();
        body.clear();
        write!(body, "body of request {id}").unwrap();
        self.id.store(id, Relaxed);
    }

    /// A task's part: whether the object still carries request `id`.
    fn holds(&self, id: u64) -> bool {
        let body = self.body.lock().unwrap();
        self.id.load(Relaxed) == id && *body == format!("body of request {id}")
    }
}
// ANCHOR_END: request

/// A task started by the handler: waits, reads the request it was given
/// (through `view`), gives it up (`release`), and answers whether what it
/// read was another request's (a corrupted read).
fn task<R: Send + 'static>(
    req: R,
    id: u64,
    view: fn(&R) -> &Request,
    release: fn(R),
) -> JoinHandle<bool> {
    thread::spawn(move || {
        thread::sleep(TASK_DELAY);
        let corrupted = !view(&req).holds(id);
        release(req);
        corrupted
    })
}

/// The two tasks a handler starts, to be joined by whoever waits for them
/// (not the handler).
type Tasks = [JoinHandle<bool>; 2];

// ANCHOR: plain
/// The bug: a plain pool, and the request put back as the handler returns.
static PLAIN: LazyLock<Pool<Arc<Request>>> =
    LazyLock::new(|| Pool::with_new(|| Arc::new(Request::new())));

fn plain_handler(id: u64) -> Tasks {
    let req = PLAIN.get().expect("the pool has a new function");
    req.fill(id);
    let tasks = [(); 2].map(|()| task(Arc::clone(&req), id, |r| r, drop));
    // Go's `defer pool.Put(req)`: back in the pool, the tasks still at it.
    PLAIN.put(req);
    tasks
}
// ANCHOR_END: plain

/// The article's key: the request object itself, equal only to itself.
#[derive(Clone)]
struct ByObject(Arc<Request>);

impl PartialEq for ByObject {
    fn eq(&self, other: &Self) -> bool {
        self.0.serial == other.0.serial
    }
}

impl Eq for ByObject {}

impl Hash for ByObject {
    fn hash<H: Hasher>(&self, h: &mut H) {
        self.0.serial.hash(h);
    }
}

static ARTICLE: LazyLock<article::RefPool<ByObject>> =
    LazyLock::new(|| article::RefPool::new(|| ByObject(Arc::new(Request::new()))));

fn article_handler(id: u64) -> Tasks {
    let req = ARTICLE.get().expect("the pool has a new function");
    req.0.fill(id);
    let tasks = [(); 2].map(|()| {
        ARTICLE.add(&req);
        task(req.clone(), id, |r| &r.0, |r| ARTICLE.done(&r))
    });
    ARTICLE.done(&req);
    tasks
}

// ANCHOR: tracked
static TRACKED: LazyLock<tracked::RefPool<Request>> =
    LazyLock::new(|| tracked::RefPool::new(Request::new));

fn tracked_handler(id: u64) -> Tasks {
    let req = TRACKED.get();
    req.fill(id);
    let tasks = [(); 2].map(|()| {
        TRACKED.add(&req); // one more holder, before the task can start
        task(Arc::clone(&req), id, |r| r, |r| TRACKED.done(&r))
    });
    // The handler's own `done`: the last of the three returns the request.
    TRACKED.done(&req);
    tasks
}
// ANCHOR_END: tracked

static ADOPTING: LazyLock<tracked::RefPool<Request>> =
    LazyLock::new(|| tracked::RefPool::adopting(Request::new));

fn adopting_handler(id: u64) -> Tasks {
    let req = ADOPTING.get();
    req.fill(id);
    let tasks = [(); 2].map(|()| {
        ADOPTING.add(&req);
        task(Arc::clone(&req), id, |r| r, |r| ADOPTING.done(&r))
    });
    ADOPTING.done(&req);
    tasks
}

// ANCHOR: handle
static HANDLES: LazyLock<handle::RefPool<Request>> =
    LazyLock::new(|| handle::RefPool::new(Request::new));

fn handle_handler(id: u64) -> Tasks {
    let mut req = HANDLES.get();
    // The only handle yet: the request can be filled through `&mut`.
    let r = PoolRef::get_mut(&mut req).expect("a fresh handle is the only one");
    *r.id.get_mut() = id;
    let body = r.body.get_mut().unwrap();
    body.clear();
    write!(body, "body of request {id}").unwrap();
    // Each task gets a handle of its own (`Inc`) and drops it when done.
    [(); 2].map(|()| task(req.clone(), id, |r| r, drop))
    // `req` is dropped here (`Dec`); the last of the three returns it.
}
// ANCHOR_END: handle

static RETURNING: LazyLock<Pool<Request>> = LazyLock::new(|| Pool::with_new(Request::new));

fn returning_handler(id: u64) -> Tasks {
    let req = returning::get(&RETURNING);
    req.fill(id);
    [(); 2].map(|()| task(Arc::clone(&req), id, |r| r, drop))
}

/// A handler: takes request `id`, starts its tasks, returns.
type Handler = fn(u64) -> Tasks;

/// Each variant: its name, its handler, and whether it must never let a
/// task read another request's data.
const VARIANTS: [(&str, Handler, bool); 6] = [
    ("plain Pool (put at return)", plain_handler, false),
    ("article (map, by value)", article_handler, true),
    ("tracked (map, by address)", tracked_handler, true),
    ("tracked adopting", adopting_handler, true),
    ("PoolRef (count in object)", handle_handler, true),
    ("Arc + returning Drop", returning_handler, true),
];

/// One row of the table.
struct Row {
    name: &'static str,
    must_protect: bool,
    requests: u64,
    reads: u64,
    corrupted: u64,
}

/// Runs `requests` requests through every variant's handler, one after
/// another as a server's loop would, then waits for all their tasks.
fn run(requests: u64) -> Vec<Row> {
    VARIANTS
        .iter()
        .map(|&(name, handler, must_protect)| {
            let tasks: Vec<_> = (1..=requests).flat_map(handler).collect();
            let reads = tasks.len() as u64;
            let corrupted = tasks
                .into_iter()
                .map(|t| u64::from(t.join().expect("a task panicked")))
                .sum();
            Row {
                name,
                must_protect,
                requests,
                reads,
                corrupted,
            }
        })
        .collect()
}

fn print(rows: &[Row]) {
    println!("{:<28} {:>8}  corrupted reads", "variant", "requests");
    for r in rows {
        println!(
            "{:<28} {:>8}  {} of {}{}",
            r.name,
            r.requests,
            r.corrupted,
            r.reads,
            if r.must_protect {
                ""
            } else {
                " (expected; depends on timing)"
            }
        );
    }
}

/// The variants that must protect the request but did not.
fn failures(rows: &[Row]) -> Vec<&'static str> {
    rows.iter()
        .filter(|r| r.must_protect && r.corrupted > 0)
        .map(|r| r.name)
        .collect()
}

fn main() -> ExitCode {
    let rows = run(REQUESTS);
    print(&rows);
    let failed = failures(&rows);
    if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        eprintln!(
            "a task read another request's data with: {}",
            failed.join(", ")
        );
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn no_refpool_lets_a_request_be_reused_under_its_tasks() {
        let rows = super::run(super::REQUESTS);
        super::print(&rows);
        assert_eq!(super::failures(&rows), Vec::<&str>::new());
    }
}
