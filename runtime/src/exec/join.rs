//! Hash join: builds a hash table on the right input (the optimizer puts the smaller side
//! there), then streams the left input through it. Handles inner, left, right, full, semi and
//! anti joins, equi-keys plus an optional residual filter, and cross joins (no keys). Semi
//! and anti joins read both inputs alternately and build on the one that ends first.
//!
//! Integer keys (one or more columns of I32/I64 physical type) are packed into one `i64` per
//! row ([`IntPacker`], over the build side's value ranges) and indexed by an [`IntMultiMap`];
//! other keys are hashed into a [`HashIndex`] and compared value by value. A probe batch's
//! keys are packed or hashed once (`Build::prepare`).
//!
//! NULL keys never match: build rows with a NULL key are kept only to be emitted as unmatched
//! rows of right/full joins; probe rows with a NULL key are unmatched.

use super::batch::{Batch, Selection, BATCH_SIZE};
use super::expr::PhysExpr;
use super::kernels;
use super::keys::{
    hash_seed, hash_vector, null_vector, values_equal, HashIndex, IntMultiMap, IntPacker,
};
use super::memory::{unshared_bytes, vectors_bytes, MemoryBudget, Reservation};
use super::operator::{BoxOp, Operator};
use super::simple::{collect, BatchesOp};
use crate::vector::Vector;
use crate::Result;
use grizzly_ir::{DataType, JoinKind, PhysicalType};

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
    /// Every key pair is of one integer type (I32 or I64): the table may pack them into
    /// one integer per row ([`IntPacker`]).
    int_keys: bool,
    build: Option<Build>,
    /// Output waiting to be returned (a probe batch can produce several output batches).
    pending: Vec<Batch>,
    finished_probe: bool,
    /// The build side (rows, keys, table) and batches read ahead (`start`), until dropped.
    memory: Reservation,
}

/// A hashed side: its rows, key values and index.
struct Build {
    columns: Vec<Vector>,
    keys: Vec<Vector>,
    rows: usize,
    table: Table,
    /// For right/full joins (and semi/anti joins built on the left): rows that matched at
    /// least once.
    matched: Vec<bool>,
}

enum Table {
    /// No keys: a cross join.
    Cross,
    Hash(HashIndex),
    Int(IntMultiMap, IntPacker),
}

impl Build {
    fn new(columns: Vec<Vector>, rows: usize, key_exprs: &[PhysExpr], int: bool) -> Result<Build> {
        let whole = Batch::new(columns.clone(), rows);
        let keys = key_exprs
            .iter()
            .map(|k| k.eval(&whole))
            .collect::<Result<Vec<_>>>()?;
        let packer = if int {
            IntPacker::for_build(&keys, rows)
        } else {
            None
        };
        let table = if keys.is_empty() {
            Table::Cross
        } else if let Some(packer) = packer {
            let (mut packed, mut valid) = (Vec::new(), Vec::new());
            packer.pack(&keys, rows, &mut packed, &mut valid);
            Table::Int(IntMultiMap::build(&packed, &valid), packer)
        } else {
            let mut index = HashIndex::with_capacity(rows);
            let mut hashes = hash_seed(rows);
            for k in &keys {
                hash_vector(k, None, &mut hashes);
            }
            for (row, h) in hashes.iter().enumerate() {
                if keys.iter().all(|k| k.is_valid(row)) {
                    index.insert(*h, row as u32);
                }
            }
            Table::Hash(index)
        };
        Ok(Build {
            columns,
            keys,
            rows,
            table,
            matched: Vec::new(),
        })
    }

    /// Bytes held besides `columns` (counted as they were collected): key values that are
    /// not columns, the table and the match flags.
    fn extra_bytes(&self) -> usize {
        let keys: usize = self
            .keys
            .iter()
            .map(|k| unshared_bytes(k, &self.columns))
            .sum();
        let table = match &self.table {
            Table::Cross => 0,
            Table::Hash(index) => index.heap_bytes(),
            Table::Int(map, _) => map.heap_bytes(),
        };
        keys + table + self.matched.capacity()
    }

    /// Prepares the key values of a probe batch of `n` rows for [`Build::pairs`]: packed
    /// for an integer table, hashed for a general one (once per batch, however many ranges
    /// of it are then probed).
    fn prepare(&self, keys: Vec<Vector>, n: usize) -> ProbeKeys {
        let mut probe = ProbeKeys {
            keys,
            packed: Vec::new(),
            valid: Vec::new(),
            hashes: Vec::new(),
        };
        match &self.table {
            Table::Cross => {}
            Table::Int(_, packer) => {
                packer.pack(&probe.keys, n, &mut probe.packed, &mut probe.valid);
            }
            Table::Hash(_) => {
                probe.hashes = hash_seed(n);
                for k in &probe.keys {
                    hash_vector(k, None, &mut probe.hashes);
                }
            }
        }
        probe
    }

    /// Appends the equal-key pairs (probe row, build row) for logical probe rows
    /// `start..end` of the batch `probe` was prepared from. With `skip_matched`, build rows
    /// already marked matched are left out.
    fn pairs(
        &self,
        probe: &ProbeKeys,
        start: usize,
        end: usize,
        skip_matched: bool,
        probe_rows: &mut Vec<u32>,
        build_rows: &mut Vec<u32>,
    ) {
        let skip = |j: u32| skip_matched && self.matched[j as usize];
        match &self.table {
            Table::Cross => {
                for i in start..end {
                    for j in 0..self.rows as u32 {
                        if !skip(j) {
                            probe_rows.push(i as u32);
                            build_rows.push(j);
                        }
                    }
                }
            }
            Table::Int(map, _) => {
                map.for_each_match(&probe.packed, &probe.valid, start, end, |i, j| {
                    if !skip(j) {
                        probe_rows.push(i as u32);
                        build_rows.push(j);
                    }
                });
            }
            Table::Hash(index) => {
                let (probe_keys, hashes) = (&probe.keys, &probe.hashes);
                for (i, &h) in hashes.iter().enumerate().take(end).skip(start) {
                    if !probe_keys.iter().all(|k| k.is_valid(i)) {
                        continue;
                    }
                    index.for_each_match(h, |j| {
                        if !skip(j)
                            && probe_keys
                                .iter()
                                .zip(&self.keys)
                                .all(|(pk, bk)| values_equal(pk, i, bk, j as usize))
                        {
                            probe_rows.push(i as u32);
                            build_rows.push(j);
                        }
                    });
                }
            }
        }
    }
}

/// The key values of one probe batch, prepared for a [`Build`]'s table.
struct ProbeKeys {
    keys: Vec<Vector>,
    /// Integer tables: packed keys and whether each row can match (empty: all can).
    packed: Vec<i64>,
    valid: Vec<bool>,
    /// General tables: the hash of each row's keys.
    hashes: Vec<u64>,
}

/// Rows `rows` of dense `columns` as one dense batch per BATCH_SIZE rows.
fn gather_batches(columns: &[Vector], rows: &[u32], out: &mut Vec<Batch>) {
    for chunk in rows.chunks(BATCH_SIZE) {
        let cols = columns.iter().map(|c| kernels::gather(c, chunk)).collect();
        out.push(Batch::new(cols, chunk.len()));
    }
}

impl HashJoinOp {
    #[allow(clippy::too_many_arguments)]
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
        let lt: Vec<DataType> = left_keys.iter().map(PhysExpr::data_type).collect();
        let rt: Vec<DataType> = right_keys.iter().map(PhysExpr::data_type).collect();
        let int = |t: &DataType| matches!(t.physical(), PhysicalType::I32 | PhysicalType::I64);
        let int_keys = lt
            .iter()
            .zip(&rt)
            .all(|(a, b)| int(a) && a.physical() == b.physical());
        HashJoinOp {
            left,
            right: Some(right),
            kind,
            left_keys,
            right_keys,
            filter,
            left_types,
            right_types,
            int_keys,
            build: None,
            pending: Vec::new(),
            finished_probe: false,
            memory: MemoryBudget::unlimited().reserve("hash join build"),
        }
    }

    /// Counts what the join holds in the statement's `memory` budget.
    pub fn with_memory(mut self, memory: &MemoryBudget) -> HashJoinOp {
        self.memory = memory.reserve("hash join build");
        self
    }

    /// Builds the hash table. Semi and anti joins with keys read both sides alternately (next
    /// from the side with fewer rows read so far) until one ends: the table goes on that,
    /// the smaller, side and the other streams through it ([`HashJoinOp::semi_anti_build_left`]
    /// when the left side ended first), so neither a big left nor a big right side is ever
    /// materialized.
    fn start(&mut self) -> Result<()> {
        let right = self.right.take().expect("build runs once");
        if !matches!(self.kind, JoinKind::Semi | JoinKind::Anti) || self.left_keys.is_empty() {
            return self.build_right(right);
        }
        let mut right = right;
        let (mut left_batches, mut right_batches) = (Vec::new(), Vec::new());
        let (mut left_rows, mut right_rows) = (0, 0);
        let (mut left_bytes, mut right_bytes) = (0, 0);
        let left_ended = loop {
            if left_rows <= right_rows {
                match self.left.next()? {
                    Some(b) if !b.is_empty() => {
                        left_rows += b.len();
                        left_bytes += vectors_bytes(&b.columns);
                        self.memory.grow(vectors_bytes(&b.columns))?;
                        left_batches.push(b);
                    }
                    Some(_) => {}
                    None => break true,
                }
            } else {
                match right.next()? {
                    Some(b) if !b.is_empty() => {
                        right_rows += b.len();
                        right_bytes += vectors_bytes(&b.columns);
                        self.memory.grow(vectors_bytes(&b.columns))?;
                        right_batches.push(b);
                    }
                    Some(_) => {}
                    None => break false,
                }
            }
        };
        // The side the table goes on is counted again as it is collected.
        self.memory
            .shrink(if left_ended { left_bytes } else { right_bytes });
        if !left_ended {
            self.build_right(Box::new(BatchesOp {
                batches: right_batches.into_iter(),
            }))?;
            let rest = std::mem::replace(
                &mut self.left,
                Box::new(BatchesOp {
                    batches: Vec::new().into_iter(),
                }),
            );
            self.left = Box::new(Prefixed {
                queued: left_batches.into_iter(),
                rest,
            });
        } else if left_rows == 0 {
            self.finished_probe = true;
        } else {
            self.semi_anti_build_left(left_batches, right_batches, right)?;
        }
        Ok(())
    }

    fn build_right(&mut self, right: BoxOp) -> Result<()> {
        let (columns, rows) = collect(right, &self.right_types, &mut self.memory)?;
        let mut build = Build::new(columns, rows, &self.right_keys, self.int_keys)?;
        if matches!(self.kind, JoinKind::Right | JoinKind::Full) {
            build.matched = vec![false; rows];
        }
        self.memory.grow(build.extra_bytes())?;
        self.build = Some(build);
        Ok(())
    }

    /// Semi/anti join with the table on the left rows: marks each left row that has a
    /// right row with equal keys (passing the filter), then emits the matched (semi) or
    /// unmatched (anti) left rows in their original order.
    fn semi_anti_build_left(
        &mut self,
        left_batches: Vec<Batch>,
        right_batches: Vec<Batch>,
        mut right: BoxOp,
    ) -> Result<()> {
        let (columns, rows) = collect(
            Box::new(BatchesOp {
                batches: left_batches.into_iter(),
            }),
            &self.left_types,
            &mut self.memory,
        )?;
        let mut build = Build::new(columns, rows, &self.left_keys, self.int_keys)?;
        build.matched = vec![false; rows];
        self.memory.grow(build.extra_bytes())?;
        // Left rows that can match at all (no NULL key): when all have matched, the rest of
        // the right side cannot change the result.
        let matchable = (0..rows)
            .filter(|&r| build.keys.iter().all(|k| k.is_valid(r)))
            .count();
        let mut matched = 0;
        let mut queued = right_batches.into_iter();
        while matched < matchable {
            let batch = match queued.next() {
                Some(b) => b,
                None => match right.next()? {
                    Some(b) => b,
                    None => break,
                },
            };
            if batch.is_empty() {
                continue;
            }
            matched += self.mark_left_matches(&mut build, &batch)?;
        }
        let want = self.kind == JoinKind::Semi;
        let out: Vec<u32> = (0..rows as u32)
            .filter(|&r| build.matched[r as usize] == want)
            .collect();
        gather_batches(&build.columns, &out, &mut self.pending);
        self.pending.reverse();
        self.finished_probe = true;
        Ok(())
    }

    /// Marks the left rows of `build` matched by right rows of `batch`; returns how many
    /// became matched.
    fn mark_left_matches(&self, build: &mut Build, batch: &Batch) -> Result<usize> {
        let n = batch.len();
        let keys = self
            .right_keys
            .iter()
            .map(|k| k.eval(batch))
            .collect::<Result<Vec<_>>>()?;
        let keys = build.prepare(keys, n);
        let (mut right_rows, mut left_rows) = (Vec::new(), Vec::new());
        let mut newly = 0;
        // Bounded chunks keep the filter's pair batches near batch size.
        let step = if self.filter.is_some() { 256 } else { n };
        let mut start = 0;
        while start < n {
            let end = (start + step).min(n);
            right_rows.clear();
            left_rows.clear();
            build.pairs(&keys, start, end, true, &mut right_rows, &mut left_rows);
            start = end;
            if left_rows.is_empty() {
                continue;
            }
            let hits: Vec<u32> = match &self.filter {
                None => left_rows.clone(),
                Some(filter) => {
                    let physical: Vec<u32> = right_rows
                        .iter()
                        .map(|&i| batch.row(i as usize) as u32)
                        .collect();
                    let mut columns: Vec<Vector> = build
                        .columns
                        .iter()
                        .map(|c| kernels::gather(c, &left_rows))
                        .collect();
                    columns.extend(batch.columns.iter().map(|c| kernels::gather(c, &physical)));
                    let combined = Batch::new(columns, left_rows.len());
                    let keep: Selection = filter.select(&combined)?;
                    keep.iter().map(|&k| left_rows[k as usize]).collect()
                }
            };
            for j in hits {
                let m = &mut build.matched[j as usize];
                if !*m {
                    *m = true;
                    newly += 1;
                }
            }
        }
        Ok(newly)
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
        let keys = self
            .left_keys
            .iter()
            .map(|k| k.eval(batch))
            .collect::<Result<Vec<_>>>()?;
        let keys = build.prepare(keys, batch.len());
        build.pairs(&keys, start, end, false, &mut probe_rows, &mut build_rows);
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

/// Batches already read from an input, then the rest of that input.
struct Prefixed {
    queued: std::vec::IntoIter<Batch>,
    rest: BoxOp,
}

impl Operator for Prefixed {
    fn next(&mut self) -> Result<Option<Batch>> {
        match self.queued.next() {
            Some(b) => Ok(Some(b)),
            None => self.rest.next(),
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
        if self.right.is_some() {
            self.start()?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_ir::{BinaryOp, ColumnId, Expr, Value};

    type Row = Vec<Option<i64>>;

    /// Batches of at most `per` rows; each has a junk first physical row hidden by a
    /// selection, so logical and physical rows differ.
    fn source(rows: &[Row], ty: DataType, per: usize) -> BoxOp {
        let mut batches = Vec::new();
        for chunk in rows.chunks(per.max(1)) {
            let width = chunk[0].len();
            let columns = (0..width)
                .map(|c| {
                    let mut vals = vec![Value::Null];
                    vals.extend(chunk.iter().map(|r| match r[c] {
                        Some(x) if ty == DataType::Varchar => Value::Varchar(format!("k{x}")),
                        Some(x) => Value::Int64(x),
                        None => Value::Null,
                    }));
                    Vector::from_values(ty, &vals).unwrap()
                })
                .collect();
            let mut b = Batch::new(columns, chunk.len() + 1);
            b.sel = Some((1..=chunk.len() as u32).collect());
            batches.push(b);
        }
        Box::new(BatchesOp {
            batches: batches.into_iter(),
        })
    }

    fn value(v: Value) -> Option<i64> {
        match v {
            Value::Null => None,
            Value::Int64(x) => Some(x),
            Value::Varchar(s) => Some(s[1..].parse().unwrap()),
            other => panic!("{other:?}"),
        }
    }

    fn run(
        kind: JoinKind,
        left: &[Row],
        right: &[Row],
        ty: DataType,
        with_filter: bool,
        per: usize,
    ) -> Vec<Row> {
        let col = |i: u32| Expr::column(ColumnId(i), ty);
        let layout = |id: ColumnId| Some(id.0 as usize);
        let key = |i| PhysExpr::new(&col(i), &layout, &[]).unwrap();
        // Filter over left (0, 1) then right (2, 3): left payload <> right payload.
        let filter = with_filter.then(|| {
            let e = Expr::binary(BinaryOp::NotEq, col(1), col(3), DataType::Boolean);
            PhysExpr::new(&e, &layout, &[]).unwrap()
        });
        let (lw, rw) = (2, 2);
        let mut op = HashJoinOp::new(
            source(left, ty, per),
            source(right, ty, per),
            kind,
            vec![key(0)],
            vec![key(0)],
            filter,
            vec![ty; lw],
            vec![ty; rw],
        );
        if left.is_empty() {
            op.left = Box::new(BatchesOp {
                batches: Vec::new().into_iter(),
            });
        }
        if right.is_empty() {
            op.right = Some(Box::new(BatchesOp {
                batches: Vec::new().into_iter(),
            }));
        }
        let mut out = Vec::new();
        while let Some(b) = op.next().unwrap() {
            for i in 0..b.len() {
                let r = b.row(i);
                out.push(b.columns.iter().map(|c| value(c.get(r))).collect());
            }
        }
        out
    }

    /// Nested-loop reference.
    fn reference(kind: JoinKind, left: &[Row], right: &[Row], with_filter: bool) -> Vec<Row> {
        let pass = |l: &Row, r: &Row| {
            l[0].is_some()
                && l[0] == r[0]
                && (!with_filter || matches!((l[1], r[1]), (Some(a), Some(b)) if a != b))
        };
        let mut out = Vec::new();
        let mut right_hit = vec![false; right.len()];
        for l in left {
            let mut hit = false;
            for (j, r) in right.iter().enumerate() {
                if pass(l, r) {
                    hit = true;
                    right_hit[j] = true;
                    if matches!(
                        kind,
                        JoinKind::Inner | JoinKind::Left | JoinKind::Right | JoinKind::Full
                    ) {
                        out.push(l.iter().chain(r).copied().collect());
                    }
                }
            }
            match kind {
                JoinKind::Semi if hit => out.push(l.clone()),
                JoinKind::Anti if !hit => out.push(l.clone()),
                JoinKind::Left | JoinKind::Full if !hit => {
                    out.push(l.iter().copied().chain([None, None]).collect())
                }
                _ => {}
            }
        }
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            for (j, r) in right.iter().enumerate() {
                if !right_hit[j] {
                    out.push([None, None].into_iter().chain(r.iter().copied()).collect());
                }
            }
        }
        out
    }

    fn rows(n: usize, keys: i64, seed: u64) -> Vec<Row> {
        let mut x = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut next = move || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as i64
        };
        (0..n)
            .map(|_| {
                let k = next() % (keys + 1);
                let p = next() % 4;
                vec![(k != keys).then_some(k), (p != 3).then_some(p)]
            })
            .collect()
    }

    #[test]
    fn semi_anti_match_reference_in_both_build_modes() {
        for ty in [DataType::Int64, DataType::Varchar] {
            for (ln, rn) in [
                (0, 50),
                (50, 0),
                (0, 0),
                (5, 400),
                (400, 5),
                (60, 60),
                (300, 2000),
            ] {
                for filter in [false, true] {
                    for kind in [JoinKind::Semi, JoinKind::Anti] {
                        let l = rows(ln, 20, ln as u64 + 1);
                        let r = rows(rn, 20, rn as u64 + 7);
                        let got = run(kind, &l, &r, ty, filter, 37);
                        let want = reference(kind, &l, &r, filter);
                        assert_eq!(got, want, "{kind:?} {ty:?} filter={filter} {ln}x{rn}");
                    }
                }
            }
        }
    }

    #[test]
    fn other_joins_match_reference() {
        for ty in [DataType::Int64, DataType::Varchar] {
            for (ln, rn) in [(0, 30), (30, 0), (40, 300), (300, 40)] {
                for filter in [false, true] {
                    for kind in [
                        JoinKind::Inner,
                        JoinKind::Left,
                        JoinKind::Right,
                        JoinKind::Full,
                    ] {
                        let l = rows(ln, 15, ln as u64 + 3);
                        let r = rows(rn, 15, rn as u64 + 5);
                        let mut got = run(kind, &l, &r, ty, filter, 50);
                        let mut want = reference(kind, &l, &r, filter);
                        got.sort();
                        want.sort();
                        assert_eq!(got, want, "{kind:?} {ty:?} filter={filter} {ln}x{rn}");
                    }
                }
            }
        }
    }
}
