//! Pass 3, join ordering: each maximal tree of inner joins is flattened into its inputs
//! ("relations") and its conjuncts, then rebuilt greedily:
//!
//! 1. estimate every relation ([`stats::estimate`]);
//! 2. among pairs of relations connected by at least one equi-join conjunct, join the pair
//!    with the smallest estimated result (from column statistics when the catalog has them,
//!    see `stats.rs`);
//! 3. repeat until one relation is left; only if no pair is connected is a cross product
//!    formed (of the two smallest relations).
//!
//! The executor builds its hash table on a join's right input, so the smaller estimated side
//! goes right. Conjuncts are attached to the first join that has all their columns. Left and
//! right joins are not re-ordered, but one whose right input is estimated much larger than
//! its left is flipped (`A ⟕ B` to `B ⟖ A`; TPC-H Q13 builds on `customer`, not on
//! `orders`). When the rebuilt tree's column order differs and the order is visible (the
//! plan root or a set operation input), a Project restores it.

use std::collections::HashSet;

use super::stats::{estimate, join_estimate, join_rows, Estimate};
use super::util::{and_all, equi_pair, field_ids, max_column_id, refs};
use super::Pass;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::expr::{BinaryOp, ColumnId, Expr};
use crate::plan::{Field, JoinKind, LogicalPlan};
use crate::types::DataType;

pub(crate) struct JoinOrdering;

impl Pass for JoinOrdering {
    fn name(&self) -> &'static str {
        "join_ordering"
    }

    fn rewrite(&self, plan: LogicalPlan, catalog: &dyn Catalog) -> Result<LogicalPlan> {
        let mut cx = Ctx {
            catalog,
            next_id: max_column_id(&plan) + 1,
        };
        let fields = plan.fields();
        let out = cx.reorder(plan)?;
        Ok(cx.restore_order(out, &fields))
    }
}

/// Re-orders the inner-join trees of `plan` (below an operator that refers to its columns
/// by id, so their order may change), minting any ids it needs from `next_id`.
pub(crate) fn reorder_subtree(
    plan: LogicalPlan,
    catalog: &dyn Catalog,
    next_id: &mut u32,
) -> Result<LogicalPlan> {
    let mut cx = Ctx {
        catalog,
        next_id: *next_id,
    };
    let out = cx.reorder(plan)?;
    *next_id = cx.next_id;
    Ok(out)
}

/// An outer join's inputs swap when the right one is estimated this many times larger.
const OUTER_SWAP_FACTOR: f64 = 2.0;

struct Ctx<'c> {
    catalog: &'c dyn Catalog,
    next_id: u32,
}

/// One input of a join tree being ordered.
struct Rel {
    plan: LogicalPlan,
    ids: HashSet<ColumnId>,
    est: Estimate,
}

impl Ctx<'_> {
    fn reorder(&mut self, plan: LogicalPlan) -> Result<LogicalPlan> {
        match plan {
            LogicalPlan::Join {
                kind: JoinKind::Inner,
                ..
            } => {
                let mut leaves = Vec::new();
                let mut preds = Vec::new();
                flatten(plan, &mut leaves, &mut preds);
                let mut rels = Vec::with_capacity(leaves.len());
                for leaf in leaves {
                    let plan = self.reorder(leaf)?;
                    let est = estimate(&plan, self.catalog);
                    rels.push(Rel {
                        ids: field_ids(&plan),
                        plan,
                        est,
                    });
                }
                Ok(self.greedy(rels, preds))
            }
            LogicalPlan::SetOp {
                op,
                all,
                left,
                right,
                fields,
            } => {
                let (lf, rf) = (left.fields(), right.fields());
                let left = self.reorder(*left)?;
                let right = self.reorder(*right)?;
                Ok(LogicalPlan::SetOp {
                    op,
                    all,
                    left: Box::new(self.restore_order(left, &lf)),
                    right: Box::new(self.restore_order(right, &rf)),
                    fields,
                })
            }
            LogicalPlan::Join {
                left,
                right,
                kind: kind @ (JoinKind::Left | JoinKind::Right),
                on,
                filter,
            } => {
                let left = self.reorder(*left)?;
                let right = self.reorder(*right)?;
                Ok(self.outer_build_side(left, right, kind, on, filter))
            }
            other => other.try_map_inputs(&mut |p| self.reorder(p)),
        }
    }

    /// A left or right join with the estimated smaller input on the right (the hash build
    /// side): `A ⟕ B` is `B ⟖ A` (key pairs flipped, the filter unchanged), only the output
    /// column order differs.
    fn outer_build_side(
        &self,
        left: LogicalPlan,
        right: LogicalPlan,
        kind: JoinKind,
        on: Vec<(Expr, Expr)>,
        filter: Option<Expr>,
    ) -> LogicalPlan {
        let (l, r) = (
            estimate(&left, self.catalog).rows,
            estimate(&right, self.catalog).rows,
        );
        // Only a clear difference flips: estimates are rough.
        if !on.is_empty() && r > OUTER_SWAP_FACTOR * l {
            let flipped = match kind {
                JoinKind::Left => JoinKind::Right,
                _ => JoinKind::Left,
            };
            return LogicalPlan::Join {
                left: Box::new(right),
                right: Box::new(left),
                kind: flipped,
                on: on.into_iter().map(|(a, b)| (b, a)).collect(),
                filter,
            };
        }
        LogicalPlan::Join {
            left: Box::new(left),
            right: Box::new(right),
            kind,
            on,
            filter,
        }
    }

    /// Wraps `plan` in a Project with fresh ids emitting `fields` in order, if its output
    /// order differs (only used where nothing refers to the ids: the root and set operation
    /// inputs).
    fn restore_order(&mut self, plan: LogicalPlan, fields: &[Field]) -> LogicalPlan {
        let now: Vec<ColumnId> = plan.fields().iter().map(|f| f.id).collect();
        let before: Vec<ColumnId> = fields.iter().map(|f| f.id).collect();
        if now == before {
            return plan;
        }
        let exprs = fields
            .iter()
            .map(|f| {
                let id = ColumnId(self.next_id);
                self.next_id += 1;
                (Expr::column(f.id, f.ty), Field { id, ..f.clone() })
            })
            .collect();
        LogicalPlan::Project {
            input: Box::new(plan),
            exprs,
        }
    }

    fn greedy(&mut self, mut rels: Vec<Rel>, mut preds: Vec<Expr>) -> LogicalPlan {
        // Conjuncts over a single relation (or none) are applied to it first.
        let mut local: Vec<Vec<Expr>> = vec![Vec::new(); rels.len()];
        preds.retain(|p| {
            let r = refs(p);
            match rels.iter().position(|rel| r.is_subset(&rel.ids)) {
                Some(i) => {
                    local[i].push(p.clone());
                    false
                }
                None => true,
            }
        });
        for (rel, extra) in rels.iter_mut().zip(local) {
            if !extra.is_empty() {
                let plan = std::mem::replace(&mut rel.plan, placeholder());
                rel.plan = super::util::filter(plan, extra);
                rel.est = estimate(&rel.plan, self.catalog);
            }
        }
        while rels.len() > 1 {
            let mut best: Option<(usize, usize, f64)> = None;
            for i in 0..rels.len() {
                for j in i + 1..rels.len() {
                    let (keys, others) = connecting(&preds, &rels[i], &rels[j]);
                    if keys.is_empty() {
                        continue;
                    }
                    let rows = join_rows(&rels[i].est, &rels[j].est, &keys, others);
                    let better = match best {
                        None => true,
                        Some((bi, bj, br)) => {
                            rows < br
                                || (rows == br
                                    && rels[i].est.rows + rels[j].est.rows
                                        < rels[bi].est.rows + rels[bj].est.rows)
                        }
                    };
                    if better {
                        best = Some((i, j, rows));
                    }
                }
            }
            let (i, j) = match best {
                Some((i, j, _)) => (i, j),
                None => {
                    // No connected pair: cross join the two smallest.
                    let mut order: Vec<usize> = (0..rels.len()).collect();
                    order.sort_by(|a, b| rels[*a].est.rows.total_cmp(&rels[*b].est.rows));
                    (order[0].min(order[1]), order[0].max(order[1]))
                }
            };
            let b = rels.remove(j);
            let a = rels.remove(i);
            rels.push(self.join_pair(a, b, &mut preds));
        }
        let rel = rels.pop().map_or_else(placeholder, |r| r.plan);
        super::util::filter(rel, preds)
    }

    /// Joins two relations with every remaining conjunct that they complete; the smaller
    /// estimated input becomes the right (build) side.
    fn join_pair(&mut self, a: Rel, b: Rel, preds: &mut Vec<Expr>) -> Rel {
        let (big, small) = if b.est.rows > a.est.rows {
            (b, a)
        } else {
            (a, b)
        };
        let mut ids = big.ids.clone();
        ids.extend(small.ids.iter().copied());
        let mut on = Vec::new();
        let mut rest = Vec::new();
        preds.retain(|p| {
            let r = refs(p);
            if !r.is_subset(&ids) {
                return true;
            }
            match equi_pair(p, &big.ids, &small.ids) {
                Some(pair) => on.push(pair),
                None => rest.push(p.clone()),
            }
            false
        });
        let est = join_estimate(big.est, small.est, &on, rest.len());
        let plan = LogicalPlan::Join {
            left: Box::new(big.plan),
            right: Box::new(small.plan),
            kind: JoinKind::Inner,
            on,
            filter: and_all(rest),
        };
        Rel { plan, ids, est }
    }
}

/// Equi-join key pairs between two relations among `preds`, and the number of other
/// conjuncts that joining them would complete.
fn connecting(preds: &[Expr], a: &Rel, b: &Rel) -> (Vec<(Expr, Expr)>, usize) {
    let mut keys = Vec::new();
    let mut others = 0;
    for p in preds {
        let r = refs(p);
        let touches_a = r.iter().any(|id| a.ids.contains(id));
        let touches_b = r.iter().any(|id| b.ids.contains(id));
        if !(touches_a && touches_b && r.iter().all(|id| a.ids.contains(id) || b.ids.contains(id)))
        {
            continue;
        }
        match equi_pair(p, &a.ids, &b.ids) {
            Some(pair) => keys.push(pair),
            None => others += 1,
        }
    }
    (keys, others)
}

/// Collects the inputs and conjuncts of a tree of inner joins.
fn flatten(plan: LogicalPlan, leaves: &mut Vec<LogicalPlan>, preds: &mut Vec<Expr>) {
    match plan {
        LogicalPlan::Join {
            left,
            right,
            kind: JoinKind::Inner,
            on,
            filter,
        } => {
            flatten(*left, leaves, preds);
            flatten(*right, leaves, preds);
            for (l, r) in on {
                preds.push(Expr::binary(BinaryOp::Eq, l, r, DataType::Boolean));
            }
            if let Some(f) = filter {
                preds.extend(f.split_conjunction());
            }
        }
        other => leaves.push(other),
    }
}

fn placeholder() -> LogicalPlan {
    LogicalPlan::Values {
        fields: vec![],
        rows: vec![],
    }
}
