//! Pass 1, constant folding: evaluates operators whose operands are literals and simplifies
//! boolean logic with TRUE/FALSE/NULL.
//!
//! - `CAST(literal)`, arithmetic, comparisons, LIKE, IN lists, functions on literals are
//!   evaluated (unless evaluation would be a runtime error, which is left for the executor);
//! - `x AND TRUE` → `x`, `x AND FALSE` → `FALSE`, `x OR TRUE` → `TRUE`, `x OR FALSE` → `x`,
//!   `NOT NOT x` → `x`; `x IN (a)` → `x = a`; CASE arms with constant conditions are resolved;
//! - `Filter TRUE` disappears; `Filter FALSE/NULL` becomes an empty `Values` with the same fields.

use super::eval;
use super::Pass;
use crate::catalog::Catalog;
use crate::error::Result;
use crate::expr::{BinaryOp, Expr, ScalarFunc};
use crate::plan::LogicalPlan;
use crate::types::{DataType, Value};

pub(crate) struct ConstantFolding;

impl Pass for ConstantFolding {
    fn name(&self) -> &'static str {
        "constant_folding"
    }

    fn rewrite(&self, plan: LogicalPlan, _catalog: &dyn Catalog) -> Result<LogicalPlan> {
        Ok(fold_plan(plan))
    }
}

pub(crate) fn fold_plan(plan: LogicalPlan) -> LogicalPlan {
    let plan = match plan.try_map_inputs(&mut |p| Ok::<_, ()>(fold_plan(p))) {
        Ok(p) => p,
        Err(()) => unreachable!("folding is infallible"),
    };
    let plan = match plan.try_map_exprs(&mut |e| Ok::<_, ()>(fold_expr(e))) {
        Ok(p) => p,
        Err(()) => unreachable!("folding is infallible"),
    };
    match plan {
        LogicalPlan::Filter { input, predicate } => match predicate.as_literal() {
            Some(Value::Boolean(true)) => *input,
            Some(Value::Boolean(false) | Value::Null) => LogicalPlan::Values {
                fields: input.fields(),
                rows: vec![],
            },
            _ => LogicalPlan::Filter { input, predicate },
        },
        LogicalPlan::Scan {
            table,
            columns,
            filters,
        } => LogicalPlan::Scan {
            table,
            columns,
            filters: filters.into_iter().filter(|f| !is_true(f)).collect(),
        },
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
        } => LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter: filter.filter(|f| !is_true(f)),
        },
        other => other,
    }
}

pub(crate) fn is_true(e: &Expr) -> bool {
    matches!(e.as_literal(), Some(Value::Boolean(true)))
}

fn is_false(e: &Expr) -> bool {
    matches!(e.as_literal(), Some(Value::Boolean(false)))
}

/// Folds an expression bottom-up.
pub(crate) fn fold_expr(e: Expr) -> Expr {
    e.transform(&mut fold_node)
}

fn lit(value: Value, ty: DataType) -> Expr {
    Expr::literal(value, ty)
}

fn fold_node(e: Expr) -> Expr {
    match e {
        Expr::Cast { expr, ty } => {
            if expr.data_type() == ty {
                return *expr;
            }
            if let Some(v) = expr.as_literal() {
                if let Ok(v) = eval::cast_value(v, ty) {
                    return lit(v, ty);
                }
            }
            Expr::Cast { expr, ty }
        }
        Expr::Negate(x) => match x.as_literal().and_then(eval::negate) {
            Some(v) => lit(v, x.data_type()),
            None => Expr::Negate(x),
        },
        Expr::Not(x) => match *x {
            Expr::Literal {
                value: Value::Boolean(b),
                ..
            } => Expr::boolean(!b),
            Expr::Literal {
                value: Value::Null,
                ty,
            } => lit(Value::Null, ty),
            Expr::Not(inner) => *inner,
            other => Expr::Not(Box::new(other)),
        },
        Expr::Binary {
            op: BinaryOp::And,
            left,
            right,
            ty,
        } => {
            if is_false(&left) || is_false(&right) {
                Expr::boolean(false)
            } else if is_true(&left) {
                *right
            } else if is_true(&right) {
                *left
            } else {
                fold_binary_literals(BinaryOp::And, left, right, ty)
            }
        }
        Expr::Binary {
            op: BinaryOp::Or,
            left,
            right,
            ty,
        } => {
            if is_true(&left) || is_true(&right) {
                Expr::boolean(true)
            } else if is_false(&left) {
                *right
            } else if is_false(&right) {
                *left
            } else {
                fold_binary_literals(BinaryOp::Or, left, right, ty)
            }
        }
        Expr::Binary {
            op,
            left,
            right,
            ty,
        } => fold_binary_literals(op, left, right, ty),
        Expr::IsNull { expr, negated } => match expr.as_literal() {
            Some(v) => Expr::boolean(v.is_null() != negated),
            None => Expr::IsNull { expr, negated },
        },
        Expr::Like {
            expr,
            pattern,
            negated,
            case_insensitive,
        } => match (expr.as_literal(), pattern.as_literal()) {
            (Some(Value::Null), _) | (_, Some(Value::Null)) => lit(Value::Null, DataType::Boolean),
            (Some(Value::Varchar(s)), Some(Value::Varchar(p))) => {
                Expr::boolean(eval::like_match(s, p, case_insensitive) != negated)
            }
            _ => Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            },
        },
        Expr::InList {
            expr,
            mut list,
            negated,
        } => {
            if list.len() == 1 {
                let item = list.pop().unwrap_or_else(|| Expr::boolean(false));
                let op = if negated {
                    BinaryOp::NotEq
                } else {
                    BinaryOp::Eq
                };
                return fold_binary_literals(op, expr, Box::new(item), DataType::Boolean);
            }
            let Some(x) = expr.as_literal() else {
                return Expr::InList {
                    expr,
                    list,
                    negated,
                };
            };
            if !list.iter().all(|i| i.as_literal().is_some()) {
                return Expr::InList {
                    expr,
                    list,
                    negated,
                };
            }
            if x.is_null() {
                return lit(Value::Null, DataType::Boolean);
            }
            let mut saw_null = false;
            for item in &list {
                match item.as_literal() {
                    Some(Value::Null) => saw_null = true,
                    Some(v) if x.sql_cmp(v) == Some(std::cmp::Ordering::Equal) => {
                        return Expr::boolean(!negated)
                    }
                    _ => {}
                }
            }
            if saw_null {
                lit(Value::Null, DataType::Boolean)
            } else {
                Expr::boolean(negated)
            }
        }
        Expr::Case { whens, else_, ty } => {
            let mut kept = Vec::with_capacity(whens.len());
            for (w, t) in whens {
                match w.as_literal() {
                    Some(Value::Boolean(false) | Value::Null) => continue,
                    Some(Value::Boolean(true)) if kept.is_empty() => return t,
                    Some(Value::Boolean(true)) => {
                        return Expr::Case {
                            whens: kept,
                            else_: Some(Box::new(t)),
                            ty,
                        };
                    }
                    _ => kept.push((w, t)),
                }
            }
            if kept.is_empty() {
                return else_.map_or_else(|| lit(Value::Null, ty), |e| *e);
            }
            Expr::Case {
                whens: kept,
                else_,
                ty,
            }
        }
        Expr::Function {
            func: ScalarFunc::Coalesce,
            args,
            ty,
        } => {
            let mut kept = Vec::with_capacity(args.len());
            for a in args {
                match a.as_literal() {
                    Some(Value::Null) => continue,
                    Some(_) => {
                        kept.push(a);
                        break;
                    }
                    None => kept.push(a),
                }
            }
            match kept.len() {
                0 => lit(Value::Null, ty),
                1 => kept.pop().unwrap_or_else(|| lit(Value::Null, ty)),
                _ => Expr::Function {
                    func: ScalarFunc::Coalesce,
                    args: kept,
                    ty,
                },
            }
        }
        Expr::Function { func, args, ty } => {
            let values: Option<Vec<Value>> = args.iter().map(|a| a.as_literal().cloned()).collect();
            if let Some(v) = values.and_then(|vs| eval::eval_function(func, &vs, ty)) {
                return lit(v, ty);
            }
            Expr::Function { func, args, ty }
        }
        other => other,
    }
}

fn fold_binary_literals(op: BinaryOp, left: Box<Expr>, right: Box<Expr>, ty: DataType) -> Expr {
    if let (Some(l), Some(r)) = (left.as_literal(), right.as_literal()) {
        if let Some(v) = eval::eval_binary(op, l, r, ty) {
            return lit(v, ty);
        }
    }
    Expr::Binary {
        op,
        left,
        right,
        ty,
    }
}
