//! The skip loop: a branch-free look at a chunk of rows before the row loop touches them.
//!
//! Selective scans (TPC-H Q6 keeps 2% of lineitem) spend most of a row loop's time on rows
//! that fail the scan filters. Before the row loop takes a chunk of [`SKIP_ROWS`] rows, the
//! skip loop evaluates the leading scan filter conjuncts that cannot fail (loads and
//! compares, no arithmetic) on all of them, unrolled and without branches, and ORs the
//! results: a chunk where no row passes is skipped with one well-predicted branch; otherwise
//! the row loop runs the chunk as it always does (the prefilter is only a necessary
//! condition, so no row's result depends on it). Only a leading run: the interpreter
//! evaluates a conjunct on the rows the ones before it passed, so a row rejected by a
//! leading conjunct never reaches one that can fail, in either tier; skipping it hides no
//! error.
//!
//! Columns the row loop reads only for passing rows are read sparsely, which the hardware
//! prefetcher does not follow (Q6's `l_extendedprice`: a cache miss per passing row, nearly
//! half of Q6's time): each chunk touches them [`TOUCH_AHEAD`] rows ahead.
//!
//! ```text
//! resume: i < rows ? skip : exit
//! skip:   i + K <= rows && credit > 0 ? chunk : tail
//! chunk:  any = OR over rows i..i+K of AND over the cheap conjuncts
//!         any ? pass : miss
//! miss:   i += K; credit = min(credit + 1, CAP); jump skip
//! pass:   limit = i + K; credit -= 2; jump header      (row loop, back to resume at limit)
//! tail:   limit = rows; jump header                    (rest of the morsel row by row)
//! ```
//! The credit makes it adaptive per morsel: it starts at [`START_CREDIT`], a skipped chunk
//! earns one, a chunk the row loop must run anyway costs two, so when more than a third of
//! the chunks have a passing row (the look was wasted work) the skip loop turns itself off
//! for the rest of the morsel.

use super::{clif_type, Translator};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, Block, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, Variable};
use grizzly_ir::Expr;
use grizzly_runtime::Result;

/// Rows per chunk.
const SKIP_ROWS: i64 = 4;
/// How many rows ahead the skip loop touches the columns only the row loop reads.
const TOUCH_AHEAD: i64 = 64;
/// The credit each morsel starts with.
pub(super) const START_CREDIT: i64 = 16;
/// The most credit a run of skipped chunks can save up.
const CREDIT_CAP: i64 = 64;

/// The skip loop of one version of the row loop.
pub(super) struct Skip {
    /// Where the loop starts (and the row loop returns at its limit).
    pub resume: Block,
    /// The row the row loop stops at.
    pub limit: Variable,
    /// Defined as [`START_CREDIT`] by the entry block.
    pub credit: Variable,
}

impl Skip {
    /// The blocks and variables the row loop refers to, before either loop is translated.
    pub(super) fn new(b: &mut FunctionBuilder<'_>) -> Skip {
        Skip {
            resume: b.create_block(),
            limit: b.declare_var(types::I64),
            credit: b.declare_var(types::I64),
        }
    }
}

impl Translator<'_> {
    /// The skip loop over `cheap` (scan filter conjuncts that cannot fail) in front of the
    /// row loop at `header`; translated after the row loop, whose column reads it knows.
    pub(super) fn translate_skip(
        &mut self,
        s: &Skip,
        cheap: &[Expr],
        header: Block,
        row_var: Variable,
    ) -> Result<()> {
        let Skip {
            resume,
            limit,
            credit,
        } = *s;
        let [skip, chunk, miss, pass, tail] = [(); 5].map(|_| self.b.create_block());
        // The row loop's columns, read before the skip loop adds its own.
        let row_slots: Vec<(usize, Type)> = self.touch_slots();

        self.b.switch_to_block(resume);
        let i = self.b.use_var(row_var);
        let rows = self.b.use_var(self.rows_var);
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, rows);
        self.b.ins().brif(more, skip, &[], self.exit, &[]);

        self.b.switch_to_block(skip);
        let i = self.b.use_var(row_var);
        let rows = self.b.use_var(self.rows_var);
        let end = self.b.ins().iadd_imm_s(i, SKIP_ROWS);
        let fits = self.b.ins().icmp(IntCC::UnsignedLessThanOrEqual, end, rows);
        let c = self.b.use_var(credit);
        let has = self.b.ins().icmp_imm_s(IntCC::SignedGreaterThan, c, 0);
        let go = self.b.ins().band(fits, has);
        self.b.ins().brif(go, chunk, &[], tail, &[]);

        self.b.switch_to_block(tail);
        let rows = self.b.use_var(self.rows_var);
        self.b.def_var(limit, rows);
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(chunk);
        let mut any: Option<Value> = None;
        let mut read = Vec::new();
        for r in 0..SKIP_ROWS {
            let row = if r == 0 {
                i
            } else {
                self.b.ins().iadd_imm_s(i, r)
            };
            self.start_row(row, miss);
            self.row_at = (i, r);
            let mut all: Option<Value> = None;
            for c in cheap {
                // A boolean's `v` is 0 where it is NULL.
                let v = self.translate_bool(c)?.v;
                all = Some(match all {
                    Some(a) => self.b.ins().band(a, v),
                    None => v,
                });
            }
            if r == 0 {
                read = self.cache.keys().copied().collect();
            }
            let all = all.expect("at least one conjunct");
            any = Some(match any {
                Some(a) => self.b.ins().bor(a, all),
                None => all,
            });
        }
        let ahead: Vec<(usize, Type)> = row_slots
            .into_iter()
            .filter(|(slot, _)| !read.contains(slot))
            .collect();
        self.touch_ahead(i, rows, &ahead);
        let any = any.expect("at least one row");
        self.b.ins().brif(any, pass, &[], miss, &[]);

        self.b.switch_to_block(miss);
        self.b.def_var(row_var, end);
        let earned = self.b.ins().iadd_imm_s(c, 1);
        let cap = self.b.ins().iconst(types::I64, CREDIT_CAP);
        let earned = self.b.ins().smin(earned, cap);
        self.b.def_var(credit, earned);
        self.b.ins().jump(skip, &[]);

        self.b.switch_to_block(pass);
        self.b.def_var(limit, end);
        let spent = self.b.ins().iadd_imm_s(c, -2);
        self.b.def_var(credit, spent);
        self.b.ins().jump(header, &[]);
        Ok(())
    }

    /// The scanned columns the row loop reads, with their value types.
    fn touch_slots(&self) -> Vec<(usize, Type)> {
        let mut slots: Vec<(usize, Type)> = (self.col_vars.keys())
            .filter_map(|s| Some((*s, clif_type(self.layout.slots[*s].ty).ok()?)))
            .collect();
        slots.sort_by_key(|(s, _)| *s);
        slots
    }

    /// Loads (and drops) row `min(i + TOUCH_AHEAD, rows - 1)` of each of `slots`: columns
    /// the row loop reads only on passing rows are otherwise read sparsely, which the
    /// hardware prefetcher does not follow, so each passing row would wait for memory.
    fn touch_ahead(&mut self, i: Value, rows: Value, slots: &[(usize, Type)]) {
        if slots.is_empty() {
            return;
        }
        let ahead = self.b.ins().iadd_imm_s(i, TOUCH_AHEAD);
        let last = self.b.ins().iadd_imm_s(rows, -1);
        let row = self.b.ins().umin(ahead, last);
        // May trap (no `notrap`): a load whose value is unused stays in the code only if
        // it has an effect; every row below `rows` is mapped, so it never does.
        let touch = MemFlagsData::new().with_readonly();
        for (slot, t) in slots {
            let base = self.b.use_var(self.col_vars[slot]);
            let shift = t.bytes().trailing_zeros() as i64;
            let off = self.b.ins().ishl_imm_u(row, shift);
            let addr = self.b.ins().iadd(base, off);
            self.b.ins().load(*t, touch, addr, 0);
        }
    }
}
