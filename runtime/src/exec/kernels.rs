//! Shared vector utilities: typed slices ([`Native`]), access patterns for kernels ([`Access`]),
//! validity bitmaps, and whole-vector operations ([`gather`], [`concat`], [`flatten`]).
//!
//! Kernels are tight loops generic over the physical value type and over how logical row `i`
//! is found ([`Dense`]: `s[i]`, [`Gather`]: `s[sel[i]]`, [`Splat`]: a constant), so one
//! source loop is compiled once per combination with no per-value dispatch.

use crate::buffer::{Buffer, Pod};
use crate::vector::{Bitmap, StrData, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::{DataType, Value};
use std::sync::Arc;

pub use super::expr::cast_value;

/// The largest unscaled 128-bit decimal, `10^38 - 1`: 38 digits, the maximum DECIMAL
/// precision. Every 128-bit decimal result (arithmetic, SUM) is checked against it.
pub(crate) const DECIMAL_MAX: i128 =
    10i128.pow(grizzly_ir::types::DECIMAL_MAX_PRECISION as u32) - 1;

/// A physical value type that has its own [`VectorData`] variant.
pub trait Native: Pod + Default + PartialEq + std::fmt::Debug {
    /// The values of `data` if it holds this type.
    fn buffer(data: &VectorData) -> Option<&Buffer<Self>>;
    fn wrap(values: Buffer<Self>) -> VectorData;
}

macro_rules! native {
    ($t:ty, $variant:ident) => {
        impl Native for $t {
            #[inline]
            fn buffer(data: &VectorData) -> Option<&Buffer<Self>> {
                match data {
                    VectorData::$variant(b) => Some(b),
                    _ => None,
                }
            }
            #[inline]
            fn wrap(values: Buffer<Self>) -> VectorData {
                VectorData::$variant(values)
            }
        }
    };
}
native!(u8, Bool);
native!(i32, I32);
native!(i64, I64);
native!(i128, I128);
native!(f64, F64);

/// The values of `v` as a `T` slice; an internal error if `v` holds another physical type.
#[inline]
pub fn prim<T: Native>(v: &Vector) -> Result<&[T]> {
    T::buffer(&v.data).map(|b| b.as_slice()).ok_or_else(|| {
        Error::Internal(format!(
            "vector of type {} does not hold {} values",
            v.ty,
            std::any::type_name::<T>()
        ))
    })
}

/// A vector of `ty` from values and a validity bitmap.
pub fn make_vector<T: Native>(ty: DataType, values: Vec<T>, validity: Option<Bitmap>) -> Vector {
    Vector {
        ty,
        data: T::wrap(values.into()),
        validity,
    }
}

/// How a kernel reads logical row `i` of one input, converting the stored `S` into `T`.
pub trait Access<T>: Copy {
    fn at(&self, i: usize) -> T;
    /// The same access limited to `n` rows, so that loops over `0..n` need no bounds checks
    /// on the dense side. Panics if there are fewer rows (a caller bug).
    fn fit(self, n: usize) -> Self {
        let _ = n;
        self
    }
}

/// Row `i` is `self.0[i]`.
#[derive(Clone, Copy)]
pub struct Dense<'a, S>(pub &'a [S]);

/// Row `i` is `self.0[self.1[i]]`: a column read through a selection, without copying it.
#[derive(Clone, Copy)]
pub struct Gather<'a, S>(pub &'a [S], pub &'a [u32]);

/// Every row is `self.0`.
#[derive(Clone, Copy)]
pub struct Splat<S>(pub S);

impl<S: Copy, T: From<S>> Access<T> for Dense<'_, S> {
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        T::from(self.0[i])
    }
    #[inline(always)]
    fn fit(self, n: usize) -> Self {
        Dense(&self.0[..n])
    }
}

impl<S: Copy, T: From<S>> Access<T> for Gather<'_, S> {
    #[inline(always)]
    fn at(&self, i: usize) -> T {
        T::from(self.0[self.1[i] as usize])
    }
    #[inline(always)]
    fn fit(self, n: usize) -> Self {
        Gather(self.0, &self.1[..n])
    }
}

impl<S: Copy, T: From<S>> Access<T> for Splat<S> {
    #[inline(always)]
    fn at(&self, _: usize) -> T {
        T::from(self.0)
    }
}

/// `f` over `n` rows of two inputs. `f` returns the value and an error code (0 = fine); the
/// codes of all rows are OR-ed so that the loop stays branch-free. Callers that get a non-zero
/// code look again, row by row, skipping NULL rows (whose slots hold arbitrary values).
#[inline(always)]
pub fn map2<T, U, R, A, B, F>(n: usize, a: A, b: B, f: F) -> (Vec<R>, u8)
where
    A: Access<T>,
    B: Access<U>,
    F: Fn(T, U) -> (R, u8),
{
    let (a, b) = (a.fit(n), b.fit(n));
    let mut bad = 0u8;
    let out = (0..n)
        .map(|i| {
            let (r, e) = f(a.at(i), b.at(i));
            bad |= e;
            r
        })
        .collect();
    (out, bad)
}

/// One-input form of [`map2`].
#[inline(always)]
pub fn map1<T, R, A, F>(n: usize, a: A, f: F) -> (Vec<R>, u8)
where
    A: Access<T>,
    F: Fn(T) -> (R, u8),
{
    let a = a.fit(n);
    let mut bad = 0u8;
    let out = (0..n)
        .map(|i| {
            let (r, e) = f(a.at(i));
            bad |= e;
            r
        })
        .collect();
    (out, bad)
}

/// The first row (in order) that is valid and whose error code is non-zero.
pub fn first_error(n: usize, valid: Option<&Bitmap>, code: impl Fn(usize) -> u8) -> Option<u8> {
    (0..n)
        .filter(|&i| valid.is_none_or(|v| v.is_valid(i)))
        .map(code)
        .find(|&c| c != 0)
}

// ---------------------------------------------------------------------------------------------
// Validity bitmaps.

/// A bitmap of `n` rows where row `i` is valid if `f(i)`.
pub fn bitmap_from_fn(n: usize, mut f: impl FnMut(usize) -> bool) -> Bitmap {
    let mut words = vec![0u64; n.div_ceil(64)];
    for (w, word) in words.iter_mut().enumerate() {
        let base = w * 64;
        let end = (base + 64).min(n);
        let mut bits = 0u64;
        for i in base..end {
            bits |= (f(i) as u64) << (i - base);
        }
        *word = bits;
    }
    Bitmap::new(words.into(), n)
}

/// A bitmap of `n` rows, all NULL.
pub fn all_null(n: usize) -> Bitmap {
    Bitmap::new(vec![0u64; n.div_ceil(64)].into(), n)
}

/// `None` if the bitmap has no NULL rows (so later kernels take their no-NULL fast path).
pub fn normalize(b: Bitmap) -> Option<Bitmap> {
    (b.null_count() > 0).then_some(b)
}

/// Rows valid in both.
pub fn and_validity(a: Option<Bitmap>, b: Option<Bitmap>) -> Option<Bitmap> {
    match (a, b) {
        (None, x) | (x, None) => x,
        (Some(a), Some(b)) => {
            debug_assert_eq!(a.len(), b.len());
            let words: Vec<u64> = a
                .words()
                .iter()
                .zip(b.words())
                .map(|(x, y)| x & y)
                .collect();
            Some(Bitmap::new(words.into(), a.len()))
        }
    }
}

/// The validity of `v` read through `sel` (or as is), normalized.
pub fn validity_through(v: &Vector, sel: Option<&[u32]>) -> Option<Bitmap> {
    let bm = v.validity.as_ref()?;
    match sel {
        None => Some(bm.clone()),
        Some(sel) => normalize(bitmap_from_fn(sel.len(), |i| bm.is_valid(sel[i] as usize))),
    }
}

// ---------------------------------------------------------------------------------------------
// Strings.

/// A string column, plain or dictionary-encoded, read by physical row.
#[derive(Clone, Copy)]
pub enum StrCol<'a> {
    Plain(&'a StrData),
    Dict(&'a [u32], &'a StrData),
}

impl<'a> StrCol<'a> {
    pub fn of(v: &'a Vector) -> Result<StrCol<'a>> {
        match &v.data {
            VectorData::Str(s) => Ok(StrCol::Plain(s)),
            VectorData::Dict { codes, dict } => Ok(StrCol::Dict(codes, dict)),
            _ => Err(Error::Internal(format!(
                "vector of type {} does not hold strings",
                v.ty
            ))),
        }
    }

    #[inline]
    pub fn get(&self, i: usize) -> &'a [u8] {
        match self {
            StrCol::Plain(s) => s.get_bytes(i),
            StrCol::Dict(codes, d) => d.get_bytes(codes[i] as usize),
        }
    }
}

/// Builds string data from byte strings.
#[derive(Default)]
pub struct StrBuf {
    pub offsets: Vec<u32>,
    pub bytes: Vec<u8>,
}

impl StrBuf {
    pub fn with_capacity(rows: usize, bytes: usize) -> StrBuf {
        let mut offsets = Vec::with_capacity(rows + 1);
        offsets.push(0);
        StrBuf {
            offsets,
            bytes: Vec::with_capacity(bytes),
        }
    }

    #[inline]
    pub fn push(&mut self, s: &[u8]) {
        self.bytes.extend_from_slice(s);
        self.end_value();
    }

    /// Ends the value whose bytes were appended to `self.bytes` directly.
    #[inline]
    pub fn end_value(&mut self) {
        self.offsets.push(self.bytes.len() as u32);
    }

    pub fn finish(self) -> StrData {
        StrData {
            offsets: self.offsets.into(),
            bytes: self.bytes.into(),
        }
    }
}

/// Sum of the byte lengths of the dictionary entries referenced by `codes`, or of the strings.
fn str_bytes_hint(col: StrCol<'_>, rows: usize) -> usize {
    match col {
        StrCol::Plain(s) => s.bytes.len().min(rows * 64),
        StrCol::Dict(_, d) => (d.bytes.len() / d.len().max(1) + 1) * rows,
    }
}

// ---------------------------------------------------------------------------------------------
// Whole-vector operations.

/// Rows `rows` of `v`, in that order. Dictionary vectors stay dictionary-encoded.
pub fn gather(v: &Vector, rows: &[u32]) -> Vector {
    fn take<T: Pod>(s: &[T], rows: &[u32]) -> Buffer<T> {
        rows.iter()
            .map(|&r| s[r as usize])
            .collect::<Vec<T>>()
            .into()
    }
    let data = match &v.data {
        VectorData::Bool(b) => VectorData::Bool(take(b, rows)),
        VectorData::I32(b) => VectorData::I32(take(b, rows)),
        VectorData::I64(b) => VectorData::I64(take(b, rows)),
        VectorData::I128(b) => VectorData::I128(take(b, rows)),
        VectorData::F64(b) => VectorData::F64(take(b, rows)),
        VectorData::Dict { codes, dict } => VectorData::Dict {
            codes: take(codes, rows),
            dict: dict.clone(),
        },
        VectorData::Str(s) => {
            let col = StrCol::Plain(s);
            let mut out = StrBuf::with_capacity(rows.len(), str_bytes_hint(col, rows.len()));
            for &r in rows {
                out.push(s.get_bytes(r as usize));
            }
            VectorData::Str(out.finish())
        }
    };
    Vector {
        ty: v.ty,
        data,
        validity: validity_through(v, Some(rows)),
    }
}

/// Dictionary-encoded strings decoded to plain strings; other vectors unchanged.
pub fn flatten(v: &Vector) -> Vector {
    match &v.data {
        VectorData::Dict { codes, dict } => {
            let col = StrCol::Dict(codes, dict);
            let mut out = StrBuf::with_capacity(codes.len(), str_bytes_hint(col, codes.len()));
            for i in 0..codes.len() {
                out.push(col.get(i));
            }
            Vector {
                ty: v.ty,
                data: VectorData::Str(out.finish()),
                validity: v.validity.clone(),
            }
        }
        _ => v.clone(),
    }
}

/// The rows of all parts, one after another. Parts must have the same type. Dictionary
/// vectors sharing one dictionary stay encoded; otherwise strings come out plain.
pub fn concat(parts: &[Vector]) -> Result<Vector> {
    let Some(first) = parts.first() else {
        return Err(Error::Internal("concat of no vectors".into()));
    };
    let ty = first.ty;
    if let Some(p) = parts.iter().find(|p| p.ty.physical() != ty.physical()) {
        return Err(Error::Internal(format!(
            "concat of {} and {} vectors",
            ty, p.ty
        )));
    }
    if parts.len() == 1 {
        return Ok(first.clone());
    }
    let total: usize = parts.iter().map(Vector::len).sum();
    let validity = if parts.iter().any(|p| p.validity.is_some()) {
        let mut bits = Vec::with_capacity(total);
        for p in parts {
            bits.extend((0..p.len()).map(|i| p.is_valid(i)));
        }
        normalize(bitmap_from_fn(total, |i| bits[i]))
    } else {
        None
    };
    fn cat<T: Native>(parts: &[Vector], total: usize) -> Result<Buffer<T>> {
        let mut out = Vec::with_capacity(total);
        for p in parts {
            out.extend_from_slice(prim::<T>(p)?);
        }
        Ok(out.into())
    }
    let shared_dict = match &first.data {
        VectorData::Dict { dict, .. } => parts
            .iter()
            .all(|p| matches!(&p.data, VectorData::Dict { dict: d, .. } if Arc::ptr_eq(d, dict))),
        _ => false,
    };
    let data = match &first.data {
        VectorData::Bool(_) => VectorData::Bool(cat(parts, total)?),
        VectorData::I32(_) => VectorData::I32(cat(parts, total)?),
        VectorData::I64(_) => VectorData::I64(cat(parts, total)?),
        VectorData::I128(_) => VectorData::I128(cat(parts, total)?),
        VectorData::F64(_) => VectorData::F64(cat(parts, total)?),
        VectorData::Dict { dict, .. } if shared_dict => {
            let mut codes = Vec::with_capacity(total);
            for p in parts {
                if let VectorData::Dict { codes: c, .. } = &p.data {
                    codes.extend_from_slice(c);
                }
            }
            VectorData::Dict {
                codes: codes.into(),
                dict: dict.clone(),
            }
        }
        VectorData::Str(_) | VectorData::Dict { .. } => {
            let mut out = StrBuf::with_capacity(total, 0);
            for p in parts {
                let col = StrCol::of(p)?;
                for i in 0..p.len() {
                    out.push(col.get(i));
                }
            }
            VectorData::Str(out.finish())
        }
    };
    Ok(Vector { ty, data, validity })
}

/// A vector of `n` copies of `value` (which must be NULL or fit `ty`).
pub fn repeat(value: &Value, ty: DataType, n: usize) -> Result<Vector> {
    use crate::exec::builder::VectorBuilder;
    let mut b = VectorBuilder::new(ty, n);
    if value.is_null() {
        for _ in 0..n {
            b.push_null();
        }
    } else {
        for _ in 0..n {
            b.push(value)?;
        }
    }
    Ok(b.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &[Option<&str>]) -> Vector {
        let vals: Vec<Value> = v
            .iter()
            .map(|s| s.map_or(Value::Null, |s| Value::Varchar(s.into())))
            .collect();
        Vector::from_values(DataType::Varchar, &vals).unwrap()
    }

    fn dict(entries: &[&str], codes: &[u32]) -> Vector {
        Vector {
            ty: DataType::Varchar,
            data: VectorData::Dict {
                codes: codes.to_vec().into(),
                dict: Arc::new(StrData::from_strs(entries.iter().copied())),
            },
            validity: None,
        }
    }

    fn values(v: &Vector) -> Vec<Value> {
        (0..v.len()).map(|i| v.get(i)).collect()
    }

    #[test]
    fn gather_keeps_dicts_and_nulls() {
        let v = strs(&[Some("a"), None, Some("ccc")]);
        let g = gather(&v, &[2, 1, 2]);
        assert_eq!(values(&g), values(&strs(&[Some("ccc"), None, Some("ccc")])));
        let d = dict(&["x", "y"], &[0, 1, 1]);
        let g = gather(&d, &[2, 0]);
        assert!(matches!(g.data, VectorData::Dict { .. }));
        assert_eq!(
            values(&g),
            vec![Value::Varchar("y".into()), Value::Varchar("x".into())]
        );
        let ints = Vector::from_values(DataType::Int32, &[Value::Int32(1), Value::Int32(2)]);
        assert_eq!(values(&gather(&ints.unwrap(), &[1])), vec![Value::Int32(2)]);
    }

    #[test]
    fn concat_and_flatten() {
        let a = dict(&["x", "y"], &[0, 1]);
        let b = dict(&["x", "y"], &[1]);
        let c = concat(&[a.clone(), b]).unwrap();
        assert!(
            matches!(c.data, VectorData::Str(_)),
            "different dictionaries decode"
        );
        assert_eq!(
            values(&c),
            values(&strs(&[Some("x"), Some("y"), Some("y")]))
        );
        let same = concat(&[a.clone(), a.clone()]).unwrap();
        assert!(matches!(same.data, VectorData::Dict { .. }));
        let mixed = concat(&[a.clone(), strs(&[None])]).unwrap();
        assert_eq!(values(&mixed), values(&strs(&[Some("x"), Some("y"), None])));
        assert!(matches!(flatten(&a).data, VectorData::Str(_)));
        assert_eq!(values(&flatten(&a)), values(&a));
        let i = Vector::from_values(DataType::Int64, &[Value::Int64(1)]).unwrap();
        assert!(concat(&[i, a]).is_err());
    }

    #[test]
    fn bitmaps() {
        let b = bitmap_from_fn(130, |i| i % 3 != 0);
        assert_eq!(b.null_count(), 44);
        assert!(!b.is_valid(129) && b.is_valid(128));
        assert!(normalize(bitmap_from_fn(70, |_| true)).is_none());
        let c = and_validity(Some(b), Some(bitmap_from_fn(130, |i| i < 100))).unwrap();
        assert_eq!(c.null_count(), 44 + 30 - 10);
    }
}
