//! A session: the open database, the output settings, and how one statement or one command
//! is run and its result printed. The shell and batch modes feed it statements.

use crate::cli::batch;
use crate::cli::command::{Command, HELP};
use crate::cli::error::{usage_err, Error, Result};
use crate::cli::output::{self, Format};
use crate::cli::split::first_keyword;
use crate::cli::tool_set::{self, ToolSet};
use grizzly::{Database, QueryResult, Value};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// `.read` files may read files, up to this depth (a file reading itself stops here).
const MAX_READ_DEPTH: usize = 16;

/// What the output looks like; dot commands change it.
#[derive(Debug, Clone)]
pub struct Settings {
    pub format: Format,
    /// Print each statement's run time.
    pub timer: bool,
    /// Print nothing for statements without rows (no `OK`, no `N rows affected`).
    pub quiet: bool,
    /// Most rows a table shows; `None` shows all.
    pub max_rows: Option<usize>,
    /// Narrow wide tables to the terminal's width (when results go to a terminal).
    pub fit_terminal: bool,
    /// `--threads`: recorded, not used (queries run on one thread).
    pub threads: u64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            format: Format::Table,
            timer: false,
            quiet: false,
            max_rows: None,
            fit_terminal: false,
            threads: 1,
        }
    }
}

/// Whether the caller should keep reading input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flow {
    Continue,
    Exit,
}

pub struct Session {
    db: Database,
    pub settings: Settings,
    out: BufWriter<Box<dyn Write>>,
    /// Where results go (`-o`, `.output`); `None` for standard output.
    output: Option<PathBuf>,
    read_depth: usize,
}

/// What a statement gives back, by its first keyword.
enum Kind {
    /// Queries (SELECT, SHOW, DESCRIBE, EXPLAIN, ...): rows to print.
    Rows,
    /// INSERT, UPDATE, DELETE, COPY: a count of rows.
    Count,
    /// DDL, transactions, SET: nothing.
    Done,
}

fn kind(sql: &str) -> Kind {
    match first_keyword(sql).as_str() {
        "select" | "with" | "values" | "table" | "from" | "show" | "describe" | "desc"
        | "explain" => Kind::Rows,
        "insert" | "update" | "delete" | "copy" => Kind::Count,
        _ => Kind::Done,
    }
}

impl Session {
    pub fn new(db: Database, settings: Settings) -> Session {
        Session {
            db,
            settings,
            out: BufWriter::new(Box::new(io::stdout())),
            output: None,
            read_depth: 0,
        }
    }

    /// The session's database.
    pub fn db(&self) -> &Database {
        &self.db
    }

    /// Sends results to the file at `path` (created or truncated), or back to standard output.
    pub fn set_output(&mut self, path: Option<&Path>) -> Result<()> {
        self.flush()?;
        let sink: Box<dyn Write> = match path {
            Some(path) => Box::new(
                std::fs::File::create(path)
                    .map_err(|e| Error::Usage(format!("cannot write {}: {e}", path.display())))?,
            ),
            None => Box::new(io::stdout()),
        };
        self.out = BufWriter::new(sink);
        self.output = path.map(Path::to_path_buf);
        Ok(())
    }

    /// Runs one statement and prints its result (and run time, with the timer on). `SET` of
    /// a tool setting (`format`, `timer`, `threads`) changes this session's.
    pub fn run_statement(&mut self, sql: &str) -> Result<()> {
        if let Some(set) = tool_set::parse(sql) {
            match set? {
                ToolSet::Format(format) => self.settings.format = format,
                ToolSet::Timer(on) => self.settings.timer = on,
                ToolSet::Threads(n) => {
                    grizzly::set_load_threads(n as usize);
                    self.settings.threads = n
                }
            }
            self.print_status("OK")?;
            return self.flush();
        }
        // With the timer on, note the query cache's compiled runs of this query's shape to
        // tell afterwards which tier ran it.
        let tier_probe = (self.settings.timer && is_query(sql))
            .then(|| self.compiled_runs(sql))
            .flatten();
        let start = Instant::now();
        match kind(sql) {
            Kind::Rows => {
                let result = guarded(|| self.db.query(sql))?;
                let elapsed = start.elapsed();
                self.print_result(&result)?;
                // Not in the cache (`jit = off` skips it): interpreted.
                let tier = tier_probe.map(|(fingerprint, before)| {
                    let after = self.compiled_runs_of(fingerprint).unwrap_or(0);
                    if after > before.unwrap_or(0) {
                        "compiled"
                    } else {
                        "interpreted"
                    }
                });
                self.print_time_tier(elapsed, tier)?;
            }
            Kind::Count => {
                let count = guarded(|| self.db.execute(sql))?;
                let elapsed = start.elapsed();
                let plural = if count == 1 { "row" } else { "rows" };
                self.print_status(&format!("{count} {plural} affected"))?;
                self.print_time(elapsed)?;
            }
            Kind::Done => {
                guarded(|| self.db.execute(sql))?;
                let elapsed = start.elapsed();
                self.print_status("OK")?;
                self.print_time(elapsed)?;
            }
        }
        self.flush()
    }

    /// The fingerprint of a query and its compiled runs so far (`None` if not cached yet);
    /// `None` if the query has no fingerprint.
    fn compiled_runs(&self, sql: &str) -> Option<(grizzly::Fingerprint, Option<u64>)> {
        let (fingerprint, _) = guarded(|| self.db.fingerprint(sql)).ok()?;
        Some((fingerprint, self.compiled_runs_of(fingerprint)))
    }

    fn compiled_runs_of(&self, fingerprint: grizzly::Fingerprint) -> Option<u64> {
        self.db
            .query_cache()
            .into_iter()
            .find(|e| e.fingerprint == fingerprint)
            .map(|e| e.cache_hits)
    }

    /// Carries out a dot command.
    pub fn run_command(&mut self, command: Command) -> Result<Flow> {
        match command {
            Command::Help => writeln!(self.out, "{HELP}")?,
            Command::Exit => return Ok(Flow::Exit),
            Command::Tables => self.run_statement("SHOW TABLES")?,
            Command::Cache => self.run_statement("SELECT * FROM grizzly_query_cache")?,
            Command::Schema(Some(table)) => self.run_statement(&format!("DESCRIBE {table}"))?,
            Command::Schema(None) => {
                let tables = guarded(|| self.db.query("SHOW TABLES"))?;
                for row in tables.rows() {
                    let name = row.get(0).to_string();
                    if self.settings.format == Format::Table {
                        writeln!(self.out, "{name}:")?;
                    }
                    self.run_statement(&format!("DESCRIBE {}", quote_identifier(&name)))?;
                }
            }
            Command::Timer(Some(on)) => self.settings.timer = on,
            Command::Timer(None) => {
                let state = if self.settings.timer { "on" } else { "off" };
                writeln!(self.out, "timer is {state}")?;
            }
            Command::Mode(Some(format)) => self.settings.format = format,
            Command::Mode(None) => writeln!(self.out, "mode is {}", self.settings.format.name())?,
            Command::Output(path) => self.set_output(path.as_deref())?,
            Command::Settings => self.print_settings()?,
            Command::Read(path) => {
                if self.read_depth >= MAX_READ_DEPTH {
                    return usage_err!(".read nested more than {MAX_READ_DEPTH} deep");
                }
                self.read_depth += 1;
                let flow = batch::run_file(self, &path);
                self.read_depth -= 1;
                return flow;
            }
        }
        self.flush()?;
        Ok(Flow::Continue)
    }

    /// Prints a query result in the session's format.
    pub fn print_result(&mut self, result: &QueryResult) -> Result<()> {
        if result.columns().is_empty() {
            return self.print_status("OK");
        }
        let max_rows = self.settings.max_rows;
        let max_width = self.max_width();
        output::write_result(
            &mut self.out,
            self.settings.format,
            result,
            max_rows,
            max_width,
        )?;
        Ok(())
    }

    /// The terminal's width, when tables should fit it.
    fn max_width(&self) -> Option<usize> {
        if !self.settings.fit_terminal || self.output.is_some() || !io::stdout().is_terminal() {
            return None;
        }
        terminal_size::terminal_size()
            .map(|(w, _)| usize::from(w.0))
            .or_else(|| std::env::var("COLUMNS").ok()?.parse().ok())
            .filter(|&w| w > 0)
    }

    /// `.settings`: the tool's settings and the engine's.
    fn print_settings(&mut self) -> Result<()> {
        let output = match &self.output {
            Some(path) => path.display().to_string(),
            None => "stdout".to_string(),
        };
        let memory = self
            .db
            .setting("memory_limit")
            .and_then(|v| grizzly::config::parse_size(&v).ok())
            .filter(|&bytes| bytes > 0)
            .map_or("none".to_string(), grizzly::config::format_size);
        let engine =
            |name: &str, default: String| -> String { self.db.setting(name).unwrap_or(default) };
        let lines = [
            ("format", self.settings.format.name().to_string()),
            ("timer", on_off(self.settings.timer).to_string()),
            ("output", output),
            (
                "threads",
                format!("{} (queries run on one thread)", self.settings.threads),
            ),
            ("memory_limit", memory),
            ("jit", self.db.jit().name().to_string()),
            ("jit_threshold", engine("jit_threshold", "2".into())),
            (
                "query_cache_entries",
                engine("query_cache_entries", "256".into()),
            ),
            (
                "query_cache_bytes",
                engine("query_cache_bytes", (64u64 << 20).to_string()),
            ),
        ];
        for (name, value) in lines {
            writeln!(self.out, "{name:<20} {value}")?;
        }
        Ok(())
    }

    /// Prints a line about a statement without rows, in table format unless quiet.
    fn print_status(&mut self, message: &str) -> Result<()> {
        if self.settings.format == Format::Table && !self.settings.quiet {
            writeln!(self.out, "{message}")?;
        }
        Ok(())
    }

    fn print_time(&mut self, elapsed: Duration) -> Result<()> {
        self.print_time_tier(elapsed, None)
    }

    /// `Run Time: 1.2 ms`, with ` (compiled)` or ` (interpreted)` when the tier is known.
    fn print_time_tier(&mut self, elapsed: Duration, tier: Option<&str>) -> Result<()> {
        if self.settings.timer {
            let tier = tier.map(|t| format!(" ({t})")).unwrap_or_default();
            writeln!(self.out, "Run Time: {}{tier}", format_duration(elapsed))?;
        }
        Ok(())
    }

    /// The session's standard output (buffered: [`Session::flush`] before reading input).
    pub fn out(&mut self) -> &mut dyn Write {
        &mut self.out
    }

    pub fn flush(&mut self) -> Result<()> {
        self.out.flush()?;
        Ok(())
    }
}

fn on_off(on: bool) -> &'static str {
    if on {
        "on"
    } else {
        "off"
    }
}

/// Whether `sql` is a query the query cache knows (not SHOW, DESCRIBE or EXPLAIN).
fn is_query(sql: &str) -> bool {
    matches!(
        first_keyword(sql).as_str(),
        "select" | "with" | "values" | "table" | "from"
    )
}

/// Runs a database call, turning a panic (a bug) into an error so the shell survives it.
pub fn guarded<T>(f: impl FnOnce() -> grizzly::Result<T>) -> Result<T> {
    match panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => Ok(result?),
        Err(payload) => {
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "panic".to_string());
            Err(Error::Panic(message))
        }
    }
}

/// `0.042 ms`, `12.3 ms`, `1.234 s`.
pub fn format_duration(d: Duration) -> String {
    let secs = d.as_secs_f64();
    if secs < 0.001 {
        format!("{:.3} ms", secs * 1000.0)
    } else if secs < 1.0 {
        format!("{:.1} ms", secs * 1000.0)
    } else {
        format!("{secs:.3} s")
    }
}

/// A table name as a SQL identifier: bare when it is a plain lowercase name.
fn quote_identifier(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// The `count(*)` of a one-value result, if that is what it holds.
pub fn single_count(result: &QueryResult) -> Option<u64> {
    if result.row_count() != 1 || result.columns().len() != 1 {
        return None;
    }
    match result.value(0, 0) {
        Value::Int64(n) => u64::try_from(n).ok(),
        Value::Int32(n) => u64::try_from(n).ok(),
        Value::Decimal(n, 0) => u64::try_from(n).ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(format_duration(Duration::from_nanos(42_400)), "0.042 ms");
        assert_eq!(format_duration(Duration::from_micros(12_345)), "12.3 ms");
        assert_eq!(format_duration(Duration::from_millis(1234)), "1.234 s");
    }

    #[test]
    fn identifiers() {
        assert_eq!(quote_identifier("lineitem"), "lineitem");
        assert_eq!(quote_identifier("My \"T\""), "\"My \"\"T\"\"\"");
    }
}
