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

/// `PRAGMA integrity_check` finds nothing wrong.
fn assert_intact(db: &Database) {
    assert_eq!(
        column(&db.query("PRAGMA integrity_check").unwrap(), 0),
        vec![Value::Varchar("ok".into())]
    );
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
            assert_intact(&copy);
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
    assert_intact(&db);
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
    assert_intact(&db);
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
    assert_intact(&db);
    let r = db.query("SHOW DATABASES").unwrap();
    assert_eq!(r.value(0, 0), Value::Varchar("main".into()));
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// ALTER TABLE on a file: the changed schema and data survive reopening, checksums and all,
/// also after VACUUM moves the row groups whose dropped chunks stay in their extents.
#[test]
fn alter_table_persists_across_reopen_and_vacuum() {
    let dir = scratch("alter");
    let path = dir.join("db.griz");
    let db = Database::open(&path).unwrap();
    // Two full row groups and a partial one, then rows not yet in a row group.
    setup(&db, 250_000);
    db.execute("ALTER TABLE t ADD COLUMN flag BOOLEAN").unwrap();
    db.execute("INSERT INTO t VALUES (250001, 'last', 1.00, true)")
        .unwrap();
    db.execute("ALTER TABLE t DROP COLUMN name").unwrap();
    db.execute("ALTER TABLE t RENAME COLUMN amount TO total")
        .unwrap();
    db.execute("ALTER TABLE t RENAME TO ledger").unwrap();
    let expect = |db: &Database| {
        assert_eq!(count(db, "ledger"), 250_001);
        let r = db
            .query("SELECT sum(total), count(flag), max(id) FROM ledger")
            .unwrap();
        // sum of i + 0.25 for i in 1..=250000, plus 1.00
        assert_eq!(r.value(0, 0).to_string(), "31250187501.00");
        assert_eq!(r.value(0, 1), Value::Int64(1));
        assert_eq!(r.value(0, 2), Value::Int32(250_001));
        assert_intact(db);
        let names = column(&db.query("DESCRIBE ledger").unwrap(), 0);
        assert_eq!(
            names,
            ["id", "total", "flag"].map(|n| Value::Varchar(n.into()))
        );
    };
    expect(&db);
    drop(db);
    let db = Database::open(&path).unwrap();
    expect(&db);
    db.execute("DROP TABLE u").unwrap();
    db.execute("VACUUM").unwrap();
    expect(&db);
    drop(db);
    let db = Database::open(&path).unwrap();
    expect(&db);
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---- Attached databases (ATTACH / DETACH) ----

fn int(db: &Database, sql: &str) -> i64 {
    match db.query(sql).unwrap().value(0, 0) {
        Value::Int64(n) => n,
        other => panic!("{sql}: {other:?}"),
    }
}

fn error(db: &Database, sql: &str) -> String {
    match db.execute(sql) {
        Ok(n) => panic!("{sql} succeeded ({n}) but should fail"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn attached_database_joins_inserts_and_persists_across_reopen() {
    let dir = scratch("attach-persist");
    let main = dir.join("main.griz");
    let other = dir.join("other.griz");
    {
        let db = Database::open(&main).unwrap();
        db.execute("CREATE TABLE customers (id INTEGER, name VARCHAR)")
            .unwrap();
        db.execute("INSERT INTO customers VALUES (1, 'ann'), (2, 'bob'), (3, 'cy')")
            .unwrap();
        db.execute(&format!("ATTACH DATABASE '{}' AS o", sql_path(&other)))
            .unwrap();
        assert!(other.exists(), "ATTACH creates a missing file");
        db.execute("CREATE TABLE o.orders (customer INTEGER, amount BIGINT)")
            .unwrap();
        assert_eq!(
            db.execute("INSERT INTO o.orders VALUES (1, 10), (1, 5), (3, 7), (4, 1)")
                .unwrap(),
            4
        );
        // Another session of the same handle sees the attachment.
        let other_session = db.connect();
        let r = other_session
            .query(
                "SELECT c.name, sum(o.amount) FROM customers c JOIN o.orders o \
                 ON c.id = o.customer GROUP BY c.name ORDER BY c.name",
            )
            .unwrap();
        assert_eq!(
            column(&r, 0),
            vec![Value::Varchar("ann".into()), Value::Varchar("cy".into())]
        );
        assert_eq!(column(&r, 1), vec![Value::Int64(15), Value::Int64(7)]);
        let r = db.query("SHOW DATABASES").unwrap();
        assert_eq!(
            column(&r, 0),
            vec![Value::Varchar("main".into()), Value::Varchar("o".into())]
        );
        assert_eq!(r.value(1, 1), Value::Varchar(other.display().to_string()));
        assert_eq!(
            column(&r, 2),
            vec![Value::Boolean(false), Value::Boolean(false)]
        );
        // Attaching a file that is open already is refused, whoever holds it.
        assert!(
            error(&db, &format!("ATTACH '{}' AS again", sql_path(&other)))
                .contains("already attached as \"o\"")
        );
        assert!(error(&db, &format!("ATTACH '{}' AS self", sql_path(&main)))
            .contains("main database's file"));
    }
    // Dropping the handles detached the file: it opens on its own, with its data.
    {
        let direct = Database::open(&other).unwrap();
        assert_eq!(count(&direct, "orders"), 4);
        assert_eq!(int(&direct, "SELECT sum(amount) FROM orders"), 23);
    }
    // Reopened main and attached again: the join gives the same answer.
    let db = Database::open(&main).unwrap();
    assert!(error(&db, "SELECT * FROM o.orders").contains("database \"o\" is not attached"));
    db.execute(&format!("ATTACH '{}' AS o", sql_path(&other)))
        .unwrap();
    assert_eq!(
        int(
            &db,
            "SELECT count(*) FROM customers WHERE id IN (SELECT customer FROM o.orders)"
        ),
        2
    );
    // A file held by another handle cannot be attached (its lock is taken).
    let holder = Database::open(dir.join("held.griz")).unwrap();
    let held = dir.join("held.griz");
    assert!(error(&db, &format!("ATTACH '{}' AS h", sql_path(&held))).contains("locked"));
    drop(holder);
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn detach_then_query_names_the_database() {
    let dir = scratch("attach-detach");
    let db = Database::in_memory();
    db.execute(&format!("ATTACH '{}' AS a", sql_path(&dir.join("a.griz"))))
        .unwrap();
    db.execute("CREATE TABLE a.t (x INTEGER)").unwrap();
    db.execute("INSERT INTO a.t VALUES (1)").unwrap();
    let stmt = db.prepare("SELECT count(*) FROM a.t").unwrap();
    assert_eq!(stmt.query(&[]).unwrap().value(0, 0), Value::Int64(1));
    db.execute("DETACH DATABASE a").unwrap();
    for e in [
        error(&db, "SELECT * FROM a.t"),
        error(&db, "INSERT INTO a.t VALUES (2)"),
        stmt.query(&[]).unwrap_err().to_string(),
    ] {
        assert!(e.contains("database \"a\" is not attached"), "{e}");
    }
    assert!(error(&db, "DETACH a").contains("database \"a\" is not attached"));
    assert!(error(&db, "DETACH main").contains("cannot detach the main database"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_transaction_writes_to_one_database() {
    let dir = scratch("attach-txn");
    let db = Database::in_memory();
    db.execute("CREATE TABLE t (x INTEGER)").unwrap();
    db.execute(&format!("ATTACH '{}' AS a", sql_path(&dir.join("a.griz"))))
        .unwrap();
    db.execute("CREATE TABLE a.t (x INTEGER)").unwrap();
    db.execute("BEGIN").unwrap();
    db.execute("INSERT INTO a.t VALUES (1)").unwrap();
    // The transaction reads its own write and main's table.
    assert_eq!(int(&db, "SELECT count(*) FROM a.t AS x, t"), 0);
    assert_eq!(int(&db, "SELECT count(*) FROM a.t"), 1);
    let e = error(&db, "INSERT INTO t VALUES (1)");
    assert!(e.contains("\"main\"") && e.contains("\"a\""), "{e}");
    // Other sessions do not see the uncommitted write.
    let other = db.connect();
    assert_eq!(int(&other, "SELECT count(*) FROM a.t"), 0);
    db.execute("COMMIT").unwrap();
    assert_eq!(int(&other, "SELECT count(*) FROM a.t"), 1);
    assert_eq!(int(&db, "SELECT count(*) FROM t"), 0);

    // Rolled back: nothing of it stays.
    db.execute("BEGIN").unwrap();
    db.execute("DELETE FROM a.t").unwrap();
    db.execute("ROLLBACK").unwrap();
    assert_eq!(int(&db, "SELECT count(*) FROM a.t"), 1);

    // A database changed by another session since BEGIN cannot be written.
    db.execute("BEGIN").unwrap();
    assert_eq!(int(&db, "SELECT count(*) FROM a.t"), 1);
    other.execute("INSERT INTO a.t VALUES (2)").unwrap();
    assert_eq!(
        int(&db, "SELECT count(*) FROM a.t"),
        1,
        "the transaction's snapshot"
    );
    assert!(error(&db, "INSERT INTO a.t VALUES (3)").contains("changed by another session"));
    db.execute("ROLLBACK").unwrap();
    assert_eq!(int(&db, "SELECT count(*) FROM a.t"), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn read_only_attach_refuses_writes_and_missing_files() {
    let dir = scratch("attach-ro");
    let file = dir.join("ro.griz");
    {
        let db = Database::open(&file).unwrap();
        db.execute("CREATE TABLE t (x INTEGER)").unwrap();
        db.execute("INSERT INTO t VALUES (1), (2)").unwrap();
    }
    let db = Database::in_memory();
    let missing = dir.join("missing.griz");
    assert!(error(
        &db,
        &format!("ATTACH '{}' AS m (READ_ONLY)", sql_path(&missing))
    )
    .contains("does not exist"));
    assert!(!missing.exists(), "a read-only attach creates nothing");
    let corrupt = dir.join("corrupt.griz");
    std::fs::write(&corrupt, vec![0xab; 20_000]).unwrap();
    let e = error(
        &db,
        &format!("ATTACH '{}' AS c (READ_ONLY)", sql_path(&corrupt)),
    );
    assert!(e.contains("corrupt.griz"), "{e}");
    db.execute(&format!("ATTACH '{}' AS r (READ_ONLY)", sql_path(&file)))
        .unwrap();
    assert_eq!(int(&db, "SELECT sum(x) FROM r.t"), 3);
    for sql in [
        "INSERT INTO r.t VALUES (3)",
        "UPDATE r.t SET x = 0",
        "DELETE FROM r.t",
        "CREATE TABLE r.u (y INTEGER)",
        "DROP TABLE r.t",
    ] {
        let e = error(&db, sql);
        assert!(e.contains("attached READ_ONLY"), "{sql}: {e}");
    }
    let r = db.query("SHOW DATABASES").unwrap();
    assert_eq!(r.value(1, 2), Value::Boolean(true));
    assert_eq!(int(&db, "SELECT sum(x) FROM r.t"), 3);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn query_cache_never_confuses_t_and_attached_t() {
    let dir = scratch("attach-cache");
    let db = Database::in_memory();
    db.set_jit(grizzly::JitMode::Always);
    db.execute("CREATE TABLE t (x BIGINT NOT NULL)").unwrap();
    db.execute("INSERT INTO t VALUES (1), (2)").unwrap();
    db.execute(&format!("ATTACH '{}' AS a", sql_path(&dir.join("a.griz"))))
        .unwrap();
    db.execute("CREATE TABLE a.t (x BIGINT NOT NULL)").unwrap();
    db.execute("INSERT INTO a.t VALUES (100), (200), (300)")
        .unwrap();
    for _ in 0..3 {
        assert_eq!(int(&db, "SELECT sum(x) FROM t"), 3);
        assert_eq!(int(&db, "SELECT sum(x) FROM a.t"), 600);
        assert_eq!(int(&db, "SELECT sum(x) FROM main.t"), 3);
    }
    let shapes = |db: &Database| {
        db.query_cache()
            .iter()
            .filter(|e| e.query.contains("sum("))
            .count()
    };
    assert_eq!(shapes(&db), 2, "{:#?}", db.query_cache());

    // Another file under the same alias, with the same schema: new entries, its own data.
    db.execute("DETACH a").unwrap();
    db.execute(&format!("ATTACH '{}' AS a", sql_path(&dir.join("b.griz"))))
        .unwrap();
    db.execute("CREATE TABLE a.t (x BIGINT NOT NULL)").unwrap();
    db.execute("INSERT INTO a.t VALUES (7)").unwrap();
    let misses = db.cache_stats().misses;
    assert_eq!(int(&db, "SELECT sum(x) FROM a.t"), 7);
    assert!(
        db.cache_stats().misses > misses,
        "re-attached a.t found an old entry"
    );
    assert_eq!(int(&db, "SELECT sum(x) FROM t"), 3);
    assert_eq!(shapes(&db), 3, "{:#?}", db.query_cache());
    drop(db);
    std::fs::remove_dir_all(&dir).unwrap();
}
