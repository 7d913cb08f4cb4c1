//! `IN` lists and `LIKE`.
//!
//! - `x [NOT] IN (a, b, …)` on integer-like values: one comparison per item, combined
//!   branch-free with SQL's rules (TRUE if an item equals x; else NULL if x or an item is
//!   NULL; else FALSE; NOT IN negates TRUE/FALSE and keeps NULL).
//! - `s [NOT] [I]LIKE p` and `s [NOT] IN (…)` on a dictionary-encoded string column `s` with
//!   constant (or parameter) operands: a *dictionary predicate*. The driver evaluates it with
//!   the interpreter's own evaluator over each morsel's dictionary, once per dictionary entry
//!   (so the semantics are the interpreter's by construction), and the code loads the byte
//!   of the row's code (`Morsel::dict_preds`: 0 FALSE, 1 TRUE, 2 NULL). Both forms are NULL
//!   where `s` is.

use super::{unsupported, Binding, Translator, Val};
use crate::pipeline::DictPred;
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData};
use grizzly_ir::{DataType, Expr};
use grizzly_runtime::{abi, Result};

impl Translator<'_> {
    pub(super) fn translate_in_list(
        &mut self,
        e: &Expr,
        x: &Expr,
        list: &[Expr],
        negated: bool,
    ) -> Result<(Val, DataType)> {
        if x.data_type() == DataType::Varchar {
            return self.translate_dict_pred(e, x, list.iter().collect());
        }
        let (xv, _) = self.translate_expr(x)?;
        let mut found: Option<cranelift_codegen::ir::Value> = None;
        let mut item_null: Option<cranelift_codegen::ir::Value> = None;
        for item in list {
            let (iv, _) = self.translate_expr(item)?;
            let eq = self.b.ins().icmp(IntCC::Equal, xv.v, iv.v);
            // An item that is NULL matches nothing but makes a miss NULL.
            let eq = self.unless_null(eq, iv.null);
            found = Some(match found {
                None => eq,
                Some(f) => self.b.ins().bor(f, eq),
            });
            item_null = self.either_null(item_null, iv.null);
        }
        let Some(found) = found else {
            return unsupported("an empty IN list");
        };
        // NULL: x is NULL, or no item matched and some item is NULL.
        let miss_null = item_null.map(|n| self.b.ins().band_not(n, found));
        let null = self.either_null(xv.null, miss_null);
        let v = if negated {
            self.b.ins().bxor_imm_u(found, 1)
        } else {
            found
        };
        let v = self.unless_null(v, null);
        Ok((Val { v, null }, DataType::Boolean))
    }

    /// `LIKE` or a string `IN` list: a dictionary predicate if `x` is a scanned string
    /// column and every other operand a constant or parameter.
    pub(super) fn translate_dict_pred(
        &mut self,
        e: &Expr,
        x: &Expr,
        operands: Vec<&Expr>,
    ) -> Result<(Val, DataType)> {
        let Expr::Column { id, .. } = x else {
            return unsupported("LIKE / IN on a computed string");
        };
        let Some(Binding::Scan(slot, DataType::Varchar)) = self.env.get(id).copied() else {
            return unsupported("LIKE / IN on a computed string");
        };
        if !operands
            .iter()
            .all(|o| matches!(o, Expr::Literal { .. } | Expr::Param { .. }))
        {
            return unsupported("LIKE / IN with operands other than constants");
        }
        let pred = DictPred {
            slot,
            column: *id,
            expr: e.clone(),
        };
        // Both loops translate the same predicates: share the table and its variable.
        let k = match self.layout.dict_preds.iter().position(|p| *p == pred) {
            Some(k) => k,
            None => {
                self.layout.dict_preds.push(pred);
                self.pred_vars.push(self.b.declare_var(types::I64));
                self.layout.dict_preds.len() - 1
            }
        };
        // Every code (a NULL row's too) is below its dictionary's length.
        let code = self.load_column(slot, types::I32);
        let column_null = self.load_null(slot);
        let table = self.b.use_var(self.pred_vars[k]);
        let code = self.b.ins().uextend(types::I64, code);
        let addr = self.b.ins().iadd(table, code);
        let ro = MemFlagsData::trusted().with_readonly();
        let byte = self.b.ins().load(types::I8, ro, addr, 0);
        let is_true = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, byte, abi::PRED_TRUE as i64);
        let is_null = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, byte, abi::PRED_NULL as i64);
        let null = match column_null {
            None => is_null,
            Some(n) => self.b.ins().bor(n, is_null),
        };
        let v = self.b.ins().band_not(is_true, null);
        Ok((
            Val {
                v,
                null: Some(null),
            },
            DataType::Boolean,
        ))
    }
}
