//! `grizzly bench`: TPC-H queries timed interpreted (`jit = off`), under the default policy
//! after warm-up (`jit = auto`: run until its background compile has finished) and compiled
//! (`jit = always`) back to back in one process, with the compile time of each query, so the
//! tiers are compared on the same data and the same machine state.

use crate::cli::args::BenchArgs;
use crate::cli::error::{usage_err, Result};
use crate::cli::open_database;
use crate::cli::tpch::row_counts;
use grizzly::{Database, JitMode};
use std::io::Write;
use std::time::{Duration, Instant};

/// The 22 TPC-H queries, by number.
const QUERIES: [&str; 22] = [
    include_str!("../../tests/tpch/queries/q1.sql"),
    include_str!("../../tests/tpch/queries/q2.sql"),
    include_str!("../../tests/tpch/queries/q3.sql"),
    include_str!("../../tests/tpch/queries/q4.sql"),
    include_str!("../../tests/tpch/queries/q5.sql"),
    include_str!("../../tests/tpch/queries/q6.sql"),
    include_str!("../../tests/tpch/queries/q7.sql"),
    include_str!("../../tests/tpch/queries/q8.sql"),
    include_str!("../../tests/tpch/queries/q9.sql"),
    include_str!("../../tests/tpch/queries/q10.sql"),
    include_str!("../../tests/tpch/queries/q11.sql"),
    include_str!("../../tests/tpch/queries/q12.sql"),
    include_str!("../../tests/tpch/queries/q13.sql"),
    include_str!("../../tests/tpch/queries/q14.sql"),
    include_str!("../../tests/tpch/queries/q15.sql"),
    include_str!("../../tests/tpch/queries/q16.sql"),
    include_str!("../../tests/tpch/queries/q17.sql"),
    include_str!("../../tests/tpch/queries/q18.sql"),
    include_str!("../../tests/tpch/queries/q19.sql"),
    include_str!("../../tests/tpch/queries/q20.sql"),
    include_str!("../../tests/tpch/queries/q21.sql"),
    include_str!("../../tests/tpch/queries/q22.sql"),
];

/// Parses `1,6` or `all` into query numbers.
fn query_list(text: &str) -> Result<Vec<usize>> {
    if text.eq_ignore_ascii_case("all") {
        return Ok((1..=22).collect());
    }
    text.split(',')
        .map(|q| match q.trim().parse::<usize>() {
            Ok(n) if (1..=22).contains(&n) => Ok(n),
            _ => usage_err!("--queries: {q:?} is not a TPC-H query number (1 to 22)"),
        })
        .collect()
}

pub fn run(args: &BenchArgs) -> Result<()> {
    let queries = query_list(&args.queries)?;
    if args.runs == 0 {
        return usage_err!("--runs must be at least 1");
    }
    let mut out = std::io::stdout().lock();
    let db = match &args.database {
        Some(path) => {
            let db = open_database(Some(path))?;
            if row_counts(&db).iter().any(|(_, rows)| rows.is_none()) {
                return usage_err!(
                    "{} does not hold the TPC-H tables (make them with `grizzly generate tpch`)",
                    path.display()
                );
            }
            db
        }
        None => {
            writeln!(
                out,
                "Generating TPC-H SF {} in memory ...",
                args.scale_factor
            )?;
            let db = Database::in_memory();
            grizzly::generate_tpch(&db, args.scale_factor)?;
            db
        }
    };
    writeln!(
        out,
        "{:>5} {:>16} {:>14} {:>10} {:>8} {:>12} {:>7}",
        "query", "interpreted ms", "compiled ms", "auto ms", "speedup", "compile ms", "warm-up"
    )?;
    for q in queries {
        let sql = QUERIES[q - 1];
        db.set_jit(JitMode::Off);
        let interpreted = median_ms(&db, sql, args.runs)?;
        db.clear_query_cache();
        db.set_jit(JitMode::Auto);
        let before = db.cache_stats().compile_time_total;
        let warm_up = warm_up_auto(&db, sql)?;
        let compile = db.cache_stats().compile_time_total.saturating_sub(before);
        let auto = median_ms(&db, sql, args.runs)?;
        db.set_jit(JitMode::Always);
        let compiled = median_ms(&db, sql, args.runs)?;
        writeln!(
            out,
            "{:>5} {:>16.2} {:>14.2} {:>10.2} {:>7.2}x {:>12.3} {:>7}",
            format!("Q{q}"),
            interpreted,
            compiled,
            auto,
            interpreted / compiled.max(1e-9),
            ms(compile),
            warm_up
        )?;
    }
    writeln!(
        out,
        "Single thread. Compiled = jit 'always': pipelines the compiled tier does not handle yet \
         run interpreted (see EXPLAIN). Auto = the default policy once warm (warm-up = runs \
         until its background compile finished, plus 3 for it to compare the tiers)."
    )?;
    Ok(())
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// Runs after the background compile has finished, before timing `auto`: enough compiled
/// runs for the policy to compare the tiers (`compiled_is_slower` needs three).
const SETTLE_RUNS: usize = 3;

/// Runs `sql` under `jit = auto` until its cache entry leaves the interpreted and compiling
/// states (compiled, or failed and staying interpreted), then [`SETTLE_RUNS`] more; returns
/// how many runs that took.
fn warm_up_auto(db: &Database, sql: &str) -> Result<usize> {
    let runs = until_compiled(db, sql)?;
    for _ in 0..SETTLE_RUNS {
        db.query(sql)?;
    }
    Ok(runs + SETTLE_RUNS)
}

fn until_compiled(db: &Database, sql: &str) -> Result<usize> {
    let (fingerprint, _) = db.fingerprint(sql)?;
    for run in 1..=200 {
        db.query(sql)?;
        let state = db
            .query_cache()
            .into_iter()
            .find(|entry| entry.fingerprint == fingerprint)
            .map(|entry| entry.state);
        match state.as_deref() {
            Some("interpreted") | None => {}
            Some("compiling") => std::thread::sleep(Duration::from_millis(5)),
            Some(_) => return Ok(run),
        }
    }
    Ok(200)
}

/// Median wall time of `runs` runs after one warm-up run.
fn median_ms(db: &Database, sql: &str, runs: usize) -> Result<f64> {
    db.query(sql)?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        db.query(sql)?;
        times.push(ms(start.elapsed()));
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_lists_parse() {
        assert_eq!(query_list("1,6").unwrap(), vec![1, 6]);
        assert_eq!(query_list("all").unwrap().len(), 22);
        assert!(query_list("0").is_err());
        assert!(query_list("1,x").is_err());
    }
}
