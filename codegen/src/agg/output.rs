//! The rows a compiled aggregate outputs: group numbers decoded into key values (integers
//! from their range base, strings from the run's global dictionary), accumulators into the
//! interpreter's result types, NULL where a group saw no non-NULL input.

use super::{AggPipeline, KeyIndexes};
use crate::group_table::{read, read_i64, GroupTable};
use grizzly_ir::{AggFunc, DataType, PhysicalType, Value};
use grizzly_runtime::{Bitmap, Error, Result, Vector, VectorData};

impl AggPipeline {
    /// The output columns: keys, then aggregates, one row per group that received rows
    /// (exactly one row without GROUP BY).
    pub(super) fn output(
        &self,
        table: &GroupTable,
        keys: &KeyIndexes<'_>,
    ) -> Result<Option<(Vec<Vector>, usize)>> {
        let l = &self.core.layout;
        let stride = l.stride;
        let state = &table.state[..];
        let count = |s: usize| read_i64(state, s * stride);
        let (live, numbers): (Vec<usize>, Vec<i64>) = if l.keys.is_empty() {
            (vec![0], vec![0])
        } else {
            table.live(l).into_iter().unzip()
        };
        let mut out = Vec::with_capacity(l.keys.len() + l.aggs.len());
        for (k, key) in l.keys.iter().enumerate() {
            let values: Vec<Value> = numbers
                .iter()
                .map(|&group| {
                    let index = (group / keys.stride[k]) % keys.count[k];
                    if index == keys.limit[k] {
                        Value::Null
                    } else if key.dict {
                        Value::Varchar(keys.names[k][index as usize].clone())
                    } else {
                        int_value(key.ty, keys.base[k] + index)
                    }
                })
                .collect();
            let v = if values.is_empty() {
                Vector::empty(key.ty)
            } else {
                Vector::from_values(key.ty, &values)
                    .ok_or_else(|| Error::Internal(format!("group key does not fit {}", key.ty)))?
            };
            out.push(v);
        }
        for a in &l.aggs {
            let sum = |s: usize| i128::from_ne_bytes(read::<16>(state, s * stride + a.offset));
            // Rows whose argument was not NULL.
            let inputs = |s: usize| match a.nulls {
                None => count(s),
                Some(at) => count(s) - i64::from_ne_bytes(read::<8>(state, s * stride + at)),
            };
            let has: Vec<bool> = live.iter().map(|&s| inputs(s) > 0).collect();
            let data = match a.func {
                AggFunc::CountStar | AggFunc::Count => {
                    let c: Vec<i64> = live.iter().map(|&s| inputs(s)).collect();
                    out.push(Vector {
                        ty: a.ty,
                        data: VectorData::I64(c.into()),
                        validity: None,
                    });
                    continue;
                }
                AggFunc::Sum if a.ty.physical() == PhysicalType::I64 => {
                    let mut v = Vec::with_capacity(live.len());
                    for &s in &live {
                        match i64::try_from(sum(s)) {
                            Ok(x) => v.push(x),
                            // The interpreter reports this overflow.
                            Err(_) => return Ok(None),
                        }
                    }
                    VectorData::I64(v.into())
                }
                AggFunc::Sum => {
                    VectorData::I128(live.iter().map(|&s| sum(s)).collect::<Vec<_>>().into())
                }
                AggFunc::Avg => {
                    let scale = a.arg_ty.map_or(0, DataType::scale);
                    let div = 10f64.powi(scale as i32);
                    let v: Vec<f64> = live
                        .iter()
                        .map(|&s| {
                            let n = inputs(s);
                            if n > 0 {
                                sum(s) as f64 / div / n as f64
                            } else {
                                0.0
                            }
                        })
                        .collect();
                    VectorData::F64(v.into())
                }
                AggFunc::Min | AggFunc::Max => {
                    let off = |s: usize| s * stride + a.offset;
                    let t = a.arg_ty.map(DataType::physical);
                    if t == Some(PhysicalType::I32) {
                        let v: Vec<i32> = live
                            .iter()
                            .zip(&has)
                            .map(|(&s, &has)| {
                                if has {
                                    i32::from_ne_bytes(read::<4>(state, off(s)))
                                } else {
                                    0
                                }
                            })
                            .collect();
                        VectorData::I32(v.into())
                    } else {
                        let v: Vec<i64> = live
                            .iter()
                            .zip(&has)
                            .map(|(&s, &has)| {
                                if has {
                                    i64::from_ne_bytes(read::<8>(state, off(s)))
                                } else {
                                    0
                                }
                            })
                            .collect();
                        VectorData::I64(v.into())
                    }
                }
                // Never compiled (translate reports them Unsupported).
                _ => return Ok(None),
            };
            let validity = (!has.iter().all(|&x| x)).then(|| Bitmap::from_bools(has));
            out.push(Vector {
                ty: a.ty,
                data,
                validity,
            });
        }
        Ok(Some((out, live.len())))
    }
}

fn int_value(ty: DataType, v: i64) -> Value {
    match ty {
        DataType::Int32 => Value::Int32(v as i32),
        DataType::Date => Value::Date(v as i32),
        DataType::Decimal { scale, .. } => Value::Decimal(v as i128, scale),
        _ => Value::Int64(v),
    }
}
