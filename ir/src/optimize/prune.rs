//! Pass 5, projection pruning: top-down, each operator keeps only the outputs its parent
//! uses, and asks its inputs only for the columns it then needs.
//!
//! - Scan reads the used columns plus those its filters read (at least one column, the
//!   narrowest, so row counts survive `count(*)`);
//! - Project and Values drop unused outputs (a Project keeps at least one);
//! - Aggregate drops unused aggregate calls (group keys always stay: they define the groups);
//! - Distinct and set operations need all their input columns (dropping one would change which
//!   rows are duplicates);
//! - a join input that still produces columns the join and its parent do not read (a scan's
//!   filter-only columns) gets a Project of the needed ones on top, unless it is small
//!   ([`NARROW_MIN_ROWS`] estimated rows): the join would hash or copy them for nothing.

use std::collections::HashSet;

use super::stats::estimate;
use super::Pass;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::expr::{ColumnId, Expr};
use crate::plan::{JoinKind, LogicalPlan};
use crate::types::PhysicalType;

pub(crate) struct ProjectionPruning;

impl Pass for ProjectionPruning {
    fn name(&self) -> &'static str {
        "projection_pruning"
    }

    fn rewrite(&self, plan: LogicalPlan, catalog: &dyn Catalog) -> Result<LogicalPlan> {
        Ok(prune_keeping_all(plan, catalog))
    }
}

fn add_refs(set: &mut HashSet<ColumnId>, e: &Expr) {
    set.extend(e.columns());
}

fn all_ids(plan: &LogicalPlan) -> HashSet<ColumnId> {
    plan.fields().iter().map(|f| f.id).collect()
}

fn width(t: PhysicalType) -> u8 {
    match t {
        PhysicalType::Bool => 1,
        PhysicalType::I32 => 4,
        PhysicalType::I64 | PhysicalType::F64 => 8,
        PhysicalType::I128 => 16,
        PhysicalType::Str => 32,
    }
}

/// Join inputs estimated to have fewer rows are not narrowed (a Project costs more than
/// carrying a few rows' extra columns).
const NARROW_MIN_ROWS: f64 = 10_000.0;

/// A join input narrowed to the columns in `need`: a Project of them when the input also
/// produces others (a scan's filter-only columns, a filter's) and is not small, so that the
/// join neither hashes nor copies columns nobody reads (TPC-H Q13's `o_comment`).
fn narrow(plan: LogicalPlan, need: &HashSet<ColumnId>, catalog: &dyn Catalog) -> LogicalPlan {
    let fields = plan.fields();
    if need.is_empty()
        || fields.iter().all(|f| need.contains(&f.id))
        || matches!(plan, LogicalPlan::Project { .. })
        || estimate(&plan, catalog).rows < NARROW_MIN_ROWS
    {
        return plan;
    }
    let exprs = fields
        .into_iter()
        .filter(|f| need.contains(&f.id))
        .map(|f| (Expr::column(f.id, f.ty), f))
        .collect();
    LogicalPlan::Project {
        input: Box::new(plan),
        exprs,
    }
}

/// `plan` pruned below, with every one of its own outputs kept.
fn prune_keeping_all(plan: LogicalPlan, catalog: &dyn Catalog) -> LogicalPlan {
    let required: HashSet<ColumnId> = plan.fields().iter().map(|f| f.id).collect();
    prune(plan, &required, catalog)
}

fn prune(plan: LogicalPlan, required: &HashSet<ColumnId>, catalog: &dyn Catalog) -> LogicalPlan {
    match plan {
        LogicalPlan::Scan {
            table,
            columns,
            filters,
        } => {
            let mut need = required.clone();
            filters.iter().for_each(|f| add_refs(&mut need, f));
            let mut kept: Vec<_> = columns
                .iter()
                .filter(|(_, f)| need.contains(&f.id))
                .cloned()
                .collect();
            if kept.is_empty() {
                if let Some(c) = columns.iter().min_by_key(|(_, f)| width(f.ty.physical())) {
                    kept.push(c.clone());
                }
            }
            LogicalPlan::Scan {
                table,
                columns: kept,
                filters,
            }
        }
        LogicalPlan::Values { fields, rows } => {
            let keep: Vec<bool> = fields.iter().map(|f| required.contains(&f.id)).collect();
            let fields = fields
                .into_iter()
                .zip(&keep)
                .filter(|(_, k)| **k)
                .map(|(f, _)| f)
                .collect();
            let rows = rows
                .into_iter()
                .map(|r| {
                    r.into_iter()
                        .zip(&keep)
                        .filter(|(_, k)| **k)
                        .map(|(e, _)| e)
                        .collect()
                })
                .collect();
            LogicalPlan::Values { fields, rows }
        }
        // One column, which a query reading no column still needs for its row count.
        series @ LogicalPlan::Series(_) => series,
        // Rounds feed rows back by position: every column of both terms stays.
        LogicalPlan::Recursive(r) => {
            let mut r = *r;
            r.anchor = prune_keeping_all(r.anchor, catalog);
            r.step = prune_keeping_all(r.step, catalog);
            LogicalPlan::Recursive(Box::new(r))
        }
        working @ LogicalPlan::WorkingTable { .. } => working,
        LogicalPlan::Filter { input, predicate } => {
            let mut need = required.clone();
            add_refs(&mut need, &predicate);
            LogicalPlan::Filter {
                input: Box::new(prune(*input, &need, catalog)),
                predicate,
            }
        }
        LogicalPlan::Project { input, exprs } => {
            let mut kept: Vec<_> = Vec::with_capacity(exprs.len());
            let mut first = None;
            for (e, f) in exprs {
                if required.contains(&f.id) {
                    kept.push((e, f));
                } else if first.is_none() {
                    first = Some((e, f));
                }
            }
            if kept.is_empty() {
                kept.extend(first);
            }
            let mut need = HashSet::new();
            kept.iter().for_each(|(e, _)| add_refs(&mut need, e));
            LogicalPlan::Project {
                input: Box::new(prune(*input, &need, catalog)),
                exprs: kept,
            }
        }
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let total = aggregates.len();
            let mut kept: Vec<_> = Vec::with_capacity(total);
            let mut first = None;
            for (a, f) in aggregates {
                if required.contains(&f.id) {
                    kept.push((a, f));
                } else if first.is_none() {
                    first = Some((a, f));
                }
            }
            if kept.is_empty() && group_by.is_empty() {
                kept.extend(first);
            }
            let mut need = HashSet::new();
            group_by.iter().for_each(|(e, _)| add_refs(&mut need, e));
            kept.iter()
                .flat_map(|(a, _)| a.exprs())
                .for_each(|e| add_refs(&mut need, e));
            LogicalPlan::Aggregate {
                input: Box::new(prune(*input, &need, catalog)),
                group_by,
                aggregates: kept,
            }
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
        } => {
            let mut need = required.clone();
            for (l, r) in &on {
                add_refs(&mut need, l);
                add_refs(&mut need, r);
            }
            if let Some(f) = &filter {
                add_refs(&mut need, f);
            }
            let (lids, rids) = (all_ids(&left), all_ids(&right));
            let lneed: HashSet<ColumnId> = need.intersection(&lids).copied().collect();
            let mut rneed: HashSet<ColumnId> = need.intersection(&rids).copied().collect();
            if matches!(kind, JoinKind::Semi | JoinKind::Anti) {
                // Only the condition reads the right side.
                rneed.retain(|id| {
                    on.iter().any(|(_, r)| r.columns().contains(id))
                        || filter.as_ref().is_some_and(|f| f.columns().contains(id))
                });
            }
            LogicalPlan::Join {
                left: Box::new(narrow(prune(*left, &lneed, catalog), &lneed, catalog)),
                right: Box::new(narrow(prune(*right, &rneed, catalog), &rneed, catalog)),
                kind,
                on,
                filter,
            }
        }
        LogicalPlan::Sort { input, keys } => {
            let mut need = required.clone();
            keys.iter().for_each(|k| add_refs(&mut need, &k.expr));
            LogicalPlan::Sort {
                input: Box::new(prune(*input, &need, catalog)),
                keys,
            }
        }
        LogicalPlan::Limit {
            input,
            limit,
            offset,
        } => LogicalPlan::Limit {
            input: Box::new(prune(*input, required, catalog)),
            limit,
            offset,
        },
        LogicalPlan::LimitWithTies {
            input,
            keys,
            limit,
            offset,
        } => {
            let mut need = required.clone();
            keys.iter().for_each(|k| add_refs(&mut need, &k.expr));
            LogicalPlan::LimitWithTies {
                input: Box::new(prune(*input, &need, catalog)),
                keys,
                limit,
                offset,
            }
        }
        LogicalPlan::Window { input, functions } => {
            // Unused window functions go (they never change the row count).
            let kept: Vec<_> = functions
                .into_iter()
                .filter(|(_, f)| required.contains(&f.id))
                .collect();
            let mut need = required.clone();
            kept.iter()
                .flat_map(|(w, _)| w.exprs())
                .for_each(|e| add_refs(&mut need, e));
            let input = prune(*input, &need, catalog);
            if kept.is_empty() {
                return input;
            }
            LogicalPlan::Window {
                input: Box::new(input),
                functions: kept,
            }
        }
        LogicalPlan::Distinct { input } => {
            let need = all_ids(&input);
            LogicalPlan::Distinct {
                input: Box::new(prune(*input, &need, catalog)),
            }
        }
        LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
            fields,
        } => {
            let (ln, rn) = (all_ids(&left), all_ids(&right));
            LogicalPlan::SetOp {
                op,
                all,
                left: Box::new(prune(*left, &ln, catalog)),
                right: Box::new(prune(*right, &rn, catalog)),
                fields,
            }
        }
    }
}
