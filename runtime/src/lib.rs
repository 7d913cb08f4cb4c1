//! Grizzly's runtime: storage, the vectorized interpreter, and the data layout compiled code
//! shares with it.
//!
//! The life of a query in this crate: the `grizzly` crate hands an optimized
//! [`grizzly_ir::LogicalPlan`] and a storage snapshot to `exec`, which splits the plan into
//! pipelines (scan → filters/projections → breaker) and runs them batch by batch over
//! [`Vector`]s that view the memory-mapped `.griz` columns in place.

pub mod abi;
pub mod buffer;
mod error;
pub mod exec;
pub mod storage;
pub mod vector;

pub use buffer::Buffer;
pub use error::{Error, Result};
pub use vector::{Bitmap, StrData, Vector, VectorData};
