//! The exercises on disk: where they are, what `exercise.toml` says about
//! them, and whether a learner has changed them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

/// `exercises/NAME/exercise.toml`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Meta {
    /// The book chapter the exercise belongs to.
    pub chapter: u32,
    /// One line: what the learner builds.
    pub goal: String,
    /// The book page to read once it passes, relative to `book/src`.
    pub read_next: String,
    /// Git blob ids of the pristine files, by path inside the exercise.
    pub pristine: BTreeMap<String, String>,
}

/// One exercise and its solution.
#[derive(Debug)]
pub struct Exercise {
    pub name: String,
    pub dir: PathBuf,
    pub solution_dir: PathBuf,
    pub meta: Meta,
}

impl Exercise {
    /// The solution's package name: the exercise's plus `-solution`.
    pub fn solution_package(&self) -> String {
        format!("{}-solution", self.name)
    }

    /// Files whose content differs from the pristine copy (missing ones too).
    pub fn changed_files(&self) -> Vec<String> {
        self.meta
            .pristine
            .iter()
            .filter(|(rel, blob)| blob_id_of(&self.dir.join(rel)).as_deref() != Some(blob.as_str()))
            .map(|(rel, _)| rel.clone())
            .collect()
    }

    /// True when the learner's `src/` is exactly the pristine one.
    pub fn untouched(&self) -> bool {
        !self.changed_files().iter().any(|f| f.starts_with("src/"))
    }

    /// A fingerprint of the learner's sources, to tell whether a recorded
    /// check result still applies.
    pub fn fingerprint(&self) -> String {
        let mut hasher = sha1_smol::Sha1::new();
        for rel in self.meta.pristine.keys() {
            hasher.update(rel.as_bytes());
            hasher.update(&fs::read(self.dir.join(rel)).unwrap_or_default());
        }
        hasher.digest().to_string()
    }

    /// The progressive hints, from `HINTS.md` (`## Hint N` sections).
    pub fn hints(&self) -> Result<Vec<String>> {
        let path = self.dir.join("HINTS.md");
        let text =
            fs::read_to_string(&path).with_context(|| format!("cannot read {}", path.display()))?;
        Ok(parse_hints(&text))
    }

    /// True if the exercise has a loom model (`tests/loom.rs`).
    pub fn has_loom(&self) -> bool {
        self.dir.join("tests/loom.rs").is_file()
    }
}

/// Splits `HINTS.md` into its `## ` sections, in order.
pub fn parse_hints(text: &str) -> Vec<String> {
    let mut hints = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("## ") {
            hints.extend(current.take());
            current = Some(String::new());
        } else if let Some(hint) = current.as_mut() {
            hint.push_str(line);
            hint.push('\n');
        }
    }
    hints.extend(current);
    hints
        .into_iter()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .collect()
}

/// Git's blob id of a file's content (`git hash-object`), computed here so
/// that telling "changed" from "pristine" needs no git.
pub fn blob_id_of(path: &Path) -> Option<String> {
    fs::read(path).ok().map(|bytes| blob_id(&bytes))
}

/// Git's blob id of `bytes`.
pub fn blob_id(bytes: &[u8]) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hasher.digest().to_string()
}

/// The workspace root: the nearest folder upwards holding `exercises/` and a
/// `Cargo.toml`, else the checkout this binary was built from.
pub fn find_root() -> Result<PathBuf> {
    let start = std::env::current_dir().context("cannot read the current directory")?;
    for dir in start.ancestors() {
        if dir.join("exercises").is_dir() && dir.join("Cargo.toml").is_file() {
            return Ok(dir.to_path_buf());
        }
    }
    let built_from = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    if built_from.join("exercises").is_dir() {
        return Ok(built_from.canonicalize()?);
    }
    bail!("cannot find the book's workspace: run this from inside the repository")
}

/// Every exercise, in chapter then name order.
pub fn load_all(root: &Path) -> Result<Vec<Exercise>> {
    let dir = root.join("exercises");
    let mut names: Vec<String> = fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    let mut all = names
        .iter()
        .map(|n| load(root, n))
        .collect::<Result<Vec<_>>>()?;
    all.sort_by(|a, b| (a.meta.chapter, &a.name).cmp(&(b.meta.chapter, &b.name)));
    Ok(all)
}

/// One exercise by directory name, with a clear error if it is damaged.
pub fn load(root: &Path, name: &str) -> Result<Exercise> {
    let dir = root.join("exercises").join(name);
    let meta_path = dir.join("exercise.toml");
    let text = fs::read_to_string(&meta_path).with_context(|| {
        format!(
            "exercise directory exercises/{name} is damaged: it has no readable exercise.toml \
             (restore it with `git checkout -- exercises/{name}/exercise.toml`)"
        )
    })?;
    let meta: Meta = toml::from_str(&text).with_context(|| {
        format!("exercise directory exercises/{name} is damaged: exercise.toml does not parse")
    })?;
    Ok(Exercise {
        name: name.to_owned(),
        solution_dir: root.join("solutions").join(name),
        dir,
        meta,
    })
}

/// Finds `name` among `all`, or explains which names exist.
pub fn pick<'a>(all: &'a [Exercise], name: &str) -> Result<&'a Exercise> {
    all.iter().find(|e| e.name == name).with_context(|| {
        let names: Vec<&str> = all.iter().map(|e| e.name.as_str()).collect();
        format!(
            "there is no exercise named '{name}'; the exercises are: {}",
            names.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blob_id_matches_git() {
        // `git hash-object /dev/null` and `printf 'hi\n' | git hash-object --stdin`.
        assert_eq!(blob_id(b""), "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391");
        assert_eq!(blob_id(b"hi\n"), "45b983be36b73c0788dc9cbcb76cbb80fc7bb057");
    }

    #[test]
    fn hints_split_on_level_two_headings() {
        let text = "# Hints\n\nintro\n\n## Hint 1\none\n\n## Hint 2\ntwo\nlines\n";
        assert_eq!(parse_hints(text), ["one", "two\nlines"]);
    }
}
