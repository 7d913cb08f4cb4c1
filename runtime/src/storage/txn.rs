//! [`WriteTxn`]: the single writer. Changes build a private copy of the catalog; appended rows
//! collect in a per-table tail and full row groups are written (copy-on-write, into free
//! space) as soon as they fill. `commit` seals the tails and publishes through
//! [`Shared::publish`]; dropping the transaction instead leaves the store as it was, and the
//! space it wrote returns to the allocator.
//!
//! Small commits must not make many small row groups. New rows merge with the table's trailing
//! partial row groups (re-read and rewritten, copy-on-write) while the group before them is no
//! larger than everything after it: a binary-counter rule, so single-row commits leave
//! O(log n) small row groups and each row is rewritten O(log n) times before its group fills.
//! Merging happens at a transaction's first append to a table and again when its tail is
//! sealed at commit.

use super::encode::{encode_row_group, ColumnBuilder};
use super::format::ROW_GROUP_ROWS;
use super::lock;
use super::store::{fresh_catalog_id, Shared, Snapshot, WriterLock};
use super::table::Table;
use crate::vector::{Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::types::{format_decimal, pow10};
use grizzly_ir::{ColumnMeta, DataType, PhysicalType, TableMeta, Value, ViewMeta};
use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};

/// The write transaction; holds the store's writer slot until committed or dropped.
pub struct WriteTxn {
    shared: Arc<Shared>,
    _writer: WriterLock,
    base_commit: u64,
    tables: BTreeMap<String, TxnTable>,
    views: BTreeMap<String, ViewMeta>,
    next_schema_version: u64,
    /// The catalog's id: the base snapshot's until a catalog change, then a fresh one per
    /// change (snapshots taken between two changes differ).
    catalog_id: u64,
    /// Anything to commit at all.
    dirty: bool,
    /// Row groups were written to the file (they need a sync before the catalog).
    wrote_data: bool,
    /// `snapshot()` result, kept until the next change.
    view: Mutex<Option<Arc<Snapshot>>>,
}

struct TxnTable {
    /// Committed row groups plus those written by this transaction.
    table: Arc<Table>,
    /// Rows appended but not yet in a row group (fewer than `ROW_GROUP_ROWS`).
    tail: Option<Vec<ColumnBuilder>>,
    /// `table` plus the tail as an in-memory row group, for `snapshot()`; reset on change.
    view: OnceLock<Arc<Table>>,
}

impl TxnTable {
    fn new(table: Arc<Table>) -> TxnTable {
        TxnTable {
            table,
            tail: None,
            view: OnceLock::new(),
        }
    }

    /// The table for writing (copied if a snapshot shares it); drops the cached view.
    fn table_mut(&mut self) -> &mut Table {
        self.view = OnceLock::new();
        Arc::make_mut(&mut self.table)
    }

    fn tail_rows(&self) -> usize {
        self.tail
            .as_ref()
            .and_then(|t| t.first())
            .map_or(0, ColumnBuilder::len)
    }
}

fn no_table(name: &str) -> Error {
    Error::Execution(format!("table \"{name}\" does not exist"))
}

/// Where column `name` is in `meta`.
fn column_index(meta: &TableMeta, name: &str) -> Result<usize> {
    meta.columns
        .iter()
        .position(|c| c.name == name)
        .ok_or_else(|| {
            Error::Execution(format!(
                "column \"{name}\" of relation \"{}\" does not exist",
                meta.name
            ))
        })
}

fn column_exists(table: &str, name: &str) -> Error {
    Error::Execution(format!(
        "column \"{name}\" of relation \"{table}\" already exists"
    ))
}

impl WriteTxn {
    pub(crate) fn new(shared: Arc<Shared>, writer: WriterLock, base: Arc<Snapshot>) -> WriteTxn {
        WriteTxn {
            shared,
            _writer: writer,
            base_commit: base.commit,
            tables: base
                .tables
                .iter()
                .map(|(n, t)| (n.clone(), TxnTable::new(t.clone())))
                .collect(),
            views: base.views.clone(),
            next_schema_version: base.next_schema_version,
            catalog_id: base.catalog_id,
            dirty: false,
            wrote_data: false,
            view: Mutex::new(None),
        }
    }

    fn changed(&mut self) {
        self.dirty = true;
        *lock(&self.view) = None;
    }

    /// Records a change of the catalog itself (not only of data).
    fn catalog_changed(&mut self) {
        self.catalog_id = fresh_catalog_id();
        self.changed();
    }

    /// The transaction's own view, including its uncommitted changes.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        let mut cached = lock(&self.view);
        if let Some(s) = &*cached {
            return s.clone();
        }
        let tables = self
            .tables
            .iter()
            .map(|(n, t)| {
                let table = t.view.get_or_init(|| {
                    let Some(tail) = t.tail.as_ref().filter(|_| t.tail_rows() > 0) else {
                        return t.table.clone();
                    };
                    let cols: Vec<Vector> = tail.iter().map(ColumnBuilder::to_vector).collect();
                    let mut table = (*t.table).clone();
                    let enc = encode_row_group(&cols, 0, t.tail_rows())
                        .expect("a tail built by this transaction encodes");
                    let rg = self
                        .shared
                        .place(enc, &table.meta, table.row_groups.len(), true)
                        .expect("memory for the transaction's uncommitted rows");
                    table.row_groups.push(rg);
                    Arc::new(table)
                });
                (n.clone(), table.clone())
            })
            .collect();
        let snap = Arc::new(Snapshot {
            commit: self.base_commit + 1,
            tables,
            views: self.views.clone(),
            next_schema_version: self.next_schema_version,
            catalog_id: self.catalog_id,
            attached: Vec::new(),
        });
        *cached = Some(snap.clone());
        snap
    }

    /// # Errors
    /// `Error::Execution` if a table or view of that name exists or the schema is invalid.
    pub fn create_table(&mut self, mut meta: TableMeta) -> Result<()> {
        self.check_free_name(&meta.name)?;
        if meta.columns.is_empty() {
            return Err(Error::Execution(format!(
                "table \"{}\" must have at least one column",
                meta.name
            )));
        }
        let mut seen = HashSet::new();
        for c in &meta.columns {
            if super::format::type_tag(c.ty).is_none() {
                return Err(Error::Unsupported(format!(
                    "storing columns of type {}",
                    c.ty
                )));
            }
            if !seen.insert(c.name.as_str()) {
                return Err(Error::Execution(format!(
                    "column \"{}\" specified more than once",
                    c.name
                )));
            }
        }
        meta.row_count = 0;
        let schema_version = self.next_schema_version;
        self.next_schema_version += 1;
        let name = meta.name.clone();
        let table = Arc::new(Table {
            meta,
            schema_version,
            row_groups: Vec::new(),
        });
        self.tables.insert(name, TxnTable::new(table));
        self.catalog_changed();
        Ok(())
    }

    fn check_free_name(&self, name: &str) -> Result<()> {
        if self.tables.contains_key(name) {
            return Err(Error::Execution(format!("table \"{name}\" already exists")));
        }
        if self.views.contains_key(name) {
            return Err(Error::Execution(format!("view \"{name}\" already exists")));
        }
        Ok(())
    }

    pub fn drop_table(&mut self, name: &str) -> Result<()> {
        self.tables.remove(name).ok_or_else(|| no_table(name))?;
        self.catalog_changed();
        Ok(())
    }

    /// `ALTER TABLE from RENAME TO to`: the same rows under a new name (and schema version).
    ///
    /// # Errors
    /// `Error::Execution` if `from` does not exist or a table or view named `to` does.
    pub fn rename_table(&mut self, from: &str, to: &str) -> Result<()> {
        if !self.tables.contains_key(from) {
            return Err(no_table(from));
        }
        self.check_free_name(to)?;
        let mut t = self.tables.remove(from).ok_or_else(|| no_table(from))?;
        let version = self.new_schema_version();
        let tm = t.table_mut();
        tm.meta.name = to.to_string();
        tm.schema_version = version;
        self.tables.insert(to.to_string(), t);
        self.catalog_changed();
        Ok(())
    }

    /// `ALTER TABLE table RENAME COLUMN from TO to`.
    ///
    /// # Errors
    /// `Error::Execution` if the table or column does not exist or `to` is taken.
    pub fn rename_column(&mut self, table: &str, from: &str, to: &str) -> Result<()> {
        let version = self.new_schema_version();
        let t = self.tables.get_mut(table).ok_or_else(|| no_table(table))?;
        let i = column_index(&t.table.meta, from)?;
        if t.table.meta.columns.iter().any(|c| c.name == to) {
            return Err(column_exists(table, to));
        }
        let tm = t.table_mut();
        tm.meta.columns[i].name = to.to_string();
        tm.schema_version = version;
        self.catalog_changed();
        Ok(())
    }

    /// `ALTER TABLE table DROP COLUMN name`: the column's chunks leave the catalog (their bytes
    /// stay in their row groups' extents until the row groups are rewritten).
    ///
    /// # Errors
    /// `Error::Execution` if the table or column does not exist, or it is the only column.
    pub fn drop_column(&mut self, table: &str, name: &str) -> Result<()> {
        let version = self.new_schema_version();
        let t = self.tables.get_mut(table).ok_or_else(|| no_table(table))?;
        let i = column_index(&t.table.meta, name)?;
        if t.table.meta.columns.len() == 1 {
            return Err(Error::Execution(format!(
                "cannot drop column \"{name}\": it is the only column of table \"{table}\" \
                 (drop the table instead)"
            )));
        }
        if let Some(tail) = &mut t.tail {
            tail.remove(i);
        }
        let tm = t.table_mut();
        tm.meta.columns.remove(i);
        for rg in &mut tm.row_groups {
            rg.columns.remove(i);
        }
        tm.schema_version = version;
        self.catalog_changed();
        Ok(())
    }

    /// `ALTER TABLE table ADD COLUMN column`: every existing row gets NULL, so the table's
    /// row groups are written again with the new column.
    ///
    /// # Errors
    /// `Error::Execution` if the table does not exist, the name is taken, the type cannot be
    /// stored, or the column is NOT NULL and the table has rows.
    pub fn add_column(&mut self, table: &str, column: ColumnMeta) -> Result<()> {
        let t = self.tables.get(table).ok_or_else(|| no_table(table))?;
        if t.table.meta.columns.iter().any(|c| c.name == column.name) {
            return Err(column_exists(table, &column.name));
        }
        if super::format::type_tag(column.ty).is_none() {
            return Err(Error::Unsupported(format!(
                "storing columns of type {}",
                column.ty
            )));
        }
        if !column.nullable && t.table.meta.row_count > 0 {
            return Err(Error::Execution(format!(
                "column \"{}\" of relation \"{table}\" contains null values (a NOT NULL \
                 column can only be added to an empty table)",
                column.name
            )));
        }
        // Every row, row group by row group, then the rows not yet in one, plus NULLs.
        let mut groups: Vec<Vec<Vector>> = Vec::new();
        for rg in &t.table.row_groups {
            let columns = rg
                .columns
                .iter()
                .map(|c| c.load())
                .collect::<Result<Vec<_>>>()?;
            groups.push(columns);
        }
        let t = self.tables.get_mut(table).ok_or_else(|| no_table(table))?;
        if let Some(tail) = t.tail.take() {
            groups.push(tail.into_iter().map(ColumnBuilder::finish).collect());
        }
        for g in &mut groups {
            let rows = g.first().map_or(0, Vector::len);
            let nulls = Vector::from_values(column.ty, &vec![Value::Null; rows])
                .ok_or_else(|| Error::Internal(format!("NULL as {}", column.ty)))?;
            g.push(nulls);
        }
        let version = self.new_schema_version();
        let shared = self.shared.clone();
        let t = self.tables.get_mut(table).ok_or_else(|| no_table(table))?;
        let tm = t.table_mut();
        tm.meta.columns.push(column);
        tm.row_groups.clear();
        tm.meta.row_count = 0;
        tm.schema_version = version;
        for g in &groups {
            self.wrote_data |= push_rows(&shared, t, g)?;
        }
        self.catalog_changed();
        self.changed();
        Ok(())
    }

    fn new_schema_version(&mut self) -> u64 {
        let version = self.next_schema_version;
        self.next_schema_version += 1;
        version
    }

    /// # Errors
    /// `Error::Execution` if a table or view of that name exists (replace = drop + create).
    pub fn create_view(&mut self, view: ViewMeta) -> Result<()> {
        self.check_free_name(&view.name)?;
        self.views.insert(view.name.clone(), view);
        self.catalog_changed();
        Ok(())
    }

    pub fn drop_view(&mut self, name: &str) -> Result<()> {
        if self.views.remove(name).is_none() {
            return Err(Error::Execution(format!("view \"{name}\" does not exist")));
        }
        self.catalog_changed();
        Ok(())
    }

    /// Appends rows: one vector per column, equal lengths, types as in the schema.
    ///
    /// # Errors
    /// `Error::Execution` for an unknown table, a column count/length/type mismatch, or a NULL
    /// in a NOT NULL column (naming it). Nothing is appended then.
    pub fn append(&mut self, table: &str, columns: Vec<Vector>) -> Result<()> {
        let t = self.tables.get(table).ok_or_else(|| no_table(table))?;
        let rows = check_columns(&t.table.meta, &columns)?;
        if rows == 0 {
            return Ok(());
        }
        self.changed();
        let shared = self.shared.clone();
        let t = self.tables.get_mut(table).ok_or_else(|| no_table(table))?;
        if t.tail_rows() == 0 {
            // Re-open the committed partial row groups this append may merge with.
            for rg in take_partials(t, rows)? {
                self.wrote_data |= push_rows(&shared, t, &rg)?;
            }
        }
        self.wrote_data |= push_rows(&shared, t, &columns)?;
        Ok(())
    }

    /// Replaces the whole contents of a table (UPDATE, DELETE).
    pub fn replace(&mut self, table: &str, columns: Vec<Vector>) -> Result<()> {
        let t = self.tables.get_mut(table).ok_or_else(|| no_table(table))?;
        check_columns(&t.table.meta, &columns)?;
        t.tail = None;
        let tm = t.table_mut();
        tm.row_groups.clear();
        tm.meta.row_count = 0;
        let shared = self.shared.clone();
        self.wrote_data |= push_rows(&shared, t, &columns)?;
        self.changed();
        Ok(())
    }

    /// Writes a table's tail as a row group, after merging it with trailing partial row
    /// groups by the binary-counter rule (see the module docs). Returns whether it wrote.
    fn seal(shared: &Shared, t: &mut TxnTable) -> Result<bool> {
        let tail_rows = t.tail_rows();
        if tail_rows == 0 {
            return Ok(false);
        }
        let tail: Vec<Vector> = t
            .tail
            .take()
            .unwrap_or_default()
            .into_iter()
            .map(ColumnBuilder::finish)
            .collect();
        t.table_mut().meta.row_count -= tail_rows as u64;
        for rg in take_partials(t, tail_rows)? {
            push_rows(shared, t, &rg)?;
        }
        push_rows(shared, t, &tail)?;
        if let Some(rest) = t.tail.take() {
            let rest: Vec<Vector> = rest.into_iter().map(ColumnBuilder::finish).collect();
            let rows = rest.first().map_or(0, Vector::len);
            let tm = t.table_mut();
            let enc = encode_row_group(&rest, 0, rows)?;
            let rg = shared.place(enc, &tm.meta, tm.row_groups.len(), false)?;
            tm.row_groups.push(rg);
        }
        Ok(shared.disk.is_some())
    }

    /// Vacuum's step: copies row groups into free holes below them, highest first.
    pub(crate) fn relocate_down(&mut self) -> Result<()> {
        let mut all: Vec<(u64, String, usize)> = Vec::new();
        for (name, t) in &self.tables {
            for (g, rg) in t.table.row_groups.iter().enumerate() {
                all.push((rg.extent.start, name.clone(), g));
            }
        }
        all.sort_by_key(|e| std::cmp::Reverse(e.0));
        let mut moved = false;
        for (_, name, g) in all {
            let Some(t) = self.tables.get_mut(&name) else {
                continue;
            };
            if let Some(rg) = self.shared.relocate(&t.table.row_groups[g])? {
                t.table_mut().row_groups[g] = rg;
                moved = true;
            }
        }
        if moved {
            self.wrote_data = true;
            self.changed();
        }
        Ok(())
    }

    /// Makes the changes durable and visible to new snapshots.
    ///
    /// # Errors
    /// I/O errors; the store then still shows the previous commit.
    pub fn commit(mut self) -> Result<()> {
        if !self.dirty {
            return Ok(());
        }
        let shared = self.shared.clone();
        for t in self.tables.values_mut() {
            self.wrote_data |= Self::seal(&shared, t)?;
        }
        let snap = Snapshot {
            commit: self.base_commit + 1,
            tables: std::mem::take(&mut self.tables)
                .into_iter()
                .map(|(n, t)| (n, t.table))
                .collect(),
            views: std::mem::take(&mut self.views),
            next_schema_version: self.next_schema_version,
            catalog_id: self.catalog_id,
            attached: Vec::new(),
        };
        shared.publish(snap, self.wrote_data)
    }

    /// Abandons the changes (the same as dropping the transaction).
    pub fn rollback(self) {}
}

/// Appends rows to a table: into its tail, writing each row group that fills (straight
/// from the input when the tail is empty and a whole row group is available). Returns
/// whether it wrote to the file.
fn push_rows(shared: &Shared, t: &mut TxnTable, cols: &[Vector]) -> Result<bool> {
    let rows = cols.first().map_or(0, Vector::len);
    let mut wrote = false;
    let mut pos = 0;
    while pos < rows {
        if t.tail_rows() == 0 && rows - pos >= ROW_GROUP_ROWS {
            // A whole row group straight from the input: one copy, into the write buffer.
            let enc = encode_row_group(cols, pos, ROW_GROUP_ROWS)?;
            let tm = t.table_mut();
            let rg = shared.place(enc, &tm.meta, tm.row_groups.len(), false)?;
            tm.row_groups.push(rg);
            tm.meta.row_count += ROW_GROUP_ROWS as u64;
            wrote = true;
            pos += ROW_GROUP_ROWS;
            continue;
        }
        let n = (ROW_GROUP_ROWS - t.tail_rows()).min(rows - pos);
        let meta = &t.table.meta;
        let tail = t.tail.get_or_insert_with(|| {
            meta.columns
                .iter()
                .map(|c| ColumnBuilder::new(c.ty))
                .collect()
        });
        for (b, v) in tail.iter_mut().zip(cols) {
            b.append(v, pos, n)?;
        }
        t.table_mut().meta.row_count += n as u64;
        pos += n;
        if t.tail_rows() == ROW_GROUP_ROWS {
            let tail = t.tail.take().unwrap_or_default();
            let vecs: Vec<Vector> = tail.into_iter().map(ColumnBuilder::finish).collect();
            let enc = encode_row_group(&vecs, 0, ROW_GROUP_ROWS)?;
            let tm = t.table_mut();
            let rg = shared.place(enc, &tm.meta, tm.row_groups.len(), false)?;
            tm.row_groups.push(rg);
            wrote = true;
        }
    }
    Ok(wrote && shared.disk.is_some())
}

/// Removes the trailing partial row groups that `incoming` new rows should merge with (while
/// the one before is no larger than everything after it) and returns their columns, in
/// order, for re-appending.
fn take_partials(t: &mut TxnTable, incoming: usize) -> Result<Vec<Vec<Vector>>> {
    let rgs = &t.table.row_groups;
    let mut k = rgs.len();
    let mut total = incoming;
    while k > 0 && rgs[k - 1].rows < ROW_GROUP_ROWS && rgs[k - 1].rows <= total {
        total += rgs[k - 1].rows;
        k -= 1;
    }
    if k == rgs.len() {
        return Ok(Vec::new());
    }
    let taken = rgs[k..]
        .iter()
        .map(|rg| {
            rg.columns
                .iter()
                .map(|c| c.load())
                .collect::<Result<Vec<_>>>()
        })
        .collect::<Result<Vec<_>>>()?;
    let tm = t.table_mut();
    let removed: usize = tm.row_groups.drain(k..).map(|g| g.rows).sum();
    tm.meta.row_count -= removed as u64;
    Ok(taken)
}

/// Checks appended columns against the schema; returns the row count.
fn check_columns(meta: &TableMeta, cols: &[Vector]) -> Result<usize> {
    let t = &meta.name;
    if cols.len() != meta.columns.len() {
        return Err(Error::Execution(format!(
            "table \"{t}\" has {} columns but {} were given",
            meta.columns.len(),
            cols.len()
        )));
    }
    let rows = cols.first().map_or(0, Vector::len);
    for (c, v) in meta.columns.iter().zip(cols) {
        if v.ty != c.ty {
            return Err(Error::Execution(format!(
                "column \"{}\" of table \"{t}\" is {}, got {}",
                c.name, c.ty, v.ty
            )));
        }
        let physical_ok = matches!(
            (c.ty.physical(), &v.data),
            (PhysicalType::Bool, VectorData::Bool(_))
                | (PhysicalType::I32, VectorData::I32(_))
                | (PhysicalType::I64, VectorData::I64(_))
                | (PhysicalType::I128, VectorData::I128(_))
                | (PhysicalType::F64, VectorData::F64(_))
                | (
                    PhysicalType::Str,
                    VectorData::Str(_) | VectorData::Dict { .. }
                )
        );
        if !physical_ok {
            return Err(Error::Internal(format!(
                "column \"{}\": vector data does not match {}",
                c.name, c.ty
            )));
        }
        if v.len() != rows {
            return Err(Error::Execution(format!(
                "appended columns of table \"{t}\" differ in length"
            )));
        }
        if v.validity.as_ref().is_some_and(|b| b.len() != rows) {
            return Err(Error::Internal(format!(
                "column \"{}\": validity length differs from data",
                c.name
            )));
        }
        let bad_strings = match &v.data {
            VectorData::Str(s) => s
                .offsets
                .first()
                .zip(s.offsets.last())
                .is_some_and(|(f, l)| f > l || *l as usize > s.bytes.len()),
            VectorData::Dict { codes, dict } => codes.iter().any(|x| *x as usize >= dict.len()),
            _ => false,
        };
        if bad_strings {
            return Err(Error::Internal(format!(
                "column \"{}\": string offsets or dictionary codes out of range",
                c.name
            )));
        }
        if !c.nullable && v.null_count() > 0 {
            return Err(Error::Execution(format!(
                "null value in column \"{}\" of table \"{t}\" violates not-null constraint",
                c.name
            )));
        }
        check_decimal_digits(t, c, v)?;
    }
    Ok(rows)
}

/// Checks that no value of a DECIMAL(p, s) column has more than `p` digits (PostgreSQL's
/// "numeric field overflow"). Expressions may carry more digits than their type's nominal
/// precision (a DECIMAL(18) product is checked against the 64-bit width only, as PostgreSQL's
/// unbounded numeric does not fail there); storing is where the declared precision holds.
/// One branch-free pass over the values; only when it finds something does a second pass look
/// for the first non-NULL offender (NULL slots may hold anything) to name it.
fn check_decimal_digits(table: &str, c: &ColumnMeta, v: &Vector) -> Result<()> {
    let DataType::Decimal { precision, scale } = c.ty else {
        return Ok(());
    };
    let limit = pow10(precision)
        .ok_or_else(|| Error::Internal(format!("column \"{}\" is {}", c.name, c.ty)))?
        as u128;
    let valid = |i: usize| v.validity.as_ref().is_none_or(|b| b.is_valid(i));
    let offender = match &v.data {
        VectorData::I64(x) => {
            let lim = limit as u64;
            first_where(x, |x| x.unsigned_abs() >= lim, valid).map(|i| x[i] as i128)
        }
        VectorData::I128(x) => first_where(x, |x| x.unsigned_abs() >= limit, valid).map(|i| x[i]),
        _ => None,
    };
    let Some(u) = offender else {
        return Ok(());
    };
    let bound = match precision.saturating_sub(scale) {
        0 => "1".to_string(),
        k => format!("10^{k}"),
    };
    Err(Error::Execution(format!(
        "numeric field overflow: value {} does not fit column \"{}\" of table \"{table}\" \
         ({}: the absolute value must be less than {bound})",
        format_decimal(u, scale),
        c.name,
        c.ty,
    )))
}

/// The first row that is valid and satisfies `bad`, after a branch-free pass that finds
/// whether any value (valid or not) does.
fn first_where<T: Copy>(
    x: &[T],
    bad: impl Fn(T) -> bool,
    valid: impl Fn(usize) -> bool,
) -> Option<usize> {
    if !x.iter().fold(false, |any, &v| any | bad(v)) {
        return None;
    }
    (0..x.len()).find(|&i| valid(i) && bad(x[i]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Store;
    use grizzly_ir::Value;

    fn ints(from: i64, n: usize) -> Vec<Vector> {
        let vals: Vec<Value> = (from..from + n as i64).map(Value::Int64).collect();
        vec![Vector::from_values(DataType::Int64, &vals).unwrap()]
    }

    #[test]
    fn tails_merge_like_a_binary_counter() {
        let store = Store::in_memory();
        let meta = TableMeta {
            name: "t".into(),
            columns: vec![ColumnMeta {
                name: "x".into(),
                ty: DataType::Int64,
                nullable: false,
            }],
            row_count: 0,
        };
        let mut w = store.begin_write().unwrap();
        w.create_table(meta).unwrap();
        w.commit().unwrap();
        let sizes = || -> Vec<usize> {
            store
                .snapshot()
                .table("t")
                .unwrap()
                .row_groups
                .iter()
                .map(|g| g.rows)
                .collect()
        };
        for i in 0..7 {
            let mut w = store.begin_write().unwrap();
            w.append("t", ints(i, 1)).unwrap();
            w.commit().unwrap();
        }
        assert_eq!(sizes(), vec![4, 2, 1]);
        // A big append fills whole row groups and merges what it can.
        let mut w = store.begin_write().unwrap();
        w.append("t", ints(7, ROW_GROUP_ROWS + 10)).unwrap();
        w.commit().unwrap();
        assert_eq!(sizes(), vec![ROW_GROUP_ROWS, 17]);
        let t = store.snapshot();
        let t = t.table("t").unwrap();
        let mut next = 0;
        for g in &t.row_groups {
            let v = g.columns[0].load().unwrap();
            for i in 0..v.len() {
                assert_eq!(v.get(i), Value::Int64(next));
                next += 1;
            }
        }
    }

    fn decimals(precision: u8, scale: u8, data: VectorData, nulls: &[bool]) -> Vector {
        let validity = nulls
            .iter()
            .any(|&n| n)
            .then(|| crate::vector::Bitmap::from_bools(nulls.iter().map(|&n| !n)));
        Vector {
            ty: DataType::Decimal { precision, scale },
            data,
            validity,
        }
    }

    #[test]
    fn decimals_wider_than_the_column_are_refused() {
        let store = Store::in_memory();
        let col = |name: &str, precision, scale| ColumnMeta {
            name: name.into(),
            ty: DataType::Decimal { precision, scale },
            nullable: true,
        };
        let meta = TableMeta {
            name: "t".into(),
            columns: vec![col("a", 4, 2), col("b", 38, 0)],
            row_count: 0,
        };
        let max38 = 10i128.pow(38) - 1;
        let mut w = store.begin_write().unwrap();
        w.create_table(meta).unwrap();
        // The boundaries fit; a NULL slot may hold anything.
        let a = decimals(
            4,
            2,
            VectorData::I64(vec![9999, -9999, 123_456].into()),
            &[false, false, true],
        );
        let b = decimals(38, 0, VectorData::I128(vec![max38, -max38, 0].into()), &[]);
        w.append("t", vec![a, b]).unwrap();
        let wide_a = decimals(4, 2, VectorData::I64(vec![1, -10000].into()), &[]);
        let b = decimals(38, 0, VectorData::I128(vec![0, 0].into()), &[]);
        let err = w.append("t", vec![wide_a, b]).unwrap_err().to_string();
        assert!(
            err.contains("value -100.00 does not fit column \"a\" of table \"t\"")
                && err.contains("DECIMAL(4,2)")
                && err.contains("less than 10^2"),
            "{err}"
        );
        let a = decimals(4, 2, VectorData::I64(vec![0].into()), &[]);
        let wide_b = decimals(38, 0, VectorData::I128(vec![max38 + 1].into()), &[]);
        let err = w.append("t", vec![a.clone(), wide_b.clone()]).unwrap_err();
        assert!(err.to_string().contains("column \"b\""), "{err}");
        // UPDATE/DELETE's replace is checked too, and a refused write changes nothing.
        assert!(w.replace("t", vec![a, wide_b]).is_err());
        w.commit().unwrap();
        let snap = store.snapshot();
        assert_eq!(snap.table("t").unwrap().meta.row_count, 3);
    }
}
