//! Carries out the subcommands: the only place that prints, draws progress bars and reads
//! the terminal.

use std::fs;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{bail, Context, Result};
use boilerstrip::batch::{self, FileError, Job};
use boilerstrip::corpus::{self, LineStats};
use boilerstrip::eval::{self, DocScore};
use boilerstrip::report::{Failure, FileReport, RunReport};
use boilerstrip::train::{self, TrainOptions};
use boilerstrip::{Cleaned, Cleaner};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{CleanArgs, Cli, Command, CommonArgs, CorpusArgs, CountArgs, EvalArgs, TrainArgs};

/// How a run ended when it did not fail as a whole.
pub enum Outcome {
    /// Every input was cleaned.
    AllOk,
    /// Some inputs failed; the others were cleaned.
    SomeFailed,
}

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<Outcome> {
    match cli.command {
        Command::Clean(args) => clean(&args),
        Command::Eval(args) => evaluate(&args),
        Command::Count(args) => count(&args),
        Command::Train(args) => train_model(&args),
    }
}

/// The cleaner of `common`'s settings; `--jobs` is checked here, before any work, and
/// given to the worker pool by [`start_pool`] once the number of files is known.
fn build(common: &CommonArgs) -> Result<Cleaner> {
    check_jobs(common.jobs)?;
    Cleaner::new(common.config()).context("cannot load the rules")
}

fn check_jobs(jobs: Option<usize>) -> Result<()> {
    if jobs == Some(0) {
        bail!("--jobs must be at least 1");
    }
    Ok(())
}

/// Sets up the worker pool for `files` files: `jobs` threads (default: rayon's, all cores
/// or `RAYON_NUM_THREADS`), but one when there is one file, and then the calling thread
/// is the pool's only thread. A Makefile rule cleaning one file into a folder started two
/// threads that had nothing to do, and paid for their stacks at start and exit.
fn start_pool(jobs: Option<usize>, files: usize) {
    let threads = match jobs {
        Some(n) => n.min(files.max(1)),
        None if files <= 1 => 1,
        // rayon's own default.
        None => return,
    };
    let mut pool = rayon::ThreadPoolBuilder::new().num_threads(threads);
    if threads == 1 {
        pool = pool.use_current_thread();
    }
    // Fails only if the pool was already set up (the tests' runs share a process).
    pool.build_global().ok();
}

/// The counts of --line-stats files, added up; `None` when none are named.
fn load_line_stats(corpus: &CorpusArgs) -> Result<Option<LineStats>> {
    if corpus.line_stats.is_empty() {
        return Ok(None);
    }
    let mut stats = LineStats::new();
    for path in &corpus.line_stats {
        stats += LineStats::load(path)?;
    }
    Ok(Some(stats))
}

fn clean(args: &CleanArgs) -> Result<Outcome> {
    let cleaner = build(&args.common)?;
    if args.line_stats_out.is_some() && args.out.is_none() {
        bail!("--line-stats-out needs --out DIR (to count without cleaning: boilerstrip count)");
    }
    // Without --out there is one document: repeats come only from --line-stats.
    let single_stats = if args.common.keep_repeated || args.out.is_some() {
        None
    } else {
        load_line_stats(&args.corpus)?
    };
    let stdin_only = args.inputs.is_empty() || args.inputs == [PathBuf::from("-")];
    if stdin_only {
        if args.inputs.is_empty() && io::stdin().is_terminal() {
            bail!("no input: name files or folders, or pipe text in (see --help)");
        }
        let mut bytes = Vec::new();
        io::stdin()
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        let scope = args.corpus.scope.as_deref().unwrap_or("-");
        let stats = single_stats.as_ref().map(|s| (s, scope));
        return clean_to_stdout(&cleaner, Path::new("-"), &bytes, stats, args);
    }
    match &args.out {
        None if args.inputs.len() == 1 && !args.inputs[0].is_dir() => {
            let path = &args.inputs[0];
            let scope = args
                .corpus
                .scope
                .clone()
                .unwrap_or_else(|| corpus::scope_name(path.parent().unwrap_or(Path::new(""))));
            let stats = single_stats.as_ref().map(|s| (s, scope.as_str()));
            match batch::read_input(path) {
                Ok(bytes) => clean_to_stdout(&cleaner, path, &bytes, stats, args),
                Err(e) => {
                    eprintln!("boilerstrip: {e}");
                    Ok(Outcome::SomeFailed)
                }
            }
        }
        None => bail!(
            "several inputs or a folder need --out DIR (one file, or stdin, may go to stdout)"
        ),
        Some(_) if args.explain => {
            bail!("--explain works on a single file or stdin, without --out")
        }
        Some(out) => clean_to_dir(&cleaner, out, args),
    }
}

fn clean_to_stdout(
    cleaner: &Cleaner,
    path: &Path,
    bytes: &[u8],
    stats: Option<(&LineStats, &str)>,
    args: &CleanArgs,
) -> Result<Outcome> {
    let start = Instant::now();
    let cleaned = match stats {
        Some((stats, scope)) => cleaner.clean_with_stats(bytes, stats, scope),
        None => cleaner.clean(bytes),
    };
    let cleaned = match cleaned {
        Ok(c) => c,
        Err(source) => {
            let e = FileError::Decode {
                path: path.to_path_buf(),
                source,
            };
            eprintln!("boilerstrip: {e}");
            write_report(
                args,
                RunReport {
                    totals: boilerstrip::report::Stats {
                        files_failed: 1,
                        ..Default::default()
                    },
                    seconds: start.elapsed().as_secs_f64(),
                    files: vec![],
                    failures: vec![Failure {
                        input: path.to_path_buf(),
                        error: e.to_string(),
                    }],
                },
            )?;
            return Ok(Outcome::SomeFailed);
        }
    };
    let mut out = io::stdout().lock();
    if args.explain {
        out.write_all(explain(&cleaned).as_bytes())?;
    } else {
        out.write_all(cleaned.text.as_bytes())?;
    }
    out.flush()?;
    let mut report = FileReport::new(path.to_path_buf(), None, bytes.len() as u64, &cleaned);
    report.seconds = start.elapsed().as_secs_f64();
    let mut totals = boilerstrip::report::Stats::default();
    totals += &report;
    write_report(
        args,
        RunReport {
            totals,
            seconds: report.seconds,
            files: vec![report],
            failures: vec![],
        },
    )?;
    Ok(Outcome::AllOk)
}

/// One line per input line: `+`/`-`, the classifier's score, the reason, the text.
fn explain(cleaned: &Cleaned) -> String {
    let mut s = format!(
        "# encoding: {}  replaced: {}  mojibake repaired: {}\n",
        cleaned.encoding, cleaned.replaced, cleaned.mojibake_repaired
    );
    for l in &cleaned.lines {
        let v = &l.verdict;
        s += &format!(
            "{} {:.2} {:<40} {}\n",
            if v.keep { '+' } else { '-' },
            v.score,
            v.reason.to_string(),
            l.text
        );
    }
    s
}

/// Lists the jobs of `inputs`, reports the paths that cannot be listed on stderr, and puts
/// every job in `scope` when one is given (`--scope`).
fn plan_jobs(inputs: &[PathBuf], out: &Path, scope: Option<&str>) -> (Vec<Job>, Vec<FileError>) {
    let (mut jobs, walk_errors) = batch::plan(inputs, out);
    for e in &walk_errors {
        eprintln!("boilerstrip: {e}");
    }
    if let Some(scope) = scope {
        let scope: std::sync::Arc<str> = scope.into();
        for job in &mut jobs {
            job.scope = std::sync::Arc::clone(&scope);
        }
    }
    (jobs, walk_errors)
}

/// A bar over `len` files on a terminal, hidden otherwise. `phase` names the pass it shows
/// (a folder is read twice: once to count repeated lines, once to clean), so the two bars
/// are told apart.
fn progress_bar(len: usize, quiet: bool, phase: &'static str) -> ProgressBar {
    if quiet || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len as u64);
    bar.set_style(
        ProgressStyle::with_template(
            "{msg:8} {bar:40} {pos}/{len} files, {binary_bytes_per_sec}, eta {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(phase);
    bar
}

fn clean_to_dir(cleaner: &Cleaner, out: &Path, args: &CleanArgs) -> Result<Outcome> {
    let start = Instant::now();
    let inputs: Vec<PathBuf> = args
        .inputs
        .iter()
        .filter(|p| p.as_os_str() != "-")
        .cloned()
        .collect();
    let (jobs, walk_errors) = plan_jobs(&inputs, out, args.corpus.scope.as_deref());
    start_pool(args.common.jobs, jobs.len());
    // First pass: the counts, from --line-stats or from the inputs themselves, and what it
    // found out about each file (legacy encodings, text that needs no normalizing and what
    // the rest needs), so that the second pass need not find it out again.
    let mut hints = batch::FileHints::default();
    let line_stats = if args.common.keep_repeated && args.line_stats_out.is_none() {
        None
    } else if let Some(loaded) = load_line_stats(&args.corpus)? {
        Some(loaded)
    } else {
        let bar = progress_bar(jobs.len(), args.quiet, "counting");
        // Unreadable files fail again in the second pass, which reports them.
        let (counted, _, detected) = batch::count_with_hints(&jobs, |_| bar.inc(1));
        hints = detected;
        bar.finish_and_clear();
        Some(counted)
    };
    if let (Some(path), Some(line_stats)) = (&args.line_stats_out, &line_stats) {
        line_stats.save(path)?;
    }
    let drop_with = line_stats.as_ref().filter(|_| !args.common.keep_repeated);
    let bar = progress_bar(jobs.len(), args.quiet, "cleaning");
    // Per-file reports are kept only for --report; without it memory does not grow with
    // the number of files. The dropped lines per reason are read by the summary and the
    // report only.
    let reports = match (&args.report, args.quiet) {
        (Some(_), _) => batch::Reports::Keep,
        (None, false) => batch::Reports::Totals,
        (None, true) => batch::Reports::Uncounted,
    };
    let (results, mut stats) =
        batch::run_with_hints(cleaner, &jobs, drop_with, &hints, reports, |r| {
            bar.inc(1);
            if let Err(e) = r {
                bar.suspend(|| eprintln!("boilerstrip: {e}"));
            }
        });
    bar.finish_and_clear();
    stats.files_failed += walk_errors.len() as u64;
    let seconds = start.elapsed().as_secs_f64();
    if !args.quiet {
        eprint!("{}", stats.summary(seconds));
    }
    let failed = stats.files_failed > 0;
    let mut files = Vec::new();
    let mut failures: Vec<Failure> = walk_errors
        .iter()
        .map(|e| Failure {
            input: e.path().to_path_buf(),
            error: e.to_string(),
        })
        .collect();
    for r in results {
        match r {
            Ok(report) => files.push(report),
            Err(e) => failures.push(Failure {
                input: e.path().to_path_buf(),
                error: e.to_string(),
            }),
        }
    }
    write_report(
        args,
        RunReport {
            totals: stats,
            seconds,
            files,
            failures,
        },
    )?;
    Ok(if failed {
        Outcome::SomeFailed
    } else {
        Outcome::AllOk
    })
}

fn write_report(args: &CleanArgs, report: RunReport) -> Result<()> {
    if let Some(path) = &args.report {
        let json = serde_json::to_vec_pretty(&report)?;
        batch::write_atomic(path, &json)
            .with_context(|| format!("cannot write report {}", path.display()))?;
    }
    Ok(())
}

/// Input files of `input` paired with their gold files of the same relative path.
fn pairs(input: &Path, gold: &Path) -> Result<Vec<Job>> {
    let (jobs, errors) = batch::plan(&[input.to_path_buf()], gold);
    if let Some(e) = errors.first() {
        bail!("{e}");
    }
    if jobs.is_empty() {
        bail!("{}: no input files", input.display());
    }
    Ok(jobs)
}

struct Scored {
    name: String,
    score: DocScore,
    wrongly_kept: Vec<(String, String)>,
    wrongly_dropped: Vec<(String, String)>,
}

fn evaluate(args: &EvalArgs) -> Result<Outcome> {
    use rayon::prelude::*;
    let cleaner = build(&args.common)?;
    let jobs = pairs(&args.input, &args.gold)?;
    start_pool(args.common.jobs, jobs.len());
    // The input folder is one scope, as in `clean DIR --out ...`.
    let line_stats = (!args.common.keep_repeated).then(|| batch::count(&jobs, |_| {}).0);
    let results: Vec<Result<Scored>> = jobs
        .par_iter()
        .map(|job| {
            let bytes = batch::read_input(&job.input)?;
            let gold = fs::read_to_string(&job.output)
                .with_context(|| format!("{}: cannot read gold file", job.output.display()))?;
            let cleaned = batch::clean_bytes(&cleaner, job, &bytes, line_stats.as_ref())?;
            let gold_shingles = eval::shingles(&gold);
            let texts: Vec<&str> = cleaned.lines.iter().map(|l| l.text.as_str()).collect();
            let covered = eval::lines_in_gold(&texts, &gold_shingles);
            let mut wrongly_kept = Vec::new();
            let mut wrongly_dropped = Vec::new();
            for (l, c) in cleaned.lines.iter().zip(covered) {
                let in_gold = c.is_some_and(|c| c >= 0.5);
                let reason = format!("{} {:.2}", l.verdict.reason, l.verdict.score);
                if l.verdict.keep
                    && !in_gold
                    && c.is_some()
                    && l.verdict.reason != boilerstrip::Reason::Headline
                {
                    wrongly_kept.push((reason, l.text.clone()));
                } else if !l.verdict.keep && in_gold {
                    wrongly_dropped.push((reason, l.text.clone()));
                }
            }
            let name = job
                .input
                .strip_prefix(&args.input)
                .unwrap_or(&job.input)
                .display()
                .to_string();
            Ok(Scored {
                name,
                score: eval::score_doc(&cleaned.text, &gold),
                wrongly_kept,
                wrongly_dropped,
            })
        })
        .collect();
    let mut scored = Vec::new();
    let mut failed = 0;
    for r in results {
        match r {
            Ok(s) => scored.push(s),
            Err(e) => {
                failed += 1;
                eprintln!("boilerstrip: {e:#}");
            }
        }
    }
    let summary = eval::summarize(&scored.iter().map(|s| s.score).collect::<Vec<_>>());
    scored.sort_by(|a, b| a.score.f1.total_cmp(&b.score.f1).then(a.name.cmp(&b.name)));
    if args.json {
        let docs: Vec<serde_json::Value> = scored
            .iter()
            .map(|s| {
                serde_json::json!({"name": s.name, "f1": s.score.f1, "precision": s.score.precision, "recall": s.score.recall})
            })
            .collect();
        let json = serde_json::json!({
            "f1": summary.f1, "precision": summary.precision, "recall": summary.recall,
            "documents": summary.documents, "failed": failed, "per_document": docs,
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
    } else {
        println!("worst documents (wrongly kept +, wrongly dropped -, with the reason and score):");
        for s in scored.iter().take(args.worst) {
            println!(
                "\n{}  F1 {:.3}  P {}  R {}",
                s.name,
                s.score.f1,
                fmt_opt(s.score.precision),
                fmt_opt(s.score.recall)
            );
            for (sign, lines) in [('+', &s.wrongly_kept), ('-', &s.wrongly_dropped)] {
                for (reason, text) in lines.iter().take(6) {
                    println!("  {sign} {reason:<32} {}", truncate(text, 90));
                }
                if lines.len() > 6 {
                    println!("  {sign} ... {} more", lines.len() - 6);
                }
            }
        }
        println!();
        println!("documents: {}  failed: {failed}", summary.documents);
        println!(
            "precision: {:.4}  recall: {:.4}",
            summary.precision, summary.recall
        );
        println!("F1: {:.4}", summary.f1);
    }
    Ok(if failed > 0 {
        Outcome::SomeFailed
    } else {
        Outcome::AllOk
    })
}

fn count(args: &CountArgs) -> Result<Outcome> {
    check_jobs(args.jobs)?;
    if args.inputs.iter().any(|p| p.as_os_str() == "-") {
        bail!("count reads files and folders, not standard input");
    }
    let start = Instant::now();
    let (jobs, walk_errors) = plan_jobs(&args.inputs, Path::new(""), args.corpus.scope.as_deref());
    start_pool(args.jobs, jobs.len());
    let bar = progress_bar(jobs.len(), args.quiet, "counting");
    let (counted, errors) = batch::count(&jobs, |r| {
        bar.inc(1);
        if let Err(e) = r {
            bar.suspend(|| eprintln!("boilerstrip: {e}"));
        }
    });
    bar.finish_and_clear();
    let mut stats = load_line_stats(&args.corpus)?.unwrap_or_default();
    stats += counted;
    stats.save(&args.out)?;
    if !args.quiet {
        let scopes: Vec<_> = stats.scopes().collect();
        eprintln!(
            "{} documents in {} scope(s), {} distinct lines, {} failed; {:.2} s",
            scopes.iter().map(|(_, c)| c.documents).sum::<u64>(),
            scopes.len(),
            scopes
                .iter()
                .map(|(_, c)| c.distinct_lines())
                .sum::<usize>(),
            errors.len() + walk_errors.len(),
            start.elapsed().as_secs_f64()
        );
    }
    Ok(if errors.is_empty() && walk_errors.is_empty() {
        Outcome::AllOk
    } else {
        Outcome::SomeFailed
    })
}

fn fmt_opt(v: Option<f64>) -> String {
    v.map_or_else(|| "-".to_string(), |v| format!("{v:.3}"))
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let cut: String = text.chars().take(max).collect();
        format!("{cut}…")
    }
}

fn train_model(args: &TrainArgs) -> Result<Outcome> {
    use rayon::prelude::*;
    let rules = boilerstrip::RuleSet::load(true, &[])?;
    let jobs = pairs(&args.input, &args.gold)?;
    let examples: Vec<train::Example> = jobs
        .par_iter()
        .map(|job| -> Result<train::Example> {
            let bytes = batch::read_input(&job.input)?;
            let gold = fs::read_to_string(&job.output)
                .with_context(|| format!("{}: cannot read gold file", job.output.display()))?;
            let name = job
                .input
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            train::example(&name, &bytes, &gold, &rules)
                .with_context(|| job.input.display().to_string())
        })
        .collect::<Result<_>>()?;
    let opts = TrainOptions {
        l2: args.l2,
        epochs: args.epochs,
        no_headline: args.no_headline,
    };
    let line = |s: &eval::Summary| {
        format!(
            "F1 {:.4}  precision {:.4}  recall {:.4}",
            s.f1, s.precision, s.recall
        )
    };
    let cv = train::cross_validate(&examples, args.folds, &opts);
    eprintln!(
        "{}-fold cross-validation on {} pages: {}\n  body only (no headline, as the gold): {}",
        args.folds,
        examples.len(),
        line(&cv.with_headline),
        line(&cv.body_only)
    );
    if args.cv_orders > 1 {
        let mut all = vec![cv];
        for order in 1..args.cv_orders {
            let s = train::cross_validate_order(&examples, args.folds, &opts, order);
            eprintln!(
                "  fold order {order}: {}  body only: F1 {:.4}",
                line(&s.with_headline),
                s.body_only.f1
            );
            all.push(s);
        }
        let stats = |f1s: Vec<f64>| {
            let mean = f1s.iter().sum::<f64>() / f1s.len() as f64;
            let (lo, hi) = f1s
                .iter()
                .fold((f64::MAX, f64::MIN), |(lo, hi), &f| (lo.min(f), hi.max(f)));
            format!("{mean:.4} (min {lo:.4}, max {hi:.4})")
        };
        eprintln!(
            "mean F1 over {} fold orders {}; body only {}",
            all.len(),
            stats(all.iter().map(|s| s.with_headline.f1).collect()),
            stats(all.iter().map(|s| s.body_only.f1).collect())
        );
    }
    if args.cv_only {
        return Ok(Outcome::AllOk);
    }
    let all: Vec<&train::Example> = examples.iter().collect();
    let mut model = train::train(&all, &opts);
    let in_sample = eval::summarize(&train::score_each(&all, &model, &opts));
    model.trained_on = format!(
        "{} pages of {}; {}-fold cross-validated F1 {:.4} (P {:.4}, R {:.4}), body only {:.4} (P {:.4}, R {:.4}); in-sample F1 {:.4}",
        examples.len(),
        args.input.display(),
        args.folds,
        cv.with_headline.f1,
        cv.with_headline.precision,
        cv.with_headline.recall,
        cv.body_only.f1,
        cv.body_only.precision,
        cv.body_only.recall,
        in_sample.f1
    );
    eprintln!(
        "in-sample F1 {:.4}; threshold {}, switch penalty {}",
        in_sample.f1, model.threshold, model.switch_penalty
    );
    let json = serde_json::to_string_pretty(&model)?;
    batch::write_atomic(&args.out, json.as_bytes())
        .with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!("model written to {}", args.out.display());
    Ok(Outcome::AllOk)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One file, whatever `--jobs` says, is cleaned by the calling thread, the pool's only
    /// one: no thread is started. (The only test of this binary that sets up rayon's
    /// global pool, which a process sets up once.)
    #[test]
    fn one_file_starts_no_thread() {
        start_pool(Some(4), 1);
        assert_eq!(rayon::current_num_threads(), 1);
        assert_eq!(rayon::current_thread_index(), Some(0));
        let on = std::thread::current().id();
        let ran: Vec<_> = {
            use rayon::prelude::*;
            (0..8)
                .into_par_iter()
                .map(|_| std::thread::current().id())
                .collect()
        };
        assert!(ran.iter().all(|&id| id == on));
    }
}
