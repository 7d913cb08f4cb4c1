//! The write side of column chunks: choosing an encoding, laying segments out 64-byte aligned,
//! computing checksums and zone maps; and the builder that accumulates appended rows until
//! they make a row group.
//!
//! Every pass here is linear in the rows and allocates per chunk, never per value.

use super::catalog::{ChunkDesc, SegmentDesc};
use super::format::{
    align_up, crc, Encoding, SegmentKind, DICT_MAX_ENTRIES, DICT_MAX_RATIO, SEGMENT_ALIGN,
    ZONE_MAX_STRING,
};
use crate::buffer::Buffer;
use crate::vector::{Bitmap, StrData, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::{DataType, Value};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// A row group serialized into one contiguous byte run; segment offsets are relative to its
/// start until the row group is placed.
pub(crate) struct EncodedRowGroup {
    pub bytes: Vec<u8>,
    pub rows: usize,
    pub chunks: Vec<ChunkDesc>,
}

/// Encodes rows `start..start + rows` of `cols` (one vector per column) as a row group.
pub(crate) fn encode_row_group(
    cols: &[Vector],
    start: usize,
    rows: usize,
) -> Result<EncodedRowGroup> {
    let mut out = Vec::new();
    let mut chunks = Vec::with_capacity(cols.len());
    for v in cols {
        chunks.push(encode_chunk(&mut out, v, start, rows)?);
    }
    Ok(EncodedRowGroup {
        bytes: out,
        rows,
        chunks,
    })
}

/// Appends a segment of `len` bytes filled by `fill`, 64-byte aligned, and describes it.
fn segment(
    out: &mut Vec<u8>,
    kind: SegmentKind,
    len: usize,
    fill: impl FnOnce(&mut [u8]),
) -> SegmentDesc {
    let offset = align_up(out.len() as u64, SEGMENT_ALIGN) as usize;
    out.resize(offset + len, 0);
    fill(&mut out[offset..]);
    SegmentDesc {
        kind,
        offset: offset as u64,
        len: len as u64,
        crc: crc(&out[offset..]),
    }
}

fn encode_chunk(out: &mut Vec<u8>, v: &Vector, start: usize, rows: usize) -> Result<ChunkDesc> {
    let (validity, null_count) = range_validity(v, start, rows);
    let valid = validity.as_deref();
    let ty = v.ty;
    let (encoding, mut segments, (min, max)) = match &v.data {
        VectorData::Bool(b) => {
            let vals = &b[start..start + rows];
            let seg = segment(out, SegmentKind::Values, rows, |dst| {
                for (i, (d, s)) in dst.iter_mut().zip(vals).enumerate() {
                    *d = (is_valid(valid, i) && *s != 0) as u8;
                }
            });
            let zone = min_max(vals, valid, |a, b| (*a != 0).cmp(&(*b != 0)));
            (
                Encoding::Plain,
                vec![seg],
                map_zone(zone, |x| Value::Boolean(x != 0)),
            )
        }
        VectorData::I32(b) => {
            let (seg, zone) = fixed(
                out,
                &b[start..start + rows],
                valid,
                i32::to_le_bytes,
                i32::cmp,
            );
            let f = |x: i32| {
                if ty == DataType::Date {
                    Value::Date(x)
                } else {
                    Value::Int32(x)
                }
            };
            (Encoding::Plain, vec![seg], map_zone(zone, f))
        }
        VectorData::I64(b) => {
            let (seg, zone) = fixed(
                out,
                &b[start..start + rows],
                valid,
                i64::to_le_bytes,
                i64::cmp,
            );
            let f = |x: i64| match ty {
                DataType::Decimal { scale, .. } => Value::Decimal(x as i128, scale),
                _ => Value::Int64(x),
            };
            (Encoding::Plain, vec![seg], map_zone(zone, f))
        }
        VectorData::I128(b) => {
            let (seg, zone) = fixed(
                out,
                &b[start..start + rows],
                valid,
                i128::to_le_bytes,
                i128::cmp,
            );
            (
                Encoding::Plain,
                vec![seg],
                map_zone(zone, |x| Value::Decimal(x, ty.scale())),
            )
        }
        VectorData::F64(b) => {
            let (seg, zone) = fixed(
                out,
                &b[start..start + rows],
                valid,
                f64::to_le_bytes,
                f64::total_cmp,
            );
            (Encoding::Plain, vec![seg], map_zone(zone, Value::Float64))
        }
        VectorData::Str(s) => encode_strings(out, &Strs::Plain(s), start, rows, valid)?,
        VectorData::Dict { codes, dict } => {
            encode_strings(out, &Strs::Dict(codes, dict), start, rows, valid)?
        }
    };
    if let Some(words) = &validity {
        segments.push(segment(
            out,
            SegmentKind::Validity,
            words.len() * 8,
            |dst| {
                for (d, w) in dst.chunks_exact_mut(8).zip(words) {
                    d.copy_from_slice(&w.to_le_bytes());
                }
            },
        ));
    }
    Ok(ChunkDesc {
        encoding,
        null_count,
        min,
        max,
        segments,
    })
}

#[inline]
fn is_valid(valid: Option<&[u64]>, i: usize) -> bool {
    valid.is_none_or(|w| (w[i / 64] >> (i % 64)) & 1 == 1)
}

/// Plain fixed-width values, little-endian; NULL slots are written as zero.
fn fixed<T: Copy + Default, const W: usize>(
    out: &mut Vec<u8>,
    vals: &[T],
    valid: Option<&[u64]>,
    le: fn(T) -> [u8; W],
    cmp: fn(&T, &T) -> std::cmp::Ordering,
) -> (SegmentDesc, Option<(T, T)>) {
    let seg = segment(
        out,
        SegmentKind::Values,
        vals.len() * W,
        |dst| match valid {
            None => {
                for (d, s) in dst.chunks_exact_mut(W).zip(vals) {
                    d.copy_from_slice(&le(*s));
                }
            }
            Some(_) => {
                for (i, (d, s)) in dst.chunks_exact_mut(W).zip(vals).enumerate() {
                    let v = if is_valid(valid, i) { *s } else { T::default() };
                    d.copy_from_slice(&le(v));
                }
            }
        },
    );
    (seg, min_max(vals, valid, cmp))
}

fn min_max<T: Copy>(
    vals: &[T],
    valid: Option<&[u64]>,
    cmp: fn(&T, &T) -> std::cmp::Ordering,
) -> Option<(T, T)> {
    if valid.is_none() {
        let (first, rest) = vals.split_first()?;
        let (mut lo, mut hi) = (*first, *first);
        for v in rest {
            if cmp(v, &lo).is_lt() {
                lo = *v;
            }
            if cmp(v, &hi).is_gt() {
                hi = *v;
            }
        }
        return Some((lo, hi));
    }
    let mut it = vals
        .iter()
        .enumerate()
        .filter(|(i, _)| is_valid(valid, *i))
        .map(|(_, v)| v);
    let first = *it.next()?;
    let (mut lo, mut hi) = (first, first);
    for v in it {
        if cmp(v, &lo).is_lt() {
            lo = *v;
        }
        if cmp(v, &hi).is_gt() {
            hi = *v;
        }
    }
    Some((lo, hi))
}

fn map_zone<T>(z: Option<(T, T)>, f: impl Fn(T) -> Value) -> (Value, Value) {
    match z {
        Some((lo, hi)) => (f(lo), f(hi)),
        None => (Value::Null, Value::Null),
    }
}

/// Either kind of string input, read by row.
enum Strs<'a> {
    Plain(&'a StrData),
    Dict(&'a Buffer<u32>, &'a StrData),
}

impl Strs<'_> {
    #[inline]
    fn get(&self, i: usize) -> &[u8] {
        match self {
            Strs::Plain(s) => s.get_bytes(i),
            Strs::Dict(codes, d) => d.get_bytes(codes[i] as usize),
        }
    }
}

type Segs = (Encoding, Vec<SegmentDesc>, (Value, Value));

fn zone_string(b: &[u8]) -> Value {
    match std::str::from_utf8(b) {
        Ok(s) if s.len() <= ZONE_MAX_STRING => Value::Varchar(s.to_string()),
        _ => Value::Null,
    }
}

/// Dictionary encoding if there are few distinct values, else offsets + bytes.
fn encode_strings(
    out: &mut Vec<u8>,
    src: &Strs<'_>,
    start: usize,
    rows: usize,
    valid: Option<&[u64]>,
) -> Result<Segs> {
    let limit = (rows / DICT_MAX_RATIO).min(DICT_MAX_ENTRIES);
    if limit >= 1 {
        if let Some(segs) = try_dict(out, src, start, rows, valid, limit) {
            return Ok(segs);
        }
    }
    // Plain: copy the byte range in one go when the input is contiguous offsets + bytes.
    let mut offsets: Vec<u32> = Vec::with_capacity(rows + 1);
    let bytes: std::borrow::Cow<'_, [u8]> = match src {
        Strs::Plain(s) => {
            let base = s.offsets[start];
            let end = s.offsets[start + rows];
            if end < base || (end - base) as usize > s.bytes.len() {
                return Err(Error::Internal(
                    "string offsets out of order in an appended vector".into(),
                ));
            }
            let mut prev = base;
            for &o in &s.offsets[start..=start + rows] {
                if o < prev {
                    return Err(Error::Internal(
                        "string offsets out of order in an appended vector".into(),
                    ));
                }
                offsets.push(o - base);
                prev = o;
            }
            std::borrow::Cow::Borrowed(&s.bytes[base as usize..end as usize])
        }
        Strs::Dict(..) => {
            let mut b = Vec::new();
            offsets.push(0);
            for i in 0..rows {
                if is_valid(valid, i) {
                    b.extend_from_slice(src.get(start + i));
                }
                if b.len() > u32::MAX as usize {
                    return Err(Error::Execution(
                        "a row group's strings exceed 4 GiB".into(),
                    ));
                }
                offsets.push(b.len() as u32);
            }
            std::borrow::Cow::Owned(b)
        }
    };
    let mut lo: Option<&[u8]> = None;
    let mut hi: Option<&[u8]> = None;
    for i in 0..rows {
        if is_valid(valid, i) {
            let s = &bytes[offsets[i] as usize..offsets[i + 1] as usize];
            if lo.is_none_or(|l| s < l) {
                lo = Some(s);
            }
            if hi.is_none_or(|h| s > h) {
                hi = Some(s);
            }
        }
    }
    let zone = (
        lo.map_or(Value::Null, zone_string),
        hi.map_or(Value::Null, zone_string),
    );
    let s1 = u32_segment(out, SegmentKind::Offsets, &offsets);
    let s2 = segment(out, SegmentKind::Bytes, bytes.len(), |d| {
        d.copy_from_slice(&bytes)
    });
    Ok((Encoding::Strings, vec![s1, s2], zone))
}

fn u32_segment(out: &mut Vec<u8>, kind: SegmentKind, vals: &[u32]) -> SegmentDesc {
    segment(out, kind, vals.len() * 4, |dst| {
        for (d, v) in dst.chunks_exact_mut(4).zip(vals) {
            d.copy_from_slice(&v.to_le_bytes());
        }
    })
}

/// Builds a sorted dictionary, or `None` if there are more than `limit` distinct values (or
/// none at all).
fn try_dict(
    out: &mut Vec<u8>,
    src: &Strs<'_>,
    start: usize,
    rows: usize,
    valid: Option<&[u64]>,
    limit: usize,
) -> Option<Segs> {
    const NULL_ID: u32 = u32::MAX;
    let mut ids: HashMap<&[u8], u32, BuildHasherDefault<FxHasher>> = HashMap::default();
    let mut row_ids = Vec::with_capacity(rows);
    for i in 0..rows {
        if !is_valid(valid, i) {
            row_ids.push(NULL_ID);
            continue;
        }
        let next = ids.len() as u32;
        let id = *ids.entry(src.get(start + i)).or_insert(next);
        if ids.len() > limit {
            return None;
        }
        row_ids.push(id);
    }
    if ids.is_empty() {
        return None;
    }
    let mut entries: Vec<(&[u8], u32)> = ids.into_iter().collect();
    entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let mut rank = vec![0u32; entries.len()];
    for (new, (_, old)) in entries.iter().enumerate() {
        rank[*old as usize] = new as u32;
    }
    let codes: Vec<u32> = row_ids
        .iter()
        .map(|id| {
            if *id == NULL_ID {
                0
            } else {
                rank[*id as usize]
            }
        })
        .collect();
    let mut dict_offsets = Vec::with_capacity(entries.len() + 1);
    let mut dict_bytes = Vec::new();
    dict_offsets.push(0u32);
    for (s, _) in &entries {
        dict_bytes.extend_from_slice(s);
        dict_offsets.push(dict_bytes.len() as u32);
    }
    let zone = (
        zone_string(entries[0].0),
        zone_string(entries[entries.len() - 1].0),
    );
    let s1 = u32_segment(out, SegmentKind::Codes, &codes);
    let s2 = u32_segment(out, SegmentKind::DictOffsets, &dict_offsets);
    let s3 = segment(out, SegmentKind::DictBytes, dict_bytes.len(), |d| {
        d.copy_from_slice(&dict_bytes)
    });
    Some((Encoding::Dict, vec![s1, s2, s3], zone))
}

/// Validity words for rows `start..start + rows` (bits past `rows` cleared) and the NULL
/// count; `None` when there are no NULLs in the range.
fn range_validity(v: &Vector, start: usize, rows: usize) -> (Option<Vec<u64>>, u64) {
    let Some(bm) = &v.validity else {
        return (None, 0);
    };
    let mut words = vec![0u64; rows.div_ceil(64)];
    copy_bits(&mut words, 0, bm.words(), start, rows);
    let valid: u64 = words.iter().map(|w| w.count_ones() as u64).sum();
    let nulls = rows as u64 - valid;
    if nulls == 0 {
        (None, 0)
    } else {
        (Some(words), nulls)
    }
}

/// Copies `n` bits from `src` (from bit `src_off`) into `dst` (from bit `dst_off`); the bits
/// of `dst` in that range must be zero beforehand.
fn copy_bits(dst: &mut [u64], dst_off: usize, src: &[u64], src_off: usize, n: usize) {
    if dst_off.is_multiple_of(64) && src_off.is_multiple_of(64) {
        let (d, s) = (dst_off / 64, src_off / 64);
        let full = n / 64;
        dst[d..d + full].copy_from_slice(&src[s..s + full]);
        if !n.is_multiple_of(64) {
            dst[d + full] |= src[s + full] & ((1u64 << (n % 64)) - 1);
        }
        return;
    }
    for i in 0..n {
        let (si, di) = (src_off + i, dst_off + i);
        if (src[si / 64] >> (si % 64)) & 1 == 1 {
            dst[di / 64] |= 1 << (di % 64);
        }
    }
}

/// Sets bits `from..from + n` of `dst`.
fn set_bits(dst: &mut [u64], from: usize, n: usize) {
    for i in from..from + n {
        dst[i / 64] |= 1 << (i % 64);
    }
}

/// The FxHash mixing function: fast and good enough for a per-chunk dictionary.
#[derive(Default)]
struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        for b in chunks.remainder() {
            self.add(*b as u64);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.add(n as u64);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl FxHasher {
    #[inline]
    fn add(&mut self, w: u64) {
        self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

/// Accumulates appended rows of one column (any input encoding) as plain owned data.
pub(crate) struct ColumnBuilder {
    ty: DataType,
    data: BuilderData,
    /// Created at the first NULL; rows before it are valid.
    validity: Option<Vec<u64>>,
    len: usize,
}

enum BuilderData {
    Bool(Vec<u8>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I128(Vec<i128>),
    F64(Vec<f64>),
    Str { offsets: Vec<u32>, bytes: Vec<u8> },
}

impl ColumnBuilder {
    pub fn new(ty: DataType) -> ColumnBuilder {
        use grizzly_ir::PhysicalType as P;
        let data = match ty.physical() {
            P::Bool => BuilderData::Bool(Vec::new()),
            P::I32 => BuilderData::I32(Vec::new()),
            P::I64 => BuilderData::I64(Vec::new()),
            P::I128 => BuilderData::I128(Vec::new()),
            P::F64 => BuilderData::F64(Vec::new()),
            P::Str => BuilderData::Str {
                offsets: vec![0],
                bytes: Vec::new(),
            },
        };
        ColumnBuilder {
            ty,
            data,
            validity: None,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    /// Appends rows `start..start + n` of `v` (same physical type, checked by the caller).
    pub fn append(&mut self, v: &Vector, start: usize, n: usize) -> Result<()> {
        match (&mut self.data, &v.data) {
            (BuilderData::Bool(d), VectorData::Bool(s)) => {
                d.extend_from_slice(&s[start..start + n])
            }
            (BuilderData::I32(d), VectorData::I32(s)) => d.extend_from_slice(&s[start..start + n]),
            (BuilderData::I64(d), VectorData::I64(s)) => d.extend_from_slice(&s[start..start + n]),
            (BuilderData::I128(d), VectorData::I128(s)) => {
                d.extend_from_slice(&s[start..start + n])
            }
            (BuilderData::F64(d), VectorData::F64(s)) => d.extend_from_slice(&s[start..start + n]),
            (BuilderData::Str { offsets, bytes }, VectorData::Str(s)) => {
                let (base, end) = (s.offsets[start] as usize, s.offsets[start + n] as usize);
                if end < base || end > s.bytes.len() {
                    return Err(Error::Internal(
                        "string offsets out of range in an appended vector".into(),
                    ));
                }
                check_str_room(bytes.len(), end.saturating_sub(base))?;
                let shift = bytes.len() as i64 - base as i64;
                bytes.extend_from_slice(&s.bytes[base..end]);
                offsets.extend(
                    s.offsets[start + 1..=start + n]
                        .iter()
                        .map(|o| (*o as i64 + shift) as u32),
                );
            }
            (BuilderData::Str { offsets, bytes }, VectorData::Dict { codes, dict }) => {
                for c in &codes[start..start + n] {
                    let s = dict.get_bytes(*c as usize);
                    check_str_room(bytes.len(), s.len())?;
                    bytes.extend_from_slice(s);
                    offsets.push(bytes.len() as u32);
                }
            }
            _ => {
                return Err(Error::Internal(format!(
                    "vector data does not match type {}",
                    self.ty
                )))
            }
        }
        if let Some(bm) = &v.validity {
            let words = self.validity.get_or_insert_with(|| {
                let mut w = vec![0u64; self.len.div_ceil(64)];
                set_bits(&mut w, 0, self.len);
                w
            });
            words.resize((self.len + n).div_ceil(64), 0);
            copy_bits(words, self.len, bm.words(), start, n);
        } else if let Some(words) = &mut self.validity {
            words.resize((self.len + n).div_ceil(64), 0);
            set_bits(words, self.len, n);
        }
        self.len += n;
        Ok(())
    }

    /// The rows as a vector, without copying.
    pub fn finish(self) -> Vector {
        let data = match self.data {
            BuilderData::Bool(d) => VectorData::Bool(d.into()),
            BuilderData::I32(d) => VectorData::I32(d.into()),
            BuilderData::I64(d) => VectorData::I64(d.into()),
            BuilderData::I128(d) => VectorData::I128(d.into()),
            BuilderData::F64(d) => VectorData::F64(d.into()),
            BuilderData::Str { offsets, bytes } => VectorData::Str(StrData {
                offsets: offsets.into(),
                bytes: bytes.into(),
            }),
        };
        let validity = self.validity.map(|w| Bitmap::new(w.into(), self.len));
        Vector {
            ty: self.ty,
            data,
            validity,
        }
    }

    /// The rows so far as a vector (copied; the builder keeps them).
    pub fn to_vector(&self) -> Vector {
        let data = match &self.data {
            BuilderData::Bool(d) => VectorData::Bool(d.clone().into()),
            BuilderData::I32(d) => VectorData::I32(d.clone().into()),
            BuilderData::I64(d) => VectorData::I64(d.clone().into()),
            BuilderData::I128(d) => VectorData::I128(d.clone().into()),
            BuilderData::F64(d) => VectorData::F64(d.clone().into()),
            BuilderData::Str { offsets, bytes } => VectorData::Str(StrData {
                offsets: offsets.clone().into(),
                bytes: bytes.clone().into(),
            }),
        };
        let validity = self
            .validity
            .as_ref()
            .map(|w| Bitmap::new(w.clone().into(), self.len));
        Vector {
            ty: self.ty,
            data,
            validity,
        }
    }
}

fn check_str_room(have: usize, add: usize) -> Result<()> {
    if have + add > u32::MAX as usize {
        return Err(Error::Execution(
            "a row group's strings exceed 4 GiB".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn unaligned_bit_copies() {
        let src = [0b1011u64 << 60, 0b1];
        let mut dst = [0u64; 1];
        copy_bits(&mut dst, 3, &src, 62, 3);
        assert_eq!(dst[0], 0b110 << 3);
    }

    #[test]
    fn builder_concatenates_with_nulls_and_dicts() {
        let mut b = ColumnBuilder::new(DataType::Varchar);
        let plain = Vector::from_values(
            DataType::Varchar,
            &[Value::Varchar("x".into()), Value::Null],
        )
        .unwrap();
        b.append(&plain, 0, 2).unwrap();
        let dict = StrData::from_strs(["a", "b"]);
        let dv = Vector {
            ty: DataType::Varchar,
            data: VectorData::Dict {
                codes: vec![1, 0, 1].into(),
                dict: Arc::new(dict),
            },
            validity: None,
        };
        b.append(&dv, 1, 2).unwrap();
        let v = b.to_vector();
        let got: Vec<Value> = (0..v.len()).map(|i| v.get(i)).collect();
        assert_eq!(
            got,
            vec![
                Value::Varchar("x".into()),
                Value::Null,
                Value::Varchar("a".into()),
                Value::Varchar("b".into())
            ]
        );
    }
}
