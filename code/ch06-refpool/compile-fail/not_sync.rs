// The object must be `Send + Sync`: clones of a handle on two threads share
// it. `PoolRef` requires that of its type parameter, so a handle to a
// `Cell` cannot even be named (E0277).
use ch06_refpool::handle::PoolRef;

fn assert_send<S: Send>() {}

fn main() {
    assert_send::<PoolRef<'static, std::cell::Cell<u8>>>();
}
