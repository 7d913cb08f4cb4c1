//! What the binder needs to know about stored tables. `ir` knows no storage: the runtime
//! implements [`Catalog`] over a snapshot.

use crate::types::DataType;

/// A column of a stored table.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnMeta {
    pub name: String,
    pub ty: DataType,
    /// False for NOT NULL / PRIMARY KEY columns.
    pub nullable: bool,
}

/// A stored table as the binder sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct TableMeta {
    /// Lower-case name (unquoted identifiers fold to lower case, as in PostgreSQL).
    pub name: String,
    pub columns: Vec<ColumnMeta>,
    /// Rows in the snapshot; used for join ordering.
    pub row_count: u64,
}

/// A view: its defining SQL is re-bound at each use.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewMeta {
    pub name: String,
    /// The SELECT text after `AS`.
    pub sql: String,
    /// Column names given as `CREATE VIEW v (a, b) AS ...`, if any.
    pub column_names: Vec<String>,
}

/// Name resolution for the binder. Names are passed lower-cased (or as quoted).
pub trait Catalog {
    fn table(&self, name: &str) -> Option<TableMeta>;
    fn view(&self, name: &str) -> Option<ViewMeta>;
}
