//! `SET` of the tool's own settings in the shell and batch modes: the config keys that are not
//! engine settings (`SET format = 'csv'`, `SET timer = on`, `SET threads = 4`). Values are
//! checked as in the config file. `banner`, `history` and `server_auth` only matter when the
//! tool starts: setting them is an error that says where to set them instead. Every other
//! `SET` goes to the engine.

use crate::cli::error::{Error, Result};
use crate::cli::output::Format;
use grizzly::config::Config;

/// A change of one of the tool's settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ToolSet {
    Format(Format),
    Timer(bool),
    Threads(u64),
}

/// Keys the tool reads only when it starts.
const AT_START: &[&str] = &["banner", "history", "server_auth"];

/// What `sql` changes if it is `SET name = value` (or `SET name TO value`) of a tool
/// setting; `None` for any other statement.
pub fn parse(sql: &str) -> Option<Result<ToolSet>> {
    let sql = sql.trim().trim_end_matches(';');
    let (keyword, rest) = sql.split_once(char::is_whitespace)?;
    if !keyword.eq_ignore_ascii_case("set") {
        return None;
    }
    let rest = rest.trim_start();
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    let name = rest[..end].to_ascii_lowercase();
    if !matches!(name.as_str(), "format" | "timer" | "threads") && !AT_START.contains(&&*name) {
        return None;
    }
    let value = rest[end..].trim_start();
    let value = match value.strip_prefix('=') {
        Some(value) => value,
        None if value.len() > 2 && value[..3].eq_ignore_ascii_case("to ") => &value[3..],
        None => return Some(Err(Error::Usage(format!("expected SET {name} = value")))),
    }
    .trim();
    Some(setting(&name, value))
}

fn setting(name: &str, value: &str) -> Result<ToolSet> {
    let mut config = Config::default();
    config.set(name, value).map_err(|e| Error::Usage(e.0))?;
    if AT_START.contains(&name) {
        return Err(Error::Usage(format!(
            "{name} is read when grizzly starts: set it in the config file \
             (grizzly config --set {name}={})",
            value.trim_matches('\'')
        )));
    }
    let set = match name {
        "format" => config
            .text(name)
            .and_then(Format::parse)
            .map(ToolSet::Format),
        "timer" => config.bool(name).map(ToolSet::Timer),
        _ => config.number(name).map(ToolSet::Threads),
    };
    set.ok_or_else(|| Error::Usage(format!("invalid value for {name}: {value}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(sql: &str) -> Option<std::result::Result<ToolSet, String>> {
        parse(sql).map(|r| r.map_err(|e| e.to_string()))
    }

    #[test]
    fn tool_settings() {
        assert_eq!(
            set("SET format = 'csv';"),
            Some(Ok(ToolSet::Format(Format::Csv)))
        );
        assert_eq!(
            set("set FORMAT to jsonl"),
            Some(Ok(ToolSet::Format(Format::Jsonl)))
        );
        assert_eq!(set("SET timer = on"), Some(Ok(ToolSet::Timer(true))));
        assert_eq!(set("SET threads=4"), Some(Ok(ToolSet::Threads(4))));
        // Engine settings and other statements are not the tool's.
        assert_eq!(set("SET memory_limit = '1GiB'"), None);
        assert_eq!(set("SET formats = 1"), None);
        assert_eq!(set("SELECT 1"), None);
        let err = set("SET format = 'xml'").unwrap().unwrap_err();
        assert!(err.contains("\"format\"") && err.contains("csv"), "{err}");
        let err = set("SET threads = 0").unwrap().unwrap_err();
        assert!(err.contains(">= 1"), "{err}");
        let err = set("SET banner = false").unwrap().unwrap_err();
        assert!(err.contains("grizzly config --set banner=false"), "{err}");
    }
}
