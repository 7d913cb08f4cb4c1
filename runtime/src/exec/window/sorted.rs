//! The sorted view of a Window node's input: a row permutation in (PARTITION BY, ORDER BY)
//! order, partitions and peer groups as ranges of sorted positions, and each row's frame.
//!
//! A frame is a range `[s, e)` of sorted positions inside the row's partition. For every
//! frame Grizzly supports (ROWS, GROUPS, RANGE with or without offsets) both ends are
//! non-decreasing as the current row moves forward, which the functions in `window.rs` rely
//! on (running sums, monotonic deques).

use super::Spec;
use crate::exec::batch::Batch;
use crate::exec::sort::compare_rows;
use crate::vector::{Vector, VectorData};
use crate::Result;
use grizzly_ir::plan::{Frame, FrameBound, FrameUnits};
use std::cmp::Ordering;

/// The rows in (partition, order) order with partition and peer-group bounds.
pub(super) struct Sorted {
    /// Sorted position → input row.
    pub perm: Vec<u32>,
    /// Partitions as ranges of sorted positions.
    pub parts: Vec<(usize, usize)>,
    /// Per sorted position: the start and end of its peer group.
    pub peer_start: Vec<u32>,
    pub peer_end: Vec<u32>,
    /// Per sorted position: the number of its peer group, counted over all partitions.
    group: Vec<u32>,
    /// The first sorted position of each peer group, in order.
    group_start: Vec<u32>,
    /// The only ORDER BY key and whether it is ascending (for RANGE offsets).
    key: Option<(Vector, bool)>,
}

impl Sorted {
    /// Bytes held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        4 * (self.perm.capacity()
            + self.peer_start.capacity()
            + self.peer_end.capacity()
            + self.group.capacity()
            + self.group_start.capacity())
            + 16 * self.parts.capacity()
            + self
                .key
                .as_ref()
                .map_or(0, |(v, _)| crate::exec::memory::vector_bytes(v))
    }

    pub fn new(spec: &Spec, whole: &Batch, rows: usize) -> Result<Sorted> {
        let pv = spec
            .partition
            .iter()
            .map(|e| e.eval(whole))
            .collect::<Result<Vec<_>>>()?;
        let ov = spec
            .order
            .iter()
            .map(|(e, asc, nf)| Ok((e.eval(whole)?, *asc, *nf)))
            .collect::<Result<Vec<_>>>()?;
        let part_cmp = |a: u32, b: u32| -> Ordering {
            for v in &pv {
                let o = compare_rows(v, a as usize, b as usize, true, true);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        };
        let order_cmp = |a: u32, b: u32| -> Ordering {
            for (v, asc, nf) in &ov {
                let o = compare_rows(v, a as usize, b as usize, *asc, *nf);
                if o != Ordering::Equal {
                    return o;
                }
            }
            Ordering::Equal
        };
        let mut perm: Vec<u32> = (0..rows as u32).collect();
        if !pv.is_empty() || !ov.is_empty() {
            perm.sort_by(|&a, &b| part_cmp(a, b).then_with(|| order_cmp(a, b)));
        }
        let mut parts = Vec::new();
        let mut peer_start = vec![0u32; rows];
        let mut peer_end = vec![0u32; rows];
        let mut group = vec![0u32; rows];
        let mut group_start = Vec::new();
        let mut k = 0;
        while k < rows {
            let ps = k;
            let mut pe = k + 1;
            while pe < rows && part_cmp(perm[ps], perm[pe]) == Ordering::Equal {
                pe += 1;
            }
            parts.push((ps, pe));
            let mut g = ps;
            while g < pe {
                let mut ge = g + 1;
                while ge < pe && order_cmp(perm[g], perm[ge]) == Ordering::Equal {
                    ge += 1;
                }
                for j in g..ge {
                    peer_start[j] = g as u32;
                    peer_end[j] = ge as u32;
                    group[j] = group_start.len() as u32;
                }
                group_start.push(g as u32);
                g = ge;
            }
            k = pe;
        }
        let key = match &ov[..] {
            [(v, asc, _)] => Some((v.clone(), *asc)),
            _ => None,
        };
        Ok(Sorted {
            perm,
            parts,
            peer_start,
            peer_end,
            group,
            group_start,
            key,
        })
    }

    /// The frame `[s, e)` (sorted positions) of position `k` in partition `[ps, pe)`.
    pub fn frame(&self, f: &Frame, k: usize, ps: usize, pe: usize) -> (usize, usize) {
        let range = f.units != FrameUnits::Rows;
        match f.units {
            FrameUnits::Range => {
                if let Some(r) = self.range_offsets(f, k, ps, pe) {
                    return r;
                }
            }
            FrameUnits::Groups => return self.groups_frame(f, k, ps, pe),
            FrameUnits::Rows => {}
        }
        let s = match f.start {
            FrameBound::UnboundedPreceding => ps,
            FrameBound::CurrentRow if range => self.peer_start[k] as usize,
            FrameBound::CurrentRow => k,
            FrameBound::Preceding(n) => (k as u64).saturating_sub(n).max(ps as u64) as usize,
            FrameBound::Following(n) => (k as u64).saturating_add(n).min(pe as u64) as usize,
            FrameBound::UnboundedFollowing => pe,
        };
        let e = match f.end {
            FrameBound::UnboundedPreceding => ps,
            FrameBound::CurrentRow if range => self.peer_end[k] as usize,
            FrameBound::CurrentRow => k + 1,
            FrameBound::Preceding(n) => ((k as u64 + 1).saturating_sub(n).max(ps as u64)) as usize,
            FrameBound::Following(n) => (k as u64 + 1).saturating_add(n).min(pe as u64) as usize,
            FrameBound::UnboundedFollowing => pe,
        };
        (s, e.max(s))
    }

    /// A GROUPS frame: offsets count peer groups, clamped to the partition's.
    fn groups_frame(&self, f: &Frame, k: usize, ps: usize, pe: usize) -> (usize, usize) {
        let cur = self.group[k] as u64;
        let (first, last) = (self.group[ps] as u64, self.group[pe - 1] as u64);
        let start_of = |g: u64| self.group_start[g as usize] as usize;
        let end_of = |g: u64| {
            if g >= last {
                pe
            } else {
                self.group_start[g as usize + 1] as usize
            }
        };
        let s = match f.start {
            FrameBound::UnboundedPreceding => ps,
            FrameBound::CurrentRow => self.peer_start[k] as usize,
            FrameBound::Preceding(n) => start_of(cur.saturating_sub(n).max(first)),
            FrameBound::Following(n) => match cur.checked_add(n) {
                Some(g) if g <= last => start_of(g),
                _ => pe,
            },
            FrameBound::UnboundedFollowing => pe,
        };
        let e = match f.end {
            FrameBound::UnboundedPreceding => ps,
            FrameBound::CurrentRow => self.peer_end[k] as usize,
            FrameBound::Preceding(n) => match cur.checked_sub(n) {
                Some(g) if g >= first => end_of(g),
                _ => ps,
            },
            FrameBound::Following(n) => end_of(cur.saturating_add(n).min(last)),
            FrameBound::UnboundedFollowing => pe,
        };
        (s, e.max(s))
    }

    /// A RANGE frame with an offset bound: rows whose key is within the offset, found by binary
    /// search among the partition's non-NULL keys (a NULL key's offset bounds are its peers,
    /// the other NULLs). `None` if no bound has an offset.
    fn range_offsets(&self, f: &Frame, k: usize, ps: usize, pe: usize) -> Option<(usize, usize)> {
        let off = |b| matches!(b, FrameBound::Preceding(_) | FrameBound::Following(_));
        if !off(f.start) && !off(f.end) {
            return None;
        }
        let (key, asc) = self.key.as_ref()?;
        let at = |p: usize| -> Option<i128> {
            let r = self.perm[p] as usize;
            if !key.is_valid(r) {
                return None;
            }
            let v = match &key.data {
                VectorData::I32(x) => x[r] as i128,
                VectorData::I64(x) => x[r] as i128,
                VectorData::I128(x) => x[r],
                _ => return None,
            };
            Some(if *asc { v } else { -v })
        };
        let cur = at(k);
        let nn_s = if at(ps).is_none() {
            self.peer_end[ps] as usize
        } else {
            ps
        };
        let nn_e = if at(pe - 1).is_none() && pe > nn_s {
            self.peer_start[pe - 1] as usize
        } else {
            pe
        };
        // First position in [nn_s, nn_e) whose key is not `before(key)`.
        let search = |before: &dyn Fn(i128) -> bool| -> usize {
            let (mut lo, mut hi) = (nn_s, nn_e.max(nn_s));
            while lo < hi {
                let mid = (lo + hi) / 2;
                if at(mid).is_some_and(before) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            lo
        };
        let bound = |b: FrameBound, is_end: bool| -> usize {
            match (b, cur) {
                (FrameBound::UnboundedPreceding, _) => ps,
                (FrameBound::UnboundedFollowing, _) => pe,
                (FrameBound::CurrentRow, _) | (_, None) => {
                    if is_end {
                        self.peer_end[k] as usize
                    } else {
                        self.peer_start[k] as usize
                    }
                }
                (FrameBound::Preceding(n), Some(c)) => {
                    let t = c - n as i128;
                    if is_end {
                        search(&|x| x <= t)
                    } else {
                        search(&|x| x < t)
                    }
                }
                (FrameBound::Following(n), Some(c)) => {
                    let t = c + n as i128;
                    if is_end {
                        search(&|x| x <= t)
                    } else {
                        search(&|x| x < t)
                    }
                }
            }
        };
        let (s, e) = (bound(f.start, false), bound(f.end, true));
        Some((s, e.max(s)))
    }

    /// Calls `f(k, s, e, ps)` for every sorted position `k` with its frame `[s, e)` and the
    /// start of its partition, partition by partition.
    pub fn each_frame(
        &self,
        fr: &Frame,
        mut f: impl FnMut(usize, usize, usize, usize) -> Result<()>,
    ) -> Result<()> {
        for &(ps, pe) in &self.parts {
            for k in ps..pe {
                let (s, e) = self.frame(fr, k, ps, pe);
                f(k, s, e, ps)?;
            }
        }
        Ok(())
    }
}
