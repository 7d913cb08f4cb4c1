//! The configuration file of the `grizzly` tool: a flat TOML file of `key = value` lines.
//!
//! ```toml
//! jit = "auto"
//! jit_threshold = 2
//! format = "table"
//! memory_limit = "4GiB"
//! banner = false
//! ```
//!
//! It lives at `$XDG_CONFIG_HOME/grizzly/config.toml` (or `~/.config/grizzly/config.toml`);
//! `grizzly --config FILE` picks another. Every key is checked: an unknown key or a bad
//! value is an error naming the key and what it allows. Keys the engine also has as a
//! session setting ([`Key::sql`]: `jit`, `jit_threshold`, `memory_limit`,
//! `query_cache_entries`, `query_cache_bytes`) are applied with `SET` when the tool starts;
//! the others are the tool's own.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// The output formats of the tool.
pub const FORMATS: &[&str] = &["table", "csv", "json", "jsonl", "markdown"];
/// The execution modes (`SET jit = ...`).
pub const JIT_MODES: &[&str] = &["off", "auto", "always", "verify"];

/// What values a key takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// One of these words.
    OneOf(&'static [&'static str]),
    /// `true` or `false`.
    Bool,
    /// A whole number at least this large.
    Count(u64),
    /// A size in bytes: a number, or text such as `512MB` or `4GiB`.
    Size,
}

/// A configuration key.
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub kind: Kind,
    /// The value without a setting, as text.
    pub default: &'static str,
    /// Whether the engine has the setting (`SET name = value`).
    pub sql: bool,
    pub help: &'static str,
}

/// Every key, in the order `grizzly config --show` lists them.
pub const KEYS: &[Key] = &[
    Key {
        name: "jit",
        kind: Kind::OneOf(JIT_MODES),
        default: "auto",
        sql: true,
        help: "execution mode: interpreter only, compile hot queries, compile all, verify",
    },
    Key {
        name: "jit_threshold",
        kind: Kind::Count(1),
        default: "2",
        sql: true,
        help: "runs of a query before `auto` compiles it",
    },
    Key {
        name: "format",
        kind: Kind::OneOf(FORMATS),
        default: "table",
        sql: false,
        help: "how results are printed",
    },
    Key {
        name: "timer",
        kind: Kind::Bool,
        default: "false",
        sql: false,
        help: "print each statement's run time",
    },
    Key {
        name: "threads",
        kind: Kind::Count(1),
        default: "one per core, at most 8",
        sql: false,
        help: "threads that parse a CSV file being loaded (queries run on one thread)",
    },
    Key {
        name: "memory_limit",
        kind: Kind::Size,
        default: "none",
        sql: true,
        help: "most memory one statement may hold (0: no limit); more fails the statement",
    },
    Key {
        name: "query_cache_entries",
        kind: Kind::Count(1),
        default: "256",
        sql: true,
        help: "most queries in the query cache",
    },
    Key {
        name: "query_cache_bytes",
        kind: Kind::Size,
        default: "64MiB",
        sql: true,
        help: "most bytes of compiled code in the query cache",
    },
    Key {
        name: "server_auth",
        kind: Kind::OneOf(&["scram-sha-256", "md5"]),
        default: "scram-sha-256",
        sql: false,
        help: "how `grizzly server` checks the passwords of --user users",
    },
    Key {
        name: "history",
        kind: Kind::Bool,
        default: "true",
        sql: false,
        help: "keep the shell's history in ~/.grizzly_history",
    },
    Key {
        name: "banner",
        kind: Kind::Bool,
        default: "true",
        sql: false,
        help: "print the shell's banner",
    },
];

/// A value of a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Bool(bool),
    Int(u64),
    Text(String),
}

impl fmt::Display for Value {
    /// The value as TOML.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Text(s) => write!(f, "{}", toml::Value::String(s.clone())),
        }
    }
}

/// A bad configuration file, key or value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError(pub String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

type Result<T> = std::result::Result<T, ConfigError>;

/// The keys set in a configuration file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    values: BTreeMap<&'static str, Value>,
}

/// The key named `name`.
///
/// # Errors
/// Names the known keys if there is no such key.
pub fn key(name: &str) -> Result<&'static Key> {
    let lower = name.trim().to_ascii_lowercase();
    KEYS.iter().find(|k| k.name == lower).ok_or_else(|| {
        let names: Vec<&str> = KEYS.iter().map(|k| k.name).collect();
        ConfigError(format!(
            "unknown config key \"{}\" (known keys: {})",
            name.trim(),
            names.join(", ")
        ))
    })
}

impl Key {
    /// What the key allows, for messages.
    pub fn allowed(&self) -> String {
        match self.kind {
            Kind::OneOf(values) => values.join(", "),
            Kind::Bool => "true, false".to_string(),
            Kind::Count(min) => format!("a whole number >= {min}"),
            Kind::Size => "a size such as 512MB or 4GiB".to_string(),
        }
    }

    fn invalid(&self, value: &str) -> ConfigError {
        ConfigError(format!(
            "invalid value \"{value}\" for config key \"{}\" (allowed: {})",
            self.name,
            self.allowed()
        ))
    }

    /// Parses `text` (from `--set key=value`) into a value of this key.
    ///
    /// # Errors
    /// Names the key and its allowed values.
    pub fn parse(&self, text: &str) -> Result<Value> {
        let text = text.trim().trim_matches(|c| c == '"' || c == '\'');
        let lower = text.to_ascii_lowercase();
        match self.kind {
            Kind::OneOf(values) if values.contains(&lower.as_str()) => Ok(Value::Text(lower)),
            Kind::Bool => match lower.as_str() {
                "true" | "on" | "yes" | "1" => Ok(Value::Bool(true)),
                "false" | "off" | "no" | "0" => Ok(Value::Bool(false)),
                _ => Err(self.invalid(text)),
            },
            Kind::Count(min) => match lower.parse::<u64>() {
                Ok(n) if n >= min => Ok(Value::Int(n)),
                _ => Err(self.invalid(text)),
            },
            Kind::Size if lower.bytes().all(|b| b.is_ascii_digit()) && !lower.is_empty() => {
                parse_size(&lower).map_err(|_| self.invalid(text))?;
                Ok(Value::Int(lower.parse().map_err(|_| self.invalid(text))?))
            }
            Kind::Size => match parse_size(text) {
                Ok(_) => Ok(Value::Text(text.to_string())),
                Err(_) => Err(self.invalid(text)),
            },
            Kind::OneOf(_) => Err(self.invalid(text)),
        }
    }

    /// Checks a value read from a TOML file.
    fn check(&self, value: &toml::Value) -> Result<Value> {
        match (self.kind, value) {
            (_, toml::Value::String(s)) => self.parse(s),
            (Kind::Bool, toml::Value::Boolean(b)) => Ok(Value::Bool(*b)),
            (Kind::Count(min), toml::Value::Integer(n)) if *n >= 0 && *n as u64 >= min => {
                Ok(Value::Int(*n as u64))
            }
            (Kind::Size, toml::Value::Integer(n)) if *n >= 0 => Ok(Value::Int(*n as u64)),
            (_, other) => Err(self.invalid(&other.to_string())),
        }
    }
}

impl Config {
    /// Parses the text of a configuration file.
    ///
    /// # Errors
    /// TOML syntax errors, unknown keys, tables, and bad values.
    pub fn parse(text: &str) -> Result<Config> {
        let table: toml::Table = text
            .parse()
            .map_err(|e: toml::de::Error| ConfigError(e.message().to_string()))?;
        let mut config = Config::default();
        for (name, value) in &table {
            let key = key(name)?;
            config.values.insert(key.name, key.check(value)?);
        }
        Ok(config)
    }

    /// Reads the file at `path`; `None` if there is no file.
    ///
    /// # Errors
    /// The file cannot be read, or does not parse ([`Config::parse`]); messages name the path.
    pub fn load(path: &Path) -> Result<Option<Config>> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::parse(&text)
                .map(Some)
                .map_err(|e| ConfigError(format!("{}: {e}", path.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(ConfigError(format!("cannot read {}: {e}", path.display()))),
        }
    }

    /// Writes the configuration to `path`, creating its directory.
    ///
    /// # Errors
    /// The file or directory cannot be written.
    pub fn save(&self, path: &Path) -> Result<()> {
        let fail = |e: std::io::Error| ConfigError(format!("cannot write {}: {e}", path.display()));
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(fail)?;
        }
        std::fs::write(path, self.to_toml()).map_err(fail)
    }

    /// The file's text: one `key = value` line per key set, in [`KEYS`] order.
    pub fn to_toml(&self) -> String {
        let mut text = String::new();
        for key in KEYS {
            if let Some(value) = self.values.get(key.name) {
                text.push_str(&format!("{} = {value}\n", key.name));
            }
        }
        text
    }

    /// Sets `name` to the value in `text`.
    ///
    /// # Errors
    /// Unknown key or bad value.
    pub fn set(&mut self, name: &str, text: &str) -> Result<()> {
        let key = key(name)?;
        self.values.insert(key.name, key.parse(text)?);
        Ok(())
    }

    /// Parses and sets `key=value`.
    ///
    /// # Errors
    /// No `=`, unknown key or bad value.
    pub fn set_pair(&mut self, pair: &str) -> Result<()> {
        match pair.split_once('=') {
            Some((name, value)) => self.set(name, value),
            None => Err(ConfigError(format!(
                "expected KEY=VALUE, not \"{pair}\" (for example jit=always)"
            ))),
        }
    }

    /// Removes `name`, which then has its default.
    ///
    /// # Errors
    /// Unknown key.
    pub fn unset(&mut self, name: &str) -> Result<()> {
        let key = key(name)?;
        self.values.remove(key.name);
        Ok(())
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.values.get(name)
    }

    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The value of a text key.
    pub fn text(&self, name: &str) -> Option<&str> {
        match self.values.get(name)? {
            Value::Text(s) => Some(s),
            _ => None,
        }
    }

    /// The value of a boolean key.
    pub fn bool(&self, name: &str) -> Option<bool> {
        match self.values.get(name)? {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value of a number or size key, in bytes for sizes.
    pub fn number(&self, name: &str) -> Option<u64> {
        match self.values.get(name)? {
            Value::Int(n) => Some(*n),
            Value::Text(s) => parse_size(s).ok(),
            Value::Bool(_) => None,
        }
    }

    /// `SET` statements for the keys the engine has, in [`KEYS`] order.
    pub fn sql_statements(&self) -> Vec<String> {
        KEYS.iter()
            .filter(|k| k.sql)
            .filter_map(|k| {
                let value = match (k.kind, self.values.get(k.name)?) {
                    (Kind::OneOf(_), Value::Text(s)) => format!("'{s}'"),
                    _ => self.number(k.name)?.to_string(),
                };
                Some(format!("SET {} = {value}", k.name))
            })
            .collect()
    }
}

/// Where the configuration file is without `--config`: `$XDG_CONFIG_HOME/grizzly/config.toml`,
/// else `~/.config/grizzly/config.toml`; `None` if neither directory is known.
pub fn default_path() -> Option<PathBuf> {
    let xdg = std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute());
    let base = match xdg {
        Some(dir) => dir,
        None => {
            let home = std::env::var_os("HOME").or_else(|| std::env::var_os("USERPROFILE"))?;
            if home.is_empty() {
                return None;
            }
            PathBuf::from(home).join(".config")
        }
    };
    Some(base.join("grizzly").join("config.toml"))
}

/// Parses a size: a whole or decimal number with an optional unit, case-insensitive: `B`,
/// `KB`/`MB`/`GB`/`TB` (powers of 1000), `KiB`/`MiB`/`GiB`/`TiB` and `K`/`M`/`G`/`T` (powers
/// of 1024).
///
/// # Errors
/// A message saying what a size looks like.
pub fn parse_size(text: &str) -> std::result::Result<u64, String> {
    let bad = || format!("invalid size \"{text}\" (for example 512MB, 4GiB or 1000000)");
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let number: f64 = number.parse().map_err(|_| bad())?;
    let multiplier: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kb" => 1000,
        "mb" => 1000_u64.pow(2),
        "gb" => 1000_u64.pow(3),
        "tb" => 1000_u64.pow(4),
        "k" | "kib" => 1 << 10,
        "m" | "mib" => 1 << 20,
        "g" | "gib" => 1 << 30,
        "t" | "tib" => 1 << 40,
        _ => return Err(bad()),
    };
    let bytes = number * multiplier as f64;
    if !bytes.is_finite() || bytes >= u64::MAX as f64 {
        return Err(bad());
    }
    Ok(bytes.round() as u64)
}

/// A byte count for people: `512 MiB`, `4.0 GiB`, `100 bytes`.
pub fn format_size(bytes: u64) -> String {
    const UNITS: &[&str] = &["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64;
    let mut unit = "bytes";
    for u in UNITS {
        if value < 1024.0 {
            break;
        }
        value /= 1024.0;
        unit = u;
    }
    if value.fract() == 0.0 {
        format!("{value:.0} {unit}")
    } else {
        format!("{value:.1} {unit}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("512MB"), Ok(512_000_000));
        assert_eq!(parse_size("4GiB"), Ok(4 << 30));
        assert_eq!(parse_size("4 gib"), Ok(4 << 30));
        assert_eq!(parse_size("1.5k"), Ok(1536));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(parse_size("lots").is_err());
        assert!(parse_size("4XB").is_err());
        assert!(parse_size("").is_err());
        assert_eq!(format_size(4 << 30), "4 GiB");
        assert_eq!(format_size(1536), "1.5 KiB");
        assert_eq!(format_size(10), "10 bytes");
    }

    #[test]
    fn parse_and_print() {
        let text = "jit = \"always\"\njit_threshold = 3\nbanner = false\nmemory_limit = \"4GiB\"\n";
        let config = Config::parse(text).unwrap();
        assert_eq!(config.text("jit"), Some("always"));
        assert_eq!(config.number("jit_threshold"), Some(3));
        assert_eq!(config.bool("banner"), Some(false));
        assert_eq!(config.number("memory_limit"), Some(4 << 30));
        assert_eq!(
            config.to_toml(),
            text.replace("banner = false\n", "") + "banner = false\n"
        );
        assert_eq!(
            config.sql_statements(),
            vec![
                "SET jit = 'always'".to_string(),
                "SET jit_threshold = 3".to_string(),
                format!("SET memory_limit = {}", 4u64 << 30),
            ]
        );
    }

    #[test]
    fn errors_name_the_key_and_allowed_values() {
        let err = Config::parse("colour = \"red\"").unwrap_err().0;
        assert!(err.contains("unknown config key \"colour\""), "{err}");
        assert!(err.contains("jit_threshold"), "{err}");
        let err = Config::parse("jit = \"fast\"").unwrap_err().0;
        assert!(
            err.contains("\"jit\"") && err.contains("off, auto, always, verify"),
            "{err}"
        );
        let err = Config::parse("timer = 3").unwrap_err().0;
        assert!(
            err.contains("\"timer\"") && err.contains("true, false"),
            "{err}"
        );
        let err = Config::parse("threads = 0").unwrap_err().0;
        assert!(err.contains(">= 1"), "{err}");
        assert!(Config::parse("jit = ").is_err());
        let mut config = Config::default();
        assert!(config.set_pair("format=markdown").is_ok());
        assert!(config.set_pair("format").is_err());
        assert!(config.set_pair("query_cache_bytes=64MiB").is_ok());
        assert_eq!(
            config.sql_statements(),
            vec![format!("SET query_cache_bytes = {}", 64 << 20)]
        );
    }
}
