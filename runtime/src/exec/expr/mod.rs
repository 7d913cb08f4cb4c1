//! The vectorized expression evaluator.
//!
//! The life of an expression here:
//! 1. [`PhysExpr::new`] compiles a bound [`Expr`] for one input layout (`compile`): column ids
//!    become batch column indexes, parameters constants, operand conversions explicit nodes,
//!    and constant subtrees are folded.
//! 2. [`PhysExpr::eval`] runs the tree over a [`Batch`], one vector per node, each computed
//!    by a typed loop (`arith`, `compare`, `cast`, ...); columns are read through the batch's
//!    selection in place.
//! 3. [`PhysExpr::select`] runs a predicate as a filter: comparisons write the passing row
//!    numbers directly, `a AND b` evaluates `b` only where `a` held, and CASE / COALESCE
//!    evaluate each branch only on the rows that reach it.
//!
//! Dictionary-encoded strings are compared by code range, and LIKE / IN are computed once per
//! dictionary entry (`dict`).

mod arith;
mod case;
mod cast;
mod compare;
mod compile;
mod dict;
mod functions;
mod inlist;
mod like;
mod logic;
mod node;
mod strings;
#[cfg(test)]
mod tests;
mod text;
mod text_lib;

pub use cast::cast_value;

use crate::exec::batch::{Batch, Selection};
use crate::vector::Vector;
use crate::{Error, Result};
use compile::{cast_to, Compiler};
use grizzly_ir::{ColumnId, DataType, Expr, Value};
use node::{Node, Rows};

/// An [`Expr`] compiled for one input layout. Immutable and shareable between threads.
pub struct PhysExpr {
    root: Node,
    ty: DataType,
}

const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<PhysExpr>();
};

impl std::fmt::Debug for PhysExpr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PhysExpr")
            .field("ty", &self.ty)
            .finish_non_exhaustive()
    }
}

impl PhysExpr {
    /// Compiles `expr`. `layout(id)` is the batch column index of a column; `params` are the
    /// statement's parameter values (`Expr::Param { index }` is `params[index]`, cast to the
    /// parameter's type).
    ///
    /// # Errors
    /// `Internal` for a column not in the layout or a subquery left in the expression; `Usage`
    /// for a missing parameter; `Execution` for a parameter that does not convert;
    /// `Unsupported` for expressions the evaluator does not know.
    pub fn new(
        expr: &Expr,
        layout: &dyn Fn(ColumnId) -> Option<usize>,
        params: &[Value],
    ) -> Result<PhysExpr> {
        let root = Compiler { layout, params }.compile(expr)?;
        let ty = expr.data_type();
        let root = cast_to(root, ty)?;
        Ok(PhysExpr { root, ty })
    }

    pub fn data_type(&self) -> DataType {
        self.ty
    }

    /// One value per logical row of `batch` (`result[i]` is the value for physical row
    /// `batch.row(i)`); the result has no selection.
    pub fn eval(&self, batch: &Batch) -> Result<Vector> {
        self.root.eval(batch, Rows::of(batch))
    }

    /// For a BOOLEAN expression: the physical rows (ascending) of the logical rows where it
    /// is TRUE, as a selection over the same batch columns.
    pub fn select(&self, batch: &Batch) -> Result<Selection> {
        if self.ty != DataType::Boolean {
            return Err(Error::Internal(format!(
                "filter on a {} expression",
                self.ty
            )));
        }
        Ok(self.root.select(batch, Rows::of(batch), true)?.into())
    }

    /// The value, if the expression is a constant.
    pub fn constant(&self) -> Option<Value> {
        self.root.as_const().map(|c| c.value.clone())
    }
}

/// Evaluates an expression without columns (VALUES rows, run-time constant folding).
pub fn eval_constant(expr: &Expr, params: &[Value]) -> Result<Value> {
    let e = PhysExpr::new(expr, &|_| None, params)?;
    if let Some(v) = e.constant() {
        return Ok(v);
    }
    // Folding failed (it keeps errors for run time): evaluate to report the error.
    Ok(e.eval(&Batch::new(Vec::new(), 1))?.get(0))
}
