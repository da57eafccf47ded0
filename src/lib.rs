//! boilerstrip: turn scraped web text into clean UTF-8 plain text.
//!
//! The data flows one way, one document at a time:
//! [`decode`] -> [`normalize`] -> [`segment`] -> [`classify`] -> [`assemble`].
//! [`Cleaner::clean`] runs that chain; the [`batch`] layer runs it over many files in
//! parallel and writes the results atomically.
//!
//! ```
//! use boilerstrip::{Cleaner, Config};
//! let cleaner = Cleaner::new(Config::default()).unwrap();
//! let page = "Leave a Reply\n\nA headline\n\nThe article says something worth reading, at length.\n";
//! let cleaned = cleaner.clean(page.as_bytes()).unwrap();
//! assert!(!cleaned.text.contains("Leave a Reply"));
//! ```
#![deny(missing_docs)]

pub mod assemble;
pub mod batch;
pub mod classify;
pub mod decode;
pub mod eval;
pub mod features;
pub mod language;
pub mod model;
pub mod normalize;
pub mod report;
pub mod rules;
pub mod segment;
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
        })
    }

    /// Cleans one document given as raw bytes in any supported encoding.
    ///
    /// # Errors
    /// [`DecodeError`] when the bytes are not text (binary data).
    pub fn clean(&self, bytes: &[u8]) -> Result<Cleaned, DecodeError> {
        let decoded = decode::decode(bytes)?;
        let normalized = normalize::normalize(&decoded.text);
        let doc = segment::segment(&normalized.text);
        let verdicts = classify::classify(&doc, &self.rules, self.model);
        let text = assemble::assemble(&doc, &verdicts);
        let lines = doc
            .lines
            .into_iter()
            .zip(verdicts)
            .map(|(line, verdict)| LineDecision {
                text: line.text,
                verdict,
            })
            .collect();
        Ok(Cleaned {
            text,
            encoding: decoded.encoding,
            replaced: decoded.replaced,
            mojibake_repaired: normalized.mojibake_repaired,
            lines,
        })
    }
}
