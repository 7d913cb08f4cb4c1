use super::*;
use BinaryOp::*;

fn tri() -> Vec<Option<bool>> {
    vec![Some(true), Some(false), None]
}

/// Every pair of TRUE/FALSE/NULL as two columns.
fn pairs() -> Batch {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for x in tri() {
        for y in tri() {
            a.push(x);
            b.push(y);
        }
    }
    batch(vec![vector(BOOL, &bools(&a)), vector(BOOL, &bools(&b))])
}

#[test]
fn three_valued_logic() {
    let b = pairs();
    let (t, f, n) = (Some(true), Some(false), None);
    let and = bin(And, col(0, BOOL), col(1, BOOL));
    assert_eq!(eval(&and, &b), bools(&[t, f, n, f, f, f, n, f, n]));
    let or = bin(Or, col(0, BOOL), col(1, BOOL));
    assert_eq!(eval(&or, &b), bools(&[t, t, t, t, f, n, t, n, n]));
    let not = Expr::Not(Box::new(col(0, BOOL)));
    assert_eq!(eval(&not, &b), bools(&[f, f, f, t, t, t, n, n, n]));
    for e in [&and, &or, &not] {
        check_select(e, &b);
        check_select(&Expr::Not(Box::new((*e).clone())), &b);
        check_select(e, &with_sel(b.clone(), &[1, 2, 4, 6, 8]));
    }
    // Nested: NOT (a AND NOT b) OR a.
    let nested = bin(
        Or,
        Expr::Not(Box::new(bin(
            And,
            col(0, BOOL),
            Expr::Not(Box::new(col(1, BOOL))),
        ))),
        col(0, BOOL),
    );
    check_select(&nested, &b);
    check_select(&Expr::Not(Box::new(nested)), &b);
}

#[test]
fn is_null() {
    let b = batch(vec![vector(INT, &ints(&[Some(1), None]))]);
    let e = Expr::IsNull {
        expr: Box::new(col(0, INT)),
        negated: false,
    };
    assert_eq!(eval(&e, &b), bools(&[Some(false), Some(true)]));
    check_select(&e, &b);
    let e = Expr::IsNull {
        expr: Box::new(col(0, INT)),
        negated: true,
    };
    assert_eq!(eval(&e, &b), bools(&[Some(true), Some(false)]));
    check_select(&e, &b);
    check_select(&Expr::Not(Box::new(e)), &b);
    let e = Expr::IsNull {
        expr: Box::new(null(INT)),
        negated: false,
    };
    assert_eq!(one(&e), Value::Boolean(true));
}

#[test]
fn and_refines_and_skips_decided_rows() {
    // `x <> 0 AND 10 / x > 1`: the division only sees rows where x <> 0.
    let b = batch(vec![vector(
        INT,
        &ints(&[Some(0), Some(2), Some(20), None, Some(0)]),
    )]);
    let guard = bin(NotEq, col(0, INT), int(0));
    let div = bin(Gt, bin(Div, int(10), col(0, INT)), int(1));
    let e = bin(And, guard.clone(), div.clone());
    assert_eq!(select(&e, &b), vec![1]);
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(false), Some(true), Some(false), None, Some(false)])
    );
    // `x = 0 OR 10 / x > 1` likewise.
    let e = bin(Or, bin(Eq, col(0, INT), int(0)), div.clone());
    assert_eq!(select(&e, &b), vec![0, 1, 4]);
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(true), Some(true), Some(false), None, Some(true)])
    );
    // Without the guard the division fails.
    assert!(try_eval(&div, &b).is_err());
}

#[test]
fn constant_predicates() {
    let b = batch(vec![vector(INT, &ints(&[Some(1), Some(2)]))]);
    assert_eq!(select(&lit(Value::Boolean(true), BOOL), &b), vec![0, 1]);
    assert!(select(&lit(Value::Boolean(false), BOOL), &b).is_empty());
    assert!(select(&null(BOOL), &b).is_empty());
    let e = bin(And, null(BOOL), lit(Value::Boolean(false), BOOL));
    assert_eq!(one(&e), Value::Boolean(false));
    let e = bin(Or, null(BOOL), lit(Value::Boolean(true), BOOL));
    assert_eq!(one(&e), Value::Boolean(true));
    let e = bin(Or, null(BOOL), lit(Value::Boolean(false), BOOL));
    assert_eq!(one(&e), Value::Null);
    assert!(compile(&e).unwrap().constant().is_some());
}
