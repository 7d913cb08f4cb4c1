//! The smallest useful JIT round trip: `extern "C" fn(i64, i64) -> i64` that adds its
//! arguments, compiled with Cranelift for the host and called through a function pointer.
//!
//! It exercises each step a compiled pipeline takes: host ISA lookup → signature →
//! `FunctionBuilder` (create_block / switch_to_block / seal) → `define_function` →
//! `finalize_definitions` → function pointer → `free_memory` when the code is dropped.

use cranelift_codegen::ir::{types, AbiParam, InstBuilder, UserFuncName};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::{default_libcall_names, Linkage, Module};
use grizzly_runtime::{Error, Result};

/// The signature of the generated code.
type AddFn = extern "C" fn(i64, i64) -> i64;

/// A natively compiled `a + b` on `i64` (wrapping, like Cranelift's `iadd`). Owns the JIT
/// module holding the code and frees it on drop.
pub struct AddI64 {
    /// `Some` until drop; the code `func` points into lives in this module's memory.
    module: Option<JITModule>,
    func: AddFn,
}

impl AddI64 {
    /// Compiles the function for the host machine.
    ///
    /// # Errors
    /// `Error::Unsupported` if Cranelift has no backend for this host; `Error::Internal` if
    /// Cranelift rejects the function (a bug here).
    pub fn compile() -> Result<AddI64> {
        let mut flags = settings::builder();
        flags.set("opt_level", "speed").map_err(internal)?;
        let isa = cranelift_native::builder()
            .map_err(|e| Error::Unsupported(format!("JIT on this host: {e}")))?
            .finish(settings::Flags::new(flags))
            .map_err(internal)?;
        let mut module = JITModule::new(JITBuilder::with_isa(isa, default_libcall_names()));

        let mut sig = module.make_signature();
        sig.params.push(AbiParam::new(types::I64));
        sig.params.push(AbiParam::new(types::I64));
        sig.returns.push(AbiParam::new(types::I64));
        let id = module
            .declare_function("grizzly_smoke_add", Linkage::Local, &sig)
            .map_err(internal)?;

        let mut ctx = module.make_context();
        ctx.func.signature = sig;
        ctx.func.name = UserFuncName::user(0, id.as_u32());
        let mut builder_ctx = FunctionBuilderContext::new();
        {
            let mut b = FunctionBuilder::new(&mut ctx.func, &mut builder_ctx);
            let entry = b.create_block();
            b.append_block_params_for_function_params(entry);
            b.switch_to_block(entry);
            b.seal_block(entry);
            let (x, y) = (b.block_params(entry)[0], b.block_params(entry)[1]);
            let sum = b.ins().iadd(x, y);
            b.ins().return_(&[sum]);
            b.finalize(module.target_config());
        }
        module.define_function(id, &mut ctx).map_err(internal)?;
        module.clear_context(&mut ctx);
        module.finalize_definitions().map_err(internal)?;

        let code = module.get_finalized_function(id);
        // SAFETY: `code` is the entry of the function just defined and finalized with the
        // signature (i64, i64) -> i64 in the host's default calling convention, which is the C
        // convention `extern "C"` names on every host Cranelift supports. The pointer stays
        // valid while `module` is alive; `AddI64` owns the module and frees it only in `drop`,
        // after which `func` is never called.
        let func = unsafe { std::mem::transmute::<*const u8, AddFn>(code) };
        Ok(AddI64 {
            module: Some(module),
            func,
        })
    }

    /// Runs the compiled code.
    pub fn call(&self, a: i64, b: i64) -> i64 {
        (self.func)(a, b)
    }
}

impl Drop for AddI64 {
    fn drop(&mut self) {
        if let Some(module) = self.module.take() {
            // SAFETY: the only pointer into this module's code is `self.func`, which cannot be
            // called after drop, and `call` borrows `self`, so no call is running now.
            unsafe { module.free_memory() };
        }
    }
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error::Internal(format!("cranelift: {e}"))
}
