//! The embedded API: open a database, run statements, prepare queries.
//!
//! A [`Database`] is a session on a shared store. Statements outside an explicit transaction
//! commit on their own (autocommit); `BEGIN` holds the store's single write transaction until
//! `COMMIT` or `ROLLBACK`, and the session's reads see its own uncommitted changes.

use crate::alter;
use crate::attach::{self, AttachedTxn, Attachments, Target};
use crate::cache::{CacheEntryInfo, CacheStats};
use crate::copy;
use crate::explain_analyze;
use crate::interrupt::{InterruptHandle, Running};
use crate::jit::{self, Fingerprint};
use crate::query::{self, CachedPlan, Shared, TierSettings};
use crate::result::{Column, QueryResult};
use crate::session::Session;
use crate::system::{self, SystemCatalog};
use crate::tier::{CompileInfo, JitMode, Tier};
use grizzly_ir::sqlparser::ast;
use grizzly_ir::{Catalog, DataType, LogicalPlan, Statement, Value};
use grizzly_runtime::exec;
use grizzly_runtime::storage::{Snapshot, Store, WriteTxn};
use grizzly_runtime::{Error, Result, Vector};
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

/// A handle on a database (a `.griz` file or in memory) with its own session: transaction
/// state and settings. Cheap to clone; clones share the session. [`Database::connect`] opens
/// another session on the same database; sessions share the query cache and its compiled
/// code. `Send + Sync`: queries run in parallel (the session is locked only to take a
/// snapshot); other statements of one session run one at a time.
#[derive(Clone)]
pub struct Database {
    store: Arc<Store>,
    session: Arc<Mutex<Session>>,
    shared: Arc<Shared>,
    /// Databases attached to this handle, shared by its sessions (see `attach`).
    attached: Arc<Attachments>,
    /// The session's running API calls, for [`Database::interrupt_handle`].
    running: Arc<Running>,
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
            shared: Arc::new(Shared::new(Box::new(jit::generator))),
            attached: Arc::default(),
            running: Arc::default(),
        }
    }

    /// A new session on the same database (its own transaction and settings).
    pub fn connect(&self) -> Database {
        Database {
            store: self.store.clone(),
            session: Arc::new(Mutex::new(Session::default())),
            shared: self.shared.clone(),
            attached: self.attached.clone(),
            running: Arc::default(),
        }
    }

    /// A new session on the same database that starts with a copy of this session's settings
    /// (what `SET` changed, such as `jit` and `memory_limit`), without its transaction. A
    /// server gives each client one of these, so the settings of the handle it serves are
    /// every session's defaults; each session can then `SET` its own.
    pub fn connect_with_settings(&self) -> Database {
        let settings = self.lock().settings.clone();
        let session = self.connect();
        session.lock().settings = settings;
        session
    }

    /// A handle that cancels this session's running statements from another thread (the
    /// session's clones share it; [`Database::connect`] sessions have their own). A cancelled
    /// statement returns [`Error::Cancelled`] within a batch or a row group of work and
    /// leaves no effects; statements started after the call run normally.
    pub fn interrupt_handle(&self) -> InterruptHandle {
        InterruptHandle::new(self.running.clone())
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

    /// Parses and binds one statement with `?` or `$n` parameters. Queries are optimized and
    /// lifted once: runs skip the front end and go straight to the query cache.
    pub fn prepare(&self, sql: &str) -> Result<PreparedStatement> {
        let ast = parse_one(sql, "prepare")?;
        let session = self.lock();
        let snapshot = self.read_snapshot(&session);
        let prepared = Prepared::bind(ast, &snapshot)?;
        drop(session);
        Ok(PreparedStatement {
            db: self.clone(),
            prepared: Mutex::new(Arc::new(prepared)),
        })
    }

    /// The fingerprint of a query's shape and its canonical text: queries that differ only in
    /// literals (that do not shape the plan) share both, and so share one cache entry.
    ///
    /// # Errors
    /// SQL errors, or `Error::Usage` if `sql` is not one query.
    pub fn fingerprint(&self, sql: &str) -> Result<(Fingerprint, String)> {
        let ast = parse_one(sql, "fingerprint")?;
        let snapshot = self.read_snapshot(&self.lock());
        let bound = grizzly_ir::bind(&ast, &SystemCatalog(&snapshot))?;
        let Statement::Query(plan) = bound.statement else {
            return Err(Error::Usage("fingerprint takes a query".into()));
        };
        let plan = grizzly_ir::optimize(plan, &*snapshot)?;
        let lifted = jit::lift(&plan, bound.param_types.len());
        Ok((lifted.fingerprint, lifted.canonical))
    }

    /// The query cache's entries, most recently used first (what `grizzly_query_cache` shows).
    pub fn query_cache(&self) -> Vec<CacheEntryInfo> {
        self.shared.cache.entries()
    }

    /// The query cache's counters.
    pub fn cache_stats(&self) -> CacheStats {
        self.shared.cache.stats()
    }

    /// Drops every cached query and its compiled code (`PRAGMA clear_query_cache`).
    pub fn clear_query_cache(&self) {
        self.shared.cache.clear();
        self.shared.texts.clear();
    }

    /// Sets this session's execution mode (as `SET jit = '<mode>'`).
    pub fn set_jit(&self, mode: JitMode) {
        self.lock()
            .settings
            .set("jit", mode.name())
            .expect("every mode is a valid jit setting");
    }

    /// This session's execution mode.
    pub fn jit(&self) -> JitMode {
        self.lock().settings.jit()
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

    /// What reads see: the open transaction's view, or the last committed state; with the
    /// attached databases' (see `attach::with_attached`).
    fn read_snapshot(&self, session: &Session) -> Arc<Snapshot> {
        let main = match &session.txn {
            Some(txn) => txn.snapshot(),
            None => self.store.snapshot(),
        };
        attach::with_attached(main, &self.attached, session)
    }

    fn run_sql(&self, sql: &str) -> Result<Outcome> {
        let _call = self.running.enter();
        if let Some(result) = self.run_cached_text(sql) {
            return result.map(Outcome::Rows);
        }
        if crate::import::needs_rewrite(sql) {
            let mut last = Outcome::Affected(0);
            for piece in crate::import::split_statements(sql) {
                last = match crate::import::recognize(piece)? {
                    Some(crate::import::Special::Statement(statement)) => {
                        let mut session = self.lock();
                        let snapshot = self.read_snapshot(&session);
                        self.run_statement(&mut session, snapshot, statement, Arc::from([]), false)?
                    }
                    Some(crate::import::Special::Sql(text)) => self.run_parsed(&text)?,
                    None => self.run_parsed(piece)?,
                };
            }
            return Ok(last);
        }
        self.run_parsed(sql)
    }

    /// Runs SQL text, first loading the files its table functions (`read_csv('path')`,
    /// `read_parquet('path')`, `read_json('path')`) read into
    /// temporary tables of the statement's write transaction (dropped before it ends).
    fn run_parsed(&self, sql: &str) -> Result<Outcome> {
        let (sql, files) = crate::import::extract_table_functions(sql)?;
        if files.is_empty() {
            return self.run_asts(&sql, true);
        }
        let mut loaded = Vec::with_capacity(files.len());
        for file in &files {
            let (columns, data) = file.load()?;
            loaded.push((file.name.clone(), columns, data));
        }
        let own = {
            let mut session = self.lock();
            if session.txn.is_none() {
                session.txn = Some(self.store.begin_write()?);
                true
            } else {
                false
            }
        };
        let names: Vec<String> = loaded.iter().map(|(n, ..)| n.clone()).collect();
        let result = (|| {
            let mut session = self.lock();
            let txn = session.txn.as_mut().expect("a transaction was started");
            for (name, columns, data) in loaded {
                txn.create_table(grizzly_ir::TableMeta {
                    name: name.clone(),
                    columns,
                    row_count: 0,
                })?;
                txn.append(&name, data)?;
            }
            drop(session);
            self.run_asts(&sql, false)
        })();
        let mut session = self.lock();
        let cleanup = match session.txn.as_mut() {
            Some(txn) => {
                let snap = txn.snapshot();
                names
                    .iter()
                    .filter(|n| snap.table(n).is_some())
                    .try_for_each(|n| txn.drop_table(n))
            }
            None => Ok(()),
        };
        if own {
            let attached = std::mem::take(&mut session.attached);
            if let Some(txn) = session.txn.take() {
                if result.is_ok() && cleanup.is_ok() {
                    attached.commit()?;
                    txn.commit()?;
                } else {
                    txn.rollback();
                }
            }
        }
        cleanup?;
        result
    }

    /// Runs a query whose text the text cache knows (bound against the current catalog)
    /// without parsing, binding or optimizing it; `None` if it does not know it.
    fn run_cached_text(&self, sql: &str) -> Option<Result<QueryResult>> {
        let session = self.lock();
        let snapshot = self.read_snapshot(&session);
        let cached = self.shared.texts.get(sql, &snapshot)?;
        let tiers = TierSettings::of(&session.settings);
        drop(session);
        Some(query::run(&self.shared, tiers, &cached, snapshot, &[]))
    }

    /// Runs the statements of `sql`; when `cache_text`, a lone query's plan is kept in the
    /// text cache under `sql`.
    fn run_asts(&self, sql: &str, cache_text: bool) -> Result<Outcome> {
        let asts = grizzly_ir::parse(sql)?;
        let cache_text = cache_text.then_some(sql).filter(|_| asts.len() == 1);
        let mut last = Outcome::Affected(0);
        for ast in &asts {
            if is_pragma(ast, "clear_query_cache") {
                self.clear_query_cache();
                last = Outcome::Affected(0);
                continue;
            }
            let mut session = self.lock();
            let snapshot = self.read_snapshot(&session);
            let bound = grizzly_ir::bind(ast, &SystemCatalog(&snapshot))?;
            last = match bound.statement {
                Statement::Query(plan) => {
                    // Queries only need the snapshot: let the session's other users go on.
                    let tiers = TierSettings::of(&session.settings);
                    drop(session);
                    Outcome::Rows(self.run_query(
                        plan,
                        snapshot,
                        tiers,
                        Arc::from([]),
                        cache_text,
                    )?)
                }
                statement => self.run_statement(
                    &mut session,
                    snapshot,
                    statement,
                    Arc::from([]),
                    explain_jit(ast),
                )?,
            };
        }
        Ok(last)
    }

    /// Runs a bound query: system tables are read interpreted; other queries go through the
    /// query cache and the tiers. With `cache_text`, the plan is kept in the text cache under
    /// that text.
    fn run_query(
        &self,
        plan: LogicalPlan,
        snapshot: Arc<Snapshot>,
        tiers: TierSettings,
        params: Arc<[Value]>,
        cache_text: Option<&str>,
    ) -> Result<QueryResult> {
        if system::reads_system_table(&plan, &snapshot) {
            let plan = self.optimize(plan, &snapshot)?;
            return query::run_interpreted(&plan, snapshot, params, tiers.memory_limit);
        }
        let plan = grizzly_ir::optimize(plan, &*snapshot)?;
        if tiers.mode == JitMode::Off && cache_text.is_none() {
            return query::run_interpreted(&plan, snapshot, params, tiers.memory_limit);
        }
        let cached = Arc::new(CachedPlan::new(&plan, params.len(), &snapshot));
        if let Some(text) = cache_text {
            self.shared.texts.insert(text, &snapshot, cached.clone());
        }
        query::run(&self.shared, tiers, &cached, snapshot, &params)
    }

    /// Optimizes a bound plan, first filling in the rows of any system table it reads.
    fn optimize(&self, plan: LogicalPlan, snapshot: &Snapshot) -> Result<LogicalPlan> {
        let plan = if system::reads_system_table(&plan, snapshot) {
            system::materialize(plan, &self.shared.cache.entries(), snapshot)
        } else {
            plan
        };
        Ok(grizzly_ir::optimize(plan, snapshot)?)
    }

    /// Runs `f` in the session's transaction, or in a new one committed right after.
    fn write<T>(
        &self,
        session: &mut Session,
        f: impl FnOnce(&mut WriteTxn) -> Result<T>,
    ) -> Result<T> {
        match &mut session.txn {
            Some(txn) => {
                session.attached.note_main_write()?;
                f(txn)
            }
            None => {
                let mut txn = self.store.begin_write()?;
                let out = f(&mut txn)?;
                txn.commit()?;
                Ok(out)
            }
        }
    }

    /// [`Database::write`] in the database `target` names (main or an attached one).
    fn write_to<T>(
        &self,
        session: &mut Session,
        target: &Target,
        f: impl FnOnce(&mut WriteTxn) -> Result<T>,
    ) -> Result<T> {
        match target {
            Target::Main => self.write(session, f),
            Target::Attached(db) => attach::write(db, session, f),
        }
    }

    pub(crate) fn run_statement(
        &self,
        session: &mut Session,
        snapshot: Arc<Snapshot>,
        statement: Statement,
        params: Arc<[Value]>,
        explain_jit: bool,
    ) -> Result<Outcome> {
        let ctx = query::context(snapshot.clone(), params.clone())
            .with_memory(session.settings.memory_budget());
        match statement {
            Statement::Query(plan) => {
                let tiers = TierSettings::of(&session.settings);
                Ok(Outcome::Rows(
                    self.run_query(plan, snapshot, tiers, params, None)?,
                ))
            }
            Statement::CreateTable {
                name,
                columns,
                if_not_exists,
            } => {
                if if_not_exists && snapshot.table(&name).is_some() {
                    return Ok(Outcome::Affected(0));
                }
                let (target, name) = self.attached.target(&snapshot, &name)?;
                let meta = grizzly_ir::TableMeta {
                    name,
                    columns,
                    row_count: 0,
                };
                self.write_to(session, &target, |txn| txn.create_table(meta))?;
                Ok(Outcome::Affected(0))
            }
            Statement::CreateTableAs { name, query } => {
                let (target, name) = self.attached.target(&snapshot, &name)?;
                let plan = self.optimize(query, &snapshot)?;
                let result = query::to_result(&plan, &ctx)?;
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
                self.write_to(session, &target, |txn| {
                    txn.create_table(meta)?;
                    // Inside BEGIN the transaction outlives a failed statement: take the
                    // table back so that the statement leaves nothing.
                    txn.append(&name, data).or_else(|e| {
                        txn.drop_table(&name)?;
                        Err(e)
                    })
                })?;
                Ok(Outcome::Affected(rows))
            }
            Statement::DropTable { names, if_exists } => {
                let (target, locals) = self.attached.targets(&snapshot, &names)?;
                self.write_to(session, &target, |txn| {
                    // Every name is checked before the first table goes (the statement is
                    // atomic inside an explicit transaction too).
                    let snapshot = txn.snapshot();
                    for (name, local) in names.iter().zip(&locals) {
                        if snapshot.table(local).is_none() && !if_exists {
                            return Err(Error::Sql(grizzly_ir::Error::Bind(format!(
                                "table \"{name}\" does not exist"
                            ))));
                        }
                    }
                    for local in &locals {
                        if txn.snapshot().table(local).is_some() {
                            txn.drop_table(local)?;
                        }
                    }
                    Ok(())
                })?;
                Ok(Outcome::Affected(0))
            }
            Statement::AlterTable {
                table,
                if_exists,
                changes,
            } => {
                if snapshot.table(&table).is_none() && if_exists {
                    return Ok(Outcome::Affected(0));
                }
                let (target, local) = self.attached.target(&snapshot, &table)?;
                self.write_to(session, &target, |txn| {
                    alter::check(&txn.snapshot(), &local, &changes)?;
                    for change in changes {
                        alter::apply(txn, &local, change)?;
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
                let (target, table) = self.attached.target(&snapshot, &table)?;
                let plan = self.optimize(query, &snapshot)?;
                let (columns, rows) = exec::execute(&plan, &ctx)?;
                if rows > 0 {
                    self.write_to(session, &target, |txn| txn.append(&table, columns))?;
                }
                Ok(Outcome::Affected(rows as u64))
            }
            Statement::Rewrite {
                table,
                new_contents,
                affected,
                ..
            } => {
                let (target, table) = self.attached.target(&snapshot, &table)?;
                let affected = self.optimize(affected, &snapshot)?;
                let (count, _) = exec::execute(&affected, &ctx)?;
                let n = match count.first().map(|c| c.get(0)) {
                    Some(Value::Int64(n)) => n as u64,
                    _ => 0,
                };
                if n > 0 {
                    let plan = self.optimize(new_contents, &snapshot)?;
                    let (columns, _) = exec::execute(&plan, &ctx)?;
                    self.write_to(session, &target, |txn| txn.replace(&table, columns))?;
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
                let (target, table) = self.attached.target(&snapshot, &table)?;
                let columns = copy::read_table_file(Path::new(&path), &meta, &options)?;
                let rows = columns.first().map_or(0, Vector::len) as u64;
                if rows > 0 {
                    self.write_to(session, &target, |txn| txn.append(&table, columns))?;
                }
                Ok(Outcome::Affected(rows))
            }
            Statement::CopyTo {
                query,
                path,
                options,
            } => {
                let plan = self.optimize(query, &snapshot)?;
                let result = query::to_result(&plan, &ctx)?;
                copy::write_result(Path::new(&path), &result, &options)?;
                Ok(Outcome::Affected(result.row_count() as u64))
            }
            Statement::Begin => {
                if session.txn.is_some() {
                    return Err(Error::Usage("a transaction is already in progress".into()));
                }
                session.txn = Some(self.store.begin_write()?);
                session.attached = AttachedTxn::begin(&self.attached);
                Ok(Outcome::Affected(0))
            }
            Statement::Commit => match session.txn.take() {
                Some(txn) => {
                    std::mem::take(&mut session.attached).commit()?;
                    txn.commit()?;
                    Ok(Outcome::Affected(0))
                }
                None => Err(Error::Usage(
                    "COMMIT without a transaction in progress".into(),
                )),
            },
            Statement::Rollback => match session.txn.take() {
                Some(txn) => {
                    session.attached = AttachedTxn::default();
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
                // System tables too (`DESCRIBE information_schema.columns`), and views.
                let columns = match grizzly_ir::Catalog::table(&SystemCatalog(&snapshot), &table) {
                    Some(meta) => meta
                        .columns
                        .into_iter()
                        .map(|c| (c.name, c.ty, c.nullable))
                        .collect(),
                    None if snapshot.view_meta(&table).is_some() => {
                        system::view_columns(&snapshot, &table).ok_or_else(|| {
                            Error::Sql(grizzly_ir::Error::Bind(format!(
                                "view \"{table}\" cannot be described: its query no longer binds"
                            )))
                        })?
                    }
                    None => {
                        return Err(Error::Sql(grizzly_ir::Error::Bind(format!(
                            "table \"{table}\" does not exist"
                        ))))
                    }
                };
                let mut cols = vec![Vec::new(), Vec::new(), Vec::new()];
                for (name, ty, nullable) in columns {
                    cols[0].push(Value::Varchar(name));
                    cols[1].push(Value::Varchar(ty.to_string()));
                    cols[2].push(Value::Varchar(if nullable { "YES" } else { "NO" }.into()));
                }
                Ok(Outcome::Rows(text_result(
                    &["column_name", "column_type", "null"],
                    cols,
                )))
            }
            Statement::Explain { statement } => {
                let text = match *statement {
                    Statement::Query(plan) if system::reads_system_table(&plan, &snapshot) => {
                        grizzly_ir::explain(&self.optimize(plan, &snapshot)?)
                    }
                    Statement::Query(plan) => {
                        let plan = grizzly_ir::optimize(plan, &*snapshot)?;
                        let cached = CachedPlan::new(&plan, params.len(), &snapshot);
                        let tiers = TierSettings::of(&session.settings);
                        query::explain(&self.shared, tiers, &cached, explain_jit)
                    }
                    other => format!("{other:?}"),
                };
                let lines = text
                    .lines()
                    .map(|l| Value::Varchar(l.to_string()))
                    .collect();
                Ok(Outcome::Rows(text_result(&["plan"], vec![lines])))
            }
            Statement::ExplainAnalyze { statement } => {
                let Statement::Query(plan) = *statement else {
                    return Err(Error::Unsupported("EXPLAIN ANALYZE of a non-query".into()));
                };
                let text = if system::reads_system_table(&plan, &snapshot) {
                    let plan = self.optimize(plan, &snapshot)?;
                    explain_analyze::interpreted(&plan, snapshot, params)?
                } else {
                    let plan = grizzly_ir::optimize(plan, &*snapshot)?;
                    let cached = CachedPlan::new(&plan, params.len(), &snapshot);
                    let tiers = TierSettings::of(&session.settings);
                    explain_analyze::cached(&self.shared, tiers, &cached, snapshot, &params)?
                };
                let lines = text
                    .lines()
                    .map(|l| Value::Varchar(l.to_string()))
                    .collect();
                Ok(Outcome::Rows(text_result(&["plan"], vec![lines])))
            }
            Statement::Set { name, value } => {
                session.settings.set(&name, &value)?;
                let number = |n: &str| session.settings.number(n).map(|v| v as usize);
                match name.to_ascii_lowercase().as_str() {
                    "query_cache_entries" => {
                        self.shared
                            .cache
                            .set_limits(number("query_cache_entries"), None);
                    }
                    "query_cache_bytes" => {
                        self.shared
                            .cache
                            .set_limits(None, number("query_cache_bytes"));
                    }
                    _ => {}
                }
                Ok(Outcome::Affected(0))
            }
            Statement::Vacuum => {
                if session.txn.is_some() {
                    return Err(Error::Usage(
                        "VACUUM cannot run inside a transaction block".into(),
                    ));
                }
                self.store.vacuum()?;
                Ok(Outcome::Affected(0))
            }
            Statement::Pragma { name } => match name.to_ascii_lowercase().as_str() {
                "clear_query_cache" => {
                    self.clear_query_cache();
                    Ok(Outcome::Affected(0))
                }
                "integrity_check" => {
                    let mut problems = self.store.integrity_check()?;
                    if problems.is_empty() {
                        problems.push("ok".into());
                    }
                    let rows = problems.into_iter().map(Value::Varchar).collect();
                    Ok(Outcome::Rows(text_result(&["integrity_check"], vec![rows])))
                }
                "database_info" => {
                    let snap = &snapshot;
                    let total: u64 = snap
                        .table_names()
                        .iter()
                        .filter_map(|n| snap.table(n))
                        .map(|t| t.row_groups.iter().map(|g| g.rows as u64).sum::<u64>())
                        .sum();
                    let info = [
                        (
                            "path",
                            self.store
                                .path()
                                .map_or(":memory:".into(), |p| p.display().to_string()),
                        ),
                        ("file_size", self.store.file_len().to_string()),
                        (
                            "format_version",
                            grizzly_runtime::storage::format::FORMAT_VERSION.to_string(),
                        ),
                        ("tables", snap.table_names().len().to_string()),
                        ("views", snap.view_names().len().to_string()),
                        ("total_rows", total.to_string()),
                        ("commit_number", snap.commit_number().to_string()),
                    ];
                    let (keys, values) = info
                        .into_iter()
                        .map(|(k, v)| (Value::Varchar(k.into()), Value::Varchar(v)))
                        .unzip();
                    Ok(Outcome::Rows(text_result(
                        &["key", "value"],
                        vec![keys, values],
                    )))
                }
                other => Err(Error::Unsupported(format!(
                    "PRAGMA {other} (known: integrity_check, database_info, clear_query_cache)"
                ))),
            },
            Statement::Backup { path } => {
                // The committed state, whatever this session has pending.
                let rows = crate::import::backup(&self.store.snapshot(), Path::new(&path))?;
                Ok(Outcome::Affected(rows))
            }
            Statement::Restore { path } => {
                let path = Path::new(&path);
                if !path.exists() {
                    return Err(Error::Usage(format!(
                        "backup file {} does not exist",
                        path.display()
                    )));
                }
                if let Some(own) = self.store.path() {
                    if std::fs::canonicalize(own).ok() == std::fs::canonicalize(path).ok() {
                        return Err(Error::Usage(
                            "cannot RESTORE a database from its own file".into(),
                        ));
                    }
                }
                let source = Store::open(path)?;
                let backup = source.snapshot();
                let rows = self.write(session, |txn| crate::import::restore(txn, &backup))?;
                Ok(Outcome::Affected(rows))
            }
            Statement::ShowDatabases => Ok(Outcome::Rows(self.attached.show(&self.store))),
            Statement::ShowTablesIn { database } => {
                let Some(db) = snapshot.attached_database(&database) else {
                    return Err(Error::Usage(format!(
                        "database \"{database}\" is not attached"
                    )));
                };
                let mut names = db.snapshot.table_names();
                names.extend(db.snapshot.view_names());
                names.sort();
                let names: Vec<Value> = names.into_iter().map(Value::Varchar).collect();
                Ok(Outcome::Rows(text_result(&["name"], vec![names])))
            }
            Statement::Attach {
                path,
                alias,
                read_only,
                if_not_exists,
            } => {
                if session.txn.is_some() {
                    return Err(Error::Usage(
                        "ATTACH cannot run inside a transaction block".into(),
                    ));
                }
                let path = Path::new(&path);
                self.attached.attach(
                    &self.store,
                    &snapshot,
                    path,
                    &alias,
                    read_only,
                    if_not_exists,
                )?;
                Ok(Outcome::Affected(0))
            }
            Statement::Detach { alias, if_exists } => {
                if session.txn.is_some() {
                    return Err(Error::Usage(
                        "DETACH cannot run inside a transaction block".into(),
                    ));
                }
                self.attached.detach(&alias, if_exists)?;
                Ok(Outcome::Affected(0))
            }
            other => Err(Error::Unsupported(format!("statement {other:?}"))),
        }
    }
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

/// A statement parsed and bound once, run many times with new parameters. `Send + Sync`:
/// several threads may run it at once, sharing its compiled code.
pub struct PreparedStatement {
    db: Database,
    /// Replaced whole when a schema change makes it stale; runs hold their own `Arc`.
    prepared: Mutex<Arc<Prepared>>,
}

/// The bound form of a prepared statement and what it depends on.
struct Prepared {
    ast: ast::Statement,
    statement: Statement,
    param_types: Vec<DataType>,
    /// For queries (but those reading system tables), the optimized and lifted plan, so runs
    /// skip binding, optimizing and fingerprinting.
    cached: Option<Arc<CachedPlan>>,
    /// The catalog it was bound against (`Snapshot::catalog_id`): a change means re-bind.
    catalog_id: u64,
}

impl Prepared {
    fn bind(ast: ast::Statement, snapshot: &Snapshot) -> Result<Prepared> {
        let bound = grizzly_ir::bind(&ast, &SystemCatalog(snapshot))?;
        let cached = match &bound.statement {
            Statement::Query(plan) if !system::reads_system_table(plan, snapshot) => {
                let plan = grizzly_ir::optimize(plan.clone(), snapshot)?;
                let cached = CachedPlan::new(&plan, bound.param_types.len(), snapshot);
                Some(Arc::new(cached))
            }
            _ => None,
        };
        Ok(Prepared {
            ast,
            statement: bound.statement,
            param_types: bound.param_types,
            cached,
            catalog_id: snapshot.catalog_id(),
        })
    }
}

impl PreparedStatement {
    /// Runs the statement with `params` (one per placeholder, converted to the placeholder's
    /// type as a CAST would). Queries run under the session's `jit` mode, using the query's
    /// compiled code once there is some.
    pub fn query(&self, params: &[Value]) -> Result<QueryResult> {
        Ok(self.run(params)?.into_result())
    }

    /// Runs the statement with `params`; returns rows affected.
    pub fn execute(&self, params: &[Value]) -> Result<u64> {
        Ok(self.run(params)?.affected())
    }

    /// Types of the placeholders, as inferred from their context.
    pub fn param_types(&self) -> Vec<DataType> {
        self.current_unchecked().param_types.clone()
    }

    /// Compiles the query now (waiting for the compile), whatever the `jit` mode: later runs
    /// in `auto`, `always` and `verify` use the code. Compiling a query already compiled
    /// returns at once.
    ///
    /// # Errors
    /// `Error::Usage` if the statement is not a query; `Error::Unsupported` with the reason if
    /// it cannot be compiled (it keeps running interpreted).
    pub fn compile(&self) -> Result<CompileInfo> {
        let (prepared, _) = self.current()?;
        let Some(cached) = &prepared.cached else {
            return Err(Error::Usage("only queries can be compiled".into()));
        };
        let entry = cached.entry(&self.db.shared.cache);
        let code = self.db.shared.compiler.compile_sync(&entry, &cached.plan)?;
        Ok(CompileInfo {
            compile_time: code.compile_time(),
            code_bytes: code.code_bytes(),
        })
    }

    /// The fingerprint of the query's shape (`None` for statements that are not queries).
    pub fn fingerprint(&self) -> Option<Fingerprint> {
        self.current_unchecked()
            .cached
            .as_ref()
            .map(|c| c.fingerprint)
    }

    /// Where the query's code stands in the shared cache.
    pub fn tier(&self) -> Tier {
        let prepared = self.current_unchecked();
        prepared
            .cached
            .as_ref()
            .and_then(|c| self.db.shared.cache.peek(&c.key))
            .map_or(Tier::Interpreted, |e| e.tier())
    }

    /// The plan, its fingerprint and which pipelines run compiled (as `EXPLAIN`).
    pub fn explain(&self) -> String {
        let tiers = TierSettings::of(&self.db.lock().settings);
        let prepared = self.current_unchecked();
        match &prepared.cached {
            Some(cached) => query::explain(&self.db.shared, tiers, cached, false),
            None => format!("{:?}", prepared.statement),
        }
    }

    /// The bound statement as it is, current or not.
    fn current_unchecked(&self) -> Arc<Prepared> {
        self.prepared
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The bound statement, bound again first if a schema changed; with the snapshot it is
    /// current for.
    fn current(&self) -> Result<(Arc<Prepared>, Arc<Snapshot>)> {
        let snapshot = self.db.read_snapshot(&self.db.lock());
        Ok((self.current_for(&snapshot)?, snapshot))
    }

    fn current_for(&self, snapshot: &Snapshot) -> Result<Arc<Prepared>> {
        let mut prepared = self.prepared.lock().unwrap_or_else(|e| e.into_inner());
        if prepared.catalog_id != snapshot.catalog_id() {
            *prepared = Arc::new(Prepared::bind(prepared.ast.clone(), snapshot)?);
        }
        Ok(prepared.clone())
    }

    fn run(&self, params: &[Value]) -> Result<Outcome> {
        let _call = self.db.running.enter();
        let mut session = self.db.lock();
        let snapshot = self.db.read_snapshot(&session);
        let prepared = self.current_for(&snapshot)?;
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
        if let Some(cached) = &prepared.cached {
            let tiers = TierSettings::of(&session.settings);
            drop(session);
            let result = query::run(&self.db.shared, tiers, cached, snapshot, &values)?;
            return Ok(Outcome::Rows(result));
        }
        let explain_jit = explain_jit(&prepared.ast);
        self.db.run_statement(
            &mut session,
            snapshot,
            prepared.statement.clone(),
            values.into(),
            explain_jit,
        )
    }
}

/// Parses exactly one statement (`what` names the API call, for the error).
fn parse_one(sql: &str, what: &str) -> Result<ast::Statement> {
    let mut asts = grizzly_ir::parse(sql)?;
    if asts.len() != 1 {
        return Err(Error::Usage(format!(
            "{what} takes exactly one statement, got {}",
            asts.len()
        )));
    }
    Ok(asts.remove(0))
}

/// True for `PRAGMA <name>`.
fn is_pragma(ast: &ast::Statement, name: &str) -> bool {
    matches!(ast, ast::Statement::Pragma { name: n, value: None, .. }
        if n.to_string().eq_ignore_ascii_case(name))
}

/// True for `EXPLAIN (JIT) ...`: print the Cranelift IR too.
fn explain_jit(ast: &ast::Statement) -> bool {
    match ast {
        ast::Statement::Explain {
            options: Some(options),
            ..
        } => options
            .iter()
            .any(|o| o.name.value.eq_ignore_ascii_case("jit")),
        _ => false,
    }
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("path", &self.store.path())
            .finish()
    }
}
