//! Building and serving the book, and the rules its sources must keep.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::tools;
use crate::util::{self, files_with, run, rust_files};

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

/// `cargo xtask book`: tools, generated assets, then serve (or just build).
pub fn serve(root: &Path, port: u16, build_only: bool) -> Result<()> {
    tools::ensure_book_tools()?;
    prepare(root)?;
    if build_only {
        return build(root);
    }
    println!("serving the book on http://localhost:{port} (Ctrl-C to stop)");
    run(Command::new(tools::MDBOOK.0)
        .current_dir(root.join("book"))
        .args(["serve", "--port", &port.to_string()]))
}

/// Writes what the book needs but git does not keep: mdbook-mermaid's
/// scripts and the chapter crates' API docs (under `src/api/`).
pub fn prepare(root: &Path) -> Result<()> {
    let book = root.join("book");
    let toml_before = fs::read_to_string(book.join("book.toml"))?;
    run(Command::new(tools::MDBOOK_MERMAID.0)
        .arg("install")
        .arg(&book))?;
    if fs::read_to_string(book.join("book.toml"))? != toml_before {
        bail!(
            "mdbook-mermaid changed book/book.toml; book.toml should already hold its settings \
             (see `git diff book/book.toml`)"
        );
    }
    let mut doc = util::cargo();
    doc.current_dir(root).args(["doc", "--no-deps", "--quiet"]);
    for c in DOC_CRATES {
        doc.args(["--package", c]);
    }
    run(&mut doc)?;
    let api = book.join("src/api");
    if api.exists() {
        fs::remove_dir_all(&api)?;
    }
    copy_dir(&root.join("target/doc"), &api)
}

pub fn build(root: &Path) -> Result<()> {
    run(Command::new(tools::MDBOOK.0)
        .current_dir(root.join("book"))
        .arg("build"))
}

fn copy_dir(from: &Path, to: &Path) -> Result<()> {
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

/// The pages listed in SUMMARY.md, as paths relative to `book/src`.
pub fn summary_pages(root: &Path) -> Result<Vec<String>> {
    let summary = fs::read_to_string(root.join("book/src/SUMMARY.md"))?;
    Ok(summary
        .lines()
        .filter_map(|l| {
            let start = l.find("](")? + 2;
            let end = start + l[start..].find(')')?;
            Some(l[start..end].to_owned())
        })
        .filter(|p| p.ends_with(".md"))
        .collect())
}

/// A fenced block in a Markdown file.
struct Fence<'a> {
    info: &'a str,
    /// 1-based line of the opening fence.
    line: usize,
    body: Vec<&'a str>,
}

fn fences(text: &str) -> Vec<Fence<'_>> {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lines.len() {
        let t = lines[i].trim_start();
        if t.starts_with("```") {
            let info = t.trim_start_matches('`').trim();
            let end = (i + 1..lines.len())
                .find(|&j| lines[j].trim_start().starts_with("```"))
                .unwrap_or(lines.len());
            out.push(Fence {
                info,
                line: i + 1,
                body: lines[i + 1..end.min(lines.len())].to_vec(),
            });
            i = end + 1;
        } else {
            i += 1;
        }
    }
    out
}

fn is_rust(info: &str) -> bool {
    info == "rust" || info.starts_with("rust,")
}

/// Checks the rules the book's sources keep; returns one line per breach.
pub fn lint(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    let src = root.join("book/src");
    let code_lines = code_corpus(root);
    let mut sources = files_with(&src, "md");
    sources.push(root.join("README.md"));

    for md in &sources {
        let rel = md.strip_prefix(root)?.display().to_string();
        let text = fs::read_to_string(md)?;
        for fence in fences(&text) {
            let includes = fence.body.iter().filter(|l| l.contains("{{#")).count();
            if includes > 0 {
                // Included code only: no pasted lines mixed in.
                for (k, l) in fence.body.iter().enumerate() {
                    let t = l.trim();
                    if !t.is_empty() && !t.starts_with("{{#") {
                        problems.push(format!(
                            "{rel}:{}: a block that includes crate code must hold only includes; \
                             move this line into the crate",
                            fence.line + 1 + k
                        ));
                    }
                }
                for (k, l) in fence.body.iter().enumerate() {
                    if let Some(p) = check_include(md, l.trim()) {
                        problems.push(format!("{rel}:{}: {p}", fence.line + 1 + k));
                    }
                }
            } else if is_rust(fence.info) {
                // A standalone snippet (skeptic runs it), which must not be a
                // copy of crate code.
                for (k, l) in fence.body.iter().enumerate() {
                    let t = l.trim();
                    if t.len() >= 30 && !t.starts_with("//") && code_lines.contains(t) {
                        problems.push(format!(
                            "{rel}:{}: this line is pasted from the crates; show crate code \
                             with {{{{#include file:anchor}}}} instead",
                            fence.line + 1 + k
                        ));
                    }
                }
            }
        }
    }

    // Every page in the summary exists and opens with its title.
    for page in summary_pages(root)? {
        let path = src.join(&page);
        match fs::read_to_string(&path) {
            Ok(text) if text.trim_start().starts_with("# ") => {}
            Ok(_) => problems.push(format!(
                "book/src/{page}: the page must open with a `# Title` heading"
            )),
            Err(_) => problems.push(format!(
                "book/src/SUMMARY.md lists book/src/{page}, which does not exist"
            )),
        }
    }
    Ok(problems)
}

/// Checks one `{{#include path:anchor}}` line against the file it names.
fn check_include(md: &Path, line: &str) -> Option<String> {
    let inner = line.strip_prefix("{{#")?.strip_suffix("}}")?;
    let (kind, arg) = inner.split_once(' ')?;
    if kind != "include" && kind != "rustdoc_include" {
        return Some(format!("unknown directive {{{{#{kind}}}}}"));
    }
    let (path, anchor) = match arg.trim().split_once(':') {
        Some((p, a)) => (p, Some(a)),
        None => (arg.trim(), None),
    };
    let file = md.parent()?.join(path);
    let Ok(text) = fs::read_to_string(&file) else {
        return Some(format!("includes {path}, which does not exist"));
    };
    let anchor = anchor.filter(|a| !a.chars().next().is_some_and(|c| c.is_ascii_digit()))?;
    let starts = text
        .lines()
        .any(|l| l.trim_end().ends_with(&format!("ANCHOR: {anchor}")));
    let ends = text
        .lines()
        .any(|l| l.trim_end().ends_with(&format!("ANCHOR_END: {anchor}")));
    (!starts || !ends)
        .then(|| format!("{path} has no complete anchor `{anchor}` (ANCHOR: / ANCHOR_END:)"))
}

/// Every trimmed line of the crates' Rust sources.
fn code_corpus(root: &Path) -> BTreeSet<String> {
    ["code", "exercises", "solutions"]
        .iter()
        .flat_map(|d| rust_files(&root.join(d)))
        .filter_map(|f| fs::read_to_string(f).ok())
        .flat_map(|t| t.lines().map(|l| l.trim().to_owned()).collect::<Vec<_>>())
        .collect()
}

/// Where Go links must point, and the exact files to check them against.
const GO_BLOB: &str = "https://github.com/golang/go/blob/";
const GO_TAG: &str = "go1.23.5";

/// The Go 1.23.5 reference files (`../shared/reference/go1.23.5`), if
/// present beside the project.
pub fn go_reference(root: &Path) -> Option<PathBuf> {
    let dir = root.join("../shared/reference/go1.23.5");
    dir.join("src").is_dir().then_some(dir)
}

/// Every inline Markdown link to Go's source in `text`: (line number, link
/// text, URL).
fn go_links(text: &str) -> Vec<(usize, String, String)> {
    let mut out = Vec::new();
    let needle = format!("]({GO_BLOB}");
    let mut from = 0;
    while let Some(at) = text[from..].find(&needle) {
        let close = from + at;
        let url_start = close + 2;
        let url_end = text[url_start..]
            .find([')', ' ', '\n'])
            .map_or(text.len(), |e| url_start + e);
        // Walk back to the `[` that opens the link text (brackets nest).
        let mut depth = 0;
        let mut open = None;
        for (i, c) in text[..close].char_indices().rev() {
            match c {
                ']' => depth += 1,
                '[' if depth == 0 => {
                    open = Some(i);
                    break;
                }
                '[' => depth -= 1,
                _ => {}
            }
        }
        let label = open.map_or("", |o| &text[o + 1..close]).to_owned();
        let line = text[..close].matches('\n').count() + 1;
        out.push((line, label, text[url_start..url_end].to_owned()));
        from = url_end;
    }
    out
}

/// The identifiers a link's text names: its code spans, less a trailing
/// `()` and any `Type.` or `pkg.` qualifier.
fn named_identifiers(label: &str) -> Vec<String> {
    label
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|span| {
            let span = span.trim().trim_end_matches("()");
            span.rsplit(['.', ' ']).next().unwrap_or(span).to_owned()
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// Checks every link to Go's source in the book's pages: pinned to
/// go1.23.5, with a line anchor, and (with the reference files present)
/// naming in its text an identifier that is on the anchored line.
pub fn check_go_links(root: &Path) -> Result<Vec<String>> {
    let reference = go_reference(root);
    if reference.is_none() {
        println!(
            "WARNING: ../shared/reference/go1.23.5 is not beside the project: Go links are checked \
             for the tag and a line anchor only, NOT against Go's source"
        );
    }
    let mut problems = Vec::new();
    let mut checked = 0;
    for md in files_with(&root.join("book/src"), "md") {
        let rel = md.strip_prefix(root)?.display().to_string();
        let text = fs::read_to_string(&md)?;
        for (line, label, url) in go_links(&text) {
            checked += 1;
            let at = format!("{rel}:{line}");
            let rest = &url[GO_BLOB.len()..];
            let Some(path_anchor) = rest.strip_prefix(&format!("{GO_TAG}/")) else {
                problems.push(format!("{at}: Go link not pinned to {GO_TAG}: {url}"));
                continue;
            };
            let (path, anchor) = path_anchor.split_once('#').unwrap_or((path_anchor, ""));
            let Some(first) = anchor
                .strip_prefix('L')
                .and_then(|a| a.split('-').next())
                .and_then(|n| n.parse::<usize>().ok())
            else {
                problems.push(format!("{at}: Go link without a line anchor (#Lnn): {url}"));
                continue;
            };
            let Some(reference) = &reference else {
                continue;
            };
            let file = reference.join(path);
            let Ok(source) = fs::read_to_string(&file) else {
                problems.push(format!(
                    "{at}: {path} is not among the reference files in ../shared/reference/go1.23.5, \
                     so the anchor cannot be checked; link a file that is"
                ));
                continue;
            };
            let Some(target) = source.lines().nth(first - 1) else {
                problems.push(format!("{at}: {path} has no line {first}"));
                continue;
            };
            let names = named_identifiers(&label);
            if names.is_empty() {
                problems.push(format!(
                    "{at}: the link text `{label}` names no identifier in a code span; say what is on {path}#L{first}"
                ));
            } else if !names.iter().any(|n| target.contains(n.as_str())) {
                problems.push(format!(
                    "{at}: {path}#L{first} does not contain {} (the line is: {})",
                    names.join(" or "),
                    target.trim()
                ));
            }
        }
    }
    println!(
        "checked {checked} links to Go's source{}",
        if reference.is_some() {
            " against the go1.23.5 reference files"
        } else {
            " (tag and anchor only)"
        }
    );
    Ok(problems)
}

/// Checks that every relative link and resource in the built pages resolves.
pub fn check_links(root: &Path) -> Result<Vec<String>> {
    let build = root.join("book/build");
    let mut problems = Vec::new();
    for page in summary_pages(root)? {
        let html = build.join(page.replace(".md", ".html"));
        let text = fs::read_to_string(&html)
            .with_context(|| format!("{} was not built", html.display()))?;
        for target in attr_values(&text) {
            if target.starts_with('#')
                || target.contains("://")
                || target.starts_with("mailto:")
                || target.starts_with("javascript:")
                || target.starts_with("data:")
            {
                continue;
            }
            let path = target.split(['#', '?']).next().unwrap_or_default();
            if path.is_empty() {
                continue;
            }
            let mut resolved: PathBuf = html.parent().unwrap().join(path);
            if path.ends_with('/') || resolved.is_dir() {
                resolved = resolved.join("index.html");
            }
            if !resolved.exists() {
                problems.push(format!(
                    "book/src/{page}: the link `{target}` leads nowhere"
                ));
            }
        }
    }
    Ok(problems)
}

/// The values of `href="…"` and `src="…"` attributes.
fn attr_values(html: &str) -> Vec<String> {
    let mut out = Vec::new();
    for attr in ["href=\"", "src=\""] {
        let mut rest = html;
        while let Some(i) = rest.find(attr) {
            // Skip `data-src="…"` and the like.
            let preceded_by_space = rest[..i].ends_with([' ', '\n', '\t']);
            rest = &rest[i + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            if preceded_by_space {
                out.push(rest[..end].replace("&amp;", "&"));
            }
            rest = &rest[end..];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_fences_and_their_lines() {
        let text = "# T\n\n```rust\nfn main() {}\n```\n\n```mermaid\ngraph TD\n```\n";
        let f = fences(text);
        assert_eq!(f.len(), 2);
        assert_eq!(
            (f[0].info, f[0].line, f[0].body.clone()),
            ("rust", 3, vec!["fn main() {}"])
        );
        assert_eq!(f[1].info, "mermaid");
    }

    #[test]
    fn reads_link_attributes_only() {
        let html = r#"<a href="a.html#x">a</a> <img src="i.png"> <div data-src="no">"#;
        assert_eq!(attr_values(html), ["a.html#x", "i.png"]);
    }
    #[test]
    fn finds_go_links_and_their_names() {
        let text = "See [`Mutex.Lock()`](https://github.com/golang/go/blob/go1.23.5/src/sync/mutex.go#L77)\n\
                    and [the [`x`] doc](https://github.com/golang/go/blob/master/src/sync/pool.go).";
        let links = go_links(text);
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].0, 1);
        assert_eq!(named_identifiers(&links[0].1), ["Lock"]);
        assert_eq!(links[1].0, 2);
        assert_eq!(links[1].1, "the [`x`] doc");
        assert!(links[1].2.ends_with("pool.go"));
    }
}
