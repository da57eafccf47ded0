//! Pages the cleaner has never seen: realistic scraped news pages in many languages
//! (`tests/golden/pages/<lang>-<slug>/`), each with what a careful editor keeps. Unlike
//! the golden cases they are not blessed from the tool's output: they measure whether
//! the rules and the classifier generalise to new sites and languages.
//!
//! A folder whose name ends in an encoding label (`-cp1252`, `-cp1251`, `-koi8-r`) holds
//! the page saved in that encoding; the checks read its input lines through that encoding.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

use boilerstrip::{eval, Cleaner, Config};
use encoding_rs::{Encoding, UTF_8};

mod util;
use util::fold;

/// Lowest shingle F1 a page may score against the editor's text.
const MIN_F1: f64 = 0.9;

fn pages_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/pages")
}

/// The encoding named by the end of a folder name (`de-x-cp1252` -> windows-1252), else
/// UTF-8. The longest matching tail wins, so `-koi8-r` is read as KOI8-R.
fn folder_encoding(name: &str) -> &'static Encoding {
    name.match_indices('-')
        .find_map(|(i, _)| Encoding::for_label(&name.as_bytes()[i + 1..]))
        .unwrap_or(UTF_8)
}

/// What went wrong with one page: its F1 and a message per failed check.
struct PageResult {
    name: String,
    f1: f64,
    problems: Vec<String>,
}

fn check_page(cleaner: &Cleaner, dir: &Path) -> PageResult {
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    let bytes = fs::read(dir.join("input.txt")).unwrap();
    let expected = fs::read_to_string(dir.join("expected.txt")).unwrap();
    let output = cleaner.clean(&bytes).unwrap().text;
    let mut problems = Vec::new();

    // (a) the article is there and little else.
    let f1 = eval::score_doc(&output, &expected).f1;
    if f1 < MIN_F1 {
        problems.push(format!("F1 {f1:.3} < {MIN_F1}"));
    }

    // (b) no line the editor dropped is left in the output.
    let (input, _, had_errors) = folder_encoding(&name).decode(&bytes);
    assert!(
        !had_errors,
        "{name}: input.txt is not valid in its folder's encoding"
    );
    let kept: HashSet<String> = expected.lines().map(fold).collect();
    let out_lines: HashSet<String> = output.lines().map(fold).collect();
    let mut left_in: Vec<String> = Vec::new();
    for line in input.lines().map(fold).filter(|l| !l.is_empty()) {
        if !kept.contains(&line) && out_lines.contains(&line) && !left_in.contains(&line) {
            left_in.push(line);
        }
    }
    for line in left_in {
        problems.push(format!("dropped line left in: {line}"));
    }

    // (c) the output opens with the headline.
    let want = expected.lines().next().map(fold).unwrap_or_default();
    let got = output.lines().next().map(fold).unwrap_or_default();
    if got != want {
        problems.push(format!("first line is {got:?}, want the headline {want:?}"));
    }

    PageResult { name, f1, problems }
}

#[test]
fn pages_in_many_languages_are_cleaned_like_an_editor_would() {
    let cleaner = Cleaner::new(Config::default()).expect("built-in rules load");
    let mut dirs: Vec<PathBuf> = fs::read_dir(pages_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    assert!(dirs.len() >= 5, "at least five pages, found {}", dirs.len());

    let results: Vec<PageResult> = dirs.iter().map(|d| check_page(&cleaner, d)).collect();
    if results.iter().any(|r| !r.problems.is_empty()) {
        let mut report = format!("{:<36} {:>6}  problems\n", "page", "F1");
        for r in &results {
            report += &format!("{:<36} {:>6.3}  {}\n", r.name, r.f1, r.problems.len());
        }
        for r in results.iter().filter(|r| !r.problems.is_empty()) {
            report += &format!("\n{}:\n", r.name);
            for p in &r.problems {
                report += &format!("  {p}\n");
            }
        }
        panic!("some pages are not cleaned like the editor's text:\n{report}");
    }
}
