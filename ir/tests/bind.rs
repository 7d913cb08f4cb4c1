//! Binder behaviour: types, names, clauses, statements, parameters and errors.
mod common;

use common::*;
use grizzly_ir::{DataType, Error, Expr, LogicalPlan, Statement, Value};

fn types(sql: &str) -> Vec<DataType> {
    plan_of(sql, &tpch())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .fields()
        .iter()
        .map(|f| f.ty)
        .collect()
}

fn names(sql: &str) -> Vec<String> {
    plan_of(sql, &tpch())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .fields()
        .iter()
        .map(|f| f.name.clone())
        .collect()
}

fn err(sql: &str) -> Error {
    match bind_sql(sql, &tpch()) {
        Ok(b) => panic!("{sql}: expected an error, got {:?}", b.statement),
        Err(e) => e,
    }
}

fn bind_error(sql: &str) -> String {
    match err(sql) {
        Error::Bind(m) => m,
        other => panic!("{sql}: expected a bind error, got {other:?}"),
    }
}

fn type_error(sql: &str) -> String {
    match err(sql) {
        Error::Type(m) => m,
        other => panic!("{sql}: expected a type error, got {other:?}"),
    }
}

fn unsupported(sql: &str) -> String {
    match err(sql) {
        Error::Unsupported(m) => m,
        other => panic!("{sql}: expected unsupported, got {other:?}"),
    }
}

fn dec(precision: u8, scale: u8) -> DataType {
    DataType::Decimal { precision, scale }
}

#[test]
fn literal_types() {
    use DataType::*;
    assert_eq!(
        types("select 1, 3000000000, 1.25, 0.06, 1e3, 'a', true, null, date '2020-01-01', -5"),
        vec![
            Int32,
            Int64,
            dec(3, 2),
            dec(3, 2),
            Float64,
            Varchar,
            Boolean,
            Varchar,
            Date,
            Int32
        ]
    );
}

#[test]
fn arithmetic_types() {
    use DataType::*;
    assert_eq!(
        types(
            "select l_quantity + 1, 1 - l_discount, l_quantity * l_discount, l_quantity / 2, \
             7 / 2, l_linenumber + 1, l_orderkey + l_linenumber, l_shipdate - l_commitdate, \
             l_shipdate + 1, l_quantity * 1e0, l_linenumber % 3, 'a' || l_linenumber \
             from lineitem"
        ),
        vec![
            dec(16, 2),
            dec(16, 2),
            dec(18, 4),
            Float64,
            Int32,
            Int32,
            Int64,
            Int32,
            Date,
            Float64,
            Int32,
            Varchar
        ]
    );
}

#[test]
fn aggregate_types() {
    use DataType::*;
    assert_eq!(
        types(
            "select count(*), count(l_comment), sum(l_linenumber), sum(l_orderkey), sum(l_quantity), \
             avg(l_quantity), min(l_shipdate), max(l_comment), sum(l_quantity * 1e0), count(distinct l_suppkey) \
             from lineitem"
        ),
        vec![Int64, Int64, Int64, Int64, dec(38, 2), Float64, Date, Varchar, Float64, Int64]
    );
}

#[test]
fn function_types() {
    use DataType::*;
    assert_eq!(
        types(
            "select substring(c_phone from 1 for 2), substring(c_phone, 1, 2), substr(c_phone, 3), \
             length(c_name), char_length(c_name), upper(c_name), lower(c_name), trim(c_name), \
             ltrim(c_name), rtrim(c_name), concat(c_name, 1), abs(c_acctbal), round(c_acctbal, 1), \
             round(c_acctbal), coalesce(c_acctbal, 0), nullif(c_custkey, 3), \
             extract(year from date '2020-02-01'), date_part('month', date '2020-02-01'), \
             case when c_custkey > 5 then 1 else 2.5 end, c_name like 'a%', c_custkey in (1, 2), \
             c_custkey between 1 and 3, cast(c_custkey as varchar), c_acctbal::double precision, \
             c_name is null, '5'::integer \
             from customer"
        ),
        vec![
            Varchar, Varchar, Varchar, Int32, Int32, Varchar, Varchar, Varchar, Varchar, Varchar,
            Varchar, dec(15, 2), dec(15, 1), dec(15, 0), dec(15, 2), Int64, Int64, Int64,
            dec(11, 1), Boolean, Boolean, Boolean, Varchar, Float64, Boolean, Int32
        ]
    );
}

#[test]
fn sql_types() {
    let b = bind_sql(
        "create table t (a int, b integer, c int4, d bigint, e int8, f double, g float8, h real, \
         i float, j decimal(10,2), k numeric(5), l decimal, m date, n varchar(3), o text, \
         p char(2), q character varying, r boolean)",
        &tpch(),
    )
    .unwrap();
    let Statement::CreateTable { columns, .. } = b.statement else {
        panic!()
    };
    use DataType::*;
    let got: Vec<DataType> = columns.iter().map(|c| c.ty).collect();
    assert_eq!(
        got,
        vec![
            Int32,
            Int32,
            Int32,
            Int64,
            Int64,
            Float64,
            Float64,
            Float64,
            Float64,
            dec(10, 2),
            dec(5, 0),
            dec(18, 3),
            Date,
            Varchar,
            Varchar,
            Varchar,
            Varchar,
            Boolean
        ]
    );
    assert!(unsupported("create table t (a timestamp)").contains("TIMESTAMP"));
    assert!(bind_error("create table t (a decimal(40, 2))").contains("40"));
}

#[test]
fn unknown_literals_take_the_context_type() {
    let plan = plan_of(
        "select * from lineitem where l_shipdate < '1998-01-01'",
        &tpch(),
    )
    .unwrap();
    let LogicalPlan::Project { input, .. } = plan else {
        panic!()
    };
    let LogicalPlan::Filter { predicate, .. } = *input else {
        panic!()
    };
    let Expr::Binary { right, .. } = predicate else {
        panic!()
    };
    assert_eq!(right.data_type(), DataType::Date);
    assert!(matches!(right.as_literal(), Some(Value::Date(_))));
    assert!(type_error("select * from lineitem where l_shipdate < 'soon'").contains("DATE"));
}

#[test]
fn date_interval_arithmetic() {
    let plan = plan_of(
        "select date '1998-12-01' - interval '90' day, date '1994-01-01' + interval '1' year, \
        date '2024-01-31' + interval '1 month', l_shipdate + interval '3' month from lineitem",
        &tpch(),
    )
    .unwrap();
    let LogicalPlan::Project { exprs, .. } = plan else {
        panic!()
    };
    let lit = |i: usize| exprs[i].0.as_literal().cloned();
    assert_eq!(lit(0).unwrap().to_string(), "1998-09-02");
    assert_eq!(lit(1).unwrap().to_string(), "1995-01-01");
    assert_eq!(lit(2).unwrap().to_string(), "2024-02-29");
    assert!(matches!(
        &exprs[3].0,
        Expr::Function {
            func: grizzly_ir::ScalarFunc::DateAddMonths,
            ..
        }
    ));
    assert!(unsupported("select interval '1' day").contains("INTERVAL"));
    assert!(type_error("select l_comment + interval '1' day from lineitem").contains("VARCHAR"));
}

#[test]
fn names_and_aliases() {
    assert_eq!(
        names("select n_name, n_nationkey as k, count(*), 1 from nation group by 1, 2"),
        vec!["n_name", "k", "count", "?column?"]
    );
    assert_eq!(
        names("select x.a, b from (select n_name, n_nationkey from nation) as x(a, b)"),
        vec!["a", "b"]
    );
    assert_eq!(
        names("select \"N_NAME\" from (select n_name as \"N_NAME\" from nation) t"),
        vec!["N_NAME"]
    );
    assert_eq!(names("SELECT N_NAME FROM NATION"), vec!["n_name"]);
    assert!(bind_error("select \"N_NAME\" from nation").contains("N_NAME"));
}

#[test]
fn name_errors() {
    assert_eq!(
        bind_error("select * from nope"),
        "table \"nope\" does not exist"
    );
    assert_eq!(
        bind_error("select foo from nation"),
        "column \"foo\" does not exist"
    );
    assert!(bind_error("select n.foo from nation n").contains("n.foo"));
    assert!(bind_error("select x.n_name from nation n").contains("\"x\""));
    assert!(bind_error("select n_name from nation a, nation b").contains("ambiguous"));
    assert!(bind_error("select n_name from nation a, nation a").contains("\"a\""));
    assert!(bind_error("select nope(1)").contains("nope"));
}

#[test]
fn type_errors_name_both_types() {
    let m = type_error("select l_orderkey = l_comment from lineitem");
    assert!(m.contains("BIGINT") && m.contains("VARCHAR"), "{m}");
    let m = type_error("select l_shipdate + l_comment from lineitem");
    assert!(
        m.contains("DATE") && m.contains("VARCHAR") && m.contains('+'),
        "{m}"
    );
    let m = type_error("select 1 where 'x' and true");
    assert!(m.contains("BOOLEAN"), "{m}");
    let m = type_error("select sum(l_comment) from lineitem");
    assert!(m.contains("sum") && m.contains("VARCHAR"), "{m}");
    let m = type_error("select 1 union select date '2020-01-01'");
    assert!(m.contains("INTEGER") && m.contains("DATE"), "{m}");
    let m = type_error("select case when true then 1 else 'x'::varchar end");
    assert!(m.contains("INTEGER") && m.contains("VARCHAR"), "{m}");
    let m = type_error("select * from lineitem where l_linenumber in (1, l_comment)");
    assert!(m.contains("INTEGER") && m.contains("VARCHAR"), "{m}");
    let m = type_error("select cast(l_shipdate as integer) from lineitem");
    assert!(m.contains("DATE") && m.contains("INTEGER"), "{m}");
}

#[test]
fn grouping_rules() {
    let m = bind_error("select l_orderkey, count(*) from lineitem group by l_partkey");
    assert!(m.contains("l_orderkey") && m.contains("GROUP BY"), "{m}");
    assert!(bind_error("select * from lineitem where sum(l_quantity) > 1").contains("WHERE"));
    assert!(bind_error("select sum(sum(l_quantity)) from lineitem").contains("nested"));
    assert!(bind_error("select l_orderkey from lineitem group by 3").contains('3'));
    // Expressions over group keys and aggregates; aliases and ordinals in GROUP BY.
    types("select l_orderkey + 1, sum(l_quantity) / sum(l_discount) from lineitem group by l_orderkey");
    types("select extract(year from l_shipdate) as y, count(*) from lineitem group by y");
    types("select extract(year from l_shipdate), count(*) from lineitem group by 1 having count(*) > 2");
    types("select extract(year from l_shipdate), count(*) from lineitem group by extract(year from l_shipdate)");
    types("select count(*) from lineitem having count(*) > 0");
}

#[test]
fn order_by_forms() {
    // Not selected, alias, ordinal, expression over an aggregate, NULLS FIRST.
    let plan = plan_of(
        "select n_name from nation order by n_regionkey desc nulls last, 1",
        &tpch(),
    )
    .unwrap();
    assert_eq!(plan.fields().len(), 1);
    let LogicalPlan::Project { input, .. } = plan else {
        panic!("hidden column not dropped")
    };
    let LogicalPlan::Sort { keys, .. } = *input else {
        panic!()
    };
    assert!(!keys[0].ascending && !keys[0].nulls_first);
    assert!(keys[1].ascending && !keys[1].nulls_first);
    types(
        "select n_regionkey as r, count(*) c from nation group by n_regionkey order by c desc, r",
    );
    types("select n_regionkey from nation group by n_regionkey order by count(*)");
    types("select n_name from nation union select r_name from region order by 1");
    types("select n_name from nation union select r_name from region order by n_name limit 3");
    assert!(
        bind_error("select distinct n_name from nation order by n_regionkey").contains("DISTINCT")
    );
    assert!(bind_error("select n_name from nation order by 5").contains('5'));
    let plan = plan_of(
        "select n_name from nation order by n_nationkey desc",
        &tpch(),
    )
    .unwrap();
    let LogicalPlan::Project { input, .. } = plan else {
        panic!()
    };
    let LogicalPlan::Sort { keys, .. } = *input else {
        panic!()
    };
    assert!(keys[0].nulls_first, "DESC defaults to NULLS FIRST");
}

#[test]
fn limit_offset() {
    let plan = plan_of("select n_name from nation limit 5 offset 2", &tpch()).unwrap();
    assert!(matches!(
        plan,
        LogicalPlan::Limit {
            limit: Some(5),
            offset: 2,
            ..
        }
    ));
    let plan = plan_of("select n_name from nation fetch first 3 rows only", &tpch()).unwrap();
    assert!(matches!(
        plan,
        LogicalPlan::Limit {
            limit: Some(3),
            offset: 0,
            ..
        }
    ));
    assert!(bind_error("select 1 limit -1").contains("negative"));
    assert!(unsupported("select 1 limit $1").contains("LIMIT"));
}

#[test]
fn set_operations_cast_to_common_types() {
    assert_eq!(types("select 1 union all select 2.5"), vec![dec(11, 1)]);
    assert_eq!(types("select 1 union select null"), vec![DataType::Int32]);
    assert_eq!(
        types("select n_nationkey from nation intersect select 1"),
        vec![DataType::Int64]
    );
    assert_eq!(
        types("select n_nationkey from nation except select r_regionkey from region"),
        vec![DataType::Int64]
    );
    assert!(bind_error("select 1, 2 union select 1").contains("same number"));
    assert_eq!(
        types("values (1, 'a'), (2.5, null)"),
        vec![dec(11, 1), DataType::Varchar]
    );
    assert_eq!(names("values (1, 'a')"), vec!["column1", "column2"]);
}

#[test]
fn from_clause_forms() {
    types("select * from nation join region on n_regionkey = r_regionkey");
    types("select * from nation n left join region r on n.n_regionkey = r.r_regionkey");
    types("select * from nation right outer join region on n_regionkey = r_regionkey");
    types("select * from nation full join region on n_regionkey = r_regionkey");
    types("select * from nation cross join region");
    assert_eq!(
        names("select * from (select n_regionkey as k, n_name from nation) a join (select r_regionkey as k, r_name from region) b using (k)"),
        vec!["k", "n_name", "r_name"]
    );
    assert_eq!(
        names("select k, a.k, b.k from (select n_regionkey as k from nation) a full join (select r_regionkey as k from region) b using (k)"),
        vec!["k", "k", "k"]
    );
    assert_eq!(
        names("select * from (select 1 as x, 2 as y) a natural join (select 1 as x, 3 as z) b"),
        vec!["x", "y", "z"]
    );
    assert_eq!(
        names("select r.* from nation n, region r"),
        vec!["r_regionkey", "r_name", "r_comment"]
    );
    let plan = plan_of(
        "select n.n_name, r.r_name from nation n left join region r on n_regionkey = r_regionkey",
        &tpch(),
    )
    .unwrap();
    let f = plan.fields();
    assert!(
        !f[0].nullable && f[1].nullable,
        "right side of LEFT JOIN is nullable"
    );
    assert!(bind_error("select * from nation join region using (nope)").contains("nope"));
}

#[test]
fn ctes_and_views() {
    let plan = plan_of(
        "with r as (select r_regionkey from region) select * from r a, r b",
        &tpch(),
    )
    .unwrap();
    let text = grizzly_ir::explain(&plan);
    assert_eq!(text.matches("Scan region").count(), 2, "{text}");
    assert_eq!(names("with x (a) as (select 1) select a from x"), vec!["a"]);
    assert_eq!(
        names("with x as (select 1 as a), y as (select a + 1 as b from x) select b from y"),
        vec!["b"]
    );
    // WITH RECURSIVE: a self-referencing union is a Recursive node reading its working
    // table; without a self-reference it is an ordinary CTE.
    assert_eq!(
        names("with recursive x as (select 1 as one) select * from x"),
        vec!["one"]
    );
    let plan = plan_of(
        "with recursive r(n) as (select 1 union all select n + 1 from r where n < 3) select n from r",
        &tpch(),
    )
    .unwrap();
    let text = grizzly_ir::explain(&plan);
    assert!(text.contains("Recursive #0 [n] (UNION ALL)"), "{text}");
    assert!(text.contains("WorkingTable #0 [n]"), "{text}");
    let mut cat = tpch();
    cat.add_view("asia", "select n_name, n_nationkey from nation, region where n_regionkey = r_regionkey and r_name = 'ASIA'", &["name"]);
    let plan = plan_of(
        "select name, n_nationkey from asia where name like 'C%'",
        &cat,
    )
    .unwrap();
    assert_eq!(plan.fields().len(), 2);
    cat.add_view("loop1", "select * from loop2", &[]);
    cat.add_view("loop2", "select * from loop1", &[]);
    assert!(plan_of("select * from loop1", &cat).is_err());
}

#[test]
fn subqueries() {
    types("select n_name from nation where n_regionkey in (select r_regionkey from region where r_name = 'ASIA')");
    types("select n_name from nation where exists (select 1 from region)");
    types("select (select max(r_regionkey) from region), n_name from nation");
    types("select n_regionkey, count(*) from nation group by n_regionkey having count(*) > (select count(*) from region)");
    assert!(bind_error(
        "select n_name from nation where n_regionkey in (select r_regionkey, r_name from region)"
    )
    .contains("columns"));
    assert!(bind_error("select (select r_regionkey, r_name from region)").contains("one column"));
    // Correlated subqueries are unnested into joins (more in tests/unnest.rs).
    types("select n_name from nation where exists (select 1 from region where r_regionkey = n_regionkey)");
    types("select n_name from nation n where n_regionkey = (select max(r_regionkey) from region where r_name = n.n_name)");
    types("select * from nation where exists (select * from (select n_name) x)");
    // A non-aggregate correlated scalar subquery could return several rows: not supported.
    let m = unsupported(
        "select (select r_name from region where r_regionkey = n_regionkey) from nation",
    );
    assert!(m.contains("correlated"), "{m}");
    // The IN subquery column is cast to the common type.
    types("select n_name from nation where n_regionkey in (select 1)");
}

#[test]
fn parameters_take_types_from_context() {
    let b = bind_sql(
        "select * from lineitem where l_quantity < ? and l_shipdate > ? and l_comment like ?",
        &tpch(),
    )
    .unwrap();
    assert_eq!(
        b.param_types,
        vec![dec(15, 2), DataType::Date, DataType::Varchar]
    );
    let b = bind_sql("select $2 + 1, $1", &tpch()).unwrap();
    assert_eq!(b.param_types, vec![DataType::Varchar, DataType::Int32]);
    let b = bind_sql("select cast($1 as bigint), $2 between 1 and 2.5", &tpch()).unwrap();
    assert_eq!(b.param_types, vec![DataType::Int64, dec(11, 1)]);
    let b = bind_sql("insert into nation values ($1, $2, $3, $4)", &tpch()).unwrap();
    assert_eq!(
        b.param_types,
        vec![
            DataType::Int64,
            DataType::Varchar,
            DataType::Int64,
            DataType::Varchar
        ]
    );
    let b = bind_sql("update part set p_size = $1 where p_partkey = $2", &tpch()).unwrap();
    assert_eq!(b.param_types, vec![DataType::Int32, DataType::Int64]);
    let b = bind_sql(
        "select * from orders where o_orderdate = $1 and o_custkey in ($2, 5)",
        &tpch(),
    )
    .unwrap();
    assert_eq!(b.param_types, vec![DataType::Date, DataType::Int64]);
}

#[test]
fn ddl_statements() {
    let cat = tpch();
    let b = bind_sql(
        "create table t (a int primary key, b varchar not null, c date, primary key (a, c))",
        &cat,
    )
    .unwrap();
    let Statement::CreateTable {
        name,
        columns,
        if_not_exists,
    } = b.statement
    else {
        panic!()
    };
    assert_eq!(name, "t");
    assert!(!if_not_exists);
    assert_eq!(
        columns.iter().map(|c| c.nullable).collect::<Vec<_>>(),
        vec![false, false, false]
    );
    assert!(bind_error("create table nation (a int)").contains("already exists"));
    assert!(matches!(
        bind_sql("create table if not exists nation (a int)", &cat)
            .unwrap()
            .statement,
        Statement::CreateTable {
            if_not_exists: true,
            ..
        }
    ));
    assert!(bind_error("create table t (a int, a int)").contains("more than once"));
    assert!(matches!(
        bind_sql("create table t as select n_name from nation", &cat)
            .unwrap()
            .statement,
        Statement::CreateTableAs { .. }
    ));
    assert!(
        matches!(bind_sql("drop table nation, region", &cat).unwrap().statement, Statement::DropTable { ref names, if_exists: false } if names.len() == 2)
    );
    assert!(bind_error("drop table nope").contains("nope"));
    assert!(matches!(
        bind_sql("drop table if exists nope", &cat)
            .unwrap()
            .statement,
        Statement::DropTable {
            if_exists: true,
            ..
        }
    ));
    let b = bind_sql(
        "create or replace view v (a) as select n_name from nation",
        &cat,
    )
    .unwrap();
    let Statement::CreateView {
        name,
        sql,
        column_names,
        or_replace,
    } = b.statement
    else {
        panic!()
    };
    assert_eq!(
        (name.as_str(), column_names, or_replace),
        ("v", vec!["a".to_string()], true)
    );
    assert_eq!(sql, "SELECT n_name FROM nation");
    assert!(bind_error("create view v as select nope from nation").contains("nope"));
    assert!(bind_error("drop view v").contains("\"v\""));
    assert!(matches!(
        bind_sql("drop view if exists v", &cat).unwrap().statement,
        Statement::DropView { .. }
    ));
}

#[test]
fn dml_statements() {
    let cat = tpch();
    let b = bind_sql(
        "insert into region (r_name, r_regionkey) values ('x', 1), ('y', 2)",
        &cat,
    )
    .unwrap();
    let Statement::Insert { table, query } = b.statement else {
        panic!()
    };
    assert_eq!(table, "region");
    let LogicalPlan::Values { fields, rows } = query else {
        panic!()
    };
    assert_eq!(fields.len(), 3);
    assert_eq!(rows[0][0], Expr::literal(Value::Int64(1), DataType::Int64));
    assert_eq!(rows[0][2], Expr::literal(Value::Null, DataType::Varchar));
    let b = bind_sql(
        "insert into region select r_regionkey + 1, r_name, null from region",
        &cat,
    )
    .unwrap();
    let Statement::Insert { query, .. } = b.statement else {
        panic!()
    };
    assert_eq!(
        query.fields().iter().map(|f| f.ty).collect::<Vec<_>>(),
        vec![DataType::Int64, DataType::Varchar, DataType::Varchar]
    );
    assert!(bind_error("insert into region values (1, 'a', 'b', 'c')").contains("more expressions"));
    assert!(bind_error("insert into region (r_name) values (1, 2)").contains("more expressions"));
    assert!(bind_error("insert into region select 1").contains("more target columns"));
    assert!(bind_error("insert into region (nope) values (1)").contains("nope"));
    let m = type_error("insert into region values ('a', 'b', 'c')");
    assert!(m.contains("INTEGER") || m.contains("BIGINT"), "{m}");
    let m = type_error("insert into region select r_name, r_name, r_name from region");
    assert!(m.contains("BIGINT") && m.contains("VARCHAR"), "{m}");

    let b = bind_sql(
        "update lineitem set l_quantity = l_quantity + 1 where l_orderkey = 5",
        &cat,
    )
    .unwrap();
    let Statement::Rewrite {
        table,
        new_contents,
        affected,
        kind,
    } = b.statement
    else {
        panic!()
    };
    assert_eq!(
        (table.as_str(), kind),
        ("lineitem", grizzly_ir::RewriteKind::Update)
    );
    assert_eq!(new_contents.fields().len(), 16);
    let text = grizzly_ir::explain(&new_contents);
    assert!(text.contains("CASE WHEN l_orderkey = 5 THEN"), "{text}");
    assert_eq!(
        affected.fields().iter().map(|f| f.ty).collect::<Vec<_>>(),
        vec![DataType::Int64]
    );
    assert!(bind_error("update lineitem set nope = 1").contains("nope"));
    assert!(bind_error("update region set r_name = 'a', r_name = 'b'").contains("r_name"));

    let b = bind_sql("delete from lineitem where l_orderkey = 5", &cat).unwrap();
    let Statement::Rewrite {
        new_contents, kind, ..
    } = b.statement
    else {
        panic!()
    };
    assert_eq!(kind, grizzly_ir::RewriteKind::Delete);
    let text = grizzly_ir::explain(&new_contents);
    assert!(
        text.contains("NOT coalesce(l_orderkey = 5, FALSE)"),
        "{text}"
    );
    assert!(matches!(
        bind_sql("delete from region", &cat).unwrap().statement,
        Statement::Rewrite { .. }
    ));
}

#[test]
fn copy_statements() {
    let cat = tpch();
    let b = bind_sql(
        "COPY lineitem FROM '/tmp/l.tbl' (HEADER, DELIMITER '|')",
        &cat,
    )
    .unwrap();
    let Statement::CopyFrom {
        table,
        path,
        options,
    } = b.statement
    else {
        panic!()
    };
    assert_eq!(
        (
            table.as_str(),
            path.as_str(),
            options.header,
            options.delimiter
        ),
        ("lineitem", "/tmp/l.tbl", true, b'|')
    );
    let b = bind_sql(
        "COPY region FROM 'r.csv' WITH (FORMAT csv, HEADER true, DELIMITER ',', NULL 'NA')",
        &cat,
    )
    .unwrap();
    let Statement::CopyFrom { options, .. } = b.statement else {
        panic!()
    };
    assert_eq!(
        (options.header, options.delimiter, options.null.as_str()),
        (true, b',', "NA")
    );
    let b = bind_sql(
        "COPY region FROM 'r.csv' WITH DELIMITER '|' CSV HEADER",
        &cat,
    )
    .unwrap();
    let Statement::CopyFrom { options, .. } = b.statement else {
        panic!()
    };
    assert_eq!((options.header, options.delimiter), (true, b'|'));
    let b = bind_sql(
        "COPY (select r_name from region) TO 'out.csv' (HEADER)",
        &cat,
    )
    .unwrap();
    assert!(matches!(b.statement, Statement::CopyTo { .. }));
    let b = bind_sql("COPY region TO 'out.csv'", &cat).unwrap();
    let Statement::CopyTo { query, .. } = b.statement else {
        panic!()
    };
    assert_eq!(query.fields().len(), 3);
    assert!(unsupported("COPY region FROM STDIN").contains("STDIN"));
    assert!(bind_error("COPY nope FROM 'x'").contains("nope"));
}

#[test]
fn utility_statements() {
    let cat = tpch();
    let stmt = |sql: &str| {
        bind_sql(sql, &cat)
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
            .statement
    };
    assert_eq!(stmt("begin"), Statement::Begin);
    assert_eq!(stmt("start transaction"), Statement::Begin);
    assert_eq!(stmt("commit"), Statement::Commit);
    assert_eq!(stmt("rollback"), Statement::Rollback);
    assert_eq!(stmt("show tables"), Statement::ShowTables);
    assert_eq!(
        stmt("describe nation"),
        Statement::Describe {
            table: "nation".into()
        }
    );
    assert_eq!(
        stmt("show columns from nation"),
        Statement::Describe {
            table: "nation".into()
        }
    );
    assert_eq!(
        stmt("set jit = 'off'"),
        Statement::Set {
            name: "jit".into(),
            value: "off".into()
        }
    );
    assert_eq!(
        stmt("set threads to 4"),
        Statement::Set {
            name: "threads".into(),
            value: "4".into()
        }
    );
    assert!(matches!(
        stmt("explain select * from nation"),
        Statement::Explain { .. }
    ));
    assert!(unsupported("create index i on nation (n_name)").contains("CREATE INDEX"));
    assert!(bind_error("describe nope").contains("nope"));
}

#[test]
fn parse_errors_name_line_and_column() {
    match grizzly_ir::parse("select *\nfrom nation\nwhere n_name = = 'x'") {
        Err(Error::Parse {
            location: Some(l),
            message,
        }) => {
            assert_eq!((l.line, l.column), (3, 16), "{message}");
        }
        other => panic!("{other:?}"),
    }
    let e = grizzly_ir::parse("select (1").unwrap_err();
    assert!(e.to_string().contains("line 1"), "{e}");
}

#[test]
fn hostile_inputs_fail_cleanly() {
    // Deep nesting, long operator chains, big literals: errors (or success), never a crash.
    let cat = tpch();
    let deep = format!("select {}1{}", "(".repeat(300), ")".repeat(300));
    assert!(grizzly_ir::parse(&deep).is_err());
    let long_sum = format!("select {}", vec!["1"; 2000].join(" + "));
    let stmts = grizzly_ir::parse(&long_sum).unwrap();
    assert!(matches!(
        grizzly_ir::bind(&stmts[0], &cat),
        Err(Error::Unsupported(_))
    ));
    let long_or = format!(
        "select * from nation where {}",
        vec!["n_nationkey = 1"; 3000].join(" or ")
    );
    let plan = plan_of(&long_or, &cat).unwrap();
    grizzly_ir::optimize(plan, &cat).unwrap();
    let nested_sub = format!("select {}1{}", "(select ".repeat(40), ")".repeat(40));
    let _ = bind_sql(&nested_sub, &cat);
    for sql in [
        "select 99999999999999999999999999999999999999999999",
        "select 1.000000000000000000000000000000000000000000001",
        "select 1e999",
        "select '2020-13-45'::date",
        "select cast('abc' as integer)",
        "select substring('abc', 99999999999)",
        "select date '2020-01-01' + interval '99999999' year",
        "select 1 / 0",
        "select -(-2147483648)",
        "select $0",
        "select $99999999999",
        "select n_name from nation group by 0",
        "select * from nation limit 99999999999999999999",
        "select x from (values (1)) t(x, y)",
        "select sum(*) from nation",
        "select count(distinct *) from nation",
        "select round(1.5, 99999)",
        "select 'a' like 'a' escape 'x'",
    ] {
        if let Ok(stmts) = grizzly_ir::parse(sql) {
            for st in &stmts {
                let _ = grizzly_ir::bind(st, &cat);
            }
        }
    }
}
