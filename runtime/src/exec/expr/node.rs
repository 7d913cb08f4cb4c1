//! The compiled expression tree ([`Node`]) and what its evaluation passes around: the rows
//! to evaluate ([`Rows`]), kernel inputs ([`Operand`]) and constants ([`Const`]).
//!
//! Every node evaluates over a set of physical rows of a batch and returns one value per row
//! in that order (a dense vector). [`Node::select`] instead returns the physical rows where a
//! boolean node is TRUE (or FALSE), which is how filters, AND refinement and CASE branches
//! avoid materializing booleans and avoid evaluating rows that are already decided.

use super::{arith, case, cast, compare, functions, inlist, like, logic};
use crate::exec::batch::Batch;
use crate::exec::kernels::{all_null, make_vector, prim, repeat, validity_through, Native};
use crate::vector::{Bitmap, Vector};
use crate::{Error, Result};
use grizzly_ir::{DataType, PhysicalType, Value};

/// The physical rows an evaluation covers, ascending: `0..n` or a selection.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Rows<'a> {
    All(usize),
    Sel(&'a [u32]),
}

impl<'a> Rows<'a> {
    pub fn of(batch: &'a Batch) -> Rows<'a> {
        match &batch.sel {
            Some(sel) => Rows::Sel(sel),
            None => Rows::All(batch.physical_len),
        }
    }

    pub fn len(self) -> usize {
        match self {
            Rows::All(n) => n,
            Rows::Sel(s) => s.len(),
        }
    }

    pub fn sel(self) -> Option<&'a [u32]> {
        match self {
            Rows::All(_) => None,
            Rows::Sel(s) => Some(s),
        }
    }

    /// Physical row of logical position `i`.
    #[inline]
    pub fn phys(self, i: usize) -> u32 {
        match self {
            Rows::All(_) => i as u32,
            Rows::Sel(s) => s[i],
        }
    }

    /// Turns logical positions into physical rows, in place.
    pub fn to_physical(self, positions: &mut [u32]) {
        if let Rows::Sel(s) = self {
            for p in positions {
                *p = s[*p as usize];
            }
        }
    }

    pub fn to_vec(self) -> Vec<u32> {
        match self {
            Rows::All(n) => (0..n as u32).collect(),
            Rows::Sel(s) => s.to_vec(),
        }
    }
}

/// A constant, with its value already in the physical form kernels read.
#[derive(Clone, Debug)]
pub(crate) struct Const {
    pub value: Value,
    pub scalar: Scalar,
    pub ty: DataType,
}

impl Const {
    /// `value` (which must already have `ty`'s kind, or be NULL) as a constant of type `ty`.
    pub fn new(value: Value, ty: DataType) -> Result<Const> {
        let scalar = match (&value, ty.physical()) {
            (Value::Null, _) => Scalar::Null,
            (Value::Boolean(b), PhysicalType::Bool) => Scalar::Bool(*b as u8),
            (Value::Int32(x) | Value::Date(x), PhysicalType::I32) => Scalar::I32(*x),
            (Value::Int64(x), PhysicalType::I64) => Scalar::I64(*x),
            (Value::Decimal(x, s), PhysicalType::I64) if *s == ty.scale() => {
                Scalar::I64(i64::try_from(*x).map_err(|_| overflow_const(&value, ty))?)
            }
            (Value::Decimal(x, s), PhysicalType::I128) if *s == ty.scale() => Scalar::I128(*x),
            (Value::Float64(x), PhysicalType::F64) => Scalar::F64(*x),
            (Value::Varchar(s), PhysicalType::Str) => Scalar::Str(s.as_bytes().into()),
            _ => {
                return Err(Error::Internal(format!(
                    "constant {value:?} does not have type {ty}"
                )))
            }
        };
        Ok(Const { value, scalar, ty })
    }

    pub fn is_null(&self) -> bool {
        matches!(self.scalar, Scalar::Null)
    }
}

/// `n` copies of a constant. A 64-bit DECIMAL is copied in its physical form, as the
/// arithmetic kernels produce it: their results are checked against the 64-bit width, not
/// the precision (which the binder caps at 18 for products and sums), so a folded constant
/// must not fail where the same value computed from a column does not (PostgreSQL: no error,
/// its numeric is unbounded). 128-bit decimals keep the check: 38 digits is a hard limit.
fn repeat_const(c: &Const, n: usize) -> Result<Vector> {
    match (c.ty, &c.scalar) {
        (DataType::Decimal { .. }, Scalar::I64(x)) => Ok(make_vector(c.ty, vec![*x; n], None)),
        _ => repeat(&c.value, c.ty, n),
    }
}

fn overflow_const(v: &Value, ty: DataType) -> Error {
    Error::Execution(format!("decimal overflow: {v} does not fit {ty}"))
}

/// A constant's value in physical form.
#[derive(Clone, Debug)]
pub(crate) enum Scalar {
    Null,
    Bool(u8),
    I32(i32),
    I64(i64),
    I128(i128),
    F64(f64),
    Str(Box<[u8]>),
}

/// Reads a constant as the kernel value type `Self` (the default for NULL or another kind).
pub(crate) trait FromScalar: Native {
    fn from_scalar(s: &Scalar) -> Self;
}

macro_rules! from_scalar {
    ($t:ty, $variant:ident) => {
        impl FromScalar for $t {
            #[inline]
            fn from_scalar(s: &Scalar) -> Self {
                match s {
                    Scalar::$variant(x) => *x,
                    _ => Self::default(),
                }
            }
        }
    };
}
from_scalar!(u8, Bool);
from_scalar!(i32, I32);
from_scalar!(i64, I64);
from_scalar!(i128, I128);
from_scalar!(f64, F64);

/// An input of a kernel over `n` logical rows.
pub(crate) enum Operand<'a> {
    /// Row `i` is `v[sel[i]]` (a column read through the batch selection) or `v[i]`.
    Vec(Vector, Option<&'a [u32]>),
    /// Every row is this constant.
    Const(&'a Const),
}

impl Operand<'_> {
    pub fn is_null_const(&self) -> bool {
        matches!(self, Operand::Const(c) if c.is_null())
    }

    /// Validity over the `n` logical rows; `None` if no row is NULL.
    pub fn validity(&self, n: usize) -> Option<Bitmap> {
        match self {
            Operand::Vec(v, sel) => validity_through(v, *sel),
            Operand::Const(c) if c.is_null() => Some(all_null(n)),
            Operand::Const(_) => None,
        }
    }

    /// Physical row of logical row `i` in the vector.
    #[inline]
    pub fn row(&self, i: usize) -> usize {
        match self {
            Operand::Vec(_, Some(sel)) => sel[i] as usize,
            _ => i,
        }
    }

    /// Row `i` as a kernel value (slow path: error reporting, rare cases).
    pub fn get<T: FromScalar>(&self, i: usize) -> T {
        match self {
            Operand::Vec(v, _) => prim::<T>(v).map_or_else(|_| T::default(), |s| s[self.row(i)]),
            Operand::Const(c) => T::from_scalar(&c.scalar),
        }
    }

    /// Row `i` as a [`Value`] (slow path).
    pub fn value(&self, i: usize) -> Value {
        match self {
            Operand::Vec(v, _) => v.get(self.row(i)),
            Operand::Const(c) => c.value.clone(),
        }
    }
}

/// Runs `$body` with `$acc` bound to an [`Access`] over the operand's `$S` values: one
/// monomorphized copy of the body per access pattern.
macro_rules! with_access {
    ($operand:expr, $S:ty, |$acc:ident| $body:expr) => {
        match $operand {
            $crate::exec::expr::node::Operand::Vec(v, None) => {
                let $acc = $crate::exec::kernels::Dense($crate::exec::kernels::prim::<$S>(v)?);
                $body
            }
            $crate::exec::expr::node::Operand::Vec(v, Some(sel)) => {
                let $acc =
                    $crate::exec::kernels::Gather($crate::exec::kernels::prim::<$S>(v)?, *sel);
                $body
            }
            $crate::exec::expr::node::Operand::Const(c) => {
                let $acc = $crate::exec::kernels::Splat(
                    <$S as $crate::exec::expr::node::FromScalar>::from_scalar(&c.scalar),
                );
                $body
            }
        }
    };
}
pub(crate) use with_access;

/// A compiled expression node. See the `ir::Expr` variant of the same name for semantics.
pub(crate) enum Node {
    Column {
        index: usize,
        ty: DataType,
    },
    Const(Const),
    Negate {
        input: Box<Node>,
        ty: DataType,
    },
    Not(Box<Node>),
    Arith(Box<arith::ArithNode>),
    Compare(Box<compare::CompareNode>),
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    IsNull {
        input: Box<Node>,
        negated: bool,
    },
    Like(Box<like::LikeNode>),
    InList(Box<inlist::InListNode>),
    Case(Box<case::CaseNode>),
    /// COALESCE: evaluates argument `k + 1` only on the rows where arguments `0..=k` are NULL.
    Coalesce {
        args: Vec<Node>,
        ty: DataType,
    },
    Cast {
        input: Box<Node>,
        ty: DataType,
    },
    Func(Box<functions::FuncNode>),
}

impl Node {
    pub fn ty(&self) -> DataType {
        match self {
            Node::Column { ty, .. }
            | Node::Negate { ty, .. }
            | Node::Coalesce { ty, .. }
            | Node::Cast { ty, .. } => *ty,
            Node::Const(c) => c.ty,
            Node::Arith(a) => a.ty,
            Node::Case(c) => c.ty,
            Node::Func(f) => f.ty,
            Node::Not(_)
            | Node::Compare(_)
            | Node::And(..)
            | Node::Or(..)
            | Node::IsNull { .. }
            | Node::Like(_)
            | Node::InList(_) => DataType::Boolean,
        }
    }

    pub fn as_const(&self) -> Option<&Const> {
        match self {
            Node::Const(c) => Some(c),
            _ => None,
        }
    }

    /// Direct children, for constant folding.
    pub fn children(&self) -> Vec<&Node> {
        match self {
            Node::Column { .. } | Node::Const(_) => vec![],
            Node::Negate { input, .. }
            | Node::Not(input)
            | Node::IsNull { input, .. }
            | Node::Cast { input, .. } => vec![input],
            Node::Arith(a) => vec![&a.left, &a.right],
            Node::Compare(c) => vec![&c.left, &c.right],
            Node::And(a, b) | Node::Or(a, b) => vec![a, b],
            Node::Like(l) => l.children(),
            Node::InList(l) => vec![&l.input],
            Node::Case(c) => c.children(),
            Node::Coalesce { args, .. } => args.iter().collect(),
            Node::Func(f) => f.args.iter().collect(),
        }
    }

    /// One value per row of `rows`, in order.
    pub fn eval(&self, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
        match self {
            Node::Column { index, .. } => {
                let col = column(batch, *index)?;
                Ok(match rows {
                    Rows::All(_) => col.clone(),
                    Rows::Sel(sel) => crate::exec::kernels::gather(col, sel),
                })
            }
            Node::Const(c) => repeat_const(c, rows.len()),
            Node::Negate { input, ty } => arith::negate(input, *ty, batch, rows),
            Node::Not(input) => logic::not(input, batch, rows),
            Node::Arith(a) => arith::eval(a, batch, rows),
            Node::Compare(c) => compare::eval(c, batch, rows),
            Node::And(a, b) => logic::and_or(true, a, b, batch, rows),
            Node::Or(a, b) => logic::and_or(false, a, b, batch, rows),
            Node::IsNull { input, negated } => logic::is_null(input, *negated, batch, rows),
            Node::Like(l) => like::eval(l, batch, rows),
            Node::InList(l) => inlist::eval(l, batch, rows),
            Node::Case(c) => case::eval(c, batch, rows),
            Node::Coalesce { args, ty } => case::coalesce(args, *ty, batch, rows),
            Node::Cast { input, ty } => cast::eval(input, *ty, batch, rows),
            Node::Func(f) => functions::eval(f, batch, rows),
        }
    }

    /// The node as a kernel input: columns are read through the selection in place.
    pub fn operand<'a>(&'a self, batch: &'a Batch, rows: Rows<'a>) -> Result<Operand<'a>> {
        Ok(match self {
            Node::Column { index, .. } => Operand::Vec(column(batch, *index)?.clone(), rows.sel()),
            Node::Const(c) => Operand::Const(c),
            _ => Operand::Vec(self.eval(batch, rows)?, None),
        })
    }

    /// The physical rows (a subset of `rows`, ascending) where this boolean node is `want`
    /// (TRUE or FALSE; NULL is never selected).
    pub fn select(&self, batch: &Batch, rows: Rows<'_>, want: bool) -> Result<Vec<u32>> {
        if rows.len() == 0 {
            return Ok(Vec::new());
        }
        match self {
            Node::Const(c) => Ok(match c.scalar {
                Scalar::Bool(b) if (b != 0) == want => rows.to_vec(),
                _ => Vec::new(),
            }),
            Node::Not(input) => input.select(batch, rows, !want),
            Node::And(a, b) => logic::select_and_or(true, a, b, batch, rows, want),
            Node::Or(a, b) => logic::select_and_or(false, a, b, batch, rows, want),
            Node::Compare(c) => compare::select(c, batch, rows, want),
            Node::IsNull { input, negated } => {
                logic::select_is_null(input, *negated, batch, rows, want)
            }
            Node::Like(l) => like::select(l, batch, rows, want),
            Node::InList(l) => inlist::select(l, batch, rows, want),
            _ => {
                let v = self.eval(batch, rows)?;
                select_bools(&v, rows, want)
            }
        }
    }
}

pub(crate) fn column(batch: &Batch, index: usize) -> Result<&Vector> {
    batch.columns.get(index).ok_or_else(|| {
        Error::Internal(format!(
            "column {index} of a batch with {} columns",
            batch.columns.len()
        ))
    })
}

/// Physical rows of `rows` where the dense boolean vector `v` is `want` (not NULL).
pub(crate) fn select_bools(v: &Vector, rows: Rows<'_>, want: bool) -> Result<Vec<u32>> {
    let b = prim::<u8>(v)?;
    let want = want as u8;
    let mut out = vec![0u32; b.len()];
    let mut k = 0;
    match &v.validity {
        None => {
            for (i, &x) in b.iter().enumerate() {
                out[k] = i as u32;
                k += (x == want) as usize;
            }
        }
        Some(valid) => {
            for (i, &x) in b.iter().enumerate() {
                out[k] = i as u32;
                k += (x == want && valid.is_valid(i)) as usize;
            }
        }
    }
    out.truncate(k);
    rows.to_physical(&mut out);
    Ok(out)
}

/// Physical rows of `rows` whose tri-state code (0 false, 1 true, 2 NULL) is `want`.
pub(crate) fn select_tri(codes: &[u8], rows: Rows<'_>, want: bool) -> Vec<u32> {
    let want = want as u8;
    let mut out = vec![0u32; codes.len()];
    let mut k = 0;
    for (i, &c) in codes.iter().enumerate() {
        out[k] = i as u32;
        k += (c == want) as usize;
    }
    out.truncate(k);
    rows.to_physical(&mut out);
    out
}

/// A boolean vector from tri-state codes (0 false, 1 true, 2 NULL).
pub(crate) fn from_tri(codes: &[u8]) -> Vector {
    let values: Vec<u8> = codes.iter().map(|&c| (c == 1) as u8).collect();
    let validity = if codes.contains(&2) {
        Some(crate::exec::kernels::bitmap_from_fn(codes.len(), |i| {
            codes[i] != 2
        }))
    } else {
        None
    };
    crate::exec::kernels::make_vector(DataType::Boolean, values, validity)
}

/// Tri-state codes of a boolean vector.
pub(crate) fn to_tri(v: &Vector) -> Result<Vec<u8>> {
    let b = prim::<u8>(v)?;
    Ok(match &v.validity {
        None => b.to_vec(),
        Some(valid) => b
            .iter()
            .enumerate()
            .map(|(i, &x)| if valid.is_valid(i) { x } else { 2 })
            .collect(),
    })
}

/// A vector of `n` NULLs of type `ty`.
pub(crate) fn nulls(ty: DataType, n: usize) -> Result<Vector> {
    repeat(&Value::Null, ty, n)
}
