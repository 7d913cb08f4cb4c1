//! Table scan: row groups of a snapshot's table, sliced into batches without copying,
//! skipping row groups whose zone maps prove a pushed filter false.

use super::batch::{Batch, BATCH_SIZE};
use super::expr::PhysExpr;
use super::operator::Operator;
use crate::storage::{RowGroup, Table};
use crate::vector::Vector;
use crate::Result;
use grizzly_ir::{BinaryOp, ColumnId, Expr, Value};
use std::cmp::Ordering;
use std::sync::Arc;

/// A pushed filter of the form `column <op> constant`, checked against zone maps. Both tiers
/// skip row groups with it (the compiled driver too), so they see the same rows.
pub struct ZoneFilter {
    /// Index of the column in the table.
    column: usize,
    op: BinaryOp,
    value: Value,
}

impl ZoneFilter {
    /// The zone filters among a scan's pushed `filters`; `table_column(id)` gives the table
    /// column index of a scanned column.
    pub fn from_filters(
        filters: &[Expr],
        table_column: &dyn Fn(ColumnId) -> Option<usize>,
        params: &[Value],
    ) -> Vec<ZoneFilter> {
        filters
            .iter()
            .filter_map(|f| zone_filter(f, table_column, params))
            .collect()
    }

    /// False only if the zone map proves no row of `group` passes.
    pub fn may_match(&self, group: &RowGroup) -> bool {
        let zone = &group.columns[self.column].zone;
        if zone.null_count as usize >= group.rows {
            return false; // all NULL: a comparison is never true
        }
        let (Some(min_cmp), Some(max_cmp)) =
            (zone.min.sql_cmp(&self.value), zone.max.sql_cmp(&self.value))
        else {
            return true; // unknown bounds
        };
        use Ordering::*;
        match self.op {
            BinaryOp::Eq => min_cmp != Greater && max_cmp != Less,
            BinaryOp::Lt => min_cmp == Less,
            BinaryOp::LtEq => min_cmp != Greater,
            BinaryOp::Gt => max_cmp == Greater,
            BinaryOp::GtEq => max_cmp != Less,
            _ => true,
        }
    }
}

pub struct ScanOp {
    table: Arc<Table>,
    /// Table column index of each output column.
    columns: Vec<usize>,
    filters: Vec<PhysExpr>,
    zone_filters: Vec<ZoneFilter>,
    next_group: usize,
    /// Loaded vectors of the current row group and the next row to emit.
    current: Vec<Vector>,
    current_rows: usize,
    offset: usize,
}

impl ScanOp {
    pub fn new(
        table: Arc<Table>,
        columns: Vec<usize>,
        output_ids: &[ColumnId],
        filters: &[Expr],
        params: &[Value],
    ) -> Result<ScanOp> {
        let layout = |id: ColumnId| output_ids.iter().position(|c| *c == id);
        let table_column =
            |id: ColumnId| output_ids.iter().position(|c| *c == id).map(|p| columns[p]);
        let zone_filters = ZoneFilter::from_filters(filters, &table_column, params);
        let filters = filters
            .iter()
            .map(|f| PhysExpr::new(f, &layout, params))
            .collect::<Result<Vec<_>>>()?;
        Ok(ScanOp {
            table,
            columns,
            filters,
            zone_filters,
            next_group: 0,
            current: Vec::new(),
            current_rows: 0,
            offset: 0,
        })
    }

    fn group_may_match(&self, group: &RowGroup) -> bool {
        self.zone_filters.iter().all(|zf| zf.may_match(group))
    }

    fn load_next_group(&mut self) -> Result<bool> {
        while self.next_group < self.table.row_groups.len() {
            let group = &self.table.row_groups[self.next_group];
            self.next_group += 1;
            if group.rows == 0 || !self.group_may_match(group) {
                continue;
            }
            self.current = self
                .columns
                .iter()
                .map(|&c| group.columns[c].load())
                .collect::<Result<Vec<_>>>()?;
            self.current_rows = group.rows;
            self.offset = 0;
            return Ok(true);
        }
        Ok(false)
    }
}

/// Recognizes `column op constant` (either side) over a scanned column.
fn zone_filter(
    expr: &Expr,
    table_column: &dyn Fn(ColumnId) -> Option<usize>,
    params: &[Value],
) -> Option<ZoneFilter> {
    let Expr::Binary {
        op, left, right, ..
    } = expr
    else {
        return None;
    };
    if !op.is_comparison() || *op == BinaryOp::NotEq {
        return None;
    }
    let constant = |e: &Expr| match e {
        Expr::Literal { value, .. } if !value.is_null() => Some(value.clone()),
        Expr::Param { index, ty } => {
            let v = params.get(*index)?;
            super::kernels::cast_value(v, *ty)
                .ok()
                .filter(|v| !v.is_null())
        }
        _ => None,
    };
    let column = |e: &Expr| match e {
        Expr::Column { id, .. } => table_column(*id),
        _ => None,
    };
    if let (Some(column), Some(value)) = (column(left), constant(right)) {
        return Some(ZoneFilter {
            column,
            op: *op,
            value,
        });
    }
    if let (Some(value), Some(column)) = (constant(left), column(right)) {
        return Some(ZoneFilter {
            column,
            op: op.flip(),
            value,
        });
    }
    None
}

impl Operator for ScanOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        loop {
            if self.offset >= self.current_rows && !self.load_next_group()? {
                return Ok(None);
            }
            let len = BATCH_SIZE.min(self.current_rows - self.offset);
            let columns = self
                .current
                .iter()
                .map(|v| v.slice(self.offset, len))
                .collect();
            self.offset += len;
            let mut batch = Batch::new(columns, len);
            for f in &self.filters {
                if batch.is_empty() {
                    break;
                }
                batch.sel = Some(f.select(&batch)?);
            }
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
    }
}
