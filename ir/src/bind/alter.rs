//! `ALTER TABLE`: renaming the table or a column, adding and dropping columns.
//!
//! The binder checks what it can see before anything runs (the table exists and is a table,
//! new names are plain identifiers, column definitions are valid); whether a named column
//! exists is checked when each change is made, since an earlier change of the same
//! statement may have added or removed it.

use sqlparser::ast;

use super::ddl::column_def;
use super::{ident, Binder};
use crate::error::Result;
use crate::statement::{Statement, TableChange};

impl Binder<'_> {
    pub(super) fn bind_alter_table(&mut self, at: &ast::AlterTable) -> Result<Statement> {
        if at.table_type.is_some() || at.on_cluster.is_some() || at.location.is_some() {
            return crate::unsupported!("ALTER TABLE form {at}");
        }
        let table = self.written_table_name(&at.name)?;
        match (self.catalog.table(&table), self.catalog.view(&table)) {
            (Some(_), _) => {}
            (None, Some(_)) => {
                return crate::bind_err!(
                    "\"{table}\" is a view: ALTER TABLE changes tables (drop and create the \
                     view again to change it)"
                )
            }
            (None, None) if at.if_exists => {}
            (None, None) => return crate::bind_err!("table \"{table}\" does not exist"),
        }
        if at.operations.is_empty() {
            return crate::bind_err!("ALTER TABLE \"{table}\" names no change");
        }
        let changes = at
            .operations
            .iter()
            .map(table_change)
            .collect::<Result<Vec<_>>>()?;
        if changes.len() > 1
            && changes
                .iter()
                .any(|c| matches!(c, TableChange::RenameTable { .. }))
        {
            // As in PostgreSQL, whose grammar allows RENAME only alone.
            return crate::bind_err!("RENAME TO cannot be combined with other ALTER TABLE changes");
        }
        Ok(Statement::AlterTable {
            table,
            if_exists: at.if_exists,
            changes,
        })
    }
}

fn table_change(op: &ast::AlterTableOperation) -> Result<TableChange> {
    use ast::AlterTableOperation as Op;
    Ok(match op {
        Op::RenameTable { table_name } => {
            let (ast::RenameTableNameKind::To(name) | ast::RenameTableNameKind::As(name)) =
                table_name;
            let [ast::ObjectNamePart::Identifier(id)] = name.0.as_slice() else {
                return crate::bind_err!(
                    "the new name \"{name}\" cannot be qualified: a renamed table stays in its \
                     database"
                );
            };
            TableChange::RenameTable { to: ident(id) }
        }
        Op::RenameColumn {
            old_column_name,
            new_column_name,
        } => TableChange::RenameColumn {
            from: ident(old_column_name),
            to: ident(new_column_name),
        },
        Op::AddColumn {
            if_not_exists,
            column_def: cd,
            column_position: None,
            ..
        } => TableChange::AddColumn {
            column: column_def(cd)?,
            if_not_exists: *if_not_exists,
        },
        Op::DropColumn {
            column_names,
            if_exists,
            ..
        } => match column_names.as_slice() {
            [name] => TableChange::DropColumn {
                name: ident(name),
                if_exists: *if_exists,
            },
            _ => return crate::unsupported!("ALTER TABLE {op}: drop one column per DROP COLUMN"),
        },
        other => return crate::unsupported!("ALTER TABLE {other}"),
    })
}
