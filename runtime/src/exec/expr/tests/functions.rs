use super::*;
use grizzly_ir::date::{parse_date, DateField};
use ScalarFunc::*;

fn date(s: &str) -> Expr {
    lit(Value::Date(parse_date(s).unwrap()), DataType::Date)
}

fn dv(s: &str) -> Value {
    Value::Date(parse_date(s).unwrap())
}

#[test]
fn numeric_functions() {
    assert_eq!(one(&func(Abs, vec![int(-3)], INT)), Value::Int32(3));
    assert_eq!(
        one_err(&func(Abs, vec![int(i32::MIN)], INT)),
        "integer out of range"
    );
    assert_eq!(
        one(&func(
            Abs,
            vec![lit(Value::Decimal(-150, 2), dec(5, 2))],
            dec(5, 2)
        )),
        Value::Decimal(150, 2)
    );
    assert_eq!(one(&func(Abs, vec![null(INT)], INT)), Value::Null);
    let d = |v: i128| lit(Value::Decimal(v, 3), dec(10, 3));
    // round(decimal, digits) keeps the type; half away from zero.
    assert_eq!(
        one(&func(Round, vec![d(2345), int(2)], dec(10, 3))),
        Value::Decimal(2350, 3)
    );
    assert_eq!(
        one(&func(Round, vec![d(-2345), int(2)], dec(10, 3))),
        Value::Decimal(-2350, 3)
    );
    assert_eq!(
        one(&func(Round, vec![d(2500)], dec(10, 3))),
        Value::Decimal(3000, 3)
    );
    assert_eq!(
        one(&func(Round, vec![d(2345), int(2)], dec(10, 2))),
        Value::Decimal(235, 2)
    );
    assert_eq!(
        one(&func(Round, vec![d(123456), int(-2)], dec(10, 3))),
        Value::Decimal(100000, 3)
    );
    assert_eq!(
        one(&func(Round, vec![d(1), null(INT)], dec(10, 3))),
        Value::Null
    );
    let f = |x: f64| lit(Value::Float64(x), DBL);
    assert_eq!(one(&func(Round, vec![f(2.5)], DBL)), Value::Float64(3.0));
    assert_eq!(one(&func(Round, vec![f(-2.5)], DBL)), Value::Float64(-3.0));
    assert_eq!(
        one(&func(Round, vec![f(1.2345), int(2)], DBL)),
        Value::Float64(1.23)
    );
    assert_eq!(
        one(&func(Round, vec![int(1250), int(-2)], INT)),
        Value::Int32(1300)
    );
    // digits per row.
    let b = batch(vec![vector(INT, &ints(&[Some(0), Some(1), None]))]);
    let e = func(Round, vec![f(1.55), col(0, INT)], DBL);
    assert_eq!(
        eval(&e, &b),
        vec![Value::Float64(2.0), Value::Float64(1.6), Value::Null]
    );
    // nullif
    assert_eq!(one(&func(NullIf, vec![int(1), int(1)], INT)), Value::Null);
    assert_eq!(
        one(&func(NullIf, vec![int(1), int(2)], INT)),
        Value::Int32(1)
    );
    assert_eq!(
        one(&func(NullIf, vec![int(1), null(INT)], INT)),
        Value::Int32(1)
    );
    let b = batch(vec![vector(INT, &ints(&[Some(0), Some(3), None]))]);
    let e = func(NullIf, vec![col(0, INT), int(0)], INT);
    assert_eq!(eval(&e, &b), ints(&[None, Some(3), None]));
    // The usual guard: x / nullif(y, 0).
    let e = bin(
        BinaryOp::Div,
        int(6),
        func(NullIf, vec![col(0, INT), int(0)], INT),
    );
    assert_eq!(eval(&e, &b), ints(&[None, Some(2), None]));
}

#[test]
fn date_functions() {
    let d = date("1995-03-15");
    let ex = |f| one(&func(Extract(f), vec![d.clone()], BIG));
    assert_eq!(ex(DateField::Year), Value::Int64(1995));
    assert_eq!(ex(DateField::Month), Value::Int64(3));
    assert_eq!(ex(DateField::Day), Value::Int64(15));
    assert_eq!(ex(DateField::Quarter), Value::Int64(1));
    assert_eq!(ex(DateField::DayOfWeek), Value::Int64(3));
    assert_eq!(ex(DateField::DayOfYear), Value::Int64(74));
    assert_eq!(
        one(&func(
            DateAddDays,
            vec![date("1998-12-01"), int(-90)],
            DataType::Date
        )),
        dv("1998-09-02")
    );
    assert_eq!(
        one(&func(
            DateAddMonths,
            vec![date("2024-01-31"), int(1)],
            DataType::Date
        )),
        dv("2024-02-29")
    );
    assert_eq!(
        one(&func(
            DateAddMonths,
            vec![date("1994-01-01"), int(12)],
            DataType::Date
        )),
        dv("1995-01-01")
    );
    assert_eq!(
        one(&func(
            DateAddDays,
            vec![null(DataType::Date), int(1)],
            DataType::Date
        )),
        Value::Null
    );
    assert_eq!(
        one_err(&func(
            DateAddDays,
            vec![lit(Value::Date(i32::MAX), DataType::Date), int(1)],
            DataType::Date
        )),
        "date out of range"
    );
    let b = batch(vec![vector(
        DataType::Date,
        &[dv("1992-02-29"), Value::Null],
    )]);
    let e = func(Extract(DateField::Year), vec![col(0, DataType::Date)], BIG);
    assert_eq!(eval(&e, &b), vec![Value::Int64(1992), Value::Null]);
}
