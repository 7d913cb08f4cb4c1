//! What the binder needs to know about stored tables. `ir` knows no storage: the runtime
//! implements [`Catalog`] over a snapshot.

use crate::types::{DataType, Value};

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

/// Summary statistics of one stored column, for cardinality estimates. Cheap to compute:
/// the runtime derives them from per-chunk zone maps, never by scanning data.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnStats {
    /// Smallest non-NULL value; `Value::Null` if unknown (or every row is NULL).
    pub min: Value,
    /// Largest non-NULL value; `Value::Null` if unknown.
    pub max: Value,
    pub null_count: u64,
    /// Estimated number of distinct non-NULL values, when known.
    pub distinct: Option<u64>,
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

    /// Statistics of a table's columns, one per column in [`TableMeta::columns`] order, if
    /// known. The optimizer falls back to row-count heuristics without them.
    fn column_stats(&self, _table: &str) -> Option<Vec<ColumnStats>> {
        None
    }
}
