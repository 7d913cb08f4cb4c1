//! Pass 4, semi-join reduction ("magic sets", what DuckDB's delim join achieves): a join one
//! of whose inputs is a grouped Aggregate keyed by the join key aggregates only the groups
//! the other input can match.
//!
//! ```text
//! Join(on a = o)                        Join(on a = o)
//!   Aggregate(group by g AS a)     ⇒      Aggregate(group by g AS a)
//!     I                                     Semi join(on g = o')
//!   O                                         I
//!                                             O'   (a copy of O with fresh column ids)
//!                                         O
//! ```
//!
//! This is the shape unnesting gives a correlated scalar aggregate (TPC-H Q2, Q17, Q20: the
//! subquery grouped by its correlation columns, joined to the outer rows). Without the
//! reduction every part's average quantity is computed although a few hundred parts qualify.
//!
//! Why results cannot change: a group's key is the same on each of its input rows, so the
//! semi join keeps or drops whole groups, and it drops exactly the groups whose key has no
//! equal among O's keys — NULL keys included, since neither join matches NULL. Such a group
//! never joins with a row of O, so the rewrite applies only where unmatched aggregate rows
//! vanish: the Aggregate is an input of an inner join, the right (NULL-supplying) input of a
//! left, semi or anti join, or the left input of a right join. Counts of the kept groups are
//! unchanged, so the COUNT-bug `COALESCE(count, 0)` above a left join still sees the same
//! values. Duplicate keys in O only repeat semi-join matches. Filters and column-renaming
//! Projects between the join and the Aggregate (HAVING, select lists) act per group and are
//! kept. O is evaluated twice, so it must be deterministic (no LIMIT, window functions or
//! order-sensitive aggregates anywhere in it).
//!
//! When: only if the statistics (`stats.rs`) say it clearly pays off: O's distinct keys are
//! at most half the aggregate input's distinct keys, and the rows read to compute O again are
//! at most twice the aggregate's input rows. The semi join is pushed down the aggregate input
//! through filters, projections and the preserved side of joins to the input holding the key
//! columns (TPC-H Q2: to the `partsupp` scan below the supplier joins). The joins of the
//! reduced input, and then of the whole plan, are re-ordered with the new estimates; the
//! order of inner joins does not matter to the rewrite (an inner-join tree drops the
//! unmatched groups wherever the join with O sits in it).

use std::collections::{HashMap, HashSet};

use super::join_order::{reorder_subtree, JoinOrdering};
use super::stats::estimate;
use super::util::{field_ids, max_column_id, substitute};
use super::Pass;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::expr::{ColumnId, Expr};
use crate::plan::{Field, JoinKind, LogicalPlan};

pub(crate) struct SemiJoinReduction;

impl Pass for SemiJoinReduction {
    fn name(&self) -> &'static str {
        "semi_join_reduction"
    }

    fn rewrite(&self, plan: LogicalPlan, catalog: &dyn Catalog) -> Result<LogicalPlan> {
        let mut cx = Ctx {
            catalog,
            next_id: max_column_id(&plan) + 1,
            changed: false,
        };
        let plan = cx.reduce(plan)?;
        if !cx.changed {
            return Ok(plan);
        }
        // The reduced aggregates are smaller inputs of the joins above them: order those
        // joins again (which also makes optimizing an optimized plan a no-op).
        JoinOrdering.rewrite(plan, catalog)
    }
}

/// At most this fraction of the aggregate input's keys may be O's for the rewrite.
const MAX_KEPT_FRACTION: f64 = 0.5;
/// At most this many rows read to compute O again per row of the aggregate input.
const MAX_EXTRA_WORK: f64 = 2.0;

struct Ctx<'c> {
    catalog: &'c dyn Catalog,
    next_id: u32,
    /// Whether some aggregate was reduced.
    changed: bool,
}

/// Which input of a join the Aggregate is.
#[derive(Clone, Copy, PartialEq)]
enum Side {
    Left,
    Right,
}

impl Ctx<'_> {
    /// Rewrites bottom-up: inputs first, so O (already reduced itself) is copied as final.
    fn reduce(&mut self, plan: LogicalPlan) -> Result<LogicalPlan> {
        let plan = plan.try_map_inputs(&mut |p| self.reduce(p))?;
        let LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
        } = plan
        else {
            return Ok(plan);
        };
        let (mut left, mut right) = (*left, *right);
        let sides: &[Side] = match kind {
            JoinKind::Inner => &[Side::Right, Side::Left],
            JoinKind::Left | JoinKind::Semi | JoinKind::Anti => &[Side::Right],
            JoinKind::Right => &[Side::Left],
            JoinKind::Full => &[],
        };
        for side in sides {
            let done = match side {
                Side::Right => {
                    let pairs: Vec<_> = on.iter().map(|(l, r)| (r.clone(), l.clone())).collect();
                    self.try_reduce(&mut right, &left, &pairs)?
                }
                Side::Left => self.try_reduce(&mut left, &right, &on)?,
            };
            if done {
                break;
            }
        }
        Ok(LogicalPlan::Join {
            left: Box::new(left),
            right: Box::new(right),
            kind,
            on,
            filter,
        })
    }

    /// Reduces the Aggregate under `agg_side` by `other`'s keys if that pays off; `pairs` are
    /// the join's key pairs as (agg side, other side). True if rewritten.
    fn try_reduce(
        &mut self,
        agg_side: &mut LogicalPlan,
        other: &LogicalPlan,
        pairs: &[(Expr, Expr)],
    ) -> Result<bool> {
        let Some(input) = aggregate_input(agg_side) else {
            return Ok(false);
        };
        // (group expression over the aggregate input, other side's key)
        let keys: Vec<(Expr, Expr)> = pairs
            .iter()
            .filter_map(|(a, o)| match a {
                Expr::Column { id, .. } => group_source(agg_side, *id).map(|g| (g, o.clone())),
                _ => None,
            })
            .filter(|(g, o)| !g.has_subquery() && !o.has_subquery() && !o.columns().is_empty())
            .collect();
        if keys.is_empty() || !deterministic(other) || !self.pays_off(input, other, &keys) {
            return Ok(false);
        }
        let mut map = HashMap::new();
        let copy = renumber(other.clone(), &mut self.next_id, &mut map);
        let keys: Vec<(Expr, Expr)> = keys
            .into_iter()
            .map(|(g, o)| (g, substitute(o, &map)))
            .collect();
        let plan = std::mem::replace(agg_side, placeholder());
        let (plan, inserted) = self.insert(plan, keys, copy)?;
        *agg_side = plan;
        self.changed |= inserted;
        Ok(inserted)
    }

    /// Estimated benefit test (see the module docs).
    fn pays_off(&self, input: &LogicalPlan, other: &LogicalPlan, keys: &[(Expr, Expr)]) -> bool {
        let inp = estimate(input, self.catalog);
        let oth = estimate(other, self.catalog);
        let distinct = |est: &super::stats::Estimate, exprs: &mut dyn Iterator<Item = &Expr>| {
            exprs
                .map(|e| est.col(e).distinct)
                .product::<f64>()
                .min(est.rows)
                .max(1.0)
        };
        let d_in = distinct(&inp, &mut keys.iter().map(|(g, _)| g));
        let d_other = distinct(&oth, &mut keys.iter().map(|(_, o)| o));
        d_other <= MAX_KEPT_FRACTION * d_in
            && rows_read(other, self.catalog) <= MAX_EXTRA_WORK * inp.rows
    }

    /// Puts `Semi(I, copy)` under the Aggregate `plan` leads to (through Filters and
    /// Projects); false (and `plan` unchanged) if that input is already reduced on these keys.
    fn insert(
        &mut self,
        plan: LogicalPlan,
        keys: Vec<(Expr, Expr)>,
        copy: LogicalPlan,
    ) -> Result<(LogicalPlan, bool)> {
        match plan {
            LogicalPlan::Filter { input, predicate } => {
                let (input, done) = self.insert(*input, keys, copy)?;
                let plan = LogicalPlan::Filter {
                    input: Box::new(input),
                    predicate,
                };
                Ok((plan, done))
            }
            LogicalPlan::Project { input, exprs } => {
                let (input, done) = self.insert(*input, keys, copy)?;
                let plan = LogicalPlan::Project {
                    input: Box::new(input),
                    exprs,
                };
                Ok((plan, done))
            }
            LogicalPlan::Aggregate {
                input,
                group_by,
                aggregates,
            } => {
                let (input, done) = push_semi(*input, keys, copy);
                let input = if done {
                    reorder_subtree(input, self.catalog, &mut self.next_id)?
                } else {
                    input
                };
                let plan = LogicalPlan::Aggregate {
                    input: Box::new(input),
                    group_by,
                    aggregates,
                };
                Ok((plan, done))
            }
            other => Ok((other, false)),
        }
    }
}

/// `plan ⋉ copy` on `keys` (plan side, copy side), pushed down through filters, projections
/// and joins to the input that produces every key column. False (and `plan` unchanged) if
/// the way down meets a semi join on the same keys: the input is already reduced.
fn push_semi(plan: LogicalPlan, keys: Vec<(Expr, Expr)>, copy: LogicalPlan) -> (LogicalPlan, bool) {
    let key_refs: HashSet<ColumnId> = keys.iter().flat_map(|(k, _)| k.columns()).collect();
    match plan {
        LogicalPlan::Join {
            kind: JoinKind::Semi,
            ref on,
            ..
        } if keys.iter().all(|(k, _)| on.iter().any(|(l, _)| l == k)) => (plan, false),
        LogicalPlan::Filter { input, predicate } => {
            let (input, done) = push_semi(*input, keys, copy);
            let plan = LogicalPlan::Filter {
                input: Box::new(input),
                predicate,
            };
            (plan, done)
        }
        LogicalPlan::Project { input, exprs }
            if key_refs
                .iter()
                .all(|id| exprs.iter().any(|(e, f)| f.id == *id && !e.has_subquery())) =>
        {
            let map: HashMap<ColumnId, Expr> =
                exprs.iter().map(|(e, f)| (f.id, e.clone())).collect();
            let keys = keys
                .into_iter()
                .map(|(k, o)| (substitute(k, &map), o))
                .collect();
            let (input, done) = push_semi(*input, keys, copy);
            let plan = LogicalPlan::Project {
                input: Box::new(input),
                exprs,
            };
            (plan, done)
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
        } if !key_refs.is_empty() => {
            // The semi join commutes with a join when its keys come from a side whose rows
            // the join passes through unchanged or drops: either side of an inner join, the
            // preserved side of a left, semi or anti join, the right side of a right join.
            let to_left = matches!(
                kind,
                JoinKind::Inner | JoinKind::Left | JoinKind::Semi | JoinKind::Anti
            ) && key_refs.is_subset(&field_ids(&left));
            let to_right = matches!(kind, JoinKind::Inner | JoinKind::Right)
                && key_refs.is_subset(&field_ids(&right));
            let (left, right, done) = if to_left {
                let (l, done) = push_semi(*left, keys, copy);
                (Box::new(l), right, done)
            } else if to_right {
                let (r, done) = push_semi(*right, keys, copy);
                (left, Box::new(r), done)
            } else {
                let join = LogicalPlan::Join {
                    left,
                    right,
                    kind,
                    on,
                    filter,
                };
                return (semi(join, keys, copy), true);
            };
            let plan = LogicalPlan::Join {
                left,
                right,
                kind,
                on,
                filter,
            };
            (plan, done)
        }
        other => (semi(other, keys, copy), true),
    }
}

fn semi(plan: LogicalPlan, keys: Vec<(Expr, Expr)>, copy: LogicalPlan) -> LogicalPlan {
    LogicalPlan::Join {
        left: Box::new(plan),
        right: Box::new(copy),
        kind: JoinKind::Semi,
        on: keys,
        filter: None,
    }
}

/// The input of the grouped Aggregate `plan` is (under Filters and Projects).
fn aggregate_input(plan: &LogicalPlan) -> Option<&LogicalPlan> {
    match plan {
        LogicalPlan::Filter { input, .. } | LogicalPlan::Project { input, .. } => {
            aggregate_input(input)
        }
        LogicalPlan::Aggregate {
            input, group_by, ..
        } if !group_by.is_empty() => Some(input),
        _ => None,
    }
}

/// The group-by expression (over the Aggregate's input) that column `id` of `plan` carries
/// unchanged through Filters and column-renaming Projects; `None` for anything else (an
/// aggregate result, a computed column).
fn group_source(plan: &LogicalPlan, id: ColumnId) -> Option<Expr> {
    match plan {
        LogicalPlan::Filter { input, .. } => group_source(input, id),
        LogicalPlan::Project { input, exprs } => match exprs.iter().find(|(_, f)| f.id == id)? {
            (Expr::Column { id, .. }, _) => group_source(input, *id),
            _ => None,
        },
        LogicalPlan::Aggregate { group_by, .. } => group_by
            .iter()
            .find(|(_, f)| f.id == id)
            .map(|(e, _)| e.clone()),
        _ => None,
    }
}

/// True if evaluating `plan` twice gives the same rows: no LIMIT (which rows it keeps can
/// depend on order), window functions or order-sensitive aggregates, here or in subqueries.
fn deterministic(plan: &LogicalPlan) -> bool {
    let own = match plan {
        LogicalPlan::Limit { .. } | LogicalPlan::LimitWithTies { .. } => false,
        LogicalPlan::Window { .. } => false,
        LogicalPlan::Aggregate { aggregates, .. } => {
            aggregates.iter().all(|(a, _)| !a.func.is_order_sensitive())
        }
        _ => true,
    };
    let mut subqueries = true;
    plan.for_each_expr(|e| e.for_each_subquery(&mut |p| subqueries &= deterministic(p)));
    own && subqueries && plan.inputs().into_iter().all(deterministic)
}

/// Rows `plan` reads or produces on the way (stored rows scanned plus every operator's
/// estimated output): the work of evaluating it once more.
fn rows_read(plan: &LogicalPlan, catalog: &dyn Catalog) -> f64 {
    let own = match plan {
        LogicalPlan::Scan { table, .. } => catalog
            .table(table)
            .map_or_else(|| estimate(plan, catalog).rows, |t| t.row_count as f64),
        _ => estimate(plan, catalog).rows,
    };
    own + plan
        .inputs()
        .into_iter()
        .map(|p| rows_read(p, catalog))
        .sum::<f64>()
}

/// `plan` with every column it defines given a fresh id (from `next`); `map` collects the
/// renaming (old id → new column) so the caller can rewrite expressions over its output.
fn renumber(plan: LogicalPlan, next: &mut u32, map: &mut HashMap<ColumnId, Expr>) -> LogicalPlan {
    let plan = infallible(plan.try_map_inputs(&mut |p| Ok(renumber(p, next, map))));
    // A Scan's filters read its own columns; every other operator reads its inputs'.
    let plan = match plan {
        LogicalPlan::Scan {
            table,
            mut columns,
            filters,
        } => {
            columns.iter_mut().for_each(|(_, f)| fresh(f, next, map));
            LogicalPlan::Scan {
                table,
                columns,
                filters,
            }
        }
        other => other,
    };
    let plan = infallible(plan.try_map_exprs(&mut |e| {
        let e = substitute(e, map);
        if e.has_subquery() {
            e.try_map_subqueries(&mut |p| Ok(renumber(p, next, &mut HashMap::new())))
        } else {
            Ok(e)
        }
    }));
    match plan {
        LogicalPlan::Values { mut fields, rows } => {
            fields.iter_mut().for_each(|f| fresh(f, next, map));
            LogicalPlan::Values { fields, rows }
        }
        LogicalPlan::Project { input, mut exprs } => {
            exprs.iter_mut().for_each(|(_, f)| fresh(f, next, map));
            LogicalPlan::Project { input, exprs }
        }
        LogicalPlan::Aggregate {
            input,
            mut group_by,
            mut aggregates,
        } => {
            group_by.iter_mut().for_each(|(_, f)| fresh(f, next, map));
            aggregates.iter_mut().for_each(|(_, f)| fresh(f, next, map));
            LogicalPlan::Aggregate {
                input,
                group_by,
                aggregates,
            }
        }
        LogicalPlan::Window {
            input,
            mut functions,
        } => {
            functions.iter_mut().for_each(|(_, f)| fresh(f, next, map));
            LogicalPlan::Window { input, functions }
        }
        LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
            mut fields,
        } => {
            fields.iter_mut().for_each(|f| fresh(f, next, map));
            LogicalPlan::SetOp {
                op,
                all,
                left,
                right,
                fields,
            }
        }
        other => other,
    }
}

/// Gives `f` the id `next` (then advances it), recording the renaming in `map`.
fn fresh(f: &mut Field, next: &mut u32, map: &mut HashMap<ColumnId, Expr>) {
    let id = ColumnId(*next);
    *next += 1;
    map.insert(f.id, Expr::column(id, f.ty));
    f.id = id;
}

fn infallible<T>(r: std::result::Result<T, std::convert::Infallible>) -> T {
    match r {
        Ok(t) => t,
        Err(never) => match never {},
    }
}

fn placeholder() -> LogicalPlan {
    LogicalPlan::Values {
        fields: vec![],
        rows: vec![],
    }
}
