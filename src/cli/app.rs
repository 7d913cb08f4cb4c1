//! Entry point: picks the mode from the arguments and turns errors into exit codes.

use crate::cli::args::{Args, Command, Generate};
use crate::cli::error::{Error, Result};
use crate::cli::output::Format;
use crate::cli::session::{guarded, Session, Settings};
use crate::cli::{batch, bench, config, demo, engine, generate, server, shell, transfer};
use clap::{CommandFactory, Parser};
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

/// Picks the mode: a subcommand (`server`, then data movement, then `config`), else batch
/// (`-c`, `-f`, piped input), else the shell.
fn run(args: Args) -> Result<()> {
    match &args.command {
        Some(Command::Server(args)) => return server::run(args),
        Some(Command::Import(args)) => return transfer::import(args),
        Some(Command::Export(args)) => return transfer::export(args),
        Some(Command::Config(args)) => return config::run(args),
        Some(Command::Generate(Generate::Tpch(tpch))) => return generate::run(tpch),
        Some(Command::Demo(demo)) => return demo::run(demo),
        Some(Command::Bench(bench)) => return bench::run(bench),
        None => {}
    }
    let verbose = |message: &str| {
        if args.verbose {
            eprintln!("grizzly: {message}");
        }
    };
    refuse_subcommand_as_database(args.database())?;
    let (config_path, config) = config::load(args.config.as_deref())?;
    match &config_path {
        Some(path) => verbose(&format!("config file {}", path.display())),
        None => verbose("no config file"),
    }

    let db = open_database(args.database())?;
    match args.database() {
        Some(path) => verbose(&format!("database {}", path.display())),
        None => verbose("in-memory database"),
    }
    // The config's engine settings, then the command line's.
    let threads = engine::apply(&db, &config, &args.engine, &verbose)?;

    let interactive = args.sql.is_none() && args.file.is_none() && io::stdin().is_terminal();
    grizzly::set_progress_bars(interactive && !args.quiet);
    let format = match args.format {
        Some(format) => format,
        None => config
            .text("format")
            .and_then(Format::parse)
            .unwrap_or(Format::Table),
    };
    let settings = Settings {
        format,
        timer: args.timer || config.bool("timer").unwrap_or(false),
        quiet: args.quiet,
        max_rows: interactive.then_some(SHELL_MAX_ROWS),
        fit_terminal: interactive,
        threads,
    };
    let mut session = Session::new(db, settings);
    if let Some(path) = &args.output {
        session.set_output(Some(path))?;
        verbose(&format!("results go to {}", path.display()));
    }
    if let Some(sql) = &args.sql {
        batch::run_text(&mut session, sql)?;
    } else if let Some(file) = &args.file {
        batch::run_file(&mut session, file)?;
    } else if interactive {
        let show_banner = !args.quiet && !args.no_banner && config.bool("banner").unwrap_or(true);
        let banner = if show_banner {
            banner(args.database())
        } else {
            String::new()
        };
        shell::run(
            &mut session,
            &banner,
            config.bool("history").unwrap_or(true),
        )?;
    } else {
        batch::run_stdin(&mut session)?;
    }
    session.flush()
}

/// `grizzly --jit off server db.griz` reads `server` as the database file (options before a
/// subcommand are the shell's): refuse a missing file named like a subcommand rather than
/// create it.
fn refuse_subcommand_as_database(path: Option<&Path>) -> Result<()> {
    let Some(name) = path.filter(|p| !p.exists()).and_then(Path::to_str) else {
        return Ok(());
    };
    if Args::command().find_subcommand(name).is_none() {
        return Ok(());
    }
    Err(Error::Usage(format!(
        "no database file \"{name}\": to run grizzly {name}, give its options after its name \
         (grizzly {name} --help)"
    )))
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
        Some(path) => path.display().to_string(),
        None => "in-memory database: pass a file name to keep your data".to_string(),
    };
    format!(
        "Grizzly {} ({database}). Enter .help for help.",
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
