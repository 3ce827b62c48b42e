//! The rules the book's sources and its built pages must keep. (Building
//! and serving it live in the small `xtask-book` crate.)

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};

use crate::tools;
use crate::util::{files_with, run, rust_files};

/// Serving and building live in the small crate `cargo xtask book` builds.
pub use xtask_book::{build, prepare};

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

/// The code that fills each exercise's holes is printed in the book only
/// inside a `<details class="solution">` fold. Each `solutions/*/mutants.toml`
/// names that code as `holes = ["code/CRATE/src/FILE.rs:anchor", ...]`; an
/// `{{#include}}` of one of those anchors (or of the whole file) outside a
/// fold is a problem, and so is a hole whose anchor does not exist.
pub fn check_folded_holes(root: &Path) -> Result<Vec<String>> {
    let mut problems = Vec::new();
    // (file, anchor) -> the exercise whose hole it fills.
    let mut holes: BTreeMap<(PathBuf, String), String> = BTreeMap::new();
    let mut dirs: Vec<PathBuf> = fs::read_dir(root.join("solutions"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    for dir in dirs {
        let meta = dir.join("mutants.toml");
        let Ok(text) = fs::read_to_string(&meta) else {
            continue;
        };
        let name = dir
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .into_owned();
        let value: toml::Value =
            toml::from_str(&text).with_context(|| format!("cannot parse {}", meta.display()))?;
        for hole in value
            .get("holes")
            .and_then(|h| h.as_array())
            .into_iter()
            .flatten()
        {
            let Some((file, anchor)) = hole.as_str().and_then(|h| h.rsplit_once(':')) else {
                problems.push(format!(
                    "solutions/{name}/mutants.toml: a hole is written FILE:anchor, not {hole}"
                ));
                continue;
            };
            let path = root.join(file);
            let has_anchor = fs::read_to_string(&path).is_ok_and(|t| {
                t.lines()
                    .any(|l| l.trim_end().ends_with(&format!("ANCHOR: {anchor}")))
            });
            if !has_anchor {
                problems.push(format!(
                    "solutions/{name}/mutants.toml: hole {file}:{anchor} names no anchor in that file"
                ));
            }
            let path = path.canonicalize().unwrap_or(path);
            holes.insert((path, anchor.to_owned()), name.clone());
        }
    }
    for md in files_with(&root.join("book/src"), "md") {
        let rel = md.strip_prefix(root)?.display().to_string();
        let text = fs::read_to_string(&md)?;
        let mut folds = 0usize;
        for (n, line) in text.lines().enumerate() {
            if line.contains("<details class=\"solution\">") {
                folds += 1;
            }
            if line.contains("</details>") {
                folds = folds.saturating_sub(1);
            }
            let Some(arg) = line
                .trim()
                .strip_prefix("{{#include ")
                .and_then(|r| r.strip_suffix("}}"))
            else {
                continue;
            };
            if folds > 0 {
                continue;
            }
            let (file, anchor) = arg.trim().split_once(':').unwrap_or((arg.trim(), ""));
            let Some(parent) = md.parent() else { continue };
            let path = parent.join(file);
            let path = path.canonicalize().unwrap_or(path);
            for ((hole_file, hole_anchor), exercise) in &holes {
                if *hole_file == path && (anchor.is_empty() || anchor == hole_anchor) {
                    problems.push(format!(
                        "{rel}:{}: prints the code that fills {exercise}'s hole ({hole_anchor}) \
                         outside a <details class=\"solution\"> fold",
                        n + 1
                    ));
                }
            }
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
    // The book's pages, and the crates' doc comments (the API docs the book
    // links to make claims about Go too).
    let mut files = files_with(&root.join("book/src"), "md");
    // (Not the tools': their tests hold deliberately bad links.)
    files.extend(
        files_with(&root.join("code"), "rs")
            .into_iter()
            .filter(|f| {
                !f.starts_with(root.join("code/xtask"))
                    && !f.starts_with(root.join("code/xtask-book"))
            }),
    );
    files.extend(files_with(&root.join("exercises"), "rs"));
    for md in files {
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

/// Where `cargo xtask test` builds the book: not `book/build`, which
/// `cargo xtask book` (`mdbook serve`, with its live-reload script) may be
/// writing at the same time.
pub fn test_build_dir(root: &Path) -> PathBuf {
    root.join("target/book-test")
}

/// Checks that every relative link and resource in the pages built into
/// `build` resolves.
pub fn check_links(root: &Path, build: &Path) -> Result<Vec<String>> {
    Ok(dangling_links(root, build)?
        .into_iter()
        .map(|(page, target)| format!("book/src/{page}: the link `{target}` leads nowhere"))
        .collect())
}

/// (page, link) for every relative link or resource in the built pages that
/// leads nowhere.
fn dangling_links(root: &Path, build: &Path) -> Result<Vec<(String, String)>> {
    let mut dangling = Vec::new();
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
                dangling.push((page.clone(), target));
            }
        }
    }
    Ok(dangling)
}

/// Mermaid's scripts, kept in git beside book.toml (its `additional-js`):
/// a plain `mdbook build book` fails without them.
pub const MERMAID_ASSETS: &[&str] = &["mermaid.min.js", "mermaid-init.js"];

/// The Mermaid scripts in `book/` must be, byte for byte, what the pinned
/// `mdbook-mermaid install` writes (run here into a scratch copy of
/// book.toml), and that install must find book.toml already complete.
pub fn check_mermaid_assets(root: &Path) -> Result<Vec<String>> {
    let book = root.join("book");
    let scratch = root.join("target/book-check/mermaid");
    if scratch.exists() {
        fs::remove_dir_all(&scratch)?;
    }
    fs::create_dir_all(&scratch)?;
    let toml = fs::read_to_string(book.join("book.toml"))?;
    fs::write(scratch.join("book.toml"), &toml)?;
    run(Command::new(tools::MDBOOK_MERMAID.0)
        .arg("install")
        .arg(&scratch))?;
    let shown = scratch.strip_prefix(root)?.display();
    let (name, version) = tools::MDBOOK_MERMAID;
    let mut problems = Vec::new();
    if fs::read_to_string(scratch.join("book.toml"))? != toml {
        problems.push(format!(
            "`{name} install` changes book/book.toml: book.toml should already hold its settings \
             (compare it with {shown}/book.toml)"
        ));
    }
    for asset in MERMAID_ASSETS {
        let fresh = fs::read(scratch.join(asset))
            .with_context(|| format!("`{name} install` wrote no {asset} into {shown}"))?;
        let fix = format!("cp {shown}/{asset} book/ and commit it");
        match fs::read(book.join(asset)) {
            Ok(kept) if kept == fresh => {}
            Ok(_) => problems.push(format!(
                "book/{asset} is not what {name} {version} installs: {fix}"
            )),
            Err(_) => problems.push(format!(
                "book/{asset} is missing, and a plain `mdbook build book` fails without it: {fix}"
            )),
        }
    }
    println!(
        "book/{} are what {name} {version} installs",
        MERMAID_ASSETS.join(" and book/")
    );
    Ok(problems)
}

/// A fresh clone must build with a plain `mdbook build`: copies what git
/// keeps (tracked files, and new ones it does not ignore) to
/// `target/book-check/clean`, without any generated file, builds the book
/// there, and checks its links but those into `api/` (the API docs that
/// `cargo xtask book` generates).
pub fn check_clean_copy(root: &Path) -> Result<Vec<String>> {
    let copy = root.join("target/book-check/clean");
    if copy.exists() {
        fs::remove_dir_all(&copy)?;
    }
    let listed = Command::new("git")
        .current_dir(root)
        .args([
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ])
        .output()
        .context("cannot run git to list the files a clone has")?;
    if !listed.status.success() {
        bail!(
            "git ls-files failed: {}",
            String::from_utf8_lossy(&listed.stderr)
        );
    }
    let mut copied = 0;
    for rel in listed.stdout.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let rel = Path::new(std::str::from_utf8(rel)?);
        let from = root.join(rel);
        // Deleted but not yet committed, or a submodule.
        if !from.is_file() {
            continue;
        }
        let to = copy.join(rel);
        fs::create_dir_all(to.parent().context("a file has a folder")?)?;
        fs::copy(&from, &to)?;
        copied += 1;
    }
    let shown = copy.strip_prefix(root)?.display().to_string();
    let mut problems = Vec::new();
    if let Err(e) = run(Command::new(tools::MDBOOK.0)
        .current_dir(copy.join("book"))
        .arg("build"))
    {
        problems.push(format!(
            "a clean copy of the project ({copied} files, in {shown}) does not build with \
             plain `mdbook build book`: {e:#}"
        ));
        return Ok(problems);
    }
    let (api, other): (Vec<_>, Vec<_>) = dangling_links(&copy, &copy.join("book/build"))?
        .into_iter()
        .partition(|(_, target)| target.contains("api/"));
    for (page, target) in other {
        problems.push(format!(
            "book/src/{page}: in a clean copy ({shown}), the link `{target}` leads nowhere"
        ));
    }
    println!(
        "a clean copy ({copied} files, in {shown}) builds with plain `mdbook build book`; \
         its {} links into api/ wait for the API docs `cargo xtask book` writes",
        api.len()
    );
    Ok(problems)
}

/// mdBook numbers the sidebar's entries unless told not to; the titles say
/// "Chapter N" already, so a label would number each chapter twice
/// ("2. Chapter 1: Mutex"). Reads the sidebar mdBook writes (`toc.html`).
pub fn check_sidebar(build: &Path) -> Result<Vec<String>> {
    let toc = build.join("toc.html");
    let html =
        fs::read_to_string(&toc).with_context(|| format!("{} was not built", toc.display()))?;
    let entries: Vec<String> = html
        .split("<a href=\"")
        .skip(1)
        .map(|entry| {
            let text = entry.split_once('>').map_or("", |(_, t)| t);
            strip_tags(text.split("</a>").next().unwrap_or(text))
                .trim()
                .to_owned()
        })
        .collect();
    if entries.is_empty() {
        return Ok(vec![format!("{} lists no pages", toc.display())]);
    }
    let numbered: Vec<&String> = entries
        .iter()
        .filter(|e| {
            let label = e.split_whitespace().next().unwrap_or("");
            label.strip_suffix('.').is_some_and(|n| {
                n.split('.')
                    .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            })
        })
        .collect();
    let Some(first) = numbered
        .iter()
        .find(|e| e.contains("Chapter"))
        .or(numbered.first())
    else {
        return Ok(Vec::new());
    };
    Ok(vec![format!(
        "the sidebar numbers {} of its {} entries (\"{first}\"), and the titles number the \
         chapters already: keep `no-section-label = true` under [output.html] in book/book.toml",
        numbered.len(),
        entries.len()
    )])
}

/// `html` without its tags.
fn strip_tags(html: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
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
    fn finds_section_labels_in_the_sidebar() {
        let dir = std::env::temp_dir().join(format!("xtask-sidebar-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let numbered = r#"<ol class="chapter"><li class="chapter-item expanded "><a href="ch01-mutex/index.html"><strong aria-hidden="true">2.</strong> Chapter 1: Mutex</a></li><li><a href="ch01-mutex/history.html"><strong aria-hidden="true">2.1.</strong> How Go's mutex got here</a></li>"#;
        fs::write(dir.join("toc.html"), numbered).unwrap();
        let problems = check_sidebar(&dir).unwrap();
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("numbers 2 of its 2 entries (\"2. Chapter 1: Mutex\")"),
            "{}",
            problems[0]
        );
        let plain = r#"<ol class="chapter"><li><a href="ch01-mutex/index.html">Chapter 1: Mutex</a></li><li><a href="x.html">2.5 seconds</a></li>"#;
        fs::write(dir.join("toc.html"), plain).unwrap();
        assert!(check_sidebar(&dir).unwrap().is_empty());
        fs::remove_dir_all(&dir).unwrap();
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
