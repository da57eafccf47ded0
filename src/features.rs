//! The line classifier's inputs: a numeric vector per line, made of the line's own
//! statistics, its neighbours' and the shape of the whole page around it.
//!
//! A line alone says little ("Comments" may be a heading in a blog post or a widget); the
//! page around it says more. Measured on shb-dev, the strongest signals are the means of
//! the (log) word counts of the surrounding lines and the distance to the densest run of
//! sentence-like lines, which is where the article is.

use crate::segment::{Document, Line, LineEnd};

/// Names of the per-line features, in vector order (for the model file and `--explain`).
pub const BASE_NAMES: &[&str] = &[
    "ln_chars",
    "ln_words",
    "stopword_share",
    "end_sentence",
    "end_colon",
    "end_alnum",
    "end_other",
    "capitalized_share",
    "upper_share",
    "digit_share",
    "separator_share",
    "commas_per_word",
    "ln_inner_sentences",
    "has_quotes",
    "bullet",
    "copyright",
    "link",
    "ln_repeats",
    "blank_before",
    "blank_after",
    "rule",
    "short",
    "sentence_like",
    "position",
    "ln_chars_vs_median",
    "letter_share",
    "title_overlap",
    "comments_rule",
    "after_comments",
    "recent_related",
];

/// Number of per-line features ([`BASE_NAMES`]).
const BASE_LEN: usize = BASE_NAMES.len();

/// Base features copied from the neighbours at offsets -2, -1, +1, +2.
const NEIGHBOUR_FEATURES: &[usize] = &[1, 2, 3, 5, 10, 18, 19, 20, 22];
/// Neighbour offsets.
const OFFSETS: &[isize] = &[-2, -1, 1, 2];
/// Base features averaged over windows of these radii.
const WINDOW_FEATURES: &[usize] = &[1, 2, 20, 22];
/// Window radii.
const RADII: &[usize] = &[3, 10];

/// Number of features in a stage-1 vector.
pub fn stage1_len() -> usize {
    STAGE1_LEN
}

/// Features of a stage-1 row after the base, neighbour and window ones: page shape and
/// interactions (`stage1`'s `rest`).
const REST_LEN: usize = 15;

/// [`stage1_len`] as a constant (rows are built in arrays of this size).
const STAGE1_LEN: usize = BASE_NAMES.len()
    + NEIGHBOUR_FEATURES.len() * OFFSETS.len()
    + WINDOW_FEATURES.len() * RADII.len()
    + REST_LEN
    + LIST_SHAPE_LEN;

/// Number of list-shape features appended last (see `ListShape`).
const LIST_SHAPE_LEN: usize = 3;

/// Number of extra features stage 2 adds (the neighbours' stage-1 probabilities).
pub const STAGE2_EXTRA: usize = 10;

/// The per-line facts classify knows besides the segment statistics.
#[derive(Debug, Clone, Copy, Default)]
pub struct LineContext {
    /// A UI-text rule matched the line.
    pub rule: bool,
    /// Share of the line's words that occur in the page title (the first line).
    pub title_overlap: f32,
    /// The rule that matched is about comments ("Leave a Reply", "12 Comments").
    pub comments_rule: bool,
    /// The rule that matched introduces links elsewhere ("Related articles", "Read more").
    pub related_rule: bool,
}

/// `(1 + n).ln()` of the small counts `n`: features take about ten logarithms per line.
/// Fetched once by the loops that take them (not once per logarithm).
#[derive(Clone, Copy)]
struct LnTable(&'static [f32]);

impl LnTable {
    fn get() -> LnTable {
        const SMALL: usize = 4096;
        static TABLE: std::sync::OnceLock<Vec<f32>> = std::sync::OnceLock::new();
        LnTable(TABLE.get_or_init(|| (0..SMALL).map(|n| (1.0 + n as f32).ln()).collect()))
    }

    /// `(1 + n).ln()` for a count `n`, the same bits as computing it.
    #[inline(always)]
    fn ln_1p(self, n: usize) -> f32 {
        match self.0.get(n) {
            Some(&v) => v,
            None => (1.0 + n as f32).ln(),
        }
    }
}

/// 1.0 or 0.0, by a conversion (no branch or constant load; the same two values).
#[inline(always)]
fn flag(b: bool) -> f32 {
    f32::from(u8::from(b))
}

/// Whether a line reads like a sentence of prose.
pub fn sentence_like(line: &Line) -> bool {
    let s = &line.stats;
    s.words >= 8 && s.end == Some(LineEnd::Sentence) && s.stopword_share >= 0.1
}

/// Where the comment section and link lists begin, for each line: whether a comments
/// rule matched on an earlier line, and whether a related-links rule matched within the
/// previous ten lines.
fn section_flags(ctx: &[LineContext]) -> Vec<(bool, bool)> {
    const RELATED_REACH: usize = 10;
    let mut after_comments = false;
    let mut last_related: Option<usize> = None;
    ctx.iter()
        .enumerate()
        .map(|(i, c)| {
            let flags = (
                after_comments,
                last_related.is_some_and(|j| i - j <= RELATED_REACH),
            );
            after_comments |= c.comments_rule;
            if c.related_rule {
                last_related = Some(i);
            }
            flags
        })
        .collect()
}

/// Writes the line's [`BASE_NAMES`] features into `out`.
fn base(
    out: &mut [f32; BASE_LEN],
    line: &Line,
    ctx: LineContext,
    section: (bool, bool),
    position: f32,
    median_ln_chars: f32,
    ln: LnTable,
) {
    let s = &line.stats;
    let words = s.words.max(1) as f32;
    let chars = s.chars.max(1) as f32;
    let ln_chars = ln.ln_1p(s.chars as usize);
    *out = [
        ln_chars,
        ln.ln_1p(s.words as usize),
        s.stopword_share,
        flag(s.end == Some(LineEnd::Sentence)),
        flag(s.end == Some(LineEnd::Colon)),
        flag(s.end == Some(LineEnd::Alnum)),
        flag(s.end == Some(LineEnd::Other)),
        s.capitalized as f32 / words,
        s.upper as f32 / s.letters.max(1) as f32,
        s.digits as f32 / chars,
        (10.0 * s.separators as f32 / chars).min(1.0),
        (s.commas as f32 / words).min(1.0),
        ln.ln_1p(s.inner_sentences as usize),
        flag(s.quotes > 0),
        flag(s.bullet),
        flag(s.copyright),
        flag(s.link),
        (s.repeats.max(1) as f32).ln(),
        flag(line.blank_before),
        flag(line.blank_after),
        flag(ctx.rule),
        flag(s.words <= 3),
        flag(sentence_like(line)),
        position,
        ln_chars - median_ln_chars,
        s.letters as f32 / chars,
        ctx.title_overlap,
        flag(ctx.comments_rule),
        flag(section.0),
        flag(section.1),
    ];
}

/// The densest run of sentence-like lines: the span `[start, end]` maximising the sum of
/// +ln(words) for sentence-like lines and -1 for others (a maximum-subarray search).
pub fn densest_region(doc: &Document) -> Option<(usize, usize)> {
    soft_region(doc, 1.0)
}

/// The densest span of prose when a line that is not prose costs only `penalty`: a list
/// or a table inside the article (short lines between paragraphs) does not break it.
fn soft_region(doc: &Document, penalty: f32) -> Option<(usize, usize)> {
    let ln = LnTable::get();
    let mut best = (0.0f32, None);
    let mut sum = 0.0f32;
    let mut start = 0;
    for (i, line) in doc.lines.iter().enumerate() {
        let gain = if sentence_like(line) {
            ln.ln_1p(line.stats.words as usize)
        } else {
            -penalty
        };
        if sum <= 0.0 {
            sum = 0.0;
            start = i;
        }
        sum += gain;
        if sum > best.0 {
            best = (sum, Some((start, i)));
        }
    }
    best.1
}

/// Cost of a non-prose line in [`soft_region`].
const SOFT_PENALTY: f32 = 0.25;

/// List and table shape, computed once per page and pushed per line by
/// [`ListShape::push_row`]: lists inside an article follow a lead-in ending with a colon,
/// their items look like one another, and they sit inside the prose, unlike a menu.
struct ListShape {
    /// The span of [`soft_region`].
    soft: Option<(usize, usize)>,
    /// For each line, how far above it a lead-in line ending with a colon is, with no
    /// prose line between.
    colon_above: Vec<Option<usize>>,
    /// ln(1 + words) of each line.
    ln_words: Vec<f32>,
}

impl ListShape {
    fn new(doc: &Document, ln_words: Vec<f32>) -> ListShape {
        const MIN_LEAD_IN_WORDS: u32 = 3;
        let mut colon_above = Vec::with_capacity(doc.lines.len());
        let mut last: Option<usize> = None;
        for (i, l) in doc.lines.iter().enumerate() {
            colon_above.push(last.map(|j| i - j));
            if l.stats.end == Some(LineEnd::Colon) && l.stats.words >= MIN_LEAD_IN_WORDS {
                last = Some(i);
            } else if sentence_like(l) {
                last = None;
            }
        }
        ListShape {
            soft: soft_region(doc, SOFT_PENALTY),
            colon_above,
            ln_words,
        }
    }

    /// The [`LIST_SHAPE_LEN`] features of line `i`.
    fn row(&self, i: usize) -> [f32; LIST_SHAPE_LEN] {
        // A short line (fewer than ~20 words) inside the soft span.
        const LONG_LN_WORDS: f32 = 3.0;
        let n = self.ln_words.len();
        let colon = self.colon_above[i].map_or(0.0, |d| 1.0 / d as f32);
        let w = &self.ln_words;
        let diff = |j: isize| {
            if j >= 0 && (j as usize) < n {
                (w[i] - w[j as usize]).abs()
            } else {
                2.0
            }
        };
        let unlike = (diff(i as isize - 1) + diff(i as isize + 1)) / 2.0;
        let inside = self.soft.is_some_and(|(a, b)| (a..=b).contains(&i));
        [colon, unlike, flag(inside && w[i] <= LONG_LN_WORDS)]
    }
}
/// Stage-1 feature vectors, one per line, flattened row-major (`stage1_len()` per line).
pub fn stage1(doc: &Document, ctx: &[LineContext]) -> Vec<f32> {
    let n = doc.lines.len();
    if n == 0 {
        return Vec::new();
    }
    let ln = LnTable::get();
    // The rows are written in place: first the base features of every line (which the
    // others are made of), then the rest of each row.
    let mut out = Vec::with_capacity(n * STAGE1_LEN);
    let mut ln_chars: Vec<f32> = doc
        .lines
        .iter()
        .map(|l| ln.ln_1p(l.stats.chars as usize))
        .collect();
    // Only the middle value is needed, not the whole order (equal under `total_cmp` is
    // equal bits, so it is the value a full sort puts there).
    let median = *ln_chars.select_nth_unstable_by(n / 2, f32::total_cmp).1;
    let sections = section_flags(ctx);
    // A row of zeros with the line's base features is appended whole (a zeroed
    // allocation of all rows would be cleared byte by byte, `rep stosb`).
    let mut row = [0.0f32; STAGE1_LEN];
    for (i, (l, c)) in doc.lines.iter().zip(ctx).enumerate() {
        let b: &mut [f32; BASE_LEN] = (&mut row[..BASE_LEN]).try_into().expect("a base");
        base(b, l, *c, sections[i], i as f32 / n as f32, median, ln);
        out.extend_from_slice(&row);
    }
    let bases = || out.chunks_exact(STAGE1_LEN);
    // Prefix sums of the windowed features for O(1) window means.
    const NW: usize = WINDOW_FEATURES.len();
    let mut prefix = Vec::with_capacity(n + 1);
    let mut sum = [0.0f32; NW];
    prefix.push(sum);
    for b in bases() {
        for (s, &f) in sum.iter_mut().zip(WINDOW_FEATURES) {
            *s += b[f];
        }
        prefix.push(sum);
    }
    let region = densest_region(doc);
    // The on-page headline: the line (after the first) that best repeats the page title.
    // The article follows it.
    let h1 = ctx
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, c)| c.title_overlap >= 0.6 && doc.lines[*i].stats.words >= 3)
        .map(|(i, _)| i)
        .next();
    let sentence_share = bases().map(|b| b[22]).sum::<f32>() / n as f32;
    // How often the page's prose lines are followed by a blank line.
    let prose_lines = bases().filter(|b| b[22] > 0.0).count().max(1) as f32;
    let blank_share = bases().filter(|b| b[22] > 0.0).map(|b| b[19]).sum::<f32>() / prose_lines;
    let prose: Vec<bool> = bases().map(|b| b[22] > 0.0).collect();
    let list_shape = ListShape::new(doc, bases().map(|b| b[1]).collect());
    // The features each line lends its neighbours, gathered once per line (not once per
    // neighbour) and copied in.
    const NF: usize = NEIGHBOUR_FEATURES.len();
    let mut lent = Vec::with_capacity(n * NF);
    for b in bases() {
        lent.extend(NEIGHBOUR_FEATURES.iter().map(|&f| b[f]));
    }
    const NEIGHBOURS_AT: usize = BASE_LEN;
    const WINDOWS_AT: usize = NEIGHBOURS_AT + NF * OFFSETS.len();
    const REST_AT: usize = WINDOWS_AT + NW * RADII.len();
    const LIST_AT: usize = REST_AT + REST_LEN;
    let ln_lines = ln.ln_1p(n);
    for (i, row) in out.chunks_exact_mut(STAGE1_LEN).enumerate() {
        let row: &mut [f32; STAGE1_LEN] = row.try_into().expect("a row");
        for (o, &off) in OFFSETS.iter().enumerate() {
            let to = &mut row[NEIGHBOURS_AT + o * NF..NEIGHBOURS_AT + (o + 1) * NF];
            let j = i as isize + off;
            if j >= 0 && (j as usize) < n {
                let j = j as usize;
                to.copy_from_slice(&lent[j * NF..(j + 1) * NF]);
            }
            // (Off the page the values stay 0.)
        }
        let mut k = WINDOWS_AT;
        for &r in RADII {
            let lo = i.saturating_sub(r);
            let hi = (i + r + 1).min(n);
            let (a, z) = (&prefix[lo], &prefix[hi]);
            for f in 0..NW {
                row[k] = (z[f] - a[f]) / (hi - lo) as f32;
                k += 1;
            }
        }
        // `ln_1p` of the distance is `(1.0 + dist as f32).ln()`, the same bits.
        let (inside, dist) = match region {
            Some((a, _)) if i < a => (0.0, a - i),
            Some((_, b)) if i > b => (0.0, i - b),
            Some(_) => (1.0, 0),
            None => (0.0, n),
        };
        // Interactions a linear model cannot form itself: an unpunctuated line between
        // two paragraphs is a subheading when short, a related headline or caption when
        // long; a paragraph break missing where the page otherwise has them sets a line apart.
        let between = flag(i > 0 && prose[i - 1] && prose.get(i + 1) == Some(&true));
        let alnum = row[5];
        let (after_h1, ln_after_h1) = match h1 {
            Some(h) if i > h => (1.0, ln.ln_1p(i - h)),
            Some(_) => (-1.0, 0.0),
            None => (0.0, 0.0),
        };
        let rest: [f32; REST_LEN] = [
            inside,
            ln.ln_1p(dist),
            dist as f32 / n as f32,
            ln_lines,
            sentence_share,
            ln.ln_1p(i.min(n - 1 - i)),
            alnum * row[1],
            alnum * between,
            alnum * between * row[1],
            alnum * row[2],
            alnum * row[7],
            (1.0 - row[18]) * blank_share,
            (1.0 - row[19]) * blank_share,
            after_h1,
            ln_after_h1,
        ];
        row[REST_AT..LIST_AT].copy_from_slice(&rest);
        row[LIST_AT..].copy_from_slice(&list_shape.row(i));
    }
    out
}

/// Stage-2 vectors: each stage-1 vector followed by the stage-1 probabilities of the line
/// and its neighbourhood (±1, ±2, window means over ±3 and ±10, the maximum over ±2).
pub fn stage2(stage1: &[f32], p1: &[f32]) -> Vec<f32> {
    let n = p1.len();
    let width = stage1_len();
    let extras = stage2_extras(p1);
    let mut out = Vec::with_capacity(n * (width + STAGE2_EXTRA));
    for (row, extra) in stage1
        .chunks_exact(width)
        .zip(extras.chunks_exact(STAGE2_EXTRA))
    {
        out.extend_from_slice(row);
        out.extend_from_slice(extra);
    }
    out
}

/// The [`STAGE2_EXTRA`] values [`stage2`] appends to each stage-1 vector, row-major (the
/// classifier scores the two parts without joining them).
pub fn stage2_extras(p1: &[f32]) -> Vec<f32> {
    let n = p1.len();
    let ln = LnTable::get();
    let mut out = Vec::with_capacity(n * STAGE2_EXTRA);
    // Off the page (below 0 too: wrapping) the neighbours' probabilities are 0.
    let at = |j: usize| p1.get(j).copied().unwrap_or(0.0);
    let mean = |i: usize, r: usize| {
        let lo = i.saturating_sub(r);
        let hi = (i + r + 1).min(n);
        // Left to right from -0.0, as `Iterator::sum` adds (the same bits); a whole
        // window (most lines) is added unrolled.
        let sum = match (r, &p1[lo..hi]) {
            (3, w) if w.len() == 7 => sum_in_order::<7>(w.try_into().expect("seven")),
            (10, w) if w.len() == 21 => sum_in_order::<21>(w.try_into().expect("21")),
            (_, w) => w.iter().fold(-0.0f32, |s, &p| s + p),
        };
        sum / (hi - lo) as f32
    };
    // The article's span as stage 1 sees it: the run of lines maximising the sum of
    // (p - 0.5); where a line stands relative to it says more than its own score.
    let mut best = (0.0f32, None);
    let (mut sum, mut start) = (0.0f32, 0);
    for (i, p) in p1.iter().enumerate() {
        if sum <= 0.0 {
            sum = 0.0;
            start = i;
        }
        sum += p - 0.5;
        if sum > best.0 {
            best = (sum, Some((start, i)));
        }
    }
    for (i, &p) in p1.iter().enumerate() {
        let dist = match best.1 {
            Some((a, _)) if i < a => a - i,
            Some((_, b)) if i > b => i - b,
            Some(_) => 0,
            None => n,
        };
        let near = [
            at(i.wrapping_sub(2)),
            at(i.wrapping_sub(1)),
            p,
            at(i + 1),
            at(i + 2),
        ];
        // The maximum over ±2, folded from 0 in order as before.
        let mut max = 0.0f32;
        for v in near {
            max = max.max(v);
        }
        out.extend_from_slice(&[
            flag(dist == 0),
            ln.ln_1p(dist),
            p,
            near[0],
            near[1],
            near[3],
            near[4],
            mean(i, 3),
            mean(i, 10),
            max,
        ]);
    }
    out
}

/// `-0.0 + xs[0] + xs[1] + ...`, left to right (the bits of `Iterator::sum`), for a length
/// known when compiling (so the loop is unrolled).
#[inline(always)]
fn sum_in_order<const N: usize>(xs: &[f32; N]) -> f32 {
    let mut sum = -0.0f32;
    for &x in xs {
        sum += x;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::segment::segment;

    const PAGE: &str = "Home | News | Sport\n\nA headline about things\n\n\
        The first paragraph of the article tells the story in full sentences.\n\n\
        The second paragraph goes on with more of the story, and then ends.\n\n\
        Share\nTweet\n";

    #[test]
    fn ln_1p_is_the_logarithm_bit_for_bit() {
        for n in (0..5000).chain([65_535, 1 << 24, (1 << 24) + 1, usize::MAX]) {
            assert_eq!(
                LnTable::get().ln_1p(n).to_bits(),
                (1.0 + n as f32).ln().to_bits(),
                "{n}"
            );
        }
    }

    #[test]
    fn vectors_have_the_declared_width() {
        let doc = segment(PAGE);
        let ctx = vec![LineContext::default(); doc.lines.len()];
        let x1 = stage1(&doc, &ctx);
        assert_eq!(x1.len(), doc.lines.len() * stage1_len());
        let p1 = vec![0.5; doc.lines.len()];
        assert_eq!(
            stage2(&x1, &p1).len(),
            doc.lines.len() * (stage1_len() + STAGE2_EXTRA)
        );
        assert!(x1.iter().all(|v| v.is_finite()));
    }

    #[test]
    fn window_means_add_as_iterator_sum_does_bit_for_bit() {
        let p1: Vec<f32> = (0..60u32)
            .map(|i| ((i * 37 % 101) as f32 / 101.0).powi(3))
            .collect();
        for n in [0, 1, 2, 5, 7, 8, 20, 21, 22, 30, 60] {
            let p1 = &p1[..n];
            let extras = stage2_extras(p1);
            assert_eq!(extras.len(), n * STAGE2_EXTRA);
            for i in 0..n {
                for (k, r) in [(7, 3), (8, 10)] {
                    let (lo, hi) = (i.saturating_sub(r), (i + r + 1).min(n));
                    let mean = p1[lo..hi].iter().sum::<f32>() / (hi - lo) as f32;
                    assert_eq!(extras[i * STAGE2_EXTRA + k].to_bits(), mean.to_bits());
                }
            }
        }
    }

    #[test]
    fn densest_region_covers_the_prose() {
        let doc = segment(PAGE);
        assert_eq!(densest_region(&doc), Some((2, 3)));
    }
}
