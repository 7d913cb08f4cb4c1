//! `grizzly server` as a process: every client's session, over the PostgreSQL protocol and
//! HTTP, starts from the config file's engine settings and the `--memory-limit` / `--jit`
//! options (which win over the file); SIGTERM stops the server gracefully, keeping what was
//! committed and rolling back what was not. Clients are `tokio-postgres` and plain HTTP/1.0
//! over a socket, so nothing here is skipped for want of a tool.

#[path = "support/metrics.rs"]
mod metrics;
#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};
use temp_dir::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_grizzly");

/// `big` has 100,000 distinct BIGINTs: a hash aggregate over it needs far more than 64 KiB.
const SETUP: &str = "\
CREATE TABLE digits AS SELECT * FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)) v(x);
CREATE TABLE big AS SELECT CAST(a.x + 10 * b.x + 100 * c.x + 1000 * d.x + 10000 * e.x AS BIGINT) AS n
    FROM digits a, digits b, digits c, digits d, digits e;
CREATE TABLE kept (n INTEGER);";
const BIG_AGGREGATE: &str = "SELECT count(*) FROM (SELECT DISTINCT n FROM big) d";
const SMALL_QUERY: &str = "SELECT count(*) FROM big WHERE n > 5";

/// A `grizzly` command without the user's config file.
fn grizzly(dir: &TempDir) -> Command {
    let mut cmd = Command::new(BIN);
    cmd.env("XDG_CONFIG_HOME", dir.path("no-config"));
    cmd
}

fn run(mut cmd: Command) -> Output {
    let output = cmd.stdin(Stdio::null()).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// A running `grizzly server` on ephemeral ports; killed if the test ends without stopping it.
struct Server {
    child: Child,
    pg: SocketAddr,
    http: SocketAddr,
}

impl Server {
    /// Starts `grizzly server --port 0 --http-port 0 ARGS` and reads its ports from its log.
    fn start(dir: &TempDir, args: &[&str]) -> Server {
        let mut child = grizzly(dir)
            .args(["server", "--port", "0", "--http-port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut log = BufReader::new(child.stderr.take().unwrap());
        let (mut pg, mut http) = (None, None);
        while pg.is_none() || http.is_none() {
            let mut line = String::new();
            assert_ne!(log.read_line(&mut line).unwrap(), 0, "the server exited");
            let addr = |prefix: &str| {
                let rest = line.split_once(prefix)?.1;
                rest.split(' ').next()?.parse::<SocketAddr>().ok()
            };
            pg = pg.or(addr("PostgreSQL protocol on "));
            http = http.or(addr("HTTP on http://"));
        }
        // The rest of the log is not needed; reading it keeps the pipe from filling.
        std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));
        Server {
            child,
            pg: pg.unwrap(),
            http: http.unwrap(),
        }
    }

    /// Runs `sql` as one simple query on a new connection; the first value of its rows.
    fn query(&self, sql: &str) -> Result<Option<String>, tokio_postgres::Error> {
        self.with_client(|client| async move {
            let messages = client.simple_query(sql).await?;
            Ok(messages.into_iter().find_map(|m| match m {
                tokio_postgres::SimpleQueryMessage::Row(row) => row.get(0).map(String::from),
                _ => None,
            }))
        })
    }

    fn with_client<T, F: std::future::Future<Output = Result<T, tokio_postgres::Error>>>(
        &self,
        f: impl FnOnce(tokio_postgres::Client) -> F,
    ) -> Result<T, tokio_postgres::Error> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let url = format!("host={} port={} user=tester", self.pg.ip(), self.pg.port());
            let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
            tokio::spawn(connection);
            f(client).await
        })
    }

    /// An HTTP/1.0 request; returns the status line and the body.
    fn http(&self, request: &str) -> (String, String) {
        let mut socket = TcpStream::connect(self.http).unwrap();
        socket
            .set_read_timeout(Some(Duration::from_secs(15)))
            .unwrap();
        socket.write_all(request.as_bytes()).unwrap();
        let mut text = String::new();
        socket.read_to_string(&mut text).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        (head.lines().next().unwrap().to_string(), body.to_string())
    }

    fn post_query(&self, sql: &str) -> (String, String) {
        let body = serde_json::json!({ "sql": sql }).to_string();
        self.http(&format!(
            "POST /query HTTP/1.0\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        ))
    }

    /// The value of `name` in `GET /metrics`.
    fn metric(&self, name: &str) -> f64 {
        let (_, text) = self.http("GET /metrics HTTP/1.0\r\n\r\n");
        metrics::metric_value(&text, name)
    }

    /// Sends SIGTERM and expects a clean exit within 15 s.
    fn terminate(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "the server exited with {status}");
                return;
            }
            assert!(Instant::now() < deadline, "the server stopped within 15 s");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sqlstate(error: &tokio_postgres::Error) -> &str {
    error.as_db_error().expect("a server error").code().code()
}

#[cfg(unix)]
#[test]
fn sessions_start_from_the_config_file_and_the_options() {
    let dir = TempDir::new("server-settings");
    let db = dir.file("db.griz");
    let mut setup = grizzly(&dir);
    setup.args([&db, "-c", SETUP]);
    run(setup);
    let config = dir.write("grizzly.toml", "jit = \"off\"\nmemory_limit = \"64KiB\"\n");

    // The config file's settings: every session is limited to 64 KiB and interprets.
    let server = Server::start(&dir, &[&db, "--config", &config]);
    let error = server.query(BIG_AGGREGATE).unwrap_err();
    assert_eq!(sqlstate(&error), "53200", "{error}");
    let (status, body) = server.post_query(BIG_AGGREGATE);
    assert!(status.contains(" 400 "), "{status}");
    assert!(body.contains("\"sqlstate\":\"53200\""), "{body}");
    for _ in 0..4 {
        assert_eq!(server.query(SMALL_QUERY).unwrap().as_deref(), Some("99994"));
    }
    assert_eq!(server.metric("grizzly_query_cache_compiles_total"), 0.0);
    // A session can lift its own limit.
    let lifted = server.with_client(|client| async move {
        client.batch_execute("SET memory_limit = 'none'").await?;
        let row = client.query_one(BIG_AGGREGATE, &[]).await?;
        Ok(row.get::<_, i64>(0))
    });
    assert_eq!(lifted.unwrap(), 100_000);
    server.terminate();

    // The options win over the file.
    let server = Server::start(
        &dir,
        &[
            &db,
            "--config",
            &config,
            "--memory-limit",
            "none",
            "--jit",
            "always",
            "--threads",
            "2",
        ],
    );
    assert_eq!(
        server.query(BIG_AGGREGATE).unwrap().as_deref(),
        Some("100000")
    );
    assert_eq!(server.query(SMALL_QUERY).unwrap().as_deref(), Some("99994"));
    assert!(server.metric("grizzly_query_cache_compiles_total") >= 1.0);
    let (status, body) = server.post_query(BIG_AGGREGATE);
    assert!(status.contains(" 200 "), "{status}: {body}");

    // SIGTERM: what was committed stays, an open transaction rolls back.
    server.query("INSERT INTO kept VALUES (1)").unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let url = format!("host={} port={} user=t", server.pg.ip(), server.pg.port());
    let open = runtime.block_on(async {
        let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
            .await
            .unwrap();
        let driver = tokio::spawn(connection);
        client
            .batch_execute("BEGIN; INSERT INTO kept VALUES (2)")
            .await
            .unwrap();
        (client, driver)
    });
    server.terminate();
    drop((open, runtime));
    let mut check = grizzly(&dir);
    check.args([
        &db,
        "--format",
        "csv",
        "-c",
        "SELECT n FROM kept ORDER BY n",
    ]);
    assert_eq!(String::from_utf8(run(check).stdout).unwrap(), "n\n1\n");
}
