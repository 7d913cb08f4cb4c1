//! The embedded API: open a database, run statements, prepare queries.

use crate::result::QueryResult;
use grizzly_ir::Value;
use grizzly_runtime::Result;
use std::path::Path;

/// A handle on a database (a `.griz` file or in memory) with its own session: transaction
/// state and settings. Cheap to clone; clones share the session. [`Database::connect`] opens
/// another session on the same database.
#[derive(Clone)]
pub struct Database {}

/// A statement parsed and bound once, run many times with new parameters.
pub struct PreparedStatement {}

impl Database {
    /// Opens (or creates) the database file at `path`.
    pub fn open(_path: impl AsRef<Path>) -> Result<Database> {
        todo!("database open")
    }

    /// A new, empty database that lives in memory only.
    pub fn in_memory() -> Database {
        todo!("in-memory database")
    }

    /// A new session on the same database (its own transaction and settings).
    pub fn connect(&self) -> Database {
        todo!()
    }

    /// Runs every statement in `sql`; returns the rows affected by the last one (0 for DDL).
    pub fn execute(&self, _sql: &str) -> Result<u64> {
        todo!()
    }

    /// Runs every statement in `sql` and returns the result of the last one.
    pub fn query(&self, _sql: &str) -> Result<QueryResult> {
        todo!()
    }

    /// Parses and binds one statement with `?` or `$n` parameters.
    pub fn prepare(&self, _sql: &str) -> Result<PreparedStatement> {
        todo!()
    }
}

impl PreparedStatement {
    /// Runs the statement with `params` (one per placeholder).
    pub fn query(&self, _params: &[Value]) -> Result<QueryResult> {
        todo!()
    }

    /// Runs the statement with `params`; returns rows affected.
    pub fn execute(&self, _params: &[Value]) -> Result<u64> {
        todo!()
    }
}
