//! The engine settings a run starts with: the config file's, then the command line's
//! ([`EngineArgs`]), applied to a database handle with `SET`.

use crate::cli::args::EngineArgs;
use crate::cli::error::Result;
use crate::cli::session::guarded;
use grizzly::config::Config;
use grizzly::{Database, JitMode};

/// Applies `config`'s engine keys, then `engine`'s options, to `db`'s session; says each on
/// `verbose`. Returns the thread count (recorded only: it is no engine setting).
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
    let threads = engine.threads.or(config.number("threads")).unwrap_or(1);
    if threads > 1 {
        verbose(&format!(
            "threads = {threads} recorded; Grizzly runs each query on one thread"
        ));
    }
    // The config's memory_limit was applied with the SETs above.
    if let Some(bytes) = engine.memory_limit {
        let sql = format!("SET memory_limit = {bytes}");
        verbose(&sql);
        guarded(|| db.execute(&sql))?;
    }
    Ok(threads)
}
