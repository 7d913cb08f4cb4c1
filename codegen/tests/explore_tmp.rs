use grizzly_ir::{ColumnMeta, DataType, TableMeta};
use grizzly_runtime::storage::Store;

#[test]
fn show_plans() {
    let store = Store::in_memory();
    let mut tx = store.begin_write().unwrap();
    let money = DataType::Decimal { precision: 15, scale: 2 };
    let cols = [("l_quantity", money), ("l_extendedprice", money), ("l_discount", money), ("l_tax", money),
        ("l_returnflag", DataType::Varchar), ("l_linestatus", DataType::Varchar), ("l_shipdate", DataType::Date)];
    tx.create_table(TableMeta { name: "lineitem".into(), columns: cols.iter().map(|(n, t)| ColumnMeta { name: n.to_string(), ty: *t, nullable: false }).collect(), row_count: 0 }).unwrap();
    tx.commit().unwrap();
    let snap = store.snapshot();
    for f in ["q1", "q6"] {
        let sql = std::fs::read_to_string(format!("/work/shared/tpch/queries/{f}.sql")).unwrap();
        let ast = grizzly_ir::parse(&sql).unwrap();
        let b = grizzly_ir::bind(&ast[0], &*snap).unwrap();
        let grizzly_ir::Statement::Query(p) = b.statement else { panic!() };
        let p = grizzly_ir::optimize(p, &*snap).unwrap();
        println!("{}", grizzly_ir::explain(&p));
        println!("{:#?}", p);
    }
}
