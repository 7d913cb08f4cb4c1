//! Implicit conversions: the binder's type rules. Every conversion chosen here becomes an
//! explicit [`Expr::Cast`] in the bound plan.
//!
//! # Unknown-typed expressions
//! As in PostgreSQL, a string literal, an untyped `NULL` and a parameter with no type from its
//! context are *unknown*: they take the type their context asks for. `d < '1998-01-01'` reads
//! the string as a DATE at bind time; `$1 + 1` makes `$1` an INTEGER. An unknown string that
//! is not valid input for the wanted type is a type error. With no context it is a VARCHAR.
//!
//! # Numeric promotion
//! `INTEGER < BIGINT < DECIMAL < DOUBLE`. When two numeric types meet, the lower one is cast:
//! - integer with DECIMAL: the integer becomes `DECIMAL(10,0)` (INTEGER) or `DECIMAL(19,0)`
//!   (BIGINT); an integer *literal* becomes `DECIMAL(d,0)` with `d` its digit count, so
//!   `1 - l_discount` stays a 64-bit decimal;
//! - two decimals meet at `DECIMAL(i + s, s)` with `s` the larger scale and `i` the larger
//!   number of integer digits (capped at precision 38).
//!
//! # Operators
//! - comparisons, `IN`, `BETWEEN`, CASE results, COALESCE/NULLIF, set operations and VALUES
//!   columns: every operand is cast to the common type above. DATE, VARCHAR and BOOLEAN only
//!   meet themselves (`cannot compare DATE with VARCHAR`).
//! - `+`, `-`, `%`: integers stay integers (INTEGER with BIGINT is BIGINT). On decimals both
//!   operands are cast to the result `DECIMAL(p, s)`: `s = max(s1, s2)`,
//!   `p = min(18, max(p1 - s1, p2 - s2) + s + 1)` when both `p1, p2 <= 18`, else 38.
//! - `*` on decimals: operands keep their own scale; the result is `DECIMAL(p, s1 + s2)` with
//!   `p = min(18, p1 + p2)` when both are `<= 18` (at least the scale), else 38.
//! - `/`: integer / integer is integer division (PostgreSQL); any DECIMAL or DOUBLE operand makes
//!   both operands DOUBLE and the result DOUBLE.
//! - anything with DOUBLE is DOUBLE.
//! - `DATE - DATE` is INTEGER days (a `Binary` `Sub` typed INTEGER with DATE operands);
//!   `DATE ± integer` is `DateAddDays`; `DATE ± INTERVAL` is `DateAddDays`/`DateAddMonths`.
//! - `||` casts both operands to VARCHAR.
//!
//! # Assignment (INSERT, UPDATE)
//! A value is cast to the column type when the types are equal, both numeric, or the column is
//! VARCHAR; anything else (e.g. VARCHAR into INTEGER) is a type error. Out-of-range values are
//! runtime errors of the cast.
//!
//! # Explicit CAST
//! Allowed between numeric types, between BOOLEAN and integers, from anything to VARCHAR and from
//! VARCHAR to anything (the text is parsed); DATE only to DATE and VARCHAR.

use super::Binder;
use crate::error::Result;
use crate::expr::{BinaryOp, Expr, ScalarFunc};
use crate::optimize::eval;
use crate::types::{DataType, Value, DECIMAL_I64_MAX_PRECISION, DECIMAL_MAX_PRECISION};

/// The type two operands are compared (or unified) in, if any.
pub(crate) fn common_type(a: DataType, b: DataType) -> Option<DataType> {
    use DataType as T;
    if a == b {
        return Some(a);
    }
    match (a, b) {
        (T::Float64, x) | (x, T::Float64) if x.is_numeric() => Some(T::Float64),
        (T::Decimal { .. }, _) | (_, T::Decimal { .. }) if a.is_numeric() && b.is_numeric() => {
            Some(decimal_union(a.as_decimal()?, b.as_decimal()?))
        }
        (T::Int64, T::Int32) | (T::Int32, T::Int64) => Some(T::Int64),
        _ => None,
    }
}

/// The common type of two expressions: like [`common_type`] but integer literals meeting a
/// DECIMAL count as `DECIMAL(digits, 0)`.
pub(crate) fn common_expr_type(a: &Expr, b: &Expr) -> Option<DataType> {
    let (ta, tb) = (a.data_type(), b.data_type());
    match (ta, tb) {
        (DataType::Decimal { .. }, t) if t.is_integer() => Some(decimal_union(ta, decimal_of(b)?)),
        (t, DataType::Decimal { .. }) if t.is_integer() => Some(decimal_union(decimal_of(a)?, tb)),
        _ => common_type(ta, tb),
    }
}

/// The DECIMAL type an integer or decimal expression is treated as next to a decimal.
pub(crate) fn decimal_of(e: &Expr) -> Option<DataType> {
    let digits = |v: i128| v.unsigned_abs().to_string().len() as u8;
    match e.as_literal() {
        Some(Value::Int32(v)) => Some(DataType::Decimal {
            precision: digits(*v as i128),
            scale: 0,
        }),
        Some(Value::Int64(v)) => Some(DataType::Decimal {
            precision: digits(*v as i128),
            scale: 0,
        }),
        _ => e.data_type().as_decimal(),
    }
}

fn decimal_parts(t: DataType) -> (u8, u8) {
    match t {
        DataType::Decimal { precision, scale } => (precision, scale),
        _ => (DECIMAL_MAX_PRECISION, 0),
    }
}

/// The smallest decimal holding every value of two decimal types.
pub(crate) fn decimal_union(a: DataType, b: DataType) -> DataType {
    let ((p1, s1), (p2, s2)) = (decimal_parts(a), decimal_parts(b));
    let scale = s1.max(s2);
    let int = (p1 - s1).max(p2 - s2);
    let precision = (int as u16 + scale as u16).min(DECIMAL_MAX_PRECISION as u16) as u8;
    DataType::Decimal { precision, scale }
}

/// Result type of decimal `+`, `-`, `%`.
pub(crate) fn decimal_add_type(a: DataType, b: DataType) -> DataType {
    let ((p1, s1), (p2, s2)) = (decimal_parts(a), decimal_parts(b));
    let scale = s1.max(s2);
    let precision = if p1 <= DECIMAL_I64_MAX_PRECISION && p2 <= DECIMAL_I64_MAX_PRECISION {
        ((p1 - s1).max(p2 - s2) + scale + 1).min(DECIMAL_I64_MAX_PRECISION)
    } else {
        DECIMAL_MAX_PRECISION
    };
    DataType::Decimal { precision, scale }
}

/// Result type of decimal `*`; `None` if the scale would exceed 38.
pub(crate) fn decimal_mul_type(a: DataType, b: DataType) -> Option<DataType> {
    let ((p1, s1), (p2, s2)) = (decimal_parts(a), decimal_parts(b));
    let scale = s1 + s2;
    if scale > DECIMAL_MAX_PRECISION {
        return None;
    }
    let mut precision = if p1 <= DECIMAL_I64_MAX_PRECISION && p2 <= DECIMAL_I64_MAX_PRECISION {
        (p1 + p2).min(DECIMAL_I64_MAX_PRECISION)
    } else {
        DECIMAL_MAX_PRECISION
    };
    if precision < scale {
        precision = DECIMAL_MAX_PRECISION;
    }
    Some(DataType::Decimal { precision, scale })
}

/// Whether `CAST(x AS to)` is allowed for `x` of type `from`.
pub(crate) fn can_cast(from: DataType, to: DataType) -> bool {
    use DataType as T;
    from == to
        || (from.is_numeric() && to.is_numeric())
        || to == T::Varchar
        || from == T::Varchar
        || matches!(
            (from, to),
            (T::Boolean, T::Int32 | T::Int64) | (T::Int32 | T::Int64, T::Boolean)
        )
}

/// Whether a value of type `from` may be stored in a column of type `to`.
pub(crate) fn can_assign(from: DataType, to: DataType) -> bool {
    from == to || (from.is_numeric() && to.is_numeric()) || to == DataType::Varchar
}

impl Binder<'_> {
    /// Gives two operands one type: an unknown side takes the other's type; otherwise both
    /// are cast to their common type.
    pub(crate) fn unify_pair(&mut self, l: Expr, r: Expr) -> Result<(Expr, Expr)> {
        match (self.is_unknown(&l), self.is_unknown(&r)) {
            (true, false) => {
                let t = r.data_type();
                Ok((self.coerce_to(l, t)?, r))
            }
            (false, true) => {
                let t = l.data_type();
                Ok((l, self.coerce_to(r, t)?))
            }
            (true, true) => {
                let l = self.coerce_to(l, DataType::Varchar)?;
                let r = self.coerce_to(r, DataType::Varchar)?;
                Ok((l, r))
            }
            (false, false) => {
                let Some(t) = common_expr_type(&l, &r) else {
                    return crate::type_err!(
                        "cannot compare {} with {}",
                        l.data_type(),
                        r.data_type()
                    );
                };
                Ok((self.cast(l, t), self.cast(r, t)))
            }
        }
    }

    /// Gives a list of expressions one common type (CASE results, IN lists, COALESCE, ...).
    pub(crate) fn unify_all(
        &mut self,
        exprs: Vec<Expr>,
        what: &str,
    ) -> Result<(Vec<Expr>, DataType)> {
        let mut ty: Option<DataType> = None;
        for e in &exprs {
            if self.is_unknown(e) {
                continue;
            }
            ty = Some(match ty {
                None => e.data_type(),
                Some(t) => {
                    let merged = match (t, e.data_type()) {
                        (DataType::Decimal { .. }, x) if x.is_integer() => {
                            decimal_of(e).map(|d| super::coerce::decimal_union(t, d))
                        }
                        (a, b) => common_type(a, b),
                    };
                    match merged {
                        Some(m) => m,
                        None => {
                            return crate::type_err!(
                                "{what} types {t} and {} cannot be matched",
                                e.data_type()
                            )
                        }
                    }
                }
            });
        }
        let ty = ty.unwrap_or(DataType::Varchar);
        let out = exprs
            .into_iter()
            .map(|e| self.coerce_to(e, ty))
            .collect::<Result<Vec<_>>>()?;
        Ok((out, ty))
    }

    pub(crate) fn bind_comparison(&mut self, op: BinaryOp, l: Expr, r: Expr) -> Result<Expr> {
        let (l, r) = self.unify_pair(l, r)?;
        Ok(Expr::binary(op, l, r, DataType::Boolean))
    }

    pub(crate) fn bind_arith(&mut self, op: BinaryOp, l: Expr, r: Expr) -> Result<Expr> {
        let hint = |other: DataType| match other {
            DataType::Date if op == BinaryOp::Sub => DataType::Date,
            DataType::Date => DataType::Int32,
            t => t,
        };
        let (l, r) = match (self.is_unknown(&l), self.is_unknown(&r)) {
            (true, false) => {
                let t = hint(r.data_type());
                (self.coerce_to(l, t)?, r)
            }
            (false, true) => {
                let t = hint(l.data_type());
                let r = self.coerce_to(r, t)?;
                (l, r)
            }
            _ => (self.settle(l), self.settle(r)),
        };
        let (lt, rt) = (l.data_type(), r.data_type());
        let sym = op.symbol();
        let undefined = || crate::type_err!("operator {sym} is not defined for {lt} and {rt}");
        use DataType as T;
        match (lt, rt) {
            (T::Date, T::Date) if op == BinaryOp::Sub => {
                return Ok(Expr::binary(op, l, r, T::Int32));
            }
            (T::Date, t) if t.is_integer() && matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
                let n = self.cast(r, T::Int32);
                let n = if op == BinaryOp::Sub {
                    super::expr::negate_expr(n)
                } else {
                    n
                };
                return Ok(Expr::Function {
                    func: ScalarFunc::DateAddDays,
                    args: vec![l, n],
                    ty: T::Date,
                });
            }
            (t, T::Date) if t.is_integer() && op == BinaryOp::Add => {
                let n = self.cast(l, T::Int32);
                return Ok(Expr::Function {
                    func: ScalarFunc::DateAddDays,
                    args: vec![r, n],
                    ty: T::Date,
                });
            }
            _ if !(lt.is_numeric() && rt.is_numeric()) => return undefined(),
            _ => {}
        }
        let is_dec = |t: DataType| matches!(t, T::Decimal { .. });
        if lt == T::Float64
            || rt == T::Float64
            || (op == BinaryOp::Div && (is_dec(lt) || is_dec(rt)))
        {
            let l = self.cast(l, T::Float64);
            let r = self.cast(r, T::Float64);
            return Ok(Expr::binary(op, l, r, T::Float64));
        }
        if is_dec(lt) || is_dec(rt) {
            let (Some(ld), Some(rd)) = (decimal_of(&l), decimal_of(&r)) else {
                return undefined();
            };
            return Ok(match op {
                BinaryOp::Mul => {
                    let Some(t) = decimal_mul_type(ld, rd) else {
                        return crate::type_err!(
                            "result of {lt} * {rt} needs a scale above {DECIMAL_MAX_PRECISION}"
                        );
                    };
                    let l = self.cast(l, ld);
                    let r = self.cast(r, rd);
                    Expr::binary(op, l, r, t)
                }
                _ => {
                    let t = decimal_add_type(ld, rd);
                    let l = self.cast(l, t);
                    let r = self.cast(r, t);
                    Expr::binary(op, l, r, t)
                }
            });
        }
        let t = common_type(lt, rt).unwrap_or(T::Int64);
        let l = self.cast(l, t);
        let r = self.cast(r, t);
        Ok(Expr::binary(op, l, r, t))
    }

    /// `CAST(e AS ty)` with literal operands converted right away (when they fit).
    pub(crate) fn cast(&mut self, e: Expr, ty: DataType) -> Expr {
        if e.data_type() == ty {
            return e;
        }
        if let Expr::Literal { value, .. } = &e {
            if let Ok(v) = eval::cast_value(value, ty) {
                return Expr::literal(v, ty);
            }
        }
        e.cast_to(ty)
    }

    pub(crate) fn explicit_cast(&mut self, x: Expr, ty: DataType) -> Result<Expr> {
        if self.is_unknown(&x) {
            let e = self.coerce_to(x, ty)?;
            // `'x'::varchar` and `NULL::varchar` are typed from now on, not unknown.
            return Ok(match e {
                lit @ Expr::Literal { .. } if ty == DataType::Varchar => Expr::Cast {
                    expr: Box::new(lit),
                    ty,
                },
                other => other,
            });
        }
        let from = x.data_type();
        if !can_cast(from, ty) {
            return crate::type_err!("cannot cast {from} to {ty}");
        }
        Ok(self.cast(x, ty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dec(precision: u8, scale: u8) -> DataType {
        DataType::Decimal { precision, scale }
    }

    #[test]
    fn promotion() {
        assert_eq!(
            common_type(DataType::Int32, DataType::Int64),
            Some(DataType::Int64)
        );
        assert_eq!(common_type(DataType::Int32, dec(15, 2)), Some(dec(15, 2)));
        assert_eq!(
            common_type(dec(15, 2), DataType::Float64),
            Some(DataType::Float64)
        );
        assert_eq!(common_type(DataType::Date, DataType::Varchar), None);
        assert_eq!(common_type(dec(15, 2), dec(4, 3)), Some(dec(16, 3)));
    }

    #[test]
    fn decimal_arithmetic() {
        assert_eq!(decimal_add_type(dec(1, 0), dec(15, 2)), dec(16, 2));
        assert_eq!(decimal_add_type(dec(15, 2), dec(38, 2)), dec(38, 2));
        assert_eq!(decimal_mul_type(dec(15, 2), dec(16, 2)), Some(dec(18, 4)));
        assert_eq!(
            decimal_mul_type(dec(15, 10), dec(15, 10)),
            Some(dec(38, 20))
        );
        assert_eq!(decimal_mul_type(dec(38, 20), dec(38, 20)), None);
    }
}
