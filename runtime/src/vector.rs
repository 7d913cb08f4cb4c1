//! Columnar vectors: the unit of data the interpreter, storage and compiled code exchange.
//!
//! A [`Vector`] is a run of values of one SQL type: a typed [`VectorData`] plus an optional
//! validity [`Bitmap`] (bit set = value present; absent bitmap = no NULLs). The value slot of a
//! NULL row holds an unspecified value of the right type (usually zero). Vectors made from a
//! `.griz` file view the mapped bytes in place.

use crate::buffer::Buffer;
use grizzly_ir::{DataType, PhysicalType, Value};
use std::sync::Arc;

/// A validity bitmap over `len` rows: bit `i % 64` of word `i / 64` is set if row `i` is valid.
#[derive(Clone, Debug)]
pub struct Bitmap {
    words: Buffer<u64>,
    len: usize,
}

impl Bitmap {
    pub fn new(words: Buffer<u64>, len: usize) -> Self {
        assert!(
            words.len() >= len.div_ceil(64),
            "bitmap shorter than its length"
        );
        Bitmap { words, len }
    }

    /// A bitmap from per-row validity flags.
    pub fn from_bools(valid: impl IntoIterator<Item = bool>) -> Self {
        let mut words = Vec::new();
        let mut len = 0;
        for (i, v) in valid.into_iter().enumerate() {
            if i % 64 == 0 {
                words.push(0u64);
            }
            if v {
                words[i / 64] |= 1 << (i % 64);
            }
            len = i + 1;
        }
        Bitmap {
            words: Buffer::from_vec(words),
            len,
        }
    }

    #[inline]
    pub fn is_valid(&self, i: usize) -> bool {
        (self.words[i / 64] >> (i % 64)) & 1 == 1
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn words(&self) -> &[u64] {
        &self.words
    }

    /// Rows that are NULL.
    pub fn null_count(&self) -> usize {
        let full = self.len / 64;
        let mut valid: usize = self.words[..full]
            .iter()
            .map(|w| w.count_ones() as usize)
            .sum();
        if !self.len.is_multiple_of(64) {
            let mask = (1u64 << (self.len % 64)) - 1;
            valid += (self.words[full] & mask).count_ones() as usize;
        }
        self.len - valid
    }

    /// Rows `start..start + len`; `start` must be a multiple of 64 (batches are aligned).
    pub fn slice(&self, start: usize, len: usize) -> Bitmap {
        assert!(
            start.is_multiple_of(64) && start + len <= self.len,
            "unaligned bitmap slice"
        );
        Bitmap {
            words: self.words.slice(start / 64, len.div_ceil(64)),
            len,
        }
    }
}

/// Variable-length UTF-8 strings: value `i` is `bytes[offsets[i]..offsets[i + 1]]`.
/// `offsets` has one more entry than there are values; offsets are absolute into `bytes`.
#[derive(Clone, Debug)]
pub struct StrData {
    pub offsets: Buffer<u32>,
    pub bytes: Buffer<u8>,
}

impl StrData {
    pub fn from_strs<'a>(values: impl IntoIterator<Item = &'a str>) -> StrData {
        let mut offsets = vec![0u32];
        let mut bytes = Vec::new();
        for s in values {
            bytes.extend_from_slice(s.as_bytes());
            offsets.push(bytes.len() as u32);
        }
        StrData {
            offsets: offsets.into(),
            bytes: bytes.into(),
        }
    }

    pub fn len(&self) -> usize {
        self.offsets.len().saturating_sub(1)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes of value `i`.
    #[inline]
    pub fn get_bytes(&self, i: usize) -> &[u8] {
        &self.bytes[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Value `i` as text. Strings are validated as UTF-8 when they enter Grizzly (loading,
    /// file checks), so invalid bytes here are replaced rather than trusted.
    #[inline]
    pub fn get(&self, i: usize) -> &str {
        std::str::from_utf8(self.get_bytes(i)).unwrap_or("\u{FFFD}")
    }

    pub fn slice(&self, start: usize, len: usize) -> StrData {
        StrData {
            offsets: self.offsets.slice(start, len + 1),
            bytes: self.bytes.clone(),
        }
    }
}

/// The values of a vector, by physical type.
#[derive(Clone, Debug)]
pub enum VectorData {
    Bool(Buffer<u8>),
    I32(Buffer<i32>),
    I64(Buffer<i64>),
    I128(Buffer<i128>),
    F64(Buffer<f64>),
    Str(StrData),
    /// Dictionary-encoded strings: value `i` is `dict[codes[i]]`. The dictionary is sorted and
    /// free of duplicates, so code order is string order and equal codes mean equal strings.
    Dict {
        codes: Buffer<u32>,
        dict: Arc<StrData>,
    },
}

/// A run of values of one SQL type.
#[derive(Clone, Debug)]
pub struct Vector {
    pub ty: DataType,
    pub data: VectorData,
    /// `None` means every value is present.
    pub validity: Option<Bitmap>,
}

impl Vector {
    pub fn len(&self) -> usize {
        match &self.data {
            VectorData::Bool(b) => b.len(),
            VectorData::I32(b) => b.len(),
            VectorData::I64(b) => b.len(),
            VectorData::I128(b) => b.len(),
            VectorData::F64(b) => b.len(),
            VectorData::Str(s) => s.len(),
            VectorData::Dict { codes, .. } => codes.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    #[inline]
    pub fn is_valid(&self, i: usize) -> bool {
        self.validity.as_ref().is_none_or(|v| v.is_valid(i))
    }

    pub fn null_count(&self) -> usize {
        self.validity.as_ref().map_or(0, Bitmap::null_count)
    }

    /// Rows `start..start + len` without copying (`start` a multiple of 64 if there are NULLs).
    pub fn slice(&self, start: usize, len: usize) -> Vector {
        let data = match &self.data {
            VectorData::Bool(b) => VectorData::Bool(b.slice(start, len)),
            VectorData::I32(b) => VectorData::I32(b.slice(start, len)),
            VectorData::I64(b) => VectorData::I64(b.slice(start, len)),
            VectorData::I128(b) => VectorData::I128(b.slice(start, len)),
            VectorData::F64(b) => VectorData::F64(b.slice(start, len)),
            VectorData::Str(s) => VectorData::Str(s.slice(start, len)),
            VectorData::Dict { codes, dict } => VectorData::Dict {
                codes: codes.slice(start, len),
                dict: dict.clone(),
            },
        };
        Vector {
            ty: self.ty,
            data,
            validity: self.validity.as_ref().map(|v| v.slice(start, len)),
        }
    }

    /// Value `i` as a [`Value`] (slow path: results, tests, constant folding).
    pub fn get(&self, i: usize) -> Value {
        if !self.is_valid(i) {
            return Value::Null;
        }
        match (&self.data, self.ty) {
            (VectorData::Bool(b), _) => Value::Boolean(b[i] != 0),
            (VectorData::I32(b), DataType::Date) => Value::Date(b[i]),
            (VectorData::I32(b), _) => Value::Int32(b[i]),
            (VectorData::I64(b), DataType::Decimal { scale, .. }) => {
                Value::Decimal(b[i] as i128, scale)
            }
            (VectorData::I64(b), _) => Value::Int64(b[i]),
            (VectorData::I128(b), ty) => Value::Decimal(b[i], ty.scale()),
            (VectorData::F64(b), _) => Value::Float64(b[i]),
            (VectorData::Str(s), _) => Value::Varchar(s.get(i).to_string()),
            (VectorData::Dict { codes, dict }, _) => {
                Value::Varchar(dict.get(codes[i] as usize).to_string())
            }
        }
    }

    /// A vector of no values.
    pub fn empty(ty: DataType) -> Vector {
        let data = match ty.physical() {
            PhysicalType::Bool => VectorData::Bool(Buffer::from_vec(Vec::new())),
            PhysicalType::I32 => VectorData::I32(Buffer::from_vec(Vec::new())),
            PhysicalType::I64 => VectorData::I64(Buffer::from_vec(Vec::new())),
            PhysicalType::I128 => VectorData::I128(Buffer::from_vec(Vec::new())),
            PhysicalType::F64 => VectorData::F64(Buffer::from_vec(Vec::new())),
            PhysicalType::Str => VectorData::Str(StrData {
                offsets: Buffer::from_static(&[0]),
                bytes: Buffer::from_static(&[]),
            }),
        };
        Vector {
            ty,
            data,
            validity: None,
        }
    }

    /// A vector from values (slow path). Values must match `ty` or be NULL; a decimal of
    /// another scale is rescaled. Returns `None` if a value does not fit the type.
    pub fn from_values(ty: DataType, values: &[Value]) -> Option<Vector> {
        let validity = if values.iter().any(Value::is_null) {
            Some(Bitmap::from_bools(values.iter().map(|v| !v.is_null())))
        } else {
            None
        };
        let data = match ty.physical() {
            PhysicalType::Bool => VectorData::Bool(
                values
                    .iter()
                    .map(|v| match v {
                        Value::Boolean(b) => Some(*b as u8),
                        Value::Null => Some(0),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            PhysicalType::I32 => VectorData::I32(
                values
                    .iter()
                    .map(|v| match v {
                        Value::Int32(x) | Value::Date(x) => Some(*x),
                        Value::Null => Some(0),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            PhysicalType::I64 => VectorData::I64(
                values
                    .iter()
                    .map(|v| match v {
                        Value::Int64(x) => Some(*x),
                        Value::Decimal(x, s) => i64::try_from(rescale(*x, *s, ty.scale())?).ok(),
                        Value::Null => Some(0),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            PhysicalType::I128 => VectorData::I128(
                values
                    .iter()
                    .map(|v| match v {
                        Value::Decimal(x, s) => rescale(*x, *s, ty.scale()),
                        Value::Null => Some(0),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            PhysicalType::F64 => VectorData::F64(
                values
                    .iter()
                    .map(|v| match v {
                        Value::Float64(x) => Some(*x),
                        Value::Null => Some(0.0),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?
                    .into(),
            ),
            PhysicalType::Str => {
                let strs = values
                    .iter()
                    .map(|v| match v {
                        Value::Varchar(s) => Some(s.as_str()),
                        Value::Null => Some(""),
                        _ => None,
                    })
                    .collect::<Option<Vec<_>>>()?;
                VectorData::Str(StrData::from_strs(strs))
            }
        };
        Some(Vector { ty, data, validity })
    }
}

/// Rescales an unscaled decimal from scale `from` to scale `to`; `None` on overflow or if
/// digits would be lost.
pub fn rescale(v: i128, from: u8, to: u8) -> Option<i128> {
    use std::cmp::Ordering::*;
    match from.cmp(&to) {
        Equal => Some(v),
        Less => v.checked_mul(grizzly_ir::types::pow10(to - from)?),
        Greater => {
            let p = grizzly_ir::types::pow10(from - to)?;
            (v % p == 0).then_some(v / p)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip() {
        let ty = DataType::Decimal {
            precision: 15,
            scale: 2,
        };
        let vals = vec![Value::Decimal(1234, 2), Value::Null, Value::Decimal(5, 1)];
        let v = Vector::from_values(ty, &vals).unwrap();
        assert_eq!(v.get(0), Value::Decimal(1234, 2));
        assert_eq!(v.get(1), Value::Null);
        assert_eq!(v.get(2), Value::Decimal(50, 2));
        assert_eq!(v.null_count(), 1);
    }

    #[test]
    fn strings_slice_without_copy() {
        let v = Vector::from_values(
            DataType::Varchar,
            &["a", "bc", "def"].map(|s| Value::Varchar(s.into())),
        )
        .unwrap();
        let s = v.slice(1, 2);
        assert_eq!(s.get(0), Value::Varchar("bc".into()));
        assert_eq!(s.get(1), Value::Varchar("def".into()));
    }
}
