//! Hashing and comparing rows of key columns: the shared core of hash joins, hash
//! aggregation, DISTINCT and set operations.
//!
//! Keys are compared with SQL equality except that, where a caller asks for grouping
//! semantics, NULL equals NULL (GROUP BY, DISTINCT, UNION); join keys never match NULLs (the
//! join skips rows with a NULL key before probing). Doubles compare by value with -0.0 = 0.0
//! and all NaNs equal (PostgreSQL's grouping of NaN).

use crate::vector::{Bitmap, StrData, Vector, VectorData};
use crate::Buffer;
use grizzly_ir::DataType;
use std::sync::Arc;

const SEED: u64 = 0x9E37_79B9_7F4A_7C15;

#[inline]
fn mix(h: u64, v: u64) -> u64 {
    let x = (h ^ v).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x ^ (x >> 31)
}

#[inline]
fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = SEED ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        h = mix(h, u64::from_le_bytes(c.try_into().expect("chunk of 8")));
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        h = mix(h, u64::from_le_bytes(buf));
    }
    h
}

#[inline]
fn f64_key(v: f64) -> u64 {
    if v.is_nan() {
        u64::MAX
    } else if v == 0.0 {
        0
    } else {
        v.to_bits()
    }
}

const NULL_HASH: u64 = 0x5555_5555_5555_5555;

/// Combines the hash of each row of `v` (rows given by `rows`, or `0..n`) into `hashes`.
///
/// A NULL row's hash depends only on the accumulator, never on what its slot holds: vectors
/// of one column may keep different bytes under NULL (a dictionary code, an empty string),
/// and all NULLs of a key must meet in one group.
pub fn hash_vector(v: &Vector, rows: Option<&[u32]>, hashes: &mut [u64]) {
    fn go<T: Copy>(vals: &[T], rows: Option<&[u32]>, hashes: &mut [u64], f: impl Fn(T) -> u64) {
        match rows {
            Some(r) => {
                for (h, &i) in hashes.iter_mut().zip(r) {
                    *h = mix(*h, f(vals[i as usize]));
                }
            }
            None => {
                for (h, &x) in hashes.iter_mut().zip(vals) {
                    *h = mix(*h, f(x));
                }
            }
        }
    }
    let null_rows: Vec<(usize, u64)> = match &v.validity {
        Some(valid) => hashes
            .iter()
            .enumerate()
            .filter(|&(k, _)| !valid.is_valid(rows.map_or(k, |r| r[k] as usize)))
            .map(|(k, &h)| (k, h))
            .collect(),
        None => Vec::new(),
    };
    match &v.data {
        VectorData::Bool(b) => go(b, rows, hashes, |x| x as u64),
        VectorData::I32(b) => go(b, rows, hashes, |x| x as i64 as u64),
        VectorData::I64(b) => go(b, rows, hashes, |x| x as u64),
        VectorData::I128(b) => go(b, rows, hashes, |x| {
            (x as u64) ^ ((x >> 64) as u64).rotate_left(17)
        }),
        VectorData::F64(b) => go(b, rows, hashes, f64_key),
        VectorData::Str(s) => {
            let n = hashes.len();
            for (k, h) in hashes.iter_mut().enumerate().take(n) {
                let i = rows.map_or(k, |r| r[k] as usize);
                *h = mix(*h, hash_bytes(s.get_bytes(i)));
            }
        }
        VectorData::Dict { codes, dict } => {
            let dict_hashes: Vec<u64> = (0..dict.len())
                .map(|c| hash_bytes(dict.get_bytes(c)))
                .collect();
            go(codes, rows, hashes, |c| dict_hashes[c as usize]);
        }
    }
    for (k, before) in null_rows {
        hashes[k] = mix(before, NULL_HASH);
    }
}

/// Initial value for a hash accumulator.
pub fn hash_seed(n: usize) -> Vec<u64> {
    vec![SEED; n]
}

/// True if rows `i` of `a` and `j` of `b` hold equal values (NULL = NULL). Both vectors must
/// have the same type.
#[inline]
pub fn values_equal(a: &Vector, i: usize, b: &Vector, j: usize) -> bool {
    let (va, vb) = (a.is_valid(i), b.is_valid(j));
    if !va || !vb {
        return va == vb;
    }
    match (&a.data, &b.data) {
        (VectorData::Bool(x), VectorData::Bool(y)) => x[i] == y[j],
        (VectorData::I32(x), VectorData::I32(y)) => x[i] == y[j],
        (VectorData::I64(x), VectorData::I64(y)) => x[i] == y[j],
        (VectorData::I128(x), VectorData::I128(y)) => x[i] == y[j],
        (VectorData::F64(x), VectorData::F64(y)) => f64_key(x[i]) == f64_key(y[j]),
        (VectorData::Dict { codes: x, dict: dx }, VectorData::Dict { codes: y, dict: dy })
            if Arc::ptr_eq(dx, dy) =>
        {
            x[i] == y[j]
        }
        _ => str_at(a, i) == str_at(b, j),
    }
}

/// The bytes of string row `i` (Str or Dict vectors).
#[inline]
pub fn str_at(v: &Vector, i: usize) -> &[u8] {
    match &v.data {
        VectorData::Str(s) => s.get_bytes(i),
        VectorData::Dict { codes, dict } => dict.get_bytes(codes[i] as usize),
        _ => &[],
    }
}

/// A vector of `n` NULLs of type `ty`.
pub fn null_vector(ty: DataType, n: usize) -> Vector {
    let mut store = KeyStore::new(ty);
    for _ in 0..n {
        store.push_null();
    }
    store.finish()
}

/// Growable typed storage for key (or payload) values, appended row by row from vectors;
/// [`KeyStore::finish`] turns it into a [`Vector`].
pub struct KeyStore {
    ty: DataType,
    data: StoreData,
    valid: Vec<bool>,
    has_null: bool,
}

enum StoreData {
    Bool(Vec<u8>),
    I32(Vec<i32>),
    I64(Vec<i64>),
    I128(Vec<i128>),
    F64(Vec<f64>),
    Str { offsets: Vec<u32>, bytes: Vec<u8> },
}

impl KeyStore {
    pub fn new(ty: DataType) -> KeyStore {
        use grizzly_ir::PhysicalType as P;
        let data = match ty.physical() {
            P::Bool => StoreData::Bool(Vec::new()),
            P::I32 => StoreData::I32(Vec::new()),
            P::I64 => StoreData::I64(Vec::new()),
            P::I128 => StoreData::I128(Vec::new()),
            P::F64 => StoreData::F64(Vec::new()),
            P::Str => StoreData::Str {
                offsets: vec![0],
                bytes: Vec::new(),
            },
        };
        KeyStore {
            ty,
            data,
            valid: Vec::new(),
            has_null: false,
        }
    }

    pub fn len(&self) -> usize {
        self.valid.len()
    }

    pub fn is_empty(&self) -> bool {
        self.valid.is_empty()
    }

    /// Bytes of heap memory held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        let data = match &self.data {
            StoreData::Bool(d) => d.capacity(),
            StoreData::I32(d) => d.capacity() * 4,
            StoreData::I64(d) => d.capacity() * 8,
            StoreData::I128(d) => d.capacity() * 16,
            StoreData::F64(d) => d.capacity() * 8,
            StoreData::Str { offsets, bytes } => offsets.capacity() * 4 + bytes.capacity(),
        };
        data + self.valid.capacity()
    }

    /// Appends row `i` of `v` (which has this store's type).
    #[inline]
    pub fn push(&mut self, v: &Vector, i: usize) {
        let valid = v.is_valid(i);
        self.has_null |= !valid;
        self.valid.push(valid);
        match (&mut self.data, &v.data) {
            (StoreData::Bool(d), VectorData::Bool(s)) => d.push(s[i]),
            (StoreData::I32(d), VectorData::I32(s)) => d.push(s[i]),
            (StoreData::I64(d), VectorData::I64(s)) => d.push(s[i]),
            (StoreData::I128(d), VectorData::I128(s)) => d.push(s[i]),
            (StoreData::F64(d), VectorData::F64(s)) => d.push(s[i]),
            (StoreData::Str { offsets, bytes }, _) => {
                bytes.extend_from_slice(str_at(v, i));
                offsets.push(bytes.len() as u32);
            }
            _ => unreachable!("key store type mismatch: {:?} vs {:?}", self.ty, v.ty),
        }
    }

    /// Appends a value (NULL or of this store's type; decimals at this store's scale).
    /// Returns false, appending nothing, if the value's kind does not fit.
    pub fn push_value(&mut self, v: &grizzly_ir::Value) -> bool {
        use grizzly_ir::Value as V;
        if v.is_null() {
            self.push_null();
            return true;
        }
        let ok = match (&mut self.data, v) {
            (StoreData::Bool(d), V::Boolean(b)) => {
                d.push(*b as u8);
                true
            }
            (StoreData::I32(d), V::Int32(x) | V::Date(x)) => {
                d.push(*x);
                true
            }
            (StoreData::I64(d), V::Int64(x)) => {
                d.push(*x);
                true
            }
            (StoreData::I64(d), V::Decimal(x, s)) if *s == self.ty.scale() => {
                match i64::try_from(*x) {
                    Ok(x) => {
                        d.push(x);
                        true
                    }
                    Err(_) => false,
                }
            }
            (StoreData::I128(d), V::Decimal(x, s)) if *s == self.ty.scale() => {
                d.push(*x);
                true
            }
            (StoreData::F64(d), V::Float64(x)) => {
                d.push(*x);
                true
            }
            (StoreData::Str { offsets, bytes }, V::Varchar(t)) => {
                bytes.extend_from_slice(t.as_bytes());
                offsets.push(bytes.len() as u32);
                true
            }
            _ => false,
        };
        if ok {
            self.valid.push(true);
        }
        ok
    }

    /// Appends a NULL.
    pub fn push_null(&mut self) {
        self.has_null = true;
        self.valid.push(false);
        match &mut self.data {
            StoreData::Bool(d) => d.push(0),
            StoreData::I32(d) => d.push(0),
            StoreData::I64(d) => d.push(0),
            StoreData::I128(d) => d.push(0),
            StoreData::F64(d) => d.push(0.0),
            StoreData::Str { offsets, bytes } => offsets.push(bytes.len() as u32),
        }
    }

    /// True if stored row `k` equals row `i` of `v` (NULL = NULL).
    #[inline]
    pub fn equals(&self, k: usize, v: &Vector, i: usize) -> bool {
        let (a, b) = (self.valid[k], v.is_valid(i));
        if !a || !b {
            return a == b;
        }
        match (&self.data, &v.data) {
            (StoreData::Bool(d), VectorData::Bool(s)) => d[k] == s[i],
            (StoreData::I32(d), VectorData::I32(s)) => d[k] == s[i],
            (StoreData::I64(d), VectorData::I64(s)) => d[k] == s[i],
            (StoreData::I128(d), VectorData::I128(s)) => d[k] == s[i],
            (StoreData::F64(d), VectorData::F64(s)) => f64_key(d[k]) == f64_key(s[i]),
            (StoreData::Str { offsets, bytes }, _) => {
                &bytes[offsets[k] as usize..offsets[k + 1] as usize] == str_at(v, i)
            }
            _ => false,
        }
    }

    pub fn finish(self) -> Vector {
        let validity = self
            .has_null
            .then(|| Bitmap::from_bools(self.valid.iter().copied()));
        let data = match self.data {
            StoreData::Bool(d) => VectorData::Bool(d.into()),
            StoreData::I32(d) => VectorData::I32(d.into()),
            StoreData::I64(d) => VectorData::I64(d.into()),
            StoreData::I128(d) => VectorData::I128(d.into()),
            StoreData::F64(d) => VectorData::F64(d.into()),
            StoreData::Str { offsets, bytes } => VectorData::Str(StrData {
                offsets: Buffer::from_vec(offsets),
                bytes: Buffer::from_vec(bytes),
            }),
        };
        Vector {
            ty: self.ty,
            data,
            validity,
        }
    }
}

/// An open-addressing hash table from row hashes to entry ids (`u32`), sized to a power of
/// two with load factor at most 1/2. Equality of keys is the caller's business: `find` walks
/// the slots whose stored hash matches.
pub struct HashIndex {
    slots: Vec<(u64, u32)>,
    mask: usize,
    len: usize,
}

const EMPTY: u32 = u32::MAX;

impl HashIndex {
    pub fn with_capacity(n: usize) -> HashIndex {
        let cap = (n.max(8) * 2).next_power_of_two();
        HashIndex {
            slots: vec![(0, EMPTY); cap],
            mask: cap - 1,
            len: 0,
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes of heap memory held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(u64, u32)>()
    }

    /// Finds an entry with hash `h` for which `eq(entry)` holds, or inserts `new_id()` there.
    /// Returns the entry id and whether it was inserted.
    #[inline]
    pub fn find_or_insert(
        &mut self,
        h: u64,
        mut eq: impl FnMut(u32) -> bool,
        new_id: impl FnOnce() -> u32,
    ) -> (u32, bool) {
        if self.len * 2 >= self.slots.len() {
            self.grow();
        }
        let mut pos = (h as usize) & self.mask;
        loop {
            let (sh, id) = self.slots[pos];
            if id == EMPTY {
                let id = new_id();
                self.slots[pos] = (h, id);
                self.len += 1;
                return (id, true);
            }
            if sh == h && eq(id) {
                return (id, false);
            }
            pos = (pos + 1) & self.mask;
        }
    }

    /// The first entry with hash `h` for which `eq(entry)` holds.
    #[inline]
    pub fn find(&self, h: u64, mut eq: impl FnMut(u32) -> bool) -> Option<u32> {
        let mut pos = (h as usize) & self.mask;
        loop {
            let (sh, id) = self.slots[pos];
            if id == EMPTY {
                return None;
            }
            if sh == h && eq(id) {
                return Some(id);
            }
            pos = (pos + 1) & self.mask;
        }
    }

    /// Inserts an entry without looking for an equal one (duplicates allowed).
    #[inline]
    pub fn insert(&mut self, h: u64, id: u32) {
        if self.len * 2 >= self.slots.len() {
            self.grow();
        }
        let mut pos = (h as usize) & self.mask;
        while self.slots[pos].1 != EMPTY {
            pos = (pos + 1) & self.mask;
        }
        self.slots[pos] = (h, id);
        self.len += 1;
    }

    /// Calls `f` with every entry whose stored hash is `h`.
    #[inline]
    pub fn for_each_match(&self, h: u64, mut f: impl FnMut(u32)) {
        let mut pos = (h as usize) & self.mask;
        loop {
            let (sh, id) = self.slots[pos];
            if id == EMPTY {
                return;
            }
            if sh == h {
                f(id);
            }
            pos = (pos + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let old = std::mem::take(&mut self.slots);
        let cap = old.len() * 2;
        self.slots = vec![(0, EMPTY); cap];
        self.mask = cap - 1;
        for (h, id) in old.into_iter().filter(|s| s.1 != EMPTY) {
            let mut pos = (h as usize) & self.mask;
            while self.slots[pos].1 != EMPTY {
                pos = (pos + 1) & self.mask;
            }
            self.slots[pos] = (h, id);
        }
    }
}

/// True if key columns of these types can be packed losslessly into one `i64` per row by
/// [`pack_int_keys`]: one integer key (I32 or I64 physical type), or two I32 keys.
pub fn int_packable(types: &[DataType]) -> bool {
    use grizzly_ir::PhysicalType as P;
    match types {
        [t] => matches!(t.physical(), P::I32 | P::I64),
        [a, b] => a.physical() == P::I32 && b.physical() == P::I32,
        _ => false,
    }
}

/// Packs rows `0..n` of key vectors whose types pass [`int_packable`] into one `i64` each
/// (single keys by value, so I32 and I64 keys agree; pairs of I32 as high/low halves).
/// `valid` gets whether every key of the row is non-NULL, or stays empty if no key has
/// NULLs. Returns false if the vectors are not packable.
pub fn pack_int_keys(keys: &[Vector], n: usize, out: &mut Vec<i64>, valid: &mut Vec<bool>) -> bool {
    out.clear();
    valid.clear();
    match keys {
        [k] => match &k.data {
            VectorData::I32(d) => out.extend(d[..n].iter().map(|&x| x as i64)),
            VectorData::I64(d) => out.extend_from_slice(&d[..n]),
            _ => return false,
        },
        [a, b] => match (&a.data, &b.data) {
            (VectorData::I32(x), VectorData::I32(y)) => out.extend(
                x[..n]
                    .iter()
                    .zip(&y[..n])
                    .map(|(&x, &y)| (((x as u32 as u64) << 32) | y as u32 as u64) as i64),
            ),
            _ => return false,
        },
        _ => return false,
    }
    if keys.iter().any(|k| k.validity.is_some()) {
        valid.extend((0..n).map(|i| keys.iter().all(|k| k.is_valid(i))));
    }
    true
}

/// Packs the integer key columns of a hash join (I32 or I64 physical types, any number) into
/// one `i64` per row for [`IntMultiMap`]. One key packs by value. Several keys pack
/// mixed-radix over the build side's value ranges, `(a - min_a) * span_b + (b - min_b)`, so
/// TPC-H's `(partkey, suppkey)` pairs pack densely; a probe row with a value outside the
/// build's range cannot match and is marked invalid like a NULL key.
#[derive(Debug, Clone)]
pub struct IntPacker {
    /// `(min, span)` of each key over the build rows; empty for one key (packed by value).
    ranges: Vec<(i64, u64)>,
    /// The build side has no row without a NULL key: nothing can match.
    nothing: bool,
}

/// One mixed-radix step of [`IntPacker::pack`]: `out = out * span + (x - min)`, clearing
/// `valid` where `x` is outside `min .. min + span`.
#[inline]
fn mix_key(
    values: impl Iterator<Item = i64>,
    min: i64,
    span: u64,
    out: &mut [i64],
    valid: &mut [bool],
) {
    for ((x, o), v) in values.zip(out.iter_mut()).zip(valid.iter_mut()) {
        let off = x.wrapping_sub(min) as u64;
        *v &= off < span;
        // Wrapping: rows marked invalid may hold anything.
        *o = o.wrapping_mul(span as i64).wrapping_add(off as i64);
    }
}

/// The value of row `i` of an I32 or I64 vector.
#[inline]
fn int_at(v: &Vector, i: usize) -> i64 {
    match &v.data {
        VectorData::I32(d) => d[i] as i64,
        VectorData::I64(d) => d[i],
        _ => unreachable!("IntPacker::for_build checked the key types"),
    }
}

impl IntPacker {
    /// The packing for build key vectors (rows `0..n`); `None` if some key is not an I32 or
    /// I64 vector or the ranges' product does not fit an `i64`.
    pub fn for_build(keys: &[Vector], n: usize) -> Option<IntPacker> {
        let ints = |v: &Vector| matches!(v.data, VectorData::I32(_) | VectorData::I64(_));
        if keys.is_empty() || !keys.iter().all(ints) {
            return None;
        }
        let valid_rows = || (0..n).filter(|&i| keys.iter().all(|k| k.is_valid(i)));
        if valid_rows().next().is_none() {
            return Some(IntPacker {
                ranges: Vec::new(),
                nothing: true,
            });
        }
        if keys.len() == 1 {
            return Some(IntPacker {
                ranges: Vec::new(),
                nothing: false,
            });
        }
        let mut ranges = Vec::with_capacity(keys.len());
        let mut product: u64 = 1;
        for k in keys {
            let (lo, hi) = valid_rows()
                .map(|i| int_at(k, i))
                .fold((i64::MAX, i64::MIN), |(lo, hi), x| (lo.min(x), hi.max(x)));
            let span = u64::try_from(hi as i128 - lo as i128 + 1).ok()?;
            product = product
                .checked_mul(span)
                .filter(|&p| p <= i64::MAX as u64)?;
            ranges.push((lo, span));
        }
        Some(IntPacker {
            ranges,
            nothing: false,
        })
    }

    /// Packs rows `0..n` of key vectors of the build's types (either side of the join);
    /// `valid` gets whether each row can match (no NULL key, every value in the build's
    /// range), or stays empty if all can.
    pub fn pack(&self, keys: &[Vector], n: usize, out: &mut Vec<i64>, valid: &mut Vec<bool>) {
        out.clear();
        valid.clear();
        if self.nothing {
            out.resize(n, 0);
            valid.resize(n, false);
            return;
        }
        if self.ranges.is_empty() {
            match &keys[0].data {
                VectorData::I32(d) => out.extend(d[..n].iter().map(|&x| x as i64)),
                VectorData::I64(d) => out.extend_from_slice(&d[..n]),
                _ => unreachable!("IntPacker::for_build checked the key types"),
            }
            if keys[0].validity.is_some() {
                valid.extend((0..n).map(|i| keys[0].is_valid(i)));
            }
            return;
        }
        out.resize(n, 0);
        valid.resize(n, true);
        for (k, &(min, span)) in keys.iter().zip(&self.ranges) {
            match &k.data {
                VectorData::I32(d) => {
                    mix_key(d[..n].iter().map(|&x| x as i64), min, span, out, valid)
                }
                VectorData::I64(d) => mix_key(d[..n].iter().copied(), min, span, out, valid),
                _ => unreachable!("IntPacker::for_build checked the key types"),
            }
            if k.validity.is_some() {
                for (i, v) in valid.iter_mut().enumerate() {
                    *v &= k.is_valid(i);
                }
            }
        }
    }
}

#[inline]
fn int_slot(k: i64, shift: u32) -> usize {
    ((k as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> shift) as usize
}

#[inline]
fn prefetch<T>(p: *const T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: prefetching is a hint and never faults, whatever the address.
    unsafe {
        std::arch::x86_64::_mm_prefetch(p as *const i8, std::arch::x86_64::_MM_HINT_T0);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = p;
}

/// Hash table from packed integer keys (see [`IntPacker`]) to rows, for hash joins: the rows
/// of each distinct key form a chain (in ascending row order). Rows with a NULL key are left
/// out.
///
/// When the keys span a small range (at most `DIRECT_MIN_SPAN` values, or `DIRECT_PER_ROW`
/// per row: a key column's values are usually dense), the chain heads are an array indexed
/// by `key - min` instead of open-addressing slots: one load per probe and no branchy
/// collision chains, which matters most for selective joins where most probes miss (TPC-H
/// Q17's `lineitem` against a few hundred parts). Otherwise a presence bitmap (exact over a
/// moderate span, else hashed while it stays small) answers most misses from cache before
/// the slots are touched (Q5's `lineitem` against a year of `orders`: 6M probes, 15% hits).
pub struct IntMultiMap {
    heads: Heads,
    next: Vec<u32>,
}

enum Heads {
    /// Open addressing: (key, first row) per slot; `EMPTY` row for an empty slot.
    Hashed {
        slots: Vec<(i64, u32)>,
        shift: u32,
        mask: usize,
        present: Presence,
    },
    /// `first[k - min]` is the first row with key `k` (`EMPTY` if none).
    Direct { min: i64, first: Vec<u32> },
}

/// How many keys ahead a probe loop prefetches (the presence bitmap twice as far ahead).
const PROBE_AHEAD: usize = 8;

/// Key spans up to this many values always use direct addressing (1 MiB of heads).
const DIRECT_MIN_SPAN: u64 = 1 << 18;
/// Larger spans use direct addressing up to this many slots per build row.
const DIRECT_PER_ROW: u64 = 8;
/// Keys spanning at most this many values get an exact presence bitmap (4 MiB).
const BITMAP_MAX_SPAN: u64 = 1 << 25;
/// Bits per key of an approximate (hashed) presence bitmap: about 1/8 false positives.
const HASHED_BITS_PER_KEY: usize = 8;
/// The largest approximate bitmap (256 KiB): a bigger one would miss the cache itself, and
/// its tables mostly serve joins where probes hit.
const HASHED_MAX_BITS: usize = 1 << 21;

/// Which keys a hashed [`IntMultiMap`] holds, as a bitmap much smaller than its slots, so
/// that a probe for a missing key usually reads one cached word and stops.
enum Presence {
    /// Bit `k - min` for each key `k` (keys spanning at most [`BITMAP_MAX_SPAN`] values).
    Exact { min: i64, bits: Vec<u64> },
    /// Bit `presence_slot(k)` for each key: a clear bit means absent, a set one maybe present.
    Hashed { shift: u32, bits: Vec<u64> },
    /// No bitmap: every key may be present.
    Unknown,
}

/// A hash of `k` independent of [`int_slot`]'s, for [`Presence::Hashed`].
#[inline]
fn presence_slot(k: i64, shift: u32) -> usize {
    ((k as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F) >> shift) as usize
}

impl Presence {
    /// Over the valid rows' keys, which span `span` values from `min` (0 for no valid row):
    /// exact when that span is at most [`BITMAP_MAX_SPAN`].
    fn build(keys: &[i64], valid: impl Fn(usize) -> bool, min: i64, span: u64) -> Presence {
        let rows = (0..keys.len()).filter(|&r| valid(r));
        if span <= BITMAP_MAX_SPAN {
            let mut bits = vec![0u64; span.div_ceil(64) as usize];
            for r in rows {
                let i = keys[r].wrapping_sub(min) as usize;
                bits[i / 64] |= 1 << (i % 64);
            }
            return Presence::Exact { min, bits };
        }
        let nbits = (keys.len() * HASHED_BITS_PER_KEY)
            .next_power_of_two()
            .max(64);
        if nbits > HASHED_MAX_BITS {
            return Presence::Unknown;
        }
        let shift = 64 - nbits.trailing_zeros();
        let mut bits = vec![0u64; nbits / 64];
        for r in rows {
            let i = presence_slot(keys[r], shift);
            bits[i / 64] |= 1 << (i % 64);
        }
        Presence::Hashed { shift, bits }
    }

    /// The bitmap word and bit for key `k`, or `None` if `k` is certainly absent.
    #[inline]
    fn locate(&self, k: i64) -> Option<(usize, u32)> {
        match self {
            Presence::Exact { min, bits } => {
                let i = k.wrapping_sub(*min) as u64;
                (i < bits.len() as u64 * 64).then_some(((i / 64) as usize, (i % 64) as u32))
            }
            Presence::Hashed { shift, .. } => {
                let i = presence_slot(k, *shift);
                Some((i / 64, (i % 64) as u32))
            }
            Presence::Unknown => None,
        }
    }

    fn bits(&self) -> &[u64] {
        match self {
            Presence::Exact { bits, .. } | Presence::Hashed { bits, .. } => bits,
            Presence::Unknown => &[],
        }
    }

    /// False if key `k` is certainly not in the table.
    #[inline]
    fn may_contain(&self, k: i64) -> bool {
        match self {
            Presence::Exact { min, bits } => {
                let i = k.wrapping_sub(*min) as u64;
                bits.get((i / 64) as usize)
                    .is_some_and(|w| w & (1 << (i % 64)) != 0)
            }
            Presence::Hashed { shift, bits } => {
                let i = presence_slot(k, *shift);
                bits[i / 64] & (1 << (i % 64)) != 0
            }
            Presence::Unknown => true,
        }
    }

    /// Prefetches the bitmap word of key `k`.
    #[inline]
    fn prefetch(&self, k: i64) {
        if let Some((w, _)) = self.locate(k) {
            prefetch(self.bits().as_ptr().wrapping_add(w));
        }
    }

    fn heap_bytes(&self) -> usize {
        self.bits().len() * 8
    }
}

impl IntMultiMap {
    /// Indexes rows `0..keys.len()`; `valid` is empty (all valid) or one flag per row.
    pub fn build(keys: &[i64], valid: &[bool]) -> IntMultiMap {
        let n = keys.len();
        let is_valid = |row: usize| valid.is_empty() || valid[row];
        let bounds = (0..n).filter(|&r| is_valid(r)).map(|r| keys[r]).fold(
            None,
            |b: Option<(i64, i64)>, k| match b {
                None => Some((k, k)),
                Some((lo, hi)) => Some((lo.min(k), hi.max(k))),
            },
        );
        let span = bounds.map(|(lo, hi)| ((hi as i128 - lo as i128) as u64).saturating_add(1));
        let mut next = vec![EMPTY; n];
        let heads = match (bounds, span) {
            (Some((min, _)), Some(span))
                if span <= DIRECT_MIN_SPAN.max(DIRECT_PER_ROW * n as u64) =>
            {
                let mut first = vec![EMPTY; span as usize];
                // Backwards, so that each chain lists its rows in ascending order.
                for row in (0..n).rev().filter(|&r| is_valid(r)) {
                    let slot = &mut first[(keys[row] - min) as usize];
                    next[row] = *slot;
                    *slot = row as u32;
                }
                Heads::Direct { min, first }
            }
            _ => {
                let cap = (n.max(8) * 2).next_power_of_two();
                let shift = 64 - cap.trailing_zeros();
                let mask = cap - 1;
                let mut slots = vec![(0, EMPTY); cap];
                for row in (0..n).rev().filter(|&r| is_valid(r)) {
                    let k = keys[row];
                    let mut pos = int_slot(k, shift);
                    loop {
                        let (sk, head) = slots[pos];
                        if head == EMPTY {
                            slots[pos] = (k, row as u32);
                            break;
                        }
                        if sk == k {
                            next[row] = head;
                            slots[pos].1 = row as u32;
                            break;
                        }
                        pos = (pos + 1) & mask;
                    }
                }
                let (min, span) = match (bounds, span) {
                    (Some((min, _)), Some(span)) => (min, span),
                    _ => (0, 0),
                };
                let present = Presence::build(keys, is_valid, min, span);
                Heads::Hashed {
                    slots,
                    shift,
                    mask,
                    present,
                }
            }
        };
        IntMultiMap { heads, next }
    }

    /// Calls `f(i, row)` for every build row whose key equals `keys[i]`, for `i` in
    /// `start..end` where `valid` allows it (`valid` empty: every `i`); a key's rows in
    /// ascending order. The batch loop behind a probe: one tight loop per table layout,
    /// prefetching a few keys ahead.
    #[inline]
    pub fn for_each_match(
        &self,
        keys: &[i64],
        valid: &[bool],
        start: usize,
        end: usize,
        mut f: impl FnMut(usize, u32),
    ) {
        let ok = |i: usize| valid.is_empty() || valid[i];
        let mut chain = |i: usize, mut j: u32| {
            while j != EMPTY {
                f(i, j);
                j = self.next[j as usize];
            }
        };
        match &self.heads {
            Heads::Direct { min, first } => {
                let head = |k: i64| {
                    let off = k.wrapping_sub(*min) as u64;
                    (off < first.len() as u64).then_some(off as usize)
                };
                for i in start..end {
                    if let Some(&k) = keys.get(i + PROBE_AHEAD) {
                        if let Some(h) = head(k) {
                            prefetch(first.as_ptr().wrapping_add(h));
                        }
                    }
                    if let (true, Some(h)) = (ok(i), head(keys[i])) {
                        chain(i, first[h]);
                    }
                }
            }
            Heads::Hashed { present, .. } => match present {
                // One loop per filter kind, each with its check inlined.
                Presence::Unknown => self.probe_hashed(keys, start, end, ok, |_| true, chain),
                _ => self.probe_hashed(keys, start, end, ok, |k| present.may_contain(k), chain),
            },
        }
    }

    /// [`IntMultiMap::for_each_match`] over a hashed table: keys for which `may` is false
    /// are skipped without touching the slots.
    #[inline]
    fn probe_hashed(
        &self,
        keys: &[i64],
        start: usize,
        end: usize,
        ok: impl Fn(usize) -> bool,
        may: impl Fn(i64) -> bool,
        mut chain: impl FnMut(usize, u32),
    ) {
        let Heads::Hashed {
            slots,
            shift,
            mask,
            present,
        } = &self.heads
        else {
            return;
        };
        let lookup = |k: i64| {
            let mut pos = int_slot(k, *shift);
            loop {
                let (sk, head) = slots[pos];
                if head == EMPTY || sk == k {
                    return head;
                }
                pos = (pos + 1) & mask;
            }
        };
        for i in start..end {
            if let Some(&k) = keys.get(i + 2 * PROBE_AHEAD) {
                present.prefetch(k);
            }
            if let Some(&k) = keys.get(i + PROBE_AHEAD) {
                if may(k) {
                    prefetch(slots.as_ptr().wrapping_add(int_slot(k, *shift)));
                }
            }
            let k = keys[i];
            if ok(i) && may(k) {
                chain(i, lookup(k));
            }
        }
    }

    /// The first row with key `k`, or `u32::MAX`.
    #[inline]
    pub fn first(&self, k: i64) -> u32 {
        match &self.heads {
            Heads::Direct { min, first } => {
                let i = k.wrapping_sub(*min) as u64;
                if i < first.len() as u64 {
                    first[i as usize]
                } else {
                    EMPTY
                }
            }
            Heads::Hashed {
                slots,
                shift,
                mask,
                present,
            } => {
                if !present.may_contain(k) {
                    return EMPTY;
                }
                let mut pos = int_slot(k, *shift);
                loop {
                    let (sk, head) = slots[pos];
                    if head == EMPTY || sk == k {
                        return head;
                    }
                    pos = (pos + 1) & mask;
                }
            }
        }
    }

    /// The row after `row` with the same key, or `u32::MAX`.
    #[inline]
    pub fn next(&self, row: u32) -> u32 {
        self.next[row as usize]
    }

    /// Bytes of heap memory held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        let heads = match &self.heads {
            Heads::Hashed { slots, present, .. } => {
                slots.capacity() * std::mem::size_of::<(i64, u32)>() + present.heap_bytes()
            }
            Heads::Direct { first, .. } => first.capacity() * 4,
        };
        heads + self.next.capacity() * 4
    }
}

/// Grouping index for integer keys (types passing [`int_packable`]): maps packed key values
/// of rows without NULLs to dense group ids without going through [`KeyStore`] comparisons.
/// Rows with a NULL in some key are left to the caller (they never equal a row without).
#[derive(Default)]
pub struct IntKeyIndex {
    slots: Vec<(i64, u32)>,
    shift: u32,
    mask: usize,
    len: usize,
    keys: Vec<i64>,
    valid: Vec<bool>,
}

impl IntKeyIndex {
    pub fn new() -> IntKeyIndex {
        let mut index = IntKeyIndex::default();
        index.grow(512);
        index
    }

    /// True if these key vectors can use this index.
    pub fn supports(keys: &[Vector]) -> bool {
        int_packable(&keys.iter().map(|k| k.ty).collect::<Vec<_>>())
    }

    /// Bytes of heap memory held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(i64, u32)>()
            + self.keys.capacity() * 8
            + self.valid.capacity()
    }

    /// Appends to `gids` the group of each row `0..n` of `keys`. Calls `resolve(i, false)`
    /// for a row whose key is seen for the first time (it returns the new group's id) and
    /// `resolve(i, true)` for a row with a NULL key (it returns the row's group).
    pub fn lookup(
        &mut self,
        keys: &[Vector],
        n: usize,
        gids: &mut Vec<u32>,
        mut resolve: impl FnMut(usize, bool) -> u32,
    ) {
        let (mut packed, mut valid) = (
            std::mem::take(&mut self.keys),
            std::mem::take(&mut self.valid),
        );
        let ok = pack_int_keys(keys, n, &mut packed, &mut valid);
        assert!(ok, "IntKeyIndex::supports checked the key types");
        if (self.len + n) * 2 > self.slots.len() {
            self.grow(self.len + n);
        }
        const AHEAD: usize = 16;
        let mut last: Option<(i64, u32)> = None;
        for i in 0..n {
            if i + AHEAD < n {
                prefetch(
                    self.slots
                        .as_ptr()
                        .wrapping_add(int_slot(packed[i + AHEAD], self.shift)),
                );
            }
            if !valid.is_empty() && !valid[i] {
                gids.push(resolve(i, true));
                continue;
            }
            let k = packed[i];
            // Sorted or clustered keys: the same key as the previous row.
            if let Some((lk, lg)) = last {
                if lk == k {
                    gids.push(lg);
                    continue;
                }
            }
            let mut pos = int_slot(k, self.shift);
            let g = loop {
                let (sk, g) = self.slots[pos];
                if g == EMPTY {
                    let g = resolve(i, false);
                    self.slots[pos] = (k, g);
                    self.len += 1;
                    break g;
                }
                if sk == k {
                    break g;
                }
                pos = (pos + 1) & self.mask;
            };
            last = Some((k, g));
            gids.push(g);
        }
        self.keys = packed;
        self.valid = valid;
    }

    fn grow(&mut self, need: usize) {
        let cap = (need * 2).next_power_of_two();
        let old = std::mem::replace(&mut self.slots, vec![(0, EMPTY); cap]);
        self.shift = 64 - cap.trailing_zeros();
        self.mask = cap - 1;
        for (k, g) in old.into_iter().filter(|s| s.1 != EMPTY) {
            let mut pos = int_slot(k, self.shift);
            while self.slots[pos].1 != EMPTY {
                pos = (pos + 1) & self.mask;
            }
            self.slots[pos] = (k, g);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_ir::Value;

    #[test]
    fn equal_strings_hash_equal_across_encodings() {
        let plain = Vector::from_values(
            DataType::Varchar,
            &["x", "yy"].map(|s| Value::Varchar(s.into())),
        )
        .unwrap();
        let dict = Vector {
            ty: DataType::Varchar,
            data: VectorData::Dict {
                codes: vec![1u32, 0].into(),
                dict: Arc::new(StrData::from_strs(["x", "yy"])),
            },
            validity: None,
        };
        let (mut a, mut b) = (hash_seed(2), hash_seed(2));
        hash_vector(&plain, None, &mut a);
        hash_vector(&dict, None, &mut b);
        assert_eq!(a[0], b[1]);
        assert!(values_equal(&plain, 0, &dict, 1));
        assert!(!values_equal(&plain, 0, &dict, 0));
    }

    #[test]
    fn index_finds_and_inserts() {
        let mut idx = HashIndex::with_capacity(1);
        let keys: Vec<u64> = (0..1000).map(|k| k % 100).collect();
        let mut ids = Vec::new();
        for &k in &keys {
            let next = ids.len() as u32;
            let (id, new) =
                idx.find_or_insert(k.wrapping_mul(7), |id| ids[id as usize] == k, || next);
            if new {
                ids.push(k);
            }
            assert_eq!(ids[id as usize], k);
        }
        assert_eq!(ids.len(), 100);
    }

    #[test]
    fn int_key_index_groups_with_nulls() {
        let v = Vector::from_values(
            DataType::Int64,
            &[5, -1, 5, 0, -1, 7].map(|x| if x == 0 { Value::Null } else { Value::Int64(x) }),
        )
        .unwrap();
        let mut idx = IntKeyIndex::new();
        let mut gids = Vec::new();
        let (mut next, mut nulls) = (0u32, 0);
        idx.lookup(std::slice::from_ref(&v), 6, &mut gids, |i, null| {
            if null {
                assert_eq!(i, 3);
                nulls += 1;
                return 99;
            }
            next += 1;
            next - 1
        });
        assert_eq!(gids, vec![0, 1, 0, 99, 1, 2]);
        assert_eq!(nulls, 1);
        // Two I32 keys, many groups across growth, looked up twice.
        let a = Vector {
            ty: DataType::Int32,
            data: VectorData::I32(
                (0..5000)
                    .map(|x| (x * 7919) % 3001)
                    .collect::<Vec<i32>>()
                    .into(),
            ),
            validity: None,
        };
        let b = Vector {
            ty: DataType::Int32,
            data: VectorData::I32((0..5000).map(|x| x % 2).collect::<Vec<i32>>().into()),
            validity: None,
        };
        let keys = [a, b];
        let mut idx = IntKeyIndex::new();
        let (mut g1, mut g2) = (Vec::new(), Vec::new());
        let mut next = 0u32;
        idx.lookup(&keys, 5000, &mut g1, |_, _| {
            next += 1;
            next - 1
        });
        idx.lookup(&keys, 5000, &mut g2, |_, _| panic!("all keys known"));
        assert_eq!(g1, g2);
        let mut distinct = std::collections::HashMap::new();
        for (i, &g) in g1.iter().enumerate().take(5000) {
            let k = ((i * 7919) % 3001, i % 2);
            assert_eq!(*distinct.entry(k).or_insert(g), g);
        }
        assert_eq!(next as usize, distinct.len());
    }

    #[test]
    fn int_multimap_chains_rows_in_order() {
        let keys = vec![3i64, 1, 3, 3, 2, 1];
        let valid = vec![true, true, true, false, true, true];
        let m = IntMultiMap::build(&keys, &valid);
        let chain = |k: i64| {
            let mut out = Vec::new();
            let mut r = m.first(k);
            while r != u32::MAX {
                out.push(r);
                r = m.next(r);
            }
            out
        };
        assert_eq!(chain(3), vec![0, 2]);
        assert_eq!(chain(1), vec![1, 5]);
        assert_eq!(chain(2), vec![4]);
        assert!(chain(9).is_empty());
    }

    /// Dense keys (direct addressing) and keys spread over a huge range (hashed) give the
    /// same chains; probes outside the range, at its ends and at i64 extremes miss cleanly.
    #[test]
    fn int_multimap_direct_and_hashed_agree() {
        let dense: Vec<i64> = (0..3000).map(|i| (i * 7919) % 1000 - 500).collect();
        let sparse: Vec<i64> = dense.iter().map(|k| k * 1_000_000_007).collect();
        let medium: Vec<i64> = dense.iter().map(|k| k * 1009).collect();
        let valid: Vec<bool> = (0..3000).map(|i| i % 13 != 0).collect();
        for (keys, scale) in [(&dense, 1i64), (&sparse, 1_000_000_007), (&medium, 1009)] {
            let m = IntMultiMap::build(keys, &valid);
            let layout = match &m.heads {
                Heads::Direct { .. } => "direct",
                Heads::Hashed {
                    present: Presence::Hashed { .. },
                    ..
                } => "hashed",
                Heads::Hashed {
                    present: Presence::Exact { .. },
                    ..
                } => "hashed with bitmap",
                Heads::Hashed {
                    present: Presence::Unknown,
                    ..
                } => "hashed without filter",
            };
            let want = match scale {
                1 => "direct",
                1009 => "hashed with bitmap",
                _ => "hashed",
            };
            assert_eq!(layout, want, "layout for scale {scale}");
            let probes = (-600..600).flat_map(|k| [k * scale, k * scale + 1]);
            for probe in probes.chain([i64::MIN, i64::MAX, 0]) {
                let mut got = Vec::new();
                let mut r = m.first(probe);
                while r != u32::MAX {
                    got.push(r);
                    r = m.next(r);
                }
                let want: Vec<u32> = (0..3000u32)
                    .filter(|&i| valid[i as usize] && keys[i as usize] == probe)
                    .collect();
                assert_eq!(got, want, "probe {probe}");
                let mut batch = Vec::new();
                m.for_each_match(&[0, probe, 0], &[false, true, false], 0, 3, |i, j| {
                    assert_eq!(i, 1);
                    batch.push(j);
                });
                assert_eq!(batch, want, "batch probe {probe}");
            }
        }
        // Too many sparse keys for a cached bitmap: no filter, every key still found.
        let many: Vec<i64> = (0..300_000i64).map(|i| i * 1_000_003).collect();
        let m = IntMultiMap::build(&many, &[]);
        assert!(matches!(
            m.heads,
            Heads::Hashed {
                present: Presence::Unknown,
                ..
            }
        ));
        for i in (0..300_000u32).step_by(997) {
            assert_eq!(m.first(many[i as usize]), i);
            assert_eq!(m.first(many[i as usize] + 1), u32::MAX);
        }
        let extremes = IntMultiMap::build(&[i64::MIN, i64::MAX], &[]);
        assert_eq!((extremes.first(i64::MIN), extremes.first(i64::MAX)), (0, 1));
        let empty = IntMultiMap::build(&[], &[]);
        assert_eq!(empty.first(0), u32::MAX);
        let none_valid = IntMultiMap::build(&[1, 2], &[false, false]);
        assert_eq!(none_valid.first(1), u32::MAX);
    }

    /// Mixed-radix packing: equal key tuples pack equal, different ones differently; probe
    /// values outside the build's ranges and NULLs are invalid; wide ranges do not pack.
    #[test]
    fn int_packer_packs_key_tuples_over_build_ranges() {
        let i64s = |v: &[Option<i64>]| {
            let vals: Vec<Value> = v
                .iter()
                .map(|x| x.map_or(Value::Null, Value::Int64))
                .collect();
            Vector::from_values(DataType::Int64, &vals).unwrap()
        };
        let i32s = |v: &[Option<i32>]| {
            let vals: Vec<Value> = v
                .iter()
                .map(|x| x.map_or(Value::Null, Value::Int32))
                .collect();
            Vector::from_values(DataType::Int32, &vals).unwrap()
        };
        let build = [
            i64s(&[Some(10), Some(12), None, Some(11)]),
            i32s(&[Some(-3), Some(5), Some(0), Some(5)]),
        ];
        let p = IntPacker::for_build(&build, 4).unwrap();
        let (mut b, mut bv) = (Vec::new(), Vec::new());
        p.pack(&build, 4, &mut b, &mut bv);
        assert_eq!(bv, vec![true, true, false, true]);
        let probe = [
            i64s(&[
                Some(12),
                Some(10),
                Some(13),
                Some(9),
                None,
                Some(11),
                Some(11),
            ]),
            i32s(&[
                Some(5),
                Some(-3),
                Some(5),
                Some(5),
                Some(5),
                Some(6),
                Some(5),
            ]),
        ];
        let (mut q, mut qv) = (Vec::new(), Vec::new());
        p.pack(&probe, 7, &mut q, &mut qv);
        assert_eq!(qv, vec![true, true, false, false, false, false, true]);
        assert_eq!((q[0], q[1], q[6]), (b[1], b[0], b[3]));
        assert_ne!(b[0], b[1]);
        assert_ne!(b[1], b[3]);
        // One key packs by value, any range.
        let wide = [i64s(&[Some(i64::MIN), Some(i64::MAX)])];
        let p = IntPacker::for_build(&wide, 2).unwrap();
        p.pack(&wide, 2, &mut b, &mut bv);
        assert_eq!((b.clone(), bv.is_empty()), (vec![i64::MIN, i64::MAX], true));
        // Two keys whose ranges multiply past i64 do not pack; nor do strings.
        let wide2 = [wide[0].clone(), wide[0].clone()];
        assert!(IntPacker::for_build(&wide2, 2).is_none());
        let text = Vector::from_values(DataType::Varchar, &[Value::Varchar("a".into())]).unwrap();
        assert!(IntPacker::for_build(&[text], 1).is_none());
        // An all-NULL build matches nothing.
        let nulls = [i64s(&[None, None]), i32s(&[Some(1), Some(2)])];
        let p = IntPacker::for_build(&nulls, 2).unwrap();
        p.pack(&probe, 7, &mut q, &mut qv);
        assert_eq!(qv, vec![false; 7]);
    }

    #[test]
    fn packs_two_int32_keys() {
        let a = Vector::from_values(DataType::Int32, &[Value::Int32(1), Value::Int32(-1)]).unwrap();
        let b = Vector::from_values(DataType::Int32, &[Value::Int32(-1), Value::Null]).unwrap();
        let (mut out, mut valid) = (Vec::new(), Vec::new());
        assert!(pack_int_keys(&[a.clone(), b], 2, &mut out, &mut valid));
        assert_eq!(out[0], (1i64 << 32) | 0xFFFF_FFFF);
        assert_eq!(valid, vec![true, false]);
        assert!(int_packable(&[DataType::Int32, DataType::Int32]));
        assert!(!int_packable(&[DataType::Int64, DataType::Int32]));
        assert!(pack_int_keys(&[a], 2, &mut out, &mut valid));
        assert_eq!(out, vec![1, -1]);
        assert!(valid.is_empty());
    }
}
