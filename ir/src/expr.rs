//! Typed scalar expressions of a bound plan.
//!
//! Every expression knows its [`DataType`] ([`Expr::data_type`]). The binder makes all implicit
//! conversions explicit as [`Expr::Cast`], so operators never guess:
//! - comparison operands, `IN` list items, CASE branches and COALESCE arguments have one common
//!   type;
//! - `+`/`-` operands have the result type (decimals aligned to the same scale);
//! - `*` on decimals keeps each operand's scale (result scale is the sum); `/` on decimals or
//!   mixed numerics is done in DOUBLE; `/` on integers is integer division (PostgreSQL).
//!
//! NULL semantics are SQL's three-valued logic, stated per variant.

use crate::date::DateField;
use crate::plan::LogicalPlan;
use crate::types::{DataType, Value};

/// Identifies one column produced somewhere in a plan. Unique within a bound statement, so
/// rewrites can move expressions between operators without renumbering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ColumnId(pub u32);

#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Expr {
    /// A column of the operator's input. NULL where the input row holds NULL.
    Column { id: ColumnId, ty: DataType },
    /// A constant. `Value::Null` with the type the context gave it.
    Literal { value: Value, ty: DataType },
    /// A statement parameter (`$1` is index 0, `?` are numbered left to right). Its type is
    /// inferred from context when bound (VARCHAR if the context says nothing).
    Param { index: usize, ty: DataType },
    /// `-x`: NULL if x is NULL; overflow (`-i32::MIN`) is an error.
    Negate(Box<Expr>),
    /// `NOT x`: NULL if x is NULL.
    Not(Box<Expr>),
    /// Binary operators; see [`BinaryOp`] for NULL rules.
    Binary {
        op: BinaryOp,
        left: Box<Expr>,
        right: Box<Expr>,
        ty: DataType,
    },
    /// `x IS NULL` / `x IS NOT NULL`: never NULL.
    IsNull { expr: Box<Expr>, negated: bool },
    /// `x [NOT] [I]LIKE pattern`: NULL if either side is NULL. `%` any run, `_` one character,
    /// `\` escapes. The pattern is any VARCHAR expression (usually a literal).
    Like {
        expr: Box<Expr>,
        pattern: Box<Expr>,
        negated: bool,
        case_insensitive: bool,
    },
    /// `x [NOT] IN (a, b, ...)`: true if x equals an item; otherwise NULL if x or any item is
    /// NULL; otherwise false. Items have x's type.
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// Searched CASE: the first `when` that is true (not NULL, not false) picks its `then`;
    /// otherwise `else_` (NULL if absent). Simple CASE is bound to this form.
    Case {
        whens: Vec<(Expr, Expr)>,
        else_: Option<Box<Expr>>,
        ty: DataType,
    },
    /// `CAST(x AS ty)`: NULL stays NULL; a value that does not fit is an error.
    Cast { expr: Box<Expr>, ty: DataType },
    /// A scalar function; see [`ScalarFunc`].
    Function {
        func: ScalarFunc,
        args: Vec<Expr>,
        ty: DataType,
    },
    /// `(SELECT ...)` returning one column: NULL if it returns no row, an error if more than
    /// one. Must be uncorrelated (correlated subqueries are rejected by the binder for now).
    ScalarSubquery {
        plan: Box<LogicalPlan>,
        ty: DataType,
    },
    /// `x [NOT] IN (SELECT ...)`: SQL semantics, including NULL if no match and the subquery
    /// produced a NULL.
    InSubquery {
        expr: Box<Expr>,
        plan: Box<LogicalPlan>,
        negated: bool,
    },
    /// `[NOT] EXISTS (SELECT ...)`: never NULL.
    Exists {
        plan: Box<LogicalPlan>,
        negated: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BinaryOp {
    /// Arithmetic: NULL if either side is NULL; integer and decimal overflow is an error;
    /// division or modulo by zero is an error. `Sub` also takes two DATE operands and then
    /// yields INTEGER days (the node's type is INTEGER).
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    /// Comparisons: NULL if either side is NULL. Operands have the same type.
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
    /// `AND`: false if either side is false, else NULL if either is NULL, else true.
    And,
    /// `OR`: true if either side is true, else NULL if either is NULL, else false.
    Or,
    /// `||` on VARCHAR: NULL if either side is NULL.
    Concat,
}

impl BinaryOp {
    pub fn is_comparison(self) -> bool {
        use BinaryOp::*;
        matches!(self, Eq | NotEq | Lt | LtEq | Gt | GtEq)
    }

    pub fn is_arithmetic(self) -> bool {
        use BinaryOp::*;
        matches!(self, Add | Sub | Mul | Div | Mod)
    }

    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub fn flip(self) -> BinaryOp {
        use BinaryOp::*;
        match self {
            Lt => Gt,
            LtEq => GtEq,
            Gt => Lt,
            GtEq => LtEq,
            other => other,
        }
    }

    pub fn symbol(self) -> &'static str {
        use BinaryOp::*;
        match self {
            Add => "+",
            Sub => "-",
            Mul => "*",
            Div => "/",
            Mod => "%",
            Eq => "=",
            NotEq => "<>",
            Lt => "<",
            LtEq => "<=",
            Gt => ">",
            GtEq => ">=",
            And => "AND",
            Or => "OR",
            Concat => "||",
        }
    }
}

/// Scalar functions. Unless stated otherwise a function returns NULL if any argument is NULL.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScalarFunc {
    /// `substring(s, start [, len])`, 1-based, in characters (PostgreSQL rules for start < 1).
    Substring,
    /// Length in characters.
    Length,
    Upper,
    Lower,
    /// `trim(s)`: strips spaces on both sides. LTrim / RTrim one side.
    Trim,
    LTrim,
    RTrim,
    /// `concat(a, b, ...)`: NULL arguments are skipped (never NULL).
    Concat,
    /// `coalesce(a, b, ...)`: the first non-NULL argument.
    Coalesce,
    /// `nullif(a, b)`: NULL if a = b, else a.
    NullIf,
    /// `abs(x)`.
    Abs,
    /// `round(x [, digits])` (digits INTEGER, default 0): DECIMAL rounds half away from zero,
    /// DOUBLE half to even (PostgreSQL). Result type: the type of `x`, except that
    /// `round(DECIMAL(p,s), d)` with a constant `d` is `DECIMAL(p, clamp(d, 0, s))` (without
    /// `d`: `DECIMAL(p, 0)`), holding the value rounded to `d` digits.
    Round,
    /// `extract(field FROM date)` and `date_part('field', date)`: BIGINT.
    Extract(DateField),
    /// `date + n days` (args: DATE, INTEGER); `date ± integer` and `date ± INTERVAL 'n' DAY`.
    DateAddDays,
    /// `date + n months` (args: DATE, INTEGER), clamping the day to the month's end.
    DateAddMonths,
    /// `regexp_matches(s, pattern)` (args: VARCHAR, VARCHAR) → BOOLEAN: whether the regular
    /// expression (Rust `regex` syntax, RE2-like) matches anywhere in `s` (DuckDB semantics).
    /// An invalid pattern is an error.
    RegexpMatches,
    /// A DOUBLE function of DOUBLE arguments ([`MathFunc`]).
    Math(MathFunc),
    /// `ceil` / `floor` / `trunc` of a number: integers as they are, DOUBLE to DOUBLE,
    /// DECIMAL(p,s) to DECIMAL(p,0).
    ToInteger(Rounding),
    /// A string function with a fixed signature ([`TextFunc`]).
    Text(TextFunc),
    /// A date function ([`DateFunc`]).
    Date(DateFunc),
    /// Bitwise operators on integers ([`BitOp`]): both arguments and the result of one
    /// integer type.
    Bitwise(BitOp),
    /// `TRY_CAST(x AS ty)`: the cast, or NULL where it fails (args: x; `ty` the target).
    TryCast,
}

/// Bitwise integer operators (PostgreSQL's symbols).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BitOp {
    /// `a & b`
    And,
    /// `a | b`
    Or,
    /// `a # b` (exclusive or; also `xor(a, b)`).
    Xor,
    /// `a << n`: bits shifted left, the count taken modulo the type's width (as PostgreSQL).
    ShiftLeft,
    /// `a >> n`: arithmetic shift right, modulo the width.
    ShiftRight,
    /// `~a` (one argument).
    Not,
}

/// Date functions (see [`crate::date`] for their rules).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateFunc {
    /// `make_date(year, month, day)` (INTEGERs) → DATE; an invalid date is an error.
    MakeDate,
    /// `last_day(date)` → DATE.
    LastDay,
    /// `dayname(date)` → VARCHAR.
    DayName,
    /// `monthname(date)` → VARCHAR.
    MonthName,
    /// `date_diff('unit', start, end)` → BIGINT (args: start, end; the unit is constant).
    Diff(crate::date::DiffUnit),
    /// `strftime(date, format)` → VARCHAR.
    Strftime,
}

impl DateFunc {
    pub fn name(self) -> &'static str {
        match self {
            DateFunc::MakeDate => "make_date",
            DateFunc::LastDay => "last_day",
            DateFunc::DayName => "dayname",
            DateFunc::MonthName => "monthname",
            DateFunc::Diff(_) => "date_diff",
            DateFunc::Strftime => "strftime",
        }
    }
}

/// DOUBLE functions. Arguments outside the function's domain are errors, as in PostgreSQL
/// (`sqrt(-1)`, `ln(0)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MathFunc {
    Sqrt,
    Cbrt,
    /// Natural logarithm.
    Ln,
    Log10,
    Log2,
    Exp,
    Sin,
    Cos,
    Tan,
    Asin,
    Acos,
    Atan,
    Degrees,
    Radians,
    /// `power(x, y)` (also `pow`): two arguments.
    Power,
    /// `atan2(y, x)`: two arguments.
    Atan2,
}

impl MathFunc {
    /// How many arguments it takes.
    pub fn arity(self) -> usize {
        match self {
            MathFunc::Power | MathFunc::Atan2 => 2,
            _ => 1,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            MathFunc::Sqrt => "sqrt",
            MathFunc::Cbrt => "cbrt",
            MathFunc::Ln => "ln",
            MathFunc::Log10 => "log10",
            MathFunc::Log2 => "log2",
            MathFunc::Exp => "exp",
            MathFunc::Sin => "sin",
            MathFunc::Cos => "cos",
            MathFunc::Tan => "tan",
            MathFunc::Asin => "asin",
            MathFunc::Acos => "acos",
            MathFunc::Atan => "atan",
            MathFunc::Degrees => "degrees",
            MathFunc::Radians => "radians",
            MathFunc::Power => "power",
            MathFunc::Atan2 => "atan2",
        }
    }
}

/// Which way `ceil`, `floor` and `trunc` go to an integer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Rounding {
    /// Towards +infinity (`ceil`, `ceiling`).
    Ceil,
    /// Towards -infinity (`floor`).
    Floor,
    /// Towards zero (`trunc`).
    Trunc,
}

/// String functions, each with fixed argument types (`s` VARCHAR, `n` BIGINT) and result
/// type; PostgreSQL semantics, lengths and positions in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TextFunc {
    /// `replace(s, from, to)`: every occurrence.
    Replace,
    /// `left(s, n)`: the first n characters (n < 0: all but the last -n).
    Left,
    /// `right(s, n)`: the last n characters (n < 0: all but the first -n).
    Right,
    /// `lpad(s, n [, fill])`: to n characters, filled on the left (fill default ' ');
    /// longer strings are cut to n.
    Lpad,
    /// `rpad(s, n [, fill])`: as lpad, filled on the right.
    Rpad,
    /// `repeat(s, n)`.
    Repeat,
    /// `reverse(s)`.
    Reverse,
    /// `split_part(s, delimiter, n)`: the n-th field (n < 0: from the end).
    SplitPart,
    /// `strpos(s, sub)` (and `position(sub IN s)`): 1-based character position, 0 if absent.
    Strpos,
    /// `ascii(s)`: the code point of the first character (0 for '').
    Ascii,
    /// `chr(n)`: the character with code point n.
    Chr,
    /// `initcap(s)`: the first letter of each word upper case, the rest lower case.
    Initcap,
    /// `translate(s, from, to)`: each character of `from` replaced by the one at the same
    /// position in `to`, or removed if `to` is shorter.
    Translate,
    /// `octet_length(s)`: bytes.
    OctetLength,
    /// `regexp_replace(s, pattern, replacement [, flags])`: the first match (flag `g`: all;
    /// `i`: case-insensitive); `\1`.. in the replacement name groups.
    RegexpReplace,
    /// `md5(s)`: the MD5 digest of the bytes, as 32 lower-case hex digits.
    Md5,
}

impl TextFunc {
    pub fn name(self) -> &'static str {
        match self {
            TextFunc::Replace => "replace",
            TextFunc::Left => "left",
            TextFunc::Right => "right",
            TextFunc::Lpad => "lpad",
            TextFunc::Rpad => "rpad",
            TextFunc::Repeat => "repeat",
            TextFunc::Reverse => "reverse",
            TextFunc::SplitPart => "split_part",
            TextFunc::Strpos => "strpos",
            TextFunc::Ascii => "ascii",
            TextFunc::Chr => "chr",
            TextFunc::Initcap => "initcap",
            TextFunc::Translate => "translate",
            TextFunc::OctetLength => "octet_length",
            TextFunc::RegexpReplace => "regexp_replace",
            TextFunc::Md5 => "md5",
        }
    }

    /// The argument types (`true`: VARCHAR, `false`: BIGINT) and how many may be left out at
    /// the end.
    pub fn args(self) -> (&'static [bool], usize) {
        match self {
            TextFunc::Replace | TextFunc::Translate => (&[true, true, true], 0),
            TextFunc::Left | TextFunc::Right | TextFunc::Repeat => (&[true, false], 0),
            TextFunc::Lpad | TextFunc::Rpad => (&[true, false, true], 1),
            TextFunc::Reverse
            | TextFunc::Md5
            | TextFunc::Ascii
            | TextFunc::Initcap
            | TextFunc::OctetLength => (&[true], 0),
            TextFunc::SplitPart => (&[true, true, false], 0),
            TextFunc::Strpos => (&[true, true], 0),
            TextFunc::Chr => (&[false], 0),
            TextFunc::RegexpReplace => (&[true, true, true, true], 1),
        }
    }

    /// The result type: INTEGER for positions, codes and lengths, else VARCHAR.
    pub fn result(self) -> DataType {
        match self {
            TextFunc::Strpos | TextFunc::Ascii | TextFunc::OctetLength => DataType::Int32,
            _ => DataType::Varchar,
        }
    }
}

impl ScalarFunc {
    /// The function's SQL name, as EXPLAIN and fingerprints print it.
    pub fn name(self) -> &'static str {
        match self {
            ScalarFunc::Substring => "substring",
            ScalarFunc::Length => "length",
            ScalarFunc::Upper => "upper",
            ScalarFunc::Lower => "lower",
            ScalarFunc::Trim => "trim",
            ScalarFunc::LTrim => "ltrim",
            ScalarFunc::RTrim => "rtrim",
            ScalarFunc::Concat => "concat",
            ScalarFunc::Coalesce => "coalesce",
            ScalarFunc::NullIf => "nullif",
            ScalarFunc::Abs => "abs",
            ScalarFunc::Round => "round",
            ScalarFunc::Extract(_) => "extract",
            ScalarFunc::DateAddDays => "date_add_days",
            ScalarFunc::DateAddMonths => "date_add_months",
            ScalarFunc::RegexpMatches => "regexp_matches",
            ScalarFunc::Math(m) => m.name(),
            ScalarFunc::ToInteger(Rounding::Ceil) => "ceil",
            ScalarFunc::ToInteger(Rounding::Floor) => "floor",
            ScalarFunc::ToInteger(Rounding::Trunc) => "trunc",
            ScalarFunc::Text(t) => t.name(),
            ScalarFunc::Date(d) => d.name(),
            ScalarFunc::Bitwise(BitOp::And) => "bit_and_op",
            ScalarFunc::Bitwise(BitOp::Or) => "bit_or_op",
            ScalarFunc::Bitwise(BitOp::Xor) => "xor",
            ScalarFunc::Bitwise(BitOp::ShiftLeft) => "shift_left",
            ScalarFunc::Bitwise(BitOp::ShiftRight) => "shift_right",
            ScalarFunc::Bitwise(BitOp::Not) => "bit_not",
            ScalarFunc::TryCast => "try_cast",
        }
    }
}

impl Expr {
    /// The SQL type of the expression's result.
    pub fn data_type(&self) -> DataType {
        match self {
            Expr::Column { ty, .. }
            | Expr::Literal { ty, .. }
            | Expr::Param { ty, .. }
            | Expr::Binary { ty, .. }
            | Expr::Case { ty, .. }
            | Expr::Cast { ty, .. }
            | Expr::Function { ty, .. }
            | Expr::ScalarSubquery { ty, .. } => *ty,
            Expr::Negate(e) => e.data_type(),
            Expr::Not(_)
            | Expr::IsNull { .. }
            | Expr::Like { .. }
            | Expr::InList { .. }
            | Expr::InSubquery { .. }
            | Expr::Exists { .. } => DataType::Boolean,
        }
    }

    pub fn column(id: ColumnId, ty: DataType) -> Expr {
        Expr::Column { id, ty }
    }

    pub fn literal(value: Value, ty: DataType) -> Expr {
        Expr::Literal { value, ty }
    }

    pub fn binary(op: BinaryOp, left: Expr, right: Expr, ty: DataType) -> Expr {
        Expr::Binary {
            op,
            left: Box::new(left),
            right: Box::new(right),
            ty,
        }
    }

    /// `left AND right`.
    pub fn and(left: Expr, right: Expr) -> Expr {
        Expr::binary(BinaryOp::And, left, right, DataType::Boolean)
    }

    /// Splits a conjunction into its terms: `a AND (b AND c)` gives `[a, b, c]`.
    pub fn split_conjunction(self) -> Vec<Expr> {
        match self {
            Expr::Binary {
                op: BinaryOp::And,
                left,
                right,
                ..
            } => {
                let mut terms = left.split_conjunction();
                terms.extend(right.split_conjunction());
                terms
            }
            other => vec![other],
        }
    }

    /// Joins terms with AND; `None` for no terms.
    pub fn conjunction(terms: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        terms.into_iter().reduce(Expr::and)
    }

    /// Calls `f` on this expression and every sub-expression (not entering subquery plans).
    pub fn visit(&self, f: &mut impl FnMut(&Expr)) {
        f(self);
        self.for_each_child(|c| c.visit(f));
    }

    /// Calls `f` on each direct child expression.
    pub fn for_each_child<'a>(&'a self, mut f: impl FnMut(&'a Expr)) {
        match self {
            Expr::Column { .. }
            | Expr::Literal { .. }
            | Expr::Param { .. }
            | Expr::ScalarSubquery { .. }
            | Expr::Exists { .. } => {}
            Expr::Negate(e) | Expr::Not(e) | Expr::Cast { expr: e, .. } => f(e),
            Expr::IsNull { expr, .. } | Expr::InSubquery { expr, .. } => f(expr),
            Expr::Binary { left, right, .. } => {
                f(left);
                f(right);
            }
            Expr::Like { expr, pattern, .. } => {
                f(expr);
                f(pattern);
            }
            Expr::InList { expr, list, .. } => {
                f(expr);
                list.iter().for_each(f);
            }
            Expr::Case { whens, else_, .. } => {
                for (w, t) in whens {
                    f(w);
                    f(t);
                }
                if let Some(e) = else_ {
                    f(e);
                }
            }
            Expr::Function { args, .. } => args.iter().for_each(f),
        }
    }

    /// Rebuilds the expression bottom-up, replacing each node by `f(node)`.
    pub fn transform(self, f: &mut impl FnMut(Expr) -> Expr) -> Expr {
        self.transform_dyn(f)
    }

    fn transform_dyn(self, f: &mut dyn FnMut(Expr) -> Expr) -> Expr {
        #[allow(clippy::boxed_local)]
        fn bx(e: Box<Expr>, f: &mut dyn FnMut(Expr) -> Expr) -> Box<Expr> {
            Box::new(e.transform_dyn(f))
        }
        let node = match self {
            leaf @ (Expr::Column { .. }
            | Expr::Literal { .. }
            | Expr::Param { .. }
            | Expr::ScalarSubquery { .. }
            | Expr::Exists { .. }) => leaf,
            Expr::Negate(e) => Expr::Negate(bx(e, f)),
            Expr::Not(e) => Expr::Not(bx(e, f)),
            Expr::Cast { expr, ty } => Expr::Cast {
                expr: bx(expr, f),
                ty,
            },
            Expr::IsNull { expr, negated } => Expr::IsNull {
                expr: bx(expr, f),
                negated,
            },
            Expr::InSubquery {
                expr,
                plan,
                negated,
            } => Expr::InSubquery {
                expr: bx(expr, f),
                plan,
                negated,
            },
            Expr::Binary {
                op,
                left,
                right,
                ty,
            } => Expr::Binary {
                op,
                left: bx(left, f),
                right: bx(right, f),
                ty,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => Expr::Like {
                expr: bx(expr, f),
                pattern: bx(pattern, f),
                negated,
                case_insensitive,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: bx(expr, f),
                list: list.into_iter().map(|e| e.transform_dyn(f)).collect(),
                negated,
            },
            Expr::Case { whens, else_, ty } => Expr::Case {
                whens: whens
                    .into_iter()
                    .map(|(w, t)| (w.transform_dyn(f), t.transform_dyn(f)))
                    .collect(),
                else_: else_.map(|e| bx(e, f)),
                ty,
            },
            Expr::Function { func, args, ty } => Expr::Function {
                func,
                args: args.into_iter().map(|e| e.transform_dyn(f)).collect(),
                ty,
            },
        };
        f(node)
    }

    /// The columns this expression reads (not counting subquery plans, which are uncorrelated).
    pub fn columns(&self) -> Vec<ColumnId> {
        let mut out = Vec::new();
        self.visit(&mut |e| {
            if let Expr::Column { id, .. } = e {
                if !out.contains(id) {
                    out.push(*id);
                }
            }
        });
        out
    }

    /// `left OR right`.
    pub fn or(left: Expr, right: Expr) -> Expr {
        Expr::binary(BinaryOp::Or, left, right, DataType::Boolean)
    }

    /// A BOOLEAN literal.
    pub fn boolean(b: bool) -> Expr {
        Expr::literal(Value::Boolean(b), DataType::Boolean)
    }

    /// `CAST(self AS ty)`, or `self` unchanged if it already has type `ty`.
    pub fn cast_to(self, ty: DataType) -> Expr {
        if self.data_type() == ty {
            self
        } else {
            Expr::Cast {
                expr: Box::new(self),
                ty,
            }
        }
    }

    /// The literal value, if this is a literal.
    pub fn as_literal(&self) -> Option<&Value> {
        match self {
            Expr::Literal { value, .. } => Some(value),
            _ => None,
        }
    }

    /// Splits a disjunction into its terms: `a OR (b OR c)` gives `[a, b, c]`.
    pub fn split_disjunction(self) -> Vec<Expr> {
        match self {
            Expr::Binary {
                op: BinaryOp::Or,
                left,
                right,
                ..
            } => {
                let mut terms = left.split_disjunction();
                terms.extend(right.split_disjunction());
                terms
            }
            other => vec![other],
        }
    }

    /// Joins terms with OR; `None` for no terms.
    pub fn disjunction(terms: impl IntoIterator<Item = Expr>) -> Option<Expr> {
        terms.into_iter().reduce(Expr::or)
    }

    /// Rebuilds this node with each direct child replaced by `f(child)` (subquery plans are
    /// left alone). Lets callers write top-down rewrites and stop descending where they like.
    pub fn try_map_children<E>(
        self,
        f: &mut dyn FnMut(Expr) -> Result<Expr, E>,
    ) -> Result<Expr, E> {
        #[allow(clippy::boxed_local)]
        fn bx<E>(e: Box<Expr>, f: &mut dyn FnMut(Expr) -> Result<Expr, E>) -> Result<Box<Expr>, E> {
            Ok(Box::new(f(*e)?))
        }
        Ok(match self {
            leaf @ (Expr::Column { .. }
            | Expr::Literal { .. }
            | Expr::Param { .. }
            | Expr::ScalarSubquery { .. }
            | Expr::Exists { .. }) => leaf,
            Expr::Negate(e) => Expr::Negate(bx(e, f)?),
            Expr::Not(e) => Expr::Not(bx(e, f)?),
            Expr::Cast { expr, ty } => Expr::Cast {
                expr: bx(expr, f)?,
                ty,
            },
            Expr::IsNull { expr, negated } => Expr::IsNull {
                expr: bx(expr, f)?,
                negated,
            },
            Expr::InSubquery {
                expr,
                plan,
                negated,
            } => Expr::InSubquery {
                expr: bx(expr, f)?,
                plan,
                negated,
            },
            Expr::Binary {
                op,
                left,
                right,
                ty,
            } => Expr::Binary {
                op,
                left: bx(left, f)?,
                right: bx(right, f)?,
                ty,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => Expr::Like {
                expr: bx(expr, f)?,
                pattern: bx(pattern, f)?,
                negated,
                case_insensitive,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: bx(expr, f)?,
                list: list.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
                negated,
            },
            Expr::Case { whens, else_, ty } => Expr::Case {
                whens: whens
                    .into_iter()
                    .map(|(w, t)| Ok((f(w)?, f(t)?)))
                    .collect::<Result<_, E>>()?,
                else_: match else_ {
                    Some(e) => Some(bx(e, f)?),
                    None => None,
                },
                ty,
            },
            Expr::Function { func, args, ty } => Expr::Function {
                func,
                args: args.into_iter().map(&mut *f).collect::<Result<_, E>>()?,
                ty,
            },
        })
    }

    /// Calls `f` on every subquery plan inside this expression (not nested deeper).
    pub fn for_each_subquery(&self, f: &mut impl FnMut(&LogicalPlan)) {
        self.visit(&mut |e| match e {
            Expr::ScalarSubquery { plan, .. }
            | Expr::InSubquery { plan, .. }
            | Expr::Exists { plan, .. } => f(plan),
            _ => {}
        });
    }

    /// Replaces every subquery plan inside this expression by `f(plan)`.
    pub fn try_map_subqueries<E>(
        self,
        f: &mut dyn FnMut(LogicalPlan) -> Result<LogicalPlan, E>,
    ) -> Result<Expr, E> {
        let node = match self {
            Expr::ScalarSubquery { plan, ty } => {
                return Ok(Expr::ScalarSubquery {
                    plan: Box::new(f(*plan)?),
                    ty,
                })
            }
            Expr::Exists { plan, negated } => {
                return Ok(Expr::Exists {
                    plan: Box::new(f(*plan)?),
                    negated,
                })
            }
            Expr::InSubquery {
                expr,
                plan,
                negated,
            } => Expr::InSubquery {
                expr,
                plan: Box::new(f(*plan)?),
                negated,
            },
            other => other,
        };
        node.try_map_children(&mut |c| c.try_map_subqueries(f))
    }

    /// True if the expression contains a subquery.
    pub fn has_subquery(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| {
            found |= matches!(
                e,
                Expr::ScalarSubquery { .. } | Expr::InSubquery { .. } | Expr::Exists { .. }
            )
        });
        found
    }
}
