//! Times TPC-H queries on an existing `.griz` file (single thread, `auto` JIT tier, so later
//! runs use compiled code where the query has it).
//!
//! ```text
//! cargo run --release -- generate tpch --sf 1 sf1.griz
//! cargo run --release --example q -- sf1.griz 1,6,18 5     # queries, runs per query
//! ```
//! Prints the median and minimum milliseconds per query.

use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (Some(path), Some(queries)) = (args.get(1), args.get(2)) else {
        eprintln!("usage: q FILE.griz QUERIES(e.g. 1,6) [RUNS]");
        std::process::exit(2);
    };
    let runs: usize = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(5).max(1);
    let db = match grizzly::Database::open(path) {
        Ok(db) => db,
        Err(e) => {
            eprintln!("{e}");
            std::process::exit(1);
        }
    };
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tpch/queries");
    for q in queries.split(',') {
        let file = dir.join(format!("q{q}.sql"));
        let Ok(sql) = std::fs::read_to_string(&file) else {
            eprintln!("cannot read {}", file.display());
            continue;
        };
        let mut times = Vec::with_capacity(runs);
        for _ in 0..runs {
            let start = Instant::now();
            if let Err(e) = db.query(&sql) {
                println!("q{q}: {e}");
                break;
            }
            times.push(start.elapsed().as_secs_f64() * 1e3);
        }
        if times.is_empty() {
            continue;
        }
        times.sort_by(f64::total_cmp);
        println!(
            "q{q}: median {:.1} ms min {:.1} ms",
            times[times.len() / 2],
            times[0]
        );
    }
}
