//! A small in-memory catalog with the TPC-H schema (scale factor 1 row counts).
#![allow(dead_code)]

use std::collections::HashMap;

use grizzly_ir::catalog::ColumnStats;
use grizzly_ir::{Catalog, ColumnMeta, DataType, TableMeta, Value, ViewMeta};

#[derive(Default)]
pub struct TestCatalog {
    pub tables: HashMap<String, TableMeta>,
    pub views: HashMap<String, ViewMeta>,
    /// Column statistics by table (none: the optimizer's row-count heuristics).
    pub stats: HashMap<String, Vec<ColumnStats>>,
}

impl Catalog for TestCatalog {
    fn table(&self, name: &str) -> Option<TableMeta> {
        self.tables.get(name).cloned()
    }

    fn view(&self, name: &str) -> Option<ViewMeta> {
        self.views.get(name).cloned()
    }

    fn column_stats(&self, table: &str) -> Option<Vec<ColumnStats>> {
        self.stats.get(table).cloned()
    }
}

impl TestCatalog {
    pub fn add_table(&mut self, name: &str, row_count: u64, columns: &[(&str, DataType)]) {
        let columns = columns
            .iter()
            .map(|(n, ty)| ColumnMeta {
                name: n.to_string(),
                ty: *ty,
                nullable: false,
            })
            .collect();
        self.tables.insert(
            name.to_string(),
            TableMeta {
                name: name.to_string(),
                columns,
                row_count,
            },
        );
    }

    pub fn add_view(&mut self, name: &str, sql: &str, column_names: &[&str]) {
        self.views.insert(
            name.to_string(),
            ViewMeta {
                name: name.to_string(),
                sql: sql.to_string(),
                column_names: column_names.iter().map(|s| s.to_string()).collect(),
            },
        );
    }
}

pub const KEY: DataType = DataType::Int64;
pub const INT: DataType = DataType::Int32;
pub const MONEY: DataType = DataType::Decimal {
    precision: 15,
    scale: 2,
};
pub const DATE: DataType = DataType::Date;
pub const TEXT: DataType = DataType::Varchar;

pub fn tpch() -> TestCatalog {
    let mut c = TestCatalog::default();
    c.add_table(
        "region",
        5,
        &[("r_regionkey", KEY), ("r_name", TEXT), ("r_comment", TEXT)],
    );
    c.add_table(
        "nation",
        25,
        &[
            ("n_nationkey", KEY),
            ("n_name", TEXT),
            ("n_regionkey", KEY),
            ("n_comment", TEXT),
        ],
    );
    c.add_table(
        "part",
        200_000,
        &[
            ("p_partkey", KEY),
            ("p_name", TEXT),
            ("p_mfgr", TEXT),
            ("p_brand", TEXT),
            ("p_type", TEXT),
            ("p_size", INT),
            ("p_container", TEXT),
            ("p_retailprice", MONEY),
            ("p_comment", TEXT),
        ],
    );
    c.add_table(
        "supplier",
        10_000,
        &[
            ("s_suppkey", KEY),
            ("s_name", TEXT),
            ("s_address", TEXT),
            ("s_nationkey", KEY),
            ("s_phone", TEXT),
            ("s_acctbal", MONEY),
            ("s_comment", TEXT),
        ],
    );
    c.add_table(
        "partsupp",
        800_000,
        &[
            ("ps_partkey", KEY),
            ("ps_suppkey", KEY),
            ("ps_availqty", INT),
            ("ps_supplycost", MONEY),
            ("ps_comment", TEXT),
        ],
    );
    c.add_table(
        "customer",
        150_000,
        &[
            ("c_custkey", KEY),
            ("c_name", TEXT),
            ("c_address", TEXT),
            ("c_nationkey", KEY),
            ("c_phone", TEXT),
            ("c_acctbal", MONEY),
            ("c_mktsegment", TEXT),
            ("c_comment", TEXT),
        ],
    );
    c.add_table(
        "orders",
        1_500_000,
        &[
            ("o_orderkey", KEY),
            ("o_custkey", KEY),
            ("o_orderstatus", TEXT),
            ("o_totalprice", MONEY),
            ("o_orderdate", DATE),
            ("o_orderpriority", TEXT),
            ("o_clerk", TEXT),
            ("o_shippriority", INT),
            ("o_comment", TEXT),
        ],
    );
    c.add_table(
        "lineitem",
        6_001_215,
        &[
            ("l_orderkey", KEY),
            ("l_partkey", KEY),
            ("l_suppkey", KEY),
            ("l_linenumber", INT),
            ("l_quantity", MONEY),
            ("l_extendedprice", MONEY),
            ("l_discount", MONEY),
            ("l_tax", MONEY),
            ("l_returnflag", TEXT),
            ("l_linestatus", TEXT),
            ("l_shipdate", DATE),
            ("l_commitdate", DATE),
            ("l_receiptdate", DATE),
            ("l_shipinstruct", TEXT),
            ("l_shipmode", TEXT),
            ("l_comment", TEXT),
        ],
    );
    c
}

/// Parses and binds one statement.
pub fn bind_sql(sql: &str, catalog: &dyn Catalog) -> grizzly_ir::Result<grizzly_ir::Bound> {
    let stmts = grizzly_ir::parse(sql)?;
    assert_eq!(stmts.len(), 1, "expected one statement in {sql}");
    grizzly_ir::bind(&stmts[0], catalog)
}

/// Parses and binds a query, returning its plan.
pub fn plan_of(sql: &str, catalog: &dyn Catalog) -> grizzly_ir::Result<grizzly_ir::LogicalPlan> {
    match bind_sql(sql, catalog)?.statement {
        grizzly_ir::Statement::Query(p) => Ok(p),
        other => panic!("not a query: {other:?}"),
    }
}

pub fn tpch_query(n: u32) -> String {
    let path = format!(
        "{}/../tests/tpch/queries/q{n}.sql",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}

/// How a column's statistics are given to [`TestCatalog::set_stats`].
pub enum S {
    /// Integer (or decimal in cents, or date as days) bounds; distinct values as the runtime
    /// derives them from zone maps: `min(rows, max - min + 1)`.
    Range(i64, i64),
    /// DATE bounds, `YYYY-MM-DD`.
    Dates(&'static str, &'static str),
    /// A dictionary-encoded string column with this many distinct values.
    Dict(u64),
    /// Nothing known (long plain strings).
    Unknown,
}

fn days(s: &str) -> i64 {
    let p: Vec<u32> = s.split('-').map(|x| x.parse().unwrap()).collect();
    i64::from(grizzly_ir::date::days_from_civil(p[0] as i32, p[1], p[2]).unwrap())
}

impl TestCatalog {
    /// Sets the statistics of every column of `table`, in column order.
    pub fn set_stats(&mut self, table: &str, cols: &[S]) {
        let meta = &self.tables[table];
        assert_eq!(
            meta.columns.len(),
            cols.len(),
            "stats for every column of {table}"
        );
        let rows = meta.row_count;
        let stats = meta
            .columns
            .iter()
            .zip(cols)
            .map(|(c, s)| {
                let (lo, hi) = match s {
                    S::Range(lo, hi) => (*lo, *hi),
                    S::Dates(lo, hi) => (days(lo), days(hi)),
                    S::Dict(d) => {
                        return ColumnStats {
                            min: Value::Null,
                            max: Value::Null,
                            null_count: 0,
                            distinct: Some(*d),
                        }
                    }
                    S::Unknown => {
                        return ColumnStats {
                            min: Value::Null,
                            max: Value::Null,
                            null_count: 0,
                            distinct: None,
                        }
                    }
                };
                let value = |v: i64| match c.ty {
                    DataType::Int32 => Value::Int32(v as i32),
                    DataType::Int64 => Value::Int64(v),
                    DataType::Date => Value::Date(v as i32),
                    DataType::Decimal { scale, .. } => Value::Decimal(i128::from(v), scale),
                    other => panic!("no range stats for {other:?}"),
                };
                ColumnStats {
                    min: value(lo),
                    max: value(hi),
                    null_count: 0,
                    distinct: Some(rows.min((hi - lo + 1) as u64)),
                }
            })
            .collect();
        self.stats.insert(table.to_string(), stats);
    }
}

/// The TPC-H catalog with SF1 column statistics as the runtime derives them from zone maps
/// (integer, date and decimal ranges; dictionary sizes of low-cardinality strings).
pub fn tpch_with_stats() -> TestCatalog {
    use S::*;
    let mut c = tpch();
    c.set_stats("region", &[Range(0, 4), Dict(5), Dict(5)]);
    c.set_stats("nation", &[Range(0, 24), Dict(25), Range(0, 4), Dict(25)]);
    c.set_stats(
        "part",
        &[
            Range(1, 200_000),
            Unknown,
            Dict(5),
            Dict(25),
            Dict(150),
            Range(1, 50),
            Dict(40),
            Range(90_000, 209_899),
            Unknown,
        ],
    );
    c.set_stats(
        "supplier",
        &[
            Range(1, 10_000),
            Unknown,
            Unknown,
            Range(0, 24),
            Unknown,
            Range(-99_999, 999_999),
            Unknown,
        ],
    );
    c.set_stats(
        "partsupp",
        &[
            Range(1, 200_000),
            Range(1, 10_000),
            Range(1, 9_999),
            Range(100, 100_000),
            Unknown,
        ],
    );
    c.set_stats(
        "customer",
        &[
            Range(1, 150_000),
            Unknown,
            Unknown,
            Range(0, 24),
            Unknown,
            Range(-99_999, 999_999),
            Dict(5),
            Unknown,
        ],
    );
    c.set_stats(
        "orders",
        &[
            Range(1, 6_000_000),
            Range(1, 149_999),
            Dict(3),
            Range(85_700, 55_884_400),
            Dates("1992-01-01", "1998-08-02"),
            Dict(5),
            Dict(1_000),
            Range(0, 0),
            Unknown,
        ],
    );
    c.set_stats(
        "lineitem",
        &[
            Range(1, 6_000_000),
            Range(1, 200_000),
            Range(1, 10_000),
            Range(1, 7),
            Range(100, 5_000),
            Range(90_100, 10_494_950),
            Range(0, 10),
            Range(0, 8),
            Dict(3),
            Dict(2),
            Dates("1992-01-02", "1998-12-01"),
            Dates("1992-01-31", "1998-10-31"),
            Dates("1992-01-03", "1998-12-31"),
            Dict(4),
            Dict(7),
            Unknown,
        ],
    );
    c
}
