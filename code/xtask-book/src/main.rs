//! `cargo xtask`: the alias in `.cargo/config.toml` runs this.
//!
//! `book` (and `help`) are answered here, so a first `cargo xtask book`
//! compiles only this small crate before installing mdbook. The other tasks
//! are the `xtask` crate's: this builds and runs it with
//! `cargo run --package xtask`, passing the arguments on.

use std::path::Path;
use std::process::ExitCode;

use anyhow::anyhow;
use xtask_book::{USAGE, XTASK_TASKS};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = xtask_book::root();
    let result = match args.first().map(String::as_str) {
        Some("book") => xtask_book::book_task(&root, &args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(task) if XTASK_TASKS.contains(&task) => return forward(&root, &args),
        Some(other) => Err(anyhow!("unknown task '{other}'\n\n{USAGE}")),
        None => Err(anyhow!("which task?\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nerror: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the task in the `xtask` crate, with its exit status.
fn forward(root: &Path, args: &[String]) -> ExitCode {
    let mut cmd = xtask_book::cargo();
    cmd.current_dir(root)
        .args(["run", "--quiet", "--package", "xtask", "--"])
        .args(args);
    match cmd.status() {
        Ok(status) => status
            .code()
            .and_then(|c| u8::try_from(c).ok())
            .map_or(ExitCode::FAILURE, ExitCode::from),
        Err(err) => {
            eprintln!(
                "\nerror: cannot start `{}`: {err}",
                xtask_book::describe(&cmd)
            );
            ExitCode::FAILURE
        }
    }
}
