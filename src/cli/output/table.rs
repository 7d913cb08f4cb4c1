//! Table output, boxed like DuckDB's shell:
//!
//! ```text
//! ┌─────────┬─────────┐
//! │   id    │  name   │
//! │ integer │ varchar │
//! ├─────────┼─────────┤
//! │       1 │ a       │
//! │       2 │ NULL    │
//! └─────────┴─────────┘
//! (2 rows)
//! ```
//!
//! Names and types are centered, numbers right-aligned, everything else left-aligned.
//! Control characters in text are shown escaped (`\n`) so rows stay one line high. Widths
//! count characters, so wide (CJK) characters misalign. Given a width (the terminal's), the
//! widest columns are narrowed until the table fits, their long cells cut with `…`.

use grizzly::{QueryResult, Value};
use std::io::{self, Write};

/// A column heading.
pub struct Header {
    pub name: String,
    /// The type line under the name; the line is left out when no column has one.
    pub ty: Option<String>,
    pub right_align: bool,
}

/// Cells ready to print: `rows` may hold only some of `total_rows` (the first and last
/// halves), with an elision marker between the halves.
pub struct Grid {
    pub headers: Vec<Header>,
    pub rows: Vec<Vec<String>>,
    pub total_rows: usize,
}

/// Columns are not narrowed below this many characters to fit a width.
const MIN_COLUMN_WIDTH: usize = 5;

/// Writes a query result as a table of at most `max_rows` rows, at most `max_width`
/// characters wide when the columns can be narrowed that far.
pub fn write(
    out: &mut dyn Write,
    result: &QueryResult,
    max_rows: Option<usize>,
    max_width: Option<usize>,
) -> io::Result<()> {
    let headers = result
        .columns()
        .iter()
        .map(|c| Header {
            name: c.name.clone(),
            ty: Some(c.ty.to_string().to_lowercase()),
            right_align: c.ty.is_numeric(),
        })
        .collect();
    let total = result.row_count();
    let shown: Vec<usize> = match max_rows {
        Some(max) if total > max => {
            let head = max.div_ceil(2);
            (0..head).chain(total - (max - head)..total).collect()
        }
        _ => (0..total).collect(),
    };
    let rows = shown
        .into_iter()
        .map(|r| {
            (0..result.columns().len())
                .map(|c| cell(&result.value(r, c)))
                .collect()
        })
        .collect();
    Grid {
        headers,
        rows,
        total_rows: total,
    }
    .write_within(out, max_width)
}

/// How a value reads in a table cell.
fn cell(value: &Value) -> String {
    match value {
        Value::Varchar(s) => escape_controls(s),
        other => other.to_string(),
    }
}

fn escape_controls(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_string();
    }
    let mut s = String::with_capacity(text.len() + 2);
    for c in text.chars() {
        match c {
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            c if c.is_control() => s.push_str(&format!("\\u{{{:x}}}", c as u32)),
            c => s.push(c),
        }
    }
    s
}

impl Grid {
    pub fn write(&self, out: &mut dyn Write) -> io::Result<()> {
        self.write_within(out, None)
    }

    /// Writes the table, narrowing columns to fit `max_width` characters if given.
    pub fn write_within(&self, out: &mut dyn Write, max_width: Option<usize>) -> io::Result<()> {
        if self.headers.is_empty() {
            return writeln!(out, "(no columns)");
        }
        let truncated = self.rows.len() < self.total_rows;
        let mut widths: Vec<usize> = self
            .headers
            .iter()
            .map(|h| width(&h.name).max(h.ty.as_deref().map_or(0, width)))
            .collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(width(cell));
            }
        }
        if truncated {
            for w in &mut widths {
                *w = (*w).max(1);
            }
        }
        if let Some(max_width) = max_width {
            fit(&mut widths, max_width);
        }

        rule(out, &widths, '┌', '┬', '┐')?;
        let names: Vec<String> = self
            .headers
            .iter()
            .zip(&widths)
            .map(|(h, &w)| center(&cut(&h.name, w), w))
            .collect();
        line(out, &names)?;
        if self.headers.iter().any(|h| h.ty.is_some()) {
            let types: Vec<String> = self
                .headers
                .iter()
                .zip(&widths)
                .map(|(h, &w)| center(&cut(h.ty.as_deref().unwrap_or(""), w), w))
                .collect();
            line(out, &types)?;
        }
        if !self.rows.is_empty() {
            rule(out, &widths, '├', '┼', '┤')?;
        }
        let head = if truncated {
            self.rows.len().div_ceil(2)
        } else {
            self.rows.len()
        };
        for (index, row) in self.rows.iter().enumerate() {
            if truncated && index == head {
                let dots: Vec<String> = widths.iter().map(|&w| center("…", w)).collect();
                line(out, &dots)?;
            }
            let cells: Vec<String> = row
                .iter()
                .zip(&self.headers)
                .zip(&widths)
                .map(|((c, h), &w)| {
                    let c = cut(c, w);
                    if h.right_align {
                        pad_left(&c, w)
                    } else {
                        pad_right(&c, w)
                    }
                })
                .collect();
            line(out, &cells)?;
        }
        rule(out, &widths, '└', '┴', '┘')?;
        let plural = if self.total_rows == 1 { "row" } else { "rows" };
        if truncated {
            writeln!(
                out,
                "({} {plural}, {} shown)",
                self.total_rows,
                self.rows.len()
            )
        } else {
            writeln!(out, "({} {plural})", self.total_rows)
        }
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

/// Narrows the widest columns (not below [`MIN_COLUMN_WIDTH`]) until the table, borders
/// included, is at most `max_width` wide: every column wider than some cap gets the cap, the
/// largest cap that fits.
fn fit(widths: &mut [usize], max_width: usize) {
    let total = |cap: usize| -> usize { widths.iter().map(|&w| w.min(cap)).sum() };
    // `│ a │ b │`: three characters per column and one more.
    let budget = max_width.saturating_sub(3 * widths.len() + 1);
    let widest = widths.iter().copied().max().unwrap_or(0);
    if total(widest) <= budget {
        return;
    }
    let (mut low, mut high) = (MIN_COLUMN_WIDTH, widest);
    if total(low) > budget {
        high = low;
    }
    // The largest cap in [low, high] whose total fits (low if none does).
    while low < high {
        let mid = (low + high).div_ceil(2);
        if total(mid) <= budget {
            low = mid;
        } else {
            high = mid - 1;
        }
    }
    for w in widths {
        *w = (*w).min(low);
    }
}

/// `text` cut to `w` characters, its last one `…` if anything was cut.
fn cut(text: &str, w: usize) -> std::borrow::Cow<'_, str> {
    if width(text) <= w {
        return text.into();
    }
    let mut s: String = text.chars().take(w.saturating_sub(1)).collect();
    s.push('…');
    s.into()
}

fn rule(
    out: &mut dyn Write,
    widths: &[usize],
    left: char,
    mid: char,
    right: char,
) -> io::Result<()> {
    let parts: Vec<String> = widths.iter().map(|&w| "─".repeat(w + 2)).collect();
    writeln!(out, "{left}{}{right}", parts.join(&mid.to_string()))
}

fn line(out: &mut dyn Write, cells: &[String]) -> io::Result<()> {
    writeln!(out, "│ {} │", cells.join(" │ "))
}

fn center(text: &str, w: usize) -> String {
    let pad = w.saturating_sub(width(text));
    format!("{}{text}{}", " ".repeat(pad / 2), " ".repeat(pad - pad / 2))
}

fn pad_left(text: &str, w: usize) -> String {
    format!("{}{text}", " ".repeat(w.saturating_sub(width(text))))
}

fn pad_right(text: &str, w: usize) -> String {
    format!("{text}{}", " ".repeat(w.saturating_sub(width(text))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: Vec<Vec<&str>>, total_rows: usize) -> String {
        grid_within(rows, total_rows, None)
    }

    fn grid_within(rows: Vec<Vec<&str>>, total_rows: usize, max_width: Option<usize>) -> String {
        let headers = vec![
            Header {
                name: "id".into(),
                ty: Some("integer".into()),
                right_align: true,
            },
            Header {
                name: "name".into(),
                ty: Some("varchar".into()),
                right_align: false,
            },
        ];
        let rows = rows
            .into_iter()
            .map(|r| r.into_iter().map(String::from).collect())
            .collect();
        let mut out = Vec::new();
        Grid {
            headers,
            rows,
            total_rows,
        }
        .write_within(&mut out, max_width)
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn aligned_box() {
        let expected = "\
┌─────────┬─────────┐
│   id    │  name   │
│ integer │ varchar │
├─────────┼─────────┤
│       1 │ a       │
│      22 │ NULL    │
└─────────┴─────────┘
(2 rows)
";
        assert_eq!(grid(vec![vec!["1", "a"], vec!["22", "NULL"]], 2), expected);
    }

    #[test]
    fn empty_and_truncated() {
        let empty = "\
┌─────────┬─────────┐
│   id    │  name   │
│ integer │ varchar │
└─────────┴─────────┘
(0 rows)
";
        assert_eq!(grid(vec![], 0), empty);
        let out = grid(vec![vec!["1", "a"], vec!["9", "z"]], 9);
        assert!(out.contains("│    …    │    …    │\n"), "{out}");
        assert!(out.ends_with("(9 rows, 2 shown)\n"), "{out}");
    }

    #[test]
    fn wide_tables_fit_the_width() {
        let long = "a very long name that does not fit";
        let out = grid_within(vec![vec!["1", long]], 1, Some(30));
        for line in out.lines() {
            assert!(width(line) <= 30, "{line:?} in\n{out}");
        }
        assert!(out.contains("│       1 │ a very long nam… │"), "{out}");
        // Narrow enough, nothing changes.
        assert_eq!(
            grid_within(vec![vec!["1", "a"]], 1, Some(80)),
            grid(vec![vec!["1", "a"]], 1)
        );
        // Too narrow for even the smallest columns: they stop at the minimum.
        let out = grid_within(vec![vec!["12345678", long]], 1, Some(5));
        assert!(out.contains("│ 1234… │ a ve… │"), "{out}");
    }

    #[test]
    fn cutting() {
        assert_eq!(cut("abcdef", 4), "abc…");
        assert_eq!(cut("abc", 4), "abc");
        let mut widths = vec![7, 40, 3];
        fit(&mut widths, 40);
        assert_eq!(widths, vec![7, 20, 3]);
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("a\nb\tc"), "a\\nb\\tc");
        assert_eq!(escape_controls("plain"), "plain");
    }
}
