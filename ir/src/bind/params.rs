//! Final parameter types. A parameter's type is fixed by the first context that asks for one
//! (`$1 + 1` makes `$1` an INTEGER); an occurrence bound before that (still VARCHAR) is
//! rewritten to the final type, cast back to the type its expression was built with, so
//! every `Param` in the statement has its reported type.

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::LogicalPlan;
use crate::statement::Statement;
use crate::types::DataType;

pub(crate) fn settle_statement(stmt: Statement, types: &[DataType]) -> Result<Statement> {
    if types.is_empty() {
        return Ok(stmt);
    }
    let fix = |p: LogicalPlan| settle_plan(p, types);
    Ok(match stmt {
        Statement::Query(p) => Statement::Query(fix(p)?),
        Statement::CreateTableAs { name, query } => Statement::CreateTableAs {
            name,
            query: fix(query)?,
        },
        Statement::Insert { table, query } => Statement::Insert {
            table,
            query: fix(query)?,
        },
        Statement::Rewrite {
            table,
            new_contents,
            affected,
            kind,
        } => Statement::Rewrite {
            table,
            new_contents: fix(new_contents)?,
            affected: fix(affected)?,
            kind,
        },
        Statement::CopyTo {
            query,
            path,
            options,
        } => Statement::CopyTo {
            query: fix(query)?,
            path,
            options,
        },
        Statement::Explain { statement } => Statement::Explain {
            statement: Box::new(settle_statement(*statement, types)?),
        },
        Statement::ExplainAnalyze { statement } => Statement::ExplainAnalyze {
            statement: Box::new(settle_statement(*statement, types)?),
        },
        other => other,
    })
}

fn settle_plan(plan: LogicalPlan, types: &[DataType]) -> Result<LogicalPlan> {
    let plan = plan.try_map_inputs(&mut |p| settle_plan(p, types))?;
    plan.try_map_exprs(&mut |e| settle_expr(e, types))
}

fn settle_expr(e: Expr, types: &[DataType]) -> Result<Expr> {
    let e = e.try_map_subqueries(&mut |p| settle_plan(p, types))?;
    Ok(e.transform(&mut |x| match x {
        Expr::Param { index, ty } => match types.get(index) {
            Some(t) if *t != ty => Expr::Param { index, ty: *t }.cast_to(ty),
            _ => Expr::Param { index, ty },
        },
        other => other,
    }))
}
