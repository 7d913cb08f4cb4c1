//! Literal syntax: numbers, INTERVAL quantities and SQL type names.

use sqlparser::ast;

use super::expr::short;
use crate::error::{Error, Result};
use crate::expr::Expr;
use crate::optimize::eval;
use crate::types::{DataType, Value, DECIMAL_MAX_PRECISION};

/// A numeric literal: INTEGER if it fits, else BIGINT; `1.25` is DECIMAL(3,2); `1e3` DOUBLE.
pub(crate) fn number_literal(text: &str) -> Result<Expr> {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let bad = || Error::Bind(format!("invalid number {text}"));
    if t.contains(['e', 'E']) && !t.starts_with("0x") {
        let f: f64 = t.parse().map_err(|_| bad())?;
        return Ok(Expr::literal(Value::Float64(f), DataType::Float64));
    }
    if t.contains('.') {
        return match eval::parse_decimal_text(&t) {
            Some((u, scale)) => {
                let digits = if u == 0 {
                    1
                } else {
                    u.unsigned_abs().to_string().len() as i32
                };
                let int_digits = (digits - scale as i32).max(1);
                let precision = int_digits + scale as i32;
                if precision > DECIMAL_MAX_PRECISION as i32 {
                    let f: f64 = t.parse().map_err(|_| bad())?;
                    Ok(Expr::literal(Value::Float64(f), DataType::Float64))
                } else {
                    Ok(Expr::literal(
                        Value::Decimal(u, scale),
                        DataType::Decimal {
                            precision: precision as u8,
                            scale,
                        },
                    ))
                }
            }
            None => {
                let f: f64 = t.parse().map_err(|_| bad())?;
                Ok(Expr::literal(Value::Float64(f), DataType::Float64))
            }
        };
    }
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i128::from_str_radix(hex, 16).ok(),
        None => t.parse::<i128>().ok(),
    };
    match parsed {
        Some(v) if i32::try_from(v).is_ok() => {
            Ok(Expr::literal(Value::Int32(v as i32), DataType::Int32))
        }
        Some(v) if i64::try_from(v).is_ok() => {
            Ok(Expr::literal(Value::Int64(v as i64), DataType::Int64))
        }
        Some(v) if v.unsigned_abs().to_string().len() <= DECIMAL_MAX_PRECISION as usize => {
            let precision = v.unsigned_abs().to_string().len() as u8;
            Ok(Expr::literal(
                Value::Decimal(v, 0),
                DataType::Decimal {
                    precision,
                    scale: 0,
                },
            ))
        }
        _ => {
            let f: f64 = t.parse().map_err(|_| bad())?;
            Ok(Expr::literal(Value::Float64(f), DataType::Float64))
        }
    }
}

/// Months and days of an INTERVAL literal: `INTERVAL '3' MONTH`, `INTERVAL '1 year'`,
/// `INTERVAL '2 years 3 days'`.
pub(crate) fn interval_parts(iv: &ast::Interval) -> Result<(i32, i32)> {
    let text = match iv.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            ast::Value::Number(n, _) => n.clone(),
            other => return crate::unsupported!("INTERVAL {other}"),
        },
        other => return crate::unsupported!("INTERVAL {}", short(&other.to_string())),
    };
    if iv.last_field.is_some() || iv.fractional_seconds_precision.is_some() {
        return crate::unsupported!("INTERVAL ... TO ...");
    }
    let unit_of = |f: &ast::DateTimeField| -> Result<&'static str> {
        use ast::DateTimeField as D;
        Ok(match f {
            D::Year | D::Years => "year",
            D::Month | D::Months => "month",
            D::Week(_) | D::Weeks => "week",
            D::Day | D::Days => "day",
            other => return crate::unsupported!("INTERVAL unit {other}"),
        })
    };
    let bad = || Error::Bind(format!("invalid interval '{text}'"));
    let mut words = text.split_whitespace();
    let mut months: i64 = 0;
    let mut days: i64 = 0;
    let mut any = false;
    while let Some(n) = words.next() {
        let n: i64 = n.parse().map_err(|_| bad())?;
        let unit = match (words.next(), &iv.leading_field) {
            (Some(u), _) => u.to_ascii_lowercase(),
            (None, Some(f)) => unit_of(f)?.to_string(),
            (None, None) => return Err(bad()),
        };
        let unit = unit.trim_end_matches('s');
        match unit {
            "year" => months += n * 12,
            "mon" | "month" => months += n,
            "week" => days += n * 7,
            "day" => days += n,
            _ if matches!(unit, "hour" | "minute" | "min" | "second" | "sec") => {
                return crate::unsupported!(
                    "INTERVAL unit {unit} (only years, months, weeks, days)"
                )
            }
            _ => return Err(bad()),
        }
        any = true;
        if n.abs() > 1_000_000 {
            return Err(bad());
        }
    }
    if !any {
        return Err(bad());
    }
    Ok((months as i32, days as i32))
}

/// Maps a SQL type name to a [`DataType`].
pub(crate) fn convert_type(t: &ast::DataType) -> Result<DataType> {
    use ast::DataType as D;
    Ok(match t {
        D::Int(_) | D::Int4(_) | D::Integer(_) | D::SmallInt(_) | D::Int2(_) => DataType::Int32,
        D::BigInt(_) | D::Int8(_) => DataType::Int64,
        D::Double(_) | D::DoublePrecision | D::Float8 | D::Float4 | D::Real | D::Float(_) => {
            DataType::Float64
        }
        D::Decimal(info) | D::Numeric(info) | D::Dec(info) => {
            let (p, s) = match info {
                ast::ExactNumberInfo::None => (18, 3),
                ast::ExactNumberInfo::Precision(p) => (*p, 0),
                ast::ExactNumberInfo::PrecisionAndScale(p, s) => {
                    if *s < 0 {
                        return crate::bind_err!(
                            "NUMERIC scale {s} must be between 0 and precision {p}"
                        );
                    }
                    (*p, *s as u64)
                }
            };
            if !(1..=DECIMAL_MAX_PRECISION as u64).contains(&p) {
                return crate::bind_err!(
                    "NUMERIC precision {p} must be between 1 and {DECIMAL_MAX_PRECISION}"
                );
            }
            if s > p {
                return crate::bind_err!("NUMERIC scale {s} must be between 0 and precision {p}");
            }
            DataType::Decimal {
                precision: p as u8,
                scale: s as u8,
            }
        }
        D::Date => DataType::Date,
        D::Varchar(_)
        | D::Text
        | D::Char(_)
        | D::Character(_)
        | D::CharacterVarying(_)
        | D::CharVarying(_)
        | D::String(_) => DataType::Varchar,
        D::Bool | D::Boolean => DataType::Boolean,
        D::Custom(name, _) => match super::object_name(name)?.as_str() {
            "int4" | "int" | "integer" => DataType::Int32,
            "int8" => DataType::Int64,
            "float8" | "float4" => DataType::Float64,
            "bpchar" | "varchar" | "text" => DataType::Varchar,
            "bool" => DataType::Boolean,
            _ => return crate::unsupported!("type {t}"),
        },
        other => return crate::unsupported!("type {other}"),
    })
}
