//! The `grizzly import` and `grizzly export` subcommands, run as a user would: new and
//! existing tables, CSV (headers detected or given, other delimiters), Parquet and JSON round
//! trips, a malformed row (an error naming file, line and column; the table unchanged), usage
//! errors, and a progress bar only when standard error is a terminal.

#[path = "support/temp_dir.rs"]
mod temp_dir;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use temp_dir::TempDir;

const BIN: &str = env!("CARGO_BIN_EXE_grizzly");

fn grizzly(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env(
            "XDG_CONFIG_HOME",
            std::env::temp_dir().join("grizzly-io-no-config"),
        )
        .stdin(Stdio::null())
        .output()
        .expect("grizzly runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

/// Runs `args`, failing the test on an error; returns (stdout, stderr).
fn ok(args: &[&str]) -> (String, String) {
    let out = grizzly(args);
    assert!(
        out.status.success(),
        "grizzly {args:?} failed: {}",
        text(&out.stderr)
    );
    (text(&out.stdout), text(&out.stderr))
}

/// Runs `args`, which must fail; returns stderr.
fn fails(args: &[&str]) -> String {
    let out = grizzly(args);
    assert!(!out.status.success(), "grizzly {args:?} succeeded");
    text(&out.stderr)
}

/// The result of a query as CSV without a header.
fn query(db: &str, sql: &str) -> String {
    ok(&[db, "-q", "--format", "csv", "-c", sql]).0
}

#[test]
fn import_creates_a_table_with_inferred_types() {
    let dir = TempDir::new("io");
    let db = dir.file("new.griz");
    let csv = dir.write(
        "people.csv",
        "id,name,born,score\n1,Ann,1990-05-01,2.5\n2,\"Bo, Jr\",,3\n3,Cy,2001-12-31,\n",
    );
    let (stdout, stderr) = ok(&["import", &csv, "--table", "People", &db]);
    assert_eq!(stdout, "");
    assert!(
        stderr.contains("Imported 3 rows into new table people"),
        "{stderr}"
    );
    assert_eq!(
        query(&db, "DESCRIBE people"),
        "column_name,column_type,null\nid,BIGINT,YES\nname,VARCHAR,YES\nborn,DATE,YES\nscore,DOUBLE,YES\n"
    );
    assert_eq!(
        query(&db, "SELECT id, name, born, score FROM people ORDER BY id"),
        "id,name,born,score\n1,Ann,1990-05-01,2.5\n2,\"Bo, Jr\",,3\n3,Cy,2001-12-31,\n"
    );
}

#[test]
fn import_appends_to_an_existing_table() {
    let dir = TempDir::new("io");
    let db = dir.file("append.griz");
    ok(&[&db, "-c", "CREATE TABLE t (id INTEGER, name VARCHAR, price DECIMAL(10,2)); INSERT INTO t VALUES (1, 'old', 0.50)"]);
    // A header matching the table's columns is recognized without --header.
    let with_header = dir.write("h.csv", "id,name,price\n2,pear,2.25\n3,,\n");
    let (_, stderr) = ok(&["import", &with_header, "-t", "t", &db]);
    assert!(stderr.contains("Imported 2 rows into t"), "{stderr}");
    // Another delimiter, no header.
    let piped = dir.write("p.tbl", "4|fig|9.99|\n");
    ok(&[
        "import",
        &piped,
        "-t",
        "t",
        "--delimiter",
        "|",
        "--no-header",
        "-q",
        &db,
    ]);
    assert_eq!(
        query(&db, "SELECT id, name, price FROM t ORDER BY id"),
        "id,name,price\n1,old,0.50\n2,pear,2.25\n3,,\n4,fig,9.99\n"
    );
}

#[test]
fn a_malformed_row_names_file_line_and_column_and_changes_nothing() {
    let dir = TempDir::new("io");
    let db = dir.file("bad.griz");
    ok(&[
        &db,
        "-c",
        "CREATE TABLE t (id INTEGER, amount DECIMAL(10,2)); INSERT INTO t VALUES (1, 1.00)",
    ]);
    let bad = dir.write("bad.csv", "id,amount\n2,2.00\n3,3.00\n4,lots\n5,5.00\n");
    let stderr = fails(&["import", &bad, "--table", "t", "--header", &db]);
    assert!(
        stderr.contains("bad.csv:4: column 2: invalid input for type DECIMAL(10,2): \"lots\" (column \"amount\")"),
        "{stderr}"
    );
    assert_eq!(query(&db, "SELECT count(*) AS n FROM t"), "n\n1\n");
    // A missing field is named too.
    let short = dir.write("short.csv", "2,2.00\n3\n");
    let stderr = fails(&["import", &short, "--table", "t", &db]);
    assert!(
        stderr.contains("short.csv:2: column 2: expected 2 fields, found 1"),
        "{stderr}"
    );
    // Into a new table: the table is not created.
    let stderr = fails(&["import", &short, "--table", "fresh", &db]);
    assert!(stderr.contains("short.csv:2"), "{stderr}");
    assert_eq!(query(&db, "SHOW TABLES"), "name\nt\n");
    assert_eq!(query(&db, "SELECT count(*) AS n FROM t"), "n\n1\n");
}

#[test]
fn export_and_import_round_trip_parquet_and_json() {
    let dir = TempDir::new("io");
    let db = dir.file("src.griz");
    ok(&[&db, "-c", "CREATE TABLE t (id INTEGER, name VARCHAR, price DECIMAL(10,2), d DATE); \
        INSERT INTO t VALUES (1, 'a,b', 1.50, DATE '2024-01-02'), (2, NULL, -0.05, NULL), (3, 'say \"hi\"', 100, DATE '1999-12-31')"]);
    let expected = query(&db, "SELECT * FROM t ORDER BY id");
    for name in ["t.parquet", "t.json", "t.csv"] {
        let file = dir.file(name);
        let (_, stderr) = ok(&["export", "SELECT * FROM t", "--output", &file, &db]);
        assert!(stderr.contains("Exported 3 rows to"), "{stderr}");
        let copy = dir.file(&format!("{name}.griz"));
        if !name.ends_with(".parquet") {
            // Text formats infer 1.50 as DOUBLE: load into the table's own types instead
            // (Parquet carries DECIMAL(10,2) itself).
            ok(&[
                &copy,
                "-c",
                "CREATE TABLE t (id INTEGER, name VARCHAR, price DECIMAL(10,2), d DATE)",
            ]);
        }
        ok(&["import", &file, "--table", "t", "-q", &copy]);
        assert_eq!(
            query(&copy, "SELECT * FROM t ORDER BY id"),
            expected,
            "{name}"
        );
    }
    let inferred = dir.file("inferred.griz");
    ok(&[
        "import",
        &dir.file("t.json"),
        "--table",
        "j",
        "-q",
        &inferred,
    ]);
    assert_eq!(
        query(&inferred, "DESCRIBE j"),
        "column_name,column_type,null\nid,BIGINT,YES\nname,VARCHAR,YES\nprice,DOUBLE,YES\nd,DATE,YES\n"
    );
    // Parquet keeps the exact types; JSON lines hold one object per row.
    let parquet_copy = dir.file("t.parquet.griz");
    assert!(query(&parquet_copy, "DESCRIBE t").contains("price,\"DECIMAL(10,2)\",YES"));
    let json = std::fs::read_to_string(dir.file("t.json")).unwrap();
    assert_eq!(
        json.lines().next(),
        Some(r#"{"id":1,"name":"a,b","price":1.50,"d":"2024-01-02"}"#)
    );
    // CSV exports have a header by default.
    let csv = std::fs::read_to_string(dir.file("t.csv")).unwrap();
    assert!(
        csv.starts_with("id,name,price,d\n1,\"a,b\",1.50,2024-01-02\n"),
        "{csv}"
    );
}

#[test]
fn export_a_table_by_name_with_options() {
    let dir = TempDir::new("io");
    let db = dir.file("named.griz");
    ok(&[
        &db,
        "-c",
        "CREATE TABLE t (a INTEGER, b VARCHAR); INSERT INTO t VALUES (1, 'x'), (2, 'y')",
    ]);
    let out = dir.file("out.txt");
    let (stdout, stderr) = ok(&[
        "export",
        "t",
        "-o",
        &out,
        "--format",
        "csv",
        "--delimiter",
        ";",
        "--no-header",
        "-q",
        &db,
    ]);
    assert_eq!((stdout.as_str(), stderr.as_str()), ("", ""));
    let mut lines: Vec<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    lines.sort();
    assert_eq!(lines, vec!["1;x", "2;y"]);
    // Parquet by flag, whatever the name.
    ok(&[
        "export",
        "SELECT a FROM t",
        "-o",
        &out,
        "--format",
        "parquet",
        "-q",
        &db,
    ]);
    assert_eq!(&std::fs::read(&out).unwrap()[..4], b"PAR1");
}

#[test]
fn usage_errors() {
    let dir = TempDir::new("io");
    let db = dir.file("u.griz");
    let file = dir.write("x.parquet", "not parquet");
    let stderr = fails(&["import", &file, "--table", "t", "--delimiter", "|", &db]);
    assert!(
        stderr.contains("--delimiter and header options apply to CSV files"),
        "{stderr}"
    );
    let stderr = fails(&["import", &file, "--table", "t", &db]);
    assert!(stderr.contains("not a readable Parquet file"), "{stderr}");
    let stderr = fails(&["import", &dir.file("missing.csv"), "--table", "t", &db]);
    assert!(stderr.contains("missing.csv"), "{stderr}");
    let stderr = fails(&[
        "export",
        "SELECT * FROM nope",
        "-o",
        &dir.file("o.csv"),
        &db,
    ]);
    assert!(stderr.contains("nope"), "{stderr}");
    let stderr = fails(&["import", &file, &db]);
    assert!(stderr.contains("--table"), "{stderr}");
}

#[test]
fn help_lists_the_subcommands() {
    let (help, _) = ok(&["--help"]);
    assert!(help.contains("import") && help.contains("export"), "{help}");
    let (help, _) = ok(&["import", "--help"]);
    assert!(
        help.contains("--delimiter") && help.contains("--no-header"),
        "{help}"
    );
}

#[test]
fn no_progress_bar_when_stderr_is_not_a_terminal() {
    let dir = TempDir::new("io");
    let db = dir.file("big.griz");
    let rows: String = (0..200_000).map(|i| format!("{i},{}\n", i * 3)).collect();
    let csv = dir.write("big.csv", &rows);
    let (_, stderr) = ok(&["import", &csv, "--table", "big", &db]);
    // Just the summary: no bar, no terminal control codes.
    assert_eq!(
        stderr.trim_end(),
        format!("Imported 200000 rows into new table big from {csv}")
    );
    assert!(Path::new(&db).exists());
}

#[test]
fn a_long_import_shows_a_progress_bar_in_a_terminal() {
    if !Path::new("/usr/bin/script").exists() || cfg!(not(target_os = "linux")) {
        eprintln!("skipped: no /usr/bin/script");
        return;
    }
    let dir = TempDir::new("io");
    let db = dir.file("big.griz");
    let rows: String = (0..2_000_000).map(|i| format!("{i},{}\n", i * 3)).collect();
    let csv = dir.write("big.csv", &rows);
    // util-linux `script` gives the import a terminal; the bar appears after 400 ms.
    let start = std::time::Instant::now();
    let output = Command::new("/usr/bin/script")
        .args([
            "-qec",
            &format!("{BIN} import {csv} --table big {db}"),
            "/dev/null",
        ])
        .env("XDG_CONFIG_HOME", dir.path("no-config"))
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let elapsed = start.elapsed();
    let screen = text(&output.stdout);
    assert!(output.status.success(), "{screen}");
    assert!(screen.contains("Imported 2000000 rows"), "{screen}");
    if elapsed < std::time::Duration::from_millis(1500) {
        println!("NOTICE: the import took {elapsed:?}: too fast for a bar");
        return;
    }
    assert!(
        screen.contains(&format!("read_csv {csv} [")) && screen.contains("MiB"),
        "{screen}"
    );
}

#[test]
fn csv_loads_use_the_threads_asked_for_with_equal_results() {
    let dir = TempDir::new("io");
    let mut body = String::from("id,name,price\n");
    for i in 0..150_000 {
        body.push_str(&format!(
            "{i},name {},{}.{:02}\n",
            i % 977,
            i % 1000,
            i % 100
        ));
    }
    let csv = dir.write("many.csv", &body);
    let mut answers = Vec::new();
    for threads in ["1", "3"] {
        let db = dir.file(&format!("t{threads}.griz"));
        let sql = format!(
            "CREATE TABLE t (id BIGINT, name VARCHAR, price DECIMAL(10,2));
             COPY t FROM '{csv}' (HEADER);
             SELECT count(*), sum(id), sum(price), count(DISTINCT name) FROM t"
        );
        let (stdout, stderr) = ok(&["--verbose", "--threads", threads, &db, "-c", &sql]);
        assert!(
            stderr.contains(&format!("CSV loads use {threads} thread(s)")),
            "{stderr}"
        );
        answers.push(stdout);
    }
    assert_eq!(answers[0], answers[1]);
    assert!(answers[0].contains("150000"), "{}", answers[0]);
}

#[test]
fn import_and_export_take_the_engine_options() {
    let dir = TempDir::new("io");
    let db = dir.file("limits.griz");
    let mut body = String::from("id,name\n");
    for i in 0..50_000 {
        body.push_str(&format!("{i},name {i}\n"));
    }
    let csv = dir.write("rows.csv", &body);
    // A memory limit far below the rows: the import fails and creates nothing.
    let err = fails(&[
        "import",
        &csv,
        "-t",
        "t",
        "--memory-limit",
        "64KiB",
        "--threads",
        "2",
        &db,
    ]);
    assert!(err.contains("memory_limit"), "{err}");
    assert!(
        query(&db, "SHOW TABLES").trim() == "name",
        "{}",
        query(&db, "SHOW TABLES")
    );
    let (_, stderr) = ok(&["import", &csv, "-t", "t", "--threads", "2", &db]);
    assert!(stderr.contains("Imported 50000 rows"), "{stderr}");
    let out = dir.file("out.csv");
    let err = fails(&[
        "export",
        "SELECT name, count(*) FROM t GROUP BY name",
        "--output",
        &out,
        "--memory-limit",
        "64KiB",
        &db,
    ]);
    assert!(err.contains("memory_limit"), "{err}");
    ok(&["export", "t", "--output", &out, "--jit", "always", &db]);
    assert_eq!(
        std::fs::read_to_string(&out).unwrap().lines().count(),
        50_001
    );
}
