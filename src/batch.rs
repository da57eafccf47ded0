//! The batch layer: walk the inputs, clean files in parallel, write each output atomically,
//! and turn every failure into a reported value while the rest of the batch goes on.
//!
//! This is the only module that knows about threads and files. It does not print: the
//! caller passes a callback that is told about each finished file (the CLI draws its
//! progress bar and error messages from it).

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;

use crate::corpus::{self, LineStats};
use crate::report::{FileReport, Stats};
use crate::{Cleaned, Cleaner, DecodeError};

/// Why one file could not be cleaned. Always names the file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The input could not be found or listed (missing path, symlink loop, dangling link).
    #[error("{path}: {message}")]
    Walk {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The input is not a regular file (a FIFO, a device, a socket).
    #[error("{path}: not a regular file ({kind})")]
    NotAFile {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        kind: &'static str,
    },
    /// The input could not be read.
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The input is not text.
    #[error("{path}: {source}; nothing written")]
    Decode {
        /// The path.
        path: PathBuf,
        /// Why.
        source: DecodeError,
    },
    /// The output could not be written.
    #[error("{path}: cannot write {output}: {source}")]
    Write {
        /// The input path.
        path: PathBuf,
        /// The output path.
        output: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
}

impl FileError {
    /// The input file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            FileError::Walk { path, .. }
            | FileError::NotAFile { path, .. }
            | FileError::Read { path, .. }
            | FileError::Decode { path, .. }
            | FileError::Write { path, .. } => path,
        }
    }
}

/// One file to clean and where its output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The input file.
    pub input: PathBuf,
    /// The output file.
    pub output: PathBuf,
    /// The scope whose line counts apply (see [`corpus`]): the folder INPUT the file was
    /// found in, or the folder of a file INPUT, as written (`pages/` -> `pages`). Shared by
    /// all the jobs of one INPUT, so a big folder does not hold a copy per file.
    pub scope: Arc<str>,
}

/// Lists the files under `inputs` (files as given, folders walked recursively, following
/// links) and where each output goes: `out_dir/<path relative to the input folder>`, or
/// `out_dir/<file name>` for a file given directly. Jobs are sorted by output path so that
/// runs are reproducible. Paths that cannot be listed come back as errors.
///
/// Each job's scope is the folder INPUT it came from (subfolders included), or for a file
/// INPUT the folder it is in, so `clean pages` and `clean pages/*.txt` count alike.
pub fn plan(inputs: &[PathBuf], out_dir: &Path) -> (Vec<Job>, Vec<FileError>) {
    let mut jobs = Vec::new();
    let mut errors = Vec::new();
    for input in inputs {
        match fs::metadata(input) {
            Err(e) => errors.push(FileError::Walk {
                path: input.clone(),
                message: e.to_string(),
            }),
            Ok(meta) if meta.is_dir() => {
                let scope: Arc<str> = corpus::scope_name(input).into();
                for entry in walkdir::WalkDir::new(input)
                    .follow_links(true)
                    .sort_by_file_name()
                {
                    match entry {
                        Ok(e) if e.file_type().is_dir() => {}
                        Ok(e) => {
                            let rel = e.path().strip_prefix(input).unwrap_or(e.path());
                            jobs.push(Job {
                                input: e.path().to_path_buf(),
                                output: out_dir.join(rel),
                                scope: Arc::clone(&scope),
                            });
                        }
                        Err(e) => {
                            let path = e.path().unwrap_or(input).to_path_buf();
                            let message = if e.loop_ancestor().is_some() {
                                "symbolic link loop, not followed".to_string()
                            } else {
                                e.io_error()
                                    .map_or_else(|| e.to_string(), ToString::to_string)
                            };
                            errors.push(FileError::Walk { path, message });
                        }
                    }
                }
            }
            Ok(_) => {
                let name = input
                    .file_name()
                    .map_or_else(|| PathBuf::from("stdin.txt"), PathBuf::from);
                jobs.push(Job {
                    input: input.clone(),
                    output: out_dir.join(name),
                    scope: corpus::scope_name(input.parent().unwrap_or(Path::new(""))).into(),
                });
            }
        }
    }
    jobs.sort_by(|a, b| a.output.cmp(&b.output));
    (jobs, errors)
}

/// Reads an input file, refusing anything that is not a regular file (reading a FIFO would
/// block the batch forever).
///
/// # Errors
/// [`FileError::NotAFile`] or [`FileError::Read`].
pub fn read_input(path: &Path) -> Result<Vec<u8>, FileError> {
    let meta = fs::metadata(path).map_err(|source| FileError::Read {
        path: path.into(),
        source,
    })?;
    if !meta.is_file() {
        return Err(FileError::NotAFile {
            path: path.into(),
            kind: file_kind(&meta),
        });
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    fs::File::open(path)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|source| FileError::Read {
            path: path.into(),
            source,
        })?;
    Ok(bytes)
}

fn file_kind(meta: &fs::Metadata) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let t = meta.file_type();
        if t.is_fifo() {
            return "a FIFO";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_block_device() || t.is_char_device() {
            return "a device";
        }
    }
    if meta.is_dir() {
        "a directory"
    } else {
        "not a regular file"
    }
}

/// Writes `data` to `path` atomically: a temporary file in the same folder, then a rename,
/// so a reader (or an interrupted run) never sees a half-written file.
///
/// # Errors
/// The I/O error of creating the folder, writing or renaming.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut tmp = tempfile::Builder::new()
        .prefix(".boilerstrip-")
        .tempfile_in(dir)?;
    tmp.write_all(data)?;
    // No fsync: the rename alone means that if the process dies (killed, Ctrl-C, a panic)
    // the path holds either its old content or the whole new file, never part of it, and
    // every reader sees the same. It does not make the data durable: after a power loss or
    // kernel crash the file may be empty or missing, which a rerun repairs. Syncing each
    // file cost ~15% of a run on disk, for a guarantee outputs that can be regenerated do
    // not need.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Cleans the bytes of `job`'s input, with the cross-document counts of its scope when
/// given; a decoding failure names the input.
///
/// # Errors
/// [`FileError::Decode`] when the bytes are not text.
pub fn clean_bytes(
    cleaner: &Cleaner,
    job: &Job,
    bytes: &[u8],
    stats: Option<&LineStats>,
) -> Result<Cleaned, FileError> {
    match stats {
        Some(stats) => cleaner.clean_with_stats(bytes, stats, &job.scope),
        None => cleaner.clean(bytes),
    }
    .map_err(|source| FileError::Decode {
        path: job.input.clone(),
        source,
    })
}

/// Cleans one job: read, clean (dropping the lines that `stats` show repeated across the
/// job's scope, when given), write.
///
/// # Errors
/// A [`FileError`] naming the input.
pub fn clean_job(
    cleaner: &Cleaner,
    job: &Job,
    stats: Option<&LineStats>,
) -> Result<FileReport, FileError> {
    let start = Instant::now();
    let bytes = read_input(&job.input)?;
    let cleaned = clean_bytes(cleaner, job, &bytes, stats)?;
    write_atomic(&job.output, cleaned.text.as_bytes()).map_err(|source| FileError::Write {
        path: job.input.clone(),
        output: job.output.clone(),
        source,
    })?;
    let mut report = FileReport::new(
        job.input.clone(),
        Some(job.output.clone()),
        bytes.len() as u64,
        &cleaned,
    );
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// Cleans all jobs on the current rayon pool, calling `on_done` as each file finishes
/// (from worker threads, in any order), and returns the totals. With `stats`, lines
/// repeated across each job's scope are dropped too.
///
/// Memory stays flat whatever the number of files: each file's report is added into the
/// totals and dropped as soon as `on_done` has seen it. Only with `keep_reports` are the
/// results kept, returned in job order (for `--report`, whose size grows with the files by
/// nature); otherwise the returned list is empty.
pub fn run<F>(
    cleaner: &Cleaner,
    jobs: &[Job],
    stats: Option<&LineStats>,
    keep_reports: bool,
    on_done: F,
) -> (Vec<Result<FileReport, FileError>>, Stats)
where
    F: Fn(&Result<FileReport, FileError>) + Sync,
{
    let add = |totals: &mut Stats, r: &Result<FileReport, FileError>| match r {
        Ok(report) => *totals += report,
        Err(_) => totals.files_failed += 1,
    };
    if keep_reports {
        let results: Vec<Result<FileReport, FileError>> = jobs
            .par_iter()
            .map(|job| {
                let r = clean_job(cleaner, job, stats);
                on_done(&r);
                r
            })
            .collect();
        let mut totals = Stats::default();
        for r in &results {
            add(&mut totals, r);
        }
        return (results, totals);
    }
    let totals = jobs
        .par_iter()
        .fold(Stats::default, |mut totals, job| {
            let r = clean_job(cleaner, job, stats);
            on_done(&r);
            add(&mut totals, &r);
            totals
        })
        .reduce(Stats::default, |mut a, b| {
            a += &b;
            a
        });
    (Vec::new(), totals)
}

/// The first pass over a corpus: counts the lines of every job's input in its scope, on
/// the current rayon pool, calling `on_done` with each file's size (or its error) as it is
/// counted. Reads one file at a time per thread; the counts are the same whatever the
/// thread count or order. Files that cannot be read or are not text are returned as
/// errors and not counted.
pub fn count<F>(jobs: &[Job], on_done: F) -> (LineStats, Vec<FileError>)
where
    F: Fn(&Result<u64, FileError>) + Sync,
{
    let count_one = |stats: &mut LineStats, job: &Job| -> Result<u64, FileError> {
        let bytes = read_input(&job.input)?;
        stats
            .count_bytes(&job.scope, &bytes)
            .map_err(|source| FileError::Decode {
                path: job.input.clone(),
                source,
            })?;
        Ok(bytes.len() as u64)
    };
    let (stats, mut errors) = jobs
        .par_iter()
        .fold(
            || (LineStats::new(), Vec::new()),
            |(mut stats, mut errors), job| {
                let r = count_one(&mut stats, job);
                on_done(&r);
                if let Err(e) = r {
                    errors.push(e);
                }
                (stats, errors)
            },
        )
        .reduce(
            || (LineStats::new(), Vec::new()),
            |(mut a, mut ea), (b, eb)| {
                a += b;
                ea.extend(eb);
                (a, ea)
            },
        );
    errors.sort_by(|a, b| a.path().cmp(b.path()));
    (stats, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plan_mirrors_folders_and_reports_missing_paths() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir_all(input.join("sub")).unwrap();
        fs::write(input.join("a.txt"), "a").unwrap();
        fs::write(input.join("sub/b.txt"), "b").unwrap();
        let out = dir.path().join("out");
        let (jobs, errors) = plan(&[input.clone(), dir.path().join("missing")], &out);
        assert_eq!(
            jobs,
            vec![
                Job {
                    input: input.join("a.txt"),
                    output: out.join("a.txt"),
                    scope: corpus::scope_name(&input).into(),
                },
                Job {
                    input: input.join("sub/b.txt"),
                    output: out.join("sub/b.txt"),
                    scope: corpus::scope_name(&input).into(),
                },
            ]
        );
        assert_eq!(errors.len(), 1);
        assert!(errors[0].to_string().contains("missing"));
    }

    #[test]
    fn run_keeps_reports_only_when_asked_and_totals_agree() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir_all(&input).unwrap();
        for i in 0..5 {
            let text = format!("A sentence of some length that says thing number {i}.\n");
            fs::write(input.join(format!("{i}.txt")), text).unwrap();
        }
        fs::write(input.join("bad.bin"), [0u8, 159, 146, 150, 0, 0, 1, 2]).unwrap();
        let cleaner = Cleaner::new(crate::Config::default()).unwrap();
        let totals = |keep: bool| {
            let out = dir.path().join(format!("out-{keep}"));
            let (jobs, _) = plan(std::slice::from_ref(&input), &out);
            let seen = std::sync::atomic::AtomicUsize::new(0);
            let (results, stats) = run(&cleaner, &jobs, None, keep, |_| {
                seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
            assert_eq!(seen.into_inner(), jobs.len());
            (results, stats)
        };
        let (kept, with) = totals(true);
        let (none, without) = totals(false);
        assert_eq!(kept.len(), 6);
        assert!(none.is_empty());
        assert_eq!(with, without);
        assert_eq!(without.files_ok + without.files_failed, 6);
        assert!(without.files_ok >= 5, "{without:?}");
    }

    #[test]
    fn atomic_write_leaves_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("deep/out.txt");
        write_atomic(&target, b"hello").unwrap();
        write_atomic(&target, b"again").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"again");
        let names: Vec<_> = fs::read_dir(dir.path().join("deep"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }
}
