//! `try_lock_all`'s tests: run against your exercise and, unchanged,
//! against the solution (the chapter's). Each runs under the watchdog.

#[cfg(workshop_solution)]
extern crate ex02_try_write_solution as ex02_try_write;

use std::process::Command;

use ex02_try_write::{RawRwMutex, try_lock_all};

fn shards(n: usize) -> Vec<RawRwMutex> {
    (0..n).map(|_| RawRwMutex::new()).collect()
}

/// Asserts that every shard is free: no reader, no writer.
fn assert_all_free(locks: &[RawRwMutex], after: &str) {
    for (i, l) in locks.iter().enumerate() {
        assert_eq!(l.readers(), (0, false), "{after}: shard {i} is still held");
        assert!(l.try_lock(), "{after}: shard {i} is still held");
        l.unlock();
    }
}

/// Free shards: all are taken, and all are write-locked afterwards.
#[test]
fn takes_every_free_shard() {
    testkit::watchdog(|| {
        let locks = shards(4);
        assert!(
            try_lock_all(&locks),
            "try_lock_all failed with every shard free"
        );
        for (i, l) in locks.iter().enumerate() {
            assert!(!l.try_rlock(), "shard {i} was not write-locked");
            l.unlock();
        }
        assert_all_free(&locks, "after unlocking");
        let none: [RawRwMutex; 0] = [];
        assert!(try_lock_all(&none), "no shards: nothing to refuse");
    });
}

/// A reader on one shard: `try_lock_all` refuses, without waiting for the
/// reader, and leaves the shards before it free again and the reader's
/// shard as it was.
#[test]
fn a_reader_on_one_shard_makes_it_give_up() {
    testkit::watchdog(|| {
        for held in 0..4 {
            let locks = shards(4);
            locks[held].rlock();
            assert!(
                !try_lock_all(&locks),
                "try_lock_all succeeded with a reader on shard {held}"
            );
            assert_eq!(
                locks[held].readers(),
                (1, false),
                "try_lock_all changed the reader's shard {held}"
            );
            locks[held].runlock();
            assert_all_free(&locks, &format!("after giving up at shard {held}"));
        }
    });
}

/// A writer on the last shard: the same.
#[test]
fn a_writer_on_the_last_shard_makes_it_give_up() {
    testkit::watchdog(|| {
        let locks = shards(3);
        locks[2].lock();
        assert!(
            !try_lock_all(&locks),
            "try_lock_all succeeded with shard 2 write-locked"
        );
        locks[2].unlock();
        assert_all_free(&locks, "after giving up at shard 2");
    });
}

const CHILD_ENV: &str = "GOSYNC_EX02_TRY_WRITE_CHILD";

/// The child side of `giving_up_unlocks_only_what_it_took`.
#[test]
#[ignore = "a child process of giving_up_unlocks_only_what_it_took, which runs it"]
fn giving_up_child() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    testkit::watchdog(|| {
        let locks = shards(3);
        locks[1].rlock();
        let _ = try_lock_all(&locks);
        locks[1].runlock();
    });
    println!("child finished");
}

/// Unlocking a shard it did not take is Go's fatal error (`Unlock of
/// unlocked RWMutex`), which ends the process: so the case runs in a child
/// process, which must finish normally.
#[test]
#[cfg_attr(miri, ignore = "Miri cannot start processes")]
fn giving_up_unlocks_only_what_it_took() {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "giving_up_child", "--ignored", "--nocapture"])
        .env(CHILD_ENV, "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    let why = if text.contains("fatal error") {
        "it unlocked a shard it had not taken (`fatal error: sync: Unlock of unlocked RWMutex`)"
    } else if !text.contains("child finished") {
        "it never finished: try_lock_all waited for the shard a reader holds"
    } else {
        "it finished"
    };
    assert!(
        out.status.success() && text.contains("child finished"),
        "giving up at a reader's shard went wrong in the child process: {why} ({})",
        out.status
    );
}
