//! Running statements for clients: off the async threads, timed, and described ahead of time
//! for the extended query protocol.

use super::compat::{self, Answer};
use super::run::State;
use crate::system::SystemCatalog;
use crate::{Column, DataType, Database, Error, PreparedStatement, QueryResult, Result, Value};
use grizzly_ir::sqlparser::ast;
use std::sync::Arc;
use std::time::Instant;

/// Runs `f` on tokio's blocking pool, counted as in flight until it returns (even if the
/// client that asked has gone). A panic becomes an internal error.
pub async fn blocking<T: Send + 'static>(
    state: &Arc<State>,
    f: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let guard = state.start_query();
    let task = tokio::task::spawn_blocking(move || {
        let _guard = guard;
        f()
    });
    match task.await {
        Ok(result) => result,
        Err(e) => Err(Error::Internal(format!("a query task failed: {e}"))),
    }
}

/// Runs one statement's work and records it in the metrics.
pub fn timed<T>(state: &State, f: impl FnOnce() -> Result<T>) -> Result<T> {
    let start = Instant::now();
    let result = f();
    observe(state, start, result.as_ref().err());
    result
}

/// Records in the metrics a statement that started at `start` and failed with `error`, if
/// it did.
pub fn observe(state: &State, start: Instant, error: Option<&Error>) {
    state.metrics.observe(start.elapsed(), error.is_none());
    if matches!(error, Some(Error::Cancelled)) {
        state.metrics.cancelled();
    }
}

/// What a statement gives back, as far as the protocol cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Rows: SELECT, VALUES, EXPLAIN, SHOW, DESCRIBE.
    Rows,
    Begin,
    Commit,
    Rollback,
    /// A count or nothing (DML, DDL, SET, ...).
    Command,
}

impl Kind {
    pub fn of(ast: &ast::Statement) -> Kind {
        use ast::Statement as S;
        match ast {
            S::Query { .. }
            | S::Explain { .. }
            | S::ExplainTable { .. }
            | S::ShowTables { .. }
            | S::ShowColumns { .. }
            | S::ShowVariable { .. } => Kind::Rows,
            S::StartTransaction { .. } => Kind::Begin,
            S::Commit { .. } => Kind::Commit,
            S::Rollback { .. } => Kind::Rollback,
            _ => Kind::Command,
        }
    }
}

/// The command tag of a statement that returns no rows (`INSERT 0 3`, `CREATE TABLE`): its
/// leading keywords, with the count for those PostgreSQL counts.
pub fn command_tag(ast: &ast::Statement, affected: u64) -> String {
    let text = ast.to_string();
    let mut words = text.split_whitespace().map(str::to_ascii_uppercase);
    let first = words.next().unwrap_or_default();
    match first.as_str() {
        "INSERT" => format!("INSERT 0 {affected}"),
        "UPDATE" | "DELETE" | "COPY" | "MERGE" => format!("{first} {affected}"),
        "CREATE" | "DROP" | "ALTER" => {
            // Skip modifiers to the object kind: CREATE OR REPLACE VIEW, DROP TABLE IF ...
            let object = words
                .find(|w| {
                    !matches!(
                        w.as_str(),
                        "OR" | "REPLACE" | "TEMPORARY" | "TEMP" | "UNIQUE"
                    )
                })
                .unwrap_or_default();
            format!("{first} {object}")
        }
        _ => first,
    }
}

/// What `Database::query` gives for a statement without rows that affected `n` rows.
fn affected_result(n: u64) -> QueryResult {
    let count = grizzly_runtime::Vector::from_values(DataType::Int64, &[Value::Int64(n as i64)])
        .expect("an INT64 value");
    QueryResult::new(
        vec![Column {
            name: "rows_affected".into(),
            ty: DataType::Int64,
        }],
        vec![count],
        1,
    )
}

/// Runs one statement of a simple query (`ast`, parsed from `text`) on `session`, answering
/// what is about PostgreSQL rather than the data itself (`compat`).
pub fn run_text(session: &Database, ast: &ast::Statement, text: &str) -> Result<QueryResult> {
    match compat::answer(ast) {
        Some(Answer::Rows(rows)) => Ok(rows),
        Some(Answer::Done) => Ok(affected_result(0)),
        Some(Answer::Rewritten(statement)) => session.query(&statement.to_string()),
        None => session.query(text),
    }
}

/// True if `result` is what `Database::query` gives for a statement without rows.
pub fn is_affected_count(result: &QueryResult) -> bool {
    matches!(result.columns(), [c] if c.name == "rows_affected" && c.ty == DataType::Int64)
        && result.row_count() == 1
}

/// The number in a `rows_affected` result.
pub fn affected(result: &QueryResult) -> u64 {
    match result.value(0, 0) {
        Value::Int64(n) => n.max(0) as u64,
        _ => 0,
    }
}

/// A statement prepared for the extended query protocol, with what Describe tells about it.
pub struct Statement {
    pub ast: ast::Statement,
    pub kind: Kind,
    pub params: Vec<DataType>,
    /// The result columns, for statements that return rows.
    pub columns: Option<Vec<Column>>,
    pub runner: Runner,
}

/// How a prepared statement runs.
pub enum Runner {
    Prepared(PreparedStatement),
    /// Statements `Database::prepare` does not take (such as PRAGMA): run as text, without
    /// parameters.
    Text(String),
    /// Statements answered without the database (`compat`): this result every time.
    Fixed(QueryResult),
}

impl Statement {
    /// Parses and prepares one statement on `session`, typing its parameters and result.
    ///
    /// # Errors
    /// SQL errors; `Error::Usage` for more than one statement.
    pub fn prepare(session: &Database, sql: &str) -> Result<Statement> {
        let mut asts = grizzly_ir::parse(sql)?;
        if asts.len() != 1 {
            return Err(Error::Usage(format!(
                "cannot prepare {} statements at once: send them one by one",
                asts.len()
            )));
        }
        let ast = asts.remove(0);
        let kind = Kind::of(&ast);
        let rewritten;
        let sql = match compat::answer(&ast) {
            Some(Answer::Rows(rows)) => {
                let columns = Some(rows.columns().to_vec());
                return Ok(Statement {
                    ast,
                    kind,
                    params: Vec::new(),
                    columns,
                    runner: Runner::Fixed(rows),
                });
            }
            Some(Answer::Done) => {
                return Ok(Statement {
                    ast,
                    kind,
                    params: Vec::new(),
                    columns: None,
                    runner: Runner::Fixed(affected_result(0)),
                });
            }
            Some(Answer::Rewritten(statement)) => {
                rewritten = statement.to_string();
                &rewritten
            }
            None => sql,
        };
        let (runner, params) = match session.prepare(sql) {
            Ok(p) => {
                let params = p.param_types();
                (Runner::Prepared(p), params)
            }
            Err(e @ Error::Sql(_)) => return Err(e),
            Err(_) => (Runner::Text(sql.to_string()), Vec::new()),
        };
        let mut statement = Statement {
            ast,
            kind,
            params,
            columns: None,
            runner,
        };
        if kind == Kind::Rows {
            statement.columns = Some(statement.describe(session)?);
        }
        Ok(statement)
    }

    /// The result columns of a statement that returns rows: from binding a query against the
    /// committed catalog, else (EXPLAIN, SHOW, a query on a table of the open transaction) by
    /// running it with NULL parameters: these statements only read.
    fn describe(&self, session: &Database) -> Result<Vec<Column>> {
        if matches!(self.ast, ast::Statement::Query { .. }) {
            let snapshot = session.store().snapshot();
            if let Ok(bound) = grizzly_ir::bind(&self.ast, &SystemCatalog(&snapshot)) {
                if let grizzly_ir::Statement::Query(plan) = bound.statement {
                    return Ok(plan
                        .fields()
                        .into_iter()
                        .map(|f| Column {
                            name: f.name,
                            ty: f.ty,
                        })
                        .collect());
                }
            }
        }
        let nulls = vec![Value::Null; self.params.len()];
        Ok(self.run(session, &nulls)?.columns().to_vec())
    }

    /// Runs the statement with `params`.
    pub fn run(&self, session: &Database, params: &[Value]) -> Result<QueryResult> {
        match &self.runner {
            Runner::Prepared(p) => p.query(params),
            Runner::Text(sql) if params.is_empty() => session.query(sql),
            Runner::Fixed(result) if params.is_empty() => Ok(result.clone()),
            Runner::Text(_) | Runner::Fixed(_) => Err(Error::Usage(
                "this statement takes no parameters".to_string(),
            )),
        }
    }
}

/// Cuts `sql` into statements at top-level semicolons, keeping quoted text and comments whole.
/// Pieces holding only whitespace are dropped.
pub fn split(sql: &str) -> Vec<&str> {
    let bytes = sql.as_bytes();
    let mut pieces = Vec::new();
    let (mut start, mut i) = (0, 0);
    while i < bytes.len() {
        match bytes[i] {
            quote @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == quote {
                        // A doubled quote is an escaped quote.
                        if bytes.get(i + 1) == Some(&quote) {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i += 2;
                while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                    i += 1;
                }
                i += 1;
            }
            b';' => {
                pieces.push(&sql[start..i]);
                start = i + 1;
            }
            _ => {}
        }
        i += 1;
    }
    pieces.push(&sql[start.min(sql.len())..]);
    pieces.retain(|p| !p.trim().is_empty());
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_keeps_quotes_and_comments_whole() {
        assert_eq!(split("select 1; select 2;"), vec!["select 1", " select 2"]);
        assert_eq!(split("select 'a;''b'; x"), vec!["select 'a;''b'", " x"]);
        assert_eq!(
            split("select \"a;\" -- c;\n; /* ; */ y"),
            vec!["select \"a;\" -- c;\n", " /* ; */ y"]
        );
        assert!(split(" ; ;").is_empty());
    }

    #[test]
    fn tags() {
        let tag = |sql: &str, n| command_tag(&grizzly_ir::parse(sql).unwrap()[0], n);
        assert_eq!(tag("insert into t values (1)", 1), "INSERT 0 1");
        assert_eq!(tag("create table t (a int)", 0), "CREATE TABLE");
        assert_eq!(
            tag("create or replace view v as select 1", 0),
            "CREATE VIEW"
        );
        assert_eq!(tag("delete from t", 4), "DELETE 4");
    }

    #[test]
    fn prepared_statements_are_described() {
        let db = Database::in_memory();
        db.execute("CREATE TABLE t (a INTEGER, b VARCHAR)").unwrap();
        let s = Statement::prepare(&db, "SELECT b, a + 1 AS c FROM t WHERE a > $1").unwrap();
        assert_eq!(s.kind, Kind::Rows);
        assert_eq!(s.params, vec![DataType::Int32]);
        let columns = s.columns.unwrap();
        assert_eq!(columns[0].name, "b");
        assert_eq!(columns[1].ty, DataType::Int32);
        let s = Statement::prepare(&db, "INSERT INTO t VALUES ($1, $2)").unwrap();
        assert_eq!((s.kind, s.columns.is_none()), (Kind::Command, true));
    }
}
