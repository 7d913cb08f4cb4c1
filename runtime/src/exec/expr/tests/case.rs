use super::*;
use BinaryOp::*;

fn case(whens: Vec<(Expr, Expr)>, else_: Option<Expr>, ty: DataType) -> Expr {
    Expr::Case {
        whens,
        else_: else_.map(Box::new),
        ty,
    }
}

#[test]
fn branches_see_only_their_rows() {
    let b = batch(vec![vector(
        INT,
        &ints(&[Some(0), Some(5), None, Some(-2), Some(0)]),
    )]);
    let x = col(0, INT);
    // CASE WHEN x <> 0 THEN 10 / x END never divides by zero.
    let e = case(
        vec![(bin(NotEq, x.clone(), int(0)), bin(Div, int(10), x.clone()))],
        None,
        INT,
    );
    assert_eq!(eval(&e, &b), ints(&[None, Some(2), None, Some(-5), None]));
    assert_eq!(
        eval(&e, &with_sel(b.clone(), &[0, 1])),
        ints(&[None, Some(2)])
    );
    // First true WHEN wins; ELSE takes the rest, including NULL conditions.
    let e = case(
        vec![
            (bin(Gt, x.clone(), int(0)), text("pos")),
            (bin(Lt, x.clone(), int(1)), text("small")),
        ],
        Some(text("other")),
        TEXT,
    );
    assert_eq!(
        eval(&e, &b),
        strs(&[
            Some("small"),
            Some("pos"),
            Some("other"),
            Some("small"),
            Some("small")
        ])
    );
    let sel = with_sel(b.clone(), &[1, 2, 3]);
    assert_eq!(
        eval(&e, &sel),
        strs(&[Some("pos"), Some("other"), Some("small")])
    );
    // All rows taken by one branch.
    let e = case(
        vec![(lit(Value::Boolean(true), BOOL), x.clone())],
        Some(bin(Div, int(1), int(0))),
        INT,
    );
    assert_eq!(eval(&e, &b), eval(&x, &b));
    // A constant erroring branch no row reaches.
    let e = case(
        vec![(bin(Gt, x.clone(), int(100)), bin(Div, int(1), int(0)))],
        Some(int(1)),
        INT,
    );
    assert_eq!(eval(&e, &b), ints(&[Some(1); 5]));
    // ... but it fails once a row does reach it.
    let e = case(
        vec![(bin(Gt, x.clone(), int(1)), bin(Div, int(1), int(0)))],
        Some(int(1)),
        INT,
    );
    assert_eq!(
        try_eval(&e, &b).unwrap_err().to_string(),
        "division by zero"
    );
}

#[test]
fn boolean_and_decimal_results() {
    let b = batch(vec![vector(INT, &ints(&[Some(1), Some(2), None]))]);
    let x = col(0, INT);
    let e = case(
        vec![(bin(Eq, x.clone(), int(1)), lit(Value::Boolean(true), BOOL))],
        Some(null(BOOL)),
        BOOL,
    );
    assert_eq!(eval(&e, &b), bools(&[Some(true), None, None]));
    check_select(&e, &b);
    // Branch values are converted to the CASE type.
    let t = dec(10, 2);
    let e = case(
        vec![(
            bin(Eq, x.clone(), int(1)),
            lit(Value::Decimal(15, 1), dec(5, 1)),
        )],
        Some(cast(x, t)),
        t,
    );
    assert_eq!(
        eval(&e, &b),
        vec![Value::Decimal(150, 2), Value::Decimal(200, 2), Value::Null]
    );
}

#[test]
fn coalesce_is_lazy() {
    let b = batch(vec![
        vector(INT, &ints(&[Some(0), None, Some(3)])),
        vector(INT, &ints(&[Some(0), Some(2), None])),
    ]);
    let (x, y) = (col(0, INT), col(1, INT));
    let e = func(
        ScalarFunc::Coalesce,
        vec![x.clone(), y.clone(), int(9)],
        INT,
    );
    assert_eq!(eval(&e, &b), ints(&[Some(0), Some(2), Some(3)]));
    // The second argument divides by y, which is 0 only where x is not NULL.
    let e = func(
        ScalarFunc::Coalesce,
        vec![x.clone(), bin(Div, int(10), y.clone())],
        INT,
    );
    assert_eq!(eval(&e, &b), ints(&[Some(0), Some(5), Some(3)]));
    let e = func(ScalarFunc::Coalesce, vec![null(INT), y.clone()], INT);
    assert_eq!(eval(&e, &b), ints(&[Some(0), Some(2), None]));
    let e = func(ScalarFunc::Coalesce, vec![y, x], INT);
    assert_eq!(eval(&e, &with_sel(b, &[1, 2])), ints(&[Some(2), Some(3)]));
    let e = func(ScalarFunc::Coalesce, vec![null(TEXT), text("a")], TEXT);
    assert_eq!(one(&e), Value::Varchar("a".into()));
}
