//! Streaming operators that need no state across batches: filter, project, limit, values,
//! union.

use super::batch::{Batch, Selection};
use super::expr::PhysExpr;
use super::kernels;
use super::memory::{vectors_bytes, Reservation};
use super::operator::{BoxOp, Operator};
use crate::vector::Vector;
use crate::Result;
use grizzly_ir::{ColumnId, Expr};

/// Keeps rows where the predicate is true by narrowing the batch's selection.
pub struct FilterOp {
    pub input: BoxOp,
    pub predicate: PhysExpr,
}

impl Operator for FilterOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        while let Some(mut batch) = self.input.next()? {
            if batch.is_empty() {
                continue;
            }
            batch.sel = Some(self.predicate.select(&batch)?);
            if !batch.is_empty() {
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }
}

/// One output column per expression. Plain column references pass through without copying
/// when every output is a plain column (the selection is kept); otherwise outputs are dense.
pub struct ProjectOp {
    pub input: BoxOp,
    pub exprs: Vec<ProjectItem>,
}

pub enum ProjectItem {
    /// Input column at this position.
    Column(usize),
    Expr(PhysExpr),
}

impl ProjectItem {
    pub fn new(
        expr: &Expr,
        layout: &dyn Fn(ColumnId) -> Option<usize>,
        params: &[grizzly_ir::Value],
    ) -> Result<ProjectItem> {
        if let Expr::Column { id, .. } = expr {
            if let Some(p) = layout(*id) {
                return Ok(ProjectItem::Column(p));
            }
        }
        Ok(ProjectItem::Expr(PhysExpr::new(expr, layout, params)?))
    }
}

impl Operator for ProjectOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        let Some(batch) = self.input.next()? else {
            return Ok(None);
        };
        let all_columns = self
            .exprs
            .iter()
            .all(|e| matches!(e, ProjectItem::Column(_)));
        if all_columns {
            let columns = self
                .exprs
                .iter()
                .map(|e| match e {
                    ProjectItem::Column(p) => batch.columns[*p].clone(),
                    ProjectItem::Expr(_) => unreachable!("checked above"),
                })
                .collect();
            return Ok(Some(Batch {
                columns,
                sel: batch.sel,
                physical_len: batch.physical_len,
            }));
        }
        let n = batch.len();
        let columns = self
            .exprs
            .iter()
            .map(|e| match e {
                ProjectItem::Column(p) => Ok(densify(&batch.columns[*p], batch.sel.as_ref())),
                ProjectItem::Expr(x) => x.eval(&batch),
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Batch::new(columns, n)))
    }
}

/// The selected rows of a vector as a dense vector.
pub fn densify(v: &Vector, sel: Option<&Selection>) -> Vector {
    match sel {
        Some(sel) => kernels::gather(v, sel),
        None => v.clone(),
    }
}

/// All columns of a batch made dense (no selection).
pub fn densify_batch(batch: Batch) -> Batch {
    match &batch.sel {
        None => batch,
        Some(sel) => {
            let columns = batch
                .columns
                .iter()
                .map(|c| kernels::gather(c, sel))
                .collect();
            Batch::new(columns, sel.len())
        }
    }
}

/// Skips `offset` rows, then passes at most `limit` rows.
pub struct LimitOp {
    pub input: BoxOp,
    pub offset: u64,
    pub limit: Option<u64>,
}

impl Operator for LimitOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        loop {
            if self.limit == Some(0) {
                return Ok(None);
            }
            let Some(mut batch) = self.input.next()? else {
                return Ok(None);
            };
            let n = batch.len() as u64;
            if self.offset >= n {
                self.offset -= n;
                continue;
            }
            let start = self.offset as usize;
            self.offset = 0;
            let take =
                self.limit
                    .map_or(n - start as u64, |l| l.min(n - start as u64)) as usize;
            if let Some(l) = &mut self.limit {
                *l -= take as u64;
            }
            if start > 0 || take < batch.len() {
                let sel: Selection = (start..start + take).map(|i| batch.row(i) as u32).collect();
                batch.sel = Some(sel);
            }
            return Ok(Some(batch));
        }
    }
}

/// Emits prepared batches (VALUES, materialized results).
pub struct BatchesOp {
    pub batches: std::vec::IntoIter<Batch>,
}

impl Operator for BatchesOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        Ok(self.batches.next())
    }
}

/// UNION ALL: the inputs one after another.
pub struct ConcatOp {
    pub inputs: Vec<BoxOp>,
    pub current: usize,
}

impl Operator for ConcatOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        while self.current < self.inputs.len() {
            if let Some(b) = self.inputs[self.current].next()? {
                return Ok(Some(b));
            }
            self.current += 1;
        }
        Ok(None)
    }
}

/// Pulls every batch of `op` and returns the output as dense columns of `types`.
///
/// `memory` grows by each batch as it is kept and, on return, holds the returned columns
/// besides what it held before (joining the batches briefly needs both).
///
/// # Errors
/// The input's errors; [`crate::Error::ResourceLimit`] when `memory` cannot grow.
pub fn collect(
    mut op: BoxOp,
    types: &[grizzly_ir::DataType],
    memory: &mut Reservation,
) -> Result<(Vec<Vector>, usize)> {
    let before = memory.size() as usize;
    // The non-empty batches, dense, in order.
    let mut kept: Vec<Batch> = Vec::new();
    let mut kept_bytes = 0;
    while let Some(batch) = op.next()? {
        if batch.is_empty() {
            continue;
        }
        let batch = densify_batch(batch);
        let bytes = vectors_bytes(&batch.columns);
        memory.grow(bytes)?;
        kept_bytes += bytes;
        kept.push(batch);
    }
    let rows = kept.iter().map(Batch::len).sum();
    let columns = match kept.len() {
        0 => types.iter().map(|ty| Vector::empty(*ty)).collect(),
        // One batch (most small results): its columns as they are.
        1 => kept.pop().expect("one batch").columns,
        _ => {
            // The joined columns take about what their parts do.
            memory.grow(kept_bytes)?;
            let mut columns = Vec::with_capacity(types.len());
            for c in 0..types.len() {
                let parts: Vec<Vector> = kept.iter().map(|b| b.columns[c].clone()).collect();
                columns.push(kernels::concat(&parts)?);
            }
            columns
        }
    };
    memory.resize(before + vectors_bytes(&columns))?;
    Ok((columns, rows))
}
