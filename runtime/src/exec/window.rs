//! Window functions (a breaker): materializes its input, sorts a row permutation by
//! (partition keys, order keys) ([`sorted`]), computes each function partition by partition,
//! and emits the input rows in their original order with one more column per function.
//!
//! Every frame is a range `[s, e)` of sorted positions inside the row's partition whose ends
//! only move forward as the current row does (ROWS and GROUPS with offsets, RANGE with or
//! without offsets). Hence: counts and exact sums (integers, decimals) are prefix-sum
//! differences, O(1) per row; DOUBLE sums are running (growing frames), suffix (frames ending
//! at the partition end), summed directly over small sliding frames or taken from a segment
//! tree over larger ones (O(log n)); min/max use a monotonic deque; first/last/nth_value
//! index into the frame; ranking functions (row_number, rank, dense_rank, percent_rank,
//! cume_dist, ntile) and lag/lead are direct. Calls with the same PARTITION BY and ORDER BY
//! share one sort.

mod sorted;

use super::aggregate::split;
use super::batch::Batch;
use super::builder::VectorBuilder;
use super::expr::PhysExpr;
use super::kernels;
use super::memory::{emit, vector_bytes, MemoryBudget, Reservation};
use super::operator::{BoxOp, Operator};
use super::simple::collect;
use super::sort::compare_rows;
use crate::vector::{Bitmap, Vector, VectorData};
use crate::{exec_err, Result};
use grizzly_ir::plan::{AggFunc, Frame, FrameBound, FrameUnits, WindowCall, WindowFunc};
use grizzly_ir::{DataType, Expr, Field, SortKey};
use sorted::Sorted;
use std::cmp::Ordering;
use std::collections::VecDeque;

/// One window function, ready to run.
struct Spec {
    func: WindowFunc,
    args: Vec<PhysExpr>,
    partition: Vec<PhysExpr>,
    order: Vec<(PhysExpr, bool, bool)>,
    frame: Frame,
    ty: DataType,
    /// Index of the first spec with the same PARTITION BY and ORDER BY (shares its sort).
    same_sort_as: usize,
}

pub struct WindowOp {
    input: Option<BoxOp>,
    types: Vec<DataType>,
    specs: Vec<Spec>,
    output: std::vec::IntoIter<Batch>,
    /// The input, its sorted views and the computed columns; then the output not yet emitted.
    memory: Reservation,
}

impl WindowOp {
    /// `phys` compiles an expression over the input's columns.
    pub fn new(
        input: BoxOp,
        types: Vec<DataType>,
        functions: &[(WindowCall, Field)],
        phys: &dyn Fn(&Expr) -> Result<PhysExpr>,
        memory: &MemoryBudget,
    ) -> Result<WindowOp> {
        let mut specs = Vec::with_capacity(functions.len());
        for (i, (call, field)) in functions.iter().enumerate() {
            let all = |es: &[Expr]| es.iter().map(phys).collect::<Result<Vec<_>>>();
            let order = call
                .order_by
                .iter()
                .map(|k: &SortKey| Ok((phys(&k.expr)?, k.ascending, k.nulls_first)))
                .collect::<Result<Vec<_>>>()?;
            let frame = call.frame.unwrap_or(if call.order_by.is_empty() {
                Frame {
                    units: FrameUnits::Rows,
                    start: FrameBound::UnboundedPreceding,
                    end: FrameBound::UnboundedFollowing,
                }
            } else {
                Frame {
                    units: FrameUnits::Range,
                    start: FrameBound::UnboundedPreceding,
                    end: FrameBound::CurrentRow,
                }
            });
            let offsets =
                |b: FrameBound| matches!(b, FrameBound::Preceding(_) | FrameBound::Following(_));
            if frame.units == FrameUnits::Range
                && (offsets(frame.start) || offsets(frame.end))
                && call.order_by.len() != 1
            {
                return exec_err!("RANGE frames with an offset need exactly one ORDER BY key");
            }
            let same_sort_as = functions[..i]
                .iter()
                .position(|(c, _)| {
                    c.partition_by == call.partition_by && c.order_by == call.order_by
                })
                .unwrap_or(i);
            specs.push(Spec {
                func: call.func,
                args: all(&call.args)?,
                partition: all(&call.partition_by)?,
                order,
                frame,
                ty: field.ty,
                same_sort_as,
            });
        }
        Ok(WindowOp {
            input: Some(input),
            types,
            specs,
            output: Vec::new().into_iter(),
            memory: memory.reserve("window"),
        })
    }

    fn run(&mut self, input: BoxOp) -> Result<Vec<Batch>> {
        let (mut columns, rows) = collect(input, &self.types, &mut self.memory)?;
        let whole = Batch::new(columns.clone(), rows);
        let mut sorts: Vec<Option<Sorted>> = Vec::with_capacity(self.specs.len());
        let mut sorts_bytes = 0;
        for (i, spec) in self.specs.iter().enumerate() {
            let sorted = if spec.same_sort_as == i {
                let sorted = Sorted::new(spec, &whole, rows)?;
                sorts_bytes += sorted.heap_bytes();
                self.memory.grow(sorted.heap_bytes())?;
                Some(sorted)
            } else {
                None
            };
            sorts.push(sorted);
            let sorted = sorts[spec.same_sort_as]
                .as_ref()
                .ok_or_else(|| crate::Error::Internal("window sort missing".into()))?;
            let args = spec
                .args
                .iter()
                .map(|a| a.eval(&whole))
                .collect::<Result<Vec<_>>>()?;
            let column = compute(spec, sorted, &args, rows)?;
            self.memory.grow(vector_bytes(&column))?;
            columns.push(column);
        }
        drop(sorts);
        self.memory.shrink(sorts_bytes);
        Ok(split(columns, rows))
    }
}

impl Operator for WindowOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        if let Some(input) = self.input.take() {
            self.output = self.run(input)?.into_iter();
        }
        Ok(emit(&mut self.output, &mut self.memory))
    }
}

/// Where an output value comes from.
#[derive(Clone, Copy)]
enum Src {
    Null,
    /// Row of the argument.
    Arg(u32),
    /// Row of the default (lag/lead).
    Default(u32),
}

fn overflow() -> crate::Error {
    crate::Error::Execution("numeric value out of range in window function".into())
}

/// Integer or decimal value of row `i` as an i128 (`None` for NULL).
fn exact_at(v: &Vector, i: usize) -> Option<i128> {
    if !v.is_valid(i) {
        return None;
    }
    match &v.data {
        VectorData::I32(x) => Some(x[i] as i128),
        VectorData::I64(x) => Some(x[i] as i128),
        VectorData::I128(x) => Some(x[i]),
        _ => None,
    }
}

fn float_at(v: &Vector, i: usize) -> Option<f64> {
    match &v.data {
        VectorData::F64(x) if v.is_valid(i) => Some(x[i]),
        _ => None,
    }
}

/// Computes one function; returns its column in input row order.
fn compute(spec: &Spec, st: &Sorted, args: &[Vector], rows: usize) -> Result<Vector> {
    let perm = &st.perm;
    let mut b = VectorBuilder::new(spec.ty, rows);
    match spec.func {
        WindowFunc::RowNumber | WindowFunc::Rank | WindowFunc::DenseRank => {
            let mut out = vec![0i64; rows];
            for &(ps, pe) in &st.parts {
                let mut dense = 0i64;
                for k in ps..pe {
                    if st.peer_start[k] as usize == k {
                        dense += 1;
                    }
                    out[perm[k] as usize] = match spec.func {
                        WindowFunc::RowNumber => (k - ps + 1) as i64,
                        WindowFunc::Rank => (st.peer_start[k] as usize - ps + 1) as i64,
                        _ => dense,
                    };
                }
            }
            out.iter().for_each(|&x| b.push_i64(x));
            Ok(b.finish())
        }
        WindowFunc::Lag | WindowFunc::Lead => {
            let (x, off) = (&args[0], &args[1]);
            let VectorData::I64(offs) = &off.data else {
                return exec_err!("lag/lead offset must be BIGINT");
            };
            let mut src = vec![Src::Null; rows];
            for &(ps, pe) in &st.parts {
                for k in ps..pe {
                    let row = perm[k] as usize;
                    if !off.is_valid(row) {
                        continue;
                    }
                    let o = offs[row] as i128;
                    let t = if spec.func == WindowFunc::Lag {
                        k as i128 - o
                    } else {
                        k as i128 + o
                    };
                    src[row] = if t >= ps as i128 && t < pe as i128 {
                        Src::Arg(perm[t as usize])
                    } else if args.len() > 2 {
                        Src::Default(row as u32)
                    } else {
                        Src::Null
                    };
                }
            }
            pick(x, args.get(2), &src)
        }
        WindowFunc::FirstValue | WindowFunc::LastValue => {
            let mut src = vec![Src::Null; rows];
            st.each_frame(&spec.frame, |k, s, e, _| {
                if s < e {
                    let at = if spec.func == WindowFunc::FirstValue {
                        s
                    } else {
                        e - 1
                    };
                    src[perm[k] as usize] = Src::Arg(perm[at]);
                }
                Ok(())
            })?;
            pick(&args[0], None, &src)
        }
        WindowFunc::NthValue => {
            let (x, n) = (&args[0], &args[1]);
            let VectorData::I64(ns) = &n.data else {
                return exec_err!("nth_value position must be BIGINT");
            };
            let mut src = vec![Src::Null; rows];
            st.each_frame(&spec.frame, |k, s, e, _| {
                let row = perm[k] as usize;
                if !n.is_valid(row) {
                    return Ok(());
                }
                let nth = ns[row];
                if nth < 1 {
                    return exec_err!("argument of nth_value must be greater than zero");
                }
                if nth as u64 <= (e - s) as u64 {
                    src[row] = Src::Arg(perm[s + nth as usize - 1]);
                }
                Ok(())
            })?;
            pick(x, None, &src)
        }
        WindowFunc::Ntile => ntile(st, &args[0], rows),
        WindowFunc::PercentRank | WindowFunc::CumeDist => {
            let mut out = vec![0f64; rows];
            for &(ps, pe) in &st.parts {
                let n = (pe - ps) as f64;
                for k in ps..pe {
                    out[perm[k] as usize] = if spec.func == WindowFunc::CumeDist {
                        (st.peer_end[k] as usize - ps) as f64 / n
                    } else if pe - ps > 1 {
                        (st.peer_start[k] as usize - ps) as f64 / (n - 1.0)
                    } else {
                        0.0
                    };
                }
            }
            out.iter().for_each(|&x| b.push_f64(x));
            Ok(b.finish())
        }
        WindowFunc::Agg(AggFunc::CountStar) => {
            let mut out = vec![0i64; rows];
            st.each_frame(&spec.frame, |k, s, e, _| {
                out[perm[k] as usize] = (e - s) as i64;
                Ok(())
            })?;
            out.iter().for_each(|&x| b.push_i64(x));
            Ok(b.finish())
        }
        WindowFunc::Agg(AggFunc::Count) => {
            let counts = prefix_counts(&args[0], perm);
            let mut out = vec![0i64; rows];
            st.each_frame(&spec.frame, |k, s, e, _| {
                out[perm[k] as usize] = (counts[e] - counts[s]) as i64;
                Ok(())
            })?;
            out.iter().for_each(|&x| b.push_i64(x));
            Ok(b.finish())
        }
        WindowFunc::Agg(func @ (AggFunc::Sum | AggFunc::Avg)) => {
            let x = &args[0];
            if x.ty == DataType::Float64 {
                for r in float_sums(spec, st, x)? {
                    match r {
                        Some((s, n)) if n > 0 => b.push_f64(if func == AggFunc::Avg {
                            s / n as f64
                        } else {
                            s
                        }),
                        _ => b.push_null(),
                    }
                }
                return Ok(b.finish());
            }
            let counts = prefix_counts(x, perm);
            let mut pre = Vec::with_capacity(rows + 1);
            let mut acc = 0i128;
            pre.push(0i128);
            for &r in perm {
                if let Some(v) = exact_at(x, r as usize) {
                    acc = acc.checked_add(v).ok_or_else(overflow)?;
                }
                pre.push(acc);
            }
            let mut out: Vec<Option<i128>> = vec![None; rows];
            let mut cnt = vec![0i64; rows];
            st.each_frame(&spec.frame, |k, s, e, _| {
                let n = counts[e] - counts[s];
                let row = perm[k] as usize;
                cnt[row] = n as i64;
                if n > 0 {
                    out[row] = Some(pre[e] - pre[s]);
                }
                Ok(())
            })?;
            let div = 10f64.powi(x.ty.scale() as i32);
            for (row, v) in out.into_iter().enumerate() {
                match (v, func, spec.ty) {
                    (None, ..) => b.push_null(),
                    (Some(s), AggFunc::Avg, _) => b.push_f64(s as f64 / div / cnt[row] as f64),
                    (Some(s), _, DataType::Int64) => {
                        b.push_i64(i64::try_from(s).map_err(|_| overflow())?)
                    }
                    (Some(s), _, _) if s.unsigned_abs() <= kernels::DECIMAL_MAX as u128 => {
                        b.push_i128(s)
                    }
                    (Some(_), _, ty) => {
                        return exec_err!("decimal overflow: result of sum does not fit {ty}")
                    }
                }
            }
            Ok(b.finish())
        }
        WindowFunc::Agg(func @ (AggFunc::Min | AggFunc::Max)) => {
            let x = &args[0];
            let mut src = vec![Src::Null; rows];
            // Sorted positions of non-NULL values, best at the front.
            let mut dq: VecDeque<usize> = VecDeque::new();
            let mut pushed = 0usize;
            let better = |a: usize, b: usize| -> bool {
                let o = compare_rows(x, perm[a] as usize, perm[b] as usize, true, false);
                if func == AggFunc::Min {
                    o != Ordering::Greater
                } else {
                    o != Ordering::Less
                }
            };
            let mut cur_part = usize::MAX;
            st.each_frame(&spec.frame, |k, s, e, ps| {
                if ps != cur_part {
                    cur_part = ps;
                    dq.clear();
                    pushed = ps;
                }
                while pushed < e {
                    if x.is_valid(perm[pushed] as usize) {
                        while dq.back().is_some_and(|&t| better(pushed, t)) {
                            dq.pop_back();
                        }
                        dq.push_back(pushed);
                    }
                    pushed += 1;
                }
                while dq.front().is_some_and(|&t| t < s) {
                    dq.pop_front();
                }
                if let Some(&t) = dq.front() {
                    if t < e {
                        src[perm[k] as usize] = Src::Arg(perm[t]);
                    }
                }
                Ok(())
            })?;
            pick(x, None, &src)
        }
        WindowFunc::Agg(f) => exec_err!("aggregate {f:?} as a window function is not supported"),
    }
}

/// `ntile(n)` as PostgreSQL computes it: n is read at the partition's first row where it is not
/// NULL (rows before get NULL); from there rows fill buckets 1, 2, ... in order, the first
/// `rows % n` buckets holding one row more than the others (`rows`: the whole partition's).
fn ntile(st: &Sorted, n: &Vector, rows: usize) -> Result<Vector> {
    let VectorData::I64(ns) = &n.data else {
        return exec_err!("ntile argument must be BIGINT");
    };
    let mut out: Vec<Option<i32>> = vec![None; rows];
    for &(ps, pe) in &st.parts {
        let total = (pe - ps) as i64;
        // (bucket, rows in it so far, its size, leading buckets still one row larger)
        let mut state: Option<(i32, i64, i64, i64)> = None;
        for k in ps..pe {
            let row = st.perm[k] as usize;
            let (bucket, filled, size, extra) = match state {
                Some(s) => s,
                None if !n.is_valid(row) => continue,
                None => {
                    let buckets = ns[row];
                    if buckets < 1 {
                        return exec_err!("argument of ntile must be greater than zero");
                    }
                    match total / buckets {
                        0 => (1, 0, 1, 0),
                        size if total % buckets == 0 => (1, 0, size, 0),
                        size => (1, 0, size + 1, total % buckets),
                    }
                }
            };
            let (bucket, filled, size, extra) = if filled >= size {
                match extra {
                    1 => (bucket + 1, 0, size - 1, 0),
                    0 => (bucket + 1, 0, size, 0),
                    _ => (bucket + 1, 0, size, extra - 1),
                }
            } else {
                (bucket, filled, size, extra)
            };
            out[row] = Some(bucket);
            state = Some((bucket, filled + 1, size, extra));
        }
    }
    let mut b = VectorBuilder::new(DataType::Int32, rows);
    for v in out {
        match v {
            Some(x) => b.push_i32(x),
            None => b.push_null(),
        }
    }
    Ok(b.finish())
}

/// `counts[k]`: non-NULL values among sorted positions `< k`.
fn prefix_counts(x: &Vector, perm: &[u32]) -> Vec<usize> {
    let mut out = Vec::with_capacity(perm.len() + 1);
    let mut n = 0;
    out.push(0);
    for &r in perm {
        n += usize::from(x.is_valid(r as usize));
        out.push(n);
    }
    out
}

/// DOUBLE sums and counts of non-NULL values per input row.
fn float_sums(spec: &Spec, st: &Sorted, x: &Vector) -> Result<Vec<Option<(f64, usize)>>> {
    let perm = &st.perm;
    let rows = perm.len();
    let mut out: Vec<Option<(f64, usize)>> = vec![None; rows];
    let val = |p: usize| float_at(x, perm[p] as usize);
    let fr = &spec.frame;
    if fr.start == FrameBound::UnboundedPreceding {
        // Growing frames: one running sum per partition.
        let (mut acc, mut n, mut upto, mut part) = (0.0f64, 0usize, 0usize, usize::MAX);
        st.each_frame(fr, |k, _, e, ps| {
            if ps != part {
                (acc, n, upto, part) = (0.0, 0, ps, ps);
            }
            while upto < e {
                if let Some(v) = val(upto) {
                    acc += v;
                    n += 1;
                }
                upto += 1;
            }
            out[perm[k] as usize] = Some((acc, n));
            Ok(())
        })?;
    } else if fr.end == FrameBound::UnboundedFollowing {
        // Frames ending at the partition end: suffix sums.
        for &(ps, pe) in &st.parts {
            let mut suffix = vec![(0.0f64, 0usize); pe - ps + 1];
            for p in (ps..pe).rev() {
                let (a, n) = suffix[p - ps + 1];
                suffix[p - ps] = match val(p) {
                    Some(v) => (a + v, n + 1),
                    None => (a, n),
                };
            }
            for k in ps..pe {
                let (s, _) = st.frame(fr, k, ps, pe);
                out[perm[k] as usize] = Some(suffix[s - ps]);
            }
        }
    } else {
        // Sliding frames: small ones summed directly, larger ones from a segment tree
        // (O(log n) per row, no cancellation as with prefix-sum differences).
        let mut last: Option<((usize, usize), (f64, usize))> = None;
        let mut tree: Option<SumTree> = None;
        st.each_frame(fr, |k, s, e, _| {
            let r = match last {
                Some((key, r)) if key == (s, e) => r,
                _ if e - s <= 32 => {
                    let mut r = (0.0, 0);
                    for p in s..e {
                        if let Some(v) = val(p) {
                            r = (r.0 + v, r.1 + 1);
                        }
                    }
                    r
                }
                _ => tree
                    .get_or_insert_with(|| SumTree::new((0..rows).map(val)))
                    .sum(s, e),
            };
            last = Some(((s, e), r));
            out[perm[k] as usize] = Some(r);
            Ok(())
        })?;
    }
    Ok(out)
}

/// Sums and counts of non-NULL DOUBLEs over ranges of positions (a bottom-up segment tree).
struct SumTree {
    size: usize,
    nodes: Vec<(f64, usize)>,
}

impl SumTree {
    fn new(values: impl ExactSizeIterator<Item = Option<f64>>) -> SumTree {
        let size = values.len().next_power_of_two().max(1);
        let mut nodes = vec![(0.0, 0); 2 * size];
        for (i, v) in values.enumerate() {
            if let Some(v) = v {
                nodes[size + i] = (v, 1);
            }
        }
        for i in (1..size).rev() {
            let (a, b) = (nodes[2 * i], nodes[2 * i + 1]);
            nodes[i] = (a.0 + b.0, a.1 + b.1);
        }
        SumTree { size, nodes }
    }

    /// Sum and count over positions `[l, r)`.
    fn sum(&self, l: usize, r: usize) -> (f64, usize) {
        let (mut left, mut right) = ((0.0, 0), (0.0, 0));
        let (mut l, mut r) = (l + self.size, r + self.size);
        while l < r {
            if l & 1 == 1 {
                let n = self.nodes[l];
                left = (left.0 + n.0, left.1 + n.1);
                l += 1;
            }
            if r & 1 == 1 {
                r -= 1;
                let n = self.nodes[r];
                right = (n.0 + right.0, n.1 + right.1);
            }
            l >>= 1;
            r >>= 1;
        }
        (left.0 + right.0, left.1 + right.1)
    }
}

/// The output column: per row the argument's value at `src`, the default's, or NULL.
fn pick(x: &Vector, default: Option<&Vector>, src: &[Src]) -> Result<Vector> {
    if let Some(d) = default.filter(|_| src.iter().any(|s| matches!(s, Src::Default(_)))) {
        let mut b = VectorBuilder::new(x.ty, src.len());
        for s in src {
            match s {
                Src::Null => b.push_null(),
                Src::Arg(i) => b.push(&x.get(*i as usize))?,
                Src::Default(i) => b.push(&d.get(*i as usize))?,
            }
        }
        return Ok(b.finish());
    }
    let idx: Vec<u32> = src
        .iter()
        .map(|s| match s {
            Src::Arg(i) => *i,
            _ => 0,
        })
        .collect();
    if x.is_empty() {
        return Ok(super::keys::null_vector(x.ty, src.len()));
    }
    let mut g = kernels::gather(x, &idx);
    let mask = Bitmap::from_bools(src.iter().map(|s| matches!(s, Src::Arg(_))));
    g.validity = kernels::and_validity(g.validity.take(), kernels::normalize(mask));
    Ok(g)
}
