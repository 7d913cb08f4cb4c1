//! Entry point: picks the mode from the arguments and turns errors into exit codes.

use crate::cli::args::{Args, Command, Generate};
use crate::cli::error::{Error, Result};
use crate::cli::session::{guarded, Session, Settings};
use crate::cli::{batch, demo, generate, server, shell};
use clap::Parser;
use grizzly::Database;
use std::io::{self, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;

/// Most rows a table shows in the shell.
const SHELL_MAX_ROWS: usize = 40;

pub fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        // `grizzly ... | head` closes the pipe early: not an error.
        Err(Error::Output(e)) if e.kind() == io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: Args) -> Result<()> {
    match &args.command {
        Some(Command::Generate(Generate::Tpch(tpch))) => return generate::run(tpch),
        Some(Command::Demo(demo)) => return demo::run(demo),
        Some(Command::Server(args)) => return server::run(args),
        None => {}
    }
    let db = open_database(args.database.as_deref())?;
    let interactive = args.sql.is_none() && args.file.is_none() && io::stdin().is_terminal();
    let settings = Settings {
        format: args.format,
        timer: args.timer,
        quiet: args.quiet,
        max_rows: interactive.then_some(SHELL_MAX_ROWS),
    };
    let mut session = Session::new(db, settings);
    if let Some(sql) = &args.sql {
        batch::run_text(&mut session, sql)?;
    } else if let Some(file) = &args.file {
        batch::run_file(&mut session, file)?;
    } else if interactive {
        let banner = if args.quiet {
            String::new()
        } else {
            banner(args.database.as_deref())
        };
        shell::run(&mut session, &banner)?;
    } else {
        batch::run_stdin(&mut session)?;
    }
    Ok(())
}

/// Opens the database file, or an in-memory database without one.
pub fn open_database(path: Option<&Path>) -> Result<Database> {
    match path {
        Some(path) => guarded(|| Database::open(path)),
        None => guarded(|| Ok(Database::in_memory())),
    }
}

fn banner(path: Option<&Path>) -> String {
    let database = match path {
        Some(path) => format!("Database: {}", path.display()),
        None => "Connected to a temporary in-memory database: pass a file name to keep your data."
            .to_string(),
    };
    format!(
        "Grizzly {}: an embedded columnar SQL database.\n{database}\nEnter .help for help.",
        env!("CARGO_PKG_VERSION")
    )
}

/// Prints an error in the shell, which then goes on. Failing to write results is not
/// reported but returned: the shell cannot go on without its output.
pub fn report(session: &mut Session, error: Error) -> Result<()> {
    if let Error::Output(e) = error {
        return Err(Error::Output(e));
    }
    session.flush()?;
    let _ = writeln!(io::stderr(), "Error: {error}");
    Ok(())
}
