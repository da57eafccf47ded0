//! The command line, end to end: the interface contract of SPEC.md and the bad inputs a
//! batch meets in practice. Each failure must name the file, leave the others written and
//! exit with status 1.

use std::fs;

use assert_cmd::Command;
use predicates::prelude::*;

mod util;
use util::{tree_names, write};

const ARTICLE: &str = "Menu\nHome\n\nA Quiet Town Gets Its First Library\n\n\
The town council voted on Tuesday to open the first public library in the old school \
building, after years of debate about the cost of the renovation.\n\n\
Residents who spoke at the meeting said that the children of the town had waited long \
enough, and that the books donated by local families were ready to be shelved.\n\n\
The library will open in the spring, and volunteers have already signed up to run the \
reading room on weekends.\n\nLeave a Reply\nShare\n";

/// Runs a command that must succeed and returns its standard output.
trait OkStdout {
    fn ok_stdout(&mut self) -> Vec<u8>;
}

impl OkStdout for Command {
    fn ok_stdout(&mut self) -> Vec<u8> {
        self.assert().success().get_output().stdout.clone()
    }
}

fn bs() -> Command {
    Command::cargo_bin("boilerstrip").unwrap()
}

#[test]
fn folder_in_folder_out_same_relative_paths() {
    let t = tempfile::tempdir().unwrap();
    write(&t.path().join("in/a.txt"), ARTICLE.as_bytes());
    write(&t.path().join("in/sub/deeper/b.txt"), ARTICLE.as_bytes());
    bs().args(["clean", "--quiet", "--out"])
        .arg(t.path().join("out"))
        .arg(t.path().join("in"))
        .assert()
        .success();
    assert_eq!(
        tree_names(&t.path().join("out")),
        ["a.txt", "sub/deeper/b.txt"]
    );
    let out = fs::read_to_string(t.path().join("out/a.txt")).unwrap();
    assert!(
        out.starts_with("A Quiet Town Gets Its First Library\n\n"),
        "{out}"
    );
    assert!(out.contains("reading room on weekends."));
    assert!(!out.contains("Leave a Reply"));
    assert!(!out.contains("Menu"));
}

#[test]
fn no_headline_writes_the_body_alone() {
    let with = String::from_utf8(bs().arg("clean").write_stdin(ARTICLE).ok_stdout()).unwrap();
    let body = String::from_utf8(
        bs().args(["clean", "--no-headline"])
            .write_stdin(ARTICLE)
            .ok_stdout(),
    )
    .unwrap();
    assert!(
        with.starts_with("A Quiet Town Gets Its First Library\n\n"),
        "{with}"
    );
    assert!(body.starts_with("The town council voted"), "{body}");
    assert_eq!(with.split_once("\n\n").unwrap().1, body);
}

#[test]
fn stdin_filter_and_single_file_to_stdout_agree() {
    let t = tempfile::tempdir().unwrap();
    let file = t.path().join("page.txt");
    write(&file, ARTICLE.as_bytes());
    let from_file = bs().arg("clean").arg(&file).ok_stdout();
    let from_stdin = bs().arg("clean").write_stdin(ARTICLE).ok_stdout();
    let from_dash = bs().args(["clean", "-"]).write_stdin(ARTICLE).ok_stdout();
    assert_eq!(from_file, from_stdin);
    assert_eq!(from_file, from_dash);
    assert!(String::from_utf8(from_file)
        .unwrap()
        .contains("first public library"));
}

#[test]
fn explain_lists_every_line_with_a_verdict_and_reason() {
    let out = bs()
        .args(["clean", "--explain"])
        .write_stdin(ARTICLE)
        .ok_stdout();
    let out = String::from_utf8(out).unwrap();
    let lines: Vec<&str> = out.lines().filter(|l| !l.starts_with('#')).collect();
    assert_eq!(
        lines.len(),
        ARTICLE.lines().filter(|l| !l.trim().is_empty()).count()
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("- ") && l.contains("rule:") && l.ends_with("Leave a Reply")),
        "{out}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("+ ") && l.contains("headline")),
        "{out}"
    );
}

#[test]
fn report_counts_files_lines_and_reasons() {
    let t = tempfile::tempdir().unwrap();
    write(&t.path().join("in/a.txt"), ARTICLE.as_bytes());
    write(
        &t.path().join("in/bad.txt"),
        "na\u{ef}ve \u{2014} ok text "
            .bytes()
            .chain(*b"\xff\xfe with a bad byte and more words here.\n")
            .collect::<Vec<u8>>()
            .as_slice(),
    );
    let report = t.path().join("r.json");
    bs().args(["clean", "--quiet", "--report"])
        .arg(&report)
        .arg("--out")
        .arg(t.path().join("out"))
        .arg(t.path().join("in"))
        .assert()
        .success();
    let json: serde_json::Value = serde_json::from_slice(&fs::read(&report).unwrap()).unwrap();
    assert_eq!(json["totals"]["files_ok"], 2);
    assert!(json["totals"]["lines_dropped"]
        .as_object()
        .unwrap()
        .keys()
        .any(|k| k.starts_with("rule:")));
    assert!(json["totals"]["replaced"].as_u64().unwrap() >= 1);
    assert_eq!(json["files"].as_array().unwrap().len(), 2);
}

#[test]
fn bad_inputs_are_reported_and_the_rest_is_written() {
    let t = tempfile::tempdir().unwrap();
    let input = t.path().join("in");
    write(&input.join("good.txt"), ARTICLE.as_bytes());
    write(&input.join("empty.txt"), b"");
    write(
        &input.join("binary.bin"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x10\0\0\0\x10\x08\x02\0\0\0\x90\x91h6",
    );
    write(
        &input.join("invalid-utf8.txt"),
        "Caf\u{e9} \u{201c}quoted\u{201d} text with a broken "
            .bytes()
            .chain(*b"\xe2\x82 sequence \xff in it, and more words.\n")
            .collect::<Vec<u8>>()
            .as_slice(),
    );
    std::os::unix::fs::symlink(input.join("nowhere.txt"), input.join("dangling.txt")).unwrap();
    std::os::unix::fs::symlink(&input, input.join("loop")).unwrap();
    let fifo = input.join("fifo.txt");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let out = t.path().join("out");
    let assert = bs()
        .args(["clean", "--quiet", "--out"])
        .arg(&out)
        .arg(&input)
        .arg(t.path().join("missing.txt"))
        .assert()
        .code(1);
    let stderr = String::from_utf8(assert.get_output().stderr.clone()).unwrap();
    for (name, why) in [
        ("binary.bin", "binary"),
        ("dangling.txt", "No such file"),
        ("fifo.txt", "FIFO"),
        ("missing.txt", "No such file"),
        ("loop", "loop"),
    ] {
        assert!(
            stderr.lines().any(|l| l.contains(name) && l.contains(why)),
            "no '{why}' error for {name}:\n{stderr}"
        );
    }
    assert_eq!(
        tree_names(&out),
        ["empty.txt", "good.txt", "invalid-utf8.txt"]
    );
    assert_eq!(fs::read(out.join("empty.txt")).unwrap(), b"");
    assert!(fs::read_to_string(out.join("invalid-utf8.txt"))
        .unwrap()
        .contains('\u{FFFD}'));
}

#[test]
fn unwritable_output_names_each_file_and_exits_1() {
    let t = tempfile::tempdir().unwrap();
    write(&t.path().join("in/a.txt"), ARTICLE.as_bytes());
    write(&t.path().join("in/b.txt"), ARTICLE.as_bytes());
    let not_a_dir = t.path().join("file");
    write(&not_a_dir, b"x");
    bs().args(["clean", "--quiet", "--out"])
        .arg(&not_a_dir)
        .arg(t.path().join("in"))
        .assert()
        .code(1)
        .stderr(
            predicate::str::contains("a.txt: cannot write")
                .and(predicate::str::contains("b.txt: cannot write")),
        );
    bs().args(["clean", "--quiet", "--out", "/proc/boilerstrip-test"])
        .arg(t.path().join("in"))
        .assert()
        .code(1);
}

#[test]
fn huge_line_without_newline_is_cleaned() {
    let t = tempfile::tempdir().unwrap();
    let sentence =
        "The river rose slowly over the fields, and the farmers watched it from the hill. ";
    let big: String = sentence.repeat(50_000_000 / sentence.len());
    write(&t.path().join("in/big.txt"), big.as_bytes());
    bs().args(["clean", "--quiet", "--out"])
        .arg(t.path().join("out"))
        .arg(t.path().join("in"))
        .assert()
        .success();
    let out = fs::metadata(t.path().join("out/big.txt")).unwrap();
    assert!(
        out.len() > 40_000_000,
        "the one long paragraph is kept: {} bytes",
        out.len()
    );
}

#[test]
fn output_is_identical_whatever_the_thread_count() {
    let t = tempfile::tempdir().unwrap();
    for i in 0..20 {
        let text =
            format!("{ARTICLE}\nPage {i} of a series, with words that differ per page {i}.\n");
        write(&t.path().join(format!("in/{i:02}.txt")), text.as_bytes());
    }
    for jobs in ["1", "2"] {
        bs().args(["clean", "--quiet", "--jobs", jobs, "--out"])
            .arg(t.path().join(format!("out{jobs}")))
            .arg(t.path().join("in"))
            .assert()
            .success();
    }
    for name in tree_names(&t.path().join("out1")) {
        assert_eq!(
            fs::read(t.path().join("out1").join(&name)).unwrap(),
            fs::read(t.path().join("out2").join(&name)).unwrap(),
            "{name}"
        );
    }
    assert_eq!(tree_names(&t.path().join("out1")).len(), 20);
}

#[test]
fn usage_errors_exit_2() {
    bs().args(["clean", "--no-such-flag"]).assert().code(2);
    let t = tempfile::tempdir().unwrap();
    // `--jobs 0` is refused before any file is read or written.
    write(&t.path().join("in/a.txt"), ARTICLE.as_bytes());
    for cmd in ["clean", "count"] {
        bs().args([cmd, "--jobs", "0", "--out"])
            .arg(t.path().join(format!("out-{cmd}")))
            .arg(t.path().join("in"))
            .assert()
            .code(2)
            .stderr(predicate::str::contains("--jobs must be at least 1"));
        assert!(!t.path().join(format!("out-{cmd}")).exists(), "{cmd}");
    }
    bs().arg("clean")
        .arg(t.path())
        .arg(t.path())
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--out"));
}

#[test]
fn eval_scores_a_folder_against_gold() {
    let t = tempfile::tempdir().unwrap();
    write(&t.path().join("in/a.txt"), ARTICLE.as_bytes());
    let gold = "The town council voted on Tuesday to open the first public library in the old school building, after years of debate about the cost of the renovation.\n";
    write(&t.path().join("gold/a.txt"), gold.as_bytes());
    let out = bs()
        .args(["eval", "--json", "--input"])
        .arg(t.path().join("in"))
        .arg("--gold")
        .arg(t.path().join("gold"))
        .ok_stdout();
    let json: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(json["documents"], 1);
    assert!(json["recall"].as_f64().unwrap() > 0.99);
    assert!(json["precision"].as_f64().unwrap() < 0.7);
}

/// build.rs links the binary statically where it can (`BOILERSTRIP_LINK` = `static`, or
/// `static-pie` with `BOILERSTRIP_PIE=1`): then it must ask for no loader and no shared
/// library (else it would start with libc unresolved), at a fixed address (nothing to
/// relocate at start) or position-independent as asked; a dynamic link must still ask for
/// both.
#[test]
#[cfg(all(
    target_os = "linux",
    target_pointer_width = "64",
    target_endian = "little"
))]
fn binary_is_linked_as_build_rs_says() {
    let elf = fs::read(env!("CARGO_BIN_EXE_boilerstrip")).unwrap();
    let u16_at = |at: usize| u16::from_le_bytes(elf[at..at + 2].try_into().unwrap());
    let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap());
    let u64_at = |at: usize| {
        let v = u64::from_le_bytes(elf[at..at + 8].try_into().unwrap());
        usize::try_from(v).unwrap()
    };
    assert_eq!(&elf[..5], b"\x7fELF\x02", "a 64-bit ELF file");
    let (phoff, phentsize, phnum) = (u64_at(32), usize::from(u16_at(54)), u16_at(56));
    let mut interp = false;
    let mut needed = 0;
    for i in 0..usize::from(phnum) {
        let ph = phoff + i * phentsize;
        match u32_at(ph) {
            3 => interp = true, // PT_INTERP
            2 => {
                // PT_DYNAMIC: entries of 16 bytes (tag, value), DT_NEEDED = 1.
                let (offset, size) = (u64_at(ph + 8), u64_at(ph + 32));
                needed += (offset..offset + size)
                    .step_by(16)
                    .filter(|&at| u64_at(at) == 1)
                    .count();
            }
            _ => {}
        }
    }
    // e_type: ET_EXEC (2) at a fixed address, ET_DYN (3) position-independent.
    let e_type = u16_at(16);
    match env!("BOILERSTRIP_LINK") {
        "dynamic" => {
            assert!(interp, "a dynamic binary without a loader");
            assert!(needed > 0, "a dynamic binary needs no shared library");
        }
        kind => {
            assert!(!interp, "a static binary asks for a loader");
            assert_eq!(needed, 0, "a static binary needs shared libraries");
            let pie = kind == "static-pie";
            assert_eq!(e_type, if pie { 3 } else { 2 }, "e_type of a {kind} link");
        }
    }
}
