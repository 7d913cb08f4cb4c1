//! The interactive shell: reads lines with rustyline until a statement ends with `;`, runs
//! the complete statements, and keeps going after errors. Tab completes names
//! ([`complete`](crate::cli::complete)).

use crate::cli::command::{self, Command};
use crate::cli::complete::SqlHelper;
use crate::cli::error::{Error, Result};
use crate::cli::report;
use crate::cli::session::{Flow, Session};
use crate::cli::split::{self, first_keyword, Piece};
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
