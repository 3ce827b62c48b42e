// A handle cannot outlive its pool (E0505): dropping the pool would drop
// the object under the handle.
use ch06_refpool::handle::RefPool;

fn main() {
    let pool = RefPool::new(String::new);
    let request = pool.get();
    drop(pool);
    println!("{}", request.len());
}
