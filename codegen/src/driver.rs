//! What every compiled pipeline's driver does the same way, whatever its sink: convert the
//! parameters, pick the row groups (zone maps, as the scan does) and check that their
//! columns are what the code reads, make each probed join's table (its build side's build
//! sink, or its build side run and hashed here), and hand each row group to the code as a
//! morsel.

use crate::agg::AggPipeline;
use crate::build::BuildPipeline;
use crate::jit::Entry;
use crate::jit::{ColumnData, MorselData};
use crate::join_table::JoinTable;
use crate::pipeline::match_source;
use crate::pipeline::{ConstSource, Layout, Shape, Stage};
use crate::rows::RowsPipeline;
use crate::strings::{dict_bound, dict_pred_table};
use crate::translate::physical;
use grizzly_ir::{ColumnId, DataType, Expr, LogicalPlan, Value};
use grizzly_runtime::exec::expr::cast_value;
use grizzly_runtime::exec::scan::ZoneFilter;
use grizzly_runtime::exec::simple::{collect, BatchesOp};
use grizzly_runtime::exec::{execute, physical, BoxOp, CompiledPipeline, ExecContext};
use grizzly_runtime::storage::{Encoding, RowGroup};
use grizzly_runtime::{Error, Result, Vector, VectorData};
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

/// A row whose joins can match more build rows than this (in product) is left to the
/// interpreter: the sink must make room for that many outputs (groups, rows) per row.
const MAX_OUTPUTS_PER_ROW: usize = 1 << 20;

/// One compiled pipeline, by its sink.
pub(crate) enum Pipeline {
    Aggregate(Arc<AggPipeline>),
    Rows(Arc<RowsPipeline>),
    /// A join's build side whose code inserts into the join's table.
    Build(Box<BuildPipeline>),
}

impl Pipeline {
    /// Runs handed to the interpreter, its build sides' included.
    pub(crate) fn fallbacks(&self) -> u64 {
        match self {
            Pipeline::Aggregate(p) => p.fallbacks(),
            Pipeline::Rows(p) => p.fallbacks(),
            Pipeline::Build(p) => p.fallbacks(),
        }
    }

    /// The pipeline as the interpreter runs a compiled node (`None`: a build sink, which
    /// only a probing pipeline's driver runs).
    pub(crate) fn shared(&self) -> Option<Arc<dyn CompiledPipeline>> {
        match self {
            Pipeline::Aggregate(p) => Some(p.clone()),
            Pipeline::Rows(p) => Some(p.clone()),
            Pipeline::Build(_) => None,
        }
    }
}

/// What every compiled pipeline's driver holds, whatever its sink.
pub(crate) struct Core {
    pub entry: Entry,
    pub layout: Layout,
    pub source: Source,
    /// The pipeline's top node, run by the interpreter when the compiled code cannot be.
    pub plan: LogicalPlan,
    /// Runs handed to the interpreter.
    fallbacks: AtomicU64,
}

impl Core {
    pub(crate) fn new(
        entry: Entry,
        layout: Layout,
        plan: LogicalPlan,
        builds: Vec<Option<Pipeline>>,
    ) -> Result<Core> {
        let shape = match_source(&plan)
            .ok_or_else(|| Error::Internal("compiled pipeline of no known shape".into()))?;
        Ok(Core {
            entry,
            layout,
            source: Source::new(&shape, builds),
            plan,
            fallbacks: AtomicU64::new(0),
        })
    }

    /// Runs handed to the interpreter, the build sides' pipelines' included.
    pub(crate) fn fallbacks(&self) -> u64 {
        self.fallbacks.load(AtomicOrdering::Relaxed) + self.source.build_fallbacks()
    }

    /// Runs the pipeline's plan in the interpreter (a fallback).
    pub(crate) fn interpret(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize)> {
        self.fallbacks.fetch_add(1, AtomicOrdering::Relaxed);
        execute(&self.plan, &interpreter_context(ctx))
    }
}

/// The scan and joins of one compiled pipeline, as its driver needs them.
pub(crate) struct Source {
    /// The scan's pushed filters and its (table column, output id) pairs, for zone maps.
    scan_filters: Vec<Expr>,
    scan_ids: Vec<(usize, ColumnId)>,
    /// Per probed join (stage order): its build side and build key.
    joins: Vec<(LogicalPlan, Expr)>,
    /// Per probed join: its build side's compiled pipeline, if it has one.
    builds: Vec<Option<Pipeline>>,
}

/// What one run's morsels share.
pub(crate) struct RunInputs<'t> {
    pub params: Vec<i64>,
    pub param_nulls: Vec<u8>,
    /// The string constants' values (`Layout::str_consts`).
    pub strings: Vec<String>,
    /// The row groups the zone maps cannot rule out.
    pub groups: Vec<&'t RowGroup>,
    /// Per probed join: its hash table.
    pub tables: Vec<JoinTable>,
    /// The most outputs one row can make: one per combination of matching build rows.
    pub per_row: usize,
}

impl Source {
    pub(crate) fn new(shape: &Shape<'_>, builds: Vec<Option<Pipeline>>) -> Source {
        Source {
            builds,
            scan_filters: shape.scan_filters.to_vec(),
            scan_ids: shape.scan_columns.iter().map(|(c, f)| (*c, f.id)).collect(),
            joins: (shape.stages.iter())
                .filter_map(|s| match s {
                    Stage::Probe(p) => Some((p.build.clone(), p.build_key.clone())),
                    _ => None,
                })
                .collect(),
        }
    }

    /// Runs of the build sides' pipelines handed to the interpreter.
    pub(crate) fn build_fallbacks(&self) -> u64 {
        self.builds.iter().flatten().map(Pipeline::fallbacks).sum()
    }

    /// How many joins the pipeline probes.
    pub(crate) fn probes(&self) -> usize {
        self.joins.len()
    }

    /// The inputs of a run over the layout's table, or `None` where the interpreter has to
    /// do it.
    pub(crate) fn inputs<'c>(
        &self,
        l: &Layout,
        ctx: &'c ExecContext,
    ) -> Result<Option<RunInputs<'c>>> {
        let Some(table) = ctx.snapshot.table(&l.table) else {
            return Ok(None);
        };
        let mut params = Vec::with_capacity(l.params.len());
        let mut param_nulls = Vec::with_capacity(l.params.len());
        for (index, ty) in &l.params {
            let value = ctx.params.get(*index);
            match value.and_then(|v| physical(v, *ty)) {
                Some(x) => params.push(x),
                // A NULL parameter needs the NULL-aware loop.
                None if l.null_aware && value.is_some_and(Value::is_null) => params.push(0),
                None => return Ok(None),
            }
            param_nulls.push(value.is_some_and(Value::is_null) as u8);
        }
        let mut strings = Vec::with_capacity(l.str_consts.len());
        for sc in &l.str_consts {
            let s = match &sc.value {
                ConstSource::Literal(s) => s.clone(),
                ConstSource::Param(i) => {
                    match ctx.params.get(*i).map(|v| cast_value(v, DataType::Varchar)) {
                        Some(Ok(Value::Varchar(s))) => s,
                        _ => return Ok(None),
                    }
                }
            };
            strings.push(s);
        }
        let zone = self.zone_filters(&ctx.params);
        let groups: Vec<&RowGroup> = table
            .row_groups
            .iter()
            .filter(|g| g.rows > 0 && zone.iter().all(|z| z.may_match(g)))
            .collect();
        for slot in l.slots.iter().filter(|s| s.used) {
            for g in &groups {
                let Some(chunk) = g.columns.get(slot.column) else {
                    return Ok(None);
                };
                let dict_ok = slot.ty != DataType::Varchar || chunk.encoding() == Encoding::Dict;
                if (chunk.zone.null_count != 0 && !slot.nullable) || !dict_ok {
                    return Ok(None);
                }
            }
        }
        let Some(tables) = self.build_joins(l, ctx)? else {
            return Ok(None);
        };
        let per_row = tables
            .iter()
            .try_fold(1usize, |n, t| n.checked_mul(t.max_matches().max(1)))
            .filter(|n| *n <= MAX_OUTPUTS_PER_ROW);
        let Some(per_row) = per_row else {
            return Ok(None);
        };
        Ok(Some(RunInputs {
            params,
            param_nulls,
            strings,
            groups,
            tables,
            per_row,
        }))
    }

    /// The hash tables of the probed joins, their build sides run by the interpreter; `None`
    /// where one cannot be taken by the code (or its build side fails: the interpreter then
    /// runs the node and reports what it reports).
    fn build_joins(&self, l: &Layout, ctx: &ExecContext) -> Result<Option<Vec<JoinTable>>> {
        let mut tables = Vec::with_capacity(self.joins.len());
        for (((build, key), layout), pipeline) in
            (self.joins.iter()).zip(&l.joins).zip(&self.builds)
        {
            // Held under the interpreter's name for a join's build side, so both tiers report
            // a memory limit alike.
            let reserve = || ctx.memory.reserve("hash join build");
            if let Some(Pipeline::Build(p)) = pipeline {
                if let Some(table) = p.table(ctx, reserve())? {
                    tables.push(table);
                    continue;
                }
            }
            let interpreted = interpreter_context(ctx);
            let mut memory = reserve();
            let types: Vec<DataType> = layout.fields.iter().map(|f| f.ty).collect();
            // The build side's own compiled pipeline where it has one (it hands itself to the
            // interpreter where it must), else the interpreter.
            let op: Result<BoxOp> = match pipeline.as_ref().and_then(Pipeline::shared) {
                Some(p) => (p.run_batches(&interpreted)).map(|(batches, _)| {
                    Box::new(BatchesOp {
                        batches: batches.into_iter(),
                    }) as BoxOp
                }),
                None => physical::build(build, &interpreted),
            };
            let built = op.and_then(|op| collect(op, &types, &mut memory));
            let (columns, rows) = match built {
                Ok(out) => out,
                Err(e @ (Error::Cancelled | Error::ResourceLimit(_))) => return Err(e),
                Err(_) => return Ok(None),
            };
            match JoinTable::build(
                columns,
                rows,
                &layout.fields,
                key,
                &layout.used,
                &ctx.params,
                memory,
            )? {
                Some(t) => tables.push(t),
                None => return Ok(None),
            }
        }
        Ok(Some(tables))
    }

    /// The scan's pushed filters of the form `column op constant`, exactly as the
    /// interpreter's scan uses them to skip row groups (so both tiers see the same rows).
    fn zone_filters(&self, params: &[Value]) -> Vec<ZoneFilter> {
        let table_column = |id: ColumnId| {
            self.scan_ids
                .iter()
                .find(|(_, i)| *i == id)
                .map(|(c, _)| *c)
        };
        ZoneFilter::from_filters(&self.scan_filters, &table_column, params)
    }
}

/// A context for the interpreter to run part of `ctx`'s statement: no compiled code or
/// profile applies to the plans a driver hands it (they are its own copies), but the
/// statement's cancel flag and memory budget do.
pub(crate) fn interpreter_context(ctx: &ExecContext) -> ExecContext {
    ExecContext::new(ctx.snapshot.clone(), ctx.params.clone())
        .with_cancel(ctx.cancel.clone())
        .with_memory(ctx.memory.clone())
}

/// The column vectors of row group `g` the code reads (`None` for the others).
pub(crate) fn load_slots(l: &Layout, g: &RowGroup) -> Result<Vec<Option<Vector>>> {
    l.slots
        .iter()
        .map(|s| {
            if s.used {
                g.columns[s.column].load().map(Some)
            } else {
                Ok(None)
            }
        })
        .collect()
}

/// One row group's columns as a driver whose code lists rows (an output or build sink) needs
/// them: those the code reads, and also those the driver gathers at the listed rows.
pub(crate) struct GroupColumns {
    rows: usize,
    /// Per slot: the column if the code reads it ([`load_slots`]).
    read: Vec<Option<Vector>>,
    /// Per slot: the column if the code reads it or the driver gathers it.
    gathered: Vec<Option<Vector>>,
    pred_tables: Vec<Vec<u8>>,
}

impl GroupColumns {
    /// Loads row group `g`'s columns the code reads and those of `slots`, which the driver
    /// gathers.
    pub(crate) fn load(
        l: &Layout,
        g: &RowGroup,
        slots: impl IntoIterator<Item = usize>,
    ) -> Result<GroupColumns> {
        let read = load_slots(l, g)?;
        let mut gathered = read.clone();
        for slot in slots {
            if gathered[slot].is_none() {
                gathered[slot] = Some(g.columns[l.slots[slot].column].load()?);
            }
        }
        Ok(GroupColumns {
            rows: g.rows,
            read,
            gathered,
            pred_tables: Vec::new(),
        })
    }

    /// The morsel for the code ([`morsel`], no dictionary keys) and the columns to gather
    /// from; `None` where the code cannot take the row group.
    pub(crate) fn morsel(
        &mut self,
        l: &Layout,
        strings: &[String],
        params: &[Value],
    ) -> Option<(MorselData<'_>, &[Option<Vector>])> {
        let m = morsel(
            l,
            self.rows,
            &self.read,
            strings,
            &mut self.pred_tables,
            Vec::new(),
            params,
        )?;
        Some((m, &self.gathered))
    }
}

/// The morsel of a row group whose read columns are `vectors` (from [`load_slots`]), with
/// `dict_maps` for a grouped aggregate's dictionary keys; `None` where the code cannot take
/// it. `pred_tables` holds the dictionary predicates' tables the morsel borrows.
pub(crate) fn morsel<'a>(
    l: &Layout,
    rows: usize,
    vectors: &'a [Option<Vector>],
    strings: &[String],
    pred_tables: &'a mut Vec<Vec<u8>>,
    dict_maps: Vec<(&'a [u32], usize)>,
    params: &[Value],
) -> Option<MorselData<'a>> {
    let mut columns = Vec::with_capacity(vectors.len());
    for v in vectors {
        columns.push(match v.as_ref().map(|v| &v.data) {
            None => ColumnData::Unused,
            Some(VectorData::Bool(b)) => ColumnData::Bool(b),
            Some(VectorData::I32(b)) => ColumnData::I32(b),
            Some(VectorData::I64(b)) => ColumnData::I64(b),
            Some(VectorData::Dict { codes, .. }) => ColumnData::Codes(codes),
            Some(_) => return None,
        });
    }
    let dict_of = |slot: usize| match vectors[slot].as_ref().map(|v| &v.data) {
        Some(VectorData::Dict { dict, .. }) => Some(dict),
        _ => None,
    };
    let mut str_consts = Vec::with_capacity(strings.len());
    for (sc, s) in l.str_consts.iter().zip(strings) {
        str_consts.push(dict_bound(dict_of(sc.slot)?, sc.op, s.as_bytes()));
    }
    let mut lengths = Vec::with_capacity(l.dict_preds.len());
    pred_tables.clear();
    for p in &l.dict_preds {
        let dict = dict_of(p.slot)?;
        pred_tables.push(dict_pred_table(p, dict, params)?);
        lengths.push(dict.len());
    }
    let validity = vectors
        .iter()
        .map(|v| {
            v.as_ref()
                .and_then(|v| v.validity.as_ref())
                .map(|b| b.words())
        })
        .collect();
    Some(MorselData {
        rows,
        columns,
        dict_maps,
        str_consts,
        dict_preds: pred_tables
            .iter()
            .zip(lengths)
            .map(|(t, n)| (&t[..], n))
            .collect(),
        validity,
    })
}
