//! Which language a document is in, and which of its words are stopwords.
//!
//! The share of stopwords is the strongest sign that a line is prose rather than a menu
//! entry, but only if the list fits the document's language: an English list empties
//! every German page. whatlang guesses the language from a sample of the document's
//! longer lines; the stop-words crate gives the list (NLTK's where it has one, since its
//! lists hold function words only; the ISO lists otherwise). Chinese and Japanese have no
//! spaces, so they are measured per character against a short list of function characters.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::segment::FxBuild;

/// The languages with a stopword list, as ISO 639-1 codes.
pub const SUPPORTED: &[&str] = &[
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "zh", "ja", "ko", "cs", "sv", "da",
    "no", "fi", "hu", "ro", "tr", "el", "bg", "hr", "sk", "sl", "ca", "id", "ar", "he",
];

/// Function characters of Chinese (particles, pronouns, copulas, prepositions): in prose
/// they make up a large share of characters, in menus and headlines much less.
const ZH_FUNCTION_CHARS: &str =
    "的了是在和有我他她它们这那也就不都一上中为对说与而及等将被从但其之以于由到个来着过所又下后会要可能时还并已把向更最很没只如让给此当该两每各";
/// Function characters of Japanese: hiragana particles and auxiliaries.
const JA_FUNCTION_CHARS: &str = "のにはをたがでてとしれさもなかいるますだよね";

/// A stopword list ready for lookups.
#[derive(Debug)]
pub struct StopWords {
    /// The language's ISO 639-1 code.
    pub lang: &'static str,
    /// Looked up once per word of every line: FxHash, not SipHash.
    words: HashSet<&'static str, FxBuild>,
    /// The longest word in bytes: longer words need no lookup.
    max_len: usize,
    /// The words of up to [`SHORT_MAX`] bytes, for quick lookups.
    short: ShortWords,
    /// For languages written without spaces: count characters, not words.
    chars: Option<HashSet<char, FxBuild>>,
}

impl StopWords {
    /// Whether this list counts characters (Chinese, Japanese) rather than words.
    pub fn per_char(&self) -> bool {
        self.chars.is_some()
    }

    /// Whether `word`, already lowercased, is a stopword.
    pub fn is_stopword(&self, word: &str) -> bool {
        if word.len() > self.max_len {
            return false;
        }
        match pack(word.as_bytes(), false) {
            Some(key) => self.short.contains(key),
            None => self.words.contains(word),
        }
    }

    /// Whether `word`, ASCII in any case, is a stopword once lowercased (byte by byte, which
    /// for ASCII is what `char::to_lowercase` does).
    pub(crate) fn is_ascii_stopword(&self, word: &[u8]) -> bool {
        if word.len() > self.max_len {
            return false;
        }
        match pack(word, true) {
            Some(key) => self.short.contains(key),
            None => std::str::from_utf8(&word.to_ascii_lowercase())
                .is_ok_and(|w| self.words.contains(w)),
        }
    }

    /// [`is_ascii_stopword`](Self::is_ascii_stopword) for the word `line[start..end]`,
    /// which must be non-empty ASCII letters and digits only. The packed key is made from one
    /// 16-byte load: for letters and digits, setting bit 5 of each byte lowercases it.
    #[inline]
    pub(crate) fn is_ascii_alnum_stopword(&self, line: &[u8], start: usize, end: usize) -> bool {
        let len = end - start;
        debug_assert!(len > 0, "an empty key is an empty slot");
        if len > self.max_len {
            return false;
        }
        if len > SHORT_MAX {
            return self.is_ascii_stopword(&line[start..end]);
        }
        let word = match line.get(start..start + 16) {
            Some(w) => u128::from_le_bytes(w.try_into().expect("16 bytes")),
            None => {
                let mut buf = [0u8; 16];
                buf[..len].copy_from_slice(&line[start..end]);
                u128::from_le_bytes(buf)
            }
        };
        // `len` is 1..=15: keep its bytes, lowercase them, put the length in byte 15.
        let key = ((word | 0x2020_2020_2020_2020_2020_2020_2020_2020) & KEEP_BYTES[len])
            | ((len as u128) << 120);
        self.short.contains([key as u64, (key >> 64) as u64])
    }

    /// Whether the list holds `word`, looked up the plain way (to check the quick ways).
    #[cfg(test)]
    pub(crate) fn words_contain(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// Whether `c` is a function character (only for per-character languages).
    pub fn is_function_char(&self, c: char) -> bool {
        self.chars.as_ref().is_some_and(|s| s.contains(&c))
    }
}

/// The longest word [`pack`] packs.
const SHORT_MAX: usize = 15;

/// A word of up to [`SHORT_MAX`] bytes (lowercased byte by byte when `lower`) packed with
/// its length into 16 bytes; `None` when it is longer or empty. Packed words are compared
/// as two integers, without hashing bytes one by one nor calling `memcmp`.
#[inline]
fn pack(word: &[u8], lower: bool) -> Option<[u64; 2]> {
    if word.is_empty() || word.len() > SHORT_MAX {
        return None;
    }
    let mut buf = [0u8; 16];
    for (to, &from) in buf.iter_mut().zip(word) {
        *to = if lower {
            from.to_ascii_lowercase()
        } else {
            from
        };
    }
    buf[15] = word.len() as u8;
    let (lo, hi) = buf.split_at(8);
    Some([
        u64::from_le_bytes(lo.try_into().ok()?),
        u64::from_le_bytes(hi.try_into().ok()?),
    ])
}

/// `KEEP_BYTES[n]` keeps the low `n` bytes of a `u128`.
const KEEP_BYTES: [u128; 16] = {
    let mut t = [0u128; 16];
    let mut n = 1;
    while n < 16 {
        t[n] = (1u128 << (n * 8)) - 1;
        n += 1;
    }
    t
};

/// An open-addressing set of [packed](pack) words: the stopwords of up to [`SHORT_MAX`]
/// bytes, which are nearly all of them.
#[derive(Debug)]
struct ShortWords {
    /// Power-of-two many slots; `[0, 0]` (never a packed word) is an empty one.
    slots: Vec<[u64; 2]>,
    /// `64 - log2(slots.len())`: the hash's top bits pick the first slot.
    shift: u32,
}

impl ShortWords {
    fn new<'a>(words: impl Iterator<Item = &'a str>) -> Self {
        let keys: Vec<[u64; 2]> = words.filter_map(|w| pack(w.as_bytes(), false)).collect();
        // At most half full: probe runs stay short.
        let len = (keys.len() * 2).next_power_of_two().max(16);
        let mut set = ShortWords {
            slots: vec![[0, 0]; len],
            shift: 64 - len.trailing_zeros(),
        };
        for key in keys {
            let mut i = set.slot(key);
            while set.slots[i] != [0, 0] && set.slots[i] != key {
                i = (i + 1) & (len - 1);
            }
            set.slots[i] = key;
        }
        set
    }

    #[inline]
    fn slot(&self, key: [u64; 2]) -> usize {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        ((key[0] ^ key[1].rotate_left(29)).wrapping_mul(K) >> self.shift) as usize
    }

    #[inline]
    fn contains(&self, key: [u64; 2]) -> bool {
        let mask = self.slots.len() - 1;
        let mut i = self.slot(key);
        loop {
            let slot = self.slots[i];
            if slot == key {
                return true;
            }
            if slot == [0, 0] {
                return false;
            }
            i = (i + 1) & mask;
        }
    }
}

/// The stopword list of `lang` (ISO 639-1), built once and shared. Unknown codes get the
/// English list: most scraped UI text is English whatever the page's language.
pub fn stopwords(lang: &str) -> &'static StopWords {
    static LISTS: OnceLock<Vec<StopWords>> = OnceLock::new();
    let lists = LISTS.get_or_init(|| SUPPORTED.iter().map(|code| build(code)).collect());
    let idx = SUPPORTED.iter().position(|c| *c == lang).unwrap_or(0);
    &lists[idx]
}

fn build(code: &'static str) -> StopWords {
    let words: HashSet<&'static str, FxBuild> = stop_words::lookup(code)
        .unwrap_or(&[])
        .iter()
        .copied()
        .collect();
    let max_len = words.iter().map(|w| w.len()).max().unwrap_or(0);
    let chars = match code {
        "zh" => Some(ZH_FUNCTION_CHARS.chars().collect()),
        "ja" => Some(JA_FUNCTION_CHARS.chars().collect()),
        _ => None,
    };
    let short = ShortWords::new(words.iter().copied());
    StopWords {
        lang: code,
        words,
        short,
        max_len,
        chars,
    }
}

/// whatlang's cost grows with the text, and it settles on a language within two
/// kilobytes of prose (1.5 KB already flips some mixed pages): only this many bytes of
/// a sample are looked at.
pub(crate) const DETECT_MAX_BYTES: usize = 2048;

/// Guesses the language of a document from a sample of its text (ISO 639-1 code), or
/// `None` when whatlang is unsure or the language has no stopword list. Only the first
/// [`DETECT_MAX_BYTES`] of the sample count.
pub fn detect(sample: &str) -> Option<&'static str> {
    let mut end = sample.len().min(DETECT_MAX_BYTES);
    while !sample.is_char_boundary(end) {
        end -= 1;
    }
    let info = whatlang::detect(&sample[..end])?;
    let code = match info.lang() {
        whatlang::Lang::Eng => "en",
        whatlang::Lang::Deu => "de",
        whatlang::Lang::Fra => "fr",
        whatlang::Lang::Spa => "es",
        whatlang::Lang::Ita => "it",
        whatlang::Lang::Por => "pt",
        whatlang::Lang::Nld => "nl",
        whatlang::Lang::Pol => "pl",
        whatlang::Lang::Rus => "ru",
        whatlang::Lang::Ukr => "uk",
        whatlang::Lang::Cmn => "zh",
        whatlang::Lang::Jpn => "ja",
        whatlang::Lang::Kor => "ko",
        whatlang::Lang::Ces => "cs",
        whatlang::Lang::Swe => "sv",
        whatlang::Lang::Dan => "da",
        whatlang::Lang::Nob => "no",
        whatlang::Lang::Fin => "fi",
        whatlang::Lang::Hun => "hu",
        whatlang::Lang::Ron => "ro",
        whatlang::Lang::Tur => "tr",
        whatlang::Lang::Ell => "el",
        whatlang::Lang::Bul => "bg",
        whatlang::Lang::Hrv => "hr",
        whatlang::Lang::Slk => "sk",
        whatlang::Lang::Slv => "sl",
        whatlang::Lang::Cat => "ca",
        whatlang::Lang::Ind => "id",
        whatlang::Lang::Ara => "ar",
        whatlang::Lang::Heb => "he",
        _ => return None,
    };
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_supported_language_has_words_or_chars() {
        for code in SUPPORTED {
            let s = stopwords(code);
            assert_eq!(s.lang, *code);
            assert!(!s.words.is_empty() || s.per_char(), "{code} has no list");
        }
    }

    #[test]
    fn lists_fit_their_language() {
        assert!(stopwords("en").is_stopword("the"));
        assert!(stopwords("de").is_stopword("und"));
        assert!(stopwords("ru").is_stopword("и"));
        assert!(stopwords("pl").is_stopword("jest"));
        assert!(!stopwords("en").is_stopword("nato"));
        assert!(stopwords("zh").is_function_char('的'));
        assert!(stopwords("ja").is_function_char('の'));
    }

    #[test]
    fn packed_lookups_agree_with_the_lists() {
        for code in SUPPORTED {
            let s = stopwords(code);
            for w in &s.words {
                assert!(s.is_stopword(w), "{code}: {w}");
                if w.is_ascii() {
                    assert!(s.is_ascii_stopword(w.to_ascii_uppercase().as_bytes()));
                }
                // A word with one more letter, or without its last byte, is another word.
                let longer = format!("{w}q");
                assert_eq!(s.is_stopword(&longer), s.words.contains(longer.as_str()));
                let shorter = &w.as_bytes()[..w.len() - 1];
                if let Ok(shorter) = std::str::from_utf8(shorter) {
                    assert_eq!(
                        s.is_stopword(shorter),
                        s.words.contains(shorter),
                        "{shorter}"
                    );
                }
            }
        }
        let en = stopwords("en");
        assert!(en.is_ascii_stopword(b"THE") && en.is_ascii_stopword(b"The"));
        assert!(!en.is_ascii_stopword(b"thesis") && !en.is_stopword("th"));
        assert!(!en.is_stopword("a\0") && !en.is_stopword(""));
    }

    #[test]
    fn word_in_line_lookups_agree_with_the_lists() {
        for code in SUPPORTED {
            let s = stopwords(code);
            for w in s
                .words
                .iter()
                .filter(|w| w.bytes().all(|b| b.is_ascii_alphanumeric()))
            {
                let words = [
                    w.to_string(),
                    w.to_ascii_uppercase(),
                    format!("{w}9"),
                    w[1..].into(),
                ];
                // Words are never empty: an empty key would match an empty slot.
                for word in words.into_iter().filter(|w| !w.is_empty()) {
                    let want = s.is_ascii_stopword(word.as_bytes());
                    // At the end of the line (short read) and inside a long one.
                    let tail = format!("x {word}");
                    assert_eq!(
                        s.is_ascii_alnum_stopword(tail.as_bytes(), 2, tail.len()),
                        want
                    );
                    let mid = format!("x {word} and more text after it");
                    let end = 2 + word.len();
                    assert_eq!(
                        s.is_ascii_alnum_stopword(mid.as_bytes(), 2, end),
                        want,
                        "{word}"
                    );
                }
            }
        }
    }

    #[test]
    fn unknown_code_falls_back_to_english() {
        assert_eq!(stopwords("xx").lang, "en");
    }

    #[test]
    fn detects_common_languages() {
        let de = "Die Bundesregierung hat am Mittwoch beschlossen, dass die neuen Regeln \
                  für alle Unternehmen gelten sollen, die mehr als zehn Mitarbeiter haben.";
        let ru = "Правительство в среду решило, что новые правила будут действовать для всех \
                  компаний, в которых работает больше десяти человек.";
        assert_eq!(detect(de), Some("de"));
        assert_eq!(detect(ru), Some("ru"));
    }

    #[test]
    fn only_the_head_of_a_long_sample_counts() {
        let de = "Die Bundesregierung hat am Mittwoch beschlossen, dass die neuen Regeln \
                  für alle Unternehmen gelten sollen. ";
        let ru = "Правительство в среду решило, что новые правила будут действовать. ";
        // The Russian tail is longer, but starts after the bytes that are looked at; the
        // cut falls inside a two-byte character and must move back to its start.
        let sample = de.repeat(DETECT_MAX_BYTES / de.len() + 1) + &ru.repeat(60);
        assert_eq!(detect(&sample), Some("de"));
        let odd = "x".repeat(DETECT_MAX_BYTES - 1) + "ж" + &ru.repeat(60);
        assert!(!odd.is_char_boundary(DETECT_MAX_BYTES));
        assert_ne!(detect(&odd), Some("ru"));
    }
}
