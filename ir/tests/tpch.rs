//! All 22 TPC-H queries bind (or are rejected as correlated) and optimize.
mod common;

use common::*;
use grizzly_ir::Error;

const CORRELATED: [u32; 6] = [2, 4, 17, 20, 21, 22];

#[test]
fn all_queries_bind_or_are_unsupported() {
    let cat = tpch();
    for n in 1..=22 {
        let sql = tpch_query(n);
        let r = bind_sql(&sql, &cat);
        if CORRELATED.contains(&n) {
            match r {
                Err(Error::Unsupported(m)) => assert!(m.contains("correlated"), "q{n}: {m}"),
                other => panic!("q{n}: expected Unsupported, got {other:?}"),
            }
        } else if let Err(e) = r {
            panic!("q{n}: {e}");
        }
    }
}

#[test]
fn print_plans() {
    let cat = tpch();
    for n in 1..=22 {
        if CORRELATED.contains(&n) {
            continue;
        }
        let plan = plan_of(&tpch_query(n), &cat).unwrap();
        if std::env::var("SHOW").is_ok() {
            println!("== q{n}\n{}", grizzly_ir::explain(&plan));
            let opt = grizzly_ir::optimize(plan, &cat).unwrap();
            println!("-- optimized\n{}", grizzly_ir::explain(&opt));
        }
    }
}
