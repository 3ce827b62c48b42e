// Writing goes through `get_mut` only (E0596): a handle derefs to `&T`,
// shared or not, and `get_mut` answers `None` while another handle lives.
use ch06_refpool::handle::RefPool;

fn main() {
    let pool = RefPool::new(String::new);
    let request = pool.get();
    let for_task = request.clone();
    request.push_str("overwritten");
    drop(for_task);
}
