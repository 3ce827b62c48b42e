//! Shared by every solution crate: tells the exercise's test files, which
//! the solution runs by path, that they are testing the solution. Each test
//! file then opens with
//!
//! ```ignore
//! #[cfg(workshop_solution)]
//! extern crate ex00_spinlock_solution as ex00_spinlock;
//! ```
//!
//! so it names the same crate in both places. (Giving the solution's library
//! the exercise's name instead would make two libraries of one name in the
//! workspace, which cargo warns may become an error.)

fn main() {
    println!("cargo::rustc-check-cfg=cfg(workshop_solution)");
    println!("cargo::rustc-cfg=workshop_solution");
}
