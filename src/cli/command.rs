//! Dot commands (`.tables`, `.mode csv`, ...): parsing and help text. [`Session::run_command`]
//! carries them out.
//!
//! [`Session::run_command`]: crate::cli::session::Session::run_command

use crate::cli::error::{usage_err, Result};
use crate::cli::output::Format;
use std::path::PathBuf;

/// A command of the shell (and of batch input, where it needs its leading dot).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Help,
    Exit,
    /// `SHOW TABLES`.
    Tables,
    /// `DESCRIBE` one table, or every table when `None`.
    Schema(Option<String>),
    /// Turn the timer on or off; `None` shows whether it is on.
    Timer(Option<bool>),
    /// Set the output format; `None` shows it.
    Mode(Option<Format>),
    /// Run the statements (and commands) in a file.
    Read(PathBuf),
    /// Show the query cache (`SELECT * FROM grizzly_query_cache`).
    Cache,
    /// Send results to a file, or back to standard output when `None`.
    Output(Option<PathBuf>),
    /// Show the settings.
    Settings,
}

pub const HELP: &str = "\
.help                  Show this help
.exit, .quit           Leave the shell (or press Ctrl-D)
.tables                List the tables (SHOW TABLES)
.schema [TABLE]        Show the columns of TABLE, or of every table
.describe TABLE        Show the columns of TABLE (DESCRIBE TABLE)
.timer on|off          Print the run time after each statement (and the tier of queries)
.mode FORMAT           Print results as table, csv, json, jsonl or markdown
.output [FILE]         Write results to FILE, or to the screen again without FILE
.read FILE             Run the statements in FILE
.cache                 Show the query cache (SELECT * FROM grizzly_query_cache)
.settings              Show the settings (change them with SET name = value)

SQL statements end with ';' and may span several lines. In the shell, commands also work
without their leading dot, Ctrl-C cancels the running statement (at the prompt it clears the
current input), and Tab completes keywords, table names and column names.";

/// Names of the commands, for recognizing them without a dot in the shell.
const NAMES: &[&str] = &[
    "help", "exit", "quit", "tables", "schema", "describe", "timer", "mode", "read", "cache",
    "output", "settings",
];

/// Dot commands, for completion.
pub const DOT_COMMANDS: &[&str] = &[
    ".cache",
    ".describe",
    ".exit",
    ".help",
    ".mode",
    ".output",
    ".quit",
    ".read",
    ".schema",
    ".settings",
    ".tables",
    ".timer",
];

/// Parses a command line, with or without its leading dot. A trailing `;` is ignored.
pub fn parse(line: &str) -> Result<Command> {
    let line = line.trim().trim_end_matches(';').trim_end();
    let body = line.strip_prefix('.').unwrap_or(line);
    let (name, rest) = match body.split_once(char::is_whitespace) {
        Some((name, rest)) => (name, rest.trim()),
        None => (body, ""),
    };
    let args: Vec<&str> = rest.split_whitespace().collect();
    let name = name.to_ascii_lowercase();
    let no_args = |command: Command| {
        if args.is_empty() {
            Ok(command)
        } else {
            usage_err!(".{name} takes no arguments")
        }
    };
    match name.as_str() {
        "help" | "h" | "?" => no_args(Command::Help),
        "exit" | "quit" | "q" => no_args(Command::Exit),
        "tables" => no_args(Command::Tables),
        "cache" => no_args(Command::Cache),
        "settings" | "show" => no_args(Command::Settings),
        "output" => match unquote(rest) {
            "" | "stdout" => Ok(Command::Output(None)),
            path => Ok(Command::Output(Some(PathBuf::from(path)))),
        },
        "schema" | "describe" => match args.len() {
            0 if name == "schema" => Ok(Command::Schema(None)),
            1 => Ok(Command::Schema(Some(args[0].to_string()))),
            _ => usage_err!("usage: .{name} TABLE"),
        },
        "timer" => match args.as_slice() {
            [] => Ok(Command::Timer(None)),
            [arg] => match arg.to_ascii_lowercase().as_str() {
                "on" => Ok(Command::Timer(Some(true))),
                "off" => Ok(Command::Timer(Some(false))),
                _ => usage_err!("usage: .timer on|off"),
            },
            _ => usage_err!("usage: .timer on|off"),
        },
        "mode" => match args.as_slice() {
            [] => Ok(Command::Mode(None)),
            [arg] => match Format::parse(arg) {
                Some(format) => Ok(Command::Mode(Some(format))),
                None => usage_err!("unknown mode '{arg}': use table, csv, json, jsonl or markdown"),
            },
            _ => usage_err!("usage: .mode table|csv|json|jsonl|markdown"),
        },
        "read" => match unquote(rest) {
            "" => usage_err!("usage: .read FILE"),
            path => Ok(Command::Read(PathBuf::from(path))),
        },
        "" => usage_err!("missing command after '.': enter .help for the commands"),
        _ => usage_err!("unknown command .{name}: enter .help for the commands"),
    }
}

/// In the shell, where commands need no dot: `Some` if `line` is a command, `None` if it is
/// SQL.
pub fn parse_shell(line: &str) -> Option<Result<Command>> {
    let trimmed = line.trim();
    if trimmed.starts_with('.') {
        return Some(parse(trimmed));
    }
    let word = trimmed
        .split(|c: char| c.is_whitespace() || c == ';')
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    NAMES.contains(&word.as_str()).then(|| parse(trimmed))
}

/// Strips one pair of matching quotes around a file name.
fn unquote(text: &str) -> &str {
    for quote in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(quote).and_then(|t| t.strip_suffix(quote)) {
            return inner;
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands() {
        assert_eq!(parse(".tables").unwrap(), Command::Tables);
        assert_eq!(parse(".cache").unwrap(), Command::Cache);
        assert_eq!(parse(".TIMER On").unwrap(), Command::Timer(Some(true)));
        assert_eq!(
            parse(".mode csv;").unwrap(),
            Command::Mode(Some(Format::Csv))
        );
        assert_eq!(
            parse(".describe t").unwrap(),
            Command::Schema(Some("t".into()))
        );
        assert_eq!(
            parse(".read 'my file.sql'").unwrap(),
            Command::Read("my file.sql".into())
        );
        assert_eq!(
            parse(".mode jsonl").unwrap(),
            Command::Mode(Some(Format::Jsonl))
        );
        assert_eq!(
            parse(".mode markdown").unwrap(),
            Command::Mode(Some(Format::Markdown))
        );
        assert_eq!(
            parse(".output out.csv").unwrap(),
            Command::Output(Some("out.csv".into()))
        );
        assert_eq!(parse(".output").unwrap(), Command::Output(None));
        assert_eq!(parse(".settings").unwrap(), Command::Settings);
        assert!(parse(".mode xml").is_err());
        assert!(parse(".frobnicate").is_err());
        assert!(parse(".describe").is_err());
    }

    #[test]
    fn shell_commands_need_no_dot() {
        assert_eq!(parse_shell("EXIT").unwrap().unwrap(), Command::Exit);
        assert_eq!(parse_shell("quit;").unwrap().unwrap(), Command::Exit);
        assert_eq!(parse_shell("  help").unwrap().unwrap(), Command::Help);
        assert!(parse_shell("select 1;").is_none());
        assert!(parse_shell("").is_none());
    }
}
