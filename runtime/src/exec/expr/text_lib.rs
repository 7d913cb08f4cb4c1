//! The string library ([`TextFunc`]): `replace`, `left`, `right`, `lpad`, `rpad`, `repeat`,
//! `reverse`, `split_part`, `strpos`, `ascii`, `chr`, `initcap`, `translate`,
//! `octet_length`, `regexp_replace`. PostgreSQL semantics; lengths and positions count
//! characters. Each row is computed from its arguments' values (strings as bytes, integers
//! as BIGINT); a NULL argument gives NULL (the caller's validity).

use super::compare::with_str_access;
use super::functions::compile_regex;
use super::node::Operand;
use crate::exec::kernels::{make_vector, Access, StrBuf};
use crate::vector::{Bitmap, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::{DataType, TextFunc};
use std::collections::HashMap;

/// Most bytes one result may have (PostgreSQL's limit for a text value is 1 GB).
const MAX_RESULT_BYTES: usize = 1 << 30;

/// One argument of one row.
#[derive(Clone, Copy)]
enum Arg<'a> {
    Text(&'a [u8]),
    Int(i64),
}

impl<'a> Arg<'a> {
    fn text(self) -> &'a [u8] {
        match self {
            Arg::Text(s) => s,
            Arg::Int(_) => &[],
        }
    }

    fn int(self) -> i64 {
        match self {
            Arg::Int(n) => n,
            Arg::Text(_) => 0,
        }
    }
}

/// `func` over `ops` (VARCHAR or BIGINT operands, as [`TextFunc::args`] says) for `n` rows.
pub(crate) fn eval(
    func: TextFunc,
    ops: &[Operand<'_>],
    ty: DataType,
    n: usize,
    valid: Option<Bitmap>,
) -> Result<Vector> {
    let (kinds, _) = func.args();
    // Each operand's values as row-indexed accessors.
    let mut columns: Vec<Vec<Arg<'_>>> = Vec::with_capacity(ops.len());
    for (op, &is_text) in ops.iter().zip(kinds) {
        columns.push(if is_text {
            with_str_access!(op, |x| (0..n).map(|i| Arg::Text(x.at(i))).collect())
        } else {
            (0..n).map(|i| Arg::Int(op.get::<i64>(i))).collect()
        });
    }
    let is_valid = |i: usize| valid.as_ref().is_none_or(|v| v.is_valid(i));
    let mut regexes = Regexes::default();
    let mut row: Vec<Arg<'_>> = Vec::with_capacity(columns.len());
    if ty == DataType::Varchar {
        let mut out = StrBuf::with_capacity(n, n * 16);
        for i in 0..n {
            if is_valid(i) {
                row.clear();
                row.extend(columns.iter().map(|c| c[i]));
                text(func, &row, &mut out.bytes, &mut regexes)?;
                if out.bytes.len() > u32::MAX as usize {
                    return Err(Error::Execution(format!(
                        "{}: the results are too large (over 4 GiB in one batch)",
                        func.name()
                    )));
                }
            }
            out.end_value();
        }
        return Ok(Vector {
            ty,
            data: VectorData::Str(out.finish()),
            validity: valid,
        });
    }
    let mut values: Vec<i32> = Vec::with_capacity(n);
    for i in 0..n {
        values.push(if is_valid(i) {
            row.clear();
            row.extend(columns.iter().map(|c| c[i]));
            integer(func, &row)?
        } else {
            0
        });
    }
    Ok(make_vector(ty, values, valid))
}

/// The INTEGER-valued functions.
fn integer(func: TextFunc, a: &[Arg<'_>]) -> Result<i32> {
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    Ok(match func {
        TextFunc::Strpos => {
            let (s, sub) = (str_of(a[0].text()), str_of(a[1].text()));
            match s.find(sub) {
                Some(at) => count(s[..at].chars().count() + 1),
                None => 0,
            }
        }
        TextFunc::Ascii => str_of(a[0].text()).chars().next().map_or(0, |c| c as i32),
        TextFunc::OctetLength => count(a[0].text().len()),
        other => {
            return Err(Error::Internal(format!(
                "{} has no integer result",
                other.name()
            )))
        }
    })
}

/// The VARCHAR-valued functions: append row `a`'s result to `out`.
fn text(func: TextFunc, a: &[Arg<'_>], out: &mut Vec<u8>, regexes: &mut Regexes) -> Result<()> {
    let s = str_of(a[0].text());
    match func {
        TextFunc::Replace => {
            let (from, to) = (str_of(a[1].text()), str_of(a[2].text()));
            if from.is_empty() {
                out.extend_from_slice(s.as_bytes());
            } else {
                let count = s.matches(from).count();
                check_size(s.len() + count * to.len(), func)?;
                out.extend_from_slice(s.replace(from, to).as_bytes());
            }
        }
        TextFunc::Left | TextFunc::Right => {
            let len = s.chars().count() as i64;
            let k = a[1].int();
            // n >= 0: that many characters; n < 0: all but |n|.
            let take = if k >= 0 { k.min(len) } else { (len + k).max(0) } as usize;
            let piece: String = if func == TextFunc::Left {
                s.chars().take(take).collect()
            } else {
                s.chars().skip(len as usize - take).collect()
            };
            out.extend_from_slice(piece.as_bytes());
        }
        TextFunc::Lpad | TextFunc::Rpad => {
            let target = usize::try_from(a[1].int().max(0)).unwrap_or(usize::MAX);
            let fill = a.get(2).map_or(" ", |f| str_of(f.text()));
            let chars = s.chars().count();
            if chars >= target {
                let cut: String = s.chars().take(target).collect();
                out.extend_from_slice(cut.as_bytes());
                return Ok(());
            }
            if fill.is_empty() {
                out.extend_from_slice(s.as_bytes());
                return Ok(());
            }
            let missing = target - chars;
            check_size(s.len() + missing.saturating_mul(fill.len()), func)?;
            let pad: String = fill.chars().cycle().take(missing).collect();
            if func == TextFunc::Lpad {
                out.extend_from_slice(pad.as_bytes());
                out.extend_from_slice(s.as_bytes());
            } else {
                out.extend_from_slice(s.as_bytes());
                out.extend_from_slice(pad.as_bytes());
            }
        }
        TextFunc::Repeat => {
            let times = usize::try_from(a[1].int().max(0)).unwrap_or(usize::MAX);
            check_size(s.len().saturating_mul(times), func)?;
            for _ in 0..times {
                out.extend_from_slice(s.as_bytes());
            }
        }
        TextFunc::Reverse => {
            let r: String = s.chars().rev().collect();
            out.extend_from_slice(r.as_bytes());
        }
        TextFunc::SplitPart => {
            let delimiter = str_of(a[1].text());
            let field = a[2].int();
            if field == 0 {
                return Err(Error::Execution("field position must not be zero".into()));
            }
            let parts: Vec<&str> = if delimiter.is_empty() {
                // PostgreSQL: the whole string is the one field.
                vec![s]
            } else {
                s.split(delimiter).collect()
            };
            let k = if field > 0 {
                usize::try_from(field - 1).ok()
            } else {
                usize::try_from(-field)
                    .ok()
                    .and_then(|back| parts.len().checked_sub(back))
            };
            if let Some(part) = k.and_then(|k| parts.get(k)) {
                out.extend_from_slice(part.as_bytes());
            }
        }
        TextFunc::Chr => {
            let code = a[0].int();
            let c = match u32::try_from(code).ok().and_then(char::from_u32) {
                Some('\0') => return Err(Error::Execution("null character not permitted".into())),
                Some(c) => c,
                None => {
                    return Err(Error::Execution(format!(
                        "requested character {code} is not a valid Unicode code point"
                    )))
                }
            };
            let mut buf = [0u8; 4];
            out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
        }
        TextFunc::Initcap => {
            // A word starts after any character that is not a letter or digit.
            let mut start = true;
            for c in s.chars() {
                if start {
                    out.extend(c.to_uppercase().to_string().bytes());
                } else {
                    out.extend(c.to_lowercase().to_string().bytes());
                }
                start = !c.is_alphanumeric();
            }
        }
        TextFunc::Translate => {
            let from: Vec<char> = str_of(a[1].text()).chars().collect();
            let to: Vec<char> = str_of(a[2].text()).chars().collect();
            let mut buf = [0u8; 4];
            for c in s.chars() {
                match from.iter().position(|&f| f == c) {
                    Some(k) => {
                        if let Some(t) = to.get(k) {
                            out.extend_from_slice(t.encode_utf8(&mut buf).as_bytes());
                        }
                    }
                    None => out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes()),
                }
            }
        }
        TextFunc::RegexpReplace => {
            let pattern = str_of(a[1].text());
            let replacement = pg_replacement(str_of(a[2].text()));
            let flags = a.get(3).map_or("", |f| str_of(f.text()));
            let (re, global) = regexes.get(pattern, flags)?;
            let replaced = if global {
                re.replace_all(s, replacement.as_str())
            } else {
                re.replace(s, replacement.as_str())
            };
            check_size(replaced.len(), func)?;
            out.extend_from_slice(replaced.as_bytes());
        }
        TextFunc::Md5 => {
            use md5::{Digest, Md5};
            let digest = Md5::digest(a[0].text());
            for b in digest {
                out.extend_from_slice(format!("{b:02x}").as_bytes());
            }
        }
        TextFunc::Strpos | TextFunc::Ascii | TextFunc::OctetLength => {
            return Err(Error::Internal(format!(
                "{} has an integer result",
                func.name()
            )))
        }
    }
    Ok(())
}

/// Stored strings are UTF-8 (checked when stored or loaded); anything else reads as empty.
fn str_of(bytes: &[u8]) -> &str {
    std::str::from_utf8(bytes).unwrap_or_default()
}

fn check_size(bytes: usize, func: TextFunc) -> Result<()> {
    if bytes > MAX_RESULT_BYTES {
        return Err(Error::Execution(format!(
            "{}: requested length too large (over 1 GiB)",
            func.name()
        )));
    }
    Ok(())
}

/// PostgreSQL's replacement syntax (`\1` for a group, `\&` the whole match, `\\` a
/// backslash) in the regex crate's (`${1}`, `${0}`, `$$` for a dollar).
fn pg_replacement(r: &str) -> String {
    let mut out = String::with_capacity(r.len());
    let mut chars = r.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '$' => out.push_str("$$"),
            '\\' => match chars.peek().copied() {
                Some(d @ '0'..='9') => {
                    chars.next();
                    out.push_str(&format!("${{{d}}}"));
                }
                Some('&') => {
                    chars.next();
                    out.push_str("${0}");
                }
                Some('\\') => {
                    chars.next();
                    out.push('\\');
                }
                _ => out.push('\\'),
            },
            c => out.push(c),
        }
    }
    out
}

/// Compiled patterns of one call, by (pattern, flags).
#[derive(Default)]
struct Regexes(HashMap<(String, String), (regex::Regex, bool)>);

impl Regexes {
    /// The pattern compiled with `flags` (`g` all matches, `i` case-insensitive), and
    /// whether to replace every match.
    fn get(&mut self, pattern: &str, flags: &str) -> Result<(&regex::Regex, bool)> {
        let key = (pattern.to_string(), flags.to_string());
        if !self.0.contains_key(&key) {
            let mut global = false;
            let mut insensitive = false;
            for f in flags.chars() {
                match f {
                    'g' => global = true,
                    'i' => insensitive = true,
                    'c' => insensitive = false,
                    other => {
                        return Err(Error::Execution(format!(
                            "invalid regular expression option: \"{other}\""
                        )))
                    }
                }
            }
            let re = compile_regex(pattern, insensitive)?;
            self.0.insert(key.clone(), (re, global));
        }
        let (re, global) = &self.0[&key];
        Ok((re, *global))
    }
}

#[cfg(test)]
mod tests {
    use super::pg_replacement;

    #[test]
    fn replacement_syntax() {
        assert_eq!(pg_replacement(r"\1-\2"), "${1}-${2}");
        assert_eq!(pg_replacement(r"[\&]"), "[${0}]");
        assert_eq!(pg_replacement(r"a\\b$"), r"a\b$$");
    }
}
