//! Window functions: binding (types, placement of the Window node, frames, named windows,
//! errors) and the optimizer passes around a Window (pushdown, pruning).
mod common;

use common::*;
use grizzly_ir::plan::{AggFunc, Frame, FrameBound, FrameUnits, WindowFunc};
use grizzly_ir::{optimize, DataType, Error, Expr, LogicalPlan};

fn plan(sql: &str) -> LogicalPlan {
    plan_of(sql, &tpch()).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn types(sql: &str) -> Vec<DataType> {
    plan(sql).fields().iter().map(|f| f.ty).collect()
}

fn err(sql: &str) -> Error {
    match plan_of(sql, &tpch()) {
        Ok(p) => panic!("{sql}: expected an error, got {p:?}"),
        Err(e) => e,
    }
}

/// The (only) Window node of a plan.
fn window(p: &LogicalPlan) -> &LogicalPlan {
    let w: Vec<&LogicalPlan> = p
        .preorder()
        .into_iter()
        .filter(|n| matches!(n, LogicalPlan::Window { .. }))
        .collect();
    assert_eq!(w.len(), 1, "expected one Window in {p:?}");
    w[0]
}

#[test]
fn result_types() {
    use DataType::*;
    let money = DataType::Decimal {
        precision: 38,
        scale: 2,
    };
    assert_eq!(
        types(
            "SELECT row_number() OVER (), rank() OVER (ORDER BY n_name), \
             dense_rank() OVER (ORDER BY n_name), count(*) OVER (), count(n_name) OVER () \
             FROM nation"
        ),
        vec![Int64, Int64, Int64, Int64, Int64]
    );
    assert_eq!(
        types(
            "SELECT sum(l_linenumber) OVER (), sum(l_quantity) OVER (), avg(l_quantity) OVER (), \
             min(l_shipdate) OVER (), max(l_comment) OVER (), lag(l_quantity) OVER (), \
             lead(l_shipdate, 2) OVER (), first_value(l_linenumber) OVER (), \
             last_value(l_tax) OVER () FROM lineitem"
        ),
        vec![
            Int64,
            money,
            Float64,
            Date,
            Varchar,
            DataType::Decimal {
                precision: 15,
                scale: 2
            },
            Date,
            Int32,
            DataType::Decimal {
                precision: 15,
                scale: 2
            }
        ]
    );
}

#[test]
fn window_sits_between_aggregate_and_project() {
    let p = plan(
        "SELECT n_regionkey, sum(n_nationkey), sum(sum(n_nationkey)) OVER (ORDER BY n_regionkey) \
         FROM nation GROUP BY n_regionkey",
    );
    let LogicalPlan::Project { input, .. } = &p else {
        panic!("expected a Project on top: {p:?}");
    };
    let LogicalPlan::Window { input, functions } = &**input else {
        panic!("expected a Window under the Project: {input:?}");
    };
    assert!(matches!(**input, LogicalPlan::Aggregate { .. }));
    assert_eq!(functions.len(), 1);
    let (call, field) = &functions[0];
    assert_eq!(call.func, WindowFunc::Agg(AggFunc::Sum));
    assert_eq!(field.ty, DataType::Int64);
    // The argument and the order key are the Aggregate's outputs.
    let agg_ids: Vec<_> = input.fields().iter().map(|f| f.id).collect();
    for e in call.exprs() {
        assert!(
            matches!(e, Expr::Column { id, .. } if agg_ids.contains(id)),
            "{e:?}"
        );
    }
    assert_eq!(call.frame, None);
}

#[test]
fn identical_calls_share_one_function() {
    let p = plan(
        "SELECT row_number() OVER (ORDER BY n_name), row_number() OVER (ORDER BY n_name) + 1 \
         FROM nation ORDER BY row_number() OVER (ORDER BY n_name)",
    );
    let LogicalPlan::Window { functions, .. } = window(&p) else {
        unreachable!()
    };
    assert_eq!(functions.len(), 1);
}

#[test]
fn frames_and_named_windows() {
    let p = plan(
        "SELECT sum(n_nationkey) OVER (w ROWS BETWEEN 2 PRECEDING AND 1 FOLLOWING), \
         count(*) OVER w FROM nation \
         WINDOW w AS (PARTITION BY n_regionkey ORDER BY n_name DESC)",
    );
    let LogicalPlan::Window { functions, .. } = window(&p) else {
        unreachable!()
    };
    assert_eq!(functions.len(), 2);
    assert_eq!(
        functions[0].0.frame,
        Some(Frame {
            units: FrameUnits::Rows,
            start: FrameBound::Preceding(2),
            end: FrameBound::Following(1),
        })
    );
    for (c, _) in functions {
        assert_eq!(c.partition_by.len(), 1);
        assert_eq!(c.order_by.len(), 1);
        assert!(!c.order_by[0].ascending && c.order_by[0].nulls_first);
    }
    // RANGE offsets are in the (scaled) units of the one ORDER BY key.
    let p = plan(
        "SELECT sum(l_quantity) OVER (ORDER BY l_tax RANGE BETWEEN 0.5 PRECEDING AND 1 FOLLOWING) \
         FROM lineitem",
    );
    let LogicalPlan::Window { functions, .. } = window(&p) else {
        unreachable!()
    };
    assert_eq!(
        functions[0].0.frame,
        Some(Frame {
            units: FrameUnits::Range,
            start: FrameBound::Preceding(50),
            end: FrameBound::Following(100),
        })
    );
    assert!(matches!(
        err("SELECT sum(l_tax) OVER (ORDER BY l_tax, l_quantity RANGE 1 PRECEDING) FROM lineitem"),
        Error::Bind(m) if m.contains("exactly one ORDER BY column")
    ));
    // Shorthand: `ROWS n PRECEDING` ends at the current row.
    let p = plan("SELECT sum(n_nationkey) OVER (ORDER BY n_name ROWS 3 PRECEDING) FROM nation");
    let LogicalPlan::Window { functions, .. } = window(&p) else {
        unreachable!()
    };
    assert_eq!(
        functions[0].0.frame.map(|f| (f.start, f.end)),
        Some((FrameBound::Preceding(3), FrameBound::CurrentRow))
    );
}

#[test]
fn errors() {
    for (sql, want) in [
        (
            "SELECT n_name FROM nation WHERE row_number() OVER () > 1",
            "window functions are not allowed in WHERE",
        ),
        (
            "SELECT count(*) FROM nation GROUP BY rank() OVER ()",
            "window functions are not allowed in GROUP BY",
        ),
        (
            "SELECT n_regionkey FROM nation GROUP BY n_regionkey HAVING rank() OVER () > 1",
            "window functions are not allowed in HAVING",
        ),
        (
            "SELECT sum(n_nationkey) OVER nope FROM nation",
            "window \"nope\" does not exist",
        ),
        (
            "SELECT sum(n_nationkey) OVER (ROWS BETWEEN UNBOUNDED FOLLOWING AND CURRENT ROW) \
             FROM nation",
            "frame start cannot be UNBOUNDED FOLLOWING",
        ),
        (
            "SELECT n_name, rank() OVER (ORDER BY n_nationkey) FROM nation GROUP BY n_name",
            "must appear in the GROUP BY clause",
        ),
    ] {
        match err(sql) {
            Error::Bind(m) => assert!(m.contains(want), "{sql}: {m}"),
            other => panic!("{sql}: expected a bind error, got {other:?}"),
        }
    }
    for sql in [
        "SELECT sum(n_nationkey) OVER (ORDER BY n_name RANGE BETWEEN 1 PRECEDING AND \
         CURRENT ROW) FROM nation",
        "SELECT string_agg(n_name, ',') OVER () FROM nation",
        "SELECT count(DISTINCT n_name) OVER () FROM nation",
        "SELECT sum(n_nationkey ORDER BY n_name) OVER () FROM nation",
    ] {
        assert!(matches!(err(sql), Error::Unsupported(_)), "{sql}");
    }
    assert!(matches!(
        err("SELECT sum(n_name) OVER () FROM nation"),
        Error::Type(_)
    ));
}

#[test]
fn pushdown_passes_a_window_only_on_partition_keys() {
    let cat = tpch();
    let sql = "SELECT * FROM (SELECT n_regionkey, n_name, \
               row_number() OVER (PARTITION BY n_regionkey ORDER BY n_name) AS rn FROM nation) t \
               WHERE n_regionkey = 1 AND rn = 1";
    let p = optimize(plan_of(sql, &cat).unwrap(), &cat).unwrap();
    let w = window(&p);
    let LogicalPlan::Window { input, .. } = w else {
        unreachable!()
    };
    // `n_regionkey = 1` reached the scan; `rn = 1` stayed above the window.
    let below: Vec<_> = input.preorder();
    assert!(below
        .iter()
        .any(|n| matches!(n, LogicalPlan::Scan { filters, .. } if filters.len() == 1)));
    assert!(p
        .preorder()
        .iter()
        .any(|n| matches!(n, LogicalPlan::Filter { input, .. } if matches!(**input, LogicalPlan::Window { .. }))));
}

#[test]
fn pruning_drops_unused_window_functions() {
    let cat = tpch();
    let sql =
        "SELECT n_name FROM (SELECT n_name, rank() OVER (ORDER BY n_comment) AS r FROM nation) t";
    let p = optimize(plan_of(sql, &cat).unwrap(), &cat).unwrap();
    assert!(!p
        .preorder()
        .iter()
        .any(|n| matches!(n, LogicalPlan::Window { .. })));
    // A used function keeps the columns it reads.
    let sql = "SELECT r FROM (SELECT n_name, rank() OVER (ORDER BY n_comment) AS r FROM nation) t";
    let p = optimize(plan_of(sql, &cat).unwrap(), &cat).unwrap();
    let LogicalPlan::Window { input, .. } = window(&p) else {
        unreachable!()
    };
    assert_eq!(
        input
            .fields()
            .iter()
            .map(|f| f.name.as_str())
            .collect::<Vec<_>>(),
        vec!["n_comment"]
    );
}
