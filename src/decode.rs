//! Stage 1: bytes in any encoding -> a UTF-8 `String`.
//!
//! Scraped text arrives as UTF-8, UTF-16 or a legacy code page. This stage decides which, decodes
//! it with encoding_rs (Firefox's decoders), counts what could not be decoded, and refuses inputs
//! that are binary data rather than text. Order of decisions:
//!
//! 1. a byte order mark (UTF-8, UTF-16LE, UTF-16BE) wins and is stripped;
//! 2. binary refusal: a NUL byte or a large share of C0 control bytes near the start
//!    (BOM-less UTF-16, which is full of NULs, is recognised first);
//! 3. strict UTF-8;
//! 4. *mostly* UTF-8 (plenty of valid multi-byte sequences, few errors, or broken UTF-8
//!    sequences in ASCII text): UTF-8 with U+FFFD for the errors;
//! 5. otherwise chardetng guesses a legacy encoding from a prefix and encoding_rs decodes it all.

use std::borrow::Cow;

use chardetng::EncodingDetector;
use encoding_rs::{DecoderResult, Encoding, UTF_16BE, UTF_16LE, UTF_8};

use crate::swar::{HIGH, LOW7, ONES};

/// A decoded document.
#[derive(Debug, Clone)]
pub struct Decoded {
    /// The text, as UTF-8.
    pub text: String,
    /// The encoding it was decoded from (an encoding_rs name, e.g. `UTF-8`, `windows-1251`).
    ///
    /// Simplified Chinese is reported as `GBK` (chardetng's name); encoding_rs decodes GBK
    /// with its GB18030 decoder, so GB18030-only characters are decoded too.
    pub encoding: &'static str,
    /// How many malformed byte sequences were replaced by U+FFFD.
    pub replaced: usize,
}

/// Why bytes could not be decoded as text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The input looks like binary data (NUL bytes or control bytes, not text).
    #[error("binary data, not text ({0})")]
    Binary(String),
}

/// How many leading bytes are inspected for binary content; git's `buffer_is_binary` looks at
/// the first 8000 bytes for the same purpose.
const SNIFF_LEN: usize = 8 * 1024;

/// Share of C0 control bytes (other than tab, newline, carriage return, form feed and escape)
/// in the sniffed prefix above which the input is binary: text has next to none.
const MAX_CONTROL_PERCENT: usize = 10;

/// How many bytes from the first non-ASCII byte on chardetng and the plausibility check see.
/// Guesses settle within a few KiB of non-ASCII text, and the detector is much slower than the
/// decoder, so long inputs are detected on a prefix (chardetng docs: feed the prefix with
/// `last = false` when the stream continues).
const DETECT_LEN: usize = 64 * 1024;

/// Valid multi-byte characters plus errors after which the UTF-8-or-legacy vote stops: by then
/// the ratio is settled, and legacy text, where nearly every non-ASCII byte is an error, is
/// slow to validate.
const UTF8_EVIDENCE: usize = 4096;

/// Decodes `bytes` to UTF-8.
///
/// Linear in the input. Detection looks at a prefix; the whole input is decoded once (twice
/// only for ASCII text with stray bytes, whose legacy reading is tried and rejected).
///
/// # Errors
/// [`DecodeError::Binary`] when the input is not text: a NUL byte in the first 8 KiB (unless
/// the input is recognisably UTF-16), or more than 10% C0 control bytes there.
pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    decode_borrowed(bytes).map(|d| Decoded {
        text: d.text.into_owned(),
        encoding: d.encoding,
        replaced: d.replaced,
    })
}

/// A [`Decoded`] document that borrows the input when it was valid UTF-8 (the common case),
/// so that callers that only read the text need no copy of it.
#[derive(Debug, Clone)]
pub(crate) struct DecodedRef<'a> {
    /// The text, as UTF-8.
    pub text: Cow<'a, str>,
    /// See [`Decoded::encoding`].
    pub encoding: &'static str,
    /// See [`Decoded::replaced`].
    pub replaced: usize,
    /// The legacy encoding the decision came to step 5 with (chardetng's guess, or the known
    /// encoding given instead), even when the text was then read as UTF-8 after all; `None`
    /// when an earlier step decided. Handing it back for the same bytes skips the detector,
    /// by far the slowest part of decoding legacy text, with the same result.
    pub legacy_guess: Option<&'static Encoding>,
}

impl<'a> DecodedRef<'a> {
    /// Text that was valid UTF-8 as it stood, borrowed.
    fn utf8(text: &'a str) -> Self {
        DecodedRef {
            text: Cow::Borrowed(text),
            encoding: UTF_8.name(),
            replaced: 0,
            legacy_guess: None,
        }
    }
}

impl<'a> From<Decoded> for DecodedRef<'a> {
    fn from(d: Decoded) -> Self {
        DecodedRef {
            text: Cow::Owned(d.text),
            encoding: d.encoding,
            replaced: d.replaced,
            legacy_guess: None,
        }
    }
}

/// [`decode`], borrowing the text from `bytes` when they are UTF-8 already.
///
/// # Errors
/// As [`decode`].
pub(crate) fn decode_borrowed(bytes: &[u8]) -> Result<DecodedRef<'_>, DecodeError> {
    decode_known(bytes, None)
}

/// [`decode_borrowed`], reading the bytes as `known` instead of asking chardetng when the
/// decision comes to step 5. For bytes whose [`DecodedRef::legacy_guess`] was `known`, the
/// result is the same as without it.
///
/// # Errors
/// As [`decode`].
pub(crate) fn decode_known<'a>(
    bytes: &'a [u8],
    known: Option<&'static Encoding>,
) -> Result<DecodedRef<'a>, DecodeError> {
    if bytes.is_empty() {
        return Ok(DecodedRef::utf8(""));
    }

    if let Some((encoding, bom_len)) = Encoding::for_bom(bytes) {
        let body = &bytes[bom_len..];
        if encoding == UTF_8 {
            check_binary(body)?;
            if let Ok(text) = valid_utf8(body) {
                return Ok(DecodedRef::utf8(text));
            }
            return Ok(decode_utf8(body).into());
        }
        return decode_utf16(encoding, body).map(Into::into);
    }

    // BOM-less UTF-16 has NUL bytes in the sniffed prefix, which the binary check finds
    // (it sees at least the bytes `sniff_utf16` does): only then is it worth a look.
    if let Err(binary) = check_binary(bytes) {
        let first_nul = match binary {
            Binary::Nul(offset) => Some(offset),
            Binary::Controls { .. } => None,
        };
        return match sniff_utf16(bytes, first_nul) {
            Some(encoding) => decode_utf16(encoding, bytes).map(Into::into),
            None => Err(binary.into()),
        };
    }

    if let Ok(text) = valid_utf8(bytes) {
        return Ok(DecodedRef::utf8(text));
    }
    let stats = utf8_stats(bytes);
    if stats.multibyte > 0 && damaged_utf8(stats) {
        return Ok(decode_utf8(bytes).into());
    }

    let encoding = known.unwrap_or_else(|| detect_legacy(bytes));
    let (text, replaced) = decode_with(encoding, bytes);
    if stats.multibyte == 0 {
        // ASCII plus bytes that are not UTF-8: legacy text, or stray/truncated bytes?
        if !legacy_reading_is_text(&text) {
            return Ok(DecodedRef {
                legacy_guess: Some(encoding),
                ..decode_utf8(bytes).into()
            });
        }
    }
    Ok(DecodedRef {
        text: Cow::Owned(text),
        encoding: encoding.name(),
        replaced,
        legacy_guess: Some(encoding),
    })
}

/// `bytes` as text when they are UTF-8: the same answer as `std::str::from_utf8`, which
/// it only leaves without the error's position (every caller starts over on an error).
/// simdutf8 validates 32 or 64 bytes a step where std's loop takes a word, or a byte
/// at a time from the first non-ASCII byte on; both passes check every document, so it
/// showed as 2.3% of the time.
#[inline]
fn valid_utf8(bytes: &[u8]) -> Result<&str, simdutf8::basic::Utf8Error> {
    simdutf8::basic::from_utf8(bytes)
}

/// Why [`check_binary`] refused bytes: what it met.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Binary {
    /// A NUL byte, the first at this offset.
    Nul(usize),
    /// Too many control bytes in the sniffed prefix.
    Controls {
        /// How many.
        controls: usize,
        /// The bytes sniffed.
        sampled: usize,
    },
}

impl From<Binary> for DecodeError {
    fn from(binary: Binary) -> Self {
        DecodeError::Binary(match binary {
            Binary::Nul(offset) => format!("NUL byte at offset {offset}"),
            Binary::Controls { controls, sampled } => {
                format!("{controls} control bytes in the first {sampled} bytes")
            }
        })
    }
}

/// Refuses binary data: a NUL byte, or too many control bytes, in the first [`SNIFF_LEN`] bytes.
fn check_binary(bytes: &[u8]) -> Result<(), Binary> {
    let sample = &bytes[..bytes.len().min(SNIFF_LEN)];
    let controls = count_binary_controls(sample).map_err(Binary::Nul)?;
    if controls * 100 > sample.len() * MAX_CONTROL_PERCENT {
        return Err(Binary::Controls {
            controls,
            sampled: sample.len(),
        });
    }
    Ok(())
}

/// How many bytes of `sample` are [binary controls](is_binary_control), or the offset of
/// its first NUL byte. In one pass for both (a NUL is a control byte too): by blocks up
/// to the first control byte, then eight bytes at a time (text has a control byte,
/// mostly `\n`, in few of its eight-byte words).
fn count_binary_controls(sample: &[u8]) -> Result<usize, usize> {
    let mut controls = 0;
    let mut look = |at: usize, bytes: &[u8]| -> Result<(), usize> {
        for (i, &b) in bytes.iter().enumerate() {
            if b == 0 {
                return Err(at + i);
            }
            controls += usize::from(is_binary_control(b));
        }
        Ok(())
    };
    // First whole blocks without a control byte but '\n' (most text has none at all), then,
    // from the first other block on, those without a control byte but '\n' and '\r' (a
    // CRLF text has one a line; other text stops at the same block again). The first
    // block that has another and the rest go word by word, which counts exactly.
    let at = quiet_blocks::<false>(sample, 0);
    let mut at = quiet_blocks::<true>(sample, at);
    let mut chunks = sample[at..].chunks_exact(8);
    for chunk in &mut chunks {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
        // The high bit of each byte below 0x20 (no sum carries out of its byte): only those
        // are looked at, mostly one '\n'.
        let mut below = !(((w & LOW7) + ONES * (0x80 - 0x20)) | w) & HIGH;
        while below != 0 {
            let k = (below.trailing_zeros() / 8) as usize;
            below &= below - 1;
            look(at + k, &chunk[k..=k])?;
        }
        at += 8;
    }
    look(at, chunks.remainder())?;
    Ok(controls)
}

/// Where the first 128-byte block of `sample` from `at` on (or its last bytes) that holds a
/// control byte but '\n' (and '\r' when `CR`) starts. A branch-free test the compiler
/// vectorizes: a block's least byte, with those line breaks read as 0x2A and 0x2D, is not
/// below 0x20 (a compare, an and, an or and a minimum per sixteen bytes, one compare and
/// one or more with `CR`; the blocks share the final reduction of the minimum).
fn quiet_blocks<const CR: bool>(sample: &[u8], mut at: usize) -> usize {
    while let Some(block) = sample.get(at..).and_then(<[u8]>::first_chunk::<128>) {
        let mut least = u8::MAX;
        for &b in block {
            let line_break = b == b'\n' || (CR && b == b'\r');
            least = least.min(b | (u8::from(line_break) * 0x20));
        }
        if least < 0x20 {
            break;
        }
        at += 128;
    }
    at
}

/// C0 controls that do not occur in text. Escape is allowed: ISO-2022-JP and ANSI colour
/// codes use it.
fn is_binary_control(b: u8) -> bool {
    b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0C | 0x1B)
}

/// Recognises BOM-less UTF-16: in ASCII-heavy UTF-16 text one byte of most code units is NUL,
/// always on the same side. Returns the byte order, or `None` when the evidence is not clear.
/// `first_nul` is where [`check_binary`] found the first NUL byte, if it did.
fn sniff_utf16(bytes: &[u8], first_nul: Option<usize>) -> Option<&'static Encoding> {
    let sample = &bytes[..bytes.len().min(SNIFF_LEN) & !1];
    let units = sample.len() / 2;
    // Too short to tell UTF-16 from binary; or no NUL byte in the sample (which is a
    // prefix of the one `check_binary` saw), so neither side is clear (text the binary
    // check refused for its other control bytes, or for a NUL as its odd last byte).
    if units < 16 || first_nul.is_none_or(|at| at >= sample.len()) {
        return None;
    }
    let (mut zero_even, mut zero_odd) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        if pair[0] == 0 && pair[1] == 0 {
            return None; // U+0000: binary, not text
        }
        zero_even += usize::from(pair[0] == 0);
        zero_odd += usize::from(pair[1] == 0);
    }
    // At least 40% of code units are Latin-1 on one side; the other side may have a few NULs
    // from characters such as U+4E00.
    let clear = |main: usize, other: usize| main * 10 >= units * 4 && other * 8 <= main;
    if clear(zero_odd, zero_even) {
        Some(UTF_16LE)
    } else if clear(zero_even, zero_odd) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// Decodes UTF-16 (BOM already stripped) and applies the binary checks to the decoded text.
fn decode_utf16(encoding: &'static Encoding, body: &[u8]) -> Result<Decoded, DecodeError> {
    let (text, replaced) = decode_with(encoding, body);
    let mut controls = 0usize;
    let mut seen = 0usize;
    for (i, c) in text.char_indices().take(SNIFF_LEN / 2) {
        if c == '\0' {
            return Err(DecodeError::Binary(format!(
                "NUL character at offset {i} of the decoded {} text",
                encoding.name()
            )));
        }
        controls += usize::from(u32::from(c) < 0x20 && is_binary_control(c as u8));
        seen += 1;
    }
    if controls * 100 > seen * MAX_CONTROL_PERCENT {
        return Err(DecodeError::Binary(format!(
            "{controls} control characters in the first {seen} characters of {} text",
            encoding.name()
        )));
    }
    Ok(Decoded {
        text,
        encoding: encoding.name(),
        replaced,
    })
}

/// Decodes UTF-8, replacing each maximal invalid subpart with one U+FFFD (the WHATWG rule,
/// as `String::from_utf8_lossy` and encoding_rs do) and counting the replacements.
fn decode_utf8(bytes: &[u8]) -> Decoded {
    let (text, replaced) = match std::str::from_utf8(bytes) {
        Ok(s) => (s.to_owned(), 0),
        Err(_) => {
            let mut text = String::with_capacity(bytes.len() + bytes.len() / 8);
            let mut replaced = 0;
            for chunk in bytes.utf8_chunks() {
                text.push_str(chunk.valid());
                if !chunk.invalid().is_empty() {
                    text.push(char::REPLACEMENT_CHARACTER);
                    replaced += 1;
                }
            }
            (text, replaced)
        }
    };
    Decoded {
        text,
        encoding: UTF_8.name(),
        replaced,
    }
}

/// Counts of a UTF-8 validation pass over input that is not valid UTF-8.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Utf8Stats {
    /// Valid multi-byte characters.
    multibyte: usize,
    /// Maximal invalid subparts, each one U+FFFD when decoded as UTF-8.
    errors: usize,
}

/// Counts valid multi-byte characters and errors, up to [`UTF8_EVIDENCE`] of them.
fn utf8_stats(bytes: &[u8]) -> Utf8Stats {
    let mut stats = Utf8Stats {
        multibyte: 0,
        errors: 0,
    };
    for chunk in bytes.utf8_chunks() {
        // Every byte >= 0xC0 in valid UTF-8 starts a multi-byte character.
        stats.multibyte += chunk.valid().bytes().filter(|&b| b >= 0xC0).count();
        stats.errors += usize::from(!chunk.invalid().is_empty());
        if stats.multibyte + stats.errors >= UTF8_EVIDENCE {
            break;
        }
    }
    stats
}

/// Whether invalid UTF-8 with valid multi-byte sequences is damaged UTF-8 rather than a legacy
/// encoding.
///
/// Legacy text forms valid multi-byte UTF-8 only by accident: almost never in single-byte code
/// pages, and for a minority of characters in CJK double-byte encodings, whose other characters
/// are errors. So UTF-8 wins when valid sequences clearly outnumber errors, or, for a handful of
/// errors, at least match them (too little text for a double-byte reading to be better).
fn damaged_utf8(stats: Utf8Stats) -> bool {
    stats.multibyte >= 3 * stats.errors || (stats.errors <= 4 && stats.multibyte >= stats.errors)
}

/// Whether the legacy reading `text` of input that is ASCII plus bytes that are not UTF-8
/// reads like text, rather than like stray bytes or truncated UTF-8.
///
/// `caf\xE9` is "café" in windows-1252, but `\xFF` and `\xE2\x80` read as "ÿ" and "â€",
/// which are not words. Each run of non-ASCII characters votes: plausible when it is letters,
/// optionally wrapped in common punctuation (quotes, dashes, NBSP), or a short symbol run
/// (€, °, ½), and its letters do not switch from lower to upper case mid-word ("тА").
/// A reading in a non-Latin script that is a minority among the letters must be almost all
/// plausible: a few Cyrillic fragments in English prose are broken UTF-8, not IBM866.
fn legacy_reading_is_text(text: &str) -> bool {
    let (mut plausible, mut implausible) = (0usize, 0usize);
    let (mut ascii_letters, mut foreign_letters) = (0usize, 0usize);
    // Look at the text around the first non-ASCII character and after it, as chardetng did;
    // the ASCII context before it counts for the letter shares.
    let first = text.len() - text.trim_start_matches(|c: char| c.is_ascii()).len();
    let start = first.saturating_sub(4096);
    let mut end = text.len().min(first + DETECT_LEN);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let mut chars = text[start..end].chars().peekable();
    let mut prev: Option<char> = None;
    while let Some(c) = chars.next() {
        if c.is_ascii() {
            ascii_letters += usize::from(c.is_ascii_alphabetic());
            prev = Some(c);
            continue;
        }
        let mut run = vec![c];
        while let Some(&d) = chars.peek() {
            if d.is_ascii() {
                break;
            }
            run.push(d);
            chars.next();
        }
        // Past Latin Extended-B: Greek, Cyrillic, CJK, ...
        foreign_letters += run
            .iter()
            .filter(|&&c| c.is_alphabetic() && c > '\u{24F}')
            .count();
        let next = chars.peek().copied();
        if run_is_plausible(&run, prev, next) {
            plausible += 1;
        } else {
            implausible += 1;
        }
        prev = None;
    }
    // A non-Latin reading that is a minority script in the text gets less benefit of the
    // doubt: one bad run in four rejects it.
    let minority_script = foreign_letters > 0 && foreign_letters * 2 < ascii_letters;
    if minority_script {
        implausible * 4 < plausible
    } else {
        plausible >= implausible
    }
}

fn run_is_plausible(run: &[char], prev: Option<char>, next: Option<char>) -> bool {
    // windows-1252 readings of 0xFF, 0xFE, 0xDE, 0xF0, 0xD0: bytes that are never UTF-8 or
    // are UTF-8 lead bytes, and letters that only Icelandic uses (whose texts have plenty of
    // other accented letters to outvote them).
    const SUSPECT: [char; 5] = ['ÿ', 'þ', 'Þ', 'ð', 'Ð'];
    if run
        .iter()
        .any(|&c| c == char::REPLACEMENT_CHARACTER || c.is_control() || SUSPECT.contains(&c))
    {
        return false;
    }
    let is_punct = |c: char| {
        matches!(
            c,
            '\u{A0}'
                | '«'
                | '»'
                | '„'
                | '“'
                | '”'
                | '‘'
                | '’'
                | '‚'
                | '‹'
                | '›'
                | '–'
                | '—'
                | '…'
                | '·'
                | '•'
                | '¡'
                | '¿'
                | '§'
        )
    };
    if run.iter().all(|&c| !c.is_alphabetic()) {
        // Symbols and punctuation only: "€", "°", "½", "»".
        return run.len() <= 3;
    }
    let start = run.iter().position(|&c| !is_punct(c)).unwrap_or(run.len());
    let end = run
        .iter()
        .rposition(|&c| !is_punct(c))
        .map_or(start, |e| e + 1);
    let core = &run[start..end];
    if !core.iter().all(|c| c.is_alphabetic()) {
        return false;
    }
    // Letters of the word around the run, in order, for the case check.
    let word = prev
        .filter(|_| start == 0)
        .into_iter()
        .chain(core.iter().copied())
        .chain(next.filter(|_| end == run.len()));
    let mut last: Option<char> = None;
    for c in word.filter(|c| c.is_alphabetic()) {
        if last.is_some_and(char::is_lowercase) && c.is_uppercase() {
            return false;
        }
        last = Some(c);
    }
    true
}

/// Guesses the legacy encoding of `bytes` with chardetng, looking at a prefix only.
fn detect_legacy(bytes: &[u8]) -> &'static Encoding {
    let mut detector = EncodingDetector::new();
    // chardetng skips leading ASCII itself, so count the prefix from the first non-ASCII byte.
    let first_non_ascii = Encoding::ascii_valid_up_to(bytes);
    let prefix = &bytes[..bytes.len().min(first_non_ascii.saturating_add(DETECT_LEN))];
    detector.feed(prefix, prefix.len() == bytes.len());
    // UTF-8 was ruled out above; no TLD is known.
    detector.guess(None, false)
}

/// Decodes all of `bytes` with `encoding` (no BOM sniffing), counting malformed sequences.
fn decode_with(encoding: &'static Encoding, bytes: &[u8]) -> (String, usize) {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = |d: &encoding_rs::Decoder, len: usize| {
        d.max_utf8_buffer_length_without_replacement(len)
            .unwrap_or(len.saturating_mul(3))
    };
    let mut text = String::with_capacity(capacity(&decoder, bytes.len()));
    let mut rest = bytes;
    let mut replaced = 0usize;
    loop {
        let (result, read) = decoder.decode_to_string_without_replacement(rest, &mut text, true);
        rest = &rest[read..];
        match result {
            DecoderResult::InputEmpty => break,
            DecoderResult::OutputFull => {
                let more = capacity(&decoder, rest.len()).max(4);
                text.reserve(more);
            }
            DecoderResult::Malformed(_, _) => {
                text.push(char::REPLACEMENT_CHARACTER);
                replaced += 1;
            }
        }
    }
    // The buffer was sized for the worst case (three bytes per byte for single-byte
    // encodings); give the excess back.
    if text.capacity() > text.len() + text.len() / 2 {
        text.shrink_to_fit();
    }
    (text, replaced)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RU: &str = include_str!("../tests/data/encodings/ru.txt");
    const RU_KOI8: &str = include_str!("../tests/data/encodings/ru-koi8.txt");
    const JA: &str = include_str!("../tests/data/encodings/ja.txt");
    const ZH_HANS: &str = include_str!("../tests/data/encodings/zh-hans.txt");
    const ZH_HANT: &str = include_str!("../tests/data/encodings/zh-hant.txt");
    const KO: &str = include_str!("../tests/data/encodings/ko.txt");
    const EL: &str = include_str!("../tests/data/encodings/el.txt");
    const PL: &str = include_str!("../tests/data/encodings/pl.txt");
    const CS: &str = include_str!("../tests/data/encodings/cs.txt");
    const DE: &str = include_str!("../tests/data/encodings/de.txt");
    const FR: &str = include_str!("../tests/data/encodings/fr.txt");

    /// Encodes `text` with the encoding labelled `label` (which must represent all of it).
    fn encode(text: &str, label: &str) -> Vec<u8> {
        let encoding = Encoding::for_label(label.as_bytes()).expect("known label");
        let (bytes, used, unmappable) = encoding.encode(text);
        assert_eq!(used, encoding, "{label} has an encoder");
        assert!(!unmappable, "sample not representable in {label}");
        bytes.into_owned()
    }

    /// Encodes `text` as `label`, decodes it, and checks the text came back unchanged.
    fn round_trip(text: &str, label: &str) -> &'static str {
        let bytes = encode(text, label);
        assert!(
            std::str::from_utf8(&bytes).is_err(),
            "{label} sample is not plain UTF-8"
        );
        let decoded = decode(&bytes).expect("text, not binary");
        assert_eq!(
            decoded.text, text,
            "{label} sample decoded as {}",
            decoded.encoding
        );
        assert_eq!(decoded.replaced, 0);
        decoded.encoding
    }

    #[test]
    fn russian_windows_1251() {
        assert_eq!(round_trip(RU, "windows-1251"), "windows-1251");
    }

    #[test]
    fn russian_koi8_r() {
        // chardetng reports KOI8-U, a superset that decodes Russian text identically.
        assert_eq!(round_trip(RU_KOI8, "koi8-r"), "KOI8-U");
    }

    #[test]
    fn japanese_shift_jis() {
        assert_eq!(round_trip(JA, "shift_jis"), "Shift_JIS");
    }

    #[test]
    fn japanese_euc_jp() {
        assert_eq!(round_trip(JA, "euc-jp"), "EUC-JP");
    }

    #[test]
    fn simplified_chinese_gb18030() {
        // chardetng reports GBK; encoding_rs decodes GBK with its GB18030 decoder.
        assert_eq!(round_trip(ZH_HANS, "gb18030"), "GBK");
    }

    #[test]
    fn traditional_chinese_big5() {
        assert_eq!(round_trip(ZH_HANT, "big5"), "Big5");
    }

    #[test]
    fn korean_euc_kr() {
        assert_eq!(round_trip(KO, "euc-kr"), "EUC-KR");
    }

    #[test]
    fn greek_windows_1253() {
        assert_eq!(round_trip(EL, "windows-1253"), "windows-1253");
    }

    #[test]
    fn greek_iso_8859_7() {
        // The sample has no capital with tonos, the only letters where the two differ, so
        // chardetng's windows-1253 decodes it identically.
        let encoding = round_trip(EL, "iso-8859-7");
        assert!(
            ["ISO-8859-7", "windows-1253"].contains(&encoding),
            "{encoding}"
        );
    }

    #[test]
    fn polish_windows_1250() {
        assert_eq!(round_trip(PL, "windows-1250"), "windows-1250");
    }

    #[test]
    fn polish_iso_8859_2() {
        assert_eq!(round_trip(PL, "iso-8859-2"), "ISO-8859-2");
    }

    #[test]
    fn czech_windows_1250() {
        assert_eq!(round_trip(CS, "windows-1250"), "windows-1250");
    }

    #[test]
    fn czech_iso_8859_2() {
        assert_eq!(round_trip(CS, "iso-8859-2"), "ISO-8859-2");
    }

    #[test]
    fn german_windows_1252() {
        assert_eq!(round_trip(DE, "windows-1252"), "windows-1252");
    }

    #[test]
    fn french_windows_1252() {
        assert_eq!(round_trip(FR, "windows-1252"), "windows-1252");
    }

    #[test]
    fn short_latin1_words_stay_legacy() {
        // ASCII with a few Latin-1 letters: too little for statistics, but the letters sit
        // inside words, so they are windows-1252, not stray bytes.
        let d = decode(b"Caf\xE9 cr\xE8me, na\xEFve r\xE9sum\xE9 for 5\x80.").unwrap();
        assert_eq!(d.text, "Café crème, naïve résumé for 5€.");
        assert_eq!(d.encoding, "windows-1252");
        let d = decode(b"Rada Miasta Krakowa przyj\xEA\xB3a uchwa\xB3\xEA.").unwrap();
        assert_eq!(d.text, "Rada Miasta Krakowa przyjęła uchwałę.");
    }

    #[test]
    fn utf16_with_bom() {
        for (label, bom) in [("utf-16le", [0xFF, 0xFE]), ("utf-16be", [0xFE, 0xFF])] {
            let encoding = Encoding::for_label(label.as_bytes()).unwrap();
            for text in [DE, RU, JA, KO] {
                let units: Vec<u16> = text.encode_utf16().collect();
                let mut bytes = bom.to_vec();
                for u in units {
                    let pair = if encoding == UTF_16LE {
                        u.to_le_bytes()
                    } else {
                        u.to_be_bytes()
                    };
                    bytes.extend_from_slice(&pair);
                }
                let d = decode(&bytes).unwrap();
                assert_eq!(d.text, text, "{label}");
                assert_eq!(d.encoding, encoding.name());
                assert_eq!(d.replaced, 0);
            }
        }
    }

    #[test]
    fn utf16le_without_bom_when_clear() {
        let bytes: Vec<u8> = DE.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let d = decode(&bytes).unwrap();
        assert_eq!(d.text, DE);
        assert_eq!(d.encoding, "UTF-16LE");
        let bytes: Vec<u8> = FR.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let d = decode(&bytes).unwrap();
        assert_eq!(d.text, FR);
        assert_eq!(d.encoding, "UTF-16BE");
    }

    #[test]
    fn utf8_bom_is_stripped() {
        let mut bytes = vec![0xEF, 0xBB, 0xBF];
        bytes.extend_from_slice(ZH_HANT.as_bytes());
        let d = decode(&bytes).unwrap();
        assert_eq!(d.text, ZH_HANT);
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.replaced, 0);
    }

    #[test]
    fn plain_utf8_is_copied() {
        for text in [RU, JA, ZH_HANS, KO, EL, PL, "plain ASCII"] {
            let d = decode(text.as_bytes()).unwrap();
            assert_eq!(d.text, text);
            assert_eq!(d.encoding, "UTF-8");
            assert_eq!(d.replaced, 0);
        }
    }

    #[test]
    fn empty_input() {
        let d = decode(b"").unwrap();
        assert_eq!(d.text, "");
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.replaced, 0);
    }

    #[test]
    fn invalid_bytes_in_utf8_are_replaced_and_counted() {
        // Valid UTF-8 prose with a stray 0xFF, a truncated 3-byte sequence and a lone
        // continuation byte.
        let mut bytes = DE.as_bytes()[..200].to_vec();
        bytes.extend_from_slice(b" \xFF and \xE2\x80 cut, \x9F stray ");
        bytes.extend_from_slice(RU.as_bytes());
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, "UTF-8");
        assert_eq!(d.replaced, 3);
        assert!(d
            .text
            .contains(" \u{FFFD} and \u{FFFD} cut, \u{FFFD} stray "));
        assert!(d.text.ends_with(RU));
    }

    #[test]
    fn stray_bytes_in_ascii_are_replaced() {
        let cases: [(&[u8], usize); 4] = [
            (b"Hello w\xFFrld, this is a test.", 1),
            (b"Hello world \xFF\xFE and more text.", 2),
            (b"Quote \xE2\x80 cut here.", 1),
            (b"Emoji \xF0\x9F\x98 cut, dash \xE2\x80 cut.", 2),
        ];
        for (bytes, replaced) in cases {
            let d = decode(bytes).unwrap();
            assert_eq!(d.encoding, "UTF-8", "{:?}", d.text);
            assert_eq!(d.replaced, replaced, "{:?}", d.text);
        }
    }

    #[test]
    fn binary_is_refused() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\x01\0".to_vec();
        png.extend(std::iter::repeat_n(0u8, 64));
        match decode(&png) {
            Err(DecodeError::Binary(reason)) => assert!(reason.contains("NUL"), "{reason}"),
            Ok(d) => panic!("decoded binary as {}", d.encoding),
        }
        // No NUL, but mostly control bytes.
        let controls: Vec<u8> = (0..400u32).map(|i| (i % 8 + 1) as u8).collect();
        assert!(matches!(decode(&controls), Err(DecodeError::Binary(_))));
        // A NUL in otherwise plain text.
        assert_eq!(
            decode(b"abc\0def").unwrap_err(),
            DecodeError::Binary("NUL byte at offset 3".into())
        );
    }

    #[test]
    fn crlf_and_tabs_are_untouched() {
        let d = decode(b"line one\r\n\tline two\r\n\x0c").unwrap();
        assert_eq!(d.text, "line one\r\n\tline two\r\n\x0c");
        let d = decode(b"caf\xE9\r\nna\xEFve\r\n").unwrap();
        assert_eq!(d.text, "café\r\nnaïve\r\n");
    }

    #[test]
    fn long_input_is_detected_on_a_prefix_and_decoded_whole() {
        let mut text = String::new();
        while text.len() < 3 * DETECT_LEN {
            text.push_str(RU);
        }
        let bytes = encode(&text, "windows-1251");
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, "windows-1251");
        assert_eq!(d.text, text);
    }

    #[test]
    fn a_known_encoding_replaces_only_the_guess() {
        use encoding_rs::{WINDOWS_1251, WINDOWS_1252};
        let ru = encode(RU, "windows-1251");
        let d = decode_borrowed(&ru).unwrap();
        assert_eq!(d.legacy_guess, Some(WINDOWS_1251));
        let known = decode_known(&ru, Some(WINDOWS_1251)).unwrap();
        assert_eq!((known.text, known.encoding), (d.text, d.encoding));
        // The known encoding is used as given, right or wrong: the detector did not run.
        let wrong = decode_known(&ru, Some(WINDOWS_1252)).unwrap();
        assert_eq!(wrong.encoding, "windows-1252");
        assert_ne!(wrong.text, RU);
        // UTF-8, byte order marks and binary data are decided before it.
        let utf8 = decode_known(RU.as_bytes(), Some(WINDOWS_1252)).unwrap();
        assert_eq!(
            (&*utf8.text, utf8.encoding, utf8.legacy_guess),
            (RU, "UTF-8", None)
        );
        assert!(decode_known(b"abc\0def", Some(WINDOWS_1252)).is_err());
        // Stray bytes read as UTF-8 after the legacy reading was rejected: the guess is
        // handed back all the same, and gives the same result.
        let stray = decode_borrowed(b"text \xFF\xFE more text").unwrap();
        assert_eq!(stray.encoding, "UTF-8");
        let guess = stray.legacy_guess.expect("detection ran");
        let again = decode_known(b"text \xFF\xFE more text", Some(guess)).unwrap();
        assert_eq!((again.text, again.encoding), (stray.text, stray.encoding));
    }

    /// `check_binary` as it was written first (two passes, byte by byte): the word-at-a-time
    /// version must agree with it.
    fn check_binary_plain(bytes: &[u8]) -> Result<(), DecodeError> {
        let sample = &bytes[..bytes.len().min(SNIFF_LEN)];
        if let Some(offset) = sample.iter().position(|&b| b == 0) {
            return Err(DecodeError::Binary(format!("NUL byte at offset {offset}")));
        }
        let controls = sample.iter().filter(|&&b| is_binary_control(b)).count();
        if controls * 100 > sample.len() * MAX_CONTROL_PERCENT {
            return Err(DecodeError::Binary(format!(
                "{controls} control bytes in the first {} bytes",
                sample.len()
            )));
        }
        Ok(())
    }

    proptest::proptest! {
        #[test]
        fn binary_check_agrees_with_the_plain_one(
            bytes in proptest::collection::vec(
                proptest::prop_oneof![0u8..0x20, 0x20u8..0x80, proptest::num::u8::ANY, proptest::strategy::Just(b'a')],
                0..200,
            ),
            pad in 0usize..9000,
        ) {
            let check = |b: &[u8]| check_binary(b).map_err(DecodeError::from);
            proptest::prop_assert_eq!(check(&bytes), check_binary_plain(&bytes));
            // Also past the sniffed prefix, where nothing may count.
            let mut long = vec![b'x'; pad];
            long.extend_from_slice(&bytes);
            proptest::prop_assert_eq!(check(&long), check_binary_plain(&long));
            // What `sniff_utf16` takes from the check is what a search of its sample finds.
            for b in [&bytes[..], &long] {
                let sample = &b[..b.len().min(SNIFF_LEN) & !1];
                let first_nul = match check_binary(b) {
                    Err(Binary::Nul(at)) => Some(at),
                    _ => None,
                };
                let seen = first_nul.is_some_and(|at| at < sample.len());
                proptest::prop_assert_eq!(seen, sample.contains(&0));
            }
        }

        #[test]
        fn any_bytes_decode_or_are_refused(bytes in proptest::collection::vec(proptest::num::u8::ANY, 0..600)) {
            if let Ok(d) = decode(&bytes) {
                proptest::prop_assert!(d.replaced <= bytes.len());
                // Whenever UTF-8 is chosen, the result is the standard lossy decoding.
                if d.encoding == "UTF-8" && !bytes.starts_with(b"\xEF\xBB\xBF") {
                    proptest::prop_assert_eq!(d.text, String::from_utf8_lossy(&bytes));
                }
            }
        }

        #[test]
        fn the_guess_handed_back_decodes_alike(bytes in proptest::collection::vec(
            proptest::prop_oneof![0x20u8..0x80, 0x80u8..=0xFF, proptest::strategy::Just(b' ')],
            0..600,
        )) {
            if let Ok(d) = decode_borrowed(&bytes) {
                let again = decode_known(&bytes, d.legacy_guess).unwrap();
                proptest::prop_assert_eq!(again.text, d.text);
                proptest::prop_assert_eq!(again.encoding, d.encoding);
                proptest::prop_assert_eq!(again.replaced, d.replaced);
                proptest::prop_assert_eq!(again.legacy_guess, d.legacy_guess);
            }
        }

        /// The SIMD validator says what std's does, on valid text with one byte changed
        /// (past the 64-byte blocks too) and on any bytes.
        #[test]
        fn utf8_check_agrees_with_std(
            text in "\\PC{0,200}",
            at in proptest::num::usize::ANY,
            byte in proptest::num::u8::ANY,
            any in proptest::collection::vec(proptest::num::u8::ANY, 0..300),
        ) {
            let mut bytes = text.into_bytes();
            let agree = |b: &[u8]| valid_utf8(b).ok() == std::str::from_utf8(b).ok();
            proptest::prop_assert!(agree(&bytes));
            if !bytes.is_empty() {
                let n = bytes.len();
                bytes[at % n] = byte;
            }
            proptest::prop_assert!(agree(&bytes));
            proptest::prop_assert!(agree(&any));
        }

        #[test]
        fn utf8_text_comes_back_unchanged(text in "\\PC{0,300}") {
            let d = decode(text.as_bytes()).unwrap();
            proptest::prop_assert_eq!(d.text, text);
            proptest::prop_assert_eq!(d.replaced, 0);
        }
    }
}
