//! EXPLAIN ANALYZE through the API: per-operator rows in every jit mode, compiled pipelines
//! reported as a whole, subqueries, prepared statements, and what it refuses.

use grizzly::{Database, Error, JitMode, Value};

fn database() -> Database {
    let db = Database::in_memory();
    db.execute("CREATE TABLE t (k INTEGER, v INTEGER)").unwrap();
    let rows: Vec<String> = (0..5000).map(|i| format!("({}, {i})", i % 10)).collect();
    db.execute(&format!("INSERT INTO t VALUES {}", rows.join(",")))
        .unwrap();
    db.execute("CREATE TABLE u (k INTEGER, name VARCHAR)")
        .unwrap();
    db.execute("INSERT INTO u VALUES (1, 'one'), (2, 'two'), (3, 'three')")
        .unwrap();
    db
}

/// The EXPLAIN ANALYZE text of `sql`.
fn analyze(db: &Database, sql: &str) -> String {
    let result = db.query(&format!("EXPLAIN ANALYZE {sql}")).unwrap();
    assert_eq!(result.columns()[0].name, "plan");
    (0..result.row_count())
        .map(|i| match result.value(i, 0) {
            Value::Varchar(s) => s,
            other => panic!("not text: {other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The line of the first operator whose text starts with `op` (after indentation).
fn line<'a>(text: &'a str, op: &str) -> &'a str {
    text.lines()
        .find(|l| l.trim_start().starts_with(op))
        .unwrap_or_else(|| panic!("no {op} line in:\n{text}"))
}

#[test]
fn every_operator_reports_its_rows() {
    for mode in [
        JitMode::Off,
        JitMode::Auto,
        JitMode::Always,
        JitMode::Verify,
    ] {
        let db = database();
        db.set_jit(mode);
        let text = analyze(
            &db,
            "SELECT t.k, u.name FROM t JOIN u ON t.k = u.k WHERE t.v < 100 ORDER BY t.k",
        );
        assert!(
            line(&text, "Scan t").contains("rows=100 "),
            "{mode}:\n{text}"
        );
        assert!(line(&text, "Scan u").contains("rows=3 "), "{mode}:\n{text}");
        assert!(line(&text, "Join").contains("rows=30 "), "{mode}:\n{text}");
        assert!(line(&text, "Sort").contains("rows=30 "), "{mode}:\n{text}");
        assert!(text.contains("Execution: 30 rows in "), "{mode}:\n{text}");
        assert!(text.contains(&format!("(mode {mode})")), "{mode}:\n{text}");
        assert!(text.contains("Times are inclusive"), "{text}");
        for l in text.lines().take_while(|l| !l.starts_with("Fingerprint")) {
            assert!(l.contains(" time=") && l.contains(" self="), "{mode}: {l}");
        }
    }
}

#[test]
fn compiled_pipelines_report_rows_and_time_as_a_whole() {
    let sql = "SELECT k, sum(v) FROM t WHERE v >= 10 GROUP BY k";
    let db = database();
    db.set_jit(JitMode::Always);
    let text = analyze(&db, sql);
    let agg = line(&text, "Aggregate");
    assert!(agg.contains("rows=10 "), "{text}");
    assert!(agg.contains("compiled pipeline #"), "{text}");
    assert!(
        line(&text, "Scan t").contains("(in compiled pipeline #"),
        "{text}"
    );
    assert!(text.contains(": compiled ("), "{text}");

    db.set_jit(JitMode::Off);
    let text = analyze(&db, sql);
    assert!(line(&text, "Aggregate").contains("rows=10 "), "{text}");
    assert!(line(&text, "Scan t").contains("rows=4990 "), "{text}");
    assert!(!text.contains("compiled pipeline"), "{text}");
}

#[test]
fn subqueries_and_limits() {
    let db = database();
    let text = analyze(
        &db,
        "SELECT v FROM t WHERE v > (SELECT max(k) FROM u) ORDER BY v LIMIT 3",
    );
    assert!(text.contains("Subquery #1"), "{text}");
    assert!(line(&text, "Scan u").contains("rows=3 "), "{text}");
    assert!(line(&text, "Limit").contains("rows=3 "), "{text}");
    // The sort under the limit is a top-N sort: it still reports its own rows.
    assert!(line(&text, "Sort").contains("rows=3 "), "{text}");
    // A filter with a subquery is not pushed into the scan.
    assert!(line(&text, "Filter").contains("rows=4996 "), "{text}");
    assert!(line(&text, "Scan t").contains("rows=5000 "), "{text}");
}

#[test]
fn explain_options_form_and_prepared_parameters() {
    let db = database();
    let text = analyze(&db, "SELECT count(*) FROM u");
    let result = db
        .query("EXPLAIN (ANALYZE) SELECT count(*) FROM u")
        .unwrap();
    assert_eq!(result.row_count(), text.lines().count());
    // ANALYZE FALSE is a plain EXPLAIN.
    let plain = db
        .query("EXPLAIN (ANALYZE FALSE) SELECT count(*) FROM u")
        .unwrap();
    assert!(!format!("{:?}", plain.value(0, 0)).contains("rows="));

    let prepared = db
        .prepare("EXPLAIN ANALYZE SELECT v FROM t WHERE v < $1")
        .unwrap();
    let result = prepared.query(&[Value::Int32(7)]).unwrap();
    let text: Vec<String> = (0..result.row_count())
        .map(|i| result.value(i, 0).to_string())
        .collect();
    assert!(text[0].contains("rows=7 "), "{text:?}");
}

#[test]
fn system_tables_and_refusals() {
    let db = database();
    db.query("SELECT 1").unwrap();
    let text = analyze(&db, "SELECT * FROM grizzly_query_cache");
    assert!(text.contains("reads a system table"), "{text}");

    let err = db
        .query("EXPLAIN ANALYZE INSERT INTO u VALUES (4, 'four')")
        .unwrap_err();
    assert!(err.to_string().contains("EXPLAIN ANALYZE"), "{err}");
    assert_eq!(
        db.query("SELECT count(*) FROM u").unwrap().value(0, 0),
        Value::Int64(3)
    );
    let err = db.query("EXPLAIN (ANALYZE maybe) SELECT 1").unwrap_err();
    assert!(matches!(err, Error::Sql(_)), "{err}");
    // A query error surfaces as the query's error.
    let err = db
        .query("EXPLAIN ANALYZE SELECT 1 / (k - k) FROM u")
        .unwrap_err();
    assert!(err.to_string().contains("division by zero"), "{err}");
}
