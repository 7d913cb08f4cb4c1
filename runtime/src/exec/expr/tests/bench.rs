//! Rough timings of TPC-H Q1/Q6-shaped expressions (`cargo test --release -- --ignored`).

use super::*;
use std::time::Instant;

const ROWS: usize = 6_000_000;

fn lineitem() -> Vec<Batch> {
    let t = dec(15, 2);
    let mut state = 42u64;
    let mut rnd = |m: u64| {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (state >> 33) % m
    };
    let mut out = Vec::new();
    let mut left = ROWS;
    while left > 0 {
        let n = left.min(2048);
        left -= n;
        let qty: Vec<i64> = (0..n).map(|_| (rnd(50) as i64 + 1) * 100).collect();
        let price: Vec<i64> = (0..n).map(|_| rnd(10_000_000) as i64).collect();
        let disc: Vec<i64> = (0..n).map(|_| rnd(11) as i64).collect();
        let tax: Vec<i64> = (0..n).map(|_| rnd(9) as i64).collect();
        let ship: Vec<i32> = (0..n).map(|_| 8000 + rnd(2500) as i32).collect();
        let v = |d: VectorData| Vector {
            ty: t,
            data: d,
            validity: None,
        };
        out.push(Batch::new(
            vec![
                v(VectorData::I64(qty.into())),
                v(VectorData::I64(price.into())),
                v(VectorData::I64(disc.into())),
                v(VectorData::I64(tax.into())),
                Vector {
                    ty: DataType::Date,
                    data: VectorData::I32(ship.into()),
                    validity: None,
                },
            ],
            n,
        ));
    }
    out
}

#[test]
#[ignore]
fn q1_q6_expressions() {
    use BinaryOp::*;
    let t = dec(15, 2);
    let batches = lineitem();
    let d = |v: i128| lit(Value::Decimal(v, 2), t);
    let date = |x: i32| lit(Value::Date(x), DataType::Date);
    let ship = col(4, DataType::Date);
    let q6 = Expr::conjunction([
        bin(GtEq, ship.clone(), date(8766)),
        bin(Lt, ship.clone(), date(9131)),
        bin(GtEq, col(2, t), d(5)),
        bin(LtEq, col(2, t), d(7)),
        bin(Lt, col(0, t), d(2400)),
    ])
    .unwrap();
    let filter = compile(&q6).unwrap();
    let revenue = compile(&Expr::binary(Mul, col(1, t), col(2, t), dec(30, 4))).unwrap();
    let start = Instant::now();
    let (mut rows, mut sum) = (0usize, 0i128);
    for b in &batches {
        let sel = filter.select(b).unwrap();
        rows += sel.len();
        let mut b = b.clone();
        b.sel = Some(sel);
        let r = revenue.eval(&b).unwrap();
        if let VectorData::I128(v) = &r.data {
            sum += v.iter().sum::<i128>();
        }
    }
    eprintln!(
        "Q6 filter + product: {:?} ({rows} rows, {sum})",
        start.elapsed()
    );

    let q1_filter = compile(&bin(LtEq, ship, date(10471))).unwrap();
    let disc_price = Expr::binary(
        Mul,
        col(1, t),
        Expr::binary(Sub, d(100), col(2, t), t),
        dec(30, 4),
    );
    let charge = Expr::binary(
        Mul,
        disc_price.clone(),
        Expr::binary(Add, d(100), col(3, t), t),
        dec(38, 6),
    );
    let exprs = [compile(&disc_price).unwrap(), compile(&charge).unwrap()];
    let start = Instant::now();
    let mut total = 0i128;
    for b in &batches {
        let sel = q1_filter.select(b).unwrap();
        let mut b = b.clone();
        b.sel = Some(sel);
        for e in &exprs {
            if let VectorData::I128(v) = &e.eval(&b).unwrap().data {
                total += v.iter().sum::<i128>();
            }
        }
    }
    eprintln!("Q1 filter + 2 expressions: {:?} ({total})", start.elapsed());
}

#[test]
#[ignore]
fn pieces() {
    use BinaryOp::*;
    let t = dec(15, 2);
    let batches = lineitem();
    let d = |v: i128| lit(Value::Decimal(v, 2), t);
    let date = |x: i32| lit(Value::Date(x), DataType::Date);
    let time = |name: &str, e: &Expr, filter: Option<&Expr>| {
        let p = compile(e).unwrap();
        let f = filter.map(|f| compile(f).unwrap());
        let inputs: Vec<Batch> = batches
            .iter()
            .map(|b| {
                let mut b = b.clone();
                if let Some(f) = &f {
                    b.sel = Some(f.select(&b).unwrap());
                }
                b
            })
            .collect();
        let start = Instant::now();
        let mut n = 0;
        for b in &inputs {
            if e.data_type() == BOOL {
                n += p.select(b).unwrap().len();
            } else {
                n += p.eval(b).unwrap().len();
            }
        }
        eprintln!("{name:40} {:>8.2?} ({n})", start.elapsed());
    };
    let ship = col(4, DataType::Date);
    let q1f = bin(LtEq, ship.clone(), date(10471));
    time("select ship <= c (all rows)", &q1f, None);
    time(
        "select ship >= c AND ship < c",
        &Expr::and(
            bin(GtEq, ship.clone(), date(8766)),
            bin(Lt, ship.clone(), date(9131)),
        ),
        None,
    );
    time(
        "select disc >= c (after 98% sel)",
        &bin(GtEq, col(2, t), d(5)),
        Some(&q1f),
    );
    time(
        "eval ship <= c",
        &bin(
            Gt,
            bin(LtEq, ship.clone(), date(10471)),
            lit(Value::Boolean(false), BOOL),
        ),
        None,
    );
    time(
        "1 - disc (all)",
        &Expr::binary(Sub, d(100), col(2, t), t),
        None,
    );
    time(
        "1 - disc (98% sel)",
        &Expr::binary(Sub, d(100), col(2, t), t),
        Some(&q1f),
    );
    time(
        "price * disc i64*i64->i128 (all)",
        &Expr::binary(Mul, col(1, t), col(2, t), dec(30, 4)),
        None,
    );
    time(
        "price * disc i64*i64->i64 (all)",
        &Expr::binary(Mul, col(1, t), col(2, t), dec(18, 4)),
        None,
    );
    let dp = Expr::binary(
        Mul,
        col(1, t),
        Expr::binary(Sub, d(100), col(2, t), t),
        dec(30, 4),
    );
    time("price * (1 - disc) (98% sel)", &dp, Some(&q1f));
    time(
        "dp * (1 + tax) (98% sel)",
        &Expr::binary(Mul, dp, Expr::binary(Add, d(100), col(3, t), t), dec(38, 6)),
        Some(&q1f),
    );
    time("column gather (98% sel)", &col(1, t), Some(&q1f));
}
