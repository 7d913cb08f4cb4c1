//! The only `unsafe` code of the compiled tier: turning finalized code into function
//! pointers, calling them, and freeing the code.
//!
//! Generated code is entered only through [`Entry::call`], which takes the morsel's columns
//! as typed slices and checks, before the call, everything the generated code relies on but
//! cannot check itself: slice lengths against the row count, the state's size against the
//! largest group slot, dictionary maps against their dictionaries, and that NULLs appear only
//! in columns the code reads as nullable (whose validity bitmaps cover the morsel).

use crate::build_table::BuildTable;
use crate::group_table::GroupTable;
use crate::join_table::JoinTable;
use crate::pipeline::{Layout, OutputCol};
use cranelift_jit::JITModule;
use cranelift_module::FuncId;
use grizzly_ir::{DataType, PhysicalType};
use grizzly_runtime::abi::{JoinCtx, Morsel, PipelineCtx, PipelineFn};
use grizzly_runtime::{Error, Result};
use std::sync::{Arc, Mutex};

/// Finalized machine code: one JIT module, freed when the last [`Entry`] into it and the
/// owning `CompiledQuery` are gone.
pub(crate) struct Code {
    module: Mutex<Option<JITModule>>,
}

impl Code {
    /// Takes ownership of a module whose definitions are finalized.
    pub(crate) fn new(module: JITModule) -> Arc<Code> {
        Arc::new(Code {
            module: Mutex::new(Some(module)),
        })
    }

    /// The entry point of pipeline function `id`, whose signature is
    /// [`crate::translate::signature`] and whose data layout is `layout`.
    ///
    /// # Errors
    /// `Internal` if the module was already freed (a bug).
    pub(crate) fn entry(self: &Arc<Code>, id: FuncId) -> Result<Entry> {
        let guard = self.module.lock().unwrap_or_else(|e| e.into_inner());
        let module = guard
            .as_ref()
            .ok_or_else(|| Error::Internal("JIT module used after free".into()))?;
        let ptr = module.get_finalized_function(id);
        // SAFETY: `ptr` is the start of function `id`, defined and finalized in this module
        // with the signature (ptr, ptr) -> i32 in the host's default calling convention, which
        // is the C convention on every host Cranelift supports, i.e. `PipelineFn`. The code
        // stays mapped while this `Code` lives, and the `Entry` keeps an `Arc` to it.
        let func = unsafe { std::mem::transmute::<*const u8, PipelineFn>(ptr) };
        Ok(Entry {
            func,
            _code: self.clone(),
        })
    }
}

impl Drop for Code {
    fn drop(&mut self) {
        let module = self.module.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(module) = module.take() {
            // SAFETY: every function pointer into this module lives in an `Entry`, and each
            // `Entry` holds an `Arc<Code>`; the last `Arc` is being dropped, so no `Entry`
            // exists and no generated code is running or can be called again.
            unsafe { module.free_memory() };
        }
    }
}

/// A callable pipeline function; keeps its code alive.
pub(crate) struct Entry {
    func: PipelineFn,
    _code: Arc<Code>,
}

/// One scanned column of a morsel, as the generated code reads it.
pub(crate) enum ColumnData<'a> {
    /// The pipeline does not read this column.
    Unused,
    Bool(&'a [u8]),
    I32(&'a [i32]),
    I64(&'a [i64]),
    /// Dictionary codes (each below its dictionary's length, as `ColumnChunk::load` checks).
    Codes(&'a [u32]),
}

impl ColumnData<'_> {
    fn ptr_len(&self) -> (*const u8, usize) {
        match self {
            ColumnData::Unused => (std::ptr::null(), usize::MAX),
            ColumnData::Bool(s) => (s.as_ptr(), s.len()),
            ColumnData::I32(s) => (s.as_ptr().cast(), s.len()),
            ColumnData::I64(s) => (s.as_ptr().cast(), s.len()),
            ColumnData::Codes(s) => (s.as_ptr().cast(), s.len()),
        }
    }

    /// The column has the representation generated code for a column of `ty` loads.
    fn fits(&self, ty: DataType) -> bool {
        match self {
            ColumnData::Unused => true,
            ColumnData::Bool(_) => ty.physical() == PhysicalType::Bool,
            ColumnData::I32(_) => ty.physical() == PhysicalType::I32,
            ColumnData::I64(_) => ty.physical() == PhysicalType::I64,
            ColumnData::Codes(_) => ty == DataType::Varchar,
        }
    }
}

/// What stays the same across the morsels of one run.
pub(crate) struct RunData<'a> {
    pub params: &'a [i64],
    /// Per parameter: 1 if it is NULL.
    pub param_nulls: &'a [u8],
    /// Where the rows go.
    pub sink: Sink<'a>,
    pub key_base: &'a [i64],
    pub key_stride: &'a [i64],
    pub key_limit: &'a [i64],
    /// Per probed join, in stage order.
    pub joins: &'a [JoinTable],
    /// The first row of the morsel to process.
    pub start: usize,
}

/// A pipeline's sink state.
pub(crate) enum Sink<'a> {
    /// The group slots (`layout.stride` bytes each) and, in hashed mode, the hash table.
    Groups(&'a mut GroupTable),
    Output(&'a mut OutputBuffers),
    /// A join's hash table being built.
    Build(&'a mut BuildTable),
}

/// One batch of an output sink, filled by the code from row 0.
pub(crate) struct OutputBuffers {
    /// Rows the buffers hold.
    pub capacity: usize,
    pub rows: Vec<u32>,
    /// Per output column: its values (`capacity` of them; none for a gathered column).
    pub values: Vec<OutValues>,
    /// Per output column: a NULL byte per row (empty unless the column is nullable).
    pub nulls: Vec<Vec<u8>>,
    /// Rows written.
    pub used: usize,
    /// The code stops at the start of a row once `used` reaches this.
    pub grow_at: usize,
}

/// One output column's value buffer, typed by the column's physical type.
pub(crate) enum OutValues {
    /// A gathered column: the code writes no values.
    None,
    Bool(Vec<u8>),
    I32(Vec<i32>),
    I64(Vec<i64>),
}

impl OutValues {
    /// The buffer's first byte (null for none) and its length in values.
    pub(crate) fn ptr_len(&mut self) -> (*mut u8, usize) {
        match self {
            OutValues::None => (std::ptr::null_mut(), 0),
            OutValues::Bool(v) => (buffer_ptr(v), v.len()),
            OutValues::I32(v) => (buffer_ptr(v), v.len()),
            OutValues::I64(v) => (buffer_ptr(v), v.len()),
        }
    }

    /// Values the buffer holds.
    pub(crate) fn len(&self) -> usize {
        match self {
            OutValues::None => 0,
            OutValues::Bool(v) => v.len(),
            OutValues::I32(v) => v.len(),
            OutValues::I64(v) => v.len(),
        }
    }

    /// The buffer holds values of `ty`'s physical type.
    pub(crate) fn fits(&self, ty: DataType) -> bool {
        matches!(
            (self, ty.physical()),
            (OutValues::Bool(_), PhysicalType::Bool)
                | (OutValues::I32(_), PhysicalType::I32)
                | (OutValues::I64(_), PhysicalType::I64)
        )
    }
}

/// One morsel.
pub(crate) struct MorselData<'a> {
    pub rows: usize,
    pub columns: Vec<ColumnData<'a>>,
    /// Per dictionary key: the code → global id map and the dictionary's length.
    pub dict_maps: Vec<(&'a [u32], usize)>,
    pub str_consts: Vec<u32>,
    /// Per dictionary predicate: its byte per code and the length of the dictionary.
    pub dict_preds: Vec<(&'a [u8], usize)>,
    /// Per column slot: the validity bitmap's words if the column has NULLs in this morsel.
    pub validity: Vec<Option<&'a [u64]>>,
}

impl Entry {
    /// Runs the pipeline function over one morsel; returns its status code.
    ///
    /// # Errors
    /// `Internal` if the data does not match `layout` (a bug in the driver).
    pub(crate) fn call(
        &self,
        layout: &Layout,
        run: &mut RunData<'_>,
        morsel: &MorselData<'_>,
    ) -> Result<(u32, usize)> {
        check(layout, run, morsel)?;
        let columns: Vec<*const u8> = morsel.columns.iter().map(|c| c.ptr_len().0).collect();
        // A morsel with NULLs in a column read (or a run with a NULL parameter) gets a bitmap
        // for every nullable column read (all ones where a column has none) and runs the
        // NULL-aware loop.
        let has_nulls =
            morsel.validity.iter().any(Option::is_some) || run.param_nulls.iter().any(|n| *n != 0);
        let all_valid: Vec<u64> = if has_nulls {
            vec![u64::MAX; morsel.rows.div_ceil(64)]
        } else {
            Vec::new()
        };
        let validity: Vec<*const u64> = morsel
            .validity
            .iter()
            .zip(&layout.slots)
            .map(|(v, slot)| match v {
                _ if !slot.nullable => std::ptr::null(),
                Some(words) => words.as_ptr(),
                None => all_valid.as_ptr(),
            })
            .collect();
        let dict_maps: Vec<*const u32> = morsel.dict_maps.iter().map(|(m, _)| m.as_ptr()).collect();
        let dict_preds: Vec<*const u8> =
            morsel.dict_preds.iter().map(|(t, _)| t.as_ptr()).collect();
        let payloads: Vec<Vec<*const u8>> = run
            .joins
            .iter()
            .zip(&layout.joins)
            .map(|(t, j)| (0..j.fields.len()).map(|c| t.payload_ptr(c)).collect())
            .collect();
        let joins: Vec<JoinCtx> = run
            .joins
            .iter()
            .zip(&payloads)
            .map(|(t, p)| JoinCtx {
                heads: t.heads().as_ptr(),
                next: t.next().as_ptr(),
                keys: t.keys().as_ptr(),
                payload: p.as_ptr(),
                shift: t.shift() as u64,
            })
            .collect();
        // Per output column: its buffers (null where it has none).
        let (mut out_values, mut out_nulls): (Vec<*mut u8>, Vec<*mut u8>) = match &mut run.sink {
            Sink::Groups(_) => (Vec::new(), Vec::new()),
            Sink::Output(out) => (
                out.values.iter_mut().map(|v| v.ptr_len().0).collect(),
                out.nulls.iter_mut().map(|n| buffer_ptr(n)).collect(),
            ),
            Sink::Build(table) => (
                table.values(),
                vec![std::ptr::null_mut(); layout.stored.len()],
            ),
        };
        let mut ctx = PipelineCtx {
            params: run.params.as_ptr(),
            state: std::ptr::null_mut(),
            key_base: run.key_base.as_ptr(),
            key_stride: run.key_stride.as_ptr(),
            key_limit: run.key_limit.as_ptr(),
            param_nulls: run.param_nulls.as_ptr(),
            hash_keys: std::ptr::null_mut(),
            hash_shift: 0,
            hash_mask: 0,
            used: 0,
            joins: joins.as_ptr(),
            grow_at: u64::MAX,
            resume: 0,
            out_rows: std::ptr::null_mut(),
            out_values: out_values.as_mut_ptr().cast_const(),
            out_nulls: out_nulls.as_mut_ptr().cast_const(),
            build_keys: std::ptr::null_mut(),
            build_hashes: std::ptr::null_mut(),
        };
        match &mut run.sink {
            Sink::Groups(table) => {
                if table.is_hashed() {
                    ctx.hash_keys = table.keys.as_mut_ptr();
                    ctx.hash_shift = table.shift() as u64;
                }
                ctx.state = table.state.as_mut_ptr().cast();
                ctx.hash_mask = table.keys.len().saturating_sub(1) as u64;
                ctx.used = table.used;
                ctx.grow_at = table.grow_at();
            }
            Sink::Output(out) => {
                ctx.out_rows = out.rows.as_mut_ptr();
                ctx.used = out.used as u64;
                ctx.grow_at = out.grow_at as u64;
            }
            Sink::Build(table) => {
                (ctx.build_keys, ctx.build_hashes, ctx.out_rows) = table.arrays();
                ctx.used = table.used as u64;
                ctx.grow_at = table.grow_at() as u64;
            }
        }
        let m = Morsel {
            rows: morsel.rows as u64,
            columns: columns.as_ptr(),
            dict_maps: dict_maps.as_ptr(),
            str_consts: morsel.str_consts.as_ptr(),
            dict_preds: dict_preds.as_ptr(),
            validity: if has_nulls {
                validity.as_ptr()
            } else {
                std::ptr::null()
            },
            start: run.start as u64,
        };
        // SAFETY: `func` is a pipeline function translated for `layout` (see `translate`),
        // whose code is alive (we hold an `Arc<Code>`). `check` verified what that code
        // assumes: one pointer per column slot, each used one to at least `rows` values of
        // the slot's physical type; one parameter per slot; one string constant per string
        // comparison; per probed join a `JoinTable` (whose invariants hold by construction:
        // chains of rows below its row count, a power-of-two bucket array matching its shift)
        // with every build column the code reads, as long as the rows, NULL-free;
        // per dictionary predicate a table covering every code of its column's
        // dictionary; per dictionary key a map covering every code of its dictionary with ids
        // below the key's limit; key arrays as long as the keys; and a state large enough for
        // every slot `sum(index_k * stride_k)` with `index_k < limit_k` (`<= limit_k` for a
        // nullable key; integer keys are range-checked by the code itself against
        // `key_limit`); one NULL flag per parameter; and NULLs only in slots the code reads
        // as nullable, and NULLs at all only if the code has a NULL-aware loop, so that with
        // any NULL the validity array has one pointer per slot, each nullable
        // slot's to at least `ceil(rows / 64)` words (the loop without NULL handling runs
        // only when the array pointer is null). All pointers borrow from
        // `run`, `morsel` and locals that outlive the call; the code writes only the table's
        // `state` and `keys` (borrowed mutably) and `ctx.used`. In hashed mode `check`
        // verified a power-of-two table of at least 16 slots with state for each, and more
        // free slots than the morsel has rows, so every probe (masked to the table) finds
        // its group or a free slot. An output sink's code writes the output buffers (borrowed
        // mutably) at `used` below `grow_at` plus the rows one input row can write, which
        // `check` verified is within every buffer (each computed column has a value buffer,
        // each column the code writes as NULL a NULL buffer); the pointer arrays are locals
        // that outlive the call. A build sink's code writes the rows' arrays (borrowed
        // mutably: keys, hashes, rows and each stored column's buffer) at `used` below `grow_at`
        // plus the rows one input row appends, which `check` verified is within them.
        let status = unsafe { (self.func)(&mut ctx, &m) };
        match &mut run.sink {
            Sink::Groups(table) => table.used = ctx.used,
            Sink::Output(out) => out.used = ctx.used as usize,
            Sink::Build(table) => table.used = ctx.used as usize,
        }
        Ok((status, ctx.resume as usize))
    }
}

/// A buffer's first byte, or null for an empty buffer (one the code never writes).
fn buffer_ptr<T>(v: &mut [T]) -> *mut u8 {
    if v.is_empty() {
        std::ptr::null_mut()
    } else {
        v.as_mut_ptr().cast()
    }
}

fn check(layout: &Layout, run: &mut RunData<'_>, m: &MorselData<'_>) -> Result<()> {
    let bad = |what: &str| {
        Err(Error::Internal(format!(
            "compiled pipeline called with {what}"
        )))
    };
    if run.start > m.rows {
        return bad("a start row past the morsel");
    }
    if m.columns.len() != layout.slots.len() {
        return bad("the wrong number of columns");
    }
    for (c, slot) in m.columns.iter().zip(&layout.slots) {
        let unused = matches!(c, ColumnData::Unused);
        if (slot.used && (unused || c.ptr_len().1 < m.rows)) || !c.fits(slot.ty) {
            return bad("a column that does not match its slot");
        }
    }
    if m.validity.len() != layout.slots.len() {
        return bad("the wrong number of validity bitmaps");
    }
    for (v, slot) in m.validity.iter().zip(&layout.slots) {
        match v {
            Some(_) if !slot.used => return bad("a bitmap for a column it does not read"),
            Some(_) if !slot.nullable => return bad("NULLs in a column read as NULL-free"),
            Some(words) if words.len() < m.rows.div_ceil(64) => {
                return bad("a validity bitmap shorter than the morsel")
            }
            _ => {}
        }
    }
    let has_nulls =
        m.validity.iter().any(Option::is_some) || run.param_nulls.iter().any(|n| *n != 0);
    if has_nulls && !layout.null_aware {
        return bad("NULLs but no NULL-aware loop");
    }
    if run.params.len() != layout.params.len()
        || run.param_nulls.len() != layout.params.len()
        || m.str_consts.len() != layout.str_consts.len()
    {
        return bad("the wrong number of parameters or constants");
    }
    if run.joins.len() != layout.joins.len() {
        return bad("the wrong number of join tables");
    }
    for (t, j) in run.joins.iter().zip(&layout.joins) {
        for (c, field) in j.fields.iter().enumerate() {
            if j.used[c] && !t.fits(c, field.ty.physical()) {
                return bad("a join table without a column the code reads");
            }
        }
    }
    if m.dict_preds.len() != layout.dict_preds.len() {
        return bad("the wrong number of dictionary predicates");
    }
    for ((table, entries), pred) in m.dict_preds.iter().zip(&layout.dict_preds) {
        let codes_of = |c: &ColumnData<'_>| matches!(c, ColumnData::Codes(_));
        if table.len() < *entries || !m.columns.get(pred.slot).is_some_and(codes_of) {
            return bad("a dictionary predicate that does not cover its dictionary");
        }
    }
    let keys = layout.keys.len();
    if run.key_base.len() != keys || run.key_stride.len() != keys || run.key_limit.len() != keys {
        return bad("the wrong number of key ranges");
    }
    let dict_keys: Vec<usize> = (0..keys).filter(|k| layout.keys[*k].dict).collect();
    if m.dict_maps.len() != dict_keys.len() {
        return bad("the wrong number of dictionary maps");
    }
    for ((map, entries), &k) in m.dict_maps.iter().zip(&dict_keys) {
        if map.len() < *entries || map.iter().any(|&g| g as i64 >= run.key_limit[k]) {
            return bad("a dictionary map that does not cover its dictionary");
        }
    }
    // The largest slot the code can compute must lie inside the state.
    let mut last: i64 = 0;
    for k in 0..keys {
        let (limit, stride) = (run.key_limit[k], run.key_stride[k]);
        if limit <= 0 || stride < 0 {
            return bad("an empty key range");
        }
        // A nullable key's NULL group is index `limit`.
        let top = if layout.keys[k].nullable {
            limit
        } else {
            limit - 1
        };
        last = top
            .checked_mul(stride)
            .and_then(|x| x.checked_add(last))
            .ok_or_else(|| Error::Internal("group slot overflow".into()))?;
    }
    let per_row = run
        .joins
        .iter()
        .try_fold(1usize, |n, t| n.checked_mul(t.max_matches().max(1)));
    let table = match &mut run.sink {
        Sink::Groups(table) => &**table,
        Sink::Output(out) => return check_output(layout, out, per_row),
        Sink::Build(table) => return check_build(layout, table, per_row),
    };
    let slots = if table.is_hashed() {
        let capacity = table.keys.len();
        if capacity < 16 || !capacity.is_power_of_two() {
            return bad("a hash table that is not a power of two of at least 16 slots");
        }
        // The code stops at the start of a row once `used` reaches the mark; one row inserts
        // at most one group per combination of matching build rows. So a free slot remains
        // for every probe while `grow_at + per_row < capacity`.
        let fits = per_row.and_then(|p| p.checked_add(table.grow_at() as usize));
        if fits.is_none_or(|f| f >= capacity) || table.grow_at() as usize > capacity / 2 {
            return bad("a hash table without room for a row's groups");
        }
        capacity as u128
    } else {
        last as u128 + 1
    };
    if !layout.stride.is_multiple_of(16)
        || (table.state.len() as u128) * 16 < slots * layout.stride as u128
    {
        return bad("a state smaller than its groups");
    }
    Ok(())
}

/// A build sink's rows have room for a row's appends past the mark, in every column the
/// code stores.
fn check_build(layout: &Layout, table: &mut BuildTable, per_row: Option<usize>) -> Result<()> {
    let fits = per_row
        .filter(|p| *p <= table.per_row())
        .and_then(|p| p.checked_add(table.grow_at()));
    let ok = fits.is_some_and(|f| f <= table.capacity())
        && table.used <= table.grow_at()
        && table.fits(layout);
    if ok {
        Ok(())
    } else {
        Err(Error::Internal(
            "compiled pipeline called with a join table without room for a row".into(),
        ))
    }
}

/// An output sink's buffers hold `grow_at` rows plus the most one input row writes, for
/// every column the code writes.
fn check_output(layout: &Layout, out: &mut OutputBuffers, per_row: Option<usize>) -> Result<()> {
    let bad = |what: &str| {
        Err(Error::Internal(format!(
            "compiled pipeline called with {what}"
        )))
    };
    let cap = out.capacity;
    let fits = per_row.and_then(|p| p.checked_add(out.grow_at));
    // The code checks `used < grow_at` before a row writes anything.
    if fits.is_none_or(|f| f > cap) {
        return bad("output buffers without room for a row's output");
    }
    if out.rows.len() < cap
        || out.values.len() != layout.outputs.len()
        || out.nulls.len() != layout.outputs.len()
    {
        return bad("the wrong output buffers");
    }
    for ((col, values), nulls) in layout.outputs.iter().zip(&mut out.values).zip(&out.nulls) {
        if let OutputCol::Value { ty, nullable } = col {
            if !values.fits(*ty) || values.ptr_len().1 < cap || (*nullable && nulls.len() < cap) {
                return bad("an output buffer shorter than the batch");
            }
        }
    }
    Ok(())
}
