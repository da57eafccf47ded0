//! The command line: clap definitions, turned into plain settings in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

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
    Clean(CleanArgs),
    /// Clean a folder of pages and score the result against gold article bodies.
    ///
    /// Gold files have the same names as the inputs. Prints the ten worst documents with
    /// the lines that were wrongly kept or dropped and why, then precision, recall and F1
    /// (shingle metric of the article-extraction benchmark, see benches/data/README.md).
    Eval(EvalArgs),
    /// Train the line classifier on pages with gold bodies (for developers).
    ///
    /// Prints the cross-validated score, then writes the model trained on all pages.
    Train(TrainArgs),
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
    /// totals; elapsed time.
    #[arg(long, value_name = "FILE.json")]
    pub report: Option<PathBuf>,
    /// Instead of the clean text, print every line of the (single) input with its
    /// verdict (+ keep, - drop), the classifier's score and the reason.
    #[arg(long)]
    pub explain: bool,
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
}

impl CommonArgs {
    /// The library configuration these flags describe.
    pub fn config(&self) -> boilerstrip::Config {
        boilerstrip::Config {
            extra_rules: self.rules.clone(),
            no_builtin_rules: self.no_builtin_rules,
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
    fn eval_needs_input_and_gold() {
        assert!(Cli::try_parse_from(["boilerstrip", "eval", "--input", "a"]).is_err());
        assert!(
            Cli::try_parse_from(["boilerstrip", "eval", "--input", "a", "--gold", "b"]).is_ok()
        );
    }
}
