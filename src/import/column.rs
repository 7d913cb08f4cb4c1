//! Typed column storage that loaders fill value by value, then turn into one [`Vector`].
//!
//! [`ColumnParts`] holds one column of one chunk of a file: values in the column's physical
//! layout plus the rows that are NULL (sparse, since most columns have few). Text fields are
//! parsed straight into it ([`ColumnParts::push_text`]) with no per-value allocation;
//! [`concat`] joins the parts of all chunks, in file order, into one vector.

use grizzly_ir::{DataType, PhysicalType};
use grizzly_runtime::{Bitmap, Buffer, Error, Result, StrData, Vector, VectorData};

/// Values of one column in physical layout.
#[derive(Debug)]
pub(crate) enum Values {
    Bool(Vec<u8>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I128(Vec<i128>),
    F64(Vec<f64>),
    Str { offsets: Vec<u32>, bytes: Vec<u8> },
}

/// One column of one chunk.
#[derive(Debug)]
pub(crate) struct ColumnParts {
    pub(crate) ty: DataType,
    pub(crate) values: Values,
    /// Rows (within this part) that are NULL, ascending.
    pub(crate) nulls: Vec<u32>,
    /// `10^precision` for decimals: the first magnitude that does not fit.
    limit: i128,
}

impl ColumnParts {
    pub(crate) fn new(ty: DataType) -> ColumnParts {
        let values = match ty.physical() {
            PhysicalType::Bool => Values::Bool(Vec::new()),
            PhysicalType::I32 => Values::I32(Vec::new()),
            PhysicalType::I64 => Values::I64(Vec::new()),
            PhysicalType::I128 => Values::I128(Vec::new()),
            PhysicalType::F64 => Values::F64(Vec::new()),
            PhysicalType::Str => Values::Str {
                offsets: vec![0],
                bytes: Vec::new(),
            },
        };
        let limit = match ty {
            DataType::Decimal { precision, .. } => {
                grizzly_ir::types::pow10(precision).unwrap_or(i128::MAX)
            }
            _ => i128::MAX,
        };
        ColumnParts {
            ty,
            values,
            nulls: Vec::new(),
            limit,
        }
    }

    /// An empty part with room for `rows` values (and a guess at their text).
    pub(crate) fn with_capacity(ty: DataType, rows: usize) -> ColumnParts {
        let mut part = ColumnParts::new(ty);
        match &mut part.values {
            Values::Bool(v) => v.reserve(rows),
            Values::I32(v) => v.reserve(rows),
            Values::I64(v) => v.reserve(rows),
            Values::I128(v) => v.reserve(rows),
            Values::F64(v) => v.reserve(rows),
            Values::Str { offsets, bytes } => {
                offsets.reserve(rows);
                bytes.reserve(rows * 8);
            }
        }
        part
    }

    pub(crate) fn len(&self) -> usize {
        match &self.values {
            Values::Bool(v) => v.len(),
            Values::I32(v) => v.len(),
            Values::I64(v) => v.len(),
            Values::I128(v) => v.len(),
            Values::F64(v) => v.len(),
            Values::Str { offsets, .. } => offsets.len() - 1,
        }
    }

    pub(crate) fn push_null(&mut self) {
        self.nulls.push(self.len() as u32);
        match &mut self.values {
            Values::Bool(v) => v.push(0),
            Values::I32(v) => v.push(0),
            Values::I64(v) => v.push(0),
            Values::I128(v) => v.push(0),
            Values::F64(v) => v.push(0.0),
            Values::Str { offsets, bytes } => offsets.push(bytes.len() as u32),
        }
    }

    /// Appends a string value (the column must be VARCHAR).
    #[inline]
    pub(crate) fn push_str(&mut self, text: &str) {
        if let Values::Str { offsets, bytes } = &mut self.values {
            bytes.extend_from_slice(text.as_bytes());
            offsets.push(bytes.len() as u32);
        }
    }

    /// Parses `text` as a value of the column's type and appends it. Numbers, dates and
    /// booleans may have surrounding whitespace; strings are kept as they are. The error
    /// names the type and the text.
    #[inline]
    pub(crate) fn push_text(&mut self, text: &str) -> std::result::Result<(), String> {
        let ty = self.ty;
        let bad = || format!("invalid input for type {ty}: {text:?}");
        match &mut self.values {
            Values::Str { offsets, bytes } => {
                bytes.extend_from_slice(text.as_bytes());
                offsets.push(bytes.len() as u32);
            }
            Values::I32(v) if ty == DataType::Date => {
                v.push(parse_date(trim(text).as_bytes()).ok_or_else(bad)?)
            }
            Values::I32(v) => {
                let x = parse_int(trim(text).as_bytes()).ok_or_else(bad)?;
                v.push(i32::try_from(x).map_err(|_| bad())?);
            }
            Values::I64(v) if ty == DataType::Int64 => {
                v.push(parse_int(trim(text).as_bytes()).ok_or_else(bad)?)
            }
            Values::I64(v) => {
                let Some(x) = parse_decimal_i64(trim(text).as_bytes(), ty.scale()) else {
                    return Err(match crate::copy::parse_decimal(trim(text), ty.scale()) {
                        Some(_) => format!("value {text:?} is out of range for {ty}"),
                        None => bad(),
                    });
                };
                if i128::from(x).abs() >= self.limit {
                    return Err(format!("value {text:?} is out of range for {ty}"));
                }
                v.push(x);
            }
            Values::I128(v) => {
                let x = crate::copy::parse_decimal(trim(text), ty.scale()).ok_or_else(bad)?;
                if x.abs() >= self.limit {
                    return Err(format!("value {text:?} is out of range for {ty}"));
                }
                v.push(x);
            }
            Values::F64(v) => v.push(trim(text).parse().map_err(|_| bad())?),
            Values::Bool(v) => v.push(parse_bool(trim(text)).ok_or_else(bad)? as u8),
        }
        Ok(())
    }
}

/// `t` without surrounding whitespace (checked cheaply first: fields rarely have any).
#[inline]
fn trim(t: &str) -> &str {
    let b = t.as_bytes();
    match (b.first(), b.last()) {
        (Some(f), Some(l)) if is_plain(*f) && is_plain(*l) => t,
        _ => t.trim(),
    }
}

/// An ASCII byte that is not whitespace (a non-ASCII byte may start Unicode whitespace).
#[inline]
fn is_plain(b: u8) -> bool {
    b.is_ascii() && !b.is_ascii_whitespace()
}

/// PostgreSQL's spellings of booleans, any case.
pub(crate) fn parse_bool(t: &str) -> Option<bool> {
    const TRUE: [&str; 6] = ["t", "true", "1", "yes", "y", "on"];
    const FALSE: [&str; 6] = ["f", "false", "0", "no", "n", "off"];
    if TRUE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(true)
    } else if FALSE.iter().any(|w| t.eq_ignore_ascii_case(w)) {
        Some(false)
    } else {
        None
    }
}

/// A decimal integer with an optional sign; `None` if malformed or beyond `i64`.
#[inline]
pub(crate) fn parse_int(t: &[u8]) -> Option<i64> {
    let (neg, digits) = match t.first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    if digits.is_empty() {
        return None;
    }
    // Accumulate negatively so that i64::MIN parses.
    let mut v: i64 = 0;
    for &b in digits {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_sub(d as i64)?;
    }
    if neg {
        Some(v)
    } else {
        v.checked_neg()
    }
}

/// A decimal literal (`-12.345`, `.5`, `7.`) as an unscaled `i64` at `scale`, rounding half
/// away from zero; `None` if malformed or beyond `i64`.
#[inline]
pub(crate) fn parse_decimal_i64(t: &[u8], scale: u8) -> Option<i64> {
    let (neg, digits) = match t.first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (int, frac) = match digits.iter().position(|&b| b == b'.') {
        Some(p) => (&digits[..p], &digits[p + 1..]),
        None => (digits, &digits[digits.len()..]),
    };
    if int.is_empty() && frac.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &b in int {
        let d = b.wrapping_sub(b'0');
        if d > 9 {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(d as i64)?;
    }
    if !frac.iter().all(u8::is_ascii_digit) {
        return None;
    }
    for k in 0..scale as usize {
        let d = frac.get(k).map_or(0, |b| (b - b'0') as i64);
        v = v.checked_mul(10)?.checked_add(d)?;
    }
    if frac.get(scale as usize).is_some_and(|&b| b >= b'5') {
        v = v.checked_add(1)?;
    }
    Some(if neg { -v } else { v })
}

/// `YYYY-MM-DD` (the fast path) or anything [`grizzly_ir::date::parse_date`] reads.
#[inline]
pub(crate) fn parse_date(t: &[u8]) -> Option<i32> {
    if t.len() == 10 && t[4] == b'-' && t[7] == b'-' {
        let num = |s: &[u8]| -> Option<u32> {
            s.iter().try_fold(0u32, |acc, &b| {
                let d = b.wrapping_sub(b'0');
                (d <= 9).then_some(acc * 10 + d as u32)
            })
        };
        if let (Some(y), Some(m), Some(d)) = (num(&t[..4]), num(&t[5..7]), num(&t[8..])) {
            return grizzly_ir::date::days_from_civil(y as i32, m, d);
        }
    }
    grizzly_ir::date::parse_date(std::str::from_utf8(t).ok()?)
}

/// Joins the parts of one column (in order) into a vector; `name` is for the error when the
/// column's text exceeds what one vector can address (4 GiB).
pub(crate) fn concat(ty: DataType, parts: Vec<ColumnParts>, name: &str) -> Result<Vector> {
    let rows: usize = parts.iter().map(ColumnParts::len).sum();
    let null_rows: usize = parts.iter().map(|p| p.nulls.len()).sum();
    let validity = (null_rows > 0).then(|| {
        let mut words = vec![u64::MAX; rows.div_ceil(64)];
        let mut base = 0usize;
        for p in &parts {
            for &r in &p.nulls {
                let i = base + r as usize;
                words[i / 64] &= !(1u64 << (i % 64));
            }
            base += p.len();
        }
        Bitmap::new(Buffer::from_vec(words), rows)
    });
    macro_rules! join {
        ($variant:ident) => {{
            let mut out = Vec::with_capacity(rows);
            for p in parts {
                if let Values::$variant(v) = p.values {
                    out.extend_from_slice(&v);
                }
            }
            VectorData::$variant(Buffer::from_vec(out))
        }};
    }
    let data = match ty.physical() {
        PhysicalType::Bool => join!(Bool),
        PhysicalType::I32 => join!(I32),
        PhysicalType::I64 => join!(I64),
        PhysicalType::I128 => join!(I128),
        PhysicalType::F64 => join!(F64),
        PhysicalType::Str => {
            let total: usize = parts
                .iter()
                .map(|p| match &p.values {
                    Values::Str { bytes, .. } => bytes.len(),
                    _ => 0,
                })
                .sum();
            if total > u32::MAX as usize {
                return Err(Error::Unsupported(format!(
                    "loading more than 4 GiB of text into column \"{name}\" at once"
                )));
            }
            let mut offsets = Vec::with_capacity(rows + 1);
            offsets.push(0u32);
            let mut bytes = Vec::with_capacity(total);
            for p in parts {
                if let Values::Str {
                    offsets: o,
                    bytes: b,
                } = p.values
                {
                    let base = bytes.len() as u32;
                    offsets.extend(o[1..].iter().map(|x| x + base));
                    bytes.extend_from_slice(&b);
                }
            }
            VectorData::Str(StrData {
                offsets: Buffer::from_vec(offsets),
                bytes: Buffer::from_vec(bytes),
            })
        }
    };
    Ok(Vector { ty, data, validity })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_parse_exactly() {
        assert_eq!(parse_int(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_int(b"9223372036854775808"), None);
        assert_eq!(parse_int(b"+17"), Some(17));
        assert_eq!(parse_int(b"1x"), None);
        assert_eq!(parse_int(b"-"), None);
        assert_eq!(parse_decimal_i64(b"12.345", 2), Some(1235));
        assert_eq!(parse_decimal_i64(b"-0.5", 0), Some(-1));
        assert_eq!(parse_decimal_i64(b".5", 1), Some(5));
        assert_eq!(parse_decimal_i64(b"1.2.3", 2), None);
        assert_eq!(parse_decimal_i64(b".", 2), None);
        assert_eq!(parse_date(b"2024-02-29"), Some(19782));
        assert_eq!(parse_date(b"2023-02-29"), None);
        assert_eq!(parse_date(b"2024-2-9"), parse_date(b"2024-02-09"));
    }

    #[test]
    fn text_parses_like_casts() {
        let mut int = ColumnParts::new(DataType::Int32);
        assert!(int.push_text(" 42 ").is_ok());
        assert!(int.push_text("4.5").is_err());
        assert!(int.push_text("3000000000").is_err());
        let dec = DataType::Decimal {
            precision: 4,
            scale: 2,
        };
        let mut d = ColumnParts::new(dec);
        assert!(d.push_text("1.005").is_ok());
        assert!(d.push_text("100.00").unwrap_err().contains("out of range"));
        assert!(d
            .push_text("99999999999999999999")
            .unwrap_err()
            .contains("out of range"));
        let v = concat(dec, vec![d], "d").unwrap();
        assert_eq!(v.get(0), grizzly_ir::Value::Decimal(101, 2));
        assert_eq!(v.len(), 1);
    }

    #[test]
    fn parts_concat_in_order_with_nulls() {
        let mut a = ColumnParts::new(DataType::Varchar);
        a.push_str("x");
        a.push_null();
        let mut b = ColumnParts::new(DataType::Varchar);
        b.push_str("yz");
        let v = concat(DataType::Varchar, vec![a, b], "c").unwrap();
        assert_eq!(v.len(), 3);
        assert_eq!(v.get(0), grizzly_ir::Value::Varchar("x".into()));
        assert!(v.get(1).is_null());
        assert_eq!(v.get(2), grizzly_ir::Value::Varchar("yz".into()));
    }
}
