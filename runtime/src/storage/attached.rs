//! Snapshots that see attached databases (`ATTACH 'f.griz' AS a`).
//!
//! A statement of a session with attached databases runs against one [`Snapshot`] made by
//! [`Snapshot::with_attached`]: the main database's snapshot plus one snapshot of each
//! attached database, each taken once, so a query joining several databases sees a
//! consistent state of every one of them. Plans name attached tables `alias.table`
//! (`grizzly_ir::catalog::qualified_name`); [`Snapshot::table`] resolves such names in the
//! attached snapshot whenever the part before the first `.` is an attached alias (aliases
//! have no dots). Such a snapshot is only ever read: writes go to each store's own
//! transaction.

use super::store::{fresh_catalog_id, Snapshot};
use super::table::Table;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One attached database as a statement sees it.
#[derive(Debug, Clone)]
pub struct AttachedSnapshot {
    /// The name tables are qualified with (`a` in `a.t`).
    pub alias: String,
    /// Unique in the process for each ATTACH: a database detached and attached again under
    /// the same alias (perhaps another file) gets a new id.
    pub id: u64,
    pub snapshot: Arc<Snapshot>,
}

impl Snapshot {
    /// This snapshot plus `attached` (sorted by alias; none of them itself with attached
    /// databases). The result's catalog id is the same for the same catalogs of the same
    /// attachments, and new otherwise, so caches keyed on it stay sound.
    pub fn with_attached(&self, mut attached: Vec<AttachedSnapshot>) -> Snapshot {
        attached.sort_by(|a, b| a.alias.cmp(&b.alias));
        let mut identity = vec![self.catalog_id];
        for a in &attached {
            identity.extend([a.id, a.snapshot.catalog_id]);
        }
        Snapshot {
            commit: self.commit,
            tables: self.tables.clone(),
            views: self.views.clone(),
            next_schema_version: self.next_schema_version,
            catalog_id: combined_catalog_id(identity),
            attached,
        }
    }

    /// The attached databases this snapshot sees, by alias.
    pub fn attached(&self) -> &[AttachedSnapshot] {
        &self.attached
    }

    /// The attached database named `alias`, if this snapshot sees one.
    pub fn attached_database(&self, alias: &str) -> Option<&AttachedSnapshot> {
        self.attached.iter().find(|a| a.alias == alias)
    }

    /// For a plan's table name `alias.table` of an attached database: that database and the
    /// table's name in it.
    pub fn split_attached<'n>(&self, name: &'n str) -> Option<(&AttachedSnapshot, &'n str)> {
        if self.attached.is_empty() {
            return None;
        }
        let (alias, table) = name.split_once('.')?;
        Some((self.attached_database(alias)?, table))
    }

    /// How the query cache names table `name`: itself for this database's tables; for a table
    /// of an attached database, followed by `@` and the attachment's id, so that the table of
    /// another file attached later under the same alias never shares an entry.
    pub fn cache_name<'n>(&self, name: &'n str) -> Cow<'n, str> {
        match self.split_attached(name) {
            Some((a, _)) => Cow::Owned(format!("{name}@{}", a.id)),
            None => Cow::Borrowed(name),
        }
    }

    /// `name` resolved in this database or an attached one.
    pub(crate) fn resolve_table(&self, name: &str) -> Option<&Arc<Table>> {
        match self.split_attached(name) {
            Some((a, table)) => a.snapshot.tables.get(table),
            None => self.tables.get(name),
        }
    }
}

/// The catalog id of a combination of catalogs (`identity`: the main catalog id, then
/// attachment id and catalog id of each attached database): the same while the
/// combination is, fresh for a new one. Forgetting combinations only costs cache misses.
fn combined_catalog_id(identity: Vec<u64>) -> u64 {
    static SEEN: Mutex<Option<HashMap<Vec<u64>, u64>>> = Mutex::new(None);
    const MAX_REMEMBERED: usize = 1024;
    let mut seen = super::lock(&SEEN);
    let seen = seen.get_or_insert_with(HashMap::new);
    if let Some(id) = seen.get(&identity) {
        return *id;
    }
    if seen.len() >= MAX_REMEMBERED {
        seen.clear();
    }
    let id = fresh_catalog_id();
    seen.insert(identity, id);
    id
}
