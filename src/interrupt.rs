//! Cancelling a session's running statements from another thread.
//!
//! Every API call that runs SQL (`Database::query` / `execute`, `PreparedStatement::query` /
//! `execute`) registers a fresh [`CancelFlag`] with its session for as long as it runs
//! ([`Running::enter`]) and makes it the flag of the calling thread ([`current`]); every
//! executor context made during the call carries that flag (`ExecContext::with_cancel`), and
//! the executor checks it once per batch and once per compiled morsel.
//! [`InterruptHandle::interrupt`] sets the flags of the calls running at that moment: each
//! returns [`Error::Cancelled`](crate::Error::Cancelled) at its next check;
//! [`InterruptHandle::abandon`] also sets the flag of every call started afterwards. Nothing is
//! written before a statement's query part has run to its end, so a cancelled statement
//! leaves no effects (an `INSERT … SELECT` appends nothing, an autocommit statement commits
//! nothing; an explicit transaction stays open with what it had before the statement).

use grizzly_runtime::exec::CancelFlag;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Cancels the statements a session is running. Get one from
/// [`Database::interrupt_handle`](crate::Database::interrupt_handle); it is `Send + Sync` and
/// cheap to clone, so another thread (a Ctrl-C handler, a server's cancel request, a
/// watchdog) can hold it while the session runs a query.
#[derive(Clone)]
pub struct InterruptHandle {
    running: Arc<Running>,
}

impl InterruptHandle {
    pub(crate) fn new(running: Arc<Running>) -> InterruptHandle {
        InterruptHandle { running }
    }

    /// Cancels every statement the session is running now; statements started afterwards
    /// run normally. Returns how many calls were running (0: nothing to cancel).
    pub fn interrupt(&self) -> usize {
        let flags = self.running.lock();
        for flag in flags.calls.values() {
            flag.cancel();
        }
        flags.calls.len()
    }

    /// Cancels every statement the session is running now and every one it runs from now
    /// on: for a session nobody waits for any more (a server's client that disconnected).
    /// Unlike [`interrupt`](InterruptHandle::interrupt), a statement about to start cannot
    /// slip through. Returns how many calls were running.
    pub fn abandon(&self) -> usize {
        let mut flags = self.running.lock();
        flags.abandoned = true;
        for flag in flags.calls.values() {
            flag.cancel();
        }
        flags.calls.len()
    }

    /// How many API calls of the session are running SQL now.
    pub fn running(&self) -> usize {
        self.running.lock().calls.len()
    }
}

impl std::fmt::Debug for InterruptHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InterruptHandle")
            .field("running", &self.running())
            .finish()
    }
}

/// The cancel flags of one session's running calls.
#[derive(Default)]
pub(crate) struct Running {
    next: AtomicU64,
    flags: Mutex<Flags>,
}

#[derive(Default)]
struct Flags {
    calls: HashMap<u64, CancelFlag>,
    /// Set by [`InterruptHandle::abandon`]: calls start cancelled.
    abandoned: bool,
}

impl Running {
    /// Registers a call on this thread until the returned guard drops. A call made while
    /// another is running on the same thread (a nested call) shares the outer call's flag.
    pub(crate) fn enter(self: &Arc<Self>) -> CallGuard {
        let previous = CURRENT.with(|c| c.borrow().clone());
        let flag = previous.clone().unwrap_or_default();
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        let mut flags = self.lock();
        if flags.abandoned {
            flag.cancel();
        }
        flags.calls.insert(id, flag.clone());
        drop(flags);
        CURRENT.with(|c| *c.borrow_mut() = Some(flag));
        CallGuard {
            running: self.clone(),
            id,
            previous,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Flags> {
        // A map of flags: nothing a panic could leave half-done.
        self.flags.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One running call; unregisters it (and restores the thread's previous flag) when dropped.
pub(crate) struct CallGuard {
    running: Arc<Running>,
    id: u64,
    previous: Option<CancelFlag>,
}

impl Drop for CallGuard {
    fn drop(&mut self) {
        self.running.lock().calls.remove(&self.id);
        let previous = self.previous.take();
        CURRENT.with(|c| *c.borrow_mut() = previous);
    }
}

thread_local! {
    /// The cancel flag of the API call running on this thread, if any.
    static CURRENT: RefCell<Option<CancelFlag>> = const { RefCell::new(None) };
}

/// The cancel flag of the call running on this thread, or a flag nobody can set when no
/// call is registered (internal work outside the API entry points).
pub(crate) fn current() -> CancelFlag {
    CURRENT.with(|c| c.borrow().clone()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interrupt_reaches_only_running_calls() {
        let running = Arc::new(Running::default());
        let handle = InterruptHandle::new(running.clone());
        assert_eq!(handle.interrupt(), 0);
        assert!(!current().is_cancelled());
        {
            let _call = running.enter();
            assert_eq!(handle.running(), 1);
            assert!(!current().is_cancelled());
            assert_eq!(handle.interrupt(), 1);
            assert!(current().is_cancelled());
            {
                // A nested call shares the outer call's flag.
                let _inner = running.enter();
                assert!(current().is_cancelled());
            }
            assert!(current().is_cancelled());
        }
        assert_eq!(handle.running(), 0);
        // The next call starts with a fresh flag.
        let _call = running.enter();
        assert!(!current().is_cancelled());
    }

    #[test]
    fn abandon_reaches_running_and_later_calls() {
        let running = Arc::new(Running::default());
        let handle = InterruptHandle::new(running.clone());
        {
            let _call = running.enter();
            assert_eq!(handle.abandon(), 1);
            assert!(current().is_cancelled());
        }
        let _call = running.enter();
        assert!(current().is_cancelled());
    }
}
