//! Result formats: one module per format, each writing a [`QueryResult`] to a byte sink.

mod csv;
mod json;
mod markdown;
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
    /// JSON Lines: one JSON object per row, one per line.
    Jsonl,
    /// A GitHub-flavored Markdown table.
    Markdown,
}

impl Format {
    /// Parses a format name (`.mode` argument), case-insensitively.
    pub fn parse(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "table" | "box" => Some(Format::Table),
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "jsonl" | "ndjson" => Some(Format::Jsonl),
            "markdown" | "md" => Some(Format::Markdown),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
            Format::Markdown => "markdown",
        }
    }
}

/// Writes `result` in `format`. In table format at most `max_rows` rows are shown (the first
/// and last halves), all of them when `None`, and the table is at most `max_width`
/// characters wide when it can be (long cells are cut with `…`).
pub fn write_result(
    out: &mut dyn Write,
    format: Format,
    result: &QueryResult,
    max_rows: Option<usize>,
    max_width: Option<usize>,
) -> io::Result<()> {
    match format {
        Format::Table => table::write(out, result, max_rows, max_width),
        Format::Csv => csv::write(out, result),
        Format::Json => json::write(out, result),
        Format::Jsonl => json::write_lines(out, result),
        Format::Markdown => markdown::write(out, result),
    }
}
