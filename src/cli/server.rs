//! `grizzly server DB --port 5433 --http-port 8080`: serves a database over the PostgreSQL wire
//! protocol and HTTP until SIGTERM or Ctrl-C. Every client's session starts with the engine
//! settings of the config file and of `--jit` / `--memory-limit` (`engine::apply`).

use crate::cli::args::ServerArgs;
use crate::cli::error::{Error, Result};
use crate::cli::{engine, open_database};
use grizzly::server::{self, PasswordAuth, ServerConfig, TlsFiles};
use std::net::SocketAddr;
use std::time::Duration;

/// How long the runtime waits for query threads still running after the server stopped.
const RUNTIME_EXIT_WAIT: Duration = Duration::from_secs(1);

pub fn run(args: &ServerArgs) -> Result<()> {
    let (_, file) = crate::cli::config::load(args.config.as_deref())?;
    let auth = match (args.auth, file.text("server_auth")) {
        (Some(auth), _) => auth,
        (None, Some(name)) => name.parse().map_err(Error::Usage)?,
        (None, None) => PasswordAuth::default(),
    };
    let db = open_database(args.database.as_deref())?;
    // Sessions copy the settings of this handle (`Database::connect_with_settings`).
    engine::apply(&db, &file, &args.engine, &|_| {})?;
    let mut config = ServerConfig::default();
    config.pg_addr = SocketAddr::new(args.host, args.port);
    config.http_addr = args.http_port.map(|port| SocketAddr::new(args.host, port));
    config.users = args.users.clone();
    config.auth = auth;
    config.tls = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => Some(TlsFiles {
            cert: cert.clone(),
            key: key.clone(),
        }),
        _ => None,
    };
    config.shutdown_timeout = Duration::from_secs(args.shutdown_timeout);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Error::Usage(format!("cannot start the server's runtime: {e}")))?;
    let result = runtime.block_on(server::run(db, config, server::shutdown_signal()));
    // Queries that outlived the shutdown timeout are abandoned: their transactions never
    // commit, and what was committed is already on disk.
    runtime.shutdown_timeout(RUNTIME_EXIT_WAIT);
    Ok(result?)
}
