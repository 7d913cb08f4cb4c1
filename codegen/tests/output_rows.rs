//! Output pipelines: a Filter/Project/Join chain over a Scan with no Aggregate on top
//! compiles to code that appends each output row to batch buffers (its morsel row, from
//! which the driver gathers the columns passed through in any type, and the computed
//! values). Each query runs in both tiers with equal rows and types, natively, and some
//! results are checked against the generated data.

mod common;

use common::*;
use grizzly_ir::Value;

/// More passing rows than one output batch holds, in one morsel.
const ROWS: usize = 20_000;

#[test]
fn filtered_rows_pass_columns_of_any_type_through() {
    let s = lineitem_store(ROWS, ROWS, None);
    let cols = lineitem_rows(ROWS, 42, None);
    for qty in [1i64, 2, 25, 51] {
        let sql = "select l_orderkey, l_shipmode, l_returnflag, l_shipdate, l_quantity
                   from lineitem where l_quantity < $1";
        let rows = check_compiled(&s, sql, &[Value::Decimal(qty as i128 * 100, 2)]);
        let expected = (0..ROWS)
            .filter(|&i| matches!(cols[2].get(i), Value::Decimal(q, _) if q < qty as i128 * 100))
            .count();
        assert_eq!(rows.len(), expected, "qty < {qty}");
    }
}

#[test]
fn computed_columns_with_nulls_and_booleans() {
    let s = lineitem_store(ROWS, 999, Some(5));
    let rows = check_compiled(
        &s,
        "select l_orderkey, l_tax * 2 as t, l_tax is null as n, l_extendedprice + l_tax,
                l_linenumber + 1, l_linenumber > 4
         from lineitem where l_linenumber = 3 or l_tax < 0.02",
        &[],
    );
    assert!(rows.iter().any(|r| r.contains("Null")), "some NULL taxes");
    // Only passed-through columns: batches select rows of the morsel's own vectors (whose
    // validity bitmaps slice at multiples of 64 rows).
    for line in 1..=7 {
        let rows = check_compiled(
            &s,
            "select l_tax, l_orderkey from lineitem where l_linenumber = $1 and l_quantity < 30",
            &[Value::Int32(line)],
        );
        assert!(rows.iter().any(|r| r.contains("Null")), "some NULL taxes");
    }
    // Nothing passes; and a filter above a projection.
    let rows = check_compiled(
        &s,
        "select l_orderkey from lineitem where l_quantity > 1000 + l_linenumber",
        &[],
    );
    assert!(rows.is_empty());
    check_compiled(
        &s,
        "select k, v from (select l_orderkey as k, l_quantity * l_discount as v from lineitem)
         where v > 1 and k % 3 = 0",
        &[],
    );
}

#[test]
fn join_outputs_repeat_probe_rows_per_match() {
    let s = lineitem_store(ROWS, ROWS, None);
    // Several build rows per key (line numbers 1 and 2 of each order's rows).
    let rows = check_compiled(
        &s,
        "select a.l_orderkey, a.l_shipmode, b.ln, a.l_quantity + b.ln
         from lineitem a
         join (select l_orderkey as k, l_linenumber as ln from lineitem where l_linenumber <= 2) b
           on a.l_orderkey = b.k
         where a.l_quantity > 40",
        &[],
    );
    assert!(!rows.is_empty());
}

#[test]
fn errors_are_the_interpreters() {
    let s = lineitem_store(ROWS, ROWS, None);
    let (_, rows) = check(
        &s,
        "select l_orderkey * 4611686018427387904 from lineitem where l_linenumber = 2",
        &[],
    );
    assert!(rows[0].starts_with("error: "), "{rows:?}");
}

#[test]
fn rows_under_a_limit_stay_interpreted() {
    let s = lineitem_store(ROWS, ROWS, None);
    let (c, rows) = check(
        &s,
        "select l_orderkey from lineitem where l_quantity < 10 limit 5",
        &[],
    );
    assert_eq!(rows.len(), 5);
    assert!(c.pipelines().is_empty(), "{:?}", c.pipelines());
    assert!(
        c.skipped().iter().any(|(_, why)| why.contains("LIMIT")),
        "{:?}",
        c.skipped()
    );
}
