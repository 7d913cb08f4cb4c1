//! `grizzly generate tpch --sf SF DB`: fills a database file with TPC-H data and prints what
//! it made.

use crate::cli::args::TpchArgs;
use crate::cli::error::Result;
use crate::cli::open_database;
use crate::cli::output::{Grid, Header};
use crate::cli::session::format_duration;
use crate::cli::tpch::{self, thousands};
use std::io::{self, Write};
use std::time::Instant;

pub fn run(args: &TpchArgs) -> Result<()> {
    let db = open_database(Some(&args.database))?;
    let mut out = io::stdout().lock();
    writeln!(
        out,
        "Generating TPC-H SF {} into {} ...",
        args.scale_factor,
        args.database.display()
    )?;
    let start = Instant::now();
    tpch::generate(&db, args.scale_factor)?;
    let elapsed = start.elapsed();
    let counts = tpch::row_counts(&db);
    let total: u64 = counts.iter().filter_map(|(_, rows)| *rows).sum();
    summary(&counts).write(&mut out)?;
    writeln!(
        out,
        "Generated {} rows in {} tables in {}",
        thousands(total),
        counts.len(),
        format_duration(elapsed)
    )?;
    Ok(())
}

/// A table of TPC-H table names and row counts.
pub fn summary(counts: &[(&str, Option<u64>)]) -> Grid {
    let headers = vec![
        Header {
            name: "table".into(),
            ty: None,
            right_align: false,
        },
        Header {
            name: "rows".into(),
            ty: None,
            right_align: true,
        },
    ];
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|(table, rows)| {
            vec![
                table.to_string(),
                rows.map_or_else(|| "missing".to_string(), thousands),
            ]
        })
        .collect();
    Grid {
        total_rows: rows.len(),
        headers,
        rows,
    }
}
