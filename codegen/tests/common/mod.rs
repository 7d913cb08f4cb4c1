//! Shared helpers of the differential tests: a synthetic lineitem table and a runner that
//! executes one plan interpreted and compiled and compares the results.
#![allow(dead_code)]

use grizzly_codegen::{CompiledQuery, Compiler};
use grizzly_ir::{ColumnMeta, DataType, LogicalPlan, Statement, TableMeta, Value};
use grizzly_runtime::exec::{execute, ExecContext};
use grizzly_runtime::storage::{Snapshot, Store};
use grizzly_runtime::{Result, Vector};
use std::sync::Arc;

pub const MONEY: DataType = DataType::Decimal {
    precision: 15,
    scale: 2,
};

/// The lineitem columns the tests use, TPC-H types.
pub fn lineitem_meta(nullable_tax: bool) -> TableMeta {
    let cols = [
        ("l_orderkey", DataType::Int64),
        ("l_linenumber", DataType::Int32),
        ("l_quantity", MONEY),
        ("l_extendedprice", MONEY),
        ("l_discount", MONEY),
        ("l_tax", MONEY),
        ("l_returnflag", DataType::Varchar),
        ("l_linestatus", DataType::Varchar),
        ("l_shipdate", DataType::Date),
        ("l_shipmode", DataType::Varchar),
    ];
    TableMeta {
        name: "lineitem".into(),
        columns: cols
            .iter()
            .map(|(n, t)| ColumnMeta {
                name: n.to_string(),
                ty: *t,
                nullable: nullable_tax && *n == "l_tax",
            })
            .collect(),
        row_count: 0,
    }
}

/// A fixed-seed xorshift generator.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }
}

/// `rows` lineitem-like rows (TPC-H value ranges); with `null_every`, every n-th l_tax is NULL.
pub fn lineitem_rows(rows: usize, seed: u64, null_every: Option<usize>) -> Vec<Vector> {
    let mut r = Rng::new(seed);
    let mut cols: Vec<Vec<Value>> = (0..10).map(|_| Vec::with_capacity(rows)).collect();
    for i in 0..rows {
        let qty = r.range(1, 50);
        let price = r.range(90_000, 105_000) * qty / 100;
        let ship = r.range(8036, 10_561); // 1992-01-02 .. 1998-12-01
        let flag = if ship > 9290 {
            "N"
        } else if r.next().is_multiple_of(2) {
            "R"
        } else {
            "A"
        };
        let status = if ship > 9300 { "O" } else { "F" };
        let modes = ["AIR", "MAIL", "SHIP", "TRUCK", "RAIL", "FOB", "REG AIR"];
        cols[0].push(Value::Int64(i as i64 / 4 + 1));
        cols[1].push(Value::Int32((i % 7) as i32 + 1));
        cols[2].push(Value::Decimal(qty as i128 * 100, 2));
        cols[3].push(Value::Decimal(price as i128, 2));
        cols[4].push(Value::Decimal(r.range(0, 10) as i128, 2));
        let tax = Value::Decimal(r.range(0, 8) as i128, 2);
        cols[5].push(match null_every {
            Some(n) if i % n == 0 => Value::Null,
            _ => tax,
        });
        cols[6].push(Value::Varchar(flag.into()));
        cols[7].push(Value::Varchar(status.into()));
        cols[8].push(Value::Date(ship as i32));
        cols[9].push(Value::Varchar(modes[r.range(0, 6) as usize].into()));
    }
    let meta = lineitem_meta(true);
    cols.iter()
        .zip(&meta.columns)
        .map(|(v, c)| Vector::from_values(c.ty, v).expect("values fit"))
        .collect()
}

/// A store with a lineitem table of `rows` rows appended in chunks of `chunk` rows.
pub fn lineitem_store(rows: usize, chunk: usize, null_every: Option<usize>) -> Store {
    let store = Store::in_memory();
    let mut tx = store.begin_write().unwrap();
    tx.create_table(lineitem_meta(null_every.is_some()))
        .unwrap();
    let mut done = 0;
    let mut seed = 42;
    while done < rows {
        let n = chunk.min(rows - done);
        tx.append("lineitem", lineitem_rows(n, seed, null_every))
            .unwrap();
        done += n;
        seed += 1;
    }
    tx.commit().unwrap();
    store
}

/// Binds and optimizes one SELECT.
pub fn plan(snapshot: &Snapshot, sql: &str) -> LogicalPlan {
    let ast = grizzly_ir::parse(sql).unwrap();
    let bound = grizzly_ir::bind(&ast[0], snapshot).unwrap();
    let Statement::Query(p) = bound.statement else {
        panic!("not a query: {sql}")
    };
    grizzly_ir::optimize(p, snapshot).unwrap()
}

/// Rows as text, sorted (group order is unspecified).
pub fn rows(result: &(Vec<Vector>, usize)) -> Vec<String> {
    let (cols, n) = result;
    let mut out: Vec<String> = (0..*n)
        .map(|i| {
            cols.iter()
                .map(|c| format!("{:?}", c.get(i)))
                .collect::<Vec<_>>()
                .join(" | ")
        })
        .collect();
    out.sort();
    out
}

pub fn interpreted(
    snapshot: &Arc<Snapshot>,
    plan: &LogicalPlan,
    params: &[Value],
) -> Result<(Vec<Vector>, usize)> {
    execute(plan, &ExecContext::new(snapshot.clone(), params.into()))
}

pub fn compiled_run(
    snapshot: &Arc<Snapshot>,
    plan: &LogicalPlan,
    params: &[Value],
    compiled: &Arc<CompiledQuery>,
) -> Result<(Vec<Vector>, usize)> {
    let ctx =
        ExecContext::new(snapshot.clone(), params.into()).with_compiled(plan, compiled.clone());
    execute(plan, &ctx)
}

/// Runs `sql` in both tiers and asserts equal results (or equal errors); returns the
/// compiled query and the rows.
pub fn check(store: &Store, sql: &str, params: &[Value]) -> (Arc<CompiledQuery>, Vec<String>) {
    let snapshot = store.snapshot();
    let plan = plan(&snapshot, sql);
    let compiled = Arc::new(Compiler::new().unwrap().compile(&plan).unwrap());
    let rows = compare(&snapshot, &plan, params, &compiled, sql);
    (compiled, rows)
}

/// Like [`check`], and asserts the query ran compiled (one pipeline, no fallback).
pub fn check_compiled(store: &Store, sql: &str, params: &[Value]) -> Vec<String> {
    let (c, rows) = check(store, sql, params);
    assert_eq!(
        c.pipelines().len(),
        1,
        "{sql}: not compiled: {:?}",
        c.skipped()
    );
    assert_eq!(c.fallbacks(), 0, "{sql}: fell back to the interpreter");
    rows
}

pub fn compare(
    snapshot: &Arc<Snapshot>,
    plan: &LogicalPlan,
    params: &[Value],
    compiled: &Arc<CompiledQuery>,
    what: &str,
) -> Vec<String> {
    let a = interpreted(snapshot, plan, params);
    let b = compiled_run(snapshot, plan, params, compiled);
    match (a, b) {
        (Ok(a), Ok(b)) => {
            let (ra, rb) = (rows(&a), rows(&b));
            assert_eq!(ra, rb, "results differ for {what} with {params:?}");
            // Same output types too.
            let ta: Vec<_> = a.0.iter().map(|v| v.ty).collect();
            let tb: Vec<_> = b.0.iter().map(|v| v.ty).collect();
            assert_eq!(ta, tb, "types differ for {what}");
            ra
        }
        (Err(a), Err(b)) => {
            assert_eq!(a.to_string(), b.to_string(), "errors differ for {what}");
            vec![format!("error: {a}")]
        }
        (a, b) => panic!(
            "{what}: interpreted {:?} vs compiled {:?}",
            a.map(|r| rows(&r)),
            b.map(|r| rows(&r))
        ),
    }
}

/// TPC-H Q1 (as in the TPC-H specification, default substitution parameters).
pub const Q1: &str = "select l_returnflag, l_linestatus, sum(l_quantity) as sum_qty,
    sum(l_extendedprice) as sum_base_price,
    sum(l_extendedprice * (1 - l_discount)) as sum_disc_price,
    sum(l_extendedprice * (1 - l_discount) * (1 + l_tax)) as sum_charge,
    avg(l_quantity) as avg_qty, avg(l_extendedprice) as avg_price, avg(l_discount) as avg_disc,
    count(*) as count_order
from lineitem
where l_shipdate <= date '1998-12-01' - interval '90' day
group by l_returnflag, l_linestatus
order by l_returnflag, l_linestatus";

/// TPC-H Q6.
pub const Q6: &str = "select sum(l_extendedprice * l_discount) as revenue
from lineitem
where l_shipdate >= date '1994-01-01'
    and l_shipdate < date '1994-01-01' + interval '1' year
    and l_discount between 0.06 - 0.01 and 0.06 + 0.01
    and l_quantity < 24";
