//! Evaluation of operators on constant [`Value`]s, for constant folding and for converting
//! "unknown" string literals at bind time.
//!
//! Every function returns `None` (or `Err` for casts) where the result would be a runtime error
//! (overflow, division by zero, invalid input): folding then leaves the expression alone so the
//! executor reports the error only if the row is actually evaluated.
//!
//! Rounding rules match PostgreSQL: DECIMAL → fewer digits or INTEGER rounds half away from
//! zero; DOUBLE → INTEGER rounds half to even.

use std::cmp::Ordering;

use crate::date::{self, DateField};
use crate::expr::{BinaryOp, ScalarFunc};
use crate::types::{format_decimal, pow10, DataType, Value};

/// Converts `v` to type `to` (`CAST(v AS to)`); `Err` names the problem.
pub(crate) fn cast_value(v: &Value, to: DataType) -> Result<Value, String> {
    use DataType as T;
    let bad = || format!("cannot cast {} to {to}", value_type_name(v));
    let out_of_range = || format!("value {v} is out of range for type {to}");
    Ok(match (v, to) {
        (Value::Null, _) => Value::Null,
        (Value::Varchar(s), T::Varchar) => Value::Varchar(s.clone()),
        (_, T::Varchar) => Value::Varchar(v.to_string()),
        (Value::Varchar(s), _) => parse_value(s, to)?,
        (Value::Boolean(b), T::Boolean) => Value::Boolean(*b),
        (Value::Boolean(b), T::Int32) => Value::Int32(*b as i32),
        (Value::Boolean(b), T::Int64) => Value::Int64(*b as i64),
        (Value::Int32(i), T::Boolean) => Value::Boolean(*i != 0),
        (Value::Int64(i), T::Boolean) => Value::Boolean(*i != 0),
        (Value::Date(d), T::Date) => Value::Date(*d),
        (Value::Int32(i), _) => int_to(*i as i128, to).ok_or_else(out_of_range)?,
        (Value::Int64(i), _) => int_to(*i as i128, to).ok_or_else(out_of_range)?,
        (Value::Decimal(u, s), _) => decimal_to(*u, *s, to).ok_or_else(out_of_range)?,
        (Value::Float64(f), _) => float_to(*f, to).ok_or_else(out_of_range)?,
        _ => return Err(bad()),
    })
}

fn value_type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "NULL",
        Value::Boolean(_) => "BOOLEAN",
        Value::Int32(_) => "INTEGER",
        Value::Int64(_) => "BIGINT",
        Value::Float64(_) => "DOUBLE",
        Value::Decimal(..) => "DECIMAL",
        Value::Date(_) => "DATE",
        Value::Varchar(_) => "VARCHAR",
    }
}

fn int_to(i: i128, to: DataType) -> Option<Value> {
    Some(match to {
        DataType::Int32 => Value::Int32(i32::try_from(i).ok()?),
        DataType::Int64 => Value::Int64(i64::try_from(i).ok()?),
        DataType::Float64 => Value::Float64(i as f64),
        DataType::Decimal { precision, scale } => {
            let u = i.checked_mul(pow10(scale)?)?;
            fits(u, precision)?;
            Value::Decimal(u, scale)
        }
        _ => return None,
    })
}

fn decimal_to(u: i128, s: u8, to: DataType) -> Option<Value> {
    Some(match to {
        DataType::Int32 | DataType::Int64 => return int_to(rescale(u, s, 0)?, to),
        DataType::Float64 => Value::Float64(u as f64 / 10f64.powi(s as i32)),
        DataType::Decimal { precision, scale } => {
            let r = rescale(u, s, scale)?;
            fits(r, precision)?;
            Value::Decimal(r, scale)
        }
        _ => return None,
    })
}

fn float_to(f: f64, to: DataType) -> Option<Value> {
    if !f.is_finite() && to != DataType::Float64 {
        return None;
    }
    Some(match to {
        DataType::Float64 => Value::Float64(f),
        DataType::Int32 | DataType::Int64 => {
            let r = f.round_ties_even();
            if r.abs() >= 9.3e18 {
                return None;
            }
            return int_to(r as i128, to);
        }
        DataType::Decimal { precision, scale } => {
            let scaled = (f * 10f64.powi(scale as i32)).round();
            if scaled.abs() >= 1e38 {
                return None;
            }
            let u = scaled as i128;
            fits(u, precision)?;
            Value::Decimal(u, scale)
        }
        _ => return None,
    })
}

/// `Some(())` if `u` has at most `precision` digits.
fn fits(u: i128, precision: u8) -> Option<()> {
    (u.unsigned_abs() < pow10(precision)? as u128).then_some(())
}

/// Changes the scale of an unscaled decimal, rounding half away from zero.
pub(crate) fn rescale(u: i128, from: u8, to: u8) -> Option<i128> {
    match from.cmp(&to) {
        Ordering::Equal => Some(u),
        Ordering::Less => u.checked_mul(pow10(to - from)?),
        Ordering::Greater => {
            let p = pow10(from - to)?;
            let q = u / p;
            let r = u % p;
            Some(if r.abs() * 2 >= p { q + u.signum() } else { q })
        }
    }
}

/// Parses text as a value of type `to` (PostgreSQL input syntax; surrounding spaces allowed).
pub(crate) fn parse_value(s: &str, to: DataType) -> Result<Value, String> {
    let t = s.trim();
    let bad = || format!("invalid input syntax for type {to}: \"{s}\"");
    Ok(match to {
        DataType::Varchar => Value::Varchar(s.to_string()),
        DataType::Boolean => match t.to_ascii_lowercase().as_str() {
            "t" | "true" | "y" | "yes" | "on" | "1" => Value::Boolean(true),
            "f" | "false" | "n" | "no" | "off" | "0" => Value::Boolean(false),
            _ => return Err(bad()),
        },
        DataType::Int32 | DataType::Int64 => {
            let range = || format!("value \"{t}\" is out of range for type {to}");
            let digits = t.strip_prefix(['-', '+']).unwrap_or(t);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad());
            }
            if to == DataType::Int32 {
                Value::Int32(t.parse().map_err(|_| range())?)
            } else {
                Value::Int64(t.parse().map_err(|_| range())?)
            }
        }
        DataType::Float64 => {
            let f: f64 = t.parse().map_err(|_| bad())?;
            Value::Float64(f)
        }
        DataType::Decimal { precision, scale } => {
            let (u, s) = parse_decimal_text(t).ok_or_else(bad)?;
            let r = rescale(u, s, scale).ok_or_else(bad)?;
            fits(r, precision).ok_or_else(|| format!("value {t} is out of range for type {to}"))?;
            Value::Decimal(r, scale)
        }
        DataType::Date => Value::Date(date::parse_date(t).ok_or_else(bad)?),
    })
}

/// Parses `[-+]digits[.digits]` into (unscaled, scale). `None` if malformed or too long.
pub(crate) fn parse_decimal_text(t: &str) -> Option<(i128, u8)> {
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body, ""),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    if !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit()) || frac.len() > 38 {
        return None;
    }
    let mut u: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        u = u.checked_mul(10)?.checked_add((b - b'0') as i128)?;
    }
    Some((if neg { -u } else { u }, frac.len() as u8))
}

/// Evaluates a binary operator whose operands were already cast as the binder requires.
/// `ty` is the result type. `None` if the result is a runtime error or not foldable.
pub(crate) fn eval_binary(op: BinaryOp, l: &Value, r: &Value, ty: DataType) -> Option<Value> {
    use BinaryOp::*;
    match op {
        And => return eval_and(l, r),
        Or => return eval_or(l, r),
        _ => {}
    }
    if l.is_null() || r.is_null() {
        return Some(Value::Null);
    }
    if op.is_comparison() {
        let ord = l.sql_cmp(r)?;
        let b = match op {
            Eq => ord == Ordering::Equal,
            NotEq => ord != Ordering::Equal,
            Lt => ord == Ordering::Less,
            LtEq => ord != Ordering::Greater,
            Gt => ord == Ordering::Greater,
            GtEq => ord != Ordering::Less,
            _ => return None,
        };
        return Some(Value::Boolean(b));
    }
    match (op, l, r) {
        (Concat, Value::Varchar(a), Value::Varchar(b)) => Some(Value::Varchar(format!("{a}{b}"))),
        (Sub, Value::Date(a), Value::Date(b)) => Some(Value::Int32(a.checked_sub(*b)?)),
        (_, Value::Int32(a), Value::Int32(b)) => int_to(int_arith(op, *a as i128, *b as i128)?, ty),
        (_, Value::Int64(a), Value::Int64(b)) => int_to(int_arith(op, *a as i128, *b as i128)?, ty),
        (_, Value::Float64(a), Value::Float64(b)) => {
            let v = match op {
                Add => a + b,
                Sub => a - b,
                Mul => a * b,
                Div if *b != 0.0 => a / b,
                Mod if *b != 0.0 => a % b,
                _ => return None,
            };
            v.is_finite().then_some(Value::Float64(v))
        }
        (_, Value::Decimal(a, sa), Value::Decimal(b, sb)) => {
            let DataType::Decimal { precision, scale } = ty else {
                return None;
            };
            let v = match op {
                Mul => a.checked_mul(*b).and_then(|m| rescale(m, sa + sb, scale))?,
                Add | Sub | Mod => {
                    let (a, b) = crate::types::align_decimals(*a, *sa, *b, *sb)?;
                    let s = (*sa).max(*sb);
                    let v = match op {
                        Add => a.checked_add(b)?,
                        Sub => a.checked_sub(b)?,
                        _ if b != 0 => a % b,
                        _ => return None,
                    };
                    rescale(v, s, scale)?
                }
                _ => return None,
            };
            fits(v, precision)?;
            Some(Value::Decimal(v, scale))
        }
        _ => None,
    }
}

fn int_arith(op: BinaryOp, a: i128, b: i128) -> Option<i128> {
    match op {
        BinaryOp::Add => a.checked_add(b),
        BinaryOp::Sub => a.checked_sub(b),
        BinaryOp::Mul => a.checked_mul(b),
        BinaryOp::Div if b != 0 => Some(a / b),
        BinaryOp::Mod if b != 0 => Some(a % b),
        _ => None,
    }
}

fn as_bool(v: &Value) -> Option<Option<bool>> {
    match v {
        Value::Null => Some(None),
        Value::Boolean(b) => Some(Some(*b)),
        _ => None,
    }
}

fn eval_and(l: &Value, r: &Value) -> Option<Value> {
    Some(match (as_bool(l)?, as_bool(r)?) {
        (Some(false), _) | (_, Some(false)) => Value::Boolean(false),
        (Some(true), Some(true)) => Value::Boolean(true),
        _ => Value::Null,
    })
}

fn eval_or(l: &Value, r: &Value) -> Option<Value> {
    Some(match (as_bool(l)?, as_bool(r)?) {
        (Some(true), _) | (_, Some(true)) => Value::Boolean(true),
        (Some(false), Some(false)) => Value::Boolean(false),
        _ => Value::Null,
    })
}

/// Negates a numeric value; `None` on overflow.
pub(crate) fn negate(v: &Value) -> Option<Value> {
    Some(match v {
        Value::Null => Value::Null,
        Value::Int32(i) => Value::Int32(i.checked_neg()?),
        Value::Int64(i) => Value::Int64(i.checked_neg()?),
        Value::Float64(f) => Value::Float64(-f),
        Value::Decimal(u, s) => Value::Decimal(u.checked_neg()?, *s),
        _ => return None,
    })
}

/// Evaluates a scalar function on constant arguments. `None` if not foldable.
pub(crate) fn eval_function(func: ScalarFunc, args: &[Value], ty: DataType) -> Option<Value> {
    use ScalarFunc as F;
    match func {
        F::Coalesce => {
            return Some(
                args.iter()
                    .find(|a| !a.is_null())
                    .cloned()
                    .unwrap_or(Value::Null),
            )
        }
        F::Concat => {
            let mut s = String::new();
            for a in args.iter().filter(|a| !a.is_null()) {
                s.push_str(&a.to_string());
            }
            return Some(Value::Varchar(s));
        }
        F::NullIf => {
            let [a, b] = args else { return None };
            if a.is_null() || b.is_null() {
                return Some(a.clone());
            }
            return Some(if a.sql_cmp(b)? == Ordering::Equal {
                Value::Null
            } else {
                a.clone()
            });
        }
        _ => {}
    }
    if args.iter().any(Value::is_null) {
        return Some(Value::Null);
    }
    let text = |i: usize| match args.get(i) {
        Some(Value::Varchar(s)) => Some(s.as_str()),
        _ => None,
    };
    let int = |i: usize| match args.get(i) {
        Some(Value::Int32(v)) => Some(*v as i64),
        Some(Value::Int64(v)) => Some(*v),
        _ => None,
    };
    Some(match func {
        F::Length => Value::Int32(i32::try_from(text(0)?.chars().count()).ok()?),
        F::Upper => Value::Varchar(text(0)?.to_uppercase()),
        F::Lower => Value::Varchar(text(0)?.to_lowercase()),
        F::Trim => Value::Varchar(text(0)?.trim_matches(' ').to_string()),
        F::LTrim => Value::Varchar(text(0)?.trim_start_matches(' ').to_string()),
        F::RTrim => Value::Varchar(text(0)?.trim_end_matches(' ').to_string()),
        F::Substring => {
            let s = text(0)?;
            let start = int(1)?;
            let len = if args.len() > 2 { Some(int(2)?) } else { None };
            Value::Varchar(substring(s, start, len)?)
        }
        F::Abs => match &args[0] {
            Value::Int32(v) => Value::Int32(v.checked_abs()?),
            Value::Int64(v) => Value::Int64(v.checked_abs()?),
            Value::Float64(v) => Value::Float64(v.abs()),
            Value::Decimal(u, s) => Value::Decimal(u.checked_abs()?, *s),
            _ => return None,
        },
        F::Round => {
            let digits = if args.len() > 1 { int(1)? } else { 0 };
            round(&args[0], digits, ty)?
        }
        F::Extract(field) => match &args[0] {
            Value::Date(d) => Value::Int64(date::extract(*d, field)),
            _ => return None,
        },
        F::DateAddDays => match &args[0] {
            Value::Date(d) => Value::Date(d.checked_add(i32::try_from(int(1)?).ok()?)?),
            _ => return None,
        },
        F::DateAddMonths => match &args[0] {
            Value::Date(d) => Value::Date(date::add_months(*d, i32::try_from(int(1)?).ok()?)?),
            _ => return None,
        },
        _ => return None,
    })
}

/// PostgreSQL `substring(s from start for len)`: characters, 1-based; the window
/// `[start, start+len)` is clipped to the string; a negative length is an error.
pub(crate) fn substring(s: &str, start: i64, len: Option<i64>) -> Option<String> {
    let end = match len {
        Some(l) if l < 0 => return None,
        Some(l) => Some(start.saturating_add(l)),
        None => None,
    };
    let from = start.max(1);
    Some(
        s.chars()
            .enumerate()
            .filter(|(i, _)| {
                let pos = *i as i64 + 1;
                pos >= from && end.is_none_or(|e| pos < e)
            })
            .map(|(_, c)| c)
            .collect(),
    )
}

fn round(v: &Value, digits: i64, ty: DataType) -> Option<Value> {
    Some(match (v, ty) {
        (Value::Int32(_) | Value::Int64(_), _) if digits >= 0 => v.clone(),
        (Value::Float64(f), _) => {
            let d = digits.clamp(-300, 300) as i32;
            let m = 10f64.powi(d);
            Value::Float64((f * m).round_ties_even() / m)
        }
        (Value::Decimal(u, s), DataType::Decimal { precision, scale }) => {
            let d = digits.clamp(-38, *s as i64);
            let (r, at) = if d >= 0 {
                (rescale(*u, *s, d as u8)?, d as u8)
            } else {
                let places = (-d) as u8;
                let whole = rescale(*u, *s, 0)?;
                (rescale(whole, places, 0)?.checked_mul(pow10(places)?)?, 0)
            };
            let out = rescale(r, at, scale)?;
            fits(out, precision)?;
            Value::Decimal(out, scale)
        }
        _ => return None,
    })
}

/// SQL LIKE: `%` any run, `_` one character, `\` escapes the next character.
pub(crate) fn like_match(s: &str, pattern: &str, case_insensitive: bool) -> bool {
    let (s, p): (Vec<char>, Vec<char>) = if case_insensitive {
        (
            s.to_lowercase().chars().collect(),
            pattern.to_lowercase().chars().collect(),
        )
    } else {
        (s.chars().collect(), pattern.chars().collect())
    };
    // Iterative matcher with backtracking to the last `%` (linear memory, no recursion).
    let (mut si, mut pi) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while si < s.len() {
        match p.get(pi) {
            Some('%') => {
                star = Some((pi, si));
                pi += 1;
                continue;
            }
            Some('_') => {
                si += 1;
                pi += 1;
                continue;
            }
            Some('\\') if p.get(pi + 1) == Some(&s[si]) => {
                si += 1;
                pi += 2;
                continue;
            }
            Some(c) if *c != '\\' && *c == s[si] => {
                si += 1;
                pi += 1;
                continue;
            }
            _ => {}
        }
        match star {
            Some((sp, ss)) => {
                pi = sp + 1;
                si = ss + 1;
                star = Some((sp, ss + 1));
            }
            None => return false,
        }
    }
    p[pi..].iter().all(|c| *c == '%')
}

/// The date field named by EXTRACT / date_part text, if supported.
pub(crate) fn date_field(name: &str) -> Option<DateField> {
    Some(match name.to_ascii_lowercase().as_str() {
        "year" | "years" => DateField::Year,
        "quarter" => DateField::Quarter,
        "month" | "months" => DateField::Month,
        "day" | "days" => DateField::Day,
        "dow" | "dayofweek" => DateField::DayOfWeek,
        "doy" | "dayofyear" => DateField::DayOfYear,
        "week" | "weeks" | "weekofyear" => DateField::Week,
        "isodow" => DateField::IsoDayOfWeek,
        "isoyear" => DateField::IsoYear,
        "epoch" => DateField::Epoch,
        _ => return None,
    })
}

/// Formats a decimal value for messages.
#[allow(dead_code)]
pub(crate) fn show_decimal(u: i128, s: u8) -> String {
    format_decimal(u, s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn casts() {
        let d = DataType::Decimal {
            precision: 15,
            scale: 2,
        };
        assert_eq!(
            cast_value(&Value::Int32(24), d),
            Ok(Value::Decimal(2400, 2))
        );
        assert_eq!(
            cast_value(&Value::Decimal(125, 2), DataType::Int32),
            Ok(Value::Int32(1))
        );
        assert_eq!(
            cast_value(&Value::Decimal(150, 2), DataType::Int32),
            Ok(Value::Int32(2))
        );
        assert_eq!(
            cast_value(&Value::Decimal(-150, 2), DataType::Int32),
            Ok(Value::Int32(-2))
        );
        assert_eq!(
            cast_value(&Value::Float64(2.5), DataType::Int32),
            Ok(Value::Int32(2))
        );
        assert_eq!(
            cast_value(&Value::Varchar("1998-12-01".into()), DataType::Date),
            Ok(Value::Date(date::parse_date("1998-12-01").unwrap()))
        );
        assert!(cast_value(&Value::Varchar("x".into()), DataType::Int32).is_err());
        assert!(cast_value(&Value::Int64(1 << 40), DataType::Int32).is_err());
        assert_eq!(
            cast_value(&Value::Varchar(" 1.234 ".into()), d),
            Ok(Value::Decimal(123, 2))
        );
    }

    #[test]
    fn arithmetic() {
        let d = DataType::Decimal {
            precision: 4,
            scale: 2,
        };
        assert_eq!(
            eval_binary(
                BinaryOp::Sub,
                &Value::Decimal(6, 2),
                &Value::Decimal(1, 2),
                d
            ),
            Some(Value::Decimal(5, 2))
        );
        assert_eq!(
            eval_binary(
                BinaryOp::Div,
                &Value::Int32(7),
                &Value::Int32(2),
                DataType::Int32
            ),
            Some(Value::Int32(3))
        );
        assert_eq!(
            eval_binary(
                BinaryOp::Div,
                &Value::Int32(7),
                &Value::Int32(0),
                DataType::Int32
            ),
            None
        );
        assert_eq!(
            eval_binary(
                BinaryOp::Add,
                &Value::Int32(i32::MAX),
                &Value::Int32(1),
                DataType::Int32
            ),
            None
        );
        assert_eq!(
            eval_binary(
                BinaryOp::And,
                &Value::Null,
                &Value::Boolean(false),
                DataType::Boolean
            ),
            Some(Value::Boolean(false))
        );
    }

    #[test]
    fn like() {
        assert!(like_match("PROMO BRUSHED", "PROMO%", false));
        assert!(like_match(
            "a special x requests",
            "%special%requests%",
            false
        ));
        assert!(!like_match("abc", "a_", false));
        assert!(like_match("ab", "a_", false));
        assert!(like_match("50%", "50\\%", false));
        assert!(!like_match("500", "50\\%", false));
        assert!(like_match("ABC", "abc", true));
    }

    #[test]
    fn substrings() {
        assert_eq!(substring("hello", 1, Some(2)).unwrap(), "he");
        assert_eq!(substring("hello", 0, Some(2)).unwrap(), "h");
        assert_eq!(substring("hello", 4, None).unwrap(), "lo");
        assert_eq!(substring("hello", -5, Some(3)).unwrap(), "");
        assert!(substring("hello", 1, Some(-1)).is_none());
    }
}
