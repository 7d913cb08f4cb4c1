//! The byte layout of a `.griz` file, mirrored one to one from `docs/griz-format.md`, plus the
//! little-endian reader/writer every on-disk structure is built with.

use grizzly_ir::{DataType, Value};

// Mapped segments are viewed in place as native `i32`/`i64`/... slices while the format is
// little-endian; a big-endian port needs a decode step first.
#[cfg(target_endian = "big")]
compile_error!(
    "the .griz format is little-endian and viewed in place: big-endian targets are not supported"
);

/// First 8 bytes of every `.griz` file.
pub const MAGIC: [u8; 8] = *b"GRIZZLY\0";
pub const FORMAT_VERSION: u32 = 1;
/// Unit of allocation; extents are whole pages.
pub const PAGE_SIZE: u64 = 4096;

pub const HEADER_MAGIC_OFFSET: usize = 0;
pub const HEADER_VERSION_OFFSET: usize = 8;
pub const HEADER_PAGE_SIZE_OFFSET: usize = 12;
pub const HEADER_CRC_OFFSET: usize = 16;
pub const HEADER_LEN: usize = 20;

/// Superblock slot `i` lives at `SUPERBLOCK_OFFSETS[i]`; commit `n` uses slot `n % 2`.
pub const SUPERBLOCK_OFFSETS: [u64; 2] = [PAGE_SIZE, 2 * PAGE_SIZE];
pub const SB_MAGIC: [u8; 8] = *b"GRIZSUPR";
pub const SB_MAGIC_OFFSET: usize = 0;
pub const SB_COMMIT_OFFSET: usize = 8;
pub const SB_CATALOG_START_OFFSET: usize = 16;
pub const SB_CATALOG_LEN_OFFSET: usize = 24;
pub const SB_CATALOG_CRC_OFFSET: usize = 32;
pub const SB_FREE_LIST_CRC_OFFSET: usize = 36;
pub const SB_FREE_LIST_START_OFFSET: usize = 40;
pub const SB_FREE_LIST_LEN_OFFSET: usize = 48;
pub const SB_USED_END_OFFSET: usize = 56;
pub const SB_CRC_OFFSET: usize = 64;
pub const SB_LEN: usize = 68;

/// First byte of the extent area (after the header and the two superblocks).
pub const DATA_START: u64 = 3 * PAGE_SIZE;

pub const CATALOG_MAGIC: [u8; 8] = *b"GRIZCTLG";
/// Largest row group; a multiple of the 2048-row batch size.
pub const ROW_GROUP_ROWS: usize = 122_880;
/// Every segment starts at a multiple of this (cache line, SIMD friendly).
pub const SEGMENT_ALIGN: u64 = 64;
/// A string chunk is dictionary-encoded with at most this many distinct values...
pub const DICT_MAX_ENTRIES: usize = 65_536;
/// ...and at most `rows / DICT_MAX_RATIO` of them.
pub const DICT_MAX_RATIO: usize = 4;
/// Longest string kept as a zone-map bound (longer bounds are stored as unknown).
pub const ZONE_MAX_STRING: usize = 64;

/// How a column chunk is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Encoding {
    /// Fixed-width values (`VALUES` segment).
    Plain = 0,
    /// u32 offsets + UTF-8 bytes.
    Strings = 1,
    /// u32 codes into a sorted, duplicate-free dictionary.
    Dict = 2,
}

impl Encoding {
    pub(crate) fn from_u8(b: u8) -> Option<Encoding> {
        Some(match b {
            0 => Encoding::Plain,
            1 => Encoding::Strings,
            2 => Encoding::Dict,
            _ => return None,
        })
    }

    /// The segments a chunk of this encoding has, in order (validity may follow).
    pub(crate) fn segments(self) -> &'static [SegmentKind] {
        use SegmentKind::*;
        match self {
            Encoding::Plain => &[Values],
            Encoding::Strings => &[Offsets, Bytes],
            Encoding::Dict => &[Codes, DictOffsets, DictBytes],
        }
    }
}

/// What a segment of a column chunk holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SegmentKind {
    Values = 0,
    Validity = 1,
    Offsets = 2,
    Bytes = 3,
    Codes = 4,
    DictOffsets = 5,
    DictBytes = 6,
}

impl SegmentKind {
    pub(crate) fn from_u8(b: u8) -> Option<SegmentKind> {
        use SegmentKind::*;
        Some(match b {
            0 => Values,
            1 => Validity,
            2 => Offsets,
            3 => Bytes,
            4 => Codes,
            5 => DictOffsets,
            6 => DictBytes,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        use SegmentKind::*;
        match self {
            Values => "values",
            Validity => "validity",
            Offsets => "offsets",
            Bytes => "bytes",
            Codes => "codes",
            DictOffsets => "dictionary offsets",
            DictBytes => "dictionary bytes",
        }
    }
}

pub(crate) fn crc(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

pub(crate) fn align_up(n: u64, align: u64) -> u64 {
    n.div_ceil(align) * align
}

/// The header page of a new file.
pub(crate) fn encode_header() -> Vec<u8> {
    let mut page = vec![0u8; PAGE_SIZE as usize];
    page[HEADER_MAGIC_OFFSET..HEADER_MAGIC_OFFSET + 8].copy_from_slice(&MAGIC);
    page[HEADER_VERSION_OFFSET..HEADER_VERSION_OFFSET + 4]
        .copy_from_slice(&FORMAT_VERSION.to_le_bytes());
    page[HEADER_PAGE_SIZE_OFFSET..HEADER_PAGE_SIZE_OFFSET + 4]
        .copy_from_slice(&(PAGE_SIZE as u32).to_le_bytes());
    let c = crc(&page[..HEADER_CRC_OFFSET]);
    page[HEADER_CRC_OFFSET..HEADER_CRC_OFFSET + 4].copy_from_slice(&c.to_le_bytes());
    page
}

/// Checks a header page; `Err` carries what is wrong.
pub(crate) fn check_header(page: &[u8]) -> Result<(), String> {
    if page.len() < HEADER_LEN || page[HEADER_MAGIC_OFFSET..HEADER_MAGIC_OFFSET + 8] != MAGIC {
        return Err("not a .griz file (bad magic)".into());
    }
    let stored = u32_at(page, HEADER_CRC_OFFSET);
    if crc(&page[..HEADER_CRC_OFFSET]) != stored {
        return Err("bad checksum of header page 0".into());
    }
    let version = u32_at(page, HEADER_VERSION_OFFSET);
    if version != FORMAT_VERSION {
        return Err(format!(
            "unsupported format version {version} (this build reads version {FORMAT_VERSION})"
        ));
    }
    let page_size = u32_at(page, HEADER_PAGE_SIZE_OFFSET);
    if page_size as u64 != PAGE_SIZE {
        return Err(format!("unsupported page size {page_size}"));
    }
    Ok(())
}

/// One superblock: which commit it is and where its meta extent lies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Superblock {
    pub commit: u64,
    pub catalog_start: u64,
    pub catalog_len: u64,
    pub catalog_crc: u32,
    pub free_list_start: u64,
    pub free_list_len: u64,
    pub free_list_crc: u32,
    pub used_end: u64,
}

impl Superblock {
    pub(crate) fn encode(&self) -> Vec<u8> {
        let mut b = vec![0u8; PAGE_SIZE as usize];
        b[SB_MAGIC_OFFSET..SB_MAGIC_OFFSET + 8].copy_from_slice(&SB_MAGIC);
        put_u64(&mut b, SB_COMMIT_OFFSET, self.commit);
        put_u64(&mut b, SB_CATALOG_START_OFFSET, self.catalog_start);
        put_u64(&mut b, SB_CATALOG_LEN_OFFSET, self.catalog_len);
        put_u32(&mut b, SB_CATALOG_CRC_OFFSET, self.catalog_crc);
        put_u32(&mut b, SB_FREE_LIST_CRC_OFFSET, self.free_list_crc);
        put_u64(&mut b, SB_FREE_LIST_START_OFFSET, self.free_list_start);
        put_u64(&mut b, SB_FREE_LIST_LEN_OFFSET, self.free_list_len);
        put_u64(&mut b, SB_USED_END_OFFSET, self.used_end);
        let c = crc(&b[..SB_CRC_OFFSET]);
        put_u32(&mut b, SB_CRC_OFFSET, c);
        b
    }

    /// Decodes a superblock page; `None` if it is not a valid superblock (torn, zero, bad CRC).
    pub(crate) fn decode(b: &[u8]) -> Option<Superblock> {
        if b.len() < SB_LEN || b[SB_MAGIC_OFFSET..SB_MAGIC_OFFSET + 8] != SB_MAGIC {
            return None;
        }
        if crc(&b[..SB_CRC_OFFSET]) != u32_at(b, SB_CRC_OFFSET) {
            return None;
        }
        Some(Superblock {
            commit: u64_at(b, SB_COMMIT_OFFSET),
            catalog_start: u64_at(b, SB_CATALOG_START_OFFSET),
            catalog_len: u64_at(b, SB_CATALOG_LEN_OFFSET),
            catalog_crc: u32_at(b, SB_CATALOG_CRC_OFFSET),
            free_list_start: u64_at(b, SB_FREE_LIST_START_OFFSET),
            free_list_len: u64_at(b, SB_FREE_LIST_LEN_OFFSET),
            free_list_crc: u32_at(b, SB_FREE_LIST_CRC_OFFSET),
            used_end: u64_at(b, SB_USED_END_OFFSET),
        })
    }
}

fn put_u64(b: &mut [u8], at: usize, v: u64) {
    b[at..at + 8].copy_from_slice(&v.to_le_bytes());
}

fn put_u32(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// The catalog's (tag, precision, scale) for a type; `None` if the format cannot store it.
pub(crate) fn type_tag(ty: DataType) -> Option<(u8, u8, u8)> {
    Some(match ty {
        DataType::Boolean => (0, 0, 0),
        DataType::Int32 => (1, 0, 0),
        DataType::Int64 => (2, 0, 0),
        DataType::Float64 => (3, 0, 0),
        DataType::Decimal { precision, scale } => (4, precision, scale),
        DataType::Date => (5, 0, 0),
        DataType::Varchar => (6, 0, 0),
        #[allow(unreachable_patterns)]
        _ => return None,
    })
}

/// Appends little-endian fields to a byte vector.
#[derive(Default)]
pub(crate) struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub fn u32(&mut self, v: u32) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn u64(&mut self, v: u64) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn i128(&mut self, v: i128) {
        self.buf.extend_from_slice(&v.to_le_bytes());
    }
    pub fn str(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.buf.extend_from_slice(s.as_bytes());
    }
    pub fn value(&mut self, v: &Value) {
        match v {
            Value::Null => self.u8(0),
            Value::Boolean(b) => {
                self.u8(1);
                self.u8(*b as u8)
            }
            Value::Int32(x) => {
                self.u8(2);
                self.u32(*x as u32)
            }
            Value::Int64(x) => {
                self.u8(3);
                self.u64(*x as u64)
            }
            Value::Float64(x) => {
                self.u8(4);
                self.u64(x.to_bits())
            }
            Value::Decimal(x, s) => {
                self.u8(5);
                self.i128(*x);
                self.u8(*s)
            }
            Value::Date(x) => {
                self.u8(6);
                self.u32(*x as u32)
            }
            Value::Varchar(s) => {
                self.u8(7);
                self.str(s)
            }
        }
    }
    pub fn data_type(&mut self, ty: DataType) {
        // Tables with other types are refused at CREATE (see `type_tag`).
        let (tag, p, s) = type_tag(ty).unwrap_or((u8::MAX, 0, 0));
        self.u8(tag);
        self.u8(p);
        self.u8(s);
    }
}

/// Reads little-endian fields from untrusted bytes; every read is bounds-checked and failures
/// say what was being read.
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }
    pub fn bytes(&mut self, n: usize, what: &str) -> Result<&'a [u8], String> {
        if n > self.remaining() {
            return Err(format!("catalog ends inside {what} (at byte {})", self.pos));
        }
        let b = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(b)
    }
    pub fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.bytes(1, what)?[0])
    }
    pub fn u32(&mut self, what: &str) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.bytes(4, what)?.try_into().expect("4 bytes"),
        ))
    }
    pub fn u64(&mut self, what: &str) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.bytes(8, what)?.try_into().expect("8 bytes"),
        ))
    }
    pub fn i128(&mut self, what: &str) -> Result<i128, String> {
        Ok(i128::from_le_bytes(
            self.bytes(16, what)?.try_into().expect("16 bytes"),
        ))
    }
    /// A count of items each at least `min_size` bytes long, checked against what is left so a
    /// corrupt count cannot trigger a huge allocation.
    pub fn count(&mut self, min_size: usize, what: &str) -> Result<usize, String> {
        let n = self.u32(what)? as usize;
        if n.saturating_mul(min_size) > self.remaining() {
            return Err(format!("{what} {n} is larger than the catalog allows"));
        }
        Ok(n)
    }
    pub fn str(&mut self, what: &str) -> Result<String, String> {
        let n = self.u32(what)? as usize;
        let b = self.bytes(n, what)?;
        String::from_utf8(b.to_vec()).map_err(|_| format!("{what} is not UTF-8"))
    }
    pub fn value(&mut self, what: &str) -> Result<Value, String> {
        Ok(match self.u8(what)? {
            0 => Value::Null,
            1 => Value::Boolean(self.u8(what)? != 0),
            2 => Value::Int32(self.u32(what)? as i32),
            3 => Value::Int64(self.u64(what)? as i64),
            4 => Value::Float64(f64::from_bits(self.u64(what)?)),
            5 => {
                let v = self.i128(what)?;
                Value::Decimal(v, self.u8(what)?)
            }
            6 => Value::Date(self.u32(what)? as i32),
            7 => Value::Varchar(self.str(what)?),
            t => return Err(format!("{what} has unknown value tag {t}")),
        })
    }
    pub fn data_type(&mut self, what: &str) -> Result<DataType, String> {
        let tag = self.u8(what)?;
        let precision = self.u8(what)?;
        let scale = self.u8(what)?;
        Ok(match tag {
            0 => DataType::Boolean,
            1 => DataType::Int32,
            2 => DataType::Int64,
            3 => DataType::Float64,
            4 if (1..=grizzly_ir::types::DECIMAL_MAX_PRECISION).contains(&precision)
                && scale <= precision =>
            {
                DataType::Decimal { precision, scale }
            }
            5 => DataType::Date,
            6 => DataType::Varchar,
            _ => {
                return Err(format!(
                    "{what} has an invalid type ({tag}, {precision}, {scale})"
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_and_superblock_round_trip() {
        let h = encode_header();
        assert!(check_header(&h).is_ok());
        let mut bad = h.clone();
        bad[HEADER_VERSION_OFFSET] ^= 1;
        assert!(check_header(&bad).unwrap_err().contains("checksum"));
        let sb = Superblock {
            commit: 7,
            catalog_start: 3 * PAGE_SIZE,
            used_end: 99,
            ..Default::default()
        };
        let b = sb.encode();
        assert_eq!(Superblock::decode(&b), Some(sb));
        let mut torn = b.clone();
        torn[SB_COMMIT_OFFSET] ^= 0x80;
        assert_eq!(Superblock::decode(&torn), None);
    }

    #[test]
    fn reader_rejects_huge_counts() {
        let mut w = Writer::default();
        w.u32(u32::MAX);
        assert!(Reader::new(&w.buf).count(8, "tables").is_err());
    }
}
