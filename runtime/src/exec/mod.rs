//! Vectorized execution of logical plans.

pub mod batch;

pub use batch::{Batch, Selection, BATCH_SIZE};
