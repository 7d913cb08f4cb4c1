//! The aggregate sink: the group slot of a row and the accumulator updates.
//!
//! State layout per group slot (decided by the first loop translated, shared by both):
//! the row count (`i64`) at offset 0, then the accumulators (sum/avg `i128`, 16-aligned;
//! min/max 8 bytes), then one `i64` per aggregate whose argument may be NULL, counting the
//! rows where it was (COUNT(x) is the row count minus it; SUM/MIN/MAX/AVG skip those rows
//! and are NULL where it equals the row count). Without GROUP BY the single slot lives in
//! variables during the loop.
//!
//! Group slot: `sum(index_k * stride_k)`, with an integer key's index `value - base`
//! (range-checked against `limit`) and a string key's its global dictionary id; a NULL key
//! has index `limit`, one past the values.

use super::{clif_type, unsupported, Binding, KeyVars, Translator, Val};
use crate::pipeline::{AggLayout, KeyLayout, Shape};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::{FunctionBuilder, Variable};
use grizzly_ir::{AggFunc, DataType, Expr, PhysicalType};
use grizzly_runtime::{Error, Result};

impl Translator<'_> {
    pub(super) fn translate_aggregate(&mut self, shape: &Shape<'_>) -> Result<()> {
        // Arguments first: whether they may be NULL shapes the state.
        let mut args: Vec<Option<(Val, DataType)>> = Vec::with_capacity(shape.aggregates.len());
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
            let arg = match &call.arg {
                None => None,
                Some(e) => {
                    let t = e.data_type();
                    if !matches!(t.physical(), PhysicalType::I32 | PhysicalType::I64) {
                        return unsupported(format!("aggregates over {t}"));
                    }
                    Some(self.translate_expr(e)?)
                }
            };
            args.push(arg);
        }
        if !self.aggs_laid_out {
            self.lay_out_aggregates(shape, &args);
            self.aggs_laid_out = true;
        } else if args
            .iter()
            .zip(&self.layout.aggs)
            .any(|(a, l)| a.is_some_and(|(v, _)| v.null.is_some()) && l.nulls.is_none())
        {
            // The NULL-aware loop came first and can only see more NULLs.
            return Err(Error::Internal(
                "an aggregate argument is NULL only in the NULL-free loop".into(),
            ));
        }

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
        self.update(base, 0, types::I64, |b, c| b.ins().iadd_imm_s(c, 1));
        for (k, arg) in args.into_iter().enumerate() {
            let Some((x, ty)) = arg else { continue };
            let AggLayout {
                func,
                offset,
                nulls,
                ..
            } = self.layout.aggs[k].clone();
            if let (Some(null), Some(at)) = (x.null, nulls) {
                let n = self.b.ins().uextend(types::I64, null);
                self.update(base, at, types::I64, |b, c| b.ins().iadd(c, n));
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

    /// Byte offsets of the accumulators and NULL counts, and the slot stride.
    fn lay_out_aggregates(&mut self, shape: &Shape<'_>, args: &[Option<(Val, DataType)>]) {
        let mut offset = 8usize;
        let mut aggs = Vec::with_capacity(args.len());
        for ((call, _), arg) in shape.aggregates.iter().zip(args) {
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
                arg_ty: arg.map(|(_, t)| t),
                offset: off,
                nulls: None,
            });
        }
        for (a, arg) in aggs.iter_mut().zip(args) {
            if arg.is_some_and(|(v, _)| v.null.is_some()) {
                a.nulls = Some(offset);
                offset += 8;
            }
        }
        self.layout.aggs = aggs;
        self.layout.stride = offset.next_multiple_of(16);
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
        for (k, (e, _)) in shape.group_by.iter().enumerate() {
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
            if k == self.layout.keys.len() {
                self.layout.keys.push(KeyLayout {
                    slot: s,
                    ty,
                    dict,
                    nullable: self.nullable[s],
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
            let null = self.load_null(s);
            let limit = self.b.use_var(vars.limit);
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
                let v = self.load_column(s, t);
                let v = if t == types::I64 {
                    v
                } else {
                    self.b.ins().sextend(types::I64, v)
                };
                let base = self.b.use_var(vars.base);
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
                Some(n) => self.b.ins().select(n, limit, index),
            };
            let stride = self.b.use_var(vars.stride);
            let part = self.b.ins().imul(index, stride);
            slot = Some(match slot {
                None => part,
                Some(s) => self.b.ins().iadd(s, part),
            });
        }
        slot.ok_or_else(|| Error::Internal("grouped aggregate without keys".into()))
    }
}
