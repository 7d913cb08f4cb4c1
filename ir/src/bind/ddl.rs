//! Statement dispatch and DDL: CREATE/DROP TABLE and VIEW, transactions, SHOW, DESCRIBE,
//! EXPLAIN, SET.

use sqlparser::ast;

use super::literal::convert_type;
use super::{ident, object_name, Binder};
use crate::catalog::ColumnMeta;
use crate::error::Result;
use crate::statement::Statement;

impl Binder<'_> {
    pub(crate) fn bind_statement(&mut self, stmt: &ast::Statement) -> Result<Statement> {
        use ast::Statement as S;
        match stmt {
            S::Query(q) => Ok(Statement::Query(self.bind_query(q)?)),
            S::CreateTable(ct) => self.bind_create_table(ct),
            S::CreateView(cv) => self.bind_create_view(cv),
            S::AlterTable(at) => self.bind_alter_table(at),
            S::Drop {
                object_type,
                if_exists,
                names,
                ..
            } => {
                let names = names
                    .iter()
                    .map(|n| self.written_table_name(n))
                    .collect::<Result<Vec<_>>>()?;
                match object_type {
                    ast::ObjectType::Table => {
                        if !if_exists {
                            if let Some(n) = names.iter().find(|n| self.catalog.table(n).is_none())
                            {
                                return crate::bind_err!("table \"{n}\" does not exist");
                            }
                        }
                        Ok(Statement::DropTable {
                            names,
                            if_exists: *if_exists,
                        })
                    }
                    ast::ObjectType::View => {
                        if let Some(n) = names.iter().find(|n| self.attached_part(n).is_some()) {
                            return crate::unsupported!("views of attached databases (\"{n}\")");
                        }
                        if !if_exists {
                            if let Some(n) = names.iter().find(|n| self.catalog.view(n).is_none()) {
                                return crate::bind_err!("view \"{n}\" does not exist");
                            }
                        }
                        Ok(Statement::DropView {
                            names,
                            if_exists: *if_exists,
                        })
                    }
                    other => crate::unsupported!("DROP {other}"),
                }
            }
            S::Insert(ins) => self.bind_insert(ins),
            S::Update(u) => self.bind_update(u),
            S::Delete(d) => self.bind_delete(d),
            S::Copy {
                source,
                to,
                target,
                options,
                legacy_options,
                payload,
            } => {
                if payload.is_some() {
                    return crate::unsupported!("COPY FROM STDIN");
                }
                self.bind_copy(source, *to, target, options, legacy_options)
            }
            S::StartTransaction {
                statements,
                exception,
                ..
            } => {
                if !statements.is_empty() || exception.is_some() {
                    return crate::unsupported!("BEGIN ... END blocks");
                }
                Ok(Statement::Begin)
            }
            S::Commit { chain: false, .. } => Ok(Statement::Commit),
            S::Rollback {
                chain: false,
                savepoint: None,
            } => Ok(Statement::Rollback),
            S::Rollback { .. } | S::Commit { .. } => {
                crate::unsupported!("savepoints and AND CHAIN")
            }
            S::ShowTables { show_options, .. } => {
                if show_options.filter_position.is_some() {
                    return crate::unsupported!("SHOW TABLES with filters");
                }
                match show_options.show_in.as_ref().map(|s| &s.parent_name) {
                    None => Ok(Statement::ShowTables),
                    Some(Some(database)) => self.show_tables_in(database),
                    Some(None) => crate::bind_err!("SHOW TABLES FROM needs a database name"),
                }
            }
            S::ShowColumns { show_options, .. } => {
                let Some(name) = show_options
                    .show_in
                    .as_ref()
                    .and_then(|s| s.parent_name.as_ref())
                else {
                    return crate::bind_err!("SHOW COLUMNS needs a table name");
                };
                self.describe(name)
            }
            S::ExplainTable { table_name, .. } => self.describe(table_name),
            S::Explain {
                statement,
                analyze,
                options,
                ..
            } => {
                let analyze = *analyze || explain_option(options.as_deref(), "analyze")?;
                let statement = Box::new(self.bind_statement(statement)?);
                if !analyze {
                    return Ok(Statement::Explain { statement });
                }
                if !matches!(*statement, Statement::Query(_)) {
                    return crate::unsupported!(
                        "EXPLAIN ANALYZE of a statement that is not a query"
                    );
                }
                Ok(Statement::ExplainAnalyze { statement })
            }
            S::Set(ast::Set::SingleAssignment {
                variable,
                values,
                hivevar: false,
                ..
            }) => {
                let name = object_name(variable)?;
                let value = values
                    .iter()
                    .map(|v| match v {
                        ast::Expr::Value(v) => match &v.value {
                            ast::Value::SingleQuotedString(s) => s.clone(),
                            ast::Value::Number(n, _) => n.clone(),
                            ast::Value::Boolean(b) => b.to_string(),
                            other => other.to_string(),
                        },
                        ast::Expr::Identifier(id) => ident(id),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", ");
                Ok(Statement::Set { name, value })
            }
            S::Vacuum(v) => {
                if v.table_name.is_some() || v.full || v.sort_only || v.delete_only || v.reindex {
                    return crate::unsupported!("VACUUM options (use plain VACUUM)");
                }
                Ok(Statement::Vacuum)
            }
            S::Pragma {
                name, value: None, ..
            } => Ok(Statement::Pragma {
                name: object_name(name)?,
            }),
            S::Pragma { name, .. } => crate::unsupported!("PRAGMA {name} with a value"),
            S::ShowDatabases { show_options, .. } => {
                if show_options.show_in.is_some() || show_options.filter_position.is_some() {
                    return crate::unsupported!("SHOW DATABASES with filters");
                }
                Ok(Statement::ShowDatabases)
            }
            S::AttachDatabase {
                schema_name,
                database_file_name,
                ..
            } => {
                let ast::Expr::Value(v) = database_file_name else {
                    return crate::bind_err!("ATTACH needs the file name as a string literal");
                };
                let ast::Value::SingleQuotedString(path) = &v.value else {
                    return crate::bind_err!("ATTACH needs the file name as a string literal");
                };
                attach(path, Some(schema_name), &[], false)
            }
            S::AttachDuckDBDatabase {
                if_not_exists,
                database_path,
                database_alias,
                attach_options,
                ..
            } => attach(
                &database_path.value,
                database_alias.as_ref(),
                attach_options,
                *if_not_exists,
            ),
            S::DetachDuckDBDatabase {
                if_exists,
                database_alias,
                ..
            } => Ok(Statement::Detach {
                alias: ident(database_alias),
                if_exists: *if_exists,
            }),
            other => crate::unsupported!("statement {}", statement_kind(other)),
        }
    }

    fn describe(&mut self, name: &ast::ObjectName) -> Result<Statement> {
        let table = self.table_name(name)?;
        if self.catalog.table(&table).is_none() && self.catalog.view(&table).is_none() {
            return crate::bind_err!("table \"{table}\" does not exist");
        }
        Ok(Statement::Describe { table })
    }

    /// `SHOW TABLES FROM database`.
    fn show_tables_in(&self, database: &ast::ObjectName) -> Result<Statement> {
        let database = object_name(database)?;
        if database == crate::catalog::MAIN_DATABASE {
            return Ok(Statement::ShowTables);
        }
        if !self.catalog.has_database(&database) {
            return crate::bind_err!(
                "database \"{database}\" is not attached (SHOW DATABASES lists the attached \
                 databases)"
            );
        }
        Ok(Statement::ShowTablesIn { database })
    }

    fn relation_exists(&self, name: &str) -> bool {
        self.catalog.table(name).is_some() || self.catalog.view(name).is_some()
    }

    fn bind_create_table(&mut self, ct: &ast::CreateTable) -> Result<Statement> {
        let name = self.written_table_name(&ct.name)?;
        if ct.or_replace {
            return crate::unsupported!("CREATE OR REPLACE TABLE");
        }
        if ct.temporary || ct.external || ct.like.is_some() || ct.clone.is_some() {
            return crate::unsupported!("CREATE TEMPORARY/EXTERNAL/LIKE/CLONE TABLE");
        }
        if self.relation_exists(&name) && !ct.if_not_exists {
            return crate::bind_err!("relation \"{name}\" already exists");
        }
        if let Some(q) = &ct.query {
            if !ct.columns.is_empty() {
                return crate::unsupported!("CREATE TABLE (columns) AS query");
            }
            let query = self.bind_query(q)?;
            let fields = query.fields();
            for (i, f) in fields.iter().enumerate() {
                if fields[..i].iter().any(|g| g.name == f.name) {
                    return crate::bind_err!("column \"{}\" specified more than once", f.name);
                }
            }
            return Ok(Statement::CreateTableAs { name, query });
        }
        let mut columns: Vec<ColumnMeta> = Vec::with_capacity(ct.columns.len());
        for cd in &ct.columns {
            let column = column_def(cd)?;
            if columns.iter().any(|c| c.name == column.name) {
                return crate::bind_err!("column \"{}\" specified more than once", column.name);
            }
            columns.push(column);
        }
        if columns.is_empty() {
            return crate::bind_err!("a table needs at least one column");
        }
        for c in &ct.constraints {
            match c {
                ast::TableConstraint::PrimaryKey(pk) => {
                    for ic in &pk.columns {
                        let ast::Expr::Identifier(id) = &ic.column.expr else {
                            return crate::unsupported!("PRIMARY KEY on an expression");
                        };
                        let n = ident(id);
                        let Some(col) = columns.iter_mut().find(|c| c.name == n) else {
                            return crate::bind_err!("column \"{n}\" named in key does not exist");
                        };
                        col.nullable = false;
                    }
                }
                ast::TableConstraint::Unique(_) | ast::TableConstraint::ForeignKey(_) => {}
                other => return crate::unsupported!("table constraint {other}"),
            }
        }
        Ok(Statement::CreateTable {
            name,
            columns,
            if_not_exists: ct.if_not_exists,
        })
    }

    fn bind_create_view(&mut self, cv: &ast::CreateView) -> Result<Statement> {
        if cv.materialized || cv.temporary || cv.or_alter {
            return crate::unsupported!("CREATE MATERIALIZED/TEMPORARY VIEW");
        }
        let name = self.written_table_name(&cv.name)?;
        if self.attached_part(&name).is_some() {
            return crate::unsupported!("views of attached databases (\"{name}\")");
        }
        if self.catalog.table(&name).is_some() {
            return crate::bind_err!("relation \"{name}\" already exists");
        }
        if self.catalog.view(&name).is_some() && !cv.or_replace && !cv.if_not_exists {
            return crate::bind_err!("relation \"{name}\" already exists");
        }
        // Bind once to check it (as the view will be bound at each use).
        let saved_ctes = std::mem::take(&mut self.ctes);
        let plan = self.bind_query(&cv.query);
        self.ctes = saved_ctes;
        let plan = plan?;
        let column_names: Vec<String> = cv.columns.iter().map(|c| ident(&c.name)).collect();
        if column_names.len() > plan.fields().len() {
            return crate::bind_err!("CREATE VIEW specifies more column names than columns");
        }
        Ok(Statement::CreateView {
            name,
            sql: cv.query.to_string(),
            column_names,
            or_replace: cv.or_replace,
        })
    }
}

/// `ATTACH 'path' [AS alias] [(READ_ONLY)]`: without an alias the database is named after
/// the file (`ATTACH 'sales.griz'` is `sales`), as in DuckDB.
fn attach(
    path: &str,
    alias: Option<&ast::Ident>,
    options: &[ast::AttachDuckDBDatabaseOption],
    if_not_exists: bool,
) -> Result<Statement> {
    if path.is_empty() {
        return crate::bind_err!("ATTACH needs a file name");
    }
    let alias = match alias {
        Some(a) => ident(a),
        None => std::path::Path::new(path)
            .file_stem()
            .map(|s| s.to_string_lossy().to_lowercase())
            .unwrap_or_default(),
    };
    if alias.is_empty() || alias.contains('.') {
        return crate::bind_err!(
            "invalid database name \"{alias}\" (a name without dots is needed: ATTACH ... AS name)"
        );
    }
    if crate::catalog::RESERVED_DATABASE_NAMES.contains(&alias.as_str()) {
        return crate::bind_err!(
            "database name \"{alias}\" is reserved; attach the file under another name"
        );
    }
    let mut read_only = false;
    for option in options {
        match option {
            ast::AttachDuckDBDatabaseOption::ReadOnly(value) => read_only = value.unwrap_or(true),
            ast::AttachDuckDBDatabaseOption::Type(t) => {
                if !t.value.eq_ignore_ascii_case("grizzly") {
                    return crate::unsupported!("ATTACH (TYPE {t}): only .griz files attach");
                }
            }
        }
    }
    Ok(Statement::Attach {
        path: path.to_string(),
        alias,
        read_only,
        if_not_exists,
    })
}

/// The leading keywords of a statement, to name it in "not supported" errors.
fn statement_kind(stmt: &ast::Statement) -> String {
    let text = stmt.to_string();
    let words: Vec<&str> = text.split_whitespace().take(3).collect();
    let kind: Vec<&str> = words
        .iter()
        .take_while(|w| w.chars().all(|c| c.is_ascii_alphabetic() || c == '_'))
        .copied()
        .collect();
    if kind.is_empty() {
        words.first().copied().unwrap_or("").to_uppercase()
    } else {
        kind.join(" ").to_uppercase()
    }
}

/// Whether `EXPLAIN (options)` turns option `name` on: `(ANALYZE)`, `(ANALYZE TRUE|ON|1)`;
/// `FALSE`, `OFF` and `0` turn it off, anything else is an error.
fn explain_option(options: Option<&[ast::UtilityOption]>, name: &str) -> Result<bool> {
    let Some(option) = options
        .unwrap_or_default()
        .iter()
        .find(|o| o.name.value.eq_ignore_ascii_case(name))
    else {
        return Ok(false);
    };
    let Some(arg) = &option.arg else {
        return Ok(true);
    };
    let text = arg.to_string().trim_matches('\'').to_ascii_lowercase();
    match text.as_str() {
        "true" | "on" | "1" => Ok(true),
        "false" | "off" | "0" => Ok(false),
        _ => crate::bind_err!("EXPLAIN option {name} takes TRUE or FALSE, not {arg}"),
    }
}

/// A column as `CREATE TABLE` and `ALTER TABLE ... ADD COLUMN` define it.
pub(super) fn column_def(cd: &ast::ColumnDef) -> Result<ColumnMeta> {
    let ty = convert_type(&cd.data_type)?;
    let mut nullable = true;
    for opt in &cd.options {
        match &opt.option {
            ast::ColumnOption::Null => nullable = true,
            ast::ColumnOption::NotNull | ast::ColumnOption::PrimaryKey(_) => nullable = false,
            // Not enforced: accepted so common schemas (TPC-H) load.
            ast::ColumnOption::Unique(_)
            | ast::ColumnOption::ForeignKey(_)
            | ast::ColumnOption::Comment(_) => {}
            other => return crate::unsupported!("column option {other}"),
        }
    }
    Ok(ColumnMeta {
        name: ident(&cd.name),
        ty,
        nullable,
    })
}
