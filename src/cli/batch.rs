//! Batch mode: `-c SQL`, `-f FILE`, SQL piped on standard input, and `.read FILE`.
//!
//! The text is split into statements ([`split::scan`]) and run one by one, each result
//! printed; the first error stops the batch. Dot commands work here too, on a line of their
//! own between statements and with their leading dot (so SQL is never mistaken for one).

use crate::cli::command;
use crate::cli::error::{Error, Result};
use crate::cli::session::{Flow, Session};
use crate::cli::split::{self, Piece};
use std::io::Read;
use std::path::{Path, PathBuf};

/// Runs every statement and command in `text`, stopping at the first error.
pub fn run_text(session: &mut Session, text: &str) -> Result<Flow> {
    let scanned = split::scan(text, true);
    for piece in scanned.pieces {
        match piece {
            Piece::Statement(sql) => session.run_statement(sql)?,
            Piece::Command(line) => {
                if session.run_command(command::parse(line)?)? == Flow::Exit {
                    return Ok(Flow::Exit);
                }
            }
        }
    }
    // The last statement needs no `;`; an unterminated string or comment is the database's
    // to report.
    if let Some(sql) = scanned.pending {
        session.run_statement(sql)?;
    }
    Ok(Flow::Continue)
}

/// Runs the file at `path`.
pub fn run_file(session: &mut Session, path: &Path) -> Result<Flow> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Input {
        path: path.to_path_buf(),
        source,
    })?;
    run_text(session, &text)
}

/// Runs everything on standard input.
pub fn run_stdin(session: &mut Session) -> Result<Flow> {
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|source| Error::Input {
            path: PathBuf::from("standard input"),
            source,
        })?;
    run_text(session, &text)
}
