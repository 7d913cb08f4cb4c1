//! TPC-H correctness: each of the 22 queries on SF 0.01 and SF 0.1 data generated
//! in-process, compared with DuckDB's answers under the rules of `tpch/compare.rs`.
//!
//! - One test per query (`q01` … `q22`); they share one generated database per scale factor.
//! - `GRIZZLY_TPCH_SF=1` (a comma-separated list) also checks the SF 1 answers, on a
//!   database file named by `GRIZZLY_TPCH_SF1_DB` (e.g. one made by `grizzly generate tpch
//!   --sf 1`) or else generated in memory. The SF 1 check is meant for
//!   a release build: `GRIZZLY_TPCH_SF=1 GRIZZLY_TPCH_SF1_DB=sf1.griz cargo test --release
//!   --test tpch`.
//! - Each query runs under every execution mode of [`modes`] (`SET jit = '<mode>'`).
//! - Queries in [`MUST_PASS`] must give the right answer. The others need correlated
//!   subqueries: they must give the right answer or fail with a "not supported" error.

#[path = "tpch/compare.rs"]
mod compare;

use grizzly::{generate_tpch, Database, Error};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Instant;

/// Queries that need only what Grizzly supports today.
const MUST_PASS: &[u32] = &[
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22,
];

/// Execution modes every query runs under (`SET jit = '<mode>'`): the interpreter alone, compiled
/// before the first run, and both with their results compared.
fn modes() -> Vec<&'static str> {
    vec!["off", "always", "verify"]
}

/// Scale factors with answers in `tpch/answers/`.
const SCALE_FACTORS: &[&str] = &["0.01", "0.1", "1"];

fn scale_factors() -> Vec<&'static str> {
    // Both small scale factors in every run (SF 0.1 adds about ten seconds in a debug build).
    let mut sfs = vec!["0.01", "0.1"];
    if let Ok(list) = std::env::var("GRIZZLY_TPCH_SF") {
        for sf in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let known = SCALE_FACTORS.iter().find(|k| **k == sf).unwrap_or_else(|| {
                panic!("GRIZZLY_TPCH_SF: no answers for SF {sf} (have {SCALE_FACTORS:?})")
            });
            if !sfs.contains(known) {
                sfs.push(known);
            }
        }
    }
    sfs
}

type Shared = Result<Mutex<Database>, String>;

/// The database of one scale factor, generated on first use. Tests take turns on it (one
/// session; the lock also keeps each test's `SET jit` to itself).
fn database(sf: &str) -> &'static Mutex<Database> {
    static SF001: OnceLock<Shared> = OnceLock::new();
    static SF01: OnceLock<Shared> = OnceLock::new();
    static SF1: OnceLock<Shared> = OnceLock::new();
    let cell = match sf {
        "0.01" => &SF001,
        "0.1" => &SF01,
        "1" => &SF1,
        other => panic!("no database slot for SF {other}"),
    };
    let shared = cell.get_or_init(|| {
        if let (Some(path), "1") = (std::env::var_os("GRIZZLY_TPCH_SF1_DB"), sf) {
            let db = Database::open(&path)
                .map_err(|e| format!("GRIZZLY_TPCH_SF1_DB={}: {e}", path.to_string_lossy()))?;
            return Ok(Mutex::new(db));
        }
        let start = Instant::now();
        let db = Database::in_memory();
        let sf_value: f64 = sf.parse().expect("scale factor");
        generate_tpch(&db, sf_value).map_err(|e| format!("generating TPC-H SF {sf}: {e}"))?;
        eprintln!("generated TPC-H SF {sf} in {:.1?}", start.elapsed());
        Ok(Mutex::new(db))
    });
    match shared {
        Ok(db) => db,
        Err(e) => panic!("{e}"),
    }
}

fn tpch_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tpch")
}

fn is_unsupported(e: &Error) -> bool {
    matches!(
        e,
        Error::Unsupported(_) | Error::Sql(grizzly_ir::Error::Unsupported(_))
    )
}

fn run_query(q: u32) {
    let path = tpch_dir().join(format!("queries/q{q}.sql"));
    let sql = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    for sf in scale_factors() {
        let answer = compare::load_answer(&tpch_dir().join(format!("answers/sf{sf}")), q);
        let order = compare::order_spec(&sql, &answer.columns);
        let db = database(sf).lock().unwrap_or_else(PoisonError::into_inner);
        for mode in modes() {
            db.execute(&format!("SET jit = '{mode}'"))
                .unwrap_or_else(|e| panic!("SET jit = '{mode}': {e}"));
            let what = format!("Q{q} SF {sf} jit={mode}");
            let start = Instant::now();
            match db.query(&sql) {
                Ok(result) => {
                    let rows: Vec<Vec<grizzly::Value>> =
                        result.rows().map(|r| r.values()).collect();
                    let width = result.columns().len();
                    if let Err(diff) = compare::compare(&rows, width, &answer, &order) {
                        panic!("{what}: wrong answer: {diff}");
                    }
                    eprintln!("{what}: ok, {} rows in {:.1?}", rows.len(), start.elapsed());
                }
                Err(e) if !MUST_PASS.contains(&q) && is_unsupported(&e) => {
                    eprintln!("{what}: not supported yet (allowed): {e}");
                }
                Err(e) => panic!("{what}: {e} ({e:?})"),
            }
        }
    }
}

macro_rules! tpch_queries {
    ($($name:ident => $q:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                run_query($q);
            }
        )*
    };
}

tpch_queries! {
    q01 => 1, q02 => 2, q03 => 3, q04 => 4, q05 => 5, q06 => 6, q07 => 7, q08 => 8,
    q09 => 9, q10 => 10, q11 => 11, q12 => 12, q13 => 13, q14 => 14, q15 => 15, q16 => 16,
    q17 => 17, q18 => 18, q19 => 19, q20 => 20, q21 => 21, q22 => 22,
}
