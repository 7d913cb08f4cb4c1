//! The canonical form of a (lifted) plan: one line of text plus a stream of type bytes.
//!
//! Text grammar, one node per constructor, inputs last:
//! ```text
//! Scan(table, [index:name#k, ...], filters=[expr, ...])
//! Values([name#k, ...], rows=[[expr, ...], ...])
//! Filter(expr, input)          Project([expr AS name#k, ...], input)
//! Aggregate(group=[expr AS name#k, ...], aggs=[sum(DISTINCT expr) AS name#k, ...], input)
//!     (ordered: `string_agg(expr, Varchar(",") ORDER BY [expr ASC NULLS LAST, ...]) AS ...`)
//! Join(INNER, on=[l = r, ...], filter=expr, left, right)     (`filter=` only when present)
//! Sort([expr ASC NULLS LAST, ...], input)     Limit(10|ALL, offset=0, input)
//! LimitWithTies(10, offset=0, [expr ASC NULLS LAST, ...], input)
//! Distinct(input)              SetOp(UNION ALL, [name#k, ...], left, right)
//! ```
//! Columns print as `name#k`, `k` numbering column ids in order of first appearance in the
//! text (so the binder's numbering does not matter); a projection that passes a column through
//! under the same id and name prints just `name#k`. Expressions are fully parenthesized;
//! parameters print as `$n::TYPE` (`n` = index + 1); kept literals in SQL syntax with their
//! type where it is not evident (`'abc'`, `DATE '1995-01-01'`, `TRUE`, `NULL::DATE`,
//! `2::INTEGER`). Names that are not plain lower-case
//! identifiers are double-quoted, strings single-quoted, each with the quote doubled.
//!
//! The type stream holds, in text order, the type of every expression node and of every field
//! (then a nullable byte), plus a value-kind byte after each kept literal: everything the text
//! leaves implicit, so text + types determine the plan up to column-id renumbering and the
//! values of lifted literals. Type bytes: BOOLEAN 1, INTEGER 2, BIGINT 3, DOUBLE 4,
//! DECIMAL 5 precision scale, DATE 6, VARCHAR 7.

use std::collections::HashMap;
use std::fmt::Write;

use crate::date::{format_date, DateField};
use crate::expr::{ColumnId, Expr, ScalarFunc};
use crate::plan::{AggFunc, Field, JoinKind, LogicalPlan, SetOpKind, SortKey};
use crate::types::{format_decimal, DataType, Value};

pub(super) struct Canon {
    pub text: String,
    pub types: Vec<u8>,
    /// The name each column id was first declared with, anywhere in the plan.
    names: HashMap<ColumnId, String>,
    /// Canonical number of each column id met so far.
    ids: HashMap<ColumnId, usize>,
}

impl Canon {
    pub fn of(plan: &LogicalPlan) -> Canon {
        let mut c = Canon {
            text: String::new(),
            types: Vec::new(),
            names: HashMap::new(),
            ids: HashMap::new(),
        };
        collect_names(plan, &mut c.names);
        c.plan(plan);
        c
    }

    fn s(&mut self, s: &str) {
        self.text.push_str(s);
    }

    fn ty(&mut self, ty: DataType) {
        self.types.extend_from_slice(&type_bytes(ty));
    }

    fn column(&mut self, id: ColumnId) {
        let next = self.ids.len();
        let k = *self.ids.entry(id).or_insert(next);
        let name = ident(self.names.get(&id).map_or("", String::as_str));
        let _ = write!(self.text, "{name}#{k}");
    }

    fn field(&mut self, f: &Field) {
        self.ty(f.ty);
        self.types.push(u8::from(f.nullable));
        let next = self.ids.len();
        let k = *self.ids.entry(f.id).or_insert(next);
        let _ = write!(self.text, "{}#{k}", ident(&f.name));
    }

    /// `[item, item, ...]`.
    fn list<T>(&mut self, items: &[T], mut each: impl FnMut(&mut Self, &T)) {
        self.s("[");
        for (i, item) in items.iter().enumerate() {
            if i > 0 {
                self.s(", ");
            }
            each(self, item);
        }
        self.s("]");
    }

    fn plan(&mut self, plan: &LogicalPlan) {
        match plan {
            LogicalPlan::Scan {
                table,
                columns,
                filters,
            } => {
                let _ = write!(self.text, "Scan({}, ", ident(table));
                self.list(columns, |c, (index, f)| {
                    let _ = write!(c.text, "{index}:");
                    c.field(f);
                });
                self.s(", filters=");
                self.list(filters, |c, e| c.expr(e));
            }
            LogicalPlan::Values { fields, rows } => {
                self.s("Values(");
                self.list(fields, |c, f| c.field(f));
                self.s(", rows=");
                self.list(rows, |c, row| c.list(row, |c, e| c.expr(e)));
            }
            LogicalPlan::Recursive(r) => {
                let _ = write!(self.text, "Recursive(#{}, distinct={}, ", r.id, r.distinct);
                self.list(&r.fields, |c, f| c.field(f));
            }
            LogicalPlan::WorkingTable { id, fields } => {
                let _ = write!(self.text, "WorkingTable(#{id}, ");
                self.list(fields, |c, f| c.field(f));
            }
            LogicalPlan::Series(s) => {
                self.s(if s.inclusive { "Series(" } else { "Range(" });
                self.field(&s.field);
                self.list(&s.bounds(), |c, e| c.expr(e));
            }
            LogicalPlan::Filter { predicate, .. } => {
                self.s("Filter(");
                self.expr(predicate);
            }
            LogicalPlan::Project { exprs, .. } => {
                self.s("Project(");
                self.list(exprs, |c, (e, f)| c.output(e, f));
            }
            LogicalPlan::Aggregate {
                group_by,
                aggregates,
                ..
            } => {
                self.s("Aggregate(group=");
                self.list(group_by, |c, (e, f)| c.output(e, f));
                self.s(", aggs=");
                self.list(aggregates, |c, (a, f)| {
                    c.ty(a.ty);
                    c.s(a.func.name());
                    c.s("(");
                    if a.distinct {
                        c.s("DISTINCT ");
                    }
                    match &a.arg {
                        Some(e) => c.expr(e),
                        None if a.func == AggFunc::CountStar => c.s("*"),
                        None => {}
                    }
                    for p in &a.params {
                        c.s(", ");
                        c.s(&format!("{p:?}"));
                    }
                    if !a.order_by.is_empty() {
                        c.s(" ORDER BY ");
                        c.list(&a.order_by, |c, k| c.sort_key(k));
                    }
                    c.s(") AS ");
                    c.field(f);
                });
            }
            LogicalPlan::Join {
                kind, on, filter, ..
            } => {
                let _ = write!(self.text, "Join({}, on=", join_name(*kind));
                self.list(on, |c, (l, r)| {
                    c.expr(l);
                    c.s(" = ");
                    c.expr(r);
                });
                if let Some(f) = filter {
                    self.s(", filter=");
                    self.expr(f);
                }
            }
            LogicalPlan::Sort { keys, .. } => {
                self.s("Sort(");
                self.list(keys, |c, k| c.sort_key(k));
            }
            LogicalPlan::Limit { limit, offset, .. } => {
                let limit = limit.map_or("ALL".to_string(), |l| l.to_string());
                let _ = write!(self.text, "Limit({limit}, offset={offset}");
            }
            LogicalPlan::LimitWithTies {
                keys,
                limit,
                offset,
                ..
            } => {
                let _ = write!(self.text, "LimitWithTies({limit}, offset={offset}, ");
                self.list(keys, |c, k| c.sort_key(k));
            }
            LogicalPlan::Distinct { .. } => self.s("Distinct("),
            LogicalPlan::Window { functions, .. } => {
                self.s("Window(");
                self.list(functions, |c, (w, f)| {
                    let _ = write!(c.text, "{:?}(", w.func);
                    c.list(&w.args, |c, e| c.expr(e));
                    c.s(" partition=");
                    c.list(&w.partition_by, |c, e| c.expr(e));
                    c.s(" order=");
                    c.list(&w.order_by, |c, k| c.sort_key(k));
                    let _ = write!(c.text, " frame={:?}) AS ", w.frame);
                    c.field(f);
                });
            }
            LogicalPlan::SetOp {
                op, all, fields, ..
            } => {
                let name = match op {
                    SetOpKind::Union => "UNION",
                    SetOpKind::Intersect => "INTERSECT",
                    SetOpKind::Except => "EXCEPT",
                };
                let _ = write!(
                    self.text,
                    "SetOp({name}{}, ",
                    if *all { " ALL" } else { "" }
                );
                self.list(fields, |c, f| c.field(f));
            }
        }
        let inputs = plan.inputs();
        for (i, input) in inputs.iter().enumerate() {
            // Leaves open no argument list before their inputs; Distinct has only its input.
            if i > 0 || !matches!(plan, LogicalPlan::Distinct { .. }) {
                self.s(", ");
            }
            self.plan(input);
        }
        self.s(")");
    }

    /// `expr ASC|DESC NULLS FIRST|LAST`.
    fn sort_key(&mut self, k: &SortKey) {
        self.expr(&k.expr);
        self.s(if k.ascending { " ASC" } else { " DESC" });
        self.s(if k.nulls_first {
            " NULLS FIRST"
        } else {
            " NULLS LAST"
        });
    }

    /// A projected or grouped expression and the field it defines.
    fn output(&mut self, e: &Expr, f: &Field) {
        if let Expr::Column { id, ty } = e {
            if *id == f.id && *ty == f.ty && self.names.get(id) == Some(&f.name) {
                self.ty(*ty);
                self.types.push(u8::from(f.nullable));
                self.column(*id);
                return;
            }
        }
        self.expr(e);
        self.s(" AS ");
        self.field(f);
    }

    fn expr(&mut self, e: &Expr) {
        self.ty(e.data_type());
        match e {
            Expr::Column { id, .. } => self.column(*id),
            Expr::Literal { value, ty } => {
                self.types.push(value_kind(value));
                let text = literal(value, *ty);
                self.s(&text);
            }
            Expr::Param { index, ty } => {
                let _ = write!(self.text, "${}::{}", index + 1, type_name(*ty));
            }
            Expr::Negate(x) => self.wrap("(-", x, ")"),
            Expr::Not(x) => self.wrap("(NOT ", x, ")"),
            Expr::Binary {
                op, left, right, ..
            } => {
                self.s("(");
                self.expr(left);
                let _ = write!(self.text, " {} ", op.symbol());
                self.expr(right);
                self.s(")");
            }
            Expr::IsNull { expr, negated } => self.wrap(
                "(",
                expr,
                if *negated {
                    " IS NOT NULL)"
                } else {
                    " IS NULL)"
                },
            ),
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => {
                self.s("(");
                self.expr(expr);
                self.s(if *negated { " NOT" } else { "" });
                self.s(if *case_insensitive {
                    " ILIKE "
                } else {
                    " LIKE "
                });
                self.expr(pattern);
                self.s(")");
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                self.s("(");
                self.expr(expr);
                self.s(if *negated { " NOT IN (" } else { " IN (" });
                for (i, item) in list.iter().enumerate() {
                    if i > 0 {
                        self.s(", ");
                    }
                    self.expr(item);
                }
                self.s("))");
            }
            Expr::Case { whens, else_, .. } => {
                self.s("CASE");
                for (w, t) in whens {
                    self.wrap(" WHEN ", w, " THEN ");
                    self.expr(t);
                }
                if let Some(x) = else_ {
                    self.wrap(" ELSE ", x, "");
                }
                self.s(" END");
            }
            Expr::Cast { expr, ty } => {
                self.wrap("CAST(", expr, " AS ");
                let _ = write!(self.text, "{})", type_name(*ty));
            }
            Expr::Function { func, args, .. } => {
                match func {
                    ScalarFunc::Extract(field) => {
                        let _ = write!(self.text, "extract({} FROM ", field_name(*field));
                    }
                    // The unit is part of the shape (not an argument).
                    ScalarFunc::Date(crate::expr::DateFunc::Diff(unit)) => {
                        let _ = write!(self.text, "date_diff('{}', ", unit.name());
                    }
                    other => {
                        let _ = write!(self.text, "{}(", other.name());
                    }
                }
                for (i, a) in args.iter().enumerate() {
                    if i > 0 {
                        self.s(", ");
                    }
                    self.expr(a);
                }
                self.s(")");
            }
            Expr::ScalarSubquery { plan, .. } => {
                self.s("(");
                self.plan(plan);
                self.s(")");
            }
            Expr::InSubquery {
                expr,
                plan,
                negated,
            } => {
                self.wrap("(", expr, if *negated { " NOT IN (" } else { " IN (" });
                self.plan(plan);
                self.s("))");
            }
            Expr::Exists { plan, negated } => {
                self.s(if *negated {
                    "(NOT EXISTS ("
                } else {
                    "(EXISTS ("
                });
                self.plan(plan);
                self.s("))");
            }
        }
    }

    fn wrap(&mut self, before: &str, e: &Expr, after: &str) {
        self.s(before);
        self.expr(e);
        self.s(after);
    }
}

/// Records the first name declared for each column id (pre-order, subqueries in place).
fn collect_names(plan: &LogicalPlan, names: &mut HashMap<ColumnId, String>) {
    let mut declare = |f: &Field| {
        names.entry(f.id).or_insert_with(|| f.name.clone());
    };
    match plan {
        LogicalPlan::Scan { columns, .. } => columns.iter().for_each(|(_, f)| declare(f)),
        LogicalPlan::Values { fields, .. } | LogicalPlan::SetOp { fields, .. } => {
            fields.iter().for_each(declare)
        }
        LogicalPlan::Project { exprs, .. } => exprs.iter().for_each(|(_, f)| declare(f)),
        LogicalPlan::Aggregate {
            group_by,
            aggregates,
            ..
        } => {
            group_by.iter().for_each(|(_, f)| declare(f));
            aggregates.iter().for_each(|(_, f)| declare(f));
        }
        _ => {}
    }
    plan.for_each_expr(|e| e.for_each_subquery(&mut |p| collect_names(p, names)));
    for input in plan.inputs() {
        collect_names(input, names);
    }
}

fn type_bytes(ty: DataType) -> Vec<u8> {
    match ty {
        DataType::Boolean => vec![1],
        DataType::Int32 => vec![2],
        DataType::Int64 => vec![3],
        DataType::Float64 => vec![4],
        DataType::Decimal { precision, scale } => vec![5, precision, scale],
        DataType::Date => vec![6],
        DataType::Varchar => vec![7],
    }
}

fn value_kind(v: &Value) -> u8 {
    match v {
        Value::Null => 0,
        Value::Boolean(_) => 1,
        Value::Int32(_) => 2,
        Value::Int64(_) => 3,
        Value::Float64(_) => 4,
        Value::Decimal(..) => 5,
        Value::Date(_) => 6,
        Value::Varchar(_) => 7,
    }
}

/// Type names of the canonical text (fixed here, independent of `DataType`'s `Display`).
fn type_name(ty: DataType) -> String {
    match ty {
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int32 => "INTEGER".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Decimal { precision, scale } => format!("DECIMAL({precision},{scale})"),
        DataType::Date => "DATE".into(),
        DataType::Varchar => "VARCHAR".into(),
    }
}

fn literal(v: &Value, ty: DataType) -> String {
    let t = type_name(ty);
    match v {
        Value::Null => format!("NULL::{t}"),
        Value::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Int32(x) => format!("{x}::{t}"),
        Value::Int64(x) => format!("{x}::{t}"),
        Value::Float64(x) => format!("{x:?}::{t}"),
        Value::Decimal(x, s) => format!("{}::{t}", format_decimal(*x, *s)),
        Value::Date(d) => format!("DATE '{}'", format_date(*d)),
        Value::Varchar(s) => format!("'{}'", s.replace('\'', "''")),
    }
}

/// A name as written in the canonical text: bare if a plain lower-case identifier.
fn ident(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

fn field_name(f: DateField) -> &'static str {
    match f {
        DateField::Year => "year",
        DateField::Quarter => "quarter",
        DateField::Month => "month",
        DateField::Day => "day",
        DateField::DayOfWeek => "dow",
        DateField::DayOfYear => "doy",
        DateField::Week => "week",
        DateField::IsoDayOfWeek => "isodow",
        DateField::IsoYear => "isoyear",
        DateField::Epoch => "epoch",
    }
}

fn join_name(k: JoinKind) -> &'static str {
    match k {
        JoinKind::Inner => "INNER",
        JoinKind::Left => "LEFT",
        JoinKind::Right => "RIGHT",
        JoinKind::Full => "FULL",
        JoinKind::Semi => "SEMI",
        JoinKind::Anti => "ANTI",
    }
}
