use super::*;
use BinaryOp::*;

fn big(x: i64) -> Expr {
    lit(Value::Int64(x), BIG)
}

fn decimal(v: i128, p: u8, s: u8) -> Expr {
    lit(Value::Decimal(v, s), dec(p, s))
}

#[test]
fn integer_arithmetic_with_nulls() {
    let b = batch(vec![
        vector(INT, &ints(&[Some(7), Some(-7), None, Some(9)])),
        vector(INT, &ints(&[Some(2), Some(2), Some(1), None])),
    ]);
    let (x, y) = (col(0, INT), col(1, INT));
    assert_eq!(
        eval(&bin(Add, x.clone(), y.clone()), &b),
        ints(&[Some(9), Some(-5), None, None])
    );
    assert_eq!(
        eval(&bin(Sub, x.clone(), y.clone()), &b),
        ints(&[Some(5), Some(-9), None, None])
    );
    assert_eq!(
        eval(&bin(Mul, x.clone(), y.clone()), &b),
        ints(&[Some(14), Some(-14), None, None])
    );
    // Integer division truncates toward zero; the remainder has the dividend's sign.
    assert_eq!(
        eval(&bin(Div, x.clone(), y.clone()), &b),
        ints(&[Some(3), Some(-3), None, None])
    );
    assert_eq!(
        eval(&bin(Mod, x.clone(), y.clone()), &b),
        ints(&[Some(1), Some(-1), None, None])
    );
    assert_eq!(eval(&bin(Add, x.clone(), null(INT)), &b), ints(&[None; 4]));
    assert_eq!(
        eval(&Expr::Negate(Box::new(x)), &b),
        ints(&[Some(-7), Some(7), None, Some(-9)])
    );
}

#[test]
fn overflow_is_an_error() {
    assert_eq!(
        one_err(&bin(Add, int(i32::MAX), int(1))),
        "integer out of range"
    );
    assert_eq!(
        one_err(&bin(Sub, int(i32::MIN), int(1))),
        "integer out of range"
    );
    assert_eq!(
        one_err(&bin(Mul, int(1 << 16), int(1 << 16))),
        "integer out of range"
    );
    assert_eq!(
        one_err(&Expr::Negate(Box::new(int(i32::MIN)))),
        "integer out of range"
    );
    assert_eq!(
        one_err(&bin(Div, big(i64::MIN), big(-1))),
        "integer out of range"
    );
    assert_eq!(one(&bin(Mod, big(i64::MIN), big(-1))), Value::Int64(0));
    assert_eq!(
        one(&bin(Add, big(i64::MAX - 1), big(1))),
        Value::Int64(i64::MAX)
    );
    // The same through a column, where the kernel finds the failing row after the fact.
    let b = batch(vec![vector(INT, &ints(&[Some(1), Some(i32::MAX), None]))]);
    let err = try_eval(&bin(Add, col(0, INT), int(1)), &b).unwrap_err();
    assert_eq!(err.to_string(), "integer out of range");
}

#[test]
fn division_by_zero() {
    assert_eq!(one_err(&bin(Div, int(1), int(0))), "division by zero");
    assert_eq!(one_err(&bin(Mod, big(1), big(0))), "division by zero");
    assert_eq!(
        one_err(&bin(
            Div,
            lit(Value::Float64(1.0), DBL),
            lit(Value::Float64(0.0), DBL)
        )),
        "division by zero"
    );
    let b = batch(vec![vector(INT, &ints(&[Some(1), Some(0)]))]);
    assert_eq!(
        try_eval(&bin(Div, int(5), col(0, INT)), &b)
            .unwrap_err()
            .to_string(),
        "division by zero"
    );
    // A constant division by zero is kept for run time, not raised while compiling.
    assert!(compile(&bin(Div, int(1), int(0))).is_ok());
}

#[test]
fn doubles() {
    let d = |x: f64| lit(Value::Float64(x), DBL);
    assert_eq!(one(&bin(Div, d(1.0), d(4.0))), Value::Float64(0.25));
    assert_eq!(one(&bin(Mod, d(7.5), d(2.0))), Value::Float64(1.5));
    assert_eq!(
        one_err(&bin(Mul, d(1e308), d(10.0))),
        "value out of range: overflow"
    );
    assert_eq!(
        one(&bin(Add, d(f64::INFINITY), d(1.0))),
        Value::Float64(f64::INFINITY)
    );
}

#[test]
fn decimals() {
    let t = dec(15, 2);
    // + and - on equal scales.
    assert_eq!(
        one(&bin(Add, decimal(150, 15, 2), decimal(-275, 15, 2))),
        Value::Decimal(-125, 2)
    );
    // * adds the scales; two i64 decimals multiply into an i128 result.
    let price = col(0, t);
    let disc = col(1, t);
    let b = batch(vec![
        vector(
            t,
            &[
                Value::Decimal(123456, 2),
                Value::Decimal(99, 2),
                Value::Null,
            ],
        ),
        vector(
            t,
            &[
                Value::Decimal(5, 2),
                Value::Decimal(100, 2),
                Value::Decimal(1, 2),
            ],
        ),
    ]);
    let one_minus = Expr::binary(Sub, decimal(100, 15, 2), disc.clone(), t);
    let e = Expr::binary(Mul, price.clone(), one_minus, dec(30, 4));
    assert_eq!(
        eval(&e, &b),
        vec![
            Value::Decimal(123456 * 95, 4),
            Value::Decimal(0, 4),
            Value::Null
        ]
    );
    // Same through a selection (columns read in place).
    assert_eq!(
        eval(&e, &with_sel(b.clone(), &[1])),
        vec![Value::Decimal(0, 4)]
    );
    // An i64 result that overflows.
    let big_dec = decimal(10i128.pow(17), 18, 0);
    let e = Expr::binary(Mul, big_dec.clone(), big_dec.clone(), dec(18, 0));
    assert!(one_err(&e).starts_with("decimal overflow"));
    // An i128 result that overflows.
    let huge = decimal(10i128.pow(37), 38, 0);
    let e = Expr::binary(Mul, huge.clone(), huge.clone(), dec(38, 0));
    assert!(one_err(&e).starts_with("decimal overflow"));
    let e = Expr::binary(Add, huge.clone(), huge, dec(38, 0));
    assert_eq!(one(&e), Value::Decimal(2 * 10i128.pow(37), 0));
    // Decimal times integer.
    let e = Expr::binary(Mul, decimal(125, 10, 2), int(3), dec(21, 2));
    assert_eq!(one(&e), Value::Decimal(375, 2));
    // Division into a decimal result rounds half away from zero.
    let e = Expr::binary(Div, decimal(100, 10, 2), decimal(300, 10, 2), dec(10, 4));
    assert_eq!(one(&e), Value::Decimal(3333, 4));
    let e = Expr::binary(Div, decimal(-200, 10, 2), decimal(300, 10, 2), dec(10, 2));
    assert_eq!(one(&e), Value::Decimal(-67, 2));
    let e = Expr::binary(Div, decimal(1, 10, 2), decimal(0, 10, 2), dec(10, 2));
    assert_eq!(one_err(&e), "division by zero");
}

#[test]
fn dates() {
    let day = |s: &str| {
        lit(
            Value::Date(grizzly_ir::date::parse_date(s).unwrap()),
            DataType::Date,
        )
    };
    let e = Expr::binary(Add, day("1998-12-01"), int(-90), DataType::Date);
    assert_eq!(one(&cast(e, TEXT)), Value::Varchar("1998-09-02".into()));
    let e = Expr::binary(Sub, day("1998-12-01"), day("1998-01-01"), INT);
    assert_eq!(one(&e), Value::Int32(334));
    let e = Expr::binary(
        Add,
        lit(Value::Date(i32::MAX), DataType::Date),
        int(1),
        DataType::Date,
    );
    assert_eq!(one_err(&e), "date out of range");
}
