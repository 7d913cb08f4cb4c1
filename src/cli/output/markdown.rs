//! Markdown output: a GitHub-flavored table, its columns padded to line up.
//!
//! ```text
//! |  id | name |
//! |----:|------|
//! |   1 | a    |
//! |   2 | NULL |
//! ```
//!
//! Numbers are right-aligned (`---:`). A `|` in a cell is escaped as `\|` and a line break
//! becomes `<br>`, so each row stays one line.

use grizzly::{QueryResult, Value};
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, result: &QueryResult) -> io::Result<()> {
    let names: Vec<String> = result.columns().iter().map(|c| cell(&c.name)).collect();
    let right: Vec<bool> = result.columns().iter().map(|c| c.ty.is_numeric()).collect();
    let rows: Vec<Vec<String>> = result
        .rows()
        .map(|row| {
            row.values()
                .into_iter()
                .map(|v| match v {
                    Value::Varchar(s) => cell(&s),
                    other => cell(&other.to_string()),
                })
                .collect()
        })
        .collect();
    write_grid(out, &names, &right, &rows)
}

/// Writes the table; `right[i]` right-aligns column `i`.
fn write_grid(
    out: &mut dyn Write,
    names: &[String],
    right: &[bool],
    rows: &[Vec<String>],
) -> io::Result<()> {
    // At least 3 wide, so the separator has room for `---` (and `--:`).
    let mut widths: Vec<usize> = names.iter().map(|n| width(n).max(3)).collect();
    for row in rows {
        for (w, c) in widths.iter_mut().zip(row) {
            *w = (*w).max(width(c));
        }
    }
    let line = |cells: &[String]| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .zip(right)
            .map(|((c, &w), &r)| {
                let pad = " ".repeat(w - width(c));
                if r {
                    format!("{pad}{c}")
                } else {
                    format!("{c}{pad}")
                }
            })
            .collect();
        format!("| {} |", padded.join(" | "))
    };
    writeln!(out, "{}", line(names))?;
    let rules: Vec<String> = widths
        .iter()
        .zip(right)
        .map(|(&w, &r)| {
            if r {
                format!("{}:", "-".repeat(w + 1))
            } else {
                "-".repeat(w + 2)
            }
        })
        .collect();
    writeln!(out, "|{}|", rules.join("|"))?;
    for row in rows {
        writeln!(out, "{}", line(row))?;
    }
    Ok(())
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// A cell's text: `|` escaped, line breaks as `<br>`, other control characters as spaces.
fn cell(text: &str) -> String {
    let mut s = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '|' => s.push_str("\\|"),
            '\r' if chars.peek() == Some(&'\n') => {}
            '\n' | '\r' => s.push_str("<br>"),
            c if c.is_control() => s.push(' '),
            c => s.push(c),
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table() {
        let mut out = Vec::new();
        let names = vec!["id".to_string(), "name".to_string()];
        let rows = vec![
            vec!["1".to_string(), cell("a|b")],
            vec!["22".to_string(), cell("x\r\ny")],
        ];
        write_grid(&mut out, &names, &[true, false], &rows).unwrap();
        let expected = "\
|  id | name   |
|----:|--------|
|   1 | a\\|b   |
|  22 | x<br>y |
";
        assert_eq!(String::from_utf8(out).unwrap(), expected);
    }
}
