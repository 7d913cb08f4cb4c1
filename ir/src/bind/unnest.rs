//! Unnesting correlated subqueries into joins, in the spirit of Neumann & Kemper, "Unnesting
//! Arbitrary Queries" (BTW 2015).
//!
//! A correlated subquery is bound like any other, except that names found only in an enclosing
//! query keep that query's [`ColumnId`]s: they are the subquery plan's *free columns*
//! ([`free_columns`]). The binder calls this module for the clauses it can rewrite (WHERE, HAVING,
//! the select list, ORDER BY, aggregate arguments) with the plan `outer` the clause runs over.
//!
//! 1. [`Binder::pull`] moves every conjunct that reads a free column out of the subquery, up
//!    through Filter, Project (which passes the inner columns it needs through), Sort, inner
//!    joins, the preserved side of left/semi/anti joins, and grouped Aggregates (an equality
//!    `inner = outer` below an Aggregate adds `inner` to its group keys). What is left is an
//!    uncorrelated plan plus the correlation predicates over its columns and `outer`'s.
//! 2. The subquery becomes a join of `outer` (left) with that plan (right, the hash build side),
//!    `inner = outer` predicates as equi-keys and the rest as the join filter:
//!    ```text
//!    WHERE [NOT] EXISTS (S)            Semi / Anti join
//!    WHERE x IN (SELECT y ...)         Semi join, key x = y
//!    WHERE x NOT IN (SELECT y ...)     Anti join, filter x = y OR x IS NULL OR y IS NULL
//!                                      (just the key x = y when neither can be NULL)
//!    (SELECT e(agg(..)) FROM ...)      Left join with Aggregate(group by the inner sides of
//!                                      the correlation equalities); e is evaluated above the
//!                                      join, with COALESCE(count, 0) (the COUNT bug)
//!    ```
//!    The NOT IN filter is exact: an outer row survives iff no inner row of its correlation
//!    group equals x, none is NULL, and x is not NULL (or the group is empty).
//!
//! Anything else (correlation under OR for EXISTS/IN, LIMIT, DISTINCT, set operations or a
//! global aggregate in the middle of a subquery, non-equality correlation of a scalar
//! aggregate, references two levels out) is [`crate::Error::Unsupported`]; [`check_statement`]
//! rejects correlated subqueries left in any other clause, so no plan with free columns reaches
//! the optimizer or the runtime.

use std::collections::{HashMap, HashSet};

use super::expr::balanced;
use super::select::nullable;
use super::Binder;
use crate::error::Result;
use crate::expr::{BinaryOp, ColumnId, Expr, ScalarFunc};
use crate::plan::{AggFunc, Field, JoinKind, LogicalPlan};
use crate::statement::Statement;
use crate::types::{DataType, Value};

/// Columns a plan reads but does not produce: the enclosing queries' columns it refers to.
pub(crate) fn free_columns(plan: &LogicalPlan) -> HashSet<ColumnId> {
    let mut avail: HashSet<ColumnId> = HashSet::new();
    if let LogicalPlan::Scan { columns, .. } = plan {
        avail.extend(columns.iter().map(|(_, f)| f.id));
    }
    for input in plan.inputs() {
        avail.extend(input.fields().iter().map(|f| f.id));
    }
    let mut free = HashSet::new();
    plan.for_each_expr(|e| {
        e.visit(&mut |x| {
            if let Expr::Column { id, .. } = x {
                if !avail.contains(id) {
                    free.insert(*id);
                }
            }
        });
        e.for_each_subquery(&mut |p| {
            free.extend(free_columns(p).into_iter().filter(|id| !avail.contains(id)));
        });
    });
    for input in plan.inputs() {
        free.extend(free_columns(input));
    }
    free
}

/// True if `e` holds a subquery with free columns.
pub(crate) fn has_correlated_subquery(e: &Expr) -> bool {
    let mut found = false;
    if e.has_subquery() {
        e.for_each_subquery(&mut |p| found |= !free_columns(p).is_empty());
    }
    found
}

/// True if `e` reads a column of `outer`, directly or through a subquery.
fn reads(e: &Expr, outer: &HashSet<ColumnId>) -> bool {
    if e.columns().iter().any(|id| outer.contains(id)) {
        return true;
    }
    let mut found = false;
    if e.has_subquery() {
        e.for_each_subquery(&mut |p| found |= free_columns(p).iter().any(|id| outer.contains(id)));
    }
    found
}

fn ids(plan: &LogicalPlan) -> HashSet<ColumnId> {
    plan.fields().iter().map(|f| f.id).collect()
}

fn filter(plan: LogicalPlan, terms: Vec<Expr>) -> LogicalPlan {
    if terms.is_empty() {
        return plan;
    }
    LogicalPlan::Filter {
        input: Box::new(plan),
        predicate: balanced(BinaryOp::And, terms),
    }
}

fn placeholder() -> LogicalPlan {
    LogicalPlan::Values {
        fields: vec![],
        rows: vec![],
    }
}

/// Replaces column references by the expressions `map` gives for them.
fn substitute(e: Expr, map: &HashMap<ColumnId, Expr>) -> Expr {
    e.transform(&mut |x| match x {
        Expr::Column { id, ty } => map.get(&id).cloned().unwrap_or(Expr::Column { id, ty }),
        other => other,
    })
}

/// Renames columns everywhere in a plan, subquery plans included (outer references of a
/// subquery in an aggregate query become the Aggregate's group-key outputs).
pub(crate) fn rename_columns(
    plan: LogicalPlan,
    map: &HashMap<ColumnId, Expr>,
) -> Result<LogicalPlan> {
    let plan = plan.try_map_inputs(&mut |p| rename_columns(p, map))?;
    plan.try_map_exprs(&mut |e| rename_in_expr(e, map))
}

/// [`rename_columns`] for one expression and the subqueries in it.
pub(crate) fn rename_in_expr(e: Expr, map: &HashMap<ColumnId, Expr>) -> Result<Expr> {
    let e = substitute(e, map);
    if e.has_subquery() {
        e.try_map_subqueries(&mut |p| rename_columns(p, map))
    } else {
        Ok(e)
    }
}

/// If `e` is `a = b` with one side reading only `outer` and the other only `inner` (both
/// non-empty, no subqueries), the pair (outer side, inner side).
fn equi_pair(
    e: &Expr,
    outer: &HashSet<ColumnId>,
    inner: &HashSet<ColumnId>,
) -> Option<(Expr, Expr)> {
    let Expr::Binary {
        op: BinaryOp::Eq,
        left,
        right,
        ..
    } = e
    else {
        return None;
    };
    if left.has_subquery() || right.has_subquery() {
        return None;
    }
    let within = |x: &Expr, side: &HashSet<ColumnId>| {
        let c = x.columns();
        !c.is_empty() && c.iter().all(|id| side.contains(id))
    };
    if within(left, outer) && within(right, inner) {
        Some(((**left).clone(), (**right).clone()))
    } else if within(right, outer) && within(left, inner) {
        Some(((**right).clone(), (**left).clone()))
    } else {
        None
    }
}

/// Fails unless every free column of a subquery belongs to `outer` (the query directly
/// enclosing it).
fn check_one_level(sub: &LogicalPlan, outer: &HashSet<ColumnId>) -> Result<()> {
    if free_columns(sub).iter().all(|id| outer.contains(id)) {
        Ok(())
    } else {
        crate::unsupported!(
            "correlated subqueries referring to a query more than one level out, or from a \
             clause other than WHERE, HAVING, the select list and ORDER BY"
        )
    }
}

impl Binder<'_> {
    /// `Filter(input, predicate)`, with each correlated subquery in `predicate` unnested: top
    /// level `[NOT] EXISTS` / `[NOT] IN` conjuncts become semi/anti joins, scalar subqueries
    /// anywhere become left joins whose column the remaining predicate reads.
    pub(crate) fn unnest_filter(
        &mut self,
        input: LogicalPlan,
        predicate: Expr,
    ) -> Result<LogicalPlan> {
        if !has_correlated_subquery(&predicate) {
            return Ok(LogicalPlan::Filter {
                input: Box::new(input),
                predicate,
            });
        }
        let outer = ids(&input);
        let mut plan = input;
        let mut rest = Vec::new();
        for term in predicate.split_conjunction() {
            if !has_correlated_subquery(&term) {
                rest.push(term);
                continue;
            }
            let term = match term {
                Expr::Not(inner) => match *inner {
                    Expr::Exists { plan, negated } => Expr::Exists {
                        plan,
                        negated: !negated,
                    },
                    Expr::InSubquery {
                        expr,
                        plan,
                        negated,
                    } => Expr::InSubquery {
                        expr,
                        plan,
                        negated: !negated,
                    },
                    other => Expr::Not(Box::new(other)),
                },
                other => other,
            };
            match term {
                Expr::Exists { plan: sub, negated } => {
                    check_one_level(&sub, &outer)?;
                    match strip_for_exists(*sub)? {
                        Some(body) => {
                            let (body, preds) = self.pull(body, &outer)?;
                            let kind = if negated {
                                JoinKind::Anti
                            } else {
                                JoinKind::Semi
                            };
                            plan = join(plan, body, kind, preds, &outer);
                        }
                        // A global aggregate returns a row for every outer row.
                        None => rest.push(Expr::boolean(!negated)),
                    }
                }
                Expr::InSubquery {
                    expr,
                    plan: sub,
                    negated,
                } if !has_correlated_subquery(&expr) && !free_columns(&sub).is_empty() => {
                    check_one_level(&sub, &outer)?;
                    plan = self.in_join(plan, *expr, *sub, negated, &outer)?;
                }
                other => {
                    let e = self.replace_scalars(&mut plan, other, &outer)?;
                    rest.push(e);
                }
            }
        }
        Ok(filter(plan, rest))
    }

    /// Unnests the correlated scalar subqueries in `exprs` (select list, ORDER BY, aggregate
    /// arguments) into left joins added above `input`; returns the new input and expressions.
    pub(crate) fn unnest_scalars(
        &mut self,
        input: LogicalPlan,
        exprs: Vec<Expr>,
    ) -> Result<(LogicalPlan, Vec<Expr>)> {
        if !exprs.iter().any(has_correlated_subquery) {
            return Ok((input, exprs));
        }
        let outer = ids(&input);
        let mut plan = input;
        let mut out = Vec::with_capacity(exprs.len());
        for e in exprs {
            out.push(self.replace_scalars(&mut plan, e, &outer)?);
        }
        Ok((plan, out))
    }

    /// Replaces each correlated scalar subquery in `e` by a column of a left join added to
    /// `plan`. Correlated EXISTS / IN here (under OR, NOT, CASE, in a select list) would need a
    /// mark join, which the runtime lacks.
    fn replace_scalars(
        &mut self,
        plan: &mut LogicalPlan,
        e: Expr,
        outer: &HashSet<ColumnId>,
    ) -> Result<Expr> {
        match e {
            Expr::ScalarSubquery { plan: sub, .. } if !free_columns(&sub).is_empty() => {
                check_one_level(&sub, outer)?;
                let e = self.scalar_join(plan, *sub, outer)?;
                self.replace_scalars(plan, e, outer)
            }
            Expr::Exists { plan: sub, .. } if !free_columns(&sub).is_empty() => {
                crate::unsupported!(
                    "correlated EXISTS other than as a top-level AND term of WHERE or HAVING"
                )
            }
            Expr::InSubquery { plan: sub, .. } if !free_columns(&sub).is_empty() => {
                crate::unsupported!(
                    "correlated IN (subquery) other than as a top-level AND term of WHERE or HAVING"
                )
            }
            other => other.try_map_children(&mut |c| self.replace_scalars(plan, c, outer)),
        }
    }

    /// `plan ⟕ Aggregate(group by correlation keys)` for a scalar subquery; returns the
    /// expression (over the join's output) that stands for the subquery's value.
    fn scalar_join(
        &mut self,
        plan: &mut LogicalPlan,
        sub: LogicalPlan,
        outer: &HashSet<ColumnId>,
    ) -> Result<Expr> {
        let fields = sub.fields();
        let [field] = fields.as_slice() else {
            return crate::internal_err!("scalar subquery with {} columns", fields.len());
        };
        let mut value = Expr::column(field.id, field.ty);
        let mut cur = sub;
        let (body, aggregates) = loop {
            match cur {
                LogicalPlan::Project { input, exprs } => {
                    let map = exprs.into_iter().map(|(e, f)| (f.id, e)).collect();
                    value = substitute(value, &map);
                    cur = *input;
                }
                LogicalPlan::Sort { input, .. } => cur = *input,
                LogicalPlan::Aggregate {
                    input,
                    group_by,
                    aggregates,
                } if group_by.is_empty() => break (*input, aggregates),
                _ => {
                    return crate::unsupported!(
                        "correlated scalar subqueries other than SELECT <expression over \
                         aggregates> FROM ... WHERE ... (without GROUP BY, HAVING or LIMIT)"
                    )
                }
            }
        };
        if aggregates
            .iter()
            .any(|(c, _)| c.exprs().any(|a| reads(a, outer)))
        {
            return crate::unsupported!("outer columns inside an aggregate of a subquery");
        }
        let (body, preds) = self.pull(body, outer)?;
        let inner = ids(&body);
        let mut group_by: Vec<(Expr, Field)> = Vec::new();
        let mut on = Vec::new();
        let mut outer_only = Vec::new();
        for p in preds {
            if let Some((o, i)) = equi_pair(&p, outer, &inner) {
                let key = self.group_key(&mut group_by, i);
                on.push((o, key));
            } else if p.columns().iter().all(|id| outer.contains(id)) && !p.has_subquery() {
                // Only the outer row decides: as a join condition, a false one leaves the row
                // unmatched, which is the value of the aggregate over no rows.
                outer_only.push(p);
            } else {
                return crate::unsupported!(
                    "correlated scalar subqueries correlated other than by equality (inner = outer)"
                );
            }
        }
        // Over no rows count is 0, every other aggregate NULL: a NULL-extended row of the left
        // join gives NULL, so only counts need a COALESCE.
        let mut map = HashMap::new();
        for (call, f) in &aggregates {
            if matches!(call.func, AggFunc::Count | AggFunc::CountStar) {
                let zero = Expr::literal(Value::Int64(0), f.ty);
                let coalesced = Expr::Function {
                    func: ScalarFunc::Coalesce,
                    args: vec![Expr::column(f.id, f.ty), zero],
                    ty: f.ty,
                };
                map.insert(f.id, coalesced);
            }
        }
        let right = LogicalPlan::Aggregate {
            input: Box::new(body),
            group_by,
            aggregates,
        };
        let left = std::mem::replace(plan, placeholder());
        *plan = LogicalPlan::Join {
            left: Box::new(left),
            right: Box::new(right),
            kind: JoinKind::Left,
            on,
            filter: (!outer_only.is_empty()).then(|| balanced(BinaryOp::And, outer_only)),
        };
        Ok(substitute(value, &map))
    }

    /// The group-key column for `e`, added to `group_by` unless an equal key is there.
    fn group_key(&mut self, group_by: &mut Vec<(Expr, Field)>, e: Expr) -> Expr {
        if let Some((_, f)) = group_by.iter().find(|(g, _)| *g == e) {
            return Expr::column(f.id, f.ty);
        }
        let f = self.new_field("?corr?", e.data_type(), true);
        let col = Expr::column(f.id, f.ty);
        group_by.push((e, f));
        col
    }

    /// `plan ⋉ S` on `x = y` for `x IN (SELECT y ...)`; `plan ▷ S` with NULL-aware
    /// conditions for `NOT IN`.
    fn in_join(
        &mut self,
        plan: LogicalPlan,
        x: Expr,
        sub: LogicalPlan,
        negated: bool,
        outer: &HashSet<ColumnId>,
    ) -> Result<LogicalPlan> {
        let fields = sub.fields();
        let [field] = fields.as_slice() else {
            return crate::internal_err!("IN subquery with {} columns", fields.len());
        };
        let mut y = Expr::column(field.id, field.ty);
        let mut cur = sub;
        loop {
            match cur {
                LogicalPlan::Project { input, exprs } => {
                    let map = exprs.into_iter().map(|(e, f)| (f.id, e)).collect();
                    y = substitute(y, &map);
                    cur = *input;
                }
                // Order and duplicates do not change which values are in the set.
                LogicalPlan::Sort { input, .. } | LogicalPlan::Distinct { input } => cur = *input,
                other => break cur = other,
            }
        }
        let (body, mut preds) = self.pull(cur, outer)?;
        let eq = Expr::binary(BinaryOp::Eq, x.clone(), y.clone(), DataType::Boolean);
        if !negated {
            preds.push(eq);
            return Ok(join(plan, body, JoinKind::Semi, preds, outer));
        }
        let col_nullable: HashMap<ColumnId, bool> = plan
            .fields()
            .iter()
            .chain(body.fields().iter())
            .map(|f| (f.id, f.nullable))
            .collect();
        let null_col = |id: ColumnId| col_nullable.get(&id).copied().unwrap_or(true);
        let (x_null, y_null) = (nullable(&x, &null_col), nullable(&y, &null_col));
        let is_null = |e: Expr| Expr::IsNull {
            expr: Box::new(e),
            negated: false,
        };
        let mut any = vec![eq];
        if x_null {
            any.push(is_null(x));
        }
        if y_null {
            any.push(is_null(y));
        }
        preds.push(balanced(BinaryOp::Or, any));
        Ok(join(plan, body, JoinKind::Anti, preds, outer))
    }

    /// Removes correlation from `plan`: returns an uncorrelated plan and the conjuncts (over its
    /// output and `outer`) that select, for an outer row, the rows the subquery would produce
    /// (as a multiset, except below grouped Aggregates where group keys are added).
    pub(crate) fn pull(
        &mut self,
        plan: LogicalPlan,
        outer: &HashSet<ColumnId>,
    ) -> Result<(LogicalPlan, Vec<Expr>)> {
        if !free_columns(&plan).iter().any(|id| outer.contains(id)) {
            return Ok((plan, Vec::new()));
        }
        let mut own_exprs_correlated = false;
        plan.for_each_expr(|e| own_exprs_correlated |= reads(e, outer));
        match plan {
            LogicalPlan::Filter { input, predicate } => {
                let (input, mut preds) = self.pull(*input, outer)?;
                let mut local = Vec::new();
                for t in predicate.split_conjunction() {
                    if !reads(&t, outer) {
                        local.push(t);
                    } else if has_correlated_subquery(&t) {
                        return crate::unsupported!(
                            "a correlated subquery inside a correlated subquery's condition"
                        );
                    } else {
                        preds.push(t);
                    }
                }
                Ok((filter(input, local), preds))
            }
            LogicalPlan::Project { input, mut exprs } => {
                if own_exprs_correlated {
                    return crate::unsupported!(
                        "outer columns in the select list of a nested query inside a subquery"
                    );
                }
                let (input, preds) = self.pull(*input, outer)?;
                // Pass the inner columns the predicates read through, under fresh ids.
                let inner = ids(&input);
                let mut needed: Vec<(ColumnId, DataType)> = Vec::new();
                for p in &preds {
                    p.visit(&mut |e| {
                        if let Expr::Column { id, ty } = e {
                            if inner.contains(id) && !needed.iter().any(|(n, _)| n == id) {
                                needed.push((*id, *ty));
                            }
                        }
                    });
                }
                let nullable: HashMap<ColumnId, bool> =
                    input.fields().iter().map(|f| (f.id, f.nullable)).collect();
                let mut map: HashMap<ColumnId, Expr> = HashMap::new();
                for (id, ty) in needed {
                    let null = nullable.get(&id).copied().unwrap_or(true);
                    let f = self.new_field("?corr?", ty, null);
                    exprs.push((Expr::column(id, ty), f.clone()));
                    map.insert(id, Expr::column(f.id, ty));
                }
                let preds = preds.into_iter().map(|p| substitute(p, &map)).collect();
                let plan = LogicalPlan::Project {
                    input: Box::new(input),
                    exprs,
                };
                Ok((plan, preds))
            }
            LogicalPlan::Sort { input, keys } if !own_exprs_correlated => {
                let (input, preds) = self.pull(*input, outer)?;
                let plan = LogicalPlan::Sort {
                    input: Box::new(input),
                    keys,
                };
                Ok((plan, preds))
            }
            LogicalPlan::Join {
                left,
                right,
                kind: JoinKind::Inner,
                on,
                filter: cond,
            } => {
                let (left, mut preds) = self.pull(*left, outer)?;
                let (right, more) = self.pull(*right, outer)?;
                preds.extend(more);
                let mut keep_on = Vec::new();
                for (l, r) in on {
                    if reads(&l, outer) || reads(&r, outer) {
                        preds.push(Expr::binary(BinaryOp::Eq, l, r, DataType::Boolean));
                    } else {
                        keep_on.push((l, r));
                    }
                }
                let mut local = Vec::new();
                for t in cond.map(Expr::split_conjunction).unwrap_or_default() {
                    if reads(&t, outer) {
                        if has_correlated_subquery(&t) {
                            return crate::unsupported!(
                                "a correlated subquery in a JOIN condition"
                            );
                        }
                        preds.push(t);
                    } else {
                        local.push(t);
                    }
                }
                let plan = LogicalPlan::Join {
                    left: Box::new(left),
                    right: Box::new(right),
                    kind: JoinKind::Inner,
                    on: keep_on,
                    filter: (!local.is_empty()).then(|| balanced(BinaryOp::And, local)),
                };
                Ok((plan, preds))
            }
            LogicalPlan::Join {
                left,
                right,
                kind: kind @ (JoinKind::Left | JoinKind::Semi | JoinKind::Anti),
                on,
                filter: cond,
            } if !own_exprs_correlated
                && !free_columns(&right).iter().any(|id| outer.contains(id)) =>
            {
                // Conjuncts over the preserved (left) side commute with these joins.
                let (left, preds) = self.pull(*left, outer)?;
                let plan = LogicalPlan::Join {
                    left: Box::new(left),
                    right,
                    kind,
                    on,
                    filter: cond,
                };
                Ok((plan, preds))
            }
            LogicalPlan::Aggregate {
                input,
                mut group_by,
                aggregates,
            } if !group_by.is_empty() && !own_exprs_correlated => {
                // σ(a = o)(T) grouped by G is T grouped by (G, a), restricted to a = o.
                let (input, preds) = self.pull(*input, outer)?;
                let inner = ids(&input);
                let mut out = Vec::with_capacity(preds.len());
                for p in preds {
                    let Some((o, i)) = equi_pair(&p, outer, &inner) else {
                        return crate::unsupported!(
                            "correlation other than by equality below GROUP BY in a subquery"
                        );
                    };
                    let key = self.group_key(&mut group_by, i);
                    out.push(Expr::binary(BinaryOp::Eq, o, key, DataType::Boolean));
                }
                let plan = LogicalPlan::Aggregate {
                    input: Box::new(input),
                    group_by,
                    aggregates,
                };
                Ok((plan, out))
            }
            other => {
                let what = match other {
                    LogicalPlan::Limit { .. } => "LIMIT / OFFSET",
                    LogicalPlan::Distinct { .. } => "DISTINCT",
                    LogicalPlan::SetOp { .. } => "UNION / INTERSECT / EXCEPT",
                    LogicalPlan::Aggregate { .. } => "an aggregate",
                    LogicalPlan::Join { .. } => "an outer join",
                    _ => "this position",
                };
                crate::unsupported!("correlated subqueries with outer columns under {what}")
            }
        }
    }
}

/// The part of an EXISTS subquery that decides whether it has rows: select list, ORDER BY,
/// DISTINCT, `LIMIT n > 0` and grouping do not matter. `None` if it always has a row (a
/// global aggregate).
fn strip_for_exists(mut plan: LogicalPlan) -> Result<Option<LogicalPlan>> {
    loop {
        plan = match plan {
            LogicalPlan::Project { input, .. }
            | LogicalPlan::Sort { input, .. }
            | LogicalPlan::Distinct { input } => *input,
            LogicalPlan::Limit {
                input,
                limit,
                offset: 0,
            } if limit != Some(0) => *input,
            LogicalPlan::Aggregate {
                input, group_by, ..
            } => {
                if group_by.is_empty() {
                    return Ok(None);
                }
                *input
            }
            LogicalPlan::Limit { .. } => {
                return crate::unsupported!("LIMIT 0 or OFFSET in a correlated EXISTS subquery")
            }
            other => return Ok(Some(other)),
        };
    }
}

/// `left ⋉/▷/⟕ right` on the correlation predicates: `outer = inner` equalities become keys,
/// the rest the join filter.
fn join(
    left: LogicalPlan,
    right: LogicalPlan,
    kind: JoinKind,
    preds: Vec<Expr>,
    outer: &HashSet<ColumnId>,
) -> LogicalPlan {
    let inner = ids(&right);
    let mut on = Vec::new();
    let mut rest = Vec::new();
    for p in preds {
        match equi_pair(&p, outer, &inner) {
            Some(pair) => {
                if !on.contains(&pair) {
                    on.push(pair);
                }
            }
            None => rest.push(p),
        }
    }
    LogicalPlan::Join {
        left: Box::new(left),
        right: Box::new(right),
        kind,
        on,
        filter: (!rest.is_empty()).then(|| balanced(BinaryOp::And, rest)),
    }
}

/// Fails if a correlated subquery was left in a clause the binder does not unnest (JOIN ON,
/// GROUP BY, VALUES, UPDATE/DELETE, ...), so free columns never reach the optimizer.
pub(crate) fn check_statement(stmt: &Statement) -> Result<()> {
    match stmt {
        Statement::Query(p)
        | Statement::CreateTableAs { query: p, .. }
        | Statement::Insert { query: p, .. }
        | Statement::CopyTo { query: p, .. } => check_plan(p),
        Statement::Rewrite {
            new_contents,
            affected,
            ..
        } => {
            check_plan(new_contents)?;
            check_plan(affected)
        }
        Statement::Explain { statement } | Statement::ExplainAnalyze { statement } => {
            check_statement(statement)
        }
        _ => Ok(()),
    }
}

fn check_plan(plan: &LogicalPlan) -> Result<()> {
    let mut result = Ok(());
    plan.for_each_expr(|e| {
        e.for_each_subquery(&mut |p| {
            if result.is_ok() {
                result = if free_columns(p).is_empty() {
                    check_plan(p)
                } else {
                    crate::unsupported!(
                        "correlated subqueries here (supported: [NOT] EXISTS and [NOT] IN as \
                         AND terms of WHERE/HAVING, scalar aggregate subqueries in WHERE, \
                         HAVING, the select list and ORDER BY)"
                    )
                };
            }
        })
    });
    result?;
    plan.inputs().into_iter().try_for_each(check_plan)
}
