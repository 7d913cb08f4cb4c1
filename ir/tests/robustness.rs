//! Mutated SQL never panics the front end: every outcome is a value or an error.
mod common;

use common::*;

fn run(sql: &str, cat: &TestCatalog) {
    let Ok(stmts) = grizzly_ir::parse(sql) else {
        return;
    };
    for s in &stmts {
        if let Ok(b) = grizzly_ir::bind(s, cat) {
            if let grizzly_ir::Statement::Query(p) = b.statement {
                let _ = grizzly_ir::explain(&p);
                if let Ok(o) = grizzly_ir::optimize(p, cat) {
                    let _ = grizzly_ir::explain(&o);
                }
            }
        }
    }
}

#[test]
fn mutated_tpch_queries_do_not_panic() {
    let cat = tpch();
    let extra = [
        "select n_name, count(*) from nation left join region using (n_regionkey) group by 1 order by 2 desc",
        "insert into region (r_regionkey, r_name) select n_nationkey, n_name from nation where n_name like 'A%'",
        "update orders set o_totalprice = o_totalprice * 1.1, o_comment = 'x' where o_orderdate < '1995-01-01'",
        "with a as (select 1 as x) select x, case x when 1 then 'a' else null end from a union all select 2, 'b'",
        "select coalesce(nullif(p_size, 3), 0), substring(p_name from 2 for 3) from part where p_size between $1 and ?",
    ];
    let mut sqls: Vec<String> = (1..=22).map(tpch_query).collect();
    sqls.extend(extra.iter().map(|s| s.to_string()));
    let mut runs = 0;
    for sql in &sqls {
        let words: Vec<&str> = sql.split_whitespace().collect();
        for i in 0..words.len() {
            let mut w = words.clone();
            w.remove(i);
            run(&w.join(" "), &cat);
            let mut w = words.clone();
            w.insert(i, words[i]);
            run(&w.join(" "), &cat);
            let mut w = words.clone();
            w[i] = ["(", ")", "null", "1", "'x'", "*", ",", "select"][i % 8];
            run(&w.join(" "), &cat);
            runs += 3;
        }
    }
    assert!(runs > 1000);
}
