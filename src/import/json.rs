//! JSON in and out for COPY: JSON lines (one object per line) or one JSON array of objects
//! when reading, JSON lines when writing; and `read_json` with type inference.

use super::column::{self, ColumnParts};
use crate::result::QueryResult;
use grizzly_ir::{ColumnMeta, DataType, TableMeta, Value};
use grizzly_runtime::{Error, Result, Vector};
use std::io::{BufWriter, Write};
use std::path::Path;

fn io_err(context: String) -> impl FnOnce(std::io::Error) -> Error {
    move |source| Error::Io { context, source }
}

/// Reads a JSON file into one vector per table column: JSON lines (one object per line) or
/// one JSON array of objects. Keys are column names (a missing key is NULL, keys that name no
/// column are ignored); numbers keep their exact text (so decimals load exactly). A bad line
/// is an error naming the file, the line and the column (or the character, for bad JSON).
pub(crate) fn read_json(path: &Path, meta: &TableMeta) -> Result<Vec<Vector>> {
    let text = read_text(path)?;
    let mut builders: Vec<ColumnParts> = meta
        .columns
        .iter()
        .map(|c| ColumnParts::new(c.ty))
        .collect();
    for_each_object(path, &text, |line, fields| {
        for (c, col) in meta.columns.iter().enumerate() {
            let at = |m: String| {
                Error::Execution(format!(
                    "{}:{line}: column {}: {m} (column \"{}\")",
                    path.display(),
                    c + 1,
                    col.name
                ))
            };
            let field = match fields.iter().rev().find(|(k, _)| *k == col.name) {
                None | Some((_, JsonField::Null)) => None,
                Some((_, JsonField::Str(s))) => Some(s.as_str()),
                Some((_, JsonField::Nested(v))) if col.ty != DataType::Varchar => {
                    return Err(at(format!("invalid input for type {}: {v}", col.ty)))
                }
                Some((_, JsonField::Raw(v) | JsonField::Nested(v))) => Some(*v),
            };
            match field {
                None => builders[c].push_null(),
                Some(text) => builders[c].push_text(text).map_err(at)?,
            }
        }
        Ok(())
    })?;
    meta.columns
        .iter()
        .zip(builders)
        .map(|(col, b)| column::concat(col.ty, vec![b], &col.name))
        .collect()
}

/// `read_json('path')`: reads a JSON file as [`read_json`] does, with one column per key (in
/// the order keys first appear) and each column's type inferred from every value: BOOLEAN
/// (`true`/`false`), BIGINT (whole numbers that fit), DOUBLE (other numbers), DATE (strings
/// that are all `YYYY-MM-DD`), else VARCHAR (other strings, objects and arrays as JSON text,
/// and mixtures). A key that is only ever `null` is VARCHAR.
pub(crate) fn read_json_auto(path: &Path) -> Result<(Vec<ColumnMeta>, Vec<Vector>)> {
    let text = read_text(path)?;
    // Per key: the types its values still allow, strongest first.
    let mut keys: Vec<(String, Option<DataType>, bool)> = Vec::new();
    for_each_object(path, &text, |_, fields| {
        for (key, value) in &fields {
            let seen = match value {
                JsonField::Null => None,
                JsonField::Raw("true" | "false") => Some(DataType::Boolean),
                JsonField::Raw(n) if n.parse::<i64>().is_ok() => Some(DataType::Int64),
                JsonField::Raw(_) => Some(DataType::Float64),
                JsonField::Str(s) if crate::copy::fits(s, DataType::Date) => Some(DataType::Date),
                JsonField::Str(_) | JsonField::Nested(_) => Some(DataType::Varchar),
            };
            let slot = match keys.iter().position(|(k, ..)| k == key) {
                Some(i) => i,
                None => {
                    keys.push((key.clone(), None, false));
                    keys.len() - 1
                }
            };
            if let Some(ty) = seen {
                let (_, current, any) = &mut keys[slot];
                *current = Some(match *current {
                    None => ty,
                    Some(c) if c == ty => c,
                    Some(DataType::Int64) if ty == DataType::Float64 => DataType::Float64,
                    Some(DataType::Float64) if ty == DataType::Int64 => DataType::Float64,
                    Some(_) => DataType::Varchar,
                });
                *any = true;
            }
        }
        Ok(())
    })?;
    if keys.is_empty() {
        return Err(Error::Execution(format!(
            "{}: read_json: the file has no keys to make columns of",
            path.display()
        )));
    }
    let columns: Vec<ColumnMeta> = keys
        .into_iter()
        .map(|(name, ty, _)| ColumnMeta {
            name,
            ty: ty.unwrap_or(DataType::Varchar),
            nullable: true,
        })
        .collect();
    let meta = TableMeta {
        name: String::new(),
        columns,
        row_count: 0,
    };
    let data = read_json(path, &meta)?;
    Ok((meta.columns, data))
}

fn read_text(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(io_err(format!("cannot read {}", path.display())))
}

/// Calls `f(line, fields)` for every object of a JSON-lines file or a JSON array of objects.
fn for_each_object<'t>(
    path: &Path,
    text: &'t str,
    mut f: impl FnMut(usize, Vec<(String, JsonField<'t>)>) -> Result<()>,
) -> Result<()> {
    let syntax = |p: &JsonScan, msg: &str| {
        let (line, ch) = p.position();
        Error::Execution(format!(
            "{}:{line}: invalid JSON at character {ch}: {msg}",
            path.display()
        ))
    };
    if text.trim_start().starts_with('[') {
        let mut p = JsonScan::new(text);
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
                f(line, fields)?;
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
            f(n + 1, fields)?;
        }
    }
    Ok(())
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
pub(crate) fn write_json(path: &Path, result: &QueryResult) -> Result<()> {
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
