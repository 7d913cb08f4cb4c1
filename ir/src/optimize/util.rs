//! Helpers shared by the optimizer passes.

use std::collections::{HashMap, HashSet};

use crate::expr::{BinaryOp, ColumnId, Expr};
use crate::plan::LogicalPlan;
use crate::types::DataType;

/// Ids of the fields a plan produces.
pub(crate) fn field_ids(plan: &LogicalPlan) -> HashSet<ColumnId> {
    plan.fields().into_iter().map(|f| f.id).collect()
}

/// Column ids an expression reads.
pub(crate) fn refs(e: &Expr) -> HashSet<ColumnId> {
    e.columns().into_iter().collect()
}

/// Joins conjuncts with AND as a balanced tree (bounded depth); `None` for no terms.
pub(crate) fn and_all(mut terms: Vec<Expr>) -> Option<Expr> {
    match terms.len() {
        0 => None,
        1 => terms.pop(),
        n => {
            let right = terms.split_off(n / 2);
            let l = and_all(terms)?;
            let r = and_all(right)?;
            Some(Expr::binary(BinaryOp::And, l, r, DataType::Boolean))
        }
    }
}

/// Joins disjuncts with OR as a balanced tree; `None` for no terms.
pub(crate) fn or_all(mut terms: Vec<Expr>) -> Option<Expr> {
    match terms.len() {
        0 => None,
        1 => terms.pop(),
        n => {
            let right = terms.split_off(n / 2);
            let l = or_all(terms)?;
            let r = or_all(right)?;
            Some(Expr::binary(BinaryOp::Or, l, r, DataType::Boolean))
        }
    }
}

/// Wraps `plan` in a Filter of the conjunction of `preds` (no Filter for no predicates).
pub(crate) fn filter(plan: LogicalPlan, preds: Vec<Expr>) -> LogicalPlan {
    match and_all(preds) {
        Some(predicate) => LogicalPlan::Filter {
            input: Box::new(plan),
            predicate,
        },
        None => plan,
    }
}

/// Replaces column references by the expressions `map` gives for them.
pub(crate) fn substitute(e: Expr, map: &HashMap<ColumnId, Expr>) -> Expr {
    e.transform(&mut |x| match x {
        Expr::Column { id, ty } => map.get(&id).cloned().unwrap_or(Expr::Column { id, ty }),
        other => other,
    })
}

/// The largest column id used anywhere in the plan (including subquery plans), so passes can
/// mint fresh ids above it.
pub(crate) fn max_column_id(plan: &LogicalPlan) -> u32 {
    let mut max = 0u32;
    for f in plan.fields() {
        max = max.max(f.id.0);
    }
    if let LogicalPlan::Scan { columns, .. } = plan {
        for (_, f) in columns {
            max = max.max(f.id.0);
        }
    }
    plan.for_each_expr(|e| {
        e.visit(&mut |x| {
            if let Expr::Column { id, .. } = x {
                max = max.max(id.0);
            }
        });
        e.for_each_subquery(&mut |p| max = max.max(max_column_id(p)));
    });
    for input in plan.inputs() {
        max = max.max(max_column_id(input));
    }
    max
}

/// Splits a predicate into conjuncts, factoring terms common to every branch of an OR out of
/// it: `(a AND b) OR (a AND c)` gives `[a, b OR c]` (TPC-H Q19's join key is such a term).
pub(crate) fn split_predicate(e: Expr) -> Vec<Expr> {
    let mut out = Vec::new();
    for term in e.split_conjunction() {
        match term {
            Expr::Binary {
                op: BinaryOp::Or, ..
            } => out.extend(factor_or(term)),
            other => out.push(other),
        }
    }
    out
}

/// Factors conjuncts common to all disjuncts out of an OR.
fn factor_or(e: Expr) -> Vec<Expr> {
    let branches: Vec<Vec<Expr>> = e
        .split_disjunction()
        .into_iter()
        .map(|d| d.split_conjunction())
        .collect();
    let Some(first) = branches.first() else {
        return vec![];
    };
    let common: Vec<Expr> = first
        .iter()
        .filter(|t| branches[1..].iter().all(|b| b.contains(t)))
        .cloned()
        .collect();
    if common.is_empty() {
        let rebuilt = branches.into_iter().filter_map(and_all).collect();
        return or_all(rebuilt).into_iter().collect();
    }
    let mut rests = Vec::with_capacity(branches.len());
    let mut any_empty = false;
    for b in branches {
        let rest: Vec<Expr> = b.into_iter().filter(|t| !common.contains(t)).collect();
        if rest.is_empty() {
            // (a) OR (a AND b) is just a.
            any_empty = true;
        }
        rests.push(rest);
    }
    let mut out = common;
    if !any_empty {
        if let Some(or) = or_all(rests.into_iter().filter_map(and_all).collect()) {
            out.push(or);
        }
    }
    out
}

/// For an OR spanning several inputs, the weaker predicate it implies on the columns `side`:
/// the OR of each branch's terms that read only `side` (`None` if some branch has none).
pub(crate) fn derive_side_predicate(e: &Expr, side: &HashSet<ColumnId>) -> Option<Expr> {
    if !matches!(
        e,
        Expr::Binary {
            op: BinaryOp::Or,
            ..
        }
    ) {
        return None;
    }
    let mut parts = Vec::new();
    for branch in e.clone().split_disjunction() {
        let local: Vec<Expr> = branch
            .split_conjunction()
            .into_iter()
            .filter(|t| {
                let r = refs(t);
                !r.is_empty() && r.is_subset(side) && !t.has_subquery()
            })
            .collect();
        parts.push(and_all(local)?);
    }
    or_all(parts)
}

/// If `e` is `a = b` with `a` reading only `left` and `b` only `right` (or the reverse),
/// the key pair oriented (left, right).
pub(crate) fn equi_pair(
    e: &Expr,
    left: &HashSet<ColumnId>,
    right: &HashSet<ColumnId>,
) -> Option<(Expr, Expr)> {
    let Expr::Binary {
        op: BinaryOp::Eq,
        left: a,
        right: b,
        ..
    } = e
    else {
        return None;
    };
    if a.has_subquery() || b.has_subquery() {
        return None;
    }
    let (ra, rb) = (refs(a), refs(b));
    if ra.is_empty() || rb.is_empty() {
        return None;
    }
    if ra.is_subset(left) && rb.is_subset(right) {
        Some(((**a).clone(), (**b).clone()))
    } else if ra.is_subset(right) && rb.is_subset(left) {
        Some(((**b).clone(), (**a).clone()))
    } else {
        None
    }
}
