//! The wrapper every operator runs in: a cancel check per batch and, for EXPLAIN ANALYZE
//! only, per-operator counters.
//!
//! [`physical::build`](super::physical::build) hands each operator it builds to
//! [`instrument`]. Without a profile in the context the operator gets the thin
//! [`CancelCheckOp`] (one relaxed atomic load per batch); with one it gets a [`ProfiledOp`]
//! that also counts batches and rows and times every `next` call. Times are *inclusive*: an
//! operator's time includes the time its inputs spent producing the batches it pulled
//! (as PostgreSQL's "actual time"); the printer derives exclusive ("self") times from that.
//!
//! Stats are keyed by the address of the logical plan node they belong to, the same way
//! compiled pipelines are found (`ExecContext::with_compiled`). Subquery plans are cloned
//! before they run, so [`Profile::alias`] maps each clone's nodes back to the original's.

use super::batch::Batch;
use super::operator::{BoxOp, CancelFlag, ExecContext, Operator};
use crate::Result;
use grizzly_ir::{Expr, LogicalPlan};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one plan node's operator did, summed over every time it was built (a subquery's
/// operators run once per operator that holds the subquery).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NodeStats {
    /// Operators built for this node (usually 1).
    pub opened: u64,
    /// Calls of `next`.
    pub calls: u64,
    /// Non-empty batches returned.
    pub batches: u64,
    /// Rows returned (selected rows, not physical ones).
    pub rows: u64,
    /// Wall time inside `next`, including the inputs' time.
    pub time: Duration,
    /// The node was run by a compiled pipeline: `rows` and `time` cover the whole pipeline.
    pub compiled: bool,
    /// The compiled pipeline handed a run to the interpreter (NULLs or other data its code
    /// does not handle).
    pub fell_back: bool,
}

impl NodeStats {
    fn add(&mut self, other: &NodeStats) {
        self.opened += other.opened;
        self.calls += other.calls;
        self.batches += other.batches;
        self.rows += other.rows;
        self.time += other.time;
        self.compiled |= other.compiled;
        self.fell_back |= other.fell_back;
    }
}

/// The counters of one EXPLAIN ANALYZE run. Shared by the run's operators (which write
/// their stats once, when dropped) and the printer.
#[derive(Debug, Default)]
pub struct Profile {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    stats: HashMap<usize, NodeStats>,
    /// Node address of a copy → the original node's address.
    aliases: HashMap<usize, usize>,
}

impl Profile {
    pub fn new() -> Profile {
        Profile::default()
    }

    /// What `node`'s operator did, if one was built for it.
    pub fn stats(&self, node: &LogicalPlan) -> Option<NodeStats> {
        self.lock().stats.get(&address(node)).copied()
    }

    /// Records that `copy` (a clone of `original`, e.g. a subquery about to run) stands for
    /// `original`: stats of its nodes count for the matching nodes of `original`.
    pub fn alias(&self, copy: &LogicalPlan, original: &LogicalPlan) {
        self.alias_nodes(&preorder_addresses(copy), &preorder_addresses(original));
    }

    /// Aliases the subquery plans of `copy` (a clone of the expression `original`) to the
    /// original's.
    pub fn alias_subqueries(&self, copy: &Expr, original: &Expr) {
        let subqueries = |e: &Expr| {
            let mut plans = Vec::new();
            e.for_each_subquery(&mut |p| plans.push(preorder_addresses(p)));
            plans
        };
        for (c, o) in subqueries(copy).iter().zip(&subqueries(original)) {
            self.alias_nodes(c, o);
        }
    }

    fn alias_nodes(&self, copy: &[usize], original: &[usize]) {
        let mut inner = self.lock();
        for (&c, &o) in copy.iter().zip(original) {
            let target = inner.resolve(o);
            inner.aliases.insert(c, target);
        }
    }

    /// Notes that the compiled pipeline of the node at `address` ran interpreted.
    pub(crate) fn record_fallback(&self, address: usize) {
        let mut inner = self.lock();
        let key = inner.resolve(address);
        inner.stats.entry(key).or_default().fell_back = true;
    }

    fn key(&self, node: &LogicalPlan) -> usize {
        self.lock().resolve(address(node))
    }

    fn record(&self, key: usize, stats: &NodeStats) {
        self.lock().stats.entry(key).or_default().add(stats);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Counters only: a panic elsewhere cannot leave them inconsistent in a harmful way.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Inner {
    fn resolve(&self, key: usize) -> usize {
        self.aliases.get(&key).copied().unwrap_or(key)
    }
}

fn address(node: &LogicalPlan) -> usize {
    node as *const LogicalPlan as usize
}

/// Addresses of `plan`'s nodes in pre-order, each followed by the nodes of the subquery
/// plans in its expressions (recursively): the same sequence for a plan and its clone.
fn preorder_addresses(plan: &LogicalPlan) -> Vec<usize> {
    let mut out = Vec::new();
    push_addresses(plan, &mut out);
    out
}

fn push_addresses(plan: &LogicalPlan, out: &mut Vec<usize>) {
    for node in plan.preorder() {
        out.push(address(node));
        node.for_each_expr(|e| e.for_each_subquery(&mut |p| push_addresses(p, out)));
    }
}

/// Wraps `op`, the operator built for `node`: a cancel check, plus counters when the context
/// has a profile. `compiled` marks an operator that runs a whole compiled pipeline.
pub(crate) fn instrument(
    node: &LogicalPlan,
    op: BoxOp,
    ctx: &ExecContext,
    compiled: bool,
) -> BoxOp {
    match &ctx.profile {
        None => Box::new(CancelCheckOp {
            input: op,
            cancel: ctx.cancel.clone(),
        }),
        Some(profile) => Box::new(ProfiledOp {
            input: op,
            cancel: ctx.cancel.clone(),
            key: profile.key(node),
            profile: profile.clone(),
            stats: NodeStats {
                opened: 1,
                compiled,
                ..NodeStats::default()
            },
        }),
    }
}

/// Stops the statement at the first batch boundary after its cancel flag is set.
pub struct CancelCheckOp {
    input: BoxOp,
    cancel: CancelFlag,
}

impl Operator for CancelCheckOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        self.cancel.check()?;
        self.input.next()
    }
}

/// Counts and times its input's batches; writes the totals into the profile when dropped.
pub struct ProfiledOp {
    input: BoxOp,
    cancel: CancelFlag,
    key: usize,
    profile: Arc<Profile>,
    stats: NodeStats,
}

impl Operator for ProfiledOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        self.cancel.check()?;
        let start = Instant::now();
        let out = self.input.next();
        self.stats.time += start.elapsed();
        self.stats.calls += 1;
        if let Ok(Some(batch)) = &out {
            if !batch.is_empty() {
                self.stats.batches += 1;
                self.stats.rows += batch.len() as u64;
            }
        }
        out
    }
}

impl Drop for ProfiledOp {
    fn drop(&mut self) {
        self.profile.record(self.key, &self.stats);
    }
}
