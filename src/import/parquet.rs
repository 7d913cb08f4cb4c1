//! Parquet in and out, through the `parquet` crate's Arrow reader and writer.
//!
//! Reading ([`read_parquet`]) turns each Arrow column into Grizzly's type for it:
//!
//! | Parquet / Arrow                          | Grizzly            |
//! |------------------------------------------|--------------------|
//! | BOOLEAN                                  | BOOLEAN            |
//! | INT8, INT16, INT32, UINT8, UINT16         | INTEGER            |
//! | INT64, UINT32, UINT64 (if it fits)        | BIGINT             |
//! | FLOAT, DOUBLE                            | DOUBLE PRECISION   |
//! | DECIMAL(p, s), p <= 38, 0 <= s <= p      | DECIMAL(p, s)      |
//! | DATE (Date32, Date64)                    | DATE               |
//! | STRING (Utf8, LargeUtf8, Utf8View, dictionary-encoded) | VARCHAR |
//!
//! Any other column type (timestamps, binary, lists, ...) is an error naming the column and
//! its type. Writing ([`write_parquet`]) maps back the same way (DECIMAL as Decimal128,
//! strings as Utf8), Snappy-compressed, one row group per 122,880 rows, NULLs kept.

use super::column::{self, ColumnParts, Values};
use super::progress::{Progress, Unit};
use crate::result::QueryResult;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    Date32Type, Date64Type, Decimal128Type, Decimal32Type, Decimal64Type, Float32Type, Float64Type,
    Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, Decimal128Array, Float64Array, Int32Array,
    Int64Array, RecordBatch, StringArray,
};
use arrow_buffer::{BooleanBuffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow_schema::{DataType as ArrowType, Field, Schema};
use grizzly_ir::{ColumnMeta, DataType};
use grizzly_runtime::{Error, Result, Vector, VectorData};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;
use std::path::Path;
use std::sync::Arc;

/// Rows per batch read and per row group written (a `.griz` row group).
const ROWS: usize = 122_880;

fn parquet_err(path: &Path, e: impl std::fmt::Display) -> Error {
    Error::Execution(format!(
        "{}: not a readable Parquet file: {e}",
        path.display()
    ))
}

/// Reads a Parquet file: its columns (named and typed from the file's schema, see the module
/// docs) and their values.
pub(crate) fn read_parquet(path: &Path, label: &str) -> Result<(Vec<ColumnMeta>, Vec<Vector>)> {
    let file = std::fs::File::open(path).map_err(|source| Error::Io {
        context: format!("cannot open {}", path.display()),
        source,
    })?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file)
        .map_err(|e| parquet_err(path, e))?
        .with_batch_size(ROWS);
    let total = builder.metadata().file_metadata().num_rows().max(0) as u64;
    let schema = builder.schema().clone();
    let columns: Vec<ColumnMeta> = schema
        .fields()
        .iter()
        .map(|f| {
            Ok(ColumnMeta {
                name: f.name().clone(),
                ty: grizzly_type(path, f)?,
                nullable: true,
            })
        })
        .collect::<Result<_>>()?;
    if columns.is_empty() {
        return Err(Error::Execution(format!(
            "{}: the Parquet file has no columns",
            path.display()
        )));
    }
    let reader = builder.build().map_err(|e| parquet_err(path, e))?;
    let mut parts: Vec<Vec<ColumnParts>> = columns.iter().map(|_| Vec::new()).collect();
    let mut progress = Progress::new(label, total, Unit::Rows);
    let mut done = 0u64;
    for batch in reader {
        let batch = batch.map_err(|e| parquet_err(path, e))?;
        for (c, array) in batch.columns().iter().enumerate() {
            let mut part = ColumnParts::new(columns[c].ty);
            append(&mut part, array.as_ref(), &columns[c].name)?;
            parts[c].push(part);
        }
        done += batch.num_rows() as u64;
        progress.set(done);
    }
    let data = columns
        .iter()
        .zip(parts)
        .map(|(col, p)| column::concat(col.ty, p, &col.name))
        .collect::<Result<_>>()?;
    Ok((columns, data))
}

/// Grizzly's type for an Arrow field, or an error naming the column and its type.
fn grizzly_type(path: &Path, field: &Field) -> Result<DataType> {
    let unsupported = || {
        Error::Unsupported(format!(
            "{}: column \"{}\" has Parquet type {}, which Grizzly cannot load",
            path.display(),
            field.name(),
            field.data_type()
        ))
    };
    Ok(match field.data_type() {
        ArrowType::Boolean => DataType::Boolean,
        ArrowType::Int8
        | ArrowType::Int16
        | ArrowType::Int32
        | ArrowType::UInt8
        | ArrowType::UInt16 => DataType::Int32,
        ArrowType::Int64 | ArrowType::UInt32 | ArrowType::UInt64 => DataType::Int64,
        ArrowType::Float32 | ArrowType::Float64 => DataType::Float64,
        ArrowType::Decimal32(p, s) | ArrowType::Decimal64(p, s) | ArrowType::Decimal128(p, s) => {
            if *s < 0 || *s as u8 > *p || *p > grizzly_ir::types::DECIMAL_MAX_PRECISION {
                return Err(unsupported());
            }
            DataType::Decimal {
                precision: *p,
                scale: *s as u8,
            }
        }
        ArrowType::Date32 | ArrowType::Date64 => DataType::Date,
        ArrowType::Utf8 | ArrowType::LargeUtf8 | ArrowType::Utf8View => DataType::Varchar,
        ArrowType::Dictionary(_, v) if matches!(**v, ArrowType::Utf8 | ArrowType::LargeUtf8) => {
            DataType::Varchar
        }
        _ => return Err(unsupported()),
    })
}

/// Appends an Arrow array to a column part of the type [`grizzly_type`] gave it.
fn append(part: &mut ColumnParts, array: &dyn Array, name: &str) -> Result<()> {
    let base = part.len() as u32;
    let nulls: Vec<u32> = match array.logical_nulls() {
        Some(n) if n.null_count() > 0 => (0..array.len() as u32)
            .filter(|&i| n.is_null(i as usize))
            .map(|i| base + i)
            .collect(),
        _ => Vec::new(),
    };
    macro_rules! widen {
        ($vec:expr, $t:ty, $to:ty) => {
            $vec.extend(
                array
                    .as_primitive::<$t>()
                    .values()
                    .iter()
                    .map(|&x| x as $to),
            )
        };
    }
    match (&mut part.values, array.data_type()) {
        (Values::Bool(v), _) => v.extend(array.as_boolean().values().iter().map(u8::from)),
        (Values::I32(v), ArrowType::Int8) => widen!(v, Int8Type, i32),
        (Values::I32(v), ArrowType::Int16) => widen!(v, Int16Type, i32),
        (Values::I32(v), ArrowType::Int32) => widen!(v, Int32Type, i32),
        (Values::I32(v), ArrowType::UInt8) => widen!(v, UInt8Type, i32),
        (Values::I32(v), ArrowType::UInt16) => widen!(v, UInt16Type, i32),
        (Values::I32(v), ArrowType::Date32) => widen!(v, Date32Type, i32),
        (Values::I32(v), ArrowType::Date64) => {
            for &ms in array.as_primitive::<Date64Type>().values().iter() {
                let day = i32::try_from(ms.div_euclid(86_400_000))
                    .map_err(|_| out_of_range(name, ms, "DATE"))?;
                v.push(day);
            }
        }
        (Values::I64(v), ArrowType::Int64) => widen!(v, Int64Type, i64),
        (Values::I64(v), ArrowType::UInt32) => widen!(v, UInt32Type, i64),
        (Values::I64(v), ArrowType::UInt64) => {
            let values = array.as_primitive::<UInt64Type>().values();
            for (i, &x) in values.iter().enumerate() {
                match i64::try_from(x) {
                    Ok(x) => v.push(x),
                    Err(_) if array.is_null(i) => v.push(0),
                    Err(_) => return Err(out_of_range(name, x, "BIGINT")),
                }
            }
        }
        (Values::I64(v), ArrowType::Decimal32(..)) => widen!(v, Decimal32Type, i64),
        (Values::I64(v), ArrowType::Decimal64(..)) => widen!(v, Decimal64Type, i64),
        (Values::I64(v), ArrowType::Decimal128(..)) => {
            // Precision <= 18 fits i64; a value beyond it is a damaged file.
            let values = array.as_primitive::<Decimal128Type>().values();
            for (i, &x) in values.iter().enumerate() {
                match i64::try_from(x) {
                    Ok(x) => v.push(x),
                    Err(_) if array.is_null(i) => v.push(0),
                    Err(_) => return Err(out_of_range(name, x, "its DECIMAL")),
                }
            }
        }
        (Values::I128(v), ArrowType::Decimal32(..)) => widen!(v, Decimal32Type, i128),
        (Values::I128(v), ArrowType::Decimal64(..)) => widen!(v, Decimal64Type, i128),
        (Values::I128(v), ArrowType::Decimal128(..)) => widen!(v, Decimal128Type, i128),
        (Values::F64(v), ArrowType::Float32) => widen!(v, Float32Type, f64),
        (Values::F64(v), ArrowType::Float64) => widen!(v, Float64Type, f64),
        (Values::Str { .. }, _) => {
            append_strings(part, array);
            part.nulls.extend(nulls);
            return Ok(());
        }
        (_, other) => {
            return Err(Error::Internal(format!(
                "Parquet column \"{name}\" of type {other} does not match its Grizzly type {}",
                part.ty
            )))
        }
    }
    part.nulls.extend(nulls);
    Ok(())
}

/// Appends the values of a string array (any Arrow string layout); NULL slots get "".
fn append_strings(part: &mut ColumnParts, array: &dyn Array) {
    let push = |part: &mut ColumnParts, s: Option<&str>| part.push_str(s.unwrap_or(""));
    match array.data_type() {
        ArrowType::Utf8 => array.as_string::<i32>().iter().for_each(|s| push(part, s)),
        ArrowType::LargeUtf8 => array.as_string::<i64>().iter().for_each(|s| push(part, s)),
        ArrowType::Utf8View => array.as_string_view().iter().for_each(|s| push(part, s)),
        ArrowType::Dictionary(..) => {
            let dict = array.as_any_dictionary();
            let keys = dict.normalized_keys();
            let values = dict.values();
            let text = |k: usize| -> Option<&str> {
                match values.data_type() {
                    ArrowType::Utf8 => Some(values.as_string::<i32>().value(k)),
                    ArrowType::LargeUtf8 => Some(values.as_string::<i64>().value(k)),
                    _ => None,
                }
            };
            for (i, &k) in keys.iter().enumerate() {
                let s = if array.is_valid(i) && k < values.len() {
                    text(k)
                } else {
                    None
                };
                push(part, s);
            }
        }
        _ => (0..array.len()).for_each(|_| push(part, None)),
    }
}

fn out_of_range(name: &str, value: impl std::fmt::Display, ty: &str) -> Error {
    Error::Execution(format!(
        "value {value} of Parquet column \"{name}\" is out of range for {ty}"
    ))
}

/// Writes a query result as a Parquet file (see the module docs for the types).
pub(crate) fn write_parquet(path: &Path, result: &QueryResult, label: &str) -> Result<()> {
    let fields: Vec<Field> = result
        .columns()
        .iter()
        .map(|c| Field::new(c.name.clone(), arrow_type(c.ty), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let file = std::fs::File::create(path).map_err(|source| Error::Io {
        context: format!("cannot create {} for COPY TO", path.display()),
        source,
    })?;
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .set_max_row_group_row_count(Some(ROWS))
        .build();
    let write_err = |e: parquet::errors::ParquetError| {
        Error::Execution(format!("cannot write {}: {e}", path.display()))
    };
    let mut writer = ArrowWriter::try_new(file, schema.clone(), Some(props)).map_err(write_err)?;
    let rows = result.row_count();
    let mut progress = Progress::new(label, rows as u64, Unit::Rows);
    let mut start = 0;
    while start < rows {
        let n = ROWS.min(rows - start);
        let arrays: Vec<ArrayRef> = (0..result.columns().len())
            .map(|c| to_arrow(result.column_vector(c), start, n))
            .collect::<Result<_>>()?;
        let batch = RecordBatch::try_new(schema.clone(), arrays)
            .map_err(|e| Error::Internal(format!("building a Parquet batch: {e}")))?;
        writer.write(&batch).map_err(write_err)?;
        start += n;
        progress.set(start as u64);
    }
    writer.close().map_err(write_err)?;
    Ok(())
}

/// The Arrow type a column of `ty` is written as (VARCHAR, and any type added later until it
/// has its own mapping, as Utf8).
fn arrow_type(ty: DataType) -> ArrowType {
    match ty {
        DataType::Boolean => ArrowType::Boolean,
        DataType::Int32 => ArrowType::Int32,
        DataType::Int64 => ArrowType::Int64,
        DataType::Float64 => ArrowType::Float64,
        DataType::Decimal { precision, scale } => ArrowType::Decimal128(precision, scale as i8),
        DataType::Date => ArrowType::Date32,
        _ => ArrowType::Utf8,
    }
}

/// Rows `start..start + n` of a vector (`start` a multiple of 64) as an Arrow array.
fn to_arrow(v: &Vector, start: usize, n: usize) -> Result<ArrayRef> {
    let nulls = v.validity.as_ref().map(|b| {
        let bytes: Vec<u8> = b.words().iter().flat_map(|w| w.to_le_bytes()).collect();
        NullBuffer::new(BooleanBuffer::new(bytes.into(), start, n))
    });
    Ok(match (&v.data, v.ty) {
        (VectorData::Bool(d), _) => {
            let values: BooleanBuffer = d[start..start + n].iter().map(|&b| b != 0).collect();
            Arc::new(BooleanArray::new(values, nulls))
        }
        (VectorData::I32(d), DataType::Date) => Arc::new(Date32Array::new(
            ScalarBuffer::from(d[start..start + n].to_vec()),
            nulls,
        )),
        (VectorData::I32(d), _) => Arc::new(Int32Array::new(
            ScalarBuffer::from(d[start..start + n].to_vec()),
            nulls,
        )),
        (VectorData::I64(d), DataType::Decimal { precision, scale }) => {
            let values: Vec<i128> = d[start..start + n].iter().map(|&x| x as i128).collect();
            Arc::new(decimal(values, nulls, precision, scale)?)
        }
        (VectorData::I64(d), _) => Arc::new(Int64Array::new(
            ScalarBuffer::from(d[start..start + n].to_vec()),
            nulls,
        )),
        (VectorData::I128(d), DataType::Decimal { precision, scale }) => Arc::new(decimal(
            d[start..start + n].to_vec(),
            nulls,
            precision,
            scale,
        )?),
        (VectorData::F64(d), _) => Arc::new(Float64Array::new(
            ScalarBuffer::from(d[start..start + n].to_vec()),
            nulls,
        )),
        (VectorData::Str(s), _) => {
            let base = s.offsets[start];
            let end = s.offsets[start + n];
            let offsets: Vec<i32> = s.offsets[start..=start + n]
                .iter()
                .map(|&o| (o - base) as i32)
                .collect();
            let bytes = s.bytes[base as usize..end as usize].to_vec();
            Arc::new(
                StringArray::try_new(OffsetBuffer::new(offsets.into()), bytes.into(), nulls)
                    .map_err(|e| {
                        Error::Internal(format!("building a Parquet string column: {e}"))
                    })?,
            )
        }
        (VectorData::Dict { codes, dict }, _) => {
            let strings = StringArray::from_iter(
                codes[start..start + n]
                    .iter()
                    .enumerate()
                    .map(|(i, &c)| v.is_valid(start + i).then(|| dict.get(c as usize))),
            );
            Arc::new(strings)
        }
        (data, ty) => {
            return Err(Error::Internal(format!(
                "a {ty} vector holding {data:?} cannot be written to Parquet"
            )))
        }
    })
}

fn decimal(
    values: Vec<i128>,
    nulls: Option<NullBuffer>,
    precision: u8,
    scale: u8,
) -> Result<Decimal128Array> {
    Decimal128Array::new(ScalarBuffer::from(values), nulls)
        .with_precision_and_scale(precision, scale as i8)
        .map_err(|e| Error::Internal(format!("building a Parquet decimal column: {e}")))
}
