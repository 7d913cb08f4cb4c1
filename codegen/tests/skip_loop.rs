//! The skip loop (`translate/skip.rs`): scan filters that cannot fail are checked for a
//! chunk of four rows at once before the row loop runs them. These tests put the passing
//! rows where a chunked look could lose them: the first and last rows of a morsel, either
//! side of a chunk edge, a tail shorter than a chunk, morsels whose dense start spends the
//! skip loop's credit, NULLs in the prefiltered column, and a filter that can fail next to
//! ones that cannot. Both tiers must agree, run natively, and match counts and sums
//! computed from the generated data.

mod common;

use common::*;
use grizzly_ir::Value;

/// Not a multiple of the chunk (4) or of the morsel, so some morsels end in a short tail.
const ROWS: usize = 10_003;
const MORSEL: usize = 999;

/// The rows `lineitem_store(ROWS, MORSEL, null_every)` holds, column by column.
fn data(null_every: Option<usize>) -> Vec<Vec<Value>> {
    // It generates its chunks with seeds 42, 43, ...: rebuild the same rows.
    let mut cols: Vec<Vec<Value>> = vec![Vec::new(); 10];
    let (mut done, mut seed) = (0, 42);
    while done < ROWS {
        let n = MORSEL.min(ROWS - done);
        for (c, part) in cols.iter_mut().zip(lineitem_rows(n, seed, null_every)) {
            c.extend((0..n).map(|i| part.get(i)));
        }
        done += n;
        seed += 1;
    }
    cols
}

/// `count(*)` and `sum(l_extendedprice)` (in cents) over the rows where `keep` holds.
fn expected(cols: &[Vec<Value>], keep: impl Fn(usize) -> bool) -> (usize, i128) {
    let mut count = 0;
    let mut sum = 0;
    for i in (0..ROWS).filter(|&i| keep(i)) {
        count += 1;
        if let Value::Decimal(p, _) = cols[3][i] {
            sum += p;
        }
    }
    (count, sum)
}

fn assert_count_sum(rows: &[String], (count, sum): (usize, i128), what: &str) {
    assert_eq!(rows.len(), 1, "{what}: {rows:?}");
    let fields: Vec<&str> = rows[0].split(" | ").collect();
    assert_eq!(fields[0], format!("Int64({count})"), "{what}");
    if count > 0 {
        assert!(
            fields[1].contains(&format!("({sum}, ")),
            "{what}: {fields:?} vs {sum}"
        );
    }
}

#[test]
fn single_rows_at_morsel_and_chunk_edges() {
    let s = lineitem_store(ROWS, MORSEL, None);
    let cols = data(None);
    let sql = "select count(*), sum(l_extendedprice) from lineitem
               where l_orderkey = $1 and l_linenumber = $2";
    // Rows at morsel starts and ends, either side of chunk edges (multiples of 4 from a
    // morsel's start), and the last row of the table.
    let mut picks = vec![0, 1, 7, 8, 9, 15, 16, ROWS - 1, ROWS - 2, ROWS - 9];
    for m in 1..ROWS / MORSEL {
        let start = m * MORSEL;
        picks.extend([start - 1, start, start + 7, start + 8]);
    }
    for i in picks {
        // Keys restart in every morsel: several rows may share row i's pair.
        let (key, line) = (cols[0][i].clone(), cols[1][i].clone());
        let rows = check_compiled(&s, sql, &[key.clone(), line.clone()]);
        let want = expected(&cols, |j| cols[0][j] == key && cols[1][j] == line);
        assert!(want.0 >= 1);
        assert_count_sum(&rows, want, &format!("row {i}"));
    }
}

#[test]
fn dense_starts_and_sparse_rests() {
    let s = lineitem_store(ROWS, MORSEL, None);
    let cols = data(None);
    // Every row of the first `dense` rows of each morsel passes (keys restart per morsel; the
    // skip loop's credit runs out), then few.
    for dense in [0usize, 40, 300, MORSEL] {
        let sql = "select count(*), sum(l_extendedprice) from lineitem
                   where (l_orderkey % 250 < $1 or l_linenumber = 3) and l_orderkey % 25 = 0";
        // `%` can fail (division): the filter with it is not prefiltered, the OR is not
        // either; prefilter-free pipelines must stay correct too.
        check_compiled(&s, sql, &[Value::Int64(dense as i64 / 4)]);
        let sql = "select count(*), sum(l_extendedprice) from lineitem
                   where l_linenumber <= $1 and l_orderkey <= $2
                      or l_shipdate = date '1995-06-17'";
        let until = (dense / 4) as i64;
        let rows = check_compiled(&s, sql, &[Value::Int32(7), Value::Int64(until)]);
        let want = expected(&cols, |j| {
            matches!(cols[0][j], Value::Int64(k) if k <= until) || cols[8][j] == Value::Date(9298)
        });
        assert_count_sum(&rows, want, &format!("dense {dense}"));
    }
}

#[test]
fn nulls_in_prefiltered_columns_reject_rows() {
    let s = lineitem_store(ROWS, MORSEL, Some(3));
    let cols = data(Some(3));
    let sql = "select count(*), sum(l_extendedprice) from lineitem
               where l_tax = 0.03 and l_shipdate < $1";
    for cut in [8036, 8100, 9000, 10_600] {
        let rows = check_compiled(&s, sql, &[Value::Date(cut)]);
        let want = expected(&cols, |j| {
            cols[5][j] == Value::Decimal(3, 2) && matches!(cols[8][j], Value::Date(d) if d < cut)
        });
        assert_count_sum(&rows, want, &format!("cut {cut}"));
    }
}

#[test]
fn failing_filters_run_only_on_prefiltered_rows() {
    let s = lineitem_store(ROWS, MORSEL, None);
    // The division fails on the rows where l_linenumber = 4; the prefilter (l_shipdate)
    // never lets those through, so neither tier may raise it.
    let sql = "select count(*), sum(l_extendedprice) from lineitem
               where l_shipdate > $1 and 100 / (l_linenumber - 4) > 10";
    let rows = check_compiled(&s, sql, &[Value::Date(20_000)]);
    assert_count_sum(&rows, (0, 0), "nothing passes");
    let (_, rows) = check(&s, sql, &[Value::Date(10_000)]);
    assert!(rows[0].starts_with("error: "), "{rows:?}");
    // The failing conjunct first: it sees every row in both tiers, though no row passes the
    // cheap ones after it (order key 3 is rows 8..=11 of each morsel, line numbers 2..=5);
    // last, it sees none.
    let cheap = "l_orderkey = 3 and l_linenumber = 6";
    let fails = "100 / (l_linenumber - 4) > 10";
    let (_, rows) = check(
        &s,
        &format!("select count(*) from lineitem where {fails} and {cheap}"),
        &[],
    );
    assert!(rows[0].starts_with("error: "), "{rows:?}");
    let rows = check_compiled(
        &s,
        &format!("select count(*) from lineitem where {cheap} and {fails}"),
        &[],
    );
    assert_eq!(rows, ["Int64(0)"]);
}
