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
}

pub const CTX_PARAMS_OFFSET: i32 = offset_of!(PipelineCtx, params) as i32;
pub const CTX_STATE_OFFSET: i32 = offset_of!(PipelineCtx, state) as i32;
pub const CTX_KEY_BASE_OFFSET: i32 = offset_of!(PipelineCtx, key_base) as i32;
pub const CTX_KEY_STRIDE_OFFSET: i32 = offset_of!(PipelineCtx, key_stride) as i32;
pub const CTX_KEY_LIMIT_OFFSET: i32 = offset_of!(PipelineCtx, key_limit) as i32;
pub const CTX_PARAM_NULLS_OFFSET: i32 = offset_of!(PipelineCtx, param_nulls) as i32;
pub const MORSEL_ROWS_OFFSET: i32 = offset_of!(Morsel, rows) as i32;
pub const MORSEL_COLUMNS_OFFSET: i32 = offset_of!(Morsel, columns) as i32;
pub const MORSEL_DICT_MAPS_OFFSET: i32 = offset_of!(Morsel, dict_maps) as i32;
pub const MORSEL_STR_CONSTS_OFFSET: i32 = offset_of!(Morsel, str_consts) as i32;
pub const MORSEL_VALIDITY_OFFSET: i32 = offset_of!(Morsel, validity) as i32;

// The generated code assumes 64-bit pointers and these exact offsets.
#[cfg(target_pointer_width = "64")]
const _: () = {
    assert!(CTX_PARAMS_OFFSET == 0 && CTX_STATE_OFFSET == 8);
    assert!(CTX_KEY_BASE_OFFSET == 16 && CTX_KEY_STRIDE_OFFSET == 24);
    assert!(CTX_KEY_LIMIT_OFFSET == 32 && CTX_PARAM_NULLS_OFFSET == 40);
    assert!(MORSEL_ROWS_OFFSET == 0 && MORSEL_COLUMNS_OFFSET == 8);
    assert!(MORSEL_DICT_MAPS_OFFSET == 16 && MORSEL_STR_CONSTS_OFFSET == 24);
    assert!(MORSEL_VALIDITY_OFFSET == 32);
};

/// The signature of a compiled pipeline function.
pub type PipelineFn = unsafe extern "C" fn(ctx: *mut PipelineCtx, morsel: *const Morsel) -> u32;
