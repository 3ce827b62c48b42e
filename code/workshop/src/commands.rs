//! The workshop's commands.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::cargo::{self, Build, Flavor, Run};
use crate::catalog::{self, Exercise};
use crate::mutants;
use crate::state::{self, Checked};

/// How many compiler errors `check` shows at once: the first is the one to fix.
const MAX_ERRORS: usize = 3;

pub fn list(root: &Path, all: &[Exercise]) -> bool {
    let st = state::load(root);
    let mut solved = 0;
    println!("{:>3}  {:<22} {:<10} goal", "ch", "exercise", "status");
    for ex in all {
        let status = status_of(ex, &st);
        solved += usize::from(status == "solved");
        println!(
            "{:>3}  {:<22} {:<10} {}",
            ex.meta.chapter, ex.name, status, ex.meta.goal
        );
    }
    let width = 30;
    let filled = (solved * width).checked_div(all.len()).unwrap_or(0);
    println!(
        "\n[{}{}] {solved}/{} solved",
        "#".repeat(filled),
        "-".repeat(width - filled),
        all.len()
    );
    if let Some(next) = all.iter().find(|e| status_of(e, &st) != "solved") {
        println!("next: cargo workshop check {}", next.name);
    }
    true
}

/// `untouched`, `solved`, `failing`, or `edited` (changed since the last check).
fn status_of(ex: &Exercise, st: &state::State) -> &'static str {
    if ex.untouched() {
        return "untouched";
    }
    match st.checks.get(&ex.name) {
        Some(c) if c.fingerprint == ex.fingerprint() => {
            if c.passed {
                "solved"
            } else {
                "failing"
            }
        }
        _ => "edited",
    }
}

/// Fails with one sentence if files the exercise needs are gone.
fn ensure_intact(ex: &Exercise) -> Result<()> {
    let missing: Vec<&String> = ex
        .meta
        .pristine
        .keys()
        .filter(|rel| !ex.dir.join(rel).is_file())
        .collect();
    if !missing.is_empty() {
        let list: Vec<&str> = missing.iter().map(|s| s.as_str()).collect();
        bail!(
            "exercise directory exercises/{} is damaged: {} missing; `cargo workshop reset {}` restores it",
            ex.name,
            list.join(", "),
            ex.name
        );
    }
    Ok(())
}

pub fn check(root: &Path, ex: &Exercise, limit: Duration) -> Result<bool> {
    ensure_intact(ex)?;
    let tampered: Vec<String> = ex
        .changed_files()
        .into_iter()
        .filter(|f| !f.starts_with("src/"))
        .collect();
    if !tampered.is_empty() {
        println!(
            "note: you changed {} in exercises/{}; the checks use the files as they are now \
             (`cargo workshop reset {}` restores the originals, after a backup)",
            tampered.join(", "),
            ex.name,
            ex.name
        );
    }
    let fingerprint = ex.fingerprint();
    println!("checking {}: {}", ex.name, ex.meta.goal);
    let passed = check_flavor(root, ex, Flavor::Plain, limit)?
        && (!ex.has_loom() || {
            println!(
                "\nthe plain tests pass; now the loom model (every interleaving of its threads)"
            );
            if !cargo::loom_is_built(root) {
                println!(
                    "note: this is the first loom build: it compiles loom and the exercise's \
                     crates in release mode with `--cfg loom`, into {}, and takes a few \
                     minutes; later checks reuse it",
                    shown(root, &cargo::loom_target_dir(root))
                );
            }
            check_flavor(root, ex, Flavor::Loom, limit)?
        });
    let mut st = state::load(root);
    st.checks.insert(
        ex.name.clone(),
        Checked {
            fingerprint,
            passed,
        },
    );
    state::save(root, &st)?;
    if passed {
        println!(
            "\n✓ {} is solved: its tests{} pass.",
            ex.name,
            if ex.has_loom() {
                " and its loom model"
            } else {
                ""
            }
        );
        let page = ex.meta.read_next.trim_end_matches(".md");
        println!(
            "read next: book/src/{} (served by `cargo xtask book` at http://localhost:3000/{page}.html)",
            ex.meta.read_next
        );
    }
    Ok(passed)
}

/// `path` from the workspace root, for messages.
fn shown(root: &Path, path: &Path) -> String {
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

fn check_flavor(root: &Path, ex: &Exercise, flavor: Flavor, limit: Duration) -> Result<bool> {
    let exes = match cargo::build(root, &ex.name, flavor, &ex.dir, false)? {
        Build::Built(exes) => exes,
        Build::Failed(errors) => {
            println!("\n✗ {} does not compile yet:\n", ex.name);
            for e in errors.iter().take(MAX_ERRORS) {
                println!("{e}");
            }
            if errors.len() > MAX_ERRORS {
                println!(
                    "… and {} more; fix the first one first.",
                    errors.len() - MAX_ERRORS
                );
            }
            return Ok(false);
        }
    };
    let report = cargo::run(
        &exes,
        &ex.dir,
        cargo::RunOptions {
            flavor,
            limit,
            quiet: false,
            stop_at_failure: false,
        },
    )?;
    match report.outcome {
        Run::Passed => Ok(true),
        Run::Failed => {
            println!("\n{}", explain_failure(ex, flavor, &report));
            Ok(false)
        }
        Run::TimedOut => {
            let during = report
                .running
                .as_deref()
                .map(|t| format!(" while `{t}` was running"))
                .unwrap_or_default();
            println!(
                "\n✗ {}: timed out after {} s{during}: likely a deadlock or livelock in your code.",
                ex.name,
                limit.as_secs()
            );
            if let Some(f) = report.failures.first() {
                println!("  (before that, `{}` failed: {})", f.test, f.message);
            }
            println!("  `cargo workshop hint {}` gives a hint.", ex.name);
            Ok(false)
        }
    }
}

/// What a failed run means, for the learner: which test, its message, and
/// for a loom model what that kind of failure usually comes from.
fn explain_failure(ex: &Exercise, flavor: Flavor, report: &cargo::Report) -> String {
    let hint = format!("`cargo workshop hint {}` gives a hint.", ex.name);
    let Some(first) = report.first_real_failure().or(report.failures.first()) else {
        return format!("✗ {}: the tests fail (above). {hint}", ex.name);
    };
    let more = match report.failures.len() {
        0 | 1 => String::new(),
        n => format!(" ({} more failed too, above)", n - 1),
    };
    let why = match first.kind {
        cargo::Kind::Watchdog => "\n  It hung: no thread made progress for the watchdog's time. \
             Likely a deadlock (a lock that is never released, a waiter nobody wakes) \
             or a livelock (a loop that waits for a value nobody writes)."
            .to_owned(),
        cargo::Kind::LoomCausality => {
            "\n  loom found an interleaving in which one thread reads (or \
             writes) data that another wrote, with nothing ordering the two: this usually \
             means an ordering is too weak (a `Relaxed` where an `Acquire` or a `Release` \
             belongs), or that data is read before the operation that makes it yours."
                .to_owned()
        }
        cargo::Kind::LoomDeadlock => {
            "\n  loom found an interleaving in which every thread waits and \
             none can go on: this usually means a missing wake-up (an unlock that does not \
             wake a waiter, or a waiter that goes to sleep after its wake-up was sent)."
                .to_owned()
        }
        cargo::Kind::LoomLivelock => "\n  loom's exploration did not end: in some interleaving a \
             thread loops forever (a livelock), waiting for a value no other thread will write."
            .to_owned(),
        cargo::Kind::LoomUnderExplored => {
            "\n  The model ran, and no assertion in it failed, but loom explored fewer \
             interleavings than the model is meant to: your code takes fewer steps on the \
             shared state than the model expects. A fix that passes the plain tests can do \
             that by skipping a step the race needs (or, rarely, the floor is too high for a \
             correct fix: then say so to the workshop's maintainers)."
                .to_owned()
        }
        cargo::Kind::Assertion if flavor == Flavor::Loom => {
            "\n  An assertion inside the model failed \
             in one of the interleavings loom tried: read its message first. Two threads \
             interleaved in an order your code does not handle: a look-then-act that \
             should be one compare-and-swap, a check not repeated after waiting or after \
             a failed CAS, a missing wake-up; or an ordering too weak, so a thread saw an \
             old value."
                .to_owned()
        }
        cargo::Kind::Miri => "\n  Miri found undefined behaviour: most often a data race, \
             that is, an ordering too weak to order a write before a read."
            .to_owned(),
        cargo::Kind::Crash => "\n  The test process died (an abort: the code itself found its \
             state impossible)."
            .to_owned(),
        cargo::Kind::Assertion => String::new(),
    };
    let what = match flavor {
        Flavor::Loom => "the loom model",
        Flavor::Plain => "test",
    };
    format!(
        "✗ {}: {what} `{}` failed: {}{more}{why}\n  {hint}",
        ex.name, first.test, first.message
    )
}

pub fn hint(root: &Path, ex: &Exercise, level: Option<usize>) -> Result<bool> {
    let hints = ex.hints()?;
    if hints.is_empty() {
        bail!("exercises/{}/HINTS.md has no `## Hint` sections", ex.name);
    }
    let mut st = state::load(root);
    let shown = st.hints_shown.get(&ex.name).copied().unwrap_or(0);
    let k = match level {
        Some(k) if k > hints.len() => {
            bail!(
                "{} has {} hints; ask for one from 1 to {}",
                ex.name,
                hints.len(),
                hints.len()
            )
        }
        Some(k) => k,
        None => (shown + 1).min(hints.len()),
    };
    println!(
        "hint {k} of {} for {}:\n\n{}\n",
        hints.len(),
        ex.name,
        hints[k - 1]
    );
    if k < hints.len() {
        println!("(`cargo workshop hint {}` again for the next one)", ex.name);
    } else {
        println!(
            "(that was the last hint; the solution is in solutions/{})",
            ex.name
        );
    }
    st.hints_shown.insert(ex.name.clone(), shown.max(k));
    state::save(root, &st)?;
    Ok(true)
}

pub fn watch(
    root: &Path,
    all: &[Exercise],
    chosen: Option<&Exercise>,
    limit: Duration,
) -> Result<bool> {
    let st = state::load(root);
    let ex = match chosen {
        Some(ex) => ex,
        None => all
            .iter()
            .find(|e| status_of(e, &st) != "solved")
            .or(all.first())
            .context("there are no exercises")?,
    };
    loop {
        let seen = stamp(&ex.dir);
        if let Err(err) = check(root, ex, limit) {
            println!("error: {err:#}");
        }
        println!(
            "\nwatching exercises/{} for changes (Ctrl-C to stop)…",
            ex.name
        );
        while stamp(&ex.dir) == seen {
            thread::sleep(Duration::from_millis(300));
        }
        println!("\n{}", "─".repeat(60));
    }
}

/// The newest modification time of any file under `dir`.
fn stamp(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if let Ok(t) = entry.metadata().and_then(|m| m.modified()) {
                newest = newest.max(Some(t));
            }
        }
    }
    newest
}

/// Every exercise keeps at least this many mutants.
const MIN_MUTANTS: usize = 3;

pub fn verify(root: &Path, all: &[Exercise], limit: Duration) -> Result<bool> {
    let started = Instant::now();
    let mut problems = Vec::new();
    let mut scratch = None;
    let mut mutants = 0;
    let mut unchecked = 0;
    for ex in all {
        println!("verifying {}", ex.name);
        let t = Instant::now();
        problems.extend(
            verify_one(root, ex, limit, &mut scratch, &mut mutants, &mut unchecked)?
                .into_iter()
                .map(|p| format!("{}: {p}", ex.name)),
        );
        println!("  ({:.0} s)", t.elapsed().as_secs_f64());
    }
    let secs = started.elapsed().as_secs_f64();
    if unchecked > 0 {
        println!(
            "\nwarning: {unchecked} mutant(s) only Miri can catch were NOT checked: Miri is not \
             installed (`rustup toolchain install nightly --component miri`)"
        );
    }
    if problems.is_empty() {
        println!(
            "\nverify: all {} exercises fail unsolved and pass solved, and {} of their {mutants} \
             mutants are caught ({secs:.0} s)",
            all.len(),
            mutants - unchecked
        );
        Ok(true)
    } else {
        println!(
            "\nverify found {} problem(s) ({secs:.0} s):",
            problems.len()
        );
        for p in &problems {
            println!("  - {p}");
        }
        Ok(false)
    }
}

fn verify_one(
    root: &Path,
    ex: &Exercise,
    limit: Duration,
    scratch: &mut Option<mutants::Scratch>,
    mutant_count: &mut usize,
    unchecked: &mut usize,
) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    // The shape: a goal, a TODO, hints, and a solution that runs these tests.
    if ex.meta.goal.trim().is_empty() {
        problems.push("exercise.toml has an empty goal".to_owned());
    }
    let lib = fs::read_to_string(ex.dir.join("src/lib.rs")).unwrap_or_default();
    if !lib.contains("TODO(exercise)") {
        problems.push("src/lib.rs has no `// TODO(exercise):` hole".to_owned());
    }
    if ex.hints().map(|h| h.is_empty()).unwrap_or(true) {
        problems.push("HINTS.md has no hints".to_owned());
    }
    problems.extend(pages_in_order(root, ex));
    problems.extend(solution_shares_tests(ex)?);
    if ex.meta.mutants.len() < MIN_MUTANTS {
        problems.push(format!(
            "solutions/{}/mutants.toml lists {} mutant(s); list at least {MIN_MUTANTS} plausible \
             wrong answers as [[mutant]] tables (a weakened ordering, a missing check, two \
             steps in the wrong order, …)",
            ex.name,
            ex.meta.mutants.len()
        ));
    }

    // Pristine means pristine: a learner's edits must not hide a toothless test.
    let changed = ex.changed_files();
    if !changed.is_empty() {
        let fixes: Vec<String> = changed
            .iter()
            .map(|rel| {
                let id =
                    catalog::blob_id_of(&ex.dir.join(rel)).unwrap_or_else(|| "<missing>".into());
                format!("\"{rel}\" = \"{id}\"")
            })
            .collect();
        problems.push(format!(
            "{} differ from the pristine copy named in exercise.toml; verify only judges \
             pristine exercises (a learner: your work is safe, run verify on a clean checkout; \
             a maintainer who changed the exercise: commit it and run `cargo xtask pristine`, which records {})",
            changed.join(", "),
            fixes.join(", ")
        ));
        return Ok(problems);
    }

    let quick = |flavor| cargo::RunOptions {
        flavor,
        limit,
        quiet: true,
        stop_at_failure: true,
    };
    // The pristine exercise compiles, and its tests fail.
    match cargo::build(root, &ex.name, Flavor::Plain, &ex.dir, true)? {
        Build::Failed(errors) => problems.push(format!(
            "the pristine exercise does not compile:\n{}",
            errors.first().map(String::as_str).unwrap_or("")
        )),
        Build::Built(exes) => {
            let report = cargo::run(&exes, &ex.dir, quick(Flavor::Plain))?;
            match report.outcome {
                Run::Passed => problems
                    .push("the pristine exercise passes its tests: they do not bite".to_owned()),
                Run::Failed => println!("  pristine: fails, as it should"),
                Run::TimedOut => println!("  pristine: fails (timed out), as it should"),
            }
        }
    }

    // The solution passes the very same tests, and the loom model.
    let package = ex.solution_package();
    let flavors: &[Flavor] = if ex.has_loom() {
        &[Flavor::Plain, Flavor::Loom]
    } else {
        &[Flavor::Plain]
    };
    let mut solution_passes = true;
    for &flavor in flavors {
        let what = if flavor == Flavor::Loom {
            "loom model"
        } else {
            "tests"
        };
        if flavor == Flavor::Loom && !cargo::loom_is_built(root) {
            println!("  (the first loom build compiles loom in release mode: a few minutes)");
        }
        match cargo::build(root, &package, flavor, &ex.solution_dir, true)? {
            Build::Failed(errors) => {
                solution_passes = false;
                problems.push(format!(
                    "the solution's {what} do not compile:\n{}",
                    errors.first().map(String::as_str).unwrap_or("")
                ));
            }
            Build::Built(exes) => {
                let report = cargo::run(
                    &exes,
                    &ex.solution_dir,
                    cargo::RunOptions {
                        stop_at_failure: false,
                        ..quick(flavor)
                    },
                )?;
                match report.outcome {
                    Run::Passed => println!("  solution: {what} pass"),
                    Run::Failed => {
                        solution_passes = false;
                        problems.push(format!(
                            "the solution fails its {what}:\n{}",
                            tail(&report.output, 40)
                        ));
                    }
                    Run::TimedOut => {
                        solution_passes = false;
                        problems.push(format!(
                            "the solution's {what} timed out after {} s{}",
                            limit.as_secs(),
                            report
                                .running
                                .map(|t| format!(", in `{t}`"))
                                .unwrap_or_default()
                        ));
                    }
                }
            }
        }
    }

    // Each wrong answer fails: by a test's assertion or a model, in time.
    if ex.meta.mutants.is_empty() {
        return Ok(problems);
    }
    if !solution_passes {
        problems.push("its mutants were not run: the solution itself does not pass".to_owned());
        return Ok(problems);
    }
    if scratch.is_none() {
        *scratch = Some(mutants::Scratch::new(root)?);
    }
    let scratch = scratch.as_mut().expect("made above");
    scratch.sync()?;
    let miri_ready = if ex.meta.miri_tests.is_empty() {
        None
    } else {
        Some(scratch.miri_baseline(ex, limit)?)
    };
    if let Some(Err(why)) = &miri_ready {
        problems.push(why.clone());
    }
    for m in &ex.meta.mutants {
        *mutant_count += 1;
        let t = Instant::now();
        let verdict = match scratch.run(
            ex,
            m,
            limit,
            miri_ready.as_ref().and_then(|r| r.as_ref().ok()).copied(),
        ) {
            Ok(v) => v,
            Err(err) => {
                problems.push(format!("mutant '{}': {err:#}", m.name));
                println!("  mutant '{}': {err:#}", m.name);
                continue;
            }
        };
        println!(
            "  mutant '{}': {} ({:.0} s)",
            m.name,
            verdict,
            t.elapsed().as_secs_f64()
        );
        if verdict == mutants::Verdict::NeedsMiri {
            // Not a failure of the exercise: of this machine, which lacks
            // Miri. Said loudly at the end.
            *unchecked += 1;
        } else if !verdict.is_caught() {
            problems.push(format!("mutant '{}' is not caught: {verdict}", m.name));
        }
    }
    Ok(problems)
}

/// The exercise's page exists, and `read_next` is the page after it.
fn pages_in_order(root: &Path, ex: &Exercise) -> Vec<String> {
    let mut problems = Vec::new();
    let src = root.join("book/src");
    for (key, page) in [("page", &ex.meta.page), ("read_next", &ex.meta.read_next)] {
        if !src.join(page).is_file() {
            problems.push(format!("{key} names a missing page: book/src/{page}"));
        }
    }
    let Ok(summary) = fs::read_to_string(src.join("SUMMARY.md")) else {
        problems.push("cannot read book/src/SUMMARY.md".to_owned());
        return problems;
    };
    let pages = catalog::book_pages(&summary);
    match catalog::page_after(&pages, &ex.meta.page) {
        Some(next) if next == ex.meta.read_next => {}
        Some(next) => problems.push(format!(
            "read_next is {}, but the page after the exercise's page ({}) is {next}: \
             the learner has just read {}",
            ex.meta.read_next, ex.meta.page, ex.meta.page
        )),
        None => problems.push(format!(
            "the exercise's page {} is not in book/src/SUMMARY.md, or is its last page",
            ex.meta.page
        )),
    }
    problems
}

/// The solution must run the exercise's test files by path, every one of them.
fn solution_shares_tests(ex: &Exercise) -> Result<Vec<String>> {
    let manifest = ex.solution_dir.join("Cargo.toml");
    let Ok(text) = fs::read_to_string(&manifest) else {
        return Ok(vec![format!("no solution at solutions/{}", ex.name)]);
    };
    let doc: toml::Table =
        toml::from_str(&text).with_context(|| format!("{} does not parse", manifest.display()))?;
    let declared: Vec<PathBuf> = doc
        .get("test")
        .and_then(|t| t.as_array())
        .into_iter()
        .flatten()
        .filter_map(|t| t.get("path").and_then(|p| p.as_str()))
        .filter_map(|p| ex.solution_dir.join(p).canonicalize().ok())
        .collect();
    let mut problems = Vec::new();
    for entry in fs::read_dir(ex.dir.join("tests"))?.flatten() {
        let path = entry.path().canonicalize()?;
        if path.extension().is_some_and(|e| e == "rs") && !declared.contains(&path) {
            problems.push(format!(
                "solutions/{}/Cargo.toml does not run tests/{} (add a [[test]] with its path)",
                ex.name,
                entry.file_name().to_string_lossy()
            ));
        }
    }
    Ok(problems)
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

pub fn reset(root: &Path, ex: &Exercise) -> Result<bool> {
    let changed = ex.changed_files();
    if changed.is_empty() {
        println!("exercises/{} is already pristine; nothing to do", ex.name);
        return Ok(true);
    }
    // Fetch every pristine file before touching anything.
    let mut restored = Vec::new();
    for rel in &changed {
        let blob = &ex.meta.pristine[rel];
        let out = Command::new("git")
            .current_dir(root)
            .args(["cat-file", "blob", blob])
            .output();
        match out {
            Ok(o) if o.status.success() => restored.push((rel, o.stdout)),
            Ok(_) => bail!(
                "cannot find the pristine {rel} (git blob {blob}) in this checkout's history; \
                 nothing was changed"
            ),
            Err(_) => bail!("reset needs git, and `git` cannot be run here; nothing was changed"),
        }
    }
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let folder = state::dir(root).join("backups").join(&ex.name);
    let stamp = utc_stamp(secs);
    // Two resets in one second: the second gets `-2`, and so on.
    let backup = (1..)
        .map(|n| {
            if n == 1 {
                folder.join(&stamp)
            } else {
                folder.join(format!("{stamp}-{n}"))
            }
        })
        .find(|p| !p.exists())
        .expect("some name is free");
    for (rel, _) in &restored {
        let current = ex.dir.join(rel);
        if current.is_file() {
            let saved = backup.join(rel);
            fs::create_dir_all(saved.parent().expect("a file path has a parent"))?;
            fs::copy(&current, &saved).with_context(|| {
                format!("cannot back up {}; nothing was restored", current.display())
            })?;
        }
    }
    for (rel, content) in &restored {
        let target = ex.dir.join(rel);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent)?;
        }
        fs::write(&target, content)
            .with_context(|| format!("cannot write {}", target.display()))?;
    }
    let shown = backup
        .strip_prefix(root)
        .unwrap_or(&backup)
        .display()
        .to_string();
    println!("saved your version of {} to {shown}/", changed.join(", "));
    println!("restored the pristine exercises/{}", ex.name);
    let mut st = state::load(root);
    st.checks.remove(&ex.name);
    state::save(root, &st)?;
    Ok(true)
}

/// `secs` since the Unix epoch as a UTC date and time that sorts and is a
/// valid file name everywhere: `2026-12-02T01-30-00Z`.
pub fn utc_stamp(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}-{:02}-{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// The proleptic Gregorian date of a day count from 1970-01-01 (Howard
/// Hinnant's `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backup_names_are_utc_dates_and_times() {
        assert_eq!(utc_stamp(0), "1970-01-01T00-00-00Z");
        // `date -u -d @1796175000 +%FT%H-%M-%SZ`
        assert_eq!(utc_stamp(1_796_175_000), "2026-12-02T01-30-00Z");
        // A leap day, and the last second of a year.
        assert_eq!(utc_stamp(951_782_400), "2000-02-29T00-00-00Z");
        assert_eq!(utc_stamp(1_767_225_599), "2025-12-31T23-59-59Z");
    }
}
