//! `grizzly::server` end to end: real `psql` and `curl` processes and the `tokio-postgres`
//! client against a server started in-process on 127.0.0.1 with ephemeral ports. Tests that
//! need `psql` (or `curl`, `openssl`) print a notice and pass when it is missing, unless the
//! environment sets `GRIZZLY_REQUIRE_CLIENTS` (as CI does): then a missing client fails them.

#[path = "support/metrics.rs"]
mod metrics;

use grizzly::server::{PasswordAuth, Server, ServerConfig, TlsFiles, User};
use grizzly::Database;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// The longest any one client command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(15);

/// A server running on its own runtime; stops (gracefully) when dropped.
struct TestServer {
    runtime: tokio::runtime::Runtime,
    stop: Option<oneshot::Sender<()>>,
    done: Option<tokio::task::JoinHandle<grizzly::Result<()>>>,
    pg: SocketAddr,
    http: SocketAddr,
}

impl TestServer {
    fn start(db: Database) -> TestServer {
        TestServer::with(db, |_| {})
    }

    fn with(db: Database, configure: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = ServerConfig::default();
        config.pg_addr = "127.0.0.1:0".parse().unwrap();
        config.http_addr = Some("127.0.0.1:0".parse().unwrap());
        config.shutdown_timeout = Duration::from_secs(10);
        config.log = false;
        configure(&mut config);
        let server = runtime.block_on(Server::bind(db, config)).unwrap();
        let (pg, http) = (server.pg_addr(), server.http_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let done = runtime.spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            runtime,
            stop: Some(stop),
            done: Some(done),
            pg,
            http,
        }
    }

    /// Starts a graceful shutdown and waits (bounded) for `run` to return.
    fn shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(done) = self.done.take() {
            let result = self
                .runtime
                .block_on(async { tokio::time::timeout(Duration::from_secs(15), done).await });
            result
                .expect("the server stopped within 15 s")
                .unwrap()
                .unwrap();
        }
    }

    fn psql(&self) -> Command {
        psql_at(self.pg)
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.http)
    }

    /// A `tokio-postgres` client (its connection driven on the server's runtime).
    fn client(
        &self,
        user: &str,
        password: Option<&str>,
    ) -> Result<tokio_postgres::Client, tokio_postgres::Error> {
        Ok(self.connection(user, password)?.0)
    }

    /// A `tokio-postgres` client and the task that drives its connection: aborting the task
    /// closes the socket at once, without a Terminate message.
    fn connection(
        &self,
        user: &str,
        password: Option<&str>,
    ) -> Result<(tokio_postgres::Client, tokio::task::JoinHandle<()>), tokio_postgres::Error> {
        let mut config = tokio_postgres::Config::new();
        config
            .host("127.0.0.1")
            .port(self.pg.port())
            .user(user)
            .dbname("grizzly")
            .connect_timeout(Duration::from_secs(5));
        if let Some(password) = password {
            config.password(password);
        }
        self.runtime.block_on(async {
            let (client, connection) = config.connect(tokio_postgres::NoTls).await?;
            let driver = tokio::spawn(async move {
                let _ = connection.await;
            });
            Ok((client, driver))
        })
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if !std::thread::panicking() {
            self.shutdown();
        }
    }
}

fn psql_at(addr: SocketAddr) -> Command {
    let mut cmd = Command::new("psql");
    cmd.args(["-X", "-w", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
        .args(["-h", &addr.ip().to_string(), "-p", &addr.port().to_string()])
        .args(["-U", "tester", "-d", "grizzly"])
        .env("PGCONNECT_TIMEOUT", "5")
        .env("PGSSLMODE", "disable")
        .env_remove("PGPASSWORD")
        .env_remove("PGSERVICE");
    cmd
}

/// Whether `tool` runs here; if not, says the test is skipped (or fails it when
/// `GRIZZLY_REQUIRE_CLIENTS` is set).
fn have(tool: &str, test: &str) -> bool {
    // `openssl` takes `version`, not `--version`.
    let version = if tool == "openssl" {
        "version"
    } else {
        "--version"
    };
    let ok = Command::new(tool)
        .arg(version)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("GRIZZLY_REQUIRE_CLIENTS").is_none(),
            "{tool} is not installed and GRIZZLY_REQUIRE_CLIENTS is set ({test})"
        );
        println!("NOTICE: {tool} is not installed: skipping {test}");
    }
    ok
}

/// Runs `cmd` with `stdin` as its input, killing it after `COMMAND_TIMEOUT`.
fn run(mut cmd: Command, stdin: &str) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the command starts");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.as_bytes()).unwrap();
    drop(input);
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    match rx.recv_timeout(COMMAND_TIMEOUT) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("{cmd:?} did not finish within {COMMAND_TIMEOUT:?}");
        }
    }
}

/// Runs `cmd`, expecting success; returns its standard output.
fn ok(cmd: Command, stdin: &str) -> String {
    let output = run(cmd, stdin);
    let (out, err) = (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    );
    assert!(output.status.success(), "failed: {err}\n{out}");
    out
}

fn sql(server: &TestServer, sql: &str) -> String {
    let mut cmd = server.psql();
    cmd.args(["-c", sql]);
    ok(cmd, "")
}

/// `curl` of `url` with extra arguments; returns (status, body).
fn curl(url: &str, args: &[&str]) -> (u16, String) {
    let mut cmd = Command::new("curl");
    cmd.args(["-s", "--max-time", "10", "-w", "\n%{http_code}"])
        .args(args)
        .arg(url);
    let out = ok(cmd, "");
    let (body, status) = out.rsplit_once('\n').unwrap();
    (status.trim().parse().unwrap(), body.to_string())
}

fn post_query(server: &TestServer, body: &str) -> (u16, serde_json::Value) {
    let (status, text) = curl(
        &server.url("/query"),
        &[
            "-X",
            "POST",
            "-H",
            "Content-Type: application/json",
            "--data-binary",
            body,
        ],
    );
    let json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    (status, json)
}

/// A database with table `n` of `rows` integers: `n x n` makes a slow cross join.
fn database_with_numbers(rows: usize) -> Database {
    let db = Database::in_memory();
    db.execute("CREATE TABLE n (x INTEGER)").unwrap();
    let values: Vec<String> = (0..rows).map(|i| format!("({i})")).collect();
    db.execute(&format!("INSERT INTO n VALUES {}", values.join(",")))
        .unwrap();
    db
}

/// Rows of `n` for a cross join that takes on the order of a second in a debug build.
const SLOW_ROWS: usize = 2500;
const SLOW_QUERY: &str = "SELECT count(*) FROM n a, n b WHERE a.x + b.x >= 0";

/// About 2 x 10^8 rows of `n` (with `SLOW_ROWS` rows) joined three ways: tens of seconds in a
/// debug build, seconds in a release build, unless cancelled.
const ENDLESS_QUERY: &str =
    "SELECT count(*) FROM n a, n b, n c WHERE c.x < 35 AND a.x + b.x + c.x >= 0";

/// The value of `name` in `GET /metrics`, read without curl (the disconnect tests must not
/// be skipped).
fn metric(server: &TestServer, name: &str) -> u64 {
    use std::io::{Read, Write};
    let mut socket = std::net::TcpStream::connect(server.http).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket.write_all(b"GET /metrics HTTP/1.0\r\n\r\n").unwrap();
    let mut text = String::new();
    socket.read_to_string(&mut text).unwrap();
    metrics::metric_value(&text, name) as u64
}

/// Waits up to `limit` for `done`; fails naming `what` if it never holds.
fn wait_until(limit: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "{what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Once `ENDLESS_QUERY`, sent by the server's only client, runs: lets `leave` cut that
/// client off, then checks that the server cancels the query at once (it would otherwise
/// run for many seconds and succeed) and closes the connection.
fn check_cut_off(server: &TestServer, leave: impl FnOnce()) {
    // Generous: the test binary runs its tests in parallel on a small machine. A query that
    // is not cancelled never adds to the cancelled count, however long this waits.
    let limit = Duration::from_secs(30);
    wait_until(limit, "the slow query started", || {
        metric(server, "grizzly_queries_in_flight") == 1
    });
    let cancelled = metric(server, "grizzly_queries_cancelled_total");
    leave();
    wait_until(limit, "the cut-off query was cancelled", || {
        metric(server, "grizzly_queries_cancelled_total") == cancelled + 1
    });
    wait_until(limit, "the connection was closed", || {
        metric(server, "grizzly_queries_in_flight") == 0
            && metric(server, "grizzly_connections") == 0
    });
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("grizzly-server-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn psql_select_one() {
    if !have("psql", "psql_select_one") {
        return;
    }
    let server = TestServer::start(Database::in_memory());
    assert_eq!(sql(&server, "select 1").trim(), "1");
}

#[test]
fn psql_session_creates_inserts_and_selects() {
    if !have("psql", "psql_session_creates_inserts_and_selects") {
        return;
    }
    let server = TestServer::start(Database::in_memory());
    let script = "\
        CREATE TABLE items (id INTEGER, name VARCHAR, price DECIMAL(10,2), added DATE, \
                            ok BOOLEAN, ratio DOUBLE, big BIGINT);
        INSERT INTO items VALUES (1, 'apple', 1.50, DATE '2024-01-02', true, 0.5, 9000000000),
                                 (2, 'pear', NULL, NULL, false, NULL, NULL);
        BEGIN;
        INSERT INTO items VALUES (3, 'rolled back', 0, NULL, NULL, NULL, NULL);
        ROLLBACK;
        SELECT id, name, price, added, ok, ratio, big FROM items ORDER BY id;
        SELECT count(*) FROM items;";
    let mut cmd = server.psql();
    cmd.args(["-F", "|"]);
    let out = ok(cmd, script);
    let lines: Vec<&str> = out.lines().filter(|l| !l.is_empty()).collect();
    // Command tags come first (psql -A -t still prints them), then the rows.
    assert!(lines.contains(&"CREATE TABLE"), "{out}");
    assert!(lines.contains(&"INSERT 0 2"), "{out}");
    assert!(
        lines.contains(&"BEGIN") && lines.contains(&"ROLLBACK"),
        "{out}"
    );
    assert!(
        lines.contains(&"1|apple|1.50|2024-01-02|t|0.5|9000000000"),
        "{out}"
    );
    assert!(lines.contains(&"2|pear|||f||"), "{out}");
    assert_eq!(lines.last(), Some(&"2"), "{out}");
}

#[test]
fn psql_errors_carry_sqlstate() {
    if !have("psql", "psql_errors_carry_sqlstate") {
        return;
    }
    let server = TestServer::start(Database::in_memory());
    sql(&server, "CREATE TABLE t (a INTEGER)");
    for (query, code) in [
        ("SELECT * FROM missing", "42P01"),
        ("SELECT nope FROM t", "42703"),
        ("SELEC 1", "42601"),
        ("SELECT 1 / 0", "22012"),
        ("SELECT CAST(3000000000 AS INTEGER)", "22003"),
    ] {
        let mut cmd = server.psql();
        cmd.args(["-v", "VERBOSITY=verbose", "-c", query]);
        let output = run(cmd, "");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "{query} should fail");
        assert!(
            stderr.contains(&format!("ERROR:  {code}")),
            "{query}: {stderr}"
        );
    }
    // The session goes on after an error.
    assert_eq!(sql(&server, "SELECT count(*) FROM t").trim(), "0");
}

#[test]
fn extended_protocol_prepares_binds_and_types() {
    let server = TestServer::start(Database::in_memory());
    let client = server.client("tester", None).unwrap();
    server.runtime.block_on(async {
        client
            .batch_execute(
                "CREATE TABLE t (id INTEGER, name VARCHAR, big BIGINT, ratio DOUBLE, ok BOOLEAN, \
                 price DECIMAL(10,2)); INSERT INTO t VALUES (1, 'a', 10, 0.5, true, 1.25)",
            )
            .await
            .unwrap();
        let insert = client
            .prepare("INSERT INTO t VALUES ($1, $2, $3, $4, $5, $6)")
            .await
            .unwrap();
        let types: Vec<String> = insert
            .params()
            .iter()
            .map(|t| t.name().to_string())
            .collect();
        assert_eq!(
            types,
            ["int4", "varchar", "int8", "float8", "bool", "numeric"]
        );
        let n = client
            .execute(
                "INSERT INTO t (id, name, big, ratio, ok) VALUES ($1, $2, $3, $4, $5)",
                &[&2i32, &"b", &20i64, &1.5f64, &false],
            )
            .await
            .unwrap();
        assert_eq!(n, 1);

        let select = client
            .prepare("SELECT id, name, big, ratio, ok FROM t WHERE id >= $1 ORDER BY id")
            .await
            .unwrap();
        assert_eq!(select.params()[0].name(), "int4");
        let rows = client.query(&select, &[&1i32]).await.unwrap();
        assert_eq!(rows.len(), 2);
        let second = &rows[1];
        assert_eq!(second.get::<_, i32>(0), 2);
        assert_eq!(second.get::<_, String>(1), "b");
        assert_eq!(second.get::<_, i64>(2), 20);
        assert_eq!(second.get::<_, f64>(3), 1.5);
        assert!(!second.get::<_, bool>(4));
        // The same statement again, with new parameters: a query cache hit, reading the
        // table's columns.
        let hits = metric(&server, "grizzly_query_cache_hits_total");
        let scanned = metric(&server, "grizzly_bytes_scanned_total");
        assert_eq!(client.query(&select, &[&2i32]).await.unwrap().len(), 1);
        assert!(metric(&server, "grizzly_query_cache_hits_total") > hits);
        assert!(metric(&server, "grizzly_bytes_scanned_total") > scanned);
        // NULL parameters and text results through the simple protocol.
        let rows = client
            .query("SELECT count(*) FROM t WHERE name = $1", &[&None::<String>])
            .await
            .unwrap();
        assert_eq!(rows[0].get::<_, i64>(0), 0);
        let text = client
            .simple_query("SELECT price FROM t WHERE id = 1")
            .await
            .unwrap();
        match &text[1] {
            tokio_postgres::SimpleQueryMessage::Row(row) => assert_eq!(row.get(0), Some("1.25")),
            other => panic!("expected a row, got {other:?}"),
        }

        let err = client
            .query("SELECT * FROM missing WHERE a = $1", &[&1i32])
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE)
        );
        let err = client
            .query("SELECT id / $1 FROM t", &[&0i32])
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(&tokio_postgres::error::SqlState::DIVISION_BY_ZERO)
        );
        // The connection is still usable after errors.
        assert_eq!(client.query("SELECT 1", &[]).await.unwrap().len(), 1);
    });
}

#[test]
fn http_health_metrics_and_query() {
    if !have("curl", "http_health_metrics_and_query") {
        return;
    }
    let server = TestServer::start(Database::in_memory());
    assert_eq!(curl(&server.url("/health"), &[]), (200, "ok".to_string()));

    let (status, json) = post_query(
        &server,
        r#"{"sql": "SELECT 1 AS one, CAST(2.50 AS DECIMAL(5,2)) AS d, 'x' AS s, NULL AS n, DATE '2024-03-04' AS day, true AS b"}"#,
    );
    assert_eq!(status, 200, "{json}");
    assert_eq!(
        json["columns"][0],
        serde_json::json!({"name": "one", "type": "INTEGER"})
    );
    assert_eq!(json["columns"][1]["type"], "DECIMAL(5,2)");
    assert_eq!(
        json["rows"],
        serde_json::json!([[1, 2.5, "x", null, "2024-03-04", true]])
    );
    let (_, raw) = curl(
        &server.url("/query"),
        &[
            "-X",
            "POST",
            "--data-binary",
            r#"{"sql": "SELECT CAST(2.50 AS DECIMAL(5,2))"}"#,
        ],
    );
    assert!(raw.contains("[[2.50]]"), "decimals keep their scale: {raw}");

    let (status, json) = post_query(&server, "{not json");
    assert_eq!(status, 400);
    assert!(
        json["error"].as_str().unwrap().contains("invalid JSON"),
        "{json}"
    );
    let (status, json) = post_query(&server, r#"{"query": "SELECT 1"}"#);
    assert_eq!(status, 400, "{json}");
    let (status, json) = post_query(&server, r#"{"sql": "SELECT * FROM missing"}"#);
    assert_eq!(status, 400);
    assert_eq!(json["sqlstate"], "42P01");
    assert!(
        json["error"].as_str().unwrap().contains("missing"),
        "{json}"
    );

    let (status, metrics) = curl(&server.url("/metrics"), &[]);
    assert_eq!(status, 200);
    assert!(metrics.contains("\ngrizzly_queries_total 3\n"), "{metrics}");
    assert!(
        metrics.contains("\ngrizzly_query_errors_total 1\n"),
        "{metrics}"
    );
    assert!(
        metrics.contains("# TYPE grizzly_query_duration_seconds histogram"),
        "{metrics}"
    );
    assert!(
        metrics.contains("grizzly_query_duration_seconds_bucket{le=\"+Inf\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("grizzly_query_duration_seconds_count 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("grizzly_query_cache_hits_total "),
        "{metrics}"
    );

    assert_eq!(curl(&server.url("/nope"), &[]).0, 404);
    assert_eq!(curl(&server.url("/query"), &[]).0, 405);
}

#[test]
fn slow_query_does_not_block_others() {
    let server = TestServer::start(database_with_numbers(SLOW_ROWS));
    let slow = server.client("slow", None).unwrap();
    let fast = server.client("fast", None).unwrap();
    server.runtime.block_on(async {
        let start = Instant::now();
        let slow_query = tokio::spawn(async move {
            let rows = slow.query(SLOW_QUERY, &[]).await.unwrap();
            (rows[0].get::<_, i64>(0), Instant::now())
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        let fast_start = Instant::now();
        let rows = fast.query("SELECT 1", &[]).await.unwrap();
        let fast_done = Instant::now();
        assert_eq!(rows[0].get::<_, i32>(0), 1);
        let (count, slow_done) = tokio::time::timeout(Duration::from_secs(15), slow_query)
            .await
            .expect("the slow query finishes")
            .unwrap();
        assert_eq!(count, (SLOW_ROWS * SLOW_ROWS) as i64);
        if slow_done < fast_start {
            println!(
                "NOTICE: the slow query finished in {:?}: too fast to test",
                slow_done - start
            );
            return;
        }
        assert!(
            fast_done < slow_done,
            "SELECT 1 took {:?}, waiting for the slow query ({:?})",
            fast_done - fast_start,
            slow_done - start
        );
    });
}

#[test]
fn many_concurrent_clients() {
    const CLIENTS: i32 = 16;
    let server = TestServer::start(database_with_numbers(10));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| server.client(&format!("c{i}"), None).unwrap())
        .collect();
    server.runtime.block_on(async {
        let tasks: Vec<_> = clients
            .into_iter()
            .enumerate()
            .map(|(i, client)| {
                tokio::spawn(async move {
                    let i = 100 + i as i32;
                    // Each writes in its own transaction, then reads what it wrote.
                    client
                        .batch_execute(&format!("BEGIN; INSERT INTO n VALUES ({i}), ({i}); COMMIT"))
                        .await
                        .unwrap();
                    let rows = client
                        .query("SELECT count(*) FROM n WHERE x = $1", &[&i])
                        .await
                        .unwrap();
                    rows[0].get::<_, i64>(0)
                })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), 2);
        }
    });
    let all = server.client("last", None).unwrap();
    let count = server.runtime.block_on(async {
        let rows = all.query("SELECT count(*) FROM n", &[]).await.unwrap();
        rows[0].get::<_, i64>(0)
    });
    assert_eq!(count, 10 + 2 * CLIENTS as i64);
    assert_eq!(
        metric(&server, "grizzly_connections_total"),
        CLIENTS as u64 + 1
    );
}

#[test]
fn abrupt_disconnects_leave_the_server_healthy() {
    let server = TestServer::start(database_with_numbers(SLOW_ROWS));
    let (client, driver) = server.connection("leaver", None).unwrap();
    // A transaction left open, then a slow query cut off mid-way: the connection's socket
    // closes with the client's Sync message still unread by the server.
    server.runtime.block_on(async {
        client
            .batch_execute("BEGIN; INSERT INTO n VALUES (-1)")
            .await
            .unwrap();
    });
    // Prepared first: preparing runs on the blocking pool too, so a query still being
    // described would count as in flight, and a client cut off then leaves nothing to cancel.
    let statement = server
        .runtime
        .block_on(client.prepare(ENDLESS_QUERY))
        .unwrap();
    let query = server.runtime.spawn(async move {
        let _ = client.query(&statement, &[]).await;
    });
    check_cut_off(&server, || {
        driver.abort();
        query.abort();
    });
    // The server answers others, and the abandoned transaction rolled back: its write lock
    // is free and its row is gone.
    let other = server.client("stayer", None).unwrap();
    server.runtime.block_on(async {
        other
            .batch_execute("INSERT INTO n VALUES (-2)")
            .await
            .unwrap();
        let rows = other
            .query("SELECT count(*) FROM n WHERE x < 0", &[])
            .await
            .unwrap();
        assert_eq!(rows[0].get::<_, i64>(0), 1);
    });
    if have(
        "curl",
        "abrupt_disconnects_leave_the_server_healthy (health)",
    ) {
        assert_eq!(curl(&server.url("/health"), &[]), (200, "ok".to_string()));
    }
}

#[test]
fn a_client_that_says_goodbye_mid_query_is_cancelled() {
    use std::io::Write;
    // As libpq's PQfinish does: a Terminate message, then the socket closes. The message
    // waits unread in front of the end of the stream.
    let server = TestServer::start(database_with_numbers(SLOW_ROWS));
    let mut socket = started_session(server.pg, "leaver");
    let mut query = ENDLESS_QUERY.as_bytes().to_vec();
    query.push(0);
    socket.write_all(&message(b'Q', &query)).unwrap();
    check_cut_off(&server, move || {
        socket.write_all(&message(b'X', &[])).unwrap();
        drop(socket);
    });
}

#[test]
fn an_http_client_that_leaves_mid_query_is_cancelled() {
    use std::io::Write;
    let server = TestServer::start(database_with_numbers(SLOW_ROWS));
    let mut socket = std::net::TcpStream::connect(server.http).unwrap();
    let body = serde_json::json!({ "sql": ENDLESS_QUERY }).to_string();
    let request = format!(
        "POST /query HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    socket.write_all(request.as_bytes()).unwrap();
    check_cut_off(&server, move || drop(socket));
}

/// A protocol message: its type byte, length and body.
fn message(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut message = vec![kind];
    message.extend(((body.len() + 4) as i32).to_be_bytes());
    message.extend(body);
    message
}

/// The startup message of protocol 3.0 for `user` and database `grizzly`.
fn startup_message(user: &str) -> Vec<u8> {
    let mut body = 196_608i32.to_be_bytes().to_vec(); // protocol 3.0
    for part in ["user", user, "database", "grizzly"] {
        body.extend_from_slice(part.as_bytes());
        body.push(0);
    }
    body.push(0);
    let mut message = ((body.len() + 4) as i32).to_be_bytes().to_vec();
    message.extend(body);
    message
}

/// Reads one message from the server: its type byte and body.
fn read_message(socket: &mut std::net::TcpStream) -> (u8, Vec<u8>) {
    use std::io::Read;
    let mut head = [0u8; 5];
    socket.read_exact(&mut head).unwrap();
    let len = i32::from_be_bytes(head[1..5].try_into().unwrap()) as usize;
    let mut body = vec![0u8; len - 4];
    socket.read_exact(&mut body).unwrap();
    (head[0], body)
}

/// A socket that has started a session as `user` (on a server that trusts everyone) and
/// got ReadyForQuery.
fn started_session(addr: SocketAddr, user: &str) -> std::net::TcpStream {
    use std::io::Write;
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket.write_all(&startup_message(user)).unwrap();
    while read_message(&mut socket).0 != b'Z' {}
    socket
}

/// The server's first answer to a startup message from `user`: the authentication request
/// code (0 ok, 5 MD5, 10 SASL) and the rest of the message (SASL: the mechanism names).
fn auth_request(addr: SocketAddr, user: &str) -> (i32, Vec<u8>) {
    use std::io::Write;
    let mut socket = std::net::TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    socket.write_all(&startup_message(user)).unwrap();
    let (kind, rest) = read_message(&mut socket);
    assert_eq!(kind, b'R', "an authentication request");
    let code = i32::from_be_bytes(rest[..4].try_into().unwrap());
    (code, rest[4..].to_vec())
}

#[test]
fn trust_without_users_and_scram_by_default_with_them() {
    let trusting = TestServer::start(Database::in_memory());
    assert_eq!(auth_request(trusting.pg, "anyone").0, 0);
    let server = TestServer::with(Database::in_memory(), |c| {
        c.users = vec!["alice:s3cret".parse::<User>().unwrap()];
    });
    // Unknown users are asked the same way, so probing cannot tell them apart.
    for user in ["alice", "mallory"] {
        let (code, mechanisms) = auth_request(server.pg, user);
        assert_eq!(code, 10, "SASL");
        assert_eq!(mechanisms, b"SCRAM-SHA-256\0\0");
    }
    let md5 = TestServer::with(Database::in_memory(), |c| {
        c.users = vec!["alice:s3cret".parse::<User>().unwrap()];
        c.auth = PasswordAuth::Md5;
    });
    assert_eq!(auth_request(md5.pg, "alice").0, 5);
}

#[test]
fn password_authentication_md5() {
    let server = TestServer::with(Database::in_memory(), |c| {
        c.users = vec!["alice:s3cret".parse::<User>().unwrap()];
        c.auth = PasswordAuth::Md5;
    });
    check_passwords(&server);
}

#[test]
fn password_authentication() {
    let server = TestServer::with(Database::in_memory(), |c| {
        c.users = vec![
            "alice:s3cret".parse::<User>().unwrap(),
            "bob:pa:ss wörd".parse::<User>().unwrap(),
        ];
    });
    check_passwords(&server);
    // Passwords with colons, spaces and non-ASCII letters (SASLprep-normalized).
    let bob = server.client("bob", Some("pa:ss wörd")).unwrap();
    let one = server.runtime.block_on(bob.query("SELECT 1", &[])).unwrap();
    assert_eq!(one.len(), 1);
    assert!(server.client("bob", Some("pa:ss word")).is_err());
}

/// Right and wrong passwords of user alice (password `s3cret`), with tokio-postgres and psql.
fn check_passwords(server: &TestServer) {
    let client = server.client("alice", Some("s3cret")).unwrap();
    let one = server
        .runtime
        .block_on(client.query("SELECT 1", &[]))
        .unwrap();
    assert_eq!(one.len(), 1);
    for (user, password) in [
        ("alice", Some("wrong")),
        ("mallory", Some("s3cret")),
        ("alice", None),
    ] {
        let err = server.client(user, password).err();
        assert!(err.is_some(), "{user} with {password:?} got in");
        if let Some(code) = err.as_ref().and_then(|e| e.code()) {
            assert_eq!(code, &tokio_postgres::error::SqlState::INVALID_PASSWORD);
        }
    }
    if have("psql", "password_authentication (psql)") {
        let mut cmd = server.psql();
        cmd.args(["-U", "alice", "-c", "SELECT 42"])
            .env("PGPASSWORD", "s3cret");
        assert_eq!(ok(cmd, "").trim(), "42");
        let mut cmd = server.psql();
        cmd.args(["-U", "alice", "-c", "SELECT 42"])
            .env("PGPASSWORD", "nope");
        let output = run(cmd, "");
        assert!(!output.status.success());
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr
                .to_lowercase()
                .contains("password authentication failed"),
            "{stderr}"
        );
    }
}

#[test]
fn graceful_shutdown_finishes_queries_and_keeps_commits() {
    let dir = temp_dir("shutdown");
    let path = dir.join("db.griz");
    let db = Database::open(&path).unwrap();
    db.execute("CREATE TABLE n (x INTEGER)").unwrap();
    let values: Vec<String> = (0..SLOW_ROWS).map(|i| format!("({i})")).collect();
    db.execute(&format!("INSERT INTO n VALUES {}", values.join(",")))
        .unwrap();
    let mut server = TestServer::start(db);
    let committed = server.client("a", None).unwrap();
    let open_txn = server.client("b", None).unwrap();
    let slow = server.client("c", None).unwrap();
    server.runtime.block_on(async {
        committed
            .batch_execute("INSERT INTO n VALUES (-1)")
            .await
            .unwrap();
        open_txn
            .batch_execute("BEGIN; INSERT INTO n VALUES (-2)")
            .await
            .unwrap();
    });
    let slow_query = server
        .runtime
        .spawn(async move { slow.query(SLOW_QUERY, &[]).await });
    std::thread::sleep(Duration::from_millis(100));
    server.shutdown();
    let result = server.runtime.block_on(slow_query).unwrap();
    assert!(result.is_ok(), "the running query finished: {result:?}");
    drop(server);

    let db = Database::open(&path).unwrap();
    let rows = db.query("SELECT x FROM n WHERE x < 0").unwrap();
    assert_eq!(
        rows.row_count(),
        1,
        "the commit is kept, the open transaction is not"
    );
    assert_eq!(rows.value(0, 0), grizzly::Value::Int32(-1));
    drop(db);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn tls_connections() {
    if !have("psql", "tls_connections") || !have("openssl", "tls_connections") {
        return;
    }
    let dir = temp_dir("tls");
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    let mut cmd = Command::new("openssl");
    cmd.args([
        "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
    ])
    .args(["-subj", "/CN=localhost", "-keyout"])
    .arg(&key)
    .arg("-out")
    .arg(&cert);
    ok(cmd, "");
    let files = TlsFiles { cert, key };
    let server = TestServer::with(database_with_numbers(SLOW_ROWS), |c| c.tls = Some(files));
    let mut cmd = server.psql();
    cmd.env("PGSSLMODE", "require")
        .args(["-c", "SELECT 'secure'"]);
    assert_eq!(ok(cmd, "").trim(), "secure");
    // A TLS client killed mid-query is noticed below TLS, on the socket.
    let mut cmd = server.psql();
    cmd.env("PGSSLMODE", "require")
        .args(["-c", ENDLESS_QUERY])
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let mut psql = cmd.spawn().unwrap();
    check_cut_off(&server, || {
        psql.kill().unwrap();
        psql.wait().unwrap();
    });
    let _ = std::fs::remove_dir_all(Path::new(&dir));
}

#[test]
fn psql_meta_commands_describe_the_catalog() {
    if !have("psql", "psql_meta_commands_describe_the_catalog") {
        return;
    }
    let server = TestServer::start(Database::in_memory());
    sql(
        &server,
        "CREATE TABLE items (id INTEGER NOT NULL, name VARCHAR, price DECIMAL(10,2), \
         added DATE, ok BOOLEAN, ratio DOUBLE, big BIGINT)",
    );
    sql(&server, "CREATE TABLE other (x INTEGER)");
    sql(
        &server,
        "CREATE VIEW cheap AS SELECT id, name FROM items WHERE price < 10",
    );
    let meta = |command: &str| {
        let mut cmd = server.psql();
        cmd.args(["-F", "|", "-c", command]);
        ok(cmd, "")
    };
    assert_eq!(
        meta("\\dt"),
        "public|items|table|grizzly\npublic|other|table|grizzly\n"
    );
    assert_eq!(
        meta("\\d"),
        "public|cheap|view|grizzly\npublic|items|table|grizzly\npublic|other|table|grizzly\n"
    );
    // Name, type, collation, nullable, default.
    assert_eq!(
        meta("\\d items"),
        "id|integer||not null|\n\
         name|character varying|||\n\
         price|numeric(10,2)|||\n\
         added|date|||\n\
         ok|boolean|||\n\
         ratio|double precision|||\n\
         big|bigint|||\n"
    );
    assert_eq!(
        meta("\\d cheap"),
        "id|integer|||\nname|character varying|||\n"
    );
    assert_eq!(meta("\\dn"), "public|grizzly\n");
    assert!(
        meta("\\l").starts_with("grizzly|grizzly|UTF8|C|C||libc|"),
        "{}",
        meta("\\l")
    );
    // Patterns are regular expressions over the catalog.
    assert_eq!(meta("\\dt o*"), "public|other|table|grizzly\n");
    let mut cmd = server.psql();
    cmd.args(["-c", "\\d nothing"]);
    let output = run(cmd, "");
    assert!(String::from_utf8_lossy(&output.stderr).contains("Did not find any relation"));
    // The system catalog describes itself.
    assert!(meta("\\dS pg_class").contains("relname|character varying|||\n"));
    // The SQL standard's catalog, as tools read it.
    assert_eq!(
        sql(
            &server,
            "SELECT table_name, table_type FROM information_schema.tables \
             WHERE table_schema = 'public' ORDER BY 1"
        )
        .trim(),
        "cheap|VIEW\nitems|BASE TABLE\nother|BASE TABLE"
    );
    assert_eq!(
        sql(
            &server,
            "SELECT data_type, numeric_precision, numeric_scale FROM information_schema.columns \
             WHERE table_name = 'items' AND column_name = 'price'"
        )
        .trim(),
        "numeric|10|2"
    );
    // What drivers ask on connecting.
    assert_eq!(
        sql(&server, "SELECT current_database(), current_schema()").trim(),
        "grizzly|public"
    );
    assert!(sql(&server, "SELECT version()").starts_with("PostgreSQL 16.0 (Grizzly "));
    assert!(sql(&server, "SHOW server_version").starts_with("16.0 (Grizzly "));
    assert_eq!(
        sql(
            &server,
            "SELECT attname FROM pg_attribute WHERE attrelid = 'items'::regclass AND attnum = 3"
        )
        .trim(),
        "price"
    );
}
