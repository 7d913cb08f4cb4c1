//! Result formats: one module per format, each writing a [`QueryResult`] to a byte sink.

mod csv;
mod json;
mod table;

pub use table::{Grid, Header};

use grizzly::QueryResult;
use std::io::{self, Write};

/// How query results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned columns in a box, with names, types and a row count.
    Table,
    /// RFC 4180 CSV with a header row; NULL is an empty field.
    Csv,
    /// A JSON array with one object per row.
    Json,
}

impl Format {
    /// Parses a format name (`.mode` argument), case-insensitively.
    pub fn parse(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "table" | "box" => Some(Format::Table),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
        }
    }
}

/// Writes `result` in `format`. In table format at most `max_rows` rows are shown (the first
/// and last halves), all of them when `None`.
pub fn write_result(
    out: &mut dyn Write,
    format: Format,
    result: &QueryResult,
    max_rows: Option<usize>,
) -> io::Result<()> {
    match format {
        Format::Table => table::write(out, result, max_rows),
        Format::Csv => csv::write(out, result),
        Format::Json => json::write(out, result),
    }
}
