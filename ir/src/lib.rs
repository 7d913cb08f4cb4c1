//! Grizzly's SQL front end: everything a query goes through before execution.
//!
//! The life of a query in this crate:
//! 1. [`parse`] — SQL text to a `sqlparser` AST (PostgreSQL dialect, `?` placeholders
//!    accepted); errors carry line/column.
//! 2. [`bind`] — names resolved through a [`Catalog`], types checked, implicit casts made
//!    explicit (rules in `bind/coerce.rs`): the result is a [`Bound`] [`Statement`] holding
//!    typed [`LogicalPlan`]s, plus the inferred parameter types.
//! 3. [`optimize()`] — an ordered list of small named [`Pass`]es over the plan (constant folding,
//!    predicate pushdown, join ordering, projection pruning); [`optimize_with_trace`] keeps the
//!    plan after each pass.
//! 4. [`explain`] — the plan as an indented tree, for EXPLAIN and golden tests.
//! 5. [`lift`] — constants of the optimized plan lifted into parameters, the plan's canonical
//!    text and its stable [`Fingerprint`], which the query cache keys compiled code on.
//!
//! The runtime crate then turns the plan into pipelines and runs them.
#![forbid(unsafe_code)]

mod bind;
pub mod catalog;
pub mod date;
mod error;
mod explain;
pub mod expr;
pub mod fingerprint;
pub mod optimize;
mod parse;
pub mod pg_catalog;
pub mod plan;
pub mod statement;
pub mod types;

pub use bind::{bind, Bound};
pub use catalog::{Catalog, ColumnMeta, TableMeta, ViewMeta};
pub use error::{Error, Location, Result};
pub use explain::{explain, explain_annotated};
pub use expr::{
    BinaryOp, BitOp, ColumnId, DateFunc, Expr, MathFunc, Rounding, ScalarFunc, TextFunc,
};
pub use fingerprint::{lift, Fingerprint, Lifted, StableHasher};
pub use optimize::{optimize, optimize_with_trace, Pass};
pub use parse::parse;
pub use plan::{
    AggFunc, AggregateCall, Field, JoinKind, LogicalPlan, Recursive, Series, SetOpKind, SortKey,
};
pub use sqlparser;
pub use statement::{CopyOptions, RewriteKind, Statement, TableChange};
pub use types::{DataType, PhysicalType, Value};
