//! What serving the book needs, and nothing more: the pinned book tools,
//! the crates' API docs, `mdbook build` and `mdbook serve`.
//!
//! `cargo xtask` starts in this crate (`main.rs`, the alias in
//! `.cargo/config.toml`), so a first `cargo xtask book` on a fresh machine
//! compiles this and `anyhow` only, not the checks and their headless
//! Chromium driver. The `xtask` crate (`cargo xtask test` and the other
//! tasks) builds on this library.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

pub const USAGE: &str = "\
usage: cargo xtask <task>

  book [--port N] [--build]  install mdbook and mdbook-mermaid (pinned) if missing,
                             build the book and serve it on http://localhost:3000
                             (--build: build only, into book/build)
  test [STEP…]               run every check, in CI's order, timing each step;
                             name steps to run only those (the book is built into
                             target/book-test, so `book` can keep serving meanwhile)
  steps                      list the steps of `test`
  pristine                   record the exercises' files as pristine (maintainers,
                             after changing an exercise)
  mutants -p CRATE [--list] [--render] [--only TEXT]
                             weaken every atomic ordering in CRATE's src/ one at a
                             time (and remove each fence), run its loom models, tests
                             and Miri, and write code/CRATE/mutants.json and the
                             book's book/src/CRATE/mutants-report.md
  bench-report [--quick] [CRATE…]
                             run the chapters' benchmarks at each count in
                             GOSYNC_BENCH_THREADS (1,2 by default) and, if `go` is
                             installed, Go's benchmarks of the same names in the same
                             run; write book/src/CRATE/results/bench.{json,md,svg}";

/// The tasks of the `xtask` crate (its `main.rs`): `cargo xtask` builds
/// and runs that crate for these. `book` and `help` are answered here.
pub const XTASK_TASKS: &[&str] = &["test", "steps", "pristine", "mutants", "bench-report"];

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

/// The cargo running us (so `cargo +nightly xtask` stays consistent).
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Runs `cmd`, echoing it first; fails with the command line if it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let line = describe(cmd);
    println!("$ {line}");
    let status = cmd
        .status()
        .with_context(|| format!("cannot start `{line}`"))?;
    if !status.success() {
        bail!("`{line}` failed ({status})");
    }
    Ok(())
}

/// The command line, as it could be pasted into a shell.
pub fn describe(cmd: &Command) -> String {
    let envs: Vec<String> = cmd
        .get_envs()
        .filter_map(|(k, v)| Some(format!("{}={}", k.to_str()?, quote(v?.to_str()?))))
        .collect();
    let mut parts = envs;
    parts.push(quote(&cmd.get_program().to_string_lossy()));
    parts.extend(cmd.get_args().map(|a| quote(&a.to_string_lossy())));
    parts.join(" ")
}

/// `word`, in single quotes if a shell would read it otherwise.
fn quote(word: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "-_./=:+,@%".contains(c);
    if !word.is_empty() && word.chars().all(plain) {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The book's tools, pinned: both were tried together here.
pub const MDBOOK: (&str, &str) = ("mdbook", "0.5.4");
pub const MDBOOK_MERMAID: (&str, &str) = ("mdbook-mermaid", "0.17.1");

fn version_of(program: &str) -> Option<String> {
    let out = Command::new(program).arg("--version").output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// Installs `mdbook` and `mdbook-mermaid` at their pinned versions unless
/// those versions are already on PATH.
pub fn ensure_book_tools() -> Result<()> {
    for (name, version) in [MDBOOK, MDBOOK_MERMAID] {
        match version_of(name) {
            Some(v) if v.ends_with(version) || v.ends_with(&format!("v{version}")) => {}
            found => {
                println!(
                    "{name} {version} is needed ({}); installing it with cargo install --locked",
                    found.as_deref().unwrap_or("not installed")
                );
                run(cargo().args(["install", "--locked", &format!("{name}@{version}")]))?;
                let now = version_of(name).unwrap_or_default();
                if !now.ends_with(version) {
                    bail!(
                        "installed {name} {version}, but `{name} --version` says '{now}': \
                         is another {name} earlier on PATH than ~/.cargo/bin?"
                    );
                }
            }
        }
    }
    Ok(())
}

/// The crates whose API docs the book links to (as `api/<crate>/`).
pub const DOC_CRATES: &[&str] = &[
    "ch00-runtime",
    "ch01-mutex",
    "ch02-rwmutex",
    "ch03-map",
    "ch04-waitgroup",
    "ch05-pool",
    "ch06-refpool",
    "testkit",
];

/// `cargo xtask book [--port N] [--build]`.
pub fn book_task(root: &Path, args: &[String]) -> Result<()> {
    let mut port = 3000;
    let mut build_only = false;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--build" => build_only = true,
            "--port" => match it.next().and_then(|p| p.parse().ok()) {
                Some(p) => port = p,
                None => bail!("--port takes a port number"),
            },
            other => bail!("unknown option '{other}' for `book`\n\n{USAGE}"),
        }
    }
    serve(root, port, build_only)
}

/// Tools, API docs, then serve (or just build, into `book/build`).
pub fn serve(root: &Path, port: u16, build_only: bool) -> Result<()> {
    ensure_book_tools()?;
    prepare(root)?;
    if build_only {
        return build(root, None);
    }
    println!("serving the book on http://localhost:{port} (Ctrl-C to stop)");
    run(Command::new(MDBOOK.0).current_dir(root.join("book")).args([
        "serve",
        "--port",
        &port.to_string(),
    ]))
}

/// Writes what the book links to but git does not keep: the crates' API
/// docs, under `book/src/api/`. (Mermaid's scripts are kept in git, so a
/// plain `mdbook build book` works without this; its links into `api/`
/// then lead nowhere.)
pub fn prepare(root: &Path) -> Result<()> {
    let mut doc = cargo();
    doc.current_dir(root).args(["doc", "--no-deps", "--quiet"]);
    for c in DOC_CRATES {
        doc.args(["--package", c]);
    }
    run(&mut doc)?;
    let api = root.join("book/src/api");
    if api.exists() {
        fs::remove_dir_all(&api)?;
    }
    copy_dir(&target_dir(root)?.join("doc"), &api)
}

/// `mdbook build`, into `book/build` or into `dest`.
pub fn build(root: &Path, dest: Option<&Path>) -> Result<()> {
    let mut cmd = Command::new(MDBOOK.0);
    cmd.current_dir(root.join("book")).arg("build");
    if let Some(dest) = dest {
        cmd.arg("--dest-dir").arg(dest);
    }
    run(&mut cmd)
}

/// `cargo metadata --no-deps` of the workspace, as JSON text.
pub fn metadata(root: &Path) -> Result<Vec<u8>> {
    let out = cargo()
        .current_dir(root)
        .args(["metadata", "--no-deps", "--format-version", "1"])
        .output()
        .context("cannot run cargo metadata")?;
    if !out.status.success() {
        bail!(
            "cargo metadata failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(out.stdout)
}

/// Cargo's target directory (`CARGO_TARGET_DIR` and config included), as
/// `cargo metadata` reports it.
pub fn target_dir(root: &Path) -> Result<PathBuf> {
    json_string_field(
        &String::from_utf8_lossy(&metadata(root)?),
        "target_directory",
    )
    .map(PathBuf::from)
    .context("cannot read target_directory from cargo metadata")
}

/// The first string value of `"key"` in a JSON text (without a JSON
/// parser, to keep this crate small).
fn json_string_field(json: &str, key: &str) -> Option<String> {
    let at = json.find(&format!("\"{key}\":"))? + key.len() + 3;
    let mut chars = json[at..].trim_start().strip_prefix('"')?.chars();
    let mut value = String::new();
    loop {
        match chars.next()? {
            '"' => return Some(value),
            '\\' => match chars.next()? {
                c @ ('"' | '\\' | '/') => value.push(c),
                _ => return None,
            },
            c => value.push(c),
        }
    }
}

pub fn copy_dir(from: &Path, to: &Path) -> Result<()> {
    fs::create_dir_all(to)?;
    for entry in fs::read_dir(from).with_context(|| format!("cannot read {}", from.display()))? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_json_string_field() {
        let json = r#"{"packages":[],"target_directory":"C:\\work \"x\"\/target","version":1}"#;
        assert_eq!(
            json_string_field(json, "target_directory").as_deref(),
            Some(r#"C:\work "x"/target"#)
        );
        assert_eq!(json_string_field(json, "missing"), None);
        assert_eq!(json_string_field(r#"{"a":"\u0041"}"#, "a"), None);
    }

    #[test]
    fn describes_a_command_for_a_shell() {
        let mut cmd = Command::new("cargo");
        cmd.env("RUSTFLAGS", "--cfg loom").args([
            "bench",
            "--bench",
            "*",
            "--package",
            "ch00-runtime",
            "it's",
        ]);
        assert_eq!(
            describe(&cmd),
            r"RUSTFLAGS='--cfg loom' cargo bench --bench '*' --package ch00-runtime 'it'\''s'"
        );
    }

    #[test]
    fn the_target_dir_is_where_cargo_builds() {
        let dir = target_dir(&root()).unwrap();
        assert!(dir.is_absolute(), "{}", dir.display());
    }
}
