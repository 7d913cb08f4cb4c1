//! The query cache and the tiers, through the public API: cache hits across literals,
//! invalidation by DDL (never by data changes), eviction, `auto` switching to compiled code,
//! `always` / `verify` agreeing with the interpreter, concurrent sessions, the
//! `grizzly_query_cache` system table, EXPLAIN and prepared statements.

use grizzly::{generate_tpch, Database, JitMode, PreparedStatement, QueryResult, Tier, Value};
use std::path::Path;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A database with `t(a INTEGER, b BIGINT, c DOUBLE, k INTEGER)` holding `a = 1..=n`,
/// `b = 10 a`, `c = a / 2`, `k = a % 7`.
fn table_db(mode: &str, n: i32) -> Database {
    let db = Database::in_memory();
    db.execute(&format!("SET jit = '{mode}'")).unwrap();
    db.execute("CREATE TABLE t (a INTEGER, b BIGINT, c DOUBLE, k INTEGER)")
        .unwrap();
    insert_rows(&db, 1, n);
    db
}

fn insert_rows(db: &Database, from: i32, to: i32) {
    let rows: Vec<String> = (from..=to)
        .map(|a| {
            let (b, c) = (i64::from(a) * 10, f64::from(a) / 2.0);
            format!("({a}, {b}, {c}, {})", a % 7)
        })
        .collect();
    db.execute(&format!("INSERT INTO t VALUES {}", rows.join(", ")))
        .unwrap();
}

fn rows(result: &QueryResult) -> Vec<Vec<Value>> {
    result.rows().map(|r| r.values()).collect()
}

/// The rows of `sql`'s result, sorted unless the query orders them.
fn answer(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    let result = db.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut rows = rows(&result);
    if !sql.contains("ORDER BY") {
        rows.sort_by_key(|r| format!("{r:?}"));
    }
    rows
}

fn single(db: &Database, sql: &str) -> Value {
    let r = db.query(sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
    assert_eq!(r.row_count(), 1, "{sql}");
    r.value(0, 0)
}

/// The cache state of the (only) entry whose query text contains `needle`.
fn state_of(db: &Database, needle: &str) -> String {
    let entries: Vec<_> = db
        .query_cache()
        .into_iter()
        .filter(|e| e.query.contains(needle))
        .collect();
    assert_eq!(entries.len(), 1, "entries matching {needle}: {entries:?}");
    entries[0].state.clone()
}

#[test]
fn same_shape_hits_the_cache() {
    let db = table_db("always", 100);
    for (k, expected) in [(10, 90), (50, 50), (99, 1)] {
        let sql = format!("SELECT count(*) FROM t WHERE a > {k}");
        assert_eq!(single(&db, &sql), Value::Int64(expected));
    }
    let stats = db.cache_stats();
    assert_eq!(db.query_cache().len(), 1, "{:?}", db.query_cache());
    assert_eq!((stats.misses, stats.hits), (1, 2), "{stats:?}");
    assert_eq!(stats.compiles, 1, "{stats:?}");
    let entry = &db.query_cache()[0];
    assert_eq!(entry.executions, 3);
    assert_eq!(entry.state, "compiled");
    assert_eq!(entry.cache_hits, 3);
    assert!(entry.code_bytes > 0);

    let (f1, canonical) = db
        .fingerprint("SELECT count(*) FROM t WHERE a > 1")
        .unwrap();
    let (f2, _) = db
        .fingerprint("select COUNT(*)\nfrom t where a > 77")
        .unwrap();
    assert_eq!(f1, f2);
    assert_eq!(entry.fingerprint, f1);
    assert_eq!(entry.query, canonical);
    let (f3, _) = db
        .fingerprint("SELECT count(*) FROM t WHERE a < 1")
        .unwrap();
    assert_ne!(f1, f3);
}

#[test]
fn ddl_invalidates() {
    let db = table_db("always", 10);
    let sql = "SELECT sum(a) FROM t WHERE a > 2";
    assert_eq!(single(&db, sql), Value::Int64(52));
    db.execute("DROP TABLE t").unwrap();
    // Same name, same query text, other column types: the old code must not be used.
    db.execute("CREATE TABLE t (c DOUBLE, a BIGINT, b INTEGER)")
        .unwrap();
    db.execute("INSERT INTO t VALUES (0.5, 3, 1), (1.5, 4, 2), (2.5, 1, 3)")
        .unwrap();
    assert_eq!(single(&db, sql), Value::Int64(7));
    let stats = db.cache_stats();
    assert_eq!(stats.misses, 2, "{stats:?}");
    assert_eq!(stats.compiles, 2, "{stats:?}");
    // The stale entry ages out; the new one is compiled.
    assert_eq!(db.query_cache()[0].state, "compiled");
    db.execute("SET query_cache_entries = 1").unwrap();
    assert_eq!(db.query_cache().len(), 1);
}

#[test]
fn alter_table_invalidates_cached_code_and_prepared_statements() {
    for mode in ["off", "always"] {
        let db = table_db(mode, 10);
        let sql = "SELECT sum(b) FROM t WHERE k > 2";
        let prepared = db.prepare("SELECT sum(b) FROM t WHERE k > $1").unwrap();
        let run = |q: &PreparedStatement| q.query(&[Value::Int32(2)]).map(|r| r.value(0, 0));
        assert_eq!(single(&db, sql), Value::Int64(280), "{mode}");
        assert_eq!(run(&prepared).unwrap(), Value::Int64(280), "{mode}");
        // Columns before b and k go: compiled code reading old positions would be wrong.
        db.execute("ALTER TABLE t DROP COLUMN a, DROP COLUMN c")
            .unwrap();
        assert_eq!(single(&db, sql), Value::Int64(280), "{mode}: after DROP");
        assert_eq!(
            run(&prepared).unwrap(),
            Value::Int64(280),
            "{mode}: prepared after DROP"
        );
        // An added column changes nothing the query reads; a renamed one is no longer found.
        db.execute("ALTER TABLE t ADD COLUMN z VARCHAR").unwrap();
        assert_eq!(single(&db, sql), Value::Int64(280), "{mode}: after ADD");
        db.execute("ALTER TABLE t RENAME COLUMN b TO bb").unwrap();
        assert!(db.query(sql).is_err(), "{mode}: renamed column still found");
        assert!(run(&prepared).is_err(), "{mode}: prepared still runs");
        db.execute("ALTER TABLE t RENAME COLUMN bb TO b").unwrap();
        db.execute("ALTER TABLE t RENAME TO t2").unwrap();
        assert!(db.query(sql).is_err(), "{mode}: renamed table still found");
        db.execute("ALTER TABLE t2 RENAME TO t").unwrap();
        assert_eq!(single(&db, sql), Value::Int64(280), "{mode}: renamed back");
        assert_eq!(
            run(&prepared).unwrap(),
            Value::Int64(280),
            "{mode}: prepared back"
        );
    }
}

#[test]
fn series_bounds_are_parameters() {
    for mode in ["off", "always"] {
        let db = table_db(mode, 3);
        let count = "SELECT count(*), sum(n) FROM generate_series(1, $1) g(n)";
        let q = db.prepare(count).unwrap();
        for (n, sum) in [(10, 55), (1000, 500_500), (0, 0)] {
            let r = q.query(&[Value::Int32(n)]).unwrap();
            assert_eq!(r.value(0, 0), Value::Int64(i64::from(n)), "{mode}");
            let expect = if n == 0 {
                Value::Null
            } else {
                Value::Int64(sum)
            };
            assert_eq!(r.value(0, 1), expect, "{mode}");
        }
        // Literals are lifted like any other: one shape whatever the bounds.
        let (a, _) = db.fingerprint("SELECT * FROM range(5)").unwrap();
        let (b, _) = db.fingerprint("SELECT * FROM range(500)").unwrap();
        let (c, _) = db
            .fingerprint("SELECT * FROM generate_series(0, 500)")
            .unwrap();
        assert_eq!(a, b);
        assert_ne!(a, c);
        assert_eq!(
            single(&db, "SELECT count(*) FROM range(7)"),
            Value::Int64(7)
        );
        assert_eq!(
            single(&db, "SELECT count(*) FROM range(9)"),
            Value::Int64(9)
        );
    }
}

#[test]
fn data_changes_never_give_stale_results() {
    for mode in ["always", "auto"] {
        let db = table_db(mode, 10);
        if mode == "auto" {
            db.execute("SET jit_threshold = 1").unwrap();
        }
        let q = db
            .prepare("SELECT count(*), sum(b) FROM t WHERE a >= $1")
            .unwrap();
        q.compile().unwrap();
        assert_eq!(q.tier(), Tier::Compiled);
        let run = || rows(&q.query(&[Value::Int32(5)]).unwrap());
        assert_eq!(run(), vec![vec![Value::Int64(6), Value::Int64(450)]]);
        insert_rows(&db, 11, 20);
        assert_eq!(run(), vec![vec![Value::Int64(16), Value::Int64(2000)]]);
        // Inside a transaction the query sees the transaction's own rows.
        db.execute("BEGIN").unwrap();
        db.execute("INSERT INTO t VALUES (100, 1, 0.0, 2)").unwrap();
        assert_eq!(run(), vec![vec![Value::Int64(17), Value::Int64(2001)]]);
        db.execute("ROLLBACK").unwrap();
        assert_eq!(run(), vec![vec![Value::Int64(16), Value::Int64(2000)]]);
        db.execute("DELETE FROM t WHERE a > 10").unwrap();
        assert_eq!(run(), vec![vec![Value::Int64(6), Value::Int64(450)]]);
        let stats = db.cache_stats();
        assert_eq!(
            stats.compiles, 1,
            "data changes never recompile ({mode}): {stats:?}"
        );
        assert_eq!(q.tier(), Tier::Compiled);
    }
}

#[test]
fn eviction_by_entries_frees_code() {
    let db = table_db("always", 50);
    db.execute("SET query_cache_entries = 3").unwrap();
    let queries = [
        "SELECT sum(a) FROM t WHERE a > 1",
        "SELECT sum(b) FROM t WHERE a > 1",
        "SELECT min(a) FROM t WHERE b > 1",
        "SELECT max(b) FROM t WHERE a < 40",
        "SELECT count(*) FROM t WHERE b < 100",
        "SELECT sum(c) FROM t WHERE a > 3",
    ];
    for q in queries {
        db.query(q).unwrap();
    }
    let stats = db.cache_stats();
    assert_eq!(stats.entries, 3, "{stats:?}");
    assert_eq!(stats.evictions, 3, "{stats:?}");
    let resident: u64 = db.query_cache().iter().map(|e| e.code_bytes).sum();
    assert_eq!(
        stats.code_bytes as u64, resident,
        "evicted code is not counted"
    );
    // An evicted query runs again (and compiles again) correctly.
    assert_eq!(single(&db, queries[0]), Value::Int64(1274));
    assert_eq!(db.cache_stats().evictions, 4);

    db.execute("SET query_cache_bytes = 0").unwrap();
    assert_eq!(db.cache_stats().code_bytes, 0);
    db.clear_query_cache();
    assert_eq!(db.cache_stats().entries, 0);
    assert_eq!(single(&db, queries[1]), Value::Int64(12740));
}

/// Polls `f` until it is true or `timeout` passes.
fn eventually(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    f()
}

#[test]
fn auto_switches_to_compiled_code() {
    let db = table_db("auto", 1000);
    db.execute("SET jit_threshold = 3").unwrap();
    db.execute("SET jit_compile_after_ms = 100000").unwrap();
    let sql = "SELECT k, count(*), sum(b) FROM t WHERE a > 5 GROUP BY k ORDER BY k";
    let first = rows(&db.query(sql).unwrap());
    assert_eq!(first.len(), 7);
    assert_eq!(state_of(&db, "count"), "interpreted");
    assert_eq!(rows(&db.query(sql).unwrap()), first);
    assert_eq!(state_of(&db, "count"), "interpreted", "below the threshold");
    // The third run makes the query hot: it still runs interpreted, the compile goes on in
    // the background.
    assert_eq!(rows(&db.query(sql).unwrap()), first);
    assert!(
        eventually(Duration::from_secs(30), || state_of(&db, "count")
            == "compiled"),
        "the background compile did not finish: {}",
        state_of(&db, "count")
    );
    let before = db.query_cache()[0].cache_hits;
    assert_eq!(rows(&db.query(sql).unwrap()), first);
    let entry = &db.query_cache()[0];
    assert_eq!(entry.cache_hits, before + 1, "{entry:?}");
    assert!(entry.mean_compiled_ms.is_some() && entry.mean_interpreted_ms.is_some());
}

#[test]
fn auto_compiles_slow_queries_at_once() {
    let db = table_db("auto", 100);
    db.execute("SET jit_threshold = 1000").unwrap();
    db.execute("SET jit_compile_after_ms = 0").unwrap();
    assert_eq!(single(&db, "SELECT sum(a) FROM t"), Value::Int64(5050));
    assert!(eventually(Duration::from_secs(30), || state_of(&db, "sum")
        == "compiled"));
}

#[test]
fn off_uses_no_cache() {
    let db = table_db("off", 10);
    assert_eq!(single(&db, "SELECT sum(a) FROM t"), Value::Int64(55));
    assert!(db.query_cache().is_empty());
    assert_eq!(db.jit(), JitMode::Off);
    db.set_jit(JitMode::Verify);
    assert_eq!(db.setting("jit").as_deref(), Some("verify"));
    assert!(db.execute("SET jit = 'sometimes'").is_err());
    assert!(db.execute("SET jit_threshold = 0").is_err());
    assert!(db.execute("SET query_cache_entries = 'many'").is_err());
}

#[test]
fn dml_and_ddl_stay_interpreted() {
    let db = table_db("always", 10);
    db.execute("CREATE TABLE u AS SELECT a, b FROM t WHERE a > 5")
        .unwrap();
    db.execute("INSERT INTO u SELECT a, b FROM t WHERE a < 3")
        .unwrap();
    db.execute("UPDATE u SET b = 0 WHERE a = 1").unwrap();
    assert!(db.query_cache().is_empty(), "{:?}", db.query_cache());
    assert_eq!(single(&db, "SELECT count(*) FROM u"), Value::Int64(7));
}

/// Queries every mode must answer the same way.
const QUERIES: &[&str] = &[
    "SELECT a, b, c FROM t WHERE a BETWEEN 3 AND 40 AND b <> 100 ORDER BY a",
    "SELECT count(*), sum(a), min(b), max(c), avg(c) FROM t WHERE c > 2.5",
    "SELECT a % 3 AS m, count(*), sum(b) FROM t GROUP BY a % 3 ORDER BY m",
    "SELECT k, count(*), sum(b), min(a) FROM t WHERE a < 150 GROUP BY k ORDER BY k",
    "SELECT count(*), sum(a), min(b), max(a) FROM t WHERE b > 25 AND a <> 7",
    "SELECT a * 2 + 1, b - a FROM t WHERE a < 10",
    "SELECT DISTINCT a % 4 FROM t",
    "SELECT x.a, y.b FROM t x JOIN t y ON x.a = y.a WHERE x.a < 5 ORDER BY 1",
    "SELECT a FROM t ORDER BY b DESC LIMIT 3",
    "SELECT count(*) FROM t WHERE a IN (1, 2, 3, 500)",
    "SELECT sum(a) FROM t WHERE a > (SELECT avg(a) FROM t)",
];

fn tpch_db() -> &'static Database {
    static DB: OnceLock<Database> = OnceLock::new();
    DB.get_or_init(|| {
        let db = Database::in_memory();
        generate_tpch(&db, 0.01).unwrap();
        db
    })
}

fn tpch_query(q: u32) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/tpch/queries/q{q}.sql"));
    std::fs::read_to_string(&path).unwrap()
}

#[test]
fn always_and_verify_agree_with_off() {
    let mut compiled = 0;
    for sql in QUERIES {
        // A database per query: one query's compile cannot affect another's.
        let db = table_db("off", 200);
        let expected = answer(&db, sql);
        for mode in ["always", "verify", "always"] {
            db.execute(&format!("SET jit = '{mode}'")).unwrap();
            assert_eq!(answer(&db, sql), expected, "{mode}: {sql}");
        }
        compiled += db.cache_stats().compiles;
    }
    assert!(compiled > 0, "no query compiled");
}

#[test]
fn tpch_q1_q6_in_every_mode() {
    let tpch = tpch_db().connect();
    for q in [1, 6] {
        let sql = tpch_query(q);
        tpch.execute("SET jit = 'off'").unwrap();
        let expected = rows(&tpch.query(&sql).unwrap());
        for mode in ["always", "verify"] {
            tpch.execute(&format!("SET jit = '{mode}'")).unwrap();
            let got = rows(
                &tpch
                    .query(&sql)
                    .unwrap_or_else(|e| panic!("Q{q} {mode}: {e}")),
            );
            assert_eq!(got.len(), expected.len(), "Q{q} {mode}");
            // DOUBLE averages may differ in the last bits between tiers: compare as text
            // rounded to 9 significant digits.
            assert_eq!(rounded(&got), rounded(&expected), "Q{q} {mode}");
        }
        let (fp, _) = tpch.fingerprint(&sql).unwrap();
        let entry = tpch.query_cache().into_iter().find(|e| e.fingerprint == fp);
        assert_eq!(entry.expect("Q cached").state, "compiled", "Q{q}");
    }
}

fn rounded(rows: &[Vec<Value>]) -> Vec<Vec<String>> {
    rows.iter()
        .map(|r| {
            r.iter()
                .map(|v| match v {
                    Value::Float64(f) => format!("{f:.9e}"),
                    other => other.to_string(),
                })
                .collect()
        })
        .collect()
}

#[test]
fn concurrent_sessions_share_the_cache() {
    let db = table_db("off", 500);
    let expected: Vec<Vec<Vec<Value>>> = QUERIES.iter().map(|q| answer(&db, q)).collect();
    let threads: Vec<_> = ["always", "auto", "verify", "always"]
        .into_iter()
        .enumerate()
        .map(|(i, mode)| {
            let session = db.connect();
            let expected = expected.clone();
            std::thread::spawn(move || {
                session.execute(&format!("SET jit = '{mode}'")).unwrap();
                session.execute("SET jit_threshold = 1").unwrap();
                for round in 0..4 {
                    for k in 0..QUERIES.len() {
                        let k = (k + i + round) % QUERIES.len();
                        let q = QUERIES[k];
                        let got = answer(&session, q);
                        assert_eq!(got, expected[k], "{mode}: {q}");
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let stats = db.cache_stats();
    assert_eq!(stats.entries, QUERIES.len(), "{:?}", db.query_cache());
    assert!(stats.hits >= 4 * 4 * QUERIES.len() as u64 - QUERIES.len() as u64);
}

#[test]
fn prepared_statements_compile_and_share_code_across_threads() {
    let db = table_db("auto", 1000);
    db.execute("SET jit_threshold = 1000000").unwrap();
    let q: PreparedStatement = db
        .prepare("SELECT count(*), sum(b) FROM t WHERE a > $1 AND a <= $2")
        .unwrap();
    assert_eq!(q.tier(), Tier::Interpreted);
    let info = q.compile().unwrap();
    assert!(info.code_bytes > 0);
    assert_eq!(q.tier(), Tier::Compiled);
    assert_eq!(
        q.fingerprint(),
        Some(
            db.fingerprint("SELECT count(*), sum(b) FROM t WHERE a > $1 AND a <= $2")
                .unwrap()
                .0
        )
    );
    assert!(q.explain().contains("Fingerprint"));
    fn assert_send_sync<T: Send + Sync>(_: &T) {}
    assert_send_sync(&q);
    std::thread::scope(|s| {
        for i in 0..4 {
            let q = &q;
            s.spawn(move || {
                for k in 0..20 {
                    let lo = i * 100 + k;
                    let r = q.query(&[Value::Int32(lo), Value::Int32(lo + 50)]).unwrap();
                    let sum: i64 = (lo + 1..=lo + 50).map(|a| i64::from(a) * 10).sum();
                    assert_eq!(rows(&r), vec![vec![Value::Int64(50), Value::Int64(sum)]]);
                }
            });
        }
    });
    let entry = &db.query_cache()[0];
    assert_eq!(entry.executions, 80);
    assert_eq!(entry.cache_hits, 80);
    assert!(db
        .prepare("INSERT INTO t VALUES (1, 2, 3.0, 4)")
        .unwrap()
        .compile()
        .is_err());
}

#[test]
fn system_table_shows_the_cache() {
    let db = table_db("always", 10);
    db.query("SELECT sum(a) FROM t WHERE a > 1").unwrap();
    db.query("SELECT sum(a) FROM t WHERE a > 2").unwrap();
    db.query("SELECT count(*) FROM t").unwrap();
    let r = db
        .query(
            "SELECT fingerprint, query, state, executions, cache_hits, compile_time_ms, \
             code_bytes, mean_interpreted_ms, mean_compiled_ms, last_used \
             FROM grizzly_query_cache ORDER BY executions DESC",
        )
        .unwrap();
    assert_eq!(r.row_count(), 2, "{:?}", rows(&r));
    let top = r.row(0).values();
    let (fp, _) = db.fingerprint("SELECT sum(a) FROM t WHERE a > 5").unwrap();
    assert_eq!(top[0], Value::Varchar(fp.to_string()));
    assert_eq!(top[2], Value::Varchar("compiled".into()));
    assert_eq!(top[3], Value::Int64(2));
    assert!(matches!(top[5], Value::Float64(ms) if ms > 0.0));
    assert!(matches!(top[6], Value::Int64(b) if b > 0));
    assert!(matches!(top[9], Value::Int64(s) if s > 1_600_000_000));
    // Reading the system table is not cached itself.
    assert_eq!(
        single(
            &db,
            "SELECT count(*) FROM grizzly_query_cache WHERE state = 'compiled'"
        ),
        Value::Int64(2)
    );
    db.execute("PRAGMA clear_query_cache").unwrap();
    assert_eq!(
        single(&db, "SELECT count(*) FROM grizzly_query_cache"),
        Value::Int64(0)
    );
    // The name is taken.
    assert!(db
        .execute("CREATE TABLE grizzly_query_cache (x INTEGER)")
        .is_err());
}

#[test]
fn explain_shows_fingerprint_and_tiers() {
    let db = table_db("always", 10);
    let sql = "SELECT k, sum(b) FROM t WHERE a > 3 GROUP BY k";
    let text =
        |r: QueryResult| -> String { r.rows().map(|row| format!("{}\n", row.get(0))).collect() };
    let plan = text(db.query(&format!("EXPLAIN {sql}")).unwrap());
    let (fp, _) = db.fingerprint(sql).unwrap();
    assert!(plan.contains(&format!("Fingerprint: {fp}")), "{plan}");
    assert!(plan.contains("compiled"), "{plan}");
    assert!(plan.contains("pipeline #"), "{plan}");
    let jit = text(db.query(&format!("EXPLAIN (JIT) {sql}")).unwrap());
    assert!(jit.contains("Cranelift IR"), "{jit}");
    assert!(jit.contains("function"), "{jit}");
    db.execute("SET jit = 'off'").unwrap();
    let plan = text(db.query(&format!("EXPLAIN {sql}")).unwrap());
    assert!(plan.contains("JIT: interpreted (mode off)"), "{plan}");
}

#[test]
fn grizzly_jit_sets_the_default_mode() {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_grizzly"))
        .env("GRIZZLY_JIT", "always")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(
            b"CREATE TABLE t (a INTEGER);\nINSERT INTO t VALUES (1), (2);\n\
              SELECT sum(a) FROM t;\n.mode csv\n.cache\n",
        )
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let row = stdout
        .lines()
        .find(|l| l.contains("sum("))
        .unwrap_or_else(|| panic!("no cache row in {stdout}"));
    assert!(row.contains(",compiled,1,1,"), "{row}");
}

/// A text sent again skips the front end (the text cache); it must never see a catalog it
/// was not bound against. Each step changes the catalog under one unchanged text.
#[test]
fn repeated_text_follows_catalog_changes() {
    for mode in ["off", "always"] {
        let db = Database::in_memory();
        db.execute(&format!("SET jit = '{mode}'")).unwrap();
        db.execute("CREATE TABLE u (x INTEGER)").unwrap();
        db.execute("INSERT INTO u VALUES (1), (2)").unwrap();
        let sql = "SELECT sum(x) FROM u";
        assert_eq!(single(&db, sql), Value::Int64(3));
        assert_eq!(single(&db, sql), Value::Int64(3));
        // Data changes: the same plan, new rows.
        db.execute("INSERT INTO u VALUES (4)").unwrap();
        assert_eq!(single(&db, sql), Value::Int64(7), "{mode}: after INSERT");
        // Same name, other type: re-bound (sum of DECIMAL is DECIMAL).
        db.execute("DROP TABLE u").unwrap();
        db.execute("CREATE TABLE u (x DECIMAL(10,2))").unwrap();
        db.execute("INSERT INTO u VALUES (1.25)").unwrap();
        assert_eq!(
            single(&db, sql),
            Value::Decimal(125, 2),
            "{mode}: after re-create"
        );
        // A table replaced by a view of the same name.
        db.execute("DROP TABLE u").unwrap();
        assert!(
            db.query(sql).is_err(),
            "{mode}: dropped table still answers"
        );
        db.execute("CREATE VIEW u AS SELECT 40 AS x UNION ALL SELECT 2")
            .unwrap();
        assert_eq!(single(&db, sql), Value::Int64(42), "{mode}: view");
        // A catalog made in a rolled-back transaction never serves a later one.
        db.execute("DROP VIEW u").unwrap();
        db.execute("BEGIN").unwrap();
        db.execute("CREATE TABLE u (x BIGINT)").unwrap();
        db.execute("INSERT INTO u VALUES (5)").unwrap();
        assert_eq!(single(&db, sql), Value::Int64(5));
        db.execute("ROLLBACK").unwrap();
        db.execute("BEGIN").unwrap();
        db.execute("CREATE TABLE u (x DOUBLE)").unwrap();
        db.execute("INSERT INTO u VALUES (0.5)").unwrap();
        assert_eq!(
            single(&db, sql),
            Value::Float64(0.5),
            "{mode}: after rollback"
        );
        db.execute("COMMIT").unwrap();
        // Other sessions see the committed catalog through the same text.
        assert_eq!(single(&db.connect(), sql), Value::Float64(0.5));
    }
}
