//! Text forms of values, as PostgreSQL writes and reads them: what CAST to and from VARCHAR
//! uses. Writers append to a byte buffer so that formatting a vector allocates nothing per
//! row.

use crate::{Error, Result};
use grizzly_ir::date::{civil_from_days, parse_date};
use grizzly_ir::types::pow10;
use grizzly_ir::DataType;
use std::io::Write;

/// PostgreSQL's name of a type in input errors.
pub(crate) fn pg_name(ty: DataType) -> &'static str {
    match ty {
        DataType::Boolean => "boolean",
        DataType::Int32 => "integer",
        DataType::Int64 => "bigint",
        DataType::Float64 => "double precision",
        DataType::Decimal { .. } => "numeric",
        DataType::Date => "date",
        _ => "text",
    }
}

pub(crate) fn syntax_error(text: &str, ty: DataType) -> Error {
    Error::Execution(format!(
        "invalid input syntax for type {}: \"{text}\"",
        pg_name(ty)
    ))
}

fn range_error(text: &str, ty: DataType) -> Error {
    match ty {
        DataType::Decimal { .. } => decimal_overflow(text, ty),
        _ => Error::Execution(format!(
            "value \"{text}\" is out of range for type {}",
            pg_name(ty)
        )),
    }
}

pub(crate) fn decimal_overflow(value: &str, ty: DataType) -> Error {
    Error::Execution(format!("decimal overflow: {value} does not fit {ty}"))
}

// ---------------------------------------------------------------------------------------------
// Writing.

/// Appends an unscaled decimal with exactly `scale` fraction digits.
pub(crate) fn write_decimal(out: &mut Vec<u8>, v: i128, scale: u8) {
    let mut digits = [0u8; 40];
    let mut len = 0;
    let mut u = v.unsigned_abs();
    while u > 0 || len <= scale as usize {
        digits[len] = b'0' + (u % 10) as u8;
        u /= 10;
        len += 1;
    }
    if v < 0 {
        out.push(b'-');
    }
    for i in (0..len).rev() {
        out.push(digits[i]);
        if i == scale as usize && scale > 0 {
            out.push(b'.');
        }
    }
}

/// Appends a double the way PostgreSQL prints it (shortest round-trip digits; exponent form
/// below 1e-4 and from 1e15).
pub(crate) fn write_f64(out: &mut Vec<u8>, x: f64) {
    if x.is_nan() {
        return out.extend_from_slice(b"NaN");
    }
    if x.is_infinite() {
        return out.extend_from_slice(if x > 0.0 { b"Infinity" } else { b"-Infinity" });
    }
    if x == 0.0 {
        return out.extend_from_slice(if x.is_sign_negative() { b"-0" } else { b"0" });
    }
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    if x < 0.0 {
        out.push(b'-');
    }
    if !(-4..15).contains(&exp) {
        out.push(digits[0]);
        if digits.len() > 1 {
            out.push(b'.');
            out.extend_from_slice(&digits[1..]);
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            out.push(*digits.get(i).unwrap_or(&b'0'));
        }
        if digits.len() > int_len {
            out.push(b'.');
            out.extend_from_slice(&digits[int_len..]);
        }
    } else {
        out.extend_from_slice(b"0.");
        out.extend(std::iter::repeat_n(b'0', (-exp - 1) as usize));
        out.extend_from_slice(&digits);
    }
}

/// Appends a date as ISO `YYYY-MM-DD`.
pub(crate) fn write_date(out: &mut Vec<u8>, days: i32) {
    let (y, m, d) = civil_from_days(days);
    let _ = write!(out, "{y:04}-{m:02}-{d:02}");
}

// ---------------------------------------------------------------------------------------------
// Reading.

pub(crate) fn parse_bool(text: &str) -> Result<bool> {
    let t = text.trim().to_ascii_lowercase();
    let prefix_of = |word: &str| !t.is_empty() && word.starts_with(t.as_str());
    if prefix_of("true") || prefix_of("yes") || t == "on" || t == "1" {
        Ok(true)
    } else if prefix_of("false")
        || (t.len() >= 2 && prefix_of("off"))
        || prefix_of("no")
        || t == "0"
    {
        Ok(false)
    } else {
        Err(syntax_error(text, DataType::Boolean))
    }
}

/// An INTEGER or BIGINT: optional sign and decimal digits, surrounded by optional spaces.
pub(crate) fn parse_int(text: &str, ty: DataType) -> Result<i64> {
    let t = text.trim();
    let body = t.strip_prefix(['+', '-']).unwrap_or(t);
    if body.is_empty() || !body.bytes().all(|b| b.is_ascii_digit()) {
        return Err(syntax_error(text, ty));
    }
    let v: i64 = t.parse().map_err(|_| range_error(text, ty))?;
    if ty == DataType::Int32 && i32::try_from(v).is_err() {
        return Err(range_error(text, ty));
    }
    Ok(v)
}

pub(crate) fn parse_f64(text: &str) -> Result<f64> {
    let t = text.trim();
    let v: f64 = t
        .parse()
        .map_err(|_| syntax_error(text, DataType::Float64))?;
    if v.is_infinite() && !t.to_ascii_lowercase().contains("inf") {
        return Err(range_error(text, DataType::Float64));
    }
    Ok(v)
}

pub(crate) fn parse_date_text(text: &str) -> Result<i32> {
    parse_date(text).ok_or_else(|| syntax_error(text, DataType::Date))
}

/// A decimal number (`-12.5`, `.5`, `1e3`) as an unscaled integer of scale `scale`, rounded
/// half away from zero; `ty` is the target type, for errors and the precision check.
pub(crate) fn parse_decimal(text: &str, scale: u8, ty: DataType) -> Result<i128> {
    let t = text.trim();
    let syntax = || syntax_error(text, ty);
    let (neg, body) = match t.as_bytes().first() {
        Some(b'-') => (true, &t[1..]),
        Some(b'+') => (false, &t[1..]),
        _ => (false, t),
    };
    let (number, exp) = match body.find(['e', 'E']) {
        Some(p) => {
            let e: i64 = body[p + 1..].parse().map_err(|_| syntax())?;
            (&body[..p], e)
        }
        None => (body, 0),
    };
    let (int, frac) = number.split_once('.').unwrap_or((number, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.len() + frac.len() == 0 || !all_digits(int) || !all_digits(frac) {
        return Err(syntax());
    }
    // Significant digits, and where the decimal point falls among them.
    let digits: Vec<u8> = int.bytes().chain(frac.bytes()).map(|b| b - b'0').collect();
    let leading = digits.iter().take_while(|&&d| d == 0).count();
    let digits = &digits[leading..];
    if digits.is_empty() {
        return Ok(0);
    }
    if exp > 100_000 {
        return Err(range_error(text, ty));
    }
    if exp < -100_000 {
        return Ok(0);
    }
    let point = int.len() as i64 - leading as i64 + exp;
    // The unscaled result is the first `keep` digits, rounded by the next one.
    let keep = point + scale as i64;
    if keep > 39 {
        return Err(range_error(text, ty));
    }
    let mut v: i128 = 0;
    for i in 0..keep.max(0) as usize {
        let d = *digits.get(i).unwrap_or(&0) as i128;
        v = v
            .checked_mul(10)
            .and_then(|v| v.checked_add(d))
            .ok_or_else(|| range_error(text, ty))?;
    }
    let next = if keep < 0 {
        0
    } else {
        *digits.get(keep as usize).unwrap_or(&0)
    };
    if next >= 5 {
        v = v.checked_add(1).ok_or_else(|| range_error(text, ty))?;
    }
    if let DataType::Decimal { precision, .. } = ty {
        if pow10(precision).is_some_and(|p| v >= p) {
            return Err(range_error(text, ty));
        }
    }
    Ok(if neg { -v } else { v })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> String {
        let mut out = Vec::new();
        write_f64(&mut out, x);
        String::from_utf8(out).unwrap()
    }

    fn d(v: i128, s: u8) -> String {
        let mut out = Vec::new();
        write_decimal(&mut out, v, s);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn doubles_print_like_postgres() {
        assert_eq!(f(1.5), "1.5");
        assert_eq!(f(100.0), "100");
        assert_eq!(f(-0.25), "-0.25");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f(1e15), "1e+15");
        assert_eq!(f(123456789012345.0), "123456789012345");
        assert_eq!(f(0.0001), "0.0001");
        assert_eq!(f(0.00001), "1e-05");
        assert_eq!(f(-1.25e-7), "-1.25e-07");
        assert_eq!(f(1e300), "1e+300");
        assert_eq!(f(f64::NAN), "NaN");
        assert_eq!(f(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(f(-0.0), "-0");
    }

    #[test]
    fn decimals_print_with_scale_digits() {
        assert_eq!(d(12345, 2), "123.45");
        assert_eq!(d(-5, 2), "-0.05");
        assert_eq!(d(0, 3), "0.000");
        assert_eq!(d(7, 0), "7");
        assert_eq!(d(i128::MIN + 1, 0), (i128::MIN + 1).to_string());
    }

    #[test]
    fn parses_decimals() {
        let ty = DataType::Decimal {
            precision: 10,
            scale: 2,
        };
        assert_eq!(parse_decimal("12.345", 2, ty).unwrap(), 1235);
        assert_eq!(parse_decimal(" -12.344 ", 2, ty).unwrap(), -1234);
        assert_eq!(parse_decimal("-0.005", 2, ty).unwrap(), -1);
        assert_eq!(parse_decimal(".5", 2, ty).unwrap(), 50);
        assert_eq!(parse_decimal("1e3", 2, ty).unwrap(), 100000);
        assert_eq!(parse_decimal("15e-3", 2, ty).unwrap(), 2);
        assert_eq!(parse_decimal("0.0000", 2, ty).unwrap(), 0);
        assert!(parse_decimal("1e20", 2, ty).is_err());
        assert!(parse_decimal("abc", 2, ty)
            .unwrap_err()
            .to_string()
            .contains("numeric"));
        assert!(parse_decimal("1.2.3", 2, ty).is_err());
        assert!(parse_decimal("", 2, ty).is_err());
        assert!(
            parse_decimal("99999999.995", 2, ty).is_err(),
            "rounds past the precision"
        );
    }

    #[test]
    fn parses_scalars() {
        assert_eq!(parse_int(" 42 ", DataType::Int32).unwrap(), 42);
        assert_eq!(
            parse_int("abc", DataType::Int32).unwrap_err().to_string(),
            "invalid input syntax for type integer: \"abc\""
        );
        assert!(parse_int("3000000000", DataType::Int32)
            .unwrap_err()
            .to_string()
            .contains("out of range"));
        assert_eq!(
            parse_int("3000000000", DataType::Int64).unwrap(),
            3_000_000_000
        );
        assert!(parse_bool("yes").unwrap() && !parse_bool(" F").unwrap());
        assert!(parse_bool("o").is_err() && !parse_bool("off").unwrap());
        assert!(parse_f64("1e400").is_err());
        assert_eq!(parse_f64("-Infinity").unwrap(), f64::NEG_INFINITY);
    }
}
