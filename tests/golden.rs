//! Golden tests: the seeds against the editor's expected output, and `tests/golden/cases/`
//! folders (`input.txt` + `expected.txt`; set `BLESS=1` to rewrite the expected files after
//! a deliberate change, then review the diff).

use std::fs;
use std::path::{Path, PathBuf};

use boilerstrip::{eval, Cleaner, Config};

mod util;
use util::fold;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn cleaner() -> Cleaner {
    Cleaner::new(Config::default()).expect("built-in rules load")
}

#[test]
fn seeds_match_the_editor() {
    let cleaner = cleaner();
    let mut seen = 0;
    for entry in fs::read_dir(root().join("tests/golden/seeds")).unwrap() {
        let expected_path = entry.unwrap().path();
        let name = expected_path.file_name().unwrap().to_owned();
        let input = fs::read(root().join("seeds").join(&name)).unwrap();
        let expected = fs::read_to_string(&expected_path).unwrap();
        let output = cleaner.clean(&input).unwrap().text;
        let name = name.to_string_lossy();

        let score = eval::score_doc(&output, &expected);
        assert!(
            score.f1 >= 0.95,
            "{name}: F1 {:.3} < 0.95\n--- output:\n{output}",
            score.f1
        );

        // Every input line the editor left out (after folding spaces) must be gone too.
        let kept: Vec<String> = expected.lines().map(fold).collect();
        let out_lines: Vec<String> = output.lines().map(fold).collect();
        let input_text = String::from_utf8_lossy(&input);
        for line in input_text.lines().map(fold).filter(|l| !l.is_empty()) {
            if !kept.contains(&line) {
                assert!(
                    !out_lines.contains(&line),
                    "{name}: dropped line left in: {line}"
                );
            }
        }
        seen += 1;
    }
    assert_eq!(seen, 5, "all five seeds are checked");
}

fn case_dirs() -> Vec<PathBuf> {
    let dir = root().join("tests/golden/cases");
    let mut dirs: Vec<PathBuf> = fs::read_dir(&dir)
        .map(|rd| {
            rd.map(|e| e.unwrap().path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    dirs.sort();
    dirs
}

fn check_case(cleaner: &Cleaner, dir: &Path) -> Option<String> {
    let input = fs::read(dir.join("input.txt")).unwrap();
    let output = cleaner.clean(&input).unwrap().text;
    let expected_path = dir.join("expected.txt");
    if std::env::var_os("BLESS").is_some() {
        fs::write(&expected_path, &output).unwrap();
        return None;
    }
    let expected = fs::read_to_string(&expected_path).unwrap_or_default();
    (output != expected).then(|| {
        format!(
            "{}: output differs\n--- expected:\n{expected}\n--- got:\n{output}",
            dir.display()
        )
    })
}

#[test]
fn golden_cases_are_unchanged() {
    let cleaner = cleaner();
    let failures: Vec<String> = case_dirs()
        .iter()
        .filter_map(|d| check_case(&cleaner, d))
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
