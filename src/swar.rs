//! Eight bytes at a time in one `u64` (SIMD within a register), and sixteen at a time with
//! SSE2: the lane constants, byte tests and block classes that the hot loops of several
//! stages share, so each trick is written and tested once. A lane is one byte, the first
//! byte lowest (`u64::from_le_bytes`); a lane mask has the high bit of each lane set where
//! the test holds. The sixteen-byte forms give bit masks instead (bit `k` for byte `k`),
//! each with a plain form for other targets that their tests hold them to.
//!
//! Two accuracies, named by the functions: *exact* tests hold for any bytes; the `lanes_*`
//! tests are exact only in the lanes before the first byte of 0x80 or more (such a byte
//! may carry into the lanes after it), for callers that know the bytes are ASCII or that
//! check the high bits first.

/// 0x01 in every lane.
pub(crate) const ONES: u64 = 0x0101_0101_0101_0101;
/// 0x80 in every lane: where lane masks keep their answers.
pub(crate) const HIGH: u64 = 0x8080_8080_8080_8080;
/// 0x7F in every lane.
pub(crate) const LOW7: u64 = 0x7F7F_7F7F_7F7F_7F7F;

/// The lanes of `x` that are zero. Exact: each lane's low seven bits plus 0x7F stay below
/// 0x100, so no carry crosses a lane.
#[inline(always)]
pub(crate) const fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The lanes of `x` that may be zero, for scans that take the first hit or check each
/// flagged byte: no zero lane is missed and the first flagged lane is exact, but a lane
/// after a zero one may be flagged too (by the borrow). One operation less than
/// [`zero_bytes`].
#[inline(always)]
pub(crate) const fn maybe_zero_bytes(x: u64) -> u64 {
    x.wrapping_sub(ONES) & !x & HIGH
}

/// The lanes of `x` equal to `c`. Exact.
#[inline(always)]
pub(crate) const fn eq_bytes(x: u64, c: u8) -> u64 {
    zero_bytes(x ^ (ONES * c as u64))
}

/// The lanes of `x` holding a byte in `lo..=hi`, exact for lanes below 0x80 (a byte of
/// 0x80 or more only carries into the lanes after it): `b + (0x80 - lo)` has its high
/// bit set when `b >= lo`, `b + (0x7F - hi)` when `b > hi`.
#[inline(always)]
pub(crate) fn lanes_in(x: u64, lo: u8, hi: u8) -> u64 {
    let ge_lo = x.wrapping_add(ONES * u64::from(0x80 - lo));
    let gt_hi = x.wrapping_add(ONES * u64::from(0x7F - hi));
    ge_lo & !gt_hi & HIGH
}

/// The lanes of `x` equal to `c`, exact for lanes below 0x80 (as [`lanes_in`]); one
/// operation less than [`eq_bytes`].
#[inline(always)]
pub(crate) fn lanes_eq(x: u64, c: u8) -> u64 {
    !(x ^ (ONES * u64::from(c))).wrapping_add(ONES * 0x7F) & HIGH
}

/// How many lanes a lane mask has: the 0/1 of each lane summed into the top one.
#[inline(always)]
pub(crate) fn lane_count(mask: u64) -> u32 {
    ((mask >> 7).wrapping_mul(ONES) >> 56) as u32
}

/// The first lane of a non-zero lane mask.
#[inline(always)]
pub(crate) fn first_lane(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// The last `rest` bytes of `bytes` (1 to 7, and not more than `bytes` has) as a
/// little-endian `u64` with zeros above them, from loads that may overlap instead of a
/// copy into a zeroed buffer (a call to `memcpy` for every hashed line, in segment's
/// hasher and corpus's line keys).
#[inline(always)]
pub(crate) fn tail_word(bytes: &[u8], rest: usize) -> u64 {
    let n = bytes.len();
    if let Some(last) = bytes.last_chunk::<8>() {
        return u64::from_le_bytes(*last) >> (8 * (8 - rest));
    }
    // Shorter than eight bytes: `rest` is the whole of them.
    let b = &bytes[n - rest..];
    if rest >= 4 {
        // Two four-byte loads that overlap when `rest` is under 8.
        let lo = u32::from_le_bytes(b[..4].try_into().expect("4 bytes"));
        let hi = u32::from_le_bytes(b[rest - 4..].try_into().expect("4 bytes"));
        u64::from(lo) | (u64::from(hi) << (8 * (rest - 4)))
    } else {
        // One to three bytes: the first, the middle and the last (some the same).
        u64::from(b[0])
            | (u64::from(b[rest / 2]) << (8 * (rest / 2)))
            | (u64::from(b[rest - 1]) << (8 * (rest - 1)))
    }
}

/// The words of an eight-byte chunk of ASCII, from its lanes of letters and digits: a
/// start is a letter or digit after another byte, an end another byte after one. Starts
/// and ends alternate, so each end closes the word open before the chunk or the first
/// start not yet closed.
pub(crate) struct ChunkWords {
    /// The lanes where a word starts.
    pub(crate) starts: u64,
    /// The lanes where a word ends.
    ends: u64,
    /// The start of the word open before the chunk, if any.
    open: Option<usize>,
}

impl ChunkWords {
    /// The words of a chunk whose letters and digits are the lanes of `alnum`, where words
    /// end only in the lanes of `valid` (the chunk's real bytes), after the word `open`
    /// (its start) if one runs into it.
    #[inline(always)]
    pub(crate) fn new(alnum: u64, valid: u64, open: Option<usize>) -> Self {
        let before = (alnum << 8) | (u64::from(open.is_some()) << 7);
        ChunkWords {
            starts: alnum & !before,
            ends: valid & !alnum & before,
            open,
        }
    }

    /// Hands each word that ends in the chunk at `at`, in order, with `state`: the open
    /// word (with the start it was given) to `open_word`, and the words that lie in the
    /// chunk (their bytes the lanes `start - at .. end - at`) to `word` (two calls, each
    /// inlined once); returns the start of the word open after it, if any.
    #[inline(always)]
    pub(crate) fn each_split<S>(
        mut self,
        at: usize,
        state: &mut S,
        open_word: impl FnOnce(&mut S, usize, usize),
        mut word: impl FnMut(&mut S, usize, usize),
    ) -> Option<usize> {
        if self.ends != 0 {
            if let Some(start) = self.open.take() {
                open_word(state, start, at + first_lane(self.ends));
                self.ends &= self.ends - 1;
            }
            // The other words start in this chunk.
            while self.ends != 0 {
                word(
                    state,
                    at + first_lane(self.starts),
                    at + first_lane(self.ends),
                );
                self.starts &= self.starts - 1;
                self.ends &= self.ends - 1;
            }
        }
        if self.starts != 0 {
            Some(at + first_lane(self.starts))
        } else {
            self.open
        }
    }
}

/// A xorshift step: the next of a fixed sequence of words, for tests that try many
/// lane patterns without a random source.
#[cfg(test)]
pub(crate) fn xorshift(x: &mut u64) -> u64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    *x
}

/// The bytes of `block` equal to `c`, one bit each (bit `k` for byte `k`): one SSE2
/// compare for all sixteen.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn eq_mask16(block: &[u8; 16], c: u8) -> u32 {
    use std::arch::x86_64::{
        __m128i, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is enabled (the `cfg` above; every x86_64 processor has it), and the
    // unaligned load reads the sixteen bytes of an array.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(c as i8))) as u32
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use eq_mask16_plain as eq_mask16;

/// [`eq_mask16`] a byte at a time: the reference for its tests, and the code of other
/// targets.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), cfg(test))]
#[inline(always)]
pub(crate) fn eq_mask16_plain(block: &[u8; 16], c: u8) -> u32 {
    bits16(block, |b| b == c)
}

/// The bytes of `block` that pass `f`, one bit each (bit `k` for byte `k`): what the
/// sixteen-byte forms' plain versions are made of.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), cfg(test))]
#[inline(always)]
fn bits16(block: &[u8; 16], f: impl Fn(u8) -> bool) -> u32 {
    (0..16).filter(|&k| f(block[k])).map(|k| 1 << k).sum()
}

/// `mask.count_ones()` of a mask of sixteen bits, from a table of the bytes' counts:
/// without the `popcnt` instruction, which the generic x86-64 target lacks, `count_ones`
/// is a software count of some sixteen instructions, and a loop over the bits branches
/// on how many there are.
#[inline(always)]
pub(crate) fn count16(mask: u32) -> u32 {
    debug_assert!(mask <= 0xFFFF, "{mask:#x}");
    u32::from(BYTE_ONES[(mask & 0xFF) as usize]) + u32::from(BYTE_ONES[(mask >> 8 & 0xFF) as usize])
}

/// `BYTE_ONES[b]`: the one bits of `b`.
const BYTE_ONES: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 256 {
        t[b] = (b as u8).count_ones() as u8;
        b += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn count16_counts_bits() {
        for mask in 0..=0xFFFF {
            assert_eq!(count16(mask), mask.count_ones(), "{mask:#x}");
        }
    }

    #[test]
    fn exact_tests_hold_for_every_byte() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for _ in 0..5000 {
            xorshift(&mut x);
            let bytes = x.to_le_bytes();
            for c in [0u8, b'\n', b'&', 0x7F, 0x80, 0xE2, bytes[3]] {
                let want: u64 = (0..8)
                    .filter(|&j| bytes[j] == c)
                    .map(|j| 0x80u64 << (8 * j))
                    .sum();
                assert_eq!(eq_bytes(x, c), want, "{x:#x} {c:#x}");
            }
        }
    }

    #[test]
    fn maybe_zero_misses_none_and_its_first_lane_is_exact() {
        let mut x = 0x6a09_e667_f3bc_c908u64;
        for _ in 0..5000 {
            // Zero and one bytes (the borrow's false hits) in random lanes.
            let r = xorshift(&mut x);
            let v = r & !(0xFF << (8 * (r >> 61))) & !(0xFE << (8 * ((r >> 58) & 7)));
            let exact = zero_bytes(v);
            let maybe = maybe_zero_bytes(v);
            assert_eq!(maybe & exact, exact, "{v:#x}");
            assert_eq!(maybe == 0, exact == 0, "{v:#x}");
            if exact != 0 {
                assert_eq!(first_lane(maybe), first_lane(exact), "{v:#x}");
            }
        }
    }

    #[test]
    fn tail_word_loads_the_tail_as_a_zero_padded_copy_does() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut bytes = [0u8; 24];
        for _ in 0..200 {
            xorshift(&mut x);
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (x >> (i % 8 * 8)) as u8 ^ i as u8;
            }
            for n in 0..=bytes.len() {
                let b = &bytes[..n];
                let rest = n % 8;
                if rest > 0 {
                    let mut buf = [0u8; 8];
                    buf[..rest].copy_from_slice(&b[n - rest..]);
                    assert_eq!(tail_word(b, rest), u64::from_le_bytes(buf), "{b:?}");
                }
            }
        }
    }
}

/// The classes of sixteen ASCII bytes, one bit each (bit `k` for byte `k`), for segment's
/// walk and language ID's tally over runs of ASCII sixteen bytes a step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AsciiClasses {
    /// Letters.
    pub(crate) alpha: u32,
    /// Decimal digits.
    pub(crate) digit: u32,
    /// Uppercase letters.
    pub(crate) upper: u32,
    /// The letters plus 32 times the uppercase letters: both counts from one sum (there
    /// are at most sixteen letters).
    pub(crate) letters_upper: u32,
    /// The bytes above the space that are no letter or digit (punctuation, and DEL): when
    /// there are none, as in most blocks of prose, [`ascii_punct16`] has nothing to count
    /// and only the marks of [`letter_marks16`] to find.
    pub(crate) punct: u32,
}

/// The [`AsciiClasses`] of `block`, or `None` when it has a byte of 0x80 or more: SSE2
/// compares of all sixteen bytes, the two counts from one sum of absolute differences.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn ascii_classes16(block: &[u8; 16]) -> Option<AsciiClasses> {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cmpgt_epi8,
        _mm_cvtsi128_si32, _mm_extract_epi16, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_sad_epu8, _mm_set1_epi8, _mm_setzero_si128,
    };
    // SAFETY: SSE2 is enabled (the `cfg` above; every x86_64 processor has it), and the
    // unaligned load reads the sixteen bytes of an array.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        if _mm_movemask_epi8(v) != 0 {
            return None;
        }
        // Setting bit 5 lowercases letters and maps no other byte to one.
        let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let alpha = in_range16(lower, b'a', 26);
        let digit = in_range16(v, b'0', 10);
        // A letter is uppercase when bit 5 was clear (setting it changed the byte).
        let upper = _mm_andnot_si128(_mm_cmpeq_epi8(lower, v), alpha);
        let weights = _mm_or_si128(
            _mm_and_si128(alpha, _mm_set1_epi8(1)),
            _mm_and_si128(upper, _mm_set1_epi8(32)),
        );
        // Each half's sum of its eight bytes (at most 8 * 33), in its low 16 bits.
        let sums = _mm_sad_epu8(weights, _mm_setzero_si128());
        let letters_upper = _mm_cvtsi128_si32(sums) as u32 + _mm_extract_epi16::<4>(sums) as u32;
        // Above the space (a signed compare: every byte is ASCII here), no letter or digit.
        let punct = _mm_andnot_si128(
            _mm_or_si128(alpha, digit),
            _mm_cmpgt_epi8(v, _mm_set1_epi8(b' ' as i8)),
        );
        Some(AsciiClasses {
            alpha: _mm_movemask_epi8(alpha) as u32,
            digit: _mm_movemask_epi8(digit) as u32,
            upper: _mm_movemask_epi8(upper) as u32,
            letters_upper,
            punct: _mm_movemask_epi8(punct) as u32,
        })
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use ascii_classes16_plain as ascii_classes16;

/// The bytes of `v` in `lo..lo + len`, as a compare mask (all ones for a byte in it):
/// adding `0x80 - lo` moves the range to the bottom of the signed bytes, where one signed
/// compare takes it, whatever the other bytes are (those outside ASCII included).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn in_range16(v: std::arch::x86_64::__m128i, lo: u8, len: u8) -> std::arch::x86_64::__m128i {
    use std::arch::x86_64::{_mm_add_epi8, _mm_cmplt_epi8, _mm_set1_epi8};
    // SAFETY: SSE2 is enabled (the `cfg` above); no memory is read.
    unsafe {
        _mm_cmplt_epi8(
            _mm_add_epi8(v, _mm_set1_epi8(0x80u8.wrapping_sub(lo) as i8)),
            _mm_set1_epi8(0x80u8.wrapping_add(len) as i8),
        )
    }
}

/// The ASCII letters and digits of `block`, and its bytes outside ASCII, one bit each (bit
/// `k` for byte `k`): SSE2 compares of all sixteen bytes, for the title overlap's words
/// (which, unlike [`ascii_classes16`], reads blocks with characters outside ASCII too).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn ascii_alnum_mask16(block: &[u8; 16]) -> (u32, u32) {
    use std::arch::x86_64::{
        __m128i, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    // SAFETY: SSE2 is enabled (the `cfg` above; every x86_64 processor has it), and the
    // unaligned load reads the sixteen bytes of an array.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let letters = in_range16(_mm_or_si128(v, _mm_set1_epi8(0x20)), b'a', 26);
        let alnum = _mm_or_si128(letters, in_range16(v, b'0', 10));
        (_mm_movemask_epi8(alnum) as u32, _mm_movemask_epi8(v) as u32)
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use ascii_alnum_mask16_plain as ascii_alnum_mask16;

/// [`ascii_alnum_mask16`] a byte at a time: the reference for its test, and the code of
/// other targets.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), cfg(test))]
#[inline(always)]
pub(crate) fn ascii_alnum_mask16_plain(block: &[u8; 16]) -> (u32, u32) {
    (
        bits16(block, |b| b.is_ascii_alphanumeric()),
        bits16(block, |b| !b.is_ascii()),
    )
}

/// [`ascii_classes16`] a byte at a time: the reference for its tests, and the code of
/// other targets.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), cfg(test))]
#[inline(always)]
pub(crate) fn ascii_classes16_plain(block: &[u8; 16]) -> Option<AsciiClasses> {
    if !block.is_ascii() {
        return None;
    }
    let alpha = bits16(block, |b| b.is_ascii_alphabetic());
    let upper = bits16(block, |b| b.is_ascii_uppercase());
    Some(AsciiClasses {
        alpha,
        digit: bits16(block, |b| b.is_ascii_digit()),
        upper,
        letters_upper: alpha.count_ones() + 32 * upper.count_ones(),
        punct: bits16(block, |b| b > b' ' && !b.is_ascii_alphanumeric()),
    })
}

/// The words of a sixteen-byte block of ASCII, from its bit mask of letters and digits
/// (bit `k` for byte `k`): [`ChunkWords`] a bit a byte.
pub(crate) struct BlockWords {
    /// The bytes where a word starts.
    pub(crate) starts: u32,
    /// The bytes where a word ends.
    ends: u32,
    /// The start of the word open before the block, if any.
    open: Option<usize>,
}

impl BlockWords {
    /// The words of a block whose letters and digits are the bits of `alnum`, after the
    /// word `open` (its start) if one runs into it.
    #[inline(always)]
    pub(crate) fn new(alnum: u32, open: Option<usize>) -> Self {
        let before = (alnum << 1) | u32::from(open.is_some());
        BlockWords {
            starts: alnum & !before,
            ends: !alnum & before & 0xFFFF,
            open,
        }
    }

    /// [`ChunkWords::each_split`] for the block at `at`.
    #[inline(always)]
    pub(crate) fn each_split<S>(
        self,
        at: usize,
        state: &mut S,
        open_word: impl FnOnce(&mut S, usize, usize),
        mut word: impl FnMut(&mut S, usize, usize),
    ) -> Option<usize> {
        let BlockWords {
            mut starts,
            mut ends,
            open,
        } = self;
        let byte = |mask: u32| at + mask.trailing_zeros() as usize;
        if ends == 0 {
            // Nothing closes: the open word runs on, or one starts.
            return if starts != 0 {
                Some(byte(starts))
            } else {
                open
            };
        }
        if let Some(start) = open {
            open_word(state, start, byte(ends));
            ends &= ends - 1;
        }
        // The other words start in this block.
        while ends != 0 {
            word(state, byte(starts), byte(ends));
            starts &= starts - 1;
            ends &= ends - 1;
        }
        (starts != 0).then(|| byte(starts))
    }
}

/// The 128-bit product of `x` and an odd constant (2^64 over the golden ratio), its
/// halves XOR-ed: every bit of `x` reaches both the low bits (a hash table's bucket) and
/// the high ones (its tag), for one multiply. The hash tables' step (rules' whole-line
/// keys, corpus's line-key counts). Its output is part of corpus's line-key hash, which
/// saved line counts (`BSLSTAT2`) hold: a change needs a new `MAGIC` there.
#[inline(always)]
pub(crate) fn fold_mul(x: u64) -> u64 {
    let p = u128::from(x) * 0x9E37_79B9_7F4A_7C15;
    (p as u64) ^ (p >> 64) as u64
}

#[cfg(test)]
mod class_tests {
    use super::{
        ascii_alnum_mask16, ascii_alnum_mask16_plain, ascii_classes16, ascii_classes16_plain,
        eq_mask16, eq_mask16_plain, xorshift, LOW7,
    };

    /// Sixteen bytes of ASCII from the xorshift sequence, byte `round % 16` set to
    /// `round % 256` (every value in turn, the high ones included).
    fn block(state: &mut u64, round: usize) -> [u8; 16] {
        let lo = (xorshift(state) & LOW7).to_le_bytes();
        let hi = (xorshift(state) & LOW7).to_le_bytes();
        let mut b: [u8; 16] = std::array::from_fn(|k| if k < 8 { lo[k] } else { hi[k - 8] });
        b[round % 16] = (round % 256) as u8;
        b
    }

    #[test]
    fn ascii_classes16_matches_the_byte_walk() {
        let mut state = 0x243f_6a88_85a3_08d3u64;
        let blocks: Vec<[u8; 16]> = (0..20_000).map(|r| block(&mut state, r)).collect();
        for b in &blocks {
            assert_eq!(ascii_classes16(b), ascii_classes16_plain(b), "{b:?}");
        }
    }

    #[test]
    fn alnum_masks_of_sixteen_bytes_are_those_of_the_bytes() {
        let mut x = 0x1319_8a2e_0370_7344u64;
        for round in 0..4000 {
            let mut block = [0u8; 16];
            for pair in block.chunks_exact_mut(8) {
                let r = xorshift(&mut x).to_le_bytes();
                // Every byte value, and runs near the class bounds.
                let near =
                    |b: u8| [b'0', b'9', b'a', b'z', b'A', b'Z', 0x7F, 0x80][usize::from(b % 8)];
                for (b, r) in pair.iter_mut().zip(r) {
                    *b = if round % 2 == 0 {
                        r
                    } else {
                        near(r).wrapping_add(r % 3).wrapping_sub(1)
                    };
                }
            }
            assert_eq!(
                ascii_alnum_mask16(&block),
                ascii_alnum_mask16_plain(&block),
                "{block:?}"
            );
        }
    }

    #[test]
    fn newline_masks_match_the_byte_walk() {
        let mut x = 0x243f_6a88_85a3_08d3u64;
        for _ in 0..5000 {
            // Newlines in random lanes among bytes of all kinds (0x8A shares its low bits).
            let r = xorshift(&mut x);
            let mut block = [0u8; 16];
            for (k, b) in block.iter_mut().enumerate() {
                *b = match (r >> (4 * k)) & 0xF {
                    0..=4 => b'\n',
                    5 => 0x8A,
                    v => (r >> (k % 8)) as u8 ^ v as u8,
                };
            }
            assert_eq!(
                eq_mask16(&block, b'\n'),
                eq_mask16_plain(&block, b'\n'),
                "{block:?}"
            );
        }
    }
}

// --- Line-key blocks (corpus) ---

/// Sixteen bytes of a line key's text (corpus's line keys): the block with its ASCII
/// capitals lowercased, as two little-endian words, and the bytes where the key text
/// needs a closer look, one bit each (bit `k` for byte `k`): bytes from 0x80 on, ASCII
/// digits and, when `LINES`, `\n`. Exact for any bytes. SSE2 compares of all sixteen
/// bytes, where the eight-byte word tests take three times the instructions.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn key_block16<const LINES: bool>(block: &[u8; 16]) -> ([u64; 2], u32) {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si64, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8, _mm_unpackhi_epi64,
    };
    // SAFETY: SSE2 is enabled (the `cfg` above; every x86_64 processor has it), and the
    // unaligned load reads the sixteen bytes of an array.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        // A byte from 0x80 on has its high bit set already.
        let mut stops = _mm_or_si128(v, in_range16(v, b'0', 10));
        if LINES {
            stops = _mm_or_si128(stops, _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)));
        }
        let capitals = _mm_and_si128(in_range16(v, b'A', 26), _mm_set1_epi8(0x20));
        let lower = _mm_or_si128(v, capitals);
        (
            [
                _mm_cvtsi128_si64(lower) as u64,
                _mm_cvtsi128_si64(_mm_unpackhi_epi64(lower, lower)) as u64,
            ],
            _mm_movemask_epi8(stops) as u32,
        )
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use key_block16_plain as key_block16;

/// [`key_block16`] a byte at a time: the reference for its test, and the code of other
/// targets.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), cfg(test))]
#[inline(always)]
pub(crate) fn key_block16_plain<const LINES: bool>(block: &[u8; 16]) -> ([u64; 2], u32) {
    let lower = block.map(|b| b.to_ascii_lowercase());
    let half = |k: usize| u64::from_le_bytes(lower[k..k + 8].try_into().expect("8 bytes"));
    let stops = bits16(block, |b| {
        b >= 0x80 || b.is_ascii_digit() || (LINES && b == b'\n')
    });
    ([half(0), half(8)], stops)
}

#[cfg(test)]
mod front_tests {
    use super::{key_block16, key_block16_plain, xorshift};

    #[test]
    fn key_block16_is_its_plain_form() {
        // Every byte value in every position, among ASCII letters, digits, line breaks
        // and bytes outside ASCII.
        let mut x = 0x243f_6a88_85a3_08d3u64;
        let pool = b"aZ@[`{09/:\n\x80\xC3\xFF AQz";
        for b in 0..=0xFFu8 {
            for k in 0..16 {
                let mut block = [0u8; 16];
                for (j, slot) in block.iter_mut().enumerate() {
                    *slot = pool[(xorshift(&mut x) as usize + j) % pool.len()];
                }
                block[k] = b;
                assert_eq!(
                    key_block16::<true>(&block),
                    key_block16_plain::<true>(&block),
                    "{block:?}"
                );
                assert_eq!(
                    key_block16::<false>(&block),
                    key_block16_plain::<false>(&block),
                    "{block:?}"
                );
            }
        }
    }
}

// --- Word counts (rules) ---

/// How many words (runs of bytes other than space and tab) start in the leading bytes of
/// `bytes` this looks at, whether the last of them is no space or tab, and the bytes after
/// them (the end of `bytes`, left to the caller). `in_word`: whether the byte before
/// `bytes` was no space or tab (false at a line's start). With SSE2 those are the whole
/// sixteen-byte blocks, `16 * (len / 16)` bytes: the starts of a block are added to
/// per-byte counters in a register and summed once per 255 blocks, so a block costs
/// about a dozen operations and no popcount.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline]
pub(crate) fn word_starts16(bytes: &[u8], in_word: bool) -> (usize, bool, &[u8]) {
    use std::arch::x86_64::{
        __m128i, _mm_andnot_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si64, _mm_loadu_si128,
        _mm_movemask_epi8, _mm_or_si128, _mm_sad_epu8, _mm_set1_epi8, _mm_setzero_si128,
        _mm_slli_si128, _mm_srli_si128, _mm_sub_epi8, _mm_unpackhi_epi64,
    };
    let blocks = bytes.chunks_exact(16);
    // The bytes left as `ChunksExact` finds them, `len % 16` of them: the caller then
    // knows they are under sixteen, which a count of the bytes used (len - rest) hid from
    // the compiler (+0.17M instructions a copy in count_words, measured).
    let rest = blocks.remainder();
    if blocks.len() == 0 {
        return (0, in_word, rest);
    }
    // SAFETY: SSE2 is enabled (the `cfg` above; every x86_64 processor has it); every
    // load is unaligned and reads the sixteen bytes of one block of `bytes`.
    unsafe {
        let (space, tab) = (_mm_set1_epi8(b' ' as i8), _mm_set1_epi8(b'\t' as i8));
        let zero = _mm_setzero_si128();
        // 0xFF in the lanes of spaces and tabs, of the block before (its lane 15 is
        // the byte before the next block; a line starts after a gap).
        let mut gap = if in_word { zero } else { _mm_set1_epi8(-1) };
        let sum = |c: __m128i| {
            let s = _mm_sad_epu8(c, zero);
            (_mm_cvtsi128_si64(s) + _mm_cvtsi128_si64(_mm_unpackhi_epi64(s, s))) as u64
        };
        let mut total = 0u64;
        // At most 255 blocks per round, so that no per-lane count wraps.
        for round in bytes[..16 * blocks.len()].chunks(16 * 255) {
            let mut counts = zero;
            for block in round.chunks_exact(16) {
                let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
                let here = _mm_or_si128(_mm_cmpeq_epi8(v, space), _mm_cmpeq_epi8(v, tab));
                // A word starts at a byte that is no gap after one that is: -1 there,
                // so subtracting it counts one.
                let before = _mm_or_si128(_mm_slli_si128(here, 1), _mm_srli_si128(gap, 15));
                counts = _mm_sub_epi8(counts, _mm_andnot_si128(here, before));
                gap = here;
            }
            total += sum(counts);
        }
        (total as usize, _mm_movemask_epi8(gap) & 0x8000 == 0, rest)
    }
}

/// The lanes of eight-byte chunk `x` where a word (split at spaces and tabs, as in
/// [`word_starts16`]) starts, and the carry into the next chunk: `prev_word` is the high
/// bit of lane 0 when the byte before `x` was no space or tab (0 when the line starts at
/// `x`), as the carry returned is. Shared by rules' `count_words` and
/// `alnum_starts_exceed`.
#[inline(always)]
pub(crate) fn chunk_word_starts(x: u64, prev_word: u64) -> (u64, u64) {
    let word = !(eq_bytes(x, b' ') | eq_bytes(x, b'\t')) & HIGH;
    (word & !((word << 8) | prev_word), word >> 56)
}

/// Without SSE2 none of the bytes: the caller's eight-byte loop is faster than a byte walk
/// here.
#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
#[inline(always)]
pub(crate) fn word_starts16(bytes: &[u8], in_word: bool) -> (usize, bool, &[u8]) {
    (0, in_word, bytes)
}

/// [`word_starts16`] over the whole sixteen-byte blocks of `bytes`, a byte at a time: the
/// reference for its test.
#[cfg(test)]
pub(crate) fn word_starts16_plain(bytes: &[u8], in_word: bool) -> (usize, bool) {
    let mut n = 0;
    let mut w = in_word;
    for &b in &bytes[..bytes.len() / 16 * 16] {
        let gap = b == b' ' || b == b'\t';
        n += usize::from(!gap && !w);
        w = !gap;
    }
    (n, w)
}

#[cfg(test)]
mod word_count_tests {
    use super::{word_starts16, word_starts16_plain, xorshift};

    /// `word_starts16` agrees with the byte walk over the bytes before the rest it
    /// returns, which are all the whole blocks with SSE2 and none without.
    fn check(bytes: &[u8], in_word: bool) {
        let (n, w, rest) = word_starts16(bytes, in_word);
        let done = bytes.len() - rest.len();
        // The end of `bytes` (count_words reads the line's last eight bytes again).
        assert_eq!(rest, &bytes[done..]);
        assert_eq!(rest.as_ptr_range().end, bytes.as_ptr_range().end);
        let blocks = bytes.len() / 16 * 16;
        let expected_done = if cfg!(all(target_arch = "x86_64", target_feature = "sse2")) {
            blocks
        } else {
            0
        };
        assert_eq!(done, expected_done, "{} {in_word}", bytes.len());
        assert_eq!(
            (n, w),
            word_starts16_plain(&bytes[..done], in_word),
            "{bytes:?} {in_word}"
        );
    }

    #[test]
    fn a_word_start_in_every_block_does_not_wrap_the_counters() {
        // Lanes 1, 3, .. start a word in every block: a round of 256 blocks would wrap
        // their per-byte counters to zero.
        for blocks in [255, 256, 600] {
            for tail in [&b""[..], b" a", b"abc"] {
                let mut bytes = b" a".repeat(8 * blocks);
                bytes.extend_from_slice(tail);
                for in_word in [false, true] {
                    check(&bytes, in_word);
                }
            }
        }
    }

    #[test]
    fn sixteen_byte_word_starts_agree_with_the_byte_walk() {
        let mut x = 0x4528_21e6_38d0_1377u64;
        // Lengths past 255 blocks (the counters' sum), and ones that are no multiple of 16.
        for len in (0..70).chain([255 * 16, 255 * 16 + 5, 256 * 16, 600 * 16 + 9]) {
            for round in 0..40 {
                let bytes: Vec<u8> = (0..len)
                    .map(|_| {
                        let r = xorshift(&mut x);
                        // Mostly word bytes, high ones included, and runs of gaps.
                        match r % 8 {
                            0 => b' ',
                            1 if round % 2 == 0 => b'\t',
                            2 => 0x80 | (r >> 8) as u8,
                            3 => 0x09 ^ ((r >> 8) as u8 & 1),
                            _ => b'a' + (r >> 16) as u8 % 26,
                        }
                    })
                    .collect();
                for in_word in [false, true] {
                    check(&bytes, in_word);
                }
            }
        }
    }
}

// Punctuation counts of a block of ASCII for segment's line statistics.

/// What segment's line statistics count of the punctuation in sixteen ASCII bytes, from
/// compare masks (no byte-by-byte walk, whose branches on the text mispredicted), and the
/// few bytes that may start or end a copyright or link mark, to look at one by one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct AsciiPunct {
    /// Bytes among `| > / \ _ = + * # @ ~`.
    pub(crate) separators: u32,
    /// Commas.
    pub(crate) commas: u32,
    /// Double quotes.
    pub(crate) quotes: u32,
    /// `.`, `!` or `?` followed by a space (the byte after the block being one when
    /// `space_after` is set).
    pub(crate) sentences: u32,
    /// One bit a byte (bit `k` for byte `k`), a superset of the bytes where a mark may be
    /// found: every `@`; a `(` followed by `c` or `C` (or last); a `.` after `w` or `W`
    /// (or first); a `p` or `P` after `t`, `o` or either's capital (or first), as in `http`
    /// and `copyright`.
    pub(crate) look: u32,
}

/// The separator bytes of [`AsciiPunct`], and of segment's byte classes (one list, so that
/// its 8-byte chunks and these 16-byte blocks count the same bytes).
pub(crate) const PUNCT_SEPARATORS: &[u8; 11] = b"|>/\\_=+*#@~";

/// The [`AsciiPunct`] of `block` (all ASCII) the plain way, from byte tests without
/// SSE2: the reference for its test, and the code of other targets.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), cfg(test))]
#[inline(always)]
pub(crate) fn ascii_punct16_plain(block: &[u8; 16], space_after: bool) -> AsciiPunct {
    let lower = |k: usize| block[k] | 0x20;
    let after = |k: usize, set: &[u8]| k == 0 || set.contains(&lower(k - 1));
    let mut look = 0;
    for (k, &b) in block.iter().enumerate() {
        let hit = match b {
            b'@' => true,
            b'(' => k == 15 || lower(k + 1) == b'c',
            b'.' => after(k, b"w"),
            b'p' | b'P' => after(k, b"to"),
            _ => false,
        };
        look |= u32::from(hit) << k;
    }
    // Counted from bit masks (as its siblings are, through `bits16`), not through
    // closures called by reference for each byte: this is the code of other targets.
    let count = |f: fn(u8) -> bool| bits16(block, f).count_ones();
    // Bit `k`: byte `k + 1` is a space (the byte after the block for the last).
    let space_next = (bits16(block, |b| b == b' ') >> 1) | (u32::from(space_after) << 15);
    let ends = bits16(block, |b| matches!(b, b'.' | b'!' | b'?'));
    AsciiPunct {
        separators: count(|b| PUNCT_SEPARATORS.contains(&b)),
        commas: count(|b| b == b','),
        quotes: count(|b| b == b'"'),
        sentences: (ends & space_next).count_ones(),
        look,
    }
}

/// `ascii_punct16_plain` with SSE2 compares; the four counts from two sums of absolute
/// differences (each half's count of a kind is at most 8: four bits).
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn ascii_punct16(block: &[u8; 16], space_after: bool) -> AsciiPunct {
    use std::arch::x86_64::{
        __m128i, _mm_and_si128, _mm_cmpeq_epi8, _mm_cvtsi128_si32, _mm_cvtsi32_si128,
        _mm_extract_epi16, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_sad_epu8,
        _mm_set1_epi8, _mm_setzero_si128, _mm_slli_si128, _mm_srli_si128,
    };
    // SAFETY: SSE2 is enabled (the `cfg` above), and the unaligned load reads the sixteen
    // bytes of an array.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        let eq = |b: u8| _mm_cmpeq_epi8(v, _mm_set1_epi8(b as i8));
        let lower = _mm_or_si128(v, _mm_set1_epi8(0x20));
        let lower_eq = |b: u8| _mm_cmpeq_epi8(lower, _mm_set1_epi8(b as i8));
        // `* +` and `= >` are neighbours: one range test each.
        let sep = _mm_or_si128(
            _mm_or_si128(
                _mm_or_si128(in_range16(v, b'*', 2), in_range16(v, b'=', 2)),
                _mm_or_si128(eq(b'|'), eq(b'/')),
            ),
            _mm_or_si128(
                _mm_or_si128(eq(b'\\'), eq(b'_')),
                _mm_or_si128(_mm_or_si128(eq(b'#'), eq(b'@')), eq(b'~')),
            ),
        );
        let space = eq(b' ');
        // Byte `k` of `space_next`: whether byte `k + 1` is a space.
        let space_next = _mm_or_si128(
            _mm_srli_si128::<1>(space),
            _mm_slli_si128::<15>(_mm_cvtsi32_si128(-i32::from(space_after))),
        );
        let ends = _mm_or_si128(_mm_or_si128(eq(b'.'), eq(b'!')), eq(b'?'));
        let sentences = _mm_and_si128(ends, space_next);
        let ones = _mm_set1_epi8(1);
        let sixteens = _mm_set1_epi8(16);
        let a = _mm_sad_epu8(
            _mm_or_si128(_mm_and_si128(sep, ones), _mm_and_si128(eq(b','), sixteens)),
            _mm_setzero_si128(),
        );
        let b = _mm_sad_epu8(
            _mm_or_si128(
                _mm_and_si128(eq(b'"'), ones),
                _mm_and_si128(sentences, sixteens),
            ),
            _mm_setzero_si128(),
        );
        let (a0, a1) = (
            _mm_cvtsi128_si32(a) as u32,
            _mm_extract_epi16::<4>(a) as u32,
        );
        let (b0, b1) = (
            _mm_cvtsi128_si32(b) as u32,
            _mm_extract_epi16::<4>(b) as u32,
        );
        let mask = |x: __m128i| _mm_movemask_epi8(x) as u32;
        // Bit `k` of `before`: byte `k - 1` (bit 0 set: the byte before the block is not
        // at hand); of `c_next`: byte `k + 1` is `c` (bit 15 set, as for `before`).
        let before = |m: u32| (m << 1) | 1;
        let c_next = (mask(lower_eq(b'c')) >> 1) | 0x8000;
        let look = mask(eq(b'@'))
            | (mask(eq(b'(')) & c_next)
            | (mask(eq(b'.')) & before(mask(lower_eq(b'w'))))
            | p_marks(lower);
        AsciiPunct {
            separators: (a0 & 15) + (a1 & 15),
            commas: (a0 >> 4) + (a1 >> 4),
            quotes: (b0 & 15) + (b1 & 15),
            sentences: (b0 >> 4) + (b1 >> 4),
            look,
        }
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use ascii_punct16_plain as ascii_punct16;

/// The `p` or `P` after `t`, `o` or either's capital (or first) of [`AsciiPunct::look`],
/// from the block's bytes with bit 5 set.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
fn p_marks(lower: std::arch::x86_64::__m128i) -> u32 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8};
    // SAFETY: SSE2 is enabled (the `cfg` above); no memory is read.
    unsafe {
        let lower_eq = |b: u8| _mm_movemask_epi8(_mm_cmpeq_epi8(lower, _mm_set1_epi8(b as i8)));
        let p = lower_eq(b'p') as u32;
        let t_or_o = _mm_movemask_epi8(_mm_or_si128(
            _mm_cmpeq_epi8(lower, _mm_set1_epi8(b't' as i8)),
            _mm_cmpeq_epi8(lower, _mm_set1_epi8(b'o' as i8)),
        )) as u32;
        // Bit 0 set: the byte before the block is not at hand.
        p & ((t_or_o << 1) | 1)
    }
}

/// [`ascii_punct16`] of a block of ASCII with no punctuation ([`AsciiClasses::punct`]
/// zero), the most common in prose, cheaper: it counts nothing then, and its
/// [`look`](AsciiPunct::look) is the `p` marks, which this returns.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[inline(always)]
pub(crate) fn letter_marks16(block: &[u8; 16]) -> u32 {
    use std::arch::x86_64::{__m128i, _mm_loadu_si128, _mm_or_si128, _mm_set1_epi8};
    // SAFETY: SSE2 is enabled (the `cfg` above), and the unaligned load reads the sixteen
    // bytes of an array.
    unsafe {
        let v = _mm_loadu_si128(block.as_ptr().cast::<__m128i>());
        p_marks(_mm_or_si128(v, _mm_set1_epi8(0x20)))
    }
}

#[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
pub(crate) use letter_marks16_plain as letter_marks16;

/// [`letter_marks16`] from the plain walk: the reference for its test, and the code of
/// other targets.
#[cfg_attr(all(target_arch = "x86_64", target_feature = "sse2"), cfg(test))]
#[inline(always)]
pub(crate) fn letter_marks16_plain(block: &[u8; 16]) -> u32 {
    ascii_punct16_plain(block, false).look
}

#[cfg(test)]
mod punct_tests {
    use super::*;

    /// Random ASCII blocks rich in the bytes that count, each with both `space_after`.
    #[test]
    fn sse2_punctuation_agrees_with_the_plain_walk() {
        const BYTES: &[u8] = b" .!?,\"|>/\\_=+*#@~()cCwWpPtToO:;-'a1\x7f\t<)[";
        let mut x = 0x2545_f491_4f6c_dd1du64;
        for round in 0..20_000 {
            let mut block = [0u8; 16];
            for b in &mut block {
                let r = xorshift(&mut x);
                *b = if round % 4 == 0 {
                    (r >> 8) as u8 & 0x7F
                } else {
                    BYTES[(r >> 8) as usize % BYTES.len()]
                };
            }
            for space_after in [false, true] {
                assert_eq!(
                    ascii_punct16(&block, space_after),
                    ascii_punct16_plain(&block, space_after),
                    "{:?} {space_after}",
                    String::from_utf8_lossy(&block)
                );
            }
        }
    }

    /// Blocks of letters, digits, spaces and control bytes (the `p` marks' letters often),
    /// and some with one punctuation byte: where [`AsciiClasses::punct`] finds none,
    /// [`letter_marks16`] is all that [`ascii_punct16`] says.
    #[test]
    fn blocks_without_punctuation_have_only_letter_marks() {
        const BYTES: &[u8] = b"pPtToOwWcC  aZ09\t\x7f.,(@\x1f";
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let (mut plain, mut marked) = (0, 0);
        for round in 0..40_000 {
            let mut block = [0u8; 16];
            for b in &mut block {
                let r = xorshift(&mut x);
                // Mostly the first sixteen bytes (no punctuation), sometimes the rest.
                let n = if r % 16 == 0 { BYTES.len() } else { 16 };
                *b = BYTES[(r >> 8) as usize % n];
            }
            let c = ascii_classes16(&block).expect("ASCII");
            let punct = ascii_punct16(&block, round % 2 == 0);
            assert_eq!(
                c.punct == 0,
                block
                    .iter()
                    .all(|&b| b <= b' ' || b.is_ascii_alphanumeric())
            );
            if c.punct == 0 {
                assert_eq!(
                    letter_marks16(&block),
                    letter_marks16_plain(&block),
                    "{block:?}"
                );
                plain += 1;
                marked += usize::from(punct.look != 0);
                let want = AsciiPunct {
                    look: letter_marks16(&block),
                    ..AsciiPunct::default()
                };
                assert_eq!(punct, want, "{:?}", String::from_utf8_lossy(&block));
            }
        }
        // Both kinds of block, and marks among the plain ones.
        assert!(
            plain > 10_000 && plain < 40_000 && marked > 1000,
            "{plain} {marked}"
        );
    }
}
