//! Grizzly's compiled tier: pipelines become native code through Cranelift.
//!
//! The life of a query through this crate: the `grizzly` crate hands an optimized
//! [`grizzly_ir::LogicalPlan`] to [`Compiler::compile`], which finds the pipelines of a
//! supported shape (`pipeline`), translates each into one Cranelift function (`translate`),
//! and finalizes them in a JIT module owned by the returned [`CompiledQuery`]. The runtime
//! asks the query for a node's pipeline (`CompiledPlan::pipeline`) and runs it; its driver
//! (`agg` for an aggregate sink, `rows` for output batches, `build` for a join's table, all
//! on `driver`'s shared preparation) runs the join build sides (compiled pipelines of their
//! own where they can be, whose rows `build_table` collects and `join_table` links), feeds
//! the function one row group at a time through the `runtime::abi` structures and builds
//! the interpreter's output vectors (or the join table). Generated code is entered only in `jit`.
//!
//! [`smoke::AddI64`] is the smallest JIT round trip, kept as a toolchain check.

mod agg;
mod build;
mod build_table;
mod compiler;
mod driver;
mod group_table;
mod jit;
mod join_table;
mod pipeline;
mod rows;
pub mod smoke;
mod strings;
mod translate;

pub use compiler::{CompiledQuery, Compiler};
pub use smoke::AddI64;
