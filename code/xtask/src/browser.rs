//! The browser check: a real headless Chromium loads every page of the book
//! as `cargo xtask test` built it (into `target/book-test`) from a loopback
//! server, and each page must show its title, turn every Mermaid block into
//! an SVG, and raise no JavaScript error. A screenshot of each page lands in
//! `target/book-screenshots/`.

use std::ffi::OsStr;
use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use headless_chrome::protocol::cdp::Page::CaptureScreenshotFormatOption;
use headless_chrome::protocol::cdp::types::Event;
use headless_chrome::{Browser, LaunchOptions};
use serde_json::Value;

use crate::book::summary_pages;
use crate::tools;

/// What the page reports once loaded (see `PROBE`).
const PROBE: &str = r#"JSON.stringify({
  title: (document.querySelector('main h1') || {}).textContent || null,
  mermaid: document.querySelectorAll('pre.mermaid').length,
  rendered: document.querySelectorAll('pre.mermaid svg').length,
  failed: [...document.querySelectorAll('pre.mermaid svg')].filter(svg =>
    svg.getAttribute('aria-roledescription') === 'error'
    || svg.textContent.includes('Syntax error')).length
})"#;

/// How many search results the search box shows.
const SEARCH_PROBE: &str =
    r#"document.querySelectorAll('#mdbook-searchresults li, #searchresults li').length"#;

/// Loads the book built into `build` (never `book/build`, where `mdbook
/// serve` writes pages with a live-reload script).
pub fn check(root: &Path, build: &Path, search_word: &str) -> Result<Vec<String>> {
    let chromium = tools::ensure_chromium()?;
    let port = serve_dir(build.canonicalize()?)?;
    let base = format!("http://127.0.0.1:{port}");

    let profile = root.join("target/chromium-profile");
    let _ = fs::remove_dir_all(&profile);
    fs::create_dir_all(&profile)?;
    let shots = root.join("target/book-screenshots");
    fs::create_dir_all(&shots)?;

    let options = LaunchOptions::default_builder()
        .path(Some(PathBuf::from(&chromium)))
        .headless(true)
        .sandbox(false)
        .window_size(Some((1280, 900)))
        .user_data_dir(Some(profile))
        .idle_browser_timeout(Duration::from_secs(300))
        .args(
            [
                "--disable-gpu",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ]
            .iter()
            .map(OsStr::new)
            .collect(),
        )
        .build()
        .map_err(|e| anyhow!("bad browser options: {e}"))?;
    let browser = Browser::new(options).context("cannot start headless chromium")?;
    let tab = browser.new_tab().context("cannot open a tab")?;

    // Collect JavaScript exceptions and console errors as they happen.
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    tab.enable_runtime()?;
    tab.enable_log()?;
    let sink = Arc::clone(&errors);
    tab.add_event_listener(Arc::new(move |event: &Event| {
        let text = match event {
            Event::RuntimeExceptionThrown(e) => Some(format!(
                "JavaScript exception: {}",
                e.params
                    .exception_details
                    .exception
                    .as_ref()
                    .and_then(|x| x.description.clone())
                    .unwrap_or_else(|| e.params.exception_details.text.clone())
            )),
            Event::LogEntryAdded(e) if format!("{:?}", e.params.entry.level) == "Error" => {
                Some(format!("console error: {}", e.params.entry.text))
            }
            _ => None,
        };
        if let Some(t) = text {
            sink.lock().unwrap().push(t);
        }
    }))?;

    let mut problems = Vec::new();
    for page in summary_pages(root)? {
        let html = page.replace(".md", ".html");
        let url = format!("{base}/{html}");
        errors.lock().unwrap().clear();
        tab.navigate_to(&url)?.wait_until_navigated()?;
        // Mermaid renders after load: wait until every block holds an SVG
        // (up to a limit), let it settle, then take the final reading.
        let probe = || -> Result<Value> {
            let v = tab.evaluate(PROBE, false)?.value.unwrap_or(Value::Null);
            Ok(serde_json::from_str(v.as_str().unwrap_or("{}"))?)
        };
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let s = probe()?;
            if s["mermaid"] == s["rendered"] || Instant::now() > deadline {
                break;
            }
            thread::sleep(Duration::from_millis(200));
        }
        thread::sleep(Duration::from_millis(300));
        let state = probe()?;
        let shot = tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)?;
        fs::write(
            shots.join(html.replace('/', "__").replace(".html", ".png")),
            shot,
        )?;

        let count = |key: &str| state[key].as_u64().unwrap_or(0);
        // Mermaid draws an error diagram in place of one it cannot parse.
        let (n, failed) = (count("mermaid"), count("failed"));
        let rendered = count("rendered").saturating_sub(failed);
        let title = state["title"].as_str().unwrap_or("").trim().to_owned();
        println!(
            "  {html}: \"{title}\"{}",
            if n > 0 {
                format!(", {rendered}/{n} diagrams")
            } else {
                String::new()
            }
        );
        if title.is_empty() {
            problems.push(format!("{html}: no title heading"));
        }
        if rendered < n {
            problems.push(format!(
                "{html}: {} of {n} mermaid diagrams did not render ({failed} with a syntax error)",
                n - rendered
            ));
        }
        for e in errors.lock().unwrap().iter() {
            problems.push(format!("{html}: {e}"));
        }
    }

    // Full-text search finds the word.
    tab.navigate_to(&format!("{base}/index.html?search={search_word}"))?
        .wait_until_navigated()?;
    let deadline = Instant::now() + Duration::from_secs(15);
    let hits = loop {
        let hits = tab
            .evaluate(SEARCH_PROBE, false)?
            .value
            .and_then(|v| v.as_u64())
            .unwrap_or(0);
        if hits > 0 || Instant::now() > deadline {
            break hits;
        }
        thread::sleep(Duration::from_millis(200));
    };
    let shot = tab.capture_screenshot(CaptureScreenshotFormatOption::Png, None, None, true)?;
    fs::write(shots.join("search.png"), shot)?;
    println!("  search for \"{search_word}\": {hits} results");
    if hits == 0 {
        problems.push(format!("searching for \"{search_word}\" returns nothing"));
    }
    println!("  screenshots: {}", shots.strip_prefix(root)?.display());
    Ok(problems)
}

/// Serves `dir` on a loopback port (GET only), for as long as we run.
fn serve_dir(dir: PathBuf) -> Result<u16> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let port = listener.local_addr()?.port();
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let dir = dir.clone();
            thread::spawn(move || {
                let _ = answer(stream, &dir);
            });
        }
    });
    Ok(port)
}

fn answer(mut stream: TcpStream, dir: &Path) -> Result<()> {
    let mut request = String::new();
    BufReader::new(&stream).read_line(&mut request)?;
    let raw = request.split_whitespace().nth(1).unwrap_or("/");
    let path = raw
        .split(['?', '#'])
        .next()
        .unwrap_or("/")
        .replace("%20", " ");
    let mut file = dir.join(path.trim_start_matches('/'));
    if file.is_dir() {
        file = file.join("index.html");
    }
    // Stay inside the served folder.
    let inside = file.canonicalize().is_ok_and(|f| f.starts_with(dir));
    let (status, body) = match fs::read(&file) {
        Ok(body) if inside => ("200 OK", body),
        _ => ("404 Not Found", b"not found".to_vec()),
    };
    let kind = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript",
        Some("css") => "text/css",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("woff2") => "font/woff2",
        Some("woff") => "font/woff",
        _ => "application/octet-stream",
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    stream.write_all(&body)?;
    Ok(())
}
