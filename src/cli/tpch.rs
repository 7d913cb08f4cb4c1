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
    guarded(|| grizzly::tpch::generate_tpch(db, scale_factor))
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
    let mut groups: Vec<&str> = Vec::new();
    let mut end = digits.len();
    while end > 3 {
        groups.push(&digits[end - 3..end]);
        end -= 3;
    }
    groups.push(&digits[..end]);
    groups.reverse();
    groups.join(",")
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
