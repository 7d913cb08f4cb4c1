//! Running a query through the cache and the tiers.
//!
//! [`CachedPlan::new`] lifts the optimized plan's literals into parameters
//! (`grizzly_ir::fingerprint`) and builds the cache key; [`run`] finds the plan's cache entry,
//! decides from the `jit` mode which tier runs it, and runs it: the interpreter alone, or the
//! interpreter with the entry's compiled pipelines attached (`ExecContext::with_compiled`).

use crate::cache::{CacheEntry, CacheKey, QueryCache};
use crate::jit::{self, Fingerprint};
use crate::result::{Column, QueryResult};
use crate::session::Settings;
use crate::system;
use crate::text_cache::TextCache;
use crate::tier::{self, CompiledCode, Compiler, JitMode};
use grizzly_ir::{LogicalPlan, Value};
use grizzly_runtime::exec::{self, ExecContext, MemoryBudget};
use grizzly_runtime::storage::Snapshot;
use grizzly_runtime::{Error, Result};
use std::cmp::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a database's sessions share for the compiled tier.
pub(crate) struct Shared {
    pub cache: Arc<QueryCache>,
    pub compiler: Compiler,
    /// Query texts seen before → their plans (skips the front end).
    pub texts: TextCache,
}

impl Shared {
    pub(crate) fn new(factory: tier::GeneratorFactory) -> Shared {
        let cache = Arc::new(QueryCache::new(
            crate::session::DEFAULT_CACHE_ENTRIES,
            crate::session::DEFAULT_CACHE_BYTES,
        ));
        let compiler = Compiler::new(factory, Arc::downgrade(&cache));
        Shared {
            cache,
            compiler,
            texts: TextCache::new(crate::text_cache::TEXT_CACHE_ENTRIES),
        }
    }
}

/// The settings that decide a query's tier (and its memory limit), copied out of the
/// session.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TierSettings {
    pub mode: JitMode,
    pub threshold: u64,
    pub compile_after: Duration,
    /// `memory_limit`: each run gets a fresh budget of this many bytes (`None`: no limit).
    pub memory_limit: Option<u64>,
}

impl TierSettings {
    pub(crate) fn of(settings: &Settings) -> TierSettings {
        TierSettings {
            mode: settings.jit(),
            threshold: settings.jit_threshold(),
            compile_after: Duration::from_millis(settings.jit_compile_after_ms()),
            memory_limit: settings.memory_limit(),
        }
    }
}

/// An optimized query in the form the cache runs: lifted plan, lifted values and key.
#[derive(Debug)]
pub(crate) struct CachedPlan {
    /// The optimized plan with its literals lifted to parameters after the user's.
    pub plan: LogicalPlan,
    /// The lifted literals' values (parameters `user_params..`).
    pub lifted: Vec<Value>,
    pub fingerprint: Fingerprint,
    pub canonical: String,
    pub key: CacheKey,
    /// Whether the result's row order is defined (an ORDER BY on top).
    pub ordered: bool,
    /// The result's column names and types.
    pub columns: Arc<[Column]>,
}

impl CachedPlan {
    /// Lifts `optimized` (a plan with `user_params` parameters of its own) and keys it on
    /// the schema versions `snapshot` gives its tables.
    pub(crate) fn new(optimized: &LogicalPlan, user_params: usize, snapshot: &Snapshot) -> Self {
        let lifted = jit::lift(optimized, user_params);
        let tables = system::tables_read(&lifted.plan)
            .into_iter()
            .map(|name| {
                let version = snapshot.table(&name).map_or(0, |t| t.schema_version);
                (snapshot.cache_name(&name).into_owned(), version)
            })
            .collect();
        let key = CacheKey {
            fingerprint: lifted.fingerprint.0,
            tables,
            codegen_version: tier::CODEGEN_VERSION,
            isa: tier::isa(),
        };
        CachedPlan {
            ordered: is_ordered(&lifted.plan),
            columns: columns_of(&lifted.plan).into(),
            plan: lifted.plan,
            lifted: lifted.values,
            fingerprint: lifted.fingerprint,
            canonical: lifted.canonical,
            key,
        }
    }

    /// The user's parameters followed by the lifted literals.
    pub(crate) fn params(&self, user: &[Value]) -> Arc<[Value]> {
        user.iter().chain(&self.lifted).cloned().collect()
    }

    /// This plan's cache entry (made if missing; counts as a lookup).
    pub(crate) fn entry(&self, cache: &QueryCache) -> Arc<CacheEntry> {
        cache.entry(&self.key, self.fingerprint, &self.canonical)
    }
}

/// The result columns `plan` outputs.
fn columns_of(plan: &LogicalPlan) -> Vec<Column> {
    plan.fields()
        .into_iter()
        .map(|f| Column {
            name: f.name,
            ty: f.ty,
        })
        .collect()
}

/// True if the plan's output order is defined by a Sort (under projections and limits).
fn is_ordered(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Sort { .. } => true,
        LogicalPlan::Project { input, .. } | LogicalPlan::Limit { input, .. } => is_ordered(input),
        _ => false,
    }
}

/// True if a LIMIT picks rows from an input of undefined order: then the two tiers may
/// legitimately return different rows.
fn limit_without_order(plan: &LogicalPlan) -> bool {
    match plan {
        LogicalPlan::Limit { input, .. } => !is_ordered(input),
        LogicalPlan::Project { input, .. } | LogicalPlan::Sort { input, .. } => {
            limit_without_order(input)
        }
        _ => false,
    }
}

/// Runs an optimized plan in the interpreter alone (no cache) within `memory_limit`.
pub(crate) fn run_interpreted(
    plan: &LogicalPlan,
    snapshot: Arc<Snapshot>,
    params: Arc<[Value]>,
    memory_limit: Option<u64>,
) -> Result<QueryResult> {
    let ctx = context(snapshot, params).with_memory(MemoryBudget::new(memory_limit));
    to_result(plan, &ctx)
}

/// A context for running a statement of the API call on this thread (with its cancel flag).
pub(crate) fn context(snapshot: Arc<Snapshot>, params: Arc<[Value]>) -> ExecContext {
    ExecContext::new(snapshot, params).with_cancel(crate::interrupt::current())
}

/// In `auto`, how often a query whose compiled code measured slower still runs compiled.
const PROBE_EVERY: u64 = 16;

/// Runs a cached plan under the tiering policy of `tiers`.
pub(crate) fn run(
    shared: &Shared,
    tiers: TierSettings,
    cached: &CachedPlan,
    snapshot: Arc<Snapshot>,
    user_params: &[Value],
) -> Result<QueryResult> {
    let params = cached.params(user_params);
    let limit = tiers.memory_limit;
    if tiers.mode == JitMode::Off {
        return run_cached(cached, None, snapshot, params, limit);
    }
    let entry = cached.entry(&shared.cache);
    let n = entry.start_run();
    let plan = &cached.plan;
    match tiers.mode {
        JitMode::Off | JitMode::Auto => {
            if let Some(code) = entry.code() {
                // Compiled, unless measured slower; then one run in PROBE_EVERY stays
                // compiled, so a change in the data can turn the choice back.
                if !entry.compiled_is_slower() || n.is_multiple_of(PROBE_EVERY) {
                    return timed(&entry, true, || {
                        run_cached(cached, Some(&code), snapshot, params, limit)
                    });
                }
                return timed(&entry, false, || {
                    run_cached(cached, None, snapshot, params, limit)
                });
            }
            if n >= tiers.threshold {
                shared.compiler.compile_async(&entry, plan);
            }
            let start = Instant::now();
            let result = run_cached(cached, None, snapshot, params, limit);
            let elapsed = start.elapsed();
            entry.record_run(false, elapsed);
            if elapsed >= tiers.compile_after && result.is_ok() {
                shared.compiler.compile_async(&entry, plan);
            }
            result
        }
        JitMode::Always => match shared.compiler.compile_sync(&entry, plan) {
            Ok(code) => timed(&entry, true, || {
                run_cached(cached, Some(&code), snapshot, params, limit)
            }),
            Err(_) => timed(&entry, false, || {
                run_cached(cached, None, snapshot, params, limit)
            }),
        },
        JitMode::Verify => {
            let code = shared.compiler.compile_sync(&entry, plan).ok();
            let interpreted = timed(&entry, false, || {
                run_cached(cached, None, snapshot.clone(), params.clone(), limit)
            });
            let Some(code) = code else {
                return interpreted;
            };
            let compiled = timed(&entry, true, || {
                run_cached(cached, Some(&code), snapshot, params, limit)
            });
            verify(cached, interpreted, compiled)
        }
    }
}

fn timed<T>(entry: &CacheEntry, compiled: bool, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    entry.record_run(compiled, start.elapsed());
    out
}

/// Runs a cached plan within `memory_limit`, with the compiled pipelines of `code` if given
/// (else in the interpreter alone); the result shares the plan's column descriptions.
fn run_cached(
    cached: &CachedPlan,
    code: Option<&Arc<dyn CompiledCode>>,
    snapshot: Arc<Snapshot>,
    params: Arc<[Value]>,
    memory_limit: Option<u64>,
) -> Result<QueryResult> {
    let mut ctx = context(snapshot, params).with_memory(MemoryBudget::new(memory_limit));
    if let Some(code) = code {
        ctx = ctx.with_compiled(&cached.plan, code.clone().plan());
    }
    let (data, rows) = exec::execute(&cached.plan, &ctx)?;
    Ok(QueryResult::shared(cached.columns.clone(), data, rows))
}

/// Runs an optimized plan in `ctx` and collects its output (`exec::execute` counts the
/// rows it collects in `ctx.memory`, under the name "query result").
pub(crate) fn to_result(plan: &LogicalPlan, ctx: &ExecContext) -> Result<QueryResult> {
    let columns = columns_of(plan);
    let (data, rows) = exec::execute(plan, ctx)?;
    Ok(QueryResult::new(columns, data, rows))
}

/// `verify`: the interpreter's outcome if the compiled run agrees with it, else an error
/// naming the first difference.
fn verify(
    cached: &CachedPlan,
    interpreted: Result<QueryResult>,
    compiled: Result<QueryResult>,
) -> Result<QueryResult> {
    let fail = |what: String| {
        Err(Error::Internal(format!(
            "jit verify: compiled and interpreted results differ for query {}: {what}",
            cached.fingerprint
        )))
    };
    match (interpreted, compiled) {
        (Ok(i), Ok(c)) => match difference(cached, &i, &c) {
            None => Ok(i),
            Some(what) => fail(what),
        },
        // Both failed: the interpreter's error is the reference (which of several errors a
        // statement meets first is not defined).
        (Err(e), Err(_)) => Err(e),
        (Err(e), Ok(_)) => fail(format!(
            "the interpreter failed ({e}), compiled code did not"
        )),
        (Ok(_), Err(e)) => fail(format!(
            "compiled code failed ({e}), the interpreter did not"
        )),
    }
}

/// How two results differ, if they do: as sequences when the order is defined, as multisets
/// of rows otherwise. DOUBLEs compare with a relative tolerance of 1e-9 (summation order
/// may differ between tiers).
fn difference(cached: &CachedPlan, a: &QueryResult, b: &QueryResult) -> Option<String> {
    if a.columns() != b.columns() {
        return Some(format!("columns {:?} vs {:?}", a.columns(), b.columns()));
    }
    if a.row_count() != b.row_count() {
        return Some(format!("{} rows vs {} rows", a.row_count(), b.row_count()));
    }
    if limit_without_order(&cached.plan) {
        return None;
    }
    let rows = |r: &QueryResult| -> Vec<Vec<Value>> { r.rows().map(|row| row.values()).collect() };
    let (mut ra, mut rb) = (rows(a), rows(b));
    if !cached.ordered {
        ra.sort_by(|x, y| cmp_rows(x, y));
        rb.sort_by(|x, y| cmp_rows(x, y));
    }
    ra.iter()
        .zip(&rb)
        .enumerate()
        .find(|(_, (x, y))| !rows_equal(x, y))
        .map(|(i, (x, y))| format!("row {i}: interpreted {x:?}, compiled {y:?}"))
}

fn cmp_rows(a: &[Value], b: &[Value]) -> Ordering {
    for (x, y) in a.iter().zip(b) {
        let o = match (x.is_null(), y.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => x.sql_cmp(y).unwrap_or(Ordering::Equal),
        };
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

fn rows_equal(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| values_equal(x, y))
}

fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Float64(x), Value::Float64(y)) => {
            x.to_bits() == y.to_bits()
                || (x.is_nan() && y.is_nan())
                || (x - y).abs() <= 1e-9 * x.abs().max(y.abs())
        }
        (Value::Null, Value::Null) => true,
        _ => a.is_null() == b.is_null() && a.sql_cmp(b) == Some(Ordering::Equal),
    }
}

/// The EXPLAIN text of a cached plan: the plan tree, its fingerprint, and for each pipeline
/// whether it runs compiled or interpreted; with `clif`, the Cranelift IR too.
pub(crate) fn explain(
    shared: &Shared,
    tiers: TierSettings,
    cached: &CachedPlan,
    clif: bool,
) -> String {
    let mut out = grizzly_ir::explain(&cached.plan);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    let (code, failure) = explain_code(shared, tiers, cached, clif);
    out.push_str(&tier_text(tiers, cached, code.as_ref(), failure.as_deref()));
    if clif {
        match &code {
            Some(c) => {
                out.push_str("Cranelift IR:\n");
                out.push_str(&c.clif());
            }
            None => out.push_str("Cranelift IR: none (not compiled)\n"),
        }
    }
    out
}

/// The code EXPLAIN describes (and EXPLAIN ANALYZE runs) under `tiers`: compiled now in
/// `always` and `verify` (or for `clif`), what the cache holds in `auto`, none in `off`;
/// with the reason compiling failed, if it did.
pub(crate) fn explain_code(
    shared: &Shared,
    tiers: TierSettings,
    cached: &CachedPlan,
    clif: bool,
) -> (Option<Arc<dyn CompiledCode>>, Option<String>) {
    let mut code = None;
    let mut failure = None;
    if tiers.mode != JitMode::Off || clif {
        let entry = shared.cache.peek(&cached.key);
        let compile_now = clif || matches!(tiers.mode, JitMode::Always | JitMode::Verify);
        let entry = match entry {
            Some(e) => Some(e),
            None if compile_now => Some(cached.entry(&shared.cache)),
            None => None,
        };
        if let Some(entry) = entry {
            code = if compile_now {
                match shared.compiler.compile_sync(&entry, &cached.plan) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        failure = Some(e.to_string());
                        None
                    }
                }
            } else {
                failure = entry.failure();
                entry.code()
            };
        }
    }
    (code, failure)
}

/// The fingerprint and tier lines of EXPLAIN: overall, then per pipeline.
pub(crate) fn tier_text(
    tiers: TierSettings,
    cached: &CachedPlan,
    code: Option<&Arc<dyn CompiledCode>>,
    failure: Option<&str>,
) -> String {
    let mut out = format!("Fingerprint: {}\n", cached.fingerprint);
    let tier = match (code, failure) {
        (Some(_), _) => "compiled".to_string(),
        (None, Some(reason)) => format!("interpreted (compile failed: {reason})"),
        (None, None) => "interpreted".to_string(),
    };
    out.push_str(&format!("JIT: {} (mode {})\n", tier, tiers.mode));
    let compiled: Vec<(usize, String)> = code.map(|c| c.pipelines()).unwrap_or_default();
    for (id, node) in pipeline_ends(&cached.plan) {
        match compiled.iter().find(|(c, _)| *c == id) {
            Some((_, what)) => {
                out.push_str(&format!("  pipeline #{id} {node}: compiled ({what})\n"))
            }
            None => out.push_str(&format!("  pipeline #{id} {node}: interpreted\n")),
        }
    }
    for (id, what) in &compiled {
        if !pipeline_ends(&cached.plan).iter().any(|(p, _)| p == id) {
            out.push_str(&format!("  pipeline #{id}: compiled ({what})\n"));
        }
    }
    out
}

/// The nodes where the interpreter's pipelines end (pre-order id, operator name): the root
/// and every breaker (aggregate, distinct, sort, join build, set operation).
fn pipeline_ends(plan: &LogicalPlan) -> Vec<(usize, &'static str)> {
    plan.preorder()
        .into_iter()
        .enumerate()
        .filter_map(|(i, node)| {
            let name = match node {
                LogicalPlan::Aggregate { .. } => "Aggregate",
                LogicalPlan::Distinct { .. } => "Distinct",
                LogicalPlan::Sort { .. } => "Sort",
                LogicalPlan::Window { .. } => "Window",
                LogicalPlan::Join { .. } => "Join",
                LogicalPlan::SetOp { .. } => "SetOp",
                _ if i == 0 => "Result",
                _ => return None,
            };
            Some((i, name))
        })
        .collect()
}
