//! CSV output (RFC 4180 quoting, `\n` line ends): a header row of column names, then one
//! line per row. NULL is an empty field; an empty string is `""` so the two stay distinct.

use grizzly::{QueryResult, Value};
use std::io::{self, Write};

pub fn write(out: &mut dyn Write, result: &QueryResult) -> io::Result<()> {
    let names: Vec<String> = result.columns().iter().map(|c| field(&c.name)).collect();
    writeln!(out, "{}", names.join(","))?;
    let mut line = String::new();
    for row in result.rows() {
        line.clear();
        for (col, value) in row.values().into_iter().enumerate() {
            if col > 0 {
                line.push(',');
            }
            match value {
                Value::Null => {}
                Value::Varchar(s) => line.push_str(&field(&s)),
                other => line.push_str(&field(&other.to_string())),
            }
        }
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// One CSV field: quoted (with doubled quotes) when it holds a delimiter, quote or line break,
/// or is empty.
fn field(text: &str) -> String {
    if text.is_empty() || text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn quoting() {
        assert_eq!(field("plain"), "plain");
        assert_eq!(field(""), "\"\"");
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("two\nlines"), "\"two\nlines\"");
    }
}
