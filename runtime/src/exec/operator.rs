//! The operator interface of the interpreter and the context every operator runs in.
//!
//! Operators are pulled batch by batch (`next`). Streaming operators (scan, filter, project,
//! hash-join probe, limit) pass batches through; breakers (hash-join build, aggregate, sort,
//! set operations) consume their whole input on the first `next`. A pipeline is a chain of
//! streaming operators from a source up to the next breaker: the unit the compiled tier
//! replaces.

use super::batch::Batch;
use crate::storage::Snapshot;
use crate::vector::Vector;
use crate::Result;
use grizzly_ir::{LogicalPlan, Value};
use std::collections::HashMap;
use std::sync::Arc;

/// A pull-based vectorized operator.
pub trait Operator: Send {
    /// The next batch of output, or `None` when done. Batches may be empty of rows.
    fn next(&mut self) -> Result<Option<Batch>>;
}

pub type BoxOp = Box<dyn Operator>;

/// What a running statement sees: its snapshot, its parameter values, and native code for
/// some of its pipelines.
#[derive(Clone)]
pub struct ExecContext {
    pub snapshot: Arc<Snapshot>,
    pub params: Arc<[Value]>,
    /// Compiled pipelines of the plan being run, if the compiled tier made any.
    pub compiled: Option<Arc<CompiledRef>>,
}

impl ExecContext {
    pub fn new(snapshot: Arc<Snapshot>, params: Arc<[Value]>) -> ExecContext {
        ExecContext {
            snapshot,
            params,
            compiled: None,
        }
    }

    /// Attaches native code for pipelines of `plan` (the exact plan value that will be passed
    /// to `physical::build`: nodes are matched by address, numbered in pre-order).
    pub fn with_compiled(mut self, plan: &LogicalPlan, compiled: Arc<dyn CompiledPlan>) -> Self {
        let ids = plan
            .preorder()
            .into_iter()
            .enumerate()
            .map(|(i, node)| (node as *const LogicalPlan as usize, i))
            .collect();
        self.compiled = Some(Arc::new(CompiledRef {
            ids,
            plan: compiled,
        }));
        self
    }

    /// The compiled pipeline that produces `node`'s output, if there is one.
    pub fn compiled_pipeline(&self, node: &LogicalPlan) -> Option<Arc<dyn CompiledPipeline>> {
        let c = self.compiled.as_ref()?;
        let id = c.ids.get(&(node as *const LogicalPlan as usize))?;
        c.plan.pipeline(*id)
    }
}

/// Compiled code for a plan plus the map from its nodes to pre-order ids.
pub struct CompiledRef {
    ids: HashMap<usize, usize>,
    plan: Arc<dyn CompiledPlan>,
}

/// Native code for some pipelines of one plan, made by the compiled tier (the `codegen`
/// crate implements this; `runtime` only calls it).
pub trait CompiledPlan: Send + Sync {
    /// The compiled pipeline whose breaker is the plan node with pre-order index `node`
    /// (see [`LogicalPlan::preorder`]), if that pipeline was compiled.
    fn pipeline(&self, node: usize) -> Option<Arc<dyn CompiledPipeline>>;
}

/// One compiled pipeline: runs its source, streaming operators and breaker, and returns the
/// breaker node's output exactly as the interpreter would (dense columns and row count).
pub trait CompiledPipeline: Send + Sync {
    fn run(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize)>;
}
