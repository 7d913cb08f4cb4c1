//! Casts and the lazy conditionals: searched CASE and COALESCE.
//!
//! A CASE branch is evaluated only on the rows whose WHEN is TRUE (a NULL condition falls
//! through, as FALSE does), a missing ELSE is NULL, and COALESCE evaluates an argument only
//! where every argument before it was NULL, as the interpreter does. The result of a
//! conditional crosses the join point in frontend variables; it has a NULL flag only if a
//! branch can be NULL.

use super::{clif_type, int_like, max_of, unsupported, Translator, Val};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder};
use cranelift_frontend::Variable;
use grizzly_ir::types::pow10;
use grizzly_ir::{DataType, Expr};
use grizzly_runtime::Result;

/// The variables a conditional's branches assign its result to.
struct Out {
    v: Variable,
    null: Variable,
    /// Some branch assigned a value that may be NULL.
    nullable: bool,
}

impl Translator<'_> {
    /// CAST between integer and decimal types, with the interpreter's range checks (for
    /// non-NULL values); only casts that keep or add fraction digits (no rounding).
    pub(super) fn translate_cast(&mut self, x: Val, from: DataType, to: DataType) -> Result<Val> {
        if from == to {
            return Ok(x);
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
            x.v
        } else {
            self.b.ins().sextend(types::I64, x.v)
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
            self.check(bad, x.null);
            r
        };
        let v = if tt == types::I64 {
            r
        } else {
            self.b.ins().ireduce(tt, r)
        };
        Ok(Val { v, null: x.null })
    }

    /// Searched CASE: each THEN is evaluated only on the rows that reach it.
    pub(super) fn translate_case(
        &mut self,
        whens: &[(Expr, Expr)],
        else_: Option<&Expr>,
        ty: DataType,
    ) -> Result<(Val, DataType)> {
        let t = clif_type(ty)?;
        let mut out = Out {
            v: self.b.declare_var(t),
            null: self.b.declare_var(types::I8),
            nullable: false,
        };
        let merge = self.b.create_block();
        self.depth += 1;
        let result: Result<()> = (|| {
            for (w, then) in whens {
                // A boolean's `v` is 0 where it is NULL: only TRUE takes the branch.
                let c = self.translate_bool(w)?.v;
                let (yes, no) = (self.b.create_block(), self.b.create_block());
                self.b.ins().brif(c, yes, &[], no, &[]);
                self.b.switch_to_block(yes);
                let (v, vt) = self.translate_expr(then)?;
                let v = self.translate_cast(v, vt, ty)?;
                self.assign(&mut out, v);
                self.b.ins().jump(merge, &[]);
                self.b.switch_to_block(no);
            }
            let v = match else_ {
                Some(e) => {
                    let (v, vt) = self.translate_expr(e)?;
                    self.translate_cast(v, vt, ty)?
                }
                None => Val {
                    v: self.b.ins().iconst(t, 0),
                    null: Some(self.b.ins().iconst(types::I8, 1)),
                },
            };
            self.assign(&mut out, v);
            self.b.ins().jump(merge, &[]);
            Ok(())
        })();
        self.depth -= 1;
        result?;
        self.b.switch_to_block(merge);
        Ok((self.result(&out), ty))
    }

    /// COALESCE: argument `k + 1` is evaluated only where arguments `0..=k` were NULL; an
    /// argument that cannot be NULL ends the chain (later ones are never evaluated).
    pub(super) fn translate_coalesce(
        &mut self,
        args: &[Expr],
        ty: DataType,
    ) -> Result<(Val, DataType)> {
        let t = clif_type(ty)?;
        let Some((first, rest)) = args.split_first() else {
            return unsupported("COALESCE without arguments");
        };
        let (v, vt) = self.translate_expr(first)?;
        let v = self.translate_cast(v, vt, ty)?;
        if v.null.is_none() || rest.is_empty() {
            return Ok((v, ty));
        }
        let mut out = Out {
            v: self.b.declare_var(t),
            null: self.b.declare_var(types::I8),
            nullable: false,
        };
        let merge = self.b.create_block();
        self.depth += 1;
        let result: Result<()> = (|| {
            let mut v = v;
            for (k, arg) in rest.iter().enumerate() {
                // Only reached with a NULL `v` when this is not the last argument.
                let Some(null) = v.null else { break };
                out.nullable = false;
                self.assign(&mut out, v);
                let next = self.b.create_block();
                self.b.ins().brif(null, next, &[], merge, &[]);
                self.b.switch_to_block(next);
                let (x, xt) = self.translate_expr(arg)?;
                v = self.translate_cast(x, xt, ty)?;
                if k + 1 == rest.len() || v.null.is_none() {
                    break;
                }
            }
            // The last argument evaluated decides whether the result can be NULL: every
            // earlier one reaches the join only where it is not NULL.
            out.nullable = false;
            self.assign(&mut out, v);
            self.b.ins().jump(merge, &[]);
            Ok(())
        })();
        self.depth -= 1;
        result?;
        self.b.switch_to_block(merge);
        Ok((self.result(&out), ty))
    }

    /// One branch's result: assigns `x` to `out` in the current block.
    fn assign(&mut self, out: &mut Out, x: Val) {
        self.b.def_var(out.v, x.v);
        let null = match x.null {
            Some(n) => {
                out.nullable = true;
                n
            }
            None => self.b.ins().iconst(types::I8, 0),
        };
        self.b.def_var(out.null, null);
    }

    /// The conditional's result at its join point.
    fn result(&mut self, out: &Out) -> Val {
        let v = self.b.use_var(out.v);
        let null = out.nullable.then(|| self.b.use_var(out.null));
        Val { v, null }
    }
}
