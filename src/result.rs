//! Query results: named, typed columns.

use grizzly_ir::{DataType, Value};
use grizzly_runtime::Vector;
use std::sync::Arc;

/// A result column's name and type.
#[derive(Debug, Clone, PartialEq)]
pub struct Column {
    pub name: String,
    pub ty: DataType,
}

/// The rows a statement returned, held column by column.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// Shared with the cached plan that made it (one allocation per plan, not per run).
    columns: Arc<[Column]>,
    /// One vector per column, each `rows` long.
    data: Vec<Vector>,
    rows: usize,
}

/// One row of a [`QueryResult`].
#[derive(Debug, Clone, Copy)]
pub struct Row<'a> {
    result: &'a QueryResult,
    index: usize,
}

impl QueryResult {
    pub fn new(columns: Vec<Column>, data: Vec<Vector>, rows: usize) -> QueryResult {
        QueryResult::shared(columns.into(), data, rows)
    }

    /// A result whose column descriptions are shared (a cached plan's).
    pub(crate) fn shared(columns: Arc<[Column]>, data: Vec<Vector>, rows: usize) -> QueryResult {
        debug_assert!(data.iter().all(|v| v.len() == rows) && data.len() == columns.len());
        QueryResult {
            columns,
            data,
            rows,
        }
    }

    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    pub fn row_count(&self) -> usize {
        self.rows
    }

    /// The value at (`row`, `col`). Panics if out of range.
    pub fn value(&self, row: usize, col: usize) -> Value {
        self.data[col].get(row)
    }

    /// A column's values as a vector (zero-copy where possible).
    pub fn column_vector(&self, col: usize) -> &Vector {
        &self.data[col]
    }

    /// The columns' data, consuming the result.
    pub fn into_columns(self) -> Vec<Vector> {
        self.data
    }

    pub fn row(&self, index: usize) -> Row<'_> {
        assert!(
            index < self.rows,
            "row {index} out of range ({} rows)",
            self.rows
        );
        Row {
            result: self,
            index,
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        (0..self.rows).map(move |index| Row {
            result: self,
            index,
        })
    }
}

impl Row<'_> {
    pub fn get(&self, col: usize) -> Value {
        self.result.value(self.index, col)
    }

    pub fn values(&self) -> Vec<Value> {
        (0..self.result.columns.len())
            .map(|c| self.get(c))
            .collect()
    }
}
