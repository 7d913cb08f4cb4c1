//! `WITH RECURSIVE name [(columns)] AS (anchor UNION [ALL] step)`: bound as
//! [`LogicalPlan::Recursive`]. While `step` is bound, `name` reads the working table (the
//! rows of the previous round); it must be referenced exactly once there, and not in
//! `anchor`. A CTE of a `WITH RECURSIVE` whose step does not reference it is an ordinary
//! union (as in PostgreSQL). Column types are the anchor's; the step's outputs are cast to
//! them.

use sqlparser::ast;

use super::Binder;
use crate::error::Result;
use crate::plan::{LogicalPlan, Recursive};
use crate::types::DataType;

/// A recursive query whose step is being bound.
pub(super) struct WorkingDef {
    name: String,
    id: u32,
    columns: Vec<(String, DataType)>,
    /// References bound so far.
    references: usize,
}

impl Binder<'_> {
    /// The working table `name` reads inside a step being bound, if any.
    pub(super) fn working_table(&mut self, name: &str) -> Option<LogicalPlan> {
        let w = self.working.iter_mut().rev().find(|w| w.name == name)?;
        w.references += 1;
        let (id, columns) = (w.id, w.columns.clone());
        let fields = columns
            .into_iter()
            .map(|(n, ty)| self.new_field(n, ty, true))
            .collect();
        Some(LogicalPlan::WorkingTable { id, fields })
    }

    pub(super) fn bind_recursive(
        &mut self,
        name: &str,
        query: &ast::Query,
        columns: &[String],
    ) -> Result<LogicalPlan> {
        let ast::SetExpr::SetOperation {
            op: ast::SetOperator::Union,
            set_quantifier,
            left,
            right,
        } = query.body.as_ref()
        else {
            return self.bind_query(query);
        };
        if query.order_by.is_some() || query.limit_clause.is_some() || query.fetch.is_some() {
            return crate::unsupported!("ORDER BY, LIMIT or FETCH in recursive query \"{name}\"");
        }
        let distinct = match set_quantifier {
            ast::SetQuantifier::All => false,
            ast::SetQuantifier::Distinct | ast::SetQuantifier::None => true,
            other => return crate::unsupported!("UNION {other} in a recursive query"),
        };
        let anchor = self.nested(|b| b.bind_set_expr(left))?;
        let anchor_fields = anchor.fields();
        if columns.len() > anchor_fields.len() {
            return crate::bind_err!(
                "WITH query \"{name}\" has {} columns available but {} columns specified",
                anchor_fields.len(),
                columns.len()
            );
        }
        let names: Vec<String> = anchor_fields
            .iter()
            .enumerate()
            .map(|(i, f)| columns.get(i).cloned().unwrap_or_else(|| f.name.clone()))
            .collect();
        let types: Vec<DataType> = anchor_fields.iter().map(|f| f.ty).collect();
        let id = self.next_working;
        self.next_working += 1;
        self.working.push(WorkingDef {
            name: name.to_string(),
            id,
            columns: names.iter().cloned().zip(types.iter().copied()).collect(),
            references: 0,
        });
        let step = self.nested(|b| b.bind_set_expr(right));
        let references = self.working.pop().map_or(0, |w| w.references);
        let step = step?;
        match references {
            // Not recursive after all: an ordinary union.
            0 => return self.bind_query(query),
            1 => {}
            _ => {
                return crate::bind_err!(
                    "recursive reference to query \"{name}\" must not appear more than once"
                )
            }
        }
        if step.fields().len() != types.len() {
            return crate::bind_err!("each UNION query must have the same number of columns");
        }
        let step = self.cast_outputs(step, &types);
        let fields = names
            .into_iter()
            .zip(&types)
            .map(|(n, ty)| self.new_field(n, *ty, true))
            .collect();
        Ok(LogicalPlan::Recursive(Box::new(Recursive {
            id,
            fields,
            anchor,
            step,
            distinct,
        })))
    }
}
