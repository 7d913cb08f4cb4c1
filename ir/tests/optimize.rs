//! Optimizer passes and EXPLAIN output.
mod common;

use common::*;
use grizzly_ir::{explain, optimize, optimize_with_trace, Expr, JoinKind, LogicalPlan};

fn optimized(sql: &str) -> LogicalPlan {
    let cat = tpch();
    let plan = plan_of(sql, &cat).unwrap_or_else(|e| panic!("{sql}: {e}"));
    optimize(plan, &cat).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn explained(sql: &str) -> String {
    explain(&optimized(sql))
}

/// Every Join node, with subquery plans included.
fn joins(plan: &LogicalPlan, out: &mut Vec<(JoinKind, usize, bool)>) {
    if let LogicalPlan::Join {
        kind, on, filter, ..
    } = plan
    {
        out.push((*kind, on.len(), filter.is_some()));
    }
    plan.for_each_expr(|e| e.for_each_subquery(&mut |p| joins(p, out)));
    for i in plan.inputs() {
        joins(i, out);
    }
}

#[test]
fn tpch_joins_have_no_cross_products() {
    let cat = tpch();
    for n in [2u32, 3, 5, 7, 8, 9, 10, 11, 12, 14, 15, 16, 18, 19] {
        let Ok(plan) = plan_of(&tpch_query(n), &cat) else {
            continue;
        };
        let plan = optimize(plan, &cat).unwrap();
        let mut js = Vec::new();
        joins(&plan, &mut js);
        assert!(!js.is_empty(), "q{n} has joins");
        for (kind, keys, _) in js {
            assert!(
                keys > 0,
                "q{n}: {kind:?} join without keys:\n{}",
                explain(&plan)
            );
        }
    }
}

#[test]
fn hash_build_side_is_the_smaller_input() {
    // Q3: lineitem (largest) probes; the customer/orders side is built.
    let text = explained(&tpch_query(3));
    let lines: Vec<&str> = text.lines().collect();
    let join = lines
        .iter()
        .position(|l| l.trim_start().starts_with("Join:"))
        .unwrap();
    // (Below a Project dropping l_shipdate, which only the scan's filter reads.)
    let probe = lines[join + 1..]
        .iter()
        .find(|l| !l.trim_start().starts_with("Project:"))
        .unwrap();
    assert!(probe.trim_start().starts_with("Scan lineitem"), "{text}");
}

#[test]
fn q1_golden() {
    assert_eq!(
        explained(&tpch_query(1)),
        "\
Sort: l_returnflag ASC NULLS LAST, l_linestatus ASC NULLS LAST
  Project: l_returnflag, l_linestatus, sum(l_quantity) AS sum_qty, sum(l_extendedprice) AS sum_base_price, sum(l_extendedprice * (1.00 - CAST(l_discount AS DECIMAL(16,2)))) AS sum_disc_price, sum(l_extendedprice * (1.00 - CAST(l_discount AS DECIMAL(16,2))) * (1.00 + CAST(l_tax AS DECIMAL(16,2)))) AS sum_charge, avg(l_quantity) AS avg_qty, avg(l_extendedprice) AS avg_price, avg(l_discount) AS avg_disc, count(*) AS count_order
    Aggregate: group=[l_returnflag, l_linestatus] aggs=[sum(l_quantity), sum(l_extendedprice), sum(l_extendedprice * (1.00 - CAST(l_discount AS DECIMAL(16,2)))), sum(l_extendedprice * (1.00 - CAST(l_discount AS DECIMAL(16,2))) * (1.00 + CAST(l_tax AS DECIMAL(16,2)))), avg(l_quantity), avg(l_extendedprice), avg(l_discount), count(*)]
      Scan lineitem [l_quantity, l_extendedprice, l_discount, l_tax, l_returnflag, l_linestatus, l_shipdate] filter=[l_shipdate <= DATE '1998-09-02']
"
    );
}

#[test]
fn q6_golden() {
    assert_eq!(
        explained(&tpch_query(6)),
        "\
Project: sum(l_extendedprice * l_discount) AS revenue
  Aggregate: group=[] aggs=[sum(l_extendedprice * l_discount)]
    Scan lineitem [l_quantity, l_extendedprice, l_discount, l_shipdate] filter=[l_shipdate >= DATE '1994-01-01', l_shipdate < DATE '1995-01-01', l_discount >= 0.05, l_discount <= 0.07, l_quantity < 24.00]
"
    );
}

/// Without column statistics (this catalog has none) the nation match between customer and
/// supplier still waits for lineitem: joining them first is many-to-many (12M rows at SF1).
#[test]
fn q5_golden() {
    assert_eq!(
        explained(&tpch_query(5)),
        "\
Sort: revenue DESC NULLS FIRST
  Project: n_name, sum(l_extendedprice * (1.00 - CAST(l_discount AS DECIMAL(16,2)))) AS revenue
    Aggregate: group=[n_name] aggs=[sum(l_extendedprice * (1.00 - CAST(l_discount AS DECIMAL(16,2))))]
      Join: Inner on=[l_suppkey = s_suppkey, c_nationkey = s_nationkey]
        Project: l_suppkey, l_extendedprice, l_discount, c_nationkey
          Join: Inner on=[l_orderkey = o_orderkey]
            Scan lineitem [l_orderkey, l_suppkey, l_extendedprice, l_discount]
            Project: o_orderkey, c_nationkey
              Join: Inner on=[o_custkey = c_custkey]
                Project: o_orderkey, o_custkey
                  Scan orders [o_orderkey, o_custkey, o_orderdate] filter=[o_orderdate >= DATE '1994-01-01', o_orderdate < DATE '1995-01-01']
                Scan customer [c_custkey, c_nationkey]
        Join: Inner on=[s_nationkey = n_nationkey]
          Scan supplier [s_suppkey, s_nationkey]
          Join: Inner on=[n_regionkey = r_regionkey]
            Scan nation [n_nationkey, n_name, n_regionkey]
            Scan region [r_regionkey, r_name] filter=[r_name = 'ASIA']
"
    );
}

#[test]
fn subquery_golden() {
    assert_eq!(
        explained(
            "select n_name from nation where n_regionkey in (select r_regionkey from region where r_name = 'ASIA') order by n_name"
        ),
        "\
Sort: n_name ASC NULLS LAST
  Project: n_name
    Filter: n_regionkey IN (subquery #1)
      Subquery #1:
        Project: r_regionkey
          Scan region [r_regionkey, r_name] filter=[r_name = 'ASIA']
      Scan nation [n_name, n_regionkey]
"
    );
}

#[test]
fn trace_shows_each_pass() {
    let cat = tpch();
    let plan = plan_of(&tpch_query(3), &cat).unwrap();
    let trace = optimize_with_trace(plan, &cat).unwrap();
    let names: Vec<&str> = trace.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(
        names,
        vec![
            "unoptimized",
            "constant_folding",
            "predicate_pushdown",
            "join_ordering",
            "semi_join_reduction",
            "projection_pruning"
        ]
    );
    assert!(explain(&trace[0].1).contains("Join: Cross"));
    assert!(!explain(&trace[2].1).contains("Join: Cross"));
    assert_eq!(
        trace.last().unwrap().1,
        optimize(plan_of(&tpch_query(3), &cat).unwrap(), &cat).unwrap()
    );
}

#[test]
fn constant_folding() {
    let text = explained(
        "select n_name from nation where 1 = 1 and n_nationkey > 2 + 3 and (n_name = 'x' or false)",
    );
    assert!(
        text.contains("filter=[n_nationkey > 5, n_name = 'x']"),
        "{text}"
    );
    let text = explained("select n_name from nation where 1 = 0");
    assert!(
        text.contains("Values [n_name]: 0 rows") || text.contains("0 rows"),
        "{text}"
    );
    let text = explained("select upper('abc') || 'd', 7 / 2, extract(year from date '1995-03-01'), 'abc' like 'a%', 3 in (1, 2, null)");
    assert!(text.contains("'ABCd' AS ?column?, 3 AS ?column?, 1995 AS extract, TRUE AS ?column?, NULL AS ?column?"), "{text}");
    // Runtime errors are not folded away.
    let text = explained("select 1 / 0");
    assert!(text.contains("1 / 0"), "{text}");
}

#[test]
fn pushdown_through_projects_and_aggregates() {
    let text = explained(
        "select * from (select l_orderkey, sum(l_quantity) as s from lineitem group by l_orderkey) x \
         where l_orderkey = 5 and s > 3",
    );
    assert!(text.contains("Filter: sum(l_quantity) > 3.00"), "{text}");
    assert!(
        text.contains("Scan lineitem [l_orderkey, l_quantity] filter=[l_orderkey = 5]"),
        "{text}"
    );
    // A global aggregate returns a row even when its input is empty: nothing pushes below it.
    let text = explained("select * from (select count(*) as c from lineitem) x where c > 0");
    assert!(text.contains("Filter: count(*) > 0"), "{text}");
    // Never through LIMIT.
    let text = explained("select * from (select n_name from nation limit 3) x where n_name = 'a'");
    let filter = text.find("Filter").unwrap();
    let limit = text.find("Limit").unwrap();
    assert!(filter < limit, "{text}");
}

#[test]
fn outer_join_pushdown_respects_null_extension() {
    // ON conjunct over the right side goes to the right input; WHERE over the left side to the
    // left input; an ON conjunct over the left side stays in the join.
    let text = explained(
        "select c_name, o_orderkey from customer left join orders on c_custkey = o_custkey \
         and o_totalprice > 10 and c_acctbal > 5 where c_mktsegment = 'X'",
    );
    // (orders, the larger input, becomes the probe side: the join is flipped to a right join.)
    assert!(
        text.contains("Join: Right on=[o_custkey = c_custkey] filter=c_acctbal > 5.00"),
        "{text}"
    );
    assert!(text.contains("filter=[o_totalprice > 10.00]"), "{text}");
    assert!(text.contains("filter=[c_mktsegment = 'X']"), "{text}");
    // A WHERE conjunct over the NULL-supplying side is not pushed below the join ...
    let text = explained(
        "select c_name from customer left join orders on c_custkey = o_custkey where o_orderkey is null",
    );
    assert!(text.contains("Filter: o_orderkey IS NULL"), "{text}");
    assert!(text.contains("Join: Right"), "{text}");
    // ... unless it rejects NULLs, which makes the join an inner join.
    let text = explained(
        "select c_name from customer left join orders on c_custkey = o_custkey where o_totalprice > 5",
    );
    assert!(text.contains("Join: Inner"), "{text}");
    assert!(text.contains("filter=[o_totalprice > 5.00]"), "{text}");
    let text = explained(
        "select * from nation full join region on n_regionkey = r_regionkey where r_name = 'A'",
    );
    assert!(
        text.contains("Join: Right") || text.contains("Join: Left"),
        "{text}"
    );
}

#[test]
fn or_predicates_derive_per_side_filters() {
    let text = explained(&tpch_query(19));
    assert!(
        text.contains("Join: Inner on=[l_partkey = p_partkey]"),
        "{text}"
    );
    assert!(
        text.contains("l_shipmode IN ('AIR', 'AIR REG'), l_shipinstruct = 'DELIVER IN PERSON'"),
        "{text}"
    );
    let text = explained(&tpch_query(7));
    assert!(
        text.contains(
            "Scan nation [n_nationkey, n_name] filter=[n_name = 'FRANCE' OR n_name = 'GERMANY']"
        ),
        "{text}"
    );
}

#[test]
fn pruning_keeps_needed_columns_only() {
    let text = explained("select count(*) from lineitem");
    assert!(text.contains("Scan lineitem [l_linenumber]"), "{text}");
    let text = explained("select n_name from nation, region where n_regionkey = r_regionkey");
    assert!(text.contains("Scan nation [n_name, n_regionkey]"), "{text}");
    assert!(text.contains("Scan region [r_regionkey]"), "{text}");
    // Distinct needs every input column.
    let text =
        explained("select count(*) from (select distinct n_name, n_regionkey from nation) x");
    assert!(text.contains("Scan nation [n_name, n_regionkey]"), "{text}");
}

#[test]
fn set_operations_and_reordered_roots_keep_column_order() {
    let plan = optimized(
        "select * from lineitem, orders, customer where l_orderkey = o_orderkey and o_custkey = c_custkey \
         union all select * from lineitem, orders, customer where l_orderkey = o_orderkey and o_custkey = c_custkey",
    );
    assert_eq!(plan.fields().len(), 16 + 9 + 8);
    let LogicalPlan::SetOp { left, right, .. } = &plan else {
        panic!()
    };
    let (lt, rt): (Vec<_>, Vec<_>) = (
        left.fields().iter().map(|f| f.ty).collect(),
        right.fields().iter().map(|f| f.ty).collect(),
    );
    assert_eq!(lt, rt);
    assert_eq!(left.fields()[0].name, "l_orderkey");
}

#[test]
fn subquery_plans_are_optimized() {
    let plan = optimized(&tpch_query(16));
    let mut found = false;
    fn walk(p: &LogicalPlan, found: &mut bool) {
        p.for_each_expr(|e| {
            e.visit(&mut |x| {
                if let Expr::InSubquery { plan, .. } = x {
                    *found = explain(plan).contains("Scan supplier [s_suppkey, s_comment] filter=");
                }
            })
        });
        p.inputs().into_iter().for_each(|i| walk(i, found));
    }
    walk(&plan, &mut found);
    assert!(found, "{}", explain(&plan));
}

#[test]
fn optimizing_all_bound_tpch_queries_is_stable() {
    let cat = tpch();
    for n in 1..=22 {
        let Ok(plan) = plan_of(&tpch_query(n), &cat) else {
            continue;
        };
        let fields = plan.fields();
        let once = optimize(plan, &cat).unwrap();
        assert_eq!(once.fields(), fields, "q{n}: output fields changed");
        let twice = optimize(once.clone(), &cat).unwrap();
        assert_eq!(explain(&twice), explain(&once), "q{n}: not idempotent");
    }
}
