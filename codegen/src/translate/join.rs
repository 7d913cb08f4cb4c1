//! Probing a hash join inside the row loop (`Stage::Probe`).
//!
//! ```text
//! (row)   key = probe key; NULL → exit; r = heads[hash_start(key)]
//! header: r == JOIN_NONE ? exit : body
//! body:   keys[r] == key ? matched : step
//! step:   r = next[r]; jump header
//! matched: the build columns are read at row r; later stages run, and a row they reject
//!         (or finish) goes to `step`, the next build row of the chain
//! ```
//! `exit` is what rejected rows went to before the join: the next row, or the next build row
//! of the join below. So joins nest as loops, innermost (nearest the scan) outermost.

use super::{clif_type, int_like, unsupported, Binding, Translator};
use crate::pipeline::{JoinLayout, Probe};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Type, Value};
use cranelift_frontend::Variable;
use grizzly_runtime::{abi, Result};

/// The variables of one probed join's table (loaded in the entry block from `JoinCtx`).
pub(super) struct JoinVars {
    pub heads: Variable,
    pub next: Variable,
    pub keys: Variable,
    pub shift: Variable,
    /// Per build column read: the base of its values.
    pub payload: Vec<Option<Variable>>,
    /// The build row of the chain being visited.
    pub row: Variable,
}

impl Translator<'_> {
    pub(super) fn translate_probe(&mut self, join: usize, p: &Probe<'_>) -> Result<()> {
        let (kt, bt) = (p.probe_key.data_type(), p.build_key.data_type());
        if kt != bt || !(int_like(kt) || kt == grizzly_ir::DataType::Date) {
            return unsupported(format!("a join on {kt} = {bt}"));
        }
        let t = clif_type(kt)?;
        let fields = p.build.fields();
        if join == self.layout.joins.len() {
            self.layout.joins.push(JoinLayout {
                used: vec![false; fields.len()],
                fields: fields.clone(),
            });
            let vars = JoinVars {
                heads: self.b.declare_var(types::I64),
                next: self.b.declare_var(types::I64),
                keys: self.b.declare_var(types::I64),
                shift: self.b.declare_var(types::I64),
                payload: vec![None; fields.len()],
                row: self.b.declare_var(types::I64),
            };
            self.join_vars.push(vars);
        }
        let key = self.translate_expr(p.probe_key)?.0;
        let exit = self.next;
        if let Some(null) = key.null {
            // A NULL key matches nothing.
            let go = self.b.create_block();
            self.b.ins().brif(null, exit, &[], go, &[]);
            self.b.switch_to_block(go);
        }
        let key = if t == types::I64 {
            key.v
        } else {
            self.b.ins().sextend(types::I64, key.v)
        };
        let (heads, next, keys, shift, row) = {
            let v = &self.join_vars[join];
            (v.heads, v.next, v.keys, v.shift, v.row)
        };
        let header = self.b.create_block();
        let body = self.b.create_block();
        let step = self.b.create_block();
        let matched = self.b.create_block();
        let ro = MemFlagsData::trusted().with_readonly();

        let hashed = self.b.ins().imul_imm_s(key, abi::HASH_MULTIPLIER as i64);
        let shift = self.b.use_var(shift);
        let bucket = self.b.ins().ushr(hashed, shift);
        let first = self.load_u32_at(heads, bucket);
        self.b.def_var(row, first);
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(header);
        let r = self.b.use_var(row);
        let end = self
            .b
            .ins()
            .icmp_imm_s(IntCC::Equal, r, abi::JOIN_NONE as i64);
        self.b.ins().brif(end, exit, &[], body, &[]);

        self.b.switch_to_block(body);
        let base = self.b.use_var(keys);
        let off = self.b.ins().ishl_imm_u(r, 3);
        let addr = self.b.ins().iadd(base, off);
        let held = self.b.ins().load(types::I64, ro, addr, 0);
        let same = self.b.ins().icmp(IntCC::Equal, held, key);
        self.b.ins().brif(same, matched, &[], step, &[]);

        self.b.switch_to_block(step);
        let r = self.b.use_var(row);
        let following = self.load_u32_at(next, r);
        self.b.def_var(row, following);
        self.b.ins().jump(header, &[]);

        self.b.switch_to_block(matched);
        for (f, field) in fields.iter().enumerate() {
            self.env.insert(field.id, Binding::Build(join, f, field.ty));
        }
        self.next = step;
        // An inner join's residual condition is a filter on the matching pairs.
        if let Some(f) = p.filter {
            self.translate_filters(&f.clone().split_conjunction())?;
        }
        Ok(())
    }

    /// `u32` entry `index` of the array whose base is in `array`, zero-extended.
    fn load_u32_at(&mut self, array: Variable, index: Value) -> Value {
        let base = self.b.use_var(array);
        let off = self.b.ins().ishl_imm_u(index, 2);
        let addr = self.b.ins().iadd(base, off);
        let ro = MemFlagsData::trusted().with_readonly();
        let v = self.b.ins().load(types::I32, ro, addr, 0);
        self.b.ins().uextend(types::I64, v)
    }

    /// Build column `column` of join `join` at the chain's current build row.
    pub(super) fn load_build_column(&mut self, join: usize, column: usize, t: Type) -> Value {
        self.layout.joins[join].used[column] = true;
        let var = match self.join_vars[join].payload[column] {
            Some(v) => v,
            None => {
                let v = self.b.declare_var(types::I64);
                self.join_vars[join].payload[column] = Some(v);
                v
            }
        };
        let base = self.b.use_var(var);
        let r = self.b.use_var(self.join_vars[join].row);
        let shift = t.bytes().trailing_zeros() as i64;
        let off = if shift == 0 {
            r
        } else {
            self.b.ins().ishl_imm_u(r, shift)
        };
        let addr = self.b.ins().iadd(base, off);
        let ro = MemFlagsData::trusted().with_readonly();
        self.b.ins().load(t, ro, addr, 0)
    }
}
