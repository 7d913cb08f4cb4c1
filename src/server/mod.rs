//! `grizzly server`: a database served over the PostgreSQL wire protocol and HTTP.
//!
//! The life of a query through the server:
//! 1. [`Server::bind`] opens the listeners; [`Server::run`] accepts connections until the
//!    shutdown future completes.
//! 2. A PostgreSQL client gets its own session in `pg::serve` (`Database::connect_with_settings`:
//!    the settings of the handle given to the server, such as `memory_limit`, are where each
//!    session starts), which hands the socket to `pgwire` with this connection's handlers:
//!    `auth::Startup` (trust, or SCRAM-SHA-256 or MD5 passwords), `pg::Handler` (simple and
//!    extended query protocol).
//! 3. A simple query is split into statements (`exec::split`); a Parse message prepares one
//!    statement (`Database::prepare`) and types its parameters and result columns up front
//!    (`exec::Statement::prepare`). Either way, what is about PostgreSQL rather than the data
//!    (`SHOW server_version`, harmless `SET`s, catalog queries over features Grizzly lacks)
//!    is answered by `compat`; the catalog itself is system tables (`crate::system`).
//! 4. Statements run on tokio's blocking pool (`exec::blocking`), so a slow query never holds up
//!    another client, and count towards the metrics (`metrics::Metrics`). While one runs, the
//!    connection's socket is watched (`disconnect::Peer`): a client that goes away has its
//!    statement interrupted.
//! 5. Results are encoded as PostgreSQL values, text or binary (`types`); errors become an
//!    ErrorResponse with a SQLSTATE (`sqlstate`).
//! 6. HTTP (`http`): `GET /health`, `GET /metrics` (Prometheus text), `POST /query` (JSON).
//! 7. On shutdown the listeners close, running queries get `ServerConfig::shutdown_timeout` to
//!    finish, then every connection is dropped: open transactions roll back with their sessions.

mod auth;
mod cancel;
mod compat;
mod config;
mod disconnect;
mod exec;
mod http;
mod metrics;
mod pg;
mod run;
mod sqlstate;
mod tls;
mod types;

pub use config::{PasswordAuth, ServerConfig, TlsFiles, User};
pub use run::{run, shutdown_signal, Server};
