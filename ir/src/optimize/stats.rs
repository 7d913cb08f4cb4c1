//! Cardinality estimates for join ordering.
//!
//! Deliberately simple: table row counts from the catalog, a fixed selectivity guess per
//! predicate shape, and for equi-joins the key/foreign-key rule
//! `|A ⋈ B| = |A| · |B| / min(dom(a), dom(b))`, where `dom(c)` is the row count of the table
//! the column comes from (for a key column this is its number of distinct values; for a
//! foreign key the smaller side's key domain is the one that bounds the matches).
//!
//! Selectivity guesses: `col = const` 0.1; `<>` 0.9; a range comparison 0.3 (a second range
//! on the same column 0.5, so BETWEEN is ~0.15); LIKE 'abc%' 0.1, other LIKE 0.2; IN list
//! 0.1 per item up to 0.5; IS NULL 0.05; subquery predicates 0.5; anything else 0.5.

use std::collections::{HashMap, HashSet};

use crate::catalog::Catalog;
use crate::expr::{BinaryOp, ColumnId, Expr};
use crate::plan::{JoinKind, LogicalPlan, SetOpKind};
use crate::types::Value;

/// Estimated output of a plan: rows, and the key domain size of each output column.
#[derive(Debug, Clone)]
pub(crate) struct Estimate {
    pub rows: f64,
    pub dom: HashMap<ColumnId, f64>,
}

impl Estimate {
    pub fn dom_of(&self, e: &Expr) -> f64 {
        match e {
            Expr::Column { id, .. } => self.dom.get(id).copied().unwrap_or(self.rows),
            Expr::Cast { expr, .. } => self.dom_of(expr),
            _ => self.rows,
        }
        .max(1.0)
    }
}

pub(crate) fn estimate(plan: &LogicalPlan, catalog: &dyn Catalog) -> Estimate {
    match plan {
        LogicalPlan::Scan {
            table,
            columns,
            filters,
        } => {
            let base = catalog
                .table(table)
                .map_or(1000.0, |t| t.row_count as f64)
                .max(1.0);
            let dom = columns.iter().map(|(_, f)| (f.id, base)).collect();
            Estimate {
                rows: (base * selectivity(filters)).max(1.0),
                dom,
            }
        }
        LogicalPlan::Values { fields, rows } => {
            let n = (rows.len() as f64).max(1.0);
            Estimate {
                rows: n,
                dom: fields.iter().map(|f| (f.id, n)).collect(),
            }
        }
        LogicalPlan::Filter { input, predicate } => {
            let mut e = estimate(input, catalog);
            let terms = predicate.clone().split_conjunction();
            e.rows = (e.rows * selectivity(&terms)).max(1.0);
            e
        }
        LogicalPlan::Project { input, exprs } => {
            let inner = estimate(input, catalog);
            let dom = exprs
                .iter()
                .map(|(e, f)| {
                    let d = match e {
                        Expr::Column { .. } | Expr::Cast { .. } => inner.dom_of(e),
                        _ => inner.rows,
                    };
                    (f.id, d)
                })
                .collect();
            Estimate {
                rows: inner.rows,
                dom,
            }
        }
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let inner = estimate(input, catalog);
            let rows = if group_by.is_empty() {
                1.0
            } else {
                let keys: f64 = group_by.iter().map(|(e, _)| inner.dom_of(e)).product();
                (inner.rows * 0.5).min(keys).max(1.0)
            };
            let dom = group_by
                .iter()
                .map(|(_, f)| (f.id, rows))
                .chain(aggregates.iter().map(|(_, f)| (f.id, rows)))
                .collect();
            Estimate { rows, dom }
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
        } => {
            let l = estimate(left, catalog);
            let r = estimate(right, catalog);
            let mut extra = 0;
            if filter.is_some() {
                extra = 1;
            }
            let inner = join_rows(&l, &r, on, extra);
            let rows = match kind {
                JoinKind::Inner => inner,
                JoinKind::Left => inner.max(l.rows),
                JoinKind::Right => inner.max(r.rows),
                JoinKind::Full => inner.max(l.rows).max(r.rows),
                JoinKind::Semi => (l.rows * 0.5).max(1.0),
                JoinKind::Anti => (l.rows * 0.5).max(1.0),
            };
            let mut dom = l.dom;
            if !matches!(kind, JoinKind::Semi | JoinKind::Anti) {
                dom.extend(r.dom);
            }
            Estimate { rows, dom }
        }
        LogicalPlan::Sort { input, .. } => estimate(input, catalog),
        LogicalPlan::Limit { input, limit, .. } => {
            let mut e = estimate(input, catalog);
            if let Some(l) = limit {
                e.rows = e.rows.min(*l as f64).max(1.0);
            }
            e
        }
        LogicalPlan::Distinct { input } => {
            let mut e = estimate(input, catalog);
            e.rows = (e.rows * 0.5).max(1.0);
            e
        }
        LogicalPlan::SetOp {
            op,
            left,
            right,
            fields,
            ..
        } => {
            let l = estimate(left, catalog);
            let r = estimate(right, catalog);
            let rows = match op {
                SetOpKind::Union => l.rows + r.rows,
                SetOpKind::Intersect => l.rows.min(r.rows),
                SetOpKind::Except => l.rows,
            };
            Estimate {
                rows,
                dom: fields.iter().map(|f| (f.id, rows)).collect(),
            }
        }
    }
}

/// Rows of an inner join with key pairs `on` and `extra` further (non-key) conditions.
pub(crate) fn join_rows(l: &Estimate, r: &Estimate, on: &[(Expr, Expr)], extra: usize) -> f64 {
    let key_sel = on
        .iter()
        .map(|(a, b)| 1.0 / l.dom_of(a).min(r.dom_of(b)))
        .fold(1.0f64, f64::min);
    let rows = l.rows * r.rows * key_sel * 0.5f64.powi(extra as i32);
    rows.max(1.0)
}

/// Combined selectivity of conjuncts.
pub(crate) fn selectivity(terms: &[Expr]) -> f64 {
    let mut ranged: HashSet<ColumnId> = HashSet::new();
    let mut s = 1.0;
    for t in terms {
        if let Some(col) = range_column(t) {
            s *= if ranged.insert(col) { 0.3 } else { 0.5 };
        } else {
            s *= term_selectivity(t);
        }
    }
    s
}

/// The column a range comparison against a constant restricts.
fn range_column(e: &Expr) -> Option<ColumnId> {
    let Expr::Binary {
        op, left, right, ..
    } = e
    else {
        return None;
    };
    if !matches!(
        op,
        BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq
    ) {
        return None;
    }
    match (strip_cast(left), strip_cast(right)) {
        (Expr::Column { id, .. }, c) | (c, Expr::Column { id, .. }) if is_constant(c) => Some(*id),
        _ => None,
    }
}

fn strip_cast(e: &Expr) -> &Expr {
    match e {
        Expr::Cast { expr, .. } => strip_cast(expr),
        other => other,
    }
}

fn is_constant(e: &Expr) -> bool {
    e.columns().is_empty() && !e.has_subquery()
}

fn term_selectivity(e: &Expr) -> f64 {
    match e {
        Expr::Literal {
            value: Value::Boolean(true),
            ..
        } => 1.0,
        Expr::Literal { .. } => 0.0,
        Expr::Binary {
            op: BinaryOp::And, ..
        } => selectivity(&e.clone().split_conjunction()),
        Expr::Binary {
            op: BinaryOp::Or, ..
        } => {
            let miss: f64 = e
                .clone()
                .split_disjunction()
                .iter()
                .map(|d| 1.0 - term_selectivity(d))
                .product();
            (1.0 - miss).clamp(0.0, 1.0)
        }
        Expr::Not(x) => 1.0 - term_selectivity(x),
        Expr::Binary {
            op: BinaryOp::Eq, ..
        } => 0.1,
        Expr::Binary {
            op: BinaryOp::NotEq,
            ..
        } => 0.9,
        Expr::Binary { op, .. } if op.is_comparison() => 0.3,
        Expr::Like {
            pattern, negated, ..
        } => {
            let s = match pattern.as_literal() {
                Some(Value::Varchar(p)) if !p.starts_with('%') && !p.starts_with('_') => 0.1,
                _ => 0.2,
            };
            if *negated {
                1.0 - s
            } else {
                s
            }
        }
        Expr::InList { list, negated, .. } => {
            let s = (0.1 * list.len() as f64).min(0.5);
            if *negated {
                1.0 - s
            } else {
                s
            }
        }
        Expr::IsNull { negated, .. } => {
            if *negated {
                0.95
            } else {
                0.05
            }
        }
        _ => 0.5,
    }
}
