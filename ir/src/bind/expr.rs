//! Binding scalar expressions: names to column ids, literals to typed values, operators to
//! typed [`Expr`] nodes with explicit casts (rules in `coerce.rs`).

use sqlparser::ast::{self, BinaryOperator as AstOp, UnaryOperator};

use super::coerce::{
    can_cast, common_expr_type, common_type, decimal_add_type, decimal_mul_type, decimal_of,
};
use super::scope::{display_name, Lookup, Scope};
use super::{ident, Binder};
use crate::error::{Error, Result};
use crate::expr::{BinaryOp, Expr, ScalarFunc};
use crate::optimize::eval;
use crate::plan::{AggregateCall, Field, LogicalPlan};
use crate::types::{DataType, Value, DECIMAL_MAX_PRECISION};

/// Where an expression is bound: the visible columns, and whether aggregates may appear.
pub(crate) struct ExprCtx<'a> {
    pub scope: &'a Scope,
    /// `Some` where aggregate calls are allowed: each distinct call is appended once and the
    /// expression refers to its output field.
    pub aggs: Option<&'a mut Vec<(AggregateCall, Field)>>,
    /// The clause being bound, for error messages ("WHERE", "GROUP BY", ...).
    pub clause: &'static str,
}

impl<'a> ExprCtx<'a> {
    pub fn plain(scope: &'a Scope, clause: &'static str) -> Self {
        ExprCtx {
            scope,
            aggs: None,
            clause,
        }
    }
}

/// Longest left-deep chain of binary operators bound as is (longer AND/OR chains are
/// rebalanced; other operators are rejected past this).
const MAX_CHAIN: usize = 256;

/// An operand of `+`/`-` that may be an INTERVAL (only valid next to a DATE).
enum Operand {
    Expr(Expr),
    Interval { months: i32, days: i32 },
}

impl Binder<'_> {
    pub(crate) fn bind_expr(&mut self, e: &ast::Expr, cx: &mut ExprCtx) -> Result<Expr> {
        self.nested(|b| b.bind_expr_inner(e, cx))
    }

    /// Binds a condition (WHERE, HAVING, ON, CASE WHEN): must be BOOLEAN.
    pub(crate) fn bind_condition(&mut self, e: &ast::Expr, cx: &mut ExprCtx) -> Result<Expr> {
        let bound = self.bind_expr(e, cx)?;
        self.expect_boolean(bound, cx.clause)
    }

    fn expect_boolean(&mut self, e: Expr, what: &str) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, DataType::Boolean);
        }
        match e.data_type() {
            DataType::Boolean => Ok(e),
            t => crate::type_err!("argument of {what} must be type BOOLEAN, not type {t}"),
        }
    }

    fn bind_expr_inner(&mut self, e: &ast::Expr, cx: &mut ExprCtx) -> Result<Expr> {
        use ast::Expr as A;
        match e {
            A::Identifier(id) => self.bind_column(None, &ident(id), cx.scope),
            A::CompoundIdentifier(ids) => match ids.as_slice() {
                [q, c] | [_, q, c] | [_, _, q, c] => {
                    self.bind_column(Some(&ident(q)), &ident(c), cx.scope)
                }
                _ => crate::bind_err!("improper qualified name {e}"),
            },
            A::Value(v) => self.bind_value(&v.value),
            A::TypedString(ts) => self.bind_typed_string(ts),
            A::Nested(inner) => self.bind_expr(inner, cx),
            A::BinaryOp { .. } => self.bind_binary_chain(e, cx),
            A::UnaryOp { op, expr } => self.bind_unary(*op, expr, cx),
            A::IsNull(x) | A::IsNotNull(x) | A::IsUnknown(x) | A::IsNotUnknown(x) => {
                let expr = self.bind_expr(x, cx)?;
                let expr = self.settle(expr);
                let negated = matches!(e, A::IsNotNull(_) | A::IsNotUnknown(_));
                Ok(Expr::IsNull {
                    expr: Box::new(expr),
                    negated,
                })
            }
            A::IsTrue(x) | A::IsNotTrue(x) | A::IsFalse(x) | A::IsNotFalse(x) => {
                let x = self.bind_condition(x, cx)?;
                let coalesce = |x: Expr, default: bool| Expr::Function {
                    func: ScalarFunc::Coalesce,
                    args: vec![x, Expr::boolean(default)],
                    ty: DataType::Boolean,
                };
                Ok(match e {
                    A::IsTrue(_) => coalesce(x, false),
                    A::IsNotTrue(_) => Expr::Not(Box::new(coalesce(x, false))),
                    A::IsFalse(_) => coalesce(Expr::Not(Box::new(x)), false),
                    _ => coalesce(x, true),
                })
            }
            A::IsDistinctFrom(a, b) | A::IsNotDistinctFrom(a, b) => {
                let a = self.bind_expr(a, cx)?;
                let b = self.bind_expr(b, cx)?;
                let (a, b) = self.unify_pair(a, b)?;
                let distinct = matches!(e, A::IsDistinctFrom(..));
                let is_null = |x: &Expr, negated| Expr::IsNull {
                    expr: Box::new(x.clone()),
                    negated,
                };
                let op = if distinct {
                    BinaryOp::NotEq
                } else {
                    BinaryOp::Eq
                };
                Ok(Expr::Case {
                    whens: vec![
                        (is_null(&a, false), is_null(&b, distinct)),
                        (is_null(&b, false), Expr::boolean(distinct)),
                    ],
                    else_: Some(Box::new(Expr::binary(op, a, b, DataType::Boolean))),
                    ty: DataType::Boolean,
                })
            }
            A::In {
                expr,
                target,
                negated,
                ..
            } => self.bind_in(expr, target, *negated, cx),
            A::Between {
                expr,
                negated,
                low,
                high,
            } => {
                let x = self.bind_expr(expr, cx)?;
                let low = self.bind_expr(low, cx)?;
                let high = self.bind_expr(high, cx)?;
                // One common type for all three, so `x` can be used twice.
                let (mut all, _) = self.unify_all(vec![x, low, high], "BETWEEN")?;
                let (Some(high), Some(low), Some(x)) = (all.pop(), all.pop(), all.pop()) else {
                    return crate::internal_err!("BETWEEN operands");
                };
                let (lo_op, hi_op) = if *negated {
                    (BinaryOp::Lt, BinaryOp::Gt)
                } else {
                    (BinaryOp::GtEq, BinaryOp::LtEq)
                };
                let lo = self.bind_comparison(lo_op, x.clone(), low)?;
                let hi = self.bind_comparison(hi_op, x, high)?;
                Ok(if *negated {
                    Expr::or(lo, hi)
                } else {
                    Expr::and(lo, hi)
                })
            }
            A::Like {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            }
            | A::ILike {
                negated,
                any,
                expr,
                pattern,
                escape_char,
            } => {
                if *any {
                    return crate::unsupported!("LIKE ANY");
                }
                if let Some(esc) = escape_char {
                    let ok = matches!(esc.as_ref(), A::Value(v)
                        if matches!(&v.value, ast::Value::SingleQuotedString(s) if s == "\\"));
                    if !ok {
                        return crate::unsupported!("LIKE with ESCAPE other than '\\'");
                    }
                }
                let x = self.bind_expr(expr, cx)?;
                let p = self.bind_expr(pattern, cx)?;
                let x = self.varchar_operand(x, "LIKE", &p)?;
                let p = self.varchar_operand(p, "LIKE", &x)?;
                Ok(Expr::Like {
                    expr: Box::new(x),
                    pattern: Box::new(p),
                    negated: *negated,
                    case_insensitive: matches!(e, A::ILike { .. }),
                })
            }
            A::Cast {
                kind,
                expr,
                data_type,
                format,
            } => {
                if !matches!(kind, ast::CastKind::Cast | ast::CastKind::DoubleColon) {
                    return crate::unsupported!("{kind:?} (only CAST and :: are supported)");
                }
                if format.is_some() {
                    return crate::unsupported!("CAST ... FORMAT");
                }
                let ty = convert_type(data_type)?;
                let x = self.bind_expr(expr, cx)?;
                self.explicit_cast(x, ty)
            }
            A::Extract { field, expr, .. } => {
                let f = match field {
                    ast::DateTimeField::Year | ast::DateTimeField::Years => Some("year"),
                    ast::DateTimeField::Quarter => Some("quarter"),
                    ast::DateTimeField::Month | ast::DateTimeField::Months => Some("month"),
                    ast::DateTimeField::Day | ast::DateTimeField::Days => Some("day"),
                    ast::DateTimeField::Dow | ast::DateTimeField::DayOfWeek => Some("dow"),
                    ast::DateTimeField::Doy | ast::DateTimeField::DayOfYear => Some("doy"),
                    _ => None,
                };
                let parsed = match f {
                    Some(f) => eval::date_field(f),
                    None => match field {
                        ast::DateTimeField::Custom(id) => eval::date_field(&id.value),
                        _ => None,
                    },
                };
                let Some(parsed) = parsed else {
                    return crate::unsupported!("EXTRACT field {field}");
                };
                let x = self.bind_expr(expr, cx)?;
                self.extract(parsed, x)
            }
            A::Substring {
                expr,
                substring_from,
                substring_for,
                ..
            } => {
                let s = self.bind_expr(expr, cx)?;
                let from = match substring_from {
                    Some(f) => self.bind_expr(f, cx)?,
                    None => Expr::literal(Value::Int32(1), DataType::Int32),
                };
                let len = match substring_for {
                    Some(f) => Some(self.bind_expr(f, cx)?),
                    None => None,
                };
                self.substring(s, from, len)
            }
            A::Trim {
                trim_where,
                trim_what,
                expr,
                trim_characters,
            } => {
                if trim_what.is_some() || trim_characters.is_some() {
                    return crate::unsupported!("trim with explicit characters");
                }
                let func = match trim_where {
                    None | Some(ast::TrimWhereField::Both) => ScalarFunc::Trim,
                    Some(ast::TrimWhereField::Leading) => ScalarFunc::LTrim,
                    Some(ast::TrimWhereField::Trailing) => ScalarFunc::RTrim,
                };
                let x = self.bind_expr(expr, cx)?;
                let x = self.string_arg(x, "trim")?;
                Ok(Expr::Function {
                    func,
                    args: vec![x],
                    ty: DataType::Varchar,
                })
            }
            A::Function(f) => self.bind_function(f, cx),
            A::Case {
                operand,
                conditions,
                else_result,
                ..
            } => self.bind_case(operand.as_deref(), conditions, else_result.as_deref(), cx),
            A::Exists { subquery, negated } => {
                let plan = self.bind_subquery(subquery, cx.scope)?;
                Ok(Expr::Exists {
                    plan: Box::new(plan),
                    negated: *negated,
                })
            }
            A::Subquery(q) => {
                let plan = self.bind_subquery(q, cx.scope)?;
                let fields = plan.fields();
                let [field] = fields.as_slice() else {
                    return crate::bind_err!("subquery must return only one column");
                };
                Ok(Expr::ScalarSubquery {
                    ty: field.ty,
                    plan: Box::new(plan),
                })
            }
            A::Interval(_) => {
                crate::unsupported!("INTERVAL values outside of date + interval / date - interval")
            }
            other => crate::unsupported!("expression {}", short(&other.to_string())),
        }
    }

    /// Resolves a column name in the current scope; a name found only in an enclosing query's
    /// scope makes this a correlated subquery.
    pub(crate) fn bind_column(
        &mut self,
        qualifier: Option<&str>,
        name: &str,
        scope: &Scope,
    ) -> Result<Expr> {
        if let Lookup::Found(c) = scope.lookup(qualifier, name)? {
            return Ok(c.expr());
        }
        if qualifier.is_some_and(|q| scope.has_table(q)) {
            return crate::bind_err!("column {} does not exist", quoted(qualifier, name));
        }
        for outer in self.outer.iter().rev() {
            let found = matches!(outer.lookup(qualifier, name), Ok(Lookup::Found(_)) | Err(_));
            if found || qualifier.is_some_and(|q| outer.has_table(q)) {
                return crate::unsupported!(
                    "correlated subqueries (column {} refers to an outer query)",
                    quoted(qualifier, name)
                );
            }
        }
        match qualifier {
            Some(q) => crate::bind_err!(
                "missing FROM-clause entry for table \"{q}\" (in column reference {})",
                quoted(qualifier, name)
            ),
            None => crate::bind_err!("column \"{name}\" does not exist"),
        }
    }

    fn bind_value(&mut self, v: &ast::Value) -> Result<Expr> {
        use ast::Value as V;
        match v {
            V::Number(text, _) => number_literal(text),
            V::SingleQuotedString(s)
            | V::EscapedStringLiteral(s)
            | V::NationalStringLiteral(s)
            | V::UnicodeStringLiteral(s)
            | V::TripleSingleQuotedString(s)
            | V::TripleDoubleQuotedString(s) => {
                Ok(Expr::literal(Value::Varchar(s.clone()), DataType::Varchar))
            }
            V::DollarQuotedString(d) => Ok(Expr::literal(
                Value::Varchar(d.value.clone()),
                DataType::Varchar,
            )),
            V::Boolean(b) => Ok(Expr::boolean(*b)),
            V::Null => Ok(Expr::literal(Value::Null, DataType::Varchar)),
            V::Placeholder(p) => self.param(p),
            other => crate::unsupported!("literal {other}"),
        }
    }

    fn bind_typed_string(&mut self, ts: &ast::TypedString) -> Result<Expr> {
        let ty = convert_type(&ts.data_type)?;
        let text = match &ts.value.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s,
            other => return crate::unsupported!("typed literal {} {other}", ts.data_type),
        };
        let value = eval::parse_value(text, ty).map_err(Error::Type)?;
        Ok(Expr::literal(value, ty))
    }

    fn bind_unary(&mut self, op: UnaryOperator, x: &ast::Expr, cx: &mut ExprCtx) -> Result<Expr> {
        let e = self.bind_expr(x, cx)?;
        match op {
            UnaryOperator::Not => Ok(Expr::Not(Box::new(self.expect_boolean(e, "NOT")?))),
            UnaryOperator::Minus | UnaryOperator::Plus => {
                let e = self.settle(e);
                let t = e.data_type();
                if !t.is_numeric() {
                    let sym = if op == UnaryOperator::Minus { "-" } else { "+" };
                    return crate::type_err!("operator {sym} is not defined for {t}");
                }
                if op == UnaryOperator::Plus {
                    return Ok(e);
                }
                if let Some(v) = e.as_literal() {
                    if let Some(n) = eval::negate(v) {
                        return Ok(Expr::literal(n, t));
                    }
                }
                Ok(Expr::Negate(Box::new(e)))
            }
            other => crate::unsupported!("operator {other}"),
        }
    }

    /// Binds a left-deep chain of binary operators iteratively (no recursion along the
    /// chain), so long `a + b + c ...` or `x OR y OR ...` lists cannot overflow the stack.
    fn bind_binary_chain(&mut self, e: &ast::Expr, cx: &mut ExprCtx) -> Result<Expr> {
        let mut spine: Vec<(&AstOp, &ast::Expr)> = Vec::new();
        let mut cur = e;
        let class = match e {
            ast::Expr::BinaryOp { op, .. } => op_class(op),
            _ => 0,
        };
        while let ast::Expr::BinaryOp { left, op, right } = cur {
            if op_class(op) != class {
                break;
            }
            spine.push((op, right));
            cur = left;
        }
        spine.reverse();
        let uniform_logic = spine.iter().all(|(op, _)| **op == AstOp::And)
            || spine.iter().all(|(op, _)| **op == AstOp::Or);
        if uniform_logic && spine.len() >= 8 {
            let op = if *spine[0].0 == AstOp::And {
                BinaryOp::And
            } else {
                BinaryOp::Or
            };
            let clause = if op == BinaryOp::And { "AND" } else { "OR" };
            let mut terms = Vec::with_capacity(spine.len() + 1);
            let first = self.bind_expr(cur, cx)?;
            terms.push(self.expect_boolean(first, clause)?);
            for (_, right) in &spine {
                let t = self.bind_expr(right, cx)?;
                terms.push(self.expect_boolean(t, clause)?);
            }
            return Ok(balanced(op, terms));
        }
        if spine.len() > MAX_CHAIN {
            return crate::unsupported!("expressions with more than {MAX_CHAIN} chained operators");
        }
        let mut acc = self.bind_operand(cur, cx)?;
        for (op, right) in spine {
            let r = self.bind_operand(right, cx)?;
            acc = self.combine(op, acc, r)?;
        }
        match acc {
            Operand::Expr(e) => Ok(e),
            Operand::Interval { .. } => {
                crate::unsupported!("INTERVAL values outside of date + interval / date - interval")
            }
        }
    }

    fn bind_operand(&mut self, e: &ast::Expr, cx: &mut ExprCtx) -> Result<Operand> {
        let mut inner = e;
        while let ast::Expr::Nested(x) = inner {
            inner = x;
        }
        match inner {
            ast::Expr::Interval(iv) => {
                let (months, days) = interval_parts(iv)?;
                Ok(Operand::Interval { months, days })
            }
            _ => Ok(Operand::Expr(self.bind_expr(e, cx)?)),
        }
    }

    fn combine(&mut self, op: &AstOp, l: Operand, r: Operand) -> Result<Operand> {
        let sign = match op {
            AstOp::Plus => 1,
            AstOp::Minus => -1,
            _ => 0,
        };
        match (l, r) {
            (Operand::Expr(l), Operand::Expr(r)) => Ok(Operand::Expr(self.bind_binary(op, l, r)?)),
            (
                Operand::Interval {
                    months: m1,
                    days: d1,
                },
                Operand::Interval {
                    months: m2,
                    days: d2,
                },
            ) if sign != 0 => Ok(Operand::Interval {
                months: m1.saturating_add(sign * m2),
                days: d1.saturating_add(sign * d2),
            }),
            (Operand::Expr(d), Operand::Interval { months, days }) if sign != 0 => Ok(
                Operand::Expr(self.date_plus_interval(d, sign * months, sign * days)?),
            ),
            (Operand::Interval { months, days }, Operand::Expr(d)) if sign == 1 => {
                Ok(Operand::Expr(self.date_plus_interval(d, months, days)?))
            }
            (l, r) => {
                let name = |o: &Operand| match o {
                    Operand::Expr(e) => e.data_type().to_string(),
                    Operand::Interval { .. } => "INTERVAL".to_string(),
                };
                crate::type_err!(
                    "operator {op} is not defined for {} and {}",
                    name(&l),
                    name(&r)
                )
            }
        }
    }

    /// `date + interval`: months first, then days (PostgreSQL order); folded when constant.
    fn date_plus_interval(&mut self, d: Expr, months: i32, days: i32) -> Result<Expr> {
        let d = if self.is_unknown(&d) {
            self.coerce_to(d, DataType::Date)?
        } else {
            d
        };
        if d.data_type() != DataType::Date {
            return crate::type_err!(
                "operator + is not defined for {} and INTERVAL",
                d.data_type()
            );
        }
        let mut out = d;
        if months != 0 {
            out = date_add(ScalarFunc::DateAddMonths, out, months);
        }
        if days != 0 {
            out = date_add(ScalarFunc::DateAddDays, out, days);
        }
        Ok(out)
    }

    pub(crate) fn bind_binary(&mut self, op: &AstOp, l: Expr, r: Expr) -> Result<Expr> {
        match op {
            AstOp::And | AstOp::Or => {
                let (bop, name) = if *op == AstOp::And {
                    (BinaryOp::And, "AND")
                } else {
                    (BinaryOp::Or, "OR")
                };
                let l = self.expect_boolean(l, name)?;
                let r = self.expect_boolean(r, name)?;
                Ok(Expr::binary(bop, l, r, DataType::Boolean))
            }
            AstOp::Eq => self.bind_comparison(BinaryOp::Eq, l, r),
            AstOp::NotEq => self.bind_comparison(BinaryOp::NotEq, l, r),
            AstOp::Lt => self.bind_comparison(BinaryOp::Lt, l, r),
            AstOp::LtEq => self.bind_comparison(BinaryOp::LtEq, l, r),
            AstOp::Gt => self.bind_comparison(BinaryOp::Gt, l, r),
            AstOp::GtEq => self.bind_comparison(BinaryOp::GtEq, l, r),
            AstOp::Plus => self.bind_arith(BinaryOp::Add, l, r),
            AstOp::Minus => self.bind_arith(BinaryOp::Sub, l, r),
            AstOp::Multiply => self.bind_arith(BinaryOp::Mul, l, r),
            AstOp::Divide => self.bind_arith(BinaryOp::Div, l, r),
            AstOp::Modulo => self.bind_arith(BinaryOp::Mod, l, r),
            AstOp::StringConcat => {
                let l = self.concat_operand(l)?;
                let r = self.concat_operand(r)?;
                Ok(Expr::binary(BinaryOp::Concat, l, r, DataType::Varchar))
            }
            other => crate::unsupported!("operator {other}"),
        }
    }

    fn concat_operand(&mut self, e: Expr) -> Result<Expr> {
        if self.is_unknown(&e) {
            self.coerce_to(e, DataType::Varchar)
        } else {
            Ok(self.cast(e, DataType::Varchar))
        }
    }

    /// Gives two operands one type: an unknown side takes the other's type; otherwise both
    /// are cast to their common type.
    pub(crate) fn unify_pair(&mut self, l: Expr, r: Expr) -> Result<(Expr, Expr)> {
        match (self.is_unknown(&l), self.is_unknown(&r)) {
            (true, false) => {
                let t = r.data_type();
                Ok((self.coerce_to(l, t)?, r))
            }
            (false, true) => {
                let t = l.data_type();
                Ok((l, self.coerce_to(r, t)?))
            }
            (true, true) => {
                let l = self.coerce_to(l, DataType::Varchar)?;
                let r = self.coerce_to(r, DataType::Varchar)?;
                Ok((l, r))
            }
            (false, false) => {
                let Some(t) = common_expr_type(&l, &r) else {
                    return crate::type_err!(
                        "cannot compare {} with {}",
                        l.data_type(),
                        r.data_type()
                    );
                };
                Ok((self.cast(l, t), self.cast(r, t)))
            }
        }
    }

    /// Gives a list of expressions one common type (CASE results, IN lists, COALESCE, ...).
    pub(crate) fn unify_all(
        &mut self,
        exprs: Vec<Expr>,
        what: &str,
    ) -> Result<(Vec<Expr>, DataType)> {
        let mut ty: Option<DataType> = None;
        for e in &exprs {
            if self.is_unknown(e) {
                continue;
            }
            ty = Some(match ty {
                None => e.data_type(),
                Some(t) => {
                    let merged = match (t, e.data_type()) {
                        (DataType::Decimal { .. }, x) if x.is_integer() => {
                            decimal_of(e).map(|d| super::coerce::decimal_union(t, d))
                        }
                        (a, b) => common_type(a, b),
                    };
                    match merged {
                        Some(m) => m,
                        None => {
                            return crate::type_err!(
                                "{what} types {t} and {} cannot be matched",
                                e.data_type()
                            )
                        }
                    }
                }
            });
        }
        let ty = ty.unwrap_or(DataType::Varchar);
        let out = exprs
            .into_iter()
            .map(|e| self.coerce_to(e, ty))
            .collect::<Result<Vec<_>>>()?;
        Ok((out, ty))
    }

    pub(crate) fn bind_comparison(&mut self, op: BinaryOp, l: Expr, r: Expr) -> Result<Expr> {
        let (l, r) = self.unify_pair(l, r)?;
        Ok(Expr::binary(op, l, r, DataType::Boolean))
    }

    fn bind_arith(&mut self, op: BinaryOp, l: Expr, r: Expr) -> Result<Expr> {
        let hint = |other: DataType| match other {
            DataType::Date if op == BinaryOp::Sub => DataType::Date,
            DataType::Date => DataType::Int32,
            t => t,
        };
        let (l, r) = match (self.is_unknown(&l), self.is_unknown(&r)) {
            (true, false) => {
                let t = hint(r.data_type());
                (self.coerce_to(l, t)?, r)
            }
            (false, true) => {
                let t = hint(l.data_type());
                let r = self.coerce_to(r, t)?;
                (l, r)
            }
            _ => (self.settle(l), self.settle(r)),
        };
        let (lt, rt) = (l.data_type(), r.data_type());
        let sym = op.symbol();
        let undefined = || crate::type_err!("operator {sym} is not defined for {lt} and {rt}");
        use DataType as T;
        match (lt, rt) {
            (T::Date, T::Date) if op == BinaryOp::Sub => {
                return Ok(Expr::binary(op, l, r, T::Int32));
            }
            (T::Date, t) if t.is_integer() && matches!(op, BinaryOp::Add | BinaryOp::Sub) => {
                let n = self.cast(r, T::Int32);
                let n = if op == BinaryOp::Sub {
                    negate_expr(n)
                } else {
                    n
                };
                return Ok(Expr::Function {
                    func: ScalarFunc::DateAddDays,
                    args: vec![l, n],
                    ty: T::Date,
                });
            }
            (t, T::Date) if t.is_integer() && op == BinaryOp::Add => {
                let n = self.cast(l, T::Int32);
                return Ok(Expr::Function {
                    func: ScalarFunc::DateAddDays,
                    args: vec![r, n],
                    ty: T::Date,
                });
            }
            _ if !(lt.is_numeric() && rt.is_numeric()) => return undefined(),
            _ => {}
        }
        let is_dec = |t: DataType| matches!(t, T::Decimal { .. });
        if lt == T::Float64
            || rt == T::Float64
            || (op == BinaryOp::Div && (is_dec(lt) || is_dec(rt)))
        {
            let l = self.cast(l, T::Float64);
            let r = self.cast(r, T::Float64);
            return Ok(Expr::binary(op, l, r, T::Float64));
        }
        if is_dec(lt) || is_dec(rt) {
            let (Some(ld), Some(rd)) = (decimal_of(&l), decimal_of(&r)) else {
                return undefined();
            };
            return Ok(match op {
                BinaryOp::Mul => {
                    let Some(t) = decimal_mul_type(ld, rd) else {
                        return crate::type_err!(
                            "result of {lt} * {rt} needs a scale above {DECIMAL_MAX_PRECISION}"
                        );
                    };
                    let l = self.cast(l, ld);
                    let r = self.cast(r, rd);
                    Expr::binary(op, l, r, t)
                }
                _ => {
                    let t = decimal_add_type(ld, rd);
                    let l = self.cast(l, t);
                    let r = self.cast(r, t);
                    Expr::binary(op, l, r, t)
                }
            });
        }
        let t = common_type(lt, rt).unwrap_or(T::Int64);
        let l = self.cast(l, t);
        let r = self.cast(r, t);
        Ok(Expr::binary(op, l, r, t))
    }

    /// `CAST(e AS ty)` with literal operands converted right away (when they fit).
    pub(crate) fn cast(&mut self, e: Expr, ty: DataType) -> Expr {
        if e.data_type() == ty {
            return e;
        }
        if let Expr::Literal { value, .. } = &e {
            if let Ok(v) = eval::cast_value(value, ty) {
                return Expr::literal(v, ty);
            }
        }
        e.cast_to(ty)
    }

    pub(crate) fn explicit_cast(&mut self, x: Expr, ty: DataType) -> Result<Expr> {
        if self.is_unknown(&x) {
            let e = self.coerce_to(x, ty)?;
            // `'x'::varchar` and `NULL::varchar` are typed from now on, not unknown.
            return Ok(match e {
                lit @ Expr::Literal { .. } if ty == DataType::Varchar => Expr::Cast {
                    expr: Box::new(lit),
                    ty,
                },
                other => other,
            });
        }
        let from = x.data_type();
        if !can_cast(from, ty) {
            return crate::type_err!("cannot cast {from} to {ty}");
        }
        Ok(self.cast(x, ty))
    }

    /// Makes an operand of a string operator VARCHAR.
    fn varchar_operand(&mut self, e: Expr, op: &str, other: &Expr) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, DataType::Varchar);
        }
        if e.data_type() != DataType::Varchar {
            return crate::type_err!(
                "operator {op} is not defined for {} and {}",
                e.data_type(),
                other.data_type()
            );
        }
        Ok(e)
    }

    fn bind_in(
        &mut self,
        expr: &ast::Expr,
        target: &ast::InTarget,
        negated: bool,
        cx: &mut ExprCtx,
    ) -> Result<Expr> {
        let x = self.bind_expr(expr, cx)?;
        match target {
            ast::InTarget::List(items) => {
                let mut all = Vec::with_capacity(items.len() + 1);
                all.push(x);
                for item in items {
                    all.push(self.bind_expr(item, cx)?);
                }
                let (mut all, _) = self.unify_all(all, "IN")?;
                let x = all.remove(0);
                Ok(Expr::InList {
                    expr: Box::new(x),
                    list: all,
                    negated,
                })
            }
            ast::InTarget::Subquery(q) => {
                let plan = self.bind_subquery(q, cx.scope)?;
                let fields = plan.fields();
                let [field] = fields.as_slice() else {
                    return crate::bind_err!("subquery has too many columns");
                };
                let (x, plan) = if self.is_unknown(&x) {
                    (self.coerce_to(x, field.ty)?, plan)
                } else {
                    let Some(t) = common_type(x.data_type(), field.ty) else {
                        return crate::type_err!(
                            "cannot compare {} with {}",
                            x.data_type(),
                            field.ty
                        );
                    };
                    let plan = if t == field.ty {
                        plan
                    } else {
                        let out = self.new_field(field.name.clone(), t, field.nullable);
                        let e = Expr::column(field.id, field.ty).cast_to(t);
                        LogicalPlan::Project {
                            input: Box::new(plan),
                            exprs: vec![(e, out)],
                        }
                    };
                    (self.cast(x, t), plan)
                };
                Ok(Expr::InSubquery {
                    expr: Box::new(x),
                    plan: Box::new(plan),
                    negated,
                })
            }
            _ => crate::unsupported!("IN {}", short(&format!("{target:?}"))),
        }
    }

    fn bind_case(
        &mut self,
        operand: Option<&ast::Expr>,
        conditions: &[ast::CaseWhen],
        else_result: Option<&ast::Expr>,
        cx: &mut ExprCtx,
    ) -> Result<Expr> {
        let mut whens = Vec::with_capacity(conditions.len());
        let mut results = Vec::with_capacity(conditions.len() + 1);
        if let Some(o) = operand {
            // Simple CASE: `operand = value` per arm, all in one common type.
            let mut all = vec![self.bind_expr(o, cx)?];
            for cw in conditions {
                all.push(self.bind_expr(&cw.condition, cx)?);
            }
            let (mut all, _) = self.unify_all(all, "CASE")?;
            let o = all.remove(0);
            for v in all {
                whens.push(Expr::binary(BinaryOp::Eq, o.clone(), v, DataType::Boolean));
            }
        } else {
            for cw in conditions {
                let mut wcx = ExprCtx {
                    scope: cx.scope,
                    aggs: cx.aggs.as_deref_mut(),
                    clause: "CASE WHEN",
                };
                whens.push(self.bind_condition(&cw.condition, &mut wcx)?);
            }
        }
        for cw in conditions {
            results.push(self.bind_expr(&cw.result, cx)?);
        }
        let has_else = else_result.is_some();
        if let Some(e) = else_result {
            results.push(self.bind_expr(e, cx)?);
        }
        let (mut results, ty) = self.unify_all(results, "CASE")?;
        let else_ = if has_else {
            results.pop().map(Box::new)
        } else {
            None
        };
        Ok(Expr::Case {
            whens: whens.into_iter().zip(results).collect(),
            else_,
            ty,
        })
    }

    /// Binds a subquery with the current scope visible as an outer scope (used only to detect
    /// correlation).
    pub(crate) fn bind_subquery(&mut self, q: &ast::Query, scope: &Scope) -> Result<LogicalPlan> {
        self.outer.push(scope.clone());
        let r = self.bind_query(q);
        self.outer.pop();
        r
    }

    pub(crate) fn extract(&mut self, field: crate::date::DateField, x: Expr) -> Result<Expr> {
        let x = if self.is_unknown(&x) {
            self.coerce_to(x, DataType::Date)?
        } else {
            x
        };
        if x.data_type() != DataType::Date {
            return crate::type_err!("cannot extract {field:?} from {}", x.data_type());
        }
        Ok(Expr::Function {
            func: ScalarFunc::Extract(field),
            args: vec![x],
            ty: DataType::Int64,
        })
    }

    pub(crate) fn substring(&mut self, s: Expr, from: Expr, len: Option<Expr>) -> Result<Expr> {
        let s = self.string_arg(s, "substring")?;
        let mut args = vec![s, self.int_arg(from, "substring")?];
        if let Some(l) = len {
            args.push(self.int_arg(l, "substring")?);
        }
        Ok(Expr::Function {
            func: ScalarFunc::Substring,
            args,
            ty: DataType::Varchar,
        })
    }

    pub(crate) fn string_arg(&mut self, e: Expr, func: &str) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, DataType::Varchar);
        }
        match e.data_type() {
            DataType::Varchar => Ok(e),
            t => crate::type_err!("function {func}({t}) does not exist"),
        }
    }

    pub(crate) fn int_arg(&mut self, e: Expr, func: &str) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, DataType::Int32);
        }
        match e.data_type() {
            DataType::Int32 => Ok(e),
            DataType::Int64 => Ok(self.cast(e, DataType::Int32)),
            t => crate::type_err!("function {func} expects an INTEGER argument, not {t}"),
        }
    }
}

/// Operators of one precedence class chain left-deep (`a + b - c`); a chain is bound
/// iteratively along its left spine.
fn op_class(op: &AstOp) -> u8 {
    match op {
        AstOp::Or => 1,
        AstOp::And => 2,
        AstOp::Plus | AstOp::Minus => 3,
        AstOp::Multiply | AstOp::Divide | AstOp::Modulo => 4,
        AstOp::StringConcat => 5,
        _ => 6,
    }
}

/// `DateAddDays`/`DateAddMonths` of a date by a constant, folded if the date is a literal.
fn date_add(func: ScalarFunc, d: Expr, n: i32) -> Expr {
    if let Some(Value::Date(days)) = d.as_literal() {
        let r = match func {
            ScalarFunc::DateAddMonths => crate::date::add_months(*days, n),
            _ => days.checked_add(n),
        };
        if let Some(r) = r {
            return Expr::literal(Value::Date(r), DataType::Date);
        }
    }
    Expr::Function {
        func,
        args: vec![d, Expr::literal(Value::Int32(n), DataType::Int32)],
        ty: DataType::Date,
    }
}

fn negate_expr(e: Expr) -> Expr {
    if let Some(v) = e.as_literal() {
        if let Some(n) = eval::negate(v) {
            return Expr::literal(n, e.data_type());
        }
    }
    Expr::Negate(Box::new(e))
}

/// Joins many terms with one associative operator as a balanced tree (bounded depth).
pub(crate) fn balanced(op: BinaryOp, mut terms: Vec<Expr>) -> Expr {
    if terms.len() <= 1 {
        return terms
            .pop()
            .unwrap_or_else(|| Expr::boolean(op == BinaryOp::And));
    }
    let right = terms.split_off(terms.len() / 2);
    Expr::binary(
        op,
        balanced(op, terms),
        balanced(op, right),
        DataType::Boolean,
    )
}

/// A numeric literal: INTEGER if it fits, else BIGINT; `1.25` is DECIMAL(3,2); `1e3` DOUBLE.
fn number_literal(text: &str) -> Result<Expr> {
    let t: String = text.chars().filter(|c| *c != '_').collect();
    let bad = || Error::Bind(format!("invalid number {text}"));
    if t.contains(['e', 'E']) && !t.starts_with("0x") {
        let f: f64 = t.parse().map_err(|_| bad())?;
        return Ok(Expr::literal(Value::Float64(f), DataType::Float64));
    }
    if t.contains('.') {
        return match eval::parse_decimal_text(&t) {
            Some((u, scale)) => {
                let digits = if u == 0 {
                    1
                } else {
                    u.unsigned_abs().to_string().len() as i32
                };
                let int_digits = (digits - scale as i32).max(1);
                let precision = int_digits + scale as i32;
                if precision > DECIMAL_MAX_PRECISION as i32 {
                    let f: f64 = t.parse().map_err(|_| bad())?;
                    Ok(Expr::literal(Value::Float64(f), DataType::Float64))
                } else {
                    Ok(Expr::literal(
                        Value::Decimal(u, scale),
                        DataType::Decimal {
                            precision: precision as u8,
                            scale,
                        },
                    ))
                }
            }
            None => {
                let f: f64 = t.parse().map_err(|_| bad())?;
                Ok(Expr::literal(Value::Float64(f), DataType::Float64))
            }
        };
    }
    let parsed = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(hex) => i128::from_str_radix(hex, 16).ok(),
        None => t.parse::<i128>().ok(),
    };
    match parsed {
        Some(v) if i32::try_from(v).is_ok() => {
            Ok(Expr::literal(Value::Int32(v as i32), DataType::Int32))
        }
        Some(v) if i64::try_from(v).is_ok() => {
            Ok(Expr::literal(Value::Int64(v as i64), DataType::Int64))
        }
        Some(v) if v.unsigned_abs().to_string().len() <= DECIMAL_MAX_PRECISION as usize => {
            let precision = v.unsigned_abs().to_string().len() as u8;
            Ok(Expr::literal(
                Value::Decimal(v, 0),
                DataType::Decimal {
                    precision,
                    scale: 0,
                },
            ))
        }
        _ => {
            let f: f64 = t.parse().map_err(|_| bad())?;
            Ok(Expr::literal(Value::Float64(f), DataType::Float64))
        }
    }
}

/// Months and days of an INTERVAL literal: `INTERVAL '3' MONTH`, `INTERVAL '1 year'`,
/// `INTERVAL '2 years 3 days'`.
fn interval_parts(iv: &ast::Interval) -> Result<(i32, i32)> {
    let text = match iv.value.as_ref() {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            ast::Value::Number(n, _) => n.clone(),
            other => return crate::unsupported!("INTERVAL {other}"),
        },
        other => return crate::unsupported!("INTERVAL {}", short(&other.to_string())),
    };
    if iv.last_field.is_some() || iv.fractional_seconds_precision.is_some() {
        return crate::unsupported!("INTERVAL ... TO ...");
    }
    let unit_of = |f: &ast::DateTimeField| -> Result<&'static str> {
        use ast::DateTimeField as D;
        Ok(match f {
            D::Year | D::Years => "year",
            D::Month | D::Months => "month",
            D::Week(_) | D::Weeks => "week",
            D::Day | D::Days => "day",
            other => return crate::unsupported!("INTERVAL unit {other}"),
        })
    };
    let bad = || Error::Bind(format!("invalid interval '{text}'"));
    let mut words = text.split_whitespace();
    let mut months: i64 = 0;
    let mut days: i64 = 0;
    let mut any = false;
    while let Some(n) = words.next() {
        let n: i64 = n.parse().map_err(|_| bad())?;
        let unit = match (words.next(), &iv.leading_field) {
            (Some(u), _) => u.to_ascii_lowercase(),
            (None, Some(f)) => unit_of(f)?.to_string(),
            (None, None) => return Err(bad()),
        };
        let unit = unit.trim_end_matches('s');
        match unit {
            "year" => months += n * 12,
            "mon" | "month" => months += n,
            "week" => days += n * 7,
            "day" => days += n,
            _ if matches!(unit, "hour" | "minute" | "min" | "second" | "sec") => {
                return crate::unsupported!(
                    "INTERVAL unit {unit} (only years, months, weeks, days)"
                )
            }
            _ => return Err(bad()),
        }
        any = true;
        if n.abs() > 1_000_000 {
            return Err(bad());
        }
    }
    if !any {
        return Err(bad());
    }
    Ok((months as i32, days as i32))
}

/// Maps a SQL type name to a [`DataType`].
pub(crate) fn convert_type(t: &ast::DataType) -> Result<DataType> {
    use ast::DataType as D;
    Ok(match t {
        D::Int(_) | D::Int4(_) | D::Integer(_) | D::SmallInt(_) | D::Int2(_) => DataType::Int32,
        D::BigInt(_) | D::Int8(_) => DataType::Int64,
        D::Double(_) | D::DoublePrecision | D::Float8 | D::Float4 | D::Real | D::Float(_) => {
            DataType::Float64
        }
        D::Decimal(info) | D::Numeric(info) | D::Dec(info) => {
            let (p, s) = match info {
                ast::ExactNumberInfo::None => (18, 3),
                ast::ExactNumberInfo::Precision(p) => (*p, 0),
                ast::ExactNumberInfo::PrecisionAndScale(p, s) => {
                    if *s < 0 {
                        return crate::bind_err!(
                            "NUMERIC scale {s} must be between 0 and precision {p}"
                        );
                    }
                    (*p, *s as u64)
                }
            };
            if !(1..=DECIMAL_MAX_PRECISION as u64).contains(&p) {
                return crate::bind_err!(
                    "NUMERIC precision {p} must be between 1 and {DECIMAL_MAX_PRECISION}"
                );
            }
            if s > p {
                return crate::bind_err!("NUMERIC scale {s} must be between 0 and precision {p}");
            }
            DataType::Decimal {
                precision: p as u8,
                scale: s as u8,
            }
        }
        D::Date => DataType::Date,
        D::Varchar(_)
        | D::Text
        | D::Char(_)
        | D::Character(_)
        | D::CharacterVarying(_)
        | D::CharVarying(_)
        | D::String(_) => DataType::Varchar,
        D::Bool | D::Boolean => DataType::Boolean,
        D::Custom(name, _) => match super::object_name(name)?.as_str() {
            "int4" | "int" | "integer" => DataType::Int32,
            "int8" => DataType::Int64,
            "float8" | "float4" => DataType::Float64,
            "bpchar" | "varchar" | "text" => DataType::Varchar,
            "bool" => DataType::Boolean,
            _ => return crate::unsupported!("type {t}"),
        },
        other => return crate::unsupported!("type {other}"),
    })
}

fn quoted(qualifier: Option<&str>, name: &str) -> String {
    format!("\"{}\"", display_name(qualifier, name))
}

/// Shortens SQL text for an error message.
pub(crate) fn short(s: &str) -> String {
    if s.chars().count() > 60 {
        format!("{}...", s.chars().take(57).collect::<String>())
    } else {
        s.to_string()
    }
}
