//! The catalog blob: table schemas, row-group directory with chunk descriptors and zone maps,
//! views, and the schema-version counter. Layout in `docs/griz-format.md` ("Catalog").
//!
//! Decoding treats the bytes as untrusted even though their CRC matched: every count, offset
//! and length is checked before anything is built from it.

use super::format::{Encoding, Reader, SegmentKind, Writer, CATALOG_MAGIC, SEGMENT_ALIGN};
use super::space::Extent;
use super::table::Table;
use grizzly_ir::{ColumnMeta, DataType, PhysicalType, TableMeta, Value, ViewMeta};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where one segment of a column chunk lies (absolute offset in its backing) and its CRC.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SegmentDesc {
    pub kind: SegmentKind,
    pub offset: u64,
    pub len: u64,
    pub crc: u32,
}

/// Everything the catalog says about one column chunk.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ChunkDesc {
    pub encoding: Encoding,
    pub null_count: u64,
    pub min: Value,
    pub max: Value,
    pub segments: Vec<SegmentDesc>,
}

impl ChunkDesc {
    pub fn segment(&self, kind: SegmentKind) -> Option<&SegmentDesc> {
        self.segments.iter().find(|s| s.kind == kind)
    }
}

/// A row group as the catalog lists it.
#[derive(Debug, Clone)]
pub(crate) struct RowGroupDesc {
    pub rows: u64,
    pub extent: Extent,
    pub chunks: Vec<ChunkDesc>,
}

#[derive(Debug, Clone)]
pub(crate) struct TableDesc {
    pub meta: TableMeta,
    pub schema_version: u64,
    pub row_groups: Vec<RowGroupDesc>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct CatalogDesc {
    pub next_schema_version: u64,
    pub tables: Vec<TableDesc>,
    pub views: Vec<ViewMeta>,
}

/// Serializes a state's catalog.
pub(crate) fn encode(
    next_schema_version: u64,
    tables: &BTreeMap<String, Arc<Table>>,
    views: &BTreeMap<String, ViewMeta>,
) -> Vec<u8> {
    let mut w = Writer::default();
    w.buf.extend_from_slice(&CATALOG_MAGIC);
    w.u64(next_schema_version);
    w.u32(tables.len() as u32);
    for t in tables.values() {
        w.str(&t.meta.name);
        w.u64(t.schema_version);
        w.u32(t.meta.columns.len() as u32);
        for c in &t.meta.columns {
            w.str(&c.name);
            w.data_type(c.ty);
            w.u8(c.nullable as u8);
        }
        w.u32(t.row_groups.len() as u32);
        for rg in &t.row_groups {
            w.u64(rg.rows as u64);
            w.u64(rg.extent.start);
            w.u64(rg.extent.len);
            for chunk in &rg.columns {
                let d = chunk.desc();
                w.u8(d.encoding as u8);
                w.u64(d.null_count);
                w.value(&d.min);
                w.value(&d.max);
                w.u8(d.segments.len() as u8);
                for s in &d.segments {
                    w.u8(s.kind as u8);
                    w.u64(s.offset);
                    w.u64(s.len);
                    w.u32(s.crc);
                }
            }
        }
    }
    w.u32(views.len() as u32);
    for v in views.values() {
        w.str(&v.name);
        w.str(&v.sql);
        w.u32(v.column_names.len() as u32);
        for n in &v.column_names {
            w.str(n);
        }
    }
    w.buf
}

/// Parses and checks a catalog. `Err` is a message for `Error::Corrupt`.
pub(crate) fn decode(bytes: &[u8]) -> Result<CatalogDesc, String> {
    if bytes.is_empty() {
        return Ok(CatalogDesc {
            next_schema_version: 1,
            ..Default::default()
        });
    }
    let mut r = Reader::new(bytes);
    if r.bytes(8, "catalog magic")? != CATALOG_MAGIC {
        return Err("catalog has a bad magic number".into());
    }
    let next_schema_version = r.u64("next schema version")?;
    let mut tables = Vec::new();
    for _ in 0..r.count(20, "table count")? {
        let name = r.str("table name")?;
        let schema_version = r.u64("schema version")?;
        let mut columns = Vec::new();
        for _ in 0..r.count(8, "column count")? {
            let cname = r.str("column name")?;
            let ty = r.data_type(&format!("type of column {cname}"))?;
            let nullable = r.u8("nullability")? != 0;
            columns.push(ColumnMeta {
                name: cname,
                ty,
                nullable,
            });
        }
        let mut row_groups = Vec::new();
        let mut row_count = 0u64;
        for g in 0..r.count(24, "row group count")? {
            let rows = r.u64("row count")?;
            if rows == 0 || rows > u32::MAX as u64 {
                return Err(format!("table {name} row group {g} has {rows} rows"));
            }
            let extent = Extent {
                start: r.u64("extent start")?,
                len: r.u64("extent length")?,
            };
            let mut chunks = Vec::new();
            for c in &columns {
                let label = format!("table {name} column {} row group {g}", c.name);
                let chunk = read_chunk(&mut r, &label)?;
                check_chunk(&chunk, c.ty, rows, extent).map_err(|m| format!("{label}: {m}"))?;
                chunks.push(chunk);
            }
            row_count = row_count.checked_add(rows).ok_or("row count overflows")?;
            row_groups.push(RowGroupDesc {
                rows,
                extent,
                chunks,
            });
        }
        if tables.iter().any(|t: &TableDesc| t.meta.name == name) {
            return Err(format!("table {name} is listed twice"));
        }
        let meta = TableMeta {
            name,
            columns,
            row_count,
        };
        tables.push(TableDesc {
            meta,
            schema_version,
            row_groups,
        });
    }
    let mut views = Vec::new();
    for _ in 0..r.count(12, "view count")? {
        let name = r.str("view name")?;
        let sql = r.str("view SQL")?;
        let mut column_names = Vec::new();
        for _ in 0..r.count(4, "view column count")? {
            column_names.push(r.str("view column name")?);
        }
        if views.iter().any(|v: &ViewMeta| v.name == name)
            || tables.iter().any(|t| t.meta.name == name)
        {
            return Err(format!("view {name} is listed twice"));
        }
        views.push(ViewMeta {
            name,
            sql,
            column_names,
        });
    }
    if r.remaining() != 0 {
        return Err(format!(
            "{} unexpected bytes after the catalog",
            r.remaining()
        ));
    }
    Ok(CatalogDesc {
        next_schema_version,
        tables,
        views,
    })
}

fn read_chunk(r: &mut Reader<'_>, label: &str) -> Result<ChunkDesc, String> {
    let enc = r.u8(label)?;
    let encoding =
        Encoding::from_u8(enc).ok_or_else(|| format!("{label} has unknown encoding {enc}"))?;
    let null_count = r.u64(label)?;
    let min = r.value(label)?;
    let max = r.value(label)?;
    let n = r.u8(label)?;
    let mut segments = Vec::new();
    for _ in 0..n {
        let k = r.u8(label)?;
        let kind = SegmentKind::from_u8(k)
            .ok_or_else(|| format!("{label} has unknown segment kind {k}"))?;
        segments.push(SegmentDesc {
            kind,
            offset: r.u64(label)?,
            len: r.u64(label)?,
            crc: r.u32(label)?,
        });
    }
    Ok(ChunkDesc {
        encoding,
        null_count,
        min,
        max,
        segments,
    })
}

/// Width of a fixed-width physical type in bytes.
pub(crate) fn width(p: PhysicalType) -> Option<u64> {
    Some(match p {
        PhysicalType::Bool => 1,
        PhysicalType::I32 => 4,
        PhysicalType::I64 | PhysicalType::F64 => 8,
        PhysicalType::I128 => 16,
        PhysicalType::Str => return None,
    })
}

fn zone_fits(v: &Value, ty: DataType) -> bool {
    match (v, ty) {
        (Value::Null, _)
        | (Value::Boolean(_), DataType::Boolean)
        | (Value::Int32(_), DataType::Int32)
        | (Value::Int64(_), DataType::Int64)
        | (Value::Float64(_), DataType::Float64)
        | (Value::Date(_), DataType::Date)
        | (Value::Varchar(_), DataType::Varchar) => true,
        (Value::Decimal(_, s), DataType::Decimal { scale, .. }) => *s == scale,
        _ => false,
    }
}

/// Checks that a chunk descriptor is consistent with its column type, row count and extent:
/// the right segments in the right order, lengths that fit `rows`, aligned offsets inside the
/// row group's extent.
pub(crate) fn check_chunk(
    d: &ChunkDesc,
    ty: DataType,
    rows: u64,
    extent: Extent,
) -> Result<(), String> {
    let p = ty.physical();
    let expect_str = p == PhysicalType::Str;
    match d.encoding {
        Encoding::Plain if expect_str => return Err("plain encoding for a VARCHAR column".into()),
        Encoding::Strings | Encoding::Dict if !expect_str => {
            return Err(format!("string encoding for a {ty} column"))
        }
        _ => {}
    }
    let base = d.encoding.segments();
    let has_validity = d.segments.len() == base.len() + 1;
    if !(d.segments.len() == base.len() || has_validity)
        || d.segments.iter().zip(base).any(|(s, k)| s.kind != *k)
        || (has_validity && d.segments[base.len()].kind != SegmentKind::Validity)
    {
        return Err("unexpected segment list".into());
    }
    if !zone_fits(&d.min, ty) || !zone_fits(&d.max, ty) {
        return Err("zone map bounds of the wrong type".into());
    }
    if d.null_count > rows || (d.null_count > 0) != has_validity {
        return Err(format!(
            "null count {} does not fit {rows} rows",
            d.null_count
        ));
    }
    for s in &d.segments {
        let name = s.kind.name();
        let end = s
            .offset
            .checked_add(s.len)
            .ok_or_else(|| format!("{name} segment overflows"))?;
        if s.offset < extent.start || end > extent.end() {
            return Err(format!(
                "{name} segment {}..{end} lies outside its row group extent {}..{}",
                s.offset,
                extent.start,
                extent.end()
            ));
        }
        if s.offset % SEGMENT_ALIGN != 0 {
            return Err(format!(
                "{name} segment at {} is not {SEGMENT_ALIGN}-byte aligned",
                s.offset
            ));
        }
        let expected = match s.kind {
            SegmentKind::Values => width(p).map(|w| rows * w),
            SegmentKind::Validity => Some(rows.div_ceil(64) * 8),
            SegmentKind::Offsets => Some((rows + 1) * 4),
            SegmentKind::Codes => Some(rows * 4),
            SegmentKind::DictOffsets => {
                if s.len < 8 || s.len % 4 != 0 {
                    return Err(format!("dictionary offsets segment has length {}", s.len));
                }
                None
            }
            SegmentKind::Bytes | SegmentKind::DictBytes => {
                if s.len > u32::MAX as u64 {
                    return Err(format!("{name} segment longer than 4 GiB"));
                }
                None
            }
        };
        if let Some(e) = expected {
            if s.len != e {
                return Err(format!(
                    "{name} segment has {} bytes, expected {e} for {rows} rows",
                    s.len
                ));
            }
        }
    }
    Ok(())
}
