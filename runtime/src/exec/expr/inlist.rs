//! `x [NOT] IN (constant, ...)`: TRUE if x equals an item; otherwise NULL if x or any item
//! is NULL; otherwise FALSE (NOT IN negates TRUE/FALSE and keeps NULL).
//!
//! The items are put in a set once: a short list is scanned, a long one (an IN-subquery result
//! can have thousands of items) is hashed. On a dictionary column the set is probed once per
//! dictionary entry. Lists with non-constant items are compiled to `x = a OR x = b ...`
//! instead (see `compile`).

use super::compare::with_str_access;
use super::dict::{map_codes, DictMemo};
use super::node::{
    from_tri, nulls, select_tri, with_access, FromScalar, Node, Operand, Rows, Scalar,
};
use crate::exec::batch::Batch;
use crate::exec::kernels::Access;
use crate::vector::{Vector, VectorData};
use crate::Result;
use grizzly_ir::{DataType, PhysicalType};
use std::collections::HashSet;
use std::hash::{BuildHasher, Hash, Hasher};

/// Lists up to this long are scanned rather than hashed.
const SCAN_MAX: usize = 12;

pub(crate) struct InListNode {
    pub input: Node,
    set: ValueSet,
    /// An item is NULL: non-matches are NULL rather than FALSE.
    has_null: bool,
    negated: bool,
    memo: DictMemo,
}

impl InListNode {
    /// `input [NOT] IN (items)`; the items are constants of the input's type.
    pub fn new(input: Node, items: &[&super::node::Const], negated: bool) -> Result<InListNode> {
        let has_null = items.iter().any(|c| c.is_null());
        let scalars = items
            .iter()
            .map(|c| &c.scalar)
            .filter(|s| !matches!(s, Scalar::Null));
        let set = match input.ty().physical() {
            PhysicalType::Bool => ValueSet::Bool(Probe::new(scalars.map(u8::from_scalar))),
            PhysicalType::I32 => ValueSet::I32(Probe::new(scalars.map(i32::from_scalar))),
            PhysicalType::I64 => ValueSet::I64(Probe::new(scalars.map(i64::from_scalar))),
            PhysicalType::I128 => ValueSet::I128(Probe::new(scalars.map(i128::from_scalar))),
            PhysicalType::F64 => {
                ValueSet::F64(Probe::new(scalars.map(|s| f64_key(f64::from_scalar(s)))))
            }
            PhysicalType::Str => ValueSet::Str(Probe::new(scalars.map(|s| match s {
                Scalar::Str(b) => b.clone(),
                _ => Box::default(),
            }))),
        };
        Ok(InListNode {
            input,
            set,
            has_null,
            negated,
            memo: DictMemo::default(),
        })
    }
}

/// Doubles are compared by bits after making all zeros and all NaNs one value each
/// (NaN = NaN in SQL, as in PostgreSQL).
#[inline]
fn f64_key(x: f64) -> u64 {
    if x == 0.0 {
        0
    } else if x.is_nan() {
        f64::NAN.to_bits()
    } else {
        x.to_bits()
    }
}

enum ValueSet {
    Bool(Probe<u8>),
    I32(Probe<i32>),
    I64(Probe<i64>),
    I128(Probe<i128>),
    F64(Probe<u64>),
    Str(Probe<Box<[u8]>>),
}

/// A set of keys: scanned when short, hashed when long.
enum Probe<K> {
    Scan(Vec<K>),
    Hash(HashSet<K, FxBuild>),
}

impl<K: Hash + Eq> Probe<K> {
    fn new(keys: impl Iterator<Item = K>) -> Probe<K> {
        let mut keys: Vec<K> = keys.collect();
        if keys.len() <= SCAN_MAX {
            keys.dedup();
            Probe::Scan(keys)
        } else {
            Probe::Hash(keys.into_iter().collect())
        }
    }

    #[inline]
    fn contains<Q>(&self, k: &Q) -> bool
    where
        K: std::borrow::Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        match self {
            Probe::Scan(v) => v.iter().any(|x| x.borrow() == k),
            Probe::Hash(s) => s.contains(k),
        }
    }
}

/// A fast non-cryptographic hash (the Fx hash of rustc) for set probes.
#[derive(Clone, Copy, Default)]
pub(crate) struct FxBuild;

pub(crate) struct FxHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().unwrap_or_default()));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(i as u64)
    }
    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(i as u64)
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i)
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64)
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

impl BuildHasher for FxBuild {
    type Hasher = FxHasher;
    fn build_hasher(&self) -> FxHasher {
        FxHasher(0)
    }
}

/// Tri-state codes of `n` rows, or `None` if all are NULL.
fn run(node: &InListNode, batch: &Batch, rows: Rows<'_>) -> Result<Option<Vec<u8>>> {
    let n = rows.len();
    let a = node.input.operand(batch, rows)?;
    if a.is_null_const() {
        return Ok(None);
    }
    // Code of a row that matched and of one that did not.
    let hit = (!node.negated) as u8;
    let miss = if node.has_null { 2 } else { node.negated as u8 };
    let code = |found: bool| if found { hit } else { miss };
    fn probe<T: FromScalar>(a: &Operand<'_>, n: usize, f: impl Fn(T) -> u8) -> Result<Vec<u8>> {
        Ok(with_access!(a, T, |x| (0..n).map(|i| f(x.at(i))).collect()))
    }
    let mut codes = match &node.set {
        ValueSet::Bool(p) => probe(&a, n, |x: u8| code(p.contains(&x)))?,
        ValueSet::I32(p) => probe(&a, n, |x: i32| code(p.contains(&x)))?,
        ValueSet::I64(p) => probe(&a, n, |x: i64| code(p.contains(&x)))?,
        ValueSet::I128(p) => probe(&a, n, |x: i128| code(p.contains(&x)))?,
        ValueSet::F64(p) => probe(&a, n, |x: f64| code(p.contains(&f64_key(x))))?,
        ValueSet::Str(p) => strings(node, p, &a, n, &code)?,
    };
    if let Some(v) = a.validity(n) {
        for (i, c) in codes.iter_mut().enumerate() {
            if !v.is_valid(i) {
                *c = 2;
            }
        }
    }
    Ok(Some(codes))
}

fn strings(
    node: &InListNode,
    p: &Probe<Box<[u8]>>,
    a: &Operand<'_>,
    n: usize,
    code: &dyn Fn(bool) -> u8,
) -> Result<Vec<u8>> {
    if let Operand::Vec(v, sel) = a {
        if let VectorData::Dict { codes, dict } = &v.data {
            if let Some(table) = node.memo.table(dict, n, |e| code(p.contains(e))) {
                return Ok(map_codes(codes, *sel, &table, n));
            }
        }
    }
    Ok(with_str_access!(a, |x| (0..n)
        .map(|i| code(p.contains::<[u8]>(x.at(i))))
        .collect()))
}

pub(crate) fn eval(node: &InListNode, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    match run(node, batch, rows)? {
        None => nulls(DataType::Boolean, rows.len()),
        Some(codes) => Ok(from_tri(&codes)),
    }
}

pub(crate) fn select(
    node: &InListNode,
    batch: &Batch,
    rows: Rows<'_>,
    want: bool,
) -> Result<Vec<u32>> {
    Ok(match run(node, batch, rows)? {
        None => Vec::new(),
        Some(codes) => select_tri(&codes, rows, want),
    })
}
