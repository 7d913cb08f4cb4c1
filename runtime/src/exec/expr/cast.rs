//! CAST between types: NULL stays NULL; a value that does not fit is an error.
//!
//! - Integers and decimals are read as `i128` and rescaled: more fraction digits multiply,
//!   fewer round half away from zero (PostgreSQL's numeric rounding); the result must fit the
//!   target (INTEGER/BIGINT range, or `precision` digits for DECIMAL).
//! - DOUBLE to INTEGER/BIGINT rounds half to even (PostgreSQL's `rint`); DOUBLE to DECIMAL
//!   goes through 15 significant digits, as PostgreSQL does.
//! - VARCHAR parses (`invalid input syntax for type integer: "abc"`); anything to VARCHAR
//!   formats as PostgreSQL does (see [`super::text`]).
//! - BOOLEAN to and from INTEGER/BIGINT: 0 is false, anything else true.

use super::compare::with_str_access;
use super::node::{nulls, with_access, Const, Node, Operand, Rows};
use super::text::{self, decimal_overflow, syntax_error};
use crate::exec::batch::Batch;
use crate::exec::kernels::{gather, make_vector, map1, repeat, Access, Native, StrBuf};
use crate::vector::{Bitmap, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::types::pow10;
use grizzly_ir::{DataType, PhysicalType, Value};

pub(crate) fn eval(input: &Node, to: DataType, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    let a = input.operand(batch, rows)?;
    cast_operand(&a, input.ty(), to, rows.len())
}

/// Converts a value with the rules of `CAST(value AS to)`.
pub fn cast_value(v: &Value, to: DataType) -> Result<Value> {
    let from = match v {
        Value::Null => return Ok(Value::Null),
        Value::Boolean(_) => DataType::Boolean,
        Value::Int32(_) => DataType::Int32,
        Value::Int64(_) => DataType::Int64,
        Value::Float64(_) => DataType::Float64,
        Value::Decimal(_, s) => DataType::Decimal {
            precision: 38,
            scale: *s,
        },
        Value::Date(_) => DataType::Date,
        Value::Varchar(_) => DataType::Varchar,
    };
    if from == to {
        return Ok(v.clone());
    }
    let c = Const::new(v.clone(), from)?;
    Ok(cast_operand(&Operand::Const(&c), from, to, 1)?.get(0))
}

/// `n` rows of `a` (of type `from`) cast to `to`.
pub(crate) fn cast_operand(
    a: &Operand<'_>,
    from: DataType,
    to: DataType,
    n: usize,
) -> Result<Vector> {
    use DataType::*;
    if a.is_null_const() {
        return nulls(to, n);
    }
    let valid = a.validity(n);
    let int_like = |t: DataType| matches!(t, Int32 | Int64 | Decimal { .. });
    match (from, to) {
        _ if from == to => materialize(a, n, to),
        // Widening a decimal at the same scale and width changes no bits.
        (
            Decimal {
                precision: pf,
                scale: sf,
            },
            Decimal {
                precision: pt,
                scale: st,
            },
        ) if sf == st && pt >= pf && from.physical() == to.physical() => materialize(a, n, to),
        (Varchar, _) => from_text(a, to, n, valid),
        (_, Varchar) => to_text(a, from, n, valid),
        (f, t) if int_like(f) && int_like(t) => rescale(a, from, to, n, valid),
        (f, Float64) if int_like(f) => {
            let div = 10f64.powi(from.scale() as i32);
            map_source(a, from, to, n, valid, move |v: i128| ((v as f64) / div, 0))
        }
        (Float64, Int32) => from_float::<i32>(a, to, n, valid, 2f64.powi(31)),
        (Float64, Int64) => from_float::<i64>(a, to, n, valid, 2f64.powi(63)),
        (Float64, Decimal { scale, .. }) => float_to_decimal(a, scale, to, n, valid),
        (Boolean, Int32) => map_values(a, to, n, valid, |b: u8| (b as i32, 0)),
        (Boolean, Int64) => map_values(a, to, n, valid, |b: u8| (b as i64, 0)),
        (Int32, Boolean) => map_values(a, to, n, valid, |x: i32| ((x != 0) as u8, 0)),
        (Int64, Boolean) => map_values(a, to, n, valid, |x: i64| ((x != 0) as u8, 0)),
        _ => Err(Error::Unsupported(format!("cast from {from} to {to}"))),
    }
}

/// The operand as a dense vector (casting to its own type).
fn materialize(a: &Operand<'_>, n: usize, ty: DataType) -> Result<Vector> {
    Ok(match a {
        Operand::Vec(v, None) => Vector { ty, ..v.clone() },
        Operand::Vec(v, Some(sel)) => Vector {
            ty,
            ..gather(v, sel)
        },
        Operand::Const(c) => repeat(&c.value, ty, n)?,
    })
}

fn cast_error(a: &Operand<'_>, i: usize, to: DataType) -> Error {
    match to {
        DataType::Decimal { .. } => decimal_overflow(&a.value(i).to_string(), to),
        DataType::Int32 | DataType::Int64 => Error::Execution("integer out of range".into()),
        _ => Error::Execution(format!("{} is out of range for {to}", a.value(i))),
    }
}

/// Maps each row's `S` value through `f`, reporting the first non-NULL row that fails.
fn map_values<S, T, F>(
    a: &Operand<'_>,
    to: DataType,
    n: usize,
    valid: Option<Bitmap>,
    f: F,
) -> Result<Vector>
where
    S: super::node::FromScalar,
    T: Native,
    F: Fn(S) -> (T, u8),
{
    let (values, bad) = with_access!(a, S, |x| map1::<S, T, _, _>(n, x, &f));
    check(a, to, n, valid.as_ref(), bad, |i| f(a.get::<S>(i)).1)?;
    Ok(make_vector(to, values, valid))
}

fn check(
    a: &Operand<'_>,
    to: DataType,
    n: usize,
    valid: Option<&Bitmap>,
    bad: u8,
    code: impl Fn(usize) -> u8,
) -> Result<()> {
    if bad != 0 {
        if let Some(i) = (0..n).find(|&i| valid.is_none_or(|v| v.is_valid(i)) && code(i) != 0) {
            return Err(cast_error(a, i, to));
        }
    }
    Ok(())
}

/// Maps an integer or decimal operand, read as `i128` whatever its width, through `f`.
fn map_source<T, F>(
    a: &Operand<'_>,
    from: DataType,
    to: DataType,
    n: usize,
    valid: Option<Bitmap>,
    f: F,
) -> Result<Vector>
where
    T: Native,
    F: Fn(i128) -> (T, u8),
{
    let (values, bad) = match from.physical() {
        PhysicalType::I32 => with_access!(a, i32, |x| map1::<i128, T, _, _>(n, x, &f)),
        PhysicalType::I64 => with_access!(a, i64, |x| map1::<i128, T, _, _>(n, x, &f)),
        PhysicalType::I128 => with_access!(a, i128, |x| map1::<i128, T, _, _>(n, x, &f)),
        p => {
            return Err(Error::Internal(format!(
                "{p:?} is not an integer representation"
            )))
        }
    };
    let wide = |i: usize| match from.physical() {
        PhysicalType::I32 => a.get::<i32>(i) as i128,
        PhysicalType::I64 => a.get::<i64>(i) as i128,
        _ => a.get::<i128>(i),
    };
    check(a, to, n, valid.as_ref(), bad, |i| f(wide(i)).1)?;
    Ok(make_vector(to, values, valid))
}

/// Narrowing from `i128` after a range check.
trait FromWide: Native {
    fn from_wide(v: i128) -> Self;
}
impl FromWide for i32 {
    #[inline(always)]
    fn from_wide(v: i128) -> i32 {
        v as i32
    }
}
impl FromWide for i64 {
    #[inline(always)]
    fn from_wide(v: i128) -> i64 {
        v as i64
    }
}
impl FromWide for i128 {
    #[inline(always)]
    fn from_wide(v: i128) -> i128 {
        v
    }
}

/// The largest magnitude `ty` holds.
fn max_of(ty: DataType) -> i128 {
    match ty {
        DataType::Int32 => i32::MAX as i128,
        DataType::Int64 => i64::MAX as i128,
        DataType::Decimal { precision, .. } => pow10(precision).map_or(i128::MAX, |p| p - 1),
        _ => 0,
    }
}

/// Integer/decimal to integer/decimal.
fn rescale(
    a: &Operand<'_>,
    from: DataType,
    to: DataType,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    let hi = max_of(to);
    // INTEGER/BIGINT also hold their MIN value, one below -MAX.
    let lo = if to.is_integer() { -hi - 1 } else { -hi };
    let (fs, ts) = (from.scale(), to.scale());
    // Every value of `from` fits `to` (same or more fraction digits, enough integer digits):
    // no check needed, and with the same representation nothing to do at all.
    let grow = ts.checked_sub(fs).and_then(pow10);
    let lossless = grow
        .and_then(|g| max_of(from).checked_mul(g))
        .is_some_and(|m| m <= hi);
    if lossless && fs == ts && from.physical() == to.physical() {
        return materialize(a, n, to);
    }
    if lossless {
        let mul = grow.unwrap_or(1);
        return match to.physical() {
            PhysicalType::I32 => map_source(a, from, to, n, valid, move |v| ((v * mul) as i32, 0)),
            PhysicalType::I64 => map_source(a, from, to, n, valid, move |v| ((v * mul) as i64, 0)),
            _ => map_source(a, from, to, n, valid, move |v| (v * mul, 0)),
        };
    }
    fn go<T: FromWide>(
        a: &Operand<'_>,
        from: DataType,
        to: DataType,
        n: usize,
        valid: Option<Bitmap>,
        (lo, hi, fs, ts): (i128, i128, u8, u8),
    ) -> Result<Vector> {
        use std::cmp::Ordering::*;
        match fs.cmp(&ts) {
            Equal => map_source(a, from, to, n, valid, move |v| {
                (T::from_wide(v), ((v < lo) | (v > hi)) as u8)
            }),
            Less => {
                let mul = pow10(ts - fs).unwrap_or(i128::MAX);
                map_source(a, from, to, n, valid, move |v| {
                    let (r, o) = v.overflowing_mul(mul);
                    (T::from_wide(r), (o | (r < lo) | (r > hi)) as u8)
                })
            }
            Greater => {
                let div = pow10(fs - ts).unwrap_or(i128::MAX);
                map_source(a, from, to, n, valid, move |v| {
                    let r = round_div(v, div);
                    (T::from_wide(r), ((r < lo) | (r > hi)) as u8)
                })
            }
        }
    }
    let params = (lo, hi, fs, ts);
    match to.physical() {
        PhysicalType::I32 => go::<i32>(a, from, to, n, valid, params),
        PhysicalType::I64 => go::<i64>(a, from, to, n, valid, params),
        PhysicalType::I128 => go::<i128>(a, from, to, n, valid, params),
        p => Err(Error::Internal(format!("{to} stored as {p:?}"))),
    }
}

/// `v / div` rounded half away from zero (`div > 0`).
#[inline(always)]
pub(crate) fn round_div(v: i128, div: i128) -> i128 {
    let (q, r) = (v / div, v % div);
    let away = r.unsigned_abs() >= div.unsigned_abs() - r.unsigned_abs();
    q + ((r != 0 && away) as i128) * v.signum()
}

/// DOUBLE to INTEGER/BIGINT: rounds half to even; `limit` is 2^31 or 2^63.
fn from_float<T: FromWide>(
    a: &Operand<'_>,
    to: DataType,
    n: usize,
    valid: Option<Bitmap>,
    limit: f64,
) -> Result<Vector> {
    map_values(a, to, n, valid, move |x: f64| {
        let r = x.round_ties_even();
        let ok = r >= -limit && r < limit;
        (T::from_wide(if ok { r as i128 } else { 0 }), (!ok) as u8)
    })
}

/// DOUBLE to DECIMAL: through the value's 15 significant digits, as PostgreSQL.
fn float_to_decimal(
    a: &Operand<'_>,
    scale: u8,
    to: DataType,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    let mut values = Vec::with_capacity(n);
    for i in 0..n {
        if !valid.as_ref().is_none_or(|v| v.is_valid(i)) {
            values.push(0);
            continue;
        }
        let x: f64 = a.get(i);
        if !x.is_finite() {
            return Err(decimal_overflow(&a.value(i).to_string(), to));
        }
        let digits = format!("{x:.14e}");
        let v = text::parse_decimal(&digits, scale, to)
            .map_err(|_| decimal_overflow(&a.value(i).to_string(), to))?;
        values.push(v);
    }
    narrow_decimal(to, values, valid)
}

/// Unscaled `i128` decimals (already checked against the precision) as a vector of `to`.
fn narrow_decimal(to: DataType, values: Vec<i128>, valid: Option<Bitmap>) -> Result<Vector> {
    Ok(match to.physical() {
        PhysicalType::I64 => make_vector(to, values.into_iter().map(|v| v as i64).collect(), valid),
        _ => make_vector(to, values, valid),
    })
}

/// Anything to VARCHAR.
fn to_text(a: &Operand<'_>, from: DataType, n: usize, valid: Option<Bitmap>) -> Result<Vector> {
    let mut out = StrBuf::with_capacity(n, n * 8);
    let ok = |i: usize| valid.as_ref().is_none_or(|v| v.is_valid(i));
    let mut each = |write: &dyn Fn(&mut Vec<u8>, usize)| {
        for i in 0..n {
            if ok(i) {
                write(&mut out.bytes, i);
            }
            out.end_value();
        }
    };
    use std::io::Write;
    match (from, from.physical()) {
        (DataType::Boolean, _) => each(&|b, i| {
            b.extend_from_slice(if a.get::<u8>(i) != 0 {
                b"true"
            } else {
                b"false"
            })
        }),
        (DataType::Int32, _) => each(&|b, i| {
            let _ = write!(b, "{}", a.get::<i32>(i));
        }),
        (DataType::Int64, _) => each(&|b, i| {
            let _ = write!(b, "{}", a.get::<i64>(i));
        }),
        (DataType::Decimal { scale, .. }, PhysicalType::I64) => {
            each(&|b, i| text::write_decimal(b, a.get::<i64>(i) as i128, scale))
        }
        (DataType::Decimal { scale, .. }, _) => {
            each(&|b, i| text::write_decimal(b, a.get::<i128>(i), scale))
        }
        (DataType::Float64, _) => each(&|b, i| text::write_f64(b, a.get::<f64>(i))),
        (DataType::Date, _) => each(&|b, i| text::write_date(b, a.get::<i32>(i))),
        _ => return Err(Error::Unsupported(format!("cast from {from} to VARCHAR"))),
    }
    Ok(Vector {
        ty: DataType::Varchar,
        data: VectorData::Str(out.finish()),
        validity: valid,
    })
}

/// VARCHAR to anything.
fn from_text(a: &Operand<'_>, to: DataType, n: usize, valid: Option<Bitmap>) -> Result<Vector> {
    with_str_access!(a, |x| parse_rows(x, to, n, valid))
}

fn parse_rows<'a>(
    x: impl Access<&'a [u8]>,
    to: DataType,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    fn each<'a, T: Native>(
        x: &impl Access<&'a [u8]>,
        to: DataType,
        n: usize,
        valid: &Option<Bitmap>,
        parse: impl Fn(&str) -> Result<T>,
    ) -> Result<Vec<T>> {
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if !valid.as_ref().is_none_or(|v| v.is_valid(i)) {
                out.push(T::default());
                continue;
            }
            let bytes = x.at(i);
            let s = std::str::from_utf8(bytes)
                .map_err(|_| syntax_error(&String::from_utf8_lossy(bytes), to))?;
            out.push(parse(s)?);
        }
        Ok(out)
    }
    let v = match to {
        DataType::Boolean => make_vector(
            to,
            each(&x, to, n, &valid, |s| Ok(text::parse_bool(s)? as u8))?,
            valid,
        ),
        DataType::Int32 => make_vector(
            to,
            each(&x, to, n, &valid, |s| Ok(text::parse_int(s, to)? as i32))?,
            valid,
        ),
        DataType::Int64 => make_vector(
            to,
            each(&x, to, n, &valid, |s| text::parse_int(s, to))?,
            valid,
        ),
        DataType::Float64 => make_vector(to, each(&x, to, n, &valid, text::parse_f64)?, valid),
        DataType::Date => make_vector(to, each(&x, to, n, &valid, text::parse_date_text)?, valid),
        DataType::Decimal { scale, .. } => {
            let values = each(&x, to, n, &valid, |s| text::parse_decimal(s, scale, to))?;
            narrow_decimal(to, values, valid)?
        }
        _ => return Err(Error::Unsupported(format!("cast from VARCHAR to {to}"))),
    };
    Ok(v)
}
