//! Stage 3: split normalized text into lines with their layout context.

/// One non-blank line of the document.
#[derive(Debug, Clone)]
pub struct Line {
    /// The line's text, trimmed.
    pub text: String,
    /// Whether a blank line (or the start of the document) comes before it.
    pub blank_before: bool,
    /// Whether a blank line (or the end of the document) comes after it.
    pub blank_after: bool,
}

/// A segmented document: its non-blank lines in order.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The non-blank lines.
    pub lines: Vec<Line>,
}

/// Splits `text` into non-blank lines.
pub fn segment(text: &str) -> Document {
    let raw: Vec<&str> = text.split('\n').map(str::trim).collect();
    let mut lines = Vec::new();
    for (i, l) in raw.iter().enumerate() {
        if l.is_empty() {
            continue;
        }
        lines.push(Line {
            text: (*l).to_string(),
            blank_before: i == 0 || raw[i - 1].is_empty(),
            blank_after: i + 1 == raw.len() || raw[i + 1].is_empty(),
        });
    }
    Document { lines }
}
