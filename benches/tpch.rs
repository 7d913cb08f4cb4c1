//! TPC-H query latency through the public API (`Database::query`), on data generated
//! in-process, interpreted (`jit = off`) against compiled (`jit = always`) in the same run;
//! plus the cache-hit overhead from SQL text (and from a prepared statement) to the first row,
//! measured on an empty `lineitem` so that execution costs nothing.
//! `GRIZZLY_BENCH_SF` picks the scale factor (default 0.01).
//!
//! ```text
//! cargo bench --bench tpch                      # Q1 and Q6 at SF 0.01
//! GRIZZLY_BENCH_SF=1 cargo bench --bench tpch   # the size the DuckDB figures are quoted at
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use grizzly::{generate_tpch, tpch_schema, Database, JitMode};
use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

/// Queries benchmarked (files in `tests/tpch/queries/`).
const QUERIES: &[u32] = &[1, 6];

fn scale_factor() -> f64 {
    match std::env::var("GRIZZLY_BENCH_SF") {
        Ok(s) => s
            .parse()
            .unwrap_or_else(|_| panic!("GRIZZLY_BENCH_SF={s:?} is not a number")),
        Err(_) => 0.01,
    }
}

fn query_sql(q: u32) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/tpch/queries/q{q}.sql"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn tpch(c: &mut Criterion) {
    let sf = scale_factor();
    let db = Database::in_memory();
    let start = Instant::now();
    generate_tpch(&db, sf).expect("generate TPC-H data");
    eprintln!("generated TPC-H SF {sf} in {:.1?}", start.elapsed());

    let mut group = c.benchmark_group(format!("tpch_sf{sf}"));
    group.sample_size(10);
    for &q in QUERIES {
        let sql = query_sql(q);
        for (tier, mode) in [("interpreted", JitMode::Off), ("compiled", JitMode::Always)] {
            db.set_jit(mode);
            // Fail loudly before timing anything if the query does not run.
            db.query(&sql).unwrap_or_else(|e| panic!("Q{q}: {e}"));
            group.bench_function(format!("q{q:02}_{tier}"), |b| {
                b.iter(|| black_box(db.query(&sql).expect("query")).row_count())
            });
        }
    }
    group.finish();
}

/// SQL text → first row for a cached compiled Q1 over an empty table: parse, bind, optimize,
/// fingerprint, cache lookup and the (empty) run. And the same through a prepared statement.
fn cache_hit_overhead(c: &mut Criterion) {
    let db = Database::in_memory();
    for table in tpch_schema() {
        db.execute(&grizzly::tpch::create_table_sql(&table))
            .expect("create table");
    }
    db.set_jit(JitMode::Always);
    let sql = query_sql(1);
    db.query(&sql).expect("Q1 compiles");
    let mut group = c.benchmark_group("cache_hit_overhead");
    group.bench_function("q01_sql_text", |b| {
        b.iter(|| black_box(db.query(&sql).expect("query")).row_count())
    });
    let stmt = db.prepare(&sql).expect("prepare Q1");
    stmt.compile().expect("compile Q1");
    group.bench_function("q01_prepared", |b| {
        b.iter(|| black_box(stmt.query(&[]).expect("query")).row_count())
    });
    group.finish();
}

criterion_group!(benches, tpch, cache_hit_overhead);
criterion_main!(benches);
