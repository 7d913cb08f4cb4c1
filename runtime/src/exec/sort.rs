//! ORDER BY: materializes its input, sorts a row permutation by the key columns, and emits the
//! rows in order. With a limit (ORDER BY ... LIMIT n) only the first n rows are fully sorted:
//! a selection puts the n-th row in place with every row before it not greater, in O(rows).
//! With ties (FETCH FIRST n ROWS WITH TIES) the rows after it that equal it are kept too.

use super::aggregate::split;
use super::batch::Batch;
use super::expr::PhysExpr;
use super::kernels;
use super::keys::str_at;
use super::memory::{emit, share, unshared_bytes, vectors_bytes, MemoryBudget, Reservation};
use super::operator::{BoxOp, Operator};
use super::simple::collect;
use crate::vector::{Vector, VectorData};
use crate::Result;
use grizzly_ir::DataType;
use std::cmp::Ordering;

pub struct SortKeySpec {
    pub expr: PhysExpr,
    pub ascending: bool,
    pub nulls_first: bool,
}

pub struct SortOp {
    input: Option<BoxOp>,
    types: Vec<DataType>,
    keys: Vec<SortKeySpec>,
    /// Only the first `limit` rows are needed.
    limit: Option<usize>,
    /// Rows equal (on every key) to the `limit`-th row are needed too.
    ties: bool,
    output: std::vec::IntoIter<Batch>,
    /// The input, key values and permutation while sorting; then the output not yet emitted.
    memory: Reservation,
}

impl SortOp {
    pub fn new(
        input: BoxOp,
        types: Vec<DataType>,
        keys: Vec<SortKeySpec>,
        limit: Option<usize>,
        memory: &MemoryBudget,
    ) -> SortOp {
        SortOp {
            input: Some(input),
            types,
            keys,
            limit,
            ties: false,
            output: Vec::new().into_iter(),
            memory: memory.reserve("sort"),
        }
    }

    /// The first `n` rows in key order plus every further row equal to the n-th on all keys
    /// (none for `n = 0`).
    pub fn with_ties(
        input: BoxOp,
        types: Vec<DataType>,
        keys: Vec<SortKeySpec>,
        n: usize,
        memory: &MemoryBudget,
    ) -> SortOp {
        SortOp {
            ties: true,
            ..SortOp::new(input, types, keys, Some(n), memory)
        }
    }

    fn run(&mut self, input: BoxOp) -> Result<Vec<Batch>> {
        let (columns, rows) = collect(input, &self.types, &mut self.memory)?;
        if rows == 0 {
            // Nothing to order (the keys are not evaluated, as for any other row count).
            return Ok(Vec::new());
        }
        let whole = Batch::new(columns, rows);
        let key_vectors = self
            .keys
            .iter()
            .map(|k| k.expr.eval(&whole))
            .collect::<Result<Vec<_>>>()?;
        let key_bytes: usize = key_vectors
            .iter()
            .map(|k| unshared_bytes(k, &whole.columns))
            .sum();
        self.memory.grow(key_bytes + rows * 4)?;
        let cmp = |a: &u32, b: &u32| -> Ordering {
            for (k, v) in self.keys.iter().zip(&key_vectors) {
                let o = compare_rows(v, *a as usize, *b as usize, k.ascending, k.nulls_first);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        };
        let mut perm: Vec<u32> = (0..rows as u32).collect();
        match self.limit {
            Some(n) if n < rows => {
                let mut keep = n;
                if n > 0 {
                    perm.select_nth_unstable_by(n - 1, cmp);
                    if self.ties {
                        // Rows after the n-th are not less than it: move its equals forward.
                        let last = perm[n - 1];
                        for i in n..rows {
                            if cmp(&perm[i], &last) == Ordering::Equal {
                                perm.swap(keep, i);
                                keep += 1;
                            }
                        }
                    }
                }
                perm.truncate(keep);
                perm.sort_unstable_by(cmp);
            }
            _ => perm.sort_unstable_by(cmp),
        }
        let perm_len = perm.len();
        self.memory
            .grow(share(vectors_bytes(&whole.columns), perm_len, rows))?;
        let out: Vec<Vector> = whole
            .columns
            .iter()
            .map(|c| kernels::gather(c, &perm))
            .collect();
        drop((whole, key_vectors, perm));
        self.memory.resize(vectors_bytes(&out))?;
        Ok(split(out, perm_len))
    }
}

/// Order of rows `a` and `b` of one key vector.
pub fn compare_rows(
    v: &Vector,
    a: usize,
    b: usize,
    ascending: bool,
    nulls_first: bool,
) -> Ordering {
    match (v.is_valid(a), v.is_valid(b)) {
        (false, false) => return Ordering::Equal,
        (false, true) => {
            return if nulls_first {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        (true, false) => {
            return if nulls_first {
                Ordering::Greater
            } else {
                Ordering::Less
            }
        }
        (true, true) => {}
    }
    let o = match &v.data {
        VectorData::Bool(x) => x[a].cmp(&x[b]),
        VectorData::I32(x) => x[a].cmp(&x[b]),
        VectorData::I64(x) => x[a].cmp(&x[b]),
        VectorData::I128(x) => x[a].cmp(&x[b]),
        VectorData::F64(x) => x[a].total_cmp(&x[b]),
        // Dictionaries are sorted: code order is string order.
        VectorData::Dict { codes, .. } => codes[a].cmp(&codes[b]),
        VectorData::Str(_) => str_at(v, a).cmp(str_at(v, b)),
    };
    if ascending {
        o
    } else {
        o.reverse()
    }
}

impl Operator for SortOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        if let Some(input) = self.input.take() {
            self.output = self.run(input)?.into_iter();
        }
        Ok(emit(&mut self.output, &mut self.memory))
    }
}
