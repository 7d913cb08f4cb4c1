//! What a server listens on and whom it lets in.

use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

/// How to run a server. Start from `ServerConfig::default()` and set the fields.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ServerConfig {
    /// Where the PostgreSQL wire protocol listens (port 0: any free port).
    pub pg_addr: SocketAddr,
    /// Where HTTP listens (`/health`, `/metrics`, `/query`); `None`: no HTTP.
    pub http_addr: Option<SocketAddr>,
    /// Users allowed in, each with a password. Empty: every client is trusted, whatever user
    /// name it gives (there is no default user or password).
    pub users: Vec<User>,
    /// How configured users prove their password: SCRAM-SHA-256 (the default) or MD5.
    pub auth: PasswordAuth,
    /// Certificate and key for TLS on the PostgreSQL port; clients may still connect without.
    pub tls: Option<TlsFiles>,
    /// How long running queries get to finish once shutdown starts.
    pub shutdown_timeout: Duration,
    /// Print the listening addresses and the authentication mode on standard error.
    pub log: bool,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            pg_addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 5433)),
            http_addr: None,
            users: Vec::new(),
            auth: PasswordAuth::default(),
            tls: None,
            shutdown_timeout: Duration::from_secs(30),
            log: true,
        }
    }
}

/// A user name and its password. `Debug` does not show the password.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub password: String,
}

impl fmt::Debug for User {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("User")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl FromStr for User {
    type Err = String;

    /// `NAME:PASSWORD`; the password may hold more colons, neither part may be empty.
    fn from_str(text: &str) -> Result<User, String> {
        match text.split_once(':') {
            Some((name, password)) if !name.is_empty() && !password.is_empty() => Ok(User {
                name: name.to_string(),
                password: password.to_string(),
            }),
            _ => Err("expected NAME:PASSWORD, both non-empty".to_string()),
        }
    }
}

/// The password authentication method for configured users.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum PasswordAuth {
    /// SCRAM-SHA-256 (RFC 7677), PostgreSQL's default since version 14.
    #[default]
    ScramSha256,
    /// MD5 challenge-response, for old clients; weaker than SCRAM.
    Md5,
}

impl PasswordAuth {
    /// The names `FromStr` accepts, for messages and the config file.
    pub const NAMES: &'static [&'static str] = &["scram-sha-256", "md5"];

    pub fn name(self) -> &'static str {
        match self {
            PasswordAuth::ScramSha256 => "scram-sha-256",
            PasswordAuth::Md5 => "md5",
        }
    }
}

impl fmt::Display for PasswordAuth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PasswordAuth {
    type Err = String;

    /// `scram-sha-256` or `md5`, in any case.
    fn from_str(text: &str) -> Result<PasswordAuth, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "scram-sha-256" => Ok(PasswordAuth::ScramSha256),
            "md5" => Ok(PasswordAuth::Md5),
            _ => Err(format!(
                "unknown password authentication \"{text}\" (allowed: {})",
                PasswordAuth::NAMES.join(", ")
            )),
        }
    }
}

/// PEM files of a TLS certificate chain and its private key.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_parsing() {
        let u: User = "ann:s3:cret".parse().unwrap();
        assert_eq!((u.name.as_str(), u.password.as_str()), ("ann", "s3:cret"));
        assert!("ann".parse::<User>().is_err());
        assert!(":pw".parse::<User>().is_err());
        assert!("ann:".parse::<User>().is_err());
        assert!(!format!("{u:?}").contains("s3"));
    }

    #[test]
    fn auth_method_parsing() {
        assert_eq!("SCRAM-SHA-256".parse(), Ok(PasswordAuth::ScramSha256));
        assert_eq!("md5".parse(), Ok(PasswordAuth::Md5));
        assert!("plain".parse::<PasswordAuth>().unwrap_err().contains("md5"));
        assert_eq!(PasswordAuth::default().to_string(), "scram-sha-256");
    }
}
