//! The vectorized interpreter: the cold tier and the reference for correctness.
//!
//! [`physical::build`] turns a logical plan into operators ([`operator::Operator`]) that pass
//! [`Batch`]es of about 2K rows. Scans view the mapped `.griz` columns in place and skip row
//! groups by zone map; filters narrow selection vectors; hash joins build on their right
//! input; aggregates, sorts and set operations are pipeline breakers. Every operator checks
//! the statement's [`CancelFlag`] once per batch; EXPLAIN ANALYZE wraps operators in counters
//! ([`analyze`]). Operators that materialize count what they hold in the statement's
//! [`MemoryBudget`] ([`memory`]: `memory_limit`).

pub mod aggregate;
pub mod analyze;
pub mod batch;
pub mod builder;
pub mod expr;
pub mod join;
pub mod kernels;
pub mod keys;
pub mod memory;
pub mod operator;
pub mod physical;
pub mod recursive;
pub mod scan;
pub mod series;
pub mod setop;
pub mod simple;
pub mod sort;
pub mod window;

pub use analyze::{NodeStats, Profile};
pub use batch::{Batch, Selection, BATCH_SIZE};
pub use builder::VectorBuilder;
pub use expr::{eval_constant, PhysExpr};
pub use memory::{MemoryBudget, Reservation};
pub use operator::{BoxOp, CancelFlag, CompiledPipeline, CompiledPlan, ExecContext, Operator};
pub use physical::{build, execute};
