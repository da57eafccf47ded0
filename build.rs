//! Writes the stop-words crate's lists as one string per language with the length of each
//! word (`$OUT_DIR/stopword_lists.rs`, included by src/language.rs).
//!
//! The crate holds each list as an array of `&str`: every word's pointer is a relative
//! relocation that the dynamic loader applies at every process start (19,900 of the
//! binary's 29,700), writing to some 78 pages of `.data.rel.ro` that each cost a
//! copy-on-write page fault. A string per list needs no relocation.
//!
//! Also checks the sum at the end of rules/default.dfa (`$OUT_DIR/dfa_blob.rs`, see
//! `write_dfa_blob_check`), and writes segment's tables of the characters below U+0800
//! (`$OUT_DIR/two_byte_tables.rs`, see `write_two_byte_tables`).
//!
//! Also writes the language identifier's word table, built from the supported languages'
//! lists (`$OUT_DIR/word_table.rs`, included by src/language.rs): built at run time, it
//! cost every process some 0.44 ms and 200 page faults to allocate and fill; as arrays of
//! integers it is read-only data that needs no relocation, whose pages a lookup faults in
//! from the file only when it touches them.
//!
//! Also writes the natural logarithms of small counts that the features look up
//! (`$OUT_DIR/ln_table.rs`, included by src/features.rs; see `write_ln_table`).
//!
//! Also writes the built-in model's numbers as constants (`$OUT_DIR/builtin_model.rs`,
//! included by src/model.rs; see build/model.rs), so that no process parses its JSON.
//!
//! Also links the binaries (and their unit tests; not the other tests, the benches, this
//! script or the proc macros) statically where the C library's static archives are
//! present, see `link_bins_statically`: a process that cleans one file then starts without
//! the dynamic loader, its relocations of libc and their page faults, some 10% of its CPU
//! time; and not position-independent, which saves as much again (no relocation of its own
//! pointers at start). `BOILERSTRIP_PIE=1` in the build's environment keeps a static PIE
//! (its address randomised), `BOILERSTRIP_DYNAMIC=1` the dynamic link.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

// FNV-1a, which sums rules/default.dfa: the library's own code.
#[path = "src/rules/fnv.rs"]
mod fnv;

// The check of rules/default.rules: the library's own code.
#[path = "src/rules/stored_header.rs"]
mod stored_header;

// The keys, hashes and probing of the table: the library's own code.
#[path = "src/language/word_table.rs"]
mod word_table;

// The built-in model's numbers as constants.
#[path = "build/model.rs"]
mod model;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=src/language/word_table.rs");
    println!("cargo:rerun-if-changed=build/model.rs");
    let dir = std::env::var("OUT_DIR").expect("cargo sets OUT_DIR for build scripts");
    write_stopword_lists(Path::new(&dir));
    write_word_table(Path::new(&dir));
    write_dfa_blob_check(Path::new(&dir));
    write_stored_rules_check(Path::new(&dir));
    write_two_byte_tables(Path::new(&dir));
    write_ln_table(Path::new(&dir));
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    model::write_builtin_model(Path::new(&root), Path::new(&dir));
    link_bins_statically(Path::new(&dir));
}

/// Writes `dfa_blob.rs` into `dir`: `DFA_BLOB_INTACT`, whether rules/default.dfa ends with
/// the right sum of its bytes. The library then reads its automata without
/// regex-automata's checks of every transition (most of the work of a process that cleans
/// one page); a damaged file is read with the checks, which refuse it.
fn write_dfa_blob_check(dir: &Path) {
    const BLOB: &str = "rules/default.dfa";
    println!("cargo:rerun-if-changed={BLOB}");
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let path = Path::new(&root).join(BLOB);
    let blob =
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let intact = fnv::blob_sum_holds(&blob);
    if !intact {
        println!(
            "cargo:warning={BLOB} is damaged (its sum is wrong): its automata are read with \
             every check, or compiled; regenerate it with `make rules-dfa`"
        );
    }
    write(
        &dir.join("dfa_blob.rs"),
        &format!(
            "/// Whether build.rs found `{BLOB}`'s sum right.\nconst DFA_BLOB_INTACT: bool = {intact};\n"
        ),
    );
}

/// Writes `stored_rules.rs` into `dir`: `STORED_RULES_CURRENT`, whether
/// rules/default.rules holds the compiled form of rules/default.toml as it is now, whole
/// (see src/rules/stored.rs). The library reads the rules from it when so, and compiles
/// the rule file when not: after an edit of the rules, until `make rules-stored`.
fn write_stored_rules_check(dir: &Path) {
    const STORED: &str = "rules/default.rules";
    const SOURCE: &str = "rules/default.toml";
    println!("cargo:rerun-if-changed={STORED}");
    println!("cargo:rerun-if-changed={SOURCE}");
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let read = |name: &str| {
        let path = Path::new(&root).join(name);
        std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
    };
    let current = stored_header::stored_rules_current(&read(STORED), &read(SOURCE));
    if !current {
        println!(
            "cargo:warning={STORED} is stale or damaged: the built-in rules are compiled at \
             every start; regenerate it with `make rules-stored`"
        );
    }
    write(
        &dir.join("stored_rules.rs"),
        &format!(
            "/// Whether build.rs found `{STORED}` current and whole.\nconst STORED_RULES_CURRENT: bool = {current};\n"
        ),
    );
}

/// Writes `stopword_lists.rs` into `dir`.
fn write_stopword_lists(dir: &Path) {
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
    write(&dir.join("stopword_lists.rs"), &out);
}

/// Writes `word_table.rs` into `dir`: the word table of the supported languages' lists as
/// constants, `LANG_LONG_SLOTS`, `LANG_EIGHT`, `LANG_KEYS`, `LANG_MASKS` and `LANG_FILTER`
/// (see `WordLanguages` in src/language.rs).
fn write_word_table(dir: &Path) {
    let words = word_table::SUPPORTED
        .iter()
        .enumerate()
        .flat_map(|(idx, code)| {
            let list = stop_words::lookup(code)
                .unwrap_or_else(|| panic!("stop-words: no list for the supported {code}"));
            list.iter().map(move |w| (*w, 1u32 << idx))
        });
    let t = word_table::build(words);
    // One slot a line; an array of integers (no pointer) needs no relocation.
    let eight: String = t
        .eight
        .iter()
        .map(|(k, m)| format!("({k:#x}, {m:#x}),\n"))
        .collect();
    let keys: String = t
        .keys
        .iter()
        .map(|[lo, hi]| format!("[{lo:#x}, {hi:#x}],\n"))
        .collect();
    let masks: String = t.masks.iter().map(|m| format!("{m:#x},\n")).collect();
    let filter: String = t.filter.iter().map(|b| format!("{b:#x},\n")).collect();
    // Clippy's large_const_arrays warns of copies at each use: each is used once, in the
    // initializer of the static that holds the table.
    let out = format!(
        "/// The slots of `LANG_KEYS` and `LANG_MASKS`.\n\
         const LANG_LONG_SLOTS: usize = {};\n\
         /// `WordLanguages::eight` of the supported lists.\n\
         #[allow(clippy::large_const_arrays)]\n\
         const LANG_EIGHT: [(u64, u32); LANG_EIGHT_SLOTS] = [\n{eight}];\n\
         /// `WordLanguages::keys` of the supported lists.\n\
         #[allow(clippy::large_const_arrays)]\n\
         const LANG_KEYS: [[u64; 2]; LANG_LONG_SLOTS] = [\n{keys}];\n\
         /// `WordLanguages::masks` of the supported lists.\n\
         #[allow(clippy::large_const_arrays)]\n\
         const LANG_MASKS: [u32; LANG_LONG_SLOTS] = [\n{masks}];\n\
         /// `WordLanguages::filter` of the supported lists.\n\
         #[allow(clippy::large_const_arrays)]\n\
         const LANG_FILTER: [u64; FILTER_WORDS] = [\n{filter}];\n",
        t.keys.len()
    );
    write(&dir.join("word_table.rs"), &out);
}

/// Writes `two_byte_tables.rs` into `dir`: for every character below U+0800 (two UTF-8
/// bytes), its class (`TWO_BYTE_CLASSES`: 1 alphabetic, 2 uppercase, 4 numeric, the bits of
/// `ALPHA`, `UPPER` and `DIGIT` in src/segment.rs) and its lowercase when that is one
/// character (`TWO_BYTE_LOWERCASE`, 0 otherwise and for ASCII), and its case and space bits
/// (`TWO_BYTE_CASE`: 1 `is_lowercase`, 2 `is_uppercase`, 4 `is_whitespace`, for the rules'
/// keys), included by src/segment.rs.
/// Built at run time, the classes cost every process some 1.2M instructions (a search of
/// the Unicode tables per character), spent at the first non-ASCII phrase of the rules.
/// The build script runs on the same toolchain's `std`, so its Unicode tables are those
/// of the binary (a test compares the tables with the predicates).
fn write_two_byte_tables(dir: &Path) {
    let mut classes = String::new();
    let mut lower = String::new();
    let mut case = String::new();
    for u in 0..0x800u32 {
        let (class, low, bits) = char::from_u32(u).map_or((0, 0, 0), |c| {
            let class = u8::from(c.is_alphabetic())
                | u8::from(c.is_uppercase()) << 1
                | u8::from(c.is_numeric()) << 2;
            let mut l = c.to_lowercase();
            let low = match (l.next(), l.next()) {
                // A lowercase above U+FFFF would not fit; none of these has one.
                (Some(one), None) if u >= 0x80 => u16::try_from(one as u32).unwrap_or(0),
                _ => 0,
            };
            let bits = u8::from(c.is_lowercase())
                | u8::from(c.is_uppercase()) << 1
                | u8::from(c.is_whitespace()) << 2;
            (class, low, bits)
        });
        write!(classes, "{class},").expect("writing to a String");
        write!(lower, "{low:#x},").expect("writing to a String");
        write!(case, "{bits},").expect("writing to a String");
        if u % 32 == 31 {
            classes.push('\n');
            lower.push('\n');
            case.push('\n');
        }
    }
    let out = format!(
        "/// The class bits of every character below U+0800 (see `two_byte_classes`).\n\
         static TWO_BYTE_CLASSES: [u8; 0x800] = [\n{classes}];\n\
         /// The one-character lowercase of every character below U+0800, or 0 (see\n\
         /// `two_byte_lowercase`).\n\
         static TWO_BYTE_LOWERCASE: [u16; 0x800] = [\n{lower}];\n\
         /// The case and space bits of every character below U+0800 (see\n\
         /// `two_byte_case`).\n\
         static TWO_BYTE_CASE: [u8; 0x800] = [\n{case}];\n"
    );
    write(&dir.join("two_byte_tables.rs"), &out);
}

/// Writes `ln_table.rs` into `dir`: `LN_TABLE`, `(1 + n).ln()` as an `f32` for the counts
/// `n < 4096` that features.rs looks up (`LnTable`), as bit patterns. Filled at run time,
/// the table cost every process 4,096 calls of `logf` (0.15M instructions) and an
/// allocation. The bits are this build machine's `logf`'s; a test in features.rs checks
/// them against the binary's own on the machine that runs it.
fn write_ln_table(dir: &Path) {
    const SMALL: u32 = 4096;
    let mut out = String::from(
        "/// `(1 + n).ln()` for `n < 4096`, written by build.rs (see `LnTable`).\n\
         static LN_TABLE: [f32; 4096] = [\n",
    );
    for n in 0..SMALL {
        // The same expression as `LnTable::ln_1p`'s fallback, `n` converted as there.
        let v = (1.0 + n as f32).ln();
        write!(out, "f32::from_bits({:#010x}),", v.to_bits()).expect("writing to a String");
        if n % 8 == 7 {
            out.push('\n');
        }
    }
    out.push_str("];\n");
    write(&dir.join("ln_table.rs"), &out);
}

/// Writes `text` to `path`, naming the file when that fails.
fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
}

/// The files a static link takes from the C library and the compiler: the archives of
/// rustc's `-C target-feature=+crt-static` link (`-lutil -lrt -lpthread -lm -ldl -lc
/// -lgcc_eh -lgcc -lc`); and the start code, which the driver adds itself, is
/// [`start_file`].
const STATIC_FILES: [&str; 8] = [
    "libc.a",
    "libutil.a",
    "librt.a",
    "libpthread.a",
    "libm.a",
    "libdl.a",
    "libgcc_eh.a",
    "libgcc.a",
];

/// The start code of a static link: `rcrt1.o` for a static PIE, `crt1.o` for a binary at a
/// fixed address.
fn start_file(pie: bool) -> &'static str {
    if pie {
        "rcrt1.o"
    } else {
        "crt1.o"
    }
}

/// Makes the binaries static (`-static -no-pie`) on Linux with glibc, when the linker finds
/// every file of `STATIC_FILES` and the start code; otherwise, or with `BOILERSTRIP_DYNAMIC`
/// set (not to `0`), the link stays dynamic.
///
/// A static binary at a fixed address has nothing to relocate at start. A static PIE
/// relocates its own pointers first (some 11,000: string and table references in the
/// crates' constant data, panic locations), writing to the 54 pages of `.data.rel.ro`,
/// each a copy-on-write page fault: one process per file cost 10% more CPU time (`ab_time.py
/// --per-file`, 2.44 against 2.21 ms). Without PIE the kernel does not randomise the
/// program's own address (it still does the stack's, the heap's and the mappings');
/// `BOILERSTRIP_PIE` set (not to `0`) keeps the static PIE (`-static-pie`).
///
/// `-C target-feature=+crt-static` would do it, but without `--target` rustc applies it to
/// build scripts and proc macros too, and refuses the latter; with `--target` the binary
/// moves out of `target/release`. `-static-pie` alone as a link argument of the binaries is
/// not enough: rustc still names the shared libraries (`-Bdynamic -lgcc_s ... -lc`), which
/// the linker then takes, leaving a binary that needs libc.so but has no loader. So a
/// directory searched before the system's (the compiler driver puts every `-L` before the
/// inputs) holds a linker script for each of those names, `libNAME.a`, which the linker
/// finds before the system's `libNAME.so`: together they give crt-static's archives in its
/// order, and `libgcc_s.a` gives nothing (the unwinder is `libgcc_eh.a`'s).
///
/// Only for a build on the machine it runs on (`TARGET` = `HOST`): the probe asks the
/// linker without the target's flags. Nothing here fails the build.
fn link_bins_statically(out_dir: &Path) {
    println!("cargo:rerun-if-env-changed=BOILERSTRIP_DYNAMIC");
    println!("cargo:rerun-if-env-changed=BOILERSTRIP_PIE");
    println!("cargo:rerun-if-env-changed=RUSTC_LINKER");
    let pie = set("BOILERSTRIP_PIE");
    let dir = static_link_dir(out_dir, pie);
    if let Some(dir) = &dir {
        if pie {
            println!("cargo:rustc-link-arg-bins=-static-pie");
        } else {
            // After rustc's own `-pie`, which the last of the two overrides.
            println!("cargo:rustc-link-arg-bins=-static");
            println!("cargo:rustc-link-arg-bins=-no-pie");
        }
        println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
    }
    // For the tests, which check the binary's program headers against it.
    let kind = match (&dir, pie) {
        (None, _) => "dynamic",
        (Some(_), true) => "static-pie",
        (Some(_), false) => "static",
    };
    println!("cargo:rustc-env=BOILERSTRIP_LINK={kind}");
}

/// Whether the environment variable `name` is set, and not empty or `0`.
fn set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty() && v != "0")
}

/// Writes the linker scripts of `link_bins_statically` into `out_dir/static-libs` and
/// returns that directory, or `None` where the static link is not to be done.
fn static_link_dir(out_dir: &Path, pie: bool) -> Option<PathBuf> {
    let var = |name: &str| std::env::var(name).unwrap_or_default();
    if set("BOILERSTRIP_DYNAMIC")
        || var("CARGO_CFG_TARGET_OS") != "linux"
        || var("CARGO_CFG_TARGET_ENV") != "gnu"
        || var("TARGET") != var("HOST")
        // rustc links statically already, by its own rules.
        || var("CARGO_CFG_TARGET_FEATURE").split(',').any(|f| f == "crt-static")
        // The user's own relocation model (`static` is not PIE) is left alone.
        || var("CARGO_ENCODED_RUSTFLAGS").contains("relocation-model")
    {
        return None;
    }
    let linker = std::env::var("RUSTC_LINKER").unwrap_or_else(|_| "cc".to_owned());
    let mut found = Vec::with_capacity(STATIC_FILES.len());
    for name in STATIC_FILES.into_iter().chain([start_file(pie)]) {
        match find_file(&linker, name) {
            // The path goes into a linker script between double quotes.
            Some(path) if path.to_str().is_some_and(|p| !p.contains('"')) => found.push(path),
            // No static C library (Fedora without glibc-static, say): the usual build, quietly.
            None if name == "libc.a" => return None,
            // libc.a without the rest is unusual enough to say why.
            None => {
                println!(
                    "cargo:warning=the binaries are linked dynamically: `{linker}` finds libc.a \
                     but not {name}"
                );
                return None;
            }
            Some(path) => {
                println!(
                    "cargo:warning=the binaries are linked dynamically: the path of {name}, {}, \
                     cannot go into a linker script",
                    path.display()
                );
                return None;
            }
        }
    }
    let input = |names: &[&str]| {
        let paths: Vec<String> = names
            .iter()
            .map(|n| {
                let at = STATIC_FILES
                    .iter()
                    .position(|f| f == n)
                    .expect("a name of STATIC_FILES");
                format!("\"{}\"", found[at].display())
            })
            .collect();
        format!("INPUT({})\n", paths.join(" "))
    };
    let dir = out_dir.join("static-libs");
    std::fs::create_dir_all(&dir)
        .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    for name in ["util", "rt", "pthread", "m", "dl"] {
        let archive = format!("lib{name}.a");
        write(&dir.join(&archive), &input(&[&archive]));
    }
    // glibc's libc.a calls the unwinder, which calls libc.
    write(
        &dir.join("libc.a"),
        &input(&["libc.a", "libgcc_eh.a", "libgcc.a", "libc.a"]),
    );
    write(
        &dir.join("libgcc_s.a"),
        "/* Nothing: a static link's unwinder is libgcc_eh.a, in libc.a's script. */\n",
    );
    Some(dir)
}

/// The path at which `linker` (a C compiler driver) finds `name`, if it is there.
fn find_file(linker: &str, name: &str) -> Option<PathBuf> {
    let out = Command::new(linker)
        .arg(format!("-print-file-name={name}"))
        .output()
        .ok()
        .filter(|o| o.status.success())?;
    let text = String::from_utf8(out.stdout).ok()?;
    // A file the driver does not find comes back as its bare name.
    let path = PathBuf::from(text.trim_end());
    let path = path.canonicalize().ok().filter(|_| path.is_absolute())?;
    path.is_file().then_some(path)
}
