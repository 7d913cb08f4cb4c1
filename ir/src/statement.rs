//! Bound statements: what the binder returns for each kind of SQL statement.

use crate::catalog::ColumnMeta;
use crate::expr::Expr;
use crate::plan::LogicalPlan;
use crate::types::DataType;

/// A statement after binding. Queries carry an (optimizable) logical plan; DDL carries what the
/// storage layer needs; DML is expressed as plans over the table so the interpreter computes it.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Statement {
    /// A SELECT (or VALUES, or set operation): rows for the user.
    Query(LogicalPlan),
    /// `CREATE TABLE name (columns)`; with `if_not_exists` an existing table is not an error.
    CreateTable {
        name: String,
        columns: Vec<ColumnMeta>,
        if_not_exists: bool,
    },
    /// `CREATE TABLE name AS query`: columns take the query's output names and types.
    CreateTableAs {
        name: String,
        query: LogicalPlan,
    },
    /// `DROP TABLE [IF EXISTS] names`.
    DropTable {
        names: Vec<String>,
        if_exists: bool,
    },
    /// `ALTER TABLE [IF EXISTS] table change[, ...]`: the changes, in order, in one
    /// transaction; with `if_exists` a missing table is not an error.
    AlterTable {
        table: String,
        if_exists: bool,
        changes: Vec<TableChange>,
    },
    /// `CREATE [OR REPLACE] VIEW name [(cols)] AS sql`. The query was bound once to check it.
    CreateView {
        name: String,
        sql: String,
        column_names: Vec<String>,
        or_replace: bool,
    },
    /// `DROP VIEW [IF EXISTS] names`.
    DropView {
        names: Vec<String>,
        if_exists: bool,
    },
    /// `INSERT INTO table [(cols)] query`: `query` produces exactly the table's columns, in
    /// table order, cast to the column types (omitted columns are NULL).
    Insert {
        table: String,
        query: LogicalPlan,
    },
    /// `UPDATE` / `DELETE`: `new_contents` computes the whole table after the change (a scan of
    /// every column, with updated values or deleted rows filtered out); `affected` is a plan
    /// producing one BIGINT row: the number of rows changed.
    Rewrite {
        table: String,
        new_contents: LogicalPlan,
        affected: LogicalPlan,
        kind: RewriteKind,
    },
    /// `COPY table FROM 'path' (options)`.
    CopyFrom {
        table: String,
        path: String,
        options: CopyOptions,
    },
    /// `COPY table TO 'path'` or `COPY (query) TO 'path'`.
    CopyTo {
        query: LogicalPlan,
        path: String,
        options: CopyOptions,
    },
    Begin,
    Commit,
    Rollback,
    /// `SHOW TABLES`.
    ShowTables,
    /// `DESCRIBE table` / `SHOW COLUMNS FROM table`.
    Describe {
        table: String,
    },
    /// `EXPLAIN statement`: prints the optimized plan instead of running it.
    Explain {
        statement: Box<Statement>,
    },
    /// `EXPLAIN ANALYZE query` / `EXPLAIN (ANALYZE) query`: runs the query (its rows are
    /// discarded) and prints the plan with each operator's rows and time.
    ExplainAnalyze {
        statement: Box<Statement>,
    },
    /// `SET name = value` / `SET name TO value`.
    Set {
        name: String,
        value: String,
    },
    /// `VACUUM`: compact the file.
    Vacuum,
    /// `PRAGMA name` (no value): `integrity_check`, `database_info`, `clear_query_cache`.
    Pragma {
        name: String,
    },
    /// `BACKUP TO 'path'`: a consistent copy of the database in a new file.
    Backup {
        path: String,
    },
    /// `RESTORE FROM 'path'`: replace the database's contents with a backup's.
    Restore {
        path: String,
    },
    /// `SHOW DATABASES`.
    ShowDatabases,
    /// `SHOW TABLES FROM database` for an attached database (`FROM main` is [`ShowTables`]).
    ///
    /// [`ShowTables`]: Statement::ShowTables
    ShowTablesIn {
        database: String,
    },
    /// `ATTACH [DATABASE] [IF NOT EXISTS] 'path' [AS alias] [(READ_ONLY)]`: opens another
    /// `.griz` file (created if missing, unless read-only) whose tables are `alias.table`.
    Attach {
        path: String,
        alias: String,
        read_only: bool,
        if_not_exists: bool,
    },
    /// `DETACH [DATABASE] [IF EXISTS] alias`.
    Detach {
        alias: String,
        if_exists: bool,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RewriteKind {
    Update,
    Delete,
}

/// The file format of COPY.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CopyFormat {
    #[default]
    Csv,
    /// JSON lines (one object per line, keyed by column name); reading also accepts one JSON
    /// array of objects.
    Json,
    /// Apache Parquet (columns matched by position when reading into a table).
    Parquet,
}

/// Options of COPY. Defaults: CSV, no header, delimiter `,`, quote `"`, NULL written as empty.
#[derive(Debug, Clone, PartialEq)]
pub struct CopyOptions {
    pub format: CopyFormat,
    pub header: bool,
    pub delimiter: u8,
    pub quote: u8,
    /// Text that stands for NULL (default: empty unquoted field).
    pub null: String,
}

impl Default for CopyOptions {
    fn default() -> Self {
        CopyOptions {
            format: CopyFormat::Csv,
            header: false,
            delimiter: b',',
            quote: b'"',
            null: String::new(),
        }
    }
}

/// The type a parameter placeholder got from its context, by index (`$1` is 0).
pub type ParamTypes = Vec<DataType>;

/// Default expressions for statements that need none: kept here so DML plans can use it.
pub fn null_of(ty: DataType) -> Expr {
    Expr::literal(crate::types::Value::Null, ty)
}

/// One change an `ALTER TABLE` makes. Names are checked against the table when the change is
/// made (an earlier change of the same statement may have made or removed them).
#[derive(Debug, Clone, PartialEq)]
pub enum TableChange {
    /// `RENAME TO name`: the table keeps its database.
    RenameTable { to: String },
    /// `RENAME [COLUMN] from TO to`.
    RenameColumn { from: String, to: String },
    /// `ADD [COLUMN] [IF NOT EXISTS] column`: existing rows get NULL (so a NOT NULL column
    /// can only be added to an empty table).
    AddColumn {
        column: ColumnMeta,
        if_not_exists: bool,
    },
    /// `DROP [COLUMN] [IF EXISTS] name`.
    DropColumn { name: String, if_exists: bool },
}
