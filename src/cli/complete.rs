//! Tab completion in the shell: SQL keywords, table names, column names and dot commands.
//!
//! Names come from the database (`SHOW TABLES`, `DESCRIBE t`) the first time they are
//! needed and are cached; the shell calls [`SqlHelper::invalidate`] after statements that can
//! change them (DDL, `ROLLBACK`, `.read`, ...).
//!
//! What is offered depends on the word before the cursor:
//! - after `.` at the start of the line: dot commands;
//! - `t.col`: the columns of table `t`;
//! - after `FROM`, `JOIN`, `INTO`, `UPDATE`, `TABLE`, `DESCRIBE`: table names;
//! - otherwise keywords, table names, and the columns of the tables named in the line.
//!
//! Keywords are offered in the case of what was typed (`sel` → `select`, `SEL` → `SELECT`).

use crate::cli::command::DOT_COMMANDS;
use grizzly::Database;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};
use std::collections::HashMap;
use std::sync::Mutex;

/// SQL keywords offered by completion.
const KEYWORDS: &[&str] = &[
    "ALL", "ALTER", "AND", "AS", "ASC", "AVG", "BEGIN", "BETWEEN", "BIGINT", "BOOLEAN", "BY",
    "CASE", "CAST", "COMMIT", "COPY", "COUNT", "CREATE", "CROSS", "DATE", "DECIMAL", "DELETE",
    "DESC", "DESCRIBE", "DISTINCT", "DOUBLE", "DROP", "ELSE", "END", "EXISTS", "EXPLAIN", "FALSE",
    "FROM", "FULL", "GROUP", "HAVING", "IN", "INNER", "INSERT", "INTEGER", "INTERVAL", "INTO",
    "IS", "JOIN", "LEFT", "LIKE", "LIMIT", "MAX", "MIN", "NOT", "NULL", "OFFSET", "ON", "OR",
    "ORDER", "OUTER", "RIGHT", "ROLLBACK", "SELECT", "SET", "SHOW", "SUM", "TABLE", "TABLES",
    "THEN", "TRUE", "UNION", "UPDATE", "VALUES", "VARCHAR", "WHEN", "WHERE", "WITH",
];

/// Keywords after which a table name comes.
const BEFORE_TABLE: &[&str] = &[
    "from", "join", "into", "update", "table", "describe", "desc", "schema",
];

/// Columns of every table are offered while the line names no table, if there are at most
/// this many tables.
const MAX_TABLES_FOR_COLUMNS: usize = 32;

/// Where completion gets names from.
pub trait Names {
    /// Every table name.
    fn tables(&mut self) -> Vec<String>;
    /// The column names of `table` (empty if there is no such table).
    fn columns(&mut self, table: &str) -> Vec<String>;
}

/// What to insert at `start` (a byte offset in the line) and the candidates, sorted.
pub fn complete(line: &str, pos: usize, names: &mut dyn Names) -> (usize, Vec<String>) {
    let before = &line[..pos];
    let start = before
        .char_indices()
        .rev()
        .take_while(|&(_, c)| c.is_alphanumeric() || c == '_' || c == '.')
        .last()
        .map_or(pos, |(i, _)| i);
    let word = &before[start..];

    let trimmed = before.trim_start();
    if trimmed.starts_with('.') && trimmed == word {
        return (
            start,
            matching(DOT_COMMANDS.iter().map(|s| s.to_string()), word),
        );
    }
    // Arguments of dot commands.
    let argument = |values: &[&str]| (start, matching(values.iter().map(|s| s.to_string()), word));
    match trimmed
        .split_whitespace()
        .next()
        .map(str::to_ascii_lowercase)
    {
        Some(cmd) if cmd == ".mode" => return argument(grizzly::config::FORMATS),
        Some(cmd) if cmd == ".timer" => return argument(&["off", "on"]),
        Some(cmd) if cmd.starts_with('.') && cmd != ".schema" && cmd != ".describe" => {
            return (start, Vec::new())
        }
        _ => {}
    }
    if let Some((table, column)) = word.rsplit_once('.') {
        let table = table.rsplit('.').next().unwrap_or(table);
        let real = find_table(names, table).unwrap_or_else(|| table.to_string());
        let columns = names.columns(&real);
        let start = start + word.len() - column.len();
        return (start, matching(columns.into_iter(), column));
    }

    let previous = before[..start]
        .split(|c: char| !(c.is_alphanumeric() || c == '_'))
        .rfind(|w| !w.is_empty())
        .unwrap_or("")
        .to_ascii_lowercase();
    let tables = names.tables();
    let mut candidates: Vec<String> = matching(tables.iter().cloned(), word);
    if !BEFORE_TABLE.contains(&previous.as_str()) {
        let upper = word.chars().next().is_none_or(|c| c.is_uppercase());
        candidates.extend(
            KEYWORDS
                .iter()
                .map(|k| {
                    if upper {
                        k.to_string()
                    } else {
                        k.to_ascii_lowercase()
                    }
                })
                .filter(|k| starts_with_ignore_case(k, word)),
        );
        // Columns of the tables the line mentions; of every table (if there are not too
        // many) while it mentions none, as in `SELECT col<Tab>` before the FROM.
        let lower_line = line.to_ascii_lowercase();
        let mut mentioned: Vec<&String> = tables
            .iter()
            .filter(|t| mentions(&lower_line, &t.to_ascii_lowercase()))
            .collect();
        if mentioned.is_empty() && !word.is_empty() && tables.len() <= MAX_TABLES_FOR_COLUMNS {
            mentioned = tables.iter().collect();
        }
        for table in mentioned {
            candidates.extend(matching(names.columns(table).into_iter(), word));
        }
    }
    if word.is_empty() && candidates.len() > 200 {
        candidates.truncate(200);
    }
    candidates.sort();
    candidates.dedup();
    (start, candidates)
}

/// The table named `name`, compared case-insensitively.
fn find_table(names: &mut dyn Names, name: &str) -> Option<String> {
    names
        .tables()
        .into_iter()
        .find(|t| t.eq_ignore_ascii_case(name))
}

/// Whether `line` holds `word` as a whole word (both already lowercase).
fn mentions(line: &str, word: &str) -> bool {
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    line.match_indices(word).any(|(i, _)| {
        let before = line[..i].chars().next_back();
        let after = line[i + word.len()..].chars().next();
        !before.is_some_and(is_word) && !after.is_some_and(is_word)
    })
}

fn starts_with_ignore_case(text: &str, prefix: &str) -> bool {
    text.len() >= prefix.len()
        && text.is_char_boundary(prefix.len())
        && text[..prefix.len()].eq_ignore_ascii_case(prefix)
}

fn matching(items: impl Iterator<Item = String>, prefix: &str) -> Vec<String> {
    let mut found: Vec<String> = items
        .filter(|item| starts_with_ignore_case(item, prefix))
        .collect();
    found.sort();
    found
}

/// Names read from a database, cached until [`NameCache::clear`].
#[derive(Default)]
struct NameCache {
    tables: Option<Vec<String>>,
    columns: HashMap<String, Vec<String>>,
}

/// The cache with the database to fill it from.
struct DbNames<'a> {
    db: &'a Database,
    cache: &'a mut NameCache,
}

impl Names for DbNames<'_> {
    fn tables(&mut self) -> Vec<String> {
        if self.cache.tables.is_none() {
            self.cache.tables = Some(first_column(self.db, "SHOW TABLES"));
        }
        self.cache.tables.clone().unwrap_or_default()
    }

    fn columns(&mut self, table: &str) -> Vec<String> {
        if let Some(columns) = self.cache.columns.get(table) {
            return columns.clone();
        }
        let quoted = format!("\"{}\"", table.replace('"', "\"\""));
        let columns = first_column(self.db, &format!("DESCRIBE {quoted}"));
        self.cache
            .columns
            .insert(table.to_string(), columns.clone());
        columns
    }
}

/// The first column of a query's rows as text; nothing if the query fails (or panics: a
/// completion must not take the shell down).
fn first_column(db: &Database, sql: &str) -> Vec<String> {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| db.query(sql))).ok();
    match result {
        Some(Ok(result)) if !result.columns().is_empty() => {
            result.rows().map(|row| row.get(0).to_string()).collect()
        }
        _ => Vec::new(),
    }
}

/// The shell's rustyline helper: completion only.
pub struct SqlHelper {
    db: Database,
    cache: Mutex<NameCache>,
}

impl SqlHelper {
    pub fn new(db: Database) -> SqlHelper {
        SqlHelper {
            db,
            cache: Mutex::new(NameCache::default()),
        }
    }

    /// Forgets the cached names (after DDL).
    pub fn invalidate(&self) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        *cache = NameCache::default();
    }
}

impl Completer for SqlHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        let mut names = DbNames {
            db: &self.db,
            cache: &mut cache,
        };
        let (start, candidates) = complete(line, pos, &mut names);
        let pairs = candidates
            .into_iter()
            .map(|c| Pair {
                display: c.clone(),
                replacement: c,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Hinter for SqlHelper {
    type Hint = String;
}
impl Highlighter for SqlHelper {}
impl Validator for SqlHelper {}
impl Helper for SqlHelper {}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed;

    impl Names for Fixed {
        fn tables(&mut self) -> Vec<String> {
            vec!["orders".into(), "lineitem".into(), "customer".into()]
        }
        fn columns(&mut self, table: &str) -> Vec<String> {
            match table {
                "orders" => vec!["o_orderkey".into(), "o_custkey".into(), "o_total".into()],
                "customer" => vec!["c_custkey".into(), "c_name".into()],
                _ => vec![],
            }
        }
    }

    fn at_end(line: &str) -> (usize, Vec<String>) {
        complete(line, line.len(), &mut Fixed)
    }

    #[test]
    fn keywords_in_the_case_typed() {
        assert_eq!(at_end("sel"), (0, vec!["select".to_string()]));
        assert_eq!(at_end("SEL"), (0, vec!["SELECT".to_string()]));
        let (start, found) = at_end("SELECT 1 FR");
        assert_eq!(start, 9);
        assert_eq!(found, vec!["FROM"]);
    }

    #[test]
    fn tables_after_from() {
        assert_eq!(at_end("SELECT * FROM o"), (14, vec!["orders".to_string()]));
        // Only tables after FROM: no keywords such as ON or OR.
        let (_, found) = at_end("select * from ");
        assert_eq!(found, vec!["customer", "lineitem", "orders"]);
        assert_eq!(at_end("DESCRIBE li").1, vec!["lineitem"]);
    }

    #[test]
    fn columns_of_tables_in_the_line() {
        let line = "SELECT o_ FROM orders";
        assert_eq!(
            complete(line, 9, &mut Fixed),
            (
                7,
                vec!["o_custkey".into(), "o_orderkey".into(), "o_total".into()]
            )
        );
        assert_eq!(
            at_end("select * from customer where c_n").1,
            vec!["c_name".to_string()]
        );
        // Columns of tables the line does not mention are not offered...
        assert!(complete("select o_c from customer", 10, &mut Fixed)
            .1
            .is_empty());
        // ... unless it mentions none yet.
        assert_eq!(at_end("select c_n").1, vec!["c_name".to_string()]);
    }

    #[test]
    fn qualified_columns() {
        assert_eq!(
            at_end("SELECT orders.o_c"),
            (14, vec!["o_custkey".to_string()])
        );
        assert_eq!(at_end("select ORDERS.").1.len(), 3);
        assert!(at_end("select nowhere.x").1.is_empty());
    }

    #[test]
    fn dot_commands() {
        assert_eq!(at_end(".ti"), (0, vec![".timer".to_string()]));
        assert_eq!(at_end(".s").1, vec![".schema", ".settings"]);
        assert_eq!(at_end(".mode js"), (6, vec!["json".into(), "jsonl".into()]));
        assert_eq!(at_end(".timer o").1, vec!["off", "on"]);
        assert_eq!(at_end(".schema ord").1, vec!["orders"]);
    }

    #[test]
    fn whole_words() {
        assert!(mentions("select * from orders", "orders"));
        assert!(!mentions("select * from orders2", "orders"));
    }
}
