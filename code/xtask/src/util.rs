//! Small helpers: the workspace root, running commands loudly, crate lists.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use serde_json::Value;

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the workspace root exists")
}

pub use xtask_book::{cargo, describe, run};

/// A workspace package, as `cargo metadata` describes it.
pub struct Package {
    pub name: String,
    pub dir: PathBuf,
    pub test_targets: Vec<String>,
    pub bench_targets: Vec<String>,
}

/// Every workspace package except the exercises (which fail until solved).
pub fn packages(root: &Path) -> Result<Vec<Package>> {
    let meta: Value = serde_json::from_slice(&xtask_book::metadata(root)?)?;
    let mut all = Vec::new();
    for p in meta["packages"].as_array().into_iter().flatten() {
        let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap_or_default());
        let dir = manifest.parent().unwrap_or(root).to_path_buf();
        if dir.starts_with(root.join("exercises")) {
            continue;
        }
        let targets_of_kind = |kind: &str| -> Vec<String> {
            p["targets"]
                .as_array()
                .into_iter()
                .flatten()
                .filter(|t| {
                    t["kind"]
                        .as_array()
                        .is_some_and(|k| k.iter().any(|k| k == kind))
                })
                .filter_map(|t| t["name"].as_str().map(str::to_owned))
                .collect()
        };
        all.push(Package {
            name: p["name"].as_str().unwrap_or_default().to_owned(),
            dir,
            test_targets: targets_of_kind("test"),
            bench_targets: targets_of_kind("bench"),
        });
    }
    all.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(all)
}

/// True if any `.rs` file under `dir/src` has an `unsafe` block, fn or impl.
pub fn has_unsafe(dir: &Path) -> bool {
    rust_files(&dir.join("src")).iter().any(|f| {
        fs::read_to_string(f).is_ok_and(|text| {
            text.lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| {
                    l.contains("unsafe {") || l.contains("unsafe fn") || l.contains("unsafe impl")
                })
        })
    })
}

pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    files_with(dir, "rs")
}

pub fn files_with(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in fs::read_dir(&d).into_iter().flatten().flatten() {
            let p = entry.path();
            if p.is_dir() {
                if p.file_name().is_some_and(|n| n != "target" && n != "api") {
                    stack.push(p);
                }
            } else if p.extension().is_some_and(|e| e == ext) {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Git's blob id of a file (what `git hash-object` prints).
fn blob_id(bytes: &[u8]) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hasher.digest().to_string()
}

/// Rewrites the `[pristine]` table of every `exercises/*/exercise.toml` to
/// the files as they are now.
pub fn record_pristine(root: &Path) -> Result<()> {
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("exercises"))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("exercise.toml").is_file())
        .collect();
    dirs.sort();
    for dir in dirs {
        let meta_path = dir.join("exercise.toml");
        let text = fs::read_to_string(&meta_path)?;
        // A new exercise gets the table, with the comment that explains it.
        let head = match text.split_once("\n[pristine]") {
            Some((head, _)) => head.to_owned(),
            None => format!(
                "{}\n\n# Git blob ids (`git hash-object FILE`) of the files as shipped: they tell the\n\
                 # workshop whether you changed a file, and let `reset` restore it.",
                text.trim_end()
            ),
        };
        let mut files = vec![dir.join("Cargo.toml"), dir.join("HINTS.md")];
        files.extend(rust_files(&dir.join("src")));
        files.extend(rust_files(&dir.join("tests")));
        let mut table = String::from("\n[pristine]\n");
        for f in files {
            let rel = f.strip_prefix(&dir)?.to_string_lossy().into_owned();
            table.push_str(&format!("\"{rel}\" = \"{}\"\n", blob_id(&fs::read(&f)?)));
        }
        fs::write(&meta_path, format!("{head}{table}"))?;
        println!("recorded {}", meta_path.strip_prefix(root)?.display());
    }
    println!(
        "commit the exercises together with their exercise.toml, so `reset` can find them in git"
    );
    Ok(())
}

/// Today's date (UTC), as `date -u +%F` prints it.
pub fn today() -> String {
    Command::new("date")
        .args(["-u", "+%F"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown date".into())
}
