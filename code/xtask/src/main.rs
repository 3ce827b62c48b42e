//! Project tasks. `cargo xtask` starts in the small `xtask-book` crate,
//! which serves the book itself and runs this crate for the other tasks
//! (`cargo run --package xtask -- test`, which works directly too).
//!
//! ```text
//! cargo xtask book [--port N] [--build]   install the pinned tools if missing, build and serve the book
//! cargo xtask test [STEP…]                every check, in CI's order (or just the named steps)
//! cargo xtask steps                       list the steps of `test`
//! cargo xtask pristine                    record the exercises' pristine files in exercise.toml
//! cargo xtask mutants -p CRATE            weaken each atomic ordering in turn; report what catches it
//! cargo xtask bench-report [CRATE…]       benchmarks (and Go's) at each thread count, into the book
//! ```

mod bench_report;
mod book;
mod browser;
mod checks;
mod mutants;
mod tools;
mod util;

use std::process::ExitCode;

use anyhow::{Result, bail};
use xtask_book::USAGE;

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nerror: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = util::root();
    match args.first().map(String::as_str) {
        Some("book") => xtask_book::book_task(&root, &args[1..]),
        Some("test") => checks::run_steps(&root, &args[1..]),
        Some("steps") => {
            for step in checks::STEPS {
                println!("{:<10} {}", step.name, step.what);
            }
            Ok(())
        }
        Some("pristine") => util::record_pristine(&root),
        Some("mutants") => mutants::main(&root, &args[1..]),
        Some("bench-report") => bench_report::main(&root, &args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task '{other}'\n\n{USAGE}"),
        None => bail!("which task?\n\n{USAGE}"),
    }
}
