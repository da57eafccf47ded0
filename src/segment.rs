//! Stage 3: split normalized text into lines, with the facts about each line that the
//! classifier needs (words, stopwords, punctuation, case, layout, repeats).
//!
//! Everything here is a property of one line and the blank lines around it; what depends
//! on the neighbours (windows, the article's densest region) is computed in `classify`.

use std::hash::{BuildHasherDefault, Hasher};

use crate::chars;
use crate::language::{self, AsciiAlnumLookup, StopWords, KEEP_LOW};
use crate::swar::{
    ascii_classes16, ascii_punct16, count16, first_lane, lane_count, lanes_eq, lanes_in,
    letter_marks16, AsciiClasses, ChunkWords, HIGH, ONES,
};

/// A small, fast, non-cryptographic hasher (FxHash's multiply-rotate) for the per-document
/// maps of lines and words: SipHash's flooding resistance is not needed for them and
/// showed in profiles.
#[derive(Default, Clone, Copy)]
pub(crate) struct FxHasher {
    hash: u64,
}

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FxHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED);
    }
}

impl Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            self.add(u64::from_le_bytes(c.try_into().expect("8 bytes")));
        }
        let rest = chunks.remainder().len();
        if rest > 0 {
            self.add(crate::swar::tail_word(bytes, rest));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.hash
    }
}

/// `BuildHasher` for [`FxHasher`].
pub(crate) type FxBuild = BuildHasherDefault<FxHasher>;

/// How a line ends, the strongest single sign of prose.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineEnd {
    /// `.` `!` `?` `…` `。` and their CJK forms, possibly followed by a closing quote or bracket.
    Sentence,
    /// `:`, typical of labels and of a lead-in to a quote or list.
    Colon,
    /// A letter or digit: headlines, menu entries, names.
    Alnum,
    /// Anything else (`,` `;` `|` `»` `-` ...).
    Other,
}

/// Counts and flags of one line.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LineStats {
    /// Characters (Unicode scalar values).
    pub chars: u32,
    /// Words: runs of letters/digits; in Chinese and Japanese, about one per two characters.
    pub words: u32,
    /// Share of words (characters, in Chinese and Japanese) that are stopwords, 0..1.
    pub stopword_share: f32,
    /// Words that start with an uppercase letter.
    pub capitalized: u32,
    /// Letters.
    pub letters: u32,
    /// Uppercase letters.
    pub upper: u32,
    /// Decimal digits.
    pub digits: u32,
    /// Characters typical of menus and breadcrumbs: `| • · » « > / \ _ = + * # @ ~`.
    pub separators: u32,
    /// Commas (`,` `，` `、`).
    pub commas: u32,
    /// Sentence ends inside the line (`. ` `! ` `? ` followed by more text).
    pub inner_sentences: u32,
    /// Quote marks (`"` `“` `”` `«` `»` `„`).
    pub quotes: u32,
    /// How the line ends.
    pub end: Option<LineEnd>,
    /// The line starts like a list item (`-` `•` `*` `1.` `1)`).
    pub bullet: bool,
    /// The line has `©`, `(c)` or "copyright".
    pub copyright: bool,
    /// The line has an address or e-mail (`http`, `www.`, `@`).
    pub link: bool,
    /// How many lines of the document are exactly this line (1 when unique).
    pub repeats: u32,
}

/// One non-blank line of the document.
#[derive(Debug, Clone)]
pub struct Line {
    /// The line's text, trimmed.
    pub text: String,
    /// Whether a blank line (or the start of the document) comes before it.
    pub blank_before: bool,
    /// Whether a blank line (or the end of the document) comes after it.
    pub blank_after: bool,
    /// Whether two blank lines come after it (a wider break: the end of a block).
    pub wide_gap_after: bool,
    /// Counts and flags.
    pub stats: LineStats,
}

/// A segmented document: its non-blank lines in order, and its language.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The non-blank lines.
    pub lines: Vec<Line>,
    /// The document's language (ISO 639-1), when it could be told.
    pub lang: Option<&'static str>,
}

/// Splits `text` (normalized: `\n` line ends, lines trimmed) into non-blank lines with
/// their statistics.
pub fn segment(text: &str) -> Document {
    segment_with(text, false, |_| NoFilter).0
}

/// [`segment`] of `text` with the final newline that normalizing adds to a non-empty text
/// without one: for text that needs nothing else, which then need not be copied to add it.
#[cfg(test)]
pub(crate) fn segment_terminated(text: &str) -> Document {
    segment_with(text, true, |_| NoFilter).0
}

/// [`segment`] of `text` with the final newline that normalizing adds to a non-empty text
/// without one (for text that needs nothing else, which then need not be copied to add
/// it), and with the first [`WordFilter::words_per_line`] words of every line shown to a filter that `make` builds from the first non-blank line (before any
/// line is read): the filter, and for each line of the document how many of those words
/// it took, or [`UNREAD`] for a line whose words are not the filter's (see
/// [`WordFilter`]). Copies of a line get the first copy's count.
pub(crate) fn segment_terminated_filtered<F: WordFilter>(
    text: &str,
    make: impl FnOnce(&str) -> F,
) -> (Document, F, Vec<u8>) {
    segment_with(text, true, make)
}

/// What [`segment_terminated_filtered`] shows a word filter of each line: its first words,
/// as they are found (from keys already made for the stopword lookups, with no second
/// walk over the line). The words are runs of characters that are `is_alphanumeric`;
/// a line with Chinese or Japanese characters (which segment counts apart and which end
/// its words) is not shown, and is [`UNREAD`].
pub(crate) trait WordFilter {
    /// Whether the filter reads any word: [`NoFilter`]'s does not, and no counts are kept.
    const READS: bool;
    /// How many words of a line, from its start, the filter is shown (under [`UNREAD`]).
    fn words_per_line(&self) -> u32;
    /// Whether to take the ASCII word of one to eight letters and digits whose key is
    /// `key`: its bytes with bit 5 set (lowercase letters), zeros after them.
    fn take_key(&self, key: u64) -> bool;
    /// Whether to take the word `w` of ASCII letters and digits (over eight bytes, most).
    fn take_ascii(&self, w: &[u8]) -> bool;
    /// Whether to take the word `w`, which has letters or digits outside ASCII.
    fn take_other(&mut self, w: &str) -> bool;
}

/// A line whose words a [`WordFilter`] was not shown.
pub(crate) const UNREAD: u8 = u8::MAX;

/// The filter of plain [`segment`]: reads nothing.
pub(crate) struct NoFilter;

impl WordFilter for NoFilter {
    const READS: bool = false;
    fn words_per_line(&self) -> u32 {
        0
    }
    fn take_key(&self, _: u64) -> bool {
        false
    }
    fn take_ascii(&self, _: &[u8]) -> bool {
        false
    }
    fn take_other(&mut self, _: &str) -> bool {
        false
    }
}

fn segment_with<F: WordFilter>(
    text: &str,
    terminate: bool,
    make: impl FnOnce(&str) -> F,
) -> (Document, F, Vec<u8>) {
    let (mut raw, non_blank) = split_lines(text);
    if terminate && !text.is_empty() && !text.ends_with('\n') {
        // The empty line after that newline: the language sample can take it.
        raw.push("");
    }
    let lang = language::detect(&language_sample(&raw));
    let stop = language::stopwords(lang.unwrap_or("en"));
    // The first line (the title) is known before any is read: every line, its own copies
    // too, is shown to the filter as it is scanned.
    let mut filter = make(raw.iter().copied().find(|l| !l.is_empty()).unwrap_or(""));
    let budget = filter.words_per_line();
    assert!(budget < u32::from(UNREAD), "{budget} words a line");
    // Each distinct line gets a slot counting its copies: one hash lookup per line; the
    // counts are complete only after the last line, so they are filled in at the end (till
    // then each line's `repeats` holds its slot).
    let mut slots = LineSlots::with_capacity(non_blank);
    let mut lines: Vec<Line> = Vec::with_capacity(non_blank);
    let mut scratch = Scratch::default();
    // The blank lines since the last non-blank one, the start of the document counting as
    // one: a line's `blank_before`, and its predecessor's `blank_after` and
    // `wide_gap_after`, set once the gap is known (rather than looked up ahead with bounds
    // tests for every line). A `usize`: at most one more than the lines, so it cannot
    // overflow.
    let mut gap: usize = 1;
    for l in &raw {
        if l.is_empty() {
            gap += 1;
            continue;
        }
        if let Some(prev) = lines.last_mut() {
            prev.blank_after = gap > 0;
            prev.wide_gap_after = gap > 1;
        }
        let slot = slots.slot(l, lines.len() as u32);
        let seen = &mut slots.seen[slot as usize];
        seen.copies += 1;
        // A repeated line's statistics depend only on its text: later copies take them
        // from the first instead of scanning it again.
        let mut stats = if seen.copies == 1 {
            let stats = line_stats_with(l, stop, &mut scratch, &mut filter, budget);
            // Kept with the slot (in its padding) till the lines' counts are gathered.
            seen.taken = scratch.taken;
            stats
        } else {
            lines[seen.first as usize].stats.clone()
        };
        stats.repeats = slot;
        // Defaults the last line keeps: the end counts as a blank line after; its wide gap
        // is set after the loop when two or more blank lines end the document.
        lines.push(Line {
            text: (*l).to_string(),
            blank_before: std::mem::replace(&mut gap, 0) > 0,
            blank_after: true,
            wide_gap_after: false,
            stats,
        });
    }
    if let Some(last) = lines.last_mut() {
        last.wide_gap_after = gap > 1;
    }
    // Made once the lines are read (not grown beside them), copies taking their slot's.
    let mut hits: Vec<u8> = Vec::with_capacity(if F::READS { lines.len() } else { 0 });
    for line in &mut lines {
        let seen = &slots.seen[line.stats.repeats as usize];
        // Every line counted itself in its slot: a 0 would be another line's slot number.
        debug_assert!(
            seen.copies >= 1,
            "slot {} has no copies",
            line.stats.repeats
        );
        line.stats.repeats = seen.copies;
        if F::READS {
            hits.push(seen.taken);
        }
    }
    (Document { lines, lang }, filter, hits)
}

/// The distinct lines of a document, each with the number [`segment`] gave it: an
/// open-addressing table of slots, cheaper per line than a `HashMap` (one hash of the
/// bytes, no hashing of a length suffix).
struct LineSlots<'a> {
    /// Power-of-two many entries: `slot + 1`; 0 is empty. Four bytes each, not eight with
    /// the hash tag beside the slot: the table is zeroed for every document, and its
    /// zeroing cost more than the tag's load from the slot's line on a probe.
    entries: Vec<u32>,
    /// Each slot's line.
    seen: Vec<SeenLine<'a>>,
    /// `64 - log2(entries.len())`: the hash's top bits pick the first entry.
    shift: u32,
}

/// A distinct line of a document: its text, how many lines are copies of it so far, and
/// the first of them (its index in [`Document::lines`]).
struct SeenLine<'a> {
    text: &'a str,
    /// The low 32 bits of the line's hash: settles probes that meet another line of the
    /// same length without comparing bytes.
    tag: u32,
    copies: u32,
    first: u32,
    /// What the word filter took of the line's first words (see [`segment_with`]).
    taken: u8,
}

impl<'a> LineSlots<'a> {
    fn with_capacity(lines: usize) -> Self {
        // At most half full.
        let len = (lines * 2).next_power_of_two().max(16);
        LineSlots {
            entries: vec![0; len],
            seen: Vec::with_capacity(lines),
            shift: 64 - len.trailing_zeros(),
        }
    }

    /// The slot of `line`, numbered from 0 in the order lines are first seen; a new line's
    /// is the line numbered `first` of the document, with no copies counted.
    #[inline]
    fn slot(&mut self, line: &'a str, first: u32) -> u32 {
        let hash = line_hash(line.as_bytes());
        let tag = hash as u32;
        let mask = self.entries.len() - 1;
        let mut i = (hash >> self.shift) as usize;
        loop {
            let entry = self.entries[i];
            if entry == 0 {
                let slot = self.seen.len() as u32;
                self.seen.push(SeenLine {
                    text: line,
                    tag,
                    copies: 0,
                    first,
                    taken: 0,
                });
                self.entries[i] = slot + 1;
                return slot;
            }
            let slot = entry - 1;
            let seen = &self.seen[slot as usize];
            if seen.tag == tag && seen.text == line {
                return slot;
            }
            i = (i + 1) & mask;
        }
    }
}

/// The hash of a line for [`LineSlots`]: sixteen bytes a step, their two words folded into
/// one (half the multiplies of hashing eight at a time; a weaker mix only lengthens
/// probes, as the tag and the text are compared anyway), and the bytes after the last
/// step from the line's last sixteen (or eight) bytes, which may overlap those hashed
/// already: equal lines still hash the same, and no loop or branch depends on how many
/// bytes are left over (such branches mispredicted about once a line).
#[inline(always)]
fn line_hash(bytes: &[u8]) -> u64 {
    let word = |b: &[u8]| u64::from_le_bytes(b.try_into().expect("8 bytes"));
    let pair = |b: &[u8]| word(&b[..8]) ^ word(&b[8..16]).rotate_left(29);
    let mut hasher = FxHasher::default();
    let n = bytes.len();
    if n >= 16 {
        for p in bytes.chunks_exact(16) {
            hasher.add(pair(p));
        }
        hasher.add(pair(&bytes[n - 16..]));
    } else if n >= 8 {
        hasher.add(word(&bytes[..8]) ^ word(&bytes[n - 8..]).rotate_left(29));
    } else if n > 0 {
        hasher.add(crate::swar::tail_word(bytes, n));
    }
    hasher.finish().wrapping_mul(FX_SEED)
}

/// `text.split('\n').map(str::trim)` and how many of the lines are not empty, sixty-four
/// bytes at a time.
fn split_lines(text: &str) -> (Vec<&str>, usize) {
    let bytes = text.as_bytes();
    // Room for a line every 16 bytes (nine in ten documents have longer ones on average):
    // growing the list as it fills copied it over and over.
    let mut lines = Vec::with_capacity(text.len() / 16 + 1);
    let mut non_blank = 0;
    // A function, not a closure, so that `push_lines` can call it too (a closure would hold
    // the borrows of `lines` and `non_blank` that `push_lines` takes as arguments).
    #[inline(always)]
    fn push_line<'a>(lines: &mut Vec<&'a str>, non_blank: &mut usize, line: &'a str) {
        let line = trim(line);
        *non_blank += usize::from(!line.is_empty());
        lines.push(line);
    }
    let mut start = 0;
    // Sixty-four bytes a step: every newline of four blocks of sixteen from one bit mask
    // (lines are some fifty bytes long on average; a step per block cost more in loop
    // overhead than the masks themselves).
    let mut i = 0;
    let eq = |b: &[u8], k: usize| -> u64 {
        let block: &[u8; 16] = b[16 * k..16 * k + 16].try_into().expect("16 bytes");
        u64::from(crate::swar::eq_mask16(block, b'\n')) << (16 * k)
    };
    // The lines that end at the newlines of a step at `i` (bit `k` for byte `i + k`); a
    // function, as `push_line`.
    #[inline(always)]
    fn push_lines<'a>(
        lines: &mut Vec<&'a str>,
        non_blank: &mut usize,
        text: &'a str,
        start: &mut usize,
        i: usize,
        mut newlines: u64,
    ) {
        while newlines != 0 {
            let end = i + newlines.trailing_zeros() as usize;
            push_line(lines, non_blank, &text[*start..end]);
            *start = end + 1;
            newlines &= newlines - 1;
        }
    }
    for block in bytes.chunks_exact(64) {
        let newlines = eq(block, 0) | eq(block, 1) | eq(block, 2) | eq(block, 3);
        push_lines(&mut lines, &mut non_blank, text, &mut start, i, newlines);
        i += 64;
    }
    // The rest, sixteen bytes a step.
    for block in bytes[i..].chunks_exact(16) {
        push_lines(
            &mut lines,
            &mut non_blank,
            text,
            &mut start,
            i,
            eq(block, 0),
        );
        i += 16;
    }
    for (j, &b) in bytes.iter().enumerate().skip(i) {
        if b == b'\n' {
            push_line(&mut lines, &mut non_blank, &text[start..j]);
            start = j + 1;
        }
    }
    push_line(&mut lines, &mut non_blank, &text[start..]);
    (lines, non_blank)
}

/// `str::trim`, without its work when the line starts and ends with an ASCII byte that is
/// not a space (every Unicode space is either ASCII up to `' '` or not ASCII). Also the
/// rules' trim (`RuleSet::match_line`): most lines come trimmed.
#[inline]
pub(crate) fn trim(line: &str) -> &str {
    match line.as_bytes() {
        [first, .., last] if (0x21..0x80).contains(first) && (0x21..0x80).contains(last) => line,
        [only] if (0x21..0x80).contains(only) => line,
        // Blank lines, about a third of a document's: nothing to trim, no call.
        [] => line,
        _ => line.trim(),
    }
}

/// The longer lines of the document, up to the [`language::DETECT_MAX_BYTES`] that
/// detection looks at: prose tells the language, menus mislead whatlang.
fn language_sample(lines: &[&str]) -> String {
    // Lines are taken while the sample is shorter than this; only its head is looked at.
    let sample_bytes = language::DETECT_MAX_BYTES;
    // A pass over the long lines that gives at least this much is enough.
    const ENOUGH: usize = 1024;
    let mut sample = String::with_capacity(sample_bytes + 256);
    for min_len in [80, 20, 0] {
        for l in lines.iter().filter(|l| l.len() >= min_len) {
            if sample.len() >= sample_bytes {
                return sample;
            }
            let room = sample_bytes + 4 - sample.len();
            if l.len() >= room {
                // Only the head is looked at: copy what can be (up to a character boundary
                // past the limit; detect cuts at the limit anyway).
                let mut end = room.min(l.len());
                while !l.is_char_boundary(end) {
                    end += 1;
                }
                sample.push_str(&l[..end]);
                return sample;
            }
            sample.push_str(l);
            sample.push('\n');
        }
        if sample.len() >= ENOUGH {
            break;
        }
    }
    sample
}

fn is_cjk(c: char) -> bool {
    let u = c as u32;
    // One test for the characters before kana (Latin, Greek, Cyrillic, punctuation),
    // which the compiler otherwise tests against all four ranges.
    u >= 0x3040
        && matches!(u,
        0x3040..=0x30FF   // kana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF)
}

/// Computes the statistics of one trimmed, non-empty line.
pub fn line_stats(line: &str, stop: &StopWords) -> LineStats {
    line_stats_with(line, stop, &mut Scratch::default(), &mut NoFilter, 0)
}

/// Classes of ASCII bytes for [`line_stats_with`]: one table lookup answers what the
/// Unicode predicates answer for non-ASCII characters.
pub(crate) const ALPHA: u8 = 1;
const UPPER: u8 = 2;
pub(crate) const DIGIT: u8 = 4;
const SEPARATOR: u8 = 8;
const COMMA: u8 = 16;
const QUOTE: u8 = 32;
/// Punctuation of a copyright or link mark (`@`, the `(` of `(c)`, the `.` of `www.`).
const MARK: u8 = 64;

/// The class of every byte; 0 for the bytes of non-ASCII characters (language ID's
/// quick pass reads its letter and digit bits too).
pub(crate) const BYTE_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = if c.is_ascii_uppercase() {
            ALPHA | UPPER
        } else if c.is_ascii_lowercase() {
            ALPHA
        } else if c.is_ascii_digit() {
            DIGIT
        } else {
            let mut class = match c {
                b',' => COMMA,
                b'"' => QUOTE,
                _ => 0,
            };
            let mut k = 0;
            while k < crate::swar::PUNCT_SEPARATORS.len() {
                if crate::swar::PUNCT_SEPARATORS[k] == c {
                    class = SEPARATOR;
                }
                k += 1;
            }
            class
        };
        if matches!(c, b'@' | b'(' | b'.') {
            t[b] |= MARK;
        }
        b += 1;
    }
    t
};

/// Looks for a copyright or link mark at the punctuation byte `bytes[at]`, which has the
/// [`MARK`] class.
#[inline]
fn mark(bytes: &[u8], at: usize, copyright: &mut bool, link: &mut bool) {
    match bytes[at] {
        b'@' => *link = true,
        b'(' => *copyright |= starts_ignore_ascii_case(&bytes[at..], b"(c)"),
        _ => *link |= at >= 3 && bytes[at - 3..at].eq_ignore_ascii_case(b"www"),
    }
}

/// `VALID_LANES[k]`: the high bits of the first `k` lanes.
const VALID_LANES: [u64; 9] = {
    let mut t = [0u64; 9];
    let mut k = 1;
    while k < 9 {
        t[k] = t[k - 1] | (0x80 << ((k - 1) * 8));
        k += 1;
    }
    t
};

/// How many words [`Scan`] queues for their stopword lookups.
const WORD_QUEUE: usize = 32;

/// Marks the start of a queued word that is not all ASCII (no byte offset has this bit).
const NOT_ASCII: usize = 1 << (usize::BITS - 1);

/// Marks the start of a queued word to show the [`WordFilter`] (nor has any offset this
/// bit: offsets are at most `isize::MAX`).
const SHOWN: usize = 1 << (usize::BITS - 2);

/// [`Scan::word_start`] when no word is open: no marked offset either (offsets are at
/// most `isize::MAX`).
const NO_WORD: usize = usize::MAX;

/// Buffers [`line_stats_with`] reuses from line to line.
struct Scratch {
    /// Words not yet looked up, `(start, end)`; the start marked with [`NOT_ASCII`] when
    /// the word is not all ASCII.
    queue: [(usize, usize); WORD_QUEUE],
    /// The lowercase of a word that is not all ASCII.
    lower: String,
    /// [`line_stats_with`]'s count of the words its filter took in the last line.
    taken: u8,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            queue: [(0, 0); WORD_QUEUE],
            lower: String::new(),
            taken: 0,
        }
    }
}

/// The state of [`line_stats_with`]'s pass over one line.
struct Scan<'a, F> {
    /// How many words of [`Scratch::queue`] are not yet looked up.
    queued: usize,
    /// The filter shown the line's first `budget` words, and how many it took.
    filter: &'a mut F,
    budget: u32,
    taken: u32,
    line: &'a str,
    /// The lookups of words of up to eight ASCII letters and digits, and the list
    /// ([`AsciiAlnumLookup::stop`]) for the others.
    lookup: AsciiAlnumLookup<'a>,
    /// The eight bytes before the next step with bit 5 set (the previous chunk's, or the
    /// upper half of the previous sixteen-byte block; see [`Scan::ascii_chunk`]), for the
    /// key of a word open before the step: the chunk before it ends where this one starts
    /// unless a character that is not ASCII came between (which marks or ends the word).
    prev_lower: u64,
    /// Where the last chunk of fewer than eight bytes starts: in a line shorter than
    /// eight bytes, the chunk of `prev_lower` at its end.
    last_at: usize,
    s: LineStats,
    stopwords: u32,
    cjk: u32,
    cjk_function: u32,
    /// Where the open word starts, marked with [`NOT_ASCII`] once it has a non-ASCII
    /// character (as queued); [`NO_WORD`] when no word is open.
    word_start: usize,
    /// The copyright and link marks: their needles start with an ASCII byte, so every
    /// match starts at a character.
    copyright: bool,
    link: bool,
}

impl<F: WordFilter> Scan<'_, F> {
    /// Closes the open word at `end` and queues it for the stopword lookups (its capital
    /// was counted where it started).
    #[inline(always)]
    fn end_word(&mut self, end: usize, scratch: &mut Scratch) {
        let start = std::mem::replace(&mut self.word_start, NO_WORD);
        self.queue_word(start, end, scratch);
    }

    /// Queues the word `start..end` (`start` marked with [`NOT_ASCII`] when it is not
    /// all ASCII).
    #[inline(always)]
    fn queue_word(&mut self, mut start: usize, end: usize, scratch: &mut Scratch) {
        // Counted now (words are counted in order: the count is the next word's place),
        // and shown to the filter when looked up if it is one of the first words.
        if self.s.words < self.budget {
            start |= SHOWN;
        }
        self.s.words += 1;
        scratch.queue[self.queued] = (start, end);
        self.queued += 1;
        if self.queued == WORD_QUEUE {
            self.look_up_words(scratch);
        }
    }

    /// Counts the stopwords among the queued words (counted as words when queued), and
    /// empties the queue. Most words are looked up in the byte scan, from the chunk's
    /// lanes; the queue holds the others (words with characters other than ASCII, words
    /// over eight bytes, and open words begun more than eight bytes back), which take the
    /// slower lookups: out of line, so that their registers stay out of the byte scan.
    #[inline(never)]
    fn look_up_words(&mut self, scratch: &mut Scratch) {
        let bytes = self.line.as_bytes();
        let lookup = &self.lookup;
        let mut stopwords = 0;
        let Scratch { queue, lower, .. } = scratch;
        let mut taken = 0;
        for &(marked, end) in &queue[..self.queued] {
            let start = marked & !(NOT_ASCII | SHOWN);
            let stopword = if marked & NOT_ASCII == 0 {
                if marked & SHOWN != 0 {
                    taken += u32::from(self.filter.take_ascii(&bytes[start..end]));
                }
                lookup.contains(bytes, start, end)
            } else {
                let w = &self.line[start..end];
                if marked & SHOWN != 0 {
                    taken += u32::from(self.filter.take_other(w));
                }
                other_word_is_stopword(w, self.lookup.stop(), lower)
            };
            stopwords += u32::from(stopword);
        }
        self.taken += taken;
        self.stopwords += stopwords;
        self.queued = 0;
    }

    /// The ASCII bytes `p..p + k` (1 to 8), which are the first `k` lanes of `x`: counted
    /// from lane masks, with a byte-by-byte look only at punctuation (bytes above the
    /// space that are no letter or digit) and at the letter `p` (in the marks `http` and
    /// `copyright`); the words of the chunk are keyed from its lanes.
    ///
    /// `FULL` says that `k` is 8, the common case: the compiler then drops the masks of
    /// the valid lanes.
    #[inline(always)]
    fn ascii_chunk<const FULL: bool>(&mut self, x: u64, p: usize, k: usize, scratch: &mut Scratch) {
        let bytes = self.line.as_bytes();
        let (k, valid) = if FULL { (8, HIGH) } else { (k, VALID_LANES[k]) };
        // Setting bit 5 lowercases letters and maps no other byte to one; a letter is
        // uppercase when its bit 5 (moved up to the lane's high bit) is clear.
        let lower = x | (ONES * 0x20);
        let alpha = lanes_in(lower, b'a', b'z') & valid;
        let upper = alpha & !(x << 2);
        let digit = lanes_in(x, b'0', b'9') & valid;
        let alnum = alpha | digit;
        self.s.chars += k as u32;
        self.s.letters += lane_count(alpha);
        // Most chunks of prose have no capital and no digit: a test instead of a count.
        if digit != 0 {
            self.s.digits += lane_count(digit);
        }
        // The bytes above the space that are not letters or digits (the control bytes count
        // for nothing below).
        let mut punct = valid & !alnum & x.wrapping_add(ONES * 0x5F);
        while punct != 0 {
            self.punct(bytes, p + first_lane(punct));
            punct &= punct - 1;
        }
        // `http` and `copyright` both have a `p` (a rare letter), at a known offset; the
        // `.` of `www.` is looked at with the other punctuation.
        // (Not skipped once both are found: testing the two flags cost more per chunk.)
        let mut ps = lanes_eq(lower, b'p') & alpha;
        while ps != 0 {
            self.letter_p(bytes, p + first_lane(ps));
            ps &= ps - 1;
        }
        // The words (the one open before the chunk may hold non-ASCII characters, its
        // start marked so; the others are all ASCII).
        let open = (self.word_start != NO_WORD).then_some(self.word_start);
        let words = ChunkWords::new(alnum, valid, open);
        if upper != 0 {
            self.s.upper += lane_count(upper);
            self.s.capitalized += lane_count(words.starts & upper);
        }
        let prev_lower = std::mem::replace(&mut self.prev_lower, lower);
        let open = words.each_split(
            p,
            &mut (&mut *self, &mut *scratch),
            |(scan, scratch), start, end| {
                scan.open_word(start, end, p, [prev_lower, lower], scratch)
            },
            |(scan, _), start, end| {
                // At most seven bytes, in this chunk.
                let (s, e) = (start - p, end - p);
                scan.count_key(language::chunk_key(lower, s, e - s));
            },
        );
        self.word_start = open.unwrap_or(NO_WORD);
    }

    /// Counts the punctuation byte `bytes[at]` (above the space, no letter or digit).
    #[inline(always)]
    fn punct(&mut self, bytes: &[u8], at: usize) {
        let b = bytes[at];
        let class = BYTE_CLASS[b as usize];
        if class & MARK != 0 {
            mark(bytes, at, &mut self.copyright, &mut self.link);
        }
        if class & SEPARATOR != 0 {
            self.s.separators += 1;
        } else if class & COMMA != 0 {
            self.s.commas += 1;
        } else if class & QUOTE != 0 {
            self.s.quotes += 1;
        } else if matches!(b, b'.' | b'!' | b'?') && bytes.get(at + 1) == Some(&b' ') {
            self.s.inner_sentences += 1;
        }
    }

    /// Looks for the marks `http` and `copyright` around the letter `p` at `bytes[at]`.
    #[inline(always)]
    fn letter_p(&mut self, bytes: &[u8], at: usize) {
        self.link |= at >= 3 && starts_ignore_ascii_case(&bytes[at - 3..], b"http");
        self.copyright |= at >= 2 && starts_ignore_ascii_case(&bytes[at - 2..], b"copyright");
    }

    /// [`ascii_chunk`](Self::ascii_chunk) of the sixteen bytes `block` at `p`, from bit
    /// masks of their classes (one bit a byte); `false`, with nothing counted, when the
    /// block is not all ASCII.
    #[inline(always)]
    fn ascii_block(&mut self, block: &[u8; 16], p: usize, scratch: &mut Scratch) -> bool {
        let Some(c) = ascii_classes16(block) else {
            return false;
        };
        self.ascii_block_of(block, &c, p, scratch);
        true
    }

    /// [`ascii_block`](Self::ascii_block) of the ASCII `block` whose classes are `c`.
    #[inline(always)]
    fn ascii_block_of(
        &mut self,
        block: &[u8; 16],
        c: &AsciiClasses,
        p: usize,
        scratch: &mut Scratch,
    ) {
        self.block_counts(block, c, p);
        let last = u64::from_le_bytes(block[8..].try_into().expect("8 bytes"));
        self.block_words::<16>(
            u64::from(c.alpha | c.digit),
            u64::from(c.upper),
            last,
            p,
            scratch,
        );
    }

    /// [`ascii_block`](Self::ascii_block) of the thirty-two bytes `block` at `p`: how many
    /// bytes it took, 32 when all are ASCII, 16 when only the first sixteen are, else 0.
    /// The words of both halves are found in one pass over their masks: a pass ends in
    /// a mispredicted branch about once (the number of words varies, in no pattern), and
    /// that is per thirty-two bytes then, not sixteen.
    #[inline(always)]
    fn ascii_block32(&mut self, block: &[u8; 32], p: usize, scratch: &mut Scratch) -> usize {
        let (lo, hi) = block.split_at(16);
        let lo: &[u8; 16] = lo.try_into().expect("16 bytes");
        let hi: &[u8; 16] = hi.try_into().expect("16 bytes");
        let Some(c0) = ascii_classes16(lo) else {
            return 0;
        };
        let Some(c1) = ascii_classes16(hi) else {
            self.ascii_block_of(lo, &c0, p, scratch);
            return 16;
        };
        self.block_counts(lo, &c0, p);
        self.block_counts(hi, &c1, p + 16);
        let last = u64::from_le_bytes(hi[8..].try_into().expect("8 bytes"));
        self.block_words::<32>(
            u64::from(c0.alpha | c0.digit) | (u64::from(c1.alpha | c1.digit) << 16),
            u64::from(c0.upper) | (u64::from(c1.upper) << 16),
            last,
            p,
            scratch,
        );
        32
    }

    /// Counts all but the words of the sixteen ASCII bytes `block` at `p`, whose classes
    /// are `c`.
    #[inline(always)]
    fn block_counts(&mut self, block: &[u8; 16], c: &AsciiClasses, p: usize) {
        let bytes = self.line.as_bytes();
        self.s.chars += 16;
        self.s.letters += c.letters_upper & 31;
        if c.digit != 0 {
            self.s.digits += c.digit.count_ones();
        }
        // Counted whether or not the block has a capital: a branch on that mispredicted
        // some 14,000 times per copy of the benchmark pages (callgrind's branch
        // simulation), a capital being in about one block in four, in no pattern.
        self.s.upper += c.letters_upper >> 5;
        // The punctuation counted from masks: a walk over each punctuation byte (as
        // `ascii_chunk` does) branched on the text, mispredicting for most blocks of prose.
        // Most blocks of prose have none (some two in three of the benchmark pages'):
        // then only the `p` of a mark is looked for.
        let mut look = if c.punct == 0 {
            letter_marks16(block)
        } else {
            let punct = ascii_punct16(block, bytes.get(p + 16) == Some(&b' '));
            self.s.separators += punct.separators;
            self.s.commas += punct.commas;
            self.s.quotes += punct.quotes;
            self.s.inner_sentences += punct.sentences;
            punct.look
        };
        // Only the bytes where a mark may be found, few and most blocks none.
        while look != 0 {
            let at = p + look.trailing_zeros() as usize;
            if bytes[at] | 0x20 == b'p' {
                self.letter_p(bytes, at);
            } else {
                mark(bytes, at, &mut self.copyright, &mut self.link);
            }
            look &= look - 1;
        }
    }

    /// The words of the `N` (16 or 32) ASCII bytes at `p`, whose letters and digits are
    /// the bits of `alnum` and uppercase letters those of `upper` (bit `k` for byte
    /// `p + k`), and whose last eight bytes are `last`: counted, and capitalized ones
    /// counted, as `BlockWords` pairs them (a start is a letter or digit after another
    /// byte or the open word's, an end another byte after one).
    #[inline(always)]
    fn block_words<const N: usize>(
        &mut self,
        alnum: u64,
        upper: u64,
        last: u64,
        p: usize,
        scratch: &mut Scratch,
    ) {
        let bytes = self.line.as_bytes();
        let open = self.word_start != NO_WORD;
        let before = (alnum << 1) | u64::from(open);
        let block_starts = alnum & !before;
        let mut ends = !alnum & before & ((1 << N) - 1);
        // From a table of the bytes' one bits, not a loop over them: a loop branched on
        // how many there are, mispredicting some 11,000 times per copy of the benchmark
        // pages.
        let capitals = block_starts & upper;
        self.s.capitalized += count16((capitals & 0xFFFF) as u32);
        if N > 16 {
            self.s.capitalized += count16((capitals >> 16) as u32);
        }
        // The last eight bytes lowercased: the chunk before the next step, for its open
        // word.
        let hi = last | (ONES * 0x20);
        self.prev_lower = hi;
        if ends == 0 {
            // Nothing closes: the open word runs on, or one starts.
            if block_starts != 0 {
                self.word_start = p + block_starts.trailing_zeros() as usize;
            }
            return;
        }
        // The starts, bit `j` for the byte at `p + j - 8`, with the open word's among them
        // when it began at most eight bytes back, unmarked: then every word that ends
        // here is keyed the same way, from a load at its start. An open word begun
        // further back, or marked (characters outside ASCII), is over eight bytes or not
        // ASCII: queued. The open word's start bit is set without a branch on whether one
        // is open (about half the blocks, which mispredicted some 15,000 times per copy
        // of the benchmark pages): only the queued words, few, branch.
        let back = p.wrapping_sub(self.word_start);
        let near = open & (back <= 8);
        let mut starts = (block_starts << 8) | (u64::from(near) << (8 - back.min(8)));
        if open & !near {
            let end = p + ends.trailing_zeros() as usize;
            self.queue_word(self.word_start, end, scratch);
            ends &= ends - 1;
        }
        while ends != 0 {
            // Each end closes the first start not yet closed (they alternate).
            debug_assert!(starts != 0);
            let start = p + starts.trailing_zeros() as usize - 8;
            let end = p + ends.trailing_zeros() as usize;
            let len = end - start;
            if len <= 8 {
                // One load from the line when eight bytes follow the start (past the
                // step when the word starts in its last eight bytes), else those bytes'
                // lanes: no shift of 128-bit lanes. The test is on the line, not the
                // step: a word starts in the step's last seven bytes often (a branch on
                // the text, which the processor cannot guess), while fewer than eight
                // bytes are left only at a line's end, seldom. (An open word starts at
                // most eight bytes before the step, whose bytes follow: its load is
                // always in the line.)
                let w = match bytes[start..].first_chunk::<8>() {
                    Some(w) => u64::from_le_bytes(*w) | (ONES * 0x20),
                    // The line ends within eight bytes of the start, at or after the
                    // step's end: the word starts in its last eight bytes.
                    None => hi >> (8 * (start - p - (N - 8))),
                };
                debug_assert_eq!(
                    w & KEEP_LOW[len],
                    bytes[start..end]
                        .iter()
                        .rev()
                        .fold(0, |k, &b| (k << 8) | u64::from(b | 0x20)),
                );
                self.count_key(w & KEEP_LOW[len]);
            } else {
                self.queue_word(start, end, scratch);
            }
            starts &= starts - 1;
            ends &= ends - 1;
        }
        self.word_start = if starts != 0 {
            p + starts.trailing_zeros() as usize - 8
        } else {
            NO_WORD
        };
    }

    /// Counts the word of one to eight ASCII letters and digits whose bytes with bit 5
    /// set, zeros after them, are `key` (made from the lanes of the chunk: no load and
    /// no queue).
    #[inline(always)]
    fn count_key(&mut self, key: u64) {
        self.stopwords += u32::from(self.lookup.contains_key(key));
        // The words before this one: its place in the line.
        if self.s.words < self.budget {
            self.taken += u32::from(self.filter.take_key(key));
        }
        self.s.words += 1;
    }

    /// Counts the word `start..end` that was open before the chunk at `p` and ends in it:
    /// from the lanes `lower` of the chunk before and of this one (bytes with bit 5 set)
    /// when it is ASCII and starts in the chunk before; queued otherwise.
    #[inline(always)]
    fn open_word(
        &mut self,
        start: usize,
        end: usize,
        p: usize,
        lower: [u64; 2],
        scratch: &mut Scratch,
    ) {
        // Wraps to a long distance when `start` is marked. The word ends at or after `p`
        // and an unmarked start is before it, so it began at most `len` bytes back.
        let len = end.wrapping_sub(start);
        if len <= 8 {
            let back = p - start;
            debug_assert!(back <= len, "the word ends in this step");
            let both = u128::from(lower[0]) | (u128::from(lower[1]) << 64);
            self.count_key(language::block_key(both, 8 - back, len));
        } else {
            self.queue_word(start, end, scratch);
        }
    }

    /// The non-ASCII character `c` at byte `i`: decoded and put through the Unicode
    /// predicates (from tables for the common scripts).
    fn other_char(&mut self, c: char, i: usize, scratch: &mut Scratch) {
        let s = &mut self.s;
        s.chars += 1;
        if c == '©' {
            self.copyright = true;
        }
        let cjk_char = is_cjk(c);
        let class = char_class(c);
        if class & (ALPHA | DIGIT) != 0 && !cjk_char {
            if self.word_start == NO_WORD {
                self.word_start = i;
                s.capitalized += u32::from(class & UPPER != 0);
            }
            self.word_start |= NOT_ASCII;
        } else if self.word_start != NO_WORD {
            self.end_word(i, scratch);
        }
        let s = &mut self.s;
        if cjk_char {
            self.cjk += 1;
            if self.lookup.stop().is_function_char(c) {
                self.cjk_function += 1;
            }
        }
        if class & ALPHA != 0 {
            s.letters += 1;
            if class & UPPER != 0 {
                s.upper += 1;
            }
        } else {
            match c {
                '•' | '·' | '»' | '«' | '►' | '▶' | '→' => s.separators += 1,
                '，' | '、' => s.commas += 1,
                '“' | '”' | '„' => s.quotes += 1,
                _ => {}
            }
            if matches!(c, '«' | '»') {
                s.quotes += 1;
            }
        }
    }
}

/// Whether a word with non-ASCII characters is a stopword: packed straight into a key
/// when it can be (`packed_lowercase`), else lowercased into `buf`.
#[inline(never)]
fn other_word_is_stopword(w: &str, stop: &StopWords, buf: &mut String) -> bool {
    match packed_lowercase(w) {
        Lowered::Packed(key) => return stop.is_packed_stopword(key),
        Lowered::Long(len) if len > stop.max_len() => return false,
        _ => {}
    }
    buf.clear();
    for c in w.chars() {
        push_lowercase(buf, c);
    }
    stop.is_stopword(buf)
}

/// What [`packed_lowercase`] makes of a word.
#[derive(Debug, PartialEq)]
enum Lowered {
    /// Its lowercase, packed as the stopword lists' short words are (its bytes, then
    /// zeros, its length in the last of sixteen bytes).
    Packed([u64; 2]),
    /// Its lowercase has this many bytes, more than fit a packed key.
    Long(usize),
    /// It has a character whose lowercase is several, or one at or above U+0800 that
    /// [`chars::known`] does not know.
    Other,
}

/// The lowercase of `w` (1 byte or more), when every character is below U+0800 with a
/// lowercase of one character below U+0800 (from the table) or is one that
/// [`chars::known`] knows (Hangul, kana, CJK ideographs): written straight into the key,
/// since pushing each character onto a `String` cost more than the lookup (some 85
/// instructions a Hangul character).
#[inline]
fn packed_lowercase(w: &str) -> Lowered {
    let table = two_byte_lowercase();
    let mut b = [0u8; 16];
    let mut n = 0;
    for c in w.chars() {
        let l = if c.is_ascii() {
            u32::from(c.to_ascii_lowercase() as u8)
        } else {
            match table.get(c as usize) {
                Some(&l) => u32::from(l),
                None => match chars::known(c) {
                    Some(k) => k.lower as u32,
                    None => return Lowered::Other,
                },
            }
        };
        // 0 when the lowercase is several characters.
        let width = match l {
            1..0x80 => 1,
            0x80..0x800 => 2,
            0x800..0x10000 => 3,
            _ => return Lowered::Other,
        };
        // The lowercase takes bytes `n..n + width`; the key holds those before byte 15
        // (the length's).
        if n + width <= 15 {
            match width {
                1 => b[n] = l as u8,
                // `110xxxxx 10xxxxxx`.
                2 => {
                    b[n] = 0xC0 | (l >> 6) as u8;
                    b[n + 1] = 0x80 | (l & 0x3F) as u8;
                }
                // `1110xxxx 10xxxxxx 10xxxxxx`.
                _ => {
                    b[n] = 0xE0 | (l >> 12) as u8;
                    b[n + 1] = 0x80 | ((l >> 6) & 0x3F) as u8;
                    b[n + 2] = 0x80 | (l & 0x3F) as u8;
                }
            }
        }
        n += width;
    }
    if n > 15 {
        return Lowered::Long(n);
    }
    b[15] = n as u8;
    let (lo, hi) = b.split_at(8);
    Lowered::Packed([
        u64::from_le_bytes(lo.try_into().expect("8 bytes")),
        u64::from_le_bytes(hi.try_into().expect("8 bytes")),
    ])
}

/// Pushes `c.to_lowercase()` onto `buf`, from a table for the characters below U+0800
/// whose lowercase is one character (Unicode's case tables cost a binary search each).
#[inline]
pub(crate) fn push_lowercase(buf: &mut String, c: char) {
    if c.is_ascii() {
        buf.push(c.to_ascii_lowercase());
        return;
    }
    if let Some(&l) = two_byte_lowercase().get(c as usize) {
        if l != 0 {
            // Below U+0800, so a valid scalar value.
            buf.push(char::from_u32(u32::from(l)).unwrap_or(c));
            return;
        }
    } else if let Some(k) = chars::known(c) {
        // Kana, CJK ideographs, Hangul, punctuation: no case.
        buf.push(k.lower);
        return;
    }
    buf.extend(c.to_lowercase());
}

/// The lowercase of every character below U+0800 that lowercases to one character; 0
/// for the others (and for ASCII, which [`push_lowercase`] handles first).
pub(crate) fn two_byte_lowercase() -> &'static [u16; 0x800] {
    &TWO_BYTE_LOWERCASE
}

/// `c.is_lowercase()` in [`two_byte_case`].
pub(crate) const CASE_LOWER: u8 = 1;
/// `c.is_uppercase()` in [`two_byte_case`].
pub(crate) const CASE_UPPER: u8 = 2;
/// `c.is_whitespace()` in [`two_byte_case`].
pub(crate) const CASE_SPACE: u8 = 4;

/// For every character below U+0800, its `CASE_LOWER`, `CASE_UPPER` and `CASE_SPACE`
/// bits (the rules' key building asks all three of each non-ASCII character: three
/// searches of the Unicode tables).
pub(crate) fn two_byte_case() -> &'static [u8; 0x800] {
    &TWO_BYTE_CASE
}

// `TWO_BYTE_CLASSES`, `TWO_BYTE_LOWERCASE` and `TWO_BYTE_CASE`, written by build.rs from the Unicode
// predicates: built here, they cost every process a search of the Unicode tables per
// character (some 1.2M instructions for the classes).
include!(concat!(env!("OUT_DIR"), "/two_byte_tables.rs"));

// build.rs writes the class and case bits as numbers.
const _: () = assert!(ALPHA == 1 && UPPER == 2 && DIGIT == 4);
const _: () = assert!(CASE_LOWER == 1 && CASE_UPPER == 2 && CASE_SPACE == 4);

/// What [`line_stats_with`] asks of a non-ASCII character, as [`BYTE_CLASS`] bits:
/// `ALPHA` (alphabetic), `UPPER` (uppercase), `DIGIT` here meaning numeric (so that
/// `ALPHA | DIGIT` is `is_alphanumeric`).
#[inline]
fn char_class(c: char) -> u8 {
    let u = c as u32;
    if u < 0x800 {
        return two_byte_classes()[u as usize];
    }
    match chars::known(c) {
        // Above U+0800 (kana, CJK ideographs, Hangul, punctuation) none is cased.
        Some(k) => {
            if k.alnum {
                ALPHA
            } else {
                0
            }
        }
        None => unicode_class(c),
    }
}

/// `c.is_alphanumeric()`, with the two-byte characters and CJK ideographs from tables.
#[inline]
pub(crate) fn is_alphanumeric(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        char_class(c) & (ALPHA | DIGIT) != 0
    }
}

/// The class of `c` from the Unicode predicates.
fn unicode_class(c: char) -> u8 {
    let mut class = 0;
    if c.is_alphabetic() {
        class |= ALPHA;
    }
    if c.is_uppercase() {
        class |= UPPER;
    }
    if c.is_numeric() {
        class |= DIGIT;
    }
    class
}

/// [`unicode_class`] of every character below U+0800 (two UTF-8 bytes: Latin, Greek,
/// Cyrillic, Hebrew, Arabic), from build.rs: the Unicode tables cost a search each.
fn two_byte_classes() -> &'static [u8; 0x800] {
    &TWO_BYTE_CLASSES
}

/// [`line_stats`] with scratch buffers reused across lines; how many of the first `budget`
/// words of the line `filter` took goes to [`Scratch::taken`] ([`UNREAD`] when it was not
/// shown them all: see [`WordFilter`]).
///
/// Sixteen bytes at a time: runs of ASCII are counted from bit masks of their classes
/// (see [`ascii_classes16`]), their ends eight bytes at a time with lane masks (see
/// [`lanes_in`]); only other characters are decoded and go through the Unicode predicates.
// Out of line, one call per distinct line: fat LTO once inlined it into `segment_with`
// (0.04M instructions fewer per copy of the benchmark pages, within what inlining shifts
// by between builds), which hid its cost from profiles.
#[inline(never)]
fn line_stats_with<F: WordFilter>(
    line: &str,
    stop: &StopWords,
    scratch: &mut Scratch,
    filter: &mut F,
    budget: u32,
) -> LineStats {
    let mut scan = Scan {
        queued: 0,
        filter,
        budget,
        taken: 0,
        line,
        lookup: stop.ascii_alnum_lookup(),
        prev_lower: 0,
        last_at: 0,
        s: LineStats {
            repeats: 1,
            ..LineStats::default()
        },
        stopwords: 0,
        cjk: 0,
        cjk_function: 0,
        word_start: NO_WORD,
        copyright: false,
        link: false,
    };
    let bytes = line.as_bytes();
    let n = bytes.len();
    let mut i = 0;
    while i < n {
        // Runs of ASCII, the common case, thirty-two bytes a step, then sixteen; the rest
        // of a run eight.
        let mut run_on = true;
        while let Some(b) = bytes[i..].first_chunk::<32>() {
            let took = scan.ascii_block32(b, i, scratch);
            i += took;
            if took < 32 {
                run_on = false;
                break;
            }
        }
        if run_on {
            if let Some(b) = bytes[i..].first_chunk::<16>() {
                if scan.ascii_block(b, i, scratch) {
                    i += 16;
                }
            }
        }
        while let Some(b) = bytes[i..].first_chunk::<8>() {
            let x = u64::from_le_bytes(*b);
            if x & HIGH != 0 {
                break;
            }
            scan.ascii_chunk::<true>(x, i, 8, scratch);
            i += 8;
        }
        if i == n {
            break;
        }
        // `i < n`: one length test (no overflow test of `i + 8`).
        let (x, avail) = match bytes[i..].first_chunk::<8>() {
            Some(b) => (u64::from_le_bytes(*b), 8),
            // The last bytes, shifted down (zeros come in after them): the eight that end
            // the line, or overlapping loads of a shorter line (not a copy into a zeroed
            // buffer: that was a call to `memcpy` for every line under eight bytes).
            None => (crate::swar::tail_word(bytes, n - i), n - i),
        };
        // The ASCII bytes before the first other one (zero padding is ASCII).
        let high = x & HIGH;
        let k = if high == 0 { avail } else { first_lane(high) };
        // (Fewer than eight: a whole ASCII chunk was taken by the loop above.)
        if k > 0 {
            scan.last_at = i;
            scan.ascii_chunk::<false>(x, i, k, scratch);
            i += k;
        }
        if k < avail {
            // A run of characters outside ASCII (Cyrillic, Greek, CJK text) one after
            // another, and single spaces between them: no ASCII block or chunk tests.
            // (One iterator for the run: no slicing of the line at every character.)
            let mut rest = line[i..].chars();
            while let Some(c) = rest.next() {
                scan.other_char(c, i, scratch);
                let after = rest.as_str();
                i = n - after.len();
                match after.as_bytes() {
                    [b, ..] if *b >= 0x80 => {}
                    [b' ', b, ..] if *b >= 0x80 => {
                        // One space between characters outside ASCII, as between the
                        // words of Cyrillic, Greek or Korean text: it only counts and
                        // ends the open word (which, after such a character, has one or
                        // is none), with no ASCII block or chunk tests. No word starts
                        // in it, so no lanes are kept as `ascii_chunk` keeps them for a
                        // word that runs on.
                        debug_assert!(
                            scan.word_start == NO_WORD || scan.word_start & NOT_ASCII != 0
                        );
                        scan.s.chars += 1;
                        if scan.word_start != NO_WORD {
                            scan.end_word(i, scratch);
                        }
                        rest.next();
                        i += 1;
                    }
                    _ => break,
                }
            }
        }
    }
    // The word at the end of the line, most often one of up to eight ASCII bytes (then
    // its start is not marked): its key from the line's last eight bytes, or in a shorter
    // line from the lanes of the chunk it lies in (after any other character).
    if scan.word_start != NO_WORD {
        // Wraps to a long length when the start is marked.
        let len = n.wrapping_sub(scan.word_start);
        if len <= 8 {
            let key = match bytes.last_chunk::<8>() {
                Some(w) => (u64::from_le_bytes(*w) | (ONES * 0x20)) >> (8 * (8 - len)),
                None => {
                    debug_assert!(scan.word_start >= scan.last_at);
                    (scan.prev_lower >> (8 * (scan.word_start - scan.last_at))) & KEEP_LOW[len]
                }
            };
            scan.count_key(key);
        } else {
            scan.end_word(n, scratch);
        }
    }
    if scan.queued > 0 {
        scan.look_up_words(scratch);
    }
    let Scan {
        mut s,
        stopwords,
        cjk,
        cjk_function,
        copyright,
        link,
        taken,
        ..
    } = scan;
    // Chinese and Japanese characters end words here but are letters to the filter.
    // (At most the budget, which is under `UNREAD`.)
    let taken = if cjk > 0 {
        UNREAD
    } else {
        u8::try_from(taken).unwrap_or(UNREAD)
    };
    if cjk > 0 {
        // About two characters a word: keeps word-count features comparable across scripts.
        s.words += cjk.div_ceil(2);
    }
    s.stopword_share = if stop.per_char() && cjk > s.words / 2 {
        cjk_function as f32 / cjk.max(1) as f32
    } else if s.words > 0 {
        stopwords as f32 / s.words as f32
    } else {
        0.0
    };
    s.end = line_end(line);
    s.bullet = starts_like_bullet(line);
    s.copyright = copyright;
    s.link = link;
    scratch.taken = taken;
    s
}

/// Whether `hay` starts with `needle`, ignoring ASCII case.
fn starts_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

/// How `line` ends: most lines end in an ASCII byte that is no closing quote or bracket,
/// whose answer is in a table (inline, with no call and no branch on the byte: a match on
/// it, made once a line, mispredicted); the others are decoded.
#[inline(always)]
fn line_end(line: &str) -> Option<LineEnd> {
    if let Some(&b) = line.as_bytes().last() {
        if let Some(Some(end)) = ASCII_LINE_END.get(usize::from(b)) {
            return Some(*end);
        }
    }
    line_end_decoded(line)
}

/// `ASCII_LINE_END[b]`: [`end_kind`] of the ASCII byte `b`, `None` for a closing quote or
/// bracket (which [`line_end`] looks through).
const ASCII_LINE_END: [Option<LineEnd>; 128] = {
    let mut t = [None; 128];
    let mut b = 0;
    while b < 128 {
        let c = b as u8;
        t[b] = match c {
            b'"' | b'\'' | b')' | b']' => None,
            b'.' | b'!' | b'?' => Some(LineEnd::Sentence),
            b':' => Some(LineEnd::Colon),
            _ if c.is_ascii_alphanumeric() => Some(LineEnd::Alnum),
            _ => Some(LineEnd::Other),
        };
        b += 1;
    }
    t
};

/// [`line_end`] of a line that ends in a closing quote or bracket, or outside ASCII.
#[inline(never)]
fn line_end_decoded(line: &str) -> Option<LineEnd> {
    let last = line.chars().rev().find(|c| {
        !matches!(
            c,
            '"' | '”' | '’' | '\'' | '»' | ')' | ']' | '」' | '』' | '）'
        )
    })?;
    Some(end_kind(last))
}

/// How a line that ends in `last` (after closing quotes and brackets) ends.
#[inline(always)]
fn end_kind(last: char) -> LineEnd {
    match last {
        '.' | '!' | '?' | '…' | '。' | '！' | '？' => LineEnd::Sentence,
        ':' | '：' => LineEnd::Colon,
        c if is_alphanumeric(c) => LineEnd::Alnum,
        _ => LineEnd::Other,
    }
}

/// Whether `line` starts like a list item: inline for the lines that start with an ASCII
/// letter, most of them, which do not (no call, no decoding).
#[inline(always)]
fn starts_like_bullet(line: &str) -> bool {
    !line.as_bytes().first().is_some_and(u8::is_ascii_alphabetic)
        && starts_like_bullet_decoded(line)
}

/// [`starts_like_bullet`] of a line that does not start with an ASCII letter.
#[inline(never)]
fn starts_like_bullet_decoded(line: &str) -> bool {
    let mut chars = line.chars();
    match chars.next() {
        Some('-' | '•' | '*' | '–' | '—' | '·' | '►' | '▶') => true,
        Some(c) if c.is_ascii_digit() => {
            let rest = line.trim_start_matches(|c: char| c.is_ascii_digit());
            rest.starts_with(". ") || rest.starts_with(") ")
        }
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    #[test]
    fn unicode_class_agrees_with_the_predicates() {
        for c in (0..=0x10_ffff).filter_map(char::from_u32) {
            let bit = |holds: bool, bit: u8| if holds { bit } else { 0 };
            let want = bit(c.is_alphabetic(), ALPHA)
                | bit(c.is_uppercase(), UPPER)
                | bit(c.is_numeric(), DIGIT);
            assert_eq!(unicode_class(c), want, "{c:?}");
            if (c as u32) < 0x800 {
                assert_eq!(two_byte_classes()[c as usize], want, "{c:?}");
                let mut lower = c.to_lowercase();
                let one = match (lower.next(), lower.next()) {
                    (Some(l), None) if !c.is_ascii() => u32::from(l),
                    _ => 0,
                };
                assert_eq!(u32::from(two_byte_lowercase()[c as usize]), one, "{c:?}");
                let case = bit(c.is_lowercase(), CASE_LOWER)
                    | bit(c.is_uppercase(), CASE_UPPER)
                    | bit(c.is_whitespace(), CASE_SPACE);
                assert_eq!(two_byte_case()[c as usize], case, "{c:?}");
            }
        }
    }

    #[test]
    fn blank_lines_set_the_layout_flags() {
        let doc = segment("Title\n\nFirst line\nsecond line\n\nLast\n");
        let flags: Vec<(bool, bool)> = doc
            .lines
            .iter()
            .map(|l| (l.blank_before, l.blank_after))
            .collect();
        assert_eq!(
            flags,
            vec![(true, true), (true, false), (false, true), (true, true)]
        );
    }

    #[test]
    fn counts_words_stopwords_and_ending() {
        let stop = language::stopwords("en");
        let s = line_stats("The cat sat on the mat, and then it left.", stop);
        assert_eq!(s.words, 10);
        assert_eq!(s.capitalized, 1);
        assert_eq!(s.commas, 1);
        assert_eq!(s.end, Some(LineEnd::Sentence));
        // the, on, the, and, then, it
        assert!(
            (s.stopword_share - 0.6).abs() < 1e-6,
            "{}",
            s.stopword_share
        );
    }

    #[test]
    fn chinese_is_measured_per_character() {
        let stop = language::stopwords("zh");
        let s = line_stats("我们的政府在周三决定了新的规则。", stop);
        assert!(s.words >= 7);
        assert!(s.stopword_share > 0.2, "{}", s.stopword_share);
        assert_eq!(s.end, Some(LineEnd::Sentence));
    }

    proptest::proptest! {
        /// Copies of a line (also with other spaces around it) share a slot while the
        /// document is segmented: each line's `repeats` must end as its number of copies,
        /// and a copy's statistics must be those of its own text.
        #[test]
        fn repeats_count_copies_and_copies_keep_their_stats(
            picks in proptest::collection::vec(proptest::sample::select(vec![
                "Home", " Home", "Home  ", "home", "Home | News", "\tHome | News ", "",
                " ", "The end.", "Жук и не", "日本語の", "2019", "© AFP",
                // Lines hashed sixteen bytes a step, and ones that differ after the first
                // sixteen.
                "Read more about the story", "Read more about the stork",
                "Sign up for our newsletter and get the news first",
            ]), 0..30),
        ) {
            let text = picks.join("\n");
            let doc = segment(&text);
            let stop = language::stopwords(doc.lang.unwrap_or("en"));
            let want: Vec<&str> = picks.iter().map(|l| l.trim()).filter(|l| !l.is_empty()).collect();
            proptest::prop_assert_eq!(doc.lines.len(), want.len());
            // The layout flags, by index as they were once computed.
            let raw: Vec<&str> = picks.iter().map(|l| l.trim()).collect();
            let flags: Vec<(bool, bool, bool)> = (0..raw.len())
                .filter(|&i| !raw[i].is_empty())
                .map(|i| {
                    (
                        i == 0 || raw[i - 1].is_empty(),
                        i + 1 == raw.len() || raw[i + 1].is_empty(),
                        i + 2 < raw.len() && raw[i + 1].is_empty() && raw[i + 2].is_empty(),
                    )
                })
                .collect();
            let got: Vec<(bool, bool, bool)> = doc
                .lines
                .iter()
                .map(|l| (l.blank_before, l.blank_after, l.wide_gap_after))
                .collect();
            proptest::prop_assert_eq!(got, flags);
            for (line, text) in doc.lines.iter().zip(&want) {
                proptest::prop_assert_eq!(&line.text, text);
                let copies = want.iter().filter(|l| *l == text).count();
                proptest::prop_assert_eq!(line.stats.repeats as usize, copies, "{:?}", text);
                let mut fresh = line_stats(text, stop);
                fresh.repeats = line.stats.repeats;
                proptest::prop_assert_eq!(&line.stats, &fresh, "{:?}", text);
            }
        }
    }

    #[test]
    fn flags_menus_credits_and_repeats() {
        let doc = segment("Home | News | Sport\n© AFP 2019 / Someone\nHome | News | Sport\n");
        assert_eq!(doc.lines[0].stats.separators, 2);
        assert_eq!(doc.lines[0].stats.repeats, 2);
        assert!(doc.lines[1].stats.copyright);
        assert_eq!(doc.lines[1].stats.repeats, 1);
    }

    #[test]
    fn lines_of_more_words_than_the_lookup_queue_holds() {
        // Queued words are looked up 32 at a time: lines of 31 to 100 words, with and
        // without a word open across the flush, in several scripts.
        let stop = language::stopwords("en");
        for words in [31, 32, 33, 64, 65, 100] {
            for piece in ["the cat ", "Über the ", "и the x"] {
                let line = piece.repeat(words / 2 + 1);
                let line = line.trim();
                let got = line_stats(line, stop);
                assert_eq!(got, reference_stats(line, stop), "{line}");
                assert!(got.stopword_share > 0.3, "{line}");
            }
        }
    }

    /// The per-character version [`line_stats`] must agree with: Unicode predicates on
    /// every character, every word lowercased and looked up.
    fn reference_stats(line: &str, stop: &StopWords) -> LineStats {
        let mut s = LineStats {
            repeats: 1,
            ..LineStats::default()
        };
        let (mut stopwords, mut cjk, mut cjk_function) = (0u32, 0u32, 0u32);
        let mut words: Vec<&str> = Vec::new();
        let mut word_start: Option<usize> = None;
        let mut prev: Option<char> = None;
        let lower = line.to_ascii_lowercase();
        for (i, c) in line.char_indices() {
            s.chars += 1;
            let cjk_char = is_cjk(c);
            if c.is_alphanumeric() && !cjk_char {
                word_start.get_or_insert(i);
            } else if let Some(start) = word_start.take() {
                words.push(&line[start..i]);
            }
            if cjk_char {
                cjk += 1;
                cjk_function += u32::from(stop.is_function_char(c));
            }
            if c.is_alphabetic() {
                s.letters += 1;
                s.upper += u32::from(c.is_uppercase());
            } else if c.is_ascii_digit() {
                s.digits += 1;
            } else {
                match c {
                    '|' | '•' | '·' | '»' | '«' | '>' | '/' | '\\' | '_' | '=' | '+' | '*'
                    | '#' | '@' | '~' | '►' | '▶' | '→' => s.separators += 1,
                    ',' | '，' | '、' => s.commas += 1,
                    '"' | '“' | '”' | '„' => s.quotes += 1,
                    ' ' if matches!(prev, Some('.' | '!' | '?')) => s.inner_sentences += 1,
                    _ => {}
                }
                s.quotes += u32::from(matches!(c, '«' | '»'));
            }
            prev = Some(c);
        }
        if let Some(start) = word_start {
            words.push(&line[start..]);
        }
        for w in &words {
            s.words += 1;
            s.capitalized += u32::from(w.chars().next().is_some_and(char::is_uppercase));
            let lw: String = w.chars().flat_map(char::to_lowercase).collect();
            stopwords += u32::from(stop.words_contain(&lw));
        }
        if cjk > 0 {
            s.words += cjk.div_ceil(2);
        }
        s.stopword_share = if stop.per_char() && cjk > s.words / 2 {
            cjk_function as f32 / cjk.max(1) as f32
        } else if s.words > 0 {
            stopwords as f32 / s.words as f32
        } else {
            0.0
        };
        s.end = line_end(line);
        s.bullet = starts_like_bullet(line);
        s.copyright = line.contains('©') || lower.contains("(c)") || lower.contains("copyright");
        s.link = line.contains('@') || lower.contains("http") || lower.contains("www.");
        s
    }

    proptest::proptest! {
        #[test]
        fn fast_stats_match_the_reference(
            line in "[a-zA-Z0-9 .,!?:;@()|/>\\\\_=+*#~\"»«“”©•é ÄÖÜßñЖжИи日本語の的了İ-]{1,60}",
            lang in proptest::sample::select(vec!["en", "de", "fr", "ru", "zh", "ja", "tr"]),
        ) {
            let stop = language::stopwords(lang);
            proptest::prop_assert_eq!(line_stats(&line, stop), reference_stats(&line, stop));
        }
    }

    proptest::proptest! {
        /// Longer lines built from pieces that cross the sixteen-byte blocks and eight-byte
        /// chunks at many offsets:
        /// words with and without capitals and non-ASCII letters, the marks, sentence ends.
        #[test]
        fn fast_stats_match_the_reference_on_long_lines(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                " ", "  ", "the", "The", "THE", "and", "Und", "die", "и", "не", "ist",
                "word", "Words", "abcdefghijklmnopq", "x", "9", "2019", "a1b2",
                "a", "I", "of", "In", "yourself", "Between", "ourselves", "AGAINST",
                "http", "HTTPS", "xhttp", "www.", "Www", "wwww.", "copyright", "Copyright",
                "(c)", "(C)", "(", "@", "©", ". ", "! ", "? ", ".", ",", ";", ":", "\"",
                "|", "»", "«", "“", "”", "•", "→", "é", "Über", "naïve", "Жук", "İ",
                "日本語", "的了", "の", "，", "、", "-", "–", "\t", "\u{0}", "한국어", "것", "수",
            ]), 0..40),
            lang in proptest::sample::select(vec!["en", "de", "ru", "zh", "ja", "ko"]),
        ) {
            let line = pieces.concat();
            let stop = language::stopwords(lang);
            proptest::prop_assert_eq!(line_stats(&line, stop), reference_stats(&line, stop));
        }
    }

    /// Lines that put words at every offset from the start of a sixteen-byte block and of
    /// an eight-byte chunk (words open across blocks and chunks, words longer than a
    /// block), cut at every character boundary: each cut is handed to `check`. Random lines
    /// seldom put a stopword across a boundary; segment's and language ID's tests share
    /// these.
    pub(crate) fn at_every_offset(mut check: impl FnMut(&str)) {
        let texts = [
            "the cat and the dog were there all along",
            "THE Of, In. it a I b of the und die",
            "Über the naïve café and a co-op of the",
            "yourselves AGAINST ourselves between the",
            "a1b2 9 2019 http://www.x.com (c) copyright © and",
            "x|y » z “the” and—the",
            "internationalization and the",
            "abcdefghijklmnopqrstuvwé the не та",
        ];
        for text in texts {
            for pad in 0..40 {
                // Fills that trimming keeps, so every pad moves the text.
                for fill in ["q", "|", "ab "] {
                    let line = format!("{}{text}", fill.repeat(pad));
                    for end in (1..=line.len()).filter(|&e| line.is_char_boundary(e)) {
                        check(&line[..end]);
                    }
                }
            }
        }
    }

    /// Every byte of a line goes into its hash (lines that differ in one byte would
    /// otherwise share a probe run in `LineSlots`), and equal lines hash the same.
    #[test]
    fn line_hash_sees_every_byte() {
        for n in 1..=80 {
            let line: Vec<u8> = (0..n).map(|k| b'a' + (k % 7) as u8).collect();
            let hash = line_hash(&line);
            assert_eq!(hash, line_hash(&line.clone()));
            for k in 0..n {
                let mut other = line.clone();
                other[k] ^= 0x10;
                assert_ne!(line_hash(&other), hash, "{n} bytes, byte {k}");
            }
        }
    }

    #[test]
    fn fast_stats_match_the_reference_at_every_offset() {
        let stop = language::stopwords("en");
        at_every_offset(|line| {
            let l = line.trim();
            if !l.is_empty() {
                assert_eq!(line_stats(l, stop), reference_stats(l, stop), "{l:?}");
            }
        });
    }

    proptest::proptest! {
        #[test]
        fn lines_split_as_str_split_does(text in "[a-z \r\n\t\u{b}\u{a0}\u{3000}é.]{0,300}") {
            let want: Vec<&str> = text.split('\n').map(str::trim).collect();
            let non_blank = want.iter().filter(|l| !l.is_empty()).count();
            proptest::prop_assert_eq!(split_lines(&text), (want, non_blank));
        }
    }

    #[test]
    fn lines_split_with_newlines_at_every_offset() {
        // Around the ends of the sixty-four-byte steps and of the sixteen-byte ones after.
        for len in [15, 16, 17, 63, 64, 65, 100, 127, 128, 129, 200] {
            for nl in 0..len {
                for other in [nl, (nl + 1) % len, (nl + 17) % len, len - 1 - nl] {
                    let mut bytes = vec![b'x'; len];
                    bytes[nl] = b'\n';
                    bytes[other] = b'\n';
                    let text = String::from_utf8(bytes).expect("ASCII");
                    let want: Vec<&str> = text.split('\n').map(str::trim).collect();
                    let non_blank = want.iter().filter(|l| !l.is_empty()).count();
                    assert_eq!(split_lines(&text), (want, non_blank), "{len} {nl} {other}");
                }
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn terminated_text_segments_as_with_its_final_newline(
            text in "[a-z A-Z\n\r.,]{0,40}(der und die |the and of )?[a-z \n\r.]{0,60}",
        ) {
            // As the second pass over a folder reads a text the first found unchanged.
            let want = segment(&crate::normalize::normalize_unchanged(&text).text);
            let got = segment_terminated(&crate::normalize::line_ends_fixed(&text));
            proptest::prop_assert_eq!(format!("{got:?}"), format!("{want:?}"));
        }
    }

    #[test]
    fn lane_masks_match_byte_tests() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for _ in 0..2000 {
            crate::swar::xorshift(&mut x);
            let bytes = x.to_le_bytes();
            // Only the lanes before the first byte of 0x80 or more are exact.
            let k = bytes.iter().position(|&b| b >= 0x80).unwrap_or(8);
            let valid = VALID_LANES[k];
            let want = |f: &dyn Fn(u8) -> bool| -> u64 {
                (0..k)
                    .filter(|&j| f(bytes[j]))
                    .map(|j| 0x80u64 << (8 * j))
                    .sum()
            };
            assert_eq!(
                lanes_in(x, b'a', b'z') & valid,
                want(&|b| b.is_ascii_lowercase())
            );
            assert_eq!(
                lanes_in(x, b'0', b'9') & valid,
                want(&|b| b.is_ascii_digit())
            );
            assert_eq!(
                lanes_eq(x, bytes[0] & 0x7F) & valid,
                want(&|b| b == bytes[0] & 0x7F)
            );
            assert_eq!(lane_count(valid), k as u32);
        }
    }

    /// `other_word_is_stopword` the plain way: each character lowercased by Unicode's
    /// tables, the word looked up as a string.
    fn other_word_reference(w: &str, stop: &StopWords) -> bool {
        stop.is_stopword(&w.chars().flat_map(char::to_lowercase).collect::<String>())
    }

    proptest::proptest! {
        #[test]
        fn packed_lowercase_matches_the_char_walk(
            w in "[a-zA-Z0-9éÉÄäÖößẞİıΣσςЖжИиЁёΆάÀàŁł日\u{212A}한국어것수ＡＢａｂ—“]{1,12}",
        ) {
            let lower: String = w.chars().flat_map(char::to_lowercase).collect();
            if let Lowered::Packed(key) = packed_lowercase(&w) {
                let mut b = [0u8; 16];
                b[..lower.len()].copy_from_slice(lower.as_bytes());
                b[15] = lower.len() as u8;
                let want = [
                    u64::from_le_bytes(b[..8].try_into().unwrap()),
                    u64::from_le_bytes(b[8..].try_into().unwrap()),
                ];
                proptest::prop_assert_eq!(key, want);
            }
            if let Lowered::Long(len) = packed_lowercase(&w) {
                proptest::prop_assert_eq!(len, lower.len());
            }
            for lang in ["en", "de", "ru", "el", "tr", "pl", "ko"] {
                let stop = language::stopwords(lang);
                proptest::prop_assert_eq!(
                    other_word_is_stopword(&w, stop, &mut String::new()),
                    other_word_reference(&w, stop)
                );
            }
        }
    }

    #[test]
    fn other_words_of_the_lists_are_found_in_any_case() {
        for lang in ["de", "fr", "ru", "uk", "el", "tr", "pl", "cs", "bg", "ko"] {
            let stop = language::stopwords(lang);
            for w in language::stopword_list(lang).0 {
                let upper: String = w.chars().flat_map(char::to_uppercase).collect();
                let mut chars = w.chars();
                let title: String = chars
                    .next()
                    .into_iter()
                    .flat_map(char::to_uppercase)
                    .chain(chars)
                    .collect();
                for v in [w.to_string(), upper, title] {
                    assert_eq!(
                        other_word_is_stopword(&v, stop, &mut String::new()),
                        other_word_reference(&v, stop),
                        "{lang}: {v}"
                    );
                }
            }
        }
    }

    #[test]
    fn fast_stats_match_the_reference_on_words() {
        let stop = language::stopwords("en");
        for line in [
            "The cat and THE Dog, it's www.Example.com (C) Copyright HTTP://x @me",
            "Über die Straße und DIE Brücke: 2019!",
            "Café naïve İstanbul ÀND THE end",
            "a",
            "THEREFORE therefore Therefore",
        ] {
            assert_eq!(
                line_stats(line, stop),
                reference_stats(line, stop),
                "{line}"
            );
        }
    }

    /// The quick language guess and whatlang's on every file under `dirs`: how many files,
    /// how many the quick guess was sure of, and the files where the two differ or where
    /// it was unsure, as printable lines.
    fn language_agreement(dirs: &[std::path::PathBuf]) -> (usize, usize, Vec<String>, Vec<String>) {
        let mut files = Vec::new();
        let mut todo = dirs.to_vec();
        while let Some(p) = todo.pop() {
            if p.is_dir() {
                todo.extend(std::fs::read_dir(&p).unwrap().map(|e| e.unwrap().path()));
            } else if p.file_name().is_some_and(|n| n != "expected.txt") {
                files.push(p);
            }
        }
        files.sort();
        let (mut sure, mut differ, mut unsure) = (0, Vec::new(), Vec::new());
        for f in &files {
            let Ok(decoded) = crate::decode::decode(&std::fs::read(f).unwrap()) else {
                continue;
            };
            let text = crate::normalize::normalize(&decoded.text).text;
            let raw: Vec<&str> = text.split('\n').map(str::trim).collect();
            let sample = language_sample(&raw);
            // `LANG_AGREE_BYTES` shortens the samples: thinner evidence, as in short pages.
            let max = std::env::var("LANG_AGREE_BYTES")
                .ok()
                .and_then(|b| b.parse().ok())
                .unwrap_or(language::DETECT_MAX_BYTES);
            let mut end = sample.len().min(max);
            while !sample.is_char_boundary(end) {
                end -= 1;
            }
            let head = &sample[..end];
            let wl = language::whatlang_detect(head);
            match language::quick_detect(head) {
                language::Quick::Sure(code) => {
                    sure += 1;
                    if Some(code) != wl {
                        differ.push(format!("{} quick={code} whatlang={wl:?}", f.display()));
                    }
                }
                language::Quick::Unsure(lead) => {
                    unsure.push(format!("{} lead={lead:?} whatlang={wl:?}", f.display()));
                }
            }
        }
        (files.len(), sure, differ, unsure)
    }

    #[test]
    fn quick_language_agrees_with_whatlang_on_the_golden_pages() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let dirs = [
            root.join("tests/golden/pages"),
            root.join("tests/data/encodings"),
        ];
        let (files, sure, differ, _) = language_agreement(&dirs);
        // Most are in Latin or Cyrillic letters; the Chinese, Japanese, Korean and Greek ones
        // are left to whatlang.
        assert!(files >= 20 && sure * 2 >= files, "{sure} of {files}");
        assert!(differ.is_empty(), "{differ:#?}");
    }

    /// Prints the agreement on the directories in `LANG_AGREE` (separated by `:`); run
    /// with `--ignored --nocapture`, e.g. on the benchmark pages.
    #[test]
    #[ignore]
    fn quick_language_agreement_report() {
        let Ok(dirs) = std::env::var("LANG_AGREE") else {
            return;
        };
        let dirs: Vec<std::path::PathBuf> = dirs.split(':').map(Into::into).collect();
        let (files, sure, differ, unsure) = language_agreement(&dirs);
        for line in differ
            .iter()
            .map(|d| format!("DIFF {d}"))
            .chain(unsure.iter().map(|u| format!("UNSURE {u}")))
        {
            println!("{line}");
        }
        println!(
            "files {files} sure {sure} differ {} unsure {}",
            differ.len(),
            unsure.len()
        );
    }

    #[test]
    fn character_classes_match_the_unicode_predicates() {
        for u in (0x80..0x800)
            .chain(0x2000..=0x206F)
            .chain(0x3040..=0x30FF)
            .chain(0x4E00..=0x9FFF)
            .chain(0xAC00..=0xD7A3)
        {
            let c = char::from_u32(u).expect("no surrogates here");
            let class = char_class(c);
            assert_eq!(class & ALPHA != 0, c.is_alphabetic(), "{u:x}");
            assert_eq!(class & UPPER != 0, c.is_uppercase(), "{u:x}");
            assert_eq!(class & (ALPHA | DIGIT) != 0, c.is_alphanumeric(), "{u:x}");
            assert_eq!(is_alphanumeric(c), c.is_alphanumeric(), "{u:x}");
        }
    }

    #[test]
    fn lowercase_table_matches_to_lowercase() {
        let mut buf = String::new();
        for c in (0..0x1_0000u32).filter_map(char::from_u32) {
            buf.clear();
            push_lowercase(&mut buf, c);
            assert_eq!(
                buf,
                c.to_lowercase().collect::<String>(),
                "U+{:04X}",
                c as u32
            );
        }
    }

    #[test]
    fn line_end_shortcut_matches_the_char_walk() {
        let walk = |line: &str| {
            let closing = ['"', '”', '’', '\'', '»', ')', ']', '」', '』', '）'];
            let last = line.chars().rev().find(|c| !closing.contains(c))?;
            Some(match last {
                '.' | '!' | '?' | '…' | '。' | '！' | '？' => LineEnd::Sentence,
                ':' | '：' => LineEnd::Colon,
                c if c.is_alphanumeric() => LineEnd::Alnum,
                _ => LineEnd::Other,
            })
        };
        for b in 1..0x80u8 {
            for head in ["", "a", "Ü.", "x\"", "。"] {
                for tail in ["", ")", "”", "\"]"] {
                    let line = format!("{head}{}{tail}", b as char);
                    assert_eq!(line_end(&line), walk(&line), "{line:?}");
                }
            }
        }
    }

    #[test]
    fn line_ends_look_through_closing_quotes() {
        assert_eq!(line_end("He said “no.”"), Some(LineEnd::Sentence));
        assert_eq!(line_end("Read more:"), Some(LineEnd::Colon));
        assert_eq!(line_end("Breaking News"), Some(LineEnd::Alnum));
        assert!(starts_like_bullet("- item"));
        assert!(starts_like_bullet("12. item"));
        assert!(!starts_like_bullet("2019 was a year"));
    }
}
