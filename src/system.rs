//! System tables: `grizzly_query_cache`, the query cache's entries, readable from SQL,
//! PostgreSQL's catalog tables (`pg_class`, `pg_attribute`, ...: [`pg_catalog`]) and the SQL
//! standard's `information_schema` views ([`information_schema`]) for clients that list and
//! describe tables.
//!
//! The binder sees the table through [`SystemCatalog`], a catalog over the snapshot that also
//! answers for system tables (a user table of the same name hides it). Before a plan runs,
//! [`materialize`] replaces each scan of a system table by constant rows taken from the cache
//! at that moment or the snapshot's catalog (plus the scan's pushed-down filters), so the interpreter needs no storage
//! for it. Plans that read system tables are never cached.

use crate::cache::CacheEntryInfo;
use grizzly_ir::catalog::ColumnStats;
use grizzly_ir::{Catalog, ColumnMeta, DataType, Expr, LogicalPlan, TableMeta, Value, ViewMeta};
use grizzly_runtime::storage::Snapshot;

mod information_schema;
mod pg_catalog;

/// The query cache's system table.
pub(crate) const QUERY_CACHE_TABLE: &str = "grizzly_query_cache";

/// The columns of `grizzly_query_cache`.
pub(crate) const COLUMNS: &[(&str, DataType)] = &[
    ("fingerprint", DataType::Varchar),
    ("query", DataType::Varchar),
    ("state", DataType::Varchar),
    ("executions", DataType::Int64),
    ("cache_hits", DataType::Int64),
    ("compile_time_ms", DataType::Float64),
    ("code_bytes", DataType::Int64),
    ("mean_interpreted_ms", DataType::Float64),
    ("mean_compiled_ms", DataType::Float64),
    ("last_used", DataType::Int64),
];

/// A snapshot's catalog plus the system tables.
pub(crate) struct SystemCatalog<'a>(pub &'a Snapshot);

impl Catalog for SystemCatalog<'_> {
    fn table(&self, name: &str) -> Option<TableMeta> {
        if let Some(t) = Catalog::table(self.0, name) {
            return Some(t);
        }
        let columns = match (pg_catalog::table(name), information_schema::view(name)) {
            (Some(t), _) => t.columns,
            (None, Some((_, columns))) => columns,
            (None, None) if name == QUERY_CACHE_TABLE => COLUMNS,
            (None, None) => return None,
        };
        Some(TableMeta {
            name: name.into(),
            columns: columns
                .iter()
                .map(|(name, ty)| ColumnMeta {
                    name: (*name).into(),
                    ty: *ty,
                    nullable: true,
                })
                .collect(),
            row_count: 0,
        })
    }

    fn view(&self, name: &str) -> Option<ViewMeta> {
        Catalog::view(self.0, name)
    }

    fn column_stats(&self, table: &str) -> Option<Vec<ColumnStats>> {
        self.0.column_stats(table)
    }

    fn has_database(&self, name: &str) -> bool {
        self.0.has_database(name)
    }
}

/// The columns (name, type, nullable) of view `name`, from binding its query; `None` if
/// there is no such view or its query no longer binds.
pub(crate) fn view_columns(
    snapshot: &Snapshot,
    name: &str,
) -> Option<Vec<(String, DataType, bool)>> {
    pg_catalog::view_columns(snapshot, name)
}

/// True if `plan` (or a subquery in it) reads a system table that `snapshot` does not hide.
pub(crate) fn reads_system_table(plan: &LogicalPlan, snapshot: &Snapshot) -> bool {
    let mut found = false;
    visit_scans(plan, &mut |table| {
        found |= is_system_table(table, snapshot);
    });
    found
}

/// True if `table` names a system table that no user table of `snapshot` hides.
fn is_system_table(table: &str, snapshot: &Snapshot) -> bool {
    (table == QUERY_CACHE_TABLE
        || pg_catalog::table(table).is_some()
        || information_schema::view(table).is_some())
        && snapshot.table(table).is_none()
}

fn visit_scans(plan: &LogicalPlan, f: &mut dyn FnMut(&str)) {
    for node in plan.preorder() {
        if let LogicalPlan::Scan { table, .. } = node {
            f(table);
        }
        node.for_each_expr(|e| e.for_each_subquery(&mut |p| visit_scans(p, f)));
    }
}

/// The names of the tables `plan` reads, subqueries included; sorted, without duplicates.
pub(crate) fn tables_read(plan: &LogicalPlan) -> Vec<String> {
    let mut names = Vec::new();
    visit_scans(plan, &mut |t| names.push(t.to_string()));
    names.sort();
    names.dedup();
    names
}

/// Replaces scans of system tables in `plan` by their rows: `grizzly_query_cache`'s from
/// `entries`, the PostgreSQL catalog's from `snapshot`.
pub(crate) fn materialize(
    plan: LogicalPlan,
    entries: &[CacheEntryInfo],
    snapshot: &Snapshot,
) -> LogicalPlan {
    let result: Result<LogicalPlan, std::convert::Infallible> = rewrite(plan, entries, snapshot);
    match result {
        Ok(plan) => plan,
        Err(never) => match never {},
    }
}

fn rewrite<E>(
    plan: LogicalPlan,
    entries: &[CacheEntryInfo],
    snapshot: &Snapshot,
) -> Result<LogicalPlan, E> {
    let plan = match plan {
        LogicalPlan::Scan {
            table,
            columns,
            filters,
        } if is_system_table(&table, snapshot) => {
            let table_rows = if table == QUERY_CACHE_TABLE {
                entries.iter().map(row).collect()
            } else if let Some((view, _)) = information_schema::view(&table) {
                information_schema::rows(view, snapshot)
            } else {
                pg_catalog::rows(&table, snapshot)
            };
            let rows = table_rows
                .iter()
                .map(|values| {
                    columns
                        .iter()
                        .map(|(i, f)| Expr::literal(values[*i].clone(), f.ty))
                        .collect()
                })
                .collect();
            let values = LogicalPlan::Values {
                fields: columns.into_iter().map(|(_, f)| f).collect(),
                rows,
            };
            return Ok(match Expr::conjunction(filters) {
                Some(predicate) => LogicalPlan::Filter {
                    input: Box::new(values),
                    predicate,
                },
                None => values,
            });
        }
        other => other,
    };
    plan.try_map_exprs(&mut |e| e.try_map_subqueries(&mut |p| rewrite(p, entries, snapshot)))?
        .try_map_inputs(&mut |p| rewrite(p, entries, snapshot))
}

/// One entry as a row of `grizzly_query_cache`, in [`COLUMNS`] order.
fn row(e: &CacheEntryInfo) -> Vec<Value> {
    let int = |n: u64| Value::Int64(i64::try_from(n).unwrap_or(i64::MAX));
    let ms = |v: Option<f64>| v.map_or(Value::Null, Value::Float64);
    vec![
        Value::Varchar(e.fingerprint.to_string()),
        Value::Varchar(e.query.clone()),
        Value::Varchar(e.state.clone()),
        int(e.executions),
        int(e.cache_hits),
        ms(e.compile_time_ms),
        int(e.code_bytes),
        ms(e.mean_interpreted_ms),
        ms(e.mean_compiled_ms),
        int(e.last_used),
    ]
}
