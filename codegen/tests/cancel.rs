//! A cancelled statement stops between morsels of a compiled pipeline, and a pipeline that
//! hands its work to the interpreter passes the cancel flag on.

mod common;

use common::*;
use grizzly_codegen::Compiler;
use grizzly_runtime::exec::{CancelFlag, CompiledPlan, ExecContext};
use grizzly_runtime::Error;
use std::sync::Arc;

/// Runs compiled (l_tax has NULLs, which the compiled code handles).
const SUM: &str = "SELECT sum(l_quantity), count(*) FROM lineitem WHERE l_tax < 0.05";

/// Keys whose ranges multiply past what a 64-bit group number holds, so every run is handed
/// to the interpreter.
const MANY_GROUPS: &str = "SELECT count(*) FROM lineitem GROUP BY l_orderkey, l_extendedprice,
    l_quantity, l_discount, l_shipdate, l_linenumber, l_tax, l_returnflag, l_linestatus";

/// The compiled pipeline of `sql` and a context whose cancel flag is set.
fn cancelled_run(sql: &str) -> (Arc<grizzly_codegen::CompiledQuery>, Error) {
    let store = lineitem_store(20_000, 20_000, Some(3));
    let snapshot = store.snapshot();
    let plan = plan(&snapshot, sql);
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
    let (compiled, err) = cancelled_run(SUM);
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(err.to_string(), "query cancelled");
    // The compiled loop stopped itself; nothing was handed to the interpreter.
    assert_eq!(compiled.fallbacks(), 0);
}

#[test]
fn interpreter_fallback_keeps_the_cancel_flag() {
    let (compiled, err) = cancelled_run(MANY_GROUPS);
    assert!(matches!(err, Error::Cancelled), "{err}");
    assert_eq!(compiled.fallbacks(), 2);
}
