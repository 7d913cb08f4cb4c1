//! Binding window function calls (`f(...) OVER (...)`, named windows of `WINDOW w AS (...)`).
//!
//! Window calls may appear in the select list and ORDER BY of a SELECT block. Before the block
//! is bound, [`Binder::bind_windows`] finds every call in those clauses, binds its arguments,
//! PARTITION BY and ORDER BY against the FROM scope (aggregates allowed: `sum(sum(x)) OVER
//! ()`) and replaces the call in a copy of the AST by a reference to a placeholder column
//! (the call's output field), visible only through [`Windows::scope`]. After grouping,
//! [`Windows::finalize`] rewrites the calls' expressions over the Aggregate's outputs and
//! [`Windows::plan`] puts the `Window` node between the Aggregate/HAVING and the Project.
//! Window calls elsewhere (WHERE, GROUP BY, HAVING, inside aggregate arguments) are errors.

use std::collections::HashMap;

use sqlparser::ast;

use super::expr::ExprCtx;
use super::scope::{Scope, ScopeColumn};
use super::unnest::has_correlated_subquery;
use super::{ident, object_name, Binder};
use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{
    AggFunc, AggregateCall, Field, Frame, FrameBound, FrameUnits, LogicalPlan, SortKey, WindowCall,
    WindowFunc,
};
use crate::types::{DataType, Value, DECIMAL_MAX_PRECISION};

/// Prefix of placeholder column names (cannot be written in SQL without quotes).
const PLACEHOLDER: &str = "\u{1}window";

/// The select list and ORDER BY with window calls replaced by placeholders.
#[derive(Default)]
pub(crate) struct WindowAsts {
    /// Rewritten select-list expressions, keyed by the address of the original.
    items: Vec<(*const ast::Expr, ast::Expr)>,
    order_by: Option<ast::OrderBy>,
    /// The QUALIFY condition, its window calls replaced.
    pub qualify: Option<ast::Expr>,
}

impl WindowAsts {
    /// The expression to bind in place of `e` (a select-list expression of the block).
    pub fn item<'a>(&'a self, e: &'a ast::Expr) -> &'a ast::Expr {
        self.items
            .iter()
            .find(|(p, _)| std::ptr::eq(*p, e))
            .map_or(e, |(_, r)| r)
    }

    /// The ORDER BY to bind in place of `ob`.
    pub fn order_by<'a>(&'a self, ob: Option<&'a ast::OrderBy>) -> Option<&'a ast::OrderBy> {
        self.order_by.as_ref().or(ob)
    }
}

/// The bound window calls of one SELECT block.
#[derive(Default)]
pub(crate) struct Windows {
    calls: Vec<(WindowCall, Field)>,
}

impl Windows {
    /// `scope` plus the placeholder columns standing for the window calls.
    pub fn scope(&self, scope: &Scope) -> Scope {
        let mut s = scope.clone();
        for (i, (_, f)) in self.calls.iter().enumerate() {
            s.columns.push(ScopeColumn {
                qualifier: None,
                name: format!("{PLACEHOLDER}{i}"),
                id: f.id,
                ty: f.ty,
                nullable: f.nullable,
                hidden: false,
            });
        }
        s
    }

    /// Rewrites the calls' expressions (in an aggregate query: over the Aggregate's outputs).
    pub fn finalize(&mut self, f: &dyn Fn(Expr) -> Result<Expr>) -> Result<()> {
        let calls = std::mem::take(&mut self.calls);
        self.calls = calls
            .into_iter()
            .map(|(c, fl)| Ok((c.try_map_exprs(&mut |e| f(e))?, fl)))
            .collect::<Result<_>>()?;
        Ok(())
    }

    /// `plan` with a Window node computing the calls on top (unchanged if there are none).
    pub fn plan(self, plan: LogicalPlan) -> Result<LogicalPlan> {
        if self.calls.is_empty() {
            return Ok(plan);
        }
        if self
            .calls
            .iter()
            .any(|(c, _)| c.exprs().any(has_correlated_subquery))
        {
            return crate::unsupported!("correlated subqueries in window functions");
        }
        Ok(LogicalPlan::Window {
            input: Box::new(plan),
            functions: self.calls,
        })
    }
}

/// Whether `e` contains a window function call (in the expression forms the binder walks).
pub(crate) fn has_window(e: &ast::Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if matches!(e, ast::Expr::Function(f) if f.over.is_some()) {
            return true;
        }
        children(e, &mut stack);
    }
    false
}

/// Whether `e` calls an aggregate function (not as a window function).
pub(crate) fn has_aggregate(e: &ast::Expr) -> bool {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        if let ast::Expr::Function(f) = e {
            let aggregate = f.over.is_none()
                && object_name(&f.name).is_ok_and(|n| super::func::is_aggregate(&n));
            if aggregate {
                return true;
            }
        }
        children(e, &mut stack);
    }
    false
}

/// Pushes the direct subexpressions of an AST expression that may hold window calls onto a
/// stack, for the shared walk (`children!(e, out)`) and the mutable one (`children!(e, out,
/// mut)`): one body, so the two walks cannot drift apart. Function calls contribute their
/// arguments, their `ORDER BY` and `WITHIN GROUP` keys and their FILTER.
macro_rules! children {
    ($e:expr, $out:expr $(, $m:tt)?) => {{
        use ast::Expr as A;
        match $e {
            A::Function(f) => {
                if let ast::FunctionArguments::List(list) = &$($m)? f.args {
                    for a in &$($m)? list.args {
                        if let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) = a {
                            $out.push(x);
                        }
                    }
                    for c in &$($m)? list.clauses {
                        if let ast::FunctionArgumentClause::OrderBy(keys) = c {
                            $out.extend(keys.into_iter().map(|k| &$($m)? k.expr));
                        }
                    }
                }
                $out.extend((&$($m)? f.within_group).into_iter().map(|k| &$($m)? k.expr));
                if let Some(x) = &$($m)? f.filter {
                    $out.push(x);
                }
            }
            A::BinaryOp { left: a, right: b, .. }
            | A::IsDistinctFrom(a, b)
            | A::IsNotDistinctFrom(a, b)
            | A::Like { expr: a, pattern: b, .. }
            | A::ILike { expr: a, pattern: b, .. } => {
                $out.push(a);
                $out.push(b);
            }
            A::UnaryOp { expr, .. }
            | A::Nested(expr)
            | A::Cast { expr, .. }
            | A::IsNull(expr)
            | A::IsNotNull(expr)
            | A::IsUnknown(expr)
            | A::IsNotUnknown(expr)
            | A::IsTrue(expr)
            | A::IsFalse(expr)
            | A::IsNotTrue(expr)
            | A::IsNotFalse(expr)
            | A::Extract { expr, .. }
            | A::Trim { expr, .. }
            | A::Collate { expr, .. } => $out.push(expr),
            A::In { expr, target, .. } => {
                $out.push(expr);
                if let ast::InTarget::List(list) = target {
                    $out.extend(list);
                }
            }
            A::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                $out.push(expr);
                if let Some(x) = substring_from {
                    $out.push(x);
                }
                if let Some(x) = substring_for {
                    $out.push(x);
                }
            }
            A::Between {
                expr, low, high, ..
            } => {
                $out.push(expr);
                $out.push(low);
                $out.push(high);
            }
            A::Case {
                operand,
                conditions,
                else_result,
                ..
            } => {
                if let Some(x) = operand {
                    $out.push(x);
                }
                for c in conditions {
                    $out.push(&$($m)? c.condition);
                    $out.push(&$($m)? c.result);
                }
                if let Some(x) = else_result {
                    $out.push(x);
                }
            }
            _ => {}
        }
    }};
}

/// The direct subexpressions of `e` that may hold window calls (iteratively walked, so long
/// operator chains cannot overflow the stack).
fn children<'a>(e: &'a ast::Expr, out: &mut Vec<&'a ast::Expr>) {
    children!(e, out)
}

/// `children` for a mutable walk.
fn children_mut<'a>(e: &'a mut ast::Expr, out: &mut Vec<&'a mut ast::Expr>) {
    children!(e, out, mut)
}

/// Calls `on_call` for every function call in `e` (outer calls first; arguments of calls it
/// replaces are not visited) and replaces the call by its result if `Some`.
fn walk(
    e: &mut ast::Expr,
    on_call: &mut dyn FnMut(&ast::Function) -> Result<Option<ast::Expr>>,
) -> Result<()> {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        let replacement = match &*e {
            ast::Expr::Function(f) => on_call(f)?,
            _ => None,
        };
        match replacement {
            Some(r) => *e = r,
            None => children_mut(e, &mut stack),
        }
    }
    Ok(())
}

/// Replaces each bare identifier `e` contains by `alias(name)` where that gives an
/// expression (select-list aliases in QUALIFY).
pub(crate) fn substitute_identifiers(
    e: &mut ast::Expr,
    alias: &mut dyn FnMut(&str) -> Result<Option<ast::Expr>>,
) -> Result<()> {
    let mut stack = vec![e];
    while let Some(e) = stack.pop() {
        let replacement = match &*e {
            ast::Expr::Identifier(id) => alias(&ident(id))?,
            _ => None,
        };
        match replacement {
            Some(r) => *e = r,
            None => children_mut(e, &mut stack),
        }
    }
    Ok(())
}

/// Resolves `WINDOW w AS (...)` definitions.
fn named_windows(s: &ast::Select) -> Result<HashMap<String, ast::WindowSpec>> {
    let mut out: HashMap<String, ast::WindowSpec> = HashMap::new();
    for ast::NamedWindowDefinition(name, def) in &s.named_window {
        let spec = match def {
            ast::NamedWindowExpr::WindowSpec(spec) => spec.clone(),
            ast::NamedWindowExpr::NamedWindow(base) => ast::WindowSpec {
                window_name: Some(base.clone()),
                partition_by: Vec::new(),
                order_by: Vec::new(),
                window_frame: None,
            },
        };
        let spec = resolve_spec(&spec, &out)?;
        if out.insert(ident(name), spec).is_some() {
            return crate::bind_err!("window \"{}\" is already defined", ident(name));
        }
    }
    Ok(out)
}

/// Merges `spec` with the named window it refers to (`OVER (w ORDER BY x)`).
fn resolve_spec(
    spec: &ast::WindowSpec,
    named: &HashMap<String, ast::WindowSpec>,
) -> Result<ast::WindowSpec> {
    let Some(base) = &spec.window_name else {
        return Ok(spec.clone());
    };
    let name = ident(base);
    let Some(b) = named.get(&name) else {
        return crate::bind_err!("window \"{name}\" does not exist");
    };
    if !spec.partition_by.is_empty() {
        return crate::bind_err!("cannot override PARTITION BY clause of window \"{name}\"");
    }
    if !spec.order_by.is_empty() && !b.order_by.is_empty() {
        return crate::bind_err!("cannot override ORDER BY clause of window \"{name}\"");
    }
    if b.window_frame.is_some() {
        return crate::bind_err!("cannot copy window \"{name}\" because it has a frame clause");
    }
    Ok(ast::WindowSpec {
        window_name: None,
        partition_by: b.partition_by.clone(),
        order_by: if spec.order_by.is_empty() {
            b.order_by.clone()
        } else {
            spec.order_by.clone()
        },
        window_frame: spec.window_frame.clone(),
    })
}

impl Binder<'_> {
    /// Binds the window calls of a SELECT block (see the module docs). Errors for window calls
    /// in WHERE, GROUP BY or HAVING.
    pub(crate) fn bind_windows(
        &mut self,
        s: &ast::Select,
        order_by: Option<&ast::OrderBy>,
        scope: &Scope,
        aggs: &mut Vec<(AggregateCall, Field)>,
    ) -> Result<(WindowAsts, Windows)> {
        for (clause, e) in [("WHERE", &s.selection), ("HAVING", &s.having)] {
            if e.as_ref().is_some_and(has_window) {
                return crate::bind_err!("window functions are not allowed in {clause}");
            }
        }
        if let ast::GroupByExpr::Expressions(exprs, _) = &s.group_by {
            if exprs.iter().any(has_window) {
                return crate::bind_err!("window functions are not allowed in GROUP BY");
            }
        }
        let named = named_windows(s)?;
        let mut asts = WindowAsts::default();
        let mut windows = Windows::default();
        for item in &s.projection {
            let e = match item {
                ast::SelectItem::UnnamedExpr(e)
                | ast::SelectItem::ExprWithAlias { expr: e, .. } => e,
                _ => continue,
            };
            if !has_window(e) {
                continue;
            }
            let mut copy = e.clone();
            self.replace_calls(&mut copy, &named, scope, aggs, &mut windows)?;
            asts.items.push((e as *const ast::Expr, copy));
        }
        if let Some(q) = &s.qualify {
            let mut copy = q.clone();
            self.replace_calls(&mut copy, &named, scope, aggs, &mut windows)?;
            asts.qualify = Some(copy);
        }
        if let Some(ob) = order_by {
            if let ast::OrderByKind::Expressions(list) = &ob.kind {
                if list.iter().any(|o| has_window(&o.expr)) {
                    let mut copy = ob.clone();
                    if let ast::OrderByKind::Expressions(list) = &mut copy.kind {
                        for o in list {
                            self.replace_calls(&mut o.expr, &named, scope, aggs, &mut windows)?;
                        }
                    }
                    asts.order_by = Some(copy);
                }
            }
        }
        Ok((asts, windows))
    }

    fn replace_calls(
        &mut self,
        e: &mut ast::Expr,
        named: &HashMap<String, ast::WindowSpec>,
        scope: &Scope,
        aggs: &mut Vec<(AggregateCall, Field)>,
        windows: &mut Windows,
    ) -> Result<()> {
        walk(e, &mut |f| {
            let Some(over) = &f.over else {
                let name = object_name(&f.name)?;
                if super::func::is_aggregate(&name) && has_window(&ast::Expr::Function(f.clone())) {
                    return crate::bind_err!(
                        "aggregate function calls cannot contain window function calls"
                    );
                }
                return Ok(None);
            };
            let spec = match over {
                ast::WindowType::WindowSpec(spec) => resolve_spec(spec, named)?,
                ast::WindowType::NamedWindow(name) => match named.get(&ident(name)) {
                    Some(spec) => spec.clone(),
                    None => return crate::bind_err!("window \"{}\" does not exist", ident(name)),
                },
            };
            let (call, name, ty, nullable) = self.bind_window_call(f, &spec, scope, aggs)?;
            let i = match windows.calls.iter().position(|(c, _)| *c == call) {
                Some(i) => i,
                None => {
                    let field = self.new_field(name, ty, nullable);
                    windows.calls.push((call, field));
                    windows.calls.len() - 1
                }
            };
            Ok(Some(ast::Expr::Identifier(ast::Ident::with_quote(
                '"',
                format!("{PLACEHOLDER}{i}"),
            ))))
        })
    }

    /// Binds one call: returns it with its output name, type and nullability.
    fn bind_window_call(
        &mut self,
        f: &ast::Function,
        spec: &ast::WindowSpec,
        scope: &Scope,
        aggs: &mut Vec<(AggregateCall, Field)>,
    ) -> Result<(WindowCall, String, DataType, bool)> {
        let name = object_name(&f.name)?;
        if f.filter.is_some() {
            return crate::unsupported!("FILTER clause on window function {name}");
        }
        if f.null_treatment.is_some() {
            return crate::unsupported!("IGNORE/RESPECT NULLS on {name}");
        }
        if !f.within_group.is_empty() || !matches!(f.parameters, ast::FunctionArguments::None) {
            return crate::unsupported!("window function {name} with this syntax");
        }
        let mut star = false;
        let mut arg_asts: Vec<&ast::Expr> = Vec::new();
        match &f.args {
            ast::FunctionArguments::None => {}
            ast::FunctionArguments::Subquery(_) => {
                return crate::unsupported!("{name}(subquery) (write {name}((subquery)))")
            }
            ast::FunctionArguments::List(list) => {
                if matches!(
                    list.duplicate_treatment,
                    Some(ast::DuplicateTreatment::Distinct)
                ) {
                    return crate::unsupported!("DISTINCT in window function {name}");
                }
                match list.clauses.first() {
                    Some(ast::FunctionArgumentClause::OrderBy(_)) => {
                        return crate::unsupported!(
                        "aggregate ORDER BY in window function {name} (order the window instead)"
                    )
                    }
                    Some(c) => return crate::unsupported!("{name}(... {c})"),
                    None => {}
                }
                for a in &list.args {
                    match a {
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x)) => {
                            arg_asts.push(x)
                        }
                        ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Wildcard)
                            if name == "count" && list.args.len() == 1 =>
                        {
                            star = true
                        }
                        _ => return crate::bind_err!("invalid argument in {name}(...)"),
                    }
                }
            }
        }
        let mut args = Vec::with_capacity(arg_asts.len());
        for a in &arg_asts {
            if has_window(a) {
                return crate::bind_err!("window function calls cannot be nested");
            }
            let mut cx = ExprCtx {
                scope,
                aggs: Some(&mut *aggs),
                clause: "window function arguments",
            };
            let x = self.bind_expr(a, &mut cx)?;
            let x = self.settle(x);
            args.push(if self.is_unknown(&x) {
                self.coerce_to(x, DataType::Varchar)?
            } else {
                x
            });
        }
        let arity = |n: std::ops::RangeInclusive<usize>| -> Result<()> {
            if n.contains(&args.len()) {
                Ok(())
            } else {
                crate::bind_err!(
                    "function {name} takes {n:?} argument(s), not {}",
                    args.len()
                )
            }
        };
        let arg_ty = args.first().map(Expr::data_type);
        let (func, ty, nullable) = match name.as_str() {
            "row_number" | "rank" | "dense_rank" => {
                arity(0..=0)?;
                let func = match name.as_str() {
                    "row_number" => WindowFunc::RowNumber,
                    "rank" => WindowFunc::Rank,
                    _ => WindowFunc::DenseRank,
                };
                (func, DataType::Int64, false)
            }
            "lag" | "lead" => {
                arity(1..=3)?;
                let ty = arg_ty.unwrap_or(DataType::Varchar);
                if let Some(off) = args.get(1) {
                    let t = off.data_type();
                    if !t.is_integer() && !self.is_unknown(off) {
                        return crate::type_err!("function {name}({ty}, {t}) does not exist");
                    }
                    args[1] = self.coerce_to(args[1].clone(), DataType::Int64)?;
                } else {
                    args.push(Expr::literal(Value::Int64(1), DataType::Int64));
                }
                if args.len() == 3 {
                    let d = args[2].clone();
                    if !self.is_unknown(&d)
                        && d.data_type() != ty
                        && super::coerce::common_type(d.data_type(), ty).is_none()
                    {
                        return crate::type_err!(
                            "default value of {name} has type {}, not {ty}",
                            d.data_type()
                        );
                    }
                    args[2] = self.coerce_to(d, ty)?;
                }
                let func = if name == "lag" {
                    WindowFunc::Lag
                } else {
                    WindowFunc::Lead
                };
                (func, ty, true)
            }
            "first_value" | "last_value" => {
                arity(1..=1)?;
                let func = if name == "first_value" {
                    WindowFunc::FirstValue
                } else {
                    WindowFunc::LastValue
                };
                (func, arg_ty.unwrap_or(DataType::Varchar), true)
            }
            "nth_value" => {
                arity(2..=2)?;
                let ty = arg_ty.unwrap_or(DataType::Varchar);
                args[1] = self.int_window_arg(args[1].clone(), &name, DataType::Int64)?;
                (WindowFunc::NthValue, ty, true)
            }
            "ntile" => {
                arity(1..=1)?;
                args[0] = self.int_window_arg(args[0].clone(), &name, DataType::Int64)?;
                (WindowFunc::Ntile, DataType::Int32, true)
            }
            "percent_rank" | "cume_dist" => {
                arity(0..=0)?;
                let func = if name == "percent_rank" {
                    WindowFunc::PercentRank
                } else {
                    WindowFunc::CumeDist
                };
                (func, DataType::Float64, false)
            }
            "count" | "sum" | "avg" | "min" | "max" => {
                if star {
                    args.clear();
                } else {
                    arity(1..=1)?;
                }
                let agg = match name.as_str() {
                    "count" if star => AggFunc::CountStar,
                    "count" => AggFunc::Count,
                    "sum" => AggFunc::Sum,
                    "avg" => AggFunc::Avg,
                    "min" => AggFunc::Min,
                    _ => AggFunc::Max,
                };
                let ty = match (agg, arg_ty) {
                    (AggFunc::CountStar | AggFunc::Count, _) => DataType::Int64,
                    (AggFunc::Sum, Some(DataType::Int32 | DataType::Int64)) => DataType::Int64,
                    (AggFunc::Sum, Some(DataType::Decimal { scale, .. })) => DataType::Decimal {
                        precision: DECIMAL_MAX_PRECISION,
                        scale,
                    },
                    (AggFunc::Sum, Some(DataType::Float64)) => DataType::Float64,
                    (AggFunc::Avg, Some(t)) if t.is_numeric() => DataType::Float64,
                    (AggFunc::Min | AggFunc::Max, Some(t)) => t,
                    (_, t) => {
                        let t = t.map_or("*".to_string(), |t| t.to_string());
                        return crate::type_err!("function {name}({t}) does not exist");
                    }
                };
                let nullable = !matches!(agg, AggFunc::CountStar | AggFunc::Count);
                (WindowFunc::Agg(agg), ty, nullable)
            }
            _ if super::func::is_aggregate(&name) => {
                return crate::unsupported!("aggregate {name} as a window function")
            }
            _ => {
                return crate::unsupported!("window function {name}");
            }
        };
        if star && !matches!(func, WindowFunc::Agg(AggFunc::CountStar)) {
            return crate::bind_err!("{name}(*) is not allowed");
        }

        let mut partition_by = Vec::with_capacity(spec.partition_by.len());
        for p in &spec.partition_by {
            if has_window(p) {
                return crate::bind_err!("window functions are not allowed in window definitions");
            }
            let mut cx = ExprCtx {
                scope,
                aggs: Some(&mut *aggs),
                clause: "PARTITION BY",
            };
            let x = self.bind_expr(p, &mut cx)?;
            partition_by.push(if self.is_unknown(&x) {
                self.coerce_to(x, DataType::Varchar)?
            } else {
                x
            });
        }
        let mut order_by = Vec::with_capacity(spec.order_by.len());
        for o in &spec.order_by {
            if has_window(&o.expr) {
                return crate::bind_err!("window functions are not allowed in window definitions");
            }
            let (ascending, nulls_first) = super::select::sort_options(o)?;
            let mut cx = ExprCtx {
                scope,
                aggs: Some(&mut *aggs),
                clause: "window ORDER BY",
            };
            let x = self.bind_expr(&o.expr, &mut cx)?;
            let x = if self.is_unknown(&x) {
                self.coerce_to(x, DataType::Varchar)?
            } else {
                x
            };
            order_by.push(SortKey {
                expr: x,
                ascending,
                nulls_first,
            });
        }
        let frame = match &spec.window_frame {
            Some(fr) => Some(self.bind_frame(fr, &order_by)?),
            None => None,
        };
        let call = WindowCall {
            func,
            args,
            partition_by,
            order_by,
            frame,
        };
        Ok((call, name, ty, nullable))
    }

    /// An integer argument of a window function (`ntile(n)`, `nth_value(x, n)`) as `ty`.
    fn int_window_arg(&mut self, e: Expr, name: &str, ty: DataType) -> Result<Expr> {
        let t = e.data_type();
        if !t.is_integer() && !self.is_unknown(&e) {
            return crate::type_err!("function {name} needs an integer argument, not {t}");
        }
        self.coerce_to(e, ty)
    }

    fn bind_frame(&mut self, fr: &ast::WindowFrame, order_by: &[SortKey]) -> Result<Frame> {
        let units = match fr.units {
            ast::WindowFrameUnits::Rows => FrameUnits::Rows,
            ast::WindowFrameUnits::Range => FrameUnits::Range,
            ast::WindowFrameUnits::Groups => FrameUnits::Groups,
        };
        if units == FrameUnits::Groups && order_by.is_empty() {
            return crate::bind_err!("GROUPS mode requires an ORDER BY clause");
        }
        // RANGE offsets are in the units of the one ORDER BY key (integer, or the scaled
        // integer of a decimal).
        let key_scale = match units {
            FrameUnits::Rows | FrameUnits::Groups => None,
            FrameUnits::Range => match order_by {
                [k] => match k.expr.data_type() {
                    DataType::Int32 | DataType::Int64 => Some(Ok(0)),
                    DataType::Decimal { scale, .. } => Some(Ok(scale)),
                    t => Some(Err(t)),
                },
                _ => None,
            },
        };
        let has_offset = |b: &ast::WindowFrameBound| {
            matches!(
                b,
                ast::WindowFrameBound::Preceding(Some(_))
                    | ast::WindowFrameBound::Following(Some(_))
            )
        };
        if units == FrameUnits::Range
            && (has_offset(&fr.start_bound) || fr.end_bound.as_ref().is_some_and(has_offset))
        {
            match key_scale {
                None => {
                    return crate::bind_err!(
                        "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column"
                    )
                }
                Some(Err(t)) => {
                    return crate::unsupported!(
                        "RANGE frames with an offset on a {t} ORDER BY key (use ROWS)"
                    )
                }
                Some(Ok(_)) => {}
            }
        }
        let scale = match key_scale {
            Some(Ok(s)) => s,
            _ => 0,
        };
        let start = self.bind_bound(&fr.start_bound, scale)?;
        let end = match &fr.end_bound {
            Some(b) => self.bind_bound(b, scale)?,
            None => FrameBound::CurrentRow,
        };
        use FrameBound as B;
        match (start, end) {
            (B::UnboundedFollowing, _) => {
                crate::bind_err!("frame start cannot be UNBOUNDED FOLLOWING")
            }
            (_, B::UnboundedPreceding) => {
                crate::bind_err!("frame end cannot be UNBOUNDED PRECEDING")
            }
            (B::CurrentRow, B::Preceding(_)) => {
                crate::bind_err!("frame starting from current row cannot have preceding rows")
            }
            (B::Following(_), B::Preceding(_) | B::CurrentRow) => {
                crate::bind_err!("frame starting from following row cannot have preceding rows")
            }
            _ => Ok(Frame { units, start, end }),
        }
    }

    /// A frame bound; offsets are scaled by `10^scale` (a RANGE over a decimal key).
    fn bind_bound(&mut self, b: &ast::WindowFrameBound, scale: u8) -> Result<FrameBound> {
        let offset = |binder: &mut Self, e: &ast::Expr| -> Result<u64> {
            let scope = Scope::default();
            let bound = binder.bind_expr(e, &mut ExprCtx::plain(&scope, "window frame"))?;
            if matches!(bound, Expr::Param { .. }) {
                return crate::unsupported!("parameters in window frames");
            }
            let (v, s) = match crate::optimize::fold_expr(bound).as_literal() {
                Some(Value::Int32(n)) => (*n as i128, 0),
                Some(Value::Int64(n)) => (*n as i128, 0),
                Some(Value::Decimal(v, s)) if scale > 0 => (*v, *s),
                Some(Value::Null) => return crate::bind_err!("frame offset must not be null"),
                _ => return crate::bind_err!("frame offset must be an integer constant"),
            };
            if v < 0 {
                return crate::bind_err!("frame offset must not be negative");
            }
            let scaled = if s <= scale {
                crate::types::pow10(scale - s).and_then(|p| v.checked_mul(p))
            } else {
                let p = crate::types::pow10(s - scale).unwrap_or(1);
                (v % p == 0).then(|| v / p)
            };
            match scaled.and_then(|x| u64::try_from(x).ok()) {
                Some(x) => Ok(x),
                None => crate::bind_err!("frame offset {e} does not fit the ORDER BY key's type"),
            }
        };
        Ok(match b {
            ast::WindowFrameBound::CurrentRow => FrameBound::CurrentRow,
            ast::WindowFrameBound::Preceding(None) => FrameBound::UnboundedPreceding,
            ast::WindowFrameBound::Following(None) => FrameBound::UnboundedFollowing,
            ast::WindowFrameBound::Preceding(Some(e)) => FrameBound::Preceding(offset(self, e)?),
            ast::WindowFrameBound::Following(Some(e)) => FrameBound::Following(offset(self, e)?),
        })
    }
}
