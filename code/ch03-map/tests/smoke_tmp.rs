use ch03_map::Map;
use std::sync::Arc;
#[test]
fn smoke() {
    let m = Map::new();
    for i in 0..100u64 { m.store(i, i); }
    for i in 0..100u64 { assert_eq!(m.load(&i), Some(i)); }
    for i in 0..100u64 { assert_eq!(m.load(&i), Some(i)); }
    for i in 0..50u64 { m.delete(&i); }
    for i in 100..200u64 { m.store(i, i); }
    let mut n = 0; m.range(|_, _| { n += 1; true }); assert_eq!(n, 150);
    assert_eq!(m.swap(150, 7), Some(150));
    assert!(m.compare_and_swap(&150, &7, 8));
    assert!(!m.compare_and_swap(&150, &7, 9));
    assert!(m.compare_and_delete(&150, &8));
    assert_eq!(m.load(&150), None);
    assert_eq!(m.load_or_store(150, 1), (1, false));
    assert_eq!(m.load_or_store(150, 2), (1, true));
    assert_eq!(m.load_and_delete(&150), Some(1));
    m.clear();
    let mut n = 0; m.range(|_, _| { n += 1; true }); assert_eq!(n, 0);
    let m = Arc::new(Map::new());
    let hs: Vec<_> = (0..4u64).map(|t| { let m = m.clone(); std::thread::spawn(move || {
        for i in 0..2000u64 { let k = i % 64; m.store(k, t); m.load(&k); if i % 7 == 0 { m.delete(&k); } m.load_or_store(k + 64, i); }
    })}).collect();
    for h in hs { h.join().unwrap(); }
    let e: Map<String, String, _> = Map::new_epoch();
    e.store("a".into(), "b".into()); assert_eq!(e.load("a").as_deref(), Some("b"));
}
