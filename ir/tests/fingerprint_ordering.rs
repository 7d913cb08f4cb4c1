//! Fingerprints of the ordering constructs: an aggregate's ORDER BY, ordered-set aggregates,
//! FETCH ... WITH TIES, GROUPS frames and the newer window functions. Queries that compute
//! different things must not share a fingerprint (the query cache would reuse one's compiled
//! plan for the other); an ORDER BY that cannot change the result is not part of it.
mod common;

use common::*;
use grizzly_ir::{lift, optimize, DataType, Fingerprint, Statement};

fn catalog() -> TestCatalog {
    let mut c = TestCatalog::default();
    c.add_table(
        "t",
        1000,
        &[
            ("a", INT),
            ("k", KEY),
            ("s", TEXT),
            ("f", DataType::Float64),
        ],
    );
    c
}

fn fingerprint(sql: &str) -> (Fingerprint, String) {
    let cat = catalog();
    let bound = bind_sql(sql, &cat).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let Statement::Query(plan) = bound.statement else {
        panic!("{sql}: not a query");
    };
    let plan = optimize(plan, &cat).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let l = lift(&plan, bound.param_types.len());
    (l.fingerprint, l.canonical)
}

/// Every query of `group` has a fingerprint of its own.
fn all_distinct(group: &[&str]) {
    let fps: Vec<_> = group.iter().map(|q| fingerprint(q)).collect();
    for (i, a) in fps.iter().enumerate() {
        for (j, b) in fps.iter().enumerate().skip(i + 1) {
            assert_ne!(a.0, b.0, "{}\n{}\n{}", group[i], group[j], a.1);
        }
    }
}

#[test]
fn aggregate_orderings_are_part_of_the_shape() {
    all_distinct(&[
        "SELECT string_agg(s, ',') FROM t",
        "SELECT string_agg(s, ',' ORDER BY k) FROM t",
        "SELECT string_agg(s, ',' ORDER BY k DESC) FROM t",
        "SELECT string_agg(s, ',' ORDER BY k NULLS FIRST) FROM t",
        "SELECT string_agg(s, ',' ORDER BY a, k) FROM t",
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY a) FROM t",
        "SELECT percentile_disc(0.5) WITHIN GROUP (ORDER BY a DESC) FROM t",
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY a) FROM t",
        "SELECT mode() WITHIN GROUP (ORDER BY a) FROM t",
        "SELECT mode() WITHIN GROUP (ORDER BY a DESC) FROM t",
    ]);
    let (with_key, text) = fingerprint("SELECT string_agg(s, ',' ORDER BY k + 1) FROM t");
    assert!(text.contains(" ORDER BY [(k#"), "{text}");
    // Constants in an ORDER BY key are lifted like any other.
    assert_eq!(
        with_key,
        fingerprint("SELECT string_agg(s, ',' ORDER BY k + 2) FROM t").0
    );
}

#[test]
fn an_order_that_changes_nothing_is_dropped() {
    for (plain, ordered) in [
        (
            "SELECT sum(a) FROM t",
            "SELECT sum(a ORDER BY s DESC) FROM t",
        ),
        (
            "SELECT count(DISTINCT a), max(s) FROM t",
            "SELECT count(DISTINCT a ORDER BY a), max(s ORDER BY k) FROM t",
        ),
        (
            "SELECT string_agg(s, ',') FROM t",
            "SELECT string_agg(s, ',' ORDER BY 1) FROM t",
        ),
    ] {
        assert_eq!(fingerprint(plain), fingerprint(ordered), "{ordered}");
    }
}

#[test]
fn with_ties_and_row_counts_are_part_of_the_shape() {
    all_distinct(&[
        "SELECT a FROM t ORDER BY a LIMIT 2",
        "SELECT a FROM t ORDER BY a FETCH FIRST 2 ROWS WITH TIES",
        "SELECT a FROM t ORDER BY a FETCH FIRST 3 ROWS WITH TIES",
        "SELECT a FROM t ORDER BY a OFFSET 1 ROW FETCH FIRST 2 ROWS WITH TIES",
        "SELECT a FROM t ORDER BY a DESC FETCH FIRST 2 ROWS WITH TIES",
    ]);
    assert_eq!(
        fingerprint("SELECT a FROM t ORDER BY a LIMIT 2"),
        fingerprint("SELECT a FROM t ORDER BY a FETCH FIRST 2 ROWS ONLY")
    );
}

#[test]
fn window_functions_and_frame_units_are_part_of_the_shape() {
    all_distinct(&[
        "SELECT ntile(3) OVER (ORDER BY a) FROM t",
        "SELECT nth_value(a, 3) OVER (ORDER BY a) FROM t",
        "SELECT percent_rank() OVER (ORDER BY a) FROM t",
        "SELECT cume_dist() OVER (ORDER BY a) FROM t",
        "SELECT sum(a) OVER (ORDER BY a ROWS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
        "SELECT sum(a) OVER (ORDER BY a GROUPS BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
        "SELECT sum(a) OVER (ORDER BY a RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) FROM t",
        "SELECT sum(a) OVER (ORDER BY a GROUPS BETWEEN 2 PRECEDING AND CURRENT ROW) FROM t",
    ]);
}
