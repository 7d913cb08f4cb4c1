//! The aggregate sink: the group slot of a row and the accumulator updates.
//!
//! State layout per group slot (decided by the first loop translated, before its arguments,
//! and shared by both):
//! the row count (`i64`) at offset 0, then the accumulators (sum/avg `i128`, 16-aligned;
//! min/max 8 bytes), then one `i64` per aggregate whose argument may be NULL, counting the
//! rows where it was (COUNT(x) is the row count minus it; SUM/MIN/MAX/AVG skip those rows
//! and are NULL where it equals the row count). Without GROUP BY the single slot lives in
//! variables during the loop.
//!
//! Group number: `sum(index_k * stride_k)`, with an integer key's index `value - base`
//! (range-checked against `limit`) and a string key's its global dictionary id; a NULL key
//! has index `limit`, one past the values. The group's state slot is its number when the
//! driver indexes slots directly (few possible groups), or else its slot in an
//! open-addressing hash table of group numbers (`PipelineCtx::hash_keys`), probed inline:
//! multiply-shift hash, linear probing, a new group claims the first empty slot.

use super::{clif_type, unsupported, Binding, HashVars, KeyVars, Translator, Val};
use crate::pipeline::{AggLayout, KeyLayout, Shape};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, Variable};
use grizzly_ir::{AggFunc, AggregateCall, DataType, Expr, PhysicalType, ScalarFunc};
use grizzly_runtime::{abi, Error, Result};

impl Translator<'_> {
    pub(super) fn translate_aggregate(&mut self, shape: &Shape<'_>) -> Result<()> {
        for (call, _) in shape.aggregates {
            if call.distinct {
                return unsupported("DISTINCT aggregates");
            }
            if !matches!(
                call.func,
                AggFunc::CountStar
                    | AggFunc::Count
                    | AggFunc::Sum
                    | AggFunc::Avg
                    | AggFunc::Min
                    | AggFunc::Max
            ) {
                return unsupported(format!("aggregate {:?}", call.func));
            }
            if let Some(e) = &call.arg {
                let t = e.data_type();
                let counted_string = call.func == AggFunc::Count && t == DataType::Varchar;
                if !counted_string && !matches!(t.physical(), PhysicalType::I32 | PhysicalType::I64)
                {
                    return unsupported(format!("aggregates over {t}"));
                }
            }
        }
        if !self.aggs_laid_out {
            self.lay_out_aggregates(shape);
            self.aggs_laid_out = true;
        }

        // The group's state address (grouped) or accumulator variables (single group).
        let grouped = !shape.group_by.is_empty();
        let base = if grouped {
            let group = self.translate_keys(shape)?;
            let slot = self.state_slot(group);
            let state = self.b.use_var(self.state_var);
            let off = self.b.ins().imul_imm_s(slot, self.layout.stride as i64);
            Some(self.b.ins().iadd(state, off))
        } else {
            None
        };
        self.update(base, 0, types::I64, |b, c| b.ins().iadd_imm_s(c, 1));
        for (k, (call, _)) in shape.aggregates.iter().enumerate() {
            let Some(arg) = &call.arg else { continue };
            if self.layout.aggs[k].shares.is_some() {
                // Its twin updates the shared sum.
                continue;
            }
            let (x, ty) = match self.string_column_null(arg) {
                // Only whether it is NULL counts.
                Some(null) if call.func == AggFunc::Count => {
                    let v = self.b.ins().iconst(types::I64, 0);
                    (Val { v, null }, DataType::Int64)
                }
                _ => self.translate_expr(arg)?,
            };
            let AggLayout {
                func,
                offset,
                nulls,
                ..
            } = self.layout.aggs[k].clone();
            match (x.null, nulls) {
                (Some(null), Some(at)) => {
                    let n = self.b.ins().uextend(types::I64, null);
                    self.update(base, at, types::I64, |b, c| b.ins().iadd(c, n));
                }
                // `may_be_null` said it could not be (a gap there, never a wrong result).
                (Some(_), None) => return unsupported("an aggregate argument of unknown nullness"),
                _ => {}
            }
            match func {
                AggFunc::Sum | AggFunc::Avg => {
                    let v = match x.null {
                        None => x.v,
                        Some(n) => {
                            let zero = self.b.ins().iconst(clif_type(ty)?, 0);
                            self.b.ins().select(n, zero, x.v)
                        }
                    };
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
                        let better = b.ins().icmp(cc, x.v, acc);
                        let better = match x.null {
                            None => better,
                            Some(n) => b.ins().band_not(better, n),
                        };
                        b.ins().select(better, x.v, acc)
                    });
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// Byte offsets of the accumulators and NULL counts, and the slot stride. Decided before
    /// the arguments are translated (so the code keeps the order of the plan: keys, then
    /// each argument with its update), from what may be NULL in the loop being translated,
    /// the NULL-aware one if there is one.
    fn lay_out_aggregates(&mut self, shape: &Shape<'_>) {
        let mut offset = 8usize;
        let mut aggs = Vec::with_capacity(shape.aggregates.len());
        for (k, (call, _)) in shape.aggregates.iter().enumerate() {
            // SUM and AVG of the same argument share one sum (and NULL count).
            let summed = |c: &AggregateCall| matches!(c.func, AggFunc::Sum | AggFunc::Avg);
            let twin = (summed(call) && call.arg.is_some()).then(|| {
                shape.aggregates[..k]
                    .iter()
                    .position(|(c, _)| summed(c) && c.arg == call.arg)
            });
            if let Some(Some(first)) = twin {
                let first: &AggLayout = &aggs[first];
                aggs.push(AggLayout {
                    func: call.func,
                    ty: call.ty,
                    arg_ty: first.arg_ty,
                    offset: first.offset,
                    nulls: None,
                    shares: Some(first.offset),
                });
                continue;
            }
            let off = match call.func {
                AggFunc::Sum | AggFunc::Avg => {
                    offset = offset.next_multiple_of(16);
                    offset += 16;
                    offset - 16
                }
                AggFunc::Min | AggFunc::Max => {
                    offset += 8;
                    offset - 8
                }
                _ => 0,
            };
            aggs.push(AggLayout {
                func: call.func,
                ty: call.ty,
                arg_ty: call.arg.as_ref().map(Expr::data_type),
                offset: off,
                nulls: None,
                shares: None,
            });
        }
        for (a, (call, _)) in aggs.iter_mut().zip(shape.aggregates) {
            if a.shares.is_none() && call.arg.as_ref().is_some_and(|e| self.may_be_null(e)) {
                a.nulls = Some(offset);
                offset += 8;
            }
        }
        // A twin reads its first's NULL count.
        for k in 0..aggs.len() {
            if let Some(at) = aggs[k].shares {
                aggs[k].nulls = aggs
                    .iter()
                    .find(|a| a.shares.is_none() && a.offset == at)
                    .and_then(|a| a.nulls);
            }
        }
        self.layout.aggs = aggs;
        self.layout.stride = offset.next_multiple_of(16);
    }

    /// False only if the translated `e` certainly has no NULL flag in the current loop
    /// (conservative: anything unknown may be NULL).
    fn may_be_null(&self, e: &Expr) -> bool {
        match e {
            Expr::Column { id, .. } => match self.env.get(id) {
                Some(Binding::Scan(slot, _)) => self.nulls && self.nullable[*slot],
                Some(Binding::Value(v, _)) => v.null.is_some(),
                // The driver hands over build columns without NULLs only.
                Some(Binding::Build(..)) => false,
                None => true,
            },
            Expr::Literal { value, .. } => value.is_null(),
            Expr::Param { .. } => self.nulls,
            Expr::IsNull { .. } => false,
            Expr::Not(x) | Expr::Negate(x) | Expr::Cast { expr: x, .. } => self.may_be_null(x),
            Expr::Binary { left, right, .. } => self.may_be_null(left) || self.may_be_null(right),
            Expr::Case { whens, else_, .. } => {
                whens.iter().any(|(_, then)| self.may_be_null(then))
                    || else_.as_deref().is_none_or(|x| self.may_be_null(x))
            }
            Expr::Function {
                func: ScalarFunc::Coalesce,
                args,
                ..
            } => args.iter().all(|x| self.may_be_null(x)),
            _ => true,
        }
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

    /// The state slot of group number `group`: the number itself in direct-indexed mode
    /// (`hash_keys` null), else its hash-table slot, inserting the group if it is new.
    fn state_slot(&mut self, group: Value) -> Value {
        let h = match self.hash_vars {
            Some(h) => h,
            None => {
                let h = HashVars {
                    keys: self.b.declare_var(types::I64),
                    shift: self.b.declare_var(types::I64),
                    mask: self.b.declare_var(types::I64),
                };
                self.hash_vars = Some(h);
                h
            }
        };
        let slot = self.b.declare_var(types::I64);
        let direct = self.b.create_block();
        let probe = self.b.create_block();
        let look = self.b.create_block();
        let miss = self.b.create_block();
        let step = self.b.create_block();
        let insert = self.b.create_block();
        let done = self.b.create_block();
        let flags = MemFlagsData::trusted();

        let keys = self.b.use_var(h.keys);
        self.b.ins().brif(keys, probe, &[], direct, &[]);

        self.b.switch_to_block(direct);
        self.b.def_var(slot, group);
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(probe);
        let hashed = self.b.ins().imul_imm_s(group, abi::HASH_MULTIPLIER as i64);
        let shift = self.b.use_var(h.shift);
        let start = self.b.ins().ushr(hashed, shift);
        self.b.def_var(slot, start);
        self.b.ins().jump(look, &[]);

        // look: the slot holds the group → done; empty → insert; else the next slot.
        self.b.switch_to_block(look);
        let at = self.b.use_var(slot);
        let keys = self.b.use_var(h.keys);
        let off = self.b.ins().ishl_imm_u(at, 3);
        let addr = self.b.ins().iadd(keys, off);
        let held = self.b.ins().load(types::I64, flags, addr, 0);
        let found = self.b.ins().icmp(IntCC::Equal, held, group);
        self.b.ins().brif(found, done, &[], miss, &[]);

        self.b.switch_to_block(miss);
        let empty = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, held, abi::HASH_EMPTY as i64);
        self.b.ins().brif(empty, insert, &[], step, &[]);

        self.b.switch_to_block(step);
        let mask = self.b.use_var(h.mask);
        let next = self.b.ins().iadd_imm_s(at, 1);
        let next = self.b.ins().band(next, mask);
        self.b.def_var(slot, next);
        self.b.ins().jump(look, &[]);

        self.b.switch_to_block(insert);
        self.b.ins().store(flags, group, addr, 0);
        let ctx = self.b.use_var(self.ctx_var);
        let used = self
            .b
            .ins()
            .load(types::I64, flags, ctx, abi::CTX_USED_OFFSET);
        let used = self.b.ins().iadd_imm_s(used, 1);
        self.b.ins().store(flags, used, ctx, abi::CTX_USED_OFFSET);
        self.b.ins().jump(done, &[]);

        self.b.switch_to_block(done);
        self.b.use_var(slot)
    }

    /// The group number of the current row: `sum(index_k * stride_k)`.
    fn translate_keys(&mut self, shape: &Shape<'_>) -> Result<Value> {
        let mut slot: Option<Value> = None;
        for (k, (e, _)) in shape.group_by.iter().enumerate() {
            let Expr::Column { id, .. } = e else {
                return unsupported("GROUP BY expressions other than columns");
            };
            // A key is a scanned column, or an integer column of a build side (whose values
            // the driver ranges over when it builds the join).
            let (s, build, ty) = match self.env.get(id).copied() {
                Some(Binding::Scan(s, ty)) => (s, None, ty),
                Some(Binding::Build(j, f, ty)) if ty != DataType::Varchar => {
                    (usize::MAX, Some((j, f)), ty)
                }
                _ => return unsupported("GROUP BY a computed column"),
            };
            let dict = match ty {
                DataType::Varchar => true,
                DataType::Int32 | DataType::Int64 | DataType::Date => false,
                DataType::Decimal { .. } if ty.physical() == PhysicalType::I64 => false,
                _ => return unsupported(format!("GROUP BY a {ty} column")),
            };
            if k == self.layout.keys.len() {
                self.layout.keys.push(KeyLayout {
                    slot: s,
                    build,
                    ty,
                    dict,
                    nullable: build.is_none() && self.nullable[s],
                });
                let vars = KeyVars {
                    base: self.b.declare_var(types::I64),
                    stride: self.b.declare_var(types::I64),
                    limit: self.b.declare_var(types::I64),
                    dict: dict.then(|| self.b.declare_var(types::I64)),
                };
                self.key_vars.push(vars);
            }
            let vars = self.key_vars[k];
            let null = if build.is_some() {
                None
            } else {
                self.load_null(s)
            };
            let stride = self.b.use_var(vars.stride);
            let index = if let Some(map) = vars.dict {
                let map = self.b.use_var(map);
                // Every code (NULL rows' too) is below its dictionary's length.
                let code = self.load_column(s, types::I32);
                let code = self.b.ins().uextend(types::I64, code);
                let off = self.b.ins().ishl_imm_u(code, 2);
                let addr = self.b.ins().iadd(map, off);
                let ro = MemFlagsData::trusted().with_readonly();
                let gid = self.b.ins().load(types::I32, ro, addr, 0);
                self.b.ins().uextend(types::I64, gid)
            } else {
                let t = clif_type(ty)?;
                let v = match build {
                    Some(_) => self.translate_column(*id)?.0.v,
                    None => self.load_column(s, t),
                };
                let v = if t == types::I64 {
                    v
                } else {
                    self.b.ins().sextend(types::I64, v)
                };
                let base = self.b.use_var(vars.base);
                let limit = self.b.use_var(vars.limit);
                let index = self.b.ins().isub(v, base);
                let inside = self.b.ins().icmp(IntCC::UnsignedLessThan, index, limit);
                // A NULL row's value is arbitrary: it goes to the NULL group unchecked.
                let inside = match null {
                    None => inside,
                    Some(n) => self.b.ins().bor(inside, n),
                };
                let ok = self.b.create_block();
                self.b.ins().brif(inside, ok, &[], self.key_range, &[]);
                self.b.switch_to_block(ok);
                index
            };
            let index = match null {
                None => index,
                Some(n) => {
                    // Not read otherwise: an unused variable would still cross the loop.
                    let limit = self.b.use_var(vars.limit);
                    self.b.ins().select(n, limit, index)
                }
            };
            let part = self.b.ins().imul(index, stride);
            slot = Some(match slot {
                None => part,
                Some(s) => self.b.ins().iadd(s, part),
            });
        }
        slot.ok_or_else(|| Error::Internal("grouped aggregate without keys".into()))
    }
}
