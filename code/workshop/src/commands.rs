//! The workshop's commands.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};

use crate::cargo::{self, Build, Flavor, Run};
use crate::catalog::{self, Exercise};
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
    let (outcome, _) = cargo::run(&exes, &ex.dir, flavor, limit, false)?;
    match outcome {
        Run::Passed => Ok(true),
        Run::Failed => {
            println!(
                "\n✗ {}: some tests fail (above). `cargo workshop hint {}` gives a hint.",
                ex.name, ex.name
            );
            Ok(false)
        }
        Run::TimedOut => {
            println!(
                "\n✗ {}: timed out after {} s: likely a deadlock or livelock in your code.",
                ex.name,
                limit.as_secs()
            );
            Ok(false)
        }
    }
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

pub fn verify(root: &Path, all: &[Exercise], limit: Duration) -> Result<bool> {
    let mut problems = Vec::new();
    for ex in all {
        println!("verifying {}", ex.name);
        problems.extend(
            verify_one(root, ex, limit)?
                .into_iter()
                .map(|p| format!("{}: {p}", ex.name)),
        );
    }
    if problems.is_empty() {
        println!(
            "\nverify: all {} exercises fail unsolved and pass solved",
            all.len()
        );
        Ok(true)
    } else {
        println!("\nverify found {} problem(s):", problems.len());
        for p in &problems {
            println!("  - {p}");
        }
        Ok(false)
    }
}

fn verify_one(root: &Path, ex: &Exercise, limit: Duration) -> Result<Vec<String>> {
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
    if !root.join("book/src").join(&ex.meta.read_next).is_file() {
        problems.push(format!(
            "read_next names a missing page: book/src/{}",
            ex.meta.read_next
        ));
    }
    problems.extend(solution_shares_tests(ex)?);

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

    // The pristine exercise compiles, and its tests fail.
    match cargo::build(root, &ex.name, Flavor::Plain, &ex.dir, true)? {
        Build::Failed(errors) => problems.push(format!(
            "the pristine exercise does not compile:\n{}",
            errors.first().map(String::as_str).unwrap_or("")
        )),
        Build::Built(exes) => {
            let (outcome, _) = cargo::run(&exes, &ex.dir, Flavor::Plain, limit, true)?;
            match outcome {
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
    for &flavor in flavors {
        let what = if flavor == Flavor::Loom {
            "loom model"
        } else {
            "tests"
        };
        match cargo::build(root, &package, flavor, &ex.solution_dir, true)? {
            Build::Failed(errors) => problems.push(format!(
                "the solution's {what} do not compile:\n{}",
                errors.first().map(String::as_str).unwrap_or("")
            )),
            Build::Built(exes) => {
                let (outcome, output) = cargo::run(&exes, &ex.solution_dir, flavor, limit, true)?;
                match outcome {
                    Run::Passed => println!("  solution: {what} pass"),
                    Run::Failed => problems.push(format!(
                        "the solution fails its {what}:\n{}",
                        tail(&output, 40)
                    )),
                    Run::TimedOut => problems.push(format!(
                        "the solution's {what} timed out after {} s",
                        limit.as_secs()
                    )),
                }
            }
        }
    }
    Ok(problems)
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
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let backup = state::dir(root)
        .join("backups")
        .join(&ex.name)
        .join(stamp.to_string());
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
