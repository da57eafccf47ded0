//! Writes the stop-words crate's lists as one string per language with the length of each
//! word (`$OUT_DIR/stopword_lists.rs`, included by src/language.rs).
//!
//! The crate holds each list as an array of `&str`: every word's pointer is a relative
//! relocation that the dynamic loader applies at every process start (19,900 of the
//! binary's 29,700), writing to some 78 pages of `.data.rel.ro` that each cost a
//! copy-on-write page fault. A string per list needs no relocation.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let mut out = String::new();
    out.push_str(
        "/// The stop-words crate's list for `code` as its words run together, in the crate's\n\
         /// order, and the byte length of each; `None` for a code the crate lacks.\n\
         fn stopword_text(code: &str) -> Option<(&'static str, &'static [u8])> {\n    match code {\n",
    );
    for code in stop_words::available_languages() {
        let words = stop_words::lookup(code).expect("an available language has a list");
        // Lengths rather than separators: finding each separator cost some 1.4M
        // instructions per process for the supported languages' lists.
        let mut lens = String::new();
        for w in words {
            let len = u8::try_from(w.len()).unwrap_or_else(|_| {
                panic!("stop-words: the list of {code} has a word of over 255 bytes: {w:?}")
            });
            write!(lens, "\\x{len:02x}").expect("writing to a String");
        }
        writeln!(
            out,
            "        {code:?} => Some(({:?}, b\"{lens}\")),",
            words.concat()
        )
        .expect("writing to a String");
    }
    out.push_str("        _ => None,\n    }\n}\n");
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    let path = Path::new(&dir).join("stopword_lists.rs");
    std::fs::write(&path, out).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}
