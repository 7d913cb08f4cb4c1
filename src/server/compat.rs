//! What PostgreSQL clients send that is about PostgreSQL rather than the data, answered here
//! so that psql, psycopg and JDBC work unchanged:
//!
//! - `SHOW server_version` and the other read-only server parameters drivers ask for;
//! - `SET` of client-side session parameters that change nothing in Grizzly's results
//!   (`application_name`, `extra_float_digits` — floats are always sent with their shortest
//!   exact digits —, `client_encoding` UTF8, `DateStyle` ISO, ...): accepted, as `SET`;
//! - catalog queries over relations of features Grizzly does not have (row-level security
//!   policies, extended statistics, publications, triggers, rules, sequences, ...): such a
//!   query reads one of them in its FROM clause through inner joins only, so its answer is
//!   empty whatever its select list holds (psql's `\d table` footers use PostgreSQL arrays
//!   there, which Grizzly cannot bind);
//! - scalar subqueries in a select list that are NULL whatever the row: those reading an
//!   always-empty relation as above, and psql's `\d table` question for a column's collation
//!   where it differs from its type's (`a.attcollation <> t.typcollation`: never, in Grizzly's
//!   catalog). Grizzly cannot yet unnest such correlated subqueries (they have no aggregate);
//! - `array_to_string(c, ...)` in a select list where `c` is one of the catalog's array
//!   columns (ACLs, options), which are always NULL in Grizzly: NULL (Grizzly has no arrays).
//!
//! Anything else goes to the database unchanged.

use super::auth::server_version;
use crate::{Column, DataType, QueryResult, Value};
use grizzly_ir::sqlparser::ast;
use grizzly_runtime::Vector;

/// Catalog relations of features Grizzly does not have: always empty.
const EMPTY_RELATIONS: &[&str] = &[
    // System tables Grizzly has, always empty (`system::pg_catalog`).
    "pg_attrdef",
    "pg_index",
    "pg_constraint",
    "pg_inherits",
    "pg_description",
    // Catalogs Grizzly does not have.
    "pg_policy",
    "pg_policies",
    "pg_statistic_ext",
    "pg_statistic_ext_data",
    "pg_publication",
    "pg_publication_rel",
    "pg_publication_tables",
    "pg_trigger",
    "pg_rewrite",
    "pg_rules",
    "pg_sequence",
    "pg_sequences",
    "pg_foreign_table",
    "pg_foreign_server",
    "pg_foreign_data_wrapper",
    "pg_partitioned_table",
    "pg_event_trigger",
    "pg_extension",
    "pg_subscription",
    "pg_subscription_rel",
    "pg_matviews",
    "pg_shdescription",
];

/// Columns of PostgreSQL array types in Grizzly's catalog (`system::pg_catalog`): always NULL.
const NULL_ARRAY_COLUMNS: &[&str] = &[
    "datacl",
    "relacl",
    "nspacl",
    "attacl",
    "reloptions",
    "attoptions",
    "rolconfig",
];

/// What to do with a statement instead of running it as it is.
#[derive(Debug)]
pub enum Answer {
    /// These rows are the result.
    Rows(QueryResult),
    /// A command that changes nothing (answered with its usual tag).
    Done,
    /// Run this statement instead.
    Rewritten(Box<ast::Statement>),
}

/// How a client statement is answered, if not by running it unchanged.
pub fn answer(statement: &ast::Statement) -> Option<Answer> {
    match statement {
        ast::Statement::ShowVariable { variable } => show(variable).map(Answer::Rows),
        ast::Statement::Set(set) => accepted_set(set).then_some(Answer::Done),
        ast::Statement::Query(query) => {
            if let Some(columns) = empty_catalog_query(query) {
                return Some(Answer::Rows(text_rows(columns, vec![])));
            }
            let mut rewritten = query.clone();
            null_scalar_subqueries(&mut rewritten)
                .then(|| Answer::Rewritten(Box::new(ast::Statement::Query(rewritten))))
        }
        _ => None,
    }
}

/// A result of VARCHAR columns.
fn text_rows(columns: Vec<String>, rows: Vec<Vec<Value>>) -> QueryResult {
    let n = rows.len();
    let data = (0..columns.len())
        .map(|c| {
            let values: Vec<Value> = rows.iter().map(|r| r[c].clone()).collect();
            Vector::from_values(DataType::Varchar, &values).expect("VARCHAR values")
        })
        .collect();
    let columns = columns
        .into_iter()
        .map(|name| Column {
            name,
            ty: DataType::Varchar,
        })
        .collect();
    QueryResult::new(columns, data, n)
}

/// The value of a read-only server parameter, as PostgreSQL reports it.
pub fn parameter(name: &str) -> Option<String> {
    Some(match name.to_ascii_lowercase().as_str() {
        "server_version" => server_version(),
        "server_version_num" => "160000".into(),
        "server_encoding" | "client_encoding" => "UTF8".into(),
        "standard_conforming_strings" | "integer_datetimes" | "is_superuser" => "on".into(),
        "datestyle" => "ISO, MDY".into(),
        "timezone" => "UTC".into(),
        "intervalstyle" => "postgres".into(),
        "search_path" => "\"$user\", public".into(),
        "transaction_isolation" | "default_transaction_isolation" => "serializable".into(),
        "transaction_read_only" | "default_transaction_read_only" => "off".into(),
        "max_identifier_length" => "63".into(),
        "lc_collate" | "lc_ctype" => "C".into(),
        "extra_float_digits" => "1".into(),
        _ => return None,
    })
}

fn show(variable: &[ast::Ident]) -> Option<QueryResult> {
    let [name] = variable else {
        return None;
    };
    let name = name.value.to_ascii_lowercase();
    let value = parameter(&name)?;
    Some(text_rows(vec![name], vec![vec![Value::Varchar(value)]]))
}

/// Whether `SET` of this parameter to this value changes nothing Grizzly does, so it can be
/// accepted as is.
fn accepted_set(set: &ast::Set) -> bool {
    let ast::Set::SingleAssignment {
        variable, values, ..
    } = set
    else {
        return false;
    };
    let name = variable.to_string().to_ascii_lowercase();
    let value = match values.as_slice() {
        [v] => v.to_string().trim_matches('\'').to_ascii_lowercase(),
        _ => values
            .iter()
            .map(|v| v.to_string().trim_matches('\'').to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(", "),
    };
    match name.as_str() {
        "application_name" | "client_min_messages" => true,
        // Floats are always sent with their shortest exact digits, which is what 1 to 3 ask.
        "extra_float_digits" => matches!(value.as_str(), "1" | "2" | "3"),
        "client_encoding" | "names" => matches!(value.as_str(), "utf8" | "utf-8" | "unicode"),
        "datestyle" => value.starts_with("iso"),
        "standard_conforming_strings" => matches!(value.as_str(), "on" | "true"),
        "intervalstyle" => value == "postgres",
        // Grizzly has no time zones (no TIMESTAMP WITH TIME ZONE): any zone changes nothing.
        "timezone" | "time zone" => true,
        _ => false,
    }
}

/// The result columns of `query` if its answer is empty because every branch reads an
/// always-empty catalog relation through inner joins (and computes no aggregate over it).
fn empty_catalog_query(query: &ast::Query) -> Option<Vec<String>> {
    if query.with.is_some() {
        return None;
    }
    let mut columns = None;
    if !all_branches_empty(&query.body, &mut columns) {
        return None;
    }
    columns
}

fn all_branches_empty(body: &ast::SetExpr, columns: &mut Option<Vec<String>>) -> bool {
    match body {
        ast::SetExpr::Select(select) => {
            if !select_is_empty(select) {
                return false;
            }
            if columns.is_none() {
                *columns = select_names(select);
            }
            columns.is_some()
        }
        ast::SetExpr::SetOperation {
            op, left, right, ..
        } => match op {
            ast::SetOperator::Union => {
                all_branches_empty(left, columns) && all_branches_empty(right, columns)
            }
            // Empty left side: EXCEPT and INTERSECT are empty too.
            ast::SetOperator::Except | ast::SetOperator::Intersect => {
                all_branches_empty(left, columns)
            }
            _ => false,
        },
        ast::SetExpr::Query(q) => q.with.is_none() && all_branches_empty(&q.body, columns),
        _ => false,
    }
}

/// A SELECT reading an always-empty relation through inner joins, without GROUP BY or
/// aggregates (which give a row even over no rows).
fn select_is_empty(select: &ast::Select) -> bool {
    let grouped = match &select.group_by {
        ast::GroupByExpr::Expressions(e, _) => !e.is_empty(),
        ast::GroupByExpr::All(_) => true,
    };
    if grouped || select.having.is_some() {
        return false;
    }
    if select.projection.iter().any(|item| match item {
        ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. } => {
            has_aggregate(e)
        }
        _ => false,
    }) {
        return false;
    }
    select.from.iter().any(|twj| {
        is_empty_relation(&twj.relation)
            || twj.joins.iter().any(|j| {
                matches!(
                    j.join_operator,
                    ast::JoinOperator::Join(_)
                        | ast::JoinOperator::Inner(_)
                        | ast::JoinOperator::CrossJoin(_)
                ) && is_empty_relation(&j.relation)
            })
    })
}

fn is_empty_relation(factor: &ast::TableFactor) -> bool {
    let ast::TableFactor::Table { name, args, .. } = factor else {
        return false;
    };
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| {
            p.as_ident()
                .map_or(String::new(), |i| i.value.to_lowercase())
        })
        .collect();
    let table = match parts.as_slice() {
        [t] => t,
        [schema, t] if schema == "pg_catalog" => t,
        _ => return false,
    };
    args.is_none() && EMPTY_RELATIONS.contains(&table.as_str())
}

/// Whether `e` calls an aggregate outside of subqueries. Conservative: any function call
/// whose name is an aggregate's, anywhere in the expression text outside parentheses of a
/// subquery, counts.
fn has_aggregate(e: &ast::Expr) -> bool {
    match e {
        ast::Expr::Function(f) => {
            let name = f.name.to_string().to_ascii_lowercase();
            let name = name.rsplit('.').next().unwrap_or("");
            if matches!(
                name,
                "count"
                    | "sum"
                    | "avg"
                    | "min"
                    | "max"
                    | "string_agg"
                    | "array_agg"
                    | "bool_and"
                    | "bool_or"
                    | "every"
                    | "json_agg"
                    | "jsonb_agg"
            ) && f.over.is_none()
            {
                return true;
            }
            match &f.args {
                ast::FunctionArguments::List(list) => list.args.iter().any(|a| match a {
                    ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(x))
                    | ast::FunctionArg::Named {
                        arg: ast::FunctionArgExpr::Expr(x),
                        ..
                    } => has_aggregate(x),
                    _ => false,
                }),
                _ => false,
            }
        }
        ast::Expr::Subquery(_) | ast::Expr::Exists { .. } => false,
        ast::Expr::BinaryOp { left, right, .. }
        | ast::Expr::AnyOp { left, right, .. }
        | ast::Expr::AllOp { left, right, .. }
        | ast::Expr::IsDistinctFrom(left, right)
        | ast::Expr::IsNotDistinctFrom(left, right) => has_aggregate(left) || has_aggregate(right),
        ast::Expr::Like { expr, pattern, .. } | ast::Expr::ILike { expr, pattern, .. } => {
            has_aggregate(expr) || has_aggregate(pattern)
        }
        ast::Expr::In { expr, target, .. } => {
            has_aggregate(expr)
                || match target {
                    ast::InTarget::List(list) => list.iter().any(has_aggregate),
                    ast::InTarget::Subquery(_) => false,
                    _ => true,
                }
        }
        ast::Expr::Between {
            expr, low, high, ..
        } => has_aggregate(expr) || has_aggregate(low) || has_aggregate(high),
        ast::Expr::Array(array) => array.elem.iter().any(has_aggregate),
        ast::Expr::Collate { expr, .. } => has_aggregate(expr),
        ast::Expr::TypedString(_) => false,
        ast::Expr::UnaryOp { expr, .. }
        | ast::Expr::Nested(expr)
        | ast::Expr::Cast { expr, .. }
        | ast::Expr::IsNull(expr)
        | ast::Expr::IsNotNull(expr) => has_aggregate(expr),
        ast::Expr::Case {
            operand,
            conditions,
            else_result,
            ..
        } => {
            operand.as_deref().is_some_and(has_aggregate)
                || conditions
                    .iter()
                    .any(|w| has_aggregate(&w.condition) || has_aggregate(&w.result))
                || else_result.as_deref().is_some_and(has_aggregate)
        }
        ast::Expr::Identifier(_) | ast::Expr::CompoundIdentifier(_) | ast::Expr::Value(_) => false,
        // Anything else: assume the worst.
        _ => true,
    }
}

/// The names of a SELECT's columns as PostgreSQL names them (`None` for `*`).
fn select_names(select: &ast::Select) -> Option<Vec<String>> {
    select
        .projection
        .iter()
        .map(|item| match item {
            ast::SelectItem::ExprWithAlias { alias, .. } => Some(alias.value.clone()),
            ast::SelectItem::UnnamedExpr(e) => Some(expr_name(e)),
            _ => None,
        })
        .collect()
}

fn expr_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Identifier(id) => id.value.to_lowercase(),
        ast::Expr::CompoundIdentifier(ids) => ids
            .last()
            .map_or("?column?".into(), |i| i.value.to_lowercase()),
        ast::Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map_or("?column?".into(), |i| i.value.to_lowercase()),
        ast::Expr::Cast { expr, .. } | ast::Expr::Nested(expr) => expr_name(expr),
        _ => "?column?".into(),
    }
}

/// Replaces each select-list subquery that is NULL whatever the row (see the module docs) by
/// NULL; true if one was.
fn null_scalar_subqueries(query: &mut ast::Query) -> bool {
    let ast::SetExpr::Select(select) = query.body.as_mut() else {
        return false;
    };
    let mut changed = false;
    for item in &mut select.projection {
        let (ast::SelectItem::UnnamedExpr(e) | ast::SelectItem::ExprWithAlias { expr: e, .. }) =
            item
        else {
            continue;
        };
        if is_null_array_call(e) {
            *e = ast::Expr::Value(ast::Value::Null.into());
            changed = true;
        }
        if let ast::Expr::Subquery(sub) = e {
            let empty = match sub.body.as_ref() {
                ast::SetExpr::Select(select) => sub.with.is_none() && select_is_empty(select),
                _ => false,
            };
            if empty || compares_collations(sub) {
                *e = ast::Expr::Value(ast::Value::Null.into());
                changed = true;
            }
        }
    }
    changed
}

/// Whether `e` is `array_to_string(c, ...)` of an always-NULL catalog array column.
fn is_null_array_call(e: &ast::Expr) -> bool {
    let ast::Expr::Function(f) = e else {
        return false;
    };
    let name = f.name.to_string().to_ascii_lowercase();
    if name != "array_to_string" && name != "pg_catalog.array_to_string" {
        return false;
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return false;
    };
    let Some(ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(first))) = list.args.first()
    else {
        return false;
    };
    let column = match first {
        ast::Expr::Identifier(i) => &i.value,
        ast::Expr::CompoundIdentifier(ids) => match ids.last() {
            Some(i) => &i.value,
            None => return false,
        },
        _ => return false,
    };
    NULL_ARRAY_COLUMNS.contains(&column.to_ascii_lowercase().as_str())
}

/// Whether a subquery's WHERE has the conjunct `x.attcollation <> y.typcollation`.
fn compares_collations(sub: &ast::Query) -> bool {
    let ast::SetExpr::Select(select) = sub.body.as_ref() else {
        return false;
    };
    let Some(selection) = &select.selection else {
        return false;
    };
    let mut conjuncts = vec![selection];
    while let Some(c) = conjuncts.pop() {
        match c {
            ast::Expr::BinaryOp {
                left,
                op: ast::BinaryOperator::And,
                right,
            } => {
                conjuncts.push(left);
                conjuncts.push(right);
            }
            ast::Expr::BinaryOp {
                left,
                op: ast::BinaryOperator::NotEq,
                right,
            } => {
                let column = |e: &ast::Expr| match e {
                    ast::Expr::CompoundIdentifier(ids) => {
                        ids.last().map(|i| i.value.to_lowercase())
                    }
                    ast::Expr::Identifier(i) => Some(i.value.to_lowercase()),
                    _ => None,
                };
                let pair = (column(left), column(right));
                if matches!(
                    (pair.0.as_deref(), pair.1.as_deref()),
                    (Some("attcollation"), Some("typcollation"))
                        | (Some("typcollation"), Some("attcollation"))
                ) {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer_of(sql: &str) -> Option<Answer> {
        answer(&grizzly_ir::parse(sql).unwrap()[0])
    }

    #[test]
    fn show_and_set() {
        match answer_of("SHOW server_version") {
            Some(Answer::Rows(r)) => {
                assert_eq!(r.columns()[0].name, "server_version");
                assert_eq!(r.value(0, 0), Value::Varchar(server_version()));
            }
            other => panic!("{other:?}"),
        }
        assert!(answer_of("SHOW jit").is_none());
        assert!(matches!(
            answer_of("SET extra_float_digits = 3"),
            Some(Answer::Done)
        ));
        assert!(matches!(
            answer_of("SET application_name = 'x'"),
            Some(Answer::Done)
        ));
        assert!(answer_of("SET extra_float_digits = 0").is_none());
        assert!(answer_of("SET client_encoding = 'LATIN1'").is_none());
        assert!(answer_of("SET jit = off").is_none());
    }

    #[test]
    fn empty_catalog_relations() {
        let columns = |sql: &str| match answer_of(sql) {
            Some(Answer::Rows(r)) if r.row_count() == 0 => Some(
                r.columns()
                    .iter()
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>(),
            ),
            _ => None,
        };
        assert_eq!(
            columns("SELECT pol.polname, array(select 1) AS x FROM pg_catalog.pg_policy pol"),
            Some(vec!["polname".to_string(), "x".to_string()])
        );
        assert!(columns(
            "SELECT pubname FROM pg_publication p JOIN pg_publication_rel pr ON p.oid = pr.prpubid \
             UNION ALL SELECT pubname FROM pg_catalog.pg_publication p WHERE p.puballtables"
        )
        .is_some());
        // Outer joins, aggregates and other relations are not empty.
        assert!(
            columns("SELECT c.relname FROM pg_class c LEFT JOIN pg_trigger t ON true").is_none()
        );
        assert!(columns("SELECT count(*) FROM pg_trigger").is_none());
        assert!(columns("SELECT relname FROM pg_class").is_none());
        assert!(columns("SELECT 1 FROM pg_trigger t UNION SELECT 2").is_none());
    }

    #[test]
    fn collation_subquery_becomes_null() {
        let sql = "SELECT a.attname, (SELECT c.collname FROM pg_catalog.pg_collation c, \
                   pg_catalog.pg_type t WHERE c.oid = a.attcollation AND t.oid = a.atttypid \
                   AND a.attcollation <> t.typcollation) AS attcollation \
                   FROM pg_catalog.pg_attribute a";
        match answer_of(sql) {
            Some(Answer::Rewritten(s)) => assert_eq!(
                s.to_string(),
                "SELECT a.attname, NULL AS attcollation FROM pg_catalog.pg_attribute a"
            ),
            other => panic!("{other:?}"),
        }
        assert!(answer_of("SELECT (SELECT 1) AS x").is_none());
        match answer_of("SELECT d.datname, pg_catalog.array_to_string(d.datacl, E'\\n') AS p FROM pg_database d") {
            Some(Answer::Rewritten(s)) => assert_eq!(
                s.to_string(),
                "SELECT d.datname, NULL AS p FROM pg_database d"
            ),
            other => panic!("{other:?}"),
        }
        assert!(answer_of("SELECT array_to_string(x, ',') FROM t").is_none());
        match answer_of(
            "SELECT a.attname, (SELECT d.adbin FROM pg_catalog.pg_attrdef d \
             WHERE d.adrelid = a.attrelid) FROM pg_attribute a",
        ) {
            Some(Answer::Rewritten(s)) => {
                assert_eq!(s.to_string(), "SELECT a.attname, NULL FROM pg_attribute a")
            }
            other => panic!("{other:?}"),
        }
    }
}
