//! Round trips through the storage engine: every type with NULLs, dictionary and plain strings,
//! empty tables, several row groups, views, reopen; small appends; rollback; vacuum; the
//! in-memory store behaving the same.

#[path = "storage_common.rs"]
mod common;

use common::*;
use grizzly_ir::{Catalog, DataType, Value, ViewMeta};
use grizzly_runtime::storage::{Encoding, Store};
use grizzly_runtime::{Error, Vector};

const BIG: usize = 131_005; // more than one row group (122 880)

fn fill(store: &Store) -> Vec<Vec<Value>> {
    let meta = all_types_meta("t");
    let want = all_types_rows(1, 0, BIG);
    let mut w = store.begin_write().unwrap();
    w.create_table(meta.clone()).unwrap();
    // Three appends of different sizes, the middle one crossing a row-group boundary.
    for (start, n) in [(0, 1000), (1000, 130_000), (131_000, 5)] {
        w.append("t", to_vectors(&meta, &slice_rows(&want, start, n)))
            .unwrap();
    }
    w.create_table(all_types_meta("empty")).unwrap();
    w.create_view(ViewMeta {
        name: "v".into(),
        sql: "SELECT i FROM t".into(),
        column_names: vec!["x".into()],
    })
    .unwrap();
    w.commit().unwrap();
    want
}

fn check(store: &Store, want: &[Vec<Value>]) {
    let snap = store.snapshot();
    assert_eq!(
        snap.table_names(),
        vec!["empty".to_string(), "t".to_string()]
    );
    assert_eq!(snap.view_names(), vec!["v".to_string()]);
    assert_eq!(
        Catalog::view(&*snap, "v").unwrap().column_names,
        vec!["x".to_string()]
    );
    let t = snap.table("t").unwrap();
    assert_eq!(t.meta.row_count, BIG as u64);
    assert_eq!(Catalog::table(&*snap, "t").unwrap().row_count, BIG as u64);
    assert_eq!(
        t.row_groups.iter().map(|g| g.rows).collect::<Vec<_>>(),
        vec![122_880, BIG - 122_880]
    );
    assert_same(&read_table(&snap, "t").unwrap(), want);
    // Encodings and zone maps.
    let rg0 = &t.row_groups[0];
    assert_eq!(rg0.columns[7].encoding(), Encoding::Dict);
    assert_eq!(rg0.columns[8].encoding(), Encoding::Strings);
    assert_eq!(rg0.columns[1].encoding(), Encoding::Plain);
    assert_eq!(rg0.columns[1].zone.min, Value::Int32(0));
    assert_eq!(rg0.columns[1].zone.max, Value::Int32(122_879));
    assert_eq!(rg0.columns[1].zone.null_count, 0);
    assert!(
        rg0.columns[1].load().unwrap().validity.is_none(),
        "no bitmap without NULLs"
    );
    let nulls = want[7][..122_880].iter().filter(|v| v.is_null()).count() as u64;
    assert_eq!(rg0.columns[7].zone.null_count, nulls);
    assert_eq!(rg0.columns[7].zone.min, Value::Varchar("AIR".into()));
    assert_eq!(rg0.columns[7].zone.max, Value::Varchar("TRUCK".into()));
    match &rg0.columns[7].load().unwrap().data {
        grizzly_runtime::VectorData::Dict { dict, .. } => {
            let d: Vec<&str> = (0..dict.len()).map(|i| dict.get(i)).collect();
            assert_eq!(d, vec!["AIR", "MAIL", "RAIL", "SHIP", "TRUCK"]);
        }
        other => panic!("expected a dictionary, got {other:?}"),
    }
    let empty = snap.table("empty").unwrap();
    assert!(empty.row_groups.is_empty());
    assert_eq!(empty.meta.row_count, 0);
    assert_eq!(store.integrity_check().unwrap(), Vec::<String>::new());
}

#[test]
fn every_type_round_trips_through_a_file_and_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("db.griz");
    let store = Store::open(&path).unwrap();
    assert_eq!(store.path(), Some(path.as_path()));
    assert_eq!(store.snapshot().commit_number(), 0);
    let want = fill(&store);
    check(&store, &want);
    let versions: Vec<u64> = ["empty", "t"]
        .iter()
        .map(|n| store.snapshot().table(n).unwrap().schema_version)
        .collect();
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_eq!(store.snapshot().commit_number(), 1);
    check(&store, &want);
    let again: Vec<u64> = ["empty", "t"]
        .iter()
        .map(|n| store.snapshot().table(n).unwrap().schema_version)
        .collect();
    assert_eq!(versions, again);
}

#[test]
fn in_memory_store_behaves_the_same() {
    let store = Store::in_memory();
    assert_eq!(store.path(), None);
    let want = fill(&store);
    check(&store, &want);
    store.vacuum().unwrap();
    check(&store, &want);
}

#[test]
fn schema_versions_change_on_ddl_only() {
    for store in [
        Store::in_memory(),
        Store::open(&tempfile::tempdir().unwrap().keep().join("x.griz")).unwrap(),
    ] {
        let meta = all_types_meta("a");
        let mut w = store.begin_write().unwrap();
        w.create_table(meta.clone()).unwrap();
        w.create_table(all_types_meta("b")).unwrap();
        w.commit().unwrap();
        let v = |n: &str| store.snapshot().table(n).unwrap().schema_version;
        let (a0, b0) = (v("a"), v("b"));
        assert_ne!(a0, b0);
        let mut w = store.begin_write().unwrap();
        w.append("a", to_vectors(&meta, &all_types_rows(2, 0, 10)))
            .unwrap();
        w.commit().unwrap();
        assert_eq!((v("a"), v("b")), (a0, b0));
        let mut w = store.begin_write().unwrap();
        w.drop_table("a").unwrap();
        w.create_table(meta.clone()).unwrap();
        w.commit().unwrap();
        assert_ne!(v("a"), a0);
        assert_eq!(v("b"), b0);
    }
}

#[test]
fn many_small_commits_do_not_make_a_row_group_per_row() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("small.griz");
    let store = Store::open(&path).unwrap();
    let meta = all_types_meta("t");
    let want = all_types_rows(3, 0, 300);
    let mut w = store.begin_write().unwrap();
    w.create_table(meta.clone()).unwrap();
    w.commit().unwrap();
    for r in 0..300 {
        let mut w = store.begin_write().unwrap();
        w.append("t", to_vectors(&meta, &slice_rows(&want, r, 1)))
            .unwrap();
        w.commit().unwrap();
    }
    let groups = store.snapshot().table("t").unwrap().row_groups.len();
    assert!(
        groups <= 9,
        "{groups} row groups for 300 single-row commits"
    );
    assert_same(&read_table(&store.snapshot(), "t").unwrap(), &want);
    // Within one transaction, single-row appends go to one row group.
    let mut w = store.begin_write().unwrap();
    w.create_table(all_types_meta("u")).unwrap();
    for r in 0..300 {
        w.append("u", to_vectors(&meta, &slice_rows(&want, r, 1)))
            .unwrap();
    }
    // The transaction sees its own rows; others do not.
    assert_same(&read_table(&w.snapshot(), "u").unwrap(), &want);
    assert!(store.snapshot().table("u").is_none());
    w.commit().unwrap();
    assert_eq!(store.snapshot().table("u").unwrap().row_groups.len(), 1);
    drop(store);
    // The file stays small: freed space was reused.
    let len = std::fs::metadata(&path).unwrap().len();
    assert!(len < 2 << 20, "file is {len} bytes");
    let store = Store::open(&path).unwrap();
    assert_same(&read_table(&store.snapshot(), "t").unwrap(), &want);
    assert!(store.integrity_check().unwrap().is_empty());
}

#[test]
fn append_checks_schema_and_not_null() {
    let store = Store::in_memory();
    let meta = all_types_meta("t");
    let mut w = store.begin_write().unwrap();
    w.create_table(meta.clone()).unwrap();
    assert!(matches!(
        w.create_table(meta.clone()),
        Err(Error::Execution(_))
    ));
    let mut rows = all_types_rows(4, 0, 3);
    rows[1][2] = Value::Null;
    let err = w.append("t", to_vectors(&meta, &rows)).unwrap_err();
    assert!(err.to_string().contains("\"i\""), "{err}");
    assert!(matches!(w.append("nope", vec![]), Err(Error::Execution(_))));
    let mut short = to_vectors(&meta, &all_types_rows(4, 0, 3));
    short.pop();
    assert!(matches!(w.append("t", short), Err(Error::Execution(_))));
    let mut wrong = to_vectors(&meta, &all_types_rows(4, 0, 3));
    wrong[0] = Vector::from_values(DataType::Int32, &vec![Value::Int32(1); 3]).unwrap();
    assert!(matches!(w.append("t", wrong), Err(Error::Execution(_))));
    assert_eq!(
        w.snapshot().table("t").unwrap().meta.row_count,
        0,
        "failed appends add nothing"
    );
    assert!(matches!(w.drop_table("nope"), Err(Error::Execution(_))));
    assert!(matches!(w.drop_view("nope"), Err(Error::Execution(_))));
}

#[test]
fn replace_and_rollback() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("r.griz");
    let store = Store::open(&path).unwrap();
    let meta = all_types_meta("t");
    let first = all_types_rows(5, 0, 5000);
    let mut w = store.begin_write().unwrap();
    w.create_table(meta.clone()).unwrap();
    w.append("t", to_vectors(&meta, &first)).unwrap();
    w.commit().unwrap();
    let before = store.snapshot();

    // Rolled back and dropped transactions change nothing.
    let mut w = store.begin_write().unwrap();
    w.replace("t", to_vectors(&meta, &all_types_rows(6, 0, 123_000)))
        .unwrap();
    w.drop_table("t").unwrap();
    w.create_view(ViewMeta {
        name: "v".into(),
        sql: "SELECT 1".into(),
        column_names: vec![],
    })
    .unwrap();
    w.rollback();
    let mut w = store.begin_write().unwrap();
    w.append("t", to_vectors(&meta, &first)).unwrap();
    drop(w);
    let after = store.snapshot();
    assert_eq!(after.commit_number(), before.commit_number());
    assert!(after.view_names().is_empty());
    assert_same(&read_table(&after, "t").unwrap(), &first);

    let second = all_types_rows(7, 0, 777);
    let mut w = store.begin_write().unwrap();
    w.replace("t", to_vectors(&meta, &second)).unwrap();
    w.commit().unwrap();
    drop((before, after, store));
    let store = Store::open(&path).unwrap();
    assert_same(&read_table(&store.snapshot(), "t").unwrap(), &second);
}

#[test]
fn vacuum_moves_data_down_and_truncates_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("v.griz");
    let store = Store::open(&path).unwrap();
    let meta = all_types_meta("big");
    let mut w = store.begin_write().unwrap();
    w.create_table(meta.clone()).unwrap();
    w.append("big", to_vectors(&meta, &all_types_rows(8, 0, 50_000)))
        .unwrap();
    w.commit().unwrap();
    let keep = all_types_rows(9, 0, 20_000);
    let mut w = store.begin_write().unwrap();
    w.create_table(all_types_meta("keep")).unwrap();
    w.append("keep", to_vectors(&meta, &keep)).unwrap();
    w.commit().unwrap();
    let full = store.file_len();
    let mut w = store.begin_write().unwrap();
    w.drop_table("big").unwrap();
    w.commit().unwrap();
    // A live snapshot pins the dropped table's space...
    let pinned = store.snapshot();
    store.vacuum().unwrap();
    assert_same(&read_table(&store.snapshot(), "keep").unwrap(), &keep);
    drop(pinned);
    // ...and once it is gone, vacuum moves "keep" down and gives the tail back.
    store.vacuum().unwrap();
    let small = store.file_len();
    assert!(small * 2 < full, "file went from {full} to {small} bytes");
    assert_eq!(std::fs::metadata(&path).unwrap().len(), small);
    assert_same(&read_table(&store.snapshot(), "keep").unwrap(), &keep);
    assert!(store.integrity_check().unwrap().is_empty());
    drop(store);
    let store = Store::open(&path).unwrap();
    assert_same(&read_table(&store.snapshot(), "keep").unwrap(), &keep);
    assert!(store.snapshot().table("big").is_none());
}

#[test]
fn sliced_and_dictionary_inputs_are_accepted() {
    use grizzly_runtime::{StrData, VectorData};
    use std::sync::Arc;
    let store = Store::in_memory();
    let meta = grizzly_ir::TableMeta {
        name: "s".into(),
        columns: vec![
            col("a", DataType::Varchar, true),
            col("n", DataType::Int64, true),
        ],
        row_count: 0,
    };
    let mut w = store.begin_write().unwrap();
    w.create_table(meta.clone()).unwrap();
    let dict = Arc::new(StrData::from_strs(["x", "y", "zz"]));
    let codes: Vec<u32> = (0..1000).map(|i| (i % 3) as u32).collect();
    let valid: Vec<bool> = (0..1000).map(|i| i % 10 != 0).collect();
    let a = Vector {
        ty: DataType::Varchar,
        data: VectorData::Dict {
            codes: codes.into(),
            dict,
        },
        validity: Some(grizzly_runtime::Bitmap::from_bools(valid.iter().copied())),
    };
    let n = Vector::from_values(
        DataType::Int64,
        &(0..1000)
            .map(|i| {
                if i % 10 == 0 {
                    Value::Null
                } else {
                    Value::Int64(i)
                }
            })
            .collect::<Vec<_>>(),
    )
    .unwrap();
    w.append("s", vec![a.slice(128, 500), n.slice(128, 500)])
        .unwrap();
    w.commit().unwrap();
    let got = read_table(&store.snapshot(), "s").unwrap();
    for (r, i) in (128..628).enumerate() {
        let want_a = if i % 10 == 0 {
            Value::Null
        } else {
            Value::Varchar(["x", "y", "zz"][i % 3].into())
        };
        assert_eq!(got[0][r], want_a);
        let want_n = if i % 10 == 0 {
            Value::Null
        } else {
            Value::Int64(i as i64)
        };
        assert_eq!(got[1][r], want_n);
    }
}
