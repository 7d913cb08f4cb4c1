//! The random query generator.
//!
//! Queries come from a handful of templates (see [`generate`]); their expressions come from
//! `expr`, built by type. In *clean* mode an expression reads only NULL-free columns and
//! keeps, most of the time, to what the compiled tier translates (arithmetic, comparisons,
//! AND/OR/NOT, BETWEEN, IS NULL, casts, CASE with ELSE, `string column op constant`), so
//! the JIT really runs; otherwise anything goes (NULLable columns, IN lists, LIKE,
//! functions, CASE without ELSE, plain-encoded strings).

use crate::data::Rng;
use grizzly::Value;

/// One generated query. `ordered`: its ORDER BY lists every output column, so the row
/// order is fully defined and compared.
pub struct Query {
    pub sql: String,
    pub ordered: bool,
}

/// The state of one query being generated.
pub struct Gen<'r> {
    /// Decides the query's shape.
    pub(crate) r: &'r mut Rng,
    /// Picks literal values within a class (see `expr::INT_LITS`).
    pub(crate) lit: Rng,
    /// NULL-free columns and compiled constructs only (mostly).
    pub(crate) clean: bool,
}

/// The next query: its shape from `r`, its literal values from `literals` (the same `r`
/// state with other `literals` gives the same query with other constants).
pub fn generate(r: &mut Rng, literals: u64) -> Query {
    let roll = r.range(0, 99);
    let clean = roll < 70 || r.chance(30);
    let lit = Rng::new(literals);
    let mut g = Gen { r, lit, clean };
    match roll {
        0..=34 => g.aggregate(),
        35..=49 => g.aggregate_over_projection(),
        50..=55 => g.aggregate_with_having(),
        56..=62 => g.several_pipelines(),
        63..=73 => g.rows(),
        74..=80 => g.join(),
        81..=86 => g.join_grouped_wide(),
        _ => g.join_aggregate_subquery(),
    }
}

/// A compiled-shape aggregate comparing a NULL-free column with the placeholder `$1`, and
/// the parameter lists to run it with: values of the column's type, values that must be
/// converted (or fail to), NULL.
pub fn prepared(r: &mut Rng, literals: u64) -> (Query, Vec<Vec<Value>>) {
    let day = |y: i32| Value::Date((y - 1970) * 365 + 8);
    let (column, values): (&str, Vec<Value>) = match r.range(0, 5) {
        0 => (
            "k",
            vec![
                Value::Int32(3),
                Value::Int64(-1),
                Value::Int64(i64::MAX),
                Value::Varchar("7".into()),
            ],
        ),
        1 => (
            "c",
            vec![Value::Int64(0), Value::Int64(-5), Value::Decimal(25, 1)],
        ),
        2 => (
            "s",
            vec![
                Value::Varchar("banana".into()),
                Value::Varchar("nope".into()),
                Value::Int32(1),
            ],
        ),
        3 => (
            "dt",
            vec![day(1995), day(1990), Value::Varchar("1996-02-29".into())],
        ),
        4 => (
            "d",
            vec![
                Value::Decimal(150, 2),
                Value::Int64(3),
                Value::Decimal(12345, 3),
            ],
        ),
        _ => (
            "m",
            vec![
                Value::Decimal(-25, 1),
                Value::Int32(100),
                Value::Float64(0.25),
            ],
        ),
    };
    let mut g = Gen {
        r,
        lit: Rng::new(literals),
        clean: true,
    };
    let op = *g.r.pick(&["=", "<>", "<", "<=", ">", ">="]);
    let keys = g.group_keys();
    let mut items = keys.clone();
    for _ in 0..g.r.range(1, 3) {
        items.push(g.aggregate_call());
    }
    let mut sql = format!("SELECT {} FROM t WHERE {column} {op} $1", items.join(", "));
    if g.r.chance(50) {
        sql += &format!(" AND {}", g.boolean(1));
    }
    if !keys.is_empty() {
        sql += &format!(" GROUP BY {}", keys.join(", "));
    }
    let mut runs: Vec<Vec<Value>> = values.into_iter().map(|v| vec![v]).collect();
    runs.push(vec![Value::Null]);
    let query = Query {
        sql,
        ordered: false,
    };
    (query, runs)
}

impl Gen<'_> {
    // ---- templates -------------------------------------------------------------------

    /// `SELECT keys, aggregates FROM t [WHERE p] [GROUP BY keys]`: the compiled shape.
    fn aggregate(&mut self) -> Query {
        let keys = self.group_keys();
        let mut items = keys.clone();
        for _ in 0..self.r.range(1, 4) {
            items.push(self.aggregate_call());
        }
        let mut sql = format!("SELECT {} FROM t", items.join(", "));
        self.push_where(&mut sql);
        if !keys.is_empty() {
            sql += &format!(" GROUP BY {}", keys.join(", "));
        }
        self.finish(sql, items.len())
    }

    /// Aggregates over a derived table of computed columns (Project stages).
    fn aggregate_over_projection(&mut self) -> Query {
        let keys = self.group_keys();
        let x0 = self.int(2);
        let x1 = self.dec(2);
        let x2 = self.boolean(2);
        let mut inner = format!("SELECT k, s, dt, c, m, {x0} AS x0, {x1} AS x1, {x2} AS x2 FROM t");
        self.push_where(&mut inner);
        let mut items = keys.clone();
        items.push(format!(
            "{}(x0)",
            self.r.pick(&["sum", "min", "max", "avg", "count"])
        ));
        items.push(format!(
            "{}(x1)",
            self.r.pick(&["sum", "min", "max", "avg"])
        ));
        items.push("count(*)".into());
        let mut sql = format!("SELECT {} FROM ({inner}) q", items.join(", "));
        match self.r.range(0, 4) {
            0 => {
                let cmp = *self.r.pick(&[">", "<", "<>", ">="]);
                let lit = self.small_int_literal();
                sql += &format!(" WHERE x0 {cmp} {lit}");
            }
            1 => sql += " WHERE x2",
            2 => sql += &format!(" WHERE NOT x2 OR x1 > {}", self.dec_literal()),
            _ => {}
        }
        if !keys.is_empty() {
            sql += &format!(" GROUP BY {}", keys.join(", "));
        }
        self.finish(sql, items.len())
    }

    /// A grouped aggregate under HAVING and a full ORDER BY (and maybe LIMIT).
    fn aggregate_with_having(&mut self) -> Query {
        let key = if self.clean {
            *self.r.pick(&["k", "s", "c"])
        } else {
            *self.r.pick(&["na", "ns", "g", "k"])
        };
        let agg = self.aggregate_call();
        let mut sql = format!("SELECT {key}, {agg}, count(*) FROM t");
        self.push_where(&mut sql);
        let n = self.lit.range(0, 200);
        sql += &format!(" GROUP BY {key} HAVING count(*) > {n} ORDER BY 1, 2, 3");
        if self.r.chance(40) {
            sql += &format!(" LIMIT {}", self.r.range(0, 10));
        }
        Query { sql, ordered: true }
    }

    /// Plans with more than one aggregate pipeline: two aggregates joined, UNION ALL, an
    /// aggregate filtered by a scalar or IN subquery, a window over an aggregate, a CTE.
    fn several_pipelines(&mut self) -> Query {
        let key = *self.r.pick(&["k", "s", "c", "m"]);
        let (a1, a2) = (self.aggregate_call(), self.aggregate_call());
        let (p1, p2) = (self.boolean(2), self.boolean(2));
        let sql = match self.r.range(0, 5) {
            0 => format!(
                "SELECT x.{key}, x.v, y.w FROM (SELECT {key}, {a1} AS v FROM t WHERE {p1} \
                 GROUP BY {key}) x JOIN (SELECT {key}, {a2} AS w FROM t WHERE {p2} \
                 GROUP BY {key}) y ON x.{key} = y.{key}"
            ),
            1 => format!(
                "SELECT {key}, count(*) FROM t WHERE {p1} GROUP BY {key} UNION ALL \
                 SELECT {key}, count(*) FROM t WHERE {p2} GROUP BY {key}"
            ),
            2 => format!(
                "SELECT {key}, {a1} FROM t WHERE c >= (SELECT min(c) FROM t WHERE {p1}) \
                 GROUP BY {key}"
            ),
            3 => format!(
                "SELECT {a1}, count(*) FROM t WHERE k IN (SELECT k FROM t WHERE {p1} \
                 GROUP BY k HAVING count(*) > {})",
                self.lit.range(0, 200)
            ),
            4 => format!(
                "SELECT {key}, n, rank() OVER (ORDER BY n DESC, {key}) FROM \
                 (SELECT {key}, count(*) AS n FROM t WHERE {p1} GROUP BY {key}) q"
            ),
            _ => format!(
                "WITH q AS (SELECT {key}, {a1} AS v FROM t WHERE {p1} GROUP BY {key}) \
                 SELECT count(*), count(v) FROM q"
            ),
        };
        Query {
            sql,
            ordered: false,
        }
    }

    /// Row-level output: every expression kind in the SELECT list.
    fn rows(&mut self) -> Query {
        let mut items = vec!["id".to_string()];
        for _ in 0..self.r.range(1, 3) {
            let e = match self.r.range(0, 5) {
                0 => self.int(3),
                1 => self.dec(3),
                2 => self.boolean(2),
                3 => self.date(2),
                _ => self.string(2),
            };
            items.push(e);
        }
        let mut sql = format!("SELECT {} FROM t", items.join(", "));
        self.push_where(&mut sql);
        let cols: Vec<String> = (1..=items.len()).map(|i| i.to_string()).collect();
        sql += &format!(
            " ORDER BY {} LIMIT {}",
            cols.join(", "),
            self.r.range(1, 60)
        );
        Query { sql, ordered: true }
    }

    /// `t JOIN u` (inner or left) with a grouped aggregate on top or row output.
    fn join(&mut self) -> Query {
        let kind = *self.r.pick(&["JOIN", "LEFT JOIN", "JOIN"]);
        let on = *self
            .r
            .pick(&["t.k = u.uk", "t.c = u.ub", "t.k = u.uk AND t.s = u.un"]);
        let pred = self.boolean(2);
        if self.r.chance(50) {
            let agg = self.aggregate_call();
            let key = *self.r.pick(&["u.un", "t.k", "u.uk", "t.s"]);
            let sql = format!(
                "SELECT {key}, {agg}, sum(u.uw), count(u.uk) FROM t {kind} u ON {on} \
                 WHERE {pred} GROUP BY {key}"
            );
            return Query {
                sql,
                ordered: false,
            };
        }
        let x = self.int(2);
        let sql = format!(
            "SELECT t.id, u.un, u.uw, {x} FROM t {kind} u ON {on} WHERE {pred} \
             ORDER BY 1, 2, 3, 4 LIMIT {}",
            self.r.range(1, 80)
        );
        Query { sql, ordered: true }
    }

    /// Inner joins with residual conditions, grouped by columns of both sides into more
    /// possible groups than the compiled tier indexes directly (its hash table, probed and
    /// grown inline) or by a build-side column.
    fn join_grouped_wide(&mut self) -> Query {
        let on = *self.r.pick(&[
            "t.k = u.uk",
            "t.k = u.uk AND t.c <> u.ub",
            "t.c = u.ub AND t.k < u.uk",
            "u.uk = t.k AND u.uw > 0",
        ]);
        let keys = *self
            .r
            .pick(&["u.uk, t.id", "t.id", "u.ub, t.k", "u.uk", "t.g, u.uk"]);
        let agg = self.aggregate_call();
        let mut sql =
            format!("SELECT {keys}, {agg}, count(*), max(u.uw), sum(u.ub) FROM t JOIN u ON {on}");
        self.push_where(&mut sql);
        sql += &format!(" GROUP BY {keys}");
        Query {
            sql,
            ordered: false,
        }
    }

    /// A compiled aggregate as the build or probe side of a join.
    fn join_aggregate_subquery(&mut self) -> Query {
        let agg = self.aggregate_call();
        let mut inner = format!("SELECT k, {agg} AS v, count(*) AS n FROM t");
        self.push_where(&mut inner);
        inner += " GROUP BY k";
        let kind = *self.r.pick(&["JOIN", "LEFT JOIN"]);
        let sql = format!("SELECT u.uk, u.un, q.v, q.n FROM u {kind} ({inner}) q ON u.uk = q.k");
        Query {
            sql,
            ordered: false,
        }
    }

    fn push_where(&mut self, sql: &mut String) {
        if self.r.chance(80) {
            let depth = self.r.range(1, 3) as u32;
            *sql += &format!(" WHERE {}", self.boolean(depth));
        }
    }

    /// Adds a total ORDER BY (and maybe LIMIT) to some queries.
    fn finish(&mut self, mut sql: String, columns: usize) -> Query {
        if !self.r.chance(25) {
            return Query {
                sql,
                ordered: false,
            };
        }
        let cols: Vec<String> = (1..=columns).map(|i| i.to_string()).collect();
        sql += &format!(" ORDER BY {}", cols.join(", "));
        if self.r.chance(50) {
            sql += &format!(" LIMIT {}", self.r.range(0, 20));
        }
        Query { sql, ordered: true }
    }

    /// No keys, small group counts, or (not clean) many groups and NULLable keys.
    fn group_keys(&mut self) -> Vec<String> {
        let pool: &[&str] = if self.clean {
            &["k", "s", "c", "dt", "m", "k", "s"]
        } else {
            &["g", "id", "txt", "na", "ns", "fl", "k % 3", "ndt"]
        };
        let n = *self.r.pick(&[0, 0, 1, 1, 1, 2, 3]);
        let mut keys: Vec<String> = Vec::new();
        for _ in 0..n {
            let k = self.r.pick(pool).to_string();
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        keys
    }

    fn aggregate_call(&mut self) -> String {
        if !self.clean && self.r.chance(15) {
            let col = *self.r.pick(&["na", "nb", "nd", "s", "e"]);
            return format!("count(DISTINCT {col})");
        }
        match self.r.range(0, 9) {
            0 => "count(*)".into(),
            1 => format!("count({})", self.int(1)),
            2 | 3 => format!("sum({})", self.int(2)),
            4 | 5 => format!("sum({})", self.dec(2)),
            6 => format!("avg({})", self.numeric(2)),
            7 => format!("min({})", self.any_ordered(2)),
            8 => format!("max({})", self.any_ordered(2)),
            _ => format!("avg({})", self.int(1)),
        }
    }
}
