//! One pipeline to Cranelift IR: a loop over a morsel's rows that reads column values in
//! place, applies the filters, computes projections and updates the aggregate state.
//!
//! ```text
//! entry:   load morsel/ctx fields, parameters and (single group) accumulators → variables
//! header:  i < rows ? body : exit
//! body:    scan filters → filters/projections → group slot → accumulator updates
//! next:    i += 1; jump header
//! exit:    (single group) store accumulators; return 0
//! ```
//! The entry block is filled last, once the body has said which columns, parameters and
//! constants it reads; everything crosses into the loop through frontend variables.
//!
//! Values are non-NULL (the driver only runs compiled code on NULL-free columns): BOOLEAN is
//! an `i8` 0/1, INTEGER/DATE `i32`, BIGINT and DECIMAL(p<=18) `i64`, sums `i128`.
//! Anything else makes the pipeline unsupported (`Error::Unsupported`), so it stays
//! interpreted. Evaluation is lazy where the interpreter's is (AND/OR right sides, CASE
//! branches, rows rejected by an earlier filter), so the compiled code fails on exactly the
//! rows where the interpreter does.

use crate::pipeline::{
    AggLayout, ColumnSlot, ConstSource, KeyLayout, Layout, Shape, Stage, StrConst,
};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{
    types, AbiParam, Block, BlockArg, Function, InstBuilder, MemFlagsData, Signature, Type, Value,
};
use cranelift_codegen::isa::TargetFrontendConfig;
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use grizzly_ir::types::pow10;
use grizzly_ir::{AggFunc, BinaryOp, ColumnId, DataType, Expr, PhysicalType};
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

/// How a column id of some stage's input is computed.
#[derive(Clone, Copy)]
enum Binding {
    /// A scanned column (slot index), read from the morsel on use.
    Scan(usize, DataType),
    /// A value computed by a projection.
    Value(Value, DataType),
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
        Expr::Negate(_) | Expr::Cast { .. } | Expr::Case { .. } => ok = false,
        _ => {}
    });
    ok
}

pub(crate) struct Translator<'f> {
    b: FunctionBuilder<'f>,
    layout: Layout,
    env: HashMap<ColumnId, Binding>,
    /// Scanned values loaded in straight-line code of the current row (valid until the row
    /// ends, since every later block of the row is dominated by where they were loaded).
    cache: HashMap<usize, Value>,
    /// Nesting of conditional regions (AND/OR right sides, CASE branches): loads made inside
    /// one are not cached.
    depth: u32,
    row: Value,
    rows_var: Variable,
    col_vars: HashMap<usize, Variable>,
    param_vars: Vec<Variable>,
    str_vars: Vec<Variable>,
    dict_vars: Vec<Variable>,
    key_vars: Vec<(Variable, Variable, Variable)>,
    state_var: Variable,
    /// Accumulators of a single-group aggregate: (variable, byte offset, type).
    accs: Vec<(Variable, usize, Type)>,
    overflow: Block,
    key_range: Block,
    next: Block,
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
        let header = b.create_block();
        let body = b.create_block();
        let next = b.create_block();
        let exit = b.create_block();
        let overflow = b.create_block();
        let key_range = b.create_block();

        let row_var = b.declare_var(types::I64);
        let rows_var = b.declare_var(types::I64);
        let state_var = b.declare_var(types::I64);
        b.switch_to_block(header);
        let i = b.use_var(row_var);
        let n = b.use_var(rows_var);
        let more = b.ins().icmp(IntCC::UnsignedLessThan, i, n);
        b.ins().brif(more, body, &[], exit, &[]);
        b.switch_to_block(body);

        let slots = shape
            .scan_columns
            .iter()
            .map(|(c, f)| ColumnSlot {
                column: *c,
                ty: f.ty,
                used: false,
            })
            .collect();
        let mut t = Translator {
            b,
            layout: Layout {
                table: shape.table.to_string(),
                slots,
                params: Vec::new(),
                str_consts: Vec::new(),
                keys: Vec::new(),
                aggs: Vec::new(),
                stride: 0,
            },
            env: shape
                .scan_columns
                .iter()
                .enumerate()
                .map(|(s, (_, f))| (f.id, Binding::Scan(s, f.ty)))
                .collect(),
            cache: HashMap::new(),
            depth: 0,
            row: i,
            rows_var,
            col_vars: HashMap::new(),
            param_vars: Vec::new(),
            str_vars: Vec::new(),
            dict_vars: Vec::new(),
            key_vars: Vec::new(),
            state_var,
            accs: Vec::new(),
            overflow,
            key_range,
            next,
        };
        t.translate_filters(shape.scan_filters)?;
        for stage in &shape.stages {
            match stage {
                Stage::Filter(p) => t.translate_filters(&(*p).clone().split_conjunction())?,
                Stage::Project(exprs) => t.translate_project(exprs)?,
            }
        }
        t.translate_aggregate(shape)?;
        t.b.ins().jump(next, &[]);

        // next: i += 1
        t.b.switch_to_block(next);
        let i1 = t.b.ins().iadd_imm_s(i, 1);
        t.b.def_var(row_var, i1);
        t.b.ins().jump(header, &[]);

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
        ] {
            t.b.switch_to_block(block);
            let code = t.b.ins().iconst(types::I32, status as i64);
            t.b.ins().return_(&[code]);
        }

        t.fill_entry(entry, header, row_var);
        t.b.seal_all_blocks();
        let Translator { b, layout, .. } = t;
        b.finalize(target);
        Ok(layout)
    }

    /// The entry block: every loop-invariant load, then the jump into the loop.
    fn fill_entry(&mut self, entry: Block, header: Block, row_var: Variable) {
        let b = &mut self.b;
        b.switch_to_block(entry);
        b.append_block_params_for_function_params(entry);
        let (ctx, morsel) = (b.block_params(entry)[0], b.block_params(entry)[1]);
        let ro = MemFlagsData::trusted().with_readonly();
        let load = |b: &mut FunctionBuilder<'_>, base: Value, off: i32| {
            b.ins().load(types::I64, ro, base, off)
        };
        let zero = b.ins().iconst(types::I64, 0);
        b.def_var(row_var, zero);
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
        if !self.dict_vars.is_empty() {
            let maps = load(b, morsel, abi::MORSEL_DICT_MAPS_OFFSET);
            for (k, var) in self.dict_vars.iter().enumerate() {
                let v = load(b, maps, (k * 8) as i32);
                b.def_var(*var, v);
            }
        }
        if !self.key_vars.is_empty() {
            let bases = load(b, ctx, abi::CTX_KEY_BASE_OFFSET);
            let strides = load(b, ctx, abi::CTX_KEY_STRIDE_OFFSET);
            let limits = load(b, ctx, abi::CTX_KEY_LIMIT_OFFSET);
            for (k, (base, stride, limit)) in self.key_vars.iter().enumerate() {
                let off = (k * 8) as i32;
                let v = load(b, bases, off);
                b.def_var(*base, v);
                let v = load(b, strides, off);
                b.def_var(*stride, v);
                let v = load(b, limits, off);
                b.def_var(*limit, v);
            }
        }
        for (var, off, t) in &self.accs {
            let v = b
                .ins()
                .load(*t, MemFlagsData::trusted(), state, *off as i32);
            b.def_var(*var, v);
        }
        b.ins().jump(header, &[]);
    }

    // ---- stages ----------------------------------------------------------------------

    /// Continues with the rows where every conjunct is true; the others go to the next row.
    /// Consecutive conjuncts that cannot fail are combined branch-free (one branch for the
    /// run: selectivities are unknown, and a mispredicted branch costs more than a compare);
    /// a conjunct that can fail is only evaluated on rows that passed the ones before it.
    fn translate_filters(&mut self, conjuncts: &[Expr]) -> Result<()> {
        let mut acc: Option<Value> = None;
        for c in conjuncts {
            if !cannot_fail(c) {
                if let Some(v) = acc.take() {
                    self.branch_on(v);
                }
            }
            let v = self.translate_bool(c)?;
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

    /// Continues with the rows where `v` is true; the others go to the next row.
    fn branch_on(&mut self, v: Value) {
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
        Ok(())
    }

    fn translate_aggregate(&mut self, shape: &Shape<'_>) -> Result<()> {
        // State layout: row count at 0, then accumulators.
        let mut offset = 8usize;
        for (call, _) in shape.aggregates {
            if call.distinct {
                return unsupported("DISTINCT aggregates");
            }
            let arg_ty = call.arg.as_ref().map(Expr::data_type);
            let off = match call.func {
                AggFunc::CountStar | AggFunc::Count => 0,
                AggFunc::Sum | AggFunc::Avg => {
                    offset = offset.next_multiple_of(16);
                    offset += 16;
                    offset - 16
                }
                AggFunc::Min | AggFunc::Max => {
                    offset += 8;
                    offset - 8
                }
                f => return unsupported(format!("aggregate {f:?}")),
            };
            if let Some(t) = arg_ty {
                if !matches!(t.physical(), PhysicalType::I32 | PhysicalType::I64) {
                    return unsupported(format!("aggregates over {t}"));
                }
            }
            self.layout.aggs.push(AggLayout {
                func: call.func,
                ty: call.ty,
                arg_ty,
                offset: off,
            });
        }
        self.layout.stride = offset.next_multiple_of(16);

        // The group's state address (grouped) or accumulator variables (single group).
        let grouped = !shape.group_by.is_empty();
        let base = if grouped {
            let slot = self.translate_keys(shape)?;
            let state = self.b.use_var(self.state_var);
            let off = self.b.ins().imul_imm_s(slot, self.layout.stride as i64);
            Some(self.b.ins().iadd(state, off))
        } else {
            None
        };
        let flags = MemFlagsData::trusted();
        match base {
            Some(base) => {
                let c = self.b.ins().load(types::I64, flags, base, 0);
                let c = self.b.ins().iadd_imm_s(c, 1);
                self.b.ins().store(flags, c, base, 0);
            }
            None => {
                let var = self.acc(0, types::I64);
                let c = self.b.use_var(var);
                let c = self.b.ins().iadd_imm_s(c, 1);
                self.b.def_var(var, c);
            }
        }
        for (k, (call, _)) in shape.aggregates.iter().enumerate() {
            let Some(arg) = &call.arg else { continue };
            let (v, ty) = self.translate_expr(arg)?;
            let AggLayout { func, offset, .. } = self.layout.aggs[k].clone();
            match func {
                AggFunc::CountStar | AggFunc::Count => {}
                AggFunc::Sum | AggFunc::Avg => {
                    let wide = self.b.ins().sextend(types::I128, v);
                    self.update(base, offset, types::I128, |b, acc| b.ins().iadd(acc, wide));
                }
                AggFunc::Min | AggFunc::Max => {
                    let t = clif_type(ty)?;
                    let cc = if func == AggFunc::Min {
                        IntCC::SignedLessThan
                    } else {
                        IntCC::SignedGreaterThan
                    };
                    self.update(base, offset, t, |b, acc| {
                        let better = b.ins().icmp(cc, v, acc);
                        b.ins().select(better, v, acc)
                    });
                }
                f => return unsupported(format!("aggregate {f:?}")),
            }
        }
        Ok(())
    }

    /// The single-group accumulator at byte `offset`, declared on first use.
    fn acc(&mut self, offset: usize, t: Type) -> Variable {
        if let Some((v, _, _)) = self.accs.iter().find(|(_, o, _)| *o == offset) {
            return *v;
        }
        let var = self.b.declare_var(t);
        self.accs.push((var, offset, t));
        var
    }

    /// `acc = f(acc)` for the accumulator at `offset` of the group at `base` (in memory), or
    /// of the single group (in a variable).
    fn update(
        &mut self,
        base: Option<Value>,
        offset: usize,
        t: Type,
        f: impl FnOnce(&mut FunctionBuilder<'_>, Value) -> Value,
    ) {
        let flags = MemFlagsData::trusted();
        match base {
            Some(base) => {
                let acc = self.b.ins().load(t, flags, base, offset as i32);
                let v = f(&mut self.b, acc);
                self.b.ins().store(flags, v, base, offset as i32);
            }
            None => {
                let var = self.acc(offset, t);
                let acc = self.b.use_var(var);
                let v = f(&mut self.b, acc);
                self.b.def_var(var, v);
            }
        }
    }

    /// The group slot number of the current row: `sum(index_k * stride_k)`.
    fn translate_keys(&mut self, shape: &Shape<'_>) -> Result<Value> {
        let mut slot: Option<Value> = None;
        for (e, _) in shape.group_by {
            let Expr::Column { id, .. } = e else {
                return unsupported("GROUP BY expressions other than columns");
            };
            let Some(Binding::Scan(s, ty)) = self.env.get(id).copied() else {
                return unsupported("GROUP BY a computed column");
            };
            let dict = match ty {
                DataType::Varchar => true,
                DataType::Int32 | DataType::Int64 | DataType::Date => false,
                DataType::Decimal { .. } if ty.physical() == PhysicalType::I64 => false,
                _ => return unsupported(format!("GROUP BY a {ty} column")),
            };
            self.layout.keys.push(KeyLayout { slot: s, ty, dict });
            let vars = (
                self.b.declare_var(types::I64),
                self.b.declare_var(types::I64),
                self.b.declare_var(types::I64),
            );
            self.key_vars.push(vars);
            let stride = self.b.use_var(vars.1);
            let index = if dict {
                let var = self.b.declare_var(types::I64);
                self.dict_vars.push(var);
                let map = self.b.use_var(var);
                let code = self.load_column(s, types::I32);
                let code = self.b.ins().uextend(types::I64, code);
                let off = self.b.ins().ishl_imm_u(code, 2);
                let addr = self.b.ins().iadd(map, off);
                let ro = MemFlagsData::trusted().with_readonly();
                let gid = self.b.ins().load(types::I32, ro, addr, 0);
                self.b.ins().uextend(types::I64, gid)
            } else {
                let t = clif_type(ty)?;
                let v = self.load_column(s, t);
                let v = if t == types::I64 {
                    v
                } else {
                    self.b.ins().sextend(types::I64, v)
                };
                let base = self.b.use_var(vars.0);
                let limit = self.b.use_var(vars.2);
                let index = self.b.ins().isub(v, base);
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, index, limit);
                let ok = self.b.create_block();
                self.b.ins().brif(inside, ok, &[], self.key_range, &[]);
                self.b.switch_to_block(ok);
                index
            };
            let part = self.b.ins().imul(index, stride);
            slot = Some(match slot {
                None => part,
                Some(s) => self.b.ins().iadd(s, part),
            });
        }
        slot.ok_or_else(|| Error::Internal("grouped aggregate without keys".into()))
    }

    // ---- expressions -----------------------------------------------------------------

    /// Loads column `slot`'s value of the current row.
    fn load_column(&mut self, slot: usize, t: Type) -> Value {
        if let Some(v) = self.cache.get(&slot) {
            return *v;
        }
        self.layout.slots[slot].used = true;
        let var = match self.col_vars.get(&slot) {
            Some(v) => *v,
            None => {
                let v = self.b.declare_var(types::I64);
                self.col_vars.insert(slot, v);
                v
            }
        };
        let base = self.b.use_var(var);
        let shift = t.bytes().trailing_zeros() as i64;
        let off = if shift == 0 {
            self.row
        } else {
            self.b.ins().ishl_imm_u(self.row, shift)
        };
        let addr = self.b.ins().iadd(base, off);
        let v = self
            .b
            .ins()
            .load(t, MemFlagsData::trusted().with_readonly(), addr, 0);
        if self.depth == 0 {
            self.cache.insert(slot, v);
        }
        v
    }

    fn translate_bool(&mut self, e: &Expr) -> Result<Value> {
        let (v, ty) = self.translate_expr(e)?;
        if ty != DataType::Boolean {
            return unsupported(format!("a {ty} used as a condition"));
        }
        Ok(v)
    }

    /// The value of `e` for the current row, with its SQL type.
    fn translate_expr(&mut self, e: &Expr) -> Result<(Value, DataType)> {
        match e {
            Expr::Column { id, .. } => self.translate_column(*id),
            Expr::Literal { value, ty } => self.translate_literal(value, *ty),
            Expr::Param { index, ty } => self.translate_param(*index, *ty),
            Expr::Not(x) => {
                let v = self.translate_bool(x)?;
                Ok((self.b.ins().bxor_imm_u(v, 1), DataType::Boolean))
            }
            Expr::Negate(x) => self.translate_negate(x),
            Expr::Binary {
                op,
                left,
                right,
                ty,
            } => self.translate_binary(*op, left, right, *ty),
            Expr::IsNull { expr, negated } => {
                // Evaluated for its errors; nothing the compiled code sees is NULL.
                self.translate_expr(expr)?;
                let v = self.b.ins().iconst(types::I8, *negated as i64);
                Ok((v, DataType::Boolean))
            }
            Expr::Cast { expr, ty } => {
                let (v, from) = self.translate_expr(expr)?;
                Ok((self.translate_cast(v, from, *ty)?, *ty))
            }
            Expr::Case { whens, else_, ty } => self.translate_case(whens, else_.as_deref(), *ty),
            other => {
                let text = format!("{other:?}");
                let name = text.split(['(', ' ', '{']).next().unwrap_or("?");
                unsupported(format!("expression {name}"))
            }
        }
    }

    fn translate_column(&mut self, id: ColumnId) -> Result<(Value, DataType)> {
        match self.env.get(&id).copied() {
            Some(Binding::Value(v, ty)) => Ok((v, ty)),
            Some(Binding::Scan(slot, ty)) => {
                let t = clif_type(ty)?;
                Ok((self.load_column(slot, t), ty))
            }
            None => Err(Error::Internal(format!("column {} not in scope", id.0))),
        }
    }

    fn translate_literal(
        &mut self,
        value: &grizzly_ir::Value,
        ty: DataType,
    ) -> Result<(Value, DataType)> {
        let Some(x) = physical(value, ty) else {
            return unsupported(format!("the constant {value} of type {ty}"));
        };
        let t = clif_type(ty)?;
        Ok((self.b.ins().iconst(t, imm(t, x)), ty))
    }

    fn translate_param(&mut self, index: usize, ty: DataType) -> Result<(Value, DataType)> {
        clif_type(ty)?;
        let k = match self.layout.params.iter().position(|p| *p == (index, ty)) {
            Some(k) => k,
            None => {
                self.layout.params.push((index, ty));
                let var = self.b.declare_var(clif_type(ty)?);
                self.param_vars.push(var);
                self.layout.params.len() - 1
            }
        };
        Ok((self.b.use_var(self.param_vars[k]), ty))
    }

    fn translate_negate(&mut self, x: &Expr) -> Result<(Value, DataType)> {
        let (v, ty) = self.translate_expr(x)?;
        if !int_like(ty) {
            return unsupported(format!("negating a {ty}"));
        }
        let t = clif_type(ty)?;
        let zero = self.b.ins().iconst(t, 0);
        let (r, of) = self.b.ins().ssub_overflow(zero, v);
        self.check(of);
        Ok((r, ty))
    }

    /// Continues only if `failed` is 0; otherwise returns the overflow status.
    fn check(&mut self, failed: Value) {
        let ok = self.b.create_block();
        self.b.ins().brif(failed, self.overflow, &[], ok, &[]);
        self.b.switch_to_block(ok);
    }

    fn translate_binary(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        ty: DataType,
    ) -> Result<(Value, DataType)> {
        match op {
            BinaryOp::And | BinaryOp::Or => self.translate_logic(op == BinaryOp::And, left, right),
            _ if op.is_comparison() => self.translate_compare(op, left, right),
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mul => {
                self.translate_arith(op, left, right, ty)
            }
            BinaryOp::Div | BinaryOp::Mod => self.translate_div(op, left, right, ty),
            _ => unsupported(format!("operator {}", op.symbol())),
        }
    }

    /// AND/OR: branch-free when neither side can fail, otherwise the right side is only
    /// evaluated where the left one does not decide (as the interpreter does).
    fn translate_logic(
        &mut self,
        is_and: bool,
        left: &Expr,
        right: &Expr,
    ) -> Result<(Value, DataType)> {
        let l = self.translate_bool(left)?;
        if cannot_fail(right) {
            let r = self.translate_bool(right)?;
            let v = if is_and {
                self.b.ins().band(l, r)
            } else {
                self.b.ins().bor(l, r)
            };
            return Ok((v, DataType::Boolean));
        }
        let rhs = self.b.create_block();
        let merge = self.b.create_block();
        let out = self.b.append_block_param(merge, types::I8);
        if is_and {
            self.b.ins().brif(l, rhs, &[], merge, &[BlockArg::Value(l)]);
        } else {
            self.b.ins().brif(l, merge, &[BlockArg::Value(l)], rhs, &[]);
        }
        self.b.switch_to_block(rhs);
        self.depth += 1;
        let r = self.translate_bool(right);
        self.depth -= 1;
        let r = r?;
        self.b.ins().jump(merge, &[BlockArg::Value(r)]);
        self.b.switch_to_block(merge);
        Ok((out, DataType::Boolean))
    }

    fn translate_compare(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
    ) -> Result<(Value, DataType)> {
        let (lt, rt) = (left.data_type(), right.data_type());
        if lt == DataType::Varchar || rt == DataType::Varchar {
            return self.translate_str_compare(op, left, right);
        }
        let same = lt == rt
            || (int_like(lt)
                && int_like(rt)
                && lt.scale() == rt.scale()
                && lt.physical() == rt.physical());
        if !same {
            return unsupported(format!("comparing {lt} with {rt}"));
        }
        let (l, _) = self.translate_expr(left)?;
        let (r, _) = self.translate_expr(right)?;
        let cc = match op {
            BinaryOp::Eq => IntCC::Equal,
            BinaryOp::NotEq => IntCC::NotEqual,
            BinaryOp::Lt => IntCC::SignedLessThan,
            BinaryOp::LtEq => IntCC::SignedLessThanOrEqual,
            BinaryOp::Gt => IntCC::SignedGreaterThan,
            _ => IntCC::SignedGreaterThanOrEqual,
        };
        // BOOLEAN is 0/1, so signed order is false < true.
        Ok((self.b.ins().icmp(cc, l, r), DataType::Boolean))
    }

    /// `column op constant` on a dictionary-encoded string column: the driver turns the
    /// constant into a code of each morsel's (sorted) dictionary, so this compares codes.
    fn translate_str_compare(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
    ) -> Result<(Value, DataType)> {
        let column = |e: &Expr| match e {
            Expr::Column { id, .. } => match self.env.get(id) {
                Some(Binding::Scan(s, DataType::Varchar)) => Some(*s),
                _ => None,
            },
            _ => None,
        };
        let constant = |e: &Expr| match e {
            Expr::Literal {
                value: grizzly_ir::Value::Varchar(s),
                ..
            } => Some(ConstSource::Literal(s.clone())),
            Expr::Param {
                index,
                ty: DataType::Varchar,
            } => Some(ConstSource::Param(*index)),
            _ => None,
        };
        let (slot, value, op) = match (column(left), constant(right), constant(left), column(right))
        {
            (Some(s), Some(c), _, _) => (s, c, op),
            (_, _, Some(c), Some(s)) => (s, c, op.flip()),
            _ => return unsupported("string comparisons other than column op constant"),
        };
        let code = self.load_column(slot, types::I32);
        self.layout.str_consts.push(StrConst { slot, op, value });
        let var = self.b.declare_var(types::I32);
        self.str_vars.push(var);
        let c = self.b.use_var(var);
        let cc = match op {
            BinaryOp::Eq => IntCC::Equal,
            BinaryOp::NotEq => IntCC::NotEqual,
            BinaryOp::Lt | BinaryOp::LtEq => IntCC::UnsignedLessThan,
            _ => IntCC::UnsignedGreaterThanOrEqual,
        };
        Ok((self.b.ins().icmp(cc, code, c), DataType::Boolean))
    }

    /// `+ - *` with the interpreter's overflow checks: both operands have the result's type,
    /// except DECIMAL products (scales add up) and DATE - DATE (INTEGER days).
    fn translate_arith(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        ty: DataType,
    ) -> Result<(Value, DataType)> {
        let (lt, rt) = (left.data_type(), right.data_type());
        let date_diff = op == BinaryOp::Sub
            && lt == DataType::Date
            && rt == DataType::Date
            && matches!(ty, DataType::Int32 | DataType::Int64);
        let decimal_mul = op == BinaryOp::Mul
            && matches!(ty, DataType::Decimal { .. })
            && matches!(lt, DataType::Decimal { .. })
            && matches!(rt, DataType::Decimal { .. })
            && lt.scale() as u32 + rt.scale() as u32 == ty.scale() as u32
            && lt.physical() == PhysicalType::I64
            && rt.physical() == PhysicalType::I64
            && ty.physical() == PhysicalType::I64;
        let same = int_like(ty) && lt == ty && rt == ty;
        if !(date_diff || decimal_mul || same) {
            return unsupported(format!("{lt} {} {rt} giving {ty}", op.symbol()));
        }
        let (l, _) = self.translate_expr(left)?;
        let (r, _) = self.translate_expr(right)?;
        let (v, of) = match op {
            BinaryOp::Add => self.b.ins().sadd_overflow(l, r),
            BinaryOp::Sub => self.b.ins().ssub_overflow(l, r),
            _ => self.b.ins().smul_overflow(l, r),
        };
        self.check(of);
        if date_diff && ty == DataType::Int64 {
            return Ok((self.b.ins().sextend(types::I64, v), ty));
        }
        Ok((v, ty))
    }

    /// Integer `/` (truncating) and `%` (also on decimals of one scale), as the interpreter:
    /// division by zero and `MIN / -1` are errors, `MIN % -1` is 0.
    fn translate_div(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        ty: DataType,
    ) -> Result<(Value, DataType)> {
        let ok_type = if op == BinaryOp::Div {
            ty.is_integer()
        } else {
            int_like(ty)
        };
        if !(ok_type && left.data_type() == ty && right.data_type() == ty) {
            return unsupported(format!("operator {} on {ty}", op.symbol()));
        }
        let t = clif_type(ty)?;
        let (l, _) = self.translate_expr(left)?;
        let (r, _) = self.translate_expr(right)?;
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, r, 0);
        self.check(zero);
        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, r, -1);
        if op == BinaryOp::Div {
            let min = if t == types::I32 {
                i32::MIN as i64
            } else {
                i64::MIN
            };
            let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, l, min);
            let of = self.b.ins().band(is_min, minus_one);
            self.check(of);
            return Ok((self.b.ins().sdiv(l, r), ty));
        }
        // x % -1 is 0; dividing by 1 instead avoids the hardware's MIN % -1 fault.
        let one = self.b.ins().iconst(t, 1);
        let safe = self.b.ins().select(minus_one, one, r);
        Ok((self.b.ins().srem(l, safe), ty))
    }

    /// CAST between integer and decimal types, with the interpreter's range checks; only
    /// casts that keep or add fraction digits (no rounding).
    fn translate_cast(&mut self, v: Value, from: DataType, to: DataType) -> Result<Value> {
        if from == to {
            return Ok(v);
        }
        if !(int_like(from) && int_like(to)) {
            return unsupported(format!("cast from {from} to {to}"));
        }
        let (ft, tt) = (clif_type(from)?, clif_type(to)?);
        let (fs, ts) = (from.scale(), to.scale());
        if ts < fs {
            return unsupported(format!("cast from {from} to {to} (rounding)"));
        }
        let grow = pow10(ts - fs).filter(|g| *g <= i64::MAX as i128);
        let Some(grow) = grow else {
            return unsupported(format!("cast from {from} to {to}"));
        };
        let hi = max_of(to);
        let lo = if to.is_integer() { -hi - 1 } else { -hi };
        let lossless = max_of(from).checked_mul(grow).is_some_and(|m| m <= hi);
        let wide = if ft == types::I64 {
            v
        } else {
            self.b.ins().sextend(types::I64, v)
        };
        let r = if lossless {
            if grow == 1 {
                wide
            } else {
                self.b.ins().imul_imm_s(wide, grow as i64)
            }
        } else {
            let (r, mut bad) = if grow == 1 {
                (wide, self.b.ins().iconst(types::I8, 0))
            } else {
                let g = self.b.ins().iconst(types::I64, grow as i64);
                self.b.ins().smul_overflow(wide, g)
            };
            // Bounds that do not fit an i64 can never be crossed by an i64.
            if lo >= i64::MIN as i128 {
                let below = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, r, lo as i64);
                bad = self.b.ins().bor(bad, below);
            }
            if hi <= i64::MAX as i128 {
                let above = self
                    .b
                    .ins()
                    .icmp_imm_s(IntCC::SignedGreaterThan, r, hi as i64);
                bad = self.b.ins().bor(bad, above);
            }
            self.check(bad);
            r
        };
        Ok(if tt == types::I64 {
            r
        } else {
            self.b.ins().ireduce(tt, r)
        })
    }

    /// Searched CASE: each THEN is evaluated only on the rows that reach it.
    fn translate_case(
        &mut self,
        whens: &[(Expr, Expr)],
        else_: Option<&Expr>,
        ty: DataType,
    ) -> Result<(Value, DataType)> {
        let Some(else_) = else_ else {
            return unsupported("CASE without ELSE (NULL result)");
        };
        let t = clif_type(ty)?;
        let merge = self.b.create_block();
        let out = self.b.append_block_param(merge, t);
        self.depth += 1;
        let result: Result<()> = (|| {
            for (w, then) in whens {
                let c = self.translate_bool(w)?;
                let (yes, no) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(c, yes, &[], no, &[]);
                self.b.switch_to_block(yes);
                let (v, vt) = self.translate_expr(then)?;
                let v = self.translate_cast(v, vt, ty)?;
                self.b.ins().jump(merge, &[BlockArg::Value(v)]);
                self.b.switch_to_block(no);
            }
            let (v, vt) = self.translate_expr(else_)?;
            let v = self.translate_cast(v, vt, ty)?;
            self.b.ins().jump(merge, &[BlockArg::Value(v)]);
            Ok(())
        })();
        self.depth -= 1;
        result?;
        self.b.switch_to_block(merge);
        Ok((out, ty))
    }
}

/// A non-NULL constant of type `ty` in its physical form (as `i64`); `None` if it does not
/// convert exactly (the interpreter's `CAST` rules) or is NULL.
pub(crate) fn physical(value: &grizzly_ir::Value, ty: DataType) -> Option<i64> {
    use grizzly_ir::Value as V;
    let v = grizzly_runtime::exec::expr::cast_value(value, ty).ok()?;
    match (v, ty.physical()) {
        (V::Boolean(b), PhysicalType::Bool) => Some(b as i64),
        (V::Int32(x) | V::Date(x), PhysicalType::I32) => Some(x as i64),
        (V::Int64(x), PhysicalType::I64) => Some(x),
        (V::Decimal(x, s), PhysicalType::I64) if s == ty.scale() => i64::try_from(x).ok(),
        _ => None,
    }
}
