//! Splits SQL text into statements on `;`, and picks out dot commands between them.
//!
//! The scanner knows just enough SQL lexing to find the `;` that end statements: `'...'`
//! strings (with `''` escapes), `"..."` identifiers (with `""` escapes), `-- ...` line comments
//! and `/* ... */` block comments (nested, as in PostgreSQL). Dollar-quoted strings
//! (`$$...$$`) and backslash escapes in `E'...'` strings are not understood.

/// One unit of input: a SQL statement or a dot command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece<'a> {
    /// A statement's text, trimmed, without its terminating `;`. Never empty.
    Statement(&'a str),
    /// A dot command line, trimmed (starts with `.`).
    Command(&'a str),
}

/// The result of [`scan`].
#[derive(Debug, PartialEq, Eq)]
pub struct Scan<'a> {
    /// Complete pieces, in order.
    pub pieces: Vec<Piece<'a>>,
    /// Input after the last complete piece that is more than whitespace and comments: a
    /// statement missing its `;`, or an unterminated string or comment. `None` when the input
    /// ends on a statement boundary.
    pub pending: Option<&'a str>,
}

/// Splits `text` into statements. With `dot_commands`, a line whose first non-blank character
/// is `.` and which starts between statements is a [`Piece::Command`] (the whole line).
/// Statements made only of whitespace and comments (`;;`) are dropped.
pub fn scan(text: &str, dot_commands: bool) -> Scan<'_> {
    let bytes = text.as_bytes();
    let mut pieces = Vec::new();
    // Start of the current statement; `None` between statements.
    let mut start: Option<usize> = None;
    // Between statements: whether only whitespace came since the last newline.
    let mut at_line_start = true;
    // Where an unterminated comment began, when it began between statements.
    let mut open_comment: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        match b {
            b'\n' => {
                at_line_start = true;
                i += 1;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                at_line_start = false;
                i = skip_line_comment(bytes, i);
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                at_line_start = false;
                match skip_block_comment(bytes, i) {
                    Some(end) => i = end,
                    None => {
                        if start.is_none() {
                            open_comment = Some(i);
                        }
                        i = bytes.len();
                    }
                }
            }
            b'\'' | b'"' => {
                start.get_or_insert(i);
                at_line_start = false;
                i = skip_quoted(bytes, i);
            }
            b';' => {
                if let Some(s) = start.take() {
                    pieces.push(Piece::Statement(text[s..i].trim()));
                }
                at_line_start = false;
                i += 1;
            }
            b'.' if dot_commands && start.is_none() && at_line_start => {
                let end = text[i..].find('\n').map_or(text.len(), |n| i + n);
                pieces.push(Piece::Command(text[i..end].trim()));
                i = end;
            }
            _ => {
                start.get_or_insert(i);
                at_line_start = false;
                i += 1;
            }
        }
    }
    let pending = match (start, open_comment) {
        (Some(s), _) | (None, Some(s)) => Some(text[s..].trim()),
        (None, None) => None,
    };
    Scan { pieces, pending }
}

/// The first keyword of a statement, lowercased, skipping comments and opening parentheses:
/// `"(SELECT 1)"` gives `"select"`. Empty if the statement has no word.
pub fn first_keyword(sql: &str) -> String {
    let bytes = sql.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b if b.is_ascii_whitespace() || b == b'(' => i += 1,
            b'-' if bytes.get(i + 1) == Some(&b'-') => i = skip_line_comment(bytes, i),
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = skip_block_comment(bytes, i).unwrap_or(bytes.len())
            }
            _ => break,
        }
    }
    let rest = &sql[i..];
    let end = rest
        .find(|c: char| !c.is_alphanumeric() && c != '_')
        .unwrap_or(rest.len());
    rest[..end].to_ascii_lowercase()
}

/// Index just past the `--` comment starting at `i` (at its newline, or the end).
fn skip_line_comment(bytes: &[u8], i: usize) -> usize {
    bytes[i..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(bytes.len(), |n| i + n)
}

/// Index just past the (possibly nested) block comment starting at `i`; `None` if it never
/// ends.
fn skip_block_comment(bytes: &[u8], mut i: usize) -> Option<usize> {
    let mut depth = 0usize;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return Some(i);
            }
        } else {
            i += 1;
        }
    }
    None
}

/// Index just past the quoted string or identifier starting at `i` (a doubled quote is an
/// escaped quote); the end of the input if it is unterminated.
fn skip_quoted(bytes: &[u8], i: usize) -> usize {
    let quote = bytes[i];
    let mut j = i + 1;
    while j < bytes.len() {
        if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    bytes.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statements(text: &str) -> Vec<&str> {
        scan(text, false)
            .pieces
            .into_iter()
            .map(|p| match p {
                Piece::Statement(s) => s,
                Piece::Command(c) => panic!("unexpected command {c}"),
            })
            .collect()
    }

    #[test]
    fn splits_on_semicolons_outside_quotes_and_comments() {
        let text = "select 'a;b''c;'; select \"x;\"\"y\" from t -- no; split\n;\
                    /* a; /* nested; */ b; */ select 1;";
        assert_eq!(
            statements(text),
            vec![
                "select 'a;b''c;'",
                "select \"x;\"\"y\" from t -- no; split",
                "select 1"
            ]
        );
    }

    #[test]
    fn empty_statements_are_dropped() {
        assert_eq!(
            statements(" ;; -- c\n; /* d */ ;select 1;"),
            vec!["select 1"]
        );
    }

    #[test]
    fn pending_text() {
        assert_eq!(scan("select 1; select", false).pending, Some("select"));
        assert_eq!(scan("select 1; -- done", false).pending, None);
        assert_eq!(scan("select 1;\n  ", false).pending, None);
        assert_eq!(scan("select 'a;", false).pending, Some("select 'a;"));
        assert_eq!(scan("/* open; ", false).pending, Some("/* open;"));
        assert_eq!(
            scan("select 1 /* x */", false).pending,
            Some("select 1 /* x */")
        );
    }

    #[test]
    fn dot_commands_between_statements() {
        let text = "select 1;\n  .tables\nselect\n.5;\n.timer on\nselect 2; .mode csv";
        let scanned = scan(text, true);
        assert_eq!(
            scanned.pieces,
            vec![
                Piece::Statement("select 1"),
                Piece::Command(".tables"),
                Piece::Statement("select\n.5"),
                Piece::Command(".timer on"),
                Piece::Statement("select 2"),
            ]
        );
        // Only at the start of a line: this one is (bad) SQL.
        assert_eq!(scanned.pending, Some(".mode csv"));
    }

    #[test]
    fn first_keywords() {
        assert_eq!(first_keyword("  -- c\n/* d */ ((SELECT 1))"), "select");
        assert_eq!(first_keyword("Insert into t values (1)"), "insert");
        assert_eq!(first_keyword(""), "");
    }
}
