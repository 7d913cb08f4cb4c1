//! PostgreSQL cancel requests against `grizzly::server`: `tokio-postgres`'s `CancelToken`
//! sends a CancelRequest on a new connection; the running query fails with SQLSTATE 57014
//! and the connection stays usable.

use grizzly::server::{Server, ServerConfig};
use grizzly::Database;
use std::time::{Duration, Instant};
use tokio_postgres::NoTls;

#[test]
fn a_cancel_request_cancels_the_running_query() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let db = Database::in_memory();
    db.execute("CREATE TABLE t (x INTEGER)").unwrap();
    let values: Vec<String> = (0..1000).map(|i| format!("({i})")).collect();
    db.execute(&format!("INSERT INTO t VALUES {}", values.join(",")))
        .unwrap();
    let mut config = ServerConfig::default();
    config.pg_addr = "127.0.0.1:0".parse().unwrap();
    config.http_addr = None;
    config.log = false;
    let server = runtime.block_on(Server::bind(db, config)).unwrap();
    let addr = server.pg_addr();
    runtime.spawn(server.run(std::future::pending()));

    runtime.block_on(async move {
        let url = format!("host={} port={} user=test", addr.ip(), addr.port());
        let (client, connection) = tokio_postgres::connect(&url, NoTls).await.unwrap();
        tokio::spawn(connection);
        let token = client.cancel_token();
        let canceller = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let sent = Instant::now();
            token.cancel_query(NoTls).await.unwrap();
            sent
        });
        let result = tokio::time::timeout(
            Duration::from_secs(20),
            client.simple_query("SELECT count(*) FROM t a, t b, t c WHERE a.x + b.x + c.x >= 0"),
        )
        .await
        .expect("the cancelled query ended");
        let sent = canceller.await.unwrap();
        let err = result.expect_err("the query was cancelled");
        let db_error = err.as_db_error().expect("a server error");
        assert_eq!(db_error.code().code(), "57014", "{db_error}");
        assert_eq!(db_error.message(), "query cancelled");
        assert!(sent.elapsed() < Duration::from_secs(10));
        // The connection goes on.
        let rows = client.query("SELECT count(*) FROM t", &[]).await.unwrap();
        assert_eq!(rows[0].get::<_, i64>(0), 1000);
    });
}
