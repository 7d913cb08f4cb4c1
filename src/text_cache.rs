//! The SQL text cache: a query's exact text → its optimized, lifted plan.
//!
//! The front end (parse, bind, optimize, lift and fingerprint) costs far more than finding
//! compiled code in the query cache, so a query sent again with the same text skips it: the
//! cached [`CachedPlan`] goes straight to `query::run`. An entry is valid while the catalog
//! it was bound against is unchanged — the snapshot's [`Snapshot::catalog_id`], which every
//! create or drop of a table or view replaces. Data changes keep entries: plans never
//! depend on data, only compiled code's parameters do.
//!
//! Only single queries are kept, and never those whose binding depends on the clock
//! (`current_date` is folded when bound) or read system tables (their rows are filled in
//! when bound).

use crate::query::CachedPlan;
use grizzly_runtime::storage::Snapshot;
use lru::LruCache;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

/// How many query texts are kept.
pub(crate) const TEXT_CACHE_ENTRIES: usize = 256;

/// Longer texts are not kept (hashing them costs more than it saves, and they are rarely
/// sent twice).
const MAX_TEXT_LEN: usize = 16 * 1024;

/// Functions whose value the binder folds from the clock (see `ir/src/bind/func.rs`): a
/// text naming one is never cached.
const CLOCK_FUNCTIONS: &[&str] = &["current_date"];

/// One cached text: the catalog it was bound against and what binding made.
struct TextEntry {
    catalog_id: u64,
    plan: Arc<CachedPlan>,
}

/// Exact SQL text → plan, least recently used out first. `Send + Sync`.
pub(crate) struct TextCache {
    entries: Mutex<LruCache<Box<str>, TextEntry>>,
}

impl TextCache {
    pub(crate) fn new(capacity: usize) -> TextCache {
        TextCache {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity.max(1)).expect("at least one"),
            )),
        }
    }

    /// The plan cached for `sql` if it was bound against `snapshot`'s catalog.
    pub(crate) fn get(&self, sql: &str, snapshot: &Snapshot) -> Option<Arc<CachedPlan>> {
        if sql.len() > MAX_TEXT_LEN {
            return None;
        }
        let mut entries = self.lock();
        let entry = entries.get(sql)?;
        if entry.catalog_id != snapshot.catalog_id() {
            entries.pop(sql);
            return None;
        }
        Some(entry.plan.clone())
    }

    /// Keeps `plan` for `sql`, bound against `snapshot`'s catalog, if the text may be cached.
    pub(crate) fn insert(&self, sql: &str, snapshot: &Snapshot, plan: Arc<CachedPlan>) {
        if !cacheable(sql) {
            return;
        }
        let entry = TextEntry {
            catalog_id: snapshot.catalog_id(),
            plan,
        };
        self.lock().put(sql.into(), entry);
    }

    pub(crate) fn clear(&self) {
        self.lock().clear();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, LruCache<Box<str>, TextEntry>> {
        // Entries are inserted and removed whole: a panic elsewhere cannot leave one half made.
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Whether a query's text may be cached: not too long, and naming no clock function.
fn cacheable(sql: &str) -> bool {
    sql.len() <= MAX_TEXT_LEN
        && !CLOCK_FUNCTIONS.iter().any(|f| {
            sql.as_bytes()
                .windows(f.len())
                .any(|w| w.eq_ignore_ascii_case(f.as_bytes()))
        })
}

#[cfg(test)]
mod tests {
    use super::cacheable;

    #[test]
    fn clock_functions_are_never_cached() {
        assert!(cacheable("SELECT * FROM t WHERE d < date '2020-01-01'"));
        assert!(!cacheable("SELECT * FROM t WHERE d < CURRENT_DATE"));
        assert!(!cacheable("select current_date()"));
        assert!(!cacheable(&format!("SELECT '{}'", "x".repeat(20_000))));
    }
}
