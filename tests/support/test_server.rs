//! A PostgreSQL-protocol server started in process for the real-client tests
//! (`server_clients.rs`, `server_jdbc.rs`): in-memory database, 127.0.0.1, ephemeral port.

use grizzly::server::{Server, ServerConfig, User};
use grizzly::Database;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::sync::oneshot;

/// A server running on its own runtime; stops when dropped.
pub struct TestServer {
    pub runtime: tokio::runtime::Runtime,
    stop: Option<oneshot::Sender<()>>,
    pub pg: SocketAddr,
}

impl TestServer {
    pub fn start(users: Vec<User>) -> TestServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let mut config = ServerConfig::default();
        config.pg_addr = "127.0.0.1:0".parse().unwrap();
        config.users = users;
        config.log = false;
        let server = runtime
            .block_on(Server::bind(Database::in_memory(), config))
            .unwrap();
        let pg = server.pg_addr();
        let (stop, stopped) = oneshot::channel::<()>();
        runtime.spawn(server.run(async {
            let _ = stopped.await;
        }));
        TestServer {
            runtime,
            stop: Some(stop),
            pg,
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        // Let the server close its connections before the runtime goes.
        if !std::thread::panicking() {
            self.runtime.block_on(async {
                tokio::time::sleep(Duration::from_millis(50)).await;
            });
        }
    }
}
