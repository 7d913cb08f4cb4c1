use super::*;
use BinaryOp::*;

const OPS: [BinaryOp; 6] = [Eq, NotEq, Lt, LtEq, Gt, GtEq];

/// The expected result of `a op b` on non-NULL values.
fn expect(op: BinaryOp, ord: std::cmp::Ordering) -> bool {
    use std::cmp::Ordering::*;
    match op {
        Eq => ord == Equal,
        NotEq => ord != Equal,
        Lt => ord == Less,
        LtEq => ord != Greater,
        Gt => ord == Greater,
        GtEq => ord != Less,
        _ => unreachable!(),
    }
}

#[test]
fn integers_against_columns_and_constants() {
    let xs = ints(&[Some(1), Some(5), None, Some(9), Some(5)]);
    let ys = ints(&[Some(5), Some(5), Some(1), Some(2), None]);
    let b = batch(vec![vector(INT, &xs), vector(INT, &ys)]);
    for op in OPS {
        let e = bin(op, col(0, INT), col(1, INT));
        let want: Vec<Value> = xs
            .iter()
            .zip(&ys)
            .map(|(x, y)| match x.sql_cmp(y) {
                Some(o) => Value::Boolean(expect(op, o)),
                None => Value::Null,
            })
            .collect();
        assert_eq!(eval(&e, &b), want, "{op:?}");
        check_select(&e, &b);
        check_select(&Expr::Not(Box::new(e.clone())), &b);
        check_select(&e, &with_sel(b.clone(), &[0, 2, 3]));
        // Constant on either side.
        for c in [int(5), int(0)] {
            let e1 = bin(op, col(0, INT), c.clone());
            let e2 = bin(op.flip(), c, col(0, INT));
            assert_eq!(eval(&e1, &b), eval(&e2, &b));
            check_select(&e1, &b);
            check_select(&e2, &with_sel(b.clone(), &[1, 3, 4]));
        }
        assert_eq!(
            eval(&bin(op, col(0, INT), null(INT)), &b),
            bools(&[None; 5])
        );
        assert!(select(&bin(op, col(0, INT), null(INT)), &b).is_empty());
    }
}

#[test]
fn doubles_order_nan_last() {
    let v = [1.0, f64::NAN, -0.0, f64::INFINITY];
    let b = batch(vec![vector(DBL, &v.map(Value::Float64))]);
    let nan = lit(Value::Float64(f64::NAN), DBL);
    assert_eq!(
        eval(&bin(Eq, col(0, DBL), nan.clone()), &b),
        bools(&[Some(false), Some(true), Some(false), Some(false)])
    );
    assert_eq!(
        eval(&bin(Lt, col(0, DBL), nan.clone()), &b),
        bools(&[Some(true), Some(false), Some(true), Some(true)])
    );
    assert_eq!(
        eval(&bin(Gt, col(0, DBL), nan), &b),
        bools(&[Some(false); 4])
    );
    let zero = lit(Value::Float64(0.0), DBL);
    assert_eq!(
        eval(&bin(Eq, col(0, DBL), zero), &b),
        bools(&[Some(false), Some(false), Some(true), Some(false)])
    );
}

#[test]
fn decimals_dates_booleans() {
    let t = dec(15, 2);
    let b = batch(vec![
        vector(
            t,
            &[
                Value::Decimal(5, 2),
                Value::Decimal(7, 2),
                Value::Decimal(6, 2),
            ],
        ),
        vector(
            DataType::Date,
            &[Value::Date(10), Value::Date(20), Value::Date(30)],
        ),
        vector(BOOL, &bools(&[Some(true), Some(false), None])),
    ]);
    // `l_discount BETWEEN 0.05 AND 0.07 AND l_shipdate >= DATE ...`, the Q6 shape.
    let between = Expr::and(
        bin(GtEq, col(0, t), lit(Value::Decimal(5, 2), t)),
        bin(LtEq, col(0, t), lit(Value::Decimal(7, 2), t)),
    );
    let q6 = Expr::and(
        between,
        bin(
            GtEq,
            col(1, DataType::Date),
            lit(Value::Date(20), DataType::Date),
        ),
    );
    assert_eq!(select(&q6, &b), vec![1, 2]);
    check_select(&q6, &with_sel(b.clone(), &[0, 2]));
    assert_eq!(
        eval(&bin(Eq, col(2, BOOL), lit(Value::Boolean(false), BOOL)), &b),
        bools(&[Some(false), Some(true), None])
    );
    // Different decimal scales are aligned.
    let e = bin(Eq, col(0, t), lit(Value::Decimal(5, 1), dec(5, 1)));
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(false), Some(false), Some(false)])
    );
    let e = bin(Eq, col(0, t), lit(Value::Decimal(70, 3), dec(5, 3)));
    assert_eq!(eval(&e, &b), bools(&[Some(false), Some(true), Some(false)]));
}

/// Strings from a small alphabet so that equal and prefix cases occur.
fn sample_strings() -> Vec<Option<&'static str>> {
    vec![
        Some("b"),
        Some("ab"),
        None,
        Some(""),
        Some("abc"),
        Some("b"),
        Some("é"),
        Some("abd"),
        Some("a"),
        None,
        Some("zz"),
        Some("ab"),
    ]
}

#[test]
fn dictionary_strings_match_plain_strings() {
    let values = sample_strings();
    let plain = vector(TEXT, &strs(&values));
    let dict = dict_vector(&values);
    let b_plain = batch(vec![plain.clone(), plain]);
    let b_dict = batch(vec![dict.clone(), dict]);
    let consts = ["ab", "a", "", "b", "abcd", "zzz", "é", "0"];
    for op in OPS {
        for c in consts {
            for e in [
                bin(op, col(0, TEXT), text(c)),
                bin(op, text(c), col(0, TEXT)),
            ] {
                let want = eval(&e, &b_plain);
                assert_eq!(eval(&e, &b_dict), want, "{e:?}");
                check_select(&e, &b_dict);
                check_select(&Expr::Not(Box::new(e.clone())), &b_dict);
                let sel = [1, 2, 5, 8, 11];
                assert_eq!(
                    eval(&e, &with_sel(b_dict.clone(), &sel)),
                    eval(&e, &with_sel(b_plain.clone(), &sel))
                );
                check_select(&e, &with_sel(b_dict.clone(), &sel));
            }
        }
        // Two columns sharing a dictionary compare by code.
        let e = bin(op, col(0, TEXT), col(1, TEXT));
        assert_eq!(eval(&e, &b_dict), eval(&e, &b_plain));
        // Mixed: plain against dictionary.
        let mixed = batch(vec![
            b_plain.columns[0].clone(),
            dict_vector(&sample_strings().into_iter().rev().collect::<Vec<_>>()),
        ]);
        let e = bin(op, col(0, TEXT), col(1, TEXT));
        let reversed: Vec<Value> = strs(&sample_strings().into_iter().rev().collect::<Vec<_>>());
        let want: Vec<Value> = strs(&sample_strings())
            .iter()
            .zip(&reversed)
            .map(|(x, y)| {
                x.sql_cmp(y)
                    .map_or(Value::Null, |o| Value::Boolean(expect(op, o)))
            })
            .collect();
        assert_eq!(eval(&e, &mixed), want);
    }
}
