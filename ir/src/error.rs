//! The one error type of the `ir` crate, split by who is at fault.

use std::fmt;

/// A position in SQL text, 1-based.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Location {
    pub line: u64,
    pub column: u64,
}

/// Errors from parsing, binding and planning.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The SQL text does not parse. The message names what was expected and found.
    Parse {
        message: String,
        location: Option<Location>,
    },
    /// The SQL parses but is wrong: unknown table or column, ambiguous name, wrong number of
    /// arguments, aggregate misuse.
    Bind(String),
    /// Operand types do not fit the operation; the message names both types.
    Type(String),
    /// Valid SQL that Grizzly does not support yet; the message names the construct.
    Unsupported(String),
    /// A bug in Grizzly: an invariant of the plan did not hold.
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Parse {
                message,
                location: Some(l),
            } => {
                write!(
                    f,
                    "syntax error at line {}, column {}: {message}",
                    l.line, l.column
                )
            }
            Error::Parse {
                message,
                location: None,
            } => write!(f, "syntax error: {message}"),
            Error::Bind(m) => write!(f, "{m}"),
            Error::Type(m) => write!(f, "type error: {m}"),
            Error::Unsupported(m) => write!(f, "not supported: {m}"),
            Error::Internal(m) => write!(f, "internal error (a bug in Grizzly): {m}"),
        }
    }
}

impl std::error::Error for Error {}

/// `bind_err!("unknown column {name}")` builds an `Err(Error::Bind(..))`.
#[macro_export]
macro_rules! bind_err {
    ($($arg:tt)*) => { Err($crate::Error::Bind(format!($($arg)*))) };
}

/// `type_err!("cannot add {a} and {b}")` builds an `Err(Error::Type(..))`.
#[macro_export]
macro_rules! type_err {
    ($($arg:tt)*) => { Err($crate::Error::Type(format!($($arg)*))) };
}

/// `unsupported!("correlated subqueries")` builds an `Err(Error::Unsupported(..))`.
#[macro_export]
macro_rules! unsupported {
    ($($arg:tt)*) => { Err($crate::Error::Unsupported(format!($($arg)*))) };
}

/// `internal_err!("...")` builds an `Err(Error::Internal(..))`.
#[macro_export]
macro_rules! internal_err {
    ($($arg:tt)*) => { Err($crate::Error::Internal(format!($($arg)*))) };
}
