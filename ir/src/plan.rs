//! The typed logical plan: what a bound query computes, before any choice of how.
//!
//! Each operator names the columns it produces as [`Field`]s with unique [`ColumnId`]s; parent
//! operators refer to child columns by id, never by position, so optimizer passes can move
//! expressions freely. Plans are trees (a CTE used twice is bound twice).

use crate::expr::{ColumnId, Expr};
use crate::types::DataType;

/// A column produced by an operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    pub id: ColumnId,
    /// The name a user sees (output header, `DESCRIBE`); not necessarily unique.
    pub name: String,
    pub ty: DataType,
    /// False if the column can never hold NULL.
    pub nullable: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JoinKind {
    /// Rows of both sides where the condition is true.
    Inner,
    /// Inner rows plus each unmatched left row with NULLs for the right side.
    Left,
    /// Inner rows plus each unmatched right row with NULLs for the left side.
    Right,
    /// Left plus right outer rows.
    Full,
    /// Each left row that has at least one match (output: left columns only).
    Semi,
    /// Each left row that has no match (output: left columns only). NULL keys never match.
    Anti,
}

/// One key of ORDER BY.
#[derive(Debug, Clone, PartialEq)]
pub struct SortKey {
    pub expr: Expr,
    pub ascending: bool,
    /// PostgreSQL default: NULLS LAST for ASC, NULLS FIRST for DESC.
    pub nulls_first: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AggFunc {
    /// `count(*)`: rows in the group; BIGINT, never NULL.
    CountStar,
    /// `count(x)`: non-NULL values; BIGINT, never NULL.
    Count,
    /// `sum(x)`: NULL for no non-NULL input. INTEGER → BIGINT, BIGINT → BIGINT (overflow is an
    /// error), DECIMAL(p,s) → DECIMAL(38,s) (i128 accumulator), DOUBLE → DOUBLE.
    Sum,
    /// `avg(x)`: DOUBLE (for every numeric input); NULL for no non-NULL input.
    Avg,
    /// `min(x)` / `max(x)`: the input type; NULL for no non-NULL input.
    Min,
    Max,
    /// `var_samp(x)` / `variance(x)`, `var_pop(x)`, `stddev_samp(x)` / `stddev(x)`,
    /// `stddev_pop(x)`: DOUBLE over numeric input (computed in f64); NULL for no non-NULL
    /// input, and the sample variants are NULL for a single value.
    VarSamp,
    VarPop,
    StddevSamp,
    StddevPop,
    /// `string_agg(x, sep)`: VARCHAR, the non-NULL values in input order separated by
    /// `params[0]` (a VARCHAR constant); NULL for no non-NULL input.
    StringAgg,
    /// `quantile_cont(x, f)` / `median(x)` (f = 0.5) / `percentile_cont(f) WITHIN GROUP
    /// (ORDER BY x)`: DOUBLE, linear interpolation between the closest ranks of the non-NULL
    /// values; `params[0]` is `f` as a DOUBLE in [0, 1]. NULL for no non-NULL input.
    QuantileCont,
    /// `percentile_disc(f) WITHIN GROUP (ORDER BY x)`: the first non-NULL value (in the call's
    /// `order_by`) at or past fraction `f` of them, i.e. the `max(1, ceil(f * n))`-th; x's
    /// type. `params[0]` is `f` as a DOUBLE in [0, 1]. NULL for no non-NULL input.
    PercentileDisc,
    /// `mode() WITHIN GROUP (ORDER BY x)`: the most frequent non-NULL value; among equally
    /// frequent ones the first in the call's `order_by`. x's type; NULL for no non-NULL input.
    Mode,
}

impl AggFunc {
    /// The aggregate's SQL name (`count` for both COUNT forms).
    pub fn name(self) -> &'static str {
        match self {
            AggFunc::CountStar | AggFunc::Count => "count",
            AggFunc::Sum => "sum",
            AggFunc::Avg => "avg",
            AggFunc::Min => "min",
            AggFunc::Max => "max",
            AggFunc::VarSamp => "var_samp",
            AggFunc::VarPop => "var_pop",
            AggFunc::StddevSamp => "stddev_samp",
            AggFunc::StddevPop => "stddev_pop",
            AggFunc::StringAgg => "string_agg",
            AggFunc::QuantileCont => "quantile_cont",
            AggFunc::PercentileDisc => "percentile_disc",
            AggFunc::Mode => "mode",
        }
    }

    /// Whether the result depends on the order rows arrive in (then an ORDER BY inside the
    /// call is kept; for the others it is checked and dropped, as it cannot change anything).
    pub fn is_order_sensitive(self) -> bool {
        matches!(
            self,
            AggFunc::StringAgg | AggFunc::PercentileDisc | AggFunc::Mode
        )
    }
}

/// An aggregate call: `func([DISTINCT] arg [ORDER BY keys])`.
#[derive(Debug, Clone, PartialEq)]
pub struct AggregateCall {
    pub func: AggFunc,
    /// `None` only for `CountStar`.
    pub arg: Option<Expr>,
    /// Aggregate only distinct non-NULL values.
    pub distinct: bool,
    /// Result type.
    pub ty: DataType,
    /// Constant parameters of some functions (see [`AggFunc`]); empty for most.
    pub params: Vec<crate::types::Value>,
    /// The order in which each group's rows reach the aggregate (`string_agg(x, ',' ORDER BY
    /// y)`, `WITHIN GROUP (ORDER BY x)`), over the Aggregate's input; rows with equal keys
    /// come in no particular order. Empty unless [`AggFunc::is_order_sensitive`].
    pub order_by: Vec<SortKey>,
}

impl AggregateCall {
    /// Every expression of the call: the argument, then the ORDER BY keys.
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.arg.iter().chain(self.order_by.iter().map(|k| &k.expr))
    }
}

/// The integers `start`, `start + step`, ... up to `stop` (`generate_series`: including it;
/// `range`: excluding it), one per row in `field`. The bounds are constant expressions
/// (literals or parameters) of the field's type; any NULL gives no rows, a zero step is an
/// error when the plan runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    pub field: Field,
    pub start: Expr,
    pub stop: Expr,
    pub step: Expr,
    pub inclusive: bool,
}

impl Series {
    /// `[start, stop, step]`.
    pub fn bounds(&self) -> [&Expr; 3] {
        [&self.start, &self.stop, &self.step]
    }
}

/// A recursive query (`WITH RECURSIVE name AS (anchor UNION [ALL] step)`): the rows of
/// `anchor`, then round after round the rows `step` makes from the previous round's
/// ([`LogicalPlan::WorkingTable`] `id`), until a round makes none. With `distinct` (UNION)
/// a row already made is dropped (and not fed back). `anchor` and `step` produce `fields`
/// by position.
#[derive(Debug, Clone, PartialEq)]
pub struct Recursive {
    pub id: u32,
    pub fields: Vec<Field>,
    pub anchor: LogicalPlan,
    pub step: LogicalPlan,
    pub distinct: bool,
}

/// A logical operator. Every variant produces the fields listed by [`LogicalPlan::fields`].
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum LogicalPlan {
    /// Reads a stored table. `columns` pairs the index of each read column in the table's
    /// schema with the field it produces. `filters` are conjuncts pushed into the scan (rows
    /// where any is not true are skipped; scans may use them to skip blocks by zone map).
    Scan {
        table: String,
        columns: Vec<(usize, Field)>,
        filters: Vec<Expr>,
    },
    /// Constant rows. Each row has one expression per field (no column references).
    /// `SELECT` without FROM is a Values with one row of no fields.
    Values {
        fields: Vec<Field>,
        rows: Vec<Vec<Expr>>,
    },
    /// The integers of a `generate_series` / `range`, one per row ([`Series`]).
    Series(Box<Series>),
    /// `WITH RECURSIVE`: a query that reads its own earlier rows ([`Recursive`]).
    Recursive(Box<Recursive>),
    /// The rows the recursive query `id` made in its last round (read by its `step`).
    WorkingTable { id: u32, fields: Vec<Field> },
    /// Rows of `input` where `predicate` is true (not false, not NULL).
    Filter {
        input: Box<LogicalPlan>,
        predicate: Expr,
    },
    /// One output field per expression, computed over input rows.
    Project {
        input: Box<LogicalPlan>,
        exprs: Vec<(Expr, Field)>,
    },
    /// Groups input rows by `group_by` (NULLs form one group) and computes `aggregates` per
    /// group. Output: group-by fields then aggregate fields. With no group-by keys there is
    /// exactly one output row, even for empty input.
    Aggregate {
        input: Box<LogicalPlan>,
        group_by: Vec<(Expr, Field)>,
        aggregates: Vec<(AggregateCall, Field)>,
    },
    /// Joins `left` and `right`. `on` holds equi-join key pairs (left expr, right expr): rows
    /// match where every pair is equal (NULL never equals anything). `filter` is a further
    /// condition on the combined row. No keys and no filter is a cross join.
    /// Output: left fields then right fields (for Semi/Anti only left fields).
    Join {
        left: Box<LogicalPlan>,
        right: Box<LogicalPlan>,
        kind: JoinKind,
        on: Vec<(Expr, Expr)>,
        filter: Option<Expr>,
    },
    /// Sorts input rows by `keys`, the first key most significant; ties keep no particular order.
    Sort {
        input: Box<LogicalPlan>,
        keys: Vec<SortKey>,
    },
    /// Skips `offset` rows then returns at most `limit` rows (all if `None`).
    Limit {
        input: Box<LogicalPlan>,
        limit: Option<u64>,
        offset: u64,
    },
    /// `ORDER BY keys OFFSET offset FETCH FIRST limit ROWS WITH TIES`: sorts input rows by
    /// `keys`, skips `offset` rows, returns the next `limit` rows and every further row whose
    /// keys equal the last returned one's (NULL keys are equal here). Output in key order;
    /// which of several tied rows the offset skips is unspecified. `limit = 0` returns
    /// nothing.
    LimitWithTies {
        input: Box<LogicalPlan>,
        keys: Vec<SortKey>,
        limit: u64,
        offset: u64,
    },
    /// Removes duplicate rows (NULLs are equal to each other here).
    Distinct { input: Box<LogicalPlan> },
    /// UNION / INTERSECT / EXCEPT of inputs with the same number of columns and types (the
    /// binder casts them). `all = false` removes duplicates. `fields` are new output columns.
    SetOp {
        op: SetOpKind,
        all: bool,
        left: Box<LogicalPlan>,
        right: Box<LogicalPlan>,
        fields: Vec<Field>,
    },
    /// Window functions over `input`'s rows (a breaker): output is the input fields then one
    /// field per function, for each input row (row order unspecified).
    Window {
        input: Box<LogicalPlan>,
        functions: Vec<(WindowCall, Field)>,
    },
}

/// A window function (see [`WindowCall`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WindowFunc {
    /// `row_number()`: 1, 2, ... in partition order. BIGINT.
    RowNumber,
    /// `rank()`: 1 + rows before the current row's peer group. BIGINT.
    Rank,
    /// `dense_rank()`: 1 + peer groups before the current one. BIGINT.
    DenseRank,
    /// `lag(x [, offset [, default]])`: x at `offset` (default 1) rows before the current row
    /// in the partition, else `default` (NULL if absent). Args: x, offset (BIGINT), default
    /// (x's type).
    Lag,
    /// `lead(...)`: as `Lag`, after the current row.
    Lead,
    /// `first_value(x)` / `last_value(x)`: x at the first / last row of the frame (NULL for an
    /// empty frame).
    FirstValue,
    LastValue,
    /// `nth_value(x, n)`: x at the n-th row (1-based) of the frame; NULL if the frame is
    /// shorter or n is NULL; an error if n < 1. Args: x, n (BIGINT, read per row).
    NthValue,
    /// `ntile(n)`: the bucket (1..n) of the row when the partition is split, in order, into n
    /// buckets whose sizes differ by at most one, larger ones first. INTEGER. As PostgreSQL,
    /// n is read at the partition's first row where it is not NULL (NULL before it); an error
    /// if n < 1. Args: n (INTEGER).
    Ntile,
    /// `percent_rank()`: (rank - 1) / (partition rows - 1), 0 for a one-row partition. DOUBLE.
    PercentRank,
    /// `cume_dist()`: (rows up to and including the current row's peers) / partition rows.
    /// DOUBLE.
    CumeDist,
    /// An aggregate over the frame (`args` empty for `CountStar`). Result types as for
    /// [`AggregateCall`]; DISTINCT is not supported.
    Agg(AggFunc),
}

impl WindowFunc {
    /// The function's SQL name.
    pub fn name(self) -> &'static str {
        match self {
            WindowFunc::RowNumber => "row_number",
            WindowFunc::Rank => "rank",
            WindowFunc::DenseRank => "dense_rank",
            WindowFunc::Lag => "lag",
            WindowFunc::Lead => "lead",
            WindowFunc::FirstValue => "first_value",
            WindowFunc::LastValue => "last_value",
            WindowFunc::NthValue => "nth_value",
            WindowFunc::Ntile => "ntile",
            WindowFunc::PercentRank => "percent_rank",
            WindowFunc::CumeDist => "cume_dist",
            WindowFunc::Agg(a) => a.name(),
        }
    }
}

/// Units of a window frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameUnits {
    /// Offsets count rows.
    Rows,
    /// `CURRENT ROW` means the current row's peer group (rows with equal ORDER BY keys).
    Range,
    /// Offsets count peer groups: `n PRECEDING` starts at the peer group n groups before the
    /// current row's, `n FOLLOWING` ends with the one n groups after; `CURRENT ROW` as
    /// `Range`. Needs an ORDER BY.
    Groups,
}

/// One end of a window frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FrameBound {
    UnboundedPreceding,
    /// `n PRECEDING`: n rows (ROWS), n peer groups (GROUPS), or rows whose ORDER BY key is
    /// within n of the current row's (RANGE over one integer or decimal key; n in the key's
    /// scaled units).
    Preceding(u64),
    CurrentRow,
    /// `n FOLLOWING`, as `Preceding`.
    Following(u64),
    UnboundedFollowing,
}

/// `ROWS|RANGE|GROUPS BETWEEN start AND end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Frame {
    pub units: FrameUnits,
    pub start: FrameBound,
    pub end: FrameBound,
}

/// A window function call: `func(args) OVER (PARTITION BY ... ORDER BY ... frame)`.
/// `frame: None` is the default frame: with ORDER BY, RANGE BETWEEN UNBOUNDED PRECEDING AND
/// CURRENT ROW (the current row's peers included); without, the whole partition.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowCall {
    pub func: WindowFunc,
    pub args: Vec<Expr>,
    pub partition_by: Vec<Expr>,
    pub order_by: Vec<SortKey>,
    pub frame: Option<Frame>,
}

impl WindowCall {
    /// Every expression of the call (arguments, partition keys, order keys).
    pub fn exprs(&self) -> impl Iterator<Item = &Expr> {
        self.args
            .iter()
            .chain(&self.partition_by)
            .chain(self.order_by.iter().map(|k| &k.expr))
    }

    /// Rebuilds the call with each expression replaced by `f(expr)`.
    pub fn try_map_exprs<E>(
        mut self,
        f: &mut dyn FnMut(Expr) -> Result<Expr, E>,
    ) -> Result<WindowCall, E> {
        self.args = self
            .args
            .into_iter()
            .map(&mut *f)
            .collect::<Result<_, E>>()?;
        self.partition_by = self
            .partition_by
            .into_iter()
            .map(&mut *f)
            .collect::<Result<_, E>>()?;
        for k in &mut self.order_by {
            k.expr = f(std::mem::replace(&mut k.expr, Expr::boolean(false)))?;
        }
        Ok(self)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SetOpKind {
    Union,
    Intersect,
    Except,
}

impl LogicalPlan {
    /// The output columns' types, in order (as `fields()`, without copying names).
    pub fn types(&self) -> Vec<DataType> {
        let mut out = Vec::new();
        self.each_field(false, &mut |f, _| out.push(f.ty));
        out
    }

    /// The output columns' ids, in order (as `fields()`, without copying names).
    pub fn ids(&self) -> Vec<ColumnId> {
        let mut out = Vec::new();
        self.each_field(false, &mut |f, _| out.push(f.id));
        out
    }

    /// Calls `f` on each output field in order, with whether an outer join above it (up to
    /// this node) makes it nullable whatever the field says.
    fn each_field(&self, forced: bool, f: &mut dyn FnMut(&Field, bool)) {
        match self {
            LogicalPlan::Scan { columns, .. } => columns.iter().for_each(|(_, x)| f(x, forced)),
            LogicalPlan::Values { fields, .. } | LogicalPlan::SetOp { fields, .. } => {
                fields.iter().for_each(|x| f(x, forced))
            }
            LogicalPlan::Series(s) => f(&s.field, forced),
            LogicalPlan::Recursive(r) => r.fields.iter().for_each(|x| f(x, forced)),
            LogicalPlan::WorkingTable { fields, .. } => fields.iter().for_each(|x| f(x, forced)),
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Sort { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::LimitWithTies { input, .. }
            | LogicalPlan::Distinct { input } => input.each_field(forced, f),
            LogicalPlan::Project { exprs, .. } => exprs.iter().for_each(|(_, x)| f(x, forced)),
            LogicalPlan::Window { input, functions } => {
                input.each_field(forced, f);
                functions.iter().for_each(|(_, x)| f(x, forced));
            }
            LogicalPlan::Aggregate {
                group_by,
                aggregates,
                ..
            } => {
                group_by.iter().for_each(|(_, x)| f(x, forced));
                aggregates.iter().for_each(|(_, x)| f(x, forced));
            }
            LogicalPlan::Join {
                left, right, kind, ..
            } => {
                // An outer join's unmatched side comes out NULL-padded.
                let left_padded = matches!(kind, JoinKind::Right | JoinKind::Full);
                let right_padded = matches!(kind, JoinKind::Left | JoinKind::Full);
                left.each_field(forced || left_padded, f);
                if !matches!(kind, JoinKind::Semi | JoinKind::Anti) {
                    right.each_field(forced || right_padded, f);
                }
            }
        }
    }

    /// The columns this operator produces, in order.
    pub fn fields(&self) -> Vec<Field> {
        let mut out = Vec::new();
        self.each_field(false, &mut |x, forced| {
            let mut field = x.clone();
            field.nullable |= forced;
            out.push(field);
        });
        out
    }

    /// Rebuilds this operator with each direct input replaced by `f(input)`.
    pub fn try_map_inputs<E>(
        self,
        f: &mut dyn FnMut(LogicalPlan) -> Result<LogicalPlan, E>,
    ) -> Result<LogicalPlan, E> {
        let mut bx = |p: Box<LogicalPlan>| -> Result<Box<LogicalPlan>, E> { Ok(Box::new(f(*p)?)) };
        Ok(match self {
            leaf @ (LogicalPlan::Scan { .. }
            | LogicalPlan::Values { .. }
            | LogicalPlan::Series(_)
            | LogicalPlan::WorkingTable { .. }) => leaf,
            LogicalPlan::Recursive(r) => {
                let Recursive {
                    id,
                    fields,
                    anchor,
                    step,
                    distinct,
                } = *r;
                LogicalPlan::Recursive(Box::new(Recursive {
                    id,
                    fields,
                    anchor: f(anchor)?,
                    step: f(step)?,
                    distinct,
                }))
            }
            LogicalPlan::Filter { input, predicate } => LogicalPlan::Filter {
                input: bx(input)?,
                predicate,
            },
            LogicalPlan::Project { input, exprs } => LogicalPlan::Project {
                input: bx(input)?,
                exprs,
            },
            LogicalPlan::Aggregate {
                input,
                group_by,
                aggregates,
            } => LogicalPlan::Aggregate {
                input: bx(input)?,
                group_by,
                aggregates,
            },
            LogicalPlan::Sort { input, keys } => LogicalPlan::Sort {
                input: bx(input)?,
                keys,
            },
            LogicalPlan::Limit {
                input,
                limit,
                offset,
            } => LogicalPlan::Limit {
                input: bx(input)?,
                limit,
                offset,
            },
            LogicalPlan::LimitWithTies {
                input,
                keys,
                limit,
                offset,
            } => LogicalPlan::LimitWithTies {
                input: bx(input)?,
                keys,
                limit,
                offset,
            },
            LogicalPlan::Distinct { input } => LogicalPlan::Distinct { input: bx(input)? },
            LogicalPlan::Window { input, functions } => LogicalPlan::Window {
                input: bx(input)?,
                functions,
            },
            LogicalPlan::Join {
                left,
                right,
                kind,
                on,
                filter,
            } => LogicalPlan::Join {
                left: bx(left)?,
                right: bx(right)?,
                kind,
                on,
                filter,
            },
            LogicalPlan::SetOp {
                op,
                all,
                left,
                right,
                fields,
            } => LogicalPlan::SetOp {
                op,
                all,
                left: bx(left)?,
                right: bx(right)?,
                fields,
            },
        })
    }

    /// Rebuilds this operator with each of its own expressions (not its inputs') replaced by
    /// `f(expr)`.
    pub fn try_map_exprs<E>(
        self,
        f: &mut dyn FnMut(Expr) -> Result<Expr, E>,
    ) -> Result<LogicalPlan, E> {
        Ok(match self {
            LogicalPlan::Scan {
                table,
                columns,
                filters,
            } => LogicalPlan::Scan {
                table,
                columns,
                filters: filters.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
            },
            LogicalPlan::Values { fields, rows } => LogicalPlan::Values {
                fields,
                rows: rows
                    .into_iter()
                    .map(|r| r.into_iter().map(&mut *f).collect::<Result<_, E>>())
                    .collect::<Result<_, E>>()?,
            },
            LogicalPlan::Series(s) => {
                let Series {
                    field,
                    start,
                    stop,
                    step,
                    inclusive,
                } = *s;
                LogicalPlan::Series(Box::new(Series {
                    field,
                    start: f(start)?,
                    stop: f(stop)?,
                    step: f(step)?,
                    inclusive,
                }))
            }
            LogicalPlan::Filter { input, predicate } => LogicalPlan::Filter {
                input,
                predicate: f(predicate)?,
            },
            LogicalPlan::Project { input, exprs } => LogicalPlan::Project {
                input,
                exprs: exprs
                    .into_iter()
                    .map(|(e, fl)| Ok((f(e)?, fl)))
                    .collect::<Result<_, E>>()?,
            },
            LogicalPlan::Aggregate {
                input,
                group_by,
                aggregates,
            } => LogicalPlan::Aggregate {
                input,
                group_by: group_by
                    .into_iter()
                    .map(|(e, fl)| Ok((f(e)?, fl)))
                    .collect::<Result<_, E>>()?,
                aggregates: aggregates
                    .into_iter()
                    .map(|(mut call, fl)| {
                        call.arg = match call.arg {
                            Some(a) => Some(f(a)?),
                            None => None,
                        };
                        for k in &mut call.order_by {
                            k.expr = f(std::mem::replace(&mut k.expr, Expr::boolean(false)))?;
                        }
                        Ok((call, fl))
                    })
                    .collect::<Result<_, E>>()?,
            },
            LogicalPlan::Join {
                left,
                right,
                kind,
                on,
                filter,
            } => LogicalPlan::Join {
                left,
                right,
                kind,
                on: on
                    .into_iter()
                    .map(|(l, r)| Ok((f(l)?, f(r)?)))
                    .collect::<Result<_, E>>()?,
                filter: match filter {
                    Some(e) => Some(f(e)?),
                    None => None,
                },
            },
            LogicalPlan::Sort { input, keys } => LogicalPlan::Sort {
                input,
                keys: keys
                    .into_iter()
                    .map(|mut k| {
                        k.expr = f(k.expr)?;
                        Ok(k)
                    })
                    .collect::<Result<_, E>>()?,
            },
            LogicalPlan::LimitWithTies {
                input,
                keys,
                limit,
                offset,
            } => LogicalPlan::LimitWithTies {
                input,
                keys: keys
                    .into_iter()
                    .map(|mut k| {
                        k.expr = f(k.expr)?;
                        Ok(k)
                    })
                    .collect::<Result<_, E>>()?,
                limit,
                offset,
            },
            LogicalPlan::Window { input, functions } => LogicalPlan::Window {
                input,
                functions: functions
                    .into_iter()
                    .map(|(c, fl)| Ok((c.try_map_exprs(&mut *f)?, fl)))
                    .collect::<Result<_, E>>()?,
            },
            other @ (LogicalPlan::Limit { .. }
            | LogicalPlan::Distinct { .. }
            | LogicalPlan::SetOp { .. }
            | LogicalPlan::Recursive(_)
            | LogicalPlan::WorkingTable { .. }) => other,
        })
    }

    /// Calls `f` on each of this operator's own expressions (not its inputs').
    pub fn for_each_expr<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match self {
            LogicalPlan::Scan { filters, .. } => filters.iter().for_each(f),
            LogicalPlan::Values { rows, .. } => rows.iter().flatten().for_each(f),
            LogicalPlan::Series(s) => s.bounds().into_iter().for_each(f),
            LogicalPlan::Recursive(_) | LogicalPlan::WorkingTable { .. } => {}
            LogicalPlan::Filter { predicate, .. } => f(predicate),
            LogicalPlan::Project { exprs, .. } => exprs.iter().for_each(|(e, _)| f(e)),
            LogicalPlan::Aggregate {
                group_by,
                aggregates,
                ..
            } => {
                group_by.iter().for_each(|(e, _)| f(e));
                aggregates.iter().flat_map(|(c, _)| c.exprs()).for_each(f);
            }
            LogicalPlan::Join { on, filter, .. } => {
                for (l, r) in on {
                    f(l);
                    f(r);
                }
                if let Some(e) = filter {
                    f(e);
                }
            }
            LogicalPlan::Sort { keys, .. } | LogicalPlan::LimitWithTies { keys, .. } => {
                keys.iter().for_each(|k| f(&k.expr))
            }
            LogicalPlan::Window { functions, .. } => {
                functions.iter().flat_map(|(c, _)| c.exprs()).for_each(f)
            }
            LogicalPlan::Limit { .. }
            | LogicalPlan::Distinct { .. }
            | LogicalPlan::SetOp { .. } => {}
        }
    }

    /// Every node of the plan tree in pre-order (a node before its inputs, inputs in the order
    /// of [`LogicalPlan::inputs`]). A node's index in this list is its stable id within the
    /// plan: the compiled tier and the interpreter agree on it. Subquery plans inside
    /// expressions are not included.
    pub fn preorder(&self) -> Vec<&LogicalPlan> {
        let mut out = Vec::new();
        let mut stack = vec![self];
        while let Some(node) = stack.pop() {
            out.push(node);
            stack.extend(node.inputs().into_iter().rev());
        }
        out
    }

    /// The direct inputs of this operator.
    pub fn inputs(&self) -> Vec<&LogicalPlan> {
        match self {
            LogicalPlan::Scan { .. }
            | LogicalPlan::Values { .. }
            | LogicalPlan::Series(_)
            | LogicalPlan::WorkingTable { .. } => vec![],
            LogicalPlan::Recursive(r) => vec![&r.anchor, &r.step],
            LogicalPlan::Filter { input, .. }
            | LogicalPlan::Project { input, .. }
            | LogicalPlan::Aggregate { input, .. }
            | LogicalPlan::Sort { input, .. }
            | LogicalPlan::Limit { input, .. }
            | LogicalPlan::LimitWithTies { input, .. }
            | LogicalPlan::Distinct { input }
            | LogicalPlan::Window { input, .. } => vec![input],
            LogicalPlan::Join { left, right, .. } | LogicalPlan::SetOp { left, right, .. } => {
                vec![left, right]
            }
        }
    }
}
