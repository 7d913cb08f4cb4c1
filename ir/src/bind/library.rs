//! Scalar functions beyond the core set of `func.rs`: DOUBLE math ([`MathFunc`]), `ceil` /
//! `floor` / `trunc` ([`Rounding`]), the string library ([`TextFunc`]), and shorthands bound
//! as other expressions (`mod` as `%`, `ifnull` / `nvl` as `coalesce`, `if` / `iif` as
//! CASE, `sign` as CASE, `pi()` and `typeof(x)` as literals, `ends_with` and `contains`
//! through `substring` and `strpos`).

use super::Binder;
use crate::date::DiffUnit;
use crate::error::Result;
use crate::expr::{BinaryOp, BitOp, DateFunc, Expr, MathFunc, Rounding, ScalarFunc, TextFunc};
use crate::types::{DataType, Value};

impl Binder<'_> {
    /// `name(args)` if `name` is one of this module's functions, else `None`.
    pub(super) fn bind_library_function(
        &mut self,
        name: &str,
        mut args: Vec<Expr>,
    ) -> Result<Option<Expr>> {
        if let Some(m) = math(name) {
            let arity = if name == "log" && args.len() == 2 {
                // log(b, x): ln(x) / ln(b).
                return self.log_base(args).map(Some);
            } else {
                m.arity()
            };
            self.arity(name, &args, arity, arity)?;
            let args = args
                .into_iter()
                .map(|a| self.double_arg(a, name))
                .collect::<Result<Vec<_>>>()?;
            return Ok(Some(function(ScalarFunc::Math(m), args, DataType::Float64)));
        }
        if let Some(r) = rounding(name) {
            self.arity(name, &args, 1, 1)?;
            let x = self.numeric_arg(args.remove(0), name)?;
            let ty = match x.data_type() {
                DataType::Decimal { precision, .. } => DataType::Decimal {
                    precision,
                    scale: 0,
                },
                t => t,
            };
            return Ok(Some(function(ScalarFunc::ToInteger(r), vec![x], ty)));
        }
        if let Some(t) = text(name) {
            let (kinds, optional) = t.args();
            self.arity(name, &args, kinds.len() - optional, kinds.len())?;
            let mut bound = Vec::with_capacity(args.len());
            for (a, &is_text) in args.into_iter().zip(kinds) {
                bound.push(if is_text {
                    self.string_arg(a, name)?
                } else {
                    self.bigint_arg(a, name)?
                });
            }
            return Ok(Some(function(ScalarFunc::Text(t), bound, t.result())));
        }
        if let Some(e) = self.bind_date_function(name, &mut args)? {
            return Ok(Some(e));
        }
        let expr = match name {
            "mod" => {
                self.arity(name, &args, 2, 2)?;
                let b = args.pop().expect("two");
                let a = args.pop().expect("two");
                self.bind_arith(BinaryOp::Mod, a, b)?
            }
            "ifnull" | "nvl" => {
                self.arity(name, &args, 2, 2)?;
                let (args, ty) = self.unify_all(args, name)?;
                function(ScalarFunc::Coalesce, args, ty)
            }
            "if" | "iif" => {
                self.arity(name, &args, 3, 3)?;
                let otherwise = args.pop().expect("three");
                let then = args.pop().expect("three");
                let cond = self.condition(args.pop().expect("three"), name)?;
                let (mut values, ty) = self.unify_all(vec![then, otherwise], name)?;
                let otherwise = values.pop().expect("two");
                let then = values.pop().expect("two");
                Expr::Case {
                    whens: vec![(cond, then)],
                    else_: Some(Box::new(otherwise)),
                    ty,
                }
            }
            "sign" => {
                self.arity(name, &args, 1, 1)?;
                let x = self.numeric_arg(args.remove(0), name)?;
                let ty = match x.data_type() {
                    DataType::Decimal { .. } => DataType::Decimal {
                        precision: 1,
                        scale: 0,
                    },
                    t => t,
                };
                let zero = self.cast(Expr::literal(Value::Int32(0), DataType::Int32), ty);
                let one = self.cast(Expr::literal(Value::Int32(1), DataType::Int32), ty);
                let minus = self.cast(Expr::literal(Value::Int32(-1), DataType::Int32), ty);
                let x_zero = self.cast(
                    Expr::literal(Value::Int32(0), DataType::Int32),
                    x.data_type(),
                );
                let positive = self.bind_comparison(BinaryOp::Gt, x.clone(), x_zero.clone())?;
                let negative = self.bind_comparison(BinaryOp::Lt, x.clone(), x_zero)?;
                Expr::Case {
                    whens: vec![(positive, one), (negative, minus)],
                    // NULL stays NULL: the else is only reached for zero (and NULL).
                    else_: Some(Box::new(Expr::Case {
                        whens: vec![(
                            Expr::IsNull {
                                expr: Box::new(x),
                                negated: false,
                            },
                            Expr::literal(Value::Null, ty),
                        )],
                        else_: Some(Box::new(zero)),
                        ty,
                    })),
                    ty,
                }
            }
            "pi" => {
                self.arity(name, &args, 0, 0)?;
                Expr::literal(Value::Float64(std::f64::consts::PI), DataType::Float64)
            }
            "typeof" | "pg_typeof" => {
                self.arity(name, &args, 1, 1)?;
                let arg = args.remove(0);
                // A string literal is VARCHAR here (its type is otherwise left to context).
                let ty = if self.is_unknown(&arg) && arg.as_literal().is_some_and(|v| !v.is_null())
                {
                    DataType::Varchar
                } else {
                    arg.data_type()
                };
                let text = if arg.as_literal().is_some_and(Value::is_null) {
                    "NULL".to_string()
                } else if name == "pg_typeof" {
                    let (oid, _) = crate::pg_catalog::type_of(ty);
                    crate::pg_catalog::type_by_oid(oid)
                        .map_or_else(|| ty.to_string(), |t| t.sql_name.to_string())
                } else {
                    ty.to_string()
                };
                Expr::literal(Value::Varchar(text), DataType::Varchar)
            }
            "ends_with" | "suffix" => {
                // right(s, length(suffix)) = suffix
                self.arity(name, &args, 2, 2)?;
                let p = self.string_arg(args.pop().expect("two"), name)?;
                let s = self.string_arg(args.pop().expect("two"), name)?;
                let len = function(ScalarFunc::Length, vec![p.clone()], DataType::Int32);
                let len = self.cast(len, DataType::Int64);
                let tail = function(
                    ScalarFunc::Text(TextFunc::Right),
                    vec![s, len],
                    DataType::Varchar,
                );
                self.bind_comparison(BinaryOp::Eq, tail, p)?
            }
            "xor" => {
                self.arity(name, &args, 2, 2)?;
                return self.bind_bitwise(BitOp::Xor, args).map(Some);
            }
            "concat_ws" => {
                // CASE WHEN sep IS NULL THEN NULL ELSE
                //   substring(concat(sep || a, sep || b, ...), length(sep) + 1) END:
                // concat skips the NULL arguments' (NULL) pieces.
                if args.len() < 2 {
                    return crate::bind_err!(
                        "function concat_ws takes a separator and at least one argument"
                    );
                }
                let sep = self.string_arg(args.remove(0), name)?;
                let mut pieces = Vec::with_capacity(args.len());
                for a in args {
                    let a = if self.is_unknown(&a) {
                        self.coerce_to(a, DataType::Varchar)?
                    } else {
                        self.cast(a, DataType::Varchar)
                    };
                    pieces.push(Expr::binary(
                        BinaryOp::Concat,
                        sep.clone(),
                        a,
                        DataType::Varchar,
                    ));
                }
                let joined = function(ScalarFunc::Concat, pieces, DataType::Varchar);
                let len = function(ScalarFunc::Length, vec![sep.clone()], DataType::Int32);
                let one = Expr::literal(Value::Int32(1), DataType::Int32);
                let from = self.bind_arith(BinaryOp::Add, len, one)?;
                let rest = self.bind_scalar_function("substring", vec![joined, from])?;
                Expr::Case {
                    whens: vec![(
                        Expr::IsNull {
                            expr: Box::new(sep),
                            negated: false,
                        },
                        Expr::literal(Value::Null, DataType::Varchar),
                    )],
                    else_: Some(Box::new(rest)),
                    ty: DataType::Varchar,
                }
            }
            "contains" => {
                // strpos(s, sub) > 0
                self.arity(name, &args, 2, 2)?;
                let sub = self.string_arg(args.pop().expect("two"), name)?;
                let s = self.string_arg(args.pop().expect("two"), name)?;
                let pos = function(
                    ScalarFunc::Text(TextFunc::Strpos),
                    vec![s, sub],
                    DataType::Int32,
                );
                let zero = Expr::literal(Value::Int32(0), DataType::Int32);
                self.bind_comparison(BinaryOp::Gt, pos, zero)?
            }
            _ => return Ok(None),
        };
        Ok(Some(expr))
    }

    /// The date library ([`DateFunc`]).
    fn bind_date_function(&mut self, name: &str, args: &mut Vec<Expr>) -> Result<Option<Expr>> {
        let date = DataType::Date;
        let (func, ty, arg_types): (DateFunc, DataType, &[DataType]) = match name {
            "make_date" => (
                DateFunc::MakeDate,
                date,
                &[DataType::Int32, DataType::Int32, DataType::Int32],
            ),
            "last_day" => (DateFunc::LastDay, date, &[DataType::Date]),
            "dayname" => (DateFunc::DayName, DataType::Varchar, &[DataType::Date]),
            "monthname" => (DateFunc::MonthName, DataType::Varchar, &[DataType::Date]),
            "strftime" => (
                DateFunc::Strftime,
                DataType::Varchar,
                &[DataType::Date, DataType::Varchar],
            ),
            "date_diff" | "datediff" => {
                self.arity(name, args, 3, 3)?;
                let unit = match args[0].as_literal() {
                    Some(Value::Varchar(u)) => u.clone(),
                    _ => return crate::unsupported!("{name} with a non-constant unit"),
                };
                let Some(unit) = DiffUnit::parse(&unit) else {
                    return crate::bind_err!(
                        "{name}: unknown unit '{unit}' (day, week, month, quarter, year)"
                    );
                };
                args.remove(0);
                (
                    DateFunc::Diff(unit),
                    DataType::Int64,
                    &[DataType::Date, DataType::Date],
                )
            }
            _ => return Ok(None),
        };
        self.arity(name, args, arg_types.len(), arg_types.len())?;
        let mut bound = Vec::with_capacity(args.len());
        for (a, &want) in std::mem::take(args).into_iter().zip(arg_types) {
            bound.push(self.typed_arg(a, want, name)?);
        }
        Ok(Some(function(ScalarFunc::Date(func), bound, ty)))
    }

    /// An argument of type `want`: unknown literals and parameters take it, integers widen
    /// or narrow among themselves; anything else is a type error.
    fn typed_arg(&mut self, e: Expr, want: DataType, func: &str) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, want);
        }
        match (e.data_type(), want) {
            (t, w) if t == w => Ok(e),
            (DataType::Int32 | DataType::Int64, DataType::Int32 | DataType::Int64) => {
                Ok(self.cast(e, want))
            }
            (t, w) => crate::type_err!("function {func} expects {w}, not {t}"),
        }
    }

    /// A bitwise operator: integer operands of one type (shift counts INTEGER).
    pub(crate) fn bind_bitwise(&mut self, op: BitOp, args: Vec<Expr>) -> Result<Expr> {
        let symbol = match op {
            BitOp::And => "&",
            BitOp::Or => "|",
            BitOp::Xor => "#",
            BitOp::ShiftLeft => "<<",
            BitOp::ShiftRight => ">>",
            BitOp::Not => "~",
        };
        let shift = matches!(op, BitOp::ShiftLeft | BitOp::ShiftRight);
        let mut args = args.into_iter();
        let (a, b) = (args.next(), args.next());
        let Some(a) = a else {
            return crate::internal_err!("operator {symbol} without operands");
        };
        let (a, b, ty) = match b {
            Some(b) if shift => {
                let a = self.integer_operand(a, symbol)?;
                let ty = a.data_type();
                let b = self.integer_operand(b, symbol)?;
                let b = self.cast(b, DataType::Int32);
                (a, Some(b), ty)
            }
            Some(b) => {
                let a = self.integer_operand(a, symbol)?;
                let b = self.integer_operand(b, symbol)?;
                let (mut both, ty) = self.unify_all(vec![a, b], symbol)?;
                let b = both.pop().expect("two");
                (both.pop().expect("two"), Some(b), ty)
            }
            None => {
                let a = self.integer_operand(a, symbol)?;
                let ty = a.data_type();
                (a, None, ty)
            }
        };
        let mut out = vec![a];
        out.extend(b);
        Ok(function(ScalarFunc::Bitwise(op), out, ty))
    }

    fn integer_operand(&mut self, e: Expr, symbol: &str) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, DataType::Int64);
        }
        match e.data_type() {
            DataType::Int32 | DataType::Int64 => Ok(e),
            t => crate::type_err!("operator {symbol} is not defined for {t} (integers only)"),
        }
    }

    /// `TRY_CAST(x AS ty)`: as CAST, but NULL where the value does not convert.
    pub(crate) fn try_cast(&mut self, x: Expr, ty: DataType) -> Result<Expr> {
        if self.is_unknown(&x) {
            // A literal or parameter of no type yet: as text.
            let x = self.coerce_to(x, DataType::Varchar)?;
            return Ok(function(ScalarFunc::TryCast, vec![x], ty));
        }
        if x.data_type() == ty {
            return Ok(x);
        }
        // Only conversions CAST allows at all.
        self.explicit_cast(x.clone(), ty)?;
        Ok(function(ScalarFunc::TryCast, vec![x], ty))
    }

    /// `log(b, x)` = ln(x) / ln(b).
    fn log_base(&mut self, args: Vec<Expr>) -> Result<Expr> {
        let mut args = args
            .into_iter()
            .map(|a| self.double_arg(a, "log"))
            .collect::<Result<Vec<_>>>()?;
        let x = args.pop().expect("two");
        let b = args.pop().expect("two");
        let ln = |e| function(ScalarFunc::Math(MathFunc::Ln), vec![e], DataType::Float64);
        self.bind_arith(BinaryOp::Div, ln(x), ln(b))
    }

    /// Refuses a call of `name` with fewer than `min` or more than `max` arguments.
    pub(super) fn arity(&self, name: &str, args: &[Expr], min: usize, max: usize) -> Result<()> {
        if (min..=max).contains(&args.len()) {
            return Ok(());
        }
        if min == max {
            crate::bind_err!(
                "function {name} takes {min} argument(s), not {}",
                args.len()
            )
        } else {
            crate::bind_err!(
                "function {name} takes {min} to {max} arguments, not {}",
                args.len()
            )
        }
    }

    /// A numeric argument as DOUBLE.
    fn double_arg(&mut self, e: Expr, func: &str) -> Result<Expr> {
        let e = self.numeric_arg(e, func)?;
        Ok(self.cast(e, DataType::Float64))
    }

    /// An integer argument as BIGINT.
    fn bigint_arg(&mut self, e: Expr, func: &str) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, DataType::Int64);
        }
        match e.data_type() {
            DataType::Int32 | DataType::Int64 => Ok(self.cast(e, DataType::Int64)),
            t => crate::type_err!("function {func} expects an integer argument, not {t}"),
        }
    }

    /// A BOOLEAN condition.
    fn condition(&mut self, e: Expr, func: &str) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, DataType::Boolean);
        }
        match e.data_type() {
            DataType::Boolean => Ok(e),
            t => crate::type_err!("the condition of {func} must be BOOLEAN, not {t}"),
        }
    }
}

fn function(func: ScalarFunc, args: Vec<Expr>, ty: DataType) -> Expr {
    Expr::Function { func, args, ty }
}

fn math(name: &str) -> Option<MathFunc> {
    Some(match name {
        "sqrt" => MathFunc::Sqrt,
        "cbrt" => MathFunc::Cbrt,
        "ln" => MathFunc::Ln,
        "log10" | "log" => MathFunc::Log10,
        "log2" => MathFunc::Log2,
        "exp" => MathFunc::Exp,
        "sin" => MathFunc::Sin,
        "cos" => MathFunc::Cos,
        "tan" => MathFunc::Tan,
        "asin" => MathFunc::Asin,
        "acos" => MathFunc::Acos,
        "atan" => MathFunc::Atan,
        "degrees" => MathFunc::Degrees,
        "radians" => MathFunc::Radians,
        "power" | "pow" => MathFunc::Power,
        "atan2" => MathFunc::Atan2,
        _ => return None,
    })
}

fn rounding(name: &str) -> Option<Rounding> {
    Some(match name {
        "ceil" | "ceiling" => Rounding::Ceil,
        "floor" => Rounding::Floor,
        "trunc" => Rounding::Trunc,
        _ => return None,
    })
}

fn text(name: &str) -> Option<TextFunc> {
    Some(match name {
        "replace" => TextFunc::Replace,
        "left" => TextFunc::Left,
        "right" => TextFunc::Right,
        "lpad" => TextFunc::Lpad,
        "rpad" => TextFunc::Rpad,
        "repeat" => TextFunc::Repeat,
        "reverse" => TextFunc::Reverse,
        "split_part" => TextFunc::SplitPart,
        "strpos" | "instr" => TextFunc::Strpos,
        "ascii" => TextFunc::Ascii,
        "chr" => TextFunc::Chr,
        "initcap" => TextFunc::Initcap,
        "translate" => TextFunc::Translate,
        "octet_length" => TextFunc::OctetLength,
        "regexp_replace" => TextFunc::RegexpReplace,
        "md5" => TextFunc::Md5,
        _ => return None,
    })
}
