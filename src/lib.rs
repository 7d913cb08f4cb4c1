//! Grizzly: an embedded columnar SQL database whose hot queries compile to native code.
//!
//! The life of a query: [`Database::query`] parses the SQL (`grizzly_ir`), binds it against a
//! snapshot's catalog, optimizes the plan, lifts its literals into parameters and fingerprints
//! it (`grizzly_ir::fingerprint`), finds its entry in the query cache (`cache`), and runs it
//! (`query::run`) in the vectorized interpreter (`grizzly_runtime::exec`) over memory-mapped
//! `.griz` columns, with native code (`grizzly_codegen`) for the pipelines the compiled tier
//! made once the query is hot (`tier`: `SET jit = off | auto | always | verify`). Results come
//! back as a [`QueryResult`] of typed columns. `SELECT * FROM grizzly_query_cache` shows the
//! cache (`system`).
//!
//! ```
//! use grizzly::{Database, Value};
//! let db = Database::in_memory();
//! db.execute("CREATE TABLE t (id INTEGER, name VARCHAR)").unwrap();
//! db.execute("INSERT INTO t VALUES (1, 'a'), (2, 'b')").unwrap();
//! let result = db.query("SELECT name FROM t WHERE id = 2").unwrap();
//! assert_eq!(result.value(0, 0), Value::Varchar("b".into()));
//!
//! let stmt = db.prepare("SELECT count(*) FROM t WHERE id > $1").unwrap();
//! let result = stmt.query(&[Value::Int32(0)]).unwrap();
//! assert_eq!(result.value(0, 0), Value::Int64(2));
//! ```
//!
//! Compiled queries: a prepared statement binds once, compiles on demand (or on its own once
//! hot under the tiering policy) and runs with new constants without re-parsing or re-binding.
//!
//! ```
//! use grizzly::{Database, Tier, Value};
//! let db = Database::in_memory();
//! db.execute("CREATE TABLE t (k INTEGER NOT NULL, v DECIMAL(15,2) NOT NULL)")?;
//! db.execute("INSERT INTO t VALUES (1, 2.50), (2, 4.00), (1, 1.25)")?;
//! let q = db.prepare("SELECT k, sum(v) FROM t WHERE v > $1 GROUP BY k ORDER BY k")?;
//! let info = q.compile()?;
//! assert!(info.code_bytes > 0);
//! assert_eq!(q.tier(), Tier::Compiled);
//! let rows = q.query(&[Value::Decimal(200, 2)])?; // v > 2.00
//! assert_eq!(rows.row_count(), 2);
//! assert_eq!(rows.value(0, 1), Value::Decimal(250, 2));
//! assert!(q.explain().contains("compiled"));
//! # Ok::<(), grizzly::Error>(())
//! ```

mod alter;
mod attach;
mod cache;
pub mod config;
mod copy;
mod database;
mod explain_analyze;
mod import;
mod interrupt;
mod jit;
mod query;
mod result;
pub mod server;
mod session;
mod system;
mod text_cache;
mod tier;
pub mod tpch;

pub use cache::{CacheEntryInfo, CacheStats};
pub use database::{Database, PreparedStatement};
pub use grizzly_ir::{DataType, Value};
pub use grizzly_runtime::{Error, Result};
pub use import::csv::{load_threads, set_load_threads};
pub use import::progress::set_progress_bars;
pub use interrupt::InterruptHandle;
pub use jit::Fingerprint;
pub use result::{Column, QueryResult, Row};
pub use session::Settings;
pub use tier::{CompileInfo, JitMode, Tier};
pub use tpch::{generate_tpch, tpch_schema};
