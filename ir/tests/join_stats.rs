//! Join ordering with column statistics (TPC-H SF1 as the runtime's zone maps describe it):
//! no many-to-many join on a low-cardinality key, no intermediate result larger than
//! lineitem.
mod common;

use std::collections::HashMap;

use common::*;
use grizzly_ir::optimize::estimated_rows;
use grizzly_ir::{explain, optimize, ColumnId, JoinKind, LogicalPlan};

const LINEITEM_ROWS: f64 = 6_001_215.0;

fn optimized(n: u32, cat: &TestCatalog) -> LogicalPlan {
    let plan = plan_of(&tpch_query(n), cat).unwrap_or_else(|e| panic!("q{n}: {e}"));
    optimize(plan, cat).unwrap_or_else(|e| panic!("q{n}: {e}"))
}

/// Column names by id, from every scan in the plan.
fn names(plan: &LogicalPlan, out: &mut HashMap<ColumnId, String>) {
    if let LogicalPlan::Scan { columns, .. } = plan {
        for (_, f) in columns {
            out.insert(f.id, f.name.clone());
        }
    }
    for i in plan.inputs() {
        names(i, out);
    }
}

/// Tables scanned by a plan.
fn tables(plan: &LogicalPlan) -> Vec<String> {
    let mut out = Vec::new();
    if let LogicalPlan::Scan { table, .. } = plan {
        out.push(table.clone());
    }
    for i in plan.inputs() {
        out.extend(tables(i));
    }
    out
}

/// Every inner join of the plan (not of subquery plans): its key column names, the tables
/// of both inputs and its estimated rows.
struct JoinInfo {
    keys: Vec<(String, String)>,
    left: Vec<String>,
    right: Vec<String>,
    rows: f64,
}

fn inner_joins(plan: &LogicalPlan, cat: &TestCatalog) -> Vec<JoinInfo> {
    let mut ids = HashMap::new();
    names(plan, &mut ids);
    let mut out = Vec::new();
    walk(plan, cat, &ids, &mut out);
    out
}

fn walk(
    plan: &LogicalPlan,
    cat: &TestCatalog,
    ids: &HashMap<ColumnId, String>,
    out: &mut Vec<JoinInfo>,
) {
    if let LogicalPlan::Join {
        left,
        right,
        kind: JoinKind::Inner,
        on,
        ..
    } = plan
    {
        let name = |e: &grizzly_ir::Expr| {
            e.columns()
                .iter()
                .map(|id| ids.get(id).cloned().unwrap_or_else(|| format!("#{}", id.0)))
                .collect::<Vec<_>>()
                .join("+")
        };
        out.push(JoinInfo {
            keys: on.iter().map(|(a, b)| (name(a), name(b))).collect(),
            left: tables(left),
            right: tables(right),
            rows: estimated_rows(plan, cat),
        });
    }
    for i in plan.inputs() {
        walk(i, cat, ids, out);
    }
}

const DIMENSIONS: [&str; 2] = ["nation", "region"];

/// Checks that no join is many-to-many on nation/region keys alone (one side must then be
/// made of nation and region only) and that no join's estimate exceeds lineitem's size.
fn assert_sensible(n: u32, cat: &TestCatalog) {
    let plan = optimized(n, cat);
    let text = explain(&plan);
    if std::env::var("SHOW").is_ok() {
        println!("== q{n}\n{text}");
        for j in inner_joins(&plan, cat) {
            println!("{:>12.0} {:?} {:?} {:?}", j.rows, j.keys, j.left, j.right);
        }
    }
    for j in inner_joins(&plan, cat) {
        let low_cardinality = j
            .keys
            .iter()
            .all(|(a, b)| a.ends_with("nationkey") && b.ends_with("nationkey"))
            || j.keys
                .iter()
                .all(|(a, b)| a.ends_with("regionkey") && b.ends_with("regionkey"));
        let dimension_only = |ts: &[String]| ts.iter().all(|t| DIMENSIONS.contains(&t.as_str()));
        assert!(
            !low_cardinality || dimension_only(&j.left) || dimension_only(&j.right),
            "q{n}: many-to-many join on {:?} of {:?} and {:?}:\n{text}",
            j.keys,
            j.left,
            j.right
        );
        assert!(
            j.rows <= LINEITEM_ROWS,
            "q{n}: join of {:?} and {:?} on {:?} estimated at {} rows:\n{text}",
            j.left,
            j.right,
            j.keys,
            j.rows
        );
    }
}

#[test]
fn q5_joins_lineitem_before_matching_nations() {
    let cat = tpch_with_stats();
    assert_sensible(5, &cat);
    let plan = optimized(5, &cat);
    let joins = inner_joins(&plan, &cat);
    // The customer-supplier nation match is part of the join that brings in the supplier
    // for each lineitem, not a join of its own.
    let nation_match = joins
        .iter()
        .find(|j| {
            j.keys
                .iter()
                .any(|k| k == &("c_nationkey".into(), "s_nationkey".into()))
        })
        .unwrap_or_else(|| panic!("no c_nationkey = s_nationkey join:\n{}", explain(&plan)));
    assert!(
        nation_match
            .keys
            .contains(&("l_suppkey".into(), "s_suppkey".into())),
        "{}",
        explain(&plan)
    );
    assert!(nation_match.left.contains(&"lineitem".to_string()));
    assert!(nation_match.right.contains(&"supplier".to_string()));
}

#[test]
fn tpch_join_orders_are_sensible_with_stats() {
    let cat = tpch_with_stats();
    for n in [3, 5, 7, 8, 9, 10, 11, 12, 14, 16, 18, 19] {
        assert_sensible(n, &cat);
    }
}

#[test]
fn tpch_join_orders_are_sensible_without_stats() {
    let cat = tpch();
    for n in [5, 7, 8, 9] {
        assert_sensible(n, &cat);
    }
}

#[test]
fn q8_filters_part_by_type_first() {
    // p_type = '...' keeps 1 of 150 types: part is the most selective input, joined to
    // lineitem before anything else touches lineitem.
    let cat = tpch_with_stats();
    let plan = optimized(8, &cat);
    let joins = inner_joins(&plan, &cat);
    let first_lineitem = joins
        .iter()
        .filter(|j| j.left.contains(&"lineitem".to_string()))
        .min_by_key(|j| j.left.len() + j.right.len())
        .unwrap();
    assert_eq!(
        first_lineitem.right,
        vec!["part".to_string()],
        "{}",
        explain(&plan)
    );
    assert!(first_lineitem.rows < 100_000.0, "{}", first_lineitem.rows);
}

#[test]
fn q9_probes_partsupp_with_the_filtered_lineitems() {
    // (ps_partkey, ps_suppkey) is partsupp's key: each lineitem finds one partsupp row, so
    // lineitem ⋈ partsupp is lineitem-sized, and part's LIKE filter should come first.
    let cat = tpch_with_stats();
    let plan = optimized(9, &cat);
    let joins = inner_joins(&plan, &cat);
    let ps = joins
        .iter()
        .find(|j| {
            j.keys
                .iter()
                .any(|(a, b)| a == "ps_partkey" || b == "ps_partkey")
        })
        .unwrap();
    let with_part = |ts: &[String]| ts.contains(&"part".to_string());
    assert!(
        with_part(&ps.left) || with_part(&ps.right),
        "{}",
        explain(&plan)
    );
}

#[test]
fn estimates_use_column_statistics() {
    let cat = tpch_with_stats();
    let est = |sql: &str| {
        let plan = optimize(plan_of(sql, &cat).unwrap(), &cat).unwrap();
        estimated_rows(&plan, &cat)
    };
    // 1 of 25 nations.
    let one_nation = est("select * from customer where c_nationkey = 7");
    assert!((one_nation - 6_000.0).abs() < 1.0, "{one_nation}");
    // One year of ~6.6: about 15% of orders.
    let year = est(
        "select * from orders where o_orderdate >= date '1994-01-01' and o_orderdate < date '1995-01-01'",
    );
    assert!((200_000.0..250_000.0).contains(&year), "{year}");
    // Outside the value range: (almost) nothing.
    assert!(est("select * from lineitem where l_quantity > 60") <= 1.0);
    // IN list: 2 of 7 ship modes.
    let modes = est("select * from lineitem where l_shipmode in ('MAIL', 'SHIP')");
    assert!((modes - LINEITEM_ROWS * 2.0 / 7.0).abs() < 1.0, "{modes}");
    // Many-to-many on nationkey: 150000 · 10000 / 25.
    let m2m = est("select * from customer, supplier where c_nationkey = s_nationkey");
    assert!((m2m - 60_000_000.0).abs() < 1.0, "{m2m}");
    // Foreign key to key: lineitem's wide l_orderkey range is capped by orders' 1.5M keys.
    let lo = est("select * from lineitem, orders where l_orderkey = o_orderkey");
    assert!((lo - LINEITEM_ROWS).abs() < 1.0, "{lo}");
}
