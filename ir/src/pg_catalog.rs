//! The identities Grizzly shows PostgreSQL clients: the fixed OIDs of its one database, role
//! and schemas, and the PostgreSQL types its own types map to. The binder's PostgreSQL
//! functions (`format_type`, `pg_get_userbyid`, `::regtype`, ...) and the `pg_catalog` system
//! tables (in the `grizzly` crate) both read them, so the two always agree.

use crate::types::DataType;

/// OID of the `pg_catalog` schema (as in PostgreSQL).
pub const PG_CATALOG_NAMESPACE: i64 = 11;
/// OID of the `public` schema, where every Grizzly table and view lives (as in PostgreSQL).
pub const PUBLIC_NAMESPACE: i64 = 2200;
/// OID of the `information_schema` schema (PostgreSQL makes it at initdb; any OID below
/// [`FIRST_USER_OID`] serves).
pub const INFORMATION_SCHEMA_NAMESPACE: i64 = 13000;
/// The name of the SQL standard's catalog schema (`information_schema.tables`, ...).
pub const INFORMATION_SCHEMA: &str = "information_schema";
/// The schemas: (oid, name).
pub const NAMESPACES: &[(i64, &str)] = &[
    (PG_CATALOG_NAMESPACE, "pg_catalog"),
    (PUBLIC_NAMESPACE, "public"),
    (INFORMATION_SCHEMA_NAMESPACE, INFORMATION_SCHEMA),
];

/// How plans name the `information_schema` view `view` (`information_schema.tables`): a
/// dotted name no attached database can take, as `information_schema` is a reserved name.
pub fn information_schema_table(view: &str) -> String {
    format!("{INFORMATION_SCHEMA}.{view}")
}
/// The one role, owner of everything (PostgreSQL's bootstrap superuser has OID 10).
pub const ROLE_OID: i64 = 10;
pub const ROLE_NAME: &str = "grizzly";
/// The one database a server serves, whatever name a client asks for.
pub const DATABASE_OID: i64 = 16384;
pub const DATABASE_NAME: &str = "grizzly";
/// The schema unqualified names resolve in.
pub const CURRENT_SCHEMA: &str = "public";
/// OID of the default collation (as in PostgreSQL).
pub const DEFAULT_COLLATION: i64 = 100;
/// `pg_database.encoding` of UTF8.
pub const UTF8_ENCODING: i64 = 6;
/// The lowest OID given to user objects (as in PostgreSQL): tables get this plus their
/// schema version, which is unique and stable while the table exists.
pub const FIRST_USER_OID: i64 = 16385;

/// What `version()` returns: PostgreSQL's format (drivers parse the version after
/// "PostgreSQL"), then Grizzly's.
pub fn version() -> String {
    format!(
        "PostgreSQL 16.0 (Grizzly {}) on {}-{}",
        env!("CARGO_PKG_VERSION"),
        std::env::consts::ARCH,
        std::env::consts::OS
    )
}

/// A PostgreSQL type as `pg_type` and `format_type` show it.
#[derive(Debug, Clone, Copy)]
pub struct PgType {
    pub oid: i64,
    /// `pg_type.typname`.
    pub name: &'static str,
    /// What `format_type(oid, NULL)` prints.
    pub sql_name: &'static str,
    /// `typlen`: bytes, or -1 for variable length.
    pub len: i64,
    /// `typcategory`: B boolean, N numeric, S string, D date/time, U user.
    pub category: &'static str,
    /// Text types have the default collation.
    pub collatable: bool,
}

const fn ty(
    oid: i64,
    name: &'static str,
    sql_name: &'static str,
    len: i64,
    category: &'static str,
) -> PgType {
    PgType {
        oid,
        name,
        sql_name,
        len,
        category,
        collatable: false,
    }
}

const fn text_ty(oid: i64, name: &'static str, sql_name: &'static str, len: i64) -> PgType {
    PgType {
        oid,
        name,
        sql_name,
        len,
        category: "S",
        collatable: true,
    }
}

/// The types of Grizzly's columns and of its catalog's columns.
pub const TYPES: &[PgType] = &[
    ty(16, "bool", "boolean", 1, "B"),
    text_ty(18, "char", "\"char\"", 1),
    text_ty(19, "name", "name", 64),
    ty(20, "int8", "bigint", 8, "N"),
    ty(21, "int2", "smallint", 2, "N"),
    ty(23, "int4", "integer", 4, "N"),
    text_ty(25, "text", "text", -1),
    ty(26, "oid", "oid", 4, "N"),
    ty(700, "float4", "real", 4, "N"),
    ty(701, "float8", "double precision", 8, "N"),
    text_ty(1042, "bpchar", "character", -1),
    text_ty(1043, "varchar", "character varying", -1),
    ty(1082, "date", "date", 4, "D"),
    ty(1700, "numeric", "numeric", -1, "N"),
];

pub const BOOL: i64 = 16;
pub const INT8: i64 = 20;
pub const INT4: i64 = 23;
pub const FLOAT8: i64 = 701;
pub const VARCHAR: i64 = 1043;
pub const DATE: i64 = 1082;
pub const NUMERIC: i64 = 1700;

/// The PostgreSQL type OID and type modifier of a Grizzly type (-1: no modifier; a NUMERIC's
/// is `((precision << 16) | scale) + 4`, as in PostgreSQL).
pub fn type_of(ty: DataType) -> (i64, i64) {
    match ty {
        DataType::Boolean => (BOOL, -1),
        DataType::Int32 => (INT4, -1),
        DataType::Int64 => (INT8, -1),
        DataType::Float64 => (FLOAT8, -1),
        DataType::Decimal { precision, scale } => (
            NUMERIC,
            ((i64::from(precision) << 16) | i64::from(scale)) + 4,
        ),
        DataType::Date => (DATE, -1),
        DataType::Varchar => (VARCHAR, -1),
    }
}

/// The type with `oid`, if it is one of [`TYPES`].
pub fn type_by_oid(oid: i64) -> Option<&'static PgType> {
    TYPES.iter().find(|t| t.oid == oid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_grizzly_type_is_in_pg_type() {
        for t in [
            DataType::Boolean,
            DataType::Int32,
            DataType::Int64,
            DataType::Float64,
            DataType::Decimal {
                precision: 10,
                scale: 2,
            },
            DataType::Date,
            DataType::Varchar,
        ] {
            assert!(type_by_oid(type_of(t).0).is_some(), "{t:?}");
        }
        assert_eq!(
            type_of(DataType::Decimal {
                precision: 10,
                scale: 2
            }),
            (NUMERIC, (10 << 16 | 2) + 4)
        );
        assert!(version().starts_with("PostgreSQL 16.0 (Grizzly "));
    }
}
