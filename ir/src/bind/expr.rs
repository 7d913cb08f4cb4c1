//! Binding scalar expressions: names to column ids, literals to typed values, operators to
//! typed [`Expr`] nodes with explicit casts (rules in `coerce.rs`).

use sqlparser::ast::{self, BinaryOperator as AstOp, UnaryOperator};

use super::coerce::common_type;
use super::literal::convert_type;
use super::scope::{display_name, Lookup, Scope};
use super::{ident, Binder};
use crate::error::{Error, Result};
use crate::expr::{BinaryOp, BitOp, Expr, ScalarFunc};
use crate::optimize::eval;
use crate::plan::{AggregateCall, Field, LogicalPlan};
use crate::types::{DataType, Value};

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
                if !matches!(
                    kind,
                    ast::CastKind::Cast | ast::CastKind::DoubleColon | ast::CastKind::TryCast
                ) {
                    return crate::unsupported!("{kind:?} (only CAST, :: and TRY_CAST)");
                }
                if format.is_some() {
                    return crate::unsupported!("CAST ... FORMAT");
                }
                if let Some(pg) = super::pg_functions::pg_cast(data_type) {
                    let x = self.bind_expr(expr, cx)?;
                    return self.bind_pg_cast(pg, x, cx);
                }
                let ty = convert_type(data_type)?;
                let x = self.bind_expr(expr, cx)?;
                if *kind == ast::CastKind::TryCast {
                    return self.try_cast(x, ty);
                }
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
                    ast::DateTimeField::Week(None) | ast::DateTimeField::Weeks => Some("week"),
                    ast::DateTimeField::Isodow => Some("isodow"),
                    ast::DateTimeField::Isoyear => Some("isoyear"),
                    ast::DateTimeField::Epoch => Some("epoch"),
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
            A::Collate { expr, collation } => self.bind_collate(expr, collation, cx),
            A::Ceil {
                expr,
                field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
            }
            | A::Floor {
                expr,
                field: ast::CeilFloorKind::DateTimeField(ast::DateTimeField::NoDateTime),
            } => {
                let name = if matches!(e, A::Ceil { .. }) {
                    "ceil"
                } else {
                    "floor"
                };
                let x = self.bind_expr(expr, cx)?;
                self.bind_scalar_function(name, vec![x])
            }
            A::Position { expr, r#in } => {
                let sub = self.bind_expr(expr, cx)?;
                let s = self.bind_expr(r#in, cx)?;
                self.bind_scalar_function("strpos", vec![s, sub])
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
        // An enclosing query's column: the subquery is correlated. The column keeps its outer
        // id; `unnest.rs` finds such free columns and turns the subquery into a join.
        for outer in self.outer.iter().rev() {
            if let Lookup::Found(c) = outer.lookup(qualifier, name)? {
                return Ok(c.expr());
            }
            if qualifier.is_some_and(|q| outer.has_table(q)) {
                return crate::bind_err!("column {} does not exist", quoted(qualifier, name));
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
            V::Number(text, _) => super::literal::number_literal(text),
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
            V::Placeholder(p) => match self.pg_arg(p) {
                Some(arg) => Ok(arg),
                None => self.param(p),
            },
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
            UnaryOperator::BitwiseNot => self.bind_bitwise(BitOp::Not, vec![e]),
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
                let (months, days) = super::literal::interval_parts(iv)?;
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
            AstOp::PGRegexMatch => self.bind_regex(l, r, false, false),
            AstOp::PGRegexIMatch => self.bind_regex(l, r, true, false),
            AstOp::PGRegexNotMatch => self.bind_regex(l, r, false, true),
            AstOp::PGRegexNotIMatch => self.bind_regex(l, r, true, true),
            // PostgreSQL's and DuckDB's exponentiation.
            AstOp::PGExp | AstOp::BitwiseXor => self.bind_scalar_function("power", vec![l, r]),
            AstOp::BitwiseAnd => self.bind_bitwise(BitOp::And, vec![l, r]),
            AstOp::BitwiseOr => self.bind_bitwise(BitOp::Or, vec![l, r]),
            AstOp::PGBitwiseXor => self.bind_bitwise(BitOp::Xor, vec![l, r]),
            AstOp::PGBitwiseShiftLeft => self.bind_bitwise(BitOp::ShiftLeft, vec![l, r]),
            AstOp::PGBitwiseShiftRight => self.bind_bitwise(BitOp::ShiftRight, vec![l, r]),
            AstOp::PGCustomBinaryOperator(parts) => match builtin_operator(parts) {
                Some(op) => self.bind_binary(&op, l, r),
                None => crate::unsupported!("operator {op}"),
            },
            other => crate::unsupported!("operator {other}"),
        }
    }

    /// `s ~ pattern` and its case-insensitive (`~*`) and negated (`!~`, `!~*`) forms: a
    /// regular expression match anywhere in `s`, as `regexp_matches` (Rust `regex` syntax,
    /// which agrees with PostgreSQL's for the common constructs: anchors, classes, `.*`,
    /// alternation, repetition; it has no back-references).
    fn bind_regex(&mut self, l: Expr, r: Expr, insensitive: bool, negated: bool) -> Result<Expr> {
        let sym = match (insensitive, negated) {
            (false, false) => "~",
            (true, false) => "~*",
            (false, true) => "!~",
            (true, true) => "!~*",
        };
        let l = self.varchar_operand(l, sym, &r)?;
        let mut r = self.varchar_operand(r, sym, &l)?;
        if insensitive {
            r = match r.as_literal() {
                Some(Value::Varchar(p)) => {
                    Expr::literal(Value::Varchar(format!("(?i){p}")), DataType::Varchar)
                }
                _ => Expr::binary(
                    BinaryOp::Concat,
                    Expr::literal(Value::Varchar("(?i)".into()), DataType::Varchar),
                    r,
                    DataType::Varchar,
                ),
            };
        }
        let matches = Expr::Function {
            func: ScalarFunc::RegexpMatches,
            args: vec![l, r],
            ty: DataType::Boolean,
        };
        Ok(if negated {
            Expr::Not(Box::new(matches))
        } else {
            matches
        })
    }

    /// `x COLLATE c`: Grizzly compares text byte by byte, which is PostgreSQL's `C`
    /// collation; `default`, `C` and `POSIX` name it, any other collation is unsupported.
    fn bind_collate(
        &mut self,
        x: &ast::Expr,
        collation: &ast::ObjectName,
        cx: &mut ExprCtx,
    ) -> Result<Expr> {
        let parts: Vec<String> = collation
            .0
            .iter()
            .map(|p| p.as_ident().map(ident).unwrap_or_default())
            .collect();
        let name = match parts.as_slice() {
            [c] => c.as_str(),
            [schema, c] if schema == "pg_catalog" => c.as_str(),
            _ => "",
        };
        if !matches!(name, "default" | "C" | "c" | "POSIX" | "posix") {
            return crate::unsupported!(
                "COLLATE {collation} (Grizzly compares text bytewise: only the collations                  \"default\", \"C\" and \"POSIX\")"
            );
        }
        let x = self.bind_expr(x, cx)?;
        if self.is_unknown(&x) {
            return self.coerce_to(x, DataType::Varchar);
        }
        match x.data_type() {
            DataType::Varchar => Ok(x),
            t => crate::type_err!("collations are not supported by type {t}"),
        }
    }

    fn concat_operand(&mut self, e: Expr) -> Result<Expr> {
        if self.is_unknown(&e) {
            self.coerce_to(e, DataType::Varchar)
        } else {
            Ok(self.cast(e, DataType::Varchar))
        }
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

    /// Binds a subquery with the current scope visible as an outer scope: names found only there
    /// become free columns of the subquery's plan (a correlated subquery).
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

pub(crate) fn negate_expr(e: Expr) -> Expr {
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

/// The operator `OPERATOR(pg_catalog.op)` (or `OPERATOR(op)`) names, for the built-in
/// operators Grizzly has.
fn builtin_operator(parts: &[String]) -> Option<AstOp> {
    let op = match parts {
        [op] => op,
        [schema, op] if schema.eq_ignore_ascii_case("pg_catalog") => op,
        _ => return None,
    };
    Some(match op.as_str() {
        "~" => AstOp::PGRegexMatch,
        "~*" => AstOp::PGRegexIMatch,
        "!~" => AstOp::PGRegexNotMatch,
        "!~*" => AstOp::PGRegexNotIMatch,
        "=" => AstOp::Eq,
        "<>" | "!=" => AstOp::NotEq,
        "<" => AstOp::Lt,
        "<=" => AstOp::LtEq,
        ">" => AstOp::Gt,
        ">=" => AstOp::GtEq,
        "+" => AstOp::Plus,
        "-" => AstOp::Minus,
        "*" => AstOp::Multiply,
        "/" => AstOp::Divide,
        "%" => AstOp::Modulo,
        "||" => AstOp::StringConcat,
        _ => return None,
    })
}
