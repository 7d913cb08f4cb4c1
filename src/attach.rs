//! Attached databases: `ATTACH [DATABASE] 'f.griz' [AS a] [(READ_ONLY)]`, `DETACH a`,
//! `SHOW DATABASES`, and where writes to `a.t` go.
//!
//! A [`Database`](crate::Database) handle and every session [`connect`]ed to it share one
//! [`Attachments`]: the open stores by alias. Dropping the last handle detaches them (the
//! stores, and their file locks, go with the last snapshot that sees them).
//!
//! Each statement reads one snapshot of every database ([`with_attached`]): the main one's
//! (the transaction's own view inside a transaction) plus each attached database's — the
//! transaction's write view for the one it writes, the snapshot taken at `BEGIN` for the
//! others, the last commit outside a transaction. Writes follow DuckDB's rule: a transaction
//! writes to one database only ([`AttachedTxn`]); statements outside a transaction commit on
//! their own in the database they write.
//!
//! [`connect`]: crate::Database::connect

use crate::result::{Column, QueryResult};
use crate::session::Session;
use grizzly_ir::{DataType, Statement, Value};
use grizzly_runtime::storage::{AttachedSnapshot, Snapshot, Store, WriteTxn};
use grizzly_runtime::{Error, Result, Vector};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

/// Parses and binds one `ATTACH` or `DETACH` statement in DuckDB's dialect (the PostgreSQL
/// one reads neither `(READ_ONLY)` nor `DETACH`).
///
/// # Errors
/// A parse error, or the binder's error (reserved alias, bad option, ...).
pub(crate) fn parse(sql: &str) -> Result<Statement> {
    use grizzly_ir::sqlparser::{dialect::DuckDbDialect, parser::Parser};
    let parse_error = |message: String| {
        Error::Sql(grizzly_ir::Error::Parse {
            message,
            location: None,
        })
    };
    let asts = Parser::parse_sql(&DuckDbDialect {}, sql).map_err(|e| parse_error(e.to_string()))?;
    let [ast] = asts.as_slice() else {
        return Err(parse_error(
            "expected one ATTACH or DETACH statement".into(),
        ));
    };
    Ok(grizzly_ir::bind(ast, &grizzly_ir::catalog::EmptyCatalog)?.statement)
}

/// One attached database.
pub(crate) struct AttachedDb {
    pub alias: String,
    /// Unique in the process for each ATTACH (see [`AttachedSnapshot::id`]).
    pub id: u64,
    /// The file as given to ATTACH, made absolute.
    pub path: PathBuf,
    pub read_only: bool,
    pub store: Store,
}

/// The databases attached to one database handle, by alias.
#[derive(Default)]
pub(crate) struct Attachments {
    dbs: RwLock<BTreeMap<String, Arc<AttachedDb>>>,
}

/// Where a statement writes.
pub(crate) enum Target {
    Main,
    Attached(Arc<AttachedDb>),
}

impl Target {
    /// The database's name.
    fn database(&self) -> &str {
        match self {
            Target::Main => grizzly_ir::catalog::MAIN_DATABASE,
            Target::Attached(db) => &db.alias,
        }
    }
}

impl Attachments {
    /// The attached databases, by alias.
    pub(crate) fn list(&self) -> Vec<Arc<AttachedDb>> {
        self.read().values().cloned().collect()
    }

    /// Opens `path` (created if missing unless `read_only`) as database `alias`.
    ///
    /// # Errors
    /// `Error::Usage` if `alias` is taken (unless `if_not_exists`), if the file is already
    /// open as the main or an attached database, or if a read-only file does not exist;
    /// `Error::Corrupt` for a file that is not a valid `.griz` file; `Error::Io`.
    pub(crate) fn attach(
        &self,
        main: &Store,
        main_snapshot: &Snapshot,
        path: &Path,
        alias: &str,
        read_only: bool,
        if_not_exists: bool,
    ) -> Result<()> {
        let mut dbs = self.dbs.write().unwrap_or_else(|e| e.into_inner());
        if let Some(db) = dbs.get(alias) {
            if if_not_exists {
                return Ok(());
            }
            return Err(Error::Usage(format!(
                "database \"{alias}\" is already attached (to {}); DETACH it first or choose \
                 another name",
                db.path.display()
            )));
        }
        let path = std::path::absolute(path).map_err(|source| Error::Io {
            context: format!("resolving {}", path.display()),
            source,
        })?;
        let same_file = |other: &Path| match (path.canonicalize(), other.canonicalize()) {
            (Ok(a), Ok(b)) => a == b,
            _ => path == other,
        };
        if main.path().is_some_and(same_file) {
            return Err(Error::Usage(format!(
                "cannot attach {}: it is the main database's file",
                path.display()
            )));
        }
        if let Some(db) = dbs.values().find(|db| same_file(&db.path)) {
            return Err(Error::Usage(format!(
                "cannot attach {} as \"{alias}\": the file is already attached as \"{}\"",
                path.display(),
                db.alias
            )));
        }
        if read_only && !path.exists() {
            return Err(Error::Usage(format!(
                "cannot attach {} READ_ONLY: the file does not exist",
                path.display()
            )));
        }
        // Plans name attached tables `alias.table`: a main table named so would be ambiguous.
        let prefix = format!("{alias}.");
        let names = main_snapshot.table_names().into_iter();
        if let Some(name) = names
            .chain(main_snapshot.view_names())
            .find(|n| n.starts_with(&prefix))
        {
            return Err(Error::Usage(format!(
                "cannot attach as \"{alias}\": the main database has a table or view named \
                 \"{name}\", which would read as table \"{}\" of the attached database",
                &name[prefix.len()..]
            )));
        }
        let store = Store::open(&path)?;
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let db = AttachedDb {
            alias: alias.to_string(),
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            path,
            read_only,
            store,
        };
        dbs.insert(alias.to_string(), Arc::new(db));
        Ok(())
    }

    /// Detaches database `alias`.
    ///
    /// # Errors
    /// `Error::Usage` for `main` and for a name that is not attached (unless `if_exists`).
    pub(crate) fn detach(&self, alias: &str, if_exists: bool) -> Result<()> {
        if alias == grizzly_ir::catalog::MAIN_DATABASE {
            return Err(Error::Usage(
                "cannot detach the main database \"main\"".into(),
            ));
        }
        let mut dbs = self.dbs.write().unwrap_or_else(|e| e.into_inner());
        if dbs.remove(alias).is_none() && !if_exists {
            return Err(Error::Usage(format!(
                "database \"{alias}\" is not attached (SHOW DATABASES lists the attached \
                 databases)"
            )));
        }
        Ok(())
    }

    /// Where a plan's table `name` lives, and its name there. `snapshot` is the one the
    /// statement was bound against: it says which aliases were attached then.
    ///
    /// # Errors
    /// `Error::Usage` if the database was detached since.
    pub(crate) fn target(&self, snapshot: &Snapshot, name: &str) -> Result<(Target, String)> {
        let Some((attached, table)) = snapshot.split_attached(name) else {
            return Ok((Target::Main, name.to_string()));
        };
        match self.read().get(&attached.alias) {
            Some(db) if db.id == attached.id => Ok((Target::Attached(db.clone()), table.into())),
            _ => Err(Error::Usage(format!(
                "database \"{}\" was detached while the statement ran",
                attached.alias
            ))),
        }
    }

    /// [`Attachments::target`] of several tables of one statement (DROP TABLE a, b), which
    /// must live in one database: a statement writes to one database.
    pub(crate) fn targets(
        &self,
        snapshot: &Snapshot,
        names: &[String],
    ) -> Result<(Target, Vec<String>)> {
        let mut target = Target::Main;
        let mut locals = Vec::with_capacity(names.len());
        for (i, name) in names.iter().enumerate() {
            let (t, local) = self.target(snapshot, name)?;
            if i > 0 && t.database() != target.database() {
                return Err(Error::Usage(format!(
                    "one statement cannot change tables of two databases (\"{}\" and \"{}\")",
                    target.database(),
                    t.database()
                )));
            }
            target = t;
            locals.push(local);
        }
        Ok((target, locals))
    }

    /// `SHOW DATABASES`: name, file and whether read-only, main first.
    pub(crate) fn show(&self, main: &Store) -> QueryResult {
        let path = |p: Option<&Path>| p.map_or(":memory:".into(), |p| p.display().to_string());
        let mut rows = vec![("main".to_string(), path(main.path()), false)];
        for db in self.list() {
            rows.push((db.alias.clone(), path(Some(&db.path)), db.read_only));
        }
        let text = |f: fn(&(String, String, bool)) -> &String| {
            let values: Vec<Value> = rows.iter().map(|r| Value::Varchar(f(r).clone())).collect();
            Vector::from_values(DataType::Varchar, &values).expect("VARCHAR values")
        };
        let read_only: Vec<Value> = rows.iter().map(|r| Value::Boolean(r.2)).collect();
        let columns = [
            ("database_name", DataType::Varchar),
            ("path", DataType::Varchar),
            ("read_only", DataType::Boolean),
        ]
        .map(|(name, ty)| Column {
            name: name.into(),
            ty,
        });
        let data = vec![
            text(|r| &r.0),
            text(|r| &r.1),
            Vector::from_values(DataType::Boolean, &read_only).expect("BOOLEAN values"),
        ];
        QueryResult::new(columns.into(), data, rows.len())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<String, Arc<AttachedDb>>> {
        // The map is replaced entry by entry: a panic cannot leave it half changed.
        self.dbs.read().unwrap_or_else(|e| e.into_inner())
    }
}

/// What an open transaction does with attached databases. Default (empty) outside a
/// transaction.
#[derive(Default)]
pub(crate) struct AttachedTxn {
    /// The transaction has written to the main database.
    wrote_main: bool,
    /// The attached database the transaction writes to, and its write transaction.
    write: Option<(Arc<AttachedDb>, WriteTxn)>,
    /// Snapshots of the attached databases taken at `BEGIN`: what the transaction reads of
    /// those it does not write.
    pinned: Vec<AttachedSnapshot>,
}

impl AttachedTxn {
    /// The state of a transaction starting now: every attached database's last commit.
    pub(crate) fn begin(attachments: &Attachments) -> AttachedTxn {
        let pinned = attachments
            .list()
            .into_iter()
            .map(|db| AttachedSnapshot {
                alias: db.alias.clone(),
                id: db.id,
                snapshot: db.store.snapshot(),
            })
            .collect();
        AttachedTxn {
            pinned,
            ..AttachedTxn::default()
        }
    }

    /// Commits the write to an attached database, if any.
    pub(crate) fn commit(self) -> Result<()> {
        match self.write {
            Some((_, txn)) => txn.commit(),
            None => Ok(()),
        }
    }

    /// Records a write to the main database in a transaction.
    ///
    /// # Errors
    /// `Error::Usage` naming both databases if the transaction wrote to an attached one.
    pub(crate) fn note_main_write(&mut self) -> Result<()> {
        if let Some((db, _)) = &self.write {
            return Err(two_databases("main", &db.alias));
        }
        self.wrote_main = true;
        Ok(())
    }

    /// What the transaction reads of `db`.
    fn snapshot_of(&self, db: &AttachedDb) -> Arc<Snapshot> {
        if let Some((w, txn)) = &self.write {
            if w.id == db.id {
                return txn.snapshot();
            }
        }
        match self.pinned.iter().find(|p| p.id == db.id) {
            Some(p) => p.snapshot.clone(),
            None => db.store.snapshot(),
        }
    }
}

fn two_databases(writing: &str, written: &str) -> Error {
    Error::Usage(format!(
        "cannot write to database \"{writing}\": this transaction has already written to \
         database \"{written}\" (a transaction writes to one database only; COMMIT first)"
    ))
}

/// The snapshot a statement of `session` reads: `main` plus every attached database.
pub(crate) fn with_attached(
    main: Arc<Snapshot>,
    attachments: &Attachments,
    session: &Session,
) -> Arc<Snapshot> {
    let dbs = attachments.list();
    if dbs.is_empty() {
        return main;
    }
    let attached = dbs
        .iter()
        .map(|db| AttachedSnapshot {
            alias: db.alias.clone(),
            id: db.id,
            snapshot: session.attached.snapshot_of(db),
        })
        .collect();
    Arc::new(main.with_attached(attached))
}

/// Runs `f` in a write transaction of the attached database `db`: the session's (begun now
/// if needed) inside a transaction, else a new one committed right after.
///
/// # Errors
/// `Error::Usage` if `db` is read-only, if the transaction already wrote to another
/// database, or if `db` changed since the transaction began; `f`'s errors.
pub(crate) fn write<T>(
    db: &Arc<AttachedDb>,
    session: &mut Session,
    f: impl FnOnce(&mut WriteTxn) -> Result<T>,
) -> Result<T> {
    if db.read_only {
        return Err(Error::Usage(format!(
            "cannot write to database \"{}\": it is attached READ_ONLY",
            db.alias
        )));
    }
    if session.txn.is_none() {
        let mut txn = db.store.begin_write()?;
        let out = f(&mut txn)?;
        txn.commit()?;
        return Ok(out);
    }
    let state = &mut session.attached;
    if state.wrote_main {
        return Err(two_databases(&db.alias, "main"));
    }
    if let Some((w, _)) = &state.write {
        if w.id != db.id {
            return Err(two_databases(&db.alias, &w.alias));
        }
    } else {
        let txn = db.store.begin_write()?;
        // Holding the writer lock, nothing commits to `db` now: its last commit must be the
        // one the transaction has been reading, or its writes would rest on stale reads.
        if let Some(p) = state.pinned.iter().find(|p| p.id == db.id) {
            if p.snapshot.commit_number() != db.store.snapshot().commit_number() {
                return Err(Error::Usage(format!(
                    "database \"{}\" was changed by another session since this transaction \
                     began; ROLLBACK and retry",
                    db.alias
                )));
            }
        }
        state.write = Some((db.clone(), txn));
    }
    let (_, txn) = state.write.as_mut().expect("set above");
    f(txn)
}
