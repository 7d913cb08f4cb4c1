//! The vectorized interpreter: the cold tier and the reference for correctness.
//!
//! [`physical::build`] turns a logical plan into operators ([`operator::Operator`]) that pass
//! [`Batch`]es of about 2K rows. Scans view the mapped `.griz` columns in place and skip row
//! groups by zone map; filters narrow selection vectors; hash joins build on their right
//! input; aggregates, sorts and set operations are pipeline breakers.

pub mod aggregate;
pub mod batch;
pub mod builder;
pub mod expr;
pub mod join;
pub mod kernels;
pub mod keys;
pub mod operator;
pub mod physical;
pub mod scan;
pub mod setop;
pub mod simple;
pub mod sort;
pub mod window;

pub use batch::{Batch, Selection, BATCH_SIZE};
pub use builder::VectorBuilder;
pub use expr::{eval_constant, PhysExpr};
pub use operator::{BoxOp, CompiledPipeline, CompiledPlan, ExecContext, Operator};
pub use physical::{build, execute};
