//! Cancelling running statements through `Database::interrupt_handle` from another thread:
//! the statement fails with `Error::Cancelled` soon after, leaves no effects, and the
//! session (and its other statements) go on normally.

use grizzly::{Database, Error, JitMode, Value};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

/// Rows in `t`: a three-way cross join of it has a billion rows, which takes minutes.
const ROWS: usize = 1000;
const LONG_QUERY: &str = "SELECT count(*) FROM t a, t b, t c WHERE a.x + b.x + c.x >= 0";
/// The longest a cancelled statement may take to stop (generous: debug builds on a busy
/// machine); the uncancelled query takes far longer.
const STOP_WITHIN: Duration = Duration::from_secs(10);

fn database() -> Database {
    let db = Database::in_memory();
    db.execute("CREATE TABLE t (x INTEGER)").unwrap();
    let values: Vec<String> = (0..ROWS).map(|i| format!("({i})")).collect();
    db.execute(&format!("INSERT INTO t VALUES {}", values.join(",")))
        .unwrap();
    db.execute("CREATE TABLE copy (x INTEGER)").unwrap();
    db
}

/// Runs `sql` on `db` in a new thread; returns the outcome and how long it took.
fn spawn(db: &Database, sql: &str) -> mpsc::Receiver<(Result<u64, Error>, Duration)> {
    let (tx, rx) = mpsc::channel();
    let (db, sql) = (db.clone(), sql.to_string());
    thread::spawn(move || {
        let start = Instant::now();
        let result = db.execute(&sql);
        let _ = tx.send((result, start.elapsed()));
    });
    rx
}

/// Waits until `db`'s session has a call running, lets it run a little, interrupts it, and
/// returns its outcome and the time from the interrupt to its end.
fn cancel_after_start(
    db: &Database,
    done: &mpsc::Receiver<(Result<u64, Error>, Duration)>,
) -> (Result<u64, Error>, Duration) {
    let handle = db.interrupt_handle();
    let start = Instant::now();
    while handle.running() == 0 {
        assert!(start.elapsed() < STOP_WITHIN, "the statement never started");
        thread::sleep(Duration::from_millis(5));
    }
    thread::sleep(Duration::from_millis(200));
    assert!(
        done.try_recv().is_err(),
        "the query finished before it was cancelled: make it longer"
    );
    let cancelled_at = Instant::now();
    assert_eq!(handle.interrupt(), 1);
    let (result, _) = done
        .recv_timeout(STOP_WITHIN)
        .expect("the cancelled statement did not stop in time");
    (result, cancelled_at.elapsed())
}

fn count(db: &Database, table: &str) -> Value {
    db.query(&format!("SELECT count(*) FROM {table}"))
        .unwrap()
        .value(0, 0)
}

#[test]
fn a_cancelled_query_stops_and_the_database_stays_usable() {
    for mode in [JitMode::Off, JitMode::Always] {
        let db = database();
        db.set_jit(mode);
        let done = spawn(&db, LONG_QUERY);
        let (result, stop) = cancel_after_start(&db, &done);
        let err = result.expect_err("the query was cancelled");
        assert!(matches!(err, Error::Cancelled), "{mode}: {err}");
        assert_eq!(err.to_string(), "query cancelled");
        eprintln!("{mode}: stopped {stop:?} after the interrupt");
        assert!(stop < STOP_WITHIN, "{mode}: took {stop:?} to stop");
        // Nothing is left running and the next statements run normally.
        assert_eq!(db.interrupt_handle().running(), 0);
        assert_eq!(count(&db, "t"), Value::Int64(ROWS as i64));
        assert_eq!(db.interrupt_handle().interrupt(), 0);
        assert_eq!(count(&db, "t"), Value::Int64(ROWS as i64));
    }
}

#[test]
fn a_cancelled_insert_select_commits_nothing() {
    let db = database();
    let done = spawn(
        &db,
        "INSERT INTO copy SELECT a.x FROM t a, t b, t c WHERE a.x + b.x + c.x >= 0",
    );
    let (result, _) = cancel_after_start(&db, &done);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert_eq!(count(&db, "copy"), Value::Int64(0));
    // The writer was not left taken: a later write works.
    assert_eq!(db.execute("INSERT INTO copy VALUES (1)").unwrap(), 1);
    assert_eq!(count(&db, "copy"), Value::Int64(1));
}

#[test]
fn a_cancelled_statement_in_a_transaction_keeps_the_transaction() {
    let db = database();
    db.execute("BEGIN").unwrap();
    db.execute("INSERT INTO copy VALUES (7)").unwrap();
    let done = spawn(
        &db,
        "INSERT INTO copy SELECT a.x FROM t a, t b, t c WHERE a.x + b.x + c.x >= 0",
    );
    let (result, _) = cancel_after_start(&db, &done);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    // The transaction still has what it had before the cancelled statement.
    assert_eq!(count(&db, "copy"), Value::Int64(1));
    db.execute("COMMIT").unwrap();
    assert_eq!(count(&db, "copy"), Value::Int64(1));
}

#[test]
fn interrupting_one_session_leaves_the_others_running() {
    let db = database();
    let other = db.connect();
    let done = spawn(&db, LONG_QUERY);
    let other_done = spawn(&other, LONG_QUERY);
    let (result, _) = cancel_after_start(&db, &done);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
    assert!(
        other_done.try_recv().is_err(),
        "the other session's query stopped too"
    );
    assert_eq!(other.interrupt_handle().running(), 1);
    assert_eq!(other.interrupt_handle().interrupt(), 1);
    let (other_result, _) = other_done.recv_timeout(STOP_WITHIN).unwrap();
    assert!(
        matches!(other_result, Err(Error::Cancelled)),
        "{other_result:?}"
    );
}

#[test]
fn prepared_statements_and_explain_analyze_can_be_cancelled() {
    let db = database();
    let prepared = db
        .prepare("SELECT count(*) FROM t a, t b, t c WHERE a.x + b.x + c.x >= $1")
        .unwrap();
    let (tx, done) = mpsc::channel();
    thread::spawn(move || {
        let start = Instant::now();
        let result = prepared.execute(&[Value::Int32(0)]);
        let _ = tx.send((result, start.elapsed()));
    });
    let (result, _) = cancel_after_start(&db, &done);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");

    let done = spawn(&db, &format!("EXPLAIN ANALYZE {LONG_QUERY}"));
    let (result, _) = cancel_after_start(&db, &done);
    assert!(matches!(result, Err(Error::Cancelled)), "{result:?}");
}
