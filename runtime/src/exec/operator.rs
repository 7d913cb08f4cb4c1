//! The operator interface of the interpreter and the context every operator runs in.
//!
//! Operators are pulled batch by batch (`next`). Streaming operators (scan, filter, project,
//! hash-join probe, limit) pass batches through; breakers (hash-join build, aggregate, sort,
//! set operations) consume their whole input on the first `next`. A pipeline is a chain of
//! streaming operators from a source up to the next breaker: the unit the compiled tier
//! replaces.

use super::batch::Batch;
use crate::storage::Snapshot;
use crate::Result;
use grizzly_ir::Value;
use std::sync::Arc;

/// A pull-based vectorized operator.
pub trait Operator: Send {
    /// The next batch of output, or `None` when done. Batches may be empty of rows.
    fn next(&mut self) -> Result<Option<Batch>>;
}

pub type BoxOp = Box<dyn Operator>;

/// What a running statement sees: its snapshot and its parameter values.
#[derive(Clone)]
pub struct ExecContext {
    pub snapshot: Arc<Snapshot>,
    pub params: Arc<[Value]>,
}
