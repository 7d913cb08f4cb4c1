//! The optimizer: an ordered list of small named passes over a [`LogicalPlan`].
//!
//! [`optimize`] first optimizes every subquery plan held in expressions (each with the full
//! pass list), then runs the passes over the plan in this order:
//! 1. `constant_folding` (`fold.rs`): literals evaluated, boolean logic simplified.
//! 2. `predicate_pushdown` (`pushdown.rs`): conjuncts moved as close to the scans as their
//!    columns allow, cross joins with equalities turned into equi-joins, filters merged into
//!    `Scan::filters`.
//! 3. `join_ordering` (`join_order.rs`): trees of inner joins re-ordered greedily by estimated
//!    cardinality ([`estimated_rows`]: column statistics when the catalog has them, else
//!    row counts), never introducing a cross product when a connected order exists; the
//!    smaller input becomes the right (hash build) side.
//! 4. `semi_join_reduction` (`semi_reduce.rs`): a grouped Aggregate joined on its group keys
//!    (unnested correlated scalar subqueries) first drops, by a semi join with a copy of the
//!    other input, the rows of groups that cannot match, when statistics say that pays off.
//! 5. `projection_pruning` (`prune.rs`): scans read only used columns, projections and
//!    aggregates drop unused outputs.
//!
//! [`optimize_with_trace`] returns the plan after each pass so EXPLAIN (and golden tests) can
//! show every rewrite as a diff.

pub(crate) mod eval;
mod fold;
mod join_order;
mod prune;
mod pushdown;
mod semi_reduce;
mod stats;
mod util;

use crate::catalog::Catalog;
use crate::error::Result;
use crate::plan::LogicalPlan;

pub(crate) use fold::fold_expr;

/// One optimizer pass: a named, self-contained plan rewrite.
pub trait Pass {
    /// Short snake_case name shown by EXPLAIN traces.
    fn name(&self) -> &'static str;
    /// Rewrites the plan. Must preserve the plan's result (rows and output fields).
    fn rewrite(&self, plan: LogicalPlan, catalog: &dyn Catalog) -> Result<LogicalPlan>;
}

/// The passes [`optimize`] runs, in order.
pub fn passes() -> Vec<Box<dyn Pass>> {
    vec![
        Box::new(fold::ConstantFolding),
        Box::new(pushdown::PredicatePushdown),
        Box::new(join_order::JoinOrdering),
        Box::new(semi_reduce::SemiJoinReduction),
        Box::new(prune::ProjectionPruning),
    ]
}

/// Optimizes a plan (and every subquery plan inside its expressions).
///
/// # Errors
/// Only [`crate::Error::Internal`] if a pass finds a broken invariant.
pub fn optimize(plan: LogicalPlan, catalog: &dyn Catalog) -> Result<LogicalPlan> {
    let mut plan = optimize_subqueries(plan, catalog)?;
    for pass in passes() {
        plan = pass.rewrite(plan, catalog)?;
    }
    Ok(plan)
}

/// Like [`optimize`], returning the input plan (named `"unoptimized"`) followed by the plan
/// after each pass, named by the pass.
pub fn optimize_with_trace(
    plan: LogicalPlan,
    catalog: &dyn Catalog,
) -> Result<Vec<(String, LogicalPlan)>> {
    let mut trace = vec![("unoptimized".to_string(), plan.clone())];
    let mut plan = optimize_subqueries(plan, catalog)?;
    for pass in passes() {
        plan = pass.rewrite(plan, catalog)?;
        trace.push((pass.name().to_string(), plan.clone()));
    }
    Ok(trace)
}

/// The optimizer's estimate of how many rows `plan` produces: what join ordering compares
/// (from [`Catalog::column_stats`] when the catalog has them, see `stats.rs`).
pub fn estimated_rows(plan: &LogicalPlan, catalog: &dyn Catalog) -> f64 {
    stats::estimate(plan, catalog).rows
}

/// Runs [`optimize`] on every subquery plan inside the expressions of `plan`.
fn optimize_subqueries(plan: LogicalPlan, catalog: &dyn Catalog) -> Result<LogicalPlan> {
    let plan = plan.try_map_inputs(&mut |p| optimize_subqueries(p, catalog))?;
    plan.try_map_exprs(&mut |e| {
        if e.has_subquery() {
            e.try_map_subqueries(&mut |p| optimize(p, catalog))
        } else {
            Ok(e)
        }
    })
}
