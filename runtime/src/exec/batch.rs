//! Batches: a few thousand rows of several columns, with an optional selection vector.

use crate::vector::Vector;
use std::sync::Arc;

/// Rows per batch. A multiple of 64 so that slicing a validity bitmap at a batch boundary is
/// a word slice.
pub const BATCH_SIZE: usize = 2048;

/// Rows of a batch that are still alive: indexes into the batch's vectors, strictly increasing.
pub type Selection = Arc<[u32]>;

/// Columns of equal length plus a selection. Logical row `i` of the batch is physical row
/// `sel[i]` of every column (or row `i` when `sel` is `None`).
#[derive(Clone, Debug)]
pub struct Batch {
    pub columns: Vec<Vector>,
    pub sel: Option<Selection>,
    /// Physical rows in each column (all columns have this length).
    pub physical_len: usize,
}

impl Batch {
    pub fn new(columns: Vec<Vector>, physical_len: usize) -> Batch {
        debug_assert!(columns.iter().all(|c| c.len() == physical_len));
        Batch {
            columns,
            sel: None,
            physical_len,
        }
    }

    /// Logical rows: the number of selected rows.
    pub fn len(&self) -> usize {
        self.sel.as_ref().map_or(self.physical_len, |s| s.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Physical index of logical row `i`.
    #[inline]
    pub fn row(&self, i: usize) -> usize {
        self.sel.as_ref().map_or(i, |s| s[i] as usize)
    }
}
