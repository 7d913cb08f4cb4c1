//! Scalar functions ([`grizzly_ir::ScalarFunc`]): argument conversion at build time and the
//! numeric and date kernels; string functions live in [`super::strings`]. Unless stated
//! otherwise a function is NULL if any argument is NULL.

use super::arith::{decimal_result, error, OVERFLOW};
use super::cast::{cast_operand, round_div};
use super::compare::{run as compare, with_str_access, CmpOp, Out};
use super::compile::{cast_to, fold};
use super::node::{nulls, with_access, FromScalar, Node, Operand, Rows};
use super::strings;
use super::text_lib;
use crate::exec::batch::Batch;
use crate::exec::kernels::{
    and_validity, bitmap_from_fn, first_error, make_vector, map1, map2, normalize, Access, Native,
    Splat,
};
use crate::vector::{Bitmap, Vector};
use crate::{Error, Result};
use grizzly_ir::date::{add_months, extract, DateField};
use grizzly_ir::types::pow10;
use grizzly_ir::{
    BitOp, DataType, DateFunc, MathFunc, PhysicalType, Rounding, ScalarFunc, TextFunc,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Func {
    Substring,
    Length,
    Upper,
    Lower,
    Trim,
    LTrim,
    RTrim,
    /// `concat(...)`: skips NULLs.
    Concat,
    /// `a || b`: NULL if either is NULL.
    ConcatOp,
    NullIf,
    Abs,
    Round,
    Extract(DateField),
    DateAddDays,
    DateAddMonths,
    /// `regexp_matches(s, pattern)`.
    RegexpMatches,
    Math(MathFunc),
    ToInteger(Rounding),
    Text(TextFunc),
    Date(DateFunc),
    Bitwise(BitOp),
    TryCast,
}

pub(crate) struct FuncNode {
    pub func: Func,
    pub args: Vec<Node>,
    pub ty: DataType,
    /// `RegexpMatches` with a constant pattern: the pattern, compiled once.
    pub regex: Option<regex::Regex>,
}

/// Builds a call of `func`.
pub(crate) fn build(func: ScalarFunc, args: Vec<Node>, ty: DataType) -> Result<Node> {
    let f = match func {
        ScalarFunc::Substring => Func::Substring,
        ScalarFunc::Length => Func::Length,
        ScalarFunc::Upper => Func::Upper,
        ScalarFunc::Lower => Func::Lower,
        ScalarFunc::Trim => Func::Trim,
        ScalarFunc::LTrim => Func::LTrim,
        ScalarFunc::RTrim => Func::RTrim,
        ScalarFunc::Concat => Func::Concat,
        ScalarFunc::NullIf => Func::NullIf,
        ScalarFunc::Abs => Func::Abs,
        ScalarFunc::Round => Func::Round,
        ScalarFunc::Extract(field) => Func::Extract(field),
        ScalarFunc::DateAddDays => Func::DateAddDays,
        ScalarFunc::DateAddMonths => Func::DateAddMonths,
        ScalarFunc::RegexpMatches => Func::RegexpMatches,
        ScalarFunc::Math(m) => Func::Math(m),
        ScalarFunc::ToInteger(r) => Func::ToInteger(r),
        ScalarFunc::Text(t) => Func::Text(t),
        ScalarFunc::Date(d) => Func::Date(d),
        ScalarFunc::Bitwise(b) => Func::Bitwise(b),
        ScalarFunc::TryCast => Func::TryCast,
        ScalarFunc::Coalesce => {
            if args.is_empty() {
                return Err(Error::Internal("coalesce without arguments".into()));
            }
            let args = args
                .into_iter()
                .map(|a| cast_to(a, ty))
                .collect::<Result<Vec<_>>>()?;
            return Ok(fold(Node::Coalesce { args, ty }));
        }
        other => return Err(Error::Unsupported(format!("scalar function {other:?}"))),
    };
    build_func(f, args, ty)
}

/// Builds a call of `func`, converting arguments to the types the kernels read.
pub(crate) fn build_func(func: Func, args: Vec<Node>, ty: DataType) -> Result<Node> {
    use DataType::*;
    let (min, max) = match func {
        Func::Substring => (2, 3),
        Func::Round => (1, 2),
        Func::Concat => (0, usize::MAX),
        Func::ConcatOp
        | Func::NullIf
        | Func::DateAddDays
        | Func::DateAddMonths
        | Func::RegexpMatches => (2, 2),
        Func::Math(m) => (m.arity(), m.arity()),
        Func::Date(DateFunc::MakeDate) => (3, 3),
        Func::Bitwise(BitOp::Not) => (1, 1),
        Func::Bitwise(_) => (2, 2),
        Func::Date(DateFunc::Diff(_) | DateFunc::Strftime) => (2, 2),
        Func::Text(t) => {
            let (kinds, optional) = t.args();
            (kinds.len() - optional, kinds.len())
        }
        _ => (1, 1),
    };
    if args.len() < min || args.len() > max {
        return Err(Error::Internal(format!(
            "{func:?} called with {} arguments",
            args.len()
        )));
    }
    let first_ty = args.first().map(Node::ty);
    let mut out = Vec::with_capacity(args.len());
    for (i, a) in args.into_iter().enumerate() {
        let want = match (func, i) {
            (Func::Substring, 0)
            | (Func::Length | Func::Upper | Func::Lower, _)
            | (Func::Trim | Func::LTrim | Func::RTrim, _)
            | (Func::Concat | Func::ConcatOp | Func::RegexpMatches, _) => Some(Varchar),
            (Func::Substring, _) => Some(Int64),
            (Func::NullIf, 1) => first_ty,
            (Func::Abs, _) => Some(ty),
            (Func::Round, 1) => Some(Int32),
            (Func::Extract(_), _) | (Func::DateAddDays | Func::DateAddMonths, 0) => Some(Date),
            (Func::DateAddDays | Func::DateAddMonths, 1) => Some(Int32),
            (Func::Math(_), _) => Some(Float64),
            (Func::Date(DateFunc::MakeDate), _) => Some(Int32),
            (Func::Date(DateFunc::Strftime), 1) => Some(Varchar),
            (Func::Date(_), _) => Some(Date),
            (Func::Bitwise(BitOp::ShiftLeft | BitOp::ShiftRight), 1) => Some(Int32),
            (Func::Bitwise(_), _) => Some(ty),
            (Func::Text(t), i) => Some(if t.args().0[i] { Varchar } else { Int64 }),
            _ => None,
        };
        out.push(match want {
            Some(t) => cast_to(a, t)?,
            None => a,
        });
    }
    let regex = match (func, out.get(1).and_then(Node::as_const)) {
        (Func::RegexpMatches, Some(c)) => match &c.value {
            grizzly_ir::Value::Varchar(p) => Some(compile_regex(p, false)?),
            _ => None,
        },
        _ => None,
    };
    Ok(fold(Node::Func(Box::new(FuncNode {
        func,
        args: out,
        ty,
        regex,
    }))))
}

pub(crate) fn eval(node: &FuncNode, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    let n = rows.len();
    let ops = node
        .args
        .iter()
        .map(|a| a.operand(batch, rows))
        .collect::<Result<Vec<_>>>()?;
    match node.func {
        Func::Concat => return strings::concat(&ops, n),
        Func::NullIf => return nullif(&ops, node.args[0].ty(), node.ty, n),
        _ => {}
    }
    if ops.iter().any(Operand::is_null_const) {
        return nulls(node.ty, n);
    }
    let valid = ops
        .iter()
        .fold(None, |acc, o| and_validity(acc, o.validity(n)));
    let a = &ops[0];
    let out = match node.func {
        Func::Substring => strings::substring(&ops, n, valid)?,
        Func::Length => strings::length(a, n, valid, node.ty)?,
        Func::Upper => strings::map_text(a, n, valid, strings::upper)?,
        Func::Lower => strings::map_text(a, n, valid, strings::lower)?,
        Func::Trim => text_trim(a, n, valid, true, true)?,
        Func::LTrim => text_trim(a, n, valid, true, false)?,
        Func::RTrim => text_trim(a, n, valid, false, true)?,
        Func::ConcatOp => strings::concat_op(&ops, n, valid)?,
        Func::Abs => abs(a, node.ty, n, valid)?,
        Func::Round => round(&ops, node.args[0].ty(), n, valid)?,
        Func::Extract(field) => unary(a, DataType::Int64, n, valid, move |d: i32| {
            (extract(d, field), 0)
        })?,
        Func::DateAddDays => binary(&ops, DataType::Date, n, valid, |d: i32, k: i32| {
            let (r, o) = d.overflowing_add(k);
            (r, o as u8)
        })?,
        Func::DateAddMonths => binary(&ops, DataType::Date, n, valid, |d: i32, k: i32| {
            add_months(d, k).map_or((0, OVERFLOW), |r| (r, 0))
        })?,
        Func::RegexpMatches => regexp_matches(&ops, node.regex.as_ref(), n, valid)?,
        Func::Math(m) => math(m, &ops, n, valid)?,
        Func::ToInteger(r) => to_integer(r, a, node.args[0].ty(), node.ty, n, valid)?,
        Func::Text(t) => text_lib::eval(t, &ops, node.ty, n, valid)?,
        Func::Date(d) => date_lib(d, &ops, node.ty, n, valid)?,
        Func::Bitwise(op) => bitwise(op, &ops, node.ty, n, valid)?,
        Func::TryCast => try_cast(a, node.args[0].ty(), node.ty, n)?,
        Func::Concat | Func::NullIf => return Err(Error::Internal("handled above".into())),
    };
    convert(out, node.ty, n)
}

/// Casts a result to the node's declared type if a kernel produced another.
fn convert(v: Vector, ty: DataType, n: usize) -> Result<Vector> {
    if v.ty == ty {
        return Ok(v);
    }
    let from = v.ty;
    cast_operand(&Operand::Vec(v, None), from, ty, n)
}

fn text_trim(
    a: &Operand<'_>,
    n: usize,
    valid: Option<Bitmap>,
    left: bool,
    right: bool,
) -> Result<Vector> {
    strings::map_text(a, n, valid, move |s, out| {
        out.extend_from_slice(strings::trim(s, left, right))
    })
}

/// `f` over one operand; error code `OVERFLOW` reports "out of range" for `ty`.
fn unary<S: FromScalar, T: Native>(
    a: &Operand<'_>,
    ty: DataType,
    n: usize,
    valid: Option<Bitmap>,
    f: impl Fn(S) -> (T, u8),
) -> Result<Vector> {
    let (values, bad) = with_access!(a, S, |x| map1::<S, T, _, _>(n, x, &f));
    if bad != 0 {
        if let Some(code) = first_error(n, valid.as_ref(), |i| f(a.get(i)).1) {
            return Err(error(code, ty, "function"));
        }
    }
    Ok(make_vector(ty, values, valid))
}

/// `f` over the first two operands (the second read as a constant 0 if absent).
fn binary<S: FromScalar, U: FromScalar, T: Native>(
    ops: &[Operand<'_>],
    ty: DataType,
    n: usize,
    valid: Option<Bitmap>,
    f: impl Fn(S, U) -> (T, u8),
) -> Result<Vector> {
    let a = &ops[0];
    let (values, bad) = match ops.get(1) {
        Some(b) => with_access!(a, S, |x| with_access!(b, U, |y| map2::<S, U, T, _, _, _>(
            n, x, y, &f
        ))),
        None => with_access!(a, S, |x| map2::<S, U, T, _, _, _>(
            n,
            x,
            Splat(U::default()),
            &f
        )),
    };
    if bad != 0 {
        let second = |i| ops.get(1).map_or(U::default(), |b| b.get(i));
        if let Some(code) = first_error(n, valid.as_ref(), |i| f(a.get(i), second(i)).1) {
            return Err(error(code, ty, "function"));
        }
    }
    Ok(make_vector(ty, values, valid))
}

fn abs(a: &Operand<'_>, ty: DataType, n: usize, valid: Option<Bitmap>) -> Result<Vector> {
    match ty.physical() {
        PhysicalType::I32 => unary(a, ty, n, valid, |x: i32| {
            let (r, o) = x.overflowing_abs();
            (r, o as u8)
        }),
        PhysicalType::I64 => unary(a, ty, n, valid, |x: i64| {
            let (r, o) = x.overflowing_abs();
            (r, o as u8)
        }),
        PhysicalType::I128 => unary(a, ty, n, valid, |x: i128| {
            let (r, o) = x.overflowing_abs();
            (r, o as u8)
        }),
        PhysicalType::F64 => unary(a, ty, n, valid, |x: f64| (x.abs(), 0)),
        _ => Err(Error::Unsupported(format!("abs of {ty}"))),
    }
}

/// Rounds an unscaled value of scale `scale` to `digits` fraction digits (half away from
/// zero), keeping the scale.
#[inline]
fn round_scaled(v: i128, scale: i32, digits: i32) -> (i128, u8) {
    if digits >= scale {
        return (v, 0);
    }
    let Some(p) = u8::try_from(scale - digits).ok().and_then(pow10) else {
        return (0, 0);
    };
    match round_div(v, p).checked_mul(p) {
        Some(r) => (r, 0),
        None => (0, OVERFLOW),
    }
}

/// `round(x [, digits])`, half away from zero; the result has `x`'s type (converted to the
/// declared type by the caller).
fn round(ops: &[Operand<'_>], ty: DataType, n: usize, valid: Option<Bitmap>) -> Result<Vector> {
    let scale = ty.scale() as i32;
    match ty.physical() {
        PhysicalType::F64 => binary(ops, ty, n, valid, |x: f64, d: i32| {
            if d == 0 {
                (x.round(), 0)
            } else {
                let p = 10f64.powi(d);
                ((x * p).round() / p, 0)
            }
        }),
        PhysicalType::I32 => binary(ops, ty, n, valid, |x: i32, d: i32| {
            let (r, o) = round_scaled(x as i128, 0, d);
            (r as i32, o | (i32::try_from(r).is_err() as u8))
        }),
        PhysicalType::I64 => binary(ops, ty, n, valid, move |x: i64, d: i32| {
            let (r, o) = round_scaled(x as i128, scale, d);
            (r as i64, o | (i64::try_from(r).is_err() as u8))
        }),
        PhysicalType::I128 => binary(ops, ty, n, valid, move |x: i128, d: i32| {
            let (r, o) = round_scaled(x, scale, d);
            decimal_result(r, o != 0)
        }),
        _ => Err(Error::Unsupported(format!("round of {ty}"))),
    }
}

/// A DOUBLE function; arguments outside its domain are errors (PostgreSQL's messages).
fn math(m: MathFunc, ops: &[Operand<'_>], n: usize, valid: Option<Bitmap>) -> Result<Vector> {
    let arg = |k: usize, i: usize| ops.get(k).map_or(0.0, |o| o.get::<f64>(i));
    let domain = |x: f64, y: f64| -> Option<&'static str> {
        match m {
            MathFunc::Sqrt if x < 0.0 => Some("cannot take square root of a negative number"),
            MathFunc::Ln | MathFunc::Log10 | MathFunc::Log2 if x == 0.0 => {
                Some("cannot take logarithm of zero")
            }
            MathFunc::Ln | MathFunc::Log10 | MathFunc::Log2 if x < 0.0 => {
                Some("cannot take logarithm of a negative number")
            }
            MathFunc::Asin | MathFunc::Acos if !(-1.0..=1.0).contains(&x) => {
                Some("input is out of range")
            }
            MathFunc::Power if x == 0.0 && y < 0.0 => {
                Some("zero raised to a negative power is undefined")
            }
            MathFunc::Power if x < 0.0 && y.fract() != 0.0 => {
                Some("a negative number raised to a non-integer power yields a complex result")
            }
            _ => None,
        }
    };
    let f = |x: f64, y: f64| -> f64 {
        match m {
            MathFunc::Sqrt => x.sqrt(),
            MathFunc::Cbrt => x.cbrt(),
            MathFunc::Ln => x.ln(),
            MathFunc::Log10 => x.log10(),
            MathFunc::Log2 => x.log2(),
            MathFunc::Exp => x.exp(),
            MathFunc::Sin => x.sin(),
            MathFunc::Cos => x.cos(),
            MathFunc::Tan => x.tan(),
            MathFunc::Asin => x.asin(),
            MathFunc::Acos => x.acos(),
            MathFunc::Atan => x.atan(),
            MathFunc::Degrees => x.to_degrees(),
            MathFunc::Radians => x.to_radians(),
            MathFunc::Power => x.powf(y),
            MathFunc::Atan2 => x.atan2(y),
        }
    };
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        let (x, y) = (arg(0, i), arg(1, i));
        if valid.as_ref().is_none_or(|v| v.is_valid(i)) {
            if let Some(why) = domain(x, y) {
                return Err(Error::Execution(why.into()));
            }
            let r = f(x, y);
            if r.is_infinite() && x.is_finite() && y.is_finite() {
                return Err(Error::Execution("value out of range: overflow".into()));
            }
            values.push(r);
        } else {
            values.push(0.0);
        }
    }
    Ok(make_vector(DataType::Float64, values, valid))
}

/// A bitwise operator on INTEGER or BIGINT operands (shift counts INTEGER).
fn bitwise(
    op: BitOp,
    ops: &[Operand<'_>],
    ty: DataType,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    macro_rules! apply {
        ($t:ty) => {
            binary(ops, ty, n, valid, move |a: $t, b: $t| {
                let r = match op {
                    BitOp::And => a & b,
                    BitOp::Or => a | b,
                    BitOp::Xor => a ^ b,
                    BitOp::ShiftLeft => a.wrapping_shl(b as u32),
                    BitOp::ShiftRight => a.wrapping_shr(b as u32),
                    BitOp::Not => !a,
                };
                (r, 0)
            })
        };
    }
    match (ty.physical(), op) {
        (PhysicalType::I32, _) => apply!(i32),
        // Shift counts are INTEGER: read them as such, shift the BIGINT.
        (PhysicalType::I64, BitOp::ShiftLeft | BitOp::ShiftRight) => {
            binary(ops, ty, n, valid, move |a: i64, b: i32| {
                let r = if op == BitOp::ShiftLeft {
                    a.wrapping_shl(b as u32)
                } else {
                    a.wrapping_shr(b as u32)
                };
                (r, 0)
            })
        }
        (PhysicalType::I64, _) => apply!(i64),
        _ => Err(Error::Unsupported(format!("bitwise {op:?} on {ty}"))),
    }
}

/// `TRY_CAST`: the cast of the whole vector when every value converts, else value by value
/// with NULL for those that do not.
fn try_cast(a: &Operand<'_>, from: DataType, to: DataType, n: usize) -> Result<Vector> {
    if let Ok(v) = cast_operand(a, from, to, n) {
        return Ok(v);
    }
    let values: Vec<grizzly_ir::Value> = (0..n)
        .map(|i| {
            let one = Vector::from_values(from, &[a.value(i)])?;
            cast_operand(&Operand::Vec(one, None), from, to, 1)
                .ok()
                .map(|v| v.get(0))
        })
        .map(|v| v.unwrap_or(grizzly_ir::Value::Null))
        .collect();
    Vector::from_values(to, &values)
        .ok_or_else(|| Error::Internal(format!("TRY_CAST results do not fit {to}")))
}

/// The date library ([`DateFunc`]).
fn date_lib(
    d: DateFunc,
    ops: &[Operand<'_>],
    ty: DataType,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    use grizzly_ir::date;
    let is_valid = |i: usize| valid.as_ref().is_none_or(|v| v.is_valid(i));
    match d {
        DateFunc::MakeDate => {
            let mut out = Vec::with_capacity(n);
            for i in 0..n {
                let (y, m, dd) = (
                    ops[0].get::<i32>(i),
                    ops[1].get::<i32>(i),
                    ops[2].get::<i32>(i),
                );
                let day = match (u32::try_from(m), u32::try_from(dd)) {
                    (Ok(m), Ok(dd)) => date::days_from_civil(y, m, dd),
                    _ => None,
                };
                out.push(match day {
                    Some(day) => day,
                    None if is_valid(i) => {
                        return Err(Error::Execution(format!(
                            "date field value out of range: {y}-{m:02}-{dd:02}"
                        )))
                    }
                    None => 0,
                });
            }
            Ok(make_vector(ty, out, valid))
        }
        DateFunc::LastDay => unary(&ops[0], ty, n, valid, |x: i32| (date::last_day(x), 0)),
        DateFunc::Diff(unit) => binary(ops, ty, n, valid, move |a: i32, b: i32| {
            (date::date_diff(unit, a, b), 0)
        }),
        DateFunc::DayName | DateFunc::MonthName | DateFunc::Strftime => {
            // Each row's format, read in place (a constant format is one slice, repeated).
            let format: Option<Vec<&[u8]>> = match d {
                DateFunc::Strftime => Some(with_str_access!(&ops[1], |x| (0..n)
                    .map(|i| x.at(i))
                    .collect())),
                _ => None,
            };
            let mut out = crate::exec::kernels::StrBuf::with_capacity(n, n * 10);
            let mut text = String::new();
            for i in 0..n {
                if is_valid(i) {
                    let day = ops[0].get::<i32>(i);
                    text.clear();
                    match (d, &format) {
                        (DateFunc::DayName, _) => text.push_str(date::day_name(day)),
                        (DateFunc::MonthName, _) => text.push_str(date::month_name(day)),
                        (_, Some(f)) => {
                            let f = std::str::from_utf8(f[i]).unwrap_or_default();
                            date::strftime(day, f, &mut text).map_err(Error::Execution)?
                        }
                        _ => {}
                    }
                    out.bytes.extend_from_slice(text.as_bytes());
                }
                out.end_value();
            }
            Ok(Vector {
                ty,
                data: crate::vector::VectorData::Str(out.finish()),
                validity: valid,
            })
        }
    }
}

/// `ceil` / `floor` / `trunc`: integers as they are, DOUBLE rounded, DECIMAL(p,s) to
/// DECIMAL(p,0) (the scaled value divided by 10^s, rounded the chosen way).
fn to_integer(
    r: Rounding,
    a: &Operand<'_>,
    arg_ty: DataType,
    ty: DataType,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    fn scaled(x: i128, unit: i128, r: Rounding) -> i128 {
        let (q, rem) = (x / unit, x % unit);
        match r {
            Rounding::Ceil if rem > 0 => q + 1,
            Rounding::Floor if rem < 0 => q - 1,
            _ => q,
        }
    }
    let unit = pow10(arg_ty.scale()).unwrap_or(1);
    match (arg_ty.physical(), ty.physical()) {
        (PhysicalType::F64, _) => unary(a, ty, n, valid, move |x: f64| {
            let v = match r {
                Rounding::Ceil => x.ceil(),
                Rounding::Floor => x.floor(),
                Rounding::Trunc => x.trunc(),
            };
            (v, 0)
        }),
        _ if unit == 1 => cast_operand(a, arg_ty, ty, n),
        (PhysicalType::I64, PhysicalType::I64) => unary(a, ty, n, valid, move |x: i64| {
            (scaled(x as i128, unit, r) as i64, 0)
        }),
        (PhysicalType::I128, PhysicalType::I128) => {
            unary(a, ty, n, valid, move |x: i128| (scaled(x, unit, r), 0))
        }
        _ => Err(Error::Unsupported(format!("{r:?} of {arg_ty}"))),
    }
}

/// `nullif(a, b)`: NULL where `a = b`, else `a`.
fn nullif(ops: &[Operand<'_>], arg_ty: DataType, ty: DataType, n: usize) -> Result<Vector> {
    let (a, b) = (&ops[0], &ops[1]);
    let base = cast_operand(a, arg_ty, arg_ty, n)?;
    if a.is_null_const() || b.is_null_const() {
        return convert(base, ty, n);
    }
    let both = and_validity(a.validity(n), b.validity(n));
    let Out::Positions(equal) = compare(CmpOp::Eq, a, b, n, both.as_ref(), Some(true))? else {
        return Err(Error::Internal(
            "nullif comparison returned booleans".into(),
        ));
    };
    if equal.is_empty() {
        return convert(base, ty, n);
    }
    let mut null = vec![false; n];
    for &p in &equal {
        null[p as usize] = true;
    }
    let validity = normalize(bitmap_from_fn(n, |i| base.is_valid(i) && !null[i]));
    convert(Vector { validity, ..base }, ty, n)
}

/// Compiles a `regexp_matches` pattern.
/// `pattern` compiled (case-insensitively if asked), or an error naming the pattern.
pub(crate) fn compile_regex(pattern: &str, case_insensitive: bool) -> Result<regex::Regex> {
    regex::RegexBuilder::new(pattern)
        .case_insensitive(case_insensitive)
        .build()
        .map_err(|e| {
            let e = e.to_string();
            let why = e
                .lines()
                .last()
                .unwrap_or_default()
                .trim_start_matches("error: ");
            Error::Execution(format!("invalid regular expression '{pattern}': {why}"))
        })
}

/// `regexp_matches(s, pattern)`: `fixed` is the compiled constant pattern, if any; other
/// patterns are compiled per distinct consecutive value.
fn regexp_matches(
    ops: &[Operand<'_>],
    fixed: Option<&regex::Regex>,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    let (s, p) = (&ops[0], &ops[1]);
    let mut out = vec![0u8; n];
    let mut cached: Option<(String, regex::Regex)> = None;
    for (i, o) in out.iter_mut().enumerate() {
        if !valid.as_ref().is_none_or(|v| v.is_valid(i)) {
            continue;
        }
        let grizzly_ir::Value::Varchar(text) = s.value(i) else {
            continue;
        };
        let re = match fixed {
            Some(re) => re,
            None => {
                let grizzly_ir::Value::Varchar(pat) = p.value(i) else {
                    continue;
                };
                if cached.as_ref().is_none_or(|(q, _)| *q != pat) {
                    let re = compile_regex(&pat, false)?;
                    cached = Some((pat, re));
                }
                &cached.as_ref().expect("just set").1
            }
        };
        *o = re.is_match(&text) as u8;
    }
    Ok(Vector {
        ty: DataType::Boolean,
        data: crate::vector::VectorData::Bool(out.into()),
        validity: valid,
    })
}
