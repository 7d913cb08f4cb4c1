//! `grizzly config --show | --set KEY=VALUE | --reset [KEY...]`: the config file
//! ([`grizzly::config`]).

use crate::cli::args::ConfigArgs;
use crate::cli::error::{Error, Result};
use grizzly::config::{self, Config, KEYS};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The config file: `--config FILE`, else the default path.
pub fn path(given: Option<&Path>) -> Result<PathBuf> {
    match given {
        Some(path) => Ok(path.to_path_buf()),
        None => config::default_path().ok_or_else(|| {
            Error::Usage(
                "no config directory: set HOME or XDG_CONFIG_HOME, or pass --config FILE".into(),
            )
        }),
    }
}

/// Loads the config file for a run of the tool. A missing default file is an empty
/// config; a missing `--config` file is an error.
pub fn load(given: Option<&Path>) -> Result<(Option<PathBuf>, Config)> {
    let path = match given {
        Some(path) => path.to_path_buf(),
        None => match config::default_path() {
            Some(path) => path,
            None => return Ok((None, Config::default())),
        },
    };
    match Config::load(&path).map_err(config_error)? {
        Some(config) => Ok((Some(path), config)),
        None if given.is_some() => Err(Error::Usage(format!(
            "config file {} does not exist (create it with grizzly config --config {} --set KEY=VALUE)",
            path.display(),
            path.display()
        ))),
        None => Ok((None, Config::default())),
    }
}

pub fn run(args: &ConfigArgs) -> Result<()> {
    let path = path(args.config.as_deref())?;
    let mut config = Config::load(&path)
        .map_err(config_error)?
        .unwrap_or_default();
    let mut out = std::io::stdout().lock();
    if !args.set.is_empty() {
        for pair in &args.set {
            config.set_pair(pair).map_err(config_error)?;
        }
        config.save(&path).map_err(config_error)?;
        writeln!(out, "Wrote {}", path.display())?;
    } else if let Some(keys) = &args.reset {
        if keys.is_empty() {
            config = Config::default();
        } else {
            for key in keys {
                config.unset(key).map_err(config_error)?;
            }
        }
        if config.is_empty() {
            match std::fs::remove_file(&path) {
                Ok(()) => writeln!(out, "Removed {}", path.display())?,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    writeln!(out, "No config file at {}", path.display())?
                }
                Err(e) => {
                    return Err(Error::Usage(format!(
                        "cannot remove {}: {e}",
                        path.display()
                    )))
                }
            }
        } else {
            config.save(&path).map_err(config_error)?;
            writeln!(out, "Wrote {}", path.display())?;
        }
    } else {
        write!(out, "{}", show(&path, &config))?;
    }
    Ok(())
}

/// Every key: the file's value, or the default (commented out).
pub fn show(path: &Path, config: &Config) -> String {
    let exists = if path.exists() {
        ""
    } else {
        " (not created yet)"
    };
    let mut text = format!("# {}{exists}\n", path.display());
    for key in KEYS {
        match config.get(key.name) {
            Some(value) => text.push_str(&format!("{} = {value}\n", key.name)),
            None => text.push_str(&format!("# {} = {} (default)\n", key.name, key.default)),
        }
    }
    text
}

fn config_error(e: config::ConfigError) -> Error {
    Error::Usage(e.0)
}
