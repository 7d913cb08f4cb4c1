//! NULL semantics of compiled pipelines: validity bitmaps read inline, three-valued logic,
//! aggregates that skip NULLs, NULL group keys. Every query runs in both tiers (equal rows
//! and types, or equal errors); most must also run natively without a fallback, and some
//! results are checked against values computed here from the data.

mod common;

use common::*;
use grizzly_codegen::Compiler;
use grizzly_ir::{ColumnMeta, DataType, TableMeta, Value};
use grizzly_runtime::storage::Store;
use grizzly_runtime::Vector;
use std::sync::Arc;

const DEC: DataType = DataType::Decimal {
    precision: 12,
    scale: 2,
};

/// `t(k INTEGER, g VARCHAR, a BIGINT, b INTEGER, d DECIMAL(12,2), f BOOLEAN, dt DATE,
/// z BIGINT NOT NULL)`; every column but `z` nullable.
fn meta() -> TableMeta {
    let cols = [
        ("k", DataType::Int32),
        ("g", DataType::Varchar),
        ("a", DataType::Int64),
        ("b", DataType::Int32),
        ("d", DEC),
        ("f", DataType::Boolean),
        ("dt", DataType::Date),
        ("z", DataType::Int64),
    ];
    TableMeta {
        name: "t".into(),
        columns: cols
            .iter()
            .map(|(n, ty)| ColumnMeta {
                name: n.to_string(),
                ty: *ty,
                nullable: *n != "z",
            })
            .collect(),
        row_count: 0,
    }
}

/// How a chunk of rows places its NULLs.
#[derive(Clone, Copy, PartialEq)]
enum Nulls {
    /// None at all (the NULL-free loop runs on it).
    None,
    /// A pattern per column.
    Some,
    /// `k`, `a` and `d` entirely NULL (zone maps without bounds), others as `Some`.
    AllKad,
}

/// Row `i` of a chunk: one `Value` per column.
fn row(i: i64, nulls: Nulls) -> [Value; 8] {
    let null = |every: i64, at: i64| match nulls {
        Nulls::None => false,
        _ => i % every == at,
    };
    let all = nulls == Nulls::AllKad;
    let or_null = |is_null: bool, v: Value| if is_null { Value::Null } else { v };
    [
        or_null(all || null(7, 0), Value::Int32((i % 5) as i32)),
        or_null(
            null(4, 1),
            Value::Varchar(["x", "y", "m"][(i % 3) as usize].into()),
        ),
        or_null(all || null(3, 0), Value::Int64(i * 37 % 100 - 20)),
        or_null(null(5, 2), Value::Int32(1 + (i % 9) as i32)),
        or_null(
            all || null(6, 4),
            Value::Decimal((i * 13 % 1000) as i128, 2),
        ),
        or_null(null(10, 3), Value::Boolean(i % 2 == 0)),
        or_null(null(8, 5), Value::Date(9000 + (i % 300) as i32)),
        Value::Int64(i),
    ]
}

/// Decreasing sizes, so each chunk stays a row group of its own.
const CHUNKS: [(i64, Nulls); 3] = [
    (5000, Nulls::Some),
    (300, Nulls::None),
    (200, Nulls::AllKad),
];

/// Every row of the table, in order.
fn all_rows() -> Vec<[Value; 8]> {
    CHUNKS
        .iter()
        .flat_map(|&(n, nulls)| (0..n).map(move |i| row(i, nulls)))
        .collect()
}

/// The table, one row group per chunk (one commit each; a later, smaller commit does not
/// merge into the row group before it).
fn nullable_store() -> Store {
    let store = Store::in_memory();
    let meta = meta();
    let mut tx = store.begin_write().unwrap();
    tx.create_table(meta.clone()).unwrap();
    tx.commit().unwrap();
    for (n, nulls) in CHUNKS {
        let mut tx = store.begin_write().unwrap();
        let rows: Vec<[Value; 8]> = (0..n).map(|i| row(i, nulls)).collect();
        let columns: Vec<Vector> = meta
            .columns
            .iter()
            .enumerate()
            .map(|(c, m)| {
                let values: Vec<Value> = rows.iter().map(|r| r[c].clone()).collect();
                Vector::from_values(m.ty, &values).expect("values fit")
            })
            .collect();
        tx.append("t", columns).unwrap();
        tx.commit().unwrap();
    }
    store
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int64(x) => Some(*x),
        Value::Int32(x) => Some(*x as i64),
        _ => None,
    }
}

#[test]
fn aggregates_skip_nulls() {
    let store = nullable_store();
    assert_eq!(store.snapshot().table("t").unwrap().row_groups.len(), 3);
    let rows = check_compiled(
        &store,
        "select count(*), count(a), sum(a), min(a), max(a), count(d), sum(d), avg(b), \
         min(dt), max(dt) from t",
        &[],
    );
    let data = all_rows();
    let a: Vec<i64> = data.iter().filter_map(|r| int(&r[2])).collect();
    let expected = format!(
        "Int64({}) | Int64({}) | Int64({}) | Int64({}) | Int64({})",
        data.len(),
        a.len(),
        a.iter().sum::<i64>(),
        a.iter().min().unwrap(),
        a.iter().max().unwrap()
    );
    assert!(rows[0].starts_with(&expected), "{rows:?} vs {expected}");
    // Aggregates over NULLs only: NULL, and COUNT 0.
    let rows = check_compiled(
        &store,
        "select count(*), count(a), sum(a), min(a), max(a), avg(a) from t where a is null",
        &[],
    );
    let nulls = data.len() - a.len();
    assert_eq!(
        rows,
        vec![format!(
            "Int64({nulls}) | Int64(0) | Null | Null | Null | Null"
        )]
    );
    check_compiled(
        &store,
        "select count(a), sum(a), min(d) from t where z < 300",
        &[],
    );
    let rows = check_compiled(
        &store,
        "select count(g), count(*) from t where g is null",
        &[],
    );
    let n = data.iter().filter(|r| r[1].is_null()).count();
    assert_eq!(rows, vec![format!("Int64(0) | Int64({n})")]);
}

#[test]
fn null_group_keys_form_their_own_group() {
    let store = nullable_store();
    let rows = check_compiled(
        &store,
        "select k, count(*), count(a), sum(a), min(b), max(dt), avg(d) from t group by k",
        &[],
    );
    // Five values and the NULL group.
    assert_eq!(rows.len(), 6, "{rows:?}");
    let null_k = all_rows().iter().filter(|r| r[0].is_null()).count();
    assert!(
        rows.iter()
            .any(|r| r.starts_with(&format!("Null | Int64({null_k}) |"))),
        "{rows:?}"
    );
    for sql in [
        "select g, count(*), count(b), sum(b) from t group by g",
        "select k, g, count(*), sum(d), max(a) from t group by k, g",
        "select k, sum(a) from t where a is null group by k",
        "select g, k, count(a) from t where k is null or g is null group by g, k",
    ] {
        check_compiled(&store, sql, &[]);
    }
}

#[test]
fn filters_keep_only_true_rows() {
    let store = nullable_store();
    let data = all_rows();
    let rows = check_compiled(&store, "select count(*) from t where a > 5", &[]);
    let n = data
        .iter()
        .filter(|r| int(&r[2]).is_some_and(|a| a > 5))
        .count();
    assert_eq!(rows, vec![format!("Int64({n})")]);
    let rows = check_compiled(&store, "select count(*) from t where not (a > 5)", &[]);
    let n = data
        .iter()
        .filter(|r| int(&r[2]).is_some_and(|a| a <= 5))
        .count();
    assert_eq!(rows, vec![format!("Int64({n})")]);
    for sql in [
        "select count(*) from t where a > 5 or b < 3",
        "select count(*) from t where a > 5 and b < 3",
        "select count(*) from t where not (a > 5 and b < 3)",
        "select count(*) from t where not (a > 5 or b < 3)",
        "select count(*) from t where f",
        "select count(*) from t where not f",
        "select count(*) from t where f is null",
        "select count(*) from t where f or a > 10",
        "select count(*) from t where a is not null and d is null",
        "select count(*) from t where g = 'x'",
        "select count(*) from t where g <> 'x'",
        "select count(*) from t where g < 'n' or g > 'x'",
        "select count(*) from t where not (g = 'y')",
        "select count(*) from t where dt between date '1994-09-01' and date '1994-12-01'",
        "select count(*) from t where (a > 5 or b < 3) is null",
        "select count(*) from t where a = null",
        "select count(*) from t where a + b > 20 and a * b < 400",
    ] {
        check_compiled(&store, sql, &[]);
    }
}

#[test]
fn kleene_logic_case_and_coalesce() {
    let store = nullable_store();
    for sql in [
        "select sum(case when a > 5 and b < 3 then 1 else 0 end), \
         sum(case when a > 5 or b < 3 then 1 else 0 end), \
         sum(case when (a > 5 and b < 3) is null then 1 else 0 end), \
         sum(case when (a > 5 or b < 3) is null then 1 else 0 end), \
         sum(case when not (a > 5 or f) then 1 else 0 end) from t",
        "select sum(case when f then 1 when not f then 2 else 3 end) from t",
        "select sum(case when a > 5 then b end), count(case when a > 5 then b end), \
         min(case when b > 3 then a else null end) from t",
        "select sum(coalesce(a, b, 0)), sum(coalesce(a, z)), count(coalesce(b, a)), \
         count(coalesce(a, b)) from t",
        "select k, sum(coalesce(d, 1.50)), max(coalesce(dt, date '1990-01-01')) from t group by k",
        "select count(*) from t where coalesce(f, a > 0)",
        "select count(*) from t where coalesce(a, -1) < 0",
        // AND/OR whose right side can fail: evaluated only where the left does not decide.
        "select count(*) from t where (b > 4 and z / b > 10) or (a is null and z % b = 1)",
    ] {
        check_compiled(&store, sql, &[]);
    }
    // Kleene truth table against constants.
    let rows = check_compiled(
        &store,
        "select count(case when (a > 1000) and (b is null) then 1 end), \
         count(case when (a < 1000) or (b > 1000) then 1 end), \
         count(case when not (a < 1000) then 1 end) from t",
        &[],
    );
    let data = all_rows();
    let with_a = data.iter().filter(|r| !r[2].is_null()).count();
    assert_eq!(rows, vec![format!("Int64(0) | Int64({with_a}) | Int64(0)")]);
}

#[test]
fn arithmetic_on_nulls_raises_no_errors() {
    let store = nullable_store();
    // NULL divisors hold 0 in storage: dividing by them is not an error.
    for sql in [
        "select sum(a + b), sum(a * 2 - b), sum(z / b), sum(z % b), sum(-a) from t",
        "select sum(cast(b as decimal(12,2)) + d), sum(d * d) from t",
        "select sum(z / (b - b)) from t where b is null",
        "select sum(a * 4000000000000000000) from t where a is null or a = 0",
        "select sum(x) from (select a * 2 as x, b from t where b > 1) q where x > 4",
    ] {
        check_compiled(&store, sql, &[]);
    }
    // Errors on non-NULL rows stay errors (reported by the interpreter).
    for sql in [
        "select sum(z / (b - b)) from t",
        "select sum(a * 4000000000000000000) from t",
    ] {
        let (c, rows) = check(&store, sql, &[]);
        assert_eq!(c.pipelines().len(), 1, "{sql}: {:?}", c.skipped());
        assert!(rows[0].starts_with("error:"), "{sql}: {rows:?}");
    }
}

#[test]
fn parameters_and_null_parameters() {
    let store = nullable_store();
    let snapshot = store.snapshot();
    let compile = |sql: &str| {
        let plan = plan(&snapshot, sql);
        let compiled = Arc::new(Compiler::new().unwrap().compile(&plan).unwrap());
        assert_eq!(compiled.pipelines().len(), 1, "{:?}", compiled.skipped());
        (plan, compiled)
    };
    let sql = "select k, count(*), sum(a), sum(b + $2) from t where a > $1 group by k";
    let (p, compiled) = compile(sql);
    for params in [
        [Value::Int64(5), Value::Int32(1)],
        [Value::Int64(-100), Value::Null],
        // A NULL parameter runs the NULL-aware loop on every row group.
        [Value::Null, Value::Int32(1)],
    ] {
        compare(&snapshot, &p, &params, &compiled, sql);
    }
    assert_eq!(compiled.fallbacks(), 0);
    let rows = compare(
        &snapshot,
        &p,
        &[Value::Null, Value::Int32(1)],
        &compiled,
        sql,
    );
    assert!(rows.is_empty(), "{rows:?}");
    let sql = "select count(*), sum(z + $1), count(case when $2 then 1 end) from t \
               where coalesce(a, $1) < 10";
    let (p, compiled) = compile(sql);
    let rows = compare(&snapshot, &p, &[Value::Null, Value::Null], &compiled, sql);
    let n = all_rows()
        .iter()
        .filter(|r| int(&r[2]).is_some_and(|a| a < 10))
        .count();
    assert_eq!(rows, vec![format!("Int64({n}) | Null | Int64(0)")]);
    compare(
        &snapshot,
        &p,
        &[Value::Int64(3), Value::Boolean(true)],
        &compiled,
        sql,
    );
    assert_eq!(compiled.fallbacks(), 0);

    // A schema without nullable columns has no NULL-aware loop: the interpreter runs it.
    let store = lineitem_store(1_000, 1_000, None);
    let snapshot = store.snapshot();
    let sql = "select count(*) from lineitem where l_orderkey > $1";
    let p = plan(&snapshot, sql);
    let compiled = Arc::new(Compiler::new().unwrap().compile(&p).unwrap());
    compare(&snapshot, &p, &[Value::Null], &compiled, sql);
    assert_eq!(compiled.fallbacks(), 1);
}

#[test]
fn not_null_schemas_get_one_loop() {
    // Without nullable columns there is no NULL-aware loop (and so no validity load).
    let store = lineitem_store(1_000, 1_000, None);
    let (c, _) = check(&store, Q1, &[]);
    // One shift: the hash-table probe of the one loop (no validity bit is extracted).
    assert_eq!(c.clif().matches("ushr").count(), 1, "{}", c.clif());
    let nullable = nullable_store();
    let (c, _) = check(&nullable, "select sum(a) from t", &[]);
    assert!(c.clif().contains("ushr"), "{}", c.clif());
}
