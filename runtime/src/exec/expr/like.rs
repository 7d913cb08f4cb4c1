//! `[NOT] [I]LIKE`: `%` matches any run of characters, `_` exactly one character, `\` makes
//! the next character literal. NULL if either side is NULL.
//!
//! A constant pattern is compiled once into a [`Matcher`]: exact, prefix (`abc%`), suffix
//! (`%abc`), substring (`%abc%`) and match-all fast paths, else a list of `%`-separated
//! segments matched left to right, each at its leftmost position. Segments have a fixed number
//! of characters, so the leftmost match is always a correct choice and matching takes
//! O(text × pattern) at worst, never exponential time. Substrings (`%abc%`, and where a
//! segment's leading literal may start, TPC-H Q13's `%special%requests%`) are found with a
//! SIMD searcher (`memchr::memmem`) built once per pattern. ILIKE lower-cases both sides.

use memchr::memmem::Finder;

use super::compare::with_str_access;
use super::dict::{map_codes, DictMemo};
use super::node::{nulls, select_tri, Node, Operand, Rows};
use crate::exec::batch::Batch;
use crate::exec::kernels::{and_validity, Access};
use crate::vector::{Bitmap, Vector, VectorData};
use crate::{Error, Result};
use grizzly_ir::DataType;

pub(crate) struct LikeNode {
    pub input: Node,
    pub pattern: Pattern,
    pub negated: bool,
    pub case_insensitive: bool,
    pub memo: DictMemo,
}

pub(crate) enum Pattern {
    /// A constant pattern; `None` is a NULL pattern.
    Const(Option<Matcher>),
    /// A pattern computed per row.
    Dynamic(Node),
}

impl LikeNode {
    pub fn new(input: Node, pattern: Node, negated: bool, case_insensitive: bool) -> Result<Self> {
        let pattern = match pattern.as_const() {
            Some(c) => match &c.value {
                grizzly_ir::Value::Varchar(p) => {
                    Pattern::Const(Some(Matcher::new(p.as_bytes(), case_insensitive)?))
                }
                _ => Pattern::Const(None),
            },
            None => Pattern::Dynamic(pattern),
        };
        Ok(LikeNode {
            input,
            pattern,
            negated,
            case_insensitive,
            memo: DictMemo::default(),
        })
    }

    pub fn children(&self) -> Vec<&Node> {
        match &self.pattern {
            Pattern::Dynamic(p) => vec![&self.input, p],
            Pattern::Const(_) => vec![&self.input],
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Item {
    Lit(Vec<u8>),
    /// `_`: one character.
    One,
}

/// A `%`-free piece of a pattern.
type Segment = Vec<Item>;

/// A segment with a searcher for its leading literal (where a match can start).
#[derive(Clone, Debug)]
struct Seg {
    items: Segment,
    lead: Option<Finder<'static>>,
}

impl Seg {
    fn new(items: Segment) -> Seg {
        let lead = match items.first() {
            Some(Item::Lit(l)) => Some(Finder::new(l).into_owned()),
            _ => None,
        };
        Seg { items, lead }
    }
}

#[derive(Clone, Debug)]
enum Kind {
    Exact(Vec<u8>),
    Prefix(Vec<u8>),
    Suffix(Vec<u8>),
    Contains(Box<Finder<'static>>),
    /// `%`: any string.
    All,
    /// Segments separated by `%`; the first must start the text unless the pattern starts
    /// with `%`, the last must end it unless the pattern ends with `%`.
    General {
        segments: Vec<Seg>,
        open_start: bool,
        open_end: bool,
    },
}

/// A compiled LIKE pattern.
#[derive(Clone, Debug)]
pub(crate) struct Matcher {
    kind: Kind,
    case_insensitive: bool,
}

impl Matcher {
    pub fn new(pattern: &[u8], case_insensitive: bool) -> Result<Matcher> {
        let lowered;
        let pattern = if case_insensitive {
            lowered = lower(pattern);
            &lowered
        } else {
            pattern
        };
        // Split into segments at unescaped `%`.
        let mut segments: Vec<Segment> = vec![Vec::new()];
        let mut i = 0;
        while i < pattern.len() {
            let b = pattern[i];
            let last = segments.len() - 1;
            match b {
                b'%' => {
                    if !segments[last].is_empty() || last == 0 {
                        segments.push(Vec::new());
                    }
                    i += 1;
                    continue;
                }
                b'_' => {
                    segments[last].push(Item::One);
                    i += 1;
                    continue;
                }
                b'\\' => {
                    i += 1;
                    if i == pattern.len() {
                        return Err(Error::Execution(
                            "LIKE pattern must not end with escape character".into(),
                        ));
                    }
                }
                _ => {}
            }
            let len = utf8_len(pattern[i]).min(pattern.len() - i);
            let seg = &mut segments[last];
            match seg.last_mut() {
                Some(Item::Lit(l)) => l.extend_from_slice(&pattern[i..i + len]),
                _ => seg.push(Item::Lit(pattern[i..i + len].to_vec())),
            }
            i += len;
        }
        // `segments[0]` is the anchored start (empty if the pattern starts with `%`); the
        // last is the anchored end (empty if the pattern ends with `%`).
        let open_start = segments.len() > 1 && segments[0].is_empty();
        let open_end = segments.len() > 1 && segments.last().is_some_and(Vec::is_empty);
        if open_start {
            segments.remove(0);
        }
        if open_end {
            segments.pop();
        }
        let lit = |s: &Segment| match s.as_slice() {
            [] => Some(Vec::new()),
            [Item::Lit(l)] => Some(l.clone()),
            _ => None,
        };
        let kind = match (segments.len(), open_start, open_end) {
            (0, _, _) => Kind::All,
            (1, false, false) if lit(&segments[0]).is_some() => {
                Kind::Exact(lit(&segments[0]).unwrap_or_default())
            }
            (1, false, true) if lit(&segments[0]).is_some() => {
                Kind::Prefix(lit(&segments[0]).unwrap_or_default())
            }
            (1, true, false) if lit(&segments[0]).is_some() => {
                Kind::Suffix(lit(&segments[0]).unwrap_or_default())
            }
            (1, true, true) if lit(&segments[0]).is_some() => {
                let needle = lit(&segments[0]).unwrap_or_default();
                Kind::Contains(Box::new(Finder::new(&needle).into_owned()))
            }
            _ => Kind::General {
                segments: segments.into_iter().map(Seg::new).collect(),
                open_start,
                open_end,
            },
        };
        Ok(Matcher {
            kind,
            case_insensitive,
        })
    }

    /// Whether `text` matches; `scratch` holds the lower-cased text for ILIKE.
    pub fn matches(&self, text: &[u8], scratch: &mut Vec<u8>) -> bool {
        let text = if self.case_insensitive {
            *scratch = lower(text);
            scratch.as_slice()
        } else {
            text
        };
        match &self.kind {
            Kind::Exact(l) => text == l.as_slice(),
            Kind::Prefix(l) => text.starts_with(l),
            Kind::Suffix(l) => text.ends_with(l),
            Kind::Contains(f) => f.find(text).is_some(),
            Kind::All => true,
            Kind::General {
                segments,
                open_start,
                open_end,
            } => general(segments, *open_start, *open_end, text),
        }
    }
}

fn lower(s: &[u8]) -> Vec<u8> {
    if s.is_ascii() {
        s.to_ascii_lowercase()
    } else {
        String::from_utf8_lossy(s).to_lowercase().into_bytes()
    }
}

/// Bytes of the UTF-8 character starting with byte `b`.
#[inline]
fn utf8_len(b: u8) -> usize {
    match b {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Where a match of `seg` starting at `at` ends, if it matches there.
fn match_at(seg: &[Item], text: &[u8], mut at: usize) -> Option<usize> {
    for item in seg {
        match item {
            Item::Lit(l) => {
                if !text[at..].starts_with(l) {
                    return None;
                }
                at += l.len();
            }
            Item::One => {
                let b = *text.get(at)?;
                at = (at + utf8_len(b)).min(text.len());
            }
        }
    }
    Some(at)
}

/// The end of the leftmost match of `seg` starting at or after `from`.
fn find_segment(seg: &Seg, text: &[u8], from: usize) -> Option<usize> {
    // A segment starting with a literal can only start where that literal occurs.
    let mut start = from;
    loop {
        if let Some(lead) = &seg.lead {
            start += lead.find(text.get(start..)?)?;
        } else if start > text.len() {
            return None;
        }
        if let Some(end) = match_at(&seg.items, text, start) {
            return Some(end);
        }
        if start >= text.len() {
            return None;
        }
        start += utf8_len(text[start]);
    }
}

/// Characters a segment matches.
fn seg_chars(seg: &[Item]) -> usize {
    seg.iter()
        .map(|it| match it {
            Item::Lit(l) => l.iter().filter(|&&b| (b & 0xC0) != 0x80).count(),
            Item::One => 1,
        })
        .sum()
}

fn general(segments: &[Seg], open_start: bool, open_end: bool, text: &[u8]) -> bool {
    let mut segs = segments;
    let mut pos = 0;
    if !open_start {
        let Some((first, rest)) = segs.split_first() else {
            return true;
        };
        match match_at(&first.items, text, 0) {
            Some(end) => pos = end,
            None => return false,
        }
        if rest.is_empty() && !open_end {
            // One segment, no `%` at all: it must be the whole text.
            return pos == text.len();
        }
        segs = rest;
    }
    let mut last = None;
    if !open_end {
        let Some((l, rest)) = segs.split_last() else {
            return true;
        };
        last = Some(l);
        segs = rest;
    }
    for seg in segs {
        match find_segment(seg, text, pos) {
            Some(end) => pos = end,
            None => return false,
        }
    }
    match last {
        None => true,
        Some(seg) => {
            // Step back as many characters as the segment matches from the end of the text.
            let mut start = text.len();
            for _ in 0..seg_chars(&seg.items) {
                if start == 0 {
                    return false;
                }
                start -= 1;
                while start > 0 && (text[start] & 0xC0) == 0x80 {
                    start -= 1;
                }
            }
            start >= pos && match_at(&seg.items, text, start) == Some(text.len())
        }
    }
}

/// Tri-state results (0 false, 1 true, 2 NULL) of `n` rows.
fn run(node: &LikeNode, batch: &Batch, rows: Rows<'_>) -> Result<Option<Vec<u8>>> {
    let n = rows.len();
    let a = node.input.operand(batch, rows)?;
    if a.is_null_const() {
        return Ok(None);
    }
    let neg = node.negated as u8;
    let (mut codes, valid) = match &node.pattern {
        Pattern::Const(None) => return Ok(None),
        Pattern::Const(Some(m)) => (const_pattern(node, m, &a, n)?, a.validity(n)),
        Pattern::Dynamic(p) => {
            let pat = p.operand(batch, rows)?;
            if pat.is_null_const() {
                return Ok(None);
            }
            let valid = and_validity(a.validity(n), pat.validity(n));
            let codes = with_str_access!(&a, |x| with_str_access!(&pat, |y| dynamic(
                x,
                y,
                n,
                node.case_insensitive,
                valid.as_ref()
            )))?;
            (codes, valid)
        }
    };
    for c in codes.iter_mut() {
        *c ^= neg;
    }
    if let Some(v) = valid {
        for (i, c) in codes.iter_mut().enumerate() {
            if !v.is_valid(i) {
                *c = 2;
            }
        }
    }
    Ok(Some(codes))
}

fn const_pattern(node: &LikeNode, m: &Matcher, a: &Operand<'_>, n: usize) -> Result<Vec<u8>> {
    let mut scratch = Vec::new();
    if let Operand::Vec(v, sel) = a {
        if let VectorData::Dict { codes, dict } = &v.data {
            if let Some(table) = node
                .memo
                .table(dict, n, |e| m.matches(e, &mut scratch) as u8)
            {
                return Ok(map_codes(codes, *sel, &table, n));
            }
        }
    }
    Ok(with_str_access!(a, |x| (0..n)
        .map(|i| m.matches(x.at(i), &mut scratch) as u8)
        .collect()))
}

fn dynamic<'a>(
    x: impl Access<&'a [u8]>,
    y: impl Access<&'a [u8]>,
    n: usize,
    ci: bool,
    valid: Option<&Bitmap>,
) -> Result<Vec<u8>> {
    let mut scratch = Vec::new();
    let mut cached: Option<(&[u8], Matcher)> = None;
    let mut out = vec![0u8; n];
    for (i, o) in out.iter_mut().enumerate() {
        if !valid.is_none_or(|v| v.is_valid(i)) {
            continue;
        }
        let p = y.at(i);
        if cached.as_ref().is_none_or(|(q, _)| *q != p) {
            cached = Some((p, Matcher::new(p, ci)?));
        }
        if let Some((_, m)) = &cached {
            *o = m.matches(x.at(i), &mut scratch) as u8;
        }
    }
    Ok(out)
}

pub(crate) fn eval(node: &LikeNode, batch: &Batch, rows: Rows<'_>) -> Result<Vector> {
    match run(node, batch, rows)? {
        None => nulls(DataType::Boolean, rows.len()),
        Some(codes) => Ok(super::node::from_tri(&codes)),
    }
}

pub(crate) fn select(
    node: &LikeNode,
    batch: &Batch,
    rows: Rows<'_>,
    want: bool,
) -> Result<Vec<u32>> {
    Ok(match run(node, batch, rows)? {
        None => Vec::new(),
        Some(codes) => select_tri(&codes, rows, want),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn like(text: &str, pattern: &str) -> bool {
        Matcher::new(pattern.as_bytes(), false)
            .unwrap()
            .matches(text.as_bytes(), &mut Vec::new())
    }

    fn ilike(text: &str, pattern: &str) -> bool {
        Matcher::new(pattern.as_bytes(), true)
            .unwrap()
            .matches(text.as_bytes(), &mut Vec::new())
    }

    #[test]
    fn fast_paths() {
        assert!(like("abc", "abc") && !like("abcd", "abc"));
        assert!(like("abc", "ab%") && !like("xabc", "ab%"));
        assert!(like("xabc", "%bc") && !like("abcx", "%bc"));
        assert!(like("xxabcxx", "%abc%") && !like("ab", "%abc%"));
        assert!(like("", "%") && like("anything", "%%"));
        assert!(like("", "") && !like("a", ""));
        assert!(like("ab", "%ab%") && like("ab", "%%ab%%"));
    }

    #[test]
    fn general_patterns() {
        assert!(like("abc", "a_c") && !like("abbc", "a_c"));
        assert!(like("special requests", "%special%requests%"));
        assert!(!like("requests special", "%special%requests%"));
        assert!(like("abcabc", "a%c") && like("ac", "a%c") && !like("ab", "a%c"));
        assert!(like("aXbYc", "a%b%c") && !like("aXcYb", "a%b%c"));
        assert!(like("abab", "%ab") && like("xabyab", "%ab%ab"));
        assert!(like("abc", "___") && !like("ab", "___") && !like("abcd", "___"));
        assert!(like("abc", "%_") && !like("", "%_") && like("a", "_%"));
        assert!(like("mississippi", "%iss%ipp%") && !like("mississippi", "%ipp%iss%"));
        assert!(like("aaa", "%a%a%a%") && !like("aa", "%a%a%a%"));
        // Leftmost middle match leaves room for the anchored end.
        assert!(like("xaay", "x%a%ay"));
        // A segment's leading literal found again after a failed match at its first spot.
        assert!(like("abxabyc", "%ab_c%") && !like("abxabyd", "%ab_c%"));
        assert!(like("xspecial requestsy", "%special%requests%"));
        assert!(!like("specia requests", "%special%requests%"));
        assert!(like("日本語日本", "%本_%本") && !like("日本語", "%本_%本"));
    }

    #[test]
    fn escapes() {
        assert!(like("50%", "50\\%") && !like("500", "50\\%"));
        assert!(like("a_b", "a\\_b") && !like("axb", "a\\_b"));
        assert!(like("a\\b", "a\\\\b"));
        assert!(like("100% sure", "%\\%%"));
        assert!(Matcher::new(b"abc\\", false).is_err());
    }

    #[test]
    fn unicode() {
        assert!(like("héllo", "h_llo") && like("日本語", "_本_") && !like("日本語", "__"));
        assert!(like("日本語", "%語") && like("日本語", "%_") && like("語", "_"));
        assert!(like("añob", "%ñ_b"));
        assert!(
            ilike("HÉLLO", "hé%") && ilike("Straße", "%STRASSE%") == ilike("Straße", "%strasse%")
        );
        assert!(ilike("ABC", "a_c") && !like("ABC", "a_c"));
    }

    #[test]
    fn no_backtracking_blowup() {
        let text = "a".repeat(10_000);
        let pattern = format!("{}b", "%a".repeat(50));
        let t = std::time::Instant::now();
        assert!(!like(&text, &pattern));
        assert!(t.elapsed().as_secs() < 2);
    }
}
