//! `ALTER TABLE`: the changes of one statement are checked together against the table as it
//! is, then made in order in the statement's write transaction. Checking first keeps the
//! statement atomic inside an explicit transaction too (a failed statement leaves the
//! transaction as it was): every name error surfaces before the first change is made.

use grizzly_ir::{ColumnMeta, TableChange};
use grizzly_runtime::storage::{Snapshot, WriteTxn};
use grizzly_runtime::{Error, Result};

/// Checks `changes` of table `table` (its name in its own database, whose snapshot is
/// `snapshot`) as if made in order; the errors are the ones making them would give.
pub(crate) fn check(snapshot: &Snapshot, table: &str, changes: &[TableChange]) -> Result<()> {
    let Some(t) = snapshot.table(table) else {
        return Err(Error::Execution(format!(
            "table \"{table}\" does not exist"
        )));
    };
    let mut columns: Vec<String> = t.meta.columns.iter().map(|c| c.name.clone()).collect();
    let rows = t.meta.row_count;
    let missing = |name: &str| {
        Error::Execution(format!(
            "column \"{name}\" of relation \"{table}\" does not exist"
        ))
    };
    let taken = |name: &str| {
        Error::Execution(format!(
            "column \"{name}\" of relation \"{table}\" already exists"
        ))
    };
    for change in changes {
        match change {
            TableChange::RenameTable { to } => {
                if snapshot.table(to).is_some() {
                    return Err(Error::Execution(format!("table \"{to}\" already exists")));
                }
                if snapshot.view_meta(to).is_some() {
                    return Err(Error::Execution(format!("view \"{to}\" already exists")));
                }
            }
            TableChange::RenameColumn { from, to } => {
                let Some(i) = columns.iter().position(|c| c == from) else {
                    return Err(missing(from));
                };
                if columns.iter().any(|c| c == to) {
                    return Err(taken(to));
                }
                columns[i] = to.clone();
            }
            TableChange::AddColumn {
                column: ColumnMeta { name, nullable, .. },
                if_not_exists,
            } => {
                if columns.iter().any(|c| c == name) {
                    if *if_not_exists {
                        continue;
                    }
                    return Err(taken(name));
                }
                if !nullable && rows > 0 {
                    return Err(Error::Execution(format!(
                        "column \"{name}\" of relation \"{table}\" contains null values (a NOT \
                         NULL column can only be added to an empty table)"
                    )));
                }
                columns.push(name.clone());
            }
            TableChange::DropColumn { name, if_exists } => {
                let Some(i) = columns.iter().position(|c| c == name) else {
                    if *if_exists {
                        continue;
                    }
                    return Err(missing(name));
                };
                if columns.len() == 1 {
                    return Err(Error::Execution(format!(
                        "cannot drop column \"{name}\": it is the only column of table \
                         \"{table}\" (drop the table instead)"
                    )));
                }
                columns.remove(i);
            }
        }
    }
    Ok(())
}

/// Makes one change of table `table` (checked by [`check`] with the others first).
pub(crate) fn apply(txn: &mut WriteTxn, table: &str, change: TableChange) -> Result<()> {
    let has_column = |txn: &WriteTxn, name: &str| {
        txn.snapshot()
            .table(table)
            .is_some_and(|t| t.meta.columns.iter().any(|c| c.name == name))
    };
    match change {
        TableChange::RenameTable { to } => txn.rename_table(table, &to)?,
        TableChange::RenameColumn { from, to } => txn.rename_column(table, &from, &to)?,
        TableChange::AddColumn {
            column,
            if_not_exists,
        } => {
            // IF NOT EXISTS: an existing column of that name is left as it is.
            if !if_not_exists || !has_column(txn, &column.name) {
                txn.add_column(table, column)?;
            }
        }
        TableChange::DropColumn { name, if_exists } => {
            // IF EXISTS: a missing column is not an error.
            if !if_exists || has_column(txn, &name) {
                txn.drop_column(table, &name)?;
            }
        }
    }
    Ok(())
}
