//! Go's `ExamplePool` (`sync/example_pool_test.go`), in Rust: a logger that
//! formats each line in a pooled buffer instead of allocating one per call.
//!
//! `cargo run -p ch05-pool --example buffer_pool` prints
//! `2006-01-02T15:04:05Z path=/search?q=flowers`, as Go's example does.

use std::io::{self, Write};
use std::sync::LazyLock;

use ch05_pool::Pool;

// ANCHOR: example
/// Buffers for formatting log lines. `new` runs only when the pool is
/// empty; every other call reuses a buffer some earlier call gave back.
static BUFFERS: LazyLock<Pool<String>> = LazyLock::new(|| Pool::with_new(String::new));

/// Go's example pins the clock so that its output can be checked.
const NOW: &str = "2006-01-02T15:04:05Z";

fn log(out: &mut impl Write, key: &str, val: &str) -> io::Result<()> {
    let mut b = BUFFERS.get().expect("the pool has a new function");
    // A pooled buffer holds whatever its last user left: clear it first.
    b.clear();
    b.push_str(NOW);
    b.push(' ');
    b.push_str(key);
    b.push('=');
    b.push_str(val);
    b.push('\n');
    let written = out.write_all(b.as_bytes());
    // Give it back even when the write failed: it is still a good buffer.
    BUFFERS.put(b);
    written
}
// ANCHOR_END: example

fn main() -> io::Result<()> {
    log(&mut io::stdout().lock(), "path", "/search?q=flowers")
}

#[cfg(test)]
mod tests {
    #[test]
    fn example_pool() {
        let mut out = Vec::new();
        super::log(&mut out, "path", "/search?q=flowers").unwrap();
        super::log(&mut out, "path", "/search?q=flowers").unwrap();
        let line = "2006-01-02T15:04:05Z path=/search?q=flowers\n";
        assert_eq!(String::from_utf8(out).unwrap(), line.repeat(2));
    }
}
