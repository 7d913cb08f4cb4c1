//! Arithmetic: `+ - * / %` and unary minus.
//!
//! Kernels compute every row (NULL slots included, whose values are arbitrary) and OR the
//! per-row error codes, which keeps the loops branch-free; only if a code is set do we look
//! again for the first non-NULL row that fails and report it. Integer and decimal overflow
//! and division by zero are errors; `i64::MIN % -1` is 0 (PostgreSQL).
//!
//! Decimal results are checked against their physical width, not their type's precision:
//! 64-bit decimals may carry more digits than the binder's capped precision says (PostgreSQL's
//! numeric is unbounded, so those intermediate values are fine; storing checks the column's
//! declared precision). 128-bit decimals are checked against 38 digits, [`DECIMAL_MAX`]: the
//! largest DECIMAL there is, so a result beyond it is an error in every tier and every path
//! (column or constant).

use super::compile::{cast_to, fold};
use super::node::{nulls, with_access, FromScalar, Node, Operand, Rows};
use crate::exec::batch::Batch;
use crate::exec::kernels::{and_validity, first_error, make_vector, map1, map2, DECIMAL_MAX};
use crate::vector::Bitmap;
use crate::{Error, Result};
use grizzly_ir::{DataType, PhysicalType};

/// Error code: the result does not fit the type.
pub(crate) const OVERFLOW: u8 = 1;
/// Error code: division or modulo by zero.
pub(crate) const DIV_ZERO: u8 = 2;

/// `r` with the overflow code if the `i128` operation overflowed (`o`) or `r` has more than
/// 38 digits.
#[inline(always)]
pub(crate) fn decimal_result(r: i128, o: bool) -> (i128, u8) {
    (r, (o | (r.unsigned_abs() > DECIMAL_MAX as u128)) as u8)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Mod,
}

impl ArithOp {
    fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
            ArithOp::Mod => "%",
        }
    }
}

/// How the operation is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Both operands have the result's physical type.
    Same,
    /// DECIMAL multiplication into an `i128` result from `i64` or `i128` operands.
    WideMul,
    /// DECIMAL division: `left * 10^shift / right` rounded half away from zero; both operands
    /// are `i128` decimals.
    DecimalDiv { shift: u8 },
}

pub(crate) struct ArithNode {
    pub op: ArithOp,
    pub left: Node,
    pub right: Node,
    pub ty: DataType,
    pub kind: Kind,
}

/// Builds `left op right` of result type `ty`, inserting the conversions the kernels need.
pub(crate) fn build(op: ArithOp, left: Node, right: Node, ty: DataType) -> Result<Node> {
    use DataType::*;
    let (lt, rt) = (left.ty(), right.ty());
    let node = |op, left, right, ty, kind| {
        fold(Node::Arith(Box::new(ArithNode {
            op,
            left,
            right,
            ty,
            kind,
        })))
    };
    match (op, lt, rt, ty) {
        (ArithOp::Sub, Date, Date, Int32 | Int64) => {
            cast_to(node(op, left, right, Int32, Kind::Same), ty)
        }
        (ArithOp::Add | ArithOp::Sub, Date, _, Date) => {
            Ok(node(op, left, cast_to(right, Int32)?, Date, Kind::Same))
        }
        (ArithOp::Add, _, Date, Date) => {
            Ok(node(op, cast_to(left, Int32)?, right, Date, Kind::Same))
        }
        (ArithOp::Mul, _, _, Decimal { .. }) => decimal_mul(left, right, ty),
        (ArithOp::Div, _, _, Decimal { scale, .. }) => {
            let (Some(ld), Some(rd)) = (lt.as_decimal(), rt.as_decimal()) else {
                return unsupported(op, lt, rt);
            };
            let (sa, mut sb) = (ld.scale(), rd.scale());
            // Keep the shift non-negative by giving the divisor more digits.
            if (scale as i32 + sb as i32) < sa as i32 {
                sb = sa - scale;
            }
            let shift = scale + sb - sa;
            let l = cast_to(
                left,
                Decimal {
                    precision: 38,
                    scale: sa,
                },
            )?;
            let r = cast_to(
                right,
                Decimal {
                    precision: 38,
                    scale: sb,
                },
            )?;
            Ok(node(op, l, r, ty, Kind::DecimalDiv { shift }))
        }
        _ if ty.is_numeric() && lt.is_numeric() && rt.is_numeric() => Ok(node(
            op,
            cast_to(left, ty)?,
            cast_to(right, ty)?,
            ty,
            Kind::Same,
        )),
        _ => unsupported(op, lt, rt),
    }
}

fn unsupported<T>(op: ArithOp, lt: DataType, rt: DataType) -> Result<T> {
    Err(Error::Unsupported(format!(
        "operator {} on {lt} and {rt}",
        op.symbol()
    )))
}

fn decimal_mul(left: Node, right: Node, ty: DataType) -> Result<Node> {
    let (Some(ld), Some(rd)) = (left.ty().as_decimal(), right.ty().as_decimal()) else {
        return unsupported(ArithOp::Mul, left.ty(), right.ty());
    };
    // Integers become decimals of scale 0, keeping their physical width where possible.
    let as_dec = |n: Node, d: DataType| match n.ty() {
        DataType::Int32 => cast_to(
            n,
            DataType::Decimal {
                precision: 10,
                scale: 0,
            },
        ),
        DataType::Int64 => cast_to(
            n,
            DataType::Decimal {
                precision: 18,
                scale: 0,
            },
        ),
        _ => cast_to(n, d),
    };
    let (left, right) = (as_dec(left, ld)?, as_dec(right, rd)?);
    let scale = ld.scale() as u32 + rd.scale() as u32;
    if scale > 38 {
        return Err(Error::Unsupported(format!(
            "multiplying {ld} by {rd}: scale above 38"
        )));
    }
    let mk = |left, right, ty, kind| {
        fold(Node::Arith(Box::new(ArithNode {
            op: ArithOp::Mul,
            left,
            right,
            ty,
            kind,
        })))
    };
    let exact = DataType::Decimal {
        precision: 38,
        scale: scale as u8,
    };
    if scale != ty.scale() as u32 {
        return cast_to(mk(left, right, exact, Kind::WideMul), ty);
    }
    if ty.physical() == PhysicalType::I128 {
        return Ok(mk(left, right, ty, Kind::WideMul));
    }
    let narrow = |n: Node| match n.ty().physical() {
        PhysicalType::I64 => Ok(n),
        _ => {
            let scale = n.ty().scale();
            cast_to(
                n,
                DataType::Decimal {
                    precision: 18,
                    scale,
                },
            )
        }
    };
    Ok(mk(narrow(left)?, narrow(right)?, ty, Kind::Same))
}

/// A numeric kernel type: each operation returns the result and an error code.
pub(crate) trait Num: FromScalar {
    fn add(a: Self, b: Self) -> (Self, u8);
    fn sub(a: Self, b: Self) -> (Self, u8);
    fn mul(a: Self, b: Self) -> (Self, u8);
    fn div(a: Self, b: Self) -> (Self, u8);
    fn rem(a: Self, b: Self) -> (Self, u8);
    fn neg(a: Self) -> (Self, u8);
}

macro_rules! int_num {
    ($t:ty) => {
        impl Num for $t {
            #[inline(always)]
            fn add(a: Self, b: Self) -> (Self, u8) {
                let (r, o) = a.overflowing_add(b);
                (r, o as u8)
            }
            #[inline(always)]
            fn sub(a: Self, b: Self) -> (Self, u8) {
                let (r, o) = a.overflowing_sub(b);
                (r, o as u8)
            }
            #[inline(always)]
            fn mul(a: Self, b: Self) -> (Self, u8) {
                let (r, o) = a.overflowing_mul(b);
                (r, o as u8)
            }
            #[inline(always)]
            fn div(a: Self, b: Self) -> (Self, u8) {
                if b == 0 {
                    return (0, DIV_ZERO);
                }
                let (r, o) = a.overflowing_div(b);
                (r, o as u8)
            }
            #[inline(always)]
            fn rem(a: Self, b: Self) -> (Self, u8) {
                if b == 0 {
                    return (0, DIV_ZERO);
                }
                (a.wrapping_rem(b), 0)
            }
            #[inline(always)]
            fn neg(a: Self) -> (Self, u8) {
                let (r, o) = a.overflowing_neg();
                (r, o as u8)
            }
        }
    };
}
int_num!(i32);
int_num!(i64);

/// `i128` holds only DECIMAL(19..=38) values: every result is checked against 38 digits.
impl Num for i128 {
    #[inline(always)]
    fn add(a: i128, b: i128) -> (i128, u8) {
        let (r, o) = a.overflowing_add(b);
        decimal_result(r, o)
    }
    #[inline(always)]
    fn sub(a: i128, b: i128) -> (i128, u8) {
        let (r, o) = a.overflowing_sub(b);
        decimal_result(r, o)
    }
    #[inline(always)]
    fn mul(a: i128, b: i128) -> (i128, u8) {
        mul_i128(a, b)
    }
    #[inline(always)]
    fn div(a: i128, b: i128) -> (i128, u8) {
        if b == 0 {
            return (0, DIV_ZERO);
        }
        let (r, o) = a.overflowing_div(b);
        decimal_result(r, o)
    }
    #[inline(always)]
    fn rem(a: i128, b: i128) -> (i128, u8) {
        if b == 0 {
            return (0, DIV_ZERO);
        }
        (a.wrapping_rem(b), 0)
    }
    #[inline(always)]
    fn neg(a: i128) -> (i128, u8) {
        let (r, o) = a.overflowing_neg();
        decimal_result(r, o)
    }
}

/// `i128` decimal multiplication, checked against 38 digits; fast when both factors fit an
/// `i64` (their product then always fits an `i128`): the usual case for decimal products.
#[inline(always)]
fn mul_i128(a: i128, b: i128) -> (i128, u8) {
    let (x, y) = (a as i64, b as i64);
    if (x as i128 == a) & (y as i128 == b) {
        return decimal_result(x as i128 * y as i128, false);
    }
    let (r, o) = a.overflowing_mul(b);
    decimal_result(r, o)
}

#[inline(always)]
fn inf(r: f64, a: f64, b: f64) -> u8 {
    (r.is_infinite() & a.is_finite() & b.is_finite()) as u8
}

impl Num for f64 {
    #[inline(always)]
    fn add(a: f64, b: f64) -> (f64, u8) {
        let r = a + b;
        (r, inf(r, a, b))
    }
    #[inline(always)]
    fn sub(a: f64, b: f64) -> (f64, u8) {
        let r = a - b;
        (r, inf(r, a, b))
    }
    #[inline(always)]
    fn mul(a: f64, b: f64) -> (f64, u8) {
        let r = a * b;
        (r, inf(r, a, b))
    }
    #[inline(always)]
    fn div(a: f64, b: f64) -> (f64, u8) {
        if b == 0.0 {
            return (0.0, DIV_ZERO);
        }
        let r = a / b;
        (r, inf(r, a, b))
    }
    #[inline(always)]
    fn rem(a: f64, b: f64) -> (f64, u8) {
        if b == 0.0 {
            return (0.0, DIV_ZERO);
        }
        (a % b, 0)
    }
    #[inline(always)]
    fn neg(a: f64) -> (f64, u8) {
        (-a, 0)
    }
}

fn op_fn<T: Num>(op: ArithOp) -> fn(T, T) -> (T, u8) {
    match op {
        ArithOp::Add => T::add,
        ArithOp::Sub => T::sub,
        ArithOp::Mul => T::mul,
        ArithOp::Div => T::div,
        ArithOp::Mod => T::rem,
    }
}

/// The error for code `code` of an operation producing `ty`.
pub(crate) fn error(code: u8, ty: DataType, what: &str) -> Error {
    if code & DIV_ZERO != 0 {
        return Error::Execution("division by zero".into());
    }
    Error::Execution(match ty {
        DataType::Int32 | DataType::Int64 => "integer out of range".into(),
        DataType::Date => "date out of range".into(),
        DataType::Float64 => "value out of range: overflow".into(),
        _ => format!("decimal overflow: result of {what} does not fit {ty}"),
    })
}

pub(crate) fn eval(node: &ArithNode, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    let n = rows.len();
    let a = node.left.operand(batch, rows)?;
    let b = node.right.operand(batch, rows)?;
    if a.is_null_const() || b.is_null_const() {
        return nulls(node.ty, n);
    }
    let valid = and_validity(a.validity(n), b.validity(n));
    match (node.kind, node.ty.physical()) {
        (Kind::Same, PhysicalType::I32) => same::<i32>(node, &a, &b, n, valid),
        (Kind::Same, PhysicalType::I64) => same::<i64>(node, &a, &b, n, valid),
        (Kind::Same, PhysicalType::I128) => same::<i128>(node, &a, &b, n, valid),
        (Kind::Same, PhysicalType::F64) => same::<f64>(node, &a, &b, n, valid),
        (Kind::WideMul, PhysicalType::I128) => wide_mul(node, &a, &b, n, valid),
        (Kind::DecimalDiv { shift }, _) => decimal_div(node, shift, &a, &b, n, valid),
        (kind, p) => Err(Error::Internal(format!(
            "arithmetic {kind:?} producing {p:?}"
        ))),
    }
}

use crate::vector::Vector;

fn same<T: Num>(
    node: &ArithNode,
    a: &Operand<'_>,
    b: &Operand<'_>,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    macro_rules! run {
        ($f:expr) => {
            with_access!(a, T, |x| with_access!(b, T, |y| map2::<T, T, T, _, _, _>(
                n, x, y, $f
            )))
        };
    }
    let (values, bad) = match node.op {
        ArithOp::Add => run!(T::add),
        ArithOp::Sub => run!(T::sub),
        ArithOp::Mul => run!(T::mul),
        ArithOp::Div => run!(T::div),
        ArithOp::Mod => run!(T::rem),
    };
    if bad != 0 {
        let f = op_fn::<T>(node.op);
        if let Some(code) = first_error(n, valid.as_ref(), |i| f(a.get(i), b.get(i)).1) {
            return Err(error(code, node.ty, node.op.symbol()));
        }
    }
    Ok(make_vector(node.ty, values, valid))
}

fn operand_physical(o: &Operand<'_>) -> PhysicalType {
    match o {
        Operand::Vec(v, _) => v.ty.physical(),
        Operand::Const(c) => c.ty.physical(),
    }
}

/// Reads an `i64` or `i128` operand as `i128`.
fn wide(o: &Operand<'_>, i: usize) -> i128 {
    match operand_physical(o) {
        PhysicalType::I64 => o.get::<i64>(i) as i128,
        _ => o.get::<i128>(i),
    }
}

fn wide_mul(
    node: &ArithNode,
    a: &Operand<'_>,
    b: &Operand<'_>,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    use PhysicalType::{I128, I64};
    macro_rules! run {
        ($S:ty, $U:ty, $f:expr) => {
            with_access!(a, $S, |x| with_access!(b, $U, |y| map2::<
                i128,
                i128,
                i128,
                _,
                _,
                _,
            >(n, x, y, $f)))
        };
    }
    let (values, bad) = match (operand_physical(a), operand_physical(b)) {
        // The product of two i64 values is below 2^126 < 10^38: no check needed.
        (I64, I64) => run!(i64, i64, |p: i128, q: i128| (p * q, 0u8)),
        (I64, I128) => run!(i64, i128, mul_i128),
        (I128, I64) => run!(i128, i64, mul_i128),
        (I128, I128) => run!(i128, i128, mul_i128),
        (p, q) => {
            return Err(Error::Internal(format!(
                "decimal product of {p:?} and {q:?}"
            )))
        }
    };
    if bad != 0 {
        let code = |i| mul_i128(wide(a, i), wide(b, i)).1;
        if let Some(code) = first_error(n, valid.as_ref(), code) {
            return Err(error(code, node.ty, "*"));
        }
    }
    Ok(make_vector(node.ty, values, valid))
}

/// `a * 10^shift / b` rounded half away from zero, with an error code.
fn div_round(a: i128, b: i128, shift: u8) -> (i128, u8) {
    if b == 0 {
        return (0, DIV_ZERO);
    }
    let Some(num) = grizzly_ir::types::pow10(shift).and_then(|p| a.checked_mul(p)) else {
        return (0, OVERFLOW);
    };
    let (q, r) = (num / b, num % b);
    let away = r.unsigned_abs() >= b.unsigned_abs() - r.unsigned_abs();
    let q = if r != 0 && away {
        q + if (num < 0) != (b < 0) { -1 } else { 1 }
    } else {
        q
    };
    decimal_result(q, false)
}

fn decimal_div(
    node: &ArithNode,
    shift: u8,
    a: &Operand<'_>,
    b: &Operand<'_>,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        let ok = valid.as_ref().is_none_or(|v| v.is_valid(i));
        let (q, code) = if ok {
            div_round(a.get(i), b.get(i), shift)
        } else {
            (0, 0)
        };
        if code != 0 {
            return Err(error(code, node.ty, "/"));
        }
        values.push(q);
    }
    if node.ty.physical() == PhysicalType::I128 {
        return Ok(make_vector(node.ty, values, valid));
    }
    let narrow: Option<Vec<i64>> = values.iter().map(|&q| i64::try_from(q).ok()).collect();
    let narrow = narrow.ok_or_else(|| error(OVERFLOW, node.ty, "/"))?;
    Ok(make_vector(node.ty, narrow, valid))
}

/// `-x`.
pub(crate) fn negate(input: &Node, ty: DataType, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    let n = rows.len();
    let a = input.operand(batch, rows)?;
    if a.is_null_const() {
        return nulls(ty, n);
    }
    let valid = a.validity(n);
    fn run<T: Num>(
        a: &Operand<'_>,
        n: usize,
        valid: Option<Bitmap>,
        ty: DataType,
    ) -> Result<Vector> {
        let (values, bad) = with_access!(a, T, |x| map1::<T, T, _, _>(n, x, T::neg));
        if bad != 0 {
            if let Some(code) = first_error(n, valid.as_ref(), |i| T::neg(a.get(i)).1) {
                return Err(error(code, ty, "-"));
            }
        }
        Ok(make_vector(ty, values, valid))
    }
    match ty.physical() {
        PhysicalType::I32 => run::<i32>(&a, n, valid, ty),
        PhysicalType::I64 => run::<i64>(&a, n, valid, ty),
        PhysicalType::I128 => run::<i128>(&a, n, valid, ty),
        PhysicalType::F64 => run::<f64>(&a, n, valid, ty),
        p => Err(Error::Unsupported(format!("negating a {ty} ({p:?}) value"))),
    }
}
