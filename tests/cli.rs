//! The `grizzly` binary, run as a user would: batch modes and their output formats, errors
//! and exit codes, TPC-H generation, and (where `script` provides a terminal) the shell.

#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;
use temp_dir::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_grizzly");

/// Where tests look for the default config file: nowhere, so the user's own config file
/// does not change what the tests see.
fn no_config_dir() -> PathBuf {
    std::env::temp_dir().join("grizzly-cli-tests-no-config")
}

/// Runs the binary with `args` and `stdin`.
fn grizzly(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(BIN)
        .args(args)
        .env("XDG_CONFIG_HOME", no_config_dir())
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
    let dir = TempDir::new("cli");
    let file = dir.path("script.sql");
    std::fs::write(&file, format!("{SETUP}\nSELECT count(*) AS n FROM t;\n")).unwrap();
    assert_eq!(
        ok(&["-q", "--format", "csv", "-f", file.to_str().unwrap()], ""),
        "n\n3\n"
    );
}

#[test]
fn dot_commands_in_batch() {
    let dir = TempDir::new("cli");
    let file = dir.path("more.sql");
    std::fs::write(&file, "SELECT 2 AS b;").unwrap();
    let input = format!(
        "CREATE TABLE birds (name VARCHAR);\n.mode csv\nSELECT 1 AS a;\n.read {}\n.tables\n",
        file.display()
    );
    let out = ok(&["-q"], &input);
    assert!(out.starts_with("a\n1\nb\n2\n"), "{out}");
    assert!(out.contains("birds"), "{out}");
    // .schema (every table, or one), .help, and .quit, which stops the input.
    let input = "CREATE TABLE birds (name VARCHAR);\nCREATE TABLE nests (id INTEGER);\n\
                 .schema\n.schema nests\n.help\n.quit\nSELECT 'not run';\n";
    let out = ok(&["-q", "--format", "csv"], input);
    let describe = "column_name,column_type,null\n";
    let birds = format!("{describe}name,VARCHAR,YES\n");
    let nests = format!("{describe}id,INTEGER,YES\n");
    assert!(
        out.starts_with(&format!("{birds}{nests}{nests}.help ")),
        "{out}"
    );
    assert!(out.contains(".schema [TABLE]"), "{out}");
    assert!(!out.contains("not run"), "{out}");
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
    let dir = TempDir::new("cli");
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
    let dir = TempDir::new("cli");
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
    let dir = TempDir::new("cli");
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
fn bench_times_every_tier() {
    let out = ok(
        &["bench", "--sf", "0.01", "--queries", "1,6", "--runs", "1"],
        "",
    );
    assert!(
        out.contains("interpreted ms") && out.contains("compiled ms") && out.contains("auto ms"),
        "{out}"
    );
    for q in ["Q1", "Q6"] {
        let line = out.lines().find(|l| l.trim_start().starts_with(q));
        let line = line.unwrap_or_else(|| panic!("{q} missing from {out}"));
        let numbers: Vec<f64> = line
            .split_whitespace()
            .skip(1)
            .map(|w| w.trim_end_matches('x').parse().expect("a number"))
            .collect();
        // interpreted, compiled, auto, speedup, compile ms, warm-up runs
        assert_eq!(numbers.len(), 6, "{line}");
        assert!(numbers[..3].iter().all(|t| *t > 0.0), "{line}");
        assert!(numbers[5] >= 1.0, "{line}");
    }
    let bad = grizzly(&["bench", "--queries", "23"], "");
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("not a TPC-H query number"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn demo_generates_then_reuses_its_data() {
    let dir = TempDir::new("cli");
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
    let home = TempDir::new("cli");
    let lines = [
        "SELECT 40 +",
        "2 AS answer;",
        "SELECT * FROM nowhere;",
        ".mode csv",
        "EXIT",
    ];
    let Some(out) = shell_in(&home, "-q", &lines, Duration::from_millis(300)) else {
        return;
    };
    assert!(out.contains("grizzly> "), "{out}");
    assert!(out.contains("   ...> "), "{out}");
    assert!(out.contains("│     42 │") || out.contains("42 │"), "{out}");
    assert!(out.contains("Error: "), "{out}");
    assert!(home.path(".grizzly_history").exists());
}

#[test]
fn jsonl_format() {
    let expected = r#"{"id":1,"name":"a,b","price":1.50,"d":"2024-01-02"}
{"id":2,"name":null,"price":-0.05,"d":null}
{"id":3,"name":"say \"hi\"","price":100.00,"d":"1999-12-31"}
"#;
    assert_eq!(select_all("jsonl"), expected);
    let sql = format!("{SETUP} SELECT id FROM t WHERE id > 10;");
    assert_eq!(ok(&["--format", "jsonl", "-c", &sql], ""), "");
}

#[test]
fn markdown_format() {
    let expected = "\
|  id | name     |  price | d          |
|----:|----------|-------:|------------|
|   1 | a,b      |   1.50 | 2024-01-02 |
|   2 | NULL     |  -0.05 | NULL       |
|   3 | say \"hi\" | 100.00 | 1999-12-31 |
";
    assert_eq!(select_all("markdown"), expected);
    let pipes = ok(&["--format", "markdown", "-c", "SELECT 'a|b' AS x"], "");
    assert_eq!(pipes, "| x    |\n|------|\n| a\\|b |\n");
}

#[test]
fn mode_command_takes_the_new_formats() {
    let out = ok(
        &["-q"],
        ".mode jsonl\nSELECT 1 AS a;\n.mode markdown\nSELECT 2 AS b;\n.mode\n",
    );
    assert_eq!(
        out,
        "{\"a\":1}\n|   b |\n|----:|\n|   2 |\nmode is markdown\n"
    );
}

#[test]
fn output_option_writes_a_file() {
    let dir = TempDir::new("cli");
    let file = dir.path("out.csv");
    let out = ok(
        &[
            "--format",
            "csv",
            "-o",
            file.to_str().unwrap(),
            "-c",
            "SELECT 1 AS a; SELECT 2 AS b",
        ],
        "",
    );
    assert_eq!(out, "");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "a\n1\nb\n2\n");
    let bad = grizzly(&["-o", "/no/such/dir/out.csv", "-c", "SELECT 1"], "");
    assert_eq!(bad.status.code(), Some(1));
    assert!(stderr(&bad).contains("cannot write"), "{}", stderr(&bad));
}

#[test]
fn output_command_switches_between_file_and_stdout() {
    let dir = TempDir::new("cli");
    let file = dir.path("part.txt");
    let input = format!(
        "SELECT 1 AS a;\n.output {}\nSELECT 2 AS b;\n.output\nSELECT 3 AS c;\n",
        file.display()
    );
    assert_eq!(ok(&["-q", "--format", "csv"], &input), "a\n1\nc\n3\n");
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "b\n2\n");
}

#[test]
fn database_option() {
    let dir = TempDir::new("cli");
    let db = dir.path("d.griz");
    let db = db.to_str().unwrap();
    ok(&["-d", db, "-c", "CREATE TABLE x (a INTEGER)"], "");
    assert_eq!(
        ok(
            &["--database", db, "--format", "csv", "-c", "SHOW TABLES"],
            ""
        ),
        "name\nx\n"
    );
    let both = grizzly(&["-d", db, db, "-c", "SELECT 1"], "");
    assert_eq!(both.status.code(), Some(2));
}

#[test]
fn jit_option() {
    let sql = format!("{SETUP} SELECT sum(id) AS s FROM t WHERE id > 1;");
    for mode in ["off", "auto", "always", "verify"] {
        let out = ok(&["-q", "--jit", mode, "--format", "csv", "-c", &sql], "");
        assert_eq!(out, "s\n5\n", "--jit {mode}");
    }
    let out = ok(&["-q", "--jit", "always", "-c", ".settings"], "");
    assert!(out.contains("jit                  always\n"), "{out}");
    let bad = grizzly(&["--jit", "sometimes", "-c", "SELECT 1"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("always"), "{}", stderr(&bad));
}

#[test]
fn timer_tells_compiled_from_interpreted() {
    let sql = format!("{SETUP} SELECT sum(id) AS s FROM t WHERE id > 1;");
    let compiled = ok(&["-q", "--timer", "--jit", "always", "-c", &sql], "");
    assert!(compiled.contains("Run Time: "), "{compiled}");
    assert!(compiled.contains(" (compiled)\n"), "{compiled}");
    let interpreted = ok(&["-q", "--timer", "--jit", "off", "-c", &sql], "");
    assert!(interpreted.contains(" (interpreted)\n"), "{interpreted}");
    // Statements without a query plan get no tier.
    let ddl = ok(&["--timer", "-c", "CREATE TABLE x (a INTEGER)"], "");
    assert!(
        ddl.starts_with("OK\nRun Time: ") && ddl.ends_with(" ms\n"),
        "{ddl}"
    );
}

#[test]
fn threads_and_memory_limit_are_validated_and_recorded() {
    for bad in ["0", "many", "5000", "1.5"] {
        let output = grizzly(&["--threads", bad, "-c", "SELECT 1"], "");
        assert_eq!(output.status.code(), Some(2), "--threads {bad}");
        assert!(
            stderr(&output).contains("thread count"),
            "{}",
            stderr(&output)
        );
    }
    let bad = grizzly(&["--memory-limit", "lots", "-c", "SELECT 1"], "");
    assert_eq!(bad.status.code(), Some(2));
    assert!(stderr(&bad).contains("invalid size"), "{}", stderr(&bad));
    let out = ok(
        &[
            "--threads",
            "4",
            "--memory-limit",
            "4GiB",
            "-c",
            ".settings",
        ],
        "",
    );
    assert!(out.contains("threads              4 "), "{out}");
    assert!(out.contains("memory_limit         4 GiB\n"), "{out}");
    let help = ok(&["--help"], "");
    assert!(help.contains("one thread"), "{help}");
    assert!(help.contains("SET memory_limit"), "{help}");
}

#[test]
fn verbose_reports_settings_on_stderr() {
    let output = grizzly(
        &[
            "--verbose",
            "--jit",
            "off",
            "--format",
            "csv",
            "-c",
            "SELECT 1 AS a",
        ],
        "",
    );
    assert!(output.status.success());
    assert_eq!(stdout(&output), "a\n1\n");
    let err = stderr(&output);
    assert!(err.contains("grizzly: no config file"), "{err}");
    assert!(err.contains("grizzly: jit = off"), "{err}");
}

#[test]
fn config_show_set_reset() {
    let dir = TempDir::new("cli");
    let file = dir.path("conf/grizzly.toml");
    let path = file.to_str().unwrap();
    let show = ok(&["config", "--config", path], "");
    assert!(
        show.starts_with(&format!("# {path} (not created yet)\n")),
        "{show}"
    );
    assert!(show.contains("# jit = auto (default)\n"), "{show}");

    let set = ok(
        &[
            "config",
            "--config",
            path,
            "--set",
            "jit=always",
            "--set",
            "format=csv",
            "--set",
            "memory_limit=512MB",
            "--set",
            "banner=false",
        ],
        "",
    );
    assert_eq!(set, format!("Wrote {path}\n"));
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "jit = \"always\"\nformat = \"csv\"\nmemory_limit = \"512MB\"\nbanner = false\n"
    );
    let show = ok(&["config", "--config", path, "--show"], "");
    let expected = format!(
        "# {path}
jit = \"always\"
# jit_threshold = 2 (default)
format = \"csv\"
# timer = false (default)
# threads = one per core, at most 8 (default)
memory_limit = \"512MB\"
# query_cache_entries = 256 (default)
# query_cache_bytes = 64MiB (default)
# server_auth = scram-sha-256 (default)
# history = true (default)
banner = false
"
    );
    assert_eq!(show, expected);

    // The config applies at startup: the format, and jit through SET.
    assert_eq!(ok(&["--config", path, "-c", "SELECT 1 AS a"], ""), "a\n1\n");
    let settings = ok(&["--config", path, "-c", ".settings"], "");
    assert!(
        settings.contains("jit                  always"),
        "{settings}"
    );
    assert!(
        settings.contains("memory_limit         488.3 MiB"),
        "{settings}"
    );
    // The command line wins over the file.
    assert_eq!(
        ok(
            &["--config", path, "--format", "jsonl", "-c", "SELECT 1 AS a"],
            ""
        ),
        "{\"a\":1}\n"
    );

    assert_eq!(
        ok(
            &["config", "--config", path, "--reset", "jit", "format"],
            ""
        ),
        format!("Wrote {path}\n")
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "memory_limit = \"512MB\"\nbanner = false\n"
    );
    assert_eq!(
        ok(&["config", "--config", path, "--reset"], ""),
        format!("Removed {path}\n")
    );
    assert!(!file.exists());
}

#[test]
fn config_rejects_unknown_keys_and_bad_values() {
    let dir = TempDir::new("cli");
    let file = dir.path("c.toml");
    let path = file.to_str().unwrap();
    let cases = [
        ("colour=red", "unknown config key \"colour\""),
        ("jit=fast", "allowed: off, auto, always, verify"),
        ("format=xml", "allowed: table, csv, json, jsonl, markdown"),
        ("timer=maybe", "allowed: true, false"),
        ("threads=0", "a whole number >= 1"),
        ("query_cache_bytes=big", "a size such as 512MB or 4GiB"),
        ("jit", "expected KEY=VALUE"),
    ];
    for (pair, message) in cases {
        let output = grizzly(&["config", "--config", path, "--set", pair], "");
        assert_eq!(output.status.code(), Some(1), "{pair}");
        assert!(
            stderr(&output).contains(message),
            "{pair}: {}",
            stderr(&output)
        );
    }
    assert!(!file.exists());

    // A bad file stops the tool, naming the file and the key.
    std::fs::write(&file, "jit = \"fast\"\n").unwrap();
    let output = grizzly(&["--config", path, "-c", "SELECT 1"], "");
    assert_eq!(output.status.code(), Some(1));
    let err = stderr(&output);
    assert!(err.contains(path) && err.contains("\"jit\""), "{err}");
    std::fs::write(&file, "[section]\nx = 1\n").unwrap();
    let output = grizzly(&["--config", path, "-c", "SELECT 1"], "");
    assert!(stderr(&output).contains("unknown config key \"section\""));

    // A --config file that does not exist is an error, unlike a missing default file.
    let missing = dir.path("missing.toml");
    let output = grizzly(
        &["--config", missing.to_str().unwrap(), "-c", "SELECT 1"],
        "",
    );
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("does not exist"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn config_engine_settings_are_applied_with_set() {
    let dir = TempDir::new("cli");
    let file = dir.path("c.toml");
    let path = file.to_str().unwrap();
    ok(
        &[
            "config",
            "--config",
            path,
            "--set",
            "jit_threshold=7",
            "--set",
            "query_cache_entries=9",
            "--set",
            "query_cache_bytes=1MiB",
        ],
        "",
    );
    let out = ok(&["--config", path, "--verbose", "-c", ".settings"], "");
    assert!(out.contains("jit_threshold        7\n"), "{out}");
    assert!(out.contains("query_cache_entries  9\n"), "{out}");
    assert!(out.contains("query_cache_bytes    1048576\n"), "{out}");
}

/// Runs the shell in a pseudo-terminal (util-linux `script`), typing `lines` one at a time;
/// `None` where `script` is missing.
fn shell(args: &str, lines: &[&str]) -> Option<String> {
    shell_paced(args, lines, Duration::from_millis(300))
}

/// [`shell`], waiting `pause` before each line.
fn shell_paced(args: &str, lines: &[&str], pause: Duration) -> Option<String> {
    shell_in(&TempDir::new("cli"), args, lines, pause)
}

/// [`shell_paced`] with `home` as `$HOME` (where the history file goes). The line editor
/// drops type-ahead when it switches terminal modes: hence one line at a time.
fn shell_in(home: &TempDir, args: &str, lines: &[&str], pause: Duration) -> Option<String> {
    if !Path::new("/usr/bin/script").exists() || cfg!(not(target_os = "linux")) {
        eprintln!("skipped: no /usr/bin/script");
        return None;
    }
    let mut child = Command::new("/usr/bin/script")
        // `exec`: the shell `script` starts (`$SHELL`; dash for /bin/sh) must not stay in
        // the terminal's foreground process group, where a typed Ctrl-C would kill it too.
        .args(["-qec", &format!("exec {BIN} {args}"), "/dev/null"])
        .env("SHELL", "/bin/sh")
        .env("HOME", &home.0)
        .env("XDG_CONFIG_HOME", no_config_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("script runs");
    let mut stdin = child.stdin.take().unwrap();
    for line in lines {
        std::thread::sleep(pause);
        writeln!(stdin, "{line}").unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}\n{}\nstderr: {}",
        output.status,
        stdout(&output),
        String::from_utf8_lossy(&output.stderr)
    );
    Some(stdout(&output))
}

#[test]
fn shell_banner() {
    let Some(out) = shell("", &[".exit"]) else {
        return;
    };
    let banner = format!("Grizzly {} (in-memory database", env!("CARGO_PKG_VERSION"));
    assert!(out.contains(&banner), "{out}");
    assert!(out.contains("Enter .help for help."), "{out}");
    let Some(out) = shell("--no-banner", &[".exit"]) else {
        return;
    };
    assert!(!out.contains("Grizzly"), "{out}");
}

#[test]
fn shell_tab_completion_and_timer() {
    let Some(out) = shell(
        "-q --jit always",
        &[
            "CREATE TABLE birds (wingspan INTEGER, name VARCHAR);",
            "INSERT INTO birds VALUES (25, 'swift');",
            ".timer on",
            // Tab completes the table, then (with the table now in the line) the column.
            "SELECT sum(wing\t) FROM bi\t;",
            "SELECT na\t FROM birds WHERE wingspan > 1;",
            "EXIT",
        ],
    ) else {
        return;
    };
    assert!(out.contains("SELECT sum(wingspan) FROM birds"), "{out}");
    assert!(out.contains("│ swift   │"), "{out}");
    assert!(out.contains("│     25 │"), "{out}");
    assert!(out.contains("(compiled)"), "{out}");
}

#[test]
fn shell_commands_without_dots() {
    let Some(out) = shell(
        "-q",
        &[
            "CREATE TABLE birds (name VARCHAR, wingspan INTEGER);",
            "help",
            "SHOW TABLES;",
            "DESCRIBE birds;",
            "Schema birds",
            // The shell ends here: the helper would fail writing another line.
            "QUIT",
        ],
    ) else {
        return;
    };
    assert!(out.contains(".schema [TABLE]"), "{out}");
    assert!(out.contains("│ birds "), "{out}");
    assert!(out.contains("wingspan") && out.contains("INTEGER"), "{out}");
}

#[test]
fn ctrl_c_in_the_shell_cancels_the_running_query() {
    // Ten to the ninth rows: minutes, unless cancelled.
    let Some(out) = shell_paced(
        "-q",
        &[
            "CREATE TABLE d AS SELECT * FROM (VALUES (0), (1), (2), (3), (4), (5), (6), (7), \
             (8), (9)) v(x);",
            "CREATE TABLE n AS SELECT a.x + 10 * b.x + 100 * c.x AS x FROM d a, d b, d c;",
            "SELECT count(*) FROM n a, n b, n c WHERE a.x + b.x + c.x >= 0;",
            "\x03",
            "SELECT 'still here' AS s;",
            "EXIT",
        ],
        Duration::from_secs(1),
    ) else {
        return;
    };
    assert!(out.contains("query cancelled"), "{out}");
    assert!(out.contains("still here"), "{out}");
}

#[test]
fn tool_settings_are_settable_with_set() {
    assert_eq!(
        ok(&["-c", "SET format = 'csv'; SELECT 1 AS a"], ""),
        "a\n1\n"
    );
    let out = ok(&[], "SET timer TO on;\nSET threads = 3;\n.settings\n");
    assert!(out.contains("timer                on\n"), "{out}");
    assert!(out.contains("threads              3 "), "{out}");
    for (sql, message) in [
        (
            "SET format = 'xml'",
            "allowed: table, csv, json, jsonl, markdown",
        ),
        ("SET banner = false", "grizzly config --set banner=false"),
        ("SET colour = 'red'", "unknown setting \"colour\""),
    ] {
        let output = grizzly(&["-c", sql], "");
        assert_eq!(output.status.code(), Some(1), "{sql}");
        assert!(
            stderr(&output).contains(message),
            "{sql}: {}",
            stderr(&output)
        );
    }
}

#[test]
fn options_before_a_subcommand_name_are_refused_not_a_new_database() {
    let dir = TempDir::new("cli");
    let output = Command::new(BIN)
        .current_dir(&dir.0)
        .env("XDG_CONFIG_HOME", no_config_dir())
        .args(["--memory-limit", "1MB", "server"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("give its options after its name (grizzly server --help)"),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path("server").exists());
}
