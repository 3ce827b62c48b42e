//! Project tasks.
//!
//! ```text
//! cargo xtask book [--port N] [--build]   install the pinned tools if missing, build and serve the book
//! cargo xtask test [STEP…]                every check, in CI's order (or just the named steps)
//! cargo xtask steps                       list the steps of `test`
//! cargo xtask pristine                    record the exercises' pristine files in exercise.toml
//! cargo xtask mutants -p CRATE            weaken each atomic ordering in turn; report what catches it
//! ```

mod book;
mod browser;
mod checks;
mod mutants;
mod tools;
mod util;

use std::process::ExitCode;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo xtask <task>

  book [--port N] [--build]  install mdbook and mdbook-mermaid (pinned) if missing,
                             build the book and serve it on http://localhost:3000
                             (--build: build only, into book/build)
  test [STEP…]               run every check, in CI's order, timing each step;
                             name steps to run only those
  steps                      list the steps of `test`
  pristine                   record the exercises' files as pristine (maintainers,
                             after changing an exercise)
  mutants -p CRATE [--list] [--render] [--only TEXT]
                             weaken every atomic ordering in CRATE's src/ one at a
                             time (and remove each fence), run its loom models, tests
                             and Miri, and write code/CRATE/mutants.json and the
                             book's book/src/CRATE/mutants-report.md";

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
        Some("book") => {
            let mut port = 3000;
            let mut build_only = false;
            let mut it = args[1..].iter();
            while let Some(a) = it.next() {
                match a.as_str() {
                    "--build" => build_only = true,
                    "--port" => match it.next().and_then(|p| p.parse().ok()) {
                        Some(p) => port = p,
                        None => bail!("--port takes a port number"),
                    },
                    other => bail!("unknown option '{other}' for `book`\n\n{USAGE}"),
                }
            }
            book::serve(&root, port, build_only)
        }
        Some("test") => checks::run_steps(&root, &args[1..]),
        Some("steps") => {
            for step in checks::STEPS {
                println!("{:<10} {}", step.name, step.what);
            }
            Ok(())
        }
        Some("pristine") => util::record_pristine(&root),
        Some("mutants") => mutants::main(&root, &args[1..]),
        Some("-h" | "--help" | "help") => {
            println!("{USAGE}");
            Ok(())
        }
        Some(other) => bail!("unknown task '{other}'\n\n{USAGE}"),
        None => bail!("which task?\n\n{USAGE}"),
    }
}
