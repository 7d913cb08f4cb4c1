//! Dropping a `CompiledQuery` frees its code: compiling the same query over and over keeps
//! the process's resident memory bounded. (Alone in this file: RSS is per process, and other
//! tests would allocate beside it.)

mod common;

use common::*;
use grizzly_codegen::Compiler;
use std::sync::Arc;

fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4096)
}

#[test]
fn dropping_compiled_queries_frees_code() {
    let store = lineitem_store(1_000, 1_000, None);
    let snapshot = store.snapshot();
    let plan = plan(&snapshot, Q1);
    let compiler = Compiler::new().unwrap();
    for _ in 0..200 {
        let c = Arc::new(compiler.compile(&plan).unwrap());
        compare(&snapshot, &plan, &[], &c, "Q1");
    }
    let before = rss();
    for _ in 0..1000 {
        let c = Arc::new(compiler.compile(&plan).unwrap());
        assert_eq!(c.pipelines().len(), 1);
    }
    let grown = rss().saturating_sub(before);
    // Leaking even one page of code per query would add 4 MB.
    assert!(
        grown < 2 << 20,
        "RSS grew by {grown} bytes over 1000 compiles"
    );
}
