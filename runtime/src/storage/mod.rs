//! The `.griz` storage engine: one file per database, columnar row groups, copy-on-write
//! commits, snapshots for readers. The byte layout is specified in `docs/griz-format.md`.
//!
//! The life of a write: [`Store::begin_write`] → [`WriteTxn::append`] buffers rows and writes
//! full row groups into free extents (`encode` → `disk`) → [`WriteTxn::commit`] seals the
//! tails, writes the catalog and free list, then the inactive superblock, and publishes a new
//! [`Snapshot`]. The life of a read: [`Store::snapshot`] → [`Snapshot::table`] →
//! [`ColumnChunk::load`], which checks the chunk once and views the mapped bytes in place.

/// Snapshots that also see attached databases (`alias.table` names).
mod attached;
/// The catalog blob: schemas, row-group directory, chunk descriptors, views.
mod catalog;
/// The file: open and lock, write extents, the three-fsync commit, truncate.
mod disk;
/// Vectors to chunk segments: encodings, checksums, zone maps; the tail builder.
mod encode;
/// The byte layout as named constants, plus the little-endian reader and writer.
pub mod format;
/// The only memory mapping (the one `unsafe`).
mod mmap;
/// Extents, the first-fit allocator, and guards that free an extent when nothing sees it.
mod space;
/// `Store` and `Snapshot`.
mod store;
/// `Table`, `RowGroup`, `ColumnChunk`: the checked, zero-copy load.
mod table;
/// `WriteTxn`: the single writer.
mod txn;

pub use attached::AttachedSnapshot;
pub use format::Encoding;
pub use store::{Snapshot, Store, WRITER_WAIT};
pub use table::{bytes_scanned, ColumnChunk, RowGroup, Table, ZoneMap};
pub use txn::WriteTxn;

/// Locks a mutex, ignoring poisoning: every critical section here leaves its data consistent
/// before anything can panic.
pub(crate) fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}
