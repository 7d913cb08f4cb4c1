//! A cancelled statement stops between morsels of a compiled pipeline, and a pipeline that
//! hands its work to the interpreter passes the cancel flag on.

mod common;

use common::*;
use grizzly_codegen::Compiler;
use grizzly_runtime::exec::{CancelFlag, CompiledPlan, ExecContext};
use grizzly_runtime::Error;
use std::sync::Arc;

/// Reads l_tax, which has NULLs when the table is made with `null_every`.
const SUM: &str = "SELECT sum(l_quantity), count(*) FROM lineitem WHERE l_tax < 0.05";

/// The compiled pipeline of `SUM` and a context whose cancel flag is set.
fn cancelled_run(null_every: Option<usize>) -> (Arc<grizzly_codegen::CompiledQuery>, Error) {
    let store = lineitem_store(20_000, 20_000, null_every);
    let snapshot = store.snapshot();
    let plan = plan(&snapshot, SUM);
    let compiled = Arc::new(Compiler::new().unwrap().compile(&plan).unwrap());
    let (node, _) = compiled.pipelines()[0].clone();
    let pipeline = compiled.pipeline(node).expect("a compiled pipeline");
    let cancel = CancelFlag::new();
    let ctx = ExecContext::new(snapshot.clone(), Arc::from([])).with_cancel(cancel.clone());
    // Not cancelled: runs.
    pipeline.run(&ctx).expect("an uncancelled run succeeds");
    cancel.cancel();
    let err = pipeline.run(&ctx).expect_err("a cancelled run fails");
    (compiled, err)
}

#[test]
fn compiled_driver_checks_between_morsels() {
    let (compiled, err) = cancelled_run(None);
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(err.to_string(), "query cancelled");
    // The compiled loop stopped itself; nothing was handed to the interpreter.
    assert_eq!(compiled.fallbacks(), 0);
}

#[test]
fn interpreter_fallback_keeps_the_cancel_flag() {
    // NULLs in l_tax make the pipeline hand each run to the interpreter.
    let (compiled, err) = cancelled_run(Some(3));
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(compiled.fallbacks(), 2);
}
