//! The engine settings a run starts with: the config file's, then the command line's
//! ([`EngineArgs`]), applied to a database handle with `SET`.

use crate::cli::args::EngineArgs;
use crate::cli::error::Result;
use crate::cli::session::guarded;
use grizzly::config::Config;
use grizzly::{Database, JitMode};

/// Applies `config`'s engine keys, then `engine`'s options, to `db`'s session; says each on
/// `verbose`. Returns the thread count (CSV loading's; queries run on one thread).
///
/// # Errors
/// A setting the engine rejects.
pub fn apply(
    db: &Database,
    config: &Config,
    engine: &EngineArgs,
    verbose: &dyn Fn(&str),
) -> Result<u64> {
    for sql in config.sql_statements() {
        verbose(&sql);
        guarded(|| db.execute(&sql))?;
    }
    if let Some(mode) = &engine.jit {
        let mode = JitMode::parse(mode).expect("clap checked the mode");
        verbose(&format!("jit = {mode}"));
        db.set_jit(mode);
    }
    let threads = engine.threads.or(config.number("threads"));
    if let Some(n) = threads {
        verbose(&format!(
            "threads = {n}: CSV loads use {n} thread(s); queries run on one thread"
        ));
    }
    grizzly::set_load_threads(threads.unwrap_or(0) as usize);
    let threads = threads.unwrap_or(grizzly::load_threads() as u64);
    // The config's memory_limit was applied with the SETs above.
    if let Some(bytes) = engine.memory_limit {
        let sql = format!("SET memory_limit = {bytes}");
        verbose(&sql);
        guarded(|| db.execute(&sql))?;
    }
    Ok(threads)
}
