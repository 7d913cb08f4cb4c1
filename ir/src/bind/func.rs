//! Binding function calls: aggregates (`count`, `sum`, `avg`, `min`, `max`) and the scalar
//! functions of [`ScalarFunc`].

use sqlparser::ast;

use super::expr::ExprCtx;
use super::unnest::has_correlated_subquery;
use super::{object_name, Binder};
use crate::error::Result;
use crate::expr::{BinaryOp, Expr, ScalarFunc};
use crate::optimize::eval;
use crate::plan::{AggFunc, AggregateCall, SortKey};
use crate::types::{DataType, Value, DECIMAL_MAX_PRECISION};

/// Whether `name` (lower case) is an aggregate function.
pub(crate) fn is_aggregate(name: &str) -> bool {
    matches!(
        name,
        "count"
            | "sum"
            | "avg"
            | "min"
            | "max"
            | "stddev"
            | "stddev_samp"
            | "stddev_pop"
            | "variance"
            | "var_samp"
            | "var_pop"
            | "string_agg"
            | "median"
            | "quantile_cont"
            | "quantile"
            | "percentile_cont"
            | "percentile_disc"
            | "mode"
            | "bool_and"
            | "every"
            | "bool_or"
            | "count_if"
            | "any_value"
    )
}

/// Whether `name` is an ordered-set aggregate (`f(...) WITHIN GROUP (ORDER BY x)`).
fn is_ordered_set(name: &str) -> bool {
    matches!(name, "percentile_cont" | "percentile_disc" | "mode")
}

/// The parts of an aggregate call's syntax besides its name.
struct AggSyntax<'a> {
    distinct: bool,
    args: Vec<&'a ast::FunctionArgExpr>,
    /// `ORDER BY` inside the argument list.
    order_by: &'a [ast::OrderByExpr],
    within_group: &'a [ast::OrderByExpr],
    filter: Option<&'a ast::Expr>,
}

impl Binder<'_> {
    pub(crate) fn bind_function(&mut self, f: &ast::Function, cx: &mut ExprCtx) -> Result<Expr> {
        let name = object_name(&f.name)?;
        if f.over.is_some() {
            return crate::unsupported!("window functions ({name} ... OVER)");
        }
        if !is_aggregate(&name) {
            if f.filter.is_some() {
                return crate::bind_err!(
                    "FILTER specified, but {name} is not an aggregate function"
                );
            }
            if !f.within_group.is_empty() {
                return crate::bind_err!(
                    "WITHIN GROUP specified, but {name} is not an aggregate function"
                );
            }
        }
        if f.null_treatment.is_some() {
            return crate::unsupported!("IGNORE/RESPECT NULLS on {name}");
        }
        if !matches!(f.parameters, ast::FunctionArguments::None) {
            return crate::unsupported!("parametric function {name}");
        }
        let mut order_by: &[ast::OrderByExpr] = &[];
        let (distinct, args) = match &f.args {
            ast::FunctionArguments::None => (false, Vec::new()),
            ast::FunctionArguments::Subquery(_) => {
                return crate::unsupported!("{name}(subquery) (write {name}((subquery)))")
            }
            ast::FunctionArguments::List(list) => {
                for c in &list.clauses {
                    match c {
                        ast::FunctionArgumentClause::OrderBy(keys) if order_by.is_empty() => {
                            order_by = keys
                        }
                        _ => return crate::unsupported!("{name}(... {c})"),
                    }
                }
                if !order_by.is_empty() && !is_aggregate(&name) {
                    return crate::bind_err!(
                        "ORDER BY specified, but {name} is not an aggregate function"
                    );
                }
                let mut args = Vec::with_capacity(list.args.len());
                for a in &list.args {
                    match a {
                        ast::FunctionArg::Unnamed(x) => args.push(x),
                        _ => return crate::unsupported!("named arguments in {name}"),
                    }
                }
                (
                    matches!(
                        list.duplicate_treatment,
                        Some(ast::DuplicateTreatment::Distinct)
                    ),
                    args,
                )
            }
        };
        if name == "grouping" {
            return grouping(&args, cx);
        }
        if let Some(e) = self.bind_pg_function(&name, &args, cx)? {
            return Ok(e);
        }
        if is_aggregate(&name) {
            let syntax = AggSyntax {
                distinct,
                args,
                order_by,
                within_group: &f.within_group,
                filter: f.filter.as_deref(),
            };
            return self.bind_aggregate(&name, &syntax, cx);
        }
        if distinct {
            return crate::bind_err!("DISTINCT specified, but {name} is not an aggregate function");
        }
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            match a {
                ast::FunctionArgExpr::Expr(e) => bound.push(self.bind_expr(e, cx)?),
                _ => return crate::bind_err!("{name}(*) is not allowed"),
            }
        }
        self.bind_scalar_function(&name, bound)
    }

    fn bind_aggregate(&mut self, name: &str, syn: &AggSyntax, cx: &mut ExprCtx) -> Result<Expr> {
        if cx.aggs.is_none() {
            return crate::bind_err!("aggregate functions are not allowed in {}", cx.clause);
        }
        let (distinct, args, within_group) = (syn.distinct, &syn.args[..], syn.within_group);
        if !within_group.is_empty() {
            if !is_ordered_set(name) {
                return crate::bind_err!(
                    "{name} is not an ordered-set aggregate, so it cannot have WITHIN GROUP"
                );
            }
            if !syn.order_by.is_empty() {
                return crate::bind_err!("cannot use multiple ORDER BY clauses with WITHIN GROUP");
            }
            if distinct {
                return crate::bind_err!("cannot use DISTINCT with WITHIN GROUP");
            }
        } else if is_ordered_set(name) {
            return crate::bind_err!(
                "{name} needs WITHIN GROUP (ORDER BY x) with exactly one key (an ordered-set aggregate)"
            );
        }
        let star = matches!(args, [ast::FunctionArgExpr::Wildcard]);
        if star && name != "count" {
            return crate::bind_err!("{name}(*) is not allowed");
        }
        if star && distinct {
            return crate::bind_err!("count(DISTINCT *) is not allowed");
        }
        let mut bound = Vec::with_capacity(args.len());
        let mut inner = ExprCtx {
            scope: cx.scope,
            aggs: None,
            clause: "aggregate function arguments (aggregate calls cannot be nested)",
        };
        if !star {
            for a in args {
                let ast::FunctionArgExpr::Expr(e) = a else {
                    return crate::bind_err!("{name}(*) is not allowed");
                };
                let arg = self.bind_expr(e, &mut inner)?;
                let arg = self.settle(arg);
                let arg = if self.is_unknown(&arg) {
                    self.coerce_to(arg, DataType::Varchar)?
                } else {
                    arg
                };
                bound.push(arg);
            }
        }
        let mut order_by = self.bind_agg_order(name, syn, &bound, &mut inner)?;
        let one_arg = |bound: &mut Vec<Expr>| -> Result<Expr> {
            if bound.len() != 1 {
                return crate::bind_err!("function {name} takes exactly one argument");
            }
            Ok(bound.remove(0))
        };
        let mut params = Vec::new();
        let (func, arg) = match name {
            "count" if star => (AggFunc::CountStar, None),
            "count" | "sum" | "avg" | "min" | "max" => {
                let arg = one_arg(&mut bound)?;
                let func = match name {
                    "count" => AggFunc::Count,
                    "sum" => AggFunc::Sum,
                    "avg" => AggFunc::Avg,
                    "min" => AggFunc::Min,
                    _ => AggFunc::Max,
                };
                (func, Some(arg))
            }
            // BOOLEAN orders false < true: every / any value true are min / max.
            "bool_and" | "every" | "bool_or" => {
                let arg = one_arg(&mut bound)?;
                if arg.data_type() != DataType::Boolean {
                    return crate::type_err!(
                        "function {name}({}) does not exist (BOOLEAN argument)",
                        arg.data_type()
                    );
                }
                let func = if name == "bool_or" {
                    AggFunc::Max
                } else {
                    AggFunc::Min
                };
                (func, Some(arg))
            }
            // count_if(p) = count(CASE WHEN p THEN 1 END)
            "count_if" => {
                let p = one_arg(&mut bound)?;
                if p.data_type() != DataType::Boolean {
                    return crate::type_err!(
                        "function count_if({}) does not exist (BOOLEAN argument)",
                        p.data_type()
                    );
                }
                let one = Expr::literal(Value::Int32(1), DataType::Int32);
                let case = Expr::Case {
                    whens: vec![(p, one)],
                    else_: None,
                    ty: DataType::Int32,
                };
                (AggFunc::Count, Some(case))
            }
            // Any one non-NULL value of the group: the smallest serves.
            "any_value" => (AggFunc::Min, Some(one_arg(&mut bound)?)),
            "stddev" | "stddev_samp" | "stddev_pop" | "variance" | "var_samp" | "var_pop" => {
                let arg = one_arg(&mut bound)?;
                let arg = self.float_agg_arg(arg, name)?;
                let func = match name {
                    "stddev" | "stddev_samp" => AggFunc::StddevSamp,
                    "stddev_pop" => AggFunc::StddevPop,
                    "variance" | "var_samp" => AggFunc::VarSamp,
                    _ => AggFunc::VarPop,
                };
                (func, Some(arg))
            }
            "string_agg" => {
                if bound.len() != 2 {
                    return crate::bind_err!(
                        "function string_agg takes 2 arguments (value, separator)"
                    );
                }
                let sep = bound.pop().expect("two arguments");
                let x = bound.pop().expect("two arguments");
                let x = if x.data_type() == DataType::Varchar {
                    x
                } else {
                    self.cast(x, DataType::Varchar)
                };
                let sep = match sep.as_literal() {
                    Some(Value::Varchar(s)) => s.clone(),
                    Some(Value::Null) => String::new(),
                    _ => return crate::unsupported!("string_agg with a non-constant separator"),
                };
                params.push(Value::Varchar(sep));
                (AggFunc::StringAgg, Some(x))
            }
            "median" => {
                let arg = one_arg(&mut bound)?;
                params.push(Value::Float64(0.5));
                (AggFunc::QuantileCont, Some(self.float_agg_arg(arg, name)?))
            }
            "quantile_cont" | "quantile" => {
                if bound.len() != 2 {
                    return crate::bind_err!("function {name} takes 2 arguments (value, fraction)");
                }
                let f = bound.pop().expect("two arguments");
                let x = bound.pop().expect("two arguments");
                params.push(Value::Float64(quantile_fraction(&f, name)?));
                (AggFunc::QuantileCont, Some(self.float_agg_arg(x, name)?))
            }
            "percentile_cont" | "percentile_disc" | "mode" => {
                let ([key], [_]) = (&order_by[..], within_group) else {
                    return crate::bind_err!(
                        "{name} needs WITHIN GROUP (ORDER BY x) with exactly one key"
                    );
                };
                let takes = usize::from(name != "mode");
                if bound.len() != takes {
                    return crate::bind_err!(
                        "function {name} takes {takes} argument(s) before WITHIN GROUP"
                    );
                }
                if let Some(f) = bound.first() {
                    let mut fr = quantile_fraction(f, name)?;
                    if name == "percentile_cont" && !key.ascending {
                        // Interpolation is symmetric: the f-quantile descending is the
                        // (1 - f)-quantile ascending.
                        fr = 1.0 - fr;
                    }
                    params.push(Value::Float64(fr));
                }
                let x = key.expr.clone();
                match name {
                    "percentile_cont" => {
                        (AggFunc::QuantileCont, Some(self.float_agg_arg(x, name)?))
                    }
                    "percentile_disc" => (AggFunc::PercentileDisc, Some(x)),
                    _ => (AggFunc::Mode, Some(x)),
                }
            }
            _ => return crate::unsupported!("aggregate function {name}"),
        };
        if !func.is_order_sensitive() {
            order_by.clear();
        }
        let (func, arg) = match syn.filter {
            None => (func, arg),
            Some(p) => {
                let mut fcx = ExprCtx {
                    scope: cx.scope,
                    aggs: None,
                    clause: "FILTER (aggregate calls cannot be nested)",
                };
                let pred = self.bind_condition(p, &mut fcx)?;
                // `agg(x) FILTER (WHERE p)` is `agg(CASE WHEN p THEN x END)`: every aggregate
                // but count(*) skips NULL inputs.
                let (func, x) = match (func, arg) {
                    (AggFunc::CountStar, _) => (
                        AggFunc::Count,
                        Expr::literal(Value::Int32(1), DataType::Int32),
                    ),
                    (f, Some(x)) => (f, x),
                    (_, None) => unreachable!("only count(*) has no argument"),
                };
                let ty = x.data_type();
                let case = Expr::Case {
                    whens: vec![(pred, x)],
                    else_: None,
                    ty,
                };
                (func, Some(case))
            }
        };
        let arg_ty = arg.as_ref().map(Expr::data_type);
        let ty = match (func, arg_ty) {
            (AggFunc::CountStar | AggFunc::Count, _) => DataType::Int64,
            (AggFunc::Sum, Some(DataType::Int32 | DataType::Int64)) => DataType::Int64,
            (AggFunc::Sum, Some(DataType::Decimal { scale, .. })) => DataType::Decimal {
                precision: DECIMAL_MAX_PRECISION,
                scale,
            },
            (AggFunc::Sum, Some(DataType::Float64)) => DataType::Float64,
            (AggFunc::Avg, Some(t)) if t.is_numeric() => DataType::Float64,
            (AggFunc::Min | AggFunc::Max, Some(t)) => t,
            (
                AggFunc::VarSamp
                | AggFunc::VarPop
                | AggFunc::StddevSamp
                | AggFunc::StddevPop
                | AggFunc::QuantileCont,
                Some(DataType::Float64),
            ) => DataType::Float64,
            (AggFunc::StringAgg, Some(DataType::Varchar)) => DataType::Varchar,
            (AggFunc::PercentileDisc | AggFunc::Mode, Some(t)) => t,
            (_, t) => {
                let t = t.map_or("*".to_string(), |t| t.to_string());
                return crate::type_err!("function {name}({t}) does not exist");
            }
        };
        let distinct = distinct && !matches!(func, AggFunc::Min | AggFunc::Max);
        let call = AggregateCall {
            func,
            arg,
            distinct,
            ty,
            params,
            order_by,
        };
        let aggs = cx.aggs.as_deref_mut().expect("checked above");
        if let Some((_, f)) = aggs.iter().find(|(c, _)| *c == call) {
            return Ok(Expr::column(f.id, f.ty));
        }
        let nullable = !matches!(func, AggFunc::CountStar | AggFunc::Count);
        let field = self.new_field(name, ty, nullable);
        let e = Expr::column(field.id, ty);
        aggs.push((call, field));
        Ok(e)
    }

    /// The keys of an aggregate's `ORDER BY` or `WITHIN GROUP (ORDER BY ...)`, bound like its
    /// arguments (`inner`). With DISTINCT every key must be one of the arguments (`bound`), as
    /// in PostgreSQL.
    fn bind_agg_order(
        &mut self,
        name: &str,
        syn: &AggSyntax,
        bound: &[Expr],
        inner: &mut ExprCtx,
    ) -> Result<Vec<SortKey>> {
        let asts = if syn.within_group.is_empty() {
            syn.order_by
        } else {
            syn.within_group
        };
        let mut keys = Vec::with_capacity(asts.len());
        for o in asts {
            let (ascending, nulls_first) = super::select::sort_options(o)?;
            let x = self.bind_expr(&o.expr, inner)?;
            let x = self.settle(x);
            let x = if self.is_unknown(&x) {
                self.coerce_to(x, DataType::Varchar)?
            } else {
                x
            };
            if has_correlated_subquery(&x) {
                return crate::unsupported!("correlated subqueries in the ORDER BY of {name}");
            }
            if syn.distinct && !bound.contains(&x) {
                return crate::bind_err!(
                    "in an aggregate with DISTINCT, ORDER BY expressions must appear in argument list"
                );
            }
            let scope = &inner.scope.columns;
            let local = x
                .columns()
                .iter()
                .any(|id| scope.iter().any(|c| c.id == *id));
            if !local && syn.within_group.is_empty() {
                // A constant or outer columns only: the same for every row aggregated, so
                // ordering by it changes nothing. (WITHIN GROUP's key is the argument.)
                continue;
            }
            keys.push(SortKey {
                expr: x,
                ascending,
                nulls_first,
            });
        }
        Ok(keys)
    }

    /// A call of scalar function `name` on bound arguments (also for the SQL forms that are
    /// function calls in disguise: `CEIL(x)`, `POSITION(a IN b)`, `x ^ y`).
    pub(crate) fn bind_scalar_function(&mut self, name: &str, mut args: Vec<Expr>) -> Result<Expr> {
        let simple = |func, args, ty| Ok(Expr::Function { func, args, ty });
        match name {
            "length" | "char_length" | "character_length" => {
                self.arity(name, &args, 1, 1)?;
                let s = self.string_arg(args.remove(0), name)?;
                simple(ScalarFunc::Length, vec![s], DataType::Int32)
            }
            "upper" | "lower" | "trim" | "btrim" | "ltrim" | "rtrim" => {
                if args.len() != 1 && matches!(name, "trim" | "btrim" | "ltrim" | "rtrim") {
                    return crate::unsupported!("{name} with explicit characters");
                }
                self.arity(name, &args, 1, 1)?;
                let s = self.string_arg(args.remove(0), name)?;
                let func = match name {
                    "upper" => ScalarFunc::Upper,
                    "lower" => ScalarFunc::Lower,
                    "ltrim" => ScalarFunc::LTrim,
                    "rtrim" => ScalarFunc::RTrim,
                    _ => ScalarFunc::Trim,
                };
                simple(func, vec![s], DataType::Varchar)
            }
            "concat" => {
                self.arity(name, &args, 1, usize::MAX)?;
                let args = args
                    .into_iter()
                    .map(|a| {
                        if self.is_unknown(&a) {
                            self.coerce_to(a, DataType::Varchar)
                        } else {
                            Ok(self.cast(a, DataType::Varchar))
                        }
                    })
                    .collect::<Result<Vec<_>>>()?;
                simple(ScalarFunc::Concat, args, DataType::Varchar)
            }
            "abs" => {
                self.arity(name, &args, 1, 1)?;
                let x = self.numeric_arg(args.remove(0), name)?;
                let ty = x.data_type();
                simple(ScalarFunc::Abs, vec![x], ty)
            }
            "round" => {
                self.arity(name, &args, 1, 2)?;
                let x = self.numeric_arg(args.remove(0), name)?;
                let digits = match args.pop() {
                    Some(d) => Some(self.int_arg(d, name)?),
                    None => None,
                };
                let ty = match (x.data_type(), digits.as_ref().map(|d| d.as_literal())) {
                    (DataType::Decimal { precision, .. }, None) => DataType::Decimal {
                        precision,
                        scale: 0,
                    },
                    (DataType::Decimal { precision, scale }, Some(Some(Value::Int32(d)))) => {
                        DataType::Decimal {
                            precision,
                            scale: (*d).clamp(0, scale as i32) as u8,
                        }
                    }
                    (t, _) => t,
                };
                let mut out = vec![x];
                out.extend(digits);
                simple(ScalarFunc::Round, out, ty)
            }
            "coalesce" => {
                self.arity(name, &args, 1, usize::MAX)?;
                let (args, ty) = self.unify_all(args, "COALESCE")?;
                simple(ScalarFunc::Coalesce, args, ty)
            }
            "nullif" => {
                self.arity(name, &args, 2, 2)?;
                let (args, ty) = self.unify_all(args, "NULLIF")?;
                simple(ScalarFunc::NullIf, args, ty)
            }
            "substring" | "substr" => {
                self.arity(name, &args, 2, 3)?;
                let mut it = args.into_iter();
                let (Some(s), Some(from)) = (it.next(), it.next()) else {
                    return crate::bind_err!("function {name} takes 2 or 3 arguments");
                };
                self.substring(s, from, it.next())
            }
            "date_part" => {
                self.arity(name, &args, 2, 2)?;
                let field = match args[0].as_literal() {
                    Some(Value::Varchar(f)) => eval::date_field(f),
                    _ => return crate::unsupported!("date_part with a non-constant field"),
                };
                let Some(field) = field else {
                    return crate::unsupported!(
                        "date_part field {}",
                        args[0]
                            .as_literal()
                            .map_or(String::new(), |v| v.to_string())
                    );
                };
                self.extract(field, args.remove(1))
            }
            "greatest" | "least" => {
                self.arity(name, &args, 1, usize::MAX)?;
                let (args, ty) = self.unify_all(args, name)?;
                self.greatest_least(args, ty, name == "greatest")
            }
            "starts_with" => {
                // substring(s, 1, length(prefix)) = prefix
                self.arity(name, &args, 2, 2)?;
                let p = self.string_arg(args.pop().expect("two"), name)?;
                let s = self.string_arg(args.pop().expect("two"), name)?;
                let len = Expr::Function {
                    func: ScalarFunc::Length,
                    args: vec![p.clone()],
                    ty: DataType::Int32,
                };
                let one = Expr::literal(Value::Int32(1), DataType::Int32);
                let head = self.substring(s, one, Some(len))?;
                self.bind_comparison(BinaryOp::Eq, head, p)
            }
            "date_trunc" => {
                self.arity(name, &args, 2, 2)?;
                let unit = match args[0].as_literal() {
                    Some(Value::Varchar(u)) => u.to_ascii_lowercase(),
                    _ => return crate::unsupported!("date_trunc with a non-constant unit"),
                };
                let d = args.pop().expect("two");
                let d = if self.is_unknown(&d) {
                    self.coerce_to(d, DataType::Date)?
                } else {
                    d
                };
                if d.data_type() != DataType::Date {
                    return crate::type_err!(
                        "function date_trunc(varchar, {}) does not exist",
                        d.data_type()
                    );
                }
                self.date_trunc(&unit, d)
            }
            "current_date" => {
                self.arity(name, &args, 0, 0)?;
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                let days = (now / 86_400) as i32;
                Ok(Expr::literal(Value::Date(days), DataType::Date))
            }
            "regexp_matches" | "regexp_like" => {
                if args.len() == 3 {
                    return crate::unsupported!("{name} with options");
                }
                self.arity(name, &args, 2, 2)?;
                let p = self.string_arg(args.pop().expect("two"), name)?;
                let s = self.string_arg(args.pop().expect("two"), name)?;
                simple(ScalarFunc::RegexpMatches, vec![s, p], DataType::Boolean)
            }
            _ => match self.bind_library_function(name, args)? {
                Some(e) => Ok(e),
                None => crate::bind_err!("function {name} does not exist"),
            },
        }
    }

    /// `greatest(a, b, ...)` / `least(...)`, skipping NULLs (NULL only if all are NULL), as
    /// `CASE WHEN a IS NOT NULL AND (b IS NULL OR a >= b) AND ... THEN a WHEN ... ELSE z END`.
    fn greatest_least(&mut self, args: Vec<Expr>, ty: DataType, greatest: bool) -> Result<Expr> {
        let n = args.len();
        if n == 1 {
            return Ok(args.into_iter().next().expect("one"));
        }
        let op = if greatest {
            BinaryOp::GtEq
        } else {
            BinaryOp::LtEq
        };
        let mut whens = Vec::with_capacity(n - 1);
        for i in 0..n - 1 {
            let mut conds = vec![Expr::IsNull {
                expr: Box::new(args[i].clone()),
                negated: true,
            }];
            for (j, other) in args.iter().enumerate() {
                if j == i {
                    continue;
                }
                let cmp = self.bind_comparison(op, args[i].clone(), other.clone())?;
                conds.push(Expr::Binary {
                    op: BinaryOp::Or,
                    left: Box::new(Expr::IsNull {
                        expr: Box::new(other.clone()),
                        negated: false,
                    }),
                    right: Box::new(cmp),
                    ty: DataType::Boolean,
                });
            }
            let cond = conds
                .into_iter()
                .reduce(|l, r| Expr::Binary {
                    op: BinaryOp::And,
                    left: Box::new(l),
                    right: Box::new(r),
                    ty: DataType::Boolean,
                })
                .expect("non-empty");
            whens.push((cond, args[i].clone()));
        }
        Ok(Expr::Case {
            whens,
            else_: Some(Box::new(args[n - 1].clone())),
            ty,
        })
    }

    /// `date_trunc(unit, date)` → DATE, from extract and day/month arithmetic.
    fn date_trunc(&mut self, unit: &str, d: Expr) -> Result<Expr> {
        use crate::date::DateField;
        let int = |v: i32| Expr::literal(Value::Int32(v), DataType::Int32);
        let add_days = |d: Expr, n: Expr| Expr::Function {
            func: ScalarFunc::DateAddDays,
            args: vec![d, n],
            ty: DataType::Date,
        };
        let field = |b: &mut Self, f: DateField, d: Expr| -> Result<Expr> {
            let x = b.extract(f, d)?;
            Ok(b.cast(x, DataType::Int32))
        };
        match unit {
            "day" | "days" => Ok(d),
            "month" | "months" | "year" | "years" => {
                let f = if unit.starts_with("month") {
                    DateField::Day
                } else {
                    DateField::DayOfYear
                };
                let k = field(self, f, d.clone())?;
                let back = self.bind_arith(BinaryOp::Sub, int(1), k)?;
                Ok(add_days(d, back))
            }
            "quarter" | "quarters" => {
                let month = self.date_trunc("month", d.clone())?;
                let m = field(self, DateField::Month, d)?;
                let m0 = self.bind_arith(BinaryOp::Sub, m, int(1))?;
                let r = self.bind_arith(BinaryOp::Mod, m0, int(3))?;
                let back = self.bind_arith(BinaryOp::Sub, int(0), r)?;
                Ok(Expr::Function {
                    func: ScalarFunc::DateAddMonths,
                    args: vec![month, back],
                    ty: DataType::Date,
                })
            }
            "week" | "weeks" => {
                // ISO weeks start on Monday; dow is 0 for Sunday.
                let dow = field(self, DateField::DayOfWeek, d.clone())?;
                let s = self.bind_arith(BinaryOp::Add, dow, int(6))?;
                let r = self.bind_arith(BinaryOp::Mod, s, int(7))?;
                let back = self.bind_arith(BinaryOp::Sub, int(0), r)?;
                Ok(add_days(d, back))
            }
            u => crate::unsupported!("date_trunc unit '{u}'"),
        }
    }

    /// A numeric aggregate argument, as DOUBLE.
    fn float_agg_arg(&mut self, e: Expr, func: &str) -> Result<Expr> {
        let e = self.numeric_arg(e, func)?;
        Ok(if e.data_type() == DataType::Float64 {
            e
        } else {
            self.cast(e, DataType::Float64)
        })
    }

    pub(super) fn numeric_arg(&mut self, e: Expr, func: &str) -> Result<Expr> {
        let e = if self.is_unknown(&e) {
            self.coerce_to(e, DataType::Float64)?
        } else {
            e
        };
        match e.data_type() {
            t if t.is_numeric() => Ok(e),
            t => crate::type_err!("function {func}({t}) does not exist"),
        }
    }
}

/// The constant fraction argument of a quantile aggregate, in [0, 1].
fn quantile_fraction(e: &Expr, func: &str) -> Result<f64> {
    let f = match e.as_literal() {
        Some(Value::Int32(v)) => *v as f64,
        Some(Value::Int64(v)) => *v as f64,
        Some(Value::Float64(v)) => *v,
        Some(Value::Decimal(v, s)) => *v as f64 / 10f64.powi(*s as i32),
        Some(Value::Varchar(s)) => match s.trim().parse::<f64>() {
            Ok(v) => v,
            Err(_) => return crate::type_err!("{func}: invalid fraction '{s}'"),
        },
        _ => return crate::unsupported!("{func} with a non-constant fraction"),
    };
    if !(0.0..=1.0).contains(&f) {
        return crate::bind_err!("{func}: fraction {f} is not between 0 and 1");
    }
    Ok(f)
}

/// `GROUPING(a, b, ...)`: INTEGER bit mask of the arguments absent from the current grouping
/// set (the first argument is the most significant bit); 0 in a plain GROUP BY.
fn grouping(args: &[&ast::FunctionArgExpr], cx: &ExprCtx) -> Result<Expr> {
    if cx.aggs.is_none() {
        return crate::bind_err!("GROUPING is not allowed in {}", cx.clause);
    }
    if args.is_empty() || args.len() > 31 {
        return crate::bind_err!("GROUPING takes 1 to 31 arguments");
    }
    let absent = super::select::GROUPING_ABSENT.with(|g| g.borrow().clone());
    let mut mask = 0i32;
    for a in args {
        let ast::FunctionArgExpr::Expr(e) = a else {
            return crate::bind_err!("GROUPING(*) is not allowed");
        };
        let bit = absent.as_ref().is_some_and(|keys| keys.contains(e));
        mask = (mask << 1) | i32::from(bit);
    }
    Ok(Expr::literal(Value::Int32(mask), DataType::Int32))
}
