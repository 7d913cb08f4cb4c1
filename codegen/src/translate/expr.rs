//! Expressions: column and validity loads, constants, parameters, NOT/AND/OR (Kleene
//! logic), IS NULL, comparisons (also on dictionary codes) and checked arithmetic.
//!
//! NULL rules, as the interpreter's: arithmetic and comparisons are NULL if an operand is;
//! AND is FALSE if a side is FALSE, else NULL if a side is; OR is TRUE if a side is TRUE,
//! else NULL if a side is; NOT NULL is NULL. Overflow and division by zero only fail for a
//! row whose result is not NULL (the value slot of a NULL is arbitrary).

use super::{
    cannot_fail, clif_type, imm, int_like, physical, unsupported, Binding, Translator, Val,
};
use crate::pipeline::{ConstSource, StrConst};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Type, Value};
use grizzly_ir::{BinaryOp, ColumnId, DataType, Expr, PhysicalType, ScalarFunc};
use grizzly_runtime::{Error, Result};

/// Loads of a row's column value or validity word: the mapped segments never change while
/// a morsel runs and every row below `rows` is in bounds, so the load is pure for
/// Cranelift (`can_move`): it is placed where its value is first needed, next to its
/// compare, instead of where it was emitted (which keeps an unrolled skip chunk from
/// holding every loaded value at once), and repeated loads of one address merge.
fn column_flags() -> MemFlagsData {
    MemFlagsData::trusted().with_readonly().with_can_move()
}

impl Translator<'_> {
    /// Loads column `slot`'s value of the current row.
    pub(super) fn load_column(&mut self, slot: usize, t: Type) -> Value {
        if let Some(v) = self.cache.get(&slot) {
            return *v;
        }
        self.layout.slots[slot].used = true;
        let var = *self
            .col_vars
            .entry(slot)
            .or_insert_with(|| self.b.declare_var(types::I64));
        let base = self.b.use_var(var);
        let shift = t.bytes().trailing_zeros() as i64;
        let (row, delta) = self.row_at;
        let off = if shift == 0 {
            row
        } else {
            self.b.ins().ishl_imm_u(row, shift)
        };
        let addr = self.b.ins().iadd(base, off);
        let delta = i32::try_from(delta << shift).expect("small row delta");
        let v = self.b.ins().load(t, column_flags(), addr, delta);
        if self.depth == 0 {
            self.cache.insert(slot, v);
        }
        v
    }

    /// The NULL flag of column `slot` in the current row: `None` in the NULL-free loop and
    /// for columns the schema declares NOT NULL; else bit `row` of the validity bitmap,
    /// inverted.
    pub(super) fn load_null(&mut self, slot: usize) -> Option<Value> {
        if !(self.nulls && self.nullable[slot]) {
            return None;
        }
        if let Some(n) = self.null_cache.get(&slot) {
            return Some(*n);
        }
        self.layout.slots[slot].used = true;
        self.layout.slots[slot].nullable = true;
        let var = *self
            .valid_vars
            .entry(slot)
            .or_insert_with(|| self.b.declare_var(types::I64));
        let bits = self.b.use_var(var);
        let word = self.b.ins().ushr_imm_u(self.row, 6);
        let off = self.b.ins().ishl_imm_u(word, 3);
        let addr = self.b.ins().iadd(bits, off);
        let word = self.b.ins().load(types::I64, column_flags(), addr, 0);
        // Shift amounts are taken modulo 64.
        let bit = self.b.ins().ushr(word, self.row);
        let bit = self.b.ins().band_imm_u(bit, 1);
        let null = self.b.ins().icmp_imm_s(IntCC::Equal, bit, 0);
        if self.depth == 0 {
            self.null_cache.insert(slot, null);
        }
        Some(null)
    }

    /// 1 where either is NULL.
    pub(super) fn either_null(&mut self, a: Option<Value>, b: Option<Value>) -> Option<Value> {
        match (a, b) {
            (None, x) | (x, None) => x,
            (Some(a), Some(b)) => Some(self.b.ins().bor(a, b)),
        }
    }

    /// The 0/1 flag `x`, forced to 0 where `null` is set.
    pub(super) fn unless_null(&mut self, x: Value, null: Option<Value>) -> Value {
        match null {
            None => x,
            Some(n) => self.b.ins().band_not(x, n),
        }
    }

    pub(super) fn translate_bool(&mut self, e: &Expr) -> Result<Val> {
        let (v, ty) = self.translate_expr(e)?;
        if ty != DataType::Boolean {
            return unsupported(format!("a {ty} used as a condition"));
        }
        Ok(v)
    }

    /// The value of `e` for the current row, with its SQL type. A computed expression met
    /// again in the same row (`a * (1 - b)` inside `a * (1 - b) * (1 + c)`) reuses the value
    /// computed in straight-line code the first time (which dominates every later use).
    pub(super) fn translate_expr(&mut self, e: &Expr) -> Result<(Val, DataType)> {
        let computed = !matches!(
            e,
            Expr::Column { .. } | Expr::Literal { .. } | Expr::Param { .. }
        );
        if computed {
            if let Some((_, v, ty)) = self.memo.iter().find(|(x, _, _)| x == e) {
                return Ok((*v, *ty));
            }
        }
        let (v, ty) = self.translate_expr_once(e)?;
        if computed && self.depth == 0 {
            self.memo.push((e.clone(), v, ty));
        }
        Ok((v, ty))
    }

    fn translate_expr_once(&mut self, e: &Expr) -> Result<(Val, DataType)> {
        match e {
            Expr::Column { id, .. } => self.translate_column(*id),
            Expr::Literal { value, ty } => self.translate_literal(value, *ty),
            Expr::Param { index, ty } => self.translate_param(*index, *ty),
            Expr::Not(x) => {
                let x = self.translate_bool(x)?;
                // TRUE and NULL (whose `v` is 0) both give 0.
                let v = match x.null {
                    None => x.v,
                    Some(n) => self.b.ins().bor(x.v, n),
                };
                let v = self.b.ins().bxor_imm_u(v, 1);
                Ok((Val { v, null: x.null }, DataType::Boolean))
            }
            Expr::Negate(x) => self.translate_negate(x),
            Expr::Binary {
                op,
                left,
                right,
                ty,
            } => self.translate_binary(*op, left, right, *ty),
            Expr::IsNull { expr, negated } => {
                // Evaluated for its errors too, as the interpreter does.
                let null = match self.string_column_null(expr) {
                    Some(null) => null,
                    None => self.translate_expr(expr)?.0.null,
                };
                let v = match null {
                    None => self.b.ins().iconst(types::I8, *negated as i64),
                    Some(n) if *negated => self.b.ins().bxor_imm_u(n, 1),
                    Some(n) => n,
                };
                Ok((Val::new(v), DataType::Boolean))
            }
            Expr::Cast { expr, ty } => {
                let (v, from) = self.translate_expr(expr)?;
                Ok((self.translate_cast(v, from, *ty)?, *ty))
            }
            Expr::Case { whens, else_, ty } => self.translate_case(whens, else_.as_deref(), *ty),
            Expr::Function {
                func: ScalarFunc::Coalesce,
                args,
                ty,
            } => self.translate_coalesce(args, *ty),
            Expr::InList {
                expr,
                list,
                negated,
            } => self.translate_in_list(e, expr, list, *negated),
            Expr::Like { expr, pattern, .. } => self.translate_dict_pred(e, expr, vec![pattern]),
            other => {
                let text = format!("{other:?}");
                let name = text.split(['(', ' ', '{']).next().unwrap_or("?");
                unsupported(format!("expression {name}"))
            }
        }
    }

    /// The NULL flag of a scanned string column (whose value the code cannot hold), for
    /// `IS NULL` and `COUNT`; `None` if `e` is something else.
    pub(super) fn string_column_null(&mut self, e: &Expr) -> Option<Option<Value>> {
        let Expr::Column { id, .. } = e else {
            return None;
        };
        match self.env.get(id) {
            Some(Binding::Scan(slot, DataType::Varchar)) => Some(self.load_null(*slot)),
            _ => None,
        }
    }

    pub(super) fn translate_column(&mut self, id: ColumnId) -> Result<(Val, DataType)> {
        match self.env.get(&id).copied() {
            Some(Binding::Value(v, ty)) => Ok((v, ty)),
            Some(Binding::Build(join, column, ty)) => {
                let v = self.load_build_column(join, column, clif_type(ty)?);
                Ok((Val::new(v), ty))
            }
            Some(Binding::Scan(slot, ty)) => {
                let t = clif_type(ty)?;
                let v = self.load_column(slot, t);
                let null = self.load_null(slot);
                // A NULL boolean reads as "not TRUE".
                let v = if t == types::I8 {
                    self.unless_null(v, null)
                } else {
                    v
                };
                Ok((Val { v, null }, ty))
            }
            None => Err(Error::Internal(format!("column {} not in scope", id.0))),
        }
    }

    fn translate_literal(
        &mut self,
        value: &grizzly_ir::Value,
        ty: DataType,
    ) -> Result<(Val, DataType)> {
        let t = clif_type(ty)?;
        if value.is_null() {
            let v = self.b.ins().iconst(t, 0);
            let null = self.b.ins().iconst(types::I8, 1);
            return Ok((
                Val {
                    v,
                    null: Some(null),
                },
                ty,
            ));
        }
        let Some(x) = physical(value, ty) else {
            return unsupported(format!("the constant {value} of type {ty}"));
        };
        Ok((Val::new(self.b.ins().iconst(t, imm(t, x))), ty))
    }

    /// A parameter: possibly NULL in the NULL-aware loop (a NULL one is 0 in `params`, so
    /// a NULL boolean reads as "not TRUE"), never in the NULL-free one.
    fn translate_param(&mut self, index: usize, ty: DataType) -> Result<(Val, DataType)> {
        let t = clif_type(ty)?;
        let k = match self.layout.params.iter().position(|p| *p == (index, ty)) {
            Some(k) => k,
            None => {
                self.layout.params.push((index, ty));
                let var = self.b.declare_var(t);
                self.param_vars.push(var);
                self.layout.params.len() - 1
            }
        };
        let v = self.b.use_var(self.param_vars[k]);
        let null = if self.nulls {
            let var = *self
                .param_null_vars
                .entry(k)
                .or_insert_with(|| self.b.declare_var(types::I8));
            Some(self.b.use_var(var))
        } else {
            None
        };
        Ok((Val { v, null }, ty))
    }

    fn translate_negate(&mut self, x: &Expr) -> Result<(Val, DataType)> {
        let (x, ty) = self.translate_expr(x)?;
        if !int_like(ty) {
            return unsupported(format!("negating a {ty}"));
        }
        let t = clif_type(ty)?;
        let zero = self.b.ins().iconst(t, 0);
        let (r, of) = self.b.ins().ssub_overflow(zero, x.v);
        self.check(of, x.null);
        Ok((Val { v: r, null: x.null }, ty))
    }

    /// Continues only if `failed` is 0 or the result is NULL; otherwise returns the
    /// overflow status.
    pub(super) fn check(&mut self, failed: Value, null: Option<Value>) {
        let failed = self.unless_null(failed, null);
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
    ) -> Result<(Val, DataType)> {
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

    /// AND/OR: branch-free when the right side cannot fail, otherwise the right side is only
    /// evaluated where the left one does not decide (AND: left not FALSE; OR: left not TRUE),
    /// as the interpreter does.
    fn translate_logic(
        &mut self,
        is_and: bool,
        left: &Expr,
        right: &Expr,
    ) -> Result<(Val, DataType)> {
        let l = self.translate_bool(left)?;
        if cannot_fail(right) {
            let r = self.translate_bool(right)?;
            return Ok((self.kleene(is_and, l, r), DataType::Boolean));
        }
        let out_v = self.b.declare_var(types::I8);
        let out_null = self.b.declare_var(types::I8);
        let rhs = self.b.create_block();
        let merge = self.b.create_block();
        // Where the left side decides, the result is its (non-NULL) value.
        self.b.def_var(out_v, l.v);
        let zero = self.b.ins().iconst(types::I8, 0);
        self.b.def_var(out_null, zero);
        if is_and {
            let not_false = match l.null {
                None => l.v,
                Some(n) => self.b.ins().bor(l.v, n),
            };
            self.b.ins().brif(not_false, rhs, &[], merge, &[]);
        } else {
            self.b.ins().brif(l.v, merge, &[], rhs, &[]);
        }
        self.b.switch_to_block(rhs);
        self.depth += 1;
        let r = self.translate_bool(right);
        self.depth -= 1;
        let out = self.kleene(is_and, l, r?);
        self.b.def_var(out_v, out.v);
        if let Some(n) = out.null {
            self.b.def_var(out_null, n);
        }
        self.b.ins().jump(merge, &[]);
        self.b.switch_to_block(merge);
        let v = self.b.use_var(out_v);
        let null = out.null.map(|_| self.b.use_var(out_null));
        Ok((Val { v, null }, DataType::Boolean))
    }

    /// `l AND r` or `l OR r` of two evaluated sides, branch-free.
    fn kleene(&mut self, is_and: bool, l: Val, r: Val) -> Val {
        let ins = |t: &mut Self, a, b| {
            if is_and {
                t.b.ins().band(a, b)
            } else {
                t.b.ins().bor(a, b)
            }
        };
        let v = ins(self, l.v, r.v);
        let Some(any_null) = self.either_null(l.null, r.null) else {
            return Val::new(v);
        };
        let null = if is_and {
            // NULL unless TRUE or either side is FALSE.
            let lf = self.is_false(l);
            let rf = self.is_false(r);
            let f = self.b.ins().bor(lf, rf);
            let known = self.b.ins().bor(v, f);
            self.b.ins().bxor_imm_u(known, 1)
        } else {
            // NULL unless TRUE, where a side is NULL.
            self.b.ins().band_not(any_null, v)
        };
        Val {
            v,
            null: Some(null),
        }
    }

    /// 1 where the boolean `x` is FALSE (not NULL).
    fn is_false(&mut self, x: Val) -> Value {
        let v = match x.null {
            None => x.v,
            Some(n) => self.b.ins().bor(x.v, n),
        };
        self.b.ins().bxor_imm_u(v, 1)
    }

    fn translate_compare(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
    ) -> Result<(Val, DataType)> {
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
        let v = self.b.ins().icmp(cc, l.v, r.v);
        let null = self.either_null(l.null, r.null);
        let v = self.unless_null(v, null);
        Ok((Val { v, null }, DataType::Boolean))
    }

    /// `column op constant` on a dictionary-encoded string column: the driver turns the
    /// constant into a code of each morsel's (sorted) dictionary, so this compares codes.
    fn translate_str_compare(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
    ) -> Result<(Val, DataType)> {
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
        let null = self.load_null(slot);
        let sc = StrConst { slot, op, value };
        // Both loops translate the same comparisons: share the constant and its variable.
        let k = match self.layout.str_consts.iter().position(|c| *c == sc) {
            Some(k) => k,
            None => {
                self.layout.str_consts.push(sc);
                self.str_vars.push(self.b.declare_var(types::I32));
                self.layout.str_consts.len() - 1
            }
        };
        let c = self.b.use_var(self.str_vars[k]);
        let cc = match op {
            BinaryOp::Eq => IntCC::Equal,
            BinaryOp::NotEq => IntCC::NotEqual,
            BinaryOp::Lt | BinaryOp::LtEq => IntCC::UnsignedLessThan,
            _ => IntCC::UnsignedGreaterThanOrEqual,
        };
        let v = self.b.ins().icmp(cc, code, c);
        let v = self.unless_null(v, null);
        Ok((Val { v, null }, DataType::Boolean))
    }

    /// `+ - *` with the interpreter's overflow checks: both operands have the result's type,
    /// except DECIMAL products (scales add up) and DATE - DATE (INTEGER days).
    fn translate_arith(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        ty: DataType,
    ) -> Result<(Val, DataType)> {
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
        let null = self.either_null(l.null, r.null);
        let (v, of) = match op {
            BinaryOp::Add => self.b.ins().sadd_overflow(l.v, r.v),
            BinaryOp::Sub => self.b.ins().ssub_overflow(l.v, r.v),
            _ => self.b.ins().smul_overflow(l.v, r.v),
        };
        self.check(of, null);
        if date_diff && ty == DataType::Int64 {
            return Ok((
                Val {
                    v: self.b.ins().sextend(types::I64, v),
                    null,
                },
                ty,
            ));
        }
        Ok((Val { v, null }, ty))
    }

    /// Integer `/` (truncating) and `%` (also on decimals of one scale), as the interpreter:
    /// division by zero and `MIN / -1` are errors, `MIN % -1` is 0. A NULL row divides by 1
    /// instead of its arbitrary divisor (the hardware faults on 0 and `MIN / -1`).
    fn translate_div(
        &mut self,
        op: BinaryOp,
        left: &Expr,
        right: &Expr,
        ty: DataType,
    ) -> Result<(Val, DataType)> {
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
        let null = self.either_null(l.null, r.null);
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, r.v, 0);
        self.check(zero, null);
        let minus_one = self.b.ins().icmp_imm_s(IntCC::Equal, r.v, -1);
        let one = self.b.ins().iconst(t, 1);
        if op == BinaryOp::Div {
            let min = if t == types::I32 {
                i32::MIN as i64
            } else {
                i64::MIN
            };
            let is_min = self.b.ins().icmp_imm_s(IntCC::Equal, l.v, min);
            let of = self.b.ins().band(is_min, minus_one);
            self.check(of, null);
            let divisor = match null {
                None => r.v,
                Some(n) => self.b.ins().select(n, one, r.v),
            };
            return Ok((
                Val {
                    v: self.b.ins().sdiv(l.v, divisor),
                    null,
                },
                ty,
            ));
        }
        // x % -1 is 0; dividing by 1 instead avoids the hardware's MIN % -1 fault.
        let by_one = match null {
            None => minus_one,
            Some(n) => self.b.ins().bor(minus_one, n),
        };
        let safe = self.b.ins().select(by_one, one, r.v);
        Ok((
            Val {
                v: self.b.ins().srem(l.v, safe),
                null,
            },
            ty,
        ))
    }
}
