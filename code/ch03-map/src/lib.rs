//! Chapter 3 of *Go's `sync`, rebuilt in Rust*: [`Map`], Go's read/dirty map,
//! without a garbage collector.
//!
//! Go's source: [`Map`](https://github.com/golang/go/blob/go1.23.5/src/sync/map.go#L38)
//! in `sync/map.go`. The algorithm, its field names and its entry states are
//! Go 1.23's; what Go's collector did (freeing replaced snapshots and values
//! once no reader holds them) is done by a [`Reclaim`] scheme, by default
//! [`Seize`].
//!
//! ```
//! use ch03_map::Map;
//!
//! let m = Map::new();
//! m.store("gopher", 1);
//! assert_eq!(m.load("gopher"), Some(1));
//! assert_eq!(m.load_or_store("gopher", 2), (1, true));
//! assert!(m.compare_and_swap("gopher", &1, 3));
//! m.range(|k, v| {
//!     assert_eq!((*k, *v), ("gopher", 3));
//!     true
//! });
//! ```
//!
//! A map shares its keys and values between threads, so it is `Sync` only if
//! they are:
//!
//! ```compile_fail
//! fn shared<T: Sync>(_: &T) {}
//! let m = ch03_map::Map::<u32, std::cell::Cell<u32>>::new();
//! shared(&m);
//! ```
//!
//! ```compile_fail
//! fn sent<T: Send>(_: T) {}
//! sent(ch03_map::Map::<std::rc::Rc<u32>, u32>::new());
//! ```

mod entry;
mod map;
pub mod reclaim;
pub mod sync;

pub use map::{DefaultReclaim, Hasher, Map};
pub use reclaim::{AtMapDrop, Reclaim};
#[cfg(not(loom))]
pub use reclaim::{Epoch, Seize};
