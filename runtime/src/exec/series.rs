//! `generate_series` / `range` (`LogicalPlan::Series`): the integers from `start` towards
//! `stop` by `step`, made a batch at a time so a long series never sits in memory whole.

use super::batch::{Batch, BATCH_SIZE};
use super::operator::Operator;
use crate::vector::{Vector, VectorData};
use crate::{exec_err, Result};
use grizzly_ir::{DataType, Value};

/// The series' state: the next value, or `None` once it is done.
pub struct SeriesOp {
    ty: DataType,
    next: Option<i64>,
    stop: i64,
    step: i64,
    inclusive: bool,
}

impl SeriesOp {
    /// The series of `ty` (INTEGER or BIGINT) from the evaluated bounds; any NULL: no rows.
    ///
    /// # Errors
    /// A zero step (as PostgreSQL: "step size cannot equal zero").
    pub fn new(
        ty: DataType,
        start: Value,
        stop: Value,
        step: Value,
        inclusive: bool,
    ) -> Result<SeriesOp> {
        let int = |v: &Value| match v {
            Value::Int32(x) => Some(i64::from(*x)),
            Value::Int64(x) => Some(*x),
            _ => None,
        };
        let empty = SeriesOp {
            ty,
            next: None,
            stop: 0,
            step: 1,
            inclusive,
        };
        let (Some(start), Some(stop), Some(step)) = (int(&start), int(&stop), int(&step)) else {
            return Ok(empty);
        };
        if step == 0 {
            return exec_err!("step size cannot equal zero");
        }
        Ok(SeriesOp {
            next: Some(start),
            stop,
            step,
            ..empty
        })
    }

    /// Whether `v` is still in the series.
    fn within(&self, v: i64) -> bool {
        match (self.step > 0, self.inclusive) {
            (true, true) => v <= self.stop,
            (true, false) => v < self.stop,
            (false, true) => v >= self.stop,
            (false, false) => v > self.stop,
        }
    }
}

impl Operator for SeriesOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        let mut values: Vec<i64> = Vec::with_capacity(BATCH_SIZE);
        while values.len() < BATCH_SIZE {
            let Some(v) = self.next.filter(|&v| self.within(v)) else {
                self.next = None;
                break;
            };
            values.push(v);
            // Past the type's range the series ends (the next value could not be stored).
            self.next = v
                .checked_add(self.step)
                .filter(|n| self.ty != DataType::Int32 || i32::try_from(*n).is_ok());
        }
        if values.is_empty() {
            return Ok(None);
        }
        let rows = values.len();
        let data = match self.ty {
            DataType::Int32 => VectorData::I32(
                values
                    .into_iter()
                    .map(|v| v as i32)
                    .collect::<Vec<_>>()
                    .into(),
            ),
            _ => VectorData::I64(values.into()),
        };
        let column = Vector {
            ty: self.ty,
            data,
            validity: None,
        };
        Ok(Some(Batch::new(vec![column], rows)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(ty: DataType, start: i64, stop: i64, step: i64, inclusive: bool) -> Vec<i64> {
        let v = |x: i64| match ty {
            DataType::Int32 => Value::Int32(x as i32),
            _ => Value::Int64(x),
        };
        let mut op = SeriesOp::new(ty, v(start), v(stop), v(step), inclusive).unwrap();
        let mut out = Vec::new();
        while let Some(b) = op.next().unwrap() {
            for i in 0..b.len() {
                out.push(match b.columns[0].get(i) {
                    Value::Int32(x) => i64::from(x),
                    Value::Int64(x) => x,
                    other => panic!("{other:?}"),
                });
            }
        }
        out
    }

    #[test]
    fn bounds_steps_and_the_ends_of_the_type() {
        assert_eq!(all(DataType::Int64, 1, 5, 2, true), [1, 3, 5]);
        assert_eq!(all(DataType::Int64, 1, 5, 2, false), [1, 3]);
        assert_eq!(all(DataType::Int64, 5, 1, -2, true), [5, 3, 1]);
        assert_eq!(all(DataType::Int64, 5, 1, 1, true), Vec::<i64>::new());
        assert_eq!(all(DataType::Int64, 0, 4999, 1, true).len(), 5000);
        let top = i64::from(i32::MAX);
        assert_eq!(all(DataType::Int32, top - 1, top, 1, true), [top - 1, top]);
        assert_eq!(
            all(DataType::Int64, i64::MAX - 1, i64::MAX, 5, true),
            [i64::MAX - 1]
        );
        let zero = SeriesOp::new(
            DataType::Int64,
            Value::Int64(1),
            Value::Int64(2),
            Value::Int64(0),
            true,
        );
        assert!(zero.is_err());
        let mut null = SeriesOp::new(
            DataType::Int64,
            Value::Null,
            Value::Int64(2),
            Value::Int64(1),
            true,
        )
        .unwrap();
        assert!(null.next().unwrap().is_none());
    }
}
