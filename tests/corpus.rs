//! The cross-document pass end to end: a folder of pages from one made-up site, whose
//! template (menu, sidebar, footer) must go while each article stays, the same whatever the
//! thread count, and the same when the counts are made in halves and merged.

use std::fs;
use std::path::Path;

use assert_cmd::Command;

mod util;
use util::read_tree;

const TOWNS: [&str; 10] = [
    "Aldmere",
    "Brookhaven",
    "Carrow",
    "Dunmore",
    "Elsworth",
    "Fairlight",
    "Glenhollow",
    "Harrowgate",
    "Ivybridge",
    "Juniper Falls",
];
const THINGS: [&str; 10] = [
    "library",
    "ferry service",
    "market hall",
    "cycle path",
    "water works",
    "bus depot",
    "swimming pool",
    "town archive",
    "harbour wall",
    "school kitchen",
];

/// The template lines every page of the site carries, in words no UI rule knows: only
/// the cross-document pass can tell them from the article.
const HEADER: [&str; 5] = [
    "The Valley Courier",
    "Independent news from the three valleys since 1887",
    "Valley life",
    "Farming and markets",
    "Letters to the editor",
];
const SIDEBAR: [&str; 3] = [
    "Elsewhere in the valleys",
    "Why the old mill still divides the upper valley",
    "Readers pick their favourite riverside walks of the year",
];
const FOOTER: &str = "The Valley Courier is printed and published by Riverside Press on \
    Mill Lane, and distributed to shops in every parish of the three valleys.";
/// A paragraph two pages share (syndicated): not the site's template, must stay.
const SHARED: &str = "The regional assembly said on Monday that further funding would be \
    considered in the spring, once every council has submitted its plans.";

fn page(i: usize) -> String {
    let (town, thing) = (TOWNS[i], THINGS[i]);
    let next = TOWNS[(i + 3) % 10];
    let mut s = format!("{}\n\n", HEADER.join("\n\n"));
    s += &format!("Council in {town} backs plan for a new {thing}\n\n");
    s += &format!("Published {} March 2024\n\n", i + 1);
    s += &format!(
        "Councillors in {town} voted on Tuesday evening to go ahead with the new {thing}, \
         ending a debate that has divided residents since the autumn.\n\n"
    );
    s += &format!(
        "Supporters said the {thing} would bring visitors back to the centre of {town}, while \
         opponents warned that the cost had been badly underestimated by the planners.\n\n"
    );
    s += &format!(
        "Work is expected to begin next year, and a public meeting about the {thing} will be \
         held in {next} before the final designs are approved.\n\n"
    );
    if i < 2 {
        s += &format!("{SHARED}\n\n");
    }
    s += &format!("{}\n\n", SIDEBAR.join("\n\n"));
    s += FOOTER;
    s += "\n";
    s
}

/// Writes ten pages: `site/a` holds the first five, `site/b` the rest.
fn site(root: &Path) {
    for i in 0..10 {
        let half = if i < 5 { "a" } else { "b" };
        let dir = root.join("site").join(half);
        fs::create_dir_all(&dir).unwrap();
        fs::write(dir.join(format!("page{i}.txt")), page(i)).unwrap();
    }
}

fn boilerstrip(dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("boilerstrip").unwrap();
    cmd.current_dir(dir);
    cmd
}

#[test]
fn template_lines_are_dropped_and_articles_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    site(root);
    boilerstrip(root)
        .args([
            "clean", "site", "--out", "out", "--quiet", "--report", "r.json",
        ])
        .assert()
        .success();
    for i in 0..10 {
        let half = if i < 5 { "a" } else { "b" };
        let text = fs::read_to_string(root.join(format!("out/{half}/page{i}.txt"))).unwrap();
        for l in HEADER.iter().chain(&SIDEBAR).chain([&FOOTER]) {
            assert!(
                !text.lines().any(|t| t == *l),
                "page {i} kept template line {l:?}:\n{text}"
            );
        }
        // The template taken out first, the headline is found among the article's lines.
        let headline = format!(
            "Council in {} backs plan for a new {}\n\n",
            TOWNS[i], THINGS[i]
        );
        assert!(text.starts_with(&headline), "{text}");
        assert!(
            text.contains(&format!("Councillors in {} voted", TOWNS[i])),
            "{text}"
        );
        assert!(text.contains("opponents warned"), "{text}");
        assert!(text.contains("public meeting"), "{text}");
        assert_eq!(text.contains(SHARED), i < 2, "page {i}:\n{text}");
    }
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("r.json")).unwrap()).unwrap();
    let repeated = report["totals"]["lines_dropped"]["repeated-across-documents"]
        .as_u64()
        .unwrap_or(0);
    // Header, sidebar and footer, on each of the ten pages.
    assert_eq!(repeated, 90, "{report:#}");

    // Without the pass there is no such reason, and some of the template is left in.
    boilerstrip(root)
        .args([
            "clean",
            "site",
            "--out",
            "kept",
            "--quiet",
            "--keep-repeated",
        ])
        .args(["--report", "k.json"])
        .assert()
        .success();
    let report: serde_json::Value =
        serde_json::from_slice(&fs::read(root.join("k.json")).unwrap()).unwrap();
    assert!(report["totals"]["lines_dropped"]
        .get("repeated-across-documents")
        .is_none());
    let kept = fs::read_to_string(root.join("kept/a/page0.txt")).unwrap();
    assert!(
        HEADER
            .iter()
            .chain(&SIDEBAR)
            .chain([&FOOTER])
            .any(|l| kept.contains(l)),
        "{kept}"
    );
}

#[test]
fn explain_shows_the_reason_and_the_count() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    site(root);
    boilerstrip(root)
        .args(["count", "site", "-o", "counts.bin", "--quiet"])
        .assert()
        .success();
    // A single file belongs to the scope of the folder it was counted under.
    let out = boilerstrip(root)
        .args(["clean", "site/a/page3.txt", "--explain", "--scope", "site"])
        .args(["--line-stats", "counts.bin"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let explain = String::from_utf8(out.stdout).unwrap();
    let footer = explain.lines().find(|l| l.ends_with(FOOTER)).unwrap();
    assert!(footer.starts_with("- "), "{footer}");
    assert!(footer.contains("repeated-across-documents:10"), "{footer}");
    let masthead = explain.lines().find(|l| l.ends_with(HEADER[0])).unwrap();
    assert!(
        masthead.contains("repeated-across-documents:10"),
        "{masthead}"
    );
    // The article's own lines are not repeated; the paragraph two pages share is below
    // the threshold (3 documents).
    let body = explain
        .lines()
        .find(|l| l.contains("Councillors in"))
        .unwrap();
    assert!(body.starts_with("+ "), "{body}");
    // Without counts, a single file has no cross-document pass.
    let out = boilerstrip(root)
        .args(["clean", "site/a/page3.txt", "--explain"])
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout)
        .unwrap()
        .contains("repeated-across-documents"));
}

#[test]
fn same_output_whatever_the_threads_and_however_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    site(root);
    let run = |out: &str, extra: &[&str]| {
        boilerstrip(root)
            .args(["clean", "site", "--out", out, "--quiet"])
            .args(extra)
            .assert()
            .success();
        read_tree(&root.join(out))
    };
    let one = run("o1", &["--jobs", "1", "--line-stats-out", "all1.bin"]);
    let two = run("o2", &["--jobs", "2", "--line-stats-out", "all2.bin"]);
    assert_eq!(one, two);
    let all = fs::read(root.join("all1.bin")).unwrap();
    assert_eq!(all, fs::read(root.join("all2.bin")).unwrap());

    // Each half counted on its own (as on two machines), then merged: the same counts.
    for half in ["a", "b"] {
        boilerstrip(root)
            .args(["count", &format!("site/{half}"), "--scope", "site"])
            .args(["-o", &format!("{half}.bin"), "--quiet"])
            .assert()
            .success();
    }
    boilerstrip(root)
        .args(["count", "--line-stats", "b.bin", "--line-stats", "a.bin"])
        .args(["-o", "merged.bin", "--quiet"])
        .assert()
        .success();
    assert_eq!(fs::read(root.join("merged.bin")).unwrap(), all);
    assert_ne!(fs::read(root.join("a.bin")).unwrap(), all);

    // Cleaning with the merged halves gives what one run over everything gave.
    let merged = run(
        "o3",
        &[
            "--line-stats",
            "a.bin",
            "--line-stats",
            "b.bin",
            "--jobs",
            "2",
        ],
    );
    assert_eq!(merged, one);
    // A half cleaned alone with the whole site's counts gives its part of that output.
    boilerstrip(root)
        .args([
            "clean", "site/b", "--scope", "site", "--out", "o4", "--quiet",
        ])
        .args(["--line-stats", "merged.bin"])
        .assert()
        .success();
    let b: Vec<_> = one
        .iter()
        .filter_map(|(p, t)| p.strip_prefix("b/").map(|p| (p.to_string(), t.clone())))
        .collect();
    assert_eq!(read_tree(&root.join("o4")), b);
}

#[test]
fn damaged_counts_are_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    site(root);
    fs::write(root.join("bad.bin"), "not counts").unwrap();
    boilerstrip(root)
        .args(["clean", "site", "--out", "o", "--line-stats", "bad.bin"])
        .assert()
        .code(2)
        .stderr(predicates::str::contains("bad.bin"));
    boilerstrip(root)
        .args(["clean", "site/a/page0.txt", "--line-stats-out", "x.bin"])
        .assert()
        .code(2);
}
