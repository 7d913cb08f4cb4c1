//! The output sink: each row that reaches the end of the pipeline is appended to the
//! driver's buffers at index `PipelineCtx::used`: its morsel row in `out_rows` (from which
//! the driver gathers the scanned columns passed through unchanged, of any type), and each
//! computed column's value (and NULL flag) in that column's buffers.

use super::{clif_type, Binding, Translator};
use crate::pipeline::OutputCol;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::Variable;
use grizzly_ir::Field;
use grizzly_runtime::abi;
use grizzly_runtime::Result;

impl Translator<'_> {
    /// Appends the current row's `fields` (the top node's columns) to the output buffers.
    pub(super) fn translate_output(&mut self, fields: &[Field]) -> Result<()> {
        // The first loop translated decides each column's kind; the second agrees (the
        // bindings are the same) and can only add NULL flags.
        let first = self.layout.outputs.is_empty();
        let flags = MemFlagsData::trusted();
        let ctx = self.b.use_var(self.ctx_var);
        let used = self
            .b
            .ins()
            .load(types::I64, flags, ctx, abi::CTX_USED_OFFSET);
        let rows_var = *self
            .out_rows_var
            .get_or_insert_with(|| self.b.declare_var(types::I64));
        let rows = self.b.use_var(rows_var);
        let at = self.b.ins().ishl_imm_u(used, 2);
        let addr = self.b.ins().iadd(rows, at);
        let row = self.b.ins().ireduce(types::I32, self.row);
        self.b.ins().store(flags, row, addr, 0);
        for (k, f) in fields.iter().enumerate() {
            let binding = self.env.get(&f.id).copied();
            let col = match binding {
                Some(Binding::Scan(slot, _)) => OutputCol::Gather { slot },
                _ => {
                    let (v, ty) = self.translate_column(f.id)?;
                    if ty != f.ty {
                        return super::unsupported(format!("an output column of {ty} as {}", f.ty));
                    }
                    let t = clif_type(ty)?;
                    let values = self.out_value_var(k);
                    let nulls = self.out_vars[&k].1;
                    let base = self.b.use_var(values);
                    let shift = t.bytes().trailing_zeros() as i64;
                    let at = self.b.ins().ishl_imm_u(used, shift);
                    let addr = self.b.ins().iadd(base, at);
                    self.b.ins().store(flags, v.v, addr, 0);
                    if let Some(null) = v.null {
                        let base = self.b.use_var(nulls);
                        let addr = self.b.ins().iadd(base, used);
                        self.b.ins().store(flags, null, addr, 0);
                    }
                    OutputCol::Value {
                        ty,
                        nullable: v.null.is_some(),
                    }
                }
            };
            if first {
                self.layout.outputs.push(col);
            } else {
                match (&mut self.layout.outputs[k], col) {
                    (OutputCol::Value { nullable, .. }, OutputCol::Value { nullable: n, .. }) => {
                        *nullable |= n
                    }
                    (a, b) if *a == b => {}
                    _ => {
                        return Err(grizzly_runtime::Error::Internal(
                            "the two loops disagree on an output column".into(),
                        ))
                    }
                }
            }
        }
        self.advance_used(used);
        Ok(())
    }

    /// Stores `PipelineCtx::used` past the row just written (`used` before it). Predicated:
    /// by the row's pass flag, so a row that did not pass is overwritten by the next one.
    pub(super) fn advance_used(&mut self, used: Value) {
        let used1 = match self.pass {
            Some(pass) => {
                let step = self.b.ins().uextend(types::I64, pass);
                self.b.ins().iadd(used, step)
            }
            None => self.b.ins().iadd_imm_s(used, 1),
        };
        let ctx = self.b.use_var(self.ctx_var);
        (self.b.ins()).store(MemFlagsData::trusted(), used1, ctx, abi::CTX_USED_OFFSET);
    }

    /// The variable of output column `k`'s value buffer (its NULL buffer's is declared with
    /// it: `out_vars[k].1`).
    pub(super) fn out_value_var(&mut self, k: usize) -> Variable {
        let b = &mut self.b;
        self.out_vars
            .entry(k)
            .or_insert_with(|| (b.declare_var(types::I64), b.declare_var(types::I64)))
            .0
    }
}
