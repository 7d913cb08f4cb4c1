//! Who may connect: everyone (no users configured), or configured users with their password,
//! checked by MD5 challenge (the password never crosses the wire in clear).

use super::config::User;
use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::md5pass::{hash_md5_password, Md5PasswordAuthStartupHandler};
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use pgwire::api::ClientInfo;
use pgwire::error::{PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::{BuildHasher, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The startup handler every connection uses.
pub enum Startup {
    Trust(Trust),
    Password(Md5PasswordAuthStartupHandler<Users, DefaultServerParameterProvider>),
}

impl Startup {
    pub fn new(users: &[User]) -> Startup {
        if users.is_empty() {
            return Startup::Trust(Trust);
        }
        let users = Users {
            passwords: users
                .iter()
                .map(|u| (u.name.clone(), u.password.clone()))
                .collect(),
            salts: AtomicU64::new(0),
        };
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = server_version();
        Startup::Password(Md5PasswordAuthStartupHandler::new(
            Arc::new(users),
            Arc::new(parameters),
        ))
    }
}

/// What clients see as `server_version`: a PostgreSQL version they can parse, then ours.
fn server_version() -> String {
    format!("16.0 (Grizzly {})", env!("CARGO_PKG_VERSION"))
}

#[async_trait]
impl StartupHandler for Startup {
    async fn on_startup<C>(
        &self,
        client: &mut C,
        message: PgWireFrontendMessage,
    ) -> PgWireResult<()>
    where
        C: ClientInfo + Sink<PgWireBackendMessage> + Unpin + Send + Sync,
        C::Error: Debug,
        PgWireError: From<<C as Sink<PgWireBackendMessage>>::Error>,
    {
        match self {
            Startup::Trust(h) => h.on_startup(client, message).await,
            Startup::Password(h) => h.on_startup(client, message).await,
        }
    }
}

/// Lets every client in.
pub struct Trust;

impl NoopStartupHandler for Trust {}

/// The configured users' passwords.
#[derive(Debug)]
pub struct Users {
    passwords: HashMap<String, String>,
    salts: AtomicU64,
}

impl Users {
    /// A fresh 4-byte salt: MD5 authentication needs one per attempt, unpredictable enough
    /// that a recorded exchange cannot be replayed.
    fn salt(&self) -> Vec<u8> {
        let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
        hasher.write_u64(self.salts.fetch_add(1, Ordering::Relaxed));
        hasher.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos()),
        );
        hasher.finish().to_le_bytes()[..4].to_vec()
    }
}

#[async_trait]
impl AuthSource for Users {
    /// The expected MD5 answer for the login's user. An unknown user gets an answer no password
    /// produces, so a client cannot tell unknown users from wrong passwords.
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        let salt = self.salt();
        let user = login.user().unwrap_or_default();
        let hash = match self.passwords.get(user) {
            Some(password) => hash_md5_password(user, password, &salt),
            None => "not an md5 answer".to_string(),
        };
        Ok(Password::new(Some(salt), hash.into_bytes()))
    }
}
