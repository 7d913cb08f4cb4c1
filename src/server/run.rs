//! The server's life: bind, accept until told to stop, drain, close.

use super::config::ServerConfig;
use super::metrics::Metrics;
use super::{auth, http, pg, tls};
use crate::{Database, Error, Result};
use pgwire::tokio::TlsAcceptor;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinSet;

/// How long connections get, once no statement is running, to send their last responses.
const FLUSH_GRACE: Duration = Duration::from_millis(100);

/// What every connection shares.
pub struct State {
    /// The database; each client gets its own session of it, starting with this handle's
    /// settings (`Database::connect_with_settings`).
    pub db: Database,
    pub metrics: Metrics,
    pub startup: Arc<auth::Startup>,
    /// Connections' interrupt handles, for PostgreSQL cancel requests.
    pub cancels: Arc<super::cancel::Cancels>,
    in_flight: AtomicUsize,
    closing: AtomicBool,
}

impl State {
    /// Counts a query as running until the guard drops.
    pub fn start_query(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        InFlight(self.clone())
    }

    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// True once shutdown has started: new statements are refused.
    pub fn closing(&self) -> bool {
        self.closing.load(Ordering::SeqCst)
    }
}

/// A running query, for the shutdown drain.
pub struct InFlight(Arc<State>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A server with its listeners bound, ready to [`run`](Server::run).
pub struct Server {
    state: Arc<State>,
    pg: TcpListener,
    http: Option<TcpListener>,
    tls: Option<TlsAcceptor>,
    config: ServerConfig,
}

impl Server {
    /// Binds the listeners of `config` and loads its TLS files. Every client's session on
    /// `db` starts with `db`'s settings (such as a `SET memory_limit` made on it first).
    ///
    /// # Errors
    /// `Error::Io` if an address cannot be bound or a TLS file read; `Error::Usage` if the TLS
    /// certificate or key is not usable.
    pub async fn bind(db: Database, config: ServerConfig) -> Result<Server> {
        let tls = config.tls.as_ref().map(tls::acceptor).transpose()?;
        let pg = listen(config.pg_addr).await?;
        let http = match config.http_addr {
            Some(addr) => Some(listen(addr).await?),
            None => None,
        };
        let state = Arc::new(State {
            db,
            metrics: Metrics::default(),
            startup: Arc::new(auth::Startup::new(&config.users, config.auth)),
            cancels: Arc::default(),
            in_flight: AtomicUsize::new(0),
            closing: AtomicBool::new(false),
        });
        Ok(Server {
            state,
            pg,
            http,
            tls,
            config,
        })
    }

    /// Where the PostgreSQL protocol listens (with the real port when port 0 was asked for).
    pub fn pg_addr(&self) -> SocketAddr {
        self.pg
            .local_addr()
            .expect("a bound listener has an address")
    }

    /// Where HTTP listens, if it does.
    pub fn http_addr(&self) -> Option<SocketAddr> {
        self.http
            .as_ref()
            .map(|l| l.local_addr().expect("a bound listener has an address"))
    }

    /// Serves clients until `shutdown` completes; then stops accepting, gives running queries
    /// up to `shutdown_timeout` to finish, and closes every connection (open transactions roll
    /// back).
    pub async fn run(self, shutdown: impl Future<Output = ()>) -> Result<()> {
        if self.config.log {
            self.log_start();
        }
        let Server {
            state,
            pg,
            http,
            tls,
            config,
        } = self;
        let mut connections = JoinSet::new();
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                _ = &mut shutdown => break,
                accepted = pg.accept() => match accepted {
                    Ok((socket, _)) => {
                        connections.spawn(pg::serve(state.clone(), socket, tls.clone()));
                    }
                    Err(e) => accept_failed(e).await,
                },
                accepted = accept(http.as_ref()) => match accepted {
                    Ok(socket) => {
                        connections.spawn(http::serve(state.clone(), socket));
                    }
                    Err(e) => accept_failed(e).await,
                },
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        drop((pg, http));
        state.closing.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + config.shutdown_timeout;
        while state.in_flight() > 0 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        // A finished statement's last messages (its command tag) are written just after it
        // stops counting as in flight: give them a moment to go out.
        tokio::time::sleep(FLUSH_GRACE.min(deadline.saturating_duration_since(Instant::now())))
            .await;
        if config.log {
            match state.in_flight() {
                0 => eprintln!("grizzly server: shutting down"),
                n => eprintln!("grizzly server: shutting down with {n} queries still running"),
            }
        }
        // Dropping a connection drops its session, which rolls back its open transaction.
        connections.shutdown().await;
        Ok(())
    }

    fn log_start(&self) {
        let tls = if self.tls.is_some() {
            "TLS available"
        } else {
            "no TLS"
        };
        eprintln!(
            "grizzly server: PostgreSQL protocol on {} ({tls})",
            self.pg_addr()
        );
        if let Some(addr) = self.http_addr() {
            eprintln!("grizzly server: HTTP on http://{addr} (/health, /metrics, /query)");
        }
        match self.config.users.len() {
            0 => eprintln!(
                "grizzly server: no users configured: every client is trusted, with any user \
                 name and no password (add --user NAME:PASSWORD to require passwords)"
            ),
            n => eprintln!(
                "grizzly server: {} password authentication for {n} user(s)",
                self.config.auth
            ),
        }
    }
}

/// Binds `addr` and serves until `shutdown` completes: [`Server::bind`] then
/// [`Server::run`].
pub async fn run(
    db: Database,
    config: ServerConfig,
    shutdown: impl Future<Output = ()>,
) -> Result<()> {
    Server::bind(db, config).await?.run(shutdown).await
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = interrupt => {}
        _ = terminate => {}
    }
}

async fn listen(addr: SocketAddr) -> Result<TcpListener> {
    TcpListener::bind(addr).await.map_err(|source| Error::Io {
        context: format!("cannot listen on {addr}"),
        source,
    })
}

/// Accepts from `listener`, or waits forever without one.
async fn accept(listener: Option<&TcpListener>) -> std::io::Result<TcpStream> {
    match listener {
        Some(l) => l.accept().await.map(|(socket, _)| socket),
        None => std::future::pending().await,
    }
}

/// Accept errors (out of file descriptors, a connection reset before accept) are not fatal:
/// pause briefly so a persistent one does not spin.
async fn accept_failed(error: std::io::Error) {
    eprintln!("grizzly server: accept failed: {error}");
    tokio::time::sleep(Duration::from_millis(50)).await;
}
