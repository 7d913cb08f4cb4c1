//! One pipeline to Cranelift IR: a loop over a morsel's rows that reads column values in
//! place, applies the filters, computes projections and updates the aggregate state.
//!
//! ```text
//! entry:    load morsel/ctx fields, parameters and (single group) accumulators → variables;
//!           Morsel::validity null ? fast.header : nulls.pre
//! nulls.pre: load the validity bitmaps → variables; jump nulls.header
//! header:   i < rows ? body : exit                        (one loop per version)
//!           (with a skip loop, see `skip`: i < limit ? body : resume)
//! body:     scan filters → filters/projections → aggregate arguments → group slot → updates
//! next:     i += 1; jump header
//! exit:     (single group) store accumulators; return 0
//! ```
//! The entry block is filled last, once the bodies have said which columns, parameters and
//! constants they read; everything crosses into the loops through frontend variables.
//!
//! Two versions of the loop: the *NULL-free* one, which takes every scanned column as
//! non-NULL (the only one when the schema has no nullable scanned column, so such tables get
//! exactly the code they got before NULLs were compiled), and the *NULL-aware* one, which
//! reads a validity bit per nullable column and row and takes parameters as possibly NULL.
//! The driver picks per morsel (a null `Morsel::validity` means the chunks read have no
//! NULLs and no parameter is NULL). Both share the layout, the
//! variables and the state; the NULL-aware loop is translated first, so every NULL counter
//! of the aggregate state is allocated by the time the NULL-free loop is.
//!
//! Values (see [`Val`]): BOOLEAN is an `i8` 0/1, INTEGER/DATE `i32`, BIGINT and
//! DECIMAL(p<=18) `i64`, sums `i128`; a value that may be NULL also has an `i8` NULL flag.
//! Anything else makes the pipeline unsupported (`Error::Unsupported`), so it stays
//! interpreted. Evaluation is lazy where the interpreter's is (AND/OR right sides, CASE
//! branches, COALESCE arguments, rows rejected by an earlier filter), and never on fewer
//! rows than the interpreter's; errors are only raised for non-NULL results, so the
//! compiled code fails at least where the interpreter does (and then lets it report the
//! error, or compute the result if the compiled code was more eager).

mod aggregate;
mod build;
mod cond;
mod expr;
mod join;
mod membership;
mod output;
mod skip;

use crate::pipeline::{ColumnSlot, Layout, Shape, Stage};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, Block, Function, InstBuilder, MemFlagsData, Signature, Type, Value,
};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use grizzly_ir::types::pow10;
use grizzly_ir::{ColumnId, DataType, Expr, PhysicalType};
use grizzly_runtime::abi;
use grizzly_runtime::{Error, Result};
use std::collections::HashMap;

/// The signature of every pipeline function: `(ctx, morsel) -> status`.
pub(crate) fn signature(sig: &mut Signature, ptr: Type) {
    sig.params.push(AbiParam::new(ptr));
    sig.params.push(AbiParam::new(ptr));
    sig.returns.push(AbiParam::new(types::I32));
}

fn unsupported<T>(what: impl Into<String>) -> Result<T> {
    Err(Error::Unsupported(what.into()))
}

/// A value of the current row: `v` in the type's Cranelift form, and `null`, an `i8` that is
/// 1 where the value is NULL (`None`: never NULL). Where `null` is 1, `v` is unspecified,
/// except for BOOLEAN, where `v` is then 0: a boolean's `v` always means "is TRUE", so a
/// filter or a CASE branch tests `v` alone.
#[derive(Clone, Copy)]
pub(crate) struct Val {
    pub v: Value,
    pub null: Option<Value>,
}

impl Val {
    fn new(v: Value) -> Val {
        Val { v, null: None }
    }
}

/// How a column id of some stage's input is computed.
#[derive(Clone, Copy)]
enum Binding {
    /// A scanned column (slot index), read from the morsel on use.
    Scan(usize, DataType),
    /// A value computed by a projection.
    Value(Val, DataType),
    /// Column `1` of the build side of probed join `0` (never NULL), read at the matching
    /// build row.
    Build(usize, usize, DataType),
}

/// Cranelift type of a supported SQL type.
fn clif_type(ty: DataType) -> Result<Type> {
    Ok(match ty.physical() {
        PhysicalType::Bool => types::I8,
        PhysicalType::I32 => types::I32,
        PhysicalType::I64 => types::I64,
        _ => return unsupported(format!("values of type {ty}")),
    })
}

/// An immediate of `v` for an `iconst` of type `t` (narrow constants are zero-extended).
fn imm(t: Type, v: i64) -> i64 {
    match t {
        types::I8 => (v as u8) as i64,
        types::I32 => (v as i32 as u32) as i64,
        _ => v,
    }
}

/// Largest magnitude a type holds, as the interpreter's casts check it.
fn max_of(ty: DataType) -> i128 {
    match ty {
        DataType::Int32 => i32::MAX as i128,
        DataType::Int64 => i64::MAX as i128,
        DataType::Decimal { precision, .. } => pow10(precision).map_or(i128::MAX, |p| p - 1),
        _ => 0,
    }
}

fn int_like(t: DataType) -> bool {
    matches!(
        t,
        DataType::Int32 | DataType::Int64 | DataType::Decimal { .. }
    )
}

/// True if evaluating `e` can never fail (no arithmetic, no checked cast), so it may be
/// evaluated eagerly and branch-free.
fn cannot_fail(e: &Expr) -> bool {
    let mut ok = true;
    e.visit(&mut |x| match x {
        Expr::Binary { op, .. } if op.is_arithmetic() => ok = false,
        Expr::Negate(_) | Expr::Cast { .. } | Expr::Case { .. } | Expr::Function { .. } => {
            ok = false
        }
        _ => {}
    });
    ok
}

/// True if the pipeline selects its rows branch-free: an output or join-build sink over a
/// scan, filters and projections (and a build key) that cannot fail (no probes), so every
/// row may be computed and written and only the rows that pass are kept (the sink advances
/// by the pass flag). With half the rows passing, a branch per row is mispredicted about
/// half the time; this is not.
fn predicated(shape: &Shape<'_>) -> bool {
    (shape.output.is_some() || shape.build.as_ref().is_some_and(|b| cannot_fail(b.key)))
        && shape.scan_filters.iter().all(cannot_fail)
        && shape.stages.iter().all(|s| match s {
            Stage::Filter(p) => cannot_fail(p),
            Stage::Project(exprs) => exprs.iter().all(|(e, _)| cannot_fail(e)),
            Stage::Probe(_) => false,
        })
}

/// The fixed blocks of one version of the row loop.
struct LoopBlocks {
    header: Block,
    body: Block,
    next: Block,
}

impl LoopBlocks {
    fn new(b: &mut FunctionBuilder<'_>) -> LoopBlocks {
        LoopBlocks {
            header: b.create_block(),
            body: b.create_block(),
            next: b.create_block(),
        }
    }
}

/// One version of the row loop, translated.
struct Loop {
    /// Where the entry block jumps: the skip loop, or the row loop's header.
    start: Block,
    row_var: Variable,
    /// The skip loop's credit, when there is one.
    credit: Option<Variable>,
}

/// Per group key, the variables its part of the slot number is computed from.
#[derive(Clone, Copy)]
struct KeyVars {
    base: Variable,
    stride: Variable,
    limit: Variable,
    /// The code → global id map of a dictionary key.
    dict: Option<Variable>,
}

/// The variables of a grouped aggregate's hash-table mode (loaded from `PipelineCtx`).
#[derive(Clone, Copy)]
struct HashVars {
    /// `hash_keys`: null in direct-indexed mode.
    keys: Variable,
    shift: Variable,
    mask: Variable,
}

pub(crate) struct Translator<'f> {
    b: FunctionBuilder<'f>,
    layout: Layout,
    /// Per scanned slot: the schema allows NULLs.
    nullable: Vec<bool>,
    /// The bindings of the scanned columns (what `env` starts each loop with).
    scan_env: HashMap<ColumnId, Binding>,
    env: HashMap<ColumnId, Binding>,
    /// The loop being translated reads NULL bitmaps.
    nulls: bool,
    /// Scanned values and NULL flags loaded in straight-line code of the current row (valid
    /// until the row ends, since every later block of the row is dominated by where they were
    /// loaded).
    cache: HashMap<usize, Value>,
    null_cache: HashMap<usize, Value>,
    /// Computed expressions of the current row and stage, with their values (same validity
    /// as `cache`).
    memo: Vec<(Expr, Val, DataType)>,
    /// Nesting of conditional regions (AND/OR right sides, CASE branches): loads made inside
    /// one are not cached.
    depth: u32,
    row: Value,
    /// `row` as a base row and a constant added to it (column loads fold the constant into
    /// their address offset; the skip loop's unrolled rows share one base).
    row_at: (Value, i64),
    rows_var: Variable,
    col_vars: HashMap<usize, Variable>,
    /// Per nullable slot read: its validity bitmap.
    valid_vars: HashMap<usize, Variable>,
    param_vars: Vec<Variable>,
    /// Per parameter read by the NULL-aware loop: its NULL flag.
    param_null_vars: HashMap<usize, Variable>,
    str_vars: Vec<Variable>,
    /// Per dictionary predicate: its table of this morsel's codes.
    pred_vars: Vec<Variable>,
    key_vars: Vec<KeyVars>,
    hash_vars: Option<HashVars>,
    /// Per probed join: its table's variables.
    join_vars: Vec<join::JoinVars>,
    state_var: Variable,
    /// The `PipelineCtx` pointer.
    ctx_var: Variable,
    /// `PipelineCtx::grow_at`.
    grow_at_var: Variable,
    /// Filters do not branch: every row reaches the sink with a pass flag (see
    /// [`predicated`]).
    predicated: bool,
    /// The current row's pass flag in a predicated pipeline (`None`: no filter yet).
    pass: Option<Value>,
    /// Output sink: the `out_rows` buffer, and per computed output column (by index) its
    /// value and NULL flag buffers.
    out_rows_var: Option<Variable>,
    out_vars: HashMap<usize, (Variable, Variable)>,
    /// Hash-join build sink: the table's variables.
    build_vars: Option<build::BuildVars>,
    /// Accumulators of a single-group aggregate: (variable, byte offset, type).
    accs: Vec<(Variable, usize, Type)>,
    /// The aggregate state layout is decided (by the first loop translated).
    aggs_laid_out: bool,
    overflow: Block,
    key_range: Block,
    /// Returns `STATUS_FALLBACK`.
    fallback: Block,
    next: Block,
    exit: Block,
}

impl<'f> Translator<'f> {
    /// Translates `shape` into `func` (whose signature is already set).
    ///
    /// # Errors
    /// `Unsupported` if anything in the pipeline is outside the compiled subset.
    pub(crate) fn translate(
        shape: &Shape<'_>,
        func: &'f mut Function,
        fbc: &'f mut FunctionBuilderContext,
        target: TargetFrontendConfig,
    ) -> Result<Layout> {
        if target.pointer_type() != types::I64 {
            return unsupported("a host without 64-bit pointers");
        }
        let mut b = FunctionBuilder::new(func, fbc);
        let entry = b.create_block();
        // Reserve the first layout position for the entry block, which is filled last.
        b.func.layout.append_block(entry);
        // Created (and variables declared) in the order they were before there were two
        // loops: the order decides block parameter order, and the NULL-free loop is meant to
        // compile exactly as it did.
        let fast = LoopBlocks::new(&mut b);
        let exit = b.create_block();
        let overflow = b.create_block();
        let key_range = b.create_block();
        let fallback = b.create_block();
        let fast_row = b.declare_var(types::I64);
        let rows_var = b.declare_var(types::I64);
        let state_var = b.declare_var(types::I64);
        let ctx_var = b.declare_var(types::I64);
        let grow_at_var = b.declare_var(types::I64);

        let slots = shape
            .scan_columns
            .iter()
            .map(|(c, f)| ColumnSlot {
                column: *c,
                ty: f.ty,
                used: false,
                nullable: false,
            })
            .collect();
        let scan_env: HashMap<ColumnId, Binding> = shape
            .scan_columns
            .iter()
            .enumerate()
            .map(|(s, (_, f))| (f.id, Binding::Scan(s, f.ty)))
            .collect();
        let nullable: Vec<bool> = shape.scan_columns.iter().map(|(_, f)| f.nullable).collect();
        let any_nullable = nullable.iter().any(|n| *n);
        // A placeholder: `translate_loop` sets the row of the loop it translates.
        let unset = Value::from_u32(0);
        let mut t = Translator {
            b,
            layout: Layout::new(shape.table, slots, any_nullable),
            nullable,
            env: scan_env.clone(),
            scan_env,
            nulls: false,
            cache: HashMap::new(),
            null_cache: HashMap::new(),
            memo: Vec::new(),
            depth: 0,
            row: unset,
            row_at: (unset, 0),
            rows_var,
            col_vars: HashMap::new(),
            valid_vars: HashMap::new(),
            param_vars: Vec::new(),
            param_null_vars: HashMap::new(),
            str_vars: Vec::new(),
            pred_vars: Vec::new(),
            key_vars: Vec::new(),
            hash_vars: None,
            join_vars: Vec::new(),
            state_var,
            ctx_var,
            grow_at_var,
            predicated: predicated(shape),
            pass: None,
            out_rows_var: None,
            out_vars: HashMap::new(),
            build_vars: None,
            accs: Vec::new(),
            aggs_laid_out: false,
            overflow,
            key_range,
            fallback,
            next: exit,
            exit,
        };
        let with_nulls = if any_nullable {
            let blocks = LoopBlocks::new(&mut t.b);
            let row_var = t.b.declare_var(types::I64);
            Some(t.translate_loop(shape, true, blocks, row_var)?)
        } else {
            None
        };
        let fast = t.translate_loop(shape, false, fast, fast_row)?;

        // exit: write back single-group accumulators.
        t.b.switch_to_block(exit);
        if !t.accs.is_empty() {
            let state = t.b.use_var(t.state_var);
            for (var, off, _) in t.accs.clone() {
                let v = t.b.use_var(var);
                t.b.ins()
                    .store(MemFlagsData::trusted(), v, state, off as i32);
            }
        }
        let ok = t.b.ins().iconst(types::I32, abi::STATUS_OK as i64);
        t.b.ins().return_(&[ok]);
        for (block, status) in [
            (overflow, abi::STATUS_OVERFLOW),
            (key_range, abi::STATUS_KEY_RANGE),
            (fallback, abi::STATUS_FALLBACK),
        ] {
            t.b.switch_to_block(block);
            let code = t.b.ins().iconst(types::I32, status as i64);
            t.b.ins().return_(&[code]);
        }

        t.fill_entry(entry, &fast, with_nulls.as_ref());
        t.b.seal_all_blocks();
        let Translator { b, layout, .. } = t;
        b.finalize(target);
        Ok(layout)
    }

    /// One version of the row loop; `nulls`: the NULL-aware one.
    fn translate_loop(
        &mut self,
        shape: &Shape<'_>,
        nulls: bool,
        blocks: LoopBlocks,
        row_var: Variable,
    ) -> Result<Loop> {
        let LoopBlocks { header, body, next } = blocks;
        self.nulls = nulls;
        // Only the leading ones: a row a later conjunct rejects may have made an earlier
        // one fail (in the interpreter too), which skipping it would hide.
        let cheap: Vec<Expr> = (shape.scan_filters.iter())
            .take_while(|c| cannot_fail(c))
            .cloned()
            .collect();
        let skip = (!cheap.is_empty()).then(|| skip::Skip::new(&mut self.b));
        self.b.switch_to_block(header);
        let i = self.b.use_var(row_var);
        let (limit, done) = match &skip {
            Some(s) => (self.b.use_var(s.limit), s.resume),
            None => (self.b.use_var(self.rows_var), self.exit),
        };
        let more = self.b.ins().icmp(IntCC::UnsignedLessThan, i, limit);
        self.b.ins().brif(more, body, &[], done, &[]);
        self.b.switch_to_block(body);
        self.translate_row(shape, i, next)?;
        self.b.switch_to_block(next);
        let i1 = self.b.ins().iadd_imm_s(i, 1);
        self.b.def_var(row_var, i1);
        self.b.ins().jump(header, &[]);
        // After the row loop, which decided the columns there are to touch ahead.
        if let Some(s) = &skip {
            self.translate_skip(s, &cheap, header, row_var)?;
        }
        Ok(Loop {
            start: skip.as_ref().map_or(header, |s| s.resume),
            row_var,
            credit: skip.map(|s| s.credit),
        })
    }

    /// Starts translating the code of row `i` (straight-line caches empty, scan bindings).
    fn start_row(&mut self, i: Value, next: Block) {
        self.env = self.scan_env.clone();
        self.cache.clear();
        self.null_cache.clear();
        self.memo.clear();
        self.depth = 0;
        self.row = i;
        self.row_at = (i, 0);
        self.next = next;
        self.pass = None;
    }

    /// The pipeline for row `i`: scan filters, then (grouped) the hash table's growth check,
    /// filters, projections, probes and the aggregate update; then on to `next` (or the
    /// innermost join's next build row).
    fn translate_row(&mut self, shape: &Shape<'_>, i: Value, next: Block) -> Result<()> {
        self.start_row(i, next);
        self.translate_filters(shape.scan_filters)?;
        if shape.grows() {
            // A hash table (or output buffers) at its growth mark stops here, before the row inserts anything
            // (rows rejected above never get here); the driver grows it and resumes at this
            // row, whose scan filters then run again.
            let ctx = self.b.use_var(self.ctx_var);
            let flags = MemFlagsData::trusted();
            let used = self
                .b
                .ins()
                .load(types::I64, flags, ctx, abi::CTX_USED_OFFSET);
            let grow_at = self.b.use_var(self.grow_at_var);
            let full = self
                .b
                .ins()
                .icmp(IntCC::UnsignedGreaterThanOrEqual, used, grow_at);
            let grow = self.b.create_block();
            let go = self.b.create_block();
            self.b.ins().brif(full, grow, &[], go, &[]);
            self.b.switch_to_block(grow);
            self.b.ins().store(flags, i, ctx, abi::CTX_RESUME_OFFSET);
            let code = self.b.ins().iconst(types::I32, abi::STATUS_GROW as i64);
            self.b.ins().return_(&[code]);
            self.b.switch_to_block(go);
        }
        let mut joins = 0;
        for stage in &shape.stages {
            match stage {
                Stage::Filter(p) => self.translate_filters(&(*p).clone().split_conjunction())?,
                Stage::Project(exprs) => self.translate_project(exprs)?,
                Stage::Probe(p) => {
                    self.translate_probe(joins, p)?;
                    joins += 1;
                }
            }
        }
        match (&shape.build, &shape.output) {
            (Some(sink), _) => self.translate_build(sink, !shape.keeps_every_row())?,
            (None, Some(fields)) => self.translate_output(fields)?,
            (None, None) => self.translate_aggregate(shape)?,
        }
        // The next build row of the innermost join, or the next row.
        let done = self.next;
        self.b.ins().jump(done, &[]);
        Ok(())
    }

    /// The entry block: every loop-invariant load, then the jump into the loop the morsel
    /// needs.
    fn fill_entry(&mut self, entry: Block, fast: &Loop, with_nulls: Option<&Loop>) {
        let b = &mut self.b;
        b.switch_to_block(entry);
        b.append_block_params_for_function_params(entry);
        let (ctx, morsel) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        let ro = MemFlagsData::trusted().with_readonly();
        let load = |b: &mut FunctionBuilder<'_>, base: Value, off: i32| {
            b.ins().load(types::I64, ro, base, off)
        };
        let start = load(b, morsel, abi::MORSEL_START_OFFSET);
        for l in std::iter::once(fast).chain(with_nulls) {
            b.def_var(l.row_var, start);
            if let Some(credit) = l.credit {
                let c = b.ins().iconst(types::I64, skip::START_CREDIT);
                b.def_var(credit, c);
            }
        }
        b.def_var(self.ctx_var, ctx);
        let grow_at = load(b, ctx, abi::CTX_GROW_AT_OFFSET);
        b.def_var(self.grow_at_var, grow_at);
        let rows = load(b, morsel, abi::MORSEL_ROWS_OFFSET);
        b.def_var(self.rows_var, rows);
        let state = load(b, ctx, abi::CTX_STATE_OFFSET);
        b.def_var(self.state_var, state);

        let columns = load(b, morsel, abi::MORSEL_COLUMNS_OFFSET);
        let mut col_vars: Vec<_> = self.col_vars.iter().map(|(s, v)| (*s, *v)).collect();
        col_vars.sort_by_key(|(s, _)| *s);
        for (slot, var) in col_vars {
            let p = load(b, columns, (slot * 8) as i32);
            b.def_var(var, p);
        }
        let params = load(b, ctx, abi::CTX_PARAMS_OFFSET);
        for (k, var) in self.param_vars.iter().enumerate() {
            let raw = load(b, params, (k * 8) as i32);
            let t = clif_type(self.layout.params[k].1).unwrap_or(types::I64);
            let v = if t == types::I64 {
                raw
            } else {
                b.ins().ireduce(t, raw)
            };
            b.def_var(*var, v);
        }
        if !self.str_vars.is_empty() {
            let consts = load(b, morsel, abi::MORSEL_STR_CONSTS_OFFSET);
            for (k, var) in self.str_vars.iter().enumerate() {
                let v = b.ins().load(types::I32, ro, consts, (k * 4) as i32);
                b.def_var(*var, v);
            }
        }
        // `vars[k]` = entry k of the pointer array at `morsel + offset`.
        let load_pointers = |b: &mut FunctionBuilder<'_>, offset: i32, vars: &[Variable]| {
            if !vars.is_empty() {
                let array = load(b, morsel, offset);
                for (k, var) in vars.iter().enumerate() {
                    let v = load(b, array, (k * 8) as i32);
                    b.def_var(*var, v);
                }
            }
        };
        load_pointers(b, abi::MORSEL_DICT_PREDS_OFFSET, &self.pred_vars);
        let dict_vars: Vec<Variable> = self.key_vars.iter().filter_map(|k| k.dict).collect();
        load_pointers(b, abi::MORSEL_DICT_MAPS_OFFSET, &dict_vars);
        if !self.key_vars.is_empty() {
            let bases = load(b, ctx, abi::CTX_KEY_BASE_OFFSET);
            let strides = load(b, ctx, abi::CTX_KEY_STRIDE_OFFSET);
            let limits = load(b, ctx, abi::CTX_KEY_LIMIT_OFFSET);
            for (k, vars) in self.key_vars.iter().enumerate() {
                let off = (k * 8) as i32;
                let v = load(b, bases, off);
                b.def_var(vars.base, v);
                let v = load(b, strides, off);
                b.def_var(vars.stride, v);
                let v = load(b, limits, off);
                b.def_var(vars.limit, v);
            }
        }
        if !self.join_vars.is_empty() {
            let joins = load(b, ctx, abi::CTX_JOINS_OFFSET);
            for (k, j) in self.join_vars.iter().enumerate() {
                let at = k as i32 * abi::JOIN_CTX_SIZE;
                for (var, off) in [
                    (j.heads, abi::JOIN_HEADS_OFFSET),
                    (j.next, abi::JOIN_NEXT_OFFSET),
                    (j.keys, abi::JOIN_KEYS_OFFSET),
                    (j.shift, abi::JOIN_SHIFT_OFFSET),
                ] {
                    let v = load(b, joins, at + off);
                    b.def_var(var, v);
                }
                let payload = load(b, joins, at + abi::JOIN_PAYLOAD_OFFSET);
                for (f, var) in j.payload.iter().enumerate() {
                    if let Some(var) = var {
                        let v = load(b, payload, (f * 8) as i32);
                        b.def_var(*var, v);
                    }
                }
            }
        }
        if let Some(h) = self.hash_vars {
            for (var, off) in [
                (h.keys, abi::CTX_HASH_KEYS_OFFSET),
                (h.shift, abi::CTX_HASH_SHIFT_OFFSET),
                (h.mask, abi::CTX_HASH_MASK_OFFSET),
            ] {
                let v = load(b, ctx, off);
                b.def_var(var, v);
            }
        }
        if let Some(var) = self.out_rows_var {
            let v = load(b, ctx, abi::CTX_OUT_ROWS_OFFSET);
            b.def_var(var, v);
        }
        if !self.out_vars.is_empty() {
            let values = load(b, ctx, abi::CTX_OUT_VALUES_OFFSET);
            let nulls = load(b, ctx, abi::CTX_OUT_NULLS_OFFSET);
            let mut vars: Vec<_> = self.out_vars.iter().map(|(k, v)| (*k, *v)).collect();
            vars.sort_by_key(|(k, _)| *k);
            for (k, (v_var, n_var)) in vars {
                let v = load(b, values, (k * 8) as i32);
                b.def_var(v_var, v);
                let n = load(b, nulls, (k * 8) as i32);
                b.def_var(n_var, n);
            }
        }
        if let Some(v) = self.build_vars {
            for (var, off) in [
                (v.keys, abi::CTX_BUILD_KEYS_OFFSET),
                (v.hashes, abi::CTX_BUILD_HASHES_OFFSET),
            ] {
                let x = load(b, ctx, off);
                b.def_var(var, x);
            }
        }
        for (var, off, t) in &self.accs {
            let v = b
                .ins()
                .load(*t, MemFlagsData::trusted(), state, *off as i32);
            b.def_var(*var, v);
        }
        match with_nulls {
            None => {
                b.ins().jump(fast.start, &[]);
            }
            Some(l) => {
                // The bitmaps exist only when the morsel has NULLs: load them on that path.
                let validity = load(b, morsel, abi::MORSEL_VALIDITY_OFFSET);
                let pre = b.create_block();
                b.ins().brif(validity, pre, &[], fast.start, &[]);
                b.switch_to_block(pre);
                let mut valid_vars: Vec<_> =
                    self.valid_vars.iter().map(|(s, v)| (*s, *v)).collect();
                valid_vars.sort_by_key(|(s, _)| *s);
                for (slot, var) in valid_vars {
                    let p = load(b, validity, (slot * 8) as i32);
                    b.def_var(var, p);
                }
                if !self.param_null_vars.is_empty() {
                    let nulls = load(b, ctx, abi::CTX_PARAM_NULLS_OFFSET);
                    let mut vars: Vec<_> =
                        self.param_null_vars.iter().map(|(k, v)| (*k, *v)).collect();
                    vars.sort_by_key(|(k, _)| *k);
                    for (k, var) in vars {
                        let n = b.ins().load(types::I8, ro, nulls, k as i32);
                        b.def_var(var, n);
                    }
                }
                b.ins().jump(l.start, &[]);
            }
        }
    }

    // ---- stages ----------------------------------------------------------------------

    /// Continues with the rows where every conjunct is TRUE (not FALSE, not NULL); the
    /// others go to the next row. Consecutive conjuncts that cannot fail are combined
    /// branch-free (one branch for the run: selectivities are unknown, and a mispredicted
    /// branch costs more than a compare); a conjunct that can fail is only evaluated on rows
    /// that passed the ones before it.
    fn translate_filters(&mut self, conjuncts: &[Expr]) -> Result<()> {
        let mut acc: Option<Value> = None;
        for c in conjuncts {
            if !cannot_fail(c) {
                if let Some(v) = acc.take() {
                    self.branch_on(v);
                }
            }
            // A boolean's `v` is 0 where it is NULL.
            let v = self.translate_bool(c)?.v;
            acc = Some(match acc {
                Some(a) => self.b.ins().band(a, v),
                None => v,
            });
            if !cannot_fail(c) {
                let v = acc.take().expect("just set");
                self.branch_on(v);
            }
        }
        if let Some(v) = acc {
            self.branch_on(v);
        }
        Ok(())
    }

    /// Continues with the rows where `v` is true; the others go to the next row. In a
    /// predicated pipeline, continues with every row and ANDs `v` into the row's pass flag.
    fn branch_on(&mut self, v: Value) {
        if self.predicated {
            self.pass = Some(match self.pass {
                Some(p) => self.b.ins().band(p, v),
                None => v,
            });
            return;
        }
        let pass = self.b.create_block();
        self.b.ins().brif(v, pass, &[], self.next, &[]);
        self.b.switch_to_block(pass);
    }

    /// Computes every projected expression (the interpreter does, even unused ones, so
    /// their errors surface the same way) and binds the output ids.
    fn translate_project(&mut self, exprs: &[(Expr, grizzly_ir::Field)]) -> Result<()> {
        let mut out = Vec::with_capacity(exprs.len());
        for (e, f) in exprs {
            let binding = match e {
                Expr::Column { id, .. } => *self
                    .env
                    .get(id)
                    .ok_or_else(|| Error::Internal(format!("column {} not in scope", id.0)))?,
                _ => {
                    let (v, ty) = self.translate_expr(e)?;
                    Binding::Value(v, ty)
                }
            };
            out.push((f.id, binding));
        }
        self.env = out.into_iter().collect();
        // Column ids mean the new stage's columns from here.
        self.memo.clear();
        Ok(())
    }
}

/// A non-NULL constant of type `ty` in its physical form (as `i64`); `None` if it does not
/// convert exactly (the interpreter's `CAST` rules) or is NULL.
pub(crate) fn physical(value: &grizzly_ir::Value, ty: DataType) -> Option<i64> {
    use grizzly_ir::Value as V;
    // A value of exactly `ty` (the common case: parameters are typed by the binder) needs no
    // cast, only the range check a DECIMAL cast makes.
    match (value, ty) {
        (V::Boolean(b), DataType::Boolean) => return Some(*b as i64),
        (V::Int32(x), DataType::Int32) | (V::Date(x), DataType::Date) => return Some(*x as i64),
        (V::Int64(x), DataType::Int64) => return Some(*x),
        (V::Decimal(x, s), DataType::Decimal { precision, scale })
            if *s == scale && precision <= 18 =>
        {
            let fits = pow10(precision).is_some_and(|m| x.unsigned_abs() < m as u128);
            return fits.then(|| i64::try_from(*x).ok()).flatten();
        }
        _ => {}
    }
    let v = grizzly_runtime::exec::expr::cast_value(value, ty).ok()?;
    match (v, ty.physical()) {
        (V::Boolean(b), PhysicalType::Bool) => Some(b as i64),
        (V::Int32(x) | V::Date(x), PhysicalType::I32) => Some(x as i64),
        (V::Int64(x), PhysicalType::I64) => Some(x),
        (V::Decimal(x, s), PhysicalType::I64) if s == ty.scale() => i64::try_from(x).ok(),
        _ => None,
    }
}
