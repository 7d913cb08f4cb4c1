//! Aggregates that read their input in an order: `string_agg(x, ',' ORDER BY y)` and the
//! ordered-set aggregates `percentile_disc(f) WITHIN GROUP (ORDER BY x)` and `mode() WITHIN
//! GROUP (ORDER BY x)`.
//!
//! The rows (argument, ORDER BY keys, group id) are kept batch by batch; at the end one stable
//! sort by (group, keys) puts each group's rows together and in order, O(n log n) over the
//! aggregate's input. Then `string_agg` (or any running aggregate) folds them with its usual
//! state, which sees each group's rows in that order, and `percentile_disc` / `mode` pick one
//! row per group. Rows with equal keys keep their input order (PostgreSQL leaves it
//! unspecified).

use std::cmp::Ordering;

use super::{AggSpec, State};
use crate::exec::kernels;
use crate::exec::keys::null_vector;
use crate::exec::memory::{vector_bytes, vectors_bytes};
use crate::exec::sort::compare_rows;
use crate::vector::{Bitmap, Vector};
use crate::Result;
use grizzly_ir::{AggFunc, Value};

/// Whether `spec` must see its rows in order (it has ORDER BY keys, or only exists in order).
pub(super) fn needs_order(spec: &AggSpec) -> bool {
    !spec.order.is_empty() || matches!(spec.func, AggFunc::PercentileDisc | AggFunc::Mode)
}

/// The input rows of one ordered aggregate, as they came.
#[derive(Default)]
pub(super) struct OrderedInput {
    /// Argument vectors, one per batch.
    args: Vec<Vector>,
    /// Per ORDER BY key: its vectors, one per batch.
    keys: Vec<Vec<Vector>>,
    /// Group of every row so far.
    gids: Vec<u32>,
    /// Bytes of the vectors kept.
    vector_bytes: usize,
}

impl OrderedInput {
    /// Adds one batch: row `i` of `arg` and of each key vector belongs to group `gids[i]`.
    pub fn push(&mut self, arg: Option<Vector>, keys: Vec<Vector>, gids: &[u32]) -> Result<()> {
        let Some(arg) = arg else {
            return crate::exec_err!("an ordered aggregate needs an argument");
        };
        if self.keys.is_empty() {
            self.keys = keys.iter().map(|_| Vec::new()).collect();
        }
        self.vector_bytes += vector_bytes(&arg) + vectors_bytes(&keys);
        for (all, k) in self.keys.iter_mut().zip(keys) {
            all.push(k);
        }
        self.args.push(arg);
        self.gids.extend_from_slice(gids);
        Ok(())
    }

    /// Bytes held (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.vector_bytes + self.gids.capacity() * 4
    }

    /// The aggregate's column for `groups` groups.
    pub fn finish(self, spec: &AggSpec, groups: usize) -> Result<Vector> {
        if self.args.is_empty() {
            return Ok(null_vector(spec.ty, groups));
        }
        let arg = kernels::concat(&self.args)?;
        let keys = self
            .keys
            .iter()
            .map(|parts| kernels::concat(parts))
            .collect::<Result<Vec<_>>>()?;
        let gids = self.gids;
        let mut perm: Vec<u32> = (0..gids.len() as u32).collect();
        perm.sort_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            gids[a].cmp(&gids[b]).then_with(|| {
                for (k, v) in spec.order.iter().zip(&keys) {
                    let o = compare_rows(v, a, b, k.ascending, k.nulls_first);
                    if o != Ordering::Equal {
                        return o;
                    }
                }
                Ordering::Equal
            })
        });
        let arg = kernels::gather(&arg, &perm);
        let gids: Vec<u32> = perm.iter().map(|&r| gids[r as usize]).collect();
        match spec.func {
            AggFunc::PercentileDisc | AggFunc::Mode => {
                let fraction = match spec.params.first() {
                    Some(Value::Float64(f)) => Some(*f),
                    _ => None,
                };
                let picks = group_runs(&gids, groups)
                    .map(|(g, s, e)| (g, pick_row(&arg, s, e, fraction)))
                    .fold(vec![None; groups], |mut out, (g, p)| {
                        out[g] = p;
                        out
                    });
                Ok(gather_picks(&arg, &picks))
            }
            _ => {
                let mut state = State::new(spec)?;
                state.resize(groups);
                state.update(Some(&arg), &gids)?;
                state.finish(spec.ty)
            }
        }
    }
}

/// The runs of equal group ids in sorted `gids`: (group, start, end).
fn group_runs(gids: &[u32], groups: usize) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let mut s = 0;
    std::iter::from_fn(move || {
        if s >= gids.len() {
            return None;
        }
        let g = gids[s];
        let mut e = s + 1;
        while e < gids.len() && gids[e] == g {
            e += 1;
        }
        let run = (g as usize, s, e);
        s = e;
        Some(run)
    })
    .filter(move |&(g, ..)| g < groups)
}

/// The row of sorted rows `[s, e)` of one group that `percentile_disc(fraction)` (or, without
/// a fraction, `mode()`) returns; `None` if all are NULL.
fn pick_row(arg: &Vector, s: usize, e: usize, fraction: Option<f64>) -> Option<u32> {
    let valid = (s..e).filter(|&i| arg.is_valid(i));
    match fraction {
        Some(f) => {
            let n = valid.clone().count();
            if n == 0 {
                return None;
            }
            // The first value at or past fraction f: the max(1, ceil(f * n))-th.
            let k = ((f * n as f64).ceil() as usize).clamp(1, n);
            valid.clone().nth(k - 1).map(|i| i as u32)
        }
        None => {
            // Equal values are adjacent; the first longest run wins.
            let mut best: Option<(usize, usize)> = None;
            let mut run: Option<(usize, usize)> = None;
            for i in valid {
                run = match run {
                    Some((start, len))
                        if compare_rows(arg, start, i, true, true) == Ordering::Equal =>
                    {
                        Some((start, len + 1))
                    }
                    _ => Some((i, 1)),
                };
                if let Some((start, len)) = run {
                    if best.is_none_or(|(_, l)| len > l) {
                        best = Some((start, len));
                    }
                }
            }
            best.map(|(start, _)| start as u32)
        }
    }
}

/// Per group: the value of `arg` at the picked row, or NULL.
fn gather_picks(arg: &Vector, picks: &[Option<u32>]) -> Vector {
    let idx: Vec<u32> = picks.iter().map(|p| p.unwrap_or(0)).collect();
    let mut out = kernels::gather(arg, &idx);
    let mask = Bitmap::from_bools(picks.iter().map(Option::is_some));
    out.validity = kernels::and_validity(out.validity.take(), kernels::normalize(mask));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_ir::DataType;

    fn ints(v: &[Option<i32>]) -> Vector {
        let values: Vec<Value> = v
            .iter()
            .map(|x| x.map_or(Value::Null, Value::Int32))
            .collect();
        Vector::from_values(DataType::Int32, &values).expect("ints")
    }

    #[test]
    fn percentile_disc_picks_the_ceiling_rank() {
        let v = ints(&[Some(1), Some(2), Some(2), Some(3), Some(4), None]);
        let at = |f| pick_row(&v, 0, 6, Some(f));
        assert_eq!(at(0.0), Some(0));
        assert_eq!(at(0.2), Some(0));
        assert_eq!(at(0.21), Some(1));
        assert_eq!(at(0.5), Some(2));
        assert_eq!(at(1.0), Some(4));
        assert_eq!(pick_row(&ints(&[None, None]), 0, 2, Some(0.5)), None);
    }

    #[test]
    fn mode_takes_the_first_longest_run() {
        let v = ints(&[None, Some(1), Some(2), Some(2), Some(3), Some(3)]);
        assert_eq!(pick_row(&v, 0, 6, None), Some(2));
        assert_eq!(pick_row(&v, 0, 2, None), Some(1));
        assert_eq!(pick_row(&v, 0, 1, None), None);
    }

    #[test]
    fn group_runs_split_sorted_ids() {
        let runs: Vec<_> = group_runs(&[0, 0, 2, 2, 2, 3], 4).collect();
        assert_eq!(runs, vec![(0, 0, 2), (2, 2, 5), (3, 5, 6)]);
    }
}
