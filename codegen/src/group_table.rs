//! The group state of a compiled grouped aggregate, in one of two modes:
//!
//! - **Direct**: one state slot per possible group number (`sum(index_k * stride_k)` over
//!   the key ranges), when there are at most [`MAX_DIRECT_SLOTS`] of them. No hashing.
//! - **Hashed**: an open-addressing table of group numbers (`keys`, [`HASH_EMPTY`] where
//!   free) with the state slot of table slot `i` at `state[i]`. The generated code probes
//!   and inserts inline (see `translate::aggregate`) and stops at the start of a row once
//!   half the table is taken (`STATUS_GROW`); this side then doubles the table (rehashing)
//!   and resumes the morsel at that row. The table grows with the groups actually seen,
//!   so a few groups stay in cache whatever the morsel size.
//!
//! Every slot starts with a zero row count and accumulators at their identity (0 for sums,
//! the type's extreme for MIN/MAX), whether or not a group ever lands in it.

use crate::pipeline::Layout;
use grizzly_ir::{AggFunc, PhysicalType};
use grizzly_runtime::abi::{hash_start, HASH_EMPTY};
use grizzly_runtime::exec::memory::Reservation;
use grizzly_runtime::Result;

/// Most slots of a direct-indexed aggregate; more possible groups are hashed.
pub(crate) const MAX_DIRECT_SLOTS: i64 = 1 << 16;

/// Slots of a new hash table (a power of two of at least 16, so that `64 - log2(capacity)`
/// stays a valid shift); it doubles as groups arrive.
const FIRST_CAPACITY: usize = 1024;

pub(crate) struct GroupTable {
    /// Hashed mode: per table slot the group number it holds; empty in direct mode.
    pub keys: Vec<u64>,
    /// Per slot `layout.stride` bytes (a multiple of 16).
    pub state: Vec<u128>,
    /// Hashed mode: occupied table slots.
    pub used: u64,
    hashed: bool,
    /// Bytes of `keys` and `state`, counted in the statement's memory budget.
    memory: Reservation,
}

impl GroupTable {
    /// `slots` direct-indexed slots.
    pub(crate) fn direct(slots: usize, layout: &Layout, memory: Reservation) -> Result<Self> {
        let mut table = GroupTable {
            keys: Vec::new(),
            state: Vec::new(),
            used: 0,
            hashed: false,
            memory,
        };
        table.memory.resize(slots * layout.stride)?;
        table.state = fresh_state(slots, layout);
        Ok(table)
    }

    /// An empty hash table (sized by the first [`GroupTable::reserve`]).
    pub(crate) fn hashed(memory: Reservation) -> Self {
        GroupTable {
            keys: Vec::new(),
            state: Vec::new(),
            used: 0,
            hashed: true,
            memory,
        }
    }

    pub(crate) fn is_hashed(&self) -> bool {
        self.hashed
    }

    /// Hashed mode: makes the table ready for a call whose rows each insert at most
    /// `per_row` groups: below its growth mark ([`GroupTable::grow_at`], half the table), with
    /// room for `per_row` inserts past the mark. Doubles (rehashing) as needed.
    ///
    /// # Errors
    /// `ResourceLimit` if the larger table does not fit the statement's memory limit.
    pub(crate) fn prepare(&mut self, per_row: usize, layout: &Layout) -> Result<()> {
        if !self.hashed {
            return Ok(());
        }
        let mut need = self.keys.len().max(FIRST_CAPACITY);
        while need / 2 <= per_row || self.used as usize >= need / 2 {
            need *= 2;
        }
        if need > self.keys.len() {
            self.rehash(need, layout)?;
        }
        Ok(())
    }

    /// Occupied slots at which the code stops for growth (`u64::MAX` in direct mode).
    pub(crate) fn grow_at(&self) -> u64 {
        if self.hashed {
            (self.keys.len() / 2) as u64
        } else {
            u64::MAX
        }
    }

    fn rehash(&mut self, need: usize, layout: &Layout) -> Result<()> {
        let bytes = need * (layout.stride + 8);
        self.memory.resize(bytes)?;
        let mut keys = vec![HASH_EMPTY; need];
        let mut state = fresh_state(need, layout);
        let shift = shift_of(need);
        let words = layout.stride / 16;
        for (old, &group) in self.keys.iter().enumerate() {
            if group == HASH_EMPTY {
                continue;
            }
            let mut at = hash_start(group, shift);
            while keys[at] != HASH_EMPTY {
                at = (at + 1) & (need - 1);
            }
            keys[at] = group;
            state[at * words..(at + 1) * words]
                .copy_from_slice(&self.state[old * words..(old + 1) * words]);
        }
        self.keys = keys;
        self.state = state;
        Ok(())
    }

    /// Hashed mode: `64 - log2(capacity)`.
    pub(crate) fn shift(&self) -> u32 {
        shift_of(self.keys.len())
    }

    /// The groups that received rows: (state slot, group number), in slot order.
    pub(crate) fn live(&self, layout: &Layout) -> Vec<(usize, i64)> {
        let stride = layout.stride;
        if self.hashed {
            self.keys
                .iter()
                .enumerate()
                .filter(|(_, g)| **g != HASH_EMPTY)
                .map(|(s, g)| (s, *g as i64))
                .collect()
        } else {
            let slots = self.state.len() * 16 / stride.max(16);
            (0..slots)
                .filter(|&s| read_i64(&self.state, s * stride) > 0)
                .map(|s| (s, s as i64))
                .collect()
        }
    }
}

fn shift_of(capacity: usize) -> u32 {
    64 - capacity.trailing_zeros()
}

/// `slots` slots in their initial state: zero counts and sums, MIN/MAX at the extremes.
fn fresh_state(slots: usize, layout: &Layout) -> Vec<u128> {
    let stride = layout.stride;
    let mut state = vec![0u128; slots * stride / 16];
    for a in &layout.aggs {
        let (Some(t), AggFunc::Min | AggFunc::Max) = (a.arg_ty, a.func) else {
            continue;
        };
        let min = a.func == AggFunc::Min;
        let bytes: Vec<u8> = match t.physical() {
            PhysicalType::I32 => (if min { i32::MAX } else { i32::MIN })
                .to_ne_bytes()
                .to_vec(),
            _ => (if min { i64::MAX } else { i64::MIN })
                .to_ne_bytes()
                .to_vec(),
        };
        for s in 0..slots {
            write(&mut state, s * stride + a.offset, &bytes);
        }
    }
    state
}

pub(crate) fn read_i64(state: &[u128], off: usize) -> i64 {
    i64::from_ne_bytes(read::<8>(state, off))
}

/// Bytes `off..off + N` of the state (in memory order).
pub(crate) fn read<const N: usize>(state: &[u128], off: usize) -> [u8; N] {
    let mut out = [0u8; N];
    for (i, b) in out.iter_mut().enumerate() {
        let at = off + i;
        *b = state[at / 16].to_ne_bytes()[at % 16];
    }
    out
}

fn write(state: &mut [u128], off: usize, bytes: &[u8]) {
    for (i, b) in bytes.iter().enumerate() {
        let at = off + i;
        let mut word = state[at / 16].to_ne_bytes();
        word[at % 16] = *b;
        state[at / 16] = u128::from_ne_bytes(word);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_runtime::exec::memory::MemoryBudget;

    fn layout() -> Layout {
        Layout {
            stride: 16,
            ..Layout::new("t", Vec::new(), false)
        }
    }

    /// Inserts like the generated code: probe from the hash start, claim the first free slot.
    fn insert(t: &mut GroupTable, group: u64, count: i64) {
        let mask = t.keys.len() - 1;
        let mut at = hash_start(group, t.shift());
        while t.keys[at] != group {
            if t.keys[at] == HASH_EMPTY {
                t.keys[at] = group;
                t.used += 1;
                break;
            }
            at = (at + 1) & mask;
        }
        t.state[at] += count as u128;
    }

    #[test]
    fn growing_keeps_every_group_and_its_state() {
        let l = layout();
        let mut t = GroupTable::hashed(MemoryBudget::unlimited().reserve("test"));
        let mut expected = std::collections::HashMap::new();
        for round in 0..5u64 {
            for g in 0..1000u64 {
                // As the code does: stop at the mark, let the driver grow, go on.
                t.prepare(1, &l).unwrap();
                assert!(t.used < t.grow_at());
                // 5,000 distinct groups: 1000 * round is never a multiple of 7 here.
                let group = g * 7 + round * 1000;
                insert(&mut t, group, g as i64 + 1);
                expected.insert(group, g as i64 + 1);
            }
        }
        let live = t.live(&l);
        assert_eq!(live.len(), expected.len());
        for (slot, group) in live {
            assert_eq!(read_i64(&t.state, slot * 16), expected[&(group as u64)]);
        }
    }

    #[test]
    fn a_memory_limit_stops_growth() {
        let l = layout();
        let budget = MemoryBudget::new(Some(1 << 10));
        let mut t = GroupTable::hashed(budget.reserve("test"));
        assert!(t.prepare(1 << 12, &l).is_err());
        assert!(t.keys.is_empty());
    }
}
