//! `memory_limit` (`SET memory_limit`, `grizzly --memory-limit`, the config key): a statement
//! that needs more memory than the limit fails with `Error::ResourceLimit`, leaves no effects
//! (as a cancelled one), and the session goes on. SQL-level behaviour per operator is in
//! `tests/slt/memory_limit.slt`.

#[path = "support/temp_dir.rs"]
mod temp_dir;

use grizzly::{Database, Error, JitMode, Value};
use std::io::Write;
use std::process::{Command, Output, Stdio};
use temp_dir::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_grizzly");

/// Rows of `big` (n = 0 .. ROWS-1): about 780 KiB of BIGINT, far over a 64 KiB limit.
const ROWS: i64 = 100_000;

/// Statements that make `big` (ROWS rows) and an empty `copy` with one row of its own.
const SETUP: &str = "\
CREATE TABLE digits AS SELECT * FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) v(x);
CREATE TABLE big AS SELECT CAST(a.x + 10 * b.x + 100 * c.x + 1000 * d.x + 10000 * e.x AS BIGINT) AS n
    FROM digits a, digits b, digits c, digits d, digits e;
CREATE TABLE copy (n BIGINT);
INSERT INTO copy VALUES (-1);";

fn database(jit: JitMode) -> Database {
    let db = Database::in_memory();
    db.set_jit(jit);
    db.execute(SETUP).unwrap();
    db
}

fn count(db: &Database, table: &str) -> i64 {
    match db
        .query(&format!("SELECT count(*) FROM {table}"))
        .unwrap()
        .value(0, 0)
    {
        Value::Int64(n) => n,
        other => panic!("count(*) gave {other:?}"),
    }
}

fn assert_limit_error(result: Result<u64, Error>, operator: &str) {
    match result {
        Err(Error::ResourceLimit(message)) => {
            assert!(
                message.starts_with("query needs more than memory_limit (64.0 KiB)")
                    && message.contains(operator)
                    && message.ends_with("raise it with SET memory_limit"),
                "{message}"
            );
        }
        other => panic!("expected a memory limit error naming {operator}, got {other:?}"),
    }
}

#[test]
fn statements_over_the_limit_leave_no_effects() {
    for jit in [JitMode::Off, JitMode::Always] {
        let db = database(jit);
        db.execute("SET memory_limit = '64KiB'").unwrap();

        // INSERT ... SELECT collects its rows before writing: nothing is appended.
        let insert = db.execute("INSERT INTO copy SELECT n FROM big");
        assert_limit_error(insert, "query result");
        assert_eq!(count(&db, "copy"), 1, "{jit:?}");
        let insert = db.execute("INSERT INTO copy SELECT x.n FROM big x JOIN big y ON x.n = y.n");
        assert_limit_error(insert, "hash join build");
        assert_eq!(count(&db, "copy"), 1);

        // UPDATE and CREATE TABLE AS neither change nor create anything.
        assert_limit_error(db.execute("UPDATE big SET n = n + 1"), "query result");
        assert_eq!(
            db.query("SELECT min(n), max(n) FROM big")
                .unwrap()
                .row(0)
                .values(),
            vec![Value::Int64(0), Value::Int64(ROWS - 1)]
        );
        assert_limit_error(
            db.execute("CREATE TABLE sorted AS SELECT n FROM big ORDER BY n DESC"),
            "sort",
        );
        assert!(db.query("SELECT * FROM sorted").is_err());

        // Inside a transaction: the failed statement adds nothing, what came before stays.
        db.execute("BEGIN").unwrap();
        db.execute("INSERT INTO copy VALUES (-2)").unwrap();
        assert_limit_error(
            db.execute("INSERT INTO copy SELECT n FROM big"),
            "query result",
        );
        db.execute("COMMIT").unwrap();
        assert_eq!(count(&db, "copy"), 2);

        // A generous limit runs the same statement; its rows arrive once.
        db.execute("SET memory_limit = '64MiB'").unwrap();
        assert_eq!(
            db.execute("INSERT INTO copy SELECT n FROM big").unwrap(),
            ROWS as u64
        );
        assert_eq!(count(&db, "copy"), ROWS + 2);
    }
}

#[test]
fn the_limit_is_per_session_and_prepared_statements_follow_it() {
    let db = database(JitMode::Off);
    let other = db.connect();
    let query = "SELECT count(*) FROM (SELECT DISTINCT n FROM big) d";
    let prepared = db.prepare(query).unwrap();
    db.execute("SET memory_limit = '64KiB'").unwrap();
    assert_limit_error(db.execute(query), "hash aggregate");
    assert!(matches!(prepared.query(&[]), Err(Error::ResourceLimit(_))));
    // Another session of the same database has no limit.
    assert_eq!(other.query(query).unwrap().value(0, 0), Value::Int64(ROWS));
    assert_eq!(db.setting("memory_limit").as_deref(), Some("64kib"));
    // A session that starts from this one's settings (as a server's clients do) has the
    // limit, until it changes its own copy.
    let copy = db.connect_with_settings();
    assert_limit_error(copy.execute(query), "hash aggregate");
    copy.execute("SET memory_limit = 'none'").unwrap();
    assert_eq!(copy.query(query).unwrap().value(0, 0), Value::Int64(ROWS));
    assert_limit_error(db.execute(query), "hash aggregate");
    db.execute("SET memory_limit = 'none'").unwrap();
    assert_eq!(prepared.query(&[]).unwrap().value(0, 0), Value::Int64(ROWS));
}

/// Runs the binary with no config file of the user's.
fn grizzly(args: &[&str]) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("grizzly-memory-limit-no-config"),
        )
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("grizzly runs");
    child.stdin.take().unwrap().write_all(b"").unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn cli_memory_limit_and_config_key_are_enforced() {
    let dir = TempDir::new("memory-limit");
    let db = &dir.file("cli.griz");
    let setup = grizzly(&[db, "-c", SETUP]);
    assert!(setup.status.success(), "{}", text(&setup.stderr));
    let join = "SELECT count(*) FROM big x JOIN big y ON x.n = y.n";

    let out = grizzly(&["--memory-limit", "1MiB", "--format", "csv", db, "-c", join]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(
        err.contains("query needs more than memory_limit (1.0 MiB) (hash join build:")
            && err.contains("raise it with SET memory_limit"),
        "{err}"
    );
    // Small queries run under the same limit; `.settings` shows it.
    let out = grizzly(&[
        "--memory-limit",
        "1MiB",
        "--format",
        "csv",
        db,
        "-c",
        "SELECT count(*) FROM big",
    ]);
    assert_eq!(
        text(&out.stdout),
        format!("count\n{ROWS}\n"),
        "{}",
        text(&out.stderr)
    );
    let out = grizzly(&["--memory-limit", "1MiB", db, "-c", ".settings"]);
    assert!(
        text(&out.stdout).contains("memory_limit         1 MiB\n"),
        "{}",
        text(&out.stdout)
    );

    // The config key sets the same limit; the command line wins over it.
    let config = &dir.file("grizzly.toml");
    std::fs::write(config, "memory_limit = \"1MiB\"\n").unwrap();
    let out = grizzly(&["--config", config, db, "-c", join]);
    assert!(
        text(&out.stderr).contains("memory_limit (1.0 MiB)"),
        "{}",
        text(&out.stderr)
    );
    for unlimited in ["none", "0", "1GiB"] {
        let out = grizzly(&[
            "--config",
            config,
            "--memory-limit",
            unlimited,
            "--format",
            "csv",
            db,
            "-c",
            join,
        ]);
        assert_eq!(
            text(&out.stdout),
            format!("count\n{ROWS}\n"),
            "{}",
            text(&out.stderr)
        );
    }

    // Bad sizes are refused before anything runs.
    let out = grizzly(&["--memory-limit", "lots", "-c", "SELECT 1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("invalid size"),
        "{}",
        text(&out.stderr)
    );
}
