//! Which plan subtrees compile, and what a compiled pipeline needs from its driver.
//!
//! The first slice compiles one pipeline shape:
//! ```text
//! Aggregate            (sink: direct-indexed groups, or a single group)
//!   Filter | Project   (any number, in any order)
//!     Scan             (with its pushed filters)
//! ```
//! [`match_shape`] recognizes it; the translator then decides, expression by expression,
//! whether everything inside is supported, and records the [`Layout`] the driver fills in.

use grizzly_ir::{AggFunc, AggregateCall, BinaryOp, ColumnId, DataType, Expr, Field, LogicalPlan};

/// An Aggregate over a chain of Filter/Project nodes over a Scan.
pub(crate) struct Shape<'a> {
    pub group_by: &'a [(Expr, Field)],
    pub aggregates: &'a [(AggregateCall, Field)],
    pub table: &'a str,
    pub scan_columns: &'a [(usize, Field)],
    pub scan_filters: &'a [Expr],
    /// The operators between the scan and the aggregate, bottom-up (scan side first).
    pub stages: Vec<Stage<'a>>,
}

pub(crate) enum Stage<'a> {
    Filter(&'a Expr),
    Project(&'a [(Expr, Field)]),
}

/// Recognizes the supported pipeline shape rooted at `plan`.
pub(crate) fn match_shape(plan: &LogicalPlan) -> Option<Shape<'_>> {
    let LogicalPlan::Aggregate {
        input,
        group_by,
        aggregates,
    } = plan
    else {
        return None;
    };
    let mut stages = Vec::new();
    let mut node: &LogicalPlan = input;
    loop {
        match node {
            LogicalPlan::Filter { input, predicate } => {
                stages.push(Stage::Filter(predicate));
                node = input;
            }
            LogicalPlan::Project { input, exprs } => {
                stages.push(Stage::Project(exprs));
                node = input;
            }
            LogicalPlan::Scan {
                table,
                columns,
                filters,
            } => {
                stages.reverse();
                return Some(Shape {
                    group_by,
                    aggregates,
                    table,
                    scan_columns: columns,
                    scan_filters: filters,
                    stages,
                });
            }
            _ => return None,
        }
    }
}

/// A one-line description of a compiled pipeline, for `CompiledQuery::pipelines`.
pub(crate) fn describe(shape: &Shape<'_>) -> String {
    let mut ops: Vec<String> = vec![format!("scan {}", shape.table)];
    if !shape.scan_filters.is_empty() {
        ops.push(format!("{} pushed filter(s)", shape.scan_filters.len()));
    }
    for s in &shape.stages {
        ops.push(match s {
            Stage::Filter(_) => "filter".to_string(),
            Stage::Project(e) => format!("project {}", e.len()),
        });
    }
    let sink = if shape.group_by.is_empty() {
        format!("aggregate {} (one group)", shape.aggregates.len())
    } else {
        format!(
            "aggregate {} by {} key(s) (direct index or hash table)",
            shape.aggregates.len(),
            shape.group_by.len()
        )
    };
    ops.push(sink);
    ops.join(" -> ")
}

/// What the driver must provide to, and read back from, one compiled pipeline.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub table: String,
    /// One per scanned column, in the scan's order (`Morsel::columns` index).
    pub slots: Vec<ColumnSlot>,
    /// `PipelineCtx::params` entries: (statement parameter index, type).
    pub params: Vec<(usize, DataType)>,
    /// `Morsel::str_consts` entries.
    pub str_consts: Vec<StrConst>,
    /// `Morsel::dict_preds` entries.
    pub dict_preds: Vec<DictPred>,
    /// Group keys, in GROUP BY order.
    pub keys: Vec<KeyLayout>,
    /// Aggregates, in output order.
    pub aggs: Vec<AggLayout>,
    /// The code has a NULL-aware loop (the schema allows NULLs in a scanned column); without
    /// one, NULLs in a column read or a NULL parameter are left to the interpreter.
    pub null_aware: bool,
    /// Bytes of state per group slot (a multiple of 16). Offset 0 holds the slot's row
    /// count (`i64`); the NULL counts of the aggregates come after the accumulators.
    pub stride: usize,
}

#[derive(Debug, Clone)]
pub(crate) struct ColumnSlot {
    /// Index of the column in the table.
    pub column: usize,
    pub ty: DataType,
    /// The generated code reads this column.
    pub used: bool,
    /// The NULL-aware loop reads this column's validity bitmap (the column may hold NULLs).
    pub nullable: bool,
}

/// A string comparison `column op constant`, done on dictionary codes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StrConst {
    pub slot: usize,
    /// With the column on the left.
    pub op: BinaryOp,
    pub value: ConstSource,
}

/// A predicate on one dictionary-encoded string column (`LIKE`, `IN`) that the driver
/// evaluates over each morsel's dictionary; the code looks its value up by the row's code.
/// NULL where the column is NULL (both forms are).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DictPred {
    pub slot: usize,
    /// The column's id in `expr`.
    pub column: ColumnId,
    /// The predicate, whose only column is `column` (others are constants or parameters).
    pub expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ConstSource {
    Literal(String),
    Param(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct KeyLayout {
    pub slot: usize,
    pub ty: DataType,
    /// Dictionary codes mapped to global ids (else an integer range `base..base+limit`).
    pub dict: bool,
    /// The key column may hold NULLs: index `limit` of the key is its NULL group.
    pub nullable: bool,
}

#[derive(Debug, Clone)]
pub(crate) struct AggLayout {
    pub func: AggFunc,
    /// Result type.
    pub ty: DataType,
    /// Argument type (`None` for `count(*)`).
    pub arg_ty: Option<DataType>,
    /// Byte offset of the accumulator in a slot (sum/avg: `i128`; min/max: the value in an
    /// 8-byte field; count: none, it is the slot's row count).
    pub offset: usize,
    /// For an argument that may be NULL: byte offset of an `i64` count of the rows whose
    /// argument was NULL (so the non-NULL inputs are the row count minus it; the NULL-free
    /// loop never touches it).
    pub nulls: Option<usize>,
    /// SUM/AVG over the same argument as an earlier SUM/AVG: the offset of that one's sum,
    /// which this one reads and never updates (`offset` and `nulls` are the twin's).
    pub shares: Option<usize>,
}
