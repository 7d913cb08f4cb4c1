//! Damaged files: flipped bytes and truncation anywhere must give `Error::Corrupt` naming the
//! file (from open, from loading a chunk, or as an `integrity_check` problem) or, where the
//! damage hits nothing that is read, the right data. Never a panic.

#[path = "storage_common.rs"]
mod common;

use common::*;
use grizzly_ir::Value;
use grizzly_runtime::storage::format::*;
use grizzly_runtime::storage::Store;
use grizzly_runtime::Error;
use std::path::{Path, PathBuf};

struct Fixture {
    _dir: tempfile::TempDir,
    dir: PathBuf,
    bytes: Vec<u8>,
    /// Table "t" in the latest commit and in the one before (a damaged newest superblock
    /// falls back to it).
    latest: Vec<Vec<Value>>,
    previous: Vec<Vec<Value>>,
}

fn fixture() -> Fixture {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().to_path_buf();
    let path = dir.join("orig.griz");
    let store = Store::open(&path).unwrap();
    let meta = all_types_meta("t");
    let previous = all_types_rows(11, 0, 3000);
    let mut w = store.begin_write().unwrap();
    w.create_table(meta.clone()).unwrap();
    w.append("t", to_vectors(&meta, &previous)).unwrap();
    w.commit().unwrap();
    let mut latest = previous.clone();
    let more = all_types_rows(12, 3000, 4000);
    concat(&mut latest, more.clone());
    let mut w = store.begin_write().unwrap();
    w.append("t", to_vectors(&meta, &more)).unwrap();
    w.commit().unwrap();
    drop(store);
    let bytes = std::fs::read(&path).unwrap();
    Fixture {
        _dir: tmp,
        dir,
        bytes,
        latest,
        previous,
    }
}

#[derive(Debug, PartialEq)]
enum Outcome {
    /// Opened and read everything; which state it showed.
    Latest,
    Previous,
    /// Damage reported as corruption (message).
    Corrupt(String),
}

/// Opens a damaged copy and reads everything, checking every error is `Corrupt` naming it.
fn probe(f: &Fixture, name: &str, bytes: &[u8]) -> Outcome {
    let path = f.dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    let out = probe_path(f, &path);
    std::fs::remove_file(&path).unwrap();
    out
}

fn corrupt_msg(e: Error, path: &Path) -> String {
    match e {
        Error::Corrupt { path: p, message } => {
            assert_eq!(p, path, "Corrupt must name the file");
            message
        }
        other => panic!("expected Error::Corrupt, got {other:?}"),
    }
}

fn probe_path(f: &Fixture, path: &Path) -> Outcome {
    let store = match Store::open(path) {
        Ok(s) => s,
        Err(e) => return Outcome::Corrupt(corrupt_msg(e, path)),
    };
    let problems = store.integrity_check().unwrap();
    for p in &problems {
        assert!(
            p.contains(&*path.to_string_lossy()),
            "problem does not name the file: {p}"
        );
    }
    let snap = store.snapshot();
    let read = read_table(&snap, "t");
    match read {
        Err(e) => {
            let m = corrupt_msg(e, path);
            assert!(
                !problems.is_empty(),
                "load found {m} but integrity_check found nothing"
            );
            Outcome::Corrupt(m)
        }
        Ok(got) if got == f.latest => {
            assert!(problems.is_empty(), "{problems:?}");
            Outcome::Latest
        }
        Ok(got) if got == f.previous => Outcome::Previous,
        Ok(_) => panic!("damaged file read back wrong data without an error"),
    }
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at] ^= 0x5A;
    b
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().unwrap())
}

/// The slot and fields of the newest superblock (read by the documented layout).
fn active_superblock(b: &[u8]) -> usize {
    let commit = |slot: usize| u64_at(b, SUPERBLOCK_OFFSETS[slot] as usize + SB_COMMIT_OFFSET);
    if commit(0) > commit(1) {
        0
    } else {
        1
    }
}

#[test]
fn undamaged_copy_reads_back() {
    let f = fixture();
    assert_eq!(probe(&f, "same.griz", &f.bytes), Outcome::Latest);
}

#[test]
fn damaged_header_is_reported() {
    let f = fixture();
    for at in 0..HEADER_LEN {
        match probe(&f, "h.griz", &flip(&f.bytes, at)) {
            Outcome::Corrupt(m) => assert!(m.contains("magic") || m.contains("header"), "{m}"),
            other => panic!("header byte {at}: {other:?}"),
        }
    }
    let mut text = b"hello, this is not a database".to_vec();
    text.resize(20_000, b'!');
    match probe(&f, "text.griz", &text) {
        Outcome::Corrupt(m) => assert!(m.contains("bad magic"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn damaged_superblocks_fall_back_or_fail() {
    let f = fixture();
    let slot = active_superblock(&f.bytes);
    let base = SUPERBLOCK_OFFSETS[slot] as usize;
    for at in (0..SB_LEN).step_by(3) {
        // The newest superblock torn: the previous commit, intact.
        assert_eq!(
            probe(&f, "sb.griz", &flip(&f.bytes, base + at)),
            Outcome::Previous,
            "byte {at}"
        );
    }
    let other = SUPERBLOCK_OFFSETS[1 - slot] as usize;
    let both = flip(
        &flip(&f.bytes, base + SB_COMMIT_OFFSET),
        other + SB_CRC_OFFSET,
    );
    match probe(&f, "sb2.griz", &both) {
        Outcome::Corrupt(m) => assert!(m.contains("superblock"), "{m}"),
        o => panic!("{o:?}"),
    }
}

#[test]
fn damaged_catalog_and_free_list_are_reported() {
    let f = fixture();
    let base = SUPERBLOCK_OFFSETS[active_superblock(&f.bytes)] as usize;
    let cat = u64_at(&f.bytes, base + SB_CATALOG_START_OFFSET) as usize;
    let cat_len = u64_at(&f.bytes, base + SB_CATALOG_LEN_OFFSET) as usize;
    let fl = u64_at(&f.bytes, base + SB_FREE_LIST_START_OFFSET) as usize;
    for at in [cat, cat + 9, cat + cat_len / 2, cat + cat_len - 1] {
        match probe(&f, "c.griz", &flip(&f.bytes, at)) {
            Outcome::Corrupt(m) => assert!(m.contains("checksum of the catalog"), "{m}"),
            o => panic!("catalog byte {at}: {o:?}"),
        }
    }
    match probe(&f, "fl.griz", &flip(&f.bytes, fl)) {
        Outcome::Corrupt(m) => assert!(m.contains("free list"), "{m}"),
        o => panic!("{o:?}"),
    }
}

#[test]
fn damaged_column_data_names_table_column_and_row_group() {
    let f = fixture();
    // Column i holds 0, 1, 2, ... as i32: find row 5000 (only in the newest row group).
    let needle: Vec<u8> = (5000i32..5004).flat_map(|v| v.to_le_bytes()).collect();
    let at = f
        .bytes
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("column i in the file");
    let path = f.dir.join("data.griz");
    std::fs::write(&path, flip(&f.bytes, at)).unwrap();
    let store = Store::open(&path).unwrap();
    let snap = store.snapshot();
    let t = snap.table("t").unwrap();
    // Other chunks load fine; the damaged one is reported by name.
    assert!(t.row_groups[0].columns[0].load().is_ok());
    let err = t.row_groups[0].columns[1].load().unwrap_err();
    let m = corrupt_msg(err, &path);
    assert!(
        m.contains("bad checksum") && m.contains("table t column i row group 0"),
        "{m}"
    );
    let problems = store.integrity_check().unwrap();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].contains("table t column i row group 0"));
}

#[test]
fn random_flips_never_panic_or_lie() {
    let f = fixture();
    let mut rng = Rng(42);
    let mut detected = 0;
    for _ in 0..150 {
        let at = rng.below(f.bytes.len() as u64) as usize;
        if let Outcome::Corrupt(_) = probe(&f, "r.griz", &flip(&f.bytes, at)) {
            detected += 1;
        }
    }
    assert!(detected > 0);
}

#[test]
fn truncated_files_are_reported() {
    let f = fixture();
    let base = SUPERBLOCK_OFFSETS[active_superblock(&f.bytes)] as usize;
    let used_end = u64_at(&f.bytes, base + SB_USED_END_OFFSET) as usize;
    for len in [
        10,
        4096,
        DATA_START as usize - 1,
        DATA_START as usize,
        used_end / 2,
        used_end - 1,
    ] {
        match probe(&f, "trunc.griz", &f.bytes[..len]) {
            Outcome::Corrupt(m) => {
                assert!(
                    m.contains("truncated") || m.contains("superblock"),
                    "len {len}: {m}"
                )
            }
            o => panic!("len {len}: {o:?}"),
        }
    }
    // Past the last used extent only free space goes.
    assert_eq!(
        probe(&f, "tail.griz", &f.bytes[..used_end]),
        Outcome::Latest
    );
}
