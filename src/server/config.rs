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
    /// Users allowed in, each with a password (MD5 authentication). Empty: every client is
    /// trusted, whatever user name it gives.
    pub users: Vec<User>,
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
}
