//! The interactive shell: reads lines with rustyline until a statement ends with `;`, runs
//! the complete statements, and keeps going after errors. Tab completes names
//! ([`complete`](crate::cli::complete)).
//!
//! Ctrl-C: at the prompt rustyline reads it as a key (the terminal is raw) and the line is
//! dropped; while a statement runs the terminal is not raw, so it arrives as SIGINT, and the
//! handler installed by [`cancel_on_ctrl_c`] interrupts the session's running statement
//! (`Database::interrupt_handle`), which fails with "query cancelled" — the shell stays.

use crate::cli::command::{self, Command};
use crate::cli::complete::SqlHelper;
use crate::cli::error::{Error, Result};
use crate::cli::report;
use crate::cli::session::{Flow, Session};
use crate::cli::split::{self, first_keyword, Piece};
use grizzly::InterruptHandle;
use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{CompletionType, Config, Editor};
use std::path::PathBuf;

type ShellEditor = Editor<SqlHelper, DefaultHistory>;

const PROMPT: &str = "grizzly> ";
const CONTINUATION: &str = "   ...> ";
const HISTORY_FILE: &str = ".grizzly_history";
const HISTORY_SIZE: usize = 1000;

/// Runs the shell until `.exit` or Ctrl-D. Errors in statements are printed, not returned;
/// only a failing terminal or standard output ends the shell with an error. The banner (if
/// not empty) goes to the terminal even when results go to a file; `keep_history` saves
/// entered lines in `~/.grizzly_history`.
pub fn run(session: &mut Session, banner: &str, keep_history: bool) -> Result<()> {
    let config = Config::builder()
        .max_history_size(HISTORY_SIZE)
        .map_err(terminal_error)?
        .auto_add_history(false)
        .completion_type(CompletionType::List)
        .build();
    let mut editor: ShellEditor = Editor::with_config(config).map_err(terminal_error)?;
    editor.set_helper(Some(SqlHelper::new(session.db().clone())));
    let history = if keep_history { history_path() } else { None };
    if let Some(path) = &history {
        // A missing or unreadable history file just means no history.
        let _ = editor.load_history(path);
    }
    if !banner.is_empty() {
        println!("{banner}");
    }
    if let Err(e) = cancel_on_ctrl_c(session.db().interrupt_handle()) {
        // Without the handler Ctrl-C still stops a query, by ending the shell.
        eprintln!("warning: Ctrl-C will end the shell, not just the query: {e}");
    }

    // Text of a statement still missing its `;`.
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            PROMPT
        } else {
            CONTINUATION
        };
        let line = match editor.readline(prompt) {
            Ok(line) => line,
            Err(ReadlineError::Interrupted) => {
                buffer.clear();
                continue;
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(terminal_error(e)),
        };
        if buffer.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            if let Some(parsed) = command::parse_shell(&line) {
                remember(&mut editor, history.as_ref(), &line);
                if matches!(parsed, Ok(Command::Read(_))) {
                    invalidate(&editor);
                }
                match parsed.and_then(|cmd| session.run_command(cmd)) {
                    Ok(Flow::Exit) => break,
                    Ok(Flow::Continue) => {}
                    Err(e) => report(session, e)?,
                }
                continue;
            }
        }
        buffer.push_str(&line);
        buffer.push('\n');
        let scanned = split::scan(&buffer, false);
        if scanned.pieces.is_empty() {
            if scanned.pending.is_none() {
                buffer.clear();
            }
            continue;
        }
        remember(&mut editor, history.as_ref(), buffer.trim_end());
        for piece in &scanned.pieces {
            if let Piece::Statement(sql) = piece {
                if changes_names(sql) {
                    invalidate(&editor);
                }
                if let Err(e) = session.run_statement(sql) {
                    // Later statements of the same input usually depend on this one.
                    report(session, e)?;
                    break;
                }
            }
        }
        buffer = scanned
            .pending
            .map(|rest| format!("{rest}\n"))
            .unwrap_or_default();
    }
    Ok(())
}

/// Makes SIGINT (Ctrl-C outside the line editor) cancel the statements `handle`'s session is
/// running instead of ending the process. Once per process.
pub fn cancel_on_ctrl_c(handle: InterruptHandle) -> std::result::Result<(), ctrlc::Error> {
    ctrlc::set_handler(move || {
        handle.interrupt();
    })
}

/// Whether a statement may change table or column names (so cached completions go).
fn changes_names(sql: &str) -> bool {
    !matches!(
        first_keyword(sql).as_str(),
        "select"
            | "with"
            | "values"
            | "table"
            | "from"
            | "show"
            | "describe"
            | "desc"
            | "explain"
            | "insert"
            | "update"
            | "delete"
            | "set"
    )
}

fn invalidate(editor: &ShellEditor) {
    if let Some(helper) = editor.helper() {
        helper.invalidate();
    }
}

/// Adds an entry to the history and appends it to the history file, if there is one.
fn remember(editor: &mut ShellEditor, path: Option<&PathBuf>, entry: &str) {
    // History is a convenience: a full disk or read-only home must not stop the shell.
    let _ = editor.add_history_entry(entry);
    if let Some(path) = path {
        let _ = editor.append_history(path);
    }
}

/// `~/.grizzly_history`, if the home directory is known.
fn history_path() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
    (!home.is_empty()).then(|| PathBuf::from(home).join(HISTORY_FILE))
}

fn terminal_error(e: ReadlineError) -> Error {
    Error::Terminal(e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly::Database;
    use std::process::Command;
    use std::time::{Duration, Instant};

    /// SIGINT to this process (what Ctrl-C sends while a query runs) cancels the query
    /// instead of ending the process. The only test here that installs the handler: it is
    /// process-wide and can be set once.
    #[test]
    fn sigint_cancels_the_running_query() {
        let db = Database::in_memory();
        db.execute("CREATE TABLE t (x INTEGER)").unwrap();
        let values: Vec<String> = (0..1000).map(|i| format!("({i})")).collect();
        db.execute(&format!("INSERT INTO t VALUES {}", values.join(",")))
            .unwrap();
        cancel_on_ctrl_c(db.interrupt_handle()).unwrap();
        let handle = db.interrupt_handle();
        let runner = db.clone();
        let query = std::thread::spawn(move || {
            runner.query("SELECT count(*) FROM t a, t b, t c WHERE a.x + b.x + c.x >= 0")
        });
        let start = Instant::now();
        while handle.running() == 0 {
            assert!(start.elapsed() < Duration::from_secs(10), "never started");
            std::thread::sleep(Duration::from_millis(5));
        }
        std::thread::sleep(Duration::from_millis(100));
        let status = Command::new("kill")
            .args(["-INT", &std::process::id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let err = query.join().unwrap().expect_err("the query was cancelled");
        assert!(matches!(err, grizzly::Error::Cancelled), "{err}");
        // The process (the shell) lives on and the session still works.
        assert_eq!(db.query("SELECT count(*) FROM t").unwrap().row_count(), 1);
    }
}
