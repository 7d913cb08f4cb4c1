//! COPY: CSV and JSON files in and out, and `read_csv` with type inference.
//!
//! Reading parses each field straight into a typed column (no per-field allocation for
//! numbers and dates); a malformed field is an error naming the file, line and column, and
//! nothing of the load is kept. Fields follow RFC 4180 quoting; an unquoted field equal to the
//! NULL string (empty by default) is NULL. A trailing delimiter at the end of every line (as in
//! TPC-H `.tbl` files) is accepted.

use crate::result::QueryResult;
use grizzly_ir::{ColumnMeta, CopyOptions, DataType, TableMeta, Value};
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

/// Reads a JSON file into one vector per table column: JSON lines (one object per line) or
/// one JSON array of objects. Keys are column names (a missing key is NULL, keys that name no
/// column are ignored); numbers keep their exact text (so decimals load exactly). A bad line
/// is an error naming the file, the line and the column (or the character, for bad JSON).
pub fn read_json(path: &Path, meta: &TableMeta) -> Result<Vec<Vector>> {
    let text = std::fs::read_to_string(path).map_err(io_err(format!(
        "cannot read {} for COPY FROM",
        path.display()
    )))?;
    let mut builders: Vec<ColumnParser> = meta
        .columns
        .iter()
        .map(|c| ColumnParser::new(c.ty))
        .collect();
    let syntax = |p: &JsonScan, msg: &str| {
        let (line, ch) = p.position();
        Error::Execution(format!(
            "{}:{line}: invalid JSON at character {ch}: {msg}",
            path.display()
        ))
    };
    let mut push_object = |line: usize, fields: Vec<(String, JsonField)>| -> Result<()> {
        for (c, col) in meta.columns.iter().enumerate() {
            let field = match fields.iter().rev().find(|(k, _)| *k == col.name) {
                None | Some((_, JsonField::Null)) => None,
                Some((_, JsonField::Str(s))) => Some(s.as_str()),
                Some((_, JsonField::Nested(v))) if col.ty != DataType::Varchar => {
                    return Err(Error::Execution(format!(
                        "{}:{line}: column {}: invalid input for type {}: {v} (column \"{}\")",
                        path.display(),
                        c + 1,
                        col.ty,
                        col.name
                    )))
                }
                Some((_, JsonField::Raw(v) | JsonField::Nested(v))) => Some(*v),
            };
            builders[c].push(field).map_err(|m| {
                Error::Execution(format!(
                    "{}:{line}: column {}: {m} (column \"{}\")",
                    path.display(),
                    c + 1,
                    col.name
                ))
            })?;
        }
        Ok(())
    };
    if text.trim_start().starts_with('[') {
        let mut p = JsonScan::new(&text);
        p.ws();
        p.i += 1; // [
        p.ws();
        if p.peek() == Some(b']') {
            p.i += 1;
        } else {
            loop {
                p.ws();
                let line = p.position().0;
                let fields = p.object().map_err(|m| syntax(&p, &m))?;
                push_object(line, fields)?;
                p.ws();
                match p.peek() {
                    Some(b',') => p.i += 1,
                    Some(b']') => {
                        p.i += 1;
                        break;
                    }
                    _ => return Err(syntax(&p, "expected ',' or ']'")),
                }
            }
        }
        p.ws();
        if p.i < text.len() {
            return Err(syntax(&p, "unexpected text after the array"));
        }
    } else {
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let mut p = JsonScan::new(line);
            p.line0 = n;
            p.ws();
            let fields = p.object().map_err(|m| syntax(&p, &m))?;
            p.ws();
            if p.i < line.len() {
                return Err(syntax(&p, "unexpected text after the object"));
            }
            push_object(n + 1, fields)?;
        }
    }
    Ok(builders.into_iter().map(ColumnParser::finish).collect())
}

/// A JSON value as COPY FROM needs it: the text of scalars, nested values as JSON text.
enum JsonField<'a> {
    Null,
    Str(String),
    /// A number, `true` or `false`, as written.
    Raw(&'a str),
    /// An object or array, as written.
    Nested(&'a str),
}

/// A small scanner for the objects of a JSON file (strings are unescaped by serde_json).
struct JsonScan<'a> {
    src: &'a str,
    s: &'a [u8],
    i: usize,
    /// Lines before `src` in the file.
    line0: usize,
}

impl<'a> JsonScan<'a> {
    fn new(src: &'a str) -> Self {
        JsonScan {
            src,
            s: src.as_bytes(),
            i: 0,
            line0: 0,
        }
    }

    /// 1-based (line, character) of the current position.
    fn position(&self) -> (usize, usize) {
        let before = &self.src[..self.i.min(self.src.len())];
        let line = self.line0 + before.matches('\n').count() + 1;
        let ch = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, ch)
    }

    fn peek(&self) -> Option<u8> {
        self.s.get(self.i).copied()
    }

    fn ws(&mut self) {
        while self.peek().is_some_and(|b| b.is_ascii_whitespace()) {
            self.i += 1;
        }
    }

    fn object(&mut self) -> Result<Vec<(String, JsonField<'a>)>, String> {
        if self.peek() != Some(b'{') {
            return Err("expected a JSON object".into());
        }
        self.i += 1;
        let mut fields = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(fields);
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err("expected a key".into());
            }
            let key = self.string()?;
            self.ws();
            if self.peek() != Some(b':') {
                return Err("expected ':'".into());
            }
            self.i += 1;
            self.ws();
            let value = self.value()?;
            fields.push((key, value));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    return Ok(fields);
                }
                _ => return Err("expected ',' or '}'".into()),
            }
        }
    }

    /// The end (exclusive) of the string starting at `self.i`.
    fn string_end(&self) -> Result<usize, String> {
        let mut j = self.i + 1;
        while j < self.s.len() {
            match self.s[j] {
                b'\\' => j += 2,
                b'"' => return Ok(j + 1),
                _ => j += 1,
            }
        }
        Err("unterminated string".into())
    }

    fn string(&mut self) -> Result<String, String> {
        let end = self.string_end()?;
        let s = serde_json::from_str(&self.src[self.i..end]).map_err(|e| e.to_string())?;
        self.i = end;
        Ok(s)
    }

    fn value(&mut self) -> Result<JsonField<'a>, String> {
        match self.peek() {
            Some(b'"') => Ok(JsonField::Str(self.string()?)),
            Some(b'{' | b'[') => {
                let start = self.i;
                let mut depth = 0usize;
                while self.i < self.s.len() {
                    match self.s[self.i] {
                        b'"' => {
                            self.i = self.string_end()?;
                            continue;
                        }
                        b'{' | b'[' => depth += 1,
                        b'}' | b']' => {
                            depth -= 1;
                            if depth == 0 {
                                self.i += 1;
                                break;
                            }
                        }
                        _ => {}
                    }
                    self.i += 1;
                }
                let text = &self.src[start..self.i];
                serde_json::from_str::<serde_json::Value>(text).map_err(|e| e.to_string())?;
                Ok(JsonField::Nested(text))
            }
            _ => {
                let start = self.i;
                while self
                    .peek()
                    .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
                {
                    self.i += 1;
                }
                let text = &self.src[start..self.i];
                match text {
                    "null" => Ok(JsonField::Null),
                    _ if serde_json::from_str::<serde_json::Number>(text).is_ok()
                        || text == "true"
                        || text == "false" =>
                    {
                        Ok(JsonField::Raw(text))
                    }
                    _ => {
                        self.i = start;
                        Err(format!("expected a value, found {text:?}"))
                    }
                }
            }
        }
    }
}

/// Writes a result as JSON lines: one object per row, keyed by column name. Numbers (decimals
/// exactly) are JSON numbers, dates and strings JSON strings, NULL `null`; a non-finite DOUBLE
/// is written as a string (`"NaN"`, `"Infinity"`).
pub fn write_json(path: &Path, result: &QueryResult) -> Result<()> {
    let file = std::fs::File::create(path).map_err(io_err(format!(
        "cannot create {} for COPY TO",
        path.display()
    )))?;
    let mut w = BufWriter::new(file);
    let keys: Vec<String> = result
        .columns()
        .iter()
        .map(|c| serde_json::to_string(&c.name).expect("strings serialize"))
        .collect();
    let mut text = String::new();
    for row in result.rows() {
        text.push('{');
        for (c, v) in row.values().into_iter().enumerate() {
            if c > 0 {
                text.push(',');
            }
            text.push_str(&keys[c]);
            text.push(':');
            match v {
                Value::Null => text.push_str("null"),
                Value::Boolean(b) => text.push_str(if b { "true" } else { "false" }),
                Value::Int32(_) | Value::Int64(_) | Value::Decimal(..) => {
                    text.push_str(&v.to_string())
                }
                Value::Float64(f) if f.is_finite() => text.push_str(&v.to_string()),
                Value::Varchar(s) => {
                    text.push_str(&serde_json::to_string(&s).expect("strings serialize"))
                }
                other => text.push_str(
                    &serde_json::to_string(&other.to_string()).expect("strings serialize"),
                ),
            }
        }
        text.push_str("}\n");
        if text.len() > 1 << 16 {
            w.write_all(text.as_bytes())
                .map_err(io_err(format!("cannot write {}", path.display())))?;
            text.clear();
        }
    }
    w.write_all(text.as_bytes())
        .map_err(io_err(format!("cannot write {}", path.display())))?;
    w.flush()
        .map_err(io_err(format!("cannot write {}", path.display())))
}

/// `read_csv('path')`: reads a CSV file (delimiter `,`, quote `"`, empty field = NULL),
/// inferring each column's type from every value (BOOLEAN, BIGINT, DOUBLE, DATE, else VARCHAR)
/// and whether the first line is a header (it is when some column's first value does not fit
/// the type the other rows give it, or when every column is VARCHAR). Without a header the
/// columns are named `column0`, `column1`, ...
pub fn read_csv_auto(path: &Path) -> Result<(Vec<ColumnMeta>, Vec<Vector>)> {
    let file = std::fs::File::open(path).map_err(io_err(format!(
        "cannot open {} for read_csv",
        path.display()
    )))?;
    let mut reader = BufReader::with_capacity(1 << 20, file);
    let quote = b'"';
    let mut records: Vec<(u64, Vec<Option<String>>)> = Vec::new();
    let mut record = Vec::new();
    let mut fields = Vec::new();
    let mut line_no = 0u64;
    loop {
        record.clear();
        let start_line = line_no + 1;
        if !read_record(&mut reader, &mut record, quote, &mut line_no)
            .map_err(io_err(format!("cannot read {}", path.display())))?
        {
            break;
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
        split_fields(text, b',', quote, &mut fields).map_err(|m| at(fields.len() + 1, m))?;
        let row: Vec<Option<String>> = fields
            .iter()
            .map(|&(s, e, quoted)| {
                let raw = &text[s..e];
                if quoted {
                    Some(unquote(raw, quote).into_owned())
                } else if raw.is_empty() {
                    None
                } else {
                    Some(raw.to_string())
                }
            })
            .collect();
        if let Some((_, first)) = records.first() {
            if row.len() != first.len() {
                return Err(at(
                    row.len().min(first.len()) + 1,
                    format!("expected {} fields, found {}", first.len(), row.len()),
                ));
            }
        }
        records.push((start_line, row));
    }
    let Some((_, first)) = records.first() else {
        return Err(Error::Execution(format!(
            "{}: read_csv: the file is empty",
            path.display()
        )));
    };
    let width = first.len();
    let infer = |rows: &[(u64, Vec<Option<String>>)], c: usize| -> DataType {
        let mut candidates = vec![
            DataType::Boolean,
            DataType::Int64,
            DataType::Float64,
            DataType::Date,
        ];
        for (_, r) in rows {
            if let Some(v) = &r[c] {
                candidates.retain(|&ty| fits(v, ty));
            }
        }
        candidates.first().copied().unwrap_or(DataType::Varchar)
    };
    let body_types: Vec<DataType> = (0..width).map(|c| infer(&records[1..], c)).collect();
    let header = records.len() > 1
        && (body_types.iter().all(|&t| t == DataType::Varchar)
            || (0..width).any(|c| {
                body_types[c] != DataType::Varchar
                    && records[0].1[c]
                        .as_deref()
                        .is_some_and(|v| !fits(v, body_types[c]))
            }))
        && records[0].1.iter().all(Option::is_some);
    let (names, types, body): (Vec<String>, Vec<DataType>, &[(u64, Vec<Option<String>>)]) =
        if header {
            let mut names: Vec<String> = Vec::with_capacity(width);
            for (c, n) in records[0].1.iter().enumerate() {
                let mut name = n.clone().unwrap_or_default();
                if name.is_empty() || names.contains(&name) {
                    name = format!("column{c}");
                }
                names.push(name);
            }
            (names, body_types, &records[1..])
        } else {
            let types = (0..width).map(|c| infer(&records, c)).collect();
            (
                (0..width).map(|c| format!("column{c}")).collect(),
                types,
                &records[..],
            )
        };
    let mut builders: Vec<ColumnParser> = types.iter().map(|&t| ColumnParser::new(t)).collect();
    for (line, row) in body {
        for (c, v) in row.iter().enumerate() {
            builders[c].push(v.as_deref()).map_err(|m| {
                Error::Execution(format!("{}:{line}: column {}: {m}", path.display(), c + 1))
            })?;
        }
    }
    let columns = names
        .into_iter()
        .zip(&types)
        .map(|(name, &ty)| ColumnMeta {
            name,
            ty,
            nullable: true,
        })
        .collect();
    Ok((
        columns,
        builders.into_iter().map(ColumnParser::finish).collect(),
    ))
}

/// True if `text` reads as a value of `ty` for type inference (booleans only as true/false,
/// dates only as `YYYY-MM-DD`).
fn fits(text: &str, ty: DataType) -> bool {
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

    #[test]
    fn inference_fits() {
        assert!(fits("12", DataType::Int64));
        assert!(!fits("1.5", DataType::Int64));
        assert!(fits("1.5", DataType::Float64));
        assert!(fits("2024-02-29", DataType::Date));
        assert!(!fits("yes", DataType::Boolean));
    }
}
