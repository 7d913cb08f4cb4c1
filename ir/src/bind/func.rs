//! Binding function calls: aggregates (`count`, `sum`, `avg`, `min`, `max`) and the scalar
//! functions of [`ScalarFunc`].

use sqlparser::ast;

use super::expr::ExprCtx;
use super::{object_name, Binder};
use crate::error::Result;
use crate::expr::{Expr, ScalarFunc};
use crate::optimize::eval;
use crate::plan::{AggFunc, AggregateCall};
use crate::types::{DataType, Value, DECIMAL_MAX_PRECISION};

/// Whether `name` (lower case) is an aggregate function.
pub(crate) fn is_aggregate(name: &str) -> bool {
    matches!(name, "count" | "sum" | "avg" | "min" | "max")
}

impl Binder<'_> {
    pub(crate) fn bind_function(&mut self, f: &ast::Function, cx: &mut ExprCtx) -> Result<Expr> {
        let name = object_name(&f.name)?;
        if f.over.is_some() {
            return crate::unsupported!("window functions ({name} ... OVER)");
        }
        if f.filter.is_some() {
            return crate::unsupported!("FILTER clause on {name}");
        }
        if !f.within_group.is_empty() {
            return crate::unsupported!("WITHIN GROUP on {name}");
        }
        if f.null_treatment.is_some() {
            return crate::unsupported!("IGNORE/RESPECT NULLS on {name}");
        }
        if !matches!(f.parameters, ast::FunctionArguments::None) {
            return crate::unsupported!("parametric function {name}");
        }
        let (distinct, args) = match &f.args {
            ast::FunctionArguments::None => (false, Vec::new()),
            ast::FunctionArguments::Subquery(_) => {
                return crate::unsupported!("{name}(subquery) (write {name}((subquery)))")
            }
            ast::FunctionArguments::List(list) => {
                if let Some(c) = list.clauses.first() {
                    return crate::unsupported!("{name}(... {c})");
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
        if is_aggregate(&name) {
            return self.bind_aggregate(&name, distinct, &args, cx);
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

    fn bind_aggregate(
        &mut self,
        name: &str,
        distinct: bool,
        args: &[&ast::FunctionArgExpr],
        cx: &mut ExprCtx,
    ) -> Result<Expr> {
        if cx.aggs.is_none() {
            return crate::bind_err!("aggregate functions are not allowed in {}", cx.clause);
        }
        let (func, arg) = match (name, args) {
            ("count", [ast::FunctionArgExpr::Wildcard]) => {
                if distinct {
                    return crate::bind_err!("count(DISTINCT *) is not allowed");
                }
                (AggFunc::CountStar, None)
            }
            (_, [ast::FunctionArgExpr::Expr(e)]) => {
                let mut inner = ExprCtx {
                    scope: cx.scope,
                    aggs: None,
                    clause: "aggregate function arguments (aggregate calls cannot be nested)",
                };
                let arg = self.bind_expr(e, &mut inner)?;
                let arg = self.settle(arg);
                let arg = if self.is_unknown(&arg) {
                    self.coerce_to(arg, DataType::Varchar)?
                } else {
                    arg
                };
                let func = match name {
                    "count" => AggFunc::Count,
                    "sum" => AggFunc::Sum,
                    "avg" => AggFunc::Avg,
                    "min" => AggFunc::Min,
                    _ => AggFunc::Max,
                };
                (func, Some(arg))
            }
            _ => return crate::bind_err!("function {name} takes exactly one argument"),
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

    fn bind_scalar_function(&mut self, name: &str, mut args: Vec<Expr>) -> Result<Expr> {
        let arity = |n: std::ops::RangeInclusive<usize>, args: &Vec<Expr>| -> Result<()> {
            if n.contains(&args.len()) {
                Ok(())
            } else if n.start() == n.end() {
                crate::bind_err!(
                    "function {name} takes {} argument(s), not {}",
                    n.start(),
                    args.len()
                )
            } else {
                crate::bind_err!(
                    "function {name} takes {} to {} arguments, not {}",
                    n.start(),
                    n.end(),
                    args.len()
                )
            }
        };
        let simple = |func, args, ty| Ok(Expr::Function { func, args, ty });
        match name {
            "length" | "char_length" | "character_length" => {
                arity(1..=1, &args)?;
                let s = self.string_arg(args.remove(0), name)?;
                simple(ScalarFunc::Length, vec![s], DataType::Int32)
            }
            "upper" | "lower" | "trim" | "btrim" | "ltrim" | "rtrim" => {
                if args.len() != 1 && matches!(name, "trim" | "btrim" | "ltrim" | "rtrim") {
                    return crate::unsupported!("{name} with explicit characters");
                }
                arity(1..=1, &args)?;
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
                arity(1..=usize::MAX, &args)?;
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
                arity(1..=1, &args)?;
                let x = self.numeric_arg(args.remove(0), name)?;
                let ty = x.data_type();
                simple(ScalarFunc::Abs, vec![x], ty)
            }
            "round" => {
                arity(1..=2, &args)?;
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
                arity(1..=usize::MAX, &args)?;
                let (args, ty) = self.unify_all(args, "COALESCE")?;
                simple(ScalarFunc::Coalesce, args, ty)
            }
            "nullif" => {
                arity(2..=2, &args)?;
                let (args, ty) = self.unify_all(args, "NULLIF")?;
                simple(ScalarFunc::NullIf, args, ty)
            }
            "substring" | "substr" => {
                arity(2..=3, &args)?;
                let mut it = args.into_iter();
                let (Some(s), Some(from)) = (it.next(), it.next()) else {
                    return crate::bind_err!("function {name} takes 2 or 3 arguments");
                };
                self.substring(s, from, it.next())
            }
            "date_part" => {
                arity(2..=2, &args)?;
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
            _ => crate::bind_err!("function {name} does not exist"),
        }
    }

    fn numeric_arg(&mut self, e: Expr, func: &str) -> Result<Expr> {
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
