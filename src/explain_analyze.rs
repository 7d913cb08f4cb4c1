//! EXPLAIN ANALYZE: runs a query with counters on every operator and prints the plan with
//! what each operator did.
//!
//! The query runs as it would under the session's `jit` mode (the code EXPLAIN would show:
//! compiled now in `always`/`verify`, the cache's code in `auto`, none in `off`), with a
//! [`Profile`] in its context so that `physical::build` wraps every operator in a counter;
//! ordinary runs never pay for that. Its rows are counted and dropped. Each operator line
//! then gets one of:
//! - `(actual rows=R batches=B time=T ms self=S ms)`: an interpreted operator. `time` is
//!   inclusive (it contains the time of the inputs it pulled from, as PostgreSQL's actual
//!   time); `self` is exclusive (`time` less the inputs' `time`). `loops=N` when the operator
//!   was built N > 1 times.
//! - `(actual rows=R time=T ms, compiled pipeline #P: whole pipeline)`: the breaker of a
//!   compiled pipeline; native code runs the pipeline's scan, filters and projections in one
//!   loop, so rows and time exist for the pipeline as a whole only, and its other operators
//!   show `(in compiled pipeline #P)`. When the code meets data it does not handle (NULLs,
//!   plain strings) it hands the run to the interpreter, and the note says so instead of
//!   "whole pipeline" (the interpreter's run of the pipeline is not broken down either).
//! - `(never executed)`: no operator ran for the node (e.g. below a LIMIT that was satisfied).
//!
//! Below the tree come the fingerprint and the per-pipeline tiers (as in EXPLAIN) and the
//! total execution time.

use crate::query::{self, CachedPlan, Shared, TierSettings};
use grizzly_ir::{LogicalPlan, Value};
use grizzly_runtime::exec::{self, ExecContext, MemoryBudget, NodeStats, Profile};
use grizzly_runtime::storage::Snapshot;
use grizzly_runtime::Result;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// EXPLAIN ANALYZE of a query that goes through the query cache and the tiers.
pub(crate) fn cached(
    shared: &Shared,
    tiers: TierSettings,
    cached: &CachedPlan,
    snapshot: Arc<Snapshot>,
    user_params: &[Value],
) -> Result<String> {
    let (code, failure) = query::explain_code(shared, tiers, cached, false);
    let mut ctx = query::context(snapshot, cached.params(user_params))
        .with_memory(MemoryBudget::new(tiers.memory_limit));
    let mut compiled = Vec::new();
    if let Some(code) = &code {
        ctx = ctx.with_compiled(&cached.plan, code.clone().plan());
        compiled = code.pipelines().into_iter().map(|(id, _)| id).collect();
    }
    let tier = query::tier_text(tiers, cached, code.as_ref(), failure.as_deref());
    analyze(&cached.plan, ctx, &compiled, &tier)
}

/// EXPLAIN ANALYZE of a plan the interpreter runs alone (one reading a system table).
pub(crate) fn interpreted(
    plan: &LogicalPlan,
    snapshot: Arc<Snapshot>,
    params: Arc<[Value]>,
) -> Result<String> {
    let ctx = query::context(snapshot, params);
    analyze(plan, ctx, &[], "JIT: interpreted (reads a system table)\n")
}

/// Runs `plan` in `ctx` with a profile and renders the annotated plan, `tier` and totals.
/// `compiled` lists the pre-order ids of the pipelines that run compiled.
fn analyze(plan: &LogicalPlan, ctx: ExecContext, compiled: &[usize], tier: &str) -> Result<String> {
    let profile = Arc::new(Profile::new());
    let ctx = ctx.with_profile(profile.clone());
    let start = Instant::now();
    let (_, rows) = exec::execute(plan, &ctx)?;
    let elapsed = start.elapsed();
    let inside = compiled_members(plan, compiled);
    let ids: HashMap<usize, usize> = plan
        .preorder()
        .into_iter()
        .enumerate()
        .map(|(i, node)| (address(node), i))
        .collect();
    let note = |node: &LogicalPlan| {
        let stats = profile.stats(node);
        Some(match (stats, inside.get(&address(node))) {
            (Some(s), _) if s.compiled => {
                let id = ids.get(&address(node)).copied().unwrap_or_default();
                let how = if s.fell_back {
                    "its code handed the run to the interpreter"
                } else {
                    "whole pipeline"
                };
                format!(
                    "(actual rows={} time={}, compiled pipeline #{id}: {how})",
                    s.rows,
                    ms(s.time)
                )
            }
            (Some(s), _) if s.calls > 0 => interpreted_note(node, &s, &profile),
            (_, Some(id)) => format!("(in compiled pipeline #{id})"),
            _ => "(never executed)".to_string(),
        })
    };
    let mut out = grizzly_ir::explain_annotated(plan, &note);
    if !out.ends_with('\n') {
        out.push('\n');
    }
    out.push_str(tier);
    out.push_str(&format!(
        "Execution: {rows} row{} in {}\n",
        if rows == 1 { "" } else { "s" },
        ms(elapsed)
    ));
    out.push_str(
        "Times are inclusive (an operator's time contains its inputs'); self is exclusive.\n",
    );
    if !compiled.is_empty() {
        out.push_str("Compiled pipelines report rows and time for the whole pipeline only.\n");
    }
    Ok(out)
}

fn interpreted_note(node: &LogicalPlan, s: &NodeStats, profile: &Profile) -> String {
    let inputs: Duration = node
        .inputs()
        .into_iter()
        .filter_map(|i| profile.stats(i))
        .map(|i| i.time)
        .sum();
    let mut note = format!(
        "(actual rows={} batches={} time={} self={}",
        s.rows,
        s.batches,
        ms(s.time),
        ms(s.time.saturating_sub(inputs))
    );
    if s.opened > 1 {
        note.push_str(&format!(" loops={}", s.opened));
    }
    note.push(')');
    note
}

/// Node address → pipeline id, for the nodes a compiled pipeline runs below its breaker.
fn compiled_members(plan: &LogicalPlan, compiled: &[usize]) -> HashMap<usize, usize> {
    let nodes = plan.preorder();
    let mut out = HashMap::new();
    for &id in compiled {
        if let Some(breaker) = nodes.get(id) {
            for member in breaker.preorder().into_iter().skip(1) {
                out.insert(address(member), id);
            }
        }
    }
    out
}

fn address(node: &LogicalPlan) -> usize {
    node as *const LogicalPlan as usize
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1000.0)
}
