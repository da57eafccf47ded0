//! Stage 4: give every line a verdict (keep or drop) and the reason for it.

use crate::rules::RuleSet;
use crate::segment::Document;

/// Why a line was kept or dropped.
#[derive(Debug, Clone, PartialEq)]
pub enum Reason {
    /// A UI-text rule matched (its id).
    Rule(String),
    /// The line classifier decided, with this probability of being article text.
    Classifier,
    /// The line is the document's headline.
    Headline,
}

/// The decision for one line.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// Keep the line in the output.
    pub keep: bool,
    /// Why.
    pub reason: Reason,
    /// The classifier's probability that the line is article text (0..1).
    pub score: f32,
}

/// Decides every line of `doc`.
pub fn classify(doc: &Document, rules: &RuleSet) -> Vec<Verdict> {
    doc.lines
        .iter()
        .map(|l| match rules.match_line(&l.text) {
            Some(m) => Verdict { keep: false, reason: Reason::Rule(m.id.to_string()), score: 0.0 },
            None => Verdict { keep: true, reason: Reason::Classifier, score: 1.0 },
        })
        .collect()
}
