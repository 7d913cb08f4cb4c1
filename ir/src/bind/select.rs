//! Binding queries: WITH, SELECT blocks (grouping, aggregates, HAVING, DISTINCT, ORDER BY),
//! set operations, VALUES, LIMIT/OFFSET.
//!
//! A SELECT block becomes (bottom to top):
//! ```text
//! Limit                      LIMIT / OFFSET
//!   Sort                     ORDER BY, over the project's columns
//!     Distinct               SELECT DISTINCT
//!       Project              select list (+ hidden ORDER BY columns, dropped by a final Project)
//!         Filter             HAVING
//!           Aggregate        GROUP BY keys, then one field per distinct aggregate call
//!             Filter         WHERE
//!               <FROM>       scans and joins
//! ```

use std::collections::HashMap;

use sqlparser::ast;

use super::coerce::common_type;
use super::expr::ExprCtx;
use super::limit::apply_limit;
use super::scope::{Lookup, Scope};
use super::unnest::{free_columns, has_correlated_subquery, rename_in_expr};
use super::{ident, object_name, Binder, CteDef};
use crate::error::{Error, Result};
use crate::expr::{BinaryOp, ColumnId, Expr, ScalarFunc};
use crate::plan::{AggregateCall, Field, LogicalPlan, SetOpKind, SortKey, WindowCall, WindowFunc};
use crate::types::{DataType, Value};

/// One select-list entry before binding.
struct Item<'a> {
    /// The expression to bind; `None` for columns expanded from `*`.
    ast: Option<&'a ast::Expr>,
    /// Pre-bound expression for `*` columns.
    bound: Option<Expr>,
    /// Output column name.
    name: String,
    /// True if the name came from `AS alias`.
    aliased: bool,
}

/// What an ORDER BY key sorts by.
enum SortTarget {
    /// The i-th select-list column.
    Output(usize),
    /// An expression not in the select list (a hidden project column).
    Hidden(Expr),
}

impl Binder<'_> {
    /// Binds a full query (WITH, body, ORDER BY, LIMIT).
    pub(crate) fn bind_query(&mut self, q: &ast::Query) -> Result<LogicalPlan> {
        self.nested(|b| {
            let saved = b.ctes.len();
            let r = b.bind_query_inner(q);
            b.ctes.truncate(saved);
            r
        })
    }

    fn bind_query_inner(&mut self, q: &ast::Query) -> Result<LogicalPlan> {
        if !q.locks.is_empty() {
            return crate::unsupported!("FOR UPDATE / FOR SHARE");
        }
        if q.for_clause.is_some() || q.settings.is_some() || q.format_clause.is_some() {
            return crate::unsupported!("query clause in {}", super::expr::short(&q.to_string()));
        }
        if !q.pipe_operators.is_empty() {
            return crate::unsupported!("pipe operators");
        }
        if let Some(with) = &q.with {
            let first = self.ctes.len();
            for cte in &with.cte_tables {
                let name = ident(&cte.alias.name);
                if self.ctes[first..].iter().any(|c| c.name == name) {
                    return crate::bind_err!("WITH query name \"{name}\" specified more than once");
                }
                let columns = cte.alias.columns.iter().map(|c| ident(&c.name)).collect();
                let visible = self.ctes.len();
                let recursive = with.recursive
                    && matches!(
                        cte.query.body.as_ref(),
                        ast::SetExpr::SetOperation {
                            op: ast::SetOperator::Union,
                            ..
                        }
                    );
                self.ctes.push(CteDef {
                    name,
                    query: (*cte.query).clone(),
                    columns,
                    recursive,
                    visible,
                    outer: self.outer.len(),
                });
            }
        }
        let limit = self.bind_limit(q)?;
        let plan = match q.body.as_ref() {
            ast::SetExpr::Select(s) => {
                let (plan, visible) = self.bind_select(s, q.order_by.as_ref())?;
                let plan = apply_limit(plan, limit)?;
                self.drop_hidden(plan, visible)
            }
            other => {
                let plan = self.bind_set_expr(other)?;
                let plan = match &q.order_by {
                    Some(ob) => self.order_by_outputs(plan, ob)?,
                    None => plan,
                };
                apply_limit(plan, limit)?
            }
        };
        Ok(plan)
    }

    pub(super) fn bind_set_expr(&mut self, e: &ast::SetExpr) -> Result<LogicalPlan> {
        self.nested(|b| match e {
            ast::SetExpr::Select(s) => {
                let (plan, visible) = b.bind_select(s, None)?;
                Ok(b.drop_hidden(plan, visible))
            }
            ast::SetExpr::Query(q) => b.bind_query(q),
            ast::SetExpr::Values(v) => b.bind_values(v),
            ast::SetExpr::SetOperation {
                left,
                op,
                set_quantifier,
                right,
            } => {
                let l = b.bind_set_expr(left)?;
                let r = b.bind_set_expr(right)?;
                b.bind_set_op(l, *op, *set_quantifier, r)
            }
            other => crate::unsupported!("query body {}", super::expr::short(&other.to_string())),
        })
    }

    fn bind_set_op(
        &mut self,
        l: LogicalPlan,
        op: ast::SetOperator,
        quantifier: ast::SetQuantifier,
        r: LogicalPlan,
    ) -> Result<LogicalPlan> {
        let kind = match op {
            ast::SetOperator::Union => SetOpKind::Union,
            ast::SetOperator::Intersect => SetOpKind::Intersect,
            ast::SetOperator::Except | ast::SetOperator::Minus => SetOpKind::Except,
        };
        let all = match quantifier {
            ast::SetQuantifier::All => true,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => false,
            _ => return crate::unsupported!("{op} BY NAME"),
        };
        let (lf, rf) = (l.fields(), r.fields());
        if lf.len() != rf.len() {
            return crate::bind_err!("each {op} query must have the same number of columns");
        }
        let mut types = Vec::with_capacity(lf.len());
        for (i, (a, b)) in lf.iter().zip(&rf).enumerate() {
            let t = match common_type(a.ty, b.ty) {
                Some(t) => t,
                None if outputs_null(&l, i) => b.ty,
                None if outputs_null(&r, i) => a.ty,
                None => {
                    return crate::type_err!("{op} types {} and {} cannot be matched", a.ty, b.ty)
                }
            };
            types.push(t);
        }
        let l = self.cast_outputs(l, &types);
        let r = self.cast_outputs(r, &types);
        let fields = lf
            .iter()
            .zip(&rf)
            .zip(&types)
            .map(|((a, b), t)| self.new_field(a.name.clone(), *t, a.nullable || b.nullable))
            .collect();
        Ok(LogicalPlan::SetOp {
            op: kind,
            all,
            left: Box::new(l),
            right: Box::new(r),
            fields,
        })
    }

    /// Wraps `plan` in a Project casting its outputs to `types` (if any differs).
    pub(crate) fn cast_outputs(&mut self, plan: LogicalPlan, types: &[DataType]) -> LogicalPlan {
        let fields = plan.fields();
        if fields.iter().zip(types).all(|(f, t)| f.ty == *t) {
            return plan;
        }
        let exprs = fields
            .iter()
            .zip(types)
            .map(|(f, t)| {
                let e = Expr::column(f.id, f.ty).cast_to(*t);
                (e, self.new_field(f.name.clone(), *t, f.nullable))
            })
            .collect();
        LogicalPlan::Project {
            input: Box::new(plan),
            exprs,
        }
    }

    /// `VALUES (..), (..)` as a query: columns `column1..n` of each column's common type.
    fn bind_values(&mut self, v: &ast::Values) -> Result<LogicalPlan> {
        let scope = Scope::default();
        let mut rows: Vec<Vec<Expr>> = Vec::with_capacity(v.rows.len());
        for row in &v.rows {
            let mut out = Vec::with_capacity(row.content.len());
            for e in &row.content {
                out.push(self.bind_expr(e, &mut ExprCtx::plain(&scope, "VALUES"))?);
            }
            if rows.first().is_some_and(|r| r.len() != out.len()) {
                return crate::bind_err!("VALUES lists must all be the same length");
            }
            rows.push(out);
        }
        let width = rows.first().map_or(0, Vec::len);
        let mut fields = Vec::with_capacity(width);
        for j in 0..width {
            let col: Vec<Expr> = rows
                .iter_mut()
                .map(|r| std::mem::replace(&mut r[j], Expr::boolean(false)))
                .collect();
            let (col, ty) = self.unify_all(col, "VALUES")?;
            let nullable = col.iter().any(|e| nullable(e, &|_| true));
            for (r, e) in rows.iter_mut().zip(col) {
                r[j] = e;
            }
            fields.push(self.new_field(format!("column{}", j + 1), ty, nullable));
        }
        Ok(LogicalPlan::Values { fields, rows })
    }

    /// Drops hidden ORDER BY columns (everything after the first `visible`).
    fn drop_hidden(&mut self, plan: LogicalPlan, visible: usize) -> LogicalPlan {
        let fields = plan.fields();
        if fields.len() <= visible {
            return plan;
        }
        let exprs = fields[..visible]
            .iter()
            .map(|f| {
                (
                    Expr::column(f.id, f.ty),
                    self.new_field(f.name.clone(), f.ty, f.nullable),
                )
            })
            .collect();
        LogicalPlan::Project {
            input: Box::new(plan),
            exprs,
        }
    }

    /// ORDER BY over a set operation or VALUES: output names and ordinals only.
    fn order_by_outputs(&mut self, plan: LogicalPlan, ob: &ast::OrderBy) -> Result<LogicalPlan> {
        let fields = plan.fields();
        let ast::OrderByKind::Expressions(list) = &ob.kind else {
            return crate::unsupported!("ORDER BY ALL");
        };
        let mut keys = Vec::with_capacity(list.len());
        for o in list {
            let (ascending, nulls_first) = sort_options(o)?;
            let i = match &o.expr {
                ast::Expr::Value(v) => ordinal(&v.value, fields.len(), "ORDER BY")?,
                ast::Expr::Identifier(id) => {
                    let name = ident(id);
                    match fields.iter().position(|f| f.name == name) {
                        Some(i) => i,
                        None => return crate::bind_err!("column \"{name}\" does not exist"),
                    }
                }
                other => {
                    return crate::unsupported!(
                        "ORDER BY expression {other} on a set operation (use a column name or position)"
                    )
                }
            };
            let f = &fields[i];
            keys.push(SortKey {
                expr: Expr::column(f.id, f.ty),
                ascending,
                nulls_first,
            });
        }
        Ok(LogicalPlan::Sort {
            input: Box::new(plan),
            keys,
        })
    }

    /// Binds one SELECT block with its ORDER BY. Returns the plan and the number of visible
    /// columns (hidden ORDER BY columns follow them).
    fn bind_select(
        &mut self,
        s: &ast::Select,
        order_by: Option<&ast::OrderBy>,
    ) -> Result<(LogicalPlan, usize)> {
        match grouping_sets(s)? {
            None => self.bind_select_block(s, order_by, &[]),
            Some(sets) => self.bind_grouping_sets(s, order_by, &sets),
        }
    }

    /// GROUP BY GROUPING SETS / ROLLUP / CUBE: the UNION ALL of one grouped SELECT per set,
    /// each grouping by every key but with the keys absent from its set replaced by NULL.
    fn bind_grouping_sets(
        &mut self,
        s: &ast::Select,
        order_by: Option<&ast::OrderBy>,
        sets: &[Vec<ast::Expr>],
    ) -> Result<(LogicalPlan, usize)> {
        if s.projection
            .iter()
            .any(|p| p.to_string().to_uppercase().contains(" OVER "))
        {
            return crate::unsupported!("window functions with GROUPING SETS / ROLLUP / CUBE");
        }
        let mut all_keys: Vec<ast::Expr> = Vec::new();
        for e in sets.iter().flatten() {
            if !all_keys.contains(e) {
                all_keys.push(e.clone());
            }
        }
        let mut flat = s.clone();
        flat.group_by = ast::GroupByExpr::Expressions(all_keys.clone(), vec![]);
        let distinct = matches!(flat.distinct, Some(ast::Distinct::Distinct));
        if distinct {
            flat.distinct = None;
        }
        let mut plan: Option<LogicalPlan> = None;
        for set in sets {
            let absent: Vec<ast::Expr> = all_keys
                .iter()
                .filter(|k| !set.contains(k))
                .cloned()
                .collect();
            let prev = GROUPING_ABSENT.with(|g| g.replace(Some(absent.clone())));
            let r = self.bind_select_block(&flat, None, &absent);
            GROUPING_ABSENT.with(|g| *g.borrow_mut() = prev);
            let (branch, visible) = r?;
            let branch = self.drop_hidden(branch, visible);
            plan = Some(match plan {
                None => branch,
                Some(l) => {
                    self.bind_set_op(l, ast::SetOperator::Union, ast::SetQuantifier::All, branch)?
                }
            });
        }
        let Some(mut plan) = plan else {
            return crate::internal_err!("no grouping sets");
        };
        if distinct {
            plan = LogicalPlan::Distinct {
                input: Box::new(plan),
            };
        }
        if let Some(ob) = order_by {
            plan = self.order_by_outputs(plan, ob)?;
        }
        let n = plan.fields().len();
        Ok((plan, n))
    }

    /// Binds one SELECT block. `absent`: GROUP BY keys that output NULL (one grouping set of
    /// GROUPING SETS / ROLLUP / CUBE).
    fn bind_select_block(
        &mut self,
        s: &ast::Select,
        order_by: Option<&ast::OrderBy>,
        absent: &[ast::Expr],
    ) -> Result<(LogicalPlan, usize)> {
        check_select_supported(s)?;
        let (mut plan, scope) = self.bind_from(&s.from)?;
        // Window calls of the select list and ORDER BY become placeholder columns (window.rs).
        let mut aggs: Vec<(AggregateCall, Field)> = Vec::new();
        let (win_asts, mut windows) = self.bind_windows(s, order_by, &scope, &mut aggs)?;
        let (order_by, wscope) = (win_asts.order_by(order_by), windows.scope(&scope));
        if let Some(w) = &s.selection {
            let pred = self.bind_condition(w, &mut ExprCtx::plain(&scope, "WHERE"))?;
            plan = self.unnest_filter(plan, pred)?;
        }
        let mut items = expand_items(s, &scope)?;
        items
            .iter_mut()
            .for_each(|it| it.ast = it.ast.map(|a| win_asts.item(a)));

        // GROUP BY keys, bound against the FROM scope.
        let every_plain_item: Vec<ast::Expr>;
        let group_asts: &[ast::Expr] = match &s.group_by {
            ast::GroupByExpr::Expressions(exprs, modifiers) => {
                if !modifiers.is_empty() {
                    return crate::unsupported!("GROUP BY ... WITH modifiers");
                }
                exprs
            }
            // GROUP BY ALL (DuckDB): by every select item without aggregates (by ordinal).
            ast::GroupByExpr::All(modifiers) => {
                if !modifiers.is_empty() {
                    return crate::unsupported!("GROUP BY ALL ... WITH modifiers");
                }
                every_plain_item = items
                    .iter()
                    .enumerate()
                    .filter(|(_, it)| {
                        it.ast.is_none_or(|a| {
                            !super::window::has_aggregate(a) && !super::window::has_window(a)
                        })
                    })
                    .map(|(i, _)| ast::Expr::value(ast::Value::Number((i + 1).to_string(), false)))
                    .collect();
                &every_plain_item
            }
        };
        let mut groups: Vec<Expr> = Vec::new();
        for g in group_asts {
            let bound = self.bind_group_key(g, &items, &scope)?;
            if !groups.contains(&bound) {
                groups.push(bound);
            }
        }
        let mut absent_keys: Vec<Expr> = Vec::new();
        for g in absent {
            absent_keys.push(self.bind_group_key(g, &items, &scope)?);
        }

        // Select list, HAVING and ORDER BY may contain aggregates.
        let mut exprs = Vec::with_capacity(items.len());
        for item in &items {
            let e = match (&item.bound, item.ast) {
                (Some(b), _) => b.clone(),
                (None, Some(a)) => {
                    let mut cx = ExprCtx {
                        scope: &wscope,
                        aggs: Some(&mut aggs),
                        clause: "SELECT",
                    };
                    self.bind_expr(a, &mut cx)?
                }
                (None, None) => return crate::internal_err!("select item without expression"),
            };
            exprs.push(e);
        }
        let having = match &s.having {
            Some(h) => {
                let mut cx = ExprCtx {
                    scope: &scope,
                    aggs: Some(&mut aggs),
                    clause: "HAVING",
                };
                Some(self.bind_condition(h, &mut cx)?)
            }
            None => None,
        };
        // QUALIFY (DuckDB, Snowflake): a condition on the rows after window functions.
        let qualify = match &win_asts.qualify {
            Some(q) => {
                // Select-list aliases may be named (DuckDB), unless a column has the name.
                let mut q = q.clone();
                super::window::substitute_identifiers(&mut q, &mut |name| {
                    if !matches!(wscope.lookup(None, name)?, Lookup::NotFound) {
                        return Ok(None);
                    }
                    Ok(items
                        .iter()
                        .find(|it| it.aliased && it.name == name)
                        .and_then(|it| it.ast.cloned()))
                })?;
                let q = &q;
                let mut cx = ExprCtx {
                    scope: &wscope,
                    aggs: Some(&mut aggs),
                    clause: "QUALIFY",
                };
                Some(self.bind_condition(q, &mut cx)?)
            }
            None => None,
        };
        let mut qualify = qualify;
        let mut sort = Vec::new();
        if let Some(ob) = order_by {
            let ast::OrderByKind::Expressions(list) = &ob.kind else {
                return crate::unsupported!("ORDER BY ALL");
            };
            for o in list {
                let (ascending, nulls_first) = sort_options(o)?;
                let target = self.bind_sort_target(&o.expr, &items, &exprs, &wscope, &mut aggs)?;
                sort.push((target, ascending, nulls_first));
            }
        }
        // DISTINCT ON keys ride along as extra sort targets (bound and finalized alike) and
        // are split off again once the select list is projected.
        let order_keys = sort.len();
        if let Some(ast::Distinct::On(on)) = &s.distinct {
            for e in on {
                let target = self.bind_sort_target(e, &items, &exprs, &wscope, &mut aggs)?;
                sort.push((target, true, false));
            }
        }

        let mut having = having;
        // Unknown outputs (`SELECT NULL`, `SELECT $1`) are VARCHAR unless a later use (`$1 + 1`)
        // typed them.
        for e in &mut exprs {
            if self.is_unknown(e) {
                let x = std::mem::replace(e, Expr::boolean(false));
                *e = self.coerce_to(x, DataType::Varchar)?;
            }
        }
        let is_aggregate = !groups.is_empty() || !aggs.is_empty() || having.is_some();
        let mut known: Vec<(ColumnId, bool)> =
            scope.columns.iter().map(|c| (c.id, c.nullable)).collect();
        if is_aggregate {
            if groups.iter().any(has_correlated_subquery) {
                return crate::unsupported!("correlated subqueries in GROUP BY");
            }
            // Correlated subqueries in aggregate arguments are joined below the Aggregate.
            if aggs
                .iter()
                .any(|(c, _)| c.arg.as_ref().is_some_and(has_correlated_subquery))
            {
                let args = aggs
                    .iter()
                    .map(|(c, _)| c.arg.clone().unwrap_or_else(|| Expr::boolean(true)))
                    .collect();
                let (p, args) = self.unnest_scalars(plan, args)?;
                plan = p;
                for ((c, _), a) in aggs.iter_mut().zip(args) {
                    if c.arg.is_some() {
                        c.arg = Some(a);
                    }
                }
            }
            let mut group_by = Vec::with_capacity(groups.len());
            for g in &groups {
                let name = match g {
                    Expr::Column { id, .. } => scope
                        .columns
                        .iter()
                        .find(|c| c.id == *id)
                        .map_or("?column?".to_string(), |c| c.name.clone()),
                    _ => "?column?".to_string(),
                };
                let null = nullable(g, &|id| scope.nullable(id));
                let f = self.new_field(name, g.data_type(), null);
                group_by.push((g.clone(), f));
            }
            let out_ids: Vec<ColumnId> = group_by
                .iter()
                .map(|(_, f)| f.id)
                .chain(aggs.iter().map(|(_, f)| f.id))
                .collect();
            let fin = |e: Expr| finalize_agg_expr(e, &group_by, &out_ids, &scope);
            exprs = exprs.into_iter().map(fin).collect::<Result<_>>()?;
            having = having.map(fin).transpose()?;
            qualify = qualify.map(fin).transpose()?;
            windows.finalize(&fin)?;
            for (t, ..) in &mut sort {
                if let SortTarget::Hidden(e) = t {
                    *e = fin(std::mem::replace(e, Expr::boolean(false)))?;
                }
            }
            self.regroup_outer_refs(&group_by, &scope, &mut exprs, &mut having, &mut sort)?;
            // Grouping sets: absent keys group as (and output) NULL.
            for (g, f) in &mut group_by {
                if absent_keys.contains(g) {
                    *g = Expr::literal(Value::Null, f.ty);
                    f.nullable = true;
                }
            }
            let all_absent = !group_by.is_empty()
                && group_by.iter().all(|(g, _)| {
                    matches!(
                        g,
                        Expr::Literal {
                            value: Value::Null,
                            ..
                        }
                    )
                })
                && !absent_keys.is_empty();
            known = group_by
                .iter()
                .map(|(_, f)| (f.id, f.nullable))
                .chain(aggs.iter().map(|(_, f)| (f.id, f.nullable)))
                .collect();
            if all_absent {
                // The empty grouping set: one row even for empty input.
                let mut outs: Vec<(Expr, Field)> = group_by
                    .iter()
                    .map(|(_, f)| (Expr::literal(Value::Null, f.ty), f.clone()))
                    .collect();
                outs.extend(
                    aggs.iter()
                        .map(|(_, f)| (Expr::column(f.id, f.ty), f.clone())),
                );
                plan = LogicalPlan::Project {
                    input: Box::new(LogicalPlan::Aggregate {
                        input: Box::new(plan),
                        group_by: Vec::new(),
                        aggregates: aggs,
                    }),
                    exprs: outs,
                };
            } else {
                plan = LogicalPlan::Aggregate {
                    input: Box::new(plan),
                    group_by,
                    aggregates: aggs,
                };
            }
            if let Some(h) = having {
                plan = self.unnest_filter(plan, h)?;
            }
        }
        plan = windows.plan(plan)?;
        if let Some(q) = qualify.take() {
            plan = self.unnest_filter(plan, q)?;
        }
        // Correlated scalar subqueries of the select list and ORDER BY become left joins.
        if exprs.iter().any(has_correlated_subquery)
            || sort
                .iter()
                .any(|(t, ..)| matches!(t, SortTarget::Hidden(e) if has_correlated_subquery(e)))
        {
            let n = exprs.len();
            let mut all = std::mem::take(&mut exprs);
            for (t, ..) in &mut sort {
                if let SortTarget::Hidden(e) = t {
                    all.push(std::mem::replace(e, Expr::boolean(false)));
                }
            }
            let (p, mut all) = self.unnest_scalars(plan, all)?;
            plan = p;
            let hidden = all.split_off(n);
            exprs = all;
            let mut hidden = hidden.into_iter();
            for (t, ..) in &mut sort {
                if let SortTarget::Hidden(e) = t {
                    *e = hidden.next().unwrap_or_else(|| Expr::boolean(false));
                }
            }
        }
        let col_nullable =
            |id: ColumnId| known.iter().find(|(k, _)| *k == id).is_none_or(|(_, n)| *n);

        // Project: select list then hidden sort columns.
        let mut project = Vec::with_capacity(exprs.len());
        for (e, item) in exprs.into_iter().zip(&items) {
            let f = self.new_field(
                item.name.clone(),
                e.data_type(),
                nullable(&e, &col_nullable),
            );
            project.push((e, f));
        }
        let visible = project.len();
        let mut keys = Vec::with_capacity(sort.len());
        for (target, ascending, nulls_first) in sort {
            let i = match target {
                SortTarget::Output(i) => i,
                SortTarget::Hidden(e) => {
                    if let Some(i) = project.iter().position(|(p, _)| *p == e) {
                        i
                    } else {
                        let f =
                            self.new_field("?sort?", e.data_type(), nullable(&e, &col_nullable));
                        project.push((e, f));
                        project.len() - 1
                    }
                }
            };
            let f = &project[i].1;
            keys.push(SortKey {
                expr: Expr::column(f.id, f.ty),
                ascending,
                nulls_first,
            });
        }
        let has_hidden = project.len() > visible;
        plan = LogicalPlan::Project {
            input: Box::new(plan),
            exprs: project,
        };
        let distinct_on = keys.split_off(order_keys);
        match &s.distinct {
            None | Some(ast::Distinct::All) => {}
            Some(ast::Distinct::Distinct) => {
                if has_hidden {
                    return crate::bind_err!(
                        "for SELECT DISTINCT, ORDER BY expressions must appear in select list"
                    );
                }
                plan = LogicalPlan::Distinct {
                    input: Box::new(plan),
                };
            }
            Some(ast::Distinct::On(_)) => plan = self.first_of_each(plan, distinct_on, &keys)?,
        }
        if !keys.is_empty() {
            plan = LogicalPlan::Sort {
                input: Box::new(plan),
                keys,
            };
        }
        Ok((plan, visible))
    }

    /// `SELECT DISTINCT ON (on) ... ORDER BY order`: the first row, in `order`, of each group
    /// of rows equal on `on` (NULLs equal), as PostgreSQL: `row_number() OVER (PARTITION BY
    /// on ORDER BY order) = 1`. The `on` keys must be the leading ORDER BY keys.
    fn first_of_each(
        &mut self,
        plan: LogicalPlan,
        on: Vec<SortKey>,
        order: &[SortKey],
    ) -> Result<LogicalPlan> {
        if !order.is_empty() {
            let leading = &order[..on.len().min(order.len())];
            let matches = leading.len() == on.len()
                && leading.iter().all(|k| on.iter().any(|o| o.expr == k.expr));
            if !matches {
                return crate::bind_err!(
                    "SELECT DISTINCT ON expressions must match initial ORDER BY expressions"
                );
            }
        }
        let number = self.new_field("?row_number?", DataType::Int64, false);
        let call = WindowCall {
            func: WindowFunc::RowNumber,
            args: vec![],
            partition_by: on.into_iter().map(|k| k.expr).collect(),
            order_by: order.to_vec(),
            frame: None,
        };
        let one = Expr::literal(Value::Int64(1), DataType::Int64);
        let first = Expr::Binary {
            op: BinaryOp::Eq,
            left: Box::new(Expr::column(number.id, number.ty)),
            right: Box::new(one),
            ty: DataType::Boolean,
        };
        Ok(LogicalPlan::Filter {
            input: Box::new(LogicalPlan::Window {
                input: Box::new(plan),
                functions: vec![(call, number)],
            }),
            predicate: first,
        })
    }

    /// In an aggregate query, makes correlated subqueries of the select list, HAVING and ORDER
    /// BY refer to the Aggregate's group-key outputs instead of the FROM columns they named.
    fn regroup_outer_refs(
        &mut self,
        group_by: &[(Expr, Field)],
        scope: &Scope,
        exprs: &mut [Expr],
        having: &mut Option<Expr>,
        sort: &mut [(SortTarget, bool, bool)],
    ) -> Result<()> {
        let mut targets: Vec<&mut Expr> = exprs.iter_mut().collect();
        targets.extend(having.as_mut());
        for (t, ..) in sort.iter_mut() {
            if let SortTarget::Hidden(e) = t {
                targets.push(e);
            }
        }
        let map: HashMap<ColumnId, Expr> = group_by
            .iter()
            .filter_map(|(g, f)| match g {
                Expr::Column { id, .. } => Some((*id, Expr::column(f.id, f.ty))),
                _ => None,
            })
            .collect();
        for e in targets {
            if !has_correlated_subquery(e) {
                continue;
            }
            let renamed = rename_in_expr(std::mem::replace(e, Expr::boolean(false)), &map)?;
            let mut ungrouped = None;
            renamed.for_each_subquery(&mut |p| {
                for id in free_columns(p) {
                    if scope.columns.iter().any(|c| c.id == id) {
                        ungrouped = ungrouped.or(Some(id));
                    }
                }
            });
            if let Some(id) = ungrouped {
                let name = scope.name_of(id).unwrap_or_else(|| format!("#{}", id.0));
                return crate::bind_err!(
                    "subquery uses ungrouped column \"{name}\" from outer query"
                );
            }
            *e = renamed;
        }
        Ok(())
    }

    /// A GROUP BY key: an output ordinal, an input column, a select-list alias, or an
    /// expression over input columns (PostgreSQL's order of preference).
    fn bind_group_key(&mut self, g: &ast::Expr, items: &[Item], scope: &Scope) -> Result<Expr> {
        let item_expr = |b: &mut Self, item: &Item| -> Result<Expr> {
            match (&item.bound, item.ast) {
                (Some(e), _) => Ok(e.clone()),
                (None, Some(a)) => b.bind_expr(a, &mut ExprCtx::plain(scope, "GROUP BY")),
                (None, None) => crate::internal_err!("select item without expression"),
            }
        };
        let bound = match g {
            ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                let i = ordinal(&v.value, items.len(), "GROUP BY")?;
                item_expr(self, &items[i])?
            }
            ast::Expr::Identifier(id)
                if matches!(scope.lookup(None, &ident(id))?, Lookup::NotFound)
                    && items.iter().any(|it| it.aliased && it.name == ident(id)) =>
            {
                let name = ident(id);
                let item = items
                    .iter()
                    .find(|it| it.aliased && it.name == name)
                    .ok_or_else(|| Error::Internal("alias vanished".into()))?;
                item_expr(self, item)?
            }
            _ => self.bind_expr(g, &mut ExprCtx::plain(scope, "GROUP BY"))?,
        };
        Ok(if self.is_unknown(&bound) {
            self.coerce_to(bound, DataType::Varchar)?
        } else {
            bound
        })
    }

    /// An ORDER BY key of a SELECT: ordinal, output name, or expression (which may match a
    /// select-list expression or become a hidden column).
    fn bind_sort_target(
        &mut self,
        e: &ast::Expr,
        items: &[Item],
        exprs: &[Expr],
        scope: &Scope,
        aggs: &mut Vec<(AggregateCall, Field)>,
    ) -> Result<SortTarget> {
        match e {
            ast::Expr::Value(v) if matches!(v.value, ast::Value::Number(..)) => {
                return Ok(SortTarget::Output(ordinal(
                    &v.value,
                    items.len(),
                    "ORDER BY",
                )?));
            }
            ast::Expr::Identifier(id) => {
                let name = ident(id);
                let matches: Vec<usize> = items
                    .iter()
                    .enumerate()
                    .filter(|(_, it)| it.name == name)
                    .map(|(i, _)| i)
                    .collect();
                if let Some(&first) = matches.first() {
                    if matches.iter().any(|&i| exprs[i] != exprs[first]) {
                        return crate::bind_err!("ORDER BY \"{name}\" is ambiguous");
                    }
                    return Ok(SortTarget::Output(first));
                }
            }
            _ => {}
        }
        let mut cx = ExprCtx {
            scope,
            aggs: Some(aggs),
            clause: "ORDER BY",
        };
        let bound = self.bind_expr(e, &mut cx)?;
        let bound = if self.is_unknown(&bound) {
            self.coerce_to(bound, DataType::Varchar)?
        } else {
            bound
        };
        Ok(match exprs.iter().position(|x| *x == bound) {
            Some(i) => SortTarget::Output(i),
            None => SortTarget::Hidden(bound),
        })
    }
}

thread_local! {
    /// While binding one grouping set of GROUPING SETS / ROLLUP / CUBE: the GROUP BY keys
    /// absent from it (for `GROUPING(...)`).
    pub(crate) static GROUPING_ABSENT: std::cell::RefCell<Option<Vec<ast::Expr>>> =
        const { std::cell::RefCell::new(None) };
}

/// Most grouping sets one query may expand to.
const MAX_GROUPING_SETS: usize = 256;

/// The grouping sets of a GROUP BY with ROLLUP / CUBE / GROUPING SETS (None for a plain
/// GROUP BY): the cross product of each item's sets, in PostgreSQL's order.
fn grouping_sets(s: &ast::Select) -> Result<Option<Vec<Vec<ast::Expr>>>> {
    let ast::GroupByExpr::Expressions(exprs, modifiers) = &s.group_by else {
        return Ok(None);
    };
    let special = |e: &ast::Expr| {
        matches!(
            e,
            ast::Expr::Rollup(_) | ast::Expr::Cube(_) | ast::Expr::GroupingSets(_)
        )
    };
    if modifiers.is_empty() && !exprs.iter().any(special) {
        return Ok(None);
    }
    let rollup = |elems: &[Vec<ast::Expr>]| -> Vec<Vec<ast::Expr>> {
        (0..=elems.len())
            .rev()
            .map(|i| elems[..i].concat())
            .collect()
    };
    let cube = |elems: &[Vec<ast::Expr>]| -> Result<Vec<Vec<ast::Expr>>> {
        let n = elems.len();
        if n > 8 {
            return crate::unsupported!("CUBE of more than 8 elements");
        }
        Ok((0..1usize << n)
            .rev()
            .map(|mask| {
                (0..n)
                    .filter(|i| mask & (1 << (n - 1 - i)) != 0)
                    .flat_map(|i| elems[i].iter().cloned())
                    .collect()
            })
            .collect())
    };
    let mut sets: Vec<Vec<ast::Expr>> = vec![Vec::new()];
    for e in exprs {
        let options = match e {
            ast::Expr::Rollup(elems) => rollup(elems),
            ast::Expr::Cube(elems) => cube(elems)?,
            ast::Expr::GroupingSets(g) => g.clone(),
            other => vec![vec![other.clone()]],
        };
        let mut next = Vec::with_capacity(sets.len() * options.len());
        for a in &sets {
            for b in &options {
                next.push([a.clone(), b.clone()].concat());
            }
        }
        if next.len() > MAX_GROUPING_SETS {
            return crate::unsupported!("more than {MAX_GROUPING_SETS} grouping sets");
        }
        sets = next;
    }
    for m in modifiers {
        if exprs.iter().any(special) {
            return crate::unsupported!("WITH {m} together with ROLLUP/CUBE/GROUPING SETS");
        }
        let elems: Vec<Vec<ast::Expr>> = exprs.iter().map(|e| vec![e.clone()]).collect();
        sets = match m {
            ast::GroupByWithModifier::Rollup => rollup(&elems),
            ast::GroupByWithModifier::Cube => cube(&elems)?,
            other => return crate::unsupported!("GROUP BY ... {other}"),
        };
    }
    Ok(Some(sets))
}

fn check_select_supported(s: &ast::Select) -> Result<()> {
    let what = if s.top.is_some() {
        "TOP"
    } else if s.into.is_some() {
        "SELECT INTO"
    } else if !s.lateral_views.is_empty() {
        "LATERAL VIEW"
    } else if s.prewhere.is_some() {
        "PREWHERE"
    } else if !s.connect_by.is_empty() {
        "CONNECT BY"
    } else if !s.cluster_by.is_empty() || !s.distribute_by.is_empty() || !s.sort_by.is_empty() {
        "CLUSTER/DISTRIBUTE/SORT BY"
    } else if s.value_table_mode.is_some() {
        "SELECT AS VALUE/STRUCT"
    } else if s.exclude.is_some() {
        "SELECT ... EXCLUDE"
    } else if s.select_modifiers.is_some() {
        "SELECT modifiers"
    } else if !matches!(s.flavor, ast::SelectFlavor::Standard) {
        "FROM-first SELECT"
    } else {
        return Ok(());
    };
    crate::unsupported!("{what}")
}

/// Expands `*` and `t.*` and names every select-list entry.
fn expand_items<'a>(s: &'a ast::Select, scope: &Scope) -> Result<Vec<Item<'a>>> {
    let mut items = Vec::with_capacity(s.projection.len());
    let star_options_ok = |o: &ast::WildcardAdditionalOptions| {
        o.opt_ilike.is_none()
            && o.opt_exclude.is_none()
            && o.opt_except.is_none()
            && o.opt_replace.is_none()
            && o.opt_rename.is_none()
            && o.opt_alias.is_none()
    };
    for item in &s.projection {
        match item {
            ast::SelectItem::UnnamedExpr(e) => items.push(Item {
                ast: Some(e),
                bound: None,
                name: derive_name(e),
                aliased: false,
            }),
            ast::SelectItem::ExprWithAlias { expr, alias } => items.push(Item {
                ast: Some(expr),
                bound: None,
                name: ident(alias),
                aliased: true,
            }),
            ast::SelectItem::ExprWithAliases { .. } => {
                return crate::unsupported!("multiple aliases")
            }
            ast::SelectItem::Wildcard(opts) => {
                if !star_options_ok(opts) {
                    return crate::unsupported!("SELECT * with options");
                }
                if s.from.is_empty() {
                    return crate::bind_err!("SELECT * with no tables specified is not valid");
                }
                for c in scope.star(None)? {
                    items.push(Item {
                        ast: None,
                        bound: Some(c.expr()),
                        name: c.name.clone(),
                        aliased: false,
                    });
                }
            }
            ast::SelectItem::QualifiedWildcard(kind, opts) => {
                if !star_options_ok(opts) {
                    return crate::unsupported!("SELECT t.* with options");
                }
                let ast::SelectItemQualifiedWildcardKind::ObjectName(name) = kind else {
                    return crate::unsupported!("expression.*");
                };
                let q = object_name(name)?;
                for c in scope.star(Some(&q))? {
                    items.push(Item {
                        ast: None,
                        bound: Some(c.expr()),
                        name: c.name.clone(),
                        aliased: false,
                    });
                }
            }
        }
    }
    Ok(items)
}

/// The output name PostgreSQL gives an unaliased select-list expression.
fn derive_name(e: &ast::Expr) -> String {
    use ast::Expr as A;
    match e {
        A::Identifier(id) => ident(id),
        A::CompoundIdentifier(ids) => ids.last().map_or("?column?".into(), ident),
        A::Function(f) => object_name(&f.name).unwrap_or_else(|_| "?column?".into()),
        A::Cast { expr, .. } | A::Nested(expr) => derive_name(expr),
        A::Case { .. } => "case".into(),
        A::Extract { .. } => "extract".into(),
        A::Substring { .. } => "substring".into(),
        A::Trim { .. } => "btrim".into(),
        A::Exists { .. } => "exists".into(),
        A::Value(v) if matches!(v.value, ast::Value::Boolean(_)) => "bool".into(),
        _ => "?column?".into(),
    }
}

/// A 1-based position in the select list (`GROUP BY 1`, `ORDER BY 2`), as a 0-based index.
fn ordinal(v: &ast::Value, len: usize, what: &str) -> Result<usize> {
    let ast::Value::Number(n, _) = v else {
        return crate::bind_err!("non-integer constant in {what}");
    };
    match n.parse::<usize>() {
        Ok(k) if (1..=len).contains(&k) => Ok(k - 1),
        Ok(k) => crate::bind_err!("{what} position {k} is not in select list"),
        Err(_) => crate::bind_err!("non-integer constant in {what}"),
    }
}

/// ASC/DESC and NULLS FIRST/LAST, with PostgreSQL defaults (NULLS LAST for ASC).
pub(crate) fn sort_options(o: &ast::OrderByExpr) -> Result<(bool, bool)> {
    if o.with_fill.is_some() {
        return crate::unsupported!("ORDER BY ... WITH FILL");
    }
    let ascending = match &o.options.sort {
        None | Some(ast::OrderBySort::Asc) => true,
        Some(ast::OrderBySort::Desc) => false,
        Some(ast::OrderBySort::Using(_)) => return crate::unsupported!("ORDER BY ... USING"),
    };
    Ok((ascending, o.options.nulls_first.unwrap_or(!ascending)))
}

/// Whether column `i` of `plan` is a NULL literal of a select list (`SELECT NULL UNION ...`).
fn outputs_null(plan: &LogicalPlan, i: usize) -> bool {
    match plan {
        LogicalPlan::Project { exprs, .. } => {
            matches!(
                exprs.get(i),
                Some((
                    Expr::Literal {
                        value: Value::Null,
                        ty: DataType::Varchar
                    },
                    _
                ))
            )
        }
        LogicalPlan::Values { rows, .. } => rows.iter().all(|r| {
            matches!(
                r.get(i),
                Some(Expr::Literal {
                    value: Value::Null,
                    ty: DataType::Varchar
                })
            )
        }),
        LogicalPlan::Sort { input, .. }
        | LogicalPlan::Limit { input, .. }
        | LogicalPlan::LimitWithTies { input, .. }
        | LogicalPlan::Distinct { input } => outputs_null(input, i),
        _ => false,
    }
}

/// Rewrites an expression of an aggregate query to refer to the Aggregate's outputs: group-key
/// expressions become their key column; any input column left over is an error.
fn finalize_agg_expr(
    e: Expr,
    groups: &[(Expr, Field)],
    outputs: &[ColumnId],
    scope: &Scope,
) -> Result<Expr> {
    if let Some((_, f)) = groups.iter().find(|(g, _)| *g == e) {
        return Ok(Expr::column(f.id, f.ty));
    }
    match e {
        // Columns of an enclosing query (a correlated subquery) are constants here.
        Expr::Column { id, .. } if !outputs.contains(&id) && scope.name_of(id).is_some() => {
            let name = scope.name_of(id).unwrap_or_else(|| format!("#{}", id.0));
            crate::bind_err!(
                "column \"{name}\" must appear in the GROUP BY clause or be used in an aggregate function"
            )
        }
        e => e.try_map_children(&mut |c| finalize_agg_expr(c, groups, outputs, scope)),
    }
}

/// Whether an expression can produce NULL, given the nullability of the columns it reads.
pub(crate) fn nullable(e: &Expr, col: &dyn Fn(ColumnId) -> bool) -> bool {
    match e {
        Expr::Column { id, .. } => col(*id),
        Expr::Literal { value, .. } => value.is_null(),
        Expr::Param { .. } | Expr::ScalarSubquery { .. } | Expr::InSubquery { .. } => true,
        Expr::IsNull { .. } | Expr::Exists { .. } => false,
        Expr::Function {
            func: ScalarFunc::Concat,
            ..
        } => false,
        Expr::Function {
            func: ScalarFunc::NullIf,
            ..
        } => true,
        Expr::Function {
            func: ScalarFunc::Coalesce,
            args,
            ..
        } => args.iter().all(|a| nullable(a, col)),
        Expr::Case { whens, else_, .. } => {
            else_.as_ref().is_none_or(|x| nullable(x, col))
                || whens.iter().any(|(_, t)| nullable(t, col))
        }
        other => {
            let mut any = false;
            other.for_each_child(|c| any |= nullable(c, col));
            any
        }
    }
}
