//! Cross-document line statistics: lines that recur in many documents of one site or folder
//! are its template (menus, footers, sidebars), whatever words they use. Counted in a first
//! pass, merged across threads, runs and machines, then consulted by the second pass.
//!
//! This is CCNet's paragraph deduplication for Common Crawl (Wenzek et al. 2019, "CCNet:
//! Extracting High Quality Monolingual Datasets from Web Crawl Data", section 3.3: hash each
//! normalized paragraph, drop the ones seen before in the shard), made scoped and
//! proportional so that it is safe on small folders:
//!
//! - counts are kept per **scope** (a folder given on the command line, or later a site key
//!   such as the host of a JSONL record's `url`), so one site's template never counts
//!   against another's text;
//! - the count is a **document frequency**: a line is counted once per document however
//!   often it occurs there (repeats inside a page are the classifier's business);
//! - a line is repeated when its document frequency reaches **both** an absolute and a
//!   relative threshold ([`Threshold`]): an article syndicated twice in a folder of three
//!   pages is not boilerplate, a footer on every page of a site is.
//!
//! Lines are compared by a [key](line_key): trimmed, lowercased, each run of digits folded
//! to one `0` (so `Page 3 of 12` and `Page 4 of 12`, or two dates, are the same line), then
//! hashed to 64 bits (eight bytes per multiply, see `KeyHash`; stable across platforms and
//! releases of one file format, so saved counts from other machines merge). Memory grows
//! with the number of distinct lines of a scope (a hash-table entry each), not with the
//! size of the documents.
//!
//! Counts add up: [`LineStats`] is a value with `+=`, so the result never depends on the
//! thread count or the order of the files, and [`save`](LineStats::save) writes the same
//! bytes for the same counts.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::ops::AddAssign;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use encoding_rs::Encoding;

use crate::swar::{first_lane, fold_mul, key_block16, lanes_eq, lanes_in, HIGH};
use crate::{decode, normalize, DecodeError, Known, Scanned};

/// When a line counts as repeated across the documents of a scope.
///
/// A line is repeated when it occurs in at least `max(min_docs, ceil(min_share *
/// documents))` documents of its scope, and never in fewer than two.
///
/// The defaults (3 documents, 10 %) are chosen so that:
/// - a template line of a site is caught as soon as three of its pages are in the folder
///   (a menu or footer is on every page, a sidebar on most);
/// - a text that two pages share (a syndicated article, a quoted paragraph, a correction)
///   is never dropped, and in a folder of a few dozen pages neither is a text that a
///   handful share;
/// - in a large mixed folder only lines on a tenth of the pages go, which are template or
///   UI text whatever site they come from (`Advertisement`, `Share this article`). Give
///   each site its own scope to catch more.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Threshold {
    /// The fewest documents a repeated line occurs in. Default: 3.
    pub min_docs: u32,
    /// The smallest share (0..1) of the scope's documents a repeated line occurs in.
    /// Default: 0.1.
    pub min_share: f64,
}

impl Default for Threshold {
    fn default() -> Self {
        Threshold {
            min_docs: 3,
            min_share: 0.1,
        }
    }
}

impl Threshold {
    /// The document frequency from which a line of a scope of `documents` documents is
    /// repeated.
    pub fn min_documents(&self, documents: u64) -> u64 {
        // The epsilon keeps 0.1 * 30 (= 3.0000000000000004 in binary) at 3.
        let share = (self.min_share.max(0.0) * documents as f64 - 1e-9).ceil();
        let share = if share.is_finite() && share > 0.0 {
            share as u64
        } else {
            0
        };
        u64::from(self.min_docs).max(share).max(2)
    }
}

/// The comparison key of a line: trimmed, lowercased, digit runs folded to `0`, hashed.
///
/// ```
/// use boilerstrip::corpus::line_key;
/// assert_eq!(line_key("  Page 3 of 12 "), line_key("page 10 of 9"));
/// assert_ne!(line_key("Home"), line_key("About"));
/// ```
pub fn line_key(line: &str) -> u64 {
    // Lines that begin and end with a visible ASCII byte (nearly all, and all normalized
    // lines the second pass keys) need no look at Unicode whitespace.
    let visible = |b: Option<&u8>| b.is_some_and(|&b| visible_ascii(b));
    let line = if visible(line.as_bytes().first()) && visible(line.as_bytes().last()) {
        line
    } else {
        line.trim()
    };
    hash_key::<false>(line, 0).0
}

/// Whether `b` is a visible ASCII byte: a line that begins or ends in one is trimmed there.
#[inline(always)]
fn visible_ascii(b: u8) -> bool {
    b > b' ' && b < 0x80
}

/// How many buckets [`key_ends`] sorts lines into: `1 << END_BITS`.
const END_BITS: u32 = 12;
/// See [`END_BITS`].
const END_BUCKETS: usize = 1 << END_BITS;

/// The bucket of a line by the first and last bytes of its [key text](key_text): lines
/// with the same key are in the same bucket, so that a line whose bucket holds no repeated
/// line is not repeated (see [`EndCounts`]), which is told without keying it. Inline, for
/// its test of the commonest lines (visible ASCII at both ends); the others out of line.
#[inline(always)]
fn key_ends(line: &str) -> usize {
    let b = line.as_bytes();
    if let (Some(&first), Some(&last)) = (b.first(), b.last()) {
        if visible_ascii(first) && visible_ascii(last) {
            return ascii_ends(first, last);
        }
    }
    key_ends_decoded(line)
}

/// [`key_ends`] of a line that does not begin and end with visible ASCII: its ends
/// trimmed and their characters keyed.
#[inline(never)]
fn key_ends_decoded(line: &str) -> usize {
    let line = line.trim();
    let first = line.chars().next().map_or(0, |c| key_end_byte(c, true));
    let last = line
        .chars()
        .next_back()
        .map_or(0, |c| key_end_byte(c, false));
    ends_bucket(first, last)
}

/// The first byte (when `first`, else the last) of what [`key_text`] makes of the
/// character `c` at that end of a line: its bytes told from its lowercase's code point,
/// without writing them out.
#[inline(always)]
fn key_end_byte(c: char, first: bool) -> u8 {
    if c.is_ascii() {
        return ascii_key(c as u8);
    }
    let lower = match key_char(c) {
        KeyChar::Digit => return b'0',
        KeyChar::Lower(lower) => lower,
        KeyChar::Lowers(mut lower) => if first { lower.next() } else { lower.last() }.unwrap_or(c),
    };
    let u = u32::from(lower);
    // UTF-8: a lead byte with the top bits of the code point, then six bits a byte.
    let byte = match (u, first) {
        (0..=0x7F, _) => u,
        (_, false) => 0x80 | (u & 0x3F),
        (0x80..=0x7FF, true) => 0xC0 | (u >> 6),
        (0x800..=0xFFFF, true) => 0xE0 | (u >> 12),
        (_, true) => 0xF0 | (u >> 18),
    };
    byte as u8
}

/// [`key_ends`] of a line that begins with the visible ASCII byte `first` and ends with
/// `last`.
#[inline(always)]
fn ascii_ends(first: u8, last: u8) -> usize {
    ends_bucket(ascii_key(first), ascii_key(last))
}

/// What [`key_text`] makes of the ASCII byte `b`: a digit is `0` (each run of them is
/// one), a letter its lowercase.
#[inline(always)]
fn ascii_key(b: u8) -> u8 {
    if b.is_ascii_digit() {
        b'0'
    } else {
        b.to_ascii_lowercase()
    }
}

/// The bucket of a key text that begins with the byte `first` and ends with `last`: both
/// bytes whole, spread by a multiply (their low bits alone would put the digits and `.`
/// with letters).
#[inline(always)]
fn ends_bucket(first: u8, last: u8) -> usize {
    let pair = (u32::from(first) << 8) | u32::from(last);
    (pair.wrapping_mul(0x9E37_79B1) >> (32 - END_BITS)) as usize
}

/// The keys of the [lines](text_lines) of `text`, in order, handed to `key` with their
/// [end buckets](key_ends): the same as `text_lines(text).map(|l| (line_key(l),
/// key_ends(l)))`, in one pass over the bytes that finds the line breaks as it hashes (the
/// first pass keys every line of every document).
fn text_line_keys(text: &str, mut key: impl FnMut(u64, usize)) {
    let bytes = text.as_bytes();
    let mut start = 0;
    while let Some(&first) = bytes.get(start) {
        // Empty lines (a third of them: paragraphs are separated by one) need no hash.
        if first == b'\n' {
            start += 1;
            continue;
        }
        let (h, end) = hash_key::<true>(text, start);
        let last = bytes[end - 1];
        // Normalized lines are trimmed; any other line is keyed the plain way. (A visible
        // ASCII byte at an end, as at nearly all, is told without decoding a character.)
        if visible_ascii(first) && visible_ascii(last) {
            key(h, ascii_ends(first, last));
            start = end + 1;
            continue;
        }
        let line = &text[start..end];
        start = end + 1;
        let trimmed = |c: Option<char>| c.is_some_and(|c| !c.is_whitespace());
        // (Not both ends visible ASCII: `key_ends` would decode them.)
        if trimmed(line.chars().next()) && trimmed(line.chars().next_back()) {
            key(h, key_ends_decoded(line));
        } else if !line.trim().is_empty() {
            key(line_key(line), key_ends_decoded(line));
        }
    }
}

/// Hashes the key text of `text[start..]` ([`line_key`] without the trimming), up to the
/// first `\n` when `LINES`; returns the hash and where it stopped.
#[inline(always)]
fn hash_key<const LINES: bool>(text: &str, start: usize) -> (u64, usize) {
    let bytes = text.as_bytes();
    let mut h = KeyHash::new();
    let mut i = start;
    while i < bytes.len() {
        // Sixteen bytes at a time, the bulk of text: the ASCII bytes before the first
        // digit, non-ASCII byte or (when `LINES`) `\n` are lowercased together and hashed
        // as whole words.
        if let Some(block) = bytes.get(i..).and_then(|rest| rest.first_chunk::<16>()) {
            let ([lo, hi], stops) = key_block16::<LINES>(block);
            if stops == 0 {
                h.words(lo, hi);
                i += 16;
                continue;
            }
            let plain = stops.trailing_zeros() as usize;
            h.first_of16(lo, hi, plain);
            i += plain;
        } else {
            // The last few bytes, eight at a time, padded with 0xFF, which stops the word
            // where the text ends.
            let w = match bytes.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
                Some(word) => u64::from_le_bytes(*word),
                None => tail_word(bytes, i),
            };
            let (lower, stops) = key_word::<LINES>(w);
            if stops == 0 {
                h.word(lower);
                i += 8;
                continue;
            }
            let plain = first_lane(stops);
            if plain > 0 {
                h.lanes(lower, plain);
                i += plain;
            }
        }
        // Then the digits and non-ASCII characters from here on, up to the next other
        // ASCII byte: out of line, so that the loop above keeps its registers. Most stops
        // are the line's end.
        match bytes.get(i) {
            None => break,
            Some(b'\n') if LINES => break,
            // A run of ASCII digits (half the stops that are not a line's end) hashes as
            // one `0`, here: a call per run, and a branch per digit in it, cost more than
            // the run. A non-ASCII character after it may be a numeral that goes on the
            // run (`0٣`): `hash_odd` takes over, in the run.
            Some(b) if b.is_ascii_digit() => {
                h.write_byte(b'0');
                i = ascii_digits_end(bytes, i);
                if bytes.get(i).is_some_and(|&b| b >= 0x80) {
                    i = hash_odd(text, i, &mut h, true);
                }
                continue;
            }
            Some(_) => i = hash_odd(text, i, &mut h, false),
        }
        if LINES && bytes.get(i) == Some(&b'\n') {
            break;
        }
    }
    (h.finish(), i)
}

/// Where the run of ASCII digits at `bytes[i..]` ends, eight bytes a step: the first byte
/// from `i` on that is not one, or the end.
#[inline(always)]
fn ascii_digits_end(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() {
        let w = match bytes.get(i..).and_then(|rest| rest.first_chunk::<8>()) {
            Some(word) => u64::from_le_bytes(*word),
            // Padded with 0xFF, which is no digit.
            None => tail_word(bytes, i),
        };
        // Exact up to the first lane that is not a digit (see `lanes_in`).
        let others = !lanes_in(w, b'0', b'9') & HIGH;
        if others != 0 {
            return i + first_lane(others);
        }
        i += 8;
    }
    i
}

/// The last `bytes.len() - i` (1 to 7) bytes of `bytes` as a word padded with 0xFF, for
/// [`hash_key`]: the 0xFF stops the word where the text ends.
#[inline(always)]
fn tail_word(bytes: &[u8], i: usize) -> u64 {
    let left = bytes.len() - i;
    crate::swar::tail_word(bytes, left) | (!0u64 << (8 * left))
}

/// [`hash_key`]'s look at the digits and non-ASCII characters from `i` on, up to the next
/// other ASCII byte (or the end), continuing the hash `h`; returns where it stopped. (The
/// hash by reference: by value, it was copied in and out through memory at each call.)
/// Digit runs hash as one `0`, other characters lowercased. A call hashes any digit run
/// it meets to its end; it starts after a byte that is not a digit (or at the start), or,
/// `in_digits`, right after a run of ASCII digits [`hash_key`] hashed, which a numeral
/// here goes on.
#[inline(never)]
fn hash_odd(text: &str, mut i: usize, h: &mut KeyHash, mut in_digits: bool) -> usize {
    let bytes = text.as_bytes();
    let mut buf = [0u8; 4];
    while let Some(&b) = bytes.get(i) {
        if b.is_ascii_digit() {
            if !in_digits {
                h.write_byte(b'0');
            }
            in_digits = true;
            i += 1;
            continue;
        }
        if b < 0x80 {
            break;
        }
        // Common characters told from their first bytes, without decoding: CJK ideographs
        // U+4000..U+9FFF, Hangul syllables U+AC00..U+D7A3 (and what follows them to
        // U+D7FF), kana U+3040..U+30FF, CJK punctuation U+3000..U+303F but its numerals,
        // and the dashes, quotes and other punctuation of U+2010..U+2027 and
        // U+2030..U+205E (three bytes; no case, no numerals) hash as they stand;
        // Latin-1's U+00C0..U+00FF and Cyrillic's U+0400..U+045F (two bytes) too, but
        // their capitals lowered. A test checks every character of these lead bytes
        // against the tables.
        let punctuation = |b1: u8, b2: u8| {
            (b1 == 0x80 && matches!(b2, 0x90..=0xA7 | 0xB0..=0xBF)) || (b1 == 0x81 && b2 <= 0x9E)
        };
        // U+3000..U+30FF but the numerals U+3007, U+3021..U+3029 and U+3038..U+303A.
        let kana = |b1: u8, b2: u8| {
            matches!(b1, 0x81..=0x83)
                || (b1 == 0x80 && !matches!(b2, 0x87 | 0xA1..=0xA9 | 0xB8..=0xBA))
        };
        // `text` is UTF-8 and `b` a lead byte: the leads that read `bytes[i + 2]` start
        // three-byte characters, so it is there; `get` only spares a bounds test's panic.
        let b1 = bytes.get(i + 1).copied().unwrap_or(0);
        let as_is = match b {
            0xE2 => punctuation(b1, bytes[i + 2]),
            0xE3 => kana(b1, bytes[i + 2]),
            0xE4..=0xE9 | 0xEB..=0xED => true,
            0xEA => b1 >= 0xB0,
            _ => false,
        };
        if as_is {
            in_digits = false;
            h.write3(&bytes[i..i + 3]);
            i += 3;
            continue;
        }
        // Two bytes: the lead and the second byte of the lowercase.
        let two = match (b, b1) {
            // U+00C0..U+00DE but U+00D7 lowercase 0x20 on, in the second byte.
            (0xC3, 0x80..=0x9E) if b1 != 0x97 => Some((0xC3, b1 + 0x20)),
            (0xC3, _) => Some((0xC3, b1)),
            // U+0400..U+040F lowercase to U+0450..U+045F, U+0410..U+042F to U+0430..U+044F.
            (0xD0, 0x80..=0x8F) => Some((0xD1, b1 + 0x10)),
            (0xD0, 0x90..=0x9F) => Some((0xD0, b1 + 0x20)),
            (0xD0, 0xA0..=0xAF) => Some((0xD1, b1 - 0x20)),
            (0xD0, _) | (0xD1, 0x80..=0x9F) => Some((b, b1)),
            _ => None,
        };
        if let Some((lead, second)) = two {
            in_digits = false;
            h.lanes(u64::from(second) << 8 | u64::from(lead), 2);
            i += 2;
            continue;
        }
        let c = text[i..].chars().next().expect("a char starts here");
        let len = c.len_utf8();
        let at = i;
        i += len;
        match key_char(c) {
            KeyChar::Digit => {
                if !in_digits {
                    h.write_byte(b'0');
                }
                in_digits = true;
                continue;
            }
            // Those that lowercase to themselves straight from the text.
            KeyChar::Lower(lower) if lower == c => h.write(&bytes[at..i]),
            KeyChar::Lower(lower) => h.write(lower.encode_utf8(&mut buf).as_bytes()),
            KeyChar::Lowers(lower) => {
                for l in lower {
                    h.write(l.encode_utf8(&mut buf).as_bytes());
                }
            }
        }
        in_digits = false;
    }
    i
}

/// What the [key text](key_text) makes of one character: the key's rule, written once.
enum KeyChar {
    /// A numeric character: a run of them is one `0`.
    Digit,
    /// Any other, lowercased to this one character.
    Lower(char),
    /// Any other, lowercased to these characters.
    Lowers(std::char::ToLowercase),
}

/// The [`KeyChar`] of `c`: the common letters and signs (`chars::known`, none of them
/// numeric) without the Unicode tables' searches.
#[inline(always)]
fn key_char(c: char) -> KeyChar {
    if let Some(k) = crate::chars::known(c) {
        KeyChar::Lower(k.lower)
    } else if c.is_numeric() {
        KeyChar::Digit
    } else {
        KeyChar::Lowers(c.to_lowercase())
    }
}

/// Eight bytes of text lowercased, and the lanes where [`hash_key`] must stop hashing them
/// as they are: digits, bytes from 0x80 on and (when `LINES`) `\n`. Both are exact up to
/// the first stop, all that is used of them (see [`lanes_in`]). Only for the last few
/// (under sixteen) bytes of a text: whole sixteen-byte blocks go through [`key_block16`].
#[inline(always)]
fn key_word<const LINES: bool>(w: u64) -> (u64, u64) {
    let mut stops = (w & HIGH) | lanes_in(w, b'0', b'9');
    if LINES {
        stops |= lanes_eq(w, b'\n');
    }
    (w | (lanes_in(w, b'A', b'Z') >> 2), stops)
}

/// The text that [`line_key`] hashes, for tests and for showing a key to a person.
pub fn key_text(line: &str) -> String {
    let mut s = String::new();
    let mut in_digits = false;
    for c in line.trim().chars() {
        match key_char(c) {
            KeyChar::Digit => {
                if !in_digits {
                    s.push('0');
                }
                in_digits = true;
                continue;
            }
            KeyChar::Lower(lower) => s.push(lower),
            KeyChar::Lowers(lower) => s.extend(lower),
        }
        in_digits = false;
    }
    s
}

/// The hash of a line's key text: the text in eight-byte little-endian words, each mixed
/// into the state by a folded 128-bit multiply ([`fold_mul`]), then the last zero-padded
/// few bytes with their count. Eight bytes per multiply where FNV-1a (the key of saved
/// counts before `BSLSTAT2`) took one. Its output is fixed by this definition (unlike std's
/// hashers), which saved counts need; `key_hash_is_pinned` holds it to fixed values. Fed
/// in pieces of any length: a piece that does not fill the pending word waits in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct KeyHash {
    /// The state: the words mixed in so far.
    h: u64,
    /// The bytes not mixed in yet, in the low `shift / 8` lanes (the others zero).
    pending: u64,
    /// Eight times the number of pending bytes: 0 to 56.
    shift: u32,
}

impl KeyHash {
    /// The state before the first word.
    const SEED: u64 = 0x243F_6A88_85A3_08D3;

    #[inline(always)]
    fn new() -> Self {
        KeyHash {
            h: Self::SEED,
            pending: 0,
            shift: 0,
        }
    }

    /// Hashes eight bytes: the pending ones and the first of these make a word, the rest
    /// of these are pending after it (as many as before).
    #[inline(always)]
    fn word(&mut self, w: u64) {
        self.h = fold_mul(self.h ^ self.pending ^ (w << self.shift));
        // (Two shifts: one by 64 would overflow when nothing was pending.)
        self.pending = (w >> (56 - self.shift)) >> 8;
    }

    /// Hashes sixteen bytes, as [`word`](Self::word) twice; without the shifts when no
    /// byte is pending (at the start of a line, and after pieces that filled a word).
    #[inline(always)]
    fn words(&mut self, lo: u64, hi: u64) {
        if self.shift == 0 {
            self.h = fold_mul(fold_mul(self.h ^ lo) ^ hi);
        } else {
            self.word(lo);
            self.word(hi);
        }
    }

    /// Hashes the first `n` (0 to 15) of the sixteen bytes `lo` then `hi`: the piece of a
    /// block up to a line's end, mostly. Without a branch on `n` when no byte is pending (at
    /// the start of a line, and after whole words), as it then is nearly always: `n` is
    /// where the line happens to end, which a branch would often guess wrong.
    #[inline(always)]
    fn first_of16(&mut self, lo: u64, hi: u64, n: usize) {
        debug_assert!(n < 16, "{n} bytes");
        if self.shift != 0 {
            if n >= 8 {
                self.word(lo);
                if n > 8 {
                    self.lanes(hi, n - 8);
                }
            } else if n > 0 {
                self.lanes(lo, n);
            }
            return;
        }
        // `lo` is a whole word when `n` is 8 or more; the bytes left over are pending.
        // (Selected by a mask: `std::hint::select_unpredictable` is newer than the MSRV.)
        let whole = 0u64.wrapping_sub(u64::from(n >= 8));
        self.h = (fold_mul(self.h ^ lo) & whole) | (self.h & !whole);
        let rest = (hi & whole) | (lo & !whole);
        let bits = 8 * (n as u32 & 7);
        self.pending = rest & ((1u64 << bits) - 1);
        self.shift = bits;
    }

    /// Hashes the first `n` (1 to 7) lanes of `w`, lowest first.
    #[inline(always)]
    fn lanes(&mut self, w: u64, n: usize) {
        // Eight would shift by 64 below (`word` takes those); none is a caller's slip.
        debug_assert!((1..8).contains(&n), "{n} lanes");
        let bits = 8 * n as u32;
        let w = w & ((1u64 << bits) - 1);
        let filled = self.pending | (w << self.shift);
        let shift = self.shift + bits;
        if shift >= 64 {
            self.h = fold_mul(self.h ^ filled);
            self.pending = (w >> (56 - self.shift)) >> 8;
            self.shift = shift - 64;
        } else {
            self.pending = filled;
            self.shift = shift;
        }
    }

    /// Hashes three bytes (a character of three).
    #[inline(always)]
    fn write3(&mut self, b: &[u8]) {
        let w = u64::from(b[0]) | u64::from(b[1]) << 8 | u64::from(b[2]) << 16;
        self.lanes(w, 3);
    }

    /// Hashes one byte.
    #[inline(always)]
    fn write_byte(&mut self, b: u8) {
        self.lanes(u64::from(b), 1);
    }

    /// Hashes `bytes`.
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_byte(b);
        }
    }

    /// The hash: the pending bytes (none is 0) mixed in with their count in the top lane,
    /// which they never reach, so that a zero byte of the text is told from padding.
    #[inline(always)]
    fn finish(self) -> u64 {
        fold_mul(self.h ^ self.pending ^ (u64::from(self.shift) << 53))
    }
}

/// Hashes the line keys in the count tables: a key is its own hash. Keys are [`KeyHash`]
/// outputs (a saved file holds the same), whose last step is a folded multiply, so all
/// their bits are spread already (the table takes its index from the low bits and its tag
/// from the top seven); hashing them once more cost about 0.2M instructions per copy of
/// the benchmark pages. Only `u64` keys go through as they are; other input is mixed byte by byte.
#[derive(Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = crate::swar::fold_mul(self.0 ^ u64::from(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, k: u64) {
        self.0 ^= k;
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

/// Document frequencies per line key.
type KeyCounts = HashMap<u64, KeyCount, BuildHasherDefault<KeyHasher>>;

/// The count of one line key in a scope.
#[derive(Debug, Clone, Copy, Default)]
struct KeyCount {
    /// Documents with the line.
    documents: u32,
    /// The [serial](ScopeCounts::serial) of the last document counted with the line (0:
    /// none since it was loaded or merged in): a line that recurs within a document counts
    /// once without a sort of the document's keys. It takes what was padding in the table's
    /// 16-byte entries, so the counts take no more memory.
    seen: u32,
}

/// The most documents a line key of a scope is in, per [`key_ends`] bucket: a line whose
/// bucket's count is below the threshold is not repeated, which the second pass tells
/// without keying the line (few buckets hold a repeated line). An upper bound once counts
/// are merged (the sum of the two) or loaded (unknown: the most there is).
#[derive(Debug, Clone)]
struct EndCounts(Vec<u32>);

impl EndCounts {
    /// Each bucket at `n`.
    fn all(n: u32) -> Self {
        EndCounts(vec![n; END_BUCKETS])
    }

    /// Notes a key of `bucket` in `documents` documents.
    #[inline]
    fn note(&mut self, bucket: usize, documents: u32) {
        if let Some(most) = self.0.get_mut(bucket) {
            *most = (*most).max(documents);
        }
    }

    /// The most documents a key of `bucket` can be in.
    fn most(&self, bucket: usize) -> u32 {
        self.0.get(bucket).copied().unwrap_or(u32::MAX)
    }

    /// Adds `other`'s bounds into these: a key's documents add up.
    fn merge(&mut self, other: &EndCounts) {
        for (ours, theirs) in self.0.iter_mut().zip(&other.0) {
            *ours = ours.saturating_add(*theirs);
        }
    }
}

/// The non-blank lines of normalized text, as the segmenter sees them (split on `\n`,
/// trimmed, blank ones left out).
pub fn text_lines(text: &str) -> impl Iterator<Item = &str> {
    text.split('\n').map(str::trim).filter(|l| !l.is_empty())
}

/// The scope name of a folder or file path as given on the command line: its components
/// joined with `/`, without `.` components or a trailing slash (`./pages/` -> `pages`);
/// `.` for the current folder.
pub fn scope_name(path: &Path) -> String {
    let parts: Vec<String> = path
        .components()
        .filter(|c| !matches!(c, std::path::Component::CurDir))
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    if parts.is_empty() {
        return ".".to_string();
    }
    let mut s = String::new();
    for p in parts {
        if !s.is_empty() && !s.ends_with('/') {
            s.push('/');
        }
        s.push_str(&p);
    }
    s
}

/// The counts of one scope.
#[derive(Debug, Clone)]
pub struct ScopeCounts {
    /// Documents counted.
    pub documents: u64,
    /// Documents per line key.
    lines: KeyCounts,
    /// The number of the document being counted (see [`KeyCount::seen`]), from 1; every
    /// `seen` is 0 or at most this.
    serial: u32,
    /// The most documents a key is in per [`key_ends`] bucket.
    ends: EndCounts,
    /// The keys repeated under the first threshold the second pass asked about, made then
    /// (see [`RepeatedKeys`]); emptied whenever the counts change.
    repeated: OnceLock<RepeatedKeys>,
}

impl Default for ScopeCounts {
    fn default() -> Self {
        ScopeCounts {
            documents: 0,
            lines: KeyCounts::default(),
            serial: 0,
            ends: EndCounts::all(0),
            repeated: OnceLock::new(),
        }
    }
}

/// The keys of a scope in at least `min` documents, with their counts: what the second
/// pass looks its lines up in. A scope's table holds every distinct line of its documents
/// (megabytes for a folder of thousands of pages), so a lookup there misses the caches;
/// the repeated keys are a template's few hundred lines, a table that stays in them.
#[derive(Debug, Clone)]
struct RepeatedKeys {
    /// The threshold the keys were picked with.
    min: u32,
    /// The documents of each key in at least `min` of them.
    keys: HashMap<u64, u32, BuildHasherDefault<KeyHasher>>,
    /// One bit per [`key_ends`] bucket: whether a key of the bucket may be in `min`
    /// documents ([`EndCounts::most`] at least `min`). Half a kilobyte, where the counts
    /// take sixteen: the test every line of the second pass makes stays in the cache.
    buckets: Box<[u64; END_BUCKETS / 64]>,
}

impl RepeatedKeys {
    /// The keys of `counts` in at least `min` documents.
    fn of(counts: &ScopeCounts, min: u32) -> Self {
        let keys = counts
            .lines
            .iter()
            .filter(|(_, c)| c.documents >= min)
            .map(|(&k, c)| (k, c.documents))
            .collect();
        let mut buckets = Box::new([0u64; END_BUCKETS / 64]);
        for b in (0..END_BUCKETS).filter(|&b| counts.ends.most(b) >= min) {
            buckets[b / 64] |= 1 << (b % 64);
        }
        RepeatedKeys { min, keys, buckets }
    }

    /// Whether a line of the [`key_ends`] bucket `bucket` may be repeated.
    #[inline]
    fn may_hold(&self, bucket: usize) -> bool {
        self.buckets
            .get(bucket / 64)
            .is_none_or(|w| w & (1 << (bucket % 64)) != 0)
    }
}

impl PartialEq for ScopeCounts {
    /// The same documents and counts (the `seen` marks are bookkeeping).
    fn eq(&self, other: &Self) -> bool {
        self.documents == other.documents
            && self.lines.len() == other.lines.len()
            && self.lines.iter().all(|(k, c)| {
                other
                    .lines
                    .get(k)
                    .is_some_and(|o| o.documents == c.documents)
            })
    }
}

impl Eq for ScopeCounts {}

impl ScopeCounts {
    /// In how many documents the line with this [key](line_key) occurs.
    pub fn document_frequency(&self, key: u64) -> u32 {
        self.lines.get(&key).map_or(0, |c| c.documents)
    }

    /// Starts counting one more document; returns its serial for [`count_key`](Self::count_key).
    fn next_document(&mut self) -> u32 {
        // The counts change: the repeated keys would be stale.
        self.repeated = OnceLock::new();
        self.documents += 1;
        self.serial = self.serial.wrapping_add(1);
        if self.serial == 0 {
            // After 2^32 - 1 documents: forget the marks rather than mistake an old
            // document for this one.
            for c in self.lines.values_mut() {
                c.seen = 0;
            }
            self.serial = 1;
        }
        self.serial
    }

    /// Counts `key`, whose line is in the [`key_ends`] bucket `ends`, in the document
    /// `serial`, once however often it occurs there.
    #[inline]
    fn count_key(&mut self, key: u64, ends: usize, serial: u32) {
        let c = self.lines.entry(key).or_default();
        if c.seen != serial {
            c.seen = serial;
            c.documents = c.documents.saturating_add(1);
            self.ends.note(ends, c.documents);
        }
    }

    /// Distinct lines counted.
    pub fn distinct_lines(&self) -> usize {
        self.lines.len()
    }
}

/// Document frequencies of lines, per scope. Build it with
/// [`count_document`](Self::count_document), add others with `+=`, save and load it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LineStats {
    scopes: BTreeMap<String, ScopeCounts>,
}

impl LineStats {
    /// No counts.
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one document of `scope`: every distinct line key once.
    pub fn count_document<'a>(&mut self, scope: &str, lines: impl IntoIterator<Item = &'a str>) {
        let (counts, serial) = self.next_document(scope);
        for line in lines {
            counts.count_key(line_key(line), key_ends(line), serial);
        }
    }

    /// The counts of `scope`, with one more document started in it, and that document's
    /// serial.
    fn next_document(&mut self, scope: &str) -> (&mut ScopeCounts, u32) {
        // (Looked up before it is entered: the scope's name is copied only once.)
        if !self.scopes.contains_key(scope) {
            self.scopes
                .insert(scope.to_string(), ScopeCounts::default());
        }
        let counts = self.scopes.get_mut(scope).expect("entered above");
        let serial = counts.next_document();
        (counts, serial)
    }

    /// Decodes and normalizes `bytes` as [`Cleaner::clean`](crate::Cleaner::clean) does and
    /// counts the lines as one document of `scope`.
    ///
    /// # Errors
    /// [`DecodeError`] when the bytes are not text (nothing is counted).
    pub fn count_bytes(&mut self, scope: &str, bytes: &[u8]) -> Result<(), DecodeError> {
        self.count_bytes_guess(scope, bytes).map(|_| ())
    }

    /// [`count_bytes`](Self::count_bytes), also returning the name of the legacy encoding
    /// that detection guessed for `bytes`, or `None` when none was needed (UTF-8, a byte
    /// order mark, UTF-16). Passed back to
    /// [`Cleaner::clean_with_encoding`](crate::Cleaner::clean_with_encoding) with the same
    /// bytes, it spares the second pass the detection, the slowest part of decoding legacy
    /// text.
    ///
    /// # Errors
    /// [`DecodeError`] when the bytes are not text (nothing is counted).
    pub fn count_bytes_detecting(
        &mut self,
        scope: &str,
        bytes: &[u8],
    ) -> Result<Option<&'static str>, DecodeError> {
        self.count_bytes_guess(scope, bytes)
            .map(|known| known.encoding.map(Encoding::name))
    }

    /// [`count_bytes_detecting`](Self::count_bytes_detecting), returning all it found out
    /// about the bytes on the way: the encoding itself, whether normalizing left the
    /// decoded text as it was (but for its line ends and a final newline), and if not, what
    /// the scan of the text found it needs.
    pub(crate) fn count_bytes_guess(
        &mut self,
        scope: &str,
        bytes: &[u8],
    ) -> Result<Known, DecodeError> {
        // Borrowed when possible: most documents are UTF-8 that normalizing leaves as is
        // (but for a final newline, which changes no line), and need no copy to be keyed.
        let decoded = decode::decode_borrowed(bytes)?;
        let (normalized, done) = normalize::normalize_cow(&decoded.text, false);
        // Counted as they are hashed: no list of the document's keys.
        let (counts, serial) = self.next_document(scope);
        text_line_keys(&normalized, |key, ends| counts.count_key(key, ends, serial));
        let unchanged = matches!(normalized, std::borrow::Cow::Borrowed(_)) || done.line_ends_only;
        Ok(Known {
            encoding: decoded.legacy_guess,
            normalized: if unchanged {
                Scanned::Unchanged
            } else {
                Scanned::Needs(done.needs)
            },
        })
    }

    /// The counts of one scope, if any document of it was counted.
    pub fn scope(&self, scope: &str) -> Option<&ScopeCounts> {
        self.scopes.get(scope)
    }

    /// The scopes, in name order, with their counts.
    pub fn scopes(&self) -> impl Iterator<Item = (&str, &ScopeCounts)> {
        self.scopes.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// In how many documents of `scope` the line with this [key](line_key) occurs.
    pub fn document_frequency(&self, scope: &str, key: u64) -> u32 {
        self.scope(scope).map_or(0, |c| c.document_frequency(key))
    }

    /// Documents counted in `scope`.
    pub fn documents(&self, scope: &str) -> u64 {
        self.scope(scope).map_or(0, |c| c.documents)
    }

    /// What the second pass needs for one document of `scope`: which lines are repeated
    /// under `threshold`. `None` when the scope has no counts.
    ///
    /// The first call after counting indexes the scope's repeated lines, a walk over all
    /// its distinct lines: count every document first, then clean, and use one threshold
    /// (a second one is answered from the whole table, more slowly). Counting again after
    /// cleaning has started makes the next call index the scope again.
    pub fn repeats<'a>(&'a self, scope: &str, threshold: &Threshold) -> Option<Repeats<'a>> {
        let counts = self.scope(scope)?;
        let min = u32::try_from(threshold.min_documents(counts.documents)).unwrap_or(u32::MAX);
        // Made once, for the first document of the second pass; another threshold (no
        // caller uses two) looks its keys up in the whole table.
        let repeated = counts
            .repeated
            .get_or_init(|| RepeatedKeys::of(counts, min));
        Some(Repeats {
            counts,
            repeated: (repeated.min == min).then_some(repeated),
            min,
        })
    }

    /// Adds `other`'s counts into these (the same as `+=`).
    pub fn merge(&mut self, other: &LineStats) {
        for (scope, theirs) in &other.scopes {
            let ours = self.scopes.entry(scope.clone()).or_default();
            ours.documents += theirs.documents;
            ours.repeated = OnceLock::new();
            ours.ends.merge(&theirs.ends);
            ours.lines.reserve(theirs.lines.len());
            // A line new to ours is marked unseen: their serials are not ours.
            for (&k, n) in &theirs.lines {
                let m = ours.lines.entry(k).or_default();
                m.documents = m.documents.saturating_add(n.documents);
            }
        }
    }

    /// The counts in the saved format: deterministic bytes (scopes by name, keys in
    /// ascending order), see [`save`](Self::save).
    pub fn to_bytes(&self) -> Vec<u8> {
        let keys: usize = self.scopes.values().map(|c| c.lines.len()).sum();
        let mut out = Vec::with_capacity(MAGIC.len() + 4 + self.scopes.len() * 32 + keys * 12);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&(self.scopes.len() as u32).to_le_bytes());
        for (name, counts) in &self.scopes {
            out.extend_from_slice(&(name.len() as u32).to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&counts.documents.to_le_bytes());
            out.extend_from_slice(&(counts.lines.len() as u64).to_le_bytes());
            let mut lines: Vec<(u64, u32)> = counts
                .lines
                .iter()
                .map(|(&k, n)| (k, n.documents))
                .collect();
            lines.sort_unstable();
            for (k, n) in lines {
                out.extend_from_slice(&k.to_le_bytes());
                out.extend_from_slice(&n.to_le_bytes());
            }
        }
        out
    }

    /// Reads counts in the format of [`to_bytes`](Self::to_bytes).
    ///
    /// # Errors
    /// A message when the bytes are not saved counts (wrong header, cut short, trailing
    /// bytes, a scope name that is not UTF-8).
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut r = Reader { bytes, pos: 0 };
        let magic = r.take(MAGIC.len())?;
        // Another version's counts hold other line keys: refused, since none would match.
        if magic.starts_with(b"BSLSTAT") && magic != MAGIC {
            return Err(format!(
                "line stats of another boilerstrip version ({}; this one reads {}): count again",
                String::from_utf8_lossy(magic),
                String::from_utf8_lossy(MAGIC),
            ));
        }
        if magic != MAGIC {
            return Err("not a boilerstrip line-stats file (bad header)".into());
        }
        let mut stats = LineStats::default();
        for _ in 0..r.u32()? {
            let len = r.u32()? as usize;
            let name = std::str::from_utf8(r.take(len)?)
                .map_err(|_| "a scope name is not UTF-8".to_string())?
                .to_string();
            let documents = r.u64()?;
            let n = usize::try_from(r.u64()?).map_err(|_| "too many lines".to_string())?;
            if n > (r.bytes.len() - r.pos) / 12 {
                return Err("cut short".into());
            }
            let mut lines = KeyCounts::with_capacity_and_hasher(n, Default::default());
            for _ in 0..n {
                let k = r.u64()?;
                let documents = r.u32()?;
                lines.insert(k, KeyCount { documents, seen: 0 });
            }
            // Merge, so a file that names a scope twice still loads to the sum.
            stats.merge(&LineStats {
                scopes: BTreeMap::from([(
                    name,
                    ScopeCounts {
                        documents,
                        lines,
                        serial: 0,
                        // Which buckets the keys are in is not saved.
                        ends: EndCounts::all(u32::MAX),
                        repeated: OnceLock::new(),
                    },
                )]),
            });
        }
        if r.pos != bytes.len() {
            return Err("trailing bytes after the counts".into());
        }
        Ok(stats)
    }

    /// Writes the counts to `path` atomically, in a compact little-endian binary format
    /// (`BSLSTAT2`, then per scope: name, documents, and `(key u64, documents u32)` pairs
    /// in ascending key order): the same counts always give the same bytes.
    ///
    /// # Errors
    /// [`StatsError`] with the path when the file cannot be written.
    pub fn save(&self, path: &Path) -> Result<(), StatsError> {
        crate::batch::write_atomic(path, &self.to_bytes()).map_err(|e| StatsError {
            path: path.to_path_buf(),
            message: format!("cannot write: {e}"),
        })
    }

    /// Reads counts written by [`save`](Self::save).
    ///
    /// # Errors
    /// [`StatsError`] with the path when the file cannot be read or is not saved counts.
    pub fn load(path: &Path) -> Result<Self, StatsError> {
        let err = |message: String| StatsError {
            path: path.to_path_buf(),
            message,
        };
        let bytes = std::fs::read(path).map_err(|e| err(format!("cannot read: {e}")))?;
        Self::from_bytes(&bytes).map_err(err)
    }
}

impl AddAssign<&LineStats> for LineStats {
    fn add_assign(&mut self, other: &LineStats) {
        self.merge(other);
    }
}

impl AddAssign<LineStats> for LineStats {
    fn add_assign(&mut self, mut other: LineStats) {
        // Sums commute: fold the smaller tables into the larger.
        let size = |s: &LineStats| s.scopes.values().map(|c| c.lines.len()).sum::<usize>();
        if size(self) < size(&other) {
            std::mem::swap(self, &mut other);
        }
        self.merge(&other);
    }
}

/// The saved format's header. Its number counts the line-key hashes: `BSLSTAT1` files hold
/// FNV-1a keys, which no key of this release matches.
const MAGIC: &[u8; 8] = b"BSLSTAT2";

/// Why saved line counts could not be read or written. Names the file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct StatsError {
    /// The file.
    pub path: PathBuf,
    /// What went wrong.
    pub message: String,
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.bytes.len())
            .ok_or_else(|| "cut short".to_string())?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u32(&mut self) -> Result<u32, String> {
        Ok(u32::from_le_bytes(
            self.take(4)?.try_into().expect("4 bytes"),
        ))
    }

    fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }
}

/// The repeated lines of one scope under a threshold: what the second pass consults.
#[derive(Debug, Clone, Copy)]
pub struct Repeats<'a> {
    counts: &'a ScopeCounts,
    /// The keys in at least `min` documents, when made for this `min`.
    repeated: Option<&'a RepeatedKeys>,
    min: u32,
}

impl Repeats<'_> {
    /// In how many documents `line` occurs, when that makes it repeated. A line without
    /// letters never is: once its digits are folded, a page number, a score or a `*` is
    /// the same line on every site, and says nothing about the template.
    pub fn documents(&self, line: &str) -> Option<u32> {
        // Most lines are told from their ends' bucket, without a key (or a look at their
        // letters).
        let bucket = key_ends(line);
        let may_hold = match self.repeated {
            Some(repeated) => repeated.may_hold(bucket),
            None => self.counts.ends.most(bucket) >= self.min,
        };
        if !may_hold {
            return None;
        }
        let letters = line.bytes().any(|b| b.is_ascii_alphabetic())
            || (!line.is_ascii() && line.chars().any(char::is_alphabetic));
        if !letters {
            return None;
        }
        let key = line_key(line);
        let n = match self.repeated {
            Some(repeated) => repeated.keys.get(&key).copied().unwrap_or(0),
            None => self.counts.document_frequency(key),
        };
        (n >= self.min).then_some(n)
    }

    /// The document frequency from which a line is repeated.
    pub fn min_documents(&self) -> u32 {
        self.min
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_fold_case_digits_and_outer_space() {
        assert_eq!(key_text("  Page 3 of 12 "), "page 0 of 0");
        assert_eq!(key_text("Posted 2016-04-07 05:27"), "posted 0-0-0 0:0");
        assert_eq!(key_text("ÉTÉ ٣ ½"), "été 0 0");
        assert_eq!(line_key("Page 3 of 12"), line_key("page 10 of 9"));
        assert_eq!(line_key("7 Apr, 2016"), line_key("12 apr, 1999"));
        assert_ne!(line_key("7 Apr, 2016"), line_key("7 May, 2016"));
        assert_ne!(line_key("page 1"), line_key("page"));
        // The key hashes exactly the key text, so saved counts are stable.
        for line in [
            "Home | News",
            "  ÉTÉ ٣ ½ Straße İstanbul ΣΑΣ 12a٣4 ",
            "Ǆemal 2016–04 Ⅻ x",
            "",
        ] {
            assert_eq!(
                line_key(line),
                plain_key_hash(key_text(line).as_bytes()),
                "{line:?}"
            );
        }
    }

    /// [`KeyHash`] by its definition: the bytes in eight-byte little-endian words, each
    /// mixed in, then the last zero-padded few with their count in the top lane.
    fn plain_key_hash(bytes: &[u8]) -> u64 {
        let mut h = KeyHash::SEED;
        let mut words = bytes.chunks_exact(8);
        for w in &mut words {
            h = fold_mul(h ^ u64::from_le_bytes(w.try_into().unwrap()));
        }
        let rest = words.remainder();
        let mut last = [0u8; 8];
        last[..rest.len()].copy_from_slice(rest);
        last[7] = rest.len() as u8;
        fold_mul(h ^ u64::from_le_bytes(last))
    }

    #[test]
    fn key_hash_is_pinned() {
        // Saved counts hold these hashes: a change needs a new `MAGIC`.
        let pinned: [(&[u8], u64); 4] = [
            (b"", 0xe184_8576_4ba0_3644),
            (b"a", 0xb0be_fd16_dc8a_cbe9),
            (b"home | news", 0xd2d2_4dde_b5f4_32ad),
            (b"page 0 of 0 \xc3\xa9t\xc3\xa9 0", 0x2658_3928_817d_bb91),
        ];
        for (bytes, want) in pinned {
            assert_eq!(plain_key_hash(bytes), want, "{bytes:?}");
        }
        // Fed in pieces of every length (1 to 16) at many offsets, it is the same.
        let text: Vec<u8> = (0..48u8).map(|i| i.wrapping_mul(37) ^ 0x5A).collect();
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for len in 0..text.len() {
            let bytes = &text[..len];
            for round in 0..40 {
                let mut h = KeyHash::new();
                let mut at = 0;
                while at < len {
                    let n = if round < 16 {
                        round + 1
                    } else {
                        (crate::swar::xorshift(&mut x) % 16 + 1) as usize
                    };
                    let n = n.min(len - at);
                    let mut padded = [0xEEu8; 16];
                    padded[..n].copy_from_slice(&bytes[at..at + n]);
                    let word = |k: usize| u64::from_le_bytes(padded[k..k + 8].try_into().unwrap());
                    match n {
                        16 => h.words(word(0), word(8)),
                        8 => h.word(word(0)),
                        3 => h.write3(&bytes[at..at + 3]),
                        9.. => {
                            h.word(word(0));
                            h.lanes(word(8), n - 8);
                        }
                        _ => h.lanes(word(0), n),
                    }
                    at += n;
                }
                assert_eq!(h.finish(), plain_key_hash(bytes), "{len}, round {round}");
            }
            let mut h = KeyHash::new();
            h.write(bytes);
            assert_eq!(h.finish(), plain_key_hash(bytes));
        }
    }

    #[test]
    fn line_keys_spread_in_the_bits_the_count_table_uses() {
        // `KeyHasher` hands the keys to the table as they are: its index (low bits) and tag
        // (top seven bits) must be spread by the key hash itself. Lines that differ in one
        // word or in word order, as a scope's lines often do.
        let words = [
            "home", "news", "about", "share", "menu", "login", "sport", "more",
        ];
        let mut keys = std::collections::HashSet::new();
        for a in words {
            for b in words {
                for c in words {
                    for d in words {
                        keys.insert(line_key(&format!("{a} {b} {c} {d}")));
                    }
                }
            }
        }
        assert_eq!(keys.len(), 4096);
        let low: std::collections::HashSet<u64> = keys.iter().map(|k| k & 0xFFF).collect();
        let tags: std::collections::HashSet<u64> = keys.iter().map(|k| k >> 57).collect();
        // 4,096 random keys in 4,096 slots take about 63% of them.
        assert!(low.len() > 2_400, "{} low slots", low.len());
        assert_eq!(tags.len(), 128);
    }

    #[test]
    fn key_char_is_the_rule_digits_or_lowercase() {
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let got: Option<String> = match key_char(c) {
                KeyChar::Digit => None,
                KeyChar::Lower(lower) => Some(lower.to_string()),
                KeyChar::Lowers(lower) => Some(lower.collect()),
            };
            let want = (!c.is_numeric()).then(|| c.to_lowercase().collect::<String>());
            assert_eq!(got, want, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn key_words_lower_and_stop_where_the_key_text_needs_a_look() {
        // Every byte in every lane, after plain bytes and before plain and stop bytes:
        // up to the first stop, the lanes are the byte lowercased.
        for b in 0..=0xFFu8 {
            for k in 0..8 {
                for tail in [*b"aBz@[`{~", *b"Q9\n\xC3\xA9Z0\xFF"] {
                    let mut word = tail;
                    word[..k].copy_from_slice(&b"aBz@[`{~"[..k]);
                    word[k] = b;
                    let w = u64::from_le_bytes(word);
                    for lines in [false, true] {
                        let (lower, stops) = if lines {
                            key_word::<true>(w)
                        } else {
                            key_word::<false>(w)
                        };
                        let stop = |x: u8| x >= 0x80 || x.is_ascii_digit() || (lines && x == b'\n');
                        let first = word.iter().position(|&x| stop(x)).unwrap_or(8);
                        let got_first = if stops == 0 { 8 } else { first_lane(stops) };
                        assert_eq!(got_first, first, "{word:?}, lines {lines}");
                        let lowered = lower.to_le_bytes();
                        for j in 0..first {
                            assert_eq!(lowered[j], word[j].to_ascii_lowercase(), "{word:?}");
                        }
                    }
                }
            }
        }
    }

    proptest::proptest! {
        /// The fast paths of `line_key` hash exactly the key text (`key_text` is the
        /// plain definition).
        #[test]
        fn line_key_hashes_the_key_text(
            line in "[ \t\na-zA-Z0-9.,:|/-]{0,30}|[ aAzZ09٣½ⅫÉéİıßΣσǄЖжЀѐカ、〇〡한日本\u{A0}\u{2003}\u{85}-]{0,20}|\\PC{0,20}|([a-zA-Z ]{0,3}[0-9]{0,20}[é٣カ-]?){0,4}"
        ) {
            let key = key_text(&line);
            proptest::prop_assert_eq!(line_key(&line), plain_key_hash(key.as_bytes()));
            // And the end bucket is that of the key text's ends.
            if let (Some(&first), Some(&last)) = (key.as_bytes().first(), key.as_bytes().last()) {
                proptest::prop_assert_eq!(key_ends(&line), ends_bucket(first, last));
            }
        }

        /// Keying the lines in one pass is keying them one by one.
        #[test]
        fn text_line_keys_are_the_keys_of_the_lines(
            text in "([ \t\na-zA-Z0-9.,:|/-]{0,12}\n{0,2}){0,8}|[ \naAzZ09٣½ⅫÉéİıßΣσǄЖжЀѐカ、〇〡한日本\u{A0}\u{2003}\u{85}-]{0,30}|\\PC{0,30}"
        ) {
            let mut keys = Vec::new();
            text_line_keys(&text, |k, ends| keys.push((k, ends)));
            let want: Vec<_> = text_lines(&text).map(|l| (line_key(l), key_ends(l))).collect();
            proptest::prop_assert_eq!(keys, want);
        }

        /// The end buckets only spare the second pass keys: a line is repeated in as many
        /// documents as its key's count says, however the counts were made.
        #[test]
        fn repeats_are_the_counts_of_the_keys(
            docs in proptest::collection::vec(
                proptest::collection::vec("[aAbB1٣K\u{212A} ]{1,4}", 0..6), 1..8),
            split in 0usize..8,
            loaded in proptest::bool::ANY,
        ) {
            let mut stats = LineStats::new();
            let mut other = LineStats::new();
            for (i, doc) in docs.iter().enumerate() {
                let into = if i < split { &mut stats } else { &mut other };
                into.count_document("s", doc.iter().map(String::as_str));
            }
            if loaded {
                other = LineStats::from_bytes(&other.to_bytes()).expect("saved counts load");
            }
            stats += other;
            for min_docs in 1..4 {
                let threshold = Threshold { min_docs, min_share: 0.0 };
                // `stats` keeps the repeated keys of the first threshold (the others look
                // in the whole table); a fresh copy makes them for this one.
                let mut fresh = LineStats::new();
                fresh.merge(&stats);
                for stats in [&stats, &fresh] {
                    let Some(repeats) = stats.repeats("s", &threshold) else { continue };
                    for line in docs.iter().flatten() {
                        let n = stats.document_frequency("s", line_key(line));
                        let letters = line.chars().any(char::is_alphabetic);
                        let want = (letters && n >= repeats.min_documents()).then_some(n);
                        proptest::prop_assert_eq!(repeats.documents(line), want, "{:?}", line);
                    }
                }
            }
        }
    }

    #[test]
    fn lead_byte_shortcuts_agree_with_the_unicode_tables() {
        let mut checked = 0;
        for c in (0x80..=0xFFFFu32).filter_map(char::from_u32) {
            let mut buf = [0u8; 4];
            let s = c.encode_utf8(&mut buf);
            // (Spaces, which keys trim, are left out.)
            if matches!(s.as_bytes()[0], 0xC3 | 0xD0 | 0xD1 | 0xE2..=0xED) && !c.is_whitespace() {
                let mut h = KeyHash::new();
                let end = hash_odd(s, 0, &mut h, false);
                assert_eq!(
                    (end, h.finish()),
                    (s.len(), plain_key_hash(key_text(s).as_bytes())),
                    "U+{:04X}",
                    c as u32
                );
                checked += 1;
            }
        }
        // (Less the spaces U+2000..U+200A, U+2028, U+2029, U+202F, U+205F and U+3000.)
        assert_eq!(checked, 3 * 64 + 11 * 4096 + 2048 - 16);
    }

    #[test]
    fn lines_are_those_the_segmenter_sees() {
        let text = "Title\n\n  Menu  \nBody text here.\n\n\nFooter\n";
        let ours: Vec<&str> = text_lines(text).collect();
        let seg = crate::segment::segment(text);
        let theirs: Vec<&str> = seg.lines.iter().map(|l| l.text.as_str()).collect();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn counts_documents_not_occurrences() {
        let mut s = LineStats::new();
        s.count_document("a", ["Menu", "menu", "Text one", "Menu"]);
        s.count_document("a", ["MENU", "Text two"]);
        s.count_document("b", ["Menu"]);
        assert_eq!(s.documents("a"), 2);
        assert_eq!(s.document_frequency("a", line_key("Menu")), 2);
        assert_eq!(s.document_frequency("a", line_key("Text one")), 1);
        assert_eq!(s.document_frequency("b", line_key("Menu")), 1);
        assert_eq!(s.document_frequency("c", line_key("Menu")), 0);
    }

    #[test]
    fn counts_documents_once_after_loading_merging_and_wrapping() {
        let menu = line_key("Menu");
        let mut a = LineStats::new();
        a.count_document("s", ["Menu", "Menu", "Text"]);
        // Loaded counts carry no marks: the next document counts its lines.
        let mut b = LineStats::from_bytes(&a.to_bytes()).unwrap();
        b.count_document("s", ["Menu", "menu", "Other"]);
        assert_eq!(b.document_frequency("s", menu), 2);
        // Merged either way round (the smaller table goes into the larger).
        b += a.clone();
        b.count_document("s", ["MENU", "Menu"]);
        assert_eq!(b.document_frequency("s", menu), 4);
        let mut small = LineStats::new();
        small.count_document("s", ["Menu"]);
        small += b.clone();
        small.count_document("s", ["Menu", "Menu"]);
        assert_eq!(small.document_frequency("s", menu), 6);
        assert_eq!(small.documents("s"), 6);
        // The serials wrap without mistaking an old document for the new one.
        let counts = small.scopes.get_mut("s").unwrap();
        counts.serial = u32::MAX - 1;
        // As if last counted in document 1, 2^32 - 2 documents ago.
        counts.lines.get_mut(&menu).unwrap().seen = 1;
        small.count_document("s", ["Text"]);
        small.count_document("s", ["Menu", "Menu"]);
        assert_eq!(small.scopes["s"].serial, 1);
        assert_eq!(small.document_frequency("s", menu), 7);
    }

    fn sample(scope: &str, docs: &[&[&str]]) -> LineStats {
        let mut s = LineStats::new();
        for d in docs {
            s.count_document(scope, d.iter().copied());
        }
        s
    }

    #[test]
    fn merging_is_commutative_and_matches_counting_together() {
        let a = sample("x", &[&["Home", "One"], &["Home", "Two"]]);
        let b = sample("x", &[&["Home", "Three"]]);
        let c = sample("y", &[&["Home"]]);
        let mut ab = a.clone();
        ab += &b;
        ab += &c;
        let mut ba = c.clone();
        ba += b.clone();
        ba += &a;
        assert_eq!(ab, ba);
        assert_eq!(ab.to_bytes(), ba.to_bytes());
        let mut all = sample(
            "x",
            &[&["Home", "One"], &["Home", "Two"], &["Home", "Three"]],
        );
        all += &c;
        assert_eq!(ab, all);
        assert_eq!(ab.document_frequency("x", line_key("home")), 3);
    }

    #[test]
    fn save_and_load_round_trip() {
        let mut s = sample("site/a", &[&["Home", "Ünïcode 12"], &["Home"]]);
        s += sample("b", &[&["Other"]]);
        let bytes = s.to_bytes();
        assert_eq!(LineStats::from_bytes(&bytes).unwrap(), s);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("counts.bin");
        s.save(&path).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
        assert_eq!(LineStats::load(&path).unwrap(), s);
        assert_eq!(
            LineStats::from_bytes(&LineStats::new().to_bytes()).unwrap(),
            LineStats::new()
        );
    }

    #[test]
    fn damaged_files_are_refused_with_the_path() {
        let s = sample("a", &[&["Home", "Away"]]);
        let bytes = s.to_bytes();
        assert!(LineStats::from_bytes(&bytes[..bytes.len() - 1]).is_err());
        let err = LineStats::from_bytes(b"NOTSTATS\0\0\0\0").unwrap_err();
        assert!(err.contains("bad header"), "{err}");
        // Counts saved with other line keys (FNV-1a in BSLSTAT1, or a later version's)
        // are refused with the versions named, not misread.
        for other in [b"BSLSTAT1", b"BSLSTAT3", b"BSLSTAT0"] {
            let mut file = other.to_vec();
            file.extend_from_slice(&bytes[MAGIC.len()..]);
            let err = LineStats::from_bytes(&file).unwrap_err();
            let version = std::str::from_utf8(other).unwrap();
            assert!(
                err.contains(&format!(
                    "another boilerstrip version ({version}; this one reads BSLSTAT2)"
                )),
                "{err}"
            );
        }
        let mut long = bytes.clone();
        long.push(0);
        assert!(LineStats::from_bytes(&long).is_err());
        let err = LineStats::load(Path::new("/nonexistent/counts.bin")).unwrap_err();
        assert!(err
            .to_string()
            .starts_with("/nonexistent/counts.bin: cannot read"));
    }

    #[test]
    fn threshold_takes_the_larger_of_count_and_share() {
        let t = Threshold::default();
        assert_eq!(t.min_documents(3), 3);
        assert_eq!(t.min_documents(10), 3);
        assert_eq!(t.min_documents(30), 3);
        assert_eq!(t.min_documents(31), 4);
        assert_eq!(t.min_documents(1000), 100);
        let loose = Threshold {
            min_docs: 0,
            min_share: 0.0,
        };
        assert_eq!(
            loose.min_documents(100),
            2,
            "one document is never a repeat"
        );
    }

    #[test]
    fn repeats_apply_the_threshold_of_the_scope() {
        let docs: Vec<Vec<String>> = (0..10)
            .map(|i| {
                let mut d = vec!["Home".to_string(), format!("Article {i} text")];
                if i < 2 {
                    d.push("Shared quote".into());
                }
                d
            })
            .collect();
        let mut s = LineStats::new();
        for d in &docs {
            s.count_document("site", d.iter().map(String::as_str));
        }
        let r = s.repeats("site", &Threshold::default()).unwrap();
        assert_eq!(r.min_documents(), 3);
        assert_eq!(r.documents("  HOME "), Some(10));
        // "Article N text" folds to one key: ten documents.
        assert_eq!(r.documents("Article 99 text"), Some(10));
        assert_eq!(r.documents("Shared quote"), None);
        // Counting or merging after a look-up counts: the repeated keys are made again.
        s.count_document("site", ["Shared quote"]);
        let r = s.repeats("site", &Threshold::default()).unwrap();
        assert_eq!(r.documents("Shared quote"), Some(3));
        let mut twice = s.clone();
        let _ = twice.repeats("site", &Threshold::default());
        twice.merge(&s);
        let r = twice.repeats("site", &Threshold::default()).unwrap();
        assert_eq!(r.min_documents(), 3);
        assert_eq!(r.documents("Shared quote"), Some(6));
        s.count_document("site", ["12", "* * *"]);
        s.count_document("site", ["7", "* * *"]);
        s.count_document("site", ["3", "* * *"]);
        let r = s.repeats("site", &Threshold::default()).unwrap();
        assert_eq!(s.document_frequency("site", line_key("1")), 3);
        assert_eq!(r.documents("1"), None, "no letters: never a repeat");
        assert_eq!(r.documents("* * *"), None);
        assert!(s.repeats("other", &Threshold::default()).is_none());
    }

    #[test]
    fn cleaner_drops_repeats_before_classifying() {
        let page = |i: usize| {
            let (town, work) = [
                ("Aldmere", "were cleaned"),
                ("Carrow", "needed new mortar"),
                ("Dunmore", "were rebuilt"),
                ("Fairlight", "had cracked"),
            ][i];
            format!(
                "Riverside Gazette\n\nParish notices and farming\n\nLetters to the editor\n\n\
                 Bridge number {i} reopens after a long repair\n\n\
                 The old bridge at {town} reopened this week after repairs that took most \
                 of the year, to the relief of traders on both banks.\n\n\
                 Engineers said the stone arches {work}, and that the bridge should last \
                 for another century if heavy lorries keep away.\n"
            )
        };
        let mut stats = LineStats::new();
        for i in 0..4 {
            stats.count_bytes("s", page(i).as_bytes()).unwrap();
        }
        let cleaner = crate::Cleaner::new(crate::Config::default()).unwrap();
        let cleaned = cleaner
            .clean_with_stats(page(0).as_bytes(), &stats, "s")
            .unwrap();
        let reasons: Vec<String> = cleaned
            .lines
            .iter()
            .map(|l| l.verdict.reason.to_string())
            .collect();
        assert_eq!(
            reasons[..3],
            ["repeated-across-documents:4"; 3],
            "{reasons:?}"
        );
        // The headline differs only in its digits, so it folds to a repeated key too.
        assert_eq!(reasons[3], "repeated-across-documents:4");
        assert!(
            cleaned.text.starts_with("The old bridge at Aldmere"),
            "{}",
            cleaned.text
        );
        assert!(cleaned.text.contains("stone arches were cleaned"));
        // Another scope, or no stats: plain cleaning.
        let plain = cleaner.clean(page(0).as_bytes()).unwrap();
        let other = cleaner
            .clean_with_stats(page(0).as_bytes(), &stats, "t")
            .unwrap();
        assert_eq!(plain.lines, other.lines);
        assert!(plain
            .lines
            .iter()
            .all(|l| !matches!(l.verdict.reason, crate::Reason::Repeated { .. })));
    }

    #[test]
    fn scope_names_ignore_dot_and_trailing_slash() {
        assert_eq!(scope_name(Path::new("./pages/")), "pages");
        assert_eq!(scope_name(Path::new("pages/site")), "pages/site");
        assert_eq!(scope_name(Path::new("")), ".");
        assert_eq!(scope_name(Path::new("/data/x")), "/data/x");
    }
}
