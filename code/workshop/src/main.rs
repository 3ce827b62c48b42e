//! `cargo workshop`: the learner's checker for the book's exercises.
//!
//! ```text
//! cargo workshop list                      every exercise, its goal and status
//! cargo workshop check NAME [--timeout S]  build and test one exercise
//! cargo workshop hint NAME [--level K]     the next hint, or hint K
//! cargo workshop watch [NAME]              check again on every save
//! cargo workshop verify [NAME]             pristine fails, solution passes, mutants fail (CI)
//! cargo workshop reset NAME                back up your version, restore pristine
//! ```

mod cargo;
mod catalog;
mod commands;
mod mutants;
mod state;

use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Result, bail};

const USAGE: &str = "\
usage: cargo workshop <command>

  list                      every exercise with its chapter, goal and status
  check NAME [--timeout S]  build NAME and run its tests (time limit S, default 60)
  hint NAME [--level K]     show the next hint for NAME, or hint K
  watch [NAME] [--timeout S]
                            check NAME again each time you save (default: the
                            first exercise not yet solved); Ctrl-C to stop
  verify [NAME]             for every exercise (or NAME): the pristine copy fails its
                            tests, the solution passes them, and each of its
                            mutants (wrong answers, in solutions/NAME/mutants.toml) fails them
  reset NAME                save your version of NAME to a backup, then restore
                            the pristine exercise";

fn main() -> ExitCode {
    // `cargo workshop list | head` should stop quietly when the reader goes,
    // as other command-line tools do, not panic on a closed pipe.
    // SAFETY: called once at start, before any thread exists; SIG_DFL is a
    // valid disposition for SIGPIPE.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match run(std::env::args().skip(1).collect()) {
        Ok(code) => code,
        Err(err) => {
            // One clear sentence, never a panic trace.
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Vec<String>) -> Result<ExitCode> {
    let mut positional = Vec::new();
    let mut timeout = Duration::from_secs(60);
    let mut level = None;
    let mut it = args.into_iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "-h" | "--help" | "help" => {
                println!("{USAGE}");
                return Ok(ExitCode::SUCCESS);
            }
            "--timeout" => {
                let v = it.next().unwrap_or_default();
                match v.parse::<u64>() {
                    Ok(s) if s > 0 => timeout = Duration::from_secs(s),
                    _ => bail!("--timeout takes a whole number of seconds, not '{v}'"),
                }
            }
            "--level" => {
                let v = it.next().unwrap_or_default();
                match v.parse::<usize>() {
                    Ok(k) if k > 0 => level = Some(k),
                    _ => bail!("--level takes a hint number from 1, not '{v}'"),
                }
            }
            flag if flag.starts_with('-') => bail!("unknown option '{flag}'\n\n{USAGE}"),
            _ => positional.push(arg),
        }
    }
    let root = catalog::find_root()?;
    let all = catalog::load_all(&root)?;
    let words: Vec<&str> = positional.iter().map(String::as_str).collect();
    let ok = match words.as_slice() {
        [] => bail!("which command?\n\n{USAGE}"),
        ["list"] => commands::list(&root, &all),
        ["check", name] => commands::check(&root, catalog::pick(&all, name)?, timeout)?,
        ["hint", name] => commands::hint(&root, catalog::pick(&all, name)?, level)?,
        ["watch"] => commands::watch(&root, &all, None, timeout)?,
        ["watch", name] => commands::watch(&root, &all, Some(catalog::pick(&all, name)?), timeout)?,
        ["verify"] => commands::verify(&root, &all, timeout)?,
        ["verify", name] => commands::verify(
            &root,
            std::slice::from_ref(catalog::pick(&all, name)?),
            timeout,
        )?,
        ["reset", name] => commands::reset(&root, catalog::pick(&all, name)?)?,
        [cmd @ ("check" | "hint" | "reset"), ..] => {
            bail!("`{cmd}` takes one exercise name; `cargo workshop list` shows them")
        }
        [other, ..] => bail!("unknown command '{other}'\n\n{USAGE}"),
    };
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
