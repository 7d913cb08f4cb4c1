//! Per-session state: the open transaction and settings.

use grizzly_runtime::storage::WriteTxn;
use grizzly_runtime::{Error, Result};
use std::collections::BTreeMap;

#[derive(Default)]
pub(crate) struct Session {
    pub txn: Option<WriteTxn>,
    pub settings: Settings,
}

/// Settings changed with `SET name = value`.
#[derive(Default, Debug, Clone)]
pub struct Settings {
    pub(crate) values: BTreeMap<String, String>,
}

/// Every setting, with its allowed values (`None`: any value). `jit` accepts only `off` until
/// the compiled tier lands.
const KNOWN: &[(&str, Option<&[&str]>)] = &[("jit", Some(&["off"]))];

impl Settings {
    /// Sets `name` to `value` after checking both.
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
        if let Some(allowed) = allowed {
            if !allowed.contains(&value.as_str()) {
                return Err(Error::Usage(format!(
                    "invalid value \"{value}\" for setting \"{name}\" (allowed: {})",
                    allowed.join(", ")
                )));
            }
        }
        self.values.insert(name, value);
        Ok(())
    }
}
