//! Database management with real files: BACKUP TO / RESTORE FROM round trips, a backup taken
//! while another session has a write transaction open, PRAGMA integrity_check on a damaged
//! copy, PRAGMA database_info and VACUUM on a file.

use grizzly::{Database, QueryResult, Value};
use std::path::{Path, PathBuf};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grizzly-dbm-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sql_path(p: &Path) -> String {
    p.display().to_string().replace('\'', "''")
}

fn column(r: &QueryResult, c: usize) -> Vec<Value> {
    (0..r.row_count()).map(|i| r.value(i, c)).collect()
}

fn count(db: &Database, table: &str) -> i64 {
    match db
        .query(&format!("SELECT count(*) FROM {table}"))
        .unwrap()
        .value(0, 0)
    {
        Value::Int64(n) => n,
        other => panic!("count is {other:?}"),
    }
}

fn info(db: &Database, key: &str) -> String {
    let r = db.query("PRAGMA database_info").unwrap();
    (0..r.row_count())
        .find(|&i| r.value(i, 0) == Value::Varchar(key.into()))
        .map(|i| match r.value(i, 1) {
            Value::Varchar(s) => s,
            other => panic!("{other:?}"),
        })
        .unwrap_or_else(|| panic!("no {key} in database_info"))
}

fn setup(db: &Database, rows: i32) {
    db.execute("CREATE TABLE t (id INTEGER, name VARCHAR, amount DECIMAL(12,2))")
        .unwrap();
    let values: Vec<String> = (1..=rows)
        .map(|i| format!("({i}, 'name-{i}', {i}.25)"))
        .collect();
    db.execute(&format!("INSERT INTO t VALUES {}", values.join(", ")))
        .unwrap();
    db.execute("CREATE TABLE u (k BIGINT)").unwrap();
    db.execute("CREATE VIEW big AS SELECT id FROM t WHERE id > 10")
        .unwrap();
}

#[test]
fn backup_and_restore_round_trip_through_files() {
    let dir = scratch("round-trip");
    let main = dir.join("main.griz");
    let backup = dir.join("backup.griz");
    {
        let db = Database::open(&main).unwrap();
        setup(&db, 100);
        assert_eq!(
            db.execute(&format!("BACKUP TO '{}'", sql_path(&backup)))
                .unwrap(),
            100
        );
        // The backup is a database of its own, healthy and equal.
        {
            let copy = Database::open(&backup).unwrap();
            assert_eq!(count(&copy, "t"), 100);
            assert_eq!(count(&copy, "big"), 90);
            assert_eq!(
                column(&copy.query("PRAGMA integrity_check").unwrap(), 0),
                vec![Value::Varchar("ok".into())]
            );
            assert_eq!(
                copy.query("SELECT sum(amount) FROM t").unwrap().value(0, 0),
                db.query("SELECT sum(amount) FROM t").unwrap().value(0, 0)
            );
        }
        // A second backup to the same file is refused and leaves it alone.
        let err = db
            .execute(&format!("BACKUP TO '{}'", sql_path(&backup)))
            .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");

        db.execute("DELETE FROM t WHERE id <= 50").unwrap();
        db.execute("DROP VIEW big").unwrap();
        db.execute("CREATE TABLE later (x INTEGER)").unwrap();
        assert_eq!(
            db.execute(&format!("RESTORE FROM '{}'", sql_path(&backup)))
                .unwrap(),
            100
        );
        assert_eq!(count(&db, "t"), 100);
        assert_eq!(count(&db, "big"), 90);
        assert!(db.query("SELECT * FROM later").is_err());
        let err = db
            .execute(&format!("RESTORE FROM '{}'", sql_path(&main)))
            .unwrap_err();
        assert!(err.to_string().contains("its own file"), "{err}");
    }
    // The restore was committed to the file.
    let db = Database::open(&main).unwrap();
    assert_eq!(count(&db, "t"), 100);
    assert_eq!(count(&db, "u"), 0);
    assert_eq!(
        column(&db.query("PRAGMA integrity_check").unwrap(), 0),
        vec![Value::Varchar("ok".into())]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn backup_sees_only_committed_state_while_a_writer_is_open() {
    let dir = scratch("online");
    let backup = dir.join("b.griz");
    let db = Database::in_memory();
    setup(&db, 20);
    let writer = db.connect();
    writer.execute("BEGIN").unwrap();
    writer
        .execute("INSERT INTO t VALUES (999, 'x', 1)")
        .unwrap();
    // Another session backs up while the write transaction is open...
    db.execute(&format!("BACKUP TO '{}'", sql_path(&backup)))
        .unwrap();
    writer.execute("COMMIT").unwrap();
    assert_eq!(count(&db, "t"), 21);
    // ... and gets the committed state without the pending row.
    let copy = Database::open(&backup).unwrap();
    assert_eq!(count(&copy, "t"), 20);
    drop(copy);
    // Restoring into an in-memory database.
    let fresh = Database::in_memory();
    fresh
        .execute(&format!("RESTORE FROM '{}'", sql_path(&backup)))
        .unwrap();
    assert_eq!(count(&fresh, "t"), 20);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn integrity_check_reports_a_damaged_copy() {
    let dir = scratch("corrupt");
    let good = dir.join("good.griz");
    let bad = dir.join("bad.griz");
    {
        let db = Database::in_memory();
        db.execute("CREATE TABLE t (id INTEGER, s VARCHAR)")
            .unwrap();
        let values: Vec<String> = (0..2000)
            .map(|i| format!("({i}, 'GRIZZLYMARKER{i:06}xxxxxxxxxxxxxxxx')"))
            .collect();
        db.execute(&format!("INSERT INTO t VALUES {}", values.join(", ")))
            .unwrap();
        db.execute(&format!("BACKUP TO '{}'", sql_path(&good)))
            .unwrap();
    }
    // Damage one byte of the string data.
    let mut bytes = std::fs::read(&good).unwrap();
    let marker = b"GRIZZLYMARKER001000";
    let at = bytes
        .windows(marker.len())
        .position(|w| w == marker)
        .expect("the strings are stored as written");
    bytes[at + 3] ^= 0x20;
    std::fs::write(&bad, &bytes).unwrap();

    let db = Database::open(&bad).unwrap();
    let problems = column(&db.query("PRAGMA integrity_check").unwrap(), 0);
    assert!(!problems.is_empty());
    assert_ne!(problems, vec![Value::Varchar("ok".into())]);
    assert!(
        problems
            .iter()
            .all(|p| matches!(p, Value::Varchar(s) if s.contains("bad.griz"))),
        "{problems:?}"
    );
    // A backup of a damaged database fails and leaves no file behind.
    let target = dir.join("from-bad.griz");
    assert!(db
        .execute(&format!("BACKUP TO '{}'", sql_path(&target)))
        .is_err());
    assert!(!target.exists());
    drop(db);

    let db = Database::open(&good).unwrap();
    assert_eq!(
        column(&db.query("PRAGMA integrity_check").unwrap(), 0),
        vec![Value::Varchar("ok".into())]
    );
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn database_info_and_vacuum_on_a_file() {
    let dir = scratch("info");
    let path = dir.join("db.griz");
    let db = Database::open(&path).unwrap();
    setup(&db, 5000);
    assert_eq!(info(&db, "path"), path.display().to_string());
    assert_eq!(info(&db, "tables"), "2");
    assert_eq!(info(&db, "views"), "1");
    assert_eq!(info(&db, "total_rows"), "5000");
    assert_eq!(
        info(&db, "format_version"),
        grizzly_runtime::storage::format::FORMAT_VERSION.to_string()
    );
    let commit: u64 = info(&db, "commit_number").parse().unwrap();
    assert!(commit >= 4);
    let before: u64 = info(&db, "file_size").parse().unwrap();
    assert_eq!(before, std::fs::metadata(&path).unwrap().len());

    db.execute("DROP TABLE t").unwrap();
    db.execute("VACUUM").unwrap();
    let after: u64 = info(&db, "file_size").parse().unwrap();
    assert!(after < before, "{after} < {before}");
    assert_eq!(info(&db, "total_rows"), "0");
    assert_eq!(
        column(&db.query("PRAGMA integrity_check").unwrap(), 0),
        vec![Value::Varchar("ok".into())]
    );
    let r = db.query("SHOW DATABASES").unwrap();
    assert_eq!(r.value(0, 0), Value::Varchar("main".into()));
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}
