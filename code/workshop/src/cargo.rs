//! Building an exercise's tests with cargo and running them under a time
//! limit.
//!
//! The test executables are run directly, not through `cargo test`, so that
//! on a time-out the one process to kill is our own child: nothing hung is
//! left behind, and Ctrl-C reaches it like any foreground program.
//!
//! They run one test at a time (`--test-threads=1`) with their output not
//! captured (`--nocapture`), through one pipe for stdout and stderr, which
//! we read as it comes: libtest then prints `test NAME ... ` before each
//! test starts, so a test still running at the time limit can be named, and
//! a failing test's panic message is printed the moment it happens, not at
//! the end of a run that the time limit may cut short.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, mpsc};
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
    /// The compiler's rendered errors, each once, trimmed to `focus` when
    /// any lie there.
    Failed(Vec<String>),
}

/// How a run of test executables ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Run {
    Passed,
    Failed,
    TimedOut,
}

/// What kind of failure a test's message shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// An assertion, an `unwrap`, any panic of the test's own.
    Assertion,
    /// testkit's watchdog: `possible deadlock: no progress after N s`.
    /// A hang, caught by a time limit, not by a check of a value.
    Watchdog,
    /// loom found two accesses with no order between them.
    LoomCausality,
    /// loom found an interleaving in which every thread waits.
    LoomDeadlock,
    /// loom's exploration did not end: a thread spins forever.
    LoomLivelock,
    /// testkit's floor on a loom model's executions: the model passed, but
    /// explored fewer interleavings than it is meant to.
    LoomUnderExplored,
    /// Miri found undefined behaviour (a data race, most often).
    Miri,
    /// The process died under the test (an abort or a signal).
    Crash,
}

/// A failed test: its name and the first line of its message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    pub test: String,
    pub message: String,
    pub kind: Kind,
}

/// Everything one `run` learned.
#[derive(Debug)]
pub struct Report {
    pub outcome: Run,
    /// The output of the test processes (stdout and stderr, in order),
    /// without terminal colours.
    pub output: String,
    /// Failed tests, in the order they failed.
    pub failures: Vec<Failure>,
    /// On a time-out: the test that was still running, if one was.
    pub running: Option<String>,
}

impl Report {
    /// The first failure that is not only a hang: the one that says what
    /// went wrong.
    pub fn first_real_failure(&self) -> Option<&Failure> {
        self.failures.iter().find(|f| f.kind != Kind::Watchdog)
    }
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

/// Where cargo puts the plain builds: `$CARGO_TARGET_DIR`, else `target/`.
pub fn target_dir(root: &Path) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|d| if d.is_absolute() { d } else { root.join(d) })
        .unwrap_or_else(|| root.join("target"))
}

/// Where the loom builds go: their own folder, since `--cfg loom` changes
/// every crate (and would otherwise throw the plain builds away).
pub fn loom_target_dir(root: &Path) -> PathBuf {
    target_dir(root).join("loom")
}

/// True once a loom build has compiled loom itself into `target/loom`:
/// the first one compiles it and every crate in release mode, and takes
/// minutes; later ones rebuild only what changed.
pub fn loom_is_built(root: &Path) -> bool {
    std::fs::read_dir(loom_target_dir(root).join("release/deps"))
        .into_iter()
        .flatten()
        .flatten()
        .any(|e| {
            let name = e.file_name();
            let name = name.to_string_lossy();
            name.starts_with("libloom-") && name.ends_with(".rlib")
        })
}

/// Builds `package`'s tests in the workspace at `dir`, into `target` (the
/// plain or the loom target folder). Compiler errors in files under `focus`
/// are returned alone; otherwise all of them are.
pub fn build_in(
    dir: &Path,
    target: &Path,
    package: &str,
    flavor: Flavor,
    focus: &Path,
    quiet: bool,
) -> Result<Build> {
    let cargo = cargo();
    let mut cmd = Command::new(&cargo);
    cmd.current_dir(dir).env("CARGO_TARGET_DIR", target).args([
        "test",
        "--no-run",
        "--message-format=json",
        "--package",
        package,
    ]);
    if flavor == Flavor::Loom {
        loom_env(&mut cmd);
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
    let mut messages = Messages::default();
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
            Some("compiler-message") => messages.add(&msg["message"], dir, focus),
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
    let errors = messages.into_errors().unwrap_or_else(|| {
        // Not a compile error: a manifest or resolution problem, which cargo
        // reports on stderr.
        vec![if stderr_text.is_empty() {
            format!("cargo failed to build {package}'s tests (see its output above)")
        } else {
            stderr_text
        }]
    });
    Ok(Build::Failed(errors))
}

/// Builds `package`'s tests in the workspace at `root`, as `check` does.
pub fn build(
    root: &Path,
    package: &str,
    flavor: Flavor,
    focus: &Path,
    quiet: bool,
) -> Result<Build> {
    let target = match flavor {
        Flavor::Plain => target_dir(root),
        Flavor::Loom => loom_target_dir(root),
    };
    build_in(root, &target, package, flavor, focus, quiet)
}

/// The compiler's errors, each once.
///
/// `cargo test` compiles a library twice: as the library the test files
/// link to, and as its own unit-test harness (`--test`). An error in
/// `src/lib.rs` therefore arrives twice, identical; it is kept once.
#[derive(Default)]
struct Messages {
    focused: Vec<String>,
    all: Vec<String>,
}

impl Messages {
    fn add(&mut self, message: &Value, dir: &Path, focus: &Path) {
        if message["level"].as_str() != Some("error") {
            return;
        }
        let rendered = message["rendered"].as_str().unwrap_or_default().to_owned();
        if self.all.contains(&rendered) {
            return;
        }
        let in_focus = message["spans"].as_array().is_some_and(|spans| {
            spans.iter().any(|s| {
                s["file_name"]
                    .as_str()
                    .is_some_and(|f| dir.join(f).starts_with(focus))
            })
        });
        if in_focus {
            self.focused.push(rendered.clone());
        }
        self.all.push(rendered);
    }

    fn into_errors(self) -> Option<Vec<String>> {
        if !self.focused.is_empty() {
            Some(self.focused)
        } else if !self.all.is_empty() {
            Some(self.all)
        } else {
            None
        }
    }
}

fn loom_env(cmd: &mut Command) {
    let mut flags = std::env::var("RUSTFLAGS").unwrap_or_default();
    if !flags.split_whitespace().any(|f| f == "loom") {
        flags = format!("{flags} --cfg loom").trim().to_owned();
    }
    cmd.env("RUSTFLAGS", flags).env("LOOM_MAX_PREEMPTIONS", "2");
}

/// The watchdog limit the tests get under a time limit of `limit`: a
/// quarter of it (at least 2 s, and never more than `GOSYNC_WATCHDOG_SECS`
/// if that is set lower), so that a hung test fails with the watchdog's
/// message, and the tests after it still run, well inside the limit.
pub fn watchdog_for(limit: Duration) -> Duration {
    let quarter = (limit / 4).max(Duration::from_secs(2));
    let set = std::env::var("GOSYNC_WATCHDOG_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map(Duration::from_secs);
    match set {
        Some(s) if s < quarter => s,
        _ => quarter,
    }
}

/// How to run the test executables.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    pub flavor: Flavor,
    /// For all the executables together.
    pub limit: Duration,
    /// Collect the output instead of printing it as it comes.
    pub quiet: bool,
    /// Stop at the first test that fails by more than a hang (for mutants:
    /// one real failure is the answer, the rest is time).
    pub stop_at_failure: bool,
}

/// Runs each executable in turn until one fails or `limit` (for all of them
/// together) runs out.
pub fn run(exes: &[PathBuf], dir: &Path, opts: RunOptions) -> Result<Report> {
    let deadline = Instant::now() + opts.limit;
    let watchdog = watchdog_for(opts.limit);
    let color = !opts.quiet && stdout_is_terminal();
    let mut report = Report {
        outcome: Run::Passed,
        output: String::new(),
        failures: Vec::new(),
        running: None,
    };
    for exe in exes {
        let mut cmd = Command::new(exe);
        cmd.current_dir(dir)
            .args(["--test-threads=1", "--nocapture"])
            .arg(if color {
                "--color=always"
            } else {
                "--color=never"
            })
            .env("RUST_BACKTRACE", "0")
            .env("CARGO_MANIFEST_DIR", dir)
            .env("GOSYNC_WATCHDOG_SECS", watchdog.as_secs().to_string());
        if opts.flavor == Flavor::Loom {
            cmd.env("LOOM_MAX_PREEMPTIONS", "2");
        }
        let (outcome, log) = run_one(cmd, deadline, opts)?;
        let log = log.lock().map(|l| l.clone()).unwrap_or_default();
        report.output.push_str(&log.text);
        report.failures.extend(log.failures.iter().cloned());
        match outcome {
            Some(true) => {}
            Some(false) => {
                report.outcome = Run::Failed;
                if log.failures.is_empty() || log.current.is_some() {
                    // Died inside a test, without libtest's verdict: an
                    // abort (Go's `fatal`, or a panic while unwinding, as
                    // loom's after it reports a deadlock) or a signal.
                    // The first panic: what follows a death is unwinding.
                    let first = log.panics.first().map(|(_, m, k)| (m.clone(), *k));
                    let kind = match &first {
                        Some((_, kind)) if log.fatal.is_none() => *kind,
                        _ => Kind::Crash,
                    };
                    report.failures.push(Failure {
                        test: log.current.clone().unwrap_or_else(|| exe_name(exe)),
                        message: log
                            .fatal
                            .clone()
                            .or_else(|| {
                                first
                                    .as_ref()
                                    .map(|(m, _)| format!("{m} (then the test process died)"))
                            })
                            .unwrap_or_else(|| "the test process died".to_owned()),
                        kind,
                    });
                }
                return Ok(report);
            }
            None if log.stopped => {
                report.outcome = Run::Failed;
                return Ok(report);
            }
            None => {
                report.outcome = Run::TimedOut;
                report.running = log.current.clone();
                return Ok(report);
            }
        }
    }
    Ok(report)
}

/// Runs one test executable; `Some(success)`, or `None` if it was stopped
/// (at the deadline, or after a failure with `stop_at_failure`).
fn run_one(
    mut cmd: Command,
    deadline: Instant,
    opts: RunOptions,
) -> Result<(Option<bool>, Arc<Mutex<TestLog>>)> {
    let (reader, writer) = pipe()?;
    cmd.stdout(Stdio::from(writer.try_clone()?))
        .stderr(Stdio::from(writer))
        .stdin(Stdio::null());
    let program = cmd.get_program().to_string_lossy().into_owned();
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow!("cannot start {program}: {e}"))?;
    // Our copies of the pipe's write end live in `cmd`: close them, so the
    // reader sees the end when the child's go.
    drop(cmd);
    let log = Arc::new(Mutex::new(TestLog::default()));
    let (done_tx, done_rx) = mpsc::channel();
    {
        let log = Arc::clone(&log);
        let quiet = opts.quiet;
        thread::spawn(move || {
            read_log(File::from(reader), &log, quiet);
            let _ = done_tx.send(());
        });
    }
    let outcome = wait_until(&mut child, deadline, || {
        opts.stop_at_failure && log.lock().is_ok_and(|l| l.first_real_failure())
    })?;
    // The end of the output comes when the last writer is gone; a process
    // the test started and left behind may keep it open: do not wait long.
    let _ = done_rx.recv_timeout(Duration::from_secs(2));
    let stopped = outcome.is_none() && log.lock().is_ok_and(|l| l.first_real_failure());
    if let Ok(mut l) = log.lock() {
        l.stopped = stopped && opts.stop_at_failure;
    }
    Ok((outcome, log))
}

fn exe_name(exe: &Path) -> String {
    exe.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A pipe, both ends closed on exec (the child gets its own copies).
fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two descriptors pipe2 writes.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(std::io::Error::last_os_error()).context("cannot make a pipe");
    }
    // SAFETY: pipe2 succeeded, so both are open descriptors that nothing
    // else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

fn stdout_is_terminal() -> bool {
    // SAFETY: isatty only inspects the descriptor.
    unsafe { libc::isatty(libc::STDOUT_FILENO) == 1 }
}

/// Reads the child's output to its end: echoes it unless `quiet`, and
/// feeds it, line by line, to `log`.
fn read_log(mut pipe: File, log: &Mutex<TestLog>, quiet: bool) {
    let mut buf = [0u8; 8192];
    let mut pending = Vec::new();
    let mut out = std::io::stdout();
    loop {
        let n = match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if !quiet {
            let _ = out.write_all(&buf[..n]);
            let _ = out.flush();
        }
        pending.extend_from_slice(&buf[..n]);
        while let Some(at) = pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = pending.drain(..=at).collect();
            let line = strip_ansi(&String::from_utf8_lossy(&line));
            if let Ok(mut l) = log.lock() {
                l.line(line.trim_end_matches(['\n', '\r']));
            }
        }
        // `test NAME ... ` comes without a newline until the test ends.
        if !pending.is_empty()
            && let Ok(mut l) = log.lock()
        {
            l.partial(&strip_ansi(&String::from_utf8_lossy(&pending)));
        }
    }
    if !pending.is_empty() {
        let line = strip_ansi(&String::from_utf8_lossy(&pending));
        if let Ok(mut l) = log.lock() {
            l.line(&line);
        }
    }
}

/// `text` without terminal colour codes (`ESC [ … letter`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// What libtest's output says, read as it comes.
#[derive(Clone, Debug, Default)]
pub struct TestLog {
    /// Everything read, colours removed.
    pub text: String,
    /// The test that has started and has no result yet.
    pub current: Option<String>,
    /// Its panics so far: (thread, message, kind), in order. A Miri error
    /// has the thread "".
    panics: Vec<(String, String, Kind)>,
    /// After a `panicked at` line, the thread whose message is on the next.
    expect_message: Option<String>,
    /// A `fatal error: …` line (Go's `fatal`, which aborts).
    pub fatal: Option<String>,
    /// Failed tests, in order.
    pub failures: Vec<Failure>,
    /// Stopped on purpose after a failure.
    stopped: bool,
}

impl TestLog {
    fn first_real_failure(&self) -> bool {
        self.failures.iter().any(|f| f.kind != Kind::Watchdog)
    }

    /// Takes one line of output (without its newline).
    pub fn line(&mut self, line: &str) {
        self.text.push_str(line);
        self.text.push('\n');
        if let Some(rest) = line.strip_prefix("test ")
            && let Some((name, tail)) = rest.split_once(" ... ")
            && !name.is_empty()
            && !name.contains(' ')
        {
            self.current = Some(name.to_owned());
            self.panics.clear();
            self.expect_message = None;
            if !self.verdict(tail.trim()) && !tail.trim().is_empty() {
                self.output(tail);
            }
            return;
        }
        if self.current.is_some() && self.verdict(line.trim()) {
            return;
        }
        self.output(line);
    }

    /// The start of a line whose end has not come yet: it may be the name
    /// of a test that is starting (and may never end).
    pub fn partial(&mut self, start: &str) {
        if let Some(rest) = start.strip_prefix("test ")
            && let Some((name, _)) = rest.split_once(" ... ")
            && !name.is_empty()
            && !name.contains(' ')
            && self.current.is_none()
        {
            self.current = Some(name.to_owned());
            self.panics.clear();
        }
    }

    /// A line a test printed.
    fn output(&mut self, line: &str) {
        let trimmed = line.trim();
        if let Some(thread) = &self.expect_message {
            if trimmed.is_empty() || trimmed.starts_with("note: ") {
                return;
            }
            let thread = thread.clone();
            self.expect_message = None;
            let kind = classify(trimmed);
            self.note_message(&thread, trimmed, kind);
            return;
        }
        // `thread 'NAME' panicked at FILE:LINE:COL:`, with ` (ID)` after the
        // name in newer Rusts. Since Rust 1.73 the message follows on the
        // next line; before, on this one, quoted, before the location.
        if let Some(rest) = trimmed.strip_prefix("thread '")
            && trimmed.contains(" panicked at ")
        {
            let thread = rest.split_once('\'').map_or("", |(t, _)| t).to_owned();
            match trimmed.split_once(" panicked at '") {
                Some((_, msg)) => {
                    let msg = msg.rsplit_once("', ").map_or(msg, |(m, _)| m);
                    self.note_message(&thread, msg, classify(msg));
                }
                None => self.expect_message = Some(thread),
            }
        } else if trimmed.starts_with("error: Undefined Behavior")
            || trimmed.starts_with("error: unsupported operation")
            || trimmed.starts_with("error: memory leaked")
            || trimmed.starts_with("error: the evaluated program leaked memory")
            || trimmed.starts_with("error: deadlock")
        {
            self.note_message("", trimmed, Kind::Miri);
            // Miri ends the whole process here, without libtest's verdict.
            if let Some(test) = self.current.clone() {
                self.failures.push(Failure {
                    test,
                    message: trimmed.to_owned(),
                    kind: Kind::Miri,
                });
                self.current = None;
            }
        } else if let Some(fatal) = trimmed.strip_prefix("fatal error: ") {
            self.fatal = Some(format!("fatal error: {fatal}"));
        }
    }

    fn note_message(&mut self, thread: &str, msg: &str, kind: Kind) {
        self.panics.push((thread.to_owned(), msg.to_owned(), kind));
    }

    /// Why the current test failed, from its panics. A test fails by the
    /// last panic on its own thread (named after the test, or the
    /// watchdog's `NAME (watched)`): earlier ones may be panics the test
    /// provoked and caught on purpose. Not counted: an `unwrap` of a
    /// thread's join, which only repeats that another thread panicked, and
    /// a panic during a panic's cleanup. Without such a panic (or for a
    /// Miri error), the first panic of any thread is the cause.
    fn cause(&self, test: &str) -> Option<(String, Kind)> {
        if let Some((_, m, k)) = self.panics.iter().find(|(_, _, k)| *k == Kind::Miri) {
            return Some((m.clone(), *k));
        }
        let watched = format!("{test} (watched)");
        let repeat = |m: &str| {
            m.starts_with("called `Result::unwrap()` on an `Err` value")
                || m.starts_with("panic in a destructor during cleanup")
                || m.starts_with("panic in a function that cannot unwind")
        };
        self.panics
            .iter()
            .rev()
            .find(|(t, m, _)| (t == test || *t == watched) && !repeat(m))
            .or_else(|| self.panics.first())
            .map(|(_, m, k)| (m.clone(), *k))
    }

    /// If `word` is libtest's verdict on the current test, records it.
    fn verdict(&mut self, word: &str) -> bool {
        let failed = word == "FAILED";
        if !(failed || word == "ok" || word == "ignored" || word.starts_with("ignored, ")) {
            return false;
        }
        let Some(test) = self.current.take() else {
            return false;
        };
        if failed {
            let (message, kind) = self
                .cause(&test)
                .unwrap_or_else(|| ("(no panic message)".to_owned(), Kind::Assertion));
            self.failures.push(Failure {
                test,
                message,
                kind,
            });
        }
        self.panics.clear();
        self.expect_message = None;
        true
    }
}

/// What a failure message shows.
pub fn classify(message: &str) -> Kind {
    if message.starts_with("possible deadlock: no progress after") {
        Kind::Watchdog
    } else if message.contains("Causality violation") {
        Kind::LoomCausality
    } else if message.starts_with("deadlock; threads") {
        Kind::LoomDeadlock
    } else if message.contains("exceeded maximum number of branches") {
        Kind::LoomLivelock
    } else if message.starts_with("loom model ") && message.contains(" executions (at least ") {
        Kind::LoomUnderExplored
    } else {
        Kind::Assertion
    }
}

/// Waits for `child`; kills it at `deadline`, or as soon as `stop()` says
/// so. `Some(success)`, or `None` if it was killed.
fn wait_until(
    child: &mut Child,
    deadline: Instant,
    mut stop: impl FnMut() -> bool,
) -> Result<Option<bool>> {
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status.success()));
        }
        if Instant::now() >= deadline || stop() {
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

/// Runs `cargo +nightly miri test` for `package` in the workspace at `dir`,
/// only the tests named (exactly), under `limit`. The build runs first,
/// without a limit (Miri's first build of the dependencies takes minutes).
/// `Ok(None)` if Miri is not installed.
pub fn miri(
    dir: &Path,
    target: &Path,
    package: &str,
    tests: &[String],
    limit: Duration,
) -> Result<Option<Report>> {
    if !miri_is_installed() {
        return Ok(None);
    }
    let base = |cmd: &mut Command| {
        cmd.current_dir(dir).env("CARGO_TARGET_DIR", target).args([
            "+nightly",
            "miri",
            "test",
            "--package",
            package,
        ]);
    };
    let mut build = Command::new("cargo");
    base(&mut build);
    build
        .arg("--no-run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    let out = build.output().context("cannot run cargo miri")?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stderr).into_owned();
        let mut report = Report {
            outcome: Run::Failed,
            output: text.clone(),
            failures: Vec::new(),
            running: None,
        };
        report.failures.push(Failure {
            test: "(build)".into(),
            message: text
                .lines()
                .find(|l| l.starts_with("error"))
                .unwrap_or("cargo miri could not build the tests")
                .to_owned(),
            kind: Kind::Crash,
        });
        return Ok(Some(report));
    }
    let mut cmd = Command::new("cargo");
    base(&mut cmd);
    cmd.env(
        "GOSYNC_WATCHDOG_SECS",
        watchdog_for(limit).as_secs().to_string(),
    )
    .env("RUST_BACKTRACE", "0")
    .args(["--", "--exact", "--test-threads=1", "--nocapture"])
    .args(tests);
    let (outcome, log) = run_one(
        cmd,
        Instant::now() + limit,
        RunOptions {
            flavor: Flavor::Plain,
            limit,
            quiet: true,
            stop_at_failure: true,
        },
    )?;
    let log = log.lock().map(|l| l.clone()).unwrap_or_default();
    let outcome = match outcome {
        Some(true) => Run::Passed,
        Some(false) => Run::Failed,
        None if log.stopped => Run::Failed,
        None => Run::TimedOut,
    };
    Ok(Some(Report {
        running: if outcome == Run::TimedOut {
            log.current.clone()
        } else {
            None
        },
        outcome,
        output: log.text,
        failures: log.failures,
    }))
}

/// True if `cargo +nightly miri` runs here.
pub fn miri_is_installed() -> bool {
    Command::new("cargo")
        .args(["+nightly", "miri", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_model_below_its_floor_is_told_from_a_failed_assertion() {
        // testkit::loom_model's text, and an assertion that merely mentions loom.
        let floor = "loom model m explored only 71 executions (at least 80 expected): the code \
                     under test takes fewer steps than it should";
        assert_eq!(classify(floor), Kind::LoomUnderExplored);
        assert_eq!(
            classify("assertion `left == right` failed: the loom model saw 3"),
            Kind::Assertion
        );
    }

    #[test]
    fn a_hung_process_is_killed_at_the_deadline() {
        let start = Instant::now();
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let outcome = wait_until(&mut child, start + Duration::from_millis(300), || false).unwrap();
        assert_eq!(outcome, None);
        assert!(start.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn exit_status_is_reported() {
        let far = Instant::now() + Duration::from_secs(30);
        let mut ok = Command::new("true").spawn().unwrap();
        let mut bad = Command::new("false").spawn().unwrap();
        assert_eq!(wait_until(&mut ok, far, || false).unwrap(), Some(true));
        assert_eq!(wait_until(&mut bad, far, || false).unwrap(), Some(false));
    }

    fn log_of(text: &str) -> TestLog {
        let mut log = TestLog::default();
        for line in text.lines() {
            log.line(line);
        }
        log
    }

    #[test]
    fn the_test_still_running_is_named() {
        let log = log_of(
            "\nrunning 3 tests\ntest a_first ... ok\ntest b_hangs ... some output\nmore output\n",
        );
        assert_eq!(log.current.as_deref(), Some("b_hangs"));
        assert!(log.failures.is_empty());
    }

    #[test]
    fn a_failure_is_named_with_its_message() {
        let log = log_of(
            "running 2 tests\n\
             test counts ... thread 'counts' panicked at tests/t.rs:9:5:\n\
             assertion `left == right` failed: increments were lost\n\
             \x20 left: 79999\n\
             note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n\
             FAILED\n\
             test other ... ok\n",
        );
        assert_eq!(
            log.failures,
            [Failure {
                test: "counts".into(),
                message: "assertion `left == right` failed: increments were lost".into(),
                kind: Kind::Assertion,
            }]
        );
        assert_eq!(log.current, None);
    }

    #[test]
    fn failure_kinds_are_told_apart() {
        let log = log_of(
            "test hangs ... thread 'hangs' panicked at code/testkit/src/lib.rs:1:1:\n\
             possible deadlock: no progress after 15 s\n\
             FAILED\n\
             test model ... thread 'model (watched)' (3274) panicked at src/lib.rs:3:3:\n\
             Causality violation: Concurrent read and write accesses to `UnsafeCell`.\n\
             thread 'model' panicked at tests/loom.rs:4:4:\n\
             called `Result::unwrap()` on an `Err` value: Any { .. }\n\
             FAILED\n\
             test waits ... thread 'waits' panicked at loom/src/rt/execution.rs:1:1:\n\
             deadlock; threads = [(Id(0), Blocked)]\n\
             FAILED\n",
        );
        let kinds: Vec<Kind> = log.failures.iter().map(|f| f.kind).collect();
        assert_eq!(
            kinds,
            [Kind::Watchdog, Kind::LoomCausality, Kind::LoomDeadlock]
        );
        assert!(log.failures[1].message.starts_with("Causality violation"));
        assert!(log.first_real_failure());
    }

    #[test]
    fn a_caught_panic_is_not_the_cause() {
        // The test provokes a panic and catches it (on its own thread),
        // a helper thread panics as expected, then the test's assertion
        // fails: the verdict names the assertion.
        let log = log_of(
            "test misuse ... thread 'misuse (watched)' (7) panicked at src/state.rs:1:1:\n\
             sync: negative WaitGroup counter\n\
             thread '<unnamed>' (8) panicked at src/state.rs:2:2:\n\
             sync: WaitGroup is reused before previous Wait has returned\n\
             thread 'misuse (watched)' (7) panicked at tests/t.rs:3:3:\n\
             only 0 of 2 waiters were released\n\
             thread 'misuse' (6) panicked at tests/t.rs:4:4:\n\
             called `Result::unwrap()` on an `Err` value: Any { .. }\n\
             FAILED\n",
        );
        assert_eq!(log.failures[0].message, "only 0 of 2 waiters were released");
    }

    #[test]
    fn a_helper_threads_panic_is_the_cause_when_the_test_only_unwraps() {
        let log = log_of(
            "test joins ... thread '<unnamed>' panicked at tests/t.rs:1:1:\n\
             a value was lost\n\
             thread 'joins' panicked at tests/t.rs:2:2:\n\
             called `Result::unwrap()` on an `Err` value: Any { .. }\n\
             FAILED\n",
        );
        assert_eq!(log.failures[0].message, "a value was lost");
    }

    #[test]
    fn a_miri_error_fails_the_running_test() {
        let log = log_of(
            "test a_push_is_seen_by_a_thief ... error: Undefined Behavior: Data race detected between (1) non-atomic write on thread `unnamed-1` and (2) non-atomic read on thread `unnamed-2`\n\
             \x20  --> src/dequeue.rs:1:1\n",
        );
        assert_eq!(log.failures.len(), 1);
        assert_eq!(log.failures[0].test, "a_push_is_seen_by_a_thief");
        assert_eq!(log.failures[0].kind, Kind::Miri);
        assert!(log.failures[0].message.contains("Data race"));
    }

    #[test]
    fn colours_are_removed() {
        assert_eq!(
            strip_ansi("test x ... \u{1b}[32mok\u{1b}[0m"),
            "test x ... ok"
        );
    }

    #[test]
    fn the_watchdog_fires_well_inside_the_limit() {
        assert!(watchdog_for(Duration::from_secs(60)) <= Duration::from_secs(15));
        assert!(watchdog_for(Duration::from_secs(4)) >= Duration::from_secs(1));
    }

    #[test]
    fn tests_are_run_one_at_a_time_and_named() {
        // A real libtest binary is not at hand here; `sh` stands in for one
        // that prints a test's start, then hangs in it.
        let mut cmd = Command::new("sh");
        cmd.args([
            "-c",
            "echo 'running 2 tests'; echo 'test quick ... ok'; printf 'test stuck ... '; exec sleep 30",
        ]);
        let start = Instant::now();
        let (outcome, log) = run_one(
            cmd,
            Instant::now() + Duration::from_millis(500),
            RunOptions {
                flavor: Flavor::Plain,
                limit: Duration::from_millis(500),
                quiet: true,
                stop_at_failure: false,
            },
        )
        .unwrap();
        assert_eq!(outcome, None);
        assert!(start.elapsed() < Duration::from_secs(10));
        assert_eq!(log.lock().unwrap().current.as_deref(), Some("stuck"));
    }
}
