//! COPY: files in and out of tables, and the `read_csv` / `read_parquet` / `read_json` table
//! functions with type inference.
//!
//! [`read_table_file`] loads a file for `COPY table FROM` in the statement's format (CSV through
//! [`crate::import::csv`], JSON lines through [`crate::import::json`], Parquet through
//! [`crate::import::parquet`]); [`write_result`] writes a query result for `COPY ... TO`.
//! A malformed field is an error naming the file, line and column, and nothing of the load is
//! kept: the caller appends only after the whole file has been read.

use crate::import::csv::{self, CsvFormat, Problem};
use crate::import::json;
use crate::import::parquet;
use crate::import::progress::{Progress, Unit};
use crate::result::QueryResult;
use grizzly_ir::statement::CopyFormat;
use grizzly_ir::{ColumnMeta, CopyOptions, DataType, TableMeta, Value};
use grizzly_runtime::exec::kernels::cast_value;
use grizzly_runtime::exec::keys::KeyStore;
use grizzly_runtime::{Error, Result, Vector};
use std::io::{BufWriter, Read, Write};
use std::path::Path;

/// Rows between progress updates when writing.
const PROGRESS_ROWS: usize = 1 << 16;

/// Records of a file that `read_csv` looks at to infer types and the header.
const SAMPLE_BYTES: usize = 1 << 20;

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

/// `COPY table FROM path`: reads the file into one vector per column of `meta`.
pub(crate) fn read_table_file(
    path: &Path,
    meta: &TableMeta,
    options: &CopyOptions,
) -> Result<Vec<Vector>> {
    let label = format!("COPY {} FROM {}", meta.name, path.display());
    match options.format {
        CopyFormat::Json => json::read_json(path, meta),
        CopyFormat::Parquet => {
            let (columns, data) = parquet::read_parquet(path, &label)?;
            conform(path, meta, columns, data)
        }
        _ => read_csv(path, meta, options, &label),
    }
}

/// `COPY ... TO path`: writes a query result in the statement's format.
pub(crate) fn write_result(path: &Path, result: &QueryResult, options: &CopyOptions) -> Result<()> {
    let label = format!("COPY TO {}", path.display());
    match options.format {
        CopyFormat::Json => json::write_json(path, result),
        CopyFormat::Parquet => parquet::write_parquet(path, result, &label),
        _ => write_csv(
            path,
            result,
            options,
            &mut Progress::new(label, result.row_count() as u64, Unit::Rows),
        ),
    }
}

/// Matches columns read from a self-describing file (Parquet) to a table's, by position,
/// converting values whose type differs with the rules of CAST.
fn conform(
    path: &Path,
    meta: &TableMeta,
    columns: Vec<ColumnMeta>,
    data: Vec<Vector>,
) -> Result<Vec<Vector>> {
    if columns.len() != meta.columns.len() {
        return Err(Error::Execution(format!(
            "{}: the file has {} columns, table \"{}\" has {}",
            path.display(),
            columns.len(),
            meta.name,
            meta.columns.len()
        )));
    }
    let mut out = Vec::with_capacity(data.len());
    for ((from, v), to) in columns.iter().zip(data).zip(&meta.columns) {
        if from.ty == to.ty {
            out.push(v);
            continue;
        }
        let mut store = KeyStore::new(to.ty);
        for i in 0..v.len() {
            let value = cast_value(&v.get(i), to.ty).map_err(|e| {
                Error::Execution(format!(
                    "{}: row {}: column \"{}\" ({} in the file): {e}",
                    path.display(),
                    i + 1,
                    to.name,
                    from.ty
                ))
            })?;
            if !store.push_value(&value) {
                return Err(Error::Execution(format!(
                    "{}: row {}: column \"{}\": {value} does not fit {}",
                    path.display(),
                    i + 1,
                    to.name,
                    to.ty
                )));
            }
        }
        out.push(store.finish());
    }
    Ok(out)
}

/// Reads a CSV file into one vector per table column.
fn read_csv(
    path: &Path,
    meta: &TableMeta,
    options: &CopyOptions,
    label: &str,
) -> Result<Vec<Vector>> {
    let format = CsvFormat {
        delimiter: options.delimiter,
        quote: options.quote,
        null: options.null.clone(),
        header: options.header,
    };
    let types: Vec<DataType> = meta.columns.iter().map(|c| c.ty).collect();
    let names: Vec<String> = meta.columns.iter().map(|c| c.name.clone()).collect();
    read_csv_typed(path, &format, &types, &names, label).map_err(|e| match e {
        Ok(problem) => problem_error(path, &problem, &names),
        Err(e) => e,
    })
}

fn read_csv_typed(
    path: &Path,
    format: &CsvFormat,
    types: &[DataType],
    names: &[String],
    label: &str,
) -> std::result::Result<Vec<Vector>, std::result::Result<Problem, Error>> {
    let size = std::fs::metadata(path).map_or(0, |m| m.len());
    let mut progress = Progress::new(label, size, Unit::Bytes);
    csv::read(path, format, types, names, &mut progress)
}

/// `path:line: column c: message`, with the column's name for a bad value.
fn problem_error(path: &Path, p: &Problem, names: &[String]) -> Error {
    let name = if p.bad_value {
        names
            .get(p.column - 1)
            .map(|n| format!(" (column \"{n}\")"))
            .unwrap_or_default()
    } else {
        String::new()
    };
    Error::Execution(format!(
        "{}:{}: column {}: {}{name}",
        path.display(),
        p.line,
        p.column,
        p.message
    ))
}

/// Parses a decimal literal into an unscaled integer at `scale`, rounding half away from zero.
pub(crate) fn parse_decimal(t: &str, scale: u8) -> Option<i128> {
    let (neg, digits) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if (int.is_empty() && frac.is_empty())
        || !int.bytes().all(|b| b.is_ascii_digit())
        || !frac.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let mut v: i128 = 0;
    for b in int.bytes() {
        v = v.checked_mul(10)?.checked_add((b - b'0') as i128)?;
    }
    let fb = frac.as_bytes();
    for k in 0..scale as usize {
        let d = fb.get(k).map_or(0, |b| (b - b'0') as i128);
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    if fb.get(scale as usize).is_some_and(|&b| b >= b'5') {
        v = v.checked_add(1)?;
    }
    Some(if neg { -v } else { v })
}

/// Writes a result as CSV.
fn write_csv(
    path: &Path,
    result: &QueryResult,
    options: &CopyOptions,
    progress: &mut Progress,
) -> Result<()> {
    let file = std::fs::File::create(path).map_err(io_err(format!(
        "cannot create {} for COPY TO",
        path.display()
    )))?;
    let mut w = BufWriter::new(file);
    let delim = options.delimiter as char;
    let write_err = io_err(format!("cannot write {}", path.display()));
    let mut text = String::new();
    if options.header {
        let names: Vec<String> = result
            .columns()
            .iter()
            .map(|c| quote_field(&c.name, options))
            .collect();
        text.push_str(&names.join(&delim.to_string()));
        text.push('\n');
    }
    for (r, row) in result.rows().enumerate() {
        if r % PROGRESS_ROWS == 0 {
            progress.set(r as u64);
        }
        for (c, v) in row.values().into_iter().enumerate() {
            if c > 0 {
                text.push(delim);
            }
            match v {
                Value::Null => text.push_str(&options.null),
                Value::Varchar(s) => text.push_str(&quote_field(&s, options)),
                other => text.push_str(&other.to_string()),
            }
        }
        text.push('\n');
        if text.len() > 1 << 16 {
            w.write_all(text.as_bytes())
                .map_err(io_err(format!("cannot write {}", path.display())))?;
            text.clear();
        }
    }
    w.write_all(text.as_bytes())
        .map_err(io_err(format!("cannot write {}", path.display())))?;
    w.flush().map_err(write_err)
}

fn quote_field(s: &str, options: &CopyOptions) -> String {
    let q = options.quote as char;
    let needs = s.is_empty() && options.null.is_empty()
        || s.contains(options.delimiter as char)
        || s.contains(q)
        || s.contains('\n')
        || s.contains('\r');
    if needs {
        format!("{q}{}{q}", s.replace(q, &format!("{q}{q}")))
    } else {
        s.to_string()
    }
}

/// Options of `read_csv`: the delimiter and quote, and whether the first line is a header
/// (`None`: guess).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CsvAutoOptions {
    pub delimiter: u8,
    pub quote: u8,
    pub header: Option<bool>,
}

impl Default for CsvAutoOptions {
    fn default() -> Self {
        CsvAutoOptions {
            delimiter: b',',
            quote: b'"',
            header: None,
        }
    }
}

/// `read_csv('path')`: reads a CSV file (empty unquoted field = NULL), inferring each column's
/// type (BOOLEAN, BIGINT, DOUBLE, DATE, else VARCHAR) from the first mebibyte of records and
/// whether the first line is a header (it is when some column's first value does not fit the
/// type the other rows give it, or when every column is VARCHAR). A later value that does not
/// fit its column's type widens the type (BIGINT to DOUBLE, anything to VARCHAR) and the file is
/// read again. Without a header the columns are named `column0`, `column1`, ...
pub(crate) fn read_csv_auto(
    path: &Path,
    options: &CsvAutoOptions,
) -> Result<(Vec<ColumnMeta>, Vec<Vector>)> {
    let (names, mut types, header) = sniff(path, options)?;
    let format = CsvFormat {
        delimiter: options.delimiter,
        quote: options.quote,
        null: String::new(),
        header,
    };
    let label = format!("read_csv {}", path.display());
    loop {
        match read_csv_typed(path, &format, &types, &names, &label) {
            Ok(data) => {
                let columns = names
                    .into_iter()
                    .zip(types)
                    .map(|(name, ty)| ColumnMeta {
                        name,
                        ty,
                        nullable: true,
                    })
                    .collect();
                return Ok((columns, data));
            }
            Err(Ok(p)) if p.bad_value && types[p.column - 1] != DataType::Varchar => {
                let c = p.column - 1;
                types[c] = match types[c] {
                    DataType::Int64 => DataType::Float64,
                    _ => DataType::Varchar,
                };
            }
            Err(Ok(p)) => return Err(problem_error(path, &p, &names)),
            Err(Err(e)) => return Err(e),
        }
    }
}

/// Column names, types and whether there is a header, from the start of a CSV file.
fn sniff(path: &Path, options: &CsvAutoOptions) -> Result<(Vec<String>, Vec<DataType>, bool)> {
    let mut sample = Vec::new();
    let file = std::fs::File::open(path).map_err(io_err(format!(
        "cannot open {} for read_csv",
        path.display()
    )))?;
    file.take(SAMPLE_BYTES as u64)
        .read_to_end(&mut sample)
        .map_err(io_err(format!("cannot read {}", path.display())))?;
    if sample.len() == SAMPLE_BYTES {
        // Whole records only (a record longer than the sample is kept whole).
        if let Some(end) = csv::record_boundary(&sample, options.quote) {
            sample.truncate(end);
        }
    }
    let width = csv::first_record_width(&sample, options.delimiter, options.quote);
    let Some(width) = width else {
        return Err(Error::Execution(format!(
            "{}: read_csv: the file is empty",
            path.display()
        )));
    };
    let format = CsvFormat {
        delimiter: options.delimiter,
        quote: options.quote,
        null: String::new(),
        header: false,
    };
    let texts = vec![DataType::Varchar; width];
    let (parts, _) = csv::parse_chunk(&sample, &format, &texts, false).map_err(|p| {
        let names: Vec<String> = (0..width).map(|c| format!("column{c}")).collect();
        problem_error(path, &p, &names)
    })?;
    let records: Vec<Vector> = parts
        .into_iter()
        .map(|p| crate::import::column::concat(DataType::Varchar, vec![p], ""))
        .collect::<Result<_>>()?;
    let rows = records[0].len();
    let value = |c: usize, r: usize| -> Option<String> {
        match records[c].get(r) {
            Value::Varchar(s) => Some(s),
            _ => None,
        }
    };
    let infer = |from: usize, c: usize| -> DataType {
        let mut candidates = vec![
            DataType::Boolean,
            DataType::Int64,
            DataType::Float64,
            DataType::Date,
        ];
        let mut any = false;
        for r in from..rows {
            if let Some(v) = value(c, r) {
                any = true;
                candidates.retain(|&ty| fits(&v, ty));
            }
        }
        match candidates.first() {
            Some(&ty) if any => ty,
            _ => DataType::Varchar,
        }
    };
    let body_types: Vec<DataType> = (0..width).map(|c| infer(1, c)).collect();
    let header = options.header.unwrap_or_else(|| {
        rows > 1
            && (body_types.iter().all(|&t| t == DataType::Varchar)
                || (0..width).any(|c| {
                    body_types[c] != DataType::Varchar
                        && value(c, 0).is_some_and(|v| !fits(&v, body_types[c]))
                }))
            && (0..width).all(|c| value(c, 0).is_some())
    });
    if header {
        let mut names: Vec<String> = Vec::with_capacity(width);
        for c in 0..width {
            let mut name = value(c, 0).unwrap_or_default();
            if name.is_empty() || names.contains(&name) {
                name = format!("column{c}");
            }
            names.push(name);
        }
        Ok((names, body_types, true))
    } else {
        let types = (0..width).map(|c| infer(0, c)).collect();
        Ok((
            (0..width).map(|c| format!("column{c}")).collect(),
            types,
            false,
        ))
    }
}

/// True if `text` reads as a value of `ty` for type inference (booleans only as true/false,
/// dates only as `YYYY-MM-DD`).
pub(crate) fn fits(text: &str, ty: DataType) -> bool {
    let t = text.trim();
    match ty {
        DataType::Boolean => t.eq_ignore_ascii_case("true") || t.eq_ignore_ascii_case("false"),
        DataType::Int64 => t.parse::<i64>().is_ok(),
        DataType::Float64 => t.parse::<f64>().is_ok() && t.bytes().any(|b| b.is_ascii_digit()),
        DataType::Date => {
            t.len() == 10
                && t.as_bytes()[4] == b'-'
                && t.as_bytes()[7] == b'-'
                && grizzly_ir::date::parse_date(t).is_some()
        }
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_parse_and_round() {
        assert_eq!(parse_decimal("12.345", 2), Some(1235));
        assert_eq!(parse_decimal("-0.5", 0), Some(-1));
        assert_eq!(parse_decimal("7", 2), Some(700));
        assert_eq!(parse_decimal("1.2.3", 2), None);
        assert_eq!(parse_decimal("", 2), None);
    }

    #[test]
    fn inference_fits() {
        assert!(fits("12", DataType::Int64));
        assert!(!fits("1.5", DataType::Int64));
        assert!(fits("1.5", DataType::Float64));
        assert!(fits("2024-02-29", DataType::Date));
        assert!(!fits("yes", DataType::Boolean));
    }
}
