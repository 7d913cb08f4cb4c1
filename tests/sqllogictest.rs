//! Runs every `tests/slt/**/*.slt` file (sqllogictest format) against Grizzly: one test per
//! file and execution mode, each on a fresh in-memory database.
//!
//! ```text
//! cargo test --test sqllogictest                  # all files
//! cargo test --test sqllogictest -- joins         # files whose name contains "joins"
//! cargo test --test sqllogictest -- --complete    # rewrite expected output from Grizzly's
//! ```
//! `--complete` rewrites each file's results and error messages with what Grizzly returns:
//! review the diff before committing, it is the behaviour being pinned.
//!
//! How values are printed: NULL as `NULL`, booleans `true`/`false`, decimals with all their
//! scale digits (`1.50`), DOUBLE in Rust's shortest round-trip form (`0.5`, `2`, `NaN`,
//! `Infinity`), dates ISO `YYYY-MM-DD`, the empty string as `(empty)`. `__TEST_DIR__` in SQL
//! becomes a scratch directory private to the file and mode (and that directory in results
//! prints as `__TEST_DIR__`).

use grizzly::{DataType, Database, Value};
use sqllogictest::harness::{Arguments, Failed, Trial};
use sqllogictest::{DBOutput, DefaultColumnType, Runner, DB};
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Execution modes every file runs under (`SET jit = '<mode>'`): the interpreter alone, compiled
/// before the first run, and both with their results compared.
fn modes() -> Vec<&'static str> {
    vec!["off", "always", "verify"]
}

/// One session on a test file's database.
struct Grizzly {
    db: Database,
    test_dir: String,
}

impl DB for Grizzly {
    type Error = grizzly::Error;
    type ColumnType = DefaultColumnType;

    fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, grizzly::Error> {
        let sql = sql.replace("__TEST_DIR__", &self.test_dir);
        if !returns_rows(&sql) {
            return self.db.execute(&sql).map(DBOutput::StatementComplete);
        }
        let result = self.db.query(&sql)?;
        let types = result.columns().iter().map(|c| column_type(c.ty)).collect();
        // Results naming the scratch directory (SHOW DATABASES) print it as `__TEST_DIR__`.
        let rows = result
            .rows()
            .map(|row| {
                row.values()
                    .iter()
                    .map(|v| format_value(v).replace(&self.test_dir, "__TEST_DIR__"))
                    .collect()
            })
            .collect();
        Ok(DBOutput::Rows { types, rows })
    }

    fn engine_name(&self) -> &str {
        "grizzly"
    }
}

/// Statements that produce rows for the user; the rest report rows affected.
fn returns_rows(sql: &str) -> bool {
    let sql = sql.trim_start_matches(|c: char| c.is_whitespace() || c == '(');
    let first = sql
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    [
        "select", "with", "values", "show", "describe", "explain", "table", "pragma",
    ]
    .iter()
    .any(|k| first.eq_ignore_ascii_case(k))
}

fn column_type(ty: DataType) -> DefaultColumnType {
    match ty {
        DataType::Int32 | DataType::Int64 => DefaultColumnType::Integer,
        DataType::Float64 | DataType::Decimal { .. } => DefaultColumnType::FloatingPoint,
        _ => DefaultColumnType::Text,
    }
}

fn format_value(v: &Value) -> String {
    match v {
        Value::Varchar(s) if s.is_empty() => "(empty)".to_string(),
        Value::Float64(f) if f.is_nan() => "NaN".to_string(),
        Value::Float64(f) if f.is_infinite() => {
            if *f > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
        }
        // Value's Display already prints NULL, true/false, decimals with their scale, ISO
        // dates and DOUBLE in shortest round-trip form.
        other => other.to_string(),
    }
}

/// Runs one file in one mode; with `complete`, rewrites the file's expected output instead.
fn run_file(path: &Path, mode: &'static str, complete: bool) -> Result<(), Failed> {
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("slt");
    let test_dir =
        std::env::temp_dir().join(format!("grizzly-slt-{}-{stem}-{mode}", std::process::id()));
    std::fs::create_dir_all(&test_dir).map_err(|e| format!("{}: {e}", test_dir.display()))?;
    let test_dir_text = test_dir.to_string_lossy().into_owned();

    let db = Database::in_memory();
    let mut runner = Runner::new(move || {
        let session = Grizzly {
            db: db.connect(),
            test_dir: test_dir_text.clone(),
        };
        async move {
            session.db.execute(&format!("SET jit = '{mode}'"))?;
            Ok::<_, grizzly::Error>(session)
        }
    });
    let outcome = if complete {
        block_on(runner.update_test_file(
            path,
            " ",
            sqllogictest::default_validator,
            sqllogictest::default_normalizer,
            sqllogictest::default_column_validator,
        ))
        .map_err(|e| Failed::from(format!("{}: {e}", path.display())))
    } else {
        runner
            .run_file(path)
            .map_err(|e| Failed::from(e.display(false).to_string()))
    };
    runner.shutdown();
    let _ = std::fs::remove_dir_all(&test_dir);
    outcome
}

/// Drives a future to completion on this thread. The database is synchronous, so the
/// runner's futures are ready whenever polled.
fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = std::pin::pin!(future);
    let mut cx = std::task::Context::from_waker(std::task::Waker::noop());
    loop {
        if let std::task::Poll::Ready(out) = future.as_mut().poll(&mut cx) {
            return out;
        }
        std::thread::yield_now();
    }
}

fn slt_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            slt_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "slt") {
            out.push(path);
        }
    }
}

fn main() {
    let mut args: Vec<String> = std::env::args().collect();
    let complete = args.iter().any(|a| a == "--complete");
    args.retain(|a| a != "--complete");
    let mut arguments = Arguments::from_iter(args);
    if complete {
        // Files are rewritten in place: one at a time, and only in the first mode.
        arguments.test_threads = Some(1);
    }

    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/slt");
    let mut files = Vec::new();
    slt_files(&root, &mut files);
    assert!(!files.is_empty(), "no .slt files under {}", root.display());

    let modes = if complete { vec![modes()[0]] } else { modes() };
    let mut trials = Vec::new();
    for file in &files {
        let name = file
            .strip_prefix(&root)
            .unwrap_or(file)
            .to_string_lossy()
            .into_owned();
        for &mode in &modes {
            let path = Arc::new(file.clone());
            trials.push(Trial::test(format!("{name}::jit-{mode}"), move || {
                run_file(&path, mode, complete)
            }));
        }
    }
    let conclusion = sqllogictest::harness::run(&arguments, trials);
    if !arguments.list {
        println!(
            "{} passed, {} failed",
            conclusion.num_passed, conclusion.num_failed
        );
    }
    conclusion.exit();
}
