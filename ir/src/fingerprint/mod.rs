//! Query fingerprints: what the query cache keys compiled code on.
//!
//! [`lift`] runs on the optimized plan (constant folding is done) and
//! 1. replaces each literal that does not shape the plan by an `Expr::Param` numbered after the
//!    statement's own parameters, collecting the values (`lift.rs`);
//! 2. renders the lifted plan canonically: one line of text plus a stream of type bytes, with
//!    column ids renumbered in order of appearance (`canon.rs`);
//! 3. hashes that rendering with a fixed hasher (`hash.rs`).
//!
//! So queries that differ only in such constants (or in whitespace, keyword case, comments, or
//! the binder's column numbering) get the same fingerprint and the same code, run with other
//! parameter values.
//!
//! # What is lifted
//! Non-NULL literals whose value has exactly its type's representation: numbers, decimals,
//! dates and strings in comparisons, arithmetic, BETWEEN, IN-list items, CASE branches,
//! function arguments (substring positions, interval amounts), projections, sort and group
//! keys, and VALUES rows. Kept in the plan (and so in the fingerprint):
//! - NULL and TRUE/FALSE literals (they decide a predicate's shape);
//! - constant LIKE / ILIKE patterns (the pattern's form decides the compiled matcher);
//! - the digits of `round(x, d)` (they decide the result type);
//! - everything that is not an expression: IN-list lengths, types and casts, EXTRACT fields,
//!   LIMIT / OFFSET counts, table names and column indexes, operators, join kinds, sort order,
//!   and column names (the output ones are the result's header).
//!
//! # Stability
//! The fingerprint is FNV-1a 64 with a MurmurHash3 `fmix64` finalizer ([`StableHasher`]) over
//! the UTF-8 bytes of [`Lifted::canonical`], one `0xFF` byte (which never occurs in UTF-8),
//! then the type stream described in `canon.rs`. No input depends on the process, the machine
//! (nothing is wider than a byte or in native order), pointer values or `std`'s randomly keyed
//! hashers, so a query has the same fingerprint in every run, on every machine. It changes only
//! when this module's canonical form changes; a golden test pins one value. Schema versions are
//! not included: the cache key adds them.
//!
//! A 64-bit hash can collide: a cache that must rule that out keeps [`Lifted::canonical`] with
//! each entry and compares it on a hit.

mod canon;
mod hash;
mod lift;

use std::fmt;

use crate::plan::LogicalPlan;
use crate::types::Value;

pub use hash::StableHasher;

/// A stable 64-bit hash of a canonical plan; displays as 16 lower-case hex digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fingerprint(pub u64);

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

/// A plan with its constants lifted out, and its fingerprint.
#[derive(Debug, Clone, PartialEq)]
pub struct Lifted {
    /// The plan with lifted literals replaced by `Expr::Param { index: user_params + k, ty }`
    /// (after the statement's own parameters). Column ids are those of the input plan.
    pub plan: LogicalPlan,
    /// Values of the lifted literals in index order: append them to the user's parameter
    /// values. Each has exactly the representation of its parameter's type.
    pub values: Vec<Value>,
    pub fingerprint: Fingerprint,
    /// The canonical plan on one line, `$n` standing for parameter `n - 1` (grammar in
    /// `canon.rs`); what users see in the query cache.
    pub canonical: String,
}

/// Lifts the constants out of an optimized plan and fingerprints the result.
/// `user_params` is the number of the statement's own parameters (`$1`..): lifted literals
/// are numbered from there, in canonical-text order.
pub fn lift(plan: &LogicalPlan, user_params: usize) -> Lifted {
    let mut lifter = lift::Lifter {
        next: user_params,
        values: Vec::new(),
    };
    let lifted = lifter.plan(plan.clone());
    let canon = canon::Canon::of(&lifted);
    let mut h = StableHasher::new();
    h.write(canon.text.as_bytes());
    h.write(&[0xFF]);
    h.write(&canon.types);
    Lifted {
        fingerprint: Fingerprint(h.finish()),
        canonical: canon.text,
        plan: lifted,
        values: lifter.values,
    }
}
