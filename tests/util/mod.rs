//! Helpers shared by the integration tests (each test file is its own crate and uses only
//! some of them, hence the `dead_code` allowance).
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// Writes `data` to `path`, creating the parent folders.
pub fn write(path: &Path, data: &[u8]) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, data).unwrap();
}

/// Every file under `dir`, recursively, in no particular order.
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The files under `dir` as sorted relative paths.
pub fn tree_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = walk(dir)
        .iter()
        .map(|p| p.strip_prefix(dir).unwrap().display().to_string())
        .collect();
    names.sort();
    names
}

/// The files under `dir` as sorted (relative path, contents) pairs.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<_> = walk(dir)
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(dir).unwrap().display().to_string();
            (rel, fs::read(&p).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Spaces of any kind folded to one ASCII space, ends trimmed: indentation and NBSPs are
/// not content, and the editor's spacing and ours may differ in them.
pub fn fold(line: &str) -> String {
    line.split_whitespace().collect::<Vec<_>>().join(" ")
}
