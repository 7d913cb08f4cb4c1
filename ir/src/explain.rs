//! EXPLAIN: a plan as an indented tree, one operator per line, expressions in SQL-like form.
//!
//! ```text
//! Sort: l_returnflag ASC NULLS LAST, l_linestatus ASC NULLS LAST
//!   Project: l_returnflag, l_linestatus, sum_qty
//!     Aggregate: group=[l_returnflag, l_linestatus] aggs=[sum(l_quantity)]
//!       Scan lineitem [l_returnflag, l_linestatus, l_quantity, l_shipdate] filter=[l_shipdate <= DATE '1998-09-02']
//! ```
//! Columns print by name; where two columns an operator can see share a name (`n1.n_name` and
//! `n2.n_name`), each prints with its id (`n_name#12`). Subquery plans print below the operator
//! that holds them, as `Subquery #k:`, and are referred to as `(subquery #k)`.

use std::collections::HashMap;
use std::fmt::Write;

use crate::expr::{BinaryOp, ColumnId, Expr, ScalarFunc};
use crate::plan::{AggFunc, AggregateCall, Field, JoinKind, LogicalPlan, SetOpKind, SortKey};
use crate::types::{DataType, Value};

/// Renders a plan as an indented tree.
pub fn explain(plan: &LogicalPlan) -> String {
    explain_annotated(plan, &|_| None)
}

/// Renders a plan as [`explain`] does, appending `annotate(node)` (when it gives text) to the
/// line of every operator, subquery plans' operators included: EXPLAIN ANALYZE's rows and
/// times. Nodes are passed by reference into `plan`, so callers may key on their addresses.
pub fn explain_annotated(
    plan: &LogicalPlan,
    annotate: &dyn Fn(&LogicalPlan) -> Option<String>,
) -> String {
    let mut p = Printer {
        out: String::new(),
        next_subquery: 1,
        annotate,
    };
    p.node(plan, 0);
    p.out
}

struct Printer<'a> {
    out: String,
    next_subquery: usize,
    annotate: &'a dyn Fn(&LogicalPlan) -> Option<String>,
}

/// How the columns visible to one operator print.
struct Names(HashMap<ColumnId, String>);

impl Names {
    fn of(fields: &[Field]) -> Names {
        let mut count: HashMap<&str, usize> = HashMap::new();
        for f in fields {
            *count.entry(f.name.as_str()).or_default() += 1;
        }
        Names(
            fields
                .iter()
                .map(|f| {
                    let unique = count.get(f.name.as_str()).copied().unwrap_or(0) <= 1;
                    let shown = if unique && !f.name.is_empty() {
                        f.name.clone()
                    } else {
                        format!("{}#{}", f.name, f.id.0)
                    };
                    (f.id, shown)
                })
                .collect(),
        )
    }

    /// Shows the outputs of an Aggregate input by their call (`sum(l_quantity)`) rather than
    /// by their bare function name.
    fn label_aggregates(&mut self, plan: &LogicalPlan) {
        let LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
        } = plan
        else {
            return;
        };
        let inner = Names::of(&input.fields());
        let mut subs = Vec::new();
        let mut fx = ExprFmt {
            names: &inner,
            subs: &mut subs,
            next: 0,
        };
        let mut labels = Vec::new();
        for (a, f) in aggregates {
            if !a.arg.as_ref().is_some_and(Expr::has_subquery) {
                labels.push((f.id, fx.agg(a)));
            }
        }
        for (e, f) in group_by {
            if f.name == "?column?" && !e.has_subquery() {
                labels.push((f.id, fx.expr(e)));
            }
        }
        self.0.extend(labels);
    }

    fn get(&self, id: ColumnId) -> String {
        self.0
            .get(&id)
            .cloned()
            .unwrap_or_else(|| format!("#{}", id.0))
    }
}

impl Printer<'_> {
    fn line(&mut self, depth: usize, text: &str) {
        let _ = writeln!(self.out, "{}{}", "  ".repeat(depth), text);
    }

    fn node(&mut self, plan: &LogicalPlan, depth: usize) {
        let input_fields: Vec<Field> = match plan {
            LogicalPlan::Scan { .. } | LogicalPlan::Values { .. } => plan.fields(),
            _ => plan.inputs().iter().flat_map(|i| i.fields()).collect(),
        };
        let mut names = Names::of(&input_fields);
        for input in plan.inputs() {
            names.label_aggregates(input);
        }
        let mut subs: Vec<&LogicalPlan> = Vec::new();
        let text = {
            let mut fx = ExprFmt {
                names: &names,
                subs: &mut subs,
                next: self.next_subquery,
            };
            let mut t = self.describe(plan, &mut fx);
            self.next_subquery = fx.next;
            if let Some(note) = (self.annotate)(plan) {
                t.push(' ');
                t.push_str(&note);
            }
            t
        };
        self.line(depth, &text);
        let first = self.next_subquery - subs.len();
        for (k, sub) in subs.into_iter().enumerate() {
            self.line(depth + 1, &format!("Subquery #{}:", first + k));
            self.node(sub, depth + 2);
        }
        for input in plan.inputs() {
            self.node(input, depth + 1);
        }
    }

    fn describe<'p>(&self, plan: &'p LogicalPlan, fx: &mut ExprFmt<'_, 'p>) -> String {
        match plan {
            LogicalPlan::Scan {
                table,
                columns,
                filters,
            } => {
                let cols: Vec<String> = columns.iter().map(|(_, f)| fx.names.get(f.id)).collect();
                let mut s = format!("Scan {table} [{}]", cols.join(", "));
                if !filters.is_empty() {
                    let fs: Vec<String> = filters.iter().map(|f| fx.expr(f)).collect();
                    let _ = write!(s, " filter=[{}]", fs.join(", "));
                }
                s
            }
            LogicalPlan::Values { fields, rows } => {
                let cols: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
                let mut s = format!(
                    "Values [{}]: {} row{}",
                    cols.join(", "),
                    rows.len(),
                    plural(rows.len())
                );
                for row in rows.iter().take(5) {
                    let vals: Vec<String> = row.iter().map(|e| fx.expr(e)).collect();
                    let _ = write!(s, " ({})", vals.join(", "));
                }
                if rows.len() > 5 {
                    s.push_str(" ...");
                }
                s
            }
            LogicalPlan::Recursive(r) => {
                let cols: Vec<String> = r.fields.iter().map(|f| f.name.clone()).collect();
                format!(
                    "Recursive #{} [{}]{}: anchor, then step until no new rows",
                    r.id,
                    cols.join(", "),
                    if r.distinct {
                        " (UNION)"
                    } else {
                        " (UNION ALL)"
                    }
                )
            }
            LogicalPlan::WorkingTable { id, fields } => {
                let cols: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
                format!("WorkingTable #{id} [{}]", cols.join(", "))
            }
            LogicalPlan::Series(s) => format!(
                "Series [{}]: {} to {} {}, step {}",
                s.field.name,
                fx.expr(&s.start),
                fx.expr(&s.stop),
                if s.inclusive {
                    "inclusive"
                } else {
                    "exclusive"
                },
                fx.expr(&s.step)
            ),
            LogicalPlan::Filter { predicate, .. } => format!("Filter: {}", fx.expr(predicate)),
            LogicalPlan::Project { exprs, .. } => {
                let items: Vec<String> = exprs
                    .iter()
                    .map(|(e, f)| {
                        let shown = fx.expr(e);
                        if shown == f.name {
                            shown
                        } else {
                            format!("{shown} AS {}", f.name)
                        }
                    })
                    .collect();
                format!("Project: {}", items.join(", "))
            }
            LogicalPlan::Aggregate {
                group_by,
                aggregates,
                ..
            } => {
                let groups: Vec<String> = group_by.iter().map(|(e, _)| fx.expr(e)).collect();
                let aggs: Vec<String> = aggregates.iter().map(|(a, _)| fx.agg(a)).collect();
                format!(
                    "Aggregate: group=[{}] aggs=[{}]",
                    groups.join(", "),
                    aggs.join(", ")
                )
            }
            LogicalPlan::Join {
                kind, on, filter, ..
            } => {
                let kind_name = match kind {
                    JoinKind::Inner if on.is_empty() && filter.is_none() => "Cross",
                    JoinKind::Inner => "Inner",
                    JoinKind::Left => "Left",
                    JoinKind::Right => "Right",
                    JoinKind::Full => "Full",
                    JoinKind::Semi => "Semi",
                    JoinKind::Anti => "Anti",
                };
                let mut s = format!("Join: {kind_name}");
                if !on.is_empty() {
                    let keys: Vec<String> = on
                        .iter()
                        .map(|(l, r)| format!("{} = {}", fx.expr(l), fx.expr(r)))
                        .collect();
                    let _ = write!(s, " on=[{}]", keys.join(", "));
                }
                if let Some(f) = filter {
                    let _ = write!(s, " filter={}", fx.expr(f));
                }
                s
            }
            LogicalPlan::Sort { keys, .. } => format!("Sort: {}", fx.sort_keys(keys)),
            LogicalPlan::Limit { limit, offset, .. } => {
                let mut s = match limit {
                    Some(l) => format!("Limit: {l}"),
                    None => "Limit: ALL".to_string(),
                };
                if *offset > 0 {
                    let _ = write!(s, " offset={offset}");
                }
                s
            }
            LogicalPlan::LimitWithTies {
                keys,
                limit,
                offset,
                ..
            } => {
                let mut s = format!("Limit: {limit} WITH TIES");
                if *offset > 0 {
                    let _ = write!(s, " offset={offset}");
                }
                let _ = write!(s, " by {}", fx.sort_keys(keys));
                s
            }
            LogicalPlan::Distinct { .. } => "Distinct".to_string(),
            LogicalPlan::Window { functions, .. } => {
                use crate::plan::{FrameBound, FrameUnits, WindowFunc};
                let items: Vec<String> = functions
                    .iter()
                    .map(|(w, f)| {
                        let args: Vec<String> = w.args.iter().map(|e| fx.expr(e)).collect();
                        let name = w.func.name();
                        let args = match w.func {
                            WindowFunc::Agg(AggFunc::CountStar) => "*".to_string(),
                            _ => args.join(", "),
                        };
                        let mut s = format!("{name}({args}) OVER (");
                        let mut parts = Vec::new();
                        if !w.partition_by.is_empty() {
                            let ps: Vec<String> =
                                w.partition_by.iter().map(|e| fx.expr(e)).collect();
                            parts.push(format!("PARTITION BY {}", ps.join(", ")));
                        }
                        if !w.order_by.is_empty() {
                            let ks: Vec<String> = w
                                .order_by
                                .iter()
                                .map(|k| {
                                    format!(
                                        "{}{}{}",
                                        fx.expr(&k.expr),
                                        if k.ascending { "" } else { " DESC" },
                                        match (k.ascending, k.nulls_first) {
                                            (true, true) => " NULLS FIRST",
                                            (false, false) => " NULLS LAST",
                                            _ => "",
                                        }
                                    )
                                })
                                .collect();
                            parts.push(format!("ORDER BY {}", ks.join(", ")));
                        }
                        if let Some(fr) = &w.frame {
                            let bound = |b: FrameBound| match b {
                                FrameBound::UnboundedPreceding => "UNBOUNDED PRECEDING".into(),
                                FrameBound::Preceding(n) => format!("{n} PRECEDING"),
                                FrameBound::CurrentRow => "CURRENT ROW".into(),
                                FrameBound::Following(n) => format!("{n} FOLLOWING"),
                                FrameBound::UnboundedFollowing => "UNBOUNDED FOLLOWING".into(),
                            };
                            parts.push(format!(
                                "{} BETWEEN {} AND {}",
                                match fr.units {
                                    FrameUnits::Rows => "ROWS",
                                    FrameUnits::Range => "RANGE",
                                    FrameUnits::Groups => "GROUPS",
                                },
                                bound(fr.start),
                                bound(fr.end)
                            ));
                        }
                        s.push_str(&parts.join(" "));
                        let _ = write!(s, ") AS {}", f.name);
                        s
                    })
                    .collect();
                format!("Window: {}", items.join(", "))
            }
            LogicalPlan::SetOp {
                op, all, fields, ..
            } => {
                let name = match op {
                    SetOpKind::Union => "Union",
                    SetOpKind::Intersect => "Intersect",
                    SetOpKind::Except => "Except",
                };
                let cols: Vec<String> = fields.iter().map(|f| f.name.clone()).collect();
                format!(
                    "{name}{} [{}]",
                    if *all { " All" } else { "" },
                    cols.join(", ")
                )
            }
        }
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Formats expressions, collecting the subquery plans it meets.
struct ExprFmt<'n, 'p> {
    names: &'n Names,
    subs: &'n mut Vec<&'p LogicalPlan>,
    next: usize,
}

/// Binding strength of an expression's top operator (higher binds tighter).
fn precedence(e: &Expr) -> u8 {
    match e {
        Expr::Binary { op, .. } => match op {
            BinaryOp::Or => 1,
            BinaryOp::And => 2,
            BinaryOp::Eq
            | BinaryOp::NotEq
            | BinaryOp::Lt
            | BinaryOp::LtEq
            | BinaryOp::Gt
            | BinaryOp::GtEq => 4,
            BinaryOp::Concat => 5,
            BinaryOp::Add | BinaryOp::Sub => 6,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => 7,
        },
        Expr::Not(_) => 3,
        Expr::IsNull { .. } | Expr::Like { .. } | Expr::InList { .. } | Expr::InSubquery { .. } => {
            4
        }
        Expr::Negate(_) => 8,
        _ => 9,
    }
}

impl<'p> ExprFmt<'_, 'p> {
    fn sub(&mut self, plan: &'p LogicalPlan) -> String {
        self.subs.push(plan);
        self.next += 1;
        format!("(subquery #{})", self.next - 1)
    }

    /// `e`, parenthesized if it binds looser than `min`.
    fn operand(&mut self, e: &'p Expr, min: u8) -> String {
        let s = self.expr(e);
        if precedence(e) < min {
            format!("({s})")
        } else {
            s
        }
    }

    fn expr(&mut self, e: &'p Expr) -> String {
        match e {
            Expr::Column { id, .. } => self.names.get(*id),
            Expr::Literal { value, ty } => literal(value, *ty),
            Expr::Param { index, .. } => format!("${}", index + 1),
            Expr::Negate(x) => format!("-{}", self.operand(x, 9)),
            Expr::Not(x) => format!("NOT {}", self.operand(x, 4)),
            Expr::Binary {
                op, left, right, ..
            } => {
                let p = precedence(e);
                let associative = matches!(op, BinaryOp::And | BinaryOp::Or);
                let l = self.operand(left, p);
                let r = self.operand(right, if associative { p } else { p + 1 });
                format!("{l} {} {r}", op.symbol())
            }
            Expr::IsNull { expr, negated } => {
                format!(
                    "{} IS {}NULL",
                    self.operand(expr, 5),
                    if *negated { "NOT " } else { "" }
                )
            }
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => format!(
                "{} {}{} {}",
                self.operand(expr, 5),
                if *negated { "NOT " } else { "" },
                if *case_insensitive { "ILIKE" } else { "LIKE" },
                self.operand(pattern, 5)
            ),
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let items: Vec<String> = list.iter().map(|i| self.expr(i)).collect();
                format!(
                    "{} {}IN ({})",
                    self.operand(expr, 5),
                    if *negated { "NOT " } else { "" },
                    items.join(", ")
                )
            }
            Expr::Case { whens, else_, .. } => {
                let mut s = "CASE".to_string();
                for (w, t) in whens {
                    let _ = write!(s, " WHEN {} THEN {}", self.expr(w), self.expr(t));
                }
                if let Some(x) = else_ {
                    let _ = write!(s, " ELSE {}", self.expr(x));
                }
                s.push_str(" END");
                s
            }
            Expr::Cast { expr, ty } => format!("CAST({} AS {ty})", self.expr(expr)),
            Expr::Function { func, args, .. } => {
                let a: Vec<String> = args.iter().map(|x| self.expr(x)).collect();
                match func {
                    ScalarFunc::Extract(f) => {
                        format!(
                            "extract({} FROM {})",
                            format!("{f:?}").to_lowercase(),
                            a.join(", ")
                        )
                    }
                    ScalarFunc::Date(crate::expr::DateFunc::Diff(unit)) => {
                        format!("date_diff('{}', {})", unit.name(), a.join(", "))
                    }
                    other => format!("{}({})", other.name(), a.join(", ")),
                }
            }
            Expr::ScalarSubquery { plan, .. } => self.sub(plan),
            Expr::InSubquery {
                expr,
                plan,
                negated,
            } => {
                let x = self.operand(expr, 5);
                format!(
                    "{x} {}IN {}",
                    if *negated { "NOT " } else { "" },
                    self.sub(plan)
                )
            }
            Expr::Exists { plan, negated } => {
                format!(
                    "{}EXISTS {}",
                    if *negated { "NOT " } else { "" },
                    self.sub(plan)
                )
            }
        }
    }

    fn agg(&mut self, a: &'p AggregateCall) -> String {
        if a.func == AggFunc::CountStar {
            return "count(*)".to_string();
        }
        let name = a.func.name();
        let mut arg = a.arg.as_ref().map_or(String::new(), |x| self.expr(x));
        for p in &a.params {
            let p = match p {
                Value::Varchar(_) => literal(p, DataType::Varchar),
                other => other.to_string(),
            };
            arg.push_str(&format!(", {p}"));
        }
        if !a.order_by.is_empty() {
            let keys = self.sort_keys(&a.order_by);
            arg.push_str(&format!(" ORDER BY {keys}"));
        }
        format!("{name}({}{arg})", if a.distinct { "DISTINCT " } else { "" })
    }

    /// `expr ASC NULLS LAST, ...`.
    fn sort_keys(&mut self, keys: &'p [SortKey]) -> String {
        let ks: Vec<String> = keys
            .iter()
            .map(|k| {
                format!(
                    "{} {} NULLS {}",
                    self.expr(&k.expr),
                    if k.ascending { "ASC" } else { "DESC" },
                    if k.nulls_first { "FIRST" } else { "LAST" }
                )
            })
            .collect();
        ks.join(", ")
    }
}

/// A literal in SQL syntax.
pub(crate) fn literal(v: &Value, ty: DataType) -> String {
    match v {
        Value::Null if ty == DataType::Varchar || ty == DataType::Boolean => "NULL".to_string(),
        Value::Null => format!("CAST(NULL AS {ty})"),
        Value::Boolean(b) => if *b { "TRUE" } else { "FALSE" }.to_string(),
        Value::Varchar(s) => format!("'{}'", s.replace('\'', "''")),
        Value::Date(_) => format!("DATE '{v}'"),
        Value::Float64(f) => format!("{f:?}"),
        other => other.to_string(),
    }
}
