//! Hash join: builds a hash table on the right input (the optimizer puts the smaller side
//! there), then streams the left input through it. Handles inner, left, right, full, semi and
//! anti joins, equi-keys plus an optional residual filter, and cross joins (no keys).
//!
//! NULL keys never match: build rows with a NULL key are kept only to be emitted as unmatched
//! rows of right/full joins; probe rows with a NULL key are unmatched.

use super::batch::{Batch, Selection, BATCH_SIZE};
use super::expr::PhysExpr;
use super::kernels;
use super::keys::{hash_seed, hash_vector, null_vector, values_equal, HashIndex};
use super::operator::{BoxOp, Operator};
use super::simple::collect;
use crate::vector::Vector;
use crate::Result;
use grizzly_ir::{DataType, JoinKind};

pub struct HashJoinOp {
    pub left: BoxOp,
    pub right: Option<BoxOp>,
    pub kind: JoinKind,
    pub left_keys: Vec<PhysExpr>,
    pub right_keys: Vec<PhysExpr>,
    /// Over the combined row: left columns then right columns.
    pub filter: Option<PhysExpr>,
    pub left_types: Vec<DataType>,
    pub right_types: Vec<DataType>,
    build: Option<Build>,
    /// Output waiting to be returned (a probe batch can produce several output batches).
    pending: Vec<Batch>,
    finished_probe: bool,
}

struct Build {
    columns: Vec<Vector>,
    keys: Vec<Vector>,
    rows: usize,
    index: HashIndex,
    /// For right/full joins: build rows that matched at least once.
    matched: Vec<bool>,
}

impl HashJoinOp {
    pub fn new(
        left: BoxOp,
        right: BoxOp,
        kind: JoinKind,
        left_keys: Vec<PhysExpr>,
        right_keys: Vec<PhysExpr>,
        filter: Option<PhysExpr>,
        left_types: Vec<DataType>,
        right_types: Vec<DataType>,
    ) -> HashJoinOp {
        HashJoinOp {
            left,
            right: Some(right),
            kind,
            left_keys,
            right_keys,
            filter,
            left_types,
            right_types,
            build: None,
            pending: Vec::new(),
            finished_probe: false,
        }
    }

    fn build(&mut self) -> Result<()> {
        let right = self.right.take().expect("build runs once");
        let (columns, rows) = collect(right, &self.right_types)?;
        let whole = Batch::new(columns.clone(), rows);
        let keys = self
            .right_keys
            .iter()
            .map(|k| k.eval(&whole))
            .collect::<Result<Vec<_>>>()?;
        let mut index = HashIndex::with_capacity(rows);
        if !keys.is_empty() {
            let mut hashes = hash_seed(rows);
            for k in &keys {
                hash_vector(k, None, &mut hashes);
            }
            for (row, h) in hashes.iter().enumerate() {
                if keys.iter().all(|k| k.is_valid(row)) {
                    index.insert(*h, row as u32);
                }
            }
        }
        let track = matches!(self.kind, JoinKind::Right | JoinKind::Full);
        let matched = if track { vec![false; rows] } else { Vec::new() };
        self.build = Some(Build {
            columns,
            keys,
            rows,
            index,
            matched,
        });
        Ok(())
    }

    /// Candidate pairs (logical probe row, build row) for a probe batch, before the filter.
    fn candidate_pairs(
        &self,
        batch: &Batch,
        start: usize,
        end: usize,
    ) -> Result<(Vec<u32>, Vec<u32>)> {
        let build = self.build.as_ref().expect("built");
        let (mut probe_rows, mut build_rows) = (Vec::new(), Vec::new());
        if self.left_keys.is_empty() {
            for i in start..end {
                for j in 0..build.rows {
                    probe_rows.push(i as u32);
                    build_rows.push(j as u32);
                }
            }
            return Ok((probe_rows, build_rows));
        }
        let keys = self
            .left_keys
            .iter()
            .map(|k| k.eval(batch))
            .collect::<Result<Vec<_>>>()?;
        let n = batch.len();
        let mut hashes = hash_seed(n);
        for k in &keys {
            hash_vector(k, None, &mut hashes);
        }
        for i in start..end {
            if !keys.iter().all(|k| k.is_valid(i)) {
                continue;
            }
            build.index.for_each_match(hashes[i], |j| {
                let j = j as usize;
                if keys
                    .iter()
                    .zip(&build.keys)
                    .all(|(pk, bk)| values_equal(pk, i, bk, j))
                {
                    probe_rows.push(i as u32);
                    build_rows.push(j as u32);
                }
            });
        }
        Ok((probe_rows, build_rows))
    }

    /// The combined batch for pairs: probe columns gathered by probe row, build columns by
    /// build row.
    fn combine(&self, batch: &Batch, probe_rows: &[u32], build_rows: &[u32]) -> Batch {
        let build = self.build.as_ref().expect("built");
        let physical: Vec<u32> = probe_rows
            .iter()
            .map(|&i| batch.row(i as usize) as u32)
            .collect();
        let mut columns: Vec<Vector> = batch
            .columns
            .iter()
            .map(|c| kernels::gather(c, &physical))
            .collect();
        columns.extend(build.columns.iter().map(|c| kernels::gather(c, build_rows)));
        Batch::new(columns, probe_rows.len())
    }

    fn probe(&mut self, batch: Batch) -> Result<()> {
        let n = batch.len();
        // Cross products can be large: probe in slices so that outputs stay near batch size.
        let step = if self.left_keys.is_empty() {
            let rows = self.build.as_ref().map_or(1, |b| b.rows.max(1));
            (BATCH_SIZE / rows).max(1)
        } else {
            n.max(1)
        };
        let mut start = 0;
        while start < n {
            let end = (start + step).min(n);
            self.probe_range(&batch, start, end)?;
            start = end;
        }
        Ok(())
    }

    fn probe_range(&mut self, batch: &Batch, start: usize, end: usize) -> Result<()> {
        let (mut probe_rows, mut build_rows) = self.candidate_pairs(batch, start, end)?;
        let mut combined = None;
        if let Some(filter) = &self.filter {
            if !probe_rows.is_empty() {
                let c = self.combine(batch, &probe_rows, &build_rows);
                let keep: Selection = filter.select(&c)?;
                probe_rows = keep.iter().map(|&k| probe_rows[k as usize]).collect();
                build_rows = keep.iter().map(|&k| build_rows[k as usize]).collect();
                let mut c = c;
                c.sel = Some(keep);
                combined = Some(c);
            }
        }
        if let Some(build) = self.build.as_mut() {
            if !build.matched.is_empty() {
                for &j in &build_rows {
                    build.matched[j as usize] = true;
                }
            }
        }
        let left_width = batch.columns.len();
        match self.kind {
            JoinKind::Inner | JoinKind::Right => {
                if !probe_rows.is_empty() {
                    let out = match combined {
                        Some(c) => c,
                        None => self.combine(batch, &probe_rows, &build_rows),
                    };
                    self.pending.push(out);
                }
            }
            JoinKind::Left | JoinKind::Full => {
                if !probe_rows.is_empty() {
                    let out = match combined {
                        Some(c) => c,
                        None => self.combine(batch, &probe_rows, &build_rows),
                    };
                    self.pending.push(out);
                }
                let unmatched = unmatched_rows(start, end, &probe_rows);
                if !unmatched.is_empty() {
                    let physical: Vec<u32> = unmatched
                        .iter()
                        .map(|&i| batch.row(i as usize) as u32)
                        .collect();
                    let mut columns: Vec<Vector> = batch
                        .columns
                        .iter()
                        .map(|c| kernels::gather(c, &physical))
                        .collect();
                    columns.extend(
                        self.right_types
                            .iter()
                            .map(|t| null_vector(*t, physical.len())),
                    );
                    self.pending.push(Batch::new(columns, physical.len()));
                }
            }
            JoinKind::Semi | JoinKind::Anti => {
                let mut hit = vec![false; end - start];
                for &i in &probe_rows {
                    hit[i as usize - start] = true;
                }
                let want = self.kind == JoinKind::Semi;
                let sel: Selection = (start..end)
                    .filter(|&i| hit[i - start] == want)
                    .map(|i| batch.row(i) as u32)
                    .collect();
                if !sel.is_empty() {
                    let mut out = batch.clone();
                    out.sel = Some(sel);
                    debug_assert_eq!(out.columns.len(), left_width);
                    self.pending.push(out);
                }
            }
        }
        Ok(())
    }

    /// Right/full joins: build rows that never matched, with NULL left columns.
    fn emit_unmatched_build(&mut self) {
        let Some(build) = self.build.as_ref() else {
            return;
        };
        if !matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            return;
        }
        let rows: Vec<u32> = (0..build.rows as u32)
            .filter(|&j| !build.matched[j as usize])
            .collect();
        for chunk in rows.chunks(BATCH_SIZE) {
            let mut columns: Vec<Vector> = self
                .left_types
                .iter()
                .map(|t| null_vector(*t, chunk.len()))
                .collect();
            columns.extend(build.columns.iter().map(|c| kernels::gather(c, chunk)));
            self.pending.push(Batch::new(columns, chunk.len()));
        }
    }
}

/// Logical rows in `start..end` that do not appear in `matched` (ascending).
fn unmatched_rows(start: usize, end: usize, matched: &[u32]) -> Vec<u32> {
    let mut hit = vec![false; end - start];
    for &i in matched {
        hit[i as usize - start] = true;
    }
    (start..end)
        .filter(|&i| !hit[i - start])
        .map(|i| i as u32)
        .collect()
}

impl Operator for HashJoinOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        if self.build.is_none() {
            self.build()?;
        }
        loop {
            if let Some(b) = self.pending.pop() {
                return Ok(Some(b));
            }
            if self.finished_probe {
                return Ok(None);
            }
            match self.left.next()? {
                Some(batch) if !batch.is_empty() => {
                    self.probe(batch)?;
                    self.pending.reverse();
                }
                Some(_) => {}
                None => {
                    self.finished_probe = true;
                    self.emit_unmatched_build();
                    self.pending.reverse();
                }
            }
        }
    }
}
