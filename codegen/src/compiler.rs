//! The long-lived [`Compiler`] and the [`CompiledQuery`] it makes for one plan.
//!
//! `Compiler::compile` walks the plan in pre-order; every node whose pipeline has the
//! supported shape ([`crate::pipeline::match_shape`]) and whose expressions are all in the
//! compiled subset becomes one native function in a JIT module of its own per query. The
//! module is freed when the `CompiledQuery` (and every pipeline handed out from it) is dropped.

use crate::agg::AggPipeline;
use crate::build::BuildPipeline;
use crate::driver::{Core, Pipeline};
use crate::jit::Code;
use crate::pipeline::{describe, match_build_shape, match_shape, Layout, Shape, Stage};
use crate::rows::RowsPipeline;
use crate::translate::{signature, Translator};
use cranelift_codegen::ir::UserFuncName;
use cranelift_codegen::isa::OwnedTargetIsa;
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::Context;
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use grizzly_ir::LogicalPlan;
use grizzly_runtime::exec::{CompiledPipeline, CompiledPlan};
use grizzly_runtime::{Error, Result};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Compiles plans to native code for the host. Owns the target description and the
/// Cranelift contexts reused between functions; share it between threads freely (compiles
/// are serialized on the contexts).
pub struct Compiler {
    isa: OwnedTargetIsa,
    scratch: Mutex<(Context, FunctionBuilderContext)>,
}

impl Compiler {
    /// A compiler for the host machine (`opt_level=speed`).
    ///
    /// # Errors
    /// `Unsupported` if Cranelift has no backend for this host.
    pub fn new() -> Result<Compiler> {
        if cfg!(not(target_pointer_width = "64")) {
            return Err(Error::Unsupported(
                "JIT on hosts without 64-bit pointers".into(),
            ));
        }
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(internal)?;
        let isa = cranelift_native::builder()
            .map_err(|e| Error::Unsupported(format!("JIT on this host: {e}")))?
            .finish(settings::Flags::new(flags))
            .map_err(internal)?;
        Ok(Compiler {
            isa,
            scratch: Mutex::new((Context::new(), FunctionBuilderContext::new())),
        })
    }

    /// Compiles every supported pipeline of `plan`, which must be the exact plan value that
    /// will be executed (nodes are identified by pre-order index). Unsupported pipelines are
    /// absent from the result and run interpreted.
    ///
    /// # Errors
    /// `Internal` if Cranelift rejects generated code (a bug here).
    pub fn compile(&self, plan: &LogicalPlan) -> Result<CompiledQuery> {
        let start = Instant::now();
        let mut module = JITModule::new(JITBuilder::with_isa(
            self.isa.clone(),
            default_libcall_names(),
        ));
        let mut guard = self.scratch.lock().unwrap_or_else(|e| e.into_inner());
        let (ctx, fbc) = &mut *guard;
        let ptr = module.target_config().pointer_type();
        let mut sig = module.make_signature();
        signature(&mut sig, ptr);

        let mut session = Session {
            module: &mut module,
            ctx,
            fbc,
            sig,
            clif: String::new(),
            code_bytes: 0,
        };
        let mut defined = Vec::new();
        let mut skipped = Vec::new();
        // Nodes below a compiled pipeline (its own chain and its join build sides) are run by
        // its driver (build sides compiled as pipelines of their own where they can be,
        // otherwise through the interpreter): a pipeline there is never looked up by node.
        let mut inside_until = 0;
        let nodes = plan.preorder();
        for (node, p) in nodes.iter().copied().enumerate() {
            let Some(shape) = match_shape(p) else {
                continue;
            };
            if node < inside_until {
                continue;
            }
            // Under a LIMIT the interpreter stops reading early; an output pipeline makes all
            // of its rows first.
            let under_limit = node > 0 && matches!(nodes[node - 1], LogicalPlan::Limit { .. });
            if shape.output.is_some() && under_limit {
                skipped.push((node, "output rows under a LIMIT".into()));
                continue;
            }
            match session.define(&shape, p, &node.to_string())? {
                Ok(d) => {
                    defined.push((node, d));
                    inside_until = node + p.preorder().len();
                }
                Err(why) => skipped.push((node, why)),
            }
        }
        let (clif, code_bytes) = (session.clif, session.code_bytes);
        ctx.clear();
        drop(guard);
        module.finalize_definitions().map_err(internal)?;
        let code = Code::new(module);
        let pipelines = defined
            .into_iter()
            .map(|(node, d)| {
                let desc = d.describe();
                Ok((node, desc, d.make(&code)?))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(CompiledQuery {
            pipelines,
            skipped,
            clif,
            code_bytes,
            compile_time: start.elapsed(),
            _code: code,
        })
    }
}

/// One `Compiler::compile` in progress: the module functions are defined in.
struct Session<'c> {
    module: &'c mut JITModule,
    ctx: &'c mut Context,
    fbc: &'c mut FunctionBuilderContext,
    sig: cranelift_codegen::ir::Signature,
    clif: String,
    code_bytes: usize,
}

/// A pipeline function defined in the module, with the pipelines of its join build sides.
struct Defined {
    desc: String,
    id: cranelift_module::FuncId,
    layout: Layout,
    plan: LogicalPlan,
    /// The sink appends to a join's hash table (with exactly one row per scanned row).
    build: Option<bool>,
    /// Per probed join: its build side's pipeline, if that compiled.
    builds: Vec<Option<Defined>>,
}

impl Session<'_> {
    /// Defines the function of `shape` (rooted at `p`) and, first, those of its build
    /// sides; `Err(why)` if the pipeline is not supported (its build sides then define
    /// nothing either).
    fn define(
        &mut self,
        shape: &Shape<'_>,
        p: &LogicalPlan,
        label: &str,
    ) -> Result<std::result::Result<Defined, String>> {
        self.ctx.clear();
        self.ctx.func.signature = self.sig.clone();
        let target = self.module.target_config();
        let layout = match Translator::translate(shape, &mut self.ctx.func, self.fbc, target) {
            Ok(layout) => layout,
            Err(e) => {
                // A translation that stopped half-way leaves the builder context dirty; the
                // next function needs a clean one.
                *self.fbc = FunctionBuilderContext::new();
                return match e {
                    Error::Unsupported(why) => Ok(Err(why)),
                    e => Err(e),
                };
            }
        };
        let name = format!("pipeline_{label}");
        let id = self
            .module
            .declare_function(&name, Linkage::Local, &self.sig)
            .map_err(internal)?;
        self.ctx.func.name = UserFuncName::user(0, id.as_u32());
        self.clif
            .push_str(&format!("; node {label}: {}\n", describe(shape)));
        self.clif.push_str(&self.ctx.func.display().to_string());
        self.clif.push('\n');
        let disasm = std::env::var_os("GRIZZLY_DISASM").is_some();
        self.ctx.set_disasm(disasm);
        self.module
            .define_function(id, self.ctx)
            .map_err(internal)?;
        if disasm {
            // A debugging aid: the machine code of every compiled pipeline on stderr.
            if let Some(vcode) = self.ctx.compiled_code().and_then(|c| c.vcode.as_ref()) {
                eprintln!("; node {label}\n{vcode}");
            }
        }
        self.code_bytes += (self.ctx.compiled_code()).map_or(0, |c| c.code_buffer().len());
        // The build sides: each a pipeline of its own where it has a supported shape, whose
        // sink is the join's table (an aggregate's sink is its groups; the driver hashes
        // its output).
        let mut builds = Vec::new();
        let mut probes = layout.joins.iter();
        for (j, stage) in shape.stages.iter().enumerate() {
            let Stage::Probe(probe) = stage else { continue };
            let used = probes.next().map_or(&[][..], |l| &l.used[..]);
            let label = format!("{label}_build{j}");
            let build = match match_build_shape(probe.build, probe.build_key, used) {
                Some(b) => self.define(&b, probe.build, &label)?.ok(),
                None => match match_shape(probe.build) {
                    Some(b) => self.define(&b, probe.build, &label)?.ok(),
                    None => None,
                },
            };
            builds.push(build);
        }
        Ok(Ok(Defined {
            desc: describe(shape),
            id,
            layout,
            plan: p.clone(),
            build: shape.build.as_ref().map(|_| shape.keeps_every_row()),
            builds,
        }))
    }
}

impl Defined {
    /// What runs: this pipeline's description, then its compiled build sides'.
    fn describe(&self) -> String {
        let mut out = self.desc.clone();
        for b in self.builds.iter().flatten() {
            out.push_str(&format!("; build side compiled: {}", b.describe()));
        }
        out
    }

    /// The pipeline over the finalized module.
    fn make(self, code: &Arc<Code>) -> Result<Pipeline> {
        let builds = (self.builds.into_iter())
            .map(|b| b.map(|d| d.make(code)).transpose())
            .collect::<Result<Vec<_>>>()?;
        let aggregate = matches!(self.plan, LogicalPlan::Aggregate { .. });
        let core = Core::new(code.entry(self.id)?, self.layout, self.plan, builds)?;
        Ok(if let Some(exact) = self.build {
            Pipeline::Build(Box::new(BuildPipeline::new(core, exact)))
        } else if aggregate {
            Pipeline::Aggregate(Arc::new(AggPipeline::new(core)))
        } else {
            Pipeline::Rows(Arc::new(RowsPipeline::new(core)?))
        })
    }
}

/// Native code for the compiled pipelines of one plan.
pub struct CompiledQuery {
    pipelines: Vec<(usize, String, Pipeline)>,
    skipped: Vec<(usize, String)>,
    clif: String,
    code_bytes: usize,
    compile_time: Duration,
    _code: Arc<Code>,
}

impl CompiledQuery {
    /// Bytes of machine code.
    pub fn code_bytes(&self) -> usize {
        self.code_bytes
    }

    /// Wall time `Compiler::compile` took.
    pub fn compile_time(&self) -> Duration {
        self.compile_time
    }

    /// The compiled pipelines: (pre-order node index of the breaker, description).
    pub fn pipelines(&self) -> Vec<(usize, String)> {
        self.pipelines
            .iter()
            .map(|(n, d, _)| (*n, d.clone()))
            .collect()
    }

    /// How many pipeline runs handed their work to the interpreter (NULLs, other encodings,
    /// too many groups, or an error the interpreter then reports).
    pub fn fallbacks(&self) -> u64 {
        self.pipelines.iter().map(|(_, _, p)| p.fallbacks()).sum()
    }

    /// Pipelines of the supported shape that were not compiled, and why.
    pub fn skipped(&self) -> Vec<(usize, String)> {
        self.skipped.clone()
    }

    /// The Cranelift IR of every compiled function, for EXPLAIN.
    pub fn clif(&self) -> String {
        self.clif.clone()
    }
}

impl CompiledPlan for CompiledQuery {
    fn pipeline(&self, node: usize) -> Option<Arc<dyn CompiledPipeline>> {
        self.pipelines
            .iter()
            .find(|(n, _, _)| *n == node)
            .and_then(|(_, _, p)| p.shared())
    }
}

impl std::fmt::Debug for CompiledQuery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompiledQuery")
            .field("pipelines", &self.pipelines())
            .field("code_bytes", &self.code_bytes)
            .field("compile_time", &self.compile_time)
            .finish_non_exhaustive()
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("cranelift: {e}"))
}

// Both are shared between threads (query cache, background compiles).
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<Compiler>();
    shareable::<CompiledQuery>();
};
