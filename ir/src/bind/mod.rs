//! The binder: `sqlparser` AST → typed [`Statement`] / [`LogicalPlan`].
//!
//! The life of a SELECT through the binder ([`bind`] → `Binder::bind_query`):
//! 1. WITH: CTE definitions are remembered (not bound); each reference binds the CTE's query
//!    afresh, so a CTE used twice gets two independent plans with distinct column ids.
//! 2. FROM (`from.rs`): tables become `Scan`s of every column, views are parsed and bound,
//!    derived tables are bound recursively; joins become `Join` nodes with the ON condition as
//!    `filter` (the optimizer extracts equi-keys). The result is a plan plus a [`scope::Scope`]
//!    mapping (qualifier, name) to column ids.
//! 3. WHERE → `Filter`; GROUP BY / aggregates / HAVING → `Aggregate` + `Filter` (`select.rs`);
//!    the select list → `Project`; DISTINCT → `Distinct`; ORDER BY → `Sort` (over the project,
//!    with hidden extra columns when sorting by something not selected); LIMIT → `Limit`.
//! 4. Expressions (`expr.rs`, `func.rs`) are typed as they are bound; every implicit conversion
//!    becomes an explicit `Cast` following the rules in `coerce.rs`.
//!
//! Subqueries in expressions are bound with the enclosing scopes pushed on an "outer" stack;
//! a name that resolves only there makes the subquery correlated: its plan reads the outer
//! query's column ids. `unnest.rs` turns correlated subqueries in WHERE, HAVING, the select
//! list and ORDER BY into semi, anti and left joins; any other correlated subquery is reported
//! as [`Error::Unsupported`] rather than risking a wrong answer.

mod alter;
mod coerce;
mod ddl;
mod dml;
mod expr;
mod from;
mod func;
mod library;
mod limit;
mod literal;
mod params;
mod pg_functions;
mod recursive;
mod scope;
mod select;
mod series;
mod unnest;
mod window;

use sqlparser::ast;

use crate::catalog::Catalog;
use crate::error::{Error, Result};
use crate::expr::{ColumnId, Expr};
use crate::plan::Field;
use crate::statement::Statement;
use crate::types::DataType;

pub(crate) use scope::Scope;

/// A bound statement and the types its parameters (`$1` is index 0) were given by context
/// (VARCHAR where the context said nothing).
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub statement: Statement,
    pub param_types: Vec<DataType>,
}

/// Binds one parsed statement against a catalog.
///
/// # Errors
/// [`Error::Bind`] for unknown or ambiguous names and misused clauses, [`Error::Type`] for type
/// mismatches, [`Error::Unsupported`] for valid SQL Grizzly does not handle (naming it).
pub fn bind(stmt: &ast::Statement, catalog: &dyn Catalog) -> Result<Bound> {
    let mut binder = Binder::new(catalog);
    let statement = binder.bind_statement(stmt)?;
    unnest::check_statement(&statement)?;
    let param_types: Vec<DataType> = binder
        .params
        .iter()
        .map(|t| t.unwrap_or(DataType::Varchar))
        .collect();
    let statement = params::settle_statement(statement, &param_types)?;
    Ok(Bound {
        statement,
        param_types,
    })
}

/// Deepest nesting of queries and expressions the binder accepts.
const MAX_DEPTH: usize = 200;
/// Deepest nesting of views referring to views.
const MAX_VIEW_DEPTH: usize = 16;

/// A CTE definition visible to the query being bound.
#[derive(Debug, Clone)]
struct CteDef {
    name: String,
    query: ast::Query,
    columns: Vec<String>,
    /// Defined in `WITH RECURSIVE` as `anchor UNION [ALL] step` (see `recursive.rs`).
    recursive: bool,
    /// How many CTEs (earlier ones) its own body can see.
    visible: usize,
    /// How many enclosing query scopes (`Binder::outer`) its body can see.
    outer: usize,
}

pub(crate) struct Binder<'c> {
    catalog: &'c dyn Catalog,
    next_id: u32,
    /// Parameter types by index; `None` while no context has given one.
    params: Vec<Option<DataType>>,
    /// Raw `?` placeholders seen so far (for ASTs not produced by [`crate::parse`]).
    questions: usize,
    ctes: Vec<CteDef>,
    /// Scopes of enclosing queries, innermost last.
    outer: Vec<Scope>,
    depth: usize,
    view_depth: usize,
    /// Arguments of the PostgreSQL function bodies being bound, innermost last
    /// (`pg_functions.rs`).
    pg_args: Vec<Vec<Expr>>,
    /// Recursive queries whose step is being bound: a reference to one of these names reads
    /// its working table (`recursive.rs`).
    working: Vec<recursive::WorkingDef>,
    /// The next working table id.
    next_working: u32,
}

impl<'c> Binder<'c> {
    fn new(catalog: &'c dyn Catalog) -> Self {
        Binder {
            catalog,
            next_id: 0,
            params: Vec::new(),
            questions: 0,
            ctes: Vec::new(),
            outer: Vec::new(),
            depth: 0,
            view_depth: 0,
            pg_args: Vec::new(),
            working: Vec::new(),
            next_working: 0,
        }
    }

    /// A new output column with a fresh id.
    pub(crate) fn new_field(
        &mut self,
        name: impl Into<String>,
        ty: DataType,
        nullable: bool,
    ) -> Field {
        let id = ColumnId(self.next_id);
        self.next_id += 1;
        Field {
            id,
            name: name.into(),
            ty,
            nullable,
        }
    }

    /// Runs `f` one level deeper, failing cleanly instead of overflowing the stack.
    pub(crate) fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T>) -> Result<T> {
        if self.depth >= MAX_DEPTH {
            return Err(Error::Unsupported(format!(
                "statement nested too deeply (more than {MAX_DEPTH} levels)"
            )));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }

    /// A parameter placeholder: `$n`, `?` or `?n`.
    pub(crate) fn param(&mut self, text: &str) -> Result<Expr> {
        let index = if text == "?" {
            self.questions += 1;
            self.questions - 1
        } else {
            let digits = text
                .strip_prefix('$')
                .or_else(|| text.strip_prefix('?'))
                .unwrap_or("");
            match digits.parse::<usize>() {
                Ok(n) if (1..=65_535).contains(&n) => n - 1,
                _ => return crate::bind_err!("invalid parameter placeholder {text}"),
            }
        };
        if self.params.len() <= index {
            self.params.resize(index + 1, None);
        }
        let ty = self.params[index].unwrap_or(DataType::Varchar);
        Ok(Expr::Param { index, ty })
    }

    /// True for expressions whose type comes from context: string literals, untyped NULLs and
    /// parameters that no context has typed yet.
    pub(crate) fn is_unknown(&self, e: &Expr) -> bool {
        match e {
            Expr::Literal { value, ty } => {
                *ty == DataType::Varchar
                    && matches!(value, crate::Value::Null | crate::Value::Varchar(_))
            }
            Expr::Param { index, .. } => self.params.get(*index).is_some_and(|t| t.is_none()),
            _ => false,
        }
    }

    /// Implicit conversion of `e` to `ty`: unknown expressions take the type (string literals
    /// are parsed now), anything else gets a `Cast`.
    pub(crate) fn coerce_to(&mut self, e: Expr, ty: DataType) -> Result<Expr> {
        if !self.is_unknown(&e) {
            return Ok(e.cast_to(ty));
        }
        match e {
            Expr::Literal {
                value: crate::Value::Varchar(s),
                ..
            } => {
                let value = crate::optimize::eval::parse_value(&s, ty).map_err(Error::Type)?;
                Ok(Expr::literal(value, ty))
            }
            Expr::Literal { value, .. } => Ok(Expr::literal(value, ty)),
            Expr::Param { index, .. } => {
                if let Some(t) = self.params.get_mut(index) {
                    *t = Some(ty);
                }
                Ok(Expr::Param { index, ty })
            }
            e => Ok(e.cast_to(ty)),
        }
    }

    /// Fixes the type of an unknown expression that has no context (VARCHAR).
    pub(crate) fn settle(&mut self, e: Expr) -> Expr {
        if let Expr::Param { index, ty } = e {
            if let Some(t @ None) = self.params.get_mut(index) {
                *t = Some(ty);
            }
        }
        e
    }
}

/// A normalized identifier: unquoted names fold to lower case, quoted ones are kept.
pub(crate) fn ident(id: &ast::Ident) -> String {
    if id.quote_style.is_some() {
        id.value.clone()
    } else {
        id.value.to_lowercase()
    }
}

/// The object an [`ast::ObjectName`] names (the last part; a schema prefix is ignored).
pub(crate) fn object_name(name: &ast::ObjectName) -> Result<String> {
    match name.0.last() {
        Some(ast::ObjectNamePart::Identifier(id)) => Ok(ident(id)),
        _ => crate::unsupported!("object name {name}"),
    }
}
