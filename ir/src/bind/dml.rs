//! DML: INSERT, UPDATE, DELETE and COPY.
//!
//! UPDATE and DELETE are expressed as plans over the whole table (see
//! [`Statement::Rewrite`]):
//! ```text
//! UPDATE t SET c = e WHERE p      new_contents: Project[..., CASE WHEN p THEN e ELSE c END, ...]
//!                                                 Scan t
//!                                 affected:     Aggregate[count(*)]
//!                                                 Filter p
//!                                                   Scan t
//! DELETE FROM t WHERE p           new_contents: Filter NOT coalesce(p, false)   (keeps rows where
//!                                                 Scan t                       p is not true)
//! ```
//! A NULL predicate updates or deletes nothing, as in SQL.

use sqlparser::ast;

use super::coerce::can_assign;
use super::expr::ExprCtx;
use super::scope::Scope;
use super::{ident, object_name, Binder};
use crate::catalog::TableMeta;
use crate::error::Result;
use crate::expr::{Expr, ScalarFunc};
use crate::plan::{AggFunc, AggregateCall, LogicalPlan};
use crate::statement::{null_of, CopyOptions, RewriteKind, Statement};
use crate::types::DataType;

impl Binder<'_> {
    fn table_meta(&self, name: &str, verb: &str) -> Result<TableMeta> {
        match self.catalog.table(name) {
            Some(t) => Ok(t),
            None if self.catalog.view(name).is_some() => {
                crate::unsupported!("{verb} on view \"{name}\"")
            }
            None => crate::bind_err!("table \"{name}\" does not exist"),
        }
    }

    /// A scan of every column of `meta`, and its scope qualified by `qualifier`.
    fn scan_all(&mut self, meta: &TableMeta, qualifier: &str) -> (LogicalPlan, Scope) {
        let columns: Vec<_> = meta
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (i, self.new_field(c.name.clone(), c.ty, c.nullable)))
            .collect();
        let fields: Vec<_> = columns.iter().map(|(_, f)| f.clone()).collect();
        let plan = LogicalPlan::Scan {
            table: meta.name.clone(),
            columns,
            filters: vec![],
        };
        (plan, Scope::from_fields(Some(qualifier), &fields))
    }

    /// Converts a value for storage in a column (see the assignment rules in `coerce.rs`).
    fn assign_cast(&mut self, e: Expr, ty: DataType, column: &str) -> Result<Expr> {
        if self.is_unknown(&e) {
            return self.coerce_to(e, ty);
        }
        let from = e.data_type();
        if !can_assign(from, ty) {
            return crate::type_err!(
                "column \"{column}\" is of type {ty} but expression is of type {from}"
            );
        }
        Ok(self.cast(e, ty))
    }

    pub(crate) fn bind_insert(&mut self, ins: &ast::Insert) -> Result<Statement> {
        if ins.or.is_some()
            || ins.ignore
            || ins.overwrite
            || ins.partitioned.is_some()
            || !ins.after_columns.is_empty()
            || ins.on.is_some()
            || ins.returning.is_some()
            || ins.output.is_some()
            || ins.replace_into
            || ins.insert_alias.is_some()
            || ins.settings.is_some()
            || ins.format_clause.is_some()
            || ins.by_name
            || !ins.assignments.is_empty()
            || ins.priority.is_some()
            || ins.multi_table_insert_type.is_some()
        {
            return crate::unsupported!(
                "INSERT clause in {}",
                super::expr::short(&ins.to_string())
            );
        }
        let ast::TableObject::TableName(tname) = &ins.table else {
            return crate::unsupported!("INSERT INTO a table function or subquery");
        };
        let table = self.written_table_name(tname)?;
        let meta = self.table_meta(&table, "INSERT")?;
        let targets: Vec<usize> = if ins.columns.is_empty() {
            (0..meta.columns.len()).collect()
        } else {
            let mut out = Vec::with_capacity(ins.columns.len());
            for c in &ins.columns {
                let name = object_name(c)?;
                let Some(i) = meta.columns.iter().position(|m| m.name == name) else {
                    return crate::bind_err!(
                        "column \"{name}\" of relation \"{table}\" does not exist"
                    );
                };
                if out.contains(&i) {
                    return crate::bind_err!("column \"{name}\" specified more than once");
                }
                out.push(i);
            }
            out
        };
        let Some(source) = &ins.source else {
            return crate::unsupported!("INSERT ... DEFAULT VALUES");
        };
        let count_error = |got: usize| {
            if got > targets.len() {
                crate::bind_err!("INSERT has more expressions than target columns")
            } else {
                crate::bind_err!("INSERT has more target columns than expressions")
            }
        };
        let plain_values = source.with.is_none()
            && source.order_by.is_none()
            && source.limit_clause.is_none()
            && source.fetch.is_none();
        let query = match source.body.as_ref() {
            ast::SetExpr::Values(values) if plain_values => {
                // Bind each value against its column type, so parameters and string literals
                // take the column's type.
                let scope = Scope::default();
                let fields: Vec<_> = meta
                    .columns
                    .iter()
                    .map(|c| self.new_field(c.name.clone(), c.ty, c.nullable))
                    .collect();
                let mut rows = Vec::with_capacity(values.rows.len());
                for row in &values.rows {
                    if row.content.len() != targets.len() {
                        return count_error(row.content.len());
                    }
                    let mut out: Vec<Expr> = meta.columns.iter().map(|c| null_of(c.ty)).collect();
                    for (e, &i) in row.content.iter().zip(&targets) {
                        let bound = self.bind_expr(e, &mut ExprCtx::plain(&scope, "VALUES"))?;
                        let col = &meta.columns[i];
                        out[i] = self.assign_cast(bound, col.ty, &col.name)?;
                    }
                    rows.push(out);
                }
                LogicalPlan::Values { fields, rows }
            }
            _ => {
                let plan = self.bind_query(source)?;
                let fields = plan.fields();
                if fields.len() != targets.len() {
                    return count_error(fields.len());
                }
                let mut exprs: Vec<Option<Expr>> = vec![None; meta.columns.len()];
                for (f, &i) in fields.iter().zip(&targets) {
                    let col = &meta.columns[i];
                    exprs[i] =
                        Some(self.assign_cast(Expr::column(f.id, f.ty), col.ty, &col.name)?);
                }
                let mut project = Vec::with_capacity(meta.columns.len());
                for (c, e) in meta.columns.iter().zip(exprs) {
                    let e = e.unwrap_or_else(|| null_of(c.ty));
                    project.push((e, self.new_field(c.name.clone(), c.ty, c.nullable)));
                }
                LogicalPlan::Project {
                    input: Box::new(plan),
                    exprs: project,
                }
            }
        };
        Ok(Statement::Insert {
            table: meta.name,
            query,
        })
    }

    /// The table an UPDATE or DELETE targets, with its alias.
    fn dml_target(&self, twj: &ast::TableWithJoins, verb: &str) -> Result<(String, String)> {
        if !twj.joins.is_empty() {
            return crate::unsupported!("{verb} with joins");
        }
        let ast::TableFactor::Table { name, alias, .. } = &twj.relation else {
            return crate::unsupported!("{verb} of a non-table");
        };
        let table = self.written_table_name(name)?;
        let qualifier = match alias {
            Some(a) => ident(&a.name),
            None => object_name(name)?,
        };
        Ok((table, qualifier))
    }

    /// `count(*)` over the rows of a fresh scan of `meta` where `selection` is true.
    fn count_matching(
        &mut self,
        meta: &TableMeta,
        qualifier: &str,
        selection: Option<&ast::Expr>,
    ) -> Result<LogicalPlan> {
        let (mut plan, scope) = self.scan_all(meta, qualifier);
        if let Some(w) = selection {
            let predicate = self.bind_condition(w, &mut ExprCtx::plain(&scope, "WHERE"))?;
            plan = LogicalPlan::Filter {
                input: Box::new(plan),
                predicate,
            };
        }
        let count = self.new_field("count", DataType::Int64, false);
        Ok(LogicalPlan::Aggregate {
            input: Box::new(plan),
            group_by: vec![],
            aggregates: vec![(
                AggregateCall {
                    func: AggFunc::CountStar,
                    arg: None,
                    distinct: false,
                    ty: DataType::Int64,
                    params: Vec::new(),
                    order_by: Vec::new(),
                },
                count,
            )],
        })
    }

    pub(crate) fn bind_update(&mut self, u: &ast::Update) -> Result<Statement> {
        if u.from.is_some() {
            return crate::unsupported!("UPDATE ... FROM");
        }
        if u.returning.is_some()
            || u.output.is_some()
            || u.or.is_some()
            || !u.order_by.is_empty()
            || u.limit.is_some()
        {
            return crate::unsupported!("UPDATE clause in {}", super::expr::short(&u.to_string()));
        }
        let (table, qualifier) = self.dml_target(&u.table, "UPDATE")?;
        let meta = self.table_meta(&table, "UPDATE")?;
        let (scan, scope) = self.scan_all(&meta, &qualifier);
        let pred = match &u.selection {
            Some(w) => Some(self.bind_condition(w, &mut ExprCtx::plain(&scope, "WHERE"))?),
            None => None,
        };
        let mut new_values: Vec<Option<Expr>> = vec![None; meta.columns.len()];
        for a in &u.assignments {
            let ast::AssignmentTarget::ColumnName(target) = &a.target else {
                return crate::unsupported!("UPDATE SET (a, b) = ...");
            };
            let name = object_name(target)?;
            let Some(i) = meta.columns.iter().position(|c| c.name == name) else {
                return crate::bind_err!(
                    "column \"{name}\" of relation \"{table}\" does not exist"
                );
            };
            if new_values[i].is_some() {
                return crate::bind_err!("multiple assignments to same column \"{name}\"");
            }
            let v = self.bind_expr(&a.value, &mut ExprCtx::plain(&scope, "UPDATE SET"))?;
            let col = &meta.columns[i];
            new_values[i] = Some(self.assign_cast(v, col.ty, &col.name)?);
        }
        let fields = scan.fields();
        let mut exprs = Vec::with_capacity(fields.len());
        for (f, new) in fields.iter().zip(new_values) {
            let old = Expr::column(f.id, f.ty);
            let e = match (new, &pred) {
                (None, _) => old,
                (Some(n), None) => n,
                (Some(n), Some(p)) => Expr::Case {
                    whens: vec![(p.clone(), n)],
                    else_: Some(Box::new(old)),
                    ty: f.ty,
                },
            };
            let nullable = super::select::nullable(&e, &|id| scope.nullable(id));
            exprs.push((e, self.new_field(f.name.clone(), f.ty, nullable)));
        }
        let new_contents = LogicalPlan::Project {
            input: Box::new(scan),
            exprs,
        };
        let affected = self.count_matching(&meta, &qualifier, u.selection.as_ref())?;
        Ok(Statement::Rewrite {
            table: meta.name,
            new_contents,
            affected,
            kind: RewriteKind::Update,
        })
    }

    pub(crate) fn bind_delete(&mut self, d: &ast::Delete) -> Result<Statement> {
        if !d.tables.is_empty() || d.using.is_some() {
            return crate::unsupported!("multi-table DELETE");
        }
        if d.returning.is_some()
            || d.output.is_some()
            || !d.order_by.is_empty()
            || d.limit.is_some()
        {
            return crate::unsupported!("DELETE clause in {}", super::expr::short(&d.to_string()));
        }
        let from = match &d.from {
            ast::FromTable::WithFromKeyword(v) | ast::FromTable::WithoutKeyword(v) => v,
        };
        let [twj] = from.as_slice() else {
            return crate::unsupported!("DELETE from several tables");
        };
        let (table, qualifier) = self.dml_target(twj, "DELETE")?;
        let meta = self.table_meta(&table, "DELETE")?;
        let (scan, scope) = self.scan_all(&meta, &qualifier);
        let keep = match &d.selection {
            Some(w) => {
                let p = self.bind_condition(w, &mut ExprCtx::plain(&scope, "WHERE"))?;
                let is_true = Expr::Function {
                    func: ScalarFunc::Coalesce,
                    args: vec![p, Expr::boolean(false)],
                    ty: DataType::Boolean,
                };
                Expr::Not(Box::new(is_true))
            }
            None => Expr::boolean(false),
        };
        let new_contents = LogicalPlan::Filter {
            input: Box::new(scan),
            predicate: keep,
        };
        let affected = self.count_matching(&meta, &qualifier, d.selection.as_ref())?;
        Ok(Statement::Rewrite {
            table: meta.name,
            new_contents,
            affected,
            kind: RewriteKind::Delete,
        })
    }

    pub(crate) fn bind_copy(
        &mut self,
        source: &ast::CopySource,
        to: bool,
        target: &ast::CopyTarget,
        options: &[ast::CopyOption],
        legacy: &[ast::CopyLegacyOption],
    ) -> Result<Statement> {
        let path = match target {
            ast::CopyTarget::File { filename } => filename.clone(),
            ast::CopyTarget::Stdin | ast::CopyTarget::Stdout => {
                return crate::unsupported!("COPY with STDIN/STDOUT (give a file name)")
            }
            ast::CopyTarget::Program { .. } => return crate::unsupported!("COPY ... PROGRAM"),
        };
        let options = copy_options(options, legacy, &path)?;
        match (source, to) {
            (
                ast::CopySource::Table {
                    table_name,
                    columns,
                },
                false,
            ) => {
                if !columns.is_empty() {
                    return crate::unsupported!("COPY FROM with a column list");
                }
                let table = self.written_table_name(table_name)?;
                let meta = self.table_meta(&table, "COPY")?;
                Ok(Statement::CopyFrom {
                    table: meta.name,
                    path,
                    options,
                })
            }
            (
                ast::CopySource::Table {
                    table_name,
                    columns,
                },
                true,
            ) => {
                let table = self.table_name(table_name)?;
                let meta = self.table_meta(&table, "COPY")?;
                let (scan, _) = self.scan_all(&meta, &table);
                let query = if columns.is_empty() {
                    scan
                } else {
                    let LogicalPlan::Scan {
                        table: t,
                        columns: all,
                        filters,
                    } = scan
                    else {
                        return crate::internal_err!("scan expected");
                    };
                    let mut picked = Vec::with_capacity(columns.len());
                    for c in columns {
                        let n = ident(c);
                        let Some(col) = all.iter().find(|(_, f)| f.name == n) else {
                            return crate::bind_err!(
                                "column \"{n}\" of relation \"{table}\" does not exist"
                            );
                        };
                        picked.push(col.clone());
                    }
                    LogicalPlan::Scan {
                        table: t,
                        columns: picked,
                        filters,
                    }
                };
                Ok(Statement::CopyTo {
                    query,
                    path,
                    options,
                })
            }
            (ast::CopySource::Query(q), true) => Ok(Statement::CopyTo {
                query: self.bind_query(q)?,
                path,
                options,
            }),
            (ast::CopySource::Query(_), false) => {
                crate::bind_err!("COPY (query) FROM is not valid")
            }
        }
    }
}

/// COPY options in both the modern `WITH (FORMAT csv, HEADER true, DELIMITER '|')` and the
/// legacy `WITH DELIMITER '|' CSV HEADER` syntax. Grizzly reads and writes CSV, JSON lines and
/// Parquet; `FORMAT text` only changes the CSV defaults (tab delimiter, `\N` for NULL).
fn copy_options(
    options: &[ast::CopyOption],
    legacy: &[ast::CopyLegacyOption],
    path: &str,
) -> Result<CopyOptions> {
    let mut o = CopyOptions::default();
    let mut format: Option<String> = None;
    let mut delimiter_set = false;
    let mut null_set = false;
    let byte = |c: char, what: &str| -> Result<u8> {
        if c.is_ascii() {
            Ok(c as u8)
        } else {
            crate::bind_err!("COPY {what} must be a single one-byte character")
        }
    };
    for opt in options {
        match opt {
            ast::CopyOption::Format(f) => format = Some(f.value.to_lowercase()),
            ast::CopyOption::Delimiter(c) => {
                o.delimiter = byte(*c, "delimiter")?;
                delimiter_set = true;
            }
            ast::CopyOption::Null(s) => {
                o.null = s.clone();
                null_set = true;
            }
            ast::CopyOption::Header(h) => o.header = *h,
            ast::CopyOption::Quote(c) => o.quote = byte(*c, "quote")?,
            ast::CopyOption::Freeze(_) => {}
            ast::CopyOption::Encoding(e)
                if matches!(e.to_lowercase().as_str(), "utf8" | "utf-8") => {}
            other => return crate::unsupported!("COPY option {other}"),
        }
    }
    for opt in legacy {
        match opt {
            ast::CopyLegacyOption::Delimiter(c) => {
                o.delimiter = byte(*c, "delimiter")?;
                delimiter_set = true;
            }
            ast::CopyLegacyOption::Null(s) => {
                o.null = s.clone();
                null_set = true;
            }
            ast::CopyLegacyOption::Header => o.header = true,
            ast::CopyLegacyOption::Csv(csv) => {
                format = Some("csv".into());
                for c in csv {
                    match c {
                        ast::CopyLegacyCsvOption::Header => o.header = true,
                        ast::CopyLegacyCsvOption::Quote(q) => o.quote = byte(*q, "quote")?,
                        other => return crate::unsupported!("COPY option {other}"),
                    }
                }
            }
            other => return crate::unsupported!("COPY option {other}"),
        }
    }
    // Without FORMAT, a `.parquet` file is Parquet (as DuckDB does); anything else is CSV.
    let parquet_file = path.to_ascii_lowercase().ends_with(".parquet");
    match format.as_deref() {
        Some("parquet") => parquet_options(&mut o, delimiter_set || null_set)?,
        None if parquet_file => parquet_options(&mut o, delimiter_set || null_set)?,
        None | Some("csv") => {}
        Some("text") => {
            if !delimiter_set {
                o.delimiter = b'\t';
            }
            if !null_set {
                o.null = "\\N".into();
            }
        }
        Some("json") => o.format = crate::statement::CopyFormat::Json,
        Some(f) => {
            return crate::unsupported!("COPY format {f} (only csv, text, json and parquet)")
        }
    }
    Ok(o)
}

/// Switches `o` to Parquet, refusing the CSV options (HEADER, DELIMITER, NULL, QUOTE), which
/// mean nothing for it.
fn parquet_options(o: &mut CopyOptions, text_options_set: bool) -> Result<()> {
    let defaults = CopyOptions::default();
    if text_options_set || o.header || o.quote != defaults.quote {
        return crate::bind_err!(
            "COPY options HEADER, DELIMITER, NULL and QUOTE do not apply to FORMAT parquet"
        );
    }
    o.format = crate::statement::CopyFormat::Parquet;
    Ok(())
}
