//! SQL data types and scalar values.
//!
//! Every expression in a bound plan has exactly one [`DataType`]. The physical representation
//! of each type (what the interpreter and compiled code hold in vectors) is fixed here too, in
//! [`DataType::physical`], so that the two tiers can never disagree about bytes.

use std::cmp::Ordering;
use std::fmt;

/// Largest precision of a DECIMAL stored as a scaled `i64`.
pub const DECIMAL_I64_MAX_PRECISION: u8 = 18;
/// Largest precision of any DECIMAL (stored as a scaled `i128`).
pub const DECIMAL_MAX_PRECISION: u8 = 38;

/// A SQL type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DataType {
    /// BOOLEAN.
    Boolean,
    /// INTEGER: 32-bit signed; arithmetic overflow is an error.
    Int32,
    /// BIGINT: 64-bit signed; arithmetic overflow is an error.
    Int64,
    /// DOUBLE PRECISION: IEEE 754 binary64.
    Float64,
    /// DECIMAL(precision, scale): exact; the value is `unscaled / 10^scale`, held as a scaled
    /// `i64` when `precision <= 18` and a scaled `i128` otherwise.
    Decimal { precision: u8, scale: u8 },
    /// DATE: days since 1970-01-01 (proleptic Gregorian), as `i32`.
    Date,
    /// VARCHAR / TEXT / CHAR: UTF-8 text.
    Varchar,
}

/// How a [`DataType`] is laid out in a vector (and in a `.griz` data segment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhysicalType {
    /// One byte per value, 0 or 1.
    Bool,
    I32,
    I64,
    I128,
    F64,
    /// Variable-length UTF-8.
    Str,
}

impl DataType {
    /// The physical representation of this type.
    pub fn physical(self) -> PhysicalType {
        match self {
            DataType::Boolean => PhysicalType::Bool,
            DataType::Int32 | DataType::Date => PhysicalType::I32,
            DataType::Int64 => PhysicalType::I64,
            DataType::Float64 => PhysicalType::F64,
            DataType::Decimal { precision, .. } if precision <= DECIMAL_I64_MAX_PRECISION => {
                PhysicalType::I64
            }
            DataType::Decimal { .. } => PhysicalType::I128,
            DataType::Varchar => PhysicalType::Str,
        }
    }

    pub fn is_numeric(self) -> bool {
        matches!(
            self,
            DataType::Int32 | DataType::Int64 | DataType::Float64 | DataType::Decimal { .. }
        )
    }

    pub fn is_integer(self) -> bool {
        matches!(self, DataType::Int32 | DataType::Int64)
    }

    /// Scale of a decimal, 0 for every other type.
    pub fn scale(self) -> u8 {
        match self {
            DataType::Decimal { scale, .. } => scale,
            _ => 0,
        }
    }

    /// The DECIMAL type that holds every value of an integer or decimal type exactly.
    pub fn as_decimal(self) -> Option<DataType> {
        match self {
            DataType::Int32 => Some(DataType::Decimal {
                precision: 10,
                scale: 0,
            }),
            DataType::Int64 => Some(DataType::Decimal {
                precision: 19,
                scale: 0,
            }),
            d @ DataType::Decimal { .. } => Some(d),
            _ => None,
        }
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DataType::Boolean => write!(f, "BOOLEAN"),
            DataType::Int32 => write!(f, "INTEGER"),
            DataType::Int64 => write!(f, "BIGINT"),
            DataType::Float64 => write!(f, "DOUBLE"),
            DataType::Decimal { precision, scale } => write!(f, "DECIMAL({precision},{scale})"),
            DataType::Date => write!(f, "DATE"),
            DataType::Varchar => write!(f, "VARCHAR"),
        }
    }
}

/// One SQL value. `Null` is typeless; the type comes from the expression that produced it.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int32(i32),
    Int64(i64),
    Float64(f64),
    /// Unscaled value and scale: `Decimal(12345, 2)` is 123.45.
    Decimal(i128, u8),
    /// Days since 1970-01-01.
    Date(i32),
    Varchar(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// SQL comparison of two non-null values of the same type (NaN sorts last, as in
    /// PostgreSQL). Returns `None` if either is NULL or the kinds differ.
    pub fn sql_cmp(&self, other: &Value) -> Option<Ordering> {
        use Value::*;
        match (self, other) {
            (Boolean(a), Boolean(b)) => Some(a.cmp(b)),
            (Int32(a), Int32(b)) => Some(a.cmp(b)),
            (Int64(a), Int64(b)) => Some(a.cmp(b)),
            (Float64(a), Float64(b)) => Some(a.total_cmp(b)),
            (Decimal(a, sa), Decimal(b, sb)) => {
                let (a, b) = align_decimals(*a, *sa, *b, *sb)?;
                Some(a.cmp(&b))
            }
            (Date(a), Date(b)) => Some(a.cmp(b)),
            (Varchar(a), Varchar(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// Brings two unscaled decimals to the same scale; `None` on overflow.
pub fn align_decimals(a: i128, sa: u8, b: i128, sb: u8) -> Option<(i128, i128)> {
    match sa.cmp(&sb) {
        Ordering::Equal => Some((a, b)),
        Ordering::Less => Some((a.checked_mul(pow10(sb - sa)?)?, b)),
        Ordering::Greater => Some((a, b.checked_mul(pow10(sa - sb)?)?)),
    }
}

/// `10^n` as i128, `None` past 10^38.
pub fn pow10(n: u8) -> Option<i128> {
    10i128.checked_pow(n as u32)
}

/// Formats an unscaled decimal: `format_decimal(-5, 2) == "-0.05"`.
pub fn format_decimal(v: i128, scale: u8) -> String {
    if scale == 0 {
        return v.to_string();
    }
    let neg = v < 0;
    let digits = v.unsigned_abs().to_string();
    let scale = scale as usize;
    let padded = if digits.len() <= scale {
        format!("{}{}", "0".repeat(scale + 1 - digits.len()), digits)
    } else {
        digits
    };
    let (int, frac) = padded.split_at(padded.len() - scale);
    format!("{}{int}.{frac}", if neg { "-" } else { "" })
}

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => write!(f, "NULL"),
            Value::Boolean(b) => write!(f, "{}", if *b { "true" } else { "false" }),
            Value::Int32(v) => write!(f, "{v}"),
            Value::Int64(v) => write!(f, "{v}"),
            Value::Float64(v) => write!(f, "{v}"),
            Value::Decimal(v, s) => write!(f, "{}", format_decimal(*v, *s)),
            Value::Date(d) => write!(f, "{}", crate::date::format_date(*d)),
            Value::Varchar(s) => write!(f, "{s}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_formatting() {
        assert_eq!(format_decimal(12345, 2), "123.45");
        assert_eq!(format_decimal(-5, 2), "-0.05");
        assert_eq!(format_decimal(7, 0), "7");
        assert_eq!(format_decimal(0, 3), "0.000");
    }

    #[test]
    fn decimal_physical_width() {
        assert_eq!(
            DataType::Decimal {
                precision: 18,
                scale: 2
            }
            .physical(),
            PhysicalType::I64
        );
        assert_eq!(
            DataType::Decimal {
                precision: 19,
                scale: 2
            }
            .physical(),
            PhysicalType::I128
        );
    }
}
