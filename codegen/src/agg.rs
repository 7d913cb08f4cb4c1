//! The driver of a compiled aggregate pipeline: prepares each row group as a morsel, calls
//! the generated code, and turns the aggregate state into the interpreter's output vectors.
//!
//! The life of one run: convert parameters → pick row groups (zone maps, as the scan does)
//! → check that NULLs appear only in columns the code reads as nullable (and strings are
//! dictionary-encoded) → size the group slots (integer keys by zone-map range, string keys
//! by a global dictionary, plus a NULL group per nullable key) → call the code per row group,
//! with the validity bitmaps of the columns that have NULLs in it → output one row per
//! non-empty slot (one row exactly without GROUP BY); an aggregate with no non-NULL input
//! in a group is NULL there (COUNT: 0). Whatever the compiled code cannot handle (NULLs in a
//! table whose schema has none, other encodings, too many groups, an error status) runs this node through
//! the interpreter instead, which also reports errors with exactly the interpreter's
//! messages.

use crate::group_table::{read, read_i64, GroupTable, MAX_DIRECT_SLOTS};
use crate::jit::{ColumnData, Entry, MorselData, RunData};
use crate::join_table::JoinTable;
use crate::pipeline::{match_shape, ConstSource, DictPred, Layout, Stage};
use crate::translate::physical;
use grizzly_ir::{AggFunc, BinaryOp, ColumnId, DataType, Expr, LogicalPlan, PhysicalType, Value};
use grizzly_runtime::abi::{PRED_FALSE, PRED_NULL, PRED_TRUE, STATUS_GROW, STATUS_OK};
use grizzly_runtime::exec::expr::cast_value;
use grizzly_runtime::exec::scan::ZoneFilter;
use grizzly_runtime::exec::simple::collect;
use grizzly_runtime::exec::{execute, physical, Batch, CompiledPipeline, ExecContext, PhysExpr};
use grizzly_runtime::storage::{Encoding, RowGroup};
use grizzly_runtime::{Bitmap, Error, Result, StrData, Vector, VectorData};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering as AtomicOrdering};
use std::sync::Arc;

/// A row whose joins can match more build rows than this (in product) is left to the
/// interpreter: the hash table must hold that many new groups past its growth mark.
const MAX_GROUPS_PER_ROW: usize = 1 << 20;

/// How the group slot numbers of one run decompose into key values.
struct KeyIndexes<'a> {
    /// Per key: the value of index 0 (integer keys).
    base: &'a [i64],
    stride: &'a [i64],
    /// Per key: the number of value indexes; index `limit` is a nullable key's NULL group.
    limit: &'a [i64],
    /// Per key: indexes in all (`limit`, plus one for a nullable key).
    count: &'a [i64],
    /// Per dictionary key: the strings, by global id.
    names: &'a [Vec<String>],
}

/// A compiled aggregate pipeline (see `pipeline` for the shapes).
pub(crate) struct AggPipeline {
    entry: Entry,
    layout: Layout,
    /// The Aggregate node, run by the interpreter when the compiled code cannot be.
    plan: LogicalPlan,
    /// The scan's pushed filters and its (table column, output id) pairs, for zone maps.
    scan_filters: Vec<Expr>,
    scan_ids: Vec<(usize, ColumnId)>,
    /// Per probed join (stage order): its build side and build key.
    joins: Vec<(LogicalPlan, Expr)>,
    /// Runs handed to the interpreter.
    fallbacks: AtomicU64,
}

impl AggPipeline {
    pub(crate) fn new(entry: Entry, layout: Layout, plan: LogicalPlan) -> Result<AggPipeline> {
        let shape = match_shape(&plan)
            .ok_or_else(|| Error::Internal("compiled pipeline without a scan".into()))?;
        let scan_filters = shape.scan_filters.to_vec();
        let scan_ids = shape.scan_columns.iter().map(|(c, f)| (*c, f.id)).collect();
        let joins = shape
            .stages
            .iter()
            .filter_map(|s| match s {
                Stage::Probe(p) => Some((p.build.clone(), p.build_key.clone())),
                _ => None,
            })
            .collect();
        Ok(AggPipeline {
            entry,
            layout,
            scan_filters,
            scan_ids,
            joins,
            plan,
            fallbacks: AtomicU64::new(0),
        })
    }

    /// How many runs fell back to the interpreter.
    pub(crate) fn fallbacks(&self) -> u64 {
        self.fallbacks.load(AtomicOrdering::Relaxed)
    }

    fn interpret(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize)> {
        self.fallbacks.fetch_add(1, AtomicOrdering::Relaxed);
        // The plan is this pipeline's own copy: no compiled code or profile applies to it,
        // but the statement's cancel flag and memory budget do.
        let interpreted = ExecContext::new(ctx.snapshot.clone(), ctx.params.clone())
            .with_cancel(ctx.cancel.clone())
            .with_memory(ctx.memory.clone());
        execute(&self.plan, &interpreted)
    }

    /// The compiled run, or `None` where the interpreter has to do it.
    fn try_run(&self, ctx: &ExecContext) -> Result<Option<(Vec<Vector>, usize)>> {
        let l = &self.layout;
        let Some(table) = ctx.snapshot.table(&l.table) else {
            return Ok(None);
        };
        let mut params = Vec::with_capacity(l.params.len());
        let mut param_nulls = Vec::with_capacity(l.params.len());
        for (index, ty) in &l.params {
            let value = ctx.params.get(*index);
            match value.and_then(|v| physical(v, *ty)) {
                Some(x) => params.push(x),
                // A NULL parameter needs the NULL-aware loop.
                None if l.null_aware && value.is_some_and(Value::is_null) => params.push(0),
                None => return Ok(None),
            }
            param_nulls.push(value.is_some_and(Value::is_null) as u8);
        }
        let mut strings = Vec::with_capacity(l.str_consts.len());
        for sc in &l.str_consts {
            let s = match &sc.value {
                ConstSource::Literal(s) => s.clone(),
                ConstSource::Param(i) => {
                    match ctx.params.get(*i).map(|v| cast_value(v, DataType::Varchar)) {
                        Some(Ok(Value::Varchar(s))) => s,
                        _ => return Ok(None),
                    }
                }
            };
            strings.push(s);
        }
        let zone = self.zone_filters(&ctx.params);
        let groups: Vec<&RowGroup> = table
            .row_groups
            .iter()
            .filter(|g| g.rows > 0 && zone.iter().all(|z| z.may_match(g)))
            .collect();
        for slot in l.slots.iter().filter(|s| s.used) {
            for g in &groups {
                let Some(chunk) = g.columns.get(slot.column) else {
                    return Ok(None);
                };
                let dict_ok = slot.ty != DataType::Varchar || chunk.encoding() == Encoding::Dict;
                if (chunk.zone.null_count != 0 && !slot.nullable) || !dict_ok {
                    return Ok(None);
                }
            }
        }

        let Some(tables) = self.build_joins(ctx)? else {
            return Ok(None);
        };
        // The most groups one row can insert: one per combination of matching build rows.
        let per_row = tables
            .iter()
            .try_fold(1usize, |n, t| n.checked_mul(t.max_matches().max(1)))
            .filter(|n| *n <= MAX_GROUPS_PER_ROW);
        let Some(per_row) = per_row else {
            return Ok(None);
        };

        // Group slots: per key a base, a limit and (for strings) a global dictionary.
        let nkeys = l.keys.len();
        let mut key_base = vec![0i64; nkeys];
        let mut key_limit = vec![0i64; nkeys];
        let mut names: Vec<Vec<String>> = vec![Vec::new(); nkeys];
        let mut maps: Vec<Vec<Vec<u32>>> = vec![Vec::new(); groups.len()];
        for (k, key) in l.keys.iter().enumerate() {
            if let Some((join, c)) = key.build {
                // The build column's own range (every build row, matched or not).
                let (lo, hi) = tables[join].range(c).unwrap_or((0, 0));
                let Some(span) = hi.checked_sub(lo).filter(|s| *s < i64::MAX) else {
                    return Ok(None);
                };
                key_base[k] = lo;
                key_limit[k] = span + 1;
                continue;
            }
            let column = l.slots[key.slot].column;
            if key.dict {
                let mut ids: HashMap<Vec<u8>, u32> = HashMap::new();
                for (gi, g) in groups.iter().enumerate() {
                    let v = g.columns[column].load()?;
                    let VectorData::Dict { dict, .. } = &v.data else {
                        return Ok(None);
                    };
                    let map: Vec<u32> = (0..dict.len())
                        .map(|i| {
                            let bytes = dict.get_bytes(i);
                            let next = ids.len() as u32;
                            *ids.entry(bytes.to_vec()).or_insert_with(|| {
                                names[k].push(dict.get(i).to_string());
                                next
                            })
                        })
                        .collect();
                    maps[gi].push(map);
                }
                key_limit[k] = ids.len() as i64;
            } else {
                let (mut lo, mut hi) = (i64::MAX, i64::MIN);
                for g in &groups {
                    let z = &g.columns[column].zone;
                    if z.null_count == g.rows as u64 {
                        // Only NULLs (the code checked the key is nullable): no bounds.
                        continue;
                    }
                    let (Some(a), Some(b)) = (physical(&z.min, key.ty), physical(&z.max, key.ty))
                    else {
                        return Ok(None);
                    };
                    lo = lo.min(a);
                    hi = hi.max(b);
                }
                if lo > hi {
                    // No values at all: one (unused) value index.
                    (lo, hi) = (0, 0);
                }
                let Some(span) = hi.checked_sub(lo).filter(|s| *s < i64::MAX) else {
                    return Ok(None);
                };
                key_base[k] = lo;
                key_limit[k] = span + 1;
            }
        }
        // Indexes per key: the values, then the NULL group of a nullable key.
        let Some(key_count) = (0..nkeys)
            .map(|k| key_limit[k].checked_add(l.keys[k].nullable as i64))
            .collect::<Option<Vec<i64>>>()
        else {
            return Ok(None);
        };
        let mut key_stride = vec![0i64; nkeys];
        let mut groups_possible: i64 = 1;
        for k in (0..nkeys).rev() {
            key_stride[k] = groups_possible;
            groups_possible = match groups_possible.checked_mul(key_count[k]) {
                Some(s) => s,
                None => return Ok(None),
            };
        }
        // Named as the interpreter names its aggregate, so both tiers report a limit alike.
        let memory = ctx.memory.reserve("hash aggregate");
        let mut table = if groups_possible <= MAX_DIRECT_SLOTS {
            GroupTable::direct(groups_possible as usize, l, memory)?
        } else {
            GroupTable::hashed(memory)
        };

        for (gi, g) in groups.iter().enumerate() {
            // One row group is one morsel: the statement may be cancelled between them.
            ctx.cancel.check()?;
            let vectors = l
                .slots
                .iter()
                .map(|s| {
                    if s.used {
                        g.columns[s.column].load().map(Some)
                    } else {
                        Ok(None)
                    }
                })
                .collect::<Result<Vec<Option<Vector>>>>()?;
            let mut columns = Vec::with_capacity(vectors.len());
            for v in &vectors {
                columns.push(match v.as_ref().map(|v| &v.data) {
                    None => ColumnData::Unused,
                    Some(VectorData::Bool(b)) => ColumnData::Bool(b),
                    Some(VectorData::I32(b)) => ColumnData::I32(b),
                    Some(VectorData::I64(b)) => ColumnData::I64(b),
                    Some(VectorData::Dict { codes, .. }) => ColumnData::Codes(codes),
                    Some(_) => return Ok(None),
                });
            }
            let mut str_consts = Vec::with_capacity(strings.len());
            for (sc, s) in l.str_consts.iter().zip(&strings) {
                let Some(VectorData::Dict { dict, .. }) =
                    vectors[sc.slot].as_ref().map(|v| &v.data)
                else {
                    return Ok(None);
                };
                str_consts.push(dict_bound(dict, sc.op, s.as_bytes()));
            }
            let mut pred_tables = Vec::with_capacity(l.dict_preds.len());
            for p in &l.dict_preds {
                let Some(VectorData::Dict { dict, .. }) = vectors[p.slot].as_ref().map(|v| &v.data)
                else {
                    return Ok(None);
                };
                match dict_pred_table(p, dict, &ctx.params) {
                    Some(table) => pred_tables.push((table, dict.len())),
                    None => return Ok(None),
                }
            }
            let dict_maps = l
                .keys
                .iter()
                .filter(|k| k.dict)
                .zip(&maps[gi])
                .map(|(k, m)| {
                    let entries = match vectors[k.slot].as_ref().map(|v| &v.data) {
                        Some(VectorData::Dict { dict, .. }) => dict.len(),
                        _ => usize::MAX,
                    };
                    (&m[..], entries)
                })
                .collect();
            let validity = vectors
                .iter()
                .map(|v| {
                    v.as_ref()
                        .and_then(|v| v.validity.as_ref())
                        .map(|b| b.words())
                })
                .collect();
            let morsel = MorselData {
                rows: g.rows,
                columns,
                dict_maps,
                str_consts,
                dict_preds: pred_tables.iter().map(|(t, n)| (&t[..], *n)).collect(),
                validity,
            };
            // Call until the morsel is done: the code stops at a row when the hash table
            // needs to grow, and goes on from there.
            let mut start = 0;
            loop {
                table.prepare(per_row, l)?;
                let mut run = RunData {
                    params: &params,
                    param_nulls: &param_nulls,
                    table: &mut table,
                    key_base: &key_base,
                    key_stride: &key_stride,
                    key_limit: &key_limit,
                    joins: &tables,
                    start,
                };
                match self.entry.call(l, &mut run, &morsel)? {
                    (STATUS_OK, _) => break,
                    (STATUS_GROW, resume) if resume > start => start = resume,
                    _ => return Ok(None),
                }
            }
        }
        let keys = KeyIndexes {
            base: &key_base,
            stride: &key_stride,
            limit: &key_limit,
            count: &key_count,
            names: &names,
        };
        self.output(&table, &keys)
    }

    /// The hash tables of the probed joins, their build sides run by the interpreter; `None`
    /// where one cannot be taken by the code (or its build side fails: the interpreter then
    /// runs the node and reports what it reports).
    fn build_joins(&self, ctx: &ExecContext) -> Result<Option<Vec<JoinTable>>> {
        let mut tables = Vec::with_capacity(self.joins.len());
        for ((build, key), layout) in self.joins.iter().zip(&self.layout.joins) {
            let interpreted = ExecContext::new(ctx.snapshot.clone(), ctx.params.clone())
                .with_cancel(ctx.cancel.clone())
                .with_memory(ctx.memory.clone());
            // Held under the interpreter's name for a join's build side, so both tiers report
            // a memory limit alike.
            let mut memory = ctx.memory.reserve("hash join build");
            let types: Vec<DataType> = layout.fields.iter().map(|f| f.ty).collect();
            let built = physical::build(build, &interpreted)
                .and_then(|op| collect(op, &types, &mut memory));
            let (columns, rows) = match built {
                Ok(out) => out,
                Err(e @ (Error::Cancelled | Error::ResourceLimit(_))) => return Err(e),
                Err(_) => return Ok(None),
            };
            match JoinTable::build(
                columns,
                rows,
                &layout.fields,
                key,
                &layout.used,
                &ctx.params,
                memory,
            )? {
                Some(t) => tables.push(t),
                None => return Ok(None),
            }
        }
        Ok(Some(tables))
    }

    /// The output columns: keys, then aggregates, one row per group that received rows
    /// (exactly one row without GROUP BY).
    fn output(
        &self,
        table: &GroupTable,
        keys: &KeyIndexes<'_>,
    ) -> Result<Option<(Vec<Vector>, usize)>> {
        let l = &self.layout;
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
            let v = Vector::from_values(key.ty, &values)
                .ok_or_else(|| Error::Internal(format!("group key does not fit {}", key.ty)))?;
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

    /// The scan's pushed filters of the form `column op constant`, exactly as the
    /// interpreter's scan uses them to skip row groups (so both tiers see the same rows).
    fn zone_filters(&self, params: &[Value]) -> Vec<ZoneFilter> {
        let table_column = |id: ColumnId| {
            self.scan_ids
                .iter()
                .find(|(_, i)| *i == id)
                .map(|(c, _)| *c)
        };
        ZoneFilter::from_filters(&self.scan_filters, &table_column, params)
    }
}

impl CompiledPipeline for AggPipeline {
    fn run(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize)> {
        self.run_reporting(ctx)
            .map(|(columns, rows, _)| (columns, rows))
    }

    fn run_reporting(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize, bool)> {
        match self.try_run(ctx)? {
            Some((columns, rows)) => Ok((columns, rows, true)),
            None => self
                .interpret(ctx)
                .map(|(columns, rows)| (columns, rows, false)),
        }
    }
}

/// The code the generated comparison `code op' bound` needs (see
/// `translate_str_compare`): for `=`/`<>` the exact code or `u32::MAX` if absent; for
/// `<`/`>=` the first code not below `s`; for `<=`/`>` the first code above `s`.
fn dict_bound(dict: &StrData, op: BinaryOp, s: &[u8]) -> u32 {
    let n = dict.len();
    let (mut lo, mut hi) = (0usize, n);
    while lo < hi {
        let mid = (lo + hi) / 2;
        if dict.get_bytes(mid) < s {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    let found = lo < n && dict.get_bytes(lo) == s;
    match op {
        BinaryOp::Eq | BinaryOp::NotEq => {
            if found {
                lo as u32
            } else {
                u32::MAX
            }
        }
        BinaryOp::Lt | BinaryOp::GtEq => lo as u32,
        _ => (lo + found as usize) as u32,
    }
}

/// The value of a dictionary predicate for every entry of `dict` (by code), computed by the
/// interpreter's evaluator; `None` if it fails on some entry (the interpreter then runs the
/// node and reports the error only if a row that reaches the predicate has that value).
fn dict_pred_table(pred: &DictPred, dict: &Arc<StrData>, params: &[Value]) -> Option<Vec<u8>> {
    let n = dict.len();
    let codes: Vec<u32> = (0..n as u32).collect();
    let entries = Vector {
        ty: DataType::Varchar,
        data: VectorData::Dict {
            codes: codes.into(),
            dict: dict.clone(),
        },
        validity: None,
    };
    let expr = PhysExpr::new(&pred.expr, &|id| (id == pred.column).then_some(0), params).ok()?;
    let values = expr.eval(&Batch::new(vec![entries], n)).ok()?;
    (0..n)
        .map(|i| match values.get(i) {
            Value::Boolean(true) => Some(PRED_TRUE),
            Value::Boolean(false) => Some(PRED_FALSE),
            Value::Null => Some(PRED_NULL),
            _ => None,
        })
        .collect()
}

fn int_value(ty: DataType, v: i64) -> Value {
    match ty {
        DataType::Int32 => Value::Int32(v as i32),
        DataType::Date => Value::Date(v as i32),
        DataType::Decimal { scale, .. } => Value::Decimal(v as i128, scale),
        _ => Value::Int64(v),
    }
}
