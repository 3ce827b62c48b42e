//! `cargo xtask mutants -p CRATE`: weaken every atomic ordering in a
//! crate's `src/`, one at a time, and see which tests notice.
//!
//! Each ordering becomes the next weaker one that is valid for its
//! operation (a load: `SeqCst` -> `Acquire` -> `Relaxed`; a store: `SeqCst`
//! -> `Release` -> `Relaxed`; a read-modify-write: `SeqCst` -> `AcqRel` ->
//! `Acquire` or `Release` -> `Relaxed`; a compare-exchange's failure
//! ordering like a load), and every fence is removed. For each mutant the
//! crate's loom models run first, then its tests, then Miri, stopping at
//! the first that fails. The outcome goes to `code/CRATE/mutants.json`,
//! and a table for the book to `book/src/CRATE/mutants-report.md`, with the
//! reason for each survivor taken from `code/CRATE/mutants.toml`.
//!
//! `cargo xtask test` checks that the committed report is for the sources
//! as they are now (a hash of `src/`), that every survivor is explained,
//! and that the table is the one the data renders.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};

use crate::util::{self, rust_files};

/// An operation an ordering belongs to, which decides what is weaker.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Load,
    Store,
    Rmw,
    /// A compare-exchange's (or `fetch_update`'s) failure/fetch ordering.
    CasFailure,
    Fence,
    /// Passed to a function of ours: only `Relaxed` is tried.
    Other,
}

impl Op {
    fn name(self) -> &'static str {
        match self {
            Op::Load => "load",
            Op::Store => "store",
            Op::Rmw => "rmw",
            Op::CasFailure => "cas-failure",
            Op::Fence => "fence",
            Op::Other => "argument",
        }
    }

    fn weaker(self, ord: &str) -> Vec<&'static str> {
        match (self, ord) {
            (Op::Fence, _) => vec!["(removed)"],
            (Op::Load | Op::CasFailure, "SeqCst") => vec!["Acquire"],
            (Op::Store, "SeqCst") => vec!["Release"],
            (Op::Rmw, "SeqCst") => vec!["AcqRel"],
            (Op::Rmw, "AcqRel") => vec!["Acquire", "Release"],
            (Op::Other, "Relaxed") => vec![],
            (_, "Relaxed") => vec![],
            _ => vec!["Relaxed"],
        }
    }
}

/// One weakened ordering (or removed fence).
#[derive(Clone, Debug)]
pub struct Mutant {
    /// Stable name: `file:function#k op From->To`.
    pub id: String,
    /// Path relative to the crate's directory.
    pub file: String,
    pub line: usize,
    pub from: String,
    pub to: String,
    /// Byte range in the file to replace, and its replacement.
    start: usize,
    end: usize,
    replacement: String,
}

/// Byte mask of the text that is code (not a comment, string or char).
fn code_mask(text: &str) -> Vec<bool> {
    let b = text.as_bytes();
    let mut mask = vec![true; b.len()];
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' && b.get(i + 1) == Some(&b'/') {
            while i < b.len() && b[i] != b'\n' {
                mask[i] = false;
                i += 1;
            }
        } else if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
            let mut depth = 0;
            while i < b.len() {
                if b[i] == b'/' && b.get(i + 1) == Some(&b'*') {
                    depth += 1;
                    mask[i] = false;
                    mask[i + 1] = false;
                    i += 2;
                } else if b[i] == b'*' && b.get(i + 1) == Some(&b'/') {
                    depth -= 1;
                    mask[i] = false;
                    mask[i + 1] = false;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    mask[i] = false;
                    i += 1;
                }
            }
        } else if b[i] == b'"' {
            mask[i] = false;
            i += 1;
            while i < b.len() && b[i] != b'"' {
                if b[i] == b'\\' {
                    mask[i] = false;
                    i += 1;
                }
                if i < b.len() {
                    mask[i] = false;
                }
                i += 1;
            }
            if i < b.len() {
                mask[i] = false;
            }
            i += 1;
        } else {
            i += 1;
        }
    }
    mask
}

fn is_ident(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_'
}

/// The identifier that ends just before byte `end` (skipping spaces).
fn ident_before(text: &[u8], mut end: usize) -> (usize, &str) {
    while end > 0 && text[end - 1].is_ascii_whitespace() {
        end -= 1;
    }
    let mut start = end;
    while start > 0 && is_ident(text[start - 1]) {
        start -= 1;
    }
    (
        start,
        std::str::from_utf8(&text[start..end]).unwrap_or_default(),
    )
}

/// The name of the function whose body holds byte `at`.
fn enclosing_fn(text: &str, at: usize) -> String {
    text[..at]
        .rmatch_indices("fn ")
        .find_map(|(i, _)| {
            let prev = text[..i].bytes().last();
            if prev.is_some_and(is_ident) {
                return None;
            }
            let name: String = text[i + 3..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            (!name.is_empty()).then_some(name)
        })
        .unwrap_or_else(|| "<top>".into())
}

/// Every mutant of one source file.
fn mutants_of(file: &str, text: &str) -> Vec<Mutant> {
    let mask = code_mask(text);
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut per_fn: BTreeMap<String, usize> = BTreeMap::new();
    let mut i = 0;
    while i < b.len() {
        if !mask[i] || !is_ident(b[i]) || (i > 0 && is_ident(b[i - 1])) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < b.len() && is_ident(b[j]) {
            j += 1;
        }
        let word = &text[i..j];
        let is_ordering = matches!(word, "SeqCst" | "AcqRel" | "Acquire" | "Release");
        let is_fence = matches!(word, "fence" | "compiler_fence")
            && text[j..].trim_start().starts_with('(')
            && !text[..i].trim_end().ends_with("fn")
            && !text[..i].trim_end().ends_with("use");
        if !is_ordering && !is_fence {
            i = j;
            continue;
        }
        // The innermost open bracket before the word: orderings passed to a
        // call sit inside `(`; those in `use` lists or patterns do not.
        let mut depth = 0i32;
        let mut open = None;
        let mut k = i;
        while k > 0 {
            k -= 1;
            if !mask[k] {
                continue;
            }
            match b[k] {
                b')' | b']' | b'}' => depth += 1,
                b'(' | b'[' | b'{' => {
                    if depth == 0 {
                        open = Some(k);
                        break;
                    }
                    depth -= 1;
                }
                b';' if depth == 0 => break,
                _ => {}
            }
        }
        let line = text[..i].matches('\n').count() + 1;
        let func = enclosing_fn(text, i);
        if is_fence {
            // `path::fence(ORDERING)` as a whole becomes `()`.
            let mut start = i;
            while start >= 2 && &text[start - 2..start] == "::" {
                let (s, _) = ident_before(b, start - 2);
                start = s;
            }
            let close = matching_paren(text, &mask, j);
            let Some(close) = close else {
                i = j;
                continue;
            };
            let inner = text[j..close].trim_start_matches(|c: char| c == '(' || c.is_whitespace());
            let ord = inner
                .rsplit("::")
                .next()
                .unwrap_or(inner)
                .trim_end_matches(|c: char| c == ')' || c.is_whitespace());
            push(
                &mut out,
                &mut per_fn,
                file,
                &func,
                line,
                Op::Fence,
                ord,
                "(removed)",
                start,
                close + 1,
                "()".into(),
            );
            i = close + 1;
            continue;
        }
        let Some(open) = open.filter(|&o| b[o] == b'(') else {
            i = j;
            continue;
        };
        let (_, callee) = ident_before(b, open);
        // Which ordering argument of the call this is.
        let nth = {
            let mut n = 0;
            let mut d = 0i32;
            for (pos, &c) in b.iter().enumerate().take(i).skip(open + 1) {
                if !mask[pos] {
                    continue;
                }
                match c {
                    b'(' | b'[' | b'{' => d += 1,
                    b')' | b']' | b'}' => d -= 1,
                    _ => {}
                }
                if d == 0 && is_ident(c) && (pos == 0 || !is_ident(b[pos - 1])) {
                    let w: String = text[pos..]
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if matches!(
                        w.as_str(),
                        "SeqCst" | "AcqRel" | "Acquire" | "Release" | "Relaxed"
                    ) {
                        n += 1;
                    }
                }
            }
            n
        };
        let op = match callee {
            "fence" | "compiler_fence" => {
                i = j;
                continue;
            }
            "load" => Op::Load,
            "store" => Op::Store,
            "compare_exchange" | "compare_exchange_weak" | "fetch_update" => {
                if nth == 0 {
                    Op::Rmw
                } else {
                    Op::CasFailure
                }
            }
            c if c == "swap" || c.starts_with("fetch_") => Op::Rmw,
            _ => Op::Other,
        };
        let qualified = text[..i].ends_with("::");
        for to in op.weaker(word) {
            let replacement = if qualified {
                to.to_owned()
            } else {
                format!("std::sync::atomic::Ordering::{to}")
            };
            push(
                &mut out,
                &mut per_fn,
                file,
                &func,
                line,
                op,
                word,
                to,
                i,
                j,
                replacement,
            );
        }
        // Count the site once, whatever the number of mutants it gives.
        i = j;
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn push(
    out: &mut Vec<Mutant>,
    per_fn: &mut BTreeMap<String, usize>,
    file: &str,
    func: &str,
    line: usize,
    op: Op,
    from: &str,
    to: &str,
    start: usize,
    end: usize,
    replacement: String,
) {
    // Sites are numbered per function; the two mutants of one `AcqRel`
    // share a number.
    let same_site = out.last().is_some_and(|m: &Mutant| m.start == start);
    let k = per_fn.entry(func.to_owned()).or_insert(0);
    if !same_site {
        *k += 1;
    }
    out.push(Mutant {
        id: format!("{file}:{func}#{k} {} {from}->{to}", op.name()),
        file: file.to_owned(),
        line,
        from: from.to_owned(),
        to: to.to_owned(),
        start,
        end,
        replacement,
    });
}

fn matching_paren(text: &str, mask: &[bool], from: usize) -> Option<usize> {
    let b = text.as_bytes();
    let open = (from..b.len()).find(|&k| mask[k] && b[k] == b'(')?;
    let mut depth = 0;
    for (k, &c) in b.iter().enumerate().skip(open) {
        if !mask[k] {
            continue;
        }
        match c {
            b'(' => depth += 1,
            b')' => {
                depth -= 1;
                if depth == 0 {
                    return Some(k);
                }
            }
            _ => {}
        }
    }
    None
}

/// The crate's source files, relative to its directory, with their text.
fn sources(dir: &Path) -> Result<Vec<(String, String)>> {
    let mut out = Vec::new();
    for f in rust_files(&dir.join("src")) {
        let rel = f.strip_prefix(dir)?.to_string_lossy().into_owned();
        out.push((rel, fs::read_to_string(&f)?));
    }
    Ok(out)
}

/// A hash of the code in the crate's `src/`: the report is for this code.
/// Comments and spacing are left out, so that rewording a comment does not
/// call for a new run (the table's line numbers are re-read at render).
fn src_hash(dir: &Path) -> Result<String> {
    let mut h = sha1_smol::Sha1::new();
    for (rel, text) in sources(dir)? {
        let mask = code_mask(&text);
        let code: String = text
            .char_indices()
            .filter(|(i, _)| mask[*i])
            .map(|(_, c)| c)
            .collect();
        let code = code.split_whitespace().collect::<Vec<_>>().join(" ");
        h.update(rel.as_bytes());
        h.update(&[0]);
        h.update(code.as_bytes());
        h.update(&[0]);
    }
    Ok(h.digest().to_string())
}

/// Every mutant of the crate in `dir`.
pub fn enumerate(dir: &Path) -> Result<Vec<Mutant>> {
    let mut all = Vec::new();
    for (rel, text) in sources(dir)? {
        all.extend(mutants_of(&rel, &text));
    }
    Ok(all)
}

fn crate_dir(root: &Path, name: &str) -> Result<PathBuf> {
    let dir = root.join("code").join(name);
    if !dir.join("Cargo.toml").is_file() {
        bail!("no crate code/{name}");
    }
    Ok(dir)
}

/// `cargo xtask mutants ARGS`.
pub fn main(root: &Path, args: &[String]) -> Result<()> {
    let mut krate = None;
    let mut list = false;
    let mut render_only = false;
    let mut only: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "-p" | "--package" => krate = it.next().cloned(),
            "--list" => list = true,
            "--render" => render_only = true,
            "--only" => only.extend(it.next().cloned()),
            other => bail!(
                "unknown option '{other}'\n\nusage: cargo xtask mutants -p CRATE [--list] [--render] [--only TEXT]"
            ),
        }
    }
    let Some(krate) = krate else {
        bail!("which crate? cargo xtask mutants -p CRATE");
    };
    let dir = crate_dir(root, &krate)?;
    let mutants = enumerate(&dir)?;
    if list {
        for m in &mutants {
            println!("{:>5}  {}", m.line, m.id);
        }
        println!("{} mutants", mutants.len());
        return Ok(());
    }
    if render_only {
        return write_report(root, &krate);
    }
    let chosen: Vec<&Mutant> = mutants
        .iter()
        .filter(|m| only.is_empty() || only.iter().any(|o| m.id.contains(o.as_str())))
        .collect();
    let mut results = run_all(root, &krate, &chosen)?;
    if !only.is_empty() {
        for r in &results {
            println!("{}  {}", r["outcome"], r["id"]);
        }
        // A partial run updates a report for the same code (after a new
        // test, say); with no such report there is nothing to update.
        let old: Option<Value> = fs::read_to_string(dir.join("mutants.json"))
            .ok()
            .and_then(|t| serde_json::from_str(&t).ok());
        let current = src_hash(&dir)?;
        let Some(old) = old.filter(|o| o["src_hash"].as_str() == Some(current.as_str())) else {
            println!("(no report for this code to update: run without --only to make one)");
            return Ok(());
        };
        let mut merged: Vec<Value> = old["mutants"].as_array().cloned().unwrap_or_default();
        for m in merged.iter_mut() {
            if let Some(new) = results.iter().find(|r| r["id"] == m["id"]) {
                *m = new.clone();
            }
        }
        results = merged;
        println!(
            "updated {} of {} entries in code/{krate}/mutants.json",
            chosen.len(),
            results.len()
        );
    }
    let data = json!({
        "crate": krate,
        "src_hash": src_hash(&dir)?,
        "date": util::today(),
        "loom_max_preemptions": 2,
        "seconds": results.iter().map(|r| r["seconds"].as_f64().unwrap_or(0.0)).sum::<f64>().round(),
        "mutants": results,
    });
    fs::write(
        dir.join("mutants.json"),
        serde_json::to_string_pretty(&data)? + "\n",
    )?;
    write_report(root, &krate)
}

/// A stage of testing: a name and the command, run in the work copy.
struct Stage {
    name: &'static str,
    cmd: Command,
    limit: Duration,
}

fn stages(work: &Path, target: &Path, krate: &str, has_loom: bool, miri: bool) -> Vec<Stage> {
    let mut out = Vec::new();
    if has_loom {
        let mut c = util::cargo();
        c.current_dir(work)
            .env("RUSTFLAGS", "--cfg loom")
            .env("LOOM_MAX_PREEMPTIONS", "2")
            .env("CARGO_TARGET_DIR", target.join("loom"))
            .args(["test", "--release", "-p", krate, "--test", "loom"]);
        out.push(Stage {
            name: "loom",
            cmd: c,
            limit: Duration::from_secs(900),
        });
    }
    let mut c = util::cargo();
    c.current_dir(work)
        .env("GOSYNC_WATCHDOG_SECS", "20")
        .env("CARGO_TARGET_DIR", target.join("test"))
        .args(["test", "-p", krate, "--lib", "--tests"]);
    out.push(Stage {
        name: "test",
        cmd: c,
        limit: Duration::from_secs(600),
    });
    if miri {
        let mut c = Command::new("cargo");
        c.current_dir(work)
            .env("CARGO_TARGET_DIR", target.join("miri"))
            .env("GOSYNC_WATCHDOG_SECS", "300")
            .args(["+nightly", "miri", "test", "-p", krate, "--lib", "--tests"]);
        out.push(Stage {
            name: "miri",
            cmd: c,
            limit: Duration::from_secs(1800),
        });
    }
    out
}

enum Outcome {
    Passed,
    Failed(String),
    NoBuild,
    TimedOut,
}

fn run_stage(stage: &mut Stage, log: &Path) -> Result<Outcome> {
    let out = fs::File::create(log)?;
    let err = out.try_clone()?;
    let mut child = stage
        .cmd
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .spawn()
        .with_context(|| format!("cannot run {}", util::describe(&stage.cmd)))?;
    let started = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break Some(s);
        }
        if started.elapsed() > stage.limit {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(200));
    };
    let mut text = String::new();
    fs::File::open(log)?.read_to_string(&mut text)?;
    Ok(match status {
        None => Outcome::TimedOut,
        Some(s) if s.success() => Outcome::Passed,
        Some(_) if text.contains("could not compile") || text.contains("error[E") => {
            Outcome::NoBuild
        }
        Some(_) => Outcome::Failed(what_failed(&text)),
    })
}

/// The failing test and the first line of its panic, from a test log.
fn what_failed(log: &str) -> String {
    let test = log
        .lines()
        .find_map(|l| {
            let l = l.trim();
            l.strip_prefix("test ")
                .and_then(|r| r.strip_suffix(" ... FAILED"))
                .map(str::to_owned)
        })
        .or_else(|| {
            log.lines().find_map(|l| {
                l.strip_prefix("---- ")
                    .and_then(|r| r.strip_suffix(" stdout ----"))
                    .map(str::to_owned)
            })
        });
    let why = log
        .lines()
        .skip_while(|l| !l.contains("panicked at"))
        .nth(1)
        .map(|l| l.trim().chars().take(140).collect::<String>())
        .or_else(|| {
            log.lines()
                .find(|l| l.contains("Undefined Behavior") || l.contains("error: "))
                .map(|l| l.trim().chars().take(140).collect())
        })
        .unwrap_or_default();
    match test {
        Some(t) => format!("{t}: {why}"),
        None => why,
    }
}

/// Copies the workspace (sources only) to `to`, fresh.
fn copy_workspace(root: &Path, to: &Path) -> Result<()> {
    if to.exists() {
        fs::remove_dir_all(to)?;
    }
    copy_tree(root, to, root)
}

fn copy_tree(from: &Path, to: &Path, root: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from)? {
        let entry = entry?;
        let path = entry.path();
        let name = entry.file_name();
        let skip = path == root.join("target")
            || path == root.join(".git")
            || path == root.join("book")
            || path == root.join(".workshop");
        if skip {
            continue;
        }
        if entry.file_type()?.is_dir() {
            copy_tree(&path, &to.join(&name), root)?;
        } else {
            fs::copy(&path, to.join(&name))?;
        }
    }
    Ok(())
}

fn run_all(root: &Path, krate: &str, mutants: &[&Mutant]) -> Result<Vec<Value>> {
    // A work copy per crate, so that two crates can be run at once.
    let base = root.join("target/mutants");
    let work = base.join("work").join(krate);
    let target = base.join("target");
    let logs = base.join("logs").join(krate);
    copy_workspace(root, &work)?;
    fs::create_dir_all(&logs)?;
    let dir = work.join("code").join(krate);
    let has_loom = dir.join("tests/loom.rs").is_file();
    let miri = util::has_unsafe(&dir);
    if miri {
        crate::tools::ensure_miri()?;
    }
    println!(
        "{} mutants of {krate}; stages: {}test{}",
        mutants.len(),
        if has_loom { "loom, " } else { "" },
        if miri { ", miri" } else { "" }
    );
    // The unmutated crate must pass every stage, or no kill means anything.
    for mut stage in stages(&work, &target, krate, has_loom, miri) {
        let t = Instant::now();
        let log = logs.join(format!("baseline-{}.log", stage.name));
        match run_stage(&mut stage, &log)? {
            Outcome::Passed => println!(
                "baseline {} passed in {:.0} s",
                stage.name,
                t.elapsed().as_secs_f64()
            ),
            _ => bail!(
                "the unmutated crate fails its {} stage; see {}",
                stage.name,
                log.display()
            ),
        }
    }
    let mut results = Vec::new();
    for (n, m) in mutants.iter().enumerate() {
        let path = dir.join(&m.file);
        let original = fs::read_to_string(&path)?;
        let mutated = format!(
            "{}{}{}",
            &original[..m.start],
            m.replacement,
            &original[m.end..]
        );
        fs::write(&path, mutated)?;
        let t = Instant::now();
        let mut outcome = ("survived".to_owned(), String::new(), String::new());
        for mut stage in stages(&work, &target, krate, has_loom, miri) {
            let log = logs.join(format!("{n:03}-{}.log", stage.name));
            match run_stage(&mut stage, &log)? {
                Outcome::Passed => continue,
                Outcome::Failed(why) => {
                    outcome = ("killed".into(), stage.name.into(), why);
                    break;
                }
                Outcome::NoBuild => {
                    outcome = (
                        "invalid".into(),
                        stage.name.into(),
                        "does not compile".into(),
                    );
                    break;
                }
                Outcome::TimedOut => {
                    outcome = (
                        "timeout".into(),
                        stage.name.into(),
                        format!("ran past {} s", stage.limit.as_secs()),
                    );
                    break;
                }
            }
        }
        fs::write(&path, original)?;
        let secs = t.elapsed().as_secs_f64();
        println!(
            "[{}/{}] {:<8} {:<5} {}  ({:.0} s) {}",
            n + 1,
            mutants.len(),
            outcome.0,
            outcome.1,
            m.id,
            secs,
            outcome.2
        );
        results.push(json!({
            "id": m.id,
            "file": m.file,
            "line": m.line,
            "from": m.from,
            "to": m.to,
            "outcome": outcome.0,
            "stage": outcome.1,
            "by": outcome.2,
            "seconds": secs.round(),
        }));
    }
    Ok(results)
}

fn explanations(dir: &Path) -> Result<BTreeMap<String, String>> {
    let path = dir.join("mutants.toml");
    if !path.is_file() {
        return Ok(BTreeMap::new());
    }
    let text = fs::read_to_string(&path)?;
    let table: toml::Table =
        toml::from_str(&text).with_context(|| format!("cannot parse {}", path.display()))?;
    let mut out = BTreeMap::new();
    if let Some(s) = table.get("survivors").and_then(|v| v.as_table()) {
        for (k, v) in s {
            out.insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
        }
    }
    Ok(out)
}

fn report_path(root: &Path, krate: &str) -> PathBuf {
    root.join("book/src").join(krate).join("mutants-report.md")
}

/// The book's table, from `mutants.json` and `mutants.toml`.
fn render(root: &Path, krate: &str) -> Result<String> {
    let dir = crate_dir(root, krate)?;
    let data: Value =
        serde_json::from_str(&fs::read_to_string(dir.join("mutants.json")).with_context(
            || format!("no report for {krate}: run cargo xtask mutants -p {krate}"),
        )?)?;
    let why = explanations(&dir)?;
    let lines: BTreeMap<String, usize> = enumerate(&dir)?
        .into_iter()
        .map(|m| (m.id, m.line))
        .collect();
    let ms = data["mutants"].as_array().cloned().unwrap_or_default();
    let count = |o: &str| ms.iter().filter(|m| m["outcome"] == o).count();
    let mut s = String::new();
    s.push_str(&format!(
        "<!-- Generated by `cargo xtask mutants -p {krate}`; do not edit. Reasons for survivors: code/{krate}/mutants.toml -->\n\n"
    ));
    s.push_str(&format!(
        "{} mutants of `{krate}` ({}): **{} killed**, {} survived, {} timed out, {} did not compile. \
         Run took {} s on the project's 2-core machine, loom at LOOM_MAX_PREEMPTIONS={}.\n\n",
        ms.len(),
        data["date"].as_str().unwrap_or("?"),
        count("killed"),
        count("survived"),
        count("timeout"),
        count("invalid"),
        data["seconds"],
        data["loom_max_preemptions"]
    ));
    s.push_str("| where | ordering | weakened to | result | caught by, or why nothing can |\n");
    s.push_str("| --- | --- | --- | --- | --- |\n");
    for m in &ms {
        let id = m["id"].as_str().unwrap_or_default();
        let place = id.split(' ').next().unwrap_or(id);
        let outcome = m["outcome"].as_str().unwrap_or_default();
        let detail = match outcome {
            "killed" => format!(
                "{}: {}",
                m["stage"].as_str().unwrap_or_default(),
                m["by"].as_str().unwrap_or_default()
            ),
            "survived" => why
                .get(id)
                .cloned()
                .unwrap_or_else(|| "**not explained**".into()),
            _ => m["by"].as_str().unwrap_or_default().to_owned(),
        };
        s.push_str(&format!(
            "| `{place}` (line {}) | `{}` | `{}` | {outcome} | {} |\n",
            lines.get(id).copied().unwrap_or_default(),
            m["from"].as_str().unwrap_or_default(),
            m["to"].as_str().unwrap_or_default(),
            detail.replace('|', "\\|").replace('\n', " ")
        ));
    }
    Ok(s)
}

fn write_report(root: &Path, krate: &str) -> Result<()> {
    let text = render(root, krate)?;
    let path = report_path(root, krate);
    fs::write(&path, text)?;
    println!("wrote {}", path.strip_prefix(root)?.display());
    Ok(())
}

/// For `cargo xtask test`: each committed report is current, complete and
/// rendered. Returns one line per problem.
pub fn check_reports(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    for entry in fs::read_dir(root.join("code"))? {
        let dir = entry?.path();
        let json_path = dir.join("mutants.json");
        if !json_path.is_file() {
            continue;
        }
        let krate = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let data: Value = serde_json::from_str(&fs::read_to_string(&json_path)?)
            .with_context(|| format!("cannot parse {}", json_path.display()))?;
        if data["src_hash"].as_str() != Some(src_hash(&dir)?.as_str()) {
            problems.push(format!(
                "code/{krate}/mutants.json is for other sources than code/{krate}/src now: \
                 run `cargo xtask mutants -p {krate}` again"
            ));
            continue;
        }
        let why = explanations(&dir)?;
        for m in data["mutants"].as_array().into_iter().flatten() {
            let id = m["id"].as_str().unwrap_or_default();
            if m["outcome"] != "killed" && m["outcome"] != "invalid" && !why.contains_key(id) {
                problems.push(format!(
                    "code/{krate}: mutant `{id}` {} and code/{krate}/mutants.toml does not say why",
                    m["outcome"].as_str().unwrap_or_default()
                ));
            }
        }
        let rendered = render(root, &krate)?;
        let path = report_path(root, &krate);
        if fs::read_to_string(&path).ok().as_deref() != Some(rendered.as_str()) {
            problems.push(format!(
                "{} is not what the data renders: run `cargo xtask mutants -p {krate} --render`",
                path.strip_prefix(root)?.display()
            ));
        }
    }
    Ok(problems)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_operations() {
        let src = "use std::sync::atomic::Ordering::{Acquire, Release};\n\
            fn f(a: &AtomicU32) {\n\
                // a.load(Acquire) in a comment\n\
                a.load(Acquire);\n\
                a.store(1, Ordering::SeqCst);\n\
                a.compare_exchange(0, 1, AcqRel, Acquire).ok();\n\
                std::sync::atomic::fence(SeqCst);\n\
                a.fetch_add(1, Relaxed);\n\
            }\n";
        let ids: Vec<String> = mutants_of("x.rs", src).into_iter().map(|m| m.id).collect();
        assert_eq!(
            ids,
            [
                "x.rs:f#1 load Acquire->Relaxed",
                "x.rs:f#2 store SeqCst->Release",
                "x.rs:f#3 rmw AcqRel->Acquire",
                "x.rs:f#3 rmw AcqRel->Release",
                "x.rs:f#4 cas-failure Acquire->Relaxed",
                "x.rs:f#5 fence SeqCst->(removed)",
            ]
        );
    }

    #[test]
    fn replacements_compile_shapes() {
        let src = "fn g(a: &A) { a.load(Ordering::Acquire); a.swap(1, SeqCst); fence(Release); }";
        let ms = mutants_of("y.rs", src);
        let apply = |m: &Mutant| format!("{}{}{}", &src[..m.start], m.replacement, &src[m.end..]);
        assert!(apply(&ms[0]).contains("a.load(Ordering::Relaxed)"));
        assert!(apply(&ms[1]).contains("a.swap(1, std::sync::atomic::Ordering::AcqRel)"));
        assert!(apply(&ms[2]).contains("{ a.load(Ordering::Acquire); a.swap(1, SeqCst); (); }"));
    }
}
