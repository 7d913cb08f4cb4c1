//! Grizzly's compiled tier: pipelines become native code through Cranelift.
//!
//! For now the crate holds one end-to-end check that the toolchain works on this host:
//! [`smoke::AddI64`] builds a function with `cranelift-frontend`, compiles it into a
//! `cranelift-jit` module and calls it through an `extern "C"` function pointer. The pipeline
//! compiler (one long-lived compiler object, one translator per pipeline) will grow beside it.

pub mod smoke;

pub use smoke::AddI64;
