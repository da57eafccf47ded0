//! The batch layer: walk the inputs, clean files in parallel, write each output atomically,
//! and turn every failure into a reported value while the rest of the batch goes on.
//!
//! This is the only module that knows about threads and files. It does not print: the
//! caller passes a callback that is told about each finished file (the CLI draws its
//! progress bar and error messages from it).

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use rayon::prelude::*;

use crate::corpus::{self, LineStats};
use crate::report::{FileReport, Stats};
use crate::{Cleaned, Cleaner, DecodeError, Detail, Known};

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
/// runs are reproducible. Paths that cannot be listed, and what is not a regular file (a
/// FIFO, a device, a socket), come back as errors.
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
                        // Refused here, so that a device is never opened (opening some has
                        // effects: a tape rewinds on close); the walk knows the type already.
                        Ok(e) if !e.file_type().is_file() => errors.push(match e.metadata() {
                            Ok(meta) => not_a_file(e.path(), &meta),
                            Err(err) => FileError::Walk {
                                path: e.path().to_path_buf(),
                                message: err.to_string(),
                            },
                        }),
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
            Ok(meta) if !meta.is_file() => errors.push(not_a_file(input, &meta)),
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
/// block the batch forever) before opening it: the path does not come from [`plan`], which
/// refuses those for a batch, and opening some devices has effects.
///
/// # Errors
/// [`FileError::NotAFile`] or [`FileError::Read`].
pub fn read_input(path: &Path) -> Result<Vec<u8>, FileError> {
    let meta = fs::metadata(path).map_err(|source| FileError::Read {
        path: path.into(),
        source,
    })?;
    if !meta.is_file() {
        return Err(not_a_file(path, &meta));
    }
    let mut input = InputBuffer::default();
    let len = input.read(path)?.len();
    let mut bytes = input.bytes;
    bytes.truncate(len);
    Ok(bytes)
}

/// Reads input files one after another for one worker: its bytes stay initialized between
/// files, so that a file is read straight into them with one `read` call (the standard
/// library reads into uninitialized room only in 8 KiB steps when it is not told the size,
/// and asks the size and position again when it is), and only room beyond the largest file
/// read so far is zeroed. Holds as much as the largest file read, as a file's own buffer
/// did while it was cleaned.
#[derive(Default)]
struct InputBuffer {
    /// All initialized; the last file read is at the start.
    bytes: Vec<u8>,
}

impl InputBuffer {
    /// The bytes of the file at `path`, refusing anything that is not a regular file.
    fn read(&mut self, path: &Path) -> Result<&[u8], FileError> {
        let read_error = |source| FileError::Read {
            path: path.into(),
            source,
        };
        let file = open_input(path)?;
        // The size and type of the file opened, not of whatever the path names by now.
        let meta = file.metadata().map_err(read_error)?;
        if !meta.is_file() {
            return Err(not_a_file(path, &meta));
        }
        let len = read_whole(&file, meta.len() as usize, &mut self.bytes).map_err(read_error)?;
        Ok(&self.bytes[..len])
    }
}

/// Opens the input file at `path` for reading. [`plan`] (or [`read_input`]) has already
/// refused what is not a regular file, so devices are never opened; the file's type is
/// asked again of the open file, which costs one system call on it rather than a second
/// lookup of the path. On Unix it is opened without waiting (`O_NONBLOCK`; reads of a
/// regular file do not heed it), so that a path turned into a FIFO since the plan cannot
/// hang the batch, and a terminal is not made the controlling one (`O_NOCTTY`). Elsewhere
/// the path's type is asked first, as before.
fn open_input(path: &Path) -> Result<fs::File, FileError> {
    #[cfg(unix)]
    let opened = {
        use std::os::unix::fs::OpenOptionsExt;
        fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
    };
    #[cfg(not(unix))]
    let opened = fs::metadata(path).and_then(|meta| {
        if meta.is_file() {
            fs::File::open(path)
        } else {
            // Not opened: named from the path's metadata below.
            Err(io::Error::from(io::ErrorKind::InvalidInput))
        }
    });
    opened.map_err(|source| {
        // What cannot be opened for reading but is there and not a file (a socket) is named
        // as such, as when its type was asked before opening.
        match fs::metadata(path) {
            Ok(meta) if !meta.is_file() => not_a_file(path, &meta),
            _ => FileError::Read {
                path: path.into(),
                source,
            },
        }
    })
}

fn not_a_file(path: &Path, meta: &fs::Metadata) -> FileError {
    FileError::NotAFile {
        path: path.into(),
        kind: file_kind(meta),
    }
}

/// Reads all of `f`, whose size was `len` when asked, into the start of `buf` and returns
/// how many bytes it has; `buf` keeps all its bytes initialized and grows when needed.
/// The first read is given room for one byte more than `len`: when it brings exactly
/// `len`, the file is whole as it was when its size was asked and no read for the end is
/// needed. A file that grew or shrank since is read on until a read brings nothing.
fn read_whole(mut f: &fs::File, len: usize, buf: &mut Vec<u8>) -> io::Result<usize> {
    let room = len.saturating_add(1);
    if buf.len() < room {
        buf.resize(room, 0);
    }
    let mut filled = 0;
    loop {
        if filled == buf.len() {
            // The file grew: room for as much again.
            buf.resize(filled.saturating_mul(2).max(filled + 1), 0);
        }
        match f.read(&mut buf[filled..]) {
            Ok(0) => return Ok(filled),
            Ok(n) => {
                filled += n;
                // The room always reaches past `len`, so this read stopped short of it.
                if filled == len {
                    return Ok(filled);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
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

/// Writes `data` to `path` atomically: a temporary file in the same folder, then a rename
/// (or on Linux, when `path` does not exist yet, an unnamed temporary file given its name),
/// so a reader (or an interrupted run) never sees a half-written file.
///
/// # Errors
/// The I/O error of creating the folder, writing or renaming.
pub fn write_atomic(path: &Path, data: &[u8]) -> io::Result<()> {
    write_atomic_from(&mut Outputs::default(), None, path, data)
}

/// [`write_atomic`], with a relative `path` taken from `cwd`, the current folder, when it
/// is given: the temporary file's crate makes a relative folder absolute by asking the
/// current folder, a system call per file that a batch asks once. On Linux the output is
/// written through an unnamed temporary file in the folder `outputs` holds open, when it
/// can be (see [`Outputs::write_unnamed`]); else through a named one, renamed.
fn write_atomic_from(
    outputs: &mut Outputs,
    cwd: Option<&Path>,
    path: &Path,
    data: &[u8],
) -> io::Result<()> {
    let joined;
    let path = match cwd {
        Some(cwd) if path.is_relative() => {
            joined = cwd.join(path);
            &joined
        }
        _ => path,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    #[cfg(target_os = "linux")]
    if outputs.write_unnamed(dir, path, data)? {
        return Ok(());
    }
    #[cfg(not(target_os = "linux"))]
    let _ = outputs;
    let temporary = || {
        let mut builder = tempfile::Builder::new();
        builder.prefix(".boilerstrip-");
        // An output is not a private temporary file: it gets the mode any new file gets
        // (0666 less the umask, as `cp` or `sort -o` make it), not the crate's 0600.
        #[cfg(unix)]
        builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(OUTPUT_MODE));
        builder.tempfile_in(dir)
    };
    // The folder is made only when it is missing: in a batch it is there for all but the
    // first file written into it, and making it first would cost two system calls a file.
    let mut tmp = match temporary() {
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            fs::create_dir_all(dir)?;
            temporary()?
        }
        made => made?,
    };
    tmp.write_all(data)?;
    // No fsync (nor before `write_unnamed`'s link): the rename alone means that if the
    // process dies (killed, Ctrl-C, a panic) the path holds either its old content or the
    // whole new file, never part of it, and every reader sees the same. It does not make
    // the data durable: after a power loss or kernel crash the file may be empty or
    // missing, which a rerun repairs. Syncing each file cost ~15% of a run on disk, for a
    // guarantee outputs that can be regenerated do not need.
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// The mode an output is created with, less the umask: that of any new file.
#[cfg(unix)]
const OUTPUT_MODE: u32 = 0o666;

/// The process's umask, from /proc (reading it with `umask(2)` would set it, for a moment,
/// under the other threads' feet); `None` when /proc does not say.
#[cfg(target_os = "linux")]
fn umask() -> Option<u32> {
    static UMASK: std::sync::OnceLock<Option<u32>> = std::sync::OnceLock::new();
    *UMASK.get_or_init(|| {
        let status = fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
        u32::from_str_radix(line.trim(), 8).ok()
    })
}

/// What a worker keeps from one output it writes to the next.
#[derive(Default)]
struct Outputs {
    /// The folder of the last output written through an unnamed temporary file, open.
    #[cfg(target_os = "linux")]
    folder: Option<OutputFolder>,
    /// How its outputs get their names.
    #[cfg(target_os = "linux")]
    naming: Naming,
}

/// How a worker's outputs get their names, from the first way that works.
#[cfg(target_os = "linux")]
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum Naming {
    /// An unnamed temporary file linked by its descriptor (`AT_EMPTY_PATH`).
    #[default]
    Descriptor,
    /// An unnamed temporary file linked through its `/proc/self/fd` link: kernels before
    /// 6.10 refuse `AT_EMPTY_PATH` without a capability.
    Proc,
    /// A named temporary file, renamed: an unnamed one could not be made or named (the
    /// file system, the kernel or /proc does not have them).
    Named,
}

/// An output folder held open (`O_PATH`: for lookups from it, not for reading it).
#[cfg(target_os = "linux")]
struct OutputFolder {
    path: PathBuf,
    fd: std::os::fd::OwnedFd,
    /// An output in it already existed: an unnamed file cannot replace one (`linkat` does
    /// not), so the others go through named files too, as when a batch is run again
    /// into the same folder.
    replacing: bool,
}

#[cfg(target_os = "linux")]
impl Outputs {
    /// Writes `data` to `path`, in the folder `dir`, through an unnamed temporary file
    /// (`O_TMPFILE`) given its name only once it is whole (`linkat`): no reader ever sees
    /// part of it under that name, and a run that dies before leaves nothing, not even a
    /// temporary file. As many system calls as through a named file, but cheaper ones:
    /// no name is made for the temporary file, then moved (1.8% of the CPU time over a
    /// folder of 2,337 pages), and the folder's path is looked up once per worker and
    /// folder rather than twice per file. Returns false, having written
    /// nothing under `path`, when the named way must do it: the name is taken (`linkat`
    /// does not replace), the folder cannot be opened (the named way tells why), or the
    /// system has no unnamed files (or no way to name them, see [`Naming`]).
    ///
    /// # Errors
    /// The I/O error of making the folder or writing the data.
    fn write_unnamed(&mut self, dir: &Path, path: &Path, data: &[u8]) -> io::Result<bool> {
        use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
        use std::os::unix::ffi::OsStrExt;
        use std::os::unix::fs::OpenOptionsExt;
        if self.naming == Naming::Named {
            return Ok(false);
        }
        let Some(name) = path
            .file_name()
            .and_then(|n| std::ffi::CString::new(n.as_bytes()).ok())
        else {
            return Ok(false);
        };
        let open_folder = || {
            fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_PATH | libc::O_DIRECTORY)
                .open(dir)
        };
        let folder = match &mut self.folder {
            Some(folder) if folder.path == dir => folder,
            slot => {
                // Made only when missing, as in the named way.
                let opened = match open_folder() {
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {
                        fs::create_dir_all(dir)?;
                        open_folder()
                    }
                    opened => opened,
                };
                let Ok(fd) = opened else {
                    return Ok(false);
                };
                slot.insert(OutputFolder {
                    path: dir.to_path_buf(),
                    fd: fd.into(),
                    replacing: false,
                })
            }
        };
        if folder.replacing {
            return Ok(false);
        }
        // The umask is stripped here, not left to the kernel: kernels before the 2022 fix
        // of `vfs_tmpfile` ignored it for unnamed files on some file systems, which would
        // have made outputs writable by all.
        let Some(umask) = umask() else {
            self.naming = Naming::Named;
            return Ok(false);
        };
        // SAFETY: `openat` reads the NUL-terminated literal and takes the folder's open
        // descriptor; it returns a new descriptor or -1, and borrows nothing past the call.
        let fd = unsafe {
            libc::openat(
                folder.fd.as_raw_fd(),
                c".".as_ptr(),
                libc::O_TMPFILE | libc::O_WRONLY | libc::O_CLOEXEC,
                // Those of the named way's files.
                (OUTPUT_MODE & !umask) as libc::c_uint,
            )
        };
        if fd < 0 {
            // No unnamed files here (EOPNOTSUPP, or EISDIR from a kernel before them), or
            // none allowed: the named way makes the file or says why it cannot.
            self.naming = Naming::Named;
            return Ok(false);
        }
        // SAFETY: `fd` was just opened and is owned by nothing else.
        let mut file = fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
        file.write_all(data)?;
        let link = |through_proc: bool| {
            let linked = if through_proc {
                let Ok(link) =
                    std::ffi::CString::new(format!("/proc/self/fd/{}", file.as_raw_fd()))
                else {
                    return Err(None);
                };
                // SAFETY: the folder's descriptor is open; both paths are NUL-terminated
                // and only read during the call.
                unsafe {
                    libc::linkat(
                        libc::AT_FDCWD,
                        link.as_ptr(),
                        folder.fd.as_raw_fd(),
                        name.as_ptr(),
                        libc::AT_SYMLINK_FOLLOW,
                    )
                }
            } else {
                // SAFETY: both descriptors are open; the empty path and the name are
                // NUL-terminated and only read during the call.
                unsafe {
                    libc::linkat(
                        file.as_raw_fd(),
                        c"".as_ptr(),
                        folder.fd.as_raw_fd(),
                        name.as_ptr(),
                        libc::AT_EMPTY_PATH,
                    )
                }
            };
            if linked == 0 {
                Ok(())
            } else {
                Err(io::Error::last_os_error().raw_os_error())
            }
        };
        let mut linked = link(self.naming == Naming::Proc);
        if self.naming == Naming::Descriptor && matches!(linked, Err(e) if e != Some(libc::EEXIST))
        {
            // AT_EMPTY_PATH refused (ENOENT before Linux 6.10 without the capability to
            // look a descriptor up again): the descriptor's link in /proc names the same
            // file, without the capability.
            linked = link(true);
            if matches!(linked, Ok(()) | Err(Some(libc::EEXIST))) {
                // That way works (a name taken says nothing against it).
                self.naming = Naming::Proc;
            }
        }
        // The unnamed file is freed when `file` closes.
        match linked {
            Ok(()) => return Ok(true),
            Err(Some(libc::EEXIST)) => folder.replacing = true,
            // No /proc, or the folder gone since it was opened: the named way makes the
            // file or says why it cannot.
            Err(_) => self.naming = Naming::Named,
        }
        Ok(false)
    }
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
    clean_bytes_known(cleaner, job, bytes, stats, Known::default(), Detail::Lines)
        .map(|(cleaned, _)| cleaned)
}

/// [`clean_bytes`], with what the first pass found out about the bytes: their legacy
/// encoding is not detected again, text found to need no normalizing is not scanned
/// again, and other text is not scanned again for what it needs. The lines come back as
/// `detail` asks, with how many were kept.
fn clean_bytes_known(
    cleaner: &Cleaner,
    job: &Job,
    bytes: &[u8],
    stats: Option<&LineStats>,
    known: Known,
    detail: Detail,
) -> Result<(Cleaned, usize), FileError> {
    cleaner
        .clean_known_detail(bytes, stats.map(|s| (s, &*job.scope)), known, detail)
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
    clean_job_hinted(
        cleaner,
        job,
        stats,
        None,
        &mut Worker::default(),
        None,
        true,
    )
}

/// [`clean_job`], with what `hint` says of the input (its legacy encoding, whether it needs
/// normalizing and if so what) when the input is still the file the hint was taken from
/// (same length and hash), reading the input into `input` and taking a relative output path
/// from `cwd` when given (see [`write_atomic_from`]); its report counts the dropped lines
/// per reason only with `count_reasons`.
fn clean_job_hinted(
    cleaner: &Cleaner,
    job: &Job,
    stats: Option<&LineStats>,
    hint: Option<&Hint>,
    worker: &mut Worker,
    cwd: Option<&Path>,
    count_reasons: bool,
) -> Result<FileReport, FileError> {
    let start = Instant::now();
    let bytes = worker.input.read(&job.input)?;
    let known = hint
        .filter(|h| h.fingerprint == Fingerprint::of(bytes))
        .map_or_else(Known::default, |h| h.known);
    // A report without reasons reads only how many lines were kept: the lines themselves
    // (and their rules' ids) need not be gathered.
    let detail = if count_reasons {
        Detail::Lines
    } else {
        Detail::KeptCount
    };
    let (cleaned, kept) = clean_bytes_known(cleaner, job, bytes, stats, known, detail)?;
    write_atomic_from(
        &mut worker.outputs,
        cwd,
        &job.output,
        cleaned.text.as_bytes(),
    )
    .map_err(|source| FileError::Write {
        path: job.input.clone(),
        output: job.output.clone(),
        source,
    })?;
    let (input, output, bytes_in) = (
        job.input.clone(),
        Some(job.output.clone()),
        bytes.len() as u64,
    );
    let mut report = if count_reasons {
        FileReport::new(input, output, bytes_in, &cleaned)
    } else {
        // `cleaned.lines` is empty here: the count comes from the clean.
        FileReport::new_uncounted(input, output, bytes_in, &cleaned, kept as u64)
    };
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// What a worker of [`run_with_hints`] keeps from one file to the next.
#[derive(Default)]
struct Worker {
    /// Its buffer for reading inputs.
    input: InputBuffer,
    /// The folder it writes into.
    outputs: Outputs,
}

/// What a batch keeps of each file's [`FileReport`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reports {
    /// Every file's report, returned in job order (for `--report`; its size grows with
    /// the files by nature).
    Keep,
    /// The totals only: each report is added into them and dropped (for the summary).
    Totals,
    /// The totals only, and without the dropped lines per reason, which nothing of the
    /// run reads (a quiet run without `--report`; see [`FileReport::new_uncounted`]).
    Uncounted,
}

/// Cleans all jobs on the current rayon pool, calling `on_done` as each file finishes
/// (from worker threads, in any order), and returns the totals. With `stats`, lines
/// repeated across each job's scope are dropped too.
///
/// Memory stays flat whatever the number of files: each file's report is added into the
/// totals and dropped as soon as `on_done` has seen it. Only with [`Reports::Keep`] are
/// the results kept, returned in job order; otherwise the returned list is empty.
pub fn run<F>(
    cleaner: &Cleaner,
    jobs: &[Job],
    stats: Option<&LineStats>,
    reports: Reports,
    on_done: F,
) -> (Vec<Result<FileReport, FileError>>, Stats)
where
    F: Fn(&Result<FileReport, FileError>) + Sync,
{
    run_with_hints(
        cleaner,
        jobs,
        stats,
        &FileHints::default(),
        reports,
        on_done,
    )
}

/// [`run`], decoding each file that [`count_with_hints`] found in a legacy encoding with
/// that encoding instead of detecting it again (the slowest part of decoding such a file),
/// not normalizing again the files it found to need no normalizing, and normalizing the
/// others without scanning them again for what they need.
/// `hints` must come from counting the same `jobs`; a file whose length or hash changed
/// since is detected again. The outputs are those of [`run`].
pub fn run_with_hints<F>(
    cleaner: &Cleaner,
    jobs: &[Job],
    stats: Option<&LineStats>,
    hints: &FileHints,
    reports: Reports,
    on_done: F,
) -> (Vec<Result<FileReport, FileError>>, Stats)
where
    F: Fn(&Result<FileReport, FileError>) + Sync,
{
    // Asked once for the batch (when it fails, writing each file reports why).
    let cwd = jobs
        .iter()
        .any(|job| job.output.is_relative())
        .then(std::env::current_dir)
        .and_then(Result::ok);
    let counted = reports != Reports::Uncounted;
    let clean_job = |worker: &mut Worker, i: usize, job: &Job| {
        let hint = hints.get(i);
        clean_job_hinted(cleaner, job, stats, hint, worker, cwd.as_deref(), counted)
    };
    let add = |totals: &mut Stats, r: &Result<FileReport, FileError>| match r {
        Ok(report) => *totals += report,
        Err(_) => totals.files_failed += 1,
    };
    if reports == Reports::Keep {
        let results: Vec<Result<FileReport, FileError>> = jobs
            .par_iter()
            .enumerate()
            .map_init(Worker::default, |worker, (i, job)| {
                let r = clean_job(worker, i, job);
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
        .enumerate()
        .fold(
            || (Stats::default(), Worker::default()),
            |(mut totals, mut worker), (i, job)| {
                let r = clean_job(&mut worker, i, job);
                on_done(&r);
                add(&mut totals, &r);
                (totals, worker)
            },
        )
        .map(|(totals, _)| totals)
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
    let (stats, errors, _) = count_with_hints(jobs, on_done);
    (stats, errors)
}

/// [`count`], also returning the legacy encodings it detected, which files need no
/// normalizing and what the others need, for [`run_with_hints`]: the cleaning pass then
/// decodes each such file without detecting its encoding again, and does not scan again
/// what needs no normalizing nor scan the rest for what they need. Costs a few dozen bytes
/// per file and one fast hash of its bytes.
pub fn count_with_hints<F>(jobs: &[Job], on_done: F) -> (LineStats, Vec<FileError>, FileHints)
where
    F: Fn(&Result<u64, FileError>) + Sync,
{
    let count_one = |stats: &mut LineStats, input: &mut InputBuffer, i: usize, job: &Job| {
        let bytes = input.read(&job.input)?;
        let known = stats
            .count_bytes_guess(&job.scope, bytes)
            .map_err(|source| FileError::Decode {
                path: job.input.clone(),
                source,
            })?;
        let hint = Hint {
            job: i,
            fingerprint: Fingerprint::of(bytes),
            known,
        };
        Ok::<_, FileError>((bytes.len() as u64, hint))
    };
    // One tally per worker thread rather than one per piece of work that rayon splits off
    // (`fold`): every piece's counts would have to be merged, key by key, into another's,
    // and its per-scope tables built anew. Each thread takes the slot of its index, which
    // no other thread takes: the loop runs on the pool the slots were counted for, so the
    // index is always below their number, and the lock is never waited on. For that,
    // `count_one` must not call into rayon while the slot is locked: a thread that waits
    // on rayon picks up other work meanwhile, here another file, and would lock its own
    // slot again (a deadlock). Counts add up, so the result
    // is the same whatever the thread that counted a file. Poisoning is ignored, here and
    // below: the panic that poisoned a slot comes out of `for_each` anyway.
    let slots: Vec<Mutex<Tally>> = (0..rayon::current_num_threads().max(1))
        .map(|_| Mutex::default())
        .collect();
    jobs.par_iter().enumerate().for_each(|(i, job)| {
        let slot = rayon::current_thread_index().unwrap_or(0) % slots.len();
        let r = {
            let mut tally = slots[slot].lock().unwrap_or_else(PoisonError::into_inner);
            let tally = &mut *tally;
            match count_one(&mut tally.stats, &mut tally.input, i, job) {
                Ok((len, hint)) => {
                    tally.hints.push(hint);
                    Ok(len)
                }
                Err(e) => Err(e),
            }
        };
        on_done(&r);
        if let Err(e) = r {
            let mut tally = slots[slot].lock().unwrap_or_else(PoisonError::into_inner);
            tally.errors.push((i, e));
        }
    });
    let mut tallies = slots
        .into_iter()
        .map(|slot| slot.into_inner().unwrap_or_else(PoisonError::into_inner));
    let mut all = tallies.next().unwrap_or_default();
    for tally in tallies {
        all.stats += tally.stats;
        all.errors.extend(tally.errors);
        all.hints.extend(tally.hints);
    }
    let Tally {
        stats,
        mut errors,
        mut hints,
        ..
    } = all;
    // In slot order until sorted: by path, and jobs of the same path in job order.
    errors.sort_unstable_by(|(i, a), (j, b)| a.path().cmp(b.path()).then(i.cmp(j)));
    hints.sort_unstable_by_key(|h| h.job);
    let errors = errors.into_iter().map(|(_, e)| e).collect();
    (stats, errors, FileHints { hints })
}

/// What one worker thread of [`count_with_hints`] counted and found out.
#[derive(Default)]
struct Tally {
    stats: LineStats,
    /// With their job index.
    errors: Vec<(usize, FileError)>,
    hints: Vec<Hint>,
    /// The thread's buffer for reading its files.
    input: InputBuffer,
}

/// What [`count_with_hints`] found out about each file, by job, for [`run_with_hints`]:
/// the legacy encodings it detected, which files need no normalizing and what the others
/// need. One hint per file counted (those that could not be read or are not text have
/// none).
#[derive(Debug, Clone, Default)]
pub struct FileHints {
    /// Sorted by job index.
    hints: Vec<Hint>,
}

impl FileHints {
    /// How many files have a hint.
    pub fn len(&self) -> usize {
        self.hints.len()
    }

    /// Whether no file has one.
    pub fn is_empty(&self) -> bool {
        self.hints.is_empty()
    }

    /// The hint of job `job`, if it has one.
    fn get(&self, job: usize) -> Option<&Hint> {
        self.hints
            .binary_search_by_key(&job, |h| h.job)
            .ok()
            .map(|k| &self.hints[k])
    }
}

/// What the first pass found out about one job's input, and which bytes it was found on.
#[derive(Debug, Clone, Copy)]
struct Hint {
    /// The index of the job.
    job: usize,
    /// The input when it was counted.
    fingerprint: Fingerprint,
    /// What counting found out about it.
    known: Known,
}

/// The length and a fast hash of a file's bytes: tells whether a file changed between the
/// counting and the cleaning pass, so that a changed file is detected again rather than
/// read with a stale guess (or left unnormalized). Not a cryptographic hash: a file changed
/// between the passes to the same length and hash would be read with what was found for
/// the old bytes (their encoding, what normalizing them needed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Fingerprint {
    len: u64,
    hash: u64,
}

impl Fingerprint {
    /// Eight bytes per step (a few instructions per word, far less than decoding). Each step
    /// is a bijection of the state for a given word and of the word for a given state, so
    /// files that differ in one word always differ in hash: the word's lane ends in another
    /// state, and the lanes are folded into one hash by the same steps.
    fn of(bytes: &[u8]) -> Self {
        const K: u64 = 0x9E37_79B9_7F4A_7C15;
        /// Words in flight at once: each step's multiply waits on the step before in its
        /// lane, so one lane would take a multiply's latency per word; four keep the
        /// multiplier busy (the hash runs over every byte twice a run).
        const LANES: usize = 4;
        let step = |h: u64, w: u64| (h.rotate_left(26) ^ w).wrapping_mul(K);
        let word = |w: &[u8]| u64::from_le_bytes(w.try_into().unwrap_or_default());
        let mut lanes = [0u64; LANES];
        lanes[0] = bytes.len() as u64;
        let mut blocks = bytes.chunks_exact(8 * LANES);
        for block in &mut blocks {
            for (lane, w) in lanes.iter_mut().zip(block.chunks_exact(8)) {
                *lane = step(*lane, word(w));
            }
        }
        let mut hash = lanes[0];
        for lane in &lanes[1..] {
            hash = step(hash, *lane);
        }
        let mut words = blocks.remainder().chunks_exact(8);
        for w in &mut words {
            hash = step(hash, word(w));
        }
        let mut last = [0u8; 8];
        last[..words.remainder().len()].copy_from_slice(words.remainder());
        hash = step(hash, u64::from_le_bytes(last));
        Fingerprint {
            len: bytes.len() as u64,
            hash: hash ^ (hash >> 29),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::Encoding;

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
            let text =
                format!("A sentence of some length that says thing number {i}.\nLeave a Reply\n");
            fs::write(input.join(format!("{i}.txt")), text).unwrap();
        }
        fs::write(input.join("bad.bin"), [0u8, 159, 146, 150, 0, 0, 1, 2]).unwrap();
        let cleaner = Cleaner::new(crate::Config::default()).unwrap();
        let totals = |reports: Reports| {
            let out = dir.path().join(format!("out-{reports:?}"));
            let (jobs, _) = plan(std::slice::from_ref(&input), &out);
            let seen = std::sync::atomic::AtomicUsize::new(0);
            let (results, stats) = run(&cleaner, &jobs, None, reports, |_| {
                seen.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            });
            assert_eq!(seen.into_inner(), jobs.len());
            (results, stats)
        };
        let (kept, with) = totals(Reports::Keep);
        let (none, without) = totals(Reports::Totals);
        let (bare, mut uncounted) = totals(Reports::Uncounted);
        assert_eq!(kept.len(), 6);
        assert!(none.is_empty() && bare.is_empty());
        assert_eq!(with, without);
        assert_eq!(without.files_ok + without.files_failed, 6);
        assert!(without.files_ok >= 5, "{without:?}");
        // Uncounted totals lack only the dropped lines per reason.
        assert!(!without.lines_dropped.is_empty(), "{without:?}");
        assert!(uncounted.lines_dropped.is_empty());
        uncounted.lines_dropped = without.lines_dropped.clone();
        assert_eq!(uncounted, without);
    }

    /// Encodes `text` in the encoding labelled `label`, which must represent all of it.
    fn encode(text: &str, label: &str) -> Vec<u8> {
        let encoding = Encoding::for_label(label.as_bytes()).unwrap();
        let (bytes, _, unmappable) = encoding.encode(text);
        assert!(!unmappable, "{label}");
        bytes.into_owned()
    }

    const DE: &str = include_str!("../tests/data/encodings/de.txt");
    const FR: &str = include_str!("../tests/data/encodings/fr.txt");
    const RU: &str = include_str!("../tests/data/encodings/ru.txt");
    const PL: &str = include_str!("../tests/data/encodings/pl.txt");

    /// How many files' encodings the first pass detected.
    fn detected(hints: &FileHints) -> usize {
        hints
            .hints
            .iter()
            .filter(|h| h.known.encoding.is_some())
            .count()
    }

    /// Cleans `input` in two passes with the hints of the first, keeping the reports.
    fn run_hinted(
        cleaner: &Cleaner,
        input: &Path,
        out: &Path,
        change: impl FnOnce(),
    ) -> (Vec<Job>, LineStats, FileHints, Vec<FileReport>) {
        let (jobs, _) = plan(&[input.to_path_buf()], out);
        let (stats, errors, hints) = count_with_hints(&jobs, |_| {});
        assert!(errors.is_empty());
        change();
        let (results, _) =
            run_with_hints(cleaner, &jobs, Some(&stats), &hints, Reports::Keep, |_| {});
        let reports = results.into_iter().map(Result::unwrap).collect();
        (jobs, stats, hints, reports)
    }

    #[test]
    fn a_folder_of_legacy_files_cleans_as_each_file_alone() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir_all(&input).unwrap();
        let shared = "Subscribe to our newsletter for more stories like this one.\n";
        let files = [
            ("de.txt", DE, "windows-1252"),
            ("fr.txt", FR, "windows-1252"),
            ("ru.txt", RU, "windows-1251"),
            ("pl.txt", PL, "windows-1250"),
            ("en.txt", "Plain text that says one thing.\n", "UTF-8"),
        ];
        for (name, text, label) in files {
            fs::write(input.join(name), encode(&format!("{text}{shared}"), label)).unwrap();
        }
        let cleaner = Cleaner::new(crate::Config::default()).unwrap();
        let (jobs, stats, hints, reports) =
            run_hinted(&cleaner, &input, &dir.path().join("out"), || {});
        // Only the legacy files needed detection.
        assert_eq!(detected(&hints), 4);
        for (job, report) in jobs.iter().zip(&reports) {
            let bytes = fs::read(&job.input).unwrap();
            let alone = cleaner
                .clean_with_stats(&bytes, &stats, &job.scope)
                .unwrap();
            let name = job.input.file_name().unwrap().to_str().unwrap();
            let label = files.iter().find(|f| f.0 == name).unwrap().2;
            assert_eq!(alone.encoding, label, "{name}");
            assert_eq!(report.encoding, alone.encoding, "{name}");
            assert_eq!(
                fs::read_to_string(&job.output).unwrap(),
                alone.text,
                "{name}"
            );
            // Names that are not legacy encodings are ignored rather than misread.
            let ignored = cleaner
                .clean_with_encoding(&bytes, Some((&stats, &job.scope)), Some("UTF-16LE"))
                .unwrap();
            assert_eq!(ignored.text, alone.text, "{name}");
        }
    }

    #[test]
    fn a_file_changed_between_the_passes_is_detected_again() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir_all(&input).unwrap();
        fs::write(input.join("a.txt"), encode(RU, "windows-1251")).unwrap();
        fs::write(input.join("b.txt"), encode(DE, "windows-1252")).unwrap();
        // Needs no normalizing when counted, needs it when cleaned.
        fs::write(input.join("c.txt"), "A clean line of text.\n\nAnother one.").unwrap();
        // Needs normalizing when counted, and other steps when cleaned.
        fs::write(input.join("d.txt"), "Some  text &amp; more.\n").unwrap();
        let needs_other_steps = "Other\ttext\u{200B}.\r\n\r\n\r\n\r\nAnd  more&#33;";
        let needs_normalizing = "A  clean line of text.\r\n\r\nAnother&#160;one.\t";
        let cleaner = Cleaner::new(crate::Config::default()).unwrap();
        let changed = encode(FR, "windows-1252");
        let (jobs, stats, hints, reports) =
            run_hinted(&cleaner, &input, &dir.path().join("out"), || {
                fs::write(input.join("a.txt"), &changed).unwrap();
                fs::write(input.join("c.txt"), needs_normalizing).unwrap();
                fs::write(input.join("d.txt"), needs_other_steps).unwrap();
            });
        assert_eq!(detected(&hints), 2);
        assert_eq!(hints.len(), 4, "one hint per file counted");
        let alone = cleaner
            .clean_with_stats(needs_other_steps.as_bytes(), &stats, &jobs[3].scope)
            .unwrap();
        assert_eq!(alone.text, "Other text.\n\nAnd more!\n");
        assert_eq!(fs::read_to_string(&jobs[3].output).unwrap(), alone.text);
        let alone = cleaner
            .clean_with_stats(needs_normalizing.as_bytes(), &stats, &jobs[2].scope)
            .unwrap();
        assert_eq!(alone.text, "A clean line of text.\n\nAnother one.\n");
        assert_eq!(fs::read_to_string(&jobs[2].output).unwrap(), alone.text);
        assert_eq!(jobs[0].input, input.join("a.txt"));
        assert_eq!(reports[0].encoding, "windows-1252");
        let alone = cleaner
            .clean_with_stats(&changed, &stats, &jobs[0].scope)
            .unwrap();
        assert_eq!(fs::read_to_string(&jobs[0].output).unwrap(), alone.text);
        // The stale guess would have read it otherwise.
        let stale = cleaner
            .clean_with_encoding(
                &changed,
                Some((&stats, &jobs[0].scope)),
                Some("windows-1251"),
            )
            .unwrap();
        assert_ne!(stale.text, alone.text);
        // A change that keeps the length is seen too.
        assert_eq!(
            Fingerprint::of(b"the same length"),
            Fingerprint::of(b"the same length")
        );
        assert_ne!(
            Fingerprint::of(b"the same length"),
            Fingerprint::of(b"the same lenhtg")
        );
    }

    proptest::proptest! {
        /// Any one byte changed, in any lane or in the words after the last whole block,
        /// changes the hash; the same bytes always hash alike.
        #[test]
        fn a_changed_byte_changes_the_fingerprint(
            bytes in proptest::collection::vec(proptest::num::u8::ANY, 1..200),
            at in proptest::num::usize::ANY,
            flip in 1u8..=255,
        ) {
            let mut changed = bytes.clone();
            changed[at % bytes.len()] ^= flip;
            proptest::prop_assert_eq!(Fingerprint::of(&bytes), Fingerprint::of(&bytes.clone()));
            proptest::prop_assert_ne!(Fingerprint::of(&bytes), Fingerprint::of(&changed));
        }
    }

    #[test]
    fn a_file_is_read_whole_whatever_size_was_asked() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("in.txt");
        let data: Vec<u8> = (0..20_000u32).map(|i| (i % 251) as u8).collect();
        fs::write(&path, &data).unwrap();
        // The size asked, right, too small (the file grew since), too large (it shrank) or
        // none; into a buffer empty, smaller than the file, or holding a larger file's bytes.
        for len in [data.len(), 0, 1, 100, data.len() - 1, data.len() + 5_000] {
            for held in [0, 7, data.len() - 1, data.len() * 3] {
                let mut buf = vec![0xEEu8; held];
                let n = read_whole(&fs::File::open(&path).unwrap(), len, &mut buf).unwrap();
                assert!(buf[..n] == data, "asked {len}, held {held}");
                assert!(buf.len() >= held, "asked {len}, held {held}");
            }
        }
        assert_eq!(read_input(&path).unwrap(), data);
        // One buffer for files of many sizes, as a worker reads them.
        let mut input = InputBuffer::default();
        for size in [5_000, 17, 0, 40_000, 3, 20_000] {
            let small = dir.path().join(format!("{size}.txt"));
            fs::write(&small, &data.repeat(2)[..size]).unwrap();
            assert_eq!(input.read(&small).unwrap(), &data.repeat(2)[..size]);
        }
    }

    #[cfg(unix)]
    #[test]
    fn what_is_not_a_file_is_named_and_not_waited_on() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let socket = dir.path().join("socket");
        let _listener = std::os::unix::net::UnixListener::bind(&socket).unwrap();
        let mut input = InputBuffer::default();
        for (path, kind) in [
            (&fifo, "a FIFO"),
            (&socket, "a socket"),
            (&dir.path().to_path_buf(), "a directory"),
            (&PathBuf::from("/dev/null"), "a device"),
        ] {
            match input.read(path) {
                Err(FileError::NotAFile { kind: k, .. }) => assert_eq!(k, kind, "{path:?}"),
                other => panic!("{path:?}: {other:?}"),
            }
            match read_input(path) {
                Err(FileError::NotAFile { kind: k, .. }) => assert_eq!(k, kind, "{path:?}"),
                other => panic!("{path:?}: {other:?}"),
            }
        }
        let missing = dir.path().join("missing");
        let e = input.read(&missing).unwrap_err();
        assert!(matches!(e, FileError::Read { .. }), "{e:?}");
        assert!(e.to_string().contains("missing"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn plan_refuses_what_is_not_a_file_before_opening_it() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("in");
        fs::create_dir_all(&input).unwrap();
        fs::write(input.join("a.txt"), "text").unwrap();
        let made = std::process::Command::new("mkfifo")
            .arg(input.join("fifo.txt"))
            .status();
        assert!(made.unwrap().success());
        let _listener = std::os::unix::net::UnixListener::bind(input.join("socket")).unwrap();
        let out = dir.path().join("out");
        let (jobs, errors) = plan(&[input.clone(), PathBuf::from("/dev/null")], &out);
        let inputs: Vec<_> = jobs.iter().map(|j| j.input.clone()).collect();
        assert_eq!(inputs, vec![input.join("a.txt")]);
        let mut kinds: Vec<_> = errors
            .iter()
            .map(|e| match e {
                FileError::NotAFile { path, kind } => (path.clone(), *kind),
                other => panic!("{other:?}"),
            })
            .collect();
        kinds.sort();
        assert_eq!(
            kinds,
            vec![
                (PathBuf::from("/dev/null"), "a device"),
                (input.join("fifo.txt"), "a FIFO"),
                (input.join("socket"), "a socket"),
            ]
        );
    }

    /// The files under `root`, with their bytes and permissions, by relative path.
    #[cfg(unix)]
    fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>, u32)> {
        use std::os::unix::fs::PermissionsExt;
        let mut files: Vec<_> = walkdir::WalkDir::new(root)
            .into_iter()
            .map(Result::unwrap)
            .filter(|e| e.file_type().is_file())
            .map(|e| {
                let mode = e.metadata().unwrap().permissions().mode();
                let rel = e.path().strip_prefix(root).unwrap().to_path_buf();
                (rel, fs::read(e.path()).unwrap(), mode)
            })
            .collect();
        files.sort();
        files
    }

    /// Outputs written through unnamed temporary files, as a worker writes them (new
    /// folders, folders again, a name taken, relative paths), named through their
    /// descriptor or through /proc, leave the same files, bytes and permissions as through
    /// named ones, and no temporary file.
    #[cfg(target_os = "linux")]
    #[test]
    fn unnamed_outputs_are_the_named_ones() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        // Whether this file system has unnamed files and /proc their links (a system
        // without them goes the named way, which the comparison still checks).
        let unnamed_here = {
            let path = std::ffi::CString::new(dir.path().as_os_str().as_bytes()).unwrap();
            // SAFETY: the path is NUL-terminated and only read during the call; the
            // descriptor returned, if any, is closed at once.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_TMPFILE | libc::O_WRONLY, 0o600) };
            if fd >= 0 {
                // SAFETY: `fd` was just opened and is closed once.
                unsafe { libc::close(fd) };
            }
            fd >= 0 && Path::new("/proc/self/fd").is_dir()
        };
        let writes: &[(&str, &[u8])] = &[
            ("a/one.txt", b"one"),
            ("a/two.txt", b"two"),
            ("b/deep/one.txt", b""),
            ("a/three.txt", b"three"),
            ("a/one.txt", b"one again"),
            ("a/four.txt", b"four"),
            ("b/deep/one.txt", b"x"),
            ("c.txt", b"top"),
        ];
        let roots = ["unnamed", "through-proc", "named"].map(|r| dir.path().join(r));
        for (k, root) in roots.iter().enumerate() {
            fs::create_dir_all(root).unwrap();
            let mut outputs = Outputs {
                naming: [Naming::Descriptor, Naming::Proc, Naming::Named][k],
                ..Outputs::default()
            };
            for (i, (path, data)) in writes.iter().enumerate() {
                // Every other one relative to the root, as a relative output is written.
                if i % 2 == 0 {
                    write_atomic_from(&mut outputs, None, &root.join(path), data).unwrap();
                } else {
                    write_atomic_from(&mut outputs, Some(root), Path::new(path), data).unwrap();
                }
                if k < 2 && i == 0 && unnamed_here {
                    // The way under test was taken.
                    assert_ne!(outputs.naming, Naming::Named);
                    assert!(outputs.folder.is_some());
                    assert_eq!(outputs.naming == Naming::Proc, k == 1);
                }
            }
        }
        assert_eq!(tree(&roots[1]), tree(&roots[2]));
        let unnamed = tree(&roots[0]);
        assert_eq!(unnamed, tree(&roots[2]));
        // The mode of any new file, not a private temporary file's.
        if let Some(umask) = umask() {
            for (path, _, mode) in &unnamed {
                assert_eq!(mode & 0o777, 0o666 & !umask, "{path:?}");
            }
        }
        let names: Vec<_> = unnamed.iter().map(|(p, ..)| p.clone()).collect();
        let expected = [
            "a/four.txt",
            "a/one.txt",
            "a/three.txt",
            "a/two.txt",
            "b/deep/one.txt",
            "c.txt",
        ];
        assert_eq!(names, expected.map(PathBuf::from));
        assert_eq!(unnamed[1].1, b"one again");
        assert_eq!(unnamed[4].1, b"x");
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
        // A relative path is taken from the folder given as the current one.
        write_atomic_from(
            &mut Outputs::default(),
            Some(dir.path()),
            Path::new("rel/out.txt"),
            b"there",
        )
        .unwrap();
        assert_eq!(fs::read(dir.path().join("rel/out.txt")).unwrap(), b"there");
        let names: Vec<_> = fs::read_dir(dir.path().join("rel"))
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("out.txt")]);
    }
}
