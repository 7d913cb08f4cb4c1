//! The rows of a join's build side while a compiled build side's code appends them (the
//! build sink, `translate::build`), and their growth; finished, they are linked into the
//! [`JoinTable`] the probing pipeline's code walks.
//!
//! Two kinds of arrays. The code writes `rows` (the morsel row of each row appended) and,
//! where it computes them, `keys`, `hashes` and stored columns: these hold `capacity`
//! values, the code appends at `used`, below `grow_at` at the start of an input row, and
//! `grow_at + per_row <= capacity`. Where the pipeline can drop rows, a NOT NULL scanned
//! key and scanned stored columns are gathered by the driver after each call
//! ([`BuildTable::gather`]): those arrays hold exactly the rows gathered (no capacity to
//! fill ahead).

use crate::jit::OutValues;
use crate::join_table::JoinTable;
use crate::pipeline::Layout;
use grizzly_ir::{DataType, PhysicalType};
use grizzly_runtime::abi::join_hash;
use grizzly_runtime::exec::memory::Reservation;
use grizzly_runtime::{Result, Vector, VectorData};

pub(crate) struct BuildTable {
    keys: Vec<i64>,
    hashes: Vec<u64>,
    rows: Vec<u32>,
    /// Per build column: its values where it is stored.
    values: Vec<OutValues>,
    types: Vec<Option<DataType>>,
    /// Per build column: the scanned slot it is gathered from.
    gathered: Vec<Option<usize>>,
    /// The scanned slot the key is gathered from.
    gathered_key: Option<usize>,
    /// Rows the arrays the code writes hold.
    capacity: usize,
    /// Rows appended (`PipelineCtx::used`).
    pub used: usize,
    /// The code stops at the start of an input row once `used` reaches this.
    grow_at: usize,
    /// Rows one input row can append (one per combination of the build side's own join
    /// matches).
    per_row: usize,
    memory: Reservation,
}

impl BuildTable {
    /// Room for `rows` rows (it grows as more arrive) of the build sink `layout` describes;
    /// one input row appends at most `per_row` rows.
    ///
    /// # Errors
    /// `ResourceLimit` if it does not fit the statement's memory limit.
    pub(crate) fn new(
        rows: usize,
        layout: &Layout,
        per_row: usize,
        memory: Reservation,
    ) -> Result<BuildTable> {
        let types = layout.stored.clone();
        let gathered = layout.gathered.clone();
        let values = (types.iter().zip(&gathered))
            .map(|(t, g)| match (t, g) {
                (Some(t), Some(_)) => OutValues::empty(*t),
                _ => OutValues::None,
            })
            .collect();
        let mut table = BuildTable {
            keys: Vec::new(),
            hashes: Vec::new(),
            rows: Vec::new(),
            values,
            types,
            gathered,
            gathered_key: layout.gathered_key,
            capacity: 0,
            used: 0,
            grow_at: 0,
            per_row,
            memory,
        };
        table.reserve(rows)?;
        Ok(table)
    }

    /// Makes room for more rows (after the code stopped at its mark): twice as many.
    ///
    /// # Errors
    /// `ResourceLimit` if the larger table does not fit the statement's memory limit.
    pub(crate) fn grow(&mut self) -> Result<()> {
        self.reserve(self.capacity * 2)
    }

    /// Makes room for `rows` rows in all (nothing if there is already).
    ///
    /// # Errors
    /// `ResourceLimit` if the larger table does not fit the statement's memory limit.
    pub(crate) fn reserve(&mut self, rows: usize) -> Result<()> {
        let capacity = rows
            .max(self.used)
            .saturating_add(self.per_row)
            .max(self.per_row * 2)
            .max(16);
        if capacity <= self.capacity {
            return Ok(());
        }
        let written = |i: usize| self.gathered[i].is_none();
        let mut width = 4 + if self.gathered_key.is_none() { 16 } else { 0 };
        for (i, t) in self.types.iter().enumerate() {
            width += t.filter(|_| written(i)).map_or(0, bytes_of);
        }
        self.memory.grow((capacity - self.capacity) * width)?;
        // New zeroed arrays with the rows so far copied in.
        let used = self.used;
        extend(&mut self.rows, capacity, used);
        if self.gathered_key.is_none() {
            extend(&mut self.keys, capacity, used);
            extend(&mut self.hashes, capacity, used);
        }
        for (i, (v, t)) in self.values.iter_mut().zip(&self.types).enumerate() {
            if let (Some(t), None) = (t, self.gathered[i]) {
                v.extend(*t, capacity, used);
            }
        }
        self.capacity = capacity;
        self.grow_at = capacity - self.per_row;
        Ok(())
    }

    /// Rows the arrays the code writes hold.
    pub(crate) fn capacity(&self) -> usize {
        self.capacity
    }

    pub(crate) fn grow_at(&self) -> usize {
        self.grow_at
    }

    pub(crate) fn per_row(&self) -> usize {
        self.per_row
    }

    /// Pointers for `PipelineCtx`: keys and hashes (null where gathered), rows.
    pub(crate) fn arrays(&mut self) -> (*mut i64, *mut u64, *mut u32) {
        let gathered = self.gathered_key.is_some();
        let or_null = |p: *mut u8| if gathered { std::ptr::null_mut() } else { p };
        (
            or_null(self.keys.as_mut_ptr().cast()).cast(),
            or_null(self.hashes.as_mut_ptr().cast()).cast(),
            self.rows.as_mut_ptr(),
        )
    }

    /// Appends the gathered key and columns of rows `from..used` (the rows the last call
    /// appended), read from the morsel's vectors (`vectors[slot]`) at the rows the code
    /// listed, and hashes a gathered key; `false` (nothing to do but hand the build to the
    /// interpreter) if a value is NULL or not in its type's plain form.
    ///
    /// # Errors
    /// `ResourceLimit` if the rows do not fit the statement's memory limit.
    pub(crate) fn gather(&mut self, from: usize, vectors: &[Option<Vector>]) -> Result<bool> {
        let rows = &self.rows[from..self.used];
        let vector = |slot: usize| {
            let v = vectors.get(slot)?.as_ref()?;
            v.validity
                .as_ref()
                .is_none_or(|b| rows.iter().all(|&r| b.is_valid(r as usize)))
                .then_some(&v.data)
        };
        let mut width = 0;
        if let Some(slot) = self.gathered_key {
            width += 16;
            let before = self.keys.len();
            let fits = match vector(slot) {
                Some(VectorData::I32(data)) => push_at(&mut self.keys, rows, data, |x| x as i64),
                Some(VectorData::I64(data)) => push_at(&mut self.keys, rows, data, |x| x),
                _ => false,
            };
            if !fits {
                return Ok(false);
            }
            (self.hashes).extend(self.keys[before..].iter().map(|&k| join_hash(k)));
        }
        for (v, slot) in self.values.iter_mut().zip(&self.gathered) {
            let Some(slot) = slot else { continue };
            let fits = match (v, vector(*slot)) {
                (OutValues::Bool(out), Some(VectorData::Bool(d))) => push_at(out, rows, d, |x| x),
                (OutValues::I32(out), Some(VectorData::I32(d))) => push_at(out, rows, d, |x| x),
                (OutValues::I64(out), Some(VectorData::I64(d))) => push_at(out, rows, d, |x| x),
                _ => false,
            };
            if !fits {
                return Ok(false);
            }
        }
        for (t, slot) in self.types.iter().zip(&self.gathered) {
            width += t.filter(|_| slot.is_some()).map_or(0, bytes_of);
        }
        self.memory.grow(rows.len() * width)?;
        Ok(true)
    }

    /// Per build column: its value buffer (null where not stored or gathered).
    pub(crate) fn values(&mut self) -> Vec<*mut u8> {
        (self.values.iter_mut().zip(&self.gathered))
            .map(|(v, g)| match g {
                None => v.ptr_len().0,
                Some(_) => std::ptr::null_mut(),
            })
            .collect()
    }

    /// Whether the arrays the code writes are those of `layout`, with `capacity` values.
    pub(crate) fn fits(&self, layout: &Layout) -> bool {
        let cap = self.capacity;
        let keys_fit =
            self.gathered_key.is_some() || (self.keys.len() == cap && self.hashes.len() == cap);
        self.types == layout.stored
            && self.gathered == layout.gathered
            && self.gathered_key == layout.gathered_key
            && self.rows.len() == cap
            && keys_fit
            && (self.values.iter().zip(&self.types).zip(&self.gathered))
                .all(|((v, t), g)| g.is_some() || t.is_none_or(|t| v.fits(t) && v.len() >= cap))
    }

    /// The rows appended, linked into the probing pipeline's table.
    ///
    /// # Errors
    /// `ResourceLimit` if the table's links do not fit the statement's memory limit.
    pub(crate) fn finish(mut self) -> Result<JoinTable> {
        let rows = self.used;
        self.keys.truncate(rows);
        let payload = (self.values.into_iter().zip(&self.types))
            .map(|(v, t)| t.map(|ty| v.into_vector(ty, rows)))
            .collect();
        let hashes = &self.hashes[..rows];
        JoinTable::link(self.keys, |row, _| Some(hashes[row]), payload, self.memory)
    }
}

/// Appends `f(data[r])` for each `r` of `rows` to `out`; `false` if a row is past `data`.
fn push_at<T: Copy, U>(out: &mut Vec<U>, rows: &[u32], data: &[T], f: impl Fn(T) -> U) -> bool {
    if rows.iter().any(|&r| r as usize >= data.len()) {
        return false;
    }
    out.extend(rows.iter().map(|&r| f(data[r as usize])));
    true
}

/// Bytes per row of a stored column of type `t`.
fn bytes_of(t: DataType) -> usize {
    match t.physical() {
        PhysicalType::Bool => 1,
        PhysicalType::I32 => 4,
        _ => 8,
    }
}

/// `v` as a new array of `len` zeroed values, with its first `used` values copied in.
fn extend<T: Copy + Default>(v: &mut Vec<T>, len: usize, used: usize) {
    // `vec![0; n]` of a zero value comes from the allocator's zeroed memory (pages of a large
    // array are only touched when written); growing `v` in place would write every value.
    let mut fresh = vec![T::default(); len];
    fresh[..used].copy_from_slice(&v[..used]);
    *v = fresh;
}

impl OutValues {
    /// An empty buffer for values of `ty`.
    fn empty(ty: DataType) -> OutValues {
        match ty.physical() {
            PhysicalType::Bool => OutValues::Bool(Vec::new()),
            PhysicalType::I32 => OutValues::I32(Vec::new()),
            _ => OutValues::I64(Vec::new()),
        }
    }

    /// Grows (or makes) the buffer of a column of `ty` to `len` values, keeping the first
    /// `used`.
    fn extend(&mut self, ty: DataType, len: usize, used: usize) {
        match (ty.physical(), self) {
            (PhysicalType::Bool, OutValues::Bool(v)) => extend(v, len, used),
            (PhysicalType::I32, OutValues::I32(v)) => extend(v, len, used),
            (PhysicalType::I64, OutValues::I64(v)) => extend(v, len, used),
            (physical, this) => {
                *this = match physical {
                    PhysicalType::Bool => OutValues::Bool(vec![0; len]),
                    PhysicalType::I32 => OutValues::I32(vec![0; len]),
                    _ => OutValues::I64(vec![0; len]),
                }
            }
        }
    }

    /// The first `rows` values as a NULL-free vector of `ty`.
    fn into_vector(self, ty: DataType, rows: usize) -> Vector {
        let data = match self {
            OutValues::Bool(mut v) => {
                v.truncate(rows);
                VectorData::Bool(v.into())
            }
            OutValues::I32(mut v) => {
                v.truncate(rows);
                VectorData::I32(v.into())
            }
            OutValues::I64(mut v) => {
                v.truncate(rows);
                VectorData::I64(v.into())
            }
            OutValues::None => return Vector::empty(ty),
        };
        Vector {
            ty,
            data,
            validity: None,
        }
    }
}
