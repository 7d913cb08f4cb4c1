//! PostgreSQL cancel requests: a client opens a second connection and sends the process id
//! and secret key the server gave it at startup (`BackendKeyData`); the statement running on
//! the first connection is then cancelled (its session's `InterruptHandle`), and fails with
//! SQLSTATE 57014 "query cancelled".
//!
//! A connection's key is registered when it runs its first statement (the handlers see the
//! key only then) and removed when the connection ends ([`Registration`]).

use crate::InterruptHandle;
use async_trait::async_trait;
use pgwire::api::cancel::CancelHandler;
use pgwire::messages::cancel::CancelRequest;
use pgwire::messages::startup::SecretKey;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

/// (process id, secret key bytes) of one connection.
type Key = (i32, Vec<u8>);

/// The interrupt handles of the server's connections, by cancel key.
#[derive(Default)]
pub struct Cancels {
    handles: Mutex<HashMap<Key, InterruptHandle>>,
}

impl Cancels {
    fn lock(&self) -> MutexGuard<'_, HashMap<Key, InterruptHandle>> {
        // A map of handles: nothing a panic could leave half-done.
        self.handles.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cancels the statement running on the connection with this key, if there is one with
    /// a matching secret (a wrong secret does nothing, as in PostgreSQL).
    pub fn cancel(&self, pid: i32, secret: &SecretKey) -> usize {
        let key = (pid, secret.to_bytes().to_vec());
        self.lock().get(&key).map_or(0, InterruptHandle::interrupt)
    }
}

/// One connection's entry in [`Cancels`], removed when the connection's handler drops.
pub struct Registration {
    cancels: Arc<Cancels>,
    key: OnceLock<Key>,
}

impl Registration {
    pub fn new(cancels: Arc<Cancels>) -> Registration {
        Registration {
            cancels,
            key: OnceLock::new(),
        }
    }

    /// Makes the connection with `(pid, secret)` cancellable through `handle` (once).
    pub fn register(&self, (pid, secret): (i32, SecretKey), handle: &InterruptHandle) {
        if self.key.get().is_some() {
            return;
        }
        let key = (pid, secret.to_bytes().to_vec());
        if self.key.set(key.clone()).is_ok() {
            self.cancels.lock().insert(key, handle.clone());
        }
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        if let Some(key) = self.key.get() {
            self.cancels.lock().remove(key);
        }
    }
}

/// pgwire's hook for CancelRequest messages.
pub struct Canceller(pub Arc<Cancels>);

#[async_trait]
impl CancelHandler for Canceller {
    async fn on_cancel_request(&self, request: CancelRequest) {
        self.0.cancel(request.pid, &request.secret_key);
    }
}
