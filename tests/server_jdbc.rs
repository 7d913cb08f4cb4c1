//! `grizzly::server` against the PostgreSQL JDBC driver (pgjdbc): the checks in
//! `tests/jdbc/JdbcSmoke.java` (statements, server-side prepared statements, result types and
//! metadata, `DatabaseMetaData.getTables`, SQLSTATEs, transactions, SCRAM) run against a
//! server started in process on 127.0.0.1 with an ephemeral port.
//!
//! The test needs `java` (11 or later, which runs a single source file) and the driver jar
//! (Debian: `default-jdk-headless` and `libpostgresql-jdbc-java`; `.ci/run` installs them).
//! Without them it prints a notice and passes, unless the environment sets
//! `GRIZZLY_REQUIRE_CLIENTS` (as CI does): then it fails. `GRIZZLY_JAVA` names the `java` to
//! use (else `java` on the PATH) and `GRIZZLY_PGJDBC_JAR` the jar (else
//! `/usr/share/java/postgresql.jar`).

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;
#[path = "support/test_server.rs"]
mod test_server;
use test_server::TestServer;

/// The longest the Java program may take (it is compiled in memory first).
const PROGRAM_TIMEOUT: Duration = Duration::from_secs(120);

/// The user the server lets in, proving the password with SCRAM-SHA-256.
const USER: &str = "alice";
const PASSWORD: &str = "s3cret";

/// A `java` that runs, and the pgjdbc jar, if both are there.
fn java_and_driver() -> Option<(String, PathBuf)> {
    let java = std::env::var("GRIZZLY_JAVA").unwrap_or_else(|_| "java".into());
    let jar = PathBuf::from(
        std::env::var("GRIZZLY_PGJDBC_JAR")
            .unwrap_or_else(|_| "/usr/share/java/postgresql.jar".into()),
    );
    let runs = Command::new(&java)
        .arg("-version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    (runs && jar.is_file()).then_some((java, jar))
}

/// Runs the checks with `java`; returns their output or panics with it.
fn run_program(java: &str, jar: &Path, url: &str) -> String {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/jdbc/JdbcSmoke.java");
    let mut cmd = Command::new(java);
    cmd.arg("-cp")
        .arg(jar)
        .arg(&source)
        .args([url, USER, PASSWORD])
        .env_remove("JAVA_TOOL_OPTIONS")
        .env_remove("PGPASSWORD")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd.spawn().expect("java starts");
    let pid = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || tx.send(child.wait_with_output()));
    let output = match rx.recv_timeout(PROGRAM_TIMEOUT) {
        Ok(output) => output.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            panic!("the JDBC program did not finish within {PROGRAM_TIMEOUT:?}");
        }
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the JDBC program failed:\n{stdout}\n{stderr}"
    );
    stdout
}

#[test]
fn jdbc_queries_types_metadata_errors_transactions_and_scram() {
    let Some((java, jar)) = java_and_driver() else {
        assert!(
            std::env::var_os("GRIZZLY_REQUIRE_CLIENTS").is_none(),
            "java or the PostgreSQL JDBC jar is not installed and GRIZZLY_REQUIRE_CLIENTS is set"
        );
        println!(
            "NOTICE: java or the PostgreSQL JDBC jar is not installed: skipping the JDBC test"
        );
        return;
    };
    let server = TestServer::start(vec![format!("{USER}:{PASSWORD}").parse().unwrap()]);
    let url = format!(
        "jdbc:postgresql://127.0.0.1:{}/grizzly?sslmode=disable",
        server.pg.port()
    );
    let out = run_program(&java, &jar, &url);
    assert!(out.contains("jdbc: all checks passed"), "{out}");
}
