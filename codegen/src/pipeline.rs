//! Which plan subtrees compile, and what a compiled pipeline needs from its driver.
//!
//! Two pipeline shapes compile:
//! ```text
//! Aggregate                 (sink: a single group, or groups direct-indexed or hashed)
//!   Filter | Project | Join (any number, in any order; a Join is an inner equi-join on one
//!                            integer key (and any residual condition), probed by the rows
//!                            coming up from its left input; its right input, the build
//!                            side, is run (as a pipeline of its own if it has one of
//!                            these shapes, else by the interpreter) and hashed by the
//!                            driver)
//!     Scan                  (with its pushed filters)
//!
//! Filter | Project | Join   (the same chain with no Aggregate on top; sink: output batches,
//!   ...                      the top node's columns; at least one filter or probe, else
//!     Scan                   there is little to gain)
//!
//! Filter | Project | Join   (the same chain, or a Scan alone, as a join's build side; sink:
//!   ...                      the join's hash table, inserted into by the code row by row,
//!     Scan                   see [`match_build_shape`])
//! ```
//! [`match_shape`] recognizes them; the translator then decides, expression by expression,
//! whether everything inside is supported, and records the [`Layout`] the driver fills in.

use grizzly_ir::{
    AggFunc, AggregateCall, BinaryOp, ColumnId, DataType, Expr, Field, JoinKind, LogicalPlan,
};

/// An Aggregate (or, with `output`, nothing) over a chain of Filter/Project/Join nodes over
/// a Scan.
pub(crate) struct Shape<'a> {
    pub group_by: &'a [(Expr, Field)],
    pub aggregates: &'a [(AggregateCall, Field)],
    /// An output sink: the chain's top node's columns (no group keys or aggregates then).
    pub output: Option<Vec<Field>>,
    /// A hash-join build sink (no group keys, aggregates or output then).
    pub build: Option<BuildSink<'a>>,
    pub table: &'a str,
    pub scan_columns: &'a [(usize, Field)],
    pub scan_filters: &'a [Expr],
    /// The operators between the scan and the aggregate, bottom-up (scan side first).
    pub stages: Vec<Stage<'a>>,
}

/// What a hash-join build sink inserts: per row, its key and the columns the probing
/// pipeline reads.
pub(crate) struct BuildSink<'a> {
    /// Over the chain's top node's columns.
    pub key: &'a Expr,
    /// The top node's columns.
    pub fields: Vec<Field>,
    /// Per column: the probing pipeline reads it (it is stored).
    pub used: Vec<bool>,
}

pub(crate) enum Stage<'a> {
    Filter(&'a Expr),
    Project(&'a [(Expr, Field)]),
    /// Probe a hash join with each row: one row per matching build row continues.
    Probe(Probe<'a>),
}

/// An inner hash join as a pipeline stage (probe side = the pipeline's rows).
#[derive(Clone, Copy)]
pub(crate) struct Probe<'a> {
    /// The build side (the join's right input), run by its own pipeline or the interpreter.
    pub build: &'a LogicalPlan,
    /// Over the probe side's columns.
    pub probe_key: &'a Expr,
    /// Over the build side's columns.
    pub build_key: &'a Expr,
    /// The join's residual condition over both sides, applied to each matching pair.
    pub filter: Option<&'a Expr>,
}

/// Recognizes the supported pipeline shape rooted at `plan`.
pub(crate) fn match_shape(plan: &LogicalPlan) -> Option<Shape<'_>> {
    match_chain(plan, None, false).filter(|s| s.output.is_none() || s.does_work())
}

/// The scan and stages of a compiled pipeline rooted at `plan` (any of the shapes, a
/// build side's too), as its driver reads them.
pub(crate) fn match_source(plan: &LogicalPlan) -> Option<Shape<'_>> {
    match_chain(plan, None, true)
}

/// Recognizes a join's build side `plan` (a Filter/Project/Join chain over a Scan, or the
/// Scan alone) as a pipeline whose sink inserts each row into the join's hash table on
/// `key`, storing the columns marked `used`; `None` for any other build side (an
/// aggregate's is a pipeline of its own, [`match_shape`]).
pub(crate) fn match_build_shape<'a>(
    plan: &'a LogicalPlan,
    key: &'a Expr,
    used: &[bool],
) -> Option<Shape<'a>> {
    if matches!(plan, LogicalPlan::Aggregate { .. }) {
        return None;
    }
    let fields = plan.fields();
    (fields.len() == used.len()).then_some(())?;
    let sink = BuildSink {
        key,
        fields,
        used: used.to_vec(),
    };
    match_chain(plan, Some(sink), false)
}

/// The shape rooted at `plan`: with `build`, a build sink over `plan`; else an aggregate or
/// an output sink of `plan`'s columns (`scan_alone`: `plan` may be the Scan itself).
fn match_chain<'a>(
    plan: &'a LogicalPlan,
    build: Option<BuildSink<'a>>,
    scan_alone: bool,
) -> Option<Shape<'a>> {
    let (input, group_by, aggregates, output): (&LogicalPlan, _, _, _) = match plan {
        _ if build.is_some() => (plan, &[][..], &[][..], None),
        LogicalPlan::Scan { .. } if scan_alone => (plan, &[][..], &[][..], Some(plan.fields())),
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
        } => (input, &group_by[..], &aggregates[..], None),
        LogicalPlan::Filter { .. } | LogicalPlan::Project { .. } | LogicalPlan::Join { .. } => {
            (plan, &[][..], &[][..], Some(plan.fields()))
        }
        _ => return None,
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
            LogicalPlan::Join {
                left,
                right,
                kind: JoinKind::Inner,
                on,
                filter,
            } if on.len() == 1 => {
                stages.push(Stage::Probe(Probe {
                    build: right,
                    probe_key: &on[0].0,
                    build_key: &on[0].1,
                    filter: filter.as_ref(),
                }));
                node = left;
            }
            LogicalPlan::Scan {
                table,
                columns,
                filters,
            } => {
                stages.reverse();
                let shape = Shape {
                    group_by,
                    aggregates,
                    output,
                    build,
                    table,
                    scan_columns: columns,
                    scan_filters: filters,
                    stages,
                };
                return Some(shape);
            }
            _ => return None,
        }
    }
}

impl Shape<'_> {
    /// The pipeline filters or probes (an output pipeline that only computes columns saves
    /// little over the vectorized interpreter and would hold all its rows at once).
    fn does_work(&self) -> bool {
        !self.scan_filters.is_empty()
            || (self.stages.iter()).any(|s| matches!(s, Stage::Filter(_) | Stage::Probe(_)))
    }

    /// Every scanned row reaches the sink once (no filter or probe can drop or repeat one).
    pub(crate) fn keeps_every_row(&self) -> bool {
        self.scan_filters.is_empty() && self.stages.iter().all(|s| matches!(s, Stage::Project(_)))
    }

    /// The code stops at a row when its sink must grow first (hash table, output buffers).
    pub(crate) fn grows(&self) -> bool {
        !self.group_by.is_empty() || self.output.is_some() || self.build.is_some()
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
            Stage::Probe(_) => "probe hash join".to_string(),
        });
    }
    let sink = if let Some(b) = &shape.build {
        let stored = b.used.iter().filter(|u| **u).count();
        format!("hash-join build ({stored} stored column(s))")
    } else if let Some(fields) = &shape.output {
        format!("output {} column(s)", fields.len())
    } else if shape.group_by.is_empty() {
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
    /// An output sink's columns, in output order.
    pub outputs: Vec<OutputCol>,
    /// A hash-join build sink's columns: per build column, the type it is stored as
    /// (`PipelineCtx::out_values`), `None` where it is not stored.
    pub stored: Vec<Option<DataType>>,
    /// Per build column: the scanned slot it is gathered from by the driver (at the rows
    /// `PipelineCtx::out_rows` lists) instead of written by the code.
    pub gathered: Vec<Option<usize>>,
    /// The scanned slot a hash-join build sink's key is gathered from by the driver (a
    /// NOT NULL scanned column), which also hashes it; `None`: the code computes and hashes it.
    pub gathered_key: Option<usize>,
    /// The hash joins probed, in stage order (`PipelineCtx::joins`).
    pub joins: Vec<JoinLayout>,
    /// The code has a NULL-aware loop (the schema allows NULLs in a scanned column); without
    /// one, NULLs in a column read or a NULL parameter are left to the interpreter.
    pub null_aware: bool,
    /// Bytes of state per group slot (a multiple of 16). Offset 0 holds the slot's row
    /// count (`i64`); the NULL counts of the aggregates come after the accumulators.
    pub stride: usize,
}

impl Layout {
    /// The layout before translation: the table's scanned slots, nothing read yet.
    pub(crate) fn new(table: &str, slots: Vec<ColumnSlot>, null_aware: bool) -> Layout {
        Layout {
            table: table.to_string(),
            slots,
            params: Vec::new(),
            str_consts: Vec::new(),
            dict_preds: Vec::new(),
            keys: Vec::new(),
            aggs: Vec::new(),
            outputs: Vec::new(),
            stored: Vec::new(),
            gathered: Vec::new(),
            gathered_key: None,
            joins: Vec::new(),
            null_aware,
            stride: 0,
        }
    }
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

/// What the code reads of one probed hash join's build side.
#[derive(Debug, Clone)]
pub(crate) struct JoinLayout {
    /// The build side's output columns.
    pub fields: Vec<Field>,
    /// Per build column: the code reads its values (`JoinCtx::payload`).
    pub used: Vec<bool>,
}

#[derive(Debug, Clone)]
pub(crate) struct KeyLayout {
    /// The scanned column slot of a key read from the scan.
    pub slot: usize,
    /// A key read from a build side instead: (join, build column).
    pub build: Option<(usize, usize)>,
    pub ty: DataType,
    /// Dictionary codes mapped to global ids (else an integer range `base..base+limit`).
    pub dict: bool,
    /// The key column may hold NULLs: index `limit` of the key is its NULL group.
    pub nullable: bool,
}

/// One column of an output sink.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum OutputCol {
    /// A scanned column passed through unchanged: the driver gathers it (any type or
    /// encoding) at the rows `PipelineCtx::out_rows` lists.
    Gather { slot: usize },
    /// A value the code writes (`PipelineCtx::out_values`, and `out_nulls` if nullable).
    Value { ty: DataType, nullable: bool },
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
