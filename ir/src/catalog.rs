//! What the binder needs to know about stored tables. `ir` knows no storage: the runtime
//! implements [`Catalog`] over a snapshot.
//!
//! Attached databases (`ATTACH 'f.griz' AS a`): plans name a table `t` of database `a` as
//! `a.t` ([`qualified_name`]) and tables of the main database by their own name, so a plan's
//! table name alone says where the table lives. Aliases never contain a `.`, so the part
//! before the first `.` of a plan name is the database ([`split_qualified`]) whenever it is
//! an attached database; the binder refuses the rare main-database names that would read
//! the same way.

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

/// The name of the database a session opened (as in DuckDB): `main.t` is the same as `t`.
pub const MAIN_DATABASE: &str = "main";

/// Schema names that qualify the main database's tables: `main.t` and PostgreSQL's
/// `public.t` (the default schema), `pg_catalog.pg_class` and `information_schema.tables`
/// (system catalogs clients name); `main.public.t` too.
pub const MAIN_SCHEMAS: &[&str] = &[MAIN_DATABASE, "public", "pg_catalog", "information_schema"];

/// Names that cannot be an attached database's alias: the [`MAIN_SCHEMAS`] and DuckDB's
/// reserved `temp` and `system`.
pub const RESERVED_DATABASE_NAMES: &[&str] = &[
    MAIN_DATABASE,
    "public",
    "pg_catalog",
    "information_schema",
    "temp",
    "system",
];

/// How plans name table `table` of the attached database `database`.
pub fn qualified_name(database: &str, table: &str) -> String {
    format!("{database}.{table}")
}

/// The (database, table) parts of a plan's table name that has a `.`; whether the first
/// part is an attached database is for the catalog to say.
pub fn split_qualified(name: &str) -> Option<(&str, &str)> {
    name.split_once('.')
}

/// Name resolution for the binder. Names are passed lower-cased (or as quoted), as plans
/// name tables: `t` for the main database, `a.t` for table `t` of attached database `a`.
pub trait Catalog {
    /// The table a plan names `name`; its [`TableMeta::name`] is `name`.
    fn table(&self, name: &str) -> Option<TableMeta>;
    fn view(&self, name: &str) -> Option<ViewMeta>;

    /// Whether `name` is a database attached next to the main one.
    fn has_database(&self, _name: &str) -> bool {
        false
    }

    /// Statistics of a table's columns, one per column in [`TableMeta::columns`] order, if
    /// known. The optimizer falls back to row-count heuristics without them.
    fn column_stats(&self, _table: &str) -> Option<Vec<ColumnStats>> {
        None
    }
}

/// A catalog with nothing in it, for statements that name no table (ATTACH, DETACH).
pub struct EmptyCatalog;

impl Catalog for EmptyCatalog {
    fn table(&self, _name: &str) -> Option<TableMeta> {
        None
    }

    fn view(&self, _name: &str) -> Option<ViewMeta> {
        None
    }
}
