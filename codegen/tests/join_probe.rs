//! Aggregates over inner hash joins: the scan side probes, inline, a table the driver builds
//! from the join's other side (run by the interpreter). Each query runs in both tiers with
//! equal results; the supported ones natively without a fallback, and some results are
//! checked against values computed here from the data.

mod common;

use common::*;
use grizzly_ir::{ColumnMeta, DataType, TableMeta, Value};
use grizzly_runtime::storage::Store;
use grizzly_runtime::Vector;

const ROWS: usize = 40_000;

/// lineitem (`ROWS` rows, orderkeys 1..=ROWS/4) and `orders(o_orderkey, o_orderdate,
/// o_shippriority, o_clerk, o_note)`: one order per key 1..=ROWS/4 (orderdate 8036 + key %
/// 2000, priority key % 5), plus `extra` duplicates of the first keys (priority 9) and, when
/// `nulls`, some orders with a NULL key or a NULL note.
fn store(extra: i64, nulls: bool) -> Store {
    let store = lineitem_store(ROWS, ROWS, None);
    let meta = TableMeta {
        name: "orders".into(),
        columns: [
            ("o_orderkey", DataType::Int64, nulls),
            ("o_orderdate", DataType::Date, false),
            ("o_shippriority", DataType::Int32, false),
            ("o_clerk", DataType::Varchar, false),
            ("o_note", DataType::Int32, nulls),
        ]
        .iter()
        .map(|(n, ty, nullable)| ColumnMeta {
            name: n.to_string(),
            ty: *ty,
            nullable: *nullable,
        })
        .collect(),
        row_count: 0,
    };
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); 5];
    let orders = (ROWS / 4) as i64;
    let mut push = |key: Value, k: i64, prio: i32, note: Value| {
        cols[0].push(key);
        cols[1].push(Value::Date(8036 + (k % 2000) as i32));
        cols[2].push(Value::Int32(prio));
        cols[3].push(Value::Varchar(format!("Clerk#{}", k % 7)));
        cols[4].push(note);
    };
    for k in 1..=orders {
        let note = if nulls && k % 11 == 0 {
            Value::Null
        } else {
            Value::Int32((k % 3) as i32)
        };
        push(Value::Int64(k), k, (k % 5) as i32, note);
    }
    for k in 1..=extra {
        push(Value::Int64(k), k, 9, Value::Int32(1));
    }
    if nulls {
        for k in 0..50 {
            push(Value::Null, k, 1, Value::Int32(2));
        }
    }
    let vectors = cols
        .iter()
        .zip(&meta.columns)
        .map(|(v, c)| Vector::from_values(c.ty, v).unwrap())
        .collect();
    let mut tx = store.begin_write().unwrap();
    tx.create_table(meta).unwrap();
    tx.append("orders", vectors).unwrap();
    tx.commit().unwrap();
    store
}

fn first(rows: &[String]) -> String {
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].clone()
}

#[test]
fn a_join_feeds_a_single_group() {
    let s = store(0, false);
    let rows = check_compiled(
        &s,
        "select count(*), sum(o_shippriority), sum(l_quantity)
         from lineitem join orders on l_orderkey = o_orderkey",
        &[],
    );
    // Every lineitem row matches its one order; priorities are key % 5, four rows a key.
    let prio: i64 = (1..=(ROWS / 4) as i64).map(|k| 4 * (k % 5)).sum();
    let row = first(&rows);
    assert!(
        row.starts_with(&format!("Int64({ROWS}) | Int64({prio}) | ")),
        "{row}"
    );
}

#[test]
fn group_keys_from_both_sides_like_tpch_q3() {
    let s = store(0, false);
    let rows = check_compiled(
        &s,
        "select l_orderkey, o_orderdate, o_shippriority,
                sum(l_extendedprice * (1 - l_discount)) as revenue, count(*)
         from orders, lineitem
         where l_orderkey = o_orderkey and o_orderdate < date '1995-03-15'
           and l_shipdate > date '1995-03-15'
         group by l_orderkey, o_orderdate, o_shippriority",
        &[],
    );
    assert!(rows.len() > 100, "{}", rows.len());
}

#[test]
fn duplicate_build_keys_match_every_row() {
    let s = store(300, false);
    let rows = check_compiled(
        &s,
        "select o_shippriority, count(*) from lineitem join orders on l_orderkey = o_orderkey
         group by o_shippriority",
        &[],
    );
    // Keys 1..=300 have a second order (priority 9): their four lineitems match it too.
    assert!(
        rows.contains(&"Int32(9) | Int64(1200)".to_string()),
        "{rows:?}"
    );
}

#[test]
fn filters_above_the_join_see_both_sides() {
    let s = store(100, false);
    check_compiled(
        &s,
        "select l_linestatus, count(*), max(o_orderdate)
         from lineitem join orders on l_orderkey = o_orderkey
         where o_shippriority > l_linenumber and l_shipmode in ('AIR', 'MAIL')
         group by l_linestatus",
        &[],
    );
    check_compiled(
        &s,
        "select count(*) from lineitem join orders on l_orderkey = o_orderkey
         where o_orderdate between date '1992-06-01' and date '1993-01-01' + $1",
        &[Value::Int32(30)],
    );
}

#[test]
fn null_keys_match_nothing_and_null_payloads_fall_back() {
    let s = store(10, true);
    // NULL build keys are left out of the table; the payload read has no NULLs.
    check_compiled(
        &s,
        "select count(*), sum(o_shippriority) from lineitem join orders on l_orderkey = o_orderkey",
        &[],
    );
    // o_note has NULLs: the interpreter runs it (same result either way).
    let (_, rows) = check(
        &s,
        "select count(*), sum(o_note) from lineitem join orders on l_orderkey = o_orderkey",
        &[],
    );
    assert_eq!(rows.len(), 1);
}

#[test]
fn string_columns_of_the_build_side_stay_interpreted() {
    let s = store(0, false);
    let (c, _) = check(
        &s,
        "select o_clerk, count(*) from lineitem join orders on l_orderkey = o_orderkey
         group by o_clerk",
        &[],
    );
    assert!(c.pipelines().is_empty(), "{:?}", c.pipelines());
}

#[test]
fn one_probe_row_can_insert_thousands_of_groups() {
    // 3,000 build rows share key 1; each of the four lineitems of order 1 meets all of them,
    // one new group per build row (the table must grow before any row, not within one). The
    // key ranges multiply past the direct-indexed limit, so groups are hashed.
    let s = lineitem_store(ROWS, ROWS, None);
    let keys: Vec<Value> = (0..3000).map(|_| Value::Int64(1)).collect();
    let values: Vec<Value> = (0..3000).map(Value::Int32).collect();
    add_kv_table(&s, "many", &keys, &values);
    let rows = check_compiled(
        &s,
        "select v, l_orderkey, count(*), sum(l_quantity) from lineitem join many on l_orderkey = k
         group by v, l_orderkey",
        &[],
    );
    assert_eq!(rows.len(), 3000);
    assert!(
        rows.iter().all(|r| r.contains("| Int64(4) |")),
        "{:?}",
        &rows[..2]
    );
}

#[test]
fn sparse_build_keys_match_only_their_rows() {
    // {1, 5000, 9999, 10^12}: three of the keys meet four lineitems each, the fourth none.
    let s = lineitem_store(ROWS, ROWS, None);
    let keys = [1i64, 5000, 9999, 1_000_000_000_000].map(Value::Int64);
    let values = [10, 20, 30, 40].map(Value::Int32);
    add_kv_table(&s, "sparse", &keys, &values);
    let rows = check_compiled(
        &s,
        "select count(*), sum(v) from lineitem join sparse on l_orderkey = k",
        &[],
    );
    assert_eq!(first(&rows), "Int64(12) | Int64(240)");
    // Every lineitem meets its one order.
    let rows = check_compiled(
        &store(0, false),
        "select count(*) from lineitem join orders on l_orderkey = o_orderkey",
        &[],
    );
    assert_eq!(first(&rows), format!("Int64({ROWS})"));
}

/// Adds `name(k BIGINT NOT NULL, v INTEGER NOT NULL)` with the given rows to `s`.
fn add_kv_table(s: &Store, name: &str, keys: &[Value], values: &[Value]) {
    let meta = TableMeta {
        name: name.into(),
        columns: [("k", DataType::Int64), ("v", DataType::Int32)]
            .iter()
            .map(|(n, ty)| ColumnMeta {
                name: n.to_string(),
                ty: *ty,
                nullable: false,
            })
            .collect(),
        row_count: 0,
    };
    let mut tx = s.begin_write().unwrap();
    tx.create_table(meta).unwrap();
    tx.append(
        name,
        vec![
            Vector::from_values(DataType::Int64, keys).unwrap(),
            Vector::from_values(DataType::Int32, values).unwrap(),
        ],
    )
    .unwrap();
    tx.commit().unwrap();
}

#[test]
fn build_sides_compile_as_pipelines_of_their_own() {
    let s = store(0, false);
    // A grouped subquery as the join's build side (a projection over an aggregate, which is
    // not a pipeline shape of its own): the driver runs it interpreted.
    let sql = "select count(*), sum(n) from lineitem
               join (select o_orderkey as k, count(*) as n from orders group by o_orderkey) q
               on l_orderkey = k";
    let rows = check_compiled(&s, sql, &[]);
    assert_eq!(first(&rows), format!("Int64({ROWS}) | Int64({ROWS})"));
    // A filtered scan as the build side: an output pipeline.
    let sql = "select count(*), sum(p) from lineitem
               join (select o_orderkey as k, o_shippriority as p from orders
                     where o_shippriority < $1) q
               on l_orderkey = k";
    for limit in [0, 2, 5] {
        let rows = check_compiled(&s, sql, &[Value::Int32(limit)]);
        // Keys 1..=ROWS/4, four lineitem rows each; priority key % 5.
        let keys = (1..=ROWS as i64 / 4).filter(|k| k % 5 < limit as i64);
        let (count, sum) = keys.fold((0, 0), |(c, s), k| (c + 4, s + 4 * (k % 5)));
        let want = if count == 0 {
            "Int64(0) | Null".to_string()
        } else {
            format!("Int64({count}) | Int64({sum})")
        };
        assert_eq!(first(&rows), want, "priority < {limit}");
    }
    let (c, _) = check(&s, sql, &[Value::Int32(2)]);
    let described = format!("{:?}", c.pipelines());
    assert!(
        described.contains("build side compiled: scan orders -> 1 pushed filter(s)"),
        "{described}"
    );
}
