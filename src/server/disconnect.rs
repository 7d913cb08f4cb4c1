//! Noticing a client that goes away while its statement runs.
//!
//! pgwire reads a connection's socket only between messages, so without help a statement
//! whose client has disconnected runs to its end for nobody, holding its thread, memory and
//! open transaction. Each connection (PostgreSQL or HTTP) therefore keeps a [`Peer`]: a second
//! handle on the same socket (a duplicated file descriptor, registered with tokio's reactor)
//! that is watched only while a statement of the connection runs ([`Peer::watch`]), never
//! while it is idle. Statements run on the blocking pool, where dropping their waiter would
//! not stop them: a watch that is dropped (hyper drops a request's handler when its client
//! closes) interrupts its session too.
//!
//! The client is gone when the socket reports that the peer closed its side (a FIN:
//! `EPOLLRDHUP` on Linux, `EV_EOF` on BSDs and macOS, which tokio reports as "read closed"),
//! a reset, or end of file on a non-consuming `peek`. Readiness says this even when unread
//! bytes wait in front of the FIN, such as a Sync the client pipelined, the Terminate message
//! libpq sends as it closes, or a TLS close_notify alert: what was sent is never consumed here,
//! only peeked at. The handle is below TLS, so TLS connections are watched the same way.
//! Bytes waiting without a FIN mean the client is there (a pipelined message): the watch then
//! looks again every [`POLL`]. A client that half-closes (shuts down its sending side) and
//! still waits for results counts as gone, as with PostgreSQL's
//! `client_connection_check_interval`.
//!
//! On a disconnect the session is abandoned (`InterruptHandle::abandon`): its running
//! statement is cancelled, and so is any it would start later (the rest of a multi-statement
//! query, or one that had not quite started when the client left). A cancelled statement
//! writes nothing; the connection then ends and its session's open transaction rolls back.

use crate::InterruptHandle;
use std::future::Future;
use std::io;
use std::time::Duration;
use tokio::io::Interest;
use tokio::net::TcpStream;

/// How often a watch looks again when bytes wait on the socket.
pub const POLL: Duration = Duration::from_millis(50);

/// A connection's client, watched for going away.
pub struct Peer {
    /// A duplicate handle of the connection's socket; `None` if it could not be made (then
    /// the connection's statements run to their end, as without a watch).
    socket: Option<TcpStream>,
}

impl Peer {
    /// A watcher of the client at the other end of `socket`.
    pub fn of(socket: &TcpStream) -> Peer {
        Peer {
            socket: duplicate(socket).ok(),
        }
    }

    /// Awaits `work` (a statement running on another thread) and returns what it returns.
    /// If the client goes away meanwhile, or this future is dropped before `work` ends (hyper
    /// drops a request's handler when it sees its client close; a server shutdown drops its
    /// connections), the session `interrupt` belongs to is abandoned: its running statement
    /// and any it starts later end with `Error::Cancelled`.
    pub async fn watch<T>(&self, interrupt: &InterruptHandle, work: impl Future<Output = T>) -> T {
        let abandoned = AbandonOnDrop(Some(interrupt));
        tokio::pin!(work);
        tokio::select! {
            biased;
            out = &mut work => return abandoned.disarm(out),
            () = self.gone() => {}
        }
        interrupt.abandon();
        abandoned.disarm(work.await)
    }

    /// Completes once the client has gone; never without a duplicate handle.
    async fn gone(&self) {
        let Some(socket) = &self.socket else {
            return std::future::pending().await;
        };
        let mut byte = [0u8; 1];
        loop {
            match socket.ready(Interest::READABLE).await {
                Ok(ready) if ready.is_read_closed() => return,
                Ok(_) => {}
                Err(_) => return,
            }
            // Readable: a message waits, or end of file, or an error. A peek that finds
            // nothing (the bytes that made the socket readable were read by pgwire) clears
            // the readiness and waits for the next event.
            match socket.peek(&mut byte).await {
                Ok(0) | Err(_) => return,
                Ok(_) => tokio::time::sleep(POLL).await,
            }
        }
    }
}

/// Abandons a session when dropped, unless disarmed: its statement's waiter went away.
struct AbandonOnDrop<'a>(Option<&'a InterruptHandle>);

impl AbandonOnDrop<'_> {
    /// The statement ended: passes its outcome on, interrupting nothing.
    fn disarm<T>(mut self, out: T) -> T {
        self.0 = None;
        out
    }
}

impl Drop for AbandonOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(interrupt) = self.0 {
            interrupt.abandon();
        }
    }
}

/// A second handle on `socket`, registered with the reactor of the current runtime. Both
/// handles share one open file description, so its non-blocking mode is the one tokio set.
#[cfg(unix)]
fn duplicate(socket: &TcpStream) -> io::Result<TcpStream> {
    use std::os::fd::AsFd;
    let fd = socket.as_fd().try_clone_to_owned()?;
    let duplicate = std::net::TcpStream::from(fd);
    duplicate.set_nonblocking(true)?;
    TcpStream::from_std(duplicate)
}

/// Elsewhere, clients are not watched.
#[cfg(not(unix))]
fn duplicate(_socket: &TcpStream) -> io::Result<TcpStream> {
    Err(io::ErrorKind::Unsupported.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;
    use tokio::io::AsyncWriteExt;
    use tokio::net::TcpListener;

    /// A connected pair: (the server's socket, the client's).
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let client = TcpStream::connect(listener.local_addr().unwrap());
        let (client, accepted) = tokio::join!(client, listener.accept());
        (accepted.unwrap().0, client.unwrap())
    }

    async fn gone_within(peer: &Peer, limit: Duration) -> bool {
        tokio::time::timeout(limit, peer.gone()).await.is_ok()
    }

    #[tokio::test]
    async fn a_closed_client_is_gone_even_behind_unread_bytes() {
        let (server, mut client) = pair().await;
        let peer = Peer::of(&server);
        assert!(!gone_within(&peer, Duration::from_millis(200)).await);
        // A pipelined message: still there.
        client.write_all(b"X\0\0\0\x04").await.unwrap();
        assert!(!gone_within(&peer, Duration::from_millis(200)).await);
        drop(client);
        assert!(gone_within(&peer, Duration::from_secs(5)).await);
        // The bytes are still there for the connection to read.
        let mut buf = [0u8; 5];
        assert_eq!(server.peek(&mut buf).await.unwrap(), 5);
    }

    #[tokio::test]
    async fn a_closed_client_without_unread_bytes_is_gone() {
        let (server, client) = pair().await;
        let peer = Peer::of(&server);
        drop(client);
        assert!(gone_within(&peer, Duration::from_secs(5)).await);
    }

    #[tokio::test]
    async fn watch_cancels_the_statement_of_a_client_that_left() {
        let (server, client) = pair().await;
        let peer = Peer::of(&server);
        let db = Database::in_memory();
        db.execute("CREATE TABLE n (x INTEGER)").unwrap();
        let values: Vec<String> = (0..2000).map(|i| format!("({i})")).collect();
        db.execute(&format!("INSERT INTO n VALUES {}", values.join(",")))
            .unwrap();
        let interrupt = db.interrupt_handle();
        assert_eq!(peer.watch(&interrupt, async { 7 }).await, 7);
        // Eight billion rows: far longer than this test waits.
        let slow = tokio::task::spawn_blocking(move || {
            db.query("SELECT count(*) FROM n a, n b, n c WHERE a.x + b.x + c.x >= 0")
        });
        tokio::time::sleep(Duration::from_millis(100)).await;
        drop(client);
        let watched = peer.watch(&interrupt, slow);
        let result = tokio::time::timeout(Duration::from_secs(10), watched)
            .await
            .expect("the statement was interrupted")
            .unwrap();
        assert!(matches!(result, Err(crate::Error::Cancelled)), "{result:?}");
    }

    #[tokio::test]
    async fn a_dropped_watch_abandons_the_session() {
        let (server, _client) = pair().await;
        let peer = Peer::of(&server);
        let db = Database::in_memory();
        let interrupt = db.interrupt_handle();
        let watch = peer.watch(&interrupt, std::future::pending::<()>());
        assert!(tokio::time::timeout(Duration::from_millis(50), watch)
            .await
            .is_err());
        let result = db.query("SELECT 1");
        assert!(matches!(result, Err(crate::Error::Cancelled)), "{result:?}");
    }
}
