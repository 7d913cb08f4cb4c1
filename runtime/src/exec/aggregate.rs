//! Hash aggregation: groups rows by key columns (NULLs group together) and updates typed
//! aggregate states with one tight loop per aggregate and batch.
//!
//! With no GROUP BY keys there is exactly one group, even for empty input (so `count(*)` of
//! an empty table is 0 and `sum` is NULL). Aggregates with an ORDER BY (`string_agg(x, ','
//! ORDER BY y)`, `percentile_disc`, `mode`) keep their input rows and aggregate them in order
//! at the end ([`ordered`]).

mod ordered;

use super::batch::{Batch, BATCH_SIZE};
use super::expr::PhysExpr;
use super::kernels;
use super::keys::{hash_seed, hash_vector, str_at, HashIndex, IntKeyIndex, KeyStore};
use super::memory::{emit, vector_bytes, vectors_bytes, MemoryBudget, Reservation};
use super::operator::{BoxOp, Operator};
use super::sort::SortKeySpec;
use crate::vector::{Bitmap, Vector, VectorData};
use crate::{exec_err, Result};
use grizzly_ir::{AggFunc, DataType};
use std::collections::HashSet;

/// One aggregate of an [`AggregateOp`].
pub struct AggSpec {
    pub func: AggFunc,
    pub arg: Option<PhysExpr>,
    pub distinct: bool,
    pub ty: DataType,
    /// Constant parameters (see [`AggFunc`]).
    pub params: Vec<grizzly_ir::Value>,
    /// The order in which each group's rows reach the aggregate (empty: any order).
    pub order: Vec<SortKeySpec>,
}

pub struct AggregateOp {
    input: Option<BoxOp>,
    keys: Vec<PhysExpr>,
    key_types: Vec<DataType>,
    aggs: Vec<AggSpec>,
    output: std::vec::IntoIter<Batch>,
    /// The groups and aggregate states while reading the input; then the output not yet
    /// emitted.
    memory: Reservation,
}

impl AggregateOp {
    pub fn new(
        input: BoxOp,
        keys: Vec<PhysExpr>,
        aggs: Vec<AggSpec>,
        memory: &MemoryBudget,
    ) -> AggregateOp {
        let key_types = keys.iter().map(PhysExpr::data_type).collect();
        AggregateOp {
            input: Some(input),
            keys,
            key_types,
            aggs,
            output: Vec::new().into_iter(),
            memory: memory.reserve("hash aggregate"),
        }
    }

    fn run(&mut self, mut input: BoxOp) -> Result<Vec<Batch>> {
        let mut groups = Groups::new(&self.key_types);
        let mut accs: Vec<Acc> = self.aggs.iter().map(Acc::new).collect::<Result<_>>()?;
        let mut seen: Vec<HashSet<(u32, DistinctKey)>> =
            self.aggs.iter().map(|_| HashSet::new()).collect();
        if self.keys.is_empty() {
            groups.count = 1;
        }
        // Bytes of values of varying size the aggregates keep (strings, DISTINCT sets).
        let mut kept_bytes = 0isize;
        let mut gids = Vec::new();
        while let Some(batch) = input.next()? {
            if batch.is_empty() {
                continue;
            }
            let n = batch.len();
            if self.keys.is_empty() {
                gids.clear();
                gids.resize(n, 0u32);
            } else {
                let keys = self
                    .keys
                    .iter()
                    .map(|k| k.eval(&batch))
                    .collect::<Result<Vec<_>>>()?;
                groups.lookup(&keys, n, &mut gids);
            }
            for (a, spec) in self.aggs.iter().enumerate() {
                let arg = match &spec.arg {
                    Some(e) => Some(e.eval(&batch)?),
                    None => None,
                };
                let order = spec
                    .order
                    .iter()
                    .map(|k| k.expr.eval(&batch))
                    .collect::<Result<Vec<_>>>()?;
                if spec.distinct {
                    let arg = arg.expect("distinct aggregates have an argument");
                    let keep: Vec<u32> = (0..n)
                        .filter(|&i| {
                            arg.is_valid(i) && seen[a].insert((gids[i], DistinctKey::of(&arg, i)))
                        })
                        .map(|i| i as u32)
                        .collect();
                    let sub_gids: Vec<u32> = keep.iter().map(|&i| gids[i as usize]).collect();
                    let sub = kernels::gather(&arg, &keep);
                    // A set entry per kept value, plus its bytes for strings.
                    kept_bytes += (keep.len() * DISTINCT_ENTRY_BYTES) as isize;
                    if matches!(sub.data, VectorData::Str(_)) {
                        kept_bytes += vector_bytes(&sub) as isize;
                    }
                    let order = order.iter().map(|k| kernels::gather(k, &keep)).collect();
                    kept_bytes += accs[a].add(Some(sub), order, &sub_gids, groups.count)?;
                } else {
                    kept_bytes += accs[a].add(arg, order, &gids, groups.count)?;
                }
            }
            let states: usize = accs.iter().map(Acc::heap_bytes).sum();
            self.memory
                .resize(groups.heap_bytes() + states + kept_bytes.max(0) as usize)?;
        }
        let rows = groups.count;
        let mut columns = groups.finish();
        for (acc, spec) in accs.into_iter().zip(&self.aggs) {
            columns.push(acc.finish(spec, rows)?);
        }
        drop(seen);
        self.memory.resize(vectors_bytes(&columns))?;
        Ok(split(columns, rows))
    }
}

/// Estimated bytes of one entry of a DISTINCT aggregate's set of (group, value) pairs.
const DISTINCT_ENTRY_BYTES: usize = 48;

/// What one aggregate accumulates: a state updated batch by batch, or (for an aggregate
/// with an ORDER BY) its input rows, aggregated in order at the end.
enum Acc {
    Direct(State),
    Ordered(ordered::OrderedInput),
}

impl Acc {
    fn new(spec: &AggSpec) -> Result<Acc> {
        Ok(if ordered::needs_order(spec) {
            Acc::Ordered(ordered::OrderedInput::default())
        } else {
            Acc::Direct(State::new(spec)?)
        })
    }

    /// Adds rows: row `i` of `arg` (and of the ORDER BY key vectors `order`) belongs to group
    /// `gids[i]`; `groups` groups exist so far.
    /// Returns by how many bytes the values of varying size kept per group grew (see
    /// [`State::update`]).
    fn add(
        &mut self,
        arg: Option<Vector>,
        order: Vec<Vector>,
        gids: &[u32],
        groups: usize,
    ) -> Result<isize> {
        match self {
            Acc::Direct(s) => {
                s.resize(groups);
                s.update(arg.as_ref(), gids)
            }
            Acc::Ordered(o) => o.push(arg, order, gids).map(|()| 0),
        }
    }

    /// Bytes of the per-group arrays, or of the rows kept by an ordered aggregate.
    fn heap_bytes(&self) -> usize {
        match self {
            Acc::Direct(s) => s.heap_bytes(),
            Acc::Ordered(o) => o.heap_bytes(),
        }
    }

    /// The aggregate's column for `groups` groups.
    fn finish(self, spec: &AggSpec, groups: usize) -> Result<Vector> {
        match self {
            Acc::Direct(mut s) => {
                s.resize(groups);
                s.finish(spec.ty)
            }
            Acc::Ordered(o) => o.finish(spec, groups),
        }
    }
}

/// Splits dense columns into batches of at most BATCH_SIZE rows (zero-copy slices).
pub fn split(columns: Vec<Vector>, rows: usize) -> Vec<Batch> {
    if rows <= BATCH_SIZE {
        return vec![Batch::new(columns, rows)];
    }
    (0..rows)
        .step_by(BATCH_SIZE)
        .map(|start| {
            let len = BATCH_SIZE.min(rows - start);
            Batch::new(columns.iter().map(|c| c.slice(start, len)).collect(), len)
        })
        .collect()
}

impl Operator for AggregateOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        if let Some(input) = self.input.take() {
            self.output = self.run(input)?.into_iter();
        }
        Ok(emit(&mut self.output, &mut self.memory))
    }
}

/// The distinct groups seen so far: their keys and a hash index over them.
pub struct Groups {
    stores: Vec<KeyStore>,
    index: HashIndex,
    pub count: usize,
    hashes: Vec<u64>,
    /// Fast path for integer keys (then `index` holds only keys with NULLs).
    int: Option<IntKeyIndex>,
}

impl Groups {
    pub fn new(types: &[DataType]) -> Groups {
        Groups {
            stores: types.iter().map(|t| KeyStore::new(*t)).collect(),
            index: HashIndex::with_capacity(1024),
            count: 0,
            hashes: Vec::new(),
            int: None,
        }
    }

    /// Sets `gids[i]` to the group of row `i` of the dense key vectors, adding new groups.
    pub fn lookup(&mut self, keys: &[Vector], n: usize, gids: &mut Vec<u32>) {
        gids.clear();
        if let Some(radix) = dict_radix(keys) {
            return self.lookup_dict(keys, n, &radix, gids);
        }
        if IntKeyIndex::supports(keys) {
            // `new` (not `default`) pre-sizes the table.
            #[allow(clippy::unwrap_or_default)]
            let mut int = self.int.take().unwrap_or_else(IntKeyIndex::new);
            int.lookup(keys, n, gids, |i, null| self.int_fallback(keys, i, null));
            self.int = Some(int);
            return;
        }
        self.hashes.clear();
        self.hashes.extend(hash_seed(n));
        for k in keys {
            hash_vector(k, None, &mut self.hashes);
        }
        for i in 0..n {
            let h = self.hashes[i];
            let g = self.find_or_add(keys, i, h);
            gids.push(g);
        }
    }

    /// For [`IntKeyIndex::lookup`]: a new group for row `i`, or the group of a row with a
    /// NULL key (`null`) through the general index.
    fn int_fallback(&mut self, keys: &[Vector], i: usize, null: bool) -> u32 {
        if null {
            let mut one = hash_seed(1);
            for k in keys {
                hash_vector(k, Some(&[i as u32]), &mut one);
            }
            return self.find_or_add(keys, i, one[0]);
        }
        for (s, k) in self.stores.iter_mut().zip(keys) {
            s.push(k, i);
        }
        self.count += 1;
        (self.count - 1) as u32
    }

    fn find_or_add(&mut self, keys: &[Vector], i: usize, h: u64) -> u32 {
        let stores = &self.stores;
        let found = self.index.find(h, |g| {
            stores
                .iter()
                .zip(keys)
                .all(|(s, k)| s.equals(g as usize, k, i))
        });
        match found {
            Some(g) => g,
            None => {
                for (s, k) in self.stores.iter_mut().zip(keys) {
                    s.push(k, i);
                }
                let g = self.count as u32;
                self.count += 1;
                self.index.insert(h, g);
                g
            }
        }
    }

    /// All keys dictionary-encoded with few combinations: rows with the same code tuple share
    /// a group, so each tuple is looked up once per batch through a direct memo table.
    fn lookup_dict(&mut self, keys: &[Vector], n: usize, radix: &[usize], gids: &mut Vec<u32>) {
        let size: usize = radix.iter().product();
        let mut memo = vec![u32::MAX; size];
        let codes: Vec<&[u32]> = keys
            .iter()
            .map(|k| match &k.data {
                VectorData::Dict { codes, .. } => &codes[..],
                _ => unreachable!("dict_radix checked every key"),
            })
            .collect();
        let mut one = [0u64; 1];
        for i in 0..n {
            let mut slot = 0;
            for ((k, c), r) in keys.iter().zip(&codes).zip(radix) {
                let code = if k.is_valid(i) { c[i] as usize } else { r - 1 };
                slot = slot * r + code;
            }
            let mut g = memo[slot];
            if g == u32::MAX {
                one[0] = hash_seed(1)[0];
                for k in keys {
                    hash_vector(k, Some(&[i as u32]), &mut one);
                }
                g = self.find_or_add(keys, i, one[0]);
                memo[slot] = g;
            }
            gids.push(g);
        }
    }

    /// Bytes held: key values, hash tables and scratch space (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.stores.iter().map(KeyStore::heap_bytes).sum::<usize>()
            + self.index.heap_bytes()
            + self.hashes.capacity() * 8
            + self.int.as_ref().map_or(0, IntKeyIndex::heap_bytes)
    }

    /// The key columns of every group, in group order.
    pub fn finish(self) -> Vec<Vector> {
        self.stores.into_iter().map(KeyStore::finish).collect()
    }
}

/// For keys that are all dictionary-encoded: the number of distinct codes of each (plus one
/// for NULL), if their product is small enough for a memo table.
fn dict_radix(keys: &[Vector]) -> Option<Vec<usize>> {
    let mut product = 1usize;
    let mut radix = Vec::with_capacity(keys.len());
    for k in keys {
        let VectorData::Dict { dict, .. } = &k.data else {
            return None;
        };
        let r = dict.len() + 1;
        product = product.checked_mul(r).filter(|&p| p <= 1 << 16)?;
        radix.push(r);
    }
    (!keys.is_empty()).then_some(radix)
}

/// A hashable copy of one value, for DISTINCT aggregates.
#[derive(Hash, PartialEq, Eq)]
enum DistinctKey {
    Int(i128),
    Float(u64),
    Bytes(Vec<u8>),
}

impl DistinctKey {
    fn of(v: &Vector, i: usize) -> DistinctKey {
        match &v.data {
            VectorData::Bool(b) => DistinctKey::Int(b[i] as i128),
            VectorData::I32(b) => DistinctKey::Int(b[i] as i128),
            VectorData::I64(b) => DistinctKey::Int(b[i] as i128),
            VectorData::I128(b) => DistinctKey::Int(b[i]),
            VectorData::F64(b) => {
                let x = b[i];
                DistinctKey::Float(if x == 0.0 { 0 } else { x.to_bits() })
            }
            VectorData::Str(_) | VectorData::Dict { .. } => {
                DistinctKey::Bytes(str_at(v, i).to_vec())
            }
        }
    }
}

/// Per-group state of one aggregate.
enum State {
    Count(Vec<i64>),
    /// Sum of integers or decimals (unscaled) with "has a value" flags.
    SumInt(Vec<i128>, Vec<bool>),
    SumFloat(Vec<f64>, Vec<bool>),
    /// Sum and count; `scale` of the decimal input (0 for integers).
    AvgInt(Vec<i128>, Vec<i64>, u8),
    AvgFloat(Vec<f64>, Vec<i64>),
    MinMax {
        min: bool,
        values: KeyStoreVec,
    },
    /// Welford's running count, mean and sum of squared deviations (DOUBLE input).
    Var {
        func: AggFunc,
        n: Vec<i64>,
        mean: Vec<f64>,
        m2: Vec<f64>,
    },
    /// Concatenated non-NULL values so far (None: none yet).
    StringAgg {
        sep: String,
        values: Vec<Option<String>>,
    },
    /// Every non-NULL DOUBLE value per group; the quantile is computed at the end.
    Quantile {
        fraction: f64,
        values: Vec<Vec<f64>>,
    },
}

/// Min/max values per group.
enum KeyStoreVec {
    I32(Vec<i32>, Vec<bool>),
    I64(Vec<i64>, Vec<bool>),
    I128(Vec<i128>, Vec<bool>),
    F64(Vec<f64>, Vec<bool>),
    Bool(Vec<u8>, Vec<bool>),
    Str(Vec<Option<Vec<u8>>>),
}

impl State {
    fn new(spec: &AggSpec) -> Result<State> {
        let arg_ty = spec.arg.as_ref().map(PhysExpr::data_type);
        Ok(match spec.func {
            AggFunc::CountStar | AggFunc::Count => State::Count(Vec::new()),
            AggFunc::Sum if arg_ty == Some(DataType::Float64) => {
                State::SumFloat(Vec::new(), Vec::new())
            }
            AggFunc::Sum => State::SumInt(Vec::new(), Vec::new()),
            AggFunc::Avg if arg_ty == Some(DataType::Float64) => {
                State::AvgFloat(Vec::new(), Vec::new())
            }
            AggFunc::Avg => State::AvgInt(Vec::new(), Vec::new(), arg_ty.map_or(0, |t| t.scale())),
            AggFunc::Min | AggFunc::Max => {
                use grizzly_ir::PhysicalType as P;
                let values = match arg_ty.map(|t| t.physical()) {
                    Some(P::I32) => KeyStoreVec::I32(Vec::new(), Vec::new()),
                    Some(P::I64) => KeyStoreVec::I64(Vec::new(), Vec::new()),
                    Some(P::I128) => KeyStoreVec::I128(Vec::new(), Vec::new()),
                    Some(P::F64) => KeyStoreVec::F64(Vec::new(), Vec::new()),
                    Some(P::Bool) => KeyStoreVec::Bool(Vec::new(), Vec::new()),
                    _ => KeyStoreVec::Str(Vec::new()),
                };
                State::MinMax {
                    min: spec.func == AggFunc::Min,
                    values,
                }
            }
            AggFunc::VarSamp | AggFunc::VarPop | AggFunc::StddevSamp | AggFunc::StddevPop => {
                State::Var {
                    func: spec.func,
                    n: Vec::new(),
                    mean: Vec::new(),
                    m2: Vec::new(),
                }
            }
            AggFunc::StringAgg => State::StringAgg {
                sep: match spec.params.first() {
                    Some(grizzly_ir::Value::Varchar(s)) => s.clone(),
                    _ => String::new(),
                },
                values: Vec::new(),
            },
            AggFunc::QuantileCont => State::Quantile {
                fraction: match spec.params.first() {
                    Some(grizzly_ir::Value::Float64(f)) => *f,
                    _ => 0.5,
                },
                values: Vec::new(),
            },
            f @ (AggFunc::PercentileDisc | AggFunc::Mode) => {
                return Err(crate::Error::Internal(format!(
                    "{} has no running state (it reads its input in order)",
                    f.name()
                )))
            }
        })
    }

    fn resize(&mut self, n: usize) {
        match self {
            State::Count(c) => c.resize(n, 0),
            State::SumInt(s, h) => {
                s.resize(n, 0);
                h.resize(n, false);
            }
            State::SumFloat(s, h) => {
                s.resize(n, 0.0);
                h.resize(n, false);
            }
            State::AvgInt(s, c, _) => {
                s.resize(n, 0);
                c.resize(n, 0);
            }
            State::AvgFloat(s, c) => {
                s.resize(n, 0.0);
                c.resize(n, 0);
            }
            State::MinMax { values, .. } => match values {
                KeyStoreVec::I32(v, h) => grow(v, h, n),
                KeyStoreVec::I64(v, h) => grow(v, h, n),
                KeyStoreVec::I128(v, h) => grow(v, h, n),
                KeyStoreVec::F64(v, h) => grow(v, h, n),
                KeyStoreVec::Bool(v, h) => grow(v, h, n),
                KeyStoreVec::Str(v) => v.resize(n, None),
            },
            State::Var { n: c, mean, m2, .. } => {
                c.resize(n, 0);
                mean.resize(n, 0.0);
                m2.resize(n, 0.0);
            }
            State::StringAgg { values, .. } => values.resize(n, None),
            State::Quantile { values, .. } => values.resize_with(n, Vec::new),
        }
    }

    /// Bytes of the per-group arrays (values of varying size kept per group are counted by
    /// [`State::update`]).
    fn heap_bytes(&self) -> usize {
        fn cap<T>(v: &Vec<T>) -> usize {
            v.capacity() * std::mem::size_of::<T>()
        }
        match self {
            State::Count(c) => cap(c),
            State::SumInt(s, h) => cap(s) + cap(h),
            State::SumFloat(s, h) => cap(s) + cap(h),
            State::AvgInt(s, c, _) => cap(s) + cap(c),
            State::AvgFloat(s, c) => cap(s) + cap(c),
            State::MinMax { values, .. } => match values {
                KeyStoreVec::I32(v, h) => cap(v) + cap(h),
                KeyStoreVec::I64(v, h) => cap(v) + cap(h),
                KeyStoreVec::I128(v, h) => cap(v) + cap(h),
                KeyStoreVec::F64(v, h) => cap(v) + cap(h),
                KeyStoreVec::Bool(v, h) => cap(v) + cap(h),
                KeyStoreVec::Str(v) => cap(v),
            },
            State::Var { n, mean, m2, .. } => cap(n) + cap(mean) + cap(m2),
            State::StringAgg { values, .. } => cap(values),
            State::Quantile { values, .. } => cap(values),
        }
    }

    /// Adds rows: row `i` of `arg` belongs to group `gids[i]`. Returns by how many bytes the
    /// values of varying size kept per group (strings, quantile inputs) grew.
    fn update(&mut self, arg: Option<&Vector>, gids: &[u32]) -> Result<isize> {
        let Some(arg) = arg else {
            // count(*)
            if let State::Count(c) = self {
                count_in_lanes(c, gids);
            }
            return Ok(0);
        };
        let mut grown = 0isize;
        let valid = arg.validity.as_ref();
        match self {
            State::Count(c) => match valid {
                None => count_in_lanes(c, gids),
                Some(v) => {
                    for (i, &g) in gids.iter().enumerate() {
                        c[g as usize] += v.is_valid(i) as i64;
                    }
                }
            },
            State::SumInt(s, h) => match &arg.data {
                VectorData::I32(x) => sum_into(s, h, x, gids, valid, |v| v as i128),
                VectorData::I64(x) => sum_into(s, h, x, gids, valid, |v| v as i128),
                VectorData::I128(x) => {
                    for (i, &g) in gids.iter().enumerate() {
                        if valid.is_none_or(|v| v.is_valid(i)) {
                            let g = g as usize;
                            s[g] = s[g].checked_add(x[i]).ok_or_else(overflow)?;
                            h[g] = true;
                        }
                    }
                }
                _ => return exec_err!("sum is not defined for {}", arg.ty),
            },
            State::SumFloat(s, h) => match &arg.data {
                VectorData::F64(x) => {
                    for (i, &g) in gids.iter().enumerate() {
                        if valid.is_none_or(|v| v.is_valid(i)) {
                            s[g as usize] += x[i];
                            h[g as usize] = true;
                        }
                    }
                }
                _ => return exec_err!("sum is not defined for {}", arg.ty),
            },
            State::AvgInt(s, c, _) => match &arg.data {
                VectorData::I32(x) => avg_into(s, c, x, gids, valid, |v| v as i128),
                VectorData::I64(x) => avg_into(s, c, x, gids, valid, |v| v as i128),
                VectorData::I128(x) => {
                    for (i, &g) in gids.iter().enumerate() {
                        if valid.is_none_or(|b| b.is_valid(i)) {
                            let g = g as usize;
                            s[g] = s[g].checked_add(x[i]).ok_or_else(overflow)?;
                            c[g] += 1;
                        }
                    }
                }
                _ => return exec_err!("avg is not defined for {}", arg.ty),
            },
            State::AvgFloat(s, c) => match &arg.data {
                VectorData::F64(x) => {
                    for (i, &g) in gids.iter().enumerate() {
                        if valid.is_none_or(|v| v.is_valid(i)) {
                            s[g as usize] += x[i];
                            c[g as usize] += 1;
                        }
                    }
                }
                _ => return exec_err!("avg is not defined for {}", arg.ty),
            },
            State::MinMax { min, values } => {
                let min = *min;
                match (values, &arg.data) {
                    (KeyStoreVec::I32(v, h), VectorData::I32(x)) => {
                        min_max_into(v, h, x, gids, valid, min, |a, b| a < b)
                    }
                    (KeyStoreVec::I64(v, h), VectorData::I64(x)) => {
                        min_max_into(v, h, x, gids, valid, min, |a, b| a < b)
                    }
                    (KeyStoreVec::I128(v, h), VectorData::I128(x)) => {
                        min_max_into(v, h, x, gids, valid, min, |a, b| a < b)
                    }
                    (KeyStoreVec::F64(v, h), VectorData::F64(x)) => {
                        min_max_into(v, h, x, gids, valid, min, |a: f64, b: f64| {
                            a.total_cmp(&b).is_lt()
                        })
                    }
                    (KeyStoreVec::Bool(v, h), VectorData::Bool(x)) => {
                        min_max_into(v, h, x, gids, valid, min, |a, b| a < b)
                    }
                    (KeyStoreVec::Str(v), _) => {
                        for (i, &g) in gids.iter().enumerate() {
                            if !arg.is_valid(i) {
                                continue;
                            }
                            let s = str_at(arg, i);
                            let slot = &mut v[g as usize];
                            let better = match slot {
                                None => true,
                                Some(cur) => (s < cur.as_slice()) == min && s != cur.as_slice(),
                            };
                            if better {
                                grown += s.len() as isize
                                    - slot.as_ref().map_or(0, |c| c.len()) as isize;
                                *slot = Some(s.to_vec());
                            }
                        }
                    }
                    _ => return exec_err!("min/max is not defined for {}", arg.ty),
                }
            }
            State::Var { n, mean, m2, .. } => match &arg.data {
                VectorData::F64(x) => {
                    for (i, &g) in gids.iter().enumerate() {
                        if valid.is_none_or(|v| v.is_valid(i)) {
                            let g = g as usize;
                            n[g] += 1;
                            let d = x[i] - mean[g];
                            mean[g] += d / n[g] as f64;
                            m2[g] += d * (x[i] - mean[g]);
                        }
                    }
                }
                _ => return exec_err!("variance is not defined for {}", arg.ty),
            },
            State::StringAgg { sep, values } => {
                for (i, &g) in gids.iter().enumerate() {
                    if !arg.is_valid(i) {
                        continue;
                    }
                    let s = String::from_utf8_lossy(str_at(arg, i));
                    grown += (s.len() + sep.len()) as isize;
                    match &mut values[g as usize] {
                        Some(acc) => {
                            acc.push_str(sep);
                            acc.push_str(&s);
                        }
                        slot @ None => *slot = Some(s.into_owned()),
                    }
                }
            }
            State::Quantile { values, .. } => match &arg.data {
                VectorData::F64(x) => {
                    for (i, &g) in gids.iter().enumerate() {
                        if valid.is_none_or(|v| v.is_valid(i)) {
                            values[g as usize].push(x[i]);
                            grown += 8;
                        }
                    }
                }
                _ => return exec_err!("quantile is not defined for {}", arg.ty),
            },
        }
        Ok(grown)
    }

    fn finish(self, ty: DataType) -> Result<Vector> {
        let bitmap =
            |h: &[bool]| (!h.iter().all(|&x| x)).then(|| Bitmap::from_bools(h.iter().copied()));
        Ok(match self {
            State::Count(c) => Vector {
                ty,
                data: VectorData::I64(c.into()),
                validity: None,
            },
            State::SumInt(s, h) => {
                let validity = bitmap(&h);
                let data = match ty.physical() {
                    grizzly_ir::PhysicalType::I64 => VectorData::I64(
                        s.iter()
                            .map(|&v| i64::try_from(v).map_err(|_| overflow()))
                            .collect::<Result<Vec<_>>>()?
                            .into(),
                    ),
                    _ => {
                        // A DECIMAL(38) sum: its final value must have at most 38 digits.
                        let m = kernels::DECIMAL_MAX as u128;
                        if s.iter()
                            .zip(&h)
                            .any(|(&v, &has)| has && v.unsigned_abs() > m)
                        {
                            return exec_err!("decimal overflow: result of sum does not fit {ty}");
                        }
                        VectorData::I128(s.into())
                    }
                };
                Vector { ty, data, validity }
            }
            State::SumFloat(s, h) => Vector {
                ty,
                validity: bitmap(&h),
                data: VectorData::F64(s.into()),
            },
            State::AvgInt(s, c, scale) => {
                let has: Vec<bool> = c.iter().map(|&n| n > 0).collect();
                let div = 10f64.powi(scale as i32);
                let avg: Vec<f64> = s
                    .iter()
                    .zip(&c)
                    .map(|(&sum, &n)| {
                        if n > 0 {
                            sum as f64 / div / n as f64
                        } else {
                            0.0
                        }
                    })
                    .collect();
                Vector {
                    ty,
                    validity: bitmap(&has),
                    data: VectorData::F64(avg.into()),
                }
            }
            State::AvgFloat(s, c) => {
                let has: Vec<bool> = c.iter().map(|&n| n > 0).collect();
                let avg: Vec<f64> = s
                    .iter()
                    .zip(&c)
                    .map(|(&sum, &n)| if n > 0 { sum / n as f64 } else { 0.0 })
                    .collect();
                Vector {
                    ty,
                    validity: bitmap(&has),
                    data: VectorData::F64(avg.into()),
                }
            }
            State::MinMax { values, .. } => match values {
                KeyStoreVec::I32(v, h) => fixed(ty, v, &h, VectorData::I32),
                KeyStoreVec::I64(v, h) => fixed(ty, v, &h, VectorData::I64),
                KeyStoreVec::I128(v, h) => fixed(ty, v, &h, VectorData::I128),
                KeyStoreVec::F64(v, h) => fixed(ty, v, &h, VectorData::F64),
                KeyStoreVec::Bool(v, h) => fixed(ty, v, &h, VectorData::Bool),
                KeyStoreVec::Str(v) => {
                    let mut store = KeyStore::new(ty);
                    for s in &v {
                        let value = match s {
                            Some(bytes) => {
                                grizzly_ir::Value::Varchar(String::from_utf8_lossy(bytes).into())
                            }
                            None => grizzly_ir::Value::Null,
                        };
                        store.push_value(&value);
                    }
                    store.finish()
                }
            },
            State::Var {
                func,
                n,
                mean: _,
                m2,
            } => {
                let out: Vec<Option<f64>> = n
                    .iter()
                    .zip(&m2)
                    .map(|(&n, &m2)| variance_of(func, n, m2))
                    .collect();
                float_column(ty, &out)
            }
            State::StringAgg { values, .. } => {
                let mut store = KeyStore::new(ty);
                for v in values {
                    store.push_value(&match v {
                        Some(s) => grizzly_ir::Value::Varchar(s),
                        None => grizzly_ir::Value::Null,
                    });
                }
                store.finish()
            }
            State::Quantile { fraction, values } => {
                let out: Vec<Option<f64>> = values
                    .into_iter()
                    .map(|v| quantile_cont(v, fraction))
                    .collect();
                float_column(ty, &out)
            }
        })
    }
}

/// Makes room for `n` groups of a fixed-width min/max state.
fn grow<T: Copy + Default>(v: &mut Vec<T>, h: &mut Vec<bool>, n: usize) {
    v.resize(n, T::default());
    h.resize(n, false);
}

/// A min/max state as a vector: groups without a value are NULL.
fn fixed<T: crate::buffer::Pod>(
    ty: DataType,
    v: Vec<T>,
    h: &[bool],
    wrap: fn(crate::Buffer<T>) -> VectorData,
) -> Vector {
    let validity = (!h.iter().all(|&x| x)).then(|| Bitmap::from_bools(h.iter().copied()));
    Vector {
        ty,
        data: wrap(v.into()),
        validity,
    }
}

fn overflow() -> crate::Error {
    crate::Error::Execution("numeric value out of range in aggregate".into())
}

#[inline]
fn sum_into<T: Copy>(
    s: &mut [i128],
    h: &mut [bool],
    x: &[T],
    gids: &[u32],
    valid: Option<&Bitmap>,
    conv: impl Fn(T) -> i128,
) {
    match valid {
        None if s.len() <= LANE_GROUPS => {
            add_in_lanes(s, gids, x, conv);
            gids.iter().for_each(|&g| h[g as usize] = true);
        }
        None => {
            for (&g, &v) in gids.iter().zip(x) {
                s[g as usize] += conv(v);
                h[g as usize] = true;
            }
        }
        Some(b) => {
            for (i, (&g, &v)) in gids.iter().zip(x).enumerate() {
                if b.is_valid(i) {
                    s[g as usize] += conv(v);
                    h[g as usize] = true;
                }
            }
        }
    }
}

/// Group counts up to which updates go through independent lanes.
const LANE_GROUPS: usize = 256;
const LANES: usize = 4;

/// `s[gids[i]] += conv(x[i])` for few groups. Consecutive rows usually hit the same group, and
/// a read-modify-write of one memory slot per row serializes on store-to-load latency; four
/// interleaved partial sums break that chain.
fn add_in_lanes<T: Copy>(s: &mut [i128], gids: &[u32], x: &[T], conv: impl Fn(T) -> i128) {
    let ng = s.len();
    let mut lanes = vec![0i128; LANES * ng];
    let mut gc = gids.chunks_exact(LANES);
    let mut xc = x.chunks_exact(LANES);
    for (g, v) in (&mut gc).zip(&mut xc) {
        for l in 0..LANES {
            lanes[l * ng + g[l] as usize] += conv(v[l]);
        }
    }
    for (&g, &v) in gc.remainder().iter().zip(xc.remainder()) {
        lanes[g as usize] += conv(v);
    }
    for l in 0..LANES {
        for (acc, part) in s.iter_mut().zip(&lanes[l * ng..(l + 1) * ng]) {
            *acc += part;
        }
    }
}

/// `c[gids[i]] += 1`, in lanes for few groups (see [`add_in_lanes`]).
fn count_in_lanes(c: &mut [i64], gids: &[u32]) {
    let ng = c.len();
    if ng > LANE_GROUPS {
        gids.iter().for_each(|&g| c[g as usize] += 1);
        return;
    }
    let mut lanes = vec![0i64; LANES * ng];
    let mut gc = gids.chunks_exact(LANES);
    for g in &mut gc {
        for l in 0..LANES {
            lanes[l * ng + g[l] as usize] += 1;
        }
    }
    for &g in gc.remainder() {
        lanes[g as usize] += 1;
    }
    for l in 0..LANES {
        for (acc, part) in c.iter_mut().zip(&lanes[l * ng..(l + 1) * ng]) {
            *acc += part;
        }
    }
}

/// Adds values that fit in `i64` (so an `i128` sum cannot overflow before 2^64 rows).
#[inline]
fn avg_into<T: Copy>(
    s: &mut [i128],
    c: &mut [i64],
    x: &[T],
    gids: &[u32],
    valid: Option<&Bitmap>,
    conv: impl Fn(T) -> i128,
) {
    match valid {
        None if s.len() <= LANE_GROUPS => {
            add_in_lanes(s, gids, x, conv);
            count_in_lanes(c, gids);
        }
        None => {
            for (&g, &v) in gids.iter().zip(x) {
                s[g as usize] += conv(v);
                c[g as usize] += 1;
            }
        }
        Some(b) => {
            for (i, (&g, &v)) in gids.iter().zip(x).enumerate() {
                if b.is_valid(i) {
                    s[g as usize] += conv(v);
                    c[g as usize] += 1;
                }
            }
        }
    }
}

#[inline]
fn min_max_into<T: Copy>(
    v: &mut [T],
    h: &mut [bool],
    x: &[T],
    gids: &[u32],
    valid: Option<&Bitmap>,
    min: bool,
    less: impl Fn(T, T) -> bool,
) {
    for (i, &g) in gids.iter().enumerate() {
        if valid.is_some_and(|b| !b.is_valid(i)) {
            continue;
        }
        let g = g as usize;
        let val = x[i];
        if !h[g]
            || (if min {
                less(val, v[g])
            } else {
                less(v[g], val)
            })
        {
            v[g] = val;
            h[g] = true;
        }
    }
}

/// Finishes a variance / standard deviation from Welford's count and sum of squared deviations.
fn variance_of(func: AggFunc, n: i64, m2: f64) -> Option<f64> {
    let sample = matches!(func, AggFunc::VarSamp | AggFunc::StddevSamp);
    let div = if sample { n - 1 } else { n };
    if div <= 0 {
        return None;
    }
    let var = (m2 / div as f64).max(0.0);
    Some(match func {
        AggFunc::StddevSamp | AggFunc::StddevPop => var.sqrt(),
        _ => var,
    })
}

/// The continuous quantile `f` of `v` (linear interpolation between closest ranks, as
/// PostgreSQL's percentile_cont and DuckDB's quantile_cont); None for no values.
pub(crate) fn quantile_cont(mut v: Vec<f64>, f: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable_by(f64::total_cmp);
    let pos = f * (v.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    if lo == hi {
        return Some(v[lo]);
    }
    Some(v[lo] + (v[hi] - v[lo]) * (pos - lo as f64))
}

/// A DOUBLE column from optional values.
fn float_column(ty: DataType, values: &[Option<f64>]) -> Vector {
    let has: Vec<bool> = values.iter().map(Option::is_some).collect();
    let validity = (!has.iter().all(|&x| x)).then(|| Bitmap::from_bools(has.iter().copied()));
    Vector {
        ty,
        data: VectorData::F64(
            values
                .iter()
                .map(|v| v.unwrap_or(0.0))
                .collect::<Vec<_>>()
                .into(),
        ),
        validity,
    }
}

#[cfg(test)]
mod more_agg_tests {
    use super::*;

    #[test]
    fn quantiles_interpolate() {
        assert_eq!(quantile_cont(vec![], 0.5), None);
        assert_eq!(quantile_cont(vec![3.0], 0.25), Some(3.0));
        assert_eq!(quantile_cont(vec![4.0, 1.0, 2.0, 3.0], 0.5), Some(2.5));
        assert_eq!(quantile_cont(vec![4.0, 1.0, 2.0, 3.0], 0.25), Some(1.75));
        assert_eq!(quantile_cont(vec![4.0, 1.0, 2.0, 3.0], 1.0), Some(4.0));
    }

    #[test]
    fn variances() {
        assert_eq!(variance_of(AggFunc::VarSamp, 1, 0.0), None);
        assert_eq!(variance_of(AggFunc::VarPop, 1, 0.0), Some(0.0));
        assert_eq!(variance_of(AggFunc::StddevPop, 2, 8.0), Some(2.0));
        assert_eq!(variance_of(AggFunc::VarSamp, 0, 0.0), None);
    }
}
