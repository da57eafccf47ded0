//! The non-ASCII characters whose lowercase and `is_alphanumeric` are known without the
//! Unicode tables (each costs a binary search): one list of ranges for segment, classify
//! and corpus, so that their shortcuts cannot drift apart. A test checks every character
//! against the tables.

/// What [`known`] tells of a character.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Known {
    /// `c.to_lowercase()`, which is this one character.
    pub(crate) lower: char,
    /// `c.is_alphanumeric()`; when true, `c.is_alphabetic()` too.
    pub(crate) alnum: bool,
}

/// The lowercase and `is_alphanumeric` of `c` when it is one of the common letters and
/// signs of Latin-1, Cyrillic, general punctuation, kana, CJK ideographs and Hangul;
/// `None` for any other character (and ASCII), which the Unicode tables decide. No
/// character here is numeric, uppercase beyond those with a lowercase, or titlecase.
#[inline]
pub(crate) fn known(c: char) -> Option<Known> {
    let u = c as u32;
    let (lower, alnum) = if u < 0x800 {
        // One load for the two-byte characters (most of those on Western pages).
        let entry = TWO_BYTE[u as usize];
        if entry == 0 {
            return None;
        }
        (u32::from(entry & LOWER), entry & ALNUM != 0)
    } else {
        describe(u)?
    };
    Some(Known {
        lower: char::from_u32(lower).unwrap_or(c),
        alnum,
    })
}

/// The list of the known characters: the code point's lowercase and whether it is
/// alphanumeric.
const fn describe(u: u32) -> Option<(u32, bool)> {
    Some(match u {
        // Latin-1: `×` and `÷` are signs; the capitals lowercase 0x20 on.
        0xD7 | 0xF7 => (u, false),
        0xC0..=0xDE => (u + 0x20, true),
        0xDF..=0xFF => (u, true),
        // Cyrillic capitals `Ѐ`..`Џ`, `А`..`Я`, and their lowercase.
        0x400..=0x40F => (u + 0x50, true),
        0x410..=0x42F => (u + 0x20, true),
        0x430..=0x45F => (u, true),
        // General punctuation: spaces, dashes, quotes, ellipsis.
        0x2000..=0x206F => (u, false),
        // Hiragana, katakana and their marks.
        0x3041..=0x3096 | 0x309D..=0x309F | 0x30A1..=0x30FA | 0x30FC..=0x30FF => (u, true),
        0x30A0 | 0x30FB => (u, false),
        // CJK ideographs (extension A, unified), Hangul syllables; the Yijing hexagrams
        // between the first two are signs.
        0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xAC00..=0xD7A3 => (u, true),
        0x4DC0..=0x4DFF => (u, false),
        _ => return None,
    })
}

/// [`TWO_BYTE`]'s bits: the lowercase (below U+0800) ...
const LOWER: u16 = 0x7FF;
/// ... whether the character is alphanumeric ...
const ALNUM: u16 = 0x8000;
/// ... and that it is known (so that no known entry is 0).
const KNOWN: u16 = 0x4000;

/// [`describe`] of every character below U+0800, made when compiling.
static TWO_BYTE: [u16; 0x800] = {
    let mut t = [0u16; 0x800];
    let mut u = 0;
    while u < 0x800 {
        if let Some((lower, alnum)) = describe(u as u32) {
            t[u] = KNOWN | lower as u16 | if alnum { ALNUM } else { 0 };
        }
        u += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_characters_agree_with_the_unicode_tables() {
        let mut count = 0;
        for c in (0..=0x10FFFFu32).filter_map(char::from_u32) {
            let Some(k) = known(c) else {
                continue;
            };
            count += 1;
            let u = c as u32;
            assert!(!c.is_ascii(), "U+{u:04X}");
            assert!(c.to_lowercase().eq([k.lower]), "U+{u:04X}");
            assert_eq!(k.alnum, c.is_alphanumeric(), "U+{u:04X}");
            assert_eq!(k.alnum, c.is_alphabetic(), "U+{u:04X}");
            assert!(!c.is_numeric(), "U+{u:04X}");
            assert_eq!(c.is_uppercase(), k.lower != c, "U+{u:04X}");
        }
        // Every range is there (a range dropped by mistake would pass the checks above).
        assert_eq!(
            count,
            64 + 96 + 112 + 86 + 3 + 90 + 4 + 2 + 6592 + 64 + 20992 + 11172
        );
        assert_eq!(known('É').map(|k| k.lower), Some('é'));
        assert_eq!(known('Ж').map(|k| k.lower), Some('ж'));
        assert_eq!(known('Ё').map(|k| k.lower), Some('ё'));
        assert_eq!(known('’').map(|k| k.alnum), Some(false));
    }
}
