//! The data layout shared by compiled pipelines and the code that drives them.
//!
//! A compiled pipeline is one native function per pipeline,
//! `extern "C" fn(ctx: *mut PipelineCtx, morsel: *const Morsel) -> u32`, called once per
//! morsel (a row group). Everything it reads or writes is reached through these two
//! `#[repr(C)]` structures; the generated code addresses their fields by the `*_OFFSET`
//! constants below, so the offsets are part of the ABI and checked at compile time.
//!
//! Return codes: [`STATUS_OK`] or one of the `STATUS_*` error codes; the driver turns an error
//! code into the SQL error the interpreter reports for the same rows.

use std::mem::offset_of;

/// The function finished the morsel.
pub const STATUS_OK: u32 = 0;
/// An integer or decimal result did not fit its type (overflow, cast out of range).
pub const STATUS_OVERFLOW: u32 = 1;
/// A group key fell outside the range the driver sized the state for (stale zone maps).
pub const STATUS_KEY_RANGE: u32 = 2;
/// The aggregate's hash table reached `PipelineCtx::grow_at` occupied slots at the
/// start of row `PipelineCtx::resume`: the driver grows it and calls again from that row
/// (`Morsel::start`); the rows before it are done.
pub const STATUS_GROW: u32 = 3;
/// The code met a value it does not take (a NULL in a column a hash-join build stores): the
/// driver hands the pipeline to the interpreter.
pub const STATUS_FALLBACK: u32 = 4;

/// A hash-table slot of a grouped aggregate that holds no group yet (`PipelineCtx::hash_keys`).
pub const HASH_EMPTY: u64 = u64::MAX;
/// The multiplier of the group hash: table slot = `(group * HASH_MULTIPLIER) >> hash_shift`
/// (Fibonacci hashing; the top bits of the product are well mixed even for dense groups).
pub const HASH_MULTIPLIER: u64 = 0x9E37_79B9_7F4A_7C15;

/// The hash of a join key: the bucket of a table of `2^b` buckets is its top `b` bits
/// (`hash >> (64 - b)`), as for [`hash_start`].
pub fn join_hash(key: i64) -> u64 {
    (key as u64).wrapping_mul(HASH_MULTIPLIER)
}

/// The table slot where probing for `group` starts, with `shift = 64 - log2(capacity)`.
pub fn hash_start(group: u64, shift: u32) -> usize {
    (group.wrapping_mul(HASH_MULTIPLIER) >> shift) as usize
}

/// What stays the same for every morsel of one run of a pipeline.
#[repr(C)]
#[derive(Debug)]
pub struct PipelineCtx {
    /// Parameter values in physical form, one `i64` per parameter slot of the pipeline
    /// (INTEGER/DATE sign-extended, BOOLEAN 0/1, DECIMAL unscaled).
    pub params: *const i64,
    /// The sink state (aggregate accumulators), laid out by the compiler; 16-byte aligned.
    pub state: *mut u8,
    /// Per group key: the value that maps to index 0 (integer keys; 0 for dictionary keys).
    pub key_base: *const i64,
    /// Per group key: the multiplier of the key's index in the group slot number.
    pub key_stride: *const i64,
    /// Per group key: the number of value indexes (an index outside `0..limit` is reported
    /// as [`STATUS_KEY_RANGE`] instead of touching memory outside the state). A key the code
    /// reads as nullable has one more index, `limit` itself, for its NULL group.
    pub key_limit: *const i64,
    /// Per parameter slot: 1 if the parameter is NULL (its `params` entry is then 0). Only
    /// the NULL-aware loop reads it; with a NULL parameter every morsel runs that loop.
    pub param_nulls: *const u8,
    /// Null: the aggregate's group number `sum(index_k * stride_k)` is its state slot
    /// (direct indexing). Otherwise an open-addressing hash table of `hash_mask + 1` slots
    /// (a power of two): per slot the group number it holds or [`HASH_EMPTY`]; a group's
    /// state slot is its table slot. The code probes linearly from [`hash_start`] and claims
    /// the first empty slot for a new group; the driver keeps the table large enough that one
    /// is always left (`used` + the morsel's rows < capacity).
    pub hash_keys: *mut u64,
    /// `64 - log2(capacity)`.
    pub hash_shift: u64,
    /// `capacity - 1`.
    pub hash_mask: u64,
    /// Hash aggregate: occupied table slots, the code adds one per group it inserts. Output
    /// sink: rows written to the output buffers, the code adds one per row it writes.
    pub used: u64,
    /// One [`JoinCtx`] per hash join the pipeline probes, innermost (nearest the scan) first.
    pub joins: *const JoinCtx,
    /// Output sink: the code returns [`STATUS_GROW`] at the start of a row when `used` has
    /// reached this (the buffers' capacity less the most rows one input row can write).
    /// Hashed mode: the code returns [`STATUS_GROW`] at the start of a row when `used`
    /// has reached this (at most half the table, and low enough that the inserts of one row
    /// cannot fill it); `u64::MAX` in direct mode.
    pub grow_at: u64,
    /// Written by the code with [`STATUS_GROW`]: the row to resume at.
    pub resume: u64,
    /// Output sink: per output row, the morsel row it came from (the driver gathers the
    /// scanned columns the pipeline passes through unchanged from it).
    pub out_rows: *mut u32,
    /// Output sink: per computed output column, its value buffer (`i8`, `i32` or `i64` per
    /// row, by the column's physical type).
    pub out_values: *const *mut u8,
    /// Output sink: per computed output column, a byte per row, 1 where NULL (null for a
    /// column the code never writes as NULL).
    pub out_nulls: *const *mut u8,
    /// Hash-join build sink: per row appended, its join key (as `i64`) and its hash
    /// ([`join_hash`] of the key); the stored build columns go to `out_values` (null for a
    /// column not stored). The code appends row `used` (`used < grow_at` at the start of an
    /// input row) and leaves out rows whose key is NULL; once the pipeline has run, the
    /// driver links the rows into a [`JoinCtx`] table by their hashes.
    pub build_keys: *mut i64,
    pub build_hashes: *mut u64,
}

/// The end of a hash-join chain (`JoinCtx::heads`, `JoinCtx::next`).
pub const JOIN_NONE: u32 = u32::MAX;

/// A built hash-join table the generated code probes: rows are the build side's, indexed
/// `0..rows`; bucket `hash_start(key, shift)` holds the first row whose key hashes there and
/// `next[row]` the following one, [`JOIN_NONE`] ending a chain. Rows with a NULL key are in
/// no chain. The code compares `keys[row]` with the probe key for every row of the chain.
#[repr(C)]
#[derive(Debug)]
pub struct JoinCtx {
    /// Per bucket (a power of two of them): the first row, or [`JOIN_NONE`].
    pub heads: *const u32,
    /// Per row: the next row of its chain, or [`JOIN_NONE`].
    pub next: *const u32,
    /// Per row: the join key as `i64`.
    pub keys: *const i64,
    /// Per build column: its values (I32/I64/BOOL physical form, no NULLs) where the code
    /// reads the column, else null.
    pub payload: *const *const u8,
    /// `64 - log2(buckets)`.
    pub shift: u64,
}

/// One morsel: a run of rows whose columns are contiguous in memory.
#[repr(C)]
#[derive(Debug)]
pub struct Morsel {
    /// Number of rows.
    pub rows: u64,
    /// Per scanned column slot: the first value (plain fixed-width data, or `u32` dictionary
    /// codes for dictionary-encoded strings); null for slots the pipeline does not read.
    pub columns: *const *const u8,
    /// Per dictionary-encoded group key: a table from this morsel's codes to the key's
    /// global ids (`u32`), which are the same in every morsel of the run.
    pub dict_maps: *const *const u32,
    /// Per string comparison against a constant: the constant as a code of this morsel's
    /// dictionary (an exact code, or a bound, depending on the comparison).
    pub str_consts: *const u32,
    /// Null when no column the code reads has a NULL in this morsel and no parameter is
    /// NULL: the code then runs its NULL-free loop, exactly as fast as for a table without
    /// NULLs. Otherwise one pointer
    /// per scanned column slot: for every slot the code reads as nullable, a validity bitmap
    /// of at least `ceil(rows / 64)` `u64` words (bit `i % 64` of word `i / 64` set = row
    /// `i` is not NULL; all ones for a column without NULLs), which the NULL-aware loop reads.
    pub validity: *const *const u64,
    /// Per dictionary predicate (a LIKE or IN on a dictionary-encoded string column): its
    /// value for every code of this morsel's dictionary, one byte per code: 0 FALSE, 1 TRUE,
    /// 2 NULL (computed once per morsel by the interpreter's evaluator).
    pub dict_preds: *const *const u8,
    /// The first row to process (rows before it were done by an earlier call).
    pub start: u64,
}

/// [`Morsel::dict_preds`] bytes.
pub const PRED_FALSE: u8 = 0;
pub const PRED_TRUE: u8 = 1;
pub const PRED_NULL: u8 = 2;

pub const CTX_PARAMS_OFFSET: i32 = offset_of!(PipelineCtx, params) as i32;
pub const CTX_STATE_OFFSET: i32 = offset_of!(PipelineCtx, state) as i32;
pub const CTX_KEY_BASE_OFFSET: i32 = offset_of!(PipelineCtx, key_base) as i32;
pub const CTX_KEY_STRIDE_OFFSET: i32 = offset_of!(PipelineCtx, key_stride) as i32;
pub const CTX_KEY_LIMIT_OFFSET: i32 = offset_of!(PipelineCtx, key_limit) as i32;
pub const CTX_PARAM_NULLS_OFFSET: i32 = offset_of!(PipelineCtx, param_nulls) as i32;
pub const CTX_HASH_KEYS_OFFSET: i32 = offset_of!(PipelineCtx, hash_keys) as i32;
pub const CTX_HASH_SHIFT_OFFSET: i32 = offset_of!(PipelineCtx, hash_shift) as i32;
pub const CTX_HASH_MASK_OFFSET: i32 = offset_of!(PipelineCtx, hash_mask) as i32;
pub const CTX_USED_OFFSET: i32 = offset_of!(PipelineCtx, used) as i32;
pub const CTX_JOINS_OFFSET: i32 = offset_of!(PipelineCtx, joins) as i32;
pub const CTX_GROW_AT_OFFSET: i32 = offset_of!(PipelineCtx, grow_at) as i32;
pub const CTX_RESUME_OFFSET: i32 = offset_of!(PipelineCtx, resume) as i32;
pub const CTX_OUT_ROWS_OFFSET: i32 = offset_of!(PipelineCtx, out_rows) as i32;
pub const CTX_OUT_VALUES_OFFSET: i32 = offset_of!(PipelineCtx, out_values) as i32;
pub const CTX_OUT_NULLS_OFFSET: i32 = offset_of!(PipelineCtx, out_nulls) as i32;
pub const CTX_BUILD_KEYS_OFFSET: i32 = offset_of!(PipelineCtx, build_keys) as i32;
pub const CTX_BUILD_HASHES_OFFSET: i32 = offset_of!(PipelineCtx, build_hashes) as i32;
pub const JOIN_HEADS_OFFSET: i32 = offset_of!(JoinCtx, heads) as i32;
pub const JOIN_NEXT_OFFSET: i32 = offset_of!(JoinCtx, next) as i32;
pub const JOIN_KEYS_OFFSET: i32 = offset_of!(JoinCtx, keys) as i32;
pub const JOIN_PAYLOAD_OFFSET: i32 = offset_of!(JoinCtx, payload) as i32;
pub const JOIN_SHIFT_OFFSET: i32 = offset_of!(JoinCtx, shift) as i32;
pub const JOIN_CTX_SIZE: i32 = std::mem::size_of::<JoinCtx>() as i32;
pub const MORSEL_ROWS_OFFSET: i32 = offset_of!(Morsel, rows) as i32;
pub const MORSEL_COLUMNS_OFFSET: i32 = offset_of!(Morsel, columns) as i32;
pub const MORSEL_DICT_MAPS_OFFSET: i32 = offset_of!(Morsel, dict_maps) as i32;
pub const MORSEL_STR_CONSTS_OFFSET: i32 = offset_of!(Morsel, str_consts) as i32;
pub const MORSEL_VALIDITY_OFFSET: i32 = offset_of!(Morsel, validity) as i32;
pub const MORSEL_DICT_PREDS_OFFSET: i32 = offset_of!(Morsel, dict_preds) as i32;
pub const MORSEL_START_OFFSET: i32 = offset_of!(Morsel, start) as i32;

// The generated code assumes 64-bit pointers and these exact offsets.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(CTX_PARAMS_OFFSET == 0 && CTX_STATE_OFFSET == 8);
    assert!(CTX_KEY_BASE_OFFSET == 16 && CTX_KEY_STRIDE_OFFSET == 24);
    assert!(CTX_KEY_LIMIT_OFFSET == 32 && CTX_PARAM_NULLS_OFFSET == 40);
    assert!(CTX_HASH_KEYS_OFFSET == 48 && CTX_HASH_SHIFT_OFFSET == 56);
    assert!(CTX_HASH_MASK_OFFSET == 64 && CTX_USED_OFFSET == 72);
    assert!(CTX_JOINS_OFFSET == 80 && JOIN_CTX_SIZE == 40);
    assert!(CTX_GROW_AT_OFFSET == 88 && CTX_RESUME_OFFSET == 96);
    assert!(MORSEL_START_OFFSET == 48);
    assert!(JOIN_HEADS_OFFSET == 0 && JOIN_NEXT_OFFSET == 8 && JOIN_KEYS_OFFSET == 16);
    assert!(JOIN_PAYLOAD_OFFSET == 24 && JOIN_SHIFT_OFFSET == 32);
    assert!(MORSEL_ROWS_OFFSET == 0 && MORSEL_COLUMNS_OFFSET == 8);
    assert!(MORSEL_DICT_MAPS_OFFSET == 16 && MORSEL_STR_CONSTS_OFFSET == 24);
    assert!(MORSEL_VALIDITY_OFFSET == 32 && MORSEL_DICT_PREDS_OFFSET == 40);
};

/// The signature of a compiled pipeline function.
pub type PipelineFn = unsafe extern "C" fn(ctx: *mut PipelineCtx, morsel: *const Morsel) -> u32;
