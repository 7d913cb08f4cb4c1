//! Binding LIMIT / OFFSET / FETCH FIRST: the counts must be constants (evaluated here);
//! `FETCH FIRST n ROWS WITH TIES` turns the query's Sort into a [`LogicalPlan::LimitWithTies`].

use sqlparser::ast;

use super::expr::ExprCtx;
use super::scope::Scope;
use super::Binder;
use crate::error::Result;
use crate::expr::Expr;
use crate::plan::LogicalPlan;
use crate::types::Value;

impl Binder<'_> {
    /// Evaluates LIMIT / OFFSET / FETCH FIRST to constants.
    pub(super) fn bind_limit(&mut self, q: &ast::Query) -> Result<RowLimit> {
        let (mut limit, mut offset) = (None, 0);
        match &q.limit_clause {
            None => {}
            Some(ast::LimitClause::LimitOffset {
                limit: l,
                offset: o,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return crate::unsupported!("LIMIT BY");
                }
                if let Some(l) = l {
                    limit = self.const_count(l, "LIMIT")?;
                }
                if let Some(o) = o {
                    offset = self.const_count(&o.value, "OFFSET")?.unwrap_or(0);
                }
            }
            Some(ast::LimitClause::OffsetCommaLimit {
                offset: o,
                limit: l,
            }) => {
                limit = self.const_count(l, "LIMIT")?;
                offset = self.const_count(o, "OFFSET")?.unwrap_or(0);
            }
        }
        let mut with_ties = false;
        if let Some(f) = &q.fetch {
            if f.percent {
                return crate::unsupported!("FETCH FIRST ... PERCENT");
            }
            limit = match &f.quantity {
                Some(e) => self.const_count(e, "FETCH FIRST")?,
                None => Some(1),
            };
            with_ties = f.with_ties;
            if with_ties && limit.is_none() {
                return crate::bind_err!(
                    "row count cannot be null in FETCH FIRST ... WITH TIES clause"
                );
            }
        }
        Ok(RowLimit {
            limit,
            offset,
            with_ties,
        })
    }

    fn const_count(&mut self, e: &ast::Expr, what: &'static str) -> Result<Option<u64>> {
        let scope = Scope::default();
        let bound = self.bind_expr(e, &mut ExprCtx::plain(&scope, what))?;
        if matches!(bound, Expr::Param { .. }) {
            return crate::unsupported!("parameters in {what}");
        }
        let folded = crate::optimize::fold_expr(bound);
        match folded.as_literal() {
            Some(Value::Null) => Ok(None),
            Some(Value::Int32(n)) if *n >= 0 => Ok(Some(*n as u64)),
            Some(Value::Int64(n)) if *n >= 0 => Ok(Some(*n as u64)),
            Some(Value::Int32(_) | Value::Int64(_)) => {
                crate::bind_err!("{what} must not be negative")
            }
            _ => crate::bind_err!("argument of {what} must be an integer constant"),
        }
    }
}

/// LIMIT / OFFSET / FETCH FIRST of a query, evaluated.
pub(super) struct RowLimit {
    limit: Option<u64>,
    offset: u64,
    /// `FETCH FIRST n ROWS WITH TIES` (then `limit` is set).
    with_ties: bool,
}

/// `plan` (the query with its ORDER BY) with the row limit applied. WITH TIES turns the Sort
/// into a LimitWithTies, which needs the sort keys.
pub(super) fn apply_limit(plan: LogicalPlan, l: RowLimit) -> Result<LogicalPlan> {
    let RowLimit {
        limit,
        offset,
        with_ties,
    } = l;
    if with_ties {
        let LogicalPlan::Sort { input, keys } = plan else {
            return crate::bind_err!("WITH TIES cannot be specified without ORDER BY clause");
        };
        return Ok(LogicalPlan::LimitWithTies {
            input,
            keys,
            limit: limit.unwrap_or(0),
            offset,
        });
    }
    Ok(apply_plain_limit(plan, limit, offset))
}

fn apply_plain_limit(plan: LogicalPlan, limit: Option<u64>, offset: u64) -> LogicalPlan {
    if limit.is_none() && offset == 0 {
        return plan;
    }
    LogicalPlan::Limit {
        input: Box::new(plan),
        limit,
        offset,
    }
}
