use ch03_map::Map;
use std::time::Instant;
fn run<R: ch03_map::reclaim::Reclaim>(name: &str, m: Map<u64, u64, R>) {
    m.load_or_store(0, 0);
    let n = 2_000_000u64;
    let t = Instant::now();
    for _ in 0..n {
        if m.load_and_delete(&0).is_some() {
            m.store(0, 0);
        }
    }
    println!(
        "{name}: {:.1} ns/iter",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    let t = Instant::now();
    for i in 0..n {
        m.store(0, i);
    }
    println!(
        "{name} store over existing: {:.1} ns/iter",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    let t = Instant::now();
    for _ in 0..n {
        std::hint::black_box(Box::new(0u64));
    }
    println!(
        "box alloc+free: {:.1} ns",
        t.elapsed().as_nanos() as f64 / n as f64
    );
}
fn main() {
    run("seize", Map::new());
    run("at-drop", Map::new_at_map_drop());
}
