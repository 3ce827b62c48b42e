//! `verify`'s mutants: each `[[mutant]]` of an exercise is applied to a
//! scratch copy of the workspace (never to the learner's files), and the
//! solution's tests must then fail, by an assertion or a model, within the
//! time limit and not by it.
//!
//! The copy lives in `target/workshop-mutants/ws`: the workspace's crates
//! one level down, under `ws/copy/`, and a root `Cargo.toml` written to
//! name them there. The extra level matters: cargo names (hashes) the build
//! of a workspace crate by its path from the workspace root, so a copy
//! with the same layout would produce builds of the same names as the
//! workspace's own, and a mutant built into the shared target folder would
//! overwrite the learner's build of that crate (a later `cargo test` could
//! then run the mutant). Under `copy/` every crate has a path, and so a
//! build, of its own, and the copy can build into the workspace's own
//! `target/` and `target/loom`: the dependencies, loom above all, are
//! compiled once for the checks and the mutants together, and each mutant
//! rebuilds only the crate it changes and what depends on it.
//!
//! The copy is refreshed file by file: a file whose content is unchanged
//! keeps its time stamp, so cargo does not rebuild it.

use std::collections::BTreeSet;
use std::fmt;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cargo::{self, Build, Flavor, Kind, Report, Run, RunOptions};
use crate::catalog::{Exercise, Mutant};

/// What the copy holds under `copy/`: every workspace member.
const COPIED_DIRS: &[&str] = &["code", "exercises", "solutions"];
/// What it holds at its root, beside the written `Cargo.toml`.
const ROOT_FILES: &[&str] = &["Cargo.lock", ".cargo/config.toml"];
/// The folder, under the copy's root, that holds the crates.
const NEST: &str = "copy";

/// Which run caught (or failed to catch) a mutant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    Tests,
    Loom,
    Miri,
}

impl fmt::Display for Stage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Stage::Tests => "test",
            Stage::Loom => "loom model",
            Stage::Miri => "Miri, in test",
        })
    }
}

/// What became of one mutant.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// A test's assertion, a loom model or Miri failed: as it should.
    Caught {
        stage: Stage,
        test: String,
        message: String,
    },
    /// Only testkit's watchdog failed: the tests hung, no check failed.
    OnlyWatchdog { test: String, message: String },
    /// The run was stopped at the time limit.
    OnlyTimeLimit {
        stage: Stage,
        running: Option<String>,
        limit: Duration,
    },
    /// Everything passed.
    Survived { stages: Vec<Stage> },
    /// The mutant is not valid Rust.
    DoesNotCompile(String),
    /// It needs Miri, which is not installed here.
    NeedsMiri,
}

impl Verdict {
    pub fn is_caught(&self) -> bool {
        matches!(self, Verdict::Caught { .. })
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Caught {
                stage,
                test,
                message,
            } => write!(f, "caught by {stage} `{test}`: {message}"),
            Verdict::OnlyWatchdog { test, message } => write!(
                f,
                "caught only by the watchdog's time limit (`{test}`: {message}): the tests hang, \
                 no assertion fails"
            ),
            Verdict::OnlyTimeLimit {
                stage,
                running,
                limit,
            } => write!(
                f,
                "caught only by the time limit ({} s, {stage}{})",
                limit.as_secs(),
                running
                    .as_ref()
                    .map(|t| format!(" `{t}` still running"))
                    .unwrap_or_default()
            ),
            Verdict::Survived { stages } => {
                let names: Vec<String> = stages.iter().map(|s| stage_name(*s)).collect();
                write!(f, "SURVIVED: {} pass", names.join(" and "))
            }
            Verdict::DoesNotCompile(e) => write!(
                f,
                "does not compile, so it tests nothing (a mutant must be a wrong answer that \
                 builds): {e}"
            ),
            Verdict::NeedsMiri => write!(
                f,
                "NOT CHECKED: the tests and models pass it, and only Miri can catch it, which is \
                 not installed (`rustup toolchain install nightly --component miri`)"
            ),
        }
    }
}

fn stage_name(stage: Stage) -> String {
    match stage {
        Stage::Tests => "the tests".into(),
        Stage::Loom => "the loom model".into(),
        Stage::Miri => "the tests under Miri".into(),
    }
}

/// The scratch copy of the workspace.
pub struct Scratch {
    root: PathBuf,
    /// The copy's root: its `Cargo.toml`, `Cargo.lock` and `.cargo/`.
    base: PathBuf,
    /// `base/copy`: the crates, as `code/`, `exercises/`, `solutions/`.
    tree: PathBuf,
}

impl Scratch {
    pub fn new(root: &Path) -> Result<Self> {
        let base = cargo::target_dir(root).join("workshop-mutants/ws");
        fs::create_dir_all(&base)
            .with_context(|| format!("cannot make the scratch copy {}", base.display()))?;
        Ok(Self {
            root: root.to_path_buf(),
            tree: base.join(NEST),
            base,
        })
    }

    /// Makes the copy match the workspace: writes the files whose content
    /// differs, removes the ones that are gone.
    pub fn sync(&self) -> Result<()> {
        let manifest = self.root.join("Cargo.toml");
        let text = fs::read_to_string(&manifest)
            .with_context(|| format!("cannot read {}", manifest.display()))?;
        write_if_changed(
            &self.base.join("Cargo.toml"),
            nested_manifest(&text)?.as_bytes(),
        )?;
        for rel in ROOT_FILES {
            if let Ok(content) = fs::read(self.root.join(rel)) {
                write_if_changed(&self.base.join(rel), &content)?;
            }
        }
        let mut wanted = BTreeSet::new();
        for name in COPIED_DIRS {
            list_files(&self.root, Path::new(name), &mut wanted)?;
        }
        for rel in &wanted {
            let from = self.root.join(rel);
            let content =
                fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
            write_if_changed(&self.tree.join(rel), &content)?;
        }
        let mut present = BTreeSet::new();
        for name in COPIED_DIRS {
            list_files(&self.tree, Path::new(name), &mut present)?;
        }
        for stale in present.difference(&wanted) {
            let _ = fs::remove_file(self.tree.join(stale));
        }
        // And the folders left empty (now or by an earlier sync): a crate
        // folder without its Cargo.toml would still match a workspace glob
        // (`exercises/*`) and break every build in the copy.
        for name in COPIED_DIRS {
            prune_empty_dirs(&self.tree.join(name));
        }
        Ok(())
    }

    fn solution_dir(&self, ex: &Exercise) -> PathBuf {
        self.tree.join("solutions").join(&ex.name)
    }

    /// Runs the exercise's `miri_tests` on the unmutated solution: they
    /// must pass, or a mutant they catch proves nothing. `Ok(true)`: ready;
    /// `Ok(false)`: Miri is not installed; `Err(problem)`: they fail.
    pub fn miri_baseline(
        &self,
        ex: &Exercise,
        limit: Duration,
    ) -> Result<std::result::Result<bool, String>> {
        if !cargo::miri_is_installed() {
            println!(
                "  note: Miri is not installed, so the mutants that only Miri catches are not \
                 checked"
            );
            return Ok(Ok(false));
        }
        println!(
            "  Miri on the solution: {} (the first Miri build takes minutes)",
            ex.meta.miri_tests.join(", ")
        );
        let report = self.miri(ex, limit)?.expect("Miri is installed");
        Ok(match report.outcome {
            Run::Passed => {
                // `--exact` with a misspelt name runs nothing, and passes.
                let ran = ex
                    .meta
                    .miri_tests
                    .iter()
                    .all(|t| report.output.contains(&format!("test {t} ... ")));
                if ran {
                    Ok(true)
                } else {
                    Err(format!(
                        "miri_tests names a test that does not exist: {}",
                        ex.meta.miri_tests.join(", ")
                    ))
                }
            }
            Run::Failed => Err(format!(
                "the solution fails its miri_tests under Miri: {}",
                report
                    .failures
                    .first()
                    .map(|f| format!("`{}`: {}", f.test, f.message))
                    .unwrap_or_default()
            )),
            Run::TimedOut => Err(format!(
                "the solution's miri_tests take longer than {} s under Miri",
                miri_limit(limit).as_secs()
            )),
        })
    }

    fn miri(&self, ex: &Exercise, limit: Duration) -> Result<Option<Report>> {
        cargo::miri(
            &self.base,
            &cargo::target_dir(&self.root),
            &ex.solution_package(),
            &ex.meta.miri_tests,
            miri_limit(limit),
        )
    }

    /// Applies `m` to the copy, runs the solution's tests as `check` does
    /// (the plain tests, then the loom model if there is one, then the
    /// `miri_tests` under Miri if `miri` is `Some(true)`), and puts the
    /// file back.
    pub fn run(
        &self,
        ex: &Exercise,
        m: &Mutant,
        limit: Duration,
        miri: Option<bool>,
    ) -> Result<Verdict> {
        let rel = Path::new(&m.file);
        if rel.is_absolute() || !COPIED_DIRS.iter().any(|d| rel.starts_with(d)) {
            bail!(
                "its file must be a path from the repository root, under code/, solutions/ or \
                 exercises/: {}",
                m.file
            );
        }
        let original_path = self.root.join(rel);
        let original = fs::read_to_string(&original_path)
            .with_context(|| format!("cannot read its file {}", m.file))?;
        let mutated = m.apply(&original)?;
        let target = self.tree.join(rel);
        let _restore = Restore {
            path: target.clone(),
            content: original,
        };
        fs::write(&target, mutated)
            .with_context(|| format!("cannot write {}", target.display()))?;

        let package = ex.solution_package();
        let dir = self.solution_dir(ex);
        let opts = |flavor| RunOptions {
            flavor,
            limit,
            quiet: true,
            stop_at_failure: true,
        };
        let mut stages = vec![Stage::Tests];
        let mut hang: Option<Verdict> = None;
        let mut plan = vec![(Stage::Tests, Flavor::Plain)];
        if ex.has_loom() {
            plan.push((Stage::Loom, Flavor::Loom));
        }
        for (i, (stage, flavor)) in plan.into_iter().enumerate() {
            if i > 0 {
                stages.push(stage);
            }
            let target = match flavor {
                Flavor::Plain => cargo::target_dir(&self.root),
                Flavor::Loom => cargo::loom_target_dir(&self.root),
            };
            let exes = match cargo::build_in(&self.base, &target, &package, flavor, &dir, true)? {
                Build::Built(exes) => exes,
                Build::Failed(errors) => {
                    let first = errors
                        .first()
                        .and_then(|e| e.lines().next())
                        .unwrap_or("")
                        .to_owned();
                    return Ok(Verdict::DoesNotCompile(first));
                }
            };
            let report = cargo::run(&exes, &dir, opts(flavor))?;
            if let Some(v) = judge(stage, &report, limit) {
                match v {
                    Verdict::Caught { .. } => return Ok(v),
                    other => hang = hang.or(Some(other)),
                }
            }
        }
        if let Some(true) = miri {
            stages.push(Stage::Miri);
            if let Some(report) = self.miri(ex, limit)?
                && let Some(v) = judge(Stage::Miri, &report, miri_limit(limit))
            {
                match v {
                    Verdict::Caught { .. } => return Ok(v),
                    other => hang = hang.or(Some(other)),
                }
            }
        }
        if let Some(v) = hang {
            return Ok(v);
        }
        if miri == Some(false) {
            return Ok(Verdict::NeedsMiri);
        }
        Ok(Verdict::Survived { stages })
    }
}

/// Miri runs code about a thousand times slower: its tests get five
/// times the limit (they are Miri-sized).
fn miri_limit(limit: Duration) -> Duration {
    limit * 5
}

/// What one run says about a mutant: `None` if it passed.
fn judge(stage: Stage, report: &Report, limit: Duration) -> Option<Verdict> {
    if let Some(f) = report.first_real_failure() {
        // Miri reports its finds as `Kind::Miri` whatever the stage says.
        let stage = if f.kind == Kind::Miri {
            Stage::Miri
        } else {
            stage
        };
        return Some(Verdict::Caught {
            stage,
            test: f.test.clone(),
            message: f.message.clone(),
        });
    }
    match report.outcome {
        Run::Passed => None,
        Run::TimedOut => Some(Verdict::OnlyTimeLimit {
            stage,
            running: report.running.clone(),
            limit,
        }),
        Run::Failed => {
            let f = report.failures.first();
            Some(Verdict::OnlyWatchdog {
                test: f.map(|f| f.test.clone()).unwrap_or_default(),
                message: f.map(|f| f.message.clone()).unwrap_or_default(),
            })
        }
    }
}

/// The workspace's root manifest, for a copy whose crates lie one level
/// down, under `copy/`: members and path dependencies get the prefix.
fn nested_manifest(text: &str) -> Result<String> {
    let mut doc: toml::Table =
        toml::from_str(text).context("the root Cargo.toml does not parse")?;
    if doc.contains_key("package") {
        bail!("the root Cargo.toml is a package, which the scratch copy cannot move");
    }
    let nest = |p: &str| format!("{NEST}/{p}");
    let ws = doc
        .get_mut("workspace")
        .and_then(|w| w.as_table_mut())
        .context("the root Cargo.toml has no [workspace]")?;
    for key in ["members", "default-members", "exclude"] {
        if let Some(list) = ws.get_mut(key).and_then(|v| v.as_array_mut()) {
            for item in list.iter_mut() {
                if let Some(p) = item.as_str() {
                    *item = toml::Value::String(nest(p));
                }
            }
        }
    }
    if let Some(deps) = ws.get_mut("dependencies").and_then(|v| v.as_table_mut()) {
        for (_, dep) in deps.iter_mut() {
            if let Some(path) = dep.get_mut("path")
                && let Some(p) = path.as_str()
            {
                *path = toml::Value::String(nest(p));
            }
        }
    }
    Ok(format!(
        "# Written by `cargo workshop verify`: the workspace's Cargo.toml, for the\n\
         # scratch copy of its crates under {NEST}/.\n{}",
        toml::to_string(&doc)?
    ))
}

fn write_if_changed(path: &Path, content: &[u8]) -> Result<()> {
    if fs::read(path).ok().as_deref() == Some(content) {
        return Ok(());
    }
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent)?;
    }
    fs::write(path, content).with_context(|| format!("cannot write {}", path.display()))
}

/// Puts the scratch copy's file back when dropped, whatever happened.
struct Restore {
    path: PathBuf,
    content: String,
}

impl Drop for Restore {
    fn drop(&mut self) {
        let _ = fs::write(&self.path, &self.content);
    }
}

/// Removes the folders under `dir` that hold no file (build output,
/// `target`, is left alone). Returns whether `dir` itself is now empty.
fn prune_empty_dirs(dir: &Path) -> bool {
    let Ok(entries) = fs::read_dir(dir) else {
        return false;
    };
    let mut empty = true;
    for entry in entries.flatten() {
        let path = entry.path();
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if !is_dir || entry.file_name() == "target" || !prune_empty_dirs(&path) {
            empty = false;
        } else {
            let _ = fs::remove_dir(&path);
        }
    }
    empty
}

/// Every file under `base/rel`, as paths relative to `base`, skipping
/// build output (`target`).
fn list_files(base: &Path, rel: &Path, out: &mut BTreeSet<PathBuf>) -> Result<()> {
    let dir = base.join(rel);
    let Ok(entries) = fs::read_dir(&dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        if name == "target" {
            continue;
        }
        let child = rel.join(&name);
        let kind = entry.file_type()?;
        if kind.is_dir() {
            list_files(base, &child, out)?;
        } else if kind.is_file() {
            out.insert(child);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(outcome: Run, failures: Vec<cargo::Failure>, running: Option<&str>) -> Report {
        Report {
            outcome,
            output: String::new(),
            failures,
            running: running.map(str::to_owned),
        }
    }

    fn failure(test: &str, message: &str, kind: Kind) -> cargo::Failure {
        cargo::Failure {
            test: test.into(),
            message: message.into(),
            kind,
        }
    }

    const LIMIT: Duration = Duration::from_secs(60);

    #[test]
    fn an_assertion_catches() {
        let r = report(
            Run::Failed,
            vec![
                failure(
                    "hangs",
                    "possible deadlock: no progress after 15 s",
                    Kind::Watchdog,
                ),
                failure("counts", "increments were lost", Kind::Assertion),
            ],
            None,
        );
        assert_eq!(
            judge(Stage::Tests, &r, LIMIT),
            Some(Verdict::Caught {
                stage: Stage::Tests,
                test: "counts".into(),
                message: "increments were lost".into()
            })
        );
    }

    #[test]
    fn a_hang_does_not_catch() {
        let r = report(
            Run::Failed,
            vec![failure(
                "hangs",
                "possible deadlock: no progress after 15 s",
                Kind::Watchdog,
            )],
            None,
        );
        let v = judge(Stage::Tests, &r, LIMIT).unwrap();
        assert!(matches!(v, Verdict::OnlyWatchdog { .. }));
        assert!(!v.is_caught());
        let t = judge(
            Stage::Loom,
            &report(Run::TimedOut, vec![], Some("model")),
            LIMIT,
        )
        .unwrap();
        assert!(!t.is_caught());
        assert!(
            t.to_string().contains("caught only by the time limit"),
            "{t}"
        );
        assert!(t.to_string().contains("`model` still running"), "{t}");
    }

    #[test]
    fn a_pass_is_no_verdict() {
        assert_eq!(
            judge(Stage::Tests, &report(Run::Passed, vec![], None), LIMIT),
            None
        );
    }

    #[test]
    fn the_root_manifest_names_the_nested_crates() {
        let text = "[workspace]\nmembers = [\"code/*\", \"solutions/*\"]\n\
                    default-members = [\"code/a\"]\n\
                    [workspace.dependencies]\na = { path = \"code/a\" }\nloom = \"0.7\"\n\
                    [workspace.lints.rust]\nunsafe_op_in_unsafe_fn = \"warn\"\n";
        let nested: toml::Table = toml::from_str(&nested_manifest(text).unwrap()).unwrap();
        let ws = nested["workspace"].as_table().unwrap();
        assert_eq!(
            ws["members"].as_array().unwrap(),
            &[
                toml::Value::from("copy/code/*"),
                toml::Value::from("copy/solutions/*")
            ]
        );
        assert_eq!(
            ws["default-members"].as_array().unwrap()[0].as_str(),
            Some("copy/code/a")
        );
        let deps = ws["dependencies"].as_table().unwrap();
        assert_eq!(deps["a"]["path"].as_str(), Some("copy/code/a"));
        assert_eq!(deps["loom"].as_str(), Some("0.7"));
        assert!(ws.contains_key("lints"));
        assert!(nested_manifest("[package]\nname = \"x\"\n[workspace]\n").is_err());
    }

    #[test]
    fn the_copy_follows_the_workspace_and_mutants_are_undone() {
        let base = std::env::temp_dir().join(format!("workshop-scratch-{}", std::process::id()));
        let root = base.join("root");
        fs::create_dir_all(root.join("code/a/src")).unwrap();
        fs::create_dir_all(root.join("code/a/target")).unwrap();
        fs::write(
            root.join("Cargo.toml"),
            "[workspace]\nmembers = [\"code/*\"]\n",
        )
        .unwrap();
        fs::write(root.join("Cargo.lock"), "").unwrap();
        fs::write(root.join("code/a/src/lib.rs"), "x.swap(true, Acquire);\n").unwrap();
        fs::write(root.join("code/a/target/big"), "build output").unwrap();
        let ws = base.join("ws");
        let scratch = Scratch {
            root: root.clone(),
            tree: ws.join(NEST),
            base: ws.clone(),
        };
        scratch.sync().unwrap();
        assert!(
            fs::read_to_string(ws.join("Cargo.toml"))
                .unwrap()
                .contains("copy/code/*")
        );
        assert!(ws.join("Cargo.lock").is_file());
        assert!(
            !ws.join("copy/Cargo.toml").exists(),
            "no second workspace root"
        );
        let copied = ws.join("copy/code/a/src/lib.rs");
        assert_eq!(
            fs::read_to_string(&copied).unwrap(),
            "x.swap(true, Acquire);\n"
        );
        assert!(
            !ws.join("copy/code/a/target").exists(),
            "build output is not copied"
        );
        // An unchanged file is not rewritten.
        let stamp = fs::metadata(&copied).unwrap().modified().unwrap();
        std::thread::sleep(Duration::from_millis(20));
        scratch.sync().unwrap();
        assert_eq!(fs::metadata(&copied).unwrap().modified().unwrap(), stamp);
        // A file removed from the workspace goes from the copy.
        fs::write(root.join("code/a/src/old.rs"), "").unwrap();
        scratch.sync().unwrap();
        fs::remove_file(root.join("code/a/src/old.rs")).unwrap();
        scratch.sync().unwrap();
        assert!(!ws.join("copy/code/a/src/old.rs").exists());
        // A crate removed from the workspace goes from the copy, folder and
        // all (an empty crate folder would break the copy's workspace).
        fs::create_dir_all(root.join("code/b/src")).unwrap();
        fs::write(root.join("code/b/Cargo.toml"), "").unwrap();
        fs::write(root.join("code/b/src/lib.rs"), "").unwrap();
        scratch.sync().unwrap();
        assert!(ws.join("copy/code/b/src/lib.rs").exists());
        fs::remove_dir_all(root.join("code/b")).unwrap();
        scratch.sync().unwrap();
        assert!(
            !ws.join("copy/code/b").exists(),
            "an empty crate folder was left behind"
        );
        assert!(ws.join("copy/code/a/src/lib.rs").exists());
        // A mutant's edit is undone however the run ends.
        {
            let _r = Restore {
                path: copied.clone(),
                content: "x.swap(true, Acquire);\n".into(),
            };
            fs::write(&copied, "x.swap(true, Relaxed);\n").unwrap();
        }
        assert_eq!(
            fs::read_to_string(&copied).unwrap(),
            "x.swap(true, Acquire);\n"
        );
        // The workspace itself is never touched.
        assert_eq!(
            fs::read_to_string(root.join("code/a/src/lib.rs")).unwrap(),
            "x.swap(true, Acquire);\n"
        );
        fs::remove_dir_all(&base).unwrap();
    }
}
