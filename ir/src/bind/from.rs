//! Binding the FROM clause: tables, views, CTE references, derived tables and joins.

use sqlparser::ast;

use super::expr::{short, ExprCtx};
use super::scope::{Lookup, Scope, ScopeColumn};
use super::{ident, object_name, Binder, MAX_VIEW_DEPTH};
use crate::error::Result;
use crate::expr::{Expr, ScalarFunc};
use crate::pg_catalog::{information_schema_table, INFORMATION_SCHEMA};
use crate::plan::{JoinKind, LogicalPlan};

impl Binder<'_> {
    /// Binds a FROM list: comma-separated items are cross joined (the optimizer turns WHERE
    /// equalities into join keys). No FROM is one row with no columns.
    pub(crate) fn bind_from(
        &mut self,
        from: &[ast::TableWithJoins],
    ) -> Result<(LogicalPlan, Scope)> {
        let mut acc: Option<(LogicalPlan, Scope)> = None;
        for twj in from {
            let (p, s) = self.bind_table_with_joins(twj)?;
            acc = Some(match acc {
                None => (p, s),
                Some((lp, mut ls)) => {
                    ls.extend(s)?;
                    (cross_join(lp, p), ls)
                }
            });
        }
        Ok(acc.unwrap_or_else(|| {
            (
                LogicalPlan::Values {
                    fields: vec![],
                    rows: vec![vec![]],
                },
                Scope::default(),
            )
        }))
    }

    fn bind_table_with_joins(&mut self, twj: &ast::TableWithJoins) -> Result<(LogicalPlan, Scope)> {
        let (mut plan, mut scope) = self.bind_table_factor(&twj.relation)?;
        for j in &twj.joins {
            if j.global {
                return crate::unsupported!("GLOBAL JOIN");
            }
            let (rp, rs) = self.bind_table_factor(&j.relation)?;
            (plan, scope) = self.bind_join(plan, scope, rp, rs, &j.join_operator)?;
        }
        Ok((plan, scope))
    }

    fn bind_join(
        &mut self,
        left: LogicalPlan,
        mut ls: Scope,
        right: LogicalPlan,
        mut rs: Scope,
        op: &ast::JoinOperator,
    ) -> Result<(LogicalPlan, Scope)> {
        use ast::JoinOperator as J;
        let (kind, constraint, cross) = match op {
            J::Join(c) | J::Inner(c) | J::StraightJoin(c) => (JoinKind::Inner, c, false),
            J::Left(c) | J::LeftOuter(c) => (JoinKind::Left, c, false),
            J::Right(c) | J::RightOuter(c) => (JoinKind::Right, c, false),
            J::FullOuter(c) => (JoinKind::Full, c, false),
            J::CrossJoin(c) => (JoinKind::Inner, c, true),
            J::Semi(_) | J::LeftSemi(_) | J::RightSemi(_) => {
                return crate::unsupported!("SEMI JOIN")
            }
            J::Anti(_) | J::LeftAnti(_) | J::RightAnti(_) => {
                return crate::unsupported!("ANTI JOIN")
            }
            J::CrossApply | J::OuterApply => return crate::unsupported!("APPLY"),
            J::AsOf { .. } => return crate::unsupported!("ASOF JOIN"),
            J::ArrayJoin | J::LeftArrayJoin | J::InnerArrayJoin => {
                return crate::unsupported!("ARRAY JOIN")
            }
        };
        if matches!(kind, JoinKind::Right | JoinKind::Full) {
            ls.columns.iter_mut().for_each(|c| c.nullable = true);
        }
        if matches!(kind, JoinKind::Left | JoinKind::Full) {
            rs.columns.iter_mut().for_each(|c| c.nullable = true);
        }
        let join = |on, filter| LogicalPlan::Join {
            left: Box::new(left),
            right: Box::new(right),
            kind,
            on,
            filter,
        };
        match constraint {
            ast::JoinConstraint::None => {
                if kind != JoinKind::Inner && !cross {
                    return crate::bind_err!("{kind:?} JOIN requires an ON or USING condition");
                }
                ls.extend(rs)?;
                Ok((join(vec![], None), ls))
            }
            ast::JoinConstraint::On(e) => {
                let mut scope = ls;
                scope.extend(rs)?;
                let cond = self.bind_condition(e, &mut ExprCtx::plain(&scope, "JOIN/ON"))?;
                Ok((join(vec![], Some(cond)), scope))
            }
            ast::JoinConstraint::Using(names) => {
                let names = names.iter().map(object_name).collect::<Result<Vec<_>>>()?;
                self.bind_using(join, kind, ls, rs, &names)
            }
            ast::JoinConstraint::Natural => {
                let names: Vec<String> = ls
                    .columns
                    .iter()
                    .filter(|c| {
                        !c.hidden && rs.columns.iter().any(|r| !r.hidden && r.name == c.name)
                    })
                    .map(|c| c.name.clone())
                    .collect();
                self.bind_using(join, kind, ls, rs, &names)
            }
            ast::JoinConstraint::UsingAlias(..) => crate::unsupported!("JOIN USING ... AS alias"),
        }
    }

    /// `JOIN ... USING (cols)`: equi-keys on the named columns; unqualified references to a
    /// USING column see one merged column (the left one, the right one for RIGHT JOIN, and
    /// `COALESCE(left, right)` for FULL JOIN).
    fn bind_using(
        &mut self,
        join: impl FnOnce(Vec<(Expr, Expr)>, Option<Expr>) -> LogicalPlan,
        kind: JoinKind,
        ls: Scope,
        rs: Scope,
        names: &[String],
    ) -> Result<(LogicalPlan, Scope)> {
        let mut on = Vec::new();
        let mut pairs = Vec::new();
        for name in names {
            let Lookup::Found(l) = ls.lookup(None, name)? else {
                return crate::bind_err!(
                    "column \"{name}\" specified in USING clause does not exist in left table"
                );
            };
            let Lookup::Found(r) = rs.lookup(None, name)? else {
                return crate::bind_err!(
                    "column \"{name}\" specified in USING clause does not exist in right table"
                );
            };
            let (le, re) = self.unify_pair(l.expr(), r.expr())?;
            pairs.push((l.id, r.id, name.clone(), le.clone(), re.clone()));
            on.push((le, re));
        }
        let mut scope = ls;
        scope.extend(rs)?;
        let mut plan = join(on, None);
        match kind {
            JoinKind::Full => {
                // Re-export every column (hiding the originals of merged ones) and add the
                // merged columns.
                let merged_ids: Vec<_> = pairs.iter().flat_map(|(l, r, ..)| [*l, *r]).collect();
                let mut exprs = Vec::new();
                for c in &mut scope.columns {
                    let f = self.new_field(c.name.clone(), c.ty, c.nullable);
                    exprs.push((c.expr(), f.clone()));
                    c.hidden |= merged_ids.contains(&c.id);
                    c.id = f.id;
                }
                let mut merged = Vec::new();
                for (_, _, name, le, re) in pairs {
                    let ty = le.data_type();
                    let e = Expr::Function {
                        func: ScalarFunc::Coalesce,
                        args: vec![le, re],
                        ty,
                    };
                    let f = self.new_field(name.clone(), ty, true);
                    exprs.push((e, f.clone()));
                    merged.push(ScopeColumn {
                        qualifier: None,
                        name,
                        id: f.id,
                        ty,
                        nullable: true,
                        hidden: false,
                    });
                }
                scope.columns.extend(merged);
                plan = LogicalPlan::Project {
                    input: Box::new(plan),
                    exprs,
                };
            }
            _ => {
                for (l, r, ..) in pairs {
                    let hide = if kind == JoinKind::Right { l } else { r };
                    for c in &mut scope.columns {
                        if c.id == hide {
                            c.hidden = true;
                        }
                    }
                }
            }
        }
        Ok((plan, scope))
    }

    fn bind_table_factor(&mut self, tf: &ast::TableFactor) -> Result<(LogicalPlan, Scope)> {
        match tf {
            ast::TableFactor::Table {
                name,
                alias,
                args,
                with_hints,
                version,
                partitions,
                sample,
                ..
            } => {
                if let Some(args) = args {
                    let function = object_name(name)?;
                    let Some(plan) = self.bind_series(&function, args)? else {
                        return crate::unsupported!("table function {name}");
                    };
                    let qualifier = alias.as_ref().map_or(function, |a| ident(&a.name));
                    let mut scope = Scope::from_fields(Some(&qualifier), &plan.fields());
                    if let Some(a) = alias {
                        let cols: Vec<String> = a.columns.iter().map(|c| ident(&c.name)).collect();
                        rename(&mut scope, &qualifier, &cols)?;
                    }
                    return Ok((plan, scope));
                }
                if !with_hints.is_empty()
                    || version.is_some()
                    || !partitions.is_empty()
                    || sample.is_some()
                {
                    return crate::unsupported!("table options on {name}");
                }
                let tname = self.table_name(name)?;
                let (plan, qualifier, renames) = self.bind_relation(name, &tname)?;
                let qualifier = alias.as_ref().map_or(qualifier, |a| ident(&a.name));
                let mut scope = Scope::from_fields(Some(&qualifier), &plan.fields());
                rename(&mut scope, &qualifier, &renames)?;
                if let Some(a) = alias {
                    let cols: Vec<String> = a.columns.iter().map(|c| ident(&c.name)).collect();
                    rename(&mut scope, &qualifier, &cols)?;
                }
                Ok((plan, scope))
            }
            ast::TableFactor::Derived {
                lateral,
                subquery,
                alias,
                sample,
            } => {
                if *lateral {
                    return crate::unsupported!("LATERAL subqueries");
                }
                if sample.is_some() {
                    return crate::unsupported!("TABLESAMPLE");
                }
                let plan = self.bind_query(subquery)?;
                let qualifier = alias.as_ref().map(|a| ident(&a.name));
                let mut scope = Scope::from_fields(qualifier.as_deref(), &plan.fields());
                if let Some(a) = alias {
                    let cols: Vec<String> = a.columns.iter().map(|c| ident(&c.name)).collect();
                    rename(&mut scope, &ident(&a.name), &cols)?;
                }
                Ok((plan, scope))
            }
            ast::TableFactor::NestedJoin {
                table_with_joins,
                alias,
            } => {
                let (plan, mut scope) = self.bind_table_with_joins(table_with_joins)?;
                if let Some(a) = alias {
                    let q = ident(&a.name);
                    for c in &mut scope.columns {
                        c.qualifier = Some(q.clone());
                    }
                    scope.tables = vec![q.clone()];
                    let cols: Vec<String> = a.columns.iter().map(|c| ident(&c.name)).collect();
                    rename(&mut scope, &q, &cols)?;
                }
                Ok((plan, scope))
            }
            other => crate::unsupported!("FROM item {}", short(&other.to_string())),
        }
    }

    /// A named relation: a CTE in scope, a stored table or a view. Returns the plan, the
    /// default qualifier and column renames (CTE or view column lists).
    fn bind_relation(
        &mut self,
        name: &ast::ObjectName,
        tname: &str,
    ) -> Result<(LogicalPlan, String, Vec<String>)> {
        if name.0.len() == 1 {
            if let Some(plan) = self.working_table(tname) {
                return Ok((plan, tname.to_string(), Vec::new()));
            }
            if let Some(i) = self.ctes.iter().rposition(|c| c.name == tname) {
                let def = self.ctes[i].clone();
                let saved = std::mem::take(&mut self.ctes);
                self.ctes = saved[..def.visible.min(saved.len())].to_vec();
                // The body sees the enclosing queries of its definition, not of this reference.
                let saved_outer = self.outer.split_off(def.outer.min(self.outer.len()));
                let r = if def.recursive {
                    self.bind_recursive(&def.name, &def.query, &def.columns)
                } else {
                    self.bind_query(&def.query)
                };
                self.outer.extend(saved_outer);
                self.ctes = saved;
                return Ok((r?, def.name, def.columns));
            }
        }
        // The default qualifier is the table's own name, without its database.
        let short = object_name(name)?;
        if let Some(meta) = self.catalog.table(tname) {
            let columns = meta
                .columns
                .iter()
                .enumerate()
                .map(|(i, c)| (i, self.new_field(c.name.clone(), c.ty, c.nullable)))
                .collect();
            let plan = LogicalPlan::Scan {
                table: tname.to_string(),
                columns,
                filters: vec![],
            };
            return Ok((plan, short, vec![]));
        }
        if let Some(view) = self.catalog.view(tname) {
            if self.attached_part(tname).is_some() {
                return crate::unsupported!("views of attached databases (view \"{tname}\")");
            }
            if self.view_depth >= MAX_VIEW_DEPTH {
                return crate::bind_err!(
                    "views nested too deeply at view \"{tname}\" (recursive view?)"
                );
            }
            let stmts = crate::parse(&view.sql)?;
            let [ast::Statement::Query(q)] = stmts.as_slice() else {
                return crate::bind_err!("view \"{tname}\" does not hold a single query");
            };
            self.view_depth += 1;
            let saved_ctes = std::mem::take(&mut self.ctes);
            let saved_outer = std::mem::take(&mut self.outer);
            let r = self.bind_query(q);
            self.ctes = saved_ctes;
            self.outer = saved_outer;
            self.view_depth -= 1;
            return Ok((r?, short, view.column_names.clone()));
        }
        crate::bind_err!("table \"{tname}\" does not exist")
    }

    /// Resolves a table name as written to the name plans use (see [`crate::catalog`]): `t`,
    /// `main.t`, `public.t` and `main.main.t` name the main database's table `t` (as do the
    /// other [`crate::catalog::MAIN_SCHEMAS`]); `a.t` and `a.main.t` name table `t` of the
    /// attached database `a`, which plans call `a.t`.
    ///
    /// # Errors
    /// A bind error naming the database when the qualifier is neither `main`, `public` nor
    /// an attached database, or when a main-database name would read as an attached table.
    pub(crate) fn table_name(&self, name: &ast::ObjectName) -> Result<String> {
        let parts = name
            .0
            .iter()
            .map(|p| match p {
                ast::ObjectNamePart::Identifier(id) => Ok(ident(id)),
                _ => crate::unsupported!("object name {name}"),
            })
            .collect::<Result<Vec<_>>>()?;
        match parts.as_slice() {
            [table] => self.main_table_name(table),
            // PostgreSQL's system catalog (`pg_catalog.pg_class`): the system tables.
            [schema, table] if schema == "pg_catalog" => self.main_table_name(table),
            // The SQL standard's (`information_schema.tables`): only ever qualified.
            [schema, table] if schema == INFORMATION_SCHEMA => Ok(information_schema_table(table)),
            [database, schema, table]
                if schema == INFORMATION_SCHEMA && is_default_schema(database) =>
            {
                Ok(information_schema_table(table))
            }
            [database, table] => self.database_table_name(database, table),
            [database, schema, table] if is_default_schema(schema) => {
                self.database_table_name(database, table)
            }
            [_, schema, table] => crate::bind_err!(
                "table \"{schema}.{table}\" does not exist: schema \"{schema}\" does not exist \
                 (tables live in schema main)"
            ),
            _ => crate::bind_err!("improper qualified name (too many dotted names): {name}"),
        }
    }

    /// [`Binder::table_name`] of a table a statement creates, changes or drops: never one
    /// of the read-only `information_schema` views.
    pub(crate) fn written_table_name(&self, name: &ast::ObjectName) -> Result<String> {
        let table = self.table_name(name)?;
        if table.starts_with(&information_schema_table("")) {
            return crate::bind_err!(
                "cannot create, change or drop \"{table}\": schema {INFORMATION_SCHEMA} is \
                 read-only"
            );
        }
        Ok(table)
    }

    fn database_table_name(&self, database: &str, table: &str) -> Result<String> {
        if is_default_schema(database) {
            self.main_table_name(table)
        } else if self.catalog.has_database(database) {
            Ok(crate::catalog::qualified_name(database, table))
        } else {
            crate::bind_err!(
                "table \"{database}.{table}\" does not exist: database \"{database}\" is not \
                 attached (SHOW DATABASES lists the attached databases)"
            )
        }
    }

    /// A main-database table name, refused if it reads as a table of an attached database.
    fn main_table_name(&self, table: &str) -> Result<String> {
        if let Some(database) = self.attached_part(table) {
            return crate::bind_err!(
                "table name \"{table}\" is ambiguous: \"{database}\" is an attached database; \
                 rename the table or DETACH {database}"
            );
        }
        Ok(table.to_string())
    }

    /// The attached database a plan's table name names, if any.
    pub(crate) fn attached_part<'n>(&self, name: &'n str) -> Option<&'n str> {
        crate::catalog::split_qualified(name)
            .map(|(database, _)| database)
            .filter(|d| self.catalog.has_database(d))
    }
}

/// Schema names that qualify the main database's tables: `main.t`, PostgreSQL's `public.t`,
/// and the schemas of its system catalogs (`pg_catalog.pg_class`), which clients name.
fn is_default_schema(name: &str) -> bool {
    crate::catalog::MAIN_SCHEMAS.contains(&name)
}

/// Renames the first columns of a scope (`AS t(a, b)`, CTE and view column lists).
fn rename(scope: &mut Scope, table: &str, names: &[String]) -> Result<()> {
    if names.len() > scope.columns.len() {
        return crate::bind_err!(
            "table \"{table}\" has {} columns available but {} columns specified",
            scope.columns.len(),
            names.len()
        );
    }
    for (c, n) in scope.columns.iter_mut().zip(names) {
        c.name = n.clone();
    }
    Ok(())
}

pub(crate) fn cross_join(left: LogicalPlan, right: LogicalPlan) -> LogicalPlan {
    LogicalPlan::Join {
        left: Box::new(left),
        right: Box::new(right),
        kind: JoinKind::Inner,
        on: vec![],
        filter: None,
    }
}
