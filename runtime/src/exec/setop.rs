//! INTERSECT / EXCEPT / UNION (distinct) and their ALL forms: counts each distinct row on both
//! sides, then emits each row as many times as the operation says (NULLs compare equal here).

use super::aggregate::{split, Groups};
use super::batch::Batch;
use super::kernels;
use super::memory::{emit, share, vectors_bytes, MemoryBudget, Reservation};
use super::operator::{BoxOp, Operator};
use super::simple::densify_batch;
use crate::Result;
use grizzly_ir::{DataType, SetOpKind};

pub struct SetOpOp {
    inputs: Option<(BoxOp, BoxOp)>,
    op: SetOpKind,
    all: bool,
    types: Vec<DataType>,
    output: std::vec::IntoIter<Batch>,
    /// The distinct rows and their counts; then the output not yet emitted.
    memory: Reservation,
}

impl SetOpOp {
    pub fn new(
        left: BoxOp,
        right: BoxOp,
        op: SetOpKind,
        all: bool,
        types: Vec<DataType>,
        memory: &MemoryBudget,
    ) -> SetOpOp {
        SetOpOp {
            inputs: Some((left, right)),
            op,
            all,
            types,
            output: Vec::new().into_iter(),
            memory: memory.reserve("set operation"),
        }
    }

    fn run(&mut self, mut left: BoxOp, mut right: BoxOp) -> Result<Vec<Batch>> {
        let mut groups = Groups::new(&self.types);
        let (mut left_count, mut right_count) = (Vec::<u64>::new(), Vec::<u64>::new());
        let mut gids = Vec::new();
        for (side, input) in [(0, &mut left), (1, &mut right)] {
            while let Some(batch) = input.next()? {
                if batch.is_empty() {
                    continue;
                }
                let batch = densify_batch(batch);
                groups.lookup(&batch.columns, batch.len(), &mut gids);
                left_count.resize(groups.count, 0);
                right_count.resize(groups.count, 0);
                let counts = if side == 0 {
                    &mut left_count
                } else {
                    &mut right_count
                };
                for &g in &gids {
                    counts[g as usize] += 1;
                }
                self.memory
                    .resize(groups.heap_bytes() + 2 * 8 * left_count.capacity())?;
            }
        }
        let mut rows = Vec::new();
        for g in 0..groups.count {
            let (l, r) = (left_count[g], right_count[g]);
            let times = match (self.op, self.all) {
                (SetOpKind::Union, false) => 1,
                (SetOpKind::Union, true) => l + r,
                (SetOpKind::Intersect, false) => (l > 0 && r > 0) as u64,
                (SetOpKind::Intersect, true) => l.min(r),
                (SetOpKind::Except, false) => (l > 0 && r == 0) as u64,
                (SetOpKind::Except, true) => l.saturating_sub(r),
            };
            rows.extend(std::iter::repeat_n(g as u32, times as usize));
        }
        self.memory.grow(rows.len() * 4)?;
        let distinct = groups.count;
        let keys = groups.finish();
        self.memory
            .grow(share(vectors_bytes(&keys), rows.len(), distinct))?;
        let columns: Vec<_> = keys.iter().map(|k| kernels::gather(k, &rows)).collect();
        drop(keys);
        self.memory.resize(vectors_bytes(&columns))?;
        Ok(split(columns, rows.len()))
    }
}

impl Operator for SetOpOp {
    fn next(&mut self) -> Result<Option<Batch>> {
        if let Some((l, r)) = self.inputs.take() {
            self.output = self.run(l, r)?.into_iter();
        }
        Ok(emit(&mut self.output, &mut self.memory))
    }
}
