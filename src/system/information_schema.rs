//! The SQL standard's catalog views, as PostgreSQL names them: `information_schema.schemata`,
//! `.tables`, `.columns` and `.views`, which tools and drivers read to list tables and
//! describe them (DuckDB and PostgreSQL users expect them).
//!
//! Rows come from the same relations as `pg_catalog` ([`super::pg_catalog::relations`]):
//! user tables and views in schema `public` of catalog `grizzly`, the system tables in
//! `pg_catalog`, these views in `information_schema`; tables of an attached database `a`
//! have catalog `a`. Columns are PostgreSQL's (its `sql_identifier`, `character_data` and
//! `yes_or_no` domains are VARCHAR, `cardinal_number` INTEGER), in its order, up to the last
//! one clients commonly read; features Grizzly lacks (defaults, identity, generated columns,
//! user-defined types) read as PostgreSQL shows their absence.

use super::pg_catalog::{namespace_name, relations, table_relation, Relation};
use grizzly_ir::pg_catalog::{self as pg, DATABASE_NAME, INFORMATION_SCHEMA, ROLE_NAME};
use grizzly_ir::{catalog, DataType, Value};
use grizzly_runtime::storage::Snapshot;

const TEXT: DataType = DataType::Varchar;
const INT: DataType = DataType::Int32;

/// An `information_schema` view: its name and columns.
pub(crate) type View = (&'static str, &'static [(&'static str, DataType)]);

/// Every `information_schema` view Grizzly has.
pub(crate) const VIEWS: &[View] = &[
    (
        "schemata",
        &[
            ("catalog_name", TEXT),
            ("schema_name", TEXT),
            ("schema_owner", TEXT),
            ("default_character_set_catalog", TEXT),
            ("default_character_set_schema", TEXT),
            ("default_character_set_name", TEXT),
            ("sql_path", TEXT),
        ],
    ),
    (
        "tables",
        &[
            ("table_catalog", TEXT),
            ("table_schema", TEXT),
            ("table_name", TEXT),
            ("table_type", TEXT),
            ("self_referencing_column_name", TEXT),
            ("reference_generation", TEXT),
            ("user_defined_type_catalog", TEXT),
            ("user_defined_type_schema", TEXT),
            ("user_defined_type_name", TEXT),
            ("is_insertable_into", TEXT),
            ("is_typed", TEXT),
            ("commit_action", TEXT),
        ],
    ),
    (
        "columns",
        &[
            ("table_catalog", TEXT),
            ("table_schema", TEXT),
            ("table_name", TEXT),
            ("column_name", TEXT),
            ("ordinal_position", INT),
            ("column_default", TEXT),
            ("is_nullable", TEXT),
            ("data_type", TEXT),
            ("character_maximum_length", INT),
            ("character_octet_length", INT),
            ("numeric_precision", INT),
            ("numeric_precision_radix", INT),
            ("numeric_scale", INT),
            ("datetime_precision", INT),
            ("interval_type", TEXT),
            ("interval_precision", INT),
            ("character_set_catalog", TEXT),
            ("character_set_schema", TEXT),
            ("character_set_name", TEXT),
            ("collation_catalog", TEXT),
            ("collation_schema", TEXT),
            ("collation_name", TEXT),
            ("domain_catalog", TEXT),
            ("domain_schema", TEXT),
            ("domain_name", TEXT),
            ("udt_catalog", TEXT),
            ("udt_schema", TEXT),
            ("udt_name", TEXT),
            ("dtd_identifier", TEXT),
            ("is_self_referencing", TEXT),
            ("is_identity", TEXT),
            ("is_generated", TEXT),
            ("generation_expression", TEXT),
            ("is_updatable", TEXT),
        ],
    ),
    (
        "views",
        &[
            ("table_catalog", TEXT),
            ("table_schema", TEXT),
            ("table_name", TEXT),
            ("view_definition", TEXT),
            ("check_option", TEXT),
            ("is_updatable", TEXT),
            ("is_insertable_into", TEXT),
            ("is_trigger_updatable", TEXT),
            ("is_trigger_deletable", TEXT),
            ("is_trigger_insertable_into", TEXT),
        ],
    ),
];

/// The view a plan's table name names (`information_schema.tables`), if any.
pub(crate) fn view(table: &str) -> Option<&'static View> {
    let (schema, name) = catalog::split_qualified(table)?;
    (schema == INFORMATION_SCHEMA)
        .then(|| VIEWS.iter().find(|(n, _)| *n == name))
        .flatten()
}

/// A relation with the catalog it is in.
struct Listed {
    catalog: String,
    relation: Relation,
}

/// This database's relations (catalog `grizzly`), then each attached database's tables
/// (catalog: its alias).
fn listed(snapshot: &Snapshot) -> Vec<Listed> {
    let mut out: Vec<Listed> = relations(snapshot)
        .into_iter()
        .map(|relation| Listed {
            catalog: DATABASE_NAME.to_string(),
            relation,
        })
        .collect();
    for attached in snapshot.attached() {
        let tables = &attached.snapshot;
        for name in tables.table_names() {
            if let Some(t) = tables.table(&name) {
                out.push(Listed {
                    catalog: attached.alias.clone(),
                    relation: table_relation(name, t),
                });
            }
        }
    }
    out
}

/// The rows of view `name` (as [`VIEWS`] names it) for `snapshot`, in its column order.
pub(crate) fn rows(name: &str, snapshot: &Snapshot) -> Vec<Vec<Value>> {
    let text = |s: &str| Value::Varchar(s.to_string());
    let yes_no = |b: bool| text(if b { "YES" } else { "NO" });
    let null = || Value::Null;
    match name {
        "schemata" => pg::NAMESPACES
            .iter()
            .map(|(_, schema)| {
                vec![
                    text(DATABASE_NAME),
                    text(schema),
                    text(ROLE_NAME),
                    null(),
                    null(),
                    null(),
                    null(),
                ]
            })
            .collect(),
        "tables" => listed(snapshot)
            .into_iter()
            .map(|l| {
                let table = l.relation.kind == "r";
                let user = l.relation.namespace == pg::PUBLIC_NAMESPACE;
                vec![
                    text(&l.catalog),
                    text(namespace_name(l.relation.namespace)),
                    text(&l.relation.name),
                    text(if table { "BASE TABLE" } else { "VIEW" }),
                    null(),
                    null(),
                    null(),
                    null(),
                    null(),
                    yes_no(table && user),
                    yes_no(false),
                    null(),
                ]
            })
            .collect(),
        "columns" => listed(snapshot)
            .into_iter()
            .flat_map(|l| {
                let updatable =
                    l.relation.kind == "r" && l.relation.namespace == pg::PUBLIC_NAMESPACE;
                let schema = namespace_name(l.relation.namespace);
                l.relation
                    .columns
                    .iter()
                    .enumerate()
                    .map(|(i, (column, ty, nullable))| {
                        let t = ColumnType::of(*ty);
                        let int = |n: Option<i64>| {
                            n.map_or(Value::Null, |n| Value::Int32(n.try_into().unwrap_or(-1)))
                        };
                        let collation = |part: &str| {
                            if t.collatable {
                                text(part)
                            } else {
                                null()
                            }
                        };
                        vec![
                            text(&l.catalog),
                            text(schema),
                            text(&l.relation.name),
                            text(column),
                            Value::Int32(i as i32 + 1),
                            null(),
                            yes_no(*nullable),
                            text(t.data_type),
                            null(),
                            // PostgreSQL's most bytes of an unbounded text value: 1 GiB.
                            int(t.collatable.then_some(1 << 30)),
                            int(t.precision),
                            int(t.radix),
                            int(t.scale),
                            int(t.datetime_precision),
                            null(),
                            null(),
                            null(),
                            null(),
                            null(),
                            collation(DATABASE_NAME),
                            collation("pg_catalog"),
                            collation("default"),
                            null(),
                            null(),
                            null(),
                            text(DATABASE_NAME),
                            text("pg_catalog"),
                            text(t.udt_name),
                            text(&(i + 1).to_string()),
                            yes_no(false),
                            yes_no(false),
                            text("NEVER"),
                            null(),
                            yes_no(updatable),
                        ]
                    })
                    .collect::<Vec<_>>()
            })
            .collect(),
        "views" => snapshot
            .view_names()
            .into_iter()
            .filter_map(|name| {
                let sql = snapshot.view_meta(&name)?.sql.clone();
                Some(vec![
                    text(DATABASE_NAME),
                    text(namespace_name(pg::PUBLIC_NAMESPACE)),
                    text(&name),
                    Value::Varchar(sql),
                    text("NONE"),
                    yes_no(false),
                    yes_no(false),
                    yes_no(false),
                    yes_no(false),
                    yes_no(false),
                ])
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// How `information_schema.columns` describes a Grizzly type (as PostgreSQL describes the
/// type it maps to).
struct ColumnType {
    data_type: &'static str,
    udt_name: &'static str,
    precision: Option<i64>,
    radix: Option<i64>,
    scale: Option<i64>,
    datetime_precision: Option<i64>,
    collatable: bool,
}

impl ColumnType {
    fn of(ty: DataType) -> ColumnType {
        let (type_oid, _) = pg::type_of(ty);
        let udt_name = pg::type_by_oid(type_oid).map_or("", |t| t.name);
        let plain = |data_type| ColumnType {
            data_type,
            udt_name,
            precision: None,
            radix: None,
            scale: None,
            datetime_precision: None,
            collatable: false,
        };
        let binary = |data_type, bits, scale| ColumnType {
            precision: Some(bits),
            radix: Some(2),
            scale,
            ..plain(data_type)
        };
        match ty {
            DataType::Boolean => plain("boolean"),
            DataType::Int32 => binary("integer", 32, Some(0)),
            DataType::Int64 => binary("bigint", 64, Some(0)),
            DataType::Float64 => binary("double precision", 53, None),
            DataType::Decimal { precision, scale } => ColumnType {
                precision: Some(i64::from(precision)),
                radix: Some(10),
                scale: Some(i64::from(scale)),
                ..plain("numeric")
            },
            DataType::Date => ColumnType {
                datetime_precision: Some(0),
                ..plain("date")
            },
            DataType::Varchar => ColumnType {
                collatable: true,
                ..plain("character varying")
            },
            // What PostgreSQL says of a type outside the standard's.
            _ => plain("USER-DEFINED"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Database;

    #[test]
    fn rows_match_their_columns() {
        let db = Database::in_memory();
        db.execute("CREATE TABLE t (a INTEGER NOT NULL, b VARCHAR, c DECIMAL(10,2), d DATE)")
            .unwrap();
        db.execute("CREATE TABLE u (x BIGINT, y DOUBLE, z BOOLEAN)")
            .unwrap();
        db.execute("CREATE VIEW v AS SELECT a, b FROM t").unwrap();
        let snapshot = db.store().snapshot();
        for (name, columns) in VIEWS {
            let rows = rows(name, &snapshot);
            assert!(!rows.is_empty(), "{name}");
            for row in rows {
                assert_eq!(row.len(), columns.len(), "{name}");
                for (v, (col, ty)) in row.iter().zip(columns.iter()) {
                    let fits = matches!(
                        (v, ty),
                        (Value::Null, _)
                            | (Value::Int32(_), DataType::Int32)
                            | (Value::Varchar(_), DataType::Varchar)
                    );
                    assert!(fits, "{name}.{col}: {v:?} is not {ty}");
                }
            }
        }
    }
}
