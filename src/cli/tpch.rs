//! The TPC-H data set as the tool sees it: generating it and counting its rows.

use crate::cli::error::{Error, Result};
use crate::cli::session::{guarded, single_count};
use grizzly::Database;

/// The eight TPC-H tables, smallest first.
pub const TABLES: [&str; 8] = [
    "region", "nation", "supplier", "customer", "part", "partsupp", "orders", "lineitem",
];

/// Creates and fills the eight TPC-H tables in `db`.
pub fn generate(db: &Database, scale_factor: f64) -> Result<()> {
    guarded(|| generate_tpch(db, scale_factor))
}

// Stands in for the library's generator until `lib.rs` exports it.
fn generate_tpch(_db: &Database, _scale_factor: f64) -> grizzly::Result<()> {
    Err(grizzly::Error::Unsupported(
        "TPC-H generation is not available yet".to_string(),
    ))
}

/// Each TPC-H table's row count, `None` for a table that does not exist.
pub fn row_counts(db: &Database) -> Vec<(&'static str, Option<u64>)> {
    TABLES
        .iter()
        .map(|&table| (table, count_rows(db, table).ok()))
        .collect()
}

fn count_rows(db: &Database, table: &str) -> Result<u64> {
    let result = guarded(|| db.query(&format!("SELECT count(*) FROM {table}")))?;
    single_count(&result)
        .ok_or_else(|| Error::Usage(format!("count(*) of {table} is not a single count")))
}

/// `6001215` as `6,001,215`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::thousands;

    #[test]
    fn digit_groups() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(6_001_215), "6,001,215");
    }
}
