//! TPC-H query latency through the public API (`Database::query`), on data generated
//! in-process. `GRIZZLY_BENCH_SF` picks the scale factor (default 0.01).
//!
//! ```text
//! cargo bench --bench tpch                      # Q1 and Q6 at SF 0.01
//! GRIZZLY_BENCH_SF=1 cargo bench --bench tpch   # the size the DuckDB figures are quoted at
//! ```

use criterion::{criterion_group, criterion_main, Criterion};
use grizzly::{generate_tpch, Database};
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
        // Fail loudly before timing anything if the query does not run.
        db.query(&sql).unwrap_or_else(|e| panic!("Q{q}: {e}"));
        group.bench_function(format!("q{q:02}"), |b| {
            b.iter(|| black_box(db.query(&sql).expect("query")).row_count())
        });
    }
    group.finish();
}

criterion_group!(benches, tpch);
criterion_main!(benches);
