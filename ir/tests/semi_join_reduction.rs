//! The semi-join reduction pass (`ir/src/optimize/semi_reduce.rs`) on TPC-H plans with SF1
//! statistics: where it applies (Q2, Q17, Q20), where it must not (the aggregate on the
//! preserved side of an outer join, a non-deterministic or unselective other side, a join on
//! an aggregate result), that the copied input gets fresh column ids, and that optimizing an
//! optimized plan changes nothing. Results on edge-case data: tests/slt/semi_join_reduction.slt.
mod common;

use std::collections::HashSet;

use common::*;
use grizzly_ir::{explain, optimize, ColumnId, Expr, JoinKind, LogicalPlan};

fn optimized(sql: &str) -> LogicalPlan {
    let cat = tpch_with_stats();
    let plan = plan_of(sql, &cat).unwrap_or_else(|e| panic!("{sql}: {e}"));
    optimize(plan, &cat).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Every semi join of the plan and its subquery plans, as (left input, right input).
fn semi_joins(plan: &LogicalPlan) -> Vec<(LogicalPlan, LogicalPlan)> {
    let mut out = Vec::new();
    if let LogicalPlan::Join {
        left,
        right,
        kind: JoinKind::Semi,
        ..
    } = plan
    {
        out.push(((**left).clone(), (**right).clone()));
    }
    plan.for_each_expr(|e| e.for_each_subquery(&mut |p| out.extend(semi_joins(p))));
    for i in plan.inputs() {
        out.extend(semi_joins(i));
    }
    out
}

/// The grouped Aggregates of the plan (and its subqueries), as their input plans.
fn aggregate_inputs(plan: &LogicalPlan) -> Vec<LogicalPlan> {
    let mut out = Vec::new();
    if let LogicalPlan::Aggregate {
        input, group_by, ..
    } = plan
    {
        if !group_by.is_empty() {
            out.push((**input).clone());
        }
    }
    plan.for_each_expr(|e| e.for_each_subquery(&mut |p| out.extend(aggregate_inputs(p))));
    for i in plan.inputs() {
        out.extend(aggregate_inputs(i));
    }
    out
}

/// The table a plan scans, if it is a Scan (under Projects that narrow it).
fn scanned_table(plan: &LogicalPlan) -> Option<&str> {
    match plan {
        LogicalPlan::Scan { table, .. } => Some(table),
        LogicalPlan::Project { input, .. } => scanned_table(input),
        _ => None,
    }
}

/// Ids of the columns the plan's scans, aggregates and computed projections define (a
/// Project passing a column through under its id defines nothing new).
fn defined_ids(plan: &LogicalPlan, out: &mut Vec<ColumnId>) {
    match plan {
        LogicalPlan::Scan { columns, .. } => out.extend(columns.iter().map(|(_, f)| f.id)),
        LogicalPlan::Project { exprs, .. } => out.extend(
            exprs
                .iter()
                .filter(|(e, f)| !matches!(e, Expr::Column { id, .. } if *id == f.id))
                .map(|(_, f)| f.id),
        ),
        LogicalPlan::Aggregate { .. } | LogicalPlan::Values { .. } | LogicalPlan::SetOp { .. } => {
            out.extend(plan.fields().iter().map(|f| f.id))
        }
        _ => {}
    }
    for i in plan.inputs() {
        defined_ids(i, out);
    }
}

#[test]
fn q17_averages_only_the_qualifying_parts() {
    let plan = optimized(&tpch_query(17));
    let semis = semi_joins(&plan);
    assert_eq!(semis.len(), 1, "{}", explain(&plan));
    let (left, right) = &semis[0];
    assert_eq!(scanned_table(left), Some("lineitem"), "{}", explain(&plan));
    let right = explain(right);
    assert!(
        right.starts_with("Scan part [p_partkey")
            && right.contains("p_brand = 'Brand#23'")
            && right.contains("p_container = 'MED BOX'"),
        "{right}"
    );
    // The semi join is the input of the aggregate grouped by l_partkey.
    let inputs = aggregate_inputs(&plan);
    assert!(
        inputs.iter().any(|i| matches!(
            i,
            LogicalPlan::Join {
                kind: JoinKind::Semi,
                ..
            }
        )),
        "{}",
        explain(&plan)
    );
}

#[test]
fn q2_semi_join_goes_down_to_the_partsupp_scan() {
    let plan = optimized(&tpch_query(2));
    let semis = semi_joins(&plan);
    assert_eq!(semis.len(), 1, "{}", explain(&plan));
    let (left, right) = &semis[0];
    // Below the supplier/nation/region joins of the subquery, on partsupp itself.
    assert_eq!(scanned_table(left), Some("partsupp"), "{}", explain(&plan));
    assert!(
        explain(right).contains("p_type LIKE '%BRASS'"),
        "{}",
        explain(&plan)
    );
}

#[test]
fn q20_reduces_lineitem_by_both_correlation_keys() {
    let plan = optimized(&tpch_query(20));
    let semis = semi_joins(&plan);
    assert_eq!(semis.len(), 1, "{}", explain(&plan));
    let text = explain(&plan);
    assert!(
        text.contains("Join: Semi on=[l_partkey = ps_partkey, l_suppkey = ps_suppkey]"),
        "{text}"
    );
    assert_eq!(scanned_table(&semis[0].0), Some("lineitem"), "{text}");
}

#[test]
fn the_copied_input_has_fresh_column_ids() {
    for n in [2, 17, 20] {
        let plan = optimized(&tpch_query(n));
        let mut ids = Vec::new();
        defined_ids(&plan, &mut ids);
        let unique: HashSet<_> = ids.iter().collect();
        assert_eq!(unique.len(), ids.len(), "q{n}:\n{}", explain(&plan));
    }
}

#[test]
fn aggregate_on_the_preserved_side_is_not_reduced() {
    // Every part's group is in the result, matched or not.
    let plan = optimized(
        "select s.k, s.n, p_name from (select l_partkey as k, count(*) as n from lineitem \
         group by l_partkey) s left join part on s.k = p_partkey and p_brand = 'Brand#23' \
         and p_container = 'MED BOX'",
    );
    assert!(semi_joins(&plan).is_empty(), "{}", explain(&plan));
    let plan = optimized(
        "select s.k, s.n, p_name from (select l_partkey as k, count(*) as n from lineitem \
         group by l_partkey) s full join (select * from part where p_brand = 'Brand#23' \
         and p_container = 'MED BOX') p on s.k = p_partkey",
    );
    assert!(semi_joins(&plan).is_empty(), "{}", explain(&plan));
}

#[test]
fn aggregate_on_the_null_supplying_side_is_reduced() {
    let plan = optimized(
        "select p_name, s.n from part left join (select l_partkey as k, count(*) as n \
         from lineitem group by l_partkey) s on s.k = p_partkey \
         where p_brand = 'Brand#23' and p_container = 'MED BOX'",
    );
    let semis = semi_joins(&plan);
    assert_eq!(semis.len(), 1, "{}", explain(&plan));
    assert_eq!(scanned_table(&semis[0].0), Some("lineitem"));
}

#[test]
fn only_selective_deterministic_group_key_joins_are_reduced() {
    let agg = "(select l_partkey as k, sum(l_quantity) as q from lineitem group by l_partkey) s";
    // Every part matches: nothing to gain.
    let plan = optimized(&format!(
        "select p_name, s.q from part, {agg} where s.k = p_partkey"
    ));
    assert!(semi_joins(&plan).is_empty(), "{}", explain(&plan));
    // A LIMIT without ORDER BY may pick other rows when evaluated again.
    let plan = optimized(&format!(
        "select p.p_name, s.q from (select * from part where p_brand = 'Brand#23' limit 10) p, \
         {agg} where s.k = p.p_partkey"
    ));
    assert!(semi_joins(&plan).is_empty(), "{}", explain(&plan));
    // Joined on an aggregate result, not on the group key.
    let plan = optimized(&format!(
        "select p_name, s.k from part, {agg} where s.q = p_partkey \
         and p_brand = 'Brand#23' and p_container = 'MED BOX'"
    ));
    assert!(semi_joins(&plan).is_empty(), "{}", explain(&plan));
    // The same join on the group key is reduced.
    let plan = optimized(&format!(
        "select p_name, s.q from part, {agg} where s.k = p_partkey \
         and p_brand = 'Brand#23' and p_container = 'MED BOX'"
    ));
    assert_eq!(semi_joins(&plan).len(), 1, "{}", explain(&plan));
}

#[test]
fn optimizing_twice_changes_nothing_with_statistics() {
    let cat = tpch_with_stats();
    for n in 1..=22 {
        let plan = plan_of(&tpch_query(n), &cat).unwrap_or_else(|e| panic!("q{n}: {e}"));
        let fields = plan.fields();
        let once = optimize(plan, &cat).unwrap();
        assert_eq!(once.fields(), fields, "q{n}: output fields changed");
        let twice = optimize(once.clone(), &cat).unwrap();
        assert_eq!(explain(&twice), explain(&once), "q{n}: not idempotent");
    }
}

#[test]
fn q13_left_join_builds_on_customer() {
    // orders is ten times customer: the join is flipped so that customer is hashed.
    let text = explain(&optimized(&tpch_query(13)));
    assert!(
        text.contains("Join: Right on=[o_custkey = c_custkey]"),
        "{text}"
    );
    let lines: Vec<&str> = text.lines().collect();
    let join = lines
        .iter()
        .position(|l| l.contains("Join: Right"))
        .unwrap();
    // o_comment, read only by the scan's filter, is not carried into the join.
    assert_eq!(
        lines[join + 1].trim_start(),
        "Project: o_orderkey, o_custkey",
        "{text}"
    );
    assert!(
        lines[join + 2].trim_start().starts_with("Scan orders"),
        "{text}"
    );
}
