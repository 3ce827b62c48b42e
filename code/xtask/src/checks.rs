//! `cargo xtask test`: every check, in CI's order, each step timed.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};

use crate::util::{self, run};
use crate::{book, browser, tools};

pub struct Step {
    pub name: &'static str,
    pub what: &'static str,
    action: fn(&Path) -> Result<()>,
}

pub const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        what: "cargo fmt --check",
        action: fmt,
    },
    Step {
        name: "clippy",
        what: "cargo clippy --workspace --all-targets -- -D warnings",
        action: clippy,
    },
    Step {
        name: "test",
        what: "cargo test (every crate but the unsolved exercises)",
        action: test,
    },
    Step {
        name: "32-bit",
        what: "cargo check of the chapter crates for i686-unknown-linux-gnu",
        action: check_32_bit,
    },
    Step {
        name: "book",
        what: "build the book with the pinned tools (into target/book-test); check includes, pasted code, titles, links, Go links at go1.23.5 (pages and the crates' doc comments), exercise holes only in solution folds, the kept Mermaid scripts, a clean copy with plain mdbook, the sidebar, mutant reports",
        action: book_step,
    },
    Step {
        name: "snippets",
        what: "compile and run the book's standalone snippets (skeptic)",
        action: snippets,
    },
    Step {
        name: "browser",
        what: "headless Chromium: titles, Mermaid diagrams, JavaScript errors, search",
        action: browser_step,
    },
    Step {
        name: "workshop",
        what: "cargo workshop verify: each exercise fails pristine and passes solved",
        action: workshop,
    },
    Step {
        name: "loom",
        what: "loom models (--cfg loom, release, LOOM_MAX_PREEMPTIONS=2)",
        action: loom,
    },
    Step {
        name: "miri",
        what: "Miri on every crate with unsafe code",
        action: miri,
    },
    Step {
        name: "bench",
        what: "cargo bench --no-run, for the crates with benchmarks",
        action: bench,
    },
];

pub fn run_steps(root: &Path, only: &[String]) -> Result<()> {
    for name in only {
        if !STEPS.iter().any(|s| s.name == name) {
            let names: Vec<&str> = STEPS.iter().map(|s| s.name).collect();
            bail!(
                "no step named '{name}'; the steps are: {}",
                names.join(", ")
            );
        }
    }
    let chosen: Vec<&Step> = STEPS
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|o| o == s.name))
        .collect();
    let started = Instant::now();
    let mut times: Vec<(&str, Duration, bool)> = Vec::new();
    for (i, step) in chosen.iter().enumerate() {
        println!(
            "\n==> [{}/{}] {}: {}",
            i + 1,
            chosen.len(),
            step.name,
            step.what
        );
        let t = Instant::now();
        let result = (step.action)(root);
        let took = t.elapsed();
        times.push((step.name, took, result.is_ok()));
        match &result {
            Ok(()) => println!("<== {} passed in {:.1} s", step.name, took.as_secs_f64()),
            Err(e) => println!(
                "<== {} FAILED in {:.1} s: {e:#}",
                step.name,
                took.as_secs_f64()
            ),
        }
        if result.is_err() {
            summary(&times, started.elapsed());
            let skipped: Vec<&str> = chosen[i + 1..].iter().map(|s| s.name).collect();
            if !skipped.is_empty() {
                println!("not run after the failure: {}", skipped.join(", "));
            }
            return result;
        }
    }
    summary(&times, started.elapsed());
    Ok(())
}

fn summary(times: &[(&str, Duration, bool)], total: Duration) {
    println!("\nstep        time    result");
    for (name, took, ok) in times {
        println!(
            "{name:<10} {:>6.1} s  {}",
            took.as_secs_f64(),
            if *ok { "ok" } else { "FAILED" }
        );
    }
    println!("{:<10} {:>6.1} s", "total", total.as_secs_f64());
    let passed = times.iter().filter(|t| t.2).count();
    println!("{passed} passed, {} failed", times.len() - passed);
}

fn fmt(root: &Path) -> Result<()> {
    run(util::cargo()
        .current_dir(root)
        .args(["fmt", "--all", "--", "--check"]))
}

fn clippy(root: &Path) -> Result<()> {
    run(util::cargo().current_dir(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test(root: &Path) -> Result<()> {
    run(util::cargo().current_dir(root).arg("test"))
}

/// Go's ring was designed to work on 32-bit machines; ours must build
/// there too (a constant computed in `usize` once did not).
fn check_32_bit(root: &Path) -> Result<()> {
    const TARGET: &str = "i686-unknown-linux-gnu";
    tools::ensure_rust_target(TARGET)?;
    let mut cmd = util::cargo();
    cmd.current_dir(root)
        .env("CARGO_TARGET_DIR", root.join("target/i686"))
        .args(["check", "--target", TARGET]);
    let chapters: Vec<_> = util::packages(root)?
        .into_iter()
        .filter(|p| p.dir.starts_with(root.join("code")) && p.name.starts_with("ch"))
        .collect();
    if chapters.is_empty() {
        bail!("no chapter crate found: the step would check nothing");
    }
    for p in &chapters {
        cmd.args(["--package", &p.name]);
    }
    run(&mut cmd)
}

fn book_step(root: &Path) -> Result<()> {
    tools::ensure_book_tools()?;
    let mut problems = book::lint(root)?;
    problems.extend(book::check_go_links(root)?);
    problems.extend(book::check_folded_holes(root)?);
    problems.extend(book::check_mermaid_assets(root)?);
    problems.extend(book::check_clean_copy(root)?);
    // Its own build folder: `cargo xtask book` may be serving book/build.
    let build = book::test_build_dir(root);
    // A failed build is one more problem: the ones found so far still show.
    match book::prepare(root).and_then(|()| book::build(root, Some(&build))) {
        Ok(()) => {
            problems.extend(book::check_links(root, &build)?);
            problems.extend(book::check_sidebar(&build)?);
        }
        Err(e) => problems.push(format!("{e:#}")),
    }
    problems.extend(crate::mutants::check_reports(root)?);
    problems.extend(crate::bench_report::check_results(root)?);
    report(problems, "the book")
}

fn snippets(root: &Path) -> Result<()> {
    run(util::cargo()
        .current_dir(root)
        .args(["test", "--package", "book-snippets"]))
}

fn browser_step(root: &Path) -> Result<()> {
    let build = book::test_build_dir(root);
    if !build.join("index.html").is_file() {
        book_step(root)?;
    }
    report(
        browser::check(root, &build, "starvation")?,
        "the browser check",
    )
}

fn workshop(root: &Path) -> Result<()> {
    // Some exercise mutants are caught only by Miri: have it ready, or
    // verify would report them as not checked.
    tools::ensure_miri()?;
    run(util::cargo().current_dir(root).args([
        "run",
        "--quiet",
        "--package",
        "workshop",
        "--",
        "verify",
    ]))
}

fn loom(root: &Path) -> Result<()> {
    let with_loom: Vec<_> = util::packages(root)?
        .into_iter()
        .filter(|p| p.test_targets.iter().any(|t| t == "loom"))
        .collect();
    if with_loom.is_empty() {
        bail!("no crate has a loom test: the step would check nothing");
    }
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    flags.push_str(" --cfg loom");
    for p in with_loom {
        run(util::cargo()
            .current_dir(root)
            .env("RUSTFLAGS", flags.trim())
            .env("LOOM_MAX_PREEMPTIONS", "2")
            .env("CARGO_TARGET_DIR", root.join("target/loom"))
            .args(["test", "--release", "--package", &p.name, "--test", "loom"]))?;
    }
    Ok(())
}

fn miri(root: &Path) -> Result<()> {
    // The book's crates: chapters and solutions. The tools (xtask, workshop)
    // spawn processes, which Miri cannot run; they are named, not hidden.
    let (book_crates, tooling): (Vec<_>, Vec<_>) = util::packages(root)?
        .into_iter()
        .filter(|p| util::has_unsafe(&p.dir))
        .partition(|p| {
            p.dir.starts_with(root.join("solutions"))
                || p.dir
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with("ch"))
        });
    if book_crates.is_empty() {
        bail!("no chapter or solution crate has unsafe code: the step would check nothing");
    }
    let names = |ps: &[util::Package]| {
        ps.iter()
            .map(|p| p.name.clone())
            .collect::<Vec<_>>()
            .join(", ")
    };
    println!("under Miri (unsafe code): {}", names(&book_crates));
    if !tooling.is_empty() {
        println!(
            "not under Miri (tools that spawn processes): {}",
            names(&tooling)
        );
    }
    tools::ensure_miri()?;
    for p in &book_crates {
        run(Command::new("cargo").current_dir(root).args([
            "+nightly",
            "miri",
            "test",
            "--package",
            &p.name,
        ]))?;
    }
    Ok(())
}

/// Builds, in release, the benchmarks of the crates that have any. A plain
/// `cargo bench --no-run` would build every workspace crate in release, the
/// tools and their Chromium driver included; `--bench '*'` builds the bench
/// targets only, not each library's unit tests once more.
fn bench(root: &Path) -> Result<()> {
    let with_benches: Vec<_> = util::packages(root)?
        .into_iter()
        .filter(|p| !p.bench_targets.is_empty())
        .collect();
    if with_benches.is_empty() {
        bail!("no crate has a benchmark: the step would check nothing");
    }
    let mut cmd = util::cargo();
    cmd.current_dir(root)
        .args(["bench", "--no-run", "--bench", "*"]);
    for p in &with_benches {
        cmd.args(["--package", &p.name]);
    }
    run(&mut cmd)
}

fn report(problems: Vec<String>, what: &str) -> Result<()> {
    if problems.is_empty() {
        return Ok(());
    }
    for p in &problems {
        println!("  - {p}");
    }
    bail!("{} problem(s) in {what}", problems.len())
}
