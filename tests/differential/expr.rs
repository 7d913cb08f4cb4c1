//! Expressions for the generator, built by type: integer, decimal, date, boolean, string.
//!
//! In clean mode ([`Gen::wild`] false) they read NULL-free columns and keep to what the
//! compiled tier translates; a wild node may use anything (NULLable columns, IN lists, LIKE,
//! functions, CASE without ELSE). Literal values come from `Gen::lit`, everything else from
//! `Gen::r`, so a query can be regenerated with other constants and the same shape.

use crate::data::STRINGS;
use crate::gen::Gen;

/// Integer columns: NULL-free (`k`, `c`, `id` tame; `a`, `b` hold type-limit values; `g`
/// spans thousands of values) and NULLable.
const INT_CLEAN: [&str; 8] = ["k", "c", "id", "k", "c", "g", "a", "b"];
const INT_NULL: [&str; 2] = ["na", "nb"];
/// Literals by class: one class has one SQL type, so queries that differ only in the value
/// picked from a class share a fingerprint (and compiled code).
const INT_LITS: [&[&str]; 4] = [
    &["0", "1", "-1", "2", "3", "7", "-5", "9"],
    &["100", "1000", "46341", "-1000", "2147483647", "65536"],
    &[
        "-2147483648",
        "9223372036854775807",
        "-9223372036854775807",
        "3037000500",
    ],
    &[
        "4611686018427387904",
        "-4611686018427387904",
        "9223372036854775806",
    ],
];
const DEC_LITS: [&[&str]; 4] = [
    &["1.5", "2.5", "7.5", "-3.5", "9.9"],
    &["2.25", "1.01", "-3.75", "9.99", "-0.01"],
    &["100.000", "123.456", "-999.999", "500.001", "12.345"],
    &[
        "9999999999999999.99",
        "-9999999999999999.99",
        "1234567890123456.78",
        "5000000000000000.00",
    ],
];
const LIKE_PATTERNS: [&str; 9] = ["a%", "%a%", "_pple", "%", "a%b", "a_c", "%e", "B%", ""];
const DECIMAL_CASTS: [&str; 5] = [
    "DECIMAL(18,2)",
    "DECIMAL(18,4)",
    "DECIMAL(12,2)",
    "DECIMAL(10,1)",
    "DECIMAL(9,3)",
];

impl Gen<'_> {
    pub(crate) fn numeric(&mut self, depth: u32) -> String {
        if self.r.chance(50) {
            self.int(depth)
        } else {
            self.dec(depth)
        }
    }

    pub(crate) fn any_ordered(&mut self, depth: u32) -> String {
        match self.r.range(0, 3) {
            0 => self.int(depth),
            1 => self.dec(depth),
            _ => self.date(depth),
        }
    }

    /// True if this node may use constructs outside the compiled subset.
    pub(crate) fn wild(&mut self) -> bool {
        !self.clean || self.r.chance(4)
    }

    pub(crate) fn int(&mut self, depth: u32) -> String {
        if depth == 0 || self.r.chance(25) {
            return self.int_leaf();
        }
        let d = depth - 1;
        if self.wild() && self.r.chance(30) {
            return match self.r.range(0, 4) {
                0 => format!("abs({})", self.int(d)),
                1 => format!("coalesce({}, {})", self.int(d), self.int(d)),
                2 => format!("nullif({}, {})", self.int(d), self.int_leaf()),
                3 => format!("length({})", self.string(d)),
                _ => format!("CASE WHEN {} THEN {} END", self.boolean(d), self.int(d)),
            };
        }
        match self.r.range(0, 9) {
            0..=3 => {
                let op = *self.r.pick(&["+", "-", "*", "+", "-", "*", "/", "%"]);
                format!("({} {op} {})", self.int(d), self.int(d))
            }
            4 => format!("(- {})", self.int(d)),
            5 => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                self.boolean(d),
                self.int(d),
                self.int(d)
            ),
            6 => format!(
                "CAST({} AS {})",
                self.int(d),
                self.r.pick(&["BIGINT", "INTEGER"])
            ),
            7 => format!("(dt - {})", self.date_literal()),
            // A guarded division: the right side must only be evaluated where c <> 0.
            _ => format!(
                "CASE WHEN c <> 0 THEN {} / c ELSE {} END",
                self.int(d),
                self.int_leaf()
            ),
        }
    }

    pub(crate) fn int_leaf(&mut self) -> String {
        if self.r.chance(35) {
            return self.int_literal();
        }
        if self.wild() && self.r.chance(30) {
            return self.r.pick(&INT_NULL).to_string();
        }
        self.r.pick(&INT_CLEAN).to_string()
    }

    pub(crate) fn dec(&mut self, depth: u32) -> String {
        if depth == 0 || self.r.chance(25) {
            return self.dec_leaf();
        }
        let d = depth - 1;
        if self.wild() && self.r.chance(25) {
            return match self.r.range(0, 2) {
                0 => format!("abs({})", self.dec(d)),
                1 => format!("coalesce(nd, {})", self.dec(d)),
                _ => format!("round({}, 1)", self.dec(d)),
            };
        }
        match self.r.range(0, 8) {
            0..=2 => {
                let op = *self.r.pick(&["+", "-", "+", "-", "%"]);
                format!("({} {op} {})", self.dec(d), self.dec(d))
            }
            3 => format!("({} * {})", self.dec_leaf(), self.dec_leaf()),
            4 => format!("({} * {})", self.dec(d), self.int_leaf()),
            5 => format!("(- {})", self.dec(d)),
            6 => {
                let to = *self.r.pick(&DECIMAL_CASTS);
                let x = if self.r.chance(50) {
                    self.int(d)
                } else {
                    self.dec(d)
                };
                format!("CAST({x} AS {to})")
            }
            _ => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                self.boolean(d),
                self.dec(d),
                self.dec(d)
            ),
        }
    }

    pub(crate) fn dec_leaf(&mut self) -> String {
        if self.r.chance(30) {
            return self.dec_literal();
        }
        if self.wild() && self.r.chance(30) {
            return "nd".into();
        }
        self.r.pick(&["d", "e", "e", "m"]).to_string()
    }

    pub(crate) fn date(&mut self, depth: u32) -> String {
        if self.wild() && self.r.chance(30) {
            return match self.r.range(0, 2) {
                0 => "ndt".into(),
                1 => format!("(dt + {})", self.lit.range(0, 30)),
                _ => format!("coalesce(ndt, {})", self.date_literal()),
            };
        }
        if depth > 0 && self.r.chance(20) {
            return format!(
                "CASE WHEN {} THEN dt ELSE {} END",
                self.boolean(depth - 1),
                self.date_literal()
            );
        }
        if self.r.chance(70) {
            "dt".into()
        } else {
            self.date_literal()
        }
    }

    /// One of the small INTEGER literals.
    pub(crate) fn small_int_literal(&mut self) -> String {
        self.lit.pick(INT_LITS[0]).to_string()
    }

    pub(crate) fn int_literal(&mut self) -> String {
        let class = *self.r.pick(&[0, 0, 0, 1, 1, 2, 3]);
        self.lit.pick(INT_LITS[class]).to_string()
    }

    pub(crate) fn dec_literal(&mut self) -> String {
        let class = *self.r.pick(&[0, 1, 2, 2, 3]);
        self.lit.pick(DEC_LITS[class]).to_string()
    }

    pub(crate) fn date_literal(&mut self) -> String {
        let y = self.lit.range(1989, 2001);
        let m = self.lit.range(1, 12);
        let d = self.lit.range(1, 28);
        format!("DATE '{y:04}-{m:02}-{d:02}'")
    }

    pub(crate) fn string(&mut self, depth: u32) -> String {
        match self.r.range(0, 5) {
            0 if depth > 0 => format!("upper({})", self.string(depth - 1)),
            1 if depth > 0 => format!("({} || 'x')", self.string(depth - 1)),
            2 => "ns".into(),
            3 => "txt".into(),
            4 => self.string_literal(),
            _ => "s".into(),
        }
    }

    pub(crate) fn string_literal(&mut self) -> String {
        let s = if self.lit.chance(20) {
            *self.lit.pick(&["b", "nope", "Apple", "zz"])
        } else {
            *self.lit.pick(&STRINGS)
        };
        format!("'{s}'")
    }

    pub(crate) fn boolean(&mut self, depth: u32) -> String {
        if depth == 0 || self.r.chance(20) {
            return self.bool_leaf();
        }
        let d = depth - 1;
        match self.r.range(0, 6) {
            0 | 1 => {
                let op = *self.r.pick(&["AND", "OR"]);
                format!("(({}) {op} ({}))", self.boolean(d), self.boolean(d))
            }
            2 => format!("(NOT {})", self.boolean(d)),
            // Lazy evaluation: the right side fails on rows the left side decides.
            3 => {
                let (guard, op) = *self.r.pick(&[("c <> 0", "AND"), ("c = 0", "OR")]);
                let cmp = *self.r.pick(&["<", ">", "=", "<>"]);
                format!(
                    "({guard} {op} {} / c {cmp} {})",
                    self.int(d),
                    self.int_leaf()
                )
            }
            4 if self.r.chance(30) => {
                let op = *self.r.pick(&["=", "<>", "<", ">="]);
                format!("(({}) {op} ({}))", self.boolean(d), self.boolean(d))
            }
            4 => format!("({} IS {}NULL)", self.int(d), self.not()),
            _ => self.comparison(d),
        }
    }

    pub(crate) fn not(&mut self) -> &'static str {
        if self.r.chance(50) {
            "NOT "
        } else {
            ""
        }
    }

    pub(crate) fn bool_leaf(&mut self) -> String {
        match self.r.range(0, 9) {
            0 => "fl".into(),
            1 if self.wild() => "nfl".into(),
            2 => self.r.pick(&["TRUE", "FALSE"]).to_string(),
            _ => self.comparison(0),
        }
    }

    pub(crate) fn comparison(&mut self, depth: u32) -> String {
        let op = *self.r.pick(&["=", "<>", "<", "<=", ">", ">="]);
        if self.wild() && self.r.chance(35) {
            return match self.r.range(0, 4) {
                0 => {
                    let list: Vec<String> =
                        (0..self.r.range(1, 4)).map(|_| self.int_leaf()).collect();
                    format!("{} {}IN ({})", self.int(depth), self.not(), list.join(", "))
                }
                1 => {
                    let col = *self.r.pick(&["s", "ns", "txt"]);
                    let list: Vec<String> = (0..self.r.range(1, 3))
                        .map(|_| self.string_literal())
                        .collect();
                    format!("{col} {}IN ({})", self.not(), list.join(", "))
                }
                2 => {
                    let col = *self.r.pick(&["s", "ns", "txt", "s"]);
                    let p = *self.r.pick(&LIKE_PATTERNS);
                    format!("{col} {}LIKE '{p}'", self.not())
                }
                3 => format!("{} {op} {}", self.string(depth), self.string(depth)),
                _ => format!("ns IS {}NULL", self.not()),
            };
        }
        match self.r.range(0, 9) {
            0..=2 => format!("{} {op} {}", self.int(depth), self.int(depth)),
            3 | 4 => format!("{} {op} {}", self.dec(depth), self.numeric(depth)),
            5 => format!("{} {op} {}", self.date(depth), self.date_literal()),
            6 | 7 => {
                let lit = self.string_literal();
                if self.r.chance(80) {
                    format!("s {op} {lit}")
                } else {
                    format!("{lit} {op} s")
                }
            }
            _ => {
                let x = self.numeric(depth);
                let (lo, hi) = (self.int_leaf(), self.numeric(0));
                format!("{x} {}BETWEEN {lo} AND {hi}", self.not())
            }
        }
    }
}
