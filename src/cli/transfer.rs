//! `grizzly import` and `grizzly export`: move data between files and a database.
//!
//! Both are spelled as the SQL a user could type, and run through the same statements:
//! - import into an existing table: `COPY t FROM 'file' (FORMAT ..., HEADER, DELIMITER ...)`,
//!   which appends;
//! - import into a new table: `CREATE TABLE t AS SELECT * FROM read_csv('file', ...)` (or
//!   `read_parquet`, `read_json`), which infers the column types;
//! - export: `COPY (query) TO 'file' (FORMAT ...)`.
//!
//! Either way a bad file changes nothing: the load is one statement, committed only whole.

use crate::cli::app::open_database;
use crate::cli::args::{ExportArgs, FileFormat, ImportArgs};
use crate::cli::engine;
use crate::cli::error::{usage_err, Result};
use crate::cli::session::guarded;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// `grizzly import FILE --table T [options] DB`.
pub fn import(args: &ImportArgs) -> Result<()> {
    let format = args
        .format
        .unwrap_or_else(|| FileFormat::from_extension(&args.file));
    check_text_options(format, args.delimiter, args.header().is_some())?;
    grizzly::set_progress_bars(!args.quiet);
    let db = open_database(Some(&args.database))?;
    let (_, config) = crate::cli::config::load(args.config.as_deref())?;
    engine::apply(&db, &config, &args.engine, &|_| {})?;
    let (table_sql, table_name) = identifier(&args.table);
    let exists = db.store().snapshot().table(&table_name).is_some();
    let file = sql_string(&args.file.display().to_string());
    let sql = if exists {
        let mut options = vec![format!("FORMAT {}", format.name())];
        if format == FileFormat::Csv {
            let header = match args.header() {
                Some(h) => h,
                None => {
                    let columns =
                        guarded(|| db.query(&format!("SELECT * FROM {table_sql} LIMIT 0")))?;
                    let names: Vec<&str> =
                        columns.columns().iter().map(|c| c.name.as_str()).collect();
                    first_line_is(&args.file, args.delimiter.unwrap_or(','), &names)
                }
            };
            if header {
                options.push("HEADER".into());
            }
            if let Some(d) = args.delimiter {
                options.push(format!("DELIMITER {}", sql_string(&d.to_string())));
            }
        }
        format!("COPY {table_sql} FROM {file} ({})", options.join(", "))
    } else {
        let call = match format {
            FileFormat::Csv => {
                let mut call = format!("read_csv({file}");
                if let Some(d) = args.delimiter {
                    call.push_str(&format!(", delim = {}", sql_string(&d.to_string())));
                }
                if let Some(h) = args.header() {
                    call.push_str(&format!(", header = {h}"));
                }
                call + ")"
            }
            FileFormat::Parquet => format!("read_parquet({file})"),
            FileFormat::Json => format!("read_json({file})"),
        };
        format!("CREATE TABLE {table_sql} AS SELECT * FROM {call}")
    };
    let rows = guarded(|| db.execute(&sql))?;
    if !args.quiet {
        let what = if exists { "into" } else { "into new table" };
        eprintln!(
            "Imported {rows} rows {what} {table_name} from {}",
            args.file.display()
        );
    }
    Ok(())
}

/// `grizzly export SQL --output FILE [options] DB`.
pub fn export(args: &ExportArgs) -> Result<()> {
    let format = args
        .format
        .unwrap_or_else(|| FileFormat::from_extension(&args.output));
    check_text_options(format, args.delimiter, args.no_header)?;
    grizzly::set_progress_bars(!args.quiet);
    let db = open_database(Some(&args.database))?;
    let (_, config) = crate::cli::config::load(args.config.as_deref())?;
    engine::apply(&db, &config, &args.engine, &|_| {})?;
    let query = args.query.trim().trim_end_matches(';').trim();
    if query.is_empty() {
        return usage_err!("export needs a query (or a table name) to write");
    }
    // A lone name exports that table.
    let query = if query.chars().all(|c| c.is_alphanumeric() || c == '_') {
        format!("SELECT * FROM {query}")
    } else {
        query.to_string()
    };
    let mut options = vec![format!("FORMAT {}", format.name())];
    if format == FileFormat::Csv {
        if !args.no_header {
            options.push("HEADER".into());
        }
        if let Some(d) = args.delimiter {
            options.push(format!("DELIMITER {}", sql_string(&d.to_string())));
        }
    }
    let sql = format!(
        "COPY ({query}) TO {} ({})",
        sql_string(&args.output.display().to_string()),
        options.join(", ")
    );
    let rows = guarded(|| db.execute(&sql))?;
    if !args.quiet {
        eprintln!("Exported {rows} rows to {}", args.output.display());
    }
    Ok(())
}

/// Delimiters and headers are for CSV only.
fn check_text_options(format: FileFormat, delimiter: Option<char>, header: bool) -> Result<()> {
    if format != FileFormat::Csv && (delimiter.is_some() || header) {
        return usage_err!(
            "--delimiter and header options apply to CSV files, not {}",
            format.name()
        );
    }
    if delimiter.is_some_and(|d| !d.is_ascii() || d == '"' || d == '\n' || d == '\r') {
        return usage_err!(
            "the delimiter must be one ASCII character other than '\"' and newlines"
        );
    }
    Ok(())
}

/// A table name as SQL text and as stored: a plain name folds to lower case as in SQL; any
/// other is quoted and kept as written.
fn identifier(name: &str) -> (String, String) {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if plain {
        let folded = name.to_ascii_lowercase();
        (folded.clone(), folded)
    } else {
        (
            format!("\"{}\"", name.replace('"', "\"\"")),
            name.to_string(),
        )
    }
}

/// A SQL string literal.
fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// True if the first line of a CSV file holds exactly `names` (any case, quotes removed): a
/// header written by `export` or another database.
fn first_line_is(path: &Path, delimiter: char, names: &[&str]) -> bool {
    let Ok(file) = std::fs::File::open(path) else {
        return false; // COPY reports the missing file
    };
    let mut line = String::new();
    if BufReader::new(file.take(1 << 20))
        .read_line(&mut line)
        .is_err()
    {
        return false;
    }
    let fields: Vec<&str> = line
        .trim_end_matches(['\n', '\r'])
        .split(delimiter)
        .map(|f| f.trim().trim_matches('"'))
        .collect();
    fields.len() == names.len()
        && fields
            .iter()
            .zip(names)
            .all(|(f, n)| f.eq_ignore_ascii_case(n))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_fold_or_quote() {
        assert_eq!(
            identifier("LineItem"),
            ("lineitem".into(), "lineitem".into())
        );
        assert_eq!(
            identifier("my table"),
            ("\"my table\"".into(), "my table".into())
        );
        assert_eq!(sql_string("it's"), "'it''s'");
    }
}
