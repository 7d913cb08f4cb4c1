//! `grizzly demo`: the first command of the README. Generates TPC-H data into a file (or
//! reuses it), then runs a few TPC-H queries, printing each result and its run time.

use crate::cli::args::DemoArgs;
use crate::cli::batch;
use crate::cli::error::{usage_err, Result};
use crate::cli::open_database;
use crate::cli::output::Format;
use crate::cli::session::{format_duration, Session, Settings};
use crate::cli::tpch::{self, thousands};
use std::time::Instant;

/// The queries the demo runs: name, title, SQL.
const QUERIES: &[(&str, &str, &str)] = &[
    (
        "Q1",
        "pricing summary report",
        include_str!("../../tests/tpch/queries/q1.sql"),
    ),
    (
        "Q3",
        "shipping priority",
        include_str!("../../tests/tpch/queries/q3.sql"),
    ),
    (
        "Q6",
        "forecasting revenue change",
        include_str!("../../tests/tpch/queries/q6.sql"),
    ),
];

pub fn run(args: &DemoArgs) -> Result<()> {
    let path = &args.database;
    let db = open_database(Some(path))?;
    let settings = Settings {
        format: Format::Table,
        timer: true,
        quiet: true,
        max_rows: Some(40),
        ..Settings::default()
    };
    let mut session = Session::new(db.clone(), settings);

    let counts = tpch::row_counts(&db);
    let present = counts.iter().filter(|(_, rows)| rows.is_some()).count();
    if present == counts.len() {
        let total: u64 = counts.iter().filter_map(|(_, rows)| *rows).sum();
        writeln!(
            session.out(),
            "Using the TPC-H data already in {} ({} rows; delete the file to regenerate)",
            path.display(),
            thousands(total)
        )?;
    } else if present == 0 {
        writeln!(
            session.out(),
            "Generating TPC-H data at scale factor {} into {} ...",
            args.scale_factor,
            path.display()
        )?;
        session.flush()?;
        let start = Instant::now();
        tpch::generate(&db, args.scale_factor)?;
        let elapsed = start.elapsed();
        let total: u64 = tpch::row_counts(&db)
            .iter()
            .filter_map(|(_, rows)| *rows)
            .sum();
        writeln!(
            session.out(),
            "Generated {} rows in {} tables in {}",
            thousands(total),
            counts.len(),
            format_duration(elapsed)
        )?;
    } else {
        let missing: Vec<&str> = counts
            .iter()
            .filter(|(_, rows)| rows.is_none())
            .map(|(t, _)| *t)
            .collect();
        return usage_err!(
            "{} has some TPC-H tables but not {}: delete it or choose another file",
            path.display(),
            missing.join(", ")
        );
    }

    for (name, title, sql) in QUERIES {
        writeln!(session.out(), "\nTPC-H {name}: {title}")?;
        session.flush()?;
        batch::run_text(&mut session, sql)?;
    }
    writeln!(
        session.out(),
        "\nExplore the data yourself: grizzly {}",
        path.display()
    )?;
    session.flush()
}
