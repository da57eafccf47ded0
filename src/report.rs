//! What a run did, as values that add up: per-file reports and run totals that worker
//! threads reduce without sharing anything, printed as a table or written as JSON.

use std::collections::BTreeMap;
use std::ops::AddAssign;
use std::path::PathBuf;

use serde::Serialize;

use crate::Cleaned;

/// What happened to one successfully cleaned file.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct FileReport {
    /// The input path (`-` for standard input).
    pub input: PathBuf,
    /// The output path, when written to a file.
    pub output: Option<PathBuf>,
    /// Bytes read.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// The encoding the input was decoded from.
    pub encoding: &'static str,
    /// Undecodable byte sequences replaced by U+FFFD.
    pub replaced: usize,
    /// Whether mojibake was repaired.
    pub mojibake_repaired: bool,
    /// Lines kept.
    pub lines_kept: u64,
    /// Lines dropped, per reason (`rule:<id>`, `classifier`, `repeated-across-documents`,
    /// ...); empty in a report made by [`new_uncounted`](Self::new_uncounted).
    pub lines_dropped: BTreeMap<String, u64>,
    /// Time spent on the file, in seconds.
    pub seconds: f64,
}

impl FileReport {
    /// Summarises a cleaned document.
    pub fn new(input: PathBuf, output: Option<PathBuf>, bytes_in: u64, cleaned: &Cleaned) -> Self {
        Self::summarise(input, output, bytes_in, cleaned, None)
    }

    /// [`new`](Self::new) without the dropped lines per reason
    /// ([`lines_dropped`](Self::lines_dropped) stays empty), for a run that reads none:
    /// naming and sorting each file's reasons and adding them into the totals by name is
    /// some 1.5% of a quiet run's time. The caller gives the number of lines kept: such a
    /// run cleans without gathering [`Cleaned::lines`] at all.
    pub fn new_uncounted(
        input: PathBuf,
        output: Option<PathBuf>,
        bytes_in: u64,
        cleaned: &Cleaned,
        lines_kept: u64,
    ) -> Self {
        Self::summarise(input, output, bytes_in, cleaned, Some(lines_kept))
    }

    /// The report of `cleaned`; with `uncounted_kept`, that many lines kept and no reasons
    /// counted, else both counted from its lines.
    fn summarise(
        input: PathBuf,
        output: Option<PathBuf>,
        bytes_in: u64,
        cleaned: &Cleaned,
        uncounted_kept: Option<u64>,
    ) -> Self {
        let report = |lines_kept, lines_dropped| FileReport {
            input,
            output,
            bytes_in,
            bytes_out: cleaned.text.len() as u64,
            encoding: cleaned.encoding,
            replaced: cleaned.replaced,
            mojibake_repaired: cleaned.mojibake_repaired,
            lines_kept,
            lines_dropped,
            seconds: 0.0,
        };
        if let Some(kept) = uncounted_kept {
            return report(kept, BTreeMap::new());
        }
        // Tally the distinct reasons first (a page has a few dozen at most) and format
        // each one once, rather than a `String` per dropped line. The reasons without an id
        // (most dropped lines: the classifier's and the repeated ones) are counted in a slot
        // of their kind; those with one (rules, layout) in a list whose entries carry their
        // reason's tag (see [`kind`]), so that the search compares words and compares ids
        // (byte by byte) only where the tags are equal, starting at the entry the last such
        // line took (a run of lines often has one rule).
        let mut kinds: [(u64, Option<&crate::Reason>); KINDS] = [(0, None); KINDS];
        let mut tally: Vec<(u64, &crate::Reason, u64)> = Vec::new();
        let mut last = 0;
        let mut lines_kept = 0;
        for l in &cleaned.lines {
            if l.verdict.keep {
                lines_kept += 1;
                continue;
            }
            let reason = &l.verdict.reason;
            let word = match kind(reason) {
                Ok(slot) => {
                    let (n, first) = &mut kinds[slot];
                    *n += 1;
                    first.get_or_insert(reason);
                    continue;
                }
                Err(tag) => tag,
            };
            let found = match tally.get(last) {
                Some((t, r, _)) if *t == word && *r == reason => Some(last),
                _ => tally
                    .iter()
                    .position(|(t, r, _)| *t == word && *r == reason),
            };
            match found {
                Some(i) => {
                    tally[i].2 += 1;
                    last = i;
                }
                None => {
                    last = tally.len();
                    tally.push((word, reason, 1));
                }
            }
        }
        // Distinct reasons have distinct names (rule names start with `rule:`, layout names
        // are fixed strings that do not, the kinds' names are neither, and equal rules share
        // one tally entry), so no count is merged into another's.
        let named = |(reason, n): (&crate::Reason, u64)| (reason_name(reason), n);
        let kinds = kinds
            .into_iter()
            .filter_map(|(n, first)| first.map(|r| (r, n)));
        let reasons = tally.len() + kinds.clone().count();
        let lines_dropped: BTreeMap<String, u64> = tally
            .into_iter()
            .map(|(_, reason, n)| (reason, n))
            .chain(kinds)
            .map(named)
            .collect();
        debug_assert_eq!(lines_dropped.len(), reasons, "two reasons share a name");
        report(lines_kept, lines_dropped)
    }
}

/// How many slots [`kind`] gives the reasons without an id.
const KINDS: usize = 5;

/// Where [`FileReport::new`] tallies `reason`: `Ok(slot)` for a reason without an id (all
/// [`Repeated`](crate::Reason::Repeated) ones in one slot, as in the table), `Err(tag)`
/// for a rule or layout rule, the tag being its kind and its id's length and first and last
/// bytes. Unequal ids mostly differ in the tag, so the tally seldom compares two in full.
fn kind(reason: &crate::Reason) -> Result<usize, u64> {
    use crate::Reason;
    let tag = |kind: u64, id: &str| {
        let b = id.as_bytes();
        let (first, last) = (b.first().copied(), b.last().copied());
        let byte = |x: Option<u8>| u64::from(x.unwrap_or(0));
        kind | (b.len() as u64) << 8 | byte(first) << 40 | byte(last) << 48
    };
    match reason {
        Reason::Rule(rule) => Err(tag(1, rule)),
        Reason::Layout(layout) => Err(tag(2, layout)),
        Reason::Caption => Ok(0),
        Reason::Classifier => Ok(1),
        Reason::Headline => Ok(2),
        Reason::HeadlineRepeat => Ok(3),
        Reason::Repeated { .. } => Ok(4),
    }
}

/// The name of `reason` in [`FileReport::lines_dropped`]: its `Display` form, but one name
/// for all repeated lines; built without the formatting machinery (once per reason per
/// file).
fn reason_name(reason: &crate::Reason) -> String {
    use crate::Reason;
    match reason {
        Reason::Repeated { .. } => "repeated-across-documents".to_string(),
        Reason::Rule(id) => {
            let mut name = String::with_capacity("rule:".len() + id.len());
            name.push_str("rule:");
            name.push_str(id);
            name
        }
        Reason::Layout(id) => (*id).to_string(),
        r => r.to_string(),
    }
}

/// Totals of a run: add [`FileReport`]s (or other `Stats`) into it with `+=`.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Stats {
    /// Files cleaned.
    pub files_ok: u64,
    /// Files that failed.
    pub files_failed: u64,
    /// Bytes read from the files cleaned.
    pub bytes_in: u64,
    /// Bytes written.
    pub bytes_out: u64,
    /// Lines kept.
    pub lines_kept: u64,
    /// Lines dropped, per reason.
    pub lines_dropped: BTreeMap<String, u64>,
    /// Files per input encoding.
    pub encodings: BTreeMap<String, u64>,
    /// Undecodable byte sequences replaced.
    pub replaced: u64,
    /// Files whose mojibake was repaired.
    pub mojibake_repaired: u64,
}

impl AddAssign<&FileReport> for Stats {
    fn add_assign(&mut self, r: &FileReport) {
        self.files_ok += 1;
        self.bytes_in += r.bytes_in;
        self.bytes_out += r.bytes_out;
        self.lines_kept += r.lines_kept;
        for (k, v) in &r.lines_dropped {
            add_count(&mut self.lines_dropped, k, *v);
        }
        add_count(&mut self.encodings, r.encoding, 1);
        self.replaced += r.replaced as u64;
        self.mojibake_repaired += u64::from(r.mojibake_repaired);
    }
}

impl AddAssign<&Stats> for Stats {
    fn add_assign(&mut self, o: &Stats) {
        self.files_ok += o.files_ok;
        self.files_failed += o.files_failed;
        self.bytes_in += o.bytes_in;
        self.bytes_out += o.bytes_out;
        self.lines_kept += o.lines_kept;
        for (k, v) in &o.lines_dropped {
            add_count(&mut self.lines_dropped, k, *v);
        }
        for (k, v) in &o.encodings {
            add_count(&mut self.encodings, k, *v);
        }
        self.replaced += o.replaced;
        self.mojibake_repaired += o.mojibake_repaired;
    }
}

/// Adds `n` to `key`'s count, allocating the key only the first time it is seen (the totals
/// take every file's reasons, and most are seen before).
fn add_count(map: &mut BTreeMap<String, u64>, key: &str, n: u64) {
    match map.get_mut(key) {
        Some(v) => *v += n,
        None => {
            map.insert(key.to_string(), n);
        }
    }
}

impl Stats {
    /// Lines dropped in all.
    pub fn lines_dropped_total(&self) -> u64 {
        self.lines_dropped.values().sum()
    }

    /// A short human summary, a few lines, for stderr.
    pub fn summary(&self, seconds: f64) -> String {
        let mb = self.bytes_in as f64 / 1e6;
        let mut s = format!(
            "{} files cleaned, {} failed; {:.1} MB in, {:.1} MB out in {:.2} s ({:.1} MB/s)\n",
            self.files_ok,
            self.files_failed,
            mb,
            self.bytes_out as f64 / 1e6,
            seconds,
            if seconds > 0.0 { mb / seconds } else { 0.0 },
        );
        s += &format!(
            "lines: {} kept, {} dropped\n",
            self.lines_kept,
            self.lines_dropped_total()
        );
        let mut reasons: Vec<_> = self.lines_dropped.iter().collect();
        reasons.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        for (reason, n) in reasons.into_iter().take(8) {
            s += &format!("  {n:>8}  {reason}\n");
        }
        s
    }
}

/// The JSON written by `--report`.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    /// Totals.
    pub totals: Stats,
    /// Wall-clock time of the run, in seconds.
    pub seconds: f64,
    /// One entry per cleaned file, in input order.
    pub files: Vec<FileReport>,
    /// One entry per failed file: its path and the reason.
    pub failures: Vec<Failure>,
}

/// A failed file in the JSON report.
#[derive(Debug, Clone, Serialize)]
pub struct Failure {
    /// The input path.
    pub input: PathBuf,
    /// Why it failed.
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report(reason: &str, dropped: u64) -> FileReport {
        FileReport {
            input: "a".into(),
            output: None,
            bytes_in: 10,
            bytes_out: 5,
            encoding: "UTF-8",
            replaced: 1,
            mojibake_repaired: false,
            lines_kept: 2,
            lines_dropped: [(reason.to_string(), dropped)].into(),
            seconds: 0.0,
        }
    }

    #[test]
    fn stats_merge_in_any_order() {
        let (a, b) = (report("rule:x", 3), report("classifier", 4));
        let mut s1 = Stats::default();
        s1 += &a;
        s1 += &b;
        let (mut left, mut right) = (Stats::default(), Stats::default());
        right += &b;
        left += &a;
        let mut s2 = right.clone();
        s2 += &left;
        assert_eq!(s1, s2);
        assert_eq!(s1.files_ok, 2);
        assert_eq!(s1.lines_dropped_total(), 7);
        assert_eq!(s1.encodings["UTF-8"], 2);
    }
    #[test]
    fn reason_names_are_their_display_but_for_repeats() {
        use crate::Reason;
        let reasons = [
            Reason::Rule("share-buttons".into()),
            Reason::Rule(String::new()),
            Reason::Caption,
            Reason::Classifier,
            Reason::Layout("before-headline"),
            Reason::Headline,
            Reason::HeadlineRepeat,
        ];
        for r in &reasons {
            assert_eq!(reason_name(r), r.to_string());
        }
        assert_eq!(
            reason_name(&Reason::Repeated { documents: 4 }),
            "repeated-across-documents"
        );
        // Unequal reasons whose tags collide are still counted apart.
        let (a, b) = (Reason::Rule("a-1-z".into()), Reason::Rule("a-2-z".into()));
        assert_eq!(kind(&a), kind(&b));
        let decision = |reason| crate::LineDecision {
            text: "x".into(),
            verdict: crate::Verdict {
                keep: false,
                reason,
                score: 0.5,
            },
        };
        let cleaned = Cleaned {
            text: String::new(),
            encoding: "UTF-8",
            replaced: 0,
            mojibake_repaired: false,
            lines: vec![decision(a.clone()), decision(b), decision(a)],
        };
        let r = FileReport::new("in".into(), None, 10, &cleaned);
        let expected: BTreeMap<String, u64> =
            [("rule:a-1-z".to_string(), 2), ("rule:a-2-z".to_string(), 1)].into();
        assert_eq!(r.lines_dropped, expected);
    }

    proptest::proptest! {
        /// The tally counts what a map from each dropped line's name counts.
        #[test]
        fn file_report_counts_as_a_map_of_names(
            picks in proptest::collection::vec((0usize..12, proptest::bool::ANY), 0..60),
        ) {
            use crate::{LineDecision, Reason, Verdict};
            // Rules whose tags collide ("a-1-z", "a-2-z"), reasons of each kind, layout.
            let pool = |i: usize| match i {
                0 => Reason::Rule("a-1-z".into()),
                1 => Reason::Rule("a-2-z".into()),
                2 => Reason::Rule("share-buttons".into()),
                3 => Reason::Rule(String::new()),
                4 => Reason::Caption,
                5 => Reason::Classifier,
                6 => Reason::Headline,
                7 => Reason::HeadlineRepeat,
                8 => Reason::Repeated { documents: 3 },
                9 => Reason::Repeated { documents: 8 },
                10 => Reason::Layout("set-apart"),
                _ => Reason::Layout("edge-prose"),
            };
            let lines: Vec<LineDecision> = picks
                .iter()
                .map(|&(i, keep)| LineDecision {
                    text: "x".into(),
                    verdict: Verdict { keep, reason: pool(i), score: 0.5 },
                })
                .collect();
            let mut want: BTreeMap<String, u64> = BTreeMap::new();
            for l in lines.iter().filter(|l| !l.verdict.keep) {
                *want.entry(reason_name(&l.verdict.reason)).or_default() += 1;
            }
            let cleaned = Cleaned {
                text: String::new(),
                encoding: "UTF-8",
                replaced: 0,
                mojibake_repaired: false,
                lines,
            };
            let r = FileReport::new("in".into(), None, 10, &cleaned);
            proptest::prop_assert_eq!(r.lines_dropped, want);
            let kept = picks.iter().filter(|(_, keep)| *keep).count() as u64;
            proptest::prop_assert_eq!(r.lines_kept, kept);
        }
    }

    #[test]
    fn file_report_counts_each_reason_once_and_repeats_in_one_row() {
        use crate::{LineDecision, Reason, Verdict};
        let line = |keep, reason| LineDecision {
            text: "x".into(),
            verdict: Verdict {
                keep,
                reason,
                score: 0.5,
            },
        };
        let cleaned = Cleaned {
            text: "x\n".into(),
            encoding: "UTF-8",
            replaced: 0,
            mojibake_repaired: false,
            lines: vec![
                line(true, Reason::Headline),
                line(false, Reason::Rule("comments-leave-reply".into())),
                line(false, Reason::Repeated { documents: 3 }),
                line(false, Reason::Classifier),
                line(false, Reason::Repeated { documents: 7 }),
                line(false, Reason::Rule("comments-leave-reply".into())),
                line(false, Reason::Rule("share-buttons".into())),
                line(true, Reason::Classifier),
            ],
        };
        let r = FileReport::new("in".into(), None, 10, &cleaned);
        assert_eq!(r.lines_kept, 2);
        let expected: BTreeMap<String, u64> = [
            ("rule:comments-leave-reply".to_string(), 2),
            ("repeated-across-documents".to_string(), 2),
            ("classifier".to_string(), 1),
            ("rule:share-buttons".to_string(), 1),
        ]
        .into();
        assert_eq!(r.lines_dropped, expected);
        // Without the counts per reason, the rest of the report is the same.
        let kept = cleaned.lines.iter().filter(|l| l.verdict.keep).count() as u64;
        let mut without = FileReport::new_uncounted("in".into(), None, 10, &cleaned, kept);
        assert!(without.lines_dropped.is_empty());
        without.lines_dropped = r.lines_dropped.clone();
        assert_eq!(without, r);
    }
}
