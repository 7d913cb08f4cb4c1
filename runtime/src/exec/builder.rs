//! [`VectorBuilder`]: builds a [`Vector`] value by value (operators' outputs, slow paths,
//! tests). Kernels build their typed `Vec`s directly instead.

use crate::exec::kernels::{cast_value, StrBuf};
use crate::vector::{Bitmap, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::{DataType, PhysicalType, Value};

enum Data {
    Bool(Vec<u8>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I128(Vec<i128>),
    F64(Vec<f64>),
    Str(StrBuf),
}

/// Appends values of one type, then [`finish`](VectorBuilder::finish)es into a vector.
///
/// The typed pushes (`push_i64`, `push_str`, ...) must match the type's physical
/// representation (a DECIMAL(15,2) takes scaled `i64`s, a DATE `i32` days); a mismatch is a
/// caller bug and panics.
pub struct VectorBuilder {
    ty: DataType,
    data: Data,
    /// Validity words, created at the first NULL.
    validity: Option<Vec<u64>>,
    len: usize,
}

impl VectorBuilder {
    pub fn new(ty: DataType, capacity: usize) -> VectorBuilder {
        let data = match ty.physical() {
            PhysicalType::Bool => Data::Bool(Vec::with_capacity(capacity)),
            PhysicalType::I32 => Data::I32(Vec::with_capacity(capacity)),
            PhysicalType::I64 => Data::I64(Vec::with_capacity(capacity)),
            PhysicalType::I128 => Data::I128(Vec::with_capacity(capacity)),
            PhysicalType::F64 => Data::F64(Vec::with_capacity(capacity)),
            PhysicalType::Str => Data::Str(StrBuf::with_capacity(capacity, capacity * 8)),
        };
        VectorBuilder {
            ty,
            data,
            validity: None,
            len: 0,
        }
    }

    pub fn data_type(&self) -> DataType {
        self.ty
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Appends a value, converting it with the rules of CAST if its kind differs from the
    /// builder's type (e.g. a decimal of another scale).
    ///
    /// # Errors
    /// `Error::Execution` if the value does not fit the type.
    pub fn push(&mut self, v: &Value) -> Result<()> {
        if self.push_exact(v) {
            return Ok(());
        }
        let cast = cast_value(v, self.ty)?;
        if self.push_exact(&cast) {
            Ok(())
        } else {
            Err(Error::Execution(format!(
                "value {v} is out of range for type {}",
                self.ty
            )))
        }
    }

    /// Appends `v` if it already has the builder's representation.
    fn push_exact(&mut self, v: &Value) -> bool {
        match (v, &self.data) {
            (Value::Null, _) => self.push_null(),
            (Value::Boolean(b), Data::Bool(_)) => self.push_bool(*b),
            (Value::Int32(x), Data::I32(_)) if self.ty == DataType::Int32 => self.push_i32(*x),
            (Value::Date(x), Data::I32(_)) if self.ty == DataType::Date => self.push_i32(*x),
            (Value::Int64(x), Data::I64(_)) if self.ty == DataType::Int64 => self.push_i64(*x),
            (Value::Decimal(x, s), Data::I64(_)) if *s == self.ty.scale() && self.fits(*x) => {
                self.push_i64(*x as i64)
            }
            (Value::Decimal(x, s), Data::I128(_)) if *s == self.ty.scale() && self.fits(*x) => {
                self.push_i128(*x)
            }
            (Value::Float64(x), Data::F64(_)) => self.push_f64(*x),
            (Value::Varchar(s), Data::Str(_)) => self.push_str(s),
            _ => return false,
        }
        true
    }

    fn fits(&self, unscaled: i128) -> bool {
        match self.ty {
            DataType::Decimal { precision, .. } => {
                grizzly_ir::types::pow10(precision).is_none_or(|p| unscaled.abs() < p)
            }
            _ => false,
        }
    }

    pub fn push_null(&mut self) {
        let len = self.len;
        let words = self.validity.get_or_insert_with(|| {
            let mut w = vec![u64::MAX; len.div_ceil(64)];
            if !len.is_multiple_of(64) {
                if let Some(last) = w.last_mut() {
                    *last = (1u64 << (len % 64)) - 1;
                }
            }
            w
        });
        if len.is_multiple_of(64) {
            words.push(0);
        }
        match &mut self.data {
            Data::Bool(v) => v.push(0),
            Data::I32(v) => v.push(0),
            Data::I64(v) => v.push(0),
            Data::I128(v) => v.push(0),
            Data::F64(v) => v.push(0.0),
            Data::Str(s) => s.end_value(),
        }
        self.len += 1;
    }

    #[inline]
    fn mark_valid(&mut self) {
        if let Some(words) = &mut self.validity {
            if self.len.is_multiple_of(64) {
                words.push(0);
            }
            words[self.len / 64] |= 1 << (self.len % 64);
        }
        self.len += 1;
    }

    #[inline]
    pub fn push_bool(&mut self, b: bool) {
        match &mut self.data {
            Data::Bool(v) => v.push(b as u8),
            _ => self.wrong("BOOLEAN"),
        }
        self.mark_valid();
    }

    /// An INTEGER or DATE (days since 1970-01-01).
    #[inline]
    pub fn push_i32(&mut self, x: i32) {
        match &mut self.data {
            Data::I32(v) => v.push(x),
            _ => self.wrong("i32"),
        }
        self.mark_valid();
    }

    /// A BIGINT or a DECIMAL(p <= 18) scaled to the builder's scale.
    #[inline]
    pub fn push_i64(&mut self, x: i64) {
        match &mut self.data {
            Data::I64(v) => v.push(x),
            _ => self.wrong("i64"),
        }
        self.mark_valid();
    }

    /// A DECIMAL(p > 18) scaled to the builder's scale.
    #[inline]
    pub fn push_i128(&mut self, x: i128) {
        match &mut self.data {
            Data::I128(v) => v.push(x),
            _ => self.wrong("i128"),
        }
        self.mark_valid();
    }

    #[inline]
    pub fn push_f64(&mut self, x: f64) {
        match &mut self.data {
            Data::F64(v) => v.push(x),
            _ => self.wrong("f64"),
        }
        self.mark_valid();
    }

    #[inline]
    pub fn push_str(&mut self, s: &str) {
        self.push_bytes(s.as_bytes())
    }

    /// UTF-8 bytes of a VARCHAR value.
    #[inline]
    pub fn push_bytes(&mut self, s: &[u8]) {
        match &mut self.data {
            Data::Str(b) => b.push(s),
            _ => self.wrong("string"),
        }
        self.mark_valid();
    }

    #[cold]
    fn wrong(&self, what: &str) -> ! {
        panic!("VectorBuilder of {} given a {what} value", self.ty)
    }

    pub fn finish(self) -> Vector {
        let data = match self.data {
            Data::Bool(v) => VectorData::Bool(v.into()),
            Data::I32(v) => VectorData::I32(v.into()),
            Data::I64(v) => VectorData::I64(v.into()),
            Data::I128(v) => VectorData::I128(v.into()),
            Data::F64(v) => VectorData::F64(v.into()),
            Data::Str(s) => VectorData::Str(s.finish()),
        };
        let validity = self.validity.map(|w| Bitmap::new(w.into(), self.len));
        Vector {
            ty: self.ty,
            data,
            validity,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_with_nulls_across_words() {
        let mut b = VectorBuilder::new(DataType::Int64, 0);
        for i in 0..70 {
            b.push_i64(i);
        }
        b.push_null();
        b.push(&Value::Int64(7)).unwrap();
        let v = b.finish();
        assert_eq!(v.len(), 72);
        assert_eq!(v.null_count(), 1);
        assert_eq!(v.get(69), Value::Int64(69));
        assert_eq!(v.get(70), Value::Null);
        assert_eq!(v.get(71), Value::Int64(7));
    }

    #[test]
    fn converts_values() {
        let ty = DataType::Decimal {
            precision: 10,
            scale: 2,
        };
        let mut b = VectorBuilder::new(ty, 4);
        b.push(&Value::Decimal(15, 1)).unwrap();
        b.push(&Value::Int32(3)).unwrap();
        b.push(&Value::Null).unwrap();
        assert!(b.push(&Value::Decimal(10i128.pow(12), 0)).is_err());
        let v = b.finish();
        assert_eq!(v.get(0), Value::Decimal(150, 2));
        assert_eq!(v.get(1), Value::Decimal(300, 2));
        assert_eq!(v.get(2), Value::Null);
        let mut s = VectorBuilder::new(DataType::Varchar, 1);
        s.push(&Value::Varchar("hé".into())).unwrap();
        s.push(&Value::Int32(12)).unwrap();
        let v = s.finish();
        assert_eq!(v.get(0), Value::Varchar("hé".into()));
        assert_eq!(v.get(1), Value::Varchar("12".into()));
    }
}
