//! Grouped aggregates whose possible groups (the product of the key ranges) are too many to
//! index directly run on the hash table probed by generated code. Each query runs in both
//! tiers with equal results, natively without a fallback, across several morsels (so the
//! table grows and rehashes between them), and some results are checked against counts
//! known from the data.

mod common;

use common::*;

/// 300,000 rows in one append (three row groups, so three morsels): l_orderkey takes 75,000
/// values, four rows each.
fn store(nullable_tax: bool) -> grizzly_runtime::storage::Store {
    lineitem_store(300_000, 300_000, nullable_tax.then_some(5))
}

#[test]
fn one_key_with_many_groups() {
    let s = store(false);
    let rows = check_compiled(
        &s,
        "select l_orderkey, count(*), sum(l_quantity), min(l_shipdate), max(l_extendedprice),
            avg(l_discount), count(l_tax)
         from lineitem group by l_orderkey",
        &[],
    );
    assert_eq!(rows.len(), 75_000);
    assert!(
        rows.iter().all(|r| r.contains("| Int64(4) |")),
        "{:?}",
        &rows[..3]
    );
}

#[test]
fn two_keys_combine_into_one_group_number() {
    let s = store(false);
    let rows = check_compiled(
        &s,
        "select l_returnflag, l_orderkey, count(*), sum(l_extendedprice)
         from lineitem where l_shipdate >= date '1994-06-01'
         group by l_returnflag, l_orderkey",
        &[],
    );
    assert!(rows.len() > 40_000, "{}", rows.len());
}

#[test]
fn nullable_keys_keep_a_null_group_per_value() {
    let s = store(true);
    let rows = check_compiled(
        &s,
        "select l_orderkey, l_tax, count(*), sum(l_quantity), count(l_tax)
         from lineitem group by l_orderkey, l_tax",
        &[],
    );
    assert!(rows.iter().any(|r| r.contains("Null")));
}

#[test]
fn a_wide_key_range_with_few_groups() {
    let s = store(false);
    // l_extendedprice spans millions of cents; only the values present become groups.
    let rows = check_compiled(
        &s,
        "select l_extendedprice, count(*), min(l_orderkey) from lineitem
         where l_quantity = 7 group by l_extendedprice",
        &[],
    );
    assert!(rows.len() > 1000, "{}", rows.len());
}

#[test]
fn parameters_reuse_the_compiled_hash_aggregate() {
    let s = store(false);
    let snapshot = s.snapshot();
    let sql = "select l_orderkey, count(*), sum(l_quantity) from lineitem
               where l_linenumber <= $1 group by l_orderkey";
    let p = plan(&snapshot, sql);
    let compiled = std::sync::Arc::new(
        grizzly_codegen::Compiler::new()
            .unwrap()
            .compile(&p)
            .unwrap(),
    );
    for limit in [1, 3, 7] {
        let params = [grizzly_ir::Value::Int32(limit)];
        compare(&snapshot, &p, &params, &compiled, sql);
    }
    assert_eq!(compiled.fallbacks(), 0);
}
