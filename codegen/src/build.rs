//! The driver of a compiled pipeline whose sink is a join's hash table (a build side: a
//! Filter/Project/Join chain over a Scan, or the Scan alone; see `pipeline`).
//!
//! The life of one run: the shared preparation (`driver`: parameters, row groups, the build
//! side's own join tables) → empty row arrays (`build_table`), sized for every scanned row
//! when no filter or probe can change the count, else for a first part and, after each row
//! group, for what the rows so far project to → per row group, call the code, which appends
//! each row (key and hash, stored columns, or just its morsel row for what is gathered) and
//! stops at a row when the arrays are full (`STATUS_GROW`: they grow and the code resumes
//! at that row); after each call, gather the scanned columns (and key) of the rows it
//! appended → link every row into the join table in one pass (`JoinTable::link`). Whatever
//! the code cannot take (a NULL in a stored column, data the code was not made for, an
//! error status, the memory limit) leaves the table to the interpreted build, which
//! reports what it reports.

use crate::build_table::BuildTable;
use crate::driver::{Core, GroupColumns};
use crate::jit::{RunData, Sink};
use crate::join_table::JoinTable;
use grizzly_runtime::abi::{JOIN_NONE, STATUS_GROW, STATUS_OK};
use grizzly_runtime::exec::memory::Reservation;
use grizzly_runtime::exec::ExecContext;
use grizzly_runtime::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};

/// Rows a table whose row count is not known in advance starts with (it grows as rows
/// arrive, and after each row group to what the rows so far project to).
const FIRST_ROWS: usize = 1 << 14;

/// A compiled build side.
pub(crate) struct BuildPipeline {
    core: Core,
    /// No filter or probe: the table gets exactly one row per scanned row (less NULL keys).
    exact: bool,
    /// Runs that left the table to the interpreted build.
    fallbacks: AtomicU64,
}

impl BuildPipeline {
    pub(crate) fn new(core: Core, exact: bool) -> BuildPipeline {
        BuildPipeline {
            core,
            exact,
            fallbacks: AtomicU64::new(0),
        }
    }

    pub(crate) fn fallbacks(&self) -> u64 {
        self.fallbacks.load(Ordering::Relaxed) + self.core.source.build_fallbacks()
    }

    /// The join's table, built by the code; `None` where the interpreted build must make it
    /// (counted as a fallback), including when the table passes the memory limit (the
    /// interpreted build then reports the limit if it passes it too). `memory` is the join
    /// build's reservation.
    ///
    /// # Errors
    /// `Cancelled`, or a storage error reading the build side's columns.
    pub(crate) fn table(
        &self,
        ctx: &ExecContext,
        memory: Reservation,
    ) -> Result<Option<JoinTable>> {
        match self.try_build(ctx, memory) {
            Ok(Some(table)) => Ok(Some(table)),
            Ok(None) | Err(Error::ResourceLimit(_)) => {
                self.fallbacks.fetch_add(1, Ordering::Relaxed);
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn try_build(&self, ctx: &ExecContext, memory: Reservation) -> Result<Option<JoinTable>> {
        let l = &self.core.layout;
        let Some(inputs) = self.core.source.inputs(l, ctx)? else {
            return Ok(None);
        };
        let scanned: usize = inputs.groups.iter().map(|g| g.rows).sum();
        // Rows are numbered in `u32`, `JOIN_NONE` excluded.
        let bound = scanned.saturating_mul(inputs.per_row);
        if bound >= JOIN_NONE as usize {
            return Ok(None);
        }
        // Exactly as many rows as scanned, or a first few; after each row group, room for
        // what the rows so far project to (so the arrays seldom stop to grow within a row
        // group, and copy few rows when they do).
        let first = if self.exact {
            bound
        } else {
            bound.min(FIRST_ROWS)
        };
        let mut table = BuildTable::new(first, l, inputs.per_row, memory)?;
        let mut scanned_so_far = 0;
        for g in &inputs.groups {
            if !self.exact && scanned_so_far > 0 {
                let projected = table.used as f64 * scanned as f64 / scanned_so_far as f64;
                table.reserve((projected * 1.25) as usize)?;
            }
            scanned_so_far += g.rows;
            ctx.cancel.check()?;
            let gathered = l.gathered.iter().flatten().chain(&l.gathered_key).copied();
            let mut columns = GroupColumns::load(l, g, gathered)?;
            let Some((morsel, passed)) = columns.morsel(l, &inputs.strings, &ctx.params) else {
                return Ok(None);
            };
            let mut start = 0;
            loop {
                let from = table.used;
                let mut run = RunData {
                    params: &inputs.params,
                    param_nulls: &inputs.param_nulls,
                    sink: Sink::Build(&mut table),
                    key_base: &[],
                    key_stride: &[],
                    key_limit: &[],
                    joins: &inputs.tables,
                    start,
                };
                let called = self.core.entry.call(l, &mut run, &morsel)?;
                if !table.gather(from, passed)? {
                    return Ok(None);
                }
                match called {
                    (STATUS_OK, _) => break,
                    (STATUS_GROW, resume) if resume >= start => {
                        table.grow()?;
                        start = resume;
                    }
                    _ => return Ok(None),
                }
            }
        }
        table.finish().map(Some)
    }
}
