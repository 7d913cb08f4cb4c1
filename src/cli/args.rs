//! The command line, declared with clap.

use crate::cli::output::Format;
use clap::{Args as ClapArgs, Parser, Subcommand};
use std::net::IpAddr;
use std::path::PathBuf;

const ABOUT: &str = "Grizzly: an embedded columnar SQL database";

const LONG_ABOUT: &str = "\
Grizzly: an embedded columnar SQL database whose hot queries compile to native code.

Without -c or -f, grizzly opens an interactive shell when standard input is a terminal, and
otherwise runs the SQL it reads from standard input. Enter .help in the shell for its commands.

Settings come from the defaults, then the config file (see `grizzly config --help`), then
the options given here.";

const EXAMPLES: &str = "\
Examples:
  grizzly demo                                  Generate TPC-H data and run a few queries
  grizzly shop.griz                             Open (or create) shop.griz in the shell
  grizzly shop.griz -c 'SELECT count(*) FROM orders'
  grizzly shop.griz --format csv -f report.sql > report.csv
  grizzly -d shop.griz --format markdown -o report.md -c 'SELECT * FROM orders LIMIT 5'
  grizzly config --set jit=always --set format=jsonl
  echo 'SELECT 42;' | grizzly
  grizzly generate tpch --sf 1 tpch.griz
  grizzly import orders.csv --table orders shop.griz
  grizzly export 'SELECT * FROM orders' --output orders.parquet shop.griz
  grizzly server shop.griz --port 5433 --http-port 8080   Then: psql -h 127.0.0.1 -p 5433";

#[derive(Debug, Parser)]
#[command(
    name = "grizzly",
    version,
    about = ABOUT,
    long_about = LONG_ABOUT,
    after_help = EXAMPLES,
    args_conflicts_with_subcommands = true
)]
pub struct Args {
    /// Database file (.griz), created if missing; without it, a temporary in-memory database
    #[arg(value_name = "DB")]
    pub database: Option<PathBuf>,

    /// Database file (the same as giving it as DB)
    #[arg(
        short = 'd',
        long = "database",
        value_name = "FILE",
        conflicts_with = "database"
    )]
    pub database_file: Option<PathBuf>,

    /// Run SQL (one or more statements separated by ';') and exit
    #[arg(
        short = 'c',
        long = "command",
        value_name = "SQL",
        conflicts_with = "file"
    )]
    pub sql: Option<String>,

    /// Run the SQL statements in FILE and exit
    #[arg(short = 'f', long = "file", value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// How results are printed [default: table, or the config file's format]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// Write results to FILE instead of standard output
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Print the run time after each statement, and whether a query ran compiled
    #[arg(short = 't', long)]
    pub timer: bool,

    /// Print nothing for statements without rows, and no shell banner
    #[arg(short = 'q', long, conflicts_with = "verbose")]
    pub quiet: bool,

    /// Say on standard error which config file and settings are used
    #[arg(long)]
    pub verbose: bool,

    /// Config file [default: $XDG_CONFIG_HOME/grizzly/config.toml or ~/.config/grizzly/config.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// Do not print the shell's banner
    #[arg(long)]
    pub no_banner: bool,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// How statements run: options of the shell and batch modes and of `grizzly server` (whose
/// sessions start from them). They override the config file's keys of the same names.
#[derive(Debug, Default, ClapArgs)]
pub struct EngineArgs {
    /// Execution mode: off (interpreter only), auto (compile hot queries), always, verify
    #[arg(long, value_name = "MODE", value_parser = ["off", "auto", "always", "verify"])]
    pub jit: Option<String>,

    /// Threads that parse a CSV file being loaded (at least 1; default one per core, at most
    /// 8). Queries run on one thread
    #[arg(long, value_name = "N", value_parser = threads)]
    pub threads: Option<u64>,

    /// Most memory one statement may hold, such as 512MB or 4GiB (0 or none: no limit, the
    /// default). A statement that needs more fails and changes nothing (SET memory_limit)
    #[arg(long, value_name = "SIZE", value_parser = memory_limit)]
    pub memory_limit: Option<u64>,
}

impl Args {
    /// The database file, given as DB or with --database.
    pub fn database(&self) -> Option<&std::path::Path> {
        self.database.as_deref().or(self.database_file.as_deref())
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate a benchmark data set into a database file
    #[command(subcommand)]
    Generate(Generate),

    /// Generate TPC-H data (or reuse it) and run a few TPC-H queries, timing each
    Demo(DemoArgs),

    /// Time TPC-H queries interpreted against compiled, in one run
    Bench(BenchArgs),

    /// Serve a database to PostgreSQL clients (psql, drivers) and over HTTP
    #[command(after_help = SERVER_HELP)]
    Server(ServerArgs),

    /// Load a CSV, Parquet or JSON file into a table (created from the file if missing)
    #[command(after_help = IMPORT_HELP)]
    Import(ImportArgs),

    /// Write a query's result (or a table) to a CSV, Parquet or JSON file
    #[command(after_help = EXPORT_HELP)]
    Export(ExportArgs),

    /// Show or change the config file
    #[command(after_help = CONFIG_HELP)]
    Config(ConfigArgs),
}

const SERVER_HELP: &str = "\
Each client gets its own session, which starts with the config file's engine settings and
--jit / --memory-limit, and can change them with SET. A PostgreSQL cancel request (Ctrl-C in
psql) cancels the client's running statement. A client that disconnects while its statement
runs has the statement cancelled and its open transaction rolled back. SIGTERM or Ctrl-C
stops the server: running statements get --shutdown-timeout seconds to finish, open
transactions roll back.

Examples:
  grizzly server shop.griz --port 5433 --http-port 8080
  psql -h 127.0.0.1 -p 5433 -c 'SELECT count(*) FROM orders'
  curl -s localhost:8080/metrics
  curl -s -d '{\"sql\": \"SELECT 42 AS answer\"}' localhost:8080/query
  grizzly server shop.griz --memory-limit 2GiB --user alice:s3cret --tls-cert c.pem --tls-key k.pem";

const IMPORT_HELP: &str = "\
A table that exists gets the rows appended (CSV columns in the table's order); otherwise it is
created with column names and types inferred from the file. A bad row stops the import with
its file, line and column, and the table is left as it was.

Examples:
  grizzly import lineitem.csv --table lineitem tpch.griz
  grizzly import lineitem.tbl --table lineitem --delimiter '|' --no-header tpch.griz
  grizzly import orders.parquet --table orders shop.griz";

const EXPORT_HELP: &str = "\
Examples:
  grizzly export 'SELECT * FROM orders WHERE o_totalprice > 1000' --output big.csv shop.griz
  grizzly export orders --output orders.parquet shop.griz
  grizzly export 'SELECT o_orderkey, o_orderdate FROM orders' -o orders.json shop.griz";

/// The file formats of import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FileFormat {
    Csv,
    Parquet,
    Json,
}

impl FileFormat {
    /// The format a file name implies: `.parquet`, `.json`/`.jsonl`/`.ndjson`, else CSV.
    pub fn from_extension(path: &std::path::Path) -> FileFormat {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        match ext.as_str() {
            "parquet" => FileFormat::Parquet,
            "json" | "jsonl" | "ndjson" => FileFormat::Json,
            _ => FileFormat::Csv,
        }
    }

    /// The name COPY's FORMAT option uses.
    pub fn name(self) -> &'static str {
        match self {
            FileFormat::Csv => "csv",
            FileFormat::Parquet => "parquet",
            FileFormat::Json => "json",
        }
    }
}

#[derive(Debug, ClapArgs)]
pub struct ImportArgs {
    /// The file to load
    #[arg(value_name = "FILE")]
    pub file: PathBuf,

    /// Database file (.griz), created if missing
    #[arg(value_name = "DB")]
    pub database: PathBuf,

    /// The table to load into
    #[arg(short = 't', long, value_name = "TABLE")]
    pub table: String,

    /// File format [default: from the extension: .parquet, .json/.jsonl, else csv]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FileFormat>,

    /// CSV: the first line holds column names [default: detected]
    #[arg(long = "header", overrides_with = "no_header")]
    header_flag: bool,

    /// CSV: the first line is data
    #[arg(long = "no-header", overrides_with = "header_flag")]
    no_header: bool,

    /// CSV: the field delimiter [default: ,]
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<char>,

    /// Print nothing (no progress bar, no summary)
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Config file (its engine settings: jit, memory_limit, threads, ...) [default:
    /// $XDG_CONFIG_HOME/grizzly/config.toml or ~/.config/grizzly/config.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub engine: EngineArgs,
}

impl ImportArgs {
    /// Whether the CSV file has a header line, if the user said.
    pub fn header(&self) -> Option<bool> {
        if self.header_flag {
            Some(true)
        } else if self.no_header {
            Some(false)
        } else {
            None
        }
    }
}

#[derive(Debug, ClapArgs)]
pub struct ExportArgs {
    /// The query whose result to write, or a table name
    #[arg(value_name = "SQL")]
    pub query: String,

    /// Database file (.griz)
    #[arg(value_name = "DB")]
    pub database: PathBuf,

    /// The file to write (replaced if it exists)
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: PathBuf,

    /// File format [default: from the extension: .parquet, .json/.jsonl, else csv]
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<FileFormat>,

    /// CSV: do not write a header line with the column names
    #[arg(long)]
    pub no_header: bool,

    /// CSV: the field delimiter [default: ,]
    #[arg(long, value_name = "CHAR")]
    pub delimiter: Option<char>,

    /// Print nothing (no progress bar, no summary)
    #[arg(short = 'q', long)]
    pub quiet: bool,

    /// Config file (its engine settings: jit, memory_limit, threads, ...) [default:
    /// $XDG_CONFIG_HOME/grizzly/config.toml or ~/.config/grizzly/config.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub engine: EngineArgs,
}

const CONFIG_HELP: &str = "\
Keys:
  jit                  off | auto | always | verify             (SET jit)
  jit_threshold        runs before auto compiles, >= 1          (SET jit_threshold)
  format               table | csv | json | jsonl | markdown
  timer                true | false
  threads              >= 1 (threads that parse a CSV file being loaded; queries run on one thread)
  memory_limit         a size such as 4GiB, 0 for none          (SET memory_limit)
  query_cache_entries  >= 1                                     (SET query_cache_entries)
  query_cache_bytes    a size such as 64MiB                     (SET query_cache_bytes)
  history              true | false (the shell's ~/.grizzly_history)
  banner               true | false (the shell's banner)

Examples:
  grizzly config --show
  grizzly config --set jit=always --set timer=true
  grizzly config --reset jit
  grizzly config --config ./grizzly.toml --set format=csv";

#[derive(Debug, ClapArgs)]
#[command(group(clap::ArgGroup::new("action").args(["show", "set", "reset"])))]
pub struct ConfigArgs {
    /// Print every key with its value (the default action)
    #[arg(long)]
    pub show: bool,

    /// Set KEY to VALUE in the file, creating it (repeatable)
    #[arg(long, value_name = "KEY=VALUE")]
    pub set: Vec<String>,

    /// Remove the KEYs from the file, or every key without any
    #[arg(long, value_name = "KEY", num_args = 0..)]
    pub reset: Option<Vec<String>>,

    /// Config file [default: $XDG_CONFIG_HOME/grizzly/config.toml or ~/.config/grizzly/config.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Generate {
    /// The eight TPC-H tables (SF 1 is about 8.7 million rows, 6 million in lineitem)
    Tpch(TpchArgs),
}

#[derive(Debug, ClapArgs)]
pub struct TpchArgs {
    /// Scale factor: 1 is the standard size, 0.01 a tiny one
    #[arg(long = "sf", value_name = "SF", default_value_t = 1.0, value_parser = scale_factor)]
    pub scale_factor: f64,

    /// Database file to create the tables in (created if missing)
    #[arg(value_name = "DB")]
    pub database: PathBuf,
}

#[derive(Debug, ClapArgs)]
pub struct DemoArgs {
    /// Scale factor of the generated data
    #[arg(long = "sf", value_name = "SF", default_value_t = 0.1, value_parser = scale_factor)]
    pub scale_factor: f64,

    /// Database file for the data (reused if it already holds the TPC-H tables)
    #[arg(value_name = "DB", default_value = "./grizzly-demo.griz")]
    pub database: PathBuf,
}

#[derive(Debug, ClapArgs)]
pub struct BenchArgs {
    /// Scale factor of the TPC-H data generated in memory (ignored when DB is given)
    #[arg(long = "sf", value_name = "SF", default_value_t = 0.1, value_parser = scale_factor)]
    pub scale_factor: f64,

    /// Queries to run, e.g. 1,6 or all
    #[arg(long, value_name = "LIST", default_value = "1,6")]
    pub queries: String,

    /// Timed runs per query and tier (the median is reported)
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub runs: usize,

    /// A database file that already holds the TPC-H tables (e.g. from `generate tpch`)
    #[arg(value_name = "DB")]
    pub database: Option<PathBuf>,
}

#[derive(Debug, ClapArgs)]
pub struct ServerArgs {
    /// Database file (.griz), created if missing; without it, a temporary in-memory database
    #[arg(value_name = "DB")]
    pub database: Option<PathBuf>,

    /// Address to listen on (0.0.0.0 for every interface)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    pub host: IpAddr,

    /// Port of the PostgreSQL wire protocol
    #[arg(short = 'p', long, value_name = "PORT", default_value_t = 5433)]
    pub port: u16,

    /// Port for HTTP: GET /health, GET /metrics, POST /query; no HTTP without it
    #[arg(long, value_name = "PORT")]
    pub http_port: Option<u16>,

    /// A user allowed in, with its password (repeatable); without any, every client is trusted
    #[arg(long = "user", value_name = "NAME:PASSWORD")]
    pub users: Vec<grizzly::server::User>,

    /// How --user passwords are checked: scram-sha-256 or md5 [default: config key server_auth,
    /// else scram-sha-256]
    #[arg(long, value_name = "METHOD")]
    pub auth: Option<grizzly::server::PasswordAuth>,

    /// Config file (server_auth and the engine settings: jit, memory_limit, ...) [default:
    /// $XDG_CONFIG_HOME/grizzly/config.toml or ~/.config/grizzly/config.toml]
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub engine: EngineArgs,

    /// TLS certificate chain (PEM) for the PostgreSQL port
    #[arg(long, value_name = "FILE", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// TLS private key (PEM) for the PostgreSQL port
    #[arg(long, value_name = "FILE", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Seconds running queries get to finish on SIGTERM or Ctrl-C
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    pub shutdown_timeout: u64,
}

/// `--threads`: a whole number from 1 to 1024.
fn threads(text: &str) -> Result<u64, String> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=1024).contains(&n) => Ok(n),
        _ => Err(format!(
            "'{text}' is not a thread count (a whole number from 1 to 1024)"
        )),
    }
}

/// `--memory-limit`: a size, or `none` (0: no limit).
fn memory_limit(text: &str) -> Result<u64, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(0);
    }
    grizzly::config::parse_size(text)
}

/// A positive, finite scale factor.
fn scale_factor(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(sf) if sf.is_finite() && sf > 0.0 => Ok(sf),
        _ => Err(format!("'{text}' is not a positive number")),
    }
}
