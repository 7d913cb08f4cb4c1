//! The CSV reader behind `COPY ... FROM` and `read_csv`.
//!
//! 1. [`read`] reads the file in chunks of about [`CHUNK_BYTES`] that end at a record
//!    boundary (a newline outside quotes).
//! 2. Worker threads parse chunks ([`parse_chunk`]) straight into typed [`ColumnParts`]: one
//!    pass over the bytes, fields split in place, numbers and dates parsed from the bytes
//!    without allocating.
//! 3. The parts are joined per column in file order ([`column::concat`]).
//!
//! Fields follow RFC 4180 quoting (a quoted field may hold delimiters, doubled quotes and
//! newlines); an unquoted field equal to the NULL string is NULL; blank lines are skipped; a
//! trailing delimiter at the end of every line (TPC-H `.tbl` files) is accepted; `\r\n` line
//! ends are accepted. The first problem in file order is reported with its line (counting
//! the newlines inside quoted fields) and column, and nothing of the file is returned.

use super::column::{self, ColumnParts};
use super::progress::Progress;
use grizzly_ir::DataType;
use grizzly_runtime::{Error, Vector};
use std::collections::BTreeMap;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};

/// Target size of one parsed chunk.
const CHUNK_BYTES: usize = 4 << 20;

/// How a CSV file is written.
#[derive(Debug, Clone)]
pub(crate) struct CsvFormat {
    pub delimiter: u8,
    pub quote: u8,
    /// Text of an unquoted field that stands for NULL.
    pub null: String,
    /// Skip the first record.
    pub header: bool,
}

/// A problem at a place in the file.
#[derive(Debug, Clone)]
pub(crate) struct Problem {
    /// 1-based line where the record starts.
    pub line: u64,
    /// 1-based field.
    pub column: usize,
    pub message: String,
    /// True when a field's text is not a value of its column's type (the rest of the record
    /// was well formed up to it); false for malformed records.
    pub bad_value: bool,
}

/// Worker threads of CSV loading; 0: one per core (at most 8).
static LOAD_THREADS: AtomicUsize = AtomicUsize::new(0);

/// Sets how many threads parse a CSV file (COPY FROM, `read_csv`) in this process; 0 (the
/// default) uses one per core, at most 8. The `grizzly` tool sets it from `--threads`, the
/// config key `threads` and `SET threads` in its shell. Queries run on one thread.
pub fn set_load_threads(threads: usize) {
    LOAD_THREADS.store(threads, Ordering::Relaxed);
}

/// The worker threads a CSV load uses.
pub fn load_threads() -> usize {
    match LOAD_THREADS.load(Ordering::Relaxed) {
        0 => std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .clamp(1, 8),
        n => n,
    }
}

/// Reads `path` into one vector per entry of `types`. `Err(Ok(problem))` is a problem with the
/// file's contents (the caller words it); `Err(Err(e))` anything else (I/O).
pub(crate) fn read(
    path: &Path,
    format: &CsvFormat,
    types: &[DataType],
    names: &[String],
    progress: &mut Progress,
) -> std::result::Result<Vec<Vector>, std::result::Result<Problem, Error>> {
    let io = |context: String| move |source: std::io::Error| Err(Error::Io { context, source });
    let mut file =
        std::fs::File::open(path).map_err(io(format!("cannot open {}", path.display())))?;
    let workers = load_threads();
    let parts = std::thread::scope(|scope| {
        let (work_tx, work_rx) = mpsc::sync_channel::<(usize, Vec<u8>)>(workers);
        let work_rx = Arc::new(Mutex::new(work_rx));
        let (done_tx, done_rx) = mpsc::channel::<(usize, ChunkResult)>();
        for _ in 0..workers {
            let work_rx = Arc::clone(&work_rx);
            let done_tx = done_tx.clone();
            scope.spawn(move || loop {
                let next = work_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok((index, chunk)) = next else {
                    return;
                };
                let result = parse_chunk(&chunk, format, types, index == 0 && format.header);
                if done_tx.send((index, result)).is_err() {
                    return;
                }
            });
        }
        drop(done_tx);
        let mut results = Collector::default();
        let read_all = (|| -> std::result::Result<(), std::result::Result<Problem, Error>> {
            let mut buf: Vec<u8> = Vec::with_capacity(CHUNK_BYTES * 2);
            let mut read_bytes = 0u64;
            let mut index = 0usize;
            let mut eof = false;
            while !eof {
                // A chunk's worth, or twice the leftover when one record outgrew a chunk.
                let old = buf.len();
                buf.resize(CHUNK_BYTES.max(old * 2), 0);
                let mut filled = old;
                while filled < buf.len() {
                    let n = file.read(&mut buf[filled..]).map_err(|e| {
                        Err(Error::Io {
                            context: format!("cannot read {}", path.display()),
                            source: e,
                        })
                    })?;
                    if n == 0 {
                        eof = true;
                        break;
                    }
                    filled += n;
                }
                buf.truncate(filled);
                read_bytes += (filled - old) as u64;
                let cut = if eof {
                    buf.len()
                } else {
                    match record_boundary(&buf, format.quote) {
                        Some(cut) => cut,
                        None => continue, // one record longer than the buffer: read more
                    }
                };
                let rest = buf.split_off(cut);
                let chunk = std::mem::replace(&mut buf, rest);
                if !chunk.is_empty() {
                    if work_tx.send((index, chunk)).is_err() {
                        break;
                    }
                    index += 1;
                }
                progress.set(read_bytes);
                results.drain(&done_rx)?;
            }
            Ok(())
        })();
        drop(work_tx);
        read_all?;
        results.finish(done_rx)
    })?;
    let mut by_column: Vec<Vec<ColumnParts>> = (0..types.len()).map(|_| Vec::new()).collect();
    for chunk in parts {
        for (c, p) in chunk.into_iter().enumerate() {
            by_column[c].push(p);
        }
    }
    // Join the columns on the workers too: each join is a copy into fresh memory.
    let jobs: Vec<(usize, Vec<ColumnParts>)> = by_column.into_iter().enumerate().collect();
    let jobs = Mutex::new(jobs);
    let mut joined: Vec<(usize, Result<Vector, Error>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let job = jobs.lock().unwrap_or_else(|e| e.into_inner()).pop();
                        let Some((c, parts)) = job else {
                            return done;
                        };
                        done.push((c, column::concat(types[c], parts, &names[c])));
                    }
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    if joined.len() != types.len() {
        return Err(Err(Error::Internal(
            "a CSV column was lost while joining".into(),
        )));
    }
    joined.sort_by_key(|(c, _)| *c);
    let out = joined
        .into_iter()
        .map(|(_, v)| v)
        .collect::<Result<Vec<Vector>, Error>>()
        .map_err(Err)?;
    Ok(out)
}

/// What parsing a chunk gives: its columns and the number of lines it spans, or the first
/// problem with its line counted from the chunk's start.
type ChunkResult = std::result::Result<(Vec<ColumnParts>, u64), Problem>;

/// Puts chunk results back in file order, stopping at the first problem (whose line is then
/// made absolute by adding the lines of the chunks before it).
#[derive(Default)]
struct Collector {
    pending: BTreeMap<usize, ChunkResult>,
    next: usize,
    lines_before: u64,
    parts: Vec<Vec<ColumnParts>>,
}

impl Collector {
    fn take(&mut self, index: usize, result: ChunkResult) -> std::result::Result<(), Problem> {
        self.pending.insert(index, result);
        while let Some(result) = self.pending.remove(&self.next) {
            self.next += 1;
            match result {
                Ok((columns, lines)) => {
                    self.parts.push(columns);
                    self.lines_before += lines;
                }
                Err(mut problem) => {
                    problem.line += self.lines_before;
                    return Err(problem);
                }
            }
        }
        Ok(())
    }

    /// Takes the results that are ready without waiting.
    fn drain(
        &mut self,
        done: &mpsc::Receiver<(usize, ChunkResult)>,
    ) -> std::result::Result<(), std::result::Result<Problem, Error>> {
        while let Ok((index, result)) = done.try_recv() {
            self.take(index, result).map_err(Ok)?;
        }
        Ok(())
    }

    /// Waits for the remaining results (every sender is gone once the workers finish).
    fn finish(
        mut self,
        done: mpsc::Receiver<(usize, ChunkResult)>,
    ) -> std::result::Result<Vec<Vec<ColumnParts>>, std::result::Result<Problem, Error>> {
        for (index, result) in done {
            self.take(index, result).map_err(Ok)?;
        }
        Ok(self.parts)
    }
}

/// The end (exclusive) of the last complete record in `buf`, which starts at a record start:
/// just after the last newline outside quotes. `None` if there is none. A newline is outside
/// quotes when an even number of quote characters precede it; the counts are vectorized
/// passes, and walking back from the end usually stops at the first newline.
pub(crate) fn record_boundary(buf: &[u8], quote: u8) -> Option<usize> {
    let count = |b: &[u8]| b.iter().filter(|&&c| c == quote).count();
    let mut quotes_before = count(buf);
    let mut end = buf.len();
    loop {
        let newline = buf[..end].iter().rposition(|&b| b == b'\n')?;
        quotes_before -= count(&buf[newline..end]);
        if quotes_before % 2 == 0 {
            return Some(newline + 1);
        }
        end = newline;
    }
}

/// The number of fields of the first non-blank record of `buf`, if there is one.
pub(crate) fn first_record_width(buf: &[u8], delimiter: u8, quote: u8) -> Option<usize> {
    let start = buf.iter().position(|&b| b != b'\n' && b != b'\r')?;
    let mut fields = 1;
    let mut in_quotes = false;
    for &b in &buf[start..] {
        if b == quote {
            in_quotes = !in_quotes;
        } else if !in_quotes && b == delimiter {
            fields += 1;
        } else if !in_quotes && b == b'\n' {
            break;
        }
    }
    Some(fields)
}

/// Parses one chunk (whole records) into typed columns; `skip_first` skips its first record
/// (the header).
pub(crate) fn parse_chunk(
    chunk: &[u8],
    format: &CsvFormat,
    types: &[DataType],
    skip_first: bool,
) -> ChunkResult {
    let text = match std::str::from_utf8(chunk) {
        Ok(text) => text,
        Err(e) => {
            let line = 1 + chunk[..e.valid_up_to()]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            return Err(Problem {
                line: line as u64,
                column: 1,
                message: "invalid UTF-8".into(),
                bad_value: false,
            });
        }
    };
    let b = text.as_bytes();
    let (delim, quote) = (format.delimiter, format.quote);
    let null = format.null.as_str();
    let n = types.len();
    let rows = b.iter().filter(|&&c| c == b'\n').count() + 1;
    let mut columns: Vec<ColumnParts> = types
        .iter()
        .map(|&t| ColumnParts::with_capacity(t, rows))
        .collect();
    let mut line = 0u64; // newlines passed
    let mut pos = 0usize;
    let mut skip = skip_first;
    while pos < b.len() {
        let record_line = line + 1;
        let problem = |column: usize, message: String, bad_value: bool| Problem {
            line: record_line,
            column,
            message,
            bad_value,
        };
        // A blank line.
        if b[pos] == b'\n' || (b[pos] == b'\r' && b.get(pos + 1) == Some(&b'\n')) {
            pos += if b[pos] == b'\n' { 1 } else { 2 };
            line += 1;
            if skip {
                skip = false;
            }
            continue;
        }
        if skip {
            skip = false;
            pos = skip_record(b, pos, quote, &mut line);
            continue;
        }
        let mut field = 0usize;
        let trailing_empty;
        loop {
            // One field starting at `pos`.
            let (value, quoted): (&str, bool);
            if b.get(pos) == Some(&quote) {
                let start = pos + 1;
                let mut j = start;
                let mut doubled = false;
                loop {
                    match b.get(j) {
                        None => {
                            return Err(problem(
                                field + 1,
                                "unterminated quoted field".into(),
                                false,
                            ))
                        }
                        Some(&c) if c == quote => {
                            if b.get(j + 1) == Some(&quote) {
                                doubled = true;
                                j += 2;
                                continue;
                            }
                            break;
                        }
                        Some(b'\n') => {
                            line += 1;
                            j += 1;
                        }
                        Some(_) => j += 1,
                    }
                }
                value = &text[start..j];
                quoted = true;
                pos = j + 1;
                let ok = match b.get(pos) {
                    None => true,
                    Some(&c) => {
                        c == delim || c == b'\n' || (c == b'\r' && b.get(pos + 1) == Some(&b'\n'))
                    }
                };
                if !ok {
                    return Err(problem(
                        field + 1,
                        "unexpected character after a quoted field".into(),
                        false,
                    ));
                }
                if field < n {
                    if doubled {
                        let q = quote as char;
                        let unquoted = value.replace(&format!("{q}{q}"), &q.to_string());
                        push(&mut columns[field], &unquoted, field, &problem)?;
                    } else {
                        push(&mut columns[field], value, field, &problem)?;
                    }
                }
            } else {
                let start = pos;
                while pos < b.len() && b[pos] != delim && b[pos] != b'\n' {
                    pos += 1;
                }
                let mut end = pos;
                if end > start && b[end - 1] == b'\r' && (pos == b.len() || b[pos] == b'\n') {
                    end -= 1;
                }
                value = &text[start..end];
                quoted = false;
                if field < n {
                    if value == null {
                        columns[field].push_null();
                    } else {
                        push(&mut columns[field], value, field, &problem)?;
                    }
                }
            }
            field += 1;
            // The terminator after the field.
            match b.get(pos) {
                Some(&c) if c == delim => {
                    pos += 1;
                    if pos == b.len()
                        || b[pos] == b'\n'
                        || (b[pos] == b'\r' && b.get(pos + 1) == Some(&b'\n'))
                    {
                        // A delimiter ending the line: one more, empty field.
                        trailing_empty = true;
                        if field < n {
                            if null.is_empty() {
                                columns[field].push_null();
                            } else {
                                push(&mut columns[field], "", field, &problem)?;
                            }
                        }
                        field += 1;
                        pos = skip_line_end(b, pos, &mut line);
                        break;
                    }
                }
                _ => {
                    trailing_empty = !quoted && value.is_empty();
                    pos = skip_line_end(b, pos, &mut line);
                    break;
                }
            }
        }
        if field == n + 1 && trailing_empty {
            // A trailing delimiter: the extra empty field was never stored.
        } else if field != n {
            return Err(problem(
                field.min(n) + 1,
                format!("expected {n} fields, found {field}"),
                false,
            ));
        }
    }
    Ok((
        columns,
        line + u64::from(!b.is_empty() && b[b.len() - 1] != b'\n'),
    ))
}

#[inline]
fn push(
    column: &mut ColumnParts,
    value: &str,
    field: usize,
    problem: &impl Fn(usize, String, bool) -> Problem,
) -> std::result::Result<(), Problem> {
    column
        .push_text(value)
        .map_err(|message| problem(field + 1, message, true))
}

/// Skips `\r\n` or `\n` at `pos` (if any), counting the line.
#[inline]
fn skip_line_end(b: &[u8], mut pos: usize, line: &mut u64) -> usize {
    if b.get(pos) == Some(&b'\r') && b.get(pos + 1) == Some(&b'\n') {
        pos += 1;
    }
    if b.get(pos) == Some(&b'\n') {
        pos += 1;
        *line += 1;
    }
    pos
}

/// Skips the record starting at `pos` (quotes respected), returning where the next starts.
fn skip_record(b: &[u8], mut pos: usize, quote: u8, line: &mut u64) -> usize {
    let mut in_quotes = false;
    while pos < b.len() {
        let c = b[pos];
        pos += 1;
        if c == quote {
            in_quotes = !in_quotes;
        } else if c == b'\n' {
            *line += 1;
            if !in_quotes {
                break;
            }
        }
    }
    pos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn format() -> CsvFormat {
        CsvFormat {
            delimiter: b',',
            quote: b'"',
            null: String::new(),
            header: false,
        }
    }

    fn texts(data: &str, n: usize) -> Vec<Vec<String>> {
        let types = vec![DataType::Varchar; n];
        let (cols, _) = parse_chunk(data.as_bytes(), &format(), &types, false).unwrap();
        let vs: Vec<Vector> = cols
            .into_iter()
            .map(|c| column::concat(DataType::Varchar, vec![c], "c").unwrap())
            .collect();
        (0..vs[0].len())
            .map(|r| vs.iter().map(|v| v.get(r).to_string()).collect())
            .collect()
    }

    #[test]
    fn quotes_trailing_delimiters_and_crlf() {
        let rows = texts("a,\"b,\"\"c\"\"\"\r\n\n\"x\ny\",z,\n", 2);
        assert_eq!(rows, vec![vec!["a", "b,\"c\""], vec!["x\ny", "z"]]);
    }

    #[test]
    fn problems_name_line_and_column() {
        let types = [DataType::Int32, DataType::Int32];
        let p = parse_chunk(b"1,2\n\"a\nb\",3\n4,x\n", &format(), &types, false).unwrap_err();
        // "a\nb" is not an integer: reported on line 2, where its record starts.
        assert_eq!((p.line, p.column, p.bad_value), (2, 1, true));
        let p = parse_chunk(b"1,2\n3\n", &format(), &types, false).unwrap_err();
        assert_eq!((p.line, p.column, p.bad_value), (2, 2, false));
        let p = parse_chunk(b"1,\"2\"x\n", &format(), &types, false).unwrap_err();
        assert_eq!(p.message, "unexpected character after a quoted field");
    }

    #[test]
    fn boundaries_respect_quotes() {
        assert_eq!(record_boundary(b"a\nb\"\nc", b'"'), Some(2));
        assert_eq!(record_boundary(b"a\nb\nc", b'"'), Some(4));
        assert_eq!(record_boundary(b"abc", b'"'), None);
    }
}
