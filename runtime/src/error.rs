//! The runtime's error type, which is also the public error of the `grizzly` crate.
//! Variants are split by who is at fault.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The SQL is wrong or unsupported (parse, bind, type errors): the user's to fix.
    Sql(grizzly_ir::Error),
    /// A statement failed while running on valid SQL: overflow, division by zero, a cast that
    /// does not fit, a scalar subquery with several rows, a constraint violation, bad COPY input.
    Execution(String),
    /// The API was used wrongly: wrong parameter count, COMMIT without BEGIN, a writer already
    /// active.
    Usage(String),
    /// A `.griz` file is damaged or not a `.griz` file: names the file and what is wrong.
    Corrupt { path: PathBuf, message: String },
    /// An operating-system I/O error, with what Grizzly was doing.
    Io {
        context: String,
        source: std::io::Error,
    },
    /// A feature Grizzly does not have yet.
    Unsupported(String),
    /// The statement was cancelled while it ran (an interrupt handle, Ctrl-C in the shell, a
    /// client's cancel request); it left no effects.
    Cancelled,
    /// The statement needed more memory than its `memory_limit` allows (the message names
    /// the limit and the operator); it left no effects.
    ResourceLimit(String),
    /// A bug in Grizzly.
    Internal(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sql(e) => write!(f, "{e}"),
            Error::Execution(m) => write!(f, "{m}"),
            Error::Usage(m) => write!(f, "{m}"),
            Error::Corrupt { path, message } => {
                write!(f, "{} is corrupt: {message}", path.display())
            }
            Error::Io { context, source } => write!(f, "{context}: {source}"),
            Error::Unsupported(m) => write!(f, "not supported: {m}"),
            Error::Cancelled => write!(f, "query cancelled"),
            Error::ResourceLimit(m) => write!(f, "{m}"),
            Error::Internal(m) => write!(f, "internal error (a bug in Grizzly): {m}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Sql(e) => Some(e),
            Error::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl From<grizzly_ir::Error> for Error {
    fn from(e: grizzly_ir::Error) -> Self {
        match e {
            grizzly_ir::Error::Internal(m) => Error::Internal(m),
            other => Error::Sql(other),
        }
    }
}

/// `exec_err!("division by zero")` builds an `Err(Error::Execution(..))`.
#[macro_export]
macro_rules! exec_err {
    ($($arg:tt)*) => { Err($crate::Error::Execution(format!($($arg)*))) };
}

/// `rt_internal_err!("...")` builds an `Err(Error::Internal(..))`.
#[macro_export]
macro_rules! rt_internal_err {
    ($($arg:tt)*) => { Err($crate::Error::Internal(format!($($arg)*))) };
}
