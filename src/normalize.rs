//! Stage 2: make the text uniform so later stages see one spelling of everything: one kind
//! of line break and of space, no invisible characters, NFC, no mojibake or leaked HTML
//! entities, trimmed lines and at most two blank lines in a row.
//!
//! It runs on every document, so the common case is cheap: one byte scan finds out which
//! steps the text needs, and each step runs only when needed. Clean text costs that scan and
//! one copy.

mod entities;
mod mojibake;

use std::borrow::Cow;

use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

use crate::swar::{eq_bytes, eq_mask16, first_lane, lanes_eq, HIGH, LOW7, ONES};

/// A normalized document.
#[derive(Debug, Clone)]
pub struct Normalized {
    /// The normalized text: `\n` line endings, plain spaces, no control or zero-width
    /// characters, NFC, lines trimmed, runs of spaces and of blank lines collapsed, no blank
    /// line first or last, a final `\n` unless empty.
    pub text: String,
    /// Whether mojibake was found and repaired.
    pub mojibake_repaired: bool,
}

/// How many times [`normalize`] re-runs its steps on their own output at most. One step can
/// make work for another (a decoded `&#769;` needs NFC, a removed zero-width space can join
/// "&" and "amp;"); re-running until nothing changes makes normalizing idempotent. Real
/// text settles in one or two rounds; the bound only stops adversarial input.
const MAX_ROUNDS: usize = 4;

/// Newlines kept in a row: runs of blank lines shrink to at most two. A double blank line
/// is a wider break (the end of a widget or block) that the segmenter reads; the output
/// never has it.
const MAX_NEWLINES: usize = 3;

/// Normalizes decoded text.
///
/// Line endings become `\n`; tabs, NBSP and the other Unicode spaces a plain space;
/// zero-width characters (except a joiner inside a non-ASCII word, as in emoji sequences and
/// Persian), soft hyphens, BOMs, bidi controls and C0 controls are removed; C1 controls
/// become their windows-1252 characters (what they almost always were) or are removed;
/// mojibake is repaired; HTML character references are decoded; the text is put in NFC;
/// each line is trimmed and its runs of spaces collapsed; runs of blank lines become one.
/// Normalizing normalized text changes nothing.
pub fn normalize(text: &str) -> Normalized {
    let (text, done) = normalize_cow(text, true);
    Normalized {
        text: text.into_owned(),
        mojibake_repaired: done.mojibake_repaired,
    }
}

/// [`normalize`] of a text that [`normalize_cow`] borrowed back unchanged without
/// `final_newline`, or of one whose [line ends only](Done::line_ends_only) it changed: all
/// it can lack is LF line ends and the final newline. The first pass over a folder finds
/// that out for most documents, so that the second need not scan them again; the second
/// then fixes the line ends ([`line_ends_fixed`]) and segments the text as it is
/// (`segment_terminated`), and tests hold both to this definition.
#[cfg(test)]
pub(crate) fn normalize_unchanged(text: &str) -> Normalized {
    let mut owned = line_ends_fixed(text).into_owned();
    if !owned.is_empty() && !owned.ends_with('\n') {
        owned.push('\n');
    }
    Normalized {
        text: owned,
        mojibake_repaired: false,
    }
}

/// A text that [`normalize_cow`] borrowed back unchanged, or whose line ends only it
/// changed, with LF line ends: borrowed unless it has CRs. Only a text whose first line
/// break is a CR has any (see `Done::line_ends_only`).
pub(crate) fn line_ends_fixed(text: &str) -> Cow<'_, str> {
    if first_break(text.as_bytes()) == Some(b'\r') {
        Cow::Owned(fix_line_ends(text))
    } else {
        Cow::Borrowed(text)
    }
}

/// What [`normalize_cow`] did to a text, besides its result.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct Done {
    /// Whether mojibake was found and repaired.
    pub(crate) mojibake_repaired: bool,
    /// Whether all that changed were the line ends (CR LF and lone CR became LF) and the
    /// final newline, as in a clean text with CRLF line ends; only said of a text whose
    /// first line break is a CR, so that [`line_ends_fixed`] need look no further to tell
    /// such a text from one with no CR.
    pub(crate) line_ends_only: bool,
    /// What the scan of the text found it needs (before any step): the same text needs
    /// the same, so that normalizing it again can skip that scan
    /// ([`normalize_cow_scanned`]).
    pub(crate) needs: Needs,
}

/// `text` with CR LF and lone CR made LF, as [`clean_chars`] does, and room for a final
/// newline.
fn fix_line_ends(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let b = text.as_bytes();
    let mut start = 0;
    while let Some(cr) = find_byte(b, start, b'\r') {
        out.push_str(&text[start..cr]);
        out.push('\n');
        start = cr + 1 + usize::from(b.get(cr + 1) == Some(&b'\n'));
    }
    out.push_str(&text[start..]);
    out
}

/// The first line break byte (`\n` or `\r`) of `b`.
fn first_break(b: &[u8]) -> Option<u8> {
    b.iter().copied().find(|&x| x == b'\n' || x == b'\r')
}

/// [`normalize`], borrowing `text` back when it needs no change, and with what it did.
/// Without `final_newline` the final `\n` is not added to a text that lacks it (nor is the
/// text copied for it): for callers that only read the lines, which that newline does not
/// change.
pub(crate) fn normalize_cow(text: &str, final_newline: bool) -> (Cow<'_, str>, Done) {
    normalize_cow_scanned(text, final_newline, None)
}

/// [`normalize_cow`], with what the scan of `text` found when it is known already: the
/// [`Done::needs`] of normalizing the same text before (the second pass over a folder
/// normalizes again the few documents that the first found to need more than their line
/// ends fixed). The `scanned` of another text gives wrongly normalized text, never a panic.
pub(crate) fn normalize_cow_scanned(
    text: &str,
    final_newline: bool,
    scanned: Option<Needs>,
) -> (Cow<'_, str>, Done) {
    let mut mojibake_repaired = false;
    let needs = scanned.unwrap_or_else(|| scan(text));
    let (first, mut cascade, line_ends_only) =
        round(text, final_newline, &mut mojibake_repaired, needs);
    let done = |mojibake_repaired| Done {
        mojibake_repaired,
        line_ends_only,
        needs,
    };
    let mut current = match first {
        Cow::Borrowed(same) => return (Cow::Borrowed(same), done(mojibake_repaired)),
        Cow::Owned(changed) => changed,
    };
    // A round that changed the line ends only made no work for another: `cascade` is
    // false, and so `line_ends_only` holds for the result.
    for _ in 1..MAX_ROUNDS {
        if !cascade {
            break;
        }
        let (next, again, _) = round(
            &current,
            final_newline,
            &mut mojibake_repaired,
            scan(&current),
        );
        match next {
            Cow::Owned(changed) if changed != current => current = changed,
            _ => break,
        }
        cascade = again;
    }
    (Cow::Owned(current), done(mojibake_repaired))
}

/// One pass of every step the text needs; borrowed back when it needed none. The first
/// flag tells whether a step did something that can make work for another (repaired
/// mojibake, composed, or decoded a reference or removed or replaced a character where
/// that can have made a new one, see [`steps`]): only then can another round change
/// anything. The second tells whether all that changed were
/// the line ends (see [`Done::line_ends_only`]): what the scan says of a text whose only
/// characters to rewrite are CRs, once the LF text they make needs no step.
/// `needs` is what the scan of `text` found.
fn round<'a>(
    text: &'a str,
    final_newline: bool,
    mojibake_repaired: &mut bool,
    needs: Needs,
) -> (Cow<'a, str>, bool, bool) {
    let newline = |text| with_final_newline(text, final_newline);
    // Mojibake first: its shapes include NBSP and C1 controls, which the next step rewrites.
    if needs.mojibake {
        if let Some(fixed) = mojibake::repair(text) {
            *mojibake_repaired = true;
            let (out, _, _) = steps_owned(fixed);
            return (newline(Cow::Owned(out)), true, false);
        }
    }
    // A text whose first line break is a CR (a CRLF text) mostly has no other character
    // to rewrite (`crs` says so): its line ends are mended alone, and it goes on as the LF
    // text it became (`clean_chars` would have left all else as it was).
    if needs.crs && first_break(text.as_bytes()) == Some(b'\r') {
        let (out, cascade, changed) = steps_owned(fix_line_ends(text));
        return (newline(Cow::Owned(out)), cascade, !changed);
    }
    let (out, cascade) = steps(text, needs);
    (newline(out), cascade, false)
}

/// [`steps`] on a text the round has made: handed back itself when no step changes it
/// (not copied), with the round's first flag and whether a step changed it.
fn steps_owned(text: String) -> (String, bool, bool) {
    let (out, cascade) = steps(&text, scan(&text));
    match out {
        Cow::Borrowed(_) => (text, cascade, false),
        Cow::Owned(changed) => (changed, cascade, true),
    }
}

/// The steps of a [`round`] after mojibake: those that `needs` names, on a text that
/// needs no mojibake repair; borrowed back when it needed none, with the round's first
/// flag. The final newline is left to [`with_final_newline`].
fn steps(text: &str, mut needs: Needs) -> (Cow<'_, str>, bool) {
    let mut cascade = false;
    // Whether a character was removed, replaced or decoded (see the end).
    let mut rewrote = false;
    let mut text = Cow::Borrowed(text);
    let clean = needs.chars || needs.crs;
    if clean {
        let (cleaned, removed) = clean_chars(&text);
        rewrote |= removed;
        text = Cow::Owned(cleaned);
    }
    // Unless the characters were rewritten since, the scan's position holds, and a text
    // none of whose `&` starts a reference has none to decode.
    if let Some(first) = needs.amp.filter(|_| clean || needs.reference) {
        let from = if clean { 0 } else { first };
        if let Some(decoded) = decode_entities(&text, from) {
            text = Cow::Owned(decoded);
            rewrote = true;
            // Decoded characters can need NFC or change the layout.
            needs.nfc = true;
            needs.layout = true;
        }
    }
    if needs.nfc {
        if let Some(composed) = nfc(&text) {
            text = Cow::Owned(composed);
            cascade = true;
        }
    }
    if needs.layout || clean {
        text = Cow::Owned(layout(&text));
    }
    // The steps after `clean_chars` and the decoding see what those did, so what a
    // removed, replaced or decoded character leaves for another round is the shape of
    // mojibake or a reference, made of new neighbours: without either in the result, the
    // next round would only scan it again.
    // Not `|=`: once set, neither scan is needed.
    cascade = cascade || (rewrote && (has_mojibake_shape(&text) || has_reference(&text)));
    (text, cascade)
}

/// Whether `text` holds a reference that [`decode_entities`] decodes (without decoding
/// it: the next round does).
fn has_reference(text: &str) -> bool {
    let b = text.as_bytes();
    let mut from = 0;
    while let Some(amp) = find_byte(b, from, b'&') {
        if starts_reference_at(b, amp) {
            return true;
        }
        from = amp + 1;
    }
    false
}

/// Whether `text` holds the shape of mojibake that [`scan`] looks for (see
/// [`mojibake_shape_at`]).
fn has_mojibake_shape(text: &str) -> bool {
    let mut from = 0;
    while let Some(at) = find_byte(text.as_bytes(), from, 0xC3) {
        if mojibake_shape_at(text, at) {
            return true;
        }
        from = at + 1;
    }
    false
}

/// Whether the character at `i` is one of U+00C2..U+00F4, the mojibake leads, and a
/// continuation image follows it.
fn mojibake_shape_at(text: &str, i: usize) -> bool {
    let b = text.as_bytes();
    b.get(i) == Some(&0xC3)
        && b.get(i + 1).is_some_and(|x| (0x82..=0xB4).contains(x))
        && text
            .get(i + 2..)
            .and_then(|s| s.chars().next())
            .is_some_and(mojibake::is_continuation)
}

/// `text` with a final newline when `wanted` and it lacks one (and is not empty). A text
/// that went through [`layout`] has it; any other ends as the scan found it.
fn with_final_newline(text: Cow<'_, str>, wanted: bool) -> Cow<'_, str> {
    if !wanted || text.is_empty() || text.ends_with('\n') {
        return text;
    }
    // The common case: clean text without a final newline. Copied with room for it:
    // `into_owned` would size the copy exactly, and the push would then copy the whole
    // text again to grow it.
    let mut owned = match text {
        Cow::Borrowed(same) => {
            let mut owned = String::with_capacity(same.len() + 1);
            owned.push_str(same);
            owned
        }
        Cow::Owned(owned) => owned,
    };
    owned.push('\n');
    Cow::Owned(owned)
}

/// What a text needs done, found by [`scan`].
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub(crate) struct Needs {
    /// Spaces, invisible or control characters but CR to rewrite ([`clean_chars`]).
    chars: bool,
    /// CRs to make LF (CRLF or lone CR line ends; [`clean_chars`] too) and no other
    /// [`chars`](Self::chars): the text needs its line ends fixed, and then what its LF
    /// text needs. [`round`] scans that text again, so that the layout, `&` and NFC found
    /// in this one mean nothing once a CR is found.
    crs: bool,
    /// Spaces or blank lines to trim or collapse, or final blank lines to drop ([`layout`]).
    /// Always set with `chars` and `crs`, whose output goes through [`layout`] anyway.
    layout: bool,
    /// Only a final newline to add (the text ends with neither a space nor a newline).
    final_newline: bool,
    /// Where the first `&` is, which may start an HTML character reference.
    amp: Option<usize>,
    /// Whether some `&` starts a reference that [`decode_entities`] decodes (most `&` do
    /// not: "Q&A"), so that a text with only other `&` is not searched for them again.
    /// Always false with `chars` or `crs`: [`clean_chars`] makes all `&` worth a look.
    reference: bool,
    /// A lead character followed by a continuation image, the shape of mojibake.
    mojibake: bool,
    /// A character that is not [NFC-inert](nfc_inert) (all those below U+0300 are, and the
    /// letters of the common scripts), so NFC must be checked.
    nfc: bool,
}

/// One pass over the bytes to find out what the text needs, eight bytes at a time: masks
/// of the bytes that matter (spaces, line breaks, controls, `&`, lead bytes) say what a
/// word needs without a look at each byte. Most words are ASCII and need nothing; the hot
/// loop only tells those apart, and [`word_needs`] looks closer at the others. Only the
/// lead bytes of the characters from U+0080 on that [`lead_needs`] names are looked at one
/// by one. `scan_bytes` (in the tests) is the plain version they hold it to.
fn scan(text: &str) -> Needs {
    let b = text.as_bytes();
    let mut needs = Needs::default();
    let Some(&last) = b.last() else {
        return needs;
    };
    match last {
        b'\n' => needs.layout = b.ends_with(b"\n\n"),
        b' ' => needs.layout = true,
        _ => needs.final_newline = true,
    }
    // The word before and its blanks (0x20 and below, see below); before the text, line
    // breaks (the byte scan starts with three line breaks counted, so a leading blank is
    // too many).
    let mut prev = u64::from(b'\n') * ONES;
    let mut prev_low = HIGH;
    let mut i = 0;
    while i < b.len() {
        // The bulk of the text: a block of ASCII that needs nothing new, told at once
        // (see `quiet_block`); its last word is the word before the next one.
        // (With the three bytes before it, which the blank tests look back on.)
        let window = b
            .get(i.wrapping_sub(3)..)
            .and_then(<[u8]>::first_chunk::<{ BLOCK + 3 }>);
        if let Some(window) = window {
            let quiet = if needs.layout {
                quiet_block::<false, true>(window)
            } else {
                quiet_block::<true, true>(window)
            };
            // What is known already need not be found again: a text with CRLF line
            // ends, tabs or many `&` (once one is found in a text to clean, or one starts
            // a reference) is not looked at word by word for each of them.
            let known = needs.chars || needs.crs || needs.reference;
            let quiet = quiet || known && quiet_known(window, &needs);
            if quiet {
                prev = u64::from_le_bytes(window[BLOCK - 5..].try_into().unwrap_or_default());
                prev_low = !prev.wrapping_add(ONES * (0x80 - 0x21)) & HIGH;
                i += BLOCK;
                continue;
            }
        }
        // Otherwise the block's words one by one.
        let block_end = i + BLOCK;
        while i < b.len().min(block_end) {
            scan_word(text, i, &mut prev, &mut prev_low, &mut needs);
            i += 8;
        }
        // Text that needs `clean_chars` goes through `layout` anyway, and one with CRs
        // is scanned again without them: no need to look for blanks any more.
        needs.layout |= needs.chars || needs.crs;
    }
    // Nor is a reference once the characters are to be rewritten (see `Needs::reference`).
    needs.reference &= !(needs.chars || needs.crs);
    // CRs among other characters to rewrite are not looked for (see `Needs::crs`).
    needs.crs &= !needs.chars;
    needs
}

/// The bytes of a block of the text that [`scan`] takes at once.
const BLOCK: usize = 32;

/// Whether the last [`BLOCK`] bytes of `window` are ASCII that [`scan`] would pass over:
/// no control but `\n`, no DEL, no `&` when `AMP`, and, when `BLANKS` (the layout is not
/// known to need work yet), no two blanks (0x20 and below) in a row but line breaks, and
/// no four line breaks in a row. One comparison per byte and no branch, which the
/// compiler turns into a few vector instructions per sixteen bytes (signed comparisons,
/// which SSE2 has: a byte from 0x80 on is negative, so "below 0x21" takes in the
/// non-ASCII bytes too).
#[inline(always)]
fn quiet_block<const BLANKS: bool, const AMP: bool>(window: &[u8; BLOCK + 3]) -> bool {
    let mut odd = 0u8;
    for j in 3..BLOCK + 3 {
        let x = window[j] as i8;
        let (newline, space) = (b'\n' as i8, b' ' as i8);
        let low = x < 0x21;
        let mut need = (low & (x != newline) & (x != space)) | (x == 0x7F);
        if AMP {
            need |= x == b'&' as i8;
        }
        if BLANKS {
            let (p3, p2, p1) = (
                window[j - 3] as i8,
                window[j - 2] as i8,
                window[j - 1] as i8,
            );
            let breaks = (x == newline) & (p1 == newline);
            need |= low & (p1 < 0x21) & !breaks;
            need |= breaks & (p2 == newline) & (p3 == newline);
        }
        odd |= u8::from(need);
    }
    odd == 0
}

/// [`quiet_block`] for a block that it found odd in a text known to need
/// [`clean_chars`] (and so the layout), whose controls then tell nothing new (but for
/// one other than CR when all so far were CRs) and whose first `&` was found (none then
/// tells more: [`steps`] decodes from the start), or in another text whose first `&`
/// that starts a reference was found, after which none does. Non-ASCII bytes, the
/// commonest reason, are told first.
#[inline(never)]
fn quiet_known(window: &[u8; BLOCK + 3], needs: &Needs) -> bool {
    let words = window[3..]
        .chunks_exact(8)
        .map(|c| u64::from_le_bytes(c.try_into().unwrap_or_default()));
    let (mut high, mut amps) = (0, 0);
    for w in words {
        high |= w;
        amps |= lanes_eq(w, b'&');
    }
    if high & HIGH != 0 {
        false
    } else if needs.chars {
        needs.amp.is_some() || amps == 0
    } else if needs.crs {
        let mut others = false;
        for &x in &window[3..] {
            others |= (x < 0x20 && x != b'\n' && x != b'\r') | (x == 0x7F);
        }
        !others && (needs.amp.is_some() || amps == 0)
    } else if needs.layout {
        // The first `&` that starts a reference was found.
        quiet_block::<false, false>(window)
    } else {
        quiet_block::<true, false>(window)
    }
}

/// [`scan`]'s look at the word at `i`, after the word `prev` whose blanks are `prev_low`;
/// both are moved on to this word.
#[inline(always)]
fn scan_word(text: &str, i: usize, prev: &mut u64, prev_low: &mut u64, needs: &mut Needs) {
    let b = text.as_bytes();
    let w = match b.get(i..i + 8) {
        Some(word) => u64::from_le_bytes(word.try_into().unwrap_or_default()),
        // The last few bytes, padded with a letter, which needs nothing.
        None => {
            let mut word = [b'a'; 8];
            word[..b.len() - i].copy_from_slice(&b[i..]);
            u64::from_le_bytes(word)
        }
    };
    if w & HIGH == 0 {
        // ASCII: the high bit of each byte at or below 0x20 (spaces, line breaks,
        // controls); of each control but '\n', `&` and DEL while they can still tell
        // something new (see `OddBytes`); no sum carries out of its byte. A word needs
        // a closer look for one of those, or for two blanks in a row (layout work,
        // which few words hold).
        let low = !w.wrapping_add(ONES * (0x80 - 0x21)) & HIGH;
        let controls = if needs.chars {
            0
        } else {
            let below_20 = !w.wrapping_add(ONES * (0x80 - 0x20)) & HIGH;
            let controls = (below_20 & !lanes_eq(w, b'\n')) | (w.wrapping_add(ONES) & HIGH);
            // CRs, once one is found, tell nothing new either.
            if needs.crs {
                controls & !lanes_eq(w, b'\r')
            } else {
                controls
            }
        };
        let amps = if amp_can_tell(needs) {
            lanes_eq(w, b'&')
        } else {
            0
        };
        let odd = controls | amps;
        let blank_pairs = low & ((low << 8) | (*prev_low >> 56));
        if odd != 0 {
            word_needs(text, i, w, *prev, *prev_low, needs);
        } else if blank_pairs != 0 && !needs.layout {
            // Mostly a paragraph break ("\n\n"), which needs nothing.
            needs.layout = blanks_need_layout(w, *prev);
        }
        *prev_low = low;
    } else {
        *prev_low = word_needs(text, i, w, *prev, *prev_low, needs);
    }
    *prev = w;
}

/// What the word `w` at `i` needs, for [`scan`], whatever its bytes; after the word
/// `prev` whose blanks are `prev_low`. Returns the blanks of `w`.
#[inline(never)]
fn word_needs(text: &str, i: usize, w: u64, prev: u64, prev_low: u64, needs: &mut Needs) -> u64 {
    let low = !(((w & LOW7) + ONES * (0x80 - 0x21)) | w) & HIGH;
    let below_20 = !(((w & LOW7) + ONES * (0x80 - 0x20)) | w) & HIGH;
    let amps = eq_bytes(w, b'&');
    let crs = eq_bytes(w, b'\r');
    let odd = (below_20 & !eq_bytes(w, b'\n')) | eq_bytes(w, 0x7F) | amps;
    // Lead bytes (0xC0 and up): bit 6 shifted onto bit 7 of the same byte.
    let mut leads = w & (w << 1) & HIGH;
    while leads != 0 {
        let j = i + first_lane(leads);
        leads &= leads - 1;
        // Most leads outside Latin-1 need nothing: told before the bytes after them are read.
        if !lead_needs_nothing(text.as_bytes()[j]) {
            lead_needs(text, j, needs);
        }
    }
    if odd != 0 {
        if amps != 0 {
            needs.amp.get_or_insert(i + first_lane(amps));
            if !(needs.reference || needs.chars || needs.crs) {
                needs.reference = starts_reference(text, i, amps);
            }
        }
        needs.crs |= crs != 0;
        needs.chars |= odd & !amps & !crs != 0;
    }
    // Layout work needs two blanks in a row: only then are the spaces and line breaks
    // told apart.
    if !needs.layout && low & ((low << 8) | (prev_low >> 56)) != 0 {
        needs.layout = blanks_need_layout(w, prev);
    }
    low
}

/// Whether an `&` can tell [`scan`] something new: the first one, or, in a text whose
/// characters are not to be rewritten, the first that starts a reference (see
/// [`Needs::reference`]).
#[inline(always)]
fn amp_can_tell(needs: &Needs) -> bool {
    needs.amp.is_none() || !(needs.reference || needs.chars || needs.crs)
}

/// Whether one of the `&` of the word at `i` (the lanes of `amps`) starts a reference that
/// [`decode_entities`] decodes.
fn starts_reference(text: &str, i: usize, mut amps: u64) -> bool {
    while amps != 0 {
        let at = i + first_lane(amps);
        amps &= amps - 1;
        if starts_reference_at(text.as_bytes(), at) {
            return true;
        }
    }
    false
}

/// Whether the `&` at `amp` starts a reference that [`decode_entities`] decodes: the one
/// test of [`scan`], [`has_reference`] and the decoding, which must agree (a reference
/// the scan missed would not be decoded).
#[inline(always)]
fn starts_reference_at(b: &[u8], amp: usize) -> bool {
    reference_at(b, amp).is_some()
}

/// The character that the reference begun by the `&` at `amp` stands for, and its length
/// after the `&`.
#[inline(always)]
fn reference_at(b: &[u8], amp: usize) -> Option<(char, usize)> {
    entities::parse(&b[amp + 1..])
}

/// Whether the word `w`, after the word `prev`, holds two blanks in a row that the layout
/// must fix ("  ", " \n", "\n "), or a fourth line break in a row.
fn blanks_need_layout(w: u64, prev: u64) -> bool {
    let spaces = eq_bytes(w, b' ');
    let breaks = eq_bytes(w, b'\n');
    let prev_spaces = eq_bytes(prev, b' ');
    let prev_breaks = eq_bytes(prev, b'\n');
    let blanks = spaces | breaks;
    let blank_before = (blanks << 8) | ((prev_spaces | prev_breaks) >> 56);
    let break_before = breaks & ((breaks << 8) | (prev_breaks >> 56));
    if blanks & blank_before & !break_before != 0 {
        return true;
    }
    let two_before = (breaks << 16) | (prev_breaks >> 48);
    let three_before = (breaks << 24) | (prev_breaks >> 40);
    break_before & two_before & three_before != 0
}

/// What the character whose lead byte (0xC0 and up) is at `i` needs, for [`scan`].
fn lead_needs(text: &str, i: usize, needs: &mut Needs) {
    let b = text.as_bytes();
    let b1 = b.get(i + 1).copied().unwrap_or(0);
    let b2 = b.get(i + 2).copied().unwrap_or(0);
    match b[i] {
        // U+0080..U+00BF: C1 controls, NBSP, soft hyphen.
        0xC2 if b1 <= 0x9F || b1 == 0xA0 || b1 == 0xAD => needs.chars = true,
        0xC3 if mojibake_shape_at(text, i) => needs.mojibake = true,
        // U+1680 OGHAM SPACE MARK.
        0xE1 if b1 == 0x9A && b2 == 0x80 => needs.chars = true,
        // U+2000..U+200F spaces, zero-width and direction marks; U+2028..U+202F line
        // and paragraph separators, bidi embeddings, narrow NBSP. A joiner after a
        // non-ASCII character is kept (see `action`), so it needs nothing.
        0xE2 if b1 == 0x80 => match b2 {
            0x8C | 0x8D if i > 0 && b[i - 1] >= 0x80 => {}
            0x80..=0x8F | 0xA8..=0xAF => needs.chars = true,
            _ => {}
        },
        // U+205F medium math space, U+2060..U+2064 invisible operators and word joiner,
        // U+2066..U+2069 bidi isolates.
        0xE2 if b1 == 0x81 && matches!(b2, 0x9F..=0xA4 | 0xA6..=0xA9) => needs.chars = true,
        // U+3000 IDEOGRAPHIC SPACE.
        0xE3 if b1 == 0x80 && b2 == 0x80 => needs.chars = true,
        // U+FEFF BOM / zero-width no-break space.
        0xEF if b1 == 0xBB && b2 == 0xBF => needs.chars = true,
        _ => {}
    }
    // Lead bytes from 0xCC on start the characters at or above U+0300; [`nfc`] changes
    // nothing unless one of them is not NFC-inert, so most non-Latin text needs no pass
    // of its own for it.
    if !needs.nfc && b[i] >= 0xCC && !inert_by_bytes(b[i], b1, b2) {
        needs.nfc = text[i..].chars().next().is_some_and(|c| !nfc_inert(c));
    }
}

/// Whether every character with the lead byte `b0` needs nothing of [`lead_needs`]: it
/// has no arm for them and they are all [NFC-inert](nfc_inert). The leads of Cyrillic
/// (U+0400..U+047F), CJK ideographs (U+5000..U+9FFF) and Hangul (U+B000..U+CFFF), the
/// commonest outside Latin-1.
#[inline(always)]
const fn lead_needs_nothing(b0: u8) -> bool {
    matches!(b0, 0xD0 | 0xD1 | 0xE5..=0xE9 | 0xEB | 0xEC)
}

/// Whether the character with these first three bytes is [NFC-inert](nfc_inert), told
/// from the bytes for the commonest ones (General Punctuation's quotes, dashes and
/// ellipsis; CJK punctuation, kana, the CJK ideographs and Hangul syllables that
/// [`lead_needs_nothing`] leaves) without decoding it. False means "look". (The leads of
/// [`lead_needs_nothing`] never get here: the word scan passes over them.)
fn inert_by_bytes(b0: u8, b1: u8, b2: u8) -> bool {
    match b0 {
        // U+2002..U+203F, U+2040..U+206F.
        0xE2 => (b1 == 0x80 && b2 >= 0x82) || (b1 == 0x81 && b2 <= 0xAF),
        // U+3000..U+3029, U+3030..U+303F, U+3041..U+307F, U+3080..U+3096,
        // U+30A0..U+30FF, U+3400..U+3FFF (not the kana voicing marks U+3099, U+309A).
        0xE3 => match b1 {
            0x80 => b2 <= 0xA9 || b2 >= 0xB0,
            0x81 => b2 >= 0x81,
            0x82 => b2 <= 0x96 || b2 >= 0xA0,
            0x83 | 0x90..=0xBF => true,
            _ => false,
        },
        // U+4000..U+4DBF, U+4E00..U+4FFF (not the hexagrams U+4DC0..U+4DFF).
        0xE4 => b1 != 0xB7,
        // U+AC00..U+AFFF, U+D000..U+D7A3.
        0xEA => b1 >= 0xB0,
        0xED => b1 < 0x9E || (b1 == 0x9E && b2 <= 0xA3),
        _ => false,
    }
}

/// [`scan`] byte by byte: the plain definition.
#[cfg(test)]
fn scan_bytes(text: &str) -> Needs {
    let b = text.as_bytes();
    let mut needs = Needs::default();
    let Some(&last) = b.last() else {
        return needs;
    };
    match last {
        b'\n' => needs.layout = b.ends_with(b"\n\n"),
        b' ' => needs.layout = true,
        _ => needs.final_newline = true,
    }
    // Consecutive '\n' just before `i`; 3 at the start, so a leading newline counts as a
    // blank line too many.
    let mut newlines = 3u32;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x80 {
            match c {
                b'\n' => {
                    newlines += 1;
                    if newlines as usize > MAX_NEWLINES || (i > 0 && b[i - 1] == b' ') {
                        needs.layout = true;
                    }
                    i += 1;
                    continue;
                }
                b' ' if newlines > 0 || (i > 0 && b[i - 1] == b' ') => needs.layout = true,
                b'&' => {
                    needs.amp.get_or_insert(i);
                    needs.reference |= starts_reference_at(b, i);
                }
                b'\r' => needs.crs = true,
                0..=0x1F | 0x7F => needs.chars = true,
                _ => {}
            }
            newlines = 0;
            i += 1;
            continue;
        }
        newlines = 0;
        lead_needs(text, i, &mut needs);
        i += text[i..].chars().next().map_or(1, char::len_utf8);
    }
    needs.layout |= needs.chars || needs.crs;
    needs.reference &= !(needs.chars || needs.crs);
    needs.crs &= !needs.chars;
    needs
}

/// Whether some byte of `w` is below `n` (at most 0x80).
const fn has_byte_below(w: u64, n: u64) -> bool {
    w.wrapping_sub(n * ONES) & !w & HIGH != 0
}

/// Whether some byte of `w` is `v`.
const fn has_byte(w: u64, v: u8) -> bool {
    eq_bytes(w, v) != 0
}

/// Whether some byte of `w` is at or above 0xCC, the lead bytes of U+0300 and up.
const fn has_byte_from_cc(w: u64) -> bool {
    w & ((w & !HIGH) + 0x34 * ONES) & HIGH != 0
}

/// Whether the lead bytes of the characters [`clean_chars`] looks at closely (U+0080..U+00BF,
/// U+1680, U+2000..U+207F, U+3000, U+FEFF) are absent from `w`. Continuation bytes
/// (0x80..0xBF) never equal them, so a word may start or end inside a character.
const fn no_special_lead(w: u64) -> bool {
    !(has_byte(w, 0xC2)
        || has_byte(w, 0xE1)
        || has_byte(w, 0xE2)
        || has_byte(w, 0xE3)
        || has_byte(w, 0xEF))
}

/// What [`clean_chars`] does with one character.
enum Action {
    Keep,
    Drop,
    Space,
    Newline,
    Replace(char),
}

/// What to do with `c`; `after_non_ascii` tells whether the character before it (in the
/// output) is non-ASCII.
fn action(c: char, after_non_ascii: bool) -> Action {
    match c {
        '\n' | '\u{B}' | '\u{C}' | '\u{2028}' | '\u{2029}' => Action::Newline,
        '\t'
        | '\u{A0}'
        | '\u{1680}'
        | '\u{2000}'..='\u{200A}'
        | '\u{202F}'
        | '\u{205F}'
        | '\u{3000}' => Action::Space,
        // ZWNJ and ZWJ carry meaning inside emoji sequences and Persian or Indic words.
        '\u{200C}' | '\u{200D}' if after_non_ascii => Action::Keep,
        // C1 controls in text are nearly always windows-1252 read as latin-1.
        '\u{80}'..='\u{9F}' => match mojibake::cp1252_high(c as u8) {
            Some(r) => Action::Replace(r),
            None => Action::Drop,
        },
        '\0'..='\u{1F}'
        | '\u{7F}'
        | '\u{AD}'
        | '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{FEFF}' => Action::Drop,
        _ => Action::Keep,
    }
}

/// Applies `action` to `c`, appending the result to `out`; true when `c` was removed or
/// replaced by another visible character (which can join its neighbours into new shapes).
fn push_char(out: &mut String, c: char) -> bool {
    let after_non_ascii = out.as_bytes().last().is_some_and(|&b| b >= 0x80);
    match action(c, after_non_ascii) {
        Action::Keep => out.push(c),
        Action::Drop => return true,
        Action::Space => out.push(' '),
        Action::Newline => out.push('\n'),
        Action::Replace(r) => {
            out.push(r);
            return true;
        }
    }
    false
}

/// Rewrites line endings, spaces, invisible and control characters (see [`action`]); the
/// flag tells whether a character was removed or replaced (see [`push_char`]).
fn clean_chars(text: &str) -> (String, bool) {
    let mut removed = false;
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    // `text[start..i]` is kept as is, copied in one go when something must change.
    let mut start = 0;
    let mut i = 0;
    while i < b.len() {
        if let Some(word) = b.get(i..i + 8) {
            let w = u64::from_le_bytes(word.try_into().unwrap_or_default());
            // '\n' bytes become 0x2A, so that only other control bytes are below 0x20.
            let newlines_masked = w | (eq_bytes(w, b'\n') >> 2);
            if !has_byte_below(newlines_masked, 0x20)
                && !has_byte(w, 0x7F)
                && (w & HIGH == 0 || no_special_lead(w))
            {
                i += 8;
                continue;
            }
            // The bytes before the first that may need a change are kept: on to it at
            // once (a CRLF text has one such word a line). Controls but '\n', DEL and
            // the lead bytes, a few of which need a look.
            let below_20 = !(((w & LOW7) + ONES * (0x80 - 0x20)) | w) & HIGH;
            let maybe =
                (below_20 & !eq_bytes(w, b'\n')) | eq_bytes(w, 0x7F) | (w & (w << 1) & HIGH);
            i += first_lane(maybe);
        }
        let c = b[i];
        // Printable ASCII, '\n', continuation bytes and the leads of characters that are
        // always kept stay as they are.
        if (0x20..0x7F).contains(&c)
            || c == b'\n'
            || (c >= 0x80 && !matches!(c, 0xC2 | 0xE1 | 0xE2 | 0xE3 | 0xEF))
        {
            i += 1;
            continue;
        }
        out.push_str(&text[start..i]);
        if c == b'\r' {
            out.push('\n');
            i += if b.get(i + 1) == Some(&b'\n') { 2 } else { 1 };
        } else {
            let ch = text[i..].chars().next().unwrap_or_default();
            removed |= push_char(&mut out, ch);
            i += ch.len_utf8();
        }
        start = i;
    }
    out.push_str(&text[start..]);
    (out, removed)
}

/// Decodes HTML character references; `None` when there were none. A decoded `&` that
/// starts another reference is decoded again ("&amp;lt;" is "<"), so the output holds no
/// reference; decoded characters go through [`action`] like the others. `text` has no `&`
/// before `from`.
fn decode_entities(text: &str, from: usize) -> Option<String> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut from = from;
    while let Some(amp) = find_byte(b, from, b'&') {
        let Some((mut c, len)) = reference_at(b, amp) else {
            from = amp + 1;
            continue;
        };
        let mut end = amp + 1 + len;
        while c == '&' {
            match entities::parse(&b[end..]) {
                Some((next, len)) => {
                    c = next;
                    end += len;
                }
                None => break,
            }
        }
        let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
        out.push_str(&text[copied..amp]);
        // A lone decoded CR (from "&#13;&#10;") would double the line break.
        if c != '\r' {
            let _ = push_char(out, c);
        }
        copied = end;
        from = end;
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// Where the first `byte` at or after `from` is. Most `&` start no reference ("Q&A"), so
/// [`decode_entities`] looks for the next one from each, as [`fix_line_ends`] for `\r`:
/// by blocks the compiler tests sixteen bytes at a time, which `str::find` (a word at a
/// time) is not.
fn find_byte(b: &[u8], from: usize, byte: u8) -> Option<usize> {
    let mut i = from;
    while let Some(block) = b.get(i..).and_then(<[u8]>::first_chunk::<32>) {
        let mut any = false;
        for &x in block {
            any |= x == byte;
        }
        if any {
            // Where in the block, a word at a time: the lines of a CRLF text are short.
            let words = block.chunks_exact(8);
            for (k, w) in words
                .map(|w| u64::from_le_bytes(w.try_into().unwrap_or_default()))
                .enumerate()
            {
                let hits = eq_bytes(w, byte);
                if hits != 0 {
                    return Some(i + 8 * k + first_lane(hits));
                }
            }
        }
        i += 32;
    }
    b.get(i..)?.iter().position(|&x| x == byte).map(|at| i + at)
}

/// Puts `text` in NFC; `None` when it already is.
///
/// Most text is made of characters that are NFC and never combine with a neighbour (see
/// [`nfc_inert`]); a quick pass over the characters proves it. NFC splits before each of
/// them (a starter that nothing before it changes), so only the spans holding another
/// character are checked and composed: from the character before it (which it may
/// compose with) up to the next inert one. A text with one combining mark costs a few
/// characters of composing, not its line (a paragraph, composed again in every round and
/// both passes).
fn nfc(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out: Option<String> = None;
    let mut composed = String::new();
    // `text[..copied]` is in `out` already.
    let mut copied = 0;
    let mut cursor = 0;
    while let Some(at) = next_lead_from_cc(b, cursor) {
        let c = text[at..].chars().next().unwrap_or_default();
        if nfc_inert(c) {
            cursor = at + c.len_utf8();
            continue;
        }
        // The span starts at the character before `at`, if any (after the span before,
        // which ended at an inert character).
        let start = text[..at]
            .chars()
            .next_back()
            .map_or(at, |p| at - p.len_utf8());
        let after = at + c.len_utf8();
        let end = text[after..]
            .char_indices()
            .find(|&(_, x)| nfc_inert(x))
            .map_or(text.len(), |(i, _)| after + i);
        let span = &text[start..end];
        cursor = end;
        if is_nfc_quick(span.chars()) == IsNormalized::Yes {
            continue;
        }
        composed.clear();
        composed.extend(span.nfc());
        if composed != span {
            let out = out.get_or_insert_with(|| String::with_capacity(text.len()));
            out.push_str(&text[copied..start]);
            out.push_str(&composed);
            copied = end;
        }
    }
    let mut out = out?;
    out.push_str(&text[copied..]);
    Some(out)
}

/// The position of the first byte at or above 0xCC (the lead byte of a character at or above
/// U+0300) from `from` on.
fn next_lead_from_cc(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(word) = b.get(i..i + 8) {
        if has_byte_from_cc(u64::from_le_bytes(word.try_into().unwrap_or_default())) {
            break;
        }
        i += 8;
    }
    b.get(i..)?.iter().position(|&x| x >= 0xCC).map(|p| i + p)
}

/// Whether `c` is NFC whatever surrounds it: NFC quick check "yes" (so it never combines
/// with what precedes it) and canonical combining class 0 (so it is never reordered). True
/// of everything below U+0300 and of the letters of the common scripts; a unit test checks
/// every character listed here against the Unicode data.
fn nfc_inert(c: char) -> bool {
    matches!(c,
        '\0'..='\u{2FF}'
        | '\u{388}'..='\u{3FF}'       // Greek
        | '\u{400}'..='\u{482}'       // Cyrillic
        | '\u{48A}'..='\u{52F}'
        | '\u{531}'..='\u{556}'       // Armenian
        | '\u{561}'..='\u{587}'
        | '\u{5D0}'..='\u{5EA}'       // Hebrew letters
        | '\u{620}'..='\u{64A}'       // Arabic letters
        | '\u{900}'..='\u{93B}' // Devanagari, less nukta, virama and accents
        | '\u{93D}'..='\u{94C}'
        | '\u{94E}'..='\u{950}'
        | '\u{960}'..='\u{97F}'
        | '\u{E01}'..='\u{E30}'       // Thai
        | '\u{E32}'..='\u{E33}'
        | '\u{E3F}'..='\u{E46}'
        | '\u{E50}'..='\u{E59}'
        | '\u{1E00}'..='\u{1EFF}'     // Latin Extended Additional (Vietnamese)
        | '\u{2002}'..='\u{206F}'     // General Punctuation
        | '\u{20A0}'..='\u{20C0}'     // currency
        | '\u{2100}'..='\u{2125}' // letterlike symbols, number forms
        | '\u{2127}'..='\u{2129}'
        | '\u{212C}'..='\u{218F}'
        | '\u{2190}'..='\u{22FF}'     // arrows, math
        | '\u{2300}'..='\u{2328}' // technical symbols, enclosed alphanumerics
        | '\u{232B}'..='\u{24FF}'
        | '\u{2500}'..='\u{27BF}'     // box drawing, shapes, dingbats
        | '\u{3000}'..='\u{3029}'     // CJK punctuation
        | '\u{3030}'..='\u{303F}'
        | '\u{3041}'..='\u{3096}'     // kana
        | '\u{30A0}'..='\u{30FF}'
        | '\u{3400}'..='\u{4DBF}'     // CJK ideographs
        | '\u{4E00}'..='\u{9FFF}'
        | '\u{AC00}'..='\u{D7A3}'     // Hangul syllables
        | '\u{FE00}'..='\u{FE0F}'     // variation selectors
        | '\u{FF01}'..='\u{FFEF}'     // full and half width forms
        | '\u{1F000}'..='\u{1FAFF}'   // emoji
    )
}

/// Trims each line, collapses runs of spaces and of blank lines, drops blank lines at both
/// ends and ends a non-empty text with one `\n`. Expects [`clean_chars`] done: the only
/// whitespace left is ' ' and '\n'.
///
/// Put another way, each run of blanks (spaces and `\n`) between two other characters
/// becomes one space when it holds no `\n` and as many `\n` as it holds (at most
/// [`MAX_NEWLINES`]) when it does; the runs at the ends go. Most runs (one space, one or
/// two line breaks) stay as they are: [`next_odd_blank`] finds the others sixteen bytes at
/// a time, and the text between them is copied in one go. (`layout_by_lines`, in the
/// tests, is the plain definition it is held to.)
fn layout(text: &str) -> String {
    let b = text.as_bytes();
    let blank = |x: u8| x == b' ' || x == b'\n';
    let Some(lead) = b.iter().position(|&x| !blank(x)) else {
        return String::new();
    };
    // After the last other character (there is one: `lead`).
    let end = b.iter().rposition(|&x| !blank(x)).map_or(lead, |p| p + 1);
    let mut out = String::with_capacity(end - lead + 1);
    // `text[..copied]` is done; `b[from]` is no blank.
    let (mut copied, mut from) = (lead, lead);
    while let Some(at) = next_odd_blank(&b[..end], from) {
        // The run of blanks around `at`, which has another character on both sides (the
        // ends of the text were trimmed, and `b[from]` is none).
        let mut start = at;
        while blank(b[start - 1]) {
            start -= 1;
        }
        let mut stop = at + 1;
        while blank(b[stop]) {
            stop += 1;
        }
        let run = &b[start..stop];
        let breaks = run.iter().filter(|&&x| x == b'\n').count();
        let with = if breaks == 0 {
            " "
        } else {
            &BREAKS[..breaks.min(MAX_NEWLINES)]
        };
        if run != with.as_bytes() {
            out.push_str(&text[copied..start]);
            out.push_str(with);
            copied = stop;
        }
        from = stop;
    }
    out.push_str(&text[copied..end]);
    out.push('\n');
    out
}

/// [`MAX_NEWLINES`] line breaks: what [`layout`] makes of a run of blanks with that many
/// or more, and whose start it takes for a run with fewer.
const BREAKS: &str = "\n\n\n";
const _: () = assert!(BREAKS.len() == MAX_NEWLINES);

/// Where the next blank (' ' or `\n`) of `b` from `from` on is that may make its run of
/// blanks one that [`layout`] changes: one after a blank but a line break after a line
/// break, or a third line break in a row. Runs of one blank and of two line breaks (a
/// paragraph break) are passed over. `b[from]` must be no blank (the bytes before it are
/// not looked at).
fn next_odd_blank(b: &[u8], from: usize) -> Option<usize> {
    // The blanks and line breaks of the block before, moved down to bits 0 and 1 (none
    // before `from`, which is no blank: no pair or triple ends at it or right after it).
    let (mut blanks_before, mut breaks_before) = (0u32, 0u32);
    let mut i = from;
    while i < b.len() {
        let block = match b.get(i..).and_then(<[u8]>::first_chunk::<16>) {
            Some(block) => *block,
            // The last few bytes, padded with a letter, which is no blank.
            None => {
                let mut block = [b'a'; 16];
                block[..b.len() - i].copy_from_slice(&b[i..]);
                block
            }
        };
        let breaks = eq_mask16(&block, b'\n');
        let blanks = eq_mask16(&block, b' ') | breaks;
        let after_blank = (blanks << 1) | (blanks_before >> 1);
        let after_break = (breaks << 1) | (breaks_before >> 1);
        let after_two_breaks = after_break & ((breaks << 2) | breaks_before);
        let odd = (blanks & after_blank & !(breaks & after_break)) | (breaks & after_two_breaks);
        if odd != 0 {
            return Some(i + odd.trailing_zeros() as usize);
        }
        blanks_before = blanks >> 14;
        breaks_before = breaks >> 14;
        i += 16;
    }
    None
}

/// [`layout`] line by line: the plain definition.
#[cfg(test)]
fn layout_by_lines(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    let mut blanks = 0;
    for line in text.split('\n') {
        let line = line.trim_matches(' ');
        if line.is_empty() {
            if !out.is_empty() {
                blanks += 1;
            }
            continue;
        }
        if !out.is_empty() {
            for _ in 0..blanks.min(MAX_NEWLINES) {
                out.push('\n');
            }
        }
        blanks = 1;
        if !line.contains("  ") {
            out.push_str(line);
            continue;
        }
        let lb = line.as_bytes();
        let mut start = 0;
        let mut i = 0;
        while i + 1 < lb.len() {
            if lb[i] == b' ' && lb[i + 1] == b' ' {
                out.push_str(&line[start..=i]);
                i += 1;
                while lb[i] == b' ' {
                    i += 1;
                }
                start = i;
            } else {
                i += 1;
            }
        }
        out.push_str(&line[start..]);
    }
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn norm(s: &str) -> String {
        normalize(s).text
    }

    /// `s` encoded as UTF-8 and decoded as windows-1252 the way browsers and encoding_rs do
    /// (the five undefined bytes become C1 controls).
    fn as_cp1252(s: &str) -> String {
        s.bytes()
            .map(|b| match b {
                0x80..=0x9F => mojibake::cp1252_high(b).unwrap_or(b as char),
                _ => b as char,
            })
            .collect()
    }

    /// `s` encoded as UTF-8 and decoded as latin-1.
    fn as_latin1(s: &str) -> String {
        s.bytes().map(|b| b as char).collect()
    }

    #[test]
    fn clean_text_is_copied() {
        let s = "A headline\n\nA paragraph, with words.\nAnother line.\n";
        let n = normalize(s);
        assert_eq!(n.text, s);
        assert!(!n.mojibake_repaired);
        assert_eq!(norm(""), "");
        assert_eq!(norm("\n \n\t\n"), "");
    }

    #[test]
    fn line_endings() {
        assert_eq!(norm("a\r\nb\rc\nd"), "a\nb\nc\nd\n");
        assert_eq!(norm("a\r\r\nb"), "a\n\nb\n");
        assert_eq!(norm("page\u{C}next\u{2028}line"), "page\nnext\nline\n");
        // What the first pass over a folder tells the second.
        let line_ends_only = |s| normalize_cow(s, false).1.line_ends_only;
        assert!(line_ends_only("a\r\nb\rc\r\n\r\nd’é"));
        for s in [
            "a\nb",
            "a\nb\r\n",
            "a\r\nb\t",
            "a \r\nb",
            "a\r\n\r\n\r\n\r\nb",
            "&amp;\r\n",
        ] {
            assert!(!line_ends_only(s), "{s:?}");
        }
    }

    #[test]
    fn spaces() {
        assert_eq!(
            norm("a\u{A0}b\tc\u{2003}d\u{202F}e\u{3000}f"),
            "a b c d e f\n"
        );
        assert_eq!(norm("a \u{A0}\t b"), "a b\n");
        assert_eq!(norm("   indented   line   \n\tx\t"), "indented line\nx\n");
    }

    #[test]
    fn invisible_and_control_characters() {
        assert_eq!(norm("zero\u{200B}width\u{FEFF}\u{2060}"), "zerowidth\n");
        assert_eq!(norm("\u{FEFF}BOM first"), "BOM first\n");
        assert_eq!(norm("soft\u{AD}hyphen"), "softhyphen\n");
        assert_eq!(
            norm("bell\u{7}nul\u{0}del\u{7F}esc\u{1B}"),
            "bellnuldelesc\n"
        );
        assert_eq!(norm("\u{200F}rtl\u{202E}mark\u{2066}"), "rtlmark\n");
        // A joiner at an ASCII boundary goes, inside an emoji sequence it stays.
        assert_eq!(norm("a\u{200D}b"), "ab\n");
        assert_eq!(norm("👨\u{200D}👩"), "👨\u{200D}👩\n");
    }

    #[test]
    fn c1_controls_become_windows_1252() {
        assert_eq!(norm("it\u{92}s \u{93}so\u{94}\u{85}"), "it’s “so”…\n");
        assert_eq!(norm("un\u{81}defined\u{9D}"), "undefined\n");
    }

    #[test]
    fn nfc() {
        assert_eq!(norm("cafe\u{301}"), "café\n");
        assert_eq!(norm("A\u{30A}ngstro\u{308}m"), "Ångström\n");
        // A mark that composes with an inert character found before it.
        assert_eq!(norm("\u{AC00}\u{11A8}"), "\u{AC01}\n");
        // Already NFC: untouched, also past U+0300.
        assert_eq!(
            norm("Ελληνικά и русский 日本語"),
            "Ελληνικά и русский 日本語\n"
        );
    }

    proptest! {
        /// Composing the spans around the characters that are not inert is composing
        /// the whole text.
        #[test]
        fn nfc_by_spans_is_nfc_of_the_text(
            s in "[e a\nxÅ가\u{1100}\u{1161}\u{11A8}\u{301}\u{323}\u{30A}\u{308}\u{E48}\u{915}\u{93C}\u{2126}]{0,24}|\\PC{0,24}"
        ) {
            let whole: String = s.nfc().collect();
            prop_assert_eq!(super::nfc(&s).unwrap_or_else(|| s.clone()), whole);
        }
    }

    #[test]
    fn inert_by_bytes_claims_only_inert_characters() {
        let mut buf = [0u8; 4];
        for c in (0x300..=0x10FFFFu32).filter_map(char::from_u32) {
            let b = c.encode_utf8(&mut buf).as_bytes();
            let (b1, b2) = (
                b.get(1).copied().unwrap_or(0),
                b.get(2).copied().unwrap_or(0),
            );
            if inert_by_bytes(b[0], b1, b2) {
                assert!(nfc_inert(c), "U+{:04X}", c as u32);
            }
        }
        assert!(inert_by_bytes(0xE2, 0x80, 0x99) && !inert_by_bytes(0xE2, 0x80, 0x80));
        // Kana, but not its combining voicing mark U+3099.
        assert!(inert_by_bytes(0xE3, 0x81, 0x82) && !inert_by_bytes(0xE3, 0x82, 0x99));
    }

    #[test]
    fn leads_that_need_nothing_need_nothing() {
        // `scan` skips these leads without `lead_needs`: every character after one of them,
        // alone or after another non-ASCII character, must need nothing of it.
        let mut seen = 0;
        for c in (0x80..=0x10FFFFu32).filter_map(char::from_u32) {
            let s = format!("é{c}");
            if !lead_needs_nothing(s.as_bytes()[2]) {
                continue;
            }
            seen += 1;
            for (text, i) in [(&s[2..], 0), (&s[..], 2)] {
                let mut needs = Needs::default();
                lead_needs(text, i, &mut needs);
                assert_eq!(needs, Needs::default(), "U+{:04X}", c as u32);
            }
        }
        assert_eq!(seen, 0x80 + 0x5000 + 0x2000);
    }

    #[test]
    fn nfc_inert_agrees_with_unicode_data() {
        use unicode_normalization::char::canonical_combining_class;
        for c in (0..=0x10FFFFu32)
            .filter_map(char::from_u32)
            .filter(|&c| nfc_inert(c))
        {
            assert_eq!(canonical_combining_class(c), 0, "{c:?}");
            let alone = is_nfc_quick(std::iter::once(c));
            assert_eq!(alone, IsNormalized::Yes, "U+{:04X}", c as u32);
        }
    }

    #[test]
    fn entities() {
        assert_eq!(norm("Tom &amp; Jerry"), "Tom & Jerry\n");
        assert_eq!(
            norm("a&nbsp;b &quot;q&quot; it&#8217;s &#x2019; &mdash; &eacute;"),
            "a b \"q\" it’s ’ — é\n"
        );
        assert_eq!(norm("&lt;b&gt; &#146;"), "<b> ’\n");
        assert_eq!(
            norm("double &amp;amp; &amp;lt;tag&amp;gt; &amp;#8217;"),
            "double & <tag> ’\n"
        );
        assert_eq!(norm("cafe&#769;"), "café\n");
        assert_eq!(norm("one&#10;two"), "one\ntwo\n");
        assert_eq!(norm("x&nbsp;&nbsp;&nbsp;y&#8203;z"), "x yz\n");
    }

    #[test]
    fn non_entities_stay() {
        for s in [
            "AT&T and P&G",
            "Q&A: a&b, &c; &#; &#x; &copy 2019",
            "&nosuch; & ; &&",
            "price 5&#0; &#xD800;",
        ] {
            assert_eq!(norm(s), format!("{s}\n"), "{s}");
        }
    }

    #[test]
    fn find_byte_finds_the_next_one_across_blocks() {
        for len in [0, 1, 31, 32, 33, 64, 100] {
            for at in 0..len {
                let mut b = vec![b'a'; len];
                b[at] = b'&';
                for from in 0..=len {
                    let want = (from <= at).then_some(at);
                    assert_eq!(
                        find_byte(&b, from, b'&'),
                        want,
                        "len {len}, & at {at}, from {from}"
                    );
                }
            }
            assert_eq!(find_byte(&vec![b'a'; len], 0, b'&'), None);
        }
        assert_eq!(find_byte(b"&&", 1, b'&'), Some(1));
    }

    #[test]
    fn layout() {
        // Four blank lines shrink to two (a wide break), whitespace-only lines are blank.
        assert_eq!(
            norm("\n\n  first\n\n\n\n\nsecond  \n \n\t\nthird\n\nfourth\n\n"),
            "first\n\n\nsecond\n\n\nthird\n\nfourth\n"
        );
        assert_eq!(norm("a  b     c"), "a b c\n");
        assert_eq!(norm("no final newline"), "no final newline\n");
    }

    const LANGUAGES: [&str; 14] = [
        "Le café est très apprécié à Paris, où êtes-vous allé l’été dernier ?",
        "Größere Straßen führen über die Brücke nach Österreich.",
        "El niño comió piña en la montaña; ¿qué más? ¡Olé!",
        "Спасибо за ваше письмо, мы ответим в ближайшее время.",
        "Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο.",
        "Zażółć gęślą jaźń — źródło łódź.",
        "日本語のテキストです。東京は晴れ。",
        "He said “hello” and she said ‘goodbye’ — it’s fine…",
        "Price: 20€ – that’s £17 or so ™",
        "Emoji time 😀 👍🏽 and ❤️ done",
        "Čeština: příliš žluťoučký kůň úpěl ďábelské ódy.",
        "Română: știință, țară, școală, în Âncora",
        "Tiếng Việt có dấu: Người ơi, đừng đi.",
        "עברית: שלום עולם, العربية: مرحبا بالعالم",
    ];

    #[test]
    fn mojibake_once_and_twice() {
        for s in LANGUAGES {
            let want = format!("{s}\n");
            for (how, broken) in [
                ("cp1252", as_cp1252(s)),
                ("latin1", as_latin1(s)),
                ("cp1252 twice", as_cp1252(&as_cp1252(s))),
                ("latin1 then cp1252", as_cp1252(&as_latin1(s))),
            ] {
                let n = normalize(&broken);
                assert_eq!(n.text, want, "{how}: {broken:?}");
                assert!(n.mojibake_repaired, "{how}: {s}");
            }
        }
    }

    #[test]
    fn mojibake_in_clean_context() {
        let n = normalize("Clean line.\nThe cafÃ© opened.\nItâ€™s here.\n");
        assert_eq!(n.text, "Clean line.\nThe café opened.\nIt’s here.\n");
        assert!(n.mojibake_repaired);
        // An NBSP that was the second byte of "à".
        assert_eq!(norm("voilÃ\u{A0}!"), "voilà!\n");
        // A mojibake NBSP is a space.
        assert_eq!(norm("10Â\u{A0}km"), "10 km\n");
        // Entities spelling mojibake.
        assert_eq!(norm("caf&Atilde;&copy;"), "café\n");
    }

    #[test]
    fn legit_text_is_left_alone() {
        for s in [
            "São Paulo é a maior cidade do Brasil, não é? NÃO, SÃO, MÃE.",
            "naïve café, résumé, coöperate, Noël; NAÏVE CAFÉ…",
            "Þórður og Guðrún fóru til Reykjavíkur. ÐÞÆÖ",
            "©2019 All rights reserved. ® ™ ¶ § — “quoted”",
            "The ₤ sign and the £ sign; 5 ¢; ¥100",
            "Âncora, Âmbar, ÂNCORA; România, învăţământ",
            "Ålesund, København, Øresund, Århus",
            "Das ist groß“, sagte er. „Schön“",
            "1 × 2 ÷ 3 ± 4° ½ ¼ ¾ µ",
            "Ñandú, ESPAÑA, ¿Dónde está?",
            "È già, perché sì.",
            "Ð is eth. Ñ is eñe. Ã is a-tilde. Â is a-circumflex.",
        ] {
            let n = normalize(s);
            assert_eq!(n.text, format!("{s}\n"), "{s}");
            assert!(!n.mojibake_repaired, "{s}");
        }
    }

    #[test]
    fn idempotent_on_examples() {
        let mut samples: Vec<String> = LANGUAGES.iter().map(|s| as_cp1252(s)).collect();
        samples.extend(
            [
                "&\u{200B}amp;lt;",
                "&amp;&#97;mp;",
                "Ã\u{AD}©",
                "caf&Atilde;&copy;",
                " a \r\n\r\n\r\n b\u{A0}\u{A0}c ",
                "é\u{200D}\u{200D}x",
                "A\u{302}©",
                "&amp\u{37E}",
            ]
            .map(String::from),
        );
        for s in samples {
            let once = norm(&s);
            assert_eq!(norm(&once), once, "{s:?}");
        }
    }

    /// Text made of the pieces normalization cares about, so the properties meet them often.
    fn tricky() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("&".to_string()),
            Just("amp;".to_string()),
            Just("&#".to_string()),
            Just("lt;".to_string()),
            Just(";".to_string()),
            Just(" ".to_string()),
            Just("\n".to_string()),
            Just("\r".to_string()),
            Just("\t".to_string()),
            Just("\u{A0}".to_string()),
            Just("\u{200B}".to_string()),
            Just("\u{200D}".to_string()),
            Just("\u{AD}".to_string()),
            Just("\u{85}".to_string()),
            Just("\u{301}".to_string()),
            Just("Ã".to_string()),
            Just("Â".to_string()),
            Just("©".to_string()),
            Just("â€™".to_string()),
            Just("Ð¡".to_string()),
            Just("é".to_string()),
            Just("e".to_string()),
            "[a-z0-9]{1,5}",
            any::<char>().prop_map(String::from),
        ];
        proptest::collection::vec(piece, 0..40).prop_map(|v| v.concat())
    }

    #[test]
    fn scan_by_blocks_agrees_with_scan_by_bytes() {
        // Quiet text long enough for several blocks (ending in a letter, so that only the
        // blanks inside can need layout), with one thing that needs a closer
        // look (or a paragraph break, which needs nothing) put at every offset.
        let base = "lorem ipsum dolor sit\n\namet, consectetur adipiscing elit\nsed do. ".repeat(3)
            + "end";
        // Also after a first `&` or control, which later ones tell nothing new.
        for (first, odd) in ["", "&", "\r"].into_iter().flat_map(|first| {
            [
                "&", "\t", "  ", " \n", "\n\n", "\n\n\n", "\n\n\n\n", "é", "\u{7F}", "\r",
                // Bytes from 0x80 on that need something, or nothing (Cyrillic, CJK).
                "Ã©", "\u{A0}", "\u{301}", "\u{200B}", "Ж", "日本", "한",
            ]
            .map(|odd| (first, odd))
        }) {
            for at in 0..=base.len() {
                let s = format!("{first}{}{odd}{}", &base[..at], &base[at..]);
                assert_eq!(scan(&s), scan_bytes(&s), "{first:?}, {odd:?} at {at}");
                let mut t = s.replace("\n\n", "\n");
                t.push_str("end");
                assert_eq!(scan(&t), scan_bytes(&t), "{odd:?} at {at}, no breaks");
            }
        }
    }

    #[test]
    fn scan_agrees_with_scan_by_bytes_on_real_text() {
        let root = env!("CARGO_MANIFEST_DIR");
        let inputs = std::fs::read_dir(format!("{root}/benches/data/shb-dev/input"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .chain(
                std::fs::read_dir(format!("{root}/tests/golden/pages"))
                    .unwrap()
                    .map(|e| e.unwrap().path().join("input.txt")),
            );
        let mut texts = 0;
        for path in inputs {
            let text = String::from_utf8_lossy(&std::fs::read(&path).unwrap()).into_owned();
            // As read and as `round` scans it again once its line ends are fixed; each at
            // every alignment of the words and blocks.
            for text in [text.clone(), text.replace("\r\n", "\n").replace('\r', "\n")] {
                for from in (0..8).filter(|&k| text.is_char_boundary(k)) {
                    let t = &text[from..];
                    assert_eq!(scan(t), scan_bytes(t), "{path:?} from {from}");
                }
            }
            texts += 1;
        }
        assert!(texts > 100, "only {texts} texts");
    }

    proptest! {
        #[test]
        fn never_panics_and_is_idempotent(s in tricky()) {
            let once = normalize(&s).text;
            prop_assert!(once.is_empty() || once.ends_with('\n'));
            prop_assert!(!once.contains("\n\n\n\n") && !once.contains("  ") && !once.contains('\r'));
            prop_assert_eq!(normalize(&once).text, once);
        }

        #[test]
        fn clean_chars_by_words_agrees_with_clean_chars_by_characters(
            s in tricky(),
            t in "[a-z \r\n\t\u{7F}\u{1}é’\u{A0}\u{AD}\u{200B}\u{200D}\u{2028}\u{85}]{0,40}",
            pad in 0usize..9,
        ) {
            for s in [s, t] {
                let s = format!("{}{s}", "x".repeat(pad));
                // The plain definition: each character through `push_char`, CRLF and CR
                // one line break.
                let (mut want, mut removed) = (String::new(), false);
                let mut chars = s.chars().peekable();
                while let Some(c) = chars.next() {
                    if c == '\r' {
                        want.push('\n');
                        chars.next_if_eq(&'\n');
                    } else {
                        removed |= push_char(&mut want, c);
                    }
                }
                prop_assert_eq!(clean_chars(&s), (want, removed), "{:?}", s);
            }
        }

        #[test]
        fn scan_by_words_agrees_with_scan_by_bytes(
            s in "[ab \n\t&é’\u{A0}\u{301}]{0,40}|[aЖжѐ日本한글 \n&\u{A0}\u{301}\u{200B}\u{3000}\u{FEFF}]{0,40}|([a-z]{0,12}[ \n]{0,4}){0,16}[ab \n\t&é\x7f]{0,3}([a-z]{0,12}[ \n]{0,3}){0,8}|([a-z]{0,9}[ \n]{0,3}){0,12}|([ -~]{0,9}[\x00-\x1f\x7f ]{0,2}){0,8}|\\PC{0,30}",
            pad in 0usize..9,
        ) {
            // Every alignment of the words against the text.
            let s = format!("{}{s}", "x".repeat(pad));
            prop_assert_eq!(scan(&s), scan_bytes(&s));
            let indented = format!("\n{s}");
            prop_assert_eq!(scan(&indented), scan_bytes(&indented));
        }

        #[test]
        fn scan_sees_every_layout_need(s in "[ab \n]{0,40}") {
            // Only layout can apply here: whatever scan decides, the result is its output.
            prop_assert_eq!(normalize(&s).text, super::layout(&s));
        }

        #[test]
        fn line_ends_alone_are_what_clean_chars_would_do(s in tricky(), clean in "[a-zé’ \r\n]{0,40}") {
            for s in [s, clean] {
                // The scan tells CRs from the other characters to rewrite, which the
                // line ends do not hide or make.
                let (needs, fixed) = (scan(&s), fix_line_ends(&s));
                prop_assert_eq!(needs.chars, scan(&fixed).chars, "{:?}", s);
                prop_assert_eq!(needs.crs, s.contains('\r') && !needs.chars, "{:?}", s);
                if !needs.chars {
                    prop_assert_eq!(clean_chars(&s), (fixed, false), "{:?}", s);
                }
            }
        }

        #[test]
        fn layout_by_runs_agrees_with_layout_by_lines(
            s in "( |\n|  |\n\n\n\n| \n |a|bé|\r|\t){0,60}",
            t in tricky(),
        ) {
            // Long runs of both kinds, across the sixteen-byte blocks, and any text.
            prop_assert_eq!(super::layout(&s), layout_by_lines(&s));
            prop_assert_eq!(super::layout(&t), layout_by_lines(&t));
        }

        #[test]
        fn line_ends_go_through_layout_as_they_did(s in "[ab \r\n]{0,40}") {
            // `clean_chars` then `layout` was all that applied here, whatever scan found
            // after the line ends.
            let want = super::layout(&clean_chars(&s).0);
            prop_assert_eq!(normalize(&s).text, want);
        }

        #[test]
        fn any_string(s in any::<String>()) {
            let once = normalize(&s).text;
            prop_assert_eq!(normalize(&once).text, once);
        }

        #[test]
        fn unchanged_text_needs_at_most_a_final_newline(
            s in tricky(),
            clean in "([a-zA-Z0-9,.;&é’]{1,9}[ \n]?|\n\n|\r\n|\r){0,12}",
            end in "[ \r\n]{0,2}",
        ) {
            for s in [s, format!("{clean}{end}")] {
                let (cow, done) = normalize_cow(&s, false);
                if matches!(cow, Cow::Borrowed(_)) || done.line_ends_only {
                    let n = normalize(&s);
                    let shortcut = normalize_unchanged(&s);
                    prop_assert_eq!(&shortcut.text, &n.text);
                    prop_assert!(!done.mojibake_repaired && !n.mojibake_repaired);
                }
            }
        }

        /// What another text's scan found gives wrongly normalized text, never a panic:
        /// whatever it names, with its `&` anywhere in the text or past its end.
        #[test]
        fn any_scan_given_never_panics(
            s in tricky(),
            final_newline in proptest::bool::ANY,
            flags in proptest::array::uniform7(proptest::bool::ANY),
            amp in proptest::option::of(0usize..=1_000),
        ) {
            let [chars, crs, layout, final_nl, mojibake, nfc, reference] = flags;
            let needs = Needs {
                chars,
                crs,
                layout,
                final_newline: final_nl,
                amp: amp.map(|a| a % (s.len() + 9)),
                reference,
                mojibake,
                nfc,
            };
            let _ = normalize_cow_scanned(&s, final_newline, Some(needs));
        }

        #[test]
        fn mojibake_round_trips(s in "[a-zA-Z àéèçôöüßñłąśżčřěαβγδжзийклмнопр日本語’“”—…😀]{1,40}") {
            let want = normalize(&s).text;
            prop_assume!(!want.is_ascii());
            prop_assert_eq!(normalize(&as_cp1252(&s)).text, want);
        }
    }
}
