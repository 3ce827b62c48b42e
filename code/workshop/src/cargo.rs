//! Building an exercise's tests with cargo and running them under a time
//! limit.
//!
//! The test executables are run directly, not through `cargo test`, so that
//! on a time-out the one process to kill is our own child: nothing hung is
//! left behind, and Ctrl-C reaches it like any foreground program.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow};
use serde_json::Value;

/// Which build of the tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavor {
    /// `cargo test`: the ordinary tests.
    Plain,
    /// The loom models: `--cfg loom`, release, `--test loom`, own target dir.
    Loom,
}

/// The outcome of building a package's tests.
pub enum Build {
    /// The test executables, in build order.
    Built(Vec<PathBuf>),
    /// The compiler's rendered errors, trimmed to `focus` when any lie there.
    Failed(Vec<String>),
}

/// The outcome of running test executables.
#[derive(Debug, PartialEq, Eq)]
pub enum Run {
    Passed,
    Failed,
    TimedOut,
}

/// The cargo to call: the one running us, if any.
pub fn cargo() -> String {
    std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned())
}

fn spawn_error(program: &str, err: std::io::Error) -> anyhow::Error {
    if err.kind() == std::io::ErrorKind::NotFound {
        anyhow!(
            "cannot run `{program}`: no Rust toolchain found on PATH; install one with rustup \
             (https://rustup.rs) and try again"
        )
    } else {
        anyhow!("cannot run `{program}`: {err}")
    }
}

/// Builds `package`'s tests. Compiler errors in files under `focus` are
/// returned alone; otherwise all of them are.
pub fn build(
    root: &Path,
    package: &str,
    flavor: Flavor,
    focus: &Path,
    quiet: bool,
) -> Result<Build> {
    let cargo = cargo();
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(root).args([
        "test",
        "--no-run",
        "--message-format=json",
        "--package",
        package,
    ]);
    if flavor == Flavor::Loom {
        loom_env(&mut cmd, root);
        cmd.args(["--release", "--test", "loom"]);
    }
    // Cargo's own progress ("Compiling …") goes to stderr: show it unless quiet.
    cmd.stdout(Stdio::piped()).stderr(if quiet {
        Stdio::piped()
    } else {
        Stdio::inherit()
    });
    let mut child = cmd.spawn().map_err(|e| spawn_error(&cargo, e))?;
    let stderr = child.stderr.take().map(drain);
    let stdout = child.stdout.take().context("cargo's stdout")?;

    let mut executables = Vec::new();
    let mut focused = Vec::new();
    let mut all_errors = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let Ok(msg) = serde_json::from_str::<Value>(&line?) else {
            continue;
        };
        match msg["reason"].as_str() {
            Some("compiler-artifact") => {
                if let Some(exe) = msg["executable"].as_str()
                    && msg["profile"]["test"].as_bool() == Some(true)
                {
                    executables.push(PathBuf::from(exe));
                }
            }
            Some("compiler-message") => {
                let message = &msg["message"];
                if message["level"].as_str() != Some("error") {
                    continue;
                }
                let rendered = message["rendered"].as_str().unwrap_or_default().to_owned();
                let in_focus = message["spans"].as_array().is_some_and(|spans| {
                    spans.iter().any(|s| {
                        s["file_name"]
                            .as_str()
                            .is_some_and(|f| root.join(f).starts_with(focus))
                    })
                });
                if in_focus {
                    focused.push(rendered.clone());
                }
                all_errors.push(rendered);
            }
            _ => {}
        }
    }
    let status = child.wait()?;
    let stderr_text = stderr
        .map(|h| h.join().unwrap_or_default())
        .unwrap_or_default();
    if status.success() {
        return Ok(Build::Built(executables));
    }
    let errors = if !focused.is_empty() {
        focused
    } else if !all_errors.is_empty() {
        all_errors
    } else {
        // Not a compile error: a manifest or resolution problem, which cargo
        // reports on stderr.
        vec![if stderr_text.is_empty() {
            format!("cargo failed to build {package}'s tests (see its output above)")
        } else {
            stderr_text
        }]
    };
    Ok(Build::Failed(errors))
}

fn loom_env(cmd: &mut Command, root: &Path) {
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !flags.split_whitespace().any(|f| f == "loom") {
        flags = format!("{flags} --cfg loom").trim().to_owned();
    }
    cmd.env("RUSTFLAGS", flags)
        .env("CARGO_TARGET_DIR", root.join("target/loom"))
        .env("LOOM_MAX_PREEMPTIONS", "2");
}

/// Runs each executable in turn until one fails or `limit` (for all of them
/// together) runs out. With `quiet`, output is collected and returned;
/// otherwise it streams to the terminal.
pub fn run(
    exes: &[PathBuf],
    dir: &Path,
    flavor: Flavor,
    limit: Duration,
    quiet: bool,
) -> Result<(Run, String)> {
    let deadline = Instant::now() + limit;
    let mut output = String::new();
    for exe in exes {
        let mut cmd = Command::new(exe);
        cmd.current_dir(dir)
            .env("RUST_BACKTRACE", "0")
            .env("CARGO_MANIFEST_DIR", dir);
        if flavor == Flavor::Loom {
            cmd.env("LOOM_MAX_PREEMPTIONS", "2");
        }
        if quiet {
            cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        }
        let mut child = cmd
            .spawn()
            .map_err(|e| anyhow!("cannot start {}: {e}", exe.display()))?;
        let readers = quiet.then(|| {
            (
                child.stdout.take().map(drain),
                child.stderr.take().map(drain),
            )
        });
        let outcome = wait_until(&mut child, deadline)?;
        if let Some((out, err)) = readers {
            for handle in [out, err].into_iter().flatten() {
                output.push_str(&handle.join().unwrap_or_default());
            }
        }
        match outcome {
            Some(true) => {}
            Some(false) => return Ok((Run::Failed, output)),
            None => return Ok((Run::TimedOut, output)),
        }
    }
    Ok((Run::Passed, output))
}

/// Waits for `child`; kills it at `deadline`. `Some(success)`, or `None` on
/// a time-out.
fn wait_until(child: &mut Child, deadline: Instant) -> Result<Option<bool>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status.success()));
        }
        if Instant::now() >= deadline {
            // A test binary's threads live and die with its one process.
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn drain<R: Read + Send + 'static>(mut pipe: R) -> thread::JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hung_process_is_killed_at_the_deadline() {
        let start = Instant::now();
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let outcome = wait_until(&mut child, start + Duration::from_millis(300)).unwrap();
        assert_eq!(outcome, None);
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn exit_status_is_reported() {
        let far = Instant::now() + Duration::from_secs(30);
        let mut ok = Command::new("true").spawn().unwrap();
        let mut bad = Command::new("false").spawn().unwrap();
        assert_eq!(wait_until(&mut ok, far).unwrap(), Some(true));
        assert_eq!(wait_until(&mut bad, far).unwrap(), Some(false));
    }
}
