//! Per-statement memory accounting: what enforces the `memory_limit` setting.
//!
//! Every statement runs with one [`MemoryBudget`] ([`ExecContext::memory`], shared by its
//! subqueries): an atomic count of the bytes its operators hold and an optional limit.
//! An operator that materializes data (hash-join build side, aggregation state, sort and
//! window input, set-operation state, collected results) takes a [`Reservation`] from the
//! budget, grows it per batch appended or per table growth (never per row) and lets it go
//! when it drops, so a failed or finished statement leaves nothing counted. A growth that
//! would take the statement past its limit fails with [`Error::ResourceLimit`] naming the
//! operator; the statement stops there and, like a cancelled one, writes nothing.
//!
//! Sizes are estimates from vector lengths and table capacities ([`vector_bytes`]):
//! what a vector views is counted by the rows it covers, whether the bytes are owned or a
//! view of the mapped file. Not counted: batches in flight between streaming operators (a
//! few thousand rows each), dictionaries shared with the file, and compiled pipelines'
//! fixed aggregation state.
//!
//! [`ExecContext::memory`]: super::operator::ExecContext::memory

use super::batch::Batch;
use crate::vector::{Vector, VectorData};
use crate::{Error, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// A statement's memory budget: cheap to clone (clones share the count and the limit).
#[derive(Debug, Clone)]
pub struct MemoryBudget(Arc<Budget>);

#[derive(Debug)]
struct Budget {
    /// Most bytes the statement may hold; `None`: no limit.
    limit: Option<u64>,
    used: AtomicU64,
    peak: AtomicU64,
}

impl Default for MemoryBudget {
    fn default() -> Self {
        MemoryBudget::unlimited()
    }
}

impl MemoryBudget {
    /// A budget that counts but never refuses.
    pub fn unlimited() -> MemoryBudget {
        MemoryBudget::new(None)
    }

    /// A budget of at most `limit` bytes (`None`: no limit).
    pub fn new(limit: Option<u64>) -> MemoryBudget {
        MemoryBudget(Arc::new(Budget {
            limit,
            used: AtomicU64::new(0),
            peak: AtomicU64::new(0),
        }))
    }

    pub fn limit(&self) -> Option<u64> {
        self.0.limit
    }

    /// Bytes held by the statement's reservations now.
    pub fn used(&self) -> u64 {
        self.0.used.load(Ordering::Relaxed)
    }

    /// The most bytes held at once so far.
    pub fn peak(&self) -> u64 {
        self.0.peak.load(Ordering::Relaxed)
    }

    /// An empty reservation for `operator` (named in the error when it cannot grow).
    pub fn reserve(&self, operator: &'static str) -> Reservation {
        Reservation {
            budget: self.clone(),
            operator,
            bytes: 0,
        }
    }

    /// Counts `bytes` more for `operator`, which holds `held` already.
    fn take(&self, bytes: u64, operator: &'static str, held: u64) -> Result<()> {
        let budget = &self.0;
        let now = budget.used.fetch_add(bytes, Ordering::Relaxed) + bytes;
        if let Some(limit) = budget.limit {
            if now > limit {
                budget.used.fetch_sub(bytes, Ordering::Relaxed);
                return Err(Error::ResourceLimit(format!(
                    "query needs more than memory_limit ({}) ({operator}: {} held, {} more \
                     needed; {} for the whole query); raise it with SET memory_limit",
                    format_bytes(limit),
                    format_bytes(held),
                    format_bytes(bytes),
                    format_bytes(now),
                )));
            }
        }
        budget.peak.fetch_max(now, Ordering::Relaxed);
        Ok(())
    }

    fn give_back(&self, bytes: u64) {
        self.0.used.fetch_sub(bytes, Ordering::Relaxed);
    }
}

/// Bytes one operator holds, counted in its statement's [`MemoryBudget`]; released when
/// dropped.
#[derive(Debug)]
pub struct Reservation {
    budget: MemoryBudget,
    operator: &'static str,
    bytes: u64,
}

impl Reservation {
    /// Bytes held.
    pub fn size(&self) -> u64 {
        self.bytes
    }

    /// Holds `bytes` more.
    ///
    /// # Errors
    /// [`Error::ResourceLimit`] if the statement would exceed its limit; then nothing changes.
    pub fn grow(&mut self, bytes: usize) -> Result<()> {
        let bytes = bytes as u64;
        if bytes > 0 {
            self.budget.take(bytes, self.operator, self.bytes)?;
            self.bytes += bytes;
        }
        Ok(())
    }

    /// Holds `bytes` less (at most what is held).
    pub fn shrink(&mut self, bytes: usize) {
        let bytes = (bytes as u64).min(self.bytes);
        self.budget.give_back(bytes);
        self.bytes -= bytes;
    }

    /// Holds exactly `total` bytes.
    ///
    /// # Errors
    /// As [`Reservation::grow`].
    pub fn resize(&mut self, total: usize) -> Result<()> {
        let total = total as u64;
        if total > self.bytes {
            self.grow((total - self.bytes) as usize)
        } else {
            self.shrink((self.bytes - total) as usize);
            Ok(())
        }
    }

    /// Leaves the bytes counted until the statement ends: for data that outlives the
    /// operator that made it (an IN list built from a subquery's rows).
    pub fn keep_for_statement(mut self) {
        self.bytes = 0;
    }

    /// Holds nothing.
    pub fn free(&mut self) {
        self.shrink(self.bytes as usize);
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.free();
    }
}

/// The next batch of a breaker's output, whose bytes leave `memory` with it: the consumer
/// counts what it keeps. The last batch frees what is left.
pub fn emit(output: &mut std::vec::IntoIter<Batch>, memory: &mut Reservation) -> Option<Batch> {
    let batch = output.next()?;
    memory.shrink(vectors_bytes(&batch.columns));
    if output.len() == 0 {
        memory.free();
    }
    Some(batch)
}

/// The bytes `v` covers: its values (for strings the offsets and the bytes its rows span),
/// dictionary codes (not the dictionary, shared with the file) and validity bits.
pub fn vector_bytes(v: &Vector) -> usize {
    let data = match &v.data {
        VectorData::Bool(b) => b.len(),
        VectorData::I32(b) => b.len() * 4,
        VectorData::I64(b) => b.len() * 8,
        VectorData::I128(b) => b.len() * 16,
        VectorData::F64(b) => b.len() * 8,
        VectorData::Str(s) => {
            let span = match (s.offsets.first(), s.offsets.last()) {
                (Some(&a), Some(&b)) => b.saturating_sub(a) as usize,
                _ => 0,
            };
            s.offsets.len() * 4 + span
        }
        VectorData::Dict { codes, .. } => codes.len() * 4,
    };
    data + v.validity.as_ref().map_or(0, |b| b.len().div_ceil(8))
}

/// The bytes of `part` rows out of `whole` rows that take `bytes` in all (an output gathered
/// from an input, before it is made).
pub fn share(bytes: usize, part: usize, whole: usize) -> usize {
    (bytes as u128 * part as u128 / whole.max(1) as u128) as usize
}

/// [`vector_bytes`] summed.
pub fn vectors_bytes(vs: &[Vector]) -> usize {
    vs.iter().map(vector_bytes).sum()
}

/// [`vector_bytes`] of `v` unless its values are those of one of `others` (a key that is a
/// plain column shares the column's buffer: counted once).
pub fn unshared_bytes(v: &Vector, others: &[Vector]) -> usize {
    if others.iter().any(|o| same_values(v, o)) {
        0
    } else {
        vector_bytes(v)
    }
}

fn same_values(a: &Vector, b: &Vector) -> bool {
    fn same<T: crate::buffer::Pod>(x: &[T], y: &[T]) -> bool {
        x.as_ptr() == y.as_ptr() && x.len() == y.len()
    }
    match (&a.data, &b.data) {
        (VectorData::Bool(x), VectorData::Bool(y)) => same(x, y),
        (VectorData::I32(x), VectorData::I32(y)) => same(x, y),
        (VectorData::I64(x), VectorData::I64(y)) => same(x, y),
        (VectorData::I128(x), VectorData::I128(y)) => same(x, y),
        (VectorData::F64(x), VectorData::F64(y)) => same(x, y),
        (VectorData::Str(x), VectorData::Str(y)) => same(&x.offsets, &y.offsets),
        (VectorData::Dict { codes: x, .. }, VectorData::Dict { codes: y, .. }) => same(x, y),
        _ => false,
    }
}

/// A byte count for messages: `512 bytes`, `1.0 KiB`, `4.0 GiB`.
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: &[&str] = &["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_ir::{DataType, Value};

    #[test]
    fn reservations_count_and_release() {
        let budget = MemoryBudget::new(Some(1000));
        let mut a = budget.reserve("sort");
        a.grow(600).unwrap();
        let mut b = budget.reserve("hash join build");
        let err = b.grow(500).unwrap_err();
        assert!(matches!(err, Error::ResourceLimit(_)));
        let message = err.to_string();
        assert!(
            message.starts_with("query needs more than memory_limit (1000 bytes)")
                && message.contains("hash join build")
                && message.ends_with("raise it with SET memory_limit"),
            "{message}"
        );
        // A refused growth changes nothing.
        assert_eq!((budget.used(), b.size()), (600, 0));
        b.grow(400).unwrap();
        assert_eq!(budget.used(), 1000);
        a.resize(100).unwrap();
        assert_eq!(budget.used(), 500);
        drop(a);
        assert_eq!(budget.used(), 400);
        b.shrink(1 << 20);
        assert_eq!((budget.used(), b.size(), budget.peak()), (0, 0, 1000));
        let mut kept = budget.reserve("IN (subquery) list");
        kept.grow(10).unwrap();
        kept.keep_for_statement();
        assert_eq!(budget.used(), 10);
    }

    #[test]
    fn unlimited_budgets_only_count() {
        let budget = MemoryBudget::unlimited();
        let mut r = budget.reserve("sort");
        r.grow(usize::MAX / 2).unwrap();
        assert_eq!(budget.used(), (usize::MAX / 2) as u64);
        drop(r);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn vector_sizes() {
        let ints = Vector::from_values(DataType::Int64, &[Value::Int64(1), Value::Null]).unwrap();
        assert_eq!(vector_bytes(&ints), 16 + 1);
        let strs = Vector::from_values(
            DataType::Varchar,
            &["ab", "cde", "f"].map(|s| Value::Varchar(s.into())),
        )
        .unwrap();
        assert_eq!(vector_bytes(&strs), 4 * 4 + 6);
        // A slice covers its own rows only.
        assert_eq!(vector_bytes(&strs.slice(1, 1)), 2 * 4 + 3);
        assert_eq!(
            unshared_bytes(&ints.clone(), &[strs.clone(), ints.clone()]),
            0
        );
        assert_eq!(unshared_bytes(&strs, &[ints]), vector_bytes(&strs));
    }

    #[test]
    fn byte_counts_for_people() {
        assert_eq!(format_bytes(100), "100 bytes");
        assert_eq!(format_bytes(1536), "1.5 KiB");
        assert_eq!(format_bytes(4 << 30), "4.0 GiB");
    }
}
