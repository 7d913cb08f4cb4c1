//! The embedded API: open a database, run statements, prepare queries.
//!
//! A [`Database`] is a session on a shared store. Statements outside an explicit transaction
//! commit on their own (autocommit); `BEGIN` holds the store's single write transaction until
//! `COMMIT` or `ROLLBACK`, and the session's reads see its own uncommitted changes.

use crate::copy;
use crate::result::{Column, QueryResult};
use crate::session::{Session, Settings};
use grizzly_ir::{Catalog, DataType, Statement, Value};
use grizzly_runtime::exec::{self, ExecContext};
use grizzly_runtime::storage::{Snapshot, Store, WriteTxn};
use grizzly_runtime::{Error, Result, Vector};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// A handle on a database (a `.griz` file or in memory) with its own session: transaction
/// state and settings. Cheap to clone; clones share the session. [`Database::connect`] opens
/// another session on the same database. `Send + Sync`: statements of one session run one at
/// a time; use one session per thread for parallel queries.
#[derive(Clone)]
pub struct Database {
    store: Arc<Store>,
    session: Arc<Mutex<Session>>,
}

/// What running one statement produced.
pub(crate) enum Outcome {
    Rows(QueryResult),
    Affected(u64),
}

impl Outcome {
    fn into_result(self) -> QueryResult {
        match self {
            Outcome::Rows(r) => r,
            Outcome::Affected(n) => QueryResult::new(
                vec![Column {
                    name: "rows_affected".into(),
                    ty: DataType::Int64,
                }],
                vec![
                    Vector::from_values(DataType::Int64, &[Value::Int64(n as i64)])
                        .expect("BIGINT value"),
                ],
                1,
            ),
        }
    }

    fn affected(&self) -> u64 {
        match self {
            Outcome::Rows(r) => r.row_count() as u64,
            Outcome::Affected(n) => *n,
        }
    }
}

impl Database {
    /// Opens (or creates) the database file at `path`.
    ///
    /// # Errors
    /// `Error::Corrupt` if the file is not a valid `.griz` file, `Error::Usage` if another
    /// process holds it, `Error::Io` if it cannot be read or created.
    pub fn open(path: impl AsRef<Path>) -> Result<Database> {
        Ok(Database::with_store(Store::open(path.as_ref())?))
    }

    /// A new, empty database that lives in memory only.
    pub fn in_memory() -> Database {
        Database::with_store(Store::in_memory())
    }

    fn with_store(store: Store) -> Database {
        Database {
            store: Arc::new(store),
            session: Arc::new(Mutex::new(Session::default())),
        }
    }

    /// A new session on the same database (its own transaction and settings).
    pub fn connect(&self) -> Database {
        Database {
            store: self.store.clone(),
            session: Arc::new(Mutex::new(Session::default())),
        }
    }

    /// The underlying store (snapshots, integrity checks).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Runs every statement in `sql`; returns the rows affected by the last one (rows returned
    /// for a query, 0 for DDL).
    pub fn execute(&self, sql: &str) -> Result<u64> {
        Ok(self.run_sql(sql)?.affected())
    }

    /// Runs every statement in `sql` and returns the result of the last one. Statements that
    /// return no rows give a one-row `rows_affected` result.
    pub fn query(&self, sql: &str) -> Result<QueryResult> {
        Ok(self.run_sql(sql)?.into_result())
    }

    /// Parses and binds one statement with `?` or `$n` parameters.
    pub fn prepare(&self, sql: &str) -> Result<PreparedStatement> {
        let mut asts = grizzly_ir::parse(sql)?;
        if asts.len() != 1 {
            return Err(Error::Usage(format!(
                "prepare takes exactly one statement, got {}",
                asts.len()
            )));
        }
        let ast = asts.remove(0);
        let session = self.lock();
        let snapshot = self.read_snapshot(&session);
        let prepared = Prepared::bind(ast, &snapshot)?;
        drop(session);
        Ok(PreparedStatement {
            db: self.clone(),
            prepared: Mutex::new(prepared),
        })
    }

    /// Appends rows given as columns (one vector per table column, in table order) to `table`:
    /// the bulk-load path. Returns the number of rows appended.
    pub fn append(&self, table: &str, columns: Vec<Vector>) -> Result<u64> {
        let rows = columns.first().map_or(0, Vector::len) as u64;
        let mut session = self.lock();
        self.write(&mut session, |txn| txn.append(table, columns))?;
        Ok(rows)
    }

    /// The value of a session setting (`SET name = value`), if set.
    pub fn setting(&self, name: &str) -> Option<String> {
        self.lock().settings.get(name)
    }

    fn lock(&self) -> MutexGuard<'_, Session> {
        // A panic while holding the lock cannot leave the session half-updated in a way that
        // matters (its fields are replaced whole), so recover from poisoning.
        self.session.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What reads see: the open transaction's view, or the last committed state.
    fn read_snapshot(&self, session: &Session) -> Arc<Snapshot> {
        match &session.txn {
            Some(txn) => txn.snapshot(),
            None => self.store.snapshot(),
        }
    }

    fn run_sql(&self, sql: &str) -> Result<Outcome> {
        let asts = grizzly_ir::parse(sql)?;
        let mut last = Outcome::Affected(0);
        for ast in &asts {
            let mut session = self.lock();
            let snapshot = self.read_snapshot(&session);
            let bound = grizzly_ir::bind(ast, &*snapshot)?;
            last = self.run_statement(&mut session, snapshot, bound.statement, Arc::from([]))?;
        }
        Ok(last)
    }

    /// Runs `f` in the session's transaction, or in a new one committed right after.
    fn write<T>(
        &self,
        session: &mut Session,
        f: impl FnOnce(&mut WriteTxn) -> Result<T>,
    ) -> Result<T> {
        match &mut session.txn {
            Some(txn) => f(txn),
            None => {
                let mut txn = self.store.begin_write()?;
                let out = f(&mut txn)?;
                txn.commit()?;
                Ok(out)
            }
        }
    }

    pub(crate) fn run_statement(
        &self,
        session: &mut Session,
        snapshot: Arc<Snapshot>,
        statement: Statement,
        params: Arc<[Value]>,
    ) -> Result<Outcome> {
        let ctx = ExecContext::new(snapshot.clone(), params);
        match statement {
            Statement::Query(plan) => {
                let plan = grizzly_ir::optimize(plan, &*snapshot)?;
                Ok(Outcome::Rows(run_query(&plan, &ctx)?))
            }
            Statement::CreateTable {
                name,
                columns,
                if_not_exists,
            } => {
                if if_not_exists && snapshot.table(&name).is_some() {
                    return Ok(Outcome::Affected(0));
                }
                let meta = grizzly_ir::TableMeta {
                    name,
                    columns,
                    row_count: 0,
                };
                self.write(session, |txn| txn.create_table(meta))?;
                Ok(Outcome::Affected(0))
            }
            Statement::CreateTableAs { name, query } => {
                let plan = grizzly_ir::optimize(query, &*snapshot)?;
                let result = run_query(&plan, &ctx)?;
                let columns = result
                    .columns()
                    .iter()
                    .map(|c| grizzly_ir::ColumnMeta {
                        name: c.name.clone(),
                        ty: c.ty,
                        nullable: true,
                    })
                    .collect();
                let meta = grizzly_ir::TableMeta {
                    name: name.clone(),
                    columns,
                    row_count: 0,
                };
                let rows = result.row_count() as u64;
                let data = result.into_columns();
                self.write(session, |txn| {
                    txn.create_table(meta)?;
                    txn.append(&name, data)
                })?;
                Ok(Outcome::Affected(rows))
            }
            Statement::DropTable { names, if_exists } => {
                self.write(session, |txn| {
                    for name in &names {
                        if txn.snapshot().table(name).is_none() {
                            if if_exists {
                                continue;
                            }
                            return Err(Error::Sql(grizzly_ir::Error::Bind(format!(
                                "table \"{name}\" does not exist"
                            ))));
                        }
                        txn.drop_table(name)?;
                    }
                    Ok(())
                })?;
                Ok(Outcome::Affected(0))
            }
            Statement::CreateView {
                name,
                sql,
                column_names,
                or_replace,
            } => {
                self.write(session, |txn| {
                    if txn.snapshot().view(&name).is_some() {
                        if !or_replace {
                            return Err(Error::Execution(format!(
                                "view \"{name}\" already exists"
                            )));
                        }
                        txn.drop_view(&name)?;
                    }
                    txn.create_view(grizzly_ir::ViewMeta {
                        name: name.clone(),
                        sql,
                        column_names,
                    })
                })?;
                Ok(Outcome::Affected(0))
            }
            Statement::DropView { names, if_exists } => {
                self.write(session, |txn| {
                    for name in &names {
                        if txn.snapshot().view(name).is_none() {
                            if if_exists {
                                continue;
                            }
                            return Err(Error::Sql(grizzly_ir::Error::Bind(format!(
                                "view \"{name}\" does not exist"
                            ))));
                        }
                        txn.drop_view(name)?;
                    }
                    Ok(())
                })?;
                Ok(Outcome::Affected(0))
            }
            Statement::Insert { table, query } => {
                let plan = grizzly_ir::optimize(query, &*snapshot)?;
                let (columns, rows) = exec::execute(&plan, &ctx)?;
                if rows > 0 {
                    self.write(session, |txn| txn.append(&table, columns))?;
                }
                Ok(Outcome::Affected(rows as u64))
            }
            Statement::Rewrite {
                table,
                new_contents,
                affected,
                ..
            } => {
                let affected = grizzly_ir::optimize(affected, &*snapshot)?;
                let (count, _) = exec::execute(&affected, &ctx)?;
                let n = match count.first().map(|c| c.get(0)) {
                    Some(Value::Int64(n)) => n as u64,
                    _ => 0,
                };
                if n > 0 {
                    let plan = grizzly_ir::optimize(new_contents, &*snapshot)?;
                    let (columns, _) = exec::execute(&plan, &ctx)?;
                    self.write(session, |txn| txn.replace(&table, columns))?;
                }
                Ok(Outcome::Affected(n))
            }
            Statement::CopyFrom {
                table,
                path,
                options,
            } => {
                let Some(meta) = snapshot.table(&table).map(|t| t.meta.clone()) else {
                    return Err(Error::Sql(grizzly_ir::Error::Bind(format!(
                        "table \"{table}\" does not exist"
                    ))));
                };
                let columns = copy::read_csv(Path::new(&path), &meta, &options)?;
                let rows = columns.first().map_or(0, Vector::len) as u64;
                if rows > 0 {
                    self.write(session, |txn| txn.append(&table, columns))?;
                }
                Ok(Outcome::Affected(rows))
            }
            Statement::CopyTo {
                query,
                path,
                options,
            } => {
                let plan = grizzly_ir::optimize(query, &*snapshot)?;
                let result = run_query(&plan, &ctx)?;
                copy::write_csv(Path::new(&path), &result, &options)?;
                Ok(Outcome::Affected(result.row_count() as u64))
            }
            Statement::Begin => {
                if session.txn.is_some() {
                    return Err(Error::Usage("a transaction is already in progress".into()));
                }
                session.txn = Some(self.store.begin_write()?);
                Ok(Outcome::Affected(0))
            }
            Statement::Commit => match session.txn.take() {
                Some(txn) => {
                    txn.commit()?;
                    Ok(Outcome::Affected(0))
                }
                None => Err(Error::Usage(
                    "COMMIT without a transaction in progress".into(),
                )),
            },
            Statement::Rollback => match session.txn.take() {
                Some(txn) => {
                    txn.rollback();
                    Ok(Outcome::Affected(0))
                }
                None => Err(Error::Usage(
                    "ROLLBACK without a transaction in progress".into(),
                )),
            },
            Statement::ShowTables => {
                let mut names = snapshot.table_names();
                names.extend(snapshot.view_names());
                names.sort();
                let names: Vec<Value> = names.into_iter().map(Value::Varchar).collect();
                Ok(Outcome::Rows(text_result(&["name"], vec![names])))
            }
            Statement::Describe { table } => {
                let Some(meta) = snapshot.table(&table).map(|t| t.meta.clone()) else {
                    return Err(Error::Sql(grizzly_ir::Error::Bind(format!(
                        "table \"{table}\" does not exist"
                    ))));
                };
                let mut cols = vec![Vec::new(), Vec::new(), Vec::new()];
                for c in &meta.columns {
                    cols[0].push(Value::Varchar(c.name.clone()));
                    cols[1].push(Value::Varchar(c.ty.to_string()));
                    cols[2].push(Value::Varchar(if c.nullable { "YES" } else { "NO" }.into()));
                }
                Ok(Outcome::Rows(text_result(
                    &["column_name", "column_type", "null"],
                    cols,
                )))
            }
            Statement::Explain { statement } => {
                let text = match *statement {
                    Statement::Query(plan) => {
                        grizzly_ir::explain(&grizzly_ir::optimize(plan, &*snapshot)?)
                    }
                    other => format!("{other:?}"),
                };
                let lines = text
                    .lines()
                    .map(|l| Value::Varchar(l.to_string()))
                    .collect();
                Ok(Outcome::Rows(text_result(&["plan"], vec![lines])))
            }
            Statement::Set { name, value } => {
                session.settings.set(&name, &value)?;
                Ok(Outcome::Affected(0))
            }
            other => Err(Error::Unsupported(format!("statement {other:?}"))),
        }
    }
}

/// Runs an optimized query plan into a result.
fn run_query(plan: &grizzly_ir::LogicalPlan, ctx: &ExecContext) -> Result<QueryResult> {
    let fields = plan.fields();
    let (data, rows) = exec::execute(plan, ctx)?;
    let columns = fields
        .into_iter()
        .map(|f| Column {
            name: f.name,
            ty: f.ty,
        })
        .collect();
    Ok(QueryResult::new(columns, data, rows))
}

/// A result of VARCHAR columns (SHOW TABLES, DESCRIBE, EXPLAIN).
fn text_result(names: &[&str], columns: Vec<Vec<Value>>) -> QueryResult {
    let rows = columns.first().map_or(0, Vec::len);
    let data = columns
        .iter()
        .map(|c| Vector::from_values(DataType::Varchar, c).expect("VARCHAR values"))
        .collect();
    let cols = names
        .iter()
        .map(|n| Column {
            name: n.to_string(),
            ty: DataType::Varchar,
        })
        .collect();
    QueryResult::new(cols, data, rows)
}

/// A statement parsed and bound once, run many times with new parameters.
pub struct PreparedStatement {
    db: Database,
    prepared: Mutex<Prepared>,
}

/// The bound form of a prepared statement and what it depends on.
struct Prepared {
    ast: grizzly_ir::sqlparser::ast::Statement,
    statement: Statement,
    param_types: Vec<DataType>,
    /// For queries, the plan after optimization, so runs skip binding and optimizing.
    optimized: Option<grizzly_ir::LogicalPlan>,
    /// (table, schema version) of every table the statement reads: a change means re-bind.
    depends_on: Vec<(String, u64)>,
}

impl Prepared {
    fn bind(ast: grizzly_ir::sqlparser::ast::Statement, snapshot: &Snapshot) -> Result<Prepared> {
        let bound = grizzly_ir::bind(&ast, snapshot)?;
        let optimized = match &bound.statement {
            Statement::Query(plan) => Some(grizzly_ir::optimize(plan.clone(), snapshot)?),
            _ => None,
        };
        let depends_on = snapshot
            .table_names()
            .into_iter()
            .filter_map(|n| snapshot.table(&n).map(|t| (n, t.schema_version)))
            .collect();
        Ok(Prepared {
            ast,
            statement: bound.statement,
            param_types: bound.param_types,
            optimized,
            depends_on,
        })
    }

    fn is_current(&self, snapshot: &Snapshot) -> bool {
        let now: Vec<(String, u64)> = snapshot
            .table_names()
            .into_iter()
            .filter_map(|n| snapshot.table(&n).map(|t| (n, t.schema_version)))
            .collect();
        now == self.depends_on
    }
}

impl PreparedStatement {
    /// Runs the statement with `params` (one per placeholder, converted to the placeholder's
    /// type as a CAST would).
    pub fn query(&self, params: &[Value]) -> Result<QueryResult> {
        Ok(self.run(params)?.into_result())
    }

    /// Runs the statement with `params`; returns rows affected.
    pub fn execute(&self, params: &[Value]) -> Result<u64> {
        Ok(self.run(params)?.affected())
    }

    /// Types of the placeholders, as inferred from their context.
    pub fn param_types(&self) -> Vec<DataType> {
        self.lock().param_types.clone()
    }

    fn lock(&self) -> MutexGuard<'_, Prepared> {
        self.prepared.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn run(&self, params: &[Value]) -> Result<Outcome> {
        let mut session = self.db.lock();
        let snapshot = self.db.read_snapshot(&session);
        let mut prepared = self.lock();
        if !prepared.is_current(&snapshot) {
            let ast = prepared.ast.clone();
            *prepared = Prepared::bind(ast, &snapshot)?;
        }
        if params.len() != prepared.param_types.len() {
            return Err(Error::Usage(format!(
                "the statement has {} parameter(s) but {} value(s) were given",
                prepared.param_types.len(),
                params.len()
            )));
        }
        let values = params
            .iter()
            .zip(&prepared.param_types)
            .map(|(v, ty)| exec::kernels::cast_value(v, *ty))
            .collect::<Result<Vec<_>>>()?;
        let params: Arc<[Value]> = values.into();
        if let Some(plan) = &prepared.optimized {
            let ctx = ExecContext::new(snapshot, params);
            return Ok(Outcome::Rows(run_query(plan, &ctx)?));
        }
        let statement = prepared.statement.clone();
        drop(prepared);
        self.db
            .run_statement(&mut session, snapshot, statement, params)
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.store.path())
            .finish()
    }
}

impl Settings {
    /// Known settings and their allowed values.
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }
}
