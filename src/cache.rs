//! The query cache: one entry per query shape, holding its counters and, once compiled, its
//! native code.
//!
//! An entry's [`CacheKey`] is everything that makes compiled code valid: the plan's
//! fingerprint (literals lifted to parameters), the schema version of every table the plan
//! reads, the code generator's version and the ISA. DDL on a referenced table changes the key,
//! so the stale entry is never found again and ages out of the LRU. Data changes leave the key
//! alone: compiled code reads the running statement's snapshot, never a copy of the data.
//!
//! Capacity is bounded by entries and by bytes of code. Evicting an entry drops its code; runs
//! that are still using it hold their own `Arc`, and the code is freed when the last ends.

use crate::jit::Fingerprint;
use crate::tier::{CompiledCode, Tier};
use lru::LruCache;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// What a cache entry is valid for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct CacheKey {
    pub fingerprint: u64,
    /// (table, schema version) of every table the plan reads, sorted by name. Tables of
    /// attached databases are named `alias.table@id` (`Snapshot::cache_name`): the id is
    /// new for each ATTACH, so DETACH + ATTACH of another file under the same alias never
    /// finds the old entries, and `t` and `a.t` never share one.
    pub tables: Vec<(String, u64)>,
    pub codegen_version: u32,
    pub isa: &'static str,
}

/// Where an entry's code stands.
enum State {
    Interpreted,
    Compiling,
    Compiled(Arc<dyn CompiledCode>),
    Failed(String),
}

/// How much slower (mean run time) compiled runs must be than interpreted ones before `auto`
/// prefers the interpreter for a query.
pub(crate) const SLOWER_RATIO: f64 = 1.08;

/// One cached query shape.
pub(crate) struct CacheEntry {
    pub fingerprint: Fingerprint,
    /// The canonical text of the lifted plan: compared on lookup, so that two shapes whose
    /// fingerprints collide never share code.
    pub canonical: String,
    state: Mutex<State>,
    /// Signalled when a compile ends (published or failed).
    done: Condvar,
    evicted: AtomicBool,
    executions: AtomicU64,
    compiled_runs: AtomicU64,
    interpreted_ns: AtomicU64,
    interpreted_runs: AtomicU64,
    compiled_ns: AtomicU64,
    compile_ns: AtomicU64,
    code_bytes: AtomicU64,
    last_used: AtomicU64,
}

impl CacheEntry {
    fn new(fingerprint: Fingerprint, canonical: String) -> CacheEntry {
        CacheEntry {
            fingerprint,
            canonical,
            state: Mutex::new(State::Interpreted),
            done: Condvar::new(),
            evicted: AtomicBool::new(false),
            executions: AtomicU64::new(0),
            compiled_runs: AtomicU64::new(0),
            interpreted_ns: AtomicU64::new(0),
            interpreted_runs: AtomicU64::new(0),
            compiled_ns: AtomicU64::new(0),
            compile_ns: AtomicU64::new(0),
            code_bytes: AtomicU64::new(0),
            last_used: AtomicU64::new(now_secs()),
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one execution; returns how many there have been, this one included.
    pub(crate) fn start_run(&self) -> u64 {
        self.last_used.store(now_secs(), Relaxed);
        self.executions.fetch_add(1, Relaxed) + 1
    }

    /// Records how long a run took and which tier ran it.
    pub(crate) fn record_run(&self, compiled: bool, elapsed: Duration) {
        let ns = u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX);
        if compiled {
            self.compiled_runs.fetch_add(1, Relaxed);
            self.compiled_ns.fetch_add(ns, Relaxed);
        } else {
            self.interpreted_runs.fetch_add(1, Relaxed);
            self.interpreted_ns.fetch_add(ns, Relaxed);
        }
    }

    /// True when the compiled runs of this shape have been clearly slower than its
    /// interpreted runs (a mean more than [`SLOWER_RATIO`] times theirs over at least three
    /// compiled runs, for queries of at least a millisecond): `auto` then runs it interpreted,
    /// except for an occasional compiled run that keeps measuring (see `query::run`).
    pub(crate) fn compiled_is_slower(&self) -> bool {
        let (cr, cns) = (
            self.compiled_runs.load(Relaxed),
            self.compiled_ns.load(Relaxed),
        );
        let (ir, ins) = (
            self.interpreted_runs.load(Relaxed),
            self.interpreted_ns.load(Relaxed),
        );
        if cr < 3 || ir == 0 {
            return false;
        }
        let (compiled, interpreted) = (cns as f64 / cr as f64, ins as f64 / ir as f64);
        interpreted >= 1e6 && compiled > interpreted * SLOWER_RATIO
    }

    /// The native code, once compiled.
    pub(crate) fn code(&self) -> Option<Arc<dyn CompiledCode>> {
        match &*self.state() {
            State::Compiled(code) => Some(code.clone()),
            _ => None,
        }
    }

    /// Why the compile failed, if it did.
    pub(crate) fn failure(&self) -> Option<String> {
        match &*self.state() {
            State::Failed(reason) => Some(reason.clone()),
            _ => None,
        }
    }

    pub(crate) fn tier(&self) -> Tier {
        match &*self.state() {
            State::Interpreted | State::Failed(_) => Tier::Interpreted,
            State::Compiling => Tier::Compiling,
            State::Compiled(_) => Tier::Compiled,
        }
    }

    /// Moves an interpreted entry to compiling; false if it is compiling, compiled or failed
    /// (someone else compiles it, or there is nothing to do).
    pub(crate) fn begin_compile(&self) -> bool {
        let mut state = self.state();
        if matches!(*state, State::Interpreted) {
            *state = State::Compiling;
            true
        } else {
            false
        }
    }

    /// Makes `code` the entry's code: the next run uses it.
    pub(crate) fn publish(&self, code: Arc<dyn CompiledCode>) {
        self.compile_ns.store(
            u64::try_from(code.compile_time().as_nanos()).unwrap_or(u64::MAX),
            Relaxed,
        );
        self.code_bytes.store(code.code_bytes() as u64, Relaxed);
        *self.state() = State::Compiled(code);
        self.done.notify_all();
    }

    /// The compile failed: the query stays interpreted (and is not compiled again).
    pub(crate) fn fail(&self, reason: String) {
        *self.state() = State::Failed(reason);
        self.done.notify_all();
    }

    /// Waits (up to `timeout`) for a compile under way to end.
    pub(crate) fn wait_compiled(&self, timeout: Duration) {
        let state = self.state();
        if matches!(*state, State::Compiling) {
            let _ = self.done.wait_timeout(state, timeout);
        }
    }

    /// Drops the code (runs using it keep it alive until they end). Returns its size.
    fn evict(&self) -> u64 {
        self.evicted.store(true, Relaxed);
        let mut state = self.state();
        let bytes = match &*state {
            State::Compiled(code) => code.code_bytes() as u64,
            _ => 0,
        };
        if matches!(*state, State::Compiled(_)) {
            *state = State::Interpreted;
        }
        bytes
    }

    fn info(&self) -> CacheEntryInfo {
        let state = match &*self.state() {
            State::Interpreted => "interpreted".to_string(),
            State::Compiling => "compiling".to_string(),
            State::Compiled(_) => "compiled".to_string(),
            State::Failed(reason) => format!("failed: {reason}"),
        };
        let mean = |ns: &AtomicU64, runs: &AtomicU64| {
            let runs = runs.load(Relaxed);
            (runs > 0).then(|| ns.load(Relaxed) as f64 / runs as f64 / 1e6)
        };
        let compile_ns = self.compile_ns.load(Relaxed);
        CacheEntryInfo {
            fingerprint: self.fingerprint,
            query: self.canonical.clone(),
            state,
            executions: self.executions.load(Relaxed),
            cache_hits: self.compiled_runs.load(Relaxed),
            compile_time_ms: (compile_ns > 0).then(|| compile_ns as f64 / 1e6),
            code_bytes: self.code_bytes.load(Relaxed),
            mean_interpreted_ms: mean(&self.interpreted_ns, &self.interpreted_runs),
            mean_compiled_ms: mean(&self.compiled_ns, &self.compiled_runs),
            last_used: self.last_used.load(Relaxed),
        }
    }
}

/// One entry of the query cache, as `grizzly_query_cache` shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CacheEntryInfo {
    pub fingerprint: Fingerprint,
    /// The canonical text of the query's lifted plan.
    pub query: String,
    /// `interpreted`, `compiling`, `compiled` or `failed: <reason>`.
    pub state: String,
    /// Runs of this shape since it entered the cache.
    pub executions: u64,
    /// Runs that used the compiled code.
    pub cache_hits: u64,
    /// How long the compile took, once compiled.
    pub compile_time_ms: Option<f64>,
    /// Bytes of native code (kept after eviction of the code, for the record).
    pub code_bytes: u64,
    pub mean_interpreted_ms: Option<f64>,
    pub mean_compiled_ms: Option<f64>,
    /// Seconds since the Unix epoch of the last run.
    pub last_used: u64,
}

/// Counters of a database's query cache since it was opened.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
#[non_exhaustive]
pub struct CacheStats {
    /// Lookups that found an entry for the query's shape.
    pub hits: u64,
    /// Lookups that made a new entry.
    pub misses: u64,
    /// Compiles that succeeded.
    pub compiles: u64,
    /// Entries dropped to stay within capacity.
    pub evictions: u64,
    /// Time spent compiling, in total.
    pub compile_time_total: Duration,
    /// Entries now in the cache.
    pub entries: usize,
    /// Bytes of native code now held by the cache.
    pub code_bytes: usize,
}

/// The LRU of entries plus its accounting.
struct Inner {
    lru: LruCache<CacheKey, Arc<CacheEntry>>,
    max_entries: usize,
    max_bytes: usize,
    /// Bytes of code of the resident compiled entries.
    bytes: usize,
}

/// A database's query cache, shared by its sessions.
pub(crate) struct QueryCache {
    inner: Mutex<Inner>,
    hits: AtomicU64,
    misses: AtomicU64,
    compiles: AtomicU64,
    evictions: AtomicU64,
    compile_ns: AtomicU64,
}

impl QueryCache {
    pub(crate) fn new(max_entries: usize, max_bytes: usize) -> QueryCache {
        QueryCache {
            inner: Mutex::new(Inner {
                lru: LruCache::unbounded(),
                max_entries: max_entries.max(1),
                max_bytes,
                bytes: 0,
            }),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            compiles: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
            compile_ns: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The entry for `key`, made (as the most recently used) if there is none.
    pub(crate) fn entry(
        &self,
        key: &CacheKey,
        fingerprint: Fingerprint,
        canonical: &str,
    ) -> Arc<CacheEntry> {
        let mut inner = self.lock();
        if let Some(entry) = inner.lru.get(key) {
            if entry.canonical == canonical {
                self.hits.fetch_add(1, Relaxed);
                return entry.clone();
            }
        }
        self.misses.fetch_add(1, Relaxed);
        let entry = Arc::new(CacheEntry::new(fingerprint, canonical.to_string()));
        if let Some(old) = inner.lru.put(key.clone(), entry.clone()) {
            // A fingerprint collision: the new shape takes the slot.
            inner.bytes = inner.bytes.saturating_sub(old.evict() as usize);
        }
        self.shrink(&mut inner);
        entry
    }

    /// The entry for `key` if cached, without counting a lookup or touching the LRU order.
    pub(crate) fn peek(&self, key: &CacheKey) -> Option<Arc<CacheEntry>> {
        self.lock().lru.peek(key).cloned()
    }

    /// Publishes the code of a successful compile in `entry` and accounts it (counters, and
    /// bytes if the entry is still cached), then evicts down to capacity. Done under the
    /// cache's lock so that an eviction sees the entry either before or after both.
    pub(crate) fn compiled(&self, entry: &Arc<CacheEntry>, code: Arc<dyn CompiledCode>) {
        self.compiles.fetch_add(1, Relaxed);
        let ns = u64::try_from(code.compile_time().as_nanos()).unwrap_or(u64::MAX);
        self.compile_ns.fetch_add(ns, Relaxed);
        let bytes = code.code_bytes();
        let mut inner = self.lock();
        let resident =
            !entry.evicted.load(Relaxed) && inner.lru.iter().any(|(_, e)| Arc::ptr_eq(e, entry));
        // Waiters get the code either way; an evicted entry is found by no one else and frees
        // it when the runs holding the entry end.
        entry.publish(code);
        if resident {
            inner.bytes += bytes;
            self.shrink(&mut inner);
        }
    }

    /// Evicts least recently used entries until both limits hold.
    fn shrink(&self, inner: &mut Inner) {
        while inner.lru.len() > inner.max_entries
            || (inner.bytes > inner.max_bytes && !inner.lru.is_empty())
        {
            let Some((_, entry)) = inner.lru.pop_lru() else {
                break;
            };
            inner.bytes = inner.bytes.saturating_sub(entry.evict() as usize);
            self.evictions.fetch_add(1, Relaxed);
        }
    }

    /// Changes the limits, evicting at once if the cache is over them.
    pub(crate) fn set_limits(&self, max_entries: Option<usize>, max_bytes: Option<usize>) {
        let mut inner = self.lock();
        if let Some(n) = max_entries {
            inner.max_entries = n.max(1);
        }
        if let Some(b) = max_bytes {
            inner.max_bytes = b;
        }
        self.shrink(&mut inner);
    }

    /// Drops every entry and its code (not counted as evictions).
    pub(crate) fn clear(&self) {
        let mut inner = self.lock();
        while let Some((_, entry)) = inner.lru.pop_lru() {
            entry.evict();
        }
        inner.bytes = 0;
    }

    /// The entries, most recently used first.
    pub(crate) fn entries(&self) -> Vec<CacheEntryInfo> {
        let entries: Vec<Arc<CacheEntry>> =
            self.lock().lru.iter().map(|(_, e)| e.clone()).collect();
        entries.iter().map(|e| e.info()).collect()
    }

    pub(crate) fn stats(&self) -> CacheStats {
        let inner = self.lock();
        CacheStats {
            hits: self.hits.load(Relaxed),
            misses: self.misses.load(Relaxed),
            compiles: self.compiles.load(Relaxed),
            evictions: self.evictions.load(Relaxed),
            compile_time_total: Duration::from_nanos(self.compile_ns.load(Relaxed)),
            entries: inner.lru.len(),
            code_bytes: inner.bytes,
        }
    }
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;
    use grizzly_runtime::exec::{CompiledPipeline, CompiledPlan};

    #[test]
    fn auto_prefers_the_interpreter_only_when_compiled_is_clearly_slower() {
        let ms = |x: f64| Duration::from_secs_f64(x / 1e3);
        let entry = |interpreted: f64, compiled: &[f64]| {
            let e = CacheEntry::new(Fingerprint(1), String::new());
            e.record_run(false, ms(interpreted));
            for c in compiled {
                e.record_run(true, ms(*c));
            }
            e.compiled_is_slower()
        };
        assert!(entry(10.0, &[12.0, 12.0, 12.0]));
        // Within the margin, too few compiled runs, or too short to matter: stays compiled.
        assert!(!entry(10.0, &[10.5, 10.5, 10.5]));
        assert!(!entry(10.0, &[20.0, 20.0]));
        assert!(!entry(0.5, &[0.9, 0.9, 0.9]));
        assert!(!entry(10.0, &[5.0, 5.0, 5.0]));
    }

    /// Code that compiles no pipeline, of a given size; counts live instances.
    struct FakeCode {
        bytes: usize,
        live: Arc<AtomicU64>,
    }

    impl Drop for FakeCode {
        fn drop(&mut self) {
            self.live.fetch_sub(1, Relaxed);
        }
    }

    impl CompiledPlan for FakeCode {
        fn pipeline(&self, _node: usize) -> Option<Arc<dyn CompiledPipeline>> {
            None
        }
    }

    impl CompiledCode for FakeCode {
        fn plan(self: Arc<Self>) -> Arc<dyn CompiledPlan> {
            self
        }
        fn code_bytes(&self) -> usize {
            self.bytes
        }
        fn compile_time(&self) -> Duration {
            Duration::from_millis(1)
        }
        fn pipelines(&self) -> Vec<(usize, String)> {
            Vec::new()
        }
        fn clif(&self) -> String {
            String::new()
        }
    }

    fn key(n: u64) -> CacheKey {
        CacheKey {
            fingerprint: n,
            tables: vec![("t".into(), 1)],
            codegen_version: 1,
            isa: "test",
        }
    }

    fn compile(cache: &QueryCache, entry: &Arc<CacheEntry>, bytes: usize, live: &Arc<AtomicU64>) {
        live.fetch_add(1, Relaxed);
        let code: Arc<dyn CompiledCode> = Arc::new(FakeCode {
            bytes,
            live: live.clone(),
        });
        assert!(entry.begin_compile());
        cache.compiled(entry, code);
    }

    #[test]
    fn hits_and_misses() {
        let cache = QueryCache::new(4, 1 << 20);
        let a = cache.entry(&key(1), Fingerprint(1), "a");
        let b = cache.entry(&key(1), Fingerprint(1), "a");
        assert!(Arc::ptr_eq(&a, &b));
        let stats = cache.stats();
        assert_eq!((stats.hits, stats.misses, stats.entries), (1, 1, 1));
        // Same fingerprint, other canonical text: a collision never shares the entry.
        let c = cache.entry(&key(1), Fingerprint(1), "c");
        assert!(!Arc::ptr_eq(&a, &c));
        assert_eq!(cache.stats().entries, 1);
    }

    #[test]
    fn evicts_by_entries_and_frees_code() {
        let live = Arc::new(AtomicU64::new(0));
        let cache = QueryCache::new(2, 1 << 20);
        for n in 0..5 {
            let e = cache.entry(&key(n), Fingerprint(n), "q");
            compile(&cache, &e, 100, &live);
        }
        let stats = cache.stats();
        assert_eq!(stats.entries, 2);
        assert_eq!(stats.evictions, 3);
        assert_eq!(stats.code_bytes, 200);
        assert_eq!(live.load(Relaxed), 2, "evicted code is freed");
    }

    #[test]
    fn evicts_by_bytes() {
        let live = Arc::new(AtomicU64::new(0));
        let cache = QueryCache::new(100, 250);
        for n in 0..4 {
            let e = cache.entry(&key(n), Fingerprint(n), "q");
            compile(&cache, &e, 100, &live);
        }
        let stats = cache.stats();
        assert_eq!(
            (stats.entries, stats.code_bytes, stats.evictions),
            (2, 200, 2)
        );
        assert_eq!(live.load(Relaxed), 2);
        cache.set_limits(None, Some(100));
        assert_eq!(cache.stats().entries, 1);
        cache.clear();
        assert_eq!(live.load(Relaxed), 0);
        assert_eq!(cache.stats().code_bytes, 0);
    }

    #[test]
    fn code_in_use_outlives_eviction() {
        let live = Arc::new(AtomicU64::new(0));
        let cache = QueryCache::new(1, 1 << 20);
        let e = cache.entry(&key(1), Fingerprint(1), "q");
        compile(&cache, &e, 10, &live);
        let running = e.code().expect("compiled");
        cache.entry(&key(2), Fingerprint(2), "q");
        assert_eq!(e.tier(), Tier::Interpreted);
        assert_eq!(live.load(Relaxed), 1);
        drop(running);
        assert_eq!(live.load(Relaxed), 0);
    }

    #[test]
    fn entry_states() {
        let cache = QueryCache::new(4, 1 << 20);
        let e = cache.entry(&key(1), Fingerprint(1), "q");
        assert_eq!(e.tier(), Tier::Interpreted);
        assert!(e.begin_compile());
        assert!(!e.begin_compile());
        assert_eq!(e.tier(), Tier::Compiling);
        e.fail("unsupported".into());
        assert_eq!(e.tier(), Tier::Interpreted);
        assert!(!e.begin_compile(), "a failed compile is not retried");
        assert_eq!(cache.entries()[0].state, "failed: unsupported");
    }
}
