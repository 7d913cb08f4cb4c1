//! Join build sides whose generated code appends each row's key, hash and stored columns
//! for the join's hash table (the build sink): scanned and filtered build sides, rows that
//! outgrow their arrays, duplicate
//! keys (the match count the probing pipeline is sized by), NULL keys, NULL payloads (left
//! to the interpreted build), build sides that probe a join of their own, and errors. Each
//! query runs in both tiers with equal results; expected values are computed here from the
//! data.

mod common;

use common::*;
use grizzly_ir::{ColumnMeta, DataType, TableMeta, Value};
use grizzly_runtime::storage::Store;
use grizzly_runtime::Vector;

/// Adds table `name` with BIGINT/INTEGER columns `(name, nullable, values)` to `s`.
fn add_table(s: &Store, name: &str, columns: &[(&str, DataType, bool, Vec<Value>)]) {
    let meta = TableMeta {
        name: name.into(),
        columns: columns
            .iter()
            .map(|(n, ty, nullable, _)| ColumnMeta {
                name: n.to_string(),
                ty: *ty,
                nullable: *nullable,
            })
            .collect(),
        row_count: 0,
    };
    let vectors = columns
        .iter()
        .map(|(_, ty, _, v)| Vector::from_values(*ty, v).unwrap())
        .collect();
    let mut tx = s.begin_write().unwrap();
    tx.create_table(meta).unwrap();
    tx.append(name, vectors).unwrap();
    tx.commit().unwrap();
}

fn ints(v: impl Iterator<Item = i64>) -> Vec<Value> {
    v.map(Value::Int64).collect()
}

fn int32s(v: impl Iterator<Item = i64>) -> Vec<Value> {
    v.map(|x| Value::Int32(x as i32)).collect()
}

/// `probe(pk, w)`: `probe_rows` rows, `pk = i % keys`, `w = i % 10`; `build(bk, v, seq)`:
/// `build_rows` rows, `bk = (i * 7) % keys`, `v = i % 1000`, `seq = i`.
fn store(probe_rows: i64, build_rows: i64, keys: i64) -> Store {
    let s = Store::in_memory();
    let pk = ints((0..probe_rows).map(|i| i % keys));
    let w = int32s((0..probe_rows).map(|i| i % 10));
    add_table(
        &s,
        "probe",
        &[
            ("pk", DataType::Int64, false, pk),
            ("w", DataType::Int32, false, w),
        ],
    );
    let bk = ints((0..build_rows).map(|i| (i * 7) % keys));
    let v = int32s((0..build_rows).map(|i| i % 1000));
    add_table(
        &s,
        "build",
        &[
            ("bk", DataType::Int64, false, bk),
            ("v", DataType::Int32, false, v),
            ("seq", DataType::Int64, false, ints(0..build_rows)),
        ],
    );
    s
}

/// count(*) and sum of the build values of `probe join build on pk = bk` over `store`'s
/// probe table, where `build` lists the build rows' (key, value) pairs that reach the join.
fn joined(probe_rows: i64, keys: i64, build: impl Iterator<Item = (i64, i64)>) -> (i64, i64) {
    let mut by_key = vec![(0i64, 0i64); keys as usize];
    for (key, value) in build {
        let e = &mut by_key[key as usize];
        e.0 += 1;
        e.1 += value;
    }
    (0..probe_rows).fold((0, 0), |(c, s), i| {
        let (n, v) = by_key[(i % keys) as usize];
        (c + n, s + v)
    })
}

/// The build rows of `store` (key, v) whose index passes `keep`.
fn build_rows(
    rows: i64,
    keys: i64,
    keep: impl Fn(i64) -> bool,
) -> impl Iterator<Item = (i64, i64)> {
    (0..rows)
        .filter(move |i| keep(*i))
        .map(move |i| ((i * 7) % keys, i % 1000))
}

/// count(*) and sum(v) of `probe join build on pk = bk` (rows with `v >= min_v`), as the
/// query prints them.
fn expected(probe_rows: i64, rows: i64, keys: i64, min_v: i64) -> String {
    let build = build_rows(rows, keys, |i| i % 1000 >= min_v);
    match joined(probe_rows, keys, build) {
        (0, _) => "Int64(0) | Null".into(),
        (count, sum) => format!("Int64({count}) | Int64({sum})"),
    }
}

/// Asserts that `sql`'s build side `build` (a description prefix) inserts in compiled code.
fn assert_build_compiled(s: &Store, sql: &str, build: &str) {
    let (c, _) = check(s, sql, &[Value::Int64(0)][..sql.contains("$1") as usize]);
    let described = format!("{:?}", c.pipelines());
    let want = format!("build side compiled: {build}");
    assert!(
        described.contains(&want) && described.contains("hash-join build"),
        "{described}"
    );
}

fn only(rows: &[String]) -> String {
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}

const JOIN: &str = "select count(*), sum(v) from probe join build on pk = bk";

#[test]
fn a_scanned_build_side_inserts_in_generated_code() {
    let s = store(30_000, 5_000, 6_000);
    let rows = check_compiled(&s, JOIN, &[]);
    assert_eq!(only(&rows), expected(30_000, 5_000, 6_000, 0));
    assert_build_compiled(
        &s,
        JOIN,
        "scan build -> hash-join build (1 stored column(s))",
    );
}

#[test]
fn a_filtered_build_side_grows_as_rows_arrive() {
    // 300,000 build rows (three row groups) over 40,000 keys; the filter passes 1% of the
    // first row group and every row after `$1`: the rows' arrays, sized by what the first
    // row group projects, must grow many times within the second (the code stops at a row,
    // the arrays are extended with the rows so far, and the code resumes there); every probe
    // must still find all of its key's rows.
    let (p, b, k) = (400_000i64, 300_000i64, 40_000i64);
    let s = store(p, b, k);
    let sql = "select count(*), sum(v) from probe join build on pk = bk
               where seq % 100 = 0 or seq >= $1";
    assert_build_compiled(
        &s,
        sql,
        "scan build -> 1 pushed filter(s) -> project 2 -> hash-join build",
    );
    for from in [0, 122_880, 200_000, b] {
        let rows = check_compiled(&s, sql, &[Value::Int64(from)]);
        let build = build_rows(b, k, |i| i % 100 == 0 || i >= from);
        let (count, sum) = joined(p, k, build);
        assert_eq!(
            only(&rows),
            format!("Int64({count}) | Int64({sum})"),
            "from {from}"
        );
        // The same rows with a computed key and a computed column: the code writes them
        // (no gather), into arrays that must keep every row as they grow.
        let computed = "select count(*), sum(v2) from probe
                        join (select bk * $2 as k2, v + 1 as v2 from build
                              where seq % 100 = 0 or seq >= $1) q on pk = k2";
        let rows = check_compiled(&s, computed, &[Value::Int64(from), Value::Int64(1)]);
        let plus_one = sum + count;
        assert_eq!(
            only(&rows),
            format!("Int64({count}) | Int64({plus_one})"),
            "computed, from {from}"
        );
    }
}

#[test]
fn duplicate_keys_size_the_probing_sink() {
    // Keys repeat (25 build rows per key) and the probe groups by a build column: each probe
    // row makes up to 25 groups, which the aggregate's table must have room for.
    let (p, b, k) = (30_000, 25_000, 1_000);
    let s = store(p, b, k);
    let sql = "select v, count(*) from probe join build on pk = bk group by v";
    assert_build_compiled(&s, sql, "scan build -> hash-join build");
    let rows = check_compiled(&s, sql, &[]);
    assert_eq!(rows.len(), 1000);
    // Build row i (v = i % 1000) meets the probe rows with pk = (7i) % 1000: 30 of them.
    assert!(
        rows.iter().all(|r| r.ends_with("| Int64(750)")),
        "{:?}",
        &rows[..3]
    );
    // One key with thousands of rows among single ones: its chain is long, the others'
    // are not, and the count of matches is the long one's.
    let s = Store::in_memory();
    add_table(
        &s,
        "probe",
        &[(
            "pk",
            DataType::Int64,
            false,
            ints((0..4_000).map(|i| i % 2_000)),
        )],
    );
    let keys = ints((0..3_000).map(|i| if i % 3 == 0 { 5 } else { i }));
    add_table(
        &s,
        "build",
        &[
            ("bk", DataType::Int64, false, keys),
            ("v", DataType::Int32, false, int32s(0..3_000)),
        ],
    );
    let sql = "select pk, v from probe join build on pk = bk";
    assert_build_compiled(&s, sql, "scan build -> hash-join build");
    let rows = check(&s, sql, &[]).1;
    // Key 5: its own row 5 is not a multiple of 3, plus the 1,000 multiples of 3; the other
    // keys below 2,000 that are not multiples of 3 match themselves; each probe key twice.
    let singles = (0..2_000).filter(|i| i % 3 != 0 && *i != 5).count();
    assert_eq!(rows.len(), 2 * (1_001 + singles));
}

#[test]
fn null_keys_are_left_out_and_null_payloads_fall_back() {
    let s = Store::in_memory();
    add_table(
        &s,
        "probe",
        &[(
            "pk",
            DataType::Int64,
            false,
            ints((0..4_000).map(|i| i % 1_000)),
        )],
    );
    let keys: Vec<Value> = (0..2_000)
        .map(|i| {
            if i % 4 == 0 {
                Value::Null
            } else {
                Value::Int64(i % 1_000)
            }
        })
        .collect();
    let payload: Vec<Value> = (0..2_000)
        .map(|i| {
            if i % 250 == 1 {
                Value::Null
            } else {
                Value::Int32(1)
            }
        })
        .collect();
    add_table(
        &s,
        "build",
        &[
            ("bk", DataType::Int64, true, keys),
            ("v", DataType::Int32, false, int32s(0..2_000)),
            ("n", DataType::Int32, true, payload),
        ],
    );
    // Rows i with i % 4 != 0: 1,500 of them, each meeting its key's four probe rows.
    let sql = "select count(*), sum(v) from probe join build on pk = bk";
    assert_build_compiled(&s, sql, "scan build -> hash-join build");
    let rows = check_compiled(&s, sql, &[]);
    let sum: i64 = (0..2_000).filter(|i| i % 4 != 0).sum();
    assert_eq!(only(&rows), format!("Int64(6000) | Int64({})", 4 * sum));
    // A stored column with NULLs: the interpreted build makes the table (and, since the
    // probing code reads build columns as never NULL, the interpreter runs the join).
    let (c, rows) = check(
        &s,
        "select count(*), sum(n) from probe join build on pk = bk",
        &[],
    );
    assert!(
        c.fallbacks() > 0,
        "a NULL payload was stored by the code: {:?} {:?}",
        c.pipelines(),
        c.skipped()
    );
    let nulls = (0..2_000).filter(|i| i % 4 != 0 && i % 250 == 1).count();
    assert_eq!(
        only(&rows),
        format!("Int64(6000) | Int64({})", 4 * (1500 - nulls))
    );
}

#[test]
fn a_build_side_can_probe_a_join_of_its_own() {
    let s = store(10_000, 4_000, 2_000);
    add_table(
        &s,
        "dim",
        &[
            ("dv", DataType::Int32, false, int32s(0..1_000)),
            (
                "g",
                DataType::Int32,
                false,
                int32s((0..1_000).map(|i| i % 3)),
            ),
        ],
    );
    let sql = "select count(*), sum(g) from probe
               join (select bk, g from build join dim on v = dv where g > 0) q on pk = bk";
    let (c, rows) = check(&s, sql, &[]);
    // dim's g for build row i is (i % 1000) % 3 (dv = v = i % 1000).
    let build = build_rows(4_000, 2_000, |_| true).map(|(key, v)| (key, v % 3));
    let (count, sum) = joined(10_000, 2_000, build.filter(|(_, g)| *g > 0));
    assert_eq!(only(&rows), format!("Int64({count}) | Int64({sum})"));
    assert_eq!(c.fallbacks(), 0);
    assert_build_compiled(
        &s,
        sql,
        "scan build -> probe hash join -> project 2 -> hash-join build",
    );
}

#[test]
fn a_failing_build_key_reports_the_interpreters_error() {
    let s = store(1_000, 1_000, 500);
    // The build key overflows BIGINT for every row but the zeros: both tiers report it.
    let sql = "select count(*) from probe join build on pk = bk * $1";
    let (_, rows) = check(&s, sql, &[Value::Int64(i64::MAX / 2)]);
    assert!(only(&rows).starts_with("error: "), "{rows:?}");
    // Build keys (7i) % 500 cover every key twice; 1,000 probe rows meet two rows each.
    let rows = check_compiled(&s, sql, &[Value::Int64(1)]);
    assert_eq!(only(&rows), "Int64(2000)");
}
