//! Lazy conditionals: searched CASE and COALESCE.
//!
//! A branch is evaluated only on the rows that reach it, through a selection: the rows where
//! its WHEN is TRUE among those no earlier WHEN took (so `CASE WHEN x <> 0 THEN 1 / x END`
//! never divides by zero), and COALESCE evaluates argument `k + 1` only where the first `k`
//! were NULL. The pieces are then scattered back into one vector in row order.

use super::node::{Node, Rows};
use crate::exec::batch::Batch;
use crate::exec::kernels::{bitmap_from_fn, make_vector, normalize, prim, Native, StrBuf, StrCol};
use crate::vector::{Vector, VectorData};
use crate::Result;
use grizzly_ir::{DataType, PhysicalType};

pub(crate) struct CaseNode {
    pub whens: Vec<(Node, Node)>,
    pub else_: Option<Node>,
    pub ty: DataType,
}

impl CaseNode {
    pub fn children(&self) -> Vec<&Node> {
        let mut out: Vec<&Node> = self.whens.iter().flat_map(|(w, t)| [w, t]).collect();
        out.extend(&self.else_);
        out
    }
}

/// Logical positions and physical rows still to be decided, in step.
struct Pending {
    pos: Vec<u32>,
    phys: Vec<u32>,
}

impl Pending {
    fn all(rows: Rows<'_>) -> Pending {
        Pending {
            pos: (0..rows.len() as u32).collect(),
            phys: rows.to_vec(),
        }
    }

    /// Splits off the positions of `taken` (a sorted subset of `self.phys`), returning them.
    fn take(&mut self, taken: &[u32]) -> Vec<u32> {
        let mut taken_pos = Vec::with_capacity(taken.len());
        let mut keep = 0;
        let mut j = 0;
        for k in 0..self.phys.len() {
            let r = self.phys[k];
            if j < taken.len() && taken[j] == r {
                taken_pos.push(self.pos[k]);
                j += 1;
            } else {
                self.phys[keep] = r;
                self.pos[keep] = self.pos[k];
                keep += 1;
            }
        }
        self.phys.truncate(keep);
        self.pos.truncate(keep);
        taken_pos
    }
}

pub(crate) fn eval(node: &CaseNode, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    let n = rows.len();
    let mut pending = Pending::all(rows);
    let mut parts: Vec<(Vec<u32>, Vector)> = Vec::new();
    for (when, then) in &node.whens {
        if pending.phys.is_empty() {
            break;
        }
        let hit = when.select(batch, Rows::Sel(&pending.phys), true)?;
        if hit.is_empty() {
            continue;
        }
        let value = then.eval(batch, Rows::Sel(&hit))?;
        let positions = pending.take(&hit);
        if positions.len() == n {
            return Ok(value);
        }
        parts.push((positions, value));
    }
    if let (false, Some(else_)) = (pending.phys.is_empty(), &node.else_) {
        let value = else_.eval(batch, Rows::Sel(&pending.phys))?;
        if pending.pos.len() == n {
            return Ok(value);
        }
        parts.push((std::mem::take(&mut pending.pos), value));
    }
    scatter(node.ty, n, &parts)
}

/// COALESCE: the first non-NULL argument, evaluating each only where needed.
pub(crate) fn coalesce(
    args: &[Node],
    ty: DataType,
    batch: &Batch,
    rows: Rows<'_>,
) -> Result<Vector> {
    let n = rows.len();
    let mut parts: Vec<(Vec<u32>, Vector)> = Vec::new();
    let mut pending = Pending::all(rows);
    for (k, arg) in args.iter().enumerate() {
        if pending.phys.is_empty() {
            break;
        }
        let value = if k == 0 {
            arg.eval(batch, rows)?
        } else {
            arg.eval(batch, Rows::Sel(&pending.phys))?
        };
        let Some(valid) = value.validity.clone() else {
            if parts.is_empty() {
                return Ok(value);
            }
            parts.push((std::mem::take(&mut pending.pos), value));
            break;
        };
        let filled: Vec<u32> = pending
            .phys
            .iter()
            .enumerate()
            .filter(|&(i, _)| valid.is_valid(i))
            .map(|(_, &r)| r)
            .collect();
        let positions = pending.pos.clone();
        pending.take(&filled);
        parts.push((positions, value));
    }
    if let [(positions, _)] = parts.as_slice() {
        if positions.len() == n {
            return Ok(parts.swap_remove(0).1);
        }
    }
    scatter(ty, n, &parts)
}

/// One vector of `n` rows from parts `(positions, values)` applied in order (later parts
/// overwrite earlier ones); positions no part covers are NULL.
pub(crate) fn scatter(ty: DataType, n: usize, parts: &[(Vec<u32>, Vector)]) -> Result<Vector> {
    let mut valid = vec![false; n];
    for (pos, v) in parts {
        for (k, &p) in pos.iter().enumerate() {
            valid[p as usize] = v.is_valid(k);
        }
    }
    let validity = normalize(bitmap_from_fn(n, |i| valid[i]));
    fn prims<T: Native>(n: usize, parts: &[(Vec<u32>, Vector)]) -> Result<Vec<T>> {
        let mut out = vec![T::default(); n];
        for (pos, v) in parts {
            let s = prim::<T>(v)?;
            for (k, &p) in pos.iter().enumerate() {
                out[p as usize] = s[k];
            }
        }
        Ok(out)
    }
    Ok(match ty.physical() {
        PhysicalType::Bool => make_vector(ty, prims::<u8>(n, parts)?, validity),
        PhysicalType::I32 => make_vector(ty, prims::<i32>(n, parts)?, validity),
        PhysicalType::I64 => make_vector(ty, prims::<i64>(n, parts)?, validity),
        PhysicalType::I128 => make_vector(ty, prims::<i128>(n, parts)?, validity),
        PhysicalType::F64 => make_vector(ty, prims::<f64>(n, parts)?, validity),
        PhysicalType::Str => {
            let cols = parts
                .iter()
                .map(|(_, v)| StrCol::of(v))
                .collect::<Result<Vec<_>>>()?;
            let mut src = vec![(u32::MAX, 0u32); n];
            for (pi, (pos, _)) in parts.iter().enumerate() {
                for (k, &p) in pos.iter().enumerate() {
                    src[p as usize] = (pi as u32, k as u32);
                }
            }
            let mut out = StrBuf::with_capacity(n, 0);
            for &(pi, k) in &src {
                match cols.get(pi as usize) {
                    Some(col) => out.push(col.get(k as usize)),
                    None => out.end_value(),
                }
            }
            Vector {
                ty,
                data: VectorData::Str(out.finish()),
                validity,
            }
        }
    })
}
