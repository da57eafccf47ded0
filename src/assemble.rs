//! Stage 5: the kept lines -> the output text: the headline once, without the site name
//! that page titles carry, then the paragraphs, one blank line between them.

use crate::classify::{Reason, Verdict};
use crate::segment::Document;

/// Joins the kept lines: headline first (site suffix removed), one blank line between
/// paragraphs, `\n` line ends, a final newline; empty when nothing is kept.
pub fn assemble(doc: &Document, verdicts: &[Verdict]) -> String {
    let kept = doc.lines.iter().zip(verdicts).filter(|(_, v)| v.keep);
    // Sized once: each kept line and the two bytes after it (a blank line, or the final
    // newline) at most; growing the string as it fills copied it over and over.
    let mut out = String::with_capacity(kept.clone().map(|(line, _)| line.text.len() + 2).sum());
    for (line, v) in kept {
        if !out.is_empty() {
            out.push_str("\n\n");
        }
        if v.reason == Reason::Headline {
            out.push_str(strip_site(&line.text));
        } else {
            out.push_str(&line.text);
        }
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

fn words(s: &str) -> usize {
    s.split_whitespace().count()
}

/// A headline without the site and section names that page titles append:
/// `Headline :: Section :: Site`, `Headline | Site`, `Headline - Site`.
pub fn strip_site(title: &str) -> &str {
    const MAX_SITE_WORDS: usize = 4;
    // `::` and `|` separate title parts; the headline is the first part long enough to be
    // one, else the longest.
    for sep in [" :: ", " | ", " || ", " · ", " • "] {
        if title.contains(sep) {
            let parts: Vec<&str> = title.split(sep).map(str::trim).collect();
            return parts
                .iter()
                .find(|p| words(p) >= 3)
                .or_else(|| parts.iter().max_by_key(|p| p.len()))
                .copied()
                .unwrap_or(title);
        }
    }
    // Dashes also occur inside headlines: strip only short trailing parts (at most twice,
    // for `Headline - Section - Site`), keeping at least three words.
    let mut t = title;
    for _ in 0..2 {
        let Some((pos, sep_len)) = [" - ", " – ", " — "]
            .iter()
            .filter_map(|sep| t.rfind(sep).map(|p| (p, sep.len())))
            .max_by_key(|(p, _)| *p)
        else {
            break;
        };
        let (head, tail) = (&t[..pos], &t[pos + sep_len..]);
        if words(tail) <= MAX_SITE_WORDS && words(head) >= 3 {
            t = head.trim_end();
        } else {
            break;
        }
    }
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn site_suffixes_are_removed() {
        assert_eq!(
            strip_site("Stoltenberg urged not to isolate Russia :: Policy :: RBC"),
            "Stoltenberg urged not to isolate Russia"
        );
        assert_eq!(
            strip_site("So Many Ways to Play - WSJ"),
            "So Many Ways to Play"
        );
        assert_eq!(
            strip_site("A Headline Here | The Daily Paper"),
            "A Headline Here"
        );
        assert_eq!(
            strip_site("News | A longer headline comes second"),
            "A longer headline comes second"
        );
        assert_eq!(
            strip_site("Big Win Tonight - Sports - The Paper"),
            "Big Win Tonight"
        );
    }

    #[test]
    fn dashes_inside_headlines_stay() {
        let t = "Left - right divide deepens as the vote on the budget nears";
        assert_eq!(strip_site(t), t);
        assert_eq!(strip_site("No - Way"), "No - Way");
    }
}
