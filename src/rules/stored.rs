//! The built-in rule set compiled ahead of time: `rules/default.rules`, read at start-up
//! instead of compiling `rules/default.toml`.
//!
//! Compiling the built-in file (reading thousands of phrases, keying and hashing them,
//! building the tries and the `contains` filter) cost some 7.5M instructions, three
//! quarters of a process that cleans nothing, and it is the same work in every process: a
//! Makefile that cleans one file per process paid it for each. The stored form is the
//! compiled tables as they are (`KeyTable` slots, trie arrays, bit tables): the key
//! tables' text and slots are read in place from the binary (`Slots::Stored`), the rest
//! with a copy; the regex rules are stored as their patterns and set up as `compile` sets them
//! (`RegexRule::new`, `index_regex_gates`), their automata coming from `rules/default.dfa`
//! as before.
//!
//! The file is made by the test `builtin_rules_stored_are_current` (`make rules-stored`),
//! which fails while the file differs from what `compile` makes of the rule file. It
//! starts with `STORED_MAGIC` (the layout's version) and the FNV-1a sum of the rule file
//! it was made from, and ends with the sum of its bytes; build.rs checks all three
//! (`stored_rules_current`) and sets `STORED_RULES_CURRENT`. A file that is stale (the
//! rule file was edited since) or damaged is not read: the rules are compiled, and the
//! build warns.

use std::borrow::Cow;
use std::sync::OnceLock;

use super::compiled::Compiled;
use super::{
    index_regex_gates, le_u32, GramFilter, KeyTable, PhraseMatcher, PhraseSearch, PhraseTrie,
    Phrases, Places, RegexRule, Rule, Slots, Table,
};

include!(concat!(env!("OUT_DIR"), "/stored_rules.rs"));

/// `rules/default.rules`.
static STORED: &[u8] = include_bytes!("../../rules/default.rules");

/// The built-in rules from `rules/default.rules`; `None` when build.rs found the file stale
/// or damaged, or (never with a current file) when it cannot be read.
pub(super) fn builtin() -> Option<Compiled> {
    if !STORED_RULES_CURRENT {
        return None;
    }
    read(STORED, true)
}

/// The rule set stored in `blob` (as `write` lays it out). `trusted`: build.rs found its
/// sum right (see `Reader::key_table`).
fn read(blob: &'static [u8], trusted: bool) -> Option<Compiled> {
    let mut r = Reader(blob.get(..blob.len().checked_sub(8)?)?);
    if r.take(8)? != super::stored_header::STORED_MAGIC {
        return None;
    }
    r.u64()?; // the rule file's sum, checked by build.rs
    let mut set = Compiled::default();
    let rules = r.len()?;
    set.rules.reserve(rules);
    for _ in 0..rules {
        let id = r.str()?.to_string();
        let category = r.str()?.to_string();
        let languages = (0..r.len()?)
            .map(|_| r.str().map(str::to_string))
            .collect::<Option<_>>()?;
        set.rules.push(Rule {
            id,
            category,
            languages,
            max_words: r.opt_usize()?,
            max_chars: r.opt_usize()?,
        });
    }
    set.whole = r.key_table(trusted)?;
    set.glue_starts = r.key_table(trusted)?;
    set.max_key_bytes = r.usize()?;
    set.max_key_words = r.usize()?;
    set.heads = Table::Stored(r.table(8)?);
    set.long_heads = Table::Stored(r.table(8)?);
    set.key_ends = Table::Stored(r.table(8)?);
    set.prefix = r.matcher(trusted)?;
    set.suffix = r.matcher(trusted)?;
    set.contains = r.matcher(trusted)?;
    let regexes = r.len()?;
    set.regexes.reserve(regexes);
    for _ in 0..regexes {
        let src = r.str()?;
        let rule = r.u32()?;
        let max_words = r.usize()?;
        let builtin = r.bool()?;
        let id = &set.rules.get(rule as usize)?.id;
        set.regexes.push(RegexRule::new(
            src.into(),
            OnceLock::new(),
            builtin,
            id,
            rule,
            max_words,
        ));
    }
    index_regex_gates(&mut set);
    r.0.is_empty().then_some(set)
}

/// Reads the stored form from the front of its bytes; `None` at any error.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn bytes<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    fn u32(&mut self) -> Option<u32> {
        self.bytes().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> Option<u64> {
        self.bytes().map(u64::from_le_bytes)
    }

    fn usize(&mut self) -> Option<usize> {
        usize::try_from(self.u64()?).ok()
    }

    /// A count (of items, or bytes).
    fn len(&mut self) -> Option<usize> {
        usize::try_from(self.u32()?).ok()
    }

    fn bool(&mut self) -> Option<bool> {
        match self.bytes::<1>()? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }

    /// `u64::MAX` stands for `None`.
    fn opt_usize(&mut self) -> Option<Option<usize>> {
        match self.u64()? {
            u64::MAX => Some(None),
            n => usize::try_from(n).ok().map(Some),
        }
    }

    fn str(&mut self) -> Option<&'a str> {
        let n = self.len()?;
        // simdutf8: a whole-line table's text is tens of kilobytes, which std's check
        // took a tenth of the load for.
        simdutf8::basic::from_utf8(self.take(n)?).ok()
    }

    fn strings(&mut self) -> Option<Vec<String>> {
        (0..self.len()?)
            .map(|_| self.str().map(str::to_string))
            .collect()
    }
}

impl Reader<'static> {
    /// A count, then that many items of `n` bytes each, as bytes in place.
    fn table(&mut self, n: usize) -> Option<&'static [u8]> {
        let count = self.len()?;
        self.take(count.checked_mul(n)?)
    }

    /// A list of flags, a byte each, read in place; `trusted` (see `key_table`): the check
    /// that each is 0 or 1 is left out.
    fn flags(&mut self, trusted: bool) -> Option<&'static [u8]> {
        let bytes = self.table(1)?;
        (trusted || bytes.iter().all(|&b| b <= 1)).then_some(bytes)
    }

    /// A trie, its tables read in place (a damaged one makes a walk panic on a bounds
    /// check, never read outside them).
    fn trie(&mut self) -> Option<PhraseTrie> {
        Some(PhraseTrie {
            root: Table::Stored(self.table(4)?.try_into().ok()?),
            nodes: Table::Stored(self.table(8)?),
            labels: Table::Stored(self.table(1)?),
        })
    }

    fn grams(&mut self) -> Option<GramFilter> {
        Some(GramFilter {
            width: self.usize()?,
            mask: self.u64()?,
            bits: Table::Stored(self.table(8)?.try_into().ok()?),
            step: self.usize()?,
            quads: Table::Stored(self.table(8)?.try_into().ok()?),
            trie: self.trie()?,
        })
    }

    /// A phrase matcher. `trusted` (see `key_table`): the phrases of a `contains`
    /// list are parsed only if its automaton is built (`Phrases::Stored`); else they are
    /// parsed now, so that a damaged list is refused here.
    fn matcher(&mut self, trusted: bool) -> Option<Option<PhraseMatcher>> {
        if !self.bool()? {
            return Some(None);
        }
        let anchored = self.bool()?;
        let trie = if anchored { Some(self.trie()?) } else { None };
        // The patterns, as one run of bytes: a trie's are only read by tests.
        let n = self.usize()?;
        let bytes = self.take(n)?;
        let search = match trie {
            Some(trie) => PhraseSearch::Anchored(trie),
            None if trusted => {
                PhraseSearch::Anywhere(Phrases::Stored(bytes, OnceLock::new()), OnceLock::new())
            }
            None => PhraseSearch::Anywhere(
                Phrases::Own(phrases(bytes)?.into_boxed_slice()),
                OnceLock::new(),
            ),
        };
        Some(Some(PhraseMatcher {
            #[cfg(test)]
            patterns: phrases(bytes)?,
            search,
            rule_of: Table::Stored(self.table(4)?),
            word_start: Table::Stored(self.flags(trusted)?),
            word_end: Table::Stored(self.flags(trusted)?),
            max_chars: self.usize()?,
            max_bytes: self.usize()?,
            gate_words: self.usize()?,
            grams: if self.bool()? {
                Some(self.grams()?)
            } else {
                None
            },
        }))
    }

    /// A key table, its text, places and slots read in place (in the layouts
    /// `Places::Stored` and `Slots::Stored` read). `trusted`: the bytes are those the
    /// writer wrote (build.rs found the file's sum right), so the check that every place
    /// lies in the text is left out (a wrong place would panic at a lookup that slices
    /// it, never read memory outside the text). It cost a process 80K instructions.
    fn key_table(&mut self, trusted: bool) -> Option<KeyTable> {
        let text = self.str()?;
        let n = self.len()?;
        let places = self.take(n.checked_mul(8)?)?;
        let n = self.len()?;
        let bytes = self.take(n.checked_mul(16)?)?;
        // One pass with no early exit over the places and the slots.
        let outside = |bad: bool, (s, e): (u32, u32)| bad | (s > e) | (e as usize > text.len());
        let outside = !trusted
            && bytes
                .chunks_exact(16)
                .map(|b| (le_u32(b, 1), le_u32(b, 2)))
                .fold(
                    places
                        .chunks_exact(8)
                        .map(|b| (le_u32(b, 0), le_u32(b, 1)))
                        .fold(false, outside),
                    outside,
                );
        let sized = n.is_power_of_two() || (n == 0 && places.is_empty());
        if outside || !sized {
            return None;
        }
        Some(KeyTable {
            text: Cow::Borrowed(text),
            places: Places::Stored(places),
            slots: Slots::Stored(bytes),
        })
    }
}

/// The phrases of a matcher's stored list `bytes` (a count, then each phrase).
pub(super) fn phrases(bytes: &[u8]) -> Option<Vec<String>> {
    let mut r = Reader(bytes);
    let list = r.strings()?;
    r.0.is_empty().then_some(list)
}

/// Place `i` of a key table's stored places `b` (`Places::Stored`): two little-endian
/// `u32`s a place, as `Writer::key_table` lays them out.
pub(super) fn place_at(b: &[u8], i: usize) -> (u32, u32) {
    let place = &b[8 * i..8 * i + 8];
    (le_u32(place, 0), le_u32(place, 1))
}

/// Slot `i` of a key table's stored slots `b` (`Slots::Stored`): four little-endian
/// `u32`s a slot, as `Writer::key_table` lays them out.
#[inline(always)]
pub(super) fn slot_at(b: &[u8], i: usize) -> (u32, u32, u32, u32) {
    let slot = &b[16 * i..16 * i + 16];
    (
        le_u32(slot, 0),
        le_u32(slot, 1),
        le_u32(slot, 2),
        le_u32(slot, 3),
    )
}

/// The stored form of `set`, compiled from the rule file `source`: what `read` reads.
#[cfg(test)]
pub(super) fn write(set: &Compiled, source: &str) -> Vec<u8> {
    use super::fnv::{fnv1a, FNV_START};
    let mut w = Writer(Vec::new());
    w.0.extend_from_slice(&super::stored_header::STORED_MAGIC);
    w.u64(fnv1a(FNV_START, source.as_bytes()));
    w.len(set.rules.len());
    for rule in &set.rules {
        w.str(&rule.id);
        w.str(&rule.category);
        w.len(rule.languages.len());
        rule.languages.iter().for_each(|l| w.str(l));
        w.opt_usize(rule.max_words);
        w.opt_usize(rule.max_chars);
    }
    w.key_table(&set.whole);
    w.key_table(&set.glue_starts);
    w.usize(set.max_key_bytes);
    w.usize(set.max_key_words);
    w.table(&set.heads, 8);
    w.table(&set.long_heads, 8);
    w.table(&set.key_ends, 8);
    for m in [&set.prefix, &set.suffix, &set.contains] {
        w.matcher(m.as_ref());
    }
    w.len(set.regexes.len());
    for r in &set.regexes {
        w.str(&r.src);
        w.0.extend_from_slice(&r.rule.to_le_bytes());
        w.usize(r.max_words);
        w.bool(r.from_ast);
    }
    let sum = fnv1a(FNV_START, &w.0);
    w.u64(sum);
    w.0
}

/// Lays out the stored form (`Reader` reads it back).
#[cfg(test)]
struct Writer(Vec<u8>);

#[cfg(test)]
impl Writer {
    fn u64(&mut self, x: u64) {
        self.0.extend_from_slice(&x.to_le_bytes());
    }

    fn usize(&mut self, x: usize) {
        self.u64(x as u64);
    }

    fn len(&mut self, n: usize) {
        let n = u32::try_from(n).expect("counts fit a u32");
        self.0.extend_from_slice(&n.to_le_bytes());
    }

    fn bool(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }

    fn opt_usize(&mut self, x: Option<usize>) {
        self.u64(x.map_or(u64::MAX, |x| x as u64));
    }

    fn str(&mut self, s: &str) {
        self.len(s.len());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn key_table(&mut self, t: &KeyTable) {
        self.str(&t.text);
        self.len(t.places.len());
        for (s, e) in t.places.iter() {
            self.0.extend_from_slice(&s.to_le_bytes());
            self.0.extend_from_slice(&e.to_le_bytes());
        }
        self.len(t.slots.len());
        for (h, s, e, v) in (0..t.slots.len()).map(|i| t.slots.at(i)) {
            for x in [h, s, e, v] {
                self.0.extend_from_slice(&x.to_le_bytes());
            }
        }
    }

    /// Bytes of items of `n` bytes each, as `Reader::table` reads them.
    fn table(&mut self, bytes: &[u8], n: usize) {
        self.len(bytes.len() / n);
        self.0.extend_from_slice(bytes);
    }

    fn trie(&mut self, t: &PhraseTrie) {
        self.table(&*t.root, 4);
        self.table(&t.nodes, 8);
        self.table(&t.labels, 1);
    }

    fn matcher(&mut self, m: Option<&PhraseMatcher>) {
        self.bool(m.is_some());
        let Some(m) = m else { return };
        match &m.search {
            PhraseSearch::Anchored(trie) => {
                self.bool(true);
                self.trie(trie);
            }
            PhraseSearch::Anywhere(patterns, _) => {
                let patterns = patterns.list();
                self.bool(false);
                assert_eq!(*patterns, *m.patterns, "one list of patterns");
            }
        }
        let mut patterns = Writer(Vec::new());
        patterns.len(m.patterns.len());
        m.patterns.iter().for_each(|p| patterns.str(p));
        self.usize(patterns.0.len());
        self.0.extend_from_slice(&patterns.0);
        self.table(&m.rule_of, 4);
        self.table(&m.word_start, 1);
        self.table(&m.word_end, 1);
        self.usize(m.max_chars);
        self.usize(m.max_bytes);
        self.usize(m.gate_words);
        self.bool(m.grams.is_some());
        if let Some(g) = &m.grams {
            self.usize(g.width);
            self.u64(g.mask);
            self.table(&*g.bits, 8);
            self.usize(g.step);
            self.table(&*g.quads, 8);
            self.trie(&g.trie);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::{compile, BUILTIN, BUILTIN_ORIGIN};
    use super::*;
    use std::path::PathBuf;

    /// `bytes` for as long as the tests run (a stored set reads its tables in place).
    fn leak(bytes: &[u8]) -> &'static [u8] {
        Box::leak(bytes.to_vec().into_boxed_slice())
    }

    /// What `compile` makes of the built-in rule file, stored.
    fn current() -> (Compiled, Vec<u8>) {
        let set = compile(&[(BUILTIN_ORIGIN, BUILTIN)]).expect("the built-in rules compile");
        let blob = write(&set, BUILTIN);
        (set, blob)
    }

    #[test]
    fn builtin_rules_stored_are_current() {
        // Run with BOILERSTRIP_WRITE_RULES=1 to write the file (`make rules-stored`).
        let (_, blob) = current();
        if std::env::var_os("BOILERSTRIP_WRITE_RULES").is_some() {
            let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("rules/default.rules");
            std::fs::write(&path, &blob).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            return;
        }
        assert!(
            blob == STORED,
            "rules/default.rules is stale ({} bytes, {} now): regenerate it with \
             `make rules-stored` (BOILERSTRIP_WRITE_RULES=1 cargo test --release --lib builtin_rules_stored)",
            STORED.len(),
            blob.len()
        );
        // What build.rs decided, from the same file.
        assert_eq!(
            STORED_RULES_CURRENT,
            super::super::stored_header::stored_rules_current(STORED, BUILTIN.as_bytes()),
        );
    }

    /// The set read back is the set compiled, field for field (every table, the regex
    /// rules' bits and tests), as `Debug` shows them.
    #[test]
    fn stored_rules_read_back_as_compiled() {
        let (set, blob) = current();
        for trusted in [false, true] {
            let read = read(leak(&blob), trusted).expect("a stored set reads");
            assert_eq!(format!("{read:?}"), format!("{set:?}"));
            assert_eq!(write(&read, BUILTIN), blob);
        }
    }

    /// A key table with a place past the end of its text is refused, unless its bytes
    /// are trusted (then it is read as it is).
    #[test]
    fn key_table_places_outside_the_text_are_refused_unless_trusted() {
        let (set, _) = current();
        let mut w = Writer(Vec::new());
        w.key_table(&set.whole);
        let table = w.0;
        // The text's length and bytes, the places' count, then the first place's start
        // and end.
        let at = 4 + set.whole.text.len() + 4;
        let len = u32::try_from(set.whole.text.len()).unwrap();
        for (start, end, refused) in [(0u32, len + 1, true), (2, 1, true), (0, len, false)] {
            let mut bytes = table.clone();
            bytes[at..at + 4].copy_from_slice(&start.to_le_bytes());
            bytes[at + 4..at + 8].copy_from_slice(&end.to_le_bytes());
            let bytes = leak(&bytes);
            assert_eq!(Reader(bytes).key_table(false).is_none(), refused);
            assert!(Reader(bytes).key_table(true).is_some());
        }
    }

    /// A damaged or cut file is refused, not read wrong: every cut, and a bad magic.
    #[test]
    fn damaged_stored_rules_are_refused() {
        let (_, blob) = current();
        for cut in (0..blob.len() - 8).step_by(4999) {
            let mut short = blob[..cut].to_vec();
            short.extend_from_slice(&[0; 8]);
            assert!(read(leak(&short), false).is_none(), "cut at {cut}");
        }
        let mut bad = blob.clone();
        bad[0] ^= 1;
        assert!(read(leak(&bad), false).is_none());
        // build.rs's check: the sums.
        assert!(super::super::stored_header::stored_rules_current(
            &blob,
            BUILTIN.as_bytes()
        ));
        assert!(!super::super::stored_header::stored_rules_current(
            &blob,
            b"another rule file"
        ));
        let mut flipped = blob.clone();
        flipped[blob.len() / 2] ^= 0x10;
        assert!(!super::super::stored_header::stored_rules_current(
            &flipped,
            BUILTIN.as_bytes()
        ));
    }
}
