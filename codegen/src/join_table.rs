//! The hash table of one probed join, built by the driver from the build side's rows (run
//! as a compiled pipeline of its own where it has a pipeline shape, else by the
//! interpreter) in the layout `runtime::abi::JoinCtx` describes.
//!
//! Invariants, established by [`JoinTable::link`] and never changed afterwards (the fields
//! are private), which the generated code relies on: `heads.len()` is a power of two of at
//! least 16 and `shift = 64 - log2(heads.len())`; every entry of `heads` and `next` is a row
//! below `keys.len()` or `JOIN_NONE`; chains end (each row is in at most one chain, linked
//! once); every used payload column has at least `keys.len()` values in the physical form
//! of its type and no NULLs.

use grizzly_ir::{ColumnId, Expr, Field, PhysicalType, Value};
use grizzly_runtime::abi::{join_hash, JOIN_NONE};
use grizzly_runtime::exec::memory::Reservation;
use grizzly_runtime::exec::{Batch, PhysExpr};
use grizzly_runtime::{Result, Vector, VectorData};

pub(crate) struct JoinTable {
    heads: Vec<u32>,
    next: Vec<u32>,
    keys: Vec<i64>,
    /// Per build column: its values where the code reads it.
    payload: Vec<Option<Vector>>,
    shift: u32,
    /// The most build rows that share one key (what one probe can match).
    max_matches: usize,
    _memory: Reservation,
}

impl JoinTable {
    /// Hashes `rows` build rows (`columns`, one per `fields`) on `key`; `used` says which
    /// columns the code reads. `None` where the compiled code cannot take the build side
    /// (too many rows, a key that is not an integer, NULLs or other forms in a used column,
    /// or a key the evaluator fails on); the interpreter then runs the whole node.
    ///
    /// # Errors
    /// `ResourceLimit` if the table does not fit the statement's memory limit.
    pub(crate) fn build(
        columns: Vec<Vector>,
        rows: usize,
        fields: &[Field],
        key: &Expr,
        used: &[bool],
        params: &[Value],
        mut memory: Reservation,
    ) -> Result<Option<JoinTable>> {
        if rows >= JOIN_NONE as usize || columns.len() != fields.len() {
            return Ok(None);
        }
        let ids: Vec<ColumnId> = fields.iter().map(|f| f.id).collect();
        let layout = |id: ColumnId| ids.iter().position(|i| *i == id);
        let Ok(key_expr) = PhysExpr::new(key, &layout, params) else {
            return Ok(None);
        };
        let batch = Batch::new(columns, rows);
        let Ok(key_values) = key_expr.eval(&batch) else {
            return Ok(None);
        };
        let mut keys: Vec<i64> = match &key_values.data {
            VectorData::I32(v) => v.iter().map(|&x| x as i64).collect(),
            VectorData::I64(v) => v.to_vec(),
            _ => return Ok(None),
        };
        if keys.len() < rows {
            return Ok(None);
        }
        let mut payload = Vec::with_capacity(fields.len());
        for (column, &read) in batch.columns.into_iter().zip(used) {
            if !read {
                payload.push(None);
                continue;
            }
            let fits = match &column.data {
                VectorData::I32(v) => v.len() >= rows,
                VectorData::I64(v) => v.len() >= rows,
                VectorData::Bool(v) => v.len() >= rows,
                _ => false,
            };
            if !fits || column.null_count() != 0 {
                return Ok(None);
            }
            payload.push(Some(column));
        }
        keys.truncate(rows);
        memory.grow(rows * 8)?;
        let hash = |row: usize, key: i64| key_values.is_valid(row).then(|| join_hash(key));
        JoinTable::link(keys, hash, payload, memory).map(Some)
    }

    /// Links the rows `0..keys.len()` (keys, and the `payload` columns the code reads, each
    /// with at least as many values and no NULLs) into chains by their hashes (`hash(row,
    /// key)`, [`join_hash`] of the key, `None` for a row in no chain: a NULL key).
    ///
    /// # Errors
    /// `ResourceLimit` if the links do not fit the statement's memory limit.
    pub(crate) fn link(
        keys: Vec<i64>,
        hash: impl Fn(usize, i64) -> Option<u64>,
        payload: Vec<Option<Vector>>,
        mut memory: Reservation,
    ) -> Result<JoinTable> {
        let rows = keys.len();
        if rows >= JOIN_NONE as usize || payload.iter().flatten().any(|v| v.len() < rows) {
            return Err(grizzly_runtime::Error::Internal(
                "a join table of rows it cannot number or without their values".into(),
            ));
        }
        let buckets = (rows * 2).max(16).next_power_of_two();
        memory.grow(buckets * 4 + rows * 8)?;
        let shift = 64 - buckets.trailing_zeros();
        let mut heads = vec![JOIN_NONE; buckets];
        let mut next = vec![JOIN_NONE; rows];
        // Per row: how many rows with its key were linked up to it. The latest row with a
        // key is the first of them in its chain, so counting stops there (the rows before it
        // have other keys of the same bucket: few, at a load of at most one half).
        let mut seen = vec![0u32; rows];
        let mut max_matches = 0;
        for row in 0..rows {
            let k = keys[row];
            let Some(h) = hash(row, k) else { continue };
            let b = (h >> shift) as usize;
            let mut r = heads[b];
            while r != JOIN_NONE && keys[r as usize] != k {
                r = next[r as usize];
            }
            seen[row] = if r == JOIN_NONE {
                1
            } else {
                seen[r as usize] + 1
            };
            max_matches = max_matches.max(seen[row] as usize);
            next[row] = heads[b];
            heads[b] = row as u32;
        }
        Ok(JoinTable {
            heads,
            next,
            keys,
            payload,
            shift,
            max_matches,
            _memory: memory,
        })
    }

    pub(crate) fn heads(&self) -> &[u32] {
        &self.heads
    }

    pub(crate) fn next(&self) -> &[u32] {
        &self.next
    }

    pub(crate) fn keys(&self) -> &[i64] {
        &self.keys
    }

    /// The most build rows one probe key can match.
    pub(crate) fn max_matches(&self) -> usize {
        self.max_matches
    }

    pub(crate) fn shift(&self) -> u32 {
        self.shift
    }

    /// The base of build column `c`'s values, or null where the code does not read it.
    pub(crate) fn payload_ptr(&self, c: usize) -> *const u8 {
        match self
            .payload
            .get(c)
            .and_then(Option::as_ref)
            .map(|v| &v.data)
        {
            Some(VectorData::I32(v)) => v.as_ptr().cast(),
            Some(VectorData::I64(v)) => v.as_ptr().cast(),
            Some(VectorData::Bool(v)) => v.as_ptr(),
            _ => std::ptr::null(),
        }
    }

    /// The smallest and largest value of build column `c` (`None` without rows), in the
    /// physical form of its type, for sizing a GROUP BY key read from it.
    pub(crate) fn range(&self, c: usize) -> Option<(i64, i64)> {
        let column = self.payload.get(c)?.as_ref()?;
        let values: Box<dyn Iterator<Item = i64> + '_> = match &column.data {
            VectorData::I32(v) => Box::new(v.iter().take(self.keys.len()).map(|&x| x as i64)),
            VectorData::I64(v) => Box::new(v.iter().take(self.keys.len()).copied()),
            _ => return None,
        };
        values.fold(None, |acc, x| match acc {
            None => Some((x, x)),
            Some((lo, hi)) => Some((lo.min(x), hi.max(x))),
        })
    }

    /// Whether column `c` is read with the physical form `t`.
    pub(crate) fn fits(&self, c: usize, t: PhysicalType) -> bool {
        match self
            .payload
            .get(c)
            .and_then(Option::as_ref)
            .map(|v| &v.data)
        {
            Some(VectorData::I32(_)) => t == PhysicalType::I32,
            Some(VectorData::I64(_)) => t == PhysicalType::I64,
            Some(VectorData::Bool(_)) => t == PhysicalType::Bool,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_runtime::exec::MemoryBudget;

    /// The rows of each chain, first to last.
    fn chain(t: &JoinTable, key: i64) -> Vec<u32> {
        let mut r = t.heads[(join_hash(key) >> t.shift) as usize];
        let mut rows = Vec::new();
        while r != JOIN_NONE {
            if t.keys[r as usize] == key {
                rows.push(r);
            }
            r = t.next[r as usize];
        }
        rows
    }

    #[test]
    fn links_every_keyed_row_latest_first_and_counts_the_most_matches() {
        // Key 7 three times, key 9 twice (one of them left out: a NULL key), 4 once.
        let keys = vec![7, 9, 7, 4, 9, 7];
        let hash = |row: usize, key: i64| (row != 4).then(|| join_hash(key));
        let memory = MemoryBudget::unlimited().reserve("test");
        let t = JoinTable::link(keys, hash, Vec::new(), memory).unwrap();
        assert_eq!(chain(&t, 7), [5, 2, 0]);
        assert_eq!(chain(&t, 9), [1]);
        assert_eq!(chain(&t, 4), [3]);
        assert!(chain(&t, 8).is_empty());
        assert_eq!(t.max_matches(), 3);
        assert!(t.heads.len() >= 16 && t.heads.len().is_power_of_two());
        // Many keys sharing buckets: each counted on its own.
        let keys: Vec<i64> = (0..10_000).map(|i| i % 2_500).collect();
        let memory = MemoryBudget::unlimited().reserve("test");
        let t = JoinTable::link(keys, |_, k| Some(join_hash(k)), Vec::new(), memory).unwrap();
        assert_eq!(t.max_matches(), 4);
        assert_eq!(chain(&t, 2_499), [9_999, 7_499, 4_999, 2_499]);
    }
}
