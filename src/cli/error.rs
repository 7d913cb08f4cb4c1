//! The command-line tool's error: what went wrong, split by who is at fault.

use std::fmt;
use std::io;
use std::path::PathBuf;

#[derive(Debug)]
pub enum Error {
    /// The database refused a statement, or could not open its file.
    Database(grizzly::Error),
    /// A dot command or argument the tool cannot use: the user's to fix.
    Usage(String),
    /// An input file (`-f`, `.read`, standard input) could not be read.
    Input { path: PathBuf, source: io::Error },
    /// Results could not be written to standard output (a closed pipe included).
    Output(io::Error),
    /// The line editor failed (terminal I/O).
    Terminal(String),
    /// Grizzly panicked while running a statement: a bug.
    Panic(String),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Database(e) => write!(f, "{e}"),
            Error::Usage(m) => write!(f, "{m}"),
            Error::Input { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            Error::Output(e) => write!(f, "cannot write output: {e}"),
            Error::Terminal(m) => write!(f, "terminal error: {m}"),
            Error::Panic(m) => write!(f, "internal error (a bug in Grizzly): {m}"),
        }
    }
}

impl std::error::Error for Error {}

impl From<grizzly::Error> for Error {
    fn from(e: grizzly::Error) -> Self {
        Error::Database(e)
    }
}

impl From<io::Error> for Error {
    /// I/O errors without a path are failures to write results.
    fn from(e: io::Error) -> Self {
        Error::Output(e)
    }
}

/// `usage_err!("...")` builds an `Err(Error::Usage(..))`.
macro_rules! usage_err {
    ($($arg:tt)*) => { Err($crate::cli::error::Error::Usage(format!($($arg)*))) };
}
pub(crate) use usage_err;
