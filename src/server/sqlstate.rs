//! SQLSTATE codes for Grizzly's errors, as PostgreSQL clients expect them.
//!
//! The error kind decides the class; within a class the message picks the condition, since the
//! binder and runtime word their messages as PostgreSQL does ("column \"x\" does not exist").

use crate::Error;

pub const SYNTAX_ERROR: &str = "42601";
pub const UNDEFINED_TABLE: &str = "42P01";
pub const UNDEFINED_COLUMN: &str = "42703";
pub const UNDEFINED_FUNCTION: &str = "42883";
pub const DUPLICATE_TABLE: &str = "42P07";
pub const AMBIGUOUS_COLUMN: &str = "42702";
pub const DATATYPE_MISMATCH: &str = "42804";
pub const SYNTAX_OR_ACCESS: &str = "42000";
pub const DIVISION_BY_ZERO: &str = "22012";
pub const OUT_OF_RANGE: &str = "22003";
pub const INVALID_TEXT: &str = "22P02";
pub const DATA_EXCEPTION: &str = "22000";
pub const CARDINALITY: &str = "21000";
pub const NOT_SUPPORTED: &str = "0A000";
pub const ACTIVE_TRANSACTION: &str = "25001";
pub const NO_ACTIVE_TRANSACTION: &str = "25P01";
pub const LOCK_NOT_AVAILABLE: &str = "55P03";
pub const PREREQUISITE_STATE: &str = "55000";
pub const PROTOCOL_VIOLATION: &str = "08P01";
pub const ADMIN_SHUTDOWN: &str = "57P01";
pub const QUERY_CANCELED: &str = "57014";
pub const OUT_OF_MEMORY: &str = "53200";
pub const IO_ERROR: &str = "58030";
pub const DATA_CORRUPTED: &str = "XX001";
pub const INTERNAL: &str = "XX000";

/// The SQLSTATE a client gets for `error`.
pub fn of(error: &Error) -> &'static str {
    match error {
        Error::Sql(e) => match e {
            grizzly_ir::Error::Parse { .. } => SYNTAX_ERROR,
            grizzly_ir::Error::Bind(m) => bind(m),
            grizzly_ir::Error::Type(_) => DATATYPE_MISMATCH,
            grizzly_ir::Error::Unsupported(_) => NOT_SUPPORTED,
            grizzly_ir::Error::Internal(_) => INTERNAL,
            _ => SYNTAX_OR_ACCESS,
        },
        Error::Execution(m) => execution(m),
        Error::Usage(m) => usage(m),
        Error::Unsupported(_) => NOT_SUPPORTED,
        Error::Corrupt { .. } => DATA_CORRUPTED,
        Error::Io { .. } => IO_ERROR,
        Error::Internal(_) => INTERNAL,
        Error::Cancelled => QUERY_CANCELED,
        Error::ResourceLimit(_) => OUT_OF_MEMORY,
        _ => INTERNAL,
    }
}

/// True for errors that are the server's fault rather than the statement's.
pub fn is_server_fault(error: &Error) -> bool {
    matches!(of(error).as_bytes()[..2], [b'X', b'X'] | [b'5', b'8'])
}

fn bind(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("does not exist") {
        if m.starts_with("column") || m.contains(" column ") {
            UNDEFINED_COLUMN
        } else if m.starts_with("function") {
            UNDEFINED_FUNCTION
        } else {
            UNDEFINED_TABLE
        }
    } else if m.contains("missing from-clause entry") {
        UNDEFINED_TABLE
    } else if m.contains("already exists") {
        DUPLICATE_TABLE
    } else if m.contains("ambiguous") {
        AMBIGUOUS_COLUMN
    } else {
        SYNTAX_OR_ACCESS
    }
}

fn execution(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("division by zero") {
        DIVISION_BY_ZERO
    } else if m.contains("out of range") || m.contains("overflow") {
        OUT_OF_RANGE
    } else if m.contains("invalid input syntax") {
        INVALID_TEXT
    } else if m.contains("more than one row returned") {
        CARDINALITY
    } else if m.contains("does not exist") {
        UNDEFINED_TABLE
    } else if m.contains("already exists") {
        DUPLICATE_TABLE
    } else {
        DATA_EXCEPTION
    }
}

fn usage(message: &str) -> &'static str {
    let m = message.to_ascii_lowercase();
    if m.contains("already in progress") {
        ACTIVE_TRANSACTION
    } else if m.contains("without a transaction") {
        NO_ACTIVE_TRANSACTION
    } else if m.contains("write transaction is active") || m.contains("writer") {
        LOCK_NOT_AVAILABLE
    } else if m.contains("parameter") {
        PROTOCOL_VIOLATION
    } else {
        PREREQUISITE_STATE
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    fn code(sql: &str) -> &'static str {
        let db = Database::in_memory();
        db.execute("CREATE TABLE t (a INTEGER)").unwrap();
        of(&db.query(sql).unwrap_err())
    }

    #[test]
    fn codes_of_common_errors() {
        assert_eq!(code("SELEC 1"), SYNTAX_ERROR);
        assert_eq!(code("SELECT * FROM nope"), UNDEFINED_TABLE);
        assert_eq!(code("SELECT nope FROM t"), UNDEFINED_COLUMN);
        assert_eq!(code("SELECT 1 / 0"), DIVISION_BY_ZERO);
        assert_eq!(code("SELECT CAST(3000000000 AS INTEGER)"), OUT_OF_RANGE);
        assert_eq!(code("CREATE TABLE t (b INTEGER)"), DUPLICATE_TABLE);
        assert_eq!(code("COMMIT"), NO_ACTIVE_TRANSACTION);
        let limited = "SET memory_limit = 1; SELECT * FROM (VALUES (1), (2)) v(x) ORDER BY x";
        assert_eq!(code(limited), OUT_OF_MEMORY);
        assert!(!is_server_fault(&Error::ResourceLimit(String::new())));
    }
}
