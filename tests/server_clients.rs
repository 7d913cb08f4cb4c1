//! `grizzly::server` against real PostgreSQL drivers in other languages: Python's psycopg 3
//! (through libpq). The checks run as a Python script (below) against a server started in
//! process on 127.0.0.1 with ephemeral ports.
//!
//! The test needs `python3` with `psycopg` importable (Debian: `python3-psycopg`; `.ci/run`
//! installs it). Without one it prints a notice and passes, unless the environment sets
//! `GRIZZLY_REQUIRE_CLIENTS` (as CI does): then it fails. `GRIZZLY_PYTHON` names the
//! interpreter to use; otherwise `python3` on the PATH, then `/usr/bin/python3`, are tried.

use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
#[path = "support/test_server.rs"]
mod test_server;
use test_server::TestServer;

/// The longest the Python script may take.
const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

/// A Python interpreter that can import psycopg, if there is one.
fn python_with_psycopg() -> Option<String> {
    let candidates: Vec<String> = match std::env::var("GRIZZLY_PYTHON") {
        Ok(p) => vec![p],
        Err(_) => vec!["python3".into(), "/usr/bin/python3".into()],
    };
    candidates.into_iter().find(|python| {
        Command::new(python)
            .args(["-c", "import psycopg"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Runs `script` with `python`, the servers' ports in the environment; returns its output
/// or panics with it.
fn run_python(python: &str, script: &str, env: &[(&str, String)]) -> String {
    let mut cmd = Command::new(python);
    cmd.args(["-c", script])
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("python starts");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let output = match rx.recv_timeout(SCRIPT_TIMEOUT) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("the psycopg script did not finish within {SCRIPT_TIMEOUT:?}");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the psycopg script failed:\n{stderr}\n{stdout}"
    );
    stdout
}

#[test]
fn psycopg_queries_types_errors_and_concurrency() {
    let Some(python) = python_with_psycopg() else {
        assert!(
            std::env::var_os("GRIZZLY_REQUIRE_CLIENTS").is_none(),
            "python3 with psycopg is not installed and GRIZZLY_REQUIRE_CLIENTS is set"
        );
        println!("NOTICE: python3 with psycopg is not installed: skipping the psycopg test");
        return;
    };
    let open = TestServer::start(Vec::new());
    let guarded = TestServer::start(vec!["alice:s3cret".parse().unwrap()]);
    let out = run_python(
        &python,
        PSYCOPG_SCRIPT,
        &[
            ("GRIZZLY_PORT", open.pg.port().to_string()),
            ("GRIZZLY_AUTH_PORT", guarded.pg.port().to_string()),
        ],
    );
    assert!(out.contains("psycopg: all checks passed"), "{out}");
}

/// The checks, in Python. Each `check` failure exits non-zero with a message.
const PSYCOPG_SCRIPT: &str = r#"
import datetime, decimal, os, sys, threading
import psycopg
from psycopg import errors

port = os.environ["GRIZZLY_PORT"]
base = f"host=127.0.0.1 port={port} dbname=grizzly user=tester sslmode=disable connect_timeout=5"

def check(ok, what):
    if not ok:
        sys.exit(f"FAILED: {what}")

with psycopg.connect(base, autocommit=True) as conn:
    # Simple query, and the server's identity.
    check(conn.execute("SELECT 1 + 1").fetchone() == (2,), "select 1 + 1")
    check(conn.info.server_version >= 160000, f"server_version {conn.info.server_version}")
    version = conn.execute("SELECT version()").fetchone()[0]
    check(version.startswith("PostgreSQL 16.0 (Grizzly"), f"version() = {version}")
    check(conn.execute("SELECT current_database(), current_schema()").fetchone()
          == ("grizzly", "public"), "current_database/current_schema")

    conn.execute("""CREATE TABLE items (id INTEGER, big BIGINT, price DECIMAL(10,2),
                    ratio DOUBLE, name VARCHAR, added DATE, ok BOOLEAN)""")
    # Parameters are bound by the server (extended protocol).
    cur = conn.cursor()
    cur.execute("INSERT INTO items VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (1, 9000000000, decimal.Decimal("12.34"), 0.5, "apple",
                 datetime.date(2024, 1, 2), True))
    check(cur.rowcount == 1, f"rowcount {cur.rowcount}")
    cur.executemany("INSERT INTO items VALUES (%s, %s, %s, %s, %s, %s, %s)",
                    [(2, -5, decimal.Decimal("-0.05"), -1.25e10, "pear, 'quoted'",
                      datetime.date(1999, 12, 31), False),
                     (3, None, None, None, None, None, None)])

    # Types round trip, in text and in binary.
    for binary in (False, True):
        cur = conn.cursor(binary=binary)
        rows = cur.execute("SELECT id, big, price, ratio, name, added, ok FROM items "
                           "WHERE id >= %s ORDER BY id", (1,)).fetchall()
        expected = [
            (1, 9000000000, decimal.Decimal("12.34"), 0.5, "apple",
             datetime.date(2024, 1, 2), True),
            (2, -5, decimal.Decimal("-0.05"), -1.25e10, "pear, 'quoted'",
             datetime.date(1999, 12, 31), False),
            (3, None, None, None, None, None, None),
        ]
        check(rows == expected, f"round trip (binary={binary}): {rows}")
        names = [d.name for d in cur.description]
        check(names == ["id", "big", "price", "ratio", "name", "added", "ok"], f"names {names}")
        types = [d.type_code for d in cur.description]
        check(types == [23, 20, 1700, 701, 1043, 1082, 16], f"type oids {types}")

    # A named server-side prepared statement, run again with new parameters.
    cur = conn.cursor()
    for wanted, name in ((1, "apple"), (2, "pear, 'quoted'")):
        got = cur.execute("SELECT name FROM items WHERE id = %s", (wanted,), prepare=True).fetchone()
        check(got == (name,), f"prepared: {got}")
    got = cur.execute("SELECT count(*) FROM items WHERE price > %s AND added < %s",
                      (decimal.Decimal("0"), datetime.date(2030, 1, 1))).fetchone()
    check(got == (1,), f"decimal and date parameters: {got}")

    # Client-side binding (simple protocol), several statements at once.
    ccur = psycopg.ClientCursor(conn)
    ccur.execute("SELECT %s::INTEGER + 1; SELECT 'x'", (41,))
    results = [ccur.fetchall()]
    while ccur.nextset():
        results.append(ccur.fetchall())
    check(results == [[(42,)], [("x",)]], f"a multi-statement query: {results}")

    # Errors carry their SQLSTATE and message; the connection goes on.
    for sql, kind, state in (("SELECT * FROM missing", errors.UndefinedTable, "42P01"),
                             ("SELEC 1", errors.SyntaxError, "42601"),
                             ("SELECT 1 / 0", errors.DivisionByZero, "22012")):
        try:
            conn.execute(sql)
            check(False, f"{sql} should fail")
        except kind as e:
            check(e.sqlstate == state, f"{sql}: sqlstate {e.sqlstate}")
            check(str(e).strip() != "", f"{sql}: no message")
    try:
        conn.execute("SELECT nope FROM items WHERE id = %s", (1,))
        check(False, "unknown column should fail")
    except errors.UndefinedColumn as e:
        check("nope" in str(e), f"message names the column: {e}")
    check(conn.execute("SELECT count(*) FROM items").fetchone() == (3,), "usable after errors")

# Transactions through psycopg's non-autocommit mode, and two concurrent connections.
with psycopg.connect(base) as writer, psycopg.connect(base, autocommit=True) as reader:
    writer.execute("INSERT INTO items (id, name) VALUES (%s, %s)", (10, "uncommitted"))
    seen = reader.execute("SELECT count(*) FROM items WHERE id = 10").fetchone()[0]
    check(seen == 0, "another connection does not see an uncommitted insert")
    writer.commit()
    seen = reader.execute("SELECT count(*) FROM items WHERE id = 10").fetchone()[0]
    check(seen == 1, "the insert is visible once committed")
    writer.execute("DELETE FROM items WHERE id = 10")
    writer.rollback()
    check(reader.execute("SELECT count(*) FROM items WHERE id = 10").fetchone()[0] == 1,
          "a rolled back delete changes nothing")

failures = []
def worker(n):
    try:
        with psycopg.connect(base, autocommit=True) as conn:
            for i in range(20):
                got = conn.execute("SELECT %s::BIGINT * 2 + count(*) FROM items WHERE id < %s",
                                   (n * 1000 + i, 3)).fetchone()[0]
                if got != (n * 1000 + i) * 2 + 2:
                    failures.append(f"worker {n}: {got}")
    except Exception as e:
        failures.append(f"worker {n}: {e!r}")
threads = [threading.Thread(target=worker, args=(n,)) for n in range(2)]
for t in threads:
    t.start()
for t in threads:
    t.join()
check(not failures, f"concurrent connections: {failures}")

# SCRAM-SHA-256 passwords through libpq.
auth = f"host=127.0.0.1 port={os.environ['GRIZZLY_AUTH_PORT']} dbname=grizzly sslmode=disable connect_timeout=5"
with psycopg.connect(auth + " user=alice password=s3cret") as conn:
    check(conn.execute("SELECT 7").fetchone() == (7,), "password login")
try:
    psycopg.connect(auth + " user=alice password=wrong")
    check(False, "a wrong password is refused")
except psycopg.OperationalError as e:
    check("password authentication failed" in str(e), f"wrong password: {e}")

print("psycopg: all checks passed")
"#;
