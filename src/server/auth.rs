//! Who may connect: everyone (no users configured), or configured users with their password,
//! checked by SCRAM-SHA-256 (the default, as in PostgreSQL) or MD5 challenge. Neither sends the
//! password in clear.
//!
//! SCRAM: each user's verifier (salt, StoredKey, ServerKey; 4096 PBKDF2 iterations) is derived
//! once when the server starts; the password itself is not kept. An unknown user gets a mock
//! verifier (a salt derived from its name and a per-server secret, keys no password produces),
//! so the exchange fails at the same step as a wrong password and the salt stays the same
//! across attempts: a client cannot tell unknown users from wrong passwords.

use super::config::{PasswordAuth, User};
use async_trait::async_trait;
use futures::Sink;
use pgwire::api::auth::md5pass::{hash_md5_password, Md5PasswordAuthStartupHandler};
use pgwire::api::auth::noop::NoopStartupHandler;
use pgwire::api::auth::sasl::scram::{
    gen_salted_password, random_nonce, ScramAuth, ScramSecret, SCRAM_ITERATIONS,
};
use pgwire::api::auth::sasl::SASLAuthStartupHandler;
use pgwire::api::auth::{
    AuthSource, DefaultServerParameterProvider, LoginInfo, Password, StartupHandler,
};
use pgwire::api::{ClientInfo, METADATA_USER};
use pgwire::error::{ErrorInfo, PgWireError, PgWireResult};
use pgwire::messages::{PgWireBackendMessage, PgWireFrontendMessage};
use std::collections::HashMap;
use std::fmt::Debug;
use std::sync::Arc;

/// The startup handler every connection uses.
pub enum Startup {
    Trust(Trust),
    Scram(SASLAuthStartupHandler<DefaultServerParameterProvider>),
    Md5(Md5PasswordAuthStartupHandler<Md5Users, DefaultServerParameterProvider>),
}

impl Startup {
    pub fn new(users: &[User], method: PasswordAuth) -> Startup {
        if users.is_empty() {
            return Startup::Trust(Trust);
        }
        let mut parameters = DefaultServerParameterProvider::default();
        parameters.server_version = server_version();
        let parameters = Arc::new(parameters);
        match method {
            PasswordAuth::ScramSha256 => {
                let users = ScramUsers::new(users);
                Startup::Scram(
                    SASLAuthStartupHandler::new(parameters)
                        .with_scram(ScramAuth::new(Arc::new(users))),
                )
            }
            PasswordAuth::Md5 => {
                let users = Md5Users {
                    passwords: users
                        .iter()
                        .map(|u| (u.name.clone(), u.password.clone()))
                        .collect(),
                };
                Startup::Md5(Md5PasswordAuthStartupHandler::new(
                    Arc::new(users),
                    parameters,
                ))
            }
        }
    }
}

/// What clients see as `server_version`: a PostgreSQL version they can parse, then ours.
pub fn server_version() -> String {
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
        let result = match self {
            Startup::Trust(h) => h.on_startup(client, message).await,
            Startup::Scram(h) => h.on_startup(client, message).await,
            Startup::Md5(h) => h.on_startup(client, message).await,
        };
        result.map_err(|e| match e {
            // PostgreSQL's words, naming the user (pgwire's SCRAM names none).
            PgWireError::InvalidPassword(_) => {
                let user = client.metadata().get(METADATA_USER).cloned();
                PgWireError::UserError(Box::new(ErrorInfo::new(
                    "FATAL".to_string(),
                    "28P01".to_string(),
                    format!(
                        "password authentication failed for user \"{}\"",
                        user.unwrap_or_default()
                    ),
                )))
            }
            other => other,
        })
    }
}

/// Lets every client in.
pub struct Trust;

impl NoopStartupHandler for Trust {}

/// Random bytes from pgwire's SCRAM nonce generator (base64 text of 18 random bytes).
fn random_bytes() -> Vec<u8> {
    random_nonce().into_bytes()
}

/// A SCRAM verifier: what the server keeps instead of the password.
struct Verifier {
    salt: Vec<u8>,
    stored_key: Vec<u8>,
    server_key: Vec<u8>,
}

impl Verifier {
    fn of(password: &str, salt: Vec<u8>) -> Verifier {
        let salted = gen_salted_password(password, &salt, SCRAM_ITERATIONS);
        match ScramSecret::verifier_from_salted_password(salt, salted, SCRAM_ITERATIONS) {
            ScramSecret::Verifier {
                salt,
                stored_key,
                server_key,
                ..
            } => Verifier {
                salt,
                stored_key,
                server_key,
            },
            ScramSecret::SaltedPassword { .. } => unreachable!("pgwire returns a verifier"),
        }
    }

    fn secret(&self) -> ScramSecret {
        ScramSecret::Verifier {
            salt: self.salt.clone(),
            iterations: SCRAM_ITERATIONS,
            stored_key: self.stored_key.clone(),
            server_key: self.server_key.clone(),
        }
    }
}

/// The configured users' SCRAM verifiers.
pub struct ScramUsers {
    verifiers: HashMap<String, Verifier>,
    /// Keys the salt of mock verifiers for unknown users.
    mock_secret: Vec<u8>,
}

impl ScramUsers {
    fn new(users: &[User]) -> ScramUsers {
        ScramUsers {
            verifiers: users
                .iter()
                .map(|u| (u.name.clone(), Verifier::of(&u.password, random_bytes())))
                .collect(),
            mock_secret: random_bytes(),
        }
    }

    /// A verifier for an unknown user: its salt depends only on the name (HMAC-SHA-256 of it
    /// under the mock secret, as one PBKDF2 round), its keys are random.
    fn mock(&self, user: &str) -> Verifier {
        let salt = gen_salted_password(user, &self.mock_secret, 1)[..16].to_vec();
        Verifier {
            salt,
            stored_key: gen_salted_password("stored", &random_bytes(), 1),
            server_key: gen_salted_password("server", &random_bytes(), 1),
        }
    }
}

impl Debug for ScramUsers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ScramUsers")
            .field("users", &self.verifiers.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl AuthSource for ScramUsers {
    /// Not used: SCRAM asks for [`AuthSource::get_scram_secret`].
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        Err(PgWireError::InvalidPassword(
            login.user().unwrap_or_default().to_string(),
        ))
    }

    async fn get_scram_secret(&self, login: &LoginInfo) -> PgWireResult<(ScramSecret, Option<()>)> {
        let user = login.user().unwrap_or_default();
        let secret = match self.verifiers.get(user) {
            Some(v) => v.secret(),
            None => self.mock(user).secret(),
        };
        Ok((secret, None))
    }
}

/// The configured users' passwords, for MD5 (which needs them: the expected answer depends on
/// a fresh salt each time).
#[derive(Debug)]
pub struct Md5Users {
    passwords: HashMap<String, String>,
}

#[async_trait]
impl AuthSource for Md5Users {
    /// The expected MD5 answer for the login's user. An unknown user gets an answer no password
    /// produces, so a client cannot tell unknown users from wrong passwords.
    async fn get_password(&self, login: &LoginInfo) -> PgWireResult<Password> {
        // A fresh 4-byte salt per attempt, so a recorded exchange cannot be replayed.
        let salt = random_bytes()[..4].to_vec();
        let user = login.user().unwrap_or_default();
        let hash = match self.passwords.get(user) {
            Some(password) => hash_md5_password(user, password, &salt),
            None => "not an md5 answer".to_string(),
        };
        Ok(Password::new(Some(salt), hash.into_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mock_salts_are_stable_per_user_and_differ_between_users() {
        let users = ScramUsers::new(&["ann:pw".parse().unwrap()]);
        assert_eq!(users.mock("bob").salt, users.mock("bob").salt);
        assert_ne!(users.mock("bob").salt, users.mock("eve").salt);
        assert_ne!(users.mock("bob").stored_key, users.mock("bob").stored_key);
    }

    #[test]
    fn verifiers_depend_on_the_password_and_salt() {
        let a = Verifier::of("pw", b"salt".to_vec());
        let b = Verifier::of("pw", b"salt".to_vec());
        let c = Verifier::of("other", b"salt".to_vec());
        assert_eq!(a.stored_key, b.stored_key);
        assert_ne!(a.stored_key, c.stored_key);
        assert_eq!(a.stored_key.len(), 32);
    }
}
