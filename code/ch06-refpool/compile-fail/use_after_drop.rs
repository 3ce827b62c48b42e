// A holder that gave up its reference cannot read through it (E0382).
use ch06_refpool::handle::RefPool;

fn main() {
    let pool = RefPool::new(String::new);
    let request = pool.get();
    let for_task = request.clone();
    drop(for_task); // the task is done with the request...
    println!("{}", for_task.len()); // ...so it cannot read it any more
    drop(request);
}
