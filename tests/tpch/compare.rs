//! Reference answers (`answers/sf<SF>/qN.csv` + `.types`, produced by DuckDB) and the rules
//! for comparing a Grizzly result with one (see `README.md` beside this file):
//! - same number of columns and rows; column names are not compared;
//! - rows in ORDER BY order; rows that tie on every ORDER BY key form a group compared as a
//!   multiset; under LIMIT, a tie group cut by the limit only needs the same keys;
//! - strings and dates exactly (trailing spaces trimmed); integers and decimals exactly when
//!   the result is of an exact type; DOUBLE within 1e-9 relative (or absolute near zero);
//!   an exact result against a DOUBLE answer, or a DOUBLE result against a DECIMAL answer,
//!   by the TPC-H rule: equal once rounded to the answer's decimal places, or within 1e-9.

use grizzly::Value;
use grizzly_ir::date::format_date;
use grizzly_ir::types::{align_decimals, pow10};
use std::path::Path;

/// A reference result. `None` cells are SQL NULL (written unquoted `NULL`).
#[derive(Debug, Clone)]
pub struct Answer {
    pub columns: Vec<String>,
    pub types: Vec<AnswerType>,
    pub rows: Vec<Vec<Option<String>>>,
}

/// The type DuckDB gave a result column, as far as the comparison cares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AnswerType {
    Integer,
    Decimal { scale: u8 },
    Double,
    Text,
    Date,
    Boolean,
}

impl AnswerType {
    fn parse(text: &str) -> AnswerType {
        let t = text.trim().to_ascii_uppercase();
        match t.as_str() {
            "TINYINT" | "SMALLINT" | "INTEGER" | "BIGINT" | "HUGEINT" | "UTINYINT"
            | "USMALLINT" | "UINTEGER" | "UBIGINT" => AnswerType::Integer,
            "DOUBLE" | "FLOAT" | "REAL" => AnswerType::Double,
            "VARCHAR" | "TEXT" => AnswerType::Text,
            "DATE" => AnswerType::Date,
            "BOOLEAN" => AnswerType::Boolean,
            _ if t.starts_with("DECIMAL(") => {
                let scale = t
                    .trim_end_matches(')')
                    .rsplit(',')
                    .next()
                    .and_then(|s| s.trim().parse().ok())
                    .unwrap_or_else(|| panic!("bad decimal type {text}"));
                AnswerType::Decimal { scale }
            }
            _ => panic!("answer type {text} not handled by the comparison"),
        }
    }
}

/// Reads `qN.csv` and `qN.types` from `dir`.
pub fn load_answer(dir: &Path, query: u32) -> Answer {
    let read = |ext: &str| {
        let path = dir.join(format!("q{query}.{ext}"));
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    };
    let types: Vec<AnswerType> = read("types").lines().map(AnswerType::parse).collect();
    let mut records = parse_csv(&read("csv"));
    assert!(!records.is_empty(), "q{query}.csv has no header");
    let columns = records
        .remove(0)
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    let answer = Answer {
        columns,
        types,
        rows: records,
    };
    assert_eq!(
        answer.columns.len(),
        answer.types.len(),
        "q{query}: header vs .types"
    );
    answer
}

/// RFC 4180 CSV: `"` quotes fields, `""` is a quote inside one. An unquoted `NULL` is `None`.
pub fn parse_csv(text: &str) -> Vec<Vec<Option<String>>> {
    let mut records = Vec::new();
    let mut record = Vec::new();
    let mut field = String::new();
    let (mut quoted, mut in_quotes, mut any) = (false, false, false);
    let mut chars = text.chars().peekable();
    let end_field = |record: &mut Vec<Option<String>>, field: &mut String, quoted: bool| {
        let f = std::mem::take(field);
        record.push(if !quoted && f == "NULL" {
            None
        } else {
            Some(f)
        });
    };
    while let Some(c) = chars.next() {
        any = true;
        if in_quotes {
            match c {
                '"' if chars.peek() == Some(&'"') => {
                    chars.next();
                    field.push('"');
                }
                '"' => in_quotes = false,
                _ => field.push(c),
            }
            continue;
        }
        match c {
            '"' => {
                in_quotes = true;
                quoted = true;
            }
            ',' => {
                end_field(&mut record, &mut field, quoted);
                quoted = false;
            }
            '\r' => {}
            '\n' => {
                end_field(&mut record, &mut field, quoted);
                quoted = false;
                records.push(std::mem::take(&mut record));
                any = false;
            }
            _ => field.push(c),
        }
    }
    if any {
        end_field(&mut record, &mut field, quoted);
        records.push(record);
    }
    records
}

/// Which answer columns the query orders by, and whether a LIMIT may cut a tie group.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderSpec {
    /// Empty: no ORDER BY, the whole result is one multiset.
    pub keys: Vec<usize>,
    pub limited: bool,
}

/// Finds the query's final ORDER BY and maps each key to an output column by name. Panics if
/// a key is not an output column (the comparison would then be too lenient to trust).
pub fn order_spec(sql: &str, columns: &[String]) -> OrderSpec {
    let flat = sql
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_lowercase();
    let Some(pos) = flat.rfind("order by ") else {
        return OrderSpec {
            keys: vec![],
            limited: flat.contains(" limit "),
        };
    };
    let tail = &flat[pos + "order by ".len()..];
    let limited = tail.contains("limit ");
    let clause = tail
        .split(" limit ")
        .next()
        .unwrap_or(tail)
        .trim_end_matches([';', ' ']);
    let keys = clause
        .split(',')
        .map(|term| {
            let mut words: Vec<&str> = term.split_whitespace().collect();
            while matches!(
                words.last(),
                Some(&("asc" | "desc" | "first" | "last" | "nulls"))
            ) {
                words.pop();
            }
            let name = words.join(" ");
            columns
                .iter()
                .position(|c| c.eq_ignore_ascii_case(&name))
                .unwrap_or_else(|| panic!("ORDER BY key {name:?} is not an output column"))
        })
        .collect();
    OrderSpec { keys, limited }
}

/// Checks `actual` (rows of `width` columns) against the answer; the error tells where they
/// first differ.
pub fn compare(
    actual: &[Vec<Value>],
    width: usize,
    answer: &Answer,
    order: &OrderSpec,
) -> Result<(), String> {
    if width != answer.columns.len() {
        return Err(format!(
            "{width} columns, expected {}",
            answer.columns.len()
        ));
    }
    if actual.len() != answer.rows.len() {
        return Err(format!(
            "{} rows, expected {}\nfirst rows: {}",
            actual.len(),
            answer.rows.len(),
            show_rows(&actual[..actual.len().min(5)])
        ));
    }
    let n = actual.len();
    let mut start = 0;
    while start < n {
        let mut end = start + 1;
        if order.keys.is_empty() {
            end = n;
        } else {
            while end < n
                && order
                    .keys
                    .iter()
                    .all(|&k| answer.rows[end][k] == answer.rows[start][k])
            {
                end += 1;
            }
        }
        let group = &answer.rows[start..end];
        let ours = &actual[start..end];
        if order.limited && end == n && !order.keys.is_empty() {
            // The LIMIT may keep any of the tied rows: only the keys are determined.
            for (i, row) in ours.iter().enumerate() {
                for &k in &order.keys {
                    if !cell_matches(&row[k], group[0][k].as_deref(), answer.types[k]) {
                        return Err(format!(
                            "row {}: ORDER BY key column {k} is {}, expected {}",
                            start + i,
                            row[k],
                            show_cell(&group[0][k])
                        ));
                    }
                }
            }
        } else {
            match_multiset(ours, group, &answer.types).map_err(|i| {
                format!(
                    "row {} not in the answer at its position{}: {}\nexpected one of: {}",
                    start + i,
                    if group.len() > 1 { " (tie group)" } else { "" },
                    show_row(&ours[i]),
                    group
                        .iter()
                        .take(5)
                        .map(|r| show_answer_row(r))
                        .collect::<Vec<_>>()
                        .join(" | ")
                )
            })?;
        }
        start = end;
    }
    Ok(())
}

/// Pairs each actual row with a distinct matching answer row; `Err(i)` names an actual row
/// without a partner.
fn match_multiset(
    ours: &[Vec<Value>],
    group: &[Vec<Option<String>>],
    types: &[AnswerType],
) -> Result<(), usize> {
    let mut used = vec![false; group.len()];
    for (i, row) in ours.iter().enumerate() {
        let partner = (0..group.len()).find(|&j| {
            !used[j]
                && row.len() == types.len()
                && row
                    .iter()
                    .zip(&group[j])
                    .zip(types)
                    .all(|((v, e), &t)| cell_matches(v, e.as_deref(), t))
        });
        match partner {
            Some(j) => used[j] = true,
            None => return Err(i),
        }
    }
    Ok(())
}

/// One value against one answer cell of type `ty`.
pub fn cell_matches(v: &Value, expected: Option<&str>, ty: AnswerType) -> bool {
    let Some(e) = expected else {
        return v.is_null();
    };
    match (ty, v) {
        (_, Value::Null) => false,
        (AnswerType::Text, Value::Varchar(s)) => s.trim_end_matches(' ') == e.trim_end_matches(' '),
        (AnswerType::Date, Value::Date(d)) => format_date(*d) == e.trim(),
        (AnswerType::Boolean, Value::Boolean(b)) => e.trim() == if *b { "true" } else { "false" },
        (AnswerType::Integer | AnswerType::Decimal { .. }, _) => {
            let Some((ev, es)) = parse_decimal(e) else {
                return false;
            };
            match exact(v) {
                Some((av, sa)) => decimals_equal(av, sa, ev, es),
                None => match (ty, v) {
                    (AnswerType::Decimal { .. }, Value::Float64(f)) => {
                        rounds_to(*f, ev, es) || close(*f, to_f64(ev, es))
                    }
                    _ => false,
                },
            }
        }
        (AnswerType::Double, Value::Float64(f)) => {
            e.trim().parse::<f64>().is_ok_and(|x| close(*f, x))
        }
        (AnswerType::Double, _) => {
            let Some((av, sa)) = exact(v) else {
                return false;
            };
            let Ok(x) = e.trim().parse::<f64>() else {
                return false;
            };
            let rounded_equal = parse_decimal(e).is_some_and(|(ev, es)| {
                round_decimal(av, sa, es).is_some_and(|r| decimals_equal(r, es, ev, es))
            });
            rounded_equal || close(to_f64(av, sa), x)
        }
        _ => false,
    }
}

/// An exact numeric value as (unscaled, scale).
fn exact(v: &Value) -> Option<(i128, u8)> {
    match v {
        Value::Int32(x) => Some((*x as i128, 0)),
        Value::Int64(x) => Some((*x as i128, 0)),
        Value::Decimal(x, s) => Some((*x, *s)),
        _ => None,
    }
}

/// Parses `-123.4500` as (-1234500, 4). No exponents.
pub fn parse_decimal(text: &str) -> Option<(i128, u8)> {
    let t = text.trim();
    let (neg, digits) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    if int.is_empty() && frac.is_empty()
        || !int.bytes().chain(frac.bytes()).all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let unscaled: i128 = format!("{int}{frac}").parse().ok()?;
    Some((
        if neg { -unscaled } else { unscaled },
        u8::try_from(frac.len()).ok()?,
    ))
}

fn decimals_equal(a: i128, sa: u8, b: i128, sb: u8) -> bool {
    align_decimals(a, sa, b, sb).is_some_and(|(a, b)| a == b)
}

/// `v / 10^s` rounded half away from zero to `k` places, as an unscaled value of scale `k`.
fn round_decimal(v: i128, s: u8, k: u8) -> Option<i128> {
    if s <= k {
        return v.checked_mul(pow10(k - s)?);
    }
    let p = pow10(s - k)?;
    let (q, r) = (v / p, v % p);
    Some(if r.abs() * 2 >= p { q + v.signum() } else { q })
}

/// A DOUBLE rounded to the answer's `scale` places equals the answer exactly.
fn rounds_to(f: f64, answer: i128, scale: u8) -> bool {
    let scaled = (f * 10f64.powi(scale as i32)).round();
    scaled.is_finite() && scaled.abs() < 1e30 && scaled as i128 == answer
}

fn to_f64(v: i128, s: u8) -> f64 {
    v as f64 / 10f64.powi(s as i32)
}

/// Within 1e-9 relative, or 1e-9 absolute near zero.
fn close(a: f64, b: f64) -> bool {
    let diff = (a - b).abs();
    diff <= 1e-9 || diff <= 1e-9 * a.abs().max(b.abs())
}

fn show_cell(c: &Option<String>) -> String {
    c.clone().unwrap_or_else(|| "NULL".into())
}

fn show_answer_row(r: &[Option<String>]) -> String {
    r.iter().map(show_cell).collect::<Vec<_>>().join(", ")
}

fn show_row(r: &[Value]) -> String {
    r.iter()
        .map(|v| v.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

fn show_rows(rows: &[Vec<Value>]) -> String {
    rows.iter()
        .map(|r| show_row(r))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The comparison must reject wrong answers, not only accept right ones.
#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_ir::date::parse_date;

    fn answers_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tpch/answers/sf0.01")
    }

    /// The answer as the values an exact engine would return (DOUBLE answers as f64).
    fn as_values(a: &Answer) -> Vec<Vec<Value>> {
        a.rows
            .iter()
            .map(|r| {
                r.iter()
                    .zip(&a.types)
                    .map(|(c, t)| match (c, t) {
                        (None, _) => Value::Null,
                        (Some(s), AnswerType::Text) => Value::Varchar(s.clone()),
                        (Some(s), AnswerType::Date) => Value::Date(parse_date(s).unwrap()),
                        (Some(s), AnswerType::Double) => Value::Float64(s.parse().unwrap()),
                        (Some(s), AnswerType::Boolean) => Value::Boolean(s == "true"),
                        (Some(s), AnswerType::Integer) => Value::Int64(s.parse().unwrap()),
                        (Some(s), AnswerType::Decimal { .. }) => {
                            let (v, sc) = parse_decimal(s).unwrap();
                            Value::Decimal(v, sc)
                        }
                    })
                    .collect()
            })
            .collect()
    }

    fn q(n: u32) -> (Answer, OrderSpec, Vec<Vec<Value>>) {
        let a = load_answer(&answers_dir(), n);
        let sql = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/tpch/queries/q{n}.sql")),
        )
        .unwrap();
        let o = order_spec(&sql, &a.columns);
        let v = as_values(&a);
        (a, o, v)
    }

    #[test]
    fn every_answer_accepts_itself() {
        for n in 1..=22 {
            let (a, o, v) = q(n);
            compare(&v, a.columns.len(), &a, &o).unwrap_or_else(|e| panic!("q{n}: {e}"));
        }
    }

    #[test]
    fn order_keys_are_found() {
        let (_, o, _) = q(3);
        assert_eq!(
            o,
            OrderSpec {
                keys: vec![1, 2],
                limited: true
            }
        );
        let (_, o, _) = q(9);
        assert_eq!(
            o,
            OrderSpec {
                keys: vec![0, 1],
                limited: false
            }
        );
        let (_, o, _) = q(6);
        assert_eq!(
            o,
            OrderSpec {
                keys: vec![],
                limited: false
            }
        );
    }

    #[test]
    fn perturbed_values_are_rejected() {
        let (a, o, good) = q(1);
        let reject = |row: usize, col: usize, v: Value| {
            let mut bad = good.clone();
            bad[row][col] = v.clone();
            assert!(
                compare(&bad, 10, &a, &o).is_err(),
                "accepted {v:?} at ({row}, {col})"
            );
        };
        // sum_qty DECIMAL off by one cent; sum_charge DECIMAL(38,6) off in the last place.
        let Value::Decimal(x, s) = good[0][2] else {
            panic!()
        };
        reject(0, 2, Value::Decimal(x + 1, s));
        let Value::Decimal(x, s) = good[2][5] else {
            panic!()
        };
        reject(2, 5, Value::Decimal(x - 1, s));
        // avg_qty DOUBLE off by 1e-7 relative.
        let Value::Float64(f) = good[1][6] else {
            panic!()
        };
        reject(1, 6, Value::Float64(f * (1.0 + 1e-7)));
        // count_order off by one; a string changed; a NULL; a wrong type.
        reject(
            3,
            9,
            Value::Int64(if let Value::Int64(c) = good[3][9] {
                c + 1
            } else {
                0
            }),
        );
        reject(0, 0, Value::Varchar("B".into()));
        reject(0, 3, Value::Null);
        reject(0, 0, Value::Int64(1));
        reject(0, 9, Value::Float64(14876.0));
    }

    #[test]
    fn wrong_shape_or_order_is_rejected() {
        let (a, o, good) = q(1);
        assert!(compare(&good[..3], 10, &a, &o).is_err(), "missing row");
        let mut extra = good.clone();
        extra.push(good[0].clone());
        assert!(compare(&extra, 10, &a, &o).is_err(), "extra row");
        let mut swapped = good.clone();
        swapped.swap(0, 1);
        assert!(
            compare(&swapped, 10, &a, &o).is_err(),
            "rows out of ORDER BY order"
        );
        let narrow: Vec<Vec<Value>> = good.iter().map(|r| r[..9].to_vec()).collect();
        assert!(compare(&narrow, 9, &a, &o).is_err(), "missing column");
        let mut dup = good.clone();
        dup[1] = dup[0].clone();
        assert!(compare(&dup, 10, &a, &o).is_err(), "duplicated row");
    }

    #[test]
    fn ties_compare_as_multisets_but_not_across_groups() {
        let a = Answer {
            columns: vec!["k".into(), "v".into()],
            types: vec![AnswerType::Integer, AnswerType::Text],
            rows: [("1", "a"), ("1", "b"), ("2", "c"), ("2", "d")]
                .iter()
                .map(|(k, v)| vec![Some(k.to_string()), Some(v.to_string())])
                .collect(),
        };
        let rows = |pairs: &[(i64, &str)]| -> Vec<Vec<Value>> {
            pairs
                .iter()
                .map(|(k, v)| vec![Value::Int64(*k), Value::Varchar(v.to_string())])
                .collect()
        };
        let by_k = OrderSpec {
            keys: vec![0],
            limited: false,
        };
        let within = rows(&[(1, "b"), (1, "a"), (2, "d"), (2, "c")]);
        assert!(compare(&within, 2, &a, &by_k).is_ok());
        let across = rows(&[(1, "a"), (2, "c"), (1, "b"), (2, "d")]);
        assert!(compare(&across, 2, &a, &by_k).is_err());
        let moved = rows(&[(1, "a"), (1, "c"), (2, "b"), (2, "d")]);
        assert!(compare(&moved, 2, &a, &by_k).is_err());
        // Under LIMIT the last tie group may hold other rows with the same key, not others.
        let limited = OrderSpec {
            keys: vec![0],
            limited: true,
        };
        let other_tied = rows(&[(1, "a"), (1, "b"), (2, "x"), (2, "y")]);
        assert!(compare(&other_tied, 2, &a, &limited).is_ok());
        assert!(compare(&other_tied, 2, &a, &by_k).is_err());
        let wrong_key = rows(&[(1, "a"), (1, "b"), (2, "c"), (3, "d")]);
        assert!(compare(&wrong_key, 2, &a, &limited).is_err());
        // Without ORDER BY any order is right.
        let none = OrderSpec {
            keys: vec![],
            limited: false,
        };
        assert!(compare(&across, 2, &a, &none).is_ok());
    }

    #[test]
    fn mixed_exact_and_double_use_the_tpch_rule() {
        let dec2 = AnswerType::Decimal { scale: 2 };
        // DOUBLE result, DECIMAL answer: rounds to the answer's places.
        assert!(cell_matches(
            &Value::Float64(12.344999999),
            Some("12.34"),
            dec2
        ));
        assert!(cell_matches(
            &Value::Float64(12.3400000001),
            Some("12.34"),
            dec2
        ));
        assert!(!cell_matches(&Value::Float64(12.35), Some("12.34"), dec2));
        // DECIMAL result, DOUBLE answer: rounded to the answer's places, or 1e-9 relative.
        assert!(cell_matches(
            &Value::Decimal(1_234_567, 5),
            Some("12.3457"),
            AnswerType::Double
        ));
        assert!(!cell_matches(
            &Value::Decimal(1_234_567, 5),
            Some("12.3458"),
            AnswerType::Double
        ));
        assert!(cell_matches(
            &Value::Decimal(25_575_155, 6),
            Some("25.575155"),
            AnswerType::Double
        ));
        assert!(!cell_matches(
            &Value::Decimal(25_575_155, 6),
            Some("25.575154611454693"),
            AnswerType::Double
        ));
        // Exact types compare exactly, whatever the scale.
        assert!(cell_matches(
            &Value::Decimal(123_400, 4),
            Some("12.34"),
            dec2
        ));
        assert!(!cell_matches(
            &Value::Decimal(123_401, 4),
            Some("12.34"),
            dec2
        ));
        assert!(cell_matches(
            &Value::Int32(7),
            Some("7"),
            AnswerType::Integer
        ));
        assert!(cell_matches(
            &Value::Decimal(700, 2),
            Some("7"),
            AnswerType::Integer
        ));
        assert!(!cell_matches(
            &Value::Decimal(701, 2),
            Some("7"),
            AnswerType::Integer
        ));
        // DOUBLE against DOUBLE: 1e-9 relative, 1e-9 absolute near zero.
        assert!(cell_matches(
            &Value::Float64(0.1 + 0.2),
            Some("0.3"),
            AnswerType::Double
        ));
        assert!(!cell_matches(
            &Value::Float64(0.3000001),
            Some("0.3"),
            AnswerType::Double
        ));
        assert!(cell_matches(
            &Value::Float64(1e-12),
            Some("0.0"),
            AnswerType::Double
        ));
        // Strings: trailing spaces do not count, anything else does.
        assert!(cell_matches(
            &Value::Varchar("RAIL   ".into()),
            Some("RAIL"),
            AnswerType::Text
        ));
        assert!(!cell_matches(
            &Value::Varchar(" RAIL".into()),
            Some("RAIL"),
            AnswerType::Text
        ));
        assert!(cell_matches(&Value::Null, None, AnswerType::Text));
        assert!(!cell_matches(
            &Value::Varchar("NULL".into()),
            None,
            AnswerType::Text
        ));
    }

    #[test]
    fn csv_quotes_and_nulls() {
        let rows = parse_csv("a,b,c\n\"x, \"\"y\"\"\",NULL,\"NULL\"\n1,,2\n");
        assert_eq!(rows.len(), 3);
        assert_eq!(
            rows[1],
            vec![Some("x, \"y\"".into()), None, Some("NULL".into())]
        );
        assert_eq!(
            rows[2],
            vec![Some("1".into()), Some(String::new()), Some("2".into())]
        );
    }
}
