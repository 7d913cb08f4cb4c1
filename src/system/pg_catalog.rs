//! PostgreSQL's system catalog (`pg_catalog`), as far as clients read it to list and describe
//! tables: psql's `\dt`, `\d`, `\d t`, `\l`, `\dn`, and drivers' metadata queries.
//!
//! Each table's rows are computed from the snapshot a query reads (its tables, views and
//! columns) plus Grizzly's fixed identities ([`grizzly_ir::pg_catalog`]): one database, one
//! role owning everything, schemas `pg_catalog` (these tables) and `public` (every user table
//! and view). OIDs: a table's is [`FIRST_USER_OID`] plus its schema version (unique, and stable
//! while the table exists); a view's is derived from its name; system tables number from
//! [`SYSTEM_TABLE_OID`]. Catalogs of features Grizzly lacks (indexes, constraints, defaults,
//! inheritance, comments) exist with their PostgreSQL columns and no rows, so clients' queries
//! over them run and find nothing. Columns of PostgreSQL array types (ACLs, options) are
//! VARCHAR and NULL.

use crate::system::SystemCatalog;
use grizzly_ir::pg_catalog::{
    self as pg, DATABASE_NAME, DATABASE_OID, DEFAULT_COLLATION, FIRST_USER_OID,
    INFORMATION_SCHEMA_NAMESPACE, PG_CATALOG_NAMESPACE, PUBLIC_NAMESPACE, ROLE_NAME, ROLE_OID,
    TYPES,
};
use grizzly_ir::{DataType, Value};
use grizzly_runtime::storage::{Snapshot, Table};

/// OID of the first system table (the rest follow in [`TABLES`] order).
const SYSTEM_TABLE_OID: i64 = 12000;
/// `pg_am` OIDs, as in PostgreSQL.
const HEAP_AM: i64 = 2;

const OID: DataType = DataType::Int64;
const INT: DataType = DataType::Int32;
const TEXT: DataType = DataType::Varchar;
const BOOL: DataType = DataType::Boolean;
const FLOAT: DataType = DataType::Float64;

/// A catalog table: name, kind (`r` table, `v` view, as `pg_class.relkind`) and columns.
pub(crate) struct CatalogTable {
    pub name: &'static str,
    kind: &'static str,
    pub columns: &'static [(&'static str, DataType)],
}

/// Every `pg_catalog` table Grizzly has.
pub(crate) const TABLES: &[CatalogTable] = &[
    CatalogTable {
        name: "pg_namespace",
        kind: "r",
        columns: &[
            ("oid", OID),
            ("nspname", TEXT),
            ("nspowner", OID),
            ("nspacl", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_class",
        kind: "r",
        columns: &[
            ("oid", OID),
            ("relname", TEXT),
            ("relnamespace", OID),
            ("reltype", OID),
            ("reloftype", OID),
            ("relowner", OID),
            ("relam", OID),
            ("relfilenode", OID),
            ("reltablespace", OID),
            ("relpages", INT),
            ("reltuples", FLOAT),
            ("relallvisible", INT),
            ("reltoastrelid", OID),
            ("relhasindex", BOOL),
            ("relisshared", BOOL),
            ("relpersistence", TEXT),
            ("relkind", TEXT),
            ("relnatts", INT),
            ("relchecks", INT),
            ("relhasrules", BOOL),
            ("relhastriggers", BOOL),
            ("relhassubclass", BOOL),
            ("relrowsecurity", BOOL),
            ("relforcerowsecurity", BOOL),
            ("relispopulated", BOOL),
            ("relreplident", TEXT),
            ("relispartition", BOOL),
            ("relrewrite", OID),
            ("relacl", TEXT),
            ("reloptions", TEXT),
            ("relpartbound", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_attribute",
        kind: "r",
        columns: &[
            ("attrelid", OID),
            ("attname", TEXT),
            ("atttypid", OID),
            ("attstattarget", INT),
            ("attlen", INT),
            ("attnum", INT),
            ("attndims", INT),
            ("attcacheoff", INT),
            ("atttypmod", INT),
            ("attbyval", BOOL),
            ("attalign", TEXT),
            ("attstorage", TEXT),
            ("attcompression", TEXT),
            ("attnotnull", BOOL),
            ("atthasdef", BOOL),
            ("atthasmissing", BOOL),
            ("attidentity", TEXT),
            ("attgenerated", TEXT),
            ("attisdropped", BOOL),
            ("attislocal", BOOL),
            ("attinhcount", INT),
            ("attcollation", OID),
            ("attacl", TEXT),
            ("attoptions", TEXT),
            ("attfdwoptions", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_type",
        kind: "r",
        columns: &[
            ("oid", OID),
            ("typname", TEXT),
            ("typnamespace", OID),
            ("typowner", OID),
            ("typlen", INT),
            ("typbyval", BOOL),
            ("typtype", TEXT),
            ("typcategory", TEXT),
            ("typispreferred", BOOL),
            ("typisdefined", BOOL),
            ("typdelim", TEXT),
            ("typrelid", OID),
            ("typelem", OID),
            ("typarray", OID),
            ("typnotnull", BOOL),
            ("typbasetype", OID),
            ("typtypmod", INT),
            ("typndims", INT),
            ("typcollation", OID),
        ],
    },
    CatalogTable {
        name: "pg_database",
        kind: "r",
        columns: &[
            ("oid", OID),
            ("datname", TEXT),
            ("datdba", OID),
            ("encoding", INT),
            ("datlocprovider", TEXT),
            ("datistemplate", BOOL),
            ("datallowconn", BOOL),
            ("datconnlimit", INT),
            ("dattablespace", OID),
            ("datcollate", TEXT),
            ("datctype", TEXT),
            ("daticulocale", TEXT),
            ("daticurules", TEXT),
            ("datcollversion", TEXT),
            ("datacl", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_roles",
        kind: "v",
        columns: &[
            ("rolname", TEXT),
            ("rolsuper", BOOL),
            ("rolinherit", BOOL),
            ("rolcreaterole", BOOL),
            ("rolcreatedb", BOOL),
            ("rolcanlogin", BOOL),
            ("rolreplication", BOOL),
            ("rolconnlimit", INT),
            ("rolpassword", TEXT),
            ("rolvaliduntil", TEXT),
            ("rolbypassrls", BOOL),
            ("rolconfig", TEXT),
            ("oid", OID),
        ],
    },
    CatalogTable {
        name: "pg_am",
        kind: "r",
        columns: &[
            ("oid", OID),
            ("amname", TEXT),
            ("amhandler", TEXT),
            ("amtype", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_collation",
        kind: "r",
        columns: &[
            ("oid", OID),
            ("collname", TEXT),
            ("collnamespace", OID),
            ("collowner", OID),
            ("collprovider", TEXT),
            ("collisdeterministic", BOOL),
            ("collencoding", INT),
            ("collcollate", TEXT),
            ("collctype", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_tables",
        kind: "v",
        columns: &[
            ("schemaname", TEXT),
            ("tablename", TEXT),
            ("tableowner", TEXT),
            ("tablespace", TEXT),
            ("hasindexes", BOOL),
            ("hasrules", BOOL),
            ("hastriggers", BOOL),
            ("rowsecurity", BOOL),
        ],
    },
    CatalogTable {
        name: "pg_views",
        kind: "v",
        columns: &[
            ("schemaname", TEXT),
            ("viewname", TEXT),
            ("viewowner", TEXT),
            ("definition", TEXT),
        ],
    },
    // Features Grizzly does not have: the catalogs exist, empty.
    CatalogTable {
        name: "pg_attrdef",
        kind: "r",
        columns: &[
            ("oid", OID),
            ("adrelid", OID),
            ("adnum", INT),
            ("adbin", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_index",
        kind: "r",
        columns: &[
            ("indexrelid", OID),
            ("indrelid", OID),
            ("indnatts", INT),
            ("indnkeyatts", INT),
            ("indisunique", BOOL),
            ("indnullsnotdistinct", BOOL),
            ("indisprimary", BOOL),
            ("indisexclusion", BOOL),
            ("indimmediate", BOOL),
            ("indisclustered", BOOL),
            ("indisvalid", BOOL),
            ("indcheckxmin", BOOL),
            ("indisready", BOOL),
            ("indislive", BOOL),
            ("indisreplident", BOOL),
            ("indkey", TEXT),
            ("indcollation", TEXT),
            ("indclass", TEXT),
            ("indoption", TEXT),
            ("indexprs", TEXT),
            ("indpred", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_constraint",
        kind: "r",
        columns: &[
            ("oid", OID),
            ("conname", TEXT),
            ("connamespace", OID),
            ("contype", TEXT),
            ("condeferrable", BOOL),
            ("condeferred", BOOL),
            ("convalidated", BOOL),
            ("conrelid", OID),
            ("contypid", OID),
            ("conindid", OID),
            ("conparentid", OID),
            ("confrelid", OID),
            ("confupdtype", TEXT),
            ("confdeltype", TEXT),
            ("confmatchtype", TEXT),
            ("conislocal", BOOL),
            ("coninhcount", INT),
            ("connoinherit", BOOL),
            ("conkey", TEXT),
            ("confkey", TEXT),
            ("conbin", TEXT),
        ],
    },
    CatalogTable {
        name: "pg_inherits",
        kind: "r",
        columns: &[
            ("inhrelid", OID),
            ("inhparent", OID),
            ("inhseqno", INT),
            ("inhdetachpending", BOOL),
        ],
    },
    CatalogTable {
        name: "pg_description",
        kind: "r",
        columns: &[
            ("objoid", OID),
            ("classoid", OID),
            ("objsubid", INT),
            ("description", TEXT),
        ],
    },
];

/// The catalog table called `name`.
pub(crate) fn table(name: &str) -> Option<&'static CatalogTable> {
    TABLES.iter().find(|t| t.name == name)
}

/// A view's OID: see the module docs.
fn view_oid(name: &str) -> i64 {
    // FNV-1a of the name in the upper half of the 32-bit OIDs, above every table's.
    let mut h: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        h = (h ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    (1 << 31) + i64::from(h & 0x7fff_ffff)
}

/// A relation as `pg_class` and `pg_attribute` show it.
pub(super) struct Relation {
    pub oid: i64,
    pub name: String,
    pub namespace: i64,
    /// `r` table, `v` view.
    pub kind: &'static str,
    pub rows: f64,
    /// (name, type, nullable), in order.
    pub columns: Vec<(String, DataType, bool)>,
}

/// Every relation of `snapshot`: its tables, its views (columns from binding them; a view
/// that no longer binds shows none) and the system tables.
pub(super) fn relations(snapshot: &Snapshot) -> Vec<Relation> {
    let mut out = Vec::new();
    for name in snapshot.table_names() {
        // Tables of attached databases are not in this database's catalog.
        if name.contains('.') {
            continue;
        }
        if let Some(t) = snapshot.table(&name) {
            out.push(table_relation(name, t));
        }
    }
    for name in snapshot.view_names() {
        let columns = view_columns(snapshot, &name).unwrap_or_default();
        out.push(Relation {
            oid: view_oid(&name),
            name,
            namespace: PUBLIC_NAMESPACE,
            kind: "v",
            rows: 0.0,
            columns,
        });
    }
    let system = std::iter::once((super::QUERY_CACHE_TABLE, "r", super::COLUMNS))
        .chain(TABLES.iter().map(|t| (t.name, t.kind, t.columns)))
        .map(|(name, kind, columns)| (name, kind, columns, PG_CATALOG_NAMESPACE))
        .chain(
            super::information_schema::VIEWS
                .iter()
                .map(|(name, columns)| (*name, "v", *columns, INFORMATION_SCHEMA_NAMESPACE)),
        );
    for (i, (name, kind, columns, namespace)) in system.enumerate() {
        // A user table of the same name hides a system table (not the always qualified
        // `information_schema` views).
        let hidden = snapshot.table(name).is_some() || snapshot.view_meta(name).is_some();
        if hidden && namespace == PG_CATALOG_NAMESPACE {
            continue;
        }
        out.push(Relation {
            oid: SYSTEM_TABLE_OID + i as i64,
            name: name.to_string(),
            namespace,
            kind,
            rows: 0.0,
            columns: columns
                .iter()
                .map(|(n, ty)| (n.to_string(), *ty, true))
                .collect(),
        });
    }
    out
}

/// Stored table `t`, named `name`, as a relation of schema `public`.
pub(super) fn table_relation(name: String, t: &Table) -> Relation {
    Relation {
        oid: FIRST_USER_OID + i64::try_from(t.schema_version).unwrap_or(i64::MAX / 2),
        name,
        namespace: PUBLIC_NAMESPACE,
        kind: "r",
        rows: t.meta.row_count as f64,
        columns: t
            .meta
            .columns
            .iter()
            .map(|c| (c.name.clone(), c.ty, c.nullable))
            .collect(),
    }
}

/// A view's columns, from binding its query against the snapshot.
pub(super) fn view_columns(
    snapshot: &Snapshot,
    name: &str,
) -> Option<Vec<(String, DataType, bool)>> {
    let view = snapshot.view_meta(name)?;
    let ast = grizzly_ir::parse(&view.sql).ok()?.pop()?;
    let bound = grizzly_ir::bind(&ast, &SystemCatalog(snapshot)).ok()?;
    let grizzly_ir::Statement::Query(plan) = bound.statement else {
        return None;
    };
    Some(
        plan.fields()
            .into_iter()
            .enumerate()
            .map(|(i, f)| {
                // As in PostgreSQL, a view's columns are never NOT NULL.
                let name = view.column_names.get(i).cloned().unwrap_or(f.name);
                (name, f.ty, true)
            })
            .collect(),
    )
}

/// The rows of catalog table `name` for `snapshot`, each in the table's column order.
pub(crate) fn rows(name: &str, snapshot: &Snapshot) -> Vec<Vec<Value>> {
    let oid = Value::Int64;
    let int = |n: i64| Value::Int32(i32::try_from(n).unwrap_or(-1));
    let text = |s: &str| Value::Varchar(s.to_string());
    let b = Value::Boolean;
    let null = || Value::Null;
    match name {
        "pg_namespace" => pg::NAMESPACES
            .iter()
            .map(|(o, n)| vec![oid(*o), text(n), oid(ROLE_OID), null()])
            .collect(),
        "pg_class" => relations(snapshot)
            .into_iter()
            .map(|r| {
                let table = r.kind == "r";
                vec![
                    oid(r.oid),
                    text(&r.name),
                    oid(r.namespace),
                    oid(0),
                    oid(0),
                    oid(ROLE_OID),
                    oid(if table { HEAP_AM } else { 0 }),
                    oid(if table { r.oid } else { 0 }),
                    oid(0),
                    int(0),
                    Value::Float64(if table { r.rows } else { -1.0 }),
                    int(0),
                    oid(0),
                    b(false),
                    b(false),
                    text("p"),
                    text(r.kind),
                    int(r.columns.len() as i64),
                    int(0),
                    b(false),
                    b(false),
                    b(false),
                    b(false),
                    b(false),
                    b(true),
                    text(if table { "d" } else { "n" }),
                    b(false),
                    oid(0),
                    null(),
                    null(),
                    null(),
                ]
            })
            .collect(),
        "pg_attribute" => relations(snapshot)
            .into_iter()
            .flat_map(|r| {
                r.columns
                    .into_iter()
                    .enumerate()
                    .map(move |(i, (name, ty, nullable))| {
                        let (type_oid, typmod) = pg::type_of(ty);
                        let t = pg::type_by_oid(type_oid);
                        let len = t.map_or(-1, |t| t.len);
                        vec![
                            oid(r.oid),
                            text(&name),
                            oid(type_oid),
                            int(-1),
                            int(len),
                            int(i as i64 + 1),
                            int(0),
                            int(-1),
                            int(typmod),
                            b(len > 0 && len <= 8),
                            text(if len == 8 { "d" } else { "i" }),
                            text(if len > 0 { "p" } else { "x" }),
                            text(""),
                            b(!nullable),
                            b(false),
                            b(false),
                            text(""),
                            text(""),
                            b(false),
                            b(true),
                            int(0),
                            oid(collation(type_oid)),
                            null(),
                            null(),
                            null(),
                        ]
                    })
            })
            .collect(),
        "pg_type" => TYPES
            .iter()
            .map(|t| {
                vec![
                    oid(t.oid),
                    text(t.name),
                    oid(PG_CATALOG_NAMESPACE),
                    oid(ROLE_OID),
                    int(t.len),
                    b(t.len > 0 && t.len <= 8),
                    text("b"),
                    text(t.category),
                    b(false),
                    b(true),
                    text(","),
                    oid(0),
                    oid(0),
                    oid(0),
                    b(false),
                    oid(0),
                    int(-1),
                    int(0),
                    oid(collation(t.oid)),
                ]
            })
            .collect(),
        "pg_database" => vec![vec![
            oid(DATABASE_OID),
            text(DATABASE_NAME),
            oid(ROLE_OID),
            int(pg::UTF8_ENCODING),
            text("c"),
            b(false),
            b(true),
            int(-1),
            oid(1663),
            text("C"),
            text("C"),
            null(),
            null(),
            null(),
            null(),
        ]],
        "pg_roles" => vec![vec![
            text(ROLE_NAME),
            b(true),
            b(true),
            b(true),
            b(true),
            b(true),
            b(false),
            int(-1),
            text("********"),
            null(),
            b(true),
            null(),
            oid(ROLE_OID),
        ]],
        "pg_am" => vec![
            vec![
                oid(HEAP_AM),
                text("heap"),
                text("heap_tableam_handler"),
                text("t"),
            ],
            vec![oid(403), text("btree"), text("bthandler"), text("i")],
        ],
        "pg_collation" => [
            (DEFAULT_COLLATION, "default", "d", None),
            (950, "C", "c", Some("C")),
            (951, "POSIX", "c", Some("POSIX")),
        ]
        .into_iter()
        .map(|(o, name, provider, locale)| {
            let locale = || locale.map_or(Value::Null, text);
            vec![
                oid(o),
                text(name),
                oid(PG_CATALOG_NAMESPACE),
                oid(ROLE_OID),
                text(provider),
                b(true),
                int(-1),
                locale(),
                locale(),
            ]
        })
        .collect(),
        "pg_tables" => relations(snapshot)
            .into_iter()
            .filter(|r| r.kind == "r")
            .map(|r| {
                vec![
                    text(namespace_name(r.namespace)),
                    text(&r.name),
                    text(ROLE_NAME),
                    null(),
                    b(false),
                    b(false),
                    b(false),
                    b(false),
                ]
            })
            .collect(),
        "pg_views" => snapshot
            .view_names()
            .into_iter()
            .filter_map(|name| {
                let sql = snapshot.view_meta(&name)?.sql.clone();
                Some(vec![
                    text(namespace_name(PUBLIC_NAMESPACE)),
                    text(&name),
                    text(ROLE_NAME),
                    Value::Varchar(sql),
                ])
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The collation of values of a type: the default one for text types, none (0) otherwise.
fn collation(type_oid: i64) -> i64 {
    match pg::type_by_oid(type_oid) {
        Some(t) if t.collatable => DEFAULT_COLLATION,
        _ => 0,
    }
}

pub(super) fn namespace_name(oid: i64) -> &'static str {
    pg::NAMESPACES
        .iter()
        .find(|(o, _)| *o == oid)
        .map_or("", |(_, n)| n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    #[test]
    fn rows_match_their_columns() {
        let db = Database::in_memory();
        db.execute("CREATE TABLE t (a INTEGER NOT NULL, b VARCHAR, c DECIMAL(10,2))")
            .unwrap();
        db.execute("CREATE VIEW v AS SELECT a, b FROM t").unwrap();
        let snapshot = db.store().snapshot();
        for t in TABLES {
            for row in rows(t.name, &snapshot) {
                assert_eq!(row.len(), t.columns.len(), "{}", t.name);
                for (v, (col, ty)) in row.iter().zip(t.columns) {
                    let fits = matches!(
                        (v, ty),
                        (Value::Null, _)
                            | (Value::Int64(_), DataType::Int64)
                            | (Value::Int32(_), DataType::Int32)
                            | (Value::Float64(_), DataType::Float64)
                            | (Value::Boolean(_), DataType::Boolean)
                            | (Value::Varchar(_), DataType::Varchar)
                    );
                    assert!(fits, "{}.{col}: {v:?} is not {ty}", t.name);
                }
            }
        }
        let names: Vec<String> = relations(&snapshot).into_iter().map(|r| r.name).collect();
        assert!(names.contains(&"t".to_string()) && names.contains(&"v".to_string()));
    }
}
