//! COPY: CSV files in and out.
//!
//! Reading parses each field straight into a typed column (no per-field allocation for
//! numbers and dates); a malformed field is an error naming the file, line and column, and
//! nothing of the load is kept. Fields follow RFC 4180 quoting; an unquoted field equal to the
//! NULL string (empty by default) is NULL. A trailing delimiter at the end of every line (as in
//! TPC-H `.tbl` files) is accepted.

use crate::result::QueryResult;
use grizzly_ir::{CopyOptions, DataType, TableMeta, Value};
use grizzly_runtime::exec::keys::KeyStore;
use grizzly_runtime::{Error, Result, Vector};
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::Path;

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

/// Reads a CSV file into one vector per table column.
pub fn read_csv(path: &Path, meta: &TableMeta, options: &CopyOptions) -> Result<Vec<Vector>> {
    let file = std::fs::File::open(path).map_err(io_err(format!(
        "cannot open {} for COPY FROM",
        path.display()
    )))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let mut builders: Vec<ColumnParser> = meta
        .columns
        .iter()
        .map(|c| ColumnParser::new(c.ty))
        .collect();
    let mut record = Vec::new();
    let mut fields: Vec<(usize, usize, bool)> = Vec::new();
    let mut line_no = 0u64;
    let mut header_skipped = !options.header;
    loop {
        record.clear();
        let start_line = line_no + 1;
        if !read_record(&mut reader, &mut record, options.quote, &mut line_no)
            .map_err(io_err(format!("cannot read {}", path.display())))?
        {
            break;
        }
        if !header_skipped {
            header_skipped = true;
            continue;
        }
        if record.is_empty() {
            continue;
        }
        let at = |col: usize, msg: String| {
            Error::Execution(format!(
                "{}:{start_line}: column {col}: {msg}",
                path.display()
            ))
        };
        let text = std::str::from_utf8(&record).map_err(|_| at(1, "invalid UTF-8".into()))?;
        split_fields(text, options.delimiter, options.quote, &mut fields)
            .map_err(|m| at(fields.len() + 1, m))?;
        let n = meta.columns.len();
        if fields.len() == n + 1 && fields[n].1 == fields[n].0 && !fields[n].2 {
            fields.pop(); // trailing delimiter
        }
        if fields.len() != n {
            return Err(at(
                fields.len().min(n) + 1,
                format!("expected {n} fields, found {}", fields.len()),
            ));
        }
        for (c, &(s, e, quoted)) in fields.iter().enumerate() {
            let raw = &text[s..e];
            let field = if quoted {
                unquote(raw, options.quote)
            } else {
                std::borrow::Cow::Borrowed(raw)
            };
            let is_null = !quoted && raw == options.null;
            builders[c]
                .push(if is_null { None } else { Some(&field) })
                .map_err(|m| at(c + 1, format!("{m} (column \"{}\")", meta.columns[c].name)))?;
        }
    }
    Ok(builders.into_iter().map(ColumnParser::finish).collect())
}

/// Reads one record (which may span lines inside quotes) without the line terminator.
fn read_record(
    reader: &mut impl BufRead,
    out: &mut Vec<u8>,
    quote: u8,
    line_no: &mut u64,
) -> std::io::Result<bool> {
    let mut in_quotes = false;
    let mut any = false;
    loop {
        let start = out.len();
        let n = reader.read_until(b'\n', out)?;
        if n == 0 {
            return Ok(any);
        }
        any = true;
        *line_no += 1;
        for &b in &out[start..] {
            if b == quote {
                in_quotes = !in_quotes;
            }
        }
        if !in_quotes {
            if out.last() == Some(&b'\n') {
                out.pop();
                if out.last() == Some(&b'\r') {
                    out.pop();
                }
            }
            return Ok(true);
        }
    }
}

/// Splits a record into (start, end, quoted) byte ranges; quoted ranges exclude the quotes.
fn split_fields(
    text: &str,
    delim: u8,
    quote: u8,
    out: &mut Vec<(usize, usize, bool)>,
) -> Result<(), String> {
    out.clear();
    let b = text.as_bytes();
    let mut i = 0;
    loop {
        if i < b.len() && b[i] == quote {
            let start = i + 1;
            let mut j = start;
            loop {
                if j >= b.len() {
                    return Err("unterminated quoted field".into());
                }
                if b[j] == quote {
                    if j + 1 < b.len() && b[j + 1] == quote {
                        j += 2;
                        continue;
                    }
                    break;
                }
                j += 1;
            }
            out.push((start, j, true));
            i = j + 1;
            if i < b.len() && b[i] != delim {
                return Err("unexpected character after a quoted field".into());
            }
        } else {
            let start = i;
            while i < b.len() && b[i] != delim {
                i += 1;
            }
            out.push((start, i, false));
        }
        if i >= b.len() {
            return Ok(());
        }
        i += 1; // the delimiter
        if i == b.len() {
            out.push((i, i, false));
            return Ok(());
        }
    }
}

fn unquote(raw: &str, quote: u8) -> std::borrow::Cow<'_, str> {
    let q = quote as char;
    let doubled: String = [q, q].iter().collect();
    if raw.contains(&doubled) {
        std::borrow::Cow::Owned(raw.replace(&doubled, &q.to_string()))
    } else {
        std::borrow::Cow::Borrowed(raw)
    }
}

/// Parses text fields of one column into typed storage.
struct ColumnParser {
    ty: DataType,
    store: KeyStore,
}

impl ColumnParser {
    fn new(ty: DataType) -> ColumnParser {
        ColumnParser {
            ty,
            store: KeyStore::new(ty),
        }
    }

    fn push(&mut self, field: Option<&str>) -> Result<(), String> {
        let Some(text) = field else {
            self.store.push_null();
            return Ok(());
        };
        let value = parse_field(text, self.ty)?;
        if !self.store.push_value(&value) {
            return Err(format!("value {text:?} does not fit {}", self.ty));
        }
        Ok(())
    }

    fn finish(self) -> Vector {
        self.store.finish()
    }
}

/// Parses one CSV field as a value of `ty`.
pub fn parse_field(text: &str, ty: DataType) -> Result<Value, String> {
    let t = text.trim();
    let bad = || format!("invalid input for type {ty}: {text:?}");
    Ok(match ty {
        DataType::Boolean => match t.to_ascii_lowercase().as_str() {
            "t" | "true" | "1" | "yes" | "y" | "on" => Value::Boolean(true),
            "f" | "false" | "0" | "no" | "n" | "off" => Value::Boolean(false),
            _ => return Err(bad()),
        },
        DataType::Int32 => Value::Int32(t.parse().map_err(|_| bad())?),
        DataType::Int64 => Value::Int64(t.parse().map_err(|_| bad())?),
        DataType::Float64 => Value::Float64(t.parse().map_err(|_| bad())?),
        DataType::Date => Value::Date(grizzly_ir::date::parse_date(t).ok_or_else(bad)?),
        DataType::Decimal { precision, scale } => {
            let v = parse_decimal(t, scale).ok_or_else(bad)?;
            let limit = grizzly_ir::types::pow10(precision).unwrap_or(i128::MAX);
            if v.abs() >= limit {
                return Err(format!("value {text:?} is out of range for {ty}"));
            }
            Value::Decimal(v, scale)
        }
        DataType::Varchar => Value::Varchar(text.to_string()),
        other => return Err(format!("cannot load values of type {other}")),
    })
}

/// Parses a decimal literal into an unscaled integer at `scale`, rounding half away from zero.
pub fn parse_decimal(t: &str, scale: u8) -> Option<i128> {
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
pub fn write_csv(path: &Path, result: &QueryResult, options: &CopyOptions) -> Result<()> {
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
    for row in result.rows() {
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
    fn fields_split_with_quotes() {
        let mut f = Vec::new();
        split_fields(r#"a,"b,""c""",,d"#, b',', b'"', &mut f).unwrap();
        let text = r#"a,"b,""c""",,d"#;
        let got: Vec<String> = f
            .iter()
            .map(|&(s, e, q)| {
                if q {
                    unquote(&text[s..e], b'"').into_owned()
                } else {
                    text[s..e].to_string()
                }
            })
            .collect();
        assert_eq!(got, vec!["a", "b,\"c\"", "", "d"]);
        assert!(split_fields(r#""open"#, b',', b'"', &mut f).is_err());
    }
}
