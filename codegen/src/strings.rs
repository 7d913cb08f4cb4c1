//! String constants and predicates of a compiled pipeline, resolved against each morsel's
//! dictionary: a comparison's constant as a code bound, a LIKE / IN as a table of results.

use crate::pipeline::DictPred;
use grizzly_ir::{BinaryOp, DataType, Value};
use grizzly_runtime::abi::{PRED_FALSE, PRED_NULL, PRED_TRUE};
use grizzly_runtime::exec::{Batch, PhysExpr};
use grizzly_runtime::{StrData, Vector, VectorData};
use std::sync::Arc;

/// The code the generated comparison `code op' bound` needs (see
/// `translate_str_compare`): for `=`/`<>` the exact code or `u32::MAX` if absent; for
/// `<`/`>=` the first code not below `s`; for `<=`/`>` the first code above `s`.
pub(crate) fn dict_bound(dict: &StrData, op: BinaryOp, s: &[u8]) -> u32 {
    let n = dict.len();
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if dict.get_bytes(mid) < s {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let found = lo < n && dict.get_bytes(lo) == s;
    match op {
        BinaryOp::Eq | BinaryOp::NotEq => {
            if found {
                lo as u32
            } else {
                u32::MAX
            }
        }
        BinaryOp::Lt | BinaryOp::GtEq => lo as u32,
        _ => (lo + found as usize) as u32,
    }
}

/// The value of a dictionary predicate for every entry of `dict` (by code), computed by the
/// interpreter's evaluator; `None` if it fails on some entry (the interpreter then runs the
/// node and reports the error only if a row that reaches the predicate has that value).
pub(crate) fn dict_pred_table(
    pred: &DictPred,
    dict: &Arc<StrData>,
    params: &[Value],
) -> Option<Vec<u8>> {
    let n = dict.len();
    let codes: Vec<u32> = (0..n as u32).collect();
    let entries = Vector {
        ty: DataType::Varchar,
        data: VectorData::Dict {
            codes: codes.into(),
            dict: dict.clone(),
        },
        validity: None,
    };
    let expr = PhysExpr::new(&pred.expr, &|id| (id == pred.column).then_some(0), params).ok()?;
    let values = expr.eval(&Batch::new(vec![entries], n)).ok()?;
    (0..n)
        .map(|i| match values.get(i) {
            Value::Boolean(true) => Some(PRED_TRUE),
            Value::Boolean(false) => Some(PRED_FALSE),
            Value::Null => Some(PRED_NULL),
            _ => None,
        })
        .collect()
}
