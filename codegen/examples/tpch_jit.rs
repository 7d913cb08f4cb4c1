//! Compiled vs interpreted run time of TPC-H Q1 and Q6, plus compile time.
//!
//! ```text
//! cargo run --release -p grizzly-codegen --example tpch_jit -- /path/to/sf1.griz [runs]
//! ```
//! The `.griz` file is made by `grizzly generate tpch --sf 1`; it is opened read-only here
//! (copy it first if another process holds it).

use grizzly_codegen::Compiler;
use grizzly_ir::{LogicalPlan, Statement};
use grizzly_runtime::exec::{execute, ExecContext};
use grizzly_runtime::storage::{Snapshot, Store};
use grizzly_runtime::{Result, Vector};
use std::sync::Arc;
use std::time::{Duration, Instant};

const Q1: &str = "select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty,
    sum(l_extendedprice) as sum_base_price,
    sum(l_extendedprice * (1 - l_discount)) as sum_disc_price,
    sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge,
    avg(l_quantity) as avg_qty, avg(l_extendedprice) as avg_price, avg(l_discount) as avg_disc,
    count(*) as count_order
from lineitem where l_shipdate <= date '1998-12-01' - interval '90' day
group by l_returnflag, l_linestatus order by l_returnflag, l_linestatus";

const Q6: &str = "select sum(l_extendedprice * l_discount) as revenue from lineitem
where l_shipdate >= date '1994-01-01' and l_shipdate < date '1994-01-01' + interval '1' year
    and l_discount between 0.06 - 0.01 and 0.06 + 0.01 and l_quantity < 24";

fn plan(snapshot: &Snapshot, sql: &str) -> LogicalPlan {
    let ast = grizzly_ir::parse(sql).expect("parse");
    let bound = grizzly_ir::bind(&ast[0], snapshot).expect("bind");
    let Statement::Query(p) = bound.statement else {
        panic!("not a query")
    };
    grizzly_ir::optimize(p, snapshot).expect("optimize")
}

fn rows(r: &(Vec<Vector>, usize)) -> Vec<String> {
    let mut out: Vec<String> = (0..r.1)
        .map(|i| {
            r.0.iter()
                .map(|c| c.get(i).to_string())
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    out.sort();
    out
}

/// Best of `runs` timings.
fn best(
    runs: usize,
    mut f: impl FnMut() -> Result<(Vec<Vector>, usize)>,
) -> (Duration, (Vec<Vector>, usize)) {
    let mut best = Duration::MAX;
    let mut out = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = f().expect("query");
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().unwrap_or_else(|| "/tmp/sf1.griz".into());
    let runs: usize = args.next().and_then(|s| s.parse().ok()).unwrap_or(5);
    let store = Store::open(path.as_ref()).expect("open the .griz file");
    let snapshot: Arc<Snapshot> = store.snapshot();
    let compiler = Compiler::new().expect("JIT");
    println!("query  interpreted  compiled  speedup  compile  code");
    for (name, sql) in [("Q1", Q1), ("Q6", Q6)] {
        let plan = plan(&snapshot, sql);
        let ctx = ExecContext::new(snapshot.clone(), Arc::from(Vec::new()));
        // Warm up: checksums are verified on the first load of each chunk.
        execute(&plan, &ctx).expect("warm-up");
        let (ti, ri) = best(runs, || execute(&plan, &ctx));
        let mut compile = Duration::MAX;
        let mut compiled = None;
        for _ in 0..runs {
            let c = compiler.compile(&plan).expect("compile");
            compile = compile.min(c.compile_time());
            compiled = Some(c);
        }
        let compiled = Arc::new(compiled.expect("compiled"));
        assert_eq!(
            compiled.pipelines().len(),
            1,
            "{name}: {:?}",
            compiled.skipped()
        );
        if std::env::var_os("GRIZZLY_CLIF").is_some() {
            println!("{}", compiled.clif());
        }
        let cctx = ctx.clone().with_compiled(&plan, compiled.clone());
        let (tc, rc) = best(runs, || execute(&plan, &cctx));
        assert_eq!(
            compiled.fallbacks(),
            0,
            "{name} fell back to the interpreter"
        );
        assert_eq!(rows(&ri), rows(&rc), "{name}: results differ");
        println!(
            "{name}     {:>8.1} ms  {:>5.1} ms  {:>6.1}x  {:>4.2} ms  {} B",
            ti.as_secs_f64() * 1e3,
            tc.as_secs_f64() * 1e3,
            ti.as_secs_f64() / tc.as_secs_f64(),
            compile.as_secs_f64() * 1e3,
            compiled.code_bytes()
        );
    }
}
