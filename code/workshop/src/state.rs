//! What the workshop remembers between runs, under `.workshop/` (ignored by
//! git): the last check result per exercise, how many hints were shown, and
//! backups of the learner's work made by `reset`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct State {
    /// The last `check` result, keyed by exercise, with the fingerprint of
    /// the sources it was made on.
    #[serde(default)]
    pub checks: BTreeMap<String, Checked>,
    /// The highest hint level shown, by exercise.
    #[serde(default)]
    pub hints_shown: BTreeMap<String, usize>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Checked {
    pub fingerprint: String,
    pub passed: bool,
}

pub fn dir(root: &Path) -> PathBuf {
    root.join(".workshop")
}

fn file(root: &Path) -> PathBuf {
    dir(root).join("state.json")
}

/// Loads the state; a missing or unreadable file is a fresh start (it only
/// holds caches and counters, never the learner's work).
pub fn load(root: &Path) -> State {
    fs::read_to_string(file(root))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok())
        .unwrap_or_default()
}

pub fn save(root: &Path, state: &State) -> Result<()> {
    fs::create_dir_all(dir(root))?;
    let path = file(root);
    fs::write(&path, serde_json::to_string_pretty(state)?)
        .with_context(|| format!("cannot write {}", path.display()))
}
