use super::*;
use ScalarFunc::*;

fn like(e: Expr, p: Expr, negated: bool, ci: bool) -> Expr {
    Expr::Like {
        expr: Box::new(e),
        pattern: Box::new(p),
        negated,
        case_insensitive: ci,
    }
}

fn in_list(e: Expr, list: Vec<Expr>, negated: bool) -> Expr {
    Expr::InList {
        expr: Box::new(e),
        list,
        negated,
    }
}

fn words() -> Vec<Option<&'static str>> {
    vec![
        Some("PROMO BRUSHED TIN"),
        Some("STANDARD POLISHED"),
        None,
        Some(""),
        Some("promo anodized"),
        Some("special requests here"),
        Some("Grüße"),
        Some("MEDIUM BRASS"),
        Some("PROMO BRUSHED TIN"),
        Some("50% off"),
        None,
        Some("a_b"),
    ]
}

#[test]
fn like_on_plain_and_dictionary_strings() {
    let plain = batch(vec![vector(TEXT, &strs(&words()))]);
    let dict = batch(vec![dict_vector(&words())]);
    let patterns = [
        "PROMO%",
        "%BRASS",
        "%BRUSH%",
        "%special%requests%",
        "",
        "%",
        "_",
        "a\\_b",
        "%\\%%",
        "Gr__e",
        "%ü%",
        "STANDARD POLISHED",
        "%O%O%",
        "promo%",
    ];
    for p in patterns {
        for (negated, ci) in [(false, false), (true, false), (false, true), (true, true)] {
            let e = like(col(0, TEXT), text(p), negated, ci);
            let want = eval(&e, &plain);
            assert_eq!(eval(&e, &dict), want, "{p} negated={negated} ci={ci}");
            check_select(&e, &dict);
            check_select(&e, &with_sel(dict.clone(), &[0, 2, 4, 9]));
            check_select(&Expr::Not(Box::new(e.clone())), &plain);
        }
    }
    // Twice on the same dictionary: the second run uses the remembered table.
    let e = compile(&like(col(0, TEXT), text("PROMO%"), false, false)).unwrap();
    let first = e.eval(&dict).unwrap();
    let second = e.eval(&dict).unwrap();
    assert_eq!(
        (0..12).map(|i| first.get(i)).collect::<Vec<_>>(),
        (0..12).map(|i| second.get(i)).collect::<Vec<_>>()
    );
    let e = like(col(0, TEXT), text("PROMO%"), false, false);
    assert_eq!(
        eval(&e, &plain)[..4],
        bools(&[Some(true), Some(false), None, Some(false)])[..]
    );
    let e = like(col(0, TEXT), text("promo%"), false, true);
    assert_eq!(eval(&e, &plain)[4], Value::Boolean(true));
}

#[test]
fn like_edge_cases() {
    let t = |s: &str, p: &str| one(&like(text(s), text(p), false, false));
    assert_eq!(t("abc", "a%"), Value::Boolean(true));
    assert_eq!(t("", ""), Value::Boolean(true));
    assert_eq!(t("x", ""), Value::Boolean(false));
    assert_eq!(t("日本", "_本"), Value::Boolean(true));
    assert_eq!(one(&like(null(TEXT), text("%"), false, false)), Value::Null);
    assert_eq!(one(&like(text("a"), null(TEXT), false, false)), Value::Null);
    assert!(one_err(&like(text("a"), text("a\\"), false, false)).contains("escape"));
    // A per-row pattern.
    let b = batch(vec![
        vector(TEXT, &strs(&[Some("abc"), Some("abc"), Some("x"), None])),
        vector(TEXT, &strs(&[Some("a%"), Some("b%"), None, Some("%")])),
    ]);
    let e = like(col(0, TEXT), col(1, TEXT), false, false);
    assert_eq!(eval(&e, &b), bools(&[Some(true), Some(false), None, None]));
    check_select(&e, &b);
}

#[test]
fn in_lists() {
    let b = batch(vec![vector(INT, &ints(&[Some(1), Some(2), None, Some(7)]))]);
    let x = col(0, INT);
    let e = in_list(x.clone(), vec![int(1), int(7), int(9)], false);
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(true), Some(false), None, Some(true)])
    );
    check_select(&e, &b);
    let e = in_list(x.clone(), vec![int(1), int(7), int(9)], true);
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(false), Some(true), None, Some(false)])
    );
    check_select(&e, &b);
    // A NULL item: no match means NULL, for IN and NOT IN.
    let e = in_list(x.clone(), vec![int(1), null(INT)], false);
    assert_eq!(eval(&e, &b), bools(&[Some(true), None, None, None]));
    let e = in_list(x.clone(), vec![int(1), null(INT)], true);
    assert_eq!(eval(&e, &b), bools(&[Some(false), None, None, None]));
    check_select(&Expr::Not(Box::new(e)), &b);
    // A long list is hashed.
    let items: Vec<Expr> = (0..5000).map(|i| int(i * 7)).collect();
    let e = in_list(x.clone(), items.clone(), false);
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(false), Some(false), None, Some(true)])
    );
    let e = in_list(x.clone(), items, true);
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(true), Some(true), None, Some(false)])
    );
    // Items that are not constants: x = a OR x = b.
    let e = in_list(int(2), vec![x.clone(), int(5)], false);
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(false), Some(true), None, Some(false)])
    );
    let e = in_list(int(2), vec![x.clone(), int(5)], true);
    assert_eq!(
        eval(&e, &b),
        bools(&[Some(true), Some(false), None, Some(true)])
    );
    // Items of another type are converted.
    let e = in_list(x, vec![lit(Value::Int64(2), BIG)], false);
    assert_eq!(eval(&e, &b)[1], Value::Boolean(true));
    // Doubles: NaN matches NaN, -0 matches 0.
    let f = |x: f64| lit(Value::Float64(x), DBL);
    assert_eq!(
        one(&in_list(f(f64::NAN), vec![f(1.0), f(f64::NAN)], false)),
        Value::Boolean(true)
    );
    assert_eq!(
        one(&in_list(f(-0.0), vec![f(0.0)], false)),
        Value::Boolean(true)
    );
    let many: Vec<Expr> = (0..100).map(|i| f(i as f64)).chain([f(f64::NAN)]).collect();
    assert_eq!(
        one(&in_list(f(f64::NAN), many, false)),
        Value::Boolean(true)
    );
}

#[test]
fn string_in_lists_on_dictionaries() {
    let plain = batch(vec![vector(TEXT, &strs(&words()))]);
    let dict = batch(vec![dict_vector(&words())]);
    let short = vec![text("MEDIUM BRASS"), text(""), text("zzz")];
    let long: Vec<Expr> = (0..100)
        .map(|i| text(&format!("item{i}")))
        .chain([text("Grüße"), text("PROMO BRUSHED TIN")])
        .collect();
    for list in [short, long] {
        for negated in [false, true] {
            let e = in_list(col(0, TEXT), list.clone(), negated);
            assert_eq!(eval(&e, &dict), eval(&e, &plain));
            check_select(&e, &dict);
            check_select(&e, &with_sel(dict.clone(), &[0, 1, 2, 6]));
        }
    }
    let e = in_list(col(0, TEXT), vec![text("MEDIUM BRASS"), text("")], false);
    assert_eq!(select(&e, &plain), vec![3, 7]);
}

#[test]
fn string_functions() {
    let s = |x: &str| Value::Varchar(x.into());
    let sub = |args: Vec<Expr>| one(&func(Substring, args, TEXT));
    assert_eq!(sub(vec![text("hello"), int(2), int(3)]), s("ell"));
    assert_eq!(sub(vec![text("hello"), int(0), int(3)]), s("he"));
    assert_eq!(sub(vec![text("hello"), int(-5), int(3)]), s(""));
    assert_eq!(sub(vec![text("hello"), int(3)]), s("llo"));
    assert_eq!(sub(vec![text("hello"), int(9)]), s(""));
    assert_eq!(sub(vec![text("日本語です"), int(2), int(2)]), s("本語"));
    assert_eq!(sub(vec![text("hello"), null(INT)]), Value::Null);
    assert!(
        one_err(&func(Substring, vec![text("hello"), int(1), int(-1)], TEXT)).contains("negative")
    );
    assert_eq!(
        one(&func(Length, vec![text("Grüße")], INT)),
        Value::Int32(5)
    );
    assert_eq!(one(&func(Length, vec![text("")], BIG)), Value::Int64(0));
    assert_eq!(
        one(&func(Upper, vec![text("Grüße abc")], TEXT)),
        s("GRÜSSE ABC")
    );
    assert_eq!(one(&func(Lower, vec![text("ÀB")], TEXT)), s("àb"));
    assert_eq!(one(&func(Trim, vec![text("  a b  ")], TEXT)), s("a b"));
    assert_eq!(one(&func(LTrim, vec![text("  a ")], TEXT)), s("a "));
    assert_eq!(one(&func(RTrim, vec![text("  a ")], TEXT)), s("  a"));
    assert_eq!(
        one(&func(Concat, vec![text("a"), null(TEXT), int(1)], TEXT)),
        s("a1")
    );
    assert_eq!(one(&func(Concat, vec![null(TEXT)], TEXT)), s(""));
    assert_eq!(one(&bin(BinaryOp::Concat, text("a"), text("b"))), s("ab"));
    assert_eq!(
        one(&bin(BinaryOp::Concat, text("a"), null(TEXT))),
        Value::Null
    );
    // Over columns: plain and dictionary, with NULLs and a selection.
    for v in [vector(TEXT, &strs(&words())), dict_vector(&words())] {
        let b = with_sel(batch(vec![v]), &[0, 2, 6, 11]);
        assert_eq!(
            eval(&func(Upper, vec![col(0, TEXT)], TEXT), &b),
            strs(&[Some("PROMO BRUSHED TIN"), None, Some("GRÜSSE"), Some("A_B")])
        );
        assert_eq!(
            eval(
                &func(Substring, vec![col(0, TEXT), int(1), int(5)], TEXT),
                &b
            ),
            strs(&[Some("PROMO"), None, Some("Grüße"), Some("a_b")])
        );
        assert_eq!(
            eval(&func(Length, vec![col(0, TEXT)], INT), &b),
            ints(&[Some(17), None, Some(5), Some(3)])
        );
        assert_eq!(
            eval(&bin(BinaryOp::Concat, col(0, TEXT), text("!")), &b),
            strs(&[
                Some("PROMO BRUSHED TIN!"),
                None,
                Some("Grüße!"),
                Some("a_b!")
            ])
        );
        assert_eq!(
            eval(&func(Concat, vec![col(0, TEXT), text("!")], TEXT), &b),
            strs(&[
                Some("PROMO BRUSHED TIN!"),
                Some("!"),
                Some("Grüße!"),
                Some("a_b!")
            ])
        );
    }
}
