//! Literal lifting and query fingerprints (`grizzly_ir::lift`).
mod common;

use std::collections::HashMap;
use std::convert::Infallible;

use common::*;
use grizzly_ir::{
    lift, optimize, ColumnId, DataType, Expr, Field, Fingerprint, Lifted, LogicalPlan, Statement,
    Value,
};

/// The TPC-H catalog plus `t` and `u` (same schema) and `w` (one more INTEGER column).
fn catalog() -> TestCatalog {
    let mut c = tpch();
    let cols = [
        ("a", INT),
        ("b", KEY),
        ("c", TEXT),
        ("d", DATE),
        ("e", MONEY),
        ("f", DataType::Float64),
        ("g", INT),
    ];
    c.add_table("t", 1000, &cols);
    c.add_table("u", 1000, &cols);
    c
}

/// The optimized plan of a statement (a query, or an INSERT's source) and its user parameter
/// count.
fn optimized(sql: &str, cat: &TestCatalog) -> (LogicalPlan, usize) {
    let bound = bind_sql(sql, cat).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let plan = match bound.statement {
        Statement::Query(p) | Statement::Insert { query: p, .. } => p,
        other => panic!("{sql}: not a query: {other:?}"),
    };
    let plan = optimize(plan, cat).unwrap_or_else(|e| panic!("{sql}: {e}"));
    (plan, bound.param_types.len())
}

/// Lifts a statement and checks that substituting the values back gives the optimized plan.
fn lifted_in(sql: &str, cat: &TestCatalog) -> Lifted {
    let (plan, user) = optimized(sql, cat);
    let l = lift(&plan, user);
    assert_eq!(substitute(l.plan.clone(), &l.values, user), plan, "{sql}");
    assert_eq!(lift(&plan, user), l, "lifting is deterministic: {sql}");
    l
}

fn lifted(sql: &str) -> Lifted {
    lifted_in(sql, &catalog())
}

fn fp(sql: &str) -> Fingerprint {
    lifted(sql).fingerprint
}

fn ok<T>(r: Result<T, Infallible>) -> T {
    match r {
        Ok(v) => v,
        Err(never) => match never {},
    }
}

/// Replaces each `Param` numbered from `first` by the literal `values[index - first]`.
fn substitute(plan: LogicalPlan, values: &[Value], first: usize) -> LogicalPlan {
    let plan = ok(plan.try_map_exprs(&mut |e| Ok(substitute_expr(e, values, first))));
    ok(plan.try_map_inputs(&mut |p| Ok(substitute(p, values, first))))
}

fn substitute_expr(e: Expr, values: &[Value], first: usize) -> Expr {
    let e = ok(e.try_map_subqueries(&mut |p| Ok(substitute(p, values, first))));
    e.transform(&mut |e| match e {
        Expr::Param { index, ty } if index >= first => Expr::Literal {
            value: values[index - first].clone(),
            ty,
        },
        other => other,
    })
}

/// Adds `delta` to every column id in the plan (fields and references, subqueries included).
fn shift_ids(plan: LogicalPlan, delta: u32) -> LogicalPlan {
    let shift_field = |mut f: Field| {
        f.id = ColumnId(f.id.0 + delta);
        f
    };
    let plan = match plan {
        LogicalPlan::Scan {
            table,
            columns,
            filters,
        } => LogicalPlan::Scan {
            table,
            columns: columns
                .into_iter()
                .map(|(i, f)| (i, shift_field(f)))
                .collect(),
            filters,
        },
        LogicalPlan::Values { fields, rows } => LogicalPlan::Values {
            fields: fields.into_iter().map(shift_field).collect(),
            rows,
        },
        LogicalPlan::Project { input, exprs } => LogicalPlan::Project {
            input,
            exprs: exprs
                .into_iter()
                .map(|(e, f)| (e, shift_field(f)))
                .collect(),
        },
        LogicalPlan::Aggregate {
            input,
            group_by,
            aggregates,
        } => LogicalPlan::Aggregate {
            input,
            group_by: group_by
                .into_iter()
                .map(|(e, f)| (e, shift_field(f)))
                .collect(),
            aggregates: aggregates
                .into_iter()
                .map(|(a, f)| (a, shift_field(f)))
                .collect(),
        },
        LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
            fields,
        } => LogicalPlan::SetOp {
            op,
            all,
            left,
            right,
            fields: fields.into_iter().map(shift_field).collect(),
        },
        other => other,
    };
    let plan = ok(plan.try_map_exprs(&mut |e| {
        let e = ok(e.try_map_subqueries(&mut |p| Ok(shift_ids(p, delta))));
        Ok(e.transform(&mut |e| match e {
            Expr::Column { id, ty } => Expr::Column {
                id: ColumnId(id.0 + delta),
                ty,
            },
            other => other,
        }))
    }));
    ok(plan.try_map_inputs(&mut |p| Ok(shift_ids(p, delta))))
}

#[test]
fn other_constants_share_a_fingerprint() {
    let x = lifted("SELECT a, b FROM t WHERE a > 5 AND c = 'x' AND d < DATE '1995-01-01'");
    let y = lifted("SELECT a, b FROM t WHERE a > 7 AND c = 'yy' AND d < DATE '1996-03-01'");
    assert_eq!(x.fingerprint, y.fingerprint);
    assert_eq!(x.canonical, y.canonical);
    assert_ne!(x.values, y.values);
    assert_eq!(x.values.len(), 3);
    assert!(x.values.contains(&Value::Int32(5)), "{:?}", x.values);
    assert!(y.values.contains(&Value::Varchar("yy".into())));
    assert!(!x.canonical.contains("'x'"), "{}", x.canonical);

    // BETWEEN, arithmetic, CASE results and substring positions are lifted too.
    let q = |lo: i32, hi: i32, k: i32, s: &str, p: i32| {
        lifted(&format!(
            "SELECT CASE WHEN a > {k} THEN '{s}' ELSE 'other' END, substring(c, {p}, 2), a * {k} \
             FROM t WHERE a BETWEEN {lo} AND {hi}"
        ))
    };
    let (x, y) = (q(1, 10, 3, "big", 2), q(5, 50, 4, "large", 3));
    assert_eq!(
        x.fingerprint, y.fingerprint,
        "{}\n{}",
        x.canonical, y.canonical
    );
    assert_ne!(x.values, y.values);
    assert!(!x.canonical.contains("'big'"), "{}", x.canonical);
}

#[test]
fn formatting_does_not_matter() {
    let base = lifted("SELECT a, sum(b) FROM t WHERE a > 5 GROUP BY a ORDER BY a");
    for sql in [
        "select a, SUM(b) from T where A > 5 group by a order by a",
        "SELECT a,\n\tsum(b) -- the total\nFROM   t /* a comment */ WHERE a>5 GROUP  BY a ORDER BY a;",
        "  Select   A , Sum ( B )   From t   Where a > 9 Group By A Order By A  ",
    ] {
        let l = lifted(sql);
        assert_eq!(l.fingerprint, base.fingerprint, "{sql}");
        assert_eq!(l.canonical, base.canonical, "{sql}");
    }
}

#[test]
fn in_list_length_is_part_of_the_shape() {
    let three = fp("SELECT a FROM t WHERE a IN (1, 2, 3)");
    assert_eq!(three, fp("SELECT a FROM t WHERE a IN (7, 8, 9)"));
    assert_ne!(three, fp("SELECT a FROM t WHERE a IN (1, 2)"));
    assert_ne!(three, fp("SELECT a FROM t WHERE a NOT IN (1, 2, 3)"));
    let l = lifted("SELECT a FROM t WHERE c IN ('x', 'y')");
    assert_eq!(
        l.values,
        vec![Value::Varchar("x".into()), Value::Varchar("y".into())]
    );
}

#[test]
fn like_patterns_are_kept() {
    let prefix = lifted("SELECT a FROM t WHERE c LIKE 'abc%'");
    assert!(prefix.values.is_empty(), "{:?}", prefix.values);
    assert!(
        prefix.canonical.contains("LIKE 'abc%'"),
        "{}",
        prefix.canonical
    );
    assert_ne!(
        prefix.fingerprint,
        fp("SELECT a FROM t WHERE c LIKE '%abc%'")
    );
    assert_ne!(prefix.fingerprint, fp("SELECT a FROM t WHERE c LIKE 'abc'"));
    assert_ne!(
        prefix.fingerprint,
        fp("SELECT a FROM t WHERE c ILIKE 'abc%'")
    );
    assert_eq!(
        prefix.fingerprint,
        fp("SELECT a FROM t WHERE c LIKE 'abc%'")
    );
}

#[test]
fn columns_tables_and_types_are_part_of_the_shape() {
    let base = fp("SELECT a FROM t WHERE a > 1");
    assert_ne!(base, fp("SELECT a FROM t WHERE g > 1"), "other column");
    assert_ne!(
        base,
        fp("SELECT g FROM t WHERE a > 1"),
        "other output column"
    );
    assert_ne!(base, fp("SELECT a FROM u WHERE a > 1"), "other table");
    assert_ne!(
        base,
        fp("SELECT a FROM t WHERE a > 1.5"),
        "decimal, not integer"
    );
    assert_ne!(base, fp("SELECT a FROM t WHERE a >= 1"), "other operator");
    assert_ne!(
        base,
        fp("SELECT a AS z FROM t WHERE a > 1"),
        "other output name"
    );
    assert_ne!(
        fp("SELECT a FROM t WHERE b > 1"),
        fp("SELECT a FROM t WHERE b > 1.0"),
    );
    assert_ne!(
        fp("SELECT e FROM t WHERE e > 1.5"),
        fp("SELECT e FROM t WHERE f > 1.5"),
    );
}

#[test]
fn shaping_constants_are_kept() {
    let limit = fp("SELECT a FROM t ORDER BY a LIMIT 10");
    assert_ne!(limit, fp("SELECT a FROM t ORDER BY a LIMIT 20"));
    assert_ne!(limit, fp("SELECT a FROM t ORDER BY a LIMIT 10 OFFSET 5"));
    assert_ne!(limit, fp("SELECT a FROM t ORDER BY a DESC LIMIT 10"));

    // round()'s digits decide the result type; NULL and booleans are kept.
    let r = lifted("SELECT round(e, 1) FROM t WHERE a > 3");
    assert_eq!(r.values, vec![Value::Int32(3)]);
    assert_ne!(r.fingerprint, fp("SELECT round(e, 2) FROM t WHERE a > 3"));
    let n = lifted("SELECT CASE WHEN a > 1 THEN NULL ELSE 4 END FROM t WHERE c <> 'z' OR TRUE");
    assert_eq!(n.values, vec![Value::Int32(1), Value::Int32(4)]);
    assert!(n.canonical.contains("NULL::INTEGER"), "{}", n.canonical);

    assert_ne!(
        fp("SELECT extract(year FROM d) FROM t"),
        fp("SELECT extract(month FROM d) FROM t")
    );
    // Units, targets and flags bound into the expression's shape.
    assert_ne!(
        fp("SELECT date_diff('day', d, d) FROM t"),
        fp("SELECT date_diff('month', d, d) FROM t")
    );
    assert_ne!(
        fp("SELECT TRY_CAST(c AS INTEGER) FROM t"),
        fp("SELECT TRY_CAST(c AS BIGINT) FROM t")
    );
    assert_ne!(
        fp("SELECT * FROM generate_series(1, 5)"),
        fp("SELECT * FROM range(1, 5)")
    );
    assert_eq!(
        fp("SELECT * FROM generate_series(1, 5)"),
        fp("SELECT * FROM generate_series(2, 500)")
    );
    assert_ne!(fp("SELECT ceil(e) FROM t"), fp("SELECT floor(e) FROM t"));
}

#[test]
fn lifted_params_follow_user_params() {
    let l = lifted("SELECT a FROM t WHERE a > $1 AND g < 10 AND c = $2");
    assert_eq!(l.values, vec![Value::Int32(10)]);
    let mut found = Vec::new();
    for node in l.plan.preorder() {
        node.for_each_expr(|e| {
            e.visit(&mut |x| {
                if let Expr::Param { index, ty } = x {
                    found.push((*index, *ty));
                }
            })
        });
    }
    found.sort_by_key(|(i, _)| *i);
    assert_eq!(
        found,
        vec![
            (0, DataType::Int32),
            (1, DataType::Varchar),
            (2, DataType::Int32)
        ],
        "{}",
        l.canonical
    );
    assert!(l.canonical.contains("$3::INTEGER"), "{}", l.canonical);
}

#[test]
fn subquery_literals_are_lifted_in_place() {
    let x = lifted(
        "SELECT a FROM t WHERE a > (SELECT max(a) FROM u WHERE g = 3) \
         AND b IN (SELECT b FROM u WHERE c = 'k') AND EXISTS (SELECT 1 FROM u WHERE a = 9)",
    );
    let y = lifted(
        "SELECT a FROM t WHERE a > (SELECT max(a) FROM u WHERE g = 4) \
         AND b IN (SELECT b FROM u WHERE c = 'm') AND EXISTS (SELECT 1 FROM u WHERE a = 8)",
    );
    assert_eq!(x.fingerprint, y.fingerprint);
    for v in [Value::Int32(3), Value::Varchar("k".into()), Value::Int32(9)] {
        assert!(x.values.contains(&v), "{v:?} in {:?}", x.values);
    }
}

#[test]
fn insert_values_are_lifted() {
    let x = lifted("INSERT INTO t (a, c) VALUES (1, 'one'), (2, 'two')");
    let y = lifted("INSERT INTO t (a, c) VALUES (3, 'three'), (4, 'four')");
    assert_eq!(x.fingerprint, y.fingerprint);
    assert!(x.values.contains(&Value::Varchar("two".into())));
    assert_ne!(
        x.fingerprint,
        fp("INSERT INTO t (a, c) VALUES (1, 'one')"),
        "row count"
    );
}

#[test]
fn column_numbering_does_not_matter() {
    let cat = catalog();
    for sql in [
        "SELECT a, sum(b) AS s FROM t WHERE c = 'x' GROUP BY a HAVING sum(b) > 3 ORDER BY s",
        "SELECT a FROM t WHERE a IN (SELECT a FROM u WHERE g > 2) UNION SELECT g FROM u",
    ] {
        let (plan, user) = optimized(sql, &cat);
        let a = lift(&plan, user);
        let b = lift(&shift_ids(plan.clone(), 1000), user);
        assert_eq!(a.fingerprint, b.fingerprint, "{sql}");
        assert_eq!(a.canonical, b.canonical, "{sql}");
        assert_ne!(a.plan, b.plan, "the returned plan keeps its ids");
    }
}

/// Pins the canonical form and the hash: a change here changes every cached fingerprint, so
/// it must be deliberate (update the constants below only when the canonical form changes).
#[test]
fn golden_fingerprint() {
    let l = lifted("SELECT a, count(*) AS n FROM t WHERE c = 'x' AND e < 10.5 GROUP BY a");
    assert_eq!(l.canonical, GOLDEN_CANONICAL, "canonical text changed");
    assert_eq!(l.fingerprint.to_string(), GOLDEN_FINGERPRINT);
    assert_eq!(Fingerprint(0xab).to_string(), "00000000000000ab");
}

const GOLDEN_CANONICAL: &str = "Project([a#0 AS a#1, count#2 AS n#3], \
    Aggregate(group=[a#4 AS a#0], aggs=[count(*) AS count#2], \
    Scan(t, [0:a#4, 2:c#5, 4:e#6], \
    filters=[(c#5 = $1::VARCHAR), (e#6 < $2::DECIMAL(15,2))])))";
const GOLDEN_FINGERPRINT: &str = "c9d2fb3ba7cec7a4";

/// The numbers of the `$n` in a canonical text, in order.
fn dollars(text: &str) -> Vec<usize> {
    text.split('$')
        .skip(1)
        .map(|rest| {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().unwrap()
        })
        .collect()
}

#[test]
fn tpch_queries_have_distinct_fingerprints() {
    let cat = tpch();
    let mut seen: HashMap<Fingerprint, u32> = HashMap::new();
    let mut bound = 0;
    for n in 1..=22 {
        let sql = tpch_query(n);
        if bind_sql(&sql, &cat).is_err() {
            continue;
        }
        bound += 1;
        let l = lifted_in(&sql, &cat);
        if std::env::var("SHOW").is_ok() {
            println!("q{n} {} {:?}\n{}", l.fingerprint, l.values, l.canonical);
        }
        assert_eq!(
            dollars(&l.canonical),
            (1..=l.values.len()).collect::<Vec<_>>()
        );
        // Q13's only constant is a LIKE pattern.
        assert_eq!(l.values.is_empty(), n == 13, "q{n}: {}", l.canonical);
        if let Some(m) = seen.insert(l.fingerprint, n) {
            panic!("q{n} and q{m} share fingerprint {}", l.fingerprint);
        }
    }
    assert!(bound >= 16, "only {bound} TPC-H queries bind");
}

#[test]
fn tpch_q6_with_other_constants() {
    let cat = tpch();
    let q6 = lifted_in(&tpch_query(6), &cat);
    let other = lifted_in(
        "select sum(l_extendedprice * l_discount) as revenue from lineitem \
         where l_shipdate >= date '1997-01-01' \
         and l_shipdate < date '1997-01-01' + interval '1' year \
         and l_discount between 0.07 - 0.01 and 0.07 + 0.01 and l_quantity < 25",
        &cat,
    );
    assert_eq!(
        q6.fingerprint, other.fingerprint,
        "{}\n{}",
        q6.canonical, other.canonical
    );
    assert_ne!(q6.values, other.values);
    assert_eq!(q6.values.len(), other.values.len());
}
