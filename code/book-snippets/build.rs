//! Hands skeptic the book's standalone ```rust blocks, and only those.
//!
//! Skeptic reads raw Markdown, so a block that pulls code from a crate with
//! `{{#include file:anchor}}` would reach the compiler as literal braces;
//! that code is tested by its own crate anyway. For each Markdown file this
//! writes a copy to `OUT_DIR` that keeps the headings (skeptic names tests
//! after them) and the standalone blocks, and blanks every other line, so a
//! failing test's line number is the line in the real file.

use std::fs;
use std::path::{Path, PathBuf};

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap()).join("snippets");
    fs::create_dir_all(&out).unwrap();

    let mut sources = vec![root.join("README.md")];
    collect_markdown(&root.join("book/src"), &mut sources);
    sources.sort();
    println!("cargo:rerun-if-changed={}", root.join("book/src").display());
    println!(
        "cargo:rerun-if-changed={}",
        root.join("README.md").display()
    );

    let mut filtered = Vec::new();
    for src in &sources {
        let text = fs::read_to_string(src).unwrap();
        let rel = src
            .strip_prefix(&root)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        // `book/src/ch00-runtime/index.md` → `book_src_ch00_runtime_index.md`,
        // which skeptic turns into the test-name prefix.
        let name = rel
            .replace(['/', '-', '.'], "_")
            .trim_end_matches("_md")
            .to_owned()
            + ".md";
        let path = out.join(name);
        fs::write(&path, standalone_only(&text)).unwrap();
        filtered.push(path);
    }
    skeptic::generate_doc_tests(&filtered);
}

fn collect_markdown(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            // Generated API docs are HTML, not the book's text.
            if path.file_name().is_some_and(|n| n != "api") {
                collect_markdown(&path, into);
            }
        } else if path.extension().is_some_and(|e| e == "md") {
            into.push(path);
        }
    }
}

/// Keeps headings and standalone Rust blocks; blanks everything else.
fn standalone_only(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut kept = vec![""; lines.len()];
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        let fence = line.trim_start();
        if fence.starts_with("```") {
            let info = fence.trim_start_matches('`').trim();
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim_start().starts_with("```"))
                .unwrap_or(lines.len() - 1);
            let body = &lines[i + 1..end];
            let is_rust = info == "rust" || info.starts_with("rust,");
            if is_rust && !body.iter().any(|l| l.contains("{{#")) {
                kept[i..=end].copy_from_slice(&lines[i..=end]);
            }
            i = end + 1;
        } else {
            if line.starts_with('#') {
                kept[i] = line;
            }
            i += 1;
        }
    }
    kept.join("\n") + "\n"
}
