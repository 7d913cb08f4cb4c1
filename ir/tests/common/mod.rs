//! A small in-memory catalog with the TPC-H schema (scale factor 1 row counts).
#![allow(dead_code)]

use std::collections::HashMap;

use grizzly_ir::{Catalog, ColumnMeta, DataType, TableMeta, ViewMeta};

#[derive(Default)]
pub struct TestCatalog {
    pub tables: HashMap<String, TableMeta>,
    pub views: HashMap<String, ViewMeta>,
}

impl Catalog for TestCatalog {
    fn table(&self, name: &str) -> Option<TableMeta> {
        self.tables.get(name).cloned()
    }

    fn view(&self, name: &str) -> Option<ViewMeta> {
        self.views.get(name).cloned()
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
    let path = format!("/work/shared/tpch/queries/q{n}.sql");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {path}: {e}"))
}
