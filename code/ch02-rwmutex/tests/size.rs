//! The size the sharded page quotes for one lock (Go's is 24 bytes: its
//! Mutex has no flag for the Go 1.8 mode that ours keeps).

#[test]
fn sizes() {
    assert_eq!(std::mem::size_of::<ch02_rwmutex::RawRwMutex>(), 28);
    assert_eq!(std::mem::size_of::<ch02_rwmutex::RwMutex<()>>(), 28);
}
