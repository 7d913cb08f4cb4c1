//! Snapshot isolation and writer exclusivity (within a process and across processes).

#[path = "storage_common.rs"]
mod common;

use common::*;
use grizzly_ir::{DataType, TableMeta, Value};
use grizzly_runtime::storage::Store;
use grizzly_runtime::{Error, Vector};
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "GRIZZLY_STORAGE_LOCK_CHILD";

fn k_meta() -> TableMeta {
    TableMeta {
        name: "k".into(),
        columns: vec![
            col("k", DataType::Int64, false),
            col("s", DataType::Varchar, false),
        ],
        row_count: 0,
    }
}

/// State `k`: `rows` rows, every one saying `k`.
fn k_rows(k: i64, rows: usize) -> Vec<Vector> {
    vec![
        Vector::from_values(DataType::Int64, &vec![Value::Int64(k); rows]).unwrap(),
        Vector::from_values(
            DataType::Varchar,
            &vec![Value::Varchar(format!("state {k}")); rows],
        )
        .unwrap(),
    ]
}

#[test]
fn old_snapshots_and_their_vectors_survive_later_commits() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("iso.griz")).unwrap();
    let meta = all_types_meta("t");
    let first = all_types_rows(21, 0, 10_000);
    let mut w = store.begin_write().unwrap();
    w.create_table(meta.clone()).unwrap();
    w.append("t", to_vectors(&meta, &first)).unwrap();
    w.commit().unwrap();
    let old = store.snapshot();
    let old_vectors: Vec<Vector> = old.table("t").unwrap().row_groups[0]
        .columns
        .iter()
        .map(|c| c.load().unwrap())
        .collect();
    let check_vectors = |vs: &[Vector]| {
        for (c, v) in vs.iter().enumerate() {
            assert!(
                (0..v.len()).all(|i| v.get(i) == first[c][i]),
                "column {c} changed under a vector"
            );
        }
    };
    // Commits that free and reuse space, and vacuums that move things around.
    for k in 0..8 {
        let mut w = store.begin_write().unwrap();
        w.replace("t", to_vectors(&meta, &all_types_rows(100 + k, 0, 10_000)))
            .unwrap();
        w.commit().unwrap();
        store.vacuum().unwrap();
        assert_same(&read_table(&old, "t").unwrap(), &first);
        check_vectors(&old_vectors);
    }
    assert_eq!(old.commit_number(), 1);
    // The vectors alone keep their bytes alive after the snapshot is gone.
    drop(old);
    for k in 0..4 {
        let mut w = store.begin_write().unwrap();
        w.replace("t", to_vectors(&meta, &all_types_rows(200 + k, 0, 10_000)))
            .unwrap();
        w.commit().unwrap();
        store.vacuum().unwrap();
        check_vectors(&old_vectors);
    }
    assert!(store.integrity_check().unwrap().is_empty());
}

#[test]
fn readers_see_whole_commits_while_a_writer_runs() {
    for store in [
        Store::in_memory(),
        Store::open(&tempfile::tempdir().unwrap().keep().join("r.griz")).unwrap(),
    ] {
        let mut w = store.begin_write().unwrap();
        w.create_table(k_meta()).unwrap();
        w.append("k", k_rows(0, 500)).unwrap();
        w.commit().unwrap();
        let done = Arc::new(AtomicBool::new(false));
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let (store, done) = (store.clone(), done.clone());
                std::thread::spawn(move || {
                    let mut seen = 0;
                    while !done.load(Ordering::Relaxed) {
                        let snap = store.snapshot();
                        let t = snap.table("k").unwrap();
                        let first = t.row_groups[0].columns[0].load().unwrap().get(0);
                        for rg in &t.row_groups {
                            let v = rg.columns[0].load().unwrap();
                            let s = rg.columns[1].load().unwrap();
                            for i in 0..v.len() {
                                assert_eq!(v.get(i), first, "a snapshot mixes commits");
                                let Value::Int64(k) = first else { panic!() };
                                assert_eq!(s.get(i), Value::Varchar(format!("state {k}")));
                            }
                        }
                        seen += 1;
                    }
                    seen
                })
            })
            .collect();
        for k in 1..30 {
            let mut w = store.begin_write().unwrap();
            w.replace("k", k_rows(k, 500 + k as usize * 37)).unwrap();
            w.commit().unwrap();
        }
        done.store(true, Ordering::Relaxed);
        for r in readers {
            assert!(r.join().unwrap() > 0);
        }
    }
}

#[test]
fn one_writer_at_a_time_within_a_process() {
    let store = Store::in_memory();
    let w = store.begin_write().unwrap();
    let t0 = Instant::now();
    match store.begin_write_timeout(Duration::from_millis(100)) {
        Err(Error::Usage(m)) => assert_eq!(m, "another write transaction is active"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("a second writer started"),
    }
    assert!(t0.elapsed() >= Duration::from_millis(100));
    // A waiting writer gets in once the first one finishes.
    let s2 = store.clone();
    let waiter = std::thread::spawn(move || {
        let mut w = s2.begin_write().unwrap();
        w.create_table(k_meta()).unwrap();
        w.commit().unwrap();
    });
    std::thread::sleep(Duration::from_millis(100));
    w.rollback();
    waiter.join().unwrap();
    assert_eq!(store.snapshot().table_names(), vec!["k".to_string()]);
}

#[test]
fn lock_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    match Store::open(Path::new(&path)) {
        Ok(_) => println!("CHILD: opened"),
        Err(e) => println!("CHILD: {e}"),
    }
}

fn open_in_child(path: &Path) -> String {
    let out = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "lock_child", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, path)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&out.stdout).to_string();
    // libtest prints "test lock_child ... " before the child's own output on the same line.
    out.lines()
        .find_map(|l| l.split_once("CHILD: "))
        .map_or(String::new(), |(_, m)| m.to_string())
}

#[test]
fn one_process_owns_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lock.griz");
    let store = Store::open(&path).unwrap();
    let child = open_in_child(&path);
    assert!(
        child.contains("is locked by another process"),
        "child said: {child}"
    );
    // A second open in this process is refused the same way.
    match Store::open(&path) {
        Err(Error::Usage(m)) => assert!(m.contains("locked by another process"), "{m}"),
        Err(e) => panic!("{e}"),
        Ok(_) => panic!("opened twice"),
    }
    // Snapshots outliving their store keep the file locked: nobody may reuse bytes they see.
    let mut w = store.begin_write().unwrap();
    w.create_table(k_meta()).unwrap();
    w.append("k", k_rows(1, 10)).unwrap();
    w.commit().unwrap();
    let snap = store.snapshot();
    drop(store);
    assert!(matches!(Store::open(&path), Err(Error::Usage(_))));
    drop(snap);
    assert_eq!(open_in_child(&path), "opened");
    drop(Store::open(&path).unwrap());
}
