//! The benchmark metric: shingle precision, recall and F1 against gold files, exactly as
//! the article-extraction benchmark (`benches/data/README.md`, Zyte's `evaluate.py`)
//! computes it, so our figures can be compared with the published ones.
//!
//! A text is split into tokens, maximal runs of word characters; its shingles are the
//! multiset of consecutive 4-token sequences (a text of 1 to 3 tokens is one shorter
//! shingle, a text without tokens has none). Per document, tp is the size of the multiset
//! intersection of output and gold shingles, fp what only the output has and fn what only
//! the gold has; the three are normalised to sum to 1 so long documents weigh no more than
//! short ones. Precision and recall are means over documents, F1 is taken of the two means.
//!
//! Matching the reference details:
//! - Tokens keep their case: the reference compiles `\w+` with `IGNORECASE`, which changes
//!   nothing about what `\w` matches, and compares the tokens as they are.
//! - "Word character" is Python's `\w` on `str`: a character for which `str.isalnum()` is
//!   true, or `_`. That is letters (`L*`), numbers (`N*`, including `No` such as `²` or
//!   `½`) and `_`; it is *not* the `regex` crate's `\w`, which adds combining marks (`M*`),
//!   all connector punctuation and the joiners, and leaves out `No`. The difference splits
//!   words in scripts written with combining vowel signs (Devanagari, Thai...), so we use
//!   the class `[\p{L}\p{N}_]` to count the way the published figures were counted.
//!   (On shb-dev, every document's counts equal the reference's; the crate's `\w` would
//!   move the mean precision in the fifth decimal.)
//!   A run of Han characters is one token, as in Python.
//! - Shingles are compared by a 64-bit hash of their tokens (and of their length, so a
//!   short shingle never equals a longer one); a collision is vanishingly unlikely and
//!   would only move a count by one.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::OnceLock;

use regex::Regex;

/// Tokens per shingle, as in the reference (`ngram_n = 4`).
const SHINGLE_LEN: usize = 4;

/// Python's `\w` for `str` (see the module docs for why not the `regex` crate's `\w`).
fn token_re() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"[\p{L}\p{N}_]+").expect("valid token regex"))
}

/// The tokens of `text`: maximal runs of word characters (letters, numbers, `_`), in order,
/// case kept.
///
/// ```
/// use boilerstrip::eval::tokens;
/// assert_eq!(tokens("It's 2019 — ça va?"), ["It", "s", "2019", "ça", "va"]);
/// ```
pub fn tokens(text: &str) -> Vec<&str> {
    token_re().find_iter(text).map(|m| m.as_str()).collect()
}

/// Hashes one token's bytes (FNV-1a, then a final mix so nearby strings spread out).
fn token_hash(token: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in token.as_bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    mix(h)
}

/// splitmix64's finaliser: a cheap, well-spread 64-bit mix.
fn mix(mut x: u64) -> u64 {
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Hashes a sequence of token hashes, order- and length-sensitive.
fn shingle_hash(token_hashes: &[u64]) -> u64 {
    let mut h = token_hashes.len() as u64;
    for &t in token_hashes {
        h = mix(h.rotate_left(23) ^ t);
    }
    h
}

/// The shingle hashes of a token sequence, in order: one per 4-token window, or a single
/// shorter one when there are 1 to 3 tokens, none for no tokens (the reference's
/// `_ngrams`, which skips the empty tuple).
fn shingle_hashes(token_hashes: &[u64]) -> impl Iterator<Item = u64> + '_ {
    let windows = if token_hashes.is_empty() {
        0
    } else {
        token_hashes.len().saturating_sub(SHINGLE_LEN - 1).max(1)
    };
    (0..windows).map(move |i| {
        let end = (i + SHINGLE_LEN).min(token_hashes.len());
        shingle_hash(&token_hashes[i..end])
    })
}

/// A hasher for keys that are already well-mixed 64-bit hashes: passes them through.
#[derive(Default)]
struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        // Only u64 keys are hashed; this fallback keeps the trait contract anyway.
        for &b in bytes {
            self.0 = mix(self.0 ^ u64::from(b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Counts = HashMap<u64, u32, BuildHasherDefault<PassThrough>>;

/// The multiset of a text's shingles, as hashes with their counts. Build it with
/// [`shingles`]; build the gold's once and reuse it for every comparison.
#[derive(Debug, Clone, Default)]
pub struct Shingles {
    counts: Counts,
    total: u64,
}

impl Shingles {
    /// Counts the shingles of a token-hash sequence.
    fn from_token_hashes(token_hashes: &[u64]) -> Self {
        let mut s = Shingles::default();
        for h in shingle_hashes(token_hashes) {
            *s.counts.entry(h).or_insert(0) += 1;
            s.total += 1;
        }
        s
    }

    /// How many shingles, counting repeats (the multiset's size).
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether the text had no tokens at all.
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Size of the multiset intersection: shingles both sides have, each counted as often
    /// as the side with fewer copies has it.
    pub fn shared_with(&self, other: &Shingles) -> u64 {
        let (small, large) = if self.counts.len() <= other.counts.len() {
            (self, other)
        } else {
            (other, self)
        };
        small
            .counts
            .iter()
            .map(|(h, &n)| u64::from(n.min(large.counts.get(h).copied().unwrap_or(0))))
            .sum()
    }
}

/// The multiset of 4-token shingles of `text` (see the module docs).
pub fn shingles(text: &str) -> Shingles {
    let hashes: Vec<u64> = token_re()
        .find_iter(text)
        .map(|m| token_hash(m.as_str()))
        .collect();
    Shingles::from_token_hashes(&hashes)
}

/// How one output document compares with its gold.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct DocScore {
    /// Shared shingles, as a share of tp + fp + fn (0 when all three are 0).
    pub tp: f64,
    /// Shingles only in the output, as a share of tp + fp + fn.
    pub fp: f64,
    /// Shingles only in the gold, as a share of tp + fp + fn.
    #[serde(rename = "fn")]
    pub fn_: f64,
    /// Shared shingles, counted.
    pub tp_count: u64,
    /// Output-only shingles, counted.
    pub fp_count: u64,
    /// Gold-only shingles, counted.
    pub fn_count: u64,
    /// tp / (tp + fp); `None` when the output has no shingles (the document is left out of
    /// the mean precision).
    pub precision: Option<f64>,
    /// tp / (tp + fn); `None` when the gold has no shingles (the document is left out of the
    /// mean recall).
    pub recall: Option<f64>,
    /// This document's own F1: 1 when fp = fn = 0 (including empty output for an empty
    /// gold), 0 when nothing is shared, else the harmonic mean of its precision and recall.
    /// Not used by [`summarize`], which takes F1 of the mean precision and recall.
    pub f1: f64,
}

/// Scores one output text against its gold text.
///
/// ```
/// use boilerstrip::eval::score_doc;
/// let s = score_doc("Menu one two three four five", "one two three four five");
/// assert_eq!((s.tp_count, s.fp_count, s.fn_count), (2, 1, 0));
/// assert_eq!(s.recall, Some(1.0));
/// ```
pub fn score_doc(output: &str, gold: &str) -> DocScore {
    score_shingles(&shingles(output), &shingles(gold))
}

/// [`score_doc`] on shingles already counted (reuse the gold's across candidate outputs).
pub fn score_shingles(output: &Shingles, gold: &Shingles) -> DocScore {
    let tp_count = output.shared_with(gold);
    let fp_count = output.len() - tp_count;
    let fn_count = gold.len() - tp_count;
    let sum = (tp_count + fp_count + fn_count) as f64;
    let share = |n: u64| if sum > 0.0 { n as f64 / sum } else { 0.0 };
    let (tp, fp, fn_) = (share(tp_count), share(fp_count), share(fn_count));
    let precision = (tp_count + fp_count > 0).then(|| tp / (tp + fp));
    let recall = (tp_count + fn_count > 0).then(|| tp / (tp + fn_));
    let f1 = if fp_count == 0 && fn_count == 0 {
        1.0
    } else {
        harmonic(precision.unwrap_or(0.0), recall.unwrap_or(0.0))
    };
    DocScore {
        tp,
        fp,
        fn_,
        tp_count,
        fp_count,
        fn_count,
        precision,
        recall,
        f1,
    }
}

/// 2pr / (p + r), 0 when both are 0.
fn harmonic(p: f64, r: f64) -> f64 {
    if p + r > 0.0 {
        2.0 * p * r / (p + r)
    } else {
        0.0
    }
}

/// The benchmark's figures over a set of documents.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Summary {
    /// Mean of the documents' precisions, over documents whose output has shingles.
    pub precision: f64,
    /// Mean of the documents' recalls, over documents whose gold has shingles.
    pub recall: f64,
    /// 2PR / (P + R) of the two means (0 when both are 0).
    pub f1: f64,
    /// How many documents were scored (including those left out of a mean).
    pub documents: usize,
}

/// Averages document scores the benchmark's way.
///
/// A mean over no documents (the reference would fail on it) counts as 0, except that
/// when no document has any shingle on either side, nothing was missed and nothing was
/// wrongly output, so precision = recall = F1 = 1.
pub fn summarize(scores: &[DocScore]) -> Summary {
    let mean = |values: &mut dyn Iterator<Item = f64>| {
        let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
        (n > 0).then(|| sum / n as f64)
    };
    let precision = mean(&mut scores.iter().filter_map(|s| s.precision));
    let recall = mean(&mut scores.iter().filter_map(|s| s.recall));
    let (precision, recall) = match (precision, recall) {
        (None, None) => (1.0, 1.0),
        (p, r) => (p.unwrap_or(0.0), r.unwrap_or(0.0)),
    };
    Summary {
        precision,
        recall,
        f1: harmonic(precision, recall),
        documents: scores.len(),
    }
}

/// Share of `line`'s own shingles that occur in `gold` (0 when the line has no tokens),
/// for diagnostics: near 1 means the line belongs to the article, near 0 that it is
/// boilerplate. The line is shingled on its own, so a line of 1 to 3 tokens is a single
/// short shingle that a gold of 4 tokens or more never contains: prefer [`lines_in_gold`]
/// when the whole document is at hand.
pub fn line_in_gold(line: &str, gold: &Shingles) -> f64 {
    let own = shingles(line);
    if own.is_empty() {
        return 0.0;
    }
    let found: u64 = own
        .counts
        .iter()
        .filter(|(h, _)| gold.counts.contains_key(h))
        .map(|(_, &n)| u64::from(n))
        .sum();
    found as f64 / own.len() as f64
}

/// For each line of a document (lines in order, as they would be joined), the share of
/// its tokens that the gold accounts for; `None` for a line without tokens.
///
/// The document is shingled as a whole, as the metric does, so shingles run across line
/// ends and a short line is judged with its neighbours. A gold shingle is credited only as
/// many times as the gold has it (first come, first served in document order), so a
/// repeated block counts once. A token is accounted for when at least one credited
/// shingle contains it. Near 1 means the line belongs to the article, near 0 that it is
/// boilerplate: useful to list wrongly kept or dropped lines and to label lines for
/// training.
pub fn lines_in_gold(lines: &[&str], gold: &Shingles) -> Vec<Option<f64>> {
    // Token hashes of the whole document, and which line each token came from.
    let mut hashes = Vec::new();
    let mut owner = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        for m in token_re().find_iter(line) {
            hashes.push(token_hash(m.as_str()));
            owner.push(i);
        }
    }
    let mut left = gold.counts.clone();
    let mut covered = vec![false; hashes.len()];
    for (start, h) in shingle_hashes(&hashes).enumerate() {
        if let Some(n) = left.get_mut(&h).filter(|n| **n > 0) {
            *n -= 1;
            let end = (start + SHINGLE_LEN).min(hashes.len());
            covered[start..end].iter_mut().for_each(|c| *c = true);
        }
    }
    let mut found = vec![0u64; lines.len()];
    let mut total = vec![0u64; lines.len()];
    for (&line, &c) in owner.iter().zip(&covered) {
        total[line] += 1;
        found[line] += u64::from(c);
    }
    found
        .iter()
        .zip(&total)
        .map(|(&f, &t)| (t > 0).then(|| f as f64 / t as f64))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact-enough comparison for hand-computed fractions.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn counts(s: &DocScore) -> (u64, u64, u64) {
        (s.tp_count, s.fp_count, s.fn_count)
    }

    #[test]
    fn identical_texts_score_one() {
        let s = score_doc("a b c d e", "a b c d e");
        assert_eq!(counts(&s), (2, 0, 0));
        assert_eq!((s.tp, s.fp, s.fn_), (1.0, 0.0, 0.0));
        assert_eq!((s.precision, s.recall, s.f1), (Some(1.0), Some(1.0), 1.0));
    }

    #[test]
    fn disjoint_texts_score_zero() {
        let s = score_doc("a b c d", "e f g h");
        assert_eq!(counts(&s), (0, 1, 1));
        assert_eq!((s.tp, s.fp, s.fn_), (0.0, 0.5, 0.5));
        assert_eq!((s.precision, s.recall, s.f1), (Some(0.0), Some(0.0), 0.0));
    }

    #[test]
    fn partial_overlap() {
        // Output shingles: xabc abcd bcde; gold: abcd bcde cdef defg.
        let s = score_doc("x a b c d e", "a b c d e f g");
        assert_eq!(counts(&s), (2, 1, 2));
        assert!(close(s.tp, 0.4) && close(s.fp, 0.2) && close(s.fn_, 0.4));
        assert!(close(s.precision.unwrap(), 2.0 / 3.0));
        assert!(close(s.recall.unwrap(), 0.5));
        assert!(close(s.f1, 4.0 / 7.0));
    }

    #[test]
    fn short_texts_are_one_shorter_shingle() {
        assert_eq!(shingles("one two").len(), 1);
        assert_eq!(shingles("one two three four").len(), 1);
        assert_eq!(shingles("one two three four five").len(), 2);
        assert_eq!(counts(&score_doc("one two", "one, two!")), (1, 0, 0));
        // A 2-token shingle never equals a 4-token one, nor a 3-token one.
        assert_eq!(
            counts(&score_doc("one two", "one two three four")),
            (0, 1, 1)
        );
        assert_eq!(counts(&score_doc("one two three", "one two")), (0, 1, 1));
    }

    #[test]
    fn empty_output() {
        let s = score_doc("", "a b c d e");
        assert_eq!(counts(&s), (0, 0, 2));
        assert_eq!((s.tp, s.fp, s.fn_), (0.0, 0.0, 1.0));
        assert_eq!((s.precision, s.recall, s.f1), (None, Some(0.0), 0.0));
        // Punctuation only is no tokens, hence no shingles.
        assert!(shingles(" -- !! ").is_empty());
    }

    #[test]
    fn empty_gold() {
        let s = score_doc("a b c d", "");
        assert_eq!(counts(&s), (0, 1, 0));
        assert_eq!((s.precision, s.recall, s.f1), (Some(0.0), None, 0.0));
    }

    #[test]
    fn empty_output_for_empty_gold_is_perfect_but_left_out_of_means() {
        let s = score_doc("...", "");
        assert_eq!(counts(&s), (0, 0, 0));
        assert_eq!((s.tp, s.fp, s.fn_), (0.0, 0.0, 0.0));
        assert_eq!((s.precision, s.recall, s.f1), (None, None, 1.0));
    }

    #[test]
    fn repeats_count_as_a_multiset() {
        // Output shingles: abcd bcda cdab dabc abcd (abcd twice); gold: abcd once.
        let s = score_doc("a b c d a b c d", "a b c d");
        assert_eq!(counts(&s), (1, 4, 0));
        assert!(close(s.precision.unwrap(), 0.2));
        assert_eq!(s.recall, Some(1.0));
        let both = score_doc("a b c d a b c d", "a b c d. a b c d");
        assert_eq!(counts(&both), (5, 0, 0));
    }

    #[test]
    fn case_is_kept() {
        assert_eq!(
            counts(&score_doc("The cat sat down", "the cat sat down")),
            (0, 1, 1)
        );
    }

    #[test]
    fn tokens_follow_python_word_characters() {
        assert_eq!(
            tokens("Привет, мир! 日本語のテキスト、ラーメン"),
            ["Привет", "мир", "日本語のテキスト", "ラーメン"]
        );
        // Combining vowel signs are not word characters for Python's `\w`.
        assert_eq!(tokens("हिन्दी"), ["ह", "न", "द"]);
        assert_eq!(tokens("cafe\u{301} naïve"), ["cafe", "naïve"]);
        // `No` numbers are; connector punctuation other than `_` and joiners are not.
        assert_eq!(tokens("x² ½ ①"), ["x²", "½", "①"]);
        assert_eq!(
            tokens("a\u{203f}b snake_case zw\u{200d}join"),
            ["a", "b", "snake_case", "zw", "join"]
        );
    }

    #[test]
    fn unicode_shingles_match() {
        let s = score_doc(
            "Он сказал: «Привет, мир» 日本語",
            "он сказал Привет мир 日本語",
        );
        // Output: Он сказал Привет мир | сказал Привет мир 日本語; gold starts with "он".
        assert_eq!(counts(&s), (1, 1, 1));
    }

    #[test]
    fn summarize_means_and_left_out_documents() {
        let docs = [
            score_doc("a b c d e", "a b c d e"),       // P 1, R 1
            score_doc("x a b c d e", "a b c d e f g"), // P 2/3, R 1/2
            score_doc("", "a b c d e"),                // P left out, R 0
            score_doc("", ""),                         // left out of both
        ];
        let s = summarize(&docs);
        assert_eq!(s.documents, 4);
        assert!(close(s.precision, 5.0 / 6.0));
        assert!(close(s.recall, 0.5));
        assert!(close(s.f1, 0.625));
    }

    #[test]
    fn summarize_degenerate_sets() {
        let none = summarize(&[score_doc("", "")]);
        assert_eq!((none.precision, none.recall, none.f1), (1.0, 1.0, 1.0));
        let silent = summarize(&[score_doc("", "a b c d")]);
        assert_eq!(
            (silent.precision, silent.recall, silent.f1),
            (0.0, 0.0, 0.0)
        );
    }

    #[test]
    fn line_in_gold_is_share_of_own_shingles() {
        let gold = shingles("a b c d e f");
        assert_eq!(line_in_gold("a b c d x", &gold), 0.5);
        assert_eq!(line_in_gold("b c d e f", &gold), 1.0);
        assert_eq!(line_in_gold("nothing here at all", &gold), 0.0);
        assert_eq!(line_in_gold("  --  ", &gold), 0.0);
    }

    #[test]
    fn lines_in_gold_judges_lines_in_context() {
        let gold = shingles("a b c d e f\n\nSub head\n\ng h i j");
        let lines = [
            "Menu",
            "a b c d e f",
            "",
            "Sub head",
            "g h i j",
            "Share this",
            "a b c d e f",
        ];
        let got = lines_in_gold(&lines, &gold);
        assert_eq!(
            got,
            [
                Some(0.0),
                Some(1.0),
                None,
                Some(1.0),
                Some(1.0),
                Some(0.0),
                Some(0.0)
            ]
        );
    }

    #[test]
    fn line_helpers_tolerate_empty_gold() {
        let gold = shingles("");
        assert_eq!(line_in_gold("a b c d", &gold), 0.0);
        assert_eq!(
            lines_in_gold(&["a b", "c d e"], &gold),
            [Some(0.0), Some(0.0)]
        );
    }

    /// The raw input scored against the gold must give the README's "no cleaning" row.
    #[test]
    fn raw_input_reproduces_published_no_cleaning_figures() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/data/shb-dev");
        let mut names: Vec<_> = std::fs::read_dir(root.join("gold"))
            .expect("benches/data/shb-dev/gold")
            .map(|e| e.expect("dir entry").file_name())
            .collect();
        names.sort();
        let scores: Vec<DocScore> = names
            .iter()
            .map(|name| {
                let read = |dir: &str| {
                    std::fs::read_to_string(root.join(dir).join(name)).expect("utf-8 file")
                };
                score_doc(&read("input"), &read("gold"))
            })
            .collect();
        let s = summarize(&scores);
        assert_eq!(s.documents, 123);
        let round = |x: f64| (x * 1000.0).round() / 1000.0;
        assert_eq!(
            (round(s.f1), round(s.precision), round(s.recall)),
            (0.658, 0.491, 0.994)
        );
    }
}
