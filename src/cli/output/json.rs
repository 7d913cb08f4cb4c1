//! JSON output: an array with one object per row, keyed by column name, one row per line.
//! Numbers (decimals with their scale) are JSON numbers, dates and text are strings, NULL is
//! `null`. A NaN or infinite DOUBLE has no JSON number and is written as `null`, as
//! JavaScript's `JSON.stringify` does.

use grizzly::{QueryResult, Value};
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, result: &QueryResult) -> io::Result<()> {
    if result.row_count() == 0 {
        return writeln!(out, "[]");
    }
    let keys: Vec<String> = result.columns().iter().map(|c| string(&c.name)).collect();
    writeln!(out, "[")?;
    let mut line = String::new();
    for (index, row) in result.rows().enumerate() {
        line.clear();
        line.push_str("  ");
        object(&mut line, &keys, row.values());
        if index + 1 < result.row_count() {
            line.push(',');
        }
        writeln!(out, "{line}")?;
    }
    writeln!(out, "]")
}

/// JSON Lines: one object per row, one per line, nothing for no rows.
pub fn write_lines(out: &mut dyn Write, result: &QueryResult) -> io::Result<()> {
    let keys: Vec<String> = result.columns().iter().map(|c| string(&c.name)).collect();
    let mut line = String::new();
    for row in result.rows() {
        line.clear();
        object(&mut line, &keys, row.values());
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// Appends `{"key":value,...}` to `line`.
fn object(line: &mut String, keys: &[String], values: Vec<Value>) {
    line.push('{');
    for (col, value) in values.into_iter().enumerate() {
        if col > 0 {
            line.push(',');
        }
        line.push_str(&keys[col]);
        line.push(':');
        line.push_str(&json_value(&value));
    }
    line.push('}');
}

fn json_value(value: &Value) -> String {
    match value {
        Value::Null => "null".to_string(),
        Value::Float64(f) if !f.is_finite() => "null".to_string(),
        Value::Boolean(_)
        | Value::Int32(_)
        | Value::Int64(_)
        | Value::Float64(_)
        | Value::Decimal(..) => value.to_string(),
        Value::Varchar(s) => string(s),
        other => string(&other.to_string()),
    }
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
fn string(text: &str) -> String {
    let mut s = String::with_capacity(text.len() + 2);
    s.push('"');
    for c in text.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            '\u{8}' => s.push_str("\\b"),
            '\u{c}' => s.push_str("\\f"),
            c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
            c => s.push(c),
        }
    }
    s.push('"');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping() {
        assert_eq!(string("a\"b\\c\nd\u{1}é"), "\"a\\\"b\\\\c\\nd\\u0001é\"");
    }

    #[test]
    fn values() {
        assert_eq!(json_value(&Value::Decimal(-5, 2)), "-0.05");
        assert_eq!(json_value(&Value::Float64(f64::NAN)), "null");
        assert_eq!(json_value(&Value::Float64(1.5)), "1.5");
        assert_eq!(json_value(&Value::Boolean(true)), "true");
        assert_eq!(json_value(&Value::Date(0)), "\"1970-01-01\"");
        assert_eq!(json_value(&Value::Null), "null");
    }
}
