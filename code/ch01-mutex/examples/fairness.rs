//! Go issue 13086's scenario: one thread holds a lock almost all the time,
//! re-locking the moment it unlocks; another thread wants the lock now and
//! then. How long does the second thread wait?
//!
//! Runs the scenario for our `Mutex` with and without starvation mode,
//! `std::sync::Mutex` and `parking_lot::Mutex` (0.13, which has no eventual
//! fairness), prints the waiting thread's acquisitions, median, p99 and
//! maximum wait, and draws the waits as an SVG chart.
//!
//! ```text
//! cargo run --release -p ch01-mutex --example fairness -- [--seconds S] [--svg PATH]
//! ```
//!
//! The chapter's chart is made with `--svg book/src/ch01-mutex/fairness.svg`.

use std::error::Error;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::thread;
use std::time::{Duration, Instant};

use plotters::prelude::*;

/// How long the hog sleeps holding the lock, and the waiter between tries:
/// Go's TestMutexFairness uses 100 µs for both.
const HOLD: Duration = Duration::from_micros(100);

/// A lock under test, with its name.
trait FairLock: Send + Sync + 'static {
    fn name(&self) -> &'static str;
    fn critical(&self, f: impl FnOnce());
}

struct Ch01(ch01_mutex::Mutex<()>, &'static str);
impl FairLock for Ch01 {
    fn name(&self) -> &'static str {
        self.1
    }
    fn critical(&self, f: impl FnOnce()) {
        let _guard = self.0.lock();
        f();
    }
}

struct Std(std::sync::Mutex<()>);
impl FairLock for Std {
    fn name(&self) -> &'static str {
        "std Mutex"
    }
    fn critical(&self, f: impl FnOnce()) {
        let _guard = self.0.lock().unwrap_or_else(|e| e.into_inner());
        f();
    }
}

struct ParkingLot(parking_lot::Mutex<()>);
impl FairLock for ParkingLot {
    fn name(&self) -> &'static str {
        "parking_lot 0.13 Mutex"
    }
    fn critical(&self, f: impl FnOnce()) {
        let _guard = self.0.lock();
        f();
    }
}

/// What one run measured.
struct Run {
    name: &'static str,
    /// The waiting thread's wait for each acquisition, sorted.
    waits: Vec<Duration>,
    hog_acquisitions: u64,
    /// The hog's longest time holding the lock: a 100 µs sleep that the
    /// operating system may stretch, and a floor under anyone's wait.
    hog_max_hold: Duration,
}

impl Run {
    fn quantile(&self, q: f64) -> Duration {
        let i = ((self.waits.len() - 1) as f64 * q).round() as usize;
        self.waits[i]
    }
}

// ANCHOR: scenario
fn run<L: FairLock>(lock: L, length: Duration) -> Run {
    let lock = Arc::new(lock);
    let stop = Arc::new(AtomicBool::new(false));
    let hog_count = Arc::new(AtomicU64::new(0));
    let hog = {
        let (lock, stop, count) = (Arc::clone(&lock), Arc::clone(&stop), Arc::clone(&hog_count));
        thread::spawn(move || {
            let mut max_hold = Duration::ZERO;
            while !stop.load(Relaxed) {
                lock.critical(|| {
                    let start = Instant::now();
                    thread::sleep(HOLD);
                    max_hold = max_hold.max(start.elapsed());
                });
                count.fetch_add(1, Relaxed);
            }
            max_hold
        })
    };
    // The timer ends the run, even while the waiter is stuck waiting: the
    // hog stops re-locking, so the waiter gets in, and that last wait is
    // recorded cut short (a lower bound of what it would have been).
    let timer = {
        let stop = Arc::clone(&stop);
        thread::spawn(move || {
            thread::sleep(length);
            stop.store(true, Relaxed);
        })
    };
    let mut waits = Vec::new();
    while !stop.load(Relaxed) {
        thread::sleep(HOLD);
        let asked = Instant::now();
        let mut got = asked;
        lock.critical(|| got = Instant::now());
        waits.push(got - asked);
    }
    timer.join().expect("the timer thread panicked");
    stop.store(true, Relaxed);
    let hog_max_hold = hog.join().expect("the hog thread panicked");
    waits.sort();
    Run {
        name: lock.name(),
        waits,
        hog_acquisitions: hog_count.load(Relaxed),
        hog_max_hold,
    }
}
// ANCHOR_END: scenario

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// One colour per lock, in the order of the runs.
const COLORS: [RGBColor; 4] = [
    RGBColor(214, 39, 40),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(31, 119, 180),
];

/// The waits as a tail curve: for each wait w, the share of acquisitions
/// that waited at least w, both axes logarithmic, so the rare long waits
/// that fairness is about get most of the picture.
fn chart(runs: &[Run], path: &str) -> Result<(), Box<dyn Error>> {
    let longest = runs.iter().flat_map(|r| r.waits.last()).max().copied();
    let right = ms(longest.unwrap_or(Duration::from_millis(1))).max(1.0) * 2.0;
    let most = runs.iter().map(|r| r.waits.len()).max().unwrap_or(1).max(1);
    // Room below the smallest share (1/n) for the legend.
    let bottom = (0.01 / most as f64).min(1e-4);
    let root = SVGBackend::new(path, (760, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(
            "How long the waiting thread waits, against a lock hog",
            ("sans-serif", 18),
        )
        .margin(12)
        .margin_right(36)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d((0.01f64..right).log_scale(), (bottom..1.5f64).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("wait (ms)")
        .y_desc("share of acquisitions that waited at least this long")
        .draw()?;
    for (i, run) in runs.iter().enumerate() {
        let color = COLORS[i % COLORS.len()];
        let n = run.waits.len() as f64;
        let mut points = vec![(0.01, 1.0)];
        for (k, w) in run.waits.iter().enumerate() {
            let x = ms(*w).max(0.01);
            let share = (n - k as f64) / n;
            // A staircase: the share drops right after each wait.
            if let Some(&(_, prev)) = points.last() {
                points.push((x, prev));
            }
            points.push((x, share));
        }
        let label = format!("{} (max {:.1} ms)", run.name, ms(run.quantile(1.0)));
        chart
            .draw_series(LineSeries::new(points, color.stroke_width(2)))?
            .label(label)
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color));
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::LowerLeft)
        .border_style(BLACK)
        .background_style(WHITE.mix(0.9))
        .draw()?;
    root.present()?;
    Ok(())
}

fn usage() -> ! {
    eprintln!("usage: fairness [--seconds S] [--svg PATH]");
    std::process::exit(2)
}

fn main() -> Result<(), Box<dyn Error>> {
    let mut seconds = 2.0_f64;
    let mut svg = String::from("target/fairness.svg");
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = match args.next().map(|s| s.parse::<f64>()) {
                    Some(Ok(s)) if s > 0.0 && s.is_finite() => s,
                    _ => usage(),
                }
            }
            "--svg" => svg = args.next().unwrap_or_else(|| usage()),
            "-h" | "--help" => usage(),
            _ => usage(),
        }
    }
    let length = Duration::from_secs_f64(seconds);
    println!(
        "Go issue 13086: a hog holds the lock, sleeping {HOLD:?} inside; a waiter wants it every {HOLD:?}; {seconds} s per lock\n"
    );
    let runs = vec![
        run(Ch01(ch01_mutex::Mutex::new(()), "ch01 Mutex"), length),
        run(
            Ch01(
                ch01_mutex::Mutex::without_starvation(()),
                "ch01 Mutex, no starvation mode",
            ),
            length,
        ),
        run(Std(std::sync::Mutex::new(())), length),
        run(ParkingLot(parking_lot::Mutex::new(())), length),
    ];
    println!(
        "{:<32} {:>9} {:>9} {:>10} {:>10} {:>10} {:>14}",
        "lock", "waiter", "hog", "p50 ms", "p99 ms", "max ms", "max hold ms"
    );
    for r in &runs {
        println!(
            "{:<32} {:>9} {:>9} {:>10.3} {:>10.3} {:>10.3} {:>14.3}",
            r.name,
            r.waits.len(),
            r.hog_acquisitions,
            ms(r.quantile(0.5)),
            ms(r.quantile(0.99)),
            ms(r.quantile(1.0)),
            ms(r.hog_max_hold),
        );
    }
    if let Some(dir) = std::path::Path::new(&svg).parent() {
        if !dir.as_os_str().is_empty() {
            std::fs::create_dir_all(dir)?;
        }
    }
    chart(&runs, &svg).map_err(|e| format!("could not write the chart to {svg}: {e}"))?;
    println!("\nchart: {svg}");
    Ok(())
}
