//! Stage 3: split normalized text into lines, with the facts about each line that the
//! classifier needs (words, stopwords, punctuation, case, layout, repeats).
//!
//! Everything here is a property of one line and the blank lines around it; what depends
//! on the neighbours (windows, the article's densest region) is computed in `classify`.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::language::{self, StopWords};

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
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut buf = [0u8; 8];
            buf[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(buf));
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
    let raw: Vec<&str> = text.split('\n').map(str::trim).collect();
    let lang = language::detect(&language_sample(&raw));
    let stop = language::stopwords(lang.unwrap_or("en"));
    let mut counts: HashMap<&str, u32, FxBuild> = HashMap::default();
    for l in raw.iter().filter(|l| !l.is_empty()) {
        *counts.entry(l).or_insert(0) += 1;
    }
    let mut lines = Vec::with_capacity(counts.len());
    let mut buf = String::new();
    for (i, l) in raw.iter().enumerate() {
        if l.is_empty() {
            continue;
        }
        let mut stats = line_stats_with(l, stop, &mut buf);
        stats.repeats = counts[l];
        lines.push(Line {
            text: (*l).to_string(),
            blank_before: i == 0 || raw[i - 1].is_empty(),
            blank_after: i + 1 == raw.len() || raw[i + 1].is_empty(),
            wide_gap_after: i + 2 < raw.len() && raw[i + 1].is_empty() && raw[i + 2].is_empty(),
            stats,
        });
    }
    Document { lines, lang }
}

/// The longer lines of the document, up to a few kilobytes: prose tells the language,
/// menus mislead whatlang.
fn language_sample(lines: &[&str]) -> String {
    const SAMPLE_BYTES: usize = 4096;
    let mut sample = String::new();
    for min_len in [80, 20, 0] {
        for l in lines.iter().filter(|l| l.len() >= min_len) {
            if sample.len() >= SAMPLE_BYTES {
                return sample;
            }
            sample.push_str(l);
            sample.push('\n');
        }
        if sample.len() >= SAMPLE_BYTES / 4 {
            break;
        }
    }
    sample
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF   // kana
        | 0x3400..=0x4DBF // CJK extension A
        | 0x4E00..=0x9FFF // CJK unified ideographs
        | 0xF900..=0xFAFF)
}

/// Computes the statistics of one trimmed, non-empty line.
pub fn line_stats(line: &str, stop: &StopWords) -> LineStats {
    line_stats_with(line, stop, &mut String::new())
}

/// [`line_stats`] with a scratch buffer for the lowercased words, reused across lines.
fn line_stats_with(line: &str, stop: &StopWords, buf: &mut String) -> LineStats {
    let mut s = LineStats {
        repeats: 1,
        ..LineStats::default()
    };
    let mut stopwords = 0u32;
    let mut cjk = 0u32;
    let mut cjk_function = 0u32;
    let mut word_start: Option<usize> = None;
    let mut prev: Option<char> = None;
    let mut end_word = |start: usize, end: usize, s: &mut LineStats, stopwords: &mut u32| {
        let w = &line[start..end];
        s.words += 1;
        buf.clear();
        if w.is_ascii() {
            // Most words: lowercasing byte by byte gives the same as `char::to_lowercase`.
            if w.as_bytes()[0].is_ascii_uppercase() {
                s.capitalized += 1;
            }
            buf.push_str(w);
            buf.make_ascii_lowercase();
        } else {
            if w.chars().next().is_some_and(char::is_uppercase) {
                s.capitalized += 1;
            }
            buf.extend(w.chars().flat_map(char::to_lowercase));
        }
        if stop.is_stopword(buf) {
            *stopwords += 1;
        }
    };
    // The copyright and link marks, found in the same pass: their needles start with an
    // ASCII byte, so every match starts at a character.
    let bytes = line.as_bytes();
    let (mut copyright, mut link) = (false, false);
    for (i, c) in line.char_indices() {
        s.chars += 1;
        match c {
            '©' => copyright = true,
            '@' => link = true,
            '(' => copyright |= starts_ignore_ascii_case(&bytes[i..], b"(c)"),
            'c' | 'C' => copyright |= starts_ignore_ascii_case(&bytes[i..], b"copyright"),
            'h' | 'H' => link |= starts_ignore_ascii_case(&bytes[i..], b"http"),
            'w' | 'W' => link |= starts_ignore_ascii_case(&bytes[i..], b"www."),
            _ => {}
        }
        let cjk_char = is_cjk(c);
        if c.is_alphanumeric() && !cjk_char {
            if word_start.is_none() {
                word_start = Some(i);
            }
        } else if let Some(start) = word_start.take() {
            end_word(start, i, &mut s, &mut stopwords);
        }
        if cjk_char {
            cjk += 1;
            if stop.is_function_char(c) {
                cjk_function += 1;
            }
        }
        if c.is_alphabetic() {
            s.letters += 1;
            if c.is_uppercase() {
                s.upper += 1;
            }
        } else if c.is_ascii_digit() {
            s.digits += 1;
        } else {
            match c {
                '|' | '•' | '·' | '»' | '«' | '>' | '/' | '\\' | '_' | '=' | '+' | '*' | '#'
                | '@' | '~' | '►' | '▶' | '→' => s.separators += 1,
                ',' | '，' | '、' => s.commas += 1,
                '"' | '“' | '”' | '„' => s.quotes += 1,
                ' ' if matches!(prev, Some('.' | '!' | '?')) => s.inner_sentences += 1,
                _ => {}
            }
            if matches!(c, '«' | '»') {
                s.quotes += 1;
            }
        }
        prev = Some(c);
    }
    if let Some(start) = word_start {
        end_word(start, line.len(), &mut s, &mut stopwords);
    }
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
    s
}

/// Whether `hay` starts with `needle`, ignoring ASCII case.
fn starts_ignore_ascii_case(hay: &[u8], needle: &[u8]) -> bool {
    hay.len() >= needle.len() && hay[..needle.len()].eq_ignore_ascii_case(needle)
}

fn line_end(line: &str) -> Option<LineEnd> {
    let last = line.chars().rev().find(|c| {
        !matches!(
            c,
            '"' | '”' | '’' | '\'' | '»' | ')' | ']' | '」' | '』' | '）'
        )
    })?;
    Some(match last {
        '.' | '!' | '?' | '…' | '。' | '！' | '？' => LineEnd::Sentence,
        ':' | '：' => LineEnd::Colon,
        c if c.is_alphanumeric() => LineEnd::Alnum,
        _ => LineEnd::Other,
    })
}

fn starts_like_bullet(line: &str) -> bool {
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
mod tests {
    use super::*;

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

    #[test]
    fn flags_menus_credits_and_repeats() {
        let doc = segment("Home | News | Sport\n© AFP 2019 / Someone\nHome | News | Sport\n");
        assert_eq!(doc.lines[0].stats.separators, 2);
        assert_eq!(doc.lines[0].stats.repeats, 2);
        assert!(doc.lines[1].stats.copyright);
        assert_eq!(doc.lines[1].stats.repeats, 1);
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
