//! The command line: clap definitions, turned into plain settings in one place.

use std::path::PathBuf;

use clap::{ArgMatches, Args, FromArgMatches, Parser, Subcommand};

/// Clean scraped web text: decode any encoding to UTF-8, repair mojibake, and drop menus,
/// share buttons, comment prompts, captions, credits, tag lists and related headlines,
/// keeping the article's headline and paragraphs.
///
/// Examples:
///
///   boilerstrip clean pages/ --out clean/      # a folder, recursively, same names
///
///   boilerstrip clean page.txt > page.clean    # one file to stdout
///
///   boilerstrip clean < page.txt > page.clean  # a filter, for Makefiles and pipes
///
///   boilerstrip clean page.txt --explain       # every line, its verdict and reason
///
///   boilerstrip eval --input pages/ --gold gold/   # score against gold article bodies
///
/// Exit status: 0 when every input was cleaned, 1 when some failed (each is reported on
/// stderr with its path; the others are still written), 2 on a usage error.
#[derive(Debug, Parser)]
#[command(name = "boilerstrip", version, about, long_about, verbatim_doc_comment)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Clean files, folders or standard input.
    ///
    /// With --out DIR, every input file is written to DIR under the same relative path
    /// (folders are walked recursively). Without --out, a single FILE (or standard input,
    /// given as `-` or when no INPUT is named) is cleaned to standard output.
    Clean(Deferred<CleanArgs>),
    /// Clean a folder of pages and score the result against gold article bodies.
    ///
    /// Gold files have the same names as the inputs. Prints the ten worst documents with
    /// the lines that were wrongly kept or dropped and why, then precision, recall and F1
    /// (shingle metric of the article-extraction benchmark, see benches/data/README.md).
    Eval(Deferred<EvalArgs>),
    /// Count the lines of a corpus across documents, for `clean --line-stats`.
    ///
    /// The first pass of `clean --out`, on its own: each folder INPUT is a scope (or the
    /// folder of a file INPUT; --scope names one for all), and every distinct line is
    /// counted once per document. Counts given with --line-stats are added, so this also
    /// merges counts made on several machines or shards:
    ///
    ///   boilerstrip count shard1 --scope site -o s1.bin      # on each machine
    ///
    ///   boilerstrip count --line-stats s1.bin --line-stats s2.bin -o all.bin
    ///
    ///   boilerstrip clean shard1 --scope site --line-stats all.bin --out clean1
    Count(Deferred<CountArgs>),
    /// Train the line classifier on pages with gold bodies (for developers).
    ///
    /// Prints the cross-validated score, then writes the model trained on all pages.
    Train(Deferred<TrainArgs>),
}

/// A subcommand's arguments, defined to clap only when that subcommand is parsed
/// (`Command::defer`): a run of `clean` does not build the definitions of `eval`, `count`
/// and `train` (a third of the parse's cost in a process that cleans one file). The
/// subcommands' names and summaries, which `boilerstrip --help` lists, are not deferred.
#[derive(Debug)]
pub struct Deferred<T>(pub T);

impl<T> std::ops::Deref for Deferred<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Args> Args for Deferred<T> {
    fn augment_args(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, T::augment_args))
    }

    fn augment_args_for_update(cmd: clap::Command) -> clap::Command {
        cmd.defer(|cmd| keep_about(cmd, T::augment_args_for_update))
    }

    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

/// `augment(cmd)` with `cmd`'s summary and description kept: the derive sets the
/// subcommand's (from the variant's doc comment) before the deferred arguments are added,
/// and those would set the arguments struct's own.
fn keep_about(cmd: clap::Command, augment: fn(clap::Command) -> clap::Command) -> clap::Command {
    let about = cmd.get_about().cloned();
    let long_about = cmd.get_long_about().cloned();
    let cmd = augment(cmd);
    let cmd = match about {
        Some(about) => cmd.about(about),
        None => cmd.about(None::<&str>),
    };
    match long_about {
        Some(long_about) => cmd.long_about(long_about),
        None => cmd.long_about(None::<&str>),
    }
}

impl<T: FromArgMatches> FromArgMatches for Deferred<T> {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(matches).map(Deferred)
    }

    fn from_arg_matches_mut(matches: &mut ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(matches).map(Deferred)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(matches)
    }

    fn update_from_arg_matches_mut(&mut self, matches: &mut ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(matches)
    }
}

/// Options shared by the commands that clean.
#[derive(Debug, Args)]
pub struct CommonArgs {
    /// Worker threads (default: all cores).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Extra rule file(s), in the format of rules/default.toml, added to the built-in rules.
    #[arg(long = "rules", value_name = "FILE")]
    pub rules: Vec<PathBuf>,
    /// Use only the rules given with --rules, not the built-in ones.
    #[arg(long)]
    pub no_builtin_rules: bool,
    /// A line is repeated across documents (and dropped) when it occurs in at least this
    /// many documents of its scope ...
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub repeat_min_docs: u32,
    /// ... and in at least this share of them (0..1). The larger bound applies, so two
    /// pages sharing a text are never enough, and in a big mixed folder a line must be on
    /// a tenth of the pages.
    #[arg(long, default_value_t = 0.1, value_name = "F")]
    pub repeat_min_share: f64,
    /// Keep lines repeated across documents (skips the counting pass).
    #[arg(long)]
    pub keep_repeated: bool,
    /// Leave the headline out and write the article body only (as trafilatura does, and
    /// as benchmark golds such as shb-dev's are annotated).
    #[arg(long)]
    pub no_headline: bool,
}

/// Where cross-document line counts come from.
#[derive(Debug, Args)]
pub struct CorpusArgs {
    /// Put every input in this one scope (default: each folder INPUT is a scope, and a
    /// file INPUT belongs to the scope of its folder; standard input's scope is `-`).
    /// Lines are counted and compared within a scope only.
    #[arg(long, value_name = "NAME")]
    pub scope: Option<String>,
    /// Line counts written by `boilerstrip count` or --line-stats-out (repeatable: they
    /// add up). Used instead of counting the inputs, so they must include them.
    #[arg(long = "line-stats", value_name = "FILE")]
    pub line_stats: Vec<PathBuf>,
}

/// `boilerstrip clean`.
#[derive(Debug, Args)]
pub struct CleanArgs {
    /// Files or folders to clean; `-` or nothing reads standard input.
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Write outputs into this folder (same relative paths and names as the inputs).
    #[arg(short, long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// No progress bar and no summary on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
    /// Write a JSON report: per file bytes, encoding, lines kept and dropped per reason;
    /// totals; elapsed time. It holds an entry for every file until the end of the run, so
    /// memory grows with the number of files (about 1 KB each); without it, it does not.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
    /// Instead of the clean text, print every line of the (single) input with its
    /// verdict (+ keep, - drop), the classifier's score and the reason.
    #[arg(long)]
    pub explain: bool,
    /// Write the line counts used to drop repeated lines (with --out) to FILE, for later
    /// runs' --line-stats.
    #[arg(long, value_name = "FILE")]
    pub line_stats_out: Option<PathBuf>,
    /// Where line counts come from.
    #[command(flatten)]
    pub corpus: CorpusArgs,
    /// Options shared with eval.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `boilerstrip eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Folder of input pages.
    #[arg(long, value_name = "DIR")]
    pub input: PathBuf,
    /// Folder of gold article bodies with the same file names.
    #[arg(long, value_name = "DIR")]
    pub gold: PathBuf,
    /// Print the scores as JSON.
    #[arg(long)]
    pub json: bool,
    /// How many of the worst documents to list.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub worst: usize,
    /// Options shared with clean.
    #[command(flatten)]
    pub common: CommonArgs,
}

/// `boilerstrip count`.
#[derive(Debug, Args)]
pub struct CountArgs {
    /// Files or folders to count (folders recursively).
    #[arg(value_name = "INPUT")]
    pub inputs: Vec<PathBuf>,
    /// Write the counts to this file.
    #[arg(short, long, value_name = "FILE")]
    pub out: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(short, long, value_name = "N")]
    pub jobs: Option<usize>,
    /// No progress bar and no summary on stderr (errors are still printed).
    #[arg(short, long)]
    pub quiet: bool,
    /// Scopes, and counts to add.
    #[command(flatten)]
    pub corpus: CorpusArgs,
}

/// `boilerstrip train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Folder of input pages.
    #[arg(long, value_name = "DIR")]
    pub input: PathBuf,
    /// Folder of gold article bodies with the same file names.
    #[arg(long, value_name = "DIR")]
    pub gold: PathBuf,
    /// Where to write the model.
    #[arg(
        long,
        value_name = "FILE",
        default_value = "models/line-classifier.json"
    )]
    pub out: PathBuf,
    /// Cross-validation folds (pages are grouped: no page is in two folds).
    #[arg(long, default_value_t = 5)]
    pub folds: usize,
    /// Also cross-validate with the pages dealt to folds in N-1 shuffled orders and report
    /// the mean: one split of ~100 pages moves F1 by about 0.01, so compare changes on this.
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub cv_orders: u64,
    /// Cross-validate only: report the figures and write no model.
    #[arg(long)]
    pub cv_only: bool,
    /// L2 penalty of both logistic regressions.
    #[arg(long, default_value_t = 1e-4)]
    pub l2: f32,
    /// Gradient-descent epochs of both logistic regressions.
    #[arg(long, default_value_t = 400)]
    pub epochs: usize,
    /// Score (and choose the threshold on) the body without the headline, as the gold of
    /// shb-dev is annotated.
    #[arg(long)]
    pub no_headline: bool,
}

impl CommonArgs {
    /// The library configuration these flags describe.
    pub fn config(&self) -> boilerstrip::Config {
        boilerstrip::Config {
            extra_rules: self.rules.clone(),
            no_builtin_rules: self.no_builtin_rules,
            repeat_threshold: boilerstrip::corpus::Threshold {
                min_docs: self.repeat_min_docs,
                min_share: self.repeat_min_share,
            },
            no_headline: self.no_headline,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_clean_with_all_flags() {
        let cli = Cli::try_parse_from([
            "boilerstrip",
            "clean",
            "a",
            "b",
            "--out",
            "o",
            "-j",
            "2",
            "--quiet",
            "--report",
            "r.json",
            "--rules",
            "x.toml",
        ])
        .unwrap();
        let Command::Clean(args) = cli.command else {
            panic!("not clean")
        };
        assert_eq!(args.inputs, [PathBuf::from("a"), PathBuf::from("b")]);
        assert_eq!(args.out, Some(PathBuf::from("o")));
        assert_eq!(args.common.jobs, Some(2));
        assert!(args.quiet);
        assert_eq!(args.common.config().extra_rules, [PathBuf::from("x.toml")]);
    }

    #[test]
    fn parses_line_stats_flags() {
        let cli = Cli::try_parse_from([
            "boilerstrip",
            "clean",
            "a",
            "--out",
            "o",
            "--line-stats",
            "x.bin",
            "--line-stats",
            "y.bin",
            "--line-stats-out",
            "z.bin",
            "--scope",
            "site",
            "--repeat-min-docs",
            "5",
            "--repeat-min-share",
            "0.25",
        ])
        .unwrap();
        let Command::Clean(args) = cli.command else {
            panic!("not clean")
        };
        assert_eq!(
            args.corpus.line_stats,
            [PathBuf::from("x.bin"), PathBuf::from("y.bin")]
        );
        assert_eq!(args.line_stats_out, Some(PathBuf::from("z.bin")));
        assert_eq!(args.corpus.scope.as_deref(), Some("site"));
        let t = args.common.config().repeat_threshold;
        assert_eq!((t.min_docs, t.min_share), (5, 0.25));
        let cli = Cli::try_parse_from(["boilerstrip", "clean", "a", "--out", "o"]).unwrap();
        let Command::Clean(args) = cli.command else {
            panic!("not clean")
        };
        assert_eq!(
            args.common.config().repeat_threshold,
            boilerstrip::corpus::Threshold::default()
        );
        assert!(
            Cli::try_parse_from(["boilerstrip", "count", "a"]).is_err(),
            "needs -o"
        );
    }

    /// Each subcommand's help, built when the subcommand is parsed (`Deferred`), opens with
    /// its variant's summary, not its arguments struct's doc comment, and lists its flags.
    #[test]
    fn deferred_subcommands_keep_their_help() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        for (name, summary, flag) in [
            (
                "clean",
                "Clean files, folders or standard input.",
                "--out <DIR>",
            ),
            (
                "eval",
                "Clean a folder of pages and score the result",
                "--gold <DIR>",
            ),
            (
                "count",
                "Count the lines of a corpus across documents",
                "--out <FILE>",
            ),
            (
                "train",
                "Train the line classifier on pages with gold",
                "--cv-orders <N>",
            ),
        ] {
            let err = Cli::try_parse_from(["boilerstrip", name, "--help"]).unwrap_err();
            assert_eq!(err.kind(), clap::error::ErrorKind::DisplayHelp, "{name}");
            let help = err.to_string();
            assert!(help.starts_with(summary), "{name}: {help}");
            assert!(help.contains(flag), "{name}: {help}");
            // The arguments struct's doc comment.
            let own = format!("`boilerstrip {name}`.");
            assert!(!help.contains(&own), "{name}: {help}");
        }
    }

    #[test]
    fn eval_needs_input_and_gold() {
        assert!(Cli::try_parse_from(["boilerstrip", "eval", "--input", "a"]).is_err());
        assert!(
            Cli::try_parse_from(["boilerstrip", "eval", "--input", "a", "--gold", "b"]).is_ok()
        );
    }
}
