//! Tests of the evaluator through its public API: expressions are built as `ir::Expr`, run
//! over small batches, and compared with expected values.

mod arith;
mod bench;
mod case;
mod cast;
mod compare;
mod functions;
mod logic;
mod strings;

use super::{eval_constant, PhysExpr};
use crate::exec::batch::Batch;
use crate::vector::{StrData, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::{BinaryOp, ColumnId, DataType, Expr, ScalarFunc, Value};
use std::sync::Arc;

pub(super) const INT: DataType = DataType::Int32;
pub(super) const BIG: DataType = DataType::Int64;
pub(super) const DBL: DataType = DataType::Float64;
pub(super) const TEXT: DataType = DataType::Varchar;
pub(super) const BOOL: DataType = DataType::Boolean;

pub(super) fn dec(precision: u8, scale: u8) -> DataType {
    DataType::Decimal { precision, scale }
}

pub(super) fn col(i: u32, ty: DataType) -> Expr {
    Expr::column(ColumnId(i), ty)
}

pub(super) fn lit(v: Value, ty: DataType) -> Expr {
    Expr::literal(v, ty)
}

pub(super) fn int(x: i32) -> Expr {
    lit(Value::Int32(x), INT)
}

pub(super) fn text(s: &str) -> Expr {
    lit(Value::Varchar(s.into()), TEXT)
}

pub(super) fn null(ty: DataType) -> Expr {
    lit(Value::Null, ty)
}

pub(super) fn bin(op: BinaryOp, l: Expr, r: Expr) -> Expr {
    let ty = if op.is_comparison() || matches!(op, BinaryOp::And | BinaryOp::Or) {
        BOOL
    } else {
        l.data_type()
    };
    Expr::binary(op, l, r, ty)
}

pub(super) fn func(f: ScalarFunc, args: Vec<Expr>, ty: DataType) -> Expr {
    Expr::Function { func: f, args, ty }
}

pub(super) fn cast(e: Expr, ty: DataType) -> Expr {
    Expr::Cast {
        expr: Box::new(e),
        ty,
    }
}

/// `Value::Int32`s, `None` as NULL.
pub(super) fn ints(v: &[Option<i32>]) -> Vec<Value> {
    v.iter()
        .map(|x| x.map_or(Value::Null, Value::Int32))
        .collect()
}

pub(super) fn strs(v: &[Option<&str>]) -> Vec<Value> {
    v.iter()
        .map(|x| x.map_or(Value::Null, |s| Value::Varchar(s.into())))
        .collect()
}

pub(super) fn bools(v: &[Option<bool>]) -> Vec<Value> {
    v.iter()
        .map(|x| x.map_or(Value::Null, Value::Boolean))
        .collect()
}

pub(super) fn vector(ty: DataType, values: &[Value]) -> Vector {
    Vector::from_values(ty, values).expect("test values fit the type")
}

/// A dictionary-encoded vector of the given strings (NULLs allowed).
pub(super) fn dict_vector(values: &[Option<&str>]) -> Vector {
    let mut entries: Vec<&str> = values.iter().flatten().copied().collect();
    entries.sort();
    entries.dedup();
    let codes: Vec<u32> = values
        .iter()
        .map(|v| v.map_or(0, |s| entries.binary_search(&s).unwrap_or(0) as u32))
        .collect();
    let validity = values
        .iter()
        .any(Option::is_none)
        .then(|| crate::vector::Bitmap::from_bools(values.iter().map(Option::is_some)));
    Vector {
        ty: TEXT,
        data: VectorData::Dict {
            codes: codes.into(),
            dict: Arc::new(StrData::from_strs(entries.iter().copied())),
        },
        validity,
    }
}

pub(super) fn batch(columns: Vec<Vector>) -> Batch {
    let n = columns.first().map_or(1, Vector::len);
    Batch::new(columns, n)
}

pub(super) fn with_sel(mut b: Batch, sel: &[u32]) -> Batch {
    b.sel = Some(sel.to_vec().into());
    b
}

pub(super) fn compile(e: &Expr) -> Result<PhysExpr> {
    PhysExpr::new(e, &|id: ColumnId| Some(id.0 as usize), &[])
}

pub(super) fn try_eval(e: &Expr, b: &Batch) -> Result<Vec<Value>> {
    let v = compile(e)?.eval(b)?;
    assert_eq!(v.len(), b.len(), "one value per logical row");
    assert_eq!(v.ty, e.data_type());
    Ok((0..v.len()).map(|i| v.get(i)).collect())
}

pub(super) fn eval(e: &Expr, b: &Batch) -> Vec<Value> {
    try_eval(e, b).unwrap_or_else(|err| panic!("{e:?} failed: {err}"))
}

/// Evaluates a column-free expression.
pub(super) fn one(e: &Expr) -> Value {
    eval_constant(e, &[]).unwrap_or_else(|err| panic!("{e:?} failed: {err}"))
}

pub(super) fn one_err(e: &Expr) -> String {
    match eval_constant(e, &[]) {
        Ok(v) => panic!("{e:?} gave {v:?}, expected an error"),
        Err(err) => err.to_string(),
    }
}

pub(super) fn select(e: &Expr, b: &Batch) -> Vec<u32> {
    compile(e)
        .and_then(|p| p.select(b))
        .map(|s| s.to_vec())
        .unwrap_or_else(|err| panic!("{err}"))
}

/// Checks `select` against `eval`: the selected rows are exactly the TRUE ones.
pub(super) fn check_select(e: &Expr, b: &Batch) {
    let values = eval(e, b);
    let expected: Vec<u32> = (0..b.len())
        .filter(|&i| values[i] == Value::Boolean(true))
        .map(|i| b.row(i) as u32)
        .collect();
    assert_eq!(select(e, b), expected, "select of {e:?}");
}

#[test]
fn params_and_constants() {
    let e = bin(BinaryOp::Add, Expr::Param { index: 0, ty: INT }, int(1));
    let p = PhysExpr::new(&e, &|_| None, &[Value::Int64(41)]).unwrap();
    assert_eq!(p.constant(), Some(Value::Int32(42)));
    assert_eq!(
        eval_constant(&e, &[Value::Varchar("1".into())]).unwrap(),
        Value::Int32(2)
    );
    assert!(matches!(
        PhysExpr::new(&e, &|_| None, &[]),
        Err(Error::Usage(_))
    ));
    assert!(matches!(
        eval_constant(&e, &[Value::Varchar("x".into())]),
        Err(Error::Execution(m)) if m.contains("invalid input syntax for type integer")
    ));
    // A column the layout does not know.
    assert!(matches!(
        PhysExpr::new(&col(3, INT), &|_| None, &[]),
        Err(Error::Internal(_))
    ));
    let c = compile(&col(0, INT)).unwrap();
    assert_eq!(c.constant(), None);
    assert_eq!(c.data_type(), INT);
}

#[test]
fn subqueries_must_be_replaced() {
    let plan = grizzly_ir::LogicalPlan::Values {
        fields: vec![],
        rows: vec![],
    };
    let e = Expr::Exists {
        plan: Box::new(plan),
        negated: false,
    };
    assert!(matches!(compile(&e), Err(Error::Internal(_))));
}

#[test]
fn evaluation_follows_the_selection() {
    let b = with_sel(
        batch(vec![vector(INT, &ints(&[Some(1), Some(2), None, Some(4)]))]),
        &[1, 2, 3],
    );
    let e = bin(BinaryOp::Mul, col(0, INT), int(10));
    assert_eq!(eval(&e, &b), ints(&[Some(20), None, Some(40)]));
    assert_eq!(eval(&col(0, INT), &b), ints(&[Some(2), None, Some(4)]));
    assert_eq!(eval(&int(7), &b), ints(&[Some(7), Some(7), Some(7)]));
    let f = bin(BinaryOp::Gt, col(0, INT), int(1));
    assert_eq!(select(&f, &b), vec![1, 3]);
    check_select(&f, &b);
}

#[test]
fn errors_are_not_raised_for_null_rows() {
    // The NULL row's slot holds 0: dividing by it must not fail.
    let b = batch(vec![vector(INT, &ints(&[Some(2), None]))]);
    let e = bin(BinaryOp::Div, int(10), col(0, INT));
    assert_eq!(eval(&e, &b), ints(&[Some(5), None]));
    let b = batch(vec![vector(INT, &ints(&[Some(1), None]))]);
    let mut v = b.columns[0].clone();
    if let VectorData::I32(_) = v.data {
        v.data = VectorData::I32(vec![1, i32::MAX].into());
    }
    let b = batch(vec![v]);
    assert_eq!(
        eval(&bin(BinaryOp::Add, col(0, INT), int(1)), &b),
        ints(&[Some(2), None])
    );
}
