//! Comparisons `= <> < <= > >=`: NULL if either side is NULL.
//!
//! Every operator is reduced to one of `=`, `<`, `<=` plus a negation flag, so each physical
//! type needs three loops per access pattern. In `select` mode the loop writes the row numbers
//! that pass straight into the new selection (branch-free), never materializing booleans: this
//! is the path of filters like `l_shipdate >= DATE '1994-01-01'`. Doubles compare like
//! PostgreSQL: NaN equals NaN and sorts above every other value. Strings compare bytewise
//! (code-point order); a dictionary column against a constant becomes a range test on codes,
//! found by binary search in the sorted dictionary.

use super::compile::{cast_to, fold};
use super::node::{nulls, with_access, FromScalar, Node, Operand, Rows, Scalar};
use crate::exec::batch::Batch;
use crate::exec::kernels::{and_validity, make_vector, Access, Dense, Gather, Splat, StrCol};
use crate::vector::{Bitmap, StrData, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::{BinaryOp, DataType, PhysicalType};
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

/// The three comparisons kernels implement.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Base {
    Eq,
    Lt,
    Le,
}

impl CmpOp {
    pub fn from_binary(op: BinaryOp) -> Option<CmpOp> {
        Some(match op {
            BinaryOp::Eq => CmpOp::Eq,
            BinaryOp::NotEq => CmpOp::NotEq,
            BinaryOp::Lt => CmpOp::Lt,
            BinaryOp::LtEq => CmpOp::LtEq,
            BinaryOp::Gt => CmpOp::Gt,
            BinaryOp::GtEq => CmpOp::GtEq,
            _ => return None,
        })
    }

    /// The operator with its operands swapped.
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            other => other,
        }
    }

    /// `(base, negate)`: `a op b` is `base(a, b) != negate` (for non-NULL values).
    fn base(self) -> (Base, bool) {
        match self {
            CmpOp::Eq => (Base::Eq, false),
            CmpOp::NotEq => (Base::Eq, true),
            CmpOp::Lt => (Base::Lt, false),
            CmpOp::LtEq => (Base::Le, false),
            CmpOp::Gt => (Base::Le, true),
            CmpOp::GtEq => (Base::Lt, true),
        }
    }
}

pub(crate) struct CompareNode {
    pub op: CmpOp,
    pub left: Node,
    pub right: Node,
}

/// Builds `left op right`, bringing operands of different types to a common one and putting a
/// constant on the right.
pub(crate) fn build(op: CmpOp, left: Node, right: Node) -> Result<Node> {
    let (lt, rt) = (left.ty(), right.ty());
    let (left, right) = if lt == rt {
        (left, right)
    } else {
        let common = common_type(lt, rt).ok_or_else(|| {
            Error::Internal(format!("comparison of {lt} with {rt} reached execution"))
        })?;
        (cast_to(left, common)?, cast_to(right, common)?)
    };
    let (op, left, right) = if left.as_const().is_some() && right.as_const().is_none() {
        (op.flip(), right, left)
    } else {
        (op, left, right)
    };
    Ok(fold(Node::Compare(Box::new(CompareNode {
        op,
        left,
        right,
    }))))
}

/// The type both sides of a comparison of `a` and `b` can be cast to exactly (the binder
/// normally makes the types equal already).
pub(crate) fn common_type(a: DataType, b: DataType) -> Option<DataType> {
    use DataType::*;
    match (a, b) {
        _ if a == b => Some(a),
        (Float64, x) | (x, Float64) if x.is_numeric() => Some(Float64),
        (Int32, Int64) | (Int64, Int32) => Some(Int64),
        _ => {
            let (
                Some(Decimal {
                    precision: pa,
                    scale: sa,
                }),
                Some(Decimal {
                    precision: pb,
                    scale: sb,
                }),
            ) = (a.as_decimal(), b.as_decimal())
            else {
                return None;
            };
            let scale = sa.max(sb);
            let int_digits = pa.saturating_sub(sa).max(pb.saturating_sub(sb));
            Some(Decimal {
                precision: int_digits.saturating_add(scale).min(38),
                scale,
            })
        }
    }
}

/// SQL ordering of kernel values.
pub(crate) trait SqlOrd: Copy {
    fn sql_eq(a: Self, b: Self) -> bool;
    fn sql_lt(a: Self, b: Self) -> bool;
    fn sql_le(a: Self, b: Self) -> bool;
}

macro_rules! ord {
    ($($t:ty),*) => {$(
        impl SqlOrd for $t {
            #[inline(always)]
            fn sql_eq(a: Self, b: Self) -> bool { a == b }
            #[inline(always)]
            fn sql_lt(a: Self, b: Self) -> bool { a < b }
            #[inline(always)]
            fn sql_le(a: Self, b: Self) -> bool { a <= b }
        }
    )*};
}
ord!(u8, u32, i32, i64, i128, &[u8]);

impl SqlOrd for f64 {
    #[inline(always)]
    fn sql_eq(a: f64, b: f64) -> bool {
        a == b || (a.is_nan() & b.is_nan())
    }
    #[inline(always)]
    fn sql_lt(a: f64, b: f64) -> bool {
        a < b || (b.is_nan() & !a.is_nan())
    }
    #[inline(always)]
    fn sql_le(a: f64, b: f64) -> bool {
        a <= b || b.is_nan()
    }
}

/// Kernel output: booleans (eval) or the logical positions that passed (select).
pub(crate) enum Out {
    Bools(Vec<u8>),
    Positions(Vec<u32>),
}

/// Compares `n` rows. With `select`, returns the positions where the result is true and the
/// row is valid; otherwise the result of every row (NULL rows arbitrary).
#[inline(always)]
pub(crate) fn kernel<T, A, B, F>(
    n: usize,
    a: A,
    b: B,
    negate: bool,
    valid: Option<&Bitmap>,
    select: bool,
    f: F,
) -> Out
where
    A: Access<T>,
    B: Access<T>,
    F: Fn(T, T) -> bool,
{
    let (a, b) = (a.fit(n), b.fit(n));
    if !select {
        return Out::Bools(
            (0..n)
                .map(|i| (f(a.at(i), b.at(i)) != negate) as u8)
                .collect(),
        );
    }
    let mut out = vec![0u32; n];
    let mut k = 0;
    match valid {
        None => {
            for i in 0..n {
                out[k] = i as u32;
                k += (f(a.at(i), b.at(i)) != negate) as usize;
            }
        }
        Some(v) => {
            for i in 0..n {
                out[k] = i as u32;
                k += ((f(a.at(i), b.at(i)) != negate) & v.is_valid(i)) as usize;
            }
        }
    }
    out.truncate(k);
    Out::Positions(out)
}

pub(crate) fn eval(node: &CompareNode, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    let n = rows.len();
    let a = node.left.operand(batch, rows)?;
    let b = node.right.operand(batch, rows)?;
    if a.is_null_const() || b.is_null_const() {
        return nulls(DataType::Boolean, n);
    }
    let valid = and_validity(a.validity(n), b.validity(n));
    match run(node.op, &a, &b, n, valid.as_ref(), None)? {
        Out::Bools(v) => Ok(make_vector(DataType::Boolean, v, valid)),
        Out::Positions(_) => Err(Error::Internal("comparison returned positions".into())),
    }
}

pub(crate) fn select(
    node: &CompareNode,
    batch: &Batch,
    rows: Rows<'_>,
    want: bool,
) -> Result<Vec<u32>> {
    let n = rows.len();
    let a = node.left.operand(batch, rows)?;
    let b = node.right.operand(batch, rows)?;
    if a.is_null_const() || b.is_null_const() {
        return Ok(Vec::new());
    }
    let valid = and_validity(a.validity(n), b.validity(n));
    match run(node.op, &a, &b, n, valid.as_ref(), Some(want))? {
        Out::Positions(mut p) => {
            rows.to_physical(&mut p);
            Ok(p)
        }
        Out::Bools(_) => Err(Error::Internal("comparison returned booleans".into())),
    }
}

/// `a op b` over `n` rows; `select = Some(want)` selects rows where the result is `want`.
pub(crate) fn run(
    op: CmpOp,
    a: &Operand<'_>,
    b: &Operand<'_>,
    n: usize,
    valid: Option<&Bitmap>,
    select: Option<bool>,
) -> Result<Out> {
    let (base, negate) = op.base();
    let negate = negate != (select == Some(false));
    let sel = select.is_some();
    fn typed<T: SqlOrd + FromScalar>(
        base: Base,
        negate: bool,
        a: &Operand<'_>,
        b: &Operand<'_>,
        n: usize,
        valid: Option<&Bitmap>,
        sel: bool,
    ) -> Result<Out> {
        macro_rules! go {
            ($f:expr) => {
                with_access!(a, T, |x| with_access!(b, T, |y| kernel::<T, _, _, _>(
                    n, x, y, negate, valid, sel, $f
                )))
            };
        }
        Ok(match base {
            Base::Eq => go!(T::sql_eq),
            Base::Lt => go!(T::sql_lt),
            Base::Le => go!(T::sql_le),
        })
    }
    let ty = match a {
        Operand::Vec(v, _) => v.ty,
        Operand::Const(c) => c.ty,
    };
    match ty.physical() {
        PhysicalType::Bool => typed::<u8>(base, negate, a, b, n, valid, sel),
        PhysicalType::I32 => typed::<i32>(base, negate, a, b, n, valid, sel),
        PhysicalType::I64 => typed::<i64>(base, negate, a, b, n, valid, sel),
        PhysicalType::I128 => typed::<i128>(base, negate, a, b, n, valid, sel),
        PhysicalType::F64 => typed::<f64>(base, negate, a, b, n, valid, sel),
        PhysicalType::Str => strings(base, negate, a, b, n, valid, sel),
    }
}

/// Reads strings of an operand by logical row.
#[derive(Clone, Copy)]
pub(crate) struct StrAcc<'a> {
    col: StrCol<'a>,
    sel: Option<&'a [u32]>,
}

impl<'a> StrAcc<'a> {
    pub fn new(v: &'a Vector, sel: Option<&'a [u32]>) -> Result<StrAcc<'a>> {
        Ok(StrAcc {
            col: StrCol::of(v)?,
            sel,
        })
    }
}

impl<'a> Access<&'a [u8]> for StrAcc<'a> {
    #[inline(always)]
    fn at(&self, i: usize) -> &'a [u8] {
        match self.sel {
            None => self.col.get(i),
            Some(s) => self.col.get(s[i] as usize),
        }
    }
}

/// Runs `$body` with `$acc` bound to an [`Access`] over an operand's strings.
macro_rules! with_str_access {
    ($operand:expr, |$acc:ident| $body:expr) => {
        match $operand {
            $crate::exec::expr::node::Operand::Vec(v, sel) => {
                let $acc = $crate::exec::expr::compare::StrAcc::new(v, *sel)?;
                $body
            }
            $crate::exec::expr::node::Operand::Const(c) => {
                let bytes: &[u8] = match &c.scalar {
                    $crate::exec::expr::node::Scalar::Str(s) => s,
                    _ => &[],
                };
                let $acc = $crate::exec::kernels::Splat(bytes);
                $body
            }
        }
    };
}
pub(crate) use with_str_access;

/// Number of dictionary entries `< c` (or `<= c` with `inclusive`).
fn partition(dict: &StrData, c: &[u8], inclusive: bool) -> u32 {
    let (mut lo, mut hi) = (0usize, dict.len());
    while lo < hi {
        let mid = (lo + hi) / 2;
        let e = dict.get_bytes(mid);
        if e < c || (inclusive && e == c) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo as u32
}

fn strings(
    base: Base,
    negate: bool,
    a: &Operand<'_>,
    b: &Operand<'_>,
    n: usize,
    valid: Option<&Bitmap>,
    sel: bool,
) -> Result<Out> {
    match (a, b) {
        (Operand::Vec(v, s), Operand::Const(c)) => {
            if let (VectorData::Dict { codes, dict }, Scalar::Str(c)) = (&v.data, &c.scalar) {
                // Codes of the sorted dictionary that satisfy `base` form the range lo..hi.
                let (lo, hi) = match base {
                    Base::Eq => (partition(dict, c, false), partition(dict, c, true)),
                    Base::Lt => (0, partition(dict, c, false)),
                    Base::Le => (0, partition(dict, c, true)),
                };
                let width = hi - lo;
                let f = move |code: u32, _: u32| code.wrapping_sub(lo) < width;
                return Ok(match s {
                    None => kernel(n, Dense(codes), Splat(0u32), negate, valid, sel, f),
                    Some(s) => kernel(n, Gather(codes, s), Splat(0u32), negate, valid, sel, f),
                });
            }
        }
        (Operand::Vec(va, sa), Operand::Vec(vb, sb)) => {
            if let (
                VectorData::Dict {
                    codes: ca,
                    dict: da,
                },
                VectorData::Dict {
                    codes: cb,
                    dict: db,
                },
            ) = (&va.data, &vb.data)
            {
                if Arc::ptr_eq(da, db) {
                    return Ok(dict_codes(
                        base,
                        negate,
                        (ca, *sa),
                        (cb, *sb),
                        n,
                        valid,
                        sel,
                    ));
                }
            }
        }
        _ => {}
    }
    macro_rules! go {
        ($f:expr) => {
            with_str_access!(a, |x| with_str_access!(b, |y| kernel::<&[u8], _, _, _>(
                n, x, y, negate, valid, sel, $f
            )))
        };
    }
    Ok(match base {
        Base::Eq => go!(<&[u8] as SqlOrd>::sql_eq),
        Base::Lt => go!(<&[u8] as SqlOrd>::sql_lt),
        Base::Le => go!(<&[u8] as SqlOrd>::sql_le),
    })
}

/// Compares two columns encoded with the same dictionary by their codes.
fn dict_codes(
    base: Base,
    negate: bool,
    a: (&[u32], Option<&[u32]>),
    b: (&[u32], Option<&[u32]>),
    n: usize,
    valid: Option<&Bitmap>,
    sel: bool,
) -> Out {
    fn go<A: Access<u32>, B: Access<u32>>(
        base: Base,
        negate: bool,
        x: A,
        y: B,
        n: usize,
        valid: Option<&Bitmap>,
        sel: bool,
    ) -> Out {
        match base {
            Base::Eq => kernel(n, x, y, negate, valid, sel, <u32 as SqlOrd>::sql_eq),
            Base::Lt => kernel(n, x, y, negate, valid, sel, <u32 as SqlOrd>::sql_lt),
            Base::Le => kernel(n, x, y, negate, valid, sel, <u32 as SqlOrd>::sql_le),
        }
    }
    match (a, b) {
        ((ca, None), (cb, None)) => go(base, negate, Dense(ca), Dense(cb), n, valid, sel),
        ((ca, Some(s)), (cb, None)) => go(base, negate, Gather(ca, s), Dense(cb), n, valid, sel),
        ((ca, None), (cb, Some(s))) => go(base, negate, Dense(ca), Gather(cb, s), n, valid, sel),
        ((ca, Some(s)), (cb, Some(t))) => {
            go(base, negate, Gather(ca, s), Gather(cb, t), n, valid, sel)
        }
    }
}
