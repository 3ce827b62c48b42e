// Nobody writes the object while another holder can read it (E0596):
// a handle derefs to `&T` only.
use ch06_refpool::handle::RefPool;

fn main() {
    let pool = RefPool::new(String::new);
    let request = pool.get();
    let for_task = request.clone();
    request.push_str("overwritten");
    drop(for_task);
}
