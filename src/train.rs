//! Training and cross-validating the line classifier on pages with gold article bodies
//! (`boilerstrip train`). The result is a data file, `models/line-classifier.json`.
//!
//! Lines are labelled by the gold: a line is article text when most of its tokens are
//! covered by shingles the gold also has. Each page weighs the same in training (a line's
//! weight is its share of the page's tokens), as each page weighs the same in the metric.
//! Figures are honest only when cross-validated: `cross_validate` trains on k-1 folds of
//! pages and scores the pages of the k-th, so no page is scored by a model that saw it.

use crate::classify::{self, Prepared};
use crate::eval::{self, DocScore, Summary};
use crate::features;
use crate::model::{Linear, Model};
use crate::rules::RuleSet;
use crate::segment::{self, Document};
use crate::{assemble, decode, normalize};

/// A page prepared for training: its lines, their features and labels (borrowing the
/// rules' ids).
#[derive(Debug)]
pub struct Example<'r> {
    /// The page's name (its file name), for reports.
    pub name: String,
    /// The segmented page.
    pub doc: Document,
    /// Rules, captions and stage-1 features.
    pub prepared: Prepared<'r>,
    /// 1 for article lines, 0 for the rest.
    pub labels: Vec<f32>,
    /// Each line's weight: its share of the page's tokens.
    pub weights: Vec<f32>,
    /// The gold text.
    pub gold: String,
}

/// Share of a line's tokens the gold must cover for the line to count as article text.
const LABEL_THRESHOLD: f64 = 0.5;

/// Prepares one page: decode, normalize, segment, run the rules, compute features, label.
///
/// # Errors
/// [`decode::DecodeError`] when the input is not text.
pub fn example<'r>(
    name: &str,
    input: &[u8],
    gold: &str,
    rules: &'r RuleSet,
) -> Result<Example<'r>, decode::DecodeError> {
    let decoded = decode::decode(input)?;
    let normalized = normalize::normalize(&decoded.text);
    let doc = segment::segment(&normalized.text);
    let prepared = classify::prepare(&doc, rules);
    let texts: Vec<&str> = doc.lines.iter().map(|l| l.text.as_str()).collect();
    let covered = eval::lines_in_gold(&texts, &eval::shingles(gold));
    let labels = covered
        .iter()
        .map(|c| f32::from(c.is_some_and(|c| c >= LABEL_THRESHOLD) as u8))
        .collect();
    let tokens: Vec<f32> = texts
        .iter()
        .map(|t| eval::tokens(t).len().max(1) as f32)
        .collect();
    let total: f32 = tokens.iter().sum::<f32>().max(1.0);
    let weights = tokens.iter().map(|t| t / total).collect();
    Ok(Example {
        name: name.to_string(),
        doc,
        prepared,
        labels,
        weights,
        gold: gold.to_string(),
    })
}

/// Inner folds for the out-of-fold stage-1 probabilities that stage 2 is trained on.
const INNER_FOLDS: usize = 3;

/// Settings of the trainer.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// L2 penalty of both regressions. Default 1e-3.
    pub l2: f32,
    /// Gradient-descent epochs. Default 400.
    pub epochs: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        TrainOptions {
            l2: 1e-3,
            epochs: 400,
        }
    }
}

/// Trains both stages on `examples`, then picks the threshold and smoothing penalty that
/// score best on those same examples (two numbers, so the in-sample choice overfits little).
pub fn train(examples: &[&Example], opts: &TrainOptions) -> Model {
    let w1 = features::stage1_len();
    let mut x1 = Vec::new();
    let mut y = Vec::new();
    let mut sw = Vec::new();
    for e in examples {
        x1.extend_from_slice(&e.prepared.x1);
        y.extend_from_slice(&e.labels);
        sw.extend_from_slice(&e.weights);
    }
    debug_assert_eq!(x1.len(), y.len() * w1);
    let stage1 = Linear::fit(&x1, &y, &sw, opts.l2, opts.epochs);
    // Stage 2 learns how far to trust the neighbours' stage-1 probabilities, so it must see
    // probabilities like those of unseen pages: out-of-fold ones, not in-sample ones.
    let mut p1s: Vec<Vec<f32>> = vec![Vec::new(); examples.len()];
    for k in 0..INNER_FOLDS {
        let (mut fx, mut fy, mut fw) = (Vec::new(), Vec::new(), Vec::new());
        for e in examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % INNER_FOLDS != k)
            .map(|(_, e)| e)
        {
            fx.extend_from_slice(&e.prepared.x1);
            fy.extend_from_slice(&e.labels);
            fw.extend_from_slice(&e.weights);
        }
        let inner = Linear::fit(&fx, &fy, &fw, opts.l2, opts.epochs);
        for (i, e) in examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % INNER_FOLDS == k)
        {
            p1s[i] = inner.predict(&e.prepared.x1);
        }
    }
    let mut x2 = Vec::new();
    for (e, p1) in examples.iter().zip(&p1s) {
        x2.extend(features::stage2(&e.prepared.x1, p1));
    }
    let stage2 = Linear::fit(&x2, &y, &sw, opts.l2, opts.epochs);
    let mut model = Model {
        trained_on: format!("{} pages", examples.len()),
        stage1,
        stage2,
        switch_penalty: 0.0,
        threshold: 0.5,
    };
    let mut best = (f64::MIN, 0.0, 0.5);
    for penalty in [0.0, 0.5, 1.0, 2.0, 3.0, 4.0] {
        for threshold in [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6] {
            model.switch_penalty = penalty;
            model.threshold = threshold;
            let f1 = score(examples, &model).f1;
            if f1 > best.0 {
                best = (f1, penalty, threshold);
            }
        }
    }
    model.switch_penalty = best.1;
    model.threshold = best.2;
    model
}

/// Cleans each example with `model` and scores it against its gold.
pub fn score_each(examples: &[&Example], model: &Model) -> Vec<DocScore> {
    examples
        .iter()
        .map(|e| {
            let verdicts = classify::decide(&e.doc, &e.prepared, model);
            let text = assemble::assemble(&e.doc, &verdicts);
            eval::score_doc(&text, &e.gold)
        })
        .collect()
}

fn score(examples: &[&Example], model: &Model) -> Summary {
    eval::summarize(&score_each(examples, model))
}

/// k-fold cross-validation, pages assigned to folds round-robin in the given order: the
/// summary over all held-out pages.
pub fn cross_validate(examples: &[Example], folds: usize, opts: &TrainOptions) -> Summary {
    let folds = folds.max(2);
    let mut scores = Vec::new();
    for k in 0..folds {
        let train_set: Vec<&Example> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds != k)
            .map(|(_, e)| e)
            .collect();
        let test_set: Vec<&Example> = examples
            .iter()
            .enumerate()
            .filter(|(i, _)| i % folds == k)
            .map(|(_, e)| e)
            .collect();
        let model = train(&train_set, opts);
        scores.extend(score_each(&test_set, &model));
    }
    eval::summarize(&scores)
}
