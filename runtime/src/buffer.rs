//! Immutable, cheaply clonable typed buffers that either own their memory or view a region of
//! a memory-mapped `.griz` file in place (zero-copy).
//!
//! This is one of the few modules with `unsafe`: a [`Buffer`] holds a raw pointer into memory
//! kept alive by its `owner`. The invariants, checked where buffers are made:
//! - the pointer is aligned for `T` and `len * size_of::<T>()` bytes from it lie inside the
//!   owner's memory;
//! - the owner's memory never changes while any buffer views it (`.griz` pages are written
//!   copy-on-write and never rewritten while a snapshot can see them; owned memory is never
//!   mutated after the buffer is made);
//! - `T` is a plain-old-data type ([`Pod`]) for which every bit pattern is a valid value.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// Types for which every bit pattern is valid and that have no padding or drop glue.
///
/// # Safety
/// Implement only for primitive integer and float types.
pub unsafe trait Pod: Copy + Send + Sync + 'static {}
// SAFETY: primitive numbers: every bit pattern is a valid value, no padding.
unsafe impl Pod for u8 {}
// SAFETY: as above.
unsafe impl Pod for u32 {}
// SAFETY: as above.
unsafe impl Pod for u64 {}
// SAFETY: as above.
unsafe impl Pod for i32 {}
// SAFETY: as above.
unsafe impl Pod for i64 {}
// SAFETY: as above.
unsafe impl Pod for i128 {}
// SAFETY: as above.
unsafe impl Pod for f64 {}

/// Memory that a buffer can view: anything that dereferences to stable bytes.
pub trait Backing: Any + Send + Sync {
    fn bytes(&self) -> &[u8];
}

impl Backing for memmap2::Mmap {
    fn bytes(&self) -> &[u8] {
        self
    }
}

impl Backing for Vec<u8> {
    fn bytes(&self) -> &[u8] {
        self
    }
}

enum Owner<T> {
    Vec(Arc<Vec<T>>),
    Bytes(Arc<dyn Backing>),
    /// Memory that lives as long as the program (empty buffers, constants): nothing to own,
    /// nothing allocated.
    Static,
}

impl<T> Clone for Owner<T> {
    fn clone(&self) -> Self {
        match self {
            Owner::Vec(v) => Owner::Vec(v.clone()),
            Owner::Bytes(b) => Owner::Bytes(b.clone()),
            Owner::Static => Owner::Static,
        }
    }
}

/// An immutable slice of `T` kept alive by an `Arc`'d owner.
pub struct Buffer<T: Pod> {
    owner: Owner<T>,
    ptr: *const T,
    len: usize,
}

// SAFETY: the buffer is an immutable view of memory owned by `Send + Sync` owners; `T: Pod`
// is `Send + Sync`.
unsafe impl<T: Pod> Send for Buffer<T> {}
// SAFETY: as above; no interior mutability.
unsafe impl<T: Pod> Sync for Buffer<T> {}

/// Why a region of bytes cannot be viewed as a typed buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegionError {
    OutOfBounds {
        offset: usize,
        bytes: usize,
        available: usize,
    },
    Misaligned {
        offset: usize,
        align: usize,
    },
}

impl fmt::Display for RegionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionError::OutOfBounds {
                offset,
                bytes,
                available,
            } => write!(
                f,
                "region of {bytes} bytes at offset {offset} exceeds the {available} bytes mapped"
            ),
            RegionError::Misaligned { offset, align } => {
                write!(
                    f,
                    "region at offset {offset} is not aligned to {align} bytes"
                )
            }
        }
    }
}

impl<T: Pod> Buffer<T> {
    pub fn from_vec(v: Vec<T>) -> Self {
        if v.is_empty() {
            // Small results make many empty vectors: no allocation for them.
            return Buffer::from_static(&[]);
        }
        let v = Arc::new(v);
        Buffer {
            ptr: v.as_ptr(),
            len: v.len(),
            owner: Owner::Vec(v),
        }
    }

    /// A view of values that live as long as the program.
    pub fn from_static(values: &'static [T]) -> Self {
        Buffer {
            owner: Owner::Static,
            ptr: values.as_ptr(),
            len: values.len(),
        }
    }

    /// Views `len` values of `T` starting `offset` bytes into `backing`, after checking bounds
    /// and alignment.
    pub fn from_bytes(
        backing: Arc<dyn Backing>,
        offset: usize,
        len: usize,
    ) -> Result<Self, RegionError> {
        let bytes = backing.bytes();
        let size = len.saturating_mul(size_of::<T>());
        if offset.checked_add(size).is_none_or(|end| end > bytes.len()) {
            return Err(RegionError::OutOfBounds {
                offset,
                bytes: size,
                available: bytes.len(),
            });
        }
        // SAFETY: offset + size <= bytes.len() was checked above, so the pointer stays inside
        // (or one past the end of) the backing allocation.
        let ptr = unsafe { bytes.as_ptr().add(offset) } as *const T;
        if !(ptr as usize).is_multiple_of(align_of::<T>()) {
            return Err(RegionError::Misaligned {
                offset,
                align: align_of::<T>(),
            });
        }
        Ok(Buffer {
            owner: Owner::Bytes(backing),
            ptr,
            len,
        })
    }

    pub fn as_slice(&self) -> &[T] {
        if self.len == 0 {
            return &[];
        }
        // SAFETY: construction checked alignment and bounds; the owner (held by self) keeps the
        // memory alive and unchanged; T is Pod so any bytes are valid values.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// A zero-copy view of `len` values from `start`. Panics if out of range (a caller bug).
    pub fn slice(&self, start: usize, len: usize) -> Self {
        assert!(
            start.checked_add(len).is_some_and(|e| e <= self.len),
            "buffer slice out of range"
        );
        Buffer {
            owner: self.owner.clone(),
            // SAFETY: start + len <= self.len was asserted above.
            ptr: unsafe { self.ptr.add(start) },
            len,
        }
    }
}

impl<T: Pod> Clone for Buffer<T> {
    fn clone(&self) -> Self {
        Buffer {
            owner: self.owner.clone(),
            ptr: self.ptr,
            len: self.len,
        }
    }
}

impl<T: Pod> std::ops::Deref for Buffer<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        self.as_slice()
    }
}

impl<T: Pod + fmt::Debug> fmt::Debug for Buffer<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.as_slice().iter().take(16))
            .finish()
    }
}

impl<T: Pod> From<Vec<T>> for Buffer<T> {
    fn from(v: Vec<T>) -> Self {
        Buffer::from_vec(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn views_check_bounds_and_alignment() {
        let mut bytes = vec![0u8; 64];
        bytes[8..16].copy_from_slice(&42i64.to_le_bytes());
        let backing: Arc<dyn Backing> = Arc::new(bytes);
        // Vec<u8> is only guaranteed byte alignment; find an 8-aligned offset first.
        let base = backing.bytes().as_ptr() as usize;
        let skew = (8 - base % 8) % 8;
        assert!(Buffer::<i64>::from_bytes(backing.clone(), skew, 7).is_ok());
        assert!(matches!(
            Buffer::<i64>::from_bytes(backing.clone(), skew, 9),
            Err(RegionError::OutOfBounds { .. })
        ));
        assert!(matches!(
            Buffer::<i64>::from_bytes(backing.clone(), skew + 1, 1),
            Err(RegionError::Misaligned { .. })
        ));
        let b = Buffer::<u8>::from_bytes(backing, 8, 8).unwrap();
        assert_eq!(b.slice(0, 1)[0], 42);
    }
}
