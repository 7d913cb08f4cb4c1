//! The one place the storage engine maps memory. Mapping a file is `unsafe` because another
//! writer could change the bytes under the map; Grizzly rules that out for every byte a
//! [`crate::Buffer`] can view (see `docs/griz-format.md`, "Commit protocol").

use memmap2::{Mmap, MmapMut, MmapOptions};
use std::fs::File;
use std::io;

/// Maps the first `len` bytes of `file` read-only.
pub(crate) fn map_file(file: &File, len: u64) -> io::Result<Mmap> {
    let len = usize::try_from(len)
        .map_err(|_| io::Error::new(io::ErrorKind::OutOfMemory, "file too large to map"))?;
    // SAFETY: the file is locked exclusively by this process, and this process writes only
    // (a) extents no live snapshot or vector references (free space) and (b) the header and
    // superblock pages, which are read with `read`, never through a map. So no byte a buffer
    // views through this map ever changes while the map exists. Truncation (vacuum) removes
    // only free extents at the tail, which no buffer views. Another process ignoring the
    // advisory lock could still change the file; that is outside what Grizzly can prevent.
    unsafe { MmapOptions::new().len(len).map(file) }
}

/// Copies `bytes` into a fresh read-only anonymous map (page-aligned, so segment alignment
/// within `bytes` is kept). Used by in-memory stores and uncommitted rows.
pub(crate) fn map_anon(bytes: &[u8]) -> io::Result<Mmap> {
    let mut m = MmapMut::map_anon(bytes.len().max(1))?;
    m[..bytes.len()].copy_from_slice(bytes);
    m.make_read_only()
}
