use super::*;
use crate::exec::kernels::cast_value;

fn c(v: Value, to: DataType) -> Value {
    cast_value(&v, to).unwrap_or_else(|e| panic!("{v:?} to {to}: {e}"))
}

fn c_err(v: Value, to: DataType) -> String {
    cast_value(&v, to).unwrap_err().to_string()
}

#[test]
fn numeric_casts() {
    assert_eq!(c(Value::Int32(7), BIG), Value::Int64(7));
    assert_eq!(
        c(Value::Int64(1 << 40), DBL),
        Value::Float64((1u64 << 40) as f64)
    );
    assert_eq!(c_err(Value::Int64(1 << 40), INT), "integer out of range");
    assert_eq!(
        c(Value::Int64(i32::MIN as i64), INT),
        Value::Int32(i32::MIN)
    );
    assert_eq!(c(Value::Int32(12), dec(5, 2)), Value::Decimal(1200, 2));
    assert!(c_err(Value::Int32(1000), dec(5, 2)).starts_with("decimal overflow"));
    // Reducing the scale rounds half away from zero.
    assert_eq!(
        c(Value::Decimal(12345, 3), dec(10, 2)),
        Value::Decimal(1235, 2)
    );
    assert_eq!(
        c(Value::Decimal(-12345, 3), dec(10, 2)),
        Value::Decimal(-1235, 2)
    );
    assert_eq!(
        c(Value::Decimal(-12344, 3), dec(10, 2)),
        Value::Decimal(-1234, 2)
    );
    assert_eq!(c(Value::Decimal(25, 1), INT), Value::Int32(3));
    assert_eq!(c(Value::Decimal(-25, 1), BIG), Value::Int64(-3));
    assert_eq!(c(Value::Decimal(125, 2), DBL), Value::Float64(1.25));
    assert_eq!(
        c(Value::Decimal(5, 0), dec(30, 10)),
        Value::Decimal(5 * 10i128.pow(10), 10)
    );
    assert_eq!(
        c(Value::Decimal(10i128.pow(30), 0), dec(38, 0)),
        Value::Decimal(10i128.pow(30), 0)
    );
    assert!(c_err(Value::Decimal(10i128.pow(30), 0), dec(18, 0)).starts_with("decimal overflow"));
    // Doubles to integers round half to even (PostgreSQL's rint).
    assert_eq!(c(Value::Float64(2.5), INT), Value::Int32(2));
    assert_eq!(c(Value::Float64(-3.5), BIG), Value::Int64(-4));
    assert_eq!(c_err(Value::Float64(3e9), INT), "integer out of range");
    assert_eq!(c_err(Value::Float64(f64::NAN), BIG), "integer out of range");
    assert_eq!(c(Value::Float64(1.005), dec(10, 2)), Value::Decimal(101, 2));
    assert_eq!(
        c(Value::Float64(-0.125), dec(10, 2)),
        Value::Decimal(-13, 2)
    );
    assert!(c_err(Value::Float64(1e20), dec(10, 2)).starts_with("decimal overflow"));
    assert_eq!(c(Value::Boolean(true), INT), Value::Int32(1));
    assert_eq!(c(Value::Int64(0), BOOL), Value::Boolean(false));
    assert_eq!(c(Value::Null, INT), Value::Null);
}

#[test]
fn to_text() {
    assert_eq!(
        c(Value::Decimal(-5, 2), TEXT),
        Value::Varchar("-0.05".into())
    );
    assert_eq!(
        c(Value::Decimal(100, 2), TEXT),
        Value::Varchar("1.00".into())
    );
    assert_eq!(c(Value::Float64(0.1), TEXT), Value::Varchar("0.1".into()));
    assert_eq!(
        c(Value::Float64(1e20), TEXT),
        Value::Varchar("1e+20".into())
    );
    assert_eq!(c(Value::Date(0), TEXT), Value::Varchar("1970-01-01".into()));
    assert_eq!(
        c(Value::Boolean(false), TEXT),
        Value::Varchar("false".into())
    );
    assert_eq!(c(Value::Int32(-42), TEXT), Value::Varchar("-42".into()));
    // Through a column with NULLs and a selection.
    let b = with_sel(
        batch(vec![vector(
            dec(12, 3),
            &[
                Value::Decimal(1, 3),
                Value::Null,
                Value::Decimal(-1234567, 3),
            ],
        )]),
        &[1, 2],
    );
    assert_eq!(
        eval(&cast(col(0, dec(12, 3)), TEXT), &b),
        strs(&[None, Some("-1234.567")])
    );
}

#[test]
fn from_text() {
    let s = |x: &str| Value::Varchar(x.into());
    assert_eq!(c(s(" 42 "), INT), Value::Int32(42));
    assert_eq!(
        c_err(s("abc"), INT),
        "invalid input syntax for type integer: \"abc\""
    );
    assert_eq!(
        c_err(s("1.5"), BIG),
        "invalid input syntax for type bigint: \"1.5\""
    );
    assert!(c_err(s("99999999999"), INT).contains("out of range"));
    assert_eq!(c(s("-12.345"), dec(10, 2)), Value::Decimal(-1235, 2));
    assert!(c_err(s("12x"), dec(10, 2)).contains("invalid input syntax for type numeric"));
    assert_eq!(c(s("1e-3"), DBL), Value::Float64(0.001));
    assert_eq!(
        c(s("1998-12-01"), DataType::Date),
        Value::Date(grizzly_ir::date::parse_date("1998-12-01").unwrap())
    );
    assert_eq!(
        c_err(s("1998-02-30"), DataType::Date),
        "invalid input syntax for type date: \"1998-02-30\""
    );
    assert_eq!(c(s("true"), BOOL), Value::Boolean(true));
    assert_eq!(c(s("off"), BOOL), Value::Boolean(false));
    assert!(c_err(s("maybe"), BOOL).contains("boolean"));
    // Dictionary input parses per row, skipping NULLs.
    let b = batch(vec![dict_vector(&[Some("1"), None, Some("22"), Some("1")])]);
    assert_eq!(
        eval(&cast(col(0, TEXT), INT), &b),
        ints(&[Some(1), None, Some(22), Some(1)])
    );
    let b = batch(vec![dict_vector(&[Some("1"), Some("x")])]);
    assert!(try_eval(&cast(col(0, TEXT), INT), &b).is_err());
    assert_eq!(
        eval(&cast(col(0, TEXT), INT), &with_sel(b, &[0])),
        ints(&[Some(1)])
    );
}

#[test]
fn unsupported_casts_say_so() {
    assert!(matches!(
        cast_value(&Value::Date(1), INT),
        Err(Error::Unsupported(_))
    ));
}
