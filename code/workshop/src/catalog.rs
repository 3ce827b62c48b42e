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
    /// The book page that introduces the exercise, relative to `book/src`.
    pub page: String,
    /// The book page to read once it passes: the one after `page` in
    /// `book/src/SUMMARY.md`.
    pub read_next: String,
    /// Tests (by name) that `verify` also runs under Miri, for the mutants
    /// that neither the plain tests nor a loom model can catch.
    #[serde(default)]
    pub miri_tests: Vec<String>,
    /// Plausible wrong answers that `verify` proves the tests catch.
    #[serde(default, rename = "mutant")]
    pub mutants: Vec<Mutant>,
    /// Git blob ids of the pristine files, by path inside the exercise.
    pub pristine: BTreeMap<String, String>,
}

/// `solutions/NAME/mutants.toml`: what `verify` checks beyond the tests.
/// It lives with the solution because every line of it is a piece of the
/// answer, and a learner reads `exercises/NAME/`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SolutionMeta {
    /// The code that fills the holes, as `FILE:anchor` (from the project
    /// root). Read by `cargo xtask test`, which checks that the book
    /// prints it only inside a `<details class="solution">` fold.
    #[serde(default)]
    #[allow(dead_code)]
    pub holes: Vec<String>,
    /// Plausible wrong answers that `verify` proves the tests catch.
    #[serde(default, rename = "mutant")]
    pub mutants: Vec<Mutant>,
}

/// One `[[mutant]]` of `mutants.toml`: a wrong answer, as a text edit of
/// the code the solution runs.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Mutant {
    /// What the wrong answer is, in a few words.
    pub name: String,
    /// The file to change, from the repository root.
    pub file: String,
    /// Text that occurs exactly once in `file`.
    pub find: String,
    /// What it becomes.
    pub replace: String,
}

impl Mutant {
    /// `text` with `find` replaced, or why that cannot be done: `find`
    /// must occur exactly once, so that the mutant names one place.
    pub fn apply(&self, text: &str) -> Result<String> {
        if self.find.is_empty() {
            bail!("`find` is empty");
        }
        let count = text.matches(self.find.as_str()).count();
        match count {
            1 => Ok(text.replacen(self.find.as_str(), &self.replace, 1)),
            0 => bail!(
                "`find` does not occur in {} (the code changed? update the solution's mutants.toml): {:?}",
                self.file,
                self.find
            ),
            n => bail!(
                "`find` occurs {n} times in {}, it must occur exactly once \
                 (take in more of the surrounding code): {:?}",
                self.file,
                self.find
            ),
        }
    }
}

/// The pages of the book in reading order, from `SUMMARY.md`'s links.
pub fn book_pages(summary: &str) -> Vec<String> {
    summary
        .lines()
        .filter_map(|line| {
            let start = line.find("](")? + 2;
            let end = start + line[start..].find(')')?;
            let page = &line[start..end];
            page.ends_with(".md").then(|| page.to_owned())
        })
        .collect()
}

/// The page after `page` in reading order, if any.
pub fn page_after(pages: &[String], page: &str) -> Option<String> {
    let at = pages.iter().position(|p| p == page)?;
    pages.get(at + 1).cloned()
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
    let mut meta: Meta = toml::from_str(&text).with_context(|| {
        format!("exercise directory exercises/{name} is damaged: exercise.toml does not parse")
    })?;
    if !meta.mutants.is_empty() {
        bail!(
            "exercises/{name}/exercise.toml lists mutants: move them to \
             solutions/{name}/mutants.toml, where a learner does not read them (each one \
             quotes a line of the answer)"
        );
    }
    let solution_dir = root.join("solutions").join(name);
    let extra = solution_dir.join("mutants.toml");
    if let Ok(text) = fs::read_to_string(&extra) {
        let solution: SolutionMeta = toml::from_str(&text)
            .with_context(|| format!("solutions/{name}/mutants.toml does not parse"))?;
        meta.mutants = solution.mutants;
    }
    Ok(Exercise {
        name: name.to_owned(),
        solution_dir,
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

    const META: &str = r#"
chapter = 0
goal = "g"
page = "ch00/warm-up.md"
read_next = "ch00/orderings.md"
miri_tests = ["a_test"]

[[mutant]]
name = "Relaxed claim"
file = "solutions/ex/src/lib.rs"
find = "swap(true, Acquire)"
replace = "swap(true, Relaxed)"

[[mutant]]
name = "no unlock"
file = "code/x.rs"
find = """
        store(false, Release);
"""
replace = ""

[pristine]
"src/lib.rs" = "e69de29bb2d1d6434b8b29ae775ad8c2e48c5391"
"#;

    #[test]
    fn mutants_parse_in_order() {
        let meta: Meta = toml::from_str(META).unwrap();
        assert_eq!(meta.mutants.len(), 2);
        assert_eq!(meta.mutants[0].name, "Relaxed claim");
        assert_eq!(meta.mutants[0].file, "solutions/ex/src/lib.rs");
        assert_eq!(meta.mutants[1].find, "        store(false, Release);\n");
        assert_eq!(meta.mutants[1].replace, "");
        assert_eq!(meta.miri_tests, ["a_test"]);
        assert_eq!(meta.pristine.len(), 1);
    }

    #[test]
    fn an_exercise_without_mutants_parses() {
        let text = "chapter = 1\ngoal = \"g\"\npage = \"a.md\"\nread_next = \"b.md\"\n[pristine]\n";
        let meta: Meta = toml::from_str(text).unwrap();
        assert!(meta.mutants.is_empty() && meta.miri_tests.is_empty());
    }

    #[test]
    fn a_misspelt_mutant_key_is_an_error() {
        let text = META.replace("replace = \"swap(true, Relaxed)\"", "replcae = \"x\"");
        assert!(toml::from_str::<Meta>(&text).is_err());
    }

    fn mutant(find: &str, replace: &str) -> Mutant {
        Mutant {
            name: "m".into(),
            file: "f.rs".into(),
            find: find.into(),
            replace: replace.into(),
        }
    }

    #[test]
    fn a_mutant_replaces_its_one_occurrence() {
        let text = "a.swap(true, Acquire);\nb.load(Acquire);\n";
        assert_eq!(
            mutant("swap(true, Acquire)", "swap(true, Relaxed)")
                .apply(text)
                .unwrap(),
            "a.swap(true, Relaxed);\nb.load(Acquire);\n"
        );
        assert_eq!(
            mutant("b.load(Acquire);\n", "").apply(text).unwrap(),
            "a.swap(true, Acquire);\n"
        );
    }

    #[test]
    fn a_mutant_must_find_exactly_one_place() {
        let text = "x(Acquire); y(Acquire);";
        let none = mutant("Release", "Relaxed").apply(text).unwrap_err();
        assert!(format!("{none}").contains("does not occur"), "{none}");
        let two = mutant("Acquire", "Relaxed").apply(text).unwrap_err();
        assert!(format!("{two}").contains("occurs 2 times"), "{two}");
        assert!(mutant("", "x").apply(text).is_err());
    }

    #[test]
    fn pages_come_in_summary_order() {
        let summary = "# Summary\n\n[Introduction](introduction.md)\n\n# Part\n\n\
                       - [Chapter 0](ch00/index.md)\n  - [Warm-up](ch00/warm-up.md)\n\
                       \x20 - [Orderings](ch00/orderings.md)\n- [Chapter 1](ch01/index.md)\n";
        let pages = book_pages(summary);
        assert_eq!(
            pages,
            [
                "introduction.md",
                "ch00/index.md",
                "ch00/warm-up.md",
                "ch00/orderings.md",
                "ch01/index.md"
            ]
        );
        assert_eq!(
            page_after(&pages, "ch00/warm-up.md").as_deref(),
            Some("ch00/orderings.md")
        );
        assert_eq!(
            page_after(&pages, "ch00/orderings.md").as_deref(),
            Some("ch01/index.md")
        );
        assert_eq!(page_after(&pages, "ch01/index.md"), None);
        assert_eq!(page_after(&pages, "nowhere.md"), None);
    }

    #[test]
    fn hints_split_on_level_two_headings() {
        let text = "# Hints\n\nintro\n\n## Hint 1\none\n\n## Hint 2\ntwo\nlines\n";
        assert_eq!(parse_hints(text), ["one", "two\nlines"]);
    }
}
