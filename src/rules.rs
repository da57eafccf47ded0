//! Known UI text ("Leave a Reply", "Get short URL", ...) as data: `rules/default.toml`
//! plus user rule files, compiled once into fast matchers.
//!
//! STUB: to be implemented.

use std::path::{Path, PathBuf};

/// Why rules could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// A rule file could not be read.
    #[error("cannot read rule file {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// A rule file is not valid.
    #[error("invalid rule file {origin}: {message}")]
    Invalid {
        /// The file (or `built-in`).
        origin: String,
        /// What is wrong.
        message: String,
    },
}

/// A rule that matched a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleMatch<'a> {
    /// The rule's id, e.g. `comments.leave-a-reply`.
    pub id: &'a str,
    /// The rule's category, e.g. `comments`.
    pub category: &'a str,
}

/// Compiled rules.
#[derive(Debug, Default)]
pub struct RuleSet {}

impl RuleSet {
    /// Loads the built-in rules (when `builtin`) and the given extra files.
    ///
    /// # Errors
    /// [`RuleError`] when a file cannot be read or a rule is invalid.
    pub fn load(builtin: bool, extra: &[PathBuf]) -> Result<Self, RuleError> {
        let _ = (builtin, extra.iter().map(PathBuf::as_path).collect::<Vec<&Path>>());
        Ok(RuleSet {})
    }

    /// The first rule that matches `line` (a trimmed, normalized line), if any.
    pub fn match_line(&self, line: &str) -> Option<RuleMatch<'_>> {
        let _ = line;
        None
    }
}
