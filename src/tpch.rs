//! TPC-H data, generated in-process with the `tpchgen` crate (whose output is identical to the
//! official `dbgen`'s) and loaded through the bulk [`Database::append`] API.
//!
//! Types follow DuckDB's loading of the same data, so results compare with its answers: keys
//! BIGINT (`l_linenumber` INTEGER), `p_size` / `ps_availqty` / `o_shippriority` INTEGER, money
//! and quantities DECIMAL(15,2) (held as cents), dates DATE (days since 1970-01-01), the rest
//! VARCHAR; every column NOT NULL.
//!
//! ```no_run
//! use grizzly::{generate_tpch, Database};
//! let db = Database::in_memory();
//! generate_tpch(&db, 0.01).unwrap();
//! let q6 = db.query("SELECT count(*) FROM lineitem").unwrap();
//! ```

use crate::database::Database;
use grizzly_ir::{ColumnMeta, DataType, TableMeta};
use grizzly_runtime::{Buffer, Error, Result, StrData, Vector, VectorData};
use std::fmt::Display;
use std::io::Write as _;
use tpchgen::dates::TPCHDate;
use tpchgen::decimal::TPCHDecimal;
use tpchgen::generators::{
    CustomerGenerator, LineItemGenerator, NationGenerator, OrderGenerator, PartGenerator,
    PartSuppGenerator, RegionGenerator, SupplierGenerator,
};

/// Rows handed to [`Database::append`] at a time.
const CHUNK_ROWS: usize = 100_000;

const MONEY: DataType = DataType::Decimal {
    precision: 15,
    scale: 2,
};

/// The eight TPC-H tables, in the order [`generate_tpch`] loads them (dimension tables first).
/// `row_count` is 0: the tables are empty when created.
pub fn tpch_schema() -> Vec<TableMeta> {
    use DataType::{Date, Int32, Int64, Varchar};
    let table = |name: &str, columns: &[(&str, DataType)]| TableMeta {
        name: name.to_string(),
        columns: columns
            .iter()
            .map(|&(name, ty)| ColumnMeta {
                name: name.to_string(),
                ty,
                nullable: false,
            })
            .collect(),
        row_count: 0,
    };
    vec![
        table(
            "nation",
            &[
                ("n_nationkey", Int64),
                ("n_name", Varchar),
                ("n_regionkey", Int64),
                ("n_comment", Varchar),
            ],
        ),
        table(
            "region",
            &[
                ("r_regionkey", Int64),
                ("r_name", Varchar),
                ("r_comment", Varchar),
            ],
        ),
        table(
            "part",
            &[
                ("p_partkey", Int64),
                ("p_name", Varchar),
                ("p_mfgr", Varchar),
                ("p_brand", Varchar),
                ("p_type", Varchar),
                ("p_size", Int32),
                ("p_container", Varchar),
                ("p_retailprice", MONEY),
                ("p_comment", Varchar),
            ],
        ),
        table(
            "supplier",
            &[
                ("s_suppkey", Int64),
                ("s_name", Varchar),
                ("s_address", Varchar),
                ("s_nationkey", Int64),
                ("s_phone", Varchar),
                ("s_acctbal", MONEY),
                ("s_comment", Varchar),
            ],
        ),
        table(
            "partsupp",
            &[
                ("ps_partkey", Int64),
                ("ps_suppkey", Int64),
                ("ps_availqty", Int32),
                ("ps_supplycost", MONEY),
                ("ps_comment", Varchar),
            ],
        ),
        table(
            "customer",
            &[
                ("c_custkey", Int64),
                ("c_name", Varchar),
                ("c_address", Varchar),
                ("c_nationkey", Int64),
                ("c_phone", Varchar),
                ("c_acctbal", MONEY),
                ("c_mktsegment", Varchar),
                ("c_comment", Varchar),
            ],
        ),
        table(
            "orders",
            &[
                ("o_orderkey", Int64),
                ("o_custkey", Int64),
                ("o_orderstatus", Varchar),
                ("o_totalprice", MONEY),
                ("o_orderdate", Date),
                ("o_orderpriority", Varchar),
                ("o_clerk", Varchar),
                ("o_shippriority", Int32),
                ("o_comment", Varchar),
            ],
        ),
        table(
            "lineitem",
            &[
                ("l_orderkey", Int64),
                ("l_partkey", Int64),
                ("l_suppkey", Int64),
                ("l_linenumber", Int32),
                ("l_quantity", MONEY),
                ("l_extendedprice", MONEY),
                ("l_discount", MONEY),
                ("l_tax", MONEY),
                ("l_returnflag", Varchar),
                ("l_linestatus", Varchar),
                ("l_shipdate", Date),
                ("l_commitdate", Date),
                ("l_receiptdate", Date),
                ("l_shipinstruct", Varchar),
                ("l_shipmode", Varchar),
                ("l_comment", Varchar),
            ],
        ),
    ]
}

/// The `CREATE TABLE` statement for a table of [`tpch_schema`].
pub fn create_table_sql(table: &TableMeta) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| format!("{} {} NOT NULL", c.name, c.ty))
        .collect();
    format!("CREATE TABLE {} ({})", table.name, columns.join(", "))
}

/// Creates the eight TPC-H tables in `db` and fills them with the data of `scale_factor`
/// (1.0 = 6 million lineitems; 0.01 is a quick test set).
///
/// # Errors
/// A table that already exists, or whatever [`Database::append`] reports.
pub fn generate_tpch(db: &Database, scale_factor: f64) -> Result<()> {
    if !(scale_factor > 0.0 && scale_factor.is_finite()) {
        return Err(Error::Usage(format!(
            "TPC-H scale factor must be positive, got {scale_factor}"
        )));
    }
    for table in tpch_schema() {
        db.execute(&create_table_sql(&table))?;
        for chunk in table_chunks(&table.name, scale_factor, CHUNK_ROWS) {
            db.append(&table.name, chunk)?;
        }
    }
    Ok(())
}

/// The rows of one TPC-H table as chunks of at most `chunk_rows` rows, one [`Vector`] per
/// column in schema order. Panics on a name that is not a TPC-H table (a caller bug).
pub fn table_chunks(
    table: &str,
    sf: f64,
    chunk_rows: usize,
) -> Box<dyn Iterator<Item = Vec<Vector>>> {
    let schema = tpch_schema();
    let meta = schema
        .iter()
        .find(|t| t.name == table)
        .expect("not a TPC-H table");
    let types: Vec<DataType> = meta.columns.iter().map(|c| c.ty).collect();
    match table {
        "nation" => chunks(
            types,
            chunk_rows,
            NationGenerator::new(sf, 1, 1).iter(),
            |c, r| {
                c.i64(r.n_nationkey);
                c.str(r.n_name);
                c.i64(r.n_regionkey);
                c.str(r.n_comment);
            },
        ),
        "region" => chunks(
            types,
            chunk_rows,
            RegionGenerator::new(sf, 1, 1).iter(),
            |c, r| {
                c.i64(r.r_regionkey);
                c.str(r.r_name);
                c.str(r.r_comment);
            },
        ),
        "part" => chunks(
            types,
            chunk_rows,
            PartGenerator::new(sf, 1, 1).iter(),
            |c, r| {
                c.i64(r.p_partkey);
                c.display(&r.p_name);
                c.display(r.p_mfgr);
                c.display(r.p_brand);
                c.str(r.p_type);
                c.i32(r.p_size);
                c.str(r.p_container);
                c.money(r.p_retailprice);
                c.str(r.p_comment);
            },
        ),
        "supplier" => chunks(
            types,
            chunk_rows,
            SupplierGenerator::new(sf, 1, 1).iter(),
            |c, r| {
                c.i64(r.s_suppkey);
                c.display(r.s_name);
                c.display(&r.s_address);
                c.i64(r.s_nationkey);
                c.display(&r.s_phone);
                c.money(r.s_acctbal);
                c.str(&r.s_comment);
            },
        ),
        "partsupp" => chunks(
            types,
            chunk_rows,
            PartSuppGenerator::new(sf, 1, 1).iter(),
            |c, r| {
                c.i64(r.ps_partkey);
                c.i64(r.ps_suppkey);
                c.i32(r.ps_availqty);
                c.money(r.ps_supplycost);
                c.str(r.ps_comment);
            },
        ),
        "customer" => chunks(
            types,
            chunk_rows,
            CustomerGenerator::new(sf, 1, 1).iter(),
            |c, r| {
                c.i64(r.c_custkey);
                c.display(r.c_name);
                c.display(&r.c_address);
                c.i64(r.c_nationkey);
                c.display(&r.c_phone);
                c.money(r.c_acctbal);
                c.str(r.c_mktsegment);
                c.str(r.c_comment);
            },
        ),
        "orders" => chunks(
            types,
            chunk_rows,
            OrderGenerator::new(sf, 1, 1).iter(),
            |c, r| {
                c.i64(r.o_orderkey);
                c.i64(r.o_custkey);
                c.str(r.o_orderstatus.as_str());
                c.money(r.o_totalprice);
                c.date(r.o_orderdate);
                c.str(r.o_orderpriority);
                c.display(r.o_clerk);
                c.i32(r.o_shippriority);
                c.str(r.o_comment);
            },
        ),
        "lineitem" => chunks(
            types,
            chunk_rows,
            LineItemGenerator::new(sf, 1, 1).iter(),
            |c, r| {
                c.i64(r.l_orderkey);
                c.i64(r.l_partkey);
                c.i64(r.l_suppkey);
                c.i32(r.l_linenumber);
                // dbgen's quantity is a whole number; as DECIMAL(15,2) it is held in hundredths.
                c.money(TPCHDecimal(r.l_quantity * 100));
                c.money(r.l_extendedprice);
                c.money(r.l_discount);
                c.money(r.l_tax);
                c.str(r.l_returnflag);
                c.str(r.l_linestatus);
                c.date(r.l_shipdate);
                c.date(r.l_commitdate);
                c.date(r.l_receiptdate);
                c.str(r.l_shipinstruct);
                c.str(r.l_shipmode);
                c.str(r.l_comment);
            },
        ),
        _ => unreachable!("checked against the schema above"),
    }
}

/// Adapts a row iterator to chunks of column vectors; `push` appends one row's values in
/// column order.
fn chunks<R, I, F>(
    types: Vec<DataType>,
    chunk_rows: usize,
    rows: I,
    push: F,
) -> Box<dyn Iterator<Item = Vec<Vector>>>
where
    I: Iterator<Item = R> + 'static,
    F: Fn(&mut ChunkBuilder, R) + 'static,
{
    let mut rows = rows.peekable();
    let chunk_rows = chunk_rows.max(1);
    Box::new(std::iter::from_fn(move || {
        rows.peek()?;
        let mut builder = ChunkBuilder::new(&types, chunk_rows);
        for row in rows.by_ref().take(chunk_rows) {
            builder.next = 0;
            push(&mut builder, row);
            debug_assert_eq!(
                builder.next,
                types.len(),
                "row pushed a wrong number of values"
            );
        }
        Some(builder.finish())
    }))
}

/// Typed column buffers for one chunk; values are pushed row by row, left to right.
struct ChunkBuilder {
    types: Vec<DataType>,
    columns: Vec<ColumnBuilder>,
    /// The column the next pushed value goes to.
    next: usize,
}

enum ColumnBuilder {
    I32(Vec<i32>),
    I64(Vec<i64>),
    Str { offsets: Vec<u32>, bytes: Vec<u8> },
}

impl ChunkBuilder {
    fn new(types: &[DataType], capacity: usize) -> ChunkBuilder {
        let columns = types
            .iter()
            .map(|ty| match ty {
                DataType::Int32 | DataType::Date => {
                    ColumnBuilder::I32(Vec::with_capacity(capacity))
                }
                DataType::Varchar => {
                    let mut offsets = Vec::with_capacity(capacity + 1);
                    offsets.push(0);
                    ColumnBuilder::Str {
                        offsets,
                        bytes: Vec::new(),
                    }
                }
                _ => ColumnBuilder::I64(Vec::with_capacity(capacity)),
            })
            .collect();
        ChunkBuilder {
            types: types.to_vec(),
            columns,
            next: 0,
        }
    }

    fn column(&mut self) -> &mut ColumnBuilder {
        self.next += 1;
        &mut self.columns[self.next - 1]
    }

    fn i64(&mut self, v: i64) {
        match self.column() {
            ColumnBuilder::I64(c) => c.push(v),
            _ => panic!("TPC-H loader: BIGINT pushed to a column of another type"),
        }
    }

    fn i32(&mut self, v: i32) {
        match self.column() {
            ColumnBuilder::I32(c) => c.push(v),
            _ => panic!("TPC-H loader: INTEGER pushed to a column of another type"),
        }
    }

    /// A DECIMAL(15,2) value: `TPCHDecimal` already holds hundredths.
    fn money(&mut self, v: TPCHDecimal) {
        self.i64(v.into_inner());
    }

    fn date(&mut self, d: TPCHDate) {
        self.i32(d.to_unix_epoch());
    }

    fn str(&mut self, s: &str) {
        match self.column() {
            ColumnBuilder::Str { offsets, bytes } => {
                bytes.extend_from_slice(s.as_bytes());
                offsets.push(offset(bytes.len()));
            }
            _ => panic!("TPC-H loader: VARCHAR pushed to a column of another type"),
        }
    }

    /// A VARCHAR formatted straight into the column's bytes (no temporary String).
    fn display(&mut self, v: impl Display) {
        match self.column() {
            ColumnBuilder::Str { offsets, bytes } => {
                write!(bytes, "{v}").expect("writing to a Vec cannot fail");
                offsets.push(offset(bytes.len()));
            }
            _ => panic!("TPC-H loader: VARCHAR pushed to a column of another type"),
        }
    }

    fn finish(self) -> Vec<Vector> {
        self.columns
            .into_iter()
            .zip(self.types)
            .map(|(column, ty)| {
                let data = match column {
                    ColumnBuilder::I32(v) => VectorData::I32(Buffer::from_vec(v)),
                    ColumnBuilder::I64(v) => VectorData::I64(Buffer::from_vec(v)),
                    ColumnBuilder::Str { offsets, bytes } => VectorData::Str(StrData {
                        offsets: Buffer::from_vec(offsets),
                        bytes: Buffer::from_vec(bytes),
                    }),
                };
                Vector {
                    ty,
                    data,
                    validity: None,
                }
            })
            .collect()
    }
}

/// A string offset; a chunk's strings stay far below 4 GiB (at most ~200 bytes a value).
fn offset(len: usize) -> u32 {
    u32::try_from(len).expect("TPC-H chunk holds more than 4 GiB of text")
}

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_ir::date::{format_date, parse_date};
    use grizzly_ir::Value;

    /// Renders row `i` of a chunk as dbgen's `|`-separated line, to compare with the
    /// generator's own `Display` (which is dbgen's `.tbl` format).
    fn render(chunk: &[Vector], i: usize) -> Vec<String> {
        chunk.iter().map(|v| v.get(i).to_string()).collect()
    }

    fn dbgen_rows(table: &str, sf: f64, n: usize) -> Vec<Vec<String>> {
        fn split(line: String) -> Vec<String> {
            let mut fields: Vec<String> = line.split('|').map(str::to_string).collect();
            assert_eq!(
                fields.pop().as_deref(),
                Some(""),
                "dbgen lines end with '|'"
            );
            fields
        }
        let lines: Vec<String> = match table {
            "nation" => NationGenerator::new(sf, 1, 1)
                .iter()
                .take(n)
                .map(|r| r.to_string())
                .collect(),
            "region" => RegionGenerator::new(sf, 1, 1)
                .iter()
                .take(n)
                .map(|r| r.to_string())
                .collect(),
            "part" => PartGenerator::new(sf, 1, 1)
                .iter()
                .take(n)
                .map(|r| r.to_string())
                .collect(),
            "supplier" => SupplierGenerator::new(sf, 1, 1)
                .iter()
                .take(n)
                .map(|r| r.to_string())
                .collect(),
            "partsupp" => PartSuppGenerator::new(sf, 1, 1)
                .iter()
                .take(n)
                .map(|r| r.to_string())
                .collect(),
            "customer" => CustomerGenerator::new(sf, 1, 1)
                .iter()
                .take(n)
                .map(|r| r.to_string())
                .collect(),
            "orders" => OrderGenerator::new(sf, 1, 1)
                .iter()
                .take(n)
                .map(|r| r.to_string())
                .collect(),
            "lineitem" => LineItemGenerator::new(sf, 1, 1)
                .iter()
                .take(n)
                .map(|r| r.to_string())
                .collect(),
            _ => unreachable!(),
        };
        lines.into_iter().map(split).collect()
    }

    #[test]
    fn schema_matches_tpch() {
        let schema = tpch_schema();
        let names: Vec<&str> = schema.iter().map(|t| t.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "nation", "region", "part", "supplier", "partsupp", "customer", "orders",
                "lineitem"
            ]
        );
        let widths: Vec<usize> = schema.iter().map(|t| t.columns.len()).collect();
        assert_eq!(widths, [4, 3, 9, 7, 5, 8, 9, 16]);
        assert!(schema.iter().flat_map(|t| &t.columns).all(|c| !c.nullable));
        assert_eq!(
            create_table_sql(&schema[1]),
            "CREATE TABLE region (r_regionkey BIGINT NOT NULL, r_name VARCHAR NOT NULL, \
             r_comment VARCHAR NOT NULL)"
        );
    }

    /// Every column of the first rows of every table, rendered back to text, equals dbgen's
    /// text: decimals as cents, dates as days since 1970, strings verbatim.
    #[test]
    fn chunks_reproduce_dbgen_rows() {
        for table in tpch_schema() {
            let chunk = table_chunks(&table.name, 0.01, 50).next().expect("rows");
            let expected = dbgen_rows(&table.name, 0.01, 50);
            assert_eq!(chunk[0].len(), expected.len(), "{}", table.name);
            for (i, dbgen) in expected.iter().enumerate() {
                let ours = render(&chunk, i);
                assert_eq!(ours.len(), dbgen.len(), "{} row {i}", table.name);
                for (c, (ours, dbgen)) in ours.iter().zip(dbgen).enumerate() {
                    let column = &table.columns[c];
                    if column.name == "l_quantity" {
                        // dbgen writes the whole number; the column holds it at scale 2.
                        assert_eq!(ours, &format!("{dbgen}.00"), "{} row {i}", column.name);
                    } else {
                        assert_eq!(ours, dbgen, "{} row {i}", column.name);
                    }
                }
            }
        }
    }

    #[test]
    fn known_first_lineitem() {
        // The first line of the official dbgen's lineitem.tbl at SF 1:
        // 1|155190|7706|1|17|21168.23|0.04|0.02|N|O|1996-03-13|1996-02-12|1996-03-22|
        // DELIVER IN PERSON|TRUCK|egular courts above the|
        let chunk = table_chunks("lineitem", 1.0, 1).next().unwrap();
        let row: Vec<Value> = chunk.iter().map(|v| v.get(0)).collect();
        let date = |s| Value::Date(parse_date(s).unwrap());
        let text = |s: &str| Value::Varchar(s.into());
        let expected = [
            Value::Int64(1),
            Value::Int64(155_190),
            Value::Int64(7706),
            Value::Int32(1),
            Value::Decimal(1700, 2),
            Value::Decimal(2_116_823, 2),
            Value::Decimal(4, 2),
            Value::Decimal(2, 2),
            text("N"),
            text("O"),
            date("1996-03-13"),
            date("1996-02-12"),
            date("1996-03-22"),
            text("DELIVER IN PERSON"),
            text("TRUCK"),
            text("egular courts above the"),
        ];
        assert_eq!(row, expected);
    }

    #[test]
    fn every_generated_date_converts() {
        // tpchgen's own day numbering against Grizzly's calendar, over the whole range.
        for i in 0..tpchgen::dates::TOTAL_DATE_RANGE {
            let d = TPCHDate::new(tpchgen::dates::MIN_GENERATE_DATE + i);
            assert_eq!(format_date(d.to_unix_epoch()), d.to_string());
        }
    }

    #[test]
    fn chunking_covers_every_row_once() {
        let sizes: Vec<usize> = table_chunks("supplier", 0.01, 30)
            .map(|c| c[0].len())
            .collect();
        assert_eq!(sizes.iter().sum::<usize>(), 100);
        assert!(sizes.iter().all(|&n| n <= 30));
        let keys: Vec<Value> = table_chunks("supplier", 0.01, 30)
            .flat_map(|c| (0..c[0].len()).map(move |i| c[0].get(i)))
            .collect();
        assert_eq!(keys, (1..=100).map(Value::Int64).collect::<Vec<_>>());
    }
}
