//! Per-dictionary results: a predicate on a dictionary-encoded column (LIKE, IN) is computed
//! once per dictionary entry, remembered for the dictionary it was computed for, and applied
//! to the codes of every batch that shares that dictionary.

use crate::vector::StrData;
use std::sync::{Arc, Mutex};

/// Dictionaries larger than this are only tabled if the batch is at least an eighth of their
/// size (otherwise evaluating per row is cheaper than building the table).
const ALWAYS_TABLE: usize = 1 << 16;

/// Remembers the table of the last dictionary seen.
#[derive(Default)]
pub(crate) struct DictMemo {
    slot: Mutex<Option<(Arc<StrData>, Arc<[u8]>)>>,
}

impl DictMemo {
    /// `f` of every entry of `dict` (indexed by code), or `None` if the dictionary is too large
    /// to table for a batch of `rows` rows.
    pub fn table(
        &self,
        dict: &Arc<StrData>,
        rows: usize,
        f: impl FnMut(&[u8]) -> u8,
    ) -> Option<Arc<[u8]>> {
        {
            let slot = self.slot.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((d, t)) = &*slot {
                if Arc::ptr_eq(d, dict) {
                    return Some(t.clone());
                }
            }
        }
        if dict.len() > ALWAYS_TABLE && dict.len() > rows.saturating_mul(8) {
            return None;
        }
        let table: Arc<[u8]> = (0..dict.len()).map(|i| dict.get_bytes(i)).map(f).collect();
        *self.slot.lock().unwrap_or_else(|e| e.into_inner()) = Some((dict.clone(), table.clone()));
        Some(table)
    }
}

/// `table[code]` for each of `n` logical rows (row `i` is `codes[sel[i]]` or `codes[i]`).
pub(crate) fn map_codes(codes: &[u32], sel: Option<&[u32]>, table: &[u8], n: usize) -> Vec<u8> {
    match sel {
        None => codes[..n].iter().map(|&c| table[c as usize]).collect(),
        Some(sel) => sel
            .iter()
            .map(|&r| table[codes[r as usize] as usize])
            .collect(),
    }
}
