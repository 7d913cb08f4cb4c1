//! The hash-join build sink: each row that reaches the end of a build side's pipeline is
//! appended, at index `PipelineCtx::used`, to the join's build rows (see `runtime::abi`):
//!
//! ```text
//! (row)    key = build key; NULL → next row (a NULL key matches nothing)
//!          stored columns' values; a NULL one → return STATUS_FALLBACK
//!          keys[used] = key; hashes[used] = key * HASH_MULTIPLIER; payload_c[used] = value_c
//!          (a scanned column stored as it is: rows[used] = the morsel row; the driver
//!          gathers it after the call)
//!          used += 1
//! ```
//! Only sequential writes: the rows are linked into buckets after the pipeline, when their
//! number is known (`build_table`). Linking here, row by row, was measured slower: the scan
//! streams the cache empty, so every bucket access missed it (TPC-H Q14 at SF 1: 21 ms
//! against 14.5 for the interpreter's rows hashed afterwards; 38% of the build function's
//! samples on the bucket load).

use super::{clif_type, int_like, unsupported, Binding, Translator};
use crate::pipeline::BuildSink;
use cranelift_codegen::ir::{types, InstBuilder, MemFlagsData, Value};
use cranelift_frontend::Variable;
use grizzly_ir::{DataType, Expr};
use grizzly_runtime::{abi, Result};

/// The variables of the build rows' arrays (loaded in the entry block from `PipelineCtx`).
#[derive(Clone, Copy)]
pub(super) struct BuildVars {
    pub keys: Variable,
    pub hashes: Variable,
}

impl Translator<'_> {
    /// Appends the current row to the join's build rows; `sparse`: the pipeline can drop
    /// rows (the scanned columns it stores as they are are then gathered by the driver).
    pub(super) fn translate_build(&mut self, sink: &BuildSink<'_>, sparse: bool) -> Result<()> {
        let kt = sink.key.data_type();
        if !(int_like(kt) || kt == DataType::Date) {
            return unsupported(format!("a join build on {kt}"));
        }
        // Where the pipeline can drop rows, a NOT NULL scanned key is gathered and hashed by
        // the driver, as stored scanned columns are: read only for the rows that pass, it is
        // read sparsely, and the driver's gather overlaps the cache misses the row loop would
        // wait for one by one. Where every row passes, the code reads it in order.
        let gathered_key = match sink.key {
            _ if !sparse => None,
            Expr::Column { id, .. } => match self.env.get(id) {
                Some(Binding::Scan(slot, _)) if !self.nullable[*slot] => Some(*slot),
                _ => None,
            },
            _ => None,
        };
        self.layout.gathered_key = gathered_key;
        let key = match gathered_key {
            Some(_) => None,
            None => {
                let (key, _) = self.translate_expr(sink.key)?;
                if let Some(null) = key.null {
                    match self.pass {
                        // Predicated: a row with a NULL key does not pass.
                        Some(pass) => {
                            let not_null = self.b.ins().bxor_imm_u(null, 1);
                            self.pass = Some(self.b.ins().band(pass, not_null));
                        }
                        None => {
                            let go = self.b.create_block();
                            self.b.ins().brif(null, self.next, &[], go, &[]);
                            self.b.switch_to_block(go);
                        }
                    }
                }
                Some(if clif_type(kt)? == types::I64 {
                    key.v
                } else {
                    self.b.ins().sextend(types::I64, key.v)
                })
            }
        };
        let mut stored = Vec::new();
        let mut gathered = vec![None; sink.fields.len()];
        for (c, f) in sink.fields.iter().enumerate() {
            if !sink.used[c] {
                continue;
            }
            if let Some(Binding::Scan(slot, ty)) = self.env.get(&f.id).copied().filter(|_| sparse) {
                // Read by the driver at the rows appended, after the call (as the key).
                clif_type(ty)?;
                gathered[c] = Some(slot);
                continue;
            }
            let (v, ty) = self.translate_column(f.id)?;
            if ty != f.ty {
                return unsupported(format!("a build column of {ty} as {}", f.ty));
            }
            if let Some(null) = v.null {
                // The probing code reads build columns as never NULL (of the rows that pass).
                let null = match self.pass {
                    Some(pass) => self.b.ins().band(pass, null),
                    None => null,
                };
                let go = self.b.create_block();
                self.b.ins().brif(null, self.fallback, &[], go, &[]);
                self.b.switch_to_block(go);
            }
            stored.push((c, v.v, clif_type(ty)?));
        }
        if self.layout.stored.is_empty() {
            self.layout.stored = (sink.fields.iter().zip(&sink.used))
                .map(|(f, u)| u.then_some(f.ty))
                .collect();
            self.layout.gathered = gathered.clone();
        } else if self.layout.gathered != gathered {
            return Err(grizzly_runtime::Error::Internal(
                "the two loops disagree on a gathered build column".into(),
            ));
        }
        let vars = *self.build_vars.get_or_insert_with(|| BuildVars {
            keys: self.b.declare_var(types::I64),
            hashes: self.b.declare_var(types::I64),
        });
        let flags = MemFlagsData::trusted();
        let ctx = self.b.use_var(self.ctx_var);
        let used = self
            .b
            .ins()
            .load(types::I64, flags, ctx, abi::CTX_USED_OFFSET);
        for (c, v, t) in stored {
            let values = self.out_value_var(c);
            let at = t.bytes().trailing_zeros() as i64;
            let addr = self.element(values, used, at);
            self.b.ins().store(flags, v, addr, 0);
        }
        if gathered.iter().any(Option::is_some) || gathered_key.is_some() {
            let rows = *self
                .out_rows_var
                .get_or_insert_with(|| self.b.declare_var(types::I64));
            let addr = self.element(rows, used, 2);
            let row = self.b.ins().ireduce(types::I32, self.row);
            self.b.ins().store(flags, row, addr, 0);
        }
        if let Some(key) = key {
            let addr = self.element(vars.keys, used, 3);
            self.b.ins().store(flags, key, addr, 0);
            let hash = self.b.ins().imul_imm_s(key, abi::HASH_MULTIPLIER as i64);
            let addr = self.element(vars.hashes, used, 3);
            self.b.ins().store(flags, hash, addr, 0);
        }
        self.advance_used(used);
        Ok(())
    }

    /// The address of element `index` of the array whose base is in `array`, elements of
    /// `1 << shift` bytes.
    fn element(&mut self, array: Variable, index: Value, shift: i64) -> Value {
        let base = self.b.use_var(array);
        let off = self.b.ins().ishl_imm_u(index, shift);
        self.b.ins().iadd(base, off)
    }
}
