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

/// Where [`BASE_NAMES`] puts the features that the rest of a row is made of (checked by a
/// test).
const LN_CHARS: usize = 0;
const LN_WORDS: usize = 1;
const STOPWORD_SHARE: usize = 2;
const END_SENTENCE: usize = 3;
const END_COLON: usize = 4;
const END_ALNUM: usize = 5;
const END_OTHER: usize = 6;
const CAPITALIZED_SHARE: usize = 7;
const UPPER_SHARE: usize = 8;
const DIGIT_SHARE: usize = 9;
const SEPARATOR_SHARE: usize = 10;
const COMMAS_PER_WORD: usize = 11;
const LN_INNER_SENTENCES: usize = 12;
const HAS_QUOTES: usize = 13;
const BULLET: usize = 14;
const COPYRIGHT: usize = 15;
const LINK: usize = 16;
const LN_REPEATS: usize = 17;
const BLANK_BEFORE: usize = 18;
const BLANK_AFTER: usize = 19;
const RULE: usize = 20;
const SHORT: usize = 21;
const SENTENCE_LIKE: usize = 22;
const POSITION: usize = 23;
const LN_CHARS_VS_MEDIAN: usize = 24;
const LETTER_SHARE: usize = 25;
const TITLE_OVERLAP: usize = 26;
const COMMENTS_RULE: usize = 27;
const AFTER_COMMENTS: usize = 28;
const RECENT_RELATED: usize = 29;

/// Base features copied from the neighbours at offsets -2, -1, +1, +2.
const NEIGHBOUR_FEATURES: [usize; 9] = [
    LN_WORDS,
    STOPWORD_SHARE,
    END_SENTENCE,
    END_ALNUM,
    SEPARATOR_SHARE,
    BLANK_BEFORE,
    BLANK_AFTER,
    RULE,
    SENTENCE_LIKE,
];
/// Neighbour offsets.
const OFFSETS: [isize; 4] = [-2, -1, 1, 2];
/// Rows (or values) of zeros on each side of a page, standing for the lines off it (whose
/// values are 0): every neighbour within [`OFFSETS`] is then read at a fixed offset, with
/// no test per neighbour.
const PAD: usize = 2;
const _: () = assert!(OFFSETS[0] == -(PAD as isize) && OFFSETS[3] == PAD as isize);
/// Base features averaged over windows of these radii.
const WINDOW_FEATURES: &[usize] = &[LN_WORDS, STOPWORD_SHARE, RULE, SENTENCE_LIKE];
/// The radii of the windows both stages average over (stage 1 the base features, stage 2
/// the stage-1 probabilities).
const NEAR: usize = 3;
const FAR: usize = 10;
/// Window radii.
const RADII: [usize; 2] = [NEAR, FAR];

/// Number of features in a stage-1 vector.
pub fn stage1_len() -> usize {
    STAGE1_LEN
}

/// Features of a stage-1 row after the base, neighbour and window ones: page shape and
/// interactions (`stage1`'s `rest`).
const REST_LEN: usize = 15;

/// Where the window means and the `rest` begin in a stage-1 row.
const WINDOWS_AT: usize = BASE_LEN + NEIGHBOUR_FEATURES.len() * OFFSETS.len();
const REST_AT: usize = WINDOWS_AT + WINDOW_FEATURES.len() * RADII.len();

/// [`stage1_len`] as a constant (rows are built in arrays of this size): the rest and the
/// list shape end the row (`stage1` writes them at `REST_AT` as `put::<REST_LEN>` and
/// `put::<LIST_SHAPE_LEN>`, so a part of another length does not compile).
const STAGE1_LEN: usize = REST_AT + REST_LEN + LIST_SHAPE_LEN;

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
struct LnTable(&'static [f32; LnTable::SMALL]);

// `LN_TABLE`: the table's values, worked out by build.rs (read-only data, not 4,096 calls
// of `logf` in every process).
include!(concat!(env!("OUT_DIR"), "/ln_table.rs"));

impl LnTable {
    /// The counts in the table: `0..SMALL`.
    const SMALL: usize = 4096;

    fn get() -> LnTable {
        LnTable(&LN_TABLE)
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
    // `&`, not `&&`: three cheap tests without a branch each (the same answer).
    (s.words >= 8) & (s.end == Some(LineEnd::Sentence)) & (s.stopword_share >= 0.1)
}

/// The line's [`BASE_NAMES`] features.
#[inline(always)]
fn base(
    line: &Line,
    ctx: LineContext,
    section: (bool, bool),
    position: f32,
    median_ln_chars: f32,
    ln: LnTable,
) -> [f32; BASE_LEN] {
    let s = &line.stats;
    let words = s.words.max(1) as f32;
    let chars = s.chars.max(1) as f32;
    let ln_chars = ln.ln_1p(s.chars as usize);
    [
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
        ln_count(ln, s.repeats.max(1)),
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
    ]
}

/// `(n as f32).ln()` of a count `n >= 1`, the same bits: the table's `(1 + (n - 1)).ln()`
/// while both sides are exact integers (most lines are seen once: ln 1 without a call).
#[inline(always)]
fn ln_count(ln: LnTable, n: u32) -> f32 {
    if (1..=LnTable::SMALL as u32).contains(&n) {
        ln.ln_1p(n as usize - 1)
    } else {
        (n as f32).ln()
    }
}

/// Cost of a non-prose line in the densest region of `stage1`: the span `[start, end]`
/// maximising the sum of +ln(1 + words) for sentence-like lines and -1 for others.
const DENSE_PENALTY: f32 = 1.0;

/// Cost of a non-prose line in the soft region of `stage1`: the densest span of prose
/// when a list or a table inside the article (short lines between paragraphs) does not
/// break it.
const SOFT_PENALTY: f32 = 0.25;

/// A maximum-subarray search, a line at a time (so that `stage1` runs its two searches
/// in one pass over its rows): the span of lines whose gains have the greatest sum.
struct RegionSearch {
    best: (f32, Option<(usize, usize)>),
    sum: f32,
    start: usize,
    next: usize,
}

impl RegionSearch {
    fn new() -> RegionSearch {
        RegionSearch {
            best: (0.0, None),
            sum: 0.0,
            start: 0,
            next: 0,
        }
    }

    /// Adds the next line's gain.
    #[inline(always)]
    fn add(&mut self, gain: f32) {
        let i = self.next;
        self.next += 1;
        if self.sum <= 0.0 {
            self.sum = 0.0;
            self.start = i;
        }
        self.sum += gain;
        if self.sum > self.best.0 {
            self.best = (self.sum, Some((self.start, i)));
        }
    }
}

/// The median of the lines' ln(1 + chars): the middle of the character counts (a cheaper
/// selection than of floats), taken through the logarithm, which keeps the order while the
/// counts are in its table (checked by a test); else the floats themselves.
fn median_ln_chars(doc: &Document, ln: LnTable) -> f32 {
    let n = doc.lines.len();
    let mut chars: Vec<u32> = doc.lines.iter().map(|l| l.stats.chars).collect();
    let middle = *chars.select_nth_unstable(n / 2).1;
    if (middle as usize) < LnTable::SMALL {
        return ln.ln_1p(middle as usize);
    }
    let mut ln_chars: Vec<f32> = chars.iter().map(|&c| ln.ln_1p(c as usize)).collect();
    // Equal under `total_cmp` is equal bits: the value a full sort puts there.
    *ln_chars.select_nth_unstable_by(n / 2, f32::total_cmp).1
}

/// Stage-1 feature vectors, one per line, flattened row-major (`stage1_len()` per line).
/// `ctx(i)` gives line `i`'s [`LineContext`], called once per line in order, as the first
/// pass reaches the line (not gathered in a vector first).
pub fn stage1(doc: &Document, ctx: impl FnMut(usize) -> LineContext) -> Vec<f32> {
    let mut out = Vec::with_capacity(doc.lines.len() * STAGE1_LEN);
    stage1_blocks(doc, ctx, |block| block.rows_onto(&mut out));
    out
}

/// Lines [`stage1_blocks`] makes the values of before handing them on: few enough that the
/// block stays in the first-level cache (64 lines of 92 values, 17 KB as a [`Block`]) and a
/// multiple of the [`LANES`] lines the classifier scores at once.
pub(crate) const BLOCK_ROWS: usize = 64;

/// Lines whose values [`Block::each_column`] gives at once (one per lane of two AVX
/// vectors).
pub(crate) const LANES: usize = 16;
const _: () = assert!(BLOCK_ROWS % LANES == 0);

/// Entries of a base column of a [`Block`]: its lines and the `PAD` lines on each side.
const BASE_ENTRIES: usize = BLOCK_ROWS + 2 * PAD;

/// The values of a stage-1 row after its base and neighbour ones (windows, rest, list
/// shape): each line's own, kept by [`Block`] one column each.
const OWN_LEN: usize = STAGE1_LEN - WINDOWS_AT;

/// Number of features in a stage-1 row, for the classifier's arrays of weights.
pub(crate) const STAGE1_WIDTH: usize = STAGE1_LEN;

/// The stage-1 rows of up to [`BLOCK_ROWS`] lines, stored by feature (column-major): the
/// classifier takes a value of eight lines at once from one place, with no transposition
/// of rows, and the neighbour values are the base columns read at an offset (not copied
/// into each row: 36 of a row's 92 values).
pub(crate) struct Block {
    /// Base feature `f` of line `first - PAD + e` of the page at `base[f][e]`, for the
    /// block's first line `first` (0 for lines off the page): the line's own base values
    /// and its neighbours'.
    base: [[f32; BASE_ENTRIES]; BASE_LEN],
    /// Value `WINDOWS_AT + c` of the block's line `k` (the line `first + k`) at `own[c][k]`.
    own: [[f32; BLOCK_ROWS]; OWN_LEN],
    /// The counts of line `first - PAD + e` that its base shares are made of, at
    /// `counts[c][e]` (see [`make_bases`]).
    counts: [[u32; BASE_ENTRIES]; COUNTS],
    /// Lines in the block: entries past them hold values of no line (zeros, or what an
    /// earlier block left), which the classifier scores and drops.
    len: usize,
}

impl Block {
    /// A block of no lines, every value 0.
    fn new() -> Box<Block> {
        Box::new(Block {
            base: [[0.0; BASE_ENTRIES]; BASE_LEN],
            own: [[0.0; BLOCK_ROWS]; OWN_LEN],
            counts: [[0; BASE_ENTRIES]; COUNTS],
            len: 0,
        })
    }

    /// Lines in the block.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Gives `to.take(c, x)` every value `c` of a stage-1 row in order, `x` holding value
    /// `c` of the block's lines `LANES * g ..` (lane `j` that of line `LANES * g + j`; lanes
    /// past the block's last line hold values of no line). `g` must be under
    /// `BLOCK_ROWS / LANES`.
    #[inline(always)]
    pub(crate) fn each_column(&self, g: usize, to: &mut impl TakeColumn) {
        assert!(g < BLOCK_ROWS / LANES, "a group of the block's lines");
        let at = g * LANES;
        fn lanes(col: &[f32], from: usize) -> &[f32; LANES] {
            col[from..from + LANES].try_into().expect("LANES values")
        }
        for (c, col) in self.base.iter().enumerate() {
            to.take(c, lanes(col, PAD + at));
        }
        for (o, off) in OFFSETS.into_iter().enumerate() {
            for (k, &nf) in NEIGHBOUR_FEATURES.iter().enumerate() {
                let from = PAD.wrapping_add_signed(off) + at;
                to.take(
                    BASE_LEN + o * NEIGHBOUR_FEATURES.len() + k,
                    lanes(&self.base[nf], from),
                );
            }
        }
        for (c, col) in self.own.iter().enumerate() {
            to.take(WINDOWS_AT + c, lanes(col, at));
        }
    }

    /// Appends the block's rows to `out`, row-major (the rows of [`stage1`]).
    pub(crate) fn rows_onto(&self, out: &mut Vec<f32>) {
        /// The rows of a group of lines, values written where [`Block::each_column`] gives
        /// them.
        struct Rows<'a>(&'a mut [f32]);
        impl TakeColumn for Rows<'_> {
            fn take(&mut self, c: usize, x: &[f32; LANES]) {
                // Lanes past the block's lines have no row.
                for (row, &v) in self.0.chunks_exact_mut(STAGE1_LEN).zip(x) {
                    row[c] = v;
                }
            }
        }
        let first = out.len();
        out.resize(first + self.len * STAGE1_LEN, 0.0);
        for (g, rows) in out[first..].chunks_mut(LANES * STAGE1_LEN).enumerate() {
            self.each_column(g, &mut Rows(rows));
        }
    }
}

/// The line counts [`make_bases`] keeps per entry of a block, in `Block::counts`.
const COUNTS: usize = 8;
const C_CHARS: usize = 0;
const C_WORDS: usize = 1;
const C_LETTERS: usize = 2;
const C_CAPITALIZED: usize = 3;
const C_UPPER: usize = 4;
const C_DIGITS: usize = 5;
const C_SEPARATORS: usize = 6;
const C_COMMAS: usize = 7;

/// Makes the base entries `entries` of `block` (see `Block::base`), whose first line is
/// `first`: [`base`] of each line (the bits of it), 0 for the lines off the page. The
/// shares of counts (a conversion and a division each) a column at a time, in vectors,
/// from the counts kept per entry; the rest a line at a time.
#[inline(always)]
fn make_bases(
    block: &mut Block,
    entries: std::ops::Range<usize>,
    first: usize,
    doc: &Document,
    made_of: &[(LineContext, (bool, bool))],
    median: f32,
    ln: LnTable,
) {
    let n = doc.lines.len();
    let Block { base, counts, .. } = block;
    // The entries of lines on the page (entry `e` is line `first + e - PAD`).
    let start = entries.start.max(PAD.saturating_sub(first));
    let on_page = start..entries.end.min(n + PAD - first).max(start);
    // (Empty, past the page's end, when the block's own lines were made already.)
    let lines = (first + on_page.start - PAD).min(n)..(first + on_page.end - PAD).min(n);
    for ((e, l), &(c, section)) in on_page
        .clone()
        .zip(&doc.lines[lines.clone()])
        .zip(&made_of[lines])
    {
        let s = &l.stats;
        let mut put = |f: usize, v: f32| base[f][e] = v;
        put(LN_CHARS, ln.ln_1p(s.chars as usize));
        put(LN_WORDS, ln.ln_1p(s.words as usize));
        put(STOPWORD_SHARE, s.stopword_share);
        put(END_SENTENCE, flag(s.end == Some(LineEnd::Sentence)));
        put(END_COLON, flag(s.end == Some(LineEnd::Colon)));
        put(END_ALNUM, flag(s.end == Some(LineEnd::Alnum)));
        put(END_OTHER, flag(s.end == Some(LineEnd::Other)));
        put(LN_INNER_SENTENCES, ln.ln_1p(s.inner_sentences as usize));
        put(HAS_QUOTES, flag(s.quotes > 0));
        put(BULLET, flag(s.bullet));
        put(COPYRIGHT, flag(s.copyright));
        put(LINK, flag(s.link));
        put(LN_REPEATS, ln_count(ln, s.repeats.max(1)));
        put(BLANK_BEFORE, flag(l.blank_before));
        put(BLANK_AFTER, flag(l.blank_after));
        put(RULE, flag(c.rule));
        put(SHORT, flag(s.words <= 3));
        put(SENTENCE_LIKE, flag(sentence_like(l)));
        put(POSITION, (first + e - PAD) as f32 / n as f32);
        put(TITLE_OVERLAP, c.title_overlap);
        put(COMMENTS_RULE, flag(c.comments_rule));
        put(AFTER_COMMENTS, flag(section.0));
        put(RECENT_RELATED, flag(section.1));
        for (at, v) in [
            (C_CHARS, s.chars),
            (C_WORDS, s.words),
            (C_LETTERS, s.letters),
            (C_CAPITALIZED, s.capitalized),
            (C_UPPER, s.upper),
            (C_DIGITS, s.digits),
            (C_SEPARATORS, s.separators),
            (C_COMMAS, s.commas),
        ] {
            counts[at][e] = v;
        }
    }
    // The shares, as `base` makes them.
    let count = |c: usize| &counts[c][on_page.clone()];
    // (value, count, the count it is a share of, scale, cap): `min(scale * x / max(per, 1),
    // cap)`, which for a plain share (1, infinity) is the bits of `x / max(per, 1)`.
    const SHARES: [(usize, usize, usize, f32, f32); 6] = [
        (
            CAPITALIZED_SHARE,
            C_CAPITALIZED,
            C_WORDS,
            1.0,
            f32::INFINITY,
        ),
        (UPPER_SHARE, C_UPPER, C_LETTERS, 1.0, f32::INFINITY),
        (DIGIT_SHARE, C_DIGITS, C_CHARS, 1.0, f32::INFINITY),
        (SEPARATOR_SHARE, C_SEPARATORS, C_CHARS, 10.0, 1.0),
        (COMMAS_PER_WORD, C_COMMAS, C_WORDS, 1.0, 1.0),
        (LETTER_SHARE, C_LETTERS, C_CHARS, 1.0, f32::INFINITY),
    ];
    for (value, of, per, scale, cap) in SHARES {
        for ((v, &x), &per) in base[value][on_page.clone()]
            .iter_mut()
            .zip(count(of))
            .zip(count(per))
        {
            *v = (scale * x as f32 / per.max(1) as f32).min(cap);
        }
    }
    let (to, from) = base.split_at_mut(LN_CHARS_VS_MEDIAN);
    for (v, &x) in from[0][on_page.clone()]
        .iter_mut()
        .zip(&to[LN_CHARS][on_page.clone()])
    {
        *v = x - median;
    }
    // The lines off the page.
    for e in (entries.start..on_page.start).chain(on_page.end.max(entries.start)..entries.end) {
        for col in base.iter_mut() {
            col[e] = 0.0;
        }
    }
}

/// What takes the values [`Block::each_column`] gives.
pub(crate) trait TakeColumn {
    /// Takes value `c` of a row, of [`LANES`] lines at once.
    fn take(&mut self, c: usize, x: &[f32; LANES]);
}

/// The rows of [`stage1`], handed to `blocks` a [`Block`] of up to [`BLOCK_ROWS`] lines at
/// a time, in line order, instead of kept: a caller that only scores them needs no matrix
/// of the whole document (370 bytes a line, most of a large document's memory). `ctx` as
/// for [`stage1`].
// Out of line: inlined into its caller (with the closure's work) under fat LTO, the rows as
// they were built before the blocks were by feature cost more instructions (measured then,
// not again since).
#[inline(never)]
pub(crate) fn stage1_blocks(
    doc: &Document,
    mut ctx: impl FnMut(usize) -> LineContext,
    mut blocks: impl FnMut(&Block),
) {
    const RELATED_REACH: usize = 10;
    const NW: usize = WINDOW_FEATURES.len();
    let n = doc.lines.len();
    if n == 0 {
        return;
    }
    let ln = LnTable::get();
    let median = median_ln_chars(doc, ln);
    // What each line's base is made of besides the line: its context (worked out once, by
    // `ctx`) and its sections. Each pass makes the bases it needs from them (the first
    // only the values it reads, the rest of `base` being unused there), rather than the
    // first keeping every line's 30 values for the second.
    let mut made_of: Vec<(LineContext, (bool, bool))> = Vec::with_capacity(n);
    // One vector of prefix sums per windowed feature (each window mean of a block's lines
    // is then a column of differences of two runs of one vector).
    let mut prefix: [Vec<f32>; NW] = std::array::from_fn(|_| {
        let mut p = Vec::with_capacity(n + 1);
        p.push(0.0);
        p
    });
    let mut sum = [0.0f32; NW];
    let (mut after_comments, mut last_related) = (false, None::<usize>);
    // Summed from -0.0 as `Iterator::sum` does (the same bits).
    let (mut sentence_sum, mut blank_sum, mut prose_lines) = (-0.0f32, -0.0f32, 0usize);
    let mut dense = RegionSearch::new();
    let mut soft = RegionSearch::new();
    // The on-page headline: the line (after the first) that best repeats the page title.
    // The article follows it.
    let mut h1 = None;
    // First what the page-wide features need, from the base features of every line:
    // prefix sums of the windowed features (for O(1) window means), the prose and
    // blank-line counts, the comment and related-links sections, and both prose regions.
    for (i, l) in doc.lines.iter().enumerate() {
        let c = ctx(i);
        if h1.is_none() && i > 0 && c.title_overlap >= 0.6 && l.stats.words >= 3 {
            h1 = Some(i);
        }
        // Whether a comments rule matched on an earlier line, and a related-links rule
        // within the previous ten lines.
        let section = (
            after_comments,
            last_related.is_some_and(|j| i - j <= RELATED_REACH),
        );
        after_comments |= c.comments_rule;
        if c.related_rule {
            last_related = Some(i);
        }
        made_of.push((c, section));
        let b = base(l, c, section, i as f32 / n as f32, median, ln);
        // Indexed loops over the constant lists (a zip of them was not inlined).
        for k in 0..NW {
            sum[k] += b[WINDOW_FEATURES[k]];
        }
        for (p, &sum) in prefix.iter_mut().zip(&sum) {
            p.push(sum);
        }
        let prose = b[SENTENCE_LIKE] > 0.0;
        sentence_sum += b[SENTENCE_LIKE];
        if prose {
            prose_lines += 1;
            blank_sum += b[BLANK_AFTER];
        }
        dense.add(if prose { b[LN_WORDS] } else { -DENSE_PENALTY });
        soft.add(if prose { b[LN_WORDS] } else { -SOFT_PENALTY });
    }
    let (region, soft) = (dense.best.1, soft.best.1);
    let sentence_share = sentence_sum / n as f32;
    // How often the page's prose lines are followed by a blank line.
    let blank_share = blank_sum / prose_lines.max(1) as f32;
    let ln_lines = ln.ln_1p(n);
    // The last lead-in line (ending with a colon) with no prose line after it.
    let mut lead_in: Option<usize> = None;
    // Each block's values, every one of its lines' written before it is handed on. Its
    // base entries `0..made` hold their lines' bases already: at first none, then the
    // last `2 * PAD` entries of the block before (moved to the front), so that each base
    // is made once.
    let mut block = SPARE_BLOCK
        .with(|spare| spare.borrow_mut().take())
        .unwrap_or_else(Block::new);
    let mut made = 0;
    for (first, lines) in doc.lines.chunks(BLOCK_ROWS).enumerate() {
        let first = first * BLOCK_ROWS;
        block.len = lines.len();
        make_bases(
            &mut block,
            made..lines.len() + 2 * PAD,
            first,
            doc,
            &made_of,
            median,
            ln,
        );
        let len = lines.len();
        let Block { base, own, .. } = &mut *block;
        // Where a part of the row begins among the block's own columns.
        const R: usize = REST_AT - WINDOWS_AT;
        const L: usize = R + REST_LEN;
        // List and table shape: lists inside an article follow a lead-in ending with a
        // colon, their items look like one another, and they sit inside the prose, unlike a
        // menu.
        const MIN_LEAD_IN_WORDS: u32 = 3;
        // A short line (fewer than ~20 words) inside the soft span.
        const LONG_LN_WORDS: f32 = 3.0;
        // The values that follow from the lines before (the lead-in) or branch, a line at a
        // time.
        for (k, l) in lines.iter().enumerate() {
            let i = first + k;
            let b = |f: usize| base[f][PAD + k];
            let (inside, dist) = match region {
                Some((a, _)) if i < a => (0.0, a - i),
                Some((_, b)) if i > b => (0.0, i - b),
                Some(_) => (1.0, 0),
                None => (0.0, n),
            };
            own[R][k] = inside;
            own[R + 1][k] = ln.ln_1p(dist);
            own[R + 2][k] = dist as f32 / n as f32;
            own[R + 5][k] = ln.ln_1p(i.min(n - 1 - i));
            let (after_h1, ln_after_h1) = match h1 {
                Some(h) if i > h => (1.0, ln.ln_1p(i - h)),
                Some(_) => (-1.0, 0.0),
                None => (0.0, 0.0),
            };
            own[R + 13][k] = after_h1;
            own[R + 14][k] = ln_after_h1;
            own[L][k] = lead_in.map_or(0.0, |j| 1.0 / (i - j) as f32);
            if b(END_COLON) > 0.0 && l.stats.words >= MIN_LEAD_IN_WORDS {
                lead_in = Some(i);
            } else if b(SENTENCE_LIKE) > 0.0 {
                lead_in = None;
            }
            let in_soft = soft.is_some_and(|(a, z)| (a..=z).contains(&i));
            own[L + 2][k] = flag(in_soft && b(LN_WORDS) <= LONG_LN_WORDS);
        }
        // The window means, a column at a time: the lines whose window is whole (all but
        // `r` lines at each end of the page) in vectors, by the same width.
        for (r_at, r) in RADII.into_iter().enumerate() {
            // The block's lines `whole` have whole windows.
            let whole = r.saturating_sub(first).min(len)..n.saturating_sub(first + r).min(len);
            for (p, means) in prefix.iter().zip(&mut own[r_at * NW..(r_at + 1) * NW]) {
                let means = &mut means[..len];
                // The width of a window (at most 2 * FAR + 1) as a `u32`: the same value
                // as the `usize`, converted without a test for the top bit.
                let mean = |i: usize| {
                    let (lo, hi) = (i.saturating_sub(r), (i + r + 1).min(n));
                    (p[hi] - p[lo]) / (hi - lo) as u32 as f32
                };
                if !whole.is_empty() {
                    let (a, z) = (first + whole.start, first + whole.end);
                    let width = (2 * r + 1) as f32;
                    let (los, his) = (&p[a - r..z - r], &p[a + r + 1..z + r + 1]);
                    for ((v, &lo), &hi) in means[whole.clone()].iter_mut().zip(los).zip(his) {
                        *v = (hi - lo) / width;
                    }
                }
                for k in (0..whole.start).chain(whole.end.max(whole.start)..len) {
                    means[k] = mean(first + k);
                }
            }
        }
        // The values made of the lines' base values and their neighbours', a column at a
        // time (the same operations on each line's values, in vectors). Base feature `f` of
        // the lines at offset `o` from the block's lines (0 off the page):
        let near = |f: usize, o: isize| &base[f][PAD.wrapping_add_signed(o)..][..len];
        let (w, alnum) = (near(LN_WORDS, 0), near(END_ALNUM, 0));
        own[R + 3][..len].fill(ln_lines);
        own[R + 4][..len].fill(sentence_share);
        for ((v, &a), &w) in own[R + 6][..len].iter_mut().zip(alnum).zip(w) {
            *v = a * w;
        }
        // Interactions a linear model cannot form itself: an unpunctuated line between two
        // paragraphs is a subheading when short, a related headline or caption when long; a
        // paragraph break missing where the page otherwise has them sets a line apart. (The
        // padding is not prose.)
        let between = near(SENTENCE_LIKE, -1)
            .iter()
            .zip(near(SENTENCE_LIKE, 1))
            .map(|(&before, &after)| flag(before > 0.0 && after > 0.0));
        let (with_between, rest) = own[R + 7..].split_at_mut(1);
        for (((v, vw), between), (&a, &w)) in with_between[0][..len]
            .iter_mut()
            .zip(&mut rest[0][..len])
            .zip(between)
            .zip(alnum.iter().zip(w))
        {
            *v = a * between;
            *vw = a * between * w;
        }
        for (at, f) in [(R + 9, STOPWORD_SHARE), (R + 10, CAPITALIZED_SHARE)] {
            for ((v, &a), &x) in own[at][..len].iter_mut().zip(alnum).zip(near(f, 0)) {
                *v = a * x;
            }
        }
        for (at, f) in [(R + 11, BLANK_BEFORE), (R + 12, BLANK_AFTER)] {
            for (v, &x) in own[at][..len].iter_mut().zip(near(f, 0)) {
                *v = (1.0 - x) * blank_share;
            }
        }
        // How unlike its neighbours' word counts a line's is (2 for a neighbour off the page:
        // the lines at the page's ends are made again below).
        let unlike =
            |w: f32, before: f32, after: f32| ((w - before).abs() + (w - after).abs()) / 2.0;
        for (((v, &w), &before), &after) in own[L + 1][..len]
            .iter_mut()
            .zip(w)
            .zip(near(LN_WORDS, -1))
            .zip(near(LN_WORDS, 1))
        {
            *v = unlike(w, before, after);
        }
        for k in [0, len - 1] {
            let i = first + k;
            if i == 0 || i + 1 == n {
                let w = base[LN_WORDS][PAD + k];
                let diff = |on_page: bool, o: isize| {
                    if on_page {
                        (w - base[LN_WORDS][(PAD + k).wrapping_add_signed(o)]).abs()
                    } else {
                        2.0
                    }
                };
                own[L + 1][k] = (diff(i > 0, -1) + diff(i + 1 < n, 1)) / 2.0;
            }
        }
        blocks(&block);
        // The last `2 * PAD` entries (the lines after the block and its last `PAD` lines)
        // are the first of the next block's.
        for col in &mut block.base {
            let carried: [f32; 2 * PAD] = col[len..len + 2 * PAD].try_into().expect("2 * PAD");
            col[..2 * PAD].copy_from_slice(&carried);
        }
        made = 2 * PAD;
    }
    SPARE_BLOCK.with(|spare| *spare.borrow_mut() = Some(block));
}

thread_local! {
    /// The [`Block`] of the thread's last [`stage1_blocks`], for the next (taken while in
    /// use): its 17 KB are zeroed once, not for every page (clearing them for every page
    /// cost 1.75M instructions per copy of the benchmark pages, in memset). It carries no
    /// values from one page to another that are read as a line's: `stage1_blocks` writes
    /// every value of its lines before handing a block on, and the values past them that
    /// the classifier reads (to score sixteen lines at once) are dropped with their lanes.
    static SPARE_BLOCK: std::cell::RefCell<Option<Box<Block>>> = const { std::cell::RefCell::new(None) };
}

/// The `title_overlap` of line `i` (what its [`LineContext`] gave, unchanged) in the
/// stage-1 rows `x1` that [`stage1`] made: the one copy of it kept.
pub(crate) fn title_overlap(x1: &[f32], i: usize) -> f32 {
    x1[i * STAGE1_LEN + TITLE_OVERLAP]
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
    // Off the page the neighbours' probabilities are 0: `PAD` zeros on each side.
    let mut padded = Vec::with_capacity(n + 2 * PAD);
    padded.extend([0.0f32; PAD]);
    padded.extend_from_slice(p1);
    padded.extend([0.0f32; PAD]);
    let (near_means, far_means) = (window_means::<NEAR>(p1), window_means::<FAR>(p1));
    // The article's span as stage 1 sees it: the run of lines maximising the sum of
    // (p - 0.5); where a line stands relative to it says more than its own score.
    let mut span = RegionSearch::new();
    for p in p1 {
        span.add(p - 0.5);
    }
    // Each line's value, padded neighbours and window means walked together (no index, no
    // bounds check each), one array per line collected at once (no capacity test for each)
    // and flattened at the end.
    let lines = p1
        .iter()
        .zip(padded.windows(2 * PAD + 1))
        .zip(near_means.iter().zip(&far_means));
    let out: Vec<[f32; STAGE2_EXTRA]> = lines
        .enumerate()
        .map(|(i, ((&p, near), (&near_mean, &far_mean)))| {
            let dist = match span.best.1 {
                Some((a, _)) if i < a => a - i,
                Some((_, b)) if i > b => i - b,
                Some(_) => 0,
                None => n,
            };
            // Lines i - 2 ..= i + 2.
            let near: [f32; 2 * PAD + 1] = near.try_into().expect("five values");
            // The maximum over ±2, folded from 0, left to right (the same bits as the
            // test's fold).
            let mut max = 0.0f32;
            for v in near {
                max = max.max(v);
            }
            [
                flag(dist == 0),
                ln.ln_1p(dist),
                p,
                near[PAD - 2],
                near[PAD - 1],
                near[PAD + 1],
                near[PAD + 2],
                near_mean,
                far_mean,
                max,
            ]
        })
        .collect();
    out.into_flattened()
}

/// The mean of `p1` over the window of radius `R` around each line (cut at the edges of
/// the page), each sum added left to right from -0.0 as `Iterator::sum` adds (the same
/// bits). Four lines with whole windows are summed at once, one per lane: their windows
/// are the same values shifted by one, so each step adds four neighbouring values.
fn window_means<const R: usize>(p1: &[f32]) -> Vec<f32> {
    const LANES: usize = 4;
    let n = p1.len();
    let lines = 2 * R + 1;
    let mut out = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        if i >= R && i + LANES + R <= n {
            // The windows of lines i..i + 4, together.
            let w = &p1[i - R..i + LANES + R];
            let mut sums = [-0.0f32; LANES];
            for j in 0..lines {
                let four: [f32; LANES] = w[j..j + LANES].try_into().expect("LANES values");
                for (sum, p) in sums.iter_mut().zip(four) {
                    *sum += p;
                }
            }
            out.extend(sums.map(|sum| sum / lines as f32));
            i += LANES;
        } else {
            let (lo, hi) = (i.saturating_sub(R), (i + R + 1).min(n));
            out.push(p1[lo..hi].iter().fold(-0.0f32, |s, &p| s + p) / (hi - lo) as f32);
            i += 1;
        }
    }
    out
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
    fn ln_count_is_the_logarithm_bit_for_bit() {
        let ln = LnTable::get();
        for n in (1..5000).chain([65_535, 1 << 24, (1 << 24) + 1, u32::MAX]) {
            assert_eq!(ln_count(ln, n).to_bits(), (n as f32).ln().to_bits(), "{n}");
        }
    }

    #[test]
    fn the_table_keeps_the_order_of_counts() {
        // What lets `median_ln_chars` select among counts rather than floats.
        let ln = LnTable::get();
        for n in 1..LnTable::SMALL {
            assert!(ln.ln_1p(n - 1) < ln.ln_1p(n), "{n}");
        }
        assert!(ln.ln_1p(LnTable::SMALL - 1) < ln.ln_1p(LnTable::SMALL));
    }

    #[test]
    fn the_median_is_that_of_the_floats() {
        let ln = LnTable::get();
        for text in [PAGE, "a\nbb bb\nccc\n", "x\n"] {
            let mut doc = segment(text);
            for long in [false, true] {
                if long {
                    // Most lines beyond the table: the floats' own selection.
                    for (k, l) in doc.lines.iter_mut().enumerate() {
                        l.stats.chars = 5000 + 7 * k as u32;
                    }
                }
                let mut all: Vec<f32> = doc
                    .lines
                    .iter()
                    .map(|l| ln.ln_1p(l.stats.chars as usize))
                    .collect();
                all.sort_by(f32::total_cmp);
                let want = all[all.len() / 2];
                assert_eq!(median_ln_chars(&doc, ln).to_bits(), want.to_bits());
            }
        }
    }

    #[test]
    fn vectors_have_the_declared_width() {
        let doc = segment(PAGE);
        let x1 = stage1(&doc, |_| LineContext::default());
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
        // Pages of every length modulo four around the whole windows of four lines.
        for n in [
            0, 1, 2, 5, 7, 8, 10, 11, 12, 13, 20, 21, 22, 23, 24, 25, 26, 27, 30, 60,
        ] {
            let p1 = &p1[..n];
            let extras = stage2_extras(p1);
            assert_eq!(extras.len(), n * STAGE2_EXTRA);
            for i in 0..n {
                for (k, r) in [(7, NEAR), (8, FAR)] {
                    let (lo, hi) = (i.saturating_sub(r), (i + r + 1).min(n));
                    let mean = p1[lo..hi].iter().sum::<f32>() / (hi - lo) as f32;
                    assert_eq!(extras[i * STAGE2_EXTRA + k].to_bits(), mean.to_bits());
                }
                // The neighbours at -2, -1, +1, +2 (0 off the page) and the maximum over
                // the five, folded from 0.
                let at = |j: usize| p1.get(j).copied().unwrap_or(0.0);
                let near = [
                    at(i.wrapping_sub(2)),
                    at(i.wrapping_sub(1)),
                    at(i + 1),
                    at(i + 2),
                ];
                let row = &extras[i * STAGE2_EXTRA..(i + 1) * STAGE2_EXTRA];
                assert_eq!(row[3..7], near);
                let max = near.iter().fold(p1[i].max(0.0), |m, &v| m.max(v));
                assert_eq!(row[9].to_bits(), max.to_bits());
            }
        }
    }

    #[test]
    fn neighbours_are_the_lines_around_or_zeros_off_the_page() {
        // A page of one block, and one of several (whose bases are made a block at a
        // time, the lines around a block's edges carried over to the next).
        let long: String = (0..150)
            .map(|i| match i % 7 {
                0 => "Menu\n\n".to_string(),
                1 | 4 => format!("A sentence of some length, number {i}, that ends here.\n"),
                _ => format!("Item {i} {}\n", "word ".repeat(i % 13)),
            })
            .collect();
        // The short page again after the long one: its blocks' storage (kept for the next
        // page of the thread) then holds the long page's values.
        for text in [PAGE, &long, PAGE] {
            let doc = segment(text);
            let n = doc.lines.len();
            let ctx = |i: usize| LineContext {
                rule: i % 3 == 0,
                title_overlap: (i % 4) as f32 / 4.0,
                ..LineContext::default()
            };
            let x1 = stage1(&doc, ctx);
            let rows: Vec<&[f32]> = x1.chunks_exact(STAGE1_LEN).collect();
            let (ln, median) = (LnTable::get(), median_ln_chars(&doc, LnTable::get()));
            for i in 0..n {
                // The base is the line's own (no comments or related-links rules here,
                // so no sections either).
                let own = base(
                    &doc.lines[i],
                    ctx(i),
                    (false, false),
                    i as f32 / n as f32,
                    median,
                    ln,
                );
                let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
                assert_eq!(bits(&rows[i][..BASE_LEN]), bits(&own), "line {i}");
                for (o, off) in OFFSETS.into_iter().enumerate() {
                    let got = &rows[i][BASE_LEN + o * NF_TEST..BASE_LEN + (o + 1) * NF_TEST];
                    let want: Vec<f32> = match i.checked_add_signed(off).filter(|&j| j < n) {
                        Some(j) => NEIGHBOUR_FEATURES.iter().map(|&f| rows[j][f]).collect(),
                        None => vec![0.0; NF_TEST],
                    };
                    assert_eq!(got, want, "line {i} offset {off}");
                }
                // How unlike its neighbours' word counts the line's is (2 off the page).
                let w = rows[i][LN_WORDS];
                let diff = |j: Option<usize>| match j.filter(|&j| j < n) {
                    Some(j) => (w - rows[j][LN_WORDS]).abs(),
                    None => 2.0,
                };
                let unlike = (diff(i.checked_sub(1)) + diff(Some(i + 1))) / 2.0;
                assert_eq!(rows[i][REST_AT + REST_LEN + 1].to_bits(), unlike.to_bits());
                // The window means: differences of the prefix sums of the lines' values,
                // added from 0 in line order, over the window cut at the page's ends.
                for (r_at, r) in RADII.into_iter().enumerate() {
                    let (lo, hi) = (i.saturating_sub(r), (i + r + 1).min(n));
                    for (k, &f) in WINDOW_FEATURES.iter().enumerate() {
                        let upto = |j: usize| rows[..j].iter().fold(0.0f32, |s, row| s + row[f]);
                        let mean = (upto(hi) - upto(lo)) / (hi - lo) as f32;
                        let got = rows[i][WINDOWS_AT + r_at * WINDOW_FEATURES.len() + k];
                        assert_eq!(got.to_bits(), mean.to_bits(), "line {i}, radius {r}");
                    }
                }
            }
        }
    }

    const NF_TEST: usize = NEIGHBOUR_FEATURES.len();

    #[test]
    fn rows_come_in_whole_blocks_in_order() {
        // Blocks of `BLOCK_ROWS` rows but the last, each row whole; together, the rows of
        // `stage1` (the neighbours' test above checks them against the lines).
        for lines in [0, 1, 2, 63, 64, 65, 128, 130] {
            let text: String = (0..lines)
                .map(|i| format!("Line {i} has {} words.\n", "many ".repeat(i % 11)))
                .collect();
            let doc = segment(&text);
            assert_eq!(doc.lines.len(), lines);
            let ctx = |i: usize| LineContext {
                rule: i % 5 == 0,
                title_overlap: (i % 3) as f32 / 3.0,
                comments_rule: i == 70,
                related_rule: i % 40 == 7,
            };
            let mut sizes = Vec::new();
            let mut joined = Vec::new();
            stage1_blocks(&doc, ctx, |block| {
                sizes.push(block.len());
                block.rows_onto(&mut joined);
            });
            let want: Vec<usize> = (0..lines)
                .step_by(BLOCK_ROWS)
                .map(|first| (lines - first).min(BLOCK_ROWS))
                .collect();
            assert_eq!(sizes, want, "{lines} lines");
            assert_eq!(joined.len(), lines * STAGE1_LEN);
            // Each row's base in place (no row shifted or swapped), with the sections: after
            // a comments rule, within ten lines after a related-links rule.
            if lines == 0 {
                continue;
            }
            let (ln, median) = (LnTable::get(), median_ln_chars(&doc, LnTable::get()));
            for (i, row) in joined.chunks_exact(STAGE1_LEN).enumerate() {
                let section = (
                    (0..i).any(|j| ctx(j).comments_rule),
                    (i.saturating_sub(10)..i).any(|j| ctx(j).related_rule),
                );
                let own = base(
                    &doc.lines[i],
                    ctx(i),
                    section,
                    i as f32 / lines as f32,
                    median,
                    ln,
                );
                let bits = |x: &[f32]| x.iter().map(|v| v.to_bits()).collect::<Vec<u32>>();
                assert_eq!(
                    bits(&row[..BASE_LEN]),
                    bits(&own),
                    "{lines} lines, line {i}"
                );
            }
        }
    }

    #[test]
    fn the_densest_region_covers_the_prose() {
        // Its `inside` feature, the first of the rest of the row.
        let doc = segment(PAGE);
        let inside: Vec<f32> = stage1(&doc, |_| LineContext::default())
            .chunks_exact(STAGE1_LEN)
            .map(|row| row[REST_AT])
            .collect();
        assert_eq!(inside, [0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
    }

    #[test]
    fn row_parts_are_named_where_they_stand() {
        for (at, name) in [
            (LN_CHARS, "ln_chars"),
            (END_OTHER, "end_other"),
            (UPPER_SHARE, "upper_share"),
            (DIGIT_SHARE, "digit_share"),
            (COMMAS_PER_WORD, "commas_per_word"),
            (LN_INNER_SENTENCES, "ln_inner_sentences"),
            (HAS_QUOTES, "has_quotes"),
            (BULLET, "bullet"),
            (COPYRIGHT, "copyright"),
            (LINK, "link"),
            (LN_REPEATS, "ln_repeats"),
            (SHORT, "short"),
            (POSITION, "position"),
            (LN_CHARS_VS_MEDIAN, "ln_chars_vs_median"),
            (LETTER_SHARE, "letter_share"),
            (COMMENTS_RULE, "comments_rule"),
            (AFTER_COMMENTS, "after_comments"),
            (RECENT_RELATED, "recent_related"),
            (LN_WORDS, "ln_words"),
            (STOPWORD_SHARE, "stopword_share"),
            (END_SENTENCE, "end_sentence"),
            (END_COLON, "end_colon"),
            (END_ALNUM, "end_alnum"),
            (CAPITALIZED_SHARE, "capitalized_share"),
            (SEPARATOR_SHARE, "separator_share"),
            (BLANK_BEFORE, "blank_before"),
            (BLANK_AFTER, "blank_after"),
            (RULE, "rule"),
            (SENTENCE_LIKE, "sentence_like"),
            (TITLE_OVERLAP, "title_overlap"),
        ] {
            assert_eq!(BASE_NAMES[at], name);
        }
    }
}
