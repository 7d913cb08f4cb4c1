//! `WITH RECURSIVE` (`LogicalPlan::Recursive`): the anchor's rows, then round after round
//! the step's rows, each round reading the previous one's through its working table
//! (`LogicalPlan::WorkingTable`), until a round makes no rows. With UNION (not ALL), rows
//! already made are dropped before they are kept or fed back (an EXCEPT against everything
//! so far), so a cycle ends.
//!
//! The step is built again each round from the plan (its operators are single-use); the
//! working table is handed to it through the context's [`WorkingTables`], by the query's id.

use super::batch::Batch;
use super::memory::{vectors_bytes, Reservation};
use super::operator::{BoxOp, ExecContext, Operator};
use super::physical::build;
use super::setop::SetOpOp;
use super::simple::{collect, BatchesOp};
use crate::{exec_err, Result};
use grizzly_ir::{DataType, LogicalPlan, SetOpKind};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// The working tables of a statement's running recursive queries, by id.
#[derive(Clone, Default)]
pub struct WorkingTables(Arc<Mutex<HashMap<u32, Arc<Vec<Batch>>>>>);

impl WorkingTables {
    fn set(&self, id: u32, rows: Arc<Vec<Batch>>) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, rows);
    }

    fn get(&self, id: u32) -> Option<Arc<Vec<Batch>>> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
            .cloned()
    }
}

/// Reads the working table of recursive query `id`: the rows its last round made.
pub fn working_table(id: u32, ctx: &ExecContext) -> Result<BoxOp> {
    let Some(rows) = ctx.working.get(id) else {
        return exec_err!("working table #{id} read outside its recursive query");
    };
    Ok(Box::new(BatchesOp {
        batches: rows.as_ref().clone().into_iter(),
    }))
}

/// Hands out a recursive query's rows round by round: the anchor's, then each step's, so a
/// consumer that stops pulling (LIMIT) stops the recursion too.
pub struct RecursiveOp {
    id: u32,
    anchor: Option<BoxOp>,
    step: LogicalPlan,
    distinct: bool,
    types: Vec<DataType>,
    ctx: ExecContext,
    /// Every row made so far (kept for UNION only, which drops rows already made).
    all: Vec<Batch>,
    /// The last round's rows: the step's next working table.
    last: Vec<Batch>,
    done: bool,
    output: std::vec::IntoIter<Batch>,
    memory: Reservation,
}

impl RecursiveOp {
    pub fn new(
        id: u32,
        anchor: BoxOp,
        step: LogicalPlan,
        distinct: bool,
        types: Vec<DataType>,
        ctx: &ExecContext,
    ) -> RecursiveOp {
        RecursiveOp {
            id,
            anchor: Some(anchor),
            step,
            distinct,
            types,
            ctx: ctx.clone(),
            all: Vec::new(),
            last: Vec::new(),
            done: false,
            output: Vec::new().into_iter(),
            memory: ctx.memory.reserve("recursive query"),
        }
    }

    /// The rows of `op` (only those not made before and each once, for UNION).
    fn round(&mut self, op: BoxOp) -> Result<Vec<Batch>> {
        let op: BoxOp = if self.distinct {
            let seen = Box::new(BatchesOp {
                batches: self.all.clone().into_iter(),
            });
            Box::new(SetOpOp::new(
                op,
                seen,
                SetOpKind::Except,
                false,
                self.types.clone(),
                &self.ctx.memory,
            ))
        } else {
            op
        };
        let (columns, rows) = collect(op, &self.types, &mut self.memory)?;
        Ok(if rows == 0 {
            Vec::new()
        } else {
            vec![Batch::new(columns, rows)]
        })
    }

    /// The next round's rows (empty once the query is done).
    fn next_round(&mut self) -> Result<Vec<Batch>> {
        let op = match self.anchor.take() {
            Some(anchor) => anchor,
            None => {
                self.ctx.cancel.check()?;
                let last = std::mem::take(&mut self.last);
                self.ctx.working.set(self.id, Arc::new(last));
                build(&self.step, &self.ctx)?
            }
        };
        let rows = self.round(op)?;
        if self.distinct {
            self.all.extend(rows.iter().cloned());
        } else {
            // UNION ALL keeps only the last round (the next working table).
            let held = rows.iter().map(|b| vectors_bytes(&b.columns)).sum();
            self.memory.resize(held)?;
        }
        self.last = rows.clone();
        Ok(rows)
    }
}

impl Operator for RecursiveOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        loop {
            if let Some(batch) = self.output.next() {
                return Ok(Some(batch));
            }
            if self.done {
                return Ok(None);
            }
            let rows = self.next_round()?;
            self.done = rows.is_empty();
            self.output = rows.into_iter();
        }
    }
}
