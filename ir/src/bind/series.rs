//! The integer series table functions in FROM: PostgreSQL's `generate_series(start, stop [,
//! step])`, which includes `stop`, and DuckDB's `range(stop)` / `range(start, stop [, step])`,
//! which excludes it. The column is named after the function (`generate_series`, `range`) and
//! has the arguments' common integer type (INTEGER or BIGINT). Arguments are constants or
//! parameters; NULL among them gives no rows, a zero step is an error when the query runs.

use sqlparser::ast;

use super::expr::ExprCtx;
use super::scope::Scope;
use super::Binder;
use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{LogicalPlan, Series};
use crate::types::{DataType, Value};

impl Binder<'_> {
    /// `name(args)` as a series, or `None` if `name` is no series function.
    pub(super) fn bind_series(
        &mut self,
        name: &str,
        args: &ast::TableFunctionArgs,
    ) -> Result<Option<LogicalPlan>> {
        let (name, inclusive) = match name {
            "generate_series" => ("generate_series", true),
            "range" => ("range", false),
            _ => return Ok(None),
        };
        let scope = Scope::default();
        let mut bound = Vec::with_capacity(args.args.len());
        for arg in &args.args {
            let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = arg else {
                return crate::bind_err!("{name} takes plain arguments, not {arg}");
            };
            let e = self.bind_expr(e, &mut ExprCtx::plain(&scope, name))?;
            if !e.columns().is_empty() || e.has_subquery() {
                return crate::bind_err!("the arguments of {name} must be constants or parameters");
            }
            bound.push(e);
        }
        let fewest = if inclusive { 2 } else { 1 };
        if bound.len() < fewest || bound.len() > 3 {
            return crate::bind_err!(
                "{name} takes {fewest} to 3 arguments (start{}, stop [, step]), not {}",
                if inclusive { "" } else { " defaults to 0" },
                bound.len()
            );
        }
        if bound.len() == 1 {
            bound.insert(0, Expr::literal(Value::Int64(0), DataType::Int64));
        }
        let (mut bound, mut ty) = self.unify_all(bound, name)?;
        if !matches!(ty, DataType::Int32 | DataType::Int64) {
            if bound.iter().all(|e| self.is_unknown(e)) {
                // Only NULLs or parameters: BIGINT.
                ty = DataType::Int64;
            } else {
                return crate::unsupported!("{name} over {ty} (integers only)");
            }
        }
        let mut coerced = Vec::with_capacity(3);
        for e in bound.drain(..) {
            coerced.push(self.coerce_to(e, ty)?);
        }
        let step = match coerced.pop() {
            Some(step) if coerced.len() == 2 => step,
            Some(stop) => {
                coerced.push(stop);
                Expr::literal(one(ty), ty)
            }
            None => unreachable!("at least two arguments"),
        };
        let [start, stop]: [Expr; 2] = coerced
            .try_into()
            .map_err(|_| crate::Error::Bind(format!("{name}: start and stop expected")))?;
        Ok(Some(LogicalPlan::Series(Box::new(Series {
            field: self.new_field(name, ty, false),
            start,
            stop,
            step,
            inclusive,
        }))))
    }
}

fn one(ty: DataType) -> Value {
    match ty {
        DataType::Int32 => Value::Int32(1),
        _ => Value::Int64(1),
    }
}
