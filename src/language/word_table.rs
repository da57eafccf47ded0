//! The keys, hashes and slots of the language identifier's word table
//! ([`WordLanguages`](super::WordLanguages)), shared by build.rs, which builds the table into
//! the binary, and the library, which looks words up in it: one copy of the code, so that a
//! lookup probes where the build put the word.
//!
//! Only `core`, `std` and this file: build.rs includes it with `#[path]`.

/// The languages with a stopword list, as ISO 639-1 codes. A word's languages are a bit
/// mask over this order, which build.rs bakes into the table.
pub const SUPPORTED: &[&str] = &[
    "en", "de", "fr", "es", "it", "pt", "nl", "pl", "ru", "uk", "zh", "ja", "ko", "cs", "sv", "da",
    "no", "fi", "hu", "ro", "tr", "el", "bg", "hr", "sk", "sl", "ca", "id", "ar", "he",
];

/// The longest word [`pack`] packs.
pub(super) const SHORT_MAX: usize = 15;

/// The slots of the table of words of up to eight bytes: a constant, so that probes need
/// no loads of its size nor bounds tests. The supported lists have 7,205 distinct words of
/// up to eight bytes, which fill 44% of these 16,384 (256 KiB): twice as many slots made
/// probe runs shorter, but the table and the one of longer words no longer fitted the
/// second-level cache together with the other stages' tables.
pub(super) const LANG_EIGHT_SLOTS: usize = 1 << 14;
// Probes wrap by masking and hash to log2 bits.
const _: () = assert!(LANG_EIGHT_SLOTS.is_power_of_two());

/// The 64-bit words of the filter (16 KiB). The supported lists' words of up to
/// [`SHORT_MAX`] bytes set 13% of its bits, so that some 2% of the words in no list pass it
/// (measured on random words of three to eight letters). At 8 KiB, 24% and 6%: that
/// measured 0.5% to 1% more time (three times as many words in no list probe the 256 KiB
/// table), and 4 KiB another 1% more.
pub(super) const FILTER_WORDS: usize = 2048;
const _: () = assert!(FILTER_WORDS.is_power_of_two());

/// A word of up to [`SHORT_MAX`] bytes (lowercased byte by byte when `lower`) packed with
/// its length into 16 bytes; `None` when it is longer or empty. Packed words are compared
/// as two integers, without hashing bytes one by one nor calling `memcmp`.
#[inline]
pub(super) fn pack(word: &[u8], lower: bool) -> Option<[u64; 2]> {
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

/// The hash product of the key of a word of one to eight bytes (its bytes in a `u64`, zeros
/// after them): its top bits pick the slot and the [`filter_bits`].
#[inline(always)]
pub(super) fn eight_hash(key: u64) -> u64 {
    key.wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// [`eight_hash`] of a [packed](pack) key.
#[inline(always)]
pub(super) fn packed_hash(key: [u64; 2]) -> u64 {
    eight_hash(key[0] ^ key[1].rotate_left(29))
}

/// The first slot of the eight-byte key `key` in a table of `2^(64 - shift)` slots.
#[inline(always)]
pub(super) fn hash_shift(key: u64, shift: u32) -> usize {
    (eight_hash(key) >> shift) as usize
}

/// The word of the filter and its two bits for a key whose hash product (the
/// multiplication that also picks its slot) is `h`: the word from the top bits, the bits'
/// positions from the twelve below them, so that one load tests both.
#[inline(always)]
pub(super) fn filter_bits(h: u64) -> (usize, u64) {
    const WORD_BITS: u32 = FILTER_WORDS.ilog2();
    let word = (h >> (64 - WORD_BITS)) as usize;
    let first = (h >> (64 - WORD_BITS - 6)) & 63;
    let second = (h >> (64 - WORD_BITS - 12)) & 63;
    (word, (1 << first) | (1 << second))
}

/// The slot of the eight-byte key `key` in `eight`, or the empty (zero) slot where it
/// would go: linear probing from its [`hash_shift`] slot.
#[inline(always)]
pub(super) fn find_eight(eight: &[(u64, u32); LANG_EIGHT_SLOTS], key: u64) -> usize {
    let mut i = hash_shift(key, 64 - LANG_EIGHT_SLOTS.ilog2());
    while eight[i % LANG_EIGHT_SLOTS].0 != key && eight[i % LANG_EIGHT_SLOTS].0 != 0 {
        i += 1;
    }
    i % LANG_EIGHT_SLOTS
}

/// The slot of the packed key `key` (a word of nine bytes or more) in `keys` (a power of
/// two many), or the empty (`[0, 0]`) slot where it would go.
#[inline]
pub(super) fn find_long(keys: &[[u64; 2]], key: [u64; 2]) -> usize {
    let mask = keys.len() - 1;
    let mut i = (packed_hash(key) >> (64 - keys.len().ilog2())) as usize;
    while keys[i] != key && keys[i] != [0, 0] {
        i = (i + 1) & mask;
    }
    i
}

/// The word table's contents as built from the lists (see [`build`]).
// As `build`: in the library, for tests only.
#[cfg_attr(not(test), allow(dead_code))]
#[derive(Debug, PartialEq)]
pub(super) struct Tables {
    /// The [`LANG_EIGHT_SLOTS`] slots of the words of one to eight bytes: the word's bytes
    /// with zeros after them, and its language mask; a zero key is an empty slot.
    pub eight: Vec<(u64, u32)>,
    /// A power of two many [packed](pack) keys of the words of nine to [`SHORT_MAX`]
    /// bytes; `[0, 0]` is an empty slot.
    pub keys: Vec<[u64; 2]>,
    /// The language mask of each slot of [`keys`](Self::keys).
    pub masks: Vec<u32>,
    /// The [`FILTER_WORDS`] words of the filter: the two [`filter_bits`] of every word.
    pub filter: Vec<u64>,
}

/// The table of `words`, each with the bit of its language (a word in several lists comes
/// once for each); words over [`SHORT_MAX`] bytes are left out. The slots depend on the
/// order of the words, which is the languages' and then each list's.
// The library calls it only in tests (the table is built by build.rs); build.rs always.
#[cfg_attr(not(test), allow(dead_code))]
pub(super) fn build<'a>(words: impl Iterator<Item = (&'a str, u32)>) -> Tables {
    let words: Vec<([u64; 2], u32)> = words
        .filter_map(|(w, bit)| Some((pack(w.as_bytes(), false)?, bit)))
        .collect();
    let eight_words = words.iter().filter(|(k, _)| k[1] >> 56 <= 8).count();
    // At most half full.
    let len = ((words.len() - eight_words) * 2)
        .next_power_of_two()
        .max(16);
    // At most five eighths full, counting a word in several lists once for each (the
    // supported lists have 8,274 such words, 7,205 distinct).
    assert!(
        eight_words * 8 <= LANG_EIGHT_SLOTS * 5,
        "the supported stopword lists have {eight_words} words of up to eight bytes: \
         they need {} slots, LANG_EIGHT_SLOTS is {LANG_EIGHT_SLOTS}",
        (eight_words * 8).div_ceil(5).next_power_of_two(),
    );
    let mut eight: Box<[(u64, u32); LANG_EIGHT_SLOTS]> = vec![(0, 0); LANG_EIGHT_SLOTS]
        .into_boxed_slice()
        .try_into()
        .expect("LANG_EIGHT_SLOTS long");
    let mut t = Tables {
        eight: Vec::new(),
        keys: vec![[0, 0]; len],
        masks: vec![0; len],
        filter: vec![0; FILTER_WORDS],
    };
    for (key, bit) in words {
        // A packed word of up to eight bytes: its bytes are the first half, by which it is
        // looked up.
        let h = if key[1] >> 56 <= 8 {
            let i = find_eight(&eight, key[0]);
            eight[i].0 = key[0];
            eight[i].1 |= bit;
            eight_hash(key[0])
        } else {
            let i = find_long(&t.keys, key);
            t.keys[i] = key;
            t.masks[i] |= bit;
            packed_hash(key)
        };
        let (word, bits) = filter_bits(h);
        t.filter[word] |= bits;
    }
    t.eight = Vec::from(eight as Box<[_]>);
    t
}
