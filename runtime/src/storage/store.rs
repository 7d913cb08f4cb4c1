//! [`Store`] (one database: a file or memory) and [`Snapshot`] (an immutable committed state).

use super::attached::AttachedSnapshot;
use super::catalog::{CatalogDesc, ChunkDesc};
use super::disk::Disk;
use super::encode::EncodedRowGroup;
use super::lock;
use super::mmap::map_anon;
use super::space::{Extent, ExtentGuard, Released};
use super::table::{ColumnChunk, Region, RowGroup, Table};
use super::txn::WriteTxn;
use crate::{Error, Result};
use grizzly_ir::catalog::ColumnStats;
use grizzly_ir::{Catalog, TableMeta, ViewMeta};
use memmap2::Mmap;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, RwLock};
use std::time::{Duration, Instant};

/// How long `begin_write` waits for another write transaction to finish.
pub const WRITER_WAIT: Duration = Duration::from_secs(3);

/// One database. Cheap to clone (shared inside); `Send + Sync`.
///
/// Readers call [`Store::snapshot`]; the single writer calls [`Store::begin_write`].
#[derive(Clone)]
pub struct Store {
    shared: Arc<Shared>,
}

/// State shared by the store, its write transaction and nobody else (snapshots hold only the
/// memory they view).
pub(crate) struct Shared {
    /// The file, or ":memory:"; named in `Error::Corrupt`.
    pub path: Arc<PathBuf>,
    pub disk: Option<Mutex<Disk>>,
    pub current: RwLock<Arc<Snapshot>>,
    writer: Mutex<bool>,
    writer_cv: Condvar,
}

/// An immutable committed state: the catalog plus the row groups (and the maps they view)
/// as of one commit. It never changes, whatever is committed later.
#[derive(Debug)]
pub struct Snapshot {
    pub(crate) commit: u64,
    pub(crate) tables: BTreeMap<String, Arc<Table>>,
    pub(crate) views: BTreeMap<String, ViewMeta>,
    pub(crate) next_schema_version: u64,
    /// Names this snapshot's catalog (tables, their schemas, views): equal ids mean equal
    /// catalogs. Unique within the process (see [`fresh_catalog_id`]).
    pub(crate) catalog_id: u64,
    /// Databases attached next to this one, sorted by alias: empty but in the snapshots
    /// [`Snapshot::with_attached`] makes for a statement.
    pub(crate) attached: Vec<AttachedSnapshot>,
}

/// A catalog id no snapshot has had yet in this process. Every store opened and every
/// write transaction that changes the catalog (create/drop of tables and views) takes a
/// fresh one, so two snapshots with one id see the same names bound to the same schemas —
/// even across transactions that were rolled back.
pub(crate) fn fresh_catalog_id() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

impl Snapshot {
    /// The identity of this snapshot's catalog: while it is unchanged, anything bound against
    /// one snapshot (names resolved, types inferred, views expanded) is valid for the other.
    /// Data changes keep it.
    pub fn catalog_id(&self) -> u64 {
        self.catalog_id
    }

    /// The commit this snapshot shows (0 = the empty database; a write transaction's own
    /// snapshot shows the commit it would become).
    pub fn commit_number(&self) -> u64 {
        self.commit
    }

    /// The table a plan names `name` (`alias.table` for an attached database's).
    pub fn table(&self, name: &str) -> Option<&Arc<Table>> {
        self.resolve_table(name)
    }

    /// This database's table names, sorted.
    pub fn table_names(&self) -> Vec<String> {
        self.tables.keys().cloned().collect()
    }

    /// View names, sorted.
    pub fn view_names(&self) -> Vec<String> {
        self.views.keys().cloned().collect()
    }

    pub fn view_meta(&self, name: &str) -> Option<&ViewMeta> {
        self.views.get(name)
    }
}

impl Catalog for Snapshot {
    fn table(&self, name: &str) -> Option<TableMeta> {
        let t = self.resolve_table(name)?;
        let mut meta = t.meta.clone();
        if meta.name != name {
            // A table of an attached database: plans name it `alias.table`.
            meta.name = name.to_string();
        }
        Some(meta)
    }

    fn view(&self, name: &str) -> Option<ViewMeta> {
        match self.split_attached(name) {
            Some((a, view)) => a.snapshot.views.get(view).map(|v| ViewMeta {
                name: name.to_string(),
                ..v.clone()
            }),
            None => self.views.get(name).cloned(),
        }
    }

    fn column_stats(&self, name: &str) -> Option<Vec<ColumnStats>> {
        self.resolve_table(name).map(|t| t.column_stats().to_vec())
    }

    fn has_database(&self, name: &str) -> bool {
        self.attached_database(name).is_some()
    }
}

impl Store {
    /// Opens the database file at `path`, creating it if missing, and locks it for this
    /// process.
    ///
    /// # Errors
    /// `Error::Usage` if another process has it open; `Error::Corrupt` if it is not a valid
    /// `.griz` file (bad magic, bad checksum, truncated, ...); `Error::Io`.
    pub fn open(path: &Path) -> Result<Store> {
        let opened = Disk::open(path)?;
        let disk = opened.disk;
        let tables = tables_from_catalog(&opened.catalog, disk.map(), disk.released(), disk.path());
        let snapshot = Snapshot {
            commit: opened.commit,
            tables,
            views: opened
                .catalog
                .views
                .into_iter()
                .map(|v| (v.name.clone(), v))
                .collect(),
            next_schema_version: opened.catalog.next_schema_version,
            catalog_id: fresh_catalog_id(),
            attached: Vec::new(),
        };
        Ok(Store::new(disk.path().clone(), Some(disk), snapshot))
    }

    /// A store that lives in memory only: the same behaviour, no durability.
    pub fn in_memory() -> Store {
        let snapshot = Snapshot {
            commit: 0,
            tables: BTreeMap::new(),
            views: BTreeMap::new(),
            next_schema_version: 1,
            catalog_id: fresh_catalog_id(),
            attached: Vec::new(),
        };
        Store::new(Arc::new(PathBuf::from(":memory:")), None, snapshot)
    }

    fn new(path: Arc<PathBuf>, disk: Option<Disk>, snapshot: Snapshot) -> Store {
        Store {
            shared: Arc::new(Shared {
                path,
                disk: disk.map(Mutex::new),
                current: RwLock::new(Arc::new(snapshot)),
                writer: Mutex::new(false),
                writer_cv: Condvar::new(),
            }),
        }
    }

    /// The file, or `None` for an in-memory store.
    pub fn path(&self) -> Option<&Path> {
        self.shared
            .disk
            .as_ref()
            .map(|_| self.shared.path.as_path())
    }

    /// The last committed state.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.shared
            .current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Starts the (single) write transaction, waiting up to [`WRITER_WAIT`] for another one.
    ///
    /// # Errors
    /// `Error::Usage("another write transaction is active")` after the wait.
    pub fn begin_write(&self) -> Result<WriteTxn> {
        self.begin_write_timeout(WRITER_WAIT)
    }

    /// [`Store::begin_write`] with an explicit wait.
    pub fn begin_write_timeout(&self, wait: Duration) -> Result<WriteTxn> {
        let deadline = Instant::now() + wait;
        let mut active = lock(&self.shared.writer);
        while *active {
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::Usage("another write transaction is active".into()));
            }
            active = self
                .shared
                .writer_cv
                .wait_timeout(active, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
        *active = true;
        drop(active);
        let writer = WriterLock {
            shared: self.shared.clone(),
        };
        Ok(WriteTxn::new(self.shared.clone(), writer, self.snapshot()))
    }

    /// Verifies everything: header, current superblock, catalog, free list, and every
    /// segment of every chunk (checksums and structure). Returns the problems found (each
    /// naming the file); empty means healthy.
    ///
    /// # Errors
    /// Only for failures to run the check itself.
    pub fn integrity_check(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let snap = match &self.shared.disk {
            Some(d) => {
                // Commits publish while holding the disk lock, so this pairs the superblock
                // with its snapshot.
                let d = lock(d);
                let snap = self.snapshot();
                d.check(used_extents(&snap), &mut problems);
                snap
            }
            None => self.snapshot(),
        };
        for t in snap.tables.values() {
            for g in &t.row_groups {
                for c in &g.columns {
                    if let Err(e) = c.verify() {
                        problems.push(e.to_string());
                    }
                }
            }
        }
        Ok(problems)
    }

    /// Moves row groups down into free holes, commits, and truncates the free tail of the
    /// file. Space that a live snapshot still sees stays until that snapshot is dropped (a
    /// later vacuum can then reclaim it). A no-op for in-memory stores.
    pub fn vacuum(&self) -> Result<()> {
        let Some(disk) = &self.shared.disk else {
            return Ok(());
        };
        let mut txn = self.begin_write()?;
        txn.relocate_down()?;
        txn.commit()?;
        lock(disk).truncate_tail()
    }

    /// The file's current length in bytes (0 for in-memory stores).
    pub fn file_len(&self) -> u64 {
        self.shared.disk.as_ref().map_or(0, |d| lock(d).file_len())
    }
}

/// Held by the write transaction; frees the writer slot when dropped.
pub(crate) struct WriterLock {
    shared: Arc<Shared>,
}

impl Drop for WriterLock {
    fn drop(&mut self) {
        *lock(&self.shared.writer) = false;
        self.shared.writer_cv.notify_one();
    }
}

impl Shared {
    /// Stores an encoded row group: in the file (a fresh extent), or in memory when
    /// `in_memory` or the store has no file. `index` is its position in the table (for error
    /// messages).
    pub(crate) fn place(
        &self,
        enc: EncodedRowGroup,
        meta: &TableMeta,
        index: usize,
        in_memory: bool,
    ) -> Result<RowGroup> {
        let (region, extent) = match (&self.disk, in_memory) {
            (Some(d), false) => {
                let (guard, map) = lock(d).write_extent(&enc.bytes)?;
                let e = guard.extent;
                (
                    Region {
                        map,
                        _guard: Some(guard),
                    },
                    e,
                )
            }
            _ => {
                let map = map_anon(&enc.bytes).map_err(|source| Error::Io {
                    context: "allocating memory for a row group".into(),
                    source,
                })?;
                let e = Extent {
                    start: 0,
                    len: enc.bytes.len() as u64,
                };
                (
                    Region {
                        map: Arc::new(map),
                        _guard: None,
                    },
                    e,
                )
            }
        };
        let region = Arc::new(region);
        let columns = enc
            .chunks
            .into_iter()
            .zip(&meta.columns)
            .map(|(mut d, c)| {
                for s in &mut d.segments {
                    s.offset += extent.start;
                }
                let label = format!("table {} column {} row group {index}", meta.name, c.name);
                ColumnChunk::new(region.clone(), d, c.ty, enc.rows, label, self.path.clone())
            })
            .collect();
        Ok(RowGroup {
            rows: enc.rows,
            columns,
            extent,
        })
    }

    /// Publishes a new committed state, making it durable first if there is a file.
    pub(crate) fn publish(&self, snap: Snapshot, wrote_data: bool) -> Result<()> {
        let snap = Arc::new(snap);
        match &self.disk {
            Some(d) => {
                let mut d = lock(d);
                let catalog =
                    super::catalog::encode(snap.next_schema_version, &snap.tables, &snap.views);
                d.commit(&catalog, used_extents(&snap), wrote_data)?;
                let old = std::mem::replace(
                    &mut *self.current.write().unwrap_or_else(|e| e.into_inner()),
                    snap,
                );
                drop(d);
                drop(old);
            }
            None => {
                let old = std::mem::replace(
                    &mut *self.current.write().unwrap_or_else(|e| e.into_inner()),
                    snap,
                );
                drop(old);
            }
        }
        Ok(())
    }

    /// A copy of row group `g` moved into a free hole below where it is now (vacuum), or
    /// `None` if there is no such hole.
    pub(crate) fn relocate(&self, rg: &RowGroup) -> Result<Option<RowGroup>> {
        let Some(d) = &self.disk else { return Ok(None) };
        let Some(first) = rg.columns.first() else {
            return Ok(None);
        };
        let old = rg.extent;
        let Some(bytes) = first
            .region()
            .map
            .get(old.start as usize..old.end() as usize)
        else {
            return Ok(None);
        };
        let Some((guard, map)) = lock(d).write_extent_below(bytes, old.start)? else {
            return Ok(None);
        };
        let new = guard.extent;
        let region = Arc::new(Region {
            map,
            _guard: Some(guard),
        });
        let columns = rg
            .columns
            .iter()
            .map(|c| {
                let mut d: ChunkDesc = c.desc().clone();
                for s in &mut d.segments {
                    s.offset = s.offset - old.start + new.start;
                }
                c.moved(region.clone(), d)
            })
            .collect();
        Ok(Some(RowGroup {
            rows: rg.rows,
            columns,
            extent: new,
        }))
    }
}

fn used_extents(s: &Snapshot) -> Vec<Extent> {
    s.tables
        .values()
        .flat_map(|t| t.row_groups.iter().map(|g| g.extent))
        .collect()
}

fn tables_from_catalog(
    cat: &CatalogDesc,
    map: &Arc<Mmap>,
    released: &Released,
    path: &Arc<PathBuf>,
) -> BTreeMap<String, Arc<Table>> {
    let mut tables = BTreeMap::new();
    for t in &cat.tables {
        let mut row_groups = Vec::with_capacity(t.row_groups.len());
        for (g, rg) in t.row_groups.iter().enumerate() {
            let guard = ExtentGuard::new(rg.extent, released.clone());
            let region = Arc::new(Region {
                map: map.clone(),
                _guard: Some(guard),
            });
            let columns = rg
                .chunks
                .iter()
                .zip(&t.meta.columns)
                .map(|(d, c)| {
                    let label = format!("table {} column {} row group {g}", t.meta.name, c.name);
                    ColumnChunk::new(
                        region.clone(),
                        d.clone(),
                        c.ty,
                        rg.rows as usize,
                        label,
                        path.clone(),
                    )
                })
                .collect();
            row_groups.push(RowGroup {
                rows: rg.rows as usize,
                columns,
                extent: rg.extent,
            });
        }
        let table = Table {
            meta: t.meta.clone(),
            schema_version: t.schema_version,
            row_groups,
        };
        tables.insert(t.meta.name.clone(), Arc::new(table));
    }
    tables
}
