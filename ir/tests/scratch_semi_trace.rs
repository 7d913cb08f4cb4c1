mod common;
use common::*;
use grizzly_ir::{explain, optimize_with_trace};

#[test]
fn print_traces() {
    let cat = tpch_with_stats();
    for n in [17u32, 20, 2] {
        let plan = plan_of(&tpch_query(n), &cat).unwrap();
        for (name, p) in optimize_with_trace(plan, &cat).unwrap() {
            println!("=== q{n} {name}\n{}", explain(&p));
        }
    }
}
