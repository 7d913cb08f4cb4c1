//! The two outside pieces the cache builds on, in one place: `grizzly_ir::fingerprint` (plan
//! shapes and their lifted literals) and `grizzly_codegen` (the code generator).

use crate::tier::{CodeGenerator, CompiledCode};
use grizzly_ir::LogicalPlan;
use grizzly_runtime::exec::CompiledPlan;
use grizzly_runtime::{Error, Result};
use std::sync::Arc;
use std::time::Duration;

pub(crate) use grizzly_ir::fingerprint::lift;
pub use grizzly_ir::fingerprint::Fingerprint;

/// The code generator of `grizzly_codegen`, made on the compile thread.
pub(crate) fn generator() -> Result<Box<dyn CodeGenerator>> {
    Ok(Box::new(Cranelift(grizzly_codegen::Compiler::new()?)))
}

struct Cranelift(grizzly_codegen::Compiler);

impl CodeGenerator for Cranelift {
    /// # Errors
    /// `Unsupported` naming why if no pipeline of the plan could be compiled: a query with
    /// nothing compiled stays interpreted rather than carrying an empty module.
    fn compile(&mut self, plan: &LogicalPlan) -> Result<Arc<dyn CompiledCode>> {
        let query = self.0.compile(plan)?;
        if query.pipelines().is_empty() {
            let skipped: Vec<String> = query
                .skipped()
                .into_iter()
                .map(|(node, why)| format!("pipeline #{node}: {why}"))
                .collect();
            return Err(Error::Unsupported(if skipped.is_empty() {
                "no pipeline of a compiled shape".into()
            } else {
                skipped.join("; ")
            }));
        }
        Ok(Arc::new(query))
    }
}

impl CompiledCode for grizzly_codegen::CompiledQuery {
    fn plan(self: Arc<Self>) -> Arc<dyn CompiledPlan> {
        self
    }
    fn code_bytes(&self) -> usize {
        grizzly_codegen::CompiledQuery::code_bytes(self)
    }
    fn compile_time(&self) -> Duration {
        grizzly_codegen::CompiledQuery::compile_time(self)
    }
    fn pipelines(&self) -> Vec<(usize, String)> {
        grizzly_codegen::CompiledQuery::pipelines(self)
    }
    fn clif(&self) -> String {
        grizzly_codegen::CompiledQuery::clif(self)
    }
}
