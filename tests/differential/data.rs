//! The two tables every generated query reads, and a small seeded PRNG.
//!
//! `t` (the fact table) holds NULL-free columns the compiled tier can read (integers with a
//! few values at the type limits, decimals near the DECIMAL(18,2) limit, a dictionary-encoded
//! string, dates, booleans), the same kinds of columns with NULLs (`n*`), a plain-encoded
//! string (`txt`, one distinct value per row), a short decimal usable as a group key (`m`)
//! and a key with thousands of distinct values (`g`). It is appended in chunks of decreasing size, so it has several row groups with
//! different dictionaries and zone maps. `u` is a small dimension table for joins.

use grizzly::{DataType, Database, Value};
use grizzly_runtime::storage::Encoding;
use grizzly_runtime::Vector;
use std::path::Path;

/// A fixed-seed xorshift64* generator: deterministic, no dependency.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so nearby seeds start far apart; never 0.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        let span = (hi as i128 - lo as i128 + 1) as u128;
        (lo as i128 + (self.next() as u128 % span) as i128) as i64
    }

    /// True with probability `percent`%.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.next() as usize % items.len()]
    }
}

/// Strings of the dictionary-encoded columns: LIKE metacharacters, case, the empty string.
pub const STRINGS: [&str; 9] = [
    "apple", "apricot", "banana", "Berry", "cherry", "", "a%b", "a_c", "zeta",
];

/// Rows per append: each becomes its own row group (a smaller append never merges into a
/// larger partial row group).
const CHUNKS: [usize; 5] = [2500, 700, 300, 120, 7];

pub const DEC18: DataType = DataType::Decimal {
    precision: 18,
    scale: 2,
};
pub const DEC9: DataType = DataType::Decimal {
    precision: 9,
    scale: 3,
};
pub const DEC9_2: DataType = DataType::Decimal {
    precision: 9,
    scale: 2,
};
pub const DEC4_1: DataType = DataType::Decimal {
    precision: 4,
    scale: 1,
};

/// Largest DECIMAL(18,2), unscaled.
pub const DEC18_MAX: i128 = 999_999_999_999_999_999;
/// 1990-01-01 in days since 1970-01-01.
const DAY0: i64 = 7305;

const T_COLUMNS: [(&str, DataType); 19] = [
    ("id", DataType::Int64),
    ("k", DataType::Int32),
    ("a", DataType::Int32),
    ("b", DataType::Int64),
    ("c", DataType::Int64),
    ("d", DEC18),
    ("e", DEC9),
    ("m", DEC4_1),
    ("s", DataType::Varchar),
    ("dt", DataType::Date),
    ("fl", DataType::Boolean),
    ("g", DataType::Int32),
    ("txt", DataType::Varchar),
    ("na", DataType::Int32),
    ("nb", DataType::Int64),
    ("nd", DEC18),
    ("ns", DataType::Varchar),
    ("ndt", DataType::Date),
    ("nfl", DataType::Boolean),
];

const U_COLUMNS: [(&str, DataType); 4] = [
    ("uk", DataType::Int32),
    ("un", DataType::Varchar),
    ("uw", DEC9_2),
    ("ub", DataType::Int64),
];

/// A database holding `t` and `u`, filled from `seed`: in the file `path` (created anew), or
/// in memory.
pub fn database(seed: u64, path: Option<&Path>) -> Database {
    let db = match path {
        Some(p) => Database::open(p).unwrap(),
        None => Database::in_memory(),
    };
    db.execute(&create_table("t", &T_COLUMNS)).unwrap();
    db.execute(&create_table("u", &U_COLUMNS)).unwrap();
    let mut rng = Rng::new(seed ^ 0xDA7A);
    let mut id = 0;
    for (chunk, rows) in CHUNKS.iter().enumerate() {
        let values: Vec<Vec<Value>> = (0..*rows)
            .map(|_| {
                id += 1;
                t_row(&mut rng, id, chunk)
            })
            .collect();
        append(&db, "t", &T_COLUMNS, &values);
    }
    let values: Vec<Vec<Value>> = (0..40).map(|i| u_row(&mut rng, i)).collect();
    append(&db, "u", &U_COLUMNS, &values);
    check_layout(&db);
    db
}

/// The storage layout the generated queries count on: one row group per append, `s`
/// dictionary-encoded and `txt` plain in each.
fn check_layout(db: &Database) {
    let snapshot = db.store().snapshot();
    let t = snapshot.table("t").expect("table t");
    assert_eq!(t.row_groups.len(), CHUNKS.len(), "row groups of t");
    let column = |name: &str| T_COLUMNS.iter().position(|(n, _)| *n == name).unwrap();
    for g in &t.row_groups {
        assert_eq!(g.columns[column("s")].encoding(), Encoding::Dict);
        assert_eq!(g.columns[column("txt")].encoding(), Encoding::Strings);
    }
}

fn create_table(name: &str, columns: &[(&str, DataType)]) -> String {
    let cols: Vec<String> = columns.iter().map(|(n, t)| format!("{n} {t}")).collect();
    format!("CREATE TABLE {name} ({})", cols.join(", "))
}

fn append(db: &Database, table: &str, columns: &[(&str, DataType)], rows: &[Vec<Value>]) {
    let vectors = columns
        .iter()
        .enumerate()
        .map(|(i, (name, ty))| {
            let column: Vec<Value> = rows.iter().map(|r| r[i].clone()).collect();
            Vector::from_values(*ty, &column).unwrap_or_else(|| panic!("column {name}"))
        })
        .collect();
    db.append(table, vectors).unwrap();
}

/// One row of `t`; `chunk` shapes the data per row group (the last, tiny one has a single
/// string value and no type-limit values).
fn t_row(r: &mut Rng, id: i64, chunk: usize) -> Vec<Value> {
    let last = chunk == CHUNKS.len() - 1;
    let edge = !last && r.chance(1);
    let a = if edge {
        *r.pick(&[i32::MAX, i32::MIN, i32::MAX - 1, i32::MIN + 1, 46341])
    } else {
        r.range(-1000, 1000) as i32
    };
    let b = if !last && r.chance(1) {
        *r.pick(&[
            i64::MAX,
            i64::MIN,
            i64::MAX - 1,
            1 << 62,
            -(1 << 62),
            3_037_000_500,
        ])
    } else {
        r.range(-1_000_000, 1_000_000)
    };
    let d = if !last && r.chance(1) {
        *r.pick(&[DEC18_MAX, -DEC18_MAX, DEC18_MAX - 1, DEC18_MAX / 2 + 1])
    } else {
        r.range(-1_000_000, 1_000_000) as i128
    };
    let s = if last {
        "zeta"
    } else {
        // Chunk 1 lacks "cherry", so some row groups' dictionaries miss a constant.
        let pool = if chunk == 1 {
            &STRINGS[..4]
        } else {
            &STRINGS[..]
        };
        *r.pick(pool)
    };
    let day = DAY0 + r.range(0, 3000) + 200 * chunk as i64;
    let null = |r: &mut Rng, v: Value| if r.chance(15) { Value::Null } else { v };
    let na = Value::Int32(r.range(-50, 50) as i32);
    let nb = Value::Int64(r.range(-1_000_000, 1_000_000));
    let nd = Value::Decimal(r.range(-100_000, 100_000) as i128, 2);
    let ns = Value::Varchar(r.pick(&STRINGS).to_string());
    let ndt = Value::Date((DAY0 + r.range(0, 3000)) as i32);
    let nfl = Value::Boolean(r.chance(50));
    vec![
        Value::Int64(id),
        Value::Int32(r.range(0, 15) as i32),
        Value::Int32(a),
        Value::Int64(b),
        Value::Int64(r.range(-5, 5)),
        Value::Decimal(d, 2),
        Value::Decimal(r.range(-999_999, 999_999) as i128, 3),
        Value::Decimal(r.range(-100, 100) as i128, 1),
        Value::Varchar(s.to_string()),
        Value::Date(day as i32),
        Value::Boolean(r.chance(50)),
        Value::Int32(r.range(0, 9999) as i32),
        Value::Varchar(format!("row-{id}-{}", r.range(0, 99))),
        null(r, na),
        null(r, nb),
        null(r, nd),
        null(r, ns),
        null(r, ndt),
        null(r, nfl),
    ]
}

/// One row of `u`: keys 0..19 with duplicates and NULLs.
fn u_row(r: &mut Rng, i: i64) -> Vec<Value> {
    let uk = if r.chance(10) {
        Value::Null
    } else {
        Value::Int32((i % 20) as i32 + r.range(0, 1) as i32)
    };
    let un = if r.chance(10) {
        Value::Null
    } else {
        Value::Varchar(r.pick(&STRINGS[..5]).to_string())
    };
    let uw = if r.chance(10) {
        Value::Null
    } else {
        Value::Decimal(r.range(-99_999, 99_999) as i128, 2)
    };
    vec![uk, un, uw, Value::Int64(r.range(-100, 100))]
}
