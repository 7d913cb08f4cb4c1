//! The file side of a store: opening (lock, header, superblocks, catalog, free list), writing
//! extents, the three-step durable commit, and truncating the free tail.

use super::catalog::{self, CatalogDesc};
use super::format::{
    align_up, check_header, crc, encode_header, Superblock, DATA_START, PAGE_SIZE, SEGMENT_ALIGN,
    SUPERBLOCK_OFFSETS,
};
use super::mmap::map_file;
use super::space::{complement, Extent, ExtentGuard, FreeSpace, Released, Releaser};
use crate::{Error, Result};
use memmap2::Mmap;
use std::fs::{File, TryLockError};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An open, exclusively locked `.griz` file.
pub(crate) struct Disk {
    file: File,
    path: Arc<PathBuf>,
    /// The newest map of the file; new row groups view it.
    map: Arc<Mmap>,
    /// How much of `map` mirrors the file (vacuum may shorten the file under it).
    map_valid: u64,
    file_len: u64,
    pub space: FreeSpace,
    /// The superblock of the last durable commit.
    sb: Superblock,
    /// Keeps the last commit's meta extent (catalog + free list) from being reused.
    meta: Option<Arc<ExtentGuard>>,
    released: Released,
    /// Set when a commit failed after it may have reached the superblock: the in-memory state
    /// can no longer be trusted to match the file.
    poisoned: bool,
}

/// What opening a file found: the disk, its catalog, and the map row groups should view.
pub(crate) struct Opened {
    pub disk: Disk,
    pub catalog: CatalogDesc,
    pub commit: u64,
}

impl Disk {
    fn corrupt(&self, message: impl Into<String>) -> Error {
        Error::Corrupt {
            path: (*self.path).clone(),
            message: message.into(),
        }
    }

    fn io(&self, what: &str) -> impl Fn(std::io::Error) -> Error + '_ {
        let what = what.to_string();
        move |source| Error::Io {
            context: format!("{what} {}", self.path.display()),
            source,
        }
    }

    pub fn path(&self) -> &Arc<PathBuf> {
        &self.path
    }

    pub fn released(&self) -> &Released {
        &self.released
    }

    pub fn map(&self) -> &Arc<Mmap> {
        &self.map
    }

    /// Opens (or creates) and locks the file, and reads its last commit.
    pub fn open(path: &Path) -> Result<Opened> {
        let io = |what: &str| {
            let context = format!("{what} {}", path.display());
            move |source| Error::Io { context, source }
        };
        let corrupt = |message: String| Error::Corrupt {
            path: path.to_path_buf(),
            message,
        };
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(path)
            .map_err(io("opening"))?;
        match file.try_lock() {
            Ok(()) => {}
            Err(TryLockError::WouldBlock) => {
                return Err(Error::Usage(format!(
                    "{} is locked by another process (or by an earlier handle in this process \
                     whose snapshots are still alive)",
                    path.display()
                )))
            }
            Err(TryLockError::Error(e)) => return Err(io("locking")(e)),
        }
        let released = Releaser::new(Some(file.try_clone().map_err(io("opening"))?));
        let mut len = file.metadata().map_err(io("reading the size of"))?.len();
        let mut fixed = vec![0u8; DATA_START as usize];
        let have = len.min(DATA_START) as usize;
        file.read_exact_at(&mut fixed[..have], 0)
            .map_err(io("reading"))?;
        let sbs = [
            Superblock::decode(&fixed[PAGE_SIZE as usize..2 * PAGE_SIZE as usize]),
            Superblock::decode(&fixed[2 * PAGE_SIZE as usize..]),
        ];
        let best = sbs.iter().flatten().max_by_key(|s| s.commit).copied();
        // A new file, or a creation that never finished (creation writes exactly the fixed
        // pages, header included, before anything is committed): (re)initialize it.
        let header_zero = fixed[..PAGE_SIZE as usize].iter().all(|b| *b == 0);
        if header_zero && len <= DATA_START && best.is_none_or(|s| s.commit == 0) {
            let sb = Superblock {
                used_end: DATA_START,
                ..Default::default()
            };
            let mut init = encode_header();
            init.extend(sb.encode());
            init.resize(DATA_START as usize, 0);
            file.set_len(0).map_err(io("initializing"))?;
            file.write_all_at(&init, 0).map_err(io("initializing"))?;
            file.sync_all().map_err(io("syncing"))?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                // Makes the new directory entry durable; best effort (not all systems allow it).
                let _ = File::open(dir).and_then(|d| d.sync_all());
            }
            fixed = init;
            len = DATA_START;
        }
        if len < DATA_START && fixed[..8] == super::format::MAGIC {
            return Err(corrupt(format!(
                "truncated: expected at least {DATA_START} bytes, found {len}"
            )));
        }
        check_header(&fixed[..PAGE_SIZE as usize]).map_err(corrupt)?;
        let sbs = [
            Superblock::decode(&fixed[PAGE_SIZE as usize..2 * PAGE_SIZE as usize]),
            Superblock::decode(&fixed[2 * PAGE_SIZE as usize..]),
        ];
        let Some(sb) = sbs.iter().flatten().max_by_key(|s| s.commit).copied() else {
            return Err(corrupt("no valid superblock: both are damaged".into()));
        };
        if sb.used_end < DATA_START || sb.used_end % PAGE_SIZE != 0 {
            return Err(corrupt(format!(
                "superblock {} has a bad end {}",
                sb.commit, sb.used_end
            )));
        }
        if len < sb.used_end {
            return Err(corrupt(format!(
                "truncated: expected at least {} bytes, found {len}",
                sb.used_end
            )));
        }
        let meta = meta_extent(&sb).map_err(corrupt)?;
        let read = |start: u64, n: u64, what: &str| -> Result<Vec<u8>> {
            let mut b = vec![0u8; n as usize];
            file.read_exact_at(&mut b, start)
                .map_err(io(&format!("reading the {what} of")))?;
            Ok(b)
        };
        let cat_bytes = read(sb.catalog_start, sb.catalog_len, "catalog")?;
        if crc(&cat_bytes) != sb.catalog_crc {
            return Err(corrupt(format!(
                "bad checksum of the catalog of commit {} (at offset {})",
                sb.commit, sb.catalog_start
            )));
        }
        let catalog = catalog::decode(&cat_bytes).map_err(corrupt)?;
        let fl_bytes = read(sb.free_list_start, sb.free_list_len, "free list")?;
        if crc(&fl_bytes) != sb.free_list_crc {
            return Err(corrupt(format!(
                "bad checksum of the free list of commit {} (at offset {})",
                sb.commit, sb.free_list_start
            )));
        }
        let stored_free = decode_free_list(&fl_bytes).map_err(corrupt)?;
        let mut used = used_extents(&catalog);
        used.extend(meta);
        if let Some(e) = used
            .iter()
            .find(|e| e.start % PAGE_SIZE != 0 || e.len % PAGE_SIZE != 0 || e.len == 0)
        {
            return Err(corrupt(format!(
                "extent {}..{} is not whole pages",
                e.start,
                e.end()
            )));
        }
        if let Some(e) = used.iter().find(|e| e.end() > sb.used_end) {
            return Err(corrupt(format!(
                "extent {}..{} lies past the end {} the superblock records",
                e.start,
                e.end(),
                sb.used_end
            )));
        }
        let free = complement(&mut used, sb.used_end).map_err(corrupt)?;
        if free != stored_free {
            return Err(corrupt(format!(
                "the free list of commit {} disagrees with its catalog",
                sb.commit
            )));
        }
        let map = Arc::new(map_file(&file, len).map_err(io("mapping"))?);
        let meta = meta.map(|e| ExtentGuard::new(e, released.clone()));
        let disk = Disk {
            file,
            path: Arc::new(path.to_path_buf()),
            map,
            map_valid: len,
            file_len: len,
            space: FreeSpace::new(&free, sb.used_end, released.clone()),
            sb,
            meta,
            released,
            poisoned: false,
        };
        Ok(Opened {
            disk,
            catalog,
            commit: sb.commit,
        })
    }

    fn check_usable(&self) -> Result<()> {
        if self.poisoned {
            return Err(Error::Usage(format!(
                "{} must be reopened: an earlier commit failed with an I/O error",
                self.path.display()
            )));
        }
        Ok(())
    }

    /// Allocates an extent of at least `len` bytes, growing (and remapping) the file if needed.
    fn allocate(&mut self, len: u64) -> Result<Arc<ExtentGuard>> {
        let e = self.space.allocate(len);
        let guard = ExtentGuard::new(e, self.released.clone());
        if e.end() > self.file_len {
            let grown = align_up(e.end().max(self.file_len + self.file_len / 2), PAGE_SIZE);
            self.file.set_len(grown).map_err(self.io("growing"))?;
            self.file_len = grown;
        }
        if e.end() > self.map_valid {
            self.map = Arc::new(map_file(&self.file, self.file_len).map_err(self.io("mapping"))?);
            self.map_valid = self.file_len;
        }
        Ok(guard)
    }

    /// Writes `bytes` into a fresh extent; returns its guard and a map that covers it.
    pub fn write_extent(&mut self, bytes: &[u8]) -> Result<(Arc<ExtentGuard>, Arc<Mmap>)> {
        self.check_usable()?;
        let guard = self.allocate(bytes.len() as u64)?;
        self.file
            .write_all_at(bytes, guard.extent.start)
            .map_err(self.io("writing"))?;
        Ok((guard, self.map.clone()))
    }

    /// Like `write_extent`, but only into a free hole that starts below `below` (vacuum).
    pub fn write_extent_below(
        &mut self,
        bytes: &[u8],
        below: u64,
    ) -> Result<Option<(Arc<ExtentGuard>, Arc<Mmap>)>> {
        self.space.reclaim();
        let len = align_up(bytes.len() as u64, PAGE_SIZE);
        if self.space.hole_below(len, below).is_none() {
            return Ok(None);
        }
        self.write_extent(bytes).map(Some)
    }

    /// Makes a new state durable: syncs the row groups already written, writes the catalog
    /// and free list into a new meta extent and syncs, then writes the superblock into the
    /// inactive slot and syncs. `row_groups` are the extents the new state references.
    pub fn commit(
        &mut self,
        catalog: &[u8],
        mut used: Vec<Extent>,
        wrote_data: bool,
    ) -> Result<()> {
        self.check_usable()?;
        if wrote_data {
            self.file.sync_data().map_err(self.io("syncing"))?;
        }
        // Catalog, then the free list padded to the end of the extent (so the extent's length
        // is implied by the superblock). The complement of n + 1 extents has at most n + 2
        // holes.
        let fl_off = align_up(catalog.len() as u64, SEGMENT_ALIGN);
        let bound = fl_off + 8 + 16 * (used.len() as u64 + 2);
        let meta = self.allocate(bound)?;
        let m = meta.extent;
        used.push(m);
        let used_end = used
            .iter()
            .map(Extent::end)
            .max()
            .unwrap_or(DATA_START)
            .max(DATA_START);
        let free = complement(&mut used, used_end)
            .map_err(|e| Error::Internal(format!("commit would overlap extents: {e}")))?;
        let mut buf = vec![0u8; m.len as usize];
        buf[..catalog.len()].copy_from_slice(catalog);
        let mut at = fl_off as usize;
        buf[at..at + 8].copy_from_slice(&(free.len() as u64).to_le_bytes());
        for e in &free {
            at += 8;
            buf[at..at + 8].copy_from_slice(&e.start.to_le_bytes());
            at += 8;
            buf[at..at + 8].copy_from_slice(&e.len.to_le_bytes());
        }
        self.file
            .write_all_at(&buf, m.start)
            .map_err(self.io("writing the catalog of"))?;
        self.file.sync_data().map_err(self.io("syncing"))?;
        let sb = Superblock {
            commit: self.sb.commit + 1,
            catalog_start: m.start,
            catalog_len: catalog.len() as u64,
            catalog_crc: crc(catalog),
            free_list_start: m.start + fl_off,
            free_list_len: m.len - fl_off,
            free_list_crc: crc(&buf[fl_off as usize..]),
            used_end,
        };
        let slot = SUPERBLOCK_OFFSETS[(sb.commit % 2) as usize];
        let written = self
            .file
            .write_all_at(&sb.encode(), slot)
            .and_then(|()| self.file.sync_data());
        if let Err(e) = written {
            self.poisoned = true;
            return Err(self.io("writing the superblock of")(e));
        }
        self.sb = sb;
        self.meta = Some(meta);
        Ok(())
    }

    /// Gives the free tail of the file back to the file system.
    pub fn truncate_tail(&mut self) -> Result<()> {
        self.check_usable()?;
        let end = self.space.shrink_tail().max(self.sb.used_end);
        if end < self.file_len {
            self.file.set_len(end).map_err(self.io("truncating"))?;
            self.file.sync_all().map_err(self.io("syncing"))?;
            self.file_len = end;
            self.map_valid = self.map_valid.min(end);
        }
        Ok(())
    }

    pub fn file_len(&self) -> u64 {
        self.file_len
    }

    /// Re-reads and re-checks the header, the current superblock, catalog and free list from
    /// the file; `used` are the extents of the current state's row groups.
    pub fn check(&self, mut used: Vec<Extent>, problems: &mut Vec<String>) {
        let mut push = |m: String| problems.push(self.corrupt(m).to_string());
        let mut page = vec![0u8; PAGE_SIZE as usize];
        let read = |buf: &mut [u8], at: u64| self.file.read_exact_at(buf, at);
        match read(&mut page, 0) {
            Err(e) => push(format!("cannot read the header: {e}")),
            Ok(()) => {
                if let Err(m) = check_header(&page) {
                    push(m);
                }
            }
        }
        let slot = SUPERBLOCK_OFFSETS[(self.sb.commit % 2) as usize];
        match read(&mut page, slot) {
            Err(e) => push(format!("cannot read the superblock: {e}")),
            Ok(()) if Superblock::decode(&page) != Some(self.sb) => push(format!(
                "the superblock of commit {} is damaged",
                self.sb.commit
            )),
            Ok(()) => {}
        }
        if self.file_len < self.sb.used_end {
            push(format!(
                "truncated: expected at least {} bytes, found {}",
                self.sb.used_end, self.file_len
            ));
            return;
        }
        let mut cat = vec![0u8; self.sb.catalog_len as usize];
        if read(&mut cat, self.sb.catalog_start).is_err() || crc(&cat) != self.sb.catalog_crc {
            push(format!(
                "bad checksum of the catalog of commit {}",
                self.sb.commit
            ));
        } else if let Err(m) = catalog::decode(&cat) {
            push(m);
        }
        let mut fl = vec![0u8; self.sb.free_list_len as usize];
        if read(&mut fl, self.sb.free_list_start).is_err() || crc(&fl) != self.sb.free_list_crc {
            push(format!(
                "bad checksum of the free list of commit {}",
                self.sb.commit
            ));
        } else {
            used.extend(meta_extent(&self.sb).ok().flatten());
            let expected = complement(&mut used, self.sb.used_end);
            match (decode_free_list(&fl), expected) {
                (Ok(f), Ok(e)) if f == e => {}
                (Err(m), _) | (_, Err(m)) => push(m),
                _ => push(format!(
                    "the free list of commit {} disagrees with its catalog",
                    self.sb.commit
                )),
            }
        }
    }
}

/// The meta extent a superblock implies: from the catalog start to the end of the (padded)
/// free list; `None` for the empty commit 0.
fn meta_extent(sb: &Superblock) -> Result<Option<Extent>, String> {
    if sb.catalog_len == 0 && sb.free_list_len == 0 && sb.catalog_start == 0 {
        return Ok(None);
    }
    let fl_end = sb.free_list_start.checked_add(sb.free_list_len);
    let ok = sb.catalog_start >= DATA_START
        && sb.catalog_start.is_multiple_of(PAGE_SIZE)
        && sb.free_list_start
            == sb
                .catalog_start
                .saturating_add(align_up(sb.catalog_len, SEGMENT_ALIGN))
        && sb.free_list_len >= 8
        && fl_end.is_some_and(|e| e % PAGE_SIZE == 0 && e <= sb.used_end);
    if !ok {
        return Err(format!(
            "superblock of commit {} locates its catalog badly",
            sb.commit
        ));
    }
    Ok(Some(Extent {
        start: sb.catalog_start,
        len: fl_end.unwrap_or(0) - sb.catalog_start,
    }))
}

fn decode_free_list(b: &[u8]) -> Result<Vec<Extent>, String> {
    if b.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = super::format::Reader::new(b);
    let n = r.u64("free list count")?;
    if n.saturating_mul(16) > r.remaining() as u64 {
        return Err(format!("free list count {n} is larger than the free list"));
    }
    (0..n)
        .map(|_| {
            Ok(Extent {
                start: r.u64("free extent")?,
                len: r.u64("free extent")?,
            })
        })
        .collect()
}

fn used_extents(c: &CatalogDesc) -> Vec<Extent> {
    c.tables
        .iter()
        .flat_map(|t| t.row_groups.iter().map(|g| g.extent))
        .collect()
}
