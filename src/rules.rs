//! Known UI text ("Leave a Reply", "Get short URL", ...) as data: `rules/default.toml`
//! plus user rule files, compiled once into fast matchers.
//!
//! # Rule files
//!
//! A rule file is TOML with a list of `[[rule]]` tables:
//!
//! ```toml
//! [[rule]]
//! id = "comments.leave-a-reply"   # unique across all loaded files, `category.slug`
//! category = "comments"
//! languages = ["en"]              # documentation only; default ["*"]
//! scope = "line"                  # line (default), prefix, suffix or contains
//! phrases = ["Leave a Reply", "Leave a comment"]
//! # or, instead of phrases and scope:
//! # regex = '(?i)^...$'
//! max_words = 12                  # optional: only lines of at most this many words
//! max_chars = 80                  # optional: only lines of at most this many characters
//! note = "why this rule exists"   # optional, free text
//! ```
//!
//! Matching, on one trimmed line:
//! - `line`: the whole line is one of the phrases, compared case-insensitively after
//!   trimming punctuation and symbols at both ends (`»`, `:`, `|`, `…`, `*`, brackets)
//!   and a count at either end (`Comments (12)`, `3 Comments`).
//! - `prefix` / `suffix`: the line starts / ends with a phrase (after leading / trailing
//!   decoration such as `»`, `|`, `•`), on a word boundary.
//! - `contains`: a phrase occurs in the line, on word boundaries.
//! - `regex`: the regex matches the line as given (case-sensitive unless it says `(?i)`).
//!   Avoid `\b` in rule regexes: a Unicode word boundary makes the lazy DFA give up
//!   on non-ASCII text and the regex becomes ten times slower.
//! - Last, a short line made of several whole-line phrases glued together, with spaces
//!   or with no space at a lowercase-to-uppercase step (`Community standardsDiscussion`,
//!   `Skip to content Skip to site index`), matches the rule of its first piece; the
//!   last piece may also be a line that a `prefix` rule matches (`Image` + `Credit: X`).
//!
//! Word boundaries are not required next to CJK characters, which are written without
//! spaces. When several rules match, the order of the checks above decides; within a
//! check, the longest phrase wins for prefixes and suffixes, otherwise the first rule
//! in load order. A phrase listed by two rules of the same scope belongs to the first.
//!
//! Built-in rules load first, then each extra file in order. A rule id defined twice,
//! in one file or across files, is an error: a user file extends the built-in set, it
//! never silently replaces a rule (to change a built-in rule, load without the built-in
//! set and a modified copy of `rules/default.toml`).

mod fnv;
mod stored;
mod stored_header;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
use regex::Regex;
use regex_automata::dfa::{dense::DFA as DenseDfa, sparse::DFA as SparseDfa, Automaton};
use regex_automata::hybrid::dfa::{Cache as DfaCache, DFA as LazyDfa};
use regex_automata::nfa::thompson::{self, WhichCaptures};
use regex_automata::util::pool::Pool;
use regex_automata::Input as ReInput;
use regex_syntax::ast::{
    AssertionKind, Ast, ClassBracketed, ClassSet, ClassSetItem, ClassSetRange, ClassSetUnion, Flag,
    Flags as AstFlags, FlagsItemKind, GroupKind, Literal as AstLiteral, LiteralKind,
    RepetitionKind, RepetitionRange, Span,
};
use regex_syntax::hir::{
    Capture, Class, ClassBytes, ClassBytesRange, ClassUnicode, ClassUnicodeRange, Hir, HirKind,
    Repetition,
};
use regex_syntax::utf8::Utf8Sequences;
use serde::Deserialize;

use crate::segment::{
    is_alphanumeric, two_byte_case, two_byte_lowercase, CASE_LOWER, CASE_SPACE, CASE_UPPER,
};
use crate::swar::{
    chunk_word_starts, eq_bytes, eq_mask16, first_lane, fold_mul, lane_count, lanes_eq, lanes_in,
    tail_word, word_starts16, HIGH, LOW7, ONES,
};
use fnv::{fnv1a, FNV_START};

/// The built-in rules, embedded at compile time.
const BUILTIN: &str = include_str!("../rules/default.toml");
/// The origin named in errors about the built-in rules.
const BUILTIN_ORIGIN: &str = "built-in";
/// Lines with more bytes than this are never compared as whole-line phrases (glued or
/// not): UI labels are short, and skipping long lines keeps the common case cheap.
const KEY_LINE_MAX_BYTES: usize = 240;
/// Glued phrases are only looked for in lines of at most this many words.
const GLUE_MAX_WORDS: usize = 16;
/// At most this many glue points (spaces and case steps) are tried in one line.
const GLUE_MAX_BOUNDS: usize = 24;

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A rule file could not be read.
    #[error("cannot read rule file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A rule file is not valid.
    #[error("invalid rule file {origin}: {message}")]
    Invalid {
        /// The file (or `built-in`).
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// A rule that matched a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMatch<'a> {
    /// The rule's id, e.g. `comments.leave-a-reply`.
    pub id: &'a str,
    /// The rule's category, e.g. `comments`.
    pub category: &'a str,
}

/// One rule as written in a file, before validation.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(PartialEq))]
#[serde(deny_unknown_fields)]
struct RawRule<'a> {
    id: Option<String>,
    category: Option<String>,
    languages: Option<Vec<String>>,
    scope: Option<String>,
    /// Borrowed from the file's text by `parse_plain` when written without escapes
    /// (each is only read, to build its key or pattern: no copy of the thousands of
    /// built-in phrases); owned from the TOML parser.
    phrases: Option<Vec<Cow<'a, str>>>,
    regex: Option<String>,
    max_words: Option<usize>,
    max_chars: Option<usize>,
    #[allow(dead_code)] // free text for readers of the file
    note: Option<String>,
}

/// A rule file: `[[rule]]` tables.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(PartialEq))]
#[serde(deny_unknown_fields)]
struct RawFile<'a> {
    #[serde(default)]
    rule: Vec<RawRule<'a>>,
}

/// How a rule's phrases are compared with a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scope {
    Line,
    Prefix,
    Suffix,
    Contains,
    Regex,
}

/// A validated rule: what is needed to report and constrain a match.
#[derive(Debug)]
struct Rule {
    id: String,
    category: String,
    languages: Vec<String>,
    max_words: Option<usize>,
    max_chars: Option<usize>,
}

/// Phrases of one scope in one automaton, with the rule each pattern belongs to.
#[derive(Debug)]
struct PhraseMatcher {
    /// How the phrases are found: a trie for the anchored scopes (prefix, suffix), an
    /// automaton for `contains`.
    search: PhraseSearch,
    /// The patterns, for tests that compare the search with a reference.
    #[cfg(test)]
    patterns: Vec<String>,
    /// Rule index of each pattern, a little-endian `u32` each (see [`Table`]).
    rule_of: Table<[u8]>,
    /// Whether a pattern starts / ends with a character that needs a word boundary, a
    /// byte each (0 or 1).
    word_start: Table<[u8]>,
    word_end: Table<[u8]>,
    /// The longest pattern, in characters.
    max_chars: usize,
    /// The longest phrase, in bytes.
    max_bytes: usize,
    /// Lines with more words than this cannot match any rule of this matcher.
    gate_words: usize,
    /// For `contains`: an exact pre-test run before the automaton.
    grams: Option<GramFilter>,
}

/// The search structure of one scope.
#[derive(Debug)]
enum PhraseSearch {
    /// Prefix and suffix phrases, searched only at the start of the (reversed) text.
    Anchored(PhraseTrie),
    /// `contains` phrases, built over lowercased phrases, ASCII-case-insensitive so
    /// that lines need no lowercasing. Searched only for phrase lists without a
    /// `GramFilter` (one phrase under four bytes): with one, the filter's trie lists the
    /// hits (`GramFilter::each_hit`). For the built-in set alone, built on first use
    /// (the build costs as much as cleaning a small page); with a user's file, at
    /// load, so that an error is reported then.
    Anywhere(Phrases, OnceLock<AhoCorasick>),
}

/// The `contains` phrases an automaton is built from: the list `compile` made, or the
/// stored set's bytes of it, parsed at their first use. The built-in phrases have a
/// filter and build no automaton: parsing them into strings at every start was some 300
/// small allocations.
enum Phrases {
    Own(Box<[String]>),
    Stored(&'static [u8], OnceLock<Box<[String]>>),
}

impl Phrases {
    /// The phrases, in order.
    fn list(&self) -> &[String] {
        match self {
            Phrases::Own(list) => list,
            Phrases::Stored(bytes, list) => list.get_or_init(|| {
                // Stored only from trusted bytes (`stored::read`): the writer's list.
                stored::phrases(bytes)
                    .expect("the stored set's phrases parse")
                    .into_boxed_slice()
            }),
        }
    }
}

/// The phrases, whether own or stored (tests compare the two forms' `Debug`).
impl std::fmt::Debug for Phrases {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.list()).finish()
    }
}

/// A byte trie of lowercased phrases (reversed for suffixes), searched from the start of
/// a text with ASCII case ignored: the same answers as an anchored leftmost-longest
/// ASCII-case-insensitive Aho-Corasick automaton, whose build (failure transitions a
/// search from one fixed start never uses) cost more than cleaning a small page, and
/// whose search has a larger fixed cost than the few bytes a trie walk usually takes.
///
/// Its tables are little-endian bytes, read in place from the stored rules (see
/// [`Table`]).
#[derive(Debug)]
struct PhraseTrie {
    /// The root's child for each byte (`NO_NODE` if none), a `u32` each: most lines
    /// leave here.
    root: Table<[u8; 4 * 256]>,
    /// Per node (the root is node 0), numbered breadth-first so that each node's
    /// children are consecutive, two `u32`s: (its first child, the pattern that ends at
    /// it or `NO_NODE`). Its children run up to the next node's first child; one more
    /// entry after the last node closes the last range.
    nodes: Table<[u8]>,
    /// Per node, the byte of the edge into it (the root's is unused), then
    /// `LABEL_PAD` zeros: a node's children's bytes, side by side, are one 16-byte
    /// compare for up to sixteen children. A step reads two adjacent `nodes` entries and
    /// one block here, all in a few cache lines (the largest built-in trie fits in
    /// 54 KB), where a hashed edge table (16 bytes a slot, 256 KB for that trie) sent
    /// each step to a slot in L2 and the walk waited on it.
    labels: Table<[u8]>,
}

/// A table of the rules: read in place from the stored rules' bytes (`rules/default.rules`,
/// part of the binary), or made at load (a user's rules, the tests). Copying the stored
/// tries and bit tables into the heap cost every process some 70 page faults of fresh
/// memory (of 300 in a one-page run: 45 for the phrase tries and gram tables, 24 for the
/// whole-line keys' head and key-end tables) for tables most of which a page never reads;
/// read in place, only the pages a lookup touches are read in from the binary.
enum Table<T: ?Sized + 'static> {
    Stored(&'static T),
    Own(Box<T>),
}

/// The contents, whether own or stored (tests compare the two forms' `Debug`).
impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for Table<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

/// An empty table (of a rule set still being compiled).
impl Default for Table<[u8]> {
    fn default() -> Self {
        Table::Stored(&[])
    }
}

impl<T: ?Sized> std::ops::Deref for Table<T> {
    type Target = T;

    #[inline(always)]
    fn deref(&self) -> &T {
        match self {
            Table::Stored(t) => t,
            Table::Own(t) => t,
        }
    }
}

/// The `k`th little-endian `u32` of `b`.
#[inline(always)]
fn le_u32(b: &[u8], k: usize) -> u32 {
    u32::from_le_bytes(b[4 * k..4 * k + 4].try_into().expect("four bytes"))
}

/// Whether bit `h` of the bit table `bits` is set (bit `h % 8` of byte `h / 8`: the bits
/// of little-endian `u64` words, as the tables are stored).
#[inline(always)]
fn bit_set(bits: &[u8], h: usize) -> bool {
    bits[h >> 3] & (1 << (h & 7)) != 0
}

/// The bit table of the words `bits` (bit `h % 64` of word `h / 64` is bit `h` of the
/// table), as its little-endian bytes (see [`bit_set`]).
fn bit_table(bits: &[u64]) -> Table<[u8]> {
    Table::Own(bits.iter().flat_map(|w| w.to_le_bytes()).collect())
}

/// Sets bit `h` of the bit table `bits` (see [`bit_set`]).
fn set_bit(bits: &mut [u8], h: usize) {
    bits[h >> 3] |= 1 << (h & 7);
}

/// A zeroed table of `N` bytes on the heap.
fn zeroed<const N: usize>() -> Box<[u8; N]> {
    vec![0u8; N].into_boxed_slice().try_into().expect("N bytes")
}

/// No node, or no pattern.
const NO_NODE: u32 = u32::MAX;
/// The zeros after [`PhraseTrie::labels`]: a 16-byte block from any child range's
/// start is in bounds.
const LABEL_PAD: usize = 16;

impl PhraseTrie {
    /// The trie of `patterns` (distinct, not empty, no uppercase ASCII letter).
    fn new(patterns: &[String]) -> PhraseTrie {
        // The patterns in byte order: each shares with the one before it the path of
        // their common prefix, so nodes are made without searching child lists.
        // Sorted with the bytes beside each index (no lookup through `patterns` per
        // comparison); equal patterns stay in index order. Each leads with its first
        // eight bytes as a big-endian number, zero-padded: numbers in the bytes' order,
        // which decide most comparisons without a call to compare slices (the sort cost
        // most of the build).
        let mut order: Vec<(u64, &[u8], u32)> = patterns
            .iter()
            .map(|p| {
                let p = p.as_bytes();
                let mut head = [0u8; 8];
                let n = p.len().min(8);
                head[..n].copy_from_slice(&p[..n]);
                (u64::from_be_bytes(head), p)
            })
            .zip(0..)
            .map(|((head, p), i)| (head, p, i))
            .collect();
        order.sort_unstable();
        // Numbered breadth first, so that each node's children are consecutive: by
        // depth, then in the patterns' order. Each pattern makes the nodes of its bytes
        // past its common prefix with the one before it (`common`); the nodes of each
        // depth are numbered in the order made, after those of the depths above.
        let longest = patterns.iter().map(String::len).max().unwrap_or(0);
        let mut common = Vec::with_capacity(order.len());
        // `next[d]`: the number of the next node of depth `d` (the root's children are
        // at depth 0); first the count of each depth.
        let mut next = vec![0u32; longest + 1];
        let mut prev: &[u8] = &[];
        for &(_, pattern, _) in &order {
            let c = pattern.iter().zip(prev).take_while(|(a, b)| a == b).count();
            common.push(c);
            for n in &mut next[c..pattern.len()] {
                *n += 1;
            }
            prev = pattern;
        }
        let mut count = 1;
        for n in &mut next {
            (*n, count) = (count, count + *n);
        }
        // One more entry after the last node closes the last range.
        let count = count as usize;
        let mut root = [NO_NODE; 256];
        let mut labels = vec![0u8; count + LABEL_PAD].into_boxed_slice();
        let mut nodes = vec![(count as u32, NO_NODE); count + 1].into_boxed_slice();
        nodes[0].0 = 1;
        // The nodes along the current pattern, by depth.
        let mut path = vec![0u32; longest];
        for (&(_, pattern, p), &c) in order.iter().zip(&common) {
            for (d, &b) in pattern.iter().enumerate().skip(c) {
                let node = next[d];
                next[d] += 1;
                // Its children are the next nodes of the depth below: the patterns
                // that make them, which share its path, come before any that make
                // another node of its depth (and a node without children leaves
                // the next one there for its successor).
                nodes[node as usize].0 = next[d + 1];
                labels[node as usize] = b;
                path[d] = node;
                if d == 0 {
                    root[usize::from(b)] = node;
                }
            }
            // Equal patterns are ordered by index: the first one keeps the node.
            if let Some(&node) = path[..pattern.len()].last() {
                let end = &mut nodes[node as usize].1;
                if *end == NO_NODE {
                    *end = p;
                }
            }
        }
        // As stored: little-endian bytes.
        let mut root_bytes = zeroed::<{ 4 * 256 }>();
        for (b, r) in root_bytes.chunks_exact_mut(4).zip(root) {
            b.copy_from_slice(&r.to_le_bytes());
        }
        let node_bytes: Vec<u8> = nodes
            .iter()
            .flat_map(|&(a, b)| a.to_le_bytes().into_iter().chain(b.to_le_bytes()))
            .collect();
        PhraseTrie {
            root: Table::Own(root_bytes),
            nodes: Table::Own(node_bytes.into_boxed_slice()),
            labels: Table::Own(labels),
        }
    }

    /// Node `node`'s (first child, pattern that ends at it), and the next node's first
    /// child (where its children end).
    #[inline(always)]
    fn node(nodes: &[u8], node: u32) -> (u32, u32, u32) {
        let at = 8 * node as usize;
        let b = &nodes[at..at + 12];
        (le_u32(b, 0), le_u32(b, 1), le_u32(b, 2))
    }

    /// The child of `node` (not the root) along byte `b` (already ASCII-lowercased),
    /// `NO_NODE` if none: the one of its children `first..end` whose label is `b`.
    #[inline(always)]
    fn child(labels: &[u8], first: u32, end: u32, b: u8) -> u32 {
        let (mut at, end) = (first as usize, end as usize);
        // One child (most nodes past the first level): its byte alone decides, a load
        // and a compare where the block compare's chain is longer.
        if end == at + 1 {
            return if labels[at] == b { first } else { NO_NODE };
        }
        while at < end {
            let block = labels[at..at + LABEL_PAD].try_into().expect("16 bytes");
            let mut hits = crate::swar::eq_mask16(block, b);
            // Bytes past `end` are other nodes' children (or the padding).
            if end - at < LABEL_PAD {
                hits &= (1 << (end - at)) - 1;
            }
            if hits != 0 {
                return (at + hits.trailing_zeros() as usize) as u32;
            }
            at += LABEL_PAD;
        }
        NO_NODE
    }

    /// Whether the walk over `hay` (ASCII case ignored) leaves the trie before its
    /// end without passing a pattern's end: then no pattern starts any text that
    /// starts with `hay`.
    fn leaves_within(&self, hay: &[u8]) -> bool {
        matches!(self.walk(hay.iter().copied()), (None, true))
    }

    /// Whether some pattern starts `hay`, ASCII case ignored.
    fn starts(&self, hay: &[u8]) -> bool {
        self.walk(hay.iter().copied()).0.is_some()
    }

    /// The longest pattern that starts the bytes `hay` yields, ASCII case ignored:
    /// (pattern, its end).
    #[inline]
    fn longest_of(&self, hay: impl Iterator<Item = u8>) -> Option<(usize, usize)> {
        self.walk(hay).0
    }

    /// Every pattern that starts `hay`, ASCII case ignored, shortest first: `hit(pattern,
    /// its end)`.
    fn each_start(&self, hay: &[u8], hit: impl FnMut(usize, usize)) {
        self.walk_each(hay.iter().copied(), hit);
    }

    /// The one walk of the three questions above: from the root along the bytes `hay`
    /// yields (ASCII-lowercased) until they end or the trie does. The longest pattern
    /// passed (pattern, its end), and whether the walk left the trie.
    #[inline(always)]
    fn walk(&self, hay: impl Iterator<Item = u8>) -> (Option<(usize, usize)>, bool) {
        let mut best = None;
        let left = self.walk_each(hay, |pattern, end| best = Some((pattern, end)));
        (best, left)
    }

    /// The walk of [`PhraseTrie::walk`], with `hit(pattern, its end)` for each pattern
    /// passed (shortest first); whether the walk left the trie before the bytes ended.
    #[inline(always)]
    fn walk_each(
        &self,
        mut hay: impl Iterator<Item = u8>,
        mut hit: impl FnMut(usize, usize),
    ) -> bool {
        let Some(first) = hay.next() else {
            return false;
        };
        let mut node = le_u32(&*self.root, usize::from(first.to_ascii_lowercase()));
        let (nodes, labels) = (&*self.nodes, &*self.labels);
        let mut i = 1;
        while node != NO_NODE {
            let (first, pattern, end) = Self::node(nodes, node);
            if pattern != NO_NODE {
                hit(pattern as usize, i);
            }
            let Some(b) = hay.next() else {
                return false;
            };
            node = Self::child(labels, first, end, b.to_ascii_lowercase());
            i += 1;
        }
        true
    }
}

/// An exact pre-test for unanchored phrase searches: the set of the phrases' first `width`
/// bytes, ASCII-case-folded, hashed into a bit table. A line where no `width`-byte window
/// hashes into the set holds no phrase; one pass of a few instructions per byte says so,
/// where the automaton costs several times more (and a DFA, faster to search, costs
/// more to build than cleaning a small page).
#[derive(Debug)]
struct GramFilter {
    /// How many leading bytes of each phrase are hashed (4 to 8).
    width: usize,
    /// Keeps the low `width` bytes of a window.
    mask: u64,
    /// The bit table of the hashed heads (see [`bit_set`]).
    bits: Table<[u8; 1 << (GRAM_BITS - 3)]>,
    /// The distance between sampled 4-byte windows: the shortest phrase less 3 (at
    /// most 8), so that each occurrence of a phrase holds one sampled window whole.
    step: usize,
    /// The 4-byte windows at offsets `0..step` of every phrase, case-folded, hashed
    /// into a bit table: only a sampled window found there sends the up to `step`
    /// phrase starts that hold it to the `bits` test, so most lines cost a probe per
    /// `step` bytes instead of one per byte.
    quads: Table<[u8; 1 << (QUAD_BITS - 3)]>,
    /// The phrases (ASCII lowercased) as an anchored trie: a walk from each start that passes
    /// both tables says exactly whether a phrase starts there, for less than one search
    /// of the whole line by the automaton.
    trie: PhraseTrie,
}

/// Bits of the [`GramFilter`] hash (a 32 KB table).
const GRAM_BITS: u32 = 18;
/// Bit 0x20 of every byte of a window.
const FOLD: u64 = 0x2020_2020_2020_2020;
/// Bits of the [`GramFilter`] sampled-window hash (a 2 KB table).
const QUAD_BITS: u32 = 14;

impl GramFilter {
    /// The filter of `patterns`, or `None` if one is shorter than 4 bytes.
    fn new(patterns: &[String]) -> Option<GramFilter> {
        let width = patterns.iter().map(String::len).min()?.min(8);
        if width < 4 {
            return None;
        }
        let mask = if width >= 8 {
            u64::MAX
        } else {
            (1u64 << (8 * width)) - 1
        };
        // Fixed-size tables: a hash is always in range, so no probe tests bounds.
        let mut bits = zeroed::<{ 1 << (GRAM_BITS - 3) }>();
        for p in patterns {
            let h = Self::hash(Self::padded(p.as_bytes()) & mask);
            set_bit(&mut *bits, h);
        }
        let shortest = patterns.iter().map(String::len).min()?;
        let step = (shortest - 3).min(8);
        let mut quads = zeroed::<{ 1 << (QUAD_BITS - 3) }>();
        for p in patterns {
            for o in 0..step {
                let w = p.as_bytes()[o..o + 4].try_into().expect("four bytes");
                let h = Self::quad_hash(Self::quad(w));
                set_bit(&mut *quads, h);
            }
        }
        Some(GramFilter {
            width,
            mask,
            bits: Table::Own(bits),
            step,
            quads: Table::Own(quads),
            // The patterns are in ASCII lowercase (as `compile` adds them).
            trie: PhraseTrie::new(patterns),
        })
    }

    /// Four bytes as one value, case-folded like `padded`.
    #[inline]
    fn quad(w: [u8; 4]) -> u32 {
        u32::from_le_bytes(w) | 0x2020_2020
    }

    #[inline]
    fn quad_hash(x: u32) -> usize {
        (u64::from(x).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - QUAD_BITS)) as usize
    }

    /// Whether the window of `b` at `at` is the head of a phrase (by the hash).
    #[inline]
    fn head_at(&self, b: &[u8], at: usize) -> bool {
        let x = match b.get(at..at + 8) {
            Some(w) => u64::from_le_bytes(w.try_into().expect("eight bytes")) | FOLD,
            None => Self::padded(&b[at..]),
        };
        let h = Self::hash(x & self.mask);
        bit_set(&*self.bits, h)
    }

    /// The first 8 bytes of `b` (zero-padded), with bit 0x20 set in each: the ASCII case
    /// folding of the automaton maps a byte only to its other case, which has the same
    /// value with that bit set.
    #[inline]
    fn padded(b: &[u8]) -> u64 {
        let mut buf = [0u8; 8];
        let n = b.len().min(8);
        buf[..n].copy_from_slice(&b[..n]);
        u64::from_le_bytes(buf) | FOLD
    }

    #[inline]
    fn hash(x: u64) -> usize {
        (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - GRAM_BITS)) as usize
    }

    /// False when no phrase can occur in `hay`. A phrase at `p` (at least `step + 3`
    /// bytes) holds whole the sampled window at the multiple of `step` in
    /// `p..p + step`, at an offset below `step` of the phrase: that window is in
    /// `quads`, and the window at `p` in `bits`.
    #[cfg(test)]
    fn may_match(&self, hay: &str) -> bool {
        self.search(hay, |_| true)
    }

    /// Whether a phrase occurs in `hay` (ASCII case ignored): the automaton's
    /// `is_match`, with the trie walked only from the starts `may_match` lets through.
    fn finds(&self, hay: &str) -> bool {
        self.search(hay, |p| self.trie.starts(&hay.as_bytes()[p..]))
    }

    /// Every occurrence of a phrase in `hay`, ASCII case ignored, overlapping ones too:
    /// `hit(pattern, start, end)`. The automaton's overlapping search, from the trie walked
    /// at each start whose window is a phrase's head (for the few lines `finds` lets
    /// through): no automaton to build, which was 6% of the instructions of a process
    /// cleaning one page, on average over the benchmark pages.
    fn each_hit(&self, hay: &str, mut hit: impl FnMut(usize, usize, usize)) {
        let b = hay.as_bytes();
        for p in 0..b.len() {
            if self.head_at(b, p) {
                self.trie
                    .each_start(&b[p..], |pattern, len| hit(pattern, p, p + len));
            }
        }
    }

    /// Whether `at(p)` holds for a start `p` that passes both tables.
    #[inline]
    fn search(&self, hay: &str, at: impl Fn(usize) -> bool) -> bool {
        let b = hay.as_bytes();
        if b.len() < self.width {
            return false;
        }
        // The text from the sampled window on (at `s`, a multiple of `step`): its first
        // four bytes are the window, and the test that they are there is the only one
        // per step (no separate bounds tests of `s` and `s + 4`).
        let mut rest = b;
        let quads: &[u8; 1 << (QUAD_BITS - 3)] = &self.quads;
        while let Some(&w) = rest.first_chunk::<4>() {
            let h = Self::quad_hash(Self::quad(w));
            if bit_set(quads, h) {
                let s = b.len() - rest.len();
                if (s.saturating_sub(self.step - 1)..=s).any(|p| self.head_at(b, p) && at(p)) {
                    return true;
                }
            }
            match rest.get(self.step..) {
                Some(r) => rest = r,
                None => break,
            }
        }
        false
    }
}

/// A regex rule, compiled on first use: compiling the built-in regexes (large Unicode
/// classes and alternations) costs far more than cleaning a typical page, and most of
/// them never run on a given page because their pre-checks fail. A user's regexes are
/// compiled at load time, so that a bad one is reported before any file is cleaned; the
/// built-in ones are known to compile (a test compiles each).
#[derive(Debug)]
struct RegexRule {
    /// The pattern, kept for the lazy compile.
    src: Box<str>,
    /// The parsed pattern, shared by the automata below (parsing large Unicode classes
    /// under `(?i)` costs about as much as building an automaton); a built-in rule's
    /// narrowed automata come from its syntax tree instead (`narrow_ast`).
    hir: OnceLock<Option<Hir>>,
    /// The full regex: compiled at load for user rules; for built-in rules only if the
    /// forward automaton below cannot be built or gives up on a line.
    re: OnceLock<Regex>,
    /// A forward-only lazy DFA of the pattern without capture states: a match test
    /// needs nothing more, and it compiles about twice as fast as `Regex` (which also
    /// builds a reverse automaton, capture-aware engines and literal prefilters).
    /// `None` if it fails to build (then `re` serves every line).
    fwd: OnceLock<Option<Forward>>,
    /// The same with every class narrowed to `NARROW` (the scripts and punctuation of
    /// most lines), for lines made only of `NARROW` characters: on such a line it
    /// matches exactly when `re` does, since every character it could match is in
    /// `NARROW`, and it compiles several times faster (UTF-8 automata for `\w`, `\p{L}`
    /// and case folding over all of Unicode are large). `None` if it fails to build.
    narrow: OnceLock<Option<Forward>>,
    /// The same narrowed to ASCII, for ASCII lines (most lines): its classes are a
    /// few byte ranges, so it compiles several times faster again.
    ascii: OnceLock<Option<Forward>>,
    /// The same narrowed to `WIDE`, for the other lines of `WIDE` characters (Chinese,
    /// Japanese and Korean text, symbols): their characters fold with no other, so
    /// such a line folds as a `NARROW` one does, and `(?i)` words still compile to
    /// plain strings, where the whole pattern case-folds every class and letter over
    /// all of Unicode.
    wide: OnceLock<Option<Forward>>,
    /// Whether the narrowed automata come from the syntax tree (built-in rules, which a
    /// test checks against their full regex) rather than from the whole parsed pattern.
    from_ast: bool,
    rule: u32,
    /// The rule's word limit (`usize::MAX` when it has none), checked before the regex.
    max_words: usize,
    /// Tests a line must pass for the regex to have a chance (built-in rules only).
    needs: &'static [Needs],
    /// The tests of `needs` that `gate` does not answer already (`implied_by_gate`):
    /// the ones run on a line that passed the gate and starts with a character that is
    /// not ASCII.
    checks: Box<[Needs]>,
    /// The ones run on a line that starts with an ASCII character (most lines): `checks`
    /// without the tests of that character that `first_bit` answers exactly
    /// (`Needs::answered_by_first_byte`). Set with `first_bit` (the first `BIT_RULES` rules); past
    /// them, the same as `checks`. A second list, not a start index into `checks`: that
    /// order cost `match_line` 0.3M instructions per copy of the benchmark pages.
    ascii_first_checks: Box<[Needs]>,
    /// Byte sets the line must each meet for `needs` to hold (`Needs::clauses`): a
    /// few bit operations per rule against the line's `ByteSet` turn most lines away
    /// before any test looks at the text.
    gate: Box<[ByteSet]>,
    /// The bits of `gate`'s clauses in `RuleSet::regex_bytes` (see there).
    gate_bits: u64,
    /// Whether some clause of `gate` has no bit there (more than `HIT_CLAUSES` distinct clauses):
    /// then `gate` itself is checked against the line's `ByteSet`.
    gate_spill: bool,
    /// This rule's bit in `RuleSet::regex_first` (0 for a rule past the first
    /// `BIT_RULES`: no first-byte test).
    first_bit: u64,
    /// Bits of `RuleSet::regex_bytes` that rule a line out when present: one per
    /// `Needs::OnlyChars` or `AsciiOnlyChars` of the rule (the first `BIT_RULES` rules, while
    /// bits are left; an `AsciiOnlyChars` so answered leaves the checks, an `OnlyChars`
    /// becomes `NonAsciiOnlyChars` there), set by
    /// the ASCII bytes it does not allow, so that `regex_candidates` turns away, with
    /// no test run, a line holding one.
    forbid_bits: u64,
}

/// A forward-only automaton of a rule's pattern, for match tests.
struct Forward {
    engine: Engine,
    /// The syntax tree it was built from, if narrowed from one: kept, as freeing a large
    /// tree costs about as much as parsing it, and the built-in set is never freed.
    tree: Option<Ast>,
    /// Whether it runs on the line case-folded (`Lowered::folded`: an automaton of a
    /// pattern under `(?i)` throughout, see `Narrow::lower`; only lines of the
    /// characters it was narrowed to meet it).
    lower: bool,
}

/// The automaton of a [`Forward`].
enum Engine {
    /// A lazy DFA compiled at run time, and the search caches of the threads that use it.
    Lazy {
        dfa: LazyDfa,
        caches: Pool<DfaCache, Box<dyn Fn() -> DfaCache + Send + Sync>>,
    },
    /// A full DFA read from `DFA_BLOB`: nothing to compile, no cache, never gives up.
    Dense(DenseDfa<&'static [u32]>),
    /// The same, stored sparse where the dense table is large.
    Sparse(SparseDfa<&'static [u8]>),
    /// An automaton too large to store, behind a stored one of a wider pattern.
    Gated(Box<Gated>),
}

/// The automaton of a pattern narrowed to `keep` whose DFA is too large to store, behind
/// the stored DFA of its `relaxed` pattern (a superset of its matches, whose DFA is
/// small): a line the gate does not match cannot match, and the automaton itself is
/// compiled at the first line the gate lets through. Compiling it cost a process that
/// cleans one page about 0.7M instructions, on a page in four; on most pages no line
/// passes the gate.
struct Gated {
    /// The relaxed pattern's automaton: `Engine::Dense` or `Engine::Sparse`.
    gate: Engine,
    /// The pattern and what it is narrowed to, for the compile.
    src: Box<str>,
    keep: Keep,
    /// The automaton itself, once compiled (`None` if the lazy DFA cannot run it).
    full: OnceLock<Option<Forward>>,
}

impl std::fmt::Debug for Forward {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Forward").finish_non_exhaustive()
    }
}

impl Forward {
    /// Compiles `hir` (no captures, forward only); `None` if the lazy DFA cannot
    /// handle it (e.g. a Unicode word boundary).
    fn new(hir: &Hir) -> Option<Forward> {
        let dfa = LazyDfa::builder().build_from_nfa(forward_nfa(hir)?).ok()?;
        let for_pool = dfa.clone();
        Some(Forward {
            engine: Engine::Lazy {
                dfa,
                caches: Pool::new(Box::new(move || for_pool.create_cache())),
            },
            tree: None,
            lower: false,
        })
    }

    /// Whether it was compiled at run time (rather than read from `DFA_BLOB`).
    fn is_lazy(&self) -> bool {
        matches!(self.engine, Engine::Lazy { .. })
    }

    /// Whether the pattern matches somewhere in the line of `lowered`; `None` if the
    /// lazy DFA gave up (the caller then asks the full regex). The line's case-folded
    /// copy is made by the first automaton that needs it and reused by the next ones.
    fn is_match(&self, lowered: &mut Lowered) -> Option<bool> {
        if self.lower {
            self.search(lowered.folded())
        } else {
            self.search(lowered.line)
        }
    }

    /// `is_match` on `line` as it is.
    fn search(&self, line: &str) -> Option<bool> {
        self.engine.search(line)
    }
}

impl Engine {
    /// Whether the automaton matches somewhere in `line`; `None` if a lazy DFA gave up.
    fn search(&self, line: &str) -> Option<bool> {
        let input = ReInput::new(line).earliest(true);
        let found = match self {
            Engine::Lazy { dfa, caches } => dfa.try_search_fwd(&mut caches.get(), &input),
            Engine::Dense(dfa) => dfa.try_search_fwd(&input),
            Engine::Sparse(dfa) => dfa.try_search_fwd(&input),
            Engine::Gated(g) => {
                if g.gate.search(line) == Some(false) {
                    return Some(false);
                }
                let full = g.full.get_or_init(|| {
                    // Built from the same narrowed tree as the gate: runs on the same
                    // (folded or not) line.
                    narrowed_from_ast(&g.src, g.keep).flatten()
                });
                return full.as_ref()?.search(line);
            }
        };
        found.ok().map(|m| m.is_some())
    }
}

/// The forward NFA of `hir` without capture states (a match test needs none), which
/// both the lazy DFAs and the precompiled ones are built from.
fn forward_nfa(hir: &Hir) -> Option<thompson::NFA> {
    thompson::Compiler::new()
        .configure(thompson::Config::new().which_captures(WhichCaptures::None))
        .build_from_hir(hir)
        .ok()
}

/// Bytes aligned for the DFA tables read from them in place (`u32` transitions).
#[repr(C, align(8))]
struct Aligned<B: ?Sized>(B);

/// The built-in rules' narrowed automata (`RegexRule::ascii`, `narrow` and `wide`) built
/// ahead of time as full DFAs, so that a process cleaning one page reads them rather
/// than compiling them (the compile was most of such a run). Written by the test
/// `builtin_dfa_blob_is_current`, which fails when the file is stale: after editing a
/// regex in `rules/default.toml`, the narrowing code or the regex crates, regenerate it
/// with `make rules-dfa` (`BOILERSTRIP_WRITE_DFA=1 cargo test --release --lib
/// builtin_dfa_blob`). Entries are keyed by pattern and character set (`dfa_key`): an
/// edited rule finds none and compiles its automata at run time as before, so a stale
/// file costs time, not a wrong match. Automata too large to store (see the limits in
/// the test) are compiled at run time too, behind the stored DFA of a wider pattern
/// (`Gated`) when that one is small enough.
///
/// Layout (little-endian): `DFA_MAGIC`, the entry count (u32), four bytes of padding,
/// then per entry its key (u64), offset and length in the file (u32 each), kind (0 dense,
/// 1 sparse), `Forward::lower` (0 or 1), whether it is a gate (`Gated`: 0 or 1) and five
/// bytes of padding; then the DFAs'
/// little-endian serializations, each at an offset that is a multiple of 8; last, the
/// FNV-1a sum of all the bytes before it (u64), which build.rs checks (`DFA_BLOB_INTACT`).
static DFA_BLOB: &Aligned<[u8]> = &Aligned(*include_bytes!("../rules/default.dfa"));

// `DFA_BLOB_INTACT`: whether build.rs found `DFA_BLOB`'s sum right, so that its tables are
// read without the checked readers' checks.
include!(concat!(env!("OUT_DIR"), "/dfa_blob.rs"));

/// The first bytes of `DFA_BLOB`; the last one is the layout's version.
const DFA_MAGIC: [u8; 8] = *b"bsdfa\0\0\x03";

/// The bytes of an entry of `DFA_BLOB`'s table.
const DFA_ENTRY: usize = 24;

/// Changes every key of `DFA_BLOB`: bumped when the meaning of a narrowed automaton
/// changes in a way its pattern and character ranges do not show (how lines are
/// folded, say), so that an old file is not used before it is regenerated.
const DFA_KEY_VERSION: u32 = 1;

/// The key of the automaton of `src` narrowed to `keep` in `DFA_BLOB`: FNV-1a (the same
/// on every platform and toolchain, unlike std's hashers) of `DFA_KEY_VERSION`, the
/// ranges of `keep` and the pattern.
fn dfa_key(src: &str, keep: Keep) -> u64 {
    let mut h = fnv1a(FNV_START, &DFA_KEY_VERSION.to_le_bytes());
    for &(lo, hi) in keep.ranges() {
        h = fnv1a(h, &u32::from(lo).to_le_bytes());
        h = fnv1a(h, &u32::from(hi).to_le_bytes());
    }
    fnv1a(h, src.as_bytes())
}

/// The automaton of `src` narrowed to `keep` read from `DFA_BLOB`, if it holds one under
/// its key (or its gate, see `Gated`). Big-endian targets compile every automaton (the file holds little-endian
/// tables).
fn precompiled(src: &str, keep: Keep) -> Option<Forward> {
    let read = if DFA_BLOB_INTACT {
        Read::Trusted
    } else {
        Read::Checked
    };
    precompiled_in(&DFA_BLOB.0, src, keep, read)
}

/// How `precompiled_in` reads a table.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Read {
    /// With regex-automata's checked reader, which refuses a damaged table: it checks
    /// every transition against a set of the states, which cost a process cleaning one
    /// page about as much as the rest of its work on the page.
    Checked,
    /// Without those checks: only for `DFA_BLOB` when build.rs found its sum right.
    Trusted,
}

/// `precompiled` from `blob` (the layout of `DFA_BLOB`).
fn precompiled_in(blob: &'static [u8], src: &str, keep: Keep, read: Read) -> Option<Forward> {
    if cfg!(target_endian = "big") {
        return None;
    }
    let key = dfa_key(src, keep);
    let entry = dfa_entries(blob).find(|e| e.key == key)?;
    let bytes = blob.get(entry.offset..entry.offset.checked_add(entry.len)?)?;
    let engine = match (entry.kind, read) {
        (0, Read::Checked) => Engine::Dense(DenseDfa::from_bytes(bytes).ok()?.0),
        (1, Read::Checked) => Engine::Sparse(SparseDfa::from_bytes(bytes).ok()?.0),
        // SAFETY: `read` is `Trusted` only for `DFA_BLOB` and only when build.rs found the
        // file's sum right (`DFA_BLOB_INTACT`): these are the bytes `builtin_dfa_blob`
        // wrote, tables that regex-automata built and serialized itself, which is what
        // the unchecked readers require. They still check the label, endianness, format
        // version and alignment, and `stored_automata_pass_the_checked_reader` reads
        // every table with the checked readers.
        (0, Read::Trusted) => {
            Engine::Dense(unsafe { DenseDfa::from_bytes_unchecked(bytes) }.ok()?.0)
        }
        (1, Read::Trusted) => {
            Engine::Sparse(unsafe { SparseDfa::from_bytes_unchecked(bytes) }.ok()?.0)
        }
        _ => return None,
    };
    let engine = if entry.gate {
        Engine::Gated(Box::new(Gated {
            gate: engine,
            src: src.into(),
            keep,
            full: OnceLock::new(),
        }))
    } else {
        engine
    };
    Some(Forward {
        engine,
        tree: None,
        lower: entry.lower,
    })
}

/// An entry of the table at the start of `DFA_BLOB` (see its layout).
struct DfaEntry {
    key: u64,
    /// Where its DFA's bytes are in the file, and how many.
    offset: usize,
    len: usize,
    /// 0: dense, 1: sparse.
    kind: u8,
    /// `Forward::lower`.
    lower: bool,
    /// Whether it is the DFA of the `relaxed` pattern, a gate (`Gated`), rather than of
    /// the pattern.
    gate: bool,
}

/// The entries of `blob` (the layout of `DFA_BLOB`) in their order; none without its magic,
/// and only those whole in a table cut short.
fn dfa_entries(blob: &[u8]) -> impl Iterator<Item = DfaEntry> + '_ {
    let u32_at = |b: &[u8], at: usize| -> Option<usize> {
        let word = b.get(at..at + 4)?;
        usize::try_from(u32::from_le_bytes(word.try_into().ok()?)).ok()
    };
    let count = match blob.get(..8) {
        Some(magic) if magic == DFA_MAGIC => u32_at(blob, 8).unwrap_or(0),
        _ => 0,
    };
    (0..count).map_while(move |i| {
        let e = blob.get(16 + i * DFA_ENTRY..)?.get(..DFA_ENTRY)?;
        Some(DfaEntry {
            key: u64::from_le_bytes(e[..8].try_into().ok()?),
            offset: u32_at(e, 8)?,
            len: u32_at(e, 12)?,
            kind: e[16],
            lower: e[17] == 1,
            gate: e[18] == 1,
        })
    })
}

/// A line and its case-folded copy, made at most once for every `Forward::lower`
/// automaton that runs on it (copying and folding it for each cost as much as their
/// searches). The copy holds `fold_rep` of each character: past ASCII the lowest code
/// point of its fold class, often the capital rather than the lowercase letter (`ι`
/// becomes U+0345). Made for one line, so no copy of another line can be taken for it;
/// the buffer is borrowed, so that lines reuse its room.
struct Lowered<'a> {
    line: &'a str,
    buf: &'a mut String,
    /// Whether `line` is all ASCII (known to the caller: testing it again costs a pass).
    ascii: bool,
    /// Whether `buf` holds `line` folded.
    done: bool,
}

impl<'a> Lowered<'a> {
    /// `line`, which is all ASCII if `ascii`, with `buf` as room for its copy (whatever
    /// `buf` holds is dropped).
    fn new(line: &'a str, buf: &'a mut String, ascii: bool) -> Lowered<'a> {
        Lowered {
            line,
            buf,
            ascii,
            done: false,
        }
    }

    /// The line with each character replaced by `fold_rep` of it (ASCII-lowercased, for
    /// an ASCII line): made on the first call, then reused. Only automata narrowed to
    /// `ASCII`, `NARROW` or `WIDE` ask for it, so only on lines of `WIDE` characters
    /// (`narrow_fold` leaves those past `NARROW` as they are: they fold with no other).
    fn folded(&mut self) -> &str {
        if !self.done {
            self.buf.clear();
            if self.ascii {
                self.buf.push_str(self.line);
                self.buf.make_ascii_lowercase();
            } else {
                self.buf.extend(self.line.chars().map(narrow_fold));
            }
            self.done = true;
        }
        self.buf
    }
}

impl RegexRule {
    /// The rule `id` (number `rule`, word limit `max_words`) of pattern `src`, its regex
    /// `re` compiled already or left to first use; a built-in rule (`builtin`) gets its
    /// tests (`builtin_needs`). Its bits in the set's tables are given by
    /// `index_regex_gates`, once all regex rules are in.
    fn new(
        src: Box<str>,
        re: OnceLock<Regex>,
        builtin: bool,
        id: &str,
        rule: u32,
        max_words: usize,
    ) -> RegexRule {
        let needs = if builtin { builtin_needs(id) } else { &[] };
        RegexRule {
            src,
            hir: OnceLock::new(),
            re,
            fwd: OnceLock::new(),
            narrow: OnceLock::new(),
            ascii: OnceLock::new(),
            wide: OnceLock::new(),
            from_ast: builtin,
            rule,
            max_words,
            needs,
            checks: needs
                .iter()
                .filter(|n| !n.implied_by_gate())
                .copied()
                .collect(),
            // Made with `first_bit`, by `index_regex_gates`.
            ascii_first_checks: Box::default(),
            gate: needs.iter().flat_map(|n| n.clauses()).collect(),
            gate_bits: 0,
            forbid_bits: 0,
            gate_spill: false,
            first_bit: 0,
        }
    }

    /// Whether the regex matches the line of `lowered`; `ascii`: the line is ASCII;
    /// `narrow`: every character of the line is in `NARROW`; `wide`: in `WIDE`.
    fn is_match(&self, ascii: bool, narrow: bool, wide: bool, lowered: &mut Lowered) -> bool {
        if ascii && self.from_ast {
            // An automaton narrowed to `NARROW` and compiled here serves ASCII lines as
            // well: no second compile once it is there. One read from `DFA_BLOB` does
            // not: the ASCII one, read as cheaply, has smaller tables.
            let f = match self.narrow.get() {
                Some(Some(f)) if f.is_lazy() => Some(f),
                _ => self.ascii_fwd(),
            };
            if let Some(m) = f.and_then(|f| f.is_match(lowered)) {
                return m;
            }
        }
        if narrow {
            if let Some(m) = self.narrow_fwd().and_then(|f| f.is_match(lowered)) {
                return m;
            }
        } else if wide && self.from_ast {
            // (A user rule's full regex is compiled already: no narrowed copy for it.)
            if let Some(m) = self.wide_fwd().and_then(|f| f.is_match(lowered)) {
                return m;
            }
        }
        // A user rule's regex is compiled already: no second automaton for it.
        if self.re.get().is_none() {
            if let Some(m) = self.full_fwd().and_then(|f| f.is_match(lowered)) {
                return m;
            }
        }
        self.regex().is_match(lowered.line)
    }

    /// The forward automaton narrowed to `NARROW` (built now if this is its first use).
    fn narrow_fwd(&self) -> Option<&Forward> {
        self.narrow
            .get_or_init(|| self.narrowed_fwd(Keep::Narrow))
            .as_ref()
    }

    /// The forward automaton narrowed to ASCII (built now if this is its first use).
    fn ascii_fwd(&self) -> Option<&Forward> {
        self.ascii
            .get_or_init(|| self.narrowed_fwd(Keep::Ascii))
            .as_ref()
    }

    /// The forward automaton narrowed to `WIDE` (built now if this is its first use).
    fn wide_fwd(&self) -> Option<&Forward> {
        self.wide
            .get_or_init(|| self.narrowed_fwd(Keep::Wide))
            .as_ref()
    }

    /// Builds the forward automaton narrowed to `keep`: from the narrowed syntax tree
    /// when it can, else from the whole parsed pattern.
    fn narrowed_fwd(&self, keep: Keep) -> Option<Forward> {
        if self.from_ast {
            if let Some(f) = precompiled(&self.src, keep) {
                return Some(f);
            }
            if let Some(f) = narrowed_from_ast(&self.src, keep) {
                return f;
            }
        }
        Forward::new(&narrowed(self.hir()?.clone(), keep.ranges()))
    }

    /// The forward automaton of the whole pattern (built now if this is its first use).
    fn full_fwd(&self) -> Option<&Forward> {
        self.fwd.get_or_init(|| Forward::new(self.hir()?)).as_ref()
    }

    /// The parsed pattern (parsed now if this is its first use).
    fn hir(&self) -> Option<&Hir> {
        self.hir
            .get_or_init(|| regex_syntax::parse(&self.src).ok())
            .as_ref()
    }

    /// The compiled regex (compiled now if this is its first use).
    fn regex(&self) -> &Regex {
        self.re.get_or_init(|| {
            // Only built-in rules reach this (user regexes are compiled at load), and
            // every built-in regex compiles (`builtin_regexes_compile`).
            Regex::new(&self.src).expect("built-in regexes compile")
        })
    }
}

/// The characters of the narrowed regexes: Latin, Greek, Cyrillic, general punctuation
/// (`’`, `—`, `…`), letterlike symbols and arrows.
const NARROW: [(char, char); 2] = [('\0', '\u{52f}'), ('\u{2000}', '\u{21ff}')];

/// Whether every character of `line` is in `NARROW`.
fn is_narrow(line: &str) -> bool {
    line.is_ascii() || line.chars().all(in_narrow)
}

/// Whether `c` is in `NARROW`.
fn in_narrow(c: char) -> bool {
    in_ranges(&NARROW, c)
}

/// Whether `c` is in one of `ranges`.
fn in_ranges(ranges: &[(char, char)], c: char) -> bool {
    ranges.iter().any(|&(lo, hi)| (lo..=hi).contains(&c))
}

/// `NARROW` and blocks of characters that case folding relates to no other (a test
/// checks it): Hangul jamo, symbols (mathematical, technical, box drawing, shapes,
/// dingbats; not the circled letters), the CJK blocks (punctuation, kana, ideographs),
/// Hangul syllables, variation selectors, fullwidth punctuation and digits, halfwidth
/// forms, and emoji: the characters of nearly all lines that `NARROW` leaves out.
const WIDE: [(char, char); 11] = [
    ('\0', '\u{52f}'),
    ('\u{1100}', '\u{11ff}'),
    ('\u{2000}', '\u{24b5}'),
    ('\u{24ea}', '\u{2bff}'),
    ('\u{2e80}', '\u{9fff}'),
    ('\u{ac00}', '\u{d7a3}'),
    ('\u{fe00}', '\u{fe0f}'),
    ('\u{ff00}', '\u{ff20}'),
    ('\u{ff3b}', '\u{ff40}'),
    ('\u{ff5b}', '\u{ffef}'),
    ('\u{1f000}', '\u{1faff}'),
];

/// Whether every character of `line` is in `WIDE`.
fn is_wide(line: &str) -> bool {
    line.chars().all(|c| in_ranges(&WIDE, c))
}

/// `hir` with every class narrowed to `keep` (the ranges of `ASCII`, `NARROW` or `WIDE`)
/// and every literal with a character outside it made unmatchable: on a line of `keep`
/// characters it matches exactly where `hir` does. Takes `hir` by value, so that its
/// parts are moved rather than copied.
fn narrowed(hir: Hir, keep: &[(char, char)]) -> Hir {
    // A part within `keep` stays as it is (nearly all of a narrowed syntax tree):
    // rebuilding it would give the same expression.
    if within(&hir, keep) {
        return hir;
    }
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(c)) => {
            let ranges = c.ranges().iter().flat_map(|r| {
                keep.iter().filter_map(|&(lo, hi)| {
                    let (lo, hi) = (r.start().max(lo), r.end().min(hi));
                    (lo <= hi).then(|| ClassUnicodeRange::new(lo, hi))
                })
            });
            Hir::class(Class::Unicode(ClassUnicode::new(ranges)))
        }
        // Byte classes only come from `(?-u)`; keep their ASCII part, as a non-ASCII
        // byte of a narrow line is part of a character.
        HirKind::Class(Class::Bytes(mut c)) => {
            c.intersect(&ClassBytes::new([ClassBytesRange::new(0, 0x7f)]));
            Hir::class(Class::Bytes(c))
        }
        HirKind::Literal(lit) => match std::str::from_utf8(&lit.0) {
            Ok(s) if s.chars().all(|c| in_ranges(keep, c)) => Hir::literal(lit.0),
            _ => Hir::fail(),
        },
        kind => map_subs(kind, |h| narrowed(h, keep)),
    }
}

/// Whether every class and literal of `hir` lies within `keep` (and every byte class
/// within ASCII): then `narrowed` leaves it as it is.
fn within(hir: &Hir, keep: &[(char, char)]) -> bool {
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().all(|r| {
            keep.iter()
                .any(|&(lo, hi)| lo <= r.start() && r.end() <= hi)
        }),
        HirKind::Class(Class::Bytes(c)) => c.ranges().iter().all(|r| r.end() <= 0x7f),
        HirKind::Literal(lit) => {
            std::str::from_utf8(&lit.0).is_ok_and(|s| s.chars().all(|c| in_ranges(keep, c)))
        }
        HirKind::Repetition(r) => within(&r.sub, keep),
        HirKind::Capture(c) => within(&c.sub, keep),
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().all(|h| within(h, keep)),
        HirKind::Empty | HirKind::Look(_) => true,
    }
}

/// The forward automaton of `src` narrowed to `keep` through `narrow_ast`; `None` when
/// the pattern does not parse or a class cannot be narrowed in the tree (the caller
/// then narrows the whole parsed pattern), `Some(None)` when the automaton cannot be
/// built.
fn narrowed_from_ast(src: &str, keep: Keep) -> Option<Option<Forward>> {
    let (hir, tree, lower) = narrowed_tree(src, keep)?;
    Some(Forward::new(&hir).map(|mut f| {
        f.tree = Some(tree);
        f.lower = lower;
        f
    }))
}

/// The expression `narrowed_from_ast` compiles, the syntax tree it comes from, and
/// whether it runs on case-folded lines (`Narrow::lower`): the automaton of a pattern
/// under `(?i)` throughout does.
fn narrowed_tree(src: &str, keep: Keep) -> Option<(Hir, Ast, bool)> {
    // Only a pattern that starts with `(?i` can be under it throughout.
    for lower in [src.starts_with("(?i"), false] {
        let mut tree = regex_syntax::ast::parse::Parser::new().parse(src).ok()?;
        let mut cx = Narrow {
            n: narrowing(keep),
            lower,
            ci: false,
            cased: false,
        };
        narrow_ast(&mut tree, &mut cx, src)?;
        if lower && cx.cased {
            continue;
        }
        let hir = regex_syntax::hir::translate::Translator::new()
            .translate(src, &tree)
            .ok()?;
        let hir = narrowed(hir, keep.ranges());
        // `ASCII` automata are built for one page too: there the rewrite costs more
        // than the states it saves.
        let hir = match keep {
            Keep::Ascii => hir,
            Keep::Narrow => literal_alternations(hir),
            // `WIDE`'s ranges cut a class into many UTF-8 sequences, which
            // `widened` saves; `NARROW`'s two seldom do, and testing its classes cost
            // more than the few it saved.
            Keep::Wide => widened(literal_alternations(hir), &narrowing(keep).free),
        };
        return Some((hir, tree, lower));
    }
    None
}

/// The most strings one alternative of an alternation may stand for in
/// `literal_alternations` (`sep(?:t(?:ember)?)?` is three; a class of a few letters is
/// as many).
const ALT_STRINGS: usize = 8;

/// `hir` with each alternation whose alternatives each match one of a few strings
/// (`jan(?:uary)?|feb(?:ruary)?|мая|ма[яй]`) made an alternation of those strings: the
/// automaton compiler builds a trie for an alternation of plain strings, with far fewer
/// states than the alternatives' own automata (the month and weekday lists of the
/// date patterns), so that compiling it and building its lazy-DFA states cost less.
/// It matches the same strings (which alternative matches first does not matter to a
/// match test).
fn literal_alternations(hir: Hir) -> Hir {
    // Rebuilding a part costs about as much as translating it: only the parts that hold
    // such an alternation are rebuilt.
    if !has_string_alternation(&hir) {
        return hir;
    }
    match hir.into_kind() {
        HirKind::Alternation(subs) => {
            let subs: Vec<Hir> = subs.into_iter().map(literal_alternations).collect();
            if !subs.iter().all(|h| string_count(h).is_some()) {
                return Hir::alternation(subs);
            }
            let mut strings: Vec<Vec<u8>> = subs.iter().flat_map(strings_of).collect();
            strings.sort_unstable();
            strings.dedup();
            Hir::alternation(strings.into_iter().map(Hir::literal).collect())
        }
        kind => map_subs(kind, literal_alternations),
    }
}

/// Whether `hir` holds an alternation that `literal_alternations` rewrites.
fn has_string_alternation(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Alternation(v) => {
            v.iter().all(|h| string_count(h).is_some()) || v.iter().any(has_string_alternation)
        }
        HirKind::Concat(v) => v.iter().any(has_string_alternation),
        HirKind::Repetition(r) => has_string_alternation(&r.sub),
        HirKind::Capture(c) => has_string_alternation(&c.sub),
        _ => false,
    }
}

/// How many strings `hir` stands for when they are at most `ALT_STRINGS`, none empty,
/// and it has no assertion (counted with repeats); else `None`.
fn string_count(hir: &Hir) -> Option<usize> {
    let n = match hir.kind() {
        HirKind::Literal(_) => 1,
        // An empty class (`Hir::fail`, which an empty Unicode class becomes too).
        HirKind::Class(Class::Bytes(c)) if c.ranges().is_empty() => 0,
        HirKind::Class(Class::Unicode(c)) => c.ranges().iter().try_fold(0usize, |n, r| {
            (n <= ALT_STRINGS).then(|| n + (r.end() as usize - r.start() as usize) + 1)
        })?,
        HirKind::Capture(c) => string_count(&c.sub)?,
        HirKind::Alternation(v) => v.iter().try_fold(0usize, |n, h| {
            Some(n + string_count(h)?).filter(|&n| n <= ALT_STRINGS)
        })?,
        HirKind::Concat(v) => {
            // An optional part (`(?:uary)?`) adds the strings without it. It is taken
            // only after the first part, whose strings are never empty, so that no
            // string of the concatenation is.
            let mut n = 1usize;
            for (i, h) in v.iter().enumerate() {
                let k = match h.kind() {
                    HirKind::Repetition(r) if i > 0 && r.min == 0 && r.max == Some(1) => {
                        string_count(&r.sub)? + 1
                    }
                    _ => string_count(h)?,
                };
                n = n.checked_mul(k).filter(|&n| n <= ALT_STRINGS)?;
            }
            n
        }
        _ => return None,
    };
    (n <= ALT_STRINGS).then_some(n)
}

/// The strings (UTF-8) of `hir`, for which `string_count` is `Some`.
fn strings_of(hir: &Hir) -> Vec<Vec<u8>> {
    match hir.kind() {
        HirKind::Literal(lit) => vec![lit.0.to_vec()],
        HirKind::Class(Class::Unicode(c)) => c
            .iter()
            .flat_map(|r| r.start()..=r.end())
            .map(|c| c.to_string().into_bytes())
            .collect(),
        HirKind::Capture(c) => strings_of(&c.sub),
        HirKind::Alternation(v) => v.iter().flat_map(strings_of).collect(),
        HirKind::Concat(v) => {
            let mut out = vec![Vec::new()];
            for h in v {
                let tails = match h.kind() {
                    HirKind::Repetition(r) => {
                        let mut t = strings_of(&r.sub);
                        t.push(Vec::new());
                        t
                    }
                    _ => strings_of(h),
                };
                out = out
                    .iter()
                    .flat_map(|head| {
                        tails.iter().map(move |t| {
                            let mut s = head.clone();
                            s.extend_from_slice(t);
                            s
                        })
                    })
                    .collect();
            }
            out
        }
        // An empty class.
        _ => Vec::new(),
    }
}

/// `hir` with each class of more than `CHEAP_RANGES` ranges replaced by the cheapest of
/// the classes `cheapest` weighs, each agreeing with it outside `free` (characters that
/// the searched text never holds): a class narrowed to `WIDE`'s ranges (`[^/()\[\]]`)
/// has many more UTF-8 sequences than the whole class it came from, and a bounded
/// repetition of it (`{1,40}`) compiles them once per copy. On text without `free`
/// characters it matches exactly where `hir` does.
fn widened(hir: Hir, free: &ClassUnicode) -> Hir {
    // Only the parts that hold such a class are rebuilt (see `literal_alternations`).
    if !has_costly_class(&hir) {
        return hir;
    }
    match hir.into_kind() {
        HirKind::Class(Class::Unicode(c)) => Hir::class(Class::Unicode(cheapest(c, free))),
        kind => map_subs(kind, |h| widened(h, free)),
    }
}

/// The expression of `kind` with `f` applied to each of its sub-expressions (a leaf
/// rebuilt as it is).
fn map_subs(kind: HirKind, f: impl Fn(Hir) -> Hir) -> Hir {
    match kind {
        HirKind::Concat(v) => Hir::concat(v.into_iter().map(f).collect()),
        HirKind::Alternation(v) => Hir::alternation(v.into_iter().map(f).collect()),
        HirKind::Repetition(r) => Hir::repetition(Repetition {
            sub: Box::new(f(*r.sub)),
            ..r
        }),
        HirKind::Capture(c) => Hir::capture(Capture {
            sub: Box::new(f(*c.sub)),
            ..c
        }),
        HirKind::Literal(lit) => Hir::literal(lit.0),
        HirKind::Class(c) => Hir::class(c),
        HirKind::Look(look) => Hir::look(look),
        HirKind::Empty => Hir::empty(),
    }
}

/// Most ranges of a class that `widened` leaves as it is: one or two ranges (a letter
/// range, a negated ASCII character) gain nothing. Ranges, not UTF-8 sequences: the
/// test runs on every class, and counting sequences costs a pass over each range.
const CHEAP_RANGES: usize = 2;

/// Whether `hir` holds a Unicode class of more than `CHEAP_RANGES` ranges.
fn has_costly_class(hir: &Hir) -> bool {
    match hir.kind() {
        HirKind::Class(Class::Unicode(c)) => c.ranges().len() > CHEAP_RANGES,
        HirKind::Concat(v) | HirKind::Alternation(v) => v.iter().any(has_costly_class),
        HirKind::Repetition(r) => has_costly_class(&r.sub),
        HirKind::Capture(c) => has_costly_class(&c.sub),
        _ => false,
    }
}

/// How many UTF-8 byte-range sequences `class` compiles to (one automaton path each),
/// counted up to the first count past `limit`.
fn utf8_sequences(class: &ClassUnicode, limit: usize) -> usize {
    let mut n = 0;
    for r in class.iter() {
        n += Utf8Sequences::new(r.start(), r.end()).count();
        if n > limit {
            break;
        }
    }
    n
}

/// Of `class`, `class` with every gap between two of its ranges that lies wholly in
/// `free` filled, and `class` with all of `free` added, the one of fewest UTF-8
/// sequences: all three hold the same characters outside `free`. A widened class is
/// taken only when it has fewer sequences than `class` has ranges (each range is at
/// least one sequence), so that a large class is never counted whole: counting
/// costs more than most classes save.
fn cheapest(class: ClassUnicode, free: &ClassUnicode) -> ClassUnicode {
    let own = class.ranges().len();
    if own <= CHEAP_RANGES {
        return class;
    }
    // The gaps between its ranges (the inner ranges of its negation, which skips the
    // surrogates) that `free` covers whole (ranges of a canonical class are maximal, so
    // one range of `free` holds each such gap).
    let free_ranges = free.ranges();
    let (first, last) = (class.ranges()[0].start(), class.ranges()[own - 1].end());
    let mut holes = class.clone();
    holes.negate();
    let gaps: Vec<ClassUnicodeRange> = holes
        .ranges()
        .iter()
        .filter(|g| {
            let f = free_ranges.get(free_ranges.partition_point(|f| f.end() < g.start()));
            g.start() > first
                && g.end() < last
                && f.is_some_and(|f| f.start() <= g.start() && g.end() <= f.end())
        })
        .copied()
        .collect();
    // A class that `free` cuts (a negated class narrowed to `WIDE`) has many such gaps;
    // one of many ranges of its own (`\p{L}`) has few, and widening it saves too
    // little to pay for the copies and counts below.
    if 2 * gaps.len() < own {
        return class;
    }
    let gaps = ClassUnicode::new(gaps);
    let mut filled = class.clone();
    filled.union(&gaps);
    let mut all = class.clone();
    all.union(free);
    // Each count stops once past the best so far.
    let in_all = utf8_sequences(&all, own);
    let in_filled = utf8_sequences(&filled, in_all.min(own));
    let (best, c) = if in_filled < in_all {
        (in_filled, filled)
    } else {
        (in_all, all)
    };
    if best < own {
        c
    } else {
        class
    }
}

/// The characters of the ASCII automata, for ASCII lines.
const ASCII: [(char, char); 1] = [('\0', '\x7f')];

/// What an automaton is narrowed to: one of the three character sets, named rather
/// than passed as ranges, so that `narrowing` finds its entry by the name.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Keep {
    Ascii,
    Narrow,
    Wide,
}

impl Keep {
    /// The characters it keeps.
    fn ranges(self) -> &'static [(char, char)] {
        match self {
            Keep::Ascii => &ASCII,
            Keep::Narrow => &NARROW,
            Keep::Wide => &WIDE,
        }
    }
}

/// What `narrow_ast` narrows a pattern to: `keep` (`ASCII`, `NARROW` or `WIDE`) as a
/// class, and its fold closure, `keep` and every character that simple case folding
/// relates to one of them: a class narrowed to the closure before `(?i)` folds it, then
/// narrowed to `keep`, is the class folded whole then narrowed to `keep` (a character
/// of `keep` folds only with characters of the closure).
struct Narrowing {
    keep: ClassUnicode,
    closure: ClassUnicode,
    /// The characters outside `keep`: no line an automaton narrowed to it runs on holds
    /// one, so its classes may hold them or not (`widened`). For `WIDE` that holds for
    /// its automata on folded lines too: `narrow_fold` maps each `WIDE` character into
    /// `WIDE` (a test checks it).
    free: ClassUnicode,
}

/// The narrowing to `keep`, computed once.
fn narrowing(keep: Keep) -> &'static Narrowing {
    static ALL: [OnceLock<Narrowing>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    ALL[keep as usize].get_or_init(|| {
        let ranges = keep.ranges().iter();
        let keep = ClassUnicode::new(ranges.map(|&(lo, hi)| ClassUnicodeRange::new(lo, hi)));
        let mut closure = keep.clone();
        closure.case_fold_simple();
        let mut free = keep.clone();
        free.negate();
        Narrowing {
            keep,
            closure,
            free,
        }
    })
}

/// The state of one `narrow_ast` walk.
struct Narrow {
    /// What the pattern is narrowed to.
    n: &'static Narrowing,
    /// Whether the automaton is to run on case-folded lines (`Lowered::folded`): then
    /// `(?i)` goes, its letters become the literals `fold_rep` gives and its classes
    /// the classes they fold to, so that `(?i)` words translate to plain strings rather
    /// than to a class per letter, which cost most of the compile (and make large
    /// lazy-DFA states).
    lower: bool,
    /// Whether `(?i)` is in force here.
    ci: bool,
    /// Whether a letter, a class or an assertion outside `(?i)` could tell a character
    /// of `keep` from its `fold_rep`: then folding the line would change what it
    /// matches, and `lower` cannot be used.
    cased: bool,
}

/// Rewrites a parsed pattern so that it agrees with the original on every character of
/// `keep` (see `Narrowing`): each Unicode and Perl class (`\p{L}`, `\w`, `\d`, ...)
/// becomes the bracketed class of its characters in the fold closure, and a
/// concatenation holding a literal outside it (`июня` when `keep` is ASCII) becomes an
/// empty class; with `cx.lower`, `(?i)` goes as said there. Translating then narrowing
/// the result gives the automaton `narrowed` gives from the whole pattern (on case-folded
/// lines with `cx.lower`), without translating and case folding classes over all of
/// Unicode or literals no line of the narrow kind can hold. Returns whether `ast` can
/// never match a string of `keep` characters; `None` when a class does not translate
/// to a class (the caller then narrows the whole pattern instead).
fn narrow_ast(ast: &mut Ast, cx: &mut Narrow, src: &str) -> Option<bool> {
    let span = *ast.span();
    let closure = &cx.n.closure;
    match ast {
        Ast::Literal(lit) => {
            let never = !class_has(closure, lit.c);
            if cx.lower && cx.ci {
                // A character outside the closure folds with no character of `keep`.
                if !never {
                    // The table serves the many non-ASCII letters of `NARROW` patterns;
                    // an `ASCII` one needs it only for the odd Kelvin sign.
                    lit.c = if !lit.c.is_ascii() && class_has(&cx.n.keep, lit.c) {
                        narrow_fold(lit.c)
                    } else {
                        fold_rep(lit.c)
                    };
                }
            } else if cx.lower && class_has(&cx.n.keep, lit.c) {
                // Outside `(?i)`, a folded line holds this character exactly where the
                // line does only if it is its own representative and alone in its
                // fold class within `keep`.
                let mut class = fold_class(lit.c);
                class.intersect(&cx.n.keep);
                cx.cased |= fold_rep(lit.c) != lit.c
                    || class.ranges() != [ClassUnicodeRange::new(lit.c, lit.c)];
            }
            Some(never)
        }
        Ast::ClassUnicode(_) | Ast::ClassPerl(_) | Ast::ClassBracketed(_) => {
            if cx.lower {
                let class = folded_class(ast, cx.n, src, cx.ci)?;
                // Folding the line is safe for a class outside `(?i)` that holds each
                // character's whole fold class within `keep` or none of it: then it holds
                // a character exactly when it holds its `fold_rep` (which is in `keep`).
                cx.cased |= !cx.ci && {
                    let mut closed = class.clone();
                    closed.case_fold_simple();
                    closed.intersect(&cx.n.keep);
                    closed != class
                };
                *ast = bracketed(span, false, class);
            } else {
                narrow_class_parts(ast, closure, src)?;
            }
            Some(false)
        }
        Ast::Repetition(r) => {
            let never = narrow_ast(&mut r.ast, cx, src)?;
            let min = match &r.op.kind {
                RepetitionKind::ZeroOrOne | RepetitionKind::ZeroOrMore => 0,
                RepetitionKind::OneOrMore => 1,
                RepetitionKind::Range(
                    RepetitionRange::Exactly(n)
                    | RepetitionRange::AtLeast(n)
                    | RepetitionRange::Bounded(n, _),
                ) => *n,
            };
            Some(never && min > 0)
        }
        Ast::Group(g) => {
            // A group's flags last to its end.
            let outer = cx.ci;
            if let GroupKind::NonCapturing(flags) = &mut g.kind {
                take_case_flag(flags, cx);
            }
            let never = narrow_ast(&mut g.ast, cx, src);
            cx.ci = outer;
            never
        }
        Ast::Flags(f) => {
            take_case_flag(&mut f.flags, cx);
            Some(false)
        }
        Ast::Alternation(alt) => {
            let mut live = Vec::with_capacity(alt.asts.len());
            for mut a in std::mem::take(&mut alt.asts) {
                // A branch that never matches is dropped (it sets no flags: see below).
                if !narrow_ast(&mut a, cx, src)? {
                    live.push(a);
                }
            }
            if live.is_empty() {
                *ast = bracketed(span, false, ClassUnicode::empty());
                return Some(true);
            }
            alt.asts = live;
            Some(false)
        }
        Ast::Concat(cat) => {
            let mut never = false;
            for a in &mut cat.asts {
                never |= narrow_ast(a, cx, src)?;
            }
            // Flags set here last to the end of the enclosing group, past this
            // concatenation: it is kept whole (and said to match) then.
            if never && !cat.asts.iter().any(|a| matches!(a, Ast::Flags(_))) {
                *ast = bracketed(span, false, ClassUnicode::empty());
                return Some(true);
            }
            Some(false)
        }
        Ast::Assertion(a) => {
            // A word boundary looks at word characters: past ASCII, a character may fold
            // to an ASCII one (the Kelvin sign to `k`), which an ASCII word boundary
            // sees differently (no built-in pattern has one, so `ASCII` automata keep
            // the same rule). Line and text ends see no case.
            cx.cased |= cx.lower
                && !matches!(
                    a.kind,
                    AssertionKind::StartLine
                        | AssertionKind::EndLine
                        | AssertionKind::StartText
                        | AssertionKind::EndText
                );
            Some(false)
        }
        Ast::Empty(_) | Ast::Dot(_) => Some(false),
    }
}

/// Sets `cx.ci` as `flags` say (the translator's rule: the last `i` item wins, negated
/// after a `-`), and with `cx.lower` takes the `i` items out.
fn take_case_flag(flags: &mut AstFlags, cx: &mut Narrow) {
    let mut enable = true;
    flags.items.retain(|item| match item.kind {
        FlagsItemKind::Negation => {
            enable = false;
            true
        }
        FlagsItemKind::Flag(Flag::CaseInsensitive) => {
            cx.ci = enable;
            !cx.lower
        }
        FlagsItemKind::Flag(_) => true,
    });
}

/// The one character that stands for `c`'s fold class (`fold_class`) on folded lines:
/// the lowercase ASCII letter of the class if it has one (`c` itself if it is ASCII and
/// no letter, `k` for the Kelvin sign), else its lowest code point, often the capital
/// (`Σ` for `σ`; `ι` becomes U+0345). Any member serves, as long as the whole class gets
/// the same one: it is not meant to be the lowercase letter. A test checks that the
/// representative of a `NARROW` character is in `NARROW`.
fn fold_rep(c: char) -> char {
    if c.is_ascii() {
        return c.to_ascii_lowercase();
    }
    let class = fold_class(c);
    let lowest = class.ranges().first().map_or(c, ClassUnicodeRange::start);
    class
        .iter()
        .flat_map(|r| r.start()..=r.end())
        .find(char::is_ascii_lowercase)
        .unwrap_or(lowest)
}

/// `c`'s simple case fold class: the characters `(?i)` matches `c` with.
fn fold_class(c: char) -> ClassUnicode {
    let mut class = ClassUnicode::new([ClassUnicodeRange::new(c, c)]);
    class.case_fold_simple();
    class
}

/// Where the second range of `NARROW` starts in `NARROW_FOLDS`.
const NARROW_SECOND: usize = NARROW[0].1 as usize + 1 - 0x80;

/// `fold_rep` of each non-ASCII character of `NARROW`, in order (see `narrow_fold`), each
/// worked out at its first use (0 until then; no character folds to NUL but NUL): a page
/// meets a few dozen of these 1,712 characters, and working out all of them cost a
/// process that cleans one page with some in a folded line 0.7M instructions (a fifth
/// of its run). A value stored by two threads at once is the same value.
static NARROW_FOLDS: [AtomicU32; NARROW_FOLDS_LEN] =
    [const { AtomicU32::new(0) }; NARROW_FOLDS_LEN];

/// The non-ASCII characters of `NARROW`.
const NARROW_FOLDS_LEN: usize = NARROW_SECOND + (NARROW[1].1 as usize + 1 - NARROW[1].0 as usize);

// `narrow_fold` looks characters up in two ranges, the first from `\0` (holding ASCII,
// which it lowercases without the table) and the second past it.
const _: () = assert!(
    NARROW.len() == 2
        && NARROW[0].0 == '\0'
        && NARROW[0].1 as u32 >= 0x7f
        && (NARROW[0].1 as u32) < NARROW[1].0 as u32
);

/// `fold_rep(c)` for a character `c` of `NARROW` (`c` itself for any other), from
/// `NARROW_FOLDS`.
#[inline]
fn narrow_fold(c: char) -> char {
    let i = c as usize;
    if i < 0x80 {
        return c.to_ascii_lowercase();
    }
    let slot = if i <= NARROW[0].1 as usize {
        &NARROW_FOLDS[i - 0x80]
    } else {
        match i
            .checked_sub(NARROW[1].0 as usize)
            .and_then(|j| NARROW_FOLDS.get(NARROW_SECOND + j))
        {
            Some(slot) => slot,
            None => return c,
        }
    };
    match char::from_u32(slot.load(Ordering::Relaxed)) {
        Some(rep) if rep != '\0' => rep,
        _ => {
            let rep = fold_rep(c);
            slot.store(u32::from(rep), Ordering::Relaxed);
            rep
        }
    }
}

/// The characters of `n.keep` in the class `ast` (Unicode, Perl or bracketed), folded
/// first if `ci`, as the translator would. Its Unicode and Perl parts are narrowed to
/// the closure before the translator folds them. `None` when a part does not translate
/// to a class.
fn folded_class(ast: &mut Ast, n: &'static Narrowing, src: &str, ci: bool) -> Option<ClassUnicode> {
    let span = *ast.span();
    let how = 1 + u8::from(ci);
    remembered((std::ptr::from_ref(n) as usize, how), src, span, || {
        narrow_class_parts(ast, &n.closure, src)?;
        let hir = regex_syntax::hir::translate::TranslatorBuilder::new()
            .case_insensitive(ci)
            .build()
            .translate(src, ast)
            .ok()?;
        let mut class = match hir.into_kind() {
            HirKind::Class(Class::Unicode(c)) => c,
            // What an empty class and a class of one character translate to.
            HirKind::Class(Class::Bytes(c)) if c.ranges().is_empty() => ClassUnicode::empty(),
            HirKind::Literal(lit) => {
                let mut chars = std::str::from_utf8(&lit.0).ok()?.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                ClassUnicode::new([ClassUnicodeRange::new(c, c)])
            }
            _ => return None,
        };
        class.intersect(&n.keep);
        Some(class)
    })
}

/// Narrows the class `ast` (Unicode, Perl or bracketed) to the closure `keep`: a
/// Unicode or Perl class becomes the bracketed class of its characters there, a
/// bracketed class gets its Unicode and Perl items narrowed.
fn narrow_class_parts(ast: &mut Ast, keep: &'static ClassUnicode, src: &str) -> Option<()> {
    let span = *ast.span();
    match ast {
        Ast::ClassUnicode(c) => {
            let (negated, plain) = unnegated_unicode(c);
            *ast = bracketed(span, negated, class_in(plain, keep, src)?);
        }
        Ast::ClassPerl(c) => {
            let (negated, plain) = unnegated_perl(c);
            *ast = bracketed(span, negated, class_in(plain, keep, src)?);
        }
        Ast::ClassBracketed(b) => narrow_class_set(&mut b.kind, keep, src)?,
        _ => return None,
    }
    Some(())
}

/// A Unicode class (`\p{L}`) as whether it is negated and, to translate, itself un-negated.
fn unnegated_unicode(c: &regex_syntax::ast::ClassUnicode) -> (bool, Ast) {
    let mut plain = c.clone();
    plain.negated = false;
    (c.negated, Ast::ClassUnicode(Box::new(plain)))
}

/// `unnegated_unicode` for a Perl class (`\w`, `\d`).
fn unnegated_perl(c: &regex_syntax::ast::ClassPerl) -> (bool, Ast) {
    let mut plain = c.clone();
    plain.negated = false;
    (c.negated, Ast::ClassPerl(Box::new(plain)))
}

/// `narrow_class_parts` inside a bracketed class.
fn narrow_class_set(set: &mut ClassSet, keep: &'static ClassUnicode, src: &str) -> Option<()> {
    match set {
        ClassSet::Item(item) => narrow_class_item(item, keep, src),
        ClassSet::BinaryOp(op) => {
            narrow_class_set(&mut op.lhs, keep, src)?;
            narrow_class_set(&mut op.rhs, keep, src)
        }
    }
}

/// `narrow_class_set` on one item of a bracketed class.
fn narrow_class_item(
    item: &mut ClassSetItem,
    keep: &'static ClassUnicode,
    src: &str,
) -> Option<()> {
    let (negated, ast) = match item {
        ClassSetItem::Unicode(c) => unnegated_unicode(c),
        ClassSetItem::Perl(c) => unnegated_perl(c),
        ClassSetItem::Bracketed(b) => return narrow_class_set(&mut b.kind, keep, src),
        ClassSetItem::Union(u) => {
            for i in &mut u.items {
                narrow_class_item(i, keep, src)?;
            }
            return Some(());
        }
        _ => return Some(()),
    };
    let span = *item.span();
    let class = class_in(ast, keep, src)?;
    *item = ClassSetItem::Bracketed(Box::new(bracketed_class(span, negated, class)));
    Some(())
}

/// The characters of `keep` in the class `ast` (translated alone, so without `(?i)`).
fn class_in(ast: Ast, keep: &'static ClassUnicode, src: &str) -> Option<ClassUnicode> {
    let span = *ast.span();
    remembered((std::ptr::from_ref(keep) as usize, 0), src, span, || {
        let hir = regex_syntax::hir::translate::Translator::new()
            .translate(src, &ast)
            .ok()?;
        match hir.into_kind() {
            HirKind::Class(Class::Unicode(mut c)) => {
                c.intersect(keep);
                Some(c)
            }
            _ => None,
        }
    })
}

/// The class `make` gives for the class written at `span` of `src` (`\w`, `[^.!?]`)
/// and `how`: the address of what it is narrowed to (a `Narrowing` or a closure, which
/// live as long as the process) and the kind of narrowing (`class_in`: 0,
/// `folded_class`: 1, or 2 under `(?i)`). Remembered for the process: the same few
/// classes recur in every pattern, and translating `\w` means copying hundreds of
/// ranges.
fn remembered(
    how: (usize, u8),
    src: &str,
    span: Span,
    make: impl FnOnce() -> Option<ClassUnicode>,
) -> Option<ClassUnicode> {
    type Seen = HashMap<((usize, u8), Box<str>), ClassUnicode>;
    static SEEN: std::sync::Mutex<Option<Seen>> = std::sync::Mutex::new(None);
    let text = src.get(span.start.offset..span.end.offset)?;
    // Under `(?x)` a class's spaces are not part of it: such text is not a key.
    if text.contains(char::is_whitespace) {
        return make();
    }
    let key = (how, Box::from(text));
    if let Some(c) = SEEN.lock().ok()?.get_or_insert_with(HashMap::new).get(&key) {
        return Some(c.clone());
    }
    let class = make()?;
    SEEN.lock()
        .ok()?
        .get_or_insert_with(HashMap::new)
        .insert(key, class.clone());
    Some(class)
}

/// A bracketed class of the ranges of `class`.
fn bracketed(span: Span, negated: bool, class: ClassUnicode) -> Ast {
    Ast::ClassBracketed(Box::new(bracketed_class(span, negated, class)))
}

/// The bracketed class of `bracketed`, unboxed.
fn bracketed_class(span: Span, negated: bool, class: ClassUnicode) -> ClassBracketed {
    let lit = |c: char| AstLiteral {
        span,
        kind: LiteralKind::Verbatim,
        c,
    };
    let items = class
        .ranges()
        .iter()
        .map(|r| {
            ClassSetItem::Range(ClassSetRange {
                span,
                start: lit(r.start()),
                end: lit(r.end()),
            })
        })
        .collect();
    ClassBracketed {
        span,
        negated,
        kind: ClassSet::Item(ClassSetItem::Union(ClassSetUnion { span, items })),
    }
}

/// Whether `class` holds `c`.
fn class_has(class: &ClassUnicode, c: char) -> bool {
    let r = class.ranges();
    let i = r.partition_point(|x| x.end() < c);
    r.get(i).is_some_and(|x| x.start() <= c)
}

/// A cheap necessary condition for one of the built-in regexes: running a regex costs
/// far more than looking at a character or two, and on most lines some condition fails.
/// Each one must hold whenever the regex matches (see `builtin_needs`), so skipping the
/// regex when one fails never changes a result.
#[derive(Debug, Clone, Copy)]
enum Needs {
    /// Some character of the line is one of these.
    AnyChar(&'static str),
    /// The line has a numeric character (a superset of Unicode `\d`).
    Digit,
    /// The line has an ASCII digit (`[0-9]`).
    AsciiDigit,
    /// The first character is one of these.
    FirstChar(&'static str),
    /// The first character is one of these or numeric.
    FirstCharOrDigit(&'static str),
    /// The first character is uppercase (a superset of `\p{Lu}`).
    FirstUpper,
    /// This lowercase ASCII word occurs in the line's first word (up to the first
    /// whitespace), ignoring ASCII case (for letters whose Unicode case folding is
    /// ASCII only).
    FirstWordAsciiCi(&'static str),
    /// The line holds at least this many of this character.
    MinCount(char, usize),
    /// Every character is alphanumeric (a superset of `\p{L}` and `\p{N}`), whitespace
    /// (`\s`) or one of these.
    ///
    /// The second field: the ASCII bytes that pass, bit `b` of word `b >> 6` (made by
    /// [`Needs::only_chars`] at compile time), so that ASCII characters, most of a
    /// line, are tested all at once against the bytes of the line.
    OnlyChars(&'static str, [u64; 2]),
    /// Every ASCII character is an ASCII letter or digit, ASCII whitespace or one of
    /// these; other characters are not looked at. The ASCII half of `OnlyChars`, for a
    /// pattern whose every character is `\w`, `\s` or one of these (`\w` also holds
    /// characters that are not alphanumeric, such as combining marks).
    ///
    /// The field: the ASCII bytes that pass, as for `OnlyChars` (made by
    /// [`Needs::ascii_only_chars`]).
    AsciiOnlyChars([u64; 2]),
    /// The line holds one of these characters, or a `/` between two whitespaces.
    AnyCharOrSpacedSlash(&'static str),
    /// The line holds one of these substrings (case-sensitive). Made by `any_substr!`.
    AnySubstr(&'static Substrs),
    /// The last character, after trailing whitespace and `:` are trimmed, is one of
    /// these.
    LastCharBeforeColon(&'static str),
    /// Every non-ASCII character is alphanumeric, whitespace or one of these: the rest
    /// of an `OnlyChars` whose ASCII characters the rule's `forbid_bits` answer (set in
    /// the rule's checks in its place by `index_regex_gates`, never listed in `needs`).
    NonAsciiOnlyChars(&'static str),
    /// The line starts with one of these words (case-sensitive). Made by `starts_with!`.
    StartsWith(&'static StartWords),
    /// The line holds one of these lowercase ASCII words, ignoring ASCII case. Only for
    /// words without `k` and `s`, the two ASCII letters that `(?i)` also matches with
    /// a non-ASCII character (`K` Kelvin sign, `ſ` long s).
    AsciiCiAny(&'static [&'static str]),
    /// The line has a numeric character or passes `AsciiCiAny` with these words.
    DigitOrAsciiCiAny(&'static [&'static str]),
    /// The line starts with an ASCII digit or with one of these lowercase ASCII words
    /// ignoring ASCII case, or holds a non-ASCII byte among its first bytes, as many as
    /// the longest word has: for a pattern `^(?i)(?:w1|w2|...)` whose every branch
    /// starts with a listed word (or with a digit, or with a longer word that a listed
    /// one begins). A match whose first characters are not all ASCII has a non-ASCII
    /// one before the listed word's end (a non-ASCII case variant, `K` or `ſ`, or a
    /// non-ASCII word or digit), so the byte window stands for every such match. The
    /// window is the longest word's length (`StartWords::window`). Made by
    /// `starts_with_ascii_ci!`.
    StartsWithAsciiCi(&'static StartWords),
    /// The line, without its trailing ASCII whitespace, `:` and `.`, ends with one of
    /// these words of lowercase ASCII letters, ignoring ASCII case, or holds a non-ASCII
    /// byte among its last bytes, as many as the longest word has: for a pattern whose
    /// every match ends with a listed word, then at most those characters (`\s*:?$`,
    /// `\.?$`), or with a non-ASCII word. As for `StartsWithAsciiCi`, a match whose last
    /// word is not all ASCII (a non-ASCII word, or a listed one with `K` or `ſ` under
    /// `(?i)`) has a non-ASCII byte within the window. The end of a line is cheap to
    /// look at where the tests of its characters cost a pass over it, and these rules'
    /// other tests pass most lines that start with a listed word or hold a digit. Made
    /// by `ends_with_ascii_ci!`.
    EndsWithAsciiCi(&'static EndWords),
    /// The second word (after the first run of whitespace) starts with one of these
    /// characters, or with one of these lowercase strings ignoring ASCII case (each
    /// ASCII letter with a non-ASCII case variant under `(?i)`, `k` and `s`, must be
    /// listed in every form).
    SecondWordStarts(&'static str, &'static [&'static str]),
    /// The line has an ASCII letter, a non-ASCII character or one of these characters.
    LetterOr(&'static str),
    /// One of these characters stands between two numeric characters (`8:03`).
    BetweenDigits(&'static str),
    /// Every piece between two of these characters (and before the first, after the
    /// last) has at most this many words.
    ShortItems(char, usize),
    /// The last whitespace-separated token holds an `@` and, after it, a `.`; and the
    /// line has more than one token.
    EmailAtEnd,
    /// The last character is none of these.
    LastCharNot(&'static str),
    /// The line holds this ASCII byte among its last this many bytes.
    ByteNearEnd(u8, usize),
}

/// The ASCII characters that pass `OnlyChars` of `set`, bit `b` of word `b >> 6`:
/// letters, digits, whitespace (`is_space_byte`) and the set's own (a test checks every
/// ASCII character). Made at compile time, for both `OnlyChars` and `AsciiOnlyChars`.
const fn only_chars_table(set: &str) -> [u64; 2] {
    let mut ascii = [0u64; 2];
    let mut b = 0u8;
    while b < 0x80 {
        if b.is_ascii_alphanumeric() || is_space_byte(b) {
            ascii[(b >> 6) as usize] |= 1 << (b & 63);
        }
        b += 1;
    }
    let s = set.as_bytes();
    let mut i = 0;
    while i < s.len() {
        if s[i].is_ascii() {
            ascii[(s[i] >> 6) as usize] |= 1 << (s[i] & 63);
        }
        i += 1;
    }
    ascii
}

impl Needs {
    /// `OnlyChars` of `set`, with its table of the ASCII characters that pass
    /// ([`only_chars_table`]).
    const fn only_chars(set: &'static str) -> Needs {
        Needs::OnlyChars(set, only_chars_table(set))
    }

    /// `AsciiOnlyChars` of `set`, with its table made as for [`Needs::only_chars`].
    const fn ascii_only_chars(set: &'static str) -> Needs {
        Needs::AsciiOnlyChars(only_chars_table(set))
    }

    /// Byte sets such that, whenever `holds` is true, the line holds a byte of each:
    /// what the test needs, reduced to bytes (the first byte of a character or a
    /// substring, both ASCII cases where case is ignored). Tests with no such
    /// condition give none.
    fn clauses(self) -> Vec<ByteSet> {
        let firsts = |set: &str| {
            let mut b = ByteSet::default();
            set.chars().for_each(|c| b.add_first(c));
            b
        };
        let words_ci = |b: &mut ByteSet, words: &[&str]| {
            for w in words {
                let first = w.as_bytes()[0];
                b.add(first.to_ascii_lowercase());
                b.add(first.to_ascii_uppercase());
            }
        };
        // Constants: filled a byte at a time on every call, the ranges were a fifth of
        // the work of loading the regex rules.
        const DIGIT: ByteSet = ByteSet::range(b'0', b'9');
        const NON_ASCII: ByteSet = ByteSet::range(0x80, 0xff);
        const UPPER: ByteSet = ByteSet::range(b'A', b'Z');
        const LOWER: ByteSet = ByteSet::range(b'a', b'z');
        let (digit, digit_or_non_ascii) = (DIGIT, DIGIT.union(NON_ASCII));
        match self {
            Needs::AnyChar(set)
            | Needs::FirstChar(set)
            | Needs::BetweenDigits(set)
            | Needs::LastCharBeforeColon(set) => vec![firsts(set)],
            Needs::Digit => vec![digit_or_non_ascii],
            Needs::AsciiDigit => vec![digit],
            Needs::FirstCharOrDigit(set) => {
                let mut b = firsts(set);
                b.add_all(digit_or_non_ascii);
                vec![b]
            }
            Needs::FirstUpper => vec![UPPER.union(NON_ASCII)],
            // Every byte of the word, in either ASCII case.
            Needs::FirstWordAsciiCi(word) => word
                .bytes()
                .map(|x| {
                    let mut b = ByteSet::default();
                    b.add(x.to_ascii_lowercase());
                    b.add(x.to_ascii_uppercase());
                    b
                })
                .collect(),
            Needs::MinCount(c, n) if n > 0 => {
                let mut buf = [0u8; 4];
                c.encode_utf8(&mut buf)
                    .bytes()
                    .map(|x| {
                        let mut b = ByteSet::default();
                        b.add(x);
                        b
                    })
                    .collect()
            }
            Needs::AnyCharOrSpacedSlash(set) => {
                let mut b = firsts(set);
                b.add(b'/');
                vec![b]
            }
            Needs::AnySubstr(&Substrs { words: subs, .. })
            | Needs::StartsWith(&StartWords { words: subs, .. })
                if subs.iter().all(|s| !s.is_empty()) =>
            {
                let mut b = ByteSet::default();
                subs.iter().for_each(|s| b.add(s.as_bytes()[0]));
                vec![b]
            }
            Needs::AsciiCiAny(words) if words.iter().all(|w| !w.is_empty()) => {
                let mut b = ByteSet::default();
                words_ci(&mut b, words);
                vec![b]
            }
            Needs::DigitOrAsciiCiAny(words) if words.iter().all(|w| !w.is_empty()) => {
                let mut b = digit_or_non_ascii;
                words_ci(&mut b, words);
                vec![b]
            }
            Needs::SecondWordStarts(set, words) if words.iter().all(|w| !w.is_empty()) => {
                let mut b = firsts(set);
                words_ci(&mut b, words);
                vec![b]
            }
            Needs::LetterOr(set) => {
                let mut b = UPPER.union(LOWER).union(NON_ASCII);
                set.bytes().for_each(|x| b.add(x));
                vec![b]
            }
            Needs::ByteNearEnd(x, _) => {
                let mut b = ByteSet::default();
                b.add(x);
                vec![b]
            }
            Needs::EmailAtEnd => [b'@', b'.']
                .into_iter()
                .map(|x| {
                    let mut b = ByteSet::default();
                    b.add(x);
                    b
                })
                .collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the test holds exactly when the line meets its `clauses`: the byte
    /// gate, checked first, has answered it then (and a byte set of the line would
    /// cost more than the rest of the tests).
    fn implied_by_gate(self) -> bool {
        match self {
            Needs::AsciiDigit | Needs::LetterOr(_) => true,
            Needs::AnyChar(set) => set.is_ascii(),
            _ => false,
        }
    }

    /// Whether the test holds exactly when the line's first byte is in `first_bytes`,
    /// for a line that starts with an ASCII character: that character is the byte,
    /// the only one of the set's characters to start with it, and numeric or uppercase
    /// exactly when it is an ASCII digit or capital.
    fn answered_by_first_byte(self) -> bool {
        matches!(
            self,
            Needs::FirstChar(_) | Needs::FirstCharOrDigit(_) | Needs::FirstUpper
        )
    }

    /// The first two bytes an ASCII line may start with when the test holds: (first,
    /// second), `None` for any second byte (0 stands for the end of a one-byte line);
    /// `None` when the test says nothing about them. A line that passes starts with a
    /// listed ASCII prefix (in either ASCII case for `StartsWithAsciiCi`), so with its
    /// first two bytes; `StartsWithAsciiCi` also passes a line that starts with a
    /// digit (listed with any second byte) or holds a non-ASCII byte (no ASCII line).
    fn first_pairs(self) -> Option<Vec<(u8, Option<u8>)>> {
        let mut list = Vec::new();
        let mut add = |p: &[u8]| match p {
            [] => false,
            [b0] => {
                list.push((*b0, None));
                true
            }
            [b0, b1, ..] => {
                list.push((*b0, Some(*b1)));
                true
            }
        };
        match self {
            Needs::StartsWith(prefixes) => {
                for p in prefixes.words.iter().filter(|p| p.is_ascii()) {
                    if !add(p.as_bytes()) {
                        return None;
                    }
                }
            }
            Needs::StartsWithAsciiCi(words) => {
                for d in b'0'..=b'9' {
                    add(&[d]);
                }
                for w in words.words {
                    let (lower, upper) = (w.to_ascii_lowercase(), w.to_ascii_uppercase());
                    let (l, u) = (lower.as_bytes(), upper.as_bytes());
                    // Every case of the first two bytes.
                    for b0 in [l.first(), u.first()] {
                        let &b0 = b0?;
                        match (l.get(1), u.get(1)) {
                            (Some(&x), Some(&y)) => {
                                add(&[b0, x]);
                                add(&[b0, y]);
                            }
                            _ => {
                                add(&[b0]);
                            }
                        }
                    }
                }
            }
            _ => return None,
        }
        Some(list)
    }

    /// The bytes a line may start with when the test holds; `None` when the test says
    /// nothing about the first character. The first character's first byte, so the
    /// same sets as `clauses`, for the tests of the first character.
    fn first_bytes(self) -> Option<ByteSet> {
        match self {
            n if n.answered_by_first_byte() => self.clauses().first().copied(),
            Needs::StartsWith(prefixes) if prefixes.words.iter().all(|p| !p.is_empty()) => {
                self.clauses().first().copied()
            }
            _ => None,
        }
    }

    /// The bytes a line may end with when the test holds; `None` when the test says
    /// nothing about the last character. A character ends with its last UTF-8 byte, so
    /// a test of ASCII characters allows any byte past ASCII; whitespace and `:` stand
    /// for the characters `LastCharBeforeColon` and `EndsWithAsciiCi` trim.
    fn last_bytes(self) -> Option<ByteSet> {
        const NON_ASCII: ByteSet = ByteSet::range(0x80, 0xff);
        const SPACE: ByteSet = ByteSet::range(b'\t', b'\r').union(ByteSet::range(b' ', b' '));
        let mut b = NON_ASCII;
        match self {
            Needs::LastCharBeforeColon(set) => {
                b = ByteSet::default();
                for c in set.chars() {
                    let mut buf = [0u8; 4];
                    let e = c.encode_utf8(&mut buf).as_bytes();
                    b.add(e[e.len() - 1]);
                }
                // A trimmed character past ASCII ends with a byte of 0x80..=0xBF.
                b.add_all(ByteSet::range(0x80, 0xbf));
                b.add_all(SPACE);
                b.add(b':');
            }
            Needs::EndsWithAsciiCi(ends) => {
                for w in ends.words {
                    let x = w.as_bytes()[w.len() - 1];
                    b.add(x);
                    b.add(x.to_ascii_uppercase());
                }
                b.add_all(SPACE);
                b.add(b':');
                b.add(b'.');
            }
            Needs::OnlyChars(_, ascii) | Needs::AsciiOnlyChars(ascii) => {
                b.0[0] |= ascii[0];
                b.0[1] |= ascii[1];
            }
            Needs::LastCharNot(set) => {
                b = ByteSet([u64::MAX; 4]);
                for x in set.bytes().filter(u8::is_ascii) {
                    b.0[usize::from(x >> 6)] &= !(1 << (x & 63));
                }
            }
            _ => return None,
        }
        Some(b)
    }

    /// Whether the test looks only at the line's end (a few bytes there), so that it
    /// is cheap to run before the line's bytes are looked up (`RuleSet::match_regex`).
    fn at_end(self) -> bool {
        matches!(self, Needs::EndsWithAsciiCi(_) | Needs::ByteNearEnd(..))
    }

    /// Whether `line` (trimmed, not empty) passes.
    fn holds(self, line: &str, facts: &mut LineFacts) -> bool {
        let first = || line.chars().next().unwrap_or(' ');
        match self {
            // One memchr-backed search per character beats testing each
            // character of the line against the set; an ASCII character is in the
            // line exactly when its byte is, which `may_hold` has looked up.
            Needs::AnyChar(set) => set
                .chars()
                .any(|c| facts.may_hold(line, c) && (c.is_ascii() || line.contains(c))),
            Needs::Digit => facts.digit(line),
            Needs::AsciiDigit => facts.bytes(line).ascii_digit(),
            Needs::FirstChar(set) => set.contains(first()),
            // Run only on a line whose first character is not ASCII (the first-byte table
            // answers the rest): an ASCII set holds no such character, and one whose lead
            // byte begins no numeric character needs no Unicode lookup.
            Needs::FirstCharOrDigit(set) => {
                let c = first();
                let lead = line.as_bytes()[0];
                (if c.is_ascii() {
                    set.as_bytes().contains(&lead)
                } else {
                    !set.is_ascii() && set.contains(c)
                }) || ((lead.is_ascii_digit() || may_lead_numeric(lead)) && c.is_numeric())
            }
            Needs::FirstUpper => first().is_uppercase(),
            Needs::FirstWordAsciiCi(word) => first_word_holds_ci(line, word),
            // The gate has checked every byte of `c` (`clauses`).
            Needs::MinCount(c, n) => match u8::try_from(c) {
                Ok(x) if x.is_ascii() && x != 0 => byte_count_reaches(line.as_bytes(), x, n),
                _ => line.matches(c).nth(n.saturating_sub(1)).is_some(),
            },
            Needs::OnlyChars(set, ascii) => {
                // The line's bytes (one walk, shared by every test that asks) answer for
                // its ASCII characters at once; only non-ASCII ones are looked at.
                let b = facts.bytes(line);
                (b.0[0] & !ascii[0]) | (b.0[1] & !ascii[1]) == 0
                    && (!b.non_ascii() || non_ascii_only_chars(line, set))
            }
            // `regex_bytes` has said whether the line holds a non-ASCII byte.
            Needs::NonAsciiOnlyChars(set) => {
                facts.hits & HIT_NON_ASCII == 0 || non_ascii_only_chars(line, set)
            }
            Needs::AsciiOnlyChars(ascii) => {
                let b = facts.bytes(line);
                (b.0[0] & !ascii[0]) | (b.0[1] & !ascii[1]) == 0
            }
            Needs::AnyCharOrSpacedSlash(set) => {
                set.chars()
                    .any(|c| facts.may_hold(line, c) && (c.is_ascii() || line.contains(c)))
                    || (facts.may_hold(line, '/')
                        && line.match_indices('/').any(|(i, _)| {
                            line[..i]
                                .chars()
                                .next_back()
                                .is_some_and(char::is_whitespace)
                                && line[i + 1..]
                                    .chars()
                                    .next()
                                    .is_some_and(char::is_whitespace)
                        }))
            }
            Needs::AnySubstr(subs) => subs.found_in(line.as_bytes()),
            Needs::StartsWith(prefixes) => prefixes.start_of(line.as_bytes()),
            Needs::AsciiCiAny(words) => words.iter().any(|w| contains_ci_checked(line, w, facts)),
            Needs::DigitOrAsciiCiAny(words) => {
                facts.digit(line) || words.iter().any(|w| contains_ci_checked(line, w, facts))
            }
            Needs::StartsWithAsciiCi(words) => words.start_of(line.as_bytes()),
            Needs::EndsWithAsciiCi(ends) => ends.end_of(line.as_bytes()),
            Needs::SecondWordStarts(set, words) => second_word_starts(line, set, words),
            Needs::LetterOr(set) => {
                let b = facts.bytes(line);
                b.ascii_letter() || b.non_ascii() || set.bytes().any(|x| b.has(x))
            }
            Needs::BetweenDigits(set) => between_digits(line, set),
            Needs::ShortItems(sep, n) => line.split(sep).all(|item| count_words(item) <= n),
            Needs::EmailAtEnd => match line.rsplit_once(char::is_whitespace) {
                Some((_, last)) => last
                    .split_once('@')
                    .is_some_and(|(_, domain)| domain.contains('.')),
                None => false,
            },
            Needs::LastCharBeforeColon(set) => line
                .trim_end_matches(|c: char| c == ':' || c.is_whitespace())
                .chars()
                .next_back()
                .is_some_and(|c| set.contains(c)),
            Needs::LastCharNot(set) => line.chars().next_back().is_none_or(|c| !set.contains(c)),
            Needs::ByteNearEnd(x, n) => {
                let b = line.as_bytes();
                holds_byte(&b[b.len().saturating_sub(n)..], x)
            }
        }
    }
}

/// Whether `b` holds `x`: sixteen bytes a compare (`eq_mask16`), the last block
/// overlapping the one before, as `Needs::ByteNearEnd` looks at up to a few hundred
/// bytes of each long line and `contains` goes a byte or a word at a time.
fn holds_byte(b: &[u8], x: u8) -> bool {
    let mut blocks = b.chunks_exact(16);
    for block in &mut blocks {
        if eq_mask16(block.try_into().expect("sixteen bytes"), x) != 0 {
            return true;
        }
    }
    if blocks.remainder().is_empty() {
        return false;
    }
    match b.last_chunk::<16>() {
        Some(last) => eq_mask16(last, x) != 0,
        None => b.contains(&x),
    }
}

/// Whether some `f(at, block)` holds, for the sixteen-byte blocks of `b` from its start
/// (`at`: the block's offset), the last one zero-padded past the end of `b`.
#[inline(always)]
fn any_block(b: &[u8], mut f: impl FnMut(usize, &[u8; 16]) -> bool) -> bool {
    let mut at = 0;
    while at < b.len() {
        let block: [u8; 16] = match b[at..].first_chunk::<16>() {
            Some(block) => *block,
            None => {
                let mut block = [0u8; 16];
                block[..b.len() - at].copy_from_slice(&b[at..]);
                block
            }
        };
        if f(at, &block) {
            return true;
        }
        at += 16;
    }
    false
}

/// Whether `b` holds byte `x` (ASCII, not zero) at least `n` times: sixteen bytes a
/// compare (`Needs::MinCount`), where `str::matches` finds one at a time.
fn byte_count_reaches(b: &[u8], x: u8, n: usize) -> bool {
    if n == 0 {
        return true;
    }
    let mut count = 0;
    any_block(b, |_, block| {
        count += eq_mask16(block, x).count_ones() as usize;
        count >= n
    })
}

/// Whether `lead` (a line's first byte, not ASCII) may begin a numeric character: a
/// lead byte in `NUMERIC_LEADS`.
fn may_lead_numeric(lead: u8) -> bool {
    lead >= 0xC0 && (NUMERIC_LEADS >> (lead - 0xC0)) & 1 != 0
}

/// `Needs::BetweenDigits`: whether a character of `set` stands between two numeric
/// characters. For an ASCII `set` (the built-in ones), its bytes are found sixteen at a
/// time and only their neighbours are decoded, where a walk over every character tested
/// each for being numeric (a Unicode lookup past ASCII); else that walk
/// (`between_digits_plain`).
fn between_digits(line: &str, set: &str) -> bool {
    let s = set.as_bytes();
    if !set.is_ascii() || s.contains(&0) {
        return between_digits_plain(line, set);
    }
    let b = line.as_bytes();
    any_block(b, |at, block| {
        let mut m = s.iter().fold(0, |m, &x| m | eq_mask16(block, x));
        while m != 0 {
            // An ASCII byte of the set: the character before it ends there, the one
            // after it starts after it.
            let i = at + m.trailing_zeros() as usize;
            if i > 0
                && line[..i].chars().next_back().is_some_and(char::is_numeric)
                && line[i + 1..].chars().next().is_some_and(char::is_numeric)
            {
                return true;
            }
            m &= m - 1;
        }
        false
    })
}

/// `between_digits` by its definition: every three characters in a row.
fn between_digits_plain(line: &str, set: &str) -> bool {
    let mut chars = line.chars();
    let (mut a, mut b) = (chars.next(), chars.next());
    chars.any(|c| {
        let hit =
            a.is_some_and(char::is_numeric) && b.is_some_and(|b| set.contains(b)) && c.is_numeric();
        (a, b) = (b, Some(c));
        hit
    })
}

/// Whether every non-ASCII character of `line` is alphanumeric, whitespace or in `set`
/// (the part of `Needs::OnlyChars` that its ASCII table leaves).
fn non_ascii_only_chars(line: &str, set: &str) -> bool {
    line.chars()
        .filter(|c| !c.is_ascii())
        .all(|c| c.is_alphanumeric() || c.is_whitespace() || set.contains(c))
}

/// Whether `b` starts with one of `words` (their first byte lowercase ASCII), ignoring
/// ASCII case: `b`'s first byte is lowercased once and compared with each word's, as on
/// most lines no word starts with it. The same answer as `starts_with_ci` over `words`.
fn starts_with_any_ci(b: &[u8], words: &[&str]) -> bool {
    let Some(first) = b.first().map(u8::to_ascii_lowercase) else {
        return words.iter().any(|w| w.is_empty());
    };
    words.iter().any(|w| {
        let w = w.as_bytes();
        w.first().is_none_or(|&x| x == first)
            && b.get(..w.len()).is_some_and(|h| h.eq_ignore_ascii_case(w))
    })
}

/// The words of a `Needs::EndsWithAsciiCi`, made at compile time by `ends_with_ascii_ci!`.
#[derive(Debug)]
struct EndWords {
    /// The words (for `Needs::last_bytes`, and for the tests, which build lines of them).
    words: &'static [&'static str],
    /// Each word as the low bytes of a `u64` (its last byte lowest) and the mask of
    /// those bytes: compared with a line's last eight bytes, ASCII-lowercased, by a
    /// mask and a compare each, where comparing slices cost a call per word.
    packed: &'static [(u64, u64)],
    /// Bit `x - b'a'` for the last letter `x` of each word: a line whose last letter
    /// ends no word is turned away before the words are compared.
    lasts: u32,
    /// The longest word's length.
    window: usize,
}

/// Words of one to eight lowercase ASCII letters as `EndWords::packed`; any other
/// word fails the build.
const fn pack_end_words<const N: usize>(words: &[&str]) -> [(u64, u64); N] {
    let mut packed = [(0u64, 0u64); N];
    let mut i = 0;
    while i < N {
        let w = words[i].as_bytes();
        assert!(!w.is_empty() && w.len() <= 8);
        let mut j = 0;
        while j < w.len() {
            assert!(w[j].is_ascii_lowercase());
            packed[i].0 = packed[i].0 << 8 | w[j] as u64;
            j += 1;
        }
        packed[i].1 = u64::MAX >> (64 - 8 * w.len());
        i += 1;
    }
    packed
}

impl EndWords {
    /// `words` with their `packed` form, and the table and window worked out.
    const fn new(words: &'static [&'static str], packed: &'static [(u64, u64)]) -> EndWords {
        let (mut lasts, mut window, mut i) = (0u32, 0, 0);
        while i < words.len() {
            let w = words[i].as_bytes();
            lasts |= 1 << (w[w.len() - 1] - b'a');
            if w.len() > window {
                window = w.len();
            }
            i += 1;
        }
        EndWords {
            words,
            packed,
            lasts,
            window,
        }
    }

    /// Whether `b` without its trailing ASCII whitespace, `:` and `.` ends with one of
    /// the words ignoring ASCII case, or holds a non-ASCII byte among its last `window`
    /// bytes (`Needs::EndsWithAsciiCi`).
    fn end_of(&self, b: &[u8]) -> bool {
        let Some(end) = b
            .iter()
            .rposition(|&x| !(is_space_byte(x) || x == b':' || x == b'.'))
        else {
            return false;
        };
        let t = &b[..=end];
        // The last (up to) eight bytes, the last one lowest; zeros before a shorter line.
        let tail = match t.last_chunk::<8>() {
            Some(c) => u64::from_be_bytes(*c),
            None => t.iter().fold(0, |acc, &x| acc << 8 | u64::from(x)),
        };
        if tail & (HIGH >> (64 - 8 * self.window)) != 0 {
            return true;
        }
        // Bit 0x20 set makes a letter lowercase and no other byte a lowercase letter
        // (a zero byte before a short line becomes a space, in no word).
        let tail = tail | FOLD;
        let last = tail as u8;
        last.is_ascii_lowercase()
            && self.lasts & (1 << (last - b'a')) != 0
            && self
                .packed
                .iter()
                .fold(false, |hit, &(word, mask)| hit | (tail & mask == word))
    }
}

/// `Needs::EndsWithAsciiCi` of these words (see `EndWords`), made at compile time.
macro_rules! ends_with_ascii_ci {
    ($($w:literal),+ $(,)?) => {{
        const WORDS: &[&str] = &[$($w),+];
        const PACKED: [(u64, u64); WORDS.len()] = pack_end_words(WORDS);
        const ENDS: EndWords = EndWords::new(WORDS, &PACKED);
        Needs::EndsWithAsciiCi(&ENDS)
    }};
}

/// The words of a `Needs::StartsWith` (case-sensitive) or `Needs::StartsWithAsciiCi`,
/// made at compile time by `starts_with!` and `starts_with_ascii_ci!`.
#[derive(Debug)]
struct StartWords {
    /// The words (for the first-byte and first-pair tables, and for the tests).
    words: &'static [&'static str],
    /// Each word's bytes as two `u64`s (its first byte lowest) and the masks of those
    /// bytes: compared with a line's first sixteen bytes by two masks and compares each,
    /// where comparing slices cost a call per word that starts with the line's first byte.
    packed: &'static [[u64; 4]],
    /// Whether ASCII case is ignored (`StartsWithAsciiCi`: every word is lowercase ASCII
    /// letters, and the line's bytes get bit 0x20 before the compare).
    fold: bool,
    /// The high bits of the first bytes, as many as the longest word has (the window of
    /// `Needs::StartsWithAsciiCi`), as `packed`'s two halves.
    window_high: [u64; 2],
}

/// Words of one to sixteen bytes as `StartWords::packed` (`[low, high, low mask, high
/// mask]`); with `fold`, each must be lowercase ASCII letters. Any other word fails the
/// build.
const fn pack_start_words<const N: usize>(words: &[&str], fold: bool) -> [[u64; 4]; N] {
    let mut packed = [[0u64; 4]; N];
    let mut i = 0;
    while i < N {
        let w = words[i].as_bytes();
        assert!(!w.is_empty() && w.len() <= 16);
        let mut j = 0;
        while j < w.len() {
            // Bit 0x20 makes a letter lowercase and no other byte a lowercase letter.
            assert!(w[j] != 0 && (!fold || w[j].is_ascii_lowercase()));
            packed[i][j / 8] |= (w[j] as u64) << (8 * (j % 8));
            packed[i][2 + j / 8] |= 0xFF << (8 * (j % 8));
            j += 1;
        }
        i += 1;
    }
    packed
}

impl StartWords {
    /// `words` with their `packed` form, and the window's bits worked out.
    const fn new(
        words: &'static [&'static str],
        packed: &'static [[u64; 4]],
        fold: bool,
    ) -> StartWords {
        let (mut window, mut i) = (0, 0);
        while i < words.len() {
            if words[i].len() > window {
                window = words[i].len();
            }
            i += 1;
        }
        let mut window_high = [0u64; 2];
        let mut j = 0;
        while j < window {
            window_high[j / 8] |= 0x80 << (8 * (j % 8));
            j += 1;
        }
        StartWords {
            words,
            packed,
            fold,
            window_high,
        }
    }

    /// `Needs::StartsWith` (without `fold`): whether `b` starts with one of the words.
    /// `Needs::StartsWithAsciiCi` (with `fold`): whether `b` starts with an ASCII digit or
    /// one of the words ignoring ASCII case, or holds a non-ASCII byte among its first
    /// bytes, as many as the longest word has.
    fn start_of(&self, b: &[u8]) -> bool {
        // The first sixteen bytes, zero-padded: no word holds a zero byte (and with bit
        // 0x20 set, a zero is a space, in no word).
        let (mut x, mut y) = head16(b);
        if self.fold {
            if (x & self.window_high[0]) | (y & self.window_high[1]) != 0
                || (x as u8).is_ascii_digit()
            {
                return true;
            }
            x |= FOLD;
            y |= FOLD;
        }
        // The first eight bytes first: they differ for most words.
        self.packed
            .iter()
            .any(|p| x & p[2] == p[0] && y & p[3] == p[1])
    }
}

/// The substrings of a `Needs::AnySubstr`, made at compile time by `any_substr!`.
#[derive(Debug)]
struct Substrs {
    /// The substrings (none empty, none holding a zero byte).
    words: &'static [&'static str],
    /// Their distinct first bytes (the first `first_count`): a line's candidate starts
    /// are found sixteen bytes at a time by one compare per byte value, where a byte set
    /// of the line, then a search for each substring, cost several times more.
    firsts: [u8; SUBSTR_FIRSTS],
    first_count: usize,
}

/// The most distinct first bytes a `Substrs` may have.
const SUBSTR_FIRSTS: usize = 8;

impl Substrs {
    /// `words` with their distinct first bytes; an empty word, one with a zero byte or
    /// more than `SUBSTR_FIRSTS` first bytes fail the build.
    const fn new(words: &'static [&'static str]) -> Substrs {
        let mut firsts = [0u8; SUBSTR_FIRSTS];
        let (mut first_count, mut i) = (0, 0);
        while i < words.len() {
            let w = words[i].as_bytes();
            assert!(!w.is_empty());
            let mut j = 0;
            while j < w.len() {
                assert!(w[j] != 0);
                j += 1;
            }
            let mut k = 0;
            while k < first_count && firsts[k] != w[0] {
                k += 1;
            }
            if k == first_count {
                firsts[first_count] = w[0];
                first_count += 1;
            }
            i += 1;
        }
        Substrs {
            words,
            firsts,
            first_count,
        }
    }

    /// Whether `b` holds one of the substrings: at each byte equal to a first byte, the
    /// substrings that start with it are compared. Sixteen bytes a step (`any_block`:
    /// the last block zero-padded, and no substring starts with a zero).
    fn found_in(&self, b: &[u8]) -> bool {
        let firsts = &self.firsts[..self.first_count];
        any_block(b, |at, block| {
            let mut m = firsts.iter().fold(0, |m, &f| m | eq_mask16(block, f));
            while m != 0 {
                let rest = &b[at + m.trailing_zeros() as usize..];
                // The first two bytes before a call to compare the rest: most candidates
                // (a capital, a Cyrillic lead byte) begin no substring.
                if self.words.iter().any(|w| {
                    let w = w.as_bytes();
                    rest.len() >= w.len()
                        && rest[0] == w[0]
                        && (w.len() == 1 || rest[1] == w[1])
                        && rest[..w.len()] == *w
                }) {
                    return true;
                }
                m &= m - 1;
            }
            false
        })
    }
}

/// `Needs::AnySubstr` of these substrings (see `Substrs`), made at compile time.
macro_rules! any_substr {
    ($($w:literal),+ $(,)?) => {{
        const SUBS: Substrs = Substrs::new(&[$($w),+]);
        Needs::AnySubstr(&SUBS)
    }};
}

/// The first sixteen bytes of `b` as two little-endian `u64`s, zero-padded past its end:
/// loads that may overlap, not a copy into a zeroed buffer.
#[inline]
fn head16(b: &[u8]) -> (u64, u64) {
    let n = b.len().min(16);
    match b.first_chunk::<16>() {
        Some(h) => (
            u64::from_le_bytes(h[..8].try_into().expect("eight bytes")),
            u64::from_le_bytes(h[8..].try_into().expect("eight bytes")),
        ),
        None if n > 8 => (
            u64::from_le_bytes(*b.first_chunk::<8>().expect("more than eight bytes")),
            tail_word(b, n - 8),
        ),
        None if n > 0 => (tail_word(b, n), 0),
        None => (0, 0),
    }
}

/// `Needs::StartsWith` of these words (see `StartWords`), made at compile time.
macro_rules! starts_with {
    ($($w:literal),+ $(,)?) => {{
        const WORDS: &[&str] = &[$($w),+];
        const PACKED: [[u64; 4]; WORDS.len()] = pack_start_words(WORDS, false);
        const STARTS: StartWords = StartWords::new(WORDS, &PACKED, false);
        Needs::StartsWith(&STARTS)
    }};
}

/// `Needs::StartsWithAsciiCi` of these words (see `StartWords`), made at compile time.
macro_rules! starts_with_ascii_ci {
    ($($w:literal),+ $(,)?) => {{
        const WORDS: &[&str] = &[$($w),+];
        const PACKED: [[u64; 4]; WORDS.len()] = pack_start_words(WORDS, true);
        const STARTS: StartWords = StartWords::new(WORDS, &PACKED, true);
        Needs::StartsWithAsciiCi(&STARTS)
    }};
}

/// Whether ASCII byte `x` is whitespace: `char::is_whitespace` on ASCII (space and tab to
/// carriage return), unlike `u8::is_ascii_whitespace`, which leaves out `\v` (0x0B).
pub(crate) const fn is_space_byte(x: u8) -> bool {
    matches!(x, b' ' | b'\t'..=b'\r')
}

/// `Needs::FirstWordAsciiCi`: whether `word` (lowercase ASCII) occurs, ignoring ASCII
/// case, in the line's first word (up to the first whitespace). For a word of one to
/// eight ASCII letters, one pass over the leading ASCII bytes with the last bytes held
/// in a `u64` (bit 0x20 set, which folds a byte to a lowercase letter only from that
/// letter's two cases); from a non-ASCII byte on, `first_word_holds_ci_plain`.
fn first_word_holds_ci(line: &str, word: &str) -> bool {
    let w = word.as_bytes();
    if w.is_empty() || w.len() > 8 || !w.iter().all(u8::is_ascii_lowercase) {
        return first_word_holds_ci_plain(line, word);
    }
    let want = w.iter().fold(0u64, |acc, &x| acc << 8 | u64::from(x));
    let mask = u64::MAX >> (64 - 8 * w.len());
    let mut last = 0u64;
    for &x in line.as_bytes() {
        if !x.is_ascii() {
            return first_word_holds_ci_plain(line, word);
        }
        if is_space_byte(x) {
            return false;
        }
        // `want` has no zero byte: the zeros `last` starts with match nothing.
        last = last << 8 | u64::from(x | 0x20);
        if last & mask == want {
            return true;
        }
    }
    false
}

/// `first_word_holds_ci` by its definition: the first word's end found on bytes while
/// they are ASCII, and from a non-ASCII one on, by characters; then every window.
fn first_word_holds_ci_plain(line: &str, word: &str) -> bool {
    let b = line.as_bytes();
    let end = match b.iter().position(|&x| !x.is_ascii() || is_space_byte(x)) {
        Some(i) if !b[i].is_ascii() => line[i..]
            .find(char::is_whitespace)
            .map_or(b.len(), |j| i + j),
        Some(i) => i,
        None => b.len(),
    };
    b[..end]
        .windows(word.len())
        .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
}

/// `Needs::SecondWordStarts`: whether the second word (after the first run of
/// whitespace) starts with a character of `set` or with one of `words` ignoring ASCII
/// case. On bytes while they are ASCII (an ASCII byte is whitespace exactly when its
/// character is, and in `set` exactly when its byte is); at a non-ASCII byte before the
/// second word's first, `second_word_starts_plain`.
fn second_word_starts(line: &str, set: &str, words: &[&str]) -> bool {
    let b = line.as_bytes();
    let Some(i) = b.iter().position(|&x| !x.is_ascii() || is_space_byte(x)) else {
        return false;
    };
    let Some(j) = b[i..]
        .iter()
        .position(|&x| !x.is_ascii() || !is_space_byte(x))
    else {
        // Only whitespace after the first word (rare).
        return second_word_starts_plain(line, set, words);
    };
    let second = &b[i + j..];
    if !b[i].is_ascii() || !second[0].is_ascii() {
        return second_word_starts_plain(line, set, words);
    }
    set.as_bytes().contains(&second[0]) || starts_with_any_ci(second, words)
}

/// `second_word_starts` by its definition, on characters.
fn second_word_starts_plain(line: &str, set: &str, words: &[&str]) -> bool {
    let Some(i) = line.find(char::is_whitespace) else {
        return false;
    };
    let second = line[i..].trim_start();
    second.starts_with(|c: char| set.contains(c)) || starts_with_any_ci(second.as_bytes(), words)
}

/// Whether `hay` holds `needle` (lowercase ASCII), ignoring ASCII case. Candidate
/// starts are found eight bytes at a time (a byte with bit 0x20 set equal to the
/// needle's first byte), as most lines hold none.
fn contains_ascii_ci(hay: &str, needle: &str) -> bool {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let Some(last) = hay.len().checked_sub(needle.len()) else {
        return false;
    };
    let at = |i: usize| hay[i + 1..i + needle.len()].eq_ignore_ascii_case(rest);
    let mut i = 0;
    // Eight starts at a time, all at most `last`.
    while i + 8 <= last + 1 {
        let x = u64::from_le_bytes(hay[i..i + 8].try_into().expect("eight bytes")) | FOLD;
        let mut starts = eq_bytes(x, first);
        while starts != 0 {
            if at(i + (starts.trailing_zeros() / 8) as usize) {
                return true;
            }
            starts &= starts - 1;
        }
        i += 8;
    }
    (i..=last).any(|i| hay[i] | 0x20 == first && at(i))
}

/// `contains_ascii_ci`, skipped when some byte of `needle` (in either ASCII case)
/// is absent from the line.
fn contains_ci_checked(line: &str, needle: &str, facts: &mut LineFacts) -> bool {
    let b = facts.bytes(line);
    needle
        .bytes()
        .all(|x| b.has(x) || b.has(x.to_ascii_uppercase()))
        && contains_ascii_ci(line, needle)
}

/// The [`ByteSet`] of each byte alone.
static BYTE_SET: [ByteSet; 256] = {
    let mut t = [ByteSet([0; 4]); 256];
    let mut b = 0;
    while b < 256 {
        t[b].0[b >> 6] = 1 << (b & 63);
        b += 1;
    }
    t
};

/// The set of byte values that occur in a line: one pass over the line answers, for
/// every character test of the prefilters, "this byte is absent, so the character is",
/// instead of one search of the line per character.
#[derive(Debug, Clone, Copy, Default)]
struct ByteSet([u64; 4]);

impl ByteSet {
    fn of(line: &str) -> ByteSet {
        // Each byte ORs its whole set (a table row) into the four words, which stay in
        // registers: updating only its own word, indexed, kept the set in memory and each
        // byte's update waited on the previous byte's store to the same word.
        let mut set = ByteSet::default();
        for &b in line.as_bytes() {
            set.add_all(BYTE_SET[usize::from(b)]);
        }
        set
    }

    /// Adds byte `b`.
    fn add(&mut self, b: u8) {
        self.0[usize::from(b >> 6)] |= 1 << (b & 63);
    }

    /// The bytes `lo..=hi`.
    const fn range(lo: u8, hi: u8) -> ByteSet {
        let mut set = [0u64; 4];
        let mut b = lo as usize;
        while b <= hi as usize {
            set[b >> 6] |= 1 << (b & 63);
            b += 1;
        }
        ByteSet(set)
    }

    /// The bytes of either set.
    const fn union(self, other: ByteSet) -> ByteSet {
        let (a, b) = (self.0, other.0);
        ByteSet([a[0] | b[0], a[1] | b[1], a[2] | b[2], a[3] | b[3]])
    }

    /// Adds the first byte of `c`'s UTF-8 form.
    fn add_first(&mut self, c: char) {
        let mut buf = [0u8; 4];
        self.add(c.encode_utf8(&mut buf).as_bytes()[0]);
    }

    /// Adds every byte of `other`.
    #[inline]
    fn add_all(&mut self, other: ByteSet) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a |= b;
        }
    }

    /// Whether some byte is in both sets.
    #[inline]
    fn meets(self, other: ByteSet) -> bool {
        (self.0[0] & other.0[0])
            | (self.0[1] & other.0[1])
            | (self.0[2] & other.0[2])
            | (self.0[3] & other.0[3])
            != 0
    }

    /// Whether byte `b` occurs.
    #[inline]
    fn has(self, b: u8) -> bool {
        self.0[usize::from(b >> 6)] & (1 << (b & 63)) != 0
    }

    /// Whether an ASCII digit occurs.
    fn ascii_digit(self) -> bool {
        // Bits 48..=57 of the first word are `0`..=`9`.
        self.0[0] & (0x3ff << 48) != 0
    }

    /// Whether an ASCII letter occurs.
    fn ascii_letter(self) -> bool {
        // `A`..=`Z` and `a`..=`z` are bits 1..=26 and 33..=58 of the second word.
        self.0[1] & ((0x3ff_ffff << 1) | (0x3ff_ffff << 33)) != 0
    }

    /// Whether a non-ASCII byte occurs.
    fn non_ascii(self) -> bool {
        self.0[2] | self.0[3] != 0
    }
}

/// Facts about a line that several prefilters ask for, computed at most once.
struct LineFacts {
    digit: Option<bool>,
    bytes: Option<ByteSet>,
    /// The OR of the line's `regex_bytes` entries: its `HIT_DIGIT` and `HIT_NON_ASCII`
    /// bits answer `digit`, and whether `NonAsciiOnlyChars` has characters to look at,
    /// without the line's `ByteSet`.
    hits: u64,
}

/// The UTF-8 lead bytes (bit `lead - 0xC0`) that begin some non-ASCII numeric character
/// (`char::is_numeric`): Latin-1 fractions and superscripts (`C2`), Arabic and NKo digits
/// (`D9`, `DB`, `DF`), Indic to CJK numerals (`E0`..=`E3`), Vai digits (`EA`), fullwidth
/// digits (`EF`) and every four-byte lead. The other leads, among them Cyrillic, Greek,
/// Hebrew, CJK ideographs and Hangul, begin no numeric character, so a line of those needs
/// no Unicode lookup to say it has no digit. A test checks every character.
const NUMERIC_LEADS: u64 = {
    let mut m = 0u64;
    let leads = [0xC2u8, 0xD9, 0xDB, 0xDF, 0xE0, 0xE1, 0xE2, 0xE3, 0xEA, 0xEF];
    let mut i = 0;
    while i < leads.len() {
        m |= 1 << (leads[i] - 0xC0);
        i += 1;
    }
    m | (u64::MAX << (0xF0 - 0xC0))
};

/// Whether `line` holds a non-ASCII numeric character: the same answer as
/// `line.chars().any(|c| !c.is_ascii() && c.is_numeric())`, with only the characters
/// whose lead byte is in `NUMERIC_LEADS` decoded and looked up. Eight bytes at a time,
/// a lane mask of the bytes that may be such a lead (0xC2, or 0xD9 and up: every lead in
/// `NUMERIC_LEADS`, a test checks) passes over lines of Latin, Greek, Cyrillic or Hebrew
/// letters without a look at each byte.
fn has_non_ascii_numeric(line: &str) -> bool {
    let b = line.as_bytes();
    let at = |i: usize| {
        let x = b[i];
        x >= 0xC0
            && (NUMERIC_LEADS >> (x - 0xC0)) & 1 != 0
            && line[i..].chars().next().is_some_and(char::is_numeric)
    };
    let mut chunks = b.chunks_exact(8);
    let mut base = 0;
    for c in &mut chunks {
        let x = u64::from_le_bytes(c.try_into().expect("eight bytes"));
        // A lane's low seven bits plus 0x27 reach 0x80 exactly when they are 0x59 or
        // more (no carry leaves the lane): with the high bit, a byte of 0xD9 or more.
        let mut m = (((x & LOW7) + ONES * 0x27) & x & HIGH) | eq_bytes(x, 0xC2);
        while m != 0 {
            if at(base + first_lane(m)) {
                return true;
            }
            m &= m - 1;
        }
        base += 8;
    }
    (base..b.len()).any(at)
}

/// The `regex_bytes` bit of the ASCII digits.
const HIT_DIGIT: u64 = 1 << 62;
/// The `regex_bytes` bit of the non-ASCII bytes.
const HIT_NON_ASCII: u64 = 1 << 63;
/// How many bits of `regex_bytes` the gate clauses and the forbidden-byte bits share
/// (`index_regex_gates`): the clauses take the first ones (the rest spill), the
/// `OnlyChars`-style tests the ones left after them (the rest are tested by their
/// checks); the two above are `HIT_DIGIT` and `HIT_NON_ASCII`.
const HIT_CLAUSES: u32 = 62;
/// How many regex rules, the first ones, get a bit (`first_bit`) in the `u64` rule sets
/// of `regex_first`, `regex_pairs` and `regex_blocked`; the rest are tested one by one.
const BIT_RULES: usize = u64::BITS as usize;

impl LineFacts {
    fn digit(&mut self, line: &str) -> bool {
        if let Some(d) = self.digit {
            return d;
        }
        let d = self.hits & HIT_DIGIT != 0
            || (self.hits & HIT_NON_ASCII != 0 && has_non_ascii_numeric(line));
        self.digit = Some(d);
        d
    }

    /// The bytes of `line`.
    fn bytes(&mut self, line: &str) -> ByteSet {
        *self.bytes.get_or_insert_with(|| ByteSet::of(line))
    }

    /// Whether `line` may hold `c`: false only when a byte of `c` is absent.
    fn may_hold(&mut self, line: &str, c: char) -> bool {
        let b = self.bytes(line);
        if c.is_ascii() {
            return b.has(c as u8);
        }
        let mut buf = [0u8; 4];
        c.encode_utf8(&mut buf).bytes().all(|x| b.has(x))
    }
}

/// The prefilters of the built-in regex rules, by id. Only applied to rules loaded from
/// the built-in file, whose regexes are known; a test checks each against its regex.
/// A constant table, so that prefilters made by `const fn`s (`Needs::only_chars`,
/// `Needs::starts_with_ascii_ci`) are made at compile time.
const BUILTIN_NEEDS: &[(&str, &[Needs])] = &[
    // `^[\w-]*icon[\w-]*\s+...`: the first word holds `icon`.
    // Every character is `\w`, `-` or `\s`.
    (
        "icons.sprite-names",
        &[
            Needs::FirstWordAsciiCi("icon"),
            Needs::ascii_only_chars("-_"),
        ],
    ),
    // Case-sensitive: the line starts with one of the class prefixes.
    (
        "icons.font-classes",
        &[starts_with![
            "fa",
            "glyphicon",
            "dashicons",
            "ion",
            "bi",
            "mdi",
        ]],
    ),
    // `... \d{1,2}[:h]\d{2} ... (said|says|...|пишет)\s*:?$` under `(?i)`; the set
    // holds the verbs' last letters and their case variants (`s` also folds to `ſ`,
    // `т` to two old Cyrillic forms, U+1C84 and U+1C85).
    (
        "comments.thread-header",
        &[
            Needs::Digit,
            // Before the walk over every character that `BetweenDigits` is.
            Needs::LastCharBeforeColon("dsebtóлатDSEBTÓЛАТſ\u{1c84}\u{1c85}"),
            // The verb itself (`a écrit`, `escribió` and the Russian ones end in a
            // character that is not ASCII).
            ends_with_ascii_ci![
                "said", "says", "wrote", "writes", "replied", "schrieb", "schreibt", "sagt",
                "dice",
            ],
            Needs::BetweenDigits(":hH"),
        ],
    ),
    // `(?i)^(?:\d+|one|two|three)\s+(?:responses?|replies|...)`: the second word is
    // the noun (`resp`/`reſp` for `responses`; `k` for `kommentare` and its case
    // variants, `к` for `комментарии`).
    (
        "comments.thread-count",
        &[
            Needs::FirstCharOrDigit("oOtT"),
            // The count: digits or a number word. Its first two bytes go in the pair
            // table, and the words are compared before the second word is looked for:
            // most lines that start with `t` or `o` (`The`, `To`, `Our`) start no count.
            starts_with_ascii_ci!["one", "two", "three"],
            Needs::SecondWordStarts(
                "kK\u{212a}кК",
                &[
                    "repl",
                    "reac",
                    "resp",
                    "re\u{17f}p",
                    "thought",
                    "comment",
                    "coment",
                ],
            ),
        ],
    ),
    // Every branch ends `(?:at|@)\s*\d{1,2}:\d{2}`; the rest is letters, digits,
    // spaces and `./-:@`.
    (
        "comments.timestamp",
        &[
            Needs::Digit,
            // A few bit operations on the line's bytes, before a walk over its characters.
            Needs::only_chars(".,/-:@"),
            Needs::BetweenDigits(":"),
        ],
    ),
    // `(?i)^(?:image|photo|...|zdjęcie)?\s*\d{1,3}...`: a label or a digit first (`с`
    // also folds to U+1C83, `о` below to U+1C82).
    (
        "player.gallery-counter",
        &[
            Needs::Digit,
            Needs::FirstCharOrDigit("iIpPsSfFbBzZфФиИсС\u{17f}\u{1c83}"),
            // The first letter of each separator (`of`, `/`, `из`, `von`, `sur`, ...).
            Needs::AnyChar("oO/иИзЗvVsSdDzZaA\u{17f}"),
            // Its ASCII characters: letters, digits, whitespace and `/`.
            Needs::ascii_only_chars("/"),
        ],
    ),
    // The tail names `newsletter(s)`, a `mailing list`, `e-mail alerts`, `email
    // updates` or the `inbox`.
    (
        "newsletter.signup-prefix",
        &[
            Needs::FirstChar("sSrRjJgGwWeE\u{17f}"),
            // The regex opens with one of these verbs (`enter your email`, `sign up`).
            starts_with_ascii_ci![
                "sign",
                "subscribe",
                "register",
                "join",
                "get",
                "want",
                "enter",
                "receive",
            ],
            Needs::AsciiCiAny(&["letter", "mailing", "alert", "update", "inbox"]),
        ],
    ),
    // Parts of `\p{L}\p{N}&'’.-` joined by `>»›|→` or by a `/` with spaces around.
    (
        "navigation.breadcrumb",
        &[
            Needs::FirstUpper,
            Needs::AnyCharOrSpacedSlash(">»›|→"),
            Needs::only_chars("&'’.->»›|→/"),
        ],
    ),
    ("tags.hashtags", &[Needs::FirstChar("#")]),
    // Four or more items of `\p{L}\p{N}'’&+-` and spaces: three commas at least.
    // Each item has at most three words.
    (
        "tags.comma-list",
        &[
            Needs::MinCount(',', 3),
            Needs::only_chars(",'’&+-"),
            Needs::ShortItems(',', 3),
        ],
    ),
    // The label is case-sensitive: `Photo`, `Foto`, `Фото`, `Imagem`/`Imagen`, `Bild`,
    // `Zdjęcie` (`Photos`, `Fotos`, `Fotografia` contain a shorter one).
    (
        "credit.trailing-photo-label",
        &[
            Needs::AnyChar(":"),
            any_substr!["Photo", "Foto", "Фото", "Imag", "Bild", "Zdjęcie"],
            // `[^.!?]{2,80}$`: most paragraphs end with one of these.
            Needs::LastCharNot(".!?"),
        ],
    ),
    // Ends `\)$` (lines are trimmed); the bracket opens with one of the labels
    // (case-sensitive; `Imag` covers `Image`, `Imagem`, `Imagen`).
    (
        "credit.trailing-photo-parenthesis",
        &[
            Needs::LastCharBeforeColon(")"),
            any_substr![
                "Photo", "PHOTO", "Foto", "FOTO", "Фото", "Imag", "IMAGE", "Bild", "Zdjęcie",
                "Crédit", "Credit",
            ],
        ],
    ),
    // Ends `摄`, `撮影`, then maybe a bracket.
    (
        "credit.photographer-cjk",
        &[
            Needs::AnyChar("摄撮"),
            Needs::LastCharBeforeColon("摄影)）"),
        ],
    ),
    // `=\s?[^/()\[\]]{1,40}$`: at most 41 characters, 164 bytes, after the `=`.
    (
        "credit.caption-ko",
        &[
            Needs::AnyChar("사"),
            Needs::ByteNearEnd(b'=', 165),
            Needs::LastCharNot("/()[]"),
        ],
    ),
    ("credit.signature-cjk", &[Needs::FirstChar("（(")]),
    // `... \s[\w.+-]+@[\w-]+(?:\.[\w-]+)+$`: the address is the last token.
    (
        "credit.byline-email",
        &[Needs::AnyChar("@"), Needs::EmailAtEnd],
    ),
    // The markers are case-sensitive (`Авторы`, `Автор материала` start with `Автор`).
    (
        "credit.byline",
        &[starts_with![
            "By",
            "BY",
            "Written by",
            "Reported by",
            "Words by",
            "Story by",
            "Text by",
            "Автор",
            "Von",
            "VON",
            "Par",
            "PAR",
            "Por",
            "POR",
            "Door",
            "Autor",
            "Текст:",
        ]],
    ),
    // Only date words (letters), ASCII digits and the separators of the regex.
    // The part every match has is a time (`:` or `h`), a numeric date (`./-`), a
    // year before `年`/`년` or a month name: never digits alone.
    (
        "dateline.date-time",
        &[
            Needs::AsciiDigit,
            Needs::only_chars(",./|·–—-:+'º°)]"),
            Needs::LetterOr(":./-"),
        ],
    ),
    // Every branch holds `min`, `мин` or `хв` (any case).
    (
        "dateline.reading-time",
        &[
            Needs::Digit,
            // The unit or the word after it (`мин`, `хв` are not ASCII; `dauer` ends
            // `Lesedauer`, a word longer than the eight bytes compared).
            ends_with_ascii_ci![
                "min", "mins", "minute", "minutes", "minuten", "minutos", "minuti", "minut",
                "read", "lesezeit", "dauer", "lecture", "lectura", "lettura", "leitura",
                "leestijd", "czytania",
            ],
            // Besides letters, digits and spaces: `:`, `ca.`, `~`, `5-7`, `5–7`, `min.`.
            Needs::only_chars(":.~-–"),
            Needs::AnyChar("mMмМхХ"),
        ],
    ),
    // Without a digit, a relative time is `a(n)/one ... ago`, `just now`, `vor
    // einer ...`, `il y a une ...` or `hace una ...`.
    (
        "dateline.relative",
        &[
            // Its ASCII characters: letters, digits, whitespace and `:`.
            Needs::ascii_only_chars(":"),
            Needs::FirstCharOrDigit("uUpPoOaAmMjJvViIhH\u{43e}\u{41e}\u{1c82}"),
            // The first word of each branch (`a` begins `an`, `aktualisiert` and
            // `actualizado`; `ha` begins `hace`; `mis à jour`), else a digit or a
            // non-ASCII word (`обновлено`, `há`).
            starts_with_ascii_ci![
                "a",
                "ha",
                "il",
                "just",
                "mis",
                "one",
                "posted",
                "published",
                "updated",
                "vor",
            ],
            // The last word of each branch: `ago`, `now`, the German, French, Spanish and
            // Portuguese units, `fa`, `geleden`, `temu` (`días`, `años`, `назад`, `тому`,
            // `前`, `전` are not ASCII). Most lines that pass the tests of their start
            // end otherwise.
            ends_with_ascii_ci![
                "ago", "now", "sekunde", "sekunden", "minute", "minuten", "stunde", "stunden",
                "tag", "tagen", "woche", "wochen", "monat", "monaten", "jahr", "jahren", "seconde",
                "secondes", "minutes", "heure", "heures", "jour", "jours", "semaine", "semaines",
                "mois", "an", "ans", "segundo", "segundos", "minuto", "minutos", "hora", "horas",
                "semana", "semanas", "meses", "mes", "fa", "dia", "dias", "ano", "anos", "geleden",
                "temu",
            ],
            Needs::DigitOrAsciiCiAny(&["ago", "now", "vor", "il", "hace"]),
            // Every branch has a word (`ago`, `назад`, `前`, ...): never digits alone.
            Needs::LetterOr(""),
        ],
    ),
];

/// The prefilters of built-in regex rule `id` (none for an unknown id).
fn builtin_needs(id: &str) -> &'static [Needs] {
    BUILTIN_NEEDS
        .iter()
        .find(|(rule, _)| *rule == id)
        .map_or(&[], |&(_, needs)| needs)
}

/// Compiled rules.
#[derive(Debug, Default)]
pub struct RuleSet(Shared);

/// A rule set's compiled form: the built-in set alone is compiled once per process and
/// shared by every [`RuleSet`] that loads it (a second load is free, the regex automata
/// compiled for one are there for the next, and nothing is torn down at exit, which cost
/// as much as cleaning a small page); any other set is owned.
#[derive(Debug)]
enum Shared {
    Builtin(&'static Compiled),
    Own(Box<Compiled>),
}

impl Default for Shared {
    fn default() -> Self {
        Shared::Own(Box::default())
    }
}

impl std::ops::Deref for RuleSet {
    type Target = Compiled;

    #[inline]
    fn deref(&self) -> &Compiled {
        match &self.0 {
            Shared::Builtin(c) => c,
            Shared::Own(c) => c,
        }
    }
}

/// The built-in rules compiled, for [`Shared::Builtin`].
static BUILTIN_SET: OnceLock<Compiled> = OnceLock::new();

/// Holds [`Compiled`] in a private module: a public type (the target of `RuleSet`'s
/// `Deref`, so that matching reads the fields directly) that no one outside can name.
mod compiled {
    use super::*;

    /// The matchers of a [`RuleSet`].
    #[derive(Debug, Default)]
    pub struct Compiled {
        pub(super) rules: Vec<Rule>,
        /// Normalized whole-line phrase -> rule index (the first rule listing it).
        pub(super) whole: KeyTable,
        /// The longest whole-line key, in bytes.
        pub(super) max_key_bytes: usize,
        /// The most words with a letter or digit in one whole-line key.
        pub(super) max_key_words: usize,
        /// The first segment (up to a space or case step) of every whole-line phrase: a
        /// line can only be glued phrases when its first segment is one of these.
        pub(super) glue_starts: KeyTable,
        /// The heads (first one to `HEAD_MAX` bytes) of every whole-line key and glue
        /// start, hashed into a bit table (`head_slot`): a line whose head is not in it
        /// can be neither a phrase nor glued ones, and most lines are turned away there,
        /// before their key is built.
        pub(super) heads: Table<[u8]>,
        /// The longer heads (first `HEAD_MAX + 1` to `LONG_HEAD_MAX` bytes) of every
        /// whole-line key, hashed into a bit table (`long_head_slot`): most glued pieces
        /// and keys that pass `heads` begin no key further on, and a probe here costs
        /// less than hashing the whole key for the map.
        pub(super) long_heads: Table<[u8]>,
        /// Every whole-line key of at most `KEY_END_MAX` bytes, and the first
        /// `KEY_END_MAX` bytes of each longer one, hashed into a bit table (`key_end_slot`):
        /// a line whose head passes `heads` but that starts with no key (`key_may_start`)
        /// is turned away before its key is built, as half the lines that pass `heads` are
        /// sentences or labels that begin like a key's first word.
        pub(super) key_ends: Table<[u8]>,
        pub(super) prefix: Option<PhraseMatcher>,
        pub(super) suffix: Option<PhraseMatcher>,
        pub(super) contains: Option<PhraseMatcher>,
        /// Regex rules in load order. Each is its own `Regex` rather than one `RegexSet`:
        /// a set of large Unicode patterns falls back to the slow PikeVM, while single
        /// regexes keep their lazy DFA, and word limits skip most of them on long lines.
        /// (Rule regexes should avoid `\b`: a Unicode word boundary makes the lazy DFA
        /// give up on non-ASCII text.)
        pub(super) regexes: Vec<RegexRule>,
        /// For each byte value, the regex gate clauses (bit `k`: the `k`th distinct clause
        /// of all rules' `gate`s) that the byte meets, then, on the bits after the
        /// clauses', the `OnlyChars`/`AsciiOnlyChars` tables that reject it (a rule's
        /// `forbid_bits`), and `HIT_DIGIT`, `HIT_NON_ASCII`: OR-ing the entries of a
        /// line's bytes answers every rule's gate at once, one load per byte, where a
        /// `ByteSet` of the line and a test of each clause against it cost several times
        /// more.
        pub(super) regex_bytes: ByteTable,
        /// For each byte value, the regex rules (bit `first_bit`) whose tests allow a line
        /// that starts with it (`Needs::first_bytes`): one load turns away, before any
        /// test runs, the lines whose first character a rule's tests reject.
        pub(super) regex_first: ByteTable,
        /// For an ASCII line, by its first two bytes (hashed, `pair_slot`), the regex
        /// rules (bit `first_bit`) whose tests allow a line that starts with them
        /// (`Needs::first_pairs`): the rules that want the line to start with one of
        /// their words are turned away by one more load, before their tests run.
        pub(super) regex_pairs: PairTable,
        /// For each byte value, the regex rules (bit `first_bit`) whose tests allow a line
        /// that ends with it (`Needs::last_bytes`).
        pub(super) regex_last: ByteTable,
        /// By a line's word count (`WORDS_CAP` for more), the regex rules (bit
        /// `first_bit`) whose word limit it may be within.
        pub(super) regex_words: WordsTable,
        /// The regex rules (bit `first_bit`) with a test of the line's end alone
        /// (`Needs::at_end`).
        pub(super) regex_at_end: u64,
        /// By byte `j` of a line's missing `regex_bytes` bits (`!hits`), the first
        /// `BIT_RULES` regex rules (bit `first_bit`) whose gate needs one of those 8 clauses
        /// or which forbid a byte whose bit among them is not missing (`forbid_bits`): eight
        /// loads turn away, for all those rules at once, the ones whose gate the line fails
        /// or that it holds a forbidden byte of, instead of a test of each rule.
        pub(super) regex_blocked: BlockTable,
    }
}

/// A `u64` for each byte value of each of the 8 bytes of a `u64`, boxed.
#[derive(Debug)]
struct BlockTable(Box<[[u64; 256]; 8]>);

impl Default for BlockTable {
    fn default() -> Self {
        BlockTable(Box::new([[0; 256]; 8]))
    }
}

/// The largest word count with its own entry in [`WordsTable`].
const WORDS_CAP: usize = 64;

/// A `u64` for each word count up to `WORDS_CAP`, boxed.
#[derive(Debug)]
struct WordsTable(Box<[u64; WORDS_CAP + 1]>);

impl Default for WordsTable {
    fn default() -> Self {
        WordsTable(Box::new([0; WORDS_CAP + 1]))
    }
}

/// Slots of [`PairTable`].
const PAIR_BITS: u32 = 12;

/// A `u64` for each slot of a line's first two bytes (`pair_slot`), boxed.
#[derive(Debug)]
struct PairTable(Box<[u64; 1 << PAIR_BITS]>);

impl Default for PairTable {
    fn default() -> Self {
        PairTable(Box::new([0; 1 << PAIR_BITS]))
    }
}

/// The [`PairTable`] slot of a line's first two bytes (the second 0 for a line of one
/// byte); pairs that share a slot share its rules, which only lets lines through.
#[inline]
fn pair_slot(b0: u8, b1: u8) -> usize {
    let x = u32::from(b0) | u32::from(b1) << 8;
    (x.wrapping_mul(0x9E37_79B1) >> (32 - PAIR_BITS)) as usize
}

/// A `u64` for each byte value, boxed (a fixed size, so that indexing by a byte needs
/// no bounds test).
#[derive(Debug)]
struct ByteTable(Box<[u64; 256]>);

impl Default for ByteTable {
    fn default() -> Self {
        ByteTable(Box::new([0; 256]))
    }
}
use compiled::Compiled;

impl RuleSet {
    /// Loads the built-in rules (when `builtin`) and the given extra files.
    ///
    /// # Errors
    /// [`RuleError`] when a file cannot be read or a rule is invalid.
    pub fn load(builtin: bool, extra: &[PathBuf]) -> Result<Self, RuleError> {
        if builtin && extra.is_empty() {
            if let Some(c) = BUILTIN_SET.get() {
                return Ok(RuleSet(Shared::Builtin(c)));
            }
            // Read from `rules/default.rules` when that is current (a fraction of the
            // compile's cost), else compiled from the built-in text as it is in the
            // binary (no copy of 90 KB to make and to compare with it again).
            let compiled = match stored::builtin() {
                Some(set) => set,
                None => compile(&[(BUILTIN_ORIGIN, BUILTIN)])?,
            };
            // Another thread may have won the race: either copy is the same.
            let _ = BUILTIN_SET.set(compiled);
            let c = BUILTIN_SET.get().expect("set above");
            return Ok(RuleSet(Shared::Builtin(c)));
        }
        let mut files = Vec::with_capacity(extra.len());
        for path in extra {
            let text = std::fs::read_to_string(path).map_err(|source| RuleError::Read {
                path: path.clone(),
                source,
            })?;
            files.push((path.display().to_string(), text));
        }
        let mut sources = Vec::with_capacity(extra.len() + 1);
        if builtin {
            sources.push((BUILTIN_ORIGIN, BUILTIN));
        }
        sources.extend(files.iter().map(|(o, t)| (o.as_str(), t.as_str())));
        compile(&sources).map(|c| RuleSet(Shared::Own(Box::new(c))))
    }

    /// Compiles the rules of one TOML source; `origin` names it in errors.
    ///
    /// # Errors
    /// [`RuleError::Invalid`] when the TOML or a rule is invalid.
    pub fn from_toml(src: &str, origin: &str) -> Result<Self, RuleError> {
        compile(&[(origin, src)]).map(|c| RuleSet(Shared::Own(Box::new(c))))
    }

    /// The built-in rule file's text (`rules/default.toml`).
    pub fn builtin_source() -> &'static str {
        BUILTIN
    }

    /// How many rules are loaded.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// Whether no rule is loaded.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule ids, in load order.
    pub fn ids(&self) -> impl Iterator<Item = &str> + '_ {
        self.rules.iter().map(|r| r.id.as_str())
    }

    /// The category and languages of the rule `id`, if loaded.
    pub fn describe(&self, id: &str) -> Option<(&str, &[String])> {
        self.rules
            .iter()
            .find(|r| r.id == id)
            .map(|r| (r.category.as_str(), r.languages.as_slice()))
    }

    /// The first rule that matches `line` (a trimmed, normalized line), if any.
    pub fn match_line(&self, line: &str) -> Option<RuleMatch<'_>> {
        let line = crate::segment::trim(line);
        if line.is_empty() || self.rules.is_empty() {
            return None;
        }
        let words = count_words(line);
        let found = KEY_SCRATCH.with(|scratch| {
            let scratch = &mut *scratch.borrow_mut();
            let (exact, glue) = self.match_whole(line, words, scratch);
            exact
                .or_else(|| self.match_prefix(line, words))
                .or_else(|| self.match_suffix(line, words))
                .or_else(|| self.match_contains(line, words, &mut scratch.lowered))
                .or_else(|| self.match_regex(line, words, &mut scratch.lowered))
                .or_else(|| {
                    let nb = scratch.bounds_len;
                    glue.then(|| self.match_glued(&scratch.key, &scratch.bounds[..nb]))
                        .flatten()
                })
        })?;
        let rule = &self.rules[found as usize];
        Some(RuleMatch {
            id: &rule.id,
            category: &rule.category,
        })
    }

    /// Whether rule `r` accepts a line (or glued piece) of this size.
    fn fits(&self, r: u32, words: usize, text: &str) -> bool {
        let rule = &self.rules[r as usize];
        rule.max_words.is_none_or(|m| words <= m)
            && rule.max_chars.is_none_or(|m| text.chars().count() <= m)
    }

    /// Whole-line phrases. Leaves the lowercased key and its glue points in `scratch`
    /// and says whether the line may be glued phrases (checked last, by the caller).
    fn match_whole(
        &self,
        line: &str,
        words: usize,
        scratch: &mut KeyScratch,
    ) -> (Option<u32>, bool) {
        if self.whole.is_empty() {
            return (None, false);
        }
        let core = trim_non_alnum(line);
        if !self.head_may_match(core) {
            return (None, false);
        }
        // Too long to be one phrase (with room for a count and case changes), and too
        // many words to be glued ones.
        let too_long = core.len() > 2 * self.max_key_bytes + 32;
        if core.is_empty()
            || core.len() > KEY_LINE_MAX_BYTES
            || (too_long && words > GLUE_MAX_WORDS)
            || self.too_many_words(line, words)
        {
            return (None, false);
        }
        // A single lowercase ASCII word is already in key form: no copy needed.
        if words == 1
            && core
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase())
        {
            return (self.whole_rule(normalize_key(core), || 1), false);
        }
        if !self.key_may_start(core) {
            return (None, false);
        }
        scratch.key.clear();
        let nb = build_key(core, &mut scratch.key, &mut scratch.bounds);
        scratch.bounds_len = nb.min(GLUE_MAX_BOUNDS);
        if let Some(r) = self.whole_rule(normalize_key(&scratch.key), || words) {
            return (Some(r), false);
        }
        let glue = nb > 0
            && nb <= GLUE_MAX_BOUNDS
            && words <= GLUE_MAX_WORDS
            && self
                .glue_starts
                .contains(first_segment(&scratch.key, &scratch.bounds[..nb]));
        (None, glue)
    }

    /// False when no whole-line key or glue start begins like `core` (a line trimmed of
    /// non-alphanumeric ends). The head of `core`: its leading ASCII letters, up to
    /// `HEAD_MAX` and up to a lowercase-to-uppercase step, lowercased, and a space if a
    /// space or tab ends them (and room is left). Those letters begin its key, that key
    /// once normalized (nothing is trimmed before a letter; a count is cut only at a
    /// space or bracket after them, and a leading count starts with a digit), and its
    /// first segment (no glue point falls among them; the segment is not empty or a
    /// count); after the space, the normalized key either goes on with it or ends
    /// there, and the segment ends there. `index_heads` lists every head such a key or
    /// segment allows. Any other first byte says nothing and passes.
    fn head_may_match(&self, core: &str) -> bool {
        if self.heads.is_empty() {
            return true;
        }
        let head = line_head(core);
        head == 0 || self.head_in(head)
    }

    /// False when `key` (a normalized key) is no whole-line key: its first `HEAD_MAX`
    /// bytes begin none. One probe of the head table instead of hashing the whole key
    /// for the map, as most glued pieces are no phrase.
    fn may_be_key(&self, key: &str) -> bool {
        if self.heads.is_empty() {
            return true;
        }
        let n = key.len().min(HEAD_MAX);
        let mut head = [0u8; HEAD_MAX];
        head[..n].copy_from_slice(&key.as_bytes()[..n]);
        self.head_in(u64::from_le_bytes(head))
    }

    /// False when the first `LONG_HEAD_MAX` bytes of `key` (a normalized key longer than
    /// `HEAD_MAX`, its head in `heads` already) begin no whole-line key.
    fn may_be_long_key(&self, key: &str) -> bool {
        if self.long_heads.is_empty() || key.len() <= HEAD_MAX {
            return true;
        }
        let h = long_head_slot(key.as_bytes());
        bit_set(&self.long_heads, h)
    }

    /// False when no whole-line key starts the key of `core` (a line trimmed of
    /// non-alphanumeric ends) and ends where a key of it could: then `core` is neither a
    /// phrase nor glued ones (whose first piece is a key that starts it). A core that
    /// starts with an ASCII letter has a key that starts with its first bytes lowercased:
    /// normalizing the key, or a piece of it from the start, only cuts its end
    /// (`key_may_start_at`). One that starts with a digit may lose a leading count
    /// instead (`without_counts`: up to the first space, when more follows), and its key
    /// then starts where the rest does, after the space and any marks: it passes if
    /// either start may begin a key. Any other core passes. A few probes of one bit
    /// table, where building the key, hashing it for the map and finding its first
    /// segment for the glue starts cost several times more. (Out of line: inlined, it
    /// made `match_line` larger than the compiler inlines its thread-local access into.)
    #[inline(never)]
    fn key_may_start(&self, core: &str) -> bool {
        if self.key_ends.is_empty() {
            return true;
        }
        let b = core.as_bytes();
        match b.first() {
            Some(c) if c.is_ascii_alphabetic() => self.key_may_start_at(b),
            Some(c) if c.is_ascii_digit() => {
                if self.key_may_start_at(b) {
                    return true;
                }
                // The first space (a non-ASCII byte first may be one: then the line
                // passes), and the first letter or digit after it.
                let Some(i) = b
                    .iter()
                    .position(|&x| x == b' ' || x == b'\t' || !x.is_ascii())
                else {
                    return false;
                };
                if !b[i].is_ascii() {
                    return true;
                }
                if !is_count(&core[..i]) {
                    return false;
                }
                let rest = &b[i..];
                match rest
                    .iter()
                    .position(|&x| !x.is_ascii() || x.is_ascii_alphanumeric())
                {
                    Some(j) if rest[j].is_ascii() => self.key_may_start_at(&rest[j..]),
                    Some(_) => true,
                    // Nothing but marks after the count: it is not cut.
                    None => false,
                }
            }
            _ => true,
        }
    }

    /// `key_may_start` of a key that starts with the bytes `b` lowercased (the first an
    /// ASCII letter or digit): tested only when its first `KEY_END_MAX` bytes are ASCII
    /// and hold no tab or run of spaces (any other passes). Such a key (nonempty, ending
    /// with a letter or digit) ends before a byte that is no letter or digit, at a
    /// lowercase-to-uppercase step or at the end of `b`, and the table holds it whole
    /// when it is short, else its first `KEY_END_MAX` bytes (probed once for any longer
    /// `b`).
    #[inline]
    fn key_may_start_at(&self, b: &[u8]) -> bool {
        // The first `KEY_END_MAX` bytes, zero-padded: a zero lane is no letter, digit or
        // space, so past the end of a short core no lane is tested.
        const _: () = assert!(KEY_END_MAX == 16, "the bytes of `head16`");
        let (x, y) = head16(b);
        if (x | y) & HIGH != 0 {
            return true;
        }
        // ASCII: the lane tests are exact. A control byte (a tab among them) or a run
        // of spaces would change the key: such lines pass.
        let (sx, sy) = (lanes_eq(x, b' '), lanes_eq(y, b' '));
        if lanes_in(x, 1, 0x1F) | lanes_in(y, 1, 0x1F) != 0
            || (sx << 8) & sx != 0
            || ((sy << 8) | (sx >> 56)) & sy != 0
        {
            return true;
        }
        let (ux, uy) = (lanes_in(x, b'A', b'Z'), lanes_in(y, b'A', b'Z'));
        let (lx, ly) = (lanes_in(x, b'a', b'z'), lanes_in(y, b'a', b'z'));
        let ax = ux | lx | lanes_in(x, b'0', b'9');
        let ay = uy | ly | lanes_in(y, b'0', b'9');
        // Lane `m` (of `x`, then of `y` as `8 + m`): a key of `m` bytes may end there (a
        // letter or digit before it, and no letter or digit, or a case step, at it); the
        // lane after a core shorter than `KEY_END_MAX` bytes is a zero one, its end. A
        // longer core is probed below.
        let ends_x = (ax << 8) & (!ax | (ux & (lx << 8))) & HIGH;
        let ends_y = ((ay << 8) | (ax >> 56)) & (!ay | (uy & ((ly << 8) | (lx >> 56)))) & HIGH;
        let (kx, ky) = (x | (ux >> 2), y | (uy >> 2));
        let mut ends = ends_x;
        while ends != 0 {
            let m = first_lane(ends);
            if self.key_end_in(kx & !(u64::MAX << (8 * m)), 0, m) {
                return true;
            }
            ends &= ends - 1;
        }
        let mut ends = ends_y;
        while ends != 0 {
            let m = first_lane(ends);
            if self.key_end_in(kx, ky & !(u64::MAX << (8 * m)), 8 + m) {
                return true;
            }
            ends &= ends - 1;
        }
        b.len() >= KEY_END_MAX && self.key_end_in(kx, ky, KEY_END_MAX)
    }

    /// Whether `key_ends` holds the key (or key start) of `m` bytes whose first eight
    /// bytes are `a` and the rest `b`, zero-padded.
    #[inline]
    fn key_end_in(&self, a: u64, b: u64, m: usize) -> bool {
        let h = key_end_slot(a, b, m);
        bit_set(&self.key_ends, h)
    }

    /// Whether the head table holds `head` (zero-padded, as [`index_heads`] enters them).
    fn head_in(&self, head: u64) -> bool {
        let h = head_slot(head);
        bit_set(&self.heads, h)
    }

    /// Whether `line` (of `words` words) has too many words to be glued phrases and,
    /// counting only words with an ASCII letter or digit, to be one phrase: its key
    /// keeps each such word (lowercasing and collapsing spaces may split words, never
    /// join them; trimming removes no letter or digit), less at most two counts. One
    /// pass over the bytes instead of building the key.
    fn too_many_words(&self, line: &str, words: usize) -> bool {
        let limit = self.max_key_words + 2;
        // The count below never exceeds `words`.
        if words <= GLUE_MAX_WORDS || words <= limit {
            return false;
        }
        if alnum_starts_exceed(line, limit) {
            return true;
        }
        let mut n = 0;
        let mut counted = false;
        for b in line.bytes() {
            if b == b' ' || b == b'\t' {
                counted = false;
            } else if !counted && b.is_ascii_alphanumeric() {
                counted = true;
                n += 1;
                if n > limit {
                    return true;
                }
            }
        }
        false
    }

    /// The rule of a whole-line key, if it fits the line (of `words()` words: a glued
    /// piece counts its words only once its key is found, as most pieces are no
    /// phrase).
    fn whole_rule(&self, key: &str, words: impl FnOnce() -> usize) -> Option<u32> {
        // The head table probe turns most keys away more cheaply than hashing them.
        if key.is_empty()
            || key.len() > self.max_key_bytes
            || !self.may_be_key(key)
            || !self.may_be_long_key(key)
        {
            return None;
        }
        let r = self.whole.get(key)?;
        self.fits(r, words(), key).then_some(r)
    }

    /// A line made entirely of two or more pieces: whole-line phrases, the last one
    /// possibly a line that a prefix rule matches (`Image` + `Credit: Name`). Dynamic
    /// programming over the glue points of the lowercased key; returns the rule of the
    /// first piece.
    fn match_glued(&self, key: &str, bounds: &[usize]) -> Option<u32> {
        let n = bounds.len() + 1;
        let pos = |i: usize| -> usize {
            match i {
                0 => 0,
                i if i == n => key.len(),
                i => bounds[i - 1],
            }
        };
        // reach[i]: the rule of the first piece of a split of key[..pos(i)].
        let mut reach = [None::<u32>; GLUE_MAX_BOUNDS + 2];
        for i in 0..n {
            let first = if i == 0 { None } else { reach[i] };
            if i > 0 && first.is_none() {
                continue;
            }
            let start = pos(i);
            for j in (i + 1)..=n {
                if pos(j) - start > self.max_key_bytes + 16 {
                    break;
                }
                if (i == 0 && j == n) || reach[j].is_some() {
                    continue;
                }
                let piece = normalize_key(&key[start..pos(j)]);
                if let Some(r) = self.whole_rule(piece, || count_words(piece)) {
                    reach[j] = Some(first.unwrap_or(r));
                } else if heads_longer_pieces(piece)
                    && !(self.may_be_key(piece) && self.may_be_long_key(piece))
                {
                    // Every longer piece from `start` has this head: none is a key.
                    break;
                }
            }
            if i > 0 && reach[n].is_none() {
                let rest = normalize_key(&key[start..]);
                if let Some(r) = self.prefix_rule(rest, true, count_words(rest), rest) {
                    reach[n] = Some(first.unwrap_or(r));
                }
            }
            if reach[n].is_some() {
                break;
            }
        }
        reach[n]
    }

    /// Prefix phrases: the line, after leading decoration, starts with a phrase.
    fn match_prefix(&self, line: &str, words: usize) -> Option<u32> {
        let m = self.prefix.as_ref()?;
        if words > m.gate_words {
            return None;
        }
        // An ASCII letter or digit is no decoration: most lines start with one.
        let text = if line
            .as_bytes()
            .first()
            .is_some_and(u8::is_ascii_alphanumeric)
        {
            line
        } else {
            line.trim_start_matches(is_decoration)
        };
        // The first `max_chars + 1` characters; when as many bytes are ASCII, they are
        // those characters, without decoding them one by one.
        let ascii_end = text.len().min(m.max_chars + 1);
        // Most lines start with no phrase, and the trie walk along their leading ASCII
        // bytes (the start of the lowercased head, ASCII or not) leaves the trie within
        // a few of them: that says so before the head is checked for ASCII or decoded.
        let (passes, left) = trie_walk_ascii(m, text.as_bytes()[..ascii_end].iter().copied());
        if !passes && left {
            return None;
        }
        if text.as_bytes()[..ascii_end].is_ascii() {
            // The walk was over the whole head: when it passed no pattern's end, no
            // phrase starts the head, and the longest-match loop would find none.
            if !passes {
                return None;
            }
            let head = &text[..ascii_end];
            return self.prefix_rule(head, ascii_end == text.len(), words, line);
        }
        // Not ASCII: the first `ascii_end` bytes hold a non-ASCII one, and the walk above
        // has been over the ASCII bytes before it.
        let b = text.as_bytes();
        let ascii_len = b.iter().position(|x| !x.is_ascii()).unwrap_or(b.len());
        KEY_BUF.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.clear();
            // Only the head (the first `max_chars + 1` characters), and only as far as
            // the longest phrase reaches and one character beyond (for its word-end
            // test): no match ends at the cut, so the answer is that of the whole head.
            for (n, c) in text.chars().take(m.max_chars + 1).enumerate() {
                if buf.len() > m.max_bytes {
                    break;
                }
                push_lower(c, &mut buf);
                // Most heads leave the trie within a few characters: no need to
                // lowercase the rest then.
                // (When the head starts with as many ASCII bytes, the walk above
                // has already been over them.)
                if n + 1 == EARLY_EXIT_CHARS
                    && ascii_len < EARLY_EXIT_CHARS
                    && trie_leaves_within(m, buf.as_bytes())
                {
                    return None;
                }
            }
            // Whether the head is the whole text: worked out only here, past the
            // early exits, as it decodes up to `max_chars + 2` characters.
            let whole = text.chars().nth(m.max_chars + 1).is_none();
            self.prefix_rule(&buf, whole, words, line)
        })
    }

    /// The rule of the longest prefix phrase that starts `hay` (lowercase or ASCII).
    /// `whole`: `hay` runs to the end of the line; `words`, `line`: for the rule limits.
    fn prefix_rule(&self, hay: &str, whole: bool, words: usize, line: &str) -> Option<u32> {
        let m = self.prefix.as_ref()?;
        self.anchored(m, hay, whole, words, line)
    }

    /// Leftmost-longest anchored search at the start of `hay`; when the longest phrase
    /// fails its word boundary or its rule's limits, the next shorter one is tried.
    fn anchored(
        &self,
        m: &PhraseMatcher,
        hay: &str,
        whole: bool,
        words: usize,
        line: &str,
    ) -> Option<u32> {
        let b = hay.as_bytes();
        self.longest_fitting(
            m,
            b.len(),
            |end| b[..end].iter().copied(),
            |hit_end| next_is_word(hay, hit_end, whole),
            words,
            line,
        )
    }

    /// The longest-match loop of `anchored`, over a text of `len` bytes of which
    /// `bytes(end)` yields the first `end` (a text in order, or an ASCII tail read
    /// backwards in place); `word_after(end)`: whether a word character follows a
    /// phrase that ends there.
    fn longest_fitting<I: Iterator<Item = u8>>(
        &self,
        m: &PhraseMatcher,
        len: usize,
        bytes: impl Fn(usize) -> I,
        word_after: impl Fn(usize) -> bool,
        words: usize,
        line: &str,
    ) -> Option<u32> {
        let PhraseSearch::Anchored(trie) = &m.search else {
            return None;
        };
        let mut end = len;
        while end > 0 {
            let (p, hit_end) = trie.longest_of(bytes(end))?;
            let r = le_u32(&m.rule_of, p);
            if !(m.word_end[p] != 0 && word_after(hit_end)) && self.fits(r, words, line) {
                return Some(r);
            }
            end = hit_end - 1;
        }
        None
    }

    /// Suffix phrases: the line, before trailing decoration, ends with a phrase. The
    /// tail is reversed so that the search is an anchored prefix search.
    fn match_suffix(&self, line: &str, words: usize) -> Option<u32> {
        let m = self.suffix.as_ref()?;
        if words > m.gate_words {
            return None;
        }
        // An ASCII letter or digit is no decoration: most lines end with one.
        let text = if line
            .as_bytes()
            .last()
            .is_some_and(u8::is_ascii_alphanumeric)
        {
            line
        } else {
            line.trim_end_matches(|c: char| is_decoration(c) || ".)]".contains(c))
        };
        // The last `max_chars + 1` characters; when as many bytes are ASCII, they are
        // those characters, without decoding them one by one from the end.
        let ascii_start = text.len().saturating_sub(m.max_chars + 1);
        let t = &text.as_bytes()[ascii_start..];
        // As in `match_prefix`, along the tail's trailing ASCII bytes read backwards
        // (the start of the reversed, lowercased tail).
        let (passes, left) = trie_walk_ascii(m, t.iter().rev().copied());
        if !passes && left {
            return None;
        }
        if t.is_ascii() {
            // The walk was over the whole tail, read backwards in place instead of from
            // a reversed copy: the trie ignores ASCII case, and a byte of the tail is
            // the character the copy would hold.
            if !passes {
                return None;
            }
            let whole = ascii_start == 0;
            return self.longest_fitting(
                m,
                t.len(),
                |end| t.iter().rev().take(end).copied(),
                // The character before the phrase, in line order.
                |hit_end| match t.len().checked_sub(hit_end + 1) {
                    Some(i) => is_word_char(char::from(t[i])),
                    None => !whole,
                },
                words,
                line,
            );
        }
        // Not ASCII: the walk above has been over the tail's trailing ASCII bytes.
        let ascii_len = t
            .iter()
            .rev()
            .position(|x| !x.is_ascii())
            .unwrap_or(t.len());
        KEY_BUF.with(|buf| {
            let mut buf = buf.borrow_mut();
            buf.clear();
            // Only the tail (the last `max_chars + 1` characters), and only as far as
            // the longest phrase reaches and one character beyond (for its word-end
            // test): no match ends at the cut.
            let mut left = false;
            with_bytes(&mut buf, |v| {
                for (n, c) in text.chars().rev().take(m.max_chars + 1).enumerate() {
                    if v.len() > m.max_bytes {
                        break;
                    }
                    push_lower_bytes(c, v);
                    // As in `match_prefix`: not when the walk above was over as many.
                    if n + 1 == EARLY_EXIT_CHARS
                        && ascii_len < EARLY_EXIT_CHARS
                        && trie_leaves_within(m, v)
                    {
                        left = true;
                        break;
                    }
                }
            });
            if left {
                return None;
            }
            // Whether the tail is the whole text, worked out past the early exits.
            let whole = text.chars().rev().nth(m.max_chars + 1).is_none();
            self.anchored(m, &buf, whole, words, line)
        })
    }

    /// Contains phrases: a phrase anywhere in the line, on word boundaries. `buf`: room for
    /// the line's ASCII-lowercased copy (the scratch buffer `match_regex` reuses after).
    fn match_contains(&self, line: &str, words: usize, buf: &mut String) -> Option<u32> {
        let m = self.contains.as_ref()?;
        if words > m.gate_words {
            return None;
        }
        // Most lines hold no phrase at all: the byte-window filter, then one
        // non-overlapping search, say so exactly, more cheaply than walking the
        // overlapping matches.
        let PhraseSearch::Anywhere(patterns, ac) = &m.search else {
            return None;
        };
        // The hits' word edges are tested on the line, and the first rule (in load
        // order) of the hits that fit wins.
        let mut best: Option<u32> = None;
        let mut consider = |p: usize, start: usize, end: usize| {
            if (m.word_start[p] != 0 && prev_is_word(line, start))
                || (m.word_end[p] != 0 && next_is_word(line, end, true))
            {
                return;
            }
            let r = le_u32(&m.rule_of, p);
            if best.is_none_or(|b| r < b) && self.fits(r, words, line) {
                best = Some(r);
            }
        };
        // Exact: with the filter, no search by the automaton is needed to say no, nor
        // to list the hits (the filter's trie holds the same patterns).
        if let Some(g) = &m.grams {
            if !g.finds(line) {
                return None;
            }
            g.each_hit(line, &mut consider);
            return best;
        }
        // Built at load unless the set is the built-in one, whose phrases build (a test
        // loads them eagerly).
        let ac =
            ac.get_or_init(|| anywhere_automaton(patterns.list()).expect("built-in phrases build"));
        let folded = ascii_lowered(line, buf);
        if !ac.is_match(folded) {
            return None;
        }
        // The hits' offsets are the line's own (ASCII lowering keeps every byte's place).
        for hit in ac.find_overlapping_iter(folded) {
            consider(hit.pattern().as_usize(), hit.start(), hit.end());
        }
        best
    }

    /// The facts of `line` for the regex prefilters, with its `regex_bytes` entries
    /// OR-ed: a fixed-size table (no bounds test per byte) and eight bytes per step, as
    /// this pass runs over every line that reaches the regex rules.
    fn line_facts(&self, line: &str) -> LineFacts {
        let table = &self.regex_bytes.0;
        let mut chunks = line.as_bytes().chunks_exact(8);
        let (mut a, mut b) = (0u64, 0u64);
        for c in &mut chunks {
            a |= (table[usize::from(c[0])] | table[usize::from(c[1])])
                | (table[usize::from(c[2])] | table[usize::from(c[3])]);
            b |= (table[usize::from(c[4])] | table[usize::from(c[5])])
                | (table[usize::from(c[6])] | table[usize::from(c[7])]);
        }
        let hits = chunks
            .remainder()
            .iter()
            .fold(a | b, |acc, &x| acc | table[usize::from(x)]);
        LineFacts {
            digit: None,
            bytes: None,
            hits,
        }
    }

    /// Regex rules, on the line as given; `buf`: room for its case-folded copy (`Lowered`).
    fn match_regex(&self, line: &str, words: usize, buf: &mut String) -> Option<u32> {
        if self.regexes.is_empty() {
            return None;
        }
        let b = line.as_bytes();
        let mut allowed = self.regex_first.0[usize::from(b[0])]
            & self.regex_last.0[usize::from(b[b.len() - 1])]
            & self.regex_words.0[words.min(WORDS_CAP)];
        // When the tables have answered for every rule (no rule past `BIT_RULES`), a line
        // that no rule may match is turned away before its bytes are looked up: a pass
        // over every line that came this far, the most costly part of this function.
        if self.regexes.len() <= BIT_RULES {
            if allowed != 0 && allowed & !self.regex_at_end == 0 {
                // Only rules with a test of the line's end are left (on long lines, the
                // ones without a word limit): those tests look at a few bytes.
                let mut no_facts = LineFacts {
                    digit: None,
                    bytes: None,
                    hits: 0,
                };
                let mut left = allowed;
                while left != 0 {
                    let r = &self.regexes[left.trailing_zeros() as usize];
                    left &= left - 1;
                    if !r
                        .needs
                        .iter()
                        .filter(|n| n.at_end())
                        .all(|n| n.holds(line, &mut no_facts))
                    {
                        allowed &= !r.first_bit;
                    }
                }
            }
            if allowed == 0 {
                return None;
            }
        }
        let mut facts = self.line_facts(line);
        let hits = facts.hits;
        let mut lowered = Lowered::new(line, buf, hits & HIT_NON_ASCII == 0);
        let mut kind = None;
        if hits & HIT_NON_ASCII == 0 {
            allowed &= self.regex_pairs.0[pair_slot(b[0], b.get(1).copied().unwrap_or(0))];
        }
        // On a line that starts with an ASCII character, the first-byte table has
        // answered the tests of that character.
        let ascii_first = b[0].is_ascii();
        // The first `BIT_RULES` rules whose gate and first bytes the line passes, in order, then
        // the rest tested one by one.
        let mut candidates = self.regex_candidates(hits, allowed);
        let mut rest = self
            .regexes
            .iter()
            .skip(BIT_RULES)
            .filter(|r| r.gate_bits & !hits == 0);
        std::iter::from_fn(|| {
            if candidates == 0 {
                return rest.next();
            }
            let i = candidates.trailing_zeros() as usize;
            candidates &= candidates - 1;
            Some(&self.regexes[i])
        })
        .find(|r| {
            words <= r.max_words
                && self.regex_rule_matches(
                    r,
                    if ascii_first {
                        &r.ascii_first_checks
                    } else {
                        &r.checks
                    },
                    words,
                    &mut facts,
                    &mut kind,
                    &mut lowered,
                )
        })
        .map(|r| r.rule)
    }

    /// The first `BIT_RULES` regex rules (bit `first_bit`) whose gate a line with these `hits`
    /// passes, which it holds no byte `forbid_bits` forbids, and whose first bytes are
    /// `allowed`: the same rules as testing each one's `gate_bits`, `forbid_bits` and
    /// `first_bit`.
    #[inline]
    fn regex_candidates(&self, hits: u64, allowed: u64) -> u64 {
        let t = &self.regex_blocked.0;
        let m = (!hits).to_le_bytes();
        let blocked = (t[0][usize::from(m[0])] | t[1][usize::from(m[1])])
            | (t[2][usize::from(m[2])] | t[3][usize::from(m[3])])
            | (t[4][usize::from(m[4])] | t[5][usize::from(m[5])])
            | (t[6][usize::from(m[6])] | t[7][usize::from(m[7])]);
        allowed & !blocked
    }

    /// Whether regex rule `r`, whose gate the line passed, matches it: the gate's spilled
    /// clauses, `checks` (its remaining tests), then the regex and the rule's limits.
    /// `kind`: whether the line is ASCII, of `NARROW` and of `WIDE` characters, worked out
    /// by the first regex run.
    #[inline(always)]
    fn regex_rule_matches(
        &self,
        r: &RegexRule,
        checks: &[Needs],
        words: usize,
        facts: &mut LineFacts,
        kind: &mut Option<(bool, bool, bool)>,
        lowered: &mut Lowered,
    ) -> bool {
        let line = lowered.line;
        (!r.gate_spill || {
            let bytes = facts.bytes(line);
            r.gate.iter().all(|c| c.meets(bytes))
        }) && checks.iter().all(|n| n.holds(line, facts))
            && {
                let (ascii, narrow, wide) = *kind.get_or_insert_with(|| {
                    let ascii = facts.hits & HIT_NON_ASCII == 0;
                    let narrow = ascii || is_narrow(line);
                    (ascii, narrow, narrow || is_wide(line))
                });
                r.is_match(ascii, narrow, wide, lowered) && self.fits(r.rule, words, line)
            }
    }
}

/// Whether every longer piece of a key from the same start (up to a later glue point)
/// normalizes to a key that begins with `piece` (a normalized piece), so with its
/// first `HEAD_MAX` bytes: true when `piece` holds at least that many and does not start
/// with a digit (`long_heads` holds every key prefix of `HEAD_MAX + 1` to `LONG_HEAD_MAX`
/// bytes, so its probe of a shorter piece is exact too). The start is the same first
/// letter or digit (no leading count is cut when it is no digit); a trailing count cut
/// from a longer piece begins after the space that ends this one, or, past a case step,
/// this piece's tail was a count already. A test checks it on many keys.
fn heads_longer_pieces(piece: &str) -> bool {
    piece.len() >= HEAD_MAX && !piece.as_bytes()[0].is_ascii_digit()
}

/// After how many lowercased characters of a non-ASCII head or tail its trie walk is
/// tried (`trie_leaves_within`).
const EARLY_EXIT_CHARS: usize = 4;

/// Whether the trie of `m` rules out every text that starts with `hay`
/// ([`PhraseTrie::leaves_within`]).
fn trie_leaves_within(m: &PhraseMatcher, hay: &[u8]) -> bool {
    matches!(&m.search, PhraseSearch::Anchored(trie) if trie.leaves_within(hay))
}

/// [`PhraseTrie::walk`] of `m`'s trie along the bytes `hay` yields up to the first
/// non-ASCII one (a prefix head's from its start, a suffix tail's backwards from its
/// end): whether it passed a pattern's end, and whether it left the trie. Those bytes
/// begin the text the trie is matched against (the trie ignores ASCII case), so a walk
/// that left it without passing a pattern's end rules out every phrase. A matcher
/// without a trie gives `(true, false)`: nothing is ruled out.
#[inline]
fn trie_walk_ascii(m: &PhraseMatcher, hay: impl Iterator<Item = u8>) -> (bool, bool) {
    match &m.search {
        PhraseSearch::Anchored(trie) => {
            let (best, left) = trie.walk(hay.take_while(u8::is_ascii));
            (best.is_some(), left)
        }
        PhraseSearch::Anywhere(..) => (true, false),
    }
}

/// A line's whole-line key and glue points, kept between the first check (exact
/// phrase) and the last (glued phrases).
struct KeyScratch {
    key: String,
    bounds: [usize; GLUE_MAX_BOUNDS],
    bounds_len: usize,
    /// Room for the line case-folded for the regex automata (`Lowered`).
    lowered: String,
}

thread_local! {
    /// Scratch space for lowercasing a line's head or tail without allocating per line.
    static KEY_BUF: RefCell<String> = RefCell::new(String::with_capacity(256));
    /// Scratch space for a line's whole-line key.
    static KEY_SCRATCH: RefCell<KeyScratch> = RefCell::new(KeyScratch {
        key: String::with_capacity(256),
        bounds: [0; GLUE_MAX_BOUNDS],
        bounds_len: 0,
        lowered: String::with_capacity(256),
    });
}

/// Words = runs of non-whitespace. Lines are normalized, so ASCII whitespace suffices.
/// A word starts at each non-space byte after a space (or at the start). Every line
/// asks for its word count, so the byte-at-a-time loop cost more than the rest of most
/// short lines' checks: sixteen bytes a step first (`word_starts16`: per-byte counters
/// summed by `psadbw`, on x86_64), then eight, each chunk's starts counted by
/// `lane_count` (a multiply, not `count_ones`, which without a popcount instruction
/// costs a dozen operations).
#[inline]
fn count_words(s: &str) -> usize {
    let b = s.as_bytes();
    // Sixteen bytes per step first, on the long lines that hold most bytes (none on
    // targets without SSE2).
    let (mut n, in_word, rest) = word_starts16(b, false);
    // The rest (the end of the line) eight at a time: the carry is the high bit of lane 0.
    let mut prev_word = u64::from(in_word) << 7;
    let mut chunks = rest.chunks_exact(8);
    for chunk in &mut chunks {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let starts;
        (starts, prev_word) = chunk_word_starts(x, prev_word);
        n += lane_count(starts) as usize;
    }
    let r = chunks.remainder().len();
    if r > 0 && b.len() >= 8 {
        // The last eight bytes of the line, read again: their first `8 - r` were
        // counted, and the one just before the remainder says whether it opens inside
        // a word.
        let x = u64::from_le_bytes(b[b.len() - 8..].try_into().expect("eight bytes"));
        let (starts, _) = chunk_word_starts(x, 0);
        return n + lane_count(starts & (u64::MAX << (8 * (8 - r)))) as usize;
    }
    let mut in_word = prev_word != 0;
    for &b in chunks.remainder() {
        let space = b == b' ' || b == b'\t';
        if !space && !in_word {
            n += 1;
        }
        in_word = !space;
    }
    n
}

/// Whether more than `limit` of the words of `line` (split at spaces and tabs) start
/// with an ASCII letter or digit, from its leading all-ASCII eight-byte chunks: false
/// says nothing. Each such word holds a letter or digit, so `too_many_words` is true
/// when this is; eight bytes per step, and most lines it is asked about are long ASCII
/// text, decided here within their first words.
fn alnum_starts_exceed(line: &str, limit: usize) -> bool {
    let mut n = 0;
    // The high bit of lane 0: the byte before this chunk was no space.
    let mut prev_word = 0u64;
    for chunk in line.as_bytes().chunks_exact(8) {
        let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        // The lane tests are exact on ASCII lanes only.
        if x & HIGH != 0 {
            return false;
        }
        let starts;
        (starts, prev_word) = chunk_word_starts(x, prev_word);
        let alnum = lanes_in(x, b'0', b'9') | lanes_in(x | FOLD, b'a', b'z');
        n += lane_count(starts & alnum) as usize;
        if n > limit {
            return true;
        }
    }
    false
}

/// `count_words` one byte at a time (the definition the fast path must agree with).
#[cfg(test)]
fn count_words_bytewise(s: &str) -> usize {
    let mut n = 0;
    let mut in_word = false;
    for b in s.bytes() {
        let space = b == b' ' || b == b'\t';
        if !space && !in_word {
            n += 1;
        }
        in_word = !space;
    }
    n
}

/// Decoration scrapers leave around UI labels: bullets, separators, arrows.
fn is_decoration(c: char) -> bool {
    if c.is_ascii() {
        // The ASCII part of the test below, without a search of the set.
        return matches!(c, '\t'..='\r' | ' ' | '|' | '*' | '>' | '-' | '~' | ':');
    }
    c.is_whitespace() || "»«›‹•·|*>■□▪▶►▸→←↑↓✓✔✕✖×—–-~:…".contains(c)
}

/// Scripts written without spaces between words, where boundaries are not required.
fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFF00..=0xFFEF | 0x20000..=0x3FFFF)
}

/// Whether `c` is part of a word for boundary checks.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() && !is_cjk(c)
}

/// Whether the character at byte `at` of `hay` continues a word. `whole`: `hay` ends
/// where the line ends (otherwise a match reaching its end is treated as inside a word).
fn next_is_word(hay: &str, at: usize, whole: bool) -> bool {
    match hay[at..].chars().next() {
        Some(c) => is_word_char(c),
        None => !whole,
    }
}

/// Whether the character before byte `at` of `hay` is part of a word.
fn prev_is_word(hay: &str, at: usize) -> bool {
    hay[..at].chars().next_back().is_some_and(is_word_char)
}

/// Strings (whole-line keys or glue starts), each with a value (a rule), looked up by
/// `&str`: all in one text, found through an open-addressing table of their places.
/// Loading the built-in rules made a `String` (an allocation and a copy) for each of
/// about 4,600 keys and glue starts of a `HashMap`; here the text grows once.
#[derive(Debug, Default)]
struct KeyTable {
    /// The strings, one after another: read in place from `rules/default.rules` for the
    /// built-in set (see `Slots`).
    text: Cow<'static, str>,
    /// Each string's start and end in `text`, in the order added.
    places: Places,
    /// Linear probing, a power of two long and at most half full. Each slot holds what a
    /// lookup reads (no second table to go through): the string's `key_hash` (compared
    /// first), its start and end in `text`, and its value plus one (0: an empty slot, so
    /// that a new table is zeroed memory).
    slots: Slots,
}

/// The slots of a [`KeyTable`]: its own, or the bytes of the stored rule set in the binary
/// (four little-endian `u32`s a slot), read in place. Copying the built-in set's 192 KB of
/// slots into the heap cost every process some 55 page faults, more time than the copy.
#[derive(Clone)]
enum Slots {
    Own(Box<[(u32, u32, u32, u32)]>),
    Stored(&'static [u8]),
}

impl Default for Slots {
    fn default() -> Self {
        Slots::Own(Box::default())
    }
}

impl Slots {
    /// How many slots.
    #[inline]
    fn len(&self) -> usize {
        match self {
            Slots::Own(s) => s.len(),
            Slots::Stored(b) => b.len() / 16,
        }
    }

    /// Slot `i`.
    #[inline]
    fn at(&self, i: usize) -> (u32, u32, u32, u32) {
        match self {
            Slots::Own(s) => s[i],
            Slots::Stored(b) => stored::slot_at(b, i),
        }
    }

    /// The slots as the table's own, to change (a stored table is copied first).
    fn own(&mut self) -> &mut Box<[(u32, u32, u32, u32)]> {
        if let Slots::Stored(_) = self {
            *self = Slots::Own((0..self.len()).map(|i| self.at(i)).collect());
        }
        match self {
            Slots::Own(s) => s,
            Slots::Stored(_) => unreachable!("made its own above"),
        }
    }
}

/// The places of a [`KeyTable`]'s strings: its own, or the bytes of the stored rule set
/// (two little-endian `u32`s a place), read in place as `Slots` are (copied, they were
/// some 37 KB to allocate and fill in every process). Only the writer of the stored set
/// and `compile` read them; a lookup only asks whether there are any.
#[derive(Clone)]
enum Places {
    Own(Vec<(u32, u32)>),
    Stored(&'static [u8]),
}

impl Default for Places {
    fn default() -> Self {
        Places::Own(Vec::new())
    }
}

impl Places {
    /// How many places.
    fn len(&self) -> usize {
        match self {
            Places::Own(p) => p.len(),
            Places::Stored(b) => b.len() / 8,
        }
    }

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The places, in order.
    fn iter(&self) -> impl Iterator<Item = (u32, u32)> + '_ {
        (0..self.len()).map(|i| match self {
            Places::Own(p) => p[i],
            Places::Stored(b) => stored::place_at(b, i),
        })
    }

    /// The places as the table's own, to change (stored ones are copied first).
    fn own(&mut self) -> &mut Vec<(u32, u32)> {
        if let Places::Stored(_) = self {
            *self = Places::Own(self.iter().collect());
        }
        match self {
            Places::Own(p) => p,
            Places::Stored(_) => unreachable!("made its own above"),
        }
    }
}

/// Each place as a tuple, whether own or stored (tests compare the two forms' `Debug`).
impl std::fmt::Debug for Places {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Each slot as a tuple, whether own or stored (tests compare the two forms' `Debug`).
impl std::fmt::Debug for Slots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.len()).map(|i| self.at(i)))
            .finish()
    }
}

/// The `KeyTable` hash of `key`: `KeyHasher` as a `HashMap` hashes a `str`, multiplied
/// so that its top 32 bits (taken) mix all of it.
#[inline]
fn key_hash(key: &str) -> u32 {
    let mut h = KeyHasher::default();
    key.hash(&mut h);
    (h.finish().wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32) as u32
}

impl KeyTable {
    /// Whether it holds no string.
    fn is_empty(&self) -> bool {
        self.places.is_empty()
    }

    /// Room for `n` more strings of `bytes` bytes in all.
    fn reserve(&mut self, n: usize, bytes: usize) {
        self.text.to_mut().reserve(bytes);
        self.places.own().reserve(n);
        self.grow_to(self.places.len() + n);
    }

    /// Makes the table hold `n` strings at most half full.
    fn grow_to(&mut self, n: usize) {
        let len = (2 * n).next_power_of_two().max(16);
        if len <= self.slots.len() {
            return;
        }
        self.resize(len);
    }

    /// Gives back the room `reserve` set aside and no string took: the glue starts are
    /// reserved one per whole-line phrase, and are fewer (the built-in set's table
    /// halves, 64 KB less in `rules/default.rules` and in the binary).
    fn fit(&mut self) {
        let len = (2 * self.places.len()).next_power_of_two().max(16);
        if len < self.slots.len() {
            self.resize(len);
        }
    }

    /// Moves the strings into a table of `len` slots (a power of two, at least twice
    /// the strings).
    fn resize(&mut self, len: usize) {
        let slots = self.slots.own();
        let old = std::mem::replace(slots, vec![(0, 0, 0, 0); len].into_boxed_slice());
        for slot in old.iter().filter(|s| s.3 != 0) {
            let mut i = slot.0 as usize & (len - 1);
            while slots[i].3 != 0 {
                i = (i + 1) & (len - 1);
            }
            slots[i] = *slot;
        }
    }

    /// The slot of `key` (hash `h`) and its value plus one: its own, or the empty one
    /// where it would go, and 0. The probe loop is made once for each form of the slots
    /// (no test of the form per probe, which cost 1.1M instructions per copy of the
    /// benchmark pages).
    #[inline]
    fn slot(&self, key: &str, h: u32) -> (usize, u32) {
        match &self.slots {
            Slots::Own(s) => self.probe(key, h, s.len(), |i| s[i]),
            Slots::Stored(b) => self.probe(key, h, b.len() / 16, |i| stored::slot_at(b, i)),
        }
    }

    /// [`KeyTable::slot`] over `len` slots, slot `i` being `at(i)`.
    #[inline(always)]
    fn probe(
        &self,
        key: &str,
        h: u32,
        len: usize,
        at: impl Fn(usize) -> (u32, u32, u32, u32),
    ) -> (usize, u32) {
        let text = self.text.as_bytes();
        let mask = len - 1;
        let mut i = h as usize & mask;
        loop {
            let (sh, start, end, v) = at(i);
            if v == 0 || (sh == h && &text[start as usize..end as usize] == key.as_bytes()) {
                return (i, v);
            }
            i = (i + 1) & mask;
        }
    }

    /// The value of `key`.
    #[inline]
    fn get(&self, key: &str) -> Option<u32> {
        if self.places.is_empty() {
            return None;
        }
        let (_, v) = self.slot(key, key_hash(key));
        v.checked_sub(1)
    }

    /// Whether it holds `key`.
    fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Adds `key` with `value` unless it holds `key` already (its first value stays);
    /// true if added.
    fn insert(&mut self, key: &str, value: u32) -> bool {
        // Tested here, where `grow_to` is a call (27 instructions an insert).
        if 2 * (self.places.len() + 1) > self.slots.len() {
            self.grow_to(self.places.len() + 1);
        }
        let h = key_hash(key);
        let (i, v) = self.slot(key, h);
        if v != 0 {
            return false;
        }
        let start = self.text.len();
        self.text.to_mut().push_str(key);
        let fits = |x: usize| u32::try_from(x).expect("rule text under 4 GB");
        let (start, end) = (fits(start), fits(self.text.len()));
        let stored = value.checked_add(1).expect("fewer than u32::MAX rules");
        self.slots.own()[i] = (h, start, end, stored);
        self.places.own().push((start, end));
        true
    }

    /// The strings, in the order added.
    fn keys(&self) -> impl Iterator<Item = &str> + '_ {
        self.places
            .iter()
            .map(|(start, end)| &self.text[start as usize..end as usize])
    }
}

/// A multiply hash for the whole-line table: keys are short and fixed at load time, so
/// a simple fast hash beats SipHash's per-lookup setup.
#[derive(Debug, Default, Clone, Copy)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    /// Eight bytes per multiply (the last eight read again, overlapping, and a shorter
    /// text in one word, `tail_word`) instead of one per byte: a key is hashed on every
    /// probe of the whole-line map, and the map compares keys, so a collision only
    /// costs a comparison.
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let n = bytes.len();
        let mut h = self.0 ^ n as u64;
        if n > 8 {
            let read8 =
                |i: usize| u64::from_le_bytes(bytes[i..i + 8].try_into().expect("eight bytes"));
            let mut i = 0;
            while i + 8 < n {
                h = fold_mul(h ^ read8(i));
                i += 8;
            }
            h = fold_mul(h ^ read8(n - 8));
        } else if n > 0 {
            h = fold_mul(h ^ tail_word(bytes, n));
        }
        self.0 = h;
    }

    /// The `0xff` that ends a hashed `str`: mixed in without a multiply of its own (the
    /// text's bytes have had theirs, and the map's probe reads the hash as it is).
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 ^= u64::from(i);
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

/// Lowercases `s` into `out`, one character at a time (the same mapping for phrases and
/// lines, so that both sides agree); ASCII text is copied whole and lowercased in place.
fn lower_into(s: &str, out: &mut String) {
    // Phrases are mostly ASCII: copied and lowercased in place, in one allocation.
    if s.is_ascii() {
        let start = out.len();
        out.push_str(s);
        out[start..].make_ascii_lowercase();
        return;
    }
    out.reserve(s.len());
    for c in s.chars() {
        // `push_lower`, with the lowercase characters pushed one by one: no `extend`
        // (and its `reserve`) per character.
        if c.is_ascii() {
            out.push(c.to_ascii_lowercase());
        } else {
            c.to_lowercase().for_each(|l| out.push(l));
        }
    }
}

/// Runs `fill` on the bytes of `out`, taken out of the string (keeping its buffer) so
/// that ASCII is pushed a byte at a time without a UTF-8 step per character; `fill`
/// pushes whole characters.
fn with_bytes(out: &mut String, fill: impl FnOnce(&mut Vec<u8>)) {
    let mut v = std::mem::take(out).into_bytes();
    fill(&mut v);
    *out = String::from_utf8(v).expect("whole characters");
}

/// `push_lower` onto bytes.
fn push_lower_bytes(c: char, v: &mut Vec<u8>) {
    if c.is_ascii() {
        v.push((c as u8).to_ascii_lowercase());
    } else {
        let mut b = [0u8; 4];
        for l in c.to_lowercase() {
            v.extend_from_slice(l.encode_utf8(&mut b).as_bytes());
        }
    }
}

/// Pushes the lowercase form of `c`.
#[inline]
fn push_lower(c: char, out: &mut String) {
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        out.extend(c.to_lowercase());
    }
}

/// Lowercases `core` into `out` with whitespace runs collapsed to one space, and
/// records the glue points (each space, each lowercase-to-uppercase step) in `bounds`.
/// Returns the number of glue points (more than `bounds.len()` when they overflowed).
fn build_key(core: &str, out: &mut String, bounds: &mut [usize]) -> usize {
    if let Some(nb) = ascii_key(core, out, bounds) {
        return nb;
    }
    // Most cores are short: a smaller buffer to zero.
    let fast = if core.len() <= KEY_FAST_MAX / 4 {
        fast_key::<{ KEY_FAST_MAX / 2 }>(core, out, bounds)
    } else if core.len() <= KEY_FAST_MAX {
        fast_key::<{ 2 * KEY_FAST_MAX }>(core, out, bounds)
    } else {
        None
    };
    if let Some(nb) = fast {
        return nb;
    }
    key_from_chars(core.chars(), out, bounds)
}

/// Longest core that `fast_key` handles (in a stack buffer); whole-line matching
/// never builds longer keys than `KEY_LINE_MAX_BYTES`.
const KEY_FAST_MAX: usize = 256;

/// The most leading bytes of a line that `RuleSet::heads` holds.
const HEAD_MAX: usize = 8;
/// Bits of the `RuleSet::heads` hash (an 8 KB table).
const HEAD_BITS: u32 = 16;

/// The most leading bytes of a key that `RuleSet::long_heads` holds.
const LONG_HEAD_MAX: usize = 16;
/// Bits of the `RuleSet::long_heads` hash (a 16 KB table).
const LONG_HEAD_BITS: u32 = 17;

/// The `RuleSet::long_heads` bit of the first `LONG_HEAD_MAX` bytes of `key` (more than
/// `HEAD_MAX`), as two zero-padded `u64`s: the first eight bytes and the rest, loaded
/// without a copy into a zeroed buffer (a variable-length memcpy on every probe).
fn long_head_slot(key: &[u8]) -> usize {
    let n = key.len().min(LONG_HEAD_MAX);
    let a = u64::from_le_bytes(*key.first_chunk::<HEAD_MAX>().expect("more than HEAD_MAX"));
    let b = tail_word(&key[..n], n - HEAD_MAX);
    let x = (a ^ b.rotate_left(23).wrapping_mul(0xD6E8_FEB8_6659_FD93))
        .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> (64 - LONG_HEAD_BITS)) as usize
}

/// The `RuleSet::heads` bit of a head of one to `HEAD_MAX` bytes, zero-padded into a
/// `u64` (a zero byte ends a head: keys and lines hold none where it matters, and a
/// collision only lets a line through).
fn head_slot(x: u64) -> usize {
    (x.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> (64 - HEAD_BITS)) as usize
}

/// The head of `core` that [`RuleSet::head_may_match`] looks up, zero-padded into a
/// `u64` (0 when `core` does not start with an ASCII letter): its leading ASCII letters,
/// up to `HEAD_MAX` and up to a lowercase-to-uppercase step, lowercased, and a space if
/// a space or tab ends them (and room is left). Eight bytes at once: the letters end at
/// the first lane that is no letter or is such a step (the lanes up to the first byte
/// of 0x80 or more are exact, and that byte is no letter).
fn line_head(core: &str) -> u64 {
    let b = core.as_bytes();
    let x = match b.first_chunk::<HEAD_MAX>() {
        Some(head) => u64::from_le_bytes(*head),
        None => {
            let mut buf = [0u8; HEAD_MAX];
            buf[..b.len()].copy_from_slice(b);
            u64::from_le_bytes(buf)
        }
    };
    let upper = lanes_in(x, b'A', b'Z');
    let lower = lanes_in(x, b'a', b'z');
    let stop = !(upper | lower) & HIGH | ((lower << 8) & upper);
    if stop == 0 {
        return x | (upper >> 2);
    }
    let n = first_lane(stop);
    // The letters lowercased, and the byte after them kept if it is a space or tab
    // (then as a space).
    let letters = (x | (upper >> 2)) & !(u64::MAX << (8 * n));
    let next = (x >> (8 * n)) & 0xff;
    if n > 0 && (next == u64::from(b' ') || next == u64::from(b'\t')) {
        letters | (u64::from(b' ') << (8 * n))
    } else {
        letters
    }
}

/// The most leading bytes of a key that `RuleSet::key_ends` holds.
const KEY_END_MAX: usize = 16;
/// Bits of the `RuleSet::key_ends` hash (an 8 KB table).
const KEY_END_BITS: u32 = 16;

/// The `RuleSet::key_ends` bit of a key (or key start) of `m` bytes (1 to
/// `KEY_END_MAX`): its first eight bytes `a` and the rest `b`, zero-padded.
#[inline]
fn key_end_slot(a: u64, b: u64, m: usize) -> usize {
    let x = (a
        ^ (b ^ m as u64)
            .rotate_left(23)
            .wrapping_mul(0xD6E8_FEB8_6659_FD93))
    .wrapping_mul(0x9E37_79B9_7F4A_7C15);
    (x >> (64 - KEY_END_BITS)) as usize
}

/// The `RuleSet::key_ends` table of `keys` (whole-line keys): each one of at most
/// `KEY_END_MAX` bytes, and the first `KEY_END_MAX` bytes of each longer one.
fn key_ends_of<'a>(keys: impl Iterator<Item = &'a str>) -> Box<[u64]> {
    let mut ends = vec![0u64; 1 << (KEY_END_BITS - 6)].into_boxed_slice();
    for key in keys {
        let key = &key.as_bytes()[..key.len().min(KEY_END_MAX)];
        let mut buf = [0u8; KEY_END_MAX];
        buf[..key.len()].copy_from_slice(key);
        let a = u64::from_le_bytes(buf[..8].try_into().expect("eight bytes"));
        let b = u64::from_le_bytes(buf[8..].try_into().expect("eight bytes"));
        let h = key_end_slot(a, b, key.len());
        ends[h >> 6] |= 1 << (h & 63);
    }
    ends
}

/// An empty `RuleSet::heads` table.
fn empty_heads() -> Box<[u64]> {
    vec![0u64; 1 << (HEAD_BITS - 6)].into_boxed_slice()
}

/// Enters the heads of `key` (a whole-line key or a glue start) in `heads`.
fn add_heads(heads: &mut [u64], key: &[u8]) {
    let mut add = |x: u64| {
        let h = head_slot(x);
        heads[h >> 6] |= 1 << (h & 63);
    };
    // The head zero-padded once; each prefix masked from it (a copy per prefix cost
    // a call).
    let n = key.len().min(HEAD_MAX);
    let mut buf = [0u8; HEAD_MAX];
    buf[..n].copy_from_slice(&key[..n]);
    let x = u64::from_le_bytes(buf);
    for k in 1..=n {
        add(x & (u64::MAX >> (64 - 8 * k)));
    }
    if key.len() < HEAD_MAX {
        add(x | (u64::from(b' ') << (8 * key.len())));
    }
}

/// Fills `RuleSet::heads` from the whole-line keys and glue starts: every prefix of up
/// to `HEAD_MAX` bytes, and each short one followed by a space (the line's head when
/// the key or first segment is followed there by a space). `heads` comes with the glue
/// starts that are no key's first word entered (by `compile`): a key's first word has
/// no head that the key lacks (its prefixes are the key's, and the first word and a
/// space is the key's prefix or the key and a space), so the 1,500 built-in first
/// words are not entered again.
fn index_heads(set: &mut Compiled, mut heads: Box<[u64]>) {
    for key in set.whole.keys() {
        add_heads(&mut heads, key.as_bytes());
    }
    set.heads = bit_table(&heads);
    let mut long = vec![0u64; 1 << (LONG_HEAD_BITS - 6)].into_boxed_slice();
    for key in set.whole.keys() {
        let key = key.as_bytes();
        for n in HEAD_MAX + 1..=key.len().min(LONG_HEAD_MAX) {
            let h = long_head_slot(&key[..n]);
            long[h >> 6] |= 1 << (h & 63);
        }
    }
    set.long_heads = bit_table(&long);
    set.key_ends = bit_table(&key_ends_of(set.whole.keys()));
}

/// `build_key` of an ASCII core with no tab and no run of spaces (most lines): its key
/// is the core lowercased, copied and lowercased in place in `out` (no stack buffer to
/// zero, and no UTF-8 check of one), and only the glue points are found eight bytes at
/// a time (`Swar8::lowered` goes unused here, and is not computed once inlined;
/// appending those words instead, to `out`'s bytes, cost 3.6M more on the 4x folder for
/// the UTF-8 check of the key). `None` (with `out` untouched) for any other core.
fn ascii_key(core: &str, out: &mut String, bounds: &mut [usize]) -> Option<usize> {
    let bytes = core.as_bytes();
    let base = out.len();
    let mut nb = 0;
    let (mut prev_lower, mut prev_space) = (false, false);
    let mut step = |x: u64, at: usize| -> Option<()> {
        let swar = Swar8::of(x, prev_lower, prev_space)?;
        let mut m = swar.marks;
        while m != 0 {
            if nb < bounds.len() {
                bounds[nb] = at + (m.trailing_zeros() / 8) as usize;
            }
            nb += 1;
            m &= m - 1;
        }
        (prev_lower, prev_space) = (swar.last_lower, swar.last_space);
        Some(())
    };
    let mut chunks = bytes.chunks_exact(8);
    let mut at = base;
    for chunk in &mut chunks {
        step(
            u64::from_le_bytes(chunk.try_into().expect("eight bytes")),
            at,
        )?;
        at += 8;
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        // Zero-padded: a zero byte is no space, letter or tab.
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        step(u64::from_le_bytes(buf), at)?;
    }
    out.push_str(core);
    out[base..].make_ascii_lowercase();
    Some(nb)
}

/// `key_from_chars` for a core of at most `KEY_FAST_MAX` bytes: the same steps, into a
/// stack buffer, on bytes for ASCII and decoding only the non-ASCII characters (a
/// curly quote or a dash must not send a whole line down the per-character path).
/// `None` (with `out` untouched) in the rare case lowercasing outgrows the buffer (of
/// `N` bytes: the caller picks one twice the core's length class).
fn fast_key<const N: usize>(core: &str, out: &mut String, bounds: &mut [usize]) -> Option<usize> {
    // Lowercasing can lengthen a character (`Ⱥ` -> `ⱥ`): room for that.
    let mut buf = [0u8; N];
    let base = out.len();
    let (mut n, mut nb) = (0, 0);
    let mut mark = |at: usize, nb: &mut usize| {
        if *nb < bounds.len() {
            bounds[*nb] = at;
        }
        *nb += 1;
    };
    let mut prev_lower = false;
    let mut prev_space = false;
    let bytes = core.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        // Eight ASCII bytes at a time, unless a tab or a run of spaces must be collapsed.
        if let Some(chunk) = bytes.get(i..i + 8).filter(|_| n + 8 <= buf.len()) {
            let x = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
            if let Some(swar) = Swar8::of(x, prev_lower, prev_space) {
                buf[n..n + 8].copy_from_slice(&swar.lowered.to_le_bytes());
                let mut m = swar.marks;
                while m != 0 {
                    mark(base + n + (m.trailing_zeros() / 8) as usize, &mut nb);
                    m &= m - 1;
                }
                (prev_lower, prev_space) = (swar.last_lower, swar.last_space);
                n += 8;
                i += 8;
                continue;
            }
        }
        let b = bytes[i];
        let (space, lower, upper);
        if b.is_ascii() {
            i += 1;
            (space, lower, upper) = (
                b == b' ' || b == b'\t',
                b.is_ascii_lowercase(),
                b.is_ascii_uppercase(),
            );
            if !space {
                if prev_lower && upper {
                    mark(base + n, &mut nb);
                }
                buf[n] = b.to_ascii_lowercase();
                n += 1;
            }
        } else {
            let c = core[i..].chars().next().expect("a character at a boundary");
            i += c.len_utf8();
            // Below U+0800 (most non-ASCII letters of the rules and of Western pages),
            // the three predicates and the lowercase come from tables; kana, CJK
            // ideographs and Hangul (`chars::known` letters above U+0800) have no case
            // and are no space. Each is a search of the Unicode tables otherwise.
            let u = c as u32;
            let small = u < 0x800;
            let caseless = !small && crate::chars::known(c).is_some_and(|k| k.alnum);
            (space, lower, upper) = if small {
                let bits = two_byte_case()[u as usize];
                (
                    bits & CASE_SPACE != 0,
                    bits & CASE_LOWER != 0,
                    bits & CASE_UPPER != 0,
                )
            } else if caseless {
                (false, false, false)
            } else {
                (c.is_whitespace(), c.is_lowercase(), c.is_uppercase())
            };
            if !space {
                if prev_lower && upper {
                    mark(base + n, &mut nb);
                }
                // One character (0 when it lowercases to several).
                let one = if small {
                    u32::from(two_byte_lowercase()[u as usize])
                } else if caseless {
                    u
                } else {
                    0
                };
                if one != 0 {
                    if n + 4 > buf.len() {
                        return None;
                    }
                    let l = char::from_u32(one).expect("a table of characters");
                    n += l.encode_utf8(&mut buf[n..]).len();
                } else {
                    for l in c.to_lowercase() {
                        if n + 4 > buf.len() {
                            return None;
                        }
                        n += l.encode_utf8(&mut buf[n..]).len();
                    }
                }
            }
        }
        if space {
            if !prev_space {
                mark(base + n, &mut nb);
                buf[n] = b' ';
                n += 1;
            }
            prev_space = true;
            prev_lower = false;
            continue;
        }
        prev_lower = lower;
        prev_space = false;
    }
    // Checked, though `buf[..n]` holds only ASCII bytes and whole characters from
    // `encode_utf8`: skipping the check (`unsafe`) saved about 200 instructions a key with
    // a non-ASCII character, 0.16M per process, too little for an `unsafe` that a later
    // edit here could make unsound.
    out.push_str(std::str::from_utf8(&buf[..n]).expect("whole characters"));
    Some(nb)
}

/// `fast_key`'s step over eight ASCII bytes in one `u64` (byte `k` in bits `8k..`),
/// each per-byte test a mask with the top bit of each byte set where it holds.
struct Swar8 {
    /// The eight bytes lowercased.
    lowered: u64,
    /// Glue points: spaces and lowercase-to-uppercase steps.
    marks: u64,
    last_lower: bool,
    last_space: bool,
}

impl Swar8 {
    /// The step, or `None` when a byte is not ASCII, is a tab, or is a space after a
    /// space (left to the byte-by-byte step). `prev_*`: the byte before the eight.
    fn of(x: u64, prev_lower: bool, prev_space: bool) -> Option<Swar8> {
        if x & HIGH != 0 || eq_bytes(x, b'\t') != 0 {
            return None;
        }
        let space = eq_bytes(x, b' ');
        if ((space << 8) | (u64::from(prev_space) << 7)) & space != 0 {
            return None;
        }
        let upper = lanes_in(x, b'A', b'Z');
        let lower = lanes_in(x, b'a', b'z');
        let steps = ((lower << 8) | (u64::from(prev_lower) << 7)) & upper;
        Some(Swar8 {
            lowered: x | (upper >> 2),
            marks: space | steps,
            last_lower: lower >> 63 != 0,
            last_space: space >> 63 != 0,
        })
    }
}

/// `build_key` over the characters of the core.
#[inline(always)]
fn key_from_chars(
    chars: impl Iterator<Item = char>,
    out: &mut String,
    bounds: &mut [usize],
) -> usize {
    let mut nb = 0;
    let mut push = |at: usize, nb: &mut usize| {
        if *nb < bounds.len() {
            bounds[*nb] = at;
        }
        *nb += 1;
    };
    let mut prev_lower = false;
    let mut prev_space = false;
    for c in chars {
        let (space, lower, upper) = if c.is_ascii() {
            (
                c == ' ' || c == '\t',
                c.is_ascii_lowercase(),
                c.is_ascii_uppercase(),
            )
        } else {
            (c.is_whitespace(), c.is_lowercase(), c.is_uppercase())
        };
        if space {
            if !prev_space {
                push(out.len(), &mut nb);
                out.push(' ');
            }
            prev_space = true;
            prev_lower = false;
            continue;
        }
        if prev_lower && upper {
            push(out.len(), &mut nb);
        }
        prev_lower = lower;
        prev_space = false;
        push_lower(c, out);
    }
    nb
}

/// The first segment of a key with glue points `bounds` that is not empty or a count.
fn first_segment<'a>(key: &'a str, bounds: &[usize]) -> &'a str {
    let mut start = 0;
    for &end in bounds.iter().chain(std::iter::once(&key.len())) {
        let seg = normalize_key(&key[start..end]);
        if !seg.is_empty() && !is_count(seg) {
            return seg;
        }
        start = end;
    }
    ""
}

/// A count's magnitude letter (`12k`, `3M`): shared by [`is_count`] and the shortcut of
/// [`normalize_key`] that must know every byte a count can end with.
fn is_magnitude(b: u8) -> bool {
    matches!(b, b'k' | b'K' | b'm' | b'M')
}

/// A count token: digits with separators and a magnitude suffix (`12`, `1,024`, `1.2k`).
fn is_count(tok: &str) -> bool {
    // A digit first (trimming the suffix never removes it); then the suffix letters
    // are trimmed on bytes, as they are ASCII.
    let b = tok.as_bytes();
    if !b.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let end = b
        .iter()
        .rposition(|&x| !(is_magnitude(x) || x == b'+'))
        .map_or(0, |i| i + 1);
    b[..end]
        .iter()
        .all(|&x| x.is_ascii_digit() || x == b',' || x == b'.')
}

/// `s.trim_matches(|c: char| !c.is_alphanumeric())`: ASCII characters are trimmed on
/// bytes, then (at a non-ASCII end) characters.
#[inline]
fn trim_non_alnum(s: &str) -> &str {
    let b = s.as_bytes();
    // Most lines and keys start and end with an ASCII letter or digit: nothing to trim,
    // and no call (the trimming, out of line, saves registers on every call).
    if let (Some(first), Some(last)) = (b.first(), b.last()) {
        if first.is_ascii_alphanumeric() {
            if last.is_ascii_alphanumeric() {
                return s;
            }
            // One ASCII mark after a letter or digit (most sentences end so): the
            // mark is all that is trimmed.
            if last.is_ascii() && b.len() >= 2 && b[b.len() - 2].is_ascii_alphanumeric() {
                return &s[..s.len() - 1];
            }
        }
    }
    trim_non_alnum_ends(s)
}

/// `trim_non_alnum` of a string that does not start and end with an ASCII letter or
/// digit.
#[inline(never)]
fn trim_non_alnum_ends(s: &str) -> &str {
    let b = s.as_bytes();
    let keep = |x: &u8| !x.is_ascii() || x.is_ascii_alphanumeric();
    let Some(start) = b.iter().position(keep) else {
        return "";
    };
    // Bytes after `end` are ASCII, so both cuts are character boundaries.
    let end = b.iter().rposition(keep).map_or(b.len(), |i| i + 1);
    let s = &s[start..end];
    let (first, last) = (s.as_bytes()[0], s.as_bytes()[s.len() - 1]);
    // An ASCII end byte here is alphanumeric and stays: only a non-ASCII end is trimmed.
    let s = if first.is_ascii() {
        s
    } else {
        s.trim_start_matches(|c: char| !is_alphanumeric(c))
    };
    if last.is_ascii() {
        s
    } else {
        s.trim_end_matches(|c: char| !is_alphanumeric(c))
    }
}

/// The comparable form of a lowercased line or phrase: punctuation and symbols trimmed
/// at both ends, and a count at either end removed (`comments (12)` -> `comments`).
#[inline]
fn normalize_key(s: &str) -> &str {
    let k = trim_non_alnum(s);
    // A count ends in a digit or a magnitude letter (`+`, `,` and `.` are trimmed), and
    // starts with a digit: most keys have neither, and skip the searches (out of line).
    let b = k.as_bytes();
    if b.last()
        .is_some_and(|&b| b.is_ascii_digit() || is_magnitude(b))
        || b.first().is_some_and(u8::is_ascii_digit)
    {
        return without_counts(k);
    }
    k
}

/// `normalize_key` of a key trimmed already (`k`): a count at either end removed.
#[inline(never)]
fn without_counts(mut k: &str) -> &str {
    if k.as_bytes()
        .last()
        .is_some_and(|&b| b.is_ascii_digit() || is_magnitude(b))
    {
        // The separators are ASCII: a byte search finds the same position as `rfind`.
        if let Some(i) = k.bytes().rposition(|b| matches!(b, b' ' | b'(' | b'[')) {
            if is_count(&k[i + 1..]) && !trim_non_alnum(&k[..i]).is_empty() {
                k = trim_non_alnum(&k[..i]);
            }
        }
    }
    if k.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        if let Some(i) = k.bytes().position(|b| b == b' ') {
            if is_count(&k[..i]) && !trim_non_alnum(&k[i..]).is_empty() {
                k = trim_non_alnum(&k[i..]);
            }
        }
    }
    k
}

/// Reads a rule file written in the plain subset of TOML that `rules/default.toml`
/// uses: `[[rule]]` headers, `key = value` lines with bare keys, basic strings
/// (escapes `\"` and `\\` only), literal strings (one-line and multi-line), arrays
/// of strings over several lines, decimal integers, and `#` comments. `None` for
/// anything else (a duplicate or unknown key, another escape, a control character...),
/// which the caller then hands to the TOML parser: on what it accepts, the answer is
/// the TOML parser's (a test compares the two on the built-in file).
fn parse_plain(src: &str) -> Option<RawFile<'_>> {
    let mut p = Plain {
        src,
        i: 0,
        scratch: Vec::new(),
    };
    let mut rules: Vec<RawRule> = Vec::new();
    loop {
        p.skip_blank_lines();
        if p.i == src.len() {
            break;
        }
        if p.rest().starts_with("[[rule]]") {
            p.i += "[[rule]]".len();
            p.end_of_line()?;
            rules.push(RawRule::default());
            continue;
        }
        let rule = rules.last_mut()?;
        let key = p.bare_key()?;
        p.skip_spaces();
        p.eat(b'=')?;
        p.skip_spaces();
        match key {
            "id" => fill(&mut rule.id, p.string()?.into_owned())?,
            "category" => fill(&mut rule.category, p.string()?.into_owned())?,
            "scope" => fill(&mut rule.scope, p.string()?.into_owned())?,
            "regex" => fill(&mut rule.regex, p.string()?.into_owned())?,
            "note" => fill(&mut rule.note, p.string()?.into_owned())?,
            "languages" => fill(
                &mut rule.languages,
                p.strings()?.into_iter().map(Cow::into_owned).collect(),
            )?,
            "phrases" => fill(&mut rule.phrases, p.strings()?)?,
            "max_words" => fill(&mut rule.max_words, p.integer()?)?,
            "max_chars" => fill(&mut rule.max_chars, p.integer()?)?,
            _ => return None,
        }
        p.end_of_line()?;
    }
    Some(RawFile { rule: rules })
}

/// Sets a key's value; `None` if the key was set already (a TOML error).
fn fill<T>(slot: &mut Option<T>, value: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(value);
    Some(())
}

/// The state of [`parse_plain`]: the text and the byte position.
struct Plain<'a> {
    src: &'a str,
    i: usize,
    /// The strings of the array being read (`Plain::strings`), kept for the next one.
    scratch: Vec<Cow<'a, str>>,
}

impl<'a> Plain<'a> {
    fn rest(&self) -> &'a str {
        &self.src[self.i..]
    }

    fn peek(&self) -> Option<u8> {
        self.src.as_bytes().get(self.i).copied()
    }

    /// Consumes byte `b` (ASCII), or fails.
    fn eat(&mut self, b: u8) -> Option<()> {
        (self.peek()? == b).then(|| self.i += 1)
    }

    fn skip_spaces(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.i += 1;
        }
    }

    /// Skips a comment up to (not past) the end of its line.
    fn skip_comment(&mut self) {
        if self.peek() == Some(b'#') {
            self.i = self
                .rest()
                .find('\n')
                .map_or(self.src.len(), |n| self.i + n);
        }
    }

    /// Skips spaces, comments and line ends.
    fn skip_blank_lines(&mut self) {
        loop {
            self.skip_spaces();
            self.skip_comment();
            if self.peek() != Some(b'\n') {
                return;
            }
            self.i += 1;
        }
    }

    /// Spaces, an optional comment, then a line end or the end of the text.
    fn end_of_line(&mut self) -> Option<()> {
        self.skip_spaces();
        self.skip_comment();
        match self.peek() {
            None => Some(()),
            Some(b'\n') => {
                self.i += 1;
                Some(())
            }
            Some(_) => None,
        }
    }

    fn bare_key(&mut self) -> Option<&'a str> {
        let start = self.i;
        while self
            .peek()
            .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            self.i += 1;
        }
        (self.i > start).then(|| &self.src[start..self.i])
    }

    /// A basic, literal or multi-line literal string: borrowed from the text unless it
    /// has an escape.
    fn string(&mut self) -> Option<Cow<'a, str>> {
        // A control character other than a tab (and, in a multi-line string, a line
        // feed) is a TOML error; a carriage return is left to the TOML parser.
        let plain = |c: char, newline: bool| c == '\t' || (newline && c == '\n') || !c.is_control();
        let rest = self.rest();
        if let Some(body) = rest.strip_prefix("'''") {
            let end = body.find("'''")?;
            // Up to two more quotes may close the string: they would belong to it.
            if body[end + 3..].starts_with('\'') {
                return None;
            }
            self.i += 3 + end + 3;
            let text = &body[..end];
            let text = text.strip_prefix('\n').unwrap_or(text);
            return text
                .chars()
                .all(|c| plain(c, true))
                .then_some(Cow::Borrowed(text));
        }
        if let Some(body) = rest.strip_prefix('\'') {
            let end = body.find('\'')?;
            self.i += 1 + end + 1;
            let text = &body[..end];
            return text
                .chars()
                .all(|c| plain(c, false))
                .then_some(Cow::Borrowed(text));
        }
        let body = rest.strip_prefix('"')?;
        // Runs between escapes are copied whole; the bytes that end a run are ASCII.
        let b = body.as_bytes();
        let mut out = String::new();
        let (mut from, mut n) = (0, 0);
        loop {
            // A table test per byte up to the next byte that ends the run.
            while b.get(n).is_some_and(|&x| !ENDS_BASIC_RUN[usize::from(x)]) {
                n += 1;
            }
            match *b.get(n)? {
                b'"' => {
                    self.i += 1 + n + 1;
                    // Most strings have no escape: no copy.
                    if from == 0 {
                        return Some(Cow::Borrowed(&body[..n]));
                    }
                    out.push_str(&body[from..n]);
                    return Some(Cow::Owned(out));
                }
                b'\\' => {
                    out.push_str(&body[from..n]);
                    match b.get(n + 1) {
                        Some(&e @ (b'"' | b'\\')) => out.push(char::from(e)),
                        _ => return None,
                    }
                    n += 2;
                    from = n;
                }
                // TOML's control characters.
                _ => return None,
            }
        }
    }

    /// An array of strings, over any number of lines, with comments and an optional
    /// trailing comma.
    fn strings(&mut self) -> Option<Vec<Cow<'a, str>>> {
        // Read into the reused `scratch`, then copied out at its length: one allocation
        // per array, where growing each list from empty cost several reallocations
        // (most arrays are long lists of phrases).
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.clear();
        let read = self.strings_into(&mut scratch);
        let list = read.map(|()| {
            let mut list = Vec::with_capacity(scratch.len());
            list.append(&mut scratch);
            list
        });
        self.scratch = scratch;
        list
    }

    /// [`Plain::strings`] appended to `out`.
    fn strings_into(&mut self, out: &mut Vec<Cow<'a, str>>) -> Option<()> {
        self.eat(b'[')?;
        loop {
            self.skip_blank_lines();
            if self.eat(b']').is_some() {
                return Some(());
            }
            out.push(self.string()?);
            self.skip_blank_lines();
            if self.eat(b',').is_none() {
                return self.eat(b']');
            }
        }
    }

    /// A decimal integer without sign, underscores or leading zero.
    fn integer(&mut self) -> Option<usize> {
        let start = self.i;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.i += 1;
        }
        let digits = &self.src[start..self.i];
        if digits.is_empty() || (digits.len() > 1 && digits.starts_with('0')) {
            return None;
        }
        digits.parse().ok()
    }
}

/// The bytes that end a run of a basic string in `Plain::string`: the quote, the
/// backslash and TOML's control characters (C1 controls are allowed).
const ENDS_BASIC_RUN: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    while i < 256 {
        table[i] = matches!(i as u8, b'"' | b'\\' | 0..=0x08 | 0x0a..=0x1f | 0x7f);
        i += 1;
    }
    table
};

/// Checks an id or category: lowercase ASCII letters, digits, `-`, `_`, parts joined
/// by dots (`dots` allowed).
fn valid_name(s: &str, dots: bool) -> bool {
    !s.is_empty()
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
        })
        && (dots || !s.contains('.'))
}

/// A language tag: `*` or a lowercase ISO 639 code, optionally with a region.
fn valid_language(s: &str) -> bool {
    if s == "*" {
        return true;
    }
    let (lang, region) = s.split_once('-').unwrap_or((s, "A"));
    (2..=3).contains(&lang.len())
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && !region.is_empty()
        && region.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Phrases of one scope, gathered before building the automaton.
#[derive(Default)]
struct PhraseList {
    patterns: Vec<String>,
    rule_of: Vec<u32>,
    /// Patterns already listed: a phrase belongs to the first rule that lists it (the
    /// whole-line map's hash: these are short, fixed strings too).
    seen: HashMap<String, u32, BuildHasherDefault<KeyHasher>>,
    gate_words: usize,
}

impl PhraseList {
    /// Room for `n` more phrases.
    fn reserve(&mut self, n: usize) {
        self.patterns.reserve(n);
        self.rule_of.reserve(n);
        self.seen.reserve(n);
    }

    /// Adds a lowercased phrase of rule `rule` (with word limit `gate`).
    fn add(&mut self, pattern: String, rule: u32, gate: usize) {
        self.gate_words = self.gate_words.max(gate);
        // One hash per phrase: `entry` instead of a lookup and then an insert.
        if let Entry::Vacant(slot) = self.seen.entry(pattern) {
            self.patterns.push(slot.key().clone());
            slot.insert(rule);
            self.rule_of.push(rule);
        }
    }
}

/// Whether `src` is the built-in rule file's text: most often the very text in the
/// binary (its address, no 90 KB compare), else compared.
fn is_builtin(src: &str) -> bool {
    std::ptr::eq(src, BUILTIN) || src == BUILTIN
}

/// Validates and compiles rule sources (origin, TOML text), in order.
fn compile(sources: &[(&str, &str)]) -> Result<Compiled, RuleError> {
    let mut set = Compiled::default();
    let mut origin_of: HashMap<String, String> = HashMap::new();
    let mut prefix = PhraseList::default();
    let mut suffix = PhraseList::default();
    let mut contains = PhraseList::default();
    let mut heads = empty_heads();

    for &(origin, src) in sources {
        let invalid = |message: String| RuleError::Invalid {
            origin: origin.to_string(),
            message,
        };
        // The built-in file is read by `parse_plain`, which costs a small part of the
        // TOML parser's time; anything else (and anything it does not accept) by `toml`.
        let plain = if is_builtin(src) {
            parse_plain(src)
        } else {
            None
        };
        let file: RawFile = match plain {
            Some(file) => file,
            None => toml::from_str(src).map_err(|e| invalid(e.to_string()))?,
        };
        // Room for this file's rules, whole-line keys and their glue starts (up to two
        // each), and other phrases (the non-ASCII `contains` ones take up to three
        // entries, which may grow that list once): the tables and lists grow once
        // instead of doubling along.
        // The phrase lists of the rules of one scope.
        let lists_of = |scope: &'static str| {
            file.rule
                .iter()
                .filter(move |r| r.scope.as_deref().unwrap_or("line") == scope)
                .filter_map(|r| r.phrases.as_ref())
        };
        let phrases_of = |scope| lists_of(scope).map(Vec::len).sum::<usize>();
        let line_phrases = phrases_of("line");
        // Keys are about as long as their phrases; glue starts are most often their
        // first word.
        let line_bytes: usize = lists_of("line").flatten().map(|p| p.len()).sum();
        set.whole.reserve(line_phrases, line_bytes);
        set.glue_starts.reserve(line_phrases, line_bytes / 2);
        prefix.reserve(phrases_of("prefix"));
        suffix.reserve(phrases_of("suffix"));
        contains.reserve(phrases_of("contains"));
        set.rules.reserve(file.rule.len());
        set.regexes
            .reserve(file.rule.iter().filter(|r| r.regex.is_some()).count());
        for (n, raw) in file.rule.into_iter().enumerate() {
            let id = raw
                .id
                .ok_or_else(|| invalid(format!("rule #{}: missing `id`", n + 1)))?;
            let bad = |what: String| invalid(format!("rule `{id}`: {what}"));
            if !valid_name(&id, true) || !id.contains('.') {
                return Err(bad(
                    "id must look like `category.slug` (lowercase letters, digits, `-`)".into(),
                ));
            }
            if let Some(first) = origin_of.get(&id) {
                return Err(bad(format!("duplicate id (first defined in {first})")));
            }
            let category = raw
                .category
                .ok_or_else(|| bad("missing `category`".into()))?;
            if !valid_name(&category, false) {
                return Err(bad(format!("invalid category `{category}`")));
            }
            if id
                .strip_prefix(category.as_str())
                .is_none_or(|rest| !rest.starts_with('.'))
            {
                return Err(bad(format!(
                    "id must start with its category `{category}.`"
                )));
            }
            let languages = raw.languages.unwrap_or_else(|| vec!["*".to_string()]);
            if languages.is_empty() {
                return Err(bad("`languages` is empty (use [\"*\"])".into()));
            }
            if let Some(l) = languages.iter().find(|l| !valid_language(l)) {
                return Err(bad(format!("invalid language `{l}`")));
            }
            if raw.max_words == Some(0) || raw.max_chars == Some(0) {
                return Err(bad("`max_words` and `max_chars` must be at least 1".into()));
            }
            let scope = match (&raw.phrases, &raw.regex) {
                (Some(_), Some(_)) => {
                    return Err(bad("has both `phrases` and `regex`; use one".into()))
                }
                (None, None) => return Err(bad("missing `phrases` or `regex`".into())),
                (None, Some(_)) => match raw.scope.as_deref() {
                    None | Some("line") => Scope::Regex,
                    Some(s) => {
                        return Err(bad(format!(
                            "`scope = \"{s}\"` does not apply to a regex (the regex says \
                             where it matches)"
                        )))
                    }
                },
                (Some(_), None) => match raw.scope.as_deref().unwrap_or("line") {
                    "line" => Scope::Line,
                    "prefix" => Scope::Prefix,
                    "suffix" => Scope::Suffix,
                    "contains" => Scope::Contains,
                    s => {
                        return Err(bad(format!(
                            "unknown scope `{s}` (expected line, prefix, suffix or contains)"
                        )))
                    }
                },
            };
            let index = set.rules.len() as u32;
            let gate = raw.max_words.unwrap_or(usize::MAX);
            match scope {
                Scope::Regex => {
                    let src = raw.regex.unwrap_or_default();
                    let builtin = origin == BUILTIN_ORIGIN;
                    let re = OnceLock::new();
                    if !builtin {
                        let compiled =
                            Regex::new(&src).map_err(|e| bad(format!("bad regex: {e}")))?;
                        let _ = re.set(compiled);
                    }
                    set.regexes.push(RegexRule::new(
                        src.into_boxed_str(),
                        re,
                        builtin,
                        &id,
                        index,
                        gate,
                    ));
                }
                _ => {
                    let phrases = raw.phrases.unwrap_or_default();
                    if phrases.is_empty() {
                        return Err(bad("`phrases` is empty".into()));
                    }
                    // The key buffer is reused: the keys are copied out (`to_string`).
                    let mut full = String::new();
                    for phrase in &phrases {
                        if scope == Scope::Line {
                            full.clear();
                            let mut bounds = [0usize; GLUE_MAX_BOUNDS];
                            // The key of the phrase as written is that of the phrase
                            // lowercased (lowercasing a lowercase character or a space
                            // changes nothing: `lowercasing_twice_changes_nothing`), and
                            // its glue points are those of the phrase as written, as
                            // the glue start wants: one pass, no copy.
                            let nb = build_key(phrase.trim(), &mut full, &mut bounds);
                            let key = normalize_key(&full);
                            if key.is_empty() {
                                return Err(bad(format!(
                                    "phrase {phrase:?} has no letters or digits"
                                )));
                            }
                            set.max_key_bytes = set.max_key_bytes.max(key.len());
                            // Words split at the ASCII space by bytes (a `str` split
                            // by a `char` searches with a call per word), each then
                            // taken from `key` at its place (no UTF-8 check).
                            let mut at = 0;
                            let key_words = key
                                .as_bytes()
                                .split(|&b| b == b' ')
                                .filter(|w| {
                                    let word = &key[at..at + w.len()];
                                    at += w.len() + 1;
                                    word_has_alnum(word)
                                })
                                .count();
                            set.max_key_words = set.max_key_words.max(key_words);
                            // Many phrases share a first word: copied only when new.
                            let first_word =
                                &key[..key.bytes().position(|b| b == b' ').unwrap_or(key.len())];
                            set.glue_starts.insert(first_word, 0);
                            // The glue start, most often the first word. A key without
                            // glue points (half the phrases) is its one segment, already
                            // normalized: `first_segment` would normalize it again.
                            let seg = match nb {
                                0 if is_count(key) => "",
                                0 => key,
                                _ => first_segment(&full, &bounds[..nb.min(GLUE_MAX_BOUNDS)]),
                            };
                            if seg != first_word && set.glue_starts.insert(seg, 0) {
                                // Its heads may not be a key's (`index_heads`).
                                add_heads(&mut heads, seg.as_bytes());
                            }
                            set.whole.insert(key, index);
                            continue;
                        }
                        // At its length (most phrases are ASCII): one allocation
                        // instead of a growth from empty.
                        let mut lower = String::with_capacity(phrase.trim().len());
                        lower_into(phrase.trim(), &mut lower);
                        if lower.is_empty() {
                            return Err(bad("empty phrase".into()));
                        }
                        match scope {
                            Scope::Prefix => prefix.add(lower, index, gate),
                            Scope::Suffix => suffix.add(lower.chars().rev().collect(), index, gate),
                            _ => {
                                // Contains searches run on whole, possibly long lines
                                // that are only ASCII-lowercased: non-ASCII phrases are
                                // also listed capitalized and in capitals, with their
                                // ASCII letters lowercased as the line's are.
                                if !lower.is_ascii() {
                                    let mut chars = lower.chars();
                                    let first =
                                        chars.next().map(|c| c.to_uppercase().collect::<String>());
                                    let mut cap = first.unwrap_or_default() + chars.as_str();
                                    cap.make_ascii_lowercase();
                                    contains.add(cap, index, gate);
                                    let mut up = lower.to_uppercase();
                                    up.make_ascii_lowercase();
                                    contains.add(up, index, gate);
                                }
                                contains.add(lower, index, gate)
                            }
                        }
                    }
                }
            }
            origin_of.insert(id.clone(), origin.to_string());
            set.rules.push(Rule {
                id,
                category,
                languages,
                max_words: raw.max_words,
                max_chars: raw.max_chars,
            });
        }
    }

    let build_err = |e: String| RuleError::Invalid {
        origin: sources
            .iter()
            .map(|(o, _)| *o)
            .collect::<Vec<_>>()
            .join(", "),
        message: e,
    };
    set.whole.fit();
    set.glue_starts.fit();
    index_regex_gates(&mut set);
    index_heads(&mut set, heads);
    let lazy = sources.iter().all(|(_, src)| is_builtin(src));
    set.prefix = phrase_matcher(prefix, true, lazy).map_err(build_err)?;
    set.suffix = phrase_matcher(suffix, true, lazy).map_err(build_err)?;
    set.contains = phrase_matcher(contains, false, lazy).map_err(build_err)?;
    Ok(set)
}

/// Whether a word holds a letter or digit (`char::is_alphanumeric`, from segment's
/// tables rather than a search of the Unicode tables per character).
fn word_has_alnum(w: &str) -> bool {
    w.bytes().any(|b| b.is_ascii_alphanumeric())
        || (!w.is_ascii() && w.chars().any(is_alphanumeric))
}

/// For each byte value, the first `BIT_RULES` regex rules (bit `first_bit`, set already)
/// whose tests all allow it, as `bytes` says of each test (`None`: any byte): the first-
/// or last-byte table of `index_regex_gates`. The rules that allow every byte, or every
/// one past ASCII, are set in those entries once at the end.
fn rules_byte_table(regexes: &[RegexRule], bytes: fn(Needs) -> Option<ByteSet>) -> ByteTable {
    let mut table = ByteTable::default();
    let (mut any, mut any_high) = (0, 0);
    for r in regexes.iter().take(BIT_RULES) {
        let mut allowed = ByteSet([u64::MAX; 4]);
        for set in r.needs.iter().filter_map(|&n| bytes(n)) {
            for (a, b) in allowed.0.iter_mut().zip(set.0) {
                *a &= b;
            }
        }
        if allowed.0 == [u64::MAX; 4] {
            any |= r.first_bit;
            continue;
        }
        add_to_byte_table(&mut table, r.first_bit, allowed, &mut any_high);
    }
    table.0.iter_mut().for_each(|f| *f |= any);
    table.0[0x80..].iter_mut().for_each(|f| *f |= any_high);
    table
}

/// Sets `bit` in the entries of `table` of the bytes in `allowed`, one step per byte
/// allowed rather than per entry (these tables are made at every start); when every
/// byte past ASCII is allowed, `bit` goes in `high` instead, for the caller to set in
/// those 128 entries once for all rules.
fn add_to_byte_table(table: &mut ByteTable, bit: u64, allowed: ByteSet, high: &mut u64) {
    let words = if allowed.0[2] & allowed.0[3] == u64::MAX {
        *high |= bit;
        2
    } else {
        4
    };
    for (w, &set) in allowed.0[..words].iter().enumerate() {
        let mut set = set;
        while set != 0 {
            table.0[w * 64 + set.trailing_zeros() as usize] |= bit;
            set &= set - 1;
        }
    }
}

/// Numbers the distinct gate clauses of the regex rules (up to `HIT_CLAUSES`), fills in each
/// rule's `gate_bits` and `gate_spill`; gives each distinct `OnlyChars`/`AsciiOnlyChars`
/// table of the first `BIT_RULES` rules one of the bits left (`forbid_bits`, dropping an
/// `AsciiOnlyChars` so answered from the checks); and builds `regex_first`,
/// `regex_pairs`, `regex_blocked` and `regex_bytes`.
fn index_regex_gates(set: &mut Compiled) {
    let mut clauses: Vec<ByteSet> = Vec::new();
    for r in &mut set.regexes {
        for c in r.gate.iter() {
            let k = match clauses.iter().position(|d| d.0 == c.0) {
                Some(k) => k,
                None => {
                    clauses.push(*c);
                    clauses.len() - 1
                }
            };
            match u32::try_from(k).ok().filter(|&k| k < HIT_CLAUSES) {
                Some(k) => r.gate_bits |= 1 << k,
                None => r.gate_spill = true,
            }
        }
    }
    for (i, r) in set.regexes.iter_mut().enumerate().take(BIT_RULES) {
        r.first_bit = 1 << i;
    }
    set.regex_first = rules_byte_table(&set.regexes, Needs::first_bytes);
    // The same for the last byte; and the rules with a test of the line's end alone.
    set.regex_last = rules_byte_table(&set.regexes, Needs::last_bytes);
    set.regex_at_end = set
        .regexes
        .iter()
        .take(BIT_RULES)
        .filter(|r| r.needs.iter().any(|n| n.at_end()))
        .fold(0, |bits, r| bits | r.first_bit);
    let mut by_words = WordsTable::default();
    for r in set.regexes.iter().take(BIT_RULES) {
        let n = r.max_words.min(WORDS_CAP);
        by_words.0[..=n].iter_mut().for_each(|e| *e |= r.first_bit);
    }
    set.regex_words = by_words;
    let mut pairs = PairTable::default();
    // The bits of the rules with no pair list, set in every entry in one pass at the end.
    let mut any_pair = 0;
    for r in set.regexes.iter().take(BIT_RULES) {
        match r.needs.iter().find_map(|n| n.first_pairs()) {
            Some(list) => {
                for (b0, b1) in list {
                    match b1 {
                        Some(b1) => pairs.0[pair_slot(b0, b1)] |= r.first_bit,
                        None => (0..0x80).for_each(|b1| pairs.0[pair_slot(b0, b1)] |= r.first_bit),
                    }
                }
            }
            None => any_pair |= r.first_bit,
        }
    }
    pairs.0.iter_mut().for_each(|e| *e |= any_pair);
    set.regex_pairs = pairs;
    // The ASCII bytes each distinct `OnlyChars` or `AsciiOnlyChars` table rejects, on
    // the bits after the clauses'.
    let mut rejects: Vec<[u64; 2]> = Vec::new();
    let free = clauses.len().min(HIT_CLAUSES as usize);
    for r in set.regexes.iter_mut().take(BIT_RULES) {
        for n in r.needs {
            if let Needs::OnlyChars(_, ascii) | Needs::AsciiOnlyChars(ascii) = n {
                let bad = [!ascii[0], !ascii[1]];
                let k = match rejects.iter().position(|x| *x == bad) {
                    Some(k) => k,
                    None if free + rejects.len() < HIT_CLAUSES as usize => {
                        rejects.push(bad);
                        rejects.len() - 1
                    }
                    None => continue,
                };
                r.forbid_bits |= 1 << (free + k);
                // The bit answers this test whole: it need not run.
                if let Needs::AsciiOnlyChars(..) = n {
                    r.checks = r
                        .checks
                        .iter()
                        .filter(|m| !matches!(m, Needs::AsciiOnlyChars(..)))
                        .copied()
                        .collect();
                }
                // The bit answers for the ASCII characters: only the others are left to
                // test, without the line's `ByteSet`.
                for m in r.checks.iter_mut() {
                    if let Needs::OnlyChars(set, table) = *m {
                        if table == *ascii {
                            *m = Needs::NonAsciiOnlyChars(set);
                        }
                    }
                }
            }
        }
    }
    // Last, from the final `checks`: a rule with a `first_bit` drops the tests that bit
    // answers.
    for r in &mut set.regexes {
        r.ascii_first_checks = if r.first_bit != 0 {
            r.checks
                .iter()
                .filter(|n| !n.answered_by_first_byte())
                .copied()
                .collect()
        } else {
            r.checks.clone()
        };
    }
    // Entry `v` of table `j` (`v`: the bits of hit byte `j` missing from a line) blocks
    // the rules that need one of those bits, or forbid a bit not missing (so present):
    // `needs_any[v] | forbids_any[!v]`, where `needs_any[v]` has the rules needing some
    // bit of `v` and `forbids_any[v]` those forbidding some bit of `v`. Each is made
    // from the entry without `v`'s lowest bit: 256 steps a table, whatever the number
    // of rules (a test of every rule for every entry was half the work of this function).
    let mut blocked = BlockTable::default();
    for (j, table) in blocked.0.iter_mut().enumerate() {
        let (mut need_bit, mut forbid_bit) = ([0u64; 8], [0u64; 8]);
        for (i, r) in set.regexes.iter().enumerate().take(BIT_RULES) {
            for k in 0..8 {
                need_bit[k] |= ((r.gate_bits >> (8 * j + k)) & 1) << i;
                forbid_bit[k] |= ((r.forbid_bits >> (8 * j + k)) & 1) << i;
            }
        }
        let (mut needs_any, mut forbids_any) = ([0u64; 256], [0u64; 256]);
        for v in 1..256usize {
            let low = v & (v - 1);
            let k = v.trailing_zeros() as usize;
            needs_any[v] = needs_any[low] | need_bit[k];
            forbids_any[v] = forbids_any[low] | forbid_bit[k];
        }
        for (v, entry) in table.iter_mut().enumerate() {
            *entry = needs_any[v] | forbids_any[!v & 0xff];
        }
    }
    set.regex_blocked = blocked;
    let table = &mut set.regex_bytes.0;
    for (b, entry) in (0..=255u8).zip(table.iter_mut()) {
        *entry = if b.is_ascii_digit() {
            HIT_DIGIT
        } else if !b.is_ascii() {
            HIT_NON_ASCII
        } else {
            0
        };
    }
    // Each clause's bytes, and each rejected table's, get its bit: a walk over the set's
    // bits, where a test of every clause for every byte value was a third of the work of
    // loading the stored rules.
    let mut mark = |bytes: [u64; 4], bit: u64| {
        for (w, mut word) in bytes.into_iter().enumerate() {
            while word != 0 {
                table[w * 64 + word.trailing_zeros() as usize] |= bit;
                word &= word - 1;
            }
        }
    };
    for (k, bad) in rejects.iter().enumerate() {
        // ASCII bytes only.
        mark([bad[0], bad[1], 0, 0], 1 << (free + k));
    }
    for (k, c) in clauses.iter().take(HIT_CLAUSES as usize).enumerate() {
        mark(c.0, 1 << k);
    }
}

/// The automaton of the `contains` phrases. A noncontiguous NFA builds fastest (the
/// contiguous NFA and the DFA are built from one), and `contains` runs it only on the
/// lines that pass its `GramFilter`: its slower search costs less than its build
/// saves (shb-dev x4 in one process included). Its patterns are in ASCII lowercase (as
/// `compile` adds them) and it searches lines so lowered (`ascii_lowered`): the same hits as an
/// ASCII case-insensitive automaton of the patterns, but about half the letter
/// transitions to build, and no set of queued states in the failure pass.
fn anywhere_automaton(patterns: &[String]) -> Result<AhoCorasick, String> {
    AhoCorasick::builder()
        .kind(Some(AhoCorasickKind::NoncontiguousNFA))
        .match_kind(MatchKind::Standard)
        .build(patterns)
        .map_err(|e| e.to_string())
}

/// `text` with its ASCII capitals lowered, for the `anywhere_automaton`: bytes keep
/// their places, so hits found in it are hits in `text`. `text` itself when it has none,
/// else a copy in `buf` (reused from line to line: no allocation per line).
fn ascii_lowered<'a>(text: &'a str, buf: &'a mut String) -> &'a str {
    if text.bytes().any(|b| b.is_ascii_uppercase()) {
        buf.clear();
        buf.push_str(text);
        buf.make_ascii_lowercase();
        buf
    } else {
        text
    }
}

/// Builds the automaton of one scope (none when it has no phrases): anchored
/// leftmost-longest for prefixes and (reversed) suffixes, overlapping for `contains`.
/// `lazy`: leave the `contains` automaton to its first use. With a `GramFilter` (no
/// phrase under four bytes) the automaton is never searched, so it is not built at load.
fn phrase_matcher(
    list: PhraseList,
    anchored: bool,
    lazy: bool,
) -> Result<Option<PhraseMatcher>, String> {
    if list.patterns.is_empty() {
        return Ok(None);
    }
    let grams = if anchored {
        None
    } else {
        GramFilter::new(&list.patterns)
    };
    let search = if anchored {
        PhraseSearch::Anchored(PhraseTrie::new(&list.patterns))
    } else {
        let ac = OnceLock::new();
        if !lazy && grams.is_none() {
            let _ = ac.set(anywhere_automaton(&list.patterns)?);
        }
        PhraseSearch::Anywhere(Phrases::Own(list.patterns.clone().into_boxed_slice()), ac)
    };
    let edge = |c: Option<char>| c.is_some_and(is_word_char);
    Ok(Some(PhraseMatcher {
        search,
        #[cfg(test)]
        patterns: list.patterns.clone(),
        word_start: Table::Own(
            list.patterns
                .iter()
                .map(|p| u8::from(edge(p.chars().next())))
                .collect(),
        ),
        word_end: Table::Own(
            list.patterns
                .iter()
                .map(|p| u8::from(edge(p.chars().next_back())))
                .collect(),
        ),
        max_chars: list
            .patterns
            .iter()
            .map(|p| p.chars().count())
            .max()
            .unwrap_or(0),
        max_bytes: list.patterns.iter().map(String::len).max().unwrap_or(0),
        grams,
        rule_of: Table::Own(list.rule_of.iter().flat_map(|r| r.to_le_bytes()).collect()),
        gate_words: list.gate_words,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;
    use std::collections::HashSet;

    /// Whether `b` starts with `w`, ignoring ASCII case, word by word: the definition
    /// `starts_with_any_ci` is checked against.
    fn starts_with_ci(b: &[u8], w: &str) -> bool {
        let w = w.as_bytes();
        let first_ok = match (b.first(), w.first()) {
            (Some(x), Some(y)) => x.eq_ignore_ascii_case(y),
            (_, None) => true,
            (None, Some(_)) => false,
        };
        first_ok && b.get(..w.len()).is_some_and(|h| h.eq_ignore_ascii_case(w))
    }

    /// Every non-ASCII numeric character's lead byte is in `NUMERIC_LEADS`, so
    /// `has_non_ascii_numeric` skips no numeric character.
    #[test]
    fn numeric_leads_cover_every_numeric_char() {
        for c in (0x80u32..=0x10_FFFF).filter_map(char::from_u32) {
            if c.is_numeric() {
                let mut buf = [0u8; 4];
                let lead = c.encode_utf8(&mut buf).as_bytes()[0];
                assert!(
                    (NUMERIC_LEADS >> (lead - 0xC0)) & 1 != 0,
                    "{c:?} (U+{:04X}) is numeric but its lead byte {lead:#x} is not listed",
                    u32::from(c)
                );
            }
        }
        // Only 0xC2 and 0xD9 and up pass the eight-byte lane mask.
        assert_eq!(
            NUMERIC_LEADS & !(1 << (0xC2 - 0xC0)) & ((1 << (0xD9 - 0xC0)) - 1),
            0
        );
        let plain = |s: &str| s.chars().any(|c| !c.is_ascii() && c.is_numeric());
        // Each kind of lead, at every offset in and across eight-byte chunks.
        for digit in [
            "\u{663}",
            "\u{bd}",
            "\u{2460}",
            "\u{ff11}",
            "\u{3007}",
            "\u{1d7ce}",
            "\u{7c1}",
        ] {
            for pad in ["a", "\u{e9}", "\u{436}", "\u{6f22}"] {
                for n in 0..12 {
                    let s = format!("{}{digit}{}", pad.repeat(n), pad.repeat(n % 3));
                    assert!(has_non_ascii_numeric(&s), "{s:?}");
                    let t = format!("{}x", pad.repeat(n));
                    assert_eq!(has_non_ascii_numeric(&t), plain(&t), "{t:?}");
                }
            }
        }
        for s in [
            "x\u{663}",
            "\u{be}",
            "\u{2460} a",
            "\u{3007}",
            "\u{ff11}",
            "abc 123",
            "привет",
            "漢字",
            "한국어",
            "\u{1d7ce}",
        ] {
            assert_eq!(has_non_ascii_numeric(s), plain(s), "{s:?}");
        }
    }

    /// `fast_key` takes the kana, CJK ideographs and Hangul that `chars::known` calls
    /// letters as caseless, no space, and their own lowercase (the keys themselves:
    /// `fast_key_agrees_with_the_char_path_on_mixed_scripts`).
    #[test]
    fn known_letters_above_two_bytes_are_caseless() {
        let mut count = 0;
        for c in (0x800..=0x10_FFFFu32).filter_map(char::from_u32) {
            if crate::chars::known(c).is_some_and(|k| k.alnum) {
                count += 1;
                assert!(
                    !c.is_whitespace() && !c.is_lowercase() && !c.is_uppercase(),
                    "{c:?}"
                );
                assert!(c.to_lowercase().eq([c]), "{c:?}");
            }
        }
        assert!(count > 30_000, "{count}");
    }

    proptest::proptest! {
        /// `holds_byte` (sixteen bytes a compare, an overlapping last block) against
        /// `contains`, at every length around the block size.
        #[test]
        fn holds_byte_agrees_with_contains(b in proptest::collection::vec(proptest::sample::select(vec![b'=', b'a', b' ', 0xEC, 0]), 0..70)) {
            for x in [b'=', 0, 0xEC] {
                for k in 0..=b.len() {
                    proptest::prop_assert_eq!(holds_byte(&b[k..], x), b[k..].contains(&x), "{:?} {}", &b[k..], x);
                }
            }
        }
    }

    proptest::proptest! {
        /// `ByteSet::of` (whole rows ORed) against adding the line's bytes one by one.
        #[test]
        fn byte_set_of_agrees_with_adding_each_byte(line in "\\PC{0,40}") {
            let mut plain = ByteSet::default();
            line.bytes().for_each(|b| plain.add(b));
            proptest::prop_assert_eq!(ByteSet::of(&line).0, plain.0);
        }
    }

    proptest::proptest! {
        /// `has_non_ascii_numeric` against the plain walk over every character.
        #[test]
        fn non_ascii_numeric_agrees_with_plain(line in "\\PC{0,24}") {
            let plain = line.chars().any(|c| !c.is_ascii() && c.is_numeric());
            proptest::prop_assert_eq!(has_non_ascii_numeric(&line), plain);
        }
    }

    proptest::proptest! {
        /// `word_has_alnum` against `char::is_alphanumeric` over the word's characters.
        #[test]
        fn word_has_alnum_agrees_with_chars(word in "[^ ]{0,12}") {
            let plain = word.chars().any(char::is_alphanumeric);
            proptest::prop_assert_eq!(word_has_alnum(&word), plain);
        }

        /// A basic string with or without escapes reads as the TOML
        /// parser reads it.
        #[test]
        fn plain_basic_string_agrees_with_toml(text in "[a-z \t\"\\\\\u{e9}\u{7f}\u{1}\n\r\u{85}]{0,40}") {
            let quoted = format!("x = \"{}\"\n", text.replace('\\', "\\\\").replace('"', "\\\""));
            let mut p = Plain {
                src: &quoted[4..],
                i: 0,
                scratch: Vec::new(),
            };
            let ours = p.string().map(Cow::into_owned);
            let theirs = toml::from_str::<toml::Table>(&quoted)
                .ok()
                .and_then(|t| t.get("x").and_then(|v| v.as_str().map(str::to_string)));
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    /// Lines for the `Needs` fast paths: words of letters that make up their test words,
    /// in either case, and of other characters, split by ASCII and Unicode whitespace.
    fn needs_line() -> impl proptest::strategy::Strategy<Value = String> {
        use proptest::strategy::Strategy;
        proptest::collection::vec(
            proptest::sample::select(vec![
                "icon", "ICON", "Ic", "on", "i", "c", "o", "n", "re", "REPL", "resp", "comment",
                "thought", "k", "K", "\u{212a}", "к", "К", "ſ", "é", "-", "x", "7", " ", "  ",
                "\t", "\n", "\r", "\u{a0}", "\u{2003}", "\u{85}", "\u{b}", "\0", "\u{2c}",
            ]),
            0..12,
        )
        .prop_map(|parts| parts.concat())
    }

    proptest::proptest! {
        #[test]
        fn alnum_starts_bound_too_many_words(line in needs_line(), limit in 0usize..6) {
            // The words (space- or tab-separated) that hold an ASCII letter or digit.
            let n = line
                .split([' ', '\t'])
                .filter(|w| w.bytes().any(|b| b.is_ascii_alphanumeric()))
                .count();
            if alnum_starts_exceed(&line, limit) {
                proptest::prop_assert!(n > limit, "{:?}", line);
            }
            // And it does fire: on short ASCII words, across chunks of eight bytes.
            let nine = "one two three four five six seven eight nine";
            proptest::prop_assert!(alnum_starts_exceed(nine, limit), "{}", limit);
        }

        #[test]
        fn needs_fast_paths_agree_with_plain(line in needs_line()) {
            for word in ["icon", "on", "i", "comment", "ic-on", "abcdefghi"] {
                proptest::prop_assert_eq!(
                    first_word_holds_ci(&line, word),
                    first_word_holds_ci_plain(&line, word),
                    "{:?} {:?}", line, word
                );
            }
            let words: &[&str] = &["repl", "reac", "re\u{17f}p", "thought", "comment", "i"];
            for set in ["kK\u{212a}кК", "", "-7"] {
                proptest::prop_assert_eq!(
                    second_word_starts(&line, set, words),
                    second_word_starts_plain(&line, set, words),
                    "{:?} {:?}", line, set
                );
            }
            for b in [line.as_bytes(), line.trim_start().as_bytes()] {
                proptest::prop_assert_eq!(
                    starts_with_any_ci(b, words),
                    words.iter().any(|w| starts_with_ci(b, w))
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn end_words_agree_with_plain(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "ago", "AGO", "Ago", "a", "go", "now", "said", "SAYS", "dice", "min",
                    "dauer", "LESEDAUER", "temu", "an", "ſ", "\u{212a}", "é", "назад", "前",
                    ".", ":", " ", "\t", "\u{a0}", "x", "7", "@", "`", "[",
                ]),
                0..8,
            )
        ) {
            let line = parts.concat();
            let mut checked = 0;
            for (_, needs) in BUILTIN_NEEDS {
                for n in *needs {
                    let Needs::EndsWithAsciiCi(ends) = n else {
                        continue;
                    };
                    // By the definition: trimmed, then the window, then each word.
                    let t = line
                        .trim_end_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}' || c == ':' || c == '.')
                        .as_bytes();
                    let want = !t.is_empty()
                        && (!t[t.len().saturating_sub(ends.window)..].is_ascii()
                            || ends.words.iter().any(|w| {
                                t.len() >= w.len()
                                    && t[t.len() - w.len()..].eq_ignore_ascii_case(w.as_bytes())
                            }));
                    proptest::prop_assert_eq!(ends.end_of(line.as_bytes()), want, "{:?} {:?}", line, ends.words);
                    checked += 1;
                }
            }
            proptest::prop_assert_eq!(checked, 3);
        }
    }

    /// The window of a `StartWords` (how many first bytes `window_high` covers): the
    /// longest word's length.
    fn start_window(starts: &StartWords) -> usize {
        let n = (starts.window_high[0].count_ones() + starts.window_high[1].count_ones()) as usize;
        assert_eq!(n, starts.words.iter().map(|w| w.len()).max().unwrap_or(0));
        // The bits are the first `n` bytes' high bits, in order.
        for j in 0..16 {
            assert_eq!(
                starts.window_high[j / 8] >> (8 * (j % 8)) & 0xFF,
                if j < n { 0x80 } else { 0 }
            );
        }
        n
    }

    /// `StartWords::start_of` by its definition: `Needs::StartsWith` compares the line's
    /// first bytes with each word, `Needs::StartsWithAsciiCi` passes a line that starts
    /// with a digit or holds a non-ASCII byte within the window, else compares ignoring
    /// ASCII case.
    fn start_of_plain(starts: &StartWords, b: &[u8]) -> bool {
        let listed = |ci: bool| {
            starts.words.iter().any(|w| {
                b.get(..w.len()).is_some_and(|h| {
                    if ci {
                        h.eq_ignore_ascii_case(w.as_bytes())
                    } else {
                        h == w.as_bytes()
                    }
                })
            })
        };
        if !starts.fold {
            return listed(false);
        }
        b.first().is_some_and(u8::is_ascii_digit)
            || !b[..start_window(starts).min(b.len())].is_ascii()
            || listed(true)
    }

    /// Every built-in `StartWords`, with whether it ignores case.
    fn builtin_start_words() -> Vec<&'static StartWords> {
        let list = builtin_tests_of(|n| match n {
            Needs::StartsWith(w) | Needs::StartsWithAsciiCi(w) => Some(w),
            _ => None,
        });
        assert!(list.iter().any(|w| w.fold) && list.iter().any(|w| !w.fold));
        list
    }

    /// What `pick` takes of each built-in rule's prefilter tests.
    fn builtin_tests_of<T: ?Sized>(pick: impl Fn(Needs) -> Option<&'static T>) -> Vec<&'static T> {
        let list: Vec<&T> = BUILTIN_NEEDS
            .iter()
            .flat_map(|(_, needs)| needs.iter())
            .filter_map(|&n| pick(n))
            .collect();
        assert!(!list.is_empty());
        list
    }

    #[test]
    fn start_words_agree_with_plain_on_lines() {
        // The golden and page lines, and each word at the start of lines cut at every
        // length (the zero padding past a short line's end), in three cases.
        let mut lines = golden_and_page_lines();
        for starts in builtin_start_words() {
            for w in starts.words {
                for line in [
                    w.to_string(),
                    w.to_uppercase(),
                    format!("{w} x"),
                    format!("{}Z9", w.to_uppercase()),
                ] {
                    for k in (0..=line.len()).filter(|&k| line.is_char_boundary(k)) {
                        lines.push(line[..k].to_string());
                    }
                }
            }
        }
        assert_agree(
            &builtin_start_words(),
            &lines,
            |starts, line| starts.start_of(line),
            start_of_plain,
            |starts| starts.words,
        );
    }

    /// Asserts that `got` and `want` agree on every line for each of `items` (`words`
    /// names one in a failure), and that `want` holds for more than a thousand of the
    /// pairs but not for all the lines.
    fn assert_agree<T>(
        items: &[&T],
        lines: &[String],
        got: impl Fn(&T, &[u8]) -> bool,
        want: impl Fn(&T, &[u8]) -> bool,
        words: impl Fn(&T) -> &[&str],
    ) {
        let mut held = 0;
        for item in items {
            for line in lines {
                let want = want(item, line.as_bytes());
                assert_eq!(
                    got(item, line.as_bytes()),
                    want,
                    "{line:?} {:?}",
                    words(item)
                );
                held += usize::from(want);
            }
        }
        assert!(
            held > 1000 && held < lines.len(),
            "{held} of {}",
            lines.len()
        );
    }

    proptest::proptest! {
        #[test]
        fn start_words_agree_with_plain(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "one", "ONE", "Two", "t", "th", "three", "published", "PUBLISHE", "Sign",
                    "subscribe", "By", "BY", "by", "Written by", "Written", "Автор", "Текст:",
                    "Авто", "fa", "glyphicon", "mdi", "ſ", "\u{212a}", "é", "7", "@", "`",
                    "[", " ", "\t", "x", "\0",
                ]),
                0..5,
            )
        ) {
            let line = parts.concat();
            for starts in builtin_start_words() {
                proptest::prop_assert_eq!(
                    starts.start_of(line.as_bytes()),
                    start_of_plain(starts, line.as_bytes()),
                    "{:?} {:?}", line, starts.words
                );
            }
        }
    }

    /// Every built-in `Substrs`.
    fn builtin_substrs() -> Vec<&'static Substrs> {
        builtin_tests_of(|n| match n {
            Needs::AnySubstr(s) => Some(s),
            _ => None,
        })
    }

    #[test]
    fn substrs_agree_with_contains_on_lines() {
        // The golden and page lines, and each substring at every offset of lines of
        // every length around the block size, and cut short.
        let mut lines = golden_and_page_lines();
        for subs in builtin_substrs() {
            for w in subs.words {
                for pad in 0..40 {
                    let line = format!(
                        "{}{w}{}",
                        "é-".repeat(pad / 3) + &"x".repeat(pad % 3),
                        "y".repeat(pad % 5)
                    );
                    for k in (0..=line.len()).filter(|&k| line.is_char_boundary(k)) {
                        lines.push(line[..k].to_string());
                        lines.push(line[k..].to_string());
                    }
                }
            }
        }
        assert_agree(
            &builtin_substrs(),
            &lines,
            |subs, line| subs.found_in(line),
            |subs, line| {
                let line = std::str::from_utf8(line).expect("a line");
                subs.words.iter().any(|w| line.contains(w))
            },
            |subs| subs.words,
        );
    }

    proptest::proptest! {
        #[test]
        fn substrs_agree_with_contains(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    "Photo", "Phot", "PHOTO", "Foto", "Фото", "Фот", "Imag", "Bild", "Zdjęcie",
                    "Crédit", "Credit", "Cr", "P", "F", "é", "\0", " ", "x", "0123456789abcde",
                ]),
                0..8,
            )
        ) {
            let line = parts.concat();
            for subs in builtin_substrs() {
                proptest::prop_assert_eq!(
                    subs.found_in(line.as_bytes()),
                    subs.words.iter().any(|w| line.contains(w)),
                    "{:?} {:?}", line, subs.words
                );
            }
        }
    }

    #[test]
    fn first_char_or_digit_agrees_with_plain() {
        // Every character first, alone and before more text, against each built-in set.
        let sets: Vec<&str> = BUILTIN_NEEDS
            .iter()
            .flat_map(|(_, needs)| needs.iter())
            .filter_map(|n| match n {
                Needs::FirstCharOrDigit(set) => Some(*set),
                _ => None,
            })
            .collect();
        assert!(sets.len() >= 2 && sets.iter().any(|s| !s.is_ascii()));
        let mut passed = 0;
        for set in sets {
            let n = Needs::FirstCharOrDigit(set);
            for c in (0..=0x10_FFFFu32)
                .filter_map(char::from_u32)
                .filter(|c| !c.is_whitespace())
            {
                for line in [c.to_string(), format!("{c}x 1")] {
                    let want = set.contains(c) || c.is_numeric();
                    let mut facts = LineFacts {
                        digit: None,
                        bytes: None,
                        hits: 0,
                    };
                    assert_eq!(n.holds(&line, &mut facts), want, "{line:?} {set:?}");
                    passed += usize::from(want);
                }
            }
        }
        assert!(passed > 2000, "{passed}");
    }

    proptest::proptest! {
        /// `byte_count_reaches` (`Needs::MinCount`) and `between_digits` against their
        /// plain definitions.
        #[test]
        fn byte_scans_agree_with_plain(
            parts in proptest::collection::vec(
                proptest::sample::select(vec![
                    ",", ", ", "1", "12", ":", "h", "H", "8:03", "6h34", "٣", "٣:٤", "²", "x",
                    "é", "中", " ", "0123456789abcde",
                ]),
                0..12,
            )
        ) {
            let line = parts.concat();
            for n in 0..6 {
                proptest::prop_assert_eq!(
                    byte_count_reaches(line.as_bytes(), b',', n),
                    line.matches(',').count() >= n,
                    "{:?} {}", line, n
                );
            }
            for set in [":hH", ":", ":\u{663}"] {
                proptest::prop_assert_eq!(
                    between_digits(&line, set),
                    between_digits_plain(&line, set),
                    "{:?} {:?}", line, set
                );
            }
        }
    }

    #[test]
    fn between_digits_agrees_with_plain_on_lines() {
        let lines = golden_and_page_lines();
        let mut passed = 0;
        for line in &lines {
            for set in [":hH", ":"] {
                let want = between_digits_plain(line, set);
                assert_eq!(between_digits(line, set), want, "{line:?} {set:?}");
                passed += usize::from(want);
            }
            assert_eq!(
                byte_count_reaches(line.as_bytes(), b',', 3),
                line.matches(',').count() >= 3,
                "{line:?}"
            );
        }
        assert!(
            passed > 100 && passed < lines.len(),
            "{passed} of {}",
            lines.len()
        );
    }

    /// `starts_with_any_ci` compares a line's first byte lowercased with each word's
    /// first byte as it is: the built-in words that it sees start with no capital.
    /// (`StartsWithAsciiCi`'s words are lowercase letters, or the build fails.)
    #[test]
    fn builtin_prefix_words_start_lowercase() {
        for (_, needs) in BUILTIN_NEEDS {
            for n in *needs {
                if let Needs::SecondWordStarts(_, words) = n {
                    for w in *words {
                        assert!(!w.as_bytes()[0].is_ascii_uppercase(), "{w:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn is_alphanumeric_agrees_with_std() {
        for c in (0..=0x10_ffffu32).filter_map(char::from_u32) {
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{c:?}");
        }
    }

    /// `count` strings of characters drawn from `alphabet`, with lengths in `lens`, from a
    /// xorshift64 sequence started at `seed`: random-looking, yet the same on every run.
    fn random_strings(
        alphabet: &[char],
        mut seed: u64,
        count: usize,
        lens: std::ops::Range<usize>,
    ) -> Vec<String> {
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        (0..count)
            .map(|_| {
                let len = lens.start + (next() % (lens.end - lens.start) as u64) as usize;
                (0..len)
                    .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                    .collect()
            })
            .collect()
    }

    fn builtin() -> RuleSet {
        RuleSet::load(true, &[]).expect("built-in rules compile")
    }

    fn fixture(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/rules")
            .join(name)
    }

    /// The category of the rule matching `line`, if any.
    fn category(rules: &RuleSet, line: &str) -> Option<String> {
        rules.match_line(line).map(|m| m.category.to_string())
    }

    fn invalid(src: &str) -> String {
        match RuleSet::from_toml(src, "test.toml") {
            Err(RuleError::Invalid { origin, message }) => {
                assert_eq!(origin, "test.toml");
                message
            }
            other => panic!("expected an invalid-rules error, got {other:?}"),
        }
    }

    #[test]
    fn plain_reader_agrees_with_the_toml_parser() {
        let plain = parse_plain(BUILTIN).expect("the built-in file is plain TOML");
        let toml: RawFile = toml::from_str(BUILTIN).unwrap();
        assert_eq!(plain, toml);
        let small = "# c\n[[rule]]\nid = \"a.b\" # c\nphrases = [\n  \"x \\\"y\\\" \\\\\", # c\n  'z',\n]\nregex = '''\n^a\nb$'''\nmax_words = 12\n";
        let plain = parse_plain(small).expect("plain");
        assert_eq!(plain, toml::from_str::<RawFile>(small).unwrap());
        let phrases = plain.rule[0].phrases.as_deref().unwrap();
        assert_eq!(phrases[0], "x \"y\" \\");
        // Copied only when an escape is written.
        assert!(matches!(phrases[0], Cow::Owned(_)));
        assert!(matches!(phrases[1], Cow::Borrowed("z")));
        assert_eq!(plain.rule[0].regex.as_deref(), Some("^a\nb$"));
        // What it does not read is left to the TOML parser (which may accept it).
        for src in [
            "[[rule]]\nid = \"a\"\nid = \"b\"\n",
            "[[rule]]\nid = \"a\\tb\"\n",
            "[[rule]]\nkind = \"a\"\n",
            "id = \"a\"\n",
            "[[rule]]\nmax_words = 012\n",
            "[[rule]]\nmax_words = 1_000\n",
            "[[rule]]\nid = \"a\" b\n",
            "[[rule]]\nregex = '''a''''\n",
            "[rule]\nid = \"a\"\n",
            "[[rule]]\n\"id\" = \"a\"\n",
        ] {
            assert!(parse_plain(src).is_none(), "{src:?}");
        }
    }

    #[test]
    fn builtin_file_parses_with_unique_well_formed_ids() {
        let rules = builtin();
        assert!(rules.len() > 50, "only {} rules", rules.len());
        let raw: RawFile = toml::from_str(RuleSet::builtin_source()).unwrap();
        let mut seen = HashSet::new();
        for rule in &raw.rule {
            let id = rule.id.as_deref().unwrap();
            assert!(seen.insert(id), "duplicate id {id}");
            let category = rule.category.as_deref().unwrap();
            assert!(
                id.starts_with(&format!("{category}.")),
                "{id} vs {category}"
            );
        }
        assert_eq!(seen.len(), rules.len());
        assert_eq!(rules.ids().count(), rules.len());
        assert_eq!(rules.describe("comments.widget").unwrap().0, "comments");
    }

    #[test]
    fn categories_match_their_examples_in_each_language() {
        let rules = builtin();
        let icons = "icon bookmark-bicon bookmarkicon cameraicon checkicon chevron downicon \
                     chevron lefticon chevron righticon closeicon downloadicon editicon fbicon";
        let cases: &[(&str, &str)] = &[
            // English
            ("Leave a Reply", "comments"),
            (
                "Your email address will not be published. Required fields are marked *",
                "comments",
            ),
            ("Comments", "comments"),
            ("Comments (12)", "comments"),
            ("3 Comments", "comments"),
            ("Community standardsDiscussion", "comments"),
            ("Comment via FacebookComment via Sputnik", "comments"),
            ("Show comments", "comments"),
            ("Sign in", "account"),
            ("Registration was successful!", "account"),
            ("log in or register", "account"),
            ("To participate in the discussion", "account"),
            ("Please follow the link from the email sent to", "account"),
            ("Share", "share"),
            ("Tweet", "share"),
            ("Share on Facebook", "share"),
            ("Get short URL", "share"),
            ("Copy link", "share"),
            ("Print", "share"),
            ("Email", "share"),
            ("WhatsApp", "share"),
            ("Listen Live", "player"),
            ("Play video", "player"),
            ("Image 1 of 23", "player"),
            (
                "We use cookies to improve your experience. By continuing you agree.",
                "cookie",
            ),
            ("Accept all cookies", "cookie"),
            ("Cookie settings", "cookie"),
            ("Subscribe to our newsletter", "newsletter"),
            (
                "Sign up for our daily newsletter to get the news in your inbox",
                "newsletter",
            ),
            ("Enter your email", "newsletter"),
            ("Subscribe to continue reading", "paywall"),
            ("Advertisement", "ads"),
            ("Sponsored", "ads"),
            ("Home", "navigation"),
            ("Menu", "navigation"),
            ("Search", "navigation"),
            ("Skip to content", "navigation"),
            ("Skip to content Skip to site index", "navigation"),
            ("Back to top", "navigation"),
            ("Next article", "navigation"),
            ("Previous", "navigation"),
            ("» Read more", "navigation"),
            ("More from Business", "navigation"),
            ("Most read", "navigation"),
            ("Trending", "navigation"),
            ("Home > News > World", "navigation"),
            ("Related articles", "related"),
            ("You may also like", "related"),
            ("Read more: Markets rally as rates fall", "related"),
            (icons, "icons"),
            ("© AFP 2019 / Jean Dupont", "credit"),
            ("(Photo: Jane Doe / Reuters)", "credit"),
            ("Photo: John Smith", "credit"),
            ("Image: Lake at dawn", "credit"),
            ("John Smith/Getty Images", "credit"),
            ("Source: Reuters", "credit"),
            ("By Jane Doe and John Smith", "credit"),
            ("03:22 GMT +315 December 2019", "dateline"),
            ("7 Apr, 2016 05:27", "dateline"),
            ("Published: 12 March 2020", "dateline"),
            (
                "Updated 1:39 am EST, Wednesday, November 20, 2019",
                "dateline",
            ),
            ("2 hours ago", "dateline"),
            ("Tags: politics, economy, elections", "tags"),
            ("Topics: Russia", "tags"),
            (
                "rapprochement, policy, NATO, Donald Trump, United States",
                "tags",
            ),
            // Russian
            ("Комментарии", "comments"),
            ("Войти", "account"),
            ("Войдите или зарегистрируйтесь", "account"),
            ("Поделиться", "share"),
            (
                "Мы используем файлы cookie, чтобы сайт работал лучше",
                "cookie",
            ),
            ("Подпишитесь на нашу рассылку", "newsletter"),
            ("Реклама", "ads"),
            ("Главная", "navigation"),
            ("Все новости", "navigation"),
            ("Заголовок открываемого материала", "navigation"),
            ("Читайте также", "related"),
            ("Читайте также: Правительство снизило налоги", "related"),
            ("Фото: Иван Петров", "credit"),
            ("Опубликовано 15 декабря 2019, 10:30", "dateline"),
            ("3 часа назад", "dateline"),
            ("Темы: политика, экономика", "tags"),
            ("Только для подписчиков", "paywall"),
            // German
            ("Kommentare", "comments"),
            ("Anmelden", "account"),
            ("Teilen", "share"),
            (
                "Wir verwenden Cookies, um Ihnen ein besseres Erlebnis zu bieten.",
                "cookie",
            ),
            ("Alle akzeptieren", "cookie"),
            ("Newsletter abonnieren", "newsletter"),
            ("Anzeige", "ads"),
            ("Startseite", "navigation"),
            ("Lesen Sie auch", "related"),
            ("Foto: dpa", "credit"),
            ("Bild: Keystone", "credit"),
            ("Veröffentlicht am 15.12.2019 um 10:30 Uhr", "dateline"),
            ("Schlagwörter: Politik, Wirtschaft", "tags"),
            ("Nur für Abonnenten", "paywall"),
            // French
            ("Laisser un commentaire", "comments"),
            ("Se connecter", "account"),
            ("Partager sur Facebook", "share"),
            (
                "Nous utilisons des cookies pour améliorer votre expérience.",
                "cookie",
            ),
            ("Tout accepter", "cookie"),
            ("Abonnez-vous à notre newsletter", "newsletter"),
            ("Publicité", "ads"),
            ("Accueil", "navigation"),
            ("Lire aussi", "related"),
            ("Crédit photo : AFP", "credit"),
            ("Publié le 15 décembre 2019 à 14h30", "dateline"),
            ("Mots-clés : politique, économie", "tags"),
            ("Réservé aux abonnés", "paywall"),
            // Spanish
            ("Deja un comentario", "comments"),
            ("Iniciar sesión", "account"),
            ("Compartir", "share"),
            (
                "Utilizamos cookies propias y de terceros para mejorar nuestros servicios.",
                "cookie",
            ),
            ("Aceptar todas", "cookie"),
            ("Suscríbete a nuestro boletín", "newsletter"),
            ("Publicidad", "ads"),
            ("Inicio", "navigation"),
            ("Leer más", "navigation"),
            ("Lee también", "related"),
            ("Publicado el 3 de marzo de 2020", "dateline"),
            ("Etiquetas: política, economía", "tags"),
            // Italian, Portuguese, Dutch, Polish, Ukrainian
            ("Lascia un commento", "comments"),
            ("Accedi", "account"),
            ("Condividi", "share"),
            ("Leggi anche", "related"),
            ("Pubblicità", "ads"),
            ("Deixe um comentário", "comments"),
            ("Compartilhar", "share"),
            ("Leia também", "related"),
            ("Reacties", "comments"),
            ("Inloggen", "account"),
            ("Delen", "share"),
            ("Lees ook", "related"),
            ("Komentarze", "comments"),
            ("Zaloguj się", "account"),
            ("Udostępnij", "share"),
            ("Czytaj także", "related"),
            ("Коментарі", "comments"),
            ("Увійти", "account"),
            ("Поділитися", "share"),
            ("Читайте також", "related"),
            // Chinese, Japanese, Korean
            ("发表评论", "comments"),
            ("登录", "account"),
            ("分享", "share"),
            ("相关阅读", "related"),
            ("2019年12月15日 10:30", "dateline"),
            ("コメント", "comments"),
            ("ログイン", "account"),
            ("シェア", "share"),
            ("関連記事", "related"),
            ("댓글", "comments"),
            ("로그인", "account"),
            ("공유하기", "share"),
            ("관련기사", "related"),
        ];
        let mut failures = Vec::new();
        for (line, want) in cases {
            let got = category(&rules, line);
            if got.as_deref() != Some(*want) {
                failures.push(format!("{line:?}: want {want}, got {got:?}"));
            }
        }
        assert!(failures.is_empty(), "{}", failures.join("\n"));
    }

    #[test]
    fn article_sentences_do_not_match() {
        let rules = builtin();
        let sentences = [
            "He declined to share the details of the meeting with reporters.",
            "Comments by the minister were criticised.",
            "Share prices fell sharply on Monday after the announcement.",
            "Home prices rose 5% in the third quarter, the report said.",
            "The company said it would not comment on the case.",
            "Search and rescue teams worked through the night.",
            "Photo albums from the era show a different picture.",
            "Sign in the window said the shop was closed.",
            "Print media have struggled to adapt to the internet age.",
            "Tags are attached to each animal before it is released.",
            "By Monday, the talks had collapsed.",
            "By the end of the year, prices had doubled.",
            "The meeting was held on December 15, 2019 in Brussels.",
            "Subscribers to the service will see prices rise next year.",
            "Related research suggests the effect is small.",
            "Trending topics on social media included the election.",
            "Washington, London, Paris and Berlin agreed on the plan.",
            "Next, the committee will vote on the bill.",
            "More than 200 people attended the event.",
            "Video footage shows the car speeding away.",
            "Live coverage of the summit continues on Friday.",
            "Email was the main channel used by the attackers.",
            "Leave a message after the tone, the recording says.",
            "Listen to the experts, she told the audience.",
            "Read more books, the teacher advised her students.",
            "Source: the ministry's annual report, which was published in March and covers all \
             regions of the country and every year since the reform.",
            "Комментарии министра вызвали критику в парламенте.",
            "Главная задача правительства — снизить инфляцию.",
            "Teilen Sie uns Ihre Meinung mit, sagte der Minister.",
            "Nous utilisons des données publiques pour cette étude.",
            "Shareholders approved the merger on Tuesday.",
            "Homeland security officials declined to comment.",
            "The icon of the movement, she inspired a generation of activists.",
        ];
        let hits: Vec<String> = sentences
            .iter()
            .filter_map(|s| rules.match_line(s).map(|m| format!("{s:?} -> {}", m.id)))
            .collect();
        assert!(hits.is_empty(), "{}", hits.join("\n"));
    }

    #[test]
    fn match_reports_rule_id_and_trims_the_line() {
        let rules = builtin();
        let m = rules.match_line("  Leave a Reply  ").unwrap();
        assert_eq!(m.id, "comments.widget");
        assert_eq!(m.category, "comments");
        assert_eq!(rules.match_line(""), None);
        assert_eq!(rules.match_line("   "), None);
    }

    #[test]
    fn whole_line_keys_ignore_case_decoration_and_counts() {
        assert_eq!(normalize_key("comments (12)"), "comments");
        assert_eq!(normalize_key("12 comments"), "comments");
        assert_eq!(normalize_key("» read more …"), "read more");
        assert_eq!(normalize_key("1.2k shares"), "shares");
        assert_eq!(normalize_key("2019"), "2019");
        let rules = builtin();
        for line in [
            "COMMENTS",
            "| Share |",
            "Comments: 0",
            "Read More »",
            "Share  this  article",
        ] {
            assert!(rules.match_line(line).is_some(), "{line:?} should match");
        }
        // Glued pieces must all be phrases.
        assert_eq!(rules.match_line("Community standardsDinner recipes"), None);
        assert_eq!(rules.match_line("Share Prices Tumble"), None);
    }

    #[test]
    fn prefix_suffix_and_contains_respect_word_boundaries() {
        let src = r#"
            [[rule]]
            id = "t.prefix"
            category = "t"
            scope = "prefix"
            max_words = 5
            phrases = ["Share on"]

            [[rule]]
            id = "t.suffix"
            category = "t"
            scope = "suffix"
            max_words = 6
            phrases = ["/ Wire"]

            [[rule]]
            id = "t.contains"
            category = "t"
            scope = "contains"
            max_words = 12
            phrases = ["cookie", "мы используем"]

            [[rule]]
            id = "t.cjk"
            category = "t"
            scope = "prefix"
            max_words = 3
            phrases = ["相关"]
        "#;
        let rules = RuleSet::from_toml(src, "inline").unwrap();
        let id = |l: &str| rules.match_line(l).map(|m| m.id.to_string());
        assert_eq!(id("Share on Facebook").as_deref(), Some("t.prefix"));
        assert_eq!(id("» Share on Tumblr").as_deref(), Some("t.prefix"));
        assert_eq!(id("Share onboarding tips"), None);
        assert_eq!(id("Share on this and that and more"), None); // too many words
        assert_eq!(id("Jane Doe / Wire").as_deref(), Some("t.suffix"));
        assert_eq!(id("(Jane Doe / Wire)").as_deref(), Some("t.suffix"));
        assert_eq!(id("Jane Doe / Wireless"), None);
        assert_eq!(id("We like the cookie jar").as_deref(), Some("t.contains"));
        assert_eq!(id("We like cookies"), None);
        assert_eq!(id("Мы используем всё").as_deref(), Some("t.contains"));
        assert_eq!(id("МЫ ИСПОЛЬЗУЕМ всё").as_deref(), Some("t.contains"));
        assert_eq!(id("相关阅读").as_deref(), Some("t.cjk"));
    }

    #[test]
    fn user_rule_file_adds_rules() {
        let base = builtin();
        let rules = RuleSet::load(true, &[fixture("extra.toml")]).unwrap();
        assert_eq!(rules.len(), base.len() + 2);
        assert_eq!(base.match_line("Rate this article"), None);
        let m = rules.match_line("Rate this article").unwrap();
        assert_eq!((m.id, m.category), ("widgets.rate-this", "widgets"));
        assert_eq!(rules.match_line("12 points").unwrap().id, "widgets.points");
        // Built-in rules still apply.
        assert_eq!(
            rules.match_line("Leave a Reply").unwrap().id,
            "comments.widget"
        );
        // Without the built-in set only the user rules apply.
        let only = RuleSet::load(false, &[fixture("extra.toml")]).unwrap();
        assert_eq!(only.len(), 2);
        assert_eq!(only.match_line("Leave a Reply"), None);
    }

    #[test]
    fn regex_rules_past_the_bit_indexed_ones_match_in_file_order() {
        // More rules than have a bit: rule 3 has one, rule 66 is tested one by one.
        let n = BIT_RULES + 6;
        let src: String = (0..n)
            .map(|i| {
                let regex = match i {
                    3 => r"^both \w+$".to_string(),
                    66 => r"^(?:both|only) \w+$".to_string(),
                    _ => format!(r"^tag{i} \w+$"),
                };
                format!(
                    "[[rule]]\nid = \"t.r{i}\"\ncategory = \"t\"\nlanguages = [\"*\"]\n\
                     regex = '''{regex}'''\n\n"
                )
            })
            .collect();
        let rules = RuleSet::from_toml(&src, "many.toml").unwrap();
        assert_eq!(rules.regexes.len(), n);
        let id = |line: &str| rules.match_line(line).map(|m| m.id.to_string());
        assert_eq!(id("both here").as_deref(), Some("t.r3"));
        assert_eq!(id("only here").as_deref(), Some("t.r66"));
        assert_eq!(id("tag65 here").as_deref(), Some("t.r65"));
        assert_eq!(id("tag2 here").as_deref(), Some("t.r2"));
        assert_eq!(id("neither here"), None);
    }

    #[test]
    fn duplicate_id_across_files_names_the_file_and_rule() {
        let path = fixture("duplicate-builtin.toml");
        match RuleSet::load(true, std::slice::from_ref(&path)) {
            Err(RuleError::Invalid { origin, message }) => {
                assert_eq!(origin, path.display().to_string());
                assert!(message.contains("comments.widget"), "{message}");
                assert!(message.contains("duplicate"), "{message}");
                assert!(message.contains("built-in"), "{message}");
            }
            other => panic!("expected a duplicate-id error, got {other:?}"),
        }
        // Alone, the same file is fine.
        assert_eq!(RuleSet::load(false, &[path]).unwrap().len(), 1);
    }

    #[test]
    fn unreadable_file_is_a_read_error_with_its_path() {
        let path = fixture("does-not-exist.toml");
        match RuleSet::load(false, std::slice::from_ref(&path)) {
            Err(RuleError::Read { path: p, .. }) => assert_eq!(p, path),
            other => panic!("expected a read error, got {other:?}"),
        }
    }

    #[test]
    fn bad_rules_are_errors_naming_the_rule() {
        let rule = |body: &str| format!("[[rule]]\nid = \"x.bad\"\ncategory = \"x\"\n{body}\n");
        let cases = [
            (
                format!("{}{}", rule("phrases = [\"a\"]"), rule("phrases = [\"b\"]")),
                "duplicate id",
            ),
            (rule(""), "missing `phrases` or `regex`"),
            (rule("regex = '(unclosed'"), "bad regex"),
            (
                rule("scope = \"middle\"\nphrases = [\"a\"]"),
                "unknown scope `middle`",
            ),
            (rule("phrases = []"), "`phrases` is empty"),
            (
                rule("phrases = [\"a\"]\nregex = 'a'"),
                "both `phrases` and `regex`",
            ),
            (rule("phrases = [\"***\"]"), "no letters or digits"),
            (rule("phrases = [\"a\"]\nmax_words = 0"), "at least 1"),
            (
                rule("phrases = [\"a\"]\nlanguages = [\"English\"]"),
                "invalid language",
            ),
            (
                rule("regex = 'a'\nscope = \"prefix\""),
                "does not apply to a regex",
            ),
        ];
        for (src, want) in &cases {
            let message = invalid(src);
            assert!(message.contains("x.bad"), "{message}");
            assert!(message.contains(want), "want {want:?} in {message}");
        }
        let message = invalid("[[rule]]\nid = \"y.ok\"\ncategory = \"x\"\nphrases = [\"a\"]\n");
        assert!(
            message.contains("y.ok") && message.contains("category"),
            "{message}"
        );
        let message = invalid("[[rule]]\ncategory = \"x\"\nphrases = [\"a\"]\n");
        assert!(
            message.contains("rule #1") && message.contains("id"),
            "{message}"
        );
        let message = invalid("[[rule]]\nid = \"x.a\"\ncategory = \"x\"\nphrase = [\"a\"]\n");
        assert!(message.contains("phrase"), "{message}");
        // The Display form names the origin too.
        let err = RuleSet::from_toml("[[rule]]\nid = 3", "mine.toml").unwrap_err();
        assert!(err.to_string().contains("mine.toml"), "{err}");
    }

    #[test]
    fn builtin_regex_prefilters_never_hide_a_match() {
        let rules = builtin();
        // Each built-in regex rule has its prefilters, and the table names no other.
        assert!(rules.regexes.iter().all(|r| !r.needs.is_empty()));
        assert_eq!(BUILTIN_NEEDS.len(), rules.regexes.len());
        let mut lines: Vec<String> = [
            "icon a-icon bicon cicon dicon eicon",
            "fa fa-star fab-x",
            "On 3 May 2019 at 10:22 John said:",
            "12 responses to this",
            "Three comments on the post",
            "March 3, 2019 at 10:22 am",
            "Photo 3 of 12",
            "3/12",
            "Sign up for our newsletter",
            "Home > News > World",
            "Главная » Новости",
            "#news #world",
            "Politics, Economy, Culture, Science",
            "the end. Photo: Jane Doe",
            "记者 张三 摄",
            "서울 / 사진 = 연합뉴스",
            "（记者 张三）",
            "Contact Jane Doe jane@example.com",
            "By Jane Doe",
            "Автор: Иван Петров",
            "Текст: Иван Петров",
            "Published 3 March 2019 10:22",
            "Lesezeit: 3 Min.",
            "Temps de lecture : 4 min",
            "5 min read",
            "Alex on September 17, 2018 at 6:34 am said:",
            "Ирина on 17.09.2018 в 6h34 НАПИСАЛА :",
            "November 19, 2019 at 6:44 am",
            "Nov 19, 2019 at 9:08 GMT 1 day ago",
            "Home / Business / Markets",
            "Terms of Use | Privacy Policy",
            "rapprochement, policy, NATO, Donald Trump, United States",
            "гімназії № 4. Фото: Name",
            "Serra Alta — Foto: Divulgação/Prefeitura",
            "Updated 1:39 am EST, Wednesday, November 20, 2019",
            "7 Apr, 2016 05:27",
            "Sign up for email alerts",
            "Get the best stories in your INBOX",
            "Written by Jane Doe",
            "Автор материала: Иван Петров",
            "an hour ago",
            "vor einer Stunde",
            "il y a une heure",
            "hace una hora",
            "Just now",
            "Jane Roe jane.roe@example.com",
            "\u{17f}ign up for our new\u{17f}letter",
            "Sign up for our newsletters\u{2014}today",
            "3 \u{212a}ommentare zu",
            "Home \u{203a} Business \u{203a} Markets",
            "Tiêu đề, Thời sự, Kinh tế, Ελλάδα",
            "٣ comments on",
            "vor 3 Stunden",
            "Обновлено 5 минут назад",
            "an hour ago",
            "Just now",
            "at dawn. (Photo Jane Doe / Agency)",
            "in June (Image: AGENCY )",
            "gestern. (Foto: Name)",
            "le matin » (Crédit photo : Nom)",
            "12 RESPONSES to the post",
            "2 re\u{17f}ponses to it",
            "3 Kommentare zum Artikel",
            "one reply to x",
            "4 Replies to this",
            "2 thoughts on it",
            "5 reactions to x",
            "3 commentaires sur x",
            "3 comentarios en x",
            "5 комментариев к статье",
            "Фото 3 из 12",
            "Слайд 2 из 9",
            "\u{17f}lide 3 of 5",
            "Zdjęcie 1 z 4",
            "Bild 2 von 7",
            "3/12",
            "Picture 4 of 9",
            "Lesezeit: ca. 5-7 Min.",
            "время чтения: ~ 4 мин",
            "Reading time: 3–4 minutes",
            "3 часа назад",
            "5分钟前",
            "2019年12月15日",
            "2019.12.15",
            "15/12/2019",
            "12h30",
            "15 December 2019",
            "Updated 5 minutes ago",
            "POSTED: 3 hours ago",
            "published2 days ago",
            "mis à jour il y a 3 heures",
            "Aktualisiert vor 3 Minuten",
            "actualizado hace 2 horas",
            "há 3 dias",
            "Ha 3 dias",
            "Опубликовано 5 минут назад",
            "3 hours ago",
            "one day ago",
            "\u{17f}ubscribe to our newsletter",
            "Receive our newsletter",
            "JOIN our mailing list",
            "Enter your email for email updates",
            "Want the best in your inbox",
            "Regi\u{17f}ter for e-mail alerts",
            "Get email updates",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        lines.extend(golden_lines().iter().map(|l| l.trim().to_string()));
        let mut checked = 0;
        let mut narrow_checked = 0;
        for r in rules.regexes.iter().filter(|r| !r.needs.is_empty()) {
            for line in lines.iter().filter(|l| !l.is_empty()) {
                // On a narrow line the narrowed regex is used and must agree.
                let want = r.regex().is_match(line);
                if line.is_ascii() {
                    assert_eq!(
                        r.ascii_fwd()
                            .expect("narrowed to ASCII")
                            .is_match(&mut Lowered::new(line, &mut String::new(), line.is_ascii())),
                        Some(want),
                        "{} ASCII automaton disagrees on {line:?}",
                        rules.rules[r.rule as usize].id
                    );
                }
                if is_narrow(line) {
                    assert_eq!(
                        r.narrow_fwd()
                            .expect("narrowed")
                            .is_match(&mut Lowered::new(line, &mut String::new(), line.is_ascii())),
                        Some(want),
                        "{} narrowed disagrees on {line:?}",
                        rules.rules[r.rule as usize].id
                    );
                    narrow_checked += 1;
                }
                // The forward-only automaton agrees with the full regex on every line.
                assert_eq!(
                    r.full_fwd().expect("forward").is_match(&mut Lowered::new(
                        line,
                        &mut String::new(),
                        line.is_ascii()
                    )),
                    Some(want),
                    "{} forward disagrees on {line:?}",
                    rules.rules[r.rule as usize].id
                );
                if want {
                    checked += 1;
                    assert_prefilters_pass(&rules, r, line);
                }
            }
        }
        assert!(checked > 20, "only {checked} matches checked");
        // A test left to the gate holds exactly when the line meets its clauses.
        let (mut implied, mut failed) = (0, 0);
        for n in rules.regexes.iter().flat_map(|r| r.needs.iter()) {
            if !n.implied_by_gate() {
                continue;
            }
            for line in lines.iter().filter(|l| !l.is_empty()) {
                let bytes = ByteSet::of(line);
                let holds = n.holds(line, &mut rules.line_facts(line));
                assert_eq!(
                    holds,
                    n.clauses().iter().all(|c| c.meets(bytes)),
                    "{n:?} on {line:?}"
                );
                implied += 1;
                failed += usize::from(!holds);
            }
        }
        assert!(implied > 400, "only {implied} gate-implied tests checked");
        assert!(failed > 50, "only {failed} gate-implied tests failed");
        assert!(
            narrow_checked > 500,
            "only {narrow_checked} narrow lines checked"
        );
        // Every built-in regex rule named in the prefilter table exists.
        let ids: HashSet<&str> = rules.ids().collect();
        let with_needs = rules.regexes.iter().filter(|r| !r.needs.is_empty()).count();
        assert_eq!(with_needs, 20);
        assert!(ids.contains("credit.byline"));
        // User files get no prefilters: their regexes are unknown.
        let src = "[[rule]]\nid = \"credit.byline\"\ncategory = \"credit\"\nregex = 'x'\n";
        let user = RuleSet::from_toml(src, "user.toml").unwrap();
        assert!(user.regexes[0].needs.is_empty());
        assert_eq!(user.match_line("x").unwrap().id, "credit.byline");
    }

    #[test]
    fn narrowed_syntax_trees_agree_with_the_regex() {
        // Every built-in regex narrows through its syntax tree.
        for r in &builtin().regexes {
            for keep in [Keep::Ascii, Keep::Narrow, Keep::Wide] {
                assert!(
                    matches!(narrowed_from_ast(&r.src, keep), Some(Some(_))),
                    "{}",
                    r.src
                );
            }
        }
        // Dropped branches, flags that outlive a concatenation, negated and case-folded
        // classes (`(?i)` folds `k` with the Kelvin sign, `s` with the long s).
        let cases: &[(&str, &[&str])] = &[
            (r"x(?i)я|ab", &["AB", "ab", "xя", "xЯ", "x", "Ab"]),
            (
                r"(?i)^(?:мин|min|\p{Lu}\w+)$",
                &["MIN", "Min", "мин", "Kx", "kx", "\u{212a}x"],
            ),
            (r"(?i)^[^\p{L}]+$", &["12", "a1", "\u{17f}", "—", "é"]),
            (r"^\P{Lu}\W\d$", &["a 1", "A 1", "é-٣", "ſ 2"]),
            (r"(?i)^[\w&&[^k]]+$", &["abc", "abK", "ab\u{212a}", "ÉÈ"]),
            (r"^(?:日本|x{2,})$", &["xx", "日本", "x"]),
            (
                r"(?i)^(?:\d+年|[^.]{2}\s?(?:分|분)|ab★|\w+\p{Lu})$",
                &[
                    "2016年",
                    "１２分",
                    "ＡＢ 분",
                    "AB★",
                    "ab★",
                    "한국Z",
                    "日本ａ",
                    "ǅ日Ａ",
                ],
            ),
            // Folded lines: `(?i)` letters that fold into ASCII, flags that end
            // with a group, letters and classes of letters outside `(?i)`.
            (
                "(?i)^(?:\u{212a}m|\u{17f}t|[k]x|[^a-c]{2}|\\d)$",
                &["KM", "km", "ST", "st", "KX", "kX", "AB", "dE", "de", "1"],
            ),
            (r"(?i:ab)\d(?i)c", &["AB1C", "ab1c", "Ab1", "ab1C"]),
            (r"(?i:ab)c", &["ABc", "ABC", "abc"]),
            (
                r"(?i)ab(?-i)C[a-z]\p{Lu}",
                &["ABCxY", "abCxy", "abcxY", "AbCXY"],
            ),
            // Folded lines with `NARROW` letters: fold classes of three (`σ`, `ς`, `Σ`;
            // `µ`, `μ`, `Μ`), ones that reach past `WIDE` (`ß`, `ẞ`) or into ASCII
            // (`ſ`, the Kelvin sign), and classes and letters outside `(?i)` that are
            // or are not closed under folding.
            (
                "(?i)^(?:σοφία|µ\\d|straße|яб[а-я]|\u{1e9e}x|\u{17f}t|\u{212a}m)$",
                &[
                    "ΣΟΦΊΑ",
                    "σοφίας",
                    "Σοφία",
                    "ΜΟ",
                    "μ1",
                    "Μ1",
                    "µ1",
                    "STRASSE",
                    "straße",
                    "STRAẞE",
                    "ЯБВ",
                    "ябъ",
                    "ßX",
                    "ßx",
                    "st",
                    "ſt",
                    "ST",
                    "KM",
                    "\u{212a}m",
                    "km",
                ],
            ),
            (
                "(?i)я(?-i)[Ѐ-ӿ]\\d",
                &["ЯЖ1", "яж1", "яЖ1", "Я\u{1c80}1", "яѐ2"],
            ),
            ("(?i)я(?-i)ж", &["Яж", "яЖ", "яж"]),
            ("(?i)я(?-i)[a-zſ]", &["Яa", "яſ", "яS", "я\u{212a}", "яk"]),
            (
                "(?i)а(?-i)[A-Za-zſ\u{212a}]",
                &["Аa", "аſ", "аS", "а\u{212a}", "аk", "а1"],
            ),
            ("(?i)a(?-i)\\d[^a-z]", &["A1B", "a1b", "A1ſ", "a1\u{212a}"]),
            ("(?i)a(?-u:\\b)", &["a", "A\u{212a}", "aĳ", "a-"]),
            // A `WIDE` line whose `NARROW` letters fold (`Σ`, `ς`) around characters
            // past `NARROW`.
            ("(?i)σ.★", &["Σx★", "ςx★", "σ日★", "ΣX☆", "Σ★"]),
            // Negated classes that `widened` widens past `WIDE`, repeated, on plain and
            // folded lines.
            (
                r"=\s?[^/()\[\]]{1,3}$",
                &[
                    "a= 日本",
                    "a=日本語です",
                    "a=(日",
                    "=★☆",
                    "a= x/y",
                    "=",
                    "=ß",
                ],
            ),
            (
                r"(?i)σ[^/.]{2,3}$",
                &["Σ日本", "ς日/", "σ★★★★", "ΣAb", "σ.xx", "Σßx"],
            ),
        ];
        // Which of them run on folded lines, for ASCII, `NARROW` and `WIDE` lines.
        let ascii = [
            false, true, true, false, true, false, true, true, true, false, false, true, true,
            true, false, true, false, false, true, false, true,
        ];
        let narrow = [
            false, true, true, false, true, false, true, true, true, false, false, true, true,
            false, false, true, false, false, true, false, true,
        ];
        let wide = narrow;
        for (keep, want) in [
            (Keep::Ascii, ascii),
            (Keep::Narrow, narrow),
            (Keep::Wide, wide),
        ] {
            let folded: Vec<bool> = cases
                .iter()
                .map(|(src, _)| narrowed_tree(src, keep).unwrap().2)
                .collect();
            assert_eq!(folded, want, "{keep:?}");
        }
        // Lines in no narrowing (with Arabic digits, or fullwidth Latin letters, `ẞ`,
        // U+1C80, which fold with other characters): the full regex answers for them,
        // not an automaton tested here.
        let beyond = ["é-٣", "ＡＢ 분", "日本ａ", "ǅ日Ａ", "STRAẞE", "Я\u{1c80}1"];
        for (src, lines) in cases {
            let re = Regex::new(src).unwrap();
            for line in *lines {
                assert_eq!(is_wide(line), !beyond.contains(line), "{line:?}");
            }
            for keep in [Keep::Ascii, Keep::Narrow, Keep::Wide] {
                let f = narrowed_from_ast(src, keep).unwrap().unwrap();
                for line in *lines {
                    if line.chars().all(|c| in_ranges(keep.ranges(), c)) {
                        assert_eq!(
                            f.is_match(&mut Lowered::new(
                                line,
                                &mut String::new(),
                                line.is_ascii()
                            )),
                            Some(re.is_match(line)),
                            "{src} on {line:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn widened_classes_agree_where_lines_have_characters() {
        let n = narrowing(Keep::Wide);
        // `WIDE` automata widen their classes with all characters past `WIDE`, on folded
        // lines too: folding keeps every `WIDE` character in `WIDE`.
        for c in WIDE.iter().flat_map(|&(lo, hi)| lo..=hi) {
            assert!(in_ranges(&WIDE, narrow_fold(c)), "{c:?}");
        }
        let class_of = |src: &str| match regex_syntax::parse(src).unwrap().into_kind() {
            HirKind::Class(Class::Unicode(c)) => c,
            k => panic!("{src}: {k:?}"),
        };
        for (src, widens) in [
            (r"[^/()\[\]]", true),
            (r"[^.!?]", true),
            (r"[^@]", true),
            (r"[^a-z]", true),
            (r"\S", false),
            (r"\p{L}", false),
            (r"[\p{Han}·]", false),
            (r"[^＝=。]", false),
        ] {
            let mut narrowed = class_of(src);
            narrowed.intersect(&n.keep);
            let wide = cheapest(narrowed.clone(), &n.free);
            let mut within = wide.clone();
            within.intersect(&n.keep);
            assert_eq!(within, narrowed, "{src}");
            let (w, own) = (
                utf8_sequences(&wide, usize::MAX),
                utf8_sequences(&narrowed, usize::MAX),
            );
            assert!(w <= own, "{src}: {w} > {own}");
            assert_eq!(w < own, widens, "{src}: {w} sequences, {own} narrowed");
        }
    }

    #[test]
    fn string_alternations_match_as_before() {
        let cases: &[(&str, &[&str])] = &[
            (
                r"^(?:jan(?:uary)?|sep(?:t(?:ember)?)?|ма[яй]|x[ab]c)\.?$",
                &[
                    "jan",
                    "january",
                    "janu",
                    "sep",
                    "sept",
                    "september",
                    "septe",
                    "мая",
                    "май",
                    "маё",
                    "xac",
                    "xbc",
                    "xcc",
                    "jan.",
                    "",
                    "ja",
                ],
            ),
            (
                r"(?:a|b(c|d)?)z",
                &["az", "bz", "bcz", "bdz", "bez", "cz", "z"],
            ),
            // Too many strings (a class of ten letters), an empty alternative: kept.
            (r"^(?:[a-j]x|ab)$", &["ax", "jx", "kx", "ab", "a"]),
            (r"^(?:a(?:b|)c|d)$", &["ac", "abc", "d", "adc"]),
            // A branch that can never match (an empty class), dropped.
            (r"^(?:a[^\s\S]|b)$", &["a", "b", "ab"]),
            (r"^(?:a[^\s\S]|c[^\s\S])?x$", &["x", "ax", "cx", ""]),
        ];
        for (src, lines) in cases {
            let f = Forward::new(&literal_alternations(regex_syntax::parse(src).unwrap())).unwrap();
            let re = Regex::new(src).unwrap();
            for line in *lines {
                assert_eq!(f.search(line), Some(re.is_match(line)), "{src} on {line:?}");
            }
        }
        // The alternation becomes one of plain strings, each once; a branch with an
        // empty class has none.
        let strings = |src: &str| -> Vec<Vec<u8>> {
            let hir = literal_alternations(regex_syntax::parse(src).unwrap());
            let HirKind::Alternation(v) = hir.kind() else {
                panic!("{hir:?}")
            };
            v.iter()
                .map(|h| match h.kind() {
                    HirKind::Literal(lit) => lit.0.to_vec(),
                    _ => panic!("{h:?}"),
                })
                .collect()
        };
        assert_eq!(
            strings("jan(?:uary)?|ма[яй]|jan"),
            [&b"jan"[..], b"january", "май".as_bytes(), "мая".as_bytes()]
        );
        assert_eq!(strings(r"a[^\s\S]|bx|c[^\s\S]?"), [&b"bx"[..], b"c"]);
    }

    #[test]
    fn narrowings_nest() {
        // The `NARROW` automaton serves ASCII lines, and a `WIDE` line is folded by the
        // `NARROW` table (`Lowered::folded`), which is exact only if every `NARROW`
        // character is in `WIDE`.
        let nested = |inner: &[(char, char)], outer: &[(char, char)]| {
            inner
                .iter()
                .all(|&(lo, hi)| outer.iter().any(|&(a, b)| a <= lo && hi <= b))
        };
        assert!(nested(&ASCII, &NARROW));
        assert!(nested(&NARROW, &WIDE));
        assert!(!nested(&WIDE, &NARROW));
    }

    #[test]
    fn fold_representatives_stay_in_their_class_and_in_narrow() {
        let closure = &narrowing(Keep::Narrow).closure;
        for c in closure.iter().flat_map(|r| r.start()..=r.end()) {
            let rep = fold_rep(c);
            let class = fold_class(c);
            assert!(class_has(&class, rep), "{c:?} -> {rep:?}");
            assert!(in_narrow(rep), "{c:?} -> {rep:?}");
            // Every member of the class stands for the same character.
            for d in class.iter().flat_map(|r| r.start()..=r.end()) {
                assert_eq!(fold_rep(d), rep, "{c:?} {d:?}");
            }
            if in_narrow(c) {
                assert_eq!(narrow_fold(c), rep, "{c:?}");
            }
        }
        // `WIDE` adds characters that fold with no other.
        for &(lo, hi) in &WIDE {
            for c in (lo..=hi).filter(|&c| !in_narrow(c)) {
                assert_eq!(
                    fold_class(c).ranges(),
                    [ClassUnicodeRange::new(c, c)],
                    "{c:?}"
                );
                assert_eq!(narrow_fold(c), c);
            }
        }
        // Past `NARROW`, the table leaves characters as they are.
        for c in ['\u{530}', '\u{1e9e}', '\u{1fff}', '\u{2200}', '日'] {
            assert_eq!(narrow_fold(c), c);
        }
        assert_eq!(narrow_fold('Я'), narrow_fold('я'));
        assert_eq!(fold_rep('\u{212a}'), 'k');
    }

    /// Every prefilter of the regex rule `r` passes `line`, which it matches.
    fn assert_prefilters_pass(rules: &RuleSet, r: &RegexRule, line: &str) {
        let id = &rules.rules[r.rule as usize].id;
        let mut facts = rules.line_facts(line);
        assert_eq!(
            r.forbid_bits & facts.hits,
            0,
            "{id} matches {line:?} but its forbidden bytes say no"
        );
        for n in r.needs {
            assert!(
                n.holds(line, &mut facts),
                "{id} matches {line:?} but its prefilter {n:?} says no"
            );
        }
        assert!(
            r.gate.iter().all(|c| c.meets(ByteSet::of(line))),
            "{id} matches {line:?} but its byte gate says no"
        );
        let b = line.as_bytes();
        assert!(
            r.first_bit & !rules.regex_first.0[usize::from(b[0])] == 0,
            "{id} matches {line:?} but its first-byte table says no"
        );
        assert!(
            r.first_bit & !rules.regex_last.0[usize::from(b[b.len() - 1])] == 0,
            "{id} matches {line:?} but its last-byte table says no"
        );
        let words = count_words(line);
        assert!(
            words > r.max_words || r.first_bit & !rules.regex_words.0[words.min(WORDS_CAP)] == 0,
            "{id} matches {line:?} within its word limit but the word table says no"
        );
        for n in r.needs.iter().filter(|n| n.at_end()) {
            let mut no_facts = LineFacts {
                digit: None,
                bytes: None,
                hits: 0,
            };
            assert!(n.holds(line, &mut no_facts), "{id}: {n:?} on {line:?}");
        }
        assert!(
            !line.is_ascii()
                || r.first_bit & !rules.regex_pairs.0[pair_slot(b[0], b.get(1).map_or(0, |&x| x))]
                    == 0,
            "{id} matches {line:?} but its first-pair table says no"
        );
    }

    /// The characters and words `n` tests, for `lines_from_regex`: lines that hold
    /// them, or just miss them, are where a prefilter that hides a match shows.
    fn needs_tokens(n: Needs) -> Vec<String> {
        let chars = |s: &str| s.chars().map(String::from).collect::<Vec<_>>();
        let words = |w: &[&str]| w.iter().map(|w| w.to_string()).collect::<Vec<_>>();
        match n {
            Needs::AnyChar(s)
            | Needs::FirstChar(s)
            | Needs::FirstCharOrDigit(s)
            | Needs::OnlyChars(s, _)
            | Needs::NonAsciiOnlyChars(s)
            | Needs::AnyCharOrSpacedSlash(s)
            | Needs::LastCharBeforeColon(s)
            | Needs::LastCharNot(s)
            | Needs::LetterOr(s)
            | Needs::BetweenDigits(s) => chars(s),
            Needs::FirstWordAsciiCi(w) => vec![w.to_string()],
            Needs::MinCount(c, _) | Needs::ShortItems(c, _) => vec![c.to_string()],
            Needs::AnySubstr(&Substrs { words: w, .. })
            | Needs::StartsWith(&StartWords { words: w, .. })
            | Needs::AsciiCiAny(w)
            | Needs::DigitOrAsciiCiAny(w)
            | Needs::StartsWithAsciiCi(&StartWords { words: w, .. })
            | Needs::EndsWithAsciiCi(&EndWords { words: w, .. }) => words(w),
            Needs::SecondWordStarts(s, w) => [chars(s), words(w)].concat(),
            // The ASCII punctuation, allowed or not.
            Needs::AsciiOnlyChars(_) => (b'!'..=b'~')
                .filter(|b| !b.is_ascii_alphanumeric())
                .map(|b| char::from(b).to_string())
                .collect(),
            Needs::ByteNearEnd(x, _) => vec![char::from(x).to_string()],
            Needs::Digit | Needs::AsciiDigit | Needs::FirstUpper | Needs::EmailAtEnd => vec![],
        }
    }

    /// Lines made of a regex's own words (its runs of letters, cased three ways),
    /// numbers, separators and `extra` (the characters and words its prefilters test),
    /// in random order: lines near what it matches, so that its automata and
    /// prefilters meet lines it matches and lines it just misses.
    fn lines_from_regex(src: &str, extra: &[String], mut seed: u64, count: usize) -> Vec<String> {
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        let mut words: Vec<String> = Vec::new();
        let (mut word, mut escaped) = (String::new(), false);
        for c in src.chars().chain([' ']) {
            if c.is_alphabetic() && !escaped {
                word.push(c);
            } else if !word.is_empty() {
                let title: String = word.chars().take(1).flat_map(char::to_uppercase).collect();
                let rest: String = word.chars().skip(1).collect();
                words.extend([
                    word.to_uppercase(),
                    title + &rest,
                    std::mem::take(&mut word),
                ]);
            }
            escaped = c == '\\' && !escaped;
        }
        words.extend(
            [
                "1",
                "12",
                "2019",
                "10:22",
                "6h34",
                "3/12",
                "15.12.2019",
                "am",
                "pm",
                "#x",
                "x@y.z",
                "Jane",
                "Doe",
                "\u{17f}",
                "\u{212a}",
                "é",
                "中",
                "사진",
                "“",
                "»",
            ]
            .map(String::from),
        );
        words.extend_from_slice(extra);
        let seps = [
            " ", " ", " ", "", ", ", ": ", ". ", " / ", " - ", " – ", " » ", " > ", " | ", "(",
            ")", "! ", "? ", " = ", "’",
        ];
        (0..count)
            .map(|_| {
                let mut line = String::new();
                for k in 0..1 + next() % 9 {
                    if k > 0 {
                        line.push_str(seps[next() % seps.len()]);
                    }
                    line.push_str(&words[next() % words.len()]);
                }
                line
            })
            .collect()
    }

    /// Appends to `out` a random string that `hir` matches (look-arounds aside): a
    /// class gives, three times in four, one of its characters in `pool` (remembered
    /// per class in `seen`), else any of its characters.
    fn sample(
        hir: &Hir,
        pool: &[char],
        seen: &mut HashMap<usize, Vec<char>>,
        next: &mut impl FnMut() -> usize,
        out: &mut String,
    ) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) | HirKind::Class(Class::Bytes(_)) => {}
            HirKind::Literal(lit) => out.push_str(std::str::from_utf8(&lit.0).unwrap()),
            HirKind::Class(Class::Unicode(c)) => {
                let mine = seen
                    .entry(std::ptr::from_ref(c) as usize)
                    .or_insert_with(|| pool.iter().copied().filter(|&p| class_has(c, p)).collect());
                if !mine.is_empty() && next() % 4 != 0 {
                    out.push(mine[next() % mine.len()]);
                } else if let Some(r) = c.ranges().get(next() % c.ranges().len().max(1)) {
                    let width = u32::from(r.end()) - u32::from(r.start()) + 1;
                    let at = u32::from(r.start()) + next() as u32 % width;
                    out.push(char::from_u32(at).unwrap_or(r.start()));
                }
            }
            HirKind::Repetition(r) => {
                let n = r.min + (next() % 3) as u32;
                for _ in 0..r.max.map_or(n, |m| n.min(m)) {
                    sample(&r.sub, pool, seen, next, out);
                }
            }
            HirKind::Capture(c) => sample(&c.sub, pool, seen, next, out),
            HirKind::Concat(v) => v.iter().for_each(|h| sample(h, pool, seen, next, out)),
            HirKind::Alternation(v) => sample(&v[next() % v.len()], pool, seen, next, out),
        }
    }

    /// Lines a regex matches, made from its parsed pattern by `sample` (with
    /// characters from `extra` and ASCII), each also upper- and lowercased, and lines
    /// near them from `lines_from_regex`; trimmed, as `match_line` gives them, and each
    /// also normalized.
    fn lines_for_regex(src: &str, extra: &[String], mut seed: u64) -> Vec<String> {
        let mut lines = lines_from_regex(src, extra, seed, 1000);
        let hir = regex_syntax::parse(src).unwrap();
        let mut pool: Vec<char> = (' '..='~').chain(src.chars()).collect();
        pool.extend(extra.iter().flat_map(|w| w.chars()));
        pool.sort_unstable();
        pool.dedup();
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        let mut seen = HashMap::new();
        for _ in 0..1000 {
            let mut line = String::new();
            sample(&hir, &pool, &mut seen, &mut next, &mut line);
            // An open end: the regex may want more after its match.
            line.push_str([" Jane Doe", ""][next() % 2]);
            lines.extend([line.to_uppercase(), line.to_lowercase(), line]);
        }
        // `match_line` meets trimmed lines; its prefilters rely on normalized ones.
        let normalized: Vec<String> = lines
            .iter()
            .flat_map(|l| {
                normalize(l)
                    .text
                    .lines()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        lines.extend(normalized);
        lines
            .into_iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect()
    }

    #[test]
    fn narrowed_automata_and_prefilters_agree_with_the_regex_on_sampled_lines() {
        let rules = builtin();
        let (mut lowered, mut narrow, mut wide) = (0, 0, 0);
        for (k, r) in rules.regexes.iter().enumerate() {
            // Every pattern under `(?i)` throughout runs lowercased on ASCII lines.
            let lower = narrowed_tree(&r.src, Keep::Ascii).unwrap().2;
            assert_eq!(lower, r.src.starts_with("(?i"), "{}", r.src);
            lowered += usize::from(lower);
            let id = &rules.rules[r.rule as usize].id;
            let extra: Vec<String> = r.needs.iter().flat_map(|&n| needs_tokens(n)).collect();
            let seed = 0x9e37_79b9_7f4a_7c15 ^ k as u64;
            let mut hits = 0;
            for line in &lines_for_regex(&r.src, &extra, seed) {
                let want = r.regex().is_match(line);
                if line.is_ascii() {
                    let f = r.ascii_fwd().expect("narrowed to ASCII");
                    assert_eq!(
                        f.is_match(&mut Lowered::new(line, &mut String::new(), line.is_ascii())),
                        Some(want),
                        "{id} ASCII on {line:?}"
                    );
                }
                if is_narrow(line) {
                    let f = r.narrow_fwd().expect("narrowed");
                    assert_eq!(
                        f.is_match(&mut Lowered::new(line, &mut String::new(), line.is_ascii())),
                        Some(want),
                        "{id} narrowed on {line:?}"
                    );
                    narrow += 1;
                } else if is_wide(line) {
                    let f = r.wide_fwd().expect("narrowed to WIDE");
                    assert_eq!(
                        f.is_match(&mut Lowered::new(line, &mut String::new(), false)),
                        Some(want),
                        "{id} WIDE on {line:?}"
                    );
                    wide += 1;
                }
                // Whenever the regex matches a normalized line, its prefilters let the
                // line through.
                if want && normalize(line).text.strip_suffix('\n') == Some(line) {
                    assert_prefilters_pass(&rules, r, line);
                    hits += 1;
                }
            }
            assert!(hits > 300, "{id}: only {hits} normalized matches");
        }
        assert!(lowered >= 8, "only {lowered} lowered");
        assert!(narrow > 20_000, "only {narrow} narrow lines");
        assert!(wide > 1_000, "only {wide} WIDE lines");
    }

    #[test]
    fn lowercasing_twice_changes_nothing() {
        // What `compile` relies on to build a whole-line phrase's key from the phrase as
        // written: each character's lowercase is its own lowercase, and it is a space
        // to `build_key` (an ASCII space or tab, other whitespace) just when the
        // character is, and then the character itself.
        let space = |c: char| {
            if c.is_ascii() {
                c == ' ' || c == '\t'
            } else {
                c.is_whitespace()
            }
        };
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            let lower: String = c.to_lowercase().collect();
            let again: String = lower.chars().flat_map(char::to_lowercase).collect();
            assert_eq!(lower, again, "{c:?}");
            if space(c) {
                assert_eq!(lower, c.to_string(), "{c:?}");
            } else {
                assert!(!lower.chars().any(space), "{c:?}");
            }
        }
    }

    /// A `KeyTable` finds what a `HashMap` of the first value of each string finds.
    #[test]
    fn key_table_answers_like_a_hash_map() {
        // Short strings from a small alphabet (many repeats, shared prefixes, the empty
        // string), added to a table grown from empty and to one reserved ahead.
        let alphabet: Vec<char> = "ab c.é中".chars().collect();
        let words = random_strings(&alphabet, 0x2545_f491_4f6c_dd1d, 3_000, 0..6);
        for reserved in [false, true] {
            let mut table = KeyTable::default();
            if reserved {
                table.reserve(1_000, 3_000);
            }
            let mut want: HashMap<&str, u32> = HashMap::new();
            let mut order = Vec::new();
            for (n, w) in words.iter().enumerate().take(2_000) {
                let new = !want.contains_key(w.as_str());
                assert_eq!(table.insert(w, n as u32), new, "{w:?}");
                if new {
                    want.insert(w, n as u32);
                    order.push(w.as_str());
                }
            }
            assert!(want.len() > 300, "{}", want.len());
            for w in &words {
                assert_eq!(table.get(w), want.get(w.as_str()).copied(), "{w:?}");
                assert_eq!(table.contains(w), want.contains_key(w.as_str()));
            }
            let mut keys: Vec<&str> = table.keys().collect();
            keys.sort_unstable();
            order.sort_unstable();
            assert_eq!(keys, order);
        }
        let empty = KeyTable::default();
        assert!(empty.is_empty() && empty.get("a").is_none() && empty.get("").is_none());
    }

    /// The built-in glue starts are each whole-line phrase's first word and first
    /// segment, as `first_segment` finds it (`compile` skips it for a key without glue
    /// points).
    #[test]
    fn glue_starts_are_the_first_words_and_segments() {
        let raw = parse_plain(BUILTIN).unwrap();
        let mut want = std::collections::BTreeSet::new();
        let mut without_points = 0;
        for phrase in raw
            .rule
            .iter()
            .filter(|r| r.scope.is_none())
            .flat_map(|r| r.phrases.iter().flatten())
        {
            let mut full = String::new();
            let mut bounds = [0usize; GLUE_MAX_BOUNDS];
            let nb = build_key(phrase.trim(), &mut full, &mut bounds);
            without_points += usize::from(nb == 0);
            let key = normalize_key(&full);
            want.insert(key.split(' ').next().unwrap().to_string());
            want.insert(first_segment(&full, &bounds[..nb.min(GLUE_MAX_BOUNDS)]).to_string());
        }
        assert!(without_points > 500, "{without_points}");
        let rules = builtin();
        let got: std::collections::BTreeSet<String> =
            rules.glue_starts.keys().map(str::to_string).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn phrase_keys_from_the_phrase_as_written_agree_with_the_lowered_phrase() {
        // `compile` builds a whole-line phrase's key and glue start from the phrase as
        // written: the key as built from the phrase lowercased, the glue start as the
        // first segment with the case steps of the phrase as written.
        let raw = parse_plain(BUILTIN).unwrap();
        let mut phrases: Vec<String> = raw
            .rule
            .iter()
            .filter(|r| r.scope.is_none())
            .flat_map(|r| r.phrases.iter().flatten().map(|p| p.to_string()))
            .collect();
        let builtin = phrases.len();
        phrases.extend(
            [
                "İstanbul Haber",
                "ǅemal Bey",
                "Straße",
                "ΣΟΦΙΑ News",
                "a  B",
                "\u{212a}elvin \u{2003} Sign",
            ]
            .map(String::from),
        );
        let alphabet: Vec<char> = "aBz 9\t\u{a0}\u{2003}İǅßΣσςKk\u{212a}é.(-"
            .chars()
            .collect();
        phrases.extend(random_strings(&alphabet, 0x6b65_7973, 3000, 0..12));
        let mut case_steps = 0;
        for phrase in &phrases {
            let phrase = phrase.trim();
            let mut lower = String::new();
            lower_into(phrase, &mut lower);
            let mut full = String::new();
            let mut bounds = [0usize; GLUE_MAX_BOUNDS];
            let lnb = build_key(&lower, &mut full, &mut bounds);
            let mut cased = String::new();
            let mut cased_bounds = [0usize; GLUE_MAX_BOUNDS];
            let nb = build_key(phrase, &mut cased, &mut cased_bounds);
            assert_eq!(cased, full, "{phrase:?}");
            // The glue start as it was made: from the lowered phrase's key and glue
            // points when the phrase has no lowercase-to-uppercase step.
            let mut prev_lower = false;
            let step = phrase.chars().any(|c| {
                let step = prev_lower && c.is_uppercase();
                prev_lower = c.is_lowercase();
                step
            });
            case_steps += usize::from(step);
            let want = if step {
                first_segment(&cased, &cased_bounds[..nb.min(GLUE_MAX_BOUNDS)])
            } else {
                first_segment(&full, &bounds[..lnb.min(GLUE_MAX_BOUNDS)])
            };
            assert_eq!(
                first_segment(&cased, &cased_bounds[..nb.min(GLUE_MAX_BOUNDS)]),
                want,
                "{phrase:?}"
            );
        }
        assert!(builtin > 2000, "only {builtin} built-in phrases");
        assert!(
            case_steps > 100,
            "only {case_steps} phrases with a case step"
        );
    }

    #[test]
    fn builtin_regexes_compile() {
        // Built-in regexes are compiled on first use, where an error could only panic.
        // (A set of its own: other tests use the shared one.)
        let rules = RuleSet::from_toml(BUILTIN, BUILTIN_ORIGIN).unwrap();
        assert_eq!(rules.regexes.len(), 20);
        // The built-in set alone is compiled once and shared.
        let (a, b) = (builtin(), builtin());
        assert!(std::ptr::eq(&*a, &*b));
        assert!(matches!(a.0, Shared::Builtin(_)));
        for r in &rules.regexes {
            assert!(r.re.get().is_none(), "compiled before its first use");
            if let Err(e) = Regex::new(&r.src) {
                panic!("{}: {e}", rules.rules[r.rule as usize].id);
            }
        }
        // A user's regexes are compiled at load, so that errors come before any line.
        let src = "[[rule]]\nid = \"x.re\"\ncategory = \"x\"\nregex = '^a+$'\n";
        let user = RuleSet::from_toml(src, "user.toml").unwrap();
        assert!(user.regexes[0].re.get().is_some());
    }

    /// The largest dense table `builtin_dfa_blob` stores for `ASCII` automata (which
    /// most lines use) and for the others; a larger one is stored sparse (a sparse DFA
    /// searches slower, but its table is several times smaller).
    const DENSE_MAX: [usize; 2] = [512 << 10, 128 << 10];

    /// The largest sparse table it stores; past this the automaton is compiled at run
    /// time instead. Every automaton that determinizes within `DFA_BUILD_LIMIT` fits (the
    /// largest is 0.8 MB): read unchecked, a stored table costs nearly nothing until a
    /// line's search touches it, while compiling the automata not stored was a tenth of
    /// the instructions of a process per page (123 pages). Storing the seven past the old
    /// limit (two bytes of table per byte of NFA) made the file 3.7 MB instead of 1.65 for
    /// 0.95 of the CPU time per file once the rule set itself came precompiled (0.98
    /// before, when it was not adopted) and 0.985 per folder.
    const SPARSE_MAX: usize = 4 << 20;

    /// The most memory a DFA may take while `builtin_dfa_blob` builds it, before it is
    /// minimized: a pattern with a counted repetition after an unanchored part
    /// (`[^.!?]{2,80}$`) makes far more states, and stays lazy. Past about this size,
    /// minimizing takes seconds and the result is too large to store anyway.
    const DFA_BUILD_LIMIT: usize = 6 << 20;

    /// The kind (0 dense, 1 sparse) and table of `hir`'s DFA as `builtin_dfa_blob` stores
    /// it, narrowed to `keep`; `None` when it does not determinize within
    /// `DFA_BUILD_LIMIT` or its table is larger than `SPARSE_MAX`.
    fn stored_dfa(hir: &Hir, keep: Keep) -> Option<(u8, Vec<u8>)> {
        use regex_automata::dfa::{dense, StartKind};
        let nfa = forward_nfa(hir).expect("compiles");
        // Searches are unanchored, so only unanchored start states.
        let config = dense::Config::new()
            .start_kind(StartKind::Unanchored)
            .minimize(true)
            .dfa_size_limit(Some(DFA_BUILD_LIMIT))
            .determinize_size_limit(Some(DFA_BUILD_LIMIT));
        let dfa = dense::Builder::new()
            .configure(config)
            .build_from_nfa(&nfa)
            .ok()?;
        let (bytes, pad) = dfa.to_bytes_little_endian();
        let dense_max = DENSE_MAX[usize::from(keep != Keep::Ascii)];
        if bytes.len() - pad <= dense_max {
            return Some((0, bytes[pad..].to_vec()));
        }
        let sparse = dfa.to_sparse().expect("sparse").to_bytes_little_endian();
        (sparse.len() <= SPARSE_MAX).then_some((1, sparse))
    }

    /// `hir` with the upper bound of every bounded repetition (`{1,60}`, `?`) dropped:
    /// it matches wherever `hir` does (each part matches all it did, and more), so a
    /// line it does not match, `hir` does not either. Those bounds, after an
    /// unanchored part, are what make the DFAs of the patterns that do not determinize
    /// blow up; without them the DFAs are a few kilobytes, and serve as `Gated`'s gates.
    fn relaxed(hir: Hir) -> Hir {
        match hir.into_kind() {
            HirKind::Repetition(r) => Hir::repetition(Repetition {
                max: r.max.filter(|&max| max == r.min),
                sub: Box::new(relaxed(*r.sub)),
                ..r
            }),
            kind => map_subs(kind, relaxed),
        }
    }

    /// `DFA_BLOB` as the built-in rules, the narrowing code and regex-automata make it
    /// now: the `ASCII`, `NARROW` and `WIDE` automata of each built-in regex, minimized,
    /// those small enough (see the limits above), in the layout `DFA_BLOB` describes.
    fn builtin_dfa_blob() -> Vec<u8> {
        let rules = RuleSet::from_toml(BUILTIN, BUILTIN_ORIGIN).unwrap();
        // (key, kind, lower, gate, table)
        let mut entries: Vec<(u64, u8, bool, bool, Vec<u8>)> = Vec::new();
        for r in &rules.regexes {
            for keep in [Keep::Ascii, Keep::Narrow, Keep::Wide] {
                let (hir, _, lower) = narrowed_tree(&r.src, keep).expect("narrows");
                let key = dfa_key(&r.src, keep);
                // The automaton if it is small enough, else the gate of `relaxed`.
                if let Some((kind, bytes)) = stored_dfa(&hir, keep) {
                    entries.push((key, kind, lower, false, bytes));
                } else if let Some((kind, bytes)) = stored_dfa(&relaxed(hir), keep) {
                    entries.push((key, kind, lower, true, bytes));
                }
            }
        }
        let mut blob = DFA_MAGIC.to_vec();
        blob.extend_from_slice(&u32::try_from(entries.len()).unwrap().to_le_bytes());
        blob.extend_from_slice(&[0; 4]);
        let mut offset = 16 + entries.len() * DFA_ENTRY;
        for (key, kind, lower, gate, bytes) in &entries {
            offset = offset.next_multiple_of(8);
            blob.extend_from_slice(&key.to_le_bytes());
            blob.extend_from_slice(&u32::try_from(offset).unwrap().to_le_bytes());
            blob.extend_from_slice(&u32::try_from(bytes.len()).unwrap().to_le_bytes());
            let flags = [*kind, u8::from(*lower), u8::from(*gate)];
            blob.extend_from_slice(&flags);
            blob.extend_from_slice(&[0; 5]);
            offset += bytes.len();
        }
        for (.., bytes) in &entries {
            blob.resize(blob.len().next_multiple_of(8), 0);
            blob.extend_from_slice(bytes);
        }
        let sum = fnv1a(FNV_START, &blob);
        blob.extend_from_slice(&sum.to_le_bytes());
        blob
    }

    // Building the 45 DFAs takes 7 s optimized and about two minutes unoptimized: a plain
    // `cargo test` leaves this one out, and `dfa_blob_entries_belong_to_the_builtin_rules`
    // still catches an edited regex there.
    #[test]
    #[cfg_attr(
        debug_assertions,
        ignore = "builds every DFA: about 2 minutes unoptimized; run with --release"
    )]
    fn builtin_dfa_blob_is_current() {
        // Run with BOILERSTRIP_WRITE_DFA=1 to write the file (see `DFA_BLOB`).
        let blob = builtin_dfa_blob();
        if std::env::var_os("BOILERSTRIP_WRITE_DFA").is_some() {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/default.dfa");
            std::fs::write(&path, &blob).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            return;
        }
        assert!(
            blob == DFA_BLOB.0,
            "rules/default.dfa is stale ({} bytes, {} now): regenerate it with `make rules-dfa` \
             (BOILERSTRIP_WRITE_DFA=1 cargo test --release --lib builtin_dfa_blob)",
            DFA_BLOB.0.len(),
            blob.len()
        );
    }

    #[test]
    fn dfa_blob_entries_belong_to_the_builtin_rules() {
        // Every entry's key is that of a built-in pattern and character set (an edited
        // regex leaves its old entries behind: stale, run `make rules-dfa`).
        let rules = RuleSet::from_toml(BUILTIN, BUILTIN_ORIGIN).unwrap();
        let keys: HashSet<u64> = rules
            .regexes
            .iter()
            .flat_map(|r| [Keep::Ascii, Keep::Narrow, Keep::Wide].map(|k| dfa_key(&r.src, k)))
            .collect();
        let blob: &[u8] = &DFA_BLOB.0;
        let count = u32::from_le_bytes(blob[8..12].try_into().unwrap()) as usize;
        assert_eq!(dfa_entries(blob).count(), count, "the table is whole");
        for (i, entry) in dfa_entries(blob).enumerate() {
            assert!(
                keys.contains(&entry.key),
                "rules/default.dfa is stale (entry {i} matches no built-in regex): \
                 regenerate it with `make rules-dfa`"
            );
        }
        // Most built-in automata are there, and each rule finds its own.
        let mut found = [0; 3];
        for r in &rules.regexes {
            for (i, keep) in [Keep::Ascii, Keep::Narrow, Keep::Wide]
                .into_iter()
                .enumerate()
            {
                if let Some(f) = precompiled(&r.src, keep) {
                    assert!(!f.is_lazy());
                    assert_eq!(f.lower, narrowed_tree(&r.src, keep).unwrap().2, "{}", r.src);
                    found[i] += 1;
                }
            }
        }
        let n = rules.regexes.len();
        assert!(found.iter().all(|&k| k >= n / 2), "{found:?} of {n}");
    }

    /// The golden lines and every line of the 123 benchmark pages, normalized.
    fn golden_and_page_lines() -> Vec<String> {
        let mut lines = golden_lines();
        let pages = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/data/shb-dev/input");
        for entry in std::fs::read_dir(pages).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            lines.extend(normalize(&text).text.lines().map(str::to_string));
        }
        lines
    }

    #[test]
    fn precompiled_automata_agree_with_the_regex() {
        // On every line of their characters, the automata read from `DFA_BLOB` answer as
        // the full regex does (and so as the ones compiled at run time do, which
        // `narrowed_syntax_trees_agree_with_the_regex` checks).
        let rules = RuleSet::from_toml(BUILTIN, BUILTIN_ORIGIN).unwrap();
        let lines = golden_and_page_lines();
        let mut buf = String::new();
        let (mut checked, mut matched) = (0, 0);
        for r in &rules.regexes {
            let re = Regex::new(&r.src).unwrap();
            for keep in [Keep::Ascii, Keep::Narrow, Keep::Wide] {
                let Some(f) = precompiled(&r.src, keep) else {
                    continue;
                };
                for line in &lines {
                    if !line.chars().all(|c| in_ranges(keep.ranges(), c)) {
                        continue;
                    }
                    let want = re.is_match(line);
                    let got = f.is_match(&mut Lowered::new(line, &mut buf, line.is_ascii()));
                    assert_eq!(got, Some(want), "{:?} {} on {line:?}", keep, r.src);
                    checked += 1;
                    matched += usize::from(want);
                }
            }
        }
        assert!(
            checked > 100_000 && matched > 200,
            "{checked} lines, {matched} matches"
        );
    }

    #[test]
    fn dfa_blob_is_intact_and_read_without_checks() {
        // build.rs checked the sum the writer put at the end; so does this, at run time.
        assert!(
            DFA_BLOB_INTACT && fnv::blob_sum_holds(&DFA_BLOB.0),
            "rules/default.dfa is damaged (its sum is wrong): regenerate it with `make rules-dfa`"
        );
        // One byte changed anywhere, or the sum cut off, and the sum no longer holds.
        let blob: &[u8] = &DFA_BLOB.0;
        for at in [0, 9, blob.len() / 2, blob.len() - 9, blob.len() - 1] {
            let mut bad = blob.to_vec();
            bad[at] ^= 0x40;
            assert!(!fnv::blob_sum_holds(&bad), "byte {at}");
        }
        assert!(!fnv::blob_sum_holds(&blob[..blob.len() - 8]));
        assert!(!fnv::blob_sum_holds(&[]));
    }

    #[test]
    fn stored_automata_pass_the_checked_reader() {
        // What makes reading them unchecked sound: every table in the file, read with
        // regex-automata's checked readers, is valid (each transition to a state).
        let blob: &'static [u8] = &DFA_BLOB.0;
        let mut n = 0;
        for e in dfa_entries(blob) {
            let bytes = &blob[e.offset..e.offset + e.len];
            let ok = match e.kind {
                0 => DenseDfa::from_bytes(bytes).is_ok(),
                1 => SparseDfa::from_bytes(bytes).is_ok(),
                _ => false,
            };
            assert!(ok, "entry {n} ({} bytes, kind {})", e.len, e.kind);
            n += 1;
        }
        assert!(n >= 30, "{n} entries");
    }

    #[test]
    fn a_missing_or_damaged_dfa_entry_is_compiled_instead() {
        let rules = RuleSet::from_toml(BUILTIN, BUILTIN_ORIGIN).unwrap();
        let src = &rules.regexes[0].src;
        let blob: &'static [u8] = &DFA_BLOB.0;
        assert!(precompiled_in(blob, src, Keep::Ascii, Read::Checked).is_some());
        // Where its table is.
        let key = dfa_key(src, Keep::Ascii);
        let entry = dfa_entries(blob).find(|e| e.key == key).unwrap();
        let (offset, len) = (entry.offset, entry.len);
        // Another pattern, an empty file or one cut short: no entry.
        assert!(precompiled_in(blob, &format!("{src}x"), Keep::Ascii, Read::Checked).is_none());
        assert!(precompiled_in(&[], src, Keep::Ascii, Read::Checked).is_none());
        assert!(
            precompiled_in(&blob[..offset + len - 1], src, Keep::Ascii, Read::Checked).is_none()
        );
        // A damaged table is refused by the checked reader.
        let mut bad = blob.to_vec();
        bad[offset + len / 2..offset + len].fill(0xff);
        let bad: &'static [u8] = Box::leak(bad.into_boxed_slice());
        assert!(precompiled_in(bad, src, Keep::Ascii, Read::Checked).is_none());
        // The rule then compiles its automaton as before (as the automata too large to
        // store are compiled: `gated_automata_compile_for_the_lines_their_gates_pass`).
        assert!(narrowed_from_ast(src, Keep::Ascii)
            .unwrap()
            .unwrap()
            .is_lazy());
    }

    #[test]
    fn regex_rules_match_as_their_plain_regexes_on_golden_page_and_sampled_lines() {
        // `match_regex`, with its tables, prefilters and the turning away of lines before
        // their bytes are looked up, finds the rule that the plain regexes (in order,
        // within their limits) find, on every line.
        let rules = builtin();
        let mut lines = golden_and_page_lines();
        for (k, r) in rules.regexes.iter().enumerate() {
            let extra: Vec<String> = r.needs.iter().flat_map(|&n| needs_tokens(n)).collect();
            // As `match_line` meets them: normalized (the prefilters rely on it).
            for l in lines_for_regex(&r.src, &extra, 0x2545_f491 ^ k as u64) {
                lines.extend(normalize(&l).text.lines().map(str::to_string));
            }
        }
        let plain: Vec<Regex> = rules
            .regexes
            .iter()
            .map(|r| Regex::new(&r.src).unwrap())
            .collect();
        let (mut found, mut turned_away) = (0, 0);
        let mut buf = String::new();
        for line in lines
            .iter()
            .map(|l| crate::segment::trim(l))
            .filter(|l| !l.is_empty())
        {
            let words = count_words(line);
            let want = rules.regexes.iter().zip(&plain).find_map(|(r, re)| {
                (words <= r.max_words && re.is_match(line) && rules.fits(r.rule, words, line))
                    .then_some(r.rule)
            });
            assert_eq!(rules.match_regex(line, words, &mut buf), want, "{line:?}");
            found += usize::from(want.is_some());
            let b = line.as_bytes();
            turned_away += usize::from(
                rules.regex_first.0[usize::from(b[0])]
                    & rules.regex_last.0[usize::from(b[b.len() - 1])]
                    & rules.regex_words.0[words.min(WORDS_CAP)]
                    == 0,
            );
        }
        assert!(found > 2000, "{found} lines matched");
        assert!(
            turned_away > 300,
            "{turned_away} lines turned away by the tables"
        );
    }

    #[test]
    fn gated_automata_compile_for_the_lines_their_gates_pass() {
        // A gate matches every line its pattern matches (the full regex here), turns most
        // lines away, and its automaton is compiled at the first line it lets through,
        // not before.
        let rules = RuleSet::from_toml(BUILTIN, BUILTIN_ORIGIN).unwrap();
        let lines = golden_and_page_lines();
        let mut buf = String::new();
        let (mut gated, mut passed, mut turned_away, mut matched) = (0, 0, 0, 0);
        for r in &rules.regexes {
            let re = Regex::new(&r.src).unwrap();
            for keep in [Keep::Ascii, Keep::Narrow, Keep::Wide] {
                let Some(f) = precompiled(&r.src, keep) else {
                    continue;
                };
                let Engine::Gated(g) = &f.engine else {
                    continue;
                };
                gated += 1;
                for line in &lines {
                    if !line.chars().all(|c| in_ranges(keep.ranges(), c)) {
                        continue;
                    }
                    let want = re.is_match(line);
                    let mut lowered = Lowered::new(line, &mut buf, line.is_ascii());
                    let text = if f.lower { lowered.folded() } else { line };
                    let gate = g.gate.search(text);
                    assert!(gate.is_some(), "a stored DFA never gives up");
                    assert!(
                        gate == Some(true) || !want,
                        "{keep:?} {} on {line:?}",
                        r.src
                    );
                    let compiled = g.full.get().is_some();
                    let got = f.is_match(&mut Lowered::new(line, &mut buf, line.is_ascii()));
                    assert_eq!(got, Some(want), "{keep:?} {} on {line:?}", r.src);
                    assert_eq!(g.full.get().is_some(), compiled || gate == Some(true));
                    passed += usize::from(gate == Some(true));
                    turned_away += usize::from(gate == Some(false));
                    matched += usize::from(want);
                }
            }
        }
        assert!(gated >= 4, "{gated} gated automata");
        assert!(
            matched > 0 && passed >= matched,
            "{passed} passed, {matched} matched"
        );
        assert!(
            turned_away > 50 * passed,
            "{turned_away} lines turned away, {passed} let through"
        );
    }

    /// The built-in rules with the `key_ends` table emptied: `key_may_start` passes every
    /// line, so matching takes the plain path.
    fn without_key_ends() -> RuleSet {
        let mut plain = RuleSet::from_toml(BUILTIN, BUILTIN_ORIGIN).unwrap();
        let Shared::Own(owned) = &mut plain.0 else {
            panic!("from_toml gives an owned set");
        };
        owned.key_ends = Table::default();
        plain
    }

    /// Lines made of the built-in phrases' words and whole phrases, in several cases, with
    /// glue (spaces, runs of them, tabs, case steps, punctuation) and counts between them:
    /// phrases, glued phrases, phrases with more after them, and near misses.
    fn phrase_mix_lines(count: usize, seed: u64) -> Vec<String> {
        let rules = builtin();
        let keys: Vec<&str> = rules.whole.keys().collect();
        let words: Vec<&str> = keys.iter().flat_map(|k| k.split(' ')).collect();
        let glue = [
            " ", "", "  ", "\t", ": ", " - ", " (12)", "! ", ", ", "'s ", "3 ",
        ];
        let mut seed = seed;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed as usize
        };
        // Some lines start with a count or another number (a count may be cut from the key).
        let leads = [
            "12 ", "1,234 ", "3k ", "7 - ", "12:30 ", "2019", "5  ", "8\t", "1.5 (",
        ];
        (0..count)
            .map(|_| {
                let mut line = String::new();
                if next() % 4 == 0 {
                    line.push_str(leads[next() % leads.len()]);
                }
                for i in 0..1 + next() % 4 {
                    if i > 0 {
                        line.push_str(glue[next() % glue.len()]);
                    }
                    let piece = if next() % 2 == 0 {
                        keys[next() % keys.len()]
                    } else {
                        words[next() % words.len()]
                    };
                    match next() % 4 {
                        0 => line.push_str(piece),
                        1 => line.push_str(&piece.to_uppercase()),
                        _ => {
                            // Each word capitalized (case steps where glued).
                            for (j, w) in piece.split(' ').enumerate() {
                                if j > 0 {
                                    line.push(' ');
                                }
                                let mut c = w.chars();
                                if let Some(f) = c.next() {
                                    line.extend(f.to_uppercase());
                                    line.push_str(c.as_str());
                                }
                            }
                        }
                    }
                }
                line
            })
            .collect()
    }

    #[test]
    fn key_start_filter_never_hides_a_match() {
        // `key_may_start` turns lines away before their key is built: on the golden and
        // benchmark lines, and on lines made of the phrases, every line gets the match of
        // the plain path, and the filter turns many lines away (so it is tested).
        let rules = builtin();
        let plain = without_key_ends();
        assert!(!rules.key_ends.is_empty());
        let mut lines = golden_and_page_lines();
        let page_lines = lines.len();
        lines.extend(phrase_mix_lines(40_000, 0x2545_f491_4f6c_dd1d));
        // A long count ended by a non-ASCII space past the first 16 bytes: cut from
        // the key as one ended by an ASCII space is.
        let long_counts = [
            "1234567890123456\u{a0}Comments",
            "12,345,678,901,234\u{2003}shares",
        ];
        lines.extend(long_counts.map(String::from));
        let (mut turned_away, mut matched) = (0, 0);
        for (i, line) in lines.iter().enumerate() {
            let got = rules.match_line(line);
            assert_eq!(got, plain.match_line(line), "{line:?}");
            matched += usize::from(got.is_some());
            let core = trim_non_alnum(crate::segment::trim(line));
            if i < page_lines && rules.head_may_match(core) && !rules.key_may_start(core) {
                turned_away += 1;
            }
        }
        assert!(turned_away > 2000, "{turned_away} page lines turned away");
        assert!(long_counts.iter().all(|l| rules.match_line(l).is_some()));
        assert!(matched > 10_000, "{matched} lines matched");
    }

    proptest::proptest! {
        /// On short lines of letters, digits, spaces and punctuation around a few words
        /// that start keys, the filter agrees with the plain path.
        #[test]
        fn key_start_filter_agrees_on_random_lines(
            line in "(Share|share|SHARE|more|More|Read|read|Sign|sign|In|in|12|1,2|3k|[A-Za-z0-9]{1,3}|[ :().,!'\t-]){1,8}"
        ) {
            let rules = builtin();
            let plain = without_key_ends();
            proptest::prop_assert_eq!(rules.match_line(&line), plain.match_line(&line));
        }
    }

    #[test]
    fn word_count_skip_never_hides_a_whole_line_match() {
        let rules = builtin();
        let mut reference = RuleSet::from_toml(BUILTIN, BUILTIN_ORIGIN).unwrap();
        let Shared::Own(owned) = &mut reference.0 else {
            panic!("from_toml gives an owned set");
        };
        owned.max_key_words = usize::MAX / 2;
        assert!(rules.max_key_words >= 5 && rules.max_key_words < 40);
        let mut lines: Vec<String> = vec![
            "» » » » » » » » » » » » » » » » » » Share".into(),
            "| - | - | - | - | - | - | - | - | - | Comments (12)".into(),
            "12 comments - - - - - - - - - - - - - - - - 34".into(),
        ];
        let raw: RawFile = toml::from_str(RuleSet::builtin_source()).unwrap();
        for r in raw.rule.iter().filter(|r| r.scope.is_none()) {
            for p in r.phrases.iter().flatten() {
                lines.push(format!("{} {p} {}", "- ".repeat(16), "* ".repeat(4)));
                lines.push(format!("1,234 {p} ({})", 99));
                lines.push(format!("{p} {p} {p} {p} {p} {p} {p} {p} {p}"));
            }
        }
        lines.extend(golden_lines());
        let mut skipped = 0;
        for line in &lines {
            let words = count_words(line.trim());
            skipped += usize::from(rules.too_many_words(line.trim(), words));
            assert_eq!(
                rules.match_line(line),
                reference.match_line(line),
                "{line:?}"
            );
        }
        assert!(skipped > 500, "only {skipped} lines skipped");
        assert!(rules.match_line(&lines[0]).is_some());
        assert!(rules.match_line(&lines[1]).is_some());
    }

    #[test]
    fn word_count_fast_path_agrees_with_its_definition() {
        let alphabet = [' ', ' ', '\t', 'a', 'B', 'é', '—', '\u{a0}', '1', '.'];
        let mut lines = random_strings(&alphabet, 0x9e37_79b9, 4000, 0..40);
        // Several sixteen-byte blocks, and words across their bounds.
        lines.extend(random_strings(&alphabet, 0x7f4a_7c15, 4000, 40..140));
        lines.extend(golden_lines());
        for line in &lines {
            assert_eq!(count_words(line), count_words_bytewise(line), "{line:?}");
        }
        assert_eq!(count_words("  one two\tthree   four five six seven  "), 7);
    }

    #[test]
    fn byte_set_answers_like_the_line() {
        for line in (0..=0x7f_u8).map(|b| char::from(b).to_string()).chain([
            "é".into(),
            "a1".into(),
            "Z".into(),
            "".into(),
            "٣".into(),
        ]) {
            let b = ByteSet::of(&line);
            assert_eq!(
                b.ascii_letter(),
                line.bytes().any(|x| x.is_ascii_alphabetic())
            );
            assert_eq!(b.ascii_digit(), line.bytes().any(|x| x.is_ascii_digit()));
            assert_eq!(b.non_ascii(), !line.is_ascii());
            assert!(line.bytes().all(|x| b.has(x)));
            assert_eq!((0..=255).filter(|&x| b.has(x)).count(), {
                let mut v: Vec<u8> = line.bytes().collect();
                v.sort_unstable();
                v.dedup();
                v.len()
            });
        }
    }

    #[test]
    fn first_word_test_agrees_with_its_definition() {
        let rules = builtin();
        let alphabet: Vec<char> = "icoNI \t\u{b}\u{a0}\u{2003}é".chars().collect();
        let n = Needs::FirstWordAsciiCi("icon");
        let mut held = 0;
        for tail in random_strings(&alphabet, 0x0bad_5eed_1234_5678, 20000, 0..8) {
            // Half the lines start with the word, to be cut by what follows or not.
            let line = if tail.len() % 2 == 0 {
                format!("IcoN{tail}")
            } else {
                tail
            };
            if line.is_empty() {
                continue;
            }
            let end = line.find(char::is_whitespace).unwrap_or(line.len());
            let want = line[..end].to_ascii_lowercase().contains("icon");
            assert_eq!(
                n.holds(&line, &mut rules.line_facts(&line)),
                want,
                "{line:?}"
            );
            held += usize::from(want);
        }
        assert!(held > 1000, "only {held} lines passed");
    }

    #[test]
    fn line_trim_agrees_with_trim() {
        let alphabet: Vec<char> = "a1 \t\n\r\u{b}\u{c}\u{1f}\u{7f}\u{85}\u{a0}\u{2003}\u{3000}é—"
            .chars()
            .collect();
        for line in random_strings(&alphabet, 0x1656_67b1_9e37_79f9, 5000, 0..6) {
            assert_eq!(crate::segment::trim(&line), line.trim(), "{line:?}");
        }
    }

    #[test]
    fn decoration_fast_path_agrees_with_its_definition() {
        for c in (0..=0x7f_u8)
            .map(char::from)
            .chain(['»', '…', '\u{a0}', 'é'])
        {
            let want = c.is_whitespace() || "»«›‹•·|*>■□▪▶►▸→←↑↓✓✔✕✖×—–-~:…".contains(c);
            assert_eq!(is_decoration(c), want, "{c:?}");
        }
    }

    /// The lines of the golden pages: each page is a folder of its input and the
    /// expected output (an input in a legacy encoding is left out).
    fn golden_lines() -> Vec<String> {
        let pages = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pages");
        let mut lines = Vec::new();
        for entry in std::fs::read_dir(pages).unwrap() {
            let page = entry.unwrap().path();
            for name in ["input.txt", "expected.txt"] {
                if let Ok(text) = std::fs::read_to_string(page.join(name)) {
                    lines.extend(text.lines().map(str::to_string));
                }
            }
        }
        assert!(lines.len() > 500, "{} golden lines", lines.len());
        lines
    }

    /// `build_key` (whichever fast path it takes) gives the key and glue points of
    /// `key_from_chars`, appended to text already in the buffer (absolute positions).
    fn assert_key_paths_agree(core: &str) {
        let (mut a, mut b) = ("pre".to_string(), "pre".to_string());
        let (mut ba, mut bb) = ([0usize; GLUE_MAX_BOUNDS], [0usize; GLUE_MAX_BOUNDS]);
        let na = build_key(core, &mut a, &mut ba);
        let nb = key_from_chars(core.chars(), &mut b, &mut bb);
        assert_eq!((na, &a, ba), (nb, &b, bb), "{core:?}");
    }

    #[test]
    fn ascii_key_agrees_with_the_char_path() {
        // Hand-picked cores, the golden lines, and random ASCII ones with spaces single or
        // doubled and tabs rare: most take `ascii_key`, at every length modulo eight.
        let alphabet: Vec<char> = "aZ bC1.(yQ xW\0".repeat(8).chars().chain(['\t']).collect();
        let random = random_strings(&alphabet, 0x2545_f491_4f6c_dd1d, 20_000, 0..40);
        let mut fast = 0;
        for core in [
            "Share  this\tArticle",
            "Community standardsDiscussion",
            "Comments (12)",
            "a",
            "ABC def GhI",
            "x  \t  y",
            "aB\tCd  eF1 2G ",
            "- Share -",
            &"a B ".repeat(40),
        ]
        .into_iter()
        .map(str::to_string)
        .chain(golden_lines())
        .chain(random)
        {
            fast += usize::from(ascii_key(&core, &mut String::new(), &mut [0; 4]).is_some());
            assert_key_paths_agree(&core);
        }
        assert!(fast > 5_000, "{fast}");
    }

    #[test]
    fn line_head_agrees_with_the_byte_loop() {
        // The definition: one byte at a time.
        let reference = |core: &str| -> u64 {
            let b = core.as_bytes();
            let mut head = [0u8; HEAD_MAX];
            let mut n = 0;
            while n < HEAD_MAX && n < b.len() && b[n].is_ascii_alphabetic() {
                if n > 0 && b[n - 1].is_ascii_lowercase() && b[n].is_ascii_uppercase() {
                    break;
                }
                head[n] = b[n].to_ascii_lowercase();
                n += 1;
            }
            if n > 0 && n < HEAD_MAX && matches!(b.get(n), Some(b' ' | b'\t')) {
                head[n] = b' ';
            }
            u64::from_le_bytes(head)
        };
        // Letters of both cases next to every byte class the lanes tell apart: the
        // ends of the letter ranges, space, tab, zero, and bytes of 0x80 and more.
        let alphabet: Vec<char> = "aAzZbY \t@[`{\0\u{7f}1éÿ\u{fb}€😀"
            .chars()
            .chain("abcdeXYZ".repeat(3).chars())
            .collect();
        for core in random_strings(&alphabet, 0x9e37_79b9_7f4a_7c15, 100_000, 0..14)
            .iter()
            .chain(&golden_lines())
        {
            assert_eq!(line_head(core), reference(core), "{core:?}");
        }
    }

    #[test]
    fn regex_tables_hold_each_rules_bits() {
        // Every entry of the block and first-byte tables, against each rule's own bits
        // and first bytes (the tables are filled by other means than these tests).
        let rules = builtin();
        let n = rules.regexes.len().min(BIT_RULES);
        for (j, table) in rules.regex_blocked.0.iter().enumerate() {
            for (v, &entry) in table.iter().enumerate() {
                let v = v as u64;
                let want = rules.regexes.iter().take(n).fold(0, |acc, r| {
                    let need = (r.gate_bits >> (8 * j)) & 0xff;
                    let forbid = (r.forbid_bits >> (8 * j)) & 0xff;
                    acc | (r.first_bit * u64::from(v & need != 0 || v & forbid != forbid))
                });
                assert_eq!(entry, want, "table {j}, entry {v}");
            }
        }
        // Each byte table with the bytes each test allows there.
        type AllowedBytes = fn(Needs) -> Option<ByteSet>;
        let byte_tables: [(&ByteTable, AllowedBytes, &str); 2] = [
            (&rules.regex_first, Needs::first_bytes, "first"),
            (&rules.regex_last, Needs::last_bytes, "last"),
        ];
        for (table, bytes, which) in byte_tables {
            for (b, &entry) in table.0.iter().enumerate() {
                let want = rules.regexes.iter().take(n).fold(0, |acc, r| {
                    let allows = r
                        .needs
                        .iter()
                        .filter_map(|&n| bytes(n))
                        .all(|set| set.has(b as u8));
                    acc | (r.first_bit * u64::from(allows))
                });
                assert_eq!(entry, want, "{which} byte {b}");
            }
        }
        // Tables with something in them: many distinct entries.
        let distinct =
            |entries: &mut dyn Iterator<Item = u64>| entries.collect::<HashSet<_>>().len();
        assert!(distinct(&mut rules.regex_first.0.iter().copied()) > 10);
        assert!(distinct(&mut rules.regex_last.0.iter().copied()) > 5);
        assert!(distinct(&mut rules.regex_blocked.0.iter().flatten().copied()) > 100);
    }

    #[test]
    fn starts_with_ascii_ci_lists_the_regex_first_words() {
        use regex_syntax::ast::{ClassPerlKind, RepetitionOp};
        /// How a run of leading ASCII letters ends: at a digit class, at a non-ASCII
        /// literal, or anything else.
        #[derive(Clone, Copy, PartialEq, Debug)]
        enum End {
            Digit,
            NonAscii,
            Other,
        }
        /// The runs of ASCII letters (lowercased) that a match of `seq` can start with,
        /// after `run`.
        fn runs<'a>(seq: &[&'a Ast], run: String) -> Vec<(String, End)> {
            let Some((&first, rest)) = seq.split_first() else {
                return vec![(run, End::Other)];
            };
            let then = |inner: &'a Ast| [&[inner][..], rest].concat();
            match first {
                Ast::Empty(_) | Ast::Flags(_) | Ast::Assertion(_) => runs(rest, run),
                Ast::Literal(l) if l.c.is_ascii_alphabetic() => {
                    runs(rest, format!("{run}{}", l.c.to_ascii_lowercase()))
                }
                Ast::Literal(l) if !l.c.is_ascii() => vec![(run, End::NonAscii)],
                Ast::ClassPerl(c) if c.kind == ClassPerlKind::Digit && !c.negated => {
                    vec![(run, End::Digit)]
                }
                Ast::Group(g) => runs(&then(&g.ast), run),
                Ast::Concat(c) => runs(&[c.asts.iter().collect(), rest.to_vec()].concat(), run),
                Ast::Alternation(a) => a
                    .asts
                    .iter()
                    .flat_map(|b| runs(&then(b), run.clone()))
                    .collect(),
                Ast::Repetition(r) => {
                    let RepetitionOp { kind, .. } = &r.op;
                    let (min, max) = match kind {
                        RepetitionKind::ZeroOrOne => (0, Some(1)),
                        RepetitionKind::ZeroOrMore => (0, None),
                        RepetitionKind::OneOrMore => (1, None),
                        RepetitionKind::Range(RepetitionRange::Exactly(n)) => (*n, Some(*n)),
                        RepetitionKind::Range(RepetitionRange::AtLeast(n)) => (*n, None),
                        RepetitionKind::Range(RepetitionRange::Bounded(m, n)) => (*m, Some(*n)),
                    };
                    // Once: exactly what follows; more: the run is cut after one copy.
                    let mut out = if max == Some(1) {
                        runs(&then(&r.ast), run.clone())
                    } else {
                        runs(&[&*r.ast], run.clone())
                    };
                    if min == 0 {
                        out.extend(runs(rest, run));
                    }
                    out
                }
                _ => vec![(run, End::Other)],
            }
        }
        let rules = builtin();
        let mut checked = 0;
        for r in &rules.regexes {
            for need in r.needs {
                let Needs::StartsWithAsciiCi(starts) = *need else {
                    continue;
                };
                let (words, window) = (starts.words, start_window(starts));
                let id = &rules.rules[r.rule as usize].id;
                let ast = regex_syntax::ast::parse::Parser::new()
                    .parse(&r.src)
                    .expect("built-in regexes parse");
                let found = runs(&[&ast], String::new());
                // Every start passes: a listed word begins its letters, or it is a
                // digit, or a non-ASCII character comes within the window.
                for (run, end) in &found {
                    let listed = words.iter().any(|w| run.starts_with(w));
                    let in_window = match end {
                        End::Digit => run.is_empty(),
                        End::NonAscii => run.len() < window,
                        End::Other => false,
                    };
                    assert!(listed || in_window, "{id}: {run:?} ({end:?}) not listed");
                }
                // And no listed word is spare: each begins some start.
                for w in words {
                    assert!(
                        found.iter().any(|(run, _)| run.starts_with(w)),
                        "{id}: {w:?} begins no branch"
                    );
                }
                checked += 1;
            }
        }
        assert_eq!(checked, 3);
    }

    /// A rule's `NonAsciiOnlyChars` check, on a line its forbid bits let through, answers
    /// as the `OnlyChars` it stands for: on random lines of ASCII bytes (the ones each table
    /// allows and a few it does not) and of non-ASCII characters, some in the sets.
    #[test]
    fn non_ascii_only_chars_behind_the_forbid_bits_is_only_chars() {
        let rules = builtin();
        let mut alphabet: Vec<char> = "aZ9 \t:./-,'&+~|>()[]#@!?;\"".chars().collect();
        alphabet.extend("éЖж’–—·º°»›→年«×€".chars());
        let lines = random_strings(&alphabet, 0x2545_f491_4f6c_dd1d, 20_000, 1..12);
        let (mut replaced, mut passed, mut failed) = (0, 0, 0);
        for r in &rules.regexes {
            let Some(Needs::NonAsciiOnlyChars(set)) = r
                .checks
                .iter()
                .find(|n| matches!(n, Needs::NonAsciiOnlyChars(_)))
                .copied()
            else {
                continue;
            };
            replaced += 1;
            // The rule's tests of the characters it allows, as written.
            let only: Vec<Needs> = r
                .needs
                .iter()
                .filter(|n| matches!(n, Needs::OnlyChars(..) | Needs::AsciiOnlyChars(_)))
                .copied()
                .collect();
            assert!(only
                .iter()
                .any(|n| matches!(n, Needs::OnlyChars(s, _) if *s == set)));
            for line in &lines {
                let mut facts = rules.line_facts(line);
                let ours = facts.hits & r.forbid_bits == 0
                    && Needs::NonAsciiOnlyChars(set).holds(line, &mut facts);
                let want = only
                    .iter()
                    .all(|n| n.holds(line, &mut rules.line_facts(line)));
                assert_eq!(ours, want, "{} on {line:?}", r.src);
                passed += usize::from(want);
                failed += usize::from(!want);
            }
        }
        assert!(
            replaced >= 4,
            "only {replaced} rules test non-ASCII characters alone"
        );
        assert!(
            passed > 1000 && failed > 1000,
            "{passed} pass, {failed} fail"
        );
    }

    #[test]
    fn only_chars_tables_and_forbidden_bits_hold_every_ascii_byte_of_the_regex() {
        use regex_syntax::hir::Look;
        /// Every ASCII byte a literal or class of `hir` can match.
        fn ascii_bytes(hir: &Hir, out: &mut [bool; 128]) {
            match hir.kind() {
                HirKind::Literal(l) => l.0.iter().filter(|b| b.is_ascii()).for_each(|&b| {
                    out[usize::from(b)] = true;
                }),
                HirKind::Class(Class::Unicode(c)) => {
                    for r in c.ranges() {
                        (r.start()..=r.end().min('\x7f')).for_each(|c| out[c as usize] = true);
                    }
                }
                HirKind::Class(Class::Bytes(c)) => {
                    for r in c.ranges() {
                        (r.start()..=r.end().min(0x7f)).for_each(|b| out[usize::from(b)] = true);
                    }
                }
                HirKind::Repetition(r) => ascii_bytes(&r.sub, out),
                HirKind::Capture(c) => ascii_bytes(&c.sub, out),
                HirKind::Concat(hs) | HirKind::Alternation(hs) => {
                    hs.iter().for_each(|h| ascii_bytes(h, out));
                }
                HirKind::Empty | HirKind::Look(_) => {}
            }
        }
        let rules = builtin();
        let (mut checked, mut forbidding) = (0, 0);
        for r in &rules.regexes {
            let tables: Vec<[u64; 2]> = r
                .needs
                .iter()
                .filter_map(|n| match *n {
                    Needs::OnlyChars(_, ascii) | Needs::AsciiOnlyChars(ascii) => Some(ascii),
                    _ => None,
                })
                .collect();
            if tables.is_empty() {
                assert_eq!(r.forbid_bits, 0);
                continue;
            }
            let id = &rules.rules[r.rule as usize].id;
            let hir = regex_syntax::parse(&r.src).expect("built-in regexes parse");
            // Anchored at both ends: every character of a matching line is matched by
            // some literal or class, so the bytes they match are all the line holds.
            let props = hir.properties();
            assert!(
                props.look_set_prefix().contains(Look::Start)
                    && props.look_set_suffix().contains(Look::End),
                "{id} is not anchored at the line's start and end"
            );
            let mut seen = [false; 128];
            ascii_bytes(&hir, &mut seen);
            for b in (0..0x80u8).filter(|&b| seen[usize::from(b)]) {
                for t in &tables {
                    assert!(
                        t[usize::from(b >> 6)] >> (b & 63) & 1 == 1,
                        "{id} can match {:?}, which its table rejects",
                        char::from(b)
                    );
                }
                assert_eq!(
                    rules.regex_bytes.0[usize::from(b)] & r.forbid_bits,
                    0,
                    "{id} can match {:?}, which its forbidden bits reject",
                    char::from(b)
                );
            }
            checked += 1;
            forbidding += usize::from(r.forbid_bits != 0);
        }
        assert_eq!((checked, forbidding), (8, 8));
    }

    #[test]
    fn only_chars_and_ci_starts_agree_with_their_definitions() {
        let rules = builtin();
        // Every ASCII character, and non-ASCII ones of the sets and around them.
        let alphabet: Vec<char> = (0u8..0x80)
            .map(char::from)
            .chain("’–—·º°»›→é\u{a0}\u{2028}\u{85}中\u{212a}\u{17f}٣".chars())
            .collect();
        let mut lines: Vec<String> = alphabet.iter().map(|c| format!("a{c}1")).collect();
        lines.extend(random_strings(
            &alphabet,
            0x5851_f42d_4c95_7f2d,
            20_000,
            1..12,
        ));
        lines.extend(golden_lines().into_iter().filter(|l| !l.is_empty()));
        let (mut sets, mut held) = (0, 0);
        for need in rules.regexes.iter().flat_map(|r| r.needs) {
            let Needs::OnlyChars(set, _) = *need else {
                continue;
            };
            sets += 1;
            for line in &lines {
                let want = line
                    .chars()
                    .all(|c| c.is_alphanumeric() || c.is_whitespace() || set.contains(c));
                let got = need.holds(line, &mut rules.line_facts(line));
                assert_eq!(got, want, "{set:?} on {line:?}");
                held += usize::from(want);
            }
        }
        assert!(sets == 5 && held > 1000, "{sets} {held}");
        for line in &lines {
            let b = line.as_bytes();
            for w in ["sign", "re\u{17f}p", "a", "", "1x", "K"] {
                let want = b
                    .get(..w.len())
                    .is_some_and(|h| h.eq_ignore_ascii_case(w.as_bytes()));
                assert_eq!(starts_with_ci(b, w), want, "{w:?} {line:?}");
            }
        }
    }

    #[test]
    fn longer_glued_pieces_keep_the_head() {
        // Letters of both cases (case steps), counts, separators, and non-ASCII letters,
        // digits and symbols.
        let alphabet: Vec<char> = "aBcKkMm+ 0129,.-()[]:éÉ٣·’"
            .chars()
            .chain(" abc ".chars())
            .collect();
        let mut lines = random_strings(&alphabet, 0x9e37_79b9_7f4a_7c15, 30_000, 1..40);
        // Mostly counts, and a piece that only a digit start keeps from passing.
        let counts: Vec<char> = "12,.k a".chars().collect();
        lines.extend(random_strings(
            &counts,
            0x2545_f491_4f6c_dd1d,
            30_000,
            1..30,
        ));
        lines.push("12345678 99999999 abc".to_string());
        lines.extend(golden_lines().into_iter().filter(|l| !l.is_empty()));
        let (mut key, mut bounds) = (String::new(), [0usize; GLUE_MAX_BOUNDS]);
        let mut checked = 0;
        for line in &lines {
            let core = trim_non_alnum(line);
            key.clear();
            let nb = build_key(core, &mut key, &mut bounds).min(GLUE_MAX_BOUNDS);
            let pos: Vec<usize> = std::iter::once(0)
                .chain(bounds[..nb].iter().copied())
                .chain(std::iter::once(key.len()))
                .collect();
            for i in 0..pos.len() {
                for j in i + 1..pos.len() {
                    let piece = normalize_key(&key[pos[i]..pos[j]]);
                    if !heads_longer_pieces(piece) {
                        continue;
                    }
                    for &end in &pos[j + 1..] {
                        let longer = normalize_key(&key[pos[i]..end]);
                        assert!(
                            longer.starts_with(piece),
                            "{piece:?} -> {longer:?} in {line:?}"
                        );
                        checked += 1;
                    }
                }
            }
        }
        assert!(checked > 100_000, "{checked}");
    }

    #[test]
    fn head_table_never_hides_a_phrase_or_a_glue_start() {
        let rules = builtin();
        // The reference: the key is built, then looked up whole and by first segment.
        let found = |core: &str| -> bool {
            let mut key = String::new();
            let mut bounds = [0usize; GLUE_MAX_BOUNDS];
            let nb = build_key(core, &mut key, &mut bounds);
            rules.whole.contains(normalize_key(&key))
                || rules
                    .glue_starts
                    .contains(first_segment(&key, &bounds[..nb.min(GLUE_MAX_BOUNDS)]))
        };
        let mut lines: Vec<String> = Vec::new();
        for key in rules.whole.keys().chain(rules.glue_starts.keys()) {
            let mut cap = key.to_string();
            if cap.is_char_boundary(1) {
                cap[..1].make_ascii_uppercase();
            }
            for k in [key.to_string(), key.to_uppercase(), cap] {
                for (pre, post) in [
                    ("", ""),
                    ("12 ", ""),
                    ("(3) ", " x"),
                    ("", "Next"),
                    ("", " 4"),
                ] {
                    lines.push(format!("{pre}{k}{post}"));
                }
            }
        }
        let alphabet: Vec<char> = "abcsmhrtoeSCRMH 1(.é".chars().collect();
        lines.extend(random_strings(
            &alphabet,
            0x2545_f491_4f6c_dd1d,
            20_000,
            1..12,
        ));
        lines.extend(golden_lines());
        let (mut hits, mut turned_away) = (0, 0);
        for line in &lines {
            let core = line.trim().trim_matches(|c: char| !c.is_alphanumeric());
            if core.is_empty() {
                continue;
            }
            let passes = rules.head_may_match(core);
            if found(core) {
                hits += 1;
                assert!(passes, "{line:?}");
            } else if !passes {
                turned_away += 1;
            }
        }
        // Both sides were exercised.
        assert!(hits > 1000 && turned_away > 1000, "{hits} {turned_away}");
        // Every key passes the piece test; most other short strings do not.
        assert!(rules.whole.keys().all(|k| rules.may_be_key(k)));
        assert!(rules.whole.keys().all(|k| rules.may_be_long_key(k)));
        let (mut keys, mut others) = (0, 0);
        for line in &lines {
            let key = normalize_key(line);
            if rules.whole.contains(key) {
                keys += 1;
                assert!(rules.may_be_key(key), "{key:?}");
            } else if !rules.may_be_key(key) {
                others += 1;
            }
        }
        assert!(keys > 1000 && others > 1000, "{keys} {others}");
    }

    #[test]
    fn fast_key_agrees_with_the_char_path_on_mixed_scripts() {
        // Typographic punctuation, spaces of other scripts, letters with case (some
        // lowercasing to longer forms), caseless letters, symbols.
        // ASCII most of the time, so that runs of eight ASCII bytes (with spaces, tabs
        // and case steps) are common.
        let alphabet: Vec<char> = "aZ b\tC1.(yQ xW"
            .repeat(6)
            .chars()
            .chain("’“”‘–—…·\u{a0}\u{2028}\u{3000}\u{2003}éÉßẞİȺΣς中😀Ǆǅロ한ЖжʰͅΩ".chars())
            .collect();
        let cores = random_strings(&alphabet, 0x9e37_79b9_7f4a_7c15, 20_000, 0..90);
        for (round, mut core) in cores.into_iter().enumerate() {
            if round % 100 == 0 {
                // The longest cores, where a lengthening lowercase needs the room.
                core = "İȺ".repeat(64);
            }
            assert_key_paths_agree(&core);
        }
    }

    #[test]
    fn byte_gates_hold_whenever_their_test_holds() {
        let rules = builtin();
        // Golden lines, and random ones over the characters the tests look for.
        let alphabet: Vec<char> = "aA b1:hH@./>»|→,#（(摄사ſKkRrEeIiCcOoNnMmсС\u{212a})’–\u{a0}é"
            .chars()
            .collect();
        let random = random_strings(&alphabet, 0x2545_f491_4f6c_dd1d, 20_000, 1..25);
        let lines: Vec<String> = golden_lines()
            .into_iter()
            .chain(random)
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect();
        let mut held = 0;
        for need in rules.regexes.iter().flat_map(|r| r.needs) {
            let clauses = need.clauses();
            for line in &lines {
                let mut facts = rules.line_facts(line);
                if need.holds(line, &mut facts) {
                    held += 1;
                    assert!(
                        clauses.iter().all(|c| c.meets(ByteSet::of(line))),
                        "{need:?} holds on {line:?} but its clauses do not"
                    );
                    assert!(
                        need.first_bytes().is_none_or(|f| f.has(line.as_bytes()[0])),
                        "{need:?} holds on {line:?} but its first byte is not allowed"
                    );
                }
            }
        }
        assert!(held > 10_000, "only {held} lines passed a test");
    }

    #[test]
    fn regex_byte_table_answers_like_the_gates() {
        let rules = builtin();
        assert!(rules.regexes.iter().all(|r| !r.gate_spill));
        let alphabet: Vec<char> = "aA b1:hH@./>»|→,#（(摄사ſKkRrEeIiCcOoNnMmсС\u{212a})’–\u{a0}é"
            .chars()
            .collect();
        let mut lines = random_strings(&alphabet, 0x5851_f42d_4c95_7f2d, 5000, 0..12);
        lines.extend(golden_lines());
        let mut passed = 0;
        let mut first_checked = 0;
        let mut forbidden = 0;
        for line in &lines {
            if let Some(&b) = line.as_bytes().first() {
                for r in &rules.regexes {
                    let want = r
                        .needs
                        .iter()
                        .filter_map(|n| n.first_bytes())
                        .all(|f| f.has(b));
                    assert_eq!(
                        r.first_bit & !rules.regex_first.0[usize::from(b)] == 0,
                        want
                    );
                    first_checked += usize::from(!want);
                }
            }
            let mut facts = rules.line_facts(line);
            let hits = facts.hits;
            assert_eq!(
                hits,
                line.bytes()
                    .fold(0u64, |acc, b| acc | rules.regex_bytes.0[usize::from(b)]),
                "{line:?}"
            );
            let bytes = ByteSet::of(line);
            // `digit` answered from the table: a numeric character (ASCII ones are the
            // digits).
            assert_eq!(
                facts.digit(line),
                line.chars().any(char::is_numeric),
                "{line:?}"
            );
            for r in &rules.regexes {
                let want = r.gate.iter().all(|c| c.meets(bytes));
                assert_eq!(r.gate_bits & !hits == 0, want, "{line:?}");
                passed += usize::from(want);
            }
            // The candidates at once are the rules tested one by one.
            let first = line.as_bytes().first().map_or(0, |&b| usize::from(b));
            // (`allowed` holds only rules' bits, as the first-byte tables do.)
            let all = rules.regexes.iter().fold(0, |acc, r| acc | r.first_bit);
            for allowed in [all, rules.regex_first.0[first], all & 0x5555_5555_5555_5555] {
                let one_by_one = rules.regexes.iter().take(BIT_RULES).fold(0, |acc, r| {
                    let pass = r.gate_bits & !hits == 0
                        && r.forbid_bits & hits == 0
                        && r.first_bit & !allowed == 0;
                    acc | if pass { r.first_bit } else { 0 }
                });
                assert_eq!(
                    rules.regex_candidates(hits, allowed),
                    one_by_one,
                    "{line:?}"
                );
            }
            // A forbidden byte is one an `OnlyChars` test of the rule rejects.
            for r in &rules.regexes {
                if r.forbid_bits & hits != 0 {
                    forbidden += 1;
                    let mut facts = rules.line_facts(line);
                    assert!(
                        !r.needs.iter().all(|n| n.holds(line, &mut facts)),
                        "{line:?}"
                    );
                }
            }
        }
        assert!(passed > 5000, "only {passed} gates passed");
        assert!(forbidden > 1000, "only {forbidden} forbidden bytes met");
        assert!(rules.regexes.iter().filter(|r| r.forbid_bits != 0).count() >= 5);
        // Every `AsciiOnlyChars` is answered by a bit (and left out of the checks).
        for r in &rules.regexes {
            if r.needs
                .iter()
                .any(|n| matches!(n, Needs::AsciiOnlyChars(_)))
            {
                assert!(r.forbid_bits != 0 && r.first_bit != 0, "{}", r.src);
                assert!(!r
                    .checks
                    .iter()
                    .any(|n| matches!(n, Needs::AsciiOnlyChars(_))));
            }
        }
        assert!(
            first_checked > 5000,
            "only {first_checked} first bytes turned away"
        );
    }

    #[test]
    fn first_pair_table_and_first_byte_answers_agree_with_the_tests() {
        let rules = builtin();
        // Lines that start with the tests' words and prefixes, in any case, or just
        // miss them, and random ones.
        let mut starts: Vec<String> = Vec::new();
        for r in &rules.regexes {
            for n in r.needs {
                if let Needs::StartsWith(w) | Needs::StartsWithAsciiCi(w) = n {
                    for w in w.words {
                        let w = w.to_string();
                        let mut chars = w.chars();
                        let cap = chars
                            .next()
                            .map_or(String::new(), |c| c.to_uppercase().collect())
                            + chars.as_str();
                        starts.extend([w.clone(), w.to_uppercase(), cap]);
                        starts.extend(
                            (1..w.len())
                                .filter(|&k| w.is_char_boundary(k))
                                .map(|k| w[..k].to_string()),
                        );
                    }
                }
            }
        }
        let alphabet: Vec<char> = "aAbByY tTsSiIgGjJrRwWeEpPuUhHvVmMoOdDfF1ſ\u{212a}é#("
            .chars()
            .collect();
        let mut lines = random_strings(&alphabet, 0x2545_f491_4f6c_dd1d, 3000, 1..8);
        let tails = random_strings(&alphabet, 0x9e37_79b9_7f4a_7c15, starts.len() * 4, 0..6);
        for (k, tail) in tails.iter().enumerate() {
            lines.push(format!("{}{tail}", starts[k % starts.len()]));
        }
        lines.extend(golden_lines());
        let (mut pair_checked, mut first_checked) = (0, 0);
        for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            let b = line.as_bytes();
            let pairs = rules.regex_pairs.0[pair_slot(b[0], b.get(1).map_or(0, |&x| x))];
            let first = rules.regex_first.0[usize::from(b[0])];
            for r in &rules.regexes {
                let mut facts = rules.line_facts(line);
                if line.is_ascii() {
                    // The test whose pairs the table holds passes only where the table
                    // lets the line through.
                    if let Some(n) = r.needs.iter().find(|n| n.first_pairs().is_some()) {
                        if n.holds(line, &mut facts) {
                            assert!(r.first_bit & !pairs == 0, "{n:?} on {line:?}");
                        } else {
                            pair_checked += usize::from(r.first_bit & !pairs != 0);
                        }
                    }
                }
                if b[0].is_ascii() && r.first_bit & !first == 0 {
                    for n in r.needs.iter().filter(|n| n.answered_by_first_byte()) {
                        assert!(n.holds(line, &mut facts), "{n:?} on {line:?}");
                        first_checked += 1;
                    }
                }
            }
        }
        assert!(
            pair_checked > 1000,
            "only {pair_checked} lines turned away by pairs"
        );
        assert!(
            first_checked > 1000,
            "only {first_checked} first-byte answers checked"
        );
    }

    #[test]
    fn phrase_trie_agrees_with_an_anchored_automaton() {
        use aho_corasick::{Anchored, Input, StartKind};
        let rules = builtin();
        let (mut checked, mut left) = (0, 0);
        for m in [&rules.prefix, &rules.suffix].into_iter().flatten() {
            let PhraseSearch::Anchored(trie) = &m.search else {
                panic!("prefix and suffix phrases are searched with a trie");
            };
            let ac = AhoCorasick::builder()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostLongest)
                .start_kind(StartKind::Anchored)
                .build(&m.patterns)
                .unwrap();
            let mut hays: Vec<String> = Vec::new();
            for p in &m.patterns {
                let cut = p
                    .char_indices()
                    .nth(p.chars().count() / 2)
                    .map_or(0, |c| c.0);
                hays.push(p.clone());
                hays.push(p.to_uppercase());
                hays.push(format!("{p} more words"));
                hays.push(format!("{}x", p.to_ascii_uppercase()));
                hays.push(p[..cut].to_string());
            }
            let alphabet: Vec<char> = m.patterns.iter().flat_map(|p| p.chars()).collect();
            let mut alphabet: Vec<char> = alphabet
                .iter()
                .flat_map(|c| [*c, c.to_ascii_uppercase()])
                .collect();
            alphabet.sort_unstable();
            alphabet.dedup();
            hays.extend(random_strings(&alphabet, 0x1234_5678_9abc, 3000, 1..12));
            hays.extend(golden_lines().iter().map(|l| l.to_lowercase()));
            hays.extend(golden_lines());
            for hay in &hays {
                for end in 0..=hay.len() {
                    let input = Input::new(hay).span(0..end).anchored(Anchored::Yes);
                    let want = ac.find(input).map(|h| (h.pattern().as_usize(), h.end()));
                    assert_eq!(
                        trie.longest_of(hay.as_bytes()[..end].iter().copied()),
                        want,
                        "{hay:?} ..{end}"
                    );
                    checked += usize::from(want.is_some());
                    // Leaving the trie within the first `end` bytes rules out every
                    // match in the whole text.
                    if trie.leaves_within(&hay.as_bytes()[..end]) {
                        assert_eq!(trie.longest_of(hay.bytes()), None, "{hay:?} ..{end}");
                        left += 1;
                    }
                }
            }
        }
        assert!(checked > 5000, "only {checked} matches checked");
        assert!(left > 5000, "only {left} early exits checked");
    }

    #[test]
    fn phrase_trie_walks_nodes_of_many_children() {
        use aho_corasick::{Anchored, Input, StartKind};
        // The built-in tries have at most twelve children a node; a user's rules can have
        // more than one 16-byte block of them (`child`'s second block and its mask).
        let mut patterns: Vec<String> = Vec::new();
        let bytes = "0123456789abcdefghijklmnopqrstuvwxyz-é".chars();
        for c in bytes.clone() {
            patterns.push(format!("a{c}"));
            patterns.push(format!("ab{c}z"));
        }
        patterns.extend(["a".into(), "abc".into(), "abcdefgh".into(), "я".into()]);
        patterns.extend(bytes.clone().take(20).map(|c| format!("я{c}")));
        patterns.sort();
        patterns.dedup();
        let trie = PhraseTrie::new(&patterns);
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(&patterns)
            .unwrap();
        let alphabet: Vec<char> = "ab0z9-é.я".chars().chain(bytes).collect();
        let mut hays: Vec<String> = random_strings(&alphabet, 0x5eed_7e1e, 1500, 0..6)
            .iter()
            .flat_map(|r| {
                [
                    r.clone(),
                    format!("a{r}"),
                    format!("ab{r}"),
                    format!("я{r}"),
                ]
            })
            .collect();
        hays.extend(patterns.iter().map(|p| format!("{p}!")));
        let mut found = 0;
        for hay in &hays {
            let input = Input::new(hay).anchored(Anchored::Yes);
            let want = ac.find(input).map(|h| (h.pattern().as_usize(), h.end()));
            assert_eq!(trie.longest_of(hay.bytes()), want, "{hay:?}");
            found += usize::from(want.is_some());
        }
        assert!(found > 3000, "only {found} matches checked");
    }

    /// `p` with a non-ASCII character that lowercases to ASCII (the Kelvin sign for each
    /// `k`), and with `é` in its middle: lines whose leading or trailing ASCII bytes
    /// begin a phrase, so that the trie walk along them does not rule it out.
    fn non_ascii_variants(p: &str) -> [String; 2] {
        let cut = p
            .char_indices()
            .nth(p.chars().count() / 2)
            .map_or(0, |(i, _)| i);
        [
            p.replace('k', "\u{212a}"),
            format!("{}é{}", &p[..cut], &p[cut..]),
        ]
    }

    #[test]
    fn ascii_suffix_walk_agrees_with_the_reversed_copy() {
        let rules = builtin();
        let m = rules.suffix.as_ref().unwrap();
        // The copy path, as it runs for every non-ASCII tail.
        let reference = |line: &str, words: usize| {
            let text = line.trim_end_matches(|c: char| is_decoration(c) || ".)]".contains(c));
            let tail_start = text
                .char_indices()
                .rev()
                .nth(m.max_chars)
                .map_or(0, |(i, _)| i);
            if words > m.gate_words {
                return None;
            }
            let tail = &text[tail_start..];
            let rev: String = tail.chars().rev().flat_map(char::to_lowercase).collect();
            rules.anchored(m, &rev, tail_start == 0, words, line)
        };
        let mut lines = golden_lines();
        let raw: RawFile = toml::from_str(RuleSet::builtin_source()).unwrap();
        for r in raw
            .rule
            .iter()
            .filter(|r| r.scope.as_deref() == Some("suffix"))
        {
            for p in r.phrases.iter().flatten() {
                lines.push(p.to_string());
                lines.push(p.to_uppercase());
                lines.push(format!("Some words {p}"));
                lines.push(format!("Some words{p} »"));
                lines.push(format!("x{p}."));
                lines.push(format!("{p}x"));
                // Non-ASCII tails, cut after the longest phrase's reach or not.
                lines.push(format!("Иван Петров {p}"));
                lines.push(format!("Ж{p}"));
                lines.push(format!("{}{p}", "ж".repeat(m.max_bytes)));
                lines.push(format!("{} {}", "é".repeat(m.max_chars), p.to_uppercase()));
                // The tail's trailing ASCII bytes begin a phrase's reversed form
                // without leaving the trie.
                for v in non_ascii_variants(p) {
                    lines.push(format!("Some words {v}"));
                }
            }
        }
        let alphabet: Vec<char> = "ab фото:Ж©é".chars().collect();
        lines.extend(random_strings(
            &alphabet,
            0x6a09_e667_f3bc_c909,
            5_000,
            1..40,
        ));
        let mut found = 0;
        for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            let words = count_words(line);
            let want = reference(line, words);
            assert_eq!(rules.match_suffix(line, words), want, "{line:?}");
            found += usize::from(want.is_some());
        }
        assert!(found > 20, "only {found} suffix matches");
    }

    #[test]
    fn ascii_ci_search_agrees_with_its_definition() {
        let reference = |hay: &str, needle: &str| {
            let (h, n) = (hay.as_bytes(), needle.as_bytes());
            h.len() >= n.len()
                && (0..=h.len() - n.len()).any(|i| {
                    h[i] | 0x20 == n[0] && h[i + 1..i + n.len()].eq_ignore_ascii_case(&n[1..])
                })
        };
        let alphabet = ['a', 'G', 'o', 'O', 'n', 'W', ' ', 'é', 'ſ', 'i', 'L', '@'];
        let hays = random_strings(&alphabet, 0xdead_beef_1234, 20_000, 0..30);
        let mut found = 0;
        for hay in &hays {
            for needle in ["ago", "now", "il", "an", "@", "gonow"] {
                let want = reference(hay, needle);
                assert_eq!(contains_ascii_ci(hay, needle), want, "{hay:?} {needle:?}");
                found += usize::from(want);
            }
        }
        assert!(found > 2000, "only {found} found");
        assert!(!contains_ascii_ci("ag", "ago"));
    }

    #[test]
    fn prefix_head_shortcut_agrees_with_the_char_walk() {
        let rules = builtin();
        let m = rules.prefix.as_ref().unwrap();
        let mut lines = golden_lines();
        let raw: RawFile = toml::from_str(RuleSet::builtin_source()).unwrap();
        for r in raw
            .rule
            .iter()
            .filter(|r| r.scope.as_deref() == Some("prefix"))
        {
            for p in r.phrases.iter().flatten() {
                lines.push(format!("» {p} Jane Doe"));
                lines.push(format!("{p}{}", "x".repeat(m.max_chars)));
                lines.push(format!("{p}{}é", "x".repeat(m.max_chars)));
                lines.push(p.to_uppercase());
                // Non-ASCII lines, cut after the longest phrase's reach or not.
                lines.push(format!("{p} – Иван Петров"));
                lines.push(format!("{p}Ж"));
                lines.push(format!("{}{}", p.to_uppercase(), "ж".repeat(m.max_bytes)));
                lines.push(format!("{p}{}", "é".repeat(m.max_chars)));
                // The leading ASCII bytes begin a phrase without leaving the trie.
                for v in non_ascii_variants(p) {
                    lines.push(format!("{v} Jane Doe"));
                }
            }
        }
        let alphabet: Vec<char> = "ab фото:Ж©é".chars().collect();
        lines.extend(random_strings(
            &alphabet,
            0x2f0f_1b3c_77e1_5a5d,
            5_000,
            1..40,
        ));
        let mut found = 0;
        for line in lines.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
            let words = count_words(line);
            let text = line.trim_start_matches(is_decoration);
            let head_end = text
                .char_indices()
                .nth(m.max_chars + 1)
                .map_or(text.len(), |(i, _)| i);
            let head = &text[..head_end];
            let lower: String = head.chars().flat_map(char::to_lowercase).collect();
            let hay = if head.is_ascii() { head } else { &lower };
            let want = if words > m.gate_words {
                None
            } else {
                rules.prefix_rule(hay, head_end == text.len(), words, line)
            };
            assert_eq!(rules.match_prefix(line, words), want, "{line:?}");
            found += usize::from(want.is_some());
        }
        assert!(found > 50, "only {found} prefix matches");
    }

    #[test]
    fn normalize_key_agrees_with_its_definition() {
        fn count(tok: &str) -> bool {
            let tok = tok.trim_end_matches(['k', 'K', 'm', 'M', '+']);
            !tok.is_empty()
                && tok.starts_with(|c: char| c.is_ascii_digit())
                && tok
                    .bytes()
                    .all(|b| b.is_ascii_digit() || b == b',' || b == b'.')
        }
        fn reference(s: &str) -> &str {
            fn trim(s: &str) -> &str {
                s.trim_matches(|c: char| !c.is_alphanumeric())
            }
            let mut k = trim(s);
            if let Some(i) = k.rfind([' ', '(', '[']) {
                if count(&k[i + 1..]) && !trim(&k[..i]).is_empty() {
                    k = trim(&k[..i]);
                }
            }
            if let Some(i) = k.find(' ') {
                if count(&k[..i]) && !trim(&k[i..]).is_empty() {
                    k = trim(&k[i..]);
                }
            }
            k
        }
        let alphabet: Vec<char> = "a1 2(k[M+,.-:·’–é中\u{a0}\u{2163}".chars().collect();
        let random = random_strings(&alphabet, 0x5851_f42d_4c95_7f2d, 50_000, 0..16);
        for s in golden_lines()
            .into_iter()
            .map(|l| l.to_lowercase())
            .chain(random)
            .chain(
                [
                    "comments (12)",
                    "12 comments",
                    "1.2k+",
                    "12kk",
                    "12 Shares 3K",
                    "views 5m",
                    "k",
                    "—",
                    "(3)",
                    "",
                ]
                .map(String::from),
            )
        {
            assert_eq!(normalize_key(&s), reference(&s), "{s:?}");
            assert_eq!(
                trim_non_alnum(&s),
                s.trim_matches(|c: char| !c.is_alphanumeric()),
                "{s:?}"
            );
            assert_eq!(is_count(&s), count(&s), "{s:?}");
        }
    }

    #[test]
    fn reversed_byte_lowercasing_agrees_with_to_lowercase() {
        let alphabet: Vec<char> = "aZ b1.QxW"
            .repeat(4)
            .chars()
            .chain("’–\u{a0}éÉßẞİȺΣς中😀Ǆǅ\u{212a}".chars())
            .collect();
        let random = random_strings(&alphabet, 0x1405_7b7e_f767_814f, 20_000, 0..40);
        for s in golden_lines().into_iter().chain(random) {
            // The suffix search's reversed form, appended to what the buffer holds.
            let want: String = s.chars().rev().flat_map(char::to_lowercase).collect();
            let mut rev = "pre".to_string();
            with_bytes(&mut rev, |v| {
                s.chars().rev().for_each(|c| push_lower_bytes(c, v))
            });
            assert_eq!(rev, format!("pre{want}"), "{s:?}");
            if s.is_ascii() {
                let mut ascii = "pre".to_string();
                with_bytes(&mut ascii, |v| {
                    v.extend(s.bytes().rev().map(|b| b.to_ascii_lowercase()))
                });
                assert_eq!(ascii, format!("pre{want}"), "{s:?}");
            }
        }
    }

    /// The `contains` automaton over ASCII-lowered patterns, run on ASCII-lowered lines,
    /// finds the overlapping hits that an ASCII case-insensitive automaton of the
    /// patterns finds in the lines.
    #[test]
    fn lowered_anywhere_automaton_agrees_with_case_insensitive() {
        let rules = builtin();
        let m = rules.contains.as_ref().unwrap();
        let PhraseSearch::Anywhere(patterns, _) = &m.search else {
            panic!("contains phrases are searched anywhere");
        };
        let patterns = patterns.list();
        let ours = anywhere_automaton(patterns).unwrap();
        let reference = AhoCorasick::builder()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::Standard)
            .build(patterns.iter())
            .unwrap();
        let mut hays: Vec<String> = golden_lines();
        for p in patterns.iter() {
            hays.push(format!("Text {p} more"));
            hays.push(format!("TEXT {} MORE", p.to_uppercase()));
            // Mixed case, one letter in two.
            let mixed: String = p
                .chars()
                .enumerate()
                .map(|(i, c)| {
                    if i % 2 == 0 {
                        c.to_ascii_uppercase()
                    } else {
                        c
                    }
                })
                .collect();
            hays.push(format!("x{mixed}."));
        }
        let hits = |ac: &AhoCorasick, hay: &str| -> Vec<(usize, usize, usize)> {
            ac.find_overlapping_iter(hay)
                .map(|h| (h.pattern().as_usize(), h.start(), h.end()))
                .collect()
        };
        let mut found = 0;
        for hay in &hays {
            let want = hits(&reference, hay);
            found += want.len();
            assert_eq!(
                hits(&ours, ascii_lowered(hay, &mut String::new())),
                want,
                "{hay:?}"
            );
        }
        assert!(found > 300, "only {found} hits compared");
    }

    #[test]
    fn contains_gram_filter_never_hides_a_phrase() {
        let rules = builtin();
        let m = rules.contains.as_ref().unwrap();
        let g = m
            .grams
            .as_ref()
            .expect("built-in contains phrases are long enough");
        let mut lines: Vec<String> = Vec::new();
        let raw: RawFile = toml::from_str(RuleSet::builtin_source()).unwrap();
        for phrase in raw.rule.iter().filter_map(|r| r.phrases.as_ref()).flatten() {
            for p in [
                phrase.to_string(),
                phrase.to_uppercase(),
                phrase.to_lowercase(),
            ] {
                lines.push(p.clone());
                lines.push(format!("Some text: {p} and more"));
                lines.push(format!("x{p}"));
                lines.push(format!("tail {p}"));
                // Every offset from the sampled windows, at the end or not.
                for k in 0..9 {
                    lines.push(format!("{}{p}", "y".repeat(k)));
                    lines.push(format!("{}{p}.", "y".repeat(k)));
                }
            }
        }
        lines.extend(golden_lines());
        let ac = match &m.search {
            PhraseSearch::Anywhere(p, ac) => {
                ac.get_or_init(|| anywhere_automaton(p.list()).unwrap())
            }
            PhraseSearch::Anchored(_) => panic!("contains phrases are searched anywhere"),
        };
        let (mut hits, mut passed, mut occurrences) = (0, 0, 0);
        for line in &lines {
            let folded = ascii_lowered(line, &mut String::new()).to_string();
            let found = ac.is_match(&folded);
            let may = g.may_match(line);
            assert!(may || !found, "filter hides a phrase in {line:?}");
            assert_eq!(g.finds(line), found, "{line:?}");
            // Every occurrence, as the automaton's overlapping search lists them.
            let mut ours = Vec::new();
            g.each_hit(line, |p, start, end| ours.push((p, start, end)));
            let mut want: Vec<_> = ac
                .find_overlapping_iter(&folded)
                .map(|h| (h.pattern().as_usize(), h.start(), h.end()))
                .collect();
            ours.sort_unstable();
            want.sort_unstable();
            assert_eq!(ours, want, "{line:?}");
            occurrences += want.len();

            hits += usize::from(found);
            passed += usize::from(may);
        }
        assert!(hits > 400, "only {hits} lines hold a phrase");
        assert!(
            occurrences > hits,
            "{occurrences} occurrences in {hits} lines"
        );
        // The filter is worth running only if it turns most lines away.
        assert!(
            passed < hits + lines.len() / 10,
            "{passed} of {} pass",
            lines.len()
        );
        // Short phrases get no filter (and still match).
        let src =
            "[[rule]]\nid = \"x.c\"\ncategory = \"x\"\nscope = \"contains\"\nphrases = [\"ab\"]\n";
        let user = RuleSet::from_toml(src, "user.toml").unwrap();
        assert!(user.contains.as_ref().unwrap().grams.is_none());
        assert_eq!(user.match_line("x ab y").unwrap().id, "x.c");
    }

    #[test]
    fn long_lines_only_meet_unbounded_rules() {
        let rules = builtin();
        let long = "word ".repeat(500) + "Comments";
        assert_eq!(rules.match_line(&long), None);
        let sprite = "icon a-icon bicon cicon dicon eicon ".repeat(20);
        assert_eq!(rules.match_line(sprite.trim()).unwrap().category, "icons");
    }

    /// `long_head_slot`'s two loads give the hash of the first `LONG_HEAD_MAX` bytes copied
    /// into a zeroed buffer, at every length past `HEAD_MAX` (tail lengths 1 to 8 and keys
    /// longer than `LONG_HEAD_MAX`).
    #[test]
    fn long_head_slot_hashes_the_zero_padded_head() {
        let padded = |key: &[u8]| {
            let n = key.len().min(LONG_HEAD_MAX);
            let mut buf = [0u8; LONG_HEAD_MAX];
            buf[..n].copy_from_slice(&key[..n]);
            let a = u64::from_le_bytes(buf[..HEAD_MAX].try_into().unwrap());
            let b = u64::from_le_bytes(buf[HEAD_MAX..].try_into().unwrap());
            let x = (a ^ b.rotate_left(23).wrapping_mul(0xD6E8_FEB8_6659_FD93))
                .wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (x >> (64 - LONG_HEAD_BITS)) as usize
        };
        let bytes: Vec<u8> = (1..=24u8).map(|i| i.wrapping_mul(37) ^ 0x5a).collect();
        for n in HEAD_MAX + 1..=bytes.len() {
            assert_eq!(long_head_slot(&bytes[..n]), padded(&bytes[..n]), "{n}");
        }
    }
}
