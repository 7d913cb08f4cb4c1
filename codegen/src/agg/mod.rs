//! The driver of a compiled aggregate pipeline: prepares each row group as a morsel, calls
//! the generated code, and turns the aggregate state into the interpreter's output vectors.
//!
//! The life of one run: convert parameters → pick row groups (zone maps, as the scan does)
//! → check that NULLs appear only in columns the code reads as nullable (and strings are
//! dictionary-encoded) → run each probed join's build side (its own compiled pipeline, or
//! the interpreter) and hash it (`join_table`; these steps are `driver`'s) → size the group slots (integer keys by zone-map or build-side range,
//! string keys by a global dictionary, plus a NULL group per nullable key; direct slots or a
//! hash table, `group_table`) → call the code per row group (again from the row where it
//! stopped whenever the hash table must grow), with the validity bitmaps of the columns that
//! have NULLs in it and the morsel's string constants and predicate tables (`strings`) →
//! output one row per group that received rows (`output`; one row exactly without GROUP BY);
//! an aggregate with no non-NULL input in a group is NULL there (COUNT: 0). Whatever the
//! compiled code cannot handle (NULLs in a table whose schema has none, other encodings,
//! key ranges past 64 bits, an error status) runs this node through the interpreter
//! instead, which also reports errors with exactly the interpreter's messages.
mod output;

use crate::driver::{load_slots, morsel, Core, RunInputs};
use crate::group_table::{GroupTable, MAX_DIRECT_SLOTS};
use crate::jit::{RunData, Sink};
use crate::translate::physical;
use grizzly_runtime::abi::{STATUS_GROW, STATUS_OK};
use grizzly_runtime::exec::{CompiledPipeline, ExecContext};
use grizzly_runtime::{Error, Result, Vector, VectorData};
use std::collections::HashMap;

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
    core: Core,
}

impl AggPipeline {
    pub(crate) fn new(core: Core) -> AggPipeline {
        AggPipeline { core }
    }

    pub(crate) fn fallbacks(&self) -> u64 {
        self.core.fallbacks()
    }

    /// The compiled run, or `None` where the interpreter has to do it.
    fn try_run(&self, ctx: &ExecContext) -> Result<Option<(Vec<Vector>, usize)>> {
        let l = &self.core.layout;
        let Some(inputs) = self.core.source.inputs(l, ctx)? else {
            return Ok(None);
        };
        let RunInputs {
            params,
            param_nulls,
            strings,
            groups,
            tables,
            per_row,
        } = inputs;

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
        let memory = || ctx.memory.reserve("hash aggregate");
        // Direct slots for few possible groups, unless they alone pass the memory limit: the
        // hash table grows only with the groups seen, as the interpreter's does.
        let direct = (groups_possible <= MAX_DIRECT_SLOTS)
            .then(|| GroupTable::direct(groups_possible as usize, l, memory()));
        let mut table = match direct {
            Some(Ok(table)) => table,
            Some(Err(Error::ResourceLimit(_))) | None => GroupTable::hashed(memory()),
            Some(Err(e)) => return Err(e),
        };

        for (gi, g) in groups.iter().enumerate() {
            // One row group is one morsel: the statement may be cancelled between them.
            ctx.cancel.check()?;
            let vectors = load_slots(l, g)?;
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
            let mut pred_tables = Vec::new();
            let Some(morsel) = morsel(
                l,
                g.rows,
                &vectors,
                &strings,
                &mut pred_tables,
                dict_maps,
                &ctx.params,
            ) else {
                return Ok(None);
            };
            // Call until the morsel is done: the code stops at a row when the hash table
            // needs to grow, and goes on from there.
            let mut start = 0;
            loop {
                table.prepare(per_row, l)?;
                let mut run = RunData {
                    params: &params,
                    param_nulls: &param_nulls,
                    sink: Sink::Groups(&mut table),
                    key_base: &key_base,
                    key_stride: &key_stride,
                    key_limit: &key_limit,
                    joins: &tables,
                    start,
                };
                match self.core.entry.call(l, &mut run, &morsel)? {
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
}

impl CompiledPipeline for AggPipeline {
    fn run(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize)> {
        self.run_reporting(ctx)
            .map(|(columns, rows, _)| (columns, rows))
    }

    fn run_reporting(&self, ctx: &ExecContext) -> Result<(Vec<Vector>, usize, bool)> {
        match self.try_run(ctx) {
            Ok(Some((columns, rows))) => Ok((columns, rows, true)),
            // Over memory_limit in the compiled tier's own structures (what it held is
            // released by now): the interpreter's differ, so it decides, and reports the
            // limit itself if it passes it too.
            Ok(None) | Err(Error::ResourceLimit(_)) => self
                .core
                .interpret(ctx)
                .map(|(columns, rows)| (columns, rows, false)),
            Err(e) => Err(e),
        }
    }
}
