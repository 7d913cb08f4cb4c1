//! Three-valued logic: NOT, AND, OR, IS [NOT] NULL.
//!
//! AND and OR evaluate their right side only on the rows the left side has not decided
//! (AND: left not FALSE; OR: left not TRUE). In `select` mode `a AND b` selects `a`'s TRUE
//! rows first and then evaluates `b` on those only; `a OR b` selects `b` on the rows `a` did
//! not take and merges.

use super::node::{from_tri, to_tri, Node, Rows};
use crate::exec::batch::Batch;
use crate::exec::kernels::{make_vector, prim};
use crate::vector::Vector;
use crate::Result;
use grizzly_ir::DataType;

/// `NOT x`: NULL stays NULL.
pub(crate) fn not(input: &Node, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    let v = input.eval(batch, rows)?;
    let values: Vec<u8> = prim::<u8>(&v)?.iter().map(|&b| b ^ 1).collect();
    Ok(make_vector(DataType::Boolean, values, v.validity))
}

/// `a AND b` (`is_and`) or `a OR b`, evaluating `b` only where `a` does not decide.
pub(crate) fn and_or(
    is_and: bool,
    a: &Node,
    b: &Node,
    batch: &Batch,
    rows: Rows<'_>,
) -> Result<Vector> {
    // The value of `a` that decides the result on its own.
    let decisive = if is_and { 0 } else { 1 };
    let left = a.eval(batch, rows)?;
    let mut codes = to_tri(&left)?;
    let open: Vec<u32> = (0..codes.len() as u32)
        .filter(|&i| codes[i as usize] != decisive)
        .collect();
    if open.is_empty() {
        return Ok(left);
    }
    if open.len() == codes.len() && left.validity.is_none() {
        // `a` is TRUE everywhere (AND) or FALSE everywhere (OR): the result is `b`.
        return b.eval(batch, rows);
    }
    let sub: Vec<u32>;
    let sub_rows = if open.len() == codes.len() {
        rows
    } else {
        let mut phys = open.clone();
        rows.to_physical(&mut phys);
        sub = phys;
        Rows::Sel(&sub)
    };
    let right = to_tri(&b.eval(batch, sub_rows)?)?;
    for (&pos, &r) in open.iter().zip(&right) {
        let l = &mut codes[pos as usize];
        *l = if r == decisive {
            decisive
        } else if *l == r {
            r
        } else {
            2
        };
    }
    Ok(from_tri(&codes))
}

/// Rows where `a AND b` (or `a OR b`) is `want`.
pub(crate) fn select_and_or(
    is_and: bool,
    a: &Node,
    b: &Node,
    batch: &Batch,
    rows: Rows<'_>,
    want: bool,
) -> Result<Vec<u32>> {
    if is_and == want {
        // AND = TRUE and OR = FALSE need both sides: refine.
        let first = a.select(batch, rows, want)?;
        if first.is_empty() {
            return Ok(first);
        }
        return b.select(batch, Rows::Sel(&first), want);
    }
    // AND = FALSE and OR = TRUE need either side: `a`'s rows plus `b`'s among the others.
    let first = a.select(batch, rows, want)?;
    if first.len() == rows.len() {
        return Ok(first);
    }
    let rest = difference(rows, &first);
    let second = b.select(batch, Rows::Sel(&rest), want)?;
    Ok(union(&first, &second))
}

/// `x IS [NOT] NULL`: never NULL.
pub(crate) fn is_null(
    input: &Node,
    negated: bool,
    batch: &Batch,
    rows: Rows<'_>,
) -> Result<Vector> {
    let n = rows.len();
    let op = input.operand(batch, rows)?;
    let values: Vec<u8> = match op.validity(n) {
        None => vec![negated as u8; n],
        Some(v) => (0..n).map(|i| (v.is_valid(i) == negated) as u8).collect(),
    };
    Ok(make_vector(DataType::Boolean, values, None))
}

pub(crate) fn select_is_null(
    input: &Node,
    negated: bool,
    batch: &Batch,
    rows: Rows<'_>,
    want: bool,
) -> Result<Vec<u32>> {
    let n = rows.len();
    let op = input.operand(batch, rows)?;
    // Rows selected are those whose validity equals `keep_valid`.
    let keep_valid = negated == want;
    Ok(match op.validity(n) {
        None if keep_valid => rows.to_vec(),
        None => Vec::new(),
        Some(v) => {
            let mut out: Vec<u32> = (0..n as u32)
                .filter(|&i| v.is_valid(i as usize) == keep_valid)
                .collect();
            rows.to_physical(&mut out);
            out
        }
    })
}

/// Rows of `rows` not in `sub` (a sorted subset).
pub(crate) fn difference(rows: Rows<'_>, sub: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(rows.len() - sub.len());
    let mut j = 0;
    for i in 0..rows.len() {
        let r = rows.phys(i);
        if j < sub.len() && sub[j] == r {
            j += 1;
        } else {
            out.push(r);
        }
    }
    out
}

/// The sorted union of two disjoint sorted row lists.
pub(crate) fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if a[i] < b[j] {
            out.push(a[i]);
            i += 1;
        } else {
            out.push(b[j]);
            j += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}
