//! Turns a logical plan into a tree of interpreter operators.
//!
//! Column references are resolved to batch positions here: every operator's output columns
//! are its logical node's fields, in order. Uncorrelated subqueries are run first and replaced
//! by their results (a constant, an IN list, or a boolean).

use super::aggregate::{AggSpec, AggregateOp};
use super::analyze::instrument;
use super::batch::Batch;
use super::expr::{eval_constant, PhysExpr};
use super::join::HashJoinOp;
use super::operator::{BoxOp, ExecContext};
use super::recursive::{working_table, RecursiveOp};
use super::scan::ScanOp;
use super::series::SeriesOp;
use super::setop::SetOpOp;
use super::simple::{collect, BatchesOp, ConcatOp, FilterOp, LimitOp, ProjectItem, ProjectOp};
use super::sort::{SortKeySpec, SortOp};
use crate::vector::Vector;
use crate::{exec_err, Error, Result};
use grizzly_ir::{ColumnId, DataType, Expr, LogicalPlan, SetOpKind, Value};

/// Builds the operator tree for `plan`. Every operator is wrapped by
/// [`instrument`](super::analyze): a cancel check per batch, and counters when the context
/// has a profile (EXPLAIN ANALYZE).
pub fn build(plan: &LogicalPlan, ctx: &ExecContext) -> Result<BoxOp> {
    if let Some(pipeline) = ctx.compiled_pipeline(plan) {
        let op = Box::new(CompiledOp {
            pipeline: Some(pipeline),
            ctx: ctx.clone(),
            output: Vec::new().into_iter(),
            node: plan as *const LogicalPlan as usize,
        });
        return Ok(instrument(plan, op, ctx, true));
    }
    let op = build_node(plan, ctx)?;
    Ok(instrument(plan, op, ctx, false))
}

/// The interpreter operator for one node (its inputs built by [`build`]).
fn build_node(plan: &LogicalPlan, ctx: &ExecContext) -> Result<BoxOp> {
    let params = &ctx.params[..];
    Ok(match plan {
        LogicalPlan::Scan {
            table,
            columns,
            filters,
        } => {
            let Some(t) = ctx.snapshot.table(table) else {
                return Err(Error::Sql(grizzly_ir::Error::Bind(format!(
                    "table \"{table}\" does not exist"
                ))));
            };
            let ids: Vec<ColumnId> = columns.iter().map(|(_, f)| f.id).collect();
            let filters = resolve_all(filters, ctx)?;
            Box::new(ScanOp::new(
                t.clone(),
                columns.iter().map(|(i, _)| *i).collect(),
                &ids,
                &filters,
                params,
            )?)
        }
        LogicalPlan::Values { fields, rows } => {
            let types: Vec<DataType> = fields.iter().map(|f| f.ty).collect();
            let mut columns: Vec<Vec<Value>> = vec![Vec::with_capacity(rows.len()); fields.len()];
            for row in rows {
                for (c, e) in row.iter().enumerate() {
                    let e = resolve_subqueries(e, ctx)?;
                    columns[c].push(eval_constant(&e, params)?);
                }
            }
            let vectors = columns
                .iter()
                .zip(&types)
                .map(|(vals, ty)| {
                    Vector::from_values(*ty, vals).ok_or_else(|| {
                        Error::Internal(format!("VALUES item does not match its type {ty}"))
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Box::new(BatchesOp {
                batches: vec![Batch::new(vectors, rows.len())].into_iter(),
            })
        }
        LogicalPlan::Recursive(r) => Box::new(RecursiveOp::new(
            r.id,
            build(&r.anchor, ctx)?,
            r.step.clone(),
            r.distinct,
            r.fields.iter().map(|f| f.ty).collect(),
            ctx,
        )),
        LogicalPlan::WorkingTable { id, .. } => working_table(*id, ctx)?,
        LogicalPlan::Series(s) => {
            let value = |e: &Expr| eval_constant(&resolve_subqueries(e, ctx)?, params);
            Box::new(SeriesOp::new(
                s.field.ty,
                value(&s.start)?,
                value(&s.stop)?,
                value(&s.step)?,
                s.inclusive,
            )?)
        }
        LogicalPlan::Filter { input, predicate } => {
            let layout = layout_of(input);
            let predicate = resolved(predicate, ctx)?;
            Box::new(FilterOp {
                input: build(input, ctx)?,
                predicate: PhysExpr::new(&predicate, &|id| position(&layout, id), params)?,
            })
        }
        LogicalPlan::Project { input, exprs } => {
            let layout = layout_of(input);
            let items = exprs
                .iter()
                .map(|(e, _)| {
                    let e = resolved(e, ctx)?;
                    ProjectItem::new(&e, &|id| position(&layout, id), params)
                })
                .collect::<Result<Vec<_>>>()?;
            Box::new(ProjectOp {
                input: build(input, ctx)?,
                exprs: items,
            })
        }
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
        } => {
            let layout = layout_of(input);
            let pos = |id| position(&layout, id);
            let keys = group_by
                .iter()
                .map(|(e, _)| PhysExpr::new(&*resolved(e, ctx)?, &pos, params))
                .collect::<Result<Vec<_>>>()?;
            let aggs = aggregates
                .iter()
                .map(|(call, _)| {
                    let arg = match &call.arg {
                        Some(a) => Some(PhysExpr::new(&*resolved(a, ctx)?, &pos, params)?),
                        None => None,
                    };
                    Ok(AggSpec {
                        func: call.func,
                        arg,
                        distinct: call.distinct,
                        ty: call.ty,
                        params: call.params.clone(),
                        order: sort_specs(&call.order_by, &layout, ctx)?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            Box::new(AggregateOp::new(
                build(input, ctx)?,
                keys,
                aggs,
                &ctx.memory,
            ))
        }
        LogicalPlan::Distinct { input } => {
            let fields = input.fields();
            let layout = layout_of(input);
            let keys = fields
                .iter()
                .map(|f| {
                    PhysExpr::new(
                        &Expr::column(f.id, f.ty),
                        &|id| position(&layout, id),
                        params,
                    )
                })
                .collect::<Result<Vec<_>>>()?;
            Box::new(AggregateOp::new(
                build(input, ctx)?,
                keys,
                Vec::new(),
                &ctx.memory,
            ))
        }
        LogicalPlan::Join {
            left,
            right,
            kind,
            on,
            filter,
        } => {
            let (ll, rl) = (layout_of(left), layout_of(right));
            let left_keys = on
                .iter()
                .map(|(l, _)| PhysExpr::new(&*resolved(l, ctx)?, &|id| position(&ll, id), params))
                .collect::<Result<Vec<_>>>()?;
            let right_keys = on
                .iter()
                .map(|(_, r)| PhysExpr::new(&*resolved(r, ctx)?, &|id| position(&rl, id), params))
                .collect::<Result<Vec<_>>>()?;
            let combined: Vec<ColumnId> = ll.iter().chain(&rl).copied().collect();
            let filter = match filter {
                Some(f) => Some(PhysExpr::new(
                    &*resolved(f, ctx)?,
                    &|id| position(&combined, id),
                    params,
                )?),
                None => None,
            };
            let types = |p: &LogicalPlan| p.types();
            Box::new(
                HashJoinOp::new(
                    build(left, ctx)?,
                    build(right, ctx)?,
                    *kind,
                    left_keys,
                    right_keys,
                    filter,
                    types(left),
                    types(right),
                )
                .with_memory(&ctx.memory),
            )
        }
        LogicalPlan::Sort { input, keys } => sort_op(input, keys, None, ctx)?,
        LogicalPlan::Limit {
            input,
            limit,
            offset,
        } => {
            let inner = match (&**input, limit) {
                (
                    LogicalPlan::Sort {
                        input: sorted,
                        keys,
                    },
                    Some(l),
                ) => {
                    let top = usize::try_from(l.saturating_add(*offset)).unwrap_or(usize::MAX);
                    // The Sort node's operator, built here as a top-N sort.
                    instrument(input, sort_op(sorted, keys, Some(top), ctx)?, ctx, false)
                }
                _ => build(input, ctx)?,
            };
            Box::new(LimitOp {
                input: inner,
                offset: *offset,
                limit: *limit,
            })
        }
        LogicalPlan::LimitWithTies {
            input,
            keys,
            limit,
            offset,
        } => limit_with_ties(input, keys, *limit, *offset, ctx)?,
        LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
            fields,
        } => {
            let types: Vec<DataType> = fields.iter().map(|f| f.ty).collect();
            let (l, r) = (build(left, ctx)?, build(right, ctx)?);
            if *op == SetOpKind::Union && *all {
                Box::new(ConcatOp {
                    inputs: vec![l, r],
                    current: 0,
                })
            } else {
                Box::new(SetOpOp::new(l, r, *op, *all, types, &ctx.memory))
            }
        }
        LogicalPlan::Window { input, functions } => {
            let layout = layout_of(input);
            let phys =
                |e: &Expr| PhysExpr::new(&*resolved(e, ctx)?, &|id| position(&layout, id), params);
            let types = input.types();
            let op = build(input, ctx)?;
            Box::new(super::window::WindowOp::new(
                op,
                types,
                functions,
                &phys,
                &ctx.memory,
            )?)
        }
        other => return exec_err!("the interpreter cannot run this plan node: {other:?}"),
    })
}

/// Runs a compiled pipeline on first `next` and passes on its output.
struct CompiledOp {
    pipeline: Option<std::sync::Arc<dyn super::operator::CompiledPipeline>>,
    ctx: ExecContext,
    output: std::vec::IntoIter<Batch>,
    /// Address of the breaker node, to tell the profile about runs handed to the interpreter.
    node: usize,
}

impl super::operator::Operator for CompiledOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        if let Some(p) = self.pipeline.take() {
            let (batches, native) = p.run_batches(&self.ctx)?;
            if let (Some(profile), false) = (&self.ctx.profile, native) {
                profile.record_fallback(self.node);
            }
            self.output = batches.into_iter();
        }
        // Empty batches carry nothing: the operators above need not run on them.
        Ok(self.output.by_ref().find(|b| !b.is_empty()))
    }
}

fn sort_op(
    input: &LogicalPlan,
    keys: &[grizzly_ir::SortKey],
    limit: Option<usize>,
    ctx: &ExecContext,
) -> Result<BoxOp> {
    let specs = sort_specs(keys, &layout_of(input), ctx)?;
    let types = input.types();
    Ok(Box::new(SortOp::new(
        build(input, ctx)?,
        types,
        specs,
        limit,
        &ctx.memory,
    )))
}

/// `ORDER BY ... OFFSET offset FETCH FIRST limit ROWS WITH TIES`: a top-(offset + limit) sort
/// keeping ties, then the offset skipped.
fn limit_with_ties(
    input: &LogicalPlan,
    keys: &[grizzly_ir::SortKey],
    limit: u64,
    offset: u64,
    ctx: &ExecContext,
) -> Result<BoxOp> {
    if limit == 0 {
        return Ok(Box::new(LimitOp {
            input: build(input, ctx)?,
            offset: 0,
            limit: Some(0),
        }));
    }
    let specs = sort_specs(keys, &layout_of(input), ctx)?;
    let types = input.types();
    let top = usize::try_from(limit.saturating_add(offset)).unwrap_or(usize::MAX);
    let sorted = SortOp::with_ties(build(input, ctx)?, types, specs, top, &ctx.memory);
    Ok(Box::new(LimitOp {
        input: Box::new(sorted),
        offset,
        limit: None,
    }))
}

/// Sort keys compiled over an input with columns `layout`.
fn sort_specs(
    keys: &[grizzly_ir::SortKey],
    layout: &[ColumnId],
    ctx: &ExecContext,
) -> Result<Vec<SortKeySpec>> {
    keys.iter()
        .map(|k| {
            Ok(SortKeySpec {
                expr: PhysExpr::new(
                    &*resolved(&k.expr, ctx)?,
                    &|id| position(layout, id),
                    &ctx.params,
                )?,
                ascending: k.ascending,
                nulls_first: k.nulls_first,
            })
        })
        .collect()
}

/// Output column ids of a plan node, in batch order.
fn layout_of(plan: &LogicalPlan) -> Vec<ColumnId> {
    plan.ids()
}

fn position(layout: &[ColumnId], id: ColumnId) -> Option<usize> {
    layout.iter().position(|c| *c == id)
}

fn resolve_all(exprs: &[Expr], ctx: &ExecContext) -> Result<Vec<Expr>> {
    exprs.iter().map(|e| resolve_subqueries(e, ctx)).collect()
}

/// `expr` with its subqueries run ([`resolve_subqueries`]); `expr` itself, not a copy, when it
/// has none (the common case, on every run of a cached plan).
fn resolved<'e>(expr: &'e Expr, ctx: &ExecContext) -> Result<std::borrow::Cow<'e, Expr>> {
    if expr.has_subquery() {
        resolve_subqueries(expr, ctx).map(std::borrow::Cow::Owned)
    } else {
        Ok(std::borrow::Cow::Borrowed(expr))
    }
}

/// Runs every (uncorrelated) subquery in `expr` and replaces it by its result.
pub fn resolve_subqueries(expr: &Expr, ctx: &ExecContext) -> Result<Expr> {
    if !expr.has_subquery() {
        return Ok(expr.clone());
    }
    let copy = expr.clone();
    if let Some(profile) = &ctx.profile {
        profile.alias_subqueries(&copy, expr);
    }
    let mut error = None;
    let out = copy.transform(&mut |e| {
        if error.is_some() {
            return e;
        }
        match run_subquery(e, ctx) {
            Ok(e) => e,
            Err(err) => {
                error = Some(err);
                Expr::literal(Value::Null, DataType::Boolean)
            }
        }
    });
    match error {
        Some(e) => Err(e),
        None => Ok(out),
    }
}

fn run_subquery(e: Expr, ctx: &ExecContext) -> Result<Expr> {
    let ctx = &ctx.for_subquery();
    Ok(match e {
        Expr::ScalarSubquery { plan, ty } => {
            let (columns, rows) = execute(&plan, ctx)?;
            if rows > 1 {
                return exec_err!("more than one row returned by a subquery used as an expression");
            }
            let value = if rows == 0 {
                Value::Null
            } else {
                columns[0].get(0)
            };
            Expr::literal(value, ty)
        }
        Expr::Exists { plan, negated } => {
            let (_, rows) = execute(&plan, ctx)?;
            Expr::literal(Value::Boolean((rows > 0) != negated), DataType::Boolean)
        }
        Expr::InSubquery {
            expr,
            plan,
            negated,
        } => {
            let (columns, rows) = execute(&plan, ctx)?;
            // The list (a literal per row, then the filter's compiled set) lives as long as
            // the statement; about 64 bytes a value besides the literal.
            let mut list_memory = ctx.memory.reserve("IN (subquery) list");
            let per_value = std::mem::size_of::<Expr>() + 64;
            list_memory.grow(rows * per_value + super::memory::vectors_bytes(&columns))?;
            list_memory.keep_for_statement();
            let ty = expr.data_type();
            let mut seen = std::collections::HashSet::new();
            let mut list = Vec::new();
            for i in 0..rows {
                let v = columns[0].get(i);
                if seen.insert(format!("{v:?}")) {
                    list.push(Expr::literal(v, ty));
                }
            }
            if list.is_empty() {
                // x IN (empty) is false, even for NULL x; NOT IN (empty) is true.
                Expr::literal(Value::Boolean(negated), DataType::Boolean)
            } else {
                Expr::InList {
                    expr,
                    list,
                    negated,
                }
            }
        }
        other => other,
    })
}

/// Runs a plan to completion: its output columns (dense) and row count.
pub fn execute(plan: &LogicalPlan, ctx: &ExecContext) -> Result<(Vec<Vector>, usize)> {
    let types: Vec<DataType> = plan.types();
    collect(
        build(plan, ctx)?,
        &types,
        &mut ctx.memory.reserve("query result"),
    )
}
