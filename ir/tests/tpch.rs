//! All 22 TPC-H queries bind (correlated ones unnested into joins) and optimize.
mod common;

use common::*;

#[test]
fn all_queries_bind() {
    let cat = tpch();
    for n in 1..=22 {
        if let Err(e) = bind_sql(&tpch_query(n), &cat) {
            panic!("q{n}: {e}");
        }
    }
}

#[test]
fn print_plans() {
    let cat = tpch();
    for n in 1..=22 {
        let plan = plan_of(&tpch_query(n), &cat).unwrap();
        if std::env::var("SHOW").is_ok() {
            println!("== q{n}\n{}", grizzly_ir::explain(&plan));
            let opt = grizzly_ir::optimize(plan, &cat).unwrap();
            println!("-- optimized\n{}", grizzly_ir::explain(&opt));
        }
    }
}
