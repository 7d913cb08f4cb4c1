//! PostgreSQL's catalog functions and `reg*` casts, for the queries PostgreSQL clients send
//! (psql's `\d`, drivers' metadata calls): `version()`, `current_schema()`,
//! `current_database()`, `pg_table_is_visible`, `pg_get_userbyid`, `format_type`,
//! `pg_encoding_to_char`, `pg_get_expr`, `obj_description`/`col_description`, and
//! `x::regclass`, `x::regtype`, `x::regnamespace`, `x::oid`.
//!
//! Each is defined by a SQL expression over its arguments `$1`, `$2`, ... and the
//! `pg_catalog` system tables ([`crate::pg_catalog`] holds the fixed identities). The
//! arguments are bound first, in the caller's scope; the body is then bound with each `$n`
//! standing for the bound argument (`Binder::pg_args`), so a column argument read inside a
//! subquery of the body is an outer reference (a correlated subquery, unnested as usual) and
//! can never be captured by the body's own tables.

use sqlparser::ast;
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::parser::Parser;

use super::expr::ExprCtx;
use super::Binder;
use crate::error::Result;
use crate::expr::Expr;
use crate::pg_catalog::{self as pg, TYPES};
use crate::types::DataType;

/// The SQL body of PostgreSQL function `name` called with `arity` arguments, if Grizzly has
/// it.
fn function_body(name: &str, arity: usize) -> Option<String> {
    let text = |s: &str| format!("'{}'", s.replace('\'', "''"));
    Some(match (name, arity) {
        ("version", 0) => text(&pg::version()),
        ("current_schema", 0) => text(pg::CURRENT_SCHEMA),
        ("current_database", 0) => text(pg::DATABASE_NAME),
        ("pg_table_is_visible", 1) => "$1 IN (SELECT oid FROM pg_catalog.pg_class)".into(),
        ("pg_type_is_visible", 1) => "$1 IN (SELECT oid FROM pg_catalog.pg_type)".into(),
        ("pg_get_userbyid", 1) => "CASE WHEN $1 IS NULL THEN NULL ELSE COALESCE(\
             (SELECT max(rolname) FROM pg_catalog.pg_roles WHERE oid = $1), \
             'unknown (OID=' || CAST($1 AS VARCHAR) || ')') END"
            .into(),
        ("format_type", 2) => format_type(),
        ("pg_encoding_to_char", 1) => format!(
            "CASE CAST($1 AS BIGINT) WHEN {} THEN 'UTF8' WHEN 0 THEN 'SQL_ASCII' ELSE '' END",
            pg::UTF8_ENCODING
        ),
        // Grizzly stores no expressions in its catalog: the columns holding them are NULL.
        ("pg_get_expr", 2 | 3) => "CAST($1 AS VARCHAR)".into(),
        // Grizzly has no COMMENT ON: every object's description is NULL.
        ("obj_description", 1 | 2) | ("col_description" | "shobj_description", 2) => {
            "CAST(NULL AS VARCHAR)".into()
        }
        _ => return None,
    })
}

/// `format_type(type_oid, typmod)`: the SQL name of a type, with its modifier for NUMERIC
/// and VARCHAR; NULL for a NULL type, `???` for a type Grizzly does not know.
fn format_type() -> String {
    let mut sql = String::from("CASE WHEN $1 IS NULL THEN NULL");
    for t in TYPES {
        let name = t.sql_name.replace('\'', "''");
        let with_typmod = match t.oid {
            pg::NUMERIC => Some(format!(
                "'{name}(' || CAST(($2 - 4) / 65536 AS VARCHAR) || ',' || \
                 CAST(($2 - 4) % 65536 AS VARCHAR) || ')'"
            )),
            pg::VARCHAR | 1042 => Some(format!("'{name}(' || CAST($2 - 4 AS VARCHAR) || ')'")),
            _ => None,
        };
        match with_typmod {
            Some(modded) => sql.push_str(&format!(
                " WHEN $1 = {oid} AND $2 >= 4 THEN {modded} WHEN $1 = {oid} THEN '{name}'",
                oid = t.oid
            )),
            None => sql.push_str(&format!(" WHEN $1 = {} THEN '{name}'", t.oid)),
        }
    }
    sql.push_str(" ELSE '???' END");
    sql
}

/// The PostgreSQL-only cast targets: object identifier types and their aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PgCast {
    Oid,
    RegClass,
    RegType,
    RegNamespace,
}

/// The PostgreSQL-only type `t` names, if any (`oid`, `regclass`, `pg_catalog.regtype`, ...).
pub(crate) fn pg_cast(t: &ast::DataType) -> Option<PgCast> {
    let (name, modifiers) = match t {
        ast::DataType::Regclass => return Some(PgCast::RegClass),
        ast::DataType::Custom(name, modifiers) => (name, modifiers),
        _ => return None,
    };
    if !modifiers.is_empty() {
        return None;
    }
    let parts: Vec<String> = name
        .0
        .iter()
        .map(|p| p.as_ident().map(super::ident).unwrap_or_default())
        .collect();
    let last = match parts.as_slice() {
        [t] => t,
        [schema, t] if schema == "pg_catalog" => t,
        _ => return None,
    };
    match last.as_str() {
        "oid" => Some(PgCast::Oid),
        "regclass" => Some(PgCast::RegClass),
        "regtype" => Some(PgCast::RegType),
        "regnamespace" => Some(PgCast::RegNamespace),
        _ => None,
    }
}

impl Binder<'_> {
    /// Binds a call of PostgreSQL function `name` if Grizzly has it (`None` if not).
    pub(crate) fn bind_pg_function(
        &mut self,
        name: &str,
        args: &[&ast::FunctionArgExpr],
        cx: &mut ExprCtx,
    ) -> Result<Option<Expr>> {
        let Some(body) = function_body(name, args.len()) else {
            return Ok(None);
        };
        let mut bound = Vec::with_capacity(args.len());
        for a in args {
            match a {
                ast::FunctionArgExpr::Expr(e) => bound.push(self.bind_expr(e, cx)?),
                _ => return crate::bind_err!("{name}(*) is not allowed"),
            }
        }
        self.bind_pg_body(&body, bound, cx).map(Some)
    }

    /// Binds `x::regclass` and the other PostgreSQL-only casts. A name (text) becomes its
    /// object's OID; an OID becomes its object's name (how PostgreSQL prints these types).
    pub(crate) fn bind_pg_cast(&mut self, cast: PgCast, x: Expr, cx: &mut ExprCtx) -> Result<Expr> {
        let is_text = self.is_unknown(&x) || x.data_type() == DataType::Varchar;
        if cast == PgCast::Oid {
            return self.explicit_cast(x, DataType::Int64);
        }
        if is_text {
            if let (PgCast::RegClass, Some(crate::Value::Varchar(name))) = (cast, x.as_literal()) {
                // As in PostgreSQL, naming a relation that does not exist is an error.
                let name = name.to_lowercase();
                if self.catalog.table(&name).is_none() && self.catalog.view(&name).is_none() {
                    return crate::bind_err!("relation \"{name}\" does not exist");
                }
            }
        }
        let body = match (cast, is_text) {
            (PgCast::RegClass, true) => {
                "(SELECT max(oid) FROM pg_catalog.pg_class WHERE relname = lower($1))".to_string()
            }
            (PgCast::RegClass, false) => "COALESCE((SELECT max(relname) FROM pg_catalog.pg_class \
                 WHERE oid = $1), CAST($1 AS VARCHAR))"
                .to_string(),
            (PgCast::RegType, true) => {
                let mut sql = String::from("CASE lower($1)");
                for t in TYPES {
                    sql.push_str(&format!(
                        " WHEN '{}' THEN {oid} WHEN '{}' THEN {oid}",
                        t.name,
                        t.sql_name.replace('\'', "''"),
                        oid = t.oid
                    ));
                }
                sql.push_str(" END");
                sql
            }
            (PgCast::RegType, false) => {
                format!("COALESCE(NULLIF({}, '???'), CAST($1 AS VARCHAR))", {
                    format_type().replace("$2", "-1")
                })
            }
            (PgCast::RegNamespace, text) => {
                let mut sql = String::from("CASE $1");
                for (oid, name) in pg::NAMESPACES {
                    if text {
                        sql.push_str(&format!(" WHEN '{name}' THEN {oid}"));
                    } else {
                        sql.push_str(&format!(" WHEN {oid} THEN '{name}'"));
                    }
                }
                if !text {
                    sql.push_str(" ELSE CAST($1 AS VARCHAR)");
                }
                sql.push_str(" END");
                sql
            }
            (PgCast::Oid, _) => return crate::internal_err!("oid cast handled above"),
        };
        self.bind_pg_body(&body, vec![x], cx)
    }

    /// Binds `body` with `$n` standing for `args[n - 1]`.
    fn bind_pg_body(&mut self, body: &str, args: Vec<Expr>, cx: &mut ExprCtx) -> Result<Expr> {
        let parsed = Parser::new(&PostgreSqlDialect {})
            .try_with_sql(body)
            .and_then(|mut p| p.parse_expr())
            .map_err(|e| {
                crate::Error::Internal(format!("PostgreSQL function body {body:?}: {e}"))
            })?;
        self.pg_args.push(args);
        let bound = self.bind_expr(&parsed, cx);
        self.pg_args.pop();
        bound
    }

    /// The argument a `$n` in a PostgreSQL function body stands for (`None` outside bodies).
    pub(crate) fn pg_arg(&self, placeholder: &str) -> Option<Expr> {
        let args = self.pg_args.last()?;
        let n: usize = placeholder.strip_prefix('$')?.parse().ok()?;
        args.get(n.checked_sub(1)?).cloned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_body_parses() {
        let parse = |sql: &str| {
            Parser::new(&PostgreSqlDialect {})
                .try_with_sql(sql)
                .and_then(|mut p| p.parse_expr())
                .unwrap_or_else(|e| panic!("{sql}: {e}"))
        };
        for (name, arity) in [
            ("version", 0),
            ("current_schema", 0),
            ("current_database", 0),
            ("pg_table_is_visible", 1),
            ("pg_type_is_visible", 1),
            ("pg_get_userbyid", 1),
            ("format_type", 2),
            ("pg_encoding_to_char", 1),
            ("pg_get_expr", 3),
            ("obj_description", 2),
        ] {
            parse(&function_body(name, arity).unwrap());
        }
        assert!(function_body("format_type", 1).is_none());
    }
}
