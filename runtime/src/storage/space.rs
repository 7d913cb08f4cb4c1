//! Free-space management: page-aligned extents, the first-fit allocator, and the guards that
//! return an extent to the allocator only when nothing can see it any more.
//!
//! Every row group (and each commit's meta extent) holds an `Arc<ExtentGuard>`; snapshots,
//! transactions and loaded vectors keep that `Arc` alive through the buffers' backing. When
//! the last one is dropped the extent goes to the `released` queue, and the allocator picks it
//! up on its next allocation. So bytes that any live snapshot or vector can see are never
//! rewritten, without the allocator having to know about snapshots at all.

use super::format::{DATA_START, PAGE_SIZE};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A run of whole pages: `[start, start + len)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Extent {
    pub start: u64,
    pub len: u64,
}

impl Extent {
    pub fn end(&self) -> u64 {
        self.start + self.len
    }
}

/// Where dropped guards put their extents until the allocator merges them into the free map.
/// It also holds a duplicate of the locked file handle, so the process keeps the file lock
/// while anything (a snapshot, a loaded vector) can still view the file's bytes, even after
/// the store itself is dropped: no other writer can then reuse those bytes.
#[derive(Debug, Default)]
pub(crate) struct Releaser {
    queue: Mutex<Vec<Extent>>,
    _file: Option<std::fs::File>,
}

impl Releaser {
    pub fn new(file: Option<std::fs::File>) -> Released {
        Arc::new(Releaser {
            queue: Mutex::new(Vec::new()),
            _file: file,
        })
    }
}

pub(crate) type Released = Arc<Releaser>;

/// Keeps an extent allocated while alive.
#[derive(Debug)]
pub(crate) struct ExtentGuard {
    pub extent: Extent,
    released: Released,
}

impl ExtentGuard {
    pub fn new(extent: Extent, released: Released) -> Arc<ExtentGuard> {
        Arc::new(ExtentGuard { extent, released })
    }
}

impl Drop for ExtentGuard {
    fn drop(&mut self) {
        super::lock(&self.released.queue).push(self.extent);
    }
}

/// The allocator: free extents below `end`, and everything from `end` on.
#[derive(Debug)]
pub(crate) struct FreeSpace {
    /// start -> len, disjoint and coalesced.
    free: BTreeMap<u64, u64>,
    /// Everything at or past `end` is unallocated.
    end: u64,
    released: Released,
}

impl FreeSpace {
    pub fn new(free: &[Extent], end: u64, released: Released) -> FreeSpace {
        let mut s = FreeSpace {
            free: BTreeMap::new(),
            end,
            released,
        };
        for e in free {
            s.insert(*e);
        }
        s
    }

    /// Merges extents whose guards have been dropped into the free map.
    pub fn reclaim(&mut self) {
        let released = std::mem::take(&mut *super::lock(&self.released.queue));
        for e in released {
            self.insert(e);
        }
    }

    /// First fit (lowest address, so files stay compact); else at the end.
    pub fn allocate(&mut self, bytes: u64) -> Extent {
        self.reclaim();
        let len = super::format::align_up(bytes.max(1), PAGE_SIZE);
        let hit = self
            .free
            .iter()
            .find(|(_, l)| **l >= len)
            .map(|(s, l)| (*s, *l));
        if let Some((start, flen)) = hit {
            self.free.remove(&start);
            if flen > len {
                self.free.insert(start + len, flen - len);
            }
            return Extent { start, len };
        }
        let e = Extent {
            start: self.end,
            len,
        };
        self.end += len;
        e
    }

    /// The lowest free hole of at least `len` bytes below `below`, if any (for vacuum).
    pub fn hole_below(&self, len: u64, below: u64) -> Option<u64> {
        self.free
            .iter()
            .find(|(s, l)| **l >= len && **s + len <= below)
            .map(|(s, _)| *s)
    }

    fn insert(&mut self, e: Extent) {
        if e.len == 0 {
            return;
        }
        let (mut start, mut end) = (e.start, e.end());
        if let Some((&ps, &pl)) = self.free.range(..start).next_back() {
            debug_assert!(ps + pl <= start, "extent {e:?} freed twice");
            if ps + pl == start {
                self.free.remove(&ps);
                start = ps;
            }
        }
        if let Some(&nl) = self.free.get(&end) {
            self.free.remove(&end);
            end += nl;
        }
        self.free.insert(start, end - start);
    }

    /// Gives a free tail back: lowers `end` past a free extent that reaches it. Returns the
    /// new end.
    pub fn shrink_tail(&mut self) -> u64 {
        self.reclaim();
        while let Some((&s, &l)) = self.free.iter().next_back() {
            if s + l != self.end {
                break;
            }
            self.free.remove(&s);
            self.end = s;
        }
        self.end
    }
}

/// The complement of `used` within `[DATA_START, end)`: what is free after a restart.
/// `Err` names the first two extents that overlap.
pub(crate) fn complement(used: &mut [Extent], end: u64) -> Result<Vec<Extent>, String> {
    used.sort();
    let mut free = Vec::new();
    let mut pos = DATA_START;
    for e in used.iter() {
        if e.start < pos {
            return Err(format!(
                "extent {}..{} overlaps another extent or the fixed pages",
                e.start,
                e.end()
            ));
        }
        if e.start > pos {
            free.push(Extent {
                start: pos,
                len: e.start - pos,
            });
        }
        pos = e.end();
    }
    if end > pos {
        free.push(Extent {
            start: pos,
            len: end - pos,
        });
    }
    Ok(free)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn space() -> FreeSpace {
        FreeSpace::new(&[], DATA_START, Releaser::new(None))
    }

    #[test]
    fn released_extents_are_reused_first_fit_and_coalesce() {
        let mut s = space();
        let a = s.allocate(1);
        let b = s.allocate(PAGE_SIZE * 2);
        let c = s.allocate(10);
        assert_eq!(
            (a.start, b.start, c.start),
            (DATA_START, DATA_START + 4096, DATA_START + 3 * 4096)
        );
        let released = s.released.clone();
        drop(ExtentGuard::new(a, released.clone()));
        drop(ExtentGuard::new(b, released.clone()));
        // a and b coalesce into three pages at the start.
        assert_eq!(s.allocate(3 * PAGE_SIZE).start, DATA_START);
        drop(ExtentGuard::new(c, released));
        assert_eq!(s.shrink_tail(), DATA_START + 3 * PAGE_SIZE);
    }

    #[test]
    fn complement_finds_holes_and_overlaps() {
        let p = PAGE_SIZE;
        let mut used = vec![Extent {
            start: DATA_START + 2 * p,
            len: p,
        }];
        let free = complement(&mut used, DATA_START + 4 * p).unwrap();
        assert_eq!(
            free,
            vec![
                Extent {
                    start: DATA_START,
                    len: 2 * p
                },
                Extent {
                    start: DATA_START + 3 * p,
                    len: p
                }
            ]
        );
        used.push(Extent {
            start: DATA_START + 2 * p,
            len: 2 * p,
        });
        assert!(complement(&mut used, DATA_START + 4 * p).is_err());
    }
}
