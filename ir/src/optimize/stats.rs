//! Cardinality estimates for join ordering.
//!
//! An [`Estimate`] is a row count plus, per output column, a [`ColumnEstimate`]: distinct
//! values, the distinct values of the column's domain, and (numeric and date columns) the
//! value range. Stored columns take these from [`Catalog::column_stats`] when the catalog
//! has them; otherwise every column is assumed to be a key of its table (distinct = the
//! table's row count), which gives the key/foreign-key rule `|A ⋈ B| = |A|·|B| / min(|A₀|,
//! |B₀|)` over the tables' unfiltered row counts.
//!
//! Selectivities with statistics: `col = c` is `1/distinct` (0 outside `[min, max]`), `<>`
//! its complement, IN lists `k/distinct`; range comparisons against constants are combined
//! per column into one interval and interpolated over `[min, max]`; IS NULL uses the NULL
//! count. Without them, fixed guesses: `col = const` 0.1; `<>` 0.9; a range comparison 0.3
//! (a second range on the same column 0.5, so BETWEEN is ~0.15); LIKE 'abc%' 0.1, other LIKE
//! 0.2; IN list 0.1 per item up to 0.5; IS NULL 0.05; EXISTS and scalar subquery predicates
//! 0.5; anything else 0.5. `x IN (subquery)` is the subquery's estimated distinct values over
//! x's (containment), `NOT IN` its complement (at least 0.05).
//!
//! Equi-joins assume containment (the side with fewer distinct keys finds all its keys on
//! the other side): one key pair has selectivity `1/max(d(a), d(b))`, where each side's
//! distinct count is capped by the smaller of the two domains (a foreign key column has no
//! more distinct values than the key it references, however wide its value range). Several
//! key pairs are one combined key whose distinct values are the product of the parts' (at
//! most the side's rows), with a rule for composite foreign keys (see `key_selectivity`).
//! A semi join keeps, by the same containment rule, the fraction `D(R)/D(L)` (at most 1) of
//! its left rows; an anti join half of them.

use std::collections::{HashMap, HashSet};

use crate::catalog::{Catalog, ColumnStats};
use crate::expr::{BinaryOp, ColumnId, Expr};
use crate::plan::{JoinKind, LogicalPlan, SetOpKind};
use crate::types::{DataType, Value};

/// What the estimator knows about one output column.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ColumnEstimate {
    /// Distinct non-NULL values among the estimated rows (at least 1).
    pub distinct: f64,
    /// Distinct values of the column before any filter or join narrowed it: what a column
    /// joined with this one can have at most (under containment).
    pub domain: f64,
    /// Rows of the stored table the column comes from (for a computed column, of the
    /// relation that computed it): a key of that table has this many distinct values.
    pub table_rows: f64,
    /// Whether `distinct` comes from statistics rather than the key guess.
    pub known: bool,
    /// Value range of a numeric or date column, from statistics.
    pub range: Option<ValueRange>,
    /// Fraction of rows that are NULL.
    pub null_frac: f64,
}

/// Bounds of a numeric or date column, as `f64` (decimals unscaled to their value, dates
/// as days).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct ValueRange {
    pub min: f64,
    pub max: f64,
    /// Integer or date: only whole values occur.
    pub discrete: bool,
}

impl ColumnEstimate {
    /// The guess for a column nothing is known about: a key of `rows` rows.
    fn unknown(rows: f64) -> ColumnEstimate {
        ColumnEstimate {
            distinct: rows.max(1.0),
            domain: rows.max(1.0),
            table_rows: rows.max(1.0),
            known: false,
            range: None,
            null_frac: 0.0,
        }
    }

    /// From stored statistics of a column of type `ty` in a table of `rows` rows.
    fn from_stats(s: &ColumnStats, ty: DataType, rows: f64) -> ColumnEstimate {
        let non_null = (rows - s.null_count as f64).max(1.0);
        let range = match (numeric(&s.min), numeric(&s.max)) {
            (Some(min), Some(max)) if min <= max => Some(ValueRange {
                min,
                max,
                discrete: matches!(ty, DataType::Int32 | DataType::Int64 | DataType::Date),
            }),
            _ => None,
        };
        let distinct = s.distinct.map(|d| (d as f64).clamp(1.0, non_null));
        ColumnEstimate {
            distinct: distinct.unwrap_or(rows.max(1.0)),
            domain: distinct.unwrap_or(rows.max(1.0)),
            table_rows: rows.max(1.0),
            known: distinct.is_some(),
            range,
            null_frac: (s.null_count as f64 / rows.max(1.0)).clamp(0.0, 1.0),
        }
    }

    /// At most `rows` distinct values.
    fn capped(mut self, rows: f64) -> ColumnEstimate {
        self.distinct = self.distinct.min(rows).max(1.0);
        self
    }
}

/// Estimated output of a plan: rows, and what is known of each output column.
#[derive(Debug, Clone)]
pub(crate) struct Estimate {
    pub rows: f64,
    pub cols: HashMap<ColumnId, ColumnEstimate>,
}

impl Estimate {
    /// What is known of the values of `e` (a column, possibly cast; anything else is
    /// assumed to be distinct per row).
    pub fn col(&self, e: &Expr) -> ColumnEstimate {
        match e {
            Expr::Column { id, .. } => self
                .cols
                .get(id)
                .copied()
                .unwrap_or_else(|| ColumnEstimate::unknown(self.rows)),
            Expr::Cast { expr, .. } => self.col(expr),
            _ => ColumnEstimate::unknown(self.rows),
        }
    }

    /// Applies the conjuncts `terms` as a filter: fewer rows, fewer distinct values.
    fn filter(&mut self, terms: &[Expr], catalog: &dyn Catalog) {
        self.rows = (self.rows * selectivity(terms, self, catalog)).max(1.0);
        for t in terms {
            // A column compared equal to a constant keeps one value, an IN list k.
            let (col, k) = match t {
                Expr::Binary {
                    op: BinaryOp::Eq,
                    left,
                    right,
                    ..
                } => match (strip_cast(left), strip_cast(right)) {
                    (Expr::Column { id, .. }, c) | (c, Expr::Column { id, .. })
                        if is_constant(c) =>
                    {
                        (*id, 1.0)
                    }
                    _ => continue,
                },
                Expr::InList {
                    expr,
                    list,
                    negated: false,
                } => match strip_cast(expr) {
                    Expr::Column { id, .. } => (*id, list.len() as f64),
                    _ => continue,
                },
                _ => continue,
            };
            if let Some(c) = self.cols.get_mut(&col) {
                c.distinct = c.distinct.min(k);
            }
        }
        self.cap_distinct();
    }

    fn cap_distinct(&mut self) {
        let rows = self.rows;
        for c in self.cols.values_mut() {
            *c = c.capped(rows);
        }
    }
}

pub(crate) fn estimate(plan: &LogicalPlan, catalog: &dyn Catalog) -> Estimate {
    match plan {
        LogicalPlan::Scan {
            table,
            columns,
            filters,
        } => {
            let meta = catalog.table(table);
            let base = meta
                .as_ref()
                .map_or(1000.0, |t| t.row_count as f64)
                .max(1.0);
            let stats = catalog
                .column_stats(table)
                .filter(|s| meta.as_ref().is_some_and(|t| t.columns.len() == s.len()));
            let cols = columns
                .iter()
                .map(|(i, f)| {
                    let c = match stats.as_ref().and_then(|s| s.get(*i)) {
                        Some(s) => ColumnEstimate::from_stats(s, f.ty, base),
                        None => ColumnEstimate::unknown(base),
                    };
                    (f.id, c)
                })
                .collect();
            let mut e = Estimate { rows: base, cols };
            e.filter(filters, catalog);
            e
        }
        LogicalPlan::Values { fields, rows } => {
            let n = (rows.len() as f64).max(1.0);
            Estimate {
                rows: n,
                cols: fields
                    .iter()
                    .map(|f| (f.id, ColumnEstimate::unknown(n)))
                    .collect(),
            }
        }
        // A guess: a few rounds of the anchor's rows.
        LogicalPlan::Recursive(r) => {
            let n = estimate(&r.anchor, catalog).rows * 10.0;
            Estimate {
                rows: n,
                cols: r
                    .fields
                    .iter()
                    .map(|f| (f.id, ColumnEstimate::unknown(n)))
                    .collect(),
            }
        }
        LogicalPlan::WorkingTable { fields, .. } => Estimate {
            rows: 100.0,
            cols: fields
                .iter()
                .map(|f| (f.id, ColumnEstimate::unknown(100.0)))
                .collect(),
        },
        LogicalPlan::Series(s) => {
            // Exact for literal bounds; a guess for parameters.
            let int = |e: &Expr| match e.as_literal() {
                Some(Value::Int32(v)) => Some(f64::from(*v)),
                Some(Value::Int64(v)) => Some(*v as f64),
                _ => None,
            };
            let n = match (int(&s.start), int(&s.stop), int(&s.step)) {
                (Some(a), Some(b), Some(step)) if step != 0.0 => ((b - a) / step).floor() + 1.0,
                _ => 1000.0,
            }
            .max(1.0);
            Estimate {
                rows: n,
                cols: [(s.field.id, ColumnEstimate::unknown(n))]
                    .into_iter()
                    .collect(),
            }
        }
        LogicalPlan::Filter { input, predicate } => {
            let mut e = estimate(input, catalog);
            e.filter(&predicate.clone().split_conjunction(), catalog);
            e
        }
        LogicalPlan::Project { input, exprs } => {
            let inner = estimate(input, catalog);
            let cols = exprs.iter().map(|(e, f)| (f.id, inner.col(e))).collect();
            Estimate {
                rows: inner.rows,
                cols,
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
                let keys: f64 = group_by
                    .iter()
                    .map(|(e, _)| inner.col(e).distinct)
                    .product();
                (inner.rows * 0.5).min(keys).max(1.0)
            };
            let cols = group_by
                .iter()
                .map(|(e, f)| (f.id, inner.col(e).capped(rows)))
                .chain(
                    aggregates
                        .iter()
                        .map(|(_, f)| (f.id, ColumnEstimate::unknown(rows))),
                )
                .collect();
            Estimate { rows, cols }
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
            let extra = usize::from(filter.is_some());
            match kind {
                JoinKind::Semi | JoinKind::Anti => {
                    let mut e = l;
                    let frac = match kind {
                        JoinKind::Semi if !on.is_empty() => semi_fraction(&e, &r, on),
                        _ => 0.5,
                    };
                    e.rows = (e.rows * frac).max(1.0);
                    e.cap_distinct();
                    e
                }
                _ => {
                    let (lr, rr) = (l.rows, r.rows);
                    let (l_ids, r_ids) = (ids(&l), ids(&r));
                    let mut e = join_estimate(l, r, on, extra);
                    let inner = e.rows;
                    let padded = match kind {
                        JoinKind::Left => {
                            e.rows = inner.max(lr);
                            r_ids
                        }
                        JoinKind::Right => {
                            e.rows = inner.max(rr);
                            l_ids
                        }
                        JoinKind::Full => {
                            e.rows = inner.max(lr).max(rr);
                            l_ids.into_iter().chain(r_ids).collect()
                        }
                        _ => Vec::new(),
                    };
                    // Unmatched rows pad the other side with NULLs.
                    let null_frac = 1.0 - inner.min(e.rows) / e.rows;
                    for id in padded {
                        if let Some(c) = e.cols.get_mut(&id) {
                            c.null_frac = c.null_frac.max(null_frac);
                        }
                    }
                    e
                }
            }
        }
        LogicalPlan::Sort { input, .. } => estimate(input, catalog),
        LogicalPlan::Window { input, functions } => {
            let mut e = estimate(input, catalog);
            let rows = e.rows;
            e.cols.extend(
                functions
                    .iter()
                    .map(|(_, f)| (f.id, ColumnEstimate::unknown(rows))),
            );
            e
        }
        LogicalPlan::Limit { input, limit, .. } => {
            let mut e = estimate(input, catalog);
            if let Some(l) = limit {
                e.rows = e.rows.min(*l as f64).max(1.0);
                e.cap_distinct();
            }
            e
        }
        LogicalPlan::LimitWithTies { input, limit, .. } => {
            // Ties may add rows; the limit is the estimate.
            let mut e = estimate(input, catalog);
            e.rows = e.rows.min(*limit as f64).max(1.0);
            e.cap_distinct();
            e
        }
        LogicalPlan::Distinct { input } => {
            let mut e = estimate(input, catalog);
            e.rows = (e.rows * 0.5).max(1.0);
            e.cap_distinct();
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
                cols: fields
                    .iter()
                    .map(|f| (f.id, ColumnEstimate::unknown(rows)))
                    .collect(),
            }
        }
    }
}

/// Fraction of the left rows a semi join on key pairs `on` keeps: under containment, the
/// right side's distinct keys over the left side's (at most 1), less NULL keys.
fn semi_fraction(l: &Estimate, r: &Estimate, on: &[(Expr, Expr)]) -> f64 {
    let (mut d_l, mut d_r, mut nulls) = (1.0f64, 1.0f64, 1.0);
    for (a, b) in on {
        let (ca, cb) = (l.col(a), r.col(b));
        let domain = ca.domain.min(cb.domain).max(1.0);
        d_l *= ca.distinct.min(domain);
        d_r *= cb.distinct.min(domain);
        nulls *= (1.0 - ca.null_frac) * (1.0 - cb.null_frac);
    }
    let (d_l, d_r) = (d_l.min(l.rows).max(1.0), d_r.min(r.rows).max(1.0));
    (d_r / d_l).min(1.0) * nulls
}

fn ids(e: &Estimate) -> Vec<ColumnId> {
    e.cols.keys().copied().collect()
}

/// Rows of an inner join with key pairs `on` (left expression first) and `extra` further
/// (non-key) conditions.
pub(crate) fn join_rows(l: &Estimate, r: &Estimate, on: &[(Expr, Expr)], extra: usize) -> f64 {
    let sel = if on.is_empty() {
        1.0
    } else {
        let pairs: Vec<_> = on.iter().map(|(a, b)| (l.col(a), r.col(b))).collect();
        key_selectivity(&pairs, l.rows, r.rows)
    };
    (l.rows * r.rows * sel * 0.5f64.powi(extra as i32)).max(1.0)
}

/// Selectivity of equi-join key pairs `(left column, right column)` between inputs of
/// `l_rows` and `r_rows` rows, assuming containment on the combined key: `1/max(D(L),
/// D(R))`, where a side's `D` is the product of its keys' distinct values (each capped by
/// the pair's smaller domain), at most its rows.
///
/// Composite foreign keys: when a side's keys all come from stored tables of the same size
/// `T`, none is unique by itself but together they can be (`∏ domain ≥ T`; partsupp's
/// `(ps_partkey, ps_suppkey)`), the combined key is taken to be that table's key, and the
/// other side's combinations to be among its `T`.
fn key_selectivity(pairs: &[(ColumnEstimate, ColumnEstimate)], l_rows: f64, r_rows: f64) -> f64 {
    let mut d_l = 1.0f64;
    let mut d_r = 1.0f64;
    let mut nulls = 1.0;
    for (a, b) in pairs {
        let domain = a.domain.min(b.domain).max(1.0);
        d_l *= a.distinct.min(domain);
        d_r *= b.distinct.min(domain);
        nulls *= (1.0 - a.null_frac) * (1.0 - b.null_frac);
    }
    let (mut d_l, mut d_r) = (d_l.min(l_rows).max(1.0), d_r.min(r_rows).max(1.0));
    if pairs.len() > 1 {
        let composite_key = |side: &dyn Fn(&(ColumnEstimate, ColumnEstimate)) -> ColumnEstimate| {
            let t = side(&pairs[0]).table_rows;
            let cols: Vec<_> = pairs.iter().map(side).collect();
            let same_table = cols.iter().all(|c| c.table_rows == t);
            let none_unique = cols.iter().all(|c| c.domain < t);
            let product: f64 = cols.iter().map(|c| c.domain).product();
            (same_table && none_unique && product >= t).then_some(t)
        };
        let keys = [composite_key(&|p| p.0), composite_key(&|p| p.1)];
        if let Some(t) = keys.into_iter().flatten().reduce(f64::min) {
            d_l = d_l.min(t);
            d_r = d_r.min(t);
        }
    }
    nulls / d_l.max(d_r)
}

/// The estimate of an inner join of `l` and `r` (see [`join_rows`]): both sides' columns,
/// a key pair's columns sharing the smaller side's distinct values.
pub(crate) fn join_estimate(
    l: Estimate,
    r: Estimate,
    on: &[(Expr, Expr)],
    extra: usize,
) -> Estimate {
    let rows = join_rows(&l, &r, on, extra);
    let keys: Vec<_> = on
        .iter()
        .map(|(a, b)| {
            let (ca, cb) = (l.col(a), r.col(b));
            let domain = ca.domain.min(cb.domain);
            let distinct = ca.distinct.min(cb.distinct).min(domain);
            (column_id(a), column_id(b), distinct, domain)
        })
        .collect();
    let mut cols = l.cols;
    cols.extend(r.cols);
    for (a, b, distinct, domain) in keys {
        for id in [a, b].into_iter().flatten() {
            if let Some(c) = cols.get_mut(&id) {
                c.distinct = c.distinct.min(distinct);
                c.domain = c.domain.min(domain);
            }
        }
    }
    let mut e = Estimate { rows, cols };
    e.cap_distinct();
    e
}

fn column_id(e: &Expr) -> Option<ColumnId> {
    match strip_cast(e) {
        Expr::Column { id, .. } => Some(*id),
        _ => None,
    }
}

/// Combined selectivity of conjuncts over rows described by `est`.
pub(crate) fn selectivity(terms: &[Expr], est: &Estimate, catalog: &dyn Catalog) -> f64 {
    let mut guessed: HashSet<ColumnId> = HashSet::new();
    let mut intervals: HashMap<ColumnId, Interval> = HashMap::new();
    let mut s = 1.0;
    for t in terms {
        let Some((col, op, value)) = range_term(t) else {
            s *= term_selectivity(t, est, catalog);
            continue;
        };
        match (
            est.cols.get(&col).and_then(|c| c.range),
            value.and_then(numeric),
        ) {
            (Some(_), Some(v)) => intervals.entry(col).or_default().narrow(op, v),
            _ => s *= if guessed.insert(col) { 0.3 } else { 0.5 },
        }
    }
    for (col, interval) in intervals {
        let c = &est.cols[&col];
        if let Some(range) = c.range {
            s *= interval.fraction(&range) * (1.0 - c.null_frac);
        }
    }
    s
}

/// Bounds on a column from range comparisons: `(value, inclusive)`.
#[derive(Debug, Default, Clone, Copy)]
struct Interval {
    lo: Option<(f64, bool)>,
    hi: Option<(f64, bool)>,
}

impl Interval {
    /// Adds `col op v` (`op` one of `<`, `<=`, `>`, `>=`).
    fn narrow(&mut self, op: BinaryOp, v: f64) {
        match op {
            BinaryOp::Gt | BinaryOp::GtEq => {
                let b = (v, op == BinaryOp::GtEq);
                if self.lo.is_none_or(|(x, _)| v > x || (v == x && !b.1)) {
                    self.lo = Some(b);
                }
            }
            _ => {
                let b = (v, op == BinaryOp::LtEq);
                if self.hi.is_none_or(|(x, _)| v < x || (v == x && !b.1)) {
                    self.hi = Some(b);
                }
            }
        }
    }

    /// Fraction of `range` inside the interval, values spread uniformly.
    fn fraction(&self, range: &ValueRange) -> f64 {
        let f = if range.discrete {
            let lo = match self.lo {
                Some((v, true)) => v.ceil(),
                Some((v, false)) => v.floor() + 1.0,
                None => range.min,
            };
            let hi = match self.hi {
                Some((v, true)) => v.floor(),
                Some((v, false)) => v.ceil() - 1.0,
                None => range.max,
            };
            let n = hi.min(range.max) - lo.max(range.min) + 1.0;
            n / (range.max - range.min + 1.0)
        } else {
            let lo = self.lo.map_or(range.min, |(v, _)| v).max(range.min);
            let hi = self.hi.map_or(range.max, |(v, _)| v).min(range.max);
            if range.max > range.min {
                (hi - lo) / (range.max - range.min)
            } else if lo <= hi {
                1.0
            } else {
                0.0
            }
        };
        f.clamp(0.0, 1.0)
    }
}

/// `col op constant` (or `constant op col`, flipped) for a range comparison; the constant's
/// value if it is a literal.
fn range_term(e: &Expr) -> Option<(ColumnId, BinaryOp, Option<&Value>)> {
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
        (Expr::Column { id, .. }, c) if is_constant(c) => Some((*id, *op, c.as_literal())),
        (c, Expr::Column { id, .. }) if is_constant(c) => {
            let flipped = match op {
                BinaryOp::Lt => BinaryOp::Gt,
                BinaryOp::LtEq => BinaryOp::GtEq,
                BinaryOp::Gt => BinaryOp::Lt,
                _ => BinaryOp::LtEq,
            };
            Some((*id, flipped, c.as_literal()))
        }
        _ => None,
    }
}

/// A value on the number line, for range interpolation.
fn numeric(v: &Value) -> Option<f64> {
    match v {
        Value::Int32(x) | Value::Date(x) => Some(f64::from(*x)),
        Value::Int64(x) => Some(*x as f64),
        Value::Float64(x) if x.is_finite() => Some(*x),
        Value::Decimal(x, s) => Some(*x as f64 / 10f64.powi(i32::from(*s))),
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

/// The column `e` reads (through casts) if statistics know its distinct values.
fn known_column<'a>(e: &Expr, est: &'a Estimate) -> Option<&'a ColumnEstimate> {
    match strip_cast(e) {
        Expr::Column { id, .. } => est.cols.get(id).filter(|c| c.known),
        _ => None,
    }
}

/// Selectivity of `col = value` (or `<>` when `negated`) from statistics.
fn eq_selectivity(c: &ColumnEstimate, value: Option<&Value>, negated: bool) -> f64 {
    let outside = match (c.range, value.and_then(numeric)) {
        (Some(r), Some(v)) => v < r.min || v > r.max,
        _ => false,
    };
    let eq = if outside { 0.0 } else { 1.0 / c.distinct };
    let non_null = 1.0 - c.null_frac;
    if negated {
        (1.0 - eq) * non_null
    } else {
        eq * non_null
    }
}

fn term_selectivity(e: &Expr, est: &Estimate, catalog: &dyn Catalog) -> f64 {
    match e {
        Expr::Literal {
            value: Value::Boolean(true),
            ..
        } => 1.0,
        Expr::Literal { .. } => 0.0,
        Expr::Binary {
            op: BinaryOp::And, ..
        } => selectivity(&e.clone().split_conjunction(), est, catalog),
        Expr::Binary {
            op: BinaryOp::Or, ..
        } => {
            let miss: f64 = e
                .clone()
                .split_disjunction()
                .iter()
                .map(|d| 1.0 - term_selectivity(d, est, catalog))
                .product();
            (1.0 - miss).clamp(0.0, 1.0)
        }
        Expr::Not(x) => 1.0 - term_selectivity(x, est, catalog),
        Expr::Binary {
            op: op @ (BinaryOp::Eq | BinaryOp::NotEq),
            left,
            right,
            ..
        } => {
            let negated = *op == BinaryOp::NotEq;
            let (l, r) = (strip_cast(left), strip_cast(right));
            let stats = match (known_column(l, est), known_column(r, est)) {
                (Some(c), None) if is_constant(r) => {
                    Some(eq_selectivity(c, r.as_literal(), negated))
                }
                (None, Some(c)) if is_constant(l) => {
                    Some(eq_selectivity(c, l.as_literal(), negated))
                }
                (Some(a), Some(b)) => {
                    let eq = 1.0 / a.distinct.max(b.distinct);
                    Some(if negated { 1.0 - eq } else { eq })
                }
                _ => None,
            };
            stats.unwrap_or(if negated { 0.9 } else { 0.1 })
        }
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
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let s = match known_column(expr, est) {
                Some(c) => (list.len() as f64 / c.distinct).min(1.0) * (1.0 - c.null_frac),
                None => (0.1 * list.len() as f64).min(0.5),
            };
            if *negated {
                1.0 - s
            } else {
                s
            }
        }
        Expr::InSubquery {
            expr,
            plan,
            negated,
        } => {
            // Containment: the subquery's distinct values are among x's.
            let sub = estimate(plan, catalog);
            let s = match plan.fields().first() {
                Some(f) => {
                    let x = est.col(expr);
                    let d_sub = sub.col(&Expr::column(f.id, f.ty)).distinct;
                    (d_sub / x.distinct).min(1.0) * (1.0 - x.null_frac)
                }
                None => 0.5,
            };
            if *negated {
                (1.0 - s).max(0.05)
            } else {
                s
            }
        }
        Expr::IsNull { expr, negated } => {
            let s = match strip_cast(expr) {
                Expr::Column { id, .. } => est
                    .cols
                    .get(id)
                    .filter(|c| c.known || c.null_frac > 0.0)
                    .map(|c| c.null_frac),
                _ => None,
            };
            match (s, negated) {
                (Some(s), false) => s,
                (Some(s), true) => 1.0 - s,
                (None, false) => 0.05,
                (None, true) => 0.95,
            }
        }
        _ => 0.5,
    }
}
