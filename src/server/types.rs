//! Grizzly types and values as PostgreSQL sees them: type OIDs, and values in the text and
//! binary formats of the wire protocol.
//!
//! | Grizzly        | PostgreSQL            | binary format                              |
//! |----------------|-----------------------|--------------------------------------------|
//! | BOOLEAN        | bool                  | 1 byte                                     |
//! | INTEGER        | int4                  | big-endian i32                             |
//! | BIGINT         | int8                  | big-endian i64                             |
//! | DOUBLE         | float8                | big-endian IEEE 754                        |
//! | DECIMAL(p, s)  | numeric (typmod p, s) | base-10000 digits (`encode_numeric`)       |
//! | DATE           | date                  | big-endian i32 days since 2000-01-01       |
//! | VARCHAR        | varchar               | UTF-8 bytes                                |

use crate::{Column, DataType, Value};
use bytes::{BufMut, BytesMut};
use pgwire::api::results::{FieldFormat, FieldInfo};
use pgwire::api::Type;

/// Days from 1970-01-01 (Grizzly's epoch) to 2000-01-01 (PostgreSQL's).
const PG_EPOCH_DAYS: i32 = 10_957;

/// The PostgreSQL type of a Grizzly type.
pub fn pg_type(ty: DataType) -> Type {
    match ty {
        DataType::Boolean => Type::BOOL,
        DataType::Int32 => Type::INT4,
        DataType::Int64 => Type::INT8,
        DataType::Float64 => Type::FLOAT8,
        DataType::Decimal { .. } => Type::NUMERIC,
        DataType::Date => Type::DATE,
        DataType::Varchar => Type::VARCHAR,
        // A type newer than this mapping: sent as its text.
        _ => Type::TEXT,
    }
}

/// A result column as a RowDescription field.
pub fn field(column: &Column, format: FieldFormat) -> FieldInfo {
    let info = FieldInfo::new(column.name.clone(), None, None, pg_type(column.ty), format);
    match column.ty {
        // PostgreSQL's numeric typmod: ((precision << 16) | scale) + 4.
        DataType::Decimal { precision, scale } => {
            info.with_type_modifier(((i32::from(precision) << 16) | i32::from(scale)) + 4)
        }
        _ => info,
    }
}

/// Appends one DataRow field: its length (-1 for NULL) and its bytes in `format`.
pub fn encode(out: &mut BytesMut, value: &Value, format: FieldFormat) {
    let start = out.len();
    out.put_i32(-1);
    match (value, format) {
        (Value::Null, _) => return,
        (Value::Boolean(b), FieldFormat::Text) => out.put_slice(if *b { b"t" } else { b"f" }),
        (Value::Boolean(b), FieldFormat::Binary) => out.put_u8(u8::from(*b)),
        (Value::Int32(v), FieldFormat::Binary) => out.put_i32(*v),
        (Value::Int64(v), FieldFormat::Binary) => out.put_i64(*v),
        (Value::Float64(v), FieldFormat::Text) => out.put_slice(float_text(*v).as_bytes()),
        (Value::Float64(v), FieldFormat::Binary) => out.put_f64(*v),
        (Value::Decimal(v, scale), FieldFormat::Binary) => encode_numeric(out, *v, *scale),
        (Value::Date(d), FieldFormat::Binary) => out.put_i32(d - PG_EPOCH_DAYS),
        (Value::Varchar(s), _) => out.put_slice(s.as_bytes()),
        // Integers, decimals and dates print as PostgreSQL prints them.
        (v, FieldFormat::Text) => out.put_slice(v.to_string().as_bytes()),
    }
    let len = (out.len() - start - 4) as i32;
    out[start..start + 4].copy_from_slice(&len.to_be_bytes());
}

/// A float8 as PostgreSQL prints it: shortest round-trip digits, `Infinity`, `NaN`.
fn float_text(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else {
        v.to_string()
    }
}

/// A NUMERIC in PostgreSQL's binary format: ndigits, weight, sign, dscale (each 16 bits), then
/// `ndigits` base-10000 digits; the value is `sum(digit[i] * 10000^(weight - i))`.
fn encode_numeric(out: &mut BytesMut, unscaled: i128, scale: u8) {
    let digits = unscaled.unsigned_abs().to_string();
    let scale = usize::from(scale);
    let digits = if digits.len() <= scale {
        format!("{}{digits}", "0".repeat(scale + 1 - digits.len()))
    } else {
        digits
    };
    let (int, frac) = digits.split_at(digits.len() - scale);
    // Pad the integer part on the left and the fraction on the right to whole groups of 4.
    let int = format!("{}{int}", "0".repeat((4 - int.len() % 4) % 4));
    let frac = format!("{frac}{}", "0".repeat((4 - frac.len() % 4) % 4));
    let mut groups: Vec<i16> = int
        .as_bytes()
        .chunks(4)
        .chain(frac.as_bytes().chunks(4))
        .map(|c| std::str::from_utf8(c).unwrap().parse().unwrap())
        .collect();
    let mut weight = (int.len() / 4) as i16 - 1;
    let leading = groups.iter().take_while(|&&g| g == 0).count();
    groups.drain(..leading);
    weight -= leading as i16;
    while groups.last() == Some(&0) {
        groups.pop();
    }
    if groups.is_empty() {
        weight = 0;
    }
    out.put_i16(groups.len() as i16);
    out.put_i16(weight);
    out.put_u16(if unscaled < 0 { 0x4000 } else { 0 });
    out.put_u16(scale as u16);
    for g in groups {
        out.put_i16(g);
    }
}

/// Decodes a binary NUMERIC into an unscaled value and its scale (`None` if malformed, NaN,
/// infinite or too large).
fn decode_numeric(bytes: &[u8]) -> Option<(i128, u8)> {
    let word = |i: usize| {
        bytes
            .get(2 * i..2 * i + 2)
            .map(|b| i16::from_be_bytes([b[0], b[1]]))
    };
    let (ndigits, weight, sign, dscale) = (word(0)?, word(1)?, word(2)? as u16, word(3)?);
    if sign != 0 && sign != 0x4000 || !(0..=38).contains(&dscale) {
        return None;
    }
    // value * 10^dscale = sum(digit[i] * 10^(4 * (weight - i) + dscale))
    let mut unscaled: i128 = 0;
    for i in 0..ndigits as usize {
        let digit = i128::from(word(4 + i)?);
        let exp = 4 * (i32::from(weight) - i as i32) + i32::from(dscale);
        let term = if exp >= 0 {
            digit.checked_mul(10i128.checked_pow(exp as u32)?)?
        } else {
            digit / 10i128.checked_pow((-exp) as u32)?
        };
        unscaled = unscaled.checked_add(term)?;
    }
    let unscaled = if sign == 0x4000 { -unscaled } else { unscaled };
    Some((unscaled, dscale as u8))
}

/// A bound parameter's value: text is handed over as VARCHAR (the statement casts it to the
/// parameter's type, as CAST does); binary is decoded by the parameter's PostgreSQL type.
///
/// # Errors
/// A message naming the parameter if the bytes do not fit the type, or the type is not one
/// Grizzly has.
pub fn decode_param(
    bytes: Option<&[u8]>,
    ty: &Type,
    binary: bool,
    n: usize,
) -> Result<Value, String> {
    let Some(bytes) = bytes else {
        return Ok(Value::Null);
    };
    let bad = || format!("parameter ${n}: invalid {} value", ty.name());
    if !binary {
        let text = std::str::from_utf8(bytes).map_err(|_| bad())?;
        let text = if *ty == Type::DATE {
            without_time_zone(text)
        } else {
            text
        };
        return Ok(Value::Varchar(text.to_string()));
    }
    let fixed = |len: usize| -> Result<&[u8], String> {
        if bytes.len() == len {
            Ok(bytes)
        } else {
            Err(bad())
        }
    };
    Ok(match *ty {
        Type::BOOL => Value::Boolean(fixed(1)?[0] != 0),
        Type::INT2 => Value::Int32(i16::from_be_bytes(fixed(2)?.try_into().unwrap()).into()),
        Type::INT4 => Value::Int32(i32::from_be_bytes(fixed(4)?.try_into().unwrap())),
        Type::INT8 => Value::Int64(i64::from_be_bytes(fixed(8)?.try_into().unwrap())),
        Type::FLOAT4 => Value::Float64(f32::from_be_bytes(fixed(4)?.try_into().unwrap()).into()),
        Type::FLOAT8 => Value::Float64(f64::from_be_bytes(fixed(8)?.try_into().unwrap())),
        Type::DATE => Value::Date(
            i32::from_be_bytes(fixed(4)?.try_into().unwrap()).saturating_add(PG_EPOCH_DAYS),
        ),
        Type::NUMERIC => {
            let (v, s) = decode_numeric(bytes).ok_or_else(bad)?;
            Value::Decimal(v, s)
        }
        Type::VARCHAR | Type::TEXT | Type::BPCHAR | Type::NAME | Type::UNKNOWN => {
            Value::Varchar(std::str::from_utf8(bytes).map_err(|_| bad())?.to_string())
        }
        _ => {
            return Err(format!(
                "parameter ${n}: type {} is not supported in binary format",
                ty.name()
            ))
        }
    })
}

/// A date's text without a trailing UTC offset (` +00`, ` -05:30`, ` +01:00:00`), which
/// PostgreSQL's date input ignores and the JDBC driver appends to every `setDate` value.
fn without_time_zone(text: &str) -> &str {
    let Some((date, zone)) = text.trim_end().rsplit_once(' ') else {
        return text;
    };
    let Some(offset) = zone.strip_prefix(['+', '-']) else {
        return text;
    };
    let parts: Vec<&str> = offset.split(':').collect();
    let is_offset = parts.len() <= 3
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_digit()));
    if is_offset {
        date.trim_end()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(v: i128, scale: u8) -> Vec<i16> {
        let mut out = BytesMut::new();
        encode_numeric(&mut out, v, scale);
        let words: Vec<i16> = out
            .chunks(2)
            .map(|c| i16::from_be_bytes([c[0], c[1]]))
            .collect();
        assert_eq!(
            decode_numeric(&out),
            Some((v, scale)),
            "round trip of {v} scale {scale}"
        );
        words
    }

    #[test]
    fn numeric_binary_format() {
        // 123.45 = 123 * 10000^0 + 4500 * 10000^-1
        assert_eq!(numeric(12345, 2), vec![2, 0, 0, 2, 123, 4500]);
        // -0.05 = -(500 * 10000^-1)
        assert_eq!(numeric(-5, 2), vec![1, -1, 0x4000, 2, 500]);
        // 10000 = 1 * 10000^1
        assert_eq!(numeric(10000, 0), vec![1, 1, 0, 0, 1]);
        assert_eq!(numeric(0, 3), vec![0, 0, 0, 3]);
        numeric(-123_456_789_012_345_678_901_234, 7);
    }

    #[test]
    fn date_parameters_drop_a_utc_offset() {
        let date = |text: &str| decode_param(Some(text.as_bytes()), &Type::DATE, false, 1);
        for text in [
            "1999-12-31 +00",
            "1999-12-31 -05:30",
            "1999-12-31 +01:00:00",
        ] {
            assert_eq!(
                date(text),
                Ok(Value::Varchar("1999-12-31".into())),
                "{text}"
            );
        }
        for text in [
            "1999-12-31",
            "1999-12-31 BC",
            "1999-12-31 +5",
            "1999-12-31 +00:00:00:00",
        ] {
            assert_eq!(date(text), Ok(Value::Varchar(text.into())), "{text}");
        }
        let varchar = decode_param(Some(b"a +00"), &Type::VARCHAR, false, 1);
        assert_eq!(varchar, Ok(Value::Varchar("a +00".into())));
    }

    #[test]
    fn text_and_binary_fields() {
        let field = |v: Value, f| {
            let mut out = BytesMut::new();
            encode(&mut out, &v, f);
            out.to_vec()
        };
        assert_eq!(field(Value::Null, FieldFormat::Text), (-1i32).to_be_bytes());
        assert_eq!(
            field(Value::Boolean(true), FieldFormat::Text),
            b"\0\0\0\x01t"
        );
        assert_eq!(
            field(Value::Decimal(-5, 2), FieldFormat::Text),
            b"\0\0\0\x05-0.05"
        );
        assert_eq!(
            field(Value::Date(10_958), FieldFormat::Binary),
            b"\0\0\0\x04\0\0\0\x01"
        );
        assert_eq!(
            field(Value::Float64(f64::NAN), FieldFormat::Text),
            b"\0\0\0\x03NaN"
        );
    }
}
