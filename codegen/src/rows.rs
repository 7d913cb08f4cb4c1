//! The driver of a compiled pipeline whose sink is output batches (a Filter/Project/Join
//! chain over a Scan with no Aggregate on top; see `pipeline`).
//!
//! The life of one run: the shared preparation (`driver`: parameters, row groups, join
//! tables) → per row group, call the code with empty output buffers of one batch; the code
//! appends each output row's morsel row and computed values and stops at a row when the
//! buffers are full (`STATUS_GROW`, as a hash aggregate stops to grow); the driver turns the
//! buffers into a batch (computed columns as they are, the columns the pipeline passes
//! through unchanged gathered from the morsel at the listed rows, in any type or encoding)
//! and calls again from that row. Whatever the code cannot take, or an error status, runs
//! the node through the interpreter instead, which then reports errors with exactly the
//! interpreter's messages; so does going over memory_limit in the batches held.

use crate::driver::{Core, GroupColumns};
use crate::jit::{OutValues, OutputBuffers, RunData, Sink};
use crate::pipeline::OutputCol;
use grizzly_ir::{DataType, LogicalPlan, PhysicalType};
use grizzly_runtime::abi::{STATUS_GROW, STATUS_OK};
use grizzly_runtime::exec::aggregate::split;
use grizzly_runtime::exec::batch::Batch;
use grizzly_runtime::exec::kernels::{concat, gather};
use grizzly_runtime::exec::memory::vectors_bytes;
use grizzly_runtime::exec::simple::densify;
use grizzly_runtime::exec::{CompiledPipeline, ExecContext, BATCH_SIZE};
use grizzly_runtime::{Bitmap, Error, Result, Vector, VectorData};

/// A compiled pipeline with an output sink.
pub(crate) struct RowsPipeline {
    core: Core,
    types: Vec<DataType>,
    /// When every column is passed through and no join repeats rows: the scanned slots the
    /// output columns are, selected in place (see [`RowsPipeline::batch`]).
    in_place: Option<Vec<usize>>,
}

impl RowsPipeline {
    pub(crate) fn new(core: Core) -> Result<RowsPipeline> {
        if matches!(core.plan, LogicalPlan::Aggregate { .. }) {
            return Err(Error::Internal("an aggregate as an output pipeline".into()));
        }
        let gathered: Option<Vec<usize>> = (core.layout.outputs.iter())
            .map(|c| match c {
                OutputCol::Gather { slot } => Some(*slot),
                OutputCol::Value { .. } => None,
            })
            .collect();
        let in_place = gathered.filter(|s| !s.is_empty() && core.source.probes() == 0);
        Ok(RowsPipeline {
            types: core.plan.types(),
            in_place,
            core,
        })
    }

    pub(crate) fn fallbacks(&self) -> u64 {
        self.core.fallbacks()
    }

    fn interpret(&self, ctx: &ExecContext) -> Result<Vec<Batch>> {
        let (columns, rows) = self.core.interpret(ctx)?;
        Ok(split(columns, rows))
    }

    /// The compiled run, or `None` where the interpreter has to do it.
    fn try_run(&self, ctx: &ExecContext) -> Result<Option<Vec<Batch>>> {
        let l = &self.core.layout;
        let Some(inputs) = self.core.source.inputs(l, ctx)? else {
            return Ok(None);
        };
        // Room for a batch plus one row's outputs past the mark.
        let capacity = BATCH_SIZE.max(2 * inputs.per_row);
        let grow_at = capacity - inputs.per_row;
        // Named as the interpreter names what a pipeline's consumer collects.
        let mut memory = ctx.memory.reserve("compiled output");
        let mut batches = Vec::new();
        for g in &inputs.groups {
            // One row group is one morsel: the statement may be cancelled between them.
            ctx.cancel.check()?;
            // The scanned columns passed through are gathered.
            let gathered = l.outputs.iter().filter_map(|col| match col {
                OutputCol::Gather { slot } => Some(*slot),
                OutputCol::Value { .. } => None,
            });
            let mut columns = GroupColumns::load(l, g, gathered)?;
            let Some((morsel, passed)) = columns.morsel(l, &inputs.strings, &ctx.params) else {
                return Ok(None);
            };
            let mut start = 0;
            loop {
                let mut out = self.buffers(capacity, grow_at);
                let mut run = RunData {
                    params: &inputs.params,
                    param_nulls: &inputs.param_nulls,
                    sink: Sink::Output(&mut out),
                    key_base: &[],
                    key_stride: &[],
                    key_limit: &[],
                    joins: &inputs.tables,
                    start,
                };
                let (status, resume) = self.core.entry.call(l, &mut run, &morsel)?;
                if out.used > 0 {
                    let batch = self.batch(out, passed)?;
                    // A selection over the morsel's own vectors holds only its indexes.
                    memory.grow(match &batch.sel {
                        Some(sel) => sel.len() * 4,
                        None => vectors_bytes(&batch.columns),
                    })?;
                    batches.push(batch);
                }
                match status {
                    STATUS_OK => break,
                    STATUS_GROW if resume > start => start = resume,
                    _ => return Ok(None),
                }
            }
        }
        // The batches' memory passes to whoever consumes them.
        drop(memory);
        Ok(Some(
            batches
                .into_iter()
                .flat_map(|b| match b.sel {
                    Some(_) => vec![b],
                    None => split(b.columns, b.physical_len),
                })
                .collect(),
        ))
    }

    /// Empty buffers for one batch.
    fn buffers(&self, capacity: usize, grow_at: usize) -> OutputBuffers {
        let mut values = Vec::with_capacity(self.core.layout.outputs.len());
        let mut nulls = Vec::with_capacity(self.core.layout.outputs.len());
        for col in &self.core.layout.outputs {
            let (v, n) = match col {
                OutputCol::Gather { .. } => (OutValues::None, Vec::new()),
                OutputCol::Value { ty, nullable } => (
                    match ty.physical() {
                        PhysicalType::Bool => OutValues::Bool(vec![0; capacity]),
                        PhysicalType::I32 => OutValues::I32(vec![0; capacity]),
                        _ => OutValues::I64(vec![0; capacity]),
                    },
                    if *nullable {
                        vec![0u8; capacity]
                    } else {
                        Vec::new()
                    },
                ),
            };
            values.push(v);
            nulls.push(n);
        }
        OutputBuffers {
            capacity,
            rows: vec![0u32; capacity],
            values,
            nulls,
            used: 0,
            grow_at,
        }
    }

    /// The batch of filled buffers; `passed[slot]` is the morsel's vector of each gathered
    /// column. When every column is gathered and each row written once, in order (no probe),
    /// the batch is the morsel's vectors with the rows as its selection: nothing is copied.
    fn batch(&self, out: OutputBuffers, passed: &[Option<Vector>]) -> Result<Batch> {
        let missing = || Error::Internal("an output column without its data".into());
        let n = out.used;
        if let Some(slots) = &self.in_place {
            let rows = &out.rows[..n];
            // Vectors slice at multiples of 64 rows (validity bitmaps slice by word).
            let (start, end) = (rows[0] as usize / 64 * 64, rows[n - 1] as usize + 1);
            let columns = (slots.iter())
                .map(|s| {
                    let v = passed[*s].as_ref().ok_or_else(missing)?;
                    Ok(v.slice(start, end - start))
                })
                .collect::<Result<Vec<_>>>()?;
            let mut sel = out.rows;
            sel.truncate(n);
            sel.iter_mut().for_each(|r| *r -= start as u32);
            return Ok(Batch {
                columns,
                sel: Some(sel.into()),
                physical_len: end - start,
            });
        }
        let rows = &out.rows[..n];
        let mut columns = Vec::with_capacity(self.core.layout.outputs.len());
        let parts = out.values.into_iter().zip(out.nulls);
        for (col, (values, nulls)) in self.core.layout.outputs.iter().zip(parts) {
            columns.push(match (col, values) {
                (OutputCol::Gather { slot }, _) => {
                    gather(passed[*slot].as_ref().ok_or_else(missing)?, rows)
                }
                (OutputCol::Value { ty, .. }, values) => {
                    let data = match values {
                        OutValues::Bool(v) => VectorData::Bool(trimmed(v, n).into()),
                        OutValues::I32(v) => VectorData::I32(trimmed(v, n).into()),
                        OutValues::I64(v) => VectorData::I64(trimmed(v, n).into()),
                        OutValues::None => return Err(missing()),
                    };
                    let validity = nulls[..n.min(nulls.len())]
                        .contains(&1)
                        .then(|| Bitmap::from_bools(nulls[..n].iter().map(|b| *b == 0)));
                    Vector {
                        ty: *ty,
                        data,
                        validity,
                    }
                }
            });
        }
        Ok(Batch::new(columns, n))
    }
}

/// The first `n` values of `v`, without holding on to much more memory.
fn trimmed<T>(mut v: Vec<T>, n: usize) -> Vec<T> {
    v.truncate(n);
    if n < v.capacity() / 2 {
        v.shrink_to_fit();
    }
    v
}

impl CompiledPipeline for RowsPipeline {
    fn run(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize)> {
        let (batches, _) = self.run_batches(ctx)?;
        let rows = batches.iter().map(Batch::len).sum();
        let columns = (0..self.types.len())
            .map(|c| {
                let parts: Vec<Vector> = (batches.iter())
                    .map(|b| densify(&b.columns[c], b.sel.as_ref()))
                    .collect();
                if parts.is_empty() {
                    Ok(Vector::empty(self.types[c]))
                } else {
                    concat(&parts)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        Ok((columns, rows))
    }

    fn run_reporting(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize, bool)> {
        let native = self.fallbacks();
        let (columns, rows) = self.run(ctx)?;
        Ok((columns, rows, self.fallbacks() == native))
    }

    fn run_batches(&self, ctx: &ExecContext) -> Result<(Vec<Batch>, bool)> {
        match self.try_run(ctx) {
            Ok(Some(batches)) => Ok((batches, true)),
            // Over memory_limit in the batches held: the interpreter streams them instead.
            Ok(None) | Err(Error::ResourceLimit(_)) => {
                self.interpret(ctx).map(|batches| (batches, false))
            }
            Err(e) => Err(e),
        }
    }
}
