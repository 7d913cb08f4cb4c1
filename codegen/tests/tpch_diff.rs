//! Differential tests: TPC-H Q1 and Q6 (and variations) compiled vs interpreted.

mod common;

use common::*;
use grizzly_codegen::Compiler;
use grizzly_ir::Value;
use std::sync::Arc;

#[test]
fn q6_matches_the_interpreter() {
    let store = lineitem_store(60_000, 60_000, None);
    let (compiled, rows) = check(&store, Q6, &[]);
    assert_eq!(compiled.pipelines().len(), 1, "{:?}", compiled.skipped());
    assert_eq!(compiled.fallbacks(), 0);
    assert_eq!(rows.len(), 1);
    assert!(!rows[0].contains("Null"), "{rows:?}");
    assert!(compiled.code_bytes() > 0);
    assert!(compiled.clif().contains("function"), "{}", compiled.clif());
}

#[test]
fn q1_matches_the_interpreter() {
    let store = lineitem_store(60_000, 60_000, None);
    let (compiled, rows) = check(&store, Q1, &[]);
    assert_eq!(compiled.pipelines().len(), 1, "{:?}", compiled.skipped());
    assert_eq!(compiled.fallbacks(), 0);
    assert_eq!(rows.len(), 4, "{rows:?}");
}

#[test]
fn many_row_groups() {
    // More than one row group (122,880 rows each), appended in uneven chunks.
    let store = lineitem_store(300_000, 70_000, None);
    let snapshot = store.snapshot();
    assert!(snapshot.table("lineitem").unwrap().row_groups.len() > 1);
    for sql in [Q1, Q6] {
        check_compiled(&store, sql, &[]);
    }
}

#[test]
fn empty_table_and_filters_that_reject_everything() {
    let store = lineitem_store(0, 1, None);
    let rows = check_compiled(&store, Q6, &[]);
    assert_eq!(rows, vec!["Null".to_string()]);
    let rows = check_compiled(&store, Q1, &[]);
    assert!(rows.is_empty());
    let store = lineitem_store(5_000, 5_000, None);
    let rows = check_compiled(
        &store,
        "select count(*), sum(l_quantity), avg(l_discount), min(l_shipdate), max(l_orderkey) \
         from lineitem where l_quantity > 1000",
        &[],
    );
    assert_eq!(rows.len(), 1);
    assert!(rows[0].starts_with("Int64(0) | Null"), "{rows:?}");
    let rows = check_compiled(
        &store,
        "select l_returnflag, count(*) from lineitem where l_returnflag = 'X' group by l_returnflag",
        &[],
    );
    assert!(rows.is_empty());
}

#[test]
fn params_reuse_one_compiled_query() {
    let store = lineitem_store(40_000, 40_000, None);
    let snapshot = store.snapshot();
    let sql = "select sum(l_extendedprice * l_discount) as revenue from lineitem \
               where l_shipdate >= $1 and l_shipdate < $2 \
               and l_discount between $3 and $4 and l_quantity < $5";
    let plan = plan(&snapshot, sql);
    let compiled = Arc::new(Compiler::new().unwrap().compile(&plan).unwrap());
    assert_eq!(compiled.pipelines().len(), 1, "{:?}", compiled.skipped());
    let date = |d: i32| Value::Date(d);
    let dec = |v: i128| Value::Decimal(v, 2);
    for (lo, hi, dlo, dhi, q) in [
        (8766, 9131, 5, 7, 2400),
        (8036, 10561, 0, 10, 5000),
        (9000, 9100, 2, 3, 1000),
        (9500, 9000, 0, 10, 5000),
    ] {
        let params = [date(lo), date(hi), dec(dlo), dec(dhi), dec(q)];
        compare(&snapshot, &plan, &params, &compiled, sql);
    }
    assert_eq!(compiled.fallbacks(), 0);
    // A string parameter compared with a dictionary column, and an integer parameter.
    let sql = "select l_linestatus, count(*), sum(l_linenumber) from lineitem \
               where l_returnflag = $1 and l_linenumber >= $2 group by l_linestatus";
    let plan = plan_of(&snapshot, sql);
    let compiled = Arc::new(Compiler::new().unwrap().compile(&plan).unwrap());
    assert_eq!(compiled.pipelines().len(), 1, "{:?}", compiled.skipped());
    for (flag, n) in [("R", 1), ("N", 3), ("A", 7), ("Z", 1), ("", 0)] {
        let params = [Value::Varchar(flag.into()), Value::Int32(n)];
        compare(&snapshot, &plan, &params, &compiled, sql);
    }
    assert_eq!(compiled.fallbacks(), 0);
}

fn plan_of(s: &grizzly_runtime::storage::Snapshot, sql: &str) -> grizzly_ir::LogicalPlan {
    plan(s, sql)
}

#[test]
fn overflow_is_the_same_error() {
    let store = lineitem_store(10_000, 10_000, None);
    for sql in [
        "select sum(l_orderkey * 4000000000000000000) from lineitem",
        "select sum(l_linenumber * 1000000000) from lineitem where l_linenumber > 2",
        "select count(*) from lineitem where l_orderkey + 9223372036854775000 > 0",
        "select sum(l_extendedprice * 100000000000000.00) from lineitem",
        "select sum(l_orderkey / (l_linenumber - 1)) from lineitem",
        "select count(*) from lineitem where cast(l_orderkey as decimal(5,2)) > 1",
    ] {
        let (c, rows) = check(&store, sql, &[]);
        assert_eq!(c.pipelines().len(), 1, "{sql}: {:?}", c.skipped());
        assert!(rows[0].starts_with("error:"), "{sql}: {rows:?}");
        // The compiled code detected it and let the interpreter report it.
        assert_eq!(c.fallbacks(), 1, "{sql}");
    }
    // The overflowing expression is only reached by rows that pass the filter.
    let rows = check_compiled(
        &store,
        "select sum(l_orderkey * 4000000000000000000) from lineitem where l_orderkey < 0",
        &[],
    );
    assert_eq!(rows, vec!["Null".to_string()]);
}

#[test]
fn grouped_by_integers_min_max_case_and_projections() {
    let store = lineitem_store(50_000, 50_000, None);
    for sql in [
        "select l_linenumber, count(*), count(l_tax), min(l_shipdate), max(l_shipdate), \
         min(l_extendedprice), max(l_quantity), sum(l_linenumber), avg(l_linenumber) \
         from lineitem group by l_linenumber",
        "select l_shipmode, l_returnflag, sum(case when l_discount > 0.05 then l_extendedprice \
         else l_quantity end) from lineitem where l_shipmode <> 'MAIL' and \
         l_shipmode >= 'FOB' group by l_shipmode, l_returnflag",
        "select l, count(*), sum(s) from (select l_linenumber as l, l_linenumber * 2 + 1 as s, \
         l_quantity from lineitem where l_shipdate - date '1995-01-01' > 10) t where s > 4 \
         group by l",
        "select sum(l_orderkey / l_linenumber), sum(l_orderkey % (l_linenumber - 8)), \
         sum(-l_quantity), sum(l_quantity % 7.00) from lineitem",
        "select sum(l_linenumber), count(*) from lineitem where not (l_returnflag = 'R' or \
         l_linenumber < 3) and (l_orderkey % 2 = 0 or l_linenumber = 5)",
        "select l_returnflag, sum(cast(l_linenumber as decimal(12,2)) + l_tax) from lineitem \
         where l_shipmode < 'RAIL' or l_shipmode > 'SHIP' group by l_returnflag",
    ] {
        check_compiled(&store, sql, &[]);
    }
}

#[test]
fn unsupported_pipelines_stay_interpreted() {
    let store = lineitem_store(5_000, 5_000, None);
    let (c, rows) = check(
        &store,
        "select count(*) from lineitem where upper(l_shipmode) like '%AIR%'",
        &[],
    );
    assert!(c.pipelines().is_empty());
    assert!(!c.skipped().is_empty());
    assert!(!rows.is_empty());
    let (c, _) = check(
        &store,
        "select l_shipmode from lineitem order by 1 limit 3",
        &[],
    );
    assert!(c.pipelines().is_empty());
}

#[test]
fn nullable_columns_run_compiled() {
    let store = lineitem_store(20_000, 20_000, Some(7));
    let rows = check_compiled(&store, Q1, &[]);
    assert_eq!(rows.len(), 4);
    let rows = check_compiled(
        &store,
        "select sum(l_tax), count(l_tax), count(*) from lineitem",
        &[],
    );
    // Every 7th l_tax is NULL.
    assert!(rows[0].contains("Int64(17142) | Int64(20000)"), "{rows:?}");
    check_compiled(&store, Q6, &[]);
}
