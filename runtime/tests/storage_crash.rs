//! Crash consistency: a child process (this test binary, re-executed) commits in a loop and is
//! killed with SIGKILL at random moments; after each kill the reopened file must hold exactly
//! one of the committed states, complete.

#[path = "storage_common.rs"]
mod common;

use common::*;
use grizzly_ir::{DataType, TableMeta, Value, ViewMeta};
use grizzly_runtime::storage::Store;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CHILD_ENV: &str = "GRIZZLY_STORAGE_CRASH_CHILD";

fn log_meta() -> TableMeta {
    TableMeta {
        name: "log".into(),
        columns: vec![col("k", DataType::Int64, false)],
        row_count: 0,
    }
}

/// The contents of table `t` in state `k`.
fn state_rows(k: u64) -> Vec<Vec<Value>> {
    let n = (k as usize * 7919) % 3000 + 1;
    all_types_rows(k, 0, n)
}

/// Moves the database from state `k - 1` to state `k` in one transaction.
fn commit_state(store: &Store, k: u64) {
    let meta = all_types_meta("t");
    let mut w = store.begin_write().unwrap();
    if k == 1 {
        w.create_table(meta.clone()).unwrap();
        w.create_table(log_meta()).unwrap();
    }
    w.replace("t", to_vectors(&meta, &state_rows(k))).unwrap();
    let log =
        grizzly_runtime::Vector::from_values(DataType::Int64, &[Value::Int64(k as i64)]).unwrap();
    w.append("log", vec![log]).unwrap();
    if k % 2 == 1 {
        w.create_view(ViewMeta {
            name: "odd".into(),
            sql: format!("SELECT {k}"),
            column_names: vec![],
        })
        .unwrap();
    } else if k > 1 {
        w.drop_view("odd").unwrap();
    }
    w.commit().unwrap();
}

/// Checks the reopened file holds exactly state `k` for some `k`, and returns `k`.
fn verify(path: &Path) -> u64 {
    let store = Store::open(path).unwrap();
    let snap = store.snapshot();
    let Some(_) = snap.table("log") else {
        assert!(
            snap.table_names().is_empty(),
            "partial first commit: {:?}",
            snap.table_names()
        );
        return 0;
    };
    let log = read_table(&snap, "log").unwrap();
    let k = log[0].len() as u64;
    let want: Vec<Value> = (1..=k as i64).map(Value::Int64).collect();
    assert_eq!(
        log[0], want,
        "the log holds every committed state once, in order"
    );
    assert_same(&read_table(&snap, "t").unwrap(), &state_rows(k));
    assert_eq!(snap.view_names().len(), (k % 2) as usize);
    assert!(
        snap.commit_number() >= k,
        "vacuum may add commits, states never share one"
    );
    assert!(store.integrity_check().unwrap().is_empty());
    k
}

#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else {
        return;
    };
    let store = Store::open(Path::new(&path)).unwrap();
    let mut k = match store.snapshot().table("log") {
        Some(t) => t.meta.row_count,
        None => 0,
    };
    loop {
        k += 1;
        commit_state(&store, k);
        println!("committed {k}");
        if k % 5 == 0 {
            store.vacuum().unwrap();
        }
    }
}

#[test]
fn killed_writers_leave_one_committed_state() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.griz");
    let exe = std::env::current_exe().unwrap();
    let mut rng = Rng(0xC0FFEE);
    let mut last = 0u64;
    let started = Instant::now();
    let mut kills = 0;
    while kills < 25 && started.elapsed() < Duration::from_secs(8) {
        let mut child = Command::new(&exe)
            .args(["--exact", "crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(30 + rng.below(120)));
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let mut out = String::new();
        child
            .stdout
            .take()
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        let reported = out
            .lines()
            .filter_map(|l| l.split_once("committed ").map(|(_, n)| n))
            .filter_map(|n| n.parse::<u64>().ok())
            .max()
            .unwrap_or(last);
        let k = verify(&path);
        // Everything reported is durable; at most one more commit finished unreported.
        assert!(
            k >= reported && k <= reported + 1,
            "found state {k}, child reported {reported}"
        );
        assert!(k >= last);
        last = k;
    }
    eprintln!("crash test: {kills} kills, {last} commits survived");
    assert!(
        last > 3,
        "the child made too little progress ({last} commits) to test anything"
    );
}
