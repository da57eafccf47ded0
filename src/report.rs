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
    /// ...).
    pub lines_dropped: BTreeMap<String, u64>,
    /// Time spent on the file, in seconds.
    pub seconds: f64,
}

impl FileReport {
    /// Summarises a cleaned document.
    pub fn new(input: PathBuf, output: Option<PathBuf>, bytes_in: u64, cleaned: &Cleaned) -> Self {
        // Tally the distinct reasons first (a page has a few dozen at most) and format
        // each one once, rather than a `String` per dropped line.
        let mut tally: Vec<(&crate::Reason, u64)> = Vec::new();
        let mut lines_kept = 0;
        for l in &cleaned.lines {
            if l.verdict.keep {
                lines_kept += 1;
                continue;
            }
            let reason = &l.verdict.reason;
            // Per reason, not per count: one table row for repeated lines.
            let same = |r: &crate::Reason| match (r, reason) {
                (crate::Reason::Repeated { .. }, crate::Reason::Repeated { .. }) => true,
                _ => r == reason,
            };
            match tally.iter_mut().find(|(r, _)| same(r)) {
                Some((_, n)) => *n += 1,
                None => tally.push((reason, 1)),
            }
        }
        let mut lines_dropped = BTreeMap::new();
        for (reason, n) in tally {
            let name = match reason {
                crate::Reason::Repeated { .. } => "repeated-across-documents".to_string(),
                r => r.to_string(),
            };
            *lines_dropped.entry(name).or_insert(0) += n;
        }
        FileReport {
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
        }
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
    }
}
