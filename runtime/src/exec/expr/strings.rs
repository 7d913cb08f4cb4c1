//! String functions: substring, length, upper/lower, trim, concat and `||`. Lengths and
//! positions count characters, not bytes; ASCII text takes byte-slicing fast paths.

use super::compare::with_str_access;
use super::node::Operand;
use crate::exec::kernels::{make_vector, Access, StrBuf};
use crate::vector::{Bitmap, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::{DataType, PhysicalType};

fn is_valid(valid: Option<&Bitmap>, i: usize) -> bool {
    valid.is_none_or(|v| v.is_valid(i))
}

fn text_vector(out: StrBuf, valid: Option<Bitmap>) -> Vector {
    Vector {
        ty: DataType::Varchar,
        data: VectorData::Str(out.finish()),
        validity: valid,
    }
}

/// Appends `f(row)` for each valid row of a string operand.
pub(crate) fn map_text(
    a: &Operand<'_>,
    n: usize,
    valid: Option<Bitmap>,
    f: impl Fn(&[u8], &mut Vec<u8>),
) -> Result<Vector> {
    fn go<'a>(
        x: impl Access<&'a [u8]>,
        n: usize,
        valid: Option<&Bitmap>,
        f: &dyn Fn(&[u8], &mut Vec<u8>),
    ) -> StrBuf {
        let mut out = StrBuf::with_capacity(n, n * 16);
        for i in 0..n {
            if is_valid(valid, i) {
                f(x.at(i), &mut out.bytes);
            }
            out.end_value();
        }
        out
    }
    let out = with_str_access!(a, |x| go(x, n, valid.as_ref(), &f));
    Ok(text_vector(out, valid))
}

pub(crate) fn upper(s: &[u8], out: &mut Vec<u8>) {
    if s.is_ascii() {
        out.extend(s.iter().map(u8::to_ascii_uppercase));
    } else {
        out.extend_from_slice(String::from_utf8_lossy(s).to_uppercase().as_bytes());
    }
}

pub(crate) fn lower(s: &[u8], out: &mut Vec<u8>) {
    if s.is_ascii() {
        out.extend(s.iter().map(u8::to_ascii_lowercase));
    } else {
        out.extend_from_slice(String::from_utf8_lossy(s).to_lowercase().as_bytes());
    }
}

/// Strips spaces from the start (`left`) and/or end (`right`).
pub(crate) fn trim(s: &[u8], left: bool, right: bool) -> &[u8] {
    let mut s = s;
    if left {
        let k = s.iter().take_while(|&&b| b == b' ').count();
        s = &s[k..];
    }
    if right {
        let k = s.iter().rev().take_while(|&&b| b == b' ').count();
        s = &s[..s.len() - k];
    }
    s
}

/// Characters in UTF-8 text.
#[inline]
pub(crate) fn char_count(s: &[u8]) -> usize {
    s.iter().filter(|&&b| (b & 0xC0) != 0x80).count()
}

/// Byte offset of character `k` (or the length if there are fewer characters).
fn char_offset(s: &[u8], k: usize) -> usize {
    if s.is_ascii() {
        return k.min(s.len());
    }
    let mut seen = 0;
    for (i, &b) in s.iter().enumerate() {
        if (b & 0xC0) != 0x80 {
            if seen == k {
                return i;
            }
            seen += 1;
        }
    }
    s.len()
}

/// `length(s)` in characters, as INTEGER or BIGINT.
pub(crate) fn length(
    a: &Operand<'_>,
    n: usize,
    valid: Option<Bitmap>,
    ty: DataType,
) -> Result<Vector> {
    let counts: Vec<i64> =
        with_str_access!(a, |x| (0..n).map(|i| char_count(x.at(i)) as i64).collect());
    Ok(match ty.physical() {
        PhysicalType::I32 => make_vector(ty, counts.into_iter().map(|c| c as i32).collect(), valid),
        _ => make_vector(ty, counts, valid),
    })
}

/// `substring(s, start [, count])`, 1-based in characters. As in PostgreSQL, characters before
/// position 1 count toward `count` but do not exist (`substring('hello', 0, 3)` is `he`); a
/// negative count is an error.
pub(crate) fn substring(ops: &[Operand<'_>], n: usize, valid: Option<Bitmap>) -> Result<Vector> {
    fn go<'a>(
        x: impl Access<&'a [u8]>,
        ops: &[Operand<'_>],
        n: usize,
        valid: Option<&Bitmap>,
    ) -> Result<StrBuf> {
        let mut out = StrBuf::with_capacity(n, n * 8);
        for i in 0..n {
            if is_valid(valid, i) {
                let s = x.at(i);
                let start: i64 = ops[1].get(i);
                let end = match ops.get(2) {
                    Some(c) => {
                        let count: i64 = c.get(i);
                        if count < 0 {
                            return Err(Error::Execution(
                                "negative substring length not allowed".into(),
                            ));
                        }
                        start.saturating_add(count)
                    }
                    None => i64::MAX,
                };
                let begin = start.max(1);
                if end > begin {
                    let from = char_offset(s, (begin - 1) as usize);
                    let to = if end == i64::MAX {
                        s.len()
                    } else {
                        from + char_offset(&s[from..], (end - begin) as usize)
                    };
                    out.bytes.extend_from_slice(&s[from..to]);
                }
            }
            out.end_value();
        }
        Ok(out)
    }
    let out = with_str_access!(&ops[0], |x| go(x, ops, n, valid.as_ref()))?;
    Ok(text_vector(out, valid))
}

/// `concat(a, b, ...)`: NULL arguments are skipped; never NULL.
pub(crate) fn concat(ops: &[Operand<'_>], n: usize) -> Result<Vector> {
    let mut out = StrBuf::with_capacity(n, n * 16);
    // Append argument by argument: each row's bytes are contiguous, so build per row.
    let valids: Vec<Option<Bitmap>> = ops.iter().map(|o| o.validity(n)).collect();
    let accs = ops
        .iter()
        .map(|o| match o {
            Operand::Vec(v, sel) => Ok(Some(super::compare::StrAcc::new(v, *sel)?)),
            Operand::Const(_) => Ok(None),
        })
        .collect::<Result<Vec<_>>>()?;
    for i in 0..n {
        for (k, o) in ops.iter().enumerate() {
            if !is_valid(valids[k].as_ref(), i) {
                continue;
            }
            match (&accs[k], o) {
                (Some(acc), _) => out.bytes.extend_from_slice(acc.at(i)),
                (None, Operand::Const(c)) => {
                    if let super::node::Scalar::Str(s) = &c.scalar {
                        out.bytes.extend_from_slice(s);
                    }
                }
                _ => {}
            }
        }
        out.end_value();
    }
    Ok(text_vector(out, None))
}

/// `a || b`: NULL if either is NULL.
pub(crate) fn concat_op(ops: &[Operand<'_>], n: usize, valid: Option<Bitmap>) -> Result<Vector> {
    let mut v = concat(ops, n)?;
    v.validity = valid;
    Ok(v)
}
