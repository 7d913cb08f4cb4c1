//! What a snapshot holds: tables of row groups of column chunks, and the checked, zero-copy
//! load of a chunk into a [`Vector`].

use super::catalog::{ChunkDesc, SegmentDesc};
use super::format::{crc, Encoding, SegmentKind, DICT_MAX_RATIO};
use super::space::{Extent, ExtentGuard};
use crate::buffer::{Backing, Buffer, Pod};
use crate::vector::{Bitmap, StrData, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::catalog::ColumnStats;
use grizzly_ir::{DataType, PhysicalType, TableMeta, Value};
use memmap2::Mmap;
use std::cmp::Ordering;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};

/// Stored bytes of the column chunks loaded so far in this process ([`bytes_scanned`]).
static BYTES_SCANNED: AtomicU64 = AtomicU64::new(0);

/// Stored bytes (encoded segments) of the column chunks that reads have loaded so far in this
/// process, over every database in it: each [`ColumnChunk::load`] counts its chunk, also when
/// the chunk was loaded before. Scans of both tiers load every chunk they read (row groups
/// skipped by zone maps are not loaded), and so do DML, COPY TO and maintenance statements.
pub fn bytes_scanned() -> u64 {
    BYTES_SCANNED.load(Relaxed)
}

/// A stored table as of one snapshot.
#[derive(Debug, Clone)]
pub struct Table {
    /// Schema and row count.
    pub meta: TableMeta,
    /// Changes whenever this table's schema changes (CREATE; a re-created table gets a new
    /// one), never on DML.
    pub schema_version: u64,
    pub row_groups: Vec<RowGroup>,
}

impl Table {
    /// Statistics of each column for the optimizer, from the zone maps (`O(row groups)`, no
    /// data read), computed once per table version and cached.
    ///
    /// The cache is keyed by the `Arc`'s identity through a `Weak`: a `Table` behind an
    /// `Arc` only changes through `Arc::make_mut`, which moves it to a new allocation when
    /// a `Weak` to it exists, so a live `Weak` always names the version it was cached for.
    pub fn column_stats(self: &Arc<Table>) -> Arc<[ColumnStats]> {
        static CACHE: Mutex<Vec<(Weak<Table>, Arc<[ColumnStats]>)>> = Mutex::new(Vec::new());
        let me = Arc::downgrade(self);
        {
            let cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
            if let Some((_, stats)) = cache.iter().find(|(t, _)| t.ptr_eq(&me)) {
                return stats.clone();
            }
        }
        let stats: Arc<[ColumnStats]> = (0..self.meta.columns.len())
            .map(|c| self.compute_column_stats(c))
            .collect();
        let mut cache = CACHE.lock().unwrap_or_else(PoisonError::into_inner);
        cache.retain(|(t, _)| t.strong_count() > 0);
        cache.push((me, stats.clone()));
        stats
    }

    /// Column `c`'s statistics: bounds and NULLs merged over the row groups' zone maps;
    /// distinct values `min(rows, max - min + 1)` for integer, decimal (unscaled) and date
    /// columns, the largest dictionary for strings dictionary-encoded in every row group
    /// (but those too small to have a dictionary).
    fn compute_column_stats(&self, c: usize) -> ColumnStats {
        let ty = self.meta.columns[c].ty;
        let mut min: Option<Value> = None;
        let mut max: Option<Value> = None;
        let mut bounds_known = true;
        let mut null_count = 0u64;
        let mut non_null = 0u64;
        let mut dict: Option<u64> = Some(0);
        for rg in &self.row_groups {
            let Some(chunk) = rg.columns.get(c) else {
                bounds_known = false;
                dict = None;
                continue;
            };
            let z = &chunk.zone;
            null_count += z.null_count;
            let values = (rg.rows as u64).saturating_sub(z.null_count);
            non_null += values;
            if values == 0 {
                continue;
            }
            if z.min.is_null() || z.max.is_null() {
                bounds_known = false;
            } else {
                merge(&mut min, &z.min, Ordering::Less);
                merge(&mut max, &z.max, Ordering::Greater);
            }
            dict = match (dict, chunk.dict_entries()) {
                (Some(d), Some(n)) => Some(d.max(n)),
                // Too few rows for a dictionary: no sign of many distinct values.
                (d, None) if rg.rows < DICT_MAX_RATIO => d,
                _ => None,
            };
        }
        let (min, max) = match (min, max) {
            (Some(lo), Some(hi)) if bounds_known => (lo, hi),
            _ => (Value::Null, Value::Null),
        };
        let span = match (&min, &max) {
            (Value::Int32(a), Value::Int32(b)) | (Value::Date(a), Value::Date(b)) => {
                Some(i128::from(*b) - i128::from(*a))
            }
            (Value::Int64(a), Value::Int64(b)) => Some(i128::from(*b) - i128::from(*a)),
            (Value::Decimal(a, sa), Value::Decimal(b, sb)) if sa == sb => b.checked_sub(*a),
            (Value::Boolean(a), Value::Boolean(b)) => Some(i128::from(a != b)),
            _ => None,
        };
        let distinct = if non_null == 0 {
            Some(0)
        } else if !min.is_null() && min == max {
            Some(1)
        } else if let Some(span) = span {
            let n = span.saturating_add(1).clamp(1, i128::from(non_null));
            Some(n as u64)
        } else if ty == DataType::Varchar {
            dict.filter(|d| *d > 0)
        } else {
            None
        };
        ColumnStats {
            min,
            max,
            null_count,
            distinct,
        }
    }
}

/// Widens `acc` to include `v` (`toward`: `Less` keeps the smallest, `Greater` the largest).
fn merge(acc: &mut Option<Value>, v: &Value, toward: Ordering) {
    match acc {
        Some(a) if v.sql_cmp(a) != Some(toward) => {}
        _ => *acc = Some(v.clone()),
    }
}

/// Up to `ROW_GROUP_ROWS` rows: one chunk per column.
#[derive(Debug, Clone)]
pub struct RowGroup {
    pub rows: usize,
    pub columns: Vec<ColumnChunk>,
    /// Where the row group lies in the file (in-memory stores: in its own anonymous map).
    pub(crate) extent: Extent,
}

/// Per-chunk statistics for skipping row groups.
#[derive(Debug, Clone, PartialEq)]
pub struct ZoneMap {
    /// Smallest non-NULL value; `Value::Null` if every row is NULL or the bound is unknown
    /// (VARCHAR bounds longer than 64 bytes are not kept).
    pub min: Value,
    /// Largest non-NULL value; `Value::Null` as for `min`.
    pub max: Value,
    pub null_count: u64,
}

/// The values of one column in one row group, loaded (and checked) on first use.
#[derive(Debug, Clone)]
pub struct ColumnChunk {
    pub zone: ZoneMap,
    inner: Arc<ChunkInner>,
}

/// Memory a row group's chunks view: a map of the file (or an anonymous map) plus the guard
/// that keeps the row group's extent from being reused while anything views it.
pub(crate) struct Region {
    pub map: Arc<Mmap>,
    pub _guard: Option<Arc<ExtentGuard>>,
}

impl Backing for Region {
    fn bytes(&self) -> &[u8] {
        &self.map
    }
}

struct ChunkInner {
    backing: Arc<Region>,
    desc: ChunkDesc,
    ty: DataType,
    rows: usize,
    /// "table t column c row group g", for error messages.
    label: String,
    path: Arc<PathBuf>,
    cache: OnceLock<Vector>,
    /// Stored bytes of the chunk's segments, counted by each load.
    bytes: u64,
}

impl std::fmt::Debug for ChunkInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Chunk")
            .field("label", &self.label)
            .field("desc", &self.desc)
            .finish()
    }
}

impl ColumnChunk {
    pub(crate) fn new(
        backing: Arc<Region>,
        desc: ChunkDesc,
        ty: DataType,
        rows: usize,
        label: String,
        path: Arc<PathBuf>,
    ) -> ColumnChunk {
        let zone = ZoneMap {
            min: desc.min.clone(),
            max: desc.max.clone(),
            null_count: desc.null_count,
        };
        let bytes = desc.segments.iter().map(|s| s.len).sum();
        let inner = ChunkInner {
            backing,
            bytes,
            desc,
            ty,
            rows,
            label,
            path,
            cache: OnceLock::new(),
        };
        ColumnChunk {
            zone,
            inner: Arc::new(inner),
        }
    }

    /// The whole column of this row group, viewing the mapped bytes in place. The first call
    /// verifies checksums and structure and caches the result; later calls are `O(1)`.
    ///
    /// # Errors
    /// `Error::Corrupt` naming the table, column and row group if the chunk is damaged.
    pub fn load(&self) -> Result<Vector> {
        BYTES_SCANNED.fetch_add(self.inner.bytes, Relaxed);
        if let Some(v) = self.inner.cache.get() {
            return Ok(v.clone());
        }
        let v = self.verify()?;
        Ok(self.inner.cache.get_or_init(|| v).clone())
    }

    /// How the chunk is stored.
    pub fn encoding(&self) -> Encoding {
        self.inner.desc.encoding
    }

    /// Entries of the dictionary of a dictionary-encoded chunk (from the catalog, without
    /// reading the chunk).
    pub fn dict_entries(&self) -> Option<u64> {
        let desc = &self.inner.desc;
        if desc.encoding != Encoding::Dict {
            return None;
        }
        let offsets = desc.segment(SegmentKind::DictOffsets)?;
        Some((offsets.len / 4).saturating_sub(1))
    }

    pub(crate) fn desc(&self) -> &ChunkDesc {
        &self.inner.desc
    }

    pub(crate) fn region(&self) -> &Arc<Region> {
        &self.inner.backing
    }

    /// The same chunk after its row group was copied elsewhere (vacuum).
    pub(crate) fn moved(&self, backing: Arc<Region>, desc: ChunkDesc) -> ColumnChunk {
        let c = &self.inner;
        ColumnChunk::new(backing, desc, c.ty, c.rows, c.label.clone(), c.path.clone())
    }

    /// Decodes and checks the chunk afresh (no cache): the work of `load` and of
    /// `integrity_check`.
    pub(crate) fn verify(&self) -> Result<Vector> {
        let c = &*self.inner;
        Decoder { c }.decode().map_err(|message| Error::Corrupt {
            path: (*c.path).clone(),
            message: format!("{}: {message}", c.label),
        })
    }
}

struct Decoder<'a> {
    c: &'a ChunkInner,
}

impl Decoder<'_> {
    fn decode(&self) -> Result<Vector, String> {
        let c = self.c;
        let bytes = c.backing.bytes();
        for s in &c.desc.segments {
            let name = s.kind.name();
            let end = s
                .offset
                .checked_add(s.len)
                .filter(|e| *e <= bytes.len() as u64);
            let Some(end) = end else {
                return Err(format!(
                    "truncated: the {name} segment at offset {} needs {} bytes but the file has {}",
                    s.offset,
                    s.len,
                    bytes.len()
                ));
            };
            if crc(&bytes[s.offset as usize..end as usize]) != s.crc {
                return Err(format!(
                    "bad checksum of the {name} segment at offset {}",
                    s.offset
                ));
            }
        }
        let rows = c.rows;
        let validity = match c.desc.segment(SegmentKind::Validity) {
            None => None,
            Some(s) => {
                let bm = Bitmap::new(self.buf::<u64>(s, rows.div_ceil(64))?, rows);
                if bm.null_count() as u64 != c.desc.null_count {
                    return Err(format!(
                        "validity has {} NULLs, the catalog says {}",
                        bm.null_count(),
                        c.desc.null_count
                    ));
                }
                Some(bm)
            }
        };
        let data = match (c.desc.encoding, c.ty.physical()) {
            (Encoding::Plain, PhysicalType::Bool) => {
                let b = self.buf::<u8>(self.seg(SegmentKind::Values)?, rows)?;
                if b.iter().any(|x| *x > 1) {
                    return Err("boolean value other than 0 or 1".into());
                }
                VectorData::Bool(b)
            }
            (Encoding::Plain, PhysicalType::I32) => VectorData::I32(self.values()?),
            (Encoding::Plain, PhysicalType::I64) => VectorData::I64(self.values()?),
            (Encoding::Plain, PhysicalType::I128) => VectorData::I128(self.values()?),
            (Encoding::Plain, PhysicalType::F64) => VectorData::F64(self.values()?),
            (Encoding::Strings, PhysicalType::Str) => {
                VectorData::Str(self.strings(SegmentKind::Offsets, SegmentKind::Bytes, rows)?)
            }
            (Encoding::Dict, PhysicalType::Str) => {
                let codes = self.buf::<u32>(self.seg(SegmentKind::Codes)?, rows)?;
                let dseg = self.seg(SegmentKind::DictOffsets)?;
                let entries = (dseg.len / 4).saturating_sub(1) as usize;
                let dict =
                    self.strings(SegmentKind::DictOffsets, SegmentKind::DictBytes, entries)?;
                for i in 1..entries {
                    if dict.get_bytes(i - 1) >= dict.get_bytes(i) {
                        return Err(format!("dictionary is not strictly sorted at entry {i}"));
                    }
                }
                if let Some(bad) = codes.iter().find(|code| **code as usize >= entries) {
                    return Err(format!("code {bad} is past the {entries}-entry dictionary"));
                }
                VectorData::Dict {
                    codes,
                    dict: Arc::new(dict),
                }
            }
            (e, p) => return Err(format!("encoding {e:?} cannot hold {p:?} values")),
        };
        Ok(Vector {
            ty: c.ty,
            data,
            validity,
        })
    }

    fn seg(&self, kind: SegmentKind) -> Result<&SegmentDesc, String> {
        self.c
            .desc
            .segment(kind)
            .ok_or_else(|| format!("missing {} segment", kind.name()))
    }

    fn values<T: Pod>(&self) -> Result<Buffer<T>, String> {
        self.buf(self.seg(SegmentKind::Values)?, self.c.rows)
    }

    /// `count` values of `T` viewing segment `s`, which must be exactly that long.
    fn buf<T: Pod>(&self, s: &SegmentDesc, count: usize) -> Result<Buffer<T>, String> {
        let name = s.kind.name();
        if Some(s.len) != count.checked_mul(size_of::<T>()).map(|n| n as u64) {
            return Err(format!(
                "{name} segment has {} bytes, expected {count} values",
                s.len
            ));
        }
        let backing: Arc<dyn Backing> = self.c.backing.clone();
        Buffer::from_bytes(backing, s.offset as usize, count)
            .map_err(|e| format!("{name} segment: {e}"))
    }

    /// `count` strings from an offsets and a bytes segment, checked: offsets start at 0, never
    /// decrease, end at the byte length and fall on UTF-8 character boundaries.
    fn strings(
        &self,
        offs: SegmentKind,
        bytes: SegmentKind,
        count: usize,
    ) -> Result<StrData, String> {
        let offsets = self.buf::<u32>(self.seg(offs)?, count + 1)?;
        let bseg = self.seg(bytes)?;
        let bytes = self.buf::<u8>(bseg, bseg.len as usize)?;
        let text =
            std::str::from_utf8(&bytes).map_err(|e| format!("strings are not UTF-8: {e}"))?;
        if offsets[0] != 0 || offsets[count] as usize != bytes.len() {
            return Err("string offsets do not span the string bytes".into());
        }
        let mut prev = 0u32;
        for (i, &o) in offsets.iter().enumerate() {
            if o < prev {
                return Err(format!("string offsets decrease at entry {i}"));
            }
            if o as usize > bytes.len() {
                return Err(format!("string offset {i} is past the string bytes"));
            }
            if !text.is_char_boundary(o as usize) {
                return Err(format!("string offset {i} splits a UTF-8 character"));
            }
            prev = o;
        }
        Ok(StrData { offsets, bytes })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::format::SEGMENT_ALIGN;

    /// A chunk over hand-made segments whose checksums are right, so only the structural
    /// checks can catch what is wrong.
    fn chunk(
        ty: DataType,
        rows: usize,
        encoding: Encoding,
        segs: &[(SegmentKind, Vec<u8>)],
    ) -> ColumnChunk {
        let mut bytes = Vec::new();
        let mut segments = Vec::new();
        for (kind, b) in segs {
            let offset = bytes.len().next_multiple_of(SEGMENT_ALIGN as usize);
            bytes.resize(offset, 0);
            bytes.extend_from_slice(b);
            let (offset, len) = (offset as u64, b.len() as u64);
            segments.push(SegmentDesc {
                kind: *kind,
                offset,
                len,
                crc: crc(b),
            });
        }
        let map = Arc::new(crate::storage::mmap::map_anon(&bytes).unwrap());
        let desc = ChunkDesc {
            encoding,
            null_count: 0,
            min: Value::Null,
            max: Value::Null,
            segments,
        };
        let region = Arc::new(Region { map, _guard: None });
        ColumnChunk::new(
            region,
            desc,
            ty,
            rows,
            "table t column c row group 0".into(),
            Arc::new("x.griz".into()),
        )
    }

    fn u32s(v: &[u32]) -> Vec<u8> {
        v.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn err(c: &ColumnChunk) -> String {
        match c.load() {
            Err(Error::Corrupt { message, .. }) => message,
            other => panic!("expected Corrupt, got {other:?}"),
        }
    }

    #[test]
    fn structure_is_checked_beyond_checksums() {
        use SegmentKind::*;
        let s = |offs: &[u32], bytes: &[u8]| {
            chunk(
                DataType::Varchar,
                offs.len() - 1,
                Encoding::Strings,
                &[(Offsets, u32s(offs)), (Bytes, bytes.to_vec())],
            )
        };
        assert!(s(&[0, 1, 3], b"abc").load().is_ok());
        assert!(err(&s(&[0, 3, 1, 3], b"abc")).contains("decrease"));
        assert!(err(&s(&[0, 1, 4], b"abc")).contains("span"));
        assert!(err(&s(&[0, 1, 3], b"a\xff\xfe")).contains("UTF-8"));
        assert!(err(&s(&[0, 1, 3], "é!".as_bytes())).contains("splits"));
        let d = |codes: &[u32], dict: &[&str]| {
            let mut offs = vec![0u32];
            let mut bytes = Vec::new();
            for s in dict {
                bytes.extend_from_slice(s.as_bytes());
                offs.push(bytes.len() as u32);
            }
            chunk(
                DataType::Varchar,
                codes.len(),
                Encoding::Dict,
                &[
                    (Codes, u32s(codes)),
                    (DictOffsets, u32s(&offs)),
                    (DictBytes, bytes),
                ],
            )
        };
        assert!(d(&[0, 1, 1], &["a", "b"]).load().is_ok());
        assert!(err(&d(&[0, 2], &["a", "b"])).contains("past the 2-entry dictionary"));
        assert!(err(&d(&[0, 1], &["b", "a"])).contains("not strictly sorted"));
        assert!(err(&d(&[0, 1], &["a", "a"])).contains("not strictly sorted"));
        let b = chunk(
            DataType::Boolean,
            2,
            Encoding::Plain,
            &[(Values, vec![1, 2])],
        );
        assert!(err(&b).contains("boolean"));
        let short = chunk(
            DataType::Int64,
            2,
            Encoding::Plain,
            &[(Values, vec![0; 12])],
        );
        assert!(err(&short).contains("expected 2 values"));
        let msg = err(&short);
        assert!(msg.starts_with("table t column c row group 0: "), "{msg}");
    }

    #[test]
    fn checksums_are_checked_once_and_cached() {
        let c = chunk(
            DataType::Int32,
            2,
            Encoding::Plain,
            &[(SegmentKind::Values, vec![1, 0, 0, 0, 2, 0, 0, 0])],
        );
        let v = c.load().unwrap();
        assert_eq!((v.get(0), v.get(1)), (Value::Int32(1), Value::Int32(2)));
        // The cached vector views the same memory (zero-copy, no second decode).
        let again = c.load().unwrap();
        match (&v.data, &again.data) {
            (VectorData::I32(a), VectorData::I32(b)) => assert_eq!(a.as_ptr(), b.as_ptr()),
            _ => unreachable!(),
        }
        let mut bad = c.inner.desc.clone();
        bad.segments[0].crc ^= 1;
        let c2 = ColumnChunk::new(
            c.inner.backing.clone(),
            bad,
            DataType::Int32,
            2,
            "table t column c row group 0".into(),
            Arc::new("x.griz".into()),
        );
        assert!(err(&c2).contains("bad checksum of the values segment"));
    }

    #[test]
    fn column_stats_come_from_zone_maps_and_are_cached_per_version() {
        use crate::storage::format::ROW_GROUP_ROWS;
        use crate::storage::Store;
        use grizzly_ir::catalog::ColumnStats;
        use grizzly_ir::{Catalog, ColumnMeta};
        let col = |name: &str, ty| ColumnMeta {
            name: name.into(),
            ty,
            nullable: true,
        };
        let meta = TableMeta {
            name: "t".into(),
            columns: vec![
                col("k", DataType::Int64),
                col("mode", DataType::Varchar),
                col("text", DataType::Varchar),
                col("day", DataType::Date),
                col("x", DataType::Float64),
            ],
            row_count: 0,
        };
        let n = ROW_GROUP_ROWS + 1000;
        let modes = ["AIR", "MAIL", "RAIL"];
        let rows: Vec<[Value; 5]> = (0..n)
            .map(|i| {
                [
                    Value::Int64(10 + 2 * i as i64),
                    Value::Varchar(modes[i % 3].into()),
                    Value::Varchar(format!("row {i}")),
                    if i % 10 == 0 {
                        Value::Null
                    } else {
                        Value::Date(100 + (i % 50) as i32)
                    },
                    Value::Float64(i as f64 / 2.0),
                ]
            })
            .collect();
        let vectors = (0..5)
            .map(|c| {
                let vals: Vec<Value> = rows.iter().map(|r| r[c].clone()).collect();
                Vector::from_values(meta.columns[c].ty, &vals).unwrap()
            })
            .collect();
        let store = Store::in_memory();
        let mut w = store.begin_write().unwrap();
        w.create_table(meta).unwrap();
        w.append("t", vectors).unwrap();
        w.commit().unwrap();
        let snap = store.snapshot();
        let stats = snap.column_stats("t").unwrap();
        let nulls = n.div_ceil(10) as u64;
        assert_eq!(
            stats,
            vec![
                ColumnStats {
                    min: Value::Int64(10),
                    max: Value::Int64(10 + 2 * (n as i64 - 1)),
                    null_count: 0,
                    // The range overestimates (every other value): bounded by the rows.
                    distinct: Some(n as u64),
                },
                ColumnStats {
                    min: Value::Varchar("AIR".into()),
                    max: Value::Varchar("RAIL".into()),
                    null_count: 0,
                    distinct: Some(3),
                },
                ColumnStats {
                    min: Value::Varchar("row 0".into()),
                    max: Value::Varchar("row 99999".into()),
                    null_count: 0,
                    distinct: None,
                },
                ColumnStats {
                    min: Value::Date(101),
                    max: Value::Date(149),
                    null_count: nulls,
                    distinct: Some(49),
                },
                ColumnStats {
                    min: Value::Float64(0.0),
                    max: Value::Float64((n - 1) as f64 / 2.0),
                    null_count: 0,
                    distinct: None,
                },
            ]
        );
        // Cached: the same allocation until the table changes.
        let t = snap.table("t").unwrap();
        assert!(Arc::ptr_eq(&t.column_stats(), &t.column_stats()));
        let mut w = store.begin_write().unwrap();
        let more = vec![
            Vector::from_values(DataType::Int64, &[Value::Int64(-5)]).unwrap(),
            Vector::from_values(DataType::Varchar, &[Value::Varchar("SHIP".into())]).unwrap(),
            Vector::from_values(DataType::Varchar, &[Value::Null]).unwrap(),
            Vector::from_values(DataType::Date, &[Value::Null]).unwrap(),
            Vector::from_values(DataType::Float64, &[Value::Null]).unwrap(),
        ];
        w.append("t", more).unwrap();
        w.commit().unwrap();
        let after = store.snapshot().column_stats("t").unwrap();
        assert_eq!(after[0].min, Value::Int64(-5));
        // Dictionaries are per row group: their largest is a lower bound ("SHIP" is alone
        // in a row group too small for one).
        assert_eq!(after[1].distinct, Some(3));
        assert_eq!(after[3].null_count, nulls + 1);
        // The old snapshot keeps its own.
        assert_eq!(snap.column_stats("t").unwrap(), stats);
    }
}
