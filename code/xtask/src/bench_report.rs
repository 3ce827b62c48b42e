//! `cargo xtask bench-report [CRATE…]`: run a chapter's benchmarks at each
//! thread count, and Go's own benchmarks of the same names in the same run
//! when `go` is installed, and write what the chapter's results page
//! includes: `book/src/CRATE/results/bench.json` (the data, with the
//! machine, the date and the toolchains), `bench.md` (a table per group)
//! and `bench.svg` (a chart per group). No number in a results page is
//! typed by hand.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::util::{self, run};

/// Go's benchmarks (in `$GOROOT/src/sync`) for each chapter crate: Go's
/// name without `Benchmark` is our criterion group's name.
fn go_benchmarks(krate: &str) -> &'static [&'static str] {
    match krate {
        "ch00-runtime" => &[
            "UncontendedSemaphore",
            "ContendedSemaphore",
            "SemaUncontended",
            "SemaSyntNonblock",
            "SemaSyntBlock",
            "SemaWorkNonblock",
            "SemaWorkBlock",
        ],
        "ch01-mutex" => &[
            "MutexUncontended",
            "Mutex",
            "MutexSlack",
            "MutexWork",
            "MutexWorkSlack",
            "MutexNoSpin",
            "MutexSpin",
        ],
        "ch02-rwmutex" => &[
            "RWMutexUncontended",
            "RWMutexWrite100",
            "RWMutexWrite10",
            "RWMutexWorkWrite100",
            "RWMutexWorkWrite10",
        ],
        "ch04-waitgroup" => &[
            "WaitGroupUncontended",
            "WaitGroupAddDone",
            "WaitGroupAddDoneWork",
            "WaitGroupWait",
            "WaitGroupWaitWork",
            "WaitGroupActuallyWait",
        ],
        "ch03-map" => &[
            "LoadMostlyHits",
            "LoadMostlyMisses",
            "LoadOrStoreBalanced",
            "LoadOrStoreUnique",
            "LoadOrStoreCollision",
            "LoadAndDeleteBalanced",
            "LoadAndDeleteUnique",
            "LoadAndDeleteCollision",
            "Range",
            "AdversarialAlloc",
            "AdversarialDelete",
            "DeleteCollision",
            "SwapCollision",
            "SwapMostlyHits",
            "SwapMostlyMisses",
            "CompareAndSwapCollision",
            "CompareAndSwapNoExistingKey",
            "CompareAndSwapValueNotEqual",
            "CompareAndSwapMostlyHits",
            "CompareAndSwapMostlyMisses",
            "CompareAndDeleteCollision",
            "CompareAndDeleteMostlyHits",
            "CompareAndDeleteMostlyMisses",
            "Clear",
        ],
        "ch05-pool" => &["Pool", "PoolOverflow", "PoolStarvation"],
        _ => &[],
    }
}

/// Go benchmarks whose body changed after Go 1.19, with the first Go minor
/// version known to match ours (which follow go1.23.5). An older Go runs a
/// different loop under the same name, so for it the report runs our copy
/// of go1.23.5's loop in `code/xtask/go/shapes` instead, on that Go's
/// `sync.Map`. (Go 1.19's `BenchmarkLoadAndDeleteCollision` only deletes;
/// go1.23.5's stores the key back after each delete.)
const SHAPE_SINCE: &[(&str, u32)] = &[("LoadAndDeleteCollision", 23)];

/// The minor version in `go version`'s answer (`go version go1.19.8 …` is 19).
fn go_minor(version: &str) -> Option<u32> {
    let rest = version
        .split_whitespace()
        .find_map(|w| w.strip_prefix("go1."))?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// `names`, less those whose shape this Go does not have yet.
fn same_shape<'a>(names: &[&'a str], version: &str) -> (Vec<&'a str>, Vec<&'a str>) {
    let minor = go_minor(version).unwrap_or(0);
    names.iter().partition(|n| {
        SHAPE_SINCE
            .iter()
            .all(|(name, since)| name != *n || minor >= *since)
    })
}

/// The crates that have benchmarks, in chapter order.
fn bench_crates(root: &Path) -> Result<Vec<String>> {
    Ok(util::packages(root)?
        .into_iter()
        .filter(|p| p.dir.starts_with(root.join("code")) && !p.bench_targets.is_empty())
        .map(|p| p.name)
        .collect())
}

pub fn main(root: &Path, args: &[String]) -> Result<()> {
    let mut crates: Vec<String> = Vec::new();
    let mut quick = false;
    let mut render_only = false;
    for a in args {
        match a.as_str() {
            "--quick" => quick = true,
            "--render" => render_only = true,
            c if !c.starts_with('-') => crates.push(c.to_owned()),
            other => bail!(
                "unknown option '{other}'\n\nusage: cargo xtask bench-report [--quick] [--render] [CRATE…]"
            ),
        }
    }
    let all = bench_crates(root)?;
    if crates.is_empty() {
        crates = all.clone();
    }
    for c in &crates {
        if !all.contains(c) {
            bail!(
                "{c} has no benchmarks; the crates with benchmarks are: {}",
                all.join(", ")
            );
        }
    }
    let threads = std::env::var("GOSYNC_BENCH_THREADS").unwrap_or_else(|_| "1,2".into());
    for krate in &crates {
        if render_only {
            render_existing(root, krate)?;
        } else {
            report(root, krate, &threads, quick)?;
        }
    }
    Ok(())
}

/// Rewrites bench.md and bench.svg from the committed bench.json (after a
/// change to the targets or to the rendering), measuring nothing.
fn render_existing(root: &Path, krate: &str) -> Result<()> {
    let dir = root.join("book/src").join(krate).join("results");
    let data: Value = serde_json::from_str(
        &fs::read_to_string(dir.join("bench.json")).with_context(|| {
            format!("no results for {krate}: run `cargo xtask bench-report {krate}`")
        })?,
    )?;
    let targets = read_targets(&root.join("code").join(krate))?;
    fs::write(dir.join("bench.md"), render_md(&data, &targets))?;
    fs::write(dir.join("bench.svg"), render_svg(&data))?;
    println!("wrote book/src/{krate}/results/bench.{{md,svg}}");
    Ok(())
}

fn output_of(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn machine() -> Value {
    let cpu = fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split_once(':'))
                .map(|(_, v)| v.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cpus = std::thread::available_parallelism().map_or(0, |n| n.get());
    let os = output_of(Command::new("uname").args(["-sr"])).unwrap_or_default();
    json!({ "cpu": cpu, "cpus": cpus, "os": os })
}

fn report(root: &Path, krate: &str, threads: &str, quick: bool) -> Result<()> {
    // Builds are kept between runs; only the previous measurements go, so
    // that a group no longer benchmarked cannot linger in the report.
    let target = root.join("target/bench-report");
    let measured = target.join("criterion");
    if measured.exists() {
        fs::remove_dir_all(&measured)?;
    }
    let (warm, measure) = if quick { ("0.3", "0.5") } else { ("1", "2") };
    println!("== {krate}: criterion at {threads} threads");
    run(util::cargo()
        .current_dir(root)
        .env("GOSYNC_BENCH_THREADS", threads)
        .env("CARGO_TARGET_DIR", &target)
        .args(["bench", "-p", krate, "--bench", "*", "--"])
        .args(["--warm-up-time", warm, "--measurement-time", measure]))?;
    let mut rows = criterion_results(&measured)?;
    let rustc = output_of(Command::new("rustc").arg("--version")).unwrap_or_default();
    let mut go_version = Value::Null;
    let names = go_benchmarks(krate);
    if !names.is_empty() {
        match go_env() {
            Some((version, goroot)) => {
                println!("== {krate}: Go's benchmarks ({version}) at {threads} threads");
                let (names, older) = same_shape(names, &version);
                rows.extend(go_results(
                    &goroot.join("src/sync"),
                    &names,
                    threads,
                    quick,
                )?);
                if !older.is_empty() {
                    println!(
                        "== {krate}: {} in go1.23.5's loop (code/xtask/go/shapes): this Go's \
                         benchmark of that name runs a different one",
                        older.join(", ")
                    );
                    let shapes = root.join("code/xtask/go/shapes");
                    rows.extend(go_results(&shapes, &older, threads, quick)?);
                }
                go_version = json!(version);
            }
            None => println!(
                "(go is not installed: Go's figures are left out; `apt-get install golang-go` adds them)"
            ),
        }
    }
    let data = json!({
        "crate": krate,
        "date": util::today(),
        "machine": machine(),
        "rustc": rustc,
        "go": go_version,
        "threads": threads,
        "criterion": format!("--warm-up-time {warm} --measurement-time {measure}"),
        "results": rows,
    });
    let dir = root.join("book/src").join(krate).join("results");
    fs::create_dir_all(&dir)?;
    fs::write(
        dir.join("bench.json"),
        serde_json::to_string_pretty(&data)? + "\n",
    )?;
    let targets = read_targets(&root.join("code").join(krate))?;
    fs::write(dir.join("bench.md"), render_md(&data, &targets))?;
    fs::write(dir.join("bench.svg"), render_svg(&data))?;
    println!("wrote book/src/{krate}/results/bench.{{json,md,svg}}");
    Ok(())
}

/// Every `new/benchmark.json` + `new/estimates.json` under criterion's
/// output: group, peer, threads, nanoseconds per iteration (the median).
fn criterion_results(dir: &Path) -> Result<Vec<Value>> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n == "new") {
                    if let Some(row) = criterion_row(&p)? {
                        out.push(row);
                    }
                } else if p.file_name().is_some_and(|n| n != "base" && n != "change") {
                    stack.push(p);
                }
            }
        }
    }
    out.sort_by_key(|r| {
        (
            r["group"].to_string(),
            r["peer"].to_string(),
            r["threads"].as_u64(),
        )
    });
    Ok(out)
}

fn criterion_row(new: &Path) -> Result<Option<Value>> {
    let (Ok(b), Ok(e)) = (
        fs::read_to_string(new.join("benchmark.json")),
        fs::read_to_string(new.join("estimates.json")),
    ) else {
        return Ok(None);
    };
    let b: Value = serde_json::from_str(&b)?;
    let e: Value = serde_json::from_str(&e)?;
    let group = b["group_id"].as_str().unwrap_or_default().to_owned();
    let function = b["function_id"].as_str().unwrap_or_default().to_owned();
    let threads = b["value_str"].as_str().and_then(|v| v.parse::<u64>().ok());
    let ns = e["median"]["point_estimate"].as_f64().unwrap_or(f64::NAN);
    Ok(Some(json!({
        "group": group,
        "peer": function,
        "threads": threads,
        "ns": ns,
    })))
}

fn go_env() -> Option<(String, PathBuf)> {
    let version = output_of(Command::new("go").arg("version"))?;
    let goroot = output_of(Command::new("go").args(["env", "GOROOT"]))?;
    Some((version, PathBuf::from(goroot)))
}

/// Go's benchmarks of the same names in `dir` (Go's `src/sync`, or our
/// `code/xtask/go/shapes`), `-cpu` at our thread counts.
fn go_results(dir: &Path, names: &[&str], threads: &str, quick: bool) -> Result<Vec<Value>> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let pattern = format!("^Benchmark({})$", names.join("|"));
    let scratch = std::env::temp_dir().join("gosync-bench-gocache");
    let out = Command::new("go")
        .current_dir(dir)
        .env("GOCACHE", &scratch)
        .env("GOFLAGS", "-mod=mod")
        .args(["test", "-run", "^$", "-bench", &pattern, "-cpu", threads])
        .args(["-benchtime", if quick { "200ms" } else { "1s" }])
        .output()
        .with_context(|| format!("cannot run go test in {}", dir.display()))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        bail!(
            "go test -bench failed in {}:\n{}{}",
            dir.display(),
            text,
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(text.lines().filter_map(go_row).collect())
}

/// One result line of `go test -bench`, or `None` for any other line.
fn go_row(line: &str) -> Option<Value> {
    // `BenchmarkPool-2   123456   9.53 ns/op`; at -cpu 1 Go prints no `-1`.
    let mut parts = line.split_whitespace();
    let (Some(name), Some(_n), Some(ns), Some("ns/op")) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let name = name.strip_prefix("Benchmark")?;
    let (name, threads) = match name.rsplit_once('-') {
        Some((g, t)) if t.parse::<u64>().is_ok() => (g, t.parse::<u64>().ok()),
        _ => (name, Some(1)),
    };
    let ns = ns.parse::<f64>().ok()?;
    let (group, peer) = go_peer(name);
    Some(json!({ "group": group, "peer": peer, "threads": threads, "ns": ns }))
}

/// A Go benchmark's group and peer. Most of Go's are one benchmark per
/// name, `Go sync`; the map's run one sub-benchmark per implementation,
/// named by its type (`LoadMostlyHits/*sync.Map`,
/// `LoadMostlyHits/*sync_test.RWMutexMap`), which becomes the peer:
/// `Go sync.Map`, `Go RWMutexMap`, `Go DeepCopyMap`.
fn go_peer(name: &str) -> (&str, String) {
    match name.split_once('/') {
        Some((group, sub)) => {
            let ty = sub.trim_start_matches('*');
            let ty = ty.strip_prefix("sync_test.").unwrap_or(ty);
            (group, format!("Go {ty}"))
        }
        None => (name, "Go sync".to_owned()),
    }
}

fn human(ns: f64) -> String {
    if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.1} ns")
    }
}

/// group -> peer -> threads -> ns, groups in first-seen order.
type Table = Vec<(String, BTreeMap<String, BTreeMap<u64, f64>>)>;

fn table(data: &Value) -> Table {
    let mut groups: Table = Vec::new();
    for r in data["results"].as_array().into_iter().flatten() {
        let g = r["group"].as_str().unwrap_or_default().to_owned();
        let peer = r["peer"].as_str().unwrap_or_default().to_owned();
        let t = r["threads"].as_u64().unwrap_or(0);
        let ns = r["ns"].as_f64().unwrap_or(f64::NAN);
        let at = match groups.iter().position(|(name, _)| *name == g) {
            Some(i) => i,
            None => {
                groups.push((g, BTreeMap::new()));
                groups.len() - 1
            }
        };
        groups[at].1.entry(peer).or_default().insert(t, ns);
    }
    groups
}

/// A target a chapter sets itself: `ours` at most `ratio` times `other`
/// in `group`, at each thread count both were measured at.
struct Target {
    what: String,
    group: String,
    ours: String,
    other: String,
    ratio: f64,
    /// Judge only at this thread count (`threads = 2`); every count if unset.
    threads: Option<u64>,
}

fn read_targets(dir: &Path) -> Result<Vec<Target>> {
    let path = dir.join("bench-targets.toml");
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(Vec::new());
    };
    let t: toml::Table =
        toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let mut out = Vec::new();
    for v in t
        .get("target")
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
    {
        let get = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        out.push(Target {
            what: get("what"),
            group: get("group"),
            ours: get("ours"),
            other: get("other"),
            ratio: v.get("ratio").and_then(|x| x.as_float()).unwrap_or(1.0),
            threads: v
                .get("threads")
                .and_then(|x| x.as_integer())
                .and_then(|n| u64::try_from(n).ok()),
        });
    }
    Ok(out)
}

fn render_targets(s: &mut String, tables: &Table, targets: &[Target]) {
    if targets.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "**Targets** (from `bench-targets.toml`, judged on this run)
"
    );
    let _ = writeln!(s, "| target | threads | ours | against | ratio | result |");
    let _ = writeln!(s, "|---|---|---|---|---|---|");
    for t in targets {
        let Some((_, peers)) = tables.iter().find(|(g, _)| *g == t.group) else {
            let _ = writeln!(
                s,
                "| {} | | | | | no such group `{}` in this run |",
                t.what, t.group
            );
            continue;
        };
        let (Some(a), Some(b)) = (peers.get(&t.ours), peers.get(&t.other)) else {
            let _ = writeln!(
                s,
                "| {} | | | | | `{}` or `{}` not measured in this run |",
                t.what, t.ours, t.other
            );
            continue;
        };
        for (threads, ours) in a {
            if t.threads.is_some_and(|only| only != *threads) {
                continue;
            }
            let Some(other) = b.get(threads) else {
                continue;
            };
            let r = ours / other;
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {:.2}× | {} |",
                md(&t.what),
                if *threads == 0 {
                    "—".to_owned()
                } else {
                    threads.to_string()
                },
                human(*ours),
                human(*other),
                r,
                if r <= t.ratio {
                    "met".to_owned()
                } else {
                    format!("**missed** (target ≤ {:.2}×)", t.ratio)
                }
            );
        }
    }
    let _ = writeln!(s);
}

fn render_md(data: &Value, targets: &[Target]) -> String {
    let mut s = String::new();
    let m = &data["machine"];
    let _ = writeln!(
        s,
        "<!-- Generated by `cargo xtask bench-report {}`; do not edit. -->\n",
        data["crate"].as_str().unwrap_or_default()
    );
    let _ = writeln!(
        s,
        "Measured {} on {} ({} CPUs, {}), {}; {}; criterion {}. Times per iteration of the benchmark's body, \
         wall time over all threads (Go's ns/op), median. `0` threads means a benchmark that sets its own.\n",
        data["date"].as_str().unwrap_or("?"),
        m["cpu"].as_str().unwrap_or("?"),
        m["cpus"],
        m["os"].as_str().unwrap_or("?"),
        data["rustc"].as_str().unwrap_or("?"),
        data["go"]
            .as_str()
            .unwrap_or("Go not installed: no Go figures"),
        data["criterion"].as_str().unwrap_or("")
    );
    let tables = table(data);
    render_targets(&mut s, &tables, targets);
    for (group, peers) in tables {
        let counts: Vec<u64> = {
            let mut c: Vec<u64> = peers.values().flat_map(|t| t.keys().copied()).collect();
            c.sort_unstable();
            c.dedup();
            c
        };
        let _ = writeln!(s, "**{group}**\n");
        let _ = write!(s, "| |");
        for c in &counts {
            let _ = write!(
                s,
                " {} |",
                if *c == 0 {
                    "—".to_owned()
                } else {
                    format!("{c} thread{}", if *c == 1 { "" } else { "s" })
                }
            );
        }
        let _ = writeln!(s);
        let _ = writeln!(s, "|---|{}", "---|".repeat(counts.len()));
        for (peer, ts) in &peers {
            let _ = write!(s, "| {} |", md(peer));
            for c in &counts {
                let _ = write!(s, " {} |", ts.get(c).map_or("".into(), |ns| human(*ns)));
            }
            let _ = writeln!(s);
        }
        let _ = writeln!(s);
    }
    s
}

/// Markdown table text: `<` and `>` as entities (a peer named
/// `RefCell<Vec>` would otherwise open an HTML tag), `|` escaped.
fn md(t: &str) -> String {
    t.replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('|', "\\|")
}

fn esc(t: &str) -> String {
    t.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// One panel per group: a bar per (peer, thread count), log scale shared
/// within the panel, the value written beside each bar.
fn render_svg(data: &Value) -> String {
    const W: f64 = 760.0;
    const LABEL: f64 = 300.0;
    const BAR: f64 = 14.0;
    let groups = table(data);
    let mut body = String::new();
    let mut y = 30.0;
    let colors = [
        "#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2",
    ];
    for (group, peers) in &groups {
        let _ = writeln!(
            body,
            r#"<text x="10" y="{y}" font-weight="bold">{}</text>"#,
            esc(group)
        );
        y += 8.0;
        let max = peers
            .values()
            .flat_map(|t| t.values().copied())
            .filter(|v| v.is_finite())
            .fold(1.0_f64, f64::max);
        let min = peers
            .values()
            .flat_map(|t| t.values().copied())
            .filter(|v| v.is_finite() && *v > 0.0)
            .fold(max, f64::min);
        let lo = (min / 2.0).log10();
        let hi = max.log10();
        let span = (hi - lo).max(1e-9);
        for (i, (peer, ts)) in peers.iter().enumerate() {
            for (t, ns) in ts {
                y += BAR + 2.0;
                let len = if ns.is_finite() && *ns > 0.0 {
                    ((ns.log10() - lo) / span * (W - LABEL - 90.0)).max(1.0)
                } else {
                    0.0
                };
                let label = if *t == 0 {
                    peer.clone()
                } else {
                    format!("{peer}, {t}T")
                };
                let _ = writeln!(
                    body,
                    r#"<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text><rect x="{LABEL}" y="{}" width="{len:.1}" height="{BAR}" fill="{}"/><text x="{}" y="{}" font-size="11">{}</text>"#,
                    LABEL - 6.0,
                    y + BAR - 3.0,
                    esc(&label),
                    y,
                    colors[i % colors.len()],
                    LABEL + len + 4.0,
                    y + BAR - 3.0,
                    esc(&human(*ns))
                );
            }
        }
        y += 30.0;
    }
    let m = &data["machine"];
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{h}" viewBox="0 0 {W} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="10" y="16" font-size="11">{} · {} · {} · {} (log scale per group; shorter is faster)</text>
{body}</svg>
"#,
        esc(data["crate"].as_str().unwrap_or_default()),
        esc(m["cpu"].as_str().unwrap_or_default()),
        esc(data["date"].as_str().unwrap_or_default()),
        esc(data["go"].as_str().unwrap_or("no Go")),
        h = y + 10.0,
    )
}

/// For `cargo xtask test`: each crate with benchmarks has generated results
/// that parse, and its chapter includes them. One line per problem.
pub fn check_results(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for krate in bench_crates(root)? {
        let dir = root.join("book/src").join(&krate).join("results");
        let json_path = dir.join("bench.json");
        match fs::read_to_string(&json_path) {
            Err(_) => problems.push(format!(
                "book/src/{krate}/results/bench.json is missing: run `cargo xtask bench-report {krate}`"
            )),
            Ok(text) => match serde_json::from_str::<Value>(&text) {
                Ok(v) if v["results"].as_array().is_some_and(|r| !r.is_empty()) => {}
                _ => problems.push(format!(
                    "book/src/{krate}/results/bench.json does not parse as a report with results"
                )),
            },
        }
        let included = util::files_with(&root.join("book/src").join(&krate), "md")
            .iter()
            .filter_map(|f| fs::read_to_string(f).ok())
            .any(|t| t.contains("{{#include results/bench.md}}"));
        if !included {
            problems.push(format!(
                "no page of book/src/{krate} includes its generated results (`{{{{#include results/bench.md}}}}`)"
            ));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_benchmark_whose_shape_changed_is_left_out_for_older_go() {
        let names = ["LoadMostlyHits", "LoadAndDeleteCollision"];
        let (kept, out) = same_shape(&names, "go version go1.19.8 linux/amd64");
        assert_eq!(kept, ["LoadMostlyHits"]);
        assert_eq!(out, ["LoadAndDeleteCollision"]);
        let (kept, out) = same_shape(&names, "go version go1.23.5 linux/amd64");
        assert_eq!(kept, names);
        assert!(out.is_empty());
        assert_eq!(go_minor("go version go1.9 linux/amd64"), Some(9));
    }

    #[test]
    fn go_rows_name_their_peer() {
        let row =
            |l| go_row(l).map(|r| (r["group"].clone(), r["peer"].clone(), r["threads"].clone()));
        assert_eq!(
            row("BenchmarkPool-2   123456   9.53 ns/op"),
            Some((json!("Pool"), json!("Go sync"), json!(2)))
        );
        assert_eq!(
            row("BenchmarkPool   123456   9.53 ns/op"),
            Some((json!("Pool"), json!("Go sync"), json!(1)))
        );
        assert_eq!(
            row("BenchmarkLoadMostlyHits/*sync.Map-2  	 1000000	         5.10 ns/op"),
            Some((json!("LoadMostlyHits"), json!("Go sync.Map"), json!(2)))
        );
        assert_eq!(
            row("BenchmarkLoadMostlyHits/*sync_test.RWMutexMap  	 1000000	  25.1 ns/op	 0 B/op"),
            Some((json!("LoadMostlyHits"), json!("Go RWMutexMap"), json!(1)))
        );
        assert_eq!(
            row("BenchmarkLoadOrStoreUnique/*sync_test.DeepCopyMap"),
            None
        );
        assert_eq!(
            row("--- SKIP: BenchmarkLoadOrStoreUnique/*sync_test.DeepCopyMap"),
            None
        );
    }
}
