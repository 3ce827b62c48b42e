// A handle to an object that is not `Sync` cannot go to another thread
// (E0277): two threads would share it.
use ch06_refpool::handle::PoolRef;

fn assert_send<S: Send>() {}

fn main() {
    assert_send::<PoolRef<'static, std::cell::Cell<u8>>>();
}
