//! Compiling a bound [`Expr`] into a [`Node`] tree for one input layout: columns become batch
//! indexes, parameters become constants, operands get the conversions kernels need, and every
//! node whose inputs are all constant is folded into a constant (unless evaluating it fails:
//! then the error is left for the rows that actually reach it, e.g. a CASE branch).

use super::arith::{self, ArithOp};
use super::case::CaseNode;
use super::cast::cast_value;
use super::compare::{self, CmpOp};
use super::functions::{self, Func};
use super::inlist::InListNode;
use super::like::LikeNode;
use super::node::{Const, Node, Rows};
use crate::exec::batch::Batch;
use crate::{Error, Result};
use grizzly_ir::{BinaryOp, ColumnId, DataType, Expr, Value};

pub(crate) struct Compiler<'a> {
    pub layout: &'a dyn Fn(ColumnId) -> Option<usize>,
    pub params: &'a [Value],
}

impl Compiler<'_> {
    pub fn compile(&self, e: &Expr) -> Result<Node> {
        match e {
            Expr::Column { id, ty } => {
                let index = (self.layout)(*id).ok_or_else(|| {
                    Error::Internal(format!("column {} is not in the operator's input", id.0))
                })?;
                Ok(Node::Column { index, ty: *ty })
            }
            Expr::Literal { value, ty } => constant(value, *ty),
            Expr::Param { index, ty } => {
                let value = self.params.get(*index).ok_or_else(|| {
                    Error::Usage(format!(
                        "parameter ${} has no value: {} parameter value(s) given",
                        index + 1,
                        self.params.len()
                    ))
                })?;
                constant(value, *ty)
            }
            Expr::Negate(x) => {
                let input = self.compile(x)?;
                let ty = input.ty();
                Ok(fold(Node::Negate {
                    input: Box::new(input),
                    ty,
                }))
            }
            Expr::Not(x) => Ok(fold(Node::Not(Box::new(self.boolean(x)?)))),
            Expr::Binary {
                op,
                left,
                right,
                ty,
            } => self.binary(*op, left, right, *ty),
            Expr::IsNull { expr, negated } => Ok(fold(Node::IsNull {
                input: Box::new(self.compile(expr)?),
                negated: *negated,
            })),
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => {
                let input = cast_to(self.compile(expr)?, DataType::Varchar)?;
                let pattern = cast_to(self.compile(pattern)?, DataType::Varchar)?;
                let node = LikeNode::new(input, pattern, *negated, *case_insensitive)?;
                Ok(fold(Node::Like(Box::new(node))))
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => self.in_list(expr, list, *negated),
            Expr::Case { whens, else_, ty } => {
                let whens = whens
                    .iter()
                    .map(|(w, t)| Ok((self.boolean(w)?, cast_to(self.compile(t)?, *ty)?)))
                    .collect::<Result<Vec<_>>>()?;
                let else_ = match else_ {
                    Some(e) => Some(cast_to(self.compile(e)?, *ty)?),
                    None => None,
                };
                Ok(fold(Node::Case(Box::new(CaseNode {
                    whens,
                    else_,
                    ty: *ty,
                }))))
            }
            Expr::Cast { expr, ty } => cast_to(self.compile(expr)?, *ty),
            Expr::Function { func, args, ty } => {
                let args = args
                    .iter()
                    .map(|a| self.compile(a))
                    .collect::<Result<Vec<_>>>()?;
                functions::build(*func, args, *ty)
            }
            Expr::ScalarSubquery { .. } | Expr::InSubquery { .. } | Expr::Exists { .. } => {
                Err(Error::Internal(
                    "a subquery reached expression evaluation without being replaced by its \
                     result"
                        .into(),
                ))
            }
            other => {
                let text = format!("{other:?}");
                let name = text.split(['(', ' ', '{']).next().unwrap_or("?");
                Err(Error::Unsupported(format!("expression {name}")))
            }
        }
    }

    /// A boolean operand (converted if it is not one).
    fn boolean(&self, e: &Expr) -> Result<Node> {
        cast_to(self.compile(e)?, DataType::Boolean)
    }

    fn binary(&self, op: BinaryOp, left: &Expr, right: &Expr, ty: DataType) -> Result<Node> {
        let arith = |op| -> Result<Node> {
            arith::build(op, self.compile(left)?, self.compile(right)?, ty)
        };
        match op {
            BinaryOp::And => Ok(fold(Node::And(
                Box::new(self.boolean(left)?),
                Box::new(self.boolean(right)?),
            ))),
            BinaryOp::Or => Ok(fold(Node::Or(
                Box::new(self.boolean(left)?),
                Box::new(self.boolean(right)?),
            ))),
            BinaryOp::Concat => functions::build_func(
                Func::ConcatOp,
                vec![self.compile(left)?, self.compile(right)?],
                DataType::Varchar,
            ),
            BinaryOp::Add => arith(ArithOp::Add),
            BinaryOp::Sub => arith(ArithOp::Sub),
            BinaryOp::Mul => arith(ArithOp::Mul),
            BinaryOp::Div => arith(ArithOp::Div),
            BinaryOp::Mod => arith(ArithOp::Mod),
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => {
                let cmp = CmpOp::from_binary(op)
                    .ok_or_else(|| Error::Internal(format!("{op:?} is not a comparison")))?;
                compare::build(cmp, self.compile(left)?, self.compile(right)?)
            }
        }
    }

    /// A list of constants becomes a set probe; otherwise `x = a OR x = b ...`.
    fn in_list(&self, expr: &Expr, list: &[Expr], negated: bool) -> Result<Node> {
        let input = self.compile(expr)?;
        let ty = input.ty();
        let items = list
            .iter()
            .map(|i| cast_to(self.compile(i)?, ty))
            .collect::<Result<Vec<_>>>()?;
        let consts: Vec<&Const> = items.iter().filter_map(Node::as_const).collect();
        if consts.len() == items.len() {
            let node = InListNode::new(input, &consts, negated)?;
            return Ok(fold(Node::InList(Box::new(node))));
        }
        let mut any: Option<Node> = None;
        for item in items {
            let eq = compare::build(CmpOp::Eq, self.compile(expr)?, item)?;
            any = Some(match any {
                None => eq,
                Some(prev) => fold(Node::Or(Box::new(prev), Box::new(eq))),
            });
        }
        let any = any.ok_or_else(|| Error::Internal("empty IN list".into()))?;
        Ok(if negated {
            fold(Node::Not(Box::new(any)))
        } else {
            any
        })
    }
}

/// A constant of type `ty` (converting the value if its kind differs, as a CAST would).
pub(crate) fn constant(value: &Value, ty: DataType) -> Result<Node> {
    let value = cast_value(value, ty)?;
    Ok(Node::Const(Const::new(value, ty)?))
}

/// `node` converted to `ty` (unchanged if it already has that type).
pub(crate) fn cast_to(node: Node, ty: DataType) -> Result<Node> {
    if node.ty() == ty {
        return Ok(node);
    }
    Ok(fold(Node::Cast {
        input: Box::new(node),
        ty,
    }))
}

/// Evaluates `node` once if all its inputs are constants.
pub(crate) fn fold(node: Node) -> Node {
    if matches!(node, Node::Const(_) | Node::Column { .. })
        || !node.children().iter().all(|c| c.as_const().is_some())
    {
        return node;
    }
    let batch = Batch::new(Vec::new(), 1);
    let value = match node.eval(&batch, Rows::All(1)) {
        Ok(v) if v.len() == 1 => v.get(0),
        _ => return node,
    };
    match Const::new(value, node.ty()) {
        Ok(c) => Node::Const(c),
        Err(_) => node,
    }
}
