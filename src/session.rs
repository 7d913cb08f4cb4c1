//! Per-session state: the open transaction and settings.
//!
//! Settings (`SET name = value`):
//!
//! | name                   | values                             | default                 |
//! |------------------------|------------------------------------|-------------------------|
//! | `jit`                  | `off`, `auto`, `always`, `verify`  | `$GRIZZLY_JIT` or `auto`|
//! | `jit_threshold`        | executions before a compile (≥ 1)  | 2                       |
//! | `jit_compile_after_ms` | an interpreted run this long (ms) makes the query hot | 50   |
//! | `query_cache_entries`  | most cached queries (database-wide, ≥ 1) | 256               |
//! | `query_cache_bytes`    | most bytes of compiled code (database-wide) | 64 MiB         |
//! | `memory_limit`         | a size (`512MB`, `4GiB`), or `none` / `0` | none (no limit)   |
//!
//! `memory_limit` is the most bytes one statement's operators may hold, enforced per
//! statement (`grizzly_runtime::exec::memory`): a statement that needs more fails with
//! `Error::ResourceLimit` and has no effects. The `grizzly` tool's `--memory-limit` and its
//! config key `memory_limit` set it with `SET`. No default limit: a fraction of the machine's
//! RAM (DuckDB's 80%) is not portably known, and mapped table data is not counted anyway.

use crate::attach::AttachedTxn;
use crate::config::parse_size;
use crate::tier::JitMode;
use grizzly_runtime::exec::MemoryBudget;
use grizzly_runtime::storage::WriteTxn;
use grizzly_runtime::{Error, Result};
use std::collections::BTreeMap;
use std::sync::OnceLock;

#[derive(Default)]
pub(crate) struct Session {
    /// The main database's write transaction, held from `BEGIN` to `COMMIT`/`ROLLBACK`.
    pub txn: Option<WriteTxn>,
    pub settings: Settings,
    /// What the open transaction reads and writes of attached databases (empty outside one).
    pub attached: AttachedTxn,
}

/// Settings changed with `SET name = value`.
#[derive(Default, Debug, Clone)]
pub struct Settings {
    pub(crate) values: BTreeMap<String, String>,
}

/// What values a setting takes.
enum Allowed {
    OneOf(&'static [&'static str]),
    /// A whole number at least this large.
    AtLeast(u64),
    /// A size (`512MB`, `4GiB`, a number of bytes) or `none` / `0` for no limit.
    SizeOrNone,
}

/// Every setting, with its allowed values.
const KNOWN: &[(&str, Allowed)] = &[
    ("jit", Allowed::OneOf(&["off", "auto", "always", "verify"])),
    ("jit_threshold", Allowed::AtLeast(1)),
    ("jit_compile_after_ms", Allowed::AtLeast(0)),
    ("query_cache_entries", Allowed::AtLeast(1)),
    ("query_cache_bytes", Allowed::AtLeast(0)),
    ("memory_limit", Allowed::SizeOrNone),
];

pub(crate) const DEFAULT_JIT_THRESHOLD: u64 = 2;
pub(crate) const DEFAULT_COMPILE_AFTER_MS: u64 = 50;
pub(crate) const DEFAULT_CACHE_ENTRIES: usize = 256;
pub(crate) const DEFAULT_CACHE_BYTES: usize = 64 << 20;

impl Settings {
    /// Sets `name` to `value` after checking both. Names and values are case-insensitive;
    /// quotes around the value are dropped.
    ///
    /// # Errors
    /// `Error::Usage` naming the setting (and the allowed values) if either is unknown.
    pub fn set(&mut self, name: &str, value: &str) -> Result<()> {
        let name = name.to_ascii_lowercase();
        let value = value.trim_matches('\'').to_ascii_lowercase();
        let Some((_, allowed)) = KNOWN.iter().find(|(k, _)| *k == name) else {
            let names: Vec<&str> = KNOWN.iter().map(|(k, _)| *k).collect();
            return Err(Error::Usage(format!(
                "unknown setting \"{name}\" (known settings: {})",
                names.join(", ")
            )));
        };
        match allowed {
            Allowed::OneOf(values) if !values.contains(&value.as_str()) => {
                return Err(Error::Usage(format!(
                    "invalid value \"{value}\" for setting \"{name}\" (allowed: {})",
                    values.join(", ")
                )));
            }
            Allowed::AtLeast(min) if value.parse::<u64>().map_or(true, |v| v < *min) => {
                return Err(Error::Usage(format!(
                    "invalid value \"{value}\" for setting \"{name}\" (a whole number >= {min})"
                )));
            }
            Allowed::SizeOrNone if value != "none" && parse_size(&value).is_err() => {
                return Err(Error::Usage(format!(
                    "invalid value \"{value}\" for setting \"{name}\" (a size such as 512MB, \
                     4GiB or 1000000 bytes, or none or 0 for no limit)"
                )));
            }
            _ => {}
        }
        self.values.insert(name, value);
        Ok(())
    }

    /// The value of a setting, if set.
    pub fn get(&self, name: &str) -> Option<String> {
        self.values.get(name).cloned()
    }

    /// The execution mode: the `jit` setting, else `$GRIZZLY_JIT`, else `auto`.
    pub fn jit(&self) -> JitMode {
        match self.values.get("jit") {
            Some(v) => JitMode::parse(v).unwrap_or_else(default_jit),
            None => default_jit(),
        }
    }

    /// Executions of one query (by fingerprint) after which `auto` compiles it.
    pub fn jit_threshold(&self) -> u64 {
        self.number("jit_threshold")
            .unwrap_or(DEFAULT_JIT_THRESHOLD)
    }

    /// An interpreted run at least this long makes its query hot at once (`auto`).
    pub fn jit_compile_after_ms(&self) -> u64 {
        self.number("jit_compile_after_ms")
            .unwrap_or(DEFAULT_COMPILE_AFTER_MS)
    }

    /// Most bytes one statement may hold (`memory_limit`); `None`: no limit.
    pub fn memory_limit(&self) -> Option<u64> {
        let value = self.values.get("memory_limit")?;
        parse_size(value).ok().filter(|&bytes| bytes > 0)
    }

    /// A fresh budget for one statement under `memory_limit`.
    pub(crate) fn memory_budget(&self) -> MemoryBudget {
        MemoryBudget::new(self.memory_limit())
    }

    pub(crate) fn number(&self, name: &str) -> Option<u64> {
        self.values.get(name)?.parse().ok()
    }
}

/// The mode of sessions that did not `SET jit`: `$GRIZZLY_JIT` (read once; an invalid value
/// is reported on stderr and ignored), else `auto`.
pub fn default_jit() -> JitMode {
    static DEFAULT: OnceLock<JitMode> = OnceLock::new();
    *DEFAULT.get_or_init(|| match std::env::var("GRIZZLY_JIT") {
        Ok(v) if !v.trim().is_empty() => JitMode::parse(&v).unwrap_or_else(|| {
            eprintln!("grizzly: ignoring GRIZZLY_JIT={v:?} (expected off, auto, always or verify)");
            JitMode::Auto
        }),
        _ => JitMode::Auto,
    })
}
