//! The JIT toolchain works on this host: compile, call, free.

use grizzly_codegen::AddI64;

#[test]
fn compiled_add_matches_rust() {
    let add = AddI64::compile().expect("compile");
    for (a, b) in [
        (2, 40),
        (-7, 3),
        (0, 0),
        (i64::MIN, 1),
        (123_456_789_012, -987_654_321),
    ] {
        assert_eq!(add.call(a, b), a.wrapping_add(b), "{a} + {b}");
    }
    // Cranelift's iadd wraps.
    assert_eq!(add.call(i64::MAX, 1), i64::MIN);
}

#[test]
fn modules_are_independent_and_freed() {
    // Compiling and dropping repeatedly must not leak or reuse freed code.
    for i in 0..20 {
        let add = AddI64::compile().expect("compile");
        assert_eq!(add.call(i, i), 2 * i);
    }
}
