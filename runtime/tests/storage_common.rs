//! Helpers shared by the storage tests (included with `#[path]`; has no tests of its own).
#![allow(dead_code)]

use grizzly_ir::{ColumnMeta, DataType, TableMeta, Value};
use grizzly_runtime::storage::Snapshot;
use grizzly_runtime::{Result, Vector};

/// xorshift64*: deterministic test data from a fixed seed.
pub struct Rng(pub u64);

impl Rng {
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

pub fn col(name: &str, ty: DataType, nullable: bool) -> ColumnMeta {
    ColumnMeta {
        name: name.into(),
        ty,
        nullable,
    }
}

/// One column of every type; `i` is NOT NULL.
pub fn all_types_meta(name: &str) -> TableMeta {
    TableMeta {
        name: name.into(),
        columns: vec![
            col("b", DataType::Boolean, true),
            col("i", DataType::Int32, false),
            col("big", DataType::Int64, true),
            col("f", DataType::Float64, true),
            col(
                "d",
                DataType::Decimal {
                    precision: 12,
                    scale: 2,
                },
                true,
            ),
            col(
                "dd",
                DataType::Decimal {
                    precision: 30,
                    scale: 5,
                },
                true,
            ),
            col("dt", DataType::Date, true),
            col("s", DataType::Varchar, true),
            col("t", DataType::Varchar, true),
        ],
        row_count: 0,
    }
}

const MODES: [&str; 5] = ["AIR", "MAIL", "RAIL", "SHIP", "TRUCK"];

/// `n` rows (column-major) for [`all_types_meta`], starting at row number `first`.
pub fn all_types_rows(seed: u64, first: usize, n: usize) -> Vec<Vec<Value>> {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut cols: Vec<Vec<Value>> = (0..9).map(|_| Vec::with_capacity(n)).collect();
    for r in first..first + n {
        let null = |rng: &mut Rng| rng.below(7) == 0;
        let x = rng.next_u64();
        let vals = [
            if null(&mut rng) {
                Value::Null
            } else {
                Value::Boolean(x & 1 == 1)
            },
            Value::Int32(r as i32),
            if null(&mut rng) {
                Value::Null
            } else {
                Value::Int64((x >> 3) as i64 - (1 << 59))
            },
            if null(&mut rng) {
                Value::Null
            } else {
                Value::Float64((x % 100_000) as f64 / 7.0 - 5000.0)
            },
            if null(&mut rng) {
                Value::Null
            } else {
                Value::Decimal((x % 10_000_000) as i128 - 5_000_000, 2)
            },
            if null(&mut rng) {
                Value::Null
            } else {
                Value::Decimal((x as i128) * 1_000_000_007 - (1i128 << 70), 5)
            },
            if null(&mut rng) {
                Value::Null
            } else {
                Value::Date((x % 20_000) as i32 - 3000)
            },
            if null(&mut rng) {
                Value::Null
            } else {
                Value::Varchar(MODES[(x % 5) as usize].into())
            },
            if null(&mut rng) {
                Value::Null
            } else {
                Value::Varchar(format!(
                    "row {r} — {} ünïcödé {}",
                    x % 1000,
                    "x".repeat((x % 13) as usize)
                ))
            },
        ];
        for (c, v) in cols.iter_mut().zip(vals) {
            c.push(v);
        }
    }
    cols
}

pub fn to_vectors(meta: &TableMeta, cols: &[Vec<Value>]) -> Vec<Vector> {
    meta.columns
        .iter()
        .zip(cols)
        .map(|(c, vals)| Vector::from_values(c.ty, vals).expect("values fit the type"))
        .collect()
}

/// Rows `start..start + n` of column-major data.
pub fn slice_rows(cols: &[Vec<Value>], start: usize, n: usize) -> Vec<Vec<Value>> {
    cols.iter().map(|c| c[start..start + n].to_vec()).collect()
}

pub fn concat(a: &mut [Vec<Value>], b: Vec<Vec<Value>>) {
    for (x, y) in a.iter_mut().zip(b) {
        x.extend(y);
    }
}

/// All rows of a table, column-major, loading every chunk.
pub fn read_table(snap: &Snapshot, name: &str) -> Result<Vec<Vec<Value>>> {
    let t = snap.table(name).expect("table exists");
    let mut cols = vec![Vec::new(); t.meta.columns.len()];
    for rg in &t.row_groups {
        for (c, chunk) in cols.iter_mut().zip(&rg.columns) {
            let v = chunk.load()?;
            assert_eq!(v.len(), rg.rows);
            c.extend((0..v.len()).map(|i| v.get(i)));
        }
    }
    Ok(cols)
}

/// Asserts two column-major tables are equal, reporting the first difference.
pub fn assert_same(got: &[Vec<Value>], want: &[Vec<Value>]) {
    assert_eq!(got.len(), want.len(), "column count");
    for (c, (g, w)) in got.iter().zip(want).enumerate() {
        assert_eq!(g.len(), w.len(), "row count of column {c}");
        if let Some(i) = (0..g.len()).find(|&i| g[i] != w[i]) {
            panic!("column {c} row {i}: got {:?}, want {:?}", g[i], w[i]);
        }
    }
}
