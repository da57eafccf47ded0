//! boilerstrip: turn scraped web text into clean UTF-8 plain text.
//!
//! The data flows one way, one document at a time:
//! [`decode`] -> [`normalize`] -> [`segment`] -> [`classify`] -> [`assemble`].
//! [`Cleaner::clean`] runs that chain; the [`batch`] layer runs it over many files in
//! parallel and writes the results atomically. Over a folder it runs twice: a first pass
//! counts lines across the documents ([`corpus`]), and [`Cleaner::clean_with_stats`] drops
//! the lines that recur in many of them.
//!
//! ```
//! use boilerstrip::{Cleaner, Config};
//! let cleaner = Cleaner::new(Config::default()).unwrap();
//! let page = "Leave a Reply\n\nA headline\n\nThe article says something worth reading, at length.\n";
//! let cleaned = cleaner.clean(page.as_bytes()).unwrap();
//! assert!(!cleaned.text.contains("Leave a Reply"));
//! ```
#![deny(missing_docs)]

#[cfg(feature = "cli")]
pub mod alloc;
pub mod assemble;
pub mod batch;
mod chars;
pub mod classify;
pub mod corpus;
pub mod decode;
pub mod eval;
pub mod features;
pub mod language;
pub mod model;
pub mod normalize;
pub mod report;
pub mod rules;
pub mod segment;
mod swar;
pub mod train;

use std::path::PathBuf;

pub use classify::{Reason, Verdict};
pub use decode::DecodeError;
pub use rules::{RuleError, RuleSet};

/// Everything that changes how a document is cleaned. Built once (by the CLI from its
/// flags, or by a library user) and shared read-only by every worker thread.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// Extra rule files, in the format of `rules/default.toml`, added to the built-in
    /// rules. Default: none.
    pub extra_rules: Vec<PathBuf>,
    /// Leave out the built-in rules (only `extra_rules` apply). Default: false.
    pub no_builtin_rules: bool,
    /// When a line counts as repeated across the documents of its scope, for
    /// [`Cleaner::clean_with_stats`]. Default: in 3 documents and 10 % of them.
    pub repeat_threshold: corpus::Threshold,
    /// Leave the headline out: the article body only, as trafilatura gives it and as the
    /// shb-dev gold is annotated. Default: false (headline first).
    pub no_headline: bool,
}

/// Why a [`Cleaner`] could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A rule file could not be read or compiled.
    #[error(transparent)]
    Rules(#[from] RuleError),
}

/// A ready-to-use cleaner: the compiled rules and the classifier. Cheap to share between
/// threads (`&Cleaner` is all a worker needs).
#[derive(Debug)]
pub struct Cleaner {
    rules: RuleSet,
    model: &'static model::Model,
    repeat_threshold: corpus::Threshold,
    no_headline: bool,
}

/// One input line and what was decided about it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineDecision {
    /// The line after normalization (blank lines are not listed).
    pub text: String,
    /// Keep or drop, and why.
    pub verdict: Verdict,
}

/// The result of cleaning one document.
#[derive(Debug, Clone)]
pub struct Cleaned {
    /// The clean text: headline, blank line, paragraphs separated by one blank line,
    /// final newline; empty when nothing was kept.
    pub text: String,
    /// The encoding the input was decoded from (an encoding_rs name such as `UTF-8`,
    /// `windows-1251`, `UTF-16LE`).
    pub encoding: &'static str,
    /// How many undecodable byte sequences became U+FFFD.
    pub replaced: usize,
    /// Whether mojibake (UTF-8 read as a single-byte code page) was repaired.
    pub mojibake_repaired: bool,
    /// Every non-blank line of the normalized input, in order, with its verdict.
    pub lines: Vec<LineDecision>,
}

/// How much of each line a clean gives back in [`Cleaned::lines`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Every line with its verdict, rule ids included.
    Lines,
    /// No lines (`lines` is empty), only how many were kept: for a caller that reads
    /// nothing else of them (a quiet batch run). It saves a string per line a rule matched
    /// and the list of decisions.
    KeptCount,
}

/// What a first pass over a document's bytes found out about them, so that cleaning the
/// same bytes need not find it out again. The default knows nothing.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Known {
    /// The legacy encoding the detector guessed (the slowest part of decoding legacy
    /// text), if it had to guess.
    pub(crate) encoding: Option<&'static encoding_rs::Encoding>,
    /// What normalizing the decoded text found it needs, if the first pass normalized it.
    pub(crate) normalized: Scanned,
}

/// What a first pass found normalizing a decoded text needs: one field for the three
/// states, so that a text cannot be both unchanged and in need of steps.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) enum Scanned {
    /// Not normalized yet: cleaning scans it.
    #[default]
    Unknown,
    /// Needs no normalizing but LF line ends and a final newline: what
    /// [`normalize_cow`](normalize::normalize_cow) without the final newline borrows back
    /// unchanged, or changes only the line ends of.
    Unchanged,
    /// Needs more than its line ends fixed, as the scan found: normalizing it again need
    /// not scan it for that.
    Needs(normalize::Needs),
}

impl Cleaner {
    /// Compiles the rules named by `config`.
    ///
    /// # Errors
    /// [`ConfigError::Rules`] when a rule file cannot be read or a rule does not compile.
    pub fn new(config: Config) -> Result<Self, ConfigError> {
        let rules = RuleSet::load(!config.no_builtin_rules, &config.extra_rules)?;
        Ok(Cleaner {
            rules,
            model: model::Model::builtin(),
            repeat_threshold: config.repeat_threshold,
            no_headline: config.no_headline,
        })
    }

    /// Cleans one document given as raw bytes in any supported encoding.
    ///
    /// # Errors
    /// [`DecodeError`] when the bytes are not text (binary data).
    pub fn clean(&self, bytes: &[u8]) -> Result<Cleaned, DecodeError> {
        self.clean_inner(bytes, None, Known::default(), Detail::Lines)
            .map(|(cleaned, _)| cleaned)
    }

    /// Cleans one document of `scope`, also dropping the lines that `stats` show repeated
    /// across the scope's documents (under [`Config::repeat_threshold`]), with the reason
    /// [`Reason::Repeated`]. The same as [`clean`](Self::clean) when `stats` has no counts
    /// for `scope`.
    ///
    /// A document made only of repeated lines comes out empty.
    ///
    /// Count all the documents into `stats` before cleaning the first: the first clean
    /// after counting indexes the scope's repeated lines (see [`corpus::LineStats::repeats`]), so
    /// counting and cleaning by turns would index the scope once per document.
    ///
    /// # Errors
    /// [`DecodeError`] when the bytes are not text (binary data).
    pub fn clean_with_stats(
        &self,
        bytes: &[u8],
        stats: &corpus::LineStats,
        scope: &str,
    ) -> Result<Cleaned, DecodeError> {
        self.clean_inner(
            bytes,
            stats.repeats(scope, &self.repeat_threshold),
            Known::default(),
            Detail::Lines,
        )
        .map(|(cleaned, _)| cleaned)
    }

    /// [`clean_with_stats`](Self::clean_with_stats) when `stats` gives the counts and the
    /// scope, else [`clean`](Self::clean), with the legacy encoding of `bytes` already known:
    /// the name that [`LineStats::count_bytes_detecting`](corpus::LineStats::count_bytes_detecting)
    /// returned for the same bytes. Decoding then skips the encoding detector (the slowest
    /// part of decoding legacy text) and gives the same result as without it.
    ///
    /// `legacy` only replaces the detector's guess: a byte order mark, UTF-8 and the binary
    /// checks still decide first. A name that encoding_rs does not know, or that names UTF-8
    /// or UTF-16, is ignored. For other bytes than those it was detected on, the text is
    /// read in that encoding, right or wrong.
    ///
    /// # Errors
    /// [`DecodeError`] when the bytes are not text (binary data).
    pub fn clean_with_encoding(
        &self,
        bytes: &[u8],
        stats: Option<(&corpus::LineStats, &str)>,
        legacy: Option<&str>,
    ) -> Result<Cleaned, DecodeError> {
        let known = legacy
            .and_then(|name| encoding_rs::Encoding::for_label(name.as_bytes()))
            // UTF-16 and the replacement encoding have UTF-8 as their output encoding.
            .filter(|e| e.output_encoding() == *e && *e != encoding_rs::UTF_8);
        let known = Known {
            encoding: known,
            ..Known::default()
        };
        self.clean_known(bytes, stats, known)
    }

    /// [`clean_with_encoding`](Self::clean_with_encoding) with what a first pass over the
    /// same bytes found out about them.
    pub(crate) fn clean_known(
        &self,
        bytes: &[u8],
        stats: Option<(&corpus::LineStats, &str)>,
        known: Known,
    ) -> Result<Cleaned, DecodeError> {
        self.clean_known_detail(bytes, stats, known, Detail::Lines)
            .map(|(cleaned, _)| cleaned)
    }

    /// [`clean_known`](Self::clean_known), with the lines in the result only as `detail`
    /// asks, and how many lines were kept.
    pub(crate) fn clean_known_detail(
        &self,
        bytes: &[u8],
        stats: Option<(&corpus::LineStats, &str)>,
        known: Known,
        detail: Detail,
    ) -> Result<(Cleaned, usize), DecodeError> {
        let repeats = stats.and_then(|(stats, scope)| stats.repeats(scope, &self.repeat_threshold));
        self.clean_inner(bytes, repeats, known, detail)
    }

    fn clean_inner(
        &self,
        bytes: &[u8],
        repeats: Option<corpus::Repeats<'_>>,
        known: Known,
        detail: Detail,
    ) -> Result<(Cleaned, usize), DecodeError> {
        let rule_ids = detail == Detail::Lines;
        let decoded = decode::decode_known(bytes, known.encoding)?;
        // Borrowed when normalizing changes nothing (but the final newline, which
        // `segment_terminated` reads as there): the lines are copied out anyway.
        let normalized = |needs| {
            let (text, done) = normalize::normalize_cow_scanned(&decoded.text, true, needs);
            (text, done.mojibake_repaired)
        };
        let (text, mojibake_repaired) = match known.normalized {
            Scanned::Unchanged => (normalize::line_ends_fixed(&decoded.text), false),
            Scanned::Unknown => normalized(None),
            Scanned::Needs(needs) => normalized(Some(needs)),
        };
        // Segment counts the title's words in each line as it finds the words (classify's
        // title overlap, with no second walk over the lines).
        let (doc, filter, hits) =
            segment::segment_terminated_filtered(&text, classify::TitleFilter::of);
        let title = classify::TitleHits::new(filter, hits);
        // The lines own their text: the decoded and normalized texts (copies of the whole
        // input, when decoding or normalizing changed it) are freed before classifying.
        let (encoding, replaced) = (decoded.encoding, decoded.replaced);
        drop(text);
        drop(decoded);
        let (doc, mut verdicts) = match repeats {
            Some(repeats) => self.classify_without_repeats(doc, title, &repeats, rule_ids),
            None => {
                let verdicts = classify::classify_known_ids(
                    &doc,
                    &self.rules,
                    self.model,
                    &[],
                    rule_ids,
                    Some(title),
                );
                (doc, verdicts)
            }
        };
        if self.no_headline {
            classify::drop_headline(&mut verdicts);
        }
        let text = assemble::assemble(&doc, &verdicts);
        let kept = verdicts.iter().filter(|v| v.keep).count();
        let lines = match detail {
            Detail::Lines => doc
                .lines
                .into_iter()
                .zip(verdicts)
                .map(|(line, verdict)| LineDecision {
                    text: line.text,
                    verdict,
                })
                .collect(),
            Detail::KeptCount => Vec::new(),
        };
        let cleaned = Cleaned {
            text,
            encoding,
            replaced,
            mojibake_repaired,
            lines,
        };
        Ok((cleaned, kept))
    }

    /// Classifies `doc` as if the lines repeated across its scope were not there, and drops
    /// them with [`Reason::Repeated`]. Taking them out *before* the classifier means a
    /// site's template is neither picked as the headline nor smoothed into the article,
    /// and the headline is chosen among the remaining lines. Lines a UI rule matches stay
    /// in, with the rule's verdict: the rule is the more specific reason, and the
    /// classifier reads rule hits as context (a comment prompt announces comments).
    /// `title` is segment's count of the title's words in the lines of `doc`.
    fn classify_without_repeats(
        &self,
        mut doc: segment::Document,
        title: classify::TitleHits,
        repeats: &corpus::Repeats<'_>,
        rule_ids: bool,
    ) -> (segment::Document, Vec<Verdict>) {
        // A repeated line that a rule matches is classified (the rule names why it goes);
        // that match is handed to the classifier rather than computed twice.
        let mut known = Vec::with_capacity(doc.lines.len());
        let repeated: Vec<Option<u32>> = doc
            .lines
            .iter()
            .map(|l| match repeats.documents(&l.text) {
                Some(documents) => match self.rules.match_line(&l.text) {
                    None => Some(documents),
                    Some(m) => {
                        known.push(Some((m.id, m.category)));
                        None
                    }
                },
                None => {
                    known.push(None);
                    None
                }
            })
            .collect();
        let aside_len = repeated.iter().filter(|r| r.is_some()).count();
        if aside_len == 0 {
            let verdicts = classify::classify_known_ids(
                &doc,
                &self.rules,
                self.model,
                &known,
                rule_ids,
                Some(title),
            );
            return (doc, verdicts);
        }
        // Move the repeated lines aside (no copies of the document), classify the rest,
        // then put every line back in its place.
        // Each sized once (growing a list of lines as it fills moved it over and over).
        let mut aside = Vec::with_capacity(aside_len);
        let mut rest = Vec::with_capacity(doc.lines.len() - aside_len);
        for (line, r) in std::mem::take(&mut doc.lines).into_iter().zip(&repeated) {
            if r.is_some() {
                aside.push(line);
            } else {
                rest.push(line);
            }
        }
        doc.lines = rest;
        // The counts of the lines left, while their title is still the first line.
        let title = title.retain(repeated.iter().map(Option::is_none));
        let verdicts =
            classify::classify_known_ids(&doc, &self.rules, self.model, &known, rule_ids, title);
        let (mut aside, mut rest) = (
            aside.into_iter(),
            std::mem::take(&mut doc.lines).into_iter(),
        );
        let mut verdicts = verdicts.into_iter();
        let mut lines = Vec::with_capacity(repeated.len());
        let verdicts = repeated
            .into_iter()
            .map(|r| match r {
                Some(documents) => {
                    lines.push(aside.next().expect("one line per repeated line"));
                    Verdict {
                        keep: false,
                        reason: Reason::Repeated { documents },
                        score: 0.0,
                    }
                }
                None => {
                    lines.push(rest.next().expect("one line per remaining line"));
                    verdicts.next().expect("one verdict per remaining line")
                }
            })
            .collect();
        doc.lines = lines;
        (doc, verdicts)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Text with what the first pass finds out about: entities, CRLF and lone CR, spaces
    /// and blank lines to fix, mojibake, characters to compose, and letters that legacy
    /// code pages hold.
    fn text() -> impl Strategy<Value = String> {
        const PIECES: &[&str] = &[
            "Ein Satz über Größe.",
            "Это строка текста.",
            "Une phrase à côté.",
            "Share on Facebook",
            "&amp;",
            "&#8217;",
            "&lt;b&gt;",
            "Q&A",
            "â€™",
            "Ã©tÃ©",
            "e\u{301}",
            "\u{A0}",
            "\u{200B}",
            "  ",
            "\t",
            "\n",
            "\n\n\n",
            "\r\n",
            "\r",
        ];
        let piece = prop_oneof![
            proptest::sample::select(PIECES).prop_map(str::to_string),
            "[a-zA-Z ,.]{1,30}",
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|p| p.concat())
    }

    /// `text` as bytes: UTF-8 with or without a byte order mark, a legacy code page, UTF-16
    /// with one, or with a control or stray bytes put in (text or binary by a hair).
    fn bytes() -> impl Strategy<Value = Vec<u8>> {
        let form = prop_oneof![
            Just("UTF-8"),
            Just("BOM"),
            Just("windows-1252"),
            Just("windows-1251"),
            Just("ISO-8859-2"),
            Just("UTF-16LE"),
        ];
        let odd = proptest::collection::vec(
            (
                any::<proptest::sample::Index>(),
                prop_oneof![1u8..0x09, 0x0Eu8..0x20, 0x80u8..=0xFF, Just(0u8)],
            ),
            0..3,
        );
        (text(), form, odd).prop_map(|(text, form, odd)| {
            let mut bytes = match form {
                "UTF-8" => text.into_bytes(),
                "BOM" => [&b"\xEF\xBB\xBF"[..], text.as_bytes()].concat(),
                "UTF-16LE" => {
                    let mut b = vec![0xFF, 0xFE];
                    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
                    b
                }
                label => {
                    let encoding = encoding_rs::Encoding::for_label(label.as_bytes()).unwrap();
                    encoding.encode(&text).0.into_owned()
                }
            };
            for (at, byte) in odd {
                let at = at.index(bytes.len() + 1);
                bytes.insert(at, byte);
            }
            bytes
        })
    }

    fn same(got: &Cleaned, want: &Cleaned) -> Result<(), TestCaseError> {
        prop_assert_eq!(&got.text, &want.text);
        prop_assert_eq!(got.encoding, want.encoding);
        prop_assert_eq!(got.replaced, want.replaced);
        prop_assert_eq!(got.mojibake_repaired, want.mojibake_repaired);
        prop_assert_eq!(&got.lines, &want.lines);
        Ok(())
    }

    /// Cleaning for the kept count alone gives the text of a full clean (`want`), no
    /// lines, and the number of lines `want` keeps.
    fn kept_count_is_lines(
        cleaner: &Cleaner,
        bytes: &[u8],
        stats: Option<(&corpus::LineStats, &str)>,
        known: Known,
        want: &Cleaned,
    ) -> Result<(), TestCaseError> {
        let (got, kept) = cleaner
            .clean_known_detail(bytes, stats, known, Detail::KeptCount)
            .unwrap();
        prop_assert!(got.lines.is_empty());
        let want_kept = want.lines.iter().filter(|l| l.verdict.keep).count();
        prop_assert_eq!(kept, want_kept);
        same(
            &Cleaned {
                lines: want.lines.clone(),
                ..got
            },
            want,
        )
    }

    proptest! {
        /// The second pass over a folder, given what the first found out about the same
        /// bytes, cleans them as if it knew nothing.
        #[test]
        fn cleaning_with_the_first_pass_hint_is_cleaning(
            bytes in bytes(),
            others in proptest::collection::vec(bytes(), 0..3),
        ) {
            let cleaner = Cleaner::new(Config::default()).unwrap();
            let mut stats = corpus::LineStats::default();
            for other in &others {
                let _ = stats.count_bytes("s", other);
            }
            let plain = cleaner.clean(&bytes);
            let known = match stats.count_bytes_guess("s", &bytes) {
                Ok(known) => known,
                Err(e) => {
                    prop_assert_eq!(plain.err(), Some(e));
                    return Ok(());
                }
            };
            let plain = plain.unwrap();
            same(&cleaner.clean_known(&bytes, None, known).unwrap(), &plain)?;
            let with_stats = cleaner.clean_with_stats(&bytes, &stats, "s").unwrap();
            let hinted = cleaner.clean_known(&bytes, Some((&stats, "s")), known).unwrap();
            same(&hinted, &with_stats)?;
            for (stats, want) in [(None, &plain), (Some((&stats, "s")), &with_stats)] {
                kept_count_is_lines(&cleaner, &bytes, stats, known, want)?;
            }
        }
    }
}
