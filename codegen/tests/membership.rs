//! IN lists and LIKE in compiled pipelines: integer IN lists compare inline; LIKE and string
//! IN lists on dictionary-encoded columns look up a per-morsel table of the dictionary. Every
//! query runs in both tiers (equal rows and types); the supported ones must run natively,
//! and some counts are checked against the generated data.

mod common;

use common::*;
use grizzly_ir::Value;

const ROWS: usize = 20_000;

/// One append of `ROWS` rows (seed 42, as `lineitem_store` uses for its first chunk).
fn store(nullable_tax: bool) -> grizzly_runtime::storage::Store {
    lineitem_store(ROWS, ROWS, nullable_tax.then_some(7))
}

/// Rows of the generated data whose ship mode satisfies `f`.
fn count_modes(f: impl Fn(&str) -> bool) -> usize {
    let cols = lineitem_rows(ROWS, 42, None);
    (0..ROWS)
        .filter(|&i| matches!(cols[9].get(i), Value::Varchar(s) if f(&s)))
        .count()
}

fn only_count(rows: &[String]) -> String {
    assert_eq!(rows.len(), 1, "{rows:?}");
    rows[0].split(" | ").next().unwrap().to_string()
}

#[test]
fn string_in_lists_use_the_dictionary() {
    let s = store(false);
    let rows = check_compiled(
        &s,
        "select count(*), sum(l_quantity) from lineitem where l_shipmode in ('AIR', 'MAIL')",
        &[],
    );
    let expected = count_modes(|m| m == "AIR" || m == "MAIL");
    assert_eq!(only_count(&rows), format!("Int64({expected})"));
    let rows = check_compiled(
        &s,
        "select count(*) from lineitem where l_shipmode not in ('AIR', 'RAIL', 'NOPE')",
        &[],
    );
    let expected = count_modes(|m| m != "AIR" && m != "RAIL");
    assert_eq!(only_count(&rows), format!("Int64({expected})"));
}

#[test]
fn like_patterns_use_the_dictionary() {
    let s = store(false);
    for (sql, f) in [
        (
            "select count(*) from lineitem where l_shipmode like '%AI%'",
            (|m: &str| m.contains("AI")) as fn(&str) -> bool,
        ),
        (
            "select count(*) from lineitem where l_shipmode not like 'R%'",
            |m: &str| !m.starts_with('R'),
        ),
        (
            "select count(*) from lineitem where l_shipmode ilike 'reg_air'",
            |m: &str| m == "REG AIR",
        ),
    ] {
        let rows = check_compiled(&s, sql, &[]);
        assert_eq!(
            only_count(&rows),
            format!("Int64({})", count_modes(f)),
            "{sql}"
        );
    }
    check_compiled(
        &s,
        "select l_returnflag, count(*), sum(l_extendedprice) from lineitem
         where l_shipmode like '%A%' and l_linestatus = 'F' group by l_returnflag",
        &[],
    );
}

#[test]
fn integer_in_lists_compare_inline() {
    let s = store(false);
    let rows = check_compiled(
        &s,
        "select count(*) from lineitem where l_linenumber in (1, 3, 5)",
        &[],
    );
    // Line numbers cycle 1..=7 by row.
    let expected = (0..ROWS).filter(|i| [0, 2, 4].contains(&(i % 7))).count();
    assert_eq!(only_count(&rows), format!("Int64({expected})"));
    check_compiled(
        &s,
        "select l_linestatus, count(*), sum(l_quantity) from lineitem
         where l_linenumber not in (2, 4) and l_discount in (0.01, 0.05, 0.07)
         group by l_linestatus",
        &[],
    );
    check_compiled(
        &s,
        "select count(*) from lineitem where l_linenumber in ($1, $2)",
        &[Value::Int32(2), Value::Int32(6)],
    );
}

#[test]
fn nulls_in_lists_and_columns_follow_sql() {
    let s = store(true);
    // NULL items: a miss is NULL (filtered out), NOT IN then keeps no row.
    for (sql, params) in [
        (
            "select count(*) from lineitem where l_linenumber in ($1, 3)",
            vec![Value::Null],
        ),
        (
            "select count(*) from lineitem where l_linenumber not in ($1, 3)",
            vec![Value::Null],
        ),
        (
            "select count(*), count(l_tax) from lineitem where l_tax in (0.01, 0.02)",
            vec![],
        ),
        (
            "select count(*) from lineitem where l_tax not in (0.01, 0.02)",
            vec![],
        ),
        (
            "select count(*) from lineitem where l_shipmode in ('AIR', $1)",
            vec![Value::Null],
        ),
        (
            "select count(*) from lineitem where l_shipmode not in ('AIR', $1)",
            vec![Value::Null],
        ),
        (
            "select count(*) from lineitem where (l_tax in (0.01, 0.03)) is null",
            vec![],
        ),
    ] {
        let (_, rows) = check(&s, sql, &params);
        assert_eq!(rows.len(), 1, "{sql}: {rows:?}");
    }
    let (_, rows) = check(
        &s,
        "select count(*) from lineitem where l_linenumber not in ($1, 3)",
        &[Value::Null],
    );
    assert_eq!(only_count(&rows), "Int64(0)");
}
