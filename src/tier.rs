//! Tiering: when a query runs interpreted and when compiled, and the compile thread.
//!
//! One long-lived thread per database owns the code generator (Cranelift contexts are reused
//! from one compile to the next and never cross threads). Requests come over a channel:
//! background compiles from `auto` ([`Compiler::compile_async`]) publish their code in the
//! cache entry when done; synchronous ones (`always`, `verify`, `PreparedStatement::compile`)
//! wait for the reply. The thread starts with the first request and ends when the database
//! (its last handle) is dropped.

use crate::cache::{CacheEntry, QueryCache};
use grizzly_ir::LogicalPlan;
use grizzly_runtime::exec::CompiledPlan;
use grizzly_runtime::{Error, Result};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How queries run (the `jit` setting).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum JitMode {
    /// The interpreter only.
    Off,
    /// Interpreted until hot (executions ≥ `jit_threshold`, or a run longer than
    /// `jit_compile_after_ms`), then compiled in the background; runs switch to the compiled
    /// code as soon as it is ready and never wait for a compile.
    Auto,
    /// Compiled before the first run (the run waits for the compile).
    Always,
    /// Compiled before the first run; every run executes both tiers and fails if their
    /// results differ.
    Verify,
}

impl JitMode {
    /// Parses `off`, `auto`, `always` or `verify` (any case, quotes allowed).
    pub fn parse(s: &str) -> Option<JitMode> {
        match s.trim().trim_matches('\'').to_ascii_lowercase().as_str() {
            "off" => Some(JitMode::Off),
            "auto" => Some(JitMode::Auto),
            "always" => Some(JitMode::Always),
            "verify" => Some(JitMode::Verify),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            JitMode::Off => "off",
            JitMode::Auto => "auto",
            JitMode::Always => "always",
            JitMode::Verify => "verify",
        }
    }
}

impl std::fmt::Display for JitMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a query's code stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Tier {
    /// Runs in the interpreter (not hot yet, or its compile failed).
    Interpreted,
    /// A compile is under way; runs stay interpreted until it is done.
    Compiling,
    /// Native code is ready; runs use it for the pipelines it covers.
    Compiled,
}

/// What [`PreparedStatement::compile`](crate::PreparedStatement::compile) made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct CompileInfo {
    /// How long code generation took.
    pub compile_time: Duration,
    /// Bytes of native code.
    pub code_bytes: usize,
}

/// What compiling one query made: native code for some of its pipelines.
pub(crate) trait CompiledCode: Send + Sync {
    /// The code as the interpreter's seam wants it.
    fn plan(self: Arc<Self>) -> Arc<dyn CompiledPlan>;
    fn code_bytes(&self) -> usize;
    fn compile_time(&self) -> Duration;
    /// The compiled pipelines: (pre-order id of the pipeline's breaker node, description).
    fn pipelines(&self) -> Vec<(usize, String)>;
    /// The Cranelift IR of every compiled function.
    fn clif(&self) -> String;
}

/// Turns optimized, lifted plans into native code. Lives on the compile thread only.
pub(crate) trait CodeGenerator {
    fn compile(&mut self, plan: &LogicalPlan) -> Result<Arc<dyn CompiledCode>>;
}

/// Makes the code generator, on the compile thread (again after a compile panicked: the
/// generator's reused contexts may be left in any state).
pub(crate) type GeneratorFactory = Box<dyn Fn() -> Result<Box<dyn CodeGenerator>> + Send>;

/// Bumped whenever generated code changes meaning: part of every cache key.
pub(crate) const CODEGEN_VERSION: u32 = 2;

/// The instruction set compiled code targets (part of every cache key): architecture and the
/// CPU features the code generator may use.
pub(crate) fn isa() -> &'static str {
    static ISA: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ISA.get_or_init(|| {
        let mut features = Vec::new();
        #[cfg(target_arch = "x86_64")]
        {
            for (name, on) in [
                ("sse4.2", std::arch::is_x86_feature_detected!("sse4.2")),
                ("popcnt", std::arch::is_x86_feature_detected!("popcnt")),
                ("avx", std::arch::is_x86_feature_detected!("avx")),
                ("avx2", std::arch::is_x86_feature_detected!("avx2")),
                ("bmi2", std::arch::is_x86_feature_detected!("bmi2")),
                ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
            ] {
                if on {
                    features.push(name);
                }
            }
        }
        format!(
            "{}-{}+{}",
            std::env::consts::ARCH,
            std::env::consts::OS,
            features.join(",")
        )
    })
}

/// One request to the compile thread.
struct Job {
    plan: LogicalPlan,
    entry: Arc<CacheEntry>,
    /// For synchronous compiles: where to send the code, or why there is none.
    reply: Option<Sender<Result<Arc<dyn CompiledCode>, String>>>,
}

/// The handle on a database's compile thread.
pub(crate) struct Compiler {
    factory: Mutex<Option<GeneratorFactory>>,
    sender: Mutex<Option<Sender<Job>>>,
    cache: Weak<QueryCache>,
}

impl Compiler {
    pub(crate) fn new(factory: GeneratorFactory, cache: Weak<QueryCache>) -> Compiler {
        Compiler {
            factory: Mutex::new(Some(factory)),
            sender: Mutex::new(None),
            cache,
        }
    }

    /// Compiles `plan` for `entry` in the background, unless the entry is already compiling,
    /// compiled or failed. Returns at once.
    pub(crate) fn compile_async(&self, entry: &Arc<CacheEntry>, plan: &LogicalPlan) {
        if entry.begin_compile() {
            self.send(Job {
                plan: plan.clone(),
                entry: entry.clone(),
                reply: None,
            });
        }
    }

    /// Compiles `plan` for `entry` now (or waits for the compile under way) and returns the
    /// code.
    ///
    /// # Errors
    /// Why the query could not be compiled (it keeps running interpreted).
    pub(crate) fn compile_sync(
        &self,
        entry: &Arc<CacheEntry>,
        plan: &LogicalPlan,
    ) -> Result<Arc<dyn CompiledCode>> {
        loop {
            if let Some(code) = entry.code() {
                return Ok(code);
            }
            if let Some(why) = entry.failure() {
                return Err(Error::Unsupported(why));
            }
            if entry.begin_compile() {
                let (tx, rx) = mpsc::channel();
                self.send(Job {
                    plan: plan.clone(),
                    entry: entry.clone(),
                    reply: Some(tx),
                });
                return match rx.recv() {
                    Ok(reply) => reply.map_err(Error::Unsupported),
                    Err(_) => Err(Error::Internal("the compile thread stopped".into())),
                };
            }
            // Another run is compiling this entry: wait for it to publish.
            entry.wait_compiled(Duration::from_millis(100));
        }
    }

    fn send(&self, job: Job) {
        let mut sender = self.sender.lock().unwrap_or_else(|e| e.into_inner());
        if sender.is_none() {
            let factory = self
                .factory
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .take();
            let (tx, rx) = mpsc::channel();
            let cache = self.cache.clone();
            let spawned = std::thread::Builder::new()
                .name("grizzly-jit".into())
                .spawn(move || compile_loop(factory, rx, cache));
            if let Err(e) = spawned {
                let reason = format!("cannot start the compile thread: {e}");
                finish(&job, Err(Error::Internal(reason)), &self.cache);
                return;
            }
            *sender = Some(tx);
        }
        if let Some(tx) = sender.as_ref() {
            if let Err(mpsc::SendError(job)) = tx.send(job) {
                let err = Error::Internal("the compile thread stopped".into());
                finish(&job, Err(err), &self.cache);
            }
        }
    }
}

/// The compile thread: makes the generator, then serves jobs until every sender is gone.
fn compile_loop(factory: Option<GeneratorFactory>, jobs: Receiver<Job>, cache: Weak<QueryCache>) {
    let make = || match &factory {
        Some(make) => make(),
        None => Err(Error::Internal("no code generator".into())),
    };
    let mut generator = make();
    for job in jobs {
        let outcome = match &mut generator {
            Ok(g) => {
                let plan = &job.plan;
                let compiled =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| g.compile(plan)));
                compiled.unwrap_or_else(|payload| {
                    generator = make();
                    let what = payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_default();
                    Err(Error::Internal(format!(
                        "the code generator panicked: {what}"
                    )))
                })
            }
            Err(e) => Err(Error::Unsupported(format!(
                "no code generator: {}",
                reason(e)
            ))),
        };
        finish(&job, outcome, &cache);
    }
}

/// An error as a failure reason: the message alone for `Unsupported`.
fn reason(e: &Error) -> String {
    match e {
        Error::Unsupported(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Publishes a compile's outcome in its entry (and the cache's accounting) and replies.
fn finish(job: &Job, outcome: Result<Arc<dyn CompiledCode>>, cache: &Weak<QueryCache>) {
    let reply = match outcome {
        Ok(code) => {
            match cache.upgrade() {
                Some(cache) => cache.compiled(&job.entry, code.clone()),
                None => job.entry.publish(code.clone()),
            }
            Ok(code)
        }
        Err(e) => {
            let why = reason(&e);
            job.entry.fail(why.clone());
            Err(why)
        }
    };
    if let Some(tx) = &job.reply {
        let _ = tx.send(reply);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jit::Fingerprint;
    use grizzly_runtime::exec::CompiledPipeline;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct NoCode;

    impl CompiledPlan for NoCode {
        fn pipeline(&self, _: usize) -> Option<Arc<dyn CompiledPipeline>> {
            None
        }
    }

    impl CompiledCode for NoCode {
        fn plan(self: Arc<Self>) -> Arc<dyn CompiledPlan> {
            self
        }
        fn code_bytes(&self) -> usize {
            16
        }
        fn compile_time(&self) -> Duration {
            Duration::from_micros(5)
        }
        fn pipelines(&self) -> Vec<(usize, String)> {
            Vec::new()
        }
        fn clif(&self) -> String {
            String::new()
        }
    }

    /// Panics on its first compile, refuses plans with a Filter, compiles the rest.
    struct Flaky {
        compiles: Arc<AtomicUsize>,
    }

    impl CodeGenerator for Flaky {
        fn compile(&mut self, plan: &LogicalPlan) -> Result<Arc<dyn CompiledCode>> {
            if self.compiles.fetch_add(1, Ordering::SeqCst) == 0 {
                panic!("left in a bad state");
            }
            if matches!(plan, LogicalPlan::Filter { .. }) {
                return Err(Error::Unsupported("filters".into()));
            }
            Ok(Arc::new(NoCode))
        }
    }

    fn values() -> LogicalPlan {
        LogicalPlan::Values {
            fields: Vec::new(),
            rows: vec![Vec::new()],
        }
    }

    #[test]
    fn compile_thread_survives_panics_and_failures() {
        let cache = Arc::new(QueryCache::new(8, 1 << 20));
        let compiles = Arc::new(AtomicUsize::new(0));
        let made = Arc::new(AtomicUsize::new(0));
        let (c, m) = (compiles.clone(), made.clone());
        let factory: GeneratorFactory = Box::new(move || {
            m.fetch_add(1, Ordering::SeqCst);
            Ok(Box::new(Flaky {
                compiles: c.clone(),
            }) as Box<dyn CodeGenerator>)
        });
        let compiler = Compiler::new(factory, Arc::downgrade(&cache));
        let key = |n| crate::cache::CacheKey {
            fingerprint: n,
            tables: Vec::new(),
            codegen_version: CODEGEN_VERSION,
            isa: isa(),
        };
        let e1 = cache.entry(&key(1), Fingerprint(1), "1");
        let err = compiler.compile_sync(&e1, &values()).err().unwrap();
        assert!(err.to_string().contains("panicked"), "{err}");
        assert!(e1.failure().unwrap().contains("left in a bad state"));
        // A failed entry is not compiled again.
        assert!(compiler.compile_sync(&e1, &values()).is_err());
        assert_eq!(compiles.load(Ordering::SeqCst), 1);

        let e2 = cache.entry(&key(2), Fingerprint(2), "2");
        let filter = LogicalPlan::Filter {
            input: Box::new(values()),
            predicate: grizzly_ir::Expr::boolean(true),
        };
        let err = compiler.compile_sync(&e2, &filter).err().unwrap();
        assert_eq!(
            err.to_string(),
            Error::Unsupported("filters".into()).to_string()
        );

        let e3 = cache.entry(&key(3), Fingerprint(3), "3");
        compiler.compile_async(&e3, &values());
        e3.wait_compiled(Duration::from_secs(10));
        assert_eq!(e3.tier(), Tier::Compiled);
        assert_eq!(
            made.load(Ordering::SeqCst),
            2,
            "remade once, after the panic"
        );
        let stats = cache.stats();
        assert_eq!((stats.compiles, stats.code_bytes), (1, 16));
    }

    #[test]
    fn modes_parse() {
        for mode in [
            JitMode::Off,
            JitMode::Auto,
            JitMode::Always,
            JitMode::Verify,
        ] {
            assert_eq!(JitMode::parse(mode.name()), Some(mode));
        }
        assert_eq!(JitMode::parse("'ALWAYS'"), Some(JitMode::Always));
        assert_eq!(JitMode::parse("fast"), None);
        assert!(isa().starts_with(std::env::consts::ARCH));
    }
}
