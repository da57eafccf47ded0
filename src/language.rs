//! Which language a document is in, and which of its words are stopwords.
//!
//! The share of stopwords is the strongest sign that a line is prose rather than a menu
//! entry, but only if the list fits the document's language: an English list empties
//! every German page. The language is guessed from a sample of the document's longer
//! lines: in Latin or Cyrillic letters, by which language's stopwords dominate it (one
//! table lookup per word); when that is unclear, and for other scripts, by whatlang, whose
//! trigram scoring costs about a million instructions a document. The stop-words crate
//! gives the lists (NLTK's where it has one, since its lists hold function words only; the
//! ISO lists otherwise). Chinese and Japanese have no spaces, so they are measured per
//! character against a short list of function characters.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::segment::{FxBuild, ALPHA, BYTE_CLASS, DIGIT};
use crate::swar::{ascii_classes16, lane_count, lanes_in, BlockWords, ChunkWords, HIGH, ONES};

mod word_table;

pub use word_table::SUPPORTED;
use word_table::{
    eight_hash, filter_bits, find_eight, find_long, hash_shift, pack, packed_hash, FILTER_WORDS,
    LANG_EIGHT_SLOTS, SHORT_MAX,
};

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
    /// The words of up to eight bytes again, keyed by one integer: most words of a text.
    eight: EightByteWords,
    /// The [`long_bit`] of every word of nine to [`SHORT_MAX`] ASCII letters and digits
    /// (the only words tested against it): a longer word whose bit is clear is no stopword,
    /// known before its key is made; with few such words in a list, most bits are clear.
    long: u64,
    /// For languages written without spaces: count characters, not words.
    chars: Option<BmpChars>,
}

/// A set of characters of the Basic Multilingual Plane, one bit each (8 KiB): a test is a
/// load and a shift, where a hash set hashed and probed for every character of Chinese and
/// Japanese lines.
#[derive(Debug)]
struct BmpChars(Box<[u64; 1024]>);

impl BmpChars {
    /// The set of the characters of `chars`, which must all be in the BMP.
    fn new(chars: &str) -> Self {
        let mut bits = Box::new([0u64; 1024]);
        for c in chars.chars() {
            let u = c as usize;
            assert!(u < 0x10000, "{c:?} is outside the BMP");
            bits[u >> 6] |= 1 << (u & 63);
        }
        BmpChars(bits)
    }

    #[inline]
    fn contains(&self, c: char) -> bool {
        let u = c as usize;
        u < 0x10000 && (self.0[u >> 6] >> (u & 63)) & 1 != 0
    }
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

    /// The longest word in bytes: longer words are no stopwords.
    #[inline]
    pub(crate) fn max_len(&self) -> usize {
        self.max_len
    }

    /// [`is_stopword`](Self::is_stopword) of a lowercased word of one to [`SHORT_MAX`]
    /// bytes already [packed](pack).
    #[inline]
    pub(crate) fn is_packed_stopword(&self, key: [u64; 2]) -> bool {
        // The length is in the top byte.
        (key[1] >> 56) as usize <= self.max_len && self.short.contains(key)
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
    #[inline(always)]
    pub(crate) fn is_ascii_alnum_stopword(&self, line: &[u8], start: usize, end: usize) -> bool {
        let len = end - start;
        debug_assert!(len > 0, "an empty key is an empty slot");
        if len <= 8 {
            if let Some(w) = eight_key(line, start, len) {
                return self.eight.contains(w);
            }
            if end >= 8 {
                // Near the end of the line: the eight bytes that end the word, shifted
                // down so that zeros follow it.
                let w = u64::from_le_bytes(line[end - 8..end].try_into().expect("8 bytes"));
                let w = (w | 0x2020_2020_2020_2020) >> (64 - 8 * len);
                return self.eight.contains(w);
            }
        }
        if len > self.max_len {
            return false;
        }
        if len > SHORT_MAX {
            return self.is_ascii_stopword(&line[start..end]);
        }
        // Setting bit 5 lowercases letters and leaves digits as they are.
        if len > 8 && self.long & long_bit(len, line[start] | 0x20, line[end - 1] | 0x20) == 0 {
            return false;
        }
        self.short.contains(ascii_alnum_key(line, start, end))
    }

    /// [`is_ascii_alnum_stopword`](Self::is_ascii_alnum_stopword) for loops over many
    /// words: the eight-byte table's slots pointer copied out once, so that it stays in a
    /// register instead of being loaded through the list for every word.
    #[inline(always)]
    pub(crate) fn ascii_alnum_lookup(&self) -> AsciiAlnumLookup<'_> {
        AsciiAlnumLookup {
            stop: self,
            slots: &self.eight.slots,
        }
    }

    /// Whether the list holds `word`, looked up the plain way (to check the quick ways).
    #[cfg(test)]
    pub(crate) fn words_contain(&self, word: &str) -> bool {
        self.words.contains(word)
    }

    /// Whether `c` is a function character (only for per-character languages).
    pub fn is_function_char(&self, c: char) -> bool {
        self.chars.as_ref().is_some_and(|s| s.contains(c))
    }
}

/// See [`StopWords::ascii_alnum_lookup`].
pub(crate) struct AsciiAlnumLookup<'a> {
    stop: &'a StopWords,
    slots: &'a [u64; EIGHT_SLOTS],
}

impl<'a> AsciiAlnumLookup<'a> {
    /// The list looked up.
    #[inline(always)]
    pub(crate) fn stop(&self) -> &'a StopWords {
        self.stop
    }

    /// Whether the key of a word of one to eight ASCII letters and digits is a stopword:
    /// its bytes lowercased (bit 5 set), zeros after them.
    #[inline(always)]
    pub(crate) fn contains_key(&self, key: u64) -> bool {
        EightByteWords::probe(self.slots, key)
    }

    /// [`StopWords::is_ascii_alnum_stopword`].
    #[inline(always)]
    pub(crate) fn contains(&self, line: &[u8], start: usize, end: usize) -> bool {
        let len = end - start;
        if len <= 8 {
            if let Some(key) = eight_key(line, start, len) {
                return EightByteWords::probe(self.slots, key);
            }
        }
        self.stop.is_ascii_alnum_stopword(line, start, end)
    }
}

/// The key of the word of `len` (1 to 8) bytes at byte `at` of the lowercased lanes of a
/// chunk (see [`AsciiAlnumLookup::contains_key`]).
#[inline(always)]
pub(crate) fn chunk_key(lanes: u64, at: usize, len: usize) -> u64 {
    (lanes >> (8 * at)) & KEEP_LOW[len]
}

/// The key of the word of ASCII letters and digits `line[start..start + len]` (`len` up to
/// 8, `start` within the line) from the eight bytes at `start`: lowercased as in
/// `ascii_alnum_key` (setting bit 5 of each byte), the bytes after the word cleared. `None`
/// when fewer than eight bytes are left (one length test, no overflow test of `start + 8`).
#[inline(always)]
pub(crate) fn eight_key(line: &[u8], start: usize, len: usize) -> Option<u64> {
    let w = line[start..].first_chunk::<8>()?;
    Some((u64::from_le_bytes(*w) | (ONES * 0x20)) & KEEP_LOW[len])
}

/// [`chunk_key`] in the lanes of a block of sixteen bytes, or of two chunks.
#[inline(always)]
pub(crate) fn block_key(lanes: u128, at: usize, len: usize) -> u64 {
    (lanes >> (8 * at)) as u64 & KEEP_LOW[len]
}

/// `KEEP_LOW[n]` keeps the low `n` bytes of a `u64` (`n` up to 8).
pub(crate) const KEEP_LOW: [u64; 9] = {
    let mut t = [0u64; 9];
    let mut n = 1;
    while n < 9 {
        t[n] = u64::MAX >> (64 - 8 * n);
        n += 1;
    }
    t
};

/// One of 64 bits for a word of `len` bytes that starts with the byte `first` and ends with
/// `last` (for [`StopWords::long`]).
#[inline(always)]
fn long_bit(len: usize, first: u8, last: u8) -> u64 {
    let x = ((len as u64) << 16) | (u64::from(first) << 8) | u64::from(last);
    1 << hash_shift(x, 58)
}

/// [`pack`] of the lowercased word `line[start..end]`, which is 1 to [`SHORT_MAX`] ASCII
/// letters and digits, from one 16-byte load: setting bit 5 of a letter or digit
/// lowercases it.
#[inline(always)]
fn ascii_alnum_key(line: &[u8], start: usize, end: usize) -> [u64; 2] {
    let len = end - start;
    let word = match line.get(start..start + 16) {
        Some(w) => u128::from_le_bytes(w.try_into().expect("16 bytes")),
        None => {
            let mut buf = [0u8; 16];
            buf[..len].copy_from_slice(&line[start..end]);
            u128::from_le_bytes(buf)
        }
    };
    // Keep the word's bytes, lowercase them, put the length in byte 15.
    let key = ((word | 0x2020_2020_2020_2020_2020_2020_2020_2020) & KEEP_BYTES[len])
        | ((len as u128) << 120);
    [key as u64, (key >> 64) as u64]
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

    #[inline(always)]
    fn slot(&self, key: [u64; 2]) -> usize {
        (packed_hash(key) >> self.shift) as usize
    }

    #[inline(always)]
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

/// The slots of every [`EightByteWords`]: one size for all lists, so that the probe's
/// shift and mask are constants and its index needs no bounds test (the lookup runs for
/// most words of every line). 2,048 slots (16 KiB) leave room in the first-level data
/// cache: 4,096 cost some 16,000 more D1 misses per copy of the benchmark pages
/// (cachegrind), for no fewer instructions; 1,024 cost 200,000 more instructions (longer
/// probe runs) for 15,000 fewer misses. English's list has 193 words of up to eight bytes,
/// most others under 520; Chinese's 794 and Slovenian's 1,144 (the most) fill 39% and 56%
/// of the slots, so that their misses probe some three slots instead of one or two.
const EIGHT_SLOTS: usize = 2048;
// The probe masks its index by the slot count (`% EIGHT_SLOTS`) and hashes to its log2 bits.
const _: () = assert!(EIGHT_SLOTS.is_power_of_two());

/// An open-addressing set of the stopwords of one to eight bytes, each as its bytes in a
/// `u64` with zeros after it (words have no zero bytes, so the length is implied): one
/// multiplication to hash, one comparison per slot.
#[derive(Debug)]
struct EightByteWords {
    /// [`EIGHT_SLOTS`] slots; 0 (never a word) is an empty one.
    slots: Box<[u64; EIGHT_SLOTS]>,
}

impl EightByteWords {
    /// The table of `words`, the list of language `code` (named when it does not fit).
    fn new<'a>(code: &str, words: impl Iterator<Item = &'a str>) -> Self {
        let keys: Vec<u64> = words
            .filter(|w| (1..=8).contains(&w.len()))
            .map(|w| {
                let mut buf = [0u8; 8];
                buf[..w.len()].copy_from_slice(w.as_bytes());
                u64::from_le_bytes(buf)
            })
            .collect();
        // At most five eighths full (see `EIGHT_SLOTS`), so that probe runs stay short
        // (an empty slot, which ends them, is all that exactness needs).
        assert!(
            keys.len() * 8 <= EIGHT_SLOTS * 5,
            "stopwords of {code}: {} words of up to eight bytes need {} slots, EIGHT_SLOTS is {EIGHT_SLOTS}",
            keys.len(),
            (keys.len() * 8).div_ceil(5).next_power_of_two(),
        );
        let mut slots: Box<[u64; EIGHT_SLOTS]> = vec![0; EIGHT_SLOTS]
            .into_boxed_slice()
            .try_into()
            .expect("EIGHT_SLOTS long");
        for key in keys {
            let mut i = Self::hash(key);
            while slots[i % EIGHT_SLOTS] != 0 && slots[i % EIGHT_SLOTS] != key {
                i += 1;
            }
            slots[i % EIGHT_SLOTS] = key;
        }
        EightByteWords { slots }
    }

    /// The first slot of `key` in a table of [`EIGHT_SLOTS`] slots.
    #[inline(always)]
    fn hash(key: u64) -> usize {
        hash_shift(key, 64 - EIGHT_SLOTS.ilog2())
    }

    #[inline(always)]
    fn contains(&self, key: u64) -> bool {
        Self::probe(&self.slots, key)
    }

    /// Whether the table `slots` holds `key`: linear probing from its first slot to the
    /// key or an empty slot. The answer is taken from the first slot without a branch on
    /// it: about half the words of prose are stopwords, so that such a branch mispredicts
    /// often (and waits for the load). Only a first slot that holds another key walks on:
    /// rare for most lists (English's fills 9% of the slots), about half the misses of the
    /// densest (Slovenian, Chinese).
    #[inline(always)]
    fn probe(slots: &[u64; EIGHT_SLOTS], key: u64) -> bool {
        let i = Self::hash(key);
        let slot = slots[i % EIGHT_SLOTS];
        // Zero when the slot is empty or holds the key: one test and one branch, which
        // is seldom taken (`slot != key && slot != 0` compiles to a branch on each).
        if (slot ^ key).min(slot) != 0 {
            return Self::probe_from(slots, key, i + 1);
        }
        slot == key
    }

    /// [`probe`](Self::probe) from slot `i` on.
    #[inline(never)]
    fn probe_from(slots: &[u64; EIGHT_SLOTS], key: u64, mut i: usize) -> bool {
        loop {
            let slot = slots[i % EIGHT_SLOTS];
            if slot == key {
                return true;
            }
            if slot == 0 {
                return false;
            }
            i += 1;
        }
    }
}

// `stopword_text`, written by build.rs from the stop-words crate's lists.
include!(concat!(env!("OUT_DIR"), "/stopword_lists.rs"));

/// The stop-words crate's list for `code`, in its order (no words for a code it lacks),
/// and how many words it has.
pub(crate) fn stopword_list(code: &str) -> (impl Iterator<Item = &'static str> + Clone, usize) {
    let (text, lens) = stopword_text(code).unwrap_or(("", &[]));
    let words = lens.iter().scan(0, move |start: &mut usize, &len| {
        let end = *start + usize::from(len);
        let word = &text[*start..end];
        *start = end;
        Some(word)
    });
    (words, lens.len())
}

/// The stopword list of `lang` (ISO 639-1), built once and shared. Unknown codes get the
/// English list: most scraped UI text is English whatever the page's language.
pub fn stopwords(lang: &str) -> &'static StopWords {
    // Each list is built on first use: a run needs a few of them, and building all
    // thirty cost some five million instructions per process.
    static LISTS: [OnceLock<StopWords>; SUPPORTED.len()] =
        [const { OnceLock::new() }; SUPPORTED.len()];
    let idx = SUPPORTED.iter().position(|c| *c == lang).unwrap_or(0);
    LISTS[idx].get_or_init(|| build(SUPPORTED[idx]))
}

fn build(code: &'static str) -> StopWords {
    let words: HashSet<&'static str, FxBuild> = stopword_list(code).0.collect();
    let max_len = words.iter().map(|w| w.len()).max().unwrap_or(0);
    let chars = match code {
        "zh" => Some(BmpChars::new(ZH_FUNCTION_CHARS)),
        "ja" => Some(BmpChars::new(JA_FUNCTION_CHARS)),
        _ => None,
    };
    let short = ShortWords::new(words.iter().copied());
    let long = words
        .iter()
        .map(|w| w.as_bytes())
        // Only words of ASCII letters and digits are ever tested against it: the others
        // would only set bits that let more words through to the lookup.
        .filter(|w| (9..=SHORT_MAX).contains(&w.len()) && w.iter().all(u8::is_ascii_alphanumeric))
        .fold(0, |bits, w| bits | long_bit(w.len(), w[0], w[w.len() - 1]));
    let eight = EightByteWords::new(code, words.iter().copied());
    StopWords {
        lang: code,
        words,
        short,
        eight,
        long,
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
/// `DETECT_MAX_BYTES` (2,048) of the sample count.
pub fn detect(sample: &str) -> Option<&'static str> {
    let mut end = sample.len().min(DETECT_MAX_BYTES);
    while !sample.is_char_boundary(end) {
        end -= 1;
    }
    let head = &sample[..end];
    match quick_detect(head) {
        Quick::Sure(code) => Some(code),
        Quick::Unsure(_) => whatlang_detect(head),
    }
}

/// What [`quick_detect`] found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Quick {
    /// The stopwords of one language dominate: its code.
    Sure(&'static str),
    /// Thin or close evidence: the leading language, if any, and the stopword hits of the
    /// first and second.
    Unsure(Option<(&'static str, u32, u32)>),
}

/// A language needs at least this many stopword hits in the sample to be sure of ...
const QUICK_MIN_HITS: u32 = 12;
/// ... and this many times the hits of the runner-up, or else ...
const QUICK_MIN_RATIO: u32 = 2;
/// A Cyrillic sample is Ukrainian if one letter in this many is one of `і ї є ґ`.
const UKRAINIAN_LETTERS_PER: u32 = 30;
/// ... this many hits of words no other language of its script has ...
const QUICK_MIN_OWN: u32 = 5;
/// ... and this many times as many as any other language has of its own.
const QUICK_MIN_OWN_RATIO: u32 = 4;

/// Tells the language of a sample written in Latin or Cyrillic letters by counting the
/// stopwords of each language (one table lookup per word), when one language clearly
/// leads; whatlang's trigram scoring of every language costs about a thousand times
/// more. Other scripts, mixed scripts, and close or thin counts are left to whatlang.
///
/// The script is the one whatlang would pick: its letters must outnumber all other
/// letters together (whatlang counts the same ranges, see `is_latin`, `is_cyrillic`).
pub(crate) fn quick_detect(head: &str) -> Quick {
    let table = word_languages();
    let Tally {
        hits,
        latin,
        cyrillic,
        other,
        ukrainian,
        not_ukrainian,
        ..
    } = tally(head, table);
    let candidates = if latin > cyrillic + other {
        table.latin
    } else if cyrillic > latin + other {
        // `і ї є ґ` make up some 7% of Ukrainian letters and are absent from Russian and
        // Bulgarian, whose lists share most words with the short Ukrainian one.
        if ukrainian * UKRAINIAN_LETTERS_PER >= cyrillic
            && ukrainian >= QUICK_MIN_OWN
            && not_ukrainian == 0
        {
            return Quick::Sure("uk");
        }
        table.cyrillic
    } else {
        return Quick::Unsure(None);
    };
    let (idx, [top, second], [own, own_other]) = hits.leaders(candidates);
    let dominant = top >= QUICK_MIN_RATIO * second
        || (own >= QUICK_MIN_OWN && own >= QUICK_MIN_OWN_RATIO * own_other);
    if top >= QUICK_MIN_HITS && dominant {
        Quick::Sure(SUPPORTED[idx])
    } else if top > 0 {
        Quick::Unsure(Some((SUPPORTED[idx], top, second)))
    } else {
        Quick::Unsure(None)
    }
}

/// What [`quick_detect`] counts in a sample.
#[derive(Debug, Default, PartialEq)]
struct Tally {
    hits: Hits,
    /// Letters in whatlang's Latin ranges, ...
    latin: u32,
    /// ... in its Cyrillic ones, ...
    cyrillic: u32,
    /// ... and other non-ASCII characters.
    other: u32,
    /// Letters only Ukrainian has among the Cyrillic languages, and letters it lacks.
    ukrainian: u32,
    not_ukrainian: u32,
    /// Words of up to eight bytes not yet looked up.
    pending: Pending,
}

/// How many words of up to eight bytes [`Tally`] looks up in one batch.
const PENDING: usize = 32;
const _: () = assert!(PENDING.is_power_of_two());

/// The keys of words of up to eight bytes that passed [`WordLanguages::filter`], for a
/// batch of lookups: the scan queues them with no branch on the filter's answer (half the
/// words of prose are in some list, so that such a branch mispredicts often), and the
/// batch's table loads, which mostly miss the first-level cache, overlap instead of each
/// waiting before a branch on its word's languages.
#[derive(Debug, Default)]
struct Pending {
    keys: [u64; PENDING],
    /// The keys queued; always below [`PENDING`] between calls.
    n: usize,
}

impl PartialEq for Pending {
    /// The queued keys (the slots past them hold stale ones).
    fn eq(&self, other: &Self) -> bool {
        self.keys[..self.n] == other.keys[..other.n]
    }
}

impl Tally {
    /// Counts the stopword hits of the word of up to eight bytes whose key is `key`, now
    /// or in the next batch (see [`Pending`]).
    #[inline(always)]
    fn eight_word(&mut self, table: &WordLanguages, key: u64) {
        let p = &mut self.pending;
        // Written whether or not it passes: only a pass keeps it. (`n` is below
        // `PENDING`: the mask only spares a bounds test.)
        p.keys[p.n % PENDING] = key;
        p.n += usize::from(table.may_hold(eight_hash(key)));
        if p.n == PENDING {
            self.flush(table);
        }
    }

    /// Looks up the queued words and counts their hits.
    #[inline(never)]
    fn flush(&mut self, table: &WordLanguages) {
        let keys = &self.pending.keys[..self.pending.n];
        // All loads first, then the branches on their answers.
        let mut masks = [0u32; PENDING];
        for (mask, &key) in masks.iter_mut().zip(keys) {
            *mask = table.eight[table.find_eight(key)].1;
        }
        for &mask in &masks[..keys.len()] {
            self.hits.add(table, mask);
        }
        self.pending.n = 0;
    }

    /// Counts the script of `c` (ASCII letters count as Latin).
    #[inline(always)]
    fn count_char(&mut self, c: char) {
        // Below U+0250 (ASCII, Latin-1, Latin Extended-A and -B): the ASCII letters and
        // all the rest are Latin. Kana, CJK ideographs, Hangul and all else from U+2E00
        // on, but for U+A640..U+AB70 (Cyrillic Extended-B, Latin Extended-D and -E lie
        // there): neither script. Both known without a call.
        let u = c as u32;
        if u < 0x250 {
            self.latin += u32::from(u >= 0x80 || c.is_ascii_alphabetic());
        } else if u >= 0x2E00 && !(0xA640..0xAB70).contains(&u) {
            self.other += 1;
        } else {
            self.count_script(c);
        }
    }

    /// [`count_char`](Self::count_char) the plain way.
    #[inline(never)]
    fn count_script(&mut self, c: char) {
        if is_latin_letter(c) {
            self.latin += 1;
        } else if is_cyrillic_letter(c) {
            self.cyrillic += 1;
            match c {
                'і' | 'ї' | 'є' | 'ґ' | 'І' | 'Ї' | 'Є' | 'Ґ' => self.ukrainian += 1,
                'ы' | 'э' | 'ё' | 'ъ' | 'Ы' | 'Э' | 'Ё' | 'Ъ' => self.not_ukrainian += 1,
                // Belarusian, Serbian, Macedonian.
                'ў' | 'ј' | 'љ' | 'њ' | 'ћ' | 'ђ' | 'ѓ' | 'ќ' | 'ѕ' | 'џ' => {
                    self.not_ukrainian += 1
                }
                'Ў' | 'Ј' | 'Љ' | 'Њ' | 'Ћ' | 'Ђ' | 'Ѓ' | 'Ќ' | 'Ѕ' | 'Џ' => {
                    self.not_ukrainian += 1
                }
                _ => {}
            }
        } else if !c.is_ascii() {
            self.other += 1;
        }
    }

    /// Counts the stopword hits of the word `bytes[start..end]` of ASCII letters and digits
    /// (its letters are counted by the scan).
    #[inline(always)]
    fn ascii_word(&mut self, table: &WordLanguages, bytes: &[u8], start: usize, end: usize) {
        let len = end - start;
        if len <= 8 {
            if let Some(key) = eight_key(bytes, start, len) {
                self.eight_word(table, key);
                return;
            }
        }
        if len <= SHORT_MAX {
            let key = ascii_alnum_key(bytes, start, end);
            self.hits.add(table, table.get_packed(key));
        }
    }
}

/// The stopword hits and the letters by script of `head`: words are runs of
/// [`is_alphanumeric`](crate::segment::is_alphanumeric) characters, lowercased. Runs of
/// ASCII are taken sixteen bytes at once (the rest of a run eight): their letters counted
/// and their words found from bit or lane masks (as segment's scan does), so that spaces
/// and letters cost no step each; other characters one at a time.
fn tally(head: &str, table: &WordLanguages) -> Tally {
    let mut t = Tally::default();
    let bytes = head.as_bytes();
    let mut buf = String::new();
    // Where the open word starts while it is all ASCII letters and digits.
    let mut word: Option<usize> = None;
    let mut i = 0;
    while i < bytes.len() {
        // Sixteen bytes a step, as segment's scan; the rest of a run eight.
        while let Some(block) = bytes[i..].first_chunk::<16>() {
            let Some(c) = ascii_classes16(block) else {
                break;
            };
            t.latin += c.letters_upper & 31;
            // Lowercased as in `ascii_alnum_key`.
            let lower = u128::from_le_bytes(*block) | u128::from_le_bytes([0x20; 16]);
            word = BlockWords::new(c.alpha | c.digit, word).each_split(
                i,
                &mut t,
                |t, start, end| t.ascii_word(table, bytes, start, end),
                |t, start, end| {
                    let (s, len) = (start - i, end - start);
                    if len <= 8 {
                        t.eight_word(table, block_key(lower, s, len));
                    } else {
                        t.ascii_word(table, bytes, start, end);
                    }
                },
            );
            i += 16;
        }
        while let Some(chunk) = bytes[i..].first_chunk::<8>() {
            let x = u64::from_le_bytes(*chunk);
            if x & HIGH != 0 {
                break;
            }
            let lower = x | (ONES * 0x20);
            let alpha = lanes_in(lower, b'a', b'z');
            let alnum = alpha | lanes_in(x, b'0', b'9');
            t.latin += lane_count(alpha);
            word = ChunkWords::new(alnum, HIGH, word).each_split(
                i,
                &mut t,
                |t, start, end| t.ascii_word(table, bytes, start, end),
                |t, start, end| {
                    // At most seven bytes, in this chunk: the key from its lanes.
                    let (s, e) = (start - i, end - i);
                    t.eight_word(table, chunk_key(lower, s, e - s));
                },
            );
            i += 8;
        }
        let Some(&first) = bytes.get(i) else {
            break;
        };
        if first < 0x80 {
            // The ASCII bytes before the character that stopped the chunk (fewer than
            // eight) or before the end: one at a time, without the block and chunk tests
            // again for each.
            let mut b = first;
            loop {
                let class = BYTE_CLASS[b as usize];
                if class & (ALPHA | DIGIT) != 0 {
                    word.get_or_insert(i);
                    t.latin += u32::from(class & ALPHA != 0);
                } else if let Some(start) = word.take() {
                    t.ascii_word(table, bytes, start, i);
                }
                i += 1;
                match bytes.get(i) {
                    Some(&next) if next < 0x80 => b = next,
                    _ => break,
                }
            }
            continue;
        }
        let c = head[i..].chars().next().unwrap_or_default();
        if !crate::segment::is_alphanumeric(c) {
            if let Some(start) = word.take() {
                t.ascii_word(table, bytes, start, i);
            }
            t.count_char(c);
            i += c.len_utf8();
            continue;
        }
        // A word with a non-ASCII letter or digit: its ASCII head (counted already) and
        // the letters and digits from here, lowercased.
        buf.clear();
        if let Some(start) = word.take() {
            buf.extend(
                bytes[start..i]
                    .iter()
                    .map(|b| char::from(b.to_ascii_lowercase())),
            );
        }
        for c in head[i..].chars() {
            if !crate::segment::is_alphanumeric(c) {
                break;
            }
            i += c.len_utf8();
            t.count_char(c);
            crate::segment::push_lowercase(&mut buf, c);
        }
        t.hits.add(table, table.get(buf.as_bytes()));
    }
    if let Some(start) = word {
        t.ascii_word(table, bytes, start, bytes.len());
    }
    t.flush(table);
    t
}

/// Stopword hits per language of [`SUPPORTED`]: of all words, and of the words that only
/// one language of the same script has (the telling ones between neighbours such as
/// Spanish and Portuguese, or Russian and Bulgarian, whose lists share most words).
///
/// A counter for each bit of a language mask (`u32`), those past [`SUPPORTED`] always
/// zero: indexed by a bit's position, the counts need no bounds test.
#[derive(Debug, Default, PartialEq)]
struct Hits {
    all: [u32; 32],
    own: [u32; 32],
}

const _: () = assert!(SUPPORTED.len() <= 32, "languages are bits of a u32 mask");

impl Hits {
    #[inline]
    fn add(&mut self, table: &WordLanguages, mut mask: u32) {
        // Most words are no language's stopword.
        if mask == 0 {
            return;
        }
        for script in [table.latin, table.cyrillic] {
            let langs = mask & script;
            if langs.is_power_of_two() {
                self.own[langs.trailing_zeros() as usize] += 1;
            }
        }
        while mask != 0 {
            self.all[mask.trailing_zeros() as usize] += 1;
            mask &= mask - 1;
        }
    }

    /// The language of `candidates` (a mask) with the most hits, its hits, and the most
    /// hits of another; the same for the words only one language has.
    fn leaders(&self, candidates: u32) -> (usize, [u32; 2], [u32; 2]) {
        let (mut first, mut second) = ((0usize, 0u32), 0u32);
        for (idx, &h) in self.all.iter().enumerate() {
            if candidates & (1 << idx) == 0 {
                continue;
            }
            if h > first.1 {
                second = first.1;
                first = (idx, h);
            } else if h > second {
                second = h;
            }
        }
        let idx = first.0;
        let own_other = (0..SUPPORTED.len())
            .filter(|&i| i != idx && candidates & (1 << i) != 0)
            .map(|i| self.own[i])
            .max()
            .unwrap_or(0);
        (idx, [first.1, second], [self.own[idx], own_other])
    }
}

/// The languages [`quick_detect`] tells apart in Latin letters ...
const LATIN_LANGS: &[&str] = &[
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "cs", "sv", "da", "no", "fi", "hu", "ro", "tr",
    "hr", "sk", "sl", "ca", "id",
];
/// ... and in Cyrillic ones.
const CYRILLIC_LANGS: &[&str] = &["ru", "uk", "bg"];

/// whatlang's Latin ranges (`scripts::chars::is_latin`), for non-ASCII characters.
fn is_latin_letter(c: char) -> bool {
    matches!(c,
        'a'..='z'
        | 'A'..='Z'
        | '\u{0080}'..='\u{024F}'
        | '\u{0250}'..='\u{02AF}'
        | '\u{1D00}'..='\u{1DBF}'
        | '\u{1E00}'..='\u{1EFF}'
        | '\u{2100}'..='\u{214F}'
        | '\u{2C60}'..='\u{2C7F}'
        | '\u{A720}'..='\u{A7FF}'
        | '\u{AB30}'..='\u{AB6F}'
    )
}

/// whatlang's Cyrillic ranges (`scripts::chars::is_cyrillic`).
fn is_cyrillic_letter(c: char) -> bool {
    matches!(c,
        '\u{0400}'..='\u{0484}'
        | '\u{0487}'..='\u{052F}'
        | '\u{2DE0}'..='\u{2DFF}'
        | '\u{A640}'..='\u{A69D}'
        | '\u{1D2B}'
        | '\u{1D78}'
        | '\u{A69F}'
    )
}

/// Every stopword of the supported languages (up to [`SHORT_MAX`] bytes), with the set of
/// languages whose list holds it as a bit mask over [`SUPPORTED`].
///
/// One table, [`WORD_LANGUAGES`], built by build.rs (see [`word_table::build`]).
// `eight` first and aligned to cache lines: as a static, it would be at any multiple of
// eight bytes, where some of its sixteen-byte slots would straddle two lines (on the heap,
// the allocator aligned it to 16 bytes or more).
#[derive(Debug)]
#[repr(C, align(64))]
struct WordLanguages {
    /// The words of one to eight bytes, each as its bytes in a `u64` with zeros after it
    /// (as in [`EightByteWords`]), with its mask: most words of a sample, found with one
    /// multiplication and one comparison per slot. A zero key is an empty slot.
    eight: [(u64, u32); LANG_EIGHT_SLOTS],
    /// Two bits for every word (see [`filter_bits`]): a word with either of its bits clear
    /// is in no list, known from a table small enough to stay in the first-level cache.
    /// A sample's content words (about half of prose) are in no list, and each probe of the
    /// large tables above is to a random slot that is seldom cached nearer than the second
    /// level.
    filter: [u64; FILTER_WORDS],
    /// Power-of-two many [packed](pack) keys of the words of nine to [`SHORT_MAX`] bytes
    /// (the shorter ones are in [`eight`](Self::eight) only); `[0, 0]` is an empty slot.
    keys: [[u64; 2]; LANG_LONG_SLOTS],
    /// The language mask of each slot.
    masks: [u32; LANG_LONG_SLOTS],
    /// The languages written in Latin letters, as a mask ...
    latin: u32,
    /// ... and those written in Cyrillic.
    cyrillic: u32,
}

impl WordLanguages {
    /// Whether a key whose hash product is `h` may be in a list: false when one of its
    /// [`filter_bits`] is clear.
    #[inline(always)]
    fn may_hold(&self, h: u64) -> bool {
        let (word, bits) = filter_bits(h);
        self.filter[word] & bits == bits
    }

    /// The slot of the key of a word of one to eight bytes, or the empty slot where it
    /// would go.
    #[inline(always)]
    fn find_eight(&self, key: u64) -> usize {
        find_eight(&self.eight, key)
    }

    /// The languages of the word of one to eight bytes whose key is `key` (see
    /// [`eight`](Self::eight)).
    #[inline(always)]
    fn get_eight(&self, key: u64) -> u32 {
        if !self.may_hold(eight_hash(key)) {
            return 0;
        }
        self.eight[self.find_eight(key)].1
    }

    /// The slot of `key` (a word of nine bytes or more), or the empty slot where it would
    /// go.
    #[inline]
    fn find(&self, key: [u64; 2]) -> usize {
        find_long(&self.keys, key)
    }

    /// The languages of the [packed](pack) word `key`: one of up to eight bytes from the
    /// table of those (whose filter bits it set), a longer one from the table of all.
    #[inline(always)]
    fn get_packed(&self, key: [u64; 2]) -> u32 {
        if key[1] >> 56 <= 8 {
            return self.get_eight(key[0]);
        }
        if !self.may_hold(packed_hash(key)) {
            return 0;
        }
        self.masks[self.find(key)]
    }

    /// The languages of `word`, already lowercased.
    fn get(&self, word: &[u8]) -> u32 {
        pack(word, false).map_or(0, |key| self.get_packed(key))
    }
}

/// The bits of `codes` in masks over [`SUPPORTED`] (a `const fn`, for [`WORD_LANGUAGES`]).
const fn lang_mask(codes: &[&str]) -> u32 {
    let mut mask = 0;
    let mut i = 0;
    while i < SUPPORTED.len() {
        let mut j = 0;
        while j < codes.len() {
            if same(SUPPORTED[i].as_bytes(), codes[j].as_bytes()) {
                mask |= 1 << i;
            }
            j += 1;
        }
        i += 1;
    }
    mask
}

/// `a == b`, which is no `const fn` for slices.
const fn same(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

// `LANG_LONG_SLOTS`, `LANG_EIGHT`, `LANG_KEYS`, `LANG_MASKS` and `LANG_FILTER`: the table of
// the supported lists, written by build.rs with word_table's code.
include!(concat!(env!("OUT_DIR"), "/word_table.rs"));

/// The word table of the supported lists, built by build.rs: read-only data without
/// pointers, which needs no relocation and no work at start-up, and whose pages are only
/// read from the file when a lookup touches them (built at run time, it cost some 0.44 ms
/// and 200 page faults per process).
static WORD_LANGUAGES: WordLanguages = WordLanguages {
    keys: LANG_KEYS,
    masks: LANG_MASKS,
    eight: LANG_EIGHT,
    filter: LANG_FILTER,
    latin: lang_mask(LATIN_LANGS),
    cyrillic: lang_mask(CYRILLIC_LANGS),
};

fn word_languages() -> &'static WordLanguages {
    &WORD_LANGUAGES
}

/// whatlang's guess for `head`, as one of the [`SUPPORTED`] codes.
pub(crate) fn whatlang_detect(head: &str) -> Option<&'static str> {
    let info = whatlang::detect(head)?;
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
    use std::collections::HashMap;

    #[test]
    fn stopword_lists_are_the_crates_word_for_word() {
        for code in stop_words::available_languages() {
            let want = stop_words::lookup(code).expect("an available language has a list");
            let (words, len) = stopword_list(code);
            assert_eq!(len, want.len(), "{code}");
            assert!(words.eq(want.iter().copied()), "{code}");
        }
        let (words, len) = stopword_list("xx");
        assert_eq!((words.count(), len), (0, 0));
    }

    #[test]
    fn function_char_sets_hold_their_lists() {
        for (code, list) in [("zh", ZH_FUNCTION_CHARS), ("ja", JA_FUNCTION_CHARS)] {
            let stop = stopwords(code);
            for c in (0..0x11000).filter_map(char::from_u32) {
                assert_eq!(stop.is_function_char(c), list.contains(c), "{code}: {c:?}");
            }
        }
        assert!(!stopwords("en").is_function_char('的'));
    }

    #[test]
    fn script_counts_match_the_plain_ones() {
        for c in (0..=0x10FFFF).filter_map(char::from_u32) {
            let (mut quick, mut plain) = (Tally::default(), Tally::default());
            quick.count_char(c);
            plain.count_script(c);
            assert_eq!(quick, plain, "U+{:04X}", c as u32);
        }
    }

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

    /// Short paragraphs of prose, the way a news page or a notice reads.
    const PARAGRAPHS: &[(&str, &str)] = &[
        (
            "en",
            "The council said on Tuesday that the new bridge would not be open before the \
                end of the year, because the work on the river bank had taken much longer than \
                it was planned. Most of the people who live in the town have to drive to the \
                other side, and they are not happy about it.",
        ),
        (
            "de",
            "Der Gemeinderat hat am Dienstag mitgeteilt, dass die neue Brücke nicht vor dem \
                Ende des Jahres geöffnet wird, weil die Arbeiten am Ufer viel länger gedauert \
                haben, als es geplant war. Die meisten Leute, die in der Stadt wohnen, müssen \
                nun auf die andere Seite fahren, und sie sind darüber nicht froh.",
        ),
        (
            "fr",
            "Le conseil municipal a annoncé mardi que le nouveau pont ne serait pas ouvert \
                avant la fin de l'année, car les travaux sur la berge ont pris beaucoup plus de \
                temps que prévu. La plupart des habitants de la ville doivent faire un détour \
                par l'autre rive, et ils ne sont pas contents de cette situation.",
        ),
        (
            "es",
            "El ayuntamiento anunció el martes que el nuevo puente no estará abierto antes \
                del final del año, porque las obras en la orilla del río han tardado mucho más \
                de lo que se había previsto. La mayoría de los vecinos de la ciudad tienen que \
                dar un rodeo por la otra orilla y no están contentos con ello.",
        ),
        (
            "it",
            "Il consiglio comunale ha annunciato martedì che il nuovo ponte non sarà aperto \
                prima della fine dell'anno, perché i lavori sulla riva del fiume hanno richiesto \
                molto più tempo di quanto era previsto. La maggior parte degli abitanti della \
                città deve fare il giro dall'altra parte e non ne è contenta.",
        ),
        (
            "pt",
            "A câmara municipal anunciou na terça-feira que a nova ponte não vai abrir antes \
                do fim do ano, porque as obras na margem do rio demoraram muito mais do que \
                estava previsto. A maioria dos moradores da cidade tem de dar a volta pela \
                outra margem, e eles não estão nada satisfeitos com isso.",
        ),
        (
            "nl",
            "De gemeenteraad heeft dinsdag laten weten dat de nieuwe brug niet voor het \
                einde van het jaar open zal gaan, omdat het werk aan de oever veel langer heeft \
                geduurd dan het was gepland. De meeste mensen die in de stad wonen, moeten nu \
                omrijden naar de andere kant, en ze zijn er niet blij mee.",
        ),
        (
            "pl",
            "Rada miasta poinformowała we wtorek, że nowy most nie zostanie otwarty przed \
                końcem roku, ponieważ prace na brzegu rzeki trwały o wiele dłużej, niż to było \
                planowane. Większość mieszkańców miasta musi teraz jechać na drugą stronę \
                objazdem i nie są z tego zadowoleni, bo to jest dla nich bardzo trudne.",
        ),
        (
            "sv",
            "Kommunen meddelade i tisdags att den nya bron inte kommer att öppnas före slutet \
                av året, eftersom arbetet vid älvens strand har tagit mycket längre tid än det \
                var planerat. De flesta som bor i staden måste nu köra en omväg till den andra \
                sidan, och de är inte nöjda med det.",
        ),
        (
            "ru",
            "Городской совет во вторник сообщил, что новый мост не будет открыт до конца \
                года, потому что работы на берегу реки заняли гораздо больше времени, чем это \
                было запланировано. Большинство жителей города теперь должны ездить на другой \
                берег в объезд, и они этим очень недовольны, так как это для них неудобно.",
        ),
        (
            "uk",
            "Міська рада у вівторок повідомила, що новий міст не буде відкрито до кінця \
                року, тому що роботи на березі річки тривали набагато довше, ніж це було \
                заплановано. Більшість мешканців міста тепер мають їздити на інший берег в \
                об'їзд, і вони цим дуже незадоволені, бо це для них незручно.",
        ),
    ];

    /// Pages whose language is told by their script alone.
    const BY_SCRIPT: &[(&str, &str)] = &[
        (
            "zh",
            "市政府周二表示，新桥在年底之前不会开放，因为河岸上的工程比原计划要长得多。\
                城里的大多数居民现在必须绕道到对岸，他们对此很不满意。",
        ),
        (
            "ja",
            "市議会は火曜日、新しい橋は年末までに開通しないと発表しました。川岸での工事が\
                予定よりもずっと長くかかったためです。町の住民の多くは対岸まで遠回りしなければ\
                ならず、不満の声が上がっています。",
        ),
        (
            "ko",
            "시의회는 화요일에 새 다리가 연말 전에는 개통되지 않을 것이라고 발표했다. 강변의 \
                공사가 계획보다 훨씬 오래 걸렸기 때문이다. 시내에 사는 주민 대부분은 이제 \
                건너편으로 돌아가야 하며, 이에 대해 불만을 나타내고 있다.",
        ),
        (
            "el",
            "Το δημοτικό συμβούλιο ανακοίνωσε την Τρίτη ότι η νέα γέφυρα δεν θα ανοίξει πριν \
                από το τέλος του χρόνου, επειδή οι εργασίες στην όχθη του ποταμού κράτησαν πολύ \
                περισσότερο από ό,τι είχε προγραμματιστεί.",
        ),
    ];

    #[test]
    fn stopwords_tell_latin_and_cyrillic_languages() {
        for (code, text) in PARAGRAPHS {
            assert_eq!(quick_detect(text), Quick::Sure(code), "{code}");
            assert_eq!(detect(text), Some(*code), "{code}");
            // The shortcut only answers what whatlang would have.
            assert_eq!(whatlang_detect(text), Some(*code), "{code}");
        }
    }

    #[test]
    fn scripts_tell_chinese_japanese_korean_and_greek() {
        for (code, text) in BY_SCRIPT {
            assert!(matches!(quick_detect(text), Quick::Unsure(_)), "{code}");
            assert_eq!(detect(text), Some(*code), "{code}");
        }
    }

    #[test]
    fn languages_without_a_list_are_left_to_whatlang() {
        // Serbian, Macedonian and Belarusian share most stopwords with Russian and
        // Bulgarian; Esperanto with Spanish and Italian; whatlang tells them apart.
        for text in [
            "Градско веће је у уторак саопштило да нови мост неће бити отворен пре краја \
             године, зато што су радови на обали реке трајали много дуже него што је било \
             планирано. Већина људи који живе у граду сада мора да вози заобилазним путем.",
            "Градскиот совет во вторник соопшти дека новиот мост нема да биде отворен пред \
             крајот на годината, бидејќи работите на брегот на реката траеја многу подолго \
             отколку што беше планирано. Повеќето луѓе што живеат во градот сега мора да возат.",
            "Гарадскі савет у аўторак паведаміў, што новы мост не будзе адкрыты да канца года, \
             таму што работы на беразе ракі занялі значна больш часу, чым было запланавана. \
             Большасць жыхароў горада цяпер павінны ездзіць на другі бераг у аб'езд.",
            "La urba konsilio diris marde, ke la nova ponto ne estos malfermita antaŭ la fino \
             de la jaro, ĉar la laboroj ĉe la rivera bordo daŭris multe pli longe ol estis \
             planite. La plej multaj homoj, kiuj loĝas en la urbo, nun devas veturi ĉirkaŭe.",
        ] {
            assert!(matches!(quick_detect(text), Quick::Unsure(_)), "{text}");
        }
    }

    proptest::proptest! {
        /// Any text: no panic, and a sure answer is a language of the text's script.
        #[test]
        fn quick_detection_takes_any_text(text in "[a-zA-Z0-9 .,é ßñЖжиіїє日本の語ά—“-]{0,300}") {
            if let Quick::Sure(code) = quick_detect(&text) {
                proptest::prop_assert!(LATIN_LANGS.contains(&code) || CYRILLIC_LANGS.contains(&code));
            }
        }
    }

    /// [`tally`] the plain way: every character counted, every run of letters and digits
    /// lowercased and looked up.
    fn tally_reference(head: &str) -> Tally {
        let table = word_languages();
        let mut t = Tally::default();
        let mut word = String::new();
        for c in head.chars().chain(std::iter::once(' ')) {
            // Not `count_char`: its shortcuts are what is tested.
            t.count_script(c);
            if crate::segment::is_alphanumeric(c) {
                crate::segment::push_lowercase(&mut word, c);
            } else if !word.is_empty() {
                t.hits.add(table, table.get(word.as_bytes()));
                word.clear();
            }
        }
        t
    }

    proptest::proptest! {
        /// Pieces that put words, non-ASCII letters and marks at many offsets of the
        /// sixteen-byte blocks and eight-byte chunks, in Latin, Cyrillic and other scripts.
        #[test]
        fn tally_matches_the_reference(
            pieces in proptest::collection::vec(proptest::sample::select(vec![
                " ", "  ", ".", ", ", "\n", "-", "'", "the", "The", "AND", "und", "die", "de",
                "la", "que", "и", "не", "та", "це", "і", "ї", "ы", "ў", "Є", "x", "9", "2019",
                "a1", "abcdefghijklmnop", "abcdefghijklmno", "über", "Über", "été", "ñ", "ß",
                "İ", "ά", "日本", "の", "的", "—", "“", "©", "»", "\u{a0}", "\u{300}", "é",
            ]), 0..60),
        ) {
            let head = pieces.concat();
            proptest::prop_assert_eq!(tally(&head, word_languages()), tally_reference(&head));
        }
    }

    /// The lines of segment's every-offset test, heads cut at every length: a random test
    /// of this kind once passed a wrong key for words across a block's end.
    #[test]
    fn tally_matches_the_reference_at_every_offset() {
        crate::segment::tests::at_every_offset(|h| {
            assert_eq!(tally(h, word_languages()), tally_reference(h), "{h:?}");
        });
    }

    /// The languages of every word of the lists, the plain way: built once, since the
    /// property test looks up one word per case.
    fn word_languages_reference() -> &'static HashMap<&'static str, u32> {
        static LANGS: std::sync::LazyLock<HashMap<&'static str, u32>> =
            std::sync::LazyLock::new(|| {
                let mut langs = HashMap::new();
                for (idx, code) in SUPPORTED.iter().enumerate() {
                    for w in stopword_list(code).0 {
                        *langs.entry(w).or_insert(0) |= 1 << idx;
                    }
                }
                langs
            });
        &LANGS
    }

    /// [`WordLanguages::get`] and [`WordLanguages::get_eight`] (through the filter) against
    /// the plain map, for `word`.
    fn check_word_languages(table: &WordLanguages, want: &HashMap<&str, u32>, word: &[u8]) {
        // The table holds no word over `SHORT_MAX` bytes (`pack` refuses them): none of
        // their languages are looked up.
        let want = std::str::from_utf8(word)
            .ok()
            .filter(|w| (1..=SHORT_MAX).contains(&w.len()))
            .and_then(|w| want.get(w))
            .copied()
            .unwrap_or(0);
        assert_eq!(table.get(word), want, "{:?}", String::from_utf8_lossy(word));
        if (1..=8).contains(&word.len()) {
            let mut buf = [0u8; 8];
            buf[..word.len()].copy_from_slice(word);
            let key = u64::from_le_bytes(buf);
            assert_eq!(
                table.get_eight(key),
                want,
                "{:?}",
                String::from_utf8_lossy(word)
            );
        }
    }

    /// build.rs's table (from the stop-words crate's lists) is the one a run-time build with
    /// word_table's code gives from the library's lists, which the other tests check
    /// lookups against.
    #[test]
    fn precompiled_word_table_is_the_one_built_from_the_lists() {
        let words = SUPPORTED
            .iter()
            .enumerate()
            .flat_map(|(idx, code)| stopword_list(code).0.map(move |w| (w, 1u32 << idx)));
        let built = word_table::build(words);
        let table = word_languages();
        assert_eq!(built.eight.len(), LANG_EIGHT_SLOTS);
        assert!(built.eight == table.eight, "the eight-byte slots differ");
        assert_eq!(built.keys, table.keys);
        assert_eq!(built.masks, table.masks);
        assert_eq!(built.filter, table.filter);
        // Not empty: a table of zeros would equal an empty build.
        let full = table.eight.iter().filter(|(k, _)| *k != 0).count();
        assert!(
            full > LANG_EIGHT_SLOTS / 4,
            "{full} eight-byte slots in use"
        );
        assert!(table.keys.iter().any(|k| *k != [0, 0]));
        // The `const fn` masks, the plain way.
        for (mask, codes) in [(table.latin, LATIN_LANGS), (table.cyrillic, CYRILLIC_LANGS)] {
            let plain = SUPPORTED
                .iter()
                .enumerate()
                .filter(|(_, c)| codes.contains(c))
                .fold(0, |m, (i, _)| m | 1 << i);
            assert_eq!(mask, plain, "{codes:?}");
            assert_eq!(mask.count_ones() as usize, codes.len(), "{codes:?}");
        }
    }

    #[test]
    fn word_languages_agree_with_the_plain_map() {
        let table = word_languages();
        let want = word_languages_reference();
        // Fuller, it would let many more words in no list through (see `FILTER_WORDS`).
        let filled: u32 = table.filter.iter().map(|w| w.count_ones()).sum();
        assert!(
            filled as usize * 4 <= FILTER_WORDS * 64,
            "{filled} bits set"
        );
        for w in want.keys() {
            // The word, one byte longer, and without its first or last character.
            let first = w.chars().skip(1).collect::<String>();
            let mut last = w.chars();
            last.next_back();
            for v in [w.to_string(), format!("{w}q"), first, last.as_str().into()] {
                check_word_languages(table, want, v.as_bytes());
            }
        }
    }

    proptest::proptest! {
        /// Random words, mostly in no list: the filter must never drop one that is.
        #[test]
        fn random_words_agree_with_the_plain_map(word in "[a-zäöüéèàçñßаеиноя]{1,17}") {
            check_word_languages(word_languages(), word_languages_reference(), word.as_bytes());
        }
    }

    #[test]
    fn tally_matches_the_reference_on_the_paragraphs() {
        for (_, text) in PARAGRAPHS.iter().chain(BY_SCRIPT) {
            assert_eq!(tally(text, word_languages()), tally_reference(text));
        }
    }

    #[test]
    fn thin_or_mixed_evidence_is_left_to_whatlang() {
        // Too few stopwords.
        assert!(matches!(
            quick_detect("Home | News | Sport | Contact"),
            Quick::Unsure(_)
        ));
        // As much Cyrillic as Latin: no main script.
        let mixed = "rivers and мост и река";
        assert_eq!(quick_detect(mixed), Quick::Unsure(None));
        // Spanish and Portuguese share most short words: a sentence that could be either
        // has no clear leader.
        assert!(matches!(quick_detect("a casa de la"), Quick::Unsure(_)));
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
