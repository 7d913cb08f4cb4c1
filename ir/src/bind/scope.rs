//! Name resolution: which columns a query's expressions can see.
//!
//! A [`Scope`] lists the columns of the FROM clause with the table name (or alias) that
//! qualifies them. Lookups fold nothing: callers pass names already normalized (unquoted
//! identifiers lower-cased). A name found only in an enclosing query's scope means the
//! subquery is correlated, which the binder rejects.

use crate::error::{Error, Result};
use crate::expr::{ColumnId, Expr};
use crate::plan::Field;
use crate::types::DataType;

/// One visible column.
#[derive(Debug, Clone)]
pub(crate) struct ScopeColumn {
    /// Table name or alias qualifying the column (`None` for unnamed derived columns).
    pub qualifier: Option<String>,
    pub name: String,
    pub id: ColumnId,
    pub ty: DataType,
    pub nullable: bool,
    /// Hidden from unqualified lookup and `*` (the right copy of a `USING` column).
    pub hidden: bool,
}

impl ScopeColumn {
    pub fn expr(&self) -> Expr {
        Expr::column(self.id, self.ty)
    }
}

/// The columns visible in one query level.
#[derive(Debug, Clone, Default)]
pub(crate) struct Scope {
    pub columns: Vec<ScopeColumn>,
    /// Table names / aliases in this scope, for `t.*` and duplicate-alias checks.
    pub tables: Vec<String>,
}

/// Outcome of a lookup in one scope.
pub(crate) enum Lookup<'a> {
    Found(&'a ScopeColumn),
    NotFound,
}

impl Scope {
    /// A scope over a plan's output fields, all qualified by `qualifier`.
    pub fn from_fields(qualifier: Option<&str>, fields: &[Field]) -> Scope {
        Scope {
            columns: fields
                .iter()
                .map(|f| ScopeColumn {
                    qualifier: qualifier.map(str::to_string),
                    name: f.name.clone(),
                    id: f.id,
                    ty: f.ty,
                    nullable: f.nullable,
                    hidden: false,
                })
                .collect(),
            tables: qualifier.map(|q| vec![q.to_string()]).unwrap_or_default(),
        }
    }

    /// Appends another scope (the right side of a join).
    pub fn extend(&mut self, other: Scope) -> Result<()> {
        for t in &other.tables {
            if self.tables.contains(t) {
                return crate::bind_err!("table name \"{t}\" specified more than once");
            }
        }
        self.tables.extend(other.tables);
        self.columns.extend(other.columns);
        Ok(())
    }

    /// Finds `qualifier.name` (or `name`). Errors if ambiguous.
    pub fn lookup(&self, qualifier: Option<&str>, name: &str) -> Result<Lookup<'_>> {
        let mut found: Option<&ScopeColumn> = None;
        for c in &self.columns {
            let matches = match qualifier {
                Some(q) => c.qualifier.as_deref() == Some(q) && c.name == name,
                None => !c.hidden && c.name == name,
            };
            if matches {
                if found.is_some() {
                    return Err(Error::Bind(format!(
                        "column reference \"{}\" is ambiguous",
                        display_name(qualifier, name)
                    )));
                }
                found = Some(c);
            }
        }
        Ok(found.map_or(Lookup::NotFound, Lookup::Found))
    }

    /// The columns `*` (or `t.*`) expands to.
    pub fn star(&self, qualifier: Option<&str>) -> Result<Vec<&ScopeColumn>> {
        match qualifier {
            None => Ok(self.columns.iter().filter(|c| !c.hidden).collect()),
            Some(q) => {
                if !self.tables.iter().any(|t| t == q) {
                    return crate::bind_err!("missing FROM-clause entry for table \"{q}\"");
                }
                Ok(self
                    .columns
                    .iter()
                    .filter(|c| c.qualifier.as_deref() == Some(q))
                    .collect())
            }
        }
    }

    /// The user-visible name of a column id, for error messages.
    pub fn name_of(&self, id: ColumnId) -> Option<String> {
        self.columns
            .iter()
            .find(|c| c.id == id)
            .map(|c| match &c.qualifier {
                Some(q) => format!("{q}.{}", c.name),
                None => c.name.clone(),
            })
    }

    /// Nullability of a column id (true if unknown).
    pub fn nullable(&self, id: ColumnId) -> bool {
        self.columns
            .iter()
            .find(|c| c.id == id)
            .is_none_or(|c| c.nullable)
    }

    /// Whether a table name or alias is in scope.
    pub fn has_table(&self, name: &str) -> bool {
        self.tables.iter().any(|t| t == name)
    }
}

pub(crate) fn display_name(qualifier: Option<&str>, name: &str) -> String {
    match qualifier {
        Some(q) => format!("{q}.{name}"),
        None => name.to_string(),
    }
}
