//! The operator interface of the interpreter and the context every operator runs in.
//!
//! Operators are pulled batch by batch (`next`). Streaming operators (scan, filter, project,
//! hash-join probe, limit) pass batches through; breakers (hash-join build, aggregate, sort,
//! set operations) consume their whole input on the first `next`. A pipeline is a chain of
//! streaming operators from a source up to the next breaker: the unit the compiled tier
//! replaces.

use super::analyze::Profile;
use super::batch::Batch;
use super::memory::MemoryBudget;
use crate::storage::Snapshot;
use crate::vector::Vector;
use crate::{Error, Result};
use grizzly_ir::{LogicalPlan, Value};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A pull-based vectorized operator.
pub trait Operator: Send {
    /// The next batch of output, or `None` when done. Batches may be empty of rows.
    fn next(&mut self) -> Result<Option<Batch>>;
}

pub type BoxOp = Box<dyn Operator>;

/// What a running statement sees: its snapshot, its parameter values, native code for some
/// of its pipelines, the flag that cancels it, the memory budget its operators reserve from,
/// and (for EXPLAIN ANALYZE only) the profile its operators record into.
#[derive(Clone)]
pub struct ExecContext {
    pub snapshot: Arc<Snapshot>,
    pub params: Arc<[Value]>,
    /// Compiled pipelines of the plan being run, if the compiled tier made any.
    pub compiled: Option<Arc<CompiledRef>>,
    /// Set from another thread to stop the statement: checked once per batch by every
    /// operator and once per morsel by compiled pipelines.
    pub cancel: CancelFlag,
    /// What the statement's operators hold and may hold (`memory_limit`); shared with its
    /// subqueries, so the limit is per statement.
    pub memory: MemoryBudget,
    /// Per-operator counters, collected only when this is set (EXPLAIN ANALYZE); without it
    /// operators run unwrapped but for the cancel check.
    pub profile: Option<Arc<Profile>>,
    /// The rows each running recursive query made in its last round (`WITH RECURSIVE`).
    pub working: super::recursive::WorkingTables,
}

impl ExecContext {
    /// A context with a cancel flag of its own (never set unless [`ExecContext::cancel`] is
    /// shared with someone), no memory limit and no profile.
    pub fn new(snapshot: Arc<Snapshot>, params: Arc<[Value]>) -> ExecContext {
        ExecContext {
            snapshot,
            params,
            compiled: None,
            cancel: CancelFlag::new(),
            memory: MemoryBudget::unlimited(),
            profile: None,
            working: Default::default(),
        }
    }

    /// Uses `cancel` as this statement's cancel flag.
    pub fn with_cancel(mut self, cancel: CancelFlag) -> Self {
        self.cancel = cancel;
        self
    }

    /// Uses `memory` as this statement's memory budget.
    pub fn with_memory(mut self, memory: MemoryBudget) -> Self {
        self.memory = memory;
        self
    }

    /// Records per-operator rows and times into `profile` (EXPLAIN ANALYZE).
    pub fn with_profile(mut self, profile: Arc<Profile>) -> Self {
        self.profile = Some(profile);
        self
    }

    /// The context a subquery of this statement runs in: same snapshot, parameters, cancel
    /// flag, memory budget and profile; interpreted.
    pub fn for_subquery(&self) -> ExecContext {
        ExecContext {
            compiled: None,
            ..self.clone()
        }
    }

    /// Attaches native code for pipelines of `plan` (the exact plan value that will be passed
    /// to `physical::build`: nodes are matched by address, numbered in pre-order).
    pub fn with_compiled(mut self, plan: &LogicalPlan, compiled: Arc<dyn CompiledPlan>) -> Self {
        let ids = plan
            .preorder()
            .into_iter()
            .map(|node| node as *const LogicalPlan as usize)
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
        let address = node as *const LogicalPlan as usize;
        let id = c.ids.iter().position(|a| *a == address)?;
        c.plan.pipeline(id)
    }
}

/// A statement's cancel flag: cheap to clone (clones share the flag), set from any thread.
#[derive(Debug, Clone, Default)]
pub struct CancelFlag(Arc<AtomicBool>);

impl CancelFlag {
    /// A flag that is not set.
    pub fn new() -> CancelFlag {
        CancelFlag::default()
    }

    /// Asks the statement to stop at its next check.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }

    /// # Errors
    /// [`Error::Cancelled`] once the flag is set.
    pub fn check(&self) -> Result<()> {
        if self.is_cancelled() {
            Err(Error::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Compiled code for a plan plus the map from its nodes to pre-order ids.
pub struct CompiledRef {
    /// The address of each node of the plan, in pre-order (a node's index is its id). A
    /// plan has tens of nodes: a scan is cheaper than building a hash map on every run.
    ids: Vec<usize>,
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

    /// As [`CompiledPipeline::run`], also telling whether the native code did the work
    /// (`false`: this run was handed to the interpreter). For EXPLAIN ANALYZE.
    fn run_reporting(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize, bool)> {
        self.run(ctx).map(|(columns, rows)| (columns, rows, true))
    }

    /// As [`CompiledPipeline::run_reporting`], in batches of at most
    /// [`super::BATCH_SIZE`] rows (a pipeline that makes its output batch by batch returns
    /// them as they are instead of joining them first).
    fn run_batches(&self, ctx: &ExecContext) -> Result<(Vec<Batch>, bool)> {
        self.run_reporting(ctx)
            .map(|(columns, rows, native)| (super::aggregate::split(columns, rows), native))
    }
}
