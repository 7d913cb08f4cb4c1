//! The `grizzly` binary, run as a user would: batch modes and their output formats, errors
//! and exit codes, TPC-H generation, and (where `script` provides a terminal) the shell.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_grizzly");

/// A directory removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("grizzly-cli-{}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    fn path(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the binary with `args` and `stdin`.
fn grizzly(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("grizzly runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

/// Runs `args` and returns standard output, failing the test on an error.
fn ok(args: &[&str], stdin: &str) -> String {
    let output = grizzly(args, stdin);
    assert!(
        output.status.success(),
        "grizzly {args:?} failed: {}",
        stderr(&output)
    );
    stdout(&output)
}

const SETUP: &str = "\
CREATE TABLE t (id INTEGER, name VARCHAR, price DECIMAL(10,2), d DATE);
INSERT INTO t VALUES (1, 'a,b', 1.50, DATE '2024-01-02'), (2, NULL, -0.05, NULL),
                     (3, 'say \"hi\"', 100, DATE '1999-12-31');";

fn select_all(format: &str) -> String {
    let sql = format!("{SETUP} SELECT * FROM t ORDER BY id;");
    ok(&["--format", format, "-c", &sql], "")
}

#[test]
fn table_format() {
    let expected = "\
OK
3 rows affected
┌─────────┬──────────┬───────────────┬────────────┐
│   id    │   name   │     price     │     d      │
│ integer │ varchar  │ decimal(10,2) │    date    │
├─────────┼──────────┼───────────────┼────────────┤
│       1 │ a,b      │          1.50 │ 2024-01-02 │
│       2 │ NULL     │         -0.05 │ NULL       │
│       3 │ say \"hi\" │        100.00 │ 1999-12-31 │
└─────────┴──────────┴───────────────┴────────────┘
(3 rows)
";
    assert_eq!(select_all("table"), expected);
}

#[test]
fn quiet_table_format_prints_only_rows() {
    let sql = format!("{SETUP} SELECT id FROM t WHERE id = 2;");
    let expected = "\
┌─────────┐
│   id    │
│ integer │
├─────────┤
│       2 │
└─────────┘
(1 row)
";
    assert_eq!(ok(&["-q", "-c", &sql], ""), expected);
}

#[test]
fn csv_format() {
    let expected = "\
id,name,price,d
1,\"a,b\",1.50,2024-01-02
2,,-0.05,
3,\"say \"\"hi\"\"\",100.00,1999-12-31
";
    assert_eq!(select_all("csv"), expected);
}

#[test]
fn json_format() {
    let expected = r#"[
  {"id":1,"name":"a,b","price":1.50,"d":"2024-01-02"},
  {"id":2,"name":null,"price":-0.05,"d":null},
  {"id":3,"name":"say \"hi\"","price":100.00,"d":"1999-12-31"}
]
"#;
    assert_eq!(select_all("json"), expected);
}

#[test]
fn empty_results() {
    let sql = format!("{SETUP} SELECT id, name FROM t WHERE id > 10;");
    assert_eq!(ok(&["--format", "csv", "-c", &sql], ""), "id,name\n");
    assert_eq!(ok(&["--format", "json", "-c", &sql], ""), "[]\n");
}

#[test]
fn statements_without_rows_print_nothing_in_csv_and_json() {
    for format in ["csv", "json"] {
        assert_eq!(ok(&["--format", format, "-c", SETUP], ""), "");
    }
}

#[test]
fn stdin_batch() {
    let input = "SELECT 1 AS x;\n-- a comment; with a semicolon\nSELECT 'a;b' AS y; /* c; */\nSELECT 3 AS z";
    assert_eq!(ok(&["--format", "csv"], input), "x\n1\ny\na;b\nz\n3\n");
}

#[test]
fn file_batch() {
    let dir = TempDir::new();
    let file = dir.path("script.sql");
    std::fs::write(&file, format!("{SETUP}\nSELECT count(*) AS n FROM t;\n")).unwrap();
    assert_eq!(
        ok(&["-q", "--format", "csv", "-f", file.to_str().unwrap()], ""),
        "n\n3\n"
    );
}

#[test]
fn dot_commands_in_batch() {
    let dir = TempDir::new();
    let file = dir.path("more.sql");
    std::fs::write(&file, "SELECT 2 AS b;").unwrap();
    let input = format!(
        "CREATE TABLE birds (name VARCHAR);\n.mode csv\nSELECT 1 AS a;\n.read {}\n.tables\n",
        file.display()
    );
    let out = ok(&["-q"], &input);
    assert!(out.starts_with("a\n1\nb\n2\n"), "{out}");
    assert!(out.contains("birds"), "{out}");
}

#[test]
fn error_stops_the_batch_with_exit_code_1() {
    let output = grizzly(
        &[
            "--format",
            "csv",
            "-c",
            "SELECT 1 AS a; SELECT * FROM no_such_table; SELECT 2 AS b",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stdout(&output), "a\n1\n");
    let err = stderr(&output);
    assert!(err.starts_with("Error: "), "{err}");
    assert!(err.contains("no_such_table"), "{err}");
}

#[test]
fn unknown_dot_command_is_an_error() {
    let output = grizzly(&[], ".frobnicate\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("unknown command .frobnicate"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn bad_database_files_exit_1() {
    let dir = TempDir::new();
    let missing_dir = dir.path("no/such/dir/x.griz");
    let corrupt = dir.path("corrupt.griz");
    std::fs::write(
        &corrupt,
        b"this is not a grizzly database, not even close....".repeat(100),
    )
    .unwrap();
    for path in [missing_dir, corrupt] {
        let output = grizzly(&[path.to_str().unwrap(), "-c", "SELECT 1"], "");
        assert_eq!(output.status.code(), Some(1), "{}", path.display());
        assert!(
            stderr(&output).starts_with("Error: "),
            "{}",
            stderr(&output)
        );
    }
}

#[test]
fn data_persists_in_a_file() {
    let dir = TempDir::new();
    let db = dir.path("persist.griz");
    let db = db.to_str().unwrap();
    ok(&[db, "-c", SETUP], "");
    assert_eq!(
        ok(
            &[db, "--format", "csv", "-c", "SELECT count(*) AS n FROM t"],
            ""
        ),
        "n\n3\n"
    );
}

#[test]
fn version_and_help() {
    assert_eq!(
        ok(&["--version"], ""),
        format!("grizzly {}\n", env!("CARGO_PKG_VERSION"))
    );
    let help = ok(&["--help"], "");
    assert!(help.contains("Usage: grizzly [OPTIONS] [DB]"), "{help}");
    assert!(help.contains("demo"), "{help}");
    let bad = grizzly(&["--format", "xml", "-c", "SELECT 1"], "");
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn generate_tpch() {
    let dir = TempDir::new();
    let db = dir.path("tpch.griz");
    let db = db.to_str().unwrap();
    let summary = ok(&["generate", "tpch", "--sf", "0.01", db], "");
    assert!(summary.contains("lineitem"), "{summary}");
    let out = ok(
        &[
            db,
            "--format",
            "csv",
            "-c",
            "SELECT count(*) AS n FROM lineitem",
        ],
        "",
    );
    let count: u64 = out.lines().nth(1).and_then(|l| l.parse().ok()).expect(&out);
    assert!(count > 0, "{out}");
}

#[test]
fn demo_generates_then_reuses_its_data() {
    let dir = TempDir::new();
    let db = dir.path("demo.griz");
    let db = db.to_str().unwrap();
    let first = ok(&["demo", "--sf", "0.01", db], "");
    assert!(first.contains("Generated"), "{first}");
    for query in ["TPC-H Q1", "TPC-H Q3", "TPC-H Q6", "Run Time: "] {
        assert!(first.contains(query), "{query} missing from {first}");
    }
    let second = ok(&["demo", db], "");
    assert!(
        second.contains("Using the TPC-H data already in"),
        "{second}"
    );
}

/// The shell, in a pseudo-terminal made by util-linux `script`; skipped where it is missing.
#[test]
fn interactive_shell() {
    if !Path::new("/usr/bin/script").exists() || cfg!(not(target_os = "linux")) {
        eprintln!("skipped: no /usr/bin/script");
        return;
    }
    let home = TempDir::new();
    let mut child = Command::new("/usr/bin/script")
        .args(["-qec", &format!("{BIN} -q"), "/dev/null"])
        .env("HOME", &home.0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut stdin = child.stdin.take().unwrap();
    // The line editor drops type-ahead when it switches terminal modes: one line at a time.
    for line in [
        "SELECT 40 +",
        "2 AS answer;",
        "SELECT * FROM nowhere;",
        ".mode csv",
        "EXIT",
    ] {
        std::thread::sleep(Duration::from_millis(300));
        writeln!(stdin, "{line}").unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let out = stdout(&output);
    assert!(output.status.success(), "{out}");
    assert!(out.contains("grizzly> "), "{out}");
    assert!(out.contains("   ...> "), "{out}");
    assert!(out.contains("│     42 │") || out.contains("42 │"), "{out}");
    assert!(out.contains("Error: "), "{out}");
    assert!(home.path(".grizzly_history").exists());
}
