//! Statements sqlparser does not parse, recognized in the SQL text before parsing, and the
//! database-level copies behind them:
//!
//! - `BACKUP TO 'file'` / `RESTORE FROM 'file'` become [`Statement::Backup`] /
//!   [`Statement::Restore`] ([`backup`], [`restore`] do the copying);
//! - `LOAD {CSV|JSON|PARQUET} 'file' [DELIMITER 'c'] [HEADER] INTO table` becomes
//!   `COPY table FROM 'file' (...)`;
//! - `EXPORT query TO 'file' [(options)]` becomes `COPY (query) TO 'file' (...)` (the format
//!   follows the extension when no options are given: `.json`/`.jsonl`/`.ndjson` JSON lines,
//!   `.parquet` Parquet, otherwise CSV with a header);
//! - `ATTACH ... (READ_ONLY)` and `DETACH [DATABASE] name` are parsed in DuckDB's dialect
//!   (`crate::attach::parse`);
//! - the table functions `read_csv('file' [, delim = 'c'] [, header = true|false])` (also
//!   `read_csv_auto`), `read_parquet('file')` and `read_json('file')` (also `read_json_auto`)
//!   are replaced by the names of temporary tables the caller fills from the files
//!   ([`extract_table_functions`], [`FileTable::load`]).
//!
//! The readers and writers behind COPY live in the submodules: [`csv`] (the parallel CSV
//! parser), [`json`], [`parquet`], with [`column`] (typed column storage they fill) and
//! [`progress`] (terminal progress bars).

pub(crate) mod column;
pub(crate) mod csv;
pub(crate) mod json;
pub(crate) mod parquet;
pub(crate) mod progress;

use crate::copy::CsvAutoOptions;
use grizzly_ir::{ColumnMeta, Statement};
use grizzly_runtime::storage::{Snapshot, Store, WriteTxn};
use grizzly_runtime::Vector;
use grizzly_runtime::{Error, Result};
use std::borrow::Cow;
use std::path::Path;

/// What a recognized statement becomes.
pub(crate) enum Special {
    /// A bound statement to run as is.
    Statement(Statement),
    /// SQL text to run instead.
    Sql(String),
}

/// True if `sql` holds a statement recognized here (so it must be split and rewritten before
/// parsing).
pub(crate) fn needs_rewrite(sql: &str) -> bool {
    split_statements(sql).into_iter().any(|piece| {
        matches!(lex(piece).first(), Some(Tok { kind: Kind::Word(w), .. })
            if matches!(w.as_str(), "backup" | "restore" | "load" | "export" | "attach" | "detach"))
    })
}

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle.as_bytes()))
}

/// Splits SQL text at top-level `;` (not inside strings, quoted names or comments); pieces
/// holding only whitespace are dropped.
pub(crate) fn split_statements(sql: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    scan(sql, |i, b| {
        if b == b';' {
            pieces.push(&sql[start..i]);
            start = i + 1;
        }
    });
    pieces.push(&sql[start..]);
    pieces.retain(|p| !p.trim().is_empty());
    pieces
}

/// Calls `f(offset, byte)` for every byte of `sql` outside string literals, quoted
/// identifiers and comments.
fn scan(sql: &str, mut f: impl FnMut(usize, u8)) {
    let b = sql.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < b.len() {
                    if b[i] == q {
                        if i + 1 < b.len() && b[i + 1] == q {
                            i += 2;
                            continue;
                        }
                        break;
                    }
                    i += 1;
                }
                i += 1;
            }
            b'-' if b.get(i + 1) == Some(&b'-') => {
                while i < b.len() && b[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 2;
            }
            c => {
                f(i, c);
                i += 1;
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Kind {
    /// A keyword or unquoted name, lower-cased.
    Word(String),
    /// A single-quoted string, unescaped.
    Str(String),
    /// A double-quoted name.
    Quoted(String),
    Sym(char),
}

#[derive(Debug, Clone)]
struct Tok {
    kind: Kind,
    start: usize,
    end: usize,
}

/// A small tokenizer: enough for the statements recognized here.
fn lex(sql: &str) -> Vec<Tok> {
    let b = sql.as_bytes();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let start = i;
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c == b'-' && b.get(i + 1) == Some(&b'-') {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < b.len() && !(b[i] == b'*' && b.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i = (i + 2).min(b.len());
        } else if c == b'\'' || c == b'"' {
            let mut text = String::new();
            i += 1;
            let mut seg = i;
            while i < b.len() {
                if b[i] == c {
                    text.push_str(&sql[seg..i]);
                    if b.get(i + 1) == Some(&c) {
                        text.push(c as char);
                        i += 2;
                        seg = i;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            if i >= b.len() {
                text.push_str(&sql[seg.min(b.len())..]);
            }
            i = (i + 1).min(b.len());
            let kind = if c == b'\'' {
                Kind::Str(text)
            } else {
                Kind::Quoted(text)
            };
            toks.push(Tok {
                kind,
                start,
                end: i,
            });
        } else if c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80 {
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] >= 0x80) {
                i += 1;
            }
            toks.push(Tok {
                kind: Kind::Word(sql[start..i].to_lowercase()),
                start,
                end: i,
            });
        } else {
            let ch = sql[i..].chars().next().expect("in bounds");
            i += ch.len_utf8();
            toks.push(Tok {
                kind: Kind::Sym(ch),
                start,
                end: i,
            });
        }
    }
    toks
}

fn syntax(message: impl Into<String>) -> Error {
    Error::Sql(grizzly_ir::Error::Parse {
        message: message.into(),
        location: None,
    })
}

/// A SQL string literal.
fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn word(t: Option<&Tok>, w: &str) -> bool {
    matches!(t, Some(Tok { kind: Kind::Word(x), .. }) if x == w)
}

fn string(t: Option<&Tok>) -> Option<String> {
    match t {
        Some(Tok {
            kind: Kind::Str(s), ..
        }) => Some(s.clone()),
        _ => None,
    }
}

/// Recognizes the statements sqlparser does not parse (see the module docs); `None` for
/// anything else.
pub(crate) fn recognize(piece: &str) -> Result<Option<Special>> {
    let toks = lex(piece);
    let Some(Tok {
        kind: Kind::Word(first),
        ..
    }) = toks.first()
    else {
        return Ok(None);
    };
    match first.as_str() {
        "backup" => {
            let usage = "expected BACKUP TO 'file'";
            if !word(toks.get(1), "to") || toks.len() != 3 {
                return Err(syntax(usage));
            }
            let path = string(toks.get(2)).ok_or_else(|| syntax(usage))?;
            Ok(Some(Special::Statement(Statement::Backup { path })))
        }
        "restore" => {
            let usage = "expected RESTORE FROM 'file'";
            if !word(toks.get(1), "from") || toks.len() != 3 {
                return Err(syntax(usage));
            }
            let path = string(toks.get(2)).ok_or_else(|| syntax(usage))?;
            Ok(Some(Special::Statement(Statement::Restore { path })))
        }
        "load" => load(&toks).map(Some),
        "export" => export(piece, &toks).map(Some),
        "attach" | "detach" => crate::attach::parse(piece).map(|s| Some(Special::Statement(s))),
        _ => Ok(None),
    }
}

/// `LOAD {CSV|JSON|PARQUET} 'file' [DELIMITER 'c'] [HEADER] INTO table`.
fn load(toks: &[Tok]) -> Result<Special> {
    let usage = "expected LOAD CSV 'file' [DELIMITER 'c'] [HEADER] INTO table, \
                 or LOAD JSON|PARQUET 'file' INTO table";
    let format = match toks.get(1).map(|t| &t.kind) {
        Some(Kind::Word(w)) if w == "csv" || w == "json" || w == "parquet" => w.clone(),
        _ => return Err(syntax(usage)),
    };
    let path = string(toks.get(2)).ok_or_else(|| syntax(usage))?;
    let mut options = vec![format!("FORMAT {format}")];
    let mut i = 3;
    loop {
        match toks.get(i).map(|t| &t.kind) {
            Some(Kind::Word(w)) if w == "delimiter" && format == "csv" => {
                let d = string(toks.get(i + 1)).ok_or_else(|| syntax(usage))?;
                options.push(format!("DELIMITER {}", quote(&d)));
                i += 2;
            }
            Some(Kind::Word(w)) if w == "header" && format == "csv" => {
                options.push("HEADER".into());
                i += 1;
            }
            Some(Kind::Word(w)) if w == "into" => break,
            _ => return Err(syntax(usage)),
        }
    }
    let table = match (toks.get(i + 1).map(|t| &t.kind), toks.len()) {
        (Some(Kind::Word(t)), n) if n == i + 2 => t.clone(),
        (Some(Kind::Quoted(t)), n) if n == i + 2 => format!("\"{}\"", t.replace('"', "\"\"")),
        _ => return Err(syntax(usage)),
    };
    Ok(Special::Sql(format!(
        "COPY {table} FROM {} ({})",
        quote(&path),
        options.join(", ")
    )))
}

/// `EXPORT query TO 'file' [(options)]`.
fn export(piece: &str, toks: &[Tok]) -> Result<Special> {
    let usage = "expected EXPORT query TO 'file' [(options)]";
    // The last top-level `TO 'file'`.
    let mut depth = 0i32;
    let mut at = None;
    for (i, t) in toks.iter().enumerate() {
        match &t.kind {
            Kind::Sym('(') => depth += 1,
            Kind::Sym(')') => depth -= 1,
            Kind::Word(w) if w == "to" && depth == 0 && string(toks.get(i + 1)).is_some() => {
                at = Some(i)
            }
            _ => {}
        }
    }
    let Some(i) = at else {
        return Err(syntax(usage));
    };
    let query = piece[toks[0].end..toks[i].start].trim();
    if query.is_empty() {
        return Err(syntax(usage));
    }
    let path = string(toks.get(i + 1)).expect("checked");
    let rest = match toks.get(i + 2) {
        None => None,
        Some(t) if t.kind == Kind::Sym('(') => Some(piece[t.start..].trim()),
        Some(_) => return Err(syntax(usage)),
    };
    let options = match rest {
        Some(o) => o.to_string(),
        None => {
            let ext = Path::new(&path)
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            match ext.as_str() {
                "json" | "jsonl" | "ndjson" => "(FORMAT json)".into(),
                "parquet" => "(FORMAT parquet)".into(),
                _ => "(FORMAT csv, HEADER)".into(),
            }
        }
    };
    Ok(Special::Sql(format!(
        "COPY ({query}) TO {} {options}",
        quote(&path)
    )))
}

/// A file a table function reads, and the temporary table that stands for it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct FileTable {
    /// The temporary table's name, put in the SQL text in place of the call.
    pub name: String,
    pub path: String,
    pub kind: FileKind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum FileKind {
    Csv(CsvAutoOptions),
    Parquet,
    Json,
}

impl FileTable {
    /// Reads the file: its columns (with inferred types) and their values.
    pub(crate) fn load(&self) -> Result<(Vec<ColumnMeta>, Vec<Vector>)> {
        let path = Path::new(&self.path);
        match &self.kind {
            FileKind::Csv(options) => crate::copy::read_csv_auto(path, options),
            FileKind::Parquet => {
                parquet::read_parquet(path, &format!("read_parquet {}", self.path))
            }
            FileKind::Json => json::read_json_auto(path),
        }
    }
}

/// The table functions, by name.
fn table_function(name: &str) -> Option<&'static str> {
    match name {
        "read_csv" | "read_csv_auto" => Some("read_csv"),
        "read_parquet" => Some("read_parquet"),
        "read_json" | "read_json_auto" => Some("read_json"),
        _ => None,
    }
}

/// Replaces each table-function call (`read_csv('file', ...)`, `read_parquet('file')`,
/// `read_json('file')`) by the name of a temporary table; returns the new text and the files.
pub(crate) fn extract_table_functions(sql: &str) -> Result<(Cow<'_, str>, Vec<FileTable>)> {
    if !contains_ci(sql, "read_") {
        return Ok((Cow::Borrowed(sql), Vec::new()));
    }
    let toks = lex(sql);
    let mut out = String::with_capacity(sql.len());
    let mut files: Vec<FileTable> = Vec::new();
    let mut copied = 0;
    let mut i = 0;
    while i < toks.len() {
        let function = match &toks[i].kind {
            Kind::Word(w) if toks.get(i + 1).is_some_and(|t| t.kind == Kind::Sym('(')) => {
                table_function(w)
            }
            _ => None,
        };
        let Some(function) = function else {
            i += 1;
            continue;
        };
        let usage = || {
            Error::Unsupported(format!(
                "{function} arguments: it takes the file name as a string{}",
                if function == "read_csv" {
                    ", then optionally delim = 'c' and header = true|false"
                } else {
                    " and nothing else"
                }
            ))
        };
        let path = string(toks.get(i + 2)).ok_or_else(usage)?;
        let mut csv = CsvAutoOptions::default();
        let mut k = i + 3;
        loop {
            match toks.get(k).map(|t| &t.kind) {
                Some(Kind::Sym(')')) => break,
                Some(Kind::Sym(',')) if function == "read_csv" => {
                    let (Some(Kind::Word(option)), Some(Kind::Sym('='))) = (
                        toks.get(k + 1).map(|t| &t.kind),
                        toks.get(k + 2).map(|t| &t.kind),
                    ) else {
                        return Err(usage());
                    };
                    let value = toks.get(k + 3).map(|t| &t.kind);
                    match (option.as_str(), value) {
                        ("delim" | "delimiter" | "sep", Some(Kind::Str(d))) if d.len() == 1 => {
                            csv.delimiter = d.as_bytes()[0];
                        }
                        ("quote", Some(Kind::Str(q))) if q.len() == 1 => {
                            csv.quote = q.as_bytes()[0]
                        }
                        ("header", Some(Kind::Word(b))) if b == "true" || b == "false" => {
                            csv.header = Some(b == "true");
                        }
                        _ => return Err(usage()),
                    }
                    k += 4;
                }
                _ => return Err(usage()),
            }
        }
        let kind = match function {
            "read_csv" => FileKind::Csv(csv),
            "read_parquet" => FileKind::Parquet,
            _ => FileKind::Json,
        };
        let name = format!("__{function}_{}", files.len());
        out.push_str(&sql[copied..toks[i].start]);
        out.push_str(&name);
        copied = toks[k].end;
        files.push(FileTable { name, path, kind });
        i = k + 1;
    }
    out.push_str(&sql[copied..]);
    Ok((Cow::Owned(out), files))
}

/// `BACKUP TO 'path'`: writes every table (schema and rows) and view of `snapshot` into a
/// new database file at `path`, in one commit. Refuses an existing file; removes a partial
/// file on failure. Returns the number of rows copied.
pub(crate) fn backup(snapshot: &Snapshot, path: &Path) -> Result<u64> {
    if path.exists() {
        return Err(Error::Usage(format!(
            "backup target {} already exists",
            path.display()
        )));
    }
    let copy = || -> Result<u64> {
        let target = Store::open(path)?;
        let mut txn = target.begin_write()?;
        let rows = copy_into(&mut txn, snapshot)?;
        txn.commit()?;
        Ok(rows)
    };
    let result = copy();
    if result.is_err() {
        let _ = std::fs::remove_file(path);
    }
    result
}

/// `RESTORE FROM`: in `txn`, drops every table and view, then re-creates those of `backup`
/// with their rows. Returns the number of rows restored.
pub(crate) fn restore(txn: &mut WriteTxn, backup: &Snapshot) -> Result<u64> {
    let current = txn.snapshot();
    for view in current.view_names() {
        txn.drop_view(&view)?;
    }
    for table in current.table_names() {
        txn.drop_table(&table)?;
    }
    copy_into(txn, backup)
}

/// Creates every table of `from` in `txn` and appends its rows (row group by row group, each
/// checked as it is loaded), then its views.
fn copy_into(txn: &mut WriteTxn, from: &Snapshot) -> Result<u64> {
    let mut rows = 0u64;
    for name in from.table_names() {
        let table = from.table(&name).expect("listed");
        let mut meta = table.meta.clone();
        meta.row_count = 0;
        txn.create_table(meta)?;
        for group in &table.row_groups {
            let columns = group
                .columns
                .iter()
                .map(|c| c.load())
                .collect::<Result<Vec<_>>>()?;
            if group.rows > 0 {
                txn.append(&name, columns)?;
            }
            rows += group.rows as u64;
        }
    }
    for name in from.view_names() {
        if let Some(view) = from.view_meta(&name) {
            txn.create_view(view.clone())?;
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_outside_strings_and_comments() {
        let pieces = split_statements("select ';' -- ;\n; backup to 'a;b';  ;");
        assert_eq!(pieces, vec!["select ';' -- ;\n", " backup to 'a;b'"]);
    }

    #[test]
    fn recognizes_backup_and_load() {
        let Some(Special::Statement(Statement::Backup { path })) =
            recognize("Backup TO 'it''s.griz'").unwrap()
        else {
            panic!("not a backup");
        };
        assert_eq!(path, "it's.griz");
        assert!(recognize("BACKUP 'x'").is_err());
        assert!(recognize("RESTORE FROM x").is_err());
        let Some(Special::Sql(sql)) =
            recognize("LOAD CSV 'f.csv' DELIMITER '|' HEADER INTO t").unwrap()
        else {
            panic!("not a load");
        };
        assert_eq!(
            sql,
            "COPY t FROM 'f.csv' (FORMAT csv, DELIMITER '|', HEADER)"
        );
        let Some(Special::Sql(sql)) =
            recognize("EXPORT SELECT a FROM t WHERE b = 'to' TO 'o.json'").unwrap()
        else {
            panic!("not an export");
        };
        assert_eq!(
            sql,
            "COPY (SELECT a FROM t WHERE b = 'to') TO 'o.json' (FORMAT json)"
        );
        assert!(recognize("SELECT 1").unwrap().is_none());
    }

    #[test]
    fn table_function_calls_become_tables() {
        let (sql, files) = extract_table_functions(
            "SELECT * FROM READ_CSV('a.csv') x, read_parquet( 'b' ), read_csv('c', delim = '|', header = false)",
        )
        .unwrap();
        assert_eq!(
            sql,
            "SELECT * FROM __read_csv_0 x, __read_parquet_1, __read_csv_2"
        );
        assert_eq!(files[1].path, "b");
        assert_eq!(files[1].kind, FileKind::Parquet);
        let FileKind::Csv(options) = &files[2].kind else {
            panic!("not csv");
        };
        assert_eq!((options.delimiter, options.header), (b'|', Some(false)));
        assert!(extract_table_functions("SELECT 'read_csv(1)'")
            .unwrap()
            .1
            .is_empty());
        assert!(extract_table_functions("SELECT * FROM read_parquet('a', x = 1)").is_err());
        assert!(extract_table_functions("SELECT * FROM read_csv('a', nope = 'x')").is_err());
    }
}
