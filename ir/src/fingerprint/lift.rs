//! Replacing literals by parameters: which literals are lifted, and in what order.
//!
//! Order: a plan node's own expressions (in [`LogicalPlan::try_map_exprs`] order), then its
//! inputs left to right; within an expression, children left to right, and a subquery plan at
//! the place its expression holds it. This is the order `canon.rs` prints, so `$n` increase
//! from left to right in the canonical text.

use std::convert::Infallible;

use crate::expr::{Expr, ScalarFunc};
use crate::plan::LogicalPlan;
use crate::types::{pow10, DataType, Value};

/// Walks a plan, replacing liftable literals by `Expr::Param` numbered from `next`.
pub(super) struct Lifter {
    pub next: usize,
    pub values: Vec<Value>,
}

fn infallible<T>(r: Result<T, Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

impl Lifter {
    pub fn plan(&mut self, plan: LogicalPlan) -> LogicalPlan {
        let plan = infallible(plan.try_map_exprs(&mut |e| Ok(self.expr(e))));
        infallible(plan.try_map_inputs(&mut |p| Ok(self.plan(p))))
    }

    fn expr(&mut self, e: Expr) -> Expr {
        match e {
            Expr::Literal { value, ty } => self.literal(value, ty),
            // The pattern's form (exact, prefix, contains, ...) decides the matcher compiled
            // for it, so a constant pattern stays in the plan and in the fingerprint.
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => Expr::Like {
                expr: Box::new(self.expr(*expr)),
                pattern: Box::new(self.keep_literal(*pattern)),
                negated,
                case_insensitive,
            },
            // `round(DECIMAL, d)` takes its result scale from a constant `d`.
            Expr::Function {
                func: ScalarFunc::Round,
                args,
                ty,
            } => Expr::Function {
                func: ScalarFunc::Round,
                args: args
                    .into_iter()
                    .enumerate()
                    .map(|(i, a)| {
                        if i == 1 {
                            self.keep_literal(a)
                        } else {
                            self.expr(a)
                        }
                    })
                    .collect(),
                ty,
            },
            Expr::ScalarSubquery { plan, ty } => Expr::ScalarSubquery {
                plan: Box::new(self.plan(*plan)),
                ty,
            },
            Expr::Exists { plan, negated } => Expr::Exists {
                plan: Box::new(self.plan(*plan)),
                negated,
            },
            Expr::InSubquery {
                expr,
                plan,
                negated,
            } => {
                let expr = Box::new(self.expr(*expr));
                Expr::InSubquery {
                    expr,
                    plan: Box::new(self.plan(*plan)),
                    negated,
                }
            }
            other => infallible(other.try_map_children(&mut |c| Ok(self.expr(c)))),
        }
    }

    /// A literal stays as it is; any other expression is lifted as usual.
    fn keep_literal(&mut self, e: Expr) -> Expr {
        match e {
            lit @ Expr::Literal { .. } => lit,
            other => self.expr(other),
        }
    }

    fn literal(&mut self, value: Value, ty: DataType) -> Expr {
        if !liftable(&value, ty) {
            return Expr::Literal { value, ty };
        }
        let index = self.next;
        self.next += 1;
        self.values.push(value);
        Expr::Param { index, ty }
    }
}

/// True if a literal can become a parameter: it is not NULL, not a BOOLEAN (TRUE/FALSE decide
/// a predicate's shape), and its value has exactly its type's representation, so that a
/// parameter of that type can hold every value lifted at the same place: `Value::Int32` for
/// INTEGER, `Value::Decimal(v, s)` with the type's scale and `|v| < 10^precision`, and so on.
fn liftable(value: &Value, ty: DataType) -> bool {
    match (value, ty) {
        (Value::Int32(_), DataType::Int32)
        | (Value::Int64(_), DataType::Int64)
        | (Value::Float64(_), DataType::Float64)
        | (Value::Date(_), DataType::Date)
        | (Value::Varchar(_), DataType::Varchar) => true,
        (Value::Decimal(v, s), DataType::Decimal { precision, scale }) => {
            *s == scale && pow10(precision).is_some_and(|p| v.unsigned_abs() < p.unsigned_abs())
        }
        _ => false,
    }
}
