//! The pinned external tools, installed on demand.

use std::process::Command;

use anyhow::{Context, Result};

use crate::util::run;

/// The book's tools live with the book's serving, in the small crate
/// `cargo xtask book` builds.
pub use xtask_book::{MDBOOK, MDBOOK_MERMAID, ensure_book_tools};

/// The Chromium binary, installed from Debian's packages if missing.
pub fn ensure_chromium() -> Result<String> {
    for candidate in ["chromium", "chromium-browser", "google-chrome"] {
        if let Ok(out) = Command::new("which").arg(candidate).output()
            && out.status.success()
        {
            return Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned());
        }
    }
    println!("chromium is not installed; installing Debian's package (needs root and apt-get)");
    run(Command::new("apt-get").arg("update").arg("-q"))
        .context("cannot install chromium: `apt-get update` failed")?;
    run(Command::new("apt-get").args(["install", "-y", "-q", "chromium"]))
        .context("cannot install chromium with apt-get; install it by hand and run again")?;
    Ok("/usr/bin/chromium".to_owned())
}

/// Nightly's Miri, with the component added if missing.
pub fn ensure_miri() -> Result<()> {
    let ok = Command::new("cargo")
        .args(["+nightly", "miri", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        println!("Miri is not installed; adding it to the nightly toolchain");
        run(Command::new("rustup").args([
            "component",
            "add",
            "miri",
            "rust-src",
            "--toolchain",
            "nightly",
        ]))
        .context("cannot add Miri: is a nightly toolchain installed (`rustup toolchain install nightly`)?")?;
    }
    run(Command::new("cargo").args(["+nightly", "miri", "setup"]))
}

/// A rustup target for the active toolchain, added if missing.
pub fn ensure_rust_target(target: &str) -> Result<()> {
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .context("cannot run rustup to list the installed targets")?;
    if String::from_utf8_lossy(&installed.stdout)
        .lines()
        .any(|l| l.trim() == target)
    {
        return Ok(());
    }
    println!("the {target} target is not installed; adding it with rustup");
    run(Command::new("rustup").args(["target", "add", target]))
        .with_context(|| format!("cannot add the {target} target with rustup"))
}
