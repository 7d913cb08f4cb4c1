//! Correlated subqueries are unnested into joins by the binder (`bind/unnest.rs`): the TPC-H
//! queries that need them bind into plans with the expected join kinds and no subquery left
//! correlated; constructs that cannot be unnested are `Unsupported`, never a wrong plan.
mod common;

use common::*;
use grizzly_ir::{Error, Expr, JoinKind, LogicalPlan};

/// Join kinds in pre-order, including joins inside (uncorrelated) subquery plans.
fn join_kinds(plan: &LogicalPlan) -> Vec<JoinKind> {
    let mut out = Vec::new();
    collect_kinds(plan, &mut out);
    out
}

fn collect_kinds(plan: &LogicalPlan, out: &mut Vec<JoinKind>) {
    for node in plan.preorder() {
        if let LogicalPlan::Join { kind, .. } = node {
            out.push(*kind);
        }
        node.for_each_expr(|e: &Expr| e.for_each_subquery(&mut |p| collect_kinds(p, out)));
    }
}

fn count(kinds: &[JoinKind], k: JoinKind) -> usize {
    kinds.iter().filter(|x| **x == k).count()
}

/// Binds, checks the join kinds, and checks that the optimizer accepts the plan.
fn check(sql: &str, expect: &[(JoinKind, usize)]) -> LogicalPlan {
    let cat = tpch();
    let plan = plan_of(sql, &cat).unwrap_or_else(|e| panic!("{e}\n{sql}"));
    let kinds = join_kinds(&plan);
    for (k, n) in expect {
        assert_eq!(
            count(&kinds, *k),
            *n,
            "{k:?} joins in\n{}",
            grizzly_ir::explain(&plan)
        );
    }
    let opt = grizzly_ir::optimize(plan.clone(), &cat).unwrap();
    if std::env::var("SHOW").is_ok() {
        println!(
            "{}\n-- optimized\n{}",
            grizzly_ir::explain(&plan),
            grizzly_ir::explain(&opt)
        );
    }
    plan
}

fn unsupported(sql: &str) -> String {
    match bind_sql(sql, &tpch()) {
        Err(Error::Unsupported(m)) => m,
        other => panic!("expected Unsupported for {sql}, got {other:?}"),
    }
}

#[test]
fn q2_scalar_min_is_a_left_join() {
    check(&tpch_query(2), &[(JoinKind::Left, 1), (JoinKind::Semi, 0)]);
}

#[test]
fn q4_exists_is_a_semi_join() {
    check(&tpch_query(4), &[(JoinKind::Semi, 1), (JoinKind::Left, 0)]);
}

#[test]
fn q17_scalar_avg_is_a_left_join() {
    check(&tpch_query(17), &[(JoinKind::Left, 1)]);
}

#[test]
fn q20_nested_correlation_is_unnested_inside_the_in_subquery() {
    // The scalar subquery correlates with the IN subquery's partsupp: a left join there; the
    // IN subqueries themselves are uncorrelated and stay subqueries.
    check(&tpch_query(20), &[(JoinKind::Left, 1)]);
}

#[test]
fn q21_exists_and_not_exists_with_inequality() {
    let plan = check(&tpch_query(21), &[(JoinKind::Semi, 1), (JoinKind::Anti, 1)]);
    // l2.l_suppkey <> l1.l_suppkey is the semi join's filter, l_orderkey its key.
    let mut ok = false;
    for node in plan.preorder() {
        if let LogicalPlan::Join {
            kind: JoinKind::Semi,
            on,
            filter,
            ..
        } = node
        {
            ok = on.len() == 1 && filter.is_some();
        }
    }
    assert!(ok, "{}", grizzly_ir::explain(&plan));
}

#[test]
fn q22_not_exists_in_a_derived_table() {
    check(&tpch_query(22), &[(JoinKind::Anti, 1)]);
}

#[test]
fn not_in_is_a_null_aware_anti_join() {
    // Both sides NOT NULL (the test catalog's columns are): a plain key.
    let plan = check(
        "select o_orderkey from orders where o_custkey not in \
         (select c_custkey from customer where c_nationkey = o_orderkey)",
        &[(JoinKind::Anti, 1)],
    );
    let keys = plan
        .preorder()
        .iter()
        .find_map(|n| match n {
            LogicalPlan::Join { on, filter, .. } => Some((on.len(), filter.is_some())),
            _ => None,
        })
        .unwrap();
    assert_eq!(keys, (2, false));
    // A nullable side (CASE without ELSE) needs the NULL-aware filter.
    let plan = check(
        "select o_orderkey from orders where o_custkey not in \
         (select case when c_acctbal > 0 then c_custkey end from customer \
          where c_nationkey = o_orderkey)",
        &[(JoinKind::Anti, 1)],
    );
    let text = grizzly_ir::explain(&plan);
    assert!(text.contains("IS NULL"), "{text}");
}

#[test]
fn scalar_count_is_coalesced() {
    let plan = check(
        "select c_custkey, (select count(*) from orders where o_custkey = c_custkey) from customer",
        &[(JoinKind::Left, 1)],
    );
    let text = grizzly_ir::explain(&plan);
    assert!(text.to_lowercase().contains("coalesce"), "{text}");
}

#[test]
fn correlated_subqueries_in_an_aggregate_query() {
    // HAVING and the select list refer to a group key.
    check(
        "select o_custkey, count(*) from orders group by o_custkey \
         having count(*) > (select count(*) from lineitem where l_suppkey = o_custkey)",
        &[(JoinKind::Left, 1)],
    );
    check(
        "select o_custkey, (select max(c_acctbal) from customer where c_custkey = o_custkey) \
         from orders group by o_custkey",
        &[(JoinKind::Left, 1)],
    );
    match bind_sql(
        "select o_custkey, (select max(c_acctbal) from customer where c_custkey = o_orderkey) \
         from orders group by o_custkey",
        &tpch(),
    ) {
        Err(Error::Bind(m)) => assert!(m.contains("ungrouped"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn unsupported_forms_are_named() {
    let cases = [
        // EXISTS under OR needs a mark join.
        "select * from orders where o_orderkey = 1 or exists \
         (select * from lineitem where l_orderkey = o_orderkey)",
        // LIMIT inside the correlated part (at the top of EXISTS it would not matter).
        "select * from orders where o_orderkey in (select l_orderkey from \
         (select * from lineitem where l_suppkey = o_custkey limit 1) x)",
        // A non-aggregate scalar subquery may return several rows.
        "select (select l_quantity from lineitem where l_orderkey = o_orderkey) from orders",
        // Non-equality correlation of a scalar aggregate.
        "select * from orders where o_totalprice > \
         (select sum(l_extendedprice) from lineitem where l_orderkey < o_orderkey)",
        // Correlation in a JOIN condition.
        "select * from orders join customer on c_custkey = o_custkey and exists \
         (select * from lineitem where l_orderkey = o_orderkey)",
    ];
    for sql in cases {
        let m = unsupported(sql);
        assert!(m.contains("correlated"), "{sql}: {m}");
    }
}

#[test]
fn uncorrelated_subqueries_are_unchanged() {
    // Q11, Q15, Q16, Q18 keep their subqueries as expressions: no joins are added.
    for n in [11, 16, 18] {
        let plan = plan_of(&tpch_query(n), &tpch()).unwrap();
        assert_eq!(count(&join_kinds(&plan), JoinKind::Semi), 0, "q{n}");
        assert_eq!(count(&join_kinds(&plan), JoinKind::Left), 0, "q{n}");
    }
}
