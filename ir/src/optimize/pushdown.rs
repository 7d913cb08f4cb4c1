//! Pass 2, predicate pushdown: every conjunct moves down to the lowest operator whose output
//! holds all the columns it reads.
//!
//! - Filters split into conjuncts (an OR's terms common to all its branches are factored out
//!   first); consecutive filters merge.
//! - Through a Project, conjuncts are rewritten in terms of the project's input; through an
//!   Aggregate only conjuncts over group keys pass (never for a global aggregate, which
//!   returns a row even for empty input); through Sort and Distinct freely; through a set
//!   operation into both inputs; never through Limit.
//! - At an inner (or cross) join, conjuncts over one side go to that side and `l = r`
//!   equalities between the sides become equi-join keys, so `FROM a, b WHERE a.x = b.y` is an
//!   equi-join. An OR spanning both sides also pushes the weaker per-side OR it implies
//!   (TPC-H Q7, Q19) while the original stays at the join.
//! - Outer joins: conjuncts from above go only to the preserved side; ON conjuncts only to
//!   the NULL-supplying side. A conjunct above that rejects NULLs of the NULL-supplying side
//!   turns the outer join into an inner (or one-sided) join first.
//! - Conjuncts without subqueries that reach a Scan become `Scan::filters`.

use std::collections::{HashMap, HashSet};

use super::util::{
    derive_side_predicate, equi_pair, field_ids, filter, refs, split_predicate, substitute,
};
use super::Pass;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::expr::{BinaryOp, ColumnId, Expr, ScalarFunc};
use crate::plan::{JoinKind, LogicalPlan};

pub(crate) struct PredicatePushdown;

impl Pass for PredicatePushdown {
    fn name(&self) -> &'static str {
        "predicate_pushdown"
    }

    fn rewrite(&self, plan: LogicalPlan, _catalog: &dyn Catalog) -> Result<LogicalPlan> {
        Ok(push(plan, Vec::new()))
    }
}

/// Adds conjuncts (split and factored) to a list, skipping exact duplicates.
fn add_terms(list: &mut Vec<Expr>, e: Expr) {
    for t in split_predicate(e) {
        if !list.contains(&t) {
            list.push(t);
        }
    }
}

/// Returns `plan` with the conjuncts `preds` applied, pushed as deep as possible.
fn push(plan: LogicalPlan, preds: Vec<Expr>) -> LogicalPlan {
    match plan {
        LogicalPlan::Filter { input, predicate } => {
            let mut all = preds;
            add_terms(&mut all, predicate);
            push(*input, all)
        }
        LogicalPlan::Project { input, exprs } => {
            let map: HashMap<ColumnId, Expr> =
                exprs.iter().map(|(e, f)| (f.id, e.clone())).collect();
            let (mut down, mut up) = (Vec::new(), Vec::new());
            for p in preds {
                let through = refs(&p)
                    .iter()
                    .all(|id| map.get(id).is_some_and(|e| !e.has_subquery()));
                if through {
                    add_terms(&mut down, substitute(p, &map));
                } else {
                    up.push(p);
                }
            }
            let input = push(*input, down);
            filter(
                LogicalPlan::Project {
                    input: Box::new(input),
                    exprs,
                },
                up,
            )
        }
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let map: HashMap<ColumnId, Expr> =
                group_by.iter().map(|(e, f)| (f.id, e.clone())).collect();
            let (mut down, mut up) = (Vec::new(), Vec::new());
            for p in preds {
                let r = refs(&p);
                let through = !r.is_empty()
                    && !p.has_subquery()
                    && r.iter()
                        .all(|id| map.get(id).is_some_and(|e| !e.has_subquery()));
                if through {
                    add_terms(&mut down, substitute(p, &map));
                } else {
                    up.push(p);
                }
            }
            let input = push(*input, down);
            filter(
                LogicalPlan::Aggregate {
                    input: Box::new(input),
                    group_by,
                    aggregates,
                },
                up,
            )
        }
        LogicalPlan::Window { input, functions } => {
            // Only conjuncts over columns every function partitions by may pass: they keep or
            // drop whole partitions.
            let mut keys: Option<HashSet<ColumnId>> = None;
            for (w, _) in &functions {
                let mine: HashSet<ColumnId> = w
                    .partition_by
                    .iter()
                    .filter_map(|e| match e {
                        Expr::Column { id, .. } => Some(*id),
                        _ => None,
                    })
                    .collect();
                keys = Some(match keys {
                    None => mine,
                    Some(k) => k.intersection(&mine).copied().collect(),
                });
            }
            let keys = keys.unwrap_or_default();
            let (mut down, mut up) = (Vec::new(), Vec::new());
            for p in preds {
                let r = refs(&p);
                if !r.is_empty() && !p.has_subquery() && r.iter().all(|id| keys.contains(id)) {
                    add_terms(&mut down, p);
                } else {
                    up.push(p);
                }
            }
            let input = push(*input, down);
            filter(
                LogicalPlan::Window {
                    input: Box::new(input),
                    functions,
                },
                up,
            )
        }
        LogicalPlan::Sort { input, keys } => LogicalPlan::Sort {
            input: Box::new(push(*input, preds)),
            keys,
        },
        LogicalPlan::Distinct { input } => LogicalPlan::Distinct {
            input: Box::new(push(*input, preds)),
        },
        LogicalPlan::Limit {
            input,
            limit,
            offset,
        } => {
            let input = push(*input, Vec::new());
            filter(
                LogicalPlan::Limit {
                    input: Box::new(input),
                    limit,
                    offset,
                },
                preds,
            )
        }
        LogicalPlan::LimitWithTies {
            input,
            keys,
            limit,
            offset,
        } => {
            let input = push(*input, Vec::new());
            filter(
                LogicalPlan::LimitWithTies {
                    input: Box::new(input),
                    keys,
                    limit,
                    offset,
                },
                preds,
            )
        }
        LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
            fields,
        } => {
            let (lf, rf) = (left.fields(), right.fields());
            let to_side = |side: &[crate::plan::Field]| -> HashMap<ColumnId, Expr> {
                fields
                    .iter()
                    .zip(side)
                    .map(|(f, s)| (f.id, Expr::column(s.id, s.ty)))
                    .collect()
            };
            let (lmap, rmap) = (to_side(&lf), to_side(&rf));
            let (mut lp, mut rp, mut up) = (Vec::new(), Vec::new(), Vec::new());
            for p in preds {
                if p.has_subquery() {
                    up.push(p);
                } else {
                    lp.push(substitute(p.clone(), &lmap));
                    rp.push(substitute(p, &rmap));
                }
            }
            let left = push(*left, lp);
            let right = push(*right, rp);
            filter(
                LogicalPlan::SetOp {
                    op,
                    all,
                    left: Box::new(left),
                    right: Box::new(right),
                    fields,
                },
                up,
            )
        }
        LogicalPlan::Scan {
            table,
            columns,
            mut filters,
        } => {
            let mut up = Vec::new();
            for p in preds {
                if p.has_subquery() {
                    up.push(p);
                } else if !filters.contains(&p) {
                    filters.push(p);
                }
            }
            filter(
                LogicalPlan::Scan {
                    table,
                    columns,
                    filters,
                },
                up,
            )
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter: cond,
        } => push_join(*left, *right, kind, on, cond, preds),
        other @ (LogicalPlan::Values { .. }
        | LogicalPlan::Series(_)
        | LogicalPlan::Recursive(_)
        | LogicalPlan::WorkingTable { .. }) => {
            let other = other.try_map_inputs(&mut |p| Ok::<_, ()>(push(p, Vec::new())));
            match other {
                Ok(p) => filter(p, preds),
                Err(()) => unreachable!("pushdown is infallible"),
            }
        }
    }
}

fn push_join(
    left: LogicalPlan,
    right: LogicalPlan,
    mut kind: JoinKind,
    mut on: Vec<(Expr, Expr)>,
    cond: Option<Expr>,
    preds: Vec<Expr>,
) -> LogicalPlan {
    let (lf, rf) = (field_ids(&left), field_ids(&right));
    // Outer joins whose NULL-extended rows the predicates above would reject anyway.
    let rejects = |side: &HashSet<ColumnId>| preds.iter().any(|p| rejects_nulls(p, side));
    kind = match kind {
        JoinKind::Left if rejects(&rf) => JoinKind::Inner,
        JoinKind::Right if rejects(&lf) => JoinKind::Inner,
        JoinKind::Full => match (rejects(&lf), rejects(&rf)) {
            (true, true) => JoinKind::Inner,
            (true, false) => JoinKind::Right,
            (false, true) => JoinKind::Left,
            (false, false) => JoinKind::Full,
        },
        k => k,
    };
    let mut cond_terms = Vec::new();
    if let Some(c) = cond {
        add_terms(&mut cond_terms, c);
    }
    let (mut to_left, mut to_right, mut at_join, mut above) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let only = |t: &Expr, side: &HashSet<ColumnId>| {
        let r = refs(t);
        !r.is_empty() && r.is_subset(side)
    };
    match kind {
        JoinKind::Inner => {
            for t in preds.into_iter().chain(cond_terms) {
                if refs(&t).is_empty() || only(&t, &lf) {
                    add_terms(&mut to_left, t);
                } else if only(&t, &rf) {
                    add_terms(&mut to_right, t);
                } else {
                    if let Some(d) = derive_side_predicate(&t, &lf) {
                        add_terms(&mut to_left, d);
                    }
                    if let Some(d) = derive_side_predicate(&t, &rf) {
                        add_terms(&mut to_right, d);
                    }
                    at_join.push(t);
                }
            }
        }
        JoinKind::Left | JoinKind::Semi | JoinKind::Anti => {
            for t in preds {
                if only(&t, &lf) {
                    add_terms(&mut to_left, t);
                } else {
                    above.push(t);
                }
            }
            for t in cond_terms {
                if only(&t, &rf) {
                    add_terms(&mut to_right, t);
                } else if kind == JoinKind::Semi && only(&t, &lf) {
                    add_terms(&mut to_left, t);
                } else {
                    at_join.push(t);
                }
            }
        }
        JoinKind::Right => {
            for t in preds {
                if only(&t, &rf) {
                    add_terms(&mut to_right, t);
                } else {
                    above.push(t);
                }
            }
            for t in cond_terms {
                if only(&t, &lf) {
                    add_terms(&mut to_left, t);
                } else {
                    at_join.push(t);
                }
            }
        }
        JoinKind::Full => {
            above = preds;
            at_join = cond_terms;
        }
    }
    let mut rest = Vec::new();
    for t in at_join {
        match equi_pair(&t, &lf, &rf) {
            Some(pair) if !on.contains(&pair) => on.push(pair),
            Some(_) => {}
            None => rest.push(t),
        }
    }
    let left = push(left, to_left);
    let right = push(right, to_right);
    let join = LogicalPlan::Join {
        left: Box::new(left),
        right: Box::new(right),
        kind,
        on,
        filter: super::util::and_all(rest),
    };
    filter(join, above)
}

/// True if `pred` is never true when every column in `cols` is NULL (so rows NULL-extended on
/// those columns are filtered out anyway).
fn rejects_nulls(pred: &Expr, cols: &HashSet<ColumnId>) -> bool {
    match pred {
        Expr::Binary {
            op: BinaryOp::And,
            left,
            right,
            ..
        } => rejects_nulls(left, cols) || rejects_nulls(right, cols),
        Expr::Binary {
            op: BinaryOp::Or,
            left,
            right,
            ..
        } => rejects_nulls(left, cols) && rejects_nulls(right, cols),
        Expr::Binary {
            op, left, right, ..
        } if op.is_comparison() => null_if_null(left, cols) || null_if_null(right, cols),
        Expr::Like { expr, pattern, .. } => null_if_null(expr, cols) || null_if_null(pattern, cols),
        Expr::InList { expr, .. } => null_if_null(expr, cols),
        Expr::IsNull {
            expr,
            negated: true,
        } => null_if_null(expr, cols),
        _ => false,
    }
}

/// True if `e` is NULL whenever every column in `cols` is NULL.
fn null_if_null(e: &Expr, cols: &HashSet<ColumnId>) -> bool {
    match e {
        Expr::Column { id, .. } => cols.contains(id),
        Expr::Cast { expr, .. } | Expr::Negate(expr) => null_if_null(expr, cols),
        Expr::Binary {
            op, left, right, ..
        } if op.is_arithmetic() || *op == BinaryOp::Concat => {
            null_if_null(left, cols) || null_if_null(right, cols)
        }
        Expr::Function { func, args, .. }
            if !matches!(
                func,
                ScalarFunc::Coalesce | ScalarFunc::Concat | ScalarFunc::NullIf
            ) =>
        {
            args.iter().any(|a| null_if_null(a, cols))
        }
        _ => false,
    }
}
