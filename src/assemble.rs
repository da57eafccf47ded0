//! Stage 5: the kept lines -> the output text.

use crate::classify::Verdict;
use crate::segment::Document;

/// Joins the kept lines: one blank line between paragraphs, final newline.
pub fn assemble(doc: &Document, verdicts: &[Verdict]) -> String {
    let mut out = String::new();
    for (line, v) in doc.lines.iter().zip(verdicts) {
        if v.keep {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(&line.text);
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}
